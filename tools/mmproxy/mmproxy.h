/* proxyproto-mmproxy: a transparent relay (see proxyproto-mmproxy(1)).
 * Shared between main.c (options, start-up), setup.c (the routing checks)
 * and relay.c (the epoll loop). */
#ifndef MMPROXY_H
#define MMPROXY_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "proxyproto.h"

#include <stdio.h>
#include <time.h>

/* Milliseconds of the monotonic clock (relay.c and udp.c time outs). */
static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An address as text for the log, "?" when it has none. */
static inline const char *fmt(const struct sockaddr *sa, char *buf, size_t cap)
{
    if (proxyproto_format_sockaddr(buf, cap, sa) < 0)
        snprintf(buf, cap, "?");
    return buf;
}

#define MM_MAX_LISTEN 16
#define MM_MAX_TRUSTED 64
#define MM_MAX_WORKERS 64
/* The routing table the set-up sends marked replies to. */
#define MM_TABLE 100

typedef struct mm_options {
    struct sockaddr_storage listen[MM_MAX_LISTEN];
    int n_listen;
    /* One target per family: to4 for IPv4 clients, to6 for IPv6 ones. */
    struct sockaddr_storage to4, to6;
    int has_to4, has_to6;
    proxyproto_cidr trusted[MM_MAX_TRUSTED];
    int n_trusted;
    int header_timeout_ms;
    int idle_timeout_ms;    /* 0: relayed TCP connections never idle out */
    unsigned mark;          /* 0: no SO_MARK */
    int workers;            /* epoll loops, each with listeners of its own */
    int udp;                /* --udp: UDP listeners and flows, no TCP */
    int udp_idle_ms;        /* a UDP flow ends after this long unused */
    int verbose;
} mm_options;

/* setup.c */
/* Writes the set-up commands for opts to out, one a line; with
 * only_missing, only those whose effect is absent now (see the man page).
 * Returns how many it wrote. */
int mm_setup_commands(const mm_options *opts, int only_missing, char *out,
                      size_t cap);
/* 0 when this process may set IP_TRANSPARENT (CAP_NET_ADMIN), else errno. */
int mm_can_transparent(void);

/* netlink.c: 1 yes, 0 no, -1 the kernel could not be asked. */
/* A rule `fwmark MARK lookup MM_TABLE` (mark not 0), or else `from SRC
 * iif lo lookup MM_TABLE`, of that family. */
int mm_has_rule(int family, unsigned mark, const struct sockaddr_storage *src);
/* A route `local default dev lo table MM_TABLE` of that family. */
int mm_has_local_route(int family);

/* relay.c */
/* Runs worker `worker`'s loop on its listening sockets until a fatal
 * error. Shares nothing with the other workers' loops. */
int mm_run(const mm_options *opts, const int *lfds, int n_lfds, int worker);

/* udp.c: the same for --udp. */
int mm_run_udp(const mm_options *opts, const int *lfds, int n_lfds, int worker);

#endif
