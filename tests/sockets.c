/* Test helpers on real sockets, shared by test_socket.c and test_conn.c:
 * loopback listeners and connected pairs (AF_UNIX, TCP over 127.0.0.1 and
 * ::1), sending everything, and what a socket still holds. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void pp_set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    ck_assert_int_ge(fl, 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

socklen_t pp_loopback(int family, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return (socklen_t)sizeof *sin;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_loopback;
    return (socklen_t)sizeof *sin6;
}

int pp_listener(int family)
{
    struct sockaddr_storage ss;
    socklen_t len = pp_loopback(family, &ss);
    int lfd = socket(family, SOCK_STREAM, 0), bound;

    bound = lfd >= 0 && bind(lfd, (struct sockaddr *)&ss, len) == 0;
    if (!bound && family == AF_INET6) {
        fprintf(stderr, "note: no IPv6 loopback here, ::1 case skipped\n");
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    ck_assert_msg(bound, "bind: %s", strerror(errno));
    ck_assert_int_eq(listen(lfd, 8), 0);
    return lfd;
}

int pp_connect_to(int lfd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd;

    memset(&ss, 0, sizeof ss);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0, "connect: %s",
                  strerror(errno));
    return fd;
}

int pp_tcp_pair(int family, int *cl, int *sv)
{
    int lfd = pp_listener(family);

    if (lfd < 0)
        return -1;
    *cl = pp_connect_to(lfd);
    *sv = accept(lfd, NULL, NULL);
    ck_assert_int_ge(*sv, 0);
    close(lfd);
    return 0;
}

int pp_stream_pair(enum pp_transport t, int *w, int *r)
{
    int fds[2];

    if (t == T_TCP4 || t == T_TCP6)
        return pp_tcp_pair(t == T_TCP4 ? AF_INET : AF_INET6, w, r);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    *w = fds[0];
    *r = fds[1];
    return 0;
}

void pp_send_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        ck_assert_msg(n > 0, "send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void pp_expect_rest(int fd, const void *want, size_t n)
{
    static uint8_t got[8192];
    size_t len = 0;

    ck_assert_uint_lt(n, sizeof got);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t k;

        ck_assert_msg(poll(&pfd, 1, 3000) == 1, "payload did not arrive");
        k = recv(fd, got + len, sizeof got - len, MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        ck_assert_msg(k >= 0, "recv: %s", strerror(errno));
        if (k == 0)
            break;
        len += (size_t)k;
        ck_assert_uint_lt(len, sizeof got); /* bounds the loop */
    }
    ck_assert_msg(len == n, "%zu bytes left in the socket, want %zu", len, n);
    if (n > 0)
        ck_assert_mem_eq(got, want, n);
}
