/* The v2 header builder: records TLVs (values stay in the caller's memory,
 * small vendor values in the entry's inline_ bytes) and writes the whole
 * header in proxyproto_builder_finish(), so a failure writes nothing
 * (proxyproto(7) section 6). The header part is written by the same code as
 * proxyproto_write() (write_v2.c); the entries follow it in order. */
#include "writer.h"

#include <string.h>

/* Entry kinds (proxyproto_builder_entry_.kind_). Every kind but PAD is
 * written as type, length, inline_ bytes, then value_ bytes. */
enum {
    KIND_PLAIN = 1,
    KIND_SSL,     /* inline_: client, verify; its length covers the subs */
    KIND_SSL_SUB, /* written right after its SSL entry, inside its value */
    KIND_PAD,     /* NOOP sized at finish; inline_[0] holds align - 1 */
    KIND_CRC      /* inline_: 4 zero bytes, the CRC is stored last */
};

#define TLV_MAX 65535u /* a 16-bit length field (proxyproto(7) section 4) */

/* Errors are sticky: the first one is kept and returned from then on. */
static int fail(proxyproto_builder *b, int err)
{
    if (b->error_ == 0)
        b->error_ = err;
    return b->error_;
}

/* Bytes an entry takes, a padding entry counted at its minimum (3). */
static size_t entry_len(const proxyproto_builder_entry_ *e)
{
    return e->kind_ == KIND_PAD ? 3u : 3u + e->inline_len_ + e->value_len_;
}

/* Value length of the SSL entry at i: its 5 inline bytes and the sub-TLVs
 * that follow it. */
static size_t ssl_len(const proxyproto_builder *b, unsigned i)
{
    size_t len = b->entries_[i].inline_len_;

    while (++i < b->count_ && b->entries_[i].kind_ == KIND_SSL_SUB)
        len += entry_len(&b->entries_[i]);
    return len;
}

/* Index of the SSL entry that the last entry is or belongs to, as one of
 * its sub-TLVs. A sub follows an SSL entry or a sub, so the walk back ends
 * on the SSL entry; the i > 0 stop is for the proof (make prove), which
 * does not see that. */
static unsigned open_ssl(const proxyproto_builder *b)
{
    unsigned i = b->count_ - 1;

    while (i > 0 && b->entries_[i].kind_ == KIND_SSL_SUB)
        i--;
    return i;
}

/* CRC32C TLVs the header would carry: those of hdr->tlvs and the entries
 * of type CRC32C with a 4-byte value (SSL sub-TLVs are not top-level). */
static unsigned count_crcs(const proxyproto_builder *b)
{
    unsigned i, n = proxyproto__v2_count_crcs(b->hdr_->tlvs, b->hdr_->tlvs_len);

    for (i = 0; i < b->count_; i++) {
        const proxyproto_builder_entry_ *e = &b->entries_[i];

        n += e->kind_ != KIND_SSL_SUB && e->type_ == PROXYPROTO_TLV_CRC32C &&
             entry_len(e) == 3 + 4;
    }
    return n;
}

/*
 * Final size of the header, and how many bytes each padding entry grows
 * past its 3 in grows[] (indexed like the entries; other slots are left
 * as they are). Paddings are sized in order, each so that
 * the whole header length becomes a multiple of its align, the paddings
 * after it counted at their minimum of 3 bytes: so the last padding's
 * alignment always holds, and an earlier one's holds when its align
 * divides the later aligns.
 */
static int layout(const proxyproto_builder *b, uint16_t *grows)
{
    size_t total, head;
    unsigned i;
    int r;

    if (b->error_ != 0)
        return b->error_;
    r = proxyproto__v2_size(b->hdr_, 0);
    if (r < 0)
        return r;
    if (count_crcs(b) > 1) /* hdr may have changed since the adds */
        return PROXYPROTO_ERR_CRC32C_TWICE;
    total = head = (size_t)r;
    for (i = 0; i < b->count_; i++)
        total += entry_len(&b->entries_[i]);
    if (total > PROXYPROTO_V2_MAX_LEN)
        return PROXYPROTO_ERR_HEADER_TOO_LONG;
    for (i = 0; i < b->count_; i++) {
        const proxyproto_builder_entry_ *e = &b->entries_[i];
        size_t align, grow;

        if (e->kind_ != KIND_PAD)
            continue;
        /* total counts this NOOP at 3 bytes, its least; grow it to the
         * next multiple (so the NOOP is 3 to align + 2 bytes). align - 1
         * is stored in a byte: a divisor of 1 or more whatever the slot
         * holds, and value_len_ stays 0 as for the other valueless kinds. */
        align = e->inline_[0] + 1u;
        grow = (align - total % align) % align;
        grows[i] = (uint16_t)grow;
        total += grow;
    }
    /* Validates the header part with its TLVs and the 65551-byte limit. */
    return proxyproto__v2_size(b->hdr_, total - head);
}

/* Records an entry after the checks every add call shares. */
static int push(proxyproto_builder *b, int kind, uint8_t type,
                const void *value, size_t len, const uint8_t *inl,
                unsigned inl_len)
{
    proxyproto_builder_entry_ *e;

    if (value == NULL && len != 0)
        return fail(b, PROXYPROTO_ERR_INVALID_ARGUMENT);
    if (len > TLV_MAX - inl_len)
        return fail(b, PROXYPROTO_ERR_TLV_TOO_LONG);
    if (b->count_ >= PROXYPROTO_BUILDER_MAX)
        return fail(b, PROXYPROTO_ERR_BUILDER_FULL);
    e = &b->entries_[b->count_++];
    e->value_ = (const uint8_t *)value;
    e->value_len_ = (uint16_t)len;
    e->type_ = type;
    e->kind_ = (uint8_t)kind;
    e->inline_len_ = (uint8_t)inl_len;
    memset(e->inline_, 0, sizeof e->inline_);
    if (inl_len != 0)
        memcpy(e->inline_, inl, inl_len);
    return 0;
}

/* Reports a header over 65551 bytes as soon as an add makes it so (the
 * header part as hdr is now; paddings at their minimum). Other header
 * errors are left to finish: hdr may still be filled in. */
static int check_total(proxyproto_builder *b)
{
    size_t extra = 0;
    unsigned i;

    for (i = 0; i < b->count_; i++)
        extra += entry_len(&b->entries_[i]);
    if (proxyproto__v2_size(b->hdr_, extra) == PROXYPROTO_ERR_HEADER_TOO_LONG)
        return fail(b, PROXYPROTO_ERR_HEADER_TOO_LONG);
    return 0;
}

static int add_entry(proxyproto_builder *b, int kind, uint8_t type,
                     const void *value, size_t len, const uint8_t *inl,
                     unsigned inl_len)
{
    int r;

    if (b == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (b->error_ != 0)
        return b->error_;
    r = push(b, kind, type, value, len, inl, inl_len);
    if (r == 0 && type == PROXYPROTO_TLV_CRC32C && count_crcs(b) > 1)
        r = fail(b, PROXYPROTO_ERR_CRC32C_TWICE);
    return r != 0 ? r : check_total(b);
}

PROXYPROTO_API void proxyproto_builder_init(proxyproto_builder *b,
                                            const proxyproto_header *hdr)
{
    if (b == NULL)
        return;
    b->hdr_ = hdr;
    b->error_ = hdr == NULL ? PROXYPROTO_ERR_INVALID_ARGUMENT : 0;
    b->count_ = 0;
}

PROXYPROTO_API int proxyproto_builder_add(proxyproto_builder *b, uint8_t type,
                                          const void *value, size_t len)
{
    return add_entry(b, KIND_PLAIN, type, value, len, NULL, 0);
}

PROXYPROTO_API int proxyproto_builder_add_ssl(proxyproto_builder *b,
                                              uint8_t client, uint32_t verify)
{
    uint8_t inl[5];

    /* proxyproto(7) section 4: client (1 byte), verify (4 bytes,
     * big-endian). */
    inl[0] = client;
    proxyproto__put32(inl + 1, verify);
    return add_entry(b, KIND_SSL, PROXYPROTO_TLV_SSL, NULL, 0, inl, 5);
}

PROXYPROTO_API int proxyproto_builder_add_ssl_sub(proxyproto_builder *b,
                                                  uint8_t type,
                                                  const void *value, size_t len)
{
    int kind;

    if (b == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (b->error_ != 0)
        return b->error_;
    kind = b->count_ > 0 ? b->entries_[b->count_ - 1].kind_ : 0;
    if (kind != KIND_SSL && kind != KIND_SSL_SUB)
        return fail(b, PROXYPROTO_ERR_SSL_SUB_OUTSIDE_SSL);
    /* The SSL TLV's own length field must hold all of its subs. */
    if (len > TLV_MAX || ssl_len(b, open_ssl(b)) + 3 + len > TLV_MAX)
        return fail(b, PROXYPROTO_ERR_TLV_TOO_LONG);
    return add_entry(b, KIND_SSL_SUB, type, value, len, NULL, 0);
}

PROXYPROTO_API int proxyproto_builder_add_aws_vpce_id(proxyproto_builder *b,
                                                      const char *id,
                                                      size_t id_len)
{
    static const uint8_t sub = PROXYPROTO_AWS_VPCE_ID;
    size_t i;

    if (b == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (b->error_ != 0)
        return b->error_;
    /* Only what proxyproto_aws_vpce_id() reads back: a non-empty id of
     * printable ASCII (proxyproto(7) section 4, vendor TLVs). */
    if (id == NULL || id_len == 0)
        return fail(b, PROXYPROTO_ERR_INVALID_ARGUMENT);
    if (id_len > TLV_MAX - 1)
        return fail(b, PROXYPROTO_ERR_TLV_TOO_LONG);
    for (i = 0; i < id_len; i++)
        if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7E)
            return fail(b, PROXYPROTO_ERR_INVALID_ARGUMENT);
    return add_entry(b, KIND_PLAIN, PROXYPROTO_TLV_AWS, id, id_len, &sub, 1);
}

PROXYPROTO_API int proxyproto_builder_add_azure_linkid(proxyproto_builder *b,
                                                       uint32_t linkid)
{
    uint8_t inl[5];

    /* Sub-type, then LINKID little-endian (proxyproto(7) section 4). */
    inl[0] = PROXYPROTO_AZURE_LINKID;
    inl[1] = (uint8_t)linkid;
    inl[2] = (uint8_t)(linkid >> 8);
    inl[3] = (uint8_t)(linkid >> 16);
    inl[4] = (uint8_t)(linkid >> 24);
    return add_entry(b, KIND_PLAIN, PROXYPROTO_TLV_AZURE, NULL, 0, inl, 5);
}

PROXYPROTO_API int proxyproto_builder_add_gcp_psc_id(proxyproto_builder *b,
                                                     uint64_t psc_id)
{
    uint8_t inl[8];

    /* No sub-type; the id big-endian (proxyproto(7) section 4). */
    proxyproto__put32(inl, (uint32_t)(psc_id >> 32));
    proxyproto__put32(inl + 4, (uint32_t)psc_id);
    return add_entry(b, KIND_PLAIN, PROXYPROTO_TLV_GCP, NULL, 0, inl, 8);
}

PROXYPROTO_API int proxyproto_builder_add_padding(proxyproto_builder *b,
                                                  unsigned align)
{
    unsigned i;
    int r;

    if (b == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (b->error_ != 0)
        return b->error_;
    if (align < 1 || align > 256)
        return fail(b, PROXYPROTO_ERR_INVALID_ARGUMENT);
    i = b->count_;
    r = add_entry(b, KIND_PAD, PROXYPROTO_TLV_NOOP, NULL, 0, NULL, 0);
    if (b->count_ > i) /* recorded, even if the add made it too long */
        b->entries_[i].inline_[0] = (uint8_t)(align - 1);
    return r;
}

PROXYPROTO_API int proxyproto_builder_add_crc32c(proxyproto_builder *b)
{
    static const uint8_t zero[4] = {0, 0, 0, 0};

    return add_entry(b, KIND_CRC, PROXYPROTO_TLV_CRC32C, NULL, 0, zero, 4);
}

PROXYPROTO_API int proxyproto_builder_size(const proxyproto_builder *b)
{
    uint16_t grows[PROXYPROTO_BUILDER_MAX];

    if (b == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    return layout(b, grows);
}

/*
 * The entries are written at out[at..n), n the size layout() returned.
 * Every write is compared with n first. The compares never fail, since
 * layout() counted every byte, but the proof (make prove) cannot add up
 * the entries' lengths, and sees by them alone that nothing passes n
 * (tests/prove/README.md, the builder).
 */

/* The next size bytes of src at out[*at..], if both they and their room
 * are there. size is a constant at every call, so the copy is a few
 * moves. */
static void put_step(uint8_t *out, size_t *at, size_t n, const uint8_t *src,
                     size_t *k, size_t len, size_t size)
{
    if (*k + size <= len && *at + size <= n) {
        memcpy(out + *at, src + *k, size);
        *k += size;
        *at += size;
    }
}

/* len bytes of src at out[at..), never past n; returns the offset after
 * them. Whole 64-byte blocks, then what is left (under 64) in steps of
 * 32, 16, 8, 4, 2 and 1: fixed-size copies, each compared with n. */
static size_t put_bytes(uint8_t *out, size_t at, size_t n,
                        const uint8_t *src, size_t len)
{
    size_t k = 0;

    for (; k + 64 <= len && at + 64 <= n; k += 64, at += 64)
        memcpy(out + at, src + k, 64);
    put_step(out, &at, n, src, &k, len, 32);
    put_step(out, &at, n, src, &k, len, 16);
    put_step(out, &at, n, src, &k, len, 8);
    put_step(out, &at, n, src, &k, len, 4);
    put_step(out, &at, n, src, &k, len, 2);
    put_step(out, &at, n, src, &k, len, 1);
    return at;
}

/* An entry's inline_ bytes a byte at a time, never past n: for an entry
 * near the end. Apart from put_bytes(), which copies the caller's values,
 * so that the proof never takes a value's length for inline_'s. */
static size_t put_inline(uint8_t *out, size_t at, size_t n,
                         const proxyproto_builder_entry_ *e)
{
    unsigned k;

    for (k = 0; k < e->inline_len_ && at < n; k++)
        out[at++] = e->inline_[k];
    return at;
}

/* A padding NOOP's len zero bytes, never past n. */
static size_t put_zeros(uint8_t *out, size_t at, size_t n, size_t len)
{
    for (; len > 0 && at < n; len--)
        out[at++] = 0;
    return at;
}

/* Writes the entries at out[at..n), in order; grows[] comes from
 * layout(). */
static void put_entries(const proxyproto_builder *b, uint8_t *out,
                        size_t at, size_t n, const uint16_t *grows)
{
    unsigned i;

    for (i = 0; i < b->count_; i++) {
        const proxyproto_builder_entry_ *e = &b->entries_[i];
        const uint8_t *value;
        size_t len = e->kind_ == KIND_PAD
                         ? grows[i]
                         : e->inline_len_ + (size_t)e->value_len_;

        if (at + 3 > n)
            return;
        out[at] = e->type_;
        /* An SSL TLV's value goes on with the sub-TLVs written next. */
        proxyproto__put16(out + at + 1, (unsigned)(e->kind_ == KIND_SSL
                                                       ? ssl_len(b, i)
                                                       : len));
        at += 3;
        if (e->kind_ == KIND_PAD) {
            at = put_zeros(out, at, n, len);
            continue;
        }
        /* All 8 inline_ bytes where there is room: one move, and the
         * bytes past inline_len_ are written over by what follows, since
         * the entries fill out[..n) in order. */
        if (at + sizeof e->inline_ <= n) {
            memcpy(out + at, e->inline_, sizeof e->inline_);
            at += e->inline_len_;
        } else {
            at = put_inline(out, at, n, e);
        }
        /* NULL for the kinds without the caller's bytes (push() takes
         * none with a length). Tested rather than value_len_, and in a
         * variable: the proof does not tie a slot's pointer to its
         * length, nor a test of a slot's field to its next read. */
        value = e->value_;
        if (value != NULL)
            at = put_bytes(out, at, n, value, e->value_len_);
    }
}

/* proxyproto(7) section 6: the CRC32C is computed last, over the finished
 * header. The one CRC32C TLV (in hdr->tlvs, as proxyproto_write() does, or
 * the builder's) is zeroed, then gets the CRC of the whole header. */
static void seal(uint8_t *out, size_t n, size_t tlvs, size_t entries)
{
    uint32_t crc;

    if (proxyproto__v2_set_crcs(out, tlvs, entries, 0) +
            proxyproto__v2_set_crcs(out, entries, n, 0) ==
        0)
        return;
    crc = proxyproto_crc32c(0, out, n);
    proxyproto__v2_set_crcs(out, tlvs, entries, crc);
    proxyproto__v2_set_crcs(out, entries, n, crc);
}

PROXYPROTO_API int proxyproto_builder_finish(const proxyproto_builder *b,
                                             void *buf, size_t cap)
{
    /* Zeroed: layout() sets the paddings' slots only, and the proof (make
     * prove) does not tie a slot's kind to whether it was set. */
    uint16_t grows[PROXYPROTO_BUILDER_MAX] = {0};
    uint8_t *out = (uint8_t *)buf;
    size_t tlvs, off;
    int n;

    if (b == NULL || (buf == NULL && cap != 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    n = layout(b, grows);
    /* Below 0: an error. Never 0 to 15, a header's fixed part, but the
     * proof (make prove) sees a size and the errors as one range. */
    if (n < PROXYPROTO_V2_FIXED_LEN)
        return n;
    if ((size_t)n > cap)
        return PROXYPROTO_ERR_BUFFER_TOO_SMALL;
    tlvs = proxyproto__v2_put_head(out, b->hdr_, (size_t)n);
    off = tlvs + b->hdr_->tlvs_len;
    if (off > (size_t)n) /* never: n counts hdr's TLVs (for the proof) */
        off = (size_t)n;
    put_entries(b, out, off, (size_t)n, grows);
    seal(out, (size_t)n, tlvs, off);
    return n;
}
