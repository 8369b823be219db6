/* PROVE-ENTRY: proxyproto_parse (v2, any first byte)
 * PROVE-BOUND: len 0..256 (each), every byte and last_len unknown
 * PROVE-SOURCES: lib/parse.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c tests/prove/stub_parse_v1.c
 * PROVE-OPTIONS: -eva-auto-loop-unroll 0 -eva-slevel 0
 */
#include "prove.h"

#define MAXLEN 256

static uint8_t bytes[MAXLEN];

int main(void)
{
    proxyproto_header hdr;

    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        prove_any_bytes(bytes, sizeof bytes);
        (void)proxyproto_parse(&hdr, PROVE_TAIL(bytes, n), n,
                               Frama_C_size_t_interval(0, SIZE_MAX));
    }
    return 0;
}
