/* Address text outside v1 lines (CIDR entries of a trust policy), read by
 * the readers of the v1 fields (read_ip.h): the same strict rules. */
#include "internal.h"
#include "read_ip.h"

/* The whole of p[0..end) read by one of the readers: p's end closes the
 * text. */
static const uint8_t *whole_text(int rc, const uint8_t *p, size_t need,
                                 int bad, int *err)
{
    if (rc == PROXYPROTO_INCOMPLETE)
        rc = need == 0 ? 0 : bad; /* the text stopped short */
    if (rc != 0) {
        *err = rc;
        return NULL;
    }
    return p;
}

PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv4(const uint8_t *p,
                                                          const uint8_t *end,
                                                          uint8_t out[4], int *err)
{
    size_t need = 0;
    int rc = ip_read_ipv4(&p, end, 1, out, &need);

    return whole_text(rc, p, need, PROXYPROTO_ERR_V1_BAD_IPV4, err);
}

PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv6(const uint8_t *p,
                                                          const uint8_t *end,
                                                          uint8_t out[16], int *err)
{
    size_t need = 0;
    int rc = ip_read_ipv6(&p, end, 1, out, &need);

    return whole_text(rc, p, need, PROXYPROTO_ERR_V1_BAD_IPV6, err);
}
