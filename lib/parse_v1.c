/* Version 1 (text) header parser, proxyproto(7) section 2.
 *
 * "PROXY " and the protocol word are judged byte by byte as they arrive.
 * The rest of the line is scanned for its CRLF (and for bytes that may not
 * appear before it); the address and port fields are judged once the CRLF
 * is in.
 *
 * Speed: once the CRLF is in, the fields are first read by the quick
 * readers below, which only say yes or no and stop at the CR (every field
 * ends at a byte that cannot continue it, and the CR is such a byte, so
 * they need no bounds checks). A well-formed line costs just that. On a
 * "no" the careful readers, which know every error code, judge the line
 * again: errors and unusual forms (an IPv6 address with a dotted tail)
 * cost more, but give exactly the same answers. */
#include "internal.h"

#include <string.h>

#define PREFIX "PROXY "
#define PREFIX_LEN 6
/* The line is at most 107 bytes with its CRLF: the CR sits before 106. */
#define CR_LIMIT (PROXYPROTO_V1_MAX_LEN - 1)

/* Shortest complete lines (proxyproto(7) section 2). */
#define SHORTEST_UNKNOWN 15
#define SHORTEST_TCP6 22
#define SHORTEST_TCP4 32

enum proto { TCP4, TCP6, UNKNOWN };

/* A hint that keeps a slow path out of the fast one (GCC and Clang). */
#if defined(__GNUC__)
#define V1_NOINLINE __attribute__((noinline))
#else
#define V1_NOINLINE
#endif

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

/* Length of "PROXY TCP4 ", "PROXY TCP6 " (11) or "PROXY UNKNOWN" (13)
 * when buf holds the whole word and check_word() would take it, else 0:
 * whole-word compares of constant length, which compilers turn into a
 * couple of loads. Every call of a byte-at-a-time parse but the first few
 * settles the word here. */
static inline size_t whole_word(const uint8_t *buf, size_t len)
{
    if (len >= 11 && memcmp(buf, "PROXY TCP", 9) == 0 &&
        (buf[9] == '4' || buf[9] == '6') && buf[10] == ' ')
        return 11;
    if (len >= 14 && memcmp(buf, "PROXY UNKNOWN", 13) == 0 &&
        (buf[13] == ' ' || buf[13] == '\r'))
        return 13;
    return 0;
}

/* The protocol and shortest line of a word whole_word() took. */
static inline enum proto word_proto(const uint8_t *buf, size_t rest)
{
    return rest == 13 ? UNKNOWN : buf[9] == '4' ? TCP4 : TCP6;
}

static inline size_t word_shortest(enum proto proto)
{
    return proto == TCP4 ? SHORTEST_TCP4
           : proto == TCP6 ? SHORTEST_TCP6
                           : SHORTEST_UNKNOWN;
}

/* "PROXY " then TCP4 / TCP6 / UNKNOWN. Returns 0 with *proto and *rest (the
 * offset after the word and its space), PROXYPROTO_INCOMPLETE with
 * *shortest (the shortest line still possible), or an error. */
static int check_word(const uint8_t *buf, size_t len, enum proto *proto,
                      size_t *rest, size_t *shortest)
{
    int m;

    if ((*rest = whole_word(buf, len)) != 0) { /* the usual case */
        *proto = word_proto(buf, *rest);
        *shortest = word_shortest(*proto);
        return 0;
    }
    m = match(buf, len, 0, PREFIX, PREFIX_LEN);
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

/* TCP4 takes only IPv4 text and TCP6 only IPv6 (proxyproto(7) section 2):
 * a field that looks like the other family says so instead of
 * "malformed". */
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

/* ------------------------------------------------------------------------
 * Quick readers: for a line whose CR is in. Each returns the cursor after
 * its field, or NULL for anything it does not take, be it an error or a
 * form it leaves to the careful readers. They read a byte only after the
 * bytes before it turned out to belong to the field, so the CR that ends
 * the line stops them: nothing after it is read.
 * ------------------------------------------------------------------------ */

/* Appends the decimal digit at *p, if there is one, to *v. */
static inline int more_digit(const uint8_t **p, unsigned *v)
{
    unsigned d = (unsigned)(**p - '0');

    if (d > 9)
        return 0;
    *v = *v * 10 + d;
    ++*p;
    return 1;
}

/* 1 to `max` (3 or 5) digits at p, the first not a 0 unless it is the
 * only one, into *v; NULL when there are none or a leading zero. A digit
 * beyond `max` is left for the caller to refuse: it wants a separator
 * next. Unrolled: max is a constant where it is inlined. */
static inline const uint8_t *quick_number(const uint8_t *p, int max, unsigned *v)
{
    const uint8_t *start = p;

    *v = 0;
    if (!more_digit(&p, v))
        return NULL;
    if (more_digit(&p, v) && more_digit(&p, v) && max > 3 &&
        more_digit(&p, v) && more_digit(&p, v))
        (void)0; /* max digits: any further one is the caller's */
    return *start == '0' && p - start > 1 ? NULL : p;
}

/* One IPv4 octet: 1 to 3 digits, no leading zero, at most 255. */
static inline const uint8_t *quick_octet(const uint8_t *p, uint8_t *out)
{
    unsigned v;

    if ((p = quick_number(p, 3, &v)) == NULL || v > 255)
        return NULL;
    *out = (uint8_t)v;
    return p;
}

/* A dotted quad followed by the space before the next field. */
static const uint8_t *quick_ipv4(const uint8_t *p, uint8_t out[4])
{
    if ((p = quick_octet(p, &out[0])) == NULL || *p != '.' ||
        (p = quick_octet(p + 1, &out[1])) == NULL || *p != '.' ||
        (p = quick_octet(p + 1, &out[2])) == NULL || *p != '.' ||
        (p = quick_octet(p + 1, &out[3])) == NULL || *p != ' ')
        return NULL;
    return p;
}

/* Hex digit values plus 1, so that 0 marks a byte that is no hex digit:
 * one load per digit instead of a chain of range compares. */
static const uint8_t hex_plus_1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* Appends the hex digit at *p, if there is one, to *v. */
static inline int more_hex(const uint8_t **p, unsigned *v)
{
    unsigned h = hex_plus_1[**p];

    if (h == 0)
        return 0;
    *v = *v << 4 | (h - 1);
    ++*p;
    return 1;
}

/* One group of 1 to 4 hex digits into *out, NULL when there is none. A
 * fifth digit or a '.' (a dotted IPv4 tail, left to the careful reader)
 * is left for the caller to refuse: it wants a ':' or ' ' next. */
static inline const uint8_t *quick_group(const uint8_t *p, unsigned *out)
{
    *out = 0;
    if (!more_hex(&p, out))
        return NULL;
    if (more_hex(&p, out) && more_hex(&p, out) && more_hex(&p, out))
        (void)0; /* four digits: any further one is the caller's */
    return p;
}

/* Moves the groups after "::" to the end of the 16 bytes, zeroing the
 * slots they leave, which must be at least one group (RFC 4291 2.2). out
 * was zeroed before the groups were written, so the rest of the gap is
 * zero already: a loop over the groups after the gap only. */
static int quick_gap(uint8_t out[16], int groups, int gap_at)
{
    int i, shift = 8 - groups;

    if (gap_at < 0)
        return groups == 8;
    if (shift < 1)
        return 0;
    for (i = groups - 1; i >= gap_at; i--) { /* from the end: they overlap */
        out[2 * (i + shift)] = out[2 * i];
        out[2 * (i + shift) + 1] = out[2 * i + 1];
        out[2 * i] = out[2 * i + 1] = 0;
    }
    return 1;
}

/* RFC 4291 text without a dotted tail, followed by the space before the
 * next field. The rules where the careful reader has a check of its own:
 * a ':' after the eighth group, a second "::", and a single ':' that no
 * group follows are refused here; so is anything but a ':' or ' ' after a
 * group (a fifth hex digit, a '.'). */
static const uint8_t *quick_ipv6(const uint8_t *p, uint8_t out[16])
{
    int groups = 0, gap_at = -1;
    unsigned v;

    memset(out, 0, 16); /* for quick_gap() */
    if (p[0] == ':') {
        if (p[1] != ':')
            return NULL;
        gap_at = 0;
        p += 2;
        if (hex_plus_1[*p] == 0)
            goto end; /* "::" alone */
    }
    for (;;) {
        if ((p = quick_group(p, &v)) == NULL)
            return NULL;
        out[2 * groups] = (uint8_t)(v >> 8);
        out[2 * groups + 1] = (uint8_t)v;
        groups++;
        if (*p != ':')
            break;
        if (groups == 8)
            return NULL;
        if (p[1] != ':') {
            p++; /* a group must follow: quick_group() says */
            continue;
        }
        if (gap_at >= 0)
            return NULL; /* a second "::" */
        gap_at = groups;
        p += 2;
        if (hex_plus_1[*p] == 0)
            break; /* "::" at the end */
    }
end:
    if (*p != ' ' || !quick_gap(out, groups, gap_at))
        return NULL;
    return p;
}

/* Decimal 0..65535 without a sign or a leading zero. */
static inline const uint8_t *quick_port(const uint8_t *p, uint16_t *out)
{
    unsigned v;

    if ((p = quick_number(p, 5, &v)) == NULL || v > 65535)
        return NULL;
    *out = (uint16_t)v;
    return p;
}

static const uint8_t *quick_address(const uint8_t *p, enum proto proto,
                                    proxyproto_addr *a)
{
    a->path = NULL;
    a->path_len = 0;
    return proto == TCP4 ? quick_ipv4(p, a->ip.v4) : quick_ipv6(p, a->ip.v6);
}

/* "src SP dst SP sport SP dport" from p to the CR at cr; 1 when all of it
 * is well formed (then hdr holds the fields), else 0. */
static int quick_fields(proxyproto_header *hdr, const uint8_t *p,
                        const uint8_t *cr, enum proto proto)
{
    if ((p = quick_address(p, proto, &hdr->src)) == NULL ||
        (p = quick_address(p + 1, proto, &hdr->dst)) == NULL ||
        (p = quick_port(p + 1, &hdr->src.port)) == NULL || *p != ' ' ||
        (p = quick_port(p + 1, &hdr->dst.port)) == NULL)
        return 0;
    return p == cr;
}

/* Looks for the CR in buf[from..limit), judging each byte before it
 * (proxyproto(7) section 2). *cr is its offset, or limit when it is not
 * there. */
static int scan_line(const uint8_t *buf, size_t from, size_t limit, size_t *cr)
{
    size_t i;

    for (i = from; i < limit; i++) {
        uint8_t c = buf[i];

        if ((unsigned)(c - 0x20) <= 0x7E - 0x20)
            continue; /* printable: one compare for the usual byte */
        if (c == '\r')
            break;
        return c == '\n' ? PROXYPROTO_ERR_V1_LONE_LF : PROXYPROTO_ERR_V1_BAD_CHAR;
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

/* Any line, in any state: the word judged as far as it is in, the rest
 * scanned from where the previous call stopped, the fields once the CRLF
 * is in. Kept out of line so that the fast path does not pay for its
 * stack frame. */
V1_NOINLINE static int v1_parse_careful(proxyproto_header *hdr,
                                        const uint8_t *buf, size_t len,
                                        size_t last_len)
{
    enum proto proto = UNKNOWN;
    size_t rest = 0, shortest, limit, from, cr;
    int err = check_word(buf, len, &proto, &rest, &shortest);

    if (err == PROXYPROTO_INCOMPLETE)
        return incomplete(hdr, buf, len, shortest);
    if (err != 0)
        return err;
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
    if (proto != UNKNOWN && !quick_fields(hdr, buf + rest, buf + cr, proto)) {
        const uint8_t *end = buf + cr, *p = fields(hdr, buf + rest, end, proto, &err);

        if (p == NULL)
            return err;
        if (p != end)
            return *p == ' ' ? PROXYPROTO_ERR_V1_TRAILING_DATA : PROXYPROTO_ERR_V1_BAD_PORT;
    }
    return complete(hdr, proto, cr + 2);
}

/* The whole TCP4 / TCP6 line in one buffer, as it usually comes: find
 * the CR without judging the bytes before it (quick_fields() takes only
 * digits, hex digits, dots, colons and single spaces, so fields it takes
 * prove every byte right), then the fields. Anything else goes to the
 * careful path. */
V1_NOINLINE static int v1_parse_quick(proxyproto_header *hdr,
                                      const uint8_t *buf, size_t len,
                                      enum proto proto)
{
    size_t limit = len < CR_LIMIT ? len : CR_LIMIT;
    const uint8_t *cr = memchr(buf + 11, '\r', limit - 11);

    if (cr == NULL || cr + 1 == buf + len || cr[1] != '\n' ||
        !quick_fields(hdr, buf + 11, cr, proto))
        return v1_parse_careful(hdr, buf, len, 0);
    return complete(hdr, proto, (size_t)(cr + 2 - buf));
}

/* A later call of a parse by pieces, before the CRLF: when the word is in
 * and every new byte is an ordinary one (no CR, no LF, nothing outside
 * 0x20-0x7E) and the line is still short of its limit, the answer is
 * INCOMPLETE, found without the careful path's bookkeeping. Returns 0 when
 * the careful path must decide. */
static int v1_still_incomplete(proxyproto_header *hdr, const uint8_t *buf,
                               size_t len, size_t last_len)
{
    size_t rest = whole_word(buf, len), i;

    if (rest == 0 || last_len <= rest || len >= CR_LIMIT)
        return 0;
    /* From last_len - 1, as the careful path scans: the earlier call's
     * last byte may be a CR waiting for its LF. */
    for (i = last_len - 1; i < len; i++)
        if ((unsigned)(buf[i] - 0x20) > 0x7E - 0x20)
            return 0;
    return incomplete(hdr, buf, len, word_shortest(word_proto(buf, rest)));
}

PROXYPROTO__PRIVATE int proxyproto__parse_v1(proxyproto_header *hdr, const uint8_t *buf, size_t len,
                         size_t last_len)
{
    /* A whole TCP4 / TCP6 line in one buffer, the usual case, or its first
     * call of a parse by pieces (no CRLF yet: v1_parse_quick() hands it on). */
    if (last_len == 0 && len > 11 && whole_word(buf, len) == 11)
        return v1_parse_quick(hdr, buf, len, word_proto(buf, 11));
    if (last_len != 0 && v1_still_incomplete(hdr, buf, len, last_len) != 0)
        return PROXYPROTO_INCOMPLETE;
    return v1_parse_careful(hdr, buf, len, last_len);
}
