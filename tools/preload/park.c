/*
 * tools/preload/park.c - the table of parked connections (header incomplete
 * at accept): sized to the descriptor limit, evicting the oldest stalled
 * connection of the busiest peer when full; stepping them and handing over
 * ready ones.
 */
#include "preload.h"

/* ------------------------------------------------------------------------
 * Parked connections (their header incomplete at accept). Everything
 * here is under mu.
 *
 * The table is shared by every listener and sized to the descriptor limit
 * (half of RLIMIT_NOFILE at load, at most PP_MAX_PENDING). When it is
 * full, a new connection takes the slot of the oldest stalled connection
 * of the peer address that holds the most slots (which is closed): a
 * flood of stalled connections, even from a trusted address, cannot lock
 * good ones out, since a good header completes in a round trip while the
 * flood's must wait its turn to be the oldest.
 * ------------------------------------------------------------------------ */

struct listener lst[PP_MAX_LISTENERS];
struct pending pend[PP_MAX_PENDING];
static struct pstate pstate[PP_MAX_PENDING];
int pend_hi;      /* slots [0, pend_hi) may be in use */
static int park_cap;     /* slots usable: from the descriptor limit */
static unsigned long long park_seq;
int npending_total;
unsigned short parked_on[PP_MAX_FD]; /* per listener descriptor */

/* Is a descriptor we keep still ours (not closed and reused behind us)? */
int still_ours(int fd, uint64_t ino)
{
    return ino != 0 && inode_of(fd) == ino;
}

/* Half the descriptor limit, within [16, PP_MAX_PENDING]: parked
 * connections never take more than half of what the server may open. */
void park_cap_init(void)
{
    struct rlimit rl;
    long n = PP_MAX_PENDING;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (long)(rl.rlim_cur / 2) < n)
        n = (long)(rl.rlim_cur / 2);
    park_cap = n < 16 ? 16 : (int)n;
}

/* Frees a parked slot. */
void pending_free(struct pending *p)
{
    int lfd;

    if (!p->used)
        return;
    lfd = lst[p->li].fd;
    lst[p->li].npending--;
    if (in_table(lfd) && parked_on[lfd] > 0)
        __atomic_fetch_sub(&parked_on[lfd], 1, __ATOMIC_RELAXED);
    flags_clear(p->fd, FL_PENDING);
    p->used = 0;
    p->li = -1;
    __atomic_fetch_sub(&npending_total, 1, __ATOMIC_RELAXED);
}

/* FNV-1a of the peer's IP address: connections are counted per peer. */
static uint32_t peer_key(const struct sockaddr_storage *ss)
{
    const unsigned char *a;
    size_t n, i;
    uint32_t h = 2166136261u;

    if (ss->ss_family == AF_INET) {
        a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
        n = 4;
    } else if (ss->ss_family == AF_INET6) {
        a = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr.s6_addr;
        n = 16;
    } else {
        return 0;
    }
    for (i = 0; i < n; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

/* The slot to free when the table is full: the oldest stalled connection
 * of the peer (hash bucket) that holds the most stalled slots; -1 when
 * every parked header is complete (those go to the server next). */
static int pick_victim(void)
{
    static unsigned short count[256];
    unsigned top = 0;
    int i, best = -1;

    memset(count, 0, sizeof count);
    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && !pend[i].ready && ++count[pend[i].key & 255] > top)
            top = count[pend[i].key & 255];
    if (top == 0)
        return -1;
    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && !pend[i].ready && count[pend[i].key & 255] == top &&
            (best < 0 || pend[i].seq < pend[best].seq))
            best = i;
    return best;
}

/* A free slot (not parked yet), evicting one when the table is full;
 * -1 when none can be had. */
static int pending_alloc(void)
{
    int i, v;

    for (i = 0; i < park_cap; i++)
        if (!pend[i].used) {
            if (i >= pend_hi)
                pend_hi = i + 1;
            return i;
        }
    if ((v = pick_victim()) < 0)
        return -1;
    {
        int fd = pend[v].fd;
        uint64_t ino = pend[v].ino;
        pending_free(&pend[v]);
        if (still_ours(fd, ino))
            reject(&pstate[v].c, E_EVICTED);
    }
    return v;
}

/* Steps the listener's parked connections that have something to read,
 * refuses failed and expired ones, and hands over the oldest ready one.
 * Returns its descriptor, or -1 when none is ready. */
void pending_step(int li)
{
    static struct pollfd pf[PP_MAX_PENDING];
    static int idx[PP_MAX_PENDING];
    int i, n = 0;
    long long now;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li && !pend[i].ready) {
            pf[n].fd = pend[i].fd;
            pf[n].events = POLLIN;
            pf[n].revents = 0;
            idx[n++] = i;
        }
    if (n > 0 && poll(pf, (nfds_t)n, 0) < 0)
        for (i = 0; i < n; i++)
            pf[i].revents = POLLIN; /* EINTR: step them all */
    now = now_ns();
    for (i = 0; i < n; i++) {
        struct pending *p = &pend[idx[i]];
        struct cstate *c = &pstate[idx[i]].c;
        int rc = R_WAIT;

        if (pf[i].revents != 0) {
            if (!still_ours(p->fd, p->ino)) {
                pending_free(p);
                continue;
            }
            rc = advance(c);
            p->deadline = c->deadline; /* a health check's grace */
        }
        if (rc == R_WAIT && now >= p->deadline)
            rc = expired(c);
        if (rc == R_DONE || rc == R_PASS) {
            p->ready = rc;
        } else if (rc != R_WAIT) {
            pending_free(p); /* the slot's contents stay until reused */
            if (still_ours(p->fd, p->ino))
                reject(c, rc); /* its close takes it out of the epoll sets */
        }
    }
}

/* Hands over the oldest ready connection of the listener after stepping
 * the others (step: 0 when they were stepped already in this call). */
int pending_service(int li, struct sockaddr *addr, socklen_t *alen, int want, int step)
{
    int i;

    if (step)
        pending_step(li);
    for (;;) {
        struct pending *best = NULL;
        int fd;

        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && pend[i].li == li && pend[i].ready &&
                (best == NULL || pend[i].seq < best->seq))
                best = &pend[i];
        if (best == NULL)
            return -1;
        fd = best->fd;
        unregister_fd(li, fd);
        pending_free(best);
        if (!still_ours(fd, best->ino))
            continue;
        if (deliver(&pstate[best - pend].c, best->ready, addr, alen, want) == 0)
            return fd;
    }
}

/* Slot i's header read (handover.c passes it on). */
struct cstate *pending_state(int i)
{
    return &pstate[i].c;
}

/* Moves a header read begun in c (on the stack) into slot i: the reader
 * goes on in the slot's buffer (the same size as the stack's, so the move
 * cannot fail). */
static void pstate_take(int i, const struct cstate *c)
{
    struct pstate *ps = &pstate[i];

    ps->c = *c;
    (void)proxyproto_reader_move(&ps->c.r, ps->buf, sizeof ps->buf);
}

/* Parks connection c (its header incomplete) for listener li: 0, or a
 * reason to refuse it (then the caller does). */
int park(int li, const struct cstate *c)
{
    int i, k, lfd = lst[li].fd;
    uint64_t ino = inode_of(c->fd);

    if (ino == 0)
        return PROXYPROTO_ERR_SYSTEM;
    if ((i = pending_alloc()) < 0) {
        warn_once(W_FULL);
        return E_FULL;
    }
    pstate_take(i, c);
    pend[i].used = 1;
    pend[i].li = li;
    pend[i].ready = 0;
    pend[i].fd = c->fd;
    pend[i].key = peer_key(&c->peer);
    pend[i].ino = ino;
    pend[i].seq = ++park_seq;
    pend[i].deadline = c->deadline;
    lst[li].npending++;
    if (in_table(lfd))
        __atomic_fetch_add(&parked_on[lfd], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&npending_total, 1, __ATOMIC_RELAXED);
    flags_set(c->fd, FL_PENDING);
    for (k = 0; k < lst[li].nreg; k++)
        reg_apply(&lst[li].regs[k], EPOLL_CTL_ADD, c->fd);
    if (lst[li].wait_mode)
        helper_start();
    return 0;
}
