/* The v2 builder: every add function, SSL sub-TLVs, vendor TLVs read back,
 * padding, CRC32C computed last, exact sizes, nothing written on failure,
 * sticky errors. */
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static proxyproto_header inet_hdr(void)
{
    proxyproto_header h;
    memset(&h, 0, sizeof h);
    h.version = 2;
    h.command = PROXYPROTO_CMD_PROXY;
    h.family = PROXYPROTO_AF_INET;
    h.transport = PROXYPROTO_TRANSPORT_STREAM;
    h.has_addresses = 1;
    memcpy(h.src.ip.v4, "\x01\x02\x03\x04", 4);
    memcpy(h.dst.ip.v4, "\x05\x06\x07\x08", 4);
    h.src.port = 1;
    h.dst.port = 2;
    return h;
}

/* Finishes with the checks every build deserves: size exact, nothing
 * written past it, too small writes nothing, a second finish gives the
 * same bytes. Returns the length; the header is in out. */
static size_t finish(const proxyproto_builder *b, uint8_t *out, size_t cap)
{
    uint8_t *tmp = malloc(65551 + 16);
    int size = proxyproto_builder_size(b), n;

    ck_assert(tmp != NULL);
    ck_assert_msg(size > 0, "builder_size: %d (%s)", size,
                  proxyproto_error_name(size));
    ck_assert_uint_le((size_t)size, cap);
    memset(tmp, 0xA5, 65551 + 16);
    EXPECT_RC(proxyproto_builder_finish(b, tmp, (size_t)size - 1),
              PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    EXPECT_RC(proxyproto_builder_finish(b, tmp, 0), PROXYPROTO_ERR_BUFFER_TOO_SMALL);
    ck_assert_msg(pp_first_not(tmp, (size_t)size, 0xA5) == (size_t)size,
                  "byte written on failure");
    n = proxyproto_builder_finish(b, tmp, (size_t)size);
    ck_assert_int_eq(n, size);
    ck_assert_msg(pp_first_not(tmp + size, 65551 + 16 - (size_t)size, 0xA5) ==
                      65551 + 16 - (size_t)size,
                  "byte past the header written");
    memset(out, 0x5A, cap);
    EXPECT_RC(proxyproto_builder_finish(b, out, cap), size);
    ck_assert_mem_eq(out, tmp, (size_t)size);
    /* Against the guard page. */
    {
        uint8_t *g = pp_guard_end(tmp, (size_t)size);
        memset(g, 0, (size_t)size);
        ck_assert_int_eq(proxyproto_builder_finish(b, g, (size_t)size), size);
        ck_assert_mem_eq(g, out, (size_t)size);
    }
    free(tmp);
    return (size_t)size;
}

START_TEST(exact_bytes)
{
    proxyproto_header h = inet_hdr();
    proxyproto_builder b;
    uint8_t out[128], want[128];
    size_t wn = pp_hex(want, sizeof want,
                       SIG "21 11 0011 01020304 05060708 0001 0002 01 0002 'h2'");
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2), 0);
    ck_assert_uint_eq(finish(&b, out, sizeof out), wn);
    ck_assert_mem_eq(out, want, wn);

    /* No TLVs at all: just the header's fields. */
    proxyproto_builder_init(&b, &h);
    ck_assert_uint_eq(finish(&b, out, sizeof out), 28);
    ck_assert_mem_eq(out, want, 14);
    ck_assert_uint_eq(out[15], 12);

    /* SSL layout: client, verify big-endian, then sub-TLVs. */
    wn = pp_hex(want, sizeof want,
                SIG "21 11 0021 01020304 05060708 0001 0002 "
                    "20 0012 07 0a0b0c0d 21 0007 'TLSv1.3' 22 0000");
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 0x07, 0x0A0B0C0Du), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "", 0), 0);
    ck_assert_uint_eq(finish(&b, out, sizeof out), wn);
    ck_assert_mem_eq(out, want, wn);

    /* Vendor layouts. */
    wn = pp_hex(want, sizeof want,
                SIG "21 11 0039 01020304 05060708 0001 0002 "
                    "ea 0017 01 'vpce-0123456789abcdef0' "
                    "ee 0005 01 78563412 "
                    "e0 0008 0102030405060708");
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_aws_vpce_id(&b, "vpce-0123456789abcdef0", 22), 0);
    EXPECT_RC(proxyproto_builder_add_azure_linkid(&b, 0x12345678u), 0);
    EXPECT_RC(proxyproto_builder_add_gcp_psc_id(&b, 0x0102030405060708ull), 0);
    ck_assert_uint_eq(finish(&b, out, sizeof out), wn);
    ck_assert_mem_eq(out, want, wn);
}
END_TEST

/* finish() copies values in 64-byte blocks, then in steps of 32 down to
 * 1, and an entry's inline bytes with one 8-byte move when there is room:
 * every value length across those steps, with a value and an inline
 * entry after it (one with room, the last without), byte for byte. */
START_TEST(every_value_length)
{
    static uint8_t val[4200], out[4400], want[4400];
    static const size_t big[] = {191, 192, 193, 255, 256, 1000, 4095, 4096, 4097, 4200};
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    size_t i, k;

    for (i = 0; i < sizeof val; i++)
        val[i] = (uint8_t)(i * 7 + 3);
    for (k = 0; k < 131 + sizeof big / sizeof big[0]; k++) {
        size_t len = k < 131 ? k : big[k - 131], len2 = len % 70, w = 0;

        proxyproto_builder_init(&b, &h);
        EXPECT_RC(proxyproto_builder_add(&b, 0xF0, val, len), 0);
        EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
        EXPECT_RC(proxyproto_builder_add(&b, 0xF1, val + 1, len2), 0);
        EXPECT_RC(proxyproto_builder_add_azure_linkid(&b, 0x11223344u), 0);
        want[w++] = 0xF0;
        want[w++] = (uint8_t)(len >> 8);
        want[w++] = (uint8_t)len;
        memcpy(want + w, val, len);
        w += len;
        memcpy(want + w, "\x03\x00\x04", 3); /* the CRC32C, checked apart */
        w += 7;
        want[w++] = 0xF1;
        want[w++] = 0;
        want[w++] = (uint8_t)len2;
        memcpy(want + w, val + 1, len2);
        w += len2;
        memcpy(want + w, "\xEE\x00\x05\x01\x44\x33\x22\x11", 8);
        w += 8;
        ck_assert_uint_eq(finish(&b, out, sizeof out), 28 + w);
        ck_assert_mem_eq(out + 28, want, 3 + len + 3);
        ck_assert_mem_eq(out + 28 + 3 + len + 7, want + 3 + len + 7,
                         w - (3 + len + 7));
        pp_parse_ok(&p, out, 28 + w); /* the CRC32C checks out */
    }
}
END_TEST

/* Every add function in one header, read back through the parser. */
START_TEST(every_add)
{
    static const uint8_t hdr_tlvs[] = {0x02, 0x00, 0x03, 'a', '.', 'b'};
    static const uint8_t types[] = {
        PROXYPROTO_TLV_AUTHORITY, PROXYPROTO_TLV_CRC32C, PROXYPROTO_TLV_ALPN,
        PROXYPROTO_TLV_SSL,       PROXYPROTO_TLV_UNIQUE_ID, PROXYPROTO_TLV_NETNS,
        PROXYPROTO_TLV_AWS,       PROXYPROTO_TLV_AZURE,  PROXYPROTO_TLV_GCP,
        0xF7,                     PROXYPROTO_TLV_NOOP};
    unsigned lens[11] = {3, 4, 2, 5 + 10 + 9 + 3, 3, 2, 4, 5, 8, 0, 0};
    static const uint8_t sub_types[] = {PROXYPROTO_SSL_VERSION, PROXYPROTO_SSL_CN,
                                        PROXYPROTO_SSL_CLIENT_CERT};
    static const unsigned sub_lens[] = {7, 6, 0};
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    proxyproto_ssl ssl;
    proxyproto_tlv t;
    uint8_t out[256];
    const char *id;
    size_t n, id_len, before;
    uint32_t linkid;
    uint64_t psc;

    h.tlvs = hdr_tlvs;
    h.tlvs_len = sizeof hdr_tlvs;
    h.version = 1; /* not looked at */
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2), 0);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, PROXYPROTO_SSL_CLIENT_SSL |
                                                 PROXYPROTO_SSL_CLIENT_CERT_CONN,
                                         0),
              0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "client", 6), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CLIENT_CERT, NULL, 0), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_UNIQUE_ID, "abc", 3), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_NETNS, "ns", 2), 0);
    EXPECT_RC(proxyproto_builder_add_aws_vpce_id(&b, "vpce", 3), 0);
    EXPECT_RC(proxyproto_builder_add_azure_linkid(&b, 0xCAFEBABEu), 0);
    EXPECT_RC(proxyproto_builder_add_gcp_psc_id(&b, 0x8000000000000001ull), 0);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF7, NULL, 0), 0);
    before = 16 + 12 + 6 + 7 + 5 + 3 + 27 + 6 + 5 + 7 + 8 + 11 + 3;
    EXPECT_RC(proxyproto_builder_add_padding(&b, 16), 0);
    n = finish(&b, out, sizeof out);

    ck_assert_uint_eq(n % 16, 0);
    ck_assert_uint_ge(n, before + 3);
    ck_assert_uint_le(n, before + 3 + 15);
    lens[10] = (unsigned)(n - before - 3);
    pp_parse_ok(&p, out, n); /* the CRC32C verifies */
    ck_assert_uint_eq(p.version, 2);
    ck_assert_uint_eq(p.family, PROXYPROTO_AF_INET);
    ck_assert_uint_eq(p.src.port, 1);
    pp_expect_tlvs(p.tlvs, p.tlvs_len, types, lens, 11);

    EXPECT_RC(proxyproto_ssl_get(&p, &ssl), 0);
    ck_assert_uint_eq(ssl.client, 0x03);
    ck_assert_uint_eq(ssl.verify, 0);
    pp_expect_tlvs(ssl.subtlvs, ssl.subtlvs_len, sub_types, sub_lens, 3);
    EXPECT_RC(proxyproto_tlv_find(ssl.subtlvs, ssl.subtlvs_len, PROXYPROTO_SSL_CN, &t), 0);
    ck_assert_mem_eq(t.value, "client", 6);

    EXPECT_RC(proxyproto_aws_vpce_id(&p, &id, &id_len), 0);
    ck_assert_uint_eq(id_len, 3);
    ck_assert_mem_eq(id, "vpc", 3);
    EXPECT_RC(proxyproto_azure_linkid(&p, &linkid), 0);
    ck_assert_uint_eq(linkid, 0xCAFEBABEu);
    EXPECT_RC(proxyproto_gcp_psc_id(&p, &psc), 0);
    ck_assert(psc == 0x8000000000000001ull);
    EXPECT_RC(proxyproto_tlv_find(p.tlvs, p.tlvs_len, PROXYPROTO_TLV_AZURE, &t), 0);
    ck_assert_mem_eq(t.value, "\x01\xBE\xBA\xFE\xCA", 5);
    EXPECT_RC(proxyproto_tlv_find(p.tlvs, p.tlvs_len, PROXYPROTO_TLV_GCP, &t), 0);
    ck_assert_mem_eq(t.value, "\x80\0\0\0\0\0\0\x01", 8);
    EXPECT_RC(proxyproto_tlv_find(p.tlvs, p.tlvs_len, PROXYPROTO_TLV_UNIQUE_ID, &t), 0);
    ck_assert_mem_eq(t.value, "abc", 3);
}
END_TEST

/* A new TLV after SSL sub-TLVs closes the SSL TLV. */
START_TEST(ssl_closed_by_next_tlv)
{
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    proxyproto_ssl ssl;
    uint8_t out[128];
    size_t n;
    static const uint8_t types[] = {PROXYPROTO_TLV_SSL, PROXYPROTO_TLV_ALPN,
                                    PROXYPROTO_TLV_SSL};
    static const unsigned lens[] = {5 + 4, 2, 5};

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 1, 0), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CIPHER, "x", 1), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2), 0);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 5, 0xFFFFFFFFu), 0);
    n = finish(&b, out, sizeof out);
    pp_parse_ok(&p, out, n);
    pp_expect_tlvs(p.tlvs, p.tlvs_len, types, lens, 3);
    EXPECT_RC(proxyproto_ssl_get(&p, &ssl), 0);
    ck_assert_uint_eq(ssl.client, 1);
    ck_assert_uint_eq(ssl.subtlvs_len, 4);
}
END_TEST

/* Padding: the smallest NOOP (>= 3 bytes) that makes the length a multiple. */
START_TEST(padding)
{
    static const unsigned aligns[] = {1, 2, 3, 4, 8, 16, 100, 256};
    static const char alpn[64] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
    proxyproto_header h = inet_hdr(), p;
    uint8_t out[1024];

    for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
        for (size_t extra = 0; extra <= 40; extra++) {
            proxyproto_builder b;
            size_t base = 28 + 3 + extra, n, want;
            proxyproto_tlv t;
            proxyproto_builder_init(&b, &h);
            EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, alpn, extra), 0);
            EXPECT_RC(proxyproto_builder_add_padding(&b, aligns[a]), 0);
            n = finish(&b, out, sizeof out);
            want = base + 3;
            while (want % aligns[a])
                want++;
            ck_assert_msg(n == want, "align %u, %zu bytes before: %zu, want %zu",
                          aligns[a], base, n, want);
            pp_parse_ok(&p, out, n);
            EXPECT_RC(proxyproto_tlv_find(p.tlvs, p.tlvs_len, PROXYPROTO_TLV_NOOP, &t), 0);
            ck_assert_uint_eq(t.len, want - base - 3);
        }
    }
}
END_TEST

/* Padding in the middle, CRC32C after it: still aligned, still verified. */
START_TEST(padding_in_the_middle)
{
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    uint8_t out[256];
    size_t n;
    static const uint8_t types[] = {PROXYPROTO_TLV_NOOP, PROXYPROTO_TLV_ALPN,
                                    PROXYPROTO_TLV_CRC32C};
    unsigned lens[] = {0, 5, 4};

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_padding(&b, 8), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "hello", 5), 0);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n % 8, 0);
    /* 28 + 8 + 7 = 43 bytes without the NOOP, which takes 5: 48. */
    ck_assert_uint_eq(n, 48);
    lens[0] = 2;
    pp_parse_ok(&p, out, n);
    pp_expect_tlvs(p.tlvs, p.tlvs_len, types, lens, 3);
}
END_TEST

/* CRC32C computed last, over the finished header, big-endian. */
START_TEST(crc_last)
{
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    uint8_t out[256], z[256];
    size_t n;
    uint32_t crc;

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_AUTHORITY, "example.org", 11), 0);
    EXPECT_RC(proxyproto_builder_add_padding(&b, 32), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 64);
    pp_parse_ok(&p, out, n);
    memcpy(z, out, n);
    ck_assert_uint_eq(z[28], PROXYPROTO_TLV_CRC32C);
    memset(z + 31, 0, 4);
    crc = pp_ref_crc32c(0, z, n);
    ck_assert_uint_eq(out[31], crc >> 24);
    ck_assert_uint_eq(out[32], (crc >> 16) & 0xFF);
    ck_assert_uint_eq(out[33], (crc >> 8) & 0xFF);
    ck_assert_uint_eq(out[34], crc & 0xFF);
    /* Any byte changed after the signature: rejected -- except the CRC32C
     * TLV's type byte, which turns the checksum into another TLV. */
    for (size_t i = 12; i < n; i++) {
        uint8_t *big;
        int rc;
        if (i == 28)
            continue;
        big = calloc(1, 65551 + 256);
        ck_assert(big != NULL);
        memcpy(big, out, n);
        big[i] ^= 0x01;
        rc = pp_parse(&p, big, 65551 + 256, 0);
        PP_ASSERT(rc < 0 && rc != PROXYPROTO_INCOMPLETE,
                  "byte %zu flipped: %d (%s)", i, rc, proxyproto_error_name(rc));
        free(big);
    }

    /* LOCAL with a CRC32C only. */
    memset(&h, 0, sizeof h);
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 23);
    ck_assert_uint_eq(out[12], 0x20);
    pp_parse_ok(&p, out, n);
}
END_TEST

/* UNIX and INET6 headers through the builder. */
START_TEST(other_families)
{
    uint8_t spath[108] = "/s", dpath[108] = "\0abs", out[300];
    proxyproto_header h, p;
    proxyproto_builder b;
    size_t n;

    memset(&h, 0, sizeof h);
    h.command = 1;
    h.family = PROXYPROTO_AF_UNIX;
    h.transport = PROXYPROTO_TRANSPORT_DGRAM;
    h.has_addresses = 1;
    h.src.path = spath;
    h.src.path_len = 2;
    h.dst.path = dpath;
    h.dst.path_len = 0;
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 16 + 216 + 7);
    ck_assert_uint_eq(out[13], 0x32);
    pp_parse_ok(&p, out, n);
    ck_assert_mem_eq(p.src.path, spath, 108);
    ck_assert_mem_eq(p.dst.path, dpath, 108);

    h.family = PROXYPROTO_AF_INET6;
    h.transport = PROXYPROTO_TRANSPORT_STREAM;
    memset(h.src.ip.v6, 0x11, 16);
    memset(h.dst.ip.v6, 0x22, 16);
    h.src.path = h.dst.path = NULL;
    h.src.path_len = h.dst.path_len = 0;
    h.src.port = 0xABCD;
    proxyproto_builder_init(&b, &h);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 52);
    pp_parse_ok(&p, out, n);
    ck_assert_mem_eq(p.dst.ip.v6, h.dst.ip.v6, 16);
    ck_assert_uint_eq(p.src.port, 0xABCD);
}
END_TEST

/* Sticky errors: the first error is returned by every later call. */
static void expect_stuck(proxyproto_builder *b, int err)
{
    uint8_t out[256];
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_builder_add(b, PROXYPROTO_TLV_ALPN, "h2", 2), err);
    EXPECT_RC(proxyproto_builder_add_crc32c(b), err);
    EXPECT_RC(proxyproto_builder_add_padding(b, 4), err);
    EXPECT_RC(proxyproto_builder_size(b), err);
    EXPECT_RC(proxyproto_builder_finish(b, out, sizeof out), err);
    ck_assert_uint_eq(pp_first_not(out, sizeof out, 0xA5), sizeof out);
}

START_TEST(sticky_errors)
{
    static uint8_t big[65536];
    proxyproto_header h = inet_hdr();
    proxyproto_builder b;

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF0, big, 65536), PROXYPROTO_ERR_TLV_TOO_LONG);
    expect_stuck(&b, PROXYPROTO_ERR_TLV_TOO_LONG);

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "x", 1),
              PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
    expect_stuck(&b, PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 1, 0), 0);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "x", 1),
              PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
    expect_stuck(&b, PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_padding(&b, 0), PROXYPROTO_ERR_INVALID_ARGUMENT);
    expect_stuck(&b, PROXYPROTO_ERR_INVALID_ARGUMENT);
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_padding(&b, 257), PROXYPROTO_ERR_INVALID_ARGUMENT);
    expect_stuck(&b, PROXYPROTO_ERR_INVALID_ARGUMENT);

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, NULL, 2),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    expect_stuck(&b, PROXYPROTO_ERR_INVALID_ARGUMENT);

    /* AWS: sub-type + 65535 bytes of id does not fit in a TLV. */
    proxyproto_builder_init(&b, &h);
    memset(big, 'a', sizeof big);
    EXPECT_RC(proxyproto_builder_add_aws_vpce_id(&b, (const char *)big, 65535),
              PROXYPROTO_ERR_TLV_TOO_LONG);
    expect_stuck(&b, PROXYPROTO_ERR_TLV_TOO_LONG);

    /* The first error stays even after a later different one. */
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "x", 1),
              PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF0, big, 65536),
              PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
    expect_stuck(&b, PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
}
END_TEST

/* At most one CRC32C TLV per header, hdr->tlvs included. */
START_TEST(crc_twice)
{
    static const uint8_t crc_tlv[] = {3, 0, 4, 0, 0, 0, 0};
    proxyproto_header h = inet_hdr();
    proxyproto_builder b;
    int rc;

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), 0);
    EXPECT_RC(proxyproto_builder_add_crc32c(&b), PROXYPROTO_ERR_CRC32C_TWICE);
    expect_stuck(&b, PROXYPROTO_ERR_CRC32C_TWICE);

    h.tlvs = crc_tlv;
    h.tlvs_len = sizeof crc_tlv;
    proxyproto_builder_init(&b, &h);
    rc = proxyproto_builder_add_crc32c(&b);
    ck_assert(rc == 0 || rc == PROXYPROTO_ERR_CRC32C_TWICE);
    EXPECT_RC(proxyproto_builder_size(&b), PROXYPROTO_ERR_CRC32C_TWICE);
    {
        uint8_t out[128];
        memset(out, 0xA5, sizeof out);
        EXPECT_RC(proxyproto_builder_finish(&b, out, sizeof out),
                  PROXYPROTO_ERR_CRC32C_TWICE);
        ck_assert_uint_eq(pp_first_not(out, sizeof out, 0xA5), sizeof out);
    }
    /* The one in hdr->tlvs alone is filled in. */
    proxyproto_builder_init(&b, &h);
    {
        uint8_t out[128];
        proxyproto_header p;
        size_t n = finish(&b, out, sizeof out);
        ck_assert_uint_eq(n, 35);
        pp_parse_ok(&p, out, n);
    }
}
END_TEST

/* PROXYPROTO_BUILDER_MAX entries, SSL sub-TLVs included. */
START_TEST(builder_full)
{
    proxyproto_header h = inet_hdr(), p;
    proxyproto_builder b;
    uint8_t out[512];
    size_t n;

    proxyproto_builder_init(&b, &h);
    for (int i = 0; i < PROXYPROTO_BUILDER_MAX; i++)
        EXPECT_RC(proxyproto_builder_add(&b, 0xF0, "x", 1), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 28 + 4 * PROXYPROTO_BUILDER_MAX);
    pp_parse_ok(&p, out, n);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF0, "x", 1), PROXYPROTO_ERR_BUILDER_FULL);
    expect_stuck(&b, PROXYPROTO_ERR_BUILDER_FULL);

    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 1, 0), 0);
    for (int i = 1; i < PROXYPROTO_BUILDER_MAX; i++)
        EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "y", 1), 0);
    n = finish(&b, out, sizeof out);
    ck_assert_uint_eq(n, 28 + 3 + 5 + 4 * (PROXYPROTO_BUILDER_MAX - 1));
    pp_parse_ok(&p, out, n);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "y", 1),
              PROXYPROTO_ERR_BUILDER_FULL);
    expect_stuck(&b, PROXYPROTO_ERR_BUILDER_FULL);
}
END_TEST

/* 65551 bytes fit; one more byte does not. */
START_TEST(header_size_limit)
{
    static uint8_t big[65535];
    proxyproto_header h, p;
    proxyproto_builder b;
    uint8_t *out = malloc(65551 + 16);

    ck_assert(out != NULL);
    memset(&h, 0, sizeof h);
    h.command = 1;
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF0, big, 65532), 0);
    ck_assert_uint_eq(finish(&b, out, 65551 + 16), 65551);
    pp_parse_ok(&p, out, 65551);

    /* One byte more: the add may say so already; size and finish must. */
    proxyproto_builder_init(&b, &h);
    {
        int rc = proxyproto_builder_add(&b, 0xF0, big, 65533);
        ck_assert(rc == 0 || rc == PROXYPROTO_ERR_HEADER_TOO_LONG);
    }
    EXPECT_RC(proxyproto_builder_size(&b), PROXYPROTO_ERR_HEADER_TOO_LONG);
    memset(out, 0xA5, 65551 + 16);
    EXPECT_RC(proxyproto_builder_finish(&b, out, 65551 + 16),
              PROXYPROTO_ERR_HEADER_TOO_LONG);
    ck_assert_uint_eq(pp_first_not(out, 65551 + 16, 0xA5), 65551 + 16);

    /* Two TLVs of 40000 bytes. */
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add(&b, 0xF0, big, 40000), 0);
    {
        int rc = proxyproto_builder_add(&b, 0xF1, big, 40000);
        ck_assert(rc == 0 || rc == PROXYPROTO_ERR_HEADER_TOO_LONG);
    }
    EXPECT_RC(proxyproto_builder_size(&b), PROXYPROTO_ERR_HEADER_TOO_LONG);
    EXPECT_RC(proxyproto_builder_finish(&b, out, 65551 + 16),
              PROXYPROTO_ERR_HEADER_TOO_LONG);

    /* An SSL TLV whose sub-TLVs make its value longer than 65535. */
    proxyproto_builder_init(&b, &h);
    EXPECT_RC(proxyproto_builder_add_ssl(&b, 1, 0), 0);
    EXPECT_RC(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CLIENT_CERT, big, 40000), 0);
    {
        int rc = proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CLIENT_CERT, big,
                                                40000);
        ck_assert(rc == 0 || rc == PROXYPROTO_ERR_TLV_TOO_LONG ||
                  rc == PROXYPROTO_ERR_HEADER_TOO_LONG);
        rc = proxyproto_builder_size(&b);
        ck_assert_msg(rc == PROXYPROTO_ERR_TLV_TOO_LONG ||
                          rc == PROXYPROTO_ERR_HEADER_TOO_LONG,
                      "SSL value > 65535: size gave %d", rc);
    }
    free(out);
}
END_TEST

Suite *suite_builder(void)
{
    Suite *s = suite_create("builder");
    TCase *tc = tcase_create("builder");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, exact_bytes);
    tcase_add_test(tc, every_value_length);
    tcase_add_test(tc, every_add);
    tcase_add_test(tc, ssl_closed_by_next_tlv);
    tcase_add_test(tc, padding);
    tcase_add_test(tc, padding_in_the_middle);
    tcase_add_test(tc, crc_last);
    tcase_add_test(tc, other_families);
    tcase_add_test(tc, sticky_errors);
    tcase_add_test(tc, builder_full);
    tcase_add_test(tc, crc_twice);
    tcase_add_test(tc, header_size_limit);
    suite_add_tcase(s, tc);
    return s;
}
