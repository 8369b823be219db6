/* The v2 binary header (proxyproto(7) section 3): the fixed 16 bytes, the
 * address block, the TLV area; and the CRC32C TLVs (sections 4 and 6). Shared
 * by proxyproto_write() and the builder, so both write the same bytes. */
#include "writer.h"

#include <string.h>

static int is_ip_or_unix(unsigned family)
{
    return family == PROXYPROTO_AF_INET || family == PROXYPROTO_AF_INET6 ||
           family == PROXYPROTO_AF_UNIX;
}

/* A hint that keeps a slow path out of the fast one (GCC and Clang). */
#if defined(__GNUC__)
#define W2_NOINLINE __attribute__((noinline))
#else
#define W2_NOINLINE
#endif

/* The header must mean what it says once parsed (proxyproto(7) section 3):
 *  - each of command, family, transport is one nibble on the wire;
 *  - a PROXY header of family INET/INET6/UNIX needs its address block (a
 *    receiver rejects a len shorter than the block);
 *  - with such a family and no block, any TLV would be read as the block
 *    (a LOCAL receiver skips the block when len covers it), so only an
 *    empty area (len 0) may follow.
 * v2_size_of() is the last of these checks and the size; the first ones
 * are in proxyproto__v2_size(). */
static int v2_size_of(const proxyproto_header *hdr, size_t extra)
{
    size_t block, len;

    if (is_ip_or_unix(hdr->family) && !hdr->has_addresses &&
        (hdr->command == PROXYPROTO_CMD_PROXY || hdr->tlvs_len != 0 ||
         extra != 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* has_addresses with UNSPEC or an unknown family: no block to write. */
    block = hdr->has_addresses ? proxyproto__v2_block_len(hdr->family) : 0;
    /* Checked one by one first so that the sum cannot wrap. */
    if (hdr->tlvs_len > 65535 || extra > 65535)
        return PROXYPROTO_ERR_HEADER_TOO_LONG;
    len = block + hdr->tlvs_len + extra;
    if (len > PROXYPROTO_V2_MAX_LEN - PROXYPROTO_V2_FIXED_LEN)
        return PROXYPROTO_ERR_HEADER_TOO_LONG;
    return (int)(PROXYPROTO_V2_FIXED_LEN + len);
}

/* A receiver checks each CRC32C with only its own value zeroed: two would
 * each depend on the other (proxyproto(7) section 4). Counting them takes a
 * call, kept out of line so that a header without TLVs, the usual one,
 * needs no stack frame. */
W2_NOINLINE static int v2_size_with_tlvs(const proxyproto_header *hdr,
                                         size_t extra)
{
    if (proxyproto__v2_count_crcs(hdr->tlvs, hdr->tlvs_len) > 1)
        return PROXYPROTO_ERR_CRC32C_TWICE;
    return v2_size_of(hdr, extra);
}

PROXYPROTO__PRIVATE int proxyproto__v2_size(const proxyproto_header *hdr, size_t extra)
{
    if (hdr->command > 15 || hdr->family > 15 || hdr->transport > 15)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (hdr->tlvs == NULL && hdr->tlvs_len != 0)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (hdr->tlvs_len != 0)
        return v2_size_with_tlvs(hdr, extra);
    return v2_size_of(hdr, extra);
}

/* A UNIX address is 108 raw bytes (proxyproto(7) section 3). addr->path points
 * at 108 raw bytes (proxyproto_addr's contract, as a parse or
 * proxyproto_header_from_sockaddrs() leaves it): all of them are copied,
 * so an abstract name (leading NUL, path_len 0) and whatever follows the
 * first NUL survive a parse-write round trip. NULL path: 108 zero bytes. */
static void put_path(uint8_t *p, const proxyproto_addr *addr)
{
    if (addr->path != NULL)
        memcpy(p, addr->path, PROXYPROTO_UNIX_PATH_MAX);
    else
        memset(p, 0, PROXYPROTO_UNIX_PATH_MAX);
}

/* Address block at out + 16: src addr, dst addr, src port, dst port,
 * network order. Returns the offset after it. total (the header's size,
 * which counts the block) is compared with the block's end before it is
 * written: never short, but so the proof (make prove) sees every byte
 * inside total without tying total to the family. */
static size_t put_block(uint8_t *out, const proxyproto_header *hdr,
                        size_t total)
{
    uint8_t *p = out + PROXYPROTO_V2_FIXED_LEN;

    switch (hdr->family) {
    case PROXYPROTO_AF_INET:
        if (total < PROXYPROTO_V2_FIXED_LEN + 12)
            break;
        memcpy(p, hdr->src.ip.v4, 4);
        memcpy(p + 4, hdr->dst.ip.v4, 4);
        proxyproto__put16(p + 8, hdr->src.port);
        proxyproto__put16(p + 10, hdr->dst.port);
        return PROXYPROTO_V2_FIXED_LEN + 12;
    case PROXYPROTO_AF_INET6:
        if (total < PROXYPROTO_V2_FIXED_LEN + 36)
            break;
        memcpy(p, hdr->src.ip.v6, 16);
        memcpy(p + 16, hdr->dst.ip.v6, 16);
        proxyproto__put16(p + 32, hdr->src.port);
        proxyproto__put16(p + 34, hdr->dst.port);
        return PROXYPROTO_V2_FIXED_LEN + 36;
    case PROXYPROTO_AF_UNIX:
        if (total < PROXYPROTO_V2_FIXED_LEN + 2 * PROXYPROTO_UNIX_PATH_MAX)
            break;
        put_path(p, &hdr->src);
        put_path(p + PROXYPROTO_UNIX_PATH_MAX, &hdr->dst);
        return PROXYPROTO_V2_FIXED_LEN + 2 * PROXYPROTO_UNIX_PATH_MAX;
    default:
        break;
    }
    return PROXYPROTO_V2_FIXED_LEN;
}

/* hdr->tlvs verbatim at out + at, when they end within total (they always
 * do: the proof's compare, as in put_block()). Out of line: the memcpy()
 * call needs a stack frame, which headers without TLVs, the usual ones,
 * then do without. */
W2_NOINLINE static void put_tlvs(uint8_t *out, size_t at, size_t total,
                                 const proxyproto_header *hdr)
{
    if (at <= total && hdr->tlvs_len <= total - at)
        memcpy(out + at, hdr->tlvs, hdr->tlvs_len);
}

PROXYPROTO__PRIVATE size_t proxyproto__v2_put_head(uint8_t *out, const proxyproto_header *hdr,
                               size_t total)
{
    size_t at = PROXYPROTO_V2_FIXED_LEN;

    memcpy(out, PROXYPROTO__V2_SIG, PROXYPROTO__V2_SIG_LEN);
    /* Version 2 in the high nibble (proxyproto(7) section 3). */
    out[12] = (uint8_t)(0x20 | hdr->command);
    out[13] = (uint8_t)(hdr->family << 4 | hdr->transport);
    proxyproto__put16(out + 14, (unsigned)(total - PROXYPROTO_V2_FIXED_LEN));
    if (hdr->has_addresses)
        at = put_block(out, hdr, total);
    if (hdr->tlvs_len != 0)
        put_tlvs(out, at, total, hdr);
    return at;
}

/* The offset in base of the value of the next well-formed (length 4)
 * top-level CRC32C TLV of base[at..end), with the framing of
 * proxyproto_tlv_next() (proxyproto(7) section 4): the walk stops at the
 * first TLV that does not fit. Returns 0 when there is none (no value
 * starts at 0). Offsets from one base, each TLV's end compared with end
 * before a byte of it is read (tests/prove/README.md). A loop of its own
 * rather than the public iterator: writers call this for every header,
 * and most have no TLVs at all. */
static size_t next_crc(const uint8_t *base, size_t at, size_t end)
{
    while (at + 3 <= end) {
        size_t len = proxyproto__get16(base + at + 1);

        if (base[at] == PROXYPROTO_TLV_CRC32C && len == 4)
            return at + 7 <= end ? at + 3 : 0;
        if (len > end - at - 3)
            break;
        at += 3 + len;
    }
    return 0;
}

/* A CRC32C TLV whose length is not 4 is left alone. A NULL area holds
 * nothing, whatever len says (as for the iterator). */
PROXYPROTO__PRIVATE unsigned proxyproto__v2_count_crcs(const uint8_t *area, size_t len)
{
    size_t v;
    unsigned n = 0;

    if (area == NULL)
        return 0;
    for (v = next_crc(area, 0, len); v != 0; v = next_crc(area, v + 4, len))
        n++;
    return n;
}

PROXYPROTO__PRIVATE unsigned proxyproto__v2_set_crcs(uint8_t *base, size_t at, size_t end,
                                                     uint32_t crc)
{
    size_t v;
    unsigned n = 0;

    for (v = next_crc(base, at, end); v != 0; v = next_crc(base, v + 4, end)) {
        proxyproto__put32(base + v, crc);
        n++;
    }
    return n;
}
