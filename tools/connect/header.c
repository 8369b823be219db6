/*
 * tools/connect/header.c - the bytes of one connection's header, written by
 * the library (proxyproto_header_from_sockaddrs, then proxyproto_write for
 * v1 or the builder for v2 and its TLVs). Deterministic: the same socket
 * and settings give the same bytes, so a header written in several parts
 * (a short write) is made again for each part rather than kept.
 */
#include "connect.h"

/* *sa with the override's address, and its port when one was given. */
static void apply(const struct override *o, const struct sockaddr *sa,
                  struct sockaddr_storage *out)
{
    uint16_t port = sa->sa_family == AF_INET
                        ? ((const struct sockaddr_in *)(const void *)sa)->sin_port
                        : ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port;

    if (!o->set) {
        memcpy(out, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                 : sizeof(struct sockaddr_in6));
        return;
    }
    *out = o->addr;
    if (o->port != 0)
        port = htons(o->port);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)(void *)out)->sin_port = port;
    else
        ((struct sockaddr_in6 *)(void *)out)->sin6_port = port;
}

static int is_mapped(const struct sockaddr_storage *ss)
{
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)ss;

    return ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s->sin6_addr);
}

/* ::ffff:a.b.c.d as a.b.c.d, and back. */
static void unmap(struct sockaddr_storage *ss)
{
    struct sockaddr_in6 s6 = *(struct sockaddr_in6 *)(void *)ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

    memset(ss, 0, sizeof *ss);
    s4->sin_family = AF_INET;
    s4->sin_port = s6.sin6_port;
    memcpy(&s4->sin_addr, s6.sin6_addr.s6_addr + 12, 4);
}

static void map(struct sockaddr_storage *ss)
{
    struct sockaddr_in s4 = *(struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

    memset(ss, 0, sizeof *ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = s4.sin_port;
    s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(s6->sin6_addr.s6_addr + 12, &s4.sin_addr, 4);
}

/* The two ends in one family: an IPv4 connection made on a dual-stack
 * IPv6 socket (both ::ffff:a.b.c.d) is written as IPv4, as it went on the
 * wire; an override of the other family maps the IPv4 end into IPv6, so
 * that v1 writes TCP6 rather than UNKNOWN (v2 would map it anyway). */
static void same_family(struct sockaddr_storage *a, struct sockaddr_storage *b)
{
    if (is_mapped(a) && is_mapped(b)) {
        unmap(a);
        unmap(b);
    }
    if (a->ss_family == AF_INET && b->ss_family == AF_INET6)
        map(a);
    else if (a->ss_family == AF_INET6 && b->ss_family == AF_INET)
        map(b);
}

static int build_v2(const proxyproto_header *hdr, uint8_t *buf, size_t cap)
{
    proxyproto_builder b;
    size_t i;

    proxyproto_builder_init(&b, hdr);
    if (cfg.authority_len != 0)
        proxyproto_builder_add(&b, PROXYPROTO_TLV_AUTHORITY, cfg.authority, cfg.authority_len);
    if (cfg.unique_id_len != 0)
        proxyproto_builder_add(&b, PROXYPROTO_TLV_UNIQUE_ID, cfg.unique_id, cfg.unique_id_len);
    for (i = 0; i < cfg.n_raw; i++)
        proxyproto_builder_add(&b, cfg.raw_type[i], cfg.raw + cfg.raw_off[i], cfg.raw_len[i]);
    if (cfg.crc32c)
        proxyproto_builder_add_crc32c(&b);
    /* The first failed add is kept and returned by finish. */
    return proxyproto_builder_finish(&b, buf, cap);
}

/* The header for a connection from local to peer (the socket's own
 * addresses, IPv4 or IPv6), with the overrides applied, into buf[0..cap).
 * Returns its length or a PROXYPROTO_ERR_* code. */
int build_header(const struct sockaddr *local, const struct sockaddr *peer, uint8_t *buf,
                 size_t cap)
{
    struct sockaddr_storage src, dst;
    proxyproto_header hdr;
    int rc;

    apply(&cfg.src, local, &src);
    apply(&cfg.dst, peer, &dst);
    same_family(&src, &dst);
    rc = proxyproto_header_from_sockaddrs(&hdr, cfg.version, PROXYPROTO_TRANSPORT_STREAM,
                                          (const struct sockaddr *)&src,
                                          (const struct sockaddr *)&dst);
    if (rc < 0)
        return rc;
    return cfg.version == 1 ? proxyproto_write(buf, cap, &hdr) : build_v2(&hdr, buf, cap);
}
