/* Addresses of a parsed header as the socket API wants them (proxyproto(7)
 * section 3). */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

PROXYPROTO_API int proxyproto_use_header_addresses(const proxyproto_header *hdr)
{
    /* LOCAL, v1 UNKNOWN, UNSPEC family or transport: the real socket's. */
    return hdr->command == PROXYPROTO_CMD_PROXY && hdr->has_addresses &&
           hdr->family >= PROXYPROTO_AF_INET && hdr->family <= PROXYPROTO_AF_UNIX &&
           (hdr->transport == PROXYPROTO_TRANSPORT_STREAM ||
            hdr->transport == PROXYPROTO_TRANSPORT_DGRAM);
}

static int to_unix(const proxyproto_addr *a, struct sockaddr_un *sun)
{
    /* An abstract name (leading NUL) is all 108 bytes; a path ends at its
     * first NUL, which sun_path then carries too when there is room. */
    size_t n = a->path_len > 0 ? a->path_len : PROXYPROTO_UNIX_PATH_MAX;

    if (n > sizeof sun->sun_path)
        return PROXYPROTO_ERR_UNIX_PATH_TOO_LONG;
    sun->sun_family = AF_UNIX;
    if (a->path != NULL) /* a hand-made header: 108 zero bytes, as written */
        memcpy(sun->sun_path, a->path, n);
    return (int)(offsetof(struct sockaddr_un, sun_path) + n);
}

PROXYPROTO_API int proxyproto_sockaddr(const proxyproto_header *hdr, int which,
                                       struct sockaddr_storage *out)
{
    const proxyproto_addr *a;

    if (hdr == NULL || out == NULL ||
        (which != PROXYPROTO_SOURCE && which != PROXYPROTO_DESTINATION))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (!hdr->has_addresses)
        return PROXYPROTO_ERR_NO_ADDRESS;
    a = which == PROXYPROTO_SOURCE ? &hdr->src : &hdr->dst;
    memset(out, 0, sizeof *out);
    if (hdr->family == PROXYPROTO_AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(a->port);
        memcpy(&sin->sin_addr, a->ip.v4, 4);
        return (int)sizeof *sin;
    }
    if (hdr->family == PROXYPROTO_AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(a->port);
        memcpy(&sin6->sin6_addr, a->ip.v6, 16);
        return (int)sizeof *sin6;
    }
    if (hdr->family == PROXYPROTO_AF_UNIX)
        return to_unix(a, (struct sockaddr_un *)out);
    return PROXYPROTO_ERR_NO_ADDRESS;
}
