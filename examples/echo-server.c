/* echo-server: a TCP echo backend behind a PROXY protocol (v1/v2) load
 * balancer. For each connection it logs one line on stdout, then sends back
 * every byte it receives until the client closes:
 *
 *   conn client=203.0.113.7:51234 server=10.0.0.1:443 proxy=v2 cmd=PROXY alpn=h2
 *   conn client=[::1]:42076 server=[::1]:8081 proxy=v1 cmd=PROXY
 *   conn client=127.0.0.1:50312 server=127.0.0.1:8081 proxy=v2 cmd=LOCAL
 *   reject peer=127.0.0.1:50320 error=PROXYPROTO_ERR_TIMEOUT msg="..."
 *
 * client= and server= are the addresses to use (proxyproto_conn_client():
 * the header's for PROXY, the socket's own for LOCAL and UNKNOWN); proxy= is the
 * header's version, or none for an untrusted peer let through by
 * --allow-untrusted (then cmd=UNKNOWN: the socket's addresses); cmd=UNKNOWN
 * also for a v1 UNKNOWN line and a v2 PROXY without usable addresses. After
 * them, for the TLVs a v2 header carries, in this order and each only when
 * present: alpn= authority= tls= (SSL version) cipher= cn= unique_id=.
 * Values are the raw bytes, except that bytes outside 0x21-0x7E and the
 * backslash are written \xNN, so a value never holds a space. In msg="..."
 * a '"' or '\' is escaped with a backslash.
 *
 * Blocking sockets, one detached thread per connection (at most
 * --max-conns). The header is read in the connection's own thread
 * (proxyproto_conn_wait(), within --header-timeout for the whole header),
 * so a slow client never holds up the accept loop; every later wait is
 * bounded too. Lines marked PP exist for the PROXY protocol only. */
#define _POSIX_C_SOURCE 200809L
#define PROG "echo-server"
#define DEFAULT_LISTEN "127.0.0.1:8081"
#include "example_common.h"

#include <sys/time.h>

#define IDLE_TIMEOUT_MS 30000 /* a connection quiet this long is closed */

static struct ex_config cfg;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "TCP echo server behind a PROXY protocol (v1/v2) load balancer. Logs\n"
          "one line per connection on stdout, then echoes what it receives\n"
          "until the client closes (or is quiet for 30 s):\n"
          EX_HELP_LOG_LINES
          "IPv6 addresses are in brackets; TLV values are raw bytes, those\n"
          "outside 0x21-0x7E and '\\' written as \\xNN.\n"
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8081 or [::1]:8081 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Other peers are closed.\n"
          EX_HELP_HEADER_TIMEOUT
          "  --max-conns N         concurrent connections (default 256); more are\n"
          "                        closed at once\n"
          EX_HELP_ALLOW_UNTRUSTED
          EX_HELP_HELP,
          out);
}

/* ---- one connection ------------------------------------------------------ */

/* Every byte back, until the client closes or is quiet too long. The
 * payload that came with the header is still in the socket: the reader
 * took the header and nothing more. */
static void echo(int fd, unsigned char *buf, size_t cap)
{
    struct timeval tv;

    tv.tv_sec = IDLE_TIMEOUT_MS / 1000;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (;;) {
        struct pollfd p;
        ssize_t n;
        int r;

        p.fd = fd;
        p.events = POLLIN;
        r = poll(&p, 1, IDLE_TIMEOUT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(fd, buf, (size_t)n) != 0)
            return;
    }
}

static void handle(int fd, const struct sockaddr_storage *peer)
{
    /* A debugging aid shows any header: room for the longest v2 one. */
    unsigned char hdr_buf[PROXYPROTO_V2_MAX_LEN];                     /* PP */
    unsigned char buf[16384];
    proxyproto_conn pc;                                               /* PP */
    int rc;

    proxyproto_conn_init(&pc, fd, &cfg.policy, (const struct sockaddr *)peer); /* PP */
    proxyproto_conn_use_buffer(&pc, hdr_buf, sizeof hdr_buf);         /* PP */
    if ((rc = proxyproto_conn_wait(&pc)) < 0) {                       /* PP */
        ex_log_reject(&pc, rc);                                       /* PP */
        return;                                                       /* PP */
    }
    ex_log_conn(&pc); /* client=, server=: the addresses to use */
    echo(fd, buf, sizeof buf);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    int rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);

    return rc >= 0 ? rc : ex_run_threaded(&cfg, handle);
}
