/* tests/mmproxy/peer.c - a server behind proxyproto-mmproxy that knows
 * nothing of the PROXY protocol and that no preload could reach: built
 * with -static, it accepts through syscall(SYS_accept4), not libc's
 * accept. Per connection (a child each) it prints "peer IP:PORT" (what
 * accept returned) on standard output and sends the same line to the
 * client, then:
 *   echo   echoes as it reads, until the client's end of stream;
 *   hold   reads to the client's end of stream (a half-close passed
 *          through), then sends all of it back and closes;
 *   reset  closes at once with a reset (SO_LINGER 0);
 *   stall  reads nothing until the file $PEER_GO exists (30 s at most),
 *          then reads to the end of stream like hold, and closes.
 *   udp    a UDP server instead: to each datagram it answers, to the
 *          address recvfrom() gave (syscall(SYS_recvfrom)), "peer IP:PORT"
 *          and a newline followed by the datagram, and prints the line.
 * A read or write error is printed ("read: Connection reset by peer").
 *   peer MODE ADDR PORT            (ADDR 127.0.0.1 or ::1) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void serve(int fd, const char *mode, const char *line)
{
    static char buf[1 << 16];
    char *held = NULL;
    size_t len = 0, cap = 0;
    write_all(fd, line, strlen(line));
    if (strcmp(mode, "reset") == 0) {
        struct linger lg = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
        return;
    }
    if (strcmp(mode, "stall") == 0) {
        const char *go = getenv("PEER_GO");
        int i;
        for (i = 0; i < 600 && go && access(go, F_OK) != 0; i++)
            usleep(50000);
        mode = "count";
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            printf("read: %s\n", strerror(errno));
            fflush(stdout);
            close(fd);
            return;
        }
        if (n == 0)
            break;
        if (strcmp(mode, "echo") == 0) {
            if (write_all(fd, buf, (size_t)n) < 0) {
                printf("write: %s\n", strerror(errno));
                fflush(stdout);
                close(fd);
                return;
            }
            continue;
        }
        if (strcmp(mode, "count") == 0) {
            len += (size_t)n;
            continue;
        }
        if (len + (size_t)n > cap) {
            cap = (len + (size_t)n) * 2;
            if (!(held = realloc(held, cap)))
                exit(1);
        }
        memcpy(held + len, buf, (size_t)n);
        len += (size_t)n;
    }
    printf("eof after %zu bytes\n", len);
    fflush(stdout);
    if (held)
        write_all(fd, held, len);
    close(fd);
}

static void peer_line(const struct sockaddr_storage *p, char *line, size_t cap)
{
    char ip[INET6_ADDRSTRLEN];
    if (p->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)p)->sin6_addr, ip, sizeof ip);
        snprintf(line, cap, "peer [%s]:%d\n", ip,
                 ntohs(((const struct sockaddr_in6 *)p)->sin6_port));
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)p)->sin_addr, ip, sizeof ip);
        snprintf(line, cap, "peer %s:%d\n", ip,
                 ntohs(((const struct sockaddr_in *)p)->sin_port));
    }
}

static int udp_serve(int fd)
{
    static char in[1 << 16], out[(1 << 16) + 100];
    for (;;) { /* until killed */
        struct sockaddr_storage p;
        socklen_t plen = sizeof p;
        size_t l;
        long n = syscall(SYS_recvfrom, fd, in, sizeof in, 0,
                         (struct sockaddr *)&p, &plen);
        if (n < 0)
            continue;
        peer_line(&p, out, 100);
        fputs(out, stdout);
        fflush(stdout);
        l = strlen(out);
        memcpy(out + l, in, (size_t)n);
        if (sendto(fd, out, l + (size_t)n, 0, (struct sockaddr *)&p, plen) < 0) {
            printf("sendto: %s\n", strerror(errno));
            fflush(stdout);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_storage a;
    int fd, one = 1, v6;
    socklen_t alen;
    if (argc != 4)
        return 2;
    v6 = strchr(argv[2], ':') != NULL;
    memset(&a, 0, sizeof a);
    if (v6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((unsigned short)atoi(argv[3]));
        inet_pton(AF_INET6, argv[2], &s->sin6_addr);
        alen = sizeof *s;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&a;
        s->sin_family = AF_INET;
        s->sin_port = htons((unsigned short)atoi(argv[3]));
        inet_pton(AF_INET, argv[2], &s->sin_addr);
        alen = sizeof *s;
    }
    signal(SIGCHLD, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "udp") == 0) {
        fd = socket(a.ss_family, SOCK_DGRAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, alen) < 0) {
            perror("peer: bind");
            return 1;
        }
        return udp_serve(fd);
    }
    fd = socket(a.ss_family, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, alen) < 0 || listen(fd, 64) < 0) {
        perror("peer: listen");
        return 1;
    }
    for (;;) {
        struct sockaddr_storage p;
        char line[100];
        socklen_t plen = sizeof p;
        int c = (int)syscall(SYS_accept4, fd, (struct sockaddr *)&p, &plen, 0);
        if (c < 0)
            continue;
        peer_line(&p, line, sizeof line);
        fputs(line, stdout);
        fflush(stdout);
        if (fork() == 0) {
            close(fd);
            serve(c, argv[1], line);
            _exit(0);
        }
        close(c);
    }
}
