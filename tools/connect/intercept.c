/*
 * libproxyproto-connect.so - a PROXY header from unmodified clients.
 *
 *   LD_PRELOAD=/usr/local/lib/libproxyproto-connect.so \
 *       PROXYPROTO_CONNECT_TO=127.0.0.1:8443 curl http://127.0.0.1:8443/
 *
 * Loaded into a dynamically linked client, it writes a PROXY header (v1 or
 * v2, with TLVs for v2) first on each TCP connection made with connect()
 * to a configured destination, before any byte of the application's: the
 * server behind (HAProxy `accept-proxy`, nginx `proxy_protocol`, a server
 * under libproxyproto-preload.so) sees the addresses the header carries.
 * By default those are the connection's own (the local address as the
 * source, the connected address as the destination); settings can name
 * others. Settings (settings.c; README "Unmodified clients: the connect
 * preload"): PROXYPROTO_CONNECT_TO, _VERSION, _SRC, _DST, _AUTHORITY,
 * _UNIQUE_ID, _TLVS, _CRC32C, PROXYPROTO_LOG.
 *
 * Design:
 *  - connect() to a wanted destination (an IPv4 or IPv6 stream socket):
 *    the real connect, then the header. A blocking connect that succeeds
 *    returns only once the whole header is written (short writes resumed).
 *    A non-blocking one (EINPROGRESS; or EINTR, after which the kernel goes
 *    on connecting) leaves the header owed (pending.c).
 *  - An owed header is written by the first of: getsockopt(SO_ERROR)
 *    saying 0 (how non-blocking clients learn that the connect is done:
 *    curl, Python, libuv), connect() again saying EISCONN or 0, or any send
 *    on the socket (write, writev, send, sendto, sendmsg, sendmmsg,
 *    sendfile; writes.c), before the application's bytes. If it cannot be
 *    written yet, the send fails with EAGAIN, and nothing of the
 *    application's goes: the application waits for the socket to be
 *    writable, as it would anyway. shutdown(SHUT_WR) writes it first too.
 *    The application's first send is made with TCP_NODELAY on (pending.c
 *    says why).
 *  - Bad settings: every TCP connect() fails with EACCES, after a message
 *    (once, by the process that connects) naming the variable and why.
 *
 * Exported: exactly the intercepted functions (connect.map). The library is
 * linked in statically and hidden. Linux only (tested with glibc).
 * Files, one concern each: settings.c (the settings), entries.c (one entry
 * of a setting), log.c (the log), header.c (the bytes), pending.c (owed
 * headers), intercept.c (this: connect, getsockopt, shutdown, close),
 * writes.c (the send family); connect.h declares what they share.
 */
#include "connect.h"

#include <dlfcn.h>

int (*real_connect)(int, const struct sockaddr *, socklen_t);
int (*real_close)(int);
int (*real_shutdown)(int, int);
int (*real_getsockopt)(int, int, int, void *, socklen_t *);
int (*real_setsockopt)(int, int, int, const void *, socklen_t);
int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
ssize_t (*real_write)(int, const void *, size_t);
ssize_t (*real_writev)(int, const struct iovec *, int);
ssize_t (*real_send)(int, const void *, size_t, int);
ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
int (*real_sendmmsg)(int, struct mmsghdr *, unsigned, int);
ssize_t (*real_sendfile)(int, int, off_t *, size_t);
ssize_t (*real_sendfile64)(int, int, off64_t *, size_t);

/* dlsym returns an object pointer; POSIX guarantees it converts. */
static void resolve(void *fnptr, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    memcpy(fnptr, &p, sizeof p);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    resolve(&real_connect, "connect");
    resolve(&real_close, "close");
    resolve(&real_shutdown, "shutdown");
    resolve(&real_getsockopt, "getsockopt");
    resolve(&real_setsockopt, "setsockopt");
    resolve(&real_getsockname, "getsockname");
    resolve(&real_write, "write");
    resolve(&real_writev, "writev");
    resolve(&real_send, "send");
    resolve(&real_sendto, "sendto");
    resolve(&real_sendmsg, "sendmsg");
    resolve(&real_sendmmsg, "sendmmsg");
    resolve(&real_sendfile, "sendfile");
    resolve(&real_sendfile64, "sendfile64");
    load_config();
}

void cc_init(void)
{
    pthread_once(&once, init);
}

__attribute__((constructor)) static void connect_constructor(void)
{
    cc_init();
}

/* An IPv4 or IPv6 TCP socket (SOCK_STREAM): UDP connects, UNIX sockets
 * and the rest are left alone. */
static int is_tcp(int fd)
{
    int type = 0;
    socklen_t n = sizeof type;

    return real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &n) == 0 && type == SOCK_STREAM;
}

/* Does this connect concern the preload: a TCP connection to a wanted
 * destination, or any TCP connection when the settings are bad. The
 * address is looked at first, so that other connections cost no system
 * call. An address shorter than its family's is left to the real
 * connect() to refuse (EINVAL). */
static int concerns(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (sa == NULL || len < (socklen_t)sizeof sa->sa_family ||
        !((sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) ||
          (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))))
        return 0;
    if (cfg.ok && (!cfg.active || !dest_wanted(sa)))
        return 0;
    return is_tcp(fd);
}

/* connect() again on a socket whose header is owed (the EALREADY /
 * EISCONN way of waiting): once connected, the header. */
static int connect_again(int fd, const struct sockaddr *sa, socklen_t len)
{
    int rc = real_connect(fd, sa, len), e = errno;

    if ((rc == 0 || e == EISCONN) && pending_flush(fd, MSG_DONTWAIT) < 0 && errno != EAGAIN)
        return -1;
    errno = e;
    return rc;
}

int cc_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int rc, e;

    if (pending_maybe(fd)) {
        if (pending_same_peer(fd, sa))
            return connect_again(fd, sa, len);
        pending_forget(fd); /* failed, and now tried elsewhere */
    }
    if (pending_sent(fd)) /* connected, header written: confirming */
        return real_connect(fd, sa, len);
    if (!concerns(fd, sa, len))
        return real_connect(fd, sa, len);
    announce();
    if (!cfg.ok) {
        errno = EACCES;
        return -1;
    }
    rc = real_connect(fd, sa, len);
    e = errno;
    if (rc != 0 && e != EINPROGRESS && e != EINTR)
        return rc;
    if (pending_add(fd, sa) < 0) { /* beyond the table: cannot be kept */
        log_line("descriptor %d is beyond the preload's table (%d): connection refused", fd,
                 CC_MAX_FD);
        errno = ENOBUFS;
        return -1;
    }
    /* Connected: the header now, in full on a blocking socket. On a
     * non-blocking one it is sent whole too (the send buffer is empty),
     * or kept for later (TCP_FASTOPEN_CONNECT defers the SYN). */
    if (rc == 0 && pending_flush_new(fd) < 0 && errno != EAGAIN)
        return -1;
    errno = e;
    return rc;
}

CC_EXPORT int connect(int fd, CC_CSA_ARG addr, socklen_t len)
{
    CC_READY(real_connect);
    return cc_connect(fd, CC_CSA(addr), len);
}

/* The usual end of a non-blocking connect: poll for writable, then
 * SO_ERROR. 0 there means connected (or, asked early, not yet: the
 * header then waits for the first send). */
CC_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *restrict len)
{
    int rc, e;

    CC_READY(real_getsockopt);
    rc = real_getsockopt(fd, level, name, val, len);
    if (rc == 0 && level == SOL_SOCKET && name == SO_ERROR && pending_maybe(fd) &&
        val != NULL && *len >= (socklen_t)sizeof(int) && *(int *)val == 0) {
        e = errno;
        (void)pending_flush(fd, MSG_DONTWAIT); /* a failure shows at the send */
        errno = e;
    }
    return rc;
}

/* The header goes before the FIN. */
CC_EXPORT int shutdown(int fd, int how)
{
    CC_READY(real_shutdown);
    if (how != SHUT_RD && pending_flush(fd, 0) < 0 && errno == EAGAIN)
        return -1;
    return real_shutdown(fd, how);
}

CC_EXPORT int close(int fd)
{
    CC_READY(real_close);
    pending_forget(fd);
    return real_close(fd);
}
