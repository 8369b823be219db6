/*
 * tests/preload/passfd.c - a pre-fork server that passes connections: the
 * parent accepts, and hands each connection over a UNIX socket
 * (SCM_RIGHTS) to a child it started with fork and exec (a fresh process,
 * as node `cluster` workers are), which asks getpeername/getsockname and
 * writes the answers to the client:
 *
 *   preload-passfd PORT N      accept N connections on 127.0.0.1:PORT
 *
 * The child writes "peer=A:P sock=A:P\n" to each client and closes it;
 * both exit after N connections. Knows nothing of PROXY: run it with the
 * preload (tests/preload/handoff.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void fmt(char *out, size_t cap, const struct sockaddr_storage *ss)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)ss;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
        port = ntohs(s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
        port = ntohs(s->sin6_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

static int send_fd(int via, int fd)
{
    char byte = 'c';
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr m;
    struct cmsghdr *cm;

    memset(&m, 0, sizeof m);
    memset(&u, 0, sizeof u);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    return sendmsg(via, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int via)
{
    char byte;
    struct iovec iov = { &byte, 1 };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr m;
    struct cmsghdr *cm;
    int fd = -1;

    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.buf;
    m.msg_controllen = sizeof u.buf;
    if (recvmsg(via, &m, MSG_CMSG_CLOEXEC) != 1)
        return -1;
    cm = CMSG_FIRSTHDR(&m);
    if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

static int child(int via, int n)
{
    while (n-- > 0) {
        struct sockaddr_storage ss;
        socklen_t len;
        char peer[80], sock[80], line[200];
        int fd = recv_fd(via), k;

        if (fd < 0)
            return 1;
        len = sizeof ss;
        if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
            snprintf(peer, sizeof peer, "error");
        else
            fmt(peer, sizeof peer, &ss);
        len = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
            snprintf(sock, sizeof sock, "error");
        else
            fmt(sock, sizeof sock, &ss);
        k = snprintf(line, sizeof line, "peer=%s sock=%s\n", peer, sock);
        if (write(fd, line, (size_t)k) != k)
            return 1;
        fprintf(stderr, "passfd child %ld: %s", (long)getpid(), line);
        close(fd);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    int lfd, sv[2], n, one = 1, st;
    pid_t pid;

    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child(atoi(argv[2]), atoi(argv[3]));
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT N\n", argv[0]);
        return 2;
    }
    n = atoi(argv[2]);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    pid = fork();
    if (pid == 0) { /* a fresh process: exec, as node's cluster does */
        char fdarg[16];
        close(sv[0]);
        snprintf(fdarg, sizeof fdarg, "%d", sv[1]);
        execl("/proc/self/exe", argv[0], "child", fdarg, argv[2], (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 16) != 0) {
        perror("listen");
        return 1;
    }
    while (n-- > 0) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0 || send_fd(sv[0], fd) != 0) {
            perror("accept/send");
            return 1;
        }
        close(fd); /* the child has its own now */
    }
    close(sv[0]);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
