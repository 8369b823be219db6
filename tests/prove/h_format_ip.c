/* PROVE-ENTRY: proxyproto_format_ip4, proxyproto_format_ip6
 * PROVE-BOUND: cap 0..256 (each), every address byte unknown
 * PROVE-SOURCES: lib/format_ip.c
 * PROVE-OPTIONS: -eva-min-loop-unroll 10
 */
#include "prove.h"

#define MAXCAP 256

static char out[MAXCAP];

int main(void)
{
    uint8_t ip[16];

    /*@ loop unroll MAXCAP + 1; */
    for (size_t cap = 0; cap <= MAXCAP; cap++) {
        prove_any_bytes(ip, sizeof ip);
        (void)proxyproto_format_ip4(PROVE_TAIL(out, cap), cap, ip);
        (void)proxyproto_format_ip6(PROVE_TAIL(out, cap), cap, ip);
    }
    return 0;
}
