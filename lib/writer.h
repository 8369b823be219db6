/* Private declarations shared by the writing side of lib/ (format_ip.c,
 * write.c, write_v1.c, write_v2.c, builder.c). Not installed. */
#ifndef PROXYPROTO_WRITER_H
#define PROXYPROTO_WRITER_H

#include "internal.h"

#include <stddef.h>
#include <stdint.h>

/* Longest v1 line we can produce: "PROXY TCP6 " + 2 * 39 (the longest
 * RFC 5952 text) + 2 ports of 5 digits + 3 spaces + CRLF = 104, within the
 * 107 bytes of proxyproto(7) section 2. Buffers are sized with the spec's
 * limit. */
#define PROXYPROTO__V1_BUF PROXYPROTO_V1_MAX_LEN

/* Writes the text of a PROXYPROTO_AF_INET (4 bytes) or PROXYPROTO_AF_INET6
 * (16 bytes) address at p, without a NUL, and returns the end. The caller
 * guarantees room for PROXYPROTO_IP_STRLEN - 1 bytes: up to 2 bytes past
 * the returned end may be scribbled on (octets are copied 3 bytes at a
 * time). family must be one of the two. */
PROXYPROTO__PRIVATE char *proxyproto__put_ip(char *p, int family, const uint8_t *ip);

/* Copies the staged text[0..n) and a NUL into out[0..cap), or nothing
 * when it does not fit: returns n or PROXYPROTO_ERR_BUFFER_TOO_SMALL. */
PROXYPROTO__PRIVATE int proxyproto__emit_text(char *out, size_t cap, const char *text,
                                          size_t n);

/* Writes a decimal number (0-65535) at p, no leading zeros; returns the
 * end. Room for 5 bytes is the caller's business. */
PROXYPROTO__PRIVATE char *proxyproto__put_u16(char *p, unsigned v);

/* v1 line for hdr (hdr->version is not looked at) into buf[0..cap), or
 * only its length when buf is NULL. Returns the length or an error; writes
 * nothing on error. */
PROXYPROTO__PRIVATE int proxyproto__write_v1(char *buf, size_t cap, const proxyproto_header *hdr);

/* Size of the v2 header hdr describes (hdr->version is not looked at) when
 * `extra` bytes of TLVs follow hdr->tlvs: 16 + address block + tlvs_len +
 * extra, or PROXYPROTO_ERR_INVALID_ARGUMENT / _HEADER_TOO_LONG. */
PROXYPROTO__PRIVATE int proxyproto__v2_size(const proxyproto_header *hdr, size_t extra);

/* Writes the first part of a v2 header of `total` bytes (a value
 * proxyproto__v2_size() returned for hdr): the fixed 16 bytes, the address
 * block when hdr->has_addresses, then hdr->tlvs. Returns the offset of
 * hdr->tlvs (they end hdr->tlvs_len bytes later, where any further TLVs
 * go). */
PROXYPROTO__PRIVATE size_t proxyproto__v2_put_head(uint8_t *out, const proxyproto_header *hdr,
                               size_t total);

/* Number of well-formed (length 4) top-level CRC32C TLVs in area[0..len). */
PROXYPROTO__PRIVATE unsigned proxyproto__v2_count_crcs(const uint8_t *area, size_t len);

/* Stores `crc` big-endian in the value of every well-formed (length 4)
 * top-level CRC32C TLV of base[at..end) (at <= end); the walk stops at the
 * first TLV that does not fit. Returns how many it found. */
PROXYPROTO__PRIVATE unsigned proxyproto__v2_set_crcs(uint8_t *base, size_t at, size_t end,
                                                     uint32_t crc);

#endif /* PROXYPROTO_WRITER_H */
