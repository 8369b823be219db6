/* example_common.h: what the example servers share -- command-line options,
 * listen addresses, "IP:PORT" formatting, the conn/reject log lines, signal
 * handling, and the thread-per-connection accept loop of echo-server and
 * http-server. Only for the programs in examples/: each includes it once,
 * after defining PROG ("echo-server", ...) and DEFAULT_LISTEN
 * ("127.0.0.1:8081", ...). Everything here is static; EX_UNUSED keeps a
 * program that does not use a piece free of warnings. */
#ifndef EXAMPLE_COMMON_H
#define EXAMPLE_COMMON_H

#include <proxyproto.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#if !defined(PROG) || !defined(DEFAULT_LISTEN)
#error "define PROG and DEFAULT_LISTEN before including example_common.h"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EX_UNUSED __attribute__((unused))
#else
#define EX_UNUSED
#endif

#define MAX_TRUSTED 64
#define ADDR_STRLEN PROXYPROTO_ADDR_STRLEN

/* ---- help text shared by the servers -------------------------------------- */

#define EX_HELP_LOG_LINES                                                       \
    "  conn client=IP:PORT server=IP:PORT proxy=v1|v2|none "                    \
    "cmd=PROXY|LOCAL|UNKNOWN\n"                                                 \
    "       [alpn=..] [authority=..] [tls=..] [cipher=..] [cn=..] "             \
    "[unique_id=..]\n"                                                          \
    "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n"
#define EX_HELP_LISTEN_PORT0                                                    \
    "                        port 0 picks a free port (printed on stderr)\n"
#define EX_HELP_TRUSTED                                                         \
    "  --trusted CIDR        a load balancer's address or network, e.g.\n"     \
    "                        10.0.0.0/8 or 2001:db8::/32; repeatable\n"        \
    "                        (default 127.0.0.0/8 and ::1: loopback only).\n"
#define EX_HELP_HEADER_TIMEOUT                                                  \
    "  --header-timeout MS   time allowed for the PROXY header (default 3000)\n"
#define EX_HELP_ALLOW_UNTRUSTED_HEAD                                            \
    "  --allow-untrusted     SECURITY WARNING: serve peers outside --trusted\n" \
    "                        too, without a header, as their own socket\n"
#define EX_HELP_ALLOW_UNTRUSTED_TAIL                                            \
    "                        payload, never believed. Anyone who can reach\n"  \
    "                        the port then bypasses the load balancer: only\n" \
    "                        for a listener that takes direct connections\n"   \
    "                        on purpose.\n"
#define EX_HELP_ALLOW_UNTRUSTED                                                 \
    EX_HELP_ALLOW_UNTRUSTED_HEAD                                                \
    "                        address (proxy=none); a PROXY header they send is\n" \
    EX_HELP_ALLOW_UNTRUSTED_TAIL
#define EX_HELP_HELP "  --help                this text\n"

/* ---- configuration and options ------------------------------------------- */

struct ex_config {
    struct sockaddr_storage listen;
    socklen_t listen_len;
    proxyproto_cidr trusted[MAX_TRUSTED];
    proxyproto_policy policy; /* trusted, header_timeout_ms, flags */
    int max_conns;
    int quiet;
};

/* Which options ex_parse_args() takes besides --help, --listen, --trusted. */
#define EX_OPT_STREAM 1u /* --allow-untrusted, --header-timeout, --max-conns */
#define EX_OPT_QUIET 2u  /* --quiet */

static EX_UNUSED volatile sig_atomic_t stop; /* set by SIGINT and SIGTERM */
static EX_UNUSED int ex_quiet; /* --quiet: no conn/reject lines */

static EX_UNUSED void usage(FILE *out); /* each program's own */

/* "127.0.0.1:8080" or "[::1]:8080". Returns 0 or -1. */
static EX_UNUSED int parse_listen(const char *s, struct sockaddr_storage *ss,
                                  socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    const char *sep = s[0] == '[' ? strchr(s, ']') : strrchr(s, ':');
    const char *port;
    char host[64], *end;
    size_t n;
    long p;

    if (sep == NULL || (s[0] == '[' && sep[1] != ':'))
        return -1;
    port = s[0] == '[' ? sep + 2 : sep + 1;
    if (s[0] == '[')
        s++;
    n = (size_t)(sep - s);
    if (n >= sizeof host || *port < '0' || *port > '9')
        return -1;
    memcpy(host, s, n);
    host[n] = '\0';
    p = strtol(port, &end, 10);
    if (*end != '\0' || p > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    if (sep[0] == ':' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)p);
        *len = sizeof *in4;
    } else if (sep[0] == ']' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)p);
        *len = sizeof *in6;
    } else {
        return -1;
    }
    return 0;
}

static EX_UNUSED int bad_option(const char *opt, const char *value)
{
    fprintf(stderr, PROG ": bad %s%s%s\nTry '" PROG " --help'.\n", opt,
            value ? " " : "", value ? value : "");
    return 2;
}

/* Fills *cfg (zeroed by the caller) from the command line: --listen
 * (default DEFAULT_LISTEN), --trusted (default loopback only), and the
 * options in `opts`. --header-timeout defaults to 3000 ms, --max-conns to
 * `max_conns` (at most `max_conns_limit`). Returns -1 to go on, or an exit
 * code (0 after --help). */
static EX_UNUSED int ex_parse_args(int argc, char **argv, struct ex_config *cfg,
                                   unsigned opts, int max_conns,
                                   long max_conns_limit)
{
    size_t n = 0;
    char *end;
    int i;

    parse_listen(DEFAULT_LISTEN, &cfg->listen, &cfg->listen_len);
    cfg->policy.header_timeout_ms = 3000;
    cfg->max_conns = max_conns;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long num = v ? strtol(v, &end, 10) : -1;
        int num_ok = v && *v >= '0' && *v <= '9' && *end == '\0';
        int stream = (opts & EX_OPT_STREAM) != 0;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((opts & EX_OPT_QUIET) && strcmp(a, "--quiet") == 0) {
            cfg->quiet = ex_quiet = 1;
            continue;
        } else if (stream && strcmp(a, "--allow-untrusted") == 0) {
            cfg->policy.flags |= PROXYPROTO_POLICY_ALLOW_UNTRUSTED;
            continue;
        } else if (strcmp(a, "--listen") == 0 && v) {
            if (parse_listen(v, &cfg->listen, &cfg->listen_len) != 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--trusted") == 0 && v) {
            if (n == MAX_TRUSTED ||
                proxyproto_cidr_parse(&cfg->trusted[n++], v) != 0)
                return bad_option(a, v);
        } else if (stream && strcmp(a, "--header-timeout") == 0 && v) {
            if (!num_ok || num < 1 || num > 3600000)
                return bad_option(a, v);
            cfg->policy.header_timeout_ms = (int)num;
        } else if (stream && strcmp(a, "--max-conns") == 0 && v) {
            if (!num_ok || num < 1 || num > max_conns_limit)
                return bad_option(a, v);
            cfg->max_conns = (int)num;
        } else {
            return bad_option("option", a);
        }
        i++; /* the value */
    }
    if (n == 0) { /* loopback only */
        proxyproto_cidr_parse(&cfg->trusted[n++], "127.0.0.0/8");
        proxyproto_cidr_parse(&cfg->trusted[n++], "::1");
    }
    cfg->policy.trusted = cfg->trusted;
    cfg->policy.n_trusted = n;
    return -1;
}

static EX_UNUSED void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* SIGINT and SIGTERM set `stop`. No SA_RESTART: a blocked poll() or
 * epoll_wait() returns EINTR. */
static EX_UNUSED void ex_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static EX_UNUSED long long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- addresses and log lines --------------------------------------------- */

/* "IP:PORT", "[IP]:PORT" or "unix:PATH"; "?" for another family. */
static EX_UNUSED void format_addr(char *out, size_t cap,
                                  const struct sockaddr *sa)
{
    if (proxyproto_format_sockaddr(out, cap, sa) < 0)
        snprintf(out, cap, "?");
}

/* PROG: listening on IP:PORT, on stderr (the port that port 0 picked). */
static EX_UNUSED void ex_log_listening(const struct sockaddr_storage *bound)
{
    char addr[ADDR_STRLEN];

    format_addr(addr, sizeof addr, (const struct sockaddr *)bound);
    fprintf(stderr, PROG ": listening on %s\n", addr);
}

/* msg="..." text: '"' and '\' escaped with a backslash. */
static EX_UNUSED void put_quoted(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            putc('\\', out);
        putc(*s, out);
    }
}

/* reject peer=IP:PORT error=NAME msg="MESSAGE[: WHY]" on stdout, not
 * flushed; `why` (the system error's text) may be NULL. */
static EX_UNUSED void ex_put_reject(const struct sockaddr *peer, int code,
                                    const char *why)
{
    char addr[ADDR_STRLEN];

    format_addr(addr, sizeof addr, peer);
    printf("reject peer=%s error=%s msg=\"", addr, proxyproto_error_name(code));
    put_quoted(stdout, proxyproto_strerror(code));
    if (why != NULL) {
        fputs(": ", stdout);
        put_quoted(stdout, why);
    }
    fputs("\"\n", stdout);
}

/* " key=value" for the first TLV of `type` in area[0..len), if any. */
static EX_UNUSED void put_tlv(const char *key, const uint8_t *area, size_t len,
                              uint8_t type)
{
    proxyproto_tlv t;
    size_t i;

    if (proxyproto_tlv_find(area, len, type, &t) != 0)
        return;
    printf(" %s=", key);
    for (i = 0; i < t.len; i++) {
        if (t.value[i] > 0x20 && t.value[i] < 0x7F && t.value[i] != '\\')
            putchar(t.value[i]);
        else
            printf("\\x%02x", t.value[i]);
    }
}

/* conn client=IP:PORT server=IP:PORT proxy=V cmd=C [TLVs] on stdout, not
 * flushed; h NULL: none (an untrusted peer let through). */
static EX_UNUSED void ex_put_conn(const proxyproto_header *h,
                                  const struct sockaddr *client,
                                  const struct sockaddr *server)
{
    char c[ADDR_STRLEN], s[ADDR_STRLEN];
    const char *cmd = h != NULL && h->command == PROXYPROTO_CMD_LOCAL ? "LOCAL"
                      : h != NULL && proxyproto_use_header_addresses(h)
                          ? "PROXY"
                          : "UNKNOWN";
    proxyproto_ssl ssl;

    format_addr(c, sizeof c, client);
    format_addr(s, sizeof s, server);
    printf("conn client=%s server=%s proxy=%s cmd=%s", c, s,
           h == NULL ? "none" : h->version == 1 ? "v1" : "v2", cmd);
    if (h != NULL && h->tlvs_len > 0) {
        put_tlv("alpn", h->tlvs, h->tlvs_len, PROXYPROTO_TLV_ALPN);
        put_tlv("authority", h->tlvs, h->tlvs_len, PROXYPROTO_TLV_AUTHORITY);
        if (proxyproto_ssl_get(h, &ssl) == 0) {
            put_tlv("tls", ssl.subtlvs, ssl.subtlvs_len, PROXYPROTO_SSL_VERSION);
            put_tlv("cipher", ssl.subtlvs, ssl.subtlvs_len, PROXYPROTO_SSL_CIPHER);
            put_tlv("cn", ssl.subtlvs, ssl.subtlvs_len, PROXYPROTO_SSL_CN);
        }
        put_tlv("unique_id", h->tlvs, h->tlvs_len, PROXYPROTO_TLV_UNIQUE_ID);
    }
    putchar('\n');
}

/* ---- HTTP answers (http-server, epoll-server) ---------------------------- */

#define EX_HTTP_400                                                             \
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"                         \
    "Connection: close\r\n\r\n"

/* The "IP = CLIENT_IP:PORT" response ("[IP]:PORT" for IPv6) into resp;
 * returns its length. */
static EX_UNUSED int ex_http_ok(char *resp, size_t cap,
                                const struct sockaddr *client)
{
    char addr[ADDR_STRLEN], body[ADDR_STRLEN + 8];
    int body_len;

    format_addr(addr, sizeof addr, client);
    body_len = snprintf(body, sizeof body, "IP = %s", addr);
    return snprintf(resp, cap,
                    "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/plain\r\n"
                    "Content-Length: %d\r\n"
                    "Connection: close\r\n"
                    "\r\n%s",
                    body_len, body);
}

/* Is there an empty line (end of a request's head) in buf[from..len)? */
static EX_UNUSED int ex_head_complete(const void *data, size_t from, size_t len)
{
    const unsigned char *buf = data;
    size_t i;

    for (i = from; i + 1 < len; i++)
        if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
                               (buf[i + 1] == '\r' && i + 2 < len &&
                                buf[i + 2] == '\n')))
            return 1;
    return 0;
}

/* ---- blocking servers: one detached thread per connection ----------------- */

/* Writes all n bytes (a blocking socket; a send timeout bounds it). Returns
 * 0 or -1. */
static EX_UNUSED int write_all(int fd, const void *data, size_t n)
{
    const unsigned char *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- log lines of the connection layer ------------------------------------ */

/* Lines marked PP in the examples are the ones the PROXY protocol adds: a
 * server whose clients connected directly would not have them. tests/
 * example_lines.sh counts them (README: "Example servers"). */

/* "reject peer=IP:PORT error=NAME msg=..." for connection c refused with
 * code rc, on stdout, flushed. */
static EX_UNUSED void ex_log_reject(const proxyproto_conn *c, int rc)
{
    int err = errno;

    if (ex_quiet) /* a slow reader of stdout slows an event loop */
        return;
    flockfile(stdout); /* one whole line among threads */
    ex_put_reject(proxyproto_conn_peer(c), rc,                          /* PP */
                  rc == PROXYPROTO_ERR_SYSTEM ? strerror(err) : NULL);  /* PP */
    fflush(stdout);
    funlockfile(stdout);
}

/* "conn client=IP:PORT server=IP:PORT proxy=v1|v2|none cmd=... [TLVs]"
 * for connection c once its header phase is done, on stdout, flushed. */
static EX_UNUSED void ex_log_conn(const proxyproto_conn *c)
{
    if (ex_quiet)
        return;
    flockfile(stdout);
    ex_put_conn(proxyproto_conn_header(c), proxyproto_conn_client(c),
                proxyproto_conn_server(c));
    fflush(stdout);
    funlockfile(stdout);
}

/* What a connection thread runs, then the descriptor is closed. */
typedef void ex_handler(int fd, const struct sockaddr_storage *peer);

/* A connection handed to its thread. */
struct ex_job {
    int fd;
    struct sockaddr_storage peer; /* from accept() */
    ex_handler *handle;
};

static EX_UNUSED pthread_mutex_t ex_lock = PTHREAD_MUTEX_INITIALIZER;
static EX_UNUSED int ex_active; /* connection threads running */

static EX_UNUSED int ex_count(int delta)
{
    int n;

    pthread_mutex_lock(&ex_lock);
    ex_active += delta;
    n = ex_active;
    pthread_mutex_unlock(&ex_lock);
    return n;
}

static EX_UNUSED void *ex_serve(void *arg)
{
    struct ex_job *job = arg;

    job->handle(job->fd, &job->peer);
    close(job->fd);
    free(job);
    ex_count(-1);
    return NULL;
}

/* Starts a detached thread for the job, with SIGINT and SIGTERM blocked in it so
 * that they reach the main thread's poll(). */
static EX_UNUSED int ex_spawn(struct ex_job *job)
{
    pthread_attr_t attr;
    pthread_t t;
    sigset_t sigs, old;
    int rc;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    rc = pthread_create(&t, &attr, ex_serve, job);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

/* A blocking TCP listener on cfg->listen; logs the bound address. */
static EX_UNUSED int ex_open_listener(const struct ex_config *cfg)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    int one = 1;
    int fd = socket(cfg->listen.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&cfg->listen, cfg->listen_len) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        close(fd);
        return -1;
    }
    ex_log_listening(&bound);
    return fd;
}

/* main() of a thread-per-connection server: listens on cfg->listen, runs
 * handle() in a thread for each connection (at most cfg->max_conns at once;
 * more are closed at once), until SIGINT or SIGTERM. Returns the exit
 * code. */
static EX_UNUSED int ex_run_threaded(const struct ex_config *cfg,
                                     ex_handler *handle)
{
    int lfd, i;

    ex_catch_signals();
    signal(SIGPIPE, SIG_IGN); /* a write to a closed peer: EPIPE instead */
    lfd = ex_open_listener(cfg);
    if (lfd < 0) {
        perror(PROG ": listen");
        return 1;
    }
    while (!stop) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        struct ex_job *job;
        struct pollfd p;
        int fd;

        p.fd = lfd;
        p.events = POLLIN;
        if (poll(&p, 1, 1000) <= 0) /* wakes up to look at `stop` */
            continue;
        fd = accept(lfd, (struct sockaddr *)&peer, &len);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                poll(NULL, 0, 100); /* out of descriptors: let some close */
            continue;
        }
        if (ex_count(+1) > cfg->max_conns) {
            char addr[ADDR_STRLEN];
            format_addr(addr, sizeof addr, (struct sockaddr *)&peer);
            fprintf(stderr, PROG ": drop peer=%s: %d connections already\n",
                    addr, cfg->max_conns);
            ex_count(-1);
            close(fd);
        } else if ((job = malloc(sizeof *job)) == NULL) {
            ex_count(-1);
            close(fd);
        } else {
            job->fd = fd;
            job->peer = peer;
            job->handle = handle;
            if (ex_spawn(job) != 0) {
                ex_count(-1);
                close(fd);
                free(job);
            }
        }
    }
    close(lfd);
    /* Let running threads finish (2 s at most): exit() ends the rest. */
    for (i = 0; i < 20 && ex_count(0) > 0; i++)
        poll(NULL, 0, 100);
    return 0;
}

#endif /* EXAMPLE_COMMON_H */
