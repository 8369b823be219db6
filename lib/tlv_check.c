/* Validation of a v2 TLV area inside proxyproto_parse(), proxyproto(7)
 * section 4, so that a header that parsed is safe to iterate. */
#include "internal.h"

#define TLV_HEADER_LEN 3
#define SSL_FIXED_LEN 5 /* client (1) + verify (4) */

/* The SSL TLV's sub-TLVs must tile the rest of its value exactly. */
PROXYPROTO__INLINE int check_ssl(const uint8_t *v, size_t len)
{
    const uint8_t *p, *end = v + len;

    if (len < SSL_FIXED_LEN)
        return PROXYPROTO_ERR_V2_SSL_TOO_SHORT;
    p = v + SSL_FIXED_LEN; /* only now: v + 5 may lie past the value */
    while (p != end) { /* p never passes end: each step is checked */
        size_t rest = (size_t)(end - p), sub;

        if (rest < TLV_HEADER_LEN)
            return PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED;
        if ((sub = proxyproto__get16(p + 1)) > rest - TLV_HEADER_LEN)
            return PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN;
        p += TLV_HEADER_LEN + sub;
    }
    return 0;
}

PROXYPROTO__PRIVATE int proxyproto__v2_check_ssl(const uint8_t *v, size_t len)
{
    return check_ssl(v, len);
}

/* Rules on one well-framed TLV's value; h[0..h_len) is the whole header. */
static int check_value(const uint8_t *h, size_t h_len, uint8_t type,
                       const uint8_t *v, size_t len)
{
    switch (type) {
    case PROXYPROTO_TLV_CRC32C:
        if (len != 4)
            return PROXYPROTO_ERR_V2_CRC32C_LENGTH;
        if (proxyproto__crc32c_header(h, h_len, (size_t)(v - h)) != proxyproto__get32(v))
            return PROXYPROTO_ERR_V2_CRC32C_MISMATCH;
        return 0;
    case PROXYPROTO_TLV_UNIQUE_ID:
        return len > PROXYPROTO_UNIQUE_ID_MAX ? PROXYPROTO_ERR_V2_UNIQUE_ID_TOO_LONG : 0;
    case PROXYPROTO_TLV_SSL:
        return check_ssl(v, len);
    default: /* unknown types are skipped, never rejected */
        return 0;
    }
}

PROXYPROTO__PRIVATE int proxyproto__v2_check_tlvs(const uint8_t *h, size_t h_len, size_t off,
                              int local)
{
    const uint8_t *p = h + off, *end = h + h_len;
    int err, ignore = 0;

    while (p != end) { /* p never passes end: each step is checked */
        size_t rest = (size_t)(end - p), len;

        if (rest < TLV_HEADER_LEN) {
            err = PROXYPROTO_ERR_V2_TLV_TRUNCATED;
            goto malformed;
        }
        len = proxyproto__get16(p + 1);
        if (len > rest - TLV_HEADER_LEN) {
            err = PROXYPROTO_ERR_V2_TLV_OVERRUN;
            goto malformed;
        }
        err = check_value(h, h_len, p[0], p + TLV_HEADER_LEN, len);
        /* LOCAL (proxyproto(7) section 3): a malformed area is ignored, but a
         * wrong CRC32C still rejects; keep walking to find one. */
        if (err != 0 && (!local || err == PROXYPROTO_ERR_V2_CRC32C_MISMATCH))
            return err;
        if (err != 0)
            ignore = PROXYPROTO__TLVS_IGNORED;
        p += TLV_HEADER_LEN + len;
    }
    return ignore;

malformed: /* framing broken: the TLVs after this point cannot be found */
    return local ? PROXYPROTO__TLVS_IGNORED : err;
}
