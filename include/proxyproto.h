/*
 * proxyproto.h - HAProxy PROXY protocol (v1 text, v2 binary) for C.
 *
 * A zero-copy, allocation-free, incremental parser and serializer.
 * Behaviour follows proxyproto(7), the protocol's rules as this library
 * implements them (HAProxy's doc/proxy-protocol.txt with every open choice
 * decided): `man 7 proxyproto`, or tools/man/proxyproto.7 in the sources.
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
#define PROXYPROTO_VERSION_MINOR 4
#define PROXYPROTO_VERSION_PATCH 0
#define PROXYPROTO_VERSION_STRING "0.4.0"

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
 * Limits and wire constants (proxyproto(7) sections 2-4)
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

/* TLV types (proxyproto(7) section 4). */
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
    X(NO_HEADER, 2, "untrusted peer let through without a header (PROXYPROTO_POLICY_ALLOW_UNTRUSTED)") \
    X(EXPECT_HEADER, 1, "trusted peer: a PROXY header is expected") \
    X(OK, 0, "success") \
    X(INCOMPLETE, -1, "incomplete: more bytes are needed") \
    X(ERR_NOT_PROXY, -2, "not a PROXY protocol header (neither the v1 \"PROXY \" prefix nor the v2 signature)") \
    X(ERR_V1_TOO_LONG, -3, "v1: the line cannot end within 107 bytes") \
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
    X(ERR_WOULD_BLOCK, -51, "no more bytes available yet (EAGAIN); not returned since 0.2, which says PROXYPROTO_INCOMPLETE") \
    X(ERR_SYSTEM, -52, "a system call failed; errno tells why") \
    X(ERR_UNTRUSTED, -53, "connection from a peer that is not a trusted load balancer") \
    X(ERR_BAD_CIDR, -54, "malformed trusted address (expected e.g. 10.0.0.0/8, 2001:db8::/32, 127.0.0.1 or ::1)") \
    X(ERR_HEADER_TOO_BIG, -55, "the PROXY header does not fit in the reader's buffer") \
    X(ERR_DATAGRAM_TRUNCATED, -56, "the datagram ends inside its PROXY header") \
    X(ERR_VERSION_REFUSED, -57, "the policy refuses this PROXY protocol version (PROXYPROTO_POLICY_REFUSE_V1 / _V2)")

enum proxyproto_result {
#define PROXYPROTO_ENUM_ENTRY_(name, value, message) PROXYPROTO_##name = value,
    PROXYPROTO_RESULT_LIST(PROXYPROTO_ENUM_ENTRY_)
#undef PROXYPROTO_ENUM_ENTRY_
    PROXYPROTO_RESULT_LAST_ = -57 /* the most negative code; grows with the list */
};

/* Message for a result code: never NULL, "unknown result code" for values
 * not in the list. The two positive codes are the verdicts of
 * proxyproto_policy_check(); every other positive return value of the
 * library is a length, not a code. */
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
     * included: its block is parsed, though proxyproto(7) section 3 says to
     * use the real socket addresses; see
     * proxyproto_use_header_addresses()). */
    uint8_t has_addresses;
    proxyproto_addr src;
    proxyproto_addr dst;
    /* Bytes taken by the header: the payload starts at buf + header_len. */
    size_t header_len;
    /* v2 TLV area (after the address block, up to header_len), validated by
     * the parse. Empty (NULL, 0) for v1, and for a LOCAL header whose TLV
     * area proxyproto(7) section 3 says to ignore. */
    const uint8_t *tlvs;
    size_t tlvs_len;
    /* After PROXYPROTO_INCOMPLETE: the fewest further bytes that could
     * complete the header (>= 1), so a reader can read() that much without
     * consuming payload. Exact for v1, and for v2 once 16 bytes are in (the
     * header is then 16 + len bytes); a lower bound before that. 1 when a
     * v1 line can no longer be valid but the next byte picks the error
     * code (see proxyproto_parse()). */
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
 *           at its end). It lets the parser skip bytes it already checked
 *           (a v1 line is read again from the start of the field the
 *           earlier call stopped in, at most 45 bytes back), so feeding a
 *           header one byte at a time costs O(header length) in total.
 *           Passing 0 is always correct.
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
 * whole input. Every byte of a v1 line, and the fixed-position bytes of v2
 * (signature, version, command, family, transport and length), are judged
 * as soon as they arrive: the first byte that breaks a rule gives that
 * rule's code (proxyproto(7) section 2 names the two v1 codes that wait
 * for the end of a field). A v2 header's address block and TLVs (TLV
 * framing, CRC32C, UNIQUE_ID length, SSL sub-TLVs) are judged once all
 * 16 + len bytes are in. A header that parsed is therefore safe to iterate.
 */
PROXYPROTO_API int proxyproto_parse(proxyproto_header *hdr, const void *buf,
                                    size_t len, size_t last_len);

/*
 * proxyproto(7) section 3: should the application take the client and server
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

/* ------------------------------------------------------------------------
 * Addresses as text, for logs
 * ------------------------------------------------------------------------ */

/* Longest text proxyproto_format_ip4() / _ip6() write, NUL included (as
 * INET6_ADDRSTRLEN). */
#define PROXYPROTO_IP_STRLEN 46

/*
 * Format a binary address as text into out[0..cap), NUL-terminated:
 * proxyproto_format_ip4() a dotted quad from ip[0..4);
 * proxyproto_format_ip6() RFC 5952 from ip[0..16) (lower case, the longest
 * run of two or more zero groups as "::", the first run on a tie,
 * IPv4-mapped ::ffff:0:0/96 with a dotted tail). Two functions, no family
 * argument: nothing to confuse with the socket's AF_INET (0.1's
 * proxyproto_format_ip() took a family, and AF_INET == 2 is
 * PROXYPROTO_AF_INET6). Returns the text length (without the NUL), or
 *   PROXYPROTO_ERR_BUFFER_TOO_SMALL  (out is then left unchanged),
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  out or ip is NULL.
 */
PROXYPROTO_API int proxyproto_format_ip4(char *out, size_t cap,
                                         const uint8_t *ip);
PROXYPROTO_API int proxyproto_format_ip6(char *out, size_t cap,
                                         const uint8_t *ip);

/* Longest text proxyproto_format_sockaddr() / _endpoint() write, NUL
 * included: "unix:" and 108 bytes each escaped as \xNN. */
#define PROXYPROTO_ADDR_STRLEN 440

/*
 * An endpoint as log text into out[0..cap), NUL-terminated:
 *   AF_INET   "203.0.113.7:51234"
 *   AF_INET6  "[2001:db8::7]:51234" (RFC 5952, brackets always)
 *   AF_UNIX   "unix:/run/app.sock", "unix:@name" for a Linux abstract
 *             name (sun_path[0] == 0; its trailing NULs dropped), "unix:"
 *             for an unnamed socket. Bytes outside 0x21-0x7E and the
 *             backslash are written as \xNN, so the text is one printable
 *             word whatever the path holds.
 * PROXYPROTO_ADDR_STRLEN is always enough. Returns the text length, or
 *   PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR  another family (AF_UNSPEC ...),
 *   PROXYPROTO_ERR_BUFFER_TOO_SMALL      (out is then left unchanged),
 *   PROXYPROTO_ERR_INVALID_ARGUMENT      out or sa is NULL.
 * sa must hold a whole sockaddr_in, sockaddr_in6 or sockaddr_un for its
 * family (a struct sockaddr_storage always does).
 */
PROXYPROTO_API int proxyproto_format_sockaddr(char *out, size_t cap,
                                              const struct sockaddr *sa);

/*
 * The source (which = PROXYPROTO_SOURCE) or destination
 * (PROXYPROTO_DESTINATION) of a parsed header, as
 * proxyproto_format_sockaddr() writes it. It does not look at
 * proxyproto_use_header_addresses(). Returns the text length,
 * PROXYPROTO_ERR_NO_ADDRESS (hdr->has_addresses is 0),
 * PROXYPROTO_ERR_BUFFER_TOO_SMALL or PROXYPROTO_ERR_INVALID_ARGUMENT.
 */
PROXYPROTO_API int proxyproto_format_endpoint(char *out, size_t cap,
                                              const proxyproto_header *hdr,
                                              int which);

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
    /* 0 when the client's certificate verified -- but HAProxy also sends 0
     * when the client presented no certificate at all (and in health
     * checks). Never test verify alone: proxyproto_client_cert_verified()
     * also checks that a certificate was presented. */
    uint32_t verify;
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
 * 1 when the client presented a certificate to the load balancer and it
 * verified: an SSL TLV whose client field has PROXYPROTO_SSL_CLIENT_SSL and
 * PROXYPROTO_SSL_CLIENT_CERT_CONN or _CERT_SESS, with verify == 0. 0 in every
 * other case: no SSL TLV (v1, LOCAL, plain TCP), no certificate (HAProxy
 * then sends verify 0 too), a failed verification, a NULL hdr.
 */
PROXYPROTO_API int proxyproto_client_cert_verified(const proxyproto_header *hdr);

/* A span of bytes in the parsed buffer: ptr NULL and len 0 when absent.
 * Not NUL-terminated: print with "%.*s", (int)len, ptr. */
typedef struct proxyproto_text {
    const char *ptr;
    size_t len;
} proxyproto_text;

/* What the load balancer says about the client beyond its address. */
typedef struct proxyproto_details {
    uint8_t tls;            /* 1: the client spoke TLS to the load balancer */
    uint8_t cert_presented; /* 1: it presented a client certificate */
    uint8_t cert_verified;  /* proxyproto_client_cert_verified() */
    uint32_t verify;        /* the SSL TLV's raw verify word (0 if none) */
    proxyproto_text tls_version; /* PROXYPROTO_SSL_VERSION, "TLSv1.3" */
    proxyproto_text cipher;      /* PROXYPROTO_SSL_CIPHER */
    proxyproto_text cn;          /* PROXYPROTO_SSL_CN: client cert's CN */
    proxyproto_text sig_alg;     /* PROXYPROTO_SSL_SIG_ALG */
    proxyproto_text key_alg;     /* PROXYPROTO_SSL_KEY_ALG */
    proxyproto_text sni;         /* PROXYPROTO_TLV_AUTHORITY: SNI / host */
    proxyproto_text alpn;        /* PROXYPROTO_TLV_ALPN: "h2", "http/1.1" */
    proxyproto_text unique_id;   /* PROXYPROTO_TLV_UNIQUE_ID (may be binary) */
} proxyproto_details;

/*
 * Fills *d from hdr's TLVs (the first of each type); fields the header does
 * not carry are left empty (0, NULL). The spans point into the parsed
 * buffer. Returns 0, or PROXYPROTO_ERR_INVALID_ARGUMENT (NULL pointer), or
 * PROXYPROTO_ERR_V2_SSL_* for a malformed SSL TLV in a header that no
 * successful parse produced.
 */
PROXYPROTO_API int proxyproto_details_get(const proxyproto_header *hdr,
                                          proxyproto_details *d);

/*
 * Vendor TLVs (proxyproto(7) section 4). Each looks at the first TLV of its
 * type and validates its layout. They return 0, PROXYPROTO_ERR_TLV_NOT_FOUND,
 * or the vendor's PROXYPROTO_ERR_*_BAD_TLV. The header itself is never
 * rejected for a custom TLV.
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
 * The command is PROXY. proxyproto(7) section 6: v1 writes TCP4 when both ends
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
 *   PROXYPROTO_ERR_CRC32C_TWICE      hdr->tlvs holds two CRC32C TLVs.
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  hdr is NULL, buf is NULL with cap > 0,
 *                                    the version is neither 1 nor 2; v2: a
 *                                    command, family or transport above 15,
 *                                    tlvs NULL with tlvs_len > 0, or an INET,
 *                                    INET6 or UNIX family without addresses
 *                                    on a PROXY command or with TLVs.
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

/* Vendor TLVs (proxyproto(7) section 4): AWS 0xEA sub-type 0x01 + id; Azure
 * 0xEE sub-type 0x01 + LINKID little-endian; GCP 0xE0 id big-endian. An AWS
 * id that is empty or not printable ASCII is PROXYPROTO_ERR_INVALID_ARGUMENT. */
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
 * Receiving on a socket (proxyproto(7) section 5). POSIX sockets.
 *
 * Most servers need only the connection layer at the end of this header:
 * a proxyproto_policy for the listener, then per connection
 * proxyproto_conn_init() and proxyproto_conn_wait() (blocking, in the
 * connection's own thread) or proxyproto_conn_read() /
 * proxyproto_conn_feed() (event loops), and proxyproto_conn_client().
 * The pieces below it (policy check, reader, resolve) are what it is made
 * of, for callers that need to hold them separately.
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

/* Policy flags (proxyproto_policy.flags).
 *
 * ALLOW_UNTRUSTED: pass peers outside `trusted` through without a header,
 *   with their own socket address. SECURITY: only for listeners that also
 *   take direct connections on purpose; such a peer's header, if it sends
 *   one, is payload and never believed.
 * HEADER_OPTIONAL: a trusted peer may omit the header (its stream then
 *   starts with neither "PROXY " nor the v2 signature) and is served with
 *   its own socket address. SECURITY: proxyproto(7) section 5 says a listener
 *   expects the header and never guesses; use this only while a load balancer
 *   is being switched over to sending one. A stream that begins with a part of
 *   a signature and stalls waits for more (up to the deadline) before it can
 *   be judged.
 * REFUSE_V1, REFUSE_V2: refuse that version with
 *   PROXYPROTO_ERR_VERSION_REFUSED, judged on the header's first byte
 *   (HAProxy's send-proxy is v1, send-proxy-v2 is v2); with
 *   HEADER_OPTIONAL, once "PROXY " or the v2 signature is in (a stream
 *   starting "POST" is then no header, not a refused v1 one). */
#define PROXYPROTO_POLICY_ALLOW_UNTRUSTED 0x1
#define PROXYPROTO_POLICY_HEADER_OPTIONAL 0x2
#define PROXYPROTO_POLICY_REFUSE_V1 0x4
#define PROXYPROTO_POLICY_REFUSE_V2 0x8

/* Whole-header deadline when proxyproto_policy.header_timeout_ms is 0. */
#define PROXYPROTO_DEFAULT_HEADER_TIMEOUT_MS 3000

/* What a listener accepts. Zero-initialise, then set the fields: the
 * defaults are the safe ones (header required, both versions, a 3 s
 * deadline, nobody trusted until `trusted` says so). */
typedef struct proxyproto_policy {
    const proxyproto_cidr *trusted; /* the load balancers; caller-owned */
    size_t n_trusted;
    unsigned flags;                 /* PROXYPROTO_POLICY_* */
    /* The whole header must be in this many milliseconds after
     * proxyproto_conn_init() (0: PROXYPROTO_DEFAULT_HEADER_TIMEOUT_MS).
     * A deadline, not an inactivity timeout: bytes that trickle in do not
     * extend it. Used by the connection layer only. */
    int header_timeout_ms;
} proxyproto_policy;

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
    unsigned flags_;  /* PROXYPROTO_POLICY_* the connection layer sets */
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
 *   PROXYPROTO_INCOMPLETE        nothing more yet: wait until readable
 *                                (0.1 said PROXYPROTO_ERR_WOULD_BLOCK).
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
 * Moves a header read in progress to another buffer: the bytes read so far
 * are copied from r's buffer to buf (the two may overlap), and buf, of cap
 * bytes, is r's buffer from then on. For a reader copied (by assignment)
 * into storage that outlives its buffer, such as a connection parked in a
 * table, or a buffer that must grow: the fields stay private. A header
 * already returned points into the old buffer; the next step returns it
 * again, pointing into buf. Returns 0,
 *   PROXYPROTO_ERR_HEADER_TOO_BIG    cap is smaller than the bytes read so
 *                                    far (r is left as it was).
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  r is NULL.
 */
PROXYPROTO_API int proxyproto_reader_move(proxyproto_reader *r, void *buf,
                                          size_t cap);

/*
 * Blocking form: proxyproto_reader_step() until the header is complete,
 * waiting with poll() at most timeout_ms milliseconds in all (proxyproto(7)
 * section 5: servers must bound it; < 0 waits forever). Works on blocking and
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
 * The addresses the application should use for connection fd (proxyproto(7)
 * section 3): the header's when hdr is not NULL and
 * proxyproto_use_header_addresses(), else getpeername() / getsockname()
 * (LOCAL, v1 UNKNOWN, UNSPEC, or no header at all: hdr NULL). client and
 * server may be NULL. Returns 0, PROXYPROTO_ERR_SYSTEM (getpeername() or
 * getsockname() failed), or, for a header made by hand that
 * proxyproto_sockaddr() cannot convert, its error
 * (PROXYPROTO_ERR_NO_ADDRESS, PROXYPROTO_ERR_UNIX_PATH_TOO_LONG).
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
 * UDP (proxyproto(7) section 5): each datagram carries its own header, whole.
 * Returns the payload offset (the header length),
 * PROXYPROTO_ERR_DATAGRAM_TRUNCATED when the datagram ends inside a header, or
 * a parse error.
 */
PROXYPROTO_API int proxyproto_parse_datagram(proxyproto_header *hdr,
                                             const void *dgram, size_t len);

/* ------------------------------------------------------------------------
 * Connections: the header phase of one accepted connection, in one call
 *
 * A caller-owned state (no allocation, no thread, no timer of its own)
 * that checks the peer against the policy, reads the header within one
 * whole-header deadline without taking a byte of payload, and gives the
 * client address the application should use: the header's, or the socket's
 * for LOCAL (health checks), v1 UNKNOWN and untrusted peers let through.
 *
 * Blocking, thread per connection: accept() in the accepting thread, then
 * in the connection's own thread (so a slow header stalls only itself):
 *
 *   proxyproto_conn pc;
 *   proxyproto_conn_init(&pc, fd, &policy, (struct sockaddr *)&peer);
 *   if (proxyproto_conn_wait(&pc) < 0) { close(fd); return; }
 *   proxyproto_format_sockaddr(text, sizeof text, proxyproto_conn_client(&pc));
 *
 * Event loops (epoll, libevent, libuv, io_uring, OpenSSL before its
 * handshake), like SSL_accept(): call proxyproto_conn_read() when the socket
 * is readable, or proxyproto_conn_feed() with bytes the loop read itself,
 * until it returns >= 0; arm ONE timer for proxyproto_conn_ms_left() right
 * after proxyproto_conn_init(), and drop the connection when it fires.
 *
 * Every call returns the same kind of value: >= 0 done (the header is in,
 * or none was expected), PROXYPROTO_INCOMPLETE (wait for more bytes), or a
 * negative error, after which the connection should be closed. Once done
 * or failed, calls return that outcome again and read nothing.
 * ------------------------------------------------------------------------ */

/* Header bytes a proxyproto_conn holds without help: a plain v2 header
 * takes 28 (IPv4) or 52 (IPv6) bytes, a health check 16-31, HAProxy with
 * every TLS option about 180, a v1 line at most 107. Longer headers (a
 * client certificate forwarded in a TLV) need proxyproto_conn_use_buffer(). */
#define PROXYPROTO_CONN_BUF 1024

/* One connection's header phase. All fields are private. */
typedef struct proxyproto_conn {
    const proxyproto_policy *policy_;
    int fd_;
    int result_;          /* PROXYPROTO_INCOMPLETE, then 0 or an error */
    int has_header_;
    long long deadline_ms_; /* CLOCK_MONOTONIC */
    size_t held_;         /* HEADER_OPTIONAL, feed: payload bytes in buf */
    proxyproto_reader reader_;
    proxyproto_header header_;
    /* struct sockaddr_storage, without <sys/socket.h> in this header */
    union {
        unsigned char bytes_[128];
        long long align_;
    } peer_, client_, server_;
    uint8_t buf_[PROXYPROTO_CONN_BUF];
} proxyproto_conn;

/*
 * Starts the header phase of accepted stream socket fd, now: the deadline
 * is now + policy->header_timeout_ms.
 *
 * peer    the address accept() returned (copied), or NULL to ask
 *         getpeername(). Pass it when you have it: a health check that
 *         resets right after its header leaves getpeername() failing.
 *         It must hold a whole sockaddr_in, _in6 or _un for its family:
 *         zero the storage before accept(), which fills only 2 bytes for
 *         an unnamed AF_UNIX client.
 * policy  must outlive c. fd may be -1 for a loop that only feeds; the
 *         server address of a connection without a usable header is then
 *         left AF_UNSPEC.
 *
 * Returns PROXYPROTO_INCOMPLETE (a header is expected: read or feed),
 * 0 (an untrusted peer let through by PROXYPROTO_POLICY_ALLOW_UNTRUSTED:
 * done, no header), or
 *   PROXYPROTO_ERR_UNTRUSTED         the peer is not a trusted load
 *                                    balancer: close it now.
 *   PROXYPROTO_ERR_CLOSED            peer NULL and the connection is already
 *                                    gone (getpeername(): ENOTCONN; on Linux
 *                                    a reset peer is still found through
 *                                    SO_PEERNAME), so it cannot be checked.
 *   PROXYPROTO_ERR_SYSTEM            getpeername() failed otherwise (errno).
 *   PROXYPROTO_ERR_INVALID_ARGUMENT  c or policy is NULL, or the policy's
 *                                    trusted is NULL with n_trusted > 0.
 * Whatever it returns, the later calls return it too until something
 * changes, so a caller may also ignore it and look at the next call's.
 */
PROXYPROTO_API int proxyproto_conn_init(proxyproto_conn *c, int fd,
                                        const proxyproto_policy *policy,
                                        const struct sockaddr *peer);

/*
 * Lets c hold headers up to cap bytes in buf (which must outlive c) instead
 * of its own PROXYPROTO_CONN_BUF bytes; PROXYPROTO_V2_MAX_LEN holds any.
 * Call it right after proxyproto_conn_init(). Returns 0, or
 * PROXYPROTO_ERR_INVALID_ARGUMENT (NULL, or bytes were already read).
 */
PROXYPROTO_API int proxyproto_conn_use_buffer(proxyproto_conn *c, void *buf,
                                              size_t cap);

/*
 * Non-blocking step on the socket: takes the header's bytes that have
 * arrived and never a byte past the header (MSG_PEEK first), so the payload
 * stays in the socket for the application's own reads (or SSL_accept()).
 * Never blocks, whether or not fd is O_NONBLOCK. Reads until the socket has
 * nothing more, so edge-triggered loops are fine.
 *
 * Returns 0 (done: read the payload from fd), PROXYPROTO_INCOMPLETE (wait
 * until fd is readable, or the timer), or
 *   PROXYPROTO_ERR_TIMEOUT    the deadline passed with the header still
 *                             incomplete.
 *   PROXYPROTO_ERR_CLOSED     the peer closed before the header ended.
 *   PROXYPROTO_ERR_SYSTEM     recv() failed (ECONNRESET ...; errno).
 *   PROXYPROTO_ERR_NOT_PROXY, PROXYPROTO_ERR_V1_*, PROXYPROTO_ERR_V2_*
 *                             not a valid header (proxyproto_parse()).
 *   PROXYPROTO_ERR_VERSION_REFUSED, PROXYPROTO_ERR_HEADER_TOO_BIG,
 *   init's errors, PROXYPROTO_ERR_INVALID_ARGUMENT (c NULL).
 */
PROXYPROTO_API int proxyproto_conn_read(proxyproto_conn *c);

/*
 * For loops that read the socket themselves (libuv, a bufferevent, an
 * io_uring recv, a TLS library's read callback...): data[0..len) are the
 * next bytes of the stream. The header's part is copied into c (so the
 * header outlives the loop's buffer); the rest is payload.
 *
 * Returns the number of bytes of data the header took (0 to len): done,
 * and the payload starts at data + that number (after done, every call
 * returns 0: all payload). Or PROXYPROTO_INCOMPLETE: all len bytes were
 * header; feed the next ones. Or the errors of proxyproto_conn_read()
 * (but CLOSED and SYSTEM, which are the loop's to see). data may be NULL
 * when len is 0.
 *
 * With PROXYPROTO_POLICY_HEADER_OPTIONAL, a stream without a header may be
 * found so only after bytes fed earlier were held: proxyproto_conn_held()
 * gives them back; they come before data.
 */
PROXYPROTO_API int proxyproto_conn_feed(proxyproto_conn *c, const void *data,
                                        size_t len);

/*
 * Blocking: proxyproto_conn_read() and poll() until done, failed, or the
 * deadline. Signals (EINTR) do not end the wait early; the deadline does.
 * Returns 0 or an error of proxyproto_conn_read(). For the thread that
 * serves the connection, never for an accept loop: a client that sends its
 * header slowly would make every other client wait behind it.
 */
PROXYPROTO_API int proxyproto_conn_wait(proxyproto_conn *c);

/*
 * accept() on listening socket lfd, then proxyproto_conn_init() and
 * proxyproto_conn_wait(), all in the calling thread. For servers in which
 * each worker accepts for itself (prefork, a pool of threads each calling
 * accept on a shared listener) and for tools: never in a loop that hands
 * connections to other threads (see proxyproto_conn_wait()).
 *
 * Returns the connection's descriptor (>= 0; c tells its client), or
 *   PROXYPROTO_ERR_SYSTEM  accept() itself failed (errno: EINTR, EAGAIN on
 *                          a non-blocking listener, EMFILE ...).
 *   any error of proxyproto_conn_wait()  the connection was refused and is
 *                          already closed; proxyproto_conn_peer(c) names it.
 */
PROXYPROTO_API int proxyproto_accept(int lfd, const proxyproto_policy *policy,
                                     proxyproto_conn *c);

/*
 * Milliseconds until c's deadline, rounded up (0: it has passed), for the
 * loop's one timer; -1 when no deadline applies any more (done or failed)
 * or c is NULL.
 */
PROXYPROTO_API int proxyproto_conn_ms_left(const proxyproto_conn *c);

/*
 * After done (>= 0): the address the application should use for the
 * client (the header's source for PROXY; the socket's peer for LOCAL, v1
 * UNKNOWN, UNSPEC and untrusted peers let through) and for the server (the
 * header's destination, or getsockname(); AF_UNSPEC if that failed).
 * Before done, or after a failure: an address of family AF_UNSPEC. Never
 * NULL (unless c is), valid as long as c is. Format with
 * proxyproto_format_sockaddr().
 */
PROXYPROTO_API const struct sockaddr *proxyproto_conn_client(const proxyproto_conn *c);
PROXYPROTO_API const struct sockaddr *proxyproto_conn_server(const proxyproto_conn *c);

/* The socket's own peer, the load balancer (or whoever connected): for
 * logging refusals. AF_UNSPEC when unknown. */
PROXYPROTO_API const struct sockaddr *proxyproto_conn_peer(const proxyproto_conn *c);

/* After done: the parsed header (its TLVs, version, command), pointing into
 * c (or the buffer of proxyproto_conn_use_buffer()); NULL when there was
 * none (an untrusted or header-less peer let through) or not done. */
PROXYPROTO_API const proxyproto_header *proxyproto_conn_header(const proxyproto_conn *c);

/* PROXYPROTO_POLICY_HEADER_OPTIONAL with proxyproto_conn_feed() only:
 * payload bytes fed before the stream was found to carry no header (at most
 * 11: a part of a signature). Sets *len (0 almost always; len may be NULL)
 * and returns a pointer to them, into c or into the buffer of
 * proxyproto_conn_use_buffer(); NULL when none are held. */
PROXYPROTO_API const void *proxyproto_conn_held(const proxyproto_conn *c,
                                                size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* PROXYPROTO_H */
