/* PROVE-ENTRY: proxyproto_write, proxyproto_write_size (v1, and any version)
 * PROVE-BOUND: any header (every field, the version included, unknown; TLVs of 0..256 bytes), cap 0..256 (each)
 * PROVE-SOURCES: lib/write.c lib/write_v1.c lib/write_v2.c lib/format_ip.c lib/crc32c.c
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
        prove_any_header(&hdr, path[0], path[1], Frama_C_interval(0, 1) ? tlvs : NULL,
                         Frama_C_size_t_interval(0, sizeof tlvs));
        if (Frama_C_interval(0, 1))
            hdr.version = 1; /* else any version */
        (void)proxyproto_write_size(&hdr);
        (void)proxyproto_write(PROVE_TAIL(out, cap), cap, &hdr);
    }
    return 0;
}
