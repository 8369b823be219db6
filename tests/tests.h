/* Shared declarations of the Check suite: case tables, the helpers that run
 * a case every way (whole, split, byte by byte, with payload, against an
 * unreadable page), and the record of which result codes tests reached. */
#ifndef PROXYPROTO_TESTS_H
#define PROXYPROTO_TESTS_H

#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "proxyproto.h"

/* ------------------------------------------------------------------------
 * Suites (one per file)
 * ------------------------------------------------------------------------ */

Suite *suite_v1(void);
Suite *suite_v2(void);
Suite *suite_tlv(void);
Suite *suite_vendor(void);
Suite *suite_write(void);
Suite *suite_builder(void);
Suite *suite_crc32c(void);
Suite *suite_captures(void);
Suite *suite_errors(void);
Suite *suite_sockaddr(void);
Suite *suite_socket(void); /* tests/test_socket.c */
Suite *suite_format(void); /* tests/test_format.c */
Suite *suite_details(void); /* tests/test_captures.c: TLS details, certs */
Suite *suite_conn(void);   /* tests/test_conn.c */
/* Last: every result code was reached by the suites run before it. */
Suite *suite_coverage(void);

/* ------------------------------------------------------------------------
 * Result codes reached
 *
 * A table in shared memory (Check forks a process per test) where every
 * assertion "this call returned code X" marks X. suite_coverage() then
 * asserts that each code of PROXYPROTO_RESULT_LIST was marked.
 * ------------------------------------------------------------------------ */

void pp_reach_init(void);
/* Marks a return value: > 0 is a length (marks PROXYPROTO_OK). */
void pp_reach(int code, const char *where);
/* Marks a result code as it is: 1 and 2 are the positive policy verdicts
 * PROXYPROTO_EXPECT_HEADER and PROXYPROTO_NO_HEADER, not lengths. */
void pp_reach_code(int code, const char *where);
int pp_reached(int code);
const char *pp_reached_by(int code);

/* Asserts that expr returns `want` (an int) and marks `want` reached. */
#define EXPECT_RC(expr, want)                                                  \
    do {                                                                       \
        int got_rc_ = (expr);                                                  \
        int want_rc_ = (want);                                                 \
        ck_assert_msg(got_rc_ == want_rc_, "%s: got %d (%s), want %d (%s)",    \
                      #expr, got_rc_, proxyproto_error_name(got_rc_),          \
                      want_rc_, proxyproto_error_name(want_rc_));              \
        pp_reach(want_rc_, __func__);                                          \
    } while (0)

/* EXPECT_RC for functions that return result codes only, never lengths
 * (proxyproto_policy_check()): a positive `want` is marked as the code it
 * is, not as a success length. */
#define EXPECT_CODE(expr, want)                                                \
    do {                                                                       \
        int got_rc_ = (expr);                                                  \
        int want_rc_ = (want);                                                 \
        ck_assert_msg(got_rc_ == want_rc_, "%s: got %d (%s), want %d (%s)",    \
                      #expr, got_rc_, proxyproto_error_name(got_rc_),          \
                      want_rc_, proxyproto_error_name(want_rc_));              \
        pp_reach_code(want_rc_, __func__);                                     \
    } while (0)

/* An assertion for hot loops: Check's ck_assert records every passing
 * check (a write to the parent process), which is slow by the million. */
#define PP_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

/* Index of the first byte of p[0..n) that is not v, or n. */
size_t pp_first_not(const uint8_t *p, size_t n, uint8_t v);

/* ------------------------------------------------------------------------
 * Byte helpers
 * ------------------------------------------------------------------------ */

/* The 12-byte v2 signature as hex, for case tables. */
#define SIG "0d0a0d0a000d0a515549540a "

/* Decodes hex into out (cap bytes); whitespace is skipped and 'text' in
 * single quotes is copied as ASCII. Returns the byte count; a malformed
 * string or an overflow fails the test. */
size_t pp_hex(uint8_t *out, size_t cap, const char *hex);

/* Reference CRC-32C (bitwise, independent of the library). */
uint32_t pp_ref_crc32c(uint32_t crc, const void *buf, size_t len);

/* In the v2 header buf[0..n), sets the value of the nth (1-based) CRC32C
 * TLV of length 4 to the right checksum (computed with its own 4 bytes
 * zero, everything else as it is). Fails the test if there is none. */
void pp_fix_crc(uint8_t *buf, size_t n, int nth);

/* Deterministic PRNG (xorshift64*) for random data. */
uint64_t pp_rand(uint64_t *state);
void pp_rand_fill(uint64_t *state, uint8_t *buf, size_t len);

/* Reads a whole file into a malloc'd buffer; fails the test if it can't. */
uint8_t *pp_read_file(const char *path, size_t *len);

/* Directory of the captures: $CAPTURES, or "tests/captures". */
const char *pp_captures_dir(void);

/* ------------------------------------------------------------------------
 * Guard pages
 *
 * pp_guard_end(data, n) copies data so that it ends exactly where an
 * unreadable page starts, and returns the copy; pp_guard_start() puts it
 * right after an unreadable page. Any read past either end faults. The
 * copy stays valid until the next call (one area per process).
 * pp_guard_end_b() does the same in a second area, so that an input and an
 * output buffer can both touch a guard page at once.
 * ------------------------------------------------------------------------ */

#define PP_GUARD_MAX (65551 + 4096)
uint8_t *pp_guard_end(const void *data, size_t n);
uint8_t *pp_guard_end_b(const void *data, size_t n);
uint8_t *pp_guard_start(const void *data, size_t n);

/* ------------------------------------------------------------------------
 * Parse cases
 * ------------------------------------------------------------------------ */

/* rc value meaning "success, the header is the whole input". */
#define PP_WHOLE INT_MAX

typedef struct pp_case {
    const char *name;
    /* Input: raw bytes (TXT) or hex (HEX). */
    const char *bytes;
    size_t bytes_len;
    const char *hex;
    /* Set the value of the nth CRC32C TLV right before running (0: none). */
    int fix_crc;
    /* Expected result: PP_WHOLE, a header length, or a negative code. */
    int rc;
    /* Another acceptable error where the rules leave two readings. */
    int alt;
    /* For PROXYPROTO_INCOMPLETE: the exact need (0: not checked). */
    size_t need;
    /* Expected fields (checked when rc > 0). */
    int version, command, family, transport, has_addresses;
    const char *src, *dst; /* address text (inet_pton) when has_addresses */
    unsigned sport, dport;
    size_t src_path_len, dst_path_len; /* family UNIX */
    size_t tlvs_len;
    int tlvs_null; /* tlvs must be NULL and tlvs_len 0 (v1, ignored TLVs) */
    /* The header is canonical: writing the parse gives back its bytes. */
    int canon;
} pp_case;

#define TXT(s) .bytes = (s), .bytes_len = sizeof(s) - 1
#define HEX(s) .hex = (s)

/* The input bytes of a case (decoded, CRC fixed) into buf; returns n. */
size_t pp_case_input(const pp_case *c, uint8_t *buf, size_t cap);

/* Runs a case every way: whole, at both guards, split at every offset (the
 * first call gives INCOMPLETE, or the error; the second, with last_len,
 * the result), one byte at a time, with payload after it; and every
 * proper prefix of a valid header gives INCOMPLETE with the documented
 * need. */
void pp_run_case(const pp_case *c);
/* 1 when buf[0..k) is completed to a valid v1 line by exactly `budget`
 * bytes, each lowering need by one (buf has room for them). */
int pp_v1_tight(uint8_t *buf, size_t k, size_t budget);
void pp_run_bytes(const pp_case *c, const uint8_t *in, size_t n);

/* Checks a successful parse of in[0..n) against the case's fields. */
void pp_check_fields(const pp_case *c, const proxyproto_header *h,
                     const uint8_t *buf, size_t n);

/* Parses with a poisoned hdr (so a field the parser forgets shows). */
int pp_parse(proxyproto_header *h, const void *buf, size_t len,
             size_t last_len);

/* Parses in[0..n) and asserts success with header_len n. */
void pp_parse_ok(proxyproto_header *h, const uint8_t *in, size_t n);

/* Asserts that a TLV area holds exactly these types and lengths, in order. */
void pp_expect_tlvs(const uint8_t *area, size_t len, const uint8_t *types,
                    const unsigned *lens, size_t count);

/* The parse case tables, shared with the round-trip tests. */
extern const pp_case pp_v1_cases[];
extern const size_t pp_v1_ncases;
extern const pp_case pp_v2_cases[];
extern const size_t pp_v2_ncases;

/* Decodes IP text (inet_pton) into 4 or 16 bytes; fails the test if bad. */
void pp_ip(int family, const char *text, uint8_t *out);

/* ---- real sockets (tests/sockets.c) ------------------------------------ */

#include <sys/socket.h>

/* The kinds of stream pair the socket tests run on. */
enum pp_transport { T_UNIX, T_TCP4, T_TCP6, T_COUNT };

void pp_set_nonblocking(int fd);
/* The loopback address of the family (AF_INET or AF_INET6), port 0;
 * returns its length. */
socklen_t pp_loopback(int family, struct sockaddr_storage *ss);
/* A listening loopback socket; -1 (after a note) when the host has no IPv6
 * loopback. */
int pp_listener(int family);
/* A new socket connected to listener lfd (the handshake completes in the
 * backlog: no accept needed yet). */
int pp_connect_to(int lfd);
/* A connected loopback TCP pair: *cl connects, *sv is what accept() gave;
 * -1 when the host has no IPv6 loopback. */
int pp_tcp_pair(int family, int *cl, int *sv);
/* A connected stream pair of kind t: bytes written to *w arrive on *r. */
int pp_stream_pair(enum pp_transport t, int *w, int *r);
/* Sends all len bytes (MSG_NOSIGNAL), failing the test otherwise. */
void pp_send_all(int fd, const void *buf, size_t len);
/* Reads fd until the peer's EOF (the peer must have closed) and asserts
 * that exactly want[0..n) arrived: everything left in the socket. */
void pp_expect_rest(int fd, const void *want, size_t n);

#endif /* PROXYPROTO_TESTS_H */
