/*
 * tools/preload/timer.c - a listener's timerfd, registered like the
 * listener, which wakes an epoll server when a parked connection is due;
 * closed when none is parked.
 */
#include "preload.h"

void timer_close(struct listener *L)
{
    if (L->timerfd >= 0) {
        flags_clear(L->timerfd, FL_TIMER);
        if (still_ours(L->timerfd, L->timer_ino))
            real_close(L->timerfd);
    }
    L->timerfd = -1;
    L->timer_at = 0;
}

/* Arms the listener's timer for its earliest due connection: a ready one
 * at once, else the earliest deadline; closes it when none is left. */
void timer_update(int li)
{
    struct listener *L = &lst[li];
    long long due = 0;
    struct itimerspec its;
    int i, k;

    for (i = 0; i < pend_hi; i++) {
        long long d;
        if (!pend[i].used || pend[i].li != li)
            continue;
        d = pend[i].ready ? 1 : pend[i].deadline;
        if (due == 0 || d < due)
            due = d;
    }
    memset(&its, 0, sizeof its);
    if (due == 0) { /* nothing parked: no descriptor left behind */
        timer_close(L);
        return;
    }
    if (L->nreg == 0 || due == L->timer_at)
        return;
    if (L->timerfd < 0) {
        L->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (L->timerfd < 0)
            return;
        L->timer_ino = inode_of(L->timerfd);
        if (flags_of(L->timerfd) != 0)
            forget_locked(L->timerfd, flags_of(L->timerfd));
        flags_set(L->timerfd, FL_TIMER);
        for (k = 0; k < L->nreg; k++)
            reg_apply(&L->regs[k], EPOLL_CTL_ADD, L->timerfd);
    }
    its.it_value.tv_sec = (time_t)(due / 1000000000LL);
    its.it_value.tv_nsec = (long)(due % 1000000000LL);
    if (timerfd_settime(L->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        L->timer_at = due;
}

/* Reads a fired timer, so that it stops reporting readable. */
void timer_drain(struct listener *L)
{
    uint64_t n;

    if (L->timerfd >= 0 && L->timer_at != 0 && now_ns() >= L->timer_at) {
        if (read(L->timerfd, &n, sizeof n) < 0) {
            /* EAGAIN: not fired yet after all; nothing to do */
        }
        L->timer_at = 0;
    }
}
