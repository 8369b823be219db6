/* PROVE-ENTRY: proxyproto_tlv_iter_init, proxyproto_tlv_next, proxyproto_tlv_find
 * PROVE-BOUND: area len 0..256 (each), every byte and the type unknown; a NULL area
 * PROVE-SOURCES: lib/tlv.c lib/tlv_check.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-split-return full
 */
#include "prove.h"

#define MAXLEN 256

static uint8_t bytes[MAXLEN];

int main(void)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;

    /*@ loop unroll MAXLEN + 1; */
    for (size_t n = 0; n <= MAXLEN; n++) {
        const uint8_t *area = PROVE_TAIL(bytes, n);

        prove_any_bytes(bytes, sizeof bytes);
        proxyproto_tlv_iter_init(&it, area, n);
        while (proxyproto_tlv_next(&it, &t))
            continue;
        (void)proxyproto_tlv_next(&it, &t); /* again, at the end */
        (void)proxyproto_tlv_find(area, n, (uint8_t)Frama_C_interval(0, 255), &t);
    }
    proxyproto_tlv_iter_init(&it, NULL, Frama_C_size_t_interval(0, SIZE_MAX));
    (void)proxyproto_tlv_next(&it, &t);
    (void)proxyproto_tlv_find(NULL, Frama_C_size_t_interval(0, SIZE_MAX), 0, &t);
    return 0;
}
