/* Common ground of the Frama-C Eva harnesses (tests/prove/README.md).
 * Each harness is a main() that calls one public entry point on inputs
 * the analyser takes as "any value": every byte of every input buffer,
 * and every length, for each length up to its bound. */
#ifndef PROVE_H
#define PROVE_H

#include "__fc_builtin.h"
#include "internal.h"
#include "proxyproto.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Every byte of p[0..n) unknown. */
static inline void prove_any_bytes(void *p, size_t n)
{
    Frama_C_make_unknown((char *)p, n);
}

/* Exactly n readable bytes: the last n of the array, so that a read at or
 * past p + n falls off the array and is an alarm. Each caller unrolls a
 * loop over n, so that n (and p) is one value in each analysed call. */
#define PROVE_TAIL(arr, n) ((arr) + sizeof(arr) - (n))

/* A header as a caller may hand one over, parsed or made by hand: every
 * field unknown; the pointers aimed at what proxyproto_header's comments
 * promise (a UNIX path at 108 readable bytes, tlvs at tlvs_len readable
 * bytes, or NULL). */
static inline void prove_any_header(proxyproto_header *h, const uint8_t *src_path,
                                    const uint8_t *dst_path,
                                    const uint8_t *tlvs, size_t tlvs_len)
{
    prove_any_bytes(h, sizeof *h);
    h->src.path = Frama_C_interval(0, 1) ? src_path : NULL;
    h->dst.path = Frama_C_interval(0, 1) ? dst_path : NULL;
    h->tlvs = tlvs;
    h->tlvs_len = tlvs_len;
}

#endif
