/* loadgen: end-to-end connection-rate load generator for the example servers
 * (examples/epoll-server.c, http-server.c), on loopback or any address.
 *
 * One process, one thread, epoll, non-blocking connects. It keeps
 * --concurrency connections in flight; each one:
 *
 *   socket -> [bind --bind IP] -> connect -> one write of
 *   [PROXY header] + "GET / HTTP/1.0\r\n\r\n" -> read the response until EOF
 *   -> check it -> close
 *
 * and a new connection takes its place, until --duration seconds have
 * passed (after --warmup) or --count connections were made. Connections
 * still in flight at the end are finished (not counted in the rate, still
 * checked), so the server is left with none half done.
 *
 * The header (--header v2 or v1) is written with the library
 * (proxyproto_header_from_sockaddrs, proxyproto_write) for every connection:
 * source --header-src (default 192.0.2.1, or 2001:db8::1 towards an IPv6
 * server) with a port that changes per connection, destination the server.
 * The response is checked: it must start with "HTTP/1.1 200", and the body
 * of examples/http-server.c ("IP = CLIENT:PORT") must name the header's
 * source and port exactly (so the server did use the header), or, without a
 * header and with --bind, the bound address (the server used the socket's).
 *
 * TIME_WAIT: the client closes with SO_LINGER {1, 0} (a reset, after the
 * server's FIN has been read), so neither end keeps a TIME_WAIT socket and
 * ephemeral ports are reused at once; --no-linger0 for an ordinary close.
 * With --bind, IP_BIND_ADDRESS_NO_PORT (Linux) lets connect() choose the
 * port per 4-tuple instead of bind() reserving one.
 *
 * Output (stdout), for scripts:
 *   loadgen: rate N conn/s
 *   loadgen: completed=N errors=E (connect=.. io=.. bad=.. timeout=..) in S s
 *   loadgen: latency_us p50=.. p90=.. p99=.. p99.9=.. max=..
 *   loadgen: cpu=F (user=.. sys=..)     this process' CPU time / wall time
 * Exit status: 0, 1 when any connection failed or none completed, 2 on bad
 * options.
 *
 * Linux (epoll); C99 + POSIX otherwise. */
#define _GNU_SOURCE /* SOCK_NONBLOCK, SOCK_CLOEXEC, IP_BIND_ADDRESS_NO_PORT */
#include <proxyproto.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROG "loadgen"
#define MAX_CONC 10000
#define RESP_CAP 512          /* what is kept of a response for the check */
#define REQUEST "GET / HTTP/1.0\r\n\r\n"
#define MAX_EVENTS 256

enum { FREE, CONNECTING, READING };

struct conn {
    int fd;
    int state;
    long long t0;          /* ns, when the connect started */
    unsigned port;         /* header source port */
    size_t got;            /* response bytes read (kept: up to RESP_CAP) */
    char resp[RESP_CAP];
};

static struct {
    struct sockaddr_storage server, bind, hsrc;
    socklen_t server_len, bind_len;
    int have_bind;
    int header;            /* 0 none, 1 v1, 2 v2 */
    int conc;
    double duration, warmup, timeout;
    unsigned long long count;
    int linger0;
    char expect[128];      /* body prefix to check; "" none */
    int expect_exact;      /* plus the per-connection port, then the end */
} cfg;

static struct {
    int ep;
    struct conn *conns;
    int active;
    int launching;         /* new connections may start */
    long long t_measure, t_end; /* ns */
    unsigned long long launched, launched_measured, seq;
    unsigned long long completed, completed_window;
    unsigned long long err_connect, err_io, err_bad, err_timeout;
    uint32_t *lat;         /* us, of connections completed in the window */
    size_t n_lat, cap_lat;
    long long t_last;      /* ns, last completion in the window */
    long long t_stop;      /* ns, when launching stopped */
} S;

static volatile sig_atomic_t interrupted;

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void usage(FILE *out)
{
    fputs("Usage: " PROG " --connect ADDR:PORT [options]\n"
          "\n"
          "Opens connections to an HTTP server (the libproxyproto example\n"
          "servers), each with an optional PROXY header and GET /, reads the\n"
          "response to EOF, and reports connections per second.\n"
          "\n"
          "  --connect ADDR:PORT   server: 127.0.0.1:8082 or [::1]:8082\n"
          "  --bind IP             source address (e.g. 127.0.0.2); default: any\n"
          "  --header none|v1|v2   PROXY header before the request (default none)\n"
          "  --header-src IP       source address in the header (default 192.0.2.1,\n"
          "                        2001:db8::1 towards an IPv6 server)\n"
          "  --concurrency N       connections in flight (default 64, max 10000)\n"
          "  --duration SEC        measured time (default 3, max 600)\n"
          "  --warmup SEC          unmeasured time before it (default 0.5)\n"
          "  --count N             stop after N measured connections (the\n"
          "                        duration still bounds the run)\n"
          "  --timeout SEC         per connection (default 5)\n"
          "  --no-linger0          ordinary close (leaves TIME_WAIT sockets)\n"
          "  --help                this text\n",
          out);
}

/* "IP:PORT" / "[IP]:PORT" (port != NULL) or "IP" (port == NULL, port 0). */
static int parse_addr(const char *s, int want_port,
                      struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    char host[64], *end;
    const char *h = s, *port = NULL;
    size_t n = strlen(s);
    long p = 0;

    if (want_port) {
        const char *sep = s[0] == '[' ? strchr(s, ']') : strrchr(s, ':');
        if (sep == NULL || (s[0] == '[' && sep[1] != ':'))
            return -1;
        port = s[0] == '[' ? sep + 2 : sep + 1;
        h = s[0] == '[' ? s + 1 : s;
        n = (size_t)(sep - h);
        if (*port < '0' || *port > '9')
            return -1;
        p = strtol(port, &end, 10);
        if (*end != '\0' || p > 65535)
            return -1;
    }
    if (n >= sizeof host)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)p);
        *len = sizeof *in4;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)p);
        *len = sizeof *in6;
    } else {
        return -1;
    }
    return 0;
}

static void addr_ip(char *out, size_t cap, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        proxyproto_format_ip4(out, cap,
                              (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr);
    else
        proxyproto_format_ip6(out, cap,
                              ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr);
}

static int parse_seconds(const char *v, double max, double *out)
{
    char *end;
    double d = v ? strtod(v, &end) : -1;

    if (v == NULL || end == v || *end != '\0' || !(d >= 0) || d > max)
        return -1;
    *out = d;
    return 0;
}

static int bad_option(const char *opt, const char *value)
{
    fprintf(stderr, PROG ": bad %s%s%s\nTry '" PROG " --help'.\n", opt,
            value ? " " : "", value ? value : "");
    return 2;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv)
{
    socklen_t hlen;
    int i, have_server = 0, have_hsrc = 0;
    char ip[PROXYPROTO_IP_STRLEN];

    cfg.conc = 64;
    cfg.duration = 3;
    cfg.warmup = 0.5;
    cfg.timeout = 5;
    cfg.linger0 = 1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--no-linger0") == 0) {
            cfg.linger0 = 0;
            continue;
        } else if (strcmp(a, "--connect") == 0 && v) {
            if (parse_addr(v, 1, &cfg.server, &cfg.server_len) != 0)
                return bad_option(a, v);
            have_server = 1;
        } else if (strcmp(a, "--bind") == 0 && v) {
            if (parse_addr(v, 0, &cfg.bind, &cfg.bind_len) != 0)
                return bad_option(a, v);
            cfg.have_bind = 1;
        } else if (strcmp(a, "--header-src") == 0 && v) {
            if (parse_addr(v, 0, &cfg.hsrc, &hlen) != 0)
                return bad_option(a, v);
            have_hsrc = 1;
        } else if (strcmp(a, "--header") == 0 && v) {
            if (strcmp(v, "none") == 0)
                cfg.header = 0;
            else if (strcmp(v, "v1") == 0)
                cfg.header = 1;
            else if (strcmp(v, "v2") == 0)
                cfg.header = 2;
            else
                return bad_option(a, v);
        } else if (strcmp(a, "--concurrency") == 0 && v) {
            long n = strtol(v, &end, 10);
            if (*v < '0' || *v > '9' || *end != '\0' || n < 1 || n > MAX_CONC)
                return bad_option(a, v);
            cfg.conc = (int)n;
        } else if (strcmp(a, "--count") == 0 && v) {
            unsigned long long n = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end != '\0' || n < 1)
                return bad_option(a, v);
            cfg.count = n;
        } else if (strcmp(a, "--duration") == 0) {
            if (parse_seconds(v, 600, &cfg.duration) != 0 || cfg.duration <= 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--warmup") == 0) {
            if (parse_seconds(v, 60, &cfg.warmup) != 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--timeout") == 0) {
            if (parse_seconds(v, 600, &cfg.timeout) != 0 || cfg.timeout <= 0)
                return bad_option(a, v);
        } else {
            return bad_option("option", a);
        }
        i++; /* the value */
    }
    if (!have_server) {
        usage(stderr);
        return 2;
    }
    if (cfg.have_bind && cfg.bind.ss_family != cfg.server.ss_family)
        return bad_option("--bind", "(not the server's address family)");
    if (!have_hsrc)
        parse_addr(cfg.server.ss_family == AF_INET6 ? "2001:db8::1" : "192.0.2.1",
                   0, &cfg.hsrc, &hlen);
    /* What the server must answer: the header's source (family mixes are
     * written as IPv4-mapped IPv6 by the library: checked as a prefix),
     * or the bound address. */
    if (cfg.header != 0) {
        addr_ip(ip, sizeof ip, &cfg.hsrc);
        cfg.expect_exact = cfg.hsrc.ss_family == cfg.server.ss_family;
        snprintf(cfg.expect, sizeof cfg.expect, cfg.expect_exact ? "IP = %s:" : "IP = ",
                 ip);
        if (cfg.header == 1 && !cfg.expect_exact)
            return bad_option("--header-src", "(v1 needs the server's family)");
    } else if (cfg.have_bind) {
        addr_ip(ip, sizeof ip, &cfg.bind);
        snprintf(cfg.expect, sizeof cfg.expect, "IP = %s:", ip);
    }
    return -1;
}

/* ---- connections ---------------------------------------------------------- */

static void record_latency(long long us)
{
    if (S.n_lat == S.cap_lat) {
        size_t cap = S.cap_lat ? S.cap_lat * 2 : 65536;
        uint32_t *p = cap <= ((size_t)1 << 26) ? realloc(S.lat, cap * sizeof *p) : NULL;
        if (p == NULL)
            return; /* more than 64 M connections: the rest go unsampled */
        S.lat = p;
        S.cap_lat = cap;
    }
    S.lat[S.n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void finish(struct conn *c, int ok, unsigned long long *err_counter,
                   long long now)
{
    close(c->fd); /* with linger0: a reset; also leaves the epoll set */
    c->fd = -1;
    c->state = FREE;
    S.active--;
    if (!ok) {
        (*err_counter)++;
        return;
    }
    S.completed++;
    if (now >= S.t_measure && now < S.t_end) {
        S.completed_window++;
        S.t_last = now;
        record_latency((now - c->t0) / 1000);
    }
}

/* The request (with its header): one write. */
static int send_request(struct conn *c)
{
    char out[512]; /* a v2 IPv6 header is 52 bytes */
    size_t n = 0;
    ssize_t k;

    if (cfg.header != 0) {
        struct sockaddr_storage src = cfg.hsrc;
        proxyproto_header hdr;
        int rc;

        if (src.ss_family == AF_INET)
            ((struct sockaddr_in *)&src)->sin_port = htons((uint16_t)c->port);
        else
            ((struct sockaddr_in6 *)&src)->sin6_port = htons((uint16_t)c->port);
        rc = proxyproto_header_from_sockaddrs(&hdr, cfg.header,
                                              PROXYPROTO_TRANSPORT_STREAM,
                                              (const struct sockaddr *)&src,
                                              (const struct sockaddr *)&cfg.server);
        if (rc == 0)
            rc = proxyproto_write(out, sizeof out - (sizeof REQUEST - 1), &hdr);
        if (rc < 0) {
            fprintf(stderr, PROG ": header: %s\n", proxyproto_strerror(rc));
            exit(1);
        }
        n = (size_t)rc;
    }
    memcpy(out + n, REQUEST, sizeof REQUEST - 1);
    n += sizeof REQUEST - 1;
    do
        k = send(c->fd, out, n, MSG_NOSIGNAL);
    while (k < 0 && errno == EINTR);
    return k == (ssize_t)n ? 0 : -1; /* a fresh socket takes 64 bytes whole */
}

static int launch(struct conn *c, long long now)
{
    static const int one = 1;
    struct linger lg = { 1, 0 };
    struct epoll_event ev;
    int fd, rc;

    fd = socket(cfg.server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror(PROG ": socket");
        return -1;
    }
    if (cfg.linger0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (cfg.have_bind) {
#ifdef IP_BIND_ADDRESS_NO_PORT
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        if (bind(fd, (struct sockaddr *)&cfg.bind, cfg.bind_len) != 0) {
            perror(PROG ": bind");
            close(fd);
            return -1;
        }
    }
    (void)one;
    c->fd = fd;
    c->t0 = now;
    c->got = 0;
    c->port = (unsigned)(S.seq++ % 65535) + 1;
    S.active++;
    S.launched++;
    if (now >= S.t_measure)
        S.launched_measured++;
    rc = connect(fd, (struct sockaddr *)&cfg.server, cfg.server_len);
    if (rc != 0 && errno != EINPROGRESS) {
        finish(c, 0, &S.err_connect, now);
        return 0;
    }
    /* Edge-triggered, both directions at once: one epoll_ctl per
     * connection. EPOLLOUT says the connect is done; EPOLLIN the response. */
    c->state = CONNECTING;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.ptr = c;
    if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        perror(PROG ": epoll_ctl");
        finish(c, 0, &S.err_connect, now);
        return -1;
    }
    if (rc == 0) { /* connected at once */
        if (send_request(c) != 0) {
            finish(c, 0, &S.err_connect, now);
            return 0;
        }
        c->state = READING;
    }
    return 0;
}

/* Does the response look like the server's answer to this connection? */
static int response_ok(const struct conn *c)
{
    size_t n = c->got < RESP_CAP ? c->got : RESP_CAP;
    const char *body = NULL;
    size_t i, blen, elen;
    char want[160];

    if (n < 12 || memcmp(c->resp, "HTTP/1.1 200", 12) != 0)
        return 0;
    if (cfg.expect[0] == '\0')
        return 1;
    for (i = 0; i + 3 < n; i++)
        if (memcmp(c->resp + i, "\r\n\r\n", 4) == 0) {
            body = c->resp + i + 4;
            break;
        }
    if (body == NULL)
        return 0;
    blen = n - (size_t)(body - c->resp);
    if (cfg.expect_exact)
        elen = (size_t)snprintf(want, sizeof want, "%s%u", cfg.expect, c->port);
    else
        elen = (size_t)snprintf(want, sizeof want, "%s", cfg.expect);
    if (blen < elen || memcmp(body, want, elen) != 0)
        return 0;
    return !cfg.expect_exact || blen == elen;
}

static void on_event(struct conn *c, uint32_t events, long long now)
{
    if (c->state == CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        if (send_request(c) != 0) { /* also a failed connect (ECONNREFUSED) */
            finish(c, 0, &S.err_connect, now);
            return;
        }
        c->state = READING;
    }
    if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
        return;
    for (;;) { /* edge-triggered: until EAGAIN or EOF */
        char tmp[RESP_CAP];
        size_t room = c->got < RESP_CAP ? RESP_CAP - c->got : 0;
        ssize_t n = recv(c->fd, room ? c->resp + c->got : tmp,
                         room ? room : sizeof tmp, 0);

        if (n > 0) {
            c->got += (size_t)n;
        } else if (n == 0) {
            finish(c, response_ok(c), &S.err_bad, now);
            return;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            finish(c, 0, &S.err_io, now);
            return;
        }
    }
}

static void expire(long long now)
{
    long long limit = (long long)(cfg.timeout * 1e9);
    int i;

    for (i = 0; i < cfg.conc; i++) {
        struct conn *c = &S.conns[i];
        if (c->state != FREE && now - c->t0 > limit)
            finish(c, 0, &S.err_timeout, now);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static uint32_t pct(double p)
{
    size_t i;

    if (S.n_lat == 0)
        return 0;
    i = (size_t)(p / 100.0 * (double)(S.n_lat - 1) + 0.5);
    return S.lat[i < S.n_lat ? i : S.n_lat - 1];
}

/* Room for --concurrency descriptors (and a few more), if the hard limit
 * allows. Returns 0 or -1. */
static int fit_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)cfg.conc + 16;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        fprintf(stderr, PROG ": --concurrency %d needs %llu descriptors, the "
                "hard limit is %llu\n", cfg.conc, (unsigned long long)want,
                (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = interrupted ? 2 : 1; /* 1: finish those in flight; 2: now */
}

int main(int argc, char **argv)
{
    struct epoll_event events[MAX_EVENTS];
    struct sigaction sa;
    struct rusage ru;
    char ip[PROXYPROTO_IP_STRLEN], bind_ip[PROXYPROTO_IP_STRLEN] = "any";
    long long t_start, now, t_next_expire, drain_limit;
    unsigned long long errors;
    double window, rate, cpu_user, cpu_sys;
    int i, rc = parse_args(argc, argv);

    if (rc >= 0)
        return rc;
    if (fit_fd_limit() != 0)
        return 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    S.conns = calloc((size_t)cfg.conc, sizeof *S.conns);
    S.ep = epoll_create1(EPOLL_CLOEXEC);
    if (S.conns == NULL || S.ep < 0) {
        perror(PROG);
        return 1;
    }
    for (i = 0; i < cfg.conc; i++)
        S.conns[i].fd = -1;

    t_start = now = now_ns();
    S.t_measure = t_start + (long long)(cfg.warmup * 1e9);
    S.t_end = S.t_measure + (long long)(cfg.duration * 1e9);
    drain_limit = S.t_end + (long long)(cfg.timeout * 1e9) + 1000000000LL;
    t_next_expire = now + 100000000LL;
    S.launching = 1;
    for (i = 0; i < cfg.conc; i++)
        if (launch(&S.conns[i], now) != 0)
            return 1;

    while (S.active > 0 || S.launching) {
        long long wake;
        int n, ms;

        now = now_ns();
        if (S.launching &&
            (now >= S.t_end || interrupted ||
             (cfg.count > 0 && S.launched_measured >= cfg.count)))
            S.launching = 0;
        if (!S.launching && S.t_stop == 0)
            S.t_stop = now;
        if (!S.launching && (S.active == 0 || now >= drain_limit || interrupted > 1))
            break;
        /* Refill the free slots. */
        if (S.launching)
            for (i = 0; i < cfg.conc && S.launching; i++)
                if (S.conns[i].state == FREE) {
                    if (cfg.count > 0 && S.launched_measured >= cfg.count) {
                        S.launching = 0;
                        break;
                    }
                    if (launch(&S.conns[i], now) != 0)
                        return 1;
                }
        wake = S.launching ? (now < S.t_measure ? S.t_measure : S.t_end) : drain_limit;
        if (t_next_expire < wake)
            wake = t_next_expire;
        ms = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
        n = epoll_wait(S.ep, events, MAX_EVENTS, ms);
        if (n < 0 && errno != EINTR) {
            perror(PROG ": epoll_wait");
            return 1;
        }
        now = now_ns();
        for (i = 0; i < n; i++)
            on_event(events[i].data.ptr, events[i].events, now);
        if (now >= t_next_expire) {
            expire(now);
            t_next_expire = now + 100000000LL;
        }
    }
    /* Whatever is left (interrupted, or past the drain limit). */
    for (i = 0; i < cfg.conc; i++)
        if (S.conns[i].state != FREE)
            finish(&S.conns[i], 0, &S.err_timeout, now);

    /* Runs that went the whole duration are measured over it; those that
     * stopped launching earlier (--count, a signal) up to their last
     * completion. */
    window = (double)((S.t_stop < S.t_end ? S.t_last : S.t_end) - S.t_measure) / 1e9;
    rate = window > 0 ? (double)S.completed_window / window : 0;
    errors = S.err_connect + S.err_io + S.err_bad + S.err_timeout;
    qsort(S.lat, S.n_lat, sizeof *S.lat, cmp_u32);
    getrusage(RUSAGE_SELF, &ru);
    cpu_user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    cpu_sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

    addr_ip(ip, sizeof ip, &cfg.server);
    if (cfg.have_bind)
        addr_ip(bind_ip, sizeof bind_ip, &cfg.bind);
    printf(PROG ": server=%s%s%s:%u bind=%s header=%s concurrency=%d "
           "warmup=%.2fs duration=%.2fs%s\n",
           cfg.server.ss_family == AF_INET6 ? "[" : "", ip,
           cfg.server.ss_family == AF_INET6 ? "]" : "",
           (unsigned)ntohs(((struct sockaddr_in *)&cfg.server)->sin_port), bind_ip,
           cfg.header == 0 ? "none" : cfg.header == 1 ? "v1" : "v2", cfg.conc,
           cfg.warmup, cfg.duration, cfg.linger0 ? "" : " no-linger0");
    printf(PROG ": completed=%llu errors=%llu (connect=%llu io=%llu bad=%llu "
           "timeout=%llu) in %.3f s; %llu in all\n",
           S.completed_window, errors, S.err_connect, S.err_io, S.err_bad,
           S.err_timeout, window, S.completed);
    printf(PROG ": latency_us p50=%u p90=%u p99=%u p99.9=%u max=%u\n", pct(50),
           pct(90), pct(99), pct(99.9), S.n_lat ? S.lat[S.n_lat - 1] : 0);
    printf(PROG ": cpu=%.2f (user=%.2fs sys=%.2fs)\n",
           (cpu_user + cpu_sys) / ((double)(now - t_start) / 1e9), cpu_user,
           cpu_sys);
    printf(PROG ": rate %.0f conn/s\n", rate);
    free(S.lat);
    free(S.conns);
    close(S.ep);
    return errors > 0 || S.completed_window == 0 ? 1 : 0;
}
