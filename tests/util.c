/* Test helpers: hex decoding, reference CRC-32C, guard pages, the record
 * of reached result codes, and the run-a-case-every-way helper. */
#define _DEFAULT_SOURCE
#include "tests.h"

#include "internal.h" /* proxyproto__parse_v1() */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Reached result codes, in memory shared with Check's forked children
 * ------------------------------------------------------------------------ */

/* Codes run from PROXYPROTO_RESULT_LAST_ up to PP_CODE_MAX: the negative
 * ones, 0, and the two positive policy verdicts (PROXYPROTO_EXPECT_HEADER,
 * PROXYPROTO_NO_HEADER). Index: code - PROXYPROTO_RESULT_LAST_. */
#define PP_CODE_MAX 2
#define PP_NCODES (PP_CODE_MAX + 1 - PROXYPROTO_RESULT_LAST_)

struct pp_reach_table {
    unsigned char hit[PP_NCODES];
    char by[PP_NCODES][64];
};

static struct pp_reach_table *reach_table;

void pp_reach_init(void)
{
    void *p = mmap(NULL, sizeof *reach_table, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    memset(p, 0, sizeof *reach_table);
    reach_table = p;
}

void pp_reach_code(int code, const char *where)
{
    size_t i;

    if (reach_table == NULL || code < PROXYPROTO_RESULT_LAST_ || code > PP_CODE_MAX)
        return;
    i = (size_t)(code - PROXYPROTO_RESULT_LAST_);
    if (!reach_table->hit[i]) {
        reach_table->hit[i] = 1;
        snprintf(reach_table->by[i], sizeof reach_table->by[i], "%s", where);
    }
}

void pp_reach(int code, const char *where)
{
    pp_reach_code(code > 0 ? 0 : code, where); /* a length is a success */
}

int pp_reached(int code)
{
    return reach_table != NULL && code <= PP_CODE_MAX &&
           code >= PROXYPROTO_RESULT_LAST_ &&
           reach_table->hit[code - PROXYPROTO_RESULT_LAST_];
}

const char *pp_reached_by(int code)
{
    return pp_reached(code) ? reach_table->by[code - PROXYPROTO_RESULT_LAST_]
                            : "(nothing)";
}

/* ------------------------------------------------------------------------
 * Bytes
 * ------------------------------------------------------------------------ */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

size_t pp_hex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    const char *p = hex;

    while (*p) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '|') {
            p++;
        } else if (*p == '\'') {
            for (p++; *p && *p != '\''; p++) {
                PP_ASSERT(n < cap, "hex overflow: %s", hex);
                out[n++] = (uint8_t)*p;
            }
            PP_ASSERT(*p == '\'', "unterminated quote: %s", hex);
            p++;
        } else {
            int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
            PP_ASSERT(hi >= 0 && lo >= 0, "bad hex at \"%.10s\"", p);
            PP_ASSERT(n < cap, "hex overflow: %s", hex);
            out[n++] = (uint8_t)(hi << 4 | lo);
            p += 2;
        }
    }
    return n;
}

size_t pp_first_not(const uint8_t *p, size_t n, uint8_t v)
{
    size_t i = 0;
    while (i < n && p[i] == v)
        i++;
    return i;
}

uint32_t pp_ref_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
    return ~crc;
}

static size_t block_len(unsigned family)
{
    return family == 1 ? 12 : family == 2 ? 36 : family == 3 ? 216 : 0;
}

void pp_fix_crc(uint8_t *buf, size_t n, int nth)
{
    size_t hlen, off;
    int seen = 0;

    PP_ASSERT(n >= 16, "fix_crc on a short header");
    hlen = 16 + ((size_t)buf[14] << 8 | buf[15]);
    PP_ASSERT(hlen <= n, "fix_crc: header longer than the input");
    off = 16 + block_len(buf[13] >> 4);
    if (off > hlen)
        off = hlen;
    while (off + 3 <= hlen) {
        size_t l = (size_t)buf[off + 1] << 8 | buf[off + 2];
        if (off + 3 + l > hlen)
            break;
        if (buf[off] == PROXYPROTO_TLV_CRC32C && l == 4 && ++seen == nth) {
            uint32_t crc;
            memset(buf + off + 3, 0, 4);
            crc = pp_ref_crc32c(0, buf, hlen);
            buf[off + 3] = (uint8_t)(crc >> 24);
            buf[off + 4] = (uint8_t)(crc >> 16);
            buf[off + 5] = (uint8_t)(crc >> 8);
            buf[off + 6] = (uint8_t)crc;
            return;
        }
        off += 3 + l;
    }
    ck_abort_msg("fix_crc: no CRC32C TLV number %d", nth);
}

uint64_t pp_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void pp_rand_fill(uint64_t *state, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(pp_rand(state) >> 32);
}

uint8_t *pp_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;

    PP_ASSERT(f != NULL, "cannot open %s", path);
    ck_assert(fseek(f, 0, SEEK_END) == 0);
    size = ftell(f);
    ck_assert(size >= 0);
    rewind(f);
    buf = malloc((size_t)size + 1);
    ck_assert(buf != NULL);
    PP_ASSERT(fread(buf, 1, (size_t)size, f) == (size_t)size,
                  "short read on %s", path);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

const char *pp_captures_dir(void)
{
    const char *d = getenv("CAPTURES");
    return d != NULL && *d ? d : "tests/captures";
}

void pp_ip(int family, const char *text, uint8_t *out)
{
    int af = family == PROXYPROTO_AF_INET ? AF_INET : AF_INET6;
    PP_ASSERT(inet_pton(af, text, out) == 1, "test table: bad IP %s",
                  text);
}

/* ------------------------------------------------------------------------
 * Guard pages: [PROT_NONE][data pages][PROT_NONE]
 * ------------------------------------------------------------------------ */

/* Area 0 serves pp_guard_end() and pp_guard_start(); area 1
 * pp_guard_end_b(), for a second buffer alive at the same time. */
static uint8_t *guard_data[2];
static size_t guard_size;

static void guard_init(int area)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (PP_GUARD_MAX + page - 1) / page * page;
    uint8_t *p;

    if (guard_data[area] != NULL)
        return;
    p = mmap(NULL, data + 2 * page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(p != MAP_FAILED);
    ck_assert(mprotect(p, page, PROT_NONE) == 0);
    ck_assert(mprotect(p + page + data, page, PROT_NONE) == 0);
    guard_data[area] = p + page;
    guard_size = data;
}

static uint8_t *guard_end_in(int area, const void *data, size_t n)
{
    uint8_t *p;
    guard_init(area);
    ck_assert(n <= guard_size);
    p = guard_data[area] + guard_size - n;
    if (n)
        memcpy(p, data, n);
    return p;
}

uint8_t *pp_guard_end(const void *data, size_t n)
{
    return guard_end_in(0, data, n);
}

uint8_t *pp_guard_end_b(const void *data, size_t n)
{
    return guard_end_in(1, data, n);
}

uint8_t *pp_guard_start(const void *data, size_t n)
{
    guard_init(0);
    ck_assert(n <= guard_size);
    if (n)
        memcpy(guard_data[0], data, n);
    return guard_data[0];
}

/* ------------------------------------------------------------------------
 * Running parse cases
 * ------------------------------------------------------------------------ */

/* Every parse of the suite: proxyproto_parse(), and for a v1 line also
 * the v1 reader alone (lib/parse_v1.c), which must agree to the byte. The
 * API may read a whole line by another path first (lib/tcp4_ssse3.h on
 * x86-64 with SSSE3): this makes each v1 case a differential test of it. */
int pp_parse(proxyproto_header *h, const void *buf, size_t len,
             size_t last_len)
{
    proxyproto_header ref;
    int rc, ref_rc;

    memset(h, 0xA5, sizeof *h);
    rc = proxyproto_parse(h, buf, len, last_len);
    if (len == 0 || ((const uint8_t *)buf)[0] != 'P')
        return rc;
    memset(&ref, 0xA5, sizeof ref);
    ref_rc = proxyproto__parse_v1(&ref, buf, len, last_len < len ? last_len : 0);
    PP_ASSERT(rc == ref_rc, "proxyproto_parse: %d (%s), the v1 reader: %d (%s)", rc,
              proxyproto_error_name(rc), ref_rc, proxyproto_error_name(ref_rc));
    PP_ASSERT(rc <= 0 || memcmp(h, &ref, sizeof ref) == 0,
              "proxyproto_parse and the v1 reader fill hdr differently");
    PP_ASSERT(rc != PROXYPROTO_INCOMPLETE || h->need == ref.need,
              "need %zu, the v1 reader's %zu", h->need, ref.need);
    return rc;
}

void pp_parse_ok(proxyproto_header *h, const uint8_t *in, size_t n)
{
    int rc = pp_parse(h, in, n, 0);
    PP_ASSERT(rc == (int)n, "parse: got %d (%s), want %zu", rc,
                  proxyproto_error_name(rc), n);
    ck_assert_uint_eq(h->header_len, n);
}

size_t pp_case_input(const pp_case *c, uint8_t *buf, size_t cap)
{
    size_t n;
    if (c->hex != NULL) {
        n = pp_hex(buf, cap, c->hex);
    } else {
        ck_assert(c->bytes_len <= cap);
        memcpy(buf, c->bytes, c->bytes_len);
        n = c->bytes_len;
    }
    if (c->fix_crc)
        pp_fix_crc(buf, n, c->fix_crc);
    return n;
}

void pp_run_case(const pp_case *c)
{
    static uint8_t in[8192];
    size_t n = pp_case_input(c, in, sizeof in);
    pp_run_bytes(c, in, n);
}

static void check_addr(const pp_case *c, const proxyproto_addr *a,
                       const char *text, unsigned port, const uint8_t *path,
                       size_t path_len, const char *end)
{
    if (c->family == PROXYPROTO_AF_UNIX) {
        PP_ASSERT(a->path == path, "%s: %s path points at %p, want %p",
                      c->name, end, (const void *)a->path,
                      (const void *)path);
        PP_ASSERT(a->path_len == path_len, "%s: %s path_len %zu, want %zu",
                      c->name, end, a->path_len, path_len);
        PP_ASSERT(a->port == 0, "%s: UNIX %s port %u", c->name, end,
                      a->port);
        return;
    }
    {
        uint8_t ip[16];
        size_t iplen = c->family == PROXYPROTO_AF_INET ? 4 : 16;
        PP_ASSERT(text != NULL, "%s: table lacks the %s address", c->name,
                      end);
        pp_ip(c->family, text, ip);
        PP_ASSERT(memcmp(c->family == PROXYPROTO_AF_INET ? a->ip.v4
                                                             : a->ip.v6,
                             ip, iplen) == 0,
                      "%s: %s address differs from %s", c->name, end, text);
        PP_ASSERT(a->port == port, "%s: %s port %u, want %u", c->name, end,
                      a->port, port);
        PP_ASSERT(a->path == NULL && a->path_len == 0,
                      "%s: %s path set for an IP family", c->name, end);
    }
}

void pp_check_fields(const pp_case *c, const proxyproto_header *h,
                     const uint8_t *buf, size_t n)
{
    int use = c->command == PROXYPROTO_CMD_PROXY && c->family >= 1 &&
              c->family <= 3 && c->transport >= 1 && c->transport <= 2;

    PP_ASSERT(c->version == 1 || c->version == 2,
                  "%s: table lacks the expected fields", c->name);
    PP_ASSERT(h->header_len == n, "%s: header_len %zu, want %zu", c->name,
                  h->header_len, n);
    PP_ASSERT(h->version == c->version, "%s: version %u", c->name,
                  h->version);
    PP_ASSERT(h->command == c->command, "%s: command %u", c->name,
                  h->command);
    PP_ASSERT(h->family == c->family, "%s: family %u, want %d", c->name,
                  h->family, c->family);
    PP_ASSERT(h->transport == c->transport, "%s: transport %u, want %d",
                  c->name, h->transport, c->transport);
    PP_ASSERT(h->has_addresses == c->has_addresses,
                  "%s: has_addresses %u, want %d", c->name, h->has_addresses,
                  c->has_addresses);
    PP_ASSERT(proxyproto_use_header_addresses(h) == use,
                  "%s: use_header_addresses %d, want %d", c->name,
                  proxyproto_use_header_addresses(h), use);
    if (c->has_addresses) {
        check_addr(c, &h->src, c->src, c->sport, buf + 16, c->src_path_len,
                   "src");
        check_addr(c, &h->dst, c->dst, c->dport, buf + 16 + 108,
                   c->dst_path_len, "dst");
    }
    if (c->version == 1 || c->tlvs_null) {
        PP_ASSERT(h->tlvs == NULL && h->tlvs_len == 0,
                      "%s: tlvs must be NULL/0, got %p/%zu", c->name,
                      (const void *)h->tlvs, h->tlvs_len);
    } else {
        PP_ASSERT(h->tlvs_len == c->tlvs_len, "%s: tlvs_len %zu, want %zu",
                      c->name, h->tlvs_len, c->tlvs_len);
        if (c->tlvs_len > 0)
            PP_ASSERT(h->tlvs == buf + n - c->tlvs_len,
                          "%s: tlvs points at offset %td, want %zu", c->name,
                          h->tlvs - buf, n - c->tlvs_len);
    }
}

/* Bytes tried when looking for a completion of a v1 prefix: every byte a
 * field, a separator, the line end or the word can take ('x' stands for any
 * other printable), the likely ones first so that the search is short. */
static const char v1_next[] = "0:. \r\n1fAxPROXYTCUNKW46";

/* Is there a completion of buf[0..k) by exactly `budget` bytes, each of
 * which lowers need by one (and the last completes the line)? When need
 * is exact there is, at every prefix of a valid line: so this finds a
 * need that is too high (it says more bytes than a valid line takes).
 * buf must have room for k + budget bytes. */
int pp_v1_tight(uint8_t *buf, size_t k, size_t budget)
{
    proxyproto_header h;
    for (const char *c = v1_next; *c != '\0'; c++) {
        int r;
        buf[k] = (uint8_t)*c;
        r = proxyproto_parse(&h, buf, k + 1, 0);
        if (budget == 1 ? r == (int)(k + 1)
                        : r == PROXYPROTO_INCOMPLETE && h.need == budget - 1 &&
                              pp_v1_tight(buf, k + 1, budget - 1))
            return 1;
    }
    return 0;
}

/* need of a v1 prefix is exact when a completion of that many bytes
 * exists (pp_v1_tight(); v1_need_is_least in test_v1.c checks that none
 * is shorter). */
static int v1_need_ok(const uint8_t *in, size_t k, size_t need)
{
    uint8_t buf[PROXYPROTO_V1_MAX_LEN + 1];
    if (k + need > PROXYPROTO_V1_MAX_LEN)
        return 0;
    memcpy(buf, in, k);
    return pp_v1_tight(buf, k, need);
}

/* v2: 16 (or 16 + block for PROXY once byte 13 is in) before 16 bytes,
 * then exactly 16 + len. */
static size_t v2_need(const uint8_t *in, size_t k)
{
    if (k >= 16)
        return 16 + ((size_t)in[14] << 8 | in[15]) - k;
    if (k >= 14 && (in[12] & 0x0F) == PROXYPROTO_CMD_PROXY)
        return 16 + block_len(in[13] >> 4) - k;
    return 16 - k;
}

/* Checks one result of a run against the whole parse's. */
static void expect(const pp_case *c, const char *way, size_t k, int rc,
                   int want, const proxyproto_header *h, const uint8_t *buf,
                   size_t hlen)
{
    PP_ASSERT(rc == want, "%s (%s, %zu bytes): got %d (%s), want %d (%s)",
                  c->name, way, k, rc, proxyproto_error_name(rc), want,
                  proxyproto_error_name(want));
    if (want > 0)
        pp_check_fields(c, h, buf, hlen);
    else if (want == PROXYPROTO_INCOMPLETE)
        PP_ASSERT(h->need >= 1, "%s (%s): need %zu", c->name, way,
                      h->need);
}

/* Splits with sampling for big inputs (so the suite stays fast). */
static int sampled(size_t k, size_t n)
{
    return n <= 2048 || k < 300 || k + 300 > n || k % 509 == 0;
}

static const char payload[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
                              "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c"
                              "\r\n\0\xff\x80hello\n";
#define PAYLOAD_LEN (sizeof payload - 1)

static void run_prefixes(const pp_case *c, const uint8_t *in, size_t n,
                         uint8_t *buf, int whole)
{
    proxyproto_header h;
    int ok = whole > 0, err_at = 0;

    for (size_t k = 1; k < n; k++) {
        uint8_t *g;
        int r, r1;
        if (!sampled(k, n))
            continue;
        g = pp_guard_end(in, k);
        r = pp_parse(&h, g, k, 0);
        if (ok) {
            PP_ASSERT(r == PROXYPROTO_INCOMPLETE,
                          "%s: prefix of %zu bytes gave %d (%s)", c->name, k, r,
                          proxyproto_error_name(r));
            PP_ASSERT(h.need >= 1 && k + h.need <= n,
                          "%s: prefix %zu: need %zu, header is %zu", c->name,
                          k, h.need, n);
            if (in[0] == '\r')
                PP_ASSERT(h.need == v2_need(in, k),
                              "%s: prefix %zu: need %zu, want %zu", c->name, k,
                              h.need, v2_need(in, k));
            else
                PP_ASSERT(v1_need_ok(in, k, h.need),
                              "%s: prefix %zu: need %zu, but no line completes "
                              "it in that many bytes", c->name, k, h.need);
        } else if (r != PROXYPROTO_INCOMPLETE || err_at) {
            PP_ASSERT(r == whole,
                          "%s: prefix of %zu bytes gave %d (%s), the whole %d "
                          "(%s)%s",
                          c->name, k, r, proxyproto_error_name(r), whole,
                          proxyproto_error_name(whole),
                          err_at ? " after an earlier error" : "");
            if (!err_at)
                err_at = (int)k;
        } else {
            PP_ASSERT(h.need >= 1, "%s: prefix %zu: need 0", c->name, k);
        }
        /* The same on the caller's buffer, then the whole with last_len. */
        r1 = pp_parse(&h, buf, k, 0);
        PP_ASSERT(r1 == r, "%s: prefix %zu: %d in place, %d at the guard",
                      c->name, k, r1, r);
        if (r1 == PROXYPROTO_INCOMPLETE) {
            r = pp_parse(&h, buf, n, k);
            expect(c, "split, last_len", k, r, whole, &h, buf, n);
        }
    }
}

static void run_bytewise(const pp_case *c, const uint8_t *in, size_t n,
                         uint8_t *buf, int whole, int guard)
{
    proxyproto_header h;
    size_t last = 0;

    for (size_t k = 1; k <= n; k++) {
        int r;
        if (guard && k < n && !sampled(k, n))
            continue;
        if (guard)
            r = pp_parse(&h, pp_guard_end(in, k), k, last);
        else
            r = pp_parse(&h, buf, k, last);
        if (k < n && r == PROXYPROTO_INCOMPLETE) {
            PP_ASSERT(h.need >= 1, "%s: byte %zu: need 0", c->name, k);
            last = k;
            continue;
        }
        if (k < n)
            PP_ASSERT(whole < 0 && r == whole,
                          "%s (byte by byte%s): %zu bytes gave %d (%s), the "
                          "whole %d (%s)",
                          c->name, guard ? ", guard" : "", k, r,
                          proxyproto_error_name(r), whole,
                          proxyproto_error_name(whole));
        else
            expect(c, guard ? "byte by byte, guard" : "byte by byte", k, r,
                   whole, &h, guard ? pp_guard_end(in, n) : buf, n);
        return;
    }
}

static void run_chunks(const pp_case *c, uint8_t *buf, size_t n, int whole)
{
    static const size_t sizes[] = {2, 3, 5, 7, 13, 16, 17, 100};
    proxyproto_header h;

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t last = 0, k = 0;
        int r = PROXYPROTO_INCOMPLETE;
        while (k < n && r == PROXYPROTO_INCOMPLETE) {
            k = k + sizes[s] < n ? k + sizes[s] : n;
            r = pp_parse(&h, buf, k, last);
            last = k;
        }
        if (k == n || whole < 0)
            expect(c, "chunks", k, r, whole, &h, buf, n);
        else
            ck_abort_msg("%s: chunks of %zu: %zu bytes gave %d", c->name,
                         sizes[s], k, r);
    }
}

static void run_payload(const pp_case *c, const uint8_t *in, size_t n,
                        int whole)
{
    proxyproto_header h;
    size_t total = n + PAYLOAD_LEN;
    uint8_t *buf = malloc(total), *copy = malloc(total), *g;
    int r;

    ck_assert(buf != NULL && copy != NULL);
    memcpy(buf, in, n);
    memcpy(buf + n, payload, PAYLOAD_LEN);
    memcpy(copy, buf, total);

    r = pp_parse(&h, buf, total, 0);
    expect(c, "with payload", total, r, whole, &h, buf, n);
    PP_ASSERT(memcmp(buf, copy, total) == 0, "%s: buffer modified",
                  c->name);
    g = pp_guard_end(buf, total);
    r = pp_parse(&h, g, total, 0);
    expect(c, "with payload, guard", total, r, whole, &h, g, n);
    /* The payload on an unreadable page: a parse reads nothing past the
     * header (include/proxyproto.h), so it must not fault. */
    if (whole > 0) {
        g = pp_guard_end(in, n);
        r = pp_parse(&h, g, total, 0);
        expect(c, "payload unreadable", total, r, whole, &h, g, n);
    }
    /* Every split inside the payload: the header alone decides. */
    for (size_t k = n; k < total; k++) {
        r = pp_parse(&h, buf, k, 0);
        expect(c, "prefix into payload", k, r, whole, &h, buf, n);
    }
    /* The rest of the header and the payload arrive together. */
    if (whole > 0 && n > 1) {
        r = pp_parse(&h, buf, total, n - 1);
        expect(c, "payload, last_len", total, r, whole, &h, buf, n);
    }
    free(buf);
    free(copy);
}

void pp_run_bytes(const pp_case *c, const uint8_t *in, size_t n)
{
    proxyproto_header h;
    uint8_t *buf = malloc(n ? n : 1), *g;
    int want = c->rc == PP_WHOLE ? (int)n : c->rc, whole;

    ck_assert(buf != NULL);
    memcpy(buf, in, n);

    /* Whole. */
    whole = pp_parse(&h, buf, n, 0);
    if (c->alt != 0 && whole == c->alt)
        want = c->alt;
    expect(c, "whole", n, whole, want, &h, buf, n);
    pp_reach(whole, c->name);
    if (want == PROXYPROTO_INCOMPLETE && c->need)
        PP_ASSERT(h.need == c->need, "%s: need %zu, want %zu", c->name,
                      h.need, c->need);

    /* Against both guards: any over- or under-read faults. */
    g = pp_guard_end(in, n);
    expect(c, "guard at end", n, pp_parse(&h, g, n, 0), whole, &h, g, n);
    g = pp_guard_start(in, n);
    expect(c, "guard at start", n, pp_parse(&h, g, n, 0), whole, &h, g, n);

    run_prefixes(c, in, n, buf, whole);
    run_bytewise(c, in, n, buf, whole, 0);
    run_bytewise(c, in, n, buf, whole, 1);
    run_chunks(c, buf, n, whole);
    if (whole != PROXYPROTO_INCOMPLETE)
        run_payload(c, in, n, whole);
    free(buf);
}

void pp_expect_tlvs(const uint8_t *area, size_t len, const uint8_t *types,
                    const unsigned *lens, size_t count)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;
    size_t i = 0;
    const uint8_t *expect_at = area;

    proxyproto_tlv_iter_init(&it, area, len);
    while (proxyproto_tlv_next(&it, &t)) {
        PP_ASSERT(i < count, "more TLVs than the %zu expected", count);
        PP_ASSERT(t.type == types[i], "TLV %zu: type 0x%02x, want 0x%02x",
                      i, t.type, types[i]);
        PP_ASSERT(t.len == lens[i], "TLV %zu (0x%02x): len %u, want %u", i,
                      t.type, t.len, lens[i]);
        PP_ASSERT(t.value == expect_at + 3, "TLV %zu: value pointer", i);
        expect_at += 3 + t.len;
        i++;
    }
    PP_ASSERT(i == count, "%zu TLVs, want %zu", i, count);
    PP_ASSERT(expect_at == area + len, "TLVs do not tile the area");
}
