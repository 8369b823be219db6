/* libuv-server: an HTTP backend on libuv behind a load balancer that speaks
 * the PROXY protocol (HAProxy send-proxy / send-proxy-v2, nginx
 * proxy_protocol, AWS NLB, ...). Every request is answered with the client's
 * address as the load balancer reported it:
 *
 *   libuv-server --listen 127.0.0.1:8084 &
 *   printf 'GET / HTTP/1.0\r\n\r\n' |
 *       proxyproto send 127.0.0.1:8084 --src 203.0.113.7:51234 --dst 127.0.0.1:8084
 *   ...
 *   IP = 203.0.113.7:51234
 *
 * libuv reads the socket itself, so the header goes through
 * proxyproto_conn_feed(): on_read() feeds each chunk until the header is in;
 * the rest of that chunk is the start of the HTTP request. A LOCAL header
 * (HAProxy's health checks) is done too, with the socket's own addresses;
 * a request may follow it (HTTP checks) or not (L4 checks just close).
 *
 * ONE timer per connection. Started right after proxyproto_conn_init() for
 * proxyproto_conn_ms_left(), it is the deadline of the WHOLE header, never
 * restarted as bytes come in: a client sending one byte a second is still
 * cut at --header-timeout, where an inactivity timeout restarted on each read
 * would keep it forever. Once the header is in, the same timer is started
 * once more, for the request (REQUEST_TIMEOUT_MS).
 *
 * Lines marked PP exist for the PROXY protocol only: without a load balancer
 * in front, a connection would have no proxyproto_conn (nor the descriptor
 * and init it takes), nothing to feed, skip or refuse. Lines that would
 * only read differently (the timer started for the request instead of the
 * header's deadline, the socket's peer in the answer) are not marked. */
#define _POSIX_C_SOURCE 200809L
#define PROG "libuv-server"
#define DEFAULT_LISTEN "127.0.0.1:8084"
#include "example_common.h"

#include <uv.h>

#define REQUEST_MAX 8192         /* request line and headers */
#define REQUEST_TIMEOUT_MS 10000 /* for the request, once the header is in */
#define RESP_MAX (ADDR_STRLEN + 160)

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;       /* the header's deadline, then the request's */
    uv_write_t write;
    uv_shutdown_t shutdown;
    int handles;            /* tcp and timer until closed; then freed */
    size_t len;             /* request bytes in req */
    size_t resp_len;        /* 0 until the answer is ready */
    char resp[RESP_MAX];
    char req[REQUEST_MAX];
    proxyproto_conn pp;                                               /* PP */
};

static struct ex_config cfg;
static uv_loop_t loop;
static uv_tcp_t server;
static uv_signal_t sig_int, sig_term;
static int n_conns;
static int waiting; /* at --max-conns: a connection is left to accept */

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "HTTP server on libuv behind a PROXY protocol (v1/v2) load balancer:\n"
          "answers every request with 'IP = CLIENT_IP:PORT'. Logs one line per\n"
          "connection on stdout:\n"
          EX_HELP_LOG_LINES
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8084 or [::1]:8084 (default "
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

/* ---- one connection ------------------------------------------------------ */

static void on_connection(uv_stream_t *listener, int status);

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;

    if (--c->handles > 0)
        return;
    free(c);
    if (n_conns-- == cfg.max_conns && waiting &&
        !uv_is_closing((uv_handle_t *)&server))
        on_connection((uv_stream_t *)&server, 0); /* the one left waiting */
}

/* Closes c; rc < 0 before the header's end: refused, and logged. */
static void conn_close(struct conn *c, int rc)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    if (rc < 0 && c->resp_len == 0)                                   /* PP */
        ex_log_reject(&c->pp, rc);                                    /* PP */
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
}

static void on_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;

    conn_close(c, PROXYPROTO_ERR_TIMEOUT); /* logged if the header's */
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    conn_close(req->data, 0);
}

/* Sends resp[0..n) (which stays valid until the close), then closes. */
static void respond(struct conn *c, const char *resp, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)resp, (unsigned int)n);
    uv_stream_t *s = (uv_stream_t *)&c->tcp;

    uv_read_stop(s);
    if (uv_write(&c->write, s, &b, 1, NULL) != 0 ||
        uv_shutdown(&c->shutdown, s, on_shutdown) != 0) /* after the write */
        conn_close(c, 0);
}

/* libuv reads straight into the free end of req. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;

    (void)suggested;
    *buf = uv_buf_init(c->req + c->len, (unsigned int)(sizeof c->req - c->len));
}

/* nread bytes at buf->base (c->req + c->len); 0: none; < 0: closed. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    size_t from = c->len >= 2 ? c->len - 2 : 0; /* "\r\n\r\n" split */
    int rc = nread < 0 ? PROXYPROTO_ERR_CLOSED                        /* PP */
                       : proxyproto_conn_feed(&c->pp, buf->base, (size_t)nread); /* PP */

    if (rc == PROXYPROTO_INCOMPLETE) /* all header so far */          /* PP */
        return;                                                       /* PP */
    if (rc < 0) { /* closed, or a header refused */
        conn_close(c, rc);
        return;
    }
    if (c->resp_len == 0) { /* the header is in: the request's turn */ /* PP */
        ex_log_conn(&c->pp);
        c->resp_len = (size_t)ex_http_ok(c->resp, sizeof c->resp,
                                         proxyproto_conn_client(&c->pp));
        uv_timer_start(&c->timer, on_timeout, REQUEST_TIMEOUT_MS, 0);
    }
    memmove(buf->base, buf->base + rc, (size_t)(nread - rc)); /* no header */ /* PP */
    c->len += (size_t)(nread - rc);
    if (ex_head_complete(c->req, from, c->len))
        respond(c, c->resp, c->resp_len);
    else if (c->len == sizeof c->req) /* a head too long */
        respond(c, EX_HTTP_400, sizeof EX_HTTP_400 - 1);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct conn *c;
    uv_os_fd_t fd;                                                    /* PP */

    waiting = n_conns == cfg.max_conns; /* libuv waits for uv_accept() */
    if (status < 0 || waiting || (c = calloc(1, sizeof *c)) == NULL)
        return;
    n_conns++;
    uv_tcp_init(&loop, &c->tcp);
    uv_timer_init(&loop, &c->timer);
    c->tcp.data = c->timer.data = c->shutdown.data = c;
    c->handles = 2;
    uv_accept(listener, (uv_stream_t *)&c->tcp); /* cannot fail here */
    /* peer NULL: the library calls getpeername(), as uv_tcp_getpeername()
     * would (libuv keeps no address from accept()). */
    uv_fileno((uv_handle_t *)&c->tcp, &fd);                           /* PP */
    proxyproto_conn_init(&c->pp, fd, &cfg.policy, NULL);              /* PP */
    uv_timer_start(&c->timer, on_timeout, proxyproto_conn_ms_left(&c->pp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    /* init's own outcome, as if nothing had been read yet: an untrusted
     * peer is refused at once (ms_left was -1: the timer is closed or
     * restarted right away). */
    on_read((uv_stream_t *)&c->tcp, 0, &(uv_buf_t){.base = c->req});  /* PP */
}

/* ---- main ---------------------------------------------------------------- */

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) /* a connection's handles point to it */
        uv_close(h, h->data != NULL ? on_closed : NULL);
}

/* SIGINT, SIGTERM: every handle is closed, so uv_run() returns. */
static void on_stop(uv_signal_t *s, int signum)
{
    (void)s;
    (void)signum;
    uv_walk(&loop, close_handle, NULL);
}

int main(int argc, char **argv)
{
    struct sockaddr_storage bound;
    int len = sizeof bound;
    int rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);

    if (rc >= 0)
        return rc;
    uv_loop_init(&loop);
    uv_tcp_init(&loop, &server);
    if ((rc = uv_tcp_bind(&server, (struct sockaddr *)&cfg.listen, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_connection)) ||
        (rc = uv_tcp_getsockname(&server, (struct sockaddr *)&bound, &len))) {
        fprintf(stderr, PROG ": listen: %s\n", uv_strerror(rc));
        return 1;
    }
    ex_log_listening(&bound);
    uv_signal_init(&loop, &sig_int);
    uv_signal_init(&loop, &sig_term);
    uv_signal_start(&sig_int, on_stop, SIGINT);
    uv_signal_start(&sig_term, on_stop, SIGTERM);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
