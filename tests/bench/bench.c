/*
 * bench.c - speed of the hot paths of libproxyproto.
 *
 *   bench [options] [captures-dir]      time every case (make bench)
 *   bench --instr N [captures-dir]      run N iterations per case under
 *                                       callgrind (make bench-instr)
 *
 * Options: --rounds N (timed rounds per case, default 9), --min-iters N
 * (iterations per case over all rounds, default 1000000), --round-ms N
 * (aimed length of one round, default 20), --filter TEXT (only cases whose
 * name contains TEXT). The captures directory defaults to $CAPTURES, then
 * tests/captures.
 *
 * Output: a table (median, best and worst round per case; ns per call, or
 * GB/s for the CRC32C throughput cases), then one line per case for
 * scripts: "bench: <case> <median> ns/op" (or "GB/s").
 *
 * Timing: each case is warmed up while its iteration count is calibrated,
 * then run in rounds of at least min-iters / rounds iterations. Every call is to the public
 * function of the static library (or the private CRC32C paths for the
 * throughput cases), its result is folded into a checksum that ends in a
 * volatile, and an empty asm statement that may read and write memory
 * sits in each iteration, so the compiler can neither drop nor hoist the
 * work. Each case's result is checked once before it is timed, so a broken
 * input cannot pass for a fast one.
 *
 * Instruction counts: with --instr N the collection of callgrind is
 * switched on around the N iterations of each case only, and the counts
 * are dumped per case (client requests of <valgrind/callgrind.h>; without
 * that header, tests/bench/instr.sh has callgrind toggle on entry to and
 * dump on exit from bench_instr_loop()). The counts include the bench's
 * own loop and call: overhead/loop is the loop alone, and
 * overhead/parse-0-bytes the cheapest call of proxyproto_parse(), which
 * is also the floor of a byte-at-a-time parse per byte.
 */
#define _POSIX_C_SOURCE 200809L

#include "proxyproto.h"
#include "internal.h" /* proxyproto__crc32c_hw / _sw */

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(BENCH_HAVE_CALLGRIND) && BENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#define INSTR_BEGIN()                                                          \
    do {                                                                       \
        CALLGRIND_ZERO_STATS;                                                  \
        CALLGRIND_TOGGLE_COLLECT;                                              \
    } while (0)
#define INSTR_END(name)                                                        \
    do {                                                                       \
        CALLGRIND_TOGGLE_COLLECT;                                              \
        CALLGRIND_DUMP_STATS_AT(name);                                         \
    } while (0)
#define INSTR_MODE "client-requests"
#else
#define INSTR_BEGIN() ((void)0)
#define INSTR_END(name) ((void)(name))
#define INSTR_MODE "function-toggle"
#endif

/* Keeps the compiler from assuming anything about memory across one
 * iteration: inputs may have changed, outputs may be read. */
#if defined(__GNUC__) || defined(__clang__)
#define BARRIER(p) __asm__ __volatile__("" : : "r"(p) : "memory")
#define NOINLINE __attribute__((noinline))
#else
static const void *volatile barrier_sink;
#define BARRIER(p) (barrier_sink = (p))
#define NOINLINE
#endif

static volatile uint64_t sink; /* every checksum ends here */

/* ------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

enum kind {
    K_OVERHEAD,  /* the loop alone */
    K_EMPTY,     /* proxyproto_parse() on 0 bytes: the least a call costs */
    K_PARSE,     /* proxyproto_parse() on the whole header */
    K_BYTEWISE,  /* proxyproto_parse() on 1, 2, ... bytes, with last_len */
    K_TLV_WALK,  /* proxyproto_tlv_next() over every TLV */
    K_SSL_SUBS,  /* proxyproto_ssl_get() and three sub-TLV lookups */
    K_WRITE,     /* proxyproto_write() */
    K_BUILDER,   /* builder init, adds and finish */
    K_CONN_FEED, /* proxyproto_conn_init() + _feed() of the whole header */
    K_CRC_HW,    /* proxyproto__crc32c_hw(), else proxyproto_crc32c() */
    K_CRC_SW     /* proxyproto__crc32c_sw() */
};

#define MAX_CASES 128
#define BUF_MAX 4096

struct bench_case {
    char name[80];
    enum kind kind;
    uint8_t in[BUF_MAX];   /* input bytes (parse, TLV, CRC) */
    size_t in_len;
    int expect;            /* result a run must give (parse, write) */
    proxyproto_header hdr; /* what to write (K_WRITE, K_BUILDER) */
    int whole;             /* K_BYTEWISE: index of the whole-buffer case */
};

static struct bench_case cases[MAX_CASES];
static int n_cases;

static struct bench_case *add_case(const char *name, enum kind kind)
{
    struct bench_case *c;

    if (n_cases == MAX_CASES) {
        fprintf(stderr, "bench: too many cases\n");
        exit(2);
    }
    c = &cases[n_cases++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->kind = kind;
    c->whole = -1;
    return c;
}

static void die(const char *what, const char *name, int got, int want)
{
    fprintf(stderr, "bench: %s: %s gave %d (%s), expected %d\n", name, what,
            got, proxyproto_error_name(got), want);
    exit(2);
}

/* A parse case and its byte-at-a-time twin, on the same bytes. */
static void add_parse(const char *name, const void *bytes, size_t len,
                      int expect)
{
    char full[96];
    struct bench_case *c;
    int whole;

    if (len > BUF_MAX) {
        fprintf(stderr, "bench: %s: input too long\n", name);
        exit(2);
    }
    snprintf(full, sizeof full, "parse/%s", name);
    c = add_case(full, K_PARSE);
    memcpy(c->in, bytes, len);
    c->in_len = len;
    c->expect = expect;
    whole = n_cases - 1;
    snprintf(full, sizeof full, "parse-bytewise/%s", name);
    c = add_case(full, K_BYTEWISE);
    memcpy(c->in, bytes, len);
    c->in_len = len;
    c->expect = expect;
    c->whole = whole;
}

static void set_tcp4(proxyproto_header *h, int version, const uint8_t src[4],
                     const uint8_t dst[4], uint16_t sport, uint16_t dport)
{
    memset(h, 0, sizeof *h);
    h->version = (uint8_t)version;
    h->command = PROXYPROTO_CMD_PROXY;
    h->family = PROXYPROTO_AF_INET;
    h->transport = PROXYPROTO_TRANSPORT_STREAM;
    h->has_addresses = 1;
    memcpy(h->src.ip.v4, src, 4);
    memcpy(h->dst.ip.v4, dst, 4);
    h->src.port = sport;
    h->dst.port = dport;
}

static void set_tcp6(proxyproto_header *h, int version, const uint8_t src[16],
                     const uint8_t dst[16], uint16_t sport, uint16_t dport)
{
    memset(h, 0, sizeof *h);
    h->version = (uint8_t)version;
    h->command = PROXYPROTO_CMD_PROXY;
    h->family = PROXYPROTO_AF_INET6;
    h->transport = PROXYPROTO_TRANSPORT_STREAM;
    h->has_addresses = 1;
    memcpy(h->src.ip.v6, src, 16);
    memcpy(h->dst.ip.v6, dst, 16);
    h->src.port = sport;
    h->dst.port = dport;
}

static struct bench_case *add_write(const char *name, const proxyproto_header *h,
                                    int expect)
{
    struct bench_case *c = add_case(name, K_WRITE);

    c->hdr = *h;
    c->expect = expect;
    return c;
}

/* Whole file into buf; returns its length or 0. */
static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.bin of the captures directory, sorted by name; the expected
 * length is what the parser says once (the unit tests hold it right). */
static void add_captures(const char *dir)
{
    char *names[64];
    size_t n = 0, i;
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        fprintf(stderr, "bench: cannot open captures directory %s\n", dir);
        exit(2);
    }
    while ((e = readdir(d)) != NULL && n < sizeof names / sizeof names[0]) {
        size_t len = strlen(e->d_name);

        if (len > 4 && strcmp(e->d_name + len - 4, ".bin") == 0) {
            names[n] = malloc(len + 1);
            if (names[n] == NULL)
                exit(2);
            memcpy(names[n++], e->d_name, len + 1);
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (i = 0; i < n; i++) {
        char path[1024], name[96];
        uint8_t buf[BUF_MAX];
        proxyproto_header h;
        size_t len;
        int r;

        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        len = read_file(path, buf, sizeof buf);
        r = proxyproto_parse(&h, buf, len, 0);
        if (r <= 0)
            die("proxyproto_parse", path, r, 1);
        snprintf(name, sizeof name, "capture/%.*s",
                 (int)(strlen(names[i]) - 4), names[i]);
        add_parse(name, buf, len, r);
        free(names[i]);
    }
}

static void add_tls_cases(const char *dir)
{
    char path[1024];
    uint8_t buf[BUF_MAX];
    size_t len;
    proxyproto_header h;
    struct bench_case *c;
    int r;

    snprintf(path, sizeof path, "%s/haproxy-v2-tls-clientcert.bin", dir);
    len = read_file(path, buf, sizeof buf);
    r = proxyproto_parse(&h, buf, len, 0);
    if (r <= 0)
        die("proxyproto_parse", path, r, 1);
    add_parse("tls-capture", buf, len, r);
    c = add_case("tlv/walk-tls-capture", K_TLV_WALK);
    memcpy(c->in, buf, len);
    c->in_len = len;
    c = add_case("tlv/ssl-subs-tls-capture", K_SSL_SUBS);
    memcpy(c->in, buf, len);
    c->in_len = len;
}

/* The builder sequence of the write/v2-tlvs-crc32c case: a TLS proxy's
 * usual TLVs, a CRC32C first as HAProxy places it. */
static int build(const proxyproto_header *h, uint8_t *out, size_t cap)
{
    proxyproto_builder b;

    proxyproto_builder_init(&b, h);
    proxyproto_builder_add_crc32c(&b);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_AUTHORITY, "api.example.net", 15);
    proxyproto_builder_add_ssl(&b, PROXYPROTO_SSL_CLIENT_SSL, 0);
    proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7);
    proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_CIPHER,
                                   "TLS_AES_256_GCM_SHA384", 22);
    return proxyproto_builder_finish(&b, out, cap);
}

/* The connection layer's cost over the parse: init (trust check, clock
 * read for the deadline) and feed (copy of the header into the conn, the
 * parse, the addresses to use), from a trusted loopback peer. */
static int conn_feed(const uint8_t *in, size_t len)
{
    static proxyproto_cidr lo;
    static proxyproto_policy policy;
    struct sockaddr_in peer;
    proxyproto_conn conn;
    int r;

    if (policy.n_trusted == 0) {
        proxyproto_cidr_parse(&lo, "127.0.0.0/8");
        policy.trusted = &lo;
        policy.n_trusted = 1;
    }
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(0x7F000001);
    proxyproto_conn_init(&conn, -1, &policy, (const struct sockaddr *)&peer);
    r = proxyproto_conn_feed(&conn, in, len);
    return r + proxyproto_conn_client(&conn)->sa_family;
}

static void setup(const char *captures)
{
    static const uint8_t lo4[4] = {127, 0, 0, 1}, max4[4] = {255, 255, 255, 255};
    static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t max6[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff};
    /* Longest lines: 56 and 104 bytes (proxyproto(7) section 2). */
    static const char v1_tcp4_max[] =
        "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
    static const char v1_tcp6_max[] =
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    static const char v1_unknown[] = "PROXY UNKNOWN\r\n";
    proxyproto_header h;
    uint8_t buf[BUF_MAX];
    struct bench_case *c;
    int n, i;

    add_case("overhead/loop", K_OVERHEAD);
    /* A byte-at-a-time parse of n bytes makes n calls: n times this is
     * its floor. */
    add_case("overhead/parse-0-bytes", K_EMPTY);

    set_tcp4(&h, 2, lo4, lo4, 48352, 18002);
    n = proxyproto_write(buf, sizeof buf, &h);
    if (n != 28)
        die("proxyproto_write", "v2-tcp4", n, 28);
    add_parse("v2-tcp4", buf, (size_t)n, n);
    c = add_case("conn/feed-v2-tcp4", K_CONN_FEED);
    memcpy(c->in, buf, (size_t)n);
    c->in_len = (size_t)n;
    c->expect = n + AF_INET;
    set_tcp6(&h, 2, lo6, lo6, 48352, 18002);
    n = proxyproto_write(buf, sizeof buf, &h);
    if (n != 52)
        die("proxyproto_write", "v2-tcp6", n, 52);
    add_parse("v2-tcp6", buf, (size_t)n, n);
    add_parse("v1-tcp4-max", v1_tcp4_max, sizeof v1_tcp4_max - 1, 56);
    add_parse("v1-tcp6-max", v1_tcp6_max, sizeof v1_tcp6_max - 1, 104);
    add_parse("v1-unknown", v1_unknown, sizeof v1_unknown - 1, 15);
    add_tls_cases(captures);
    add_captures(captures);

    set_tcp4(&h, 2, lo4, lo4, 48352, 18002);
    add_write("write/v2-tcp4", &h, 28);
    set_tcp6(&h, 2, lo6, lo6, 48352, 18002);
    add_write("write/v2-tcp6", &h, 52);
    set_tcp4(&h, 1, max4, max4, 65535, 65535);
    add_write("write/v1-tcp4", &h, 56);
    set_tcp4(&h, 1, lo4, lo4, 48352, 18002);
    add_write("write/v1-tcp4-short", &h, 44);
    set_tcp6(&h, 1, max6, max6, 65535, 65535);
    add_write("write/v1-tcp6", &h, 104);
    set_tcp6(&h, 1, lo6, lo6, 42076, 18004);
    add_write("write/v1-tcp6-short", &h, 32);
    set_tcp4(&h, 2, lo4, lo4, 55870, 18100);
    c = add_case("write/v2-tlvs-crc32c", K_BUILDER);
    c->hdr = h;
    c->expect = build(&h, buf, sizeof buf);
    n = proxyproto_parse(&h, buf, (size_t)c->expect, 0);
    if (c->expect <= 0 || n != c->expect)
        die("builder output parse", c->name, n, c->expect);

    for (i = 0; i < 2; i++) {
        static const size_t sizes[3] = {64, 256, 4096};
        static const char *const labels[3] = {"64", "256", "4k"};
        size_t s;

        for (s = 0; s < 3; s++) {
            char name[64];
            size_t k;

            snprintf(name, sizeof name, "%s/%s", i == 0 ? "crc32c" : "crc32c-sw",
                     labels[s]);
            c = add_case(name, i == 0 ? K_CRC_HW : K_CRC_SW);
            c->in_len = sizes[s];
            for (k = 0; k < c->in_len; k++)
                c->in[k] = (uint8_t)(k * 131 + 7);
        }
    }
}

/* ------------------------------------------------------------------------
 * Running a case
 * ------------------------------------------------------------------------ */

/* Feeds buf one more byte per call, as a reader receiving one byte at a
 * time would, passing the previous length back as last_len. */
static int parse_bytewise(proxyproto_header *h, const uint8_t *buf, size_t len)
{
    size_t n, last = 0;
    int r = PROXYPROTO_INCOMPLETE;

    for (n = 1; n <= len; n++) {
        r = proxyproto_parse(h, buf, n, last);
        if (r != PROXYPROTO_INCOMPLETE)
            break;
        last = n;
    }
    return r;
}

static uint64_t walk_tlvs(const proxyproto_header *h)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;
    uint64_t sum = 0;

    proxyproto_tlv_iter_init(&it, h->tlvs, h->tlvs_len);
    while (proxyproto_tlv_next(&it, &t))
        sum += (uint64_t)t.type + t.len + (uintptr_t)t.value;
    return sum;
}

static uint64_t ssl_subs(const proxyproto_header *h)
{
    static const uint8_t types[3] = {PROXYPROTO_SSL_VERSION, PROXYPROTO_SSL_CN,
                                     PROXYPROTO_SSL_CIPHER};
    proxyproto_ssl ssl;
    proxyproto_tlv t;
    uint64_t sum = 0;
    int i;

    if (proxyproto_ssl_get(h, &ssl) != 0)
        return 0;
    for (i = 0; i < 3; i++)
        if (proxyproto_tlv_find(ssl.subtlvs, ssl.subtlvs_len, types[i], &t) == 0)
            sum += t.len + (uintptr_t)t.value;
    return sum + ssl.client;
}

/* Runs `iters` iterations of case c and returns a checksum of the results.
 * One loop per kind, so that no dispatch sits inside the timed loop. */
NOINLINE static uint64_t bench_instr_loop(struct bench_case *c, size_t iters)
{
    uint8_t out[BUF_MAX];
    proxyproto_header h;
    uint64_t sum = 0;
    size_t i;

    switch (c->kind) {
    case K_OVERHEAD:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += i;
        }
        break;
    case K_EMPTY:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += (unsigned)proxyproto_parse(&h, c->in, 0, 0) + h.need;
        }
        break;
    case K_PARSE:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += (unsigned)proxyproto_parse(&h, c->in, c->in_len, 0);
        }
        break;
    case K_BYTEWISE:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += (unsigned)parse_bytewise(&h, c->in, c->in_len);
        }
        break;
    case K_TLV_WALK:
        proxyproto_parse(&h, c->in, c->in_len, 0);
        for (i = 0; i < iters; i++) {
            BARRIER(&h);
            sum += walk_tlvs(&h);
        }
        break;
    case K_SSL_SUBS:
        proxyproto_parse(&h, c->in, c->in_len, 0);
        for (i = 0; i < iters; i++) {
            BARRIER(&h);
            sum += ssl_subs(&h);
        }
        break;
    case K_WRITE:
        for (i = 0; i < iters; i++) {
            BARRIER(&c->hdr);
            sum += (unsigned)proxyproto_write(out, sizeof out, &c->hdr);
            BARRIER(out);
        }
        break;
    case K_BUILDER:
        for (i = 0; i < iters; i++) {
            BARRIER(&c->hdr);
            sum += (unsigned)build(&c->hdr, out, sizeof out);
            BARRIER(out);
        }
        break;
    case K_CONN_FEED:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += (unsigned)conn_feed(c->in, c->in_len);
        }
        break;
    case K_CRC_HW:
        if (!proxyproto__crc32c_hw_available()) { /* the best there is */
            for (i = 0; i < iters; i++) {
                BARRIER(c->in);
                sum += proxyproto_crc32c(0, c->in, c->in_len);
            }
            break;
        }
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += proxyproto__crc32c_hw(0, c->in, c->in_len);
        }
        break;
    case K_CRC_SW:
        for (i = 0; i < iters; i++) {
            BARRIER(c->in);
            sum += proxyproto__crc32c_sw(0, c->in, c->in_len);
        }
        break;
    }
    return sum;
}

/* Every run goes through this pointer: the function keeps its own name
 * (no clone or inlined copy), which callgrind's --toggle-collect and
 * --dump-after need in instr.sh. */
static uint64_t (*volatile run_loop)(struct bench_case *, size_t) = bench_instr_loop;

/* One checked run before any timing: the case must do what it claims. */
static void verify(struct bench_case *c)
{
    proxyproto_header h;
    uint8_t out[BUF_MAX];
    int r;

    switch (c->kind) {
    case K_PARSE:
        r = proxyproto_parse(&h, c->in, c->in_len, 0);
        if (r != c->expect)
            die("proxyproto_parse", c->name, r, c->expect);
        break;
    case K_BYTEWISE:
        r = parse_bytewise(&h, c->in, c->in_len);
        if (r != c->expect)
            die("byte-at-a-time proxyproto_parse", c->name, r, c->expect);
        break;
    case K_TLV_WALK:
    case K_SSL_SUBS:
        r = proxyproto_parse(&h, c->in, c->in_len, 0);
        if (r <= 0 || (c->kind == K_TLV_WALK ? walk_tlvs(&h) : ssl_subs(&h)) == 0)
            die("TLV lookup", c->name, r, 1);
        break;
    case K_WRITE:
        r = proxyproto_write(out, sizeof out, &c->hdr);
        if (r != c->expect)
            die("proxyproto_write", c->name, r, c->expect);
        if (proxyproto_parse(&h, out, (size_t)r, 0) != r)
            die("parse of written header", c->name, r, c->expect);
        break;
    case K_BUILDER:
        r = build(&c->hdr, out, sizeof out);
        if (r != c->expect)
            die("builder", c->name, r, c->expect);
        break;
    case K_CONN_FEED:
        r = conn_feed(c->in, c->in_len);
        if (r != c->expect)
            die("proxyproto_conn_feed", c->name, r, c->expect);
        break;
    case K_CRC_HW:
        if (!proxyproto__crc32c_hw_available())
            break;
        if (proxyproto__crc32c_hw(0, c->in, c->in_len) !=
            proxyproto__crc32c_sw(0, c->in, c->in_len))
            die("hardware CRC32C", c->name, 0, 1);
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------------
 * Timing
 * ------------------------------------------------------------------------ */

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_run(struct bench_case *c, size_t iters)
{
    double t0 = now_ns();

    sink += run_loop(c, iters);
    return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

struct result {
    double median, min, max; /* ns per iteration */
    size_t iters;            /* per round */
};

static struct result measure(struct bench_case *c, int rounds, size_t min_iters,
                             double round_ns)
{
    double t[64], per;
    size_t iters = 64, floor_iters = (min_iters + (size_t)rounds - 1) / (size_t)rounds;
    struct result res;
    int i;

    /* Warm-up and calibration: double until a run takes 2 ms. */
    while ((per = time_run(c, iters)) < 2e6)
        iters *= 2;
    per /= (double)iters;
    iters = (size_t)(round_ns / per);
    if (iters < floor_iters)
        iters = floor_iters;
    if (iters < 1)
        iters = 1;
    time_run(c, iters); /* one untimed round at the final size */
    for (i = 0; i < rounds; i++)
        t[i] = time_run(c, iters) / (double)iters;
    qsort(t, (size_t)rounds, sizeof t[0], cmp_double);
    res.median = rounds % 2 ? t[rounds / 2] : (t[rounds / 2 - 1] + t[rounds / 2]) / 2;
    res.min = t[0];
    res.max = t[rounds - 1];
    res.iters = iters;
    return res;
}

static int is_throughput(const struct bench_case *c)
{
    return c->kind == K_CRC_HW || c->kind == K_CRC_SW;
}

/* ns per op, or GB/s (bytes per ns) for the CRC32C cases. */
static double shown(const struct bench_case *c, double ns)
{
    return is_throughput(c) ? (double)c->in_len / ns : ns;
}

static void print_environment(void)
{
    char line[256];
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fgets(line, sizeof line, f) != NULL)
            printf("# load average: %s", line);
        fclose(f);
    }
    f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "model name", 10) == 0) {
                printf("# cpu: %s", strchr(line, ':') ? strchr(line, ':') + 2 : line);
                break;
            }
        fclose(f);
    }
    printf("# crc32c fast path: %s\n",
           proxyproto__crc32c_hw_available()
               ? "hardware (proxyproto__crc32c_hw)"
               : "none on this CPU: crc32c/* time proxyproto_crc32c()");
}

static int selected(const struct bench_case *c, const char *filter)
{
    return filter == NULL || strstr(c->name, filter) != NULL;
}

static int run_timing(int rounds, size_t min_iters, double round_ns,
                      const char *filter)
{
    static struct result res[MAX_CASES];
    int i;

    print_environment();
    printf("# %d rounds per case, >= %zu iterations per case, median shown\n",
           rounds, min_iters);
    printf("%-55s %10s %10s %10s %-6s %10s %8s\n", "case", "median", "best", "worst",
           "unit", "iters/rnd", "note");
    for (i = 0; i < n_cases; i++) {
        struct bench_case *c = &cases[i];
        struct result *r = &res[i];
        double best, worst;
        char note[32] = "";

        if (!selected(c, filter))
            continue;
        verify(c);
        *r = measure(c, rounds, min_iters, round_ns);
        best = shown(c, r->min); /* the fastest round, in either unit */
        worst = shown(c, r->max);
        if (c->whole >= 0 && res[c->whole].median > 0)
            snprintf(note, sizeof note, "%.1fx whole", r->median / res[c->whole].median);
        else if (c->kind == K_PARSE || c->kind == K_BYTEWISE)
            snprintf(note, sizeof note, "%zu B", c->in_len);
        printf("%-55s %10.2f %10.2f %10.2f %-6s %10zu %8s\n", c->name,
               shown(c, r->median), best, worst, is_throughput(c) ? "GB/s" : "ns/op",
               r->iters, note);
        fflush(stdout);
    }
    for (i = 0; i < n_cases; i++) {
        const struct bench_case *c = &cases[i];

        if (res[i].iters == 0)
            continue;
        printf("bench: %s %.2f %s\n", c->name, shown(c, res[i].median),
               is_throughput(c) ? "GB/s" : "ns/op");
    }
    return 0;
}

/* Prints "case <name> <iters>" for each case, in the order of the dumps. */
static int run_instr(size_t iters, const char *filter)
{
    int i;

    printf("instr-mode: %s\n", INSTR_MODE);
    for (i = 0; i < n_cases; i++) {
        struct bench_case *c = &cases[i];

        if (!selected(c, filter))
            continue;
        verify(c);
#if defined(BENCH_HAVE_CALLGRIND) && BENCH_HAVE_CALLGRIND
        /* Warm-up, outside the count. (Under the function toggle it would
         * be counted: instruction counts need no warm-up anyway.) */
        sink += run_loop(c, 1);
#endif
        INSTR_BEGIN();
        sink += run_loop(c, iters);
        INSTR_END(c->name);
        printf("case %s %zu\n", c->name, iters);
    }
    return 0;
}

static size_t number(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v == 0) {
        fprintf(stderr, "bench: bad number %s\n", s);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv)
{
    const char *captures = getenv("CAPTURES"), *filter = NULL;
    size_t min_iters = 1000000, instr = 0;
    int rounds = 9, i;
    double round_ms = 20;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)number(argv[++i]);
        else if (strcmp(argv[i], "--min-iters") == 0 && i + 1 < argc)
            min_iters = number(argv[++i]);
        else if (strcmp(argv[i], "--round-ms") == 0 && i + 1 < argc)
            round_ms = (double)number(argv[++i]);
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--instr") == 0 && i + 1 < argc)
            instr = number(argv[++i]);
        else if (argv[i][0] != '-')
            captures = argv[i];
        else {
            fprintf(stderr, "usage: %s [--rounds N] [--min-iters N] [--round-ms N] "
                            "[--filter TEXT] [--instr N] [captures-dir]\n",
                    argv[0]);
            return 2;
        }
    }
    if (rounds > 64)
        rounds = 64;
    setup(captures != NULL ? captures : "tests/captures");
    if (instr != 0)
        return run_instr(instr, filter);
    return run_timing(rounds, min_iters, round_ms * 1e6, filter);
}
