/*
 * tools/preload/accept.c - accept() and accept4(): the common path, the slow
 * path with parked connections, and the per-listener facts cached by
 * descriptor.
 */
#include "preload.h"

/* ------------------------------------------------------------------------
 * accept
 * ------------------------------------------------------------------------ */

static int real_accept_as(int lfd, struct sockaddr *addr, socklen_t *alen, int flags, int is4)
{
    if (is4)
        return real_accept4 != NULL ? real_accept4(lfd, addr, alen, flags) : (errno = ENOSYS, -1);
    return real_accept(lfd, addr, alen);
}

/* Does the preload apply to this listener (its local address)? */
static int applies(const struct sockaddr_storage *ls)
{
    unsigned port;
    size_t i;

    if (ls->ss_family == AF_INET)
        port = ntohs(((const struct sockaddr_in *)(const void *)ls)->sin_port);
    else if (ls->ss_family == AF_INET6)
        port = ntohs(((const struct sockaddr_in6 *)(const void *)ls)->sin6_port);
    else
        return 0;
    if (cfg.n_ports == 0)
        return 1;
    for (i = 0; i < cfg.n_ports; i++)
        if (cfg.ports[i] == port)
            return 1;
    return 0;
}

/* What accept needs to know of a listener (does the preload apply, its
 * family), cached by descriptor so that the common path makes no system
 * call for it: filled in by listen() or the first accept, dropped by
 * close(), dup2() and dup3() over it. */
uint32_t lfacts[PP_MAX_FD];

uint32_t facts_compute(int fd)
{
    struct sockaddr_storage ls;
    socklen_t ll = sizeof ls;
    uint32_t f;

    if (real_getsockname(fd, (struct sockaddr *)&ls, &ll) != 0)
        return 0;
    f = LF_KNOWN | (applies(&ls) ? LF_APPLIES : 0) | (ls.ss_family == AF_INET6 ? LF_INET6 : 0);
    if (in_table(fd))
        __atomic_store_n(&lfacts[fd], f, __ATOMIC_RELAXED);
    return f;
}

static uint32_t facts_of(int fd)
{
    uint32_t f = in_table(fd) ? __atomic_load_n(&lfacts[fd], __ATOMIC_RELAXED) : 0;

    return (f & LF_KNOWN) ? f : facts_compute(fd);
}

void facts_forget(int fd)
{
    if (in_table(fd) && __atomic_load_n(&lfacts[fd], __ATOMIC_RELAXED) != 0)
        __atomic_store_n(&lfacts[fd], 0, __ATOMIC_RELAXED);
}

/* Our own wait was interrupted by a signal where the kernel's blocking
 * accept would have been restarted if the handler has SA_RESTART. We
 * cannot tell which signal it was: 1 (restart) when every handler
 * installed has SA_RESTART, else 0 (the caller gets EINTR, which it must
 * handle anyway since that handler exists). */
static int restart_after_signal(void)
{
    int sig;

    for (sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_RESTART))
            return 0;
    }
    return 1;
}

/* Signals whose default action is to do nothing. */
static int ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* A signal is waiting that the application blocks (so it cannot
 * interrupt our wait), and that does something: a handler of its own
 * (SIGCHLD too: a server that waits for its children in a shutdown needs
 * it as much as SIGTERM), or a default that stops the process. A blocked
 * SIGCHLD left at its default stays pending for good on Linux (a server
 * whose threads all block it): no reason to interrupt anything. */
static int blocked_signal_pending(void)
{
    sigset_t set;
    int sig;

    if (sigpending(&set) != 0)
        return 0;
    for (sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigismember(&set, sig) != 1 || sigaction(sig, NULL, &sa) != 0 ||
            sa.sa_handler == SIG_IGN)
            continue;
        if (sa.sa_handler != SIG_DFL || !ignored_by_default(sig))
            return 1;
    }
    return 0;
}

/* The application's accept found a connection the preload did not hand
 * over (refused, a health check closed quietly, our doorbell): the kernel
 * would have returned it. Before waiting in the kernel's accept for the
 * next one, on a blocking listener: wait with poll, and give up with EINTR
 * when a signal the application blocks is waiting. A server that calls a
 * blocking accept only after select said the listener was readable, with
 * its signals blocked outside select (PostgreSQL's postmaster), would
 * otherwise stay in accept, deaf to a shutdown, as long as only health
 * checks come. 1: go on to accept; 0: return -1 (errno set). */
static int wait_next(int lfd, int nonblock)
{
    if (nonblock < 0) {
        int fl = fcntl(lfd, F_GETFL);
        nonblock = fl >= 0 && (fl & O_NONBLOCK) != 0;
    }
    if (nonblock)
        return 1; /* the kernel's accept answers at once */
    for (;;) {
        struct pollfd pf;
        int rc;

        /* Checked first: health checks may come faster than the poll's
         * slices, and the application must get back to its signals. */
        if (blocked_signal_pending()) {
            errno = EINTR;
            return 0;
        }
        pf.fd = lfd;
        pf.events = POLLIN;
        pf.revents = 0;
        rc = poll(&pf, 1, 100);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno == EINTR) {
            if (restart_after_signal())
                continue;
            errno = EINTR;
            return 0;
        }
        if (rc < 0)
            return 1; /* the kernel's accept will say what is wrong */
    }
}

/* accept_new() results. */

/* Accepts one connection, with the caller's flags (the header is read
 * with MSG_DONTWAIT: no fcntl), and reads what has come of its header. */
static int accept_new(int lfd, int lfam, struct cstate *c, unsigned char *buf,
                      struct sockaddr *addr, socklen_t *alen, int flags, int is4, int *fdp)
{
    int fd, rc;

    c->peerlen = sizeof c->peer;
    fd = real_accept_as(lfd, (struct sockaddr *)&c->peer, &c->peerlen, flags, is4);
    if (fd < 0)
        return A_FAIL;
    if (bell_answer(lfd, fd, &c->peer))
        return A_BELL;
    if (flags_of(fd) != 0) /* left by a descriptor closed behind our back */
        forget(fd);
    cstate_init(c, fd, flags, lfam, buf);
    rc = screen(c);
    if (rc == 0)
        rc = advance(c);
    if (rc == R_WAIT) {
        cstate_arm(c);
        return A_PARK;
    }
    if (rc == R_DONE || rc == R_PASS) {
        if (deliver(c, rc, addr, alen, flags) != 0)
            return A_NEXT;
        *fdp = fd;
        return A_GOT;
    }
    reject(c, rc);
    return A_NEXT;
}

/* A listener the table has no room for (more than PP_MAX_LISTENERS):
 * each header is read inside accept, one after the other (c, if not
 * NULL, is the first). */
static int accept_untracked(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen,
                            int flags, int is4, struct cstate *c)
{
    unsigned char buf[PP_HEADER_MAX];
    struct cstate own;
    int fd = -1, rc;

    warn_once(W_LISTENERS);
    for (;;) {
        if (c != NULL) {
            rc = wait_header(c);
            if ((rc == R_DONE || rc == R_PASS) && deliver(c, rc, addr, alen, flags) == 0)
                return c->fd;
            if (rc != R_DONE && rc != R_PASS)
                reject(c, rc);
            c = NULL;
        }
        switch (accept_new(lfd, lfam, &own, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            return -1;
        case A_GOT:
            return fd;
        case A_PARK:
            c = &own;
            break;
        default:
            break;
        }
    }
}

/* Fills pf[1..] with listener li's stalled connections; returns how many
 * (plus 1), *due the earliest deadline, *more when some did not fit. */
static int wait_set(int li, struct pollfd *pf, long long *due, int *more)
{
    int i, n = 1;

    *due = 0;
    *more = 0;
    for (i = 0; i < pend_hi; i++) {
        if (!pend[i].used || pend[i].li != li || pend[i].ready)
            continue;
        if (*due == 0 || pend[i].deadline < *due)
            *due = pend[i].deadline;
        if (n > PP_POLL_MAX) {
            *more = 1;
            continue;
        }
        pf[n].fd = pend[i].fd;
        pf[n].events = POLLIN;
        pf[n].revents = 0;
        n++;
    }
    return n;
}

/* The listener has (or is about to have: newc) parked connections.
 *  - non-blocking: hand over a ready one, else accept new ones without
 *    waiting (parking those whose header is incomplete), else EAGAIN. The
 *    epoll sets (or, for a poll()/select() loop, the helper thread's
 *    doorbell) wake the server when a parked header is complete.
 *  - blocking: wait for whichever comes first, a parked header or a new
 *    connection, so that slow headers never wait one after another. */
static int accept_slow(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen,
                       int flags, int is4, struct cstate *newc)
{
    unsigned char buf[PP_HEADER_MAX];
    struct cstate c;
    int fl = fcntl(lfd, F_GETFL);
    int nonblock = fl >= 0 && (fl & O_NONBLOCK) != 0;

    int step = 1; /* the parked connections are stepped once per wake-up,
                   * not once per connection accepted meanwhile */

    for (;;) {
        struct pollfd pf[PP_POLL_MAX + 1];
        long long due = 0;
        int li, fd, n = 1, more = 0, parked, rc;

        lock_mu();
        li = listener_get(lfd, 1, nonblock);
        if (li < 0) {
            unlock_mu();
            return accept_untracked(lfd, lfam, addr, alen, flags, is4, newc);
        }
        lst[li].wait_mode = !nonblock || lst[li].nreg == 0;
        if (newc != NULL) {
            if (nonblock && lst[li].wait_mode && !lst[li].warned && cfg.log >= 1) {
                lst[li].warned = 1;
                log_line("listener fd=%d is non-blocking but in no epoll set known to "
                         "the preload: a helper thread watches its parked connections "
                         "and wakes the server with a loopback connection", lfd);
            }
            if ((rc = park(li, newc)) != 0)
                reject(newc, rc);
            newc = NULL;
        }
        if (!lst[li].wait_mode)
            timer_drain(&lst[li]);
        if (lst[li].ho_fd >= 0 && step)
            ho_receive(li); /* handed over by a process that stopped listening */
        fd = lst[li].npending > 0 ? pending_service(li, addr, alen, flags, step) : -1;
        step = 0;
        if (!lst[li].wait_mode)
            timer_update(li);
        parked = lst[li].npending;
        if (fd < 0 && parked > 0 && !nonblock) {
            n = wait_set(li, pf, &due, &more);
            lst[li].waiters++;
        }
        unlock_mu();
        if (fd >= 0)
            return fd;
        if (parked > 0 && !nonblock) {
            long long left = due != 0 ? due - now_ns() : 0;
            int ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);

            if ((more || n == 1) && ms > 100)
                ms = 100; /* those left out are stepped at least that often */
            pf[0].fd = lfd;
            pf[0].events = POLLIN;
            pf[0].revents = 0;
            rc = poll(pf, (nfds_t)n, ms);
            fd = errno;
            lock_mu();
            li = listener_get(lfd, 0, 0);
            if (li >= 0)
                lst[li].waiters--;
            unlock_mu();
            if (rc < 0 && fd == EINTR) {
                if (restart_after_signal())
                    continue;
                errno = EINTR;
                return -1;
            }
            step = 1;
            if (rc <= 0 || pf[0].revents == 0)
                continue; /* a header moved on, or a deadline passed */
        }
        if (parked == 0 && !wait_next(lfd, nonblock))
            return -1;
        switch (accept_new(lfd, lfam, &c, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && !nonblock)
                continue; /* taken by another thread: wait on */
            return -1;
        case A_GOT:
            return fd;
        case A_PARK:
            newc = &c;
            break;
        case A_BELL:
            step = 1;
            break;
        default:
            break;
        }
    }
}

/* The common path: nothing parked for this listener. The real accept, as
 * the caller asked for it (blocking or not), then the header. */
static int accept_fast(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen, int flags,
                       int is4)
{
    int refused = 0;

    for (;;) {
        unsigned char buf[PP_HEADER_MAX];
        struct cstate c;
        int fd = -1;

        if (refused && !wait_next(lfd, -1))
            return -1;
        switch (accept_new(lfd, lfam, &c, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            /* Nothing new: something handed over to our receiver, maybe
             * (what woke the server). */
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && ho_waiting(lfd))
                return accept_slow(lfd, lfam, addr, alen, flags, is4, NULL);
            return -1;
        case A_GOT:
            if (in_table(lfd) && __atomic_load_n(&ho_rx[lfd], __ATOMIC_RELAXED) != 0) {
                int e = errno;
                ho_busy(lfd);
                errno = e;
            }
            return fd;
        case A_PARK:
            return accept_slow(lfd, lfam, addr, alen, flags, is4, &c);
        case A_BELL:
            return accept_slow(lfd, lfam, addr, alen, flags, is4, NULL);
        default:
            refused = 1;
            break;
        }
    }
}

int do_accept(int lfd, struct sockaddr *addr, socklen_t *alen, int flags, int is4)
{
    uint32_t lf;
    int lfam, parked;

    ensure_init();
    lf = facts_of(lfd);
    if (!(lf & LF_APPLIES) || (addr != NULL && alen == NULL) ||
        (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0 || (alen != NULL && (int)*alen < 0))
        return real_accept_as(lfd, addr, alen, flags, is4); /* the kernel's answer */
    flags_set(lfd, FL_LISTENER);
    announce();
    lfam = (lf & LF_INET6) ? AF_INET6 : AF_INET;
    if (!(lf & LF_ACCEPTED) && in_table(lfd)) /* (hand-over receivers: handover.c) */
        __atomic_fetch_or(&lfacts[lfd], LF_ACCEPTED, __ATOMIC_RELAXED);
    parked = in_table(lfd) ? __atomic_load_n(&parked_on[lfd], __ATOMIC_RELAXED)
                           : __atomic_load_n(&npending_total, __ATOMIC_RELAXED);
    if (parked > 0)
        return accept_slow(lfd, lfam, addr, alen, flags, is4, NULL);
    return accept_fast(lfd, lfam, addr, alen, flags, is4);
}
