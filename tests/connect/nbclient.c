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
 *   writev, sendmsg, sendto, sendfile: non-blocking connect, poll, then
 *             that call
 *   block     blocking connect, then write
 *   fastopen  no connect: sendto(MSG_FASTOPEN) with the address
 * Exit 0 when the reply ended normally, 1 otherwise. Every wait is
 * bounded (5 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
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
    block = strcmp(mode, "block") == 0 || strcmp(mode, "fastopen") == 0;
    fd = socket(ss.ss_family, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK), 0);
    if (fd < 0)
        return 1;
    if (strcmp(mode, "fastopen") == 0) {
        if (sendto(fd, req, strlen(req), MSG_FASTOPEN, (struct sockaddr *)&ss, len) !=
            (ssize_t)strlen(req)) {
            perror("connect-nbclient: sendto(MSG_FASTOPEN)");
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
    if (strcmp(mode, "readfirst") == 0) {
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
            fprintf(stderr, "connect-nbclient: SO_ERROR %d\n", err);
            return 1;
        }
        return copy_reply(fd) == 0 ? 0 : 1;
    }
    if (send_all(fd, mode, req, strlen(req)) < 0) {
        perror("connect-nbclient: send");
        return 1;
    }
    return copy_reply(fd) == 0 ? 0 : 1;
}
