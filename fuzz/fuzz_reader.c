/* fuzz_reader: the socket layer (proxyproto(7) section 5) on fuzzer-chosen
 * streams.
 *
 * Input layout as fuzz_chunked: the stream, then piece sizes, then one
 * byte with the number of sizes (low 4 bits) and flags (bit 5: two bytes per
 * size; bit 6: a small reader buffer; bit 7: also the socket functions).
 *
 *  - proxyproto_reader_feed(): the stream arriving in those pieces, into
 *    the caller's growing buffer, gives the result and fields of the whole
 *    parse; INCOMPLETE comes with need >= 1 and, for a valid header, never
 *    a need that reaches past it; a reader that reads at most need bytes
 *    ends exactly at the header's end (no payload taken). The same reader
 *    then serves a second stream from its start.
 *  - proxyproto_conn_feed() (the connection layer) on the same pieces, one
 *    chunk per call: the verdict and header of the whole parse; the return
 *    value is how much of the chunk that ended the header it took; after
 *    that every chunk is payload (0). With HEADER_OPTIONAL a stream that
 *    is no header (NOT_PROXY) is done without one, the bytes fed before
 *    the deciding chunk held back (at most 11, given back as they were);
 *    with REFUSE_V1 / REFUSE_V2 a stream starting with 'P' / '\r' is
 *    VERSION_REFUSED.
 *  - proxyproto_reader_step() on a non-blocking socketpair, the pieces
 *    written one by one: INCOMPLETE until the header is in, then its
 *    length; the header bytes in the reader's buffer; every payload byte
 *    still in the socket; a step after success gives the header again and
 *    reads nothing; a stream that stops inside a header: CLOSED; a buffer
 *    too small for the header: HEADER_TOO_BIG.
 *  - proxyproto_read_header() with timeout 0 on the whole stream: the
 *    header, CLOSED (peer shut down) or TIMEOUT (still open). */
#define _DEFAULT_SOURCE
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static size_t piece(const uint8_t *sizes, unsigned i, int wide)
{
    return wide ? fuzz_be16(sizes + 2 * i) : sizes[i];
}

/* The feed API over pieces; need_bounded: each read takes at most need. */
static void run_feed(proxyproto_reader *r, const uint8_t *s, size_t n,
                     const uint8_t *sizes, unsigned count, int wide,
                     int need_bounded, int whole, const proxyproto_header *hw)
{
    proxyproto_header h;
    size_t pos = 0, need;
    unsigned i;
    int rc;

    /* Nothing yet: INCOMPLETE, need 15 (PARSER_RULES.md). */
    rc = proxyproto_reader_feed(r, NULL, 0, &h);
    FUZZ_CHECK(rc == PROXYPROTO_INCOMPLETE && h.need == 15, "empty feed: %d need %zu",
               rc, h.need);
    need = h.need;
    for (i = 0;; i++) {
        size_t step = i < count ? piece(sizes, i, wide) : n;
        if (need_bounded && step > need)
            step = need;
        pos = pos + step < n ? pos + step : n;
        memset(&h, 0xA5, sizeof h);
        rc = proxyproto_reader_feed(r, pos ? s : NULL, pos, &h);
        fuzz_check_result(&h, s, pos, rc);
        if (rc != PROXYPROTO_INCOMPLETE)
            break;
        need = h.need;
        if (whole > 0)
            FUZZ_CHECK(pos + h.need <= (size_t)whole,
                       "feed: after %zu bytes need %zu, header is %d", pos,
                       h.need, whole);
        if (pos == n && i >= count)
            break;
    }
    FUZZ_CHECK(rc == whole, "feed (%s) gave %d (%s), the whole %d (%s) on %s",
               need_bounded ? "need-bounded" : "pieces", rc,
               proxyproto_error_name(rc), whole, proxyproto_error_name(whole),
               fuzz_hex(s, n));
    if (rc > 0) {
        const char *d = fuzz_header_diff(&h, s, hw, s);
        FUZZ_CHECK(d == NULL, "feed: %s differs from the whole's", d);
        /* Reads of at most need never take a payload byte (proxyproto(7)
         * section 5). */
        if (need_bounded)
            FUZZ_CHECK(pos == (size_t)rc, "need-bounded reads took %zu bytes, "
                       "header %d", pos, rc);
    }
}

/* The connection layer's feed over the same pieces (one chunk per call),
 * with policy flags `flags` (0, HEADER_OPTIONAL, REFUSE_V1 | REFUSE_V2). */
static void run_conn_feed(const uint8_t *s, size_t n, const uint8_t *sizes,
                          unsigned count, int wide, unsigned flags, int whole,
                          const proxyproto_header *hw)
{
    static proxyproto_conn c;
    proxyproto_policy pol;
    struct sockaddr_un peer;
    const proxyproto_header *h;
    uint8_t *buf = fuzz_buf(2, PROXYPROTO_V2_MAX_LEN);
    size_t pos = 0, chunk_at = 0, held_len = 99;
    const void *held;
    unsigned i;
    int rc = PROXYPROTO_INCOMPLETE, want = whole, optional_none;

    memset(&pol, 0, sizeof pol);
    pol.flags = flags;
    pol.header_timeout_ms = 3600 * 1000; /* no deadline within a run */
    memset(&peer, 0, sizeof peer);
    peer.sun_family = AF_UNIX; /* trusted */
    rc = proxyproto_conn_init(&c, -1, &pol, (const struct sockaddr *)&peer);
    FUZZ_CHECK(rc == PROXYPROTO_INCOMPLETE, "conn_init: %s", proxyproto_error_name(rc));
    FUZZ_CHECK(proxyproto_conn_use_buffer(&c, buf, PROXYPROTO_V2_MAX_LEN) == 0,
               "use_buffer");
    if ((flags & PROXYPROTO_POLICY_REFUSE_V1) && n > 0 && s[0] == 'P')
        want = PROXYPROTO_ERR_VERSION_REFUSED;
    if ((flags & PROXYPROTO_POLICY_REFUSE_V2) && n > 0 && s[0] == '\r')
        want = PROXYPROTO_ERR_VERSION_REFUSED;
    optional_none = (flags & PROXYPROTO_POLICY_HEADER_OPTIONAL) &&
                    whole == PROXYPROTO_ERR_NOT_PROXY;
    if (optional_none)
        want = 0;

    for (i = 0; i <= count; i++) {
        size_t step = i < count ? piece(sizes, i, wide) : n;
        size_t end = pos + step < n ? pos + step : n;

        chunk_at = pos;
        rc = proxyproto_conn_feed(&c, end > pos ? s + pos : NULL, end - pos);
        pos = end;
        if (rc != PROXYPROTO_INCOMPLETE)
            break;
    }
    if (rc >= 0 && want > 0) {
        /* the return value: the header's part of the deciding chunk */
        FUZZ_CHECK((size_t)rc == (size_t)want - chunk_at && (size_t)want > chunk_at &&
                       (size_t)want <= pos,
                   "conn_feed took %d of the chunk at %zu, header %d", rc, chunk_at, want);
        h = proxyproto_conn_header(&c);
        FUZZ_CHECK(h != NULL && h->header_len == (size_t)want, "conn_feed header");
        FUZZ_CHECK(memcmp(buf, s, (size_t)want) == 0, "conn buffer != header bytes");
        {
            const char *d = fuzz_header_diff(h, buf, hw, s);
            FUZZ_CHECK(d == NULL, "conn_feed: %s differs from the whole's", d);
        }
        held = proxyproto_conn_held(&c, &held_len);
        FUZZ_CHECK(held == NULL && held_len == 0, "held bytes after a header");
    } else {
        FUZZ_CHECK(rc == want, "conn_feed (flags 0x%x) gave %d (%s), want %d (%s) on %s",
                   flags, rc, proxyproto_error_name(rc), want,
                   proxyproto_error_name(want), fuzz_hex(s, n));
    }
    if (rc == 0 && optional_none) {
        FUZZ_CHECK(proxyproto_conn_header(&c) == NULL, "a header for no header");
        held = proxyproto_conn_held(&c, &held_len);
        FUZZ_CHECK(held_len == chunk_at && held_len <= 11 &&
                       (held_len == 0 ? held == NULL
                                      : held != NULL && memcmp(held, s, held_len) == 0),
                   "held %zu bytes, the deciding chunk began at %zu", held_len, chunk_at);
    }
    if (rc >= 0) {
        /* done: every later byte is payload */
        FUZZ_CHECK(proxyproto_conn_feed(&c, s, n) == 0, "conn_feed after done");
        FUZZ_CHECK(proxyproto_conn_ms_left(&c) == -1, "ms_left after done");
    } else if (rc != PROXYPROTO_INCOMPLETE) {
        FUZZ_CHECK(proxyproto_conn_feed(&c, s, n) == rc, "conn_feed error did not stick");
        FUZZ_CHECK(proxyproto_conn_header(&c) == NULL, "a header after an error");
    }
    fuzz_buf_release(buf);
}

static void nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    FUZZ_CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0, "fcntl");
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        FUZZ_CHECK(k > 0, "send: %s", strerror(errno));
        p += k;
        n -= (size_t)k;
    }
}

/* Drains the socket; returns how many bytes (into out, cap). */
static size_t drain(int fd, uint8_t *out, size_t cap)
{
    size_t got = 0;

    for (;;) {
        ssize_t k = recv(fd, out + got, cap - got, MSG_DONTWAIT);
        if (k <= 0)
            return got;
        got += (size_t)k;
        if (got == cap)
            return got;
    }
}

/* What a reader with buffer cap must end with after the whole stream. */
static int want_socket(int whole, size_t cap, int shut)
{
    if (whole > 0)
        return (size_t)whole <= cap ? whole : PROXYPROTO_ERR_HEADER_TOO_BIG;
    if (whole == PROXYPROTO_INCOMPLETE)
        return shut ? PROXYPROTO_ERR_CLOSED : PROXYPROTO_INCOMPLETE;
    return whole;
}

static void check_socket_end(int rc, int whole, size_t cap, int shut,
                             const char *what, const uint8_t *s, size_t n)
{
    int want = want_socket(whole, cap, shut);

    /* A buffer too small may fill up before an error shows. */
    if (rc == PROXYPROTO_ERR_HEADER_TOO_BIG && whole < 0 && cap < PROXYPROTO_V2_MAX_LEN)
        return;
    /* A v1 line that has not ended fills a buffer smaller than 107. */
    if (rc == PROXYPROTO_ERR_HEADER_TOO_BIG && whole == PROXYPROTO_INCOMPLETE &&
        cap < PROXYPROTO_V1_MAX_LEN)
        return;
    FUZZ_CHECK(rc == want, "%s gave %d (%s), want %d (%s); cap %zu, stream %s",
               what, rc, proxyproto_error_name(rc), want, proxyproto_error_name(want),
               cap, fuzz_hex(s, n));
}

static void run_socket(const uint8_t *s, size_t n, const uint8_t *sizes,
                       unsigned count, int wide, size_t cap, int whole,
                       const proxyproto_header *hw)
{
    int sv[2], rc = PROXYPROTO_INCOMPLETE;
    proxyproto_reader r;
    proxyproto_header h;
    uint8_t *buf = fuzz_buf(2, cap), *rest;
    size_t pos = 0, got;
    unsigned i;

    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
               strerror(errno));
    nonblocking(sv[0]);
    proxyproto_reader_init(&r, buf, cap);
    for (i = 0; i <= count; i++) {
        size_t step = i < count ? piece(sizes, i, wide) : n;
        size_t end = pos + step < n ? pos + step : n;

        send_all(sv[1], s + pos, end - pos);
        pos = end;
        if (i == count)
            shutdown(sv[1], SHUT_WR);
        rc = proxyproto_reader_step(&r, sv[0], &h);
        if (rc == PROXYPROTO_INCOMPLETE && i < count)
            continue;
        break;
    }
    check_socket_end(rc, whole, cap, pos == n, "reader_step", s, n);
    if (rc > 0) {
        const char *d;
        int again;

        FUZZ_CHECK(memcmp(buf, s, (size_t)rc) == 0, "reader buffer != header bytes");
        fuzz_check_success(&h, buf, (size_t)rc, rc);
        d = fuzz_header_diff(&h, buf, hw, s);
        FUZZ_CHECK(d == NULL, "reader_step: %s differs from the whole's", d);
        /* Again: the same header, no read. */
        again = proxyproto_reader_step(&r, sv[0], &h);
        FUZZ_CHECK(again == rc, "second step gave %s", proxyproto_error_name(again));
        /* Send what is left, then all of the payload must be there. */
        send_all(sv[1], s + pos, n - pos);
        shutdown(sv[1], SHUT_WR);
        rest = fuzz_buf(3, n + 1);
        got = drain(sv[0], rest, n + 1);
        FUZZ_CHECK(got == n - (size_t)rc && memcmp(rest, s + rc, got) == 0,
                   "payload in the socket: %zu bytes, want %zu", got, n - (size_t)rc);
        fuzz_buf_release(rest);
    }
    close(sv[0]);
    close(sv[1]);

    /* Blocking form, timeout 0, on the whole stream at once. */
    {
        int shut = (count & 1) == 0;
        FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
        send_all(sv[1], s, n);
        if (shut)
            shutdown(sv[1], SHUT_WR);
        proxyproto_reader_init(&r, buf, cap);
        rc = proxyproto_read_header(&r, sv[0], 0, &h);
        if (whole == PROXYPROTO_INCOMPLETE && !shut && rc == PROXYPROTO_ERR_TIMEOUT)
            rc = PROXYPROTO_INCOMPLETE; /* what want_socket says for it */
        check_socket_end(rc, whole, cap, shut, "read_header", s, n);
        if (rc > 0) {
            rest = fuzz_buf(3, n + 1);
            got = drain(sv[0], rest, n + 1);
            FUZZ_CHECK(got == n - (size_t)rc && memcmp(rest, s + rc, got) == 0,
                       "read_header took payload");
            fuzz_buf_release(rest);
        }
        close(sv[0]);
        close(sv[1]);
    }
    fuzz_buf_release(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxyproto_header hw;
    proxyproto_reader r;
    unsigned count, wide, small, sock;
    size_t ctl, n, cap;
    int whole;

    if (size == 0 || size > 8192)
        return 0;
    count = data[size - 1] & 15;
    wide = data[size - 1] >> 5 & 1;
    small = data[size - 1] >> 6 & 1;
    sock = data[size - 1] >> 7 & 1;
    ctl = 1 + (size_t)count * (wide ? 2 : 1);
    if (ctl > size)
        return 0;
    n = size - ctl;

    memset(&hw, 0xA5, sizeof hw);
    whole = proxyproto_parse(&hw, n ? data : NULL, n, 0);
    fuzz_check_result(&hw, data, n, whole);

    proxyproto_reader_init(&r, NULL, 0);
    run_feed(&r, data, n, data + n, count, (int)wide, 0, whole, &hw);
    /* The same reader on a second stream (the same bytes, from the start). */
    run_feed(&r, data, n, data + n, count, (int)wide, 1, whole, &hw);

    run_conn_feed(data, n, data + n, count, (int)wide, 0, whole, &hw);
    run_conn_feed(data, n, data + n, count, (int)wide, PROXYPROTO_POLICY_HEADER_OPTIONAL,
                  whole, &hw);
    run_conn_feed(data, n, data + n, count, (int)wide,
                  PROXYPROTO_POLICY_REFUSE_V1 | PROXYPROTO_POLICY_REFUSE_V2, whole, &hw);

    if (sock || small) {
        cap = small ? (n ? data[0] : 0u) : PROXYPROTO_V2_MAX_LEN;
        run_socket(data, n, data + n, count, (int)wide, cap, whole, &hw);
    }
    return 0;
}
