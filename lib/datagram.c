/* proxyproto_parse_datagram(): UDP carries the header and its payload in
 * one datagram (proxyproto(7) section 5), so there is no "more bytes
 * later". */
#include "internal.h"

PROXYPROTO_API int proxyproto_parse_datagram(proxyproto_header *hdr,
                                             const void *dgram, size_t len)
{
    int rc = proxyproto_parse(hdr, dgram, len, 0);

    /* A datagram that ends inside its header will never be completed. */
    return rc == PROXYPROTO_INCOMPLETE ? PROXYPROTO_ERR_DATAGRAM_TRUNCATED : rc;
}
