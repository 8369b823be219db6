/* The v1 parser's contract, standing in for lib/parse_v1.c in harnesses
 * of other entry points (proxyproto_parse() picks it when the first byte
 * is 'P'). Eva checks the precondition at every call: the caller hands it
 * only bytes it may read. lib/parse_v1.c itself has a harness of its own. */
#include "internal.h"

/*@ requires \valid(hdr);
    requires \valid_read(buf + (0 .. len - 1));
    requires last_len < len;
    assigns *hdr \from buf[0 .. len - 1], len, last_len;
    ensures -57 <= \result <= 107;
 */
PROXYPROTO__PRIVATE int proxyproto__parse_v1(proxyproto_header *hdr, const uint8_t *buf,
                         size_t len, size_t last_len);
