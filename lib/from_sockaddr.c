/* proxyproto_header_from_sockaddrs(): the header a proxy sends, from the
 * two socket addresses it holds after accept() (proxyproto(7) section 6). */
#define _POSIX_C_SOURCE 200809L

#include "internal.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* sin_port / sin6_port are in network order: read the bytes, no ntohs. */
static uint16_t port_of(const void *port)
{
    return proxyproto__get16((const uint8_t *)port);
}

/* The caller's sockaddr is read through memcpy into a struct of the right
 * type: it may really be a sockaddr_storage (no aliasing games). */
static int read_inet(const struct sockaddr *sa, proxyproto_addr *a)
{
    struct sockaddr_in sin;

    memcpy(&sin, sa, sizeof sin);
    memcpy(a->ip.v4, &sin.sin_addr, 4);
    a->port = port_of(&sin.sin_port);
    return PROXYPROTO_AF_INET;
}

static int read_inet6(const struct sockaddr *sa, proxyproto_addr *a)
{
    struct sockaddr_in6 sin6;

    memcpy(&sin6, sa, sizeof sin6);
    memcpy(a->ip.v6, &sin6.sin6_addr, 16);
    a->port = port_of(&sin6.sin6_port);
    return PROXYPROTO_AF_INET6;
}

/* A UNIX address is 108 raw bytes pointed to in place (proxyproto(7)
 * section 3; v2 writes all of them, which keeps abstract names). Where
 * sun_path is shorter than 108 bytes (BSDs, macOS: 104) those bytes are not
 * there to point to, so such a platform gets
 * PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR. */
static int read_unix(const struct sockaddr *sa, proxyproto_addr *a)
{
    const uint8_t *nul;

    if (sizeof(((struct sockaddr_un *)0)->sun_path) < PROXYPROTO_UNIX_PATH_MAX)
        return PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR;
    a->path = (const uint8_t *)sa + offsetof(struct sockaddr_un, sun_path);
    nul = (const uint8_t *)memchr(a->path, 0, PROXYPROTO_UNIX_PATH_MAX);
    a->path_len = nul != NULL ? (size_t)(nul - a->path)
                              : PROXYPROTO_UNIX_PATH_MAX;
    return PROXYPROTO_AF_UNIX;
}

/* Fills *a from sa; returns its PROXYPROTO_AF_* family or an error. */
static int read_end(const struct sockaddr *sa, proxyproto_addr *a)
{
    sa_family_t family;

    memcpy(&family, (const uint8_t *)sa + offsetof(struct sockaddr, sa_family),
           sizeof family);
    switch (family) {
    case AF_INET:
        return read_inet(sa, a);
    case AF_INET6:
        return read_inet6(sa, a);
    case AF_UNIX:
        return read_unix(sa, a);
    default:
        return PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR;
    }
}

/* IPv4 a.b.c.d -> IPv4-mapped IPv6 ::ffff:a.b.c.d (RFC 4291 2.5.5.2). */
static void map_v4(proxyproto_addr *a)
{
    uint8_t v4[4];

    memcpy(v4, a->ip.v4, 4);
    memset(a->ip.v6, 0, 10);
    a->ip.v6[10] = 0xFF;
    a->ip.v6[11] = 0xFF;
    memcpy(a->ip.v6 + 12, v4, 4);
}

/* proxyproto(7) section 6: v1 says TCP4 when both ends are IPv4, TCP6 when
 * both are IPv6, and UNKNOWN for everything else (the receiver then uses the
 * socket's addresses), so it never fails on a mix. */
static int choose_v1(proxyproto_header *h, int sf, int df)
{
    if (sf == df && sf != PROXYPROTO_AF_UNIX) {
        h->family = (uint8_t)sf;
        h->transport = PROXYPROTO_TRANSPORT_STREAM;
        h->has_addresses = 1;
        return 0;
    }
    /* What parsing "PROXY UNKNOWN\r\n" gives. */
    memset(&h->src, 0, sizeof h->src);
    memset(&h->dst, 0, sizeof h->dst);
    h->family = PROXYPROTO_AF_UNSPEC;
    h->transport = PROXYPROTO_TRANSPORT_UNSPEC;
    return 0;
}

/* v2 carries one family for both ends: an IPv4 end next to an IPv6 one is
 * mapped into IPv6 (as HAProxy does); UNIX cannot be mixed with IP. */
static int choose_v2(proxyproto_header *h, int transport, int sf, int df)
{
    if (sf != df && (sf == PROXYPROTO_AF_UNIX || df == PROXYPROTO_AF_UNIX))
        return PROXYPROTO_ERR_FAMILY_MIXED;
    if (sf != df)
        map_v4(sf == PROXYPROTO_AF_INET ? &h->src : &h->dst);
    h->family = (uint8_t)(sf == df ? sf : PROXYPROTO_AF_INET6);
    h->transport = (uint8_t)transport;
    h->has_addresses = 1;
    return 0;
}

PROXYPROTO_API int proxyproto_header_from_sockaddrs(proxyproto_header *hdr,
                                                    int version, int transport,
                                                    const struct sockaddr *src,
                                                    const struct sockaddr *dst)
{
    proxyproto_header h;
    int sf, df, r;

    if (hdr == NULL || src == NULL || dst == NULL ||
        (version != 1 && version != 2))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* v1 has TCP only (proxyproto(7) section 2). */
    if (transport != PROXYPROTO_TRANSPORT_STREAM &&
        (version == 1 || transport != PROXYPROTO_TRANSPORT_DGRAM))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* Built aside so that *hdr is untouched on error. */
    memset(&h, 0, sizeof h);
    sf = read_end(src, &h.src);
    if (sf < 0)
        return sf;
    df = read_end(dst, &h.dst);
    if (df < 0)
        return df;
    h.version = (uint8_t)version;
    h.command = PROXYPROTO_CMD_PROXY;
    r = version == 1 ? choose_v1(&h, sf, df) : choose_v2(&h, transport, sf, df);
    if (r < 0)
        return r;
    *hdr = h;
    return 0;
}
