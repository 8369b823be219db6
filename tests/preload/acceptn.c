/*
 * preload-acceptn: counts what accepting costs, for tests/preload/robust.sh
 * and `make bench-preload` (issue 13, D4). A server as nginx accepts: a
 * non-blocking listener on 127.0.0.1:PORT in a level-triggered epoll set,
 * accept4(SOCK_NONBLOCK) until EAGAIN on each wake-up. Each connection is
 * closed as soon as it is accepted.
 *
 *   preload-acceptn PORT N
 *
 * prints "ready", waits for a line on stdin (the clients have connected
 * and sent their header by then), calls getppid() (a marker for strace),
 * accepts N connections, calls getppid() again and prints "accepted N".
 * Under strace, the system calls between the two markers are the cost of
 * N accepts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    struct epoll_event ev;
    char line[16];
    int lfd, ep, n, got = 0, one = 1;

    if (argc != 3)
        return 2;
    n = atoi(argv[2]);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0) {
        perror("listen");
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
        perror("epoll");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL)
        return 1;
    (void)getppid();
    while (got < n) {
        struct epoll_event evs[8];
        if (epoll_wait(ep, evs, 8, 5000) <= 0)
            break;
        for (;;) {
            int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
            if (fd < 0)
                break;
            close(fd);
            got++;
        }
    }
    (void)getppid();
    printf("accepted %d\n", got);
    return got == n ? 0 : 1;
}
