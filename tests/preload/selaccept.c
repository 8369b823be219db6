/*
 * preload-selaccept: a server in PostgreSQL's postmaster's manner (issue
 * 13; tests/preload/robust.sh): a blocking listener on 127.0.0.1:PORT,
 * its signals blocked except while in select(), accept() called only when
 * select said the listener was readable; SIGTERM's handler sets a flag the
 * loop checks. Each accepted connection is closed.
 *
 *   preload-selaccept PORT [sigchld]
 *
 * With "sigchld", SIGCHLD (default disposition: nothing happens) is blocked
 * for good and raised once, so that it stays pending all the while, as in
 * a server whose threads all block it: that signal is no shutdown, and
 * accept() must go on.
 *
 * prints "ready", then "accepted N" for each connection handed over, and
 * "stopped" when SIGTERM ends the loop; "accept: ..." when accept fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    struct sigaction sa;
    sigset_t block, open_set;
    int lfd, one = 1, n = 0;

    if (argc != 2 && !(argc == 3 && strcmp(argv[2], "sigchld") == 0))
        return 2;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 128) != 0) {
        perror("listen");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    if (argc == 3) { /* blocked for good, then pending for good */
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
        raise(SIGCHLD);
    }
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &open_set);
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        fd_set r;
        int rc, fd;

        FD_ZERO(&r);
        FD_SET(lfd, &r);
        sigprocmask(SIG_SETMASK, &open_set, NULL); /* signals only here */
        rc = select(lfd + 1, &r, NULL, NULL, NULL);
        sigprocmask(SIG_BLOCK, &block, NULL);
        if (rc <= 0 || stop)
            continue;
        fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            printf("accept: %s\n", strerror(errno));
            fflush(stdout);
            continue;
        }
        printf("accepted %d\n", ++n);
        fflush(stdout);
        close(fd);
    }
    printf("stopped\n");
    fflush(stdout);
    return 0;
}
