/* Version 1 (text) header parser, proxyproto(7) section 2: one reader.
 *
 * Every byte is judged once, as it arrives, by the rule of the place it
 * stands in: "PROXY ", the protocol word, then the fields of a TCP4 / TCP6
 * line by the address and port readers of read_ip.h, or the rest of an
 * UNKNOWN line as printable text. The first byte that breaks a rule gives
 * that rule's code, before the CRLF arrives, and `need` is exact: the
 * fewest bytes that could still complete a valid line.
 *
 * Two answers wait for a later byte, at most to the end of the field: a
 * CR where the line may not end (the next byte says CR_WITHOUT_LF, or the
 * rule the early end breaks), and an address that breaks its family's
 * rules (ERR_V1_FAMILY_MISMATCH when it turns out whole text of the other
 * family, else its own rule's code). While one waits, no valid line can
 * follow, and the answer is INCOMPLETE with need 1.
 *
 * A parse by pieces resumes at the start of the field the earlier call
 * stopped in (resume_field()), so a line fed byte by byte is read about
 * once, plus its current field per call, plus once more at the end.
 *
 * Speed: a whole line in one buffer is read by the same readers, inlined
 * without end tests wherever every byte they can look at is in. */
#include "internal.h"
#include "read_ip.h"

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
IP_INLINE size_t whole_word(const uint8_t *buf, size_t len)
{
    if (len >= 11 && proxyproto__same8(buf, "PROXY TC") && buf[8] == 'P' &&
        (buf[9] == '4' || buf[9] == '6') && buf[10] == ' ')
        return 11;
    if (len >= 14 && proxyproto__same8(buf, "PROXY UN") &&
        proxyproto__same8(buf + 5, " UNKNOWN") &&
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

/* Fields of a TCP4 / TCP6 line, in order. */
enum field { SRC, DST, SPORT, DPORT };

/* Fewest bytes of the fields after field k, with their separators
 * ("0.0.0.0 " or ":: ", then "0 " and "0\r\n"), by protocol. */
static const uint8_t after_field[2][4] = {{13, 5, 3, 0}, {8, 5, 3, 0}};

/* May the byte stand before a line's CR (0x20..0x7E)? */
IP_INLINE int v1_printable(uint8_t c)
{
    return (unsigned)(c - 0x20) <= 0x7E - 0x20;
}

/* The error of a byte that may not stand before the CR (not the CR). */
IP_INLINE int v1_bad_byte(uint8_t c)
{
    return c == '\n' ? PROXYPROTO_ERR_V1_LONE_LF : PROXYPROTO_ERR_V1_BAD_CHAR;
}

/* *p stops a field where the line may not go on. A CR ends the line if an
 * LF follows, and then `code` (the rule the early end breaks) is the
 * answer; the next byte decides, so a CR last in the buffer is INCOMPLETE.
 * Any other byte outside 0x20..0x7E breaks the rule of bytes. */
IP_INLINE int line_stop(const uint8_t *p, const uint8_t *end, int code, size_t *need)
{
    if (*p == '\r') {
        if (end - p == 1) {
            *need = 1;
            return PROXYPROTO_INCOMPLETE;
        }
        return p[1] == '\n' ? code : PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
    }
    return v1_printable(*p) ? code : v1_bad_byte(*p);
}

/* The address readers without end tests when every byte they can look at
 * is in (the usual case: a whole line), with them when not. */
IP_INLINE int read_address(const uint8_t **pp, const uint8_t *end,
                        enum proto proto, proxyproto_addr *a, size_t *need)
{
    if (proto == TCP4)
        return end - *pp >= IPV4_TEXT_MAX ? ip_read_ipv4(pp, end, 0, a->ip.v4, need)
                                          : ip_read_ipv4(pp, end, 1, a->ip.v4, need);
    return end - *pp >= IPV6_TEXT_MAX ? ip_read_ipv6(pp, end, 0, a->ip.v6, need)
                                      : ip_read_ipv6(pp, end, 1, a->ip.v6, need);
}


/* The address field from `field` broke its family's rules with `code` at a
 * printable byte. TCP4 takes only IPv4 text and TCP6 only IPv6
 * (proxyproto(7) section 2): whole text of the other family, followed by
 * the end of the field, is ERR_V1_FAMILY_MISMATCH; anything else keeps
 * `code`. Decided at the byte after the other family's text: until then
 * INCOMPLETE, need 1. Off the usual path. */
V1_NOINLINE static int other_family(const uint8_t *field, const uint8_t *end,
                                    enum proto proto, int code, size_t *need)
{
    const uint8_t *p = field;
    uint8_t scratch[16];
    int rc = proto == TCP4 ? ip_read_ipv6(&p, end, 1, scratch, need)
                           : ip_read_ipv4(&p, end, 1, scratch, need);

    /* A reader stops at end only when it ran out: the compare with end
     * says so in a form the proof reads (tests/prove/README.md). */
    if (rc == PROXYPROTO_INCOMPLETE || p == end) {
        *need = 1;
        return PROXYPROTO_INCOMPLETE;
    }
    if (rc != 0) /* a byte outside 0x20..0x7E keeps its own code */
        return v1_printable(*p) ? code : line_stop(p, end, code, need);
    if (*p == ' ')
        return PROXYPROTO_ERR_V1_FAMILY_MISMATCH;
    return v1_printable(*p) ? code
                         : line_stop(p, end, PROXYPROTO_ERR_V1_FAMILY_MISMATCH, need);
}

/* Where an address field stopped other than at its space (rc from the
 * reader; p the byte it stopped at): the field's own error, a separator or
 * line-end error, or a family mismatch still to be decided. Off the usual
 * path. */
V1_NOINLINE static int address_stop(const uint8_t *field, const uint8_t *p,
                                    const uint8_t *end, enum proto proto,
                                    int rc, size_t *need)
{
    if (rc == PROXYPROTO_INCOMPLETE || p == end) { /* as other_family() */
        *need += 1; /* the space */
        return PROXYPROTO_INCOMPLETE;
    }
    if (p == field && *p == ' ')
        return PROXYPROTO_ERR_V1_BAD_SEPARATOR;
    if (*p == '\r')
        return line_stop(p, end, rc == 0 || p == field ? PROXYPROTO_ERR_V1_MISSING_FIELD : rc,
                         need);
    if (rc == 0)
        rc = proto == TCP4 ? PROXYPROTO_ERR_V1_BAD_IPV4 : PROXYPROTO_ERR_V1_BAD_IPV6;
    if (!v1_printable(*p))
        return line_stop(p, end, rc, need);
    return other_family(field, end, proto, rc, need);
}

/* An address and the space after it. Returns 0 with *pp after the space,
 * else *pp at the byte the field stopped at (end when the bytes ran out)
 * and INCOMPLETE with *need (this field and its space), or an error. */
IP_INLINE int address_field(const uint8_t **pp, const uint8_t *end,
                            enum proto proto, proxyproto_addr *a, size_t *need)
{
    const uint8_t *field = *pp, *p;
    int rc = read_address(pp, end, proto, a, need);

    p = *pp;
    /* p != end: true when rc is 0, said for the proof (other_family()). */
    if (rc == 0 && p != end && *p == ' ') {
        *pp = p + 1;
        return 0;
    }
    return address_stop(field, p, end, proto, rc, need);
}

IP_INLINE int read_port(const uint8_t **pp, const uint8_t *end, uint16_t *port,
                     size_t *need)
{
    return end - *pp >= PORT_TEXT_MAX ? ip_read_port(pp, end, 0, port, need)
                                      : ip_read_port(pp, end, 1, port, need);
}

/* Where a port field stopped other than at its separator; `last` for the
 * destination port (whose whole text must meet the CRLF). */
V1_NOINLINE static int port_stop(const uint8_t *field, const uint8_t *p,
                                 const uint8_t *end, int last, int rc,
                                 size_t *need)
{
    if (rc == PROXYPROTO_INCOMPLETE || p == end) { /* as other_family() */
        *need += last ? 2 : 1; /* "\r\n" or the space */
        return PROXYPROTO_INCOMPLETE;
    }
    if (p == field && *p == ' ')
        return PROXYPROTO_ERR_V1_BAD_SEPARATOR;
    if (*p == '\r')
        return line_stop(p, end, p == field || (rc == 0 && !last) ? PROXYPROTO_ERR_V1_MISSING_FIELD
                                 : rc == 0 ? PROXYPROTO_ERR_V1_CR_WITHOUT_LF : rc,
                         need);
    if (rc == 0)
        rc = last && *p == ' ' ? PROXYPROTO_ERR_V1_TRAILING_DATA : PROXYPROTO_ERR_V1_BAD_PORT;
    return line_stop(p, end, rc, need);
}

/* The source port and the space after it; as address_field(). */
IP_INLINE int sport_field(const uint8_t **pp, const uint8_t *end, uint16_t *port,
                          size_t *need)
{
    const uint8_t *field = *pp, *p;
    int rc = read_port(pp, end, port, need);

    p = *pp;
    if (rc == 0 && p != end && *p == ' ') { /* as address_field() */
        *pp = p + 1;
        return 0;
    }
    return port_stop(field, p, end, 0, rc, need);
}

/* The destination port and the CRLF: returns 0 with *pp after the LF. */
IP_INLINE int dport_field(const uint8_t **pp, const uint8_t *end, uint16_t *port,
                          size_t *need)
{
    const uint8_t *field = *pp, *p;
    int rc = read_port(pp, end, port, need);

    p = *pp;
    /* The CRLF's end compared first, as a pointer: the form the proof
     * reads (other_family()). */
    if (rc == 0 && p < end - 1 && *p == '\r' && p[1] == '\n') {
        *pp = p + 2;
        return 0;
    }
    return port_stop(field, p, end, 1, rc, need);
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

/* A TCP4 / TCP6 line whose addresses and ports are in hdr. */
static int tcp_complete(proxyproto_header *hdr, enum proto proto, size_t line_len)
{
    return proxyproto__v1_tcp_done(hdr, proto == TCP4 ? PROXYPROTO_AF_INET : PROXYPROTO_AF_INET6,
                                   line_len);
}

/* Looks for the CR in buf[from..limit), judging each byte before it
 * (proxyproto(7) section 2). *cr is its offset, or limit when it is not
 * there. */
static int scan_line(const uint8_t *buf, size_t from, size_t limit, size_t *cr)
{
    size_t i;

    for (i = from; i < limit; i++) {
        uint8_t c = buf[i];

        if (v1_printable(c))
            continue; /* one compare for the usual byte */
        if (c == '\r')
            break;
        return v1_bad_byte(c);
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

/* INCOMPLETE with `need` further bytes, unless the line could then no
 * longer fit in 107 bytes (proxyproto(7) section 2). `in` is how many
 * bytes of the line are in. */
static int more(proxyproto_header *hdr, size_t in, size_t need)
{
    if (in + need > PROXYPROTO_V1_MAX_LEN)
        return PROXYPROTO_ERR_V1_TOO_LONG;
    hdr->need = need;
    return PROXYPROTO_INCOMPLETE;
}

/* The rest of an UNKNOWN line from `from`: printable bytes up to the CRLF. */
static int unknown_line(proxyproto_header *hdr, const uint8_t *buf,
                        size_t limit, size_t from)
{
    /* Without a CR in the first 106 bytes the line is too long already. */
    size_t scan_to = limit < CR_LIMIT ? limit : CR_LIMIT, cr = scan_to;
    int err = scan_line(buf, from < scan_to ? from : scan_to, scan_to, &cr);

    if (err != 0)
        return err;
    if (cr == scan_to) /* "\r\n", or the rest of the shortest line */
        return more(hdr, scan_to, scan_to + 2 < SHORTEST_UNKNOWN ? SHORTEST_UNKNOWN - scan_to : 2);
    if (cr + 1 == limit)
        return more(hdr, limit, 1);
    if (buf[cr + 1] != '\n')
        return PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
    return complete(hdr, UNKNOWN, cr + 2);
}

/* Where to resume a TCP line that an earlier call read to last_len
 * (every byte before it right, proxyproto_parse()'s last_len): the field
 * that holds byte last_len - 1, and its offset in *at. The fields are
 * separated by single spaces, so the spaces before it say which. */
static int resume_field(const uint8_t *buf, size_t rest, size_t last_len,
                        size_t *at)
{
    const uint8_t *space;
    size_t i = rest;
    int k = SRC;

    /* Offsets from buf, each compared with last_len before the search:
     * the form the proof bounds (tests/prove/README.md); split on i, so
     * that memchr's span starts at one place in each state. */
    *at = rest;
    /*@ split i; */
    while (k < DPORT && i < last_len && (space = memchr(buf + i, ' ', last_len - i)) != NULL) {
        k++;
        i = (size_t)(space - buf) + 1;
        *at = i;
        /*@ split i; */
    }
    /*@ merge i; */
    return k;
}

/* Could the bytes before a field stopped at offset n (all of them right)
 * no longer become a line of 107 bytes? Then the line was too long before
 * the byte that stopped it (proxyproto(7) section 2), whatever that byte
 * says: every split of the input must give one answer. Only TCP6 lines
 * can be: the longest TCP4 line is 56 bytes. The answer a parse of
 * buf[0..n) would give, computed directly: that parse runs out in the
 * field that holds byte n, so the field read again to n gives its need,
 * and the fields after it theirs (after_field). No recursion, which the
 * proof (tests/prove/h_parse_v1.c) could not follow. Off the usual path. */
V1_NOINLINE static int too_long_before(const uint8_t *buf, size_t n,
                                       enum proto proto)
{
    const uint8_t *p, *end = buf + n;
    uint8_t scratch[16];
    uint16_t port;
    size_t at, need = 0;
    int k, rc;

    if (proto != TCP6 || n <= 11)
        return 0;
    k = resume_field(buf, 11, n, &at); /* the field that holds byte n */
    p = buf + at;
    if (k <= DST) {
        rc = ip_read_ipv6(&p, end, 1, scratch, &need);
        need += 1; /* the space */
    } else {
        rc = ip_read_port(&p, end, 1, &port, &need);
        need += k == DPORT ? 2 : 1; /* "\r\n" or the space */
    }
    return rc == PROXYPROTO_INCOMPLETE && p == end &&
           n + need + after_field[TCP6][k] > PROXYPROTO_V1_MAX_LEN;
}

/* The fields of a TCP4 / TCP6 line from field k at buf + at, up to
 * buf + limit. Inlined into tcp_line() once per protocol, so that each gets its own
 * readers. */
IP_INLINE int tcp_fields(proxyproto_header *hdr, const uint8_t *buf,
                         size_t limit, enum proto proto, int k, size_t at)
{
    const uint8_t *p = buf + at, *end = buf + limit;
    size_t need = 0;
    int rc;

    switch (k) {
    case SRC:
        if ((rc = address_field(&p, end, proto, &hdr->src, &need)) != 0)
            break;
        k = DST;
        /* fall through */
    case DST:
        if ((rc = address_field(&p, end, proto, &hdr->dst, &need)) != 0)
            break;
        k = SPORT;
        /* fall through */
    case SPORT:
        if ((rc = sport_field(&p, end, &hdr->src.port, &need)) != 0)
            break;
        k = DPORT;
        /* fall through */
    default:
        if ((rc = dport_field(&p, end, &hdr->dst.port, &need)) != 0)
            break;
        return tcp_complete(hdr, proto, (size_t)(p - buf));
    }
    if (rc == PROXYPROTO_INCOMPLETE && p == end) /* the bytes ran out */
        rc = more(hdr, limit, need + after_field[proto][k]);
    else if (too_long_before(buf, (size_t)(p - buf), proto))
        return PROXYPROTO_ERR_V1_TOO_LONG;
    else if (rc == PROXYPROTO_INCOMPLETE) /* a later byte decides */
        hdr->need = need;
    return rc;
}

IP_INLINE int tcp_line(proxyproto_header *hdr, const uint8_t *buf, size_t limit,
                       enum proto proto, int k, size_t at)
{
    return proto == TCP4 ? tcp_fields(hdr, buf, limit, TCP4, k, at)
                         : tcp_fields(hdr, buf, limit, TCP6, k, at);
}

PROXYPROTO__PRIVATE int proxyproto__parse_v1(proxyproto_header *hdr,
                                             const uint8_t *buf, size_t len,
                                             size_t last_len)
{
    size_t limit = len < PROXYPROTO_V1_MAX_LEN ? len : PROXYPROTO_V1_MAX_LEN;
    size_t rest, shortest, at = 0;
    enum proto proto = UNKNOWN;
    int k, err, rc;

    if ((rest = whole_word(buf, len)) != 0) {
        proto = word_proto(buf, rest);
    } else if ((err = check_word(buf, len, &proto, &rest, &shortest)) != 0) {
        return err == PROXYPROTO_INCOMPLETE ? incomplete(hdr, buf, len, shortest) : err;
    }
    if (proto == UNKNOWN)
        /* Bytes before last_len - 1 were judged by the earlier call; the
         * last of them may be a CR waiting for its LF. */
        return unknown_line(hdr, buf, limit, last_len > rest ? last_len - 1 : rest);
    if (last_len <= rest || (k = resume_field(buf, rest, last_len, &at)) == SRC)
        return tcp_line(hdr, buf, limit, proto, SRC, rest);
    /* Only the field the earlier call stopped in, and those after it, are
     * read again; when the line completes, the earlier fields are read
     * into hdr too (the earlier call's hdr may be another). */
    rc = tcp_line(hdr, buf, limit, proto, k, at);
    return rc > 0 ? tcp_line(hdr, buf, limit, proto, SRC, rest) : rc;
}
