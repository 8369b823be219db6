/* tls-server: an HTTPS backend (OpenSSL 3) behind a load balancer that
 * speaks the PROXY protocol. Every request is answered with the client's
 * address as the load balancer reported it:
 *
 *   openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
 *       -keyout key.pem -out cert.pem
 *   tls-server --listen 127.0.0.1:8443 --cert cert.pem --key key.pem &
 *   # HAProxy: mode tcp, server s1 127.0.0.1:8443 send-proxy-v2
 *   curl -k https://LB/            ->  IP = 203.0.113.7:51234
 *
 * The order: the PROXY header comes BEFORE the TLS handshake. The load
 * balancer writes it first, in clear, then relays the client's bytes.
 * proxyproto_conn_wait() reads the header and not one byte more, so the
 * client's ClientHello is still in the socket when OpenSSL starts: TLS
 * passthrough needs nothing else (never hand the socket to OpenSSL first:
 * it would take the header for a broken handshake).
 *
 * Two kinds of load balancer, told apart by the first byte after the
 * header (a TLS handshake record starts with 0x16):
 *   - passthrough (HAProxy mode tcp, AWS NLB TCP): the client's TLS ends
 *     here: SSL handshake, then HTTP over TLS;
 *   - TLS terminated at the balancer (HAProxy `bind ... ssl crt`, with
 *     `send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority`):
 *     plain HTTP arrives, and the header's SSL TLV tells what the client's
 *     TLS was. That is logged as
 *       tls-details client=IP:PORT tls=1 cert_presented=0|1
 *           cert_verified=0|1 version=TLSv1.3 cipher=... cn=... sni=...
 *     Trust a client certificate only by cert_verified
 *     (proxyproto_client_cert_verified()): HAProxy sends verify=0 also
 *     when the client presented no certificate at all.
 * Health checks (a LOCAL header, then a close or a plain request) are
 * served as the socket's own peer. Every connection also gets the "conn"
 * line of the other examples; refused ones a "reject" line.
 *
 * One detached thread per connection (at most --max-conns); the header
 * within --header-timeout, every later read and write within a few
 * seconds, so a stalled handshake cannot hold a thread. Lines marked PP
 * exist for the PROXY protocol only; PP+ marks the optional use of what
 * the header says beyond the address (the TLS facts). */
#define _POSIX_C_SOURCE 200809L
#define PROG "tls-server"
#define DEFAULT_LISTEN "127.0.0.1:8443"
#include "example_common.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#define REQUEST_MAX 8192         /* request line and headers */
#define REQUEST_TIMEOUT_MS 10000 /* for the whole request head */
#define IO_TIMEOUT_S 5           /* each read or write, the handshake's too */
#define LINGER_MS 1000           /* reading what the client still sends */
/* A proxyproto_text (not NUL-terminated) for "%.*s". */
#define SPAN(t) (int)(t).len, (t).ptr                                           /* PP+ */

static struct ex_config cfg;
static SSL_CTX *tls_ctx;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " --cert FILE --key FILE [options]\n"
          "\n"
          "HTTPS server behind a PROXY protocol (v1/v2) load balancer: answers\n"
          "every request with 'IP = CLIENT_IP:CLIENT_PORT', the client that the\n"
          "load balancer reported. Takes TLS itself (passthrough) or, after a\n"
          "balancer that terminated TLS, plain HTTP.\n"
          "\n"
          "  --cert FILE           server certificate chain (PEM)\n"
          "  --key FILE            its private key (PEM)\n"
          "  --listen ADDR:PORT    127.0.0.1:8443 or [::1]:8443 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Other peers are closed.\n"
          EX_HELP_HEADER_TIMEOUT
          "  --max-conns N         concurrent connections (default 256); more are\n"
          "                        closed at once\n"
          EX_HELP_ALLOW_UNTRUSTED
          EX_HELP_HELP
          "\n"
          "Log lines on stdout:\n"
          EX_HELP_LOG_LINES
          "  tls-details client=IP:PORT tls=1 cert_presented=0|1 cert_verified=0|1\n"
          "       version=.. cipher=.. cn=.. sni=..  (TLS ended at the balancer)\n",
          out);
}

/* ---- one connection ------------------------------------------------------ */

/* Reads the request line and headers (up to the empty line; a body is not
 * looked at). Returns 1 when they are in; 0 when the peer closed, stayed
 * quiet, sent too much or broke the TLS handshake. */
static int read_head(BIO *io, char *buf, int cap)
{
    long long deadline = now_ms() + REQUEST_TIMEOUT_MS;
    int got = 0, from, n;

    while (got < cap && now_ms() < deadline) {
        if ((n = BIO_read(io, buf + got, cap - got)) <= 0)
            return 0;
        from = got >= 2 ? got - 2 : 0; /* an empty line split across reads */
        got += n;
        if (ex_head_complete(buf, (size_t)from, (size_t)got))
            return 1;
    }
    return 0;
}

/* Closing a socket with unread input sends a reset, which can destroy the
 * response in flight: say we are done, then read what the client still
 * sends until it closes, briefly. */
static void linger(int fd)
{
    long long deadline = now_ms() + LINGER_MS;
    struct pollfd p;
    char drain[512];

    shutdown(fd, SHUT_WR);
    p.fd = fd;
    p.events = POLLIN;
    while (now_ms() < deadline && poll(&p, 1, LINGER_MS) > 0 &&
           read(fd, drain, sizeof drain) > 0)
        ;
}

static void handle(int fd, const struct sockaddr_storage *peer)
{
    proxyproto_conn pc;                                                         /* PP */
    proxyproto_details d;                                                       /* PP+ */
    char who[ADDR_STRLEN];                                                      /* PP+ */
    char buf[REQUEST_MAX], resp[ADDR_STRLEN + 160];
    struct timeval tv = {IO_TIMEOUT_S, 0};
    BIO *io, *tls;
    int rc, n, off, w;

    proxyproto_conn_init(&pc, fd, &cfg.policy, (const struct sockaddr *)peer);  /* PP */
    if ((rc = proxyproto_conn_wait(&pc)) < 0) {                                 /* PP */
        ex_log_reject(&pc, rc);                                                 /* PP */
        return;                                                                 /* PP */
    }
    ex_log_conn(&pc); /* the client, and the TLS version, cipher, CN */
    /* TLS ended at the balancer: whether the client's certificate verified. */
    if (proxyproto_details_get(proxyproto_conn_header(&pc), &d) == 0 && d.tls) { /* PP+ */
        format_addr(who, sizeof who, proxyproto_conn_client(&pc));              /* PP+ */
        printf("tls-details client=%s tls=1 cert_presented=%d cert_verified=%d" /* PP+ */
               " version=%.*s cipher=%.*s cn=%.*s sni=%.*s\n", who, d.cert_presented, /* PP+ */
               d.cert_verified, SPAN(d.tls_version), SPAN(d.cipher), SPAN(d.cn), /* PP+ */
               SPAN(d.sni));                                                    /* PP+ */
        fflush(stdout);                                                         /* PP+ */
    }

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if ((io = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL)
        return;
    /* Peek: the byte stays for OpenSSL. 0x16 starts a TLS handshake record;
     * anything else: the balancer ended TLS and sends plain HTTP (or a
     * health check closed after its header). */
    if (recv(fd, buf, 1, MSG_PEEK) == 1 && buf[0] == 0x16) {                    /* PP */
        if ((tls = BIO_new_ssl(tls_ctx, 0)) == NULL) { /* server side */
            BIO_free(io);
            return;
        }
        io = BIO_push(tls, io);
        if (BIO_do_handshake(io) != 1) { /* SSL_accept() */
            const char *why = ERR_reason_error_string(ERR_peek_last_error());
            fprintf(stderr, PROG ": TLS handshake failed: %s\n",
                    why != NULL ? why : "closed or timed out");
            ERR_clear_error();
            BIO_free_all(io);
            return;
        }
    }
    if (read_head(io, buf, sizeof buf)) {
        n = ex_http_ok(resp, sizeof resp, proxyproto_conn_client(&pc));
        for (off = 0; off < n; off += w)
            if ((w = BIO_write(io, resp + off, n - off)) <= 0)
                break;
    }
    /* A LOCAL health check that closed after its header: nothing to answer. */
    BIO_ssl_shutdown(io); /* SSL_shutdown(): close_notify, if TLS */
    ERR_clear_error();
    BIO_free_all(io);
    linger(fd);
}

/* ---- main ---------------------------------------------------------------- */

/* Takes --cert FILE and --key FILE out of argv (ex_parse_args() knows the
 * rest); returns the new argc. */
static int take_tls_options(int argc, char **argv, const char **cert,
                            const char **key)
{
    int i, n = 1;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
            *cert = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            *key = argv[++i];
        else
            argv[n++] = argv[i];
    }
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL;
    int rc;

    argc = take_tls_options(argc, argv, &cert, &key);
    rc = ex_parse_args(argc, argv, &cfg, EX_OPT_STREAM, 256, 100000);
    if (rc >= 0)
        return rc;
    if (cert == NULL || key == NULL) {
        fputs(PROG ": --cert FILE and --key FILE are required\n"
              "Try '" PROG " --help'.\n", stderr);
        return 2;
    }
    tls_ctx = SSL_CTX_new(TLS_server_method());
    if (tls_ctx == NULL ||
        SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(tls_ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(tls_ctx) != 1) {
        fprintf(stderr, PROG ": cannot use %s / %s:\n", cert, key);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    /* tls_ctx lives until exit: threads still finishing may use it. */
    return ex_run_threaded(&cfg, handle);
}
