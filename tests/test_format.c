/* Addresses as text, for logs: proxyproto_format_ip4() / _ip6() (RFC 5952,
 * against inet_ntop), proxyproto_format_sockaddr() (INET, INET6, UNIX path,
 * abstract and unnamed sockets, escaping) and proxyproto_format_endpoint()
 * on parsed headers. Every function: the exact text, an exact-size buffer
 * is enough, one byte less is PROXYPROTO_ERR_BUFFER_TOO_SMALL with the
 * buffer untouched, nothing read or written outside (guard pages). */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ------------------------------------------------------------------------
 * proxyproto_format_ip4 / proxyproto_format_ip6
 * ------------------------------------------------------------------------ */

/* The function for the family: 1 -> ip4 (4 bytes), 2 -> ip6 (16). */
static int format_ip(char *out, size_t cap, int fam, const uint8_t *ip)
{
    return fam == PROXYPROTO_AF_INET ? proxyproto_format_ip4(out, cap, ip)
                                     : proxyproto_format_ip6(out, cap, ip);
}

static const struct {
    int fam;
    const char *in, *out;
} ips[] = {
    {1, "0.0.0.0", "0.0.0.0"},
    {1, "255.255.255.255", "255.255.255.255"},
    {1, "192.0.2.1", "192.0.2.1"},
    {1, "10.0.100.1", "10.0.100.1"},
    {1, "1.20.100.0", "1.20.100.0"},
    {2, "::", "::"},
    {2, "::1", "::1"},
    {2, "1::", "1::"},
    {2, "1::8", "1::8"},
    {2, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
    {2, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
    {2, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
    {2, "2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
    {2, "1:0:0:2:0:0:0:3", "1:0:0:2::3"},
    {2, "fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"},
    {2, "0:0:1:0:0:0:0:0", "0:0:1::"},
    {2, "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},
    {2, "0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"},
    {2, "1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"},
    {2, "0:0:3:4:5:6:7:8", "::3:4:5:6:7:8"},
    {2, "db8:0:0:0:0:0:0:0", "db8::"},
    {2, "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
     "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
    {2, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {2, "::ffff:192.0.2.1", "::ffff:192.0.2.1"},
    {2, "::ffff:0:0", "::ffff:0.0.0.0"},
    {2, "::ffff:255.255.255.255", "::ffff:255.255.255.255"},
    {2, "::1.2.3.4", "::102:304"},
    {2, "64:ff9b::1.2.3.4", "64:ff9b::102:304"},
    {2, "::fffe:1:2", "::fffe:1:2"},
    {2, "0:0:0:0:ffff:1:2:3", "::ffff:1:2:3"},
    {2, "1:0:0:0:0:ffff:102:304", "1::ffff:102:304"},
    {2, "0:0:0:0:0:0:0:2", "::2"},
};
#define NIPS (sizeof ips / sizeof ips[0])

START_TEST(format_ip_table)
{
    const size_t i = (size_t)_i;
    const int fam = ips[i].fam;
    const size_t iplen = fam == PROXYPROTO_AF_INET ? 4 : 16;
    uint8_t ip[16];
    const uint8_t *gip;
    char out[64];
    size_t len = strlen(ips[i].out);
    int rc;

    pp_ip(fam, ips[i].in, ip);
    memset(out, 0xA5, sizeof out);
    rc = format_ip(out, sizeof out, fam, ip);
    ck_assert_msg(rc == (int)len, "%s: returned %d, want %zu", ips[i].in, rc, len);
    ck_assert_msg(memcmp(out, ips[i].out, len + 1) == 0, "%s: \"%.46s\", want \"%s\"",
                  ips[i].in, out, ips[i].out);
    ck_assert_uint_eq(pp_first_not((const uint8_t *)out + len + 1,
                                   sizeof out - len - 1, 0xA5),
                      sizeof out - len - 1);
    /* Exactly len + 1 is enough; every smaller cap leaves out untouched. */
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(format_ip(out, len + 1, fam, ip), (int)len);
    ck_assert_str_eq(out, ips[i].out);
    ck_assert_uint_eq((uint8_t)out[len + 1], 0xA5);
    for (size_t cap = 0; cap <= len; cap++) {
        memset(out, 0xA5, sizeof out);
        EXPECT_RC(format_ip(out, cap, fam, ip), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
        ck_assert_uint_eq(pp_first_not((const uint8_t *)out, sizeof out, 0xA5),
                          sizeof out);
    }
    /* Output and input both against an unreadable page: nothing written
     * past out + cap, nothing read past the 4 or 16 address bytes. */
    gip = pp_guard_end_b(ip, iplen);
    EXPECT_RC(format_ip((char *)pp_guard_end(out, len), len, fam, gip),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    {
        char *g = (char *)pp_guard_end(out, len + 1);
        EXPECT_RC(format_ip(g, len + 1, fam, gip), (int)len);
        ck_assert_str_eq(g, ips[i].out);
    }
}
END_TEST

/* ip4 reads 4 bytes, ip6 16: the same 16 bytes give the dotted quad of
 * the first four through ip4. */
START_TEST(format_ip_two_functions)
{
    uint8_t ip[16];
    char out[PROXYPROTO_IP_STRLEN];

    pp_ip(PROXYPROTO_AF_INET6, "102:304:506:708::1", ip);
    EXPECT_RC(proxyproto_format_ip4(out, sizeof out, ip), 7);
    ck_assert_str_eq(out, "1.2.3.4");
    EXPECT_RC(proxyproto_format_ip6(out, sizeof out, ip), 18);
    ck_assert_str_eq(out, "102:304:506:708::1");
}
END_TEST

/* Against inet_ntop (RFC 5952 as well) on random addresses rich in zero
 * groups. glibc also writes ::a.b.c.d for the deprecated IPv4-compatible
 * form, which our format does not: those are skipped. */
START_TEST(format_ip_random)
{
    uint64_t seed = 5952;
    for (int round = 0; round < 20000; round++) {
        uint8_t ip[16];
        char ours[PROXYPROTO_IP_STRLEN], libc[INET6_ADDRSTRLEN];
        int zeros6 = 1, rc;
        for (int w = 0; w < 8; w++) {
            uint64_t r = pp_rand(&seed);
            unsigned v = (r & 1) ? 0 : (r & 2) ? (unsigned)(r >> 8) & 0xF
                                               : (unsigned)(r >> 16) & 0xFFFF;
            ip[2 * w] = (uint8_t)(v >> 8);
            ip[2 * w + 1] = (uint8_t)v;
            if (w < 6 && v != 0)
                zeros6 = 0;
        }
        if (round % 7 == 0) { /* mapped */
            memset(ip, 0, 10);
            ip[10] = ip[11] = 0xFF;
            zeros6 = 0;
        }
        if (zeros6)
            continue;
        PP_ASSERT(inet_ntop(AF_INET6, ip, libc, sizeof libc) != NULL, "ntop");
        rc = proxyproto_format_ip6(ours, sizeof ours, ip);
        PP_ASSERT(rc == (int)strlen(libc) && strcmp(ours, libc) == 0,
                  "ours \"%s\" (%d), inet_ntop \"%s\"", ours, rc, libc);
    }
    for (int round = 0; round < 2000; round++) {
        uint8_t ip[4];
        char ours[PROXYPROTO_IP_STRLEN], libc[INET_ADDRSTRLEN];
        int rc;
        pp_rand_fill(&seed, ip, 4);
        PP_ASSERT(inet_ntop(AF_INET, ip, libc, sizeof libc) != NULL, "ntop");
        rc = proxyproto_format_ip4(ours, sizeof ours, ip);
        PP_ASSERT(rc == (int)strlen(libc) && strcmp(ours, libc) == 0,
                  "ours \"%s\" (%d), inet_ntop \"%s\"", ours, rc, libc);
    }
}
END_TEST

START_TEST(format_ip_errors)
{
    uint8_t ip[16] = {0};
    char out[64];

    EXPECT_RC(proxyproto_format_ip4(out, sizeof out, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_ip6(out, sizeof out, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_ip4(NULL, 64, ip), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_ip6(NULL, 64, ip), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_ip4(out, 0, ip), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    EXPECT_RC(proxyproto_format_ip6(out, 0, ip), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    /* The longest texts fit in PROXYPROTO_IP_STRLEN. */
    memset(ip, 0xFF, 16);
    EXPECT_RC(proxyproto_format_ip6(out, PROXYPROTO_IP_STRLEN, ip), 39);
    EXPECT_RC(proxyproto_format_ip4(out, 16, ip), 15);
    ck_assert_str_eq(out, "255.255.255.255");
    EXPECT_RC(proxyproto_format_ip4(out, 15, ip), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
}
END_TEST

/* ------------------------------------------------------------------------
 * proxyproto_format_sockaddr
 * ------------------------------------------------------------------------ */

static struct sockaddr_storage sa_in(const char *ip, unsigned port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;

    memset(&ss, 0xA5, sizeof ss); /* bytes past the sockaddr_in: noise */
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    ck_assert(inet_pton(AF_INET, ip, &a->sin_addr) == 1);
    return ss;
}

static struct sockaddr_storage sa_in6(const char *ip, unsigned port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0xA5, sizeof ss);
    memset(a, 0, sizeof *a);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    ck_assert(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1);
    return ss;
}

/* A sockaddr_un whose sun_path holds path[0..n) then NULs. */
static struct sockaddr_storage sa_un(const void *path, size_t n)
{
    struct sockaddr_storage ss;
    struct sockaddr_un a;

    /* Built apart and copied in: stores through a sockaddr_un pointer into
     * a sockaddr_storage break strict aliasing, and gcc -m32 -O2 dropped
     * them (make cross-check, i386). */
    ck_assert_uint_le(n, sizeof a.sun_path);
    memset(&ss, 0, sizeof ss);
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, n);
    memcpy(&ss, &a, sizeof a);
    return ss;
}

static size_t sa_size(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET    ? sizeof(struct sockaddr_in)
           : ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_un);
}

/* The text of sa is exactly want (want_len bytes, may hold no NUL):
 * in a big buffer, in an exact one at a guard page (with sa itself against
 * another guard page), and refused with the buffer untouched one byte
 * short (and at every smaller cap). */
static void expect_sa_text(const struct sockaddr_storage *ss, const char *want,
                           size_t want_len)
{
    static char out[PROXYPROTO_ADDR_STRLEN + 64];
    const struct sockaddr *gsa;
    char *g;
    int rc;

    memset(out, 0xA5, sizeof out);
    rc = proxyproto_format_sockaddr(out, sizeof out, (const struct sockaddr *)ss);
    ck_assert_msg(rc == (int)want_len, "want \"%s\": returned %d (%s)", want, rc,
                  proxyproto_error_name(rc));
    pp_reach(rc, __func__);
    ck_assert_msg(memcmp(out, want, want_len) == 0 && out[want_len] == '\0',
                  "got \"%.*s\", want \"%s\"", (int)want_len, out, want);
    ck_assert_uint_le(want_len + 1, PROXYPROTO_ADDR_STRLEN);
    ck_assert_uint_eq((uint8_t)out[want_len + 1], 0xA5);

    /* sa exactly as big as its family's struct, ending at a guard page */
    gsa = (const struct sockaddr *)(const void *)pp_guard_end_b(ss, sa_size(ss));
    g = (char *)pp_guard_end(out, want_len + 1);
    memset(g, 0xA5, want_len + 1);
    EXPECT_RC(proxyproto_format_sockaddr(g, want_len + 1, gsa), (int)want_len);
    ck_assert(memcmp(g, want, want_len) == 0 && g[want_len] == '\0');

    {
        const size_t caps[] = {want_len, want_len - 1, want_len / 2, 1, 0};
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
            size_t cap = caps[i];
            if (cap > want_len)
                continue; /* want_len - 1 of an empty text */
            g = (char *)pp_guard_end(out, cap);
            memset(g, 0x5A, cap);
            EXPECT_RC(proxyproto_format_sockaddr(g, cap, gsa),
                      PROXYPROTO_ERR_BUFFER_TOO_SMALL);
            ck_assert_uint_eq(pp_first_not((const uint8_t *)g, cap, 0x5A), cap);
        }
    }
}

#define EXPECT_SA(ss, lit) expect_sa_text(&(ss), (lit), sizeof(lit) - 1)

START_TEST(sockaddr_inet)
{
    struct sockaddr_storage ss;

    ss = sa_in("1.2.3.4", 80);
    EXPECT_SA(ss, "1.2.3.4:80");
    ss = sa_in("0.0.0.0", 0);
    EXPECT_SA(ss, "0.0.0.0:0");
    ss = sa_in("255.255.255.255", 65535);
    EXPECT_SA(ss, "255.255.255.255:65535");
    ss = sa_in("203.0.113.7", 51234);
    EXPECT_SA(ss, "203.0.113.7:51234");
}
END_TEST

START_TEST(sockaddr_inet6)
{
    struct sockaddr_storage ss;

    ss = sa_in6("2001:db8::1", 443);
    EXPECT_SA(ss, "[2001:db8::1]:443");
    ss = sa_in6("::ffff:1.2.3.4", 1);
    EXPECT_SA(ss, "[::ffff:1.2.3.4]:1");
    ss = sa_in6("::", 0);
    EXPECT_SA(ss, "[::]:0");
    ss = sa_in6("::1", 8080);
    EXPECT_SA(ss, "[::1]:8080");
    ss = sa_in6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
    EXPECT_SA(ss, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    ss = sa_in6("2001:DB8:0:0:1:0:0:1", 10);
    EXPECT_SA(ss, "[2001:db8::1:0:0:1]:10");
}
END_TEST

/* Random addresses and ports against inet_ntop and the brackets rule. */
START_TEST(sockaddr_random)
{
    uint64_t seed = 0x5ADD;

    for (int round = 0; round < 3000; round++) {
        struct sockaddr_storage ss;
        char ours[PROXYPROTO_ADDR_STRLEN], ip[INET6_ADDRSTRLEN], want[80];
        unsigned port = (unsigned)(pp_rand(&seed) >> 48);
        int rc;

        if (round & 1) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            ss = sa_in("0.0.0.0", port);
            pp_rand_fill(&seed, (uint8_t *)&a->sin_addr, 4);
            ck_assert(inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip) != NULL);
            snprintf(want, sizeof want, "%s:%u", ip, port);
        } else {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uint8_t *b = a->sin6_addr.s6_addr;
            ss = sa_in6("::", port);
            pp_rand_fill(&seed, b, 16);
            for (int w = 0; w < 8; w++) /* zero groups, often */
                if (pp_rand(&seed) & 1)
                    b[2 * w] = b[2 * w + 1] = 0;
            if (pp_first_not(b, 12, 0) == 12)
                b[0] = 0x20; /* not the IPv4-compatible form */
            ck_assert(inet_ntop(AF_INET6, b, ip, sizeof ip) != NULL);
            snprintf(want, sizeof want, "[%s]:%u", ip, port);
        }
        rc = proxyproto_format_sockaddr(ours, sizeof ours, (struct sockaddr *)&ss);
        PP_ASSERT(rc == (int)strlen(want) && strcmp(ours, want) == 0,
                  "ours \"%s\" (%d), want \"%s\"", ours, rc, want);
    }
}
END_TEST

START_TEST(sockaddr_unix)
{
    struct sockaddr_storage ss;

    ss = sa_un("/run/app.sock", 13);
    EXPECT_SA(ss, "unix:/run/app.sock");
    /* Linux abstract name: leading NUL, trailing NULs dropped */
    ss = sa_un("\0name", 5);
    EXPECT_SA(ss, "unix:@name");
    /* unnamed (socketpair, unbound client): no path at all */
    ss = sa_un("", 0);
    EXPECT_SA(ss, "unix:");
    /* an abstract name keeps its inner NULs, escaped */
    ss = sa_un("\0a\0b", 4);
    EXPECT_SA(ss, "unix:@a\\x00b");
    /* a path ends at its first NUL; what follows is not printed */
    ss = sa_un("/tmp/x\0junk", 11);
    EXPECT_SA(ss, "unix:/tmp/x");
}
END_TEST

/* Bytes outside 0x21-0x7E and the backslash become \xNN (lower-case hex):
 * the text is one printable word whatever the path holds. */
START_TEST(sockaddr_unix_escapes)
{
    struct sockaddr_storage ss;

    ss = sa_un("/tmp/a b", 8);
    EXPECT_SA(ss, "unix:/tmp/a\\x20b");
    ss = sa_un("/a\\b", 4);
    EXPECT_SA(ss, "unix:/a\\x5cb");
    ss = sa_un("/\x01\x1f\x7f\x80\xff~!", 8);
    EXPECT_SA(ss, "unix:/\\x01\\x1f\\x7f\\x80\\xff~!");
    ss = sa_un("/\t\r\n\"'", 6);
    EXPECT_SA(ss, "unix:/\\x09\\x0d\\x0a\"'");
    ss = sa_un("\0\\\x01", 3);
    EXPECT_SA(ss, "unix:@\\x5c\\x01");

    /* Every byte value: printable ones as they are, the rest escaped. */
    for (unsigned b = 1; b < 256; b++) {
        uint8_t path[3] = {'/', (uint8_t)b, '/'};
        char want[16];

        if (b > 0x20 && b < 0x7F && b != '\\')
            snprintf(want, sizeof want, "unix:/%c/", (char)b);
        else
            snprintf(want, sizeof want, "unix:/\\x%02x/", b);
        ss = sa_un(path, 3);
        expect_sa_text(&ss, want, strlen(want));
    }
}
END_TEST

/* The longest texts: 108 path bytes, none a NUL, each escaped; and an
 * abstract name of 107 escaped bytes. PROXYPROTO_ADDR_STRLEN holds them. */
START_TEST(sockaddr_unix_longest)
{
    struct sockaddr_storage ss;
    struct sockaddr_un *a = (struct sockaddr_un *)&ss;
    uint8_t path[108];
    static char want[PROXYPROTO_ADDR_STRLEN + 8];
    char out[PROXYPROTO_ADDR_STRLEN];
    size_t n;

    ck_assert_uint_eq(sizeof a->sun_path, 108); /* Linux */
    memset(path, 0x01, sizeof path);
    ss = sa_un(path, sizeof path);
    n = (size_t)snprintf(want, sizeof want, "unix:");
    for (size_t i = 0; i < 108; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, "\\x01");
    ck_assert_uint_eq(n, 5 + 4 * 108);
    expect_sa_text(&ss, want, n);
    EXPECT_RC(proxyproto_format_sockaddr(out, PROXYPROTO_ADDR_STRLEN,
                                         (struct sockaddr *)&ss), (int)n);

    path[0] = 0;
    memset(path + 1, '\\', sizeof path - 1);
    ss = sa_un(path, sizeof path);
    n = (size_t)snprintf(want, sizeof want, "unix:@");
    for (size_t i = 1; i < 108; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, "\\x5c");
    expect_sa_text(&ss, want, n);

    /* a 108-byte printable path, no NUL anywhere */
    memset(path, 'p', sizeof path);
    ss = sa_un(path, sizeof path);
    memcpy(want, "unix:", 5);
    memset(want + 5, 'p', 108);
    expect_sa_text(&ss, want, 113);
}
END_TEST

START_TEST(sockaddr_errors)
{
    struct sockaddr_storage ss;
    char out[PROXYPROTO_ADDR_STRLEN];

    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNSPEC;
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_format_sockaddr(out, sizeof out, (struct sockaddr *)&ss),
              PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR);
    ck_assert_uint_eq(pp_first_not((uint8_t *)out, sizeof out, 0xA5), sizeof out);
    ss.ss_family = 255;
    EXPECT_RC(proxyproto_format_sockaddr(out, sizeof out, (struct sockaddr *)&ss),
              PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR);
    ss = sa_in("1.2.3.4", 80);
    EXPECT_RC(proxyproto_format_sockaddr(NULL, 64, (struct sockaddr *)&ss),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_sockaddr(out, sizeof out, NULL),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_sockaddr(out, 0, (struct sockaddr *)&ss),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
}
END_TEST

/* ------------------------------------------------------------------------
 * proxyproto_format_endpoint
 * ------------------------------------------------------------------------ */

/* Both ends of a parsed header as text, each checked like sockaddr's. */
static void expect_endpoint(const proxyproto_header *h, int which, const char *want)
{
    static char out[PROXYPROTO_ADDR_STRLEN + 64];
    size_t n = strlen(want);
    char *g;
    int rc;

    memset(out, 0xA5, sizeof out);
    rc = proxyproto_format_endpoint(out, sizeof out, h, which);
    ck_assert_msg(rc == (int)n, "want \"%s\": returned %d (%s)", want, rc,
                  proxyproto_error_name(rc));
    pp_reach(rc, __func__);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq((uint8_t)out[n + 1], 0xA5);
    g = (char *)pp_guard_end(out, n + 1);
    EXPECT_RC(proxyproto_format_endpoint(g, n + 1, h, which), (int)n);
    ck_assert_str_eq(g, want);
    g = (char *)pp_guard_end(out, n);
    memset(g, 0x5A, n);
    EXPECT_RC(proxyproto_format_endpoint(g, n, h, which),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(pp_first_not((const uint8_t *)g, n, 0x5A), n);
}

static void parse_text(proxyproto_header *h, const char *line)
{
    pp_parse_ok(h, (const uint8_t *)line, strlen(line));
}

START_TEST(endpoint_v1)
{
    proxyproto_header h;

    parse_text(&h, "PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n");
    expect_endpoint(&h, PROXYPROTO_SOURCE, "203.0.113.7:51234");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "198.51.100.1:443");
    parse_text(&h, "PROXY TCP6 2001:db8::7 ::ffff:10.0.0.1 65535 0\r\n");
    expect_endpoint(&h, PROXYPROTO_SOURCE, "[2001:db8::7]:65535");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "[::ffff:10.0.0.1]:0");
}
END_TEST

START_TEST(endpoint_v2_ip)
{
    uint8_t buf[128];
    proxyproto_header h;

    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf,
                                SIG "21 11 000c c0000201 c6336401 c822 01bb"));
    expect_endpoint(&h, PROXYPROTO_SOURCE, "192.0.2.1:51234");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "198.51.100.1:443");
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf,
                                SIG "21 21 0024 20010db8000000000000000000000007"
                                    "00000000000000000000000000000001 0001 ffff"));
    expect_endpoint(&h, PROXYPROTO_SOURCE, "[2001:db8::7]:1");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "[::1]:65535");
    /* DGRAM, and a TLV after the block: the same text */
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf,
                                SIG "21 12 0011 0a000001 0a000002 0035 0035 01 0002 'h2'"));
    expect_endpoint(&h, PROXYPROTO_SOURCE, "10.0.0.1:53");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "10.0.0.2:53");
    /* LOCAL with an INET block: has_addresses, and the function does not
     * look at proxyproto_use_header_addresses() (documented) */
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf,
                                SIG "20 11 000c c0000201 c6336401 c822 01bb"));
    ck_assert_uint_eq(h.has_addresses, 1);
    ck_assert_int_eq(proxyproto_use_header_addresses(&h), 0);
    expect_endpoint(&h, PROXYPROTO_SOURCE, "192.0.2.1:51234");
}
END_TEST

/* A v2 UNIX block: two 108-byte paths. */
static size_t v2_unix_block(uint8_t *buf, const void *src, size_t sn,
                            const void *dst, size_t dn)
{
    size_t n = pp_hex(buf, 16, SIG "21 31 00d8");

    memset(buf + n, 0, 216);
    memcpy(buf + n, src, sn);
    memcpy(buf + n + 108, dst, dn);
    return n + 216;
}

START_TEST(endpoint_v2_unix)
{
    uint8_t buf[256], path[108];
    proxyproto_header h;
    static char want[PROXYPROTO_ADDR_STRLEN];

    pp_parse_ok(&h, buf, v2_unix_block(buf, "/run/client.sock", 16, "/run/lb.sock", 12));
    expect_endpoint(&h, PROXYPROTO_SOURCE, "unix:/run/client.sock");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "unix:/run/lb.sock");
    /* abstract (path_len 0, leading NUL) and unnamed (all NULs) */
    pp_parse_ok(&h, buf, v2_unix_block(buf, "\0haproxy", 8, "", 0));
    ck_assert_uint_eq(h.src.path_len, 0);
    expect_endpoint(&h, PROXYPROTO_SOURCE, "unix:@haproxy");
    expect_endpoint(&h, PROXYPROTO_DESTINATION, "unix:");
    /* escapes, and 108 path bytes without a NUL (path_len 108) */
    memset(path, 0xFE, sizeof path);
    pp_parse_ok(&h, buf, v2_unix_block(buf, "/a b\\", 5, path, sizeof path));
    ck_assert_uint_eq(h.dst.path_len, 108);
    expect_endpoint(&h, PROXYPROTO_SOURCE, "unix:/a\\x20b\\x5c");
    {
        size_t n = (size_t)snprintf(want, sizeof want, "unix:");
        for (size_t i = 0; i < 108; i++)
            n += (size_t)snprintf(want + n, sizeof want - n, "\\xfe");
        ck_assert_uint_lt(n, PROXYPROTO_ADDR_STRLEN);
        expect_endpoint(&h, PROXYPROTO_DESTINATION, want);
    }
}
END_TEST

/* A hand-made header: nothing past its 108 path bytes is read, even when
 * path_len says more. */
START_TEST(endpoint_hand_made)
{
    static uint8_t path[108];
    proxyproto_header h;
    char out[PROXYPROTO_ADDR_STRLEN];

    memset(&h, 0, sizeof h);
    h.version = 2;
    h.command = PROXYPROTO_CMD_PROXY;
    h.family = PROXYPROTO_AF_UNIX;
    h.transport = PROXYPROTO_TRANSPORT_STREAM;
    h.has_addresses = 1;
    memset(path, 'x', sizeof path);
    h.src.path = pp_guard_end_b(path, sizeof path);
    h.src.path_len = 500;
    h.dst.path = h.src.path;
    h.dst.path_len = 3;
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE), 5 + 108);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_DESTINATION), 8);
    ck_assert_str_eq(out, "unix:xxx");
    /* UNIX without a path, or an unknown family: no address to show */
    h.src.path = NULL;
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_NO_ADDRESS);
    h.family = 7;
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_DESTINATION),
              PROXYPROTO_ERR_NO_ADDRESS);
}
END_TEST

START_TEST(endpoint_no_address)
{
    uint8_t buf[128];
    proxyproto_header h;
    char out[PROXYPROTO_ADDR_STRLEN];

    /* v2 LOCAL UNSPEC (health check) */
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf, SIG "20 00 0000"));
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_NO_ADDRESS);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_DESTINATION),
              PROXYPROTO_ERR_NO_ADDRESS);
    ck_assert_uint_eq(pp_first_not((uint8_t *)out, sizeof out, 0xA5), sizeof out);
    /* v1 UNKNOWN, with and without addresses after it */
    parse_text(&h, "PROXY UNKNOWN\r\n");
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_NO_ADDRESS);
    parse_text(&h, "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n");
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_DESTINATION),
              PROXYPROTO_ERR_NO_ADDRESS);
    /* v2 PROXY UNSPEC; v2 INET with a length shorter than the block is an
     * error of the parse, so a LOCAL one stands for "no block" */
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf, SIG "21 00 0000"));
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_NO_ADDRESS);
    pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf, SIG "20 11 0004 01020304"));
    ck_assert_uint_eq(h.has_addresses, 0);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_NO_ADDRESS);
}
END_TEST

START_TEST(endpoint_arguments)
{
    proxyproto_header h;
    char out[64];

    parse_text(&h, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
    EXPECT_RC(proxyproto_format_endpoint(NULL, 64, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, NULL, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, 2),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_endpoint(out, sizeof out, &h, -1),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_format_endpoint(out, 0, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    EXPECT_RC(proxyproto_format_endpoint(out, 9, &h, PROXYPROTO_SOURCE),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    EXPECT_RC(proxyproto_format_endpoint(out, 10, &h, PROXYPROTO_SOURCE), 9);
    ck_assert_str_eq(out, "1.2.3.4:1");
}
END_TEST

/* The endpoint text of a parsed header equals the sockaddr text of what
 * proxyproto_sockaddr() makes of it, on every parse case with addresses. */
START_TEST(endpoint_matches_sockaddr)
{
    const pp_case *tables[] = {pp_v1_cases, pp_v2_cases};
    const size_t counts[] = {pp_v1_ncases, pp_v2_ncases};
    size_t checked = 0;

    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < counts[t]; i++) {
            static uint8_t in[8192];
            const pp_case *c = &tables[t][i];
            proxyproto_header h;
            size_t n;

            if (c->rc != PP_WHOLE || !c->has_addresses)
                continue;
            n = pp_case_input(c, in, sizeof in);
            if (proxyproto_parse(&h, in, n, 0) != (int)n)
                continue;
            for (int which = 0; which < 2; which++) {
                struct sockaddr_storage ss;
                char a[PROXYPROTO_ADDR_STRLEN], b[PROXYPROTO_ADDR_STRLEN];
                int ra, rb;

                ck_assert_int_gt(proxyproto_sockaddr(&h, which, &ss), 0);
                ra = proxyproto_format_endpoint(a, sizeof a, &h, which);
                rb = proxyproto_format_sockaddr(b, sizeof b, (struct sockaddr *)&ss);
                ck_assert_msg(ra > 0 && ra == rb && strcmp(a, b) == 0,
                              "%s: endpoint \"%s\" (%d), sockaddr \"%s\" (%d)",
                              c->name, a, ra, b, rb);
                checked++;
            }
        }
    }
    ck_assert_uint_gt(checked, 20);
}
END_TEST

Suite *suite_format(void)
{
    Suite *s = suite_create("format");
    TCase *ip = tcase_create("format_ip");
    TCase *sa = tcase_create("format_sockaddr");
    TCase *ep = tcase_create("format_endpoint");

    tcase_set_timeout(ip, 30);
    tcase_add_loop_test(ip, format_ip_table, 0, (int)NIPS);
    tcase_add_test(ip, format_ip_two_functions);
    tcase_add_test(ip, format_ip_random);
    tcase_add_test(ip, format_ip_errors);
    suite_add_tcase(s, ip);

    tcase_set_timeout(sa, 30);
    tcase_add_test(sa, sockaddr_inet);
    tcase_add_test(sa, sockaddr_inet6);
    tcase_add_test(sa, sockaddr_random);
    tcase_add_test(sa, sockaddr_unix);
    tcase_add_test(sa, sockaddr_unix_escapes);
    tcase_add_test(sa, sockaddr_unix_longest);
    tcase_add_test(sa, sockaddr_errors);
    suite_add_tcase(s, sa);

    tcase_add_test(ep, endpoint_v1);
    tcase_add_test(ep, endpoint_v2_ip);
    tcase_add_test(ep, endpoint_v2_unix);
    tcase_add_test(ep, endpoint_hand_made);
    tcase_add_test(ep, endpoint_no_address);
    tcase_add_test(ep, endpoint_arguments);
    tcase_add_test(ep, endpoint_matches_sockaddr);
    suite_add_tcase(s, ep);
    return s;
}
