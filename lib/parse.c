/* proxyproto_parse(): picks v1 or v2 from the first byte (proxyproto(7)
 * section 1). */
#include "internal.h"
#include "parse_v2_fast.h"
#include "tcp4_ssse3.h"

/* Shortest complete header: "PROXY UNKNOWN\r\n" (proxyproto(7) section 2). */
#define SHORTEST_HEADER 15

PROXYPROTO_API int proxyproto_parse(proxyproto_header *hdr, const void *buf,
                                    size_t len, size_t last_len)
{
    const uint8_t *p = (const uint8_t *)buf;

    if (hdr == NULL || (p == NULL && len > 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* The usual v2 header first: its signature check also picks v2. A
     * NULL buf has len 0 here, which the next test answers. */
    if (len >= PROXYPROTO_V2_FIXED_LEN && proxyproto__v2_fast_sig(p))
        return proxyproto__parse_v2_fast(hdr, p, len);
    if (len == 0) {
        hdr->need = SHORTEST_HEADER;
        return PROXYPROTO_INCOMPLETE;
    }
    if (p[0] == 'P') {
#if defined(PROXYPROTO__TCP4_SSSE3)
        /* A fresh line only: a resumed one goes on from where it stopped */
        if (last_len == 0 && len >= TCP4_SSSE3_MIN && p[9] == '4' && tcp4_ssse3_available())
            return tcp4_line_ssse3(hdr, p, len);
#endif
        return proxyproto__parse_v1(hdr, p, len, last_len < len ? last_len : 0);
    }
    if (p[0] == '\r')
        return proxyproto__parse_v2(hdr, p, len);
    return PROXYPROTO_ERR_NOT_PROXY;
}
