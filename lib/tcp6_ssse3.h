/* The fields of a whole TCP6 line read with SSSE3, as tcp4_ssse3.h reads
 * TCP4 lines: accept-only, anything else goes to the one v1 reader
 * (parse_v1.c, read_ip.h), which gives the error code, where it stands,
 * and `need`.
 *
 * Address: 40 bytes (the longest text without a dotted tail, 39, and the
 * byte that stops it) in three windows give the masks of hex digits and
 * colons, and for each byte the two bytes of the group that would end
 * there (from the nibbles of it and the three bytes before). The text ends
 * at the first byte that is neither digit nor colon. Its shape is judged
 * on the masks at once: groups of 1 to 4 digits; without "::", eight
 * groups and no colon at either end; with one "::", at most seven groups,
 * and a colon at an end only as part of it. Then each group is two bytes
 * copied from where its last digit stands: the groups before the "::" to
 * the front of the 16 bytes, those after it to the back.
 * Text with a dotted tail, or with fewer than 40 bytes left in the buffer,
 * is read by ip_read_ipv6() of read_ip.h (inlined here). */
#ifndef PROXYPROTO_TCP6_SSSE3_H
#define PROXYPROTO_TCP6_SSSE3_H

#include "tcp4_ssse3.h"
#include "read_ip.h"

#if defined(PROXYPROTO__TCP4_SSSE3)

/* The most bytes the windows read: the longest text without a dotted
 * tail and the byte that stops it. */
#define IPV6_WINDOW 40

/* One 16-byte window of IPv6 text: the masks of its hex digits (returned)
 * and colons (*colons), and for each byte i the group value bytes a group
 * whose last digit stood at i would have: its high byte (0 unless the two
 * bytes before i are digits too) then its low byte, in groups[2i, 2i + 1].
 * prev_nib / prev_hex carry the window before (zeros for the first), and
 * take this one's for the next. */
TCP4_SSSE3_INLINE unsigned ipv6_window(__m128i text, __m128i *prev_nib, __m128i *prev_hex,
                                       unsigned *colons, uint8_t groups[32])
{
    const __m128i digit_value = _mm_sub_epi8(text, _mm_set1_epi8('0'));
    const __m128i letter_value = _mm_sub_epi8(_mm_or_si128(text, _mm_set1_epi8(0x20)),
                                              _mm_set1_epi8('a'));
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(digit_value, _mm_set1_epi8(9)),
                                         digit_value);
    const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(letter_value, _mm_set1_epi8(5)),
                                          letter_value);
    const __m128i hex = _mm_or_si128(digit, letter);
    /* nibble values, 0 for other bytes (colons): nib[i] */
    const __m128i nib = _mm_or_si128(_mm_and_si128(digit, digit_value),
                                     _mm_and_si128(letter, _mm_add_epi8(letter_value,
                                                                        _mm_set1_epi8(10))));
    /* nib[i - k] and hex[i - k], across the window before */
    const __m128i nib1 = _mm_alignr_epi8(nib, *prev_nib, 15);
    const __m128i nib2 = _mm_alignr_epi8(nib, *prev_nib, 14);
    const __m128i nib3 = _mm_alignr_epi8(nib, *prev_nib, 13);
    const __m128i two_digits_before = _mm_and_si128(_mm_alignr_epi8(hex, *prev_hex, 15),
                                                    _mm_alignr_epi8(hex, *prev_hex, 14));
    /* nibbles are at most 15: a 16-bit shift by 4 keeps each in its byte */
    const __m128i low = _mm_or_si128(_mm_slli_epi16(nib1, 4), nib);
    const __m128i high = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nib3, 4), nib2),
                                       two_digits_before);

    _mm_storeu_si128((__m128i *)(void *)groups, _mm_unpacklo_epi8(high, low));
    _mm_storeu_si128((__m128i *)(void *)(groups + 16), _mm_unpackhi_epi8(high, low));
    *prev_nib = nib;
    *prev_hex = hex;
    *colons = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8(':')));
    return (unsigned)_mm_movemask_epi8(hex);
}

/* The IPv6 text at p, with IPV6_WINDOW bytes readable: its length, with
 * the address in out, or 0 (no dotted tail here). */
TCP4_SSSE3_INLINE size_t ipv6_address(const uint8_t *p, uint8_t out[16])
{
    uint8_t groups[2 * 48]; /* two bytes per text byte: ipv6_window() */
    __m128i nib = _mm_setzero_si128(), hex_bytes = _mm_setzero_si128();
    unsigned c0, c1, c2, len;
    uint64_t hex, colons, pair, ends, before;
    uint8_t *o;

    hex = ipv6_window(_mm_loadu_si128((const __m128i *)(const void *)p), &nib, &hex_bytes,
                      &c0, groups);
    hex |= (uint64_t)ipv6_window(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
                                 &nib, &hex_bytes, &c1, groups + 32) << 16;
    hex |= (uint64_t)ipv6_window(_mm_loadl_epi64((const __m128i *)(const void *)(p + 32)),
                                 &nib, &hex_bytes, &c2, groups + 64) << 32;
    colons = c0 | (uint64_t)c1 << 16 | (uint64_t)c2 << 32;
    len = (unsigned)__builtin_ctzll(~(hex | colons));
    if (len >= IPV6_WINDOW || len == 0)
        return 0;
    hex &= ((uint64_t)1 << len) - 1;
    colons &= ((uint64_t)1 << len) - 1;
    pair = colons & colons >> 1; /* "::" at each of its bits */
    if ((hex & hex >> 1 & hex >> 2 & hex >> 3 & hex >> 4) != 0 || (pair & (pair - 1)) != 0)
        return 0; /* a fifth digit, a second "::" or ":::" */
    if (pair == 0 ? (hex & 1) == 0 || (hex >> (len - 1) & 1) == 0
                  : ((colons & 1) != 0 && pair != 1) ||
                        ((colons >> (len - 1) & 1) != 0 && pair >> (len - 2) != 1))
        return 0; /* a colon alone at an end */
    ends = hex & ~(hex >> 1); /* each group's last digit */
    before = pair == 0 ? ends : ends & (pair - 1); /* the groups before "::" */
    ends &= ~before;
    /* eight groups without "::"; with it, seven at most (it stands for
     * one group or more) */
    if (pair == 0 ? __builtin_popcountll(before) != 8
                  : __builtin_popcountll(before) + __builtin_popcountll(ends) > 7)
        return 0;
    memset(out, 0, 16);
    for (o = out; before != 0; o += 2) {
        memcpy(o, groups + 2 * __builtin_ctzll(before), 2);
        before &= before - 1;
    }
    for (o = out + 14; ends != 0; o -= 2) { /* after "::", from the last */
        unsigned e = 63 - (unsigned)__builtin_clzll(ends);

        memcpy(o, groups + 2 * e, 2);
        ends &= ~((uint64_t)1 << e);
    }
    return len;
}

/* An IPv6 address field and the space after it at *pp, reading no byte at
 * or past end: 1 with *pp after the space, or 0. */
TCP4_SSSE3_INLINE int ipv6_field(const uint8_t **pp, const uint8_t *end, uint8_t out[16])
{
    const uint8_t *p = *pp;
    size_t need, n;

    if (end - p >= IPV6_WINDOW && (n = ipv6_address(p, out)) != 0) {
        p += n;
    } else if ((end - p >= IPV6_TEXT_MAX ? ip_read_ipv6(&p, end, 0, out, &need)
                                         : ip_read_ipv6(&p, end, 1, out, &need)) != 0) {
        return 0;
    }
    if (p == end || *p != ' ')
        return 0;
    *pp = p + 1;
    return 1;
}

/* Shortest buffer worth a try: "PROXY TCP6 ", "::" twice, the ports. */
#define TCP6_SSSE3_MIN (11 + 3 + 3 + 5)

/* proxyproto_parse() of a v1 line at buf, len >= TCP6_SSSE3_MIN and
 * buf[9] == '6', as tcp4_line_ssse3() for TCP4. */
TCP4_SSSE3_LINE int tcp6_line_ssse3(proxyproto_header *hdr, const uint8_t *buf,
                                    size_t len, size_t last_len)
{
    const uint8_t *p = buf + 11, *end = buf + (len < PROXYPROTO_V1_MAX_LEN ? len : PROXYPROTO_V1_MAX_LEN);
    size_t ports;

    if (!proxyproto__same8(buf, "PROXY TC") || buf[8] != 'P' || buf[10] != ' ' ||
        !ipv6_field(&p, end, hdr->src.ip.v6) || !ipv6_field(&p, end, hdr->dst.ip.v6) ||
        end - buf < 16 || (ports = tcp4_ports(p, end, &hdr->src.port, &hdr->dst.port)) == 0)
        return proxyproto__parse_v1(hdr, buf, len, last_len < len ? last_len : 0);
    return proxyproto__v1_tcp_done(hdr, PROXYPROTO_AF_INET6, (size_t)(p - buf) + ports);
}

#endif
#endif /* PROXYPROTO_TCP6_SSSE3_H */
