/* The connection layer (include/proxyproto.h, "Connections"): one accepted
 * connection's header phase on real sockets -- AF_UNIX socketpairs and
 * loopback TCP (127.0.0.1, ::1).
 *
 *  - init: the trust check, its verdicts, the arguments;
 *  - read: whole, split and trickled headers (built ones and the captures),
 *    the addresses to use, the payload left in the socket byte for byte,
 *    errors with the bytes that showed them left in the socket, the
 *    buffer limit and proxyproto_conn_use_buffer();
 *  - the whole-header deadline: wait, ms_left, a trickle that must not
 *    extend it, the default of 3 s;
 *  - feed: the same headers in every split, the return value, the header
 *    copied into the conn, version refusal;
 *  - HEADER_OPTIONAL, with read and with feed;
 *  - wait from another thread, through a signal;
 *  - proxyproto_accept on loopback and UNIX listeners. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Clock and sockets
 * ------------------------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec t;

    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &t), 0);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Asserts that the socket holds exactly want[0..n) right now (peeked:
 * nothing is taken). */
static void expect_peek(int fd, const void *want, size_t n)
{
    uint8_t got[256];
    ssize_t k = recv(fd, got, sizeof got, MSG_PEEK | MSG_DONTWAIT);

    if (n == 0) {
        ck_assert_msg(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
                      "bytes left in the socket (recv gave %zd)", k);
        return;
    }
    ck_assert_msg(k == (ssize_t)n, "socket holds %zd bytes, want %zu", k, n);
    ck_assert_mem_eq(got, want, n);
}

/* The socket's two ends as the conn must see them: the peer (the writing
 * end's own address) and the local end. */
struct ends {
    struct sockaddr_storage peer, local;
};

static struct ends ends_of(int w, int fd)
{
    struct ends e;
    socklen_t len = sizeof e.peer;

    memset(&e, 0, sizeof e);
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&e.peer, &len), 0);
    len = sizeof e.local;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&e.local, &len), 0);
    return e;
}

/* The same address: family, then IP and port, or the 108 path bytes. */
static void expect_same_sa(const struct sockaddr *got,
                           const struct sockaddr_storage *want, const char *what)
{
    char g[PROXYPROTO_ADDR_STRLEN] = "?", w[PROXYPROTO_ADDR_STRLEN] = "?";

    ck_assert_ptr_nonnull(got);
    proxyproto_format_sockaddr(g, sizeof g, got);
    proxyproto_format_sockaddr(w, sizeof w, (const struct sockaddr *)want);
    ck_assert_msg(got->sa_family == want->ss_family, "%s: family %d (%s), want %d (%s)",
                  what, got->sa_family, g, want->ss_family, w);
    if (want->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)got, *b = (const void *)want;
        ck_assert_msg(memcmp(&a->sin_addr, &b->sin_addr, 4) == 0 &&
                          a->sin_port == b->sin_port,
                      "%s: %s, want %s", what, g, w);
    } else if (want->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)got, *b = (const void *)want;
        ck_assert_msg(memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0 &&
                          a->sin6_port == b->sin6_port,
                      "%s: %s, want %s", what, g, w);
    } else if (want->ss_family == AF_UNIX) {
        const struct sockaddr_un *a = (const void *)got, *b = (const void *)want;
        ck_assert_msg(memcmp(a->sun_path, b->sun_path, sizeof a->sun_path) == 0,
                      "%s: %s, want %s", what, g, w);
    }
}

/* The text of an address, for short assertions (two buffers in turn, so
 * two texts can be compared). */
static const char *sa_text(const struct sockaddr *sa)
{
    static char buf[2][PROXYPROTO_ADDR_STRLEN];
    static int turn;
    char *b = buf[turn ^= 1];
    int rc = proxyproto_format_sockaddr(b, sizeof buf[0], sa);

    ck_assert_msg(rc >= 0, "format_sockaddr: %s", proxyproto_error_name(rc));
    return b;
}

static void expect_unspec(const proxyproto_conn *c)
{
    ck_assert_int_eq(proxyproto_conn_client(c)->sa_family, AF_UNSPEC);
    ck_assert_int_eq(proxyproto_conn_server(c)->sa_family, AF_UNSPEC);
    ck_assert_ptr_null(proxyproto_conn_header(c));
}

/* ------------------------------------------------------------------------
 * Policies
 * ------------------------------------------------------------------------ */

static proxyproto_cidr lo_nets[2], ten_net[1];

/* Trusts the loopback networks (and, as always, UNIX peers). */
static proxyproto_policy trusting(unsigned flags, int timeout_ms)
{
    proxyproto_policy p;

    memset(&p, 0, sizeof p);
    ck_assert_int_eq(proxyproto_cidr_parse(&lo_nets[0], "127.0.0.0/8"), 0);
    ck_assert_int_eq(proxyproto_cidr_parse(&lo_nets[1], "::1"), 0);
    p.trusted = lo_nets;
    p.n_trusted = 2;
    p.flags = flags;
    p.header_timeout_ms = timeout_ms;
    return p;
}

/* Trusts 10.0.0.0/8 only: loopback peers are untrusted. */
static proxyproto_policy distrusting(unsigned flags)
{
    proxyproto_policy p;

    memset(&p, 0, sizeof p);
    ck_assert_int_eq(proxyproto_cidr_parse(&ten_net[0], "10.0.0.0/8"), 0);
    p.trusted = ten_net;
    p.n_trusted = 1;
    p.flags = flags;
    return p;
}

/* ------------------------------------------------------------------------
 * Sample headers: built ones, then every capture
 * ------------------------------------------------------------------------ */

#define V1_TCP4 "PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n"
#define V1_TCP6 "PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n"
#define V1_UNKNOWN "PROXY UNKNOWN\r\n"
#define V2_LOCAL SIG "20 00 0000"
#define V2_INET6 SIG "21 21 0024 20010db8000000000000000000000007" \
                 "20010db8000000000000000000000001 c822 01bb"

/* Payload that starts like another header: only the first counts. */
static const char payload[] = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\nGET / HTTP/1.1\r\n\r\n";
#define PAYLOAD_LEN (sizeof payload - 1)

static const char *const capture_names[] = {
    "haproxy-v1-tcp4.bin",
    "haproxy-v1-tcp6.bin",
    "nginx-v1-tcp4.bin",
    "haproxy-v2-tcp4-crc32c-uniqueid.bin",
    "haproxy-v2-tcp6-crc32c.bin",
    "haproxy-v2-local-healthcheck.bin",
    "haproxy-v2-local-unix-frontend.bin",
    "haproxy-v2-tls-clientcert.bin",
    "haproxy-v2-tls-nocert.bin",
};
#define NCAPTURES (sizeof capture_names / sizeof capture_names[0])

enum { S_V1_TCP4, S_V1_TCP6, S_V1_UNKNOWN, S_V2_LOCAL, S_V2_TLVS, S_V2_INET6,
       S_V2_UNIX, S_BUILT };
#define S_COUNT ((int)(S_BUILT + NCAPTURES))

/* v2 PROXY over IPv4 with ALPN, AUTHORITY, an SSL TLV and a CRC32C. */
static size_t v2_with_tlvs(uint8_t *buf, size_t cap)
{
    proxyproto_header h;
    proxyproto_builder b;
    int n;

    memset(&h, 0, sizeof h);
    h.version = 2;
    h.command = PROXYPROTO_CMD_PROXY;
    h.family = PROXYPROTO_AF_INET;
    h.transport = PROXYPROTO_TRANSPORT_STREAM;
    h.has_addresses = 1;
    pp_ip(PROXYPROTO_AF_INET, "203.0.113.7", h.src.ip.v4);
    pp_ip(PROXYPROTO_AF_INET, "198.51.100.1", h.dst.ip.v4);
    h.src.port = 51234;
    h.dst.port = 443;
    proxyproto_builder_init(&b, &h);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_AUTHORITY, "example.com", 11);
    proxyproto_builder_add_ssl(&b, PROXYPROTO_SSL_CLIENT_SSL | PROXYPROTO_SSL_CLIENT_CERT_CONN, 0);
    proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7);
    proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CN, "alice", 5);
    proxyproto_builder_add_crc32c(&b);
    n = proxyproto_builder_finish(&b, buf, cap);
    ck_assert_msg(n > 0, "builder: %s", proxyproto_error_name(n));
    return (size_t)n;
}

/* v2 PROXY with a TLV of `extra` bytes: headers of any length. */
static size_t v2_sized(uint8_t *buf, size_t cap, size_t total)
{
    size_t n = pp_hex(buf, cap, SIG "21 11 0000 7f000001 7f000002 1f90 0050");

    ck_assert_uint_ge(total, n + 3);
    ck_assert_uint_le(total, cap);
    buf[14] = (uint8_t)((total - 16) >> 8);
    buf[15] = (uint8_t)(total - 16);
    buf[n] = PROXYPROTO_TLV_NOOP;
    buf[n + 1] = (uint8_t)((total - n - 3) >> 8);
    buf[n + 2] = (uint8_t)(total - n - 3);
    memset(buf + n + 3, 0x42, total - n - 3);
    return total;
}

/* v2 PROXY over UNIX: 16 + 216 bytes. */
static size_t v2_unix(uint8_t *buf, size_t cap)
{
    size_t n = pp_hex(buf, cap, SIG "21 31 00d8");

    ck_assert_uint_ge(cap, n + 216);
    memset(buf + n, 0, 216);
    memcpy(buf + n, "/run/client.sock", 16);
    memcpy(buf + n + 108, "/run/lb.sock", 12);
    return n + 216;
}

static size_t capture_header(size_t i, uint8_t *buf, size_t cap)
{
    char path[1024];
    proxyproto_header h;
    size_t len;
    uint8_t *file;
    int rc;

    snprintf(path, sizeof path, "%s/%s", pp_captures_dir(), capture_names[i]);
    file = pp_read_file(path, &len);
    rc = proxyproto_parse(&h, file, len, 0);
    ck_assert_msg(rc > 0, "%s: %s", capture_names[i], proxyproto_error_name(rc));
    ck_assert_uint_le((size_t)rc, cap);
    memcpy(buf, file, (size_t)rc);
    free(file);
    return (size_t)rc;
}

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
        return pp_hex(buf, cap, V2_LOCAL);
    case S_V2_TLVS:
        return v2_with_tlvs(buf, cap);
    case S_V2_INET6:
        return pp_hex(buf, cap, V2_INET6);
    case S_V2_UNIX:
        return v2_unix(buf, cap);
    default:
        return capture_header((size_t)(which - S_BUILT), buf, cap);
    }
}

/* [p, p + n) inside [lo, lo + len). */
static int inside(const void *p, size_t n, const void *lo, size_t len)
{
    const uint8_t *a = p, *b = lo;
    return a >= b && a + n <= b + len;
}

/* The conn's header is the one sent, held in [store, store + store_len)
 * (the conn itself, or the use_buffer buffer), not in the sent bytes. */
static void expect_header(const proxyproto_conn *c, const uint8_t *sent, size_t n,
                          const void *store, size_t store_len)
{
    const proxyproto_header *h = proxyproto_conn_header(c);
    proxyproto_header want;

    pp_parse_ok(&want, sent, n);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(h->header_len, n);
    ck_assert_uint_eq(h->version, want.version);
    ck_assert_uint_eq(h->command, want.command);
    ck_assert_uint_eq(h->family, want.family);
    ck_assert_uint_eq(h->transport, want.transport);
    ck_assert_uint_eq(h->has_addresses, want.has_addresses);
    ck_assert_uint_eq(h->tlvs_len, want.tlvs_len);
    if (want.has_addresses && want.family != PROXYPROTO_AF_UNIX) {
        ck_assert_mem_eq(h->src.ip.v6, want.src.ip.v6,
                         want.family == PROXYPROTO_AF_INET ? 4 : 16);
        ck_assert_mem_eq(h->dst.ip.v6, want.dst.ip.v6,
                         want.family == PROXYPROTO_AF_INET ? 4 : 16);
        ck_assert_uint_eq(h->src.port, want.src.port);
        ck_assert_uint_eq(h->dst.port, want.dst.port);
    }
    if (want.has_addresses && want.family == PROXYPROTO_AF_UNIX) {
        ck_assert(inside(h->src.path, 108, store, store_len));
        ck_assert_mem_eq(h->src.path, want.src.path, 108);
        ck_assert_uint_eq(h->src.path_len, want.src.path_len);
    }
    if (want.tlvs_len > 0) {
        ck_assert_msg(inside(h->tlvs, h->tlvs_len, store, store_len),
                      "TLVs point outside the conn's storage");
        ck_assert_mem_eq(h->tlvs, want.tlvs, want.tlvs_len);
    }
}

/* client and server: the header's ends when it is to be used, else the
 * socket's (peer and local end). */
static void expect_addrs(const proxyproto_conn *c, const uint8_t *sent, size_t n,
                         const struct ends *e)
{
    proxyproto_header h;

    if (sent != NULL)
        pp_parse_ok(&h, sent, n);
    if (sent != NULL && proxyproto_use_header_addresses(&h)) {
        struct sockaddr_storage src, dst;
        ck_assert_int_gt(proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &src), 0);
        ck_assert_int_gt(proxyproto_sockaddr(&h, PROXYPROTO_DESTINATION, &dst), 0);
        expect_same_sa(proxyproto_conn_client(c), &src, "client (header)");
        expect_same_sa(proxyproto_conn_server(c), &dst, "server (header)");
    } else {
        expect_same_sa(proxyproto_conn_client(c), &e->peer, "client (socket)");
        expect_same_sa(proxyproto_conn_server(c), &e->local, "server (socket)");
    }
    expect_same_sa(proxyproto_conn_peer(c), &e->peer, "peer");
}

static uint8_t big[PROXYPROTO_V2_MAX_LEN];

/* A writer thread: sends data[0..n) after delay_ms, `chunk` bytes every
 * `every_ms` (0: all at once), stops on a send error (the reader closed). */
struct writer {
    pthread_t tid;
    int fd;
    const uint8_t *data;
    size_t n;
    int delay_ms, every_ms;
    size_t chunk;
    int close_after;
};

static void *writer_main(void *arg)
{
    struct writer *wr = arg;
    size_t at = 0;

    sleep_ms(wr->delay_ms);
    while (at < wr->n) {
        size_t k = wr->chunk == 0 || wr->chunk > wr->n - at ? wr->n - at : wr->chunk;
        ssize_t s = send(wr->fd, wr->data + at, k, MSG_NOSIGNAL);
        if (s <= 0)
            break;
        at += (size_t)s;
        if (wr->every_ms > 0 && at < wr->n)
            sleep_ms(wr->every_ms);
    }
    if (wr->close_after)
        shutdown(wr->fd, SHUT_WR);
    return NULL;
}

static void writer_start(struct writer *wr, int fd, const void *data, size_t n,
                         int delay_ms, size_t chunk, int every_ms)
{
    sigset_t all, old;

    wr->fd = fd;
    wr->data = data;
    wr->n = n;
    wr->delay_ms = delay_ms;
    wr->chunk = chunk;
    wr->every_ms = every_ms;
    wr->close_after = 0;
    /* signals go to the test's thread, never to the writer */
    sigfillset(&all);
    ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &all, &old), 0);
    ck_assert_int_eq(pthread_create(&wr->tid, NULL, writer_main, wr), 0);
    ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

static void writer_join(struct writer *wr)
{
    ck_assert_int_eq(pthread_join(wr->tid, NULL), 0);
}


/* ------------------------------------------------------------------------
 * Init
 * ------------------------------------------------------------------------ */

/* Trusted peers (UNIX, 127.0.0.1, ::1): a header is expected. */
START_TEST(init_trusted)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    struct ends e;
    int w, fd;

    if (pp_stream_pair((enum pp_transport)_i, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    expect_same_sa(proxyproto_conn_peer(&c), &e.peer, "peer (getpeername)");
    expect_unspec(&c); /* nothing before done */
    ck_assert_int_gt(proxyproto_conn_ms_left(&c), 0);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
    close(w);
    close(fd);
}
END_TEST

/* An untrusted peer is refused at init, and every later call says so
 * without reading: a header it sends stays in the socket. */
START_TEST(init_untrusted)
{
    proxyproto_policy p = distrusting(0);
    proxyproto_conn c;
    struct ends e;
    int w, fd;

    if (pp_tcp_pair(_i == 0 ? AF_INET : AF_INET6, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    pp_send_all(w, V1_TCP4, sizeof V1_TCP4 - 1);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(proxyproto_conn_feed(&c, V1_TCP4, sizeof V1_TCP4 - 1),
              PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_UNTRUSTED);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    expect_unspec(&c);
    expect_same_sa(proxyproto_conn_peer(&c), &e.peer, "peer of the refused");
    close(w);
    pp_expect_rest(fd, V1_TCP4, sizeof V1_TCP4 - 1);
    close(fd);
}
END_TEST

/* ALLOW_UNTRUSTED: done at init, no header, the peer's own address; a
 * header the peer sends is payload (never believed, never read). */
START_TEST(init_allow_untrusted)
{
    proxyproto_policy p = distrusting(PROXYPROTO_POLICY_ALLOW_UNTRUSTED);
    proxyproto_conn c;
    struct ends e;
    size_t held = 99;
    int w, fd;

    if (pp_tcp_pair(_i == 0 ? AF_INET : AF_INET6, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    pp_send_all(w, V1_TCP4, sizeof V1_TCP4 - 1);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), 0);
    ck_assert_ptr_null(proxyproto_conn_header(&c));
    expect_addrs(&c, NULL, 0, &e);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    EXPECT_RC(proxyproto_conn_feed(&c, V1_TCP4, sizeof V1_TCP4 - 1), 0);
    ck_assert_ptr_null(proxyproto_conn_held(&c, &held));
    ck_assert_uint_eq(held, 0);
    ck_assert_ptr_null(proxyproto_conn_header(&c));
    close(w);
    pp_expect_rest(fd, V1_TCP4, sizeof V1_TCP4 - 1);
    close(fd);
}
END_TEST

/* ALLOW_UNTRUSTED does not excuse a trusted peer from its header. */
START_TEST(init_allow_untrusted_trusted_peer)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_ALLOW_UNTRUSTED, 0);
    proxyproto_conn c;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    pp_send_all(w, V1_TCP4, sizeof V1_TCP4 - 1);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "203.0.113.7:51234");
    close(w);
    close(fd);
}
END_TEST

/* The peer the caller passes is the one judged and reported, not
 * getpeername()'s. */
START_TEST(init_peer_given)
{
    proxyproto_policy ten = distrusting(0);
    proxyproto_conn c;
    struct sockaddr_in lb;
    struct sockaddr_in6 lb6;
    struct sockaddr_storage want;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    memset(&lb, 0, sizeof lb);
    lb.sin_family = AF_INET;
    lb.sin_port = htons(40000);
    ck_assert_int_eq(inet_pton(AF_INET, "10.1.2.3", &lb.sin_addr), 1);
    /* the socket's peer is 127.0.0.1 (untrusted); the given one trusted */
    EXPECT_RC(proxyproto_conn_init(&c, fd, &ten, NULL), PROXYPROTO_ERR_UNTRUSTED);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &ten, (struct sockaddr *)&lb),
              PROXYPROTO_INCOMPLETE);
    memset(&want, 0, sizeof want);
    memcpy(&want, &lb, sizeof lb);
    expect_same_sa(proxyproto_conn_peer(&c), &want, "given peer");
    ck_assert_str_eq(sa_text(proxyproto_conn_peer(&c)), "10.1.2.3:40000");
    /* a LOCAL header: the client is the given peer */
    pp_send_all(w, "\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "10.1.2.3:40000");

    memset(&lb6, 0, sizeof lb6);
    lb6.sin6_family = AF_INET6;
    lb6.sin6_port = htons(1);
    ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::9", &lb6.sin6_addr), 1);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &ten, (struct sockaddr *)&lb6),
              PROXYPROTO_ERR_UNTRUSTED);
    ck_assert_str_eq(sa_text(proxyproto_conn_peer(&c)), "[2001:db8::9]:1");
    close(w);
    close(fd);
}
END_TEST

START_TEST(init_invalid)
{
    proxyproto_policy p = trusting(0, 0), broken = trusting(0, 0);
    proxyproto_conn c;
    size_t held = 7;
    int pipefd[2], w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(NULL, fd, &p, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_init(&c, fd, NULL, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    /* ...and the later calls say it too */
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_feed(&c, "P", 1), PROXYPROTO_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    broken.trusted = NULL; /* n_trusted 2 without entries */
    EXPECT_RC(proxyproto_conn_init(&c, fd, &broken, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_INVALID_ARGUMENT);

    /* getpeername() fails: not a socket, not a descriptor */
    ck_assert_int_eq(pipe(pipefd), 0);
    errno = 0;
    EXPECT_RC(proxyproto_conn_init(&c, pipefd[0], &p, NULL), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, ENOTSOCK);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_SYSTEM);
    EXPECT_RC(proxyproto_conn_init(&c, -1, &p, NULL), PROXYPROTO_ERR_SYSTEM);
    close(pipefd[0]);
    close(pipefd[1]);

    /* NULL conn everywhere */
    EXPECT_RC(proxyproto_conn_read(NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_feed(NULL, "P", 1), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_wait(NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_use_buffer(NULL, big, sizeof big), PROXYPROTO_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(proxyproto_conn_ms_left(NULL), -1);
    ck_assert_ptr_null(proxyproto_conn_client(NULL));
    ck_assert_ptr_null(proxyproto_conn_server(NULL));
    ck_assert_ptr_null(proxyproto_conn_peer(NULL));
    ck_assert_ptr_null(proxyproto_conn_header(NULL));
    ck_assert_ptr_null(proxyproto_conn_held(NULL, &held));
    ck_assert_uint_eq(held, 0);
    EXPECT_RC(proxyproto_accept(fd, NULL, &c), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_accept(fd, &p, NULL), PROXYPROTO_ERR_INVALID_ARGUMENT);

    /* feed: data NULL with len > 0; use_buffer: NULL buffer */
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_feed(&c, NULL, 3), PROXYPROTO_ERR_INVALID_ARGUMENT);
    EXPECT_RC(proxyproto_conn_feed(&c, NULL, 0), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_use_buffer(&c, NULL, 100), PROXYPROTO_ERR_INVALID_ARGUMENT);
    close(w);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * Read
 * ------------------------------------------------------------------------ */

/* Header and payload in one write. Loop index: sample x transport. */
START_TEST(read_whole)
{
    int which = _i % S_COUNT;
    enum pp_transport t = (enum pp_transport)(_i / S_COUNT);
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    uint8_t msg[2048];
    size_t n = sample(which, msg, sizeof msg);
    struct ends e;
    int w, fd;

    if (pp_stream_pair(t, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    pp_send_all(w, msg, n + PAYLOAD_LEN);
    close(w);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    if (t == T_UNIX) /* all of it is in the socket: one read is enough */
        EXPECT_RC(proxyproto_conn_read(&c), 0);
    else /* TCP may deliver it in pieces */
        EXPECT_RC(proxyproto_conn_wait(&c), 0);
    expect_header(&c, msg, n, &c, sizeof c);
    expect_addrs(&c, msg, n, &e);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    /* done: further calls read nothing */
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* The addresses spelled out for the common headers. */
START_TEST(read_addresses)
{
    static const struct {
        const char *hex, *client, *server;
    } cases[] = {
        {"'" V1_TCP4 "'", "203.0.113.7:51234", "198.51.100.1:443"},
        {"'" V1_TCP6 "'", "[2001:db8::7]:51234", "[2001:db8::1]:443"},
        {V2_INET6, "[2001:db8::7]:51234", "[2001:db8::1]:443"},
        {SIG "21 11 000c 01020304 05060708 0050 0001", "1.2.3.4:80", "5.6.7.8:1"},
        {SIG "21 21 0024 00000000000000000000ffff01020304"
             "00000000000000000000000000000001 0001 01bb",
         "[::ffff:1.2.3.4]:1", "[::1]:443"},
        {NULL, "unix:/tmp/c", "unix:@x"}, /* UNIX DGRAM, built below */
    };
    proxyproto_policy p = trusting(0, 0);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_conn c;
        uint8_t msg[512];
        size_t n;
        int w, fd;

        if (cases[i].hex != NULL) {
            n = pp_hex(msg, sizeof msg, cases[i].hex);
        } else {
            n = v2_unix(msg, sizeof msg);
            msg[13] = 0x32;
            memset(msg + 16, 0, 216);
            memcpy(msg + 16, "/tmp/c", 6);
            memcpy(msg + 16 + 108, "\0x", 2);
        }
        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        pp_send_all(w, msg, n);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_read(&c), 0);
        ck_assert_uint_eq(proxyproto_conn_header(&c)->header_len, n);
        ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), cases[i].client);
        ck_assert_str_eq(sa_text(proxyproto_conn_server(&c)), cases[i].server);
        close(w);
        pp_expect_rest(fd, "", 0);
        close(fd);
    }
}
END_TEST

/* LOCAL (health check) and v1 UNKNOWN: the header is there, but the
 * addresses are the socket's: client = its peer, server = getsockname. */
START_TEST(read_local_unknown)
{
    static const char *const hex[] = {
        V2_LOCAL,
        SIG "20 11 000c c0000201 c0000202 1388 01bb", /* LOCAL with a block */
        SIG "21 00 0000",                             /* PROXY UNSPEC */
        "'" V1_UNKNOWN "'",
        "'PROXY UNKNOWN 192.0.2.1 192.0.2.2 5000 443\r\n'",
    };
    proxyproto_policy p = trusting(0, 0);

    for (int fam = 0; fam < 2; fam++) {
        for (size_t i = 0; i < sizeof hex / sizeof hex[0]; i++) {
            proxyproto_conn c;
            uint8_t msg[256];
            size_t n = pp_hex(msg, sizeof msg, hex[i]);
            struct ends e;
            int w, fd;

            if (pp_tcp_pair(fam == 0 ? AF_INET : AF_INET6, &w, &fd) != 0)
                return;
            e = ends_of(w, fd);
            memcpy(msg + n, payload, PAYLOAD_LEN);
            pp_send_all(w, msg, n + PAYLOAD_LEN);
            close(w);
            EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
            EXPECT_RC(proxyproto_conn_wait(&c), 0);
            ck_assert_ptr_nonnull(proxyproto_conn_header(&c));
            ck_assert_uint_eq(proxyproto_conn_header(&c)->header_len, n);
            expect_same_sa(proxyproto_conn_client(&c), &e.peer, "client = peer");
            expect_same_sa(proxyproto_conn_server(&c), &e.local, "server = local");
            ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)),
                             sa_text((struct sockaddr *)&e.peer));
            pp_expect_rest(fd, payload, PAYLOAD_LEN);
            close(fd);
        }
    }
}
END_TEST

/* The header in two pieces, at every offset: INCOMPLETE in between, the
 * same result, the payload intact. Loop index: sample. */
START_TEST(read_split)
{
    proxyproto_policy p = trusting(0, 0);
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);

    memcpy(msg + n, payload, PAYLOAD_LEN);
    for (size_t k = 0; k < n; k++) {
        proxyproto_conn c;
        struct ends e;
        int w, fd;

        if (n > 300 && k > 40 && k + 40 < n && k % 37 != 0)
            continue; /* sample the long UNIX block */
        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        e = ends_of(w, fd);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, msg, k);
        EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
        expect_peek(fd, NULL, 0); /* the header's bytes were taken */
        ck_assert_ptr_null(proxyproto_conn_header(&c));
        ck_assert_int_eq(proxyproto_conn_client(&c)->sa_family, AF_UNSPEC);
        pp_send_all(w, msg + k, n - k + PAYLOAD_LEN);
        close(w);
        EXPECT_RC(proxyproto_conn_read(&c), 0);
        expect_header(&c, msg, n, &c, sizeof c);
        expect_addrs(&c, msg, n, &e);
        pp_expect_rest(fd, payload, PAYLOAD_LEN);
        close(fd);
    }
}
END_TEST

/* One byte at a time, on a blocking socket (a read never blocks; the
 * test's timeout would catch one that does). */
START_TEST(read_byte_by_byte)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
    for (size_t i = 0; i < n; i++) {
        pp_send_all(w, msg + i, 1);
        EXPECT_RC(proxyproto_conn_read(&c), i + 1 < n ? PROXYPROTO_INCOMPLETE : 0);
    }
    expect_header(&c, msg, n, &c, sizeof c);
    pp_send_all(w, payload, PAYLOAD_LEN);
    close(w);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* Not a header: the parse's own code, and the bytes that showed it are
 * still in the socket; the error sticks. */
START_TEST(read_invalid)
{
    static const struct {
        const char *hex;
        int rc;
    } cases[] = {
        {"'GET / HTTP/1.0\r\n\r\n'", PROXYPROTO_ERR_NOT_PROXY},
        {"'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n'", PROXYPROTO_ERR_V1_BAD_CHAR},
        {"'PROXY TCP5 '", PROXYPROTO_ERR_V1_BAD_PROTOCOL},
        {"'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'", PROXYPROTO_ERR_V1_PORT_LEADING_ZERO},
        {"'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'", PROXYPROTO_ERR_V1_LONE_LF},
        {SIG "31 11 000c", PROXYPROTO_ERR_V2_BAD_VERSION},
        {SIG "21 41 000c", PROXYPROTO_ERR_V2_BAD_FAMILY},
        {SIG "21 11 000b 01020304 05060708 0001 00", PROXYPROTO_ERR_V2_ADDRESS_TRUNCATED},
        {SIG "21 11 0013 01020304 05060708 0001 0002 03 0004 00000000",
         PROXYPROTO_ERR_V2_CRC32C_MISMATCH},
        {SIG "21 11 000e 01020304 05060708 0001 0002 0400", PROXYPROTO_ERR_V2_TLV_TRUNCATED},
    };
    proxyproto_policy p = trusting(0, 0);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_conn c;
        uint8_t msg[256];
        size_t n = pp_hex(msg, sizeof msg, cases[i].hex);
        int w, fd;

        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        pp_send_all(w, msg, n);
        close(w);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_read(&c), cases[i].rc);
        EXPECT_RC(proxyproto_conn_read(&c), cases[i].rc);
        EXPECT_RC(proxyproto_conn_wait(&c), cases[i].rc);
        ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
        expect_unspec(&c);
        pp_expect_rest(fd, msg, n); /* one write, under 107 bytes: all left */
        close(fd);
    }
}
END_TEST

/* An error seen after part of the header was taken: the code, and the
 * bytes from the error's peek on are left. */
START_TEST(read_invalid_mid_header)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, "PROXY TCP4 1.2", 14);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, ".3.4 5.6.7.8 99999 1\r\nrest", 26);
    close(w);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_V1_PORT_RANGE);
    pp_expect_rest(fd, ".3.4 5.6.7.8 99999 1\r\nrest", 26);
    close(fd);
}
END_TEST

/* The peer closes before the header ends (or sends nothing): CLOSED. */
START_TEST(read_closed)
{
    proxyproto_policy p = trusting(0, 0);
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    const size_t cut[] = {0, 1, n / 2, n - 1};

    for (size_t k = 0; k < sizeof cut / sizeof cut[0]; k++) {
        proxyproto_conn c;
        int w, fd;

        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        pp_send_all(w, msg, cut[k]);
        close(w);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_CLOSED);
        EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_CLOSED);
        expect_unspec(&c);
        close(fd);
    }
}
END_TEST

/* A TCP reset mid-header: SYSTEM, errno ECONNRESET. */
START_TEST(read_reset)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, "PROXY ", 6);
    ck_assert_int_eq(setsockopt(w, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(w);
    errno = 0;
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, ECONNRESET);
    close(fd);
}
END_TEST

/* An L4 health check as HAProxy makes it: a v2 LOCAL header, then a reset,
 * all before the server looks. getpeername() then fails (ENOTCONN), but the
 * peer is still known on Linux (SO_PEERNAME) and the header still
 * readable: init with peer NULL trusts it, and the check ends as a LOCAL
 * header with the check's own address, not as a refusal. */
START_TEST(init_after_reset)
{
#ifdef __linux__
    static const uint8_t local[16] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51,
                                      0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00};
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    struct sockaddr_storage mine, none;
    socklen_t len = sizeof mine;
    proxyproto_policy p = trusting(0, 0);
    const proxyproto_header *h;
    proxyproto_conn c;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    memset(&mine, 0, sizeof mine);
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&mine, &len), 0);
    /* qemu-user (make cross-check) does not pass SO_PEERNAME (28 on Linux)
     * through: there the peer is unknowable, and init says so. Linux wants
     * a length no longer than the address's own. */
    len = sizeof(struct sockaddr_in);
    if (getsockopt(fd, SOL_SOCKET, 28, &none, &len) != 0) {
        pp_send_all(w, local, sizeof local);
        ck_assert_int_eq(setsockopt(w, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
        close(w);
        sleep_ms(50);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_ERR_CLOSED);
        close(fd);
        return;
    }
    pp_send_all(w, local, sizeof local);
    ck_assert_int_eq(setsockopt(w, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(w);
    sleep_ms(50); /* the reset is in before init looks */
    len = sizeof none;
    ck_assert_int_ne(getpeername(fd, (struct sockaddr *)&none, &len), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    h = proxyproto_conn_header(&c);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(h->command, PROXYPROTO_CMD_LOCAL);
    ck_assert_int_eq(proxyproto_conn_client(&c)->sa_family, AF_INET);
    ck_assert_int_eq(((const struct sockaddr_in *)(const void *)proxyproto_conn_client(&c))->sin_port,
                     ((struct sockaddr_in *)&mine)->sin_port);
    close(fd);
#endif
}
END_TEST

/* Headers up to PROXYPROTO_CONN_BUF bytes fit the conn; longer ones are
 * refused (and judged once their 16 fixed bytes are in), unless
 * proxyproto_conn_use_buffer() gave a bigger buffer. */
START_TEST(read_too_big)
{
    static uint8_t msg[PROXYPROTO_V2_MAX_LEN + 64];
    static const size_t sizes[] = {PROXYPROTO_CONN_BUF, PROXYPROTO_CONN_BUF + 1, 4000,
                                   PROXYPROTO_V2_MAX_LEN};
    proxyproto_policy p = trusting(0, 0);

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = v2_sized(msg, sizeof msg, sizes[i]);
        int fits = n <= PROXYPROTO_CONN_BUF;

        for (int use = 0; use < 2; use++) {
            proxyproto_conn c;
            struct ends e;
            int w, fd;

            ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
            e = ends_of(w, fd);
            EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
            if (use)
                EXPECT_RC(proxyproto_conn_use_buffer(&c, big, sizeof big), 0);
            /* a writer that may block: the header is larger than the
             * socket buffers can hold when the conn refuses it */
            pp_send_all(w, msg, 16);
            if (!use && !fits) {
                EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_HEADER_TOO_BIG);
                expect_unspec(&c);
                close(w);
                pp_expect_rest(fd, msg, 16); /* judged on 16 bytes, none taken */
                close(fd);
                continue;
            }
            {
                struct writer wr;
                memcpy(msg + n, payload, PAYLOAD_LEN);
                writer_start(&wr, w, msg + 16, n - 16 + PAYLOAD_LEN, 0, 0, 0);
                EXPECT_RC(proxyproto_conn_wait(&c), 0);
                if (use)
                    expect_header(&c, msg, n, big, sizeof big);
                else
                    expect_header(&c, msg, n, &c, sizeof c);
                expect_addrs(&c, msg, n, &e);
                writer_join(&wr);
                close(w);
                pp_expect_rest(fd, payload, PAYLOAD_LEN);
                close(fd);
            }
        }
    }
}
END_TEST

/* use_buffer only before the first byte was taken. */
START_TEST(read_use_buffer_late)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    static uint8_t mine[64];
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE); /* nothing yet */
    EXPECT_RC(proxyproto_conn_use_buffer(&c, mine, sizeof mine), 0);
    pp_send_all(w, V1_TCP4, 10);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_use_buffer(&c, big, sizeof big),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    pp_send_all(w, &V1_TCP4[10], sizeof V1_TCP4 - 1 - 10);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    /* the header is in the first buffer given, still in use */
    expect_header(&c, (const uint8_t *)V1_TCP4, sizeof V1_TCP4 - 1, mine, sizeof mine);
    ck_assert_mem_eq(mine, V1_TCP4, sizeof V1_TCP4 - 1);

    /* feed: the same rule */
    EXPECT_RC(proxyproto_conn_init(&c, -1, &p, NULL), PROXYPROTO_ERR_SYSTEM);
    {
        struct sockaddr_un un;
        memset(&un, 0, sizeof un);
        un.sun_family = AF_UNIX;
        EXPECT_RC(proxyproto_conn_init(&c, -1, &p, (struct sockaddr *)&un),
                  PROXYPROTO_INCOMPLETE);
    }
    EXPECT_RC(proxyproto_conn_feed(&c, "PROXY", 5), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_use_buffer(&c, big, sizeof big),
              PROXYPROTO_ERR_INVALID_ARGUMENT);
    close(w);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * The whole-header deadline
 * ------------------------------------------------------------------------ */

/* A partial header and silence: wait ends with TIMEOUT at the deadline
 * (200 ms; generous bounds for a loaded machine). */
START_TEST(deadline_wait)
{
    proxyproto_policy p = trusting(0, 200);
    proxyproto_conn c;
    long long t0, dt;
    int w, fd;

    if (pp_stream_pair((enum pp_transport)_i, &w, &fd) != 0)
        return;
    pp_send_all(w, V1_TCP4, 20);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_TIMEOUT);
    dt = now_ms() - t0;
    ck_assert_msg(dt >= 190 && dt < 1000, "timed out after %lld ms", dt);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    expect_unspec(&c);
    /* the error sticks even when the rest arrives */
    pp_send_all(w, &V1_TCP4[20], sizeof V1_TCP4 - 1 - 20);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_TIMEOUT);
    close(w);
    pp_expect_rest(fd, &V1_TCP4[20], sizeof V1_TCP4 - 1 - 20);
    close(fd);
}
END_TEST

/* Nothing at all: the same. */
START_TEST(deadline_silent)
{
    proxyproto_policy p = trusting(0, 200);
    proxyproto_conn c;
    long long t0, dt;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_TIMEOUT);
    dt = now_ms() - t0;
    ck_assert_msg(dt >= 190 && dt < 1000, "timed out after %lld ms", dt);
    close(w);
    close(fd);
}
END_TEST

/* ms_left counts down, is 0 once the deadline passed (before any call
 * noticed it), and -1 once the conn is done or failed. */
START_TEST(deadline_ms_left)
{
    proxyproto_policy p = trusting(0, 200);
    proxyproto_conn c;
    int w, fd, a, b;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    a = proxyproto_conn_ms_left(&c);
    ck_assert_msg(a > 100 && a <= 200, "ms_left %d right after init", a);
    sleep_ms(60);
    b = proxyproto_conn_ms_left(&c);
    ck_assert_msg(b < a && b <= 200 - 55 && b >= 0, "ms_left %d after 60 ms (was %d)", b, a);
    sleep_ms(250);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), 0);
    EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_ERR_TIMEOUT);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);

    /* done: -1 */
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, V1_UNKNOWN, sizeof V1_UNKNOWN - 1);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    close(w);
    close(fd);
}
END_TEST

/* header_timeout_ms 0 is the documented default of 3 s. */
START_TEST(deadline_default)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    int w, fd, left;

    ck_assert_int_eq(PROXYPROTO_DEFAULT_HEADER_TIMEOUT_MS, 3000);
    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    left = proxyproto_conn_ms_left(&c);
    ck_assert_msg(left > 2900 && left <= 3000, "ms_left %d with timeout 0", left);
    p.header_timeout_ms = 50000;
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    left = proxyproto_conn_ms_left(&c);
    ck_assert_msg(left > 49900 && left <= 50000, "ms_left %d with timeout 50000", left);
    close(w);
    close(fd);
}
END_TEST

/* A trickle, one byte every 50 ms, read as it comes: every read before the
 * deadline says INCOMPLETE, the first one after it (header still
 * incomplete) TIMEOUT. An inactivity timeout would let it finish. */
START_TEST(deadline_trickle_read)
{
    proxyproto_policy p = trusting(0, 200);
    proxyproto_conn c;
    long long t0, t;
    size_t sent = 0;
    int w, fd, rc, incomplete_reads = 0;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    for (;;) {
        ck_assert_uint_lt(sent, sizeof V1_TCP4 - 1); /* still incomplete */
        pp_send_all(w, &V1_TCP4[sent++], 1);
        rc = proxyproto_conn_read(&c);
        t = now_ms() - t0;
        if (rc != PROXYPROTO_INCOMPLETE)
            break;
        ck_assert_msg(t < 200 + 100, "INCOMPLETE %lld ms after init, past the deadline", t);
        incomplete_reads++;
        sleep_ms(50);
    }
    EXPECT_RC(rc, PROXYPROTO_ERR_TIMEOUT);
    ck_assert_msg(t >= 190 && t < 1000, "TIMEOUT after %lld ms", t);
    ck_assert_int_ge(incomplete_reads, 2);
    ck_assert_uint_lt(sent, 20);
    close(w);
    close(fd);
}
END_TEST

/* The trickle from another thread against the blocking wait. */
START_TEST(deadline_trickle_wait)
{
    proxyproto_policy p = trusting(0, 200);
    proxyproto_conn c;
    struct writer wr;
    long long t0, dt;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    writer_start(&wr, w, V1_TCP4, sizeof V1_TCP4 - 1, 0, 1, 50);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_TIMEOUT);
    dt = now_ms() - t0;
    ck_assert_msg(dt >= 190 && dt < 1000, "TIMEOUT after %lld ms", dt);
    close(fd); /* the writer's next send fails: it stops */
    writer_join(&wr);
    close(w);
}
END_TEST

/* A header that is whole in the socket is taken even when the first read
 * comes after the deadline: TIMEOUT needs the header still incomplete. */
START_TEST(deadline_complete_late)
{
    proxyproto_policy p = trusting(0, 50);
    proxyproto_conn c;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    sleep_ms(100);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), 0);
    pp_send_all(w, V1_TCP4, sizeof V1_TCP4 - 1);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "203.0.113.7:51234");
    close(w);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * Feed
 * ------------------------------------------------------------------------ */

/* A conn for feeding: no socket (fd -1), a given UNIX peer. */
static struct ends feed_ends(void)
{
    struct ends e;

    memset(&e, 0, sizeof e);
    e.peer.ss_family = AF_UNIX;
    e.local.ss_family = AF_UNSPEC; /* fd -1: no getsockname */
    return e;
}

static void feed_init(proxyproto_conn *c, const proxyproto_policy *p, const struct ends *e)
{
    EXPECT_RC(proxyproto_conn_init(c, -1, p, (const struct sockaddr *)&e->peer),
              PROXYPROTO_INCOMPLETE);
}

/* Header and payload in one chunk: the return value is the header's
 * length; then everything is payload. Loop index: sample. */
START_TEST(feed_whole)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg), held = 9;
    struct ends e = feed_ends();

    memcpy(msg + n, payload, PAYLOAD_LEN);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n + PAYLOAD_LEN), (int)n);
    expect_header(&c, msg, n, &c, sizeof c);
    expect_addrs(&c, msg, n, &e);
    ck_assert_ptr_null(proxyproto_conn_held(&c, &held));
    ck_assert_uint_eq(held, 0);
    ck_assert_int_eq(proxyproto_conn_ms_left(&c), -1);
    EXPECT_RC(proxyproto_conn_feed(&c, payload, PAYLOAD_LEN), 0);
    EXPECT_RC(proxyproto_conn_feed(&c, NULL, 0), 0);
    /* exactly the header, no payload */
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n), (int)n);
    expect_header(&c, msg, n, &c, sizeof c);
}
END_TEST

/* The header split in two at every offset, then byte by byte: INCOMPLETE
 * until the chunk that ends the header, which returns how much of it
 * the header took. */
START_TEST(feed_split)
{
    proxyproto_policy p = trusting(0, 0);
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    struct ends e = feed_ends();
    proxyproto_conn c;

    memcpy(msg + n, payload, PAYLOAD_LEN);
    for (size_t k = 0; k < n; k++) {
        feed_init(&c, &p, &e);
        PP_ASSERT(proxyproto_conn_feed(&c, msg, k) == PROXYPROTO_INCOMPLETE,
                  "first %zu bytes", k);
        PP_ASSERT(proxyproto_conn_feed(&c, msg + k, n - k + PAYLOAD_LEN) == (int)(n - k),
                  "split at %zu", k);
        expect_header(&c, msg, n, &c, sizeof c);
    }
    /* three pieces: the last one mostly payload */
    for (size_t k = 1; k + 1 < n; k += 1 + n / 16) {
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, msg, k), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_feed(&c, msg + k, n - 1 - k), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_feed(&c, msg + n - 1, 1 + PAYLOAD_LEN), 1);
    }
    /* byte by byte */
    feed_init(&c, &p, &e);
    for (size_t i = 0; i < n; i++)
        PP_ASSERT(proxyproto_conn_feed(&c, msg + i, 1) ==
                      (i + 1 < n ? PROXYPROTO_INCOMPLETE : 1),
                  "byte %zu of %zu", i, n);
    expect_header(&c, msg, n, &c, sizeof c);
    expect_addrs(&c, msg, n, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, payload, 1), 0);
}
END_TEST

/* The header is copied into the conn: the loop's buffer may be reused for
 * the next chunk, and the TLVs (here the TLS details) stay right. */
START_TEST(feed_copies_header)
{
    proxyproto_policy p = trusting(0, 0);
    uint8_t msg[2048], chunk[64];
    size_t n = sample(S_BUILT + 7, msg, sizeof msg); /* TLS client cert capture */
    struct ends e = feed_ends();
    proxyproto_conn c;
    proxyproto_details d;
    size_t at = 0;
    int rc = PROXYPROTO_INCOMPLETE;

    memcpy(msg + n, payload, PAYLOAD_LEN);
    feed_init(&c, &p, &e);
    while (rc == PROXYPROTO_INCOMPLETE) {
        size_t k = n + PAYLOAD_LEN - at < sizeof chunk ? n + PAYLOAD_LEN - at : sizeof chunk;
        memcpy(chunk, msg + at, k);
        rc = proxyproto_conn_feed(&c, chunk, k);
        memset(chunk, 0xA5, sizeof chunk); /* the loop reuses its buffer */
        if (rc == PROXYPROTO_INCOMPLETE)
            at += k;
    }
    EXPECT_RC(rc, (int)(n - at));
    memset(msg + n, 0, PAYLOAD_LEN);
    expect_header(&c, msg, n, &c, sizeof c);
    EXPECT_RC(proxyproto_details_get(proxyproto_conn_header(&c), &d), 0);
    ck_assert_uint_eq(d.cn.len, 18);
    ck_assert_mem_eq(d.cn.ptr, "client.example.org", 18);
    ck_assert_mem_eq(d.sni.ptr, "api.example.net", 15);
    ck_assert_int_eq(proxyproto_client_cert_verified(proxyproto_conn_header(&c)), 1);
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "127.0.0.1:55870");
    ck_assert_str_eq(sa_text(proxyproto_conn_server(&c)), "127.0.0.1:18100");
}
END_TEST

/* Feeding on a real socket's conn: server is getsockname() for LOCAL. */
START_TEST(feed_with_socket)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    uint8_t msg[64];
    size_t n = pp_hex(msg, sizeof msg, V2_LOCAL);
    struct ends e;
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    e = ends_of(w, fd);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n), (int)n);
    expect_addrs(&c, msg, n, &e);
    close(w);
    close(fd);
}
END_TEST

/* The deadline holds for feed too: a trickle fed as it comes gets TIMEOUT
 * on the first chunk after the deadline that leaves the header incomplete;
 * a chunk that completes it is still taken. */
START_TEST(feed_deadline)
{
    proxyproto_policy p = trusting(0, 200);
    struct ends e = feed_ends();
    proxyproto_conn c;
    long long t0, t;
    size_t fed = 0;
    int rc, incomplete_feeds = 0;

    t0 = now_ms();
    feed_init(&c, &p, &e);
    for (;;) {
        ck_assert_uint_lt(fed, sizeof V1_TCP4 - 2);
        rc = proxyproto_conn_feed(&c, &V1_TCP4[fed++], 1);
        t = now_ms() - t0;
        if (rc != PROXYPROTO_INCOMPLETE)
            break;
        ck_assert_msg(t < 200 + 100, "INCOMPLETE %lld ms after init", t);
        incomplete_feeds++;
        sleep_ms(50);
    }
    EXPECT_RC(rc, PROXYPROTO_ERR_TIMEOUT);
    ck_assert_msg(t >= 190 && t < 1000, "TIMEOUT after %lld ms", t);
    ck_assert_int_ge(incomplete_feeds, 2);
    EXPECT_RC(proxyproto_conn_feed(&c, &V1_TCP4[fed], sizeof V1_TCP4 - 1 - fed),
              PROXYPROTO_ERR_TIMEOUT);

    /* nothing fed at all: an empty feed after the deadline says it */
    p.header_timeout_ms = 30;
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, NULL, 0), PROXYPROTO_INCOMPLETE);
    sleep_ms(60);
    EXPECT_RC(proxyproto_conn_feed(&c, NULL, 0), PROXYPROTO_ERR_TIMEOUT);
    /* the rest of a header arriving late completes it */
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, V1_TCP4, 10), PROXYPROTO_INCOMPLETE);
    sleep_ms(60);
    EXPECT_RC(proxyproto_conn_feed(&c, &V1_TCP4[10], sizeof V1_TCP4 - 1 - 10),
              (int)sizeof V1_TCP4 - 1 - 10);
}
END_TEST

/* Parse errors through feed, whole and split; they stick. */
START_TEST(feed_errors)
{
    static const struct {
        const char *hex;
        int rc;
    } cases[] = {
        {"'GET / HTTP/1.0\r\n\r\n'", PROXYPROTO_ERR_NOT_PROXY},
        {"'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n'", PROXYPROTO_ERR_V1_BAD_CHAR},
        {"'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r'", PROXYPROTO_ERR_V1_CR_WITHOUT_LF},
        {"'PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n'", PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE},
        {"'PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n'", PROXYPROTO_ERR_V1_FAMILY_MISMATCH},
        {"'PROXY TCP6 1::2::3 ::1 1 2\r\n'", PROXYPROTO_ERR_V1_BAD_IPV6},
        {SIG "22 11 000c", PROXYPROTO_ERR_V2_BAD_COMMAND},
        {SIG "21 13 000c", PROXYPROTO_ERR_V2_BAD_TRANSPORT},
        {SIG "21 11 0013 01020304 05060708 0001 0002 03 0004 00000000",
         PROXYPROTO_ERR_V2_CRC32C_MISMATCH},
        {SIG "21 11 0010 01020304 05060708 0001 0002 01 0009 00",
         PROXYPROTO_ERR_V2_TLV_OVERRUN},
    };
    proxyproto_policy p = trusting(0, 0);
    struct ends e = feed_ends();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_conn c;
        uint8_t msg[256];
        size_t n = pp_hex(msg, sizeof msg, cases[i].hex);

        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, msg, n), cases[i].rc);
        EXPECT_RC(proxyproto_conn_feed(&c, msg, n), cases[i].rc);
        EXPECT_RC(proxyproto_conn_feed(&c, NULL, 0), cases[i].rc);
        expect_unspec(&c);
        /* byte by byte: INCOMPLETE, then the error at some byte */
        feed_init(&c, &p, &e);
        {
            int rc = PROXYPROTO_INCOMPLETE;
            for (size_t k = 0; k < n && rc == PROXYPROTO_INCOMPLETE; k++)
                rc = proxyproto_conn_feed(&c, msg + k, 1);
            EXPECT_RC(rc, cases[i].rc);
        }
    }
}
END_TEST

/* Longer than PROXYPROTO_CONN_BUF: refused, unless use_buffer. */
START_TEST(feed_too_big)
{
    static uint8_t msg[PROXYPROTO_V2_MAX_LEN + 64];
    proxyproto_policy p = trusting(0, 0);
    struct ends e = feed_ends();
    proxyproto_conn c;
    size_t n;

    n = v2_sized(msg, sizeof msg, PROXYPROTO_CONN_BUF);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n + PAYLOAD_LEN), (int)n);

    n = v2_sized(msg, sizeof msg, PROXYPROTO_CONN_BUF + 1);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n + PAYLOAD_LEN), PROXYPROTO_ERR_HEADER_TOO_BIG);
    feed_init(&c, &p, &e); /* known from the 16 fixed bytes */
    EXPECT_RC(proxyproto_conn_feed(&c, msg, 16), PROXYPROTO_ERR_HEADER_TOO_BIG);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_use_buffer(&c, big, sizeof big), 0);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, 16), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_feed(&c, msg + 16, n - 16 + PAYLOAD_LEN), (int)(n - 16));
    expect_header(&c, msg, n, big, sizeof big);

    n = v2_sized(msg, sizeof msg, PROXYPROTO_V2_MAX_LEN);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_use_buffer(&c, big, sizeof big), 0);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n), (int)n);
    expect_header(&c, msg, n, big, sizeof big);
}
END_TEST

/* REFUSE_V1 / REFUSE_V2: judged on the first byte, with feed and read;
 * the other version still accepted. */
START_TEST(version_refused)
{
    uint8_t v2[64];
    size_t n2 = pp_hex(v2, sizeof v2, SIG "21 11 000c 01020304 05060708 0001 0002");
    struct ends e = feed_ends();
    const struct {
        unsigned flags;
        int v1_ok, v2_ok;
    } cases[] = {
        {PROXYPROTO_POLICY_REFUSE_V1, 0, 1},
        {PROXYPROTO_POLICY_REFUSE_V2, 1, 0},
        {PROXYPROTO_POLICY_REFUSE_V1 | PROXYPROTO_POLICY_REFUSE_V2, 0, 0},
        {0, 1, 1},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_policy p = trusting(cases[i].flags, 0);
        proxyproto_conn c;
        int w, fd;

        /* feed: the first byte decides */
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, "P", 1),
                  cases[i].v1_ok ? PROXYPROTO_INCOMPLETE : PROXYPROTO_ERR_VERSION_REFUSED);
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, "\r", 1),
                  cases[i].v2_ok ? PROXYPROTO_INCOMPLETE : PROXYPROTO_ERR_VERSION_REFUSED);
        /* feed: whole headers */
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, V1_TCP4, sizeof V1_TCP4 - 1),
                  cases[i].v1_ok ? (int)sizeof V1_TCP4 - 1 : PROXYPROTO_ERR_VERSION_REFUSED);
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, v2, n2),
                  cases[i].v2_ok ? (int)n2 : PROXYPROTO_ERR_VERSION_REFUSED);
        if (!cases[i].v2_ok)
            EXPECT_RC(proxyproto_conn_feed(&c, v2, n2), PROXYPROTO_ERR_VERSION_REFUSED);

        /* read: one byte in the socket is enough to refuse, and it stays */
        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, "P", 1);
        EXPECT_RC(proxyproto_conn_read(&c),
                  cases[i].v1_ok ? PROXYPROTO_INCOMPLETE : PROXYPROTO_ERR_VERSION_REFUSED);
        if (!cases[i].v1_ok)
            expect_peek(fd, "P", 1);
        close(w);
        close(fd);
        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, v2, n2);
        close(w);
        EXPECT_RC(proxyproto_conn_read(&c),
                  cases[i].v2_ok ? 0 : PROXYPROTO_ERR_VERSION_REFUSED);
        pp_expect_rest(fd, v2 + (cases[i].v2_ok ? n2 : 0), cases[i].v2_ok ? 0 : n2);
        close(fd);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * HEADER_OPTIONAL
 * ------------------------------------------------------------------------ */

static const char http[] = "GET / HTTP/1.0\r\n\r\n";
#define HTTP_LEN (sizeof http - 1)

/* read: a stream without a header is served with the socket's addresses,
 * and none of its bytes is taken. */
START_TEST(optional_read_no_header)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);
    proxyproto_conn c;
    struct ends e;
    int w, fd;

    if (pp_stream_pair((enum pp_transport)_i, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    pp_send_all(w, http, HTTP_LEN);
    close(w);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    ck_assert_ptr_null(proxyproto_conn_header(&c));
    expect_addrs(&c, NULL, 0, &e);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    pp_expect_rest(fd, http, HTTP_LEN);
    close(fd);
}
END_TEST

/* feed: 0, nothing held. */
START_TEST(optional_feed_no_header)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);
    struct ends e = feed_ends();
    proxyproto_conn c;
    size_t held = 5;

    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, http, HTTP_LEN), 0);
    ck_assert_ptr_null(proxyproto_conn_header(&c));
    ck_assert_ptr_null(proxyproto_conn_held(&c, &held));
    ck_assert_uint_eq(held, 0);
    expect_addrs(&c, NULL, 0, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, http, HTTP_LEN), 0);
}
END_TEST

/* feed: a prefix of a signature held back, then given back. */
START_TEST(optional_feed_held)
{
    static const struct {
        const char *first, *second;
        size_t n1;
    } cases[] = {
        {"PR", "OST / HTTP/1.0\r\n\r\n", 2},
        {"PROXY", "Z", 5},
        {"\r\n\r\n", "\r\nfoo", 4},
        {"\r\n\r\n\0\r\nQUIT", "!", 11},
    };
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);
    struct ends e = feed_ends();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxyproto_conn c;
        const void *held;
        size_t len = 99;
        char chunk[32];

        feed_init(&c, &p, &e);
        memcpy(chunk, cases[i].first, cases[i].n1);
        EXPECT_RC(proxyproto_conn_feed(&c, chunk, cases[i].n1), PROXYPROTO_INCOMPLETE);
        ck_assert_ptr_null(proxyproto_conn_held(&c, &len)); /* not done yet */
        ck_assert_uint_eq(len, 0);
        memset(chunk, 0xA5, sizeof chunk); /* the loop's buffer, reused */
        EXPECT_RC(proxyproto_conn_feed(&c, cases[i].second, strlen(cases[i].second)), 0);
        ck_assert_ptr_null(proxyproto_conn_header(&c));
        held = proxyproto_conn_held(&c, &len);
        ck_assert_uint_eq(len, cases[i].n1);
        ck_assert_ptr_nonnull(held);
        ck_assert_mem_eq(held, cases[i].first, cases[i].n1);
        expect_addrs(&c, NULL, 0, &e);
    }
}
END_TEST

/* A real header is still parsed in optional mode (read and feed), and a
 * broken one is still an error. */
START_TEST(optional_real_header)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);
    struct ends e = feed_ends();
    uint8_t msg[2048];
    size_t n = sample(_i, msg, sizeof msg);
    proxyproto_conn c;
    int w, fd;

    memcpy(msg + n, payload, PAYLOAD_LEN);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, msg, n + PAYLOAD_LEN), (int)n);
    expect_header(&c, msg, n, &c, sizeof c);
    feed_init(&c, &p, &e);
    for (size_t i = 0; i + 1 < n; i++)
        PP_ASSERT(proxyproto_conn_feed(&c, msg + i, 1) == PROXYPROTO_INCOMPLETE,
                  "byte %zu", i);
    EXPECT_RC(proxyproto_conn_feed(&c, msg + n - 1, 1 + PAYLOAD_LEN), 1);
    expect_header(&c, msg, n, &c, sizeof c);

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    e = ends_of(w, fd);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    pp_send_all(w, msg, n + PAYLOAD_LEN);
    close(w);
    EXPECT_RC(proxyproto_conn_read(&c), 0);
    expect_header(&c, msg, n, &c, sizeof c);
    expect_addrs(&c, msg, n, &e);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

START_TEST(optional_broken_header)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);
    struct ends e = feed_ends();
    proxyproto_conn c;

    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, "PROXY TCP5 ", 11), PROXYPROTO_ERR_V1_BAD_PROTOCOL);
    feed_init(&c, &p, &e);
    EXPECT_RC(proxyproto_conn_feed(&c, "\r\n\r\n\0\r\nQUIT\n\x11", 13),
              PROXYPROTO_ERR_V2_BAD_VERSION);
}
END_TEST

/* read: a stream that begins "PRO" and stalls is not taken (it may still
 * be payload); what follows decides. */
START_TEST(optional_read_stall)
{
    static const char rest_no[] = "XYZ 42\r\n";
    static const char rest_yes[] = "XY TCP4 1.2.3.4 5.6.7.8 1 2\r\nhello";
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 0);

    for (int yes = 0; yes < 2; yes++) {
        proxyproto_conn c;
        int w, fd;

        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        pp_send_all(w, "PRO", 3);
        EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_read(&c), PROXYPROTO_INCOMPLETE);
        expect_peek(fd, "PRO", 3); /* nothing consumed */
        if (!yes) {
            pp_send_all(w, rest_no, sizeof rest_no - 1);
            close(w);
            EXPECT_RC(proxyproto_conn_read(&c), 0);
            ck_assert_ptr_null(proxyproto_conn_header(&c));
            pp_expect_rest(fd, "PROXYZ 42\r\n", 11);
        } else {
            pp_send_all(w, rest_yes, sizeof rest_yes - 1);
            close(w);
            EXPECT_RC(proxyproto_conn_read(&c), 0);
            ck_assert_ptr_nonnull(proxyproto_conn_header(&c));
            ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "1.2.3.4:1");
            pp_expect_rest(fd, "hello", 5);
        }
        close(fd);
    }
}
END_TEST

/* The blocking wait on such a stall ends at the deadline (and does not
 * take the bytes). */
START_TEST(optional_wait_stall)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 200);
    proxyproto_conn c;
    long long t0, dt;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    pp_send_all(w, "\r\n\r\n", 4);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    EXPECT_RC(proxyproto_conn_wait(&c), PROXYPROTO_ERR_TIMEOUT);
    dt = now_ms() - t0;
    ck_assert_msg(dt >= 190 && dt < 1000, "TIMEOUT after %lld ms", dt);
    close(w);
    pp_expect_rest(fd, "\r\n\r\n", 4);
    close(fd);
}
END_TEST

/* The stall resolved by a writer thread while wait waits. */
START_TEST(optional_wait_resolved)
{
    static const char tail[] = "OST / HTTP/1.0\r\n\r\n";
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 2000);
    proxyproto_conn c;
    struct writer wr;
    int w, fd;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    pp_send_all(w, "PR", 2);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    writer_start(&wr, w, tail, sizeof tail - 1, 100, 0, 0);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    writer_join(&wr);
    ck_assert_ptr_null(proxyproto_conn_header(&c));
    close(w);
    pp_expect_rest(fd, "PROST / HTTP/1.0\r\n\r\n", 20);
    close(fd);
}
END_TEST

/* A stream that ends (EOF) after part of a signature can never become a
 * header: it is judged then -- served without a header (0) or CLOSED --
 * not left waiting for the deadline. */
START_TEST(optional_prefix_then_eof)
{
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL, 2000);
    proxyproto_conn c;
    long long t0, dt;
    int w, fd, rc;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    pp_send_all(w, "PR", 2);
    shutdown(w, SHUT_WR);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    rc = proxyproto_conn_wait(&c);
    dt = now_ms() - t0;
    ck_assert_msg(rc == 0 || rc == PROXYPROTO_ERR_CLOSED,
                  "\"PR\" then EOF: %s after %lld ms", proxyproto_error_name(rc), dt);
    ck_assert_msg(dt < 1000, "\"PR\" then EOF judged after %lld ms", dt);
    close(w);
    close(fd);
}
END_TEST

/* HEADER_OPTIONAL with REFUSE_V1: the refusal is for v1 headers, and a
 * stream that is no header at all but starts with 'P' (POST, PUT, PATCH,
 * the HTTP/2 preface "PRI * ...") is still served without one. */
START_TEST(optional_refuse_v1_other_p)
{
    static const char *const streams[] = {
        "POST / HTTP/1.1\r\n\r\n", "PUT /x HTTP/1.1\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    };
    proxyproto_policy p = trusting(PROXYPROTO_POLICY_HEADER_OPTIONAL |
                                       PROXYPROTO_POLICY_REFUSE_V1, 0);
    struct ends e = feed_ends();

    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        proxyproto_conn c;
        size_t n = strlen(streams[i]);
        int w, fd;

        feed_init(&c, &p, &e);
        ck_assert_msg(proxyproto_conn_feed(&c, streams[i], n) == 0,
                      "feed \"%.4s...\": %s", streams[i],
                      proxyproto_error_name(proxyproto_conn_feed(&c, streams[i], n)));
        ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
        pp_send_all(w, streams[i], n);
        close(w);
        EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
        EXPECT_RC(proxyproto_conn_read(&c), 0);
        pp_expect_rest(fd, streams[i], n);
        close(fd);
    }
    /* a v1 header is still refused */
    {
        proxyproto_conn c;
        feed_init(&c, &p, &e);
        EXPECT_RC(proxyproto_conn_feed(&c, V1_TCP4, sizeof V1_TCP4 - 1),
                  PROXYPROTO_ERR_VERSION_REFUSED);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Wait
 * ------------------------------------------------------------------------ */

/* The header arrives from another thread 100 ms later. Loop: transport. */
START_TEST(wait_for_thread)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    struct writer wr;
    uint8_t msg[2048];
    size_t n = sample(S_V2_TLVS, msg, sizeof msg);
    struct ends e;
    long long t0, dt;
    int w, fd;

    if (pp_stream_pair((enum pp_transport)_i, &w, &fd) != 0)
        return;
    e = ends_of(w, fd);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    t0 = now_ms();
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    writer_start(&wr, w, msg, n + PAYLOAD_LEN, 100, 0, 0);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    dt = now_ms() - t0;
    writer_join(&wr);
    ck_assert_msg(dt >= 90 && dt < 2000, "done after %lld ms", dt);
    expect_header(&c, msg, n, &c, sizeof c);
    expect_addrs(&c, msg, n, &e);
    close(w);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

/* In pieces 30 ms apart, TCP. */
START_TEST(wait_pieces)
{
    proxyproto_policy p = trusting(0, 3000);
    proxyproto_conn c;
    struct writer wr;
    uint8_t msg[2048];
    size_t n = sample(S_V2_TLVS, msg, sizeof msg);
    int w, fd;

    ck_assert_int_eq(pp_tcp_pair(AF_INET, &w, &fd), 0);
    memcpy(msg + n, payload, PAYLOAD_LEN);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    writer_start(&wr, w, msg, n + PAYLOAD_LEN, 10, 7, 5);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    writer_join(&wr);
    expect_header(&c, msg, n, &c, sizeof c);
    close(w);
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* SIGALRM (no SA_RESTART) during the wait: it goes on (unlike
 * proxyproto_read_header(), which says INTERRUPTED). */
START_TEST(wait_through_signal)
{
    proxyproto_policy p = trusting(0, 3000);
    proxyproto_conn c;
    struct sigaction sa, old;
    struct itimerval it;
    struct writer wr;
    int w, fd;

    /* Under qemu-i386 (make cross-check) pthread_join() after this SIGALRM
     * says EDEADLK every time, an emulator fault (aarch64 and s390x under
     * qemu pass): cross.mk sets PP_SKIP_SIGNAL_WAIT there. */
    if (getenv("PP_SKIP_SIGNAL_WAIT") != NULL)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() fails with EINTR */
    ck_assert_int_eq(sigaction(SIGALRM, &sa, &old), 0);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 50000;
    alarms = 0;

    ck_assert_int_eq(pp_stream_pair(T_UNIX, &w, &fd), 0);
    pp_send_all(w, V1_TCP4, 11);
    EXPECT_RC(proxyproto_conn_init(&c, fd, &p, NULL), PROXYPROTO_INCOMPLETE);
    writer_start(&wr, w, &V1_TCP4[11], sizeof V1_TCP4 - 1 - 11, 200, 0, 0);
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
    EXPECT_RC(proxyproto_conn_wait(&c), 0);
    writer_join(&wr);
    ck_assert_int_eq(alarms, 1);
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "203.0.113.7:51234");
    ck_assert_int_eq(sigaction(SIGALRM, &old, NULL), 0);
    close(w);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------
 * proxyproto_accept
 * ------------------------------------------------------------------------ */

/* Leaves junk on the stack where the next calls will have their frames,
 * so a variable they forget to set shows. */
static void dirty_stack(void)
{
    volatile unsigned char junk[8192];

    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xA5;
}

/* A good header: the connection's fd, the header's client. Loop: family. */
START_TEST(accept_good)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    struct sockaddr_storage cl;
    socklen_t len = sizeof cl;
    int lfd = pp_listener(_i == 0 ? AF_INET : AF_INET6), w, fd;

    if (lfd < 0)
        return;
    w = pp_connect_to(lfd);
    memset(&cl, 0, sizeof cl);
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&cl, &len), 0);
    pp_send_all(w, V1_TCP6, sizeof V1_TCP6 - 1);
    pp_send_all(w, payload, PAYLOAD_LEN);
    close(w);
    fd = proxyproto_accept(lfd, &p, &c);
    ck_assert_msg(fd >= 0, "accept: %s", proxyproto_error_name(fd));
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "[2001:db8::7]:51234");
    ck_assert_str_eq(sa_text(proxyproto_conn_server(&c)), "[2001:db8::1]:443");
    expect_same_sa(proxyproto_conn_peer(&c), &cl, "peer");
    ck_assert_ptr_nonnull(proxyproto_conn_header(&c));
    pp_expect_rest(fd, payload, PAYLOAD_LEN);
    close(fd);
    close(lfd);
}
END_TEST

/* The client side of a refused connection: it was closed (EOF, or a reset
 * when the refused bytes were still unread in the server's socket). */
static void expect_closed_by_server(int w, int reset_ok)
{
    struct pollfd pfd = {.fd = w, .events = POLLIN};
    char b;
    ssize_t k;

    ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
    k = recv(w, &b, 1, 0);
    if (k < 0 && reset_ok)
        ck_assert_int_eq(errno, ECONNRESET);
    else
        ck_assert_msg(k == 0, "client recv gave %zd (%s)", k, strerror(errno));
}

START_TEST(accept_bad_header)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    struct sockaddr_storage cl;
    socklen_t len = sizeof cl;
    int lfd = pp_listener(AF_INET), w, rc;

    w = pp_connect_to(lfd);
    memset(&cl, 0, sizeof cl);
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&cl, &len), 0);
    pp_send_all(w, http, HTTP_LEN);
    rc = proxyproto_accept(lfd, &p, &c);
    EXPECT_RC(rc, PROXYPROTO_ERR_NOT_PROXY);
    expect_same_sa(proxyproto_conn_peer(&c), &cl, "peer of the refused");
    expect_unspec(&c);
    expect_closed_by_server(w, 1);
    close(w);
    close(lfd);
}
END_TEST

START_TEST(accept_untrusted_and_timeout)
{
    proxyproto_policy ten = distrusting(0), slow = trusting(0, 150);
    proxyproto_conn c;
    struct sockaddr_storage cl;
    socklen_t len = sizeof cl;
    int lfd = pp_listener(AF_INET), w;

    w = pp_connect_to(lfd);
    memset(&cl, 0, sizeof cl);
    ck_assert_int_eq(getsockname(w, (struct sockaddr *)&cl, &len), 0);
    EXPECT_RC(proxyproto_accept(lfd, &ten, &c), PROXYPROTO_ERR_UNTRUSTED);
    expect_same_sa(proxyproto_conn_peer(&c), &cl, "untrusted peer");
    expect_closed_by_server(w, 0);
    close(w);

    w = pp_connect_to(lfd);
    pp_send_all(w, "PROXY ", 6);
    EXPECT_RC(proxyproto_accept(lfd, &slow, &c), PROXYPROTO_ERR_TIMEOUT);
    expect_closed_by_server(w, 1);
    close(w);
    close(lfd);
}
END_TEST

/* accept() itself fails: SYSTEM, errno kept; the conn names nobody. */
START_TEST(accept_fails)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    int lfd = pp_listener(AF_INET), s = socket(AF_INET, SOCK_STREAM, 0);

    pp_set_nonblocking(lfd);
    errno = 0;
    EXPECT_RC(proxyproto_accept(lfd, &p, &c), PROXYPROTO_ERR_SYSTEM);
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
    ck_assert_int_eq(proxyproto_conn_peer(&c)->sa_family, AF_UNSPEC);
    expect_unspec(&c);
    errno = 0;
    EXPECT_RC(proxyproto_accept(s, &p, &c), PROXYPROTO_ERR_SYSTEM);
    ck_assert_int_eq(errno, EINVAL); /* not listening */
    close(s);
    close(lfd);
}
END_TEST

/* A UNIX listener and an unbound client with a LOCAL header: the client
 * is the unnamed peer ("unix:"), whatever was on the stack before. */
START_TEST(accept_unix_local)
{
    proxyproto_policy p = trusting(0, 0);
    proxyproto_conn c;
    struct sockaddr_un un;
    uint8_t local[16];
    int lfd, w, fd;

    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    snprintf(un.sun_path, sizeof un.sun_path, "/tmp/pp-conn-test-%ld.sock", (long)getpid());
    unlink(un.sun_path);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&un, sizeof un), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);
    w = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(w, (struct sockaddr *)&un, sizeof un), 0);
    pp_send_all(w, local, pp_hex(local, sizeof local, V2_LOCAL));
    dirty_stack();
    fd = proxyproto_accept(lfd, &p, &c);
    ck_assert_msg(fd >= 0, "accept: %s", proxyproto_error_name(fd));
    ck_assert_int_eq(proxyproto_conn_client(&c)->sa_family, AF_UNIX);
    ck_assert_str_eq(sa_text(proxyproto_conn_peer(&c)), "unix:");
    ck_assert_str_eq(sa_text(proxyproto_conn_client(&c)), "unix:");
    ck_assert_str_eq(sa_text(proxyproto_conn_server(&c)), sa_text((struct sockaddr *)&un));
    close(fd);
    close(w);
    close(lfd);
    unlink(un.sun_path);
}
END_TEST

Suite *suite_conn(void)
{
    Suite *s = suite_create("conn");
    TCase *in = tcase_create("init");
    TCase *rd = tcase_create("read");
    TCase *dl = tcase_create("deadline");
    TCase *fe = tcase_create("feed");
    TCase *op = tcase_create("optional");
    TCase *wt = tcase_create("wait");
    TCase *ac = tcase_create("accept");

    tcase_add_loop_test(in, init_trusted, 0, T_COUNT);
    tcase_add_loop_test(in, init_untrusted, 0, 2);
    tcase_add_loop_test(in, init_allow_untrusted, 0, 2);
    tcase_add_test(in, init_allow_untrusted_trusted_peer);
    tcase_add_test(in, init_peer_given);
    tcase_add_test(in, init_invalid);
    suite_add_tcase(s, in);

    tcase_set_timeout(rd, 60);
    tcase_add_loop_test(rd, read_whole, 0, S_COUNT * T_COUNT);
    tcase_add_test(rd, read_addresses);
    tcase_add_test(rd, read_local_unknown);
    tcase_add_loop_test(rd, read_split, 0, S_COUNT);
    tcase_add_loop_test(rd, read_byte_by_byte, 0, S_COUNT);
    tcase_add_test(rd, read_invalid);
    tcase_add_test(rd, read_invalid_mid_header);
    tcase_add_loop_test(rd, read_closed, 0, S_COUNT);
    tcase_add_test(rd, read_reset);
    tcase_add_test(rd, init_after_reset);
    tcase_add_test(rd, read_too_big);
    tcase_add_test(rd, read_use_buffer_late);
    suite_add_tcase(s, rd);

    tcase_set_timeout(dl, 20);
    tcase_add_loop_test(dl, deadline_wait, 0, T_COUNT);
    tcase_add_test(dl, deadline_silent);
    tcase_add_test(dl, deadline_ms_left);
    tcase_add_test(dl, deadline_default);
    tcase_add_test(dl, deadline_trickle_read);
    tcase_add_test(dl, deadline_trickle_wait);
    tcase_add_test(dl, deadline_complete_late);
    suite_add_tcase(s, dl);

    tcase_set_timeout(fe, 60);
    tcase_add_loop_test(fe, feed_whole, 0, S_COUNT);
    tcase_add_loop_test(fe, feed_split, 0, S_COUNT);
    tcase_add_test(fe, feed_copies_header);
    tcase_add_test(fe, feed_with_socket);
    tcase_add_test(fe, feed_deadline);
    tcase_add_test(fe, feed_errors);
    tcase_add_test(fe, feed_too_big);
    tcase_add_test(fe, version_refused);
    suite_add_tcase(s, fe);

    tcase_set_timeout(op, 20);
    tcase_add_loop_test(op, optional_read_no_header, 0, T_COUNT);
    tcase_add_test(op, optional_feed_no_header);
    tcase_add_test(op, optional_feed_held);
    tcase_add_loop_test(op, optional_real_header, 0, S_COUNT);
    tcase_add_test(op, optional_broken_header);
    tcase_add_test(op, optional_read_stall);
    tcase_add_test(op, optional_wait_stall);
    tcase_add_test(op, optional_wait_resolved);
    tcase_add_test(op, optional_prefix_then_eof);
    tcase_add_test(op, optional_refuse_v1_other_p);
    suite_add_tcase(s, op);

    tcase_set_timeout(wt, 20);
    tcase_add_loop_test(wt, wait_for_thread, 0, T_COUNT);
    tcase_add_test(wt, wait_pieces);
    tcase_add_test(wt, wait_through_signal);
    suite_add_tcase(s, wt);

    tcase_set_timeout(ac, 20);
    tcase_add_loop_test(ac, accept_good, 0, 2);
    tcase_add_test(ac, accept_bad_header);
    tcase_add_test(ac, accept_untrusted_and_timeout);
    tcase_add_test(ac, accept_fails);
    tcase_add_test(ac, accept_unix_local);
    suite_add_tcase(s, ac);
    return s;
}
