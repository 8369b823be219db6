/* PROVE-ENTRY: proxyproto_parse (v1: first byte 'P')
 * PROVE-BOUND: len 1..128 (each; a line is at most 107 bytes), every byte after the 'P' and last_len unknown
 * PROVE-SOURCES: lib/parse.c lib/parse_v1.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c
 */
#include "prove.h"

#define MAXLEN 128

static uint8_t bytes[MAXLEN];

int main(void)
{
    proxyproto_header hdr;

    /*@ loop unroll MAXLEN; */
    for (size_t n = 1; n <= MAXLEN; n++) {
        uint8_t *b = PROVE_TAIL(bytes, n);

        prove_any_bytes(bytes, sizeof bytes);
        b[0] = 'P';
        (void)proxyproto_parse(&hdr, b, n, Frama_C_size_t_interval(0, SIZE_MAX));
    }
    return 0;
}
