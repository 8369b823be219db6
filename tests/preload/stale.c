/*
 * preload-stale: an address-table entry left behind by a close the preload
 * did not see is never used for the socket that gets the number next, for
 * tests/preload/robust.sh. A blocking listener on 127.0.0.1 takes a
 * connection of its own whose v1 header names 203.0.113.5:4444; the
 * accepted descriptor is closed with syscall(SYS_close) (as close_range()
 * or a libc-internal close would: the preload does not see it); a new
 * outgoing connection to the listener gets the same number, and
 * getpeername() on it must give the real peer (127.0.0.1:PORT), not the
 * header's client. Prints "accepted A reused B peer P" and exits 0 when
 * the number was reused and P is the real peer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in a, p;
    socklen_t al = sizeof a, pl = sizeof p;
    char hdr[128], ip[INET_ADDRSTRLEN];
    int lfd, c1, fd, c2, c3;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 8) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
        return 2;
    c1 = socket(AF_INET, SOCK_STREAM, 0);
    if (c1 < 0 || connect(c1, (struct sockaddr *)&a, sizeof a) != 0)
        return 2;
    snprintf(hdr, sizeof hdr, "PROXY TCP4 203.0.113.5 127.0.0.1 4444 %u\r\n",
             (unsigned)ntohs(a.sin_port));
    if (write(c1, hdr, strlen(hdr)) < 0)
        return 2;
    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return 2;
    syscall(SYS_close, fd); /* behind the preload's back */
    c2 = socket(AF_INET, SOCK_STREAM, 0); /* takes fd's number */
    if (c2 < 0 || connect(c2, (struct sockaddr *)&a, sizeof a) != 0)
        return 2;
    c3 = getpeername(c2, (struct sockaddr *)&p, &pl);
    inet_ntop(AF_INET, &p.sin_addr, ip, sizeof ip);
    printf("accepted %d reused %d peer %s:%u\n", fd, c2, c3 == 0 ? ip : "?",
           (unsigned)ntohs(p.sin_port));
    return c2 == fd && c3 == 0 && p.sin_port == a.sin_port &&
                   p.sin_addr.s_addr == htonl(INADDR_LOOPBACK)
               ? 0
               : 1;
}
