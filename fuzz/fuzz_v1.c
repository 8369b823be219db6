/* fuzz_v1: the v1 text path alone. Every input is prefixed with "PROXY "
 * (so the fuzzer spends its time on the protocol word, the addresses and
 * the ports; fuzz/proxyproto.dict has the tokens), then parsed:
 *  - the common invariants of fuzz_parse (fuzz.h);
 *  - against an independent reading of proxyproto(7) section 2: the protocol
 *    word, the CRLF scan (its exact codes), then the fields with the C
 *    library's inet_pton() as the address oracle (it agrees with
 *    proxyproto(7)'s strict rules: no leading zeros, RFC 4291 IPv6, no zone
 *    id), ports by hand; acceptance, length, addresses and ports must match;
 *    a TCP line the library rejects before its CRLF (it judges fields as
 *    they arrive) must be one the oracle rejects when closed there;
 *  - every prefix: INCOMPLETE or the whole's answer; resuming with last_len
 *    from every INCOMPLETE prefix gives the whole's answer;
 *  - a line that parsed, written back, parses to the same addresses;
 *  - the input (up to its first NUL, without the prefix) as a trusted
 *    address for proxyproto_cidr_parse() (proxyproto(7) section 5; the address
 *    text follows the v1 rules): accepted exactly when inet_pton() takes the
 *    address, the prefix is decimal without a leading zero and in range and
 *    the host bits are zero; then proxyproto_cidr_match() and
 *    proxyproto_policy_check() agree with a bitwise reading of the prefix. */
#define _DEFAULT_SOURCE
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define CR_LIMIT 106 /* the CR of a 107-byte line sits at index 105 */

enum { O_INCOMPLETE, O_REJECT, O_ACCEPT };

typedef struct oracle {
    int verdict;
    int code;          /* exact code when the rules name one, else 0 */
    size_t len;        /* O_ACCEPT: line length */
    int family;        /* O_ACCEPT: PROXYPROTO_AF_* */
    uint8_t src[16], dst[16];
    unsigned sport, dport;
} oracle;

/* The protocol word at 6: 1 complete (sets *rest, *family), 0 prefix so
 * far, -1 mismatch. */
static int word(const uint8_t *b, size_t n, size_t *rest, int *family)
{
    static const char *const words[] = {"TCP4 ", "TCP6 ", "UNKNOWN "};
    size_t i, k;

    for (i = 0; i < 3; i++) {
        const char *w = words[i];
        size_t wl = strlen(w);
        int ok = 1;

        for (k = 0; k < wl && 6 + k < n && ok; k++) {
            uint8_t c = b[6 + k];
            /* UNKNOWN may end at its space or at the CR. */
            ok = c == (uint8_t)w[k] || (i == 2 && k == 7 && c == '\r');
        }
        if (!ok)
            continue;
        if (6 + wl > n)
            return 0;
        *rest = i == 2 ? 13 : 11;
        *family = i == 0 ? PROXYPROTO_AF_INET : i == 1 ? PROXYPROTO_AF_INET6 : 0;
        return 1;
    }
    return -1;
}

/* Decimal 0..65535, no sign, no leading zero. */
static int port_ok(const char *s, unsigned *out)
{
    size_t i, n = strlen(s);
    unsigned long v = 0;

    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    *out = (unsigned)v;
    return v <= 65535;
}

static void judge_fields(oracle *o, const uint8_t *b, size_t from, size_t cr)
{
    char line[PROXYPROTO_V1_MAX_LEN + 1], *tok[5];
    size_t i, ntok = 0, len = cr - from;
    int af = o->family == PROXYPROTO_AF_INET ? AF_INET : AF_INET6;

    o->verdict = O_REJECT;
    memcpy(line, b + from, len);
    line[len] = '\0';
    tok[ntok++] = line;
    for (i = 0; i < len; i++) {
        if (line[i] != ' ')
            continue;
        line[i] = '\0';
        if (ntok == 5)
            return; /* too many fields */
        tok[ntok++] = line + i + 1;
    }
    if (ntok != 4)
        return;
    if (inet_pton(af, tok[0], o->src) != 1 || inet_pton(af, tok[1], o->dst) != 1 ||
        !port_ok(tok[2], &o->sport) || !port_ok(tok[3], &o->dport))
        return;
    o->verdict = O_ACCEPT;
}

static void judge(oracle *o, const uint8_t *b, size_t n)
{
    size_t rest = 0, i, limit = n < CR_LIMIT ? n : CR_LIMIT;
    int w;

    memset(o, 0, sizeof *o);
    w = word(b, n, &rest, &o->family);
    if (w < 0) {
        o->verdict = O_REJECT;
        o->code = PROXYPROTO_ERR_V1_BAD_PROTOCOL;
        return;
    }
    if (w == 0) {
        o->verdict = O_INCOMPLETE;
        return;
    }
    for (i = rest; i < limit; i++) {
        uint8_t c = b[i];

        if (c == '\r')
            break;
        o->verdict = O_REJECT;
        if (c == '\n') {
            o->code = PROXYPROTO_ERR_V1_LONE_LF;
            return;
        }
        if (c < 0x20 || c > 0x7E) {
            o->code = PROXYPROTO_ERR_V1_BAD_CHAR;
            return;
        }
    }
    if (i == limit) {
        o->verdict = n >= CR_LIMIT ? O_REJECT : O_INCOMPLETE;
        o->code = n >= CR_LIMIT ? PROXYPROTO_ERR_V1_TOO_LONG : 0;
        return;
    }
    if (i + 1 == n) {
        o->verdict = O_INCOMPLETE;
        return;
    }
    if (b[i + 1] != '\n') {
        o->verdict = O_REJECT;
        o->code = PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
        return;
    }
    o->len = i + 2;
    if (o->family == 0) {
        o->verdict = O_ACCEPT;
        return;
    }
    judge_fields(o, b, rest, i);
}

static void compare(const oracle *o, const proxyproto_header *h,
                    const uint8_t *b, size_t n, int r)
{
    size_t al = o->family == PROXYPROTO_AF_INET ? 4 : 16;

    if (o->verdict == O_INCOMPLETE) {
        uint8_t closed[CR_LIMIT + 2];
        oracle c;

        if (r == PROXYPROTO_INCOMPLETE)
            return;
        /* The fields of a TCP line are judged as they arrive: a rejection
         * before the CRLF means no line goes on from here, so at least
         * this one, closed here, is rejected too. */
        FUZZ_CHECK(o->family != 0 && r < 0, "want INCOMPLETE, got %d (%s) on %s",
                   r, proxyproto_error_name(r), fuzz_hex(b, n));
        if (n + 2 > sizeof closed)
            return;
        memcpy(closed, b, n);
        memcpy(closed + n, "\r\n", 2);
        judge(&c, closed, n + 2);
        FUZZ_CHECK(c.verdict == O_REJECT, "rejected early (%s), but the line "
                   "closed there is accepted: %s", proxyproto_error_name(r),
                   fuzz_hex(b, n));
        return;
    }
    if (o->verdict == O_REJECT) {
        FUZZ_CHECK(r < 0 && r != PROXYPROTO_INCOMPLETE,
                   "want a rejection (%s), got %d (%s) on \"%.*s\"",
                   proxyproto_error_name(o->code), r, proxyproto_error_name(r),
                   (int)n, (const char *)b);
        /* The code is the oracle's where no field is read first: the
         * word, and UNKNOWN lines. In a TCP line a field error on an
         * earlier byte comes first (the oracle scans the line, then the
         * fields), so any v1 code may. */
        if (o->code != 0 && (o->family == 0 || o->code == PROXYPROTO_ERR_V1_BAD_PROTOCOL))
            FUZZ_CHECK(r == o->code, "want %s, got %s on %s",
                       proxyproto_error_name(o->code), proxyproto_error_name(r),
                       fuzz_hex(b, n));
        else
            FUZZ_CHECK(r <= PROXYPROTO_ERR_V1_TOO_LONG &&
                           r >= PROXYPROTO_ERR_V1_PORT_RANGE,
                       "field error %s on \"%.*s\"", proxyproto_error_name(r),
                       (int)n, (const char *)b);
        return;
    }
    FUZZ_CHECK(r > 0 && (size_t)r == o->len, "want a %zu-byte line, got %d (%s) on \"%.*s\"",
               o->len, r, proxyproto_error_name(r), (int)n, (const char *)b);
    FUZZ_CHECK(h->family == o->family, "family %u, want %d", h->family, o->family);
    if (o->family == 0)
        return;
    FUZZ_CHECK(memcmp(o->family == PROXYPROTO_AF_INET ? h->src.ip.v4 : h->src.ip.v6,
                      o->src, al) == 0 &&
                   memcmp(o->family == PROXYPROTO_AF_INET ? h->dst.ip.v4 : h->dst.ip.v6,
                          o->dst, al) == 0,
               "addresses differ from inet_pton's on \"%.*s\"", (int)n, (const char *)b);
    FUZZ_CHECK(h->src.port == o->sport && h->dst.port == o->dport,
               "ports %u %u, want %u %u", h->src.port, h->dst.port, o->sport,
               o->dport);
}

/* Written back (canonical text), parsed again: same addresses and ports. */
static void check_rewrite(const proxyproto_header *h)
{
    char line[PROXYPROTO_V1_MAX_LEN];
    proxyproto_header h2;
    int n = proxyproto_write(line, sizeof line, h), r;

    FUZZ_CHECK(n > 0, "write of a parsed v1 header: %s", proxyproto_error_name(n));
    r = proxyproto_parse(&h2, line, (size_t)n, 0);
    FUZZ_CHECK(r == n, "rewrite \"%.*s\" gave %s", n, line, proxyproto_error_name(r));
    FUZZ_CHECK(h2.family == h->family &&
                   (h->family == 0 ||
                    (h2.src.port == h->src.port && h2.dst.port == h->dst.port &&
                     memcmp(h2.src.ip.v6, h->src.ip.v6,
                            h->family == PROXYPROTO_AF_INET ? 4 : 16) == 0 &&
                     memcmp(h2.dst.ip.v6, h->dst.ip.v6,
                            h->family == PROXYPROTO_AF_INET ? 4 : 16) == 0)),
               "rewrite \"%.*s\" changed the header", n, line);
}

/* 1 when the first `bits` bits of a and b agree. */
static int same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned i;
    for (i = 0; i < bits; i++)
        if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
            return 0;
    return 1;
}

static void to_sockaddr(struct sockaddr_storage *ss, int v6, const uint8_t *ip)
{
    memset(ss, 0, sizeof *ss);
    if (v6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, ip, 16);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, ip, 4);
    }
}

static void check_cidr(const uint8_t *data, size_t size)
{
    char text[80], *slash;
    uint8_t addr[16] = {0}, probe[16];
    proxyproto_cidr c;
    proxyproto_policy pol;
    struct sockaddr_storage ss;
    unsigned bits, prefix, i;
    int v6, ok, r, m;
    size_t n = 0;

    while (n < size && n + 1 < sizeof text && data[n] != 0) {
        text[n] = (char)data[n];
        n++;
    }
    text[n] = '\0';
    r = proxyproto_cidr_parse(&c, text);

    /* The oracle. */
    slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    v6 = strchr(text, ':') != NULL;
    bits = v6 ? 128 : 32;
    prefix = bits;
    ok = inet_pton(v6 ? AF_INET6 : AF_INET, text, addr) == 1;
    if (ok && slash != NULL) {
        const char *q = slash + 1;
        unsigned long v = 0;
        ok = *q != '\0' && !(q[0] == '0' && q[1] != '\0') && strlen(q) <= 3;
        for (; ok && *q; q++) {
            ok = *q >= '0' && *q <= '9';
            v = v * 10 + (unsigned long)(*q - '0');
        }
        ok = ok && v <= bits;
        prefix = (unsigned)v;
    }
    for (i = prefix; ok && i < bits; i++)
        ok = !((addr[i / 8] >> (7 - i % 8)) & 1);
    if (slash != NULL)
        *slash = '/';
    FUZZ_CHECK(r == (ok ? 0 : PROXYPROTO_ERR_BAD_CIDR), "cidr_parse(\"%s\") gave %s, want %s",
               text, proxyproto_error_name(r), ok ? "OK" : "BAD_CIDR");
    if (r != 0)
        return;
    FUZZ_CHECK(c.family == (v6 ? PROXYPROTO_AF_INET6 : PROXYPROTO_AF_INET) &&
                   c.prefix_len == prefix && memcmp(c.addr, addr, bits / 8) == 0,
               "cidr_parse(\"%s\") fields", text);

    /* Matching: the network itself, and probes derived from the input. */
    pol.trusted = &c;
    pol.n_trusted = 1;
    pol.flags = 0;
    for (i = 0; i < 4; i++) {
        memcpy(probe, addr, 16);
        if (i > 0 && size > i)
            probe[(data[size - i] & 0x7F) % (bits / 8)] ^= (uint8_t)(1u << (data[size - i] & 7));
        to_sockaddr(&ss, v6, probe);
        m = proxyproto_cidr_match(&c, (struct sockaddr *)&ss);
        FUZZ_CHECK(m == same_prefix(probe, addr, prefix), "cidr_match(\"%s\") gave %d", text, m);
        r = proxyproto_policy_check(&pol, (struct sockaddr *)&ss);
        FUZZ_CHECK(r == (m ? PROXYPROTO_EXPECT_HEADER : PROXYPROTO_ERR_UNTRUSTED),
                   "policy_check gave %s", proxyproto_error_name(r));
        if (!v6) {
            /* The same peer seen by a dual-stack listener: ::ffff:a.b.c.d. */
            uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
            memcpy(mapped + 12, probe, 4);
            to_sockaddr(&ss, 1, mapped);
            FUZZ_CHECK(proxyproto_cidr_match(&c, (struct sockaddr *)&ss) == m,
                       "IPv4-mapped peer judged differently");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxyproto_header h, hk;
    oracle o;
    uint8_t *b;
    size_t n = 6 + size, k;
    int r;

    if (size > 256)
        return 0; /* a line is at most 107 bytes; longer adds nothing */
    b = fuzz_buf(1, n);
    memcpy(b, "PROXY ", 6);
    if (size)
        memcpy(b + 6, data, size);

    r = proxyproto_parse(&h, b, n, 0);
    fuzz_check_result(&h, b, n, r);
    judge(&o, b, n);
    compare(&o, &h, b, n, r);
    if (r > 0)
        check_rewrite(&h);

    for (k = 0; k < n; k++) {
        int rk = proxyproto_parse(&hk, b, k, 0), rl;

        fuzz_check_result(&hk, b, k, rk);
        if (rk != PROXYPROTO_INCOMPLETE) {
            FUZZ_CHECK(rk == r, "prefix %zu gave %s, the whole %s", k,
                       proxyproto_error_name(rk), proxyproto_error_name(r));
            break;
        }
        if (r > 0)
            FUZZ_CHECK(k + hk.need <= (size_t)r, "prefix %zu: need %zu, line %d",
                       k, hk.need, r);
        /* Resume from this INCOMPLETE prefix. */
        rl = proxyproto_parse(&hk, b, n, k);
        FUZZ_CHECK(rl == r, "last_len %zu gave %d (%s), from 0 %d (%s) on %s", k,
                   rl, proxyproto_error_name(rl), r, proxyproto_error_name(r),
                   fuzz_hex(b, n));
        if (r > 0) {
            const char *d = fuzz_header_diff(&hk, b, &h, b);
            FUZZ_CHECK(d == NULL, "last_len %zu: %s differs", k, d);
        }
    }
    fuzz_buf_release(b);
    check_cidr(data, size);
    return 0;
}
