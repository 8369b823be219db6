/* Endpoints as one printable word for logs: "a.b.c.d:port", "[v6]:port",
 * "unix:/path", from a socket address or from a parsed header's end. */
#define _POSIX_C_SOURCE 200809L
#include "writer.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Longest IP endpoint: "[" + 45 + "]:" + 5 digits. */
#define IP_ENDPOINT_MAX (PROXYPROTO_IP_STRLEN + 8)

/* "IP:PORT" or "[IP]:PORT" at p; returns the end. Room for
 * IP_ENDPOINT_MAX bytes is the caller's (proxyproto__put_ip may scribble
 * 2 bytes past the text it returns; the port then overwrites them). */
static char *addr_put_ip_endpoint(char *p, int family, const uint8_t *ip,
                             unsigned port)
{
    if (family == PROXYPROTO_AF_INET6)
        *p++ = '[';
    p = proxyproto__put_ip(p, family, ip);
    if (family == PROXYPROTO_AF_INET6)
        *p++ = ']';
    *p++ = ':';
    return proxyproto__put_u16(p, port);
}

/* "unix:" then the n bytes of path, printable ones as they are and the rest
 * (and '\\') as \xNN; an abstract name (path[0] == 0) as "@name". The
 * caller leaves room for 5 + 4 * n bytes. */
static char *addr_put_unix(char *p, const uint8_t *path, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;

    memcpy(p, "unix:", 5);
    p += 5;
    if (n > 0 && path[0] == 0) {
        *p++ = '@';
        i = 1;
    }
    /*@ loop unroll 108; */ /* Frama-C: n <= 108; the text stays in bounds */
    for (; i < n; i++) {
        uint8_t b = path[i];

        if (b > 0x20 && b < 0x7F && b != '\\') {
            *p++ = (char)b;
            continue;
        }
        *p++ = '\\';
        *p++ = 'x';
        *p++ = hex[b >> 4];
        *p++ = hex[b & 0xF];
    }
    return p;
}

/* The name's length in sun_path: up to the first NUL for a path; for an
 * abstract name (leading NUL) up to its last non-NUL byte. */
static size_t addr_unix_name_len(const uint8_t *path, size_t cap)
{
    size_t n = 0;

    if (cap > 0 && path[0] != 0) {
        while (n < cap && path[n] != 0)
            n++;
        return n;
    }
    for (n = cap; n > 1 && path[n - 1] == 0; n--)
        ;
    return n > 1 ? n : 0;
}

/* A header's UNIX path: path_len bytes, or for an abstract name (path_len
 * 0) the 108 bytes the parser points at, trailing NULs dropped. */
static size_t addr_header_path_len(const proxyproto_addr *a)
{
    if (a->path_len > 0)
        return a->path_len < PROXYPROTO_UNIX_PATH_MAX ? a->path_len
                                                      : PROXYPROTO_UNIX_PATH_MAX;
    return addr_unix_name_len(a->path, PROXYPROTO_UNIX_PATH_MAX);
}

PROXYPROTO_API int proxyproto_format_sockaddr(char *out, size_t cap,
                                              const struct sockaddr *sa)
{
    char tmp[PROXYPROTO_ADDR_STRLEN];
    char *end;

    if (out == NULL || sa == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        end = addr_put_ip_endpoint(tmp, PROXYPROTO_AF_INET,
                              (const uint8_t *)&in->sin_addr, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        end = addr_put_ip_endpoint(tmp, PROXYPROTO_AF_INET6, in6->sin6_addr.s6_addr,
                              ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)sa;
        const uint8_t *path = (const uint8_t *)un->sun_path;
        size_t max = sizeof un->sun_path < PROXYPROTO_UNIX_PATH_MAX
                         ? sizeof un->sun_path : PROXYPROTO_UNIX_PATH_MAX;
        end = addr_put_unix(tmp, path, addr_unix_name_len(path, max));
    } else {
        return PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR;
    }
    return proxyproto__emit_text(out, cap, tmp, (size_t)(end - tmp));
}

PROXYPROTO_API int proxyproto_format_endpoint(char *out, size_t cap,
                                              const proxyproto_header *hdr,
                                              int which)
{
    char tmp[PROXYPROTO_ADDR_STRLEN];
    const proxyproto_addr *a;
    char *end;

    if (out == NULL || hdr == NULL ||
        (which != PROXYPROTO_SOURCE && which != PROXYPROTO_DESTINATION))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    a = which == PROXYPROTO_SOURCE ? &hdr->src : &hdr->dst;
    if (!hdr->has_addresses)
        return PROXYPROTO_ERR_NO_ADDRESS;
    if (hdr->family == PROXYPROTO_AF_INET || hdr->family == PROXYPROTO_AF_INET6)
        end = addr_put_ip_endpoint(tmp, hdr->family, a->ip.v6, a->port);
    else if (hdr->family == PROXYPROTO_AF_UNIX && a->path != NULL)
        end = addr_put_unix(tmp, a->path, addr_header_path_len(a));
    else
        return PROXYPROTO_ERR_NO_ADDRESS;
    return proxyproto__emit_text(out, cap, tmp, (size_t)(end - tmp));
}
