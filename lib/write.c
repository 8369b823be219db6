/* proxyproto_write() and proxyproto_write_size(): one header, v1 or v2.
 * The size is always known before the first byte is written, so a short
 * buffer or a bad header leaves the caller's buffer untouched (proxyproto(7)
 * section 6). */
#include "writer.h"

/* v2: fixed part, address block, hdr->tlvs verbatim; then the CRC32C TLV
 * in it (at most one) gets the CRC of the finished header (proxyproto(7)
 * section 6: computed last). */
static int write_v2(uint8_t *out, size_t cap, const proxyproto_header *hdr)
{
    int n = proxyproto__v2_size(hdr, 0);
    size_t tlvs;

    if (n < 0)
        return n;
    if ((size_t)n > cap)
        return PROXYPROTO_ERR_BUFFER_TOO_SMALL;
    /* The TLVs are the last bytes: out[tlvs..n). */
    tlvs = proxyproto__v2_put_head(out, hdr, (size_t)n);
    if (hdr->tlvs_len != 0 && proxyproto__v2_set_crcs(out, tlvs, (size_t)n, 0) != 0)
        proxyproto__v2_set_crcs(out, tlvs, (size_t)n,
                                proxyproto_crc32c(0, out, (size_t)n));
    return n;
}

PROXYPROTO_API int proxyproto_write_size(const proxyproto_header *hdr)
{
    if (hdr == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (hdr->version == 1)
        return proxyproto__write_v1(NULL, 0, hdr);
    if (hdr->version == 2)
        return proxyproto__v2_size(hdr, 0);
    return PROXYPROTO_ERR_INVALID_ARGUMENT;
}

PROXYPROTO_API int proxyproto_write(void *buf, size_t cap,
                                    const proxyproto_header *hdr)
{
    int n;

    if (hdr == NULL || (buf == NULL && cap != 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (buf == NULL) {
        /* (NULL, 0): nothing fits; report why the header is bad first. */
        n = proxyproto_write_size(hdr);
        return n < 0 ? n : PROXYPROTO_ERR_BUFFER_TOO_SMALL;
    }
    if (hdr->version == 1)
        return proxyproto__write_v1((char *)buf, cap, hdr);
    if (hdr->version == 2)
        return write_v2((uint8_t *)buf, cap, hdr);
    return PROXYPROTO_ERR_INVALID_ARGUMENT;
}
