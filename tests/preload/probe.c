/*
 * preload-probe: a plain TCP echo server that knows nothing of the PROXY
 * protocol, for tests/preload/run.sh. For each connection it prints one
 * line of what the socket API tells it:
 *
 *   accept fd=5 alen=16 fam=2 port=51234 peer=203.0.113.7:51234
 *          peername=203.0.113.7:51234 sockname=198.51.100.7:443
 *          nonblock=0 cloexec=1 untouched=1
 *
 * (peer: the address accept filled in, "-" when alen says it was truncated;
 * fam/port: read from the first bytes of that buffer; untouched: the bytes
 * of the buffer past --addrlen were left alone), then echoes everything it
 * reads until the client's end of input, and closes.
 *
 *   preload-probe --listen 127.0.0.1:PORT|[::1]:PORT
 *                 [--mode block|lt|et|poll] [--call accept|accept4]
 *                 [--flags none|nb|cloexec|both] [--addrlen N]
 *
 * --mode: block  a blocking listener, accept in a loop;
 *         lt/et  a non-blocking listener in epoll, level- or edge-triggered
 *                (lt accepts once per wake-up, as nginx does; et until
 *                EAGAIN);
 *         poll   a non-blocking listener watched with poll().
 * Each connection is served by a thread of its own (made blocking).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int use_accept4 = 1, acc_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
static socklen_t addrlen_arg = sizeof(struct sockaddr_storage);

static void out(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void fmt(char *o, size_t cap, const struct sockaddr *sa)
{
    char ip[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)sa;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
        snprintf(o, cap, "%s:%u", ip, ntohs(s->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const void *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
        snprintf(o, cap, "[%s]:%u", ip, ntohs(s->sin6_port));
    } else {
        snprintf(o, cap, "family%d", sa->sa_family);
    }
}

static void *serve(void *arg)
{
    int fd = (int)(long)arg, fl = fcntl(fd, F_GETFL);
    char buf[16384];

    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf), off = 0;
        if (n <= 0)
            break;
        while (off < n) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w <= 0)
                break;
            off += w;
        }
    }
    close(fd);
    return NULL;
}

/* One accept call; 1 when a connection was taken, 0 on EAGAIN. */
static int take(int lfd)
{
    unsigned char raw[sizeof(struct sockaddr_storage)];
    struct sockaddr_storage ss;
    socklen_t alen = addrlen_arg, l2;
    char line[512], peer[80] = "-", pn[80] = "-", sn[80] = "-";
    int fd, untouched = 1;
    size_t i;
    pthread_t t;

    memset(raw, 0xAA, sizeof raw);
    if (use_accept4)
        fd = accept4(lfd, (struct sockaddr *)(void *)raw, &alen, acc_flags);
    else
        fd = accept(lfd, (struct sockaddr *)(void *)raw, &alen);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        snprintf(line, sizeof line, "accept error %s\n", strerror(errno));
        out(line);
        return 0;
    }
    for (i = addrlen_arg; i < sizeof raw; i++)
        if (raw[i] != 0xAA)
            untouched = 0;
    if (alen <= addrlen_arg) {
        memcpy(&ss, raw, alen);
        fmt(peer, sizeof peer, (struct sockaddr *)&ss);
    }
    l2 = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &l2) == 0)
        fmt(pn, sizeof pn, (struct sockaddr *)&ss);
    l2 = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l2) == 0)
        fmt(sn, sizeof sn, (struct sockaddr *)&ss);
    snprintf(line, sizeof line,
             "accept fd=%d alen=%u fam=%u port=%u peer=%s peername=%s sockname=%s "
             "nonblock=%d cloexec=%d untouched=%d\n",
             fd, (unsigned)alen, addrlen_arg >= 2 ? (unsigned)(raw[0] | raw[1] << 8) : 0,
             addrlen_arg >= 4 ? (unsigned)(raw[2] << 8 | raw[3]) : 0, peer, pn, sn,
             (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
             untouched);
    out(line);
    if (pthread_create(&t, NULL, serve, (void *)(long)fd) == 0)
        pthread_detach(t);
    else
        close(fd);
    return 1;
}

int main(int argc, char **argv)
{
    const char *listen_at = NULL, *mode = "block";
    struct sockaddr_storage ss;
    socklen_t sl;
    int i, lfd, one = 1;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen_at = argv[i + 1];
        else if (strcmp(argv[i], "--mode") == 0)
            mode = argv[i + 1];
        else if (strcmp(argv[i], "--call") == 0)
            use_accept4 = strcmp(argv[i + 1], "accept4") == 0;
        else if (strcmp(argv[i], "--flags") == 0)
            acc_flags = strcmp(argv[i + 1], "nb") == 0 ? SOCK_NONBLOCK
                      : strcmp(argv[i + 1], "cloexec") == 0 ? SOCK_CLOEXEC
                      : strcmp(argv[i + 1], "both") == 0 ? SOCK_NONBLOCK | SOCK_CLOEXEC : 0;
        else if (strcmp(argv[i], "--addrlen") == 0)
            addrlen_arg = (socklen_t)atoi(argv[i + 1]);
    }
    if (listen_at == NULL) {
        fprintf(stderr, "usage: preload-probe --listen ADDR:PORT [--mode block|lt|et|poll] "
                        "[--call accept|accept4] [--flags none|nb|cloexec|both] [--addrlen N]\n");
        return 2;
    }
    memset(&ss, 0, sizeof ss);
    if (listen_at[0] == '[') {
        struct sockaddr_in6 *s = (void *)&ss;
        char host[64];
        const char *end = strchr(listen_at, ']');
        if (end == NULL || (size_t)(end - listen_at - 1) >= sizeof host)
            return 2;
        memcpy(host, listen_at + 1, (size_t)(end - listen_at - 1));
        host[end - listen_at - 1] = '\0';
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((unsigned short)atoi(end + 2));
        if (inet_pton(AF_INET6, host, &s->sin6_addr) != 1)
            return 2;
        sl = sizeof *s;
    } else {
        struct sockaddr_in *s = (void *)&ss;
        char host[64];
        const char *colon = strrchr(listen_at, ':');
        if (colon == NULL || (size_t)(colon - listen_at) >= sizeof host)
            return 2;
        memcpy(host, listen_at, (size_t)(colon - listen_at));
        host[colon - listen_at] = '\0';
        s->sin_family = AF_INET;
        s->sin_port = htons((unsigned short)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &s->sin_addr) != 1)
            return 2;
        sl = sizeof *s;
    }
    lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 64) != 0) {
        perror("preload-probe: listen");
        return 1;
    }
    if (strcmp(mode, "block") != 0)
        fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    out("ready\n");

    if (strcmp(mode, "block") == 0) {
        for (;;)
            take(lfd);
    } else if (strcmp(mode, "poll") == 0) {
        for (;;) {
            struct pollfd p;
            p.fd = lfd;
            p.events = POLLIN;
            if (poll(&p, 1, -1) > 0)
                take(lfd);
        }
    } else {
        int et = strcmp(mode, "et") == 0, ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN | (et ? EPOLLET : 0);
        ev.data.fd = lfd;
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
            perror("preload-probe: epoll");
            return 1;
        }
        for (;;) {
            struct epoll_event evs[8];
            int n = epoll_wait(ep, evs, 8, -1), k;
            for (k = 0; k < n; k++) {
                if (evs[k].data.fd != lfd) {
                    out("epoll: event with unknown data\n");
                    continue;
                }
                if (et)
                    while (take(lfd))
                        ;
                else
                    take(lfd);
            }
        }
    }
    return 0;
}
