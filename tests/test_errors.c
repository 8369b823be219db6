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

/* The list since 0.2: the two positive policy verdicts first
 * (PROXYPROTO_NO_HEADER 2, PROXYPROTO_EXPECT_HEADER 1), then 0, -1, -2 ...
 * PROXYPROTO_RESULT_LAST_ without gaps. Every value appears once. */
START_TEST(codes_are_dense)
{
    int seen_neg[1 - PROXYPROTO_RESULT_LAST_] = {0};
    int positives = 0, prev = INT_MAX;

    ck_assert_int_eq((int)NCODES, 3 - PROXYPROTO_RESULT_LAST_);
    for (size_t i = 0; i < NCODES; i++) {
        int c = codes[i].code;

        /* unique values, listed in decreasing order */
        ck_assert_msg(c < prev, "%s (%d) is not below the entry before it",
                      codes[i].name, c);
        prev = c;
        for (size_t j = 0; j < i; j++)
            ck_assert_int_ne(c, codes[j].code);
        if (c > 0) {
            ck_assert_msg(c == 1 || c == 2, "%s: positive code %d",
                          codes[i].name, c);
            positives++;
            continue;
        }
        ck_assert_int_ge(c, PROXYPROTO_RESULT_LAST_);
        seen_neg[-c]++;
    }
    ck_assert_int_eq(positives, 2);
    /* 0 down to PROXYPROTO_RESULT_LAST_: each exactly once, no gap */
    for (int c = 0; c >= PROXYPROTO_RESULT_LAST_; c--)
        ck_assert_msg(seen_neg[-c] == 1, "code %d appears %d times", c,
                      seen_neg[-c]);
    /* the last entry is the most negative code */
    ck_assert_int_eq(codes[NCODES - 1].code, PROXYPROTO_RESULT_LAST_);
    ck_assert_int_eq(PROXYPROTO_RESULT_LAST_, PROXYPROTO_ERR_VERSION_REFUSED);
    /* the values that are part of the API */
    ck_assert_int_eq(PROXYPROTO_NO_HEADER, 2);
    ck_assert_int_eq(PROXYPROTO_EXPECT_HEADER, 1);
    ck_assert_int_eq(PROXYPROTO_OK, 0);
    ck_assert_int_eq(PROXYPROTO_INCOMPLETE, -1);
    ck_assert_int_eq(PROXYPROTO_ERR_WOULD_BLOCK, -51);
    ck_assert_int_eq(PROXYPROTO_ERR_VERSION_REFUSED, -57);
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
    static const int unknown[] = {3,       4,       100,     INT_MAX, INT_MIN,
                                  PROXYPROTO_RESULT_LAST_ - 1, -1000};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ck_assert_str_eq(proxyproto_strerror(unknown[i]), "unknown result code");
        ck_assert_str_eq(proxyproto_error_name(unknown[i]), "PROXYPROTO_UNKNOWN");
    }
}
END_TEST

/* The positive codes have their own names and messages, told apart from
 * lengths only by the function that returns them. */
START_TEST(positive_codes_named)
{
    ck_assert_str_eq(proxyproto_error_name(1), "PROXYPROTO_EXPECT_HEADER");
    ck_assert_str_eq(proxyproto_error_name(2), "PROXYPROTO_NO_HEADER");
    ck_assert_str_eq(proxyproto_error_name(-57), "PROXYPROTO_ERR_VERSION_REFUSED");
    ck_assert_str_ne(proxyproto_strerror(1), "unknown result code");
    ck_assert_str_ne(proxyproto_strerror(2), "unknown result code");
    ck_assert_str_ne(proxyproto_strerror(1), proxyproto_strerror(2));
    ck_assert_str_ne(proxyproto_strerror(-57), "unknown result code");
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
    tcase_add_test(tc, positive_codes_named);
    tcase_add_test(tc, version);
    tcase_add_test(tc, parse_arguments);
    tcase_add_test(tc, parse_is_stateless);
    suite_add_tcase(s, tc);
    return s;
}
