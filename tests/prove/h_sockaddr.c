/* PROVE-ENTRY: proxyproto_sockaddr, proxyproto_use_header_addresses
 * PROVE-BOUND: any header (every field, both 108-byte paths unknown), any `which`
 * PROVE-SOURCES: lib/sockaddr.c
 */
#define _POSIX_C_SOURCE 200809L
#include "prove.h"

#include <sys/socket.h>

static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    struct sockaddr_storage ss;
    proxyproto_header hdr;

    prove_any_bytes(path, sizeof path);
    prove_any_header(&hdr, path[0], path[1], NULL, 0);
    (void)proxyproto_use_header_addresses(&hdr);
    (void)proxyproto_sockaddr(&hdr, Frama_C_interval(INT_MIN, INT_MAX), &ss);
    return 0;
}
