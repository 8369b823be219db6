/* What a header says about the client beyond its address: TLS facts from
 * the SSL TLV, SNI, ALPN, unique id (proxyproto(7) section 4), as spans. */
#include "internal.h"

#include <string.h>

/* The first TLV of `type` in area[off..len) as a span; left empty if none. */
static void details_find_text(const uint8_t *area, size_t off, size_t len, uint8_t type,
                              proxyproto_text *out)
{
    size_t at, end;

    if (proxyproto__tlv_find_at(area, off, len, type, &at, &end) == 0) {
        out->ptr = (const char *)area + at;
        out->len = end - at;
    }
}

/* A certificate counts only when the client presented one on this
 * connection or its TLS session: HAProxy sends verify 0 both for "verified"
 * and for "no certificate" (and in health checks). */
static int details_cert_presented(uint8_t client)
{
    return (client & PROXYPROTO_SSL_CLIENT_SSL) != 0 &&
           (client & (PROXYPROTO_SSL_CLIENT_CERT_CONN |
                      PROXYPROTO_SSL_CLIENT_CERT_SESS)) != 0;
}

PROXYPROTO_API int proxyproto_client_cert_verified(const proxyproto_header *hdr)
{
    proxyproto_ssl ssl;

    return hdr != NULL && proxyproto_ssl_get(hdr, &ssl) == 0 &&
           details_cert_presented(ssl.client) && ssl.verify == 0;
}

PROXYPROTO_API int proxyproto_details_get(const proxyproto_header *hdr,
                                          proxyproto_details *d)
{
    proxyproto_ssl ssl;
    size_t sub, end;
    int rc;

    if (hdr == NULL || d == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    memset(d, 0, sizeof *d);
    details_find_text(hdr->tlvs, 0, hdr->tlvs_len, PROXYPROTO_TLV_AUTHORITY, &d->sni);
    details_find_text(hdr->tlvs, 0, hdr->tlvs_len, PROXYPROTO_TLV_ALPN, &d->alpn);
    details_find_text(hdr->tlvs, 0, hdr->tlvs_len, PROXYPROTO_TLV_UNIQUE_ID, &d->unique_id);
    rc = proxyproto__ssl_get_at(hdr, &ssl, &sub, &end);
    if (rc == PROXYPROTO_ERR_TLV_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    d->tls = (ssl.client & PROXYPROTO_SSL_CLIENT_SSL) != 0;
    d->cert_presented = (uint8_t)details_cert_presented(ssl.client);
    d->cert_verified = (uint8_t)(d->cert_presented && ssl.verify == 0);
    d->verify = ssl.verify;
    details_find_text(hdr->tlvs, sub, end, PROXYPROTO_SSL_VERSION, &d->tls_version);
    details_find_text(hdr->tlvs, sub, end, PROXYPROTO_SSL_CIPHER, &d->cipher);
    details_find_text(hdr->tlvs, sub, end, PROXYPROTO_SSL_CN, &d->cn);
    details_find_text(hdr->tlvs, sub, end, PROXYPROTO_SSL_SIG_ALG, &d->sig_alg);
    details_find_text(hdr->tlvs, sub, end, PROXYPROTO_SSL_KEY_ALG, &d->key_alg);
    return 0;
}
