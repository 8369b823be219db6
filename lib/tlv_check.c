/* Validation of a v2 TLV area inside proxyproto_parse(), proxyproto(7)
 * section 4, so that a header that parsed is safe to iterate.
 *
 * Positions are offsets from the start of the header, each new end
 * computed once and compared with the end it must not pass before any
 * byte is read or any pointer formed there: the same compares as a
 * pointer walk, in a form whose bounds Frama-C Eva proves for every
 * length field (make prove), since the start is one known place and
 * every compare bounds the offset itself. */
#include "internal.h"

#define TLV_HEADER_LEN 3
#define SSL_FIXED_LEN 5 /* client (1) + verify (4) */

/* The SSL TLV's value h[at..end): its sub-TLVs must tile the rest of it
 * after the fixed 5 bytes exactly. at <= end. */
PROXYPROTO__INLINE int check_ssl_at(const uint8_t *h, size_t at, size_t end)
{
    if (at + SSL_FIXED_LEN > end)
        return PROXYPROTO_ERR_V2_SSL_TOO_SHORT;
    for (at += SSL_FIXED_LEN; at != end;) {
        size_t next;

        if (at + TLV_HEADER_LEN > end)
            return PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED;
        next = at + TLV_HEADER_LEN + proxyproto__get16(h + at + 1);
        if (next > end)
            return PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN;
        at = next;
    }
    return 0;
}

PROXYPROTO__PRIVATE int proxyproto__v2_check_ssl(const uint8_t *h, size_t at, size_t end)
{
    return check_ssl_at(h, at, end);
}

/* Rules on one well-framed TLV's value h[at..end); h[0..h_len) is the
 * whole header. */
static int check_value(const uint8_t *h, size_t h_len, uint8_t type, size_t at,
                       size_t end)
{
    switch (type) {
    case PROXYPROTO_TLV_CRC32C:
        if (end != at + 4)
            return PROXYPROTO_ERR_V2_CRC32C_LENGTH;
        if (proxyproto__crc32c_header(h, h_len, at) != proxyproto__get32(h + at))
            return PROXYPROTO_ERR_V2_CRC32C_MISMATCH;
        return 0;
    case PROXYPROTO_TLV_UNIQUE_ID:
        return end - at > PROXYPROTO_UNIQUE_ID_MAX ? PROXYPROTO_ERR_V2_UNIQUE_ID_TOO_LONG
                                                   : 0;
    case PROXYPROTO_TLV_SSL:
        return check_ssl_at(h, at, end);
    default: /* unknown types are skipped, never rejected */
        return 0;
    }
}

PROXYPROTO__PRIVATE int proxyproto__v2_check_tlvs(const uint8_t *h, size_t h_len, size_t off,
                              int local)
{
    int err, ignore = 0;

    while (off != h_len) { /* off never passes h_len: each step is checked */
        size_t end;

        if (off + TLV_HEADER_LEN > h_len) {
            err = PROXYPROTO_ERR_V2_TLV_TRUNCATED;
            goto malformed;
        }
        end = off + TLV_HEADER_LEN + proxyproto__get16(h + off + 1);
        if (end > h_len) {
            err = PROXYPROTO_ERR_V2_TLV_OVERRUN;
            goto malformed;
        }
        err = check_value(h, h_len, h[off], off + TLV_HEADER_LEN, end);
        /* LOCAL (proxyproto(7) section 3): a malformed area is ignored, but a
         * wrong CRC32C still rejects; keep walking to find one. */
        if (err != 0 && (!local || err == PROXYPROTO_ERR_V2_CRC32C_MISMATCH))
            return err;
        if (err != 0)
            ignore = PROXYPROTO__TLVS_IGNORED;
        off = end;
    }
    return ignore;

malformed: /* framing broken: the TLVs after this point cannot be found */
    return local ? PROXYPROTO__TLVS_IGNORED : err;
}
