/* Typed accessors for the cloud vendors' custom TLVs (proxyproto(7) section 4,
 * "Vendor TLVs"). They validate the layout; the header is never rejected
 * for a custom TLV. */
#include "internal.h"

static int printable(const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (p[i] < 0x20 || p[i] > 0x7E)
            return 0;
    return 1;
}

/* AWS: sub-type 0x01, then the VPC endpoint id as ASCII without a NUL. */
PROXYPROTO_API int proxyproto_aws_vpce_id(const proxyproto_header *hdr,
                                          const char **id, size_t *id_len)
{
    proxyproto_tlv t;
    int err = proxyproto_tlv_find(hdr->tlvs, hdr->tlvs_len, PROXYPROTO_TLV_AWS, &t);

    if (err != 0)
        return err;
    if (t.len < 2 || t.value[0] != PROXYPROTO_AWS_VPCE_ID ||
        !printable(t.value + 1, t.len - 1u))
        return PROXYPROTO_ERR_AWS_BAD_TLV;
    *id = (const char *)t.value + 1;
    *id_len = t.len - 1u;
    return 0;
}

/* Azure: sub-type 0x01, then LINKID as a little-endian uint32 (5 bytes). */
PROXYPROTO_API int proxyproto_azure_linkid(const proxyproto_header *hdr,
                                           uint32_t *linkid)
{
    proxyproto_tlv t;
    int err = proxyproto_tlv_find(hdr->tlvs, hdr->tlvs_len, PROXYPROTO_TLV_AZURE, &t);

    if (err != 0)
        return err;
    if (t.len != 5 || t.value[0] != PROXYPROTO_AZURE_LINKID)
        return PROXYPROTO_ERR_AZURE_BAD_TLV;
    *linkid = (uint32_t)t.value[1] | (uint32_t)t.value[2] << 8 |
              (uint32_t)t.value[3] << 16 | (uint32_t)t.value[4] << 24;
    return 0;
}

/* GCP: exactly 8 bytes, the PSC connection id as a big-endian uint64. */
PROXYPROTO_API int proxyproto_gcp_psc_id(const proxyproto_header *hdr,
                                         uint64_t *psc_id)
{
    proxyproto_tlv t;
    int err = proxyproto_tlv_find(hdr->tlvs, hdr->tlvs_len, PROXYPROTO_TLV_GCP, &t);

    if (err != 0)
        return err;
    if (t.len != 8)
        return PROXYPROTO_ERR_GCP_BAD_TLV;
    *psc_id = (uint64_t)proxyproto__get32(t.value) << 32 |
              proxyproto__get32(t.value + 4);
    return 0;
}
