/* The relay for UDP (--udp): each datagram from a trusted load balancer
 * starts with a v2 header of transport DGRAM (proxyproto(7) section 5),
 * whole. One flow per client address: a socket bound to that address
 * (IP_TRANSPARENT) and connected to the server, so the server sees the
 * client in recvfrom(), and its replies to the client reach that socket
 * through the source-address rule of the set-up; they go back to the
 * load balancer the client's last datagram came through, from the
 * listener it came in on, as they are (no header: what go-mmproxy and
 * mmproxy do). A flow ends after --udp-idle-ms without a datagram either
 * way. One epoll loop per worker, like relay.c; no allocation per
 * datagram, one record per flow (kept for reuse). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "mmproxy.h"

/* Hash buckets of the flow table (a power of two). */
#define FLOW_BUCKETS 4096
/* Datagrams taken per readable event, so one busy socket cannot starve
 * the rest (level-triggered: it comes back). */
#define BATCH 64

struct flow {
    int listener;                 /* 1: a listener's record (fd only) */
    int fd;                       /* to the server, from the client */
    int lfd;                      /* the listener replies leave from */
    int local;                    /* LOCAL header: from the relay's address */
    struct sockaddr_storage key;  /* the client (LOCAL: the load balancer) */
    struct sockaddr_storage lb;   /* where replies go */
    long long last_ms;            /* the last datagram either way */
    struct flow *hnext;           /* hash chain */
    struct flow *prev, *next;     /* idle list, least recently used first */
};

/* A worker's loop. An epoll event points at a struct flow: a flow's, or
 * one of lst, a listener's. */
struct uloop {
    const mm_options *o;
    int worker, ep;
    struct flow *buckets[FLOW_BUCKETS];
    struct flow *head, *tail;     /* the idle list */
    struct flow *spare;           /* records for reuse */
    struct flow lst[MM_MAX_LISTEN];
    long live;
    char buf[1 << 16];            /* one datagram at a time */
};


static socklen_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in);
}

/* Address and port only: the rest of a sockaddr (padding, flow info) may
 * differ between two of the same client. */
static int same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    } else {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
}

/* FNV-1a over the address and port. */
static unsigned bucket(const struct sockaddr_storage *a, int local)
{
    const unsigned char *p;
    size_t n, i;
    uint32_t h = 2166136261u ^ (uint32_t)local;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const void *)a;
        p = (const unsigned char *)&s->sin_addr;
        n = 4;
        h = (h ^ s->sin_port) * 16777619u;
    } else {
        const struct sockaddr_in6 *s = (const void *)a;
        p = (const unsigned char *)&s->sin6_addr;
        n = 16;
        h = (h ^ s->sin6_port) * 16777619u;
    }
    for (i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h & (FLOW_BUCKETS - 1);
}

/* ---- the idle list --------------------------------------------------------- */

static void idle_remove(struct uloop *l, struct flow *f)
{
    if (f->prev) f->prev->next = f->next; else l->head = f->next;
    if (f->next) f->next->prev = f->prev; else l->tail = f->prev;
    f->prev = f->next = NULL;
}

/* Activity: to the end of the list, which stays in last_ms order. */
static void touch(struct uloop *l, struct flow *f)
{
    f->last_ms = now_ms();
    if (l->tail == f)
        return;
    idle_remove(l, f);
    f->prev = l->tail;
    if (l->tail) l->tail->next = f; else l->head = f;
    l->tail = f;
}

/* ---- flows ------------------------------------------------------------------- */

static struct flow *flow_find(struct uloop *l, const struct sockaddr_storage *key,
                              int local)
{
    struct flow *f = l->buckets[bucket(key, local)];
    while (f && !(f->local == local && same(&f->key, key)))
        f = f->hnext;
    return f;
}

static void flow_end(struct uloop *l, struct flow *f, const char *why)
{
    struct flow **pp = &l->buckets[bucket(&f->key, f->local)];
    char a[PROXYPROTO_ADDR_STRLEN];
    while (*pp != f)
        pp = &(*pp)->hnext;
    *pp = f->hnext;
    idle_remove(l, f);
    close(f->fd); /* also takes it out of the epoll set */
    if (l->o->verbose)
        fprintf(stderr, "proxyproto-mmproxy: udp flow %s ended (%s, worker %d)\n",
                fmt((struct sockaddr *)&f->key, a, sizeof a), why, l->worker);
    f->hnext = l->spare;
    l->spare = f;
    l->live--;
}

/* A socket to the server's address of the client's family, bound to the
 * client (from, unless NULL), connected. Returns it or -1 (errno). */
static int open_flow_socket(const mm_options *o, const struct sockaddr *to,
                            const struct sockaddr *from)
{
    int one = 1, fd, e;
    fd = socket(to->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (o->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &o->mark, sizeof o->mark) < 0)
        goto fail;
    if (from) {
        if (to->sa_family == AF_INET6
                ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one))
            goto fail;
        if (bind(fd, from, sa_len(from)) < 0)
            goto fail;
    }
    if (connect(fd, to, sa_len(to)) < 0)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

static struct flow *flow_new(struct uloop *l, const struct sockaddr_storage *key,
                             int local, const struct sockaddr *to)
{
    struct epoll_event ev;
    struct flow *f;
    char a[PROXYPROTO_ADDR_STRLEN];
    int fd = open_flow_socket(l->o, to, local ? NULL : (const struct sockaddr *)key);
    if (fd < 0) {
        fprintf(stderr, "proxyproto-mmproxy: udp %s: cannot open a flow: %s\n",
                fmt((const struct sockaddr *)key, a, sizeof a), strerror(errno));
        return NULL;
    }
    if ((f = l->spare))
        l->spare = f->hnext;
    else if (!(f = malloc(sizeof *f))) {
        close(fd);
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->local = local;
    f->key = *key;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = f;
    epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
    f->hnext = l->buckets[bucket(key, local)];
    l->buckets[bucket(key, local)] = f;
    f->prev = l->tail;
    if (l->tail) l->tail->next = f; else l->head = f;
    l->tail = f;
    l->live++;
    if (l->o->verbose)
        fprintf(stderr, "proxyproto-mmproxy: udp flow %s%s (worker %d)\n",
                fmt((const struct sockaddr *)key, a, sizeof a),
                local ? " (LOCAL: from the relay's address)" : "", l->worker);
    return f;
}

/* ---- datagrams ---------------------------------------------------------------- */

static int trusted(const mm_options *o, const struct sockaddr *peer)
{
    int i;
    for (i = 0; i < o->n_trusted; i++)
        if (proxyproto_cidr_match(&o->trusted[i], peer))
            return 1;
    return 0;
}

/* Datagrams from untrusted peers are dropped, and said so only with -v:
 * anyone can send them, with any source address, as fast as they like. */
static void drop(struct uloop *l, const struct sockaddr_storage *peer,
                 const char *why)
{
    char a[PROXYPROTO_ADDR_STRLEN];
    if (l->o->verbose)
        fprintf(stderr, "proxyproto-mmproxy: udp dropped a datagram from %s: %s\n",
                fmt((const struct sockaddr *)peer, a, sizeof a), why);
}

/* One datagram from a load balancer: its header names the flow, the rest
 * goes to the server. */
static void from_lb(struct uloop *l, int lfd, const struct sockaddr_storage *peer,
                    size_t n)
{
    proxyproto_header h;
    struct sockaddr_storage key;
    const struct sockaddr *to;
    struct flow *f;
    int off, local;

    if (!trusted(l->o, (const struct sockaddr *)peer)) {
        drop(l, peer, proxyproto_strerror(PROXYPROTO_ERR_UNTRUSTED));
        return;
    }
    off = proxyproto_parse_datagram(&h, l->buf, n);
    if (off < 0) {
        drop(l, peer, proxyproto_strerror(off));
        return;
    }
    local = !proxyproto_use_header_addresses(&h);
    if (!local && h.transport != PROXYPROTO_TRANSPORT_DGRAM) {
        drop(l, peer, "the header's transport is not DGRAM");
        return;
    }
    if (local)
        key = *peer; /* a health check: a flow per load balancer */
    else if (proxyproto_sockaddr(&h, PROXYPROTO_SOURCE, &key) < 0 ||
             (key.ss_family != AF_INET && key.ss_family != AF_INET6)) {
        drop(l, peer, "no IPv4 or IPv6 client address");
        return;
    }
    /* LOCAL: the IPv4 target when there is one, as for TCP. */
    if (local ? !l->o->has_to4 : key.ss_family == AF_INET6)
        to = l->o->has_to6 ? (const struct sockaddr *)&l->o->to6 : NULL;
    else
        to = l->o->has_to4 ? (const struct sockaddr *)&l->o->to4 : NULL;
    if (!to) {
        drop(l, peer, "no --to of the client's family");
        return;
    }
    if (!(f = flow_find(l, &key, local)) && !(f = flow_new(l, &key, local, to)))
        return;
    /* Replies follow the client's latest load balancer. */
    f->lb = *peer;
    f->lfd = lfd;
    touch(l, f);
    /* A datagram the server's socket cannot take now is lost, as it would
     * be on the network; so is one the server refused (ECONNREFUSED). */
    send(f->fd, l->buf + off, n - (size_t)off, MSG_DONTWAIT);
}

static void listener_event(struct uloop *l, int lfd)
{
    int i;
    for (i = 0; i < BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        ssize_t n;
        memset(&peer, 0, sizeof peer);
        n = recvfrom(lfd, l->buf, sizeof l->buf, MSG_DONTWAIT | MSG_TRUNC,
                     (struct sockaddr *)&peer, &plen);
        if (n < 0)
            return; /* EAGAIN, mostly */
        if ((size_t)n > sizeof l->buf) {
            drop(l, &peer, "longer than 65536 bytes");
            continue;
        }
        from_lb(l, lfd, &peer, (size_t)n);
    }
}

/* Replies from the server: back to the load balancer, as they are. */
static void flow_event(struct uloop *l, struct flow *f)
{
    int i;
    for (i = 0; i < BATCH; i++) {
        ssize_t n = recv(f->fd, l->buf, sizeof l->buf, MSG_DONTWAIT);
        if (n < 0 && errno == ECONNREFUSED)
            continue; /* an earlier datagram found no server: nothing to do */
        if (n < 0)
            return;
        touch(l, f);
        sendto(f->lfd, l->buf, (size_t)n, MSG_DONTWAIT,
               (struct sockaddr *)&f->lb, sa_len((struct sockaddr *)&f->lb));
    }
}

static int timeout(const struct uloop *l)
{
    long long left;
    if (!l->head)
        return -1;
    left = l->head->last_ms + l->o->udp_idle_ms - now_ms();
    return left < 0 ? 0 : left > 3600000 ? 3600000 : (int)left;
}

static void expire(struct uloop *l)
{
    long long now = now_ms();
    while (l->head && l->head->last_ms + l->o->udp_idle_ms <= now)
        flow_end(l, l->head, "idle");
}

int mm_run_udp(const mm_options *o, const int *lfds, int n_lfds, int worker)
{
    struct epoll_event ev[64];
    struct uloop *l = calloc(1, sizeof *l);
    int i;

    if (!l) {
        perror("proxyproto-mmproxy: udp");
        return 1;
    }
    l->o = o;
    l->worker = worker;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->ep < 0) {
        perror("proxyproto-mmproxy: epoll_create1");
        return 1;
    }
    for (i = 0; i < n_lfds; i++) {
        struct epoll_event e;
        memset(&e, 0, sizeof e);
        e.events = EPOLLIN;
        l->lst[i].listener = 1;
        l->lst[i].fd = lfds[i];
        e.data.ptr = &l->lst[i];
        epoll_ctl(l->ep, EPOLL_CTL_ADD, lfds[i], &e);
    }
    for (;;) {
        int n = epoll_wait(l->ep, ev, 64, timeout(l));
        if (n < 0 && errno != EINTR) {
            perror("proxyproto-mmproxy: epoll_wait");
            return 1;
        }
        for (i = 0; i < n; i++) {
            struct flow *f = ev[i].data.ptr;
            if (f->listener)
                listener_event(l, f->fd);
            else
                flow_event(l, f);
        }
        expire(l);
    }
}
