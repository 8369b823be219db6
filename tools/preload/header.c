/*
 * tools/preload/header.c - one connection's header: the trust check, the
 * non-blocking read, health checks, refusals, and handing the connection
 * over with its addresses.
 */
#include "preload.h"

/* ------------------------------------------------------------------------
 * One connection's header read
 * ------------------------------------------------------------------------ */

/* advance() results besides the library's negative codes. */

/* A header without addresses (LOCAL, v1 UNKNOWN: what health checks
 * send) and nothing after it yet: the connection is held this long for a
 * first byte. HAProxy's checks reset right after the header; a server
 * handed such a connection logs an error for every check. */

/* Reasons of our own for refusing a connection. */

void cstate_init(struct cstate *c, int fd, int flags, int lfamily, unsigned char *buf)
{
    c->fd = fd;
    c->flags = flags;
    c->lfamily = lfamily;
    c->undecided = 0;
    c->local_wait = 0;
    c->self = 0;
    c->addrs = 0;
    c->err = 0;
    c->deadline = 0; /* set when it must wait: cstate_arm() */
    proxyproto_reader_init(&c->r, buf, PP_HEADER_MAX);
}

/* A connection that must wait for its header: its deadline, counted from
 * accept (a moment ago: the common path, header in at accept, never reads
 * the clock). A health check's grace, set by advance(), stays. */
void cstate_arm(struct cstate *c)
{
    if (c->deadline == 0)
        c->deadline = now_ns() + (long long)cfg.timeout_ms * 1000000LL;
}

/* What to do before reading: 0 read the header, R_PASS hand over as is,
 * or a reason to refuse. */
int screen(struct cstate *c)
{
    int rc;

    if (!cfg.ok)
        return E_CONFIG;
    rc = proxyproto_policy_check(&policy, (const struct sockaddr *)&c->peer);
    if (rc == PROXYPROTO_NO_HEADER)
        return R_PASS;
    if (rc != PROXYPROTO_EXPECT_HEADER)
        return rc;
    c->undecided = cfg.optional;
    return 0;
}

/* 1 when fd has a byte to read, 0 not yet, -1 closed or reset. */
static int peek_one(int fd)
{
    unsigned char b;
    ssize_t n;

    do
        n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return 1;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}

static int has_addresses(const proxyproto_header *h)
{
    return proxyproto_use_header_addresses(h) &&
           (h->family == PROXYPROTO_AF_INET || h->family == PROXYPROTO_AF_INET6);
}

static int same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

/* A header naming the connection's own two ends: HAProxy's v1 health
 * checks (v1 cannot say LOCAL) send one. It tells nothing the socket does
 * not, and such a check resets right after it, so it is treated as LOCAL.
 * A client's header never names the load balancer's own port: the
 * getsockname this takes is made only when the source matches. */
static int names_itself(const struct cstate *c)
{
    struct pair p;
    struct sockaddr_storage ss, me;
    socklen_t ml = sizeof me;
    const struct sockaddr_in *pv4 = (const struct sockaddr_in *)(const void *)&c->peer;
    const struct sockaddr_in6 *pv6 = (const struct sockaddr_in6 *)(const void *)&c->peer;
    uint16_t pport = c->peer.ss_family == AF_INET    ? ntohs(pv4->sin_port)
                     : c->peer.ss_family == AF_INET6 ? ntohs(pv6->sin6_port)
                                                     : 0;

    /* The usual answer, at the cost of a comparison: a client's source
     * port is not the load balancer's (the full check follows). */
    if (c->hdr.src.port != pport)
        return 0;
    if (pair_from_header(&p, &c->hdr, c->lfamily) != 0)
        return 0;
    pair_sockaddr(&p, 0, &ss);
    if (!same_sa(&ss, &c->peer))
        return 0;
    memset(&me, 0, sizeof me);
    if (real_getsockname(c->fd, (struct sockaddr *)&me, &ml) != 0)
        return 0;
    pair_sockaddr(&p, 1, &ss);
    return same_sa(&ss, &me);
}

/* Reads what has arrived of the header, never blocking, never a byte past
 * it. R_WAIT, R_DONE, R_PASS, R_GONE or a reason to refuse. */
int advance(struct cstate *c)
{
    int rc, tries;

    if (c->local_wait) {
        rc = peek_one(c->fd);
        return rc > 0 ? R_DONE : rc == 0 ? R_WAIT : R_GONE;
    }
    if (c->undecided) {
        /* Optional mode: peek at the first bytes; if they cannot start a
         * header, the connection has none and is handed over untouched. */
        unsigned char pk[16];
        proxyproto_header tmp;
        ssize_t n;

        do
            n = recv(c->fd, pk, sizeof pk, MSG_PEEK | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return R_WAIT;
            c->err = errno;
            return PROXYPROTO_ERR_SYSTEM;
        }
        if (n == 0)
            return PROXYPROTO_ERR_CLOSED;
        if (proxyproto_parse(&tmp, pk, (size_t)n, 0) == PROXYPROTO_ERR_NOT_PROXY)
            return R_PASS;
        c->undecided = 0;
    }
    tries = 0;
    do
        rc = proxyproto_reader_step(&c->r, c->fd, &c->hdr);
    while (rc == PROXYPROTO_ERR_INTERRUPTED && ++tries < 16);
    if (rc == PROXYPROTO_INCOMPLETE || rc == PROXYPROTO_ERR_INTERRUPTED)
        return R_WAIT;
    if (rc == PROXYPROTO_ERR_SYSTEM)
        c->err = errno;
    if (rc < 0)
        return rc;
    if ((cfg.versions & (1u << c->hdr.version)) == 0)
        return E_VERSION;
    c->addrs = has_addresses(&c->hdr);
    if (c->addrs && names_itself(c))
        c->self = 1;
    if (!c->addrs || c->self) {
        rc = peek_one(c->fd);
        if (rc < 0)
            return R_GONE;
        if (rc == 0) {
            c->local_wait = 1;
            c->deadline = now_ns() + PP_LOCAL_GRACE_MS * 1000000LL;
            return R_WAIT;
        }
    }
    return R_DONE;
}

/* What a connection whose deadline passed comes to. */
int expired(const struct cstate *c)
{
    return c->local_wait ? R_DONE : c->undecided ? R_PASS : PROXYPROTO_ERR_TIMEOUT;
}

/* Waits (poll) until the header is in or the deadline passes. */
int wait_header(struct cstate *c)
{
    for (;;) {
        struct pollfd pfd;
        long long left;
        int rc = advance(c);

        if (rc != R_WAIT)
            return rc;
        left = c->deadline - now_ns();
        if (left <= 0)
            return expired(c);
        pfd.fd = c->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)((left + 999999) / 1000000)) < 0 && errno != EINTR) {
            c->err = errno;
            return PROXYPROTO_ERR_SYSTEM;
        }
    }
}

const char *reason(const struct cstate *c, int rc, char *buf, size_t cap)
{
    switch (rc) {
    case E_VERSION:
        snprintf(buf, cap, "v%u header, not in PROXYPROTO_VERSIONS", (unsigned)c->hdr.version);
        return buf;
    case E_CONFIG:
        return "configuration error (see the message at start-up)";
    case E_FULL:
        return "header incomplete and every parking slot holds a connection whose header is complete";
    case E_EVICTED:
        return "header still incomplete when the parking table was full: the oldest "
               "stalled connection of the busiest peer makes room for a new one";
    case E_FD:
        return "descriptor beyond the preload's table";
    case E_FAMILY:
        return "IPv6 client address on an IPv4 listener (accept cannot report it; "
               "make the server listen on IPv6 too)";
    case PROXYPROTO_ERR_SYSTEM:
        snprintf(buf, cap, "PROXYPROTO_ERR_SYSTEM (%s)", strerror(c->err));
        return buf;
    case PROXYPROTO_ERR_TIMEOUT:
        snprintf(buf, cap, "PROXYPROTO_ERR_TIMEOUT (no complete header within %d ms)", cfg.timeout_ms);
        return buf;
    default:
        snprintf(buf, cap, "%s (%s)", proxyproto_error_name(rc), proxyproto_strerror(rc));
        return buf;
    }
}

/* A warning that a setting or a limit is wrong for this server, rather
 * than a bad peer: said once per kind, even when logging is off (each
 * connection it costs is logged with PROXYPROTO_LOG=1). */
void warn_once(int kind)
{
    static int said[3];
    static const char *const msg[3] = {
        "refusing IPv6 clients on IPv4 listener(s): listen on IPv6 (e.g. a "
        "dual-stack [::] socket) to serve them",
        "refusing connections whose header is incomplete at accept: all "
        "parked-connection slots are taken",
        "more non-blocking listeners than the preload tracks: on the others, "
        "headers are read inside accept",
    };

    if (!__atomic_exchange_n(&said[kind], 1, __ATOMIC_RELAXED))
        log_line("%s", msg[kind]);
}

/* Refusals logged per second at most: a flood must not fill the disk. */

/* May a refusal be logged now? When lines were left out, says how many
 * first. Approximate under races (a counter, not a lock). */
static int log_allowed(void)
{
    static long long window;
    static int used;
    static unsigned long dropped;
    long long sec = now_ns() / 1000000000LL;
    unsigned long d;

    if (__atomic_exchange_n(&window, sec, __ATOMIC_RELAXED) != sec)
        __atomic_store_n(&used, 0, __ATOMIC_RELAXED);
    if (__atomic_add_fetch(&used, 1, __ATOMIC_RELAXED) > PP_LOG_PER_SEC) {
        __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
        return 0;
    }
    if ((d = __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED)) != 0)
        log_line("%lu refused connection(s) not logged (more than %d a second)", d,
                 PP_LOG_PER_SEC);
    return 1;
}

void reject(const struct cstate *c, int rc)
{
    if (rc == R_GONE) {
        if (cfg.log >= 2) {
            char lb[80];
            fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
            log_line("closed fd=%d from %s: health check (header %s, then closed or "
                     "reset)", c->fd, lb,
                     c->self ? "naming the connection itself" : "without addresses");
        }
        real_close(c->fd);
        return;
    }
    if (cfg.log >= 1 && log_allowed()) {
        char who[80], why[200];
        fmt_sa(who, sizeof who, (const struct sockaddr *)&c->peer);
        log_line("refused connection from %s: %s", who, reason(c, rc, why, sizeof why));
    }
    real_close(c->fd);
}

/* Hands c's connection over: records the header's addresses (or clears a
 * stale entry), fills addr/alen, and sets the flags the caller asked for
 * (have: those it was accepted with). Returns 0, or -1 after refusing it. */
/* A LOCAL (or v1 UNKNOWN) header is what load balancers' health checks
 * send; HAProxy's then closes or resets at once. Such a connection that is
 * already gone is closed here, quietly, rather than handed to a server that
 * would log an error for every check. 1 when it was. */
static int health_check_gone(struct cstate *c)
{
    unsigned char b;
    ssize_t n;

    do
        n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
        return 0;
    if (cfg.log >= 2) {
        char lb[80];
        fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
        log_line("closed fd=%d from %s: health check (header %s, then %s)", c->fd, lb,
                 c->self ? "naming the connection itself" : "without addresses",
                 n == 0 ? "closed" : "reset");
    }
    real_close(c->fd);
    return 1;
}

int deliver(struct cstate *c, int kind, struct sockaddr *addr, socklen_t *alen,
                   int want)
{
    struct sockaddr_storage ss;
    socklen_t n;
    struct pair p;
    int use = kind == R_DONE && c->addrs && !c->self;
    int diff = (c->flags ^ want) & (SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (kind == R_DONE && !use && health_check_gone(c))
        return -1;

    if (use && !in_table(c->fd)) {
        reject(c, E_FD);
        return -1;
    }
    if (use && pair_from_header(&p, &c->hdr, c->lfamily) != 0) {
        warn_once(W_FAMILY);
        reject(c, E_FAMILY);
        return -1;
    }
    if (diff & SOCK_NONBLOCK) {
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, (want & SOCK_NONBLOCK) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) {
            c->err = errno;
            reject(c, PROXYPROTO_ERR_SYSTEM);
            return -1;
        }
    }
    if ((diff & SOCK_CLOEXEC) &&
        fcntl(c->fd, F_SETFD, (want & SOCK_CLOEXEC) ? FD_CLOEXEC : 0) < 0) {
        c->err = errno;
        reject(c, PROXYPROTO_ERR_SYSTEM);
        return -1;
    }
    if (use) {
        conn_store(c->fd, peer_fingerprint((const struct sockaddr *)&c->peer), &p);
        n = pair_sockaddr(&p, 0, &ss);
        copy_out(&ss, n, addr, alen);
    } else {
        conn_clear(c->fd);
        copy_out(&c->peer, c->peerlen, addr, alen);
    }
    if (cfg.log >= 2) {
        char who[80], lb[80], to[80];
        fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
        if (use) {
            fmt_sa(who, sizeof who, (const struct sockaddr *)&ss);
            pair_sockaddr(&p, 1, &ss);
            fmt_sa(to, sizeof to, (const struct sockaddr *)&ss);
            log_line("accepted fd=%d client=%s server=%s (v%u header from %s)", c->fd,
                     who, to, (unsigned)c->hdr.version, lb);
        } else {
            log_line("accepted fd=%d client=%s (%s: real addresses)", c->fd, lb,
                     kind == R_PASS ? "no header"
                     : c->hdr.command == PROXYPROTO_CMD_LOCAL ? "LOCAL header"
                     : c->self ? "header naming the connection itself"
                               : "header without addresses");
        }
    }
    return 0;
}
