/* The fields of a whole TCP4 line read with SSSE3, for proxyproto_parse()
 * on x86-64 CPUs that have it (all since 2006; the check is
 * __builtin_cpu_supports(), as for CRC32C).
 *
 * It only accepts: a line it takes is one the reader of parse_v1.c and
 * read_ip.h takes, with the same addresses, ports and length. For anything
 * else (an error, a line not all in) it hands the buffer to that reader,
 * the one reader of the rules, which gives the error code, where it
 * stands, and `need`.
 *
 * Address: the digits and dots of a 16-byte window as two bit masks; the
 * text ends at the first byte that is neither; its dots and length pick
 * one of the 81 shapes of valid text (octets of 1 to 3 digits) by a
 * perfect hash (ipv4_table.h). The shape's shuffle puts each octet's digits
 * in a 32-bit lane as hundreds, tens and ones; two multiply-adds give the
 * four values, each checked <= 255; the shape's `lead` bits say where a '0'
 * would be a leading zero. No branch per byte or octet. The ports are read
 * by read_ip.h's reader.
 *
 * Nothing past the line is read, though a window is 16 bytes: each window
 * lies where a valid line must still have bytes (tcp4_dst_address()).
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
#include "read_ip.h"

/* Built for SSSE3 already (-mssse3, -march=native): no check. Else the
 * line function carries the target. Out of line either way: inlined, it
 * would make proxyproto_parse() save registers on every path, v2's too. */
#if defined(__SSSE3__)
#define TCP4_SSSE3_LINE static __attribute__((noinline))
#define tcp4_ssse3_available() 1
#else
#define TCP4_SSSE3_LINE static __attribute__((target("ssse3"), noinline))
#define tcp4_ssse3_available() (__builtin_cpu_supports("ssse3") != 0)
#endif
#define TCP4_SSSE3_INLINE static inline __attribute__((target("ssse3"), always_inline))

/* Digit values of 16 bytes (byte - '0') and the mask of the digits. */
TCP4_SSSE3_INLINE __m128i tcp4_digits(__m128i text, unsigned *digit_mask)
{
    const __m128i values = _mm_sub_epi8(text, _mm_set1_epi8('0'));
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);

    *digit_mask = (unsigned)_mm_movemask_epi8(digit);
    return values;
}

/* The IPv4-like text (digits and dots) at the start of a window: its
 * digit values, its masks and its length (up to 16). */
struct tcp4_text {
    __m128i values;
    unsigned dots, zeros, len;
};

TCP4_SSSE3_INLINE void tcp4_scan(__m128i text, struct tcp4_text *t)
{
    unsigned digits;

    t->values = tcp4_digits(text, &digits);
    t->dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('.')));
    t->zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(text, _mm_set1_epi8('0')));
    t->len = (unsigned)__builtin_ctz(~(digits | t->dots));
}

/* The address of the scanned text t into out; returns its length, or 0
 * when it is not valid IPv4 text (also when it runs to the window's end). */
TCP4_SSSE3_INLINE size_t tcp4_decode(const struct tcp4_text *t, uint8_t out[4])
{
    unsigned key = (t->dots & ((1u << t->len) - 1)) | 1u << t->len;
    unsigned i = ipv4_slot[(uint32_t)(key * IPV4_HASH_MUL) >> 24];
    __m128i lanes;
    uint32_t packed;

    if (ipv4_shape[i].key != key || (t->zeros & ipv4_shape[i].lead) != 0)
        return 0;
    /* 100 * hundreds + 10 * tens, then + ones: one value per lane */
    lanes = _mm_shuffle_epi8(t->values,
                             _mm_loadu_si128((const __m128i *)(const void *)ipv4_shuffle[i]));
    lanes = _mm_madd_epi16(_mm_maddubs_epi16(lanes, _mm_set1_epi32(0x00010A64)),
                           _mm_set1_epi16(1));
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(lanes, _mm_set1_epi32(255))) != 0)
        return 0;
    packed = (uint32_t)_mm_cvtsi128_si32(
        _mm_shuffle_epi8(lanes, _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                              -1, -1, -1, -1)));
    memcpy(out, &packed, 4);
    return t->len;
}

/* The IPv4 text at the start of the window `text`: its length, with its
 * address in out, or 0 (also when the text runs to the window's end). */
TCP4_SSSE3_INLINE size_t tcp4_address(__m128i text, uint8_t out[4])
{
    struct tcp4_text t;

    tcp4_scan(text, &t);
    return tcp4_decode(&t, out);
}

/* A window slid by k bytes: tcp4_slide + k as a pshufb control moves byte
 * i + k to i, and zeros the bytes past 15. */
static const uint8_t tcp4_slide[32] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

/* The window of the destination address at p: the 16 bytes from p when
 * they are surely in the line, which nothing but the address itself says.
 * A valid line has at least 13 bytes from p ("0.0.0.0 0 0\r\n"), so the
 * window first ends there: 13 bytes of it, slid down from p - 3. Only text
 * that runs to the 13th byte is read again from p: then the line goes on
 * for 6 bytes more at least. Nothing past the line is read. */
TCP4_SSSE3_INLINE size_t tcp4_dst_address(const uint8_t *p, const uint8_t *end, uint8_t out[4])
{
    struct tcp4_text t;

    if (end - p < 13)
        return 0;
    tcp4_scan(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p - 3)),
                               _mm_loadu_si128((const __m128i *)(const void *)(tcp4_slide + 3))),
              &t);
    if (t.len >= 13) { /* the text goes on: read it again from p */
        if (end - p < 16)
            return 0;
        tcp4_scan(_mm_loadu_si128((const __m128i *)(const void *)p), &t);
    }
    return tcp4_decode(&t, out);
}

/* "SPORT DPORT\r\n" at p, up to end, by the port reader of read_ip.h,
 * which reads no byte past the one that ends each port. Returns the
 * length with the CRLF, or 0. */
TCP4_SSSE3_INLINE size_t tcp4_ports(const uint8_t *p, const uint8_t *end, uint16_t *sport,
                                    uint16_t *dport)
{
    const uint8_t *q = p;
    size_t need;

    if ((end - q >= PORT_TEXT_MAX ? ip_read_port(&q, end, 0, sport, &need)
                                  : ip_read_port(&q, end, 1, sport, &need)) != 0 ||
        *q != ' ')
        return 0;
    q++;
    if ((end - q >= PORT_TEXT_MAX ? ip_read_port(&q, end, 0, dport, &need)
                                  : ip_read_port(&q, end, 1, dport, &need)) != 0 ||
        end - q < 2 || q[0] != '\r' || q[1] != '\n')
        return 0;
    return (size_t)(q + 2 - p);
}

/* Shortest buffer worth a try: the shortest TCP4 line. */
#define TCP4_SSSE3_MIN 32

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
    /* a valid line has 32 bytes at least, and len >= 32: the window at p
     * is in the line and in the buffer */
    if ((n = tcp4_address(_mm_loadu_si128((const __m128i *)(const void *)p), hdr->src.ip.v4)) ==
            0 ||
        p[n] != ' ')
        goto other;
    p += n + 1;
    if ((n = tcp4_dst_address(p, end, hdr->dst.ip.v4)) == 0 || p[n] != ' ')
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
