/* TLV iteration, lookup and the SSL TLV (proxyproto(7) section 4). */
#include "tests.h"

#include <string.h>

static size_t hex(uint8_t *out, size_t cap, const char *h)
{
    return pp_hex(out, cap, h);
}

START_TEST(iterate_in_order)
{
    uint8_t a[64];
    size_t n = hex(a, sizeof a,
                   "01 0002 'h2' 02 0003 'a.b' 00 0000 ff 0001 07 20 0005 01 "
                   "00000000");
    static const uint8_t types[] = {0x01, 0x02, 0x00, 0xFF, 0x20};
    static const unsigned lens[] = {2, 3, 0, 1, 5};
    const uint8_t *g = pp_guard_end(a, n);
    pp_expect_tlvs(g, n, types, lens, 5);
    g = pp_guard_start(a, n);
    pp_expect_tlvs(g, n, types, lens, 5);
}
END_TEST

START_TEST(iterate_empty)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;
    proxyproto_tlv_iter_init(&it, NULL, 0);
    ck_assert_int_eq(proxyproto_tlv_next(&it, &t), 0);
    ck_assert_int_eq(proxyproto_tlv_next(&it, &t), 0);
    proxyproto_tlv_iter_init(&it, pp_guard_end("", 0), 0);
    ck_assert_int_eq(proxyproto_tlv_next(&it, &t), 0);
}
END_TEST

/* The iterator stops at the first TLV that does not fit. */
START_TEST(iterate_stops_at_bad_tlv)
{
    static const struct {
        const char *hex;
        size_t count;
    } t[] = {
        {"01 0002 'h2' f0 0005 0102", 1},   /* overrun */
        {"01 0002 'h2' 00", 1},             /* 1 stray byte */
        {"01 0002 'h2' 0000", 1},           /* 2 stray bytes */
        {"0000", 0},                        /* only 2 bytes */
        {"f0 0001", 0},                     /* value missing */
        {"f0 ffff 01 0002 'h2'", 0},        /* the rest inside an overrun */
        {"01 0002 'h2' 01 0002 'h2' 04", 2},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t a[64], *g;
        size_t n = hex(a, sizeof a, t[i].hex), count = 0;
        proxyproto_tlv_iter it;
        proxyproto_tlv tlv;
        g = pp_guard_end(a, n);
        proxyproto_tlv_iter_init(&it, g, n);
        while (proxyproto_tlv_next(&it, &tlv)) {
            ck_assert(tlv.value + tlv.len <= g + n);
            count++;
        }
        ck_assert_msg(count == t[i].count, "%s: %zu TLVs, want %zu", t[i].hex,
                      count, t[i].count);
        ck_assert_int_eq(proxyproto_tlv_next(&it, &tlv), 0);
    }
}
END_TEST

/* Safe on any bytes: random areas against both guards never read past the
 * area, and what it returns lies inside it. */
START_TEST(iterate_random_bytes)
{
    uint64_t seed = 2024;
    uint8_t a[512];
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(pp_rand(&seed) % sizeof a), total = 0;
        proxyproto_tlv_iter it;
        proxyproto_tlv t;
        const uint8_t *g;
        pp_rand_fill(&seed, a, n);
        /* Mostly small lengths, so that some areas tile. */
        for (size_t i = 1; i < n; i += 7)
            a[i] = (round & 1) ? 0 : a[i];
        g = round % 2 ? pp_guard_end(a, n) : pp_guard_start(a, n);
        proxyproto_tlv_iter_init(&it, g, n);
        while (proxyproto_tlv_next(&it, &t)) {
            PP_ASSERT(t.value == g + total + 3, "value pointer");
            PP_ASSERT(t.value + t.len <= g + n, "value past the area");
            total += 3 + (size_t)t.len;
        }
        PP_ASSERT(total <= n, "total %zu > %zu", total, n);
        {
            proxyproto_tlv f;
            int rc = proxyproto_tlv_find(g, n, a[0], &f);
            PP_ASSERT(rc == 0 || rc == PROXYPROTO_ERR_TLV_NOT_FOUND, "find: %d", rc);
            if (n >= 3 && total > 0)
                PP_ASSERT(rc == 0, "find: %d", rc); /* the first TLV has type a[0] */
        }
    }
}
END_TEST

START_TEST(find_first_of_duplicates)
{
    uint8_t a[64];
    size_t n = hex(a, sizeof a,
                   "04 0000 01 0002 'h2' 01 0008 'http/1.1' 02 0001 'x'");
    const uint8_t *g = pp_guard_end(a, n);
    proxyproto_tlv t;
    EXPECT_RC(proxyproto_tlv_find(g, n, PROXYPROTO_TLV_ALPN, &t), 0);
    ck_assert_uint_eq(t.type, PROXYPROTO_TLV_ALPN);
    ck_assert_uint_eq(t.len, 2);
    ck_assert(t.value == g + 6);
    ck_assert_mem_eq(t.value, "h2", 2);
    EXPECT_RC(proxyproto_tlv_find(g, n, PROXYPROTO_TLV_AUTHORITY, &t), 0);
    ck_assert(t.value == g + n - 1);
    ck_assert_uint_eq(t.len, 1);
    EXPECT_RC(proxyproto_tlv_find(g, n, PROXYPROTO_TLV_NOOP, &t), 0);
    ck_assert_uint_eq(t.len, 0);
}
END_TEST

START_TEST(find_not_found)
{
    uint8_t a[64];
    size_t n;
    proxyproto_tlv t;
    EXPECT_RC(proxyproto_tlv_find(NULL, 0, PROXYPROTO_TLV_ALPN, &t),
              PROXYPROTO_ERR_TLV_NOT_FOUND);
    /* An ALPN inside another TLV's value is not a TLV. */
    n = hex(a, sizeof a, "f0 0005 01 0002 'h2'");
    EXPECT_RC(proxyproto_tlv_find(pp_guard_end(a, n), n, PROXYPROTO_TLV_ALPN, &t),
              PROXYPROTO_ERR_TLV_NOT_FOUND);
    /* Nor one beyond a TLV that overruns the area. */
    n = hex(a, sizeof a, "f0 0009 01 0002 'h2'");
    EXPECT_RC(proxyproto_tlv_find(pp_guard_end(a, n), n, PROXYPROTO_TLV_ALPN, &t),
              PROXYPROTO_ERR_TLV_NOT_FOUND);
    /* Nor a type that is absent. */
    n = hex(a, sizeof a, "01 0002 'h2'");
    EXPECT_RC(proxyproto_tlv_find(pp_guard_end(a, n), n, PROXYPROTO_TLV_SSL, &t),
              PROXYPROTO_ERR_TLV_NOT_FOUND);
}
END_TEST

/* Lookups on a parsed header. */
START_TEST(find_in_parsed_header)
{
    uint8_t in[128];
    size_t n = pp_hex(in, sizeof in,
                      SIG "21 11 0024 7f000001 7f000001 0001 0002 "
                          "02 000b 'example.com' 30 0002 'ns' 01 0002 'h2'");
    proxyproto_header h;
    proxyproto_tlv t;
    pp_parse_ok(&h, in, n);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_AUTHORITY, &t),
              0);
    ck_assert_uint_eq(t.len, 11);
    ck_assert_mem_eq(t.value, "example.com", 11);
    ck_assert(t.value == in + 31);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_NETNS, &t), 0);
    ck_assert_mem_eq(t.value, "ns", 2);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_ALPN, &t), 0);
    ck_assert_mem_eq(t.value, "h2", 2);
    ck_assert(t.value + 2 == in + n);
}
END_TEST

static void hand_header(proxyproto_header *h, const uint8_t *tlvs, size_t len)
{
    memset(h, 0, sizeof *h);
    h->version = 2;
    h->command = PROXYPROTO_CMD_PROXY;
    h->tlvs = tlvs;
    h->tlvs_len = len;
}

START_TEST(ssl_decode)
{
    uint8_t in[128];
    size_t n = pp_hex(in, sizeof in,
                      SIG "21 00 0023 "
                          "20 0015 05 01020304 21 0007 'TLSv1.2' 22 0003 'bob' "
                          "20 0005 07 00000000 "
                          "04 0000");
    static const uint8_t types[] = {PROXYPROTO_SSL_VERSION, PROXYPROTO_SSL_CN};
    static const unsigned lens[] = {7, 3};
    proxyproto_header h;
    proxyproto_ssl ssl;
    proxyproto_tlv t;

    pp_parse_ok(&h, in, n);
    memset(&ssl, 0xA5, sizeof ssl);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
    /* The first SSL TLV; verify is big-endian. */
    ck_assert_uint_eq(ssl.client, 0x05);
    ck_assert_uint_eq(ssl.verify, 0x01020304u);
    ck_assert(ssl.subtlvs == in + 24);
    ck_assert_uint_eq(ssl.subtlvs_len, 0x15 - 5);
    pp_expect_tlvs(ssl.subtlvs, ssl.subtlvs_len, types, lens, 2);
    EXPECT_RC(proxyproto_tlv_find(ssl.subtlvs, ssl.subtlvs_len,
                                  PROXYPROTO_SSL_CN, &t),
              0);
    ck_assert_mem_eq(t.value, "bob", 3);
    EXPECT_RC(proxyproto_tlv_find(ssl.subtlvs, ssl.subtlvs_len,
                                  PROXYPROTO_SSL_CIPHER, &t),
              PROXYPROTO_ERR_TLV_NOT_FOUND);
}
END_TEST

START_TEST(ssl_minimal_and_absent)
{
    uint8_t in[64];
    size_t n = pp_hex(in, sizeof in, SIG "21 00 0008 20 0005 01 ffffffff");
    proxyproto_header h;
    proxyproto_ssl ssl;
    pp_parse_ok(&h, in, n);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
    ck_assert_uint_eq(ssl.client, PROXYPROTO_SSL_CLIENT_SSL);
    ck_assert_uint_eq(ssl.verify, 0xFFFFFFFFu);
    ck_assert_uint_eq(ssl.subtlvs_len, 0);

    n = pp_hex(in, sizeof in, SIG "21 00 0005 01 0002 'h2'");
    pp_parse_ok(&h, in, n);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), PROXYPROTO_ERR_TLV_NOT_FOUND);
    /* An SSL sub-type at top level is not an SSL TLV. */
    n = pp_hex(in, sizeof in, SIG "21 00 000a 21 0007 'TLSv1.3'");
    pp_parse_ok(&h, in, n);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), PROXYPROTO_ERR_TLV_NOT_FOUND);
    /* v1 has no TLVs. */
    pp_parse_ok(&h, (const uint8_t *)"PROXY UNKNOWN\r\n", 15);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), PROXYPROTO_ERR_TLV_NOT_FOUND);
}
END_TEST

/* A header not filled by a parse: the SSL TLV is validated. */
static const struct {
    const char *hex;
    int rc;
} ssl_bad[] = {
    {"20 0004 01000000", PROXYPROTO_ERR_V2_SSL_TOO_SHORT},
    {"20 0000", PROXYPROTO_ERR_V2_SSL_TOO_SHORT},
    {"20 0006 01 00000000 00", PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED},
    {"20 0007 01 00000000 0000", PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED},
    {"20 0008 01 00000000 21 0005", PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN},
    {"20 000a 01 00000000 21 0003 'ab'", PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN},
    {"20 0008 01 00000000 21 0000", 0},
};

START_TEST(ssl_malformed_by_hand)
{
    uint8_t a[64];
    size_t n = pp_hex(a, sizeof a, ssl_bad[_i].hex);
    proxyproto_header h;
    proxyproto_ssl ssl;
    hand_header(&h, pp_guard_end(a, n), n);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), ssl_bad[_i].rc);
}
END_TEST

Suite *suite_tlv(void)
{
    Suite *s = suite_create("tlv");
    TCase *tc = tcase_create("tlv");
    tcase_add_test(tc, iterate_in_order);
    tcase_add_test(tc, iterate_empty);
    tcase_add_test(tc, iterate_stops_at_bad_tlv);
    tcase_add_test(tc, iterate_random_bytes);
    tcase_add_test(tc, find_first_of_duplicates);
    tcase_add_test(tc, find_not_found);
    tcase_add_test(tc, find_in_parsed_header);
    tcase_add_test(tc, ssl_decode);
    tcase_add_test(tc, ssl_minimal_and_absent);
    tcase_add_loop_test(tc, ssl_malformed_by_hand, 0,
                        (int)(sizeof ssl_bad / sizeof ssl_bad[0]));
    suite_add_tcase(s, tc);
    return s;
}
