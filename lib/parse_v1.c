/* Version 1 (text) header parser, SPEC.md section 2.
 *
 * "PROXY " and the protocol word are judged byte by byte as they arrive.
 * The rest of the line is scanned for its CRLF (and for bytes that may not
 * appear before it); the address and port fields are judged once the CRLF
 * is in. A first attempt parses the fields straight away, which is all a
 * well-formed line in one buffer costs. */
#include "internal.h"

#include <string.h>

#define PREFIX "PROXY "
#define PREFIX_LEN 6
/* The line is at most 107 bytes with its CRLF: the CR sits before 106. */
#define CR_LIMIT (PROXYPROTO_V1_MAX_LEN - 1)

/* Shortest complete lines (SPEC.md 2). */
#define SHORTEST_UNKNOWN 15
#define SHORTEST_TCP6 22
#define SHORTEST_TCP4 32

enum proto { TCP4, TCP6, UNKNOWN };

/* Compares buf[from..len) with word[0..n): -1 on a mismatch, 1 when the
 * whole word is in, 0 when what is in matches so far. */
static int match(const uint8_t *buf, size_t len, size_t from, const char *word,
                 size_t n)
{
    size_t k = len - from < n ? len - from : n;

    if (memcmp(buf + from, word, k) != 0)
        return -1;
    return k == n;
}

/* The TCP4 / TCP6 word; len > 6 and buf[6] == 'T'. */
static int check_tcp(const uint8_t *buf, size_t len, enum proto *proto,
                     size_t *shortest)
{
    int m = match(buf, len, PREFIX_LEN, "TCP", 3);

    *shortest = SHORTEST_TCP6; /* TCP6's is the shorter of the two */
    if (m < 0)
        return PROXYPROTO_ERR_V1_BAD_PROTOCOL;
    if (len <= 9)
        return PROXYPROTO_INCOMPLETE;
    if (buf[9] != '4' && buf[9] != '6')
        return PROXYPROTO_ERR_V1_BAD_PROTOCOL;
    *proto = buf[9] == '4' ? TCP4 : TCP6;
    *shortest = buf[9] == '4' ? SHORTEST_TCP4 : SHORTEST_TCP6;
    if (len <= 10)
        return PROXYPROTO_INCOMPLETE;
    return buf[10] == ' ' ? 0 : PROXYPROTO_ERR_V1_BAD_PROTOCOL;
}

/* "PROXY " then TCP4 / TCP6 / UNKNOWN. Returns 0 with *proto and *rest (the
 * offset after the word and its space), PROXYPROTO_INCOMPLETE with
 * *shortest (the shortest line still possible), or an error. */
static int check_word(const uint8_t *buf, size_t len, enum proto *proto,
                      size_t *rest, size_t *shortest)
{
    int m = match(buf, len, 0, PREFIX, PREFIX_LEN);

    *shortest = SHORTEST_UNKNOWN;
    if (m < 0)
        return PROXYPROTO_ERR_NOT_PROXY;
    if (len == PREFIX_LEN || m == 0)
        return PROXYPROTO_INCOMPLETE;
    if (buf[6] == 'T') {
        *rest = 11;
        return check_tcp(buf, len, proto, shortest);
    }
    if (buf[6] != 'U' || (m = match(buf, len, PREFIX_LEN, "UNKNOWN", 7)) < 0)
        return PROXYPROTO_ERR_V1_BAD_PROTOCOL;
    if (m == 0 || len == 13)
        return PROXYPROTO_INCOMPLETE;
    /* "UNKNOWNX" is another word; the rest of the line starts at the
     * space or the CR. */
    *proto = UNKNOWN;
    *rest = 13;
    return buf[13] == ' ' || buf[13] == '\r' ? 0 : PROXYPROTO_ERR_V1_BAD_PROTOCOL;
}

/* A field starts here: not at the line end, not at a second space. */
static const uint8_t *field_start(const uint8_t *p, const uint8_t *end, int *err)
{
    if (p == end) {
        *err = PROXYPROTO_ERR_V1_MISSING_FIELD;
        return NULL;
    }
    if (*p == ' ') {
        *err = PROXYPROTO_ERR_V1_BAD_SEPARATOR;
        return NULL;
    }
    return p;
}

/* From the end of a field to the start of the next: exactly one space.
 * `bad` is the error for a byte that neither ends the field nor the line. */
static const uint8_t *next_field(const uint8_t *p, const uint8_t *end, int bad,
                                 int *err)
{
    if (p == end) {
        *err = PROXYPROTO_ERR_V1_MISSING_FIELD;
        return NULL;
    }
    if (*p != ' ') {
        *err = bad;
        return NULL;
    }
    return field_start(p + 1, end, err);
}

/* TCP4 takes only IPv4 text and TCP6 only IPv6 (SPEC.md 2): a field that
 * looks like the other family says so instead of "malformed". */
static int address_error(const uint8_t *field, const uint8_t *end,
                         enum proto proto, int err)
{
    const uint8_t *p = field;

    while (p < end && *p != ' ' && *p != ':')
        p++;
    if ((proto == TCP4) == (p < end && *p == ':'))
        return PROXYPROTO_ERR_V1_FAMILY_MISMATCH;
    return err;
}

static const uint8_t *address(const uint8_t *p, const uint8_t *end,
                              enum proto proto, proxyproto_addr *a, int *err)
{
    const uint8_t *q = proto == TCP4 ? proxyproto__parse_ipv4(p, end, a->ip.v4, err)
                                     : proxyproto__parse_ipv6(p, end, a->ip.v6, err);
    int bad = proto == TCP4 ? PROXYPROTO_ERR_V1_BAD_IPV4 : PROXYPROTO_ERR_V1_BAD_IPV6;

    a->path = NULL;
    a->path_len = 0;
    if (q == NULL || (q < end && *q != ' ')) {
        *err = address_error(p, end, proto, q == NULL ? *err : bad);
        return NULL;
    }
    return next_field(q, end, bad, err);
}

/* Decimal 0..65535 without a sign or a leading zero. */
static const uint8_t *port(const uint8_t *p, const uint8_t *end, uint16_t *out,
                           int *err)
{
    unsigned v = (unsigned)(*p - '0');

    if (v > 9) {
        *err = PROXYPROTO_ERR_V1_BAD_PORT;
        return NULL;
    }
    if (++p < end && v == 0 && (unsigned)(*p - '0') < 10) {
        *err = PROXYPROTO_ERR_V1_PORT_LEADING_ZERO;
        return NULL;
    }
    for (; p < end && (unsigned)(*p - '0') < 10; p++) {
        v = v * 10 + (unsigned)(*p - '0');
        if (v > 65535) {
            *err = PROXYPROTO_ERR_V1_PORT_RANGE;
            return NULL;
        }
    }
    *out = (uint16_t)v;
    return p;
}

/* "src SP dst SP sport SP dport" from p (a field start); returns the cursor
 * after dport, or NULL with *err. */
static const uint8_t *fields(proxyproto_header *hdr, const uint8_t *p,
                             const uint8_t *end, enum proto proto, int *err)
{
    if ((p = field_start(p, end, err)) == NULL ||
        (p = address(p, end, proto, &hdr->src, err)) == NULL ||
        (p = address(p, end, proto, &hdr->dst, err)) == NULL ||
        (p = port(p, end, &hdr->src.port, err)) == NULL ||
        (p = next_field(p, end, PROXYPROTO_ERR_V1_BAD_PORT, err)) == NULL)
        return NULL;
    return port(p, end, &hdr->dst.port, err);
}

static int complete(proxyproto_header *hdr, enum proto proto, size_t line_len)
{
    hdr->version = 1;
    hdr->command = PROXYPROTO_CMD_PROXY;
    hdr->family = proto == TCP4   ? PROXYPROTO_AF_INET
                  : proto == TCP6 ? PROXYPROTO_AF_INET6
                                  : PROXYPROTO_AF_UNSPEC;
    hdr->transport = proto == UNKNOWN ? PROXYPROTO_TRANSPORT_UNSPEC
                                      : PROXYPROTO_TRANSPORT_STREAM;
    hdr->has_addresses = proto != UNKNOWN;
    hdr->header_len = line_len;
    hdr->tlvs = NULL;
    hdr->tlvs_len = 0;
    hdr->need = 0;
    return (int)line_len;
}

/* The whole line in one buffer: fields straight away, then CRLF. Any
 * failure falls back to the careful path, which finds the right answer. */
static int try_fast(proxyproto_header *hdr, const uint8_t *buf, size_t len,
                    enum proto proto)
{
    const uint8_t *end = buf + (len < CR_LIMIT ? len : CR_LIMIT);
    int err;
    const uint8_t *p = fields(hdr, buf + 11, end, proto, &err);

    if (p == NULL || p == end || *p != '\r' || p + 1 == buf + len || p[1] != '\n')
        return 0;
    return complete(hdr, proto, (size_t)(p + 2 - buf));
}

/* Looks for the CR in buf[from..limit), judging each byte before it
 * (SPEC.md 2). *cr is its offset, or limit when it is not there. */
static int scan_line(const uint8_t *buf, size_t from, size_t limit, size_t *cr)
{
    size_t i;

    for (i = from; i < limit; i++) {
        uint8_t c = buf[i];

        if (c == '\r')
            break;
        if (c == '\n')
            return PROXYPROTO_ERR_V1_LONE_LF;
        if (c < 0x20 || c > 0x7E)
            return PROXYPROTO_ERR_V1_BAD_CHAR;
    }
    *cr = i;
    return 0;
}

static int incomplete(proxyproto_header *hdr, const uint8_t *buf, size_t len,
                      size_t shortest)
{
    size_t tail = buf[len - 1] == '\r' ? 1 : 2;

    hdr->need = shortest > len + tail ? shortest - len : tail;
    return PROXYPROTO_INCOMPLETE;
}

PROXYPROTO__PRIVATE int proxyproto__parse_v1(proxyproto_header *hdr, const uint8_t *buf, size_t len,
                         size_t last_len)
{
    enum proto proto = UNKNOWN;
    size_t rest = 0, shortest, limit, from, cr;
    int err = check_word(buf, len, &proto, &rest, &shortest), r;

    if (err == PROXYPROTO_INCOMPLETE)
        return incomplete(hdr, buf, len, shortest);
    if (err != 0)
        return err;
    if (last_len == 0 && proto != UNKNOWN && (r = try_fast(hdr, buf, len, proto)) > 0)
        return r;
    /* Bytes before last_len - 1 were judged by the earlier call; the last
     * of them may have been a CR waiting for its LF. */
    limit = len < CR_LIMIT ? len : CR_LIMIT;
    from = last_len > rest ? last_len - 1 : rest;
    if ((err = scan_line(buf, from, limit, &cr)) != 0)
        return err;
    if (cr == limit)
        return len >= CR_LIMIT ? PROXYPROTO_ERR_V1_TOO_LONG
                               : incomplete(hdr, buf, len, shortest);
    if (cr + 1 == len)
        return incomplete(hdr, buf, len, shortest);
    if (buf[cr + 1] != '\n')
        return PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
    if (proto != UNKNOWN) {
        const uint8_t *end = buf + cr, *p = fields(hdr, buf + rest, end, proto, &err);

        if (p == NULL)
            return err;
        if (p != end)
            return *p == ' ' ? PROXYPROTO_ERR_V1_TRAILING_DATA : PROXYPROTO_ERR_V1_BAD_PORT;
    }
    return complete(hdr, proto, cr + 2);
}
