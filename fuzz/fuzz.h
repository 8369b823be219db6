/* Shared helpers of the fuzz targets (fuzz/fuzz_*.c) and of the replay
 * driver (fuzz/replay.c).
 *
 * Built two ways:
 *  - with clang -fsanitize=fuzzer,address,undefined (make fuzz): libFuzzer
 *    supplies main(); buffers come from malloc so ASan sees both of their
 *    ends;
 *  - with the ordinary compiler and -DFUZZ_REPLAY (make test-fuzz-replay):
 *    fuzz/replay.c supplies main(); buffers are placed so that they end
 *    right before a PROT_NONE page, so any read or write past their end
 *    faults even without a sanitizer.
 *
 * Every invariant is checked with FUZZ_CHECK(): a violation prints what
 * broke and aborts, which libFuzzer reports as a crash and the replay as a
 * failed check. */
#ifndef PROXYPROTO_FUZZ_H
#define PROXYPROTO_FUZZ_H

#if defined(FUZZ_REPLAY) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyproto.h"

#ifdef FUZZ_REPLAY
#include <sys/mman.h>
#include <unistd.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant broken: %s\n  ", __FILE__,       \
                    __LINE__, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The largest input any target looks at: a whole v2 header plus room. */
#define FUZZ_MAX (PROXYPROTO_V2_MAX_LEN + 4096)

/* Returns a buffer of n bytes (n <= FUZZ_MAX) whose end touches an
 * unreadable page in replay builds (slot 0..FUZZ_SLOTS-1: distinct areas
 * for buffers alive at the same time), or a malloc'd one under libFuzzer.
 * Release it with fuzz_buf_release(). */
#define FUZZ_SLOTS 4

#ifdef FUZZ_REPLAY
static uint8_t *fuzz_slot_area_[FUZZ_SLOTS];
static size_t fuzz_slot_size_;

static inline uint8_t *fuzz_buf(int slot, size_t n)
{
    if (fuzz_slot_area_[slot] == NULL) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t data = (FUZZ_MAX + page - 1) / page * page;
        uint8_t *p = mmap(NULL, data + 2 * page, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        FUZZ_CHECK(p != MAP_FAILED, "mmap failed");
        FUZZ_CHECK(mprotect(p, page, PROT_NONE) == 0, "mprotect failed");
        FUZZ_CHECK(mprotect(p + page + data, page, PROT_NONE) == 0,
                   "mprotect failed");
        fuzz_slot_area_[slot] = p + page;
        fuzz_slot_size_ = data;
    }
    FUZZ_CHECK(n <= fuzz_slot_size_, "buffer of %zu bytes too big", n);
    return fuzz_slot_area_[slot] + fuzz_slot_size_ - n;
}

/* Start of the slot's area: right after an unreadable page. */
static inline uint8_t *fuzz_buf_at_start(int slot, size_t n)
{
    uint8_t *end = fuzz_buf(slot, n);
    return end + n - fuzz_slot_size_;
}

static inline void fuzz_buf_release(uint8_t *p)
{
    (void)p;
}
#else
static inline uint8_t *fuzz_buf(int slot, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);

    (void)slot;
    FUZZ_CHECK(p != NULL, "out of memory");
    return p;
}

static inline void fuzz_buf_release(uint8_t *p)
{
    free(p);
}
#endif

/* AddressSanitizer builds can make bytes unreadable on purpose: used to
 * prove that nothing past a header is read (include/proxyproto.h). */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#ifdef FUZZ_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define FUZZ_POISON(p, n) __asan_poison_memory_region((p), (n))
#define FUZZ_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A code the library defines (proxyproto_error_name knows it). */
static inline int fuzz_known_code(int rc)
{
    return strcmp(proxyproto_error_name(rc), "PROXYPROTO_UNKNOWN") != 0;
}

/* Codes proxyproto_parse() may return besides a length: INCOMPLETE,
 * NOT_PROXY, the V1_* and V2_* parse errors (-1 .. -31). */
static inline int fuzz_parse_code(int rc)
{
    return rc <= PROXYPROTO_INCOMPLETE && rc >= PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN &&
           fuzz_known_code(rc);
}

static inline size_t fuzz_block_len(unsigned family)
{
    return family == PROXYPROTO_AF_INET    ? 12
           : family == PROXYPROTO_AF_INET6 ? 36
           : family == PROXYPROTO_AF_UNIX  ? 216
                                           : 0;
}

/* Whether [p, p + n) lies inside [lo, lo + len). */
static inline int fuzz_inside(const void *p, size_t n, const void *lo, size_t len)
{
    const uint8_t *a = p, *b = lo;
    return a >= b && a <= b + len && n <= (size_t)(b + len - a);
}

/* Compares everything a parse reports (pointers relative to their
 * buffers, so two parses of equal bytes at different places compare equal).
 * Returns NULL or the name of the first field that differs. */
static inline const char *fuzz_header_diff(const proxyproto_header *a, const uint8_t *abuf,
                                    const proxyproto_header *b, const uint8_t *bbuf)
{
    const proxyproto_addr *ea[2] = {&a->src, &a->dst}, *eb[2] = {&b->src, &b->dst};
    int i;

    if (a->version != b->version) return "version";
    if (a->command != b->command) return "command";
    if (a->family != b->family) return "family";
    if (a->transport != b->transport) return "transport";
    if (a->has_addresses != b->has_addresses) return "has_addresses";
    if (a->header_len != b->header_len) return "header_len";
    if (a->tlvs_len != b->tlvs_len) return "tlvs_len";
    if ((a->tlvs == NULL) != (b->tlvs == NULL)) return "tlvs (NULL-ness)";
    if (a->tlvs != NULL && a->tlvs - abuf != b->tlvs - bbuf) return "tlvs";
    if (!a->has_addresses)
        return NULL;
    for (i = 0; i < 2; i++) {
        const proxyproto_addr *x = ea[i], *y = eb[i];
        if (x->port != y->port) return "port";
        if (x->path_len != y->path_len) return "path_len";
        if ((x->path == NULL) != (y->path == NULL)) return "path (NULL-ness)";
        if (x->path != NULL && x->path - abuf != y->path - bbuf) return "path";
        if (a->family == PROXYPROTO_AF_INET && memcmp(x->ip.v4, y->ip.v4, 4))
            return "ip.v4";
        if (a->family == PROXYPROTO_AF_INET6 && memcmp(x->ip.v6, y->ip.v6, 16))
            return "ip.v6";
    }
    return NULL;
}

/* Hex dump of at most 64 bytes, for messages. */
static inline const char *fuzz_hex(const uint8_t *p, size_t n)
{
    static char out[64 * 2 + 4];
    size_t i, m = n > 64 ? 64 : n;

    for (i = 0; i < m; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
    if (m < n)
        memcpy(out + 2 * m, "...", 4);
    else
        out[2 * m] = '\0';
    return out;
}


/* A check that may be turned off while the bug it found is open:
 * FUZZ_SKIP="name,..." in the environment (see fuzz/README.md). */
static inline int fuzz_enabled(const char *name)
{
    const char *s = getenv("FUZZ_SKIP");
    return s == NULL || strstr(s, name) == NULL;
}

/* Reference CRC-32C (reflected polynomial 0x82F63B78, proxyproto(7)
 * section 4), one byte at a time from a table built here: independent of the
 * library's. */
static inline uint32_t fuzz_ref_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;

    if (!ready) {
        uint32_t i, c;
        int k;
        for (i = 0; i < 256; i++) {
            for (c = i, k = 0; k < 8; k++)
                c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    while (n--)
        crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return ~crc;
}

static inline uint16_t fuzz_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fuzz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32C of the header h[0..n) with the 4 bytes at off taken as zero. */
static inline uint32_t fuzz_header_crc(const uint8_t *h, size_t n, size_t off)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};
    uint32_t c = fuzz_ref_crc32c(0, h, off);
    c = fuzz_ref_crc32c(c, zero, 4);
    return fuzz_ref_crc32c(c, h + off + 4, n - off - 4);
}

/* proxyproto(7) section 4: an SSL value is client (1), verify (4), then
 * sub-TLVs that tile the rest exactly. Returns 0 or the
 * PROXYPROTO_ERR_V2_SSL_* code. */
static inline int fuzz_model_ssl(const uint8_t *v, size_t len)
{
    size_t off = 5;

    if (len < 5)
        return PROXYPROTO_ERR_V2_SSL_TOO_SHORT;
    while (off < len) {
        if (len - off < 3)
            return PROXYPROTO_ERR_V2_SSL_SUB_TRUNCATED;
        if (fuzz_be16(v + off + 1) > len - off - 3)
            return PROXYPROTO_ERR_V2_SSL_SUB_OVERRUN;
        off += 3 + (size_t)fuzz_be16(v + off + 1);
    }
    return 0;
}

/* Walks a TLV area the parser validated: every TLV inside, the walk ends
 * exactly at the end, and the per-type rules of proxyproto(7) section 4 hold.
 * hbuf/hlen is the whole header (for CRC32C); hbuf NULL for SSL sub-TLVs. */
static inline void fuzz_check_valid_area(const uint8_t *area, size_t len,
                                         const uint8_t *hbuf, size_t hlen)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;
    const uint8_t *at = area;
    size_t count = 0;

    proxyproto_tlv_iter_init(&it, area, len);
    while (proxyproto_tlv_next(&it, &t)) {
        FUZZ_CHECK(++count <= len / 3, "TLV walk does not terminate");
        FUZZ_CHECK(t.value == at + 3, "TLV %zu value at offset %td, want %td",
                   count, t.value - area, at + 3 - area);
        FUZZ_CHECK(fuzz_inside(t.value, t.len, area, len),
                   "TLV %zu (type 0x%02x len %u) outside its area", count,
                   t.type, t.len);
        FUZZ_CHECK(t.type == at[0] && t.len == fuzz_be16(at + 1),
                   "TLV %zu: type/len differ from the bytes", count);
        at = t.value + t.len;
        if (hbuf == NULL)
            continue; /* SSL sub-TLVs: opaque values */
        if (t.type == PROXYPROTO_TLV_CRC32C) {
            FUZZ_CHECK(t.len == 4, "CRC32C TLV of length %u parsed", t.len);
            FUZZ_CHECK(fuzz_header_crc(hbuf, hlen, (size_t)(t.value - hbuf)) ==
                           fuzz_be32(t.value),
                       "wrong CRC32C accepted");
        } else if (t.type == PROXYPROTO_TLV_UNIQUE_ID) {
            FUZZ_CHECK(t.len <= PROXYPROTO_UNIQUE_ID_MAX,
                       "UNIQUE_ID of %u bytes accepted", t.len);
        } else if (t.type == PROXYPROTO_TLV_SSL) {
            FUZZ_CHECK(t.len >= 5, "SSL TLV of %u bytes accepted", t.len);
            fuzz_check_valid_area(t.value + 5, t.len - 5u, NULL, 0);
        }
    }
    FUZZ_CHECK(at == area + len, "TLVs do not tile the area: %td of %zu",
               at - area, len);
    FUZZ_CHECK(proxyproto_tlv_next(&it, &t) == 0, "iterator restarted");
}

/* Iterates any bytes: terminates, stays inside. Returns the TLV count. */
static inline size_t fuzz_walk_any(const uint8_t *area, size_t len)
{
    proxyproto_tlv_iter it;
    proxyproto_tlv t;
    size_t count = 0;

    proxyproto_tlv_iter_init(&it, area, len);
    while (proxyproto_tlv_next(&it, &t)) {
        FUZZ_CHECK(++count <= len / 3, "TLV walk over %zu bytes gave %zu TLVs",
                   len, count);
        FUZZ_CHECK(fuzz_inside(t.value - 3, 3u + t.len, area, len),
                   "TLV outside [area, area + %zu)", len);
    }
    FUZZ_CHECK(proxyproto_tlv_next(&it, &t) == 0, "iterator restarted");
    return count;
}

/* The vendor accessors against the bytes of the first TLV of their type
 * (proxyproto(7) section 4, vendor TLVs), decoded here independently. */
static inline void fuzz_check_vendors(const proxyproto_header *h)
{
    proxyproto_tlv t;
    const char *id;
    size_t id_len, i;
    uint32_t linkid;
    uint64_t psc;
    int r, want;

    if (proxyproto_tlv_find(h->tlvs, h->tlvs_len, PROXYPROTO_TLV_AWS, &t) == 0) {
        want = t.len >= 2 && t.value[0] == 0x01;
        for (i = 1; want && i < t.len; i++)
            want = t.value[i] >= 0x20 && t.value[i] <= 0x7E;
        r = proxyproto_aws_vpce_id(h, &id, &id_len);
        FUZZ_CHECK(r == (want ? 0 : PROXYPROTO_ERR_AWS_BAD_TLV),
                   "aws on %s: %s", fuzz_hex(t.value, t.len), proxyproto_error_name(r));
        if (want)
            FUZZ_CHECK((const uint8_t *)id == t.value + 1 && id_len == t.len - 1u,
                       "aws id span");
    }
    if (proxyproto_tlv_find(h->tlvs, h->tlvs_len, PROXYPROTO_TLV_AZURE, &t) == 0) {
        want = t.len == 5 && t.value[0] == 0x01;
        r = proxyproto_azure_linkid(h, &linkid);
        FUZZ_CHECK(r == (want ? 0 : PROXYPROTO_ERR_AZURE_BAD_TLV),
                   "azure on %s: %s", fuzz_hex(t.value, t.len), proxyproto_error_name(r));
        if (want)
            FUZZ_CHECK(linkid == ((uint32_t)t.value[1] | (uint32_t)t.value[2] << 8 |
                                  (uint32_t)t.value[3] << 16 | (uint32_t)t.value[4] << 24),
                       "azure linkid 0x%08x", (unsigned)linkid);
    }
    if (proxyproto_tlv_find(h->tlvs, h->tlvs_len, PROXYPROTO_TLV_GCP, &t) == 0) {
        r = proxyproto_gcp_psc_id(h, &psc);
        FUZZ_CHECK(r == (t.len == 8 ? 0 : PROXYPROTO_ERR_GCP_BAD_TLV),
                   "gcp on %s: %s", fuzz_hex(t.value, t.len), proxyproto_error_name(r));
        if (t.len == 8)
            FUZZ_CHECK(psc == ((uint64_t)fuzz_be32(t.value) << 32 | fuzz_be32(t.value + 4)),
                       "gcp psc id");
    }
}

/* The accessors on a parsed header: results known, spans inside. */
static inline void fuzz_check_accessors(const proxyproto_header *h,
                                        const uint8_t *buf, size_t n)
{
    proxyproto_ssl ssl;
    proxyproto_tlv t;
    const char *id;
    size_t id_len;
    uint32_t linkid;
    uint64_t psc;
    int r;

    r = proxyproto_ssl_get(h, &ssl);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND,
               "ssl_get on a parsed header: %s", proxyproto_error_name(r));
    if (r == 0) {
        FUZZ_CHECK(fuzz_inside(ssl.subtlvs, ssl.subtlvs_len, h->tlvs, h->tlvs_len),
                   "SSL sub-TLVs outside the TLV area");
        fuzz_check_valid_area(ssl.subtlvs, ssl.subtlvs_len, NULL, 0);
        FUZZ_CHECK(proxyproto_tlv_find(h->tlvs, h->tlvs_len, PROXYPROTO_TLV_SSL,
                                       &t) == 0 &&
                       t.value + 5 == ssl.subtlvs && ssl.client == t.value[0] &&
                       ssl.verify == fuzz_be32(t.value + 1),
                   "ssl_get disagrees with tlv_find");
    }
    r = proxyproto_aws_vpce_id(h, &id, &id_len);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_AWS_BAD_TLV,
               "aws: %s", proxyproto_error_name(r));
    if (r == 0) {
        size_t i;
        FUZZ_CHECK(id_len >= 1 && fuzz_inside(id, id_len, buf, n),
                   "AWS id span outside the header");
        for (i = 0; i < id_len; i++)
            FUZZ_CHECK(id[i] >= 0x20 && id[i] <= 0x7E, "AWS id not printable");
    }
    r = proxyproto_azure_linkid(h, &linkid);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_AZURE_BAD_TLV,
               "azure: %s", proxyproto_error_name(r));
    r = proxyproto_gcp_psc_id(h, &psc);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_GCP_BAD_TLV,
               "gcp: %s", proxyproto_error_name(r));
    fuzz_check_vendors(h);
}

/* Everything a successful parse of buf[0..n) returning rc must satisfy. */
static inline void fuzz_check_success(const proxyproto_header *h,
                                      const uint8_t *buf, size_t n, int rc)
{
    size_t hl = (size_t)rc, i;
    int use;

    FUZZ_CHECK(rc > 0 && hl <= n, "length %d outside the input of %zu", rc, n);
    FUZZ_CHECK(h->header_len == hl, "header_len %zu, returned %d",
               h->header_len, rc);
    if (h->version == 1) {
        FUZZ_CHECK(buf[0] == 'P' && hl >= 15 && hl <= PROXYPROTO_V1_MAX_LEN,
                   "v1 line of %zu bytes", hl);
        FUZZ_CHECK(memcmp(buf, "PROXY ", 6) == 0, "v1 without PROXY");
        FUZZ_CHECK(buf[hl - 2] == '\r' && buf[hl - 1] == '\n',
                   "v1 line does not end with CRLF");
        for (i = 0; i + 2 < hl; i++)
            FUZZ_CHECK(buf[i] >= 0x20 && buf[i] <= 0x7E,
                       "v1 byte 0x%02x at %zu accepted", buf[i], i);
        FUZZ_CHECK(h->command == PROXYPROTO_CMD_PROXY, "v1 command %u",
                   h->command);
        FUZZ_CHECK(h->tlvs == NULL && h->tlvs_len == 0, "v1 with TLVs");
        if (h->family == PROXYPROTO_AF_UNSPEC) {
            FUZZ_CHECK(memcmp(buf + 6, "UNKNOWN", 7) == 0, "UNSPEC not UNKNOWN");
            FUZZ_CHECK(h->transport == 0 && !h->has_addresses,
                       "v1 UNKNOWN fields");
        } else {
            FUZZ_CHECK((h->family == PROXYPROTO_AF_INET &&
                        memcmp(buf + 6, "TCP4 ", 5) == 0) ||
                           (h->family == PROXYPROTO_AF_INET6 &&
                            memcmp(buf + 6, "TCP6 ", 5) == 0),
                       "v1 family %u", h->family);
            FUZZ_CHECK(h->transport == PROXYPROTO_TRANSPORT_STREAM &&
                           h->has_addresses,
                       "v1 TCP fields");
            FUZZ_CHECK(h->src.path == NULL && h->dst.path == NULL &&
                           h->src.path_len == 0 && h->dst.path_len == 0,
                       "v1 with a path");
        }
    } else {
        size_t body, block;

        FUZZ_CHECK(h->version == 2, "version %u", h->version);
        FUZZ_CHECK(n >= 16 && memcmp(buf, "\r\n\r\n\0\r\nQUIT\n", 12) == 0 &&
                       buf[12] >> 4 == 2,
                   "v2 without signature");
        FUZZ_CHECK(hl == 16u + fuzz_be16(buf + 14), "v2 length %zu, len field %u",
                   hl, fuzz_be16(buf + 14));
        FUZZ_CHECK(h->command == (buf[12] & 15) && h->command <= 1 &&
                       h->family == buf[13] >> 4 && h->transport == (buf[13] & 15),
                   "v2 command/family/transport differ from bytes 12-13");
        body = hl - 16;
        block = fuzz_block_len(h->family);
        if (h->command == PROXYPROTO_CMD_PROXY)
            FUZZ_CHECK(h->family <= 3 && h->transport <= 2 && body >= block,
                       "PROXY header with family %u transport %u len %zu",
                       h->family, h->transport, body);
        FUZZ_CHECK(h->has_addresses == (h->family >= 1 && h->family <= 3 && body >= block),
                   "has_addresses %u for family %u len %zu", h->has_addresses,
                   h->family, body);
        if (h->tlvs != NULL || h->tlvs_len != 0) {
            FUZZ_CHECK(h->family <= 3 && body >= block, "TLVs without a known block");
            FUZZ_CHECK(h->tlvs == buf + 16 + block && h->tlvs_len == body - block,
                       "TLV area at %td len %zu, want %zu len %zu",
                       h->tlvs - buf, h->tlvs_len, 16 + block, body - block);
        }
        if (h->command == PROXYPROTO_CMD_PROXY && body > block)
            FUZZ_CHECK(h->tlvs != NULL, "PROXY header lost its TLV area");
        if (h->has_addresses) {
            const uint8_t *b = buf + 16;
            if (h->family == PROXYPROTO_AF_INET) {
                FUZZ_CHECK(!memcmp(h->src.ip.v4, b, 4) && !memcmp(h->dst.ip.v4, b + 4, 4) &&
                               h->src.port == fuzz_be16(b + 8) &&
                               h->dst.port == fuzz_be16(b + 10),
                           "INET block misread");
            } else if (h->family == PROXYPROTO_AF_INET6) {
                FUZZ_CHECK(!memcmp(h->src.ip.v6, b, 16) &&
                               !memcmp(h->dst.ip.v6, b + 16, 16) &&
                               h->src.port == fuzz_be16(b + 32) &&
                               h->dst.port == fuzz_be16(b + 34),
                           "INET6 block misread");
            } else {
                const uint8_t *z1 = memchr(b, 0, 108), *z2 = memchr(b + 108, 0, 108);
                FUZZ_CHECK(h->src.path == b && h->dst.path == b + 108,
                           "UNIX paths do not point at the block");
                FUZZ_CHECK(h->src.path_len == (z1 ? (size_t)(z1 - b) : 108) &&
                               h->dst.path_len == (z2 ? (size_t)(z2 - b - 108) : 108),
                           "UNIX path_len %zu/%zu", h->src.path_len, h->dst.path_len);
                FUZZ_CHECK(h->src.port == 0 && h->dst.port == 0, "UNIX port");
            }
            if (h->family != PROXYPROTO_AF_UNIX)
                FUZZ_CHECK(h->src.path == NULL && h->dst.path == NULL,
                           "IP family with a path");
        }
        if (h->tlvs != NULL)
            fuzz_check_valid_area(h->tlvs, h->tlvs_len, buf, hl);
    }
    if (h->has_addresses && h->family == PROXYPROTO_AF_UNIX) {
        FUZZ_CHECK(fuzz_inside(h->src.path, 108, buf, hl) &&
                       fuzz_inside(h->dst.path, 108, buf, hl),
                   "UNIX path outside the header");
    }
    fuzz_check_accessors(h, buf, hl);
    use = h->command == PROXYPROTO_CMD_PROXY && h->has_addresses &&
          h->family >= 1 && h->family <= 3 && h->transport >= 1 && h->transport <= 2;
    FUZZ_CHECK(proxyproto_use_header_addresses(h) == use,
               "use_header_addresses %d, want %d",
               proxyproto_use_header_addresses(h), use);
}

/* Everything any parse result must satisfy. */
static inline void fuzz_check_result(const proxyproto_header *h,
                                     const uint8_t *buf, size_t n, int rc)
{
    if (rc > 0) {
        fuzz_check_success(h, buf, n, rc);
        return;
    }
    FUZZ_CHECK(fuzz_parse_code(rc), "parse returned %d (%s) on %s", rc,
               proxyproto_error_name(rc), fuzz_hex(buf, n));
    if (rc != PROXYPROTO_INCOMPLETE)
        return;
    FUZZ_CHECK(h->need >= 1 && h->need <= PROXYPROTO_V2_MAX_LEN,
               "need %zu after %zu bytes", h->need, n);
    if (n >= 16 && buf[0] == '\r')
        FUZZ_CHECK(h->need == 16u + fuzz_be16(buf + 14) - n,
                   "v2 need %zu after %zu bytes, len field %u", h->need, n,
                   fuzz_be16(buf + 14));
    if (n > 0 && buf[0] == 'P')
        FUZZ_CHECK(n + h->need <= PROXYPROTO_V1_MAX_LEN,
                   "v1 need %zu after %zu bytes: past 107", h->need, n);
}

#endif /* PROXYPROTO_FUZZ_H */
