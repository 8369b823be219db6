/* PROVE-ENTRY: proxyproto_reader_init, proxyproto_reader_feed
 * PROVE-BOUND: len 0..256 (each), every byte unknown, the reader's last length any size_t
 * PROVE-SOURCES: lib/reader.c lib/parse.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c tests/prove/stub_parse_v1.c
 * PROVE-OPTIONS: -eva-auto-loop-unroll 0 -eva-slevel 0
 */
#include "prove.h"

#define MAXLEN 256

static uint8_t bytes[MAXLEN];

int main(void)
{
    proxyproto_header hdr;
    proxyproto_reader r;

    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        prove_any_bytes(bytes, sizeof bytes);
        proxyproto_reader_init(&r, NULL, 0);
        /* Whatever the calls before this one fed: a buffer of any length
         * that grew, or another stream's shorter one. */
        r.last_len_ = Frama_C_size_t_interval(0, SIZE_MAX);
        (void)proxyproto_reader_feed(&r, PROVE_TAIL(bytes, n), n, &hdr);
        (void)proxyproto_reader_feed(&r, PROVE_TAIL(bytes, n), n, &hdr);
    }
    (void)proxyproto_reader_feed(NULL, bytes, 0, &hdr);
    return 0;
}
