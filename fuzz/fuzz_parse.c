/* fuzz_parse: proxyproto_parse() on any input.
 *
 * Invariants (include/proxyproto.h, proxyproto(7), tests/PARSER_RULES.md):
 *  - the result is a length within the input or a known parse code;
 *  - a success describes the bytes (fields, spans inside the header, TLV and
 *    SSL sub-TLV areas that tile exactly and obey proxyproto(7) section 4);
 *  - INCOMPLETE sets need >= 1, exact for v2 from 16 bytes on: giving that
 *    many more bytes never yields INCOMPLETE;
 *  - every prefix agrees with the whole: INCOMPLETE until the first final
 *    answer, which is the whole's; a prefix of a valid header is INCOMPLETE
 *    with prefix + need <= header length;
 *  - writing a parsed header and parsing it again gives the same header
 *    (bytes included when nothing was dropped), and writing is a fixed point;
 *  - the TLV iterator and the accessors are safe on arbitrary bytes;
 *  - proxyproto_parse_datagram() is the parse, INCOMPLETE turned into
 *    DATAGRAM_TRUNCATED;
 *  - nothing past the header is read (ASan builds: the payload is made
 *    unreadable and the parse repeated). */
#include "fuzz.h"

/* Same header after a write and a parse; bytes compared where they must be. */
static void check_same_meaning(const proxyproto_header *a,
                               const proxyproto_header *b)
{
    const proxyproto_addr *x[2] = {&a->src, &a->dst}, *y[2] = {&b->src, &b->dst};
    int i;

    FUZZ_CHECK(a->version == b->version && a->command == b->command &&
                   a->family == b->family && a->transport == b->transport &&
                   a->has_addresses == b->has_addresses,
               "rewrite changed v%u cmd %u fam %u tr %u addr %u -> v%u cmd %u "
               "fam %u tr %u addr %u",
               a->version, a->command, a->family, a->transport, a->has_addresses,
               b->version, b->command, b->family, b->transport, b->has_addresses);
    FUZZ_CHECK(a->tlvs_len == b->tlvs_len &&
                   (a->tlvs_len == 0 || memcmp(a->tlvs, b->tlvs, a->tlvs_len) == 0),
               "rewrite changed the TLV area (%zu -> %zu bytes)", a->tlvs_len,
               b->tlvs_len);
    if (!a->has_addresses)
        return;
    for (i = 0; i < 2; i++) {
        FUZZ_CHECK(x[i]->port == y[i]->port, "rewrite changed a port");
        if (a->family == PROXYPROTO_AF_INET)
            FUZZ_CHECK(memcmp(x[i]->ip.v4, y[i]->ip.v4, 4) == 0,
                       "rewrite changed an IPv4 address");
        else if (a->family == PROXYPROTO_AF_INET6)
            FUZZ_CHECK(memcmp(x[i]->ip.v6, y[i]->ip.v6, 16) == 0,
                       "rewrite changed an IPv6 address");
        else
            FUZZ_CHECK(x[i]->path_len == y[i]->path_len &&
                           memcmp(x[i]->path, y[i]->path, 108) == 0,
                       "rewrite changed a UNIX path");
    }
}

/* proxyproto_write() of a parsed header, parsed again, written again. */
static void check_rewrite(const proxyproto_header *h, const uint8_t *buf)
{
    proxyproto_header h2;
    uint8_t *out, *out2;
    int n, w, r, w2;
    size_t kept;

    n = proxyproto_write_size(h);
    if (n == PROXYPROTO_ERR_CRC32C_TWICE)
        return; /* two CRC32C TLVs that both check: legal to read, not to write */
    FUZZ_CHECK(n > 0, "write_size of a parsed header: %s",
               proxyproto_error_name(n));
    out = fuzz_buf(1, (size_t)n);
    /* One byte short: refused, nothing written. */
    if (n > 1) {
        memset(out, 0x5A, (size_t)n);
        w = proxyproto_write(out + 1, (size_t)n - 1, h);
        FUZZ_CHECK(w == PROXYPROTO_ERR_BUFFER_TOO_SMALL, "short write gave %s",
                   proxyproto_error_name(w));
        for (kept = 0; kept < (size_t)n; kept++)
            FUZZ_CHECK(out[kept] == 0x5A, "failed write wrote byte %zu", kept);
    }
    w = proxyproto_write(out, (size_t)n, h);
    FUZZ_CHECK(w == n, "write gave %d, write_size %d", w, n);
    r = proxyproto_parse(&h2, out, (size_t)n, 0);
    FUZZ_CHECK(r == n, "parse of the rewrite gave %d (%s), want %d; rewrite %s",
               r, proxyproto_error_name(r), n, fuzz_hex(out, (size_t)n));
    fuzz_check_success(&h2, out, (size_t)n, r);
    check_same_meaning(h, &h2);
    /* Nothing dropped (v2): the same bytes (proxyproto(7) section 6:
     * canonical round trip). */
    kept = 16 + (h->has_addresses ? fuzz_block_len(h->family) : 0) + h->tlvs_len;
    if (h->version == 2 && kept == h->header_len)
        FUZZ_CHECK(memcmp(out, buf, h->header_len) == 0,
                   "rewrite of a v2 header changed its bytes: %s",
                   fuzz_hex(buf, h->header_len));
    if (h->version == 2 && h->command == PROXYPROTO_CMD_PROXY)
        FUZZ_CHECK(kept == h->header_len, "PROXY header dropped bytes");
    /* Written again: a fixed point. */
    out2 = fuzz_buf(2, (size_t)n);
    w2 = proxyproto_write(out2, (size_t)n, &h2);
    FUZZ_CHECK(w2 == n && memcmp(out, out2, (size_t)n) == 0,
               "writing is not a fixed point: %s", fuzz_hex(out, (size_t)n));
    fuzz_buf_release(out2);
    fuzz_buf_release(out);
}

/* Every prefix agrees with the whole input. */
static void check_prefixes(const uint8_t *data, size_t size, int whole,
                           const proxyproto_header *hw)
{
    proxyproto_header h;
    size_t k;

    for (k = 0; k < size; k++) {
        int r = proxyproto_parse(&h, k ? data : NULL, k, 0);

        fuzz_check_result(&h, data, k, r);
        if (whole > 0 && k < (size_t)whole) {
            FUZZ_CHECK(r == PROXYPROTO_INCOMPLETE,
                       "prefix %zu of a valid %d-byte header gave %s", k, whole,
                       proxyproto_error_name(r));
            FUZZ_CHECK(k + h.need <= (size_t)whole,
                       "prefix %zu: need %zu, header is %d bytes", k, h.need,
                       whole);
            continue;
        }
        if (r == PROXYPROTO_INCOMPLETE)
            continue;
        FUZZ_CHECK(r == whole, "prefix %zu gave %d (%s), the whole %d (%s)", k,
                   r, proxyproto_error_name(r), whole, proxyproto_error_name(whole));
        if (r > 0) {
            const char *d = fuzz_header_diff(&h, data, hw, data);
            FUZZ_CHECK(d == NULL, "prefix %zu: %s differs", k, d);
        }
        break; /* a final answer; every longer prefix is checked by the whole */
    }
}

/* v2 with 16 bytes in: need more bytes complete it, whatever they are. */
static void check_need_exact(const uint8_t *data, size_t size, size_t need)
{
    proxyproto_header h;
    uint8_t *ext = fuzz_buf(1, size + need);
    size_t i;
    int r;

    memcpy(ext, data, size);
    for (i = 0; i < need; i++)
        ext[size + i] = data[i % size];
    r = proxyproto_parse(&h, ext, size + need, 0);
    FUZZ_CHECK(r != PROXYPROTO_INCOMPLETE,
               "v2: %zu more bytes after %zu still INCOMPLETE (need %zu)", need,
               size, h.need);
    fuzz_check_result(&h, ext, size + need, r);
    if (r > 0)
        FUZZ_CHECK((size_t)r == size + need, "v2: header of %d, want %zu", r,
                   size + need);
    /* Same with last_len: the earlier call said INCOMPLETE at size. */
    {
        proxyproto_header h2;
        int r2 = proxyproto_parse(&h2, ext, size + need, size);
        FUZZ_CHECK(r2 == r, "last_len %zu: %d, without %d", size, r2, r);
    }
    fuzz_buf_release(ext);
}

/* Nothing past the header is read (include/proxyproto.h): with the bytes
 * after it unreadable (AddressSanitizer builds), the same answer. */
static void check_nothing_past(const uint8_t *data, size_t size, int r)
{
#ifdef FUZZ_ASAN
    proxyproto_header h;
    uint8_t *copy;
    int r2;

    if ((size_t)r == size)
        return;
    copy = malloc(size);
    FUZZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    FUZZ_POISON(copy + r, size - (size_t)r);
    r2 = proxyproto_parse(&h, copy, size, 0);
    FUZZ_UNPOISON(copy + r, size - (size_t)r);
    FUZZ_CHECK(r2 == r, "with the payload unreadable: %d, else %d", r2, r);
    free(copy);
#else
    (void)data;
    (void)size;
    (void)r;
#endif
}

/* Accessors on a header whose TLV area is arbitrary (not parsed). */
static void check_any_bytes(const uint8_t *data, size_t size)
{
    proxyproto_header fake;
    proxyproto_ssl ssl;
    proxyproto_tlv t;
    const char *id;
    size_t id_len;
    uint32_t linkid;
    uint64_t psc;
    int r;

    fuzz_walk_any(data, size);
    if (size > 0) {
        r = proxyproto_tlv_find(data, size, data[0], &t);
        FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND, "tlv_find: %d", r);
        if (r == 0)
            FUZZ_CHECK(t.type == data[0] && fuzz_inside(t.value, t.len, data, size),
                       "tlv_find result outside");
    }
    memset(&fake, 0, sizeof fake);
    fake.version = 2;
    fake.tlvs = size ? data : NULL;
    fake.tlvs_len = size;
    r = proxyproto_ssl_get(&fake, &ssl);
    if (proxyproto_tlv_find(fake.tlvs, size, PROXYPROTO_TLV_SSL, &t) != 0) {
        FUZZ_CHECK(r == PROXYPROTO_ERR_TLV_NOT_FOUND, "ssl_get without SSL TLV: %s",
                   proxyproto_error_name(r));
    } else {
        /* include/proxyproto.h: on a header not filled by a parse, a
         * malformed SSL TLV gives its PROXYPROTO_ERR_V2_SSL_* code. */
        int want = fuzz_model_ssl(t.value, t.len);
        if (fuzz_enabled("ssl_get_subs") || want == PROXYPROTO_ERR_V2_SSL_TOO_SHORT)
            FUZZ_CHECK(r == want, "ssl_get on SSL TLV %s gave %s, want %s",
                       fuzz_hex(t.value - 3, t.len + 3u), proxyproto_error_name(r),
                       proxyproto_error_name(want));
        else
            FUZZ_CHECK(r == want || r == 0, "ssl_get: %s", proxyproto_error_name(r));
    }
    if (r == 0) {
        FUZZ_CHECK(fuzz_inside(ssl.subtlvs, ssl.subtlvs_len, data, size),
                   "SSL sub-TLV area outside");
        fuzz_walk_any(ssl.subtlvs, ssl.subtlvs_len);
    }
    r = proxyproto_aws_vpce_id(&fake, &id, &id_len);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_AWS_BAD_TLV,
               "aws: %s", proxyproto_error_name(r));
    if (r == 0)
        FUZZ_CHECK(fuzz_inside(id, id_len, data, size), "AWS id outside");
    r = proxyproto_azure_linkid(&fake, &linkid);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_AZURE_BAD_TLV,
               "azure: %s", proxyproto_error_name(r));
    r = proxyproto_gcp_psc_id(&fake, &psc);
    FUZZ_CHECK(r == 0 || r == PROXYPROTO_ERR_TLV_NOT_FOUND ||
                   r == PROXYPROTO_ERR_GCP_BAD_TLV,
               "gcp: %s", proxyproto_error_name(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxyproto_header h;
    int r;

    if (size > FUZZ_MAX - 4096)
        return 0;
    memset(&h, 0xA5, sizeof h);
    r = proxyproto_parse(&h, size ? data : NULL, size, 0);
    fuzz_check_result(&h, data, size, r);
    check_prefixes(data, size, r, &h);
    if (r > 0) {
        check_rewrite(&h, data);
        check_nothing_past(data, size, r);
    }
    else if (r == PROXYPROTO_INCOMPLETE && size >= 16 && data[0] == '\r')
        check_need_exact(data, size, h.need);
    {
        /* UDP (proxyproto(7) section 5): the datagram is the whole input. */
        proxyproto_header hd;
        int rd = proxyproto_parse_datagram(&hd, size ? data : NULL, size);
        FUZZ_CHECK(rd == (r == PROXYPROTO_INCOMPLETE ? PROXYPROTO_ERR_DATAGRAM_TRUNCATED : r),
                   "parse_datagram %d (%s), parse %d (%s)", rd,
                   proxyproto_error_name(rd), r, proxyproto_error_name(r));
        if (rd > 0) {
            const char *d = fuzz_header_diff(&hd, data, &h, data);
            FUZZ_CHECK(d == NULL, "parse_datagram: %s differs", d);
        }
    }
    check_any_bytes(data, size);
    /* Bad arguments are refused, never followed. */
    FUZZ_CHECK(proxyproto_parse(NULL, data, size, 0) == PROXYPROTO_ERR_INVALID_ARGUMENT,
               "NULL hdr accepted");
    if (size > 0)
        FUZZ_CHECK(proxyproto_parse(&h, NULL, size, 0) == PROXYPROTO_ERR_INVALID_ARGUMENT,
                   "NULL buffer with len %zu accepted", size);
    return 0;
}
