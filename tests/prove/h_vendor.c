/* PROVE-ENTRY: proxyproto_aws_vpce_id, proxyproto_azure_linkid, proxyproto_gcp_psc_id
 * PROVE-BOUND: any header, tlvs_len 0..256 (each), every byte unknown
 * PROVE-SOURCES: lib/vendor.c lib/tlv.c lib/tlv_check.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-auto-loop-unroll 0 -eva-split-return full
 */
#include "prove.h"

#define MAXLEN 256

static uint8_t bytes[MAXLEN];
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    proxyproto_header hdr;
    const char *id;
    size_t id_len;
    uint32_t linkid;
    uint64_t psc;

    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        prove_any_bytes(bytes, sizeof bytes);
        prove_any_header(&hdr, path[0], path[1], Frama_C_interval(0, 1) ? PROVE_TAIL(bytes, n) : NULL, n);
        (void)proxyproto_aws_vpce_id(&hdr, &id, &id_len);
        (void)proxyproto_azure_linkid(&hdr, &linkid);
        (void)proxyproto_gcp_psc_id(&hdr, &psc);
    }
    return 0;
}
