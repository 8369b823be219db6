/* udp-echo: a UDP echo backend behind a load balancer that puts a PROXY v2
 * header (transport DGRAM) in front of every datagram it forwards. Each
 * datagram is parsed alone (proxyproto_parse_datagram(): header and payload
 * come whole, SPEC.md section 5); the payload goes back to the sender, which
 * is the load balancer, and one line is logged on stdout:
 *
 *   dgram client=203.0.113.7:51234 bytes=5
 *   reject peer=IP:PORT error=PROXYPROTO_ERR_... msg="..."
 *
 * client= is the header's source for PROXY, the sender's own address for
 * LOCAL and UNKNOWN (as proxyproto_resolve() decides for streams; it needs a
 * connected socket, so here it is done by hand). IPv6 is in brackets.
 *
 *   proxyproto encode --udp --src 203.0.113.7:51234 --dst 127.0.0.1:8083
 *   printf hello | proxyproto send 127.0.0.1:8083 --udp \
 *       --src 203.0.113.7:51234 --dst 127.0.0.1:8083          (prints hello)
 */
#define _POSIX_C_SOURCE 200809L
#include <proxyproto.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "udp-echo"
#define DEFAULT_LISTEN "127.0.0.1:8083"
#define MAX_TRUSTED 64
#define ADDR_STRLEN (PROXYPROTO_IP_STRLEN + 128)

static volatile sig_atomic_t stop;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "UDP echo server behind a load balancer that prefixes each datagram\n"
          "with a PROXY protocol v2 header. Sends each payload back to the\n"
          "sender (the load balancer) and logs on stdout:\n"
          "  dgram client=IP:PORT bytes=N\n"
          "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n"
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8083 or [::1]:8083 (default "
          DEFAULT_LISTEN ");\n"
          "                        port 0 picks a free port (printed on stderr)\n"
          "  --trusted CIDR        a load balancer's address or network, e.g.\n"
          "                        10.0.0.0/8 or 2001:db8::/32; repeatable\n"
          "                        (default 127.0.0.0/8 and ::1: loopback only).\n"
          "                        Datagrams from others are dropped.\n"
          "  --help                this text\n",
          out);
}

/* ---- addresses and log lines --------------------------------------------- */

/* "127.0.0.1:8083" or "[::1]:8083". Returns 0 or -1. */
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
    char addr[ADDR_STRLEN];

    format_addr(addr, sizeof addr, peer, 1);
    printf("reject peer=%s error=%s msg=\"", addr, proxyproto_error_name(code));
    put_quoted(stdout, proxyproto_strerror(code));
    fputs("\"\n", stdout);
    fflush(stdout);
}

/* One datagram from `from`: check, parse, log, echo the payload back. */
static void handle(int fd, const proxyproto_policy *policy,
                   const unsigned char *buf, size_t len,
                   const struct sockaddr_storage *from, socklen_t from_len)
{
    struct sockaddr_storage client;
    char addr[ADDR_STRLEN];
    proxyproto_header hdr;
    int rc = proxyproto_policy_check(policy, (const struct sockaddr *)from);

    if (rc >= 0)
        rc = proxyproto_parse_datagram(&hdr, buf, len);
    if (rc < 0) { /* untrusted sender, or no valid header: dropped */
        log_reject(from, rc);
        return;
    }
    if (proxyproto_use_header_addresses(&hdr))
        proxyproto_sockaddr(&hdr, PROXYPROTO_SOURCE, &client);
    else
        client = *from; /* LOCAL, UNKNOWN: the sender itself */
    format_addr(addr, sizeof addr, &client, 1);
    printf("dgram client=%s bytes=%zu\n", addr, len - (size_t)rc);
    fflush(stdout);
    /* UDP: a send that fails (no buffer space) loses a datagram, as UDP may. */
    sendto(fd, buf + rc, len - (size_t)rc, 0, (const struct sockaddr *)from,
           from_len);
}

/* ---- main ---------------------------------------------------------------- */

static int bad_option(const char *opt, const char *value)
{
    fprintf(stderr, PROG ": bad %s%s%s\nTry '" PROG " --help'.\n", opt,
            value ? " " : "", value ? value : "");
    return 2;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    static unsigned char buf[65536]; /* the largest UDP datagram */
    static proxyproto_cidr trusted[MAX_TRUSTED];
    struct sockaddr_storage listen_addr, bound;
    socklen_t listen_len, len = sizeof bound;
    proxyproto_policy policy;
    char addr[ADDR_STRLEN];
    struct sigaction sa;
    size_t n = 0;
    int i, fd;

    parse_listen(DEFAULT_LISTEN, &listen_addr, &listen_len);
    for (i = 1; i < argc; i += 2) { /* every option but --help has a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--listen") == 0 && v) {
            if (parse_listen(v, &listen_addr, &listen_len) != 0)
                return bad_option(a, v);
        } else if (strcmp(a, "--trusted") == 0 && v) {
            if (n == MAX_TRUSTED || proxyproto_cidr_parse(&trusted[n++], v) != 0)
                return bad_option(a, v);
        } else {
            return bad_option("option", a);
        }
    }
    if (n == 0) { /* loopback only */
        proxyproto_cidr_parse(&trusted[n++], "127.0.0.0/8");
        proxyproto_cidr_parse(&trusted[n++], "::1");
    }
    memset(&policy, 0, sizeof policy);
    policy.trusted = trusted;
    policy.n_trusted = n;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fd = socket(listen_addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&listen_addr, listen_len) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        perror(PROG ": bind");
        return 1;
    }
    format_addr(addr, sizeof addr, &bound, 1);
    fprintf(stderr, PROG ": listening on %s\n", addr);
    while (!stop) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        struct pollfd p;
        ssize_t got;

        p.fd = fd;
        p.events = POLLIN;
        if (poll(&p, 1, 1000) <= 0) /* wakes up to look at `stop` */
            continue;
        got = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
                       &from_len);
        if (got >= 0)
            handle(fd, &policy, buf, (size_t)got, &from, from_len);
    }
    close(fd);
    return 0;
}
