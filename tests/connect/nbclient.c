/*
 * tests/connect/nbclient.c - a client that knows nothing of PROXY, for
 * tests/connect/run.sh: connects to ADDR PORT, sends REQUEST the way MODE
 * says, copies the reply to stdout until the peer closes, and says on
 * stderr what its first early send got.
 *
 *   connect-nbclient ADDR PORT MODE REQUEST
 *
 * MODE:
 *   poll      non-blocking connect (EINPROGRESS), poll for writable, write
 *             (no SO_ERROR: the send itself must carry the header first)
 *   early     non-blocking connect, then send at once, before the
 *             connection is up (prints "early: EAGAIN" or what it got),
 *             then poll and send
 *   readfirst non-blocking connect, poll, getsockopt(SO_ERROR), then wait
 *             to read (a server that speaks first), then send REQUEST
 *   confirm   non-blocking connect, poll, getsockopt(SO_ERROR), then
 *             connect() twice more (0, then EISCONN: how some clients
 *             learn that they are connected), then write
 *   writev, sendmsg, sendto, sendfile: non-blocking connect, poll, then
 *             that call
 *   block     blocking connect, then write
 *   nodelay   as poll, with TCP_NODELAY set before connect
 *   eintr     blocking connect interrupted by a SIGALRM after 300 ms
 *             (prints "eintr: EINTR" or what it got), then write at once
 *             (a blocking write waits for the connection)
 *   retry     first a non-blocking connect to port $NB_REFUSED (nothing
 *             listens: ECONNREFUSED), then the same socket to ADDR PORT
 * Every mode that writes checks that TCP_NODELAY is still what the client
 * set (the preload turns it on for the first send only).
 *   fastopen  no connect: sendto(MSG_FASTOPEN) with the address
 *   storm     200 connections one after another, non-blocking, under a
 *             SIGALRM every 100 us whose handler sends 0 bytes on the
 *             socket being set up (so it may write the owed header from
 *             inside the handler, or find it being written); each reply
 *             must begin with the connection's own "ADDR:PORT " (HAProxy
 *             answering %[src]:%[src_port]); prints "storm: N ok, M bad".
 *             NB_ALARM_US=999999 all but turns the signals off (the
 *             README's 200-connection timings were taken so).
 * Exit 0 when the reply ended normally, 1 otherwise. Every wait is
 * bounded (5 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static int wait_for(int fd, short ev)
{
    struct pollfd p;

    p.fd = fd;
    p.events = ev;
    return poll(&p, 1, 5000) == 1 ? 0 : -1;
}

/* The whole of buf[0..n) with the call MODE names. */
static int send_all(int fd, const char *mode, const char *buf, size_t n)
{
    ssize_t w;

    while (n > 0) {
        if (strcmp(mode, "writev") == 0) {
            struct iovec iov[2];
            iov[0].iov_base = (void *)buf;
            iov[0].iov_len = n / 2;
            iov[1].iov_base = (void *)(buf + n / 2);
            iov[1].iov_len = n - n / 2;
            w = writev(fd, iov, 2);
        } else if (strcmp(mode, "sendmsg") == 0) {
            struct iovec iov;
            struct msghdr m;
            memset(&m, 0, sizeof m);
            iov.iov_base = (void *)buf;
            iov.iov_len = n;
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            w = sendmsg(fd, &m, 0);
        } else if (strcmp(mode, "sendto") == 0) {
            w = sendto(fd, buf, n, 0, NULL, 0);
        } else if (strcmp(mode, "sendfile") == 0) {
            char path[] = "/tmp/nbclient.XXXXXX";
            int t = mkstemp(path);
            off_t o = 0;
            if (t < 0 || write(t, buf, n) != (ssize_t)n)
                return -1;
            unlink(path);
            w = sendfile(fd, t, &o, n);
            if (w < 0 && errno == EAGAIN) {
                close(t);
                if (wait_for(fd, POLLOUT) < 0)
                    return -1;
                continue;
            }
            close(t);
            if (w != (ssize_t)n)
                return -1;
            return 0;
        } else {
            w = write(fd, buf, n);
        }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_for(fd, POLLOUT) < 0)
                return -1;
            continue;
        }
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int copy_reply(int fd)
{
    char buf[4096];
    ssize_t r;

    for (;;) {
        if (wait_for(fd, POLLIN) < 0)
            return -1;
        r = read(fd, buf, sizeof buf);
        if (r == 0)
            return 0;
        if (r < 0 && errno == EAGAIN)
            continue;
        if (r < 0)
            return -1;
        fwrite(buf, 1, (size_t)r, stdout);
    }
}

static volatile sig_atomic_t cur_fd = -1;

static void on_alarm_noop(int sig)
{
    (void)sig;
}

/* SIGALRM once, after ms, with a handler that does nothing and no
 * SA_RESTART: the call it interrupts fails with EINTR. */
static void alarm_in(int ms)
{
    struct sigaction sa;
    struct itimerval it;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm_noop;
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = ms * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void on_alarm(int sig)
{
    int e = errno, fd = cur_fd;

    (void)sig;
    if (fd >= 0)
        (void)send(fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL);
    errno = e;
}

/* One connection of the storm: 1 when the reply names its own source. */
static int storm_one(const struct sockaddr_storage *ss, socklen_t len, const char *req)
{
    struct sockaddr_in me;
    socklen_t mlen = sizeof me;
    char want[64], got[4096];
    size_t n = 0, off = 0, rl = strlen(req);
    ssize_t r;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ok;

    if (fd < 0)
        return 0;
    cur_fd = fd;
    while (connect(fd, (const struct sockaddr *)ss, len) != 0 && errno != EISCONN) {
        if (errno != EINPROGRESS && errno != EALREADY && errno != EINTR)
            goto out;
        if (wait_for(fd, POLLOUT) < 0 && errno != EINTR)
            goto out;
    }
    while (off < rl) {
        r = write(fd, req + off, rl - off);
        if (r > 0)
            off += (size_t)r;
        else if (r < 0 && (errno == EAGAIN || errno == EINTR))
            (void)wait_for(fd, POLLOUT);
        else
            goto out;
    }
    for (;;) {
        r = read(fd, got + n, sizeof got - 1 - n);
        if (r > 0 && (n += (size_t)r) < sizeof got - 1)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            (void)wait_for(fd, POLLIN);
            continue;
        }
        break;
    }
    got[n] = '\0';
    if (getsockname(fd, (struct sockaddr *)&me, &mlen) != 0)
        goto out;
    snprintf(want, sizeof want, "\r\n\r\n%s:%u ", inet_ntoa(me.sin_addr),
             (unsigned)ntohs(me.sin_port));
    ok = strstr(got, want) != NULL;
    cur_fd = -1;
    close(fd);
    return ok;
out:
    cur_fd = -1;
    close(fd);
    return 0;
}

static int storm(const struct sockaddr_storage *ss, socklen_t len, const char *req)
{
    struct sigaction sa;
    struct itimerval it;
    int i, good = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: calls see EINTR */
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof it);
    it.it_interval.tv_usec = getenv("NB_ALARM_US") ? atoi(getenv("NB_ALARM_US")) : 100;
    it.it_value.tv_usec = it.it_interval.tv_usec;
    setitimer(ITIMER_REAL, &it, NULL);
    for (i = 0; i < 200; i++)
        good += storm_one(ss, len, req);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    printf("storm: %d ok, %d bad\n", good, 200 - good);
    return good == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    socklen_t len;
    const char *mode, *req;
    int fd, block, err = 0;
    socklen_t elen = sizeof err;

    if (argc != 5) {
        fprintf(stderr, "usage: connect-nbclient ADDR PORT MODE REQUEST\n");
        return 2;
    }
    mode = argv[3];
    req = argv[4];
    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)atoi(argv[2]));
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)atoi(argv[2]));
        len = sizeof *s6;
    } else {
        fprintf(stderr, "connect-nbclient: bad address %s\n", argv[1]);
        return 2;
    }
    if (strcmp(mode, "storm") == 0)
        return ss.ss_family == AF_INET ? storm(&ss, len, req) : 2;
    block = strcmp(mode, "block") == 0 || strcmp(mode, "fastopen") == 0 ||
            strcmp(mode, "eintr") == 0;
    fd = socket(ss.ss_family, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK), 0);
    if (fd < 0)
        return 1;
    if (strcmp(mode, "nodelay") == 0 &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) != 0)
        return 1;
    if (strcmp(mode, "fastopen") == 0) {
        if (sendto(fd, req, strlen(req), MSG_FASTOPEN, (struct sockaddr *)&ss, len) !=
            (ssize_t)strlen(req)) {
            perror("connect-nbclient: sendto(MSG_FASTOPEN)");
            return 1;
        }
        return copy_reply(fd) == 0 ? 0 : 1;
    }
    if (strcmp(mode, "retry") == 0) {
        unsigned short real_port = s4->sin_port;
        s4->sin_port = htons((unsigned short)atoi(getenv("NB_REFUSED") ? getenv("NB_REFUSED") : "1"));
        if ((connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) ||
            wait_for(fd, POLLOUT) < 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != ECONNREFUSED) {
            fprintf(stderr, "connect-nbclient: the first connect was not refused (%d)\n", err);
            return 1;
        }
        s4->sin_port = real_port;
        /* Linux reports the failure once more (ECONNABORTED) and resets
         * the socket; then it may connect again. */
        if (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno != ECONNABORTED) {
            fprintf(stderr, "connect-nbclient: no ECONNABORTED after the failure\n");
            return 1;
        }
    }
    if (strcmp(mode, "eintr") == 0) {
        alarm_in(300);
        if (connect(fd, (struct sockaddr *)&ss, len) == 0)
            fprintf(stderr, "eintr: connected\n");
        else
            fprintf(stderr, "eintr: %s\n", errno == EINTR ? "EINTR" : strerror(errno));
        if (send_all(fd, "write", req, strlen(req)) < 0) {
            perror("connect-nbclient: write");
            return 1;
        }
        return copy_reply(fd) == 0 ? 0 : 1;
    }
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        if (block || errno != EINPROGRESS) {
            perror("connect-nbclient: connect");
            return 1;
        }
    } else if (!block) {
        fprintf(stderr, "connect-nbclient: connect did not say EINPROGRESS\n");
    }
    if (strcmp(mode, "early") == 0) {
        ssize_t w = write(fd, req, 1);
        if (w < 0)
            fprintf(stderr, "early: %s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
        else
            fprintf(stderr, "early: sent %zd\n", w);
        if (w == 1)
            req++;
    }
    if (wait_for(fd, POLLOUT) < 0) {
        fprintf(stderr, "connect-nbclient: not writable within 5 s\n");
        return 1;
    }
    if (strcmp(mode, "readfirst") == 0 || strcmp(mode, "confirm") == 0) {
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
            fprintf(stderr, "connect-nbclient: SO_ERROR %d\n", err);
            return 1;
        }
        if (strcmp(mode, "readfirst") == 0)
            return copy_reply(fd) == 0 ? 0 : 1;
        if ((connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EISCONN) ||
            connect(fd, (struct sockaddr *)&ss, len) == 0 || errno != EISCONN) {
            perror("connect-nbclient: connect again");
            return 1;
        }
    }
    if (send_all(fd, mode, req, strlen(req)) < 0) {
        perror("connect-nbclient: send");
        return 1;
    }
    elen = sizeof err;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &err, &elen) != 0 ||
        (err != 0) != (strcmp(mode, "nodelay") == 0)) {
        fprintf(stderr, "connect-nbclient: TCP_NODELAY is %d after the first send\n", err);
        return 1;
    }
    return copy_reply(fd) == 0 ? 0 : 1;
}
