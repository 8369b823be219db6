/* Binary address -> text: dotted quad for IPv4, RFC 5952 for IPv6.
 * Used by proxyproto_format_ip4() / _ip6(), the endpoint text of
 * format_addr.c and by the v1 writer (proxyproto(7) section 2),
 * so every number is formatted by hand: no snprintf, no locale. */
#include "writer.h"

#include <string.h>

/* Decimal text of 0..255 for IPv4 octets (no leading zeros, proxyproto(7)
 * section 2): entry v is {length, up to 3 digits, zero-filled}, so an
 * octet is one 3-byte copy and an add, without a division or a
 * data-dependent branch. */
#define O1(u) {1, '0' + (u), 0, 0}
#define O2(t, u) {2, '0' + (t), '0' + (u), 0}
#define O3(h, t, u) {3, '0' + (h), '0' + (t), '0' + (u)}
#define ROW1 O1(0), O1(1), O1(2), O1(3), O1(4), O1(5), O1(6), O1(7), O1(8), O1(9)
#define ROW2(t) O2(t, 0), O2(t, 1), O2(t, 2), O2(t, 3), O2(t, 4), \
                O2(t, 5), O2(t, 6), O2(t, 7), O2(t, 8), O2(t, 9)
#define ROW3(h, t) O3(h, t, 0), O3(h, t, 1), O3(h, t, 2), O3(h, t, 3), \
                   O3(h, t, 4), O3(h, t, 5), O3(h, t, 6), O3(h, t, 7), \
                   O3(h, t, 8), O3(h, t, 9)
static const char octets[256][4] = {
    ROW1, ROW2(1), ROW2(2), ROW2(3), ROW2(4), ROW2(5), ROW2(6), ROW2(7),
    ROW2(8), ROW2(9), ROW3(1, 0), ROW3(1, 1), ROW3(1, 2), ROW3(1, 3),
    ROW3(1, 4), ROW3(1, 5), ROW3(1, 6), ROW3(1, 7), ROW3(1, 8), ROW3(1, 9),
    ROW3(2, 0), ROW3(2, 1), ROW3(2, 2), ROW3(2, 3), ROW3(2, 4),
    O3(2, 5, 0), O3(2, 5, 1), O3(2, 5, 2), O3(2, 5, 3), O3(2, 5, 4),
    O3(2, 5, 5)};

/* "00" .. "99": two digits per division by 100. */
static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/* Writes 3 bytes whatever the length: callers leave room (see writer.h);
 * the bytes past the returned end are scratch. */
static char *put_u8(char *p, unsigned v)
{
    memcpy(p, octets[v] + 1, 3);
    return p + octets[v][0];
}

PROXYPROTO__PRIVATE char *proxyproto__put_u16(char *p, unsigned v)
{
    size_t n = v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
    char *q = p + n;

    /* Digits come out least significant first: fill from the end. */
    while (v >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10)
        memcpy(q - 2, pairs + 2 * v, 2);
    else
        q[-1] = (char)('0' + v);
    return p + n;
}

static char *put_v4(char *p, const uint8_t *ip)
{
    p = put_u8(p, ip[0]);
    *p++ = '.';
    p = put_u8(p, ip[1]);
    *p++ = '.';
    p = put_u8(p, ip[2]);
    *p++ = '.';
    return put_u8(p, ip[3]);
}

/* One 16-bit group: lower case, no leading zeros (RFC 5952 4.1, 4.3). */
static char *put_hex16(char *p, unsigned g)
{
    static const char digits[] = "0123456789abcdef";

    if (g >= 0x1000)
        *p++ = digits[g >> 12];
    if (g >= 0x100)
        *p++ = digits[g >> 8 & 0xF];
    if (g >= 0x10)
        *p++ = digits[g >> 4 & 0xF];
    *p++ = digits[g & 0xF];
    return p;
}

/* ::ffff:0:0/96 is printed with a dotted tail (RFC 5952 5); no other
 * prefix is (::a.b.c.d, NAT64 ... come out as pure hex). */
static int is_v4_mapped(const uint8_t *ip)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

    return memcmp(ip, prefix, sizeof prefix) == 0;
}

/* The longest run of two or more zero groups, the first one on a tie
 * (RFC 5952 4.2.1-4.2.3). zeros has bit i set when group i is 0. Each
 * round of m &= m >> 1 keeps the groups that start a run one longer, so
 * the last non-empty m holds the starts of the longest runs. Returns the
 * run's first group, with its length in *len, or -1 when there is none
 * (*len untouched: make prove splits the states on the result, so that
 * a run is never seen with the length of none). */
static int zero_run(unsigned zeros, int *len)
{
    unsigned m = zeros, last = 0;
    int n = 0, i;

    while (m != 0) {
        last = m;
        m &= m >> 1;
        n++;
    }
    if (n < 2) /* a single zero group is never compressed (4.2.2) */
        return -1;
    *len = n;
    /* A run of two starts at group 6 at the latest, so bit 6 changes
     * nothing; it shows that the loop ends (for Frama-C), and compilers
     * still make the loop one count-trailing-zeros instruction. */
    for (i = 0; !((last | 0x40u) >> i & 1); i++)
        continue;
    return i;
}

/* Groups [from, to) of ip, joined by ':'. */
static char *put_groups(char *p, const uint8_t *ip, int from, int to)
{
    int i;

    for (i = from; i < to; i++) {
        if (i > from)
            *p++ = ':';
        p = put_hex16(p, (unsigned)ip[2 * i] << 8 | ip[2 * i + 1]);
    }
    return p;
}

static char *put_v6(char *p, const uint8_t *ip)
{
    unsigned zeros = 0;
    int i, start, len = 0;

    if (is_v4_mapped(ip)) {
        memcpy(p, "::ffff:", 7);
        return put_v4(p + 7, ip + 12);
    }
    for (i = 0; i < 8; i++)
        zeros |= (unsigned)((ip[2 * i] | ip[2 * i + 1]) == 0) << i;
    start = zero_run(zeros, &len);
    /* Frama-C (make prove): one state per run, so that the text's length
     * stays tied to where the run is. */
    /*@ split start; */
    /*@ split len; */
    if (start < 0) /* no run to compress */
        return put_groups(p, ip, 0, 8);
    /* The groups before the run, "::", the groups after it: no ':' next
     * to the "::". One pass per part rather than a test per group. */
    p = put_groups(p, ip, 0, start);
    *p++ = ':';
    *p++ = ':';
    return put_groups(p, ip, start + len, 8);
}

PROXYPROTO__PRIVATE char *proxyproto__put_ip(char *p, int family, const uint8_t *ip)
{
    return family == PROXYPROTO_AF_INET ? put_v4(p, ip) : put_v6(p, ip);
}

PROXYPROTO__PRIVATE int proxyproto__emit_text(char *out, size_t cap, const char *text,
                                          size_t n)
{
    if (n >= cap)
        return PROXYPROTO_ERR_BUFFER_TOO_SMALL;
    memcpy(out, text, n);
    out[n] = '\0';
    return (int)n;
}

/* Writes the text of ip into out[0..cap) with its NUL. Staged so that out
 * gets exactly the text (put_u8 writes a little past the end), and a short
 * buffer is left untouched. */
static int format_ip_text(char *out, size_t cap, int family, const uint8_t *ip)
{
    char tmp[PROXYPROTO_IP_STRLEN];
    size_t n;

    if (out == NULL || ip == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    n = (size_t)(proxyproto__put_ip(tmp, family, ip) - tmp);
    return proxyproto__emit_text(out, cap, tmp, n);
}

PROXYPROTO_API int proxyproto_format_ip4(char *out, size_t cap,
                                         const uint8_t *ip)
{
    return format_ip_text(out, cap, PROXYPROTO_AF_INET, ip);
}

PROXYPROTO_API int proxyproto_format_ip6(char *out, size_t cap,
                                         const uint8_t *ip)
{
    return format_ip_text(out, cap, PROXYPROTO_AF_INET6, ip);
}
