/* Version 2 (binary) header parser, proxyproto(7) section 3.
 *
 * Two paths with one answer. This one judges the fixed 16 bytes as far as
 * they are in, in the order of proxyproto(7) section 1 (the first bad byte
 * decides the error), then the body. The fast one (parse_v2_fast.h, inlined
 * into proxyproto_parse()) takes the usual header, PROXY over IPv4 or IPv6,
 * with a handful of compares and fixed-size copies, and hands anything else
 * to this one. Neither walks an empty TLV area. */
#include "internal.h"

#include <string.h>

/* The signature as far as n bytes of it are in. The full compare has a
 * constant length so that it is inlined. */
static int v2_signature_ok(const uint8_t *buf, size_t n)
{
    if (n >= PROXYPROTO__V2_SIG_LEN)
        return proxyproto__same12(buf, PROXYPROTO__V2_SIG);
    return memcmp(buf, PROXYPROTO__V2_SIG, n) == 0;
}

/* Judges the fixed 16 bytes as far as they have arrived (n of them), so a
 * bad byte is reported as soon as it is in (proxyproto(7) section 1). */
static int check_fixed(const uint8_t *buf, size_t n)
{
    unsigned cmd, family;

    if (!v2_signature_ok(buf, n))
        return PROXYPROTO_ERR_NOT_PROXY;
    if (n <= 12)
        return 0;
    if (buf[12] >> 4 != 2)
        return PROXYPROTO_ERR_V2_BAD_VERSION;
    cmd = buf[12] & 0xF;
    if (cmd > PROXYPROTO_CMD_PROXY)
        return PROXYPROTO_ERR_V2_BAD_COMMAND;
    /* LOCAL takes any family and transport, and any len. */
    if (n <= 13 || cmd == PROXYPROTO_CMD_LOCAL)
        return 0;
    family = buf[13] >> 4;
    if (family > PROXYPROTO_AF_UNIX)
        return PROXYPROTO_ERR_V2_BAD_FAMILY;
    if ((buf[13] & 0xF) > PROXYPROTO_TRANSPORT_DGRAM)
        return PROXYPROTO_ERR_V2_BAD_TRANSPORT;
    if (n >= 16 && proxyproto__get16(buf + 14) < proxyproto__v2_block_len(family))
        return PROXYPROTO_ERR_V2_ADDRESS_TRUNCATED;
    return 0;
}

/* Fewest total bytes a header starting with these n < 16 bytes can have:
 * a PROXY header needs at least its family's address block. */
static size_t shortest_total(const uint8_t *buf, size_t n)
{
    if (n > 13 && (buf[12] & 0xF) == PROXYPROTO_CMD_PROXY)
        return PROXYPROTO_V2_FIXED_LEN + proxyproto__v2_block_len(buf[13] >> 4u);
    return PROXYPROTO_V2_FIXED_LEN;
}

static void read_unix_path(proxyproto_addr *a, const uint8_t *raw)
{
    const uint8_t *nul = memchr(raw, 0, PROXYPROTO_UNIX_PATH_MAX);

    a->path = raw;
    a->path_len = nul ? (size_t)(nul - raw) : PROXYPROTO_UNIX_PATH_MAX;
    a->port = 0;
}

/* Reads the address block of a known family into hdr. */
static void read_addresses(proxyproto_header *hdr, const uint8_t *b)
{
    hdr->src.path = hdr->dst.path = NULL;
    hdr->src.path_len = hdr->dst.path_len = 0;
    switch (hdr->family) {
    case PROXYPROTO_AF_INET:
        proxyproto__v2_inet_block(hdr, b, 4);
        break;
    case PROXYPROTO_AF_INET6:
        proxyproto__v2_inet_block(hdr, b, 16);
        break;
    default: /* PROXYPROTO_AF_UNIX */
        read_unix_path(&hdr->src, b);
        read_unix_path(&hdr->dst, b + PROXYPROTO_UNIX_PATH_MAX);
        break;
    }
}

/* The TLV area buf[off..total) of a complete header of `total` bytes,
 * not empty; returns total or an error. Out of line: the paths for
 * headers without TLVs then need no stack frame. */
PROXYPROTO__PRIVATE int proxyproto__v2_read_tlvs(proxyproto_header *hdr,
                                                 const uint8_t *buf, size_t total,
                                                 size_t off)
{
    int err = proxyproto__v2_check_tlvs(buf, total, off,
                                        hdr->command == PROXYPROTO_CMD_LOCAL);
    int ignore = err == PROXYPROTO__TLVS_IGNORED;

    if (err < 0)
        return err;
    hdr->tlvs = ignore ? NULL : buf + off;
    hdr->tlvs_len = ignore ? 0 : total - off;
    return (int)total;
}

/* Address block and TLV area of a complete header of `total` bytes;
 * returns total or an error. */
static int read_body(proxyproto_header *hdr, const uint8_t *buf, size_t total)
{
    size_t block;

    /* Frama-C (make prove): one state per family, so that the block size
     * and the addresses read stay tied to it. */
    /*@ split hdr->family; */
    block = proxyproto__v2_block_len(hdr->family);
    /* LOCAL with an unknown family, or a len short of the block: the whole
     * len is skipped and there are no TLVs (proxyproto(7) section 3). */
    if (total - PROXYPROTO_V2_FIXED_LEN < block ||
        hdr->family > PROXYPROTO_AF_UNIX) {
        hdr->has_addresses = 0;
        hdr->tlvs = NULL;
        hdr->tlvs_len = 0;
        return (int)total;
    }
    hdr->has_addresses = block != 0;
    if (block != 0)
        read_addresses(hdr, buf + PROXYPROTO_V2_FIXED_LEN);
    if (total > PROXYPROTO_V2_FIXED_LEN + block)
        return proxyproto__v2_read_tlvs(hdr, buf, total, PROXYPROTO_V2_FIXED_LEN + block);
    hdr->tlvs = buf + total; /* an empty area, valid */
    hdr->tlvs_len = 0;
    return (int)total;
}

/* Any header, in any state: the fixed bytes judged as far as they are in,
 * then the body once it is complete. */
PROXYPROTO__PRIVATE int proxyproto__parse_v2(proxyproto_header *hdr, const uint8_t *buf,
                                             size_t len)
{
    size_t total;
    int err;

    if (len < PROXYPROTO_V2_FIXED_LEN) {
        err = check_fixed(buf, len);
        if (err != 0)
            return err;
        hdr->need = shortest_total(buf, len) - len;
        return PROXYPROTO_INCOMPLETE;
    }
    err = check_fixed(buf, PROXYPROTO_V2_FIXED_LEN);
    if (err != 0)
        return err;
    total = PROXYPROTO_V2_FIXED_LEN + proxyproto__get16(buf + 14);
    if (len < total) {
        hdr->need = total - len;
        return PROXYPROTO_INCOMPLETE;
    }
    hdr->version = 2;
    hdr->command = buf[12] & 0xF;
    hdr->family = buf[13] >> 4;
    hdr->transport = buf[13] & 0xF;
    hdr->header_len = total;
    hdr->need = 0;
    return read_body(hdr, buf, total);
}
