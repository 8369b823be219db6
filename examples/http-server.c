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
 * The order every server follows (SPEC.md section 5):
 *   1. accept(), then proxyproto_policy_check(): only the load balancers may
 *      send a header; anyone else is closed.
 *   2. proxyproto_read_header() with a timeout: it reads the header and not
 *      one byte more, so the HTTP request stays in the socket for us.
 *   3. proxyproto_resolve_peer(): the header's addresses for PROXY, the socket's
 *      own for LOCAL (health checks) and UNKNOWN.
 * One detached thread per connection (at most --max-conns), every wait bounded
 * by a timeout. examples/epoll-server.c does the same with an event loop. */
#define _POSIX_C_SOURCE 200809L
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

#define PROG "http-server"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define MAX_TRUSTED 64
#define REQUEST_MAX 8192        /* request line and headers */
#define REQUEST_TIMEOUT_MS 10000 /* for the whole request head */
#define LINGER_MS 1000          /* reading what the client still sends */
#define ADDR_STRLEN (PROXYPROTO_IP_STRLEN + 128)

static struct {
    struct sockaddr_storage listen;
    socklen_t listen_len;
    proxyproto_cidr trusted[MAX_TRUSTED];
    proxyproto_policy policy;
    int header_timeout_ms;
    int max_conns;
} cfg;

static volatile sig_atomic_t stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int active; /* connection threads running */

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
          "                        port 0 picks a free port (printed on stderr)\n"
          "  --trusted CIDR        a load balancer's address or network, e.g.\n"
          "                        10.0.0.0/8 or 2001:db8::/32; repeatable\n"
          "                        (default 127.0.0.0/8 and ::1: loopback only).\n"
          "                        Other peers are closed.\n"
          "  --header-timeout MS   time allowed for the PROXY header (default 3000)\n"
          "  --max-conns N         concurrent connections (default 256); more are\n"
          "                        closed at once\n"
          "  --allow-untrusted     SECURITY WARNING: serve peers outside --trusted\n"
          "                        too, without a header, as their own socket\n"
          "                        address; a PROXY header they send is\n"
          "                        payload, never believed. Anyone who can reach\n"
          "                        the port then bypasses the load balancer: only\n"
          "                        for a listener that takes direct connections\n"
          "                        on purpose.\n"
          "  --help                this text\n"
          "\n"
          "Rejected connections are logged on stderr:\n"
          "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n",
          out);
}

/* ---- addresses ----------------------------------------------------------- */

/* "127.0.0.1:8080" or "[::1]:8080". Returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
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

/* "IP:PORT" ("[IP]:PORT" for IPv6 when brackets) or "unix:PATH". */
static void format_addr(char *out, size_t cap,
                        const struct sockaddr_storage *ss, int brackets)
{
    char ip[PROXYPROTO_IP_STRLEN];

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        proxyproto_format_ip(ip, sizeof ip, PROXYPROTO_AF_INET,
                             (const uint8_t *)&a->sin_addr);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        proxyproto_format_ip(ip, sizeof ip, PROXYPROTO_AF_INET6,
                             a->sin6_addr.s6_addr);
        snprintf(out, cap, brackets ? "[%s]:%u" : "%s:%u", ip,
                 (unsigned)ntohs(a->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *a = (const struct sockaddr_un *)ss;
        const char *p = a->sun_path;
        int abstract = p[0] == '\0'; /* Linux abstract name: "@name" */
        size_t max = sizeof a->sun_path - (size_t)abstract;
        snprintf(out, cap, "unix:%s%.*s", abstract ? "@" : "",
                 (int)strnlen(p + abstract, max), p + abstract);
    } else {
        snprintf(out, cap, "?");
    }
}

/* reject peer=IP:PORT error=NAME msg="MESSAGE", on stderr; '"' and '\\'
 * in the message are escaped with a backslash. */
static void log_reject(const struct sockaddr_storage *peer, int code)
{
    char addr[ADDR_STRLEN], raw[256], msg[512], why[128] = "";
    const char *p;
    size_t n = 0;
    int err = errno;

    if (code == PROXYPROTO_ERR_SYSTEM && strerror_r(err, why + 2,
                                                    sizeof why - 2) == 0) {
        why[0] = ':';
        why[1] = ' ';
    }
    snprintf(raw, sizeof raw, "%s%s", proxyproto_strerror(code), why);
    for (p = raw; *p != '\0' && n + 2 < sizeof msg; p++) {
        if (*p == '"' || *p == '\\')
            msg[n++] = '\\';
        msg[n++] = *p;
    }
    msg[n] = '\0';
    format_addr(addr, sizeof addr, peer, 1);
    /* One fprintf: stdio keeps the line whole among threads. */
    fprintf(stderr, "reject peer=%s error=%s msg=\"%s\"\n", addr,
            proxyproto_error_name(code), msg);
}

/* ---- one connection ------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
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

static long long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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
        for (; i + 1 < got; i++)
            if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
                                   (buf[i + 1] == '\r' && i + 2 < got &&
                                    buf[i + 2] == '\n')))
                return 1;
    }
    return -1; /* headers too long */
}

static void respond(int fd, const struct sockaddr_storage *client)
{
    char addr[ADDR_STRLEN], body[ADDR_STRLEN + 8], resp[ADDR_STRLEN + 160];
    int body_len, n;
    char drain[512];
    long long deadline;

    format_addr(addr, sizeof addr, client, 0);
    body_len = snprintf(body, sizeof body, "IP = %s", addr);
    n = snprintf(resp, sizeof resp,
                 "HTTP/1.1 200 OK\r\n"
                 "Content-Type: text/plain\r\n"
                 "Content-Length: %d\r\n"
                 "Connection: close\r\n"
                 "\r\n%s",
                 body_len, body);
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
    static const char bad_request[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n";
    /* The reader's buffer holds the header, later the request: the header
     * is no longer needed once resolved. Any v2 header fits. */
    unsigned char buf[PROXYPROTO_V2_MAX_LEN];
    struct sockaddr_storage client;
    proxyproto_reader reader;
    proxyproto_header hdr, *h = NULL;
    int rc;

    rc = proxyproto_policy_check(&cfg.policy, (const struct sockaddr *)peer);
    if (rc == PROXYPROTO_EXPECT_HEADER) {
        proxyproto_reader_init(&reader, buf, sizeof buf);
        rc = proxyproto_read_header(&reader, fd, cfg.header_timeout_ms, &hdr);
        h = &hdr;
    }
    if (rc < 0) { /* untrusted, timed out, closed, or not a valid header */
        log_reject(peer, rc);
        return;
    }
    /* h NULL (untrusted, let through): the socket's addresses. */
    rc = proxyproto_resolve_peer(fd, peer, h, &client, NULL);
    if (rc != 0) {
        log_reject(peer, rc);
        return;
    }
    rc = read_request(fd, (char *)buf, REQUEST_MAX);
    if (rc > 0)
        respond(fd, &client);
    else if (rc < 0)
        write_all(fd, bad_request, sizeof bad_request - 1);
    /* rc == 0: a health check that closed after its header, or never sent
     * a request: nothing to answer, nothing wrong. */
}

/* A connection handed to its thread. */
struct job {
    int fd;
    struct sockaddr_storage peer; /* from accept() */
};

static int count(int delta)
{
    int n;

    pthread_mutex_lock(&lock);
    active += delta;
    n = active;
    pthread_mutex_unlock(&lock);
    return n;
}

static void *serve(void *arg)
{
    struct job *job = arg;

    handle(job->fd, &job->peer);
    close(job->fd);
    free(job);
    count(-1);
    return NULL;
}

/* Starts a detached thread for the job, with SIGINT and SIGTERM blocked in it so
 * that they reach the main thread's poll(). */
static int spawn(struct job *job)
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
    rc = pthread_create(&t, &attr, serve, job);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

/* ---- main ---------------------------------------------------------------- */

static int bad_option(const char *opt, const char *value)
{
    fprintf(stderr, PROG ": bad %s%s%s\nTry '" PROG " --help'.\n", opt,
            value ? " " : "", value ? value : "");
    return 2;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv)
{
    size_t n = 0;
    char *end;
    int i;

    parse_listen(DEFAULT_LISTEN, &cfg.listen, &cfg.listen_len);
    cfg.header_timeout_ms = 3000;
    cfg.max_conns = 256;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long num = v ? strtol(v, &end, 10) : -1;
        int num_ok = v && *v >= '0' && *v <= '9' && *end == '\0';

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--allow-untrusted") == 0) {
            cfg.policy.flags |= PROXYPROTO_POLICY_ALLOW_UNTRUSTED;
            continue;
        } else if (strcmp(a, "--listen") == 0 && v) {
            if (parse_listen(v, &cfg.listen, &cfg.listen_len) != 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--trusted") == 0 && v) {
            if (n == MAX_TRUSTED ||
                proxyproto_cidr_parse(&cfg.trusted[n++], v) != 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--header-timeout") == 0 && v) {
            if (!num_ok || num < 1 || num > 3600000)
                return bad_option(a, v);
            cfg.header_timeout_ms = (int)num;
        } else if (strcmp(a, "--max-conns") == 0 && v) {
            if (!num_ok || num < 1 || num > 100000)
                return bad_option(a, v);
            cfg.max_conns = (int)num;
        } else {
            return bad_option("option", a);
        }
        i++; /* the value */
    }
    if (n == 0) { /* loopback only */
        proxyproto_cidr_parse(&cfg.trusted[n++], "127.0.0.0/8");
        proxyproto_cidr_parse(&cfg.trusted[n++], "::1");
    }
    cfg.policy.trusted = cfg.trusted;
    cfg.policy.n_trusted = n;
    return -1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int open_listener(void)
{
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    char addr[ADDR_STRLEN];
    int one = 1;
    int fd = socket(cfg.listen.ss_family, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&cfg.listen, cfg.listen_len) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        close(fd);
        return -1;
    }
    format_addr(addr, sizeof addr, &bound, 1);
    fprintf(stderr, PROG ": listening on %s\n", addr);
    return fd;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int lfd, i, rc = parse_args(argc, argv);

    if (rc >= 0)
        return rc;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a write to a closed peer: EPIPE instead */
    lfd = open_listener();
    if (lfd < 0) {
        perror(PROG ": listen");
        return 1;
    }
    while (!stop) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        struct job *job;
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
        if (count(+1) > cfg.max_conns) {
            char addr[ADDR_STRLEN];
            format_addr(addr, sizeof addr, &peer, 1);
            fprintf(stderr, PROG ": drop peer=%s: %d connections already\n",
                    addr, cfg.max_conns);
            count(-1);
            close(fd);
        } else if ((job = malloc(sizeof *job)) == NULL) {
            count(-1);
            close(fd);
        } else {
            job->fd = fd;
            job->peer = peer;
            if (spawn(job) != 0) {
                count(-1);
                close(fd);
                free(job);
            }
        }
    }
    close(lfd);
    /* Let running threads finish (2 s at most): exit() ends the rest. */
    for (i = 0; i < 20 && count(0) > 0; i++)
        poll(NULL, 0, 100);
    return 0;
}
