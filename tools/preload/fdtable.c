/*
 * tools/preload/fdtable.c - per-descriptor flags and the address table that
 * getpeername() and getsockname() answer from (lock-free seqlocks, checked
 * against the socket's real peer).
 */
#include "preload.h"

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Inode of fd's file, 0 when fstat fails. */
uint64_t inode_of(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* "1.2.3.4:5", "[::1]:5" or "unix:/path". */
void fmt_sa(char *out, size_t cap, const struct sockaddr *sa)
{
    if (proxyproto_format_sockaddr(out, cap, sa) < 0)
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
}

/* Copies a socket address out the way the kernel does: at most *alen
 * bytes, and *alen set to the address's real length. */
void copy_out(const struct sockaddr_storage *ss, socklen_t len,
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

unsigned char fdflags[PP_MAX_FD];

void flags_set(int fd, unsigned f)
{
    if (in_table(fd) && (flags_of(fd) & f) != f)
        __atomic_fetch_or(&fdflags[fd], (unsigned char)f, __ATOMIC_RELAXED);
}

void flags_clear(int fd, unsigned f)
{
    if (in_table(fd) && (flags_of(fd) & f) != 0)
        __atomic_fetch_and(&fdflags[fd], (unsigned char)~f, __ATOMIC_RELAXED);
}

struct conn_slot conns[PP_MAX_FD];

/* The seqlock over n words at w, sequence *seq (here, and in the hand-off
 * table shared between processes, handoff.c): 0 when another writer held
 * it too long. */
int seq_write(unsigned *seq, uint64_t *w, const uint64_t *v, int n)
{
    unsigned q;
    int i, tries;

    for (tries = 0;; tries++) {
        q = __atomic_load_n(seq, __ATOMIC_RELAXED);
        if ((q & 1u) == 0 &&
            __atomic_compare_exchange_n(seq, &q, q + 1u, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        /* Two writers of one descriptor at once only happen when the
         * application closes a descriptor it is being given; give up
         * rather than spin (readers check the peer anyway). */
        if (tries >= 1000)
            return 0;
        sched_yield();
    }
    __atomic_thread_fence(__ATOMIC_RELEASE);
    for (i = 0; i < n; i++)
        __atomic_store_n(&w[i], v[i], __ATOMIC_RELAXED);
    __atomic_store_n(seq, q + 2u, __ATOMIC_RELEASE);
    return 1;
}

/* A consistent copy of the n words at w into v: 1, or 0 when a writer
 * kept them busy. */
int seq_read(unsigned *seq, const uint64_t *w, uint64_t *v, int n)
{
    int i, tries;

    for (tries = 0; tries < 1000; tries++) {
        unsigned a = __atomic_load_n(seq, __ATOMIC_ACQUIRE), b;
        if (a & 1u) {
            sched_yield();
            continue;
        }
        for (i = 0; i < n; i++)
            v[i] = __atomic_load_n(&w[i], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        b = __atomic_load_n(seq, __ATOMIC_RELAXED);
        if (a == b)
            return 1;
    }
    return 0;
}

/* A pair in 5 words (the first never 0), and back. */
void pair_pack(const struct pair *p, uint64_t *w)
{
    w[0] = 1u | (uint64_t)(unsigned)p->family << 8 | (uint64_t)p->sport << 16 |
           (uint64_t)p->dport << 32;
    memcpy(&w[1], p->src, 16);
    memcpy(&w[3], p->dst, 16);
}

void pair_unpack(struct pair *p, const uint64_t *w)
{
    p->family = (int)((w[0] >> 8) & 0xff);
    p->sport = (uint16_t)(w[0] >> 16);
    p->dport = (uint16_t)(w[0] >> 32);
    memcpy(p->src, &w[1], 16);
    memcpy(p->dst, &w[3], 16);
}

void conn_store(int fd, uint64_t ino, const struct pair *p)
{
    uint64_t w[CW];

    w[0] = ino;
    pair_pack(p, &w[1]);
    seq_write(&conns[fd].seq, conns[fd].w, w, CW);
}

void conn_clear(int fd)
{
    static const uint64_t zero[CW];

    if (conn_used(fd))
        seq_write(&conns[fd].seq, conns[fd].w, zero, CW);
}

/* The entry of fd if it has one: 1 and *p, *ino (the peer's fingerprint);
 * else 0. */
int conn_load(int fd, struct pair *p, uint64_t *ino)
{
    uint64_t w[CW];

    if (!conn_used(fd) || !seq_read(&conns[fd].seq, conns[fd].w, w, CW) || w[1] == 0)
        return 0;
    *ino = w[0];
    pair_unpack(p, &w[1]);
    return 1;
}

socklen_t pair_sockaddr(const struct pair *p, int dst, struct sockaddr_storage *ss)
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
int pair_from_header(struct pair *p, const proxyproto_header *h, int lfam)
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
/* FNV-1a (64 bits) of a socket's peer: family, address and port. What
 * ties an entry to its connection: a descriptor number reused for another
 * socket (closed behind our back) has another peer, or none. 0 for none. */
uint64_t peer_fingerprint(const struct sockaddr *sa)
{
    const unsigned char *a;
    size_t n, i;
    uint64_t h = 14695981039346656037u;
    uint16_t port;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;
        a = (const unsigned char *)&s->sin_addr;
        n = 4;
        port = s->sin_port;
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
        a = s->sin6_addr.s6_addr;
        n = 16;
        port = s->sin6_port;
    } else {
        return 0;
    }
    h = (h ^ (uint64_t)sa->sa_family) * 1099511628211u;
    for (i = 0; i < n; i++)
        h = (h ^ a[i]) * 1099511628211u;
    h = (h ^ (port & 0xff)) * 1099511628211u;
    h = (h ^ (port >> 8)) * 1099511628211u;
    return h != 0 ? h : 1;
}

int conn_answer(int fd, int dst, struct sockaddr *addr, socklen_t *alen)
{
    struct pair p;
    struct sockaddr_storage ss, real;
    socklen_t n, rl = sizeof real;
    uint64_t key;

    if (!conn_load(fd, &p, &key))
        return 0;
    /* The real peer (the load balancer) must be the one the entry was made
     * for: the same system call the caller made, so it costs nothing. Not
     * connected any more (reset): the real answers, as without us. */
    if (real_getpeername(fd, (struct sockaddr *)&real, &rl) != 0 ||
        peer_fingerprint((const struct sockaddr *)&real) != key) {
        conn_clear(fd);
        return 0;
    }
    n = pair_sockaddr(&p, dst, &ss);
    copy_out(&ss, n, addr, alen);
    return 1;
}
