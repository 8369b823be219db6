/* The usual v2 header, PROXY over IPv4 or IPv6 (proxyproto(7) section 3),
 * read with a handful of compares and fixed-size copies; inlined into
 * proxyproto_parse() so that such a header costs one call. Anything else
 * (LOCAL, UNIX, UNSPEC, an error, fewer than 16 bytes) goes to
 * proxyproto__parse_v2() (parse_v2.c), which gives the same answer for
 * these headers too. */
#ifndef PROXYPROTO_PARSE_V2_FAST_H
#define PROXYPROTO_PARSE_V2_FAST_H

#include "internal.h"

#include <stddef.h>
#include <string.h>

/* The signature and byte 12 of a PROXY command (version 2, command 1). */
static const uint8_t proxyproto__v2_sig_proxy[13] = {'\r', '\n', '\r', '\n', 0,   '\r', '\n',
                                                     'Q',  'U',  'I',  'T',  '\n', 0x21};

/* Does buf[0..13) start a version 2 PROXY-command header? Two overlapping
 * 8-byte compares (bytes 0-7 and 5-12): the caller has 16 bytes. */
PROXYPROTO__INLINE int proxyproto__v2_fast_sig(const uint8_t *buf)
{
    return proxyproto__same8(buf, proxyproto__v2_sig_proxy) &&
           proxyproto__same8(buf + 5, proxyproto__v2_sig_proxy + 5);
}

/* By byte 13 (family and transport), for the headers the fast path takes
 * (INET and INET6 with transport UNSPEC, STREAM or DGRAM):
 * - head: hdr's first 8 bytes (version, command, family, transport,
 *   has_addresses, padding), so that one copy stores five fields;
 * - block: the address block's size, the least length field; 65536, more
 *   than any, for the rest, so that one compare also turns those away.
 * One object, so that both are reached from one address. */
#define FAST_HEAD(fam, tr) {2, PROXYPROTO_CMD_PROXY, fam, tr, 1, 0, 0, 0}
#define FAST_MIN_ROW(block) block, block, block, 65536, 65536, 65536, 65536, \
    65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536
#define FAST_MIN_NONE FAST_MIN_ROW(65536)
static const struct {
    uint8_t head[256][8];
    uint32_t block[256];
} proxyproto__v2_fast = {
    {[0x10] = FAST_HEAD(1, 0), [0x11] = FAST_HEAD(1, 1), [0x12] = FAST_HEAD(1, 2),
     [0x20] = FAST_HEAD(2, 0), [0x21] = FAST_HEAD(2, 1), [0x22] = FAST_HEAD(2, 2)},
    {FAST_MIN_NONE, FAST_MIN_ROW(12), FAST_MIN_ROW(36), FAST_MIN_NONE, FAST_MIN_NONE,
     FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE,
     FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE, FAST_MIN_NONE,
     FAST_MIN_NONE},
};
#undef FAST_HEAD
#undef FAST_MIN_ROW
#undef FAST_MIN_NONE

/* The copy above relies on this layout (C99 has no static_assert). */
typedef char proxyproto__v2_fast_layout_ok
    [(offsetof(proxyproto_header, version) == 0 &&
      offsetof(proxyproto_header, command) == 1 &&
      offsetof(proxyproto_header, family) == 2 &&
      offsetof(proxyproto_header, transport) == 3 &&
      offsetof(proxyproto_header, has_addresses) == 4 &&
      offsetof(proxyproto_header, src) >= 8) ? 1 : -1];

/* The rest of a fast-path header: the fields every family shares. */
PROXYPROTO__INLINE int proxyproto__v2_fast_finish(proxyproto_header *hdr,
                                                  const uint8_t *buf,
                                                  size_t total, size_t block)
{
    size_t tlvs = PROXYPROTO_V2_FIXED_LEN + block;

    hdr->header_len = total;
    hdr->need = 0;
    hdr->src.path = hdr->dst.path = NULL;
    hdr->src.path_len = hdr->dst.path_len = 0;
    if (total > tlvs)
        return proxyproto__v2_read_tlvs(hdr, buf, total, tlvs);
    hdr->tlvs = buf + tlvs;
    hdr->tlvs_len = 0;
    return (int)total;
}

/* buf holds at least 16 bytes and starts with proxyproto__v2_fast_sig(). */
PROXYPROTO__INLINE int proxyproto__parse_v2_fast(proxyproto_header *hdr,
                                                 const uint8_t *buf, size_t len)
{
    const uint8_t *b = buf + PROXYPROTO_V2_FIXED_LEN;
    size_t fam_tr = buf[13];
    size_t addr_len = proxyproto__get16(buf + 14);
    size_t total = PROXYPROTO_V2_FIXED_LEN + addr_len;
    size_t block = proxyproto__v2_fast.block[fam_tr];

    /*@ split block; */ /* Frama-C: the addresses read stay tied to it */
    /* Any other family or transport, or too short for the address block. */
    if (addr_len < block)
        return proxyproto__parse_v2(hdr, buf, len);
    if (len < total) { /* the fixed part is right: only bytes are missing */
        hdr->need = total - len;
        return PROXYPROTO_INCOMPLETE;
    }
    memcpy(hdr, proxyproto__v2_fast.head[fam_tr], 8);
    if (block == 12) { /* INET */
        proxyproto__v2_inet_block(hdr, b, 4);
        return proxyproto__v2_fast_finish(hdr, buf, total, 12);
    }
    /* INET6 */
    proxyproto__v2_inet_block(hdr, b, 16);
    return proxyproto__v2_fast_finish(hdr, buf, total, 36);
}

#endif /* PROXYPROTO_PARSE_V2_FAST_H */
