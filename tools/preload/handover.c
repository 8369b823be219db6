/*
 * tools/preload/handover.c - parked connections survive a graceful reload:
 * when a process closes a listener (nginx's old workers on `nginx -s
 * reload`), its parked connections (header still arriving, or complete and
 * not yet taken by accept) are passed, with what has been read of their
 * header, to another process that still accepts on the same listening
 * socket, whose next accept() returns them once their header is in.
 *
 * Each process that accepts on a listener through epoll (the listener was
 * added to an epoll set) binds a receiver: a SOCK_SEQPACKET socket in the
 * abstract namespace named after the user, the listening socket's inode and
 * a slot k < HO_RECEIVERS (the first free one), added to the listener's
 * epoll sets like a parked connection, so that the server calls accept()
 * when something is handed to it (after a fork, the child keeps none and
 * the parent only those of listeners it has called accept on). A closing
 * process connects to the other
 * slots in turn; each connection carries one message (magic, the listening
 * socket's inode, the header read's state and bytes, the descriptor as
 * SCM_RIGHTS) and is answered with one byte once the receiver has taken
 * the descriptor. Only processes of the same effective user take part:
 * both ends check SO_PEERCRED (abstract names have no permissions, so a
 * name squatted by another user only means no hand-over).
 *
 *  - Not taken (no receiver, every one refused, closed or died before
 *    answering: the end-of-file says the descriptor was dropped unread):
 *    the next slot is tried; after the last, the connection is closed, as
 *    without hand-over. A receiver that closes its listener takes what is
 *    queued for it first and hands it on.
 *  - No receiver there at all: a process that had one itself (one of
 *    several alike: nginx's workers) waits up to HO_APPEAR_MS for one to
 *    appear (nginx starts the new workers 100 ms before it stops the old
 *    ones; with accept_mutex a new worker adds the listener to its epoll
 *    set only when it holds the mutex); not again for HO_VAIN_MS after
 *    waiting in vain (a server stopping for good).
 *  - No answer within HO_ACK_MS (or the time left of HO_BUDGET_MS for the
 *    whole close): the connection is left to that receiver (it may still
 *    take it) and never offered to another, so that no two processes ever
 *    read it; that receiver is skipped for the rest of the close.
 *  - Bounded: HO_RECEIVERS slots, HO_BUDGET_MS per listener close, at most
 *    HO_TAKE messages taken per accept call; one socket at a time.
 *  - close() may run this from a signal handler (under mu, see forget.c):
 *    system calls only, no lock, no allocation (and log_line(), as the
 *    refusals it closes connections with already use).
 *  - PROXYPROTO_HANDOFF=0 turns it off (as it does the hand-off table).
 */
#include "preload.h"

#include <stddef.h>
#include <sys/un.h>

#define HO_RECEIVERS 16   /* receivers per listening socket (abstract names) */
#define HO_BUDGET_MS 1000 /* what a listener close may wait, in all */
#define HO_ACK_MS 200     /* a receiver's answer, at most (then: skipped) */
#define HO_APPEAR_MS 300  /* ... of which, waiting for a receiver to appear */
#define HO_STEP_MS 5      /* looked for that often */
#define HO_VAIN_MS 5000   /* after waiting in vain, not again for this long */
#define HO_MSG_MS 100     /* a receiver waits this long for the message */
#define HO_TAKE 16        /* messages taken per call */
#define HO_BUSY_EVERY 64  /* accepts between looks at a busy server's receiver */
/* The message carries the library's reader state as this build lays it
 * out: only the same version, with the same layout, takes it (an nginx
 * binary upgrade may run two builds side by side). */
#define HO_MAGIC                                                                    \
    (0x70706f766572ull ^ ((uint64_t)sizeof(struct cstate) << 48) ^                 \
     ((uint64_t)(PROXYPROTO_VERSION_MAJOR * 10000 + PROXYPROTO_VERSION_MINOR * 100 + \
                 PROXYPROTO_VERSION_PATCH) << 24))

struct ho_msg {
    uint64_t magic;
    uint64_t lino;   /* the listening socket's inode */
    int32_t ready;   /* 0, or R_DONE / R_PASS */
    int32_t pad;
    struct cstate c; /* its reader's buffer pointer means nothing here */
    unsigned char buf[PP_HEADER_MAX];
};

/* By listener descriptor: its receiver's descriptor + 1 (0: none), read
 * without the lock by accept's common path. */
int ho_rx[PP_MAX_FD];

/* After accept found nothing new: has something been handed to lfd's
 * receiver (what woke the server)? One poll, and only for a listener that
 * has one. A stale number (closed meanwhile) costs a useless slow path. */
int ho_waiting(int lfd)
{
    struct pollfd pf;
    int r = in_table(lfd) ? __atomic_load_n(&ho_rx[lfd], __ATOMIC_RELAXED) : 0, e = errno;

    if (r == 0)
        return 0;
    pf.fd = r - 1;
    pf.events = POLLIN;
    pf.revents = 0;
    r = poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN);
    errno = e;
    return r;
}

/* "\0libproxyproto-ho-<euid>-<inode>-<k>" in hex, without snprintf. */
static socklen_t ho_name(struct sockaddr_un *a, uint64_t ino, int k)
{
    static const char pre[] = "libproxyproto-ho-";
    char *p = a->sun_path + 1;
    uint64_t v[3];
    int i, j;

    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(p, pre, sizeof pre - 1);
    p += sizeof pre - 1;
    v[0] = (uint64_t)geteuid();
    v[1] = ino;
    v[2] = (uint64_t)k;
    for (i = 0; i < 3; i++) {
        char tmp[16];
        int n = 0;
        do {
            tmp[n++] = "0123456789abcdef"[v[i] & 15];
            v[i] >>= 4;
        } while (v[i] != 0);
        for (j = n - 1; j >= 0; j--)
            *p++ = tmp[j];
        if (i < 2)
            *p++ = '-';
    }
    return (socklen_t)(p - (char *)a);
}

/* Is the other end of UNIX socket s a process of our user (not us)? */
static int same_user(int s)
{
    struct ucred cr;
    socklen_t l = sizeof cr;

    return getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && l == sizeof cr &&
           cr.uid == geteuid() && cr.pid != getpid();
}

/* Listener li gets a receiver (under mu), if it has none. */
void ho_listen(int li)
{
    struct listener *L = &lst[li];
    struct sockaddr_un a;
    int s, k, e = errno;

    if (cfg.handoff_off || L->ho_fd >= 0 || !in_table(L->fd))
        return;
    s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        goto out;
    for (k = 0; k < HO_RECEIVERS; k++)
        if (bind(s, (struct sockaddr *)&a, ho_name(&a, L->ino, k)) == 0)
            break;
    if (k == HO_RECEIVERS || real_listen(s, 64) != 0) {
        real_close(s);
        goto out;
    }
    if (flags_of(s) != 0)
        forget_locked(s, flags_of(s));
    flags_set(s, FL_HOSOCK);
    L->ho_fd = s;
    L->ho_ino = inode_of(s);
    __atomic_store_n(&ho_rx[L->fd], s + 1, __ATOMIC_RELAXED);
    for (k = 0; k < L->nreg; k++)
        reg_apply(&L->regs[k], EPOLL_CTL_ADD, s);
out:
    errno = e;
}

/* Takes one message from the receiver's next connection: 1 (c, buf and
 * *ready filled, c->fd the descriptor, the sender answered), 0 nothing
 * queued, -1 a connection that brought nothing usable (dropped). */
static int ho_take(struct listener *L, struct ho_msg *m, int *ready)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 4)];
    } ctl;
    struct msghdr mh;
    struct iovec iov;
    struct cmsghdr *cm;
    struct pollfd pf;
    ssize_t n;
    int s, fd = -1, bad = 0, nfd = 0, i;
    char ack = 'k';

    s = real_accept4(L->ho_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0)
        return 0;
    if (!same_user(s)) {
        real_close(s);
        return -1;
    }
    pf.fd = s;
    pf.events = POLLIN;
    pf.revents = 0;
    if (poll(&pf, 1, HO_MSG_MS) <= 0) {
        real_close(s);
        return -1;
    }
    memset(&mh, 0, sizeof mh);
    iov.iov_base = m;
    iov.iov_len = sizeof *m;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    n = real_recvmsg(s, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    for (cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        for (i = 0; i < (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)); i++) {
            int x;
            memcpy(&x, CMSG_DATA(cm) + i * sizeof(int), sizeof x);
            if (nfd++ == 0)
                fd = x;
            else
                real_close(x);
        }
    }
    if (n != (ssize_t)sizeof *m || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || nfd != 1 ||
        m->magic != HO_MAGIC || m->lino != L->ino ||
        (m->ready != 0 && m->ready != R_DONE && m->ready != R_PASS))
        bad = 1;
    /* The reader's fields are the library's; the preload is built with it
     * and moves a read in progress here, as park() does within a process. */
    if (!bad && (m->c.r.len_ > sizeof m->buf || m->c.r.last_len_ > m->c.r.len_))
        bad = 1;
    if (!bad) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            bad = 1;
    }
    if (!bad) { /* the peer as the socket says, trusted by our settings */
        socklen_t pl = sizeof m->c.peer;
        int pc;
        if (real_getpeername(fd, (struct sockaddr *)&m->c.peer, &pl) == 0)
            m->c.peerlen = pl;
        pc = proxyproto_policy_check(&policy, (const struct sockaddr *)&m->c.peer);
        if (!cfg.ok || (pc != PROXYPROTO_EXPECT_HEADER && pc != PROXYPROTO_NO_HEADER))
            bad = 1;
    }
    if (!bad) {
        m->c.r.buf_ = m->buf;
        m->c.r.cap_ = sizeof m->buf;
        /* hdr points into the sender's buffer: parsed again from ours (a
         * reader holding a whole header reads nothing more). */
        if ((m->ready == R_DONE || m->c.local_wait) &&
            proxyproto_reader_step(&m->c.r, fd, &m->c.hdr) <= 0)
            bad = 1;
    }
    if (bad) {
        if (fd >= 0)
            real_close(fd);
        real_close(s);
        return -1;
    }
    /* Answered before anything is read from it: from now on it is ours.
     * An answer that cannot be sent finds the sender gone: it waited in
     * vain and left the connection to us (or died), and never offers it
     * to another once it has sent it, so it is ours all the same. */
    if (send(s, &ack, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1 && cfg.log >= 2)
        log_line("hand-over: took fd=%d after its sender stopped waiting", fd);
    real_close(s);
    if (flags_of(fd) != 0)
        forget_locked(fd, flags_of(fd));
    if (conn_used(fd))
        conn_clear(fd);
    m->c.fd = fd;
    m->c.flags = (m->c.flags & SOCK_NONBLOCK) | SOCK_CLOEXEC; /* MSG_CMSG_CLOEXEC */
    *ready = m->ready;
    return 1;
}

/* What became of an offer to one receiver. */
#define OF_NONE 0    /* no receiver there (or not of our user): the next */
#define OF_DROPPED 1 /* refused, or closed unread: the next */
#define OF_TAKEN 2   /* answered: taken */
#define OF_LEFT 3    /* no answer in time: left to it (it may take it yet) */
#define OF_FOREIGN 4 /* another user's (or our own): skipped from then on */

/* The time a close may take, for the whole listener. */
struct ho_budget {
    long long until;  /* answers are waited for until then */
    long long appear; /* a receiver is waited for until then; 0: not */
    unsigned slow;    /* receivers that did not answer in time, or are
                       * another user's: skipped */
};

/* Offers message m (carrying descriptor fd) to receiver k of lino. */
static int ho_offer(const struct ho_msg *m, int fd, int k, long long until)
{
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct sockaddr_un a;
    socklen_t al = ho_name(&a, m->lino, k);
    struct msghdr mh;
    struct iovec iov;
    struct pollfd pf;
    long long left;
    char ans = 0;
    ssize_t n;
    int s, rc;

    s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return OF_NONE;
    if (connect(s, (struct sockaddr *)&a, al) != 0) {
        rc = errno == EAGAIN ? OF_DROPPED : OF_NONE; /* EAGAIN: its queue is full */
        real_close(s);
        return rc;
    }
    if (!same_user(s)) {
        real_close(s);
        return OF_FOREIGN;
    }
    memset(&mh, 0, sizeof mh);
    memset(&ctl, 0, sizeof ctl);
    iov.iov_base = (void *)m;
    iov.iov_len = sizeof *m;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
    CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
    CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
    if (real_sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof *m) {
        real_close(s); /* nothing was queued */
        return OF_DROPPED;
    }
    pf.fd = s;
    pf.events = POLLIN;
    do {
        left = until - now_ns();
        pf.revents = 0;
        rc = poll(&pf, 1, left <= 0 ? 0 : (int)((left + 999999) / 1000000));
    } while (rc < 0 && errno == EINTR && left > 0);
    n = rc > 0 ? recv(s, &ans, 1, MSG_DONTWAIT) : -1;
    rc = n == 1 && ans == 'k' ? OF_TAKEN
       : rc > 0 && (n == 0 || (n < 0 && errno == ECONNRESET)) ? OF_DROPPED : OF_LEFT;
    real_close(s);
    return rc;
}

/* Offers connection c (ready: its parked state) to the other receivers of
 * listening socket lino until one takes it; when none is there, waits
 * for one to appear until b->appear (new workers starting). 1 taken (or
 * left with a receiver that did not answer in time: then no other may
 * have it, so that no two processes ever read it), 0 not. */
static int ho_give(uint64_t lino, const struct cstate *c, int ready, struct ho_budget *b)
{
    static struct ho_msg m; /* under mu */
    static long long vain_at; /* when a receiver was last waited for in vain */
    static int first;         /* the slot that last took one: tried first */
    int i, k, any;

    memset(&m, 0, sizeof m);
    m.magic = HO_MAGIC;
    m.lino = lino;
    m.ready = ready;
    m.c = *c;
    if (c->r.len_ > sizeof m.buf)
        return 0;
    memcpy(m.buf, c->r.buf_, c->r.len_);
    for (;;) {
        for (i = any = 0; i < HO_RECEIVERS && now_ns() < b->until; i++) {
            long long t = now_ns() + HO_ACK_MS * 1000000LL;
            int rc;

            k = (first + i) % HO_RECEIVERS;
            if (b->slow & (1u << k))
                continue;
            rc = ho_offer(&m, c->fd, k, t < b->until ? t : b->until);
            if (rc == OF_TAKEN) {
                first = k;
                return 1;
            }
            if (rc == OF_LEFT) {
                b->slow |= 1u << k;
                if (cfg.log >= 1)
                    log_line("hand-over of fd=%d: no answer within %d ms; left to that "
                             "process", c->fd, HO_ACK_MS);
                return 1;
            }
            if (rc == OF_FOREIGN)
                b->slow |= 1u << k;
            any |= rc == OF_DROPPED;
        }
        if (any || b->appear == 0 || now_ns() >= b->until)
            return 0;
        if (now_ns() >= b->appear || now_ns() - vain_at < HO_VAIN_MS * 1000000LL) {
            vain_at = now_ns(); /* other listeners closing now do not wait */
            b->appear = 0;
            return 0;
        }
        {
            struct timespec ts = {0, HO_STEP_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

/* Hands connection c on, then closes our copy (taken or not); 1 taken. */
static int ho_pass(uint64_t lino, const struct cstate *c, int ready, struct ho_budget *b)
{
    int given = !cfg.handoff_off && ho_give(lino, c, ready, b);

    real_close(c->fd);
    return given;
}

/* Listener li is closing (under mu): its receiver takes what is queued and
 * closes, then every parked connection of li, and what was queued, goes
 * to another process; what none takes is closed, as before. */
void ho_drop(int li)
{
    static struct ho_msg q[HO_TAKE];
    static int qready[HO_TAKE];
    struct listener *L = &lst[li];
    long long t0 = now_ns();
    struct ho_budget b;
    int i, nq = 0, n = 0, given = 0, e = errno;

    b.until = t0 + HO_BUDGET_MS * 1000000LL;
    b.slow = 0;
    /* A process that had a receiver is one of several accepting alike
     * (nginx's workers): others may be starting (a reload). */
    b.appear = L->ho_fd >= 0 ? t0 + HO_APPEAR_MS * 1000000LL : 0;

    if (L->ho_fd >= 0) {
        if (still_ours(L->ho_fd, L->ho_ino)) {
            while (nq < HO_TAKE) {
                int r = ho_take(L, &q[nq], &qready[nq]);
                if (r == 0)
                    break;
                if (r > 0)
                    nq++;
            }
            flags_clear(L->ho_fd, FL_HOSOCK);
            real_close(L->ho_fd); /* what is still queued: its senders try on */
        }
        L->ho_fd = -1;
        if (in_table(L->fd))
            __atomic_store_n(&ho_rx[L->fd], 0, __ATOMIC_RELAXED);
    }
    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li) {
            struct cstate *c = pending_state(i);
            int fd = pend[i].fd, ready = pend[i].ready;
            uint64_t ino = pend[i].ino;

            unregister_fd(li, fd); /* the file outlives our close now */
            pending_free(&pend[i]);
            if (still_ours(fd, ino)) {
                given += ho_pass(L->ino, c, ready, &b);
                n++;
            }
        }
    for (i = 0; i < nq; i++, n++)
        given += ho_pass(L->ino, &q[i].c, qready[i], &b);
    if (n > 0 && cfg.log >= 1)
        log_line("listener fd=%d closed with %d connection(s) parked: %d handed over to "
                 "another process accepting on it, %d closed (%lld ms)", L->fd, n, given,
                 n - given, (now_ns() - t0) / 1000000);
    errno = e;
}

/* A connection was accepted on lfd (the common path, outside mu): every
 * HO_BUSY_EVERY-th time, what was handed to its receiver is taken too, so
 * that a server whose listen queue never empties (no EAGAIN) still
 * answers in time; the next accept hands it over. */
void ho_busy(int lfd)
{
    static unsigned count;
    int li;

    if ((__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED) % HO_BUSY_EVERY) != 0 ||
        !ho_waiting(lfd))
        return;
    lock_mu();
    if ((li = listener_get(lfd, 0, 0)) >= 0 && ho_receive(li) > 0 && !lst[li].wait_mode)
        timer_update(li);
    unlock_mu();
}

/* accept on listener li (under mu): takes what was handed to its receiver
 * and parks it; how many were taken. */
int ho_receive(int li)
{
    static struct ho_msg m;
    int n = 0, tries, ready, rc;

    if (lst[li].ho_fd < 0 || !still_ours(lst[li].ho_fd, lst[li].ho_ino))
        return 0;
    for (tries = 0; tries < HO_TAKE; tries++) {
        int k;
        if ((rc = ho_take(&lst[li], &m, &ready)) == 0)
            break;
        if (rc < 0)
            continue;
        if ((rc = park(li, &m.c)) != 0) {
            reject(&m.c, rc);
            continue;
        }
        for (k = 0; k < pend_hi; k++)
            if (pend[k].used && pend[k].fd == m.c.fd && pend[k].li == li)
                pend[k].ready = ready;
        if (cfg.log >= 2)
            log_line("took fd=%d handed over by another process", m.c.fd);
        n++;
    }
    return n;
}

/* A process that forks (under mu) keeps the receivers of the listeners it
 * accepts on, and closes the others: a parent that added a listener to an
 * epoll set and leaves the accepting to children sharing that set (a
 * pre-fork server) would otherwise hold a receiver that no one empties,
 * whose readiness the children would see as the listener's, again and
 * again. */
void ho_fork_parent(void)
{
    int i;

    for (i = 0; i < PP_MAX_LISTENERS; i++) {
        struct listener *L = &lst[i];
        if (!L->used || L->ho_fd < 0 ||
            (in_table(L->fd) &&
             (__atomic_load_n(&lfacts[L->fd], __ATOMIC_RELAXED) & LF_ACCEPTED)))
            continue;
        flags_clear(L->ho_fd, FL_HOSOCK);
        if (still_ours(L->ho_fd, L->ho_ino))
            real_close(L->ho_fd);
        L->ho_fd = -1;
        if (in_table(L->fd))
            __atomic_store_n(&ho_rx[L->fd], 0, __ATOMIC_RELAXED);
    }
}

/* A forked child lets go of the receivers (the parent keeps them). */
void ho_fork_child(void)
{
    int i;

    for (i = 0; i < PP_MAX_LISTENERS; i++)
        if (lst[i].used && lst[i].ho_fd >= 0) {
            flags_clear(lst[i].ho_fd, FL_HOSOCK);
            real_close(lst[i].ho_fd);
            lst[i].ho_fd = -1;
            if (in_table(lst[i].fd))
                __atomic_store_n(&ho_rx[lst[i].fd], 0, __ATOMIC_RELAXED);
        }
}
