/* Real headers from HAProxy and nginx (tests/captures/README.md): each
 * decodes to what the README says, leaves the payload alone, writes back
 * byte for byte, and (CRC32C ones) fails when any header byte changes. */
/* readdir() on a 32-bit build fails (EOVERFLOW) on a file system with
 * 64-bit inode numbers unless off_t and ino_t are 64-bit. */
#define _FILE_OFFSET_BITS 64
#include "tests.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TLVS 8
#define MAX_SUBS 6

typedef struct capture {
    pp_case c;          /* name = file; the expected parse */
    size_t header_len;
    const char *payload; /* what follows the header */
    size_t ntlvs;
    uint8_t types[MAX_TLVS];
    unsigned lens[MAX_TLVS];
    const char *alpn, *authority;
    int ssl;
    uint8_t client;
    uint32_t verify;
    size_t nsubs;
    uint8_t sub_types[MAX_SUBS];
    const char *sub_values[MAX_SUBS];
} capture;

#define V1(fam, s, d, sp, dp)                                                  \
    .rc = PP_WHOLE, .version = 1, .command = 1, .family = fam, .transport = 1, \
    .has_addresses = 1, .src = s, .dst = d, .sport = sp, .dport = dp, .canon = 1
#define V2(cmd, fam, tr, addrs, s, d, sp, dp, tl)                              \
    .rc = PP_WHOLE, .version = 2, .command = cmd, .family = fam,               \
    .transport = tr, .has_addresses = addrs, .src = s, .dst = d, .sport = sp,  \
    .dport = dp, .tlvs_len = tl, .canon = 1

#define CIPHER "TLS_AES_256_GCM_SHA384"

static const capture caps[] = {
    {.c = {.name = "haproxy-v1-tcp4.bin",
           V1(1, "127.0.0.1", "127.0.0.1", 48352, 18002)},
     .header_len = 44, .payload = "hello\n"},
    {.c = {.name = "haproxy-v1-tcp6.bin", V1(2, "::1", "::1", 42076, 18004)},
     .header_len = 32, .payload = "hello\n"},
    {.c = {.name = "nginx-v1-tcp4.bin",
           V1(1, "127.0.0.1", "127.0.0.1", 53448, 18005)},
     .header_len = 44, .payload = "hello\n"},
    {.c = {.name = "haproxy-v2-tcp4-crc32c-uniqueid.bin",
           V2(1, 1, 1, 1, "127.0.0.1", "127.0.0.1", 42670, 18000, 84 - 28)},
     .header_len = 84, .payload = "hello\n", .ntlvs = 2,
     .types = {PROXYPROTO_TLV_CRC32C, PROXYPROTO_TLV_UNIQUE_ID}, .lens = {4, 46}},
    {.c = {.name = "haproxy-v2-tcp6-crc32c.bin",
           V2(1, 2, 1, 1, "::1", "::1", 45874, 18003, 62 - 52)},
     .header_len = 62, .payload = "hello\n", .ntlvs = 2,
     .types = {PROXYPROTO_TLV_CRC32C, PROXYPROTO_TLV_UNIQUE_ID}, .lens = {4, 0}},
    {.c = {.name = "haproxy-v2-local-healthcheck.bin",
           V2(0, 0, 0, 0, NULL, NULL, 0, 0, 0)},
     .header_len = 16, .payload = ""},
    {.c = {.name = "haproxy-v2-local-unix-frontend.bin",
           V2(0, 0, 0, 0, NULL, NULL, 0, 0, 0)},
     .header_len = 16, .payload = "hello\n"},
    {.c = {.name = "haproxy-v2-tls-clientcert.bin",
           V2(1, 1, 1, 1, "127.0.0.1", "127.0.0.1", 55870, 18100, 194 - 28)},
     .header_len = 194, .payload = "hello\n", .ntlvs = 5,
     .types = {PROXYPROTO_TLV_CRC32C, PROXYPROTO_TLV_ALPN, PROXYPROTO_TLV_AUTHORITY,
               PROXYPROTO_TLV_UNIQUE_ID, PROXYPROTO_TLV_SSL},
     .lens = {4, 2, 15, 46, 84}, .alpn = "h2", .authority = "api.example.net",
     .ssl = 1, .client = 0x07, .verify = 0, .nsubs = 5,
     .sub_types = {PROXYPROTO_SSL_VERSION, PROXYPROTO_SSL_CN, PROXYPROTO_SSL_KEY_ALG,
                   PROXYPROTO_SSL_SIG_ALG, PROXYPROTO_SSL_CIPHER},
     .sub_values = {"TLSv1.3", "client.example.org", "RSA2048", "RSA-SHA256", CIPHER}},
    {.c = {.name = "haproxy-v2-tls-nocert.bin",
           V2(1, 1, 1, 1, "127.0.0.1", "127.0.0.1", 55882, 18100, 179 - 28)},
     .header_len = 179, .payload = "hello\n", .ntlvs = 5,
     .types = {PROXYPROTO_TLV_CRC32C, PROXYPROTO_TLV_ALPN, PROXYPROTO_TLV_AUTHORITY,
               PROXYPROTO_TLV_UNIQUE_ID, PROXYPROTO_TLV_SSL},
     .lens = {4, 8, 15, 46, 63}, .alpn = "http/1.1", .authority = "api.example.net",
     .ssl = 1, .client = 0x01, .verify = 0, .nsubs = 4,
     .sub_types = {PROXYPROTO_SSL_VERSION, PROXYPROTO_SSL_KEY_ALG,
                   PROXYPROTO_SSL_SIG_ALG, PROXYPROTO_SSL_CIPHER},
     .sub_values = {"TLSv1.3", "RSA2048", "RSA-SHA256", CIPHER}},
};
#define NCAPS (sizeof caps / sizeof caps[0])

static uint8_t *load(const capture *k, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", pp_captures_dir(), k->c.name);
    return pp_read_file(path, len);
}

static void expect_value(const uint8_t *area, size_t len, uint8_t type,
                         const char *want)
{
    proxyproto_tlv t;
    EXPECT_RC(proxyproto_tlv_find(area, len, type, &t), 0);
    ck_assert_msg(t.len == strlen(want) && memcmp(t.value, want, t.len) == 0,
                  "TLV 0x%02x: \"%.*s\", want \"%s\"", type, (int)t.len,
                  (const char *)t.value, want);
}

START_TEST(capture_decodes)
{
    const capture *k = &caps[_i];
    size_t len, plen = strlen(k->payload);
    uint8_t *buf = load(k, &len), *copy = malloc(len + 1);
    proxyproto_header h;

    ck_assert(copy != NULL);
    memcpy(copy, buf, len);
    ck_assert_msg(len == k->header_len + plen, "%s: %zu bytes, want %zu",
                  k->c.name, len, k->header_len + plen);
    /* Every way: whole, split, byte by byte, with payload, at the guards. */
    pp_run_bytes(&k->c, buf, k->header_len);

    /* The file as received: header, then the payload left in place. */
    EXPECT_RC(pp_parse(&h, buf, len, 0), (int)k->header_len);
    pp_check_fields(&k->c, &h, buf, k->header_len);
    ck_assert_mem_eq(buf + h.header_len, k->payload, plen);
    ck_assert_mem_eq(buf, copy, len);

    if (k->c.version == 2 && k->ntlvs > 0) {
        pp_expect_tlvs(h.tlvs, h.tlvs_len, k->types, k->lens, k->ntlvs);
        if (k->alpn)
            expect_value(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_ALPN, k->alpn);
        if (k->authority)
            expect_value(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_AUTHORITY,
                         k->authority);
    } else if (k->c.version == 2) {
        ck_assert_uint_eq(h.tlvs_len, 0);
    }
    if (k->ssl) {
        proxyproto_ssl ssl;
        unsigned lens[MAX_SUBS];
        EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
        ck_assert_uint_eq(ssl.client, k->client);
        ck_assert_uint_eq(ssl.verify, k->verify);
        for (size_t i = 0; i < k->nsubs; i++) {
            lens[i] = (unsigned)strlen(k->sub_values[i]);
            expect_value(ssl.subtlvs, ssl.subtlvs_len, k->sub_types[i],
                         k->sub_values[i]);
        }
        pp_expect_tlvs(ssl.subtlvs, ssl.subtlvs_len, k->sub_types, lens, k->nsubs);
    } else {
        proxyproto_ssl ssl;
        EXPECT_RC(proxyproto_ssl_get(&h, &ssl), PROXYPROTO_ERR_TLV_NOT_FOUND);
    }
    free(buf);
    free(copy);
}
END_TEST

/* Parse, write: the same bytes (the CRC32C recomputed gives the same). */
START_TEST(capture_round_trip)
{
    const capture *k = &caps[_i];
    size_t len;
    uint8_t *buf = load(k, &len), out[512];
    proxyproto_header h;

    pp_parse_ok(&h, buf, k->header_len);
    memset(out, 0xA5, sizeof out);
    EXPECT_RC(proxyproto_write(out, sizeof out, &h), (int)k->header_len);
    ck_assert_mem_eq(out, buf, k->header_len);
    ck_assert_uint_eq(out[k->header_len], 0xA5);
    EXPECT_RC(proxyproto_write_size(&h), (int)k->header_len);
    free(buf);
}
END_TEST

/* CRC32C captures: the stored value is the big-endian CRC-32C of the header
 * with the value zeroed; any byte changed makes the parse fail. The one
 * exception is the CRC32C TLV's own type byte: changed, the checksum
 * becomes another TLV and nothing is left to check. */
START_TEST(capture_any_flip_fails)
{
    const capture *k = &caps[_i];
    size_t len, crc_off = 0, total;
    uint8_t *buf, *big;
    proxyproto_header h;
    proxyproto_tlv t;

    if (k->c.version != 2 || k->ntlvs == 0 || k->types[0] != PROXYPROTO_TLV_CRC32C)
        return;
    buf = load(k, &len);
    pp_parse_ok(&h, buf, k->header_len);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_CRC32C, &t), 0);
    crc_off = (size_t)(t.value - buf);
    {
        uint8_t z[512];
        uint32_t crc;
        memcpy(z, buf, k->header_len);
        memset(z + crc_off, 0, 4);
        crc = pp_ref_crc32c(0, z, k->header_len);
        ck_assert_uint_eq(crc, (uint32_t)t.value[0] << 24 | (uint32_t)t.value[1] << 16 |
                                   (uint32_t)t.value[2] << 8 | t.value[3]);
    }
    /* The payload, then zeros, so a bigger len is never just incomplete. */
    total = len + 65551;
    big = calloc(1, total);
    ck_assert(big != NULL);
    memcpy(big, buf, len);
    for (size_t i = 0; i < k->header_len; i++) {
        static const uint8_t masks[] = {0x01, 0x80, 0xFF};
        if (i == crc_off - 3)
            continue;
        for (size_t m = 0; m < sizeof masks; m++) {
            int rc;
            big[i] ^= masks[m];
            rc = pp_parse(&h, big, total, 0);
            ck_assert_msg(rc < 0 && rc != PROXYPROTO_INCOMPLETE,
                          "%s: byte %zu ^ 0x%02x accepted: %d (%s)", k->c.name, i,
                          masks[m], rc, proxyproto_error_name(rc));
            big[i] ^= masks[m];
        }
    }
    free(big);
    free(buf);
}
END_TEST

/* Every .bin in the directory has an entry above. */
START_TEST(capture_list_complete)
{
    DIR *d = opendir(pp_captures_dir());
    struct dirent *e;
    size_t seen = 0;

    ck_assert_msg(d != NULL, "cannot open %s", pp_captures_dir());
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name), i;
        if (n < 4 || strcmp(e->d_name + n - 4, ".bin") != 0)
            continue;
        for (i = 0; i < NCAPS; i++)
            if (strcmp(caps[i].c.name, e->d_name) == 0)
                break;
        ck_assert_msg(i < NCAPS, "capture %s has no expectations", e->d_name);
        seen++;
    }
    closedir(d);
    ck_assert_uint_eq(seen, NCAPS);
}
END_TEST

/* ------------------------------------------------------------------------
 * What the load balancer says about the client: proxyproto_details_get()
 * and proxyproto_client_cert_verified() on the TLS captures and on
 * headers built for the cases HAProxy does not show.
 * ------------------------------------------------------------------------ */

/* The capture of that name (it must be in caps[]). */
static const capture *capture_named(const char *name)
{
    for (size_t i = 0; i < NCAPS; i++)
        if (strcmp(caps[i].c.name, name) == 0)
            return &caps[i];
    ck_abort_msg("no capture %s", name);
    return NULL;
}

/* Loads a capture and parses its header into *h; returns the buffer. */
static uint8_t *load_parsed(const char *name, proxyproto_header *h)
{
    const capture *k = capture_named(name);
    size_t len;
    uint8_t *buf = load(k, &len);

    pp_parse_ok(h, buf, k->header_len);
    return buf;
}

/* The span is exactly want, and lies inside the header's TLV area. */
static void expect_text(const proxyproto_header *h, proxyproto_text t,
                        const char *want, const char *what)
{
    if (want == NULL) {
        ck_assert_msg(t.ptr == NULL && t.len == 0, "%s: \"%.*s\", want none",
                      what, (int)t.len, t.ptr != NULL ? t.ptr : "");
        return;
    }
    ck_assert_msg(t.ptr != NULL && t.len == strlen(want) &&
                      memcmp(t.ptr, want, t.len) == 0,
                  "%s: \"%.*s\", want \"%s\"", what, (int)t.len,
                  t.ptr != NULL ? t.ptr : "", want);
    ck_assert_msg((const uint8_t *)t.ptr >= h->tlvs &&
                      (const uint8_t *)t.ptr + t.len <= h->tlvs + h->tlvs_len,
                  "%s: span outside the TLV area", what);
}

/* A client certificate that verified: the only case that says 1. */
START_TEST(details_clientcert)
{
    proxyproto_header h;
    proxyproto_details d;
    proxyproto_ssl ssl;
    proxyproto_tlv uid;
    uint8_t *buf = load_parsed("haproxy-v2-tls-clientcert.bin", &h);

    ck_assert_int_eq(proxyproto_client_cert_verified(&h), 1);
    memset(&d, 0xA5, sizeof d);
    EXPECT_RC(proxyproto_details_get(&h, &d), 0);
    ck_assert_uint_eq(d.tls, 1);
    ck_assert_uint_eq(d.cert_presented, 1);
    ck_assert_uint_eq(d.cert_verified, 1);
    ck_assert_uint_eq(d.verify, 0);
    expect_text(&h, d.tls_version, "TLSv1.3", "tls_version");
    expect_text(&h, d.cipher, CIPHER, "cipher");
    expect_text(&h, d.cn, "client.example.org", "cn");
    expect_text(&h, d.sig_alg, "RSA-SHA256", "sig_alg");
    expect_text(&h, d.key_alg, "RSA2048", "key_alg");
    expect_text(&h, d.sni, "api.example.net", "sni");
    expect_text(&h, d.alpn, "h2", "alpn");
    expect_text(&h, d.unique_id, "7F000001:DA3E_7F000001:46B4_6B094BCC_0000:1F48",
                "unique_id");
    /* the spans are the TLVs' own bytes, not copies */
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_UNIQUE_ID, &uid), 0);
    ck_assert_ptr_eq(d.unique_id.ptr, (const char *)uid.value);
    ck_assert_uint_eq(d.unique_id.len, 46);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
    ck_assert_uint_eq(ssl.client, PROXYPROTO_SSL_CLIENT_SSL | PROXYPROTO_SSL_CLIENT_CERT_CONN |
                                      PROXYPROTO_SSL_CLIENT_CERT_SESS);
    free(buf);
}
END_TEST

/* The trap: no certificate, and HAProxy still sends verify 0. */
START_TEST(details_nocert)
{
    proxyproto_header h;
    proxyproto_details d;
    proxyproto_ssl ssl;
    uint8_t *buf = load_parsed("haproxy-v2-tls-nocert.bin", &h);

    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
    ck_assert_uint_eq(ssl.verify, 0); /* "verified" by the raw field... */
    ck_assert_uint_eq(ssl.client, PROXYPROTO_SSL_CLIENT_SSL);
    ck_assert_int_eq(proxyproto_client_cert_verified(&h), 0); /* ...yet no cert */
    memset(&d, 0xA5, sizeof d);
    EXPECT_RC(proxyproto_details_get(&h, &d), 0);
    ck_assert_uint_eq(d.tls, 1);
    ck_assert_uint_eq(d.cert_presented, 0);
    ck_assert_uint_eq(d.cert_verified, 0);
    ck_assert_uint_eq(d.verify, 0);
    expect_text(&h, d.tls_version, "TLSv1.3", "tls_version");
    expect_text(&h, d.cipher, CIPHER, "cipher");
    expect_text(&h, d.cn, NULL, "cn");
    expect_text(&h, d.sig_alg, "RSA-SHA256", "sig_alg");
    expect_text(&h, d.key_alg, "RSA2048", "key_alg");
    expect_text(&h, d.sni, "api.example.net", "sni");
    expect_text(&h, d.alpn, "http/1.1", "alpn");
    ck_assert_uint_eq(d.unique_id.len, 46);
    ck_assert_mem_eq(d.unique_id.ptr, "7F000001:DA4A_7F000001:46B4_6B094BD1_0001", 41);
    free(buf);
}
END_TEST

/* Headers without an SSL TLV: v1, LOCAL, plain TCP v2; and NULL. Every
 * field of the details empty. */
START_TEST(details_none)
{
    static const char *const names[] = {
        "haproxy-v1-tcp4.bin", "haproxy-v1-tcp6.bin", "nginx-v1-tcp4.bin",
        "haproxy-v2-local-healthcheck.bin", "haproxy-v2-local-unix-frontend.bin",
        "haproxy-v2-tcp6-crc32c.bin",
    };

    ck_assert_int_eq(proxyproto_client_cert_verified(NULL), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        proxyproto_header h;
        proxyproto_details d;
        uint8_t *buf = load_parsed(names[i], &h);

        ck_assert_msg(proxyproto_client_cert_verified(&h) == 0, "%s", names[i]);
        memset(&d, 0xA5, sizeof d);
        EXPECT_RC(proxyproto_details_get(&h, &d), 0);
        ck_assert(d.tls == 0 && d.cert_presented == 0 && d.cert_verified == 0 &&
                  d.verify == 0);
        expect_text(&h, d.tls_version, NULL, "tls_version");
        expect_text(&h, d.cipher, NULL, "cipher");
        expect_text(&h, d.cn, NULL, "cn");
        expect_text(&h, d.sig_alg, NULL, "sig_alg");
        expect_text(&h, d.key_alg, NULL, "key_alg");
        expect_text(&h, d.sni, NULL, "sni");
        expect_text(&h, d.alpn, NULL, "alpn");
        /* the IPv6 capture carries an empty UNIQUE_ID: a span of 0 bytes */
        ck_assert_uint_eq(d.unique_id.len, 0);
        free(buf);
    }
    {
        proxyproto_header h;
        proxyproto_details d;
        uint8_t *buf = load_parsed("haproxy-v2-tcp4-crc32c-uniqueid.bin", &h);
        EXPECT_RC(proxyproto_details_get(&h, &d), 0);
        ck_assert_uint_eq(d.unique_id.len, 46);
        ck_assert_uint_eq(d.tls, 0);
        ck_assert_int_eq(proxyproto_client_cert_verified(&h), 0);
        EXPECT_RC(proxyproto_details_get(NULL, &d), PROXYPROTO_ERR_INVALID_ARGUMENT);
        EXPECT_RC(proxyproto_details_get(&h, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
        free(buf);
    }
}
END_TEST

/* SSL TLVs built by hand: every combination of the client bits with a
 * verify word of 0 and 1. Verified exactly when SSL, a certificate bit
 * (CONN or SESS) and verify 0. */
START_TEST(details_built)
{
    static const uint32_t verifies[] = {0, 1, 0x80000000u};

    for (unsigned client = 0; client < 8; client++) {
        for (size_t v = 0; v < sizeof verifies / sizeof verifies[0]; v++) {
            proxyproto_header in, h;
            proxyproto_builder b;
            proxyproto_details d;
            uint8_t buf[256];
            int n, tls = (client & PROXYPROTO_SSL_CLIENT_SSL) != 0;
            int cert = tls && (client & (PROXYPROTO_SSL_CLIENT_CERT_CONN |
                                         PROXYPROTO_SSL_CLIENT_CERT_SESS)) != 0;
            int want = cert && verifies[v] == 0;

            memset(&in, 0, sizeof in);
            in.version = 2;
            in.command = PROXYPROTO_CMD_PROXY;
            in.family = PROXYPROTO_AF_INET;
            in.transport = PROXYPROTO_TRANSPORT_STREAM;
            in.has_addresses = 1;
            proxyproto_builder_init(&b, &in);
            ck_assert_int_eq(proxyproto_builder_add_ssl(&b, (uint8_t)client, verifies[v]), 0);
            ck_assert_int_eq(proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "x", 1), 0);
            n = proxyproto_builder_finish(&b, buf, sizeof buf);
            ck_assert_int_gt(n, 0);
            pp_parse_ok(&h, buf, (size_t)n);
            ck_assert_msg(proxyproto_client_cert_verified(&h) == want,
                          "client 0x%x verify %u: want %d", client,
                          (unsigned)verifies[v], want);
            EXPECT_RC(proxyproto_details_get(&h, &d), 0);
            ck_assert_uint_eq(d.tls, tls);
            ck_assert_uint_eq(d.cert_presented, cert);
            ck_assert_uint_eq(d.cert_verified, want);
            ck_assert_uint_eq(d.verify, verifies[v]);
            expect_text(&h, d.cn, "x", "cn");
        }
    }
}
END_TEST

/* The brief's named cases, spelled out: a failed verification, and TLS
 * without a certificate, both with the SSL bit set. */
START_TEST(details_failed_and_certless)
{
    static const struct {
        uint8_t client;
        uint32_t verify;
        int want;
    } cases[] = {
        {PROXYPROTO_SSL_CLIENT_SSL | PROXYPROTO_SSL_CLIENT_CERT_CONN, 1, 0},
        {PROXYPROTO_SSL_CLIENT_SSL | PROXYPROTO_SSL_CLIENT_CERT_CONN, 0, 1},
        {PROXYPROTO_SSL_CLIENT_SSL | PROXYPROTO_SSL_CLIENT_CERT_SESS, 0, 1},
        {PROXYPROTO_SSL_CLIENT_SSL, 0, 0},
        {PROXYPROTO_SSL_CLIENT_CERT_CONN, 0, 0}, /* no SSL bit */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_header in, h;
        proxyproto_builder b;
        uint8_t buf[128];
        int n;

        memset(&in, 0, sizeof in);
        in.version = 2;
        in.command = PROXYPROTO_CMD_PROXY;
        proxyproto_builder_init(&b, &in);
        proxyproto_builder_add_ssl(&b, cases[i].client, cases[i].verify);
        n = proxyproto_builder_finish(&b, buf, sizeof buf);
        ck_assert_int_gt(n, 0);
        pp_parse_ok(&h, buf, (size_t)n);
        ck_assert_msg(proxyproto_client_cert_verified(&h) == cases[i].want,
                      "case %zu", i);
    }
}
END_TEST

/* The first TLV of each type counts; a hand-made header with a malformed
 * SSL TLV (no parse checked it) gives the parse's error and no "1". */
START_TEST(details_first_and_malformed)
{
    static const uint8_t tlvs[] = {
        0x01, 0x00, 0x02, 'h', '2',
        0x01, 0x00, 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
        0x02, 0x00, 0x01, 'a',
        0x02, 0x00, 0x01, 'b',
    };
    static const uint8_t bad_ssl[] = {0x02, 0x00, 0x01, 'a', 0x20, 0x00, 0x03, 0x07, 0x00, 0x00};
    static const uint8_t bad_sub[] = {0x20, 0x00, 0x07, 0x07, 0x00, 0x00, 0x00, 0x00, 0x22, 0x00};
    proxyproto_header h;
    proxyproto_details d;

    memset(&h, 0, sizeof h);
    h.version = 2;
    h.command = PROXYPROTO_CMD_PROXY;
    h.tlvs = tlvs;
    h.tlvs_len = sizeof tlvs;
    EXPECT_RC(proxyproto_details_get(&h, &d), 0);
    expect_text(&h, d.alpn, "h2", "alpn");
    expect_text(&h, d.sni, "a", "sni");
    ck_assert_uint_eq(d.tls, 0);

    h.tlvs = bad_ssl;
    h.tlvs_len = sizeof bad_ssl;
    EXPECT_RC(proxyproto_details_get(&h, &d), PROXYPROTO_ERR_V2_SSL_TOO_SHORT);
    ck_assert_int_eq(proxyproto_client_cert_verified(&h), 0);
    h.tlvs = bad_sub;
    h.tlvs_len = sizeof bad_sub;
    EXPECT_RC(proxyproto_details_get(&h, &d), PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED);
    ck_assert_int_eq(proxyproto_client_cert_verified(&h), 0);
}
END_TEST

Suite *suite_details(void)
{
    Suite *s = suite_create("details");
    TCase *tc = tcase_create("details");
    tcase_add_test(tc, details_clientcert);
    tcase_add_test(tc, details_nocert);
    tcase_add_test(tc, details_none);
    tcase_add_test(tc, details_built);
    tcase_add_test(tc, details_failed_and_certless);
    tcase_add_test(tc, details_first_and_malformed);
    suite_add_tcase(s, tc);
    return s;
}

Suite *suite_captures(void)
{
    Suite *s = suite_create("captures");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, capture_decodes, 0, (int)NCAPS);
    tcase_add_loop_test(tc, capture_round_trip, 0, (int)NCAPS);
    tcase_add_loop_test(tc, capture_any_flip_fails, 0, (int)NCAPS);
    tcase_add_test(tc, capture_list_complete);
    suite_add_tcase(s, tc);
    return s;
}
