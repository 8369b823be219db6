/* Private declarations shared by the files of lib/ (and by the tests,
 * which link the static library). Not installed. */
#ifndef PROXYPROTO_INTERNAL_H
#define PROXYPROTO_INTERNAL_H

#include "proxyproto.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Functions shared between the files of lib/ but not part of the API:
 * hidden from the shared library by -fvisibility=hidden, and static in a
 * PROXYPROTO_STATIC build so two vendored copies can share a program
 * (marked unused there, as PROXYPROTO_API is: some serve only the tests). */
#if defined(PROXYPROTO_STATIC) && defined(__GNUC__)
#define PROXYPROTO__PRIVATE static __attribute__((unused))
#elif defined(PROXYPROTO_STATIC)
#define PROXYPROTO__PRIVATE static
#else
#define PROXYPROTO__PRIVATE
#endif

/* For small helpers on hot paths that -Os would otherwise leave as calls. */
#if defined(__GNUC__)
#define PROXYPROTO__INLINE static inline __attribute__((always_inline))
#else
#define PROXYPROTO__INLINE static inline
#endif

/* The 12-byte v2 signature (proxyproto(7) section 1). It contains a NUL. */
#define PROXYPROTO__V2_SIG "\r\n\r\n\0\r\nQUIT\n"
#define PROXYPROTO__V2_SIG_LEN 12

/* Address block size per v2 family (proxyproto(7) section 3); 0 for UNSPEC and
 * for unknown families. A table: one load on every header. */
static inline size_t proxyproto__v2_block_len(unsigned family)
{
    static const uint8_t len[16] = {0, 12, 36, 216};

    return len[family & 0xF];
}

/* Does a[0..n) hold the same bytes as b[0..n), n 8 or 12? Whole-word
 * loads (in host order on both sides, so equal words are equal bytes):
 * two compares where memcmp() is a call at -Os. */
static inline int proxyproto__same8(const void *a, const void *b)
{
    uint64_t x, y;

    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return x == y;
}

static inline int proxyproto__same12(const void *a, const void *b)
{
    uint32_t x, y;

    memcpy(&x, (const uint8_t *)a + 8, 4);
    memcpy(&y, (const uint8_t *)b + 8, 4);
    return proxyproto__same8(a, b) & (x == y);
}

/* The rest of hdr for a v1 TCP4 / TCP6 line of line_len bytes whose
 * addresses and ports are in it (parse_v1.c, and the SSSE3 TCP4 line of
 * tcp4_ssse3.h). */
static inline int proxyproto__v1_tcp_done(proxyproto_header *hdr, unsigned family,
                                          size_t line_len)
{
    hdr->version = 1;
    hdr->command = PROXYPROTO_CMD_PROXY;
    hdr->family = (uint8_t)family;
    hdr->transport = PROXYPROTO_TRANSPORT_STREAM;
    hdr->has_addresses = 1;
    hdr->src.path = hdr->dst.path = NULL;
    hdr->src.path_len = hdr->dst.path_len = 0;
    hdr->header_len = line_len;
    hdr->tlvs = NULL;
    hdr->tlvs_len = 0;
    hdr->need = 0;
    return (int)line_len;
}

static inline uint16_t proxyproto__get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t proxyproto__get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* A v2 INET (ip_len 4) or INET6 (16) address block at b into hdr's
 * addresses and ports (proxyproto(7) section 3; the ports in one 32-bit
 * load). Shared by parse_v2.c and the fast path, parse_v2_fast.h; called
 * with a constant ip_len, so each copy is a fixed-size move. */
PROXYPROTO__INLINE void proxyproto__v2_inet_block(proxyproto_header *hdr, const uint8_t *b,
                                                  size_t ip_len)
{
    uint32_t ports = proxyproto__get32(b + 2 * ip_len);

    memcpy(hdr->src.ip.v6, b, ip_len); /* v4 is the union's start too */
    memcpy(hdr->dst.ip.v6, b + ip_len, ip_len);
    hdr->src.port = (uint16_t)(ports >> 16);
    hdr->dst.port = (uint16_t)ports;
}

static inline void proxyproto__put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void proxyproto__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The connection layer's version policy (proxyproto(7) section 1: the first
 * byte names the version, 'P' v1, '\r' v2): refuse the n >= 1 bytes of a
 * stream whose parse said rc? At the first byte, whatever follows, so that any
 * split of the stream gives the same verdict. Under HEADER_OPTIONAL a
 * stream starting "POST" or "PRI" must pass as header-less: refuse only
 * what is a header, once "PROXY " or the 12-byte v2 signature is in. */
static inline int proxyproto__version_refused(unsigned flags, const uint8_t *buf,
                                              size_t n, int rc)
{
    unsigned refuse = buf[0] == 'P' ? PROXYPROTO_POLICY_REFUSE_V1
                      : buf[0] == '\r' ? PROXYPROTO_POLICY_REFUSE_V2 : 0;

    if (!(flags & refuse))
        return 0;
    if (!(flags & PROXYPROTO_POLICY_HEADER_OPTIONAL))
        return 1;
    return rc != PROXYPROTO_ERR_NOT_PROXY && n >= (buf[0] == 'P' ? 6u : 12u);
}

/* CRC-32C implementations behind proxyproto_crc32c(); same contract.
 * The hardware one may only be called when proxyproto__crc32c_hw_available()
 * says 1. Tests hold the two equal. */
PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_sw(uint32_t crc, const void *buf, size_t len);
PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_hw(uint32_t crc, const void *buf, size_t len);
PROXYPROTO__PRIVATE int proxyproto__crc32c_hw_available(void);

/* CRC-32C of a finished v2 header of `len` bytes whose CRC32C TLV value
 * (4 bytes) starts at offset `value_off`: computed as if those 4 bytes were
 * zero, without writing to the header. */
PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_header(const uint8_t *hdr, size_t len,
                                   size_t value_off);

/* v1 and v2 parsers behind proxyproto_parse(); called once the first byte
 * has chosen the form. Same contract as proxyproto_parse(). */
PROXYPROTO__PRIVATE int proxyproto__parse_v1(proxyproto_header *hdr, const uint8_t *buf,
                         size_t len, size_t last_len);
PROXYPROTO__PRIVATE int proxyproto__parse_v2(proxyproto_header *hdr, const uint8_t *buf,
                         size_t len);
/* The TLV area buf[off..total) of a complete v2 header of `total` bytes,
 * not empty, into hdr->tlvs; returns total or an error. */
PROXYPROTO__PRIVATE int proxyproto__v2_read_tlvs(proxyproto_header *hdr, const uint8_t *buf,
                                                 size_t total, size_t off);

/* v1 address text (proxyproto(7) section 2). Each parses from p up to the
 * first byte that cannot continue the address (or end) and returns the cursor
 * after the address, or NULL with *err set to a PROXYPROTO_ERR_V1_* code. */
PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv4(const uint8_t *p, const uint8_t *end,
                                      uint8_t out[4], int *err);
PROXYPROTO__PRIVATE const uint8_t *proxyproto__parse_ipv6(const uint8_t *p, const uint8_t *end,
                                      uint8_t out[16], int *err);

/* The first TLV of `type` in area[off..len) (a NULL area holds none), with
 * the framing of proxyproto_tlv_next(): its value is area[*at..*end).
 * Returns 0 or PROXYPROTO_ERR_TLV_NOT_FOUND. proxyproto_tlv_find() and the
 * getters use it: offsets from one base are what Frama-C Eva (make prove)
 * can bound, where a pointer and a length apart cannot be related. */
PROXYPROTO__PRIVATE int proxyproto__tlv_find_at(const uint8_t *area, size_t off, size_t len,
                                                uint8_t type, size_t *at, size_t *end);

/* proxyproto_ssl_get(), which also gives the sub-TLVs as
 * hdr->tlvs[*sub..*end). */
PROXYPROTO__PRIVATE int proxyproto__ssl_get_at(const proxyproto_header *hdr,
                                               proxyproto_ssl *ssl, size_t *sub,
                                               size_t *end);

/* Validates an SSL TLV's value h[at..end), at <= end (proxyproto(7)
 * section 4): at least 5 bytes, then sub-TLVs that tile the rest. Returns
 * 0 or PROXYPROTO_ERR_V2_SSL_*. */
PROXYPROTO__PRIVATE int proxyproto__v2_check_ssl(const uint8_t *h, size_t at, size_t end);

/* Validates a v2 TLV area (proxyproto(7) section 4) of the header
 * hdr[0..hdr_len) whose TLVs are at hdr[off..hdr_len). Returns 0 or the first
 * error. For LOCAL headers pass local = 1: only a wrong CRC32C is then an
 * error, and PROXYPROTO__TLVS_IGNORED says the area is malformed and must
 * be ignored. */
#define PROXYPROTO__TLVS_IGNORED 1
PROXYPROTO__PRIVATE int proxyproto__v2_check_tlvs(const uint8_t *hdr, size_t hdr_len, size_t off,
                              int local);

#endif /* PROXYPROTO_INTERNAL_H */
