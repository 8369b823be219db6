/* libevent-server: an HTTP backend on libevent 2.1 (evconnlistener and
 * bufferevent) behind a load balancer that speaks the PROXY protocol
 * (HAProxy send-proxy / send-proxy-v2, nginx proxy_protocol, AWS NLB, ...).
 * Every request is answered with the client's address as the load balancer
 * reported it:
 *
 *   libevent-server --listen 127.0.0.1:8083 &
 *   printf 'GET / HTTP/1.0\r\n\r\n' |
 *       proxyproto send 127.0.0.1:8083 --src 203.0.113.7:51234 --dst 127.0.0.1:8083
 *   conn client=203.0.113.7:51234 server=127.0.0.1:8083 proxy=v2 cmd=PROXY
 *   ...
 *   IP = 203.0.113.7:51234
 *
 * The bufferevent reads the socket, so the header goes through
 * proxyproto_conn_feed(): every byte read is fed until the header is in.
 * The library copies the header's bytes (they are drained from the input
 * buffer, INCOMPLETE included: never feed the same bytes twice); what
 * follows the header is the HTTP request. LOCAL headers (health checks) end
 * the header phase too, with the socket's own addresses; an L4 check that
 * closes right after its header is not an error.
 *
 * ONE timer per connection (an evtimer), armed right after
 * proxyproto_conn_init() for proxyproto_conn_ms_left(): the deadline of the
 * WHOLE header, never restarted while bytes come in, so a client sending one
 * byte a second is still cut at --header-timeout. bufferevent_set_timeouts()
 * is not used: it is an inactivity timeout, restarted on every read, which
 * would keep that client forever. Once the header is in, the same timer is
 * re-armed, once, as the deadline of the request and its answer (10 s).
 *
 * Lines marked PP exist for the PROXY protocol only (11): the
 * proxyproto_conn field; its init and the call that applies init's verdict
 * at once; the feed, its refusal (3 lines) and the drain of the header's
 * bytes; the test for the header's end; the refusal log in conn_end() (2).
 * Lines that would stay, reading differently, are not marked: the timer
 * armed for ms_left() (else for the request), the reasons the timer and the
 * bufferevent give conn_end() (else none), the answer naming
 * proxyproto_conn_client() (else the socket's peer). */
#define _POSIX_C_SOURCE 200809L
#define PROG "libevent-server"
#define DEFAULT_LISTEN "127.0.0.1:8083"
#include "example_common.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define REQUEST_MAX 8192         /* request line and headers */
#define REQUEST_TIMEOUT_MS 10000 /* request and answer, once the header is in */
#define RESP_MAX (ADDR_STRLEN + 160)

struct conn {
    struct bufferevent *bev;
    struct event *timer; /* the header's deadline, then the request's */
    int resp_len;        /* the answer is ready: 0 until then */
    char resp[RESP_MAX];
    struct conn *next;   /* in the list of those still open at exit */
    proxyproto_conn pp;                                               /* PP */
};

static struct ex_config cfg;
static struct evconnlistener *listener;
static int n_conns;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "HTTP server on libevent behind a PROXY protocol (v1/v2) load\n"
          "balancer: answers every request with 'IP = CLIENT_IP:PORT'. Logs one\n"
          "line per connection on stdout:\n"
          EX_HELP_LOG_LINES
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8083 or [::1]:8083 (default "
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

/* Out of memory ends the server (Linux overcommits: malloc rarely fails). */
static void *need(void *p)
{
    if (p == NULL) {
        fputs(PROG ": out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* Arms (or re-arms) c's timer for ms milliseconds; at once if ms < 0. */
static void arm(struct conn *c, int ms)
{
    struct timeval tv;

    tv.tv_sec = ms > 0 ? ms / 1000 : 0;
    tv.tv_usec = ms > 0 ? ms % 1000 * 1000 : 0;
    evtimer_add(c->timer, &tv);
}

/* ---- one connection ------------------------------------------------------ */

/* Closes and frees c. rc < 0: why; before the answer is ready (the header
 * is not in), that is a refusal, and logged. */
static void conn_end(struct conn *c, int rc)
{
    if (rc < 0 && c->resp_len == 0)                                   /* PP */
        ex_log_reject(&c->pp, rc);                                    /* PP */
    event_free(c->timer);
    bufferevent_free(c->bev);
    free(c);
    if (n_conns-- == cfg.max_conns)
        evconnlistener_enable(listener);
}

/* A deadline passed: the header's (a refusal), or the request's. */
static void on_timer(evutil_socket_t fd EX_UNUSED, short what EX_UNUSED,
                     void *c)
{
    conn_end(c, PROXYPROTO_ERR_TIMEOUT);
}

/* The answer is out (to the kernel). */
static void on_written(struct bufferevent *bev EX_UNUSED, void *c)
{
    conn_end(c, 0);
}

/* The peer closed (EOF) or failed (ECONNRESET ...). */
static void on_event(struct bufferevent *bev EX_UNUSED, short what, void *c)
{
    conn_end(c, what & BEV_EVENT_EOF ? PROXYPROTO_ERR_CLOSED : PROXYPROTO_ERR_SYSTEM);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    static const char bad_request[] = EX_HTTP_400;
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len = evbuffer_get_length(in);
    int rc = proxyproto_conn_feed(&c->pp, evbuffer_pullup(in, -1), len); /* PP */
    int head;

    if (rc < 0 && rc != PROXYPROTO_INCOMPLETE) { /* not a valid header */ /* PP */
        conn_end(c, rc);                                              /* PP */
        return;                                                       /* PP */
    }
    evbuffer_drain(in, rc < 0 ? len : (size_t)rc); /* the header's part */ /* PP */
    if (rc >= 0 && c->resp_len == 0) { /* the header just ended */    /* PP */
        ex_log_conn(&c->pp);
        c->resp_len = ex_http_ok(c->resp, sizeof c->resp, proxyproto_conn_client(&c->pp));
        arm(c, REQUEST_TIMEOUT_MS);
    }
    if ((len = evbuffer_get_length(in)) > REQUEST_MAX)
        len = REQUEST_MAX; /* no end of the head within it: 400 */
    head = ex_head_complete(evbuffer_pullup(in, (ev_ssize_t)len), 0, len);
    if (!head && len < REQUEST_MAX)
        return; /* wait for the rest of the header or of the request's head */
    bufferevent_disable(bev, EV_READ);
    bufferevent_setcb(bev, NULL, on_written, on_event, c);
    if (head)
        bufferevent_write(bev, c->resp, (size_t)c->resp_len);
    else
        bufferevent_write(bev, bad_request, sizeof bad_request - 1);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *peer, int len EX_UNUSED,
                      void *arg EX_UNUSED)
{
    struct event_base *base = evconnlistener_get_base(l);
    struct conn *c = need(calloc(1, sizeof *c));

    c->bev = need(bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE));
    c->timer = need(evtimer_new(base, on_timer, c));
    if (++n_conns == cfg.max_conns)
        evconnlistener_disable(l); /* until one closes */
    proxyproto_conn_init(&c->pp, fd, &cfg.policy, peer);              /* PP */
    arm(c, proxyproto_conn_ms_left(&c->pp));
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ);
    /* init's own outcome, at once: an untrusted peer is refused; one let
     * through by --allow-untrusted is done (ms_left() was -1 for both). */
    on_read(c->bev, c);                                               /* PP */
}

/* ---- main ---------------------------------------------------------------- */

/* For event_base_foreach_event() at exit: every open connection has its
 * timer pending; they are chained in *list. */
static int collect(const struct event_base *base EX_UNUSED,
                   const struct event *ev, void *list)
{
    struct conn *c = event_get_callback_arg(ev);

    if (event_get_callback(ev) == on_timer) {
        c->next = *(struct conn **)list;
        *(struct conn **)list = c;
    }
    return 0;
}

static void on_stop(evutil_socket_t sig EX_UNUSED, short what EX_UNUSED,
                    void *base)
{
    event_base_loopexit(base, NULL);
}

int main(int argc, char **argv)
{
    struct event_base *base;
    struct event *sig_int, *sig_term;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    struct conn *open = NULL;
    int rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);

    if (rc >= 0)
        return rc;
    signal(SIGPIPE, SIG_IGN); /* a write to a closed peer: EPIPE instead */
    base = need(event_base_new());
    listener = evconnlistener_new_bind(
        base, on_accept, NULL,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
        SOMAXCONN, (struct sockaddr *)&cfg.listen, (int)cfg.listen_len);
    if (listener == NULL ||
        getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&bound,
                    &len) != 0) {
        perror(PROG ": listen");
        return 1;
    }
    ex_log_listening(&bound);
    sig_int = need(evsignal_new(base, SIGINT, on_stop, base));
    sig_term = need(evsignal_new(base, SIGTERM, on_stop, base));
    event_add(sig_int, NULL);
    event_add(sig_term, NULL);
    event_base_dispatch(base);
    event_base_foreach_event(base, collect, &open); /* still open: closed */
    while (open != NULL) {
        struct conn *c = open;
        open = c->next;
        conn_end(c, 0);
    }
    event_free(sig_int);
    event_free(sig_term);
    evconnlistener_free(listener);
    event_base_free(base);
    libevent_global_shutdown();
    return 0;
}
