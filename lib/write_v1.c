/* The v1 text line (proxyproto(7) section 2):
 *   "PROXY TCP4 src dst sport dport\r\n", "PROXY TCP6 ...", or
 *   "PROXY UNKNOWN\r\n". */
#include "writer.h"

#include <string.h>

/* What v1 can say (proxyproto(7) sections 2 and 6): TCP over IPv4 or IPv6 with
 * both addresses, or UNKNOWN (the receiver then uses the socket's
 * addresses, which is what a LOCAL header means too). It has no TLVs, so a
 * header carrying some cannot be written without losing them. */
static int v1_check(const proxyproto_header *hdr)
{
    int ip = hdr->family == PROXYPROTO_AF_INET ||
             hdr->family == PROXYPROTO_AF_INET6;

    if (hdr->tlvs_len != 0)
        return PROXYPROTO_ERR_V1_CANNOT_ENCODE;
    if (hdr->family == PROXYPROTO_AF_UNSPEC)
        return hdr->command <= PROXYPROTO_CMD_PROXY
                   ? 0
                   : PROXYPROTO_ERR_V1_CANNOT_ENCODE;
    if (!ip || hdr->command != PROXYPROTO_CMD_PROXY || !hdr->has_addresses)
        return PROXYPROTO_ERR_V1_CANNOT_ENCODE;
    if (hdr->transport != PROXYPROTO_TRANSPORT_STREAM &&
        hdr->transport != PROXYPROTO_TRANSPORT_UNSPEC)
        return PROXYPROTO_ERR_V1_CANNOT_ENCODE;
    return 0;
}

/* Writes the whole line at p (room for PROXYPROTO__V1_BUF bytes) and
 * returns its end. hdr passed v1_check(). */
static char *put_line(char *p, const proxyproto_header *hdr)
{
    int fam = hdr->family;

    if (fam == PROXYPROTO_AF_UNSPEC) {
        memcpy(p, "PROXY UNKNOWN\r\n", 15);
        return p + 15;
    }
    memcpy(p, fam == PROXYPROTO_AF_INET ? "PROXY TCP4 " : "PROXY TCP6 ", 11);
    /* ip.v4 and ip.v6 share their first bytes (a union). */
    p = proxyproto__put_ip(p + 11, fam, hdr->src.ip.v6);
    *p++ = ' ';
    p = proxyproto__put_ip(p, fam, hdr->dst.ip.v6);
    *p++ = ' ';
    p = proxyproto__put_u16(p, hdr->src.port);
    *p++ = ' ';
    p = proxyproto__put_u16(p, hdr->dst.port);
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

PROXYPROTO__PRIVATE int proxyproto__write_v1(char *buf, size_t cap, const proxyproto_header *hdr)
{
    char tmp[PROXYPROTO__V1_BUF];
    char *dst, *end;
    size_t n;
    int r = v1_check(hdr);

    if (r < 0)
        return r;
    /* Any line fits in PROXYPROTO__V1_BUF: write straight into a buffer
     * that large, else stage it so a short buffer is left untouched. */
    dst = buf != NULL && cap >= sizeof tmp ? buf : tmp;
    end = put_line(dst, hdr);
    n = (size_t)(end - dst);
    if (buf == NULL)
        return (int)n;
    if (n > cap)
        return PROXYPROTO_ERR_BUFFER_TOO_SMALL;
    if (dst == tmp)
        memcpy(buf, tmp, n);
    return (int)n;
}
