/*
 * tools/connect/entries.c - one entry of a setting, parsed: a number, an
 * address with a port, a destination (PROXYPROTO_CONNECT_TO), a raw TLV
 * (PROXYPROTO_CONNECT_TLVS). Each says why in why[] when it does not
 * parse; settings.c turns that into the start-up message.
 */
#include "connect.h"
#include "../common/settings_text.h"

/* Splits "host", "host:port", "[host]" or "[host]:port" (a host with two
 * colons or more and no brackets is an IPv6 address without a port) into
 * host[cap] and *port (0: none given). -1 and why[] when it cannot. */
int split_host_port(const char *tok, char *host, size_t cap, uint16_t *port, char *why,
                    size_t wcap)
{
    const char *h = tok, *end, *colon = NULL;
    long n;

    *port = 0;
    if (tok[0] == '[') {
        h = tok + 1;
        if ((end = strchr(h, ']')) == NULL) {
            snprintf(why, wcap, "%s: '[' without ']'", tok);
            return -1;
        }
        if (end[1] == ':')
            colon = end + 1;
        else if (end[1] != '\0') {
            snprintf(why, wcap, "%s: only ':PORT' may follow ']'", tok);
            return -1;
        }
    } else {
        colon = strchr(tok, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
            colon = NULL; /* bare IPv6 */
        end = colon != NULL ? colon : tok + strlen(tok);
    }
    if ((size_t)(end - h) >= cap || end == h) {
        snprintf(why, wcap, "%s: no address (use * for any)", tok);
        return -1;
    }
    memcpy(host, h, (size_t)(end - h));
    host[end - h] = '\0';
    if (colon != NULL) {
        if ((n = pp_parse_num(colon + 1, 1, 65535)) < 0) {
            snprintf(why, wcap, "%s: the port must be 1 to 65535", tok);
            return -1;
        }
        *port = (uint16_t)n;
    }
    return 0;
}

/* Why a network does not parse: the prefix, host bits, or not an address. */
static void cidr_why(const char *tok, const char *host, char *why, size_t cap)
{
    const char *slash = strchr(host, '/');
    char addr[64];
    unsigned char ip[16];
    long plen;
    int max;

    if (slash != NULL && (size_t)(slash - host) < sizeof addr) {
        memcpy(addr, host, (size_t)(slash - host));
        addr[slash - host] = '\0';
        max = inet_pton(AF_INET, addr, ip) == 1 ? 32 : inet_pton(AF_INET6, addr, ip) == 1 ? 128 : 0;
        if (max != 0) {
            if ((plen = pp_parse_num(slash + 1, 0, max)) < 0)
                snprintf(why, cap, "%s: the prefix length must be 0 to %d", tok, max);
            else
                snprintf(why, cap, "%s: host bits set after /%ld", tok, plen);
            return;
        }
    }
    snprintf(why, cap, "%s: not an address, a network or * (expected e.g. 127.0.0.1:8080, "
             "10.0.0.0/8, [::1]:443 or *:443)", tok);
}

int parse_dest(const char *tok, struct dest *d, char *why, size_t cap)
{
    char host[64];

    memset(d, 0, sizeof *d);
    if (split_host_port(tok, host, sizeof host, &d->port, why, cap) < 0)
        return -1;
    if (strcmp(host, "*") == 0) {
        d->any = 1;
        return 0;
    }
    if (proxyproto_cidr_parse(&d->net, host) != 0) {
        cidr_why(tok, host, why, cap);
        return -1;
    }
    return 0;
}


static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One PROXYPROTO_CONNECT_TLVS entry, "TYPE=HEX": the type in decimal or
 * 0x hex, the value as hex digits (may be empty). */
int parse_raw(const char *tok, char *why, size_t cap)
{
    const char *eq = strchr(tok, '='), *h;
    char type[8];
    long t = -1;
    size_t n = 0;

    if (eq == NULL || (size_t)(eq - tok) >= sizeof type || eq == tok) {
        snprintf(why, cap, "%s: expected TYPE=HEX, e.g. 0xE0=0102030405060708", tok);
        return -1;
    }
    memcpy(type, tok, (size_t)(eq - tok));
    type[eq - tok] = '\0';
    if ((type[0] == '0' && (type[1] == 'x' || type[1] == 'X')) && type[2] != '\0') {
        t = 0;
        for (h = type + 2; *h != '\0' && t >= 0; h++)
            t = hex_digit(*h) < 0 || t > 255 ? -1 : t * 16 + hex_digit(*h);
        if (t > 255)
            t = -1;
    } else {
        t = pp_parse_num(type, 0, 255);
    }
    if (t < 0) {
        snprintf(why, cap, "%s: the type must be 0 to 255 (or 0x00 to 0xFF)", tok);
        return -1;
    }
    if (t == PROXYPROTO_TLV_CRC32C) {
        snprintf(why, cap, "%s: a CRC32C TLV is computed: set PROXYPROTO_CONNECT_CRC32C=1", tok);
        return -1;
    }
    if (cfg.n_raw == CC_MAX_RAW) {
        snprintf(why, cap, "more than %d TLVs", CC_MAX_RAW);
        return -1;
    }
    cfg.raw_off[cfg.n_raw] = (uint16_t)cfg.raw_used;
    for (h = eq + 1; *h != '\0'; h += 2, n++) {
        if (hex_digit(h[0]) < 0 || hex_digit(h[1]) < 0) {
            snprintf(why, cap, "%s: the value must be an even number of hex digits", tok);
            return -1;
        }
        if (cfg.raw_used + n >= CC_RAW_BYTES) {
            snprintf(why, cap, "the TLV values take more than %d bytes in all", CC_RAW_BYTES);
            return -1;
        }
        cfg.raw[cfg.raw_used + n] = (uint8_t)(hex_digit(h[0]) * 16 + hex_digit(h[1]));
    }
    cfg.raw_type[cfg.n_raw] = (uint8_t)t;
    cfg.raw_len[cfg.n_raw] = (uint16_t)n;
    cfg.raw_used += n;
    cfg.n_raw++;
    return 0;
}
