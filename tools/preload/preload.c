/*
 * libproxyproto-preload.so - the PROXY protocol for unmodified servers.
 *
 *   LD_PRELOAD=/usr/local/lib/libproxyproto-preload.so python3 -m http.server 8080
 *
 * Loaded into a dynamically linked server, it reads and strips the PROXY
 * header (v1 or v2) of every connection accepted on a TCP listener, and makes
 * accept() / accept4() report the client address from the header,
 * getpeername() the same, and getsockname() the header's destination.
 * The server itself is not changed and never sees the header bytes; the
 * payload after the header is left in the socket for it, byte for byte
 * (the library's reader peeks, then reads exactly the header).
 *
 * Configuration (environment variables, read once when the library loads;
 * unset or empty means the default; a value that does not parse makes every
 * connection on every TCP listener be refused, with a message on stderr):
 *
 *   PROXYPROTO_PORTS=8080,8443   the listeners it applies to, by local port.
 *                                Default: every TCP listener (IPv4 and IPv6).
 *                                UNIX sockets are never touched.
 *   PROXYPROTO_TRUSTED=10.0.0.0/8,2001:db8::/32
 *                                the load balancers allowed to send a header
 *                                (CIDRs or addresses, comma or space
 *                                separated, at most 64). Default: loopback,
 *                                127.0.0.0/8 and ::1. Others are refused.
 *   PROXYPROTO_OPTIONAL=1        SECURITY: the header becomes optional. A
 *                                trusted peer whose first bytes are not a
 *                                PROXY header (or who sends nothing for the
 *                                whole timeout) is handed over with its real
 *                                addresses; an untrusted peer is handed over
 *                                as is, its bytes untouched (a header it
 *                                sends is payload). Only for listeners that
 *                                also take direct connections on purpose.
 *                                Default 0: a header is required. A warning
 *                                is printed when it is on.
 *   PROXYPROTO_TIMEOUT_MS=3000   how long a connection may take to send its
 *                                whole header, from accept (1-3600000).
 *   PROXYPROTO_VERSIONS=1,2      header versions accepted ("1", "2", "1,2").
 *   PROXYPROTO_HANDOFF=/path     the table that carries the addresses of
 *                                connections passed to other processes
 *                                (handoff.c); 0: none, and no hand-over
 *                                of parked connections at a listener's
 *                                close (handover.c). Default:
 *                                /dev/shm/libproxyproto-preload-<euid>.
 *   PROXYPROTO_LOG=1             log to stderr: 1 refused connections and
 *                                warnings, 2 also every accepted one. 0 by
 *                                default. Configuration errors are always
 *                                printed at start-up, and the optional-mode
 *                                warning when a listener first comes under
 *                                the preload; with 1 or 2, the settings too.
 *
 * Design (see also the README section "Unmodified servers: the preload
 * library"):
 *
 *  - accept()/accept4() on a listener it applies to: the real accept, then
 *    the trust check on the real peer, then the header. A connection that
 *    fails (untrusted peer, bad header, a version not allowed, timeout, peer
 *    closed) is closed, logged, and accept goes on with the next one: the
 *    server never sees it. LOCAL and v1 UNKNOWN headers (health checks) are
 *    stripped and the real addresses kept, and so are those of a v2 UNIX
 *    header (a local client: no IP address to report) and of a header
 *    naming the connection's own two ends (HAProxy's v1 checks); such a
 *    connection reset right after its header is closed quietly (header.c).
 *    Addresses come in the listener's family, as accept would give them: an
 *    IPv4 header on an IPv6 listener as ::ffff:a.b.c.d (as a dual-stack
 *    socket reports an IPv4 client). An IPv6 client on an IPv4 listener
 *    cannot be reported (accept on an AF_INET socket never returns
 *    AF_INET6, and servers such as nginx rely on it): it is refused, with a
 *    warning; make the server listen on IPv6 too (::ffff:a.b.c.d in a
 *    header is reported as a.b.c.d there).
 *  - The common path (nothing parked for the listener, the header in at
 *    accept): the real accept with the caller's flags, then the header's
 *    peek and read (accept.c).
 *  - A connection whose header is incomplete at accept is parked in a
 *    per-process table sized to the descriptor limit; when it is full, the
 *    oldest stalled connection of the busiest peer makes room (park.c).
 *  - Blocking listener: accept waits, with one poll(), for whichever comes
 *    first, a parked header or a new connection, so slow headers never
 *    wait one after another. EINTR as the kernel's accept would give it.
 *  - Non-blocking listener: accept never waits, returning EAGAIN when no
 *    connection is ready. To wake the server when a parked header
 *    completes, each parked connection is added to every epoll set the
 *    listener is in, with the listener's own epoll_data and flags (learned
 *    by intercepting epoll_ctl, or from /proc/self/fdinfo): to the server,
 *    the listener became readable (listeners.c). A timerfd registered the
 *    same way wakes it when the earliest one times out (timer.c).
 *  - Servers no epoll set reaches (poll()/select() loops, blocking
 *    listeners while the server is elsewhere): a helper thread, running
 *    only while such connections are parked, steps them, closes them at
 *    the timeout, and rings a doorbell (a loopback connection to the
 *    listener, closed by the next accept) when one is ready (wake.c).
 *  - close(), dup2() and dup3() never wait for the lock: a signal handler
 *    may call them while its thread holds it (forget.c).
 *  - The accepted socket gets exactly the flags the caller asked for
 *    (accept4's SOCK_NONBLOCK and SOCK_CLOEXEC; none for accept), and
 *    *addrlen follows accept's truncation rules.
 *  - getpeername()/getsockname() answer from a table indexed by descriptor
 *    (65536 entries, lock-free seqlocks, no allocation) for connections
 *    that had a header with addresses; the entry is cleared by close(),
 *    and dup(), dup2() and dup3() copy it. Each answer is checked against
 *    the socket's real peer (the load balancer's address and port, from
 *    the real getpeername: the call the caller made), so an entry left
 *    behind by a close we did not see (close_range, fclose) is never used
 *    for another socket. A connection
 *    on a descriptor beyond the table whose header carries addresses is
 *    refused (logged).
 *  - A connection passed to another process over a UNIX socket
 *    (SCM_RIGHTS: node cluster, pre-fork servers): sendmsg() publishes its
 *    entry in a table shared by the user's processes that load the preload
 *    (a 0600 file in /dev/shm, keyed by the socket's inode), and the
 *    receiver's recvmsg() takes it from there (handoff.c).
 *  - A listener closed with connections parked (nginx's old workers on a
 *    graceful reload): they are passed, with what was read of their
 *    header, to another process of the user that accepts on the same
 *    socket (an abstract UNIX socket per process and listener, SO_PEERCRED
 *    checked), whose accept() hands them over once their header is in;
 *    closed, as before, when none takes them (handover.c).
 *
 * Exported: exactly the intercepted libc functions (accept, accept4,
 * getpeername, getsockname, close, listen, epoll_ctl, dup, dup2, dup3,
 * sendmsg, recvmsg;
 * see preload.map). The library is linked in statically and hidden.
 * Linux only (epoll, timerfd, accept4, /proc). Files, one concern each:
 * settings.c, fdtable.c, header.c, park.c, listeners.c, timer.c, wake.c,
 * forget.c, fork.c, accept.c, handoff.c, handover.c; preload.h declares what
 * they share.
 */
#include "preload.h"

#include <dlfcn.h>

/* ------------------------------------------------------------------------
 * The real functions
 * ------------------------------------------------------------------------ */

int (*real_accept)(int, struct sockaddr *, socklen_t *);
int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
int (*real_close)(int);
int (*real_listen)(int, int);
int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
int (*real_dup)(int);
int (*real_dup2)(int, int);
int (*real_dup3)(int, int, int);
ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
ssize_t (*real_recvmsg)(int, struct msghdr *, int);

/* dlsym returns an object pointer; POSIX guarantees it converts. */
static void resolve(void *fnptr, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    memcpy(fnptr, &p, sizeof p);
}

/* ------------------------------------------------------------------------
 * Initialisation and fork
 * ------------------------------------------------------------------------ */

pthread_once_t once = PTHREAD_ONCE_INIT;
pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* listeners, pending */

static void init(void)
{
    resolve(&real_accept, "accept");
    resolve(&real_accept4, "accept4");
    resolve(&real_getpeername, "getpeername");
    resolve(&real_getsockname, "getsockname");
    resolve(&real_close, "close");
    resolve(&real_listen, "listen");
    resolve(&real_epoll_ctl, "epoll_ctl");
    resolve(&real_dup, "dup");
    resolve(&real_dup2, "dup2");
    resolve(&real_dup3, "dup3");
    resolve(&real_sendmsg, "sendmsg");
    resolve(&real_recvmsg, "recvmsg");
    load_config();
    park_cap_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void ensure_init(void)
{
    pthread_once(&once, init);
}

__attribute__((constructor)) static void preload_constructor(void)
{
    ensure_init();
}

/* ------------------------------------------------------------------------
 * The intercepted functions
 * ------------------------------------------------------------------------ */

PP_EXPORT int accept(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    return do_accept(fd, PP_SA(addr), alen, 0, 0);
}

PP_EXPORT int accept4(int fd, PP_SA_ARG addr, socklen_t *restrict alen, int flags)
{
    return do_accept(fd, PP_SA(addr), alen, flags, 1);
}

PP_EXPORT int getpeername(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    struct sockaddr *sa = PP_SA(addr);

    ensure_init();
    if (sa != NULL && alen != NULL && (int)*alen >= 0 && conn_used(fd) &&
        conn_answer(fd, 0, sa, alen))
        return 0;
    return real_getpeername(fd, sa, alen);
}

PP_EXPORT int getsockname(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    struct sockaddr *sa = PP_SA(addr);

    ensure_init();
    if (sa != NULL && alen != NULL && (int)*alen >= 0 && conn_used(fd) &&
        conn_answer(fd, 1, sa, alen))
        return 0;
    return real_getsockname(fd, sa, alen);
}

PP_EXPORT int close(int fd)
{
    ensure_init();
    /* Cleared before the real close: once it returns, another thread's
     * accept may be given the same number. */
    if (conn_used(fd))
        conn_clear(fd);
    facts_forget(fd);
    if (flags_of(fd) != 0)
        forget(fd);
    return real_close(fd);
}

PP_EXPORT int listen(int fd, int backlog)
{
    int rc;

    ensure_init();
    rc = real_listen(fd, backlog);
    if (rc == 0 && in_table(fd)) {
        int e = errno;
        if (facts_compute(fd) & LF_APPLIES) {
            flags_set(fd, FL_LISTENER);
            announce();
        }
        errno = e;
    }
    return rc;
}

PP_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    int rc, e, li;

    ensure_init();
    rc = real_epoll_ctl(epfd, op, fd, event);
    if (rc != 0)
        return rc;
    flags_set(epfd, FL_EPOLL);
    if (!(flags_of(fd) & FL_LISTENER))
        return rc;
    e = errno;
    lock_mu();
    li = listener_get(fd, op != EPOLL_CTL_DEL, 0);
    if (li >= 0)
        track(li, epfd, op, event);
    unlock_mu();
    errno = e;
    return rc;
}

/* newfd is a fresh number (dup) or replaced (dup2/dup3): what we knew of
 * it goes; what we know of oldfd (same socket) comes along. */
static void dup_before(int oldfd, int newfd)
{
    if (newfd == oldfd || fcntl(oldfd, F_GETFD) < 0)
        return; /* the call will fail (or do nothing) */
    if (conn_used(newfd))
        conn_clear(newfd);
    facts_forget(newfd);
    forget(newfd);
}

static void dup_after(int oldfd, int newfd)
{
    struct pair p;
    uint64_t ino;

    if (newfd < 0 || newfd == oldfd)
        return;
    if (conn_used(newfd))
        conn_clear(newfd);
    if (flags_of(newfd) != 0)
        forget(newfd);
    if (conn_load(oldfd, &p, &ino) && in_table(newfd))
        conn_store(newfd, ino, &p);
    facts_forget(newfd);
    if (in_table(oldfd) && in_table(newfd))
        __atomic_store_n(&lfacts[newfd], __atomic_load_n(&lfacts[oldfd], __ATOMIC_RELAXED),
                         __ATOMIC_RELAXED);
    if (flags_of(oldfd) & FL_LISTENER)
        flags_set(newfd, FL_LISTENER);
}

PP_EXPORT int dup(int oldfd)
{
    int fd;

    ensure_init();
    fd = real_dup(oldfd);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}

PP_EXPORT int dup2(int oldfd, int newfd)
{
    int fd;

    ensure_init();
    dup_before(oldfd, newfd);
    fd = real_dup2(oldfd, newfd);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}

PP_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    int fd;

    ensure_init();
    dup_before(oldfd, newfd);
    fd = real_dup3(oldfd, newfd, flags);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}
