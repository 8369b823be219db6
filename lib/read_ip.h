/* Address and port text of v1 lines (proxyproto(7) section 2): the one
 * reader of IPv4, IPv6 and port fields, used by the v1 line reader and by
 * CIDR text. Strict: no leading zeros in IPv4 octets or ports, RFC 4291
 * IPv6 forms, no zone id.
 *
 * Each reader judges the bytes from *pp one by one, each byte once (but
 * the first octet of a dotted IPv6 tail, read as a group, then as an
 * octet), and stops at the first byte it cannot take. It returns
 *   0                      the text is whole; *pp is at the byte after it,
 *                          which is in (the caller judges it: a separator,
 *                          or an error);
 *   PROXYPROTO_INCOMPLETE  the bytes ran out at `end`; *need is the fewest
 *                          further bytes that make the text whole (0 when
 *                          it may be whole already and only its end is
 *                          still to come);
 *   an error code          the byte at *pp breaks the rule the code names.
 *
 * `checked`: 0 promises that the bytes run on past anything the reader can
 * look at (IPV4_TEXT_MAX, IPV6_TEXT_MAX or PORT_TEXT_MAX bytes from the
 * start), so that the compiler drops
 * every end test; the readers are inlined with a constant there. 1 tests
 * every byte against `end`. Same code, same answers. */
#ifndef PROXYPROTO_READ_IP_H
#define PROXYPROTO_READ_IP_H

#include "internal.h"

#include <string.h>

#if defined(__GNUC__)
#define IP_INLINE static inline __attribute__((always_inline))
#else
#define IP_INLINE static inline
#endif

/* The most bytes a reader looks at from its start: the longest text plus
 * the byte that stops it. IPv6 with a dotted tail is 45 bytes
 * (ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255); a port is 5 digits. */
#define IPV4_TEXT_MAX 16
#define IPV6_TEXT_MAX 46
#define PORT_TEXT_MAX 6

/* Is byte p[k] in? */
#define IP_IN(k) (!checked || (k) < end - p)

/* Hex digit values; 16 and above (0xFF) marks a byte that is no hex
 * digit: one load and one compare per digit. */
#define IP_NOT_HEX(h) ((h) > 15)
static const uint8_t ip_hex[256] = {
#define IP_X16 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
    IP_X16, IP_X16, IP_X16,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 10, 11, 12, 13, 14, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    IP_X16,
    0xFF, 10, 11, 12, 13, 14, 15, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    IP_X16, IP_X16, IP_X16, IP_X16, IP_X16, IP_X16, IP_X16, IP_X16, IP_X16
#undef IP_X16
};

/* One decimal octet 0..255 with no leading zero ("0" alone is fine), the
 * i-th of an address (0..3), judged at the byte that breaks a rule: "01"
 * at its second digit, "256" at its third, a fourth digit out of range.
 * Fixed offsets, so that the usual octet costs a few instructions a digit. */
IP_INLINE int ip_octet(const uint8_t **pp, const uint8_t *end, int checked,
                       int i, uint8_t *out, size_t *need)
{
    const uint8_t *p = *pp;
    unsigned v, d;
    int n;

    if (!IP_IN(0)) {
        *need = 1u + 2u * (unsigned)(3 - i); /* a digit, then ".0" each */
        return PROXYPROTO_INCOMPLETE;
    }
    if ((v = (unsigned)(p[0] - '0')) > 9)
        return PROXYPROTO_ERR_V1_BAD_IPV4; /* empty, or not a digit */
    n = 1;
    if (!IP_IN(1))
        goto ran_out;
    if ((d = (unsigned)(p[1] - '0')) > 9)
        goto done;
    if (v == 0) {
        *pp = p + 1;
        return PROXYPROTO_ERR_V1_IPV4_LEADING_ZERO;
    }
    v = v * 10 + d;
    n = 2;
    if (!IP_IN(2))
        goto ran_out;
    if ((d = (unsigned)(p[2] - '0')) > 9)
        goto done;
    v = v * 10 + d;
    n = 3;
    if (v > 255 || (IP_IN(3) && (unsigned)(p[3] - '0') <= 9)) {
        *pp = p + (v > 255 ? 2 : 3); /* a fourth digit: 1000 or more */
        return PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE;
    }
    if (!IP_IN(3))
        goto ran_out;
done:
    *out = (uint8_t)v;
    *pp = p + n;
    return 0;
ran_out:
    *out = (uint8_t)v;
    *pp = p + n;
    *need = 2u * (unsigned)(3 - i);
    return PROXYPROTO_INCOMPLETE;
}

/* The dot before octet i (1..3). */
IP_INLINE int ip_dot(const uint8_t **pp, const uint8_t *end, int checked, int i,
                     size_t *need)
{
    const uint8_t *p = *pp;

    if (!IP_IN(0)) {
        *need = 2u * (unsigned)(4 - i);
        return PROXYPROTO_INCOMPLETE;
    }
    if (*p != '.')
        return PROXYPROTO_ERR_V1_BAD_IPV4; /* too few octets */
    *pp = p + 1;
    return 0;
}

/* Four octets joined by dots. */
IP_INLINE int ip_read_ipv4(const uint8_t **pp, const uint8_t *end, int checked,
                           uint8_t out[4], size_t *need)
{
    int rc;

    if ((rc = ip_octet(pp, end, checked, 0, &out[0], need)) == 0 &&
        (rc = ip_dot(pp, end, checked, 1, need)) == 0 &&
        (rc = ip_octet(pp, end, checked, 1, &out[1], need)) == 0 &&
        (rc = ip_dot(pp, end, checked, 2, need)) == 0 &&
        (rc = ip_octet(pp, end, checked, 2, &out[2], need)) == 0 &&
        (rc = ip_dot(pp, end, checked, 3, need)) == 0)
        rc = ip_octet(pp, end, checked, 3, &out[3], need);
    return rc;
}

/* Bytes that make `groups` groups whole after a group: none when a "::"
 * is in or the eighth group is, else "::". */
IP_INLINE size_t ip_after_group(int groups, int gap_at)
{
    return gap_at >= 0 || groups == 8 ? 0 : 2;
}

/* Group i of an IPv6 address, big-endian, as one 16-bit store. */
IP_INLINE void ip_put_group(uint8_t out[16], int i, unsigned v)
{
    uint8_t be[2];

    be[0] = (uint8_t)(v >> 8);
    be[1] = (uint8_t)v;
    memcpy(out + 2 * i, be, 2);
}

/* Moves the groups after "::" to the end of the 16 bytes; out was zeroed,
 * so the slots they leave and the rest of the gap are zero. */
IP_INLINE void ip_expand_gap(uint8_t out[16], int groups, int gap_at)
{
    int i, shift = 8 - groups;

    for (i = groups - 1; i >= gap_at; i--) { /* from the end: they overlap */
        out[2 * (i + shift)] = out[2 * i];
        out[2 * (i + shift) + 1] = out[2 * i + 1];
        out[2 * i] = out[2 * i + 1] = 0;
    }
}

/* RFC 4291 text: 1 to 4 hex digits per group, one "::" standing for one or
 * more zero groups, eight groups without it, a dotted IPv4 tail (IPv4 rules,
 * malformed tails are malformed IPv6) as the last two. Each rule is judged at
 * the byte that breaks it: a fifth digit, a ':' after the eighth group (or
 * the seventh when a "::" is in), a second "::", a lone ':', a '.' where no
 * tail fits; a missing "::" at the byte after the seventh group. */
IP_INLINE int ip_read_ipv6(const uint8_t **pp, const uint8_t *end, int checked,
                           uint8_t out[16], size_t *need)
{
    const uint8_t *p = *pp, *start;
    int groups = 0, gap_at = -1, room = 8, rc, n;
    unsigned v, h;

    memset(out, 0, 16); /* for ip_expand_gap() */
    if (!IP_IN(0)) {
        *need = 2; /* "::" */
        goto more;
    }
    if (*p == ':') {
        if (!IP_IN(1)) {
            p++;
            *need = 1;
            goto more;
        }
        p++;
        if (*p != ':')
            goto bad; /* a lone ':' first */
        gap_at = 0;
        room = 7;
        p++;
        if (!IP_IN(0)) {
            *need = 0;
            goto more;
        }
        if (IP_NOT_HEX(ip_hex[*p]))
            goto whole; /* "::" alone */
    }
    /* One group a turn, and a turn ends or adds a group before going on:
     * at most 8 turns (said so for the proof). The turns with a "::" in
     * and those without are kept apart: joined, a dotted tail after six
     * groups would seem to start as late as one after a "::" may. */
    /*@ loop unroll 8; */
    for (;;) {
        /*@ split gap_at < 0; */
        start = p;
        if (!IP_IN(0)) {
            *need = 1 + ip_after_group(groups + 1, gap_at);
            goto more;
        }
        if (IP_NOT_HEX(v = ip_hex[p[0]]))
            goto bad; /* no group after a ':' */
        n = 1;
        if (IP_IN(1) && !IP_NOT_HEX(h = ip_hex[p[1]])) {
            v = v << 4 | h;
            n = 2;
            if (IP_IN(2) && !IP_NOT_HEX(h = ip_hex[p[2]])) {
                v = v << 4 | h;
                n = 3;
                if (IP_IN(3) && !IP_NOT_HEX(h = ip_hex[p[3]])) {
                    v = v << 4 | h;
                    n = 4;
                    if (IP_IN(4) && !IP_NOT_HEX(ip_hex[p[4]])) {
                        p += 4;
                        goto bad; /* a fifth digit */
                    }
                }
            }
        }
        /* Each digit count apart, so that the proof sees the n bytes
         * were in before p moves past them. */
        /*@ split n; */
        p += n;
        /*@ merge n; */
        if (!IP_IN(0)) {
            ip_put_group(out, groups, v);
            *need = ip_after_group(++groups, gap_at);
            goto may_end;
        }
        if (*p == ':') {
            ip_put_group(out, groups, v);
            if (++groups == room)
                goto bad; /* no room for another group */
            if (!IP_IN(1)) {
                p++;
                *need = 1; /* ':' or a digit */
                goto more;
            }
            if (p[1] != ':') {
                p++; /* a group must follow: the loop says */
                continue;
            }
            p++;
            if (gap_at >= 0)
                goto bad; /* a second "::" */
            gap_at = groups;
            room = 7; /* "::" stands for one group or more */
            p++;
            if (!IP_IN(0)) {
                *need = 0;
                goto more;
            }
            if (IP_NOT_HEX(ip_hex[*p]))
                goto whole; /* "::" last */
            if (groups == room)
                goto bad; /* an eighth group, and "::" stands for none */
            continue;
        }
        if (*p == '.') {
            /* The group was the first octet of a dotted tail: the last
             * two groups, so 6 before it, or at most 5 and a "::". */
            if (gap_at < 0 ? groups != 6 : groups > 5)
                goto bad;
            p = start;
            rc = ip_read_ipv4(&p, end, checked, out + 2 * groups, need);
            if (rc == PROXYPROTO_ERR_V1_BAD_IPV4)
                rc = PROXYPROTO_ERR_V1_BAD_IPV6;
            if (rc == PROXYPROTO_INCOMPLETE && *need == 0) {
                groups += 2;
                goto may_end;
            }
            if (rc != 0) {
                *pp = p;
                return rc;
            }
            groups += 2;
            goto whole;
        }
        ip_put_group(out, groups, v);
        groups++;
        goto whole; /* the byte after the group ends the text */
    }
whole:
    if (gap_at < 0 && groups != 8)
        goto bad; /* fewer than eight groups and no "::" */
    if (gap_at >= 0)
        ip_expand_gap(out, groups, gap_at);
    *pp = p;
    return 0;
may_end:
    /* The bytes ran out where the text may end: out holds the address
     * it is if nothing follows (for callers whose text ends there). */
    if (*need == 0 && gap_at >= 0)
        ip_expand_gap(out, groups, gap_at);
more:
    *pp = p;
    return PROXYPROTO_INCOMPLETE;
bad:
    *pp = p;
    return PROXYPROTO_ERR_V1_BAD_IPV6;
}

/* Decimal 0..65535, no sign, no leading zero ("0" alone is fine). */
IP_INLINE int ip_read_port(const uint8_t **pp, const uint8_t *end, int checked,
                           uint16_t *out, size_t *need)
{
    const uint8_t *p = *pp;
    unsigned v, d;
    int n = 1;

    if (!IP_IN(0)) {
        *need = 1;
        return PROXYPROTO_INCOMPLETE;
    }
    if ((v = (unsigned)(p[0] - '0')) > 9)
        return PROXYPROTO_ERR_V1_BAD_PORT;
    if (IP_IN(1) && (d = (unsigned)(p[1] - '0')) <= 9) {
        if (v == 0) {
            *pp = p + 1;
            return PROXYPROTO_ERR_V1_PORT_LEADING_ZERO;
        }
        v = v * 10 + d;
        n = 2;
        if (IP_IN(2) && (d = (unsigned)(p[2] - '0')) <= 9) {
            v = v * 10 + d;
            n = 3;
            if (IP_IN(3) && (d = (unsigned)(p[3] - '0')) <= 9) {
                v = v * 10 + d;
                n = 4;
                if (IP_IN(4) && (d = (unsigned)(p[4] - '0')) <= 9) {
                    v = v * 10 + d;
                    n = 5;
                    if (v > 65535 || (IP_IN(5) && (unsigned)(p[5] - '0') <= 9)) {
                        *pp = p + (v > 65535 ? 4 : 5); /* 6 digits: >= 100000 */
                        return PROXYPROTO_ERR_V1_PORT_RANGE;
                    }
                }
            }
        }
    }
    *out = (uint16_t)v;
    *pp = p + n;
    if (!IP_IN(n)) {
        *need = 0;
        return PROXYPROTO_INCOMPLETE;
    }
    return 0;
}

#undef IP_IN

#endif /* PROXYPROTO_READ_IP_H */
