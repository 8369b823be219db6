/* Trusted load balancers (proxyproto(7) section 5): CIDR text, matching a peer
 * address against it, and the policy that decides whether to expect a
 * header. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* ::ffff:0:0/96, the prefix of an IPv4-mapped IPv6 address (RFC 4291
 * 2.5.5.2): a dual-stack listener sees IPv4 peers this way. */
static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

/* Decimal prefix length 0..max: digits only, no sign, no leading zero
 * (the same strictness as v1 ports, proxyproto(7) section 2). */
static int parse_prefix(const uint8_t *p, const uint8_t *end, unsigned max,
                        uint8_t *out)
{
    unsigned v = 0;

    if (p == end || (*p == '0' && end - p > 1))
        return PROXYPROTO_ERR_BAD_CIDR;
    for (; p < end; p++) {
        if ((unsigned)(*p - '0') > 9)
            return PROXYPROTO_ERR_BAD_CIDR;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > max)
            return PROXYPROTO_ERR_BAD_CIDR;
    }
    *out = (uint8_t)v;
    return 0;
}

/* 1 when every bit of addr[0..n) past the first `prefix` bits is 0: a
 * network written with host bits ("10.1.2.3/8") is most likely a typo for
 * a narrower one, so it is refused rather than silently widened. */
static int host_bits_zero(const uint8_t *addr, size_t n, unsigned prefix)
{
    size_t i = prefix / 8;

    if (prefix % 8 != 0 && (addr[i++] & (0xFFu >> (prefix % 8))) != 0)
        return 0;
    for (; i < n; i++)
        if (addr[i] != 0)
            return 0;
    return 1;
}

PROXYPROTO_API int proxyproto_cidr_parse(proxyproto_cidr *out, const char *text)
{
    const uint8_t *p = (const uint8_t *)text, *end, *slash, *addr_end, *q;
    uint8_t addr[16] = {0};
    unsigned bits;
    uint8_t prefix;
    int v6, err;

    if (out == NULL || text == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    end = p + strlen(text);
    slash = memchr(p, '/', (size_t)(end - p));
    addr_end = slash != NULL ? slash : end;
    /* The address text follows the v1 rules (proxyproto(7) section 2): strict
     * dotted quads, RFC 4291 IPv6, no zone id, no brackets. */
    v6 = memchr(p, ':', (size_t)(addr_end - p)) != NULL;
    q = v6 ? proxyproto__parse_ipv6(p, addr_end, addr, &err)
           : proxyproto__parse_ipv4(p, addr_end, addr, &err);
    if (q != addr_end)
        return PROXYPROTO_ERR_BAD_CIDR;
    bits = v6 ? 128 : 32;
    prefix = (uint8_t)bits; /* a single address */
    if (slash != NULL && parse_prefix(slash + 1, end, bits, &prefix) != 0)
        return PROXYPROTO_ERR_BAD_CIDR;
    if (!host_bits_zero(addr, bits / 8, prefix))
        return PROXYPROTO_ERR_BAD_CIDR;
    out->family = v6 ? PROXYPROTO_AF_INET6 : PROXYPROTO_AF_INET;
    out->prefix_len = prefix;
    memcpy(out->addr, addr, sizeof addr);
    return 0;
}

/* The peer's address in the family of the entry, into out (4 or 16
 * bytes). IPv4 and IPv4-mapped IPv6 are one address either way, so a
 * dual-stack listener needs no second list. Returns 0 when the peer has no
 * address of that family. */
static int peer_address(const struct sockaddr *sa, unsigned family,
                        uint8_t out[16])
{
    if (sa->sa_family == AF_INET) {
        const uint8_t *v4 = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;

        if (family == PROXYPROTO_AF_INET) {
            memcpy(out, v4, 4);
        } else {
            memcpy(out, mapped_prefix, 12);
            memcpy(out + 12, v4, 4);
        }
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *v6 = (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

        if (family == PROXYPROTO_AF_INET6) {
            memcpy(out, v6, 16);
            return 1;
        }
        if (memcmp(v6, mapped_prefix, 12) != 0)
            return 0;
        memcpy(out, v6 + 12, 4);
        return 1;
    }
    return 0;
}

PROXYPROTO_API int proxyproto_cidr_match(const proxyproto_cidr *cidr,
                                         const struct sockaddr *addr)
{
    uint8_t ip[16];
    unsigned whole, rest;

    if (cidr == NULL || addr == NULL ||
        (cidr->family != PROXYPROTO_AF_INET && cidr->family != PROXYPROTO_AF_INET6) ||
        cidr->prefix_len > (cidr->family == PROXYPROTO_AF_INET ? 32 : 128) ||
        !peer_address(addr, cidr->family, ip))
        return 0;
    whole = cidr->prefix_len / 8u;
    rest = cidr->prefix_len % 8u;
    if (memcmp(ip, cidr->addr, whole) != 0)
        return 0;
    return rest == 0 || ((ip[whole] ^ cidr->addr[whole]) & (0xFF00u >> rest) & 0xFFu) == 0;
}

PROXYPROTO_API int proxyproto_policy_check(const proxyproto_policy *policy,
                                           const struct sockaddr *peer)
{
    size_t i;

    if (policy == NULL || peer == NULL ||
        (policy->trusted == NULL && policy->n_trusted > 0))
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* Only local processes reach a UNIX socket, and its file mode says
     * which ones. */
    if (peer->sa_family == AF_UNIX)
        return PROXYPROTO_EXPECT_HEADER;
    for (i = 0; i < policy->n_trusted; i++)
        if (proxyproto_cidr_match(&policy->trusted[i], peer))
            return PROXYPROTO_EXPECT_HEADER;
    /* proxyproto(7) section 5: a header from anyone else is refused; passing
     * such peers through without a header is an explicit opt-in only. */
    if (policy->flags & PROXYPROTO_POLICY_ALLOW_UNTRUSTED)
        return PROXYPROTO_NO_HEADER;
    return PROXYPROTO_ERR_UNTRUSTED;
}
