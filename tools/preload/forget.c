/*
 * tools/preload/forget.c - the lock over listeners and parked connections,
 * and what close(), dup2() and dup3() must forget, without ever waiting for
 * that lock.
 */
#include "preload.h"

/* The descriptor fd (with flags f) goes away: the application closes it,
 * dup2s over it, or a fresh descriptor shows stale flags. */
void forget_locked(int fd, unsigned f)
{
    int i, k;

    if (f & FL_LISTENER) {
        for (i = 0; i < PP_MAX_LISTENERS; i++)
            if (lst[i].used && lst[i].fd == fd)
                listener_drop(i);
    }
    if (f & FL_EPOLL) {
        for (i = 0; i < PP_MAX_LISTENERS; i++) {
            if (!lst[i].used)
                continue;
            for (k = 0; k < lst[i].nreg;)
                if (lst[i].regs[k].epfd == fd)
                    lst[i].regs[k] = lst[i].regs[--lst[i].nreg];
                else
                    k++;
        }
    }
    if (f & FL_PENDING) { /* closed by the application (a close-all loop) */
        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && pend[i].fd == fd)
                pending_free(&pend[i]);
    }
    if (f & FL_HOSOCK) { /* closed by the application: no receiver now */
        for (i = 0; i < PP_MAX_LISTENERS; i++)
            if (lst[i].used && lst[i].ho_fd == fd) {
                lst[i].ho_fd = -1;
                if (in_table(lst[i].fd))
                    __atomic_store_n(&ho_rx[lst[i].fd], 0, __ATOMIC_RELAXED);
            }
    }
    if (f & FL_TIMER) {
        for (i = 0; i < PP_MAX_LISTENERS; i++)
            if (lst[i].used && lst[i].timerfd == fd) {
                lst[i].timerfd = -1;
                lst[i].timer_at = 0;
            }
    }
    flags_clear(fd, f);
}

/* close(), dup2() and dup3() may run in a signal handler that interrupted
 * this very thread while it holds mu (a server's SIGTERM handler closing
 * its listener while the loop is in accept), so they never wait for mu:
 * what they cannot do at once is queued here, lock-free, and done by
 * whoever holds mu next, before anything else (so that a descriptor number
 * reused after the close is never confused with the closed one). */
static struct {
    int state;  /* 0 free, 1 being written, 2 queued */
    int fd;
    unsigned f;
} deferred[PP_DEFERRED];
static int n_deferred;

static void drain_locked(void)
{
    int i;

    if (__atomic_load_n(&n_deferred, __ATOMIC_SEQ_CST) == 0)
        return;
    for (i = 0; i < PP_DEFERRED; i++)
        if (__atomic_load_n(&deferred[i].state, __ATOMIC_ACQUIRE) == 2) {
            int fd = deferred[i].fd;
            unsigned f = deferred[i].f;
            __atomic_store_n(&deferred[i].state, 0, __ATOMIC_RELEASE);
            __atomic_fetch_sub(&n_deferred, 1, __ATOMIC_SEQ_CST);
            forget_locked(fd, f);
        }
}

void lock_mu(void)
{
    pthread_mutex_lock(&mu);
    drain_locked();
}

void unlock_mu(void)
{
    do {
        drain_locked();
        pthread_mutex_unlock(&mu);
        /* Queued after our last look: take mu again if nobody has it. */
    } while (__atomic_load_n(&n_deferred, __ATOMIC_SEQ_CST) != 0 &&
             pthread_mutex_trylock(&mu) == 0);
}

/* Queues the forgetting of fd; 0, or -1 when the queue is full (then the
 * inode checks catch what is left behind). Async-signal-safe. */
static int defer(int fd, unsigned f)
{
    int i;

    for (i = 0; i < PP_DEFERRED; i++) {
        int z = 0;
        if (__atomic_compare_exchange_n(&deferred[i].state, &z, 1, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            deferred[i].fd = fd;
            deferred[i].f = f;
            __atomic_store_n(&deferred[i].state, 2, __ATOMIC_RELEASE);
            __atomic_fetch_add(&n_deferred, 1, __ATOMIC_SEQ_CST);
            return 0;
        }
    }
    return -1;
}

/* Never blocks (see deferred): mu if free, else queued. */
void forget(int fd)
{
    unsigned f = flags_of(fd);

    if (f == 0)
        return;
    if (pthread_mutex_trylock(&mu) == 0) {
        drain_locked();
        forget_locked(fd, flags_of(fd));
        unlock_mu();
        return;
    }
    defer(fd, f);
    flags_clear(fd, f);
    if (pthread_mutex_trylock(&mu) == 0) /* let go of meanwhile */
        unlock_mu();
}
