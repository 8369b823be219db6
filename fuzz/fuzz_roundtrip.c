/* fuzz_roundtrip: headers built from fuzzer-chosen fields, written, parsed
 * back, written again.
 *
 * The input is a stream of choices (see struct src). The first picks a mode:
 *  - v1: proxyproto_write() of a version 1 header (any family, command,
 *    transport, addresses, ports): either PROXYPROTO_ERR_V1_CANNOT_ENCODE
 *    exactly when proxyproto(7) sections 2 and 6 cannot say it, or a line
 *    that parses back to the same addresses and ports and writes again to
 *    the same bytes;
 *  - v2: proxyproto_write() of a version 2 header (all families, command
 *    and transport nibbles, UNIX paths, a TLV area of fuzzer-chosen TLVs,
 *    well framed or not, with at most one CRC32C): the bytes are compared
 *    with a model written here from proxyproto(7) sections 3-4 (CRC32C by
 *    a bitwise reference), the parse of them with the result proxyproto(7)
 *    and tests/PARSER_RULES.md predict, and the parsed header writes again to
 *    the same bytes;
 *  - builder: the same header plus TLVs added one by one (plain, SSL with
 *    sub-TLVs, AWS, Azure, GCP, padding, CRC32C): every add call's result is
 *    predicted (sticky first error), and the finished header is compared
 *    byte for byte with the model, then parsed and written back;
 *  - ip text: proxyproto_format_ip() of any address, against inet_ntop()
 *    where RFC 5952 and glibc agree, and parsed back in a v1 line;
 *  - sockaddrs (first byte >= 0xF0): proxyproto_header_from_sockaddrs() of
 *    IPv4, IPv6, UNIX and unsupported ends, v1 and v2, written and parsed:
 *    proxyproto_sockaddr() gives the ends back (IPv4 mapped into IPv6 when
 *    the other end is IPv6; v1 UNKNOWN when the families differ).
 * Output buffers end at the buffer's capacity (an unreadable page in the
 * replay) and one byte short is refused with nothing written. */
#define _DEFAULT_SOURCE
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ------------------------------------------------------------------------
 * The stream of choices
 * ------------------------------------------------------------------------ */

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static unsigned u8(src *s)
{
    if (s->n == 0)
        return 0;
    s->n--;
    return *s->p++;
}

static unsigned u16(src *s)
{
    unsigned hi = u8(s);
    return hi << 8 | u8(s);
}

static uint32_t u32(src *s)
{
    uint32_t hi = u16(s);
    return hi << 16 | u16(s);
}

/* Up to n bytes of the input (they stay in the caller's memory, as the
 * builder requires); *got is how many there were. */
static const uint8_t *take(src *s, size_t n, size_t *got)
{
    const uint8_t *p = s->p;

    if (n > s->n)
        n = s->n;
    s->p += n;
    s->n -= n;
    *got = n;
    return p;
}

static void fill(src *s, uint8_t *out, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        out[i] = (uint8_t)u8(s);
}

/* A TLV type, biased towards the ones with rules. */
static uint8_t tlv_type(src *s)
{
    static const uint8_t known[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x20, 0x21,
                                    0x22, 0x28, 0x30, 0xE0, 0xEA, 0xEE, 0xF0};
    unsigned c = u8(s);

    return c < 2 * sizeof known ? known[c % sizeof known] : (uint8_t)u8(s);
}

/* ------------------------------------------------------------------------
 * Model: TLV rules (proxyproto(7) section 4, PARSER_RULES.md), in order
 * ------------------------------------------------------------------------ */

/* Well-framed, length-4 top-level CRC32C TLVs, walking as a receiver does
 * (stops at the first TLV that does not fit). */
static unsigned model_crcs(const uint8_t *a, size_t len, size_t *at)
{
    size_t off = 0;
    unsigned n = 0;

    while (off + 3 <= len) {
        size_t l = fuzz_be16(a + off + 1);
        if (l > len - off - 3)
            break;
        if (a[off] == PROXYPROTO_TLV_CRC32C && l == 4) {
            if (at != NULL && n == 0)
                *at = off + 3;
            n++;
        }
        off += 3 + l;
    }
    return n;
}

/* The receiver's verdict on the TLV area out[off..n) of the header
 * out[0..n) (proxyproto(7) sections 3-4, PARSER_RULES.md): walked in order,
 * first error wins. For LOCAL (local = 1) only a wrong, well-framed CRC32C
 * that the walk reaches rejects; any other error sets *ignore (the area is
 * dropped). */
static int model_area(const uint8_t *out, size_t n, size_t off, int local,
                      int *ignore)
{
    int err = 0;

    *ignore = 0;
    while (off < n) {
        size_t l;

        err = 0;
        if (n - off < 3) {
            err = PROXYPROTO_ERR_V2_TLV_TRUNCATED;
            goto framing;
        }
        l = fuzz_be16(out + off + 1);
        if (l > n - off - 3) {
            err = PROXYPROTO_ERR_V2_TLV_OVERRUN;
            goto framing;
        }
        switch (out[off]) {
        case PROXYPROTO_TLV_CRC32C:
            if (l != 4)
                err = PROXYPROTO_ERR_V2_CRC32C_LENGTH;
            else if (fuzz_header_crc(out, n, off + 3) != fuzz_be32(out + off + 3))
                err = PROXYPROTO_ERR_V2_CRC32C_MISMATCH;
            break;
        case PROXYPROTO_TLV_UNIQUE_ID:
            err = l > 128 ? PROXYPROTO_ERR_V2_UNIQUE_ID_TOO_LONG : 0;
            break;
        case PROXYPROTO_TLV_SSL:
            err = fuzz_model_ssl(out + off + 3, l);
            break;
        default:
            break;
        }
        if (err != 0 && (!local || err == PROXYPROTO_ERR_V2_CRC32C_MISMATCH))
            return err;
        if (err != 0)
            *ignore = 1;
        off += 3 + l;
    }
    return 0;

framing:
    if (!local)
        return err;
    *ignore = 1;
    return 0;
}

/* ------------------------------------------------------------------------
 * Headers
 * ------------------------------------------------------------------------ */

typedef struct hdr_in {
    proxyproto_header h;
    uint8_t paths[2][108];
    uint8_t area[1024];
} hdr_in;

static unsigned nibble_or_more(src *s)
{
    unsigned c = u8(s);
    /* Mostly a nibble; sometimes an out-of-range value. */
    return c >= 0xF8 ? c : c & 15;
}

/* A TLV area: well-framed TLVs, or raw bytes. */
static size_t make_area(src *s, uint8_t *area, size_t cap)
{
    unsigned c = u8(s), i, count = c & 7;
    size_t len = 0, got;
    const uint8_t *p;

    if (c & 0x80) { /* raw */
        p = take(s, u8(s) % 64, &got);
        memcpy(area, p, got);
        return got;
    }
    for (i = 0; i < count; i++) {
        uint8_t t = tlv_type(s);
        size_t want = t == PROXYPROTO_TLV_CRC32C ? (u8(s) < 240 ? 4 : 3)
                      : t == PROXYPROTO_TLV_UNIQUE_ID ? u8(s) % 140
                                                      : u8(s) % 48;
        if (len + 3 + want > cap)
            break;
        area[len] = t;
        area[len + 1] = (uint8_t)(want >> 8);
        area[len + 2] = (uint8_t)want;
        if (t == PROXYPROTO_TLV_CRC32C)
            memset(area + len + 3, 0, want);
        else
            fill(s, area + len + 3, want);
        len += 3 + want;
    }
    return len;
}

static void make_header(src *s, hdr_in *in, int version)
{
    proxyproto_header *h = &in->h;
    unsigned c = u8(s);

    memset(in, 0, sizeof *in);
    h->version = (uint8_t)version;
    if (version == 1) {
        static const uint8_t fam[] = {0, 1, 2, 1, 2, 3, 4};
        h->command = (c & 0x80) ? (uint8_t)(u8(s) & 3) : PROXYPROTO_CMD_PROXY;
        h->family = fam[(c & 0x7F) % sizeof fam];
        h->transport = (c & 0x40) ? (uint8_t)(u8(s) & 3) : PROXYPROTO_TRANSPORT_STREAM;
    } else {
        h->command = (uint8_t)nibble_or_more(s);
        h->family = (uint8_t)nibble_or_more(s);
        h->transport = (uint8_t)nibble_or_more(s);
    }
    h->has_addresses = (c & 0x20) ? 0 : 1;
    fill(s, h->src.ip.v6, 16);
    fill(s, h->dst.ip.v6, 16);
    h->src.port = (uint16_t)u16(s);
    h->dst.port = (uint16_t)u16(s);
    if (h->family == PROXYPROTO_AF_UNIX || (c & 0x10)) {
        size_t k, got;
        for (k = 0; k < 2; k++) {
            const uint8_t *p = take(s, u8(s) % 109, &got);
            memcpy(in->paths[k], p, got);
            /* Sometimes all 108 bytes used (no NUL), sometimes NULL. */
            if (got == 108 || (c & 0x08) == 0) {
                (k ? &h->dst : &h->src)->path = in->paths[k];
                (k ? &h->dst : &h->src)->path_len = strnlen((char *)in->paths[k], 108);
            }
        }
    }
    if (version == 2 && (c & 0x04)) {
        h->tlvs_len = make_area(s, in->area, sizeof in->area);
        h->tlvs = in->area;
    } else if (version == 1 && (c & 0x02)) {
        h->tlvs = in->area;
        h->tlvs_len = u8(s) & 1;
    }
}

/* What proxyproto_write() / the builder's finish must say about the header
 * part, with `extra` bytes of entries after hdr->tlvs (write_v2.c's rules,
 * from proxyproto(7) section 3: each of command/family/transport one nibble; a
 * PROXY header of an address family carries its block; with no block there is
 * nothing after it; at most one CRC32C). */
static int model_v2_check(const proxyproto_header *h, size_t extra, unsigned crcs)
{
    int ipunix = h->family >= 1 && h->family <= 3;

    if (h->command > 15 || h->family > 15 || h->transport > 15)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (h->tlvs == NULL && h->tlvs_len != 0)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (crcs > 1)
        return PROXYPROTO_ERR_CRC32C_TWICE;
    if (ipunix && !h->has_addresses &&
        (h->command == PROXYPROTO_CMD_PROXY || h->tlvs_len != 0 || extra != 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    return 0;
}

/* The fixed part and the address block, as proxyproto(7) section 3 lays them
 * out. */
static size_t model_head(uint8_t *out, const proxyproto_header *h, size_t total)
{
    size_t block = h->has_addresses ? fuzz_block_len(h->family) : 0, k;
    uint8_t *b = out + 16;

    memcpy(out, "\r\n\r\n\0\r\nQUIT\n", 12);
    out[12] = (uint8_t)(0x20 | h->command);
    out[13] = (uint8_t)(h->family << 4 | h->transport);
    out[14] = (uint8_t)((total - 16) >> 8);
    out[15] = (uint8_t)(total - 16);
    if (block == 12 || block == 36) {
        size_t a = block == 12 ? 4 : 16;
        memcpy(b, h->src.ip.v6, a);
        memcpy(b + a, h->dst.ip.v6, a);
        b[2 * a] = (uint8_t)(h->src.port >> 8);
        b[2 * a + 1] = (uint8_t)h->src.port;
        b[2 * a + 2] = (uint8_t)(h->dst.port >> 8);
        b[2 * a + 3] = (uint8_t)h->dst.port;
    } else if (block == 216) {
        for (k = 0; k < 2; k++) {
            const proxyproto_addr *a = k ? &h->dst : &h->src;
            if (a->path != NULL)
                memcpy(b + 108 * k, a->path, 108);
            else
                memset(b + 108 * k, 0, 108);
        }
    }
    return 16 + block;
}

/* Seals the model's CRC32C: the value at off (4 bytes) of out[0..n). */
static void model_seal(uint8_t *out, size_t n, size_t off)
{
    uint32_t c;

    memset(out + off, 0, 4);
    c = fuzz_ref_crc32c(0, out, n);
    out[off] = (uint8_t)(c >> 24);
    out[off + 1] = (uint8_t)(c >> 16);
    out[off + 2] = (uint8_t)(c >> 8);
    out[off + 3] = (uint8_t)c;
}

/* Parses the written bytes and checks the result proxyproto(7) predicts for
 * the header `in` whose TLV area (hdr->tlvs and any builder entries) is
 * out[area_off..n). Then writes the parse again: same bytes when nothing
 * was dropped. */
static void check_parse_back(const proxyproto_header *in, const uint8_t *out,
                             size_t n, size_t area_off)
{
    proxyproto_header p;
    int r = proxyproto_parse(&p, out, n, 0), want, area_err = 0, ignore = 0;
    size_t block = fuzz_block_len(in->family), k;
    int has = in->family >= 1 && in->family <= 3 && in->has_addresses;
    int local = in->command == PROXYPROTO_CMD_LOCAL;
    /* LOCAL without a known block: the whole len is skipped, no TLVs. */
    int skipped = local && (in->family > 3 || (in->family >= 1 && !in->has_addresses));
    int dropped = 0;

    fuzz_check_result(&p, out, n, r);
    if (in->command <= 1 && !skipped)
        area_err = model_area(out, n, area_off, local, &ignore);
    if (in->command > 1)
        want = PROXYPROTO_ERR_V2_BAD_COMMAND;
    else if (!local && in->family > 3)
        want = PROXYPROTO_ERR_V2_BAD_FAMILY;
    else if (!local && in->transport > 2)
        want = PROXYPROTO_ERR_V2_BAD_TRANSPORT;
    else if (area_err != 0)
        want = area_err;
    else
        want = (int)n;
    FUZZ_CHECK(r == want, "parse of the written header gave %d (%s), want %d (%s): %s",
               r, proxyproto_error_name(r), want, proxyproto_error_name(want),
               fuzz_hex(out, n));
    if (r < 0)
        return;
    FUZZ_CHECK(p.version == 2 && p.command == in->command && p.family == in->family &&
                   p.transport == in->transport && p.has_addresses == has,
               "parsed fields differ from the written ones");
    if (skipped || ignore) {
        /* LOCAL: no known block, or a malformed area: TLVs ignored. */
        FUZZ_CHECK(p.tlvs == NULL && p.tlvs_len == 0, "LOCAL kept a TLV area it must ignore");
        dropped = n > 16 + (has ? block : 0);
    } else {
        FUZZ_CHECK(p.tlvs == out + area_off && p.tlvs_len == n - area_off,
                   "TLV area at %td len %zu, want %zu len %zu", p.tlvs - out,
                   p.tlvs_len, area_off, n - area_off);
    }
    if (has && in->family == PROXYPROTO_AF_UNIX) {
        for (k = 0; k < 2; k++) {
            const proxyproto_addr *a = k ? &in->dst : &in->src, *b = k ? &p.dst : &p.src;
            static const uint8_t zero[108];
            const uint8_t *want_path = a->path != NULL ? a->path : zero;
            FUZZ_CHECK(memcmp(b->path, want_path, 108) == 0, "UNIX path changed");
            FUZZ_CHECK(b->path_len == strnlen((const char *)want_path, 108),
                       "UNIX path_len %zu", b->path_len);
        }
    } else if (has) {
        size_t al = in->family == PROXYPROTO_AF_INET ? 4 : 16;
        FUZZ_CHECK(memcmp(p.src.ip.v6, in->src.ip.v6, al) == 0 &&
                       memcmp(p.dst.ip.v6, in->dst.ip.v6, al) == 0 &&
                       p.src.port == in->src.port && p.dst.port == in->dst.port,
                   "addresses changed");
    }
    /* Written again. */
    {
        int m = proxyproto_write_size(&p), w;
        uint8_t *again;

        FUZZ_CHECK(m > 0, "write_size of the parse: %s", proxyproto_error_name(m));
        again = fuzz_buf(3, (size_t)m);
        w = proxyproto_write(again, (size_t)m, &p);
        FUZZ_CHECK(w == m, "rewrite gave %s", proxyproto_error_name(w));
        if (!dropped)
            FUZZ_CHECK((size_t)w == n && memcmp(again, out, n) == 0,
                       "parse + write changed the bytes: %s", fuzz_hex(out, n));
        fuzz_buf_release(again);
    }
}

/* Writes with cap one short (refused, untouched), then exactly. */
static int write_exact(const proxyproto_header *h, uint8_t **outp, int size)
{
    uint8_t *out = fuzz_buf(1, (size_t)size);
    int r;
    size_t i;

    if (size > 1) {
        memset(out, 0x5A, (size_t)size);
        r = proxyproto_write(out + 1, (size_t)size - 1, h);
        FUZZ_CHECK(r == PROXYPROTO_ERR_BUFFER_TOO_SMALL, "short write gave %s",
                   proxyproto_error_name(r));
        for (i = 0; i < (size_t)size; i++)
            FUZZ_CHECK(out[i] == 0x5A, "refused write wrote byte %zu", i);
    }
    r = proxyproto_write(out, (size_t)size, h);
    FUZZ_CHECK(r == size, "write gave %d (%s), write_size %d", r,
               proxyproto_error_name(r), size);
    *outp = out;
    return r;
}

/* ------------------------------------------------------------------------
 * Modes
 * ------------------------------------------------------------------------ */

static void mode_v1(src *s)
{
    hdr_in in;
    proxyproto_header *h = &in.h, p;
    uint8_t *out;
    int size, want, r, ok;
    size_t al;

    make_header(s, &in, 1);
    ok = h->tlvs_len == 0 &&
         ((h->family == 0 && h->command <= 1) ||
          ((h->family == 1 || h->family == 2) && h->command == 1 && h->has_addresses &&
           (h->transport == 0 || h->transport == 1)));
    want = ok ? 0 : PROXYPROTO_ERR_V1_CANNOT_ENCODE;
    size = proxyproto_write_size(h);
    if (!ok) {
        uint8_t buf[PROXYPROTO_V1_MAX_LEN];
        FUZZ_CHECK(size == want, "v1 write_size %d (%s), want %s", size,
                   proxyproto_error_name(size), proxyproto_error_name(want));
        r = proxyproto_write(buf, sizeof buf, h);
        FUZZ_CHECK(r == want, "v1 write gave %s, want %s", proxyproto_error_name(r),
                   proxyproto_error_name(want));
        return;
    }
    FUZZ_CHECK(size >= 15 && size <= PROXYPROTO_V1_MAX_LEN, "v1 write_size %d (%s)",
               size, proxyproto_error_name(size));
    write_exact(h, &out, size);
    r = proxyproto_parse(&p, out, (size_t)size, 0);
    FUZZ_CHECK(r == size, "v1 line \"%.*s\" parsed to %s", size, (char *)out,
               proxyproto_error_name(r));
    fuzz_check_success(&p, out, (size_t)size, r);
    FUZZ_CHECK(p.family == h->family, "v1 family changed");
    if (h->family != 0) {
        al = h->family == 1 ? 4 : 16;
        FUZZ_CHECK(memcmp(p.src.ip.v6, h->src.ip.v6, al) == 0 &&
                       memcmp(p.dst.ip.v6, h->dst.ip.v6, al) == 0 &&
                       p.src.port == h->src.port && p.dst.port == h->dst.port,
                   "v1 line \"%.*s\" changed the addresses", size, (char *)out);
    } else {
        FUZZ_CHECK(size == 15 && memcmp(out, "PROXY UNKNOWN\r\n", 15) == 0,
                   "UNSPEC wrote \"%.*s\"", size, (char *)out);
    }
    {
        uint8_t again[PROXYPROTO_V1_MAX_LEN];
        int w = proxyproto_write(again, sizeof again, &p);
        FUZZ_CHECK(w == size && memcmp(again, out, (size_t)size) == 0,
                   "v1 parse + write changed \"%.*s\"", size, (char *)out);
    }
    fuzz_buf_release(out);
}

static void mode_v2(src *s)
{
    hdr_in in;
    proxyproto_header *h = &in.h;
    uint8_t *out, model[16 + 216 + sizeof in.area];
    size_t crc_at = 0, head;
    unsigned crcs;
    int size, want;

    make_header(s, &in, 2);
    crcs = model_crcs(h->tlvs, h->tlvs != NULL ? h->tlvs_len : 0, &crc_at);
    want = model_v2_check(h, 0, crcs);
    size = proxyproto_write_size(h);
    if (want != 0) {
        uint8_t buf[64];
        int r = proxyproto_write(buf, sizeof buf, h);
        FUZZ_CHECK(size == want && r == want, "v2 write_size %s, write %s, want %s",
                   proxyproto_error_name(size), proxyproto_error_name(r),
                   proxyproto_error_name(want));
        return;
    }
    head = (h->has_addresses ? fuzz_block_len(h->family) : 0) + 16;
    FUZZ_CHECK(size == (int)(head + h->tlvs_len), "v2 write_size %d (%s), want %zu",
               size, proxyproto_error_name(size), head + h->tlvs_len);
    write_exact(h, &out, size);
    model_head(model, h, (size_t)size);
    if (h->tlvs_len)
        memcpy(model + head, h->tlvs, h->tlvs_len);
    if (crcs == 1)
        model_seal(model, (size_t)size, head + crc_at);
    FUZZ_CHECK(memcmp(out, model, (size_t)size) == 0, "v2 bytes %s differ from the model",
               fuzz_hex(out, (size_t)size));
    check_parse_back(h, out, (size_t)size, head);
    fuzz_buf_release(out);
}

/* ------------------------------------------------------------------------
 * Builder
 * ------------------------------------------------------------------------ */

enum { K_PLAIN, K_SSL, K_SUB, K_PAD, K_CRC };

typedef struct entry {
    int kind;
    uint8_t type;
    uint8_t inl[8];
    size_t inl_len;
    const uint8_t *value;
    size_t len;
    unsigned align;
} entry;

static size_t entry_min(const entry *e)
{
    return e->kind == K_PAD ? 3 : 3 + e->inl_len + e->len;
}

/* Writes the model of the entries at out + off (total header n bytes). */
static size_t model_entries(uint8_t *out, size_t off, const entry *e, unsigned count,
                            const size_t *pad)
{
    unsigned i, j;

    for (i = 0; i < count; i++) {
        size_t len = e[i].inl_len + e[i].len;
        if (e[i].kind == K_PAD) {
            len = pad[i] - 3;
            memset(out + off + 3, 0, len);
        } else {
            memcpy(out + off + 3, e[i].inl, e[i].inl_len);
            if (e[i].len)
                memcpy(out + off + 3 + e[i].inl_len, e[i].value, e[i].len);
        }
        out[off] = e[i].type;
        if (e[i].kind == K_SSL) { /* its value runs over its subs */
            size_t v = len;
            for (j = i + 1; j < count && e[j].kind == K_SUB; j++)
                v += entry_min(&e[j]);
            out[off + 1] = (uint8_t)(v >> 8);
            out[off + 2] = (uint8_t)v;
        } else {
            out[off + 1] = (uint8_t)(len >> 8);
            out[off + 2] = (uint8_t)len;
        }
        off += 3 + len;
    }
    return off;
}

/* A long value (the builder keeps a pointer to it) of printable ASCII, so
 * AWS ids qualify too, with a length near one of the limits: a TLV's 65535
 * bytes, an SSL TLV holding its subs, the header's 65551. Rare (a header
 * this long costs a thousand short ones). */
static uint8_t big[65536 + 16];

static const uint8_t *big_value(src *s, size_t *len)
{
    unsigned c = u8(s), k = u8(s);

    if (big[0] == 0)
        memset(big, 'A', sizeof big);
    switch (c % 6) {
    case 0: *len = 65536; break;
    case 1: *len = 65535 - k % 4; break;
    case 2: *len = 65535 - 5 - 3 - k; break;
    case 3: *len = 65535 - 36 - 3 - k; break;
    case 4: *len = 65535 - 216 - 3 - k; break;
    default: *len = 32768 + k; break;
    }
    return big;
}

/* Whether a header part hdr with `extra` bytes of entries is over 65551
 * bytes, as an add reports it (write_v2.c: only once the header part
 * itself is valid; paddings at their minimum). */
static int too_long(const proxyproto_header *h, size_t extra, unsigned hcrcs)
{
    size_t block = h->has_addresses ? fuzz_block_len(h->family) : 0;

    if (model_v2_check(h, extra, hcrcs) != 0)
        return 0;
    return h->tlvs_len > 65535 || extra > 65535 || block + h->tlvs_len + extra > 65535;
}

static void mode_builder(src *s)
{
    static uint8_t model[PROXYPROTO_V2_MAX_LEN];
    hdr_in in;
    proxyproto_header *h = &in.h;
    proxyproto_builder b;
    entry e[PROXYPROTO_BUILDER_MAX];
    size_t pad[PROXYPROTO_BUILDER_MAX], extra = 0, head, total, crc_at = 0, off;
    unsigned count = 0, crcs, hcrcs, ops = 0, i, bigs = 0;
    int err = 0, r, size, want;

    make_header(s, &in, 2);
    proxyproto_builder_init(&b, h);
    crcs = hcrcs = model_crcs(h->tlvs, h->tlvs != NULL ? h->tlvs_len : 0, NULL);
    while (s->n > 0 && ops++ < 40) {
        unsigned op = u8(s) % 10;
        entry ne;
        int expect = 0;
        size_t got;

        memset(&ne, 0, sizeof ne);
        ne.kind = K_PLAIN;
        switch (op) {
        case 0: case 1:
            ne.type = tlv_type(s);
            if (op == 1 && u8(s) >= 0xFC && !bigs++) {
                ne.value = big_value(s, &ne.len);
                if (ne.len > 65535)
                    expect = PROXYPROTO_ERR_TLV_TOO_LONG;
            } else {
                ne.value = take(s, ne.type == PROXYPROTO_TLV_CRC32C ? 4 : u8(s) % 40, &ne.len);
            }
            r = proxyproto_builder_add(&b, ne.type, ne.len ? ne.value : NULL, ne.len);
            break;
        case 2:
            ne.kind = K_SSL;
            ne.type = PROXYPROTO_TLV_SSL;
            ne.inl[0] = (uint8_t)u8(s);
            {
                uint32_t v = u32(s);
                ne.inl[1] = (uint8_t)(v >> 24);
                ne.inl[2] = (uint8_t)(v >> 16);
                ne.inl[3] = (uint8_t)(v >> 8);
                ne.inl[4] = (uint8_t)v;
                ne.inl_len = 5;
                r = proxyproto_builder_add_ssl(&b, ne.inl[0], v);
            }
            break;
        case 3: case 4:
            ne.kind = K_SUB;
            ne.type = (uint8_t)(0x21 + u8(s) % 9);
            if (u8(s) >= 0xFC && !bigs++)
                ne.value = big_value(s, &ne.len);
            else
                ne.value = take(s, u8(s) % 40, &ne.len);
            if (count == 0 || (e[count - 1].kind != K_SSL && e[count - 1].kind != K_SUB)) {
                expect = PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL;
            } else {
                /* The SSL TLV's own 16-bit length must hold all its subs. */
                size_t v = 0;
                for (i = count; i-- > 0 && e[i].kind == K_SUB;)
                    v += entry_min(&e[i]);
                if (ne.len > 65535 || 5 + v + 3 + ne.len > 65535)
                    expect = PROXYPROTO_ERR_TLV_TOO_LONG;
            }
            r = proxyproto_builder_add_ssl_sub(&b, ne.type, ne.len ? ne.value : NULL, ne.len);
            break;
        case 5:
            ne.type = PROXYPROTO_TLV_AWS;
            ne.inl[0] = 0x01;
            ne.inl_len = 1;
            if (u8(s) >= 0xFC && !bigs++) {
                /* Around the id's limit of 65534 bytes; the longest
                 * accepted one is rare (the library checks every byte). */
                unsigned k = u8(s);
                ne.value = big;
                ne.len = k % 8 == 0 ? 65534 : 65535 + (k & 1);
                big_value(s, &got); /* fills big */
            } else {
                ne.value = take(s, u8(s) % 32, &ne.len);
            }
            for (got = 0; ne.value != big && got < ne.len; got++)
                if (ne.value[got] < 0x20 || ne.value[got] > 0x7E)
                    expect = PROXYPROTO_ERR_INVALID_ARGUMENT;
            if (ne.len > 65534)
                expect = PROXYPROTO_ERR_TLV_TOO_LONG;
            if (ne.len == 0)
                expect = PROXYPROTO_ERR_INVALID_ARGUMENT;
            r = proxyproto_builder_add_aws_vpce_id(&b, (const char *)ne.value, ne.len);
            break;
        case 6: {
            uint32_t id = u32(s);
            ne.type = PROXYPROTO_TLV_AZURE;
            ne.inl[0] = 0x01;
            ne.inl[1] = (uint8_t)id;
            ne.inl[2] = (uint8_t)(id >> 8);
            ne.inl[3] = (uint8_t)(id >> 16);
            ne.inl[4] = (uint8_t)(id >> 24);
            ne.inl_len = 5;
            r = proxyproto_builder_add_azure_linkid(&b, id);
            break;
        }
        case 7: {
            uint64_t id = (uint64_t)u32(s) << 32 | u32(s);
            ne.type = PROXYPROTO_TLV_GCP;
            for (got = 0; got < 8; got++)
                ne.inl[got] = (uint8_t)(id >> (56 - 8 * got));
            ne.inl_len = 8;
            r = proxyproto_builder_add_gcp_psc_id(&b, id);
            break;
        }
        case 8:
            ne.kind = K_PAD;
            ne.type = PROXYPROTO_TLV_NOOP;
            ne.align = u8(s);
            if (ne.align == 255)
                ne.align = 256 + (u8(s) & 1); /* 256 is fine, 257 is not */
            if (ne.align == 0 || ne.align > 256)
                expect = PROXYPROTO_ERR_INVALID_ARGUMENT;
            r = proxyproto_builder_add_padding(&b, ne.align);
            break;
        default:
            ne.kind = K_CRC;
            ne.type = PROXYPROTO_TLV_CRC32C;
            ne.inl_len = 4;
            r = proxyproto_builder_add_crc32c(&b);
            break;
        }
        /* The predicted result: the sticky error, the call's own argument
         * error, a full builder, then a second CRC32C. */
        if (err != 0)
            expect = err;
        else if (expect == 0 && count == PROXYPROTO_BUILDER_MAX)
            expect = PROXYPROTO_ERR_BUILDER_FULL;
        else if (expect == 0 && ne.kind != K_SUB && ne.type == PROXYPROTO_TLV_CRC32C &&
                 crcs + (entry_min(&ne) == 7) > 1)
            expect = PROXYPROTO_ERR_CRC32C_TWICE; /* hdr->tlvs may hold two */
        else if (expect == 0 && too_long(h, extra + entry_min(&ne), hcrcs))
            expect = PROXYPROTO_ERR_HEADER_TOO_LONG; /* reported by the add */
        FUZZ_CHECK(r == expect, "builder op %u (type 0x%02x, %zu bytes) gave %s, want %s",
                   op, ne.type, ne.len, proxyproto_error_name(r),
                   proxyproto_error_name(expect));
        if (err == 0 && r != 0)
            err = r;
        if (r == 0) {
            e[count++] = ne;
            extra += entry_min(&ne);
            crcs += ne.kind != K_SUB && ne.type == PROXYPROTO_TLV_CRC32C &&
                    entry_min(&ne) == 7;
        }
    }

    size = proxyproto_builder_size(&b);
    /* builder.c's layout(): the header part alone, the CRC32C count, the
     * total with paddings at 3 bytes, then the header part with its
     * entries. */
    head = 16 + (h->has_addresses ? fuzz_block_len(h->family) : 0);
    if (err != 0)
        want = err;
    else if ((want = model_v2_check(h, 0, crcs)) != 0)
        ;
    else if (head + h->tlvs_len + extra > PROXYPROTO_V2_MAX_LEN)
        want = PROXYPROTO_ERR_HEADER_TOO_LONG;
    else
        want = model_v2_check(h, extra, crcs);
    if (want != 0) {
        uint8_t buf[8];
        r = proxyproto_builder_finish(&b, buf, sizeof buf);
        FUZZ_CHECK(size == want && r == want, "builder size %s, finish %s, want %s",
                   proxyproto_error_name(size), proxyproto_error_name(r),
                   proxyproto_error_name(want));
        return;
    }
    /* Paddings (builder.c): in order, each grows the header to a multiple
     * of its align, later ones counted at their 3-byte minimum. */
    head = 16 + (h->has_addresses ? fuzz_block_len(h->family) : 0);
    total = head + h->tlvs_len + extra;
    for (i = 0; i < count; i++) {
        size_t grow;
        if (e[i].kind != K_PAD)
            continue;
        grow = (e[i].align - total % e[i].align) % e[i].align;
        pad[i] = 3 + grow;
        total += grow;
    }
    if (total > PROXYPROTO_V2_MAX_LEN) {
        uint8_t buf[8];
        r = proxyproto_builder_finish(&b, buf, sizeof buf);
        FUZZ_CHECK(size == PROXYPROTO_ERR_HEADER_TOO_LONG && r == size,
                   "paddings grew the header to %zu: size %s, finish %s", total,
                   proxyproto_error_name(size), proxyproto_error_name(r));
        return;
    }
    FUZZ_CHECK(size == (int)total, "builder size %d (%s), model %zu", size,
               proxyproto_error_name(size), total);
    for (i = count; i-- > 0;)
        if (e[i].kind == K_PAD) {
            FUZZ_CHECK(total % e[i].align == 0, "last padding (align %u) leaves %zu",
                       e[i].align, total);
            break;
        }
    {
        uint8_t *out = fuzz_buf(1, total);
        size_t k;

        if (total > 1) {
            memset(out, 0x5A, total);
            r = proxyproto_builder_finish(&b, out + 1, total - 1);
            FUZZ_CHECK(r == PROXYPROTO_ERR_BUFFER_TOO_SMALL, "short finish gave %s",
                       proxyproto_error_name(r));
            for (k = 0; k < total; k++)
                FUZZ_CHECK(out[k] == 0x5A, "refused finish wrote byte %zu", k);
        }
        r = proxyproto_builder_finish(&b, out, total);
        FUZZ_CHECK(r == (int)total, "finish gave %d (%s)", r, proxyproto_error_name(r));
        model_head(model, h, total);
        if (h->tlvs_len)
            memcpy(model + head, h->tlvs, h->tlvs_len);
        off = model_entries(model, head + h->tlvs_len, e, count, pad);
        FUZZ_CHECK(off == total, "model length %zu, total %zu", off, total);
        /* The one CRC32C, where a walk of each part finds it. */
        if (model_crcs(model + head, h->tlvs_len, &crc_at) == 1)
            model_seal(model, total, head + crc_at);
        else if (model_crcs(model + head + h->tlvs_len, total - head - h->tlvs_len, &crc_at) == 1)
            model_seal(model, total, head + h->tlvs_len + crc_at);
        FUZZ_CHECK(memcmp(out, model, total) == 0,
                   "builder bytes differ from the model: %s", fuzz_hex(out, total));
        /* Finish is repeatable. */
        {
            uint8_t *again = fuzz_buf(2, total);
            FUZZ_CHECK(proxyproto_builder_finish(&b, again, total) == (int)total &&
                           memcmp(again, out, total) == 0,
                       "second finish differs");
            fuzz_buf_release(again);
        }
        check_parse_back(h, out, total, head);
        fuzz_buf_release(out);
    }
}

/* ------------------------------------------------------------------------
 * IP text
 * ------------------------------------------------------------------------ */

/* proxyproto_format_ip4() or _ip6() by the header family. */
static int fmt_ip(char *out, size_t cap, int fam, const uint8_t *ip)
{
    return fam == PROXYPROTO_AF_INET ? proxyproto_format_ip4(out, cap, ip)
                                     : proxyproto_format_ip6(out, cap, ip);
}

static void mode_ip(src *s)
{
    uint8_t ip[16], back[16];
    char text[PROXYPROTO_IP_STRLEN], ref[INET6_ADDRSTRLEN], line[128];
    int fam = (u8(s) & 1) ? PROXYPROTO_AF_INET6 : PROXYPROTO_AF_INET, n, m, k;
    size_t al = fam == PROXYPROTO_AF_INET ? 4 : 16, cap;
    proxyproto_header h;

    fill(s, ip, 16);
    /* Zero runs are what RFC 5952 is about: let the input make them. */
    for (k = 0; k < 8; k++)
        if (ip[2 * k] == 0xAA) {
            ip[2 * k] = 0;
            ip[2 * k + 1] = 0;
        }
    n = fmt_ip(text, sizeof text, fam, ip);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof text && text[n] == '\0' &&
                   strlen(text) == (size_t)n,
               "format_ip gave %d", n);
    /* Into exactly n + 1 bytes (an unreadable page after them in the
     * replay); one byte short: refused, untouched. */
    {
        uint8_t *g = fuzz_buf(1, (size_t)n + 1);
        size_t i;

        cap = (size_t)n;
        memset(g, 0x5A, cap + 1);
        m = fmt_ip((char *)g + 1, cap, fam, ip);
        FUZZ_CHECK(m == PROXYPROTO_ERR_BUFFER_TOO_SMALL, "format_ip into %zu gave %d",
                   cap, m);
        for (i = 0; i <= cap; i++)
            FUZZ_CHECK(g[i] == 0x5A, "refused format_ip wrote byte %zu", i);
        m = fmt_ip((char *)g, cap + 1, fam, ip);
        FUZZ_CHECK(m == n && memcmp(g, text, cap + 1) == 0,
                   "format_ip into an exact buffer gave %d", m);
        fuzz_buf_release(g);
    }
    FUZZ_CHECK(inet_ntop(fam == PROXYPROTO_AF_INET ? AF_INET : AF_INET6, ip, ref,
                         sizeof ref) != NULL,
               "inet_ntop");
    /* glibc writes ::a.b.c.d for the deprecated IPv4-compatible ::/96; RFC
     * 5952 (and proxyproto(7) section 6) keep a dotted tail for
     * ::ffff:0:0/96 only. */
    {
        static const uint8_t z[12];
        int compat = fam == PROXYPROTO_AF_INET6 && memcmp(ip, z, 12) == 0 &&
                     (ip[12] | ip[13]) != 0;
        if (!compat)
            FUZZ_CHECK(strcmp(text, ref) == 0, "format_ip \"%s\", inet_ntop \"%s\"",
                       text, ref);
    }
    FUZZ_CHECK(inet_pton(fam == PROXYPROTO_AF_INET ? AF_INET : AF_INET6, text, back) == 1 &&
                   memcmp(back, ip, al) == 0,
               "\"%s\" does not read back", text);
    /* And through a v1 line. */
    m = snprintf(line, sizeof line, "PROXY %s %s %s 1 2\r\n",
                 fam == PROXYPROTO_AF_INET ? "TCP4" : "TCP6", text, text);
    k = proxyproto_parse(&h, line, (size_t)m, 0);
    FUZZ_CHECK(k == m && memcmp(h.src.ip.v6, ip, al) == 0 && memcmp(h.dst.ip.v6, ip, al) == 0,
               "\"%s\" in a v1 line gave %s", text, proxyproto_error_name(k));
}

/* ------------------------------------------------------------------------
 * Socket addresses: proxyproto_header_from_sockaddrs() (proxyproto(7)
 * section 6), then write, parse, and proxyproto_sockaddr() gives the
 * addresses back
 * ------------------------------------------------------------------------ */

static int make_sockaddr(src *s, struct sockaddr_storage *ss)
{
    static const int fams[] = {AF_INET, AF_INET6, AF_UNIX, AF_INET, AF_INET6, AF_UNSPEC};
    int af = fams[u8(s) % 6];

    memset(ss, 0, sizeof *ss);
    if (af == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)u16(s));
        fill(s, (uint8_t *)&sin->sin_addr, 4);
        return PROXYPROTO_AF_INET;
    }
    if (af == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)u16(s));
        fill(s, (uint8_t *)&sin6->sin6_addr, 16);
        return PROXYPROTO_AF_INET6;
    }
    if (af == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        size_t got;
        const uint8_t *p = take(s, u8(s) % 109, &got);
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, p, got);
        return PROXYPROTO_AF_UNIX;
    }
    ss->ss_family = (sa_family_t)(u8(s) | 0x100); /* no such family */
    return -1;
}

/* The address an end must come back as: IPv4 mapped into IPv6 when the
 * other end is IPv6 (v2, as HAProxy does). */
static void check_end(const struct sockaddr_storage *in, int fam, int hfam,
                      const proxyproto_header *h, int which)
{
    struct sockaddr_storage out;
    int n = proxyproto_sockaddr(h, which, &out);

    FUZZ_CHECK(n > 0, "proxyproto_sockaddr: %s", proxyproto_error_name(n));
    if (fam == PROXYPROTO_AF_INET && hfam == PROXYPROTO_AF_INET) {
        const struct sockaddr_in *a = (const void *)in, *b = (const void *)&out;
        FUZZ_CHECK(n == (int)sizeof *b && b->sin_family == AF_INET &&
                       a->sin_port == b->sin_port &&
                       memcmp(&a->sin_addr, &b->sin_addr, 4) == 0,
                   "IPv4 end changed");
    } else if (fam == PROXYPROTO_AF_INET) {
        static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        const struct sockaddr_in *a = (const void *)in;
        const struct sockaddr_in6 *b = (const void *)&out;
        FUZZ_CHECK(n == (int)sizeof *b && b->sin6_family == AF_INET6 &&
                       a->sin_port == b->sin6_port &&
                       memcmp(&b->sin6_addr, pre, 12) == 0 &&
                       memcmp((const uint8_t *)&b->sin6_addr + 12, &a->sin_addr, 4) == 0,
                   "IPv4 end not mapped to ::ffff:a.b.c.d");
    } else if (fam == PROXYPROTO_AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)in, *b = (const void *)&out;
        FUZZ_CHECK(n == (int)sizeof *b && b->sin6_family == AF_INET6 &&
                       a->sin6_port == b->sin6_port &&
                       memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0,
                   "IPv6 end changed");
    } else {
        const struct sockaddr_un *a = (const void *)in, *b = (const void *)&out;
        size_t len = strnlen(a->sun_path, 108), want = len ? len : 108;
        FUZZ_CHECK(b->sun_family == AF_UNIX &&
                       n == (int)(offsetof(struct sockaddr_un, sun_path) + want) &&
                       memcmp(a->sun_path, b->sun_path, want) == 0,
                   "UNIX end changed (%d bytes, path_len %zu)", n, len);
    }
}

static void mode_sockaddr(src *s)
{
    struct sockaddr_storage sa, da;
    proxyproto_header h, p;
    int version = (u8(s) & 1) + 1, tsel = u8(s) % 5;
    int transport = tsel < 3 ? PROXYPROTO_TRANSPORT_STREAM
                    : tsel == 3 ? PROXYPROTO_TRANSPORT_DGRAM : (int)u8(s);
    int sf = make_sockaddr(s, &sa), df = make_sockaddr(s, &da), want, r, n;
    uint8_t *out;

    if (transport != PROXYPROTO_TRANSPORT_STREAM &&
        (version == 1 || transport != PROXYPROTO_TRANSPORT_DGRAM))
        want = PROXYPROTO_ERR_INVALID_ARGUMENT;
    else if (sf < 0 || df < 0)
        want = PROXYPROTO_ERR_UNSUPPORTED_SOCKADDR;
    else if (version == 2 && sf != df && (sf == PROXYPROTO_AF_UNIX || df == PROXYPROTO_AF_UNIX))
        want = PROXYPROTO_ERR_FAMILY_MIXED;
    else
        want = 0;
    memset(&h, 0x5A, sizeof h);
    r = proxyproto_header_from_sockaddrs(&h, version, transport,
                                         (struct sockaddr *)&sa, (struct sockaddr *)&da);
    FUZZ_CHECK(r == want, "header_from_sockaddrs gave %s, want %s",
               proxyproto_error_name(r), proxyproto_error_name(want));
    if (r != 0)
        return;
    n = proxyproto_write_size(&h);
    FUZZ_CHECK(n > 0, "write_size: %s", proxyproto_error_name(n));
    write_exact(&h, &out, n);
    r = proxyproto_parse(&p, out, (size_t)n, 0);
    FUZZ_CHECK(r == n, "parse of the written header: %s", proxyproto_error_name(r));
    fuzz_check_success(&p, out, (size_t)n, r);
    if (version == 1 && (sf != df || sf == PROXYPROTO_AF_UNIX)) {
        /* proxyproto(7) section 6: v1 says UNKNOWN unless both ends are IPv4
         * or IPv6. */
        FUZZ_CHECK(p.family == PROXYPROTO_AF_UNSPEC && !p.has_addresses &&
                       proxyproto_use_header_addresses(&p) == 0,
                   "v1 of mixed ends is not UNKNOWN");
    } else {
        FUZZ_CHECK(proxyproto_use_header_addresses(&p) == 1 &&
                       p.transport == (version == 1 ? 1 : transport) &&
                       p.family == (sf == df ? sf : PROXYPROTO_AF_INET6),
                   "header from sockaddrs: family %u transport %u", p.family,
                   p.transport);
        check_end(&sa, sf, p.family, &p, PROXYPROTO_SOURCE);
        check_end(&da, df, p.family, &p, PROXYPROTO_DESTINATION);
    }
    fuzz_buf_release(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    src s = {data, size};
    unsigned mode = u8(&s);

    if (mode >= 0xF0) {
        mode_sockaddr(&s);
        return 0;
    }
    switch (mode & 3) {
    case 0:
        mode_v1(&s);
        break;
    case 1:
        mode_v2(&s);
        break;
    case 2:
        mode_builder(&s);
        break;
    default:
        mode_ip(&s);
        break;
    }
    return 0;
}
