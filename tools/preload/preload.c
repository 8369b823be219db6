/*
 * libproxyproto-preload.so - the PROXY protocol for unmodified servers.
 *
 *   LD_PRELOAD=/usr/local/lib/libproxyproto-preload.so python3 -m http.server 8080
 *
 * Loaded into a dynamically linked server, it reads and strips the PROXY
 * header (v1 or v2) of every connection accepted on a TCP listener, and makes
 * accept() / accept4() report the client address from the header,
 * getpeername() the same, and getsockname() the header's destination.
 * The server itself is not changed and never sees the header bytes; the
 * payload after the header is left in the socket for it, byte for byte
 * (the library's reader peeks, then reads exactly the header).
 *
 * Configuration (environment variables, read once when the library loads;
 * unset or empty means the default; a value that does not parse makes every
 * connection on every TCP listener be refused, with a message on stderr):
 *
 *   PROXYPROTO_PORTS=8080,8443   the listeners it applies to, by local port.
 *                                Default: every TCP listener (IPv4 and IPv6).
 *                                UNIX sockets are never touched.
 *   PROXYPROTO_TRUSTED=10.0.0.0/8,2001:db8::/32
 *                                the load balancers allowed to send a header
 *                                (CIDRs or addresses, comma or space
 *                                separated, at most 64). Default: loopback,
 *                                127.0.0.0/8 and ::1. Others are refused.
 *   PROXYPROTO_OPTIONAL=1        SECURITY: the header becomes optional. A
 *                                trusted peer whose first bytes are not a
 *                                PROXY header (or who sends nothing for the
 *                                whole timeout) is handed over with its real
 *                                addresses; an untrusted peer is handed over
 *                                as is, its bytes untouched (a header it
 *                                sends is payload). Only for listeners that
 *                                also take direct connections on purpose.
 *                                Default 0: a header is required. A warning
 *                                is printed when it is on.
 *   PROXYPROTO_TIMEOUT_MS=3000   how long a connection may take to send its
 *                                whole header, from accept (1-3600000).
 *   PROXYPROTO_VERSIONS=1,2      header versions accepted ("1", "2", "1,2").
 *   PROXYPROTO_LOG=1             log to stderr: 1 refused connections and
 *                                warnings, 2 also every accepted one. 0 by
 *                                default. Configuration errors are always
 *                                printed at start-up, and the optional-mode
 *                                warning when a listener first comes under
 *                                the preload; with 1 or 2, the settings too.
 *
 * Design (see also the README section "Unmodified servers: the preload
 * library"):
 *
 *  - accept()/accept4() on a listener it applies to: the real accept, then
 *    the trust check on the real peer, then the header. A connection that
 *    fails (untrusted peer, bad header, a version not allowed, timeout, peer
 *    closed) is closed, logged, and accept goes on with the next one: the
 *    server never sees it. LOCAL and v1 UNKNOWN headers (health checks) are
 *    stripped and the real addresses kept, and so are those of a v2 UNIX
 *    header (a local client: no IP address to report). Addresses come in
 *    the listener's family, as accept would give them: an IPv4 header on an
 *    IPv6 listener as ::ffff:a.b.c.d (as a dual-stack socket reports an IPv4
 *    client). An IPv6 client on an IPv4 listener cannot be reported (accept
 *    on an AF_INET socket never returns AF_INET6, and servers such as nginx
 *    rely on it): it is refused, with a warning; make the server listen on
 *    IPv6 too (::ffff:a.b.c.d in a header is reported as a.b.c.d there).
 *  - Blocking listener: accept reads the header right there, waiting with
 *    poll() up to PROXYPROTO_TIMEOUT_MS. A slow client delays the next
 *    accept by at most that (as any blocking server is delayed by a slow
 *    client). A signal does not interrupt this wait (it resumes, within the
 *    same deadline).
 *  - Non-blocking listener: accept never waits. A connection whose header
 *    is not complete is parked in a small per-process table (256 slots) and
 *    accept goes on to the next one, returning EAGAIN when none is ready.
 *    To wake the server when a parked header completes, each parked
 *    connection is added to every epoll set the listener is in, with the
 *    listener's own epoll_data and flags (learned by intercepting
 *    epoll_ctl): to the server, it looks like the listener became readable,
 *    and its next accept returns the finished connection (taken out of the
 *    epoll sets first). A timerfd registered the same way wakes it when the
 *    earliest parked connection times out (it is then closed), or at once
 *    when more than one connection is ready. This works for level- and
 *    edge-triggered epoll loops (nginx, libuv/Node.js, Python asyncio).
 *    Registrations made before the preload knew the socket was a listener
 *    (before listen(), or inherited) are looked up in /proc/self/fdinfo.
 *    A non-blocking listener in no epoll set (poll()/select() loops) cannot
 *    be woken that way: there accept waits for the header as on a blocking
 *    listener (bounded by the timeout; logged once).
 *  - The accepted socket gets exactly the flags the caller asked for
 *    (accept4's SOCK_NONBLOCK and SOCK_CLOEXEC; none for accept), and
 *    *addrlen follows accept's truncation rules.
 *  - getpeername()/getsockname() answer from a table indexed by descriptor
 *    (65536 entries, lock-free seqlocks, no allocation) for connections
 *    that had a header with addresses; the entry is cleared by close(),
 *    and dup(), dup2() and dup3() copy it. Each answer is checked against
 *    the socket's inode, so an entry left behind by a close we did not see
 *    (close_range, fclose) is never used for another socket. A connection
 *    on a descriptor beyond the table whose header carries addresses is
 *    refused (logged).
 *
 * Exported: exactly the intercepted libc functions (accept, accept4,
 * getpeername, getsockname, close, listen, epoll_ctl, dup, dup2, dup3;
 * see preload.map). The library is linked in statically and hidden.
 * Linux only (epoll, timerfd, accept4, /proc).
 */
#define _GNU_SOURCE
#include "proxyproto.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Sizes (compile-time; -D to change). */
#ifndef PP_MAX_FD
#define PP_MAX_FD 65536        /* descriptors the address table covers */
#endif
#ifndef PP_MAX_PENDING
#define PP_MAX_PENDING 4096    /* parked connections, at most (see park_cap) */
#endif
#ifndef PP_HEADER_MAX
#define PP_HEADER_MAX 4096     /* longest header accepted (v2 with TLVs) */
#endif
#define PP_MAX_LISTENERS 64    /* non-blocking listeners tracked */
#define PP_MAX_REGS 8          /* epoll sets per listener */
#define PP_MAX_TRUSTED 64
#define PP_MAX_PORTS 64

/* glibc declares the socket functions with a transparent union argument
 * when _GNU_SOURCE is on; a definition must use the same type. */
#ifdef __SOCKADDR_ALLTYPES
#define PP_SA_ARG __SOCKADDR_ARG
#define PP_SA(a) ((a).__sockaddr__)
#else
#define PP_SA_ARG struct sockaddr *restrict
#define PP_SA(a) (a)
#endif

#define PP_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------
 * The real functions
 * ------------------------------------------------------------------------ */

static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_close)(int);
static int (*real_listen)(int, int);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);

/* dlsym returns an object pointer; POSIX guarantees it converts. */
static void resolve(void *fnptr, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    memcpy(fnptr, &p, sizeof p);
}

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

static struct {
    int ok;             /* 0: a bad value: refuse every connection */
    int log;            /* 0, 1 (refusals, warnings), 2 (and accepts) */
    int optional;
    int timeout_ms;
    unsigned versions;  /* bit 1: v1, bit 2: v2 */
    size_t n_trusted;
    proxyproto_cidr trusted[PP_MAX_TRUSTED];
    size_t n_ports;     /* 0: every TCP listener */
    uint16_t ports[PP_MAX_PORTS];
} cfg;

static proxyproto_policy policy;

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, written with one write() so that lines of several
 * threads or processes do not mix. No stdio stream is used. */
static void log_line(const char *fmt, ...)
{
    char buf[640];
    int n, k;
    va_list ap;

    n = snprintf(buf, sizeof buf, "proxyproto-preload[%ld]: ", (long)getpid());
    if (n < 0)
        return;
    va_start(ap, fmt);
    k = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    n += k;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    while (n > 0) {
        ssize_t w = write(2, buf, (size_t)n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        n -= (int)w;
    }
}

/* Value of an environment variable, NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static int is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* Next token of a comma/space separated list into tok[0..cap), or 0 at
 * the end; -1 when a token does not fit. */
static int next_token(const char **p, char *tok, size_t cap)
{
    size_t n = 0;

    while (is_sep(**p))
        (*p)++;
    if (**p == '\0')
        return 0;
    while (**p != '\0' && !is_sep(**p)) {
        if (n + 1 >= cap)
            return -1;
        tok[n++] = *(*p)++;
    }
    tok[n] = '\0';
    return 1;
}

/* A decimal number in [lo, hi], the whole token; -1 otherwise. */
static long parse_num(const char *s, long lo, long hi)
{
    long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

/* Configuration errors, said by announce(): once, by the process that
 * listens, not by every program a wrapper script runs on the way. */
#define PP_CFG_MSGS 6
static char cfg_msg[PP_CFG_MSGS][320];
static int n_cfg_msg;

static void bad_value(const char *name, const char *value, const char *why)
{
    cfg.ok = 0;
    if (n_cfg_msg < PP_CFG_MSGS)
        snprintf(cfg_msg[n_cfg_msg++], sizeof cfg_msg[0],
                 "%s=%s: %s; every connection on a TCP listener will be refused", name,
                 value, why);
}

/* Why a PROXYPROTO_TRUSTED entry does not parse, into why[cap]. */
static void cidr_why(const char *tok, char *why, size_t cap)
{
    const char *slash = strchr(tok, '/');
    char addr[64], net[64];
    proxyproto_cidr c;
    long plen;
    int max, i;

    if (slash != NULL && (size_t)(slash - tok) < sizeof addr) {
        memcpy(addr, tok, (size_t)(slash - tok));
        addr[slash - tok] = '\0';
        if (proxyproto_cidr_parse(&c, addr) == 0) {
            max = c.family == PROXYPROTO_AF_INET ? 32 : 128;
            if ((plen = parse_num(slash + 1, 0, max)) < 0) {
                snprintf(why, cap, "%s: the prefix length must be 0 to %d", tok, max);
                return;
            }
            for (i = 0; i < 16; i++) { /* the network: host bits cleared */
                long keep = plen - 8L * i;
                c.addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
            }
            if (inet_ntop(max == 32 ? AF_INET : AF_INET6, c.addr, net, sizeof net) == NULL)
                net[0] = '\0';
            snprintf(why, cap, "%s: host bits set, did you mean %s/%ld?", tok, net, plen);
            return;
        }
    }
    snprintf(why, cap, "%s: not an address or a CIDR (expected e.g. 10.0.0.0/8, "
             "2001:db8::/32, 127.0.0.1 or ::1)", tok);
}

static void load_config(void)
{
    const char *v, *p;
    char tok[64];
    int t;
    long n;

    cfg.ok = 1;
    cfg.log = 0;
    cfg.optional = 0;
    cfg.timeout_ms = 3000;
    cfg.versions = (1u << 1) | (1u << 2);

    if ((v = env("PROXYPROTO_LOG")) != NULL) {
        if ((n = parse_num(v, 0, 2)) < 0)
            bad_value("PROXYPROTO_LOG", v, "expected 0, 1 or 2");
        else
            cfg.log = (int)n;
    }
    if ((v = env("PROXYPROTO_OPTIONAL")) != NULL) {
        if ((n = parse_num(v, 0, 1)) < 0)
            bad_value("PROXYPROTO_OPTIONAL", v, "expected 0 or 1");
        else
            cfg.optional = (int)n;
    }
    if ((v = env("PROXYPROTO_TIMEOUT_MS")) != NULL) {
        if ((n = parse_num(v, 1, 3600000)) < 0)
            bad_value("PROXYPROTO_TIMEOUT_MS", v, "expected milliseconds, 1 to 3600000");
        else
            cfg.timeout_ms = (int)n;
    }
    if ((v = env("PROXYPROTO_VERSIONS")) != NULL) {
        unsigned set = 0;
        p = v;
        while ((t = next_token(&p, tok, sizeof tok)) > 0) {
            if ((n = parse_num(tok, 1, 2)) < 0) {
                t = -1;
                break;
            }
            set |= 1u << n;
        }
        if (t < 0 || set == 0)
            bad_value("PROXYPROTO_VERSIONS", v, "expected 1, 2 or 1,2");
        else
            cfg.versions = set;
    }
    if ((v = env("PROXYPROTO_PORTS")) != NULL) {
        p = v;
        while ((t = next_token(&p, tok, sizeof tok)) > 0) {
            if (cfg.n_ports == PP_MAX_PORTS || (n = parse_num(tok, 1, 65535)) < 0) {
                t = -1;
                break;
            }
            cfg.ports[cfg.n_ports++] = (uint16_t)n;
        }
        if (t < 0 || cfg.n_ports == 0) {
            cfg.n_ports = 0;
            bad_value("PROXYPROTO_PORTS", v, "expected ports 1-65535, comma separated (at most 64)");
        }
    }
    v = getenv("PROXYPROTO_TRUSTED");
    p = v != NULL ? v : "127.0.0.0/8,::1";
    while ((t = next_token(&p, tok, sizeof tok)) > 0) {
        if (cfg.n_trusted == PP_MAX_TRUSTED) {
            bad_value("PROXYPROTO_TRUSTED", v, "more than 64 entries");
            break;
        }
        if (proxyproto_cidr_parse(&cfg.trusted[cfg.n_trusted], tok) != 0) {
            char why[200];
            cidr_why(tok, why, sizeof why);
            bad_value("PROXYPROTO_TRUSTED", v, why);
            break;
        }
        cfg.n_trusted++;
    }
    if (t < 0) {
        bad_value("PROXYPROTO_TRUSTED", v != NULL ? v : "", "an entry longer than 63 characters");
    } else if (cfg.n_trusted == 0 && cfg.ok) {
        /* Set but empty (an unset shell variable, say): trust no one,
         * rather than silently the default. */
        bad_value("PROXYPROTO_TRUSTED", v != NULL ? v : "",
                  "set but empty, so no load balancer is trusted (unset it for the "
                  "default, 127.0.0.0/8,::1)");
    }
    if (!cfg.ok)
        cfg.n_trusted = 0;
    policy.trusted = cfg.trusted;
    policy.n_trusted = cfg.n_trusted;
    policy.flags = cfg.optional ? PROXYPROTO_POLICY_ALLOW_UNTRUSTED : 0;

}

/* Said once per process, when a listener first comes under the preload
 * (not in every process a wrapper script execs on the way). */
static void announce(void)
{
    static int done;
    const char *v;
    int i;

    if (__atomic_exchange_n(&done, 1, __ATOMIC_RELAXED))
        return;
    for (i = 0; i < n_cfg_msg; i++)
        log_line("%s", cfg_msg[i]);
    if (!cfg.ok)
        return;
    if (cfg.optional)
        log_line("WARNING: PROXYPROTO_OPTIONAL=1: connections without a PROXY header "
                 "are accepted with their real addresses, and untrusted peers are "
                 "passed through as they are; use it only on listeners that take "
                 "direct connections on purpose");
    if (cfg.log >= 1)
        log_line("active: ports=%s trusted=%s timeout=%dms versions=%s header=%s",
                 env("PROXYPROTO_PORTS") != NULL ? env("PROXYPROTO_PORTS") : "all",
                 (v = env("PROXYPROTO_TRUSTED")) != NULL ? v : "127.0.0.0/8,::1",
                 cfg.timeout_ms, cfg.versions == 6 ? "1,2" : cfg.versions == 2 ? "1" : "2",
                 cfg.optional ? "optional" : "required");
}

/* ------------------------------------------------------------------------
 * Initialisation and fork
 * ------------------------------------------------------------------------ */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* listeners, pending */

static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);
static void park_cap_init(void);

static void init(void)
{
    resolve(&real_accept, "accept");
    resolve(&real_accept4, "accept4");
    resolve(&real_getpeername, "getpeername");
    resolve(&real_getsockname, "getsockname");
    resolve(&real_close, "close");
    resolve(&real_listen, "listen");
    resolve(&real_epoll_ctl, "epoll_ctl");
    resolve(&real_dup, "dup");
    resolve(&real_dup2, "dup2");
    resolve(&real_dup3, "dup3");
    load_config();
    park_cap_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void ensure_init(void)
{
    pthread_once(&once, init);
}

__attribute__((constructor)) static void preload_constructor(void)
{
    ensure_init();
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int in_table(int fd)
{
    return fd >= 0 && fd < PP_MAX_FD;
}

/* Inode of fd's file, 0 when fstat fails. */
static uint64_t inode_of(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* "1.2.3.4:5", "[::1]:5" or "unix:/path". */
static void fmt_sa(char *out, size_t cap, const struct sockaddr *sa)
{
    if (proxyproto_format_sockaddr(out, cap, sa) < 0)
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
}

/* Copies a socket address out the way the kernel does: at most *alen
 * bytes, and *alen set to the address's real length. */
static void copy_out(const struct sockaddr_storage *ss, socklen_t len,
                     struct sockaddr *addr, socklen_t *alen)
{
    if (addr == NULL || alen == NULL)
        return;
    memcpy(addr, ss, *alen < len ? *alen : len);
    *alen = len;
}

/* ------------------------------------------------------------------------
 * Descriptor flags and the address table
 * ------------------------------------------------------------------------ */

#define FL_LISTENER 0x1 /* a TCP listener: epoll_ctl on it is tracked */
#define FL_EPOLL 0x2    /* an epoll descriptor (seen in epoll_ctl) */
#define FL_PENDING 0x4  /* ours: a parked connection */
#define FL_TIMER 0x8    /* ours: a listener's timerfd */

static unsigned char fdflags[PP_MAX_FD];

static unsigned flags_of(int fd)
{
    return in_table(fd) ? __atomic_load_n(&fdflags[fd], __ATOMIC_RELAXED) : 0;
}

static void flags_set(int fd, unsigned f)
{
    if (in_table(fd) && (flags_of(fd) & f) != f)
        __atomic_fetch_or(&fdflags[fd], (unsigned char)f, __ATOMIC_RELAXED);
}

static void flags_clear(int fd, unsigned f)
{
    if (in_table(fd) && (flags_of(fd) & f) != 0)
        __atomic_fetch_and(&fdflags[fd], (unsigned char)~f, __ATOMIC_RELAXED);
}

/* The addresses of one connection: the header's source and destination. */
struct pair {
    int family; /* AF_INET or AF_INET6 */
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

/* One descriptor's entry: a seqlock over 6 words (inode; used, family and
 * ports; source; destination), every access atomic, so that a reader
 * (getpeername, in any thread or a signal handler) never sees half an
 * update and nothing can deadlock. */
#define CW 6
struct conn_slot {
    unsigned seq;
    uint64_t w[CW];
};

static struct conn_slot conns[PP_MAX_FD];

static void slot_write(struct conn_slot *s, const uint64_t *w)
{
    unsigned q;
    int i, tries;

    for (tries = 0;; tries++) {
        q = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
        if ((q & 1u) == 0 &&
            __atomic_compare_exchange_n(&s->seq, &q, q + 1u, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        /* Two writers of one descriptor at once only happen when the
         * application closes a descriptor it is being given; give up
         * rather than spin (readers check the inode anyway). */
        if (tries >= 1000)
            return;
        sched_yield();
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (i = 0; i < CW; i++)
        __atomic_store_n(&s->w[i], w[i], __ATOMIC_RELAXED);
    __atomic_store_n(&s->seq, q + 2u, __ATOMIC_RELEASE);
}

static int slot_read(struct conn_slot *s, uint64_t *w)
{
    int i, tries;

    for (tries = 0; tries < 1000; tries++) {
        unsigned a = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), b;
        if (a & 1u) {
            sched_yield();
            continue;
        }
        for (i = 0; i < CW; i++)
            w[i] = __atomic_load_n(&s->w[i], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        b = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
        if (a == b)
            return 1;
    }
    return 0;
}

static int conn_used(int fd)
{
    return in_table(fd) && __atomic_load_n(&conns[fd].w[1], __ATOMIC_RELAXED) != 0;
}

static void conn_store(int fd, uint64_t ino, const struct pair *p)
{
    uint64_t w[CW];

    w[0] = ino;
    w[1] = 1u | (uint64_t)(unsigned)p->family << 8 | (uint64_t)p->sport << 16 |
           (uint64_t)p->dport << 32;
    memcpy(&w[2], p->src, 16);
    memcpy(&w[4], p->dst, 16);
    slot_write(&conns[fd], w);
}

static void conn_clear(int fd)
{
    static const uint64_t zero[CW];

    if (conn_used(fd))
        slot_write(&conns[fd], zero);
}

/* The entry of fd if it has one: 1 and *p, *ino; else 0. */
static int conn_load(int fd, struct pair *p, uint64_t *ino)
{
    uint64_t w[CW];

    if (!conn_used(fd) || !slot_read(&conns[fd], w) || w[1] == 0)
        return 0;
    *ino = w[0];
    p->family = (int)((w[1] >> 8) & 0xff);
    p->sport = (uint16_t)(w[1] >> 16);
    p->dport = (uint16_t)(w[1] >> 32);
    memcpy(p->src, &w[2], 16);
    memcpy(p->dst, &w[4], 16);
    return 1;
}

static socklen_t pair_sockaddr(const struct pair *p, int dst, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (p->family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)(void *)ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(dst ? p->dport : p->sport);
        memcpy(&s->sin_addr, dst ? p->dst : p->src, 4);
        return (socklen_t)sizeof *s;
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)(void *)ss;
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(dst ? p->dport : p->sport);
        memcpy(s->sin6_addr.s6_addr, dst ? p->dst : p->src, 16);
        return (socklen_t)sizeof *s;
    }
}

static int is_v4mapped(const uint8_t *ip)
{
    static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

    return memcmp(ip, prefix, 12) == 0;
}

/* The header's addresses as the listener's family would report them:
 * an IPv4 header on an IPv6 listener as ::ffff:a.b.c.d (as a dual-stack
 * socket reports an IPv4 client), ::ffff:a.b.c.d on an IPv4 listener as
 * a.b.c.d. 0, or -1 for IPv6 addresses on an IPv4 listener: accept on it
 * never returns an AF_INET6 address, and servers rely on that. */
static int pair_from_header(struct pair *p, const proxyproto_header *h, int lfam)
{
    memset(p, 0, sizeof *p);
    p->sport = h->src.port;
    p->dport = h->dst.port;
    if (h->family == PROXYPROTO_AF_INET6 && lfam == AF_INET) {
        if (!is_v4mapped(h->src.ip.v6) || !is_v4mapped(h->dst.ip.v6))
            return -1;
        p->family = AF_INET;
        memcpy(p->src, h->src.ip.v6 + 12, 4);
        memcpy(p->dst, h->dst.ip.v6 + 12, 4);
    } else if (h->family == PROXYPROTO_AF_INET6) {
        p->family = AF_INET6;
        memcpy(p->src, h->src.ip.v6, 16);
        memcpy(p->dst, h->dst.ip.v6, 16);
    } else if (lfam == AF_INET6) { /* ::ffff:a.b.c.d, as a dual-stack socket */
        p->family = AF_INET6;
        p->src[10] = p->src[11] = p->dst[10] = p->dst[11] = 0xff;
        memcpy(p->src + 12, h->src.ip.v4, 4);
        memcpy(p->dst + 12, h->dst.ip.v4, 4);
    } else {
        p->family = AF_INET;
        memcpy(p->src, h->src.ip.v4, 4);
        memcpy(p->dst, h->dst.ip.v4, 4);
    }
    return 0;
}

/* getpeername/getsockname from the table: 1 when fd has a live entry. */
static int conn_answer(int fd, int dst, struct sockaddr *addr, socklen_t *alen)
{
    struct pair p;
    struct sockaddr_storage ss;
    uint64_t ino;
    socklen_t n;

    if (!conn_load(fd, &p, &ino))
        return 0;
    if (inode_of(fd) != ino) { /* closed behind our back, number reused */
        conn_clear(fd);
        return 0;
    }
    n = pair_sockaddr(&p, dst, &ss);
    copy_out(&ss, n, addr, alen);
    return 1;
}

/* ------------------------------------------------------------------------
 * One connection's header read
 * ------------------------------------------------------------------------ */

/* advance() results besides the library's negative codes. */
#define R_WAIT 0 /* nothing more yet */
#define R_DONE 1 /* header read: hdr */
#define R_PASS 2 /* no header (optional mode): real addresses */
#define R_GONE 3 /* health check gone: closed quietly */

/* A header without addresses (LOCAL, v1 UNKNOWN: what health checks
 * send) and nothing after it yet: the connection is held this long for a
 * first byte. HAProxy's checks reset right after the header; a server
 * handed such a connection logs an error for every check. */
#ifndef PP_LOCAL_GRACE_MS
#define PP_LOCAL_GRACE_MS 250
#endif

/* Reasons of our own for refusing a connection. */
#define E_VERSION (-1001)
#define E_CONFIG (-1002)
#define E_FULL (-1003)
#define E_FD (-1004)
#define E_FAMILY (-1005)
#define E_EVICTED (-1006)

struct cstate {
    int fd;
    int flags;       /* SOCK_NONBLOCK, SOCK_CLOEXEC: as accepted */
    int lfamily;     /* the listener's */
    int undecided;   /* optional mode: no byte looked at yet */
    int local_wait;  /* header without addresses in: waiting for a byte */
    int err;         /* errno of a PROXYPROTO_ERR_SYSTEM */
    long long deadline;
    struct sockaddr_storage peer; /* from the real accept */
    socklen_t peerlen;
    proxyproto_reader r;
    proxyproto_header hdr;
};

static void cstate_init(struct cstate *c, int fd, int flags, int lfamily, unsigned char *buf)
{
    c->fd = fd;
    c->flags = flags;
    c->lfamily = lfamily;
    c->undecided = 0;
    c->local_wait = 0;
    c->err = 0;
    c->deadline = now_ns() + (long long)cfg.timeout_ms * 1000000LL;
    proxyproto_reader_init(&c->r, buf, PP_HEADER_MAX);
}

/* What to do before reading: 0 read the header, R_PASS hand over as is,
 * or a reason to refuse. */
static int screen(struct cstate *c)
{
    int rc;

    if (!cfg.ok)
        return E_CONFIG;
    rc = proxyproto_policy_check(&policy, (const struct sockaddr *)&c->peer);
    if (rc == PROXYPROTO_NO_HEADER)
        return R_PASS;
    if (rc != PROXYPROTO_EXPECT_HEADER)
        return rc;
    c->undecided = cfg.optional;
    return 0;
}

/* 1 when fd has a byte to read, 0 not yet, -1 closed or reset. */
static int peek_one(int fd)
{
    unsigned char b;
    ssize_t n;

    do
        n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        return 1;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
}

static int has_addresses(const proxyproto_header *h)
{
    return proxyproto_use_header_addresses(h) &&
           (h->family == PROXYPROTO_AF_INET || h->family == PROXYPROTO_AF_INET6);
}

/* Reads what has arrived of the header, never blocking, never a byte past
 * it. R_WAIT, R_DONE, R_PASS, R_GONE or a reason to refuse. */
static int advance(struct cstate *c)
{
    int rc, tries;

    if (c->local_wait) {
        rc = peek_one(c->fd);
        return rc > 0 ? R_DONE : rc == 0 ? R_WAIT : R_GONE;
    }
    if (c->undecided) {
        /* Optional mode: peek at the first bytes; if they cannot start a
         * header, the connection has none and is handed over untouched. */
        unsigned char pk[16];
        proxyproto_header tmp;
        ssize_t n;

        do
            n = recv(c->fd, pk, sizeof pk, MSG_PEEK | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return R_WAIT;
            c->err = errno;
            return PROXYPROTO_ERR_SYSTEM;
        }
        if (n == 0)
            return PROXYPROTO_ERR_CLOSED;
        if (proxyproto_parse(&tmp, pk, (size_t)n, 0) == PROXYPROTO_ERR_NOT_PROXY)
            return R_PASS;
        c->undecided = 0;
    }
    tries = 0;
    do
        rc = proxyproto_reader_step(&c->r, c->fd, &c->hdr);
    while (rc == PROXYPROTO_ERR_INTERRUPTED && ++tries < 16);
    if (rc == PROXYPROTO_INCOMPLETE || rc == PROXYPROTO_ERR_INTERRUPTED)
        return R_WAIT;
    if (rc == PROXYPROTO_ERR_SYSTEM)
        c->err = errno;
    if (rc < 0)
        return rc;
    if ((cfg.versions & (1u << c->hdr.version)) == 0)
        return E_VERSION;
    if (!has_addresses(&c->hdr)) {
        rc = peek_one(c->fd);
        if (rc < 0)
            return R_GONE;
        if (rc == 0) {
            c->local_wait = 1;
            c->deadline = now_ns() + PP_LOCAL_GRACE_MS * 1000000LL;
            return R_WAIT;
        }
    }
    return R_DONE;
}

/* What a connection whose deadline passed comes to. */
static int expired(const struct cstate *c)
{
    return c->local_wait ? R_DONE : c->undecided ? R_PASS : PROXYPROTO_ERR_TIMEOUT;
}

/* Waits (poll) until the header is in or the deadline passes. */
static int wait_header(struct cstate *c)
{
    for (;;) {
        struct pollfd pfd;
        long long left;
        int rc = advance(c);

        if (rc != R_WAIT)
            return rc;
        left = c->deadline - now_ns();
        if (left <= 0)
            return expired(c);
        pfd.fd = c->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (poll(&pfd, 1, (int)((left + 999999) / 1000000)) < 0 && errno != EINTR) {
            c->err = errno;
            return PROXYPROTO_ERR_SYSTEM;
        }
    }
}

static const char *reason(const struct cstate *c, int rc, char *buf, size_t cap)
{
    switch (rc) {
    case E_VERSION:
        snprintf(buf, cap, "v%u header, not in PROXYPROTO_VERSIONS", (unsigned)c->hdr.version);
        return buf;
    case E_CONFIG:
        return "configuration error (see the message at start-up)";
    case E_FULL:
        return "header incomplete and every parking slot holds a connection whose header is complete";
    case E_EVICTED:
        return "header still incomplete when the parking table was full: the oldest "
               "stalled connection of the busiest peer makes room for a new one";
    case E_FD:
        return "descriptor beyond the preload's table";
    case E_FAMILY:
        return "IPv6 client address on an IPv4 listener (accept cannot report it; "
               "make the server listen on IPv6 too)";
    case PROXYPROTO_ERR_SYSTEM:
        snprintf(buf, cap, "PROXYPROTO_ERR_SYSTEM (%s)", strerror(c->err));
        return buf;
    case PROXYPROTO_ERR_TIMEOUT:
        snprintf(buf, cap, "PROXYPROTO_ERR_TIMEOUT (no complete header within %d ms)", cfg.timeout_ms);
        return buf;
    default:
        snprintf(buf, cap, "%s (%s)", proxyproto_error_name(rc), proxyproto_strerror(rc));
        return buf;
    }
}

/* A warning that a setting or a limit is wrong for this server, rather
 * than a bad peer: said once per kind, even when logging is off (each
 * connection it costs is logged with PROXYPROTO_LOG=1). */
#define W_FAMILY 0
#define W_FULL 1
#define W_LISTENERS 2
static void warn_once(int kind)
{
    static int said[3];
    static const char *const msg[3] = {
        "refusing IPv6 clients on IPv4 listener(s): listen on IPv6 (e.g. a "
        "dual-stack [::] socket) to serve them",
        "refusing connections whose header is incomplete at accept: all "
        "parked-connection slots are taken",
        "more non-blocking listeners than the preload tracks: on the others, "
        "headers are read inside accept",
    };

    if (!__atomic_exchange_n(&said[kind], 1, __ATOMIC_RELAXED))
        log_line("%s", msg[kind]);
}

/* Refusals logged per second at most: a flood must not fill the disk. */
#ifndef PP_LOG_PER_SEC
#define PP_LOG_PER_SEC 10
#endif

/* May a refusal be logged now? When lines were left out, says how many
 * first. Approximate under races (a counter, not a lock). */
static int log_allowed(void)
{
    static long long window;
    static int used;
    static unsigned long dropped;
    long long sec = now_ns() / 1000000000LL;
    unsigned long d;

    if (__atomic_exchange_n(&window, sec, __ATOMIC_RELAXED) != sec)
        __atomic_store_n(&used, 0, __ATOMIC_RELAXED);
    if (__atomic_add_fetch(&used, 1, __ATOMIC_RELAXED) > PP_LOG_PER_SEC) {
        __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
        return 0;
    }
    if ((d = __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED)) != 0)
        log_line("%lu refused connection(s) not logged (more than %d a second)", d,
                 PP_LOG_PER_SEC);
    return 1;
}

static void reject(const struct cstate *c, int rc)
{
    if (rc == R_GONE) {
        if (cfg.log >= 2) {
            char lb[80];
            fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
            log_line("closed fd=%d from %s: health check (header without addresses, "
                     "then closed or reset)", c->fd, lb);
        }
        real_close(c->fd);
        return;
    }
    if (cfg.log >= 1 && log_allowed()) {
        char who[80], why[200];
        fmt_sa(who, sizeof who, (const struct sockaddr *)&c->peer);
        log_line("refused connection from %s: %s", who, reason(c, rc, why, sizeof why));
    }
    real_close(c->fd);
}

static void forget_locked(int fd, unsigned f);

/* Hands c's connection over: records the header's addresses (or clears a
 * stale entry), fills addr/alen, and sets the flags the caller asked for
 * (have: those it was accepted with). Returns 0, or -1 after refusing it. */
/* A LOCAL (or v1 UNKNOWN) header is what load balancers' health checks
 * send; HAProxy's then closes or resets at once. Such a connection that is
 * already gone is closed here, quietly, rather than handed to a server that
 * would log an error for every check. 1 when it was. */
static int health_check_gone(struct cstate *c)
{
    unsigned char b;
    ssize_t n;

    do
        n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
        return 0;
    if (cfg.log >= 2) {
        char lb[80];
        fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
        log_line("closed fd=%d from %s: health check (header without addresses, then %s)",
                 c->fd, lb, n == 0 ? "closed" : "reset");
    }
    real_close(c->fd);
    return 1;
}

static int deliver(struct cstate *c, int kind, struct sockaddr *addr, socklen_t *alen,
                   int want)
{
    struct sockaddr_storage ss;
    socklen_t n;
    struct pair p;
    int use = kind == R_DONE && proxyproto_use_header_addresses(&c->hdr) &&
              (c->hdr.family == PROXYPROTO_AF_INET || c->hdr.family == PROXYPROTO_AF_INET6);
    int diff = (c->flags ^ want) & (SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (kind == R_DONE && !use && health_check_gone(c))
        return -1;

    if (use && !in_table(c->fd)) {
        reject(c, E_FD);
        return -1;
    }
    if (use && pair_from_header(&p, &c->hdr, c->lfamily) != 0) {
        warn_once(W_FAMILY);
        reject(c, E_FAMILY);
        return -1;
    }
    if (diff & SOCK_NONBLOCK) {
        int fl = fcntl(c->fd, F_GETFL);
        if (fl < 0 || fcntl(c->fd, F_SETFL, (want & SOCK_NONBLOCK) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) {
            c->err = errno;
            reject(c, PROXYPROTO_ERR_SYSTEM);
            return -1;
        }
    }
    if ((diff & SOCK_CLOEXEC) &&
        fcntl(c->fd, F_SETFD, (want & SOCK_CLOEXEC) ? FD_CLOEXEC : 0) < 0) {
        c->err = errno;
        reject(c, PROXYPROTO_ERR_SYSTEM);
        return -1;
    }
    if (use) {
        uint64_t ino = inode_of(c->fd);
        if (ino == 0) {
            c->err = errno;
            reject(c, PROXYPROTO_ERR_SYSTEM);
            return -1;
        }
        conn_store(c->fd, ino, &p);
        n = pair_sockaddr(&p, 0, &ss);
        copy_out(&ss, n, addr, alen);
    } else {
        conn_clear(c->fd);
        copy_out(&c->peer, c->peerlen, addr, alen);
    }
    if (cfg.log >= 2) {
        char who[80], lb[80], to[80];
        fmt_sa(lb, sizeof lb, (const struct sockaddr *)&c->peer);
        if (use) {
            fmt_sa(who, sizeof who, (const struct sockaddr *)&ss);
            pair_sockaddr(&p, 1, &ss);
            fmt_sa(to, sizeof to, (const struct sockaddr *)&ss);
            log_line("accepted fd=%d client=%s server=%s (v%u header from %s)", c->fd,
                     who, to, (unsigned)c->hdr.version, lb);
        } else {
            log_line("accepted fd=%d client=%s (%s: real addresses)", c->fd, lb,
                     kind == R_PASS ? "no header"
                     : c->hdr.command == PROXYPROTO_CMD_LOCAL ? "LOCAL header"
                                                             : "header without addresses");
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Parked connections (their header incomplete at accept), epoll
 * mirroring, timers. Everything here is under mu.
 *
 * The table is shared by every listener and sized to the descriptor limit
 * (half of RLIMIT_NOFILE at load, at most PP_MAX_PENDING). When it is
 * full, a new connection takes the slot of the oldest stalled connection
 * of the peer address that holds the most slots (which is closed): a
 * flood of stalled connections, even from a trusted address, cannot lock
 * good ones out, since a good header completes in a round trip while the
 * flood's must wait its turn to be the oldest.
 * ------------------------------------------------------------------------ */

struct reg {
    int epfd;
    uint32_t events;
    epoll_data_t data;
};

struct listener {
    int used;
    int fd;
    uint64_t ino;
    int warned;          /* "no epoll set known" logged */
    int nreg;
    struct reg regs[PP_MAX_REGS];
    int timerfd;         /* -1: none yet */
    uint64_t timer_ino;
    long long timer_at;  /* armed for (monotonic ns); 0: not armed */
    int npending;
    int wait_mode;       /* not woken through epoll: the helper thread watches */
    int waiters;         /* threads waiting inside accept on it */
    int bell_fd;         /* our doorbell connection to it, -1: none */
    struct sockaddr_storage bell_me; /* its local address */
};

/* What the scans look at, kept apart from the read state (pstate) so that
 * they touch a few pages rather than every slot's buffer. */
struct pending {
    int used;
    int li;              /* its listener */
    int ready;           /* 0, or R_DONE / R_PASS: waits for an accept call */
    int fd;
    uint32_t key;        /* hash of the peer's address */
    uint64_t ino;        /* the connection's inode */
    unsigned long long seq; /* parking order */
    long long deadline;
};

struct pstate {
    struct cstate c;
    unsigned char buf[PP_HEADER_MAX];
};

static struct listener lst[PP_MAX_LISTENERS];
static struct pending pend[PP_MAX_PENDING];
static struct pstate pstate[PP_MAX_PENDING];
static int pend_hi;      /* slots [0, pend_hi) may be in use */
static int park_cap;     /* slots usable: from the descriptor limit */
static unsigned long long park_seq;
static int npending_total;
static unsigned short parked_on[PP_MAX_FD]; /* per listener descriptor */

/* Events mirrored from a listener's registration: readiness to read and
 * the triggering mode, never EPOLLOUT (a connection is always writable)
 * nor EPOLLEXCLUSIVE (only for ADD, and ours are not shared). */
static uint32_t mirror_events(uint32_t ev)
{
    return ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP);
}

static void reg_apply(const struct reg *r, int op, int fd)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof ev);
    ev.events = mirror_events(r->events);
    ev.data = r->data;
    real_epoll_ctl(r->epfd, op, fd, &ev);
}

/* Every descriptor we keep for the listener (parked connections, timer). */
static void mirror_all(int li, const struct reg *r, int op)
{
    int i;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li)
            reg_apply(r, op, pend[i].fd);
    if (lst[li].timerfd >= 0)
        reg_apply(r, op, lst[li].timerfd);
}

static void unregister_fd(int li, int fd)
{
    int k;

    for (k = 0; k < lst[li].nreg; k++)
        reg_apply(&lst[li].regs[k], EPOLL_CTL_DEL, fd);
}

/* Is a descriptor we keep still ours (not closed and reused behind us)? */
static int still_ours(int fd, uint64_t ino)
{
    return ino != 0 && inode_of(fd) == ino;
}

/* Half the descriptor limit, within [16, PP_MAX_PENDING]: parked
 * connections never take more than half of what the server may open. */
static void park_cap_init(void)
{
    struct rlimit rl;
    long n = PP_MAX_PENDING;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (long)(rl.rlim_cur / 2) < n)
        n = (long)(rl.rlim_cur / 2);
    park_cap = n < 16 ? 16 : (int)n;
}

/* Frees a parked slot. */
static void pending_free(struct pending *p)
{
    int lfd;

    if (!p->used)
        return;
    lfd = lst[p->li].fd;
    lst[p->li].npending--;
    if (in_table(lfd) && parked_on[lfd] > 0)
        __atomic_fetch_sub(&parked_on[lfd], 1, __ATOMIC_RELAXED);
    flags_clear(p->fd, FL_PENDING);
    p->used = 0;
    p->li = -1;
    __atomic_fetch_sub(&npending_total, 1, __ATOMIC_RELAXED);
}

/* FNV-1a of the peer's IP address: connections are counted per peer. */
static uint32_t peer_key(const struct sockaddr_storage *ss)
{
    const unsigned char *a;
    size_t n, i;
    uint32_t h = 2166136261u;

    if (ss->ss_family == AF_INET) {
        a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
        n = 4;
    } else if (ss->ss_family == AF_INET6) {
        a = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr.s6_addr;
        n = 16;
    } else {
        return 0;
    }
    for (i = 0; i < n; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

static void reject(const struct cstate *c, int rc);

/* The slot to free when the table is full: the oldest stalled connection
 * of the peer (hash bucket) that holds the most stalled slots; -1 when
 * every parked header is complete (those go to the server next). */
static int pick_victim(void)
{
    static unsigned short count[256];
    unsigned top = 0;
    int i, best = -1;

    memset(count, 0, sizeof count);
    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && !pend[i].ready && ++count[pend[i].key & 255] > top)
            top = count[pend[i].key & 255];
    if (top == 0)
        return -1;
    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && !pend[i].ready && count[pend[i].key & 255] == top &&
            (best < 0 || pend[i].seq < pend[best].seq))
            best = i;
    return best;
}

/* A free slot (not parked yet), evicting one when the table is full;
 * -1 when none can be had. */
static int pending_alloc(void)
{
    int i, v;

    for (i = 0; i < park_cap; i++)
        if (!pend[i].used) {
            if (i >= pend_hi)
                pend_hi = i + 1;
            return i;
        }
    if ((v = pick_victim()) < 0)
        return -1;
    {
        int fd = pend[v].fd;
        uint64_t ino = pend[v].ino;
        pending_free(&pend[v]);
        if (still_ours(fd, ino))
            reject(&pstate[v].c, E_EVICTED);
    }
    return v;
}

static void timer_close(struct listener *L)
{
    if (L->timerfd >= 0) {
        flags_clear(L->timerfd, FL_TIMER);
        if (still_ours(L->timerfd, L->timer_ino))
            real_close(L->timerfd);
    }
    L->timerfd = -1;
    L->timer_at = 0;
}

/* Arms the listener's timer for its earliest due connection: a ready one
 * at once, else the earliest deadline; closes it when none is left. */
static void timer_update(int li)
{
    struct listener *L = &lst[li];
    long long due = 0;
    struct itimerspec its;
    int i, k;

    for (i = 0; i < pend_hi; i++) {
        long long d;
        if (!pend[i].used || pend[i].li != li)
            continue;
        d = pend[i].ready ? 1 : pend[i].deadline;
        if (due == 0 || d < due)
            due = d;
    }
    memset(&its, 0, sizeof its);
    if (due == 0) { /* nothing parked: no descriptor left behind */
        timer_close(L);
        return;
    }
    if (L->nreg == 0 || due == L->timer_at)
        return;
    if (L->timerfd < 0) {
        L->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (L->timerfd < 0)
            return;
        L->timer_ino = inode_of(L->timerfd);
        if (flags_of(L->timerfd) != 0)
            forget_locked(L->timerfd, flags_of(L->timerfd));
        flags_set(L->timerfd, FL_TIMER);
        for (k = 0; k < L->nreg; k++)
            reg_apply(&L->regs[k], EPOLL_CTL_ADD, L->timerfd);
    }
    its.it_value.tv_sec = (time_t)(due / 1000000000LL);
    its.it_value.tv_nsec = (long)(due % 1000000000LL);
    if (timerfd_settime(L->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
        L->timer_at = due;
}

/* Reads a fired timer, so that it stops reporting readable. */
static void timer_drain(struct listener *L)
{
    uint64_t n;

    if (L->timerfd >= 0 && L->timer_at != 0 && now_ns() >= L->timer_at) {
        if (read(L->timerfd, &n, sizeof n) < 0) {
            /* EAGAIN: not fired yet after all; nothing to do */
        }
        L->timer_at = 0;
    }
}

/* ------------------------------------------------------------------------
 * Waking servers that no epoll set of ours reaches (blocking listeners,
 * poll()/select() loops): a helper thread steps their parked connections
 * and closes them at the timeout; when one is complete and no thread is
 * waiting inside accept, it rings the listener's doorbell: a connection
 * of our own to the listener, which makes it readable, and which the next
 * accept recognises by its address and closes before handing over the
 * parked connection. The thread runs only while such connections are
 * parked, with every signal blocked.
 * ------------------------------------------------------------------------ */

static uint16_t bell_port[PP_MAX_FD]; /* by listener: the doorbell's local port */
static int helper_running;

static uint16_t port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
    return 0;
}

static void bell_clear(int li)
{
    struct listener *L = &lst[li];

    if (L->bell_fd < 0)
        return;
    real_close(L->bell_fd);
    L->bell_fd = -1;
    if (in_table(L->fd))
        __atomic_store_n(&bell_port[L->fd], 0, __ATOMIC_RELEASE);
}

/* Connects to the listener (its own address; loopback for a wildcard). */
static void bell_ring(int li)
{
    struct listener *L = &lst[li];
    struct sockaddr_storage a;
    socklen_t al = sizeof a, ml = sizeof L->bell_me;
    int s;

    if (L->bell_fd >= 0 || !in_table(L->fd) ||
        real_getsockname(L->fd, (struct sockaddr *)&a, &al) != 0)
        return;
    if (a.ss_family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)&a;
        if (v4->sin_addr.s_addr == htonl(INADDR_ANY))
            v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (a.ss_family == AF_INET6) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)&a;
        if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr))
            v6->sin6_addr = in6addr_loopback;
    } else {
        return;
    }
    s = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    if (flags_of(s) != 0)
        forget_locked(s, flags_of(s));
    if ((connect(s, (struct sockaddr *)&a, al) != 0 && errno != EINPROGRESS) ||
        real_getsockname(s, (struct sockaddr *)&L->bell_me, &ml) != 0) {
        real_close(s);
        return;
    }
    L->bell_fd = s;
    __atomic_store_n(&bell_port[L->fd], port_of(&L->bell_me), __ATOMIC_RELEASE);
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family || port_of(a) != port_of(b))
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)(const void *)a)->sin_addr,
                      &((const struct sockaddr_in *)(const void *)b)->sin_addr, 4) == 0;
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

static int listener_get(int fd, int create, int discover);
static void lock_mu(void);
static void unlock_mu(void);

/* Is connection fd (from peer), just accepted on lfd, our doorbell? Then
 * it is closed, and so is our end: 1. No system call unless the port
 * matches. */
static int bell_answer(int lfd, int fd, const struct sockaddr_storage *peer)
{
    uint16_t p = in_table(lfd) ? __atomic_load_n(&bell_port[lfd], __ATOMIC_ACQUIRE) : 0;
    int li, is = 0;

    if (p == 0 || port_of(peer) != p)
        return 0;
    lock_mu();
    li = listener_get(lfd, 0, 0);
    if (li >= 0 && lst[li].bell_fd >= 0 && same_addr(peer, &lst[li].bell_me)) {
        bell_clear(li);
        real_close(fd);
        is = 1;
    }
    unlock_mu();
    return is;
}

static void pending_step(int li);

static void *helper_main(void *arg)
{
    static struct pollfd pf[PP_MAX_PENDING];

    (void)arg;
    for (;;) {
        long long due = 0, left;
        int li, i, n = 0, ready = 0, ms;

        lock_mu();
        for (li = 0; li < PP_MAX_LISTENERS; li++) {
            struct listener *L = &lst[li];
            int r = 0;
            if (!L->used || !L->wait_mode || L->npending == 0)
                continue;
            pending_step(li);
            for (i = 0; i < pend_hi; i++)
                if (pend[i].used && pend[i].li == li && pend[i].ready)
                    r++;
            if (r > 0 && L->waiters == 0)
                bell_ring(li);
            ready += r;
        }
        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && !pend[i].ready && lst[pend[i].li].wait_mode) {
                pf[n].fd = pend[i].fd;
                pf[n].events = POLLIN;
                pf[n].revents = 0;
                n++;
                if (due == 0 || pend[i].deadline < due)
                    due = pend[i].deadline;
            }
        if (n == 0 && ready == 0) {
            helper_running = 0;
            unlock_mu();
            return NULL;
        }
        unlock_mu();
        left = due != 0 ? due - now_ns() : 0;
        ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        if (due == 0 || ms > 100)
            ms = 100; /* new parked connections join at least that often */
        poll(pf, (nfds_t)n, ms);
    }
}

/* Starts the helper thread if it is not running (under mu). */
static void helper_start(void)
{
    pthread_attr_t at;
    pthread_t t;
    sigset_t all, old;

    if (helper_running)
        return;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_attr_init(&at) == 0) {
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 64 * 1024);
        if (pthread_create(&t, &at, helper_main, NULL) == 0)
            helper_running = 1;
        pthread_attr_destroy(&at);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Closes every parked connection of a listener (closed, or stale). */
static void listener_drop(int li)
{
    int i;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li) {
            int fd = pend[i].fd;
            uint64_t ino = pend[i].ino;
            pending_free(&pend[i]);
            if (still_ours(fd, ino))
                real_close(fd);
        }
    timer_close(&lst[li]);
    bell_clear(li);
    lst[li].used = 0;
}

/* Line "tfd: N events: X data: Y pos:0 ino:Z sdev:W" of an epoll fdinfo. */
static void fdinfo_line(const char *s, int li, int epfd)
{
    struct listener *L = &lst[li];
    unsigned long long tfd, events, data, ino;
    int k;

    if (strncmp(s, "tfd:", 4) != 0)
        return;
    if (sscanf(s, "tfd: %llu events: %llx data: %llx pos:%*d ino:%llx", &tfd, &events,
               &data, &ino) != 4)
        return;
    if (tfd != (unsigned long long)L->fd || ino != L->ino || L->nreg == PP_MAX_REGS)
        return;
    for (k = 0; k < L->nreg; k++)
        if (L->regs[k].epfd == epfd)
            return;
    L->regs[L->nreg].epfd = epfd;
    L->regs[L->nreg].events = (uint32_t)events;
    L->regs[L->nreg].data.u64 = data;
    L->nreg++;
}

/* For a listener whose epoll registrations we did not see (inherited,
 * or added before listen()): looks them up in /proc/self/fdinfo of every
 * epoll descriptor seen so far. */
static void discover_regs(int li)
{
    int epfd;

    for (epfd = 0; epfd < PP_MAX_FD; epfd++) {
        char path[64], buf[4096];
        size_t have = 0;
        int fd;

        if (!(flags_of(epfd) & FL_EPOLL))
            continue;
        snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        for (;;) {
            ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
            char *line, *nl;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            have += (size_t)n;
            buf[have] = '\0';
            line = buf;
            while ((nl = strchr(line, '\n')) != NULL) {
                *nl = '\0';
                fdinfo_line(line, li, epfd);
                line = nl + 1;
            }
            have = (size_t)(buf + have - line);
            memmove(buf, line, have);
            if (have == sizeof buf - 1)
                have = 0; /* a line longer than the buffer: not ours */
        }
        real_close(fd);
    }
}

/* The tracked listener of fd (created when `create`), or -1. */
static int listener_get(int fd, int create, int discover)
{
    uint64_t ino = inode_of(fd);
    int i, free_i = -1;

    if (ino == 0)
        return -1;
    for (i = 0; i < PP_MAX_LISTENERS; i++) {
        if (lst[i].used && lst[i].fd == fd) {
            if (lst[i].ino == ino)
                return i;
            listener_drop(i); /* closed behind our back */
        }
        if (!lst[i].used && free_i < 0)
            free_i = i;
    }
    if (!create || free_i < 0)
        return -1;
    memset(&lst[free_i], 0, sizeof lst[free_i]);
    lst[free_i].used = 1;
    lst[free_i].fd = fd;
    lst[free_i].ino = ino;
    lst[free_i].timerfd = -1;
    lst[free_i].bell_fd = -1;
    if (discover)
        discover_regs(free_i);
    return free_i;
}

/* The application's epoll_ctl on a listener: keep its registrations, and
 * apply the same change to what we keep in its name. */
static void track(int li, int epfd, int op, const struct epoll_event *ev)
{
    struct listener *L = &lst[li];
    int k;

    for (k = 0; k < L->nreg && L->regs[k].epfd != epfd; k++)
        ;
    if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
        if (ev == NULL)
            return;
        if (k == L->nreg) {
            if (L->nreg == PP_MAX_REGS)
                return;
            L->nreg++;
            op = EPOLL_CTL_ADD;
        }
        L->regs[k].epfd = epfd;
        L->regs[k].events = ev->events;
        L->regs[k].data = ev->data;
        mirror_all(li, &L->regs[k], op);
        /* The timer may have waited for a first registration. */
        if (L->npending > 0)
            timer_update(li);
    } else if (op == EPOLL_CTL_DEL && k < L->nreg) {
        mirror_all(li, &L->regs[k], EPOLL_CTL_DEL);
        L->regs[k] = L->regs[--L->nreg];
    }
}

/* The descriptor fd (with flags f) goes away: the application closes it,
 * dup2s over it, or a fresh descriptor shows stale flags. */
static void forget_locked(int fd, unsigned f)
{
    int i, k;

    if (f & FL_LISTENER) {
        for (i = 0; i < PP_MAX_LISTENERS; i++)
            if (lst[i].used && lst[i].fd == fd)
                listener_drop(i);
    }
    if (f & FL_EPOLL) {
        for (i = 0; i < PP_MAX_LISTENERS; i++) {
            if (!lst[i].used)
                continue;
            for (k = 0; k < lst[i].nreg;)
                if (lst[i].regs[k].epfd == fd)
                    lst[i].regs[k] = lst[i].regs[--lst[i].nreg];
                else
                    k++;
        }
    }
    if (f & FL_PENDING) { /* closed by the application (a close-all loop) */
        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && pend[i].fd == fd)
                pending_free(&pend[i]);
    }
    if (f & FL_TIMER) {
        for (i = 0; i < PP_MAX_LISTENERS; i++)
            if (lst[i].used && lst[i].timerfd == fd) {
                lst[i].timerfd = -1;
                lst[i].timer_at = 0;
            }
    }
    flags_clear(fd, f);
}

/* close(), dup2() and dup3() may run in a signal handler that interrupted
 * this very thread while it holds mu (a server's SIGTERM handler closing
 * its listener while the loop is in accept), so they never wait for mu:
 * what they cannot do at once is queued here, lock-free, and done by
 * whoever holds mu next, before anything else (so that a descriptor number
 * reused after the close is never confused with the closed one). */
#define PP_DEFERRED 256
static struct {
    int state;  /* 0 free, 1 being written, 2 queued */
    int fd;
    unsigned f;
} deferred[PP_DEFERRED];
static int n_deferred;

static void drain_locked(void)
{
    int i;

    if (__atomic_load_n(&n_deferred, __ATOMIC_SEQ_CST) == 0)
        return;
    for (i = 0; i < PP_DEFERRED; i++)
        if (__atomic_load_n(&deferred[i].state, __ATOMIC_ACQUIRE) == 2) {
            int fd = deferred[i].fd;
            unsigned f = deferred[i].f;
            __atomic_store_n(&deferred[i].state, 0, __ATOMIC_RELEASE);
            __atomic_fetch_sub(&n_deferred, 1, __ATOMIC_SEQ_CST);
            forget_locked(fd, f);
        }
}

static void lock_mu(void)
{
    pthread_mutex_lock(&mu);
    drain_locked();
}

static void unlock_mu(void)
{
    do {
        drain_locked();
        pthread_mutex_unlock(&mu);
        /* Queued after our last look: take mu again if nobody has it. */
    } while (__atomic_load_n(&n_deferred, __ATOMIC_SEQ_CST) != 0 &&
             pthread_mutex_trylock(&mu) == 0);
}

/* Queues the forgetting of fd; 0, or -1 when the queue is full (then the
 * inode checks catch what is left behind). Async-signal-safe. */
static int defer(int fd, unsigned f)
{
    int i;

    for (i = 0; i < PP_DEFERRED; i++) {
        int z = 0;
        if (__atomic_compare_exchange_n(&deferred[i].state, &z, 1, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            deferred[i].fd = fd;
            deferred[i].f = f;
            __atomic_store_n(&deferred[i].state, 2, __ATOMIC_RELEASE);
            __atomic_fetch_add(&n_deferred, 1, __ATOMIC_SEQ_CST);
            return 0;
        }
    }
    return -1;
}

/* Never blocks (see deferred): mu if free, else queued. */
static void forget(int fd)
{
    unsigned f = flags_of(fd);

    if (f == 0)
        return;
    if (pthread_mutex_trylock(&mu) == 0) {
        drain_locked();
        forget_locked(fd, flags_of(fd));
        unlock_mu();
        return;
    }
    defer(fd, f);
    flags_clear(fd, f);
    if (pthread_mutex_trylock(&mu) == 0) /* let go of meanwhile */
        unlock_mu();
}

/* Steps the listener's parked connections that have something to read,
 * refuses failed and expired ones, and hands over the oldest ready one.
 * Returns its descriptor, or -1 when none is ready. */
static void pending_step(int li)
{
    static struct pollfd pf[PP_MAX_PENDING];
    static int idx[PP_MAX_PENDING];
    int i, n = 0;
    long long now;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used && pend[i].li == li && !pend[i].ready) {
            pf[n].fd = pend[i].fd;
            pf[n].events = POLLIN;
            pf[n].revents = 0;
            idx[n++] = i;
        }
    if (n > 0 && poll(pf, (nfds_t)n, 0) < 0)
        for (i = 0; i < n; i++)
            pf[i].revents = POLLIN; /* EINTR: step them all */
    now = now_ns();
    for (i = 0; i < n; i++) {
        struct pending *p = &pend[idx[i]];
        struct cstate *c = &pstate[idx[i]].c;
        int rc = R_WAIT;

        if (pf[i].revents != 0) {
            if (!still_ours(p->fd, p->ino)) {
                pending_free(p);
                continue;
            }
            rc = advance(c);
            p->deadline = c->deadline; /* a health check's grace */
        }
        if (rc == R_WAIT && now >= p->deadline)
            rc = expired(c);
        if (rc == R_DONE || rc == R_PASS) {
            p->ready = rc;
        } else if (rc != R_WAIT) {
            pending_free(p); /* the slot's contents stay until reused */
            if (still_ours(p->fd, p->ino))
                reject(c, rc); /* its close takes it out of the epoll sets */
        }
    }
}

/* Hands over the oldest ready connection of the listener after stepping
 * the others (step: 0 when they were stepped already in this call). */
static int pending_service(int li, struct sockaddr *addr, socklen_t *alen, int want, int step)
{
    int i;

    if (step)
        pending_step(li);
    for (;;) {
        struct pending *best = NULL;
        int fd;

        for (i = 0; i < pend_hi; i++)
            if (pend[i].used && pend[i].li == li && pend[i].ready &&
                (best == NULL || pend[i].seq < best->seq))
                best = &pend[i];
        if (best == NULL)
            return -1;
        fd = best->fd;
        unregister_fd(li, fd);
        pending_free(best);
        if (!still_ours(fd, best->ino))
            continue;
        if (deliver(&pstate[best - pend].c, best->ready, addr, alen, want) == 0)
            return fd;
    }
}

/* Moves a header read begun in c (on the stack) into slot i. The reader's
 * buffer is a private field; the library has no call to move a reader. */
static void pstate_take(int i, const struct cstate *c)
{
    struct pstate *ps = &pstate[i];

    ps->c = *c;
    memcpy(ps->buf, c->r.buf_, c->r.len_);
    ps->c.r.buf_ = ps->buf;
}

/* Parks connection c (its header incomplete) for listener li: 0, or a
 * reason to refuse it (then the caller does). */
static int park(int li, const struct cstate *c)
{
    int i, k, lfd = lst[li].fd;
    uint64_t ino = inode_of(c->fd);

    if (ino == 0)
        return PROXYPROTO_ERR_SYSTEM;
    if ((i = pending_alloc()) < 0) {
        warn_once(W_FULL);
        return E_FULL;
    }
    pstate_take(i, c);
    pend[i].used = 1;
    pend[i].li = li;
    pend[i].ready = 0;
    pend[i].fd = c->fd;
    pend[i].key = peer_key(&c->peer);
    pend[i].ino = ino;
    pend[i].seq = ++park_seq;
    pend[i].deadline = c->deadline;
    lst[li].npending++;
    if (in_table(lfd))
        __atomic_fetch_add(&parked_on[lfd], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&npending_total, 1, __ATOMIC_RELAXED);
    flags_set(c->fd, FL_PENDING);
    for (k = 0; k < lst[li].nreg; k++)
        reg_apply(&lst[li].regs[k], EPOLL_CTL_ADD, c->fd);
    if (lst[li].wait_mode)
        helper_start();
    return 0;
}

static void fork_prepare(void)
{
    lock_mu();
}

static void fork_parent(void)
{
    unlock_mu();
}

/* The child shares the parked connections and timers with its parent:
 * it lets go of its copies, so that only the parent finishes them. */
static void fork_child(void)
{
    int i;

    for (i = 0; i < pend_hi; i++)
        if (pend[i].used) { /* parked (the forking thread holds mu) */
            int fd = pend[i].fd;
            pending_free(&pend[i]);
            real_close(fd);
        }
    helper_running = 0; /* threads do not survive fork */
    for (i = 0; i < PP_MAX_LISTENERS; i++)
        if (lst[i].used)
            bell_clear(i);
    for (i = 0; i < PP_MAX_LISTENERS; i++)
        if (lst[i].used && lst[i].timerfd >= 0) {
            flags_clear(lst[i].timerfd, FL_TIMER);
            real_close(lst[i].timerfd);
            lst[i].timerfd = -1;
            lst[i].timer_at = 0;
        }
    unlock_mu();
}

/* ------------------------------------------------------------------------
 * accept
 * ------------------------------------------------------------------------ */

static int real_accept_as(int lfd, struct sockaddr *addr, socklen_t *alen, int flags, int is4)
{
    if (is4)
        return real_accept4 != NULL ? real_accept4(lfd, addr, alen, flags) : (errno = ENOSYS, -1);
    return real_accept(lfd, addr, alen);
}

/* Does the preload apply to this listener (its local address)? */
static int applies(const struct sockaddr_storage *ls)
{
    unsigned port;
    size_t i;

    if (ls->ss_family == AF_INET)
        port = ntohs(((const struct sockaddr_in *)(const void *)ls)->sin_port);
    else if (ls->ss_family == AF_INET6)
        port = ntohs(((const struct sockaddr_in6 *)(const void *)ls)->sin6_port);
    else
        return 0;
    if (cfg.n_ports == 0)
        return 1;
    for (i = 0; i < cfg.n_ports; i++)
        if (cfg.ports[i] == port)
            return 1;
    return 0;
}

/* What accept needs to know of a listener (does the preload apply, its
 * family), cached by descriptor so that the common path makes no system
 * call for it: filled in by listen() or the first accept, dropped by
 * close(), dup2() and dup3() over it. */
#define LF_KNOWN 0x10000u
#define LF_APPLIES 0x20000u
#define LF_INET6 0x40000u
static uint32_t lfacts[PP_MAX_FD];

static uint32_t facts_compute(int fd)
{
    struct sockaddr_storage ls;
    socklen_t ll = sizeof ls;
    uint32_t f;

    if (real_getsockname(fd, (struct sockaddr *)&ls, &ll) != 0)
        return 0;
    f = LF_KNOWN | (applies(&ls) ? LF_APPLIES : 0) | (ls.ss_family == AF_INET6 ? LF_INET6 : 0);
    if (in_table(fd))
        __atomic_store_n(&lfacts[fd], f, __ATOMIC_RELAXED);
    return f;
}

static uint32_t facts_of(int fd)
{
    uint32_t f = in_table(fd) ? __atomic_load_n(&lfacts[fd], __ATOMIC_RELAXED) : 0;

    return (f & LF_KNOWN) ? f : facts_compute(fd);
}

static void facts_forget(int fd)
{
    if (in_table(fd) && __atomic_load_n(&lfacts[fd], __ATOMIC_RELAXED) != 0)
        __atomic_store_n(&lfacts[fd], 0, __ATOMIC_RELAXED);
}

/* Our own wait was interrupted by a signal where the kernel's blocking
 * accept would have been restarted if the handler has SA_RESTART. We
 * cannot tell which signal it was: 1 (restart) when every handler
 * installed has SA_RESTART, else 0 (the caller gets EINTR, which it must
 * handle anyway since that handler exists). */
static int restart_after_signal(void)
{
    int sig;

    for (sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
            sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_RESTART))
            return 0;
    }
    return 1;
}

/* accept_new() results. */
#define A_FAIL (-1) /* the real accept failed: errno */
#define A_NEXT 0    /* refused (closed, logged): try the next */
#define A_GOT 1     /* handed over: *fdp */
#define A_PARK 2    /* header incomplete: its state is in c */
#define A_BELL 3    /* our doorbell (closed): a parked connection is ready */

/* Accepts one connection, with the caller's flags (the header is read
 * with MSG_DONTWAIT: no fcntl), and reads what has come of its header. */
static int accept_new(int lfd, int lfam, struct cstate *c, unsigned char *buf,
                      struct sockaddr *addr, socklen_t *alen, int flags, int is4, int *fdp)
{
    int fd, rc;

    c->peerlen = sizeof c->peer;
    fd = real_accept_as(lfd, (struct sockaddr *)&c->peer, &c->peerlen, flags, is4);
    if (fd < 0)
        return A_FAIL;
    if (bell_answer(lfd, fd, &c->peer))
        return A_BELL;
    if (flags_of(fd) != 0) /* left by a descriptor closed behind our back */
        forget(fd);
    cstate_init(c, fd, flags, lfam, buf);
    rc = screen(c);
    if (rc == 0)
        rc = advance(c);
    if (rc == R_WAIT)
        return A_PARK;
    if (rc == R_DONE || rc == R_PASS) {
        if (deliver(c, rc, addr, alen, flags) != 0)
            return A_NEXT;
        *fdp = fd;
        return A_GOT;
    }
    reject(c, rc);
    return A_NEXT;
}

/* A listener the table has no room for (more than PP_MAX_LISTENERS):
 * each header is read inside accept, one after the other (c, if not
 * NULL, is the first). */
static int accept_untracked(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen,
                            int flags, int is4, struct cstate *c)
{
    unsigned char buf[PP_HEADER_MAX];
    struct cstate own;
    int fd = -1, rc;

    warn_once(W_LISTENERS);
    for (;;) {
        if (c != NULL) {
            rc = wait_header(c);
            if ((rc == R_DONE || rc == R_PASS) && deliver(c, rc, addr, alen, flags) == 0)
                return c->fd;
            if (rc != R_DONE && rc != R_PASS)
                reject(c, rc);
            c = NULL;
        }
        switch (accept_new(lfd, lfam, &own, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            return -1;
        case A_GOT:
            return fd;
        case A_PARK:
            c = &own;
            break;
        default:
            break;
        }
    }
}

#define PP_POLL_MAX 256 /* parked connections a waiting accept polls at once */

/* Fills pf[1..] with listener li's stalled connections; returns how many
 * (plus 1), *due the earliest deadline, *more when some did not fit. */
static int wait_set(int li, struct pollfd *pf, long long *due, int *more)
{
    int i, n = 1;

    *due = 0;
    *more = 0;
    for (i = 0; i < pend_hi; i++) {
        if (!pend[i].used || pend[i].li != li || pend[i].ready)
            continue;
        if (*due == 0 || pend[i].deadline < *due)
            *due = pend[i].deadline;
        if (n > PP_POLL_MAX) {
            *more = 1;
            continue;
        }
        pf[n].fd = pend[i].fd;
        pf[n].events = POLLIN;
        pf[n].revents = 0;
        n++;
    }
    return n;
}

/* The listener has (or is about to have: newc) parked connections.
 *  - non-blocking: hand over a ready one, else accept new ones without
 *    waiting (parking those whose header is incomplete), else EAGAIN. The
 *    epoll sets (or, for a poll()/select() loop, the helper thread's
 *    doorbell) wake the server when a parked header is complete.
 *  - blocking: wait for whichever comes first, a parked header or a new
 *    connection, so that slow headers never wait one after another. */
static int accept_slow(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen,
                       int flags, int is4, struct cstate *newc)
{
    unsigned char buf[PP_HEADER_MAX];
    struct cstate c;
    int fl = fcntl(lfd, F_GETFL);
    int nonblock = fl >= 0 && (fl & O_NONBLOCK) != 0;

    int step = 1; /* the parked connections are stepped once per wake-up,
                   * not once per connection accepted meanwhile */

    for (;;) {
        struct pollfd pf[PP_POLL_MAX + 1];
        long long due = 0;
        int li, fd, n = 1, more = 0, parked, rc;

        lock_mu();
        li = listener_get(lfd, 1, nonblock);
        if (li < 0) {
            unlock_mu();
            return accept_untracked(lfd, lfam, addr, alen, flags, is4, newc);
        }
        lst[li].wait_mode = !nonblock || lst[li].nreg == 0;
        if (newc != NULL) {
            if (nonblock && lst[li].wait_mode && !lst[li].warned && cfg.log >= 1) {
                lst[li].warned = 1;
                log_line("listener fd=%d is non-blocking but in no epoll set known to "
                         "the preload: a helper thread watches its parked connections "
                         "and wakes the server with a loopback connection", lfd);
            }
            if ((rc = park(li, newc)) != 0)
                reject(newc, rc);
            newc = NULL;
        }
        if (!lst[li].wait_mode)
            timer_drain(&lst[li]);
        fd = lst[li].npending > 0 ? pending_service(li, addr, alen, flags, step) : -1;
        step = 0;
        if (!lst[li].wait_mode)
            timer_update(li);
        parked = lst[li].npending;
        if (fd < 0 && parked > 0 && !nonblock) {
            n = wait_set(li, pf, &due, &more);
            lst[li].waiters++;
        }
        unlock_mu();
        if (fd >= 0)
            return fd;
        if (parked > 0 && !nonblock) {
            long long left = due != 0 ? due - now_ns() : 0;
            int ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);

            if ((more || n == 1) && ms > 100)
                ms = 100; /* those left out are stepped at least that often */
            pf[0].fd = lfd;
            pf[0].events = POLLIN;
            pf[0].revents = 0;
            rc = poll(pf, (nfds_t)n, ms);
            fd = errno;
            lock_mu();
            li = listener_get(lfd, 0, 0);
            if (li >= 0)
                lst[li].waiters--;
            unlock_mu();
            if (rc < 0 && fd == EINTR) {
                if (restart_after_signal())
                    continue;
                errno = EINTR;
                return -1;
            }
            step = 1;
            if (rc <= 0 || pf[0].revents == 0)
                continue; /* a header moved on, or a deadline passed */
        }
        switch (accept_new(lfd, lfam, &c, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && !nonblock)
                continue; /* taken by another thread: wait on */
            return -1;
        case A_GOT:
            return fd;
        case A_PARK:
            newc = &c;
            break;
        case A_BELL:
            step = 1;
            break;
        default:
            break;
        }
    }
}

/* The common path: nothing parked for this listener. The real accept, as
 * the caller asked for it (blocking or not), then the header. */
static int accept_fast(int lfd, int lfam, struct sockaddr *addr, socklen_t *alen, int flags,
                       int is4)
{
    for (;;) {
        unsigned char buf[PP_HEADER_MAX];
        struct cstate c;
        int fd = -1;

        switch (accept_new(lfd, lfam, &c, buf, addr, alen, flags, is4, &fd)) {
        case A_FAIL:
            return -1;
        case A_GOT:
            return fd;
        case A_PARK:
            return accept_slow(lfd, lfam, addr, alen, flags, is4, &c);
        case A_BELL:
            return accept_slow(lfd, lfam, addr, alen, flags, is4, NULL);
        default:
            break;
        }
    }
}

static int do_accept(int lfd, struct sockaddr *addr, socklen_t *alen, int flags, int is4)
{
    uint32_t lf;
    int lfam, parked;

    ensure_init();
    lf = facts_of(lfd);
    if (!(lf & LF_APPLIES) || (addr != NULL && alen == NULL) ||
        (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0 || (alen != NULL && (int)*alen < 0))
        return real_accept_as(lfd, addr, alen, flags, is4); /* the kernel's answer */
    flags_set(lfd, FL_LISTENER);
    announce();
    lfam = (lf & LF_INET6) ? AF_INET6 : AF_INET;
    parked = in_table(lfd) ? __atomic_load_n(&parked_on[lfd], __ATOMIC_RELAXED)
                           : __atomic_load_n(&npending_total, __ATOMIC_RELAXED);
    if (parked > 0)
        return accept_slow(lfd, lfam, addr, alen, flags, is4, NULL);
    return accept_fast(lfd, lfam, addr, alen, flags, is4);
}

/* ------------------------------------------------------------------------
 * The intercepted functions
 * ------------------------------------------------------------------------ */

PP_EXPORT int accept(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    return do_accept(fd, PP_SA(addr), alen, 0, 0);
}

PP_EXPORT int accept4(int fd, PP_SA_ARG addr, socklen_t *restrict alen, int flags)
{
    return do_accept(fd, PP_SA(addr), alen, flags, 1);
}

PP_EXPORT int getpeername(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    struct sockaddr *sa = PP_SA(addr);

    ensure_init();
    if (sa != NULL && alen != NULL && (int)*alen >= 0 && conn_used(fd) &&
        conn_answer(fd, 0, sa, alen))
        return 0;
    return real_getpeername(fd, sa, alen);
}

PP_EXPORT int getsockname(int fd, PP_SA_ARG addr, socklen_t *restrict alen)
{
    struct sockaddr *sa = PP_SA(addr);

    ensure_init();
    if (sa != NULL && alen != NULL && (int)*alen >= 0 && conn_used(fd) &&
        conn_answer(fd, 1, sa, alen))
        return 0;
    return real_getsockname(fd, sa, alen);
}

PP_EXPORT int close(int fd)
{
    ensure_init();
    /* Cleared before the real close: once it returns, another thread's
     * accept may be given the same number. */
    if (conn_used(fd))
        conn_clear(fd);
    facts_forget(fd);
    if (flags_of(fd) != 0)
        forget(fd);
    return real_close(fd);
}

PP_EXPORT int listen(int fd, int backlog)
{
    int rc;

    ensure_init();
    rc = real_listen(fd, backlog);
    if (rc == 0 && in_table(fd)) {
        int e = errno;
        if (facts_compute(fd) & LF_APPLIES) {
            flags_set(fd, FL_LISTENER);
            announce();
        }
        errno = e;
    }
    return rc;
}

PP_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    int rc, e, li;

    ensure_init();
    rc = real_epoll_ctl(epfd, op, fd, event);
    if (rc != 0)
        return rc;
    flags_set(epfd, FL_EPOLL);
    if (!(flags_of(fd) & FL_LISTENER))
        return rc;
    e = errno;
    lock_mu();
    li = listener_get(fd, op != EPOLL_CTL_DEL, 0);
    if (li >= 0)
        track(li, epfd, op, event);
    unlock_mu();
    errno = e;
    return rc;
}

/* newfd is a fresh number (dup) or replaced (dup2/dup3): what we knew of
 * it goes; what we know of oldfd (same socket) comes along. */
static void dup_before(int oldfd, int newfd)
{
    if (newfd == oldfd || fcntl(oldfd, F_GETFD) < 0)
        return; /* the call will fail (or do nothing) */
    if (conn_used(newfd))
        conn_clear(newfd);
    facts_forget(newfd);
    forget(newfd);
}

static void dup_after(int oldfd, int newfd)
{
    struct pair p;
    uint64_t ino;

    if (newfd < 0 || newfd == oldfd)
        return;
    if (conn_used(newfd))
        conn_clear(newfd);
    if (flags_of(newfd) != 0)
        forget(newfd);
    if (conn_load(oldfd, &p, &ino) && in_table(newfd))
        conn_store(newfd, ino, &p);
    facts_forget(newfd);
    if (in_table(oldfd) && in_table(newfd))
        __atomic_store_n(&lfacts[newfd], __atomic_load_n(&lfacts[oldfd], __ATOMIC_RELAXED),
                         __ATOMIC_RELAXED);
    if (flags_of(oldfd) & FL_LISTENER)
        flags_set(newfd, FL_LISTENER);
}

PP_EXPORT int dup(int oldfd)
{
    int fd;

    ensure_init();
    fd = real_dup(oldfd);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}

PP_EXPORT int dup2(int oldfd, int newfd)
{
    int fd;

    ensure_init();
    dup_before(oldfd, newfd);
    fd = real_dup2(oldfd, newfd);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}

PP_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    int fd;

    ensure_init();
    dup_before(oldfd, newfd);
    fd = real_dup3(oldfd, newfd, flags);
    if (fd >= 0) {
        int e = errno;
        dup_after(oldfd, fd);
        errno = e;
    }
    return fd;
}
