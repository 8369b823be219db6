/* PROVE-ENTRY: proxyproto_format_sockaddr, proxyproto_format_endpoint
 * PROVE-BOUND: cap 0..256 and 439..441 (each), every byte of the sockaddr_storage / header / paths unknown
 * PROVE-SOURCES: lib/format_addr.c lib/format_ip.c
 */
#define _POSIX_C_SOURCE 200809L
#include "prove.h"

#include <sys/socket.h>

#define MAXCAP 256

static char out[PROXYPROTO_ADDR_STRLEN + 1];
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

static void one(size_t cap)
{
    struct sockaddr_storage ss;
    proxyproto_header hdr;

    prove_any_bytes(&ss, sizeof ss);
    prove_any_bytes(path, sizeof path);
    prove_any_header(&hdr, path[0], path[1], NULL, 0);
    (void)proxyproto_format_sockaddr(PROVE_TAIL(out, cap), cap, (const struct sockaddr *)&ss);
    (void)proxyproto_format_endpoint(PROVE_TAIL(out, cap), cap, &hdr, Frama_C_interval(INT_MIN, INT_MAX));
}

int main(void)
{
    /*@ loop unroll MAXCAP + 1; */
    for (size_t cap = 0; cap <= MAXCAP; cap++)
        one(cap);
    /*@ loop unroll 3; */
    for (size_t cap = PROXYPROTO_ADDR_STRLEN - 1; cap <= PROXYPROTO_ADDR_STRLEN + 1; cap++)
        one(cap);
    return 0;
}
