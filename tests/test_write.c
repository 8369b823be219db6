/* proxyproto_write() and proxyproto_write_size() (address text is in
 * test_format.c): exact bytes, round trips both ways, canonical inputs written back
 * byte for byte (CRC32C included), buffer limits. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static proxyproto_header hand(int version, int cmd, int fam, int tr)
{
    proxyproto_header h;
    memset(&h, 0, sizeof h);
    h.version = (uint8_t)version;
    h.command = (uint8_t)cmd;
    h.family = (uint8_t)fam;
    h.transport = (uint8_t)tr;
    return h;
}

static void set_ip(proxyproto_header *h, const char *src, unsigned sport,
                   const char *dst, unsigned dport)
{
    pp_ip(h->family, src, h->family == PROXYPROTO_AF_INET ? h->src.ip.v4
                                                          : h->src.ip.v6);
    pp_ip(h->family, dst, h->family == PROXYPROTO_AF_INET ? h->dst.ip.v4
                                                          : h->dst.ip.v6);
    h->src.port = (uint16_t)sport;
    h->dst.port = (uint16_t)dport;
    h->has_addresses = 1;
}

/* Writes h with canaries around, checks write_size, the exact size and
 * the too-small cases; returns the length written into out. */
static size_t write_checked(const proxyproto_header *h, uint8_t *out, size_t cap)
{
    size_t size, big = 65551 + 64;
    uint8_t *buf = malloc(big);
    int n = proxyproto_write_size(h), m;

    ck_assert(buf != NULL);
    ck_assert_msg(n > 0, "write_size: %d (%s)", n, proxyproto_error_name(n));
    size = (size_t)n;
    ck_assert_uint_le(size, cap);
    /* Exact size: every byte written, nothing after. */
    memset(buf, 0xA5, big);
    EXPECT_RC(proxyproto_write(buf, size, h), n);
    ck_assert_msg(pp_first_not(buf + size, big - size, 0xA5) == big - size,
                  "byte past the header written");
    memcpy(out, buf, size);
    /* Larger buffer: same bytes. */
    memset(buf, 0xA5, big);
    m = proxyproto_write(buf, big, h);
    ck_assert_int_eq(m, n);
    ck_assert_mem_eq(buf, out, size);
    ck_assert_uint_eq(buf[size], 0xA5);
    /* One byte short, and empty: nothing written. */
    memset(buf, 0xA5, big);
    EXPECT_RC(proxyproto_write(buf, size - 1, h), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    EXPECT_RC(proxyproto_write(buf, 0, h), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    ck_assert_msg(pp_first_not(buf, size, 0xA5) == size,
                  "byte written on failure");
    /* At the guard: never past buf + cap. */
    {
        uint8_t *g = pp_guard_end(buf, size);
        ck_assert_int_eq(proxyproto_write(g, size, h), n);
        ck_assert_mem_eq(g, out, size);
    }
    free(buf);
    return size;
}

START_TEST(write_v1_exact)
{
    static const struct {
        int fam, tr;
        const char *src, *dst;
        unsigned sport, dport;
        const char *line;
    } t[] = {
        {1, 1, "192.168.0.1", "192.168.0.11", 56324, 443,
         "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"},
        {1, 1, "0.0.0.0", "255.255.255.255", 0, 65535,
         "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"},
        {1, 0, "10.0.0.1", "10.0.0.2", 1, 2, "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n"},
        {2, 1, "::1", "::1", 42076, 18004, "PROXY TCP6 ::1 ::1 42076 18004\r\n"},
        {2, 1, "2001:0db8:0000:0000:0001:0000:0000:0001", "::ffff:192.0.2.1", 1, 2,
         "PROXY TCP6 2001:db8::1:0:0:1 ::ffff:192.0.2.1 1 2\r\n"},
        {2, 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535,
         "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        proxyproto_header h = hand(1, 1, t[i].fam, t[i].tr), p;
        uint8_t out[128];
        size_t n;
        set_ip(&h, t[i].src, t[i].sport, t[i].dst, t[i].dport);
        n = write_checked(&h, out, sizeof out);
        ck_assert_uint_eq(n, strlen(t[i].line));
        ck_assert_mem_eq(out, t[i].line, n);
        /* And back. */
        pp_parse_ok(&p, out, n);
        ck_assert_uint_eq(p.family, t[i].fam);
        ck_assert_uint_eq(p.src.port, t[i].sport);
        ck_assert_uint_eq(p.dst.port, t[i].dport);
        ck_assert_mem_eq(p.src.ip.v6, h.src.ip.v6, t[i].fam == 1 ? 4 : 16);
        ck_assert_mem_eq(p.dst.ip.v6, h.dst.ip.v6, t[i].fam == 1 ? 4 : 16);
    }
}
END_TEST

START_TEST(write_v1_unknown)
{
    proxyproto_header h = hand(1, 1, 0, 0);
    uint8_t out[64];
    size_t n = write_checked(&h, out, sizeof out);
    ck_assert_uint_eq(n, 15);
    ck_assert_mem_eq(out, "PROXY UNKNOWN\r\n", 15);
}
END_TEST

START_TEST(write_v1_cannot_encode)
{
    uint8_t out[256];
    uint8_t path[108] = "/tmp/x";
    proxyproto_header h = hand(1, 1, PROXYPROTO_AF_UNIX, 1);
    h.has_addresses = 1;
    h.src.path = h.dst.path = path;
    h.src.path_len = h.dst.path_len = 6;
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    EXPECT_RC(proxyproto_write_size(&h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    /* UDP has no v1 form. */
    h = hand(1, 1, PROXYPROTO_AF_INET, PROXYPROTO_TRANSPORT_DGRAM);
    set_ip(&h, "1.2.3.4", 1, "5.6.7.8", 2);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    h = hand(1, 1, PROXYPROTO_AF_INET6, PROXYPROTO_TRANSPORT_DGRAM);
    set_ip(&h, "::1", 1, "::2", 2);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    /* INET without addresses, and an unknown family. */
    h = hand(1, 1, PROXYPROTO_AF_INET, 1);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    h = hand(1, 1, 7, 1);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_V1_CANNOT_ENCODE);
    ck_assert_uint_eq(pp_first_not(out, sizeof out, 0xA5), sizeof out);
}
END_TEST

/* v2 from fields, every command/family/transport; parse back. */
START_TEST(write_v2_every_combination)
{
    static const char *const v4[2] = {"203.0.113.9", "198.51.100.1"};
    static const char *const v6[2] = {"2001:db8::9", "fe80::1"};
    uint8_t spath[108], dpath[108];

    memset(spath, 0, sizeof spath);
    memset(dpath, 0, sizeof dpath);
    memcpy(spath, "/var/run/src.sock", 17);
    memset(dpath, 'd', sizeof dpath);
    for (int cmd = 0; cmd <= 1; cmd++) {
        for (int fam = 0; fam <= 3; fam++) {
            for (int tr = 0; tr <= 2; tr++) {
                proxyproto_header h = hand(2, cmd, fam, tr), p;
                uint8_t out[300];
                size_t n, block = fam == 1 ? 12 : fam == 2 ? 36 : fam == 3 ? 216 : 0;
                if (fam == 1)
                    set_ip(&h, v4[0], 1234, v4[1], 80);
                else if (fam == 2)
                    set_ip(&h, v6[0], 65535, v6[1], 0);
                else if (fam == 3) {
                    h.has_addresses = 1;
                    h.src.path = spath;
                    h.src.path_len = 17;
                    h.dst.path = dpath;
                    h.dst.path_len = 108;
                }
                n = write_checked(&h, out, sizeof out);
                ck_assert_uint_eq(n, 16 + block);
                ck_assert_mem_eq(out, "\r\n\r\n\0\r\nQUIT\n", 12);
                ck_assert_uint_eq(out[12], 0x20 | cmd);
                ck_assert_uint_eq(out[13], (unsigned)(fam << 4 | tr));
                ck_assert_uint_eq((unsigned)out[14] << 8 | out[15], block);
                pp_parse_ok(&p, out, n);
                ck_assert_uint_eq(p.command, cmd);
                ck_assert_uint_eq(p.family, fam);
                ck_assert_uint_eq(p.transport, tr);
                ck_assert_uint_eq(p.has_addresses, fam != 0);
                if (fam == 1 || fam == 2) {
                    size_t l = fam == 1 ? 4 : 16;
                    ck_assert_mem_eq(p.src.ip.v6, h.src.ip.v6, l);
                    ck_assert_mem_eq(p.dst.ip.v6, h.dst.ip.v6, l);
                    ck_assert_uint_eq(p.src.port, h.src.port);
                    ck_assert_uint_eq(p.dst.port, h.dst.port);
                    /* Ports and addresses in network byte order. */
                    ck_assert_uint_eq(out[16 + 2 * l], h.src.port >> 8);
                    ck_assert_uint_eq(out[16 + 2 * l + 1], h.src.port & 0xFF);
                } else if (fam == 3) {
                    ck_assert_mem_eq(out + 16, spath, 108);
                    ck_assert_mem_eq(out + 124, dpath, 108);
                    ck_assert_uint_eq(p.src.path_len, 17);
                    ck_assert_uint_eq(p.dst.path_len, 108);
                }
            }
        }
    }
}
END_TEST

/* proxyproto(7) section 6: health check = LOCAL, UNSPEC, len 0 (16 bytes); the
 * nibbles are written as given, 0-15. */
START_TEST(write_v2_local)
{
    uint8_t out[64];
    proxyproto_header h = hand(2, 0, 0, 0);
    size_t n = write_checked(&h, out, sizeof out);
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(out, "\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
    h = hand(2, 0, 15, 15);
    n = write_checked(&h, out, sizeof out);
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(out[13], 0xFF);
    /* With TLVs after the (empty) block. */
    h = hand(2, 0, 0, 0);
    h.tlvs = (const uint8_t *)"\x01\x00\x02h2";
    h.tlvs_len = 5;
    n = write_checked(&h, out, sizeof out);
    ck_assert_uint_eq(n, 21);
    ck_assert_uint_eq(out[15], 5);
    ck_assert_mem_eq(out + 16, "\x01\x00\x02h2", 5);
}
END_TEST

START_TEST(write_invalid)
{
    uint8_t out[64];
    proxyproto_header h = hand(2, 1, 1, 1);
    set_ip(&h, "1.2.3.4", 1, "5.6.7.8", 2);
    EXPECT_RC(proxyproto_write(out, sizeof out, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_write_size(NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_write(NULL, 64, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    h.version = 3;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    h.version = 0;
    EXPECT_RC(proxyproto_write_size(&h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    h.version = 2;
    h.family = 16;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    h.family = 1;
    h.command = 16;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    h.command = 1;
    h.tlvs = NULL;
    h.tlvs_len = 3;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
}
END_TEST

/* 65551 bytes at most: INET6 block + 65499 TLV bytes fits, 65500 not. */
START_TEST(write_header_too_long)
{
    uint8_t *tlvs = calloc(1, 65536), *out = malloc(65551);
    proxyproto_header h = hand(2, 1, 2, 1), p;
    ck_assert(tlvs != NULL && out != NULL);
    set_ip(&h, "::1", 1, "::2", 2);
    /* One unknown TLV filling the rest. */
    tlvs[0] = 0xF0;
    tlvs[1] = (uint8_t)((65499 - 3) >> 8);
    tlvs[2] = (uint8_t)(65499 - 3);
    h.tlvs = tlvs;
    h.tlvs_len = 65499;
    EXPECT_RC(proxyproto_write_size(&h), 65551);
    EXPECT_RC(proxyproto_write(out, 65551, &h), 65551);
    pp_parse_ok(&p, out, 65551);
    ck_assert_uint_eq(p.tlvs_len, 65499);
    h.tlvs_len = 65500;
    EXPECT_RC(proxyproto_write_size(&h), PROXYPROTO_ERR_HEADER_TOO_LONG);
    EXPECT_RC(proxyproto_write(out, 65551, &h), PROXYPROTO_ERR_HEADER_TOO_LONG);
    /* Without addresses the TLVs may take all 65535. */
    h = hand(2, 0, 0, 0);
    h.tlvs = tlvs;
    h.tlvs_len = 65536;
    EXPECT_RC(proxyproto_write_size(&h), PROXYPROTO_ERR_HEADER_TOO_LONG);
    free(tlvs);
    free(out);
}
END_TEST

/* The CRC32C value in hdr->tlvs is recomputed over the written header. */
START_TEST(write_recomputes_crc)
{
    uint8_t in[64], out[64];
    size_t n = pp_hex(in, sizeof in, SIG "21 11 0018 7f000001 7f000001 0001 0002 "
                                         "03 0004 00000000 01 0002 'h2'");
    proxyproto_header h, p;
    pp_fix_crc(in, n, 1);
    pp_parse_ok(&h, in, n);
    /* Another source port: the old CRC no longer fits. */
    h.src.port = 9;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), (int)n);
    pp_parse_ok(&p, out, n);
    ck_assert_uint_eq(p.src.port, 9);
    ck_assert_mem_ne(out + 31, in + 31, 4);
    /* A zero CRC value in hand-made TLVs gets filled in. */
    h = hand(2, 1, 0, 0);
    h.tlvs = (const uint8_t *)"\x03\x00\x04\0\0\0\0";
    h.tlvs_len = 7;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), 23);
    pp_parse_ok(&p, out, 23);
    ck_assert_uint_eq(pp_ref_crc32c(0, "\r\n\r\n\0\r\nQUIT\n\x21\x00\x00\x07"
                                       "\x03\x00\x04\0\0\0\0", 23),
                      (uint32_t)out[19] << 24 | (uint32_t)out[20] << 16 |
                          (uint32_t)out[21] << 8 | out[22]);
    /* A CRC32C TLV that is not well formed is copied as it is. */
    h.tlvs = (const uint8_t *)"\x03\x00\x03\x01\x02\x03";
    h.tlvs_len = 6;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), 22);
    ck_assert_mem_eq(out + 16, "\x03\x00\x03\x01\x02\x03", 6);
}
END_TEST

/* Two CRC32C TLVs cannot both be right: each is checked with only its own
 * value zeroed. */
START_TEST(write_crc_twice)
{
    static const uint8_t two[] = {3, 0, 4, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0};
    uint8_t out[64];
    proxyproto_header h = hand(2, 1, 0, 0);
    h.tlvs = two;
    h.tlvs_len = sizeof two;
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), PROXYPROTO_ERR_CRC32C_TWICE);
    ck_assert_uint_eq(pp_first_not(out, sizeof out, 0xA5), sizeof out);
    /* One well-formed and one of length 3: only one is recomputed. */
    h.tlvs = (const uint8_t *)"\x03\x00\x04\0\0\0\0\x03\x00\x03\0\0\0";
    h.tlvs_len = 13;
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), 29);
}
END_TEST

/* Canonical inputs of the parse tables: parse, write, same bytes. */
static void canonical(const pp_case *cases, size_t count)
{
    size_t done = 0;
    for (size_t i = 0; i < count; i++) {
        static uint8_t in[8192], out[8192];
        proxyproto_header h;
        size_t n;
        int rc;
        if (!cases[i].canon)
            continue;
        n = pp_case_input(&cases[i], in, sizeof in);
        pp_parse_ok(&h, in, n);
        memset(out, 0xA5, sizeof out);
        rc = proxyproto_write(out, sizeof out, &h);
        ck_assert_msg(rc == (int)n, "%s: write gave %d (%s), want %zu",
                      cases[i].name, rc, proxyproto_error_name(rc), n);
        ck_assert_msg(memcmp(in, out, n) == 0, "%s: written bytes differ",
                      cases[i].name);
        ck_assert_int_eq(proxyproto_write_size(&h), rc);
        done++;
    }
    ck_assert_uint_gt(done, 5);
}

START_TEST(canonical_v1)
{
    canonical(pp_v1_cases, pp_v1_ncases);
}
END_TEST

START_TEST(canonical_v2)
{
    canonical(pp_v2_cases, pp_v2_ncases);
}
END_TEST

Suite *suite_write(void)
{
    Suite *s = suite_create("write");
    TCase *tc = tcase_create("write");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, write_v1_exact);
    tcase_add_test(tc, write_v1_unknown);
    tcase_add_test(tc, write_v1_cannot_encode);
    tcase_add_test(tc, write_v2_every_combination);
    tcase_add_test(tc, write_v2_local);
    tcase_add_test(tc, write_invalid);
    tcase_add_test(tc, write_header_too_long);
    tcase_add_test(tc, write_recomputes_crc);
    tcase_add_test(tc, write_crc_twice);
    tcase_add_test(tc, canonical_v1);
    tcase_add_test(tc, canonical_v2);
    suite_add_tcase(s, tc);
    return s;
}
