/*
 * proxyproto.h - HAProxy PROXY protocol (v1 text, v2 binary) for C.
 *
 * A zero-copy, allocation-free, incremental parser and serializer.
 * Behaviour follows SPEC.md of the libproxyproto project (HAProxy's
 * doc/proxy-protocol.txt with every open choice decided).
 *
 * Conventions used throughout:
 *  - Inputs are (const void *buf, size_t len). Nothing is ever read at or
 *    past buf + len, and nothing is consumed past the header.
 *  - Outputs go into caller-owned structs that own nothing: pointers in them
 *    point into the caller's buffer and stay valid as long as that buffer
 *    does, unchanged.
 *  - Functions return >= 0 on success and a negative PROXYPROTO_ERR_* code
 *    (or PROXYPROTO_INCOMPLETE) otherwise. proxyproto_strerror() turns any
 *    code into a message, proxyproto_error_name() into its symbolic name.
 *  - No allocation, no globals, no locale, no I/O: every function is
 *    reentrant and thread-safe.
 */
#ifndef PROXYPROTO_H
#define PROXYPROTO_H

#include <stddef.h>
#include <stdint.h>

/* Version of this header. The Makefile reads these three lines. */
#define PROXYPROTO_VERSION_MAJOR 0
#define PROXYPROTO_VERSION_MINOR 1
#define PROXYPROTO_VERSION_PATCH 0
#define PROXYPROTO_VERSION_STRING "0.1.0"

/*
 * PROXYPROTO_API marks every public function.
 *  - PROXYPROTO_STATIC: define it to make every function static (for a
 *    vendored copy compiled into one translation unit); with GCC and Clang
 *    they are also marked unused, so functions the program does not call
 *    draw no warning.
 *  - PROXYPROTO_BUILDING: defined by our Makefile while building the library;
 *    the library is built with -fvisibility=hidden so only these functions
 *    are exported from the shared object.
 */
#if defined(PROXYPROTO_STATIC) && defined(__GNUC__)
#define PROXYPROTO_API static __attribute__((unused))
#elif defined(PROXYPROTO_STATIC)
#define PROXYPROTO_API static
#elif defined(_WIN32) && defined(PROXYPROTO_BUILDING)
#define PROXYPROTO_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define PROXYPROTO_API __attribute__((visibility("default")))
#else
#define PROXYPROTO_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct sockaddr_storage;

/* ------------------------------------------------------------------------
 * Limits and wire constants (SPEC.md sections 2-4)
 * ------------------------------------------------------------------------ */

#define PROXYPROTO_V1_MAX_LEN 107        /* whole v1 line, CRLF included */
#define PROXYPROTO_V2_FIXED_LEN 16       /* signature + ver/cmd + fam + len */
#define PROXYPROTO_V2_MAX_LEN 65551      /* 16 + 65535 */
#define PROXYPROTO_UNIX_PATH_MAX 108     /* bytes per UNIX address */
#define PROXYPROTO_UNIQUE_ID_MAX 128     /* PP2_TYPE_UNIQUE_ID value */

/* Command (v2 low nibble of byte 12). v1 headers are always PROXY. */
#define PROXYPROTO_CMD_LOCAL 0x0
#define PROXYPROTO_CMD_PROXY 0x1

/* Address family (v2 high nibble of byte 13). */
#define PROXYPROTO_AF_UNSPEC 0x0
#define PROXYPROTO_AF_INET 0x1
#define PROXYPROTO_AF_INET6 0x2
#define PROXYPROTO_AF_UNIX 0x3

/* Transport (v2 low nibble of byte 13). */
#define PROXYPROTO_TRANSPORT_UNSPEC 0x0
#define PROXYPROTO_TRANSPORT_STREAM 0x1
#define PROXYPROTO_TRANSPORT_DGRAM 0x2

/* TLV types (SPEC.md section 4). */
#define PROXYPROTO_TLV_ALPN 0x01        /* PP2_TYPE_ALPN */
#define PROXYPROTO_TLV_AUTHORITY 0x02   /* PP2_TYPE_AUTHORITY */
#define PROXYPROTO_TLV_CRC32C 0x03      /* PP2_TYPE_CRC32C */
#define PROXYPROTO_TLV_NOOP 0x04        /* PP2_TYPE_NOOP */
#define PROXYPROTO_TLV_UNIQUE_ID 0x05   /* PP2_TYPE_UNIQUE_ID */
#define PROXYPROTO_TLV_SSL 0x20         /* PP2_TYPE_SSL */
#define PROXYPROTO_TLV_NETNS 0x30       /* PP2_TYPE_NETNS */
#define PROXYPROTO_TLV_GCP 0xE0         /* Google Cloud PSC connection id */
#define PROXYPROTO_TLV_AWS 0xEA         /* AWS VPC endpoint id */
#define PROXYPROTO_TLV_AZURE 0xEE       /* Azure Private Link LINKID */

/* SSL sub-TLV types, found only inside a PROXYPROTO_TLV_SSL value. */
#define PROXYPROTO_SSL_VERSION 0x21     /* PP2_SUBTYPE_SSL_VERSION */
#define PROXYPROTO_SSL_CN 0x22          /* PP2_SUBTYPE_SSL_CN */
#define PROXYPROTO_SSL_CIPHER 0x23      /* PP2_SUBTYPE_SSL_CIPHER */
#define PROXYPROTO_SSL_SIG_ALG 0x24     /* PP2_SUBTYPE_SSL_SIG_ALG */
#define PROXYPROTO_SSL_KEY_ALG 0x25     /* PP2_SUBTYPE_SSL_KEY_ALG */
#define PROXYPROTO_SSL_GROUP 0x26       /* PP2_SUBTYPE_SSL_GROUP */
#define PROXYPROTO_SSL_SIG_SCHEME 0x27  /* PP2_SUBTYPE_SSL_SIG_SCHEME */
#define PROXYPROTO_SSL_CLIENT_CERT 0x28 /* PP2_SUBTYPE_SSL_CLIENT_CERT */

/* Bits of the SSL TLV's client field. */
#define PROXYPROTO_SSL_CLIENT_SSL 0x01       /* PP2_CLIENT_SSL */
#define PROXYPROTO_SSL_CLIENT_CERT_CONN 0x02 /* PP2_CLIENT_CERT_CONN */
#define PROXYPROTO_SSL_CLIENT_CERT_SESS 0x04 /* PP2_CLIENT_CERT_SESS */

/* Vendor sub-types (first value byte of the AWS and Azure TLVs). */
#define PROXYPROTO_AWS_VPCE_ID 0x01
#define PROXYPROTO_AZURE_LINKID 0x01

/* ------------------------------------------------------------------------
 * Result codes
 *
 * One append-only list: a code, once released, keeps its number and name.
 * X(name, value, message) expands to PROXYPROTO_<name> = value.
 * ------------------------------------------------------------------------ */

#define PROXYPROTO_RESULT_LIST(X) \
    X(OK, 0, "success") \
    X(INCOMPLETE, -1, "incomplete: more bytes are needed") \
    X(ERR_NOT_PROXY, -2, "not a PROXY protocol header (neither the v1 \"PROXY \" prefix nor the v2 signature)") \
    X(ERR_V1_TOO_LONG, -3, "v1: no CRLF within the first 107 bytes") \
    X(ERR_V1_BAD_CHAR, -4, "v1: byte outside printable ASCII (0x20-0x7E) before the CRLF") \
    X(ERR_V1_LONE_LF, -5, "v1: line feed without a carriage return before it") \
    X(ERR_V1_CR_WITHOUT_LF, -6, "v1: carriage return not followed by a line feed") \
    X(ERR_V1_BAD_PROTOCOL, -7, "v1: protocol must be TCP4, TCP6 or UNKNOWN, in capitals, followed by one space") \
    X(ERR_V1_BAD_SEPARATOR, -8, "v1: fields must be separated by exactly one space") \
    X(ERR_V1_MISSING_FIELD, -9, "v1: line ends before the destination port") \
    X(ERR_V1_TRAILING_DATA, -10, "v1: unexpected data after the destination port") \
    X(ERR_V1_BAD_IPV4, -11, "v1: malformed IPv4 address (expected four decimal octets separated by dots)") \
    X(ERR_V1_IPV4_LEADING_ZERO, -12, "v1: IPv4 octet has a leading zero") \
    X(ERR_V1_IPV4_OCTET_RANGE, -13, "v1: IPv4 octet is greater than 255") \
    X(ERR_V1_BAD_IPV6, -14, "v1: malformed IPv6 address") \
    X(ERR_V1_FAMILY_MISMATCH, -15, "v1: address does not match the protocol (TCP4 takes IPv4, TCP6 takes IPv6)") \
    X(ERR_V1_BAD_PORT, -16, "v1: port must be decimal digits") \
    X(ERR_V1_PORT_LEADING_ZERO, -17, "v1: port has a leading zero") \
    X(ERR_V1_PORT_RANGE, -18, "v1: port is greater than 65535") \
    X(ERR_V2_BAD_VERSION, -19, "v2: unsupported version (high nibble of byte 12 must be 2)") \
    X(ERR_V2_BAD_COMMAND, -20, "v2: command must be LOCAL (0) or PROXY (1)") \
    X(ERR_V2_BAD_FAMILY, -21, "v2: address family must be UNSPEC, INET, INET6 or UNIX (0-3)") \
    X(ERR_V2_BAD_TRANSPORT, -22, "v2: transport must be UNSPEC, STREAM or DGRAM (0-2)") \
    X(ERR_V2_ADDRESS_TRUNCATED, -23, "v2: length is smaller than the address block of the family") \
    X(ERR_V2_TLV_TRUNCATED, -24, "v2: 1 or 2 stray bytes after the last TLV (a TLV header takes 3)") \
    X(ERR_V2_TLV_OVERRUN, -25, "v2: TLV value runs past the end of the header") \
    X(ERR_V2_CRC32C_LENGTH, -26, "v2: CRC32C TLV length is not 4") \
    X(ERR_V2_CRC32C_MISMATCH, -27, "v2: CRC32C checksum does not match the header") \
    X(ERR_V2_UNIQUE_ID_TOO_LONG, -28, "v2: UNIQUE_ID TLV is longer than 128 bytes") \
    X(ERR_V2_SSL_TOO_SHORT, -29, "v2: SSL TLV is shorter than 5 bytes (client byte and verify word)") \
    X(ERR_V2_SSL_SUB_TRUNCATED, -30, "v2: 1 or 2 stray bytes after the last SSL sub-TLV (a sub-TLV header takes 3)") \
    X(ERR_V2_SSL_SUB_OVERRUN, -31, "v2: SSL sub-TLV value runs past the end of the SSL TLV") \
    X(ERR_TLV_NOT_FOUND, -32, "no TLV of that type in the header") \
    X(ERR_AWS_BAD_TLV, -33, "AWS TLV (0xEA): expected sub-type 0x01 then a printable ASCII VPC endpoint id") \
    X(ERR_AZURE_BAD_TLV, -34, "Azure TLV (0xEE): expected 5 bytes, sub-type 0x01 then a 4-byte LINKID") \
    X(ERR_GCP_BAD_TLV, -35, "GCP TLV (0xE0): expected exactly 8 bytes (the PSC connection id)") \
    X(ERR_NO_ADDRESS, -36, "the header carries no address (LOCAL, UNKNOWN or UNSPEC family)") \
    X(ERR_BUFFER_TOO_SMALL, -37, "output buffer is too small") \
    X(ERR_INVALID_ARGUMENT, -38, "invalid argument (NULL pointer or a value out of range)") \
    X(ERR_V1_CANNOT_ENCODE, -39, "v1 carries only TCP over IPv4 or IPv6 (TCP4, TCP6) or UNKNOWN") \
    X(ERR_HEADER_TOO_LONG, -40, "v2 header would be longer than 65551 bytes") \
    X(ERR_TLV_TOO_LONG, -41, "TLV value is longer than 65535 bytes") \
    X(ERR_BUILDER_FULL, -42, "builder already holds PROXYPROTO_BUILDER_MAX TLVs") \
    X(ERR_SSL_SUB_OUTSIDE_SSL, -43, "SSL sub-TLV added when the last TLV added is not an SSL TLV") \
    X(ERR_UNSUPPORTED_SOCKADDR, -44, "socket address family is not AF_INET, AF_INET6 or AF_UNIX") \
    X(ERR_UNIX_PATH_TOO_LONG, -45, "UNIX socket path is longer than 108 bytes") \
    X(ERR_FAMILY_MIXED, -46, "source and destination sockets have different families (one UNIX)") \
    X(ERR_CRC32C_TWICE, -47, "a written header may carry only one CRC32C TLV (each would depend on the other)") \
    X(ERR_TIMEOUT, -48, "timed out waiting for the PROXY header") \
    X(ERR_CLOSED, -49, "peer closed the connection before the PROXY header was complete") \
    X(ERR_INTERRUPTED, -50, "interrupted by a signal (EINTR) before the header was complete; call again to resume") \
    X(ERR_WOULD_BLOCK, -51, "no more bytes available yet (EAGAIN); call again when the socket is readable") \
    X(ERR_SYSTEM, -52, "a system call failed; errno tells why") \
    X(ERR_UNTRUSTED, -53, "connection from a peer that is not a trusted load balancer") \
    X(ERR_BAD_CIDR, -54, "malformed trusted address (expected e.g. 10.0.0.0/8, 2001:db8::/32, 127.0.0.1 or ::1)") \
    X(ERR_HEADER_TOO_BIG, -55, "the PROXY header does not fit in the reader's buffer") \
    X(ERR_DATAGRAM_TRUNCATED, -56, "the datagram ends inside its PROXY header")

enum proxyproto_result {
#define PROXYPROTO_ENUM_ENTRY_(name, value, message) PROXYPROTO_##name = value,
    PROXYPROTO_RESULT_LIST(PROXYPROTO_ENUM_ENTRY_)
#undef PROXYPROTO_ENUM_ENTRY_
    PROXYPROTO_RESULT_LAST_ = -56 /* the most negative code; grows with the list */
};

/* Message for a result code: never NULL, "unknown result code" for values
 * not in the list. */
PROXYPROTO_API const char *proxyproto_strerror(int code);

/* Symbolic name of a result code, e.g. "PROXYPROTO_ERR_V1_BAD_IPV4"; never
 * NULL, "PROXYPROTO_UNKNOWN" for values not in the list. */
PROXYPROTO_API const char *proxyproto_error_name(int code);

/* Library version as "MAJOR.MINOR.PATCH" (may differ from the header's
 * PROXYPROTO_VERSION_STRING when linked against another build). */
PROXYPROTO_API const char *proxyproto_version(void);

/* ------------------------------------------------------------------------
 * Parsed header
 * ------------------------------------------------------------------------ */

/* One end of the connection. */
typedef struct proxyproto_addr {
    union {
        uint8_t v4[4];   /* AF_INET: network byte order */
        uint8_t v6[16];  /* AF_INET6: network byte order */
    } ip;
    /* AF_UNIX: the 108 raw bytes in the caller's buffer (an abstract socket
     * name starts with a NUL); path_len counts the bytes before the first
     * NUL, or 108. NULL and 0 for other families. */
    const uint8_t *path;
    size_t path_len;
    uint16_t port; /* host byte order; 0 for AF_UNIX */
} proxyproto_addr;

typedef struct proxyproto_header {
    uint8_t version;   /* 1 or 2 */
    uint8_t command;   /* PROXYPROTO_CMD_*; v1 is always PROXY */
    /* PROXYPROTO_AF_*. v1 TCP4/TCP6: INET/INET6; v1 UNKNOWN: UNSPEC.
     * v2 LOCAL may carry any nibble 0-15 (it is accepted as given). */
    uint8_t family;
    uint8_t transport; /* PROXYPROTO_TRANSPORT_*; v1 TCP: STREAM; 0-15 */
    /* 1 when src and dst hold addresses: v1 TCP4/TCP6, and v2 with family
     * INET, INET6 or UNIX whose length covers the address block (LOCAL
     * included: its block is parsed, though SPEC.md says to use the real
     * socket addresses; see proxyproto_use_header_addresses()). */
    uint8_t has_addresses;
    proxyproto_addr src;
    proxyproto_addr dst;
    /* Bytes taken by the header: the payload starts at buf + header_len. */
    size_t header_len;
    /* v2 TLV area (after the address block, up to header_len), validated by
     * the parse. Empty (NULL, 0) for v1, and for a LOCAL header whose TLV
     * area SPEC.md says to ignore. */
    const uint8_t *tlvs;
    size_t tlvs_len;
    /* After PROXYPROTO_INCOMPLETE: the fewest further bytes that could
     * complete the header (>= 1). Exact for v2 once 16 bytes are in (the
     * header is then 16 + len bytes), so a reader can read() exactly that
     * much without consuming payload. For v1 a lower bound: the line ends
     * at a CRLF that has not arrived yet. */
    size_t need;
} proxyproto_header;

/*
 * Parses the PROXY header (v1 or v2) at the start of buf[0..len).
 *
 * hdr       receives the result; must not be NULL. On success every field is
 *           set; on PROXYPROTO_INCOMPLETE only hdr->need is; on error hdr's
 *           contents are unspecified.
 * buf, len  the bytes received so far. buf may be NULL when len is 0.
 *           The input is binary: never treat it as a C string.
 * last_len  0, or the len of an earlier call on the same buffer that
 *           returned PROXYPROTO_INCOMPLETE (the buffer has since only grown
 *           at its end). It lets the parser skip bytes it already checked,
 *           so feeding a header one byte at a time costs O(header length)
 *           in total. Passing 0 is always correct.
 *
 * Returns the header length (> 0; the payload starts at buf + return value;
 * nothing past the header is read or validated), or
 *   PROXYPROTO_INCOMPLETE    everything so far is a prefix of a v1 or v2
 *                            header; call again with more bytes.
 *   PROXYPROTO_ERR_NOT_PROXY a byte rules out both the v1 and v2 forms.
 *   PROXYPROTO_ERR_V1_* / PROXYPROTO_ERR_V2_*  the header is invalid; each
 *                            code names the rule that was broken.
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  hdr is NULL, or buf is NULL with len > 0.
 *
 * Any split of the input into successive calls gives the result of the
 * whole input. Fixed-position bytes (v1 "PROXY " and the protocol word; the
 * v2 signature, version, command, family, transport and length) are judged
 * as soon as they arrive; the rest of a v1 line once its CRLF is in, and a
 * v2 header's address block and TLVs (TLV framing, CRC32C, UNIQUE_ID length,
 * SSL sub-TLVs) once all 16 + len bytes are in. A header that parsed is
 * therefore safe to iterate.
 */
PROXYPROTO_API int proxyproto_parse(proxyproto_header *hdr, const void *buf,
                                    size_t len, size_t last_len);

/*
 * SPEC.md section 3: should the application take the client and server
 * addresses from this header (1) or from the socket, getpeername() and
 * getsockname() (0)? 1 exactly for a PROXY command with family INET, INET6
 * or UNIX and transport STREAM or DGRAM (v1 TCP4/TCP6 included); 0 for
 * LOCAL, v1 UNKNOWN, UNSPEC family or transport. hdr must not be NULL.
 */
PROXYPROTO_API int proxyproto_use_header_addresses(const proxyproto_header *hdr);

/* Which end proxyproto_sockaddr() fills. */
#define PROXYPROTO_SOURCE 0
#define PROXYPROTO_DESTINATION 1

/*
 * Fills *out with the source (which = PROXYPROTO_SOURCE) or destination
 * (PROXYPROTO_DESTINATION) address of hdr as a struct sockaddr_in,
 * sockaddr_in6 or sockaddr_un (the UNIX path's raw bytes are copied; an
 * abstract name keeps all 108 bytes).
 *
 * Returns the length of the socket address (for bind/connect/sendto), or
 *   PROXYPROTO_ERR_NO_ADDRESS        hdr->has_addresses is 0.
 *   PROXYPROTO_ERR_UNIX_PATH_TOO_LONG  a hand-made UNIX path_len over 108.
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  NULL pointer or bad `which`.
 * It does not look at proxyproto_use_header_addresses(): call that first.
 */
PROXYPROTO_API int proxyproto_sockaddr(const proxyproto_header *hdr, int which,
                                       struct sockaddr_storage *out);

/* Longest text proxyproto_format_ip() writes, NUL included (as INET6_ADDRSTRLEN). */
#define PROXYPROTO_IP_STRLEN 46

/*
 * Formats a binary address as text into out[0..cap), NUL-terminated:
 * family PROXYPROTO_AF_INET: dotted quad from ip[0..4); PROXYPROTO_AF_INET6:
 * RFC 5952 from ip[0..16) (lower case, longest run of two or more zero
 * groups as "::", first run on a tie, IPv4-mapped ::ffff:0:0/96 with a
 * dotted tail). Returns the text length (without the NUL), or
 * PROXYPROTO_ERR_BUFFER_TOO_SMALL or PROXYPROTO_ERR_INVALID_ARGUMENT.
 */
PROXYPROTO_API int proxyproto_format_ip(char *out, size_t cap, int family,
                                        const uint8_t *ip);

/* ------------------------------------------------------------------------
 * TLVs
 * ------------------------------------------------------------------------ */

typedef struct proxyproto_tlv {
    uint8_t type;
    uint16_t len;
    const uint8_t *value; /* points into the parsed buffer */
} proxyproto_tlv;

/* Pull iterator over a TLV area. Fields are private. */
typedef struct proxyproto_tlv_iter {
    const uint8_t *next_;
    const uint8_t *end_;
} proxyproto_tlv_iter;

/*
 * Starts iterating the TLVs in area[0..len): hdr->tlvs and hdr->tlvs_len,
 * or an SSL TLV's sub-TLVs (proxyproto_ssl.subtlvs). The iterator is safe on
 * any bytes: it stops at the first TLV that does not fit.
 */
PROXYPROTO_API void proxyproto_tlv_iter_init(proxyproto_tlv_iter *it,
                                             const void *area, size_t len);

/* Stores the next TLV in *tlv and returns 1, or returns 0 at the end. */
PROXYPROTO_API int proxyproto_tlv_next(proxyproto_tlv_iter *it,
                                       proxyproto_tlv *tlv);

/*
 * Finds the first TLV of `type` in area[0..len). Returns 0 and fills *tlv,
 * or PROXYPROTO_ERR_TLV_NOT_FOUND.
 */
PROXYPROTO_API int proxyproto_tlv_find(const void *area, size_t len,
                                       uint8_t type, proxyproto_tlv *tlv);

/* The SSL TLV (PP2_TYPE_SSL), decoded. */
typedef struct proxyproto_ssl {
    uint8_t client;          /* PROXYPROTO_SSL_CLIENT_* bits */
    uint32_t verify;         /* 0 = client certificate verified */
    const uint8_t *subtlvs;  /* sub-TLV area: iterate with proxyproto_tlv_* */
    size_t subtlvs_len;
} proxyproto_ssl;

/*
 * Decodes the first SSL TLV of the header. Returns 0, or
 * PROXYPROTO_ERR_TLV_NOT_FOUND, or PROXYPROTO_ERR_V2_SSL_* when hdr was not
 * filled by a successful parse and the TLV is malformed.
 */
PROXYPROTO_API int proxyproto_ssl_get(const proxyproto_header *hdr,
                                      proxyproto_ssl *ssl);

/*
 * Vendor TLVs (SPEC.md section 4). Each looks at the first TLV of its type
 * and validates its layout. They return 0, PROXYPROTO_ERR_TLV_NOT_FOUND, or
 * the vendor's PROXYPROTO_ERR_*_BAD_TLV. The header itself is never rejected
 * for a custom TLV.
 */

/* AWS (0xEA, sub-type 0x01): the VPC endpoint id, e.g.
 * "vpce-0123456789abcdef0", as a span into the buffer (not NUL-terminated):
 * *id and *id_len. */
PROXYPROTO_API int proxyproto_aws_vpce_id(const proxyproto_header *hdr,
                                          const char **id, size_t *id_len);

/* Azure (0xEE, sub-type 0x01): the Private Link LINKID (little-endian on
 * the wire). */
PROXYPROTO_API int proxyproto_azure_linkid(const proxyproto_header *hdr,
                                           uint32_t *linkid);

/* Google Cloud (0xE0): the PSC connection id (big-endian on the wire). */
PROXYPROTO_API int proxyproto_gcp_psc_id(const proxyproto_header *hdr,
                                         uint64_t *psc_id);

/* ------------------------------------------------------------------------
 * CRC32C (Castagnoli), as the CRC32C TLV uses it
 * ------------------------------------------------------------------------ */

/*
 * Extends a CRC-32C over buf[0..len). Start with crc = 0; the result of one
 * call feeds the next (init and final xor are applied inside), so
 * proxyproto_crc32c(0, "123456789", 9) == 0xE3069283. Uses SSE4.2 (x86-64)
 * or the ARMv8 CRC instructions when the CPU has them, checked at run time.
 */
PROXYPROTO_API uint32_t proxyproto_crc32c(uint32_t crc, const void *buf,
                                          size_t len);

/* ------------------------------------------------------------------------
 * Writing headers
 * ------------------------------------------------------------------------ */

/*
 * Fills *hdr from the two socket addresses a proxy holds after accept():
 * the client (getpeername) as src and the local end (getsockname) as dst.
 *
 * version    1 or 2.
 * transport  PROXYPROTO_TRANSPORT_STREAM or _DGRAM (v1: STREAM only).
 * The command is PROXY. SPEC.md section 6: v1 writes TCP4 when both ends
 * are IPv4, TCP6 when both are IPv6, else UNKNOWN. v2 with one IPv4 and one
 * IPv6 end maps the IPv4 one to ::ffff:a.b.c.d (as HAProxy does); a UNIX
 * end with an IP end gives PROXYPROTO_ERR_FAMILY_MIXED. A UNIX path points
 * into *src / *dst, which must outlive hdr. TLVs: none.
 *
 * Returns 0, PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR, PROXYPROTO_ERR_FAMILY_MIXED
 * or PROXYPROTO_ERR_INVALID_ARGUMENT.
 */
PROXYPROTO_API int proxyproto_header_from_sockaddrs(proxyproto_header *hdr,
                                                    int version, int transport,
                                                    const struct sockaddr *src,
                                                    const struct sockaddr *dst);

/*
 * Writes hdr as a v1 line or a v2 header (hdr->version) into buf[0..cap).
 *
 * v1: family INET or INET6 with has_addresses writes TCP4 / TCP6 (transport
 *     must be STREAM or UNSPEC); family UNSPEC writes "PROXY UNKNOWN\r\n".
 *     Anything else -- another family, a LOCAL command with an address, a
 *     command above 1, or TLVs (v1 has none) -- is
 *     PROXYPROTO_ERR_V1_CANNOT_ENCODE.
 * v2: command, family and transport as given (each 0-15); the address block
 *     when has_addresses; then hdr->tlvs verbatim, with the value of every
 *     well-formed CRC32C TLV in it recomputed over the finished header
 *     (at most one: PROXYPROTO_ERR_CRC32C_TWICE otherwise, since a
 *     receiver checks each one with only its own value zeroed).
 *     Parsing a canonical header and writing it gives back its bytes.
 *
 * Returns the number of bytes written, or
 *   PROXYPROTO_ERR_BUFFER_TOO_SMALL  cap is too small (nothing is written;
 *                                    proxyproto_write_size() tells the size).
 *   PROXYPROTO_ERR_V1_CANNOT_ENCODE, PROXYPROTO_ERR_HEADER_TOO_LONG,
 *   PROXYPROTO_ERR_INVALID_ARGUMENT.
 * Never writes past buf + cap, and writes nothing on error.
 */
PROXYPROTO_API int proxyproto_write(void *buf, size_t cap,
                                    const proxyproto_header *hdr);

/* Exact size proxyproto_write() needs for hdr, or a negative error code. */
PROXYPROTO_API int proxyproto_write_size(const proxyproto_header *hdr);

/* ------------------------------------------------------------------------
 * v2 header builder: the header's fields plus TLVs added one by one.
 *
 *   proxyproto_builder b;
 *   proxyproto_builder_init(&b, &hdr);
 *   proxyproto_builder_add_crc32c(&b);
 *   proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2);
 *   proxyproto_builder_add_ssl(&b, PROXYPROTO_SSL_CLIENT_SSL, 0);
 *   proxyproto_builder_add_ssl_sub(&b, PROXYPROTO_SSL_VERSION, "TLSv1.3", 7);
 *   n = proxyproto_builder_finish(&b, buf, sizeof buf);
 *
 * The builder records what to write (values stay in the caller's memory,
 * which must outlive the builder) and writes everything in one go in
 * proxyproto_builder_finish(), so a failure writes nothing. The first error
 * of an add call is kept and returned by every later call and by finish.
 * ------------------------------------------------------------------------ */

#define PROXYPROTO_BUILDER_MAX 32 /* TLVs and SSL sub-TLVs per builder */

typedef struct proxyproto_builder_entry_ {
    const uint8_t *value_;   /* caller's bytes, after inline_ */
    uint16_t value_len_;
    uint8_t type_;
    uint8_t kind_;           /* private: plain, SSL, SSL sub, pad, CRC */
    uint8_t inline_len_;
    uint8_t inline_[8];      /* small values the builder owns */
} proxyproto_builder_entry_;

/* All fields are private. */
typedef struct proxyproto_builder {
    const proxyproto_header *hdr_;
    int error_;
    unsigned count_;
    proxyproto_builder_entry_ entries_[PROXYPROTO_BUILDER_MAX];
} proxyproto_builder;

/* Starts a v2 header with hdr's command, family, transport, addresses and
 * TLV area (hdr->version is not looked at). hdr must outlive the builder. */
PROXYPROTO_API void proxyproto_builder_init(proxyproto_builder *b,
                                            const proxyproto_header *hdr);

/* Adds a TLV of any type. Returns 0 or the builder's error
 * (PROXYPROTO_ERR_TLV_TOO_LONG, PROXYPROTO_ERR_BUILDER_FULL, ...). */
PROXYPROTO_API int proxyproto_builder_add(proxyproto_builder *b, uint8_t type,
                                          const void *value, size_t len);

/* Adds an SSL TLV; sub-TLVs added right after it with
 * proxyproto_builder_add_ssl_sub() go inside it. */
PROXYPROTO_API int proxyproto_builder_add_ssl(proxyproto_builder *b,
                                              uint8_t client, uint32_t verify);

/* Adds a sub-TLV to the SSL TLV added last; PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL
 * when the entry added last is neither that SSL TLV nor one of its subs. */
PROXYPROTO_API int proxyproto_builder_add_ssl_sub(proxyproto_builder *b,
                                                  uint8_t type,
                                                  const void *value, size_t len);

/* Vendor TLVs (SPEC.md section 4): AWS 0xEA sub-type 0x01 + id; Azure 0xEE
 * sub-type 0x01 + LINKID little-endian; GCP 0xE0 id big-endian. */
PROXYPROTO_API int proxyproto_builder_add_aws_vpce_id(proxyproto_builder *b,
                                                      const char *id,
                                                      size_t id_len);
PROXYPROTO_API int proxyproto_builder_add_azure_linkid(proxyproto_builder *b,
                                                       uint32_t linkid);
PROXYPROTO_API int proxyproto_builder_add_gcp_psc_id(proxyproto_builder *b,
                                                     uint64_t psc_id);

/* Adds a NOOP TLV, sized at finish so that the whole header length is a
 * multiple of `align` (1-256; a NOOP TLV takes at least 3 bytes, so the
 * padding may be up to align + 2 bytes). */
PROXYPROTO_API int proxyproto_builder_add_padding(proxyproto_builder *b,
                                                  unsigned align);

/* Adds a CRC32C TLV here; its value is computed last, over the finished
 * header, and written big-endian. A header carries at most one CRC32C TLV
 * (counting those of hdr->tlvs): PROXYPROTO_ERR_CRC32C_TWICE otherwise. */
PROXYPROTO_API int proxyproto_builder_add_crc32c(proxyproto_builder *b);

/* Exact size of the finished header, or the builder's error. */
PROXYPROTO_API int proxyproto_builder_size(const proxyproto_builder *b);

/*
 * Writes the header into buf[0..cap). Returns its length, the builder's
 * error, PROXYPROTO_ERR_HEADER_TOO_LONG, or PROXYPROTO_ERR_BUFFER_TOO_SMALL
 * (then proxyproto_builder_size() tells what is needed). Writes nothing on
 * error. May be called again (for another buffer).
 */
PROXYPROTO_API int proxyproto_builder_finish(const proxyproto_builder *b,
                                             void *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Receiving on a socket (SPEC.md section 5). POSIX sockets.
 *
 * Order for a server: accept(); proxyproto_policy_check() on the peer;
 * read the header (proxyproto_read_header() blocking with a timeout, or
 * proxyproto_reader_step() / proxyproto_reader_feed() from an event loop);
 * proxyproto_resolve() for the addresses the application should use.
 * ------------------------------------------------------------------------ */

/* A trusted load balancer address or network. */
typedef struct proxyproto_cidr {
    uint8_t family;     /* PROXYPROTO_AF_INET or PROXYPROTO_AF_INET6 */
    uint8_t prefix_len; /* 0-32 or 0-128 */
    uint8_t addr[16];   /* network order; IPv4 in the first 4 bytes */
} proxyproto_cidr;

/*
 * Parses "10.0.0.0/8", "2001:db8::/32", or a single address ("127.0.0.1",
 * "::1", a /32 or /128) from a NUL-terminated string. Host bits beyond the
 * prefix must be zero. Returns 0 or PROXYPROTO_ERR_BAD_CIDR (*out is then
 * unchanged), or PROXYPROTO_ERR_INVALID_ARGUMENT when out or text is NULL.
 */
PROXYPROTO_API int proxyproto_cidr_parse(proxyproto_cidr *out, const char *text);

/* 1 when the socket address (AF_INET or AF_INET6; an IPv4-mapped IPv6
 * peer ::ffff:a.b.c.d matches IPv4 entries) lies in the network, else 0. */
PROXYPROTO_API int proxyproto_cidr_match(const proxyproto_cidr *cidr,
                                         const struct sockaddr *addr);

/* Pass untrusted peers through without a header. SECURITY: only for
 * listeners that also take direct connections on purpose; the application
 * must then use the real socket addresses (proxyproto_resolve() with a NULL
 * header does). Off by default: a header is required. */
#define PROXYPROTO_POLICY_ALLOW_UNTRUSTED 0x1

typedef struct proxyproto_policy {
    const proxyproto_cidr *trusted; /* the load balancers; caller-owned */
    size_t n_trusted;
    unsigned flags;                 /* PROXYPROTO_POLICY_* */
} proxyproto_policy;

#define PROXYPROTO_EXPECT_HEADER 1 /* read the header, then resolve */
#define PROXYPROTO_NO_HEADER 0     /* untrusted, passed through: no header */

/*
 * What to do with a connection from `peer` (getpeername() of the accepted
 * socket). Returns PROXYPROTO_EXPECT_HEADER for a trusted peer,
 * PROXYPROTO_NO_HEADER for an untrusted one under
 * PROXYPROTO_POLICY_ALLOW_UNTRUSTED, else PROXYPROTO_ERR_UNTRUSTED (close
 * it). AF_UNIX peers are trusted (the file system guards the socket).
 * PROXYPROTO_ERR_INVALID_ARGUMENT: policy or peer is NULL, or trusted is
 * NULL with n_trusted > 0.
 */
PROXYPROTO_API int proxyproto_policy_check(const proxyproto_policy *policy,
                                           const struct sockaddr *peer);

/* State of one connection's header read. Fields are private. */
typedef struct proxyproto_reader {
    uint8_t *buf_;    /* caller's buffer for the header bytes */
    size_t cap_;
    size_t len_;      /* header bytes read so far */
    size_t last_len_; /* len of the last incomplete parse */
} proxyproto_reader;

/*
 * Starts a header read. buf receives the header's bytes (hdr's pointers
 * point into it); cap of PROXYPROTO_V1_MAX_LEN is enough for v1,
 * PROXYPROTO_V2_MAX_LEN for any header; a longer header gives
 * PROXYPROTO_ERR_HEADER_TOO_BIG. The socket functions use buf; the feed
 * function uses the caller's buffer and only the bookkeeping (buf may then
 * be NULL, cap 0).
 */
PROXYPROTO_API void proxyproto_reader_init(proxyproto_reader *r, void *buf,
                                           size_t cap);

/*
 * Non-blocking step on a (usually O_NONBLOCK) stream socket: reads what has
 * arrived, but never a byte past the header (it peeks with MSG_PEEK, then
 * reads exactly the header's part), so the payload stays in the socket for
 * the application. Returns the header length (hdr is filled), or
 *   PROXYPROTO_ERR_WOULD_BLOCK   nothing more yet: wait until readable.
 *   PROXYPROTO_ERR_INTERRUPTED   EINTR: call again.
 *   PROXYPROTO_ERR_CLOSED        the peer closed before the header ended.
 *   PROXYPROTO_ERR_SYSTEM        another errno (ECONNRESET ...).
 *   PROXYPROTO_ERR_HEADER_TOO_BIG, or a parse error of proxyproto_parse()
 *   (the bytes that showed it are left in the socket).
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  r or hdr is NULL.
 * Bytes read so far are kept in the reader across calls. Once the header
 * length was returned, further calls return it again and read nothing.
 */
PROXYPROTO_API int proxyproto_reader_step(proxyproto_reader *r, int fd,
                                          proxyproto_header *hdr);

/*
 * Blocking form: proxyproto_reader_step() until the header is complete,
 * waiting with poll() at most timeout_ms milliseconds in all (SPEC.md 5:
 * servers must bound it; < 0 waits forever). Works on blocking and
 * non-blocking sockets. Reads nothing past the header. Returns the header
 * length, PROXYPROTO_ERR_TIMEOUT, or the step's errors (after
 * PROXYPROTO_ERR_INTERRUPTED the state is kept: call again to resume;
 * the new call waits up to its own timeout_ms).
 */
PROXYPROTO_API int proxyproto_read_header(proxyproto_reader *r, int fd,
                                          int timeout_ms,
                                          proxyproto_header *hdr);

/*
 * For event loops that read into their own buffer: buf[0..len) holds every
 * byte received on the connection so far (the previous call's bytes plus
 * new ones). Returns the header length (the payload starts at buf + it),
 * PROXYPROTO_INCOMPLETE (read more; reading at most hdr->need bytes never
 * takes payload), or a parse error. O(header) over all calls. After a
 * header or an error the reader starts over. PROXYPROTO_ERR_INVALID_ARGUMENT
 * when r or hdr is NULL.
 */
PROXYPROTO_API int proxyproto_reader_feed(proxyproto_reader *r, const void *buf,
                                          size_t len, proxyproto_header *hdr);

/*
 * The addresses the application should use for connection fd (SPEC.md 3):
 * the header's when hdr is not NULL and proxyproto_use_header_addresses(),
 * else getpeername() / getsockname() (LOCAL, v1 UNKNOWN, UNSPEC, or no
 * header at all: hdr NULL). client and server may be NULL. Returns 0 or
 * PROXYPROTO_ERR_SYSTEM.
 */
PROXYPROTO_API int proxyproto_resolve(int fd, const proxyproto_header *hdr,
                                      struct sockaddr_storage *client,
                                      struct sockaddr_storage *server);

/*
 * proxyproto_resolve() with the peer address the caller already holds:
 * the one accept() or recvfrom() returned (peer, copied into *client when
 * the socket's addresses are to be used). Needed when getpeername() cannot
 * answer: a health check that resets the connection right after its LOCAL
 * header (HAProxy's do) leaves it failing with ENOTCONN, and an unconnected
 * UDP socket has no peer. peer NULL: same as proxyproto_resolve().
 */
PROXYPROTO_API int proxyproto_resolve_peer(int fd,
                                           const struct sockaddr_storage *peer,
                                           const proxyproto_header *hdr,
                                           struct sockaddr_storage *client,
                                           struct sockaddr_storage *server);

/*
 * UDP (SPEC.md 5): each datagram carries its own header, whole. Returns the
 * payload offset (the header length), PROXYPROTO_ERR_DATAGRAM_TRUNCATED when
 * the datagram ends inside a header, or a parse error.
 */
PROXYPROTO_API int proxyproto_parse_datagram(proxyproto_header *hdr,
                                             const void *dgram, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PROXYPROTO_H */
