/* proxyproto_read_header(): the reader's steps with poll() in between, all
 * within one deadline. proxyproto(7) section 5: a server must bound the header
 * read, so that a peer that sends nothing, or a byte at a time, cannot hold a
 * slot. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

/* The deadline on the monotonic clock, which wall-clock changes (NTP,
 * settimeofday) do not move. */
static int deadline_after(struct timespec *deadline, int timeout_ms)
{
    if (clock_gettime(CLOCK_MONOTONIC, deadline) != 0)
        return PROXYPROTO_ERR_SYSTEM;
    deadline->tv_sec += timeout_ms / 1000;
    deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline->tv_nsec >= 1000000000L) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000L;
    }
    return 0;
}

/* Milliseconds left until the deadline, rounded up so that poll() does not
 * wake just before it; 0 once it has passed. */
static int ms_left(const struct timespec *deadline, int *ms)
{
    struct timespec now;
    long long ns;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return PROXYPROTO_ERR_SYSTEM;
    ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
         (deadline->tv_nsec - now.tv_nsec);
    *ms = ns <= 0 ? 0 : (int)((ns + 999999) / 1000000);
    return 0;
}

/* Waits until fd is readable (or closed, or in error: the next step tells
 * which), at most until the deadline (NULL: forever). */
static int wait_readable(int fd, const struct timespec *deadline)
{
    struct pollfd pfd;
    int ms = -1, rc;

    if (deadline != NULL) {
        if ((rc = ms_left(deadline, &ms)) != 0)
            return rc;
        if (ms == 0)
            return PROXYPROTO_ERR_TIMEOUT;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, ms) < 0)
        return errno == EINTR ? PROXYPROTO_ERR_INTERRUPTED : PROXYPROTO_ERR_SYSTEM;
    /* Readable or timed out: either way the next step, then the deadline
     * check, decide (bytes that arrived right at the deadline still count). */
    return 0;
}

PROXYPROTO_API int proxyproto_read_header(proxyproto_reader *r, int fd,
                                          int timeout_ms,
                                          proxyproto_header *hdr)
{
    struct timespec deadline;
    int rc;

    if (timeout_ms >= 0 && (rc = deadline_after(&deadline, timeout_ms)) != 0)
        return rc;
    /* Ends by the deadline; without one (timeout_ms < 0), when the header
     * is complete, the peer closes or the buffer is full: every wake-up
     * that finds bytes takes at least one of them. A call after
     * PROXYPROTO_ERR_INTERRUPTED starts a new timeout_ms. */
    for (;;) {
        rc = proxyproto_reader_step(r, fd, hdr);
        if (rc != PROXYPROTO_INCOMPLETE)
            return rc;
        rc = wait_readable(fd, timeout_ms >= 0 ? &deadline : NULL);
        if (rc != 0)
            return rc;
    }
}
