/*
 * tools/connect/writes.c - every way an application sends on a socket
 * writes an owed header first (pending.c), so nothing of the
 * application's reaches the wire before the whole header. When the header
 * cannot go yet, the call fails with the header's errno (EAGAIN: the
 * application waits for writable and tries again, as it would anyway).
 * For every other descriptor the cost is one relaxed load.
 *
 * TCP Fast Open without connect() (sendto/sendmsg with MSG_FASTOPEN and an
 * address) to a wanted destination becomes connect() then send: the
 * header must be the first bytes, and the SYN's data would be the
 * application's. The handshake then takes its usual round trip.
 */
#include "connect.h"

/* MSG_FASTOPEN to a wanted destination on a socket not connected yet:
 * 1 (connected, header written or owed: send without the flag), or -1
 * (errno: EINPROGRESS for a non-blocking socket, as TFO without a cookie
 * says). 0: not ours. */
static int fastopen(int fd, int flags, const struct sockaddr *sa, socklen_t len)
{
    if (!(flags & MSG_FASTOPEN) || sa == NULL || len < (socklen_t)sizeof(struct sockaddr_in) ||
        (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        (sa->sa_family == AF_INET6 && len < (socklen_t)sizeof(struct sockaddr_in6)))
        return 0;
    if (cfg.ok && (!cfg.active || !dest_wanted(sa)))
        return 0;
    if (cc_connect(fd, sa, len) < 0 && errno != EISCONN)
        return -1;
    return 1;
}

/* The real send CALL (of type TYPE), after the owed header if any, and
 * with TCP_NODELAY on for the application's first send (pending.c). */
#define AROUND(fd, flags, type, call)                                         \
    do {                                                                      \
        int nd_ = 0;                                                          \
        type r_;                                                              \
        if (pending_maybe(fd) && (nd_ = pending_before_send(fd, flags)) < 0) \
            return -1;                                                        \
        r_ = call;                                                            \
        if (nd_ > 0)                                                          \
            pending_after_send(fd);                                           \
        return r_;                                                            \
    } while (0)

CC_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    CC_READY(real_write);
    AROUND(fd, 0, ssize_t, real_write(fd, buf, n));
}

CC_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    CC_READY(real_writev);
    AROUND(fd, 0, ssize_t, real_writev(fd, iov, n));
}

CC_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    CC_READY(real_send);
    AROUND(fd, flags, ssize_t, real_send(fd, buf, n, flags));
}

CC_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, CC_CSA_ARG addr,
                         socklen_t alen)
{
    const struct sockaddr *sa = CC_CSA(addr);
    int fo;

    CC_READY(real_sendto);
    if ((fo = fastopen(fd, flags, sa, alen)) < 0)
        return -1;
    if (fo) {
        flags &= ~MSG_FASTOPEN;
        sa = NULL;
        alen = 0;
    }
    AROUND(fd, flags, ssize_t, real_sendto(fd, buf, n, flags, sa, alen));
}

CC_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct msghdr m;
    int fo;

    CC_READY(real_sendmsg);
    if (msg != NULL &&
        (fo = fastopen(fd, flags, (const struct sockaddr *)msg->msg_name, msg->msg_namelen)) != 0) {
        if (fo < 0)
            return -1;
        m = *msg;
        m.msg_name = NULL;
        m.msg_namelen = 0;
        flags &= ~MSG_FASTOPEN;
        AROUND(fd, flags, ssize_t, real_sendmsg(fd, &m, flags));
    }
    AROUND(fd, flags, ssize_t, real_sendmsg(fd, msg, flags));
}

CC_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
    CC_READY(real_sendmmsg);
    AROUND(fd, flags, int, real_sendmmsg(fd, v, n, flags));
}

CC_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
    CC_READY(real_sendfile);
    AROUND(out, 0, ssize_t, real_sendfile(out, in, off, n));
}

CC_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
    CC_READY(real_sendfile);
    if (real_sendfile64 == NULL) /* a libc without the LFS names: one off_t */
        AROUND(out, 0, ssize_t, real_sendfile(out, in, (off_t *)(void *)off, n));
    AROUND(out, 0, ssize_t, real_sendfile64(out, in, off, n));
}
