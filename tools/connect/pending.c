/*
 * tools/connect/pending.c - headers not written yet: a table indexed by
 * descriptor, one slot per socket whose connect() is in progress
 * (EINPROGRESS, or EINTR on a blocking socket) or whose header went out
 * only in part. The next send on it (or the getsockopt(SO_ERROR) that
 * ends the usual non-blocking connect) writes the header first.
 *
 * No lock: a slot's state word is taken with a compare-and-swap (PENDING
 * to BUSY) by the one thread that writes the header, and given back when
 * it is done. Another caller that finds it BUSY (another thread, or a
 * signal handler that interrupted the writer) gets EAGAIN at once: it
 * never waits for something its own thread may hold.
 * The slot keeps the socket's inode, so an entry left by a close the
 * preload did not see (close_range, fclose) is never used for another
 * socket that gets the same number. Once written, the slot says SENT
 * until close(): a non-blocking client may call connect() again to learn
 * that it is connected (0, then EISCONN), and whoever wrote the header
 * first (a send, SO_ERROR, a signal handler's send) it must not be
 * written twice.
 *
 * The header goes in a segment of its own. The application's first
 * segment would then wait for the header's acknowledgement (Nagle's
 * algorithm; 40 ms with a receiver that delays its ACKs) where without
 * the preload it would go at once: so that first send is made with
 * TCP_NODELAY on, and the application's setting is put back after it.
 */
#include "connect.h"

#define S_FREE 0u
#define S_BUSY 1u
#define S_PENDING 2u
#define S_SENT 3u /* written: a later connect() on it only confirms */
#define S_FRESH 4u /* written, and the application has not sent yet */

struct slot {
    unsigned state;
    unsigned off; /* header bytes written so far */
    uint64_t ino;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } peer; /* as connect() was given it */
};

static struct slot slots[CC_MAX_FD];

static int in_table(int fd)
{
    return fd >= 0 && fd < CC_MAX_FD;
}

static unsigned state_of(int fd)
{
    return in_table(fd) ? __atomic_load_n(&slots[fd].state, __ATOMIC_RELAXED) : S_FREE;
}

/* 0 for most descriptors: the one load every send pays. */
int pending_maybe(int fd)
{
    unsigned q = state_of(fd);

    return q == S_PENDING || q == S_BUSY || q == S_FRESH;
}

static uint64_t inode_of(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void release(struct slot *s, unsigned state)
{
    __atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
}

/* Takes the slot (PENDING -> BUSY): 1; 0 when nothing is pending; -1
 * (EAGAIN) when someone else holds it. No waiting: the holder may be this
 * very thread, interrupted by the signal whose handler is calling. */
static int take(struct slot *s)
{
    unsigned q = S_PENDING;

    if (__atomic_compare_exchange_n(&s->state, &q, S_BUSY, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_RELAXED))
        return 1;
    if (q == S_FREE || q == S_SENT || q == S_FRESH)
        return 0;
    errno = EAGAIN;
    return -1;
}

/* fd's connect to peer is under way: its header is owed. 0, or -1
 * (ENOBUFS) for a descriptor beyond the table. */
int pending_add(int fd, const struct sockaddr *peer)
{
    struct slot *s;
    unsigned q;
    int tries;

    if (!in_table(fd)) {
        errno = ENOBUFS;
        return -1;
    }
    s = &slots[fd];
    for (tries = 0;; tries++) {
        q = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
        if (q != S_BUSY &&
            __atomic_compare_exchange_n(&s->state, &q, S_BUSY, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        if (tries >= 64) { /* a writer of a stale entry: it will find the inode changed */
            __atomic_store_n(&s->state, S_BUSY, __ATOMIC_SEQ_CST);
            break;
        }
        sched_yield();
    }
    s->off = 0;
    s->ino = inode_of(fd);
    memset(&s->peer, 0, sizeof s->peer);
    memcpy(&s->peer, peer, peer->sa_family == AF_INET ? sizeof s->peer.in4 : sizeof s->peer.in6);
    release(s, S_PENDING);
    return 0;
}

/* 1 when the owed header of fd is for a connection to sa: a connect()
 * to sa again waits for the same connection (or, after a failure, makes
 * it again, to the same place); to another address it is a new one. */
int pending_same_peer(int fd, const struct sockaddr *sa)
{
    const struct slot *s = &slots[fd];

    if (!in_table(fd) || sa == NULL || sa->sa_family != s->peer.sa.sa_family)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;
        return a->sin_port == s->peer.in4.sin_port &&
               memcmp(&a->sin_addr, &s->peer.in4.sin_addr, 4) == 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;
        return a->sin6_port == s->peer.in6.sin6_port &&
               memcmp(&a->sin6_addr, &s->peer.in6.sin6_addr, 16) == 0;
    }
    return 0;
}

/* 1 when fd's header was written and fd is still that socket. */
int pending_sent(int fd)
{
    unsigned q = state_of(fd);

    return (q == S_SENT || q == S_FRESH) && inode_of(fd) == slots[fd].ino;
}

/* close(): whatever was owed goes with the socket. */
void pending_forget(int fd)
{
    if (state_of(fd) != S_FREE)
        __atomic_store_n(&slots[fd].state, S_FREE, __ATOMIC_RELEASE);
}

static void log_sent(const uint8_t *buf, int n)
{
    proxyproto_header h;
    char s[PROXYPROTO_ADDR_STRLEN], d[PROXYPROTO_ADDR_STRLEN];

    if (proxyproto_parse(&h, buf, (size_t)n, 0) != n ||
        proxyproto_format_endpoint(s, sizeof s, &h, PROXYPROTO_SOURCE) < 0 ||
        proxyproto_format_endpoint(d, sizeof d, &h, PROXYPROTO_DESTINATION) < 0)
        return;
    log_line("header v%d sent (%d bytes): %s -> %s", h.version, n, s, d);
}

/* Writes what is left of the header, with the socket's own blocking mode
 * (and MSG_DONTWAIT when the caller's send had it). The slot is held. */
static int write_rest(int fd, struct slot *s, int flags, int check)
{
    uint8_t buf[CC_HDR_MAX];
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    int n, e;
    ssize_t w;

    if (check && inode_of(fd) != s->ino) { /* another socket on this number */
        release(s, S_FREE);
        return 0;
    }
    if (real_getsockname(fd, (struct sockaddr *)&local, &llen) != 0) {
        e = errno;
        release(s, S_PENDING);
        errno = e;
        return -1;
    }
    if ((n = build_header((struct sockaddr *)&local, &s->peer.sa, buf, sizeof buf)) < 0) {
        log_line("cannot make the header: %s", proxyproto_strerror(n)); /* trial_header() ran */
        release(s, S_PENDING);
        errno = EPROTO;
        return -1;
    }
    while (s->off < (unsigned)n) {
        w = real_send(fd, buf + s->off, (size_t)n - s->off,
                      MSG_NOSIGNAL | (flags & MSG_DONTWAIT));
        if (w > 0) {
            s->off += (unsigned)w;
            continue;
        }
        e = w < 0 ? errno : EAGAIN;
        /* Not connected yet (a deferred TCP Fast Open connect says
         * EINPROGRESS): the caller's data must wait too. */
        if (e == EWOULDBLOCK || e == EINPROGRESS || e == EALREADY)
            e = EAGAIN;
        if (cfg.log >= 1 && e != EAGAIN && e != EINTR)
            log_line("header on descriptor %d not written: %s", fd, strerror(e));
        release(s, S_PENDING);
        errno = e;
        return -1;
    }
    release(s, S_FRESH);
    if (cfg.log >= 2)
        log_sent(buf, n);
    return 0;
}

static int flush(int fd, int flags, int check)
{
    struct slot *s;
    int e = errno, rc;

    if (!pending_maybe(fd))
        return 0;
    s = &slots[fd];
    if ((rc = take(s)) <= 0)
        return rc;
    rc = write_rest(fd, s, flags, check);
    if (rc == 0)
        errno = e;
    return rc;
}

/* Before a send on fd: 0 when nothing is owed (any more), or -1 with
 * errno (EAGAIN: not yet; the caller's bytes must not go either). */
int pending_flush(int fd, int flags)
{
    return flush(fd, flags, 1);
}

/* Right after pending_add() in the same connect() call: the descriptor
 * cannot have changed sockets since, so its inode is not asked again. */
int pending_flush_new(int fd)
{
    return flush(fd, 0, 0);
}

/* Before the application's send on fd: the owed header, then, for its
 * first send, TCP_NODELAY on (see the top of this file). -1 (errno: the
 * send must not happen), 0, or 1: call pending_after_send() after it. */
int pending_before_send(int fd, int flags)
{
    unsigned q = S_FRESH;
    int on = 0;
    socklen_t n = sizeof on;

    if (flush(fd, flags, 1) < 0)
        return -1;
    if (!in_table(fd) || !__atomic_compare_exchange_n(&slots[fd].state, &q, S_SENT, 0,
                                                      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return 0;
    if (real_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &n) != 0 || on)
        return 0;
    on = 1;
    return real_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0;
}

/* The application's TCP_NODELAY (off) back, errno kept. */
void pending_after_send(int fd)
{
    int off = 0, e = errno;

    (void)real_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof off);
    errno = e;
}
