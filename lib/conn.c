/* The connection layer: one accepted connection's header phase (proxyproto(7)
 * section 5) in a caller-owned state. Trust check, header read or fed within
 * one whole-header deadline, then the addresses the application should use
 * (proxyproto(7) section 3). Built on the policy check, the reader and the
 * parser. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The address unions of proxyproto_conn stand in for sockaddr_storage,
 * which the public header cannot name without <sys/socket.h>. */
typedef char proxyproto__conn_addr_fits[sizeof(struct sockaddr_storage) <= 128 ? 1 : -1];

#define SA(u) ((struct sockaddr *)(void *)(u).bytes_)
#define SS(u) ((struct sockaddr_storage *)(void *)(u).bytes_)

/* Milliseconds on the monotonic clock, which wall-clock changes (NTP,
 * settimeofday) do not move. */
static long long conn_now_ms(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
        return 0;
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Size of the socket address for its family; at most 128. */
static size_t conn_sockaddr_size(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return sizeof(struct sockaddr_in);
    if (sa->sa_family == AF_INET6)
        return sizeof(struct sockaddr_in6);
    if (sa->sa_family == AF_UNIX)
        return sizeof(struct sockaddr_un);
    return sizeof(struct sockaddr);
}

/* SO_PEERNAME, like POLLRDHUP below, is outside POSIX: <sys/socket.h> has
 * it only under _GNU_SOURCE or _DEFAULT_SOURCE. Linux gives it the value 28
 * on every architecture but PA-RISC. */
#ifndef SO_PEERNAME
#if defined(__linux__) && !defined(__hppa__)
#define SO_PEERNAME 28
#endif
#endif

/* The peer of a connection reset before we looked: getpeername() says
 * ENOTCONN, but Linux still tells it through SO_PEERNAME, which wants a
 * length no longer than the address's own: IPv6's, else IPv4's. HAProxy's
 * L4 checks send their header, then reset. */
static int conn_peer_after_reset(proxyproto_conn *c)
{
#ifdef SO_PEERNAME
    socklen_t len = (socklen_t)sizeof(struct sockaddr_in6);

    if (errno != ENOTCONN)
        return 0;
    if (getsockopt(c->fd_, SOL_SOCKET, SO_PEERNAME, SA(c->peer_), &len) == 0)
        return 1;
    len = (socklen_t)sizeof(struct sockaddr_in);
    if (getsockopt(c->fd_, SOL_SOCKET, SO_PEERNAME, SA(c->peer_), &len) == 0)
        return 1;
    errno = ENOTCONN;
#else
    (void)c;
#endif
    return 0;
}

/* The peer: the caller's copy of accept()'s address, or getpeername(). */
static int conn_take_peer(proxyproto_conn *c, const struct sockaddr *peer)
{
    socklen_t len = (socklen_t)sizeof c->peer_.bytes_;

    if (peer != NULL) {
        memcpy(c->peer_.bytes_, peer, conn_sockaddr_size(peer));
        return 0;
    }
    /* Zeroed: an unnamed AF_UNIX peer fills in its family only. */
    memset(c->peer_.bytes_, 0, sizeof c->peer_.bytes_);
    if (getpeername(c->fd_, SA(c->peer_), &len) != 0 &&
        !conn_peer_after_reset(c)) {
        /* ENOTCONN where SO_PEERNAME cannot help: gone before we looked,
         * so whom to trust is unknowable. */
        return errno == ENOTCONN ? PROXYPROTO_ERR_CLOSED : PROXYPROTO_ERR_SYSTEM;
    }
    return 0;
}

/* Done: the addresses the application should use (proxyproto(7) section
 * 3), as proxyproto_resolve_peer() gives them, from the peer init took. A
 * getsockname() that fails leaves the server AF_UNSPEC (zeroed): nothing
 * to refuse the connection for. */
static int conn_finish(proxyproto_conn *c, int has_header)
{
    c->has_header_ = has_header;
    c->result_ = 0;
    proxyproto_resolve_peer(c->fd_, SS(c->peer_), has_header ? &c->header_ : NULL,
                            SS(c->client_), SS(c->server_));
    return 0;
}

/* Records an outcome: errors stick, so every later call returns them. */
static int conn_fail(proxyproto_conn *c, int rc)
{
    c->result_ = rc;
    return rc;
}

/* A fresh state, writing only what is read before it is written: the
 * buffer, the header and the address blocks are filled as the header phase
 * goes (zeroing them all would cost more than the parse). */
static void conn_reset(proxyproto_conn *c, int fd,
                       const proxyproto_policy *policy, int result)
{
    c->policy_ = policy;
    c->fd_ = fd;
    c->result_ = result;
    c->has_header_ = 0;
    c->deadline_ms_ = 0;
    c->held_ = 0;
    SA(c->peer_)->sa_family = AF_UNSPEC;
    SA(c->client_)->sa_family = AF_UNSPEC;
    SA(c->server_)->sa_family = AF_UNSPEC;
    proxyproto_reader_init(&c->reader_, c->buf_, sizeof c->buf_);
}

PROXYPROTO_API int proxyproto_conn_init(proxyproto_conn *c, int fd,
                                        const proxyproto_policy *policy,
                                        const struct sockaddr *peer)
{
    int timeout, rc;

    if (c == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    conn_reset(c, fd, policy, PROXYPROTO_INCOMPLETE);
    if (policy == NULL)
        return conn_fail(c, PROXYPROTO_ERR_INVALID_ARGUMENT);
    c->reader_.flags_ = policy->flags;
    timeout = policy->header_timeout_ms > 0 ? policy->header_timeout_ms
                                            : PROXYPROTO_DEFAULT_HEADER_TIMEOUT_MS;
    c->deadline_ms_ = conn_now_ms() + timeout;
    if ((rc = conn_take_peer(c, peer)) != 0)
        return conn_fail(c, rc);
    rc = proxyproto_policy_check(policy, SA(c->peer_));
    if (rc == PROXYPROTO_NO_HEADER)
        return conn_finish(c, 0);
    if (rc != PROXYPROTO_EXPECT_HEADER)
        return conn_fail(c, rc);
    return PROXYPROTO_INCOMPLETE;
}

PROXYPROTO_API int proxyproto_conn_use_buffer(proxyproto_conn *c, void *buf,
                                              size_t cap)
{
    if (c == NULL || buf == NULL || c->reader_.len_ > 0)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    c->reader_.buf_ = (uint8_t *)buf;
    c->reader_.cap_ = cap;
    return 0;
}

/* Still incomplete after taking what there was: past the deadline, that
 * is the end (a peer that trickles bytes does not extend it). */
static int conn_incomplete(proxyproto_conn *c)
{
    if (conn_now_ms() >= c->deadline_ms_)
        return conn_fail(c, PROXYPROTO_ERR_TIMEOUT);
    return PROXYPROTO_INCOMPLETE;
}

/* POLLRDHUP (Linux: the peer has shut down its sending side) comes from
 * glibc only under _GNU_SOURCE; it is 0x2000 on every Linux but SPARC.
 * Without it, a stream that stops inside a signature is judged at the
 * deadline instead of at once. */
#ifndef POLLRDHUP
#if defined(__linux__) && !defined(__sparc__)
#define POLLRDHUP 0x2000
#endif
#endif

/* Has the peer sent all it ever will (shut down or closed)? */
static int conn_peer_done(int fd)
{
#ifdef POLLRDHUP
    struct pollfd p;

    p.fd = fd;
    p.events = POLLRDHUP;
    p.revents = 0;
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
#else
    (void)fd;
    return 0;
#endif
}

/* HEADER_OPTIONAL: the reader leaves a signature's first bytes in the
 * socket until the rest proves them a header. If the peer sends nothing
 * more, they never will: once it has stopped sending, one last step sees
 * everything, and a stream still short of a signature has no header. */
static int conn_step_optional(proxyproto_conn *c, int rc)
{
    if (rc != PROXYPROTO_INCOMPLETE || c->reader_.len_ > 0 ||
        !(c->reader_.flags_ & PROXYPROTO_POLICY_HEADER_OPTIONAL) ||
        !conn_peer_done(c->fd_))
        return rc;
    rc = proxyproto_reader_step(&c->reader_, c->fd_, &c->header_);
    return rc == PROXYPROTO_INCOMPLETE && c->reader_.len_ == 0
               ? PROXYPROTO_ERR_NOT_PROXY
               : rc;
}

/* A parse or step result other than "incomplete": done with a header, done
 * without one (HEADER_OPTIONAL and a stream that is not a header), or a
 * refusal. */
static int conn_settle(proxyproto_conn *c, int rc)
{
    if (rc > 0)
        return conn_finish(c, 1);
    if (rc == PROXYPROTO_ERR_NOT_PROXY &&
        (c->reader_.flags_ & PROXYPROTO_POLICY_HEADER_OPTIONAL))
        return conn_finish(c, 0);
    return conn_fail(c, rc);
}

PROXYPROTO_API int proxyproto_conn_read(proxyproto_conn *c)
{
    int rc;

    if (c == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (c->result_ != PROXYPROTO_INCOMPLETE)
        return c->result_;
    rc = proxyproto_reader_step(&c->reader_, c->fd_, &c->header_);
    rc = conn_step_optional(c, rc);
    if (rc == PROXYPROTO_INCOMPLETE || rc == PROXYPROTO_ERR_INTERRUPTED)
        return conn_incomplete(c);
    return conn_settle(c, rc);
}

PROXYPROTO_API int proxyproto_conn_feed(proxyproto_conn *c, const void *data,
                                        size_t len)
{
    proxyproto_reader *r;
    size_t have, n;
    int rc;

    if (c == NULL || (data == NULL && len > 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (c->result_ != PROXYPROTO_INCOMPLETE)
        return c->result_; /* after done: 0, every byte is payload */
    r = &c->reader_;
    have = r->len_;
    n = len < r->cap_ - have ? len : r->cap_ - have;
    if (n > 0)
        memcpy(r->buf_ + have, data, n);
    if (have + n == 0)
        return conn_incomplete(c);
    rc = proxyproto_parse(&c->header_, r->buf_, have + n, r->last_len_);
    if (proxyproto__version_refused(r->flags_, r->buf_, have + n, rc))
        return conn_fail(c, PROXYPROTO_ERR_VERSION_REFUSED);
    if (rc > 0) {
        r->len_ = (size_t)rc;
        conn_finish(c, 1);
        return rc - (int)have; /* the header ends inside this chunk */
    }
    if (rc == PROXYPROTO_INCOMPLETE) {
        /* need is exact for v2, a lower bound for v1: past the room, the
         * header cannot fit whatever comes next. */
        if (n < len || c->header_.need > r->cap_ - (have + n))
            return conn_fail(c, PROXYPROTO_ERR_HEADER_TOO_BIG);
        r->len_ = r->last_len_ = have + n;
        return conn_incomplete(c);
    }
    rc = conn_settle(c, rc);
    if (rc == 0) /* HEADER_OPTIONAL, no header: earlier bytes are payload */
        c->held_ = have;
    return rc;
}

PROXYPROTO_API int proxyproto_conn_ms_left(const proxyproto_conn *c)
{
    long long left;

    if (c == NULL || c->result_ != PROXYPROTO_INCOMPLETE)
        return -1;
    left = c->deadline_ms_ - conn_now_ms();
    if (left <= 0)
        return 0;
    return left < 0x7FFFFFFF ? (int)left : 0x7FFFFFFF;
}

/* Waits until fd is readable or the deadline. Under HEADER_OPTIONAL, bytes
 * that may still be a signature's start stay in the socket, so poll()
 * would say "readable" at once, again and again: *stalled says the last
 * wait saw that, and the next one sleeps 10 ms instead of spinning. */
static int conn_wait_once(proxyproto_conn *c, int *stalled)
{
    int left = proxyproto_conn_ms_left(c);
    struct pollfd p;

    if (*stalled) {
        *stalled = 0;
        poll(NULL, 0, left < 10 ? left : 10);
        return 0;
    }
    p.fd = c->fd_;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, left) < 0 && errno != EINTR)
        return conn_fail(c, PROXYPROTO_ERR_SYSTEM);
    *stalled = (c->reader_.flags_ & PROXYPROTO_POLICY_HEADER_OPTIONAL) &&
               c->reader_.len_ == 0 && (p.revents & POLLIN);
    return 0;
}

PROXYPROTO_API int proxyproto_conn_wait(proxyproto_conn *c)
{
    int rc, stalled = 0;

    /* Ends by the deadline at the latest: every read past it that leaves
     * the header incomplete fails with PROXYPROTO_ERR_TIMEOUT. */
    while ((rc = proxyproto_conn_read(c)) == PROXYPROTO_INCOMPLETE)
        if ((rc = conn_wait_once(c, &stalled)) != 0)
            return rc;
    return rc;
}

PROXYPROTO_API int proxyproto_accept(int lfd, const proxyproto_policy *policy,
                                     proxyproto_conn *c)
{
    struct sockaddr_storage peer;
    socklen_t len = (socklen_t)sizeof peer;
    int fd, rc, err;

    if (c == NULL || policy == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    conn_reset(c, -1, policy, PROXYPROTO_INCOMPLETE);
    /* Zeroed: for an unnamed AF_UNIX client accept() fills 2 bytes only. */
    memset(&peer, 0, sizeof peer);
    fd = accept(lfd, (struct sockaddr *)&peer, &len);
    if (fd < 0)
        return conn_fail(c, PROXYPROTO_ERR_SYSTEM);
    proxyproto_conn_init(c, fd, policy, (struct sockaddr *)&peer);
    rc = proxyproto_conn_wait(c);
    if (rc < 0) {
        err = errno; /* close() must not hide why a system call failed */
        close(fd);
        errno = err;
        return rc;
    }
    return fd;
}

PROXYPROTO_API const struct sockaddr *proxyproto_conn_client(const proxyproto_conn *c)
{
    return c != NULL ? (const struct sockaddr *)(const void *)c->client_.bytes_ : NULL;
}

PROXYPROTO_API const struct sockaddr *proxyproto_conn_server(const proxyproto_conn *c)
{
    return c != NULL ? (const struct sockaddr *)(const void *)c->server_.bytes_ : NULL;
}

PROXYPROTO_API const struct sockaddr *proxyproto_conn_peer(const proxyproto_conn *c)
{
    return c != NULL ? (const struct sockaddr *)(const void *)c->peer_.bytes_ : NULL;
}

PROXYPROTO_API const proxyproto_header *proxyproto_conn_header(const proxyproto_conn *c)
{
    return c != NULL && c->result_ == 0 && c->has_header_ ? &c->header_ : NULL;
}

PROXYPROTO_API const void *proxyproto_conn_held(const proxyproto_conn *c,
                                                size_t *len)
{
    size_t n = c != NULL && c->result_ == 0 ? c->held_ : 0;

    if (len != NULL)
        *len = n;
    return n > 0 ? c->reader_.buf_ : NULL;
}
