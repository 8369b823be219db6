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
 * signal handler that interrupted the writer) waits a few yields and then
 * gets EAGAIN: it never blocks on something its own thread holds.
 * The slot keeps the socket's inode, so an entry left by a close the
 * preload did not see (close_range, fclose) is never used for another
 * socket that gets the same number.
 */
#include "connect.h"

#define S_FREE 0u
#define S_BUSY 1u
#define S_PENDING 2u

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

/* 0 for most descriptors: the one load every send pays. */
int pending_maybe(int fd)
{
    return in_table(fd) && __atomic_load_n(&slots[fd].state, __ATOMIC_RELAXED) != S_FREE;
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
 * (EAGAIN) when someone else holds it. */
static int take(struct slot *s)
{
    unsigned q;
    int tries;

    for (tries = 0;; tries++) {
        q = S_PENDING;
        if (__atomic_compare_exchange_n(&s->state, &q, S_BUSY, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return 1;
        if (q == S_FREE)
            return 0;
        if (tries >= 64) {
            errno = EAGAIN;
            return -1;
        }
        sched_yield();
    }
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

/* close(): whatever was owed goes with the socket. */
void pending_forget(int fd)
{
    if (pending_maybe(fd))
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
static int write_rest(int fd, struct slot *s, int flags)
{
    uint8_t buf[CC_HDR_MAX];
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    int n, e;
    ssize_t w;

    if (inode_of(fd) != s->ino) { /* another socket on this number */
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
    release(s, S_FREE);
    if (cfg.log >= 2)
        log_sent(buf, n);
    return 0;
}

/* Before a send on fd: 0 when nothing is owed (any more), or -1 with
 * errno (EAGAIN: not yet; the caller's bytes must not go either). */
int pending_flush(int fd, int flags)
{
    struct slot *s;
    int e = errno, rc;

    if (!pending_maybe(fd))
        return 0;
    s = &slots[fd];
    if ((rc = take(s)) <= 0)
        return rc;
    rc = write_rest(fd, s, flags);
    if (rc == 0)
        errno = e;
    return rc;
}
