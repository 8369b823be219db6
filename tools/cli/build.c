/* encode's request to header bytes. Everything goes through the library:
 * proxyproto_write() for a header without TLVs, the builder otherwise, so
 * the CLI shows exactly what an application linking the library sends. */
#include <string.h>

#include "encode.h"

static void fill_addr(proxyproto_addr *a, const cli_endpoint *ep)
{
    if (ep->family == PROXYPROTO_AF_INET)
        memcpy(a->ip.v4, ep->ip, 4);
    else if (ep->family == PROXYPROTO_AF_INET6)
        memcpy(a->ip.v6, ep->ip, 16);
    if (ep->family == PROXYPROTO_AF_UNIX) {
        a->path = ep->path; /* all 108 bytes, zero-filled after the path */
        a->path_len = ep->path_len;
    }
    a->port = ep->port;
}

static void fill_header(const cli_encode_req *r, proxyproto_header *hdr)
{
    memset(hdr, 0, sizeof *hdr);
    hdr->version = (uint8_t)r->version;
    hdr->command = r->local ? PROXYPROTO_CMD_LOCAL : PROXYPROTO_CMD_PROXY;
    /* Without addresses: v1 UNKNOWN, v2 family UNSPEC (proxyproto(7)
     * section 6), and a transport only when --udp asked for one. */
    hdr->family = r->have_src ? r->src.family : PROXYPROTO_AF_UNSPEC;
    hdr->transport = r->udp        ? PROXYPROTO_TRANSPORT_DGRAM
                     : r->have_src ? PROXYPROTO_TRANSPORT_STREAM
                                   : PROXYPROTO_TRANSPORT_UNSPEC;
    hdr->has_addresses = (uint8_t)r->have_src;
    if (r->have_src) {
        fill_addr(&hdr->src, &r->src);
        fill_addr(&hdr->dst, &r->dst);
    }
}

/* The SSL TLV and then its sub-TLVs: the builder nests the subs added
 * right after it. */
static int add_ssl(proxyproto_builder *b, const cli_encode_req *r)
{
    size_t i;
    int rc = proxyproto_builder_add_ssl(b, r->ssl_client, r->ssl_verify);

    for (i = 0; rc == 0 && i < r->n_subs; i++)
        rc = proxyproto_builder_add_ssl_sub(b, r->subs[i].type,
                                            r->subs[i].value, r->subs[i].len);
    return rc;
}

static int add_item(proxyproto_builder *b, const cli_encode_req *r,
                    const cli_item *it)
{
    switch (it->kind) {
    case CLI_ITEM_SSL:
        return add_ssl(b, r);
    case CLI_ITEM_AWS:
        return proxyproto_builder_add_aws_vpce_id(
            b, (const char *)it->value, it->len);
    case CLI_ITEM_AZURE:
        return proxyproto_builder_add_azure_linkid(b, (uint32_t)it->number);
    case CLI_ITEM_GCP:
        return proxyproto_builder_add_gcp_psc_id(b, it->number);
    case CLI_ITEM_PAD:
        return proxyproto_builder_add_padding(b, (unsigned)it->number);
    case CLI_ITEM_TLV:
        break;
    }
    return proxyproto_builder_add(b, it->type, it->value, it->len);
}

static int build_with_tlvs(const cli_encode_req *r,
                           const proxyproto_header *hdr, uint8_t *out,
                           size_t cap)
{
    proxyproto_builder b;
    size_t i;
    int rc = 0;

    proxyproto_builder_init(&b, hdr);
    /* HAProxy puts the CRC32C TLV first; the builder computes it last. */
    if (r->crc32c)
        rc = proxyproto_builder_add_crc32c(&b);
    for (i = 0; rc == 0 && i < r->n_items; i++)
        rc = add_item(&b, r, &r->items[i]);
    return rc != 0 ? rc : proxyproto_builder_finish(&b, out, cap);
}

int cli_build(const cli_encode_req *r, uint8_t *out, size_t cap)
{
    proxyproto_header hdr;

    fill_header(r, &hdr);
    if (r->tlv_options)
        return build_with_tlvs(r, &hdr, out, cap);
    return proxyproto_write(out, cap, &hdr);
}
