/* PROVE-ENTRY: proxyproto_parse (v2, the longest header)
 * PROVE-BOUND: len 65551, every byte (so every v2 length field 0..65535) and last_len unknown
 * PROVE-SOURCES: lib/parse.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c tests/prove/stub_parse_v1.c
 */
#include "prove.h"

static uint8_t bytes[PROXYPROTO_V2_MAX_LEN];

int main(void)
{
    proxyproto_header hdr;

    prove_any_bytes(bytes, sizeof bytes);
    (void)proxyproto_parse(&hdr, bytes, sizeof bytes, Frama_C_size_t_interval(0, SIZE_MAX));
    return 0;
}
