/* PROVE-ENTRY: proxyproto_ssl_get, proxyproto_client_cert_verified, proxyproto_details_get
 * PROVE-BOUND: any header (parsed or not), tlvs_len 0..256 (each), every byte unknown
 * PROVE-SOURCES: lib/tlv.c lib/tlv_check.c lib/details.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-auto-loop-unroll 0 -eva-split-return full
 */
#include "prove.h"

#define MAXLEN 256

static uint8_t bytes[MAXLEN];
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    proxyproto_header hdr;
    proxyproto_ssl ssl;
    proxyproto_details d;

    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        prove_any_bytes(bytes, sizeof bytes);
        prove_any_header(&hdr, path[0], path[1], Frama_C_interval(0, 1) ? PROVE_TAIL(bytes, n) : NULL, n);
        /* The sub-TLVs it finds are walked by proxyproto_details_get()
         * below; proxyproto_tlv_find() over any area is h_tlv's. */
        (void)proxyproto_ssl_get(&hdr, &ssl);
        (void)proxyproto_client_cert_verified(&hdr);
        (void)proxyproto_details_get(&hdr, &d);
    }
    return 0;
}
