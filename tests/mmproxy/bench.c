/* tests/mmproxy/bench.c - load for `make bench-mmproxy` (tests/mmproxy/bench.sh).
 *
 *   bench sink PORT          server on 127.0.0.1:PORT, one connection at a
 *                            time: reads to the end of stream, closes
 *   bench pong PORT          server: reads a byte, writes one, closes
 *   bench bulk PORT MIB H    client: MIB MiB to 127.0.0.1:PORT, then its
 *                            end of stream, waits for the close; prints MiB/s
 *   bench conns PORT N H     client: N connections one after the other,
 *                            each a byte there and back; prints conns/s
 * H 1: each connection starts with a v1 header from a client address of
 * its own (203.0.113.0/24, ports 20000-59999), for the relay; 0: none.
 * Each run starts at a place of its own in that space (from its pid): a
 * run that reused the last run's client addresses and ports would meet
 * the server's TIME_WAIT sockets of the same address pairs.
 * A benchmark, not a test: it checks that bytes arrive, not how fast. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in loop_addr(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

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

static int server(int port, int pong)
{
    struct sockaddr_in a = loop_addr(port);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0) {
        perror("bench: listen");
        return 1;
    }
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        if (pong) {
            if (read(c, buf, 1) == 1)
                write_all(c, "y", 1);
        } else {
            while (read(c, buf, sizeof buf) > 0)
                ;
        }
        close(c);
    }
}

static int dial(int port, int header, long i)
{
    struct sockaddr_in a = loop_addr(port);
    char h[64];
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bench: connect");
        exit(1);
    }
    if (header) {
        int n;
        i += (long)(getpid() % 100000) * 7919;
        n = snprintf(h, sizeof h, "PROXY TCP4 203.0.113.%ld 127.0.0.1 %ld %d\r\n",
                     1 + (i / 40000) % 250, 20000 + i % 40000, port);
        if (write_all(fd, h, (size_t)n) < 0)
            exit(1);
    }
    return fd;
}

static int bulk(int port, long mib, int header)
{
    double t0 = now(), t;
    int fd = dial(port, header, (long)getpid());
    long i;
    for (i = 0; i < mib; i++)
        if (write_all(fd, buf, sizeof buf) < 0) {
            perror("bench: write");
            return 1;
        }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof buf) > 0)
        ;
    t = now() - t0;
    printf("%.0f\n", (double)mib / t);
    return 0;
}

static int conns(int port, long n, int header)
{
    double t0 = now(), t;
    long i;
    for (i = 0; i < n; i++) {
        int fd = dial(port, header, i);
        char c;
        if (write_all(fd, "x", 1) < 0 || read(fd, &c, 1) != 1) {
            fprintf(stderr, "bench: connection %ld got no reply\n", i);
            return 1;
        }
        close(fd);
    }
    t = now() - t0;
    printf("%.0f\n", (double)n / t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "sink") == 0)
        return server(atoi(argv[2]), 0);
    if (argc == 3 && strcmp(argv[1], "pong") == 0)
        return server(atoi(argv[2]), 1);
    if (argc == 5 && strcmp(argv[1], "bulk") == 0)
        return bulk(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
    if (argc == 5 && strcmp(argv[1], "conns") == 0)
        return conns(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: see tests/mmproxy/bench.c\n");
    return 2;
}
