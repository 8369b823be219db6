/* PROVE-ENTRY: proxyproto_write, proxyproto_write_size (v1, and any version)
 * PROVE-BOUND: any header (every field, the version included, unknown; TLVs of 0..256 bytes), cap 0..256 (each)
 * PROVE-SOURCES: lib/write.c lib/write_v1.c lib/write_v2.c lib/format_ip.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-split-return-function proxyproto__v2_size:full,v2_size_of:full,v2_size_with_tlvs:full,put_block:full,zero_run:full -eva-auto-loop-unroll 0 -eva-slevel-function main:0
 */
#include "prove.h"

#define MAXCAP 256

static uint8_t tlvs[256];
static char out[MAXCAP];
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    proxyproto_header hdr;

    prove_any_bytes(path, sizeof path);
    prove_any_bytes(tlvs, sizeof tlvs);
    /*@ loop unroll MAXCAP + 1; */
    for (size_t cap = 0; cap <= MAXCAP; cap++) {
        int with_tlvs = Frama_C_interval(0, 1);

        /* Two states, with and without TLVs: main's own are merged. */
        /*@ split with_tlvs; */
        prove_any_header(&hdr, path[0], path[1], with_tlvs ? tlvs : NULL,
                         Frama_C_size_t_interval(0, sizeof tlvs));
        if (Frama_C_interval(0, 1))
            hdr.version = 1; /* else any version */
        /* Initialised bytes, as h_write's static buffer: Eva does not see
         * that a v2 header's CRC32C reads only bytes written before it,
         * and an earlier v1 line's copy may leave some unset. */
        prove_any_bytes(out, sizeof out);
        (void)proxyproto_write_size(&hdr);
        (void)proxyproto_write(PROVE_TAIL(out, cap), cap, &hdr);
        /*@ merge with_tlvs; */
    }
    return 0;
}
