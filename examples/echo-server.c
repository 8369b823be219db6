/* echo-server: a TCP echo backend behind a PROXY protocol (v1/v2) load
 * balancer. For each connection it logs one line on stdout, then sends back
 * every byte it receives until the client closes:
 *
 *   conn client=203.0.113.7:51234 server=10.0.0.1:443 proxy=v2 cmd=PROXY alpn=h2
 *   conn client=[::1]:42076 server=[::1]:8081 proxy=v1 cmd=PROXY
 *   conn client=127.0.0.1:50312 server=127.0.0.1:8081 proxy=v2 cmd=LOCAL
 *   reject peer=127.0.0.1:50320 error=PROXYPROTO_ERR_TIMEOUT msg="..."
 *
 * client= and server= are the addresses to use (proxyproto_resolve(): the
 * header's for PROXY, the socket's own for LOCAL and UNKNOWN); proxy= is the
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
 * --max-conns); the header read and every later wait are bounded. */
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
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "echo-server"
#define DEFAULT_LISTEN "127.0.0.1:8081"
#define MAX_TRUSTED 64
#define IDLE_TIMEOUT_MS 30000 /* a connection quiet this long is closed */
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
          "TCP echo server behind a PROXY protocol (v1/v2) load balancer. Logs\n"
          "one line per connection on stdout, then echoes what it receives\n"
          "until the client closes (or is quiet for 30 s):\n"
          "  conn client=IP:PORT server=IP:PORT proxy=v1|v2|none "
          "cmd=PROXY|LOCAL|UNKNOWN\n"
          "       [alpn=..] [authority=..] [tls=..] [cipher=..] [cn=..] "
          "[unique_id=..]\n"
          "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n"
          "IPv6 addresses are in brackets; TLV values are raw bytes, those\n"
          "outside 0x21-0x7E and '\\' written as \\xNN.\n"
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8081 or [::1]:8081 (default "
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
          "                        address (proxy=none); a PROXY header they send is\n"
          "                        payload, never believed. Anyone who can reach\n"
          "                        the port then bypasses the load balancer: only\n"
          "                        for a listener that takes direct connections\n"
          "                        on purpose.\n"
          "  --help                this text\n",
          out);
}

/* ---- addresses and log lines --------------------------------------------- */

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

/* msg="..." text: '"' and '\' escaped with a backslash. */
static void put_quoted(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            putc('\\', out);
        putc(*s, out);
    }
}

/* reject peer=IP:PORT error=NAME msg="MESSAGE" */
static void log_reject(const struct sockaddr_storage *peer, int code)
{
    char addr[ADDR_STRLEN], why[128];
    int err = errno; /* of the failed call, for PROXYPROTO_ERR_SYSTEM */

    format_addr(addr, sizeof addr, peer, 1);
    flockfile(stdout); /* the line stays whole among threads */
    printf("reject peer=%s error=%s msg=\"", addr, proxyproto_error_name(code));
    put_quoted(stdout, proxyproto_strerror(code));
    if (code == PROXYPROTO_ERR_SYSTEM && strerror_r(err, why, sizeof why) == 0) {
        fputs(": ", stdout);
        put_quoted(stdout, why);
    }
    fputs("\"\n", stdout);
    fflush(stdout);
    funlockfile(stdout);
}

/* " key=value" for the first TLV of `type` in area[0..len), if any. */
static void put_tlv(const char *key, const uint8_t *area, size_t len,
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

/* conn client=IP:PORT server=IP:PORT proxy=V cmd=C [TLVs]; h NULL: none. */
static void log_conn(const proxyproto_header *h,
                     const struct sockaddr_storage *client,
                     const struct sockaddr_storage *server)
{
    char c[ADDR_STRLEN], s[ADDR_STRLEN];
    const char *cmd = h != NULL && h->command == PROXYPROTO_CMD_LOCAL ? "LOCAL"
                      : h != NULL && proxyproto_use_header_addresses(h)
                          ? "PROXY"
                          : "UNKNOWN";
    proxyproto_ssl ssl;

    format_addr(c, sizeof c, client, 1);
    format_addr(s, sizeof s, server, 1);
    flockfile(stdout);
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
    fflush(stdout);
    funlockfile(stdout);
}

/* ---- one connection ------------------------------------------------------ */

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n); /* bounded by SO_SNDTIMEO */
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

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
    /* The header, then the echoed bytes. Any v2 header fits. */
    unsigned char buf[PROXYPROTO_V2_MAX_LEN];
    struct sockaddr_storage client, server;
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
    rc = proxyproto_resolve_peer(fd, peer, h, &client, &server);
    if (rc != 0) {
        log_reject(peer, rc);
        return;
    }
    log_conn(h, &client, &server); /* before buf is reused: TLVs point in it */
    echo(fd, buf, sizeof buf);
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
