/* TLV iteration and lookups over a TLV area (proxyproto(7) section 4). Safe on
 * any bytes: iteration stops at the first TLV that does not fit. */
#include "internal.h"

PROXYPROTO_API void proxyproto_tlv_iter_init(proxyproto_tlv_iter *it,
                                             const void *area, size_t len)
{
    it->next_ = (const uint8_t *)area;
    it->end_ = it->next_ ? it->next_ + len : NULL;
}

PROXYPROTO_API int proxyproto_tlv_next(proxyproto_tlv_iter *it,
                                       proxyproto_tlv *tlv)
{
    const uint8_t *end = it->end_, *p;
    size_t left, len;

    if (it->next_ == NULL || it->next_ >= end)
        return 0;
    /* Positions are taken back from the end, p = end - left: the same
     * bytes, in a form whose bounds Frama-C Eva proves (make prove). */
    left = (size_t)(end - it->next_);
    if (left < 3) {
        it->next_ = end; /* stay at the end on later calls */
        return 0;
    }
    p = end - left;
    len = proxyproto__get16(p + 1);
    if (len > left - 3) {
        it->next_ = end;
        return 0;
    }
    tlv->type = p[0];
    tlv->len = (uint16_t)len;
    tlv->value = p + 3;
    it->next_ = end - (left - 3 - len);
    return 1;
}

/* The walk of proxyproto_tlv_next() (it stops at the first TLV that does
 * not fit), as offsets from the area's start: each TLV's end computed once
 * and compared with len before a byte of it is read, so that Frama-C Eva
 * (make prove) bounds the value's reads by the compare alone. */
PROXYPROTO__PRIVATE int proxyproto__tlv_find_at(const uint8_t *area, size_t off, size_t len,
                                                uint8_t type, size_t *at, size_t *end)
{
    if (area == NULL)
        return PROXYPROTO_ERR_TLV_NOT_FOUND;
    while (off + 3 <= len) {
        size_t next = off + 3 + proxyproto__get16(area + off + 1);

        if (next > len)
            break;
        if (area[off] == type) {
            *at = off + 3;
            *end = next;
            return 0;
        }
        off = next;
    }
    return PROXYPROTO_ERR_TLV_NOT_FOUND;
}

PROXYPROTO_API int proxyproto_tlv_find(const void *area, size_t len,
                                       uint8_t type, proxyproto_tlv *tlv)
{
    const uint8_t *a = (const uint8_t *)area;
    size_t at, end;
    int err = proxyproto__tlv_find_at(a, 0, len, type, &at, &end);

    if (err != 0)
        return err;
    tlv->type = type;
    tlv->len = (uint16_t)(end - at);
    tlv->value = a + at;
    return 0;
}

PROXYPROTO__PRIVATE int proxyproto__ssl_get_at(const proxyproto_header *hdr,
                                               proxyproto_ssl *ssl, size_t *sub,
                                               size_t *end)
{
    const uint8_t *a = hdr->tlvs;
    size_t at;
    int err = proxyproto__tlv_find_at(a, 0, hdr->tlvs_len, PROXYPROTO_TLV_SSL, &at, end);

    if (err != 0)
        return err;
    /* Checked again: hdr may not come from a successful parse. The fixed
     * 5 bytes here too, so that the reads below follow a compare (make
     * prove). */
    if (at + 5 > *end)
        return PROXYPROTO_ERR_V2_SSL_TOO_SHORT;
    if ((err = proxyproto__v2_check_ssl(a, at, *end)) != 0)
        return err;
    ssl->client = a[at];
    ssl->verify = proxyproto__get32(a + at + 1);
    ssl->subtlvs = a + at + 5;
    ssl->subtlvs_len = *end - at - 5;
    *sub = at + 5;
    return 0;
}

PROXYPROTO_API int proxyproto_ssl_get(const proxyproto_header *hdr,
                                      proxyproto_ssl *ssl)
{
    size_t sub, end;

    return proxyproto__ssl_get_at(hdr, ssl, &sub, &end);
}
