/* The relay's epoll loop (one per worker): accept, read the PROXY header
 * with the library's connection API, connect to the target from the
 * client's address (IP_TRANSPARENT), then splice() both ways through a
 * pipe per direction. The header and connect phases are level-triggered;
 * relaying is edge-triggered, both sides registered once for reading and
 * writing: a direction reads while its pipe has room and writes while it
 * holds bytes, until both stop with EAGAIN (or the pipe is full, or empty),
 * so no epoll_ctl() per wake-up, and a peer that cannot take more stops
 * the reading (backpressure) with nothing buffered beyond the pipes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "mmproxy.h"

/* The pipe size asked for: what one splice() may move. */
#ifndef PIPE_SIZE
#define PIPE_SIZE (1 << 20)
#endif
/* Rounds of a direction per wake-up, so one busy connection cannot starve
 * the others: one that still moves bytes after them goes on the loop's
 * `again` list and is pumped again after the next epoll_wait(0) (with
 * edge-triggered events nothing else would bring it back). */
#define PUMP_ROUNDS 16
/* Closed connections whose (empty) pipes are kept for reuse. */
#define SPARE_PIPES 64

enum { K_LISTENER, K_SIDE };
enum { S_HEADER, S_CONNECTING, S_RELAY, S_DEAD };

struct conn;

/* What an epoll event points at: a listener or one side of a connection. */
struct side {
    int kind;
    int fd;
    unsigned events;       /* registered with epoll now (0: not added) */
    struct conn *c;
};

/* One direction: bytes read from `from`, held in the pipe, written to the
 * other side. */
struct dir {
    int pipe[2];
    size_t held;           /* bytes in the pipe */
    size_t cap;            /* the pipe's size */
    int eof;               /* `from` ended (FIN) */
    int shut;              /* shutdown(SHUT_WR) passed to the other side */
};

struct conn {
    int state;
    struct side cl, sv;    /* client (the load balancer's socket), server */
    struct dir up, down;   /* client -> server, server -> client */
    long long deadline_ms; /* header, then connect, then idle */
    /* The deadline list, then (relaying, with --idle-timeout) the idle
     * list, or the free / dead list. */
    struct conn *prev, *next;
    struct conn *again_next;  /* the again list */
    int again;                /* on it */
    proxyproto_conn pc;
};

struct loop {
    const mm_options *o;
    int worker;            /* its index, for the log */
    proxyproto_policy policy;
    int ep;
    /* Connections in S_HEADER or S_CONNECTING, oldest first: every
     * deadline is "now + the same timeout", so the list is in deadline
     * order and the head's decides epoll_wait()'s timeout. */
    struct conn *head, *tail;
    /* With --idle-timeout, the relayed connections, least recently
     * active first (deadline_ms: the last activity + the timeout). */
    struct conn *ihead, *itail;
    struct conn *dead;     /* closed in this round, freed after it */
    struct conn *again;    /* to pump again (see PUMP_ROUNDS) */
    struct conn *spare;    /* records for reuse */
    long live;
    int reserve_fd;        /* given up to refuse a client when out of fds */
    int spare_pipes;       /* records in spare that hold their pipes */
};


/* ---- deadline lists ------------------------------------------------------ */

/* A connection is on one list at a time through prev/next: the header and
 * connect deadlines (head, tail), then, relaying, the idle one (ihead,
 * itail). Every deadline on a list is "now + the same timeout", so each
 * list is in deadline order. */
static void list_remove(struct conn **head, struct conn **tail, struct conn *c)
{
    if (c->prev) c->prev->next = c->next; else if (*head == c) *head = c->next;
    if (c->next) c->next->prev = c->prev; else if (*tail == c) *tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(struct conn **head, struct conn **tail, struct conn *c,
                        int ms)
{
    c->deadline_ms = now_ms() + ms;
    c->next = NULL;
    c->prev = *tail;
    if (*tail) (*tail)->next = c; else *head = c;
    *tail = c;
}

static void dl_remove(struct loop *l, struct conn *c)
{
    list_remove(&l->head, &l->tail, c);
}

static void dl_append(struct loop *l, struct conn *c)
{
    list_append(&l->head, &l->tail, c, l->policy.header_timeout_ms);
}

/* Bytes moved: the idle deadline starts again. */
static void idle_touch(struct loop *l, struct conn *c)
{
    list_remove(&l->ihead, &l->itail, c);
    list_append(&l->ihead, &l->itail, c, l->o->idle_timeout_ms);
}

/* ---- epoll interest ----------------------------------------------------- */

static void want(struct loop *l, struct side *s, unsigned ev)
{
    struct epoll_event e;
    if (s->fd < 0 || s->events == ev)
        return;
    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = s;
    if (s->events == 0 && ev != 0)
        epoll_ctl(l->ep, EPOLL_CTL_ADD, s->fd, &e);
    else if (ev == 0)
        epoll_ctl(l->ep, EPOLL_CTL_DEL, s->fd, &e);
    else
        epoll_ctl(l->ep, EPOLL_CTL_MOD, s->fd, &e);
    s->events = ev;
}

/* ---- ending a connection -------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Makes close() send a reset instead of a FIN. */
static void set_reset(int fd)
{
    struct linger lg = {1, 0};
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void conn_end(struct loop *l, struct conn *c, int reset_cl, int reset_sv)
{
    if (c->state == S_DEAD)
        return;
    if (c->state != S_RELAY)
        dl_remove(l, c);
    else if (l->o->idle_timeout_ms)
        list_remove(&l->ihead, &l->itail, c);
    /* close() takes a socket out of the epoll set (no descriptor of ours
     * shares it): no EPOLL_CTL_DEL. */
    c->cl.events = c->sv.events = 0;
    if (reset_cl) set_reset(c->cl.fd);
    if (reset_sv) set_reset(c->sv.fd);
    close_fd(&c->cl.fd);
    close_fd(&c->sv.fd);
    /* Empty pipes stay with the record for the next connection (two
     * pipe2() and fcntl() less per connection), up to SPARE_PIPES pairs. */
    if (c->up.held || c->down.held || c->up.pipe[0] < 0 ||
        l->spare_pipes >= SPARE_PIPES) {
        close_fd(&c->up.pipe[0]);
        close_fd(&c->up.pipe[1]);
        close_fd(&c->down.pipe[0]);
        close_fd(&c->down.pipe[1]);
    } else {
        l->spare_pipes++;
    }
    c->state = S_DEAD;
    /* Freed after this round's events: a later one may still point here. */
    c->next = l->dead;
    l->dead = c;
    l->live--;
}

/* ---- relaying ------------------------------------------------------------ */

/* Moves what it can from `from` to `to` through d, for up to PUMP_ROUNDS
 * rounds. Returns 1 when it stopped because every step would block (or
 * the direction is done), 0 when bytes were still moving at the last
 * round, or -1 after an error (a reset, mostly: ECONNRESET, EPIPE) on
 * `from` (*who = 0) or on `to` (*who = 1). */
static int pump(struct dir *d, const struct dir *other, int from, int to,
                int *who, int *active)
{
    int round;
    for (round = 0; round < PUMP_ROUNDS; round++) {
        int moved = 0;
        ssize_t n;
        /* Room in the pipe by bytes; splice() says EAGAIN when it is out
         * of slots instead, and then held > 0: the write below, or its
         * EPOLLOUT, brings the next read. */
        if (!d->eof && d->held < d->cap) {
            n = splice(from, NULL, d->pipe[1], NULL, d->cap - d->held,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d->held += (size_t)n;
                moved = 1;
            } else if (n == 0) {
                d->eof = 1;
                moved = 1;
            } else if (errno != EAGAIN && errno != EINTR) {
                *who = 0;
                return -1;
            }
        }
        if (d->held > 0) {
            n = splice(d->pipe[0], NULL, to, NULL, d->held,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d->held -= (size_t)n;
                moved = 1;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                *who = 1;
                return -1;
            }
        }
        if (d->eof && d->held == 0 && !d->shut) {
            /* The half-close, passed on; when the other way is over too,
             * the close() that follows sends the FIN (nothing is left
             * unread on `to`: it sent its end of stream). */
            if (!other->shut)
                shutdown(to, SHUT_WR);
            d->shut = 1;
        }
        if (!moved)
            return 1;
        *active = 1;
    }
    return 0;
}

/* An event on either side may concern either direction (EPOLLIN on one is
 * EPOLLOUT's counterpart on the other): both are pumped until they block,
 * a try that cannot move anything costs one EAGAIN. `ev` 0: a call from
 * the again list or the start. */
static void relay_event(struct loop *l, struct conn *c, struct side *s,
                        unsigned ev)
{
    int who = 0, idle_up, idle_down, active = 0;
    /* Bytes that came before a reset are passed on first: a socket's
     * error is reported by splice() only once its data is read. */
    idle_up = pump(&c->up, &c->down, c->cl.fd, c->sv.fd, &who, &active);
    if (idle_up < 0) {
        /* The reset goes to the side that did not see it. */
        conn_end(l, c, who == 1, who == 0);
        return;
    }
    idle_down = pump(&c->down, &c->up, c->sv.fd, c->cl.fd, &who, &active);
    if (idle_down < 0) {
        conn_end(l, c, who == 0, who == 1);
        return;
    }
    if (s && (ev & EPOLLERR)) {
        /* A reset on a side with nothing to move: pass it to the other. */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            conn_end(l, c, s == &c->sv, s == &c->cl);
            return;
        }
    }
    if (c->up.shut && c->down.shut) {
        conn_end(l, c, 0, 0);
        return;
    }
    if (active && l->o->idle_timeout_ms)
        idle_touch(l, c);
    if ((!idle_up || !idle_down) && !c->again) {
        c->again = 1;
        c->again_next = l->again;
        l->again = c;
    }
}

static int make_pipe(struct dir *d)
{
    int size;
    if (d->pipe[0] >= 0)
        return 0; /* kept from the record's last connection, empty */
    if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        return -1;
    /* Larger pipes move more per call; the default (64 KiB) if refused. */
    fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
    size = fcntl(d->pipe[1], F_GETPIPE_SZ);
    d->cap = size > 0 ? (size_t)size : 65536;
    return 0;
}

static void relay_start(struct loop *l, struct conn *c)
{
    char a[PROXYPROTO_ADDR_STRLEN], b[PROXYPROTO_ADDR_STRLEN];
    dl_remove(l, c);
    if (make_pipe(&c->up) < 0 || make_pipe(&c->down) < 0) {
        fprintf(stderr, "proxyproto-mmproxy: pipe: %s\n", strerror(errno));
        conn_end(l, c, 1, 1);
        return;
    }
    c->state = S_RELAY;
    if (l->o->idle_timeout_ms)
        idle_touch(l, c);
    if (l->o->verbose)
        fprintf(stderr, "proxyproto-mmproxy: relay %s (via %s, worker %d)\n",
                fmt(proxyproto_conn_client(&c->pc), a, sizeof a),
                fmt(proxyproto_conn_peer(&c->pc), b, sizeof b), l->worker);
    /* Both sides are registered edge-triggered since connect_start(): the
     * bytes that came meanwhile are taken now. */
    relay_event(l, c, NULL, 0);
}

/* ---- connecting to the target ---------------------------------------------- */

static socklen_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in);
}

/* A non-blocking socket towards the target, bound to the client's address
 * when `from` is not NULL. Returns the socket or -1 (errno). */
static int open_target(const mm_options *o, const struct sockaddr *to,
                       const struct sockaddr *from)
{
    int one = 1, fd, e;
    fd = socket(to->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &o->mark, sizeof o->mark) < 0)
        goto fail;
    if (from) {
        if (to->sa_family == AF_INET6
                ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one))
            goto fail;
        /* The client's port may still be in TIME_WAIT from its last visit. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, from, sa_len(from)) < 0)
            goto fail;
    }
    if (connect(fd, to, sa_len(to)) < 0 && errno != EINPROGRESS)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

static void connect_start(struct loop *l, struct conn *c)
{
    const proxyproto_header *h = proxyproto_conn_header(&c->pc);
    const struct sockaddr *client = proxyproto_conn_client(&c->pc);
    const struct sockaddr *from = NULL, *to;
    char a[PROXYPROTO_ADDR_STRLEN];
    int fam = client->sa_family;

    /* LOCAL (health checks), UNKNOWN, UNSPEC: the relay's own address. */
    if (h && proxyproto_use_header_addresses(h))
        from = client;
    else
        fam = l->o->has_to4 ? AF_INET : AF_INET6;
    if (fam == AF_INET && l->o->has_to4)
        to = (const struct sockaddr *)&l->o->to4;
    else if (fam == AF_INET6 && l->o->has_to6)
        to = (const struct sockaddr *)&l->o->to6;
    else {
        fprintf(stderr, "proxyproto-mmproxy: %s: no --to of that family\n",
                fmt(client, a, sizeof a));
        conn_end(l, c, 1, 0);
        return;
    }
    c->sv.fd = open_target(l->o, to, from);
    if (c->sv.fd < 0) {
        fprintf(stderr, "proxyproto-mmproxy: %s: cannot connect: %s\n",
                fmt(client, a, sizeof a), strerror(errno));
        conn_end(l, c, 1, 0);
        return;
    }
    c->state = S_CONNECTING;
    dl_remove(l, c);
    dl_append(l, c); /* a fresh deadline for the connect */
    /* For good, as relaying wants them (see the top of this file): the
     * connect's end is the server side's first EPOLLOUT (or EPOLLERR);
     * the client side's events are ignored until then, and being
     * edge-triggered they do not spin the loop meanwhile. */
    want(l, &c->cl, EPOLLIN | EPOLLOUT | EPOLLET);
    want(l, &c->sv, EPOLLIN | EPOLLOUT | EPOLLET);
}

static void connect_event(struct loop *l, struct conn *c)
{
    char a[PROXYPROTO_ADDR_STRLEN];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->sv.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0) {
        relay_start(l, c);
        return;
    }
    if (err == ECONNRESET) {
        /* The server accepted, wrote and reset before this event was
         * seen: what it wrote is passed on, then the reset (the rare path:
         * a copy through the stack is fine). */
        char buf[16384];
        ssize_t n = recv(c->sv.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            n = send(c->cl.fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
        conn_end(l, c, 1, 0);
        return;
    }
    fprintf(stderr, "proxyproto-mmproxy: %s: cannot connect: %s\n",
            fmt(proxyproto_conn_client(&c->pc), a, sizeof a), strerror(err));
    /* The client learns it as a refused connection would tell it. */
    conn_end(l, c, 1, 0);
}

/* ---- the header phase ---------------------------------------------------- */

static void refuse(struct loop *l, struct conn *c, int rc)
{
    char a[PROXYPROTO_ADDR_STRLEN];
    fprintf(stderr, "proxyproto-mmproxy: refused %s: %s\n",
            fmt(proxyproto_conn_peer(&c->pc), a, sizeof a),
            proxyproto_strerror(rc));
    conn_end(l, c, 0, 0);
}

static void header_event(struct loop *l, struct conn *c)
{
    int rc = proxyproto_conn_read(&c->pc);
    if (rc == PROXYPROTO_INCOMPLETE)
        return;
    if (rc < 0) {
        refuse(l, c, rc);
        return;
    }
    connect_start(l, c);
}

static struct conn *conn_new(struct loop *l)
{
    struct conn *c = l->spare;
    int pipes[4] = {-1, -1, -1, -1};
    size_t caps[2] = {0, 0};
    if (c) {
        l->spare = c->next;
        if (c->up.pipe[0] >= 0) {
            pipes[0] = c->up.pipe[0];
            pipes[1] = c->up.pipe[1];
            pipes[2] = c->down.pipe[0];
            pipes[3] = c->down.pipe[1];
            caps[0] = c->up.cap;
            caps[1] = c->down.cap;
            l->spare_pipes--;
        }
    } else if (!(c = malloc(sizeof *c))) {
        return NULL;
    }
    memset(c, 0, offsetof(struct conn, pc));
    c->cl.kind = c->sv.kind = K_SIDE;
    c->cl.c = c->sv.c = c;
    c->cl.fd = c->sv.fd = -1;
    c->up.pipe[0] = pipes[0];
    c->up.pipe[1] = pipes[1];
    c->down.pipe[0] = pipes[2];
    c->down.pipe[1] = pipes[3];
    c->up.cap = caps[0];
    c->down.cap = caps[1];
    return c;
}

static void accept_event(struct loop *l, int lfd)
{
    int n;
    for (n = 0; n < 64; n++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        struct conn *c;
        int fd, rc;
        memset(&peer, 0, sizeof peer);
        fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && l->reserve_fd >= 0) {
            /* Out of descriptors: the pending client would keep the
             * listener readable (a busy loop); close it with the one held
             * in reserve, and say so. */
            close(l->reserve_fd);
            fd = accept(lfd, NULL, NULL);
            if (fd >= 0)
                close(fd);
            l->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            fprintf(stderr, "proxyproto-mmproxy: out of file descriptors "
                    "(%ld connections): a client refused\n", l->live);
            return;
        }
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "proxyproto-mmproxy: accept: %s\n", strerror(errno));
            return;
        }
        if (!(c = conn_new(l))) {
            close(fd);
            continue;
        }
        c->cl.fd = fd;
        c->state = S_HEADER;
        l->live++;
        dl_append(l, c);
        rc = proxyproto_conn_init(&c->pc, fd, &l->policy,
                                  (struct sockaddr *)&peer);
        if (rc != PROXYPROTO_INCOMPLETE && rc < 0) {
            refuse(l, c, rc);
            continue;
        }
        want(l, &c->cl, EPOLLIN);
        header_event(l, c); /* the header may be in already */
    }
}

/* ---- the loop ----------------------------------------------------------- */

static void expire(struct loop *l)
{
    long long now = now_ms();
    while (l->head && l->head->deadline_ms <= now) {
        struct conn *c = l->head;
        char a[PROXYPROTO_ADDR_STRLEN];
        if (c->state == S_HEADER) {
            /* The library's own deadline is the same instant: it says so. */
            int rc = proxyproto_conn_read(&c->pc);
            if (rc >= 0) {
                connect_start(l, c);
                continue;
            }
            refuse(l, c, rc == PROXYPROTO_INCOMPLETE ? PROXYPROTO_ERR_TIMEOUT : rc);
        } else {
            fprintf(stderr, "proxyproto-mmproxy: %s: cannot connect: timed out\n",
                    fmt(proxyproto_conn_client(&c->pc), a, sizeof a));
            conn_end(l, c, 1, 0);
        }
    }
}

static int timeout(struct loop *l)
{
    long long left = -1;
    if (l->head && l->head->state == S_HEADER)
        left = proxyproto_conn_ms_left(&l->head->pc) < 0 ? 0
             : proxyproto_conn_ms_left(&l->head->pc);
    else if (l->head)
        left = l->head->deadline_ms - now_ms();
    if (l->ihead) {
        long long idle = l->ihead->deadline_ms - now_ms();
        if (left < 0 || idle < left)
            left = idle;
    }
    if (left < 0 && (l->head || l->ihead))
        return 0;
    return left > 3600000 ? 3600000 : (int)left;
}

/* Relayed connections with no byte either way for --idle-timeout: both
 * sides closed (a reset where bytes were left unread). */
static void expire_idle(struct loop *l)
{
    long long now = now_ms();
    while (l->ihead && l->ihead->deadline_ms <= now) {
        struct conn *c = l->ihead;
        char a[PROXYPROTO_ADDR_STRLEN];
        if (l->o->verbose)
            fprintf(stderr, "proxyproto-mmproxy: %s: idle for %d ms, closed\n",
                    fmt(proxyproto_conn_client(&c->pc), a, sizeof a),
                    l->o->idle_timeout_ms);
        conn_end(l, c, 0, 0);
    }
}

/* The connections that were still moving bytes when their rounds ran out,
 * once more each (those still busy go on the list for the next round).
 * Before the dead are freed: one ended after it was listed is S_DEAD. */
static void pump_again(struct loop *l)
{
    struct conn *c = l->again;
    l->again = NULL;
    while (c) {
        struct conn *next = c->again_next;
        c->again = 0;
        if (c->state == S_RELAY)
            relay_event(l, c, NULL, 0);
        c = next;
    }
}

static void dispatch(struct loop *l, struct epoll_event *e)
{
    struct side *s = e->data.ptr;
    struct conn *c = s->c;
    if (s->kind == K_LISTENER) {
        accept_event(l, s->fd);
        return;
    }
    switch (c->state) {
    case S_HEADER: header_event(l, c); break;
    case S_CONNECTING:
        if (s == &c->sv)
            connect_event(l, c);
        break;
    case S_RELAY: relay_event(l, c, s, e->events); break;
    default: break; /* closed earlier in this round */
    }
}

int mm_run(const mm_options *o, const int *lfds, int n_lfds, int worker)
{
    struct side listeners[MM_MAX_LISTEN];
    struct epoll_event ev[64];
    struct loop l;
    int i;

    memset(&l, 0, sizeof l);
    memset(listeners, 0, sizeof listeners);
    l.o = o;
    l.worker = worker;
    l.policy.trusted = o->trusted;
    l.policy.n_trusted = (size_t)o->n_trusted;
    l.policy.header_timeout_ms = o->header_timeout_ms;
    if (l.policy.header_timeout_ms <= 0)
        l.policy.header_timeout_ms = PROXYPROTO_DEFAULT_HEADER_TIMEOUT_MS;
    l.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    l.ep = epoll_create1(EPOLL_CLOEXEC);
    if (l.ep < 0) {
        perror("proxyproto-mmproxy: epoll_create1");
        return 1;
    }
    for (i = 0; i < n_lfds; i++) {
        listeners[i].kind = K_LISTENER;
        listeners[i].fd = lfds[i];
        want(&l, &listeners[i], EPOLLIN);
    }
    for (;;) {
        int n = epoll_wait(l.ep, ev, 64, l.again ? 0 : timeout(&l));
        if (n < 0 && errno != EINTR) {
            perror("proxyproto-mmproxy: epoll_wait");
            return 1;
        }
        for (i = 0; i < n; i++)
            dispatch(&l, &ev[i]);
        pump_again(&l);
        expire(&l);
        expire_idle(&l);
        while (l.dead) {
            struct conn *c = l.dead;
            l.dead = c->next;
            c->next = l.spare;
            l.spare = c;
        }
    }
}
