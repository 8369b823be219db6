/*
 * tools/preload/listeners.c - the listeners the preload tracks and their
 * epoll registrations, which parked connections and the timer mirror
 * (learned from epoll_ctl, or from /proc/self/fdinfo).
 */
#include "preload.h"

/* Events mirrored from a listener's registration: readiness to read and
 * the triggering mode, never EPOLLOUT (a connection is always writable)
 * nor EPOLLEXCLUSIVE (only for ADD, and ours are not shared). */
static uint32_t mirror_events(uint32_t ev)
{
    return ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP);
}

void reg_apply(const struct reg *r, int op, int fd)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof ev);
    ev.events = mirror_events(r->events);
    ev.data = r->data;
    real_epoll_ctl(r->epfd, op, fd, &ev);
}

/* Every descriptor we keep for the listener (parked connections, timer). */
static void mirror_all(int li, const struct reg *r, int op)
{
    int i;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li)
            reg_apply(r, op, pend[i].fd);
    if (lst[li].timerfd >= 0)
        reg_apply(r, op, lst[li].timerfd);
    if (lst[li].ho_fd >= 0)
        reg_apply(r, op, lst[li].ho_fd);
}

void unregister_fd(int li, int fd)
{
    int k;

    for (k = 0; k < lst[li].nreg; k++)
        reg_apply(&lst[li].regs[k], EPOLL_CTL_DEL, fd);
}

/* Lets go of a listener (closed, or stale): its parked connections go to
 * another process that accepts on the same socket, or are closed
 * (handover.c). */
void listener_drop(int li)
{
    ho_drop(li);
    timer_close(&lst[li]);
    bell_clear(li);
    lst[li].used = 0;
}

/* Line "tfd: N events: X data: Y pos:0 ino:Z sdev:W" of an epoll fdinfo. */
static void fdinfo_line(const char *s, int li, int epfd)
{
    struct listener *L = &lst[li];
    unsigned long long tfd, events, data, ino;
    int k;

    if (strncmp(s, "tfd:", 4) != 0)
        return;
    if (sscanf(s, "tfd: %llu events: %llx data: %llx pos:%*d ino:%llx", &tfd, &events,
               &data, &ino) != 4)
        return;
    if (tfd != (unsigned long long)L->fd || ino != L->ino || L->nreg == PP_MAX_REGS)
        return;
    for (k = 0; k < L->nreg; k++)
        if (L->regs[k].epfd == epfd)
            return;
    L->regs[L->nreg].epfd = epfd;
    L->regs[L->nreg].events = (uint32_t)events;
    L->regs[L->nreg].data.u64 = data;
    L->nreg++;
}

/* For a listener whose epoll registrations we did not see (inherited,
 * or added before listen()): looks them up in /proc/self/fdinfo of every
 * epoll descriptor seen so far. */
static void discover_regs(int li)
{
    int epfd;

    for (epfd = 0; epfd < PP_MAX_FD; epfd++) {
        char path[64], buf[4096];
        size_t have = 0;
        int fd;

        if (!(flags_of(epfd) & FL_EPOLL))
            continue;
        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        for (;;) {
            ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
            char *line, *nl;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            have += (size_t)n;
            buf[have] = '\0';
            line = buf;
            while ((nl = strchr(line, '\n')) != NULL) {
                *nl = '\0';
                fdinfo_line(line, li, epfd);
                line = nl + 1;
            }
            have = (size_t)(buf + have - line);
            memmove(buf, line, have);
            if (have == sizeof buf - 1)
                have = 0; /* a line longer than the buffer: not ours */
        }
        real_close(fd);
    }
}

/* The tracked listener of fd (created when `create`), or -1. */
int listener_get(int fd, int create, int discover)
{
    uint64_t ino = inode_of(fd);
    int i, free_i = -1;

    if (ino == 0)
        return -1;
    for (i = 0; i < PP_MAX_LISTENERS; i++) {
        if (lst[i].used && lst[i].fd == fd) {
            if (lst[i].ino == ino)
                return i;
            listener_drop(i); /* closed behind our back */
        }
        if (!lst[i].used && free_i < 0)
            free_i = i;
    }
    if (!create || free_i < 0)
        return -1;
    memset(&lst[free_i], 0, sizeof lst[free_i]);
    lst[free_i].used = 1;
    lst[free_i].fd = fd;
    lst[free_i].ino = ino;
    lst[free_i].timerfd = -1;
    lst[free_i].bell_fd = -1;
    lst[free_i].ho_fd = -1;
    if (discover) {
        discover_regs(free_i);
        if (lst[free_i].nreg > 0)
            ho_listen(free_i);
    }
    return free_i;
}

/* The application's epoll_ctl on a listener: keep its registrations, and
 * apply the same change to what we keep in its name. */
void track(int li, int epfd, int op, const struct epoll_event *ev)
{
    struct listener *L = &lst[li];
    int k;

    for (k = 0; k < L->nreg && L->regs[k].epfd != epfd; k++)
        ;
    if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
        if (ev == NULL)
            return;
        if (k == L->nreg) {
            if (L->nreg == PP_MAX_REGS)
                return;
            L->nreg++;
            op = EPOLL_CTL_ADD;
        }
        L->regs[k].epfd = epfd;
        L->regs[k].events = ev->events;
        L->regs[k].data = ev->data;
        if (L->ho_fd < 0)
            ho_listen(li); /* added to every set (this one's op then repeats) */
        mirror_all(li, &L->regs[k], op);
        /* The timer may have waited for a first registration. */
        if (L->npending > 0)
            timer_update(li);
    } else if (op == EPOLL_CTL_DEL && k < L->nreg) {
        mirror_all(li, &L->regs[k], EPOLL_CTL_DEL);
        L->regs[k] = L->regs[--L->nreg];
    }
}
