/* The usual v2 header, PROXY over IPv4 or IPv6 (proxyproto(7) section 3),
 * read with a handful of compares and fixed-size copies; inlined into
 * proxyproto_parse() so that such a header costs one call. Anything else
 * (LOCAL, UNIX, UNSPEC, an error, fewer than 16 bytes) goes to
 * proxyproto__parse_v2() (parse_v2.c), which gives the same answer for
 * these headers too. */
#ifndef PROXYPROTO_PARSE_V2_FAST_H
#define PROXYPROTO_PARSE_V2_FAST_H

#include "internal.h"

#include <string.h>

/* Address block sizes of the headers the fast path takes, by byte 13:
 * INET and INET6 with transport UNSPEC, STREAM or DGRAM; 0 for the rest. */
#define FAST_ROW(block) block, block, block, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
static const uint8_t proxyproto__v2_fast_block[256] = {FAST_ROW(0), FAST_ROW(12),
                                                       FAST_ROW(36)};
#undef FAST_ROW

static inline int proxyproto__parse_v2_fast(proxyproto_header *hdr,
                                            const uint8_t *buf, size_t len)
{
    const uint8_t *b;
    unsigned fam_tr;
    size_t block, total;

    if (len < PROXYPROTO_V2_FIXED_LEN || !proxyproto__same12(buf, PROXYPROTO__V2_SIG) ||
        buf[12] != (0x20 | PROXYPROTO_CMD_PROXY))
        return proxyproto__parse_v2(hdr, buf, len);
    b = buf + PROXYPROTO_V2_FIXED_LEN; /* only now: buf may hold fewer bytes */
    fam_tr = buf[13];
    block = proxyproto__v2_fast_block[fam_tr];
    /*@ split block; */ /* Frama-C: the addresses read stay tied to it */
    total = PROXYPROTO_V2_FIXED_LEN + proxyproto__get16(buf + 14);
    if (block == 0 || total < PROXYPROTO_V2_FIXED_LEN + block)
        return proxyproto__parse_v2(hdr, buf, len);
    if (len < total) { /* the fixed part is right: only bytes are missing */
        hdr->need = total - len;
        return PROXYPROTO_INCOMPLETE;
    }
    hdr->version = 2;
    hdr->command = PROXYPROTO_CMD_PROXY;
    hdr->family = (uint8_t)(fam_tr >> 4);
    hdr->transport = (uint8_t)(fam_tr & 0xF);
    hdr->has_addresses = 1;
    hdr->header_len = total;
    hdr->need = 0;
    hdr->src.path = hdr->dst.path = NULL;
    hdr->src.path_len = hdr->dst.path_len = 0;
    if (block == 12) {
        memcpy(hdr->src.ip.v4, b, 4);
        memcpy(hdr->dst.ip.v4, b + 4, 4);
        hdr->src.port = proxyproto__get16(b + 8);
        hdr->dst.port = proxyproto__get16(b + 10);
    } else {
        memcpy(hdr->src.ip.v6, b, 16);
        memcpy(hdr->dst.ip.v6, b + 16, 16);
        hdr->src.port = proxyproto__get16(b + 32);
        hdr->dst.port = proxyproto__get16(b + 34);
    }
    if (total > PROXYPROTO_V2_FIXED_LEN + block)
        return proxyproto__v2_read_tlvs(hdr, buf, total, PROXYPROTO_V2_FIXED_LEN + block);
    hdr->tlvs = b + block;
    hdr->tlvs_len = 0;
    return (int)total;
}

#endif /* PROXYPROTO_PARSE_V2_FAST_H */
