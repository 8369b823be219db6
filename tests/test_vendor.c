/* Vendor TLV accessors (proxyproto(7) section 4): AWS 0xEA, Azure 0xEE, GCP
 * 0xE0. A bad layout is reported by the accessor; the header still parses. */
#include "tests.h"

#include <string.h>

enum { AWS, AZURE, GCP };

typedef struct vcase {
    const char *name;
    int vendor;
    const char *tlvs; /* hex of the TLV area */
    int rc;
    uint64_t value;   /* Azure LINKID, GCP id */
    const char *id;   /* AWS id */
    size_t id_off;    /* AWS: offset of the id in the TLV area */
} vcase;

#define VPCE "'vpce-0123456789abcdef0'"

static const vcase cases[] = {
    {"aws good", AWS, "ea 0017 01 " VPCE, 0, 0, "vpce-0123456789abcdef0", 4},
    {"aws one-char id", AWS, "ea 0002 01 'x'", 0, 0, "x", 4},
    {"aws after other tlvs", AWS, "04 0001 00 ee 0005 01 01000000 ea 0004 01 'abc'",
     0, 0, "abc", 16},
    {"aws first of two", AWS, "ea 0004 01 'abc' ea 0004 01 'def'", 0, 0, "abc", 4},
    {"aws wrong sub-type", AWS, "ea 0017 02 " VPCE, PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws sub-type 0", AWS, "ea 0017 00 " VPCE, PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws empty", AWS, "ea 0000", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws NUL in id", AWS, "ea 0007 01 'vpce' 00 'x'", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws NUL at end", AWS, "ea 0018 01 " VPCE " 00", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws 0x7f in id", AWS, "ea 0003 01 'a' 7f", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws 0x80 in id", AWS, "ea 0003 01 'a' 80", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws LF in id", AWS, "ea 0003 01 'a' 0a", PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws bad first, good second", AWS, "ea 0002 02 'x' ea 0017 01 " VPCE,
     PROXYPROTO_ERR_AWS_BAD_TLV, 0, NULL, 0},
    {"aws not found", AWS, "ee 0005 01 78563412 e0 0008 0102030405060708",
     PROXYPROTO_ERR_TLV_NOT_FOUND, 0, NULL, 0},
    {"aws no tlvs", AWS, "", PROXYPROTO_ERR_TLV_NOT_FOUND, 0, NULL, 0},

    {"azure good", AZURE, "ee 0005 01 78563412", 0, 0x12345678u, NULL, 0},
    {"azure little-endian", AZURE, "ee 0005 01 01000000", 0, 1, NULL, 0},
    {"azure max", AZURE, "ee 0005 01 ffffffff", 0, 0xFFFFFFFFu, NULL, 0},
    {"azure first of two", AZURE, "ee 0005 01 02000000 ee 0005 01 03000000", 0, 2, NULL, 0},
    {"azure after others", AZURE, "ea 0002 01 'x' ee 0005 01 00000080", 0,
     0x80000000u, NULL, 0},
    {"azure wrong sub-type", AZURE, "ee 0005 02 78563412", PROXYPROTO_ERR_AZURE_BAD_TLV, 0, NULL, 0},
    {"azure length 4", AZURE, "ee 0004 01 785634", PROXYPROTO_ERR_AZURE_BAD_TLV, 0, NULL, 0},
    {"azure length 6", AZURE, "ee 0006 01 78563412 00", PROXYPROTO_ERR_AZURE_BAD_TLV, 0, NULL, 0},
    {"azure length 0", AZURE, "ee 0000", PROXYPROTO_ERR_AZURE_BAD_TLV, 0, NULL, 0},
    {"azure length 1", AZURE, "ee 0001 01", PROXYPROTO_ERR_AZURE_BAD_TLV, 0, NULL, 0},
    {"azure not found", AZURE, "ea 0002 01 'x'", PROXYPROTO_ERR_TLV_NOT_FOUND, 0, NULL, 0},

    {"gcp good", GCP, "e0 0008 0102030405060708", 0, 0x0102030405060708ull, NULL, 0},
    {"gcp big-endian", GCP, "e0 0008 00000000000000ff", 0, 0xFF, NULL, 0},
    {"gcp high bit", GCP, "e0 0008 fffffffffffffffe", 0, 0xFFFFFFFFFFFFFFFEull, NULL, 0},
    {"gcp first of two", GCP, "e0 0008 0000000000000001 e0 0008 0000000000000002",
     0, 1, NULL, 0},
    {"gcp length 7", GCP, "e0 0007 01020304050607", PROXYPROTO_ERR_GCP_BAD_TLV, 0, NULL, 0},
    {"gcp length 9", GCP, "e0 0009 010203040506070809", PROXYPROTO_ERR_GCP_BAD_TLV, 0, NULL, 0},
    {"gcp length 0", GCP, "e0 0000", PROXYPROTO_ERR_GCP_BAD_TLV, 0, NULL, 0},
    {"gcp not found", GCP, "e1 0008 0102030405060708", PROXYPROTO_ERR_TLV_NOT_FOUND, 0, NULL, 0},
};

START_TEST(vendor_case)
{
    const vcase *c = &cases[_i];
    uint8_t in[256], *g;
    size_t n;
    proxyproto_header h;

    n = pp_hex(in, sizeof in, SIG "21 00 0000");
    n += pp_hex(in + n, sizeof in - n, c->tlvs);
    in[14] = (uint8_t)((n - 16) >> 8);
    in[15] = (uint8_t)(n - 16);
    /* The header parses whatever the custom TLV holds. */
    g = pp_guard_end(in, n);
    pp_parse_ok(&h, g, n);

    if (c->vendor == AWS) {
        const char *id = (const char *)"unset";
        size_t len = 12345;
        EXPECT_RC(proxyproto_aws_vpce_id(&h, &id, &len), c->rc);
        if (c->rc == 0) {
            ck_assert_uint_eq(len, strlen(c->id));
            ck_assert_mem_eq(id, c->id, len);
            ck_assert_msg((const uint8_t *)id == g + 16 + c->id_off,
                          "%s: id does not point into the buffer", c->name);
        }
    } else if (c->vendor == AZURE) {
        uint32_t v = 0xA5A5A5A5u;
        EXPECT_RC(proxyproto_azure_linkid(&h, &v), c->rc);
        if (c->rc == 0)
            ck_assert_msg(v == (uint32_t)c->value, "%s: 0x%08x", c->name, v);
    } else {
        uint64_t v = 0xA5A5A5A5A5A5A5A5ull;
        EXPECT_RC(proxyproto_gcp_psc_id(&h, &v), c->rc);
        if (c->rc == 0)
            ck_assert_msg(v == c->value, "%s: 0x%016llx", c->name,
                          (unsigned long long)v);
    }
}
END_TEST

/* A v1 header has no TLVs. */
START_TEST(vendor_on_v1)
{
    proxyproto_header h;
    const char *id;
    size_t len;
    uint32_t l;
    uint64_t g;
    pp_parse_ok(&h, (const uint8_t *)"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32);
    EXPECT_RC(proxyproto_aws_vpce_id(&h, &id, &len), PROXYPROTO_ERR_TLV_NOT_FOUND);
    EXPECT_RC(proxyproto_azure_linkid(&h, &l), PROXYPROTO_ERR_TLV_NOT_FOUND);
    EXPECT_RC(proxyproto_gcp_psc_id(&h, &g), PROXYPROTO_ERR_TLV_NOT_FOUND);
}
END_TEST

Suite *suite_vendor(void)
{
    Suite *s = suite_create("vendor");
    TCase *tc = tcase_create("vendor");
    tcase_add_loop_test(tc, vendor_case, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, vendor_on_v1);
    suite_add_tcase(s, tc);
    return s;
}
