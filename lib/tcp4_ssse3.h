/* The fields of a whole TCP4 line read 16 bytes at a time with SSSE3, for
 * the v1 line reader (parse_v1.c) on x86-64 CPUs that have it and POPCNT
 * (all since 2008; the check is __builtin_cpu_supports(), as for CRC32C).
 *
 * It only accepts: a line it takes is one the reader of parse_v1.c and
 * read_ip.h takes, with the same addresses, ports and length. For anything
 * else (an error, a line not all in, text it cannot place in its 16-byte
 * windows) it answers 0 and parse_v1.c reads the line with the one reader
 * of the rules, which gives the error code, where it stands, and `need`.
 *
 * Address: the digits and dots of 16 bytes as two bit masks; the text ends
 * at the first byte that is neither; its dots and length pick one of the 81
 * shapes of valid text (octets of 1 to 3 digits) by a perfect hash
 * (ipv4_table.h). The shape's shuffle puts each octet's digits in a 32-bit
 * lane as hundreds, tens and ones; two multiply-adds give the four values,
 * each checked <= 255; the shape's `lead` bits say where a '0' would be a
 * leading zero. Ports: both in one window, each one's digits put in a
 * 64-bit half as five digits, two multiply-adds and an add give the values.
 * No branch per byte, octet or digit.
 *
 * -DPROXYPROTO_PORTABLE leaves it out (CI runs the tests so too). */
#ifndef PROXYPROTO_TCP4_SSSE3_H
#define PROXYPROTO_TCP4_SSSE3_H

#include "internal.h"

#if !defined(PROXYPROTO_PORTABLE) && defined(__x86_64__) && !defined(_MSC_VER) && \
    (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5))
#define PROXYPROTO__TCP4_SSSE3 1

#include <tmmintrin.h>
#include <string.h>

#include "ipv4_table.h"

/* Built for SSSE3 already (-mssse3, -march=native): no check. Else the
 * line function carries the target. Out of line either way: inlined, it
 * would make proxyproto_parse() save registers on every path, v2's too. */
#if defined(__SSSE3__) && defined(__POPCNT__)
#define TCP4_SSSE3_LINE static __attribute__((noinline))
#define tcp4_ssse3_available() 1
#else
#define TCP4_SSSE3_LINE static __attribute__((target("ssse3,popcnt"), noinline))
#define tcp4_ssse3_available()                                                   \
    (__builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt"))
#endif
#define TCP4_SSSE3_INLINE static inline __attribute__((target("ssse3,popcnt"), always_inline))

/* Digit values of 16 bytes (byte - '0') and the mask of the digits. */
TCP4_SSSE3_INLINE __m128i tcp4_digits(__m128i text, unsigned *digit_mask)
{
    const __m128i values = _mm_sub_epi8(text, _mm_set1_epi8('0'));
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);

    *digit_mask = (unsigned)_mm_movemask_epi8(digit);
    return values;
}

/* The IPv4 text at p, of which 16 bytes are readable: its length, with
 * its address in out, or 0. */
TCP4_SSSE3_INLINE size_t tcp4_address(const uint8_t *p, uint8_t out[4])
{
    const __m128i text = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned digits, dots, zeros, len, key;
    const __m128i values = tcp4_digits(text, &digits);
    unsigned i;
    __m128i lanes;
    uint32_t packed;

    dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('.')));
    zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('0')));
    len = (unsigned)__builtin_ctz(~(digits | dots));
    key = (dots & ((1u << len) - 1)) | 1u << len;
    i = ipv4_slot[(uint32_t)(key * IPV4_HASH_MUL) >> 24];
    if (ipv4_shape[i].key != key || (zeros & ipv4_shape[i].lead) != 0)
        return 0;
    /* 100 * hundreds + 10 * tens, then + ones: one value per lane */
    lanes = _mm_shuffle_epi8(values, _mm_loadu_si128((const __m128i *)(const void *)ipv4_shuffle[i]));
    lanes = _mm_madd_epi16(_mm_maddubs_epi16(lanes, _mm_set1_epi32(0x00010A64)),
                           _mm_set1_epi16(1));
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(lanes, _mm_set1_epi32(255))) != 0)
        return 0;
    packed = (uint32_t)_mm_cvtsi128_si32(
        _mm_shuffle_epi8(lanes, _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                              -1, -1, -1, -1)));
    memcpy(out, &packed, 4);
    return len;
}

/* pshufb controls: the n digits of a port (n = 1..5, from byte 0) to the
 * end of 8 bytes, zeros (0x80) before them; and a window slid by k bytes
 * (tcp4_slide + k: byte i from i + k, zero past 15). */
static const uint8_t tcp4_port_shuffle[6][8] = {
    {0},
    {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0},
    {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 1},
    {0x80, 0x80, 0x80, 0x80, 0x80, 0, 1, 2},
    {0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3},
    {0x80, 0x80, 0x80, 0, 1, 2, 3, 4},
};
static const uint8_t tcp4_slide[32] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

/* "SPORT DPORT\r\n" at p, up to end, with 16 readable bytes before end.
 * Returns the length with the CRLF, or 0. */
TCP4_SSSE3_INLINE size_t tcp4_ports(const uint8_t *p, const uint8_t *end,
                                    uint16_t *sport, uint16_t *dport)
{
    size_t in = (size_t)(end - p);
    __m128i text, values, lanes;
    unsigned digits, n1, n2, cr;

    if (in >= 16) {
        text = _mm_loadu_si128((const __m128i *)(const void *)p);
    } else { /* the 16 bytes before end, slid down to start at p */
        text = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
        text = _mm_shuffle_epi8(text, _mm_loadu_si128((const __m128i *)(const void *)(tcp4_slide + 16 - in)));
    }
    values = tcp4_digits(text, &digits);
    n1 = (unsigned)__builtin_ctz(~digits);
    n2 = (unsigned)__builtin_ctz(~(digits >> (n1 + 1)));
    cr = n1 + 1 + n2;
    /* 1..5 digits each, no leading zero, one space, the CRLF in */
    if (n1 - 1 > 4 || n2 - 1 > 4 || cr + 2 > in || p[n1] != ' ' || p[cr] != '\r' ||
        p[cr + 1] != '\n' || (n1 > 1 && p[0] == '0') || (n2 > 1 && p[n1 + 1] == '0'))
        return 0;
    /* each port's digits as 0 0 0 d0 d1 d2 d3 d4 in its half, then
     * d0 * 10000 + (10 d1 + d2) * 100 + 10 d3 + d4 */
    lanes = _mm_unpacklo_epi64(
        _mm_loadl_epi64((const __m128i *)(const void *)tcp4_port_shuffle[n1]),
        _mm_add_epi8(_mm_loadl_epi64((const __m128i *)(const void *)tcp4_port_shuffle[n2]),
                     _mm_set1_epi8((char)(n1 + 1))));
    lanes = _mm_maddubs_epi16(_mm_shuffle_epi8(values, lanes), _mm_set1_epi16(0x010A));
    lanes = _mm_madd_epi16(lanes, _mm_set_epi16(1, 100, 10000, 0, 1, 100, 10000, 0));
    lanes = _mm_add_epi32(lanes, _mm_srli_epi64(lanes, 32));
    if ((_mm_movemask_epi8(_mm_cmpgt_epi32(lanes, _mm_set1_epi32(65535))) & 0x0F0F) != 0)
        return 0;
    *sport = (uint16_t)_mm_cvtsi128_si32(lanes);
    *dport = (uint16_t)_mm_extract_epi16(lanes, 4);
    return cr + 2;
}

/* Shortest buffer worth a try: "PROXY TCP4 " and two 16-byte address
 * windows. */
#define TCP4_SSSE3_MIN (11 + 32)

/* proxyproto_parse() of a v1 line at buf, len >= TCP4_SSSE3_MIN and
 * buf[9] == '4' (the caller looked): a whole TCP4 line is read here,
 * anything else by proxyproto__parse_v1() (also when this gave up half
 * way: it fills hdr again). */
TCP4_SSSE3_LINE int tcp4_line_ssse3(proxyproto_header *hdr, const uint8_t *buf,
                                    size_t len, size_t last_len)
{
    const uint8_t *p = buf + 11, *end = buf + len;
    size_t n, ports;

    if (!proxyproto__same8(buf, "PROXY TC") || buf[8] != 'P' || buf[10] != ' ')
        goto other;
    if ((n = tcp4_address(p, hdr->src.ip.v4)) == 0 || p[n] != ' ')
        goto other;
    p += n + 1;
    if ((n = tcp4_address(p, hdr->dst.ip.v4)) == 0 || p[n] != ' ')
        goto other;
    p += n + 1;
    if ((ports = tcp4_ports(p, end, &hdr->src.port, &hdr->dst.port)) == 0)
        goto other;
    return proxyproto__v1_tcp_done(hdr, PROXYPROTO_AF_INET, (size_t)(p - buf) + ports);
other:
    return proxyproto__parse_v1(hdr, buf, len, last_len < len ? last_len : 0);
}

#endif
#endif /* PROXYPROTO_TCP4_SSSE3_H */
