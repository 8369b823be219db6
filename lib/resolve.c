/* proxyproto_resolve(): which addresses the application should use for a
 * connection (proxyproto(7) section 3): the header's, or the socket's own. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <string.h>
#include <sys/socket.h>

static int from_header(const proxyproto_header *hdr,
                       struct sockaddr_storage *client,
                       struct sockaddr_storage *server)
{
    int rc = 0;

    if (client != NULL)
        rc = proxyproto_sockaddr(hdr, PROXYPROTO_SOURCE, client);
    if (rc >= 0 && server != NULL)
        rc = proxyproto_sockaddr(hdr, PROXYPROTO_DESTINATION, server);
    return rc < 0 ? rc : 0;
}

/* getpeername() or getsockname() into a zeroed storage, so that an unnamed
 * AF_UNIX end (which fills only sun_family) leaves no stale bytes. */
static int socket_name(int fd, int peer, struct sockaddr_storage *out)
{
    socklen_t len = (socklen_t)sizeof *out;
    int rc;

    memset(out, 0, sizeof *out);
    rc = peer ? getpeername(fd, (struct sockaddr *)out, &len)
              : getsockname(fd, (struct sockaddr *)out, &len);
    return rc == 0 ? 0 : PROXYPROTO_ERR_SYSTEM;
}

PROXYPROTO_API int proxyproto_resolve_peer(int fd,
                                           const struct sockaddr_storage *peer,
                                           const proxyproto_header *hdr,
                                           struct sockaddr_storage *client,
                                           struct sockaddr_storage *server)
{
    int rc = 0;

    /* LOCAL (health checks), v1 UNKNOWN, UNSPEC family or transport, or no
     * header at all (an untrusted peer passed through): the real socket's
     * addresses, never whatever a header might hold. */
    if (hdr != NULL && proxyproto_use_header_addresses(hdr))
        return from_header(hdr, client, server);
    if (client != NULL && peer != NULL)
        *client = *peer;
    else if (client != NULL)
        rc = socket_name(fd, 1, client);
    if (rc == 0 && server != NULL)
        rc = socket_name(fd, 0, server);
    return rc;
}

PROXYPROTO_API int proxyproto_resolve(int fd, const proxyproto_header *hdr,
                                      struct sockaddr_storage *client,
                                      struct sockaddr_storage *server)
{
    return proxyproto_resolve_peer(fd, NULL, hdr, client, server);
}
