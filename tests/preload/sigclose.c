/*
 * preload-sigclose: the stop-on-SIGTERM pattern, many times over, for
 * tests/preload/run.sh (issue 13, D1). Each round makes a non-blocking
 * listener on 127.0.0.1 in an epoll set and calls accept4() on it in a
 * loop; a timer signal arrives while the loop is in accept, and its
 * handler closes the listener and the epoll descriptor (as a server's
 * SIGTERM handler does). A preload that holds a lock in accept and takes
 * it again in close() hangs here; the test runs this under timeout.
 *
 *   preload-sigclose [ROUNDS]     prints "rounds N" and exits 0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static volatile int lfd = -1, epfd = -1;

static void on_alarm(int sig)
{
    int e = errno;

    (void)sig;
    close(lfd);
    close(epfd);
    stop = 1;
    errno = e;
}

static int one_round(unsigned seed)
{
    struct sockaddr_in a;
    struct epoll_event ev;
    struct itimerval it;
    long spins = 0;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0)
        return -1;
    epfd = epoll_create1(0);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) != 0)
        return -1;
    stop = 0;
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 100 + (long)(seed % 900);
    setitimer(ITIMER_REAL, &it, NULL);
    while (!stop && spins < 100000000L) {
        (void)accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        spins++;
    }
    return stop ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int i, rounds = argc > 1 ? atoi(argv[1]) : 300;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    for (i = 0; i < rounds; i++)
        if (one_round((unsigned)i * 2654435761u) != 0) {
            fprintf(stderr, "round %d: %s\n", i, strerror(errno));
            return 1;
        }
    printf("rounds %d\n", rounds);
    return 0;
}
