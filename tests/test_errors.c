/* Result codes: names and messages for every code, a fallback for unknown
 * codes, the version; and the argument checks of the parser. */
#include "tests.h"

#include <string.h>

static const struct {
    int code;
    const char *name;
    const char *message;
} codes[] = {
#define PP_CODE_(name, value, message) {value, "PROXYPROTO_" #name, message},
    PROXYPROTO_RESULT_LIST(PP_CODE_)
#undef PP_CODE_
};
#define NCODES (sizeof codes / sizeof codes[0])

/* The list runs 0, -1, -2 ... PROXYPROTO_RESULT_LAST_ without gaps. */
START_TEST(codes_are_dense)
{
    ck_assert_int_eq((int)NCODES, 1 - PROXYPROTO_RESULT_LAST_);
    for (size_t i = 0; i < NCODES; i++)
        ck_assert_int_eq(codes[i].code, -(int)i);
    ck_assert_int_eq(PROXYPROTO_OK, 0);
    ck_assert_int_eq(PROXYPROTO_INCOMPLETE, -1);
}
END_TEST

START_TEST(names_and_messages)
{
    for (size_t i = 0; i < NCODES; i++) {
        const char *name = proxyproto_error_name(codes[i].code);
        const char *msg = proxyproto_strerror(codes[i].code);
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(msg);
        ck_assert_str_eq(name, codes[i].name);
        ck_assert_str_eq(msg, codes[i].message);
        ck_assert_str_ne(msg, "unknown result code");
        for (size_t j = 0; j < i; j++) {
            ck_assert_str_ne(name, proxyproto_error_name(codes[j].code));
            ck_assert_str_ne(msg, proxyproto_strerror(codes[j].code));
        }
    }
}
END_TEST

START_TEST(unknown_codes)
{
    static const int unknown[] = {1,       2,       100,     INT_MAX, INT_MIN,
                                  PROXYPROTO_RESULT_LAST_ - 1, -1000};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ck_assert_str_eq(proxyproto_strerror(unknown[i]), "unknown result code");
        ck_assert_str_eq(proxyproto_error_name(unknown[i]), "PROXYPROTO_UNKNOWN");
    }
}
END_TEST

START_TEST(version)
{
    ck_assert_str_eq(proxyproto_version(), PROXYPROTO_VERSION_STRING);
}
END_TEST

/* proxyproto_parse(): hdr NULL, or buf NULL with len > 0. */
START_TEST(parse_arguments)
{
    proxyproto_header h;
    static const char line[] = "PROXY UNKNOWN\r\n";
    EXPECT_RC(proxyproto_parse(NULL, line, 15, 0),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_parse(&h, NULL, 1, 0), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_parse(&h, NULL, 15, 0), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_parse(&h, NULL, 0, 0), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_parse(&h, line, 15, 0), 15);
}
END_TEST

/* Calls on different buffers do not influence each other (no globals). */
START_TEST(parse_is_stateless)
{
    static const char a[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n";
    static const char b[] = "PROXY TCP6 ::1 ::2 3 4\r\n";
    proxyproto_header ha, hb;
    EXPECT_RC(pp_parse(&ha, a, 20, 0), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(pp_parse(&hb, b, 10, 0), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(pp_parse(&ha, a, sizeof a - 1, 20), 32);
    EXPECT_RC(pp_parse(&hb, b, sizeof b - 1, 10), 24);
    ck_assert_uint_eq(ha.family, PROXYPROTO_AF_INET);
    ck_assert_uint_eq(hb.family, PROXYPROTO_AF_INET6);
    ck_assert_uint_eq(hb.dst.ip.v6[15], 2);
}
END_TEST

Suite *suite_errors(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("codes");
    tcase_add_test(tc, codes_are_dense);
    tcase_add_test(tc, names_and_messages);
    tcase_add_test(tc, unknown_codes);
    tcase_add_test(tc, version);
    tcase_add_test(tc, parse_arguments);
    tcase_add_test(tc, parse_is_stateless);
    suite_add_tcase(s, tc);
    return s;
}
