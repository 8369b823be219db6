/* http-server: an HTTP backend behind a load balancer that speaks the PROXY
 * protocol (HAProxy send-proxy / send-proxy-v2, nginx proxy_protocol, AWS
 * NLB, ...). Every request is answered with the client's address as the load
 * balancer reported it:
 *
 *   http-server --listen 127.0.0.1:8080 &
 *   printf 'GET / HTTP/1.0\r\n\r\n' |
 *       proxyproto send 127.0.0.1:8080 --src 203.0.113.7:51234 --dst 127.0.0.1:8080
 *   ...
 *   IP = 203.0.113.7:51234
 *
 * Each connection, in a thread of its own (at most --max-conns):
 *   1. proxyproto_conn_init() with the peer accept() gave: only the load
 *      balancers may send a header; anyone else is refused;
 *   2. proxyproto_conn_wait(): the whole header within --header-timeout,
 *      and not one byte more, so the HTTP request stays in the socket;
 *   3. proxyproto_conn_client(): the header's client for PROXY, the
 *      socket's own peer for LOCAL (health checks) and UNKNOWN.
 * The header is read in the connection's thread, never in the accept loop:
 * a client that sends its header slowly holds up only itself. Refusals are
 * logged on stdout ("reject peer=... error=PROXYPROTO_ERR_... msg=...").
 * Lines marked PP exist for the PROXY protocol only (README: "Example
 * servers"). examples/epoll-server.c does the same with an event loop. */
#define _POSIX_C_SOURCE 200809L
#define PROG "http-server"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#include "example_common.h"

#define REQUEST_MAX 8192        /* request line and headers */
#define REQUEST_TIMEOUT_MS 10000 /* for the whole request head */
#define LINGER_MS 1000          /* reading what the client still sends */

static struct ex_config cfg;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "HTTP server behind a PROXY protocol (v1/v2) load balancer: answers\n"
          "every request with 'IP = CLIENT_IP:CLIENT_PORT', the client that the\n"
          "load balancer reported (the socket's own peer for LOCAL health checks\n"
          "and UNKNOWN).\n"
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8080 or [::1]:8080 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Other peers are closed.\n"
          EX_HELP_HEADER_TIMEOUT
          "  --max-conns N         concurrent connections (default 256); more are\n"
          "                        closed at once\n"
          EX_HELP_ALLOW_UNTRUSTED_HEAD
          "                        address; a PROXY header they send is\n"
          EX_HELP_ALLOW_UNTRUSTED_TAIL
          EX_HELP_HELP
          "\n"
          "Rejected connections are logged on stdout:\n"
          "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n",
          out);
}

/* ---- one connection ------------------------------------------------------ */

/* Waits until fd is readable, but not past `deadline` (now_ms() time), then
 * reads. Returns read()'s result, or -1 (errno ETIMEDOUT) once past it. A
 * deadline, not a timeout per read: a peer that trickles bytes cannot
 * stretch the wait. */
static ssize_t read_until(int fd, void *buf, size_t cap, long long deadline)
{
    struct pollfd p;
    long long left;
    int r;

    p.fd = fd;
    p.events = POLLIN;
    do {
        left = deadline - now_ms();
        r = left > 0 ? poll(&p, 1, (int)left) : 0;
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        errno = ETIMEDOUT;
    return r <= 0 ? -1 : read(fd, buf, cap);
}

/* Reads the request line and headers (up to the empty line; a body is not
 * looked at), within REQUEST_TIMEOUT_MS. Returns 1 when they are in, 0 when
 * the peer closed or stayed quiet without sending a byte (a health check),
 * -1 otherwise. */
static int read_request(int fd, char *buf, size_t cap)
{
    long long deadline = now_ms() + REQUEST_TIMEOUT_MS;
    size_t got = 0, i;

    while (got < cap) {
        ssize_t n = read_until(fd, buf + got, cap - got, deadline);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got == 0 ? 0 : -1;
        i = got >= 2 ? got - 2 : 0; /* an empty line split across reads */
        got += (size_t)n;
        if (ex_head_complete(buf, i, got))
            return 1;
    }
    return -1; /* headers too long */
}

static void respond(int fd, const struct sockaddr *client)
{
    char resp[ADDR_STRLEN + 160];
    int n = ex_http_ok(resp, sizeof resp, client);
    char drain[512];
    long long deadline;

    if (write_all(fd, resp, (size_t)n) != 0)
        return;
    /* Closing a socket with unread input sends a reset, which can destroy
     * the response in flight: say we are done, then read what the client
     * still sends (a body, a pipelined request) until it closes, briefly. */
    shutdown(fd, SHUT_WR);
    deadline = now_ms() + LINGER_MS;
    while (read_until(fd, drain, sizeof drain, deadline) > 0)
        ;
}

static void handle(int fd, const struct sockaddr_storage *peer)
{
    static const char bad_request[] = EX_HTTP_400;
    char buf[REQUEST_MAX];
    proxyproto_conn pc;                                               /* PP */
    int rc;

    /* In this connection's own thread: a slow header stalls only itself. */
    proxyproto_conn_init(&pc, fd, &cfg.policy, (const struct sockaddr *)peer); /* PP */
    if ((rc = proxyproto_conn_wait(&pc)) < 0) {                       /* PP */
        ex_log_reject(&pc, rc);                                       /* PP */
        return;                                                       /* PP */
    }
    rc = read_request(fd, buf, sizeof buf);
    if (rc > 0)
        respond(fd, proxyproto_conn_client(&pc));
    else if (rc < 0)
        write_all(fd, bad_request, sizeof bad_request - 1);
    /* rc == 0: a health check that closed after its header, or never sent
     * a request: nothing to answer, nothing wrong. */
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    int rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);

    return rc >= 0 ? rc : ex_run_threaded(&cfg, handle);
}
