/* PROVE-ENTRY: proxyproto_parse (v1: first byte 'P')
 * PROVE-BOUND: len 105..128 (each), every byte after the 'P' and last_len unknown
 * PROVE-SOURCES: lib/parse.c lib/parse_v1.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c
 */
/* parse_v1_lengths.c over lengths 105..128: one of the four parts that together
 * cover its 1..128, run side by side by prove.sh (tests/prove/README.md). */
#define PROVE_V1_FROM 105
#define PROVE_V1_TO 128
#include "parse_v1_lengths.c"
