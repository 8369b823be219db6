/* IPv4 and IPv6 address text of v1 lines (proxyproto(7) section 2): strict, no
 * leading zeros in IPv4 octets, RFC 4291 IPv6 forms, no zone id. */
#include "internal.h"

#include <string.h>

static int is_digit(uint8_t c)
{
    return (unsigned)(c - '0') < 10;
}

/* Value of a hex digit, or -1. */
static int hex_value(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20; /* fold to lower case */
    return (unsigned)(c - 'a') < 6 ? c - 'a' + 10 : -1;
}

/* One decimal octet 0..255, no leading zero ("0" alone is fine). */
static const uint8_t *octet(const uint8_t *p, const uint8_t *end, uint8_t *out,
                            int *err)
{
    unsigned v;

    if (p == end || !is_digit(*p)) {
        *err = PROXYPROTO_ERR_V1_BAD_IPV4;
        return NULL;
    }
    v = *p++ - '0';
    if (v == 0 && p < end && is_digit(*p)) {
        *err = PROXYPROTO_ERR_V1_IPV4_LEADING_ZERO;
        return NULL;
    }
    while (p < end && is_digit(*p)) {
        v = v * 10 + (*p++ - '0');
        if (v > 255) {
            *err = PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE;
            return NULL;
        }
    }
    *out = (uint8_t)v;
    return p;
}

PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv4(const uint8_t *p, const uint8_t *end,
                                      uint8_t out[4], int *err)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (i > 0) {
            if (p == end || *p != '.') {
                *err = PROXYPROTO_ERR_V1_BAD_IPV4;
                return NULL;
            }
            p++;
        }
        p = octet(p, end, &out[i], err);
        if (p == NULL)
            return NULL;
    }
    /* A fifth octet or a stray digit/dot is not an IPv4 address. */
    if (p < end && (*p == '.' || hex_value(*p) >= 0)) {
        *err = PROXYPROTO_ERR_V1_BAD_IPV4;
        return NULL;
    }
    return p;
}

/* Up to 4 hex digits; returns the cursor after them (== p when none). */
static const uint8_t *hex_group(const uint8_t *p, const uint8_t *end,
                                unsigned *value, int *err)
{
    unsigned v = 0;
    int n = 0, d;

    while (p < end && (d = hex_value(*p)) >= 0) {
        if (++n > 4) {
            *err = PROXYPROTO_ERR_V1_BAD_IPV6;
            return NULL;
        }
        v = v << 4 | (unsigned)d;
        p++;
    }
    *value = v;
    return p;
}

/* Moves the groups after "::" to the end of the 16 bytes and zero-fills the
 * gap, which must stand for at least one group (RFC 4291 2.2). */
static int expand_gap(uint8_t out[16], int groups, int gap_at)
{
    int tail = groups - gap_at;

    if (gap_at < 0)
        return groups == 8;
    if (groups >= 8)
        return 0;
    memmove(out + 16 - 2 * tail, out + 2 * gap_at, (size_t)(2 * tail));
    memset(out + 2 * gap_at, 0, (size_t)(2 * (8 - groups)));
    return 1;
}

PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv6(const uint8_t *p, const uint8_t *end,
                                      uint8_t out[16], int *err)
{
    int groups = 0, gap_at = -1;

    *err = PROXYPROTO_ERR_V1_BAD_IPV6;
    if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
        gap_at = 0;
        p += 2;
    }
    while (p < end && groups < 8) {
        const uint8_t *start = p;
        unsigned v;

        p = hex_group(p, end, &v, err);
        if (p == NULL || p == start)
            break; /* no group here: the address ends (checked below) */
        if (p < end && *p == '.') {
            /* dotted IPv4 tail: two groups, IPv4 rules (proxyproto(7)
             * section 2); a malformed tail is a malformed IPv6 address */
            if (groups > 6)
                return NULL;
            p = proxyproto__parse_ipv4(start, end, out + 2 * groups, err);
            if (p == NULL) {
                if (*err == PROXYPROTO_ERR_V1_BAD_IPV4)
                    *err = PROXYPROTO_ERR_V1_BAD_IPV6;
                return NULL;
            }
            groups += 2;
            break;
        }
        out[2 * groups] = (uint8_t)(v >> 8);
        out[2 * groups + 1] = (uint8_t)v;
        groups++;
        if (p == end || *p != ':')
            break;
        if (end - p >= 2 && p[1] == ':') {
            if (gap_at >= 0)
                return NULL; /* a second "::" */
            gap_at = groups;
            p += 2;
        } else if (++p == end || hex_value(*p) < 0) {
            return NULL; /* trailing single ':' */
        }
    }
    if (p == NULL || (p < end && (*p == ':' || *p == '.' || hex_value(*p) >= 0)))
        return NULL;
    if (!expand_gap(out, groups, gap_at))
        return NULL;
    return p;
}
