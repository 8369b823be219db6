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

PROXYPROTO_API int proxyproto_tlv_find(const void *area, size_t len,
                                       uint8_t type, proxyproto_tlv *tlv)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;

    proxyproto_tlv_iter_init(&it, area, len);
    while (proxyproto_tlv_next(&it, &t)) {
        if (t.type == type) {
            *tlv = t;
            return 0;
        }
    }
    return PROXYPROTO_ERR_TLV_NOT_FOUND;
}

PROXYPROTO_API int proxyproto_ssl_get(const proxyproto_header *hdr,
                                      proxyproto_ssl *ssl)
{
    proxyproto_tlv t;
    int err = proxyproto_tlv_find(hdr->tlvs, hdr->tlvs_len,
                                  PROXYPROTO_TLV_SSL, &t);

    /* Checked again: hdr may not come from a successful parse. */
    if (err != 0 || (err = proxyproto__v2_check_ssl(t.value, t.len)) != 0)
        return err;
    ssl->client = t.value[0];
    ssl->verify = proxyproto__get32(t.value + 1);
    ssl->subtlvs = t.value + 5;
    ssl->subtlvs_len = t.len - 5u;
    return 0;
}
