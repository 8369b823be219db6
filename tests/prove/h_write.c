/* PROVE-ENTRY: proxyproto_write, proxyproto_write_size (v2)
 * PROVE-BOUND: any v2 header (every other field unknown); tlvs_len 0..256 (each) with cap 1024, then cap 0..512 (each) with tlvs_len 0..256 unknown
 * PROVE-SOURCES: lib/write.c lib/write_v1.c lib/write_v2.c lib/format_ip.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-split-return-function proxyproto__v2_size:full,v2_size_of:full,v2_size_with_tlvs:full,put_block:full -eva-auto-loop-unroll 0 -eva-slevel 16 -eva-slevel-function main:0
 */
#include "prove.h"

#define MAXLEN 256
#define MAXCAP 512

static uint8_t tlvs[MAXLEN];
static uint8_t out[1024]; /* more than any header with MAXLEN bytes of TLVs */
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    proxyproto_header hdr;

    prove_any_bytes(path, sizeof path);
    /* Reads: exactly tlvs_len bytes of TLVs. */
    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        prove_any_bytes(tlvs, sizeof tlvs);
        prove_any_header(&hdr, path[0], path[1],
                         Frama_C_interval(0, 1) ? PROVE_TAIL(tlvs, n) : NULL, n);
        hdr.version = 2;
        (void)proxyproto_write_size(&hdr);
        (void)proxyproto_write(out, sizeof out, &hdr);
    }
    /* Writes: exactly cap bytes of room. */
    /*@ loop unroll MAXCAP + 1; */
    for (size_t cap = 0; cap <= MAXCAP; cap++) {
        int with_tlvs = Frama_C_interval(0, 1);

        /* Two states, with and without TLVs: main's own are merged. */
        /*@ split with_tlvs; */
        prove_any_bytes(tlvs, sizeof tlvs);
        prove_any_header(&hdr, path[0], path[1], with_tlvs ? tlvs : NULL,
                         Frama_C_size_t_interval(0, MAXLEN));
        hdr.version = 2;
        (void)proxyproto_write(PROVE_TAIL(out, cap), cap, &hdr);
        /*@ merge with_tlvs; */
    }
    (void)proxyproto_write(NULL, 0, &hdr);
    return 0;
}
