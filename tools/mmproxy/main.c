/* proxyproto-mmproxy: accepts PROXY protocol connections from trusted load
 * balancers and opens each one's connection to the local server from the
 * client's own address, so an unmodified server sees the real client in
 * getpeername(). Options and start-up here; the loop is relay.c. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mmproxy.h"

static const char usage[] =
    "Usage: proxyproto-mmproxy --listen ADDR:PORT --to ADDR:PORT --trusted CIDR\n"
    "                          [options]\n"
    "\n"
    "Accepts connections that begin with a PROXY protocol header (v1 or v2)\n"
    "from the trusted load balancers, and connects to the server at --to from\n"
    "the client address the header names (IP_TRANSPARENT), so the server sees\n"
    "the real client with no change of its own. Then relays both ways.\n"
    "\n"
    "  --listen ADDR:PORT   where the load balancers connect (repeatable;\n"
    "                       127.0.0.1:8443, [::]:8443)\n"
    "  --to ADDR:PORT       the server; once per family (IPv4 clients go to\n"
    "                       the IPv4 one, IPv6 clients to the IPv6 one)\n"
    "  --trusted CIDR       a load balancer's address or network (repeatable;\n"
    "                       everyone else is refused)\n"
    "  --header-timeout MS  the whole header must be in within MS ms, and the\n"
    "                       server must accept within as long (default 3000)\n"
    "  --idle-timeout MS    close a relayed connection after MS ms with no\n"
    "                       byte either way (default: never)\n"
    "  --mark N             SO_MARK on the connections to the server, for the\n"
    "                       fwmark routing rule (see --print-setup; TCP only)\n"
    "  --udp                relay UDP instead of TCP: each datagram starts with\n"
    "                       a v2 header (DGRAM); a flow per client address\n"
    "  --udp-idle-ms MS     a UDP flow ends after MS ms unused (default 60000)\n"
    "  --workers N          N epoll loops, each accepting on listeners of its\n"
    "                       own (SO_REUSEPORT); default one per online CPU\n"
    "  --print-setup        print the routing set-up these options need, exit\n"
    "  --no-setup-check     start even when the set-up looks missing\n"
    "  -v, --verbose        a line per relayed connection\n"
    "  -h, --help           this text\n"
    "\n"
    "Needs CAP_NET_ADMIN (or root). See proxyproto-mmproxy(1).\n";

/* "1.2.3.4:80" or "[::1]:80" into *out. Returns 0 or -1. */
static int parse_endpoint(const char *text, struct sockaddr_storage *out)
{
    char host[64];
    const char *colon, *h = text;
    size_t hl;
    char *end;
    long port;

    memset(out, 0, sizeof *out);
    colon = strrchr(text, ':');
    if (!colon)
        return -1;
    hl = (size_t)(colon - text);
    if (text[0] == '[') {
        if (hl < 2 || text[hl - 1] != ']')
            return -1;
        h = text + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
        return -1;
    if (text[0] != '[') {
        struct sockaddr_in *s4 = (struct sockaddr_in *)out;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((unsigned short)port);
        return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((unsigned short)port);
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
    }
}

static int die_usage(const char *what, const char *arg)
{
    fprintf(stderr, "proxyproto-mmproxy: %s%s%s\n(see --help)\n", what,
            arg ? ": " : "", arg ? arg : "");
    return 2;
}

/* A listener on a. With reuseport, every worker binds one of its own to
 * the same address and the kernel spreads the connections between them
 * (by a hash of the addresses and ports). */
static int open_listener(const struct sockaddr_storage *a, int reuseport,
                         int udp)
{
    int one = 1, fd;
    socklen_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in);
    fd = socket(a->ss_family,
                (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        close(fd);
        return -1;
    }
    if (a->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)a, len) < 0 ||
        (!udp && listen(fd, 1024) < 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

enum { O_LISTEN = 256, O_TO, O_TRUSTED, O_TIMEOUT, O_MARK, O_PRINT, O_NOCHECK,
       O_WORKERS, O_UDP, O_UDP_IDLE, O_IDLE };

static int parse_args(int argc, char **argv, mm_options *o, int *print_setup,
                      int *no_check)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"to", required_argument, NULL, O_TO},
        {"trusted", required_argument, NULL, O_TRUSTED},
        {"header-timeout", required_argument, NULL, O_TIMEOUT},
        {"mark", required_argument, NULL, O_MARK},
        {"workers", required_argument, NULL, O_WORKERS},
        {"udp", no_argument, NULL, O_UDP},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"udp-idle-ms", required_argument, NULL, O_UDP_IDLE},
        {"print-setup", no_argument, NULL, O_PRINT},
        {"no-setup-check", no_argument, NULL, O_NOCHECK},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct sockaddr_storage a;
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            if (o->n_listen == MM_MAX_LISTEN)
                return die_usage("too many --listen", NULL);
            if (parse_endpoint(optarg, &o->listen[o->n_listen]) < 0)
                return die_usage("--listen wants ADDR:PORT", optarg);
            o->n_listen++;
            break;
        case O_TO:
            if (parse_endpoint(optarg, &a) < 0)
                return die_usage("--to wants ADDR:PORT", optarg);
            if (a.ss_family == AF_INET ? o->has_to4 : o->has_to6)
                return die_usage("one --to per address family", optarg);
            if (a.ss_family == AF_INET) { o->to4 = a; o->has_to4 = 1; }
            else { o->to6 = a; o->has_to6 = 1; }
            break;
        case O_TRUSTED:
            if (o->n_trusted == MM_MAX_TRUSTED)
                return die_usage("too many --trusted", NULL);
            if (proxyproto_cidr_parse(&o->trusted[o->n_trusted], optarg) < 0)
                return die_usage("--trusted wants an address or CIDR", optarg);
            o->n_trusted++;
            break;
        case O_TIMEOUT:
            o->header_timeout_ms = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o->header_timeout_ms < 1 ||
                o->header_timeout_ms > 3600000)
                return die_usage("--header-timeout wants 1 to 3600000", optarg);
            break;
        case O_MARK:
            o->mark = (unsigned)strtoul(optarg, &end, 0);
            if (*end || end == optarg || o->mark == 0)
                return die_usage("--mark wants a number above 0", optarg);
            break;
        case O_WORKERS:
            o->workers = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o->workers < 1 ||
                o->workers > MM_MAX_WORKERS)
                return die_usage("--workers wants 1 to 64", optarg);
            break;
        case O_UDP: o->udp = 1; break;
        case O_IDLE:
            o->idle_timeout_ms = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o->idle_timeout_ms < 1 ||
                o->idle_timeout_ms > 86400000)
                return die_usage("--idle-timeout wants 1 to 86400000", optarg);
            break;
        case O_UDP_IDLE:
            o->udp_idle_ms = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o->udp_idle_ms < 1 ||
                o->udp_idle_ms > 86400000)
                return die_usage("--udp-idle-ms wants 1 to 86400000", optarg);
            break;
        case O_PRINT: *print_setup = 1; break;
        case O_NOCHECK: *no_check = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': fputs(usage, stdout); exit(0);
        default: return 2;
        }
    }
    if (optind < argc)
        return die_usage("unexpected argument", argv[optind]);
    if (!o->has_to4 && !o->has_to6)
        return die_usage("--to is required", NULL);
    if (*print_setup)
        return 0;
    if (o->n_listen == 0)
        return die_usage("--listen is required", NULL);
    if (o->n_trusted == 0)
        return die_usage("--trusted is required (nobody else may send headers)", NULL);
    return 0;
}

/* The start-up check: IP_TRANSPARENT, then the routing set-up. */
static int check_setup(const mm_options *o, int no_check)
{
    static char cmds[2048];
    int e = mm_can_transparent();
    if (e) {
        fprintf(stderr, "proxyproto-mmproxy: cannot set IP_TRANSPARENT (%s): "
                "run as root or with CAP_NET_ADMIN, e.g.\n"
                "  setcap cap_net_admin+ep /path/to/proxyproto-mmproxy\n",
                strerror(e));
        return 1;
    }
    if (!o->mark && !o->udp) {
        fprintf(stderr, "proxyproto-mmproxy: no --mark: the server's replies "
                "to clients come back to the relay through a routing rule\n"
                "that matches a mark; give --mark N (--print-setup --mark N "
                "shows the rest),\nor route them yourself and pass "
                "--no-setup-check\n");
        return no_check ? 0 : 1;
    }
    if (mm_setup_commands(o, 1, cmds, sizeof cmds) == 0)
        return 0;
    fprintf(stderr, "proxyproto-mmproxy: the server's replies to clients would "
            "not come back to the relay; missing set-up:\n%s", cmds);
    if (no_check) {
        fprintf(stderr, "proxyproto-mmproxy: starting anyway (--no-setup-check)\n");
        return 0;
    }
    return 1;
}

/* The workers are threads of one process rather than processes: one pid
 * to supervise and signal, one descriptor limit, one log, and a fatal
 * error in any loop ends the whole relay (as it would with one loop), so
 * a supervisor restarts it instead of it running short of workers. The
 * loops share nothing but the options, which no one writes once they
 * start. */
struct worker {
    const mm_options *o;
    int lfds[MM_MAX_LISTEN];
    int index;
    pthread_t thread;
};

static int run(struct worker *w)
{
    return w->o->udp ? mm_run_udp(w->o, w->lfds, w->o->n_listen, w->index)
                     : mm_run(w->o, w->lfds, w->o->n_listen, w->index);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    exit(run(w));
    return NULL;
}

/* Default: one loop per online CPU, the most a busy relay can use. */
static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MM_MAX_WORKERS ? MM_MAX_WORKERS : (int)n;
}

int main(int argc, char **argv)
{
    static mm_options o;
    static char cmds[2048];
    static struct worker workers[MM_MAX_WORKERS];
    int print_setup = 0, no_check = 0, rc, i, w;

    rc = parse_args(argc, argv, &o, &print_setup, &no_check);
    if (rc)
        return rc;
    if (!o.udp_idle_ms)
        o.udp_idle_ms = 60000;
    if (print_setup) {
        if (!o.mark && !o.udp)
            return die_usage("--print-setup needs --mark N", NULL);
        mm_setup_commands(&o, 0, cmds, sizeof cmds);
        fputs(cmds, stdout);
        return 0;
    }
    if (check_setup(&o, no_check))
        return 1;
    if (!o.workers)
        o.workers = default_workers();
    {
        /* Six descriptors a connection (two sockets, two pipes): the soft
         * limit (often 1024) would stop it at about 170. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    signal(SIGPIPE, SIG_IGN);
    /* Every listener is open before any loop starts: an address in use is
     * reported once, at start-up. SO_REUSEPORT only with more than one
     * worker, so that a second relay started by mistake on the same
     * address fails (EADDRINUSE) instead of sharing its connections. */
    for (w = 0; w < o.workers; w++) {
        workers[w].o = &o;
        workers[w].index = w;
        for (i = 0; i < o.n_listen; i++) {
            char a[PROXYPROTO_ADDR_STRLEN];
            int fd = open_listener(&o.listen[i], o.workers > 1, o.udp);
            proxyproto_format_sockaddr(a, sizeof a, (struct sockaddr *)&o.listen[i]);
            if (fd < 0) {
                fprintf(stderr, "proxyproto-mmproxy: listen %s: %s\n", a,
                        strerror(errno));
                return 1;
            }
            workers[w].lfds[i] = fd;
            if (w == 0)
                fprintf(stderr, "proxyproto-mmproxy: listening on %s%s\n", a,
                        o.udp ? " (UDP)" : "");
        }
    }
    fprintf(stderr, "proxyproto-mmproxy: %d worker%s\n", o.workers,
            o.workers > 1 ? "s" : "");
    for (w = 1; w < o.workers; w++) {
        rc = pthread_create(&workers[w].thread, NULL, worker_main, &workers[w]);
        if (rc) {
            fprintf(stderr, "proxyproto-mmproxy: worker %d: %s\n", w, strerror(rc));
            return 1;
        }
    }
    return run(&workers[0]);
}
