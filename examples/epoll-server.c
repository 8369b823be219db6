/* epoll-server: the model for production use. One thread, non-blocking
 * sockets, epoll; thousands of concurrent connections behind a PROXY
 * protocol (v1/v2) load balancer. Each connection:
 *
 *   accept4 -> policy check -> READ_HEADER -> READ_REQUEST -> WRITE_RESPONSE
 *           -> DRAIN -> close
 *
 * and is answered like examples/http-server.c ("IP = CLIENT_IP:PORT"), so an
 * HTTP load generator can drive it. One log line per connection on stdout,
 * in examples/echo-server.c's format (--quiet for benchmarks):
 *
 *   conn client=IP:PORT server=IP:PORT proxy=v1|v2|none cmd=PROXY|LOCAL|UNKNOWN [TLVs]
 *   reject peer=IP:PORT error=PROXYPROTO_ERR_... msg="..."
 *
 * Design choices:
 *  - Level-triggered epoll: a handler may stop early (fairness, a full
 *    buffer) and is simply called again; nothing is lost.
 *  - The header is read with proxyproto_conn_read(), which peeks and then
 *    takes exactly the header: the HTTP request stays in the socket and is
 *    read by the next state like on any connection without a header. Its
 *    deadline is one entry in the header phase's timer list, for the whole
 *    header: bytes that trickle in do not extend it. Lines marked PP exist
 *    for the PROXY protocol only (README: "Example servers").
 *  - Timeouts without a heap or timer wheel: each phase has a fixed timeout
 *    (header: --header-timeout, request and response: 10 s, lingering close:
 *    1 s), and a connection entering a phase is appended to that phase's
 *    FIFO list with deadline now + timeout. Entries of one list all share
 *    the same timeout, so each list is sorted by deadline: the next deadline
 *    is at one of three heads (epoll_wait's timeout), and expiry pops heads.
 *    Every operation is O(1). Every live connection is in exactly one list,
 *    so the lists also find every descriptor to close at exit.
 *  - A header that times out, is invalid, or comes from an untrusted peer
 *    is logged (reject ...) and closed; never served without a header
 *    (unless --allow-untrusted, for peers outside --trusted only).
 *  - --max-conns: at the limit the listener leaves the epoll set (the kernel
 *    backlog queues newcomers) and returns when a connection closes; out of
 *    descriptors (EMFILE), it pauses for a second instead of spinning.
 *    RLIMIT_NOFILE is raised to fit --max-conns when the hard limit allows.
 *  - Memory: one malloc per connection (its struct, the proxyproto_conn
 *    with its 1 KiB for the header, and a 4 KiB buffer for the request),
 *    freed on close. A header larger than PROXYPROTO_CONN_BUF (client
 *    certificates in TLVs) gets PROXYPROTO_ERR_HEADER_TOO_BIG: give such
 *    headers a buffer with proxyproto_conn_use_buffer().
 *  - Lingering close: after the response, shutdown(SHUT_WR) and read until
 *    the client closes (at most 1 s), so that unread request bytes do not
 *    turn close() into a reset that destroys the response in flight.
 *  - Linux only (epoll, accept4). Stop with SIGINT/SIGTERM: every
 *    connection is closed and freed, and counters are printed on stderr
 *    (connections accepted, with the header phase done, answered). */
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, SOCK_CLOEXEC */
#define PROG "epoll-server"
#define DEFAULT_LISTEN "127.0.0.1:8082"
#include "example_common.h"

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define BUF_SIZE 4096           /* the header, then the request's head */
#define REQUEST_TIMEOUT_MS 10000
#define LINGER_MS 1000
#define MAX_EVENTS 256
#define ACCEPT_BATCH 64         /* per wake-up: existing clients get a turn */
#define RESP_MAX (ADDR_STRLEN + 160)

enum state { READ_HEADER, READ_REQUEST, WRITE_RESPONSE, DRAIN };
enum timer { T_HEADER, T_REQUEST, T_LINGER, N_TIMERS };

struct conn {
    int fd;
    enum state state;
    enum timer timer;         /* the list it is in */
    long long deadline;       /* monotonic ms */
    struct conn *prev, *next; /* in timers[timer] */
    int want_out;             /* registered for EPOLLOUT */
    proxyproto_conn pp;       /* the header phase */                   /* PP */
    size_t len;               /* request bytes in buf; response bytes sent */
    size_t resp_len;
    char resp[RESP_MAX];
    unsigned char buf[BUF_SIZE];
};

static struct ex_config cfg;

static struct {
    int ep, lfd;
    int n_conns;
    int accepting;           /* the listener is in the epoll set */
    long long paused_until;  /* after EMFILE */
    struct { struct conn *head, *tail; int ms; } timers[N_TIMERS];
    unsigned long long accepted, conns, served; /* refused: the reject lines */
} S;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "Event-driven (epoll) HTTP server behind a PROXY protocol (v1/v2)\n"
          "load balancer: answers every request with 'IP = CLIENT_IP:PORT'.\n"
          "Logs one line per connection on stdout:\n"
          EX_HELP_LOG_LINES
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8082 or [::1]:8082 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Other peers are closed.\n"
          EX_HELP_HEADER_TIMEOUT
          "  --max-conns N         concurrent connections (default 10000); more\n"
          "                        wait in the kernel's backlog\n"
          "  --quiet               no per-connection log (for benchmarks)\n"
          EX_HELP_ALLOW_UNTRUSTED
          EX_HELP_HELP,
          out);
}

/* ---- deadlines: one sorted FIFO per phase --------------------------------- */

static void timer_unlink(struct conn *c)
{
    if (c->prev == NULL && S.timers[c->timer].head != c)
        return; /* in no list yet */
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        S.timers[c->timer].head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        S.timers[c->timer].tail = c->prev;
    c->prev = c->next = NULL;
}

/* Appends at the tail: now + ms is no earlier than any deadline already in
 * the list, all set with the same ms, so the list stays sorted. */
static void timer_set(struct conn *c, enum timer t, long long now)
{
    timer_unlink(c);
    c->timer = t;
    c->deadline = now + S.timers[t].ms;
    c->prev = S.timers[t].tail;
    if (c->prev != NULL)
        c->prev->next = c;
    else
        S.timers[t].head = c;
    S.timers[t].tail = c;
}

/* Closes c; rc < 0: its header phase failed (rc says why), logged. */
static void conn_close(struct conn *c, int rc)
{
    if (rc < 0)                                                          /* PP */
        ex_log_reject(&c->pp, rc);                                       /* PP */
    timer_unlink(c);
    close(c->fd); /* also takes it out of the epoll set */
    free(c);
    S.n_conns--;
}

/* epoll_wait's timeout: until the earliest deadline, at most 1 s (the stop
 * flag set by a signal that arrives just before epoll_wait is seen then). */
static int wait_ms(long long now)
{
    long long next = now + 1000;
    int t;

    for (t = 0; t < N_TIMERS; t++)
        if (S.timers[t].head != NULL && S.timers[t].head->deadline < next)
            next = S.timers[t].head->deadline;
    if (!S.accepting && S.paused_until > now && S.paused_until < next)
        next = S.paused_until;
    return next > now ? (int)(next - now) : 0;
}

static void expire(long long now)
{
    int t;

    for (t = 0; t < N_TIMERS; t++) {
        while (S.timers[t].head != NULL && S.timers[t].head->deadline <= now) {
            struct conn *c = S.timers[t].head;
            /* Later phases end quietly: logged already. */
            conn_close(c, c->state == READ_HEADER ? PROXYPROTO_ERR_TIMEOUT : 0);
        }
    }
}

/* ---- the states ------------------------------------------------------------ */

static void set_events(struct conn *c, uint32_t events)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(S.ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = (events & EPOLLOUT) != 0;
}

/* Read and discard until the client closes (or the linger deadline). */
static void drain(struct conn *c)
{
    char tmp[4096];
    int i;

    for (i = 0; i < 16; i++) { /* then let others run; epoll calls again */
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_close(c, 0); /* closed by the client, or an error */
        return;
    }
}

static void write_response(struct conn *c, long long now)
{
    while (c->len < c->resp_len) {
        ssize_t n = send(c->fd, c->resp + c->len, c->resp_len - c->len,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c->len += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out)
                set_events(c, EPOLLOUT); /* rare: ~150 bytes */
            return;
        } else if (n < 0 && errno != EINTR) {
            conn_close(c, 0);
            return;
        }
    }
    S.served++;
    shutdown(c->fd, SHUT_WR);
    if (c->want_out)
        set_events(c, EPOLLIN);
    c->state = DRAIN;
    timer_set(c, T_LINGER, now);
    drain(c);
}

static void start_response(struct conn *c, long long now, int ok)
{
    static const char bad[] = EX_HTTP_400;

    if (!ok) {
        memcpy(c->resp, bad, sizeof bad - 1);
        c->resp_len = sizeof bad - 1;
    }
    c->state = WRITE_RESPONSE;
    c->len = 0;
    write_response(c, now);
}

static void read_request(struct conn *c, long long now)
{
    while (c->len < sizeof c->buf) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        size_t from = c->len >= 2 ? c->len - 2 : 0; /* a split "\n\r\n" */

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) { /* closed without a (whole) request: a health check */
            conn_close(c, 0);
            return;
        }
        c->len += (size_t)n;
        if (ex_head_complete(c->buf, from, c->len)) {
            start_response(c, now, 1);
            return;
        }
    }
    start_response(c, now, 0); /* head larger than the buffer */
}

/* The header is in, or was not expected (an untrusted peer let through). */
static void header_done(struct conn *c, long long now)
{
    ex_log_conn(&c->pp); /* conn client=... (not with --quiet) */
    S.conns++;
    /* The answer is ready now; the request is read like on any connection
     * without a header: proxyproto_conn_read() left it in the socket. */
    c->resp_len = (size_t)ex_http_ok(c->resp, sizeof c->resp,
                                     proxyproto_conn_client(&c->pp));
    c->state = READ_REQUEST;
    c->len = 0;
    timer_set(c, T_REQUEST, now);
    read_request(c, now); /* it may have come with the header */
}

static void on_event(struct conn *c, long long now)
{
    int rc;

    switch (c->state) {
    case READ_HEADER: /* the first state: 0 */                           /* PP */
        if ((rc = proxyproto_conn_read(&c->pp)) >= 0) /* no payload taken */ /* PP */
            header_done(c, now);                                         /* PP */
        else if (rc != PROXYPROTO_INCOMPLETE) /* else: wait for epoll */ /* PP */
            conn_close(c, rc);                                           /* PP */
        break;                                                           /* PP */
    case READ_REQUEST:
        read_request(c, now);
        break;
    case WRITE_RESPONSE:
        write_response(c, now);
        break;
    case DRAIN:
        drain(c);
        break;
    }
}

/* ---- accepting ---------------------------------------------------------- */

static void open_conn(int fd, const struct sockaddr_storage *peer,
                      long long now)
{
    struct epoll_event ev;
    struct conn *c = malloc(sizeof *c);

    if (c == NULL) {
        close(fd);
        return;
    }
    memset(c, 0, offsetof(struct conn, resp)); /* not the buffers */
    c->fd = fd;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        free(c);
        return;
    }
    S.n_conns++;
    /* The trust check; the header's deadline starts now. An untrusted
     * peer's error comes back from the first read, at once. */
    proxyproto_conn_init(&c->pp, fd, &cfg.policy, (const struct sockaddr *)peer); /* PP */
    timer_set(c, T_HEADER, now);                                         /* PP */
    on_event(c, now); /* load balancers send the header at once: often in */
}

static void accept_some(long long now)
{
    int i;

    for (i = 0; i < ACCEPT_BATCH && S.n_conns < cfg.max_conns; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(S.lfd, (struct sockaddr *)&peer, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                fprintf(stderr, PROG ": accept: %s (pausing 1 s)\n",
                        strerror(errno));
                S.paused_until = now + 1000;
            }
            return; /* EAGAIN: none left; ECONNABORTED...: next time */
        }
        S.accepted++;
        open_conn(fd, &peer, now);
    }
}

/* The listener is in the epoll set only while a connection can be taken. */
static void update_accepting(long long now)
{
    int want = S.n_conns < cfg.max_conns && now >= S.paused_until;
    struct epoll_event ev;

    if (want == S.accepting)
        return;
    memset(&ev, 0, sizeof ev);
    ev.events = want ? EPOLLIN : 0;
    ev.data.ptr = NULL; /* NULL: the listener */
    epoll_ctl(S.ep, EPOLL_CTL_MOD, S.lfd, &ev);
    S.accepting = want;
}

/* ---- main ---------------------------------------------------------------- */

/* Room for --max-conns descriptors (and a few more), if the hard limit
 * allows; otherwise --max-conns is lowered to fit. */
static void fit_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg.max_conns + 16;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want
                      ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want &&
        rl.rlim_cur > 32) {
        cfg.max_conns = (int)(rl.rlim_cur - 16);
        fprintf(stderr, PROG ": RLIMIT_NOFILE %llu: --max-conns lowered to %d\n",
                (unsigned long long)rl.rlim_cur, cfg.max_conns);
    }
}

static int open_listener(void)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    struct epoll_event ev;
    int one = 1;

    S.lfd = socket(cfg.listen.ss_family,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (S.lfd < 0)
        return -1;
    setsockopt(S.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    if (bind(S.lfd, (struct sockaddr *)&cfg.listen, cfg.listen_len) != 0 ||
        listen(S.lfd, SOMAXCONN) != 0 ||
        getsockname(S.lfd, (struct sockaddr *)&bound, &len) != 0 ||
        epoll_ctl(S.ep, EPOLL_CTL_ADD, S.lfd, &ev) != 0)
        return -1;
    S.accepting = 1;
    ex_log_listening(&bound);
    return 0;
}

int main(int argc, char **argv)
{
    struct epoll_event events[MAX_EVENTS];
    int t, rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM | EX_OPT_QUIET,
                              10000, 1000000);

    if (rc >= 0)
        return rc;
    fit_fd_limit();
    ex_catch_signals(); /* epoll_wait returns EINTR */
    S.timers[T_HEADER].ms = cfg.policy.header_timeout_ms;
    S.timers[T_REQUEST].ms = REQUEST_TIMEOUT_MS;
    S.timers[T_LINGER].ms = LINGER_MS;
    S.lfd = -1;
    S.ep = epoll_create1(EPOLL_CLOEXEC);
    if (S.ep < 0 || open_listener() != 0) {
        perror(PROG ": listen");
        rc = 1;
    }
    while (rc < 0 && !stop) {
        int i, n = epoll_wait(S.ep, events, MAX_EVENTS, wait_ms(now_ms()));
        long long now = now_ms();

        if (n < 0 && errno != EINTR) {
            perror(PROG ": epoll_wait");
            rc = 1;
        }
        for (i = 0; i < n; i++) {
            if (events[i].data.ptr == NULL)
                accept_some(now);
            else
                on_event(events[i].data.ptr, now);
        }
        expire(now);
        update_accepting(now);
    }
    for (t = 0; t < N_TIMERS; t++) /* every connection is in one list */
        while (S.timers[t].head != NULL)
            conn_close(S.timers[t].head, 0);
    if (S.lfd >= 0)
        close(S.lfd);
    if (S.ep >= 0)
        close(S.ep);
    fprintf(stderr, PROG ": accepted=%llu conn=%llu served=%llu\n",
            S.accepted, S.conns, S.served);
    return rc < 0 ? 0 : rc;
}
