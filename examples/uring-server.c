/* uring-server: the HTTP backend of examples/epoll-server.c on io_uring
 * (liburing): one thread; accept, recv, send and every timeout are SQEs, no
 * epoll. Behind a PROXY protocol (v1/v2) load balancer, it answers every
 * request with the client's address as the load balancer reported it:
 *
 *   uring-server --listen 127.0.0.1:8085 &
 *   printf 'GET / HTTP/1.0\r\n\r\n' |
 *       proxyproto send 127.0.0.1:8085 --src 203.0.113.7:51234 --dst 127.0.0.1:8085
 *   ...
 *   IP = 203.0.113.7:51234
 *
 * and logs one line per connection on stdout (conn ... or reject ...).
 *
 * Each connection: accept -> header -> request head -> response -> drain
 * -> close.
 *  - The header phase is the library's proxyproto_conn: init checks the
 *    peer (only a trusted load balancer may send a header: anyone else is
 *    closed at once), then each recv's bytes are fed to it. It keeps the
 *    header's part and says where the request starts (usually in the same
 *    recv). LOCAL headers (health checks) end it with the socket's own
 *    addresses, like a PROXY header with its addresses.
 *  - Every recv and send is linked to a timeout (IOSQE_IO_LINK, then an
 *    IORING_OP_LINK_TIMEOUT): it ends with -ECANCELED if the timeout fires
 *    first. In the header phase that timeout is proxyproto_conn_ms_left(),
 *    asked again for each recv: it shrinks as time passes, so each one
 *    expires at the same instant, init + --header-timeout. A deadline, not
 *    an inactivity timeout: restarting the full timeout at each recv would
 *    let a client sending one byte a second hold its connection forever.
 *    The request head and the response then get 10 s, the lingering close
 *    1 s: deadlines too.
 *  - At most one op per connection is in flight (its recv or its send, with
 *    the linked timeout), so that op's CQE may free the connection. The
 *    linked timeouts' own CQEs (user_data UD_LINKED) are not looked at.
 *  - SIGINT and SIGTERM are blocked and read from a signalfd, by an SQE
 *    like everything else: the loop ends at once. (A handler setting a flag
 *    works too, except under valgrind, which holds signals back while
 *    io_uring_enter() waits.)
 *
 * Lines marked PP exist only for the PROXY protocol (a server whose clients
 * connected directly would not have them): the proxyproto_conn field, its
 * init, the header phase (its dispatch, the feed, a recv's end turned into
 * a reject code, the next recv by the deadline, the reject, the header's
 * bytes dropped). The answer naming proxyproto_conn_client() instead of
 * the socket's peer is a line changed, not added: not marked. */
#define _GNU_SOURCE
#define PROG "uring-server"
#define DEFAULT_LISTEN "127.0.0.1:8085"
#include "example_common.h"

#include <liburing.h>
#include <sys/signalfd.h>

#define QUEUE_DEPTH 256          /* SQEs prepared between two submissions */
#define BUF_SIZE 8192            /* the header, then the request's head */
#define REQUEST_TIMEOUT_MS 10000 /* request head and response */
#define LINGER_MS 1000           /* reading what the client still sends */
#define PAUSE_MS 1000            /* no accept after EMFILE, to let some close */
#define RESP_MAX (ADDR_STRLEN + 160)

/* user_data of the SQEs that are not a connection's recv or send (those
 * carry the struct conn pointer). */
#define UD_LINKED 0 /* a linked timeout: its op's own CQE tells */
#define UD_ACCEPT 1
#define UD_SIGNAL 2 /* SIGINT or SIGTERM */
#define UD_RESUME 3 /* the end of an accept pause */

enum phase { READING, SENDING, DRAINING };

struct conn {
    struct conn *prev, *next;    /* in S.conns: every open connection */
    int fd;
    enum phase phase;
    long long deadline;          /* of the phase, monotonic ms */
    size_t len;                  /* request bytes in buf */
    size_t sent, resp_len;
    struct __kernel_timespec ts; /* the linked timeout's, until submitted */
    proxyproto_conn pp;          /* the header phase */                 /* PP */
    char resp[RESP_MAX];
    unsigned char buf[BUF_SIZE];
};

static struct ex_config cfg;

static struct {
    struct io_uring ring;
    int lfd, sfd, n_conns;
    int accepting;               /* an accept SQE is in flight */
    int paused;                  /* after EMFILE */
    union {
        struct sockaddr sa;
        struct sockaddr_storage ss;
    } peer;                      /* the accept's */
    socklen_t peer_len;
    struct signalfd_siginfo sig; /* what the signalfd read */
    struct __kernel_timespec pause;
    struct conn *conns;
} S;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "io_uring HTTP server behind a PROXY protocol (v1/v2) load balancer:\n"
          "answers every request with 'IP = CLIENT_IP:PORT'. Logs one line per\n"
          "connection on stdout:\n"
          EX_HELP_LOG_LINES
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8085 or [::1]:8085 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Other peers are closed.\n"
          EX_HELP_HEADER_TIMEOUT
          "  --max-conns N         concurrent connections (default 256); more\n"
          "                        wait in the kernel's backlog\n"
          EX_HELP_ALLOW_UNTRUSTED
          EX_HELP_HELP,
          out);
}

/* ---- SQEs ---------------------------------------------------------------- */

/* A free SQE, with n - 1 more free after it for the same submission (a
 * linked pair must go together): submits the queued ones if need be. */
static struct io_uring_sqe *get_sqe(unsigned n)
{
    if (io_uring_sq_space_left(&S.ring) < n)
        io_uring_submit(&S.ring);
    return io_uring_get_sqe(&S.ring);
}

static void arm_accept(void)
{
    struct io_uring_sqe *sqe = get_sqe(1);

    S.peer_len = sizeof S.peer;
    io_uring_prep_accept(sqe, S.lfd, &S.peer.sa, &S.peer_len, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, UD_ACCEPT);
    S.accepting = 1;
}

/* A read of the next SIGINT or SIGTERM, which are blocked. */
static int arm_signals(void)
{
    struct io_uring_sqe *sqe;
    sigset_t sigs;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0 ||
        (S.sfd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0)
        return -1;
    sqe = get_sqe(1);
    io_uring_prep_read(sqe, S.sfd, &S.sig, sizeof S.sig, 0);
    io_uring_sqe_set_data64(sqe, UD_SIGNAL);
    return 0;
}

/* No accept for PAUSE_MS: out of descriptors, let some close. */
static void pause_accepting(void)
{
    struct io_uring_sqe *sqe = get_sqe(1);

    S.pause.tv_sec = PAUSE_MS / 1000;
    S.pause.tv_nsec = (PAUSE_MS % 1000) * 1000000LL;
    io_uring_prep_timeout(sqe, &S.pause, 0, 0);
    io_uring_sqe_set_data64(sqe, UD_RESUME);
    S.paused = 1;
}

/* c's next op -- a send of the rest of resp, or a recv into the rest of
 * buf -- linked to a timeout of ms milliseconds. */
static void arm(struct conn *c, long long ms)
{
    struct io_uring_sqe *sqe = get_sqe(2);

    if (c->phase == SENDING)
        io_uring_prep_send(sqe, c->fd, c->resp + c->sent,
                           c->resp_len - c->sent, MSG_NOSIGNAL);
    else
        io_uring_prep_recv(sqe, c->fd, c->buf + c->len,
                           sizeof c->buf - c->len, 0);
    io_uring_sqe_set_data(sqe, c);
    sqe->flags |= IOSQE_IO_LINK;
    ms = ms > 0 ? ms : 0;
    c->ts.tv_sec = ms / 1000;
    c->ts.tv_nsec = (ms % 1000) * 1000000;
    sqe = io_uring_get_sqe(&S.ring); /* get_sqe(2) left room */
    io_uring_prep_link_timeout(sqe, &c->ts, 0);
    io_uring_sqe_set_data64(sqe, UD_LINKED);
}

/* ---- one connection ------------------------------------------------------ */

/* Called only when no op of c is in flight. */
static void conn_close(struct conn *c)
{
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        S.conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    free(c);
    S.n_conns--;
}

/* n more bytes of the request at c->buf + c->len: wait for the rest of the
 * head, or answer. */
static void on_request(struct conn *c, size_t n)
{
    static const char bad[] = EX_HTTP_400;
    size_t from = c->len >= 2 ? c->len - 2 : 0; /* "\n\r\n" across recvs */
    int complete;

    c->len += n;
    complete = ex_head_complete(c->buf, from, c->len);
    if (!complete && c->len < sizeof c->buf) {
        arm(c, c->deadline - now_ms());
        return;
    }
    if (!complete) { /* a head larger than buf */
        memcpy(c->resp, bad, sizeof bad - 1);
        c->resp_len = sizeof bad - 1;
    }
    c->phase = SENDING;
    arm(c, c->deadline - now_ms());
}

/* n more bytes of the response sent. Once all are, a lingering close:
 * closing with unread input (a body, a head too large) would send a reset
 * that can destroy the response in flight; say we are done, then read
 * what the client still sends until it closes, briefly. */
static void on_sent(struct conn *c, size_t n)
{
    c->sent += n;
    if (c->sent == c->resp_len) {
        shutdown(c->fd, SHUT_WR);
        c->phase = DRAINING;
        c->len = 0;
        c->deadline = now_ms() + LINGER_MS;
    }
    arm(c, c->deadline - now_ms());
}

/* The header is in, or none was expected; the request's first n bytes are
 * at c->buf. */
static void start_request(struct conn *c, size_t n)
{
    ex_log_conn(&c->pp); /* client=, server=: the addresses to use */
    c->resp_len = (size_t)ex_http_ok(c->resp, sizeof c->resp,
                                     proxyproto_conn_client(&c->pp));
    c->deadline = now_ms() + REQUEST_TIMEOUT_MS;
    c->len = 0;
    on_request(c, n);
}

/* The header phase's result rc: of proxyproto_conn_feed() for the n bytes
 * a recv put at c->buf, or of proxyproto_conn_init() (n 0) after accept. */
static void on_header(struct conn *c, int rc, int n)                     /* PP */
{
    if (rc == PROXYPROTO_INCOMPLETE) { /* all header: recv more */       /* PP */
        arm(c, proxyproto_conn_ms_left(&c->pp)); /* the same deadline */ /* PP */
    } else if (rc < 0) { /* untrusted, not a header, closed, too slow */ /* PP */
        ex_log_reject(&c->pp, rc);                                       /* PP */
        conn_close(c);                                                   /* PP */
    } else { /* done: the request starts at c->buf + rc */
        memmove(c->buf, c->buf + rc, (size_t)(n - rc));                  /* PP */
        start_request(c, (size_t)(n - rc));
    }
}

/* The CQE of c's recv or send: res bytes, 0 when the peer closed, or
 * -errno (-ECANCELED: the linked timeout fired first). */
static void on_conn(struct conn *c, int res)
{
    if (proxyproto_conn_ms_left(&c->pp) >= 0) { /* the header is not in */ /* PP */
        on_header(c, res > 0 ? proxyproto_conn_feed(&c->pp, c->buf, (size_t)res) /* PP */
            : res == -ECANCELED ? PROXYPROTO_ERR_TIMEOUT : PROXYPROTO_ERR_CLOSED, res); /* PP */
    } else if (res <= 0) { /* closed (a health check), failed, timed out */
        conn_close(c);
    } else if (c->phase == READING) {
        on_request(c, (size_t)res);
    } else if (c->phase == SENDING) {
        on_sent(c, (size_t)res);
    } else { /* DRAINING: discard it */
        arm(c, c->deadline - now_ms());
    }
}

static void on_accept(int fd)
{
    struct conn *c;

    S.accepting = 0;
    if (fd < 0) { /* ECONNABORTED...: try again; out of descriptors: pause */
        if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
            fprintf(stderr, PROG ": accept: %s (pausing)\n", strerror(-fd));
            pause_accepting();
        }
        return;
    }
    c = calloc(1, sizeof *c); /* READING, nothing read or sent */
    if (c == NULL) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->next = S.conns;
    if (S.conns != NULL)
        S.conns->prev = c;
    S.conns = c;
    S.n_conns++;
    on_header(c, proxyproto_conn_init(&c->pp, fd, &cfg.policy, &S.peer.sa), 0); /* PP */
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct io_uring_cqe *cqe;
    int rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);

    if (rc >= 0)
        return rc;
    rc = io_uring_queue_init(QUEUE_DEPTH, &S.ring, 0);
    if (rc < 0) {
        fprintf(stderr, PROG ": io_uring_queue_init: %s\n", strerror(-rc));
        return 1;
    }
    S.lfd = ex_open_listener(&cfg);
    if (S.lfd < 0) {
        perror(PROG ": listen");
        return 1;
    }
    if (arm_signals() != 0) {
        perror(PROG ": signalfd");
        return 1;
    }
    rc = 0;
    while (!stop) {
        if (!S.accepting && !S.paused && S.n_conns < cfg.max_conns)
            arm_accept();
        rc = io_uring_submit_and_wait(&S.ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            fprintf(stderr, PROG ": io_uring_enter: %s\n", strerror(-rc));
            rc = 1;
            break;
        }
        rc = 0;
        while (io_uring_peek_cqe(&S.ring, &cqe) == 0) {
            __u64 ud = cqe->user_data;
            int res = cqe->res;

            io_uring_cqe_seen(&S.ring, cqe);
            if (ud == UD_ACCEPT)
                on_accept(res);
            else if (ud == UD_SIGNAL)
                stop = 1;
            else if (ud == UD_RESUME)
                S.paused = 0;
            else if (ud != UD_LINKED)
                on_conn((struct conn *)(uintptr_t)ud, res);
        }
    }
    /* Tearing the ring down cancels every op in flight; then the
     * connections' buffers are free to go. */
    io_uring_queue_exit(&S.ring);
    while (S.conns != NULL)
        conn_close(S.conns);
    close(S.lfd);
    close(S.sfd);
    return rc;
}
