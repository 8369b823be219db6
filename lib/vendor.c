/* Typed accessors for the cloud vendors' custom TLVs (proxyproto(7) section 4,
 * "Vendor TLVs"). They validate the layout; the header is never rejected
 * for a custom TLV. The value is a[at..end) of the TLV area a, its length
 * checked as `end` against `at` plus a constant: the form in which Frama-C
 * Eva (make prove) bounds the reads that follow. */
#include "internal.h"

static int printable(const uint8_t *a, size_t i, size_t end)
{
    for (; i < end; i++)
        if (a[i] < 0x20 || a[i] > 0x7E)
            return 0;
    return 1;
}

/* AWS: sub-type 0x01, then the VPC endpoint id as ASCII without a NUL. */
PROXYPROTO_API int proxyproto_aws_vpce_id(const proxyproto_header *hdr,
                                          const char **id, size_t *id_len)
{
    const uint8_t *a = hdr->tlvs;
    size_t at, end;
    int err = proxyproto__tlv_find_at(a, 0, hdr->tlvs_len, PROXYPROTO_TLV_AWS, &at, &end);

    if (err != 0)
        return err;
    if (at + 2 > end || a[at] != PROXYPROTO_AWS_VPCE_ID || !printable(a, at + 1, end))
        return PROXYPROTO_ERR_AWS_BAD_TLV;
    *id = (const char *)a + at + 1;
    *id_len = end - at - 1;
    return 0;
}

/* Azure: sub-type 0x01, then LINKID as a little-endian uint32 (5 bytes). */
PROXYPROTO_API int proxyproto_azure_linkid(const proxyproto_header *hdr,
                                           uint32_t *linkid)
{
    const uint8_t *a = hdr->tlvs;
    size_t at, end;
    int err = proxyproto__tlv_find_at(a, 0, hdr->tlvs_len, PROXYPROTO_TLV_AZURE, &at, &end);

    if (err != 0)
        return err;
    if (end != at + 5 || a[at] != PROXYPROTO_AZURE_LINKID)
        return PROXYPROTO_ERR_AZURE_BAD_TLV;
    *linkid = (uint32_t)a[at + 1] | (uint32_t)a[at + 2] << 8 |
              (uint32_t)a[at + 3] << 16 | (uint32_t)a[at + 4] << 24;
    return 0;
}

/* GCP: exactly 8 bytes, the PSC connection id as a big-endian uint64. */
PROXYPROTO_API int proxyproto_gcp_psc_id(const proxyproto_header *hdr,
                                         uint64_t *psc_id)
{
    const uint8_t *a = hdr->tlvs;
    size_t at, end;
    int err = proxyproto__tlv_find_at(a, 0, hdr->tlvs_len, PROXYPROTO_TLV_GCP, &at, &end);

    if (err != 0)
        return err;
    if (end != at + 8)
        return PROXYPROTO_ERR_GCP_BAD_TLV;
    *psc_id = (uint64_t)proxyproto__get32(a + at) << 32 | proxyproto__get32(a + at + 4);
    return 0;
}
