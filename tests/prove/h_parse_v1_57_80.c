/* PROVE-ENTRY: proxyproto_parse (v1: first byte 'P')
 * PROVE-BOUND: len 57..80 (each), every byte after the 'P' and last_len unknown
 * PROVE-SOURCES: lib/parse.c lib/parse_v1.c lib/parse_v2.c lib/tlv_check.c lib/crc32c.c
 */
/* parse_v1_lengths.c over lengths 57..80: one of the four parts that together
 * cover its 1..128, run side by side by prove.sh (tests/prove/README.md). */
#define PROVE_V1_FROM 57
#define PROVE_V1_TO 80
#include "parse_v1_lengths.c"
