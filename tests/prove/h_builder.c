/* PROVE-ENTRY: proxyproto_builder_init, _add, _add_ssl, _add_ssl_sub, _add_aws_vpce_id, _add_azure_linkid, _add_gcp_psc_id, _add_padding, _add_crc32c, _size, _finish
 * PROVE-BOUND: any header (tlvs_len 0..256), up to 40 add calls of any kind in any order with any type, value bytes, length 0..65536 and align, then finish with cap 0..64 (each) and into a buffer of 65551 bytes (any header)
 * PROVE-SOURCES: lib/builder.c lib/write_v2.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-slevel-function main:0,put_entries:0,put_bytes:0,put_step:0,put_inline:0,put_zeros:0,seal:0,proxyproto_crc32c:0,proxyproto__crc32c_sw:0,crc32c_sw_span:0,proxyproto__v2_set_crcs:0,next_crc:0 -eva-split-return-function push:full,add_entry:full,proxyproto_builder_add:full,proxyproto_builder_add_ssl:full,proxyproto_builder_add_ssl_sub:full,proxyproto_builder_add_aws_vpce_id:full,proxyproto_builder_add_azure_linkid:full,proxyproto_builder_add_gcp_psc_id:full,proxyproto_builder_add_padding:full,proxyproto_builder_add_crc32c:full,proxyproto__v2_size:full,v2_size_of:full,v2_size_with_tlvs:full,put_block:full,layout:full
 */
#include "prove.h"

#define CALLS 40
#define MAXLEN 256
#define VALUE_MAX 65536
#ifndef CAP_EACH
#define CAP_EACH 64
#endif

static uint8_t tlvs[MAXLEN];
static uint8_t value[VALUE_MAX];
#ifndef H_BUILDER_NO_BUFFER
static uint8_t out[65551]; /* the largest v2 header */
#endif
static uint8_t path[2][PROXYPROTO_UNIX_PATH_MAX];

int main(void)
{
    proxyproto_header hdr;
    proxyproto_builder b;
#ifndef H_BUILDER_NO_BUFFER
    size_t cap;
#endif
    int calls = Frama_C_interval(0, CALLS);
    int with_tlvs = Frama_C_interval(0, 1);

    /* Kept apart to the end: a NULL tlvs with tlvs_len != 0 is refused, a
     * pair of fields main's merged states would not keep together. */
    /*@ split with_tlvs; */
    prove_any_bytes(path, sizeof path);
    prove_any_bytes(tlvs, sizeof tlvs);
    prove_any_bytes(value, sizeof value);
    prove_any_header(&hdr, path[0], path[1], with_tlvs ? tlvs : NULL,
                     Frama_C_size_t_interval(0, MAXLEN));
    proxyproto_builder_init(&b, &hdr);
    /* One state per entry count: each add comes back with its states
     * apart (-eva-split-return-function), and they are split on count_
     * right after the call, before main merges them. So the entries below
     * count_ are seen set (a state of count_ k + 1 joined with one of k
     * holds entries_[k] maybe unset). */
    for (int i = 0; i < calls; i++) {
        uint8_t type = (uint8_t)Frama_C_interval(0, 255);
        size_t len = Frama_C_size_t_interval(0, VALUE_MAX);
        uint32_t u32 = (uint32_t)Frama_C_unsigned_int_interval(0, UINT_MAX);

        switch (Frama_C_interval(0, 7)) {
        case 0:
            (void)proxyproto_builder_add(&b, type, value, len);
            /*@ split b.count_; */
            break;
        case 1:
            (void)proxyproto_builder_add_ssl(&b, type, u32);
            /*@ split b.count_; */
            break;
        case 2:
            (void)proxyproto_builder_add_ssl_sub(&b, type, value, len);
            /*@ split b.count_; */
            break;
        case 3:
            (void)proxyproto_builder_add_aws_vpce_id(&b, (const char *)value, len);
            /*@ split b.count_; */
            break;
        case 4:
            (void)proxyproto_builder_add_azure_linkid(&b, u32);
            /*@ split b.count_; */
            break;
        case 5:
            (void)proxyproto_builder_add_gcp_psc_id(&b, (uint64_t)u32 << 32 |
                                                        Frama_C_unsigned_int_interval(0, UINT_MAX));
            /*@ split b.count_; */
            break;
        case 6:
            (void)proxyproto_builder_add_padding(&b, u32);
            /*@ split b.count_; */
            break;
        default:
            (void)proxyproto_builder_add_crc32c(&b);
            /*@ split b.count_; */
            break;
        }
    }
    (void)proxyproto_builder_size(&b);
#ifndef H_BUILDER_NO_BUFFER
    /* Writes: exactly cap bytes of room, for every cap up to CAP_EACH
     * (each analysed as one value: Eva cannot relate an unknown cap to
     * where PROVE_TAIL puts the buffer), then a buffer that holds any
     * header (65551 bytes at most). */
    /*@ loop unroll CAP_EACH + 1; */
    for (cap = 0; cap <= CAP_EACH; cap++)
        (void)proxyproto_builder_finish(&b, PROVE_TAIL(out, cap), cap);
    (void)proxyproto_builder_finish(&b, out, sizeof out);
    (void)proxyproto_builder_finish(&b, NULL, 0);
#endif
    return 0;
}
