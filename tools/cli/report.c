/* decode's results, one JSON object per line. The keys and their order are
 * fixed (scripts and acceptance checks compare whole lines): change nothing
 * here without changing tests/cli.sh and telling its users. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

/* Fields that hold a code (command, family, transport) are printed as
 * carried: a JSON string with the name when the code has one, else the
 * number itself as a JSON number. A LOCAL header may carry any family and
 * transport nibble (proxyproto(7) section 3): 5 is printed as 5, not as the
 * UNSPEC a receiver treats it as, so that the output says what the header
 * says. */
static void print_code(FILE *out, const char *key, unsigned code,
                       const char *const *names, unsigned n_names)
{
    if (code < n_names)
        fprintf(out, ",\"%s\":\"%s\"", key, names[code]);
    else
        fprintf(out, ",\"%s\":%u", key, code);
}

/* v1 has no command field: the library gives PROXY for every v1 header. */
static void print_codes(FILE *out, const proxyproto_header *hdr)
{
    static const char *const commands[] = {"LOCAL", "PROXY"};
    static const char *const families[] = {"UNSPEC", "INET", "INET6", "UNIX"};
    static const char *const transports[] = {"UNSPEC", "STREAM", "DGRAM"};

    print_code(out, "command", hdr->command, commands, 2);
    print_code(out, "family", hdr->family, families, 4);
    print_code(out, "transport", hdr->transport, transports, 3);
}

static void print_endpoint(FILE *out, const char *key, unsigned family,
                           const proxyproto_addr *a)
{
    char text[PROXYPROTO_IP_STRLEN];

    fprintf(out, ",\"%s\":", key);
    if (family == PROXYPROTO_AF_UNIX) {
        cli_json_string(out, a->path, a->path_len); /* no port for UNIX */
        return;
    }
    if ((family == PROXYPROTO_AF_INET
             ? proxyproto_format_ip4(text, sizeof text, a->ip.v4)
             : proxyproto_format_ip6(text, sizeof text, a->ip.v6)) < 0)
        text[0] = '\0'; /* cannot happen for INET/INET6 with this buffer */
    fprintf(out, "\"%s\",\"%s_port\":%u", text, key, (unsigned)a->port);
}

/* A header whose TLV area is just this one TLV, so that the library's
 * first-TLV-of-a-type accessors validate this TLV and not an earlier one
 * of the same type. */
static proxyproto_header single_tlv_view(const proxyproto_header *hdr,
                                         const proxyproto_tlv *tlv)
{
    proxyproto_header view = *hdr;
    view.tlvs = tlv->value - 3; /* type and length come before the value */
    view.tlvs_len = 3 + (size_t)tlv->len;
    return view;
}

static void print_tlv_list(FILE *out, const uint8_t *area, size_t len);

static void print_ssl(FILE *out, const proxyproto_header *view)
{
    proxyproto_ssl ssl;

    if (proxyproto_ssl_get(view, &ssl) != 0)
        return; /* a parsed header's SSL TLVs are valid; be safe anyway */
    fprintf(out, ",\"ssl\":{\"client\":%u,\"verify\":%" PRIu32 ",\"tlvs\":",
            (unsigned)ssl.client, ssl.verify);
    print_tlv_list(out, ssl.subtlvs, ssl.subtlvs_len);
    putc('}', out);
}

/* proxyproto(7) section 4: vendor TLVs are interpreted only when their layout
 * is valid; an invalid one is still listed, with its raw value. */
static void print_vendor(FILE *out, const proxyproto_header *view,
                         uint8_t type)
{
    const char *id;
    size_t id_len;
    uint32_t linkid;
    uint64_t psc_id;

    if (type == PROXYPROTO_TLV_AWS &&
        proxyproto_aws_vpce_id(view, &id, &id_len) == 0) {
        fputs(",\"aws_vpce_id\":", out);
        cli_json_string(out, (const uint8_t *)id, id_len);
    } else if (type == PROXYPROTO_TLV_AZURE &&
               proxyproto_azure_linkid(view, &linkid) == 0) {
        fprintf(out, ",\"azure_linkid\":%" PRIu32, linkid);
    } else if (type == PROXYPROTO_TLV_GCP &&
               proxyproto_gcp_psc_id(view, &psc_id) == 0) {
        fprintf(out, ",\"gcp_psc_id\":%" PRIu64, psc_id);
    }
}

static void print_tlv(FILE *out, const proxyproto_tlv *tlv)
{
    fprintf(out, "{\"type\":%u,\"length\":%u,\"value\":", (unsigned)tlv->type,
            (unsigned)tlv->len);
    cli_json_hex(out, tlv->value, tlv->len);
}

/* Lists the TLVs of area[0..len) as plain objects (used for SSL sub-TLVs,
 * where no type has a further meaning). */
static void print_tlv_list(FILE *out, const uint8_t *area, size_t len)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv tlv;
    const char *sep = "";

    putc('[', out);
    proxyproto_tlv_iter_init(&it, area, len);
    while (proxyproto_tlv_next(&it, &tlv)) {
        fputs(sep, out);
        print_tlv(out, &tlv);
        putc('}', out);
        sep = ",";
    }
    putc(']', out);
}

static void print_top_tlvs(FILE *out, const proxyproto_header *hdr)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv tlv;
    const char *sep = "";

    putc('[', out);
    proxyproto_tlv_iter_init(&it, hdr->tlvs, hdr->tlvs_len);
    while (proxyproto_tlv_next(&it, &tlv)) {
        proxyproto_header view = single_tlv_view(hdr, &tlv);
        fputs(sep, out);
        print_tlv(out, &tlv);
        if (tlv.type == PROXYPROTO_TLV_SSL)
            print_ssl(out, &view);
        else
            print_vendor(out, &view, tlv.type);
        putc('}', out);
        sep = ",";
    }
    putc(']', out);
}

void cli_report_ok(FILE *out, const proxyproto_header *hdr, size_t input_len)
{
    fprintf(out, "{\"result\":\"ok\",\"version\":%u", (unsigned)hdr->version);
    print_codes(out, hdr);
    if (hdr->has_addresses) {
        print_endpoint(out, "src", hdr->family, &hdr->src);
        print_endpoint(out, "dst", hdr->family, &hdr->dst);
    }
    fprintf(out, ",\"header_len\":%zu,\"payload_len\":%zu,\"tlvs\":",
            hdr->header_len, input_len - hdr->header_len);
    print_top_tlvs(out, hdr);
    fputs("}\n", out);
}

static void print_text(FILE *out, const char *s)
{
    cli_json_string(out, (const uint8_t *)s, strlen(s));
}

void cli_report_invalid(FILE *out, int code)
{
    fputs("{\"result\":\"invalid\",\"error\":", out);
    print_text(out, proxyproto_error_name(code));
    fputs(",\"message\":", out);
    print_text(out, proxyproto_strerror(code)); /* it has quotes in it */
    fputs("}\n", out);
}

void cli_report_incomplete(FILE *out, size_t need)
{
    fprintf(out, "{\"result\":\"incomplete\",\"need\":%zu}\n", need);
}
