/*
 * tools/preload/fork.c - fork handlers: the child lets go of parked
 * connections, timers, bells.
 */
#include "preload.h"

void fork_prepare(void)
{
    lock_mu();
}

void fork_parent(void)
{
    ho_fork_parent();
    unlock_mu();
}

/* The child shares the parked connections and timers with its parent:
 * it lets go of its copies, so that only the parent finishes them. */
void fork_child(void)
{
    int i;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used) { /* parked (the forking thread holds mu) */
            int fd = pend[i].fd;
            pending_free(&pend[i]);
            real_close(fd);
        }
    helper_running = 0; /* threads do not survive fork */
    handoff_fork_child();
    ho_fork_child();
    for (i = 0; i < PP_MAX_LISTENERS; i++)
        if (lst[i].used)
            bell_clear(i);
    for (i = 0; i < PP_MAX_LISTENERS; i++)
        if (lst[i].used && lst[i].timerfd >= 0) {
            flags_clear(lst[i].timerfd, FL_TIMER);
            real_close(lst[i].timerfd);
            lst[i].timerfd = -1;
            lst[i].timer_at = 0;
        }
    unlock_mu();
}
