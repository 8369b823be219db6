/* CRC-32C: check value, known vectors, chaining, and the hardware and
 * software implementations held equal (proxyproto(7) section 4). */
#include "tests.h"

#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

/* Each implementation the process can run: the public dispatcher, the
 * software one, and the hardware one when the CPU has it. */
static size_t impls(crc_fn *out, const char **names)
{
    size_t n = 0;
    out[n] = proxyproto_crc32c;
    names[n++] = "dispatch";
    out[n] = proxyproto__crc32c_sw;
    names[n++] = "sw";
    if (proxyproto__crc32c_hw_available()) {
        out[n] = proxyproto__crc32c_hw;
        names[n++] = "hw";
    }
    return n;
}

/* The reference itself: a wrong reference would make the rest useless. */
START_TEST(reference_check_value)
{
    ck_assert_uint_eq(pp_ref_crc32c(0, "123456789", 9), 0xE3069283u);
}
END_TEST

/* "123456789" -> 0xE3069283, and the RFC 3720 (iSCSI) vectors. */
START_TEST(known_vectors)
{
    uint8_t zeros[32], ones[32], inc[32], dec[32];
    crc_fn f[3];
    const char *name[3];
    size_t n = impls(f, name);

    memset(zeros, 0, 32);
    memset(ones, 0xFF, 32);
    for (int i = 0; i < 32; i++) {
        inc[i] = (uint8_t)i;
        dec[i] = (uint8_t)(31 - i);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(f[i](0, "123456789", 9) == 0xE3069283u, "%s: 0x%08x",
                      name[i], f[i](0, "123456789", 9));
        ck_assert_msg(f[i](0, zeros, 32) == 0x8A9136AAu, "%s zeros", name[i]);
        ck_assert_msg(f[i](0, ones, 32) == 0x62A8AB43u, "%s ones", name[i]);
        ck_assert_msg(f[i](0, inc, 32) == 0x46DD794Eu, "%s inc", name[i]);
        ck_assert_msg(f[i](0, dec, 32) == 0x113FDB5Cu, "%s dec", name[i]);
        ck_assert_msg(f[i](0, "a", 1) == 0xC1D04330u, "%s \"a\"", name[i]);
        /* Empty input leaves the value as it is. */
        ck_assert_uint_eq(f[i](0, "", 0), 0);
        ck_assert_uint_eq(f[i](0x12345678u, "x", 0), 0x12345678u);
    }
}
END_TEST

/* crc(crc(0, a), b) == crc(0, a || b), at every split. */
START_TEST(chaining)
{
    uint8_t buf[300];
    uint64_t seed = 42;
    crc_fn f[3];
    const char *name[3];
    size_t n = impls(f, name);

    pp_rand_fill(&seed, buf, sizeof buf);
    for (size_t i = 0; i < n; i++) {
        uint32_t whole = f[i](0, buf, sizeof buf);
        PP_ASSERT(whole == pp_ref_crc32c(0, buf, sizeof buf), "mismatch");
        for (size_t k = 0; k <= sizeof buf; k++) {
            uint32_t c = f[i](f[i](0, buf, k), buf + k, sizeof buf - k);
            PP_ASSERT(c == whole, "%s: split at %zu", name[i], k);
        }
        /* Three pieces, and one byte at a time. */
        {
            uint32_t c = f[i](0, buf, 7);
            c = f[i](c, buf + 7, 100);
            c = f[i](c, buf + 107, sizeof buf - 107);
            PP_ASSERT(c == whole, "mismatch");
            c = 0;
            for (size_t k = 0; k < sizeof buf; k++)
                c = f[i](c, buf + k, 1);
            PP_ASSERT(c == whole, "mismatch");
        }
    }
}
END_TEST

/* Every implementation equals the reference on random data at random
 * alignments, lengths 0..600 (the bitwise reference is slow). */
START_TEST(matches_reference)
{
    uint8_t *buf = malloc(600 + 16);
    uint64_t seed = 7;
    crc_fn f[3];
    const char *name[3];
    size_t n = impls(f, name);

    ck_assert(buf != NULL);
    pp_rand_fill(&seed, buf, 616);
    for (size_t len = 0; len <= 600; len++) {
        size_t off = (size_t)(pp_rand(&seed) % 16);
        uint32_t init = len % 3 ? (uint32_t)pp_rand(&seed) : 0;
        uint32_t want = pp_ref_crc32c(init, buf + off, len);
        for (size_t i = 0; i < n; i++)
            PP_ASSERT(f[i](init, buf + off, len) == want,
                          "%s: len %zu off %zu", name[i], len, off);
    }
    free(buf);
}
END_TEST

/* hw == sw on lengths 0..4096 at random offsets; without hw, the
 * dispatcher == sw. */
START_TEST(hw_equals_sw)
{
    uint8_t *buf = malloc(4096 + 64);
    uint64_t seed = 12345;
    int hw = proxyproto__crc32c_hw_available();
    crc_fn other = hw ? proxyproto__crc32c_hw : proxyproto_crc32c;

    ck_assert(buf != NULL);
    pp_rand_fill(&seed, buf, 4096 + 64);
    for (size_t len = 0; len <= 4096; len++) {
        size_t off = (size_t)(pp_rand(&seed) % 64);
        uint32_t init = (uint32_t)pp_rand(&seed);
        uint8_t *p = pp_guard_end(buf + off, len);
        uint32_t sw = proxyproto__crc32c_sw(init, p, len);
        PP_ASSERT(other(init, p, len) == sw, "%s != sw: len %zu",
                      hw ? "hw" : "dispatch", len);
        PP_ASSERT(proxyproto_crc32c(init, p, len) == sw,
                      "dispatch != sw: len %zu", len);
        /* And at the front guard, unaligned the other way. */
        p = pp_guard_start(buf + off, len);
        PP_ASSERT(other(0, p, len) == proxyproto__crc32c_sw(0, p, len), "len %zu", len);
    }
    free(buf);
}
END_TEST

/* Long inputs take the hardware path's multi-stream code (blocks of
 * several KiB): hw == sw == reference up to the largest header and past. */
START_TEST(hw_equals_sw_long)
{
    static const size_t fixed[] = {4097,  4080 * 2, 16367, 16368, 16369,
                                   16368 * 2 + 5, 20480, 65535, 65551, 70001};
    size_t cap = 70001 + 64;
    uint8_t *buf = malloc(cap);
    uint64_t seed = 777;
    int hw = proxyproto__crc32c_hw_available();

    ck_assert(buf != NULL);
    pp_rand_fill(&seed, buf, cap);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] + 40; i++) {
        size_t len = i < sizeof fixed / sizeof fixed[0]
                         ? fixed[i]
                         : 4097 + (size_t)(pp_rand(&seed) % (70001 - 4097));
        size_t off = (size_t)(pp_rand(&seed) % 64);
        uint32_t init = (uint32_t)pp_rand(&seed);
        uint32_t sw = proxyproto__crc32c_sw(init, buf + off, len);
        if (i < 4)
            PP_ASSERT(sw == pp_ref_crc32c(init, buf + off, len), "sw: len %zu", len);
        if (hw)
            PP_ASSERT(proxyproto__crc32c_hw(init, buf + off, len) == sw,
                      "hw != sw: len %zu off %zu", len, off);
        PP_ASSERT(proxyproto_crc32c(init, buf + off, len) == sw,
                  "dispatch != sw: len %zu off %zu", len, off);
    }
    free(buf);
}
END_TEST

/* The header helper: CRC as if the 4 value bytes were zero, buffer
 * untouched. */
START_TEST(header_helper)
{
    uint8_t h[35], copy[35], z[35];
    uint64_t seed = 99;
    pp_rand_fill(&seed, h, sizeof h);
    memcpy(copy, h, sizeof h);
    memcpy(z, h, sizeof h);
    memset(z + 31, 0, 4);
    ck_assert_uint_eq(proxyproto__crc32c_header(h, sizeof h, 31),
                      pp_ref_crc32c(0, z, sizeof z));
    ck_assert_mem_eq(h, copy, sizeof h);
}
END_TEST

/* PP_EXPECT_CRC32C_HW=1 (or 0) in the environment: the run must (or must
 * not) take the hardware path, so that a CI run meant to test it cannot
 * pass on the portable code alone (make cross-check sets it). */
START_TEST(hw_path_as_expected)
{
    const char *want = getenv("PP_EXPECT_CRC32C_HW");

    if (want == NULL || *want == '\0')
        return;
    ck_assert_msg(proxyproto__crc32c_hw_available() == (want[0] == '1'),
                  "PP_EXPECT_CRC32C_HW=%s but the hardware path is %s", want,
                  proxyproto__crc32c_hw_available() ? "on" : "off");
}
END_TEST

Suite *suite_crc32c(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("crc32c");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, reference_check_value);
    tcase_add_test(tc, known_vectors);
    tcase_add_test(tc, chaining);
    tcase_add_test(tc, matches_reference);
    tcase_add_test(tc, hw_equals_sw);
    tcase_add_test(tc, hw_equals_sw_long);
    tcase_add_test(tc, header_helper);
    tcase_add_test(tc, hw_path_as_expected);
    suite_add_tcase(s, tc);
    return s;
}
