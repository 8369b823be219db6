/* Receiving on a socket (proxyproto(7) section 5): the reader (step, blocking
 * read with a timeout, feed), trusted peers (CIDR text, matching, policy),
 * resolving the addresses to use (proxyproto(7) section 3) and datagrams.
 *
 * Sockets are AF_UNIX socketpairs and loopback TCP (127.0.0.1, ::1) only.
 * The recurring assertion: the reader returns the header and the payload
 * is still in the socket, byte for byte. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Sockets
 * ------------------------------------------------------------------------ */

/* Asserts that nothing is waiting in the socket right now. */
static void expect_empty(int fd)
{
    uint8_t b;
    ssize_t k = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    ck_assert_msg(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
                  "bytes left in the socket (recv gave %zd)", k);
}

/* ------------------------------------------------------------------------
 * Sample headers
 * ------------------------------------------------------------------------ */

#define V1_TCP4 "PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n"
#define V1_TCP6 "PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n"
#define V1_UNKNOWN "PROXY UNKNOWN\r\n"

/* Payload that starts like another header: only the first header counts
 * (proxyproto(7) section 5, stacked AWS headers); the rest is the
 * application's. */
static const char payload[] = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\nGET / HTTP/1.1\r\n\r\n";
#define PAYLOAD_LEN (sizeof payload - 1)

static void v2_fields(proxyproto_header *h, int family)
{
    memset(h, 0, sizeof *h);
    h->version = 2;
    h->command = PROXYPROTO_CMD_PROXY;
    h->family = (uint8_t)family;
    h->transport = PROXYPROTO_TRANSPORT_STREAM;
    h->has_addresses = 1;
    h->src.port = 51234;
    h->dst.port = 443;
}

/* v2 PROXY over IPv4 with ALPN, an SSL TLV, an AWS id and a CRC32C. */
static size_t v2_with_tlvs(uint8_t *buf, size_t cap)
{
    proxyproto_header h;
    proxyproto_builder b;
    int n;

    v2_fields(&h, PROXYPROTO_AF_INET);
    pp_ip(PROXYPROTO_AF_INET, "203.0.113.7", h.src.ip.v4);
    pp_ip(PROXYPROTO_AF_INET, "198.51.100.1", h.dst.ip.v4);
    proxyproto_builder_init(&b, &h);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2);
    proxyproto_builder_add_ssl(&b, PROXYPROTO_SSL_CLIENT_SSL, 0);
    proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7);
    proxyproto_builder_add_aws_vpce_id(&b, "vpce-0123456789abcdef0", 22);
    proxyproto_builder_add_crc32c(&b);
    n = proxyproto_builder_finish(&b, buf, cap);
    ck_assert_msg(n > 0, "builder: %s", proxyproto_error_name(n));
    return (size_t)n;
}

/* v2 PROXY over IPv6 with a 600-byte AUTHORITY: longer than a v1 line, so
 * the reader needs more than one peek. */
static size_t v2_long(uint8_t *buf, size_t cap)
{
    static uint8_t name[600];
    proxyproto_header h;
    proxyproto_builder b;
    int n;

    memset(name, 'a', sizeof name);
    v2_fields(&h, PROXYPROTO_AF_INET6);
    pp_ip(PROXYPROTO_AF_INET6, "2001:db8::7", h.src.ip.v6);
    pp_ip(PROXYPROTO_AF_INET6, "2001:db8::1", h.dst.ip.v6);
    proxyproto_builder_init(&b, &h);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_AUTHORITY, name, sizeof name);
    n = proxyproto_builder_finish(&b, buf, cap);
    ck_assert_msg(n > 0, "builder: %s", proxyproto_error_name(n));
    return (size_t)n;
}

/* v2 PROXY over UNIX: 16 + 216 bytes. */
static size_t v2_unix(uint8_t *buf, size_t cap)
{
    static uint8_t src[PROXYPROTO_UNIX_PATH_MAX] = "/run/client.sock";
    static uint8_t dst[PROXYPROTO_UNIX_PATH_MAX] = "/run/lb.sock";
    proxyproto_header h;
    int n;

    v2_fields(&h, PROXYPROTO_AF_UNIX);
    h.src.path = src;
    h.src.path_len = strlen((const char *)src);
    h.dst.path = dst;
    h.dst.path_len = strlen((const char *)dst);
    h.src.port = h.dst.port = 0;
    n = proxyproto_write(buf, cap, &h);
    ck_assert_msg(n > 0, "write: %s", proxyproto_error_name(n));
    return (size_t)n;
}

/* Loop tests run once per sample (and per transport): _i says which. */
enum { S_V1_TCP4, S_V1_TCP6, S_V1_UNKNOWN, S_V2_LOCAL, S_V2_TLVS, S_V2_LONG,
       S_V2_UNIX, S_COUNT };

static size_t sample(int which, uint8_t *buf, size_t cap)
{
    static const char *const text[] = {V1_TCP4, V1_TCP6, V1_UNKNOWN};

    switch (which) {
    case S_V1_TCP4:
    case S_V1_TCP6:
    case S_V1_UNKNOWN:
        ck_assert_uint_le(strlen(text[which]), cap);
        memcpy(buf, text[which], strlen(text[which]));
        return strlen(text[which]);
    case S_V2_LOCAL:
        return pp_hex(buf, cap, SIG "20 00 0000");
    case S_V2_TLVS:
        return v2_with_tlvs(buf, cap);
    case S_V2_LONG:
        return v2_long(buf, cap);
    default:
        return v2_unix(buf, cap);
    }
}

/* The header the reader returned is the header that was sent: its bytes
 * in the reader's buffer, and the fields a plain parse of them gives. */
static void expect_header(const proxyproto_header *got, const uint8_t *rbuf,
                          const uint8_t *sent, size_t n)
{
    proxyproto_header want;

    pp_parse_ok(&want, sent, n);
    ck_assert_uint_eq(got->header_len, n);
    ck_assert_mem_eq(rbuf, sent, n);
    ck_assert_uint_eq(got->version, want.version);
    ck_assert_uint_eq(got->command, want.command);
    ck_assert_uint_eq(got->family, want.family);
    ck_assert_uint_eq(got->transport, want.transport);
    ck_assert_uint_eq(got->has_addresses, want.has_addresses);
    ck_assert_uint_eq(got->tlvs_len, want.tlvs_len);
    if (want.has_addresses && want.family != PROXYPROTO_AF_UNIX) {
        ck_assert_mem_eq(got->src.ip.v6, want.src.ip.v6,
                         want.family == PROXYPROTO_AF_INET ? 4 : 16);
        ck_assert_uint_eq(got->src.port, want.src.port);
        ck_assert_uint_eq(got->dst.port, want.dst.port);
    }
    /* hdr points into the reader's buffer, not into the sent bytes */
    if (got->tlvs_len > 0)
        ck_assert_ptr_eq(got->tlvs, rbuf + (want.tlvs - sent));
}

static uint8_t rbuf[PROXYPROTO_V2_MAX_LEN];

/* ------------------------------------------------------------------------
 * Step and read_header on whole, split and trickled headers
 * ------------------------------------------------------------------------ */

/* Header and payload in one write: the reader takes the header, the
 * payload stays in the socket. Loop index: sample x transport. */
START_TEST(one_write)
{
    int which = _i % S_COUNT;
    enum pp_transport t = (enum pp_transport)(_i / S_COUNT);
    uint8_t msg[2048];
    size_t n = sample(which, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    if (pp_stream_pair(t, &w, &fd) != 0)
        return;
    memcpy(msg + n, payload, PAYLOAD_LEN);
    pp_send_all(w, msg, n + PAYLOAD_LEN);
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    if (t == T_UNIX) /* all of it is in the socket: one step finds it */
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    else /* TCP may deliver in pieces */
        EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), (int)n);
    expect_header(&h, rbuf, msg, n);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* One byte at a time on a non-blocking socket: INCOMPLETE after every
 * byte but the last, then the header; then the payload is intact. */
START_TEST(byte_at_a_time)
{
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    pp_set_nonblocking(fd);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
    for (size_t i = 0; i < n; i++) {
        pp_send_all(w, msg + i, 1);
        if (i + 1 < n)
            EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
        else
            EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    }
    expect_header(&h, rbuf, msg, n);
    expect_empty(fd); /* every header byte was taken */
    pp_send_all(w, payload, PAYLOAD_LEN);
    close(w);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* The header split in two at every offset, the second part arriving with
 * the payload: the result never depends on the split. */
START_TEST(split_everywhere)
{
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);

    memcpy(msg + n, payload, PAYLOAD_LEN);
    for (size_t k = 0; k < n; k++) {
        proxyproto_reader r;
        proxyproto_header h;
        int w, fd;

        pp_stream_pair(T_UNIX, &w, &fd);
        proxyproto_reader_init(&r, rbuf, sizeof rbuf);
        pp_send_all(w, msg, k);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, msg + k, n - k + PAYLOAD_LEN);
        close(w);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
        expect_header(&h, rbuf, msg, n);
        pp_expect_rest(fd, payload, PAYLOAD_LEN);
        close(fd);
    }
}
END_TEST

/* proxyproto_reader_move() half-way through every sample, at every split:
 * the reader, copied by assignment, goes on in a second buffer while the
 * first is overwritten, and returns the same header (pointing into the
 * second buffer) and leaves the payload, as if it had never moved. */
START_TEST(move_mid_header)
{
    static uint8_t first[PROXYPROTO_V2_MAX_LEN], second[PROXYPROTO_V2_MAX_LEN];
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);

    for (size_t k = 1; k < n; k++) {
        proxyproto_reader r, copy;
        proxyproto_header h;
        int w, fd;

        pp_stream_pair(T_UNIX, &w, &fd);
        proxyproto_reader_init(&r, first, sizeof first);
        pp_send_all(w, msg, k);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
        copy = r;
        EXPECT_RC(proxyproto_reader_move(&copy, second, sizeof second), 0);
        memset(first, 0xA5, sizeof first);
        pp_send_all(w, msg + k, n - k);
        pp_send_all(w, payload, PAYLOAD_LEN);
        close(w);
        EXPECT_RC(proxyproto_reader_step(&copy, fd, &h), (int)n);
        expect_header(&h, second, msg, n);
        pp_expect_rest(fd, payload, PAYLOAD_LEN);
        close(fd);
    }
}
END_TEST

/* Moving into a buffer that overlaps the old one (memmove), into one just
 * big enough, after the header was returned (the next step returns it
 * again, pointing into the new buffer), and the refusals: a buffer too
 * small leaves the reader as it was. */
START_TEST(move_edges)
{
    static uint8_t big[PROXYPROTO_V2_MAX_LEN + 64];
    uint8_t exact[sizeof V1_TCP4 - 1], after[sizeof V1_TCP4 - 1];
    const size_t n = sizeof V1_TCP4 - 1, k = 20;
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    EXPECT_RC(proxyproto_reader_move(NULL, big, sizeof big), PROXYPROTO_ERR_INVALID_ARGUMENT);

    pp_stream_pair(T_UNIX, &w, &fd);
    proxyproto_reader_init(&r, big, PROXYPROTO_V2_MAX_LEN);
    pp_send_all(w, V1_TCP4, k);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
    /* Too small (and NULL, which holds nothing): refused, nothing moved. */
    EXPECT_RC(proxyproto_reader_move(&r, exact, k - 1), PROXYPROTO_ERR_HEADER_TOO_BIG);
    EXPECT_RC(proxyproto_reader_move(&r, NULL, 0), PROXYPROTO_ERR_HEADER_TOO_BIG);
    /* Overlapping, 7 bytes on. */
    EXPECT_RC(proxyproto_reader_move(&r, big + 7, PROXYPROTO_V2_MAX_LEN), 0);
    ck_assert_mem_eq(big + 7, V1_TCP4, k);
    /* Exactly the header's size: the header fits, the payload stays. */
    EXPECT_RC(proxyproto_reader_move(&r, exact, sizeof exact), 0);
    pp_send_all(w, &V1_TCP4[k], n - k);
    pp_send_all(w, payload, PAYLOAD_LEN);
    close(w);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    expect_header(&h, exact, (const uint8_t *)V1_TCP4, n);
    /* After the header: moved, then stepped again, reading nothing. */
    EXPECT_RC(proxyproto_reader_move(&r, after, sizeof after), 0);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    expect_header(&h, after, (const uint8_t *)V1_TCP4, n);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);

    /* A reader that has read nothing (or only feeds) may take NULL. */
    proxyproto_reader_init(&r, NULL, 0);
    EXPECT_RC(proxyproto_reader_move(&r, NULL, 0), 0);
    EXPECT_RC(proxyproto_reader_feed(&r, V1_TCP4, n, &h), (int)n);
}
END_TEST

/* A step on a blocking socket with nothing to read returns at once (the
 * test's timeout catches a step that blocks). */
START_TEST(step_never_blocks)
{
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, "PROXY TCP4 ", 11);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
    close(w);
    close(fd);
}
END_TEST

/* After the header, further steps give the same header again and still
 * take nothing from the payload. */
START_TEST(step_after_header)
{
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    pp_send_all(w, msg, n + PAYLOAD_LEN);
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    memset(&h, 0xA5, sizeof h);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), (int)n);
    EXPECT_RC(proxyproto_read_header(&r, fd, 0, &h), (int)n);
    expect_header(&h, rbuf, msg, n);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* The peer closes before the header ends: CLOSED, from step and from the
 * blocking read, at several points of the header. */
START_TEST(peer_closes_mid_header)
{
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    const size_t cut[] = {0, 1, n / 2, n - 1};

    for (size_t c = 0; c < sizeof cut / sizeof cut[0]; c++) {
        proxyproto_reader r;
        proxyproto_header h;
        int w, fd;

        pp_stream_pair(T_UNIX, &w, &fd);
        pp_send_all(w, msg, cut[c]);
        close(w);
        proxyproto_reader_init(&r, rbuf, sizeof rbuf);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_ERR_CLOSED);
        EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), PROXYPROTO_ERR_CLOSED);
        close(fd);
    }
}
END_TEST

/* A TCP reset mid-header is a system error, errno telling which. */
START_TEST(peer_resets)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_tcp_pair(AF_INET, &w, &fd);
    ck_assert_int_eq(setsockopt(w, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(w); /* linger 0: RST */
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    errno = 0;
    EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, ECONNRESET);
    close(fd);
}
END_TEST

/* Not a socket, or not a descriptor: SYSTEM with errno as recv() set it. */
START_TEST(not_a_socket)
{
    proxyproto_reader r;
    proxyproto_header h;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], V1_TCP4, sizeof V1_TCP4 - 1), (int)sizeof V1_TCP4 - 1);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    errno = 0;
    EXPECT_RC(proxyproto_reader_step(&r, p[0], &h), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, ENOTSOCK);
    close(p[0]);
    close(p[1]);
    errno = 0;
    EXPECT_RC(proxyproto_read_header(&r, -1, 100, &h), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(invalid_arguments)
{
    proxyproto_reader r;
    proxyproto_header h;

    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_reader_step(NULL, 0, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_reader_step(&r, 0, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_read_header(NULL, 0, 0, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_reader_feed(NULL, "P", 1, &h), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_reader_feed(&r, "P", 1, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_parse_datagram(NULL, "P", 1), PROXYPROTO_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------------------
 * Timeouts and signals
 * ------------------------------------------------------------------------ */

/* A silent peer, and one that sent part of a header: TIMEOUT (the result
 * code is asserted, not the time it took). */
START_TEST(timeout_silent_peer)
{
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_read_header(&r, fd, 100, &h), PROXYPROTO_ERR_TIMEOUT);
    EXPECT_RC(proxyproto_read_header(&r, fd, 0, &h), PROXYPROTO_ERR_TIMEOUT);
    pp_send_all(w, "PROXY TCP4 203.0.113.7", 22);
    EXPECT_RC(proxyproto_read_header(&r, fd, 100, &h), PROXYPROTO_ERR_TIMEOUT);
    /* the bytes read so far are kept: the rest completes the header */
    pp_send_all(w, &V1_TCP4[22], sizeof V1_TCP4 - 1 - 22);
    EXPECT_RC(proxyproto_read_header(&r, fd, 0, &h), (int)sizeof V1_TCP4 - 1);
    close(w);
    pp_expect_rest(fd, "", 0);
    close(fd);
}
END_TEST

/* A peer that sends a byte every 20 ms never completes within 150 ms: the
 * timeout bounds the whole header, not each read (proxyproto(7) section 5). */
START_TEST(timeout_slow_peer)
{
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd, status;
    pid_t pid;

    pp_stream_pair(T_UNIX, &w, &fd);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fd);
        for (size_t i = 0; i < sizeof V1_TCP4 - 1; i++) {
            if (send(w, &V1_TCP4[i], 1, 0) != 1)
                _exit(1);
            usleep(20000);
        }
        _exit(0);
    }
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_read_header(&r, fd, 150, &h), PROXYPROTO_ERR_TIMEOUT);
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    close(fd);
}
END_TEST

/* A blocking socket whose header arrives in three pieces 20 ms apart. */
START_TEST(read_header_pieces)
{
    uint8_t msg[2048];
    size_t n = sample(S_V2_TLVS, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd, status;
    pid_t pid;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        size_t at[] = {0, 5, n - 1, n + PAYLOAD_LEN};
        close(fd);
        for (int i = 0; i < 3; i++) {
            usleep(20000);
            if (send(w, msg + at[i], at[i + 1] - at[i], 0) != (ssize_t)(at[i + 1] - at[i]))
                _exit(1);
        }
        _exit(0);
    }
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), (int)n);
    expect_header(&h, rbuf, msg, n);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* SIGALRM (no SA_RESTART) during the wait: INTERRUPTED, the bytes read so
 * far kept; a second call resumes and completes. */
START_TEST(interrupted_then_resumed)
{
    struct sigaction sa;
    struct itimerval it;
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() fails with EINTR */
    ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 50000;

    pp_stream_pair(T_UNIX, &w, &fd);
    pp_send_all(w, V1_TCP4, 11); /* "PROXY TCP4 " */
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
    EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), PROXYPROTO_ERR_INTERRUPTED);
    ck_assert_int_eq(alarms, 1);
    pp_send_all(w, &V1_TCP4[11], sizeof V1_TCP4 - 1 - 11);
    pp_send_all(w, payload, PAYLOAD_LEN);
    close(w);
    EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), (int)sizeof V1_TCP4 - 1);
    expect_header(&h, rbuf, (const uint8_t *)V1_TCP4, sizeof V1_TCP4 - 1);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * Bad input and small buffers
 * ------------------------------------------------------------------------ */

/* A client that speaks HTTP straight away: NOT_PROXY, and nothing taken
 * from the socket (the caller may log what came). */
START_TEST(garbage)
{
    static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    pp_send_all(w, http, sizeof http - 1);
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_ERR_NOT_PROXY);
    EXPECT_RC(proxyproto_read_header(&r, fd, 100, &h), PROXYPROTO_ERR_NOT_PROXY);
    pp_expect_rest(fd, http, sizeof http - 1);
    close(fd);
}
END_TEST

/* Errors found after part of the header was read come out of the step
 * with the parser's own code. */
START_TEST(error_mid_header)
{
#define PART(s) s, sizeof(s) - 1
    static const struct {
        const char *first;
        size_t n1;
        const char *second;
        size_t n2;
        int rc;
    } cases[] = {
        {PART("PROXY TCP4 "), PART("1.2.3.4\t5.6.7.8 1 2\r\n"), PROXYPROTO_ERR_V1_BAD_CHAR},
        {PART("PROXY TCP4 1.2.3.4"), PART(" 5.6.7.8 01 2\r\n"),
         PROXYPROTO_ERR_V1_PORT_LEADING_ZERO},
        {PART("PROX"), PART("Y TCP5 "), PROXYPROTO_ERR_V1_BAD_PROTOCOL},
        {PART("\r\n\r\n\0\r\n"), PART("QUIT\n\x31"), PROXYPROTO_ERR_V2_BAD_VERSION},
        {PART("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00"), PART("\x0b"),
         PROXYPROTO_ERR_V2_ADDRESS_TRUNCATED},
    };
#undef PART

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n1 = cases[i].n1, n2 = cases[i].n2;
        proxyproto_reader r;
        proxyproto_header h;
        int w, fd;

        pp_stream_pair(T_UNIX, &w, &fd);
        proxyproto_reader_init(&r, rbuf, sizeof rbuf);
        pp_send_all(w, cases[i].first, n1);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, cases[i].second, n2);
        EXPECT_RC(proxyproto_reader_step(&r, fd, &h), cases[i].rc);
        close(w);
        close(fd);
    }
}
END_TEST

/* Buffers too small for the header: HEADER_TOO_BIG, and exactly the
 * header's size is enough. A v2 header is judged by its length field as
 * soon as its 16 bytes are in, before the rest is read. */
START_TEST(header_too_big)
{
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    const size_t caps[] = {0, 1, 15, 16, n - 1, n};

    memcpy(msg + n, payload, PAYLOAD_LEN);
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        uint8_t small[2048];
        proxyproto_reader r;
        proxyproto_header h;
        int w, fd;

        if (caps[c] > n)
            continue;
        pp_stream_pair(T_UNIX, &w, &fd);
        pp_send_all(w, msg, n + PAYLOAD_LEN);
        close(w);
        proxyproto_reader_init(&r, caps[c] > 0 ? small : NULL, caps[c]);
        if (caps[c] < n) {
            EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_ERR_HEADER_TOO_BIG);
        } else {
            EXPECT_RC(proxyproto_read_header(&r, fd, 1000, &h), (int)n);
            expect_header(&h, small, msg, n);
            pp_expect_rest(fd, payload, PAYLOAD_LEN);
        }
        close(fd);
    }
}
END_TEST

/* The long v2 header against a 64-byte buffer: refused once 16 bytes are
 * in, and then nothing but those bytes was taken from the socket. */
START_TEST(too_big_known_early)
{
    uint8_t msg[2048], small[64];
    size_t n = sample(S_V2_LONG, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    pp_stream_pair(T_UNIX, &w, &fd);
    pp_send_all(w, msg, 10);
    proxyproto_reader_init(&r, small, sizeof small);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, msg + 10, n - 10);
    close(w);
    EXPECT_RC(proxyproto_reader_step(&r, fd, &h), PROXYPROTO_ERR_HEADER_TOO_BIG);
    pp_expect_rest(fd, msg + 10, n - 10);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * TLVs through the reader
 * ------------------------------------------------------------------------ */

START_TEST(v2_tlvs_over_tcp)
{
    uint8_t msg[2048];
    size_t n = sample(S_V2_TLVS, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    proxyproto_tlv tlv;
    proxyproto_ssl ssl;
    const char *id;
    size_t id_len;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    pp_send_all(w, msg, n + PAYLOAD_LEN);
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_read_header(&r, fd, 3000, &h), (int)n);
    ck_assert_ptr_eq(h.tlvs, rbuf + 16 + 12);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_ALPN, &tlv), 0);
    ck_assert_uint_eq(tlv.len, 2);
    ck_assert_mem_eq(tlv.value, "h2", 2);
    EXPECT_RC(proxyproto_ssl_get(&h, &ssl), 0);
    ck_assert_uint_eq(ssl.client, PROXYPROTO_SSL_CLIENT_SSL);
    EXPECT_RC(proxyproto_tlv_find(ssl.subtlvs, ssl.subtlvs_len,
                                  PROXYPROTO_SSL_VERSION, &tlv), 0);
    ck_assert_mem_eq(tlv.value, "TLSv1.3", 7);
    EXPECT_RC(proxyproto_aws_vpce_id(&h, &id, &id_len), 0);
    ck_assert_uint_eq(id_len, 22);
    ck_assert_mem_eq(id, "vpce-0123456789abcdef0", 22);
    EXPECT_RC(proxyproto_tlv_find(h.tlvs, h.tlvs_len, PROXYPROTO_TLV_CRC32C, &tlv), 0);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* A wrong CRC32C in a header that came through the reader is refused. */
START_TEST(v2_bad_crc_over_socket)
{
    uint8_t msg[2048];
    size_t n = sample(S_V2_TLVS, msg, sizeof msg);
    proxyproto_reader r;
    proxyproto_header h;
    int w, fd;

    msg[n - 1] ^= 1; /* the CRC32C TLV was added last: its value ends it */
    pp_stream_pair(T_UNIX, &w, &fd);
    pp_send_all(w, msg, n);
    close(w);
    proxyproto_reader_init(&r, rbuf, sizeof rbuf);
    EXPECT_RC(proxyproto_read_header(&r, fd, 1000, &h), PROXYPROTO_ERR_V2_CRC32C_MISMATCH);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * Feed
 * ------------------------------------------------------------------------ */

/* The caller's buffer grows by `chunk` bytes per call: INCOMPLETE until
 * the header is in, and reading hdr.need more never reaches the payload. */
START_TEST(feed_chunks)
{
    static const size_t chunks[] = {1, 2, 3, 7, 16, 64, 4096};
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);

    memcpy(msg + n, payload, PAYLOAD_LEN);
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        proxyproto_reader r;
        proxyproto_header h;
        size_t len = 0;
        int rc = PROXYPROTO_INCOMPLETE;

        proxyproto_reader_init(&r, NULL, 0);
        while (rc == PROXYPROTO_INCOMPLETE) {
            ck_assert_uint_lt(len, n + PAYLOAD_LEN); /* bounds the loop */
            len += chunks[c];
            if (len > n + PAYLOAD_LEN)
                len = n + PAYLOAD_LEN;
            rc = proxyproto_reader_feed(&r, msg, len, &h);
            if (rc == PROXYPROTO_INCOMPLETE) {
                ck_assert_uint_lt(len, n);
                ck_assert_uint_ge(h.need, 1);
                ck_assert_uint_le(len + h.need, n);
            }
        }
        EXPECT_RC(rc, (int)n);
        expect_header(&h, msg, msg, n);
    }
}
END_TEST

/* After a result (a header or an error) the reader starts over: the next
 * buffer is checked from its first byte. A stale "already checked up to
 * here" would miss the TAB in the second UNKNOWN line. */
START_TEST(feed_starts_over)
{
    static const char a[] = "PROXY UNKNOWN abcdef\r\n";
    static const char bad[] = "PROXY UNKNOWN \txyzxyzxyzxyzxyz\r\n";
    static const char junk[] = "PROXY UNKNOWN abcdef\n";
    proxyproto_reader r;
    proxyproto_header h;

    proxyproto_reader_init(&r, NULL, 0);
    EXPECT_RC(proxyproto_reader_feed(&r, a, 18, &h), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_reader_feed(&r, a, sizeof a - 1, &h), (int)sizeof a - 1);
    EXPECT_RC(proxyproto_reader_feed(&r, bad, sizeof bad - 1, &h), PROXYPROTO_ERR_V1_BAD_CHAR);

    proxyproto_reader_init(&r, NULL, 0);
    EXPECT_RC(proxyproto_reader_feed(&r, junk, 18, &h), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_reader_feed(&r, junk, sizeof junk - 1, &h), PROXYPROTO_ERR_V1_LONE_LF);
    EXPECT_RC(proxyproto_reader_feed(&r, bad, sizeof bad - 1, &h), PROXYPROTO_ERR_V1_BAD_CHAR);
}
END_TEST

/* ------------------------------------------------------------------------
 * CIDR text
 * ------------------------------------------------------------------------ */

START_TEST(cidr_parse_good)
{
    static const struct {
        const char *text;
        int family;
        unsigned prefix;
        const char *addr;
    } cases[] = {
        {"10.0.0.0/8", AF_INET, 8, "10.0.0.0"},
        {"0.0.0.0/0", AF_INET, 0, "0.0.0.0"},
        {"127.0.0.1", AF_INET, 32, "127.0.0.1"},
        {"192.168.0.0/23", AF_INET, 23, "192.168.0.0"},
        {"255.255.255.255/32", AF_INET, 32, "255.255.255.255"},
        {"198.51.100.128/25", AF_INET, 25, "198.51.100.128"},
        {"::1", AF_INET6, 128, "::1"},
        {"::/0", AF_INET6, 0, "::"},
        {"2001:db8::/32", AF_INET6, 32, "2001:db8::"},
        {"2001:DB8:0:0:0:0:0:0/32", AF_INET6, 32, "2001:db8::"},
        {"fe80::/10", AF_INET6, 10, "fe80::"},
        {"::ffff:10.0.0.0/104", AF_INET6, 104, "::ffff:10.0.0.0"},
        {"2001:db8::1/128", AF_INET6, 128, "2001:db8::1"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_cidr c;
        uint8_t want[16] = {0};

        memset(&c, 0xA5, sizeof c);
        EXPECT_RC(proxyproto_cidr_parse(&c, cases[i].text), 0);
        pp_ip(cases[i].family == AF_INET ? PROXYPROTO_AF_INET : PROXYPROTO_AF_INET6,
              cases[i].addr, want);
        ck_assert_msg(c.family == (cases[i].family == AF_INET ? PROXYPROTO_AF_INET
                                                              : PROXYPROTO_AF_INET6),
                      "%s: family %u", cases[i].text, c.family);
        ck_assert_msg(c.prefix_len == cases[i].prefix, "%s: prefix %u",
                      cases[i].text, c.prefix_len);
        ck_assert_mem_eq(c.addr, want, cases[i].family == AF_INET ? 4 : 16);
    }
}
END_TEST

START_TEST(cidr_parse_bad)
{
    static const char *const bad[] = {
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.1/8",
        "192.168.1.0/23", "2001:db8::1/32", "10.0.0.0/08", "10.0.0.0/+8",
        "10.0.0.0/-1", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8x",
        "10.0.0.0//8", "10.0.0.0/8/8", "10.0.0/8", "010.0.0.0/8",
        "256.0.0.0/8", "1.2.3.4.5", "::1/99999999999999999999", "fe80::1%eth0",
        "[::1]", "::1/", "2001:db8:::/48", "abc", "localhost", "1.2.3.4/32\n",
        "10.0.0.0/8\t", ":::", "1:2:3:4:5:6:7:8:9",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        proxyproto_cidr c, before;
        int rc;

        memset(&c, 0xA5, sizeof c);
        before = c;
        rc = proxyproto_cidr_parse(&c, bad[i]);
        ck_assert_msg(rc == PROXYPROTO_ERR_BAD_CIDR, "\"%s\": got %s", bad[i],
                      proxyproto_error_name(rc));
        pp_reach(rc, __func__);
        ck_assert_mem_eq(&c, &before, sizeof c); /* untouched on error */
    }
    EXPECT_RC(proxyproto_cidr_parse(NULL, "10.0.0.0/8"), PROXYPROTO_ERR_INVALID_ARGUMENT);
    {
        proxyproto_cidr c;
        EXPECT_RC(proxyproto_cidr_parse(&c, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Matching and policy
 * ------------------------------------------------------------------------ */

static struct sockaddr_storage peer(const char *ip)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(40000);
        ck_assert(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(40000);
        ck_assert(inet_pton(AF_INET, ip, &a->sin_addr) == 1);
    }
    return ss;
}

static int match(const char *cidr, const char *ip)
{
    proxyproto_cidr c;
    struct sockaddr_storage ss = peer(ip);

    ck_assert_int_eq(proxyproto_cidr_parse(&c, cidr), 0);
    return proxyproto_cidr_match(&c, (const struct sockaddr *)&ss);
}

START_TEST(cidr_match_cases)
{
    static const struct {
        const char *cidr, *ip;
        int want;
    } cases[] = {
        {"10.0.0.0/8", "10.0.0.0", 1},
        {"10.0.0.0/8", "10.255.255.255", 1},
        {"10.0.0.0/8", "11.0.0.0", 0},
        {"10.0.0.0/8", "9.255.255.255", 0},
        {"192.168.0.0/23", "192.168.1.255", 1},
        {"192.168.0.0/23", "192.168.2.0", 0},
        {"198.51.100.128/25", "198.51.100.127", 0},
        {"198.51.100.128/25", "198.51.100.200", 1},
        {"127.0.0.1", "127.0.0.1", 1},
        {"127.0.0.1", "127.0.0.2", 0},
        {"0.0.0.0/0", "203.0.113.9", 1},
        {"0.0.0.0/0", "2001:db8::1", 0},     /* another family */
        {"::/0", "2001:db8::1", 1},
        /* IPv4-mapped IPv6 peers (dual-stack listeners) */
        {"10.0.0.0/8", "::ffff:10.1.2.3", 1},
        {"10.0.0.0/8", "::ffff:11.1.2.3", 0},
        {"0.0.0.0/0", "::ffff:11.1.2.3", 1},
        {"10.0.0.0/8", "::10.1.2.3", 0},     /* compatible, not mapped */
        {"10.0.0.0/8", "64:ff9b::a01:203", 0}, /* NAT64, not mapped */
        /* an IPv6 entry in the mapped range matches a plain IPv4 peer */
        {"::ffff:10.0.0.0/104", "10.1.2.3", 1},
        {"::ffff:10.0.0.0/104", "11.1.2.3", 0},
        {"::/0", "10.1.2.3", 1},
        {"2001:db8::/32", "2001:db8:ffff::1", 1},
        {"2001:db8::/32", "2001:db9::1", 0},
        {"fe80::/10", "febf::1", 1},
        {"fe80::/10", "fec0::1", 0},
        {"::1", "::1", 1},
        {"::1", "::2", 0},
        {"2001:db8::/127", "2001:db8::1", 1},
        {"2001:db8::/127", "2001:db8::2", 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(match(cases[i].cidr, cases[i].ip) == cases[i].want,
                      "%s vs %s: want %d", cases[i].cidr, cases[i].ip, cases[i].want);
}
END_TEST

START_TEST(cidr_match_odd_input)
{
    proxyproto_cidr c;
    struct sockaddr_un sun;
    struct sockaddr_storage ss = peer("10.1.2.3");

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    ck_assert_int_eq(proxyproto_cidr_parse(&c, "0.0.0.0/0"), 0);
    ck_assert_int_eq(proxyproto_cidr_match(&c, (struct sockaddr *)&sun), 0);
    ck_assert_int_eq(proxyproto_cidr_match(NULL, (struct sockaddr *)&ss), 0);
    ck_assert_int_eq(proxyproto_cidr_match(&c, NULL), 0);
    c.prefix_len = 33; /* not from cidr_parse: never matches */
    ck_assert_int_eq(proxyproto_cidr_match(&c, (struct sockaddr *)&ss), 0);
    c.prefix_len = 0;
    c.family = 7;
    ck_assert_int_eq(proxyproto_cidr_match(&c, (struct sockaddr *)&ss), 0);
}
END_TEST

static proxyproto_cidr trusted[3];

static proxyproto_policy make_policy(unsigned flags)
{
    proxyproto_policy p;

    ck_assert_int_eq(proxyproto_cidr_parse(&trusted[0], "10.0.0.0/8"), 0);
    ck_assert_int_eq(proxyproto_cidr_parse(&trusted[1], "2001:db8::/32"), 0);
    ck_assert_int_eq(proxyproto_cidr_parse(&trusted[2], "127.0.0.1"), 0);
    p.trusted = trusted;
    p.n_trusted = 3;
    p.flags = flags;
    p.header_timeout_ms = 0;
    return p;
}

static int check_peer(const proxyproto_policy *p, const char *ip)
{
    struct sockaddr_storage ss = peer(ip);
    return proxyproto_policy_check(p, (const struct sockaddr *)&ss);
}

START_TEST(policy_trusted_and_not)
{
    proxyproto_policy strict = make_policy(0);
    proxyproto_policy open = make_policy(PROXYPROTO_POLICY_ALLOW_UNTRUSTED);
    proxyproto_policy none = {NULL, 0, 0, 0};
    struct sockaddr_un sun;

    EXPECT_CODE(check_peer(&strict, "10.9.8.7"), PROXYPROTO_EXPECT_HEADER);
    EXPECT_CODE(check_peer(&strict, "2001:db8::42"), PROXYPROTO_EXPECT_HEADER);
    EXPECT_CODE(check_peer(&strict, "::ffff:10.9.8.7"), PROXYPROTO_EXPECT_HEADER);
    EXPECT_CODE(check_peer(&strict, "127.0.0.1"), PROXYPROTO_EXPECT_HEADER);
    EXPECT_RC(check_peer(&strict, "11.9.8.7"), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(check_peer(&strict, "2001:db9::42"), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(check_peer(&strict, "::ffff:11.9.8.7"), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(check_peer(&strict, "127.0.0.2"), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(check_peer(&none, "10.9.8.7"), PROXYPROTO_ERR_UNTRUSTED);

    /* opt-in pass-through: untrusted peers come without a header; trusted
     * ones must still send one */
    EXPECT_CODE(check_peer(&open, "11.9.8.7"), PROXYPROTO_NO_HEADER);
    EXPECT_CODE(check_peer(&open, "::ffff:11.9.8.7"), PROXYPROTO_NO_HEADER);
    EXPECT_CODE(check_peer(&open, "10.9.8.7"), PROXYPROTO_EXPECT_HEADER);

    /* UNIX peers are trusted, even by an empty policy */
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    EXPECT_CODE(proxyproto_policy_check(&none, (struct sockaddr *)&sun),
              PROXYPROTO_EXPECT_HEADER);

    EXPECT_RC(proxyproto_policy_check(NULL, (struct sockaddr *)&sun),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_policy_check(&strict, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    none.n_trusted = 1; /* count without entries */
    EXPECT_RC(check_peer(&none, "10.9.8.7"), PROXYPROTO_ERR_INVALID_ARGUMENT);
}
END_TEST

/* The policy on real accepted loopback connections (getpeername). */
START_TEST(policy_real_peers)
{
    proxyproto_cidr only_v6lo, only_v4lo;
    proxyproto_policy p4 = {&only_v4lo, 1, 0, 0}, p6 = {&only_v6lo, 1, 0, 0};
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int w, fd;

    ck_assert_int_eq(proxyproto_cidr_parse(&only_v4lo, "127.0.0.0/8"), 0);
    ck_assert_int_eq(proxyproto_cidr_parse(&only_v6lo, "::1/128"), 0);
    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
    EXPECT_CODE(proxyproto_policy_check(&p4, (struct sockaddr *)&ss), PROXYPROTO_EXPECT_HEADER);
    EXPECT_RC(proxyproto_policy_check(&p6, (struct sockaddr *)&ss), PROXYPROTO_ERR_UNTRUSTED);
    close(w);
    close(fd);
    if (pp_tcp_pair(AF_INET6, &w, &fd) != 0)
        return;
    len = sizeof ss;
    ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
    EXPECT_CODE(proxyproto_policy_check(&p6, (struct sockaddr *)&ss), PROXYPROTO_EXPECT_HEADER);
    EXPECT_RC(proxyproto_policy_check(&p4, (struct sockaddr *)&ss), PROXYPROTO_ERR_UNTRUSTED);
    close(w);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * Resolve
 * ------------------------------------------------------------------------ */

/* Asserts that a resolved address equals a real socket address (family,
 * IP and port; nothing else is compared). */
static void expect_same_addr(const struct sockaddr_storage *got,
                             const struct sockaddr_storage *want)
{
    ck_assert_int_eq(got->ss_family, want->ss_family);
    if (want->ss_family == AF_INET) {
        const struct sockaddr_in *g = (const void *)got, *w = (const void *)want;
        ck_assert_mem_eq(&g->sin_addr, &w->sin_addr, 4);
        ck_assert_uint_eq(g->sin_port, w->sin_port);
    } else {
        const struct sockaddr_in6 *g = (const void *)got, *w = (const void *)want;
        ck_assert_mem_eq(&g->sin6_addr, &w->sin6_addr, 16);
        ck_assert_uint_eq(g->sin6_port, w->sin6_port);
    }
}

/* Headers whose addresses must not be used (proxyproto(7) section 3), and no
 * header at all: the accepted socket's real ends, which the client socket sees
 * from the other side. Loop index: address family. */
START_TEST(resolve_uses_socket)
{
    static const char *const hex[] = {
        SIG "20 00 0000",                                  /* LOCAL UNSPEC */
        SIG "20 11 000c c0000201 c0000202 1388 01bb",      /* LOCAL with INET block */
        SIG "21 10 000c c0000201 c0000202 1388 01bb",      /* PROXY INET, transport UNSPEC */
        SIG "21 00 0000",                                  /* PROXY UNSPEC */
    };
    static const char unknown[] = "PROXY UNKNOWN 192.0.2.1 192.0.2.2 5000 443\r\n";
    int family = _i == 0 ? AF_INET : AF_INET6;
    struct sockaddr_storage cl_local, cl_peer, client, server;
    socklen_t len;
    proxyproto_header h;
    uint8_t buf[128];
    int w, fd;

    if (pp_tcp_pair(family, &w, &fd) != 0)
        return;
    len = sizeof cl_local;
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&cl_local, &len), 0);
    len = sizeof cl_peer;
    ck_assert_int_eq(getpeername(w, (struct sockaddr *)&cl_peer, &len), 0);

    for (size_t i = 0; i <= sizeof hex / sizeof hex[0] + 1; i++) {
        const proxyproto_header *hp = &h;

        if (i < sizeof hex / sizeof hex[0])
            pp_parse_ok(&h, buf, pp_hex(buf, sizeof buf, hex[i]));
        else if (i == sizeof hex / sizeof hex[0])
            pp_parse_ok(&h, (const uint8_t *)unknown, sizeof unknown - 1);
        else
            hp = NULL; /* untrusted peer passed through */
        memset(&client, 0xA5, sizeof client);
        memset(&server, 0xA5, sizeof server);
        EXPECT_RC(proxyproto_resolve(fd, hp, &client, &server), 0);
        expect_same_addr(&client, &cl_local);
        expect_same_addr(&server, &cl_peer);
    }
    /* either output may be left out */
    memset(&server, 0xA5, sizeof server);
    EXPECT_RC(proxyproto_resolve(fd, NULL, NULL, &server), 0);
    expect_same_addr(&server, &cl_peer);
    memset(&client, 0xA5, sizeof client);
    EXPECT_RC(proxyproto_resolve(fd, NULL, &client, NULL), 0);
    expect_same_addr(&client, &cl_local);
    EXPECT_RC(proxyproto_resolve(fd, NULL, NULL, NULL), 0);
    close(w);
    close(fd);
}
END_TEST

/* A PROXY header's addresses win over the socket's. */
START_TEST(resolve_uses_header)
{
    static const char v1[] = "PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n";
    struct sockaddr_storage client, server;
    const struct sockaddr_in *c4 = (const void *)&client, *s4 = (const void *)&server;
    const struct sockaddr_in6 *c6 = (const void *)&client, *s6 = (const void *)&server;
    const struct sockaddr_un *cu = (const void *)&client, *su = (const void *)&server;
    uint8_t msg[2048], ip[16];
    proxyproto_header h;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    pp_parse_ok(&h, (const uint8_t *)v1, sizeof v1 - 1);
    EXPECT_RC(proxyproto_resolve(fd, &h, &client, &server), 0);
    ck_assert_int_eq(client.ss_family, AF_INET);
    pp_ip(PROXYPROTO_AF_INET, "203.0.113.7", ip);
    ck_assert_mem_eq(&c4->sin_addr, ip, 4);
    ck_assert_uint_eq(ntohs(c4->sin_port), 51234);
    pp_ip(PROXYPROTO_AF_INET, "198.51.100.1", ip);
    ck_assert_mem_eq(&s4->sin_addr, ip, 4);
    ck_assert_uint_eq(ntohs(s4->sin_port), 443);

    pp_parse_ok(&h, msg, sample(S_V2_LONG, msg, sizeof msg));
    EXPECT_RC(proxyproto_resolve(fd, &h, &client, NULL), 0);
    ck_assert_int_eq(client.ss_family, AF_INET6);
    pp_ip(PROXYPROTO_AF_INET6, "2001:db8::7", ip);
    ck_assert_mem_eq(&c6->sin6_addr, ip, 16);
    ck_assert_uint_eq(ntohs(c6->sin6_port), 51234);
    EXPECT_RC(proxyproto_resolve(fd, &h, NULL, &server), 0);
    pp_ip(PROXYPROTO_AF_INET6, "2001:db8::1", ip);
    ck_assert_mem_eq(&s6->sin6_addr, ip, 16);

    pp_parse_ok(&h, msg, sample(S_V2_UNIX, msg, sizeof msg));
    EXPECT_RC(proxyproto_resolve(fd, &h, &client, &server), 0);
    ck_assert_int_eq(client.ss_family, AF_UNIX);
    ck_assert_str_eq(cu->sun_path, "/run/client.sock");
    ck_assert_str_eq(su->sun_path, "/run/lb.sock");
    close(w);
    close(fd);
}
END_TEST

/* The socket is asked only when the header is not to be used: a header's
 * addresses resolve even on a descriptor that is not a socket. */
START_TEST(resolve_errors)
{
    static const char v1[] = "PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n";
    struct sockaddr_storage client, server;
    proxyproto_header h;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    errno = 0;
    EXPECT_RC(proxyproto_resolve(p[0], NULL, &client, &server), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, ENOTSOCK);
    pp_parse_ok(&h, (const uint8_t *)v1, sizeof v1 - 1);
    EXPECT_RC(proxyproto_resolve(p[0], &h, &client, &server), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* HAProxy's health checks reset the connection right after their LOCAL
 * header: getpeername() then fails, and only the address accept() gave
 * (passed to proxyproto_resolve_peer()) names the client. */
START_TEST(resolve_peer_after_reset)
{
    static const uint8_t local[16] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51,
                                      0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
    struct sockaddr_storage peer, local_end, client, server;
    socklen_t len = sizeof peer;
    struct linger hard = {1, 0};
    struct pollfd pfd;
    proxyproto_reader r;
    proxyproto_header h;
    uint8_t buf[64];
    int cl, sv;

    pp_tcp_pair(AF_INET, &cl, &sv);
    ck_assert_int_eq(getsockname(cl, (struct sockaddr *)&peer, &len), 0);
    len = sizeof local_end;
    ck_assert_int_eq(getsockname(sv, (struct sockaddr *)&local_end, &len), 0);
    pp_send_all(cl, local, sizeof local);
    proxyproto_reader_init(&r, buf, sizeof buf);
    EXPECT_RC(proxyproto_read_header(&r, sv, 2000, &h), 16);
    ck_assert_int_eq(setsockopt(cl, SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
    close(cl); /* sends a reset */
    pfd.fd = sv;
    pfd.events = POLLIN;
    ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
    EXPECT_RC(proxyproto_resolve(sv, &h, &client, NULL), PROXYPROTO_ERR_SYSTEM);
    EXPECT_RC(proxyproto_resolve_peer(sv, &peer, &h, &client, &server), 0);
    expect_same_addr(&client, &peer);
    expect_same_addr(&server, &local_end);
    close(sv);
}
END_TEST

/* ------------------------------------------------------------------------
 * Datagrams
 * ------------------------------------------------------------------------ */

START_TEST(datagram_cases)
{
    uint8_t d[256];
    size_t n = pp_hex(d, sizeof d, SIG "21 12 000c c0000201 c0000202 1388 0035");
    proxyproto_header h;

    memcpy(d + n, "dns query", 9);
    EXPECT_RC(proxyproto_parse_datagram(&h, d, n + 9), (int)n);
    ck_assert_uint_eq(h.transport, PROXYPROTO_TRANSPORT_DGRAM);
    ck_assert_uint_eq(h.src.port, 5000);
    EXPECT_RC(proxyproto_parse_datagram(&h, d, n), (int)n); /* empty payload */
    for (size_t k = 0; k < n; k++)
        EXPECT_RC(proxyproto_parse_datagram(&h, d, k), PROXYPROTO_ERR_DATAGRAM_TRUNCATED);
    EXPECT_RC(proxyproto_parse_datagram(&h, "PROXY TCP4 1.2.3.4", 18),
              PROXYPROTO_ERR_DATAGRAM_TRUNCATED);
    EXPECT_RC(proxyproto_parse_datagram(&h, "dns query", 9), PROXYPROTO_ERR_NOT_PROXY);
    d[13] = 0x13; /* transport 3 */
    EXPECT_RC(proxyproto_parse_datagram(&h, d, n + 9), PROXYPROTO_ERR_V2_BAD_TRANSPORT);
}
END_TEST

/* A real UDP datagram on 127.0.0.1, header and payload together. */
START_TEST(datagram_over_udp)
{
    struct sockaddr_storage ss;
    socklen_t len = pp_loopback(AF_INET, &ss);
    uint8_t d[256], got[256];
    size_t n = pp_hex(d, sizeof d, SIG "21 12 000c c0000201 c0000202 1388 0035");
    proxyproto_header h;
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    ssize_t k;

    ck_assert(rx >= 0 && tx >= 0);
    ck_assert_int_eq(bind(rx, (struct sockaddr *)&ss, len), 0);
    ck_assert_int_eq(getsockname(rx, (struct sockaddr *)&ss, &len), 0);
    memcpy(d + n, "ping", 4);
    ck_assert_int_eq(sendto(tx, d, n + 4, 0, (struct sockaddr *)&ss, len), (int)(n + 4));
    ck_assert_int_eq(sendto(tx, d, n - 1, 0, (struct sockaddr *)&ss, len), (int)(n - 1));
    k = recv(rx, got, sizeof got, 0);
    ck_assert_int_eq(k, (int)(n + 4));
    EXPECT_RC(proxyproto_parse_datagram(&h, got, (size_t)k), (int)n);
    ck_assert_mem_eq(got + n, "ping", 4);
    k = recv(rx, got, sizeof got, 0);
    ck_assert_int_eq(k, (int)(n - 1));
    EXPECT_RC(proxyproto_parse_datagram(&h, got, (size_t)k), PROXYPROTO_ERR_DATAGRAM_TRUNCATED);
    close(rx);
    close(tx);
}
END_TEST

Suite *suite_socket(void)
{
    Suite *s = suite_create("socket");
    TCase *rd = tcase_create("reader");
    TCase *tm = tcase_create("timeouts");
    TCase *fd = tcase_create("feed");
    TCase *tr = tcase_create("trust");
    TCase *rs = tcase_create("resolve");

    tcase_set_timeout(rd, 30);
    tcase_add_loop_test(rd, one_write, 0, S_COUNT * T_COUNT);
    tcase_add_loop_test(rd, byte_at_a_time, 0, S_COUNT);
    tcase_add_loop_test(rd, split_everywhere, 0, S_COUNT);
    tcase_add_loop_test(rd, move_mid_header, 0, S_COUNT);
    tcase_add_test(rd, move_edges);
    tcase_add_test(rd, step_never_blocks);
    tcase_add_loop_test(rd, step_after_header, 0, S_COUNT);
    tcase_add_loop_test(rd, peer_closes_mid_header, 0, S_COUNT);
    tcase_add_test(rd, peer_resets);
    tcase_add_test(rd, not_a_socket);
    tcase_add_test(rd, invalid_arguments);
    tcase_add_test(rd, garbage);
    tcase_add_test(rd, error_mid_header);
    tcase_add_loop_test(rd, header_too_big, 0, S_COUNT);
    tcase_add_test(rd, too_big_known_early);
    tcase_add_test(rd, v2_tlvs_over_tcp);
    tcase_add_test(rd, v2_bad_crc_over_socket);
    suite_add_tcase(s, rd);

    tcase_set_timeout(tm, 10);
    tcase_add_test(tm, timeout_silent_peer);
    tcase_add_test(tm, timeout_slow_peer);
    tcase_add_test(tm, read_header_pieces);
    tcase_add_test(tm, interrupted_then_resumed);
    suite_add_tcase(s, tm);

    tcase_add_loop_test(fd, feed_chunks, 0, S_COUNT);
    tcase_add_test(fd, feed_starts_over);
    suite_add_tcase(s, fd);

    tcase_add_test(tr, cidr_parse_good);
    tcase_add_test(tr, cidr_parse_bad);
    tcase_add_test(tr, cidr_match_cases);
    tcase_add_test(tr, cidr_match_odd_input);
    tcase_add_test(tr, policy_trusted_and_not);
    tcase_add_test(tr, policy_real_peers);
    suite_add_tcase(s, tr);

    tcase_add_loop_test(rs, resolve_uses_socket, 0, 2);
    tcase_add_test(rs, resolve_uses_header);
    tcase_add_test(rs, resolve_errors);
    tcase_add_test(rs, resolve_peer_after_reset);
    tcase_add_test(rs, datagram_cases);
    tcase_add_test(rs, datagram_over_udp);
    suite_add_tcase(s, rs);
    return s;
}
