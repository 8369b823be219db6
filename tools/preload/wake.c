/*
 * tools/preload/wake.c - waking servers no epoll set reaches: the helper
 * thread and the doorbell.
 */
#include "preload.h"

/* ------------------------------------------------------------------------
 * Waking servers that no epoll set of ours reaches (blocking listeners,
 * poll()/select() loops): a helper thread steps their parked connections
 * and closes them at the timeout; when one is complete and no thread is
 * waiting inside accept, it rings the listener's doorbell: a connection
 * of our own to the listener, which makes it readable, and which the next
 * accept recognises by its address and closes before handing over the
 * parked connection. The thread runs only while such connections are
 * parked, with every signal blocked.
 * ------------------------------------------------------------------------ */

static uint16_t bell_port[PP_MAX_FD]; /* by listener: the doorbell's local port */
int helper_running;

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
    return 0;
}

void bell_clear(int li)
{
    struct listener *L = &lst[li];

    if (L->bell_fd < 0)
        return;
    real_close(L->bell_fd);
    L->bell_fd = -1;
    if (in_table(L->fd))
        __atomic_store_n(&bell_port[L->fd], 0, __ATOMIC_RELEASE);
}

/* Connects to the listener (its own address; loopback for a wildcard). */
static void bell_ring(int li)
{
    struct listener *L = &lst[li];
    struct sockaddr_storage a;
    socklen_t al = sizeof a, ml = sizeof L->bell_me;
    int s;

    if (L->bell_fd >= 0 || !in_table(L->fd) ||
        real_getsockname(L->fd, (struct sockaddr *)&a, &al) != 0)
        return;
    if (a.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)&a;
        if (v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (a.ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)&a;
        if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
            v6->sin6_addr = in6addr_loopback;
    } else {
        return;
    }
    s = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    if (flags_of(s) != 0)
        forget_locked(s, flags_of(s));
    if ((connect(s, (struct sockaddr *)&a, al) != 0 && errno != EINPROGRESS) ||
        real_getsockname(s, (struct sockaddr *)&L->bell_me, &ml) != 0) {
        real_close(s);
        return;
    }
    L->bell_fd = s;
    L->bell_at = now_ns();
    __atomic_store_n(&bell_port[L->fd], port_of(&L->bell_me), __ATOMIC_RELEASE);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family || port_of(a) != port_of(b))
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
                      &((const struct sockaddr_in *)(const void *)b)->sin_addr, 4) == 0;
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

/* Is connection fd (from peer), just accepted on lfd, our doorbell? Then
 * it is closed, and so is our end: 1. No system call unless the port
 * matches. */
int bell_answer(int lfd, int fd, const struct sockaddr_storage *peer)
{
    uint16_t p = in_table(lfd) ? __atomic_load_n(&bell_port[lfd], __ATOMIC_ACQUIRE) : 0;
    int li, is = 0;

    if (p == 0 || port_of(peer) != p)
        return 0;
    lock_mu();
    li = listener_get(lfd, 0, 0);
    if (li >= 0 && lst[li].bell_fd >= 0 && same_addr(peer, &lst[li].bell_me)) {
        bell_clear(li);
        real_close(fd);
        is = 1;
    }
    unlock_mu();
    return is;
}

static void *helper_main(void *arg)
{
    static struct pollfd pf[PP_MAX_PENDING];

    (void)arg;
    for (;;) {
        long long due = 0, left;
        int li, i, n = 0, ready = 0, ms;

        lock_mu();
        for (li = 0; li < PP_MAX_LISTENERS; li++) {
            struct listener *L = &lst[li];
            int r = 0;
            if (!L->used || !L->wait_mode || L->npending == 0)
                continue;
            pending_step(li);
            for (i = 0; i < pend_hi; i++)
                if (pend[i].used && pend[i].li == li && pend[i].ready)
                    r++;
            /* Unanswered for a while: another process sharing the
             * listener (pre-fork servers) took it; ring again. */
            if (r > 0 && L->bell_fd >= 0 && now_ns() - L->bell_at > PP_BELL_RETRY_MS * 1000000LL)
                bell_clear(li);
            if (r > 0 && L->waiters == 0)
                bell_ring(li);
            ready += r;
        }
        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && !pend[i].ready && lst[pend[i].li].wait_mode) {
                pf[n].fd = pend[i].fd;
                pf[n].events = POLLIN;
                pf[n].revents = 0;
                n++;
                if (due == 0 || pend[i].deadline < due)
                    due = pend[i].deadline;
            }
        if (n == 0 && ready == 0) {
            helper_running = 0;
            unlock_mu();
            return NULL;
        }
        unlock_mu();
        left = due != 0 ? due - now_ns() : 0;
        ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        if (due == 0 || ms > 100)
            ms = 100; /* new parked connections join at least that often */
        poll(pf, (nfds_t)n, ms);
    }
}

/* Starts the helper thread if it is not running (under mu). */
void helper_start(void)
{
    pthread_attr_t at;
    pthread_t t;
    sigset_t all, old;

    if (helper_running)
        return;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_attr_init(&at) == 0) {
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&t, &at, helper_main, NULL) == 0)
            helper_running = 1;
        pthread_attr_destroy(&at);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}
