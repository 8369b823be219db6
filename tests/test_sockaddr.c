/* Socket addresses: proxyproto_header_from_sockaddrs() (proxyproto(7)
 * section 6) and proxyproto_sockaddr() back to sockaddr_in / in6 / un. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct sockaddr_in sin4(const char *ip, unsigned port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    ck_assert(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    return a;
}

static struct sockaddr_in6 sin6(const char *ip, unsigned port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    ck_assert(inet_pton(AF_INET6, ip, &a.sin6_addr) == 1);
    return a;
}

static struct sockaddr_un unix_addr(const void *path, size_t len)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, len);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* Writes hdr and compares with the expected text/bytes. */
static void expect_written(const proxyproto_header *h, const void *want,
                           size_t len)
{
    uint8_t buf[600];
    int n = proxyproto_write(buf, sizeof buf, h);
    ck_assert_msg(n == (int)len, "write gave %d (%s), want %zu", n,
                  proxyproto_error_name(n), len);
    ck_assert_mem_eq(buf, want, len);
}

/* Writes hdr as v2 and parses it back. */
static void write_parse(const proxyproto_header *h, proxyproto_header *out,
                        uint8_t *buf, size_t cap)
{
    int n = proxyproto_write(buf, cap, h);
    ck_assert_msg(n > 0, "write: %s", proxyproto_error_name(n));
    pp_parse_ok(out, buf, (size_t)n);
}

START_TEST(from_v4_v4)
{
    struct sockaddr_in s = sin4("192.0.2.1", 12345), d = sin4("198.51.100.2", 443);
    proxyproto_header h, p;
    uint8_t buf[64];
    static const char line[] = "PROXY TCP4 192.0.2.1 198.51.100.2 12345 443\r\n";

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(s), SA(d)),
              0);
    ck_assert_uint_eq(h.version, 1);
    ck_assert_uint_eq(h.command, PROXYPROTO_CMD_PROXY);
    ck_assert_uint_eq(h.family, PROXYPROTO_AF_INET);
    ck_assert_uint_eq(h.transport, PROXYPROTO_TRANSPORT_STREAM);
    ck_assert_uint_eq(h.has_addresses, 1);
    ck_assert_mem_eq(h.src.ip.v4, &s.sin_addr, 4);
    ck_assert_mem_eq(h.dst.ip.v4, &d.sin_addr, 4);
    ck_assert_uint_eq(h.src.port, 12345);
    ck_assert_uint_eq(h.dst.port, 443);
    ck_assert_uint_eq(h.tlvs_len, 0);
    expect_written(&h, line, sizeof line - 1);

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_DGRAM,
                                               SA(s), SA(d)),
              0);
    ck_assert_uint_eq(h.version, 2);
    ck_assert_uint_eq(h.transport, PROXYPROTO_TRANSPORT_DGRAM);
    write_parse(&h, &p, buf, sizeof buf);
    ck_assert_uint_eq(p.header_len, 28);
    ck_assert_uint_eq(buf[12], 0x21);
    ck_assert_uint_eq(buf[13], 0x12);
    ck_assert_mem_eq(p.src.ip.v4, &s.sin_addr, 4);
    ck_assert_uint_eq(p.dst.port, 443);
}
END_TEST

START_TEST(from_v6_v6)
{
    struct sockaddr_in6 s = sin6("2001:db8::1", 1), d = sin6("2001:db8:0:0:1::2", 65535);
    proxyproto_header h, p;
    uint8_t buf[64];
    static const char line[] = "PROXY TCP6 2001:db8::1 2001:db8::1:0:0:2 1 65535\r\n";

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(s), SA(d)),
              0);
    ck_assert_uint_eq(h.family, PROXYPROTO_AF_INET6);
    ck_assert_uint_eq(h.has_addresses, 1);
    ck_assert_mem_eq(h.src.ip.v6, &s.sin6_addr, 16);
    ck_assert_mem_eq(h.dst.ip.v6, &d.sin6_addr, 16);
    ck_assert_uint_eq(h.dst.port, 65535);
    expect_written(&h, line, sizeof line - 1);

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(s), SA(d)),
              0);
    write_parse(&h, &p, buf, sizeof buf);
    ck_assert_uint_eq(p.header_len, 52);
    ck_assert_uint_eq(buf[13], 0x21);
    ck_assert_mem_eq(p.dst.ip.v6, &d.sin6_addr, 16);
    ck_assert_uint_eq(p.src.port, 1);
}
END_TEST

/* v1: mixed families give UNKNOWN. v2: the IPv4 end becomes ::ffff:a.b.c.d. */
START_TEST(from_mixed_v4_v6)
{
    struct sockaddr_in a4 = sin4("192.0.2.1", 1000);
    struct sockaddr_in6 a6 = sin6("2001:db8::9", 2000);
    uint8_t mapped[16], buf[64];
    proxyproto_header h, p;

    pp_ip(PROXYPROTO_AF_INET6, "::ffff:192.0.2.1", mapped);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(a6)),
              0);
    expect_written(&h, "PROXY UNKNOWN\r\n", 15);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a6), SA(a4)),
              0);
    expect_written(&h, "PROXY UNKNOWN\r\n", 15);

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(a6)),
              0);
    ck_assert_uint_eq(h.family, PROXYPROTO_AF_INET6);
    ck_assert_mem_eq(h.src.ip.v6, mapped, 16);
    ck_assert_mem_eq(h.dst.ip.v6, &a6.sin6_addr, 16);
    ck_assert_uint_eq(h.src.port, 1000);
    ck_assert_uint_eq(h.dst.port, 2000);
    write_parse(&h, &p, buf, sizeof buf);
    ck_assert_mem_eq(p.src.ip.v6, mapped, 16);

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_DGRAM,
                                               SA(a6), SA(a4)),
              0);
    ck_assert_uint_eq(h.family, PROXYPROTO_AF_INET6);
    ck_assert_mem_eq(h.src.ip.v6, &a6.sin6_addr, 16);
    ck_assert_mem_eq(h.dst.ip.v6, mapped, 16);
    ck_assert_uint_eq(h.dst.port, 1000);
}
END_TEST

START_TEST(from_unix)
{
    struct sockaddr_un s = unix_addr("/run/client.sock", 16);
    struct sockaddr_un d = unix_addr("\0abstract", 9);
    proxyproto_header h, p;
    uint8_t buf[300];

    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(s), SA(d)),
              0);
    ck_assert_uint_eq(h.family, PROXYPROTO_AF_UNIX);
    ck_assert_uint_eq(h.has_addresses, 1);
    ck_assert(h.src.path == (const uint8_t *)s.sun_path);
    ck_assert_uint_eq(h.src.path_len, 16);
    ck_assert(h.dst.path == (const uint8_t *)d.sun_path);
    ck_assert_uint_eq(h.dst.path_len, 0);
    write_parse(&h, &p, buf, sizeof buf);
    ck_assert_uint_eq(p.header_len, 232);
    ck_assert_uint_eq(buf[13], 0x31);
    ck_assert_mem_eq(p.src.path, s.sun_path, 108);
    ck_assert_mem_eq(p.dst.path, d.sun_path, 108);
    ck_assert_uint_eq(p.src.path_len, 16);

    /* A full 108-byte path without NUL. */
    memset(s.sun_path, 'p', sizeof s.sun_path);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_DGRAM,
                                               SA(s), SA(d)),
              0);
    ck_assert_uint_eq(h.src.path_len, 108);
    write_parse(&h, &p, buf, sizeof buf);
    ck_assert_uint_eq(p.src.path_len, 108);
    ck_assert_uint_eq(buf[13], 0x32);

    /* v1 cannot carry UNIX: UNKNOWN. */
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(d), SA(d)),
              0);
    expect_written(&h, "PROXY UNKNOWN\r\n", 15);
}
END_TEST

START_TEST(from_errors)
{
    struct sockaddr_in a4 = sin4("192.0.2.1", 1);
    struct sockaddr_un u = unix_addr("/x", 2);
    struct sockaddr_storage other;
    proxyproto_header h;

    memset(&other, 0, sizeof other);
    other.ss_family = AF_UNSPEC;
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(u), SA(a4)),
              PROXYPROTO_ERR_FAMILY_MIXED);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(u)),
              PROXYPROTO_ERR_FAMILY_MIXED);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(other), SA(a4)),
              PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR);
    other.ss_family = AF_APPLETALK;
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(other)),
              PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(other), SA(other)),
              PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR);
    EXPECT_RC(proxyproto_header_from_sockaddrs(NULL, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               NULL, SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), NULL),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 3, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 0, PROXYPROTO_TRANSPORT_STREAM,
                                               SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, 3, SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2, PROXYPROTO_TRANSPORT_UNSPEC,
                                               SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 1, PROXYPROTO_TRANSPORT_DGRAM,
                                               SA(a4), SA(a4)),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
}
END_TEST

static void parse_hex(proxyproto_header *h, uint8_t *buf, size_t cap,
                      const char *hex)
{
    size_t n = pp_hex(buf, cap, hex);
    pp_parse_ok(h, buf, n);
}

START_TEST(to_sockaddr_in)
{
    proxyproto_header h;
    struct sockaddr_storage ss;
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    uint8_t buf[64];

    pp_parse_ok(&h, (const uint8_t *)"PROXY TCP4 192.0.2.1 198.51.100.2 12345 443\r\n",
                45);
    memset(&ss, 0xA5, sizeof ss);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              (int)sizeof(struct sockaddr_in));
    ck_assert_int_eq(a->sin_family, AF_INET);
    ck_assert_uint_eq(ntohs(a->sin_port), 12345);
    ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0xC0000201u);
    memset(&ss, 0xA5, sizeof ss);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss),
              (int)sizeof(struct sockaddr_in));
    ck_assert_int_eq(a->sin_family, AF_INET);
    ck_assert_uint_eq(ntohs(a->sin_port), 443);
    ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0xC6336402u);

    /* v2, and LOCAL with a block (the caller decides what to use). */
    parse_hex(&h, buf, sizeof buf, SIG "20 12 000c 0a000001 0a000002 0050 0051");
    memset(&ss, 0xA5, sizeof ss);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss),
              (int)sizeof(struct sockaddr_in));
    ck_assert_uint_eq(ntohs(a->sin_port), 0x51);
    ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0x0A000002u);
}
END_TEST

START_TEST(to_sockaddr_in6)
{
    proxyproto_header h;
    struct sockaddr_storage ss;
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    uint8_t want[16];

    pp_parse_ok(&h, (const uint8_t *)"PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 1 65535\r\n",
                48);
    memset(&ss, 0xA5, sizeof ss);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              (int)sizeof(struct sockaddr_in6));
    pp_ip(PROXYPROTO_AF_INET6, "2001:db8::1", want);
    ck_assert_int_eq(a->sin6_family, AF_INET6);
    ck_assert_uint_eq(ntohs(a->sin6_port), 1);
    ck_assert_mem_eq(&a->sin6_addr, want, 16);
    ck_assert_uint_eq(a->sin6_flowinfo, 0);
    ck_assert_uint_eq(a->sin6_scope_id, 0);
    memset(&ss, 0xA5, sizeof ss);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss),
              (int)sizeof(struct sockaddr_in6));
    pp_ip(PROXYPROTO_AF_INET6, "::ffff:10.0.0.1", want);
    ck_assert_mem_eq(&a->sin6_addr, want, 16);
    ck_assert_uint_eq(ntohs(a->sin6_port), 65535);
}
END_TEST

START_TEST(to_sockaddr_un)
{
    uint8_t in[300];
    size_t n = pp_hex(in, sizeof in, SIG "21 31 00d8");
    proxyproto_header h;
    struct sockaddr_storage ss;
    const struct sockaddr_un *a = (const struct sockaddr_un *)&ss;
    size_t base = offsetof(struct sockaddr_un, sun_path);
    int rc;

    memset(in + n, 0, 216);
    memcpy(in + n, "/run/app.sock", 13);
    in[n + 108] = 0;
    memcpy(in + n + 109, "abstract", 8);
    in[n + 200] = 'z'; /* bytes after the NUL are kept for abstract names */
    pp_parse_ok(&h, in, n + 216);

    memset(&ss, 0xA5, sizeof ss);
    rc = proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss);
    ck_assert_msg(rc >= (int)(base + 13) && rc <= (int)sizeof(struct sockaddr_un),
                  "UNIX path length %d", rc);
    pp_reach(rc, __func__);
    ck_assert_int_eq(a->sun_family, AF_UNIX);
    ck_assert_str_eq(a->sun_path, "/run/app.sock");

    memset(&ss, 0xA5, sizeof ss);
    rc = proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss);
    ck_assert_int_eq(rc, (int)(base + 108));
    ck_assert_int_eq(a->sun_family, AF_UNIX);
    ck_assert_mem_eq(a->sun_path, in + n + 108, 108);

    /* 108 bytes without a NUL. */
    memset(in + n, 'q', 108);
    pp_parse_ok(&h, in, n + 216);
    memset(&ss, 0, sizeof ss);
    rc = proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss);
    ck_assert_int_eq(rc, (int)(base + 108));
    ck_assert_mem_eq(a->sun_path, in + n, 108);
}
END_TEST

START_TEST(to_sockaddr_errors)
{
    proxyproto_header h;
    struct sockaddr_storage ss;
    uint8_t buf[64];

    pp_parse_ok(&h, (const uint8_t *)"PROXY UNKNOWN\r\n", 15);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              PROXYPROTO_ERR_NO_ADDRESS);
    parse_hex(&h, buf, sizeof buf, SIG "20 00 0000");
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss),
              PROXYPROTO_ERR_NO_ADDRESS);
    parse_hex(&h, buf, sizeof buf, SIG "21 01 0000");
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              PROXYPROTO_ERR_NO_ADDRESS);
    parse_hex(&h, buf, sizeof buf, SIG "20 11 0004 00000000");
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              PROXYPROTO_ERR_NO_ADDRESS);

    pp_parse_ok(&h, (const uint8_t *)"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32);
    EXPECT_RC(proxyproto_sockaddr(&h, 2, &ss), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_sockaddr(&h, -1, &ss), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, NULL),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_sockaddr(NULL, PROXYPROTO_SOURCE, &ss),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
}
END_TEST

/* A hand-made header whose UNIX path claims more than sun_path holds. */
START_TEST(to_sockaddr_path_too_long)
{
    uint8_t path[256];
    proxyproto_header h;
    struct sockaddr_storage ss;

    memset(path, 'x', sizeof path);
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.command = PROXYPROTO_CMD_PROXY;
    h.family = PROXYPROTO_AF_UNIX;
    h.transport = PROXYPROTO_TRANSPORT_STREAM;
    h.has_addresses = 1;
    h.src.path = h.dst.path = path;
    h.src.path_len = 109;
    h.dst.path_len = 108;
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &ss),
              PROXYPROTO_ERR_UNIX_PATH_TOO_LONG);
    EXPECT_RC(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &ss),
              (int)(offsetof(struct sockaddr_un, sun_path) + 108));
}
END_TEST

/* sockaddr -> header -> v2 bytes -> header -> sockaddr gives it back. */
START_TEST(sockaddr_round_trip)
{
    struct sockaddr_in s4 = sin4("203.0.113.7", 54321), d4 = sin4("10.1.2.3", 8443);
    struct sockaddr_in6 s6 = sin6("fe80::1:2", 7), d6 = sin6("::1", 8);
    struct sockaddr_un su = unix_addr("/tmp/a", 6), du = unix_addr("/tmp/bb", 7);
    const struct sockaddr *pairs[3][2] = {
        {SA(s4), SA(d4)}, {SA(s6), SA(d6)}, {SA(su), SA(du)}};
    const size_t sizes[3] = {sizeof s4, sizeof s6, sizeof su};

    for (size_t i = 0; i < 3; i++) {
        proxyproto_header h, p;
        uint8_t buf[300];
        EXPECT_RC(proxyproto_header_from_sockaddrs(&h, 2,
                                                   PROXYPROTO_TRANSPORT_STREAM,
                                                   pairs[i][0], pairs[i][1]),
                  0);
        write_parse(&h, &p, buf, sizeof buf);
        for (int end = 0; end < 2; end++) {
            struct sockaddr_storage ss;
            int rc;
            memset(&ss, 0, sizeof ss);
            rc = proxyproto_sockaddr(&p, end, &ss);
            ck_assert_msg(rc > 0, "pair %zu end %d: %d", i, end, rc);
            if (i < 2)
                ck_assert_int_eq(rc, (int)sizes[i]);
            ck_assert_msg(memcmp(&ss, pairs[i][end], sizes[i]) == 0,
                          "pair %zu end %d differs", i, end);
        }
    }
}
END_TEST

Suite *suite_sockaddr(void)
{
    Suite *s = suite_create("sockaddr");
    TCase *tc = tcase_create("sockaddr");
    tcase_add_test(tc, from_v4_v4);
    tcase_add_test(tc, from_v6_v6);
    tcase_add_test(tc, from_mixed_v4_v6);
    tcase_add_test(tc, from_unix);
    tcase_add_test(tc, from_errors);
    tcase_add_test(tc, to_sockaddr_in);
    tcase_add_test(tc, to_sockaddr_in6);
    tcase_add_test(tc, to_sockaddr_un);
    tcase_add_test(tc, to_sockaddr_errors);
    tcase_add_test(tc, to_sockaddr_path_too_long);
    tcase_add_test(tc, sockaddr_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
