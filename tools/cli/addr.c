/* Endpoints of encode's --src and --dst: "203.0.113.7:51234",
 * "[2001:db8::1]:443" (brackets, as in URLs, because the port also follows
 * a colon) and "unix:/path". */
#define _POSIX_C_SOURCE 200809L /* inet_pton */

#include <arpa/inet.h>
#include <string.h>

#include "cli.h"

/* Decimal only: a port written 0x1bb would be a typo, not a wish. */
static int parse_port(const char *s, uint16_t *port)
{
    uint64_t v;
    size_t i;

    for (i = 0; s[i] != '\0'; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    if (cli_parse_uint(s, 65535, &v) != 0)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

static int parse_unix(const char *path, cli_endpoint *ep, const char **why)
{
    size_t n = strlen(path);

    /* proxyproto(7) section 3: each UNIX address is 108 raw bytes. */
    if (n > PROXYPROTO_UNIX_PATH_MAX) {
        *why = "UNIX path is longer than 108 bytes";
        return -1;
    }
    ep->family = PROXYPROTO_AF_UNIX;
    memcpy(ep->path, path, n);
    ep->path_len = n;
    return 0;
}

static int parse_ipv6(const char *s, cli_endpoint *ep, const char **why)
{
    const char *close = strchr(s, ']');
    char text[64];
    size_t n;

    *why = "expected [IPV6]:PORT";
    if (close == NULL || close[1] != ':')
        return -1;
    n = (size_t)(close - (s + 1));
    if (n >= sizeof text)
        return -1;
    memcpy(text, s + 1, n);
    text[n] = '\0';
    if (inet_pton(AF_INET6, text, ep->ip) != 1) {
        *why = "malformed IPv6 address";
        return -1;
    }
    if (parse_port(close + 2, &ep->port) != 0) {
        *why = "port must be a decimal number 0-65535";
        return -1;
    }
    ep->family = PROXYPROTO_AF_INET6;
    return 0;
}

static int parse_ipv4(const char *s, cli_endpoint *ep, const char **why)
{
    const char *colon = strchr(s, ':');
    char text[16];
    size_t n;

    *why = "expected IPV4:PORT, [IPV6]:PORT or unix:PATH";
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
        return -1; /* no port, or an IPv6 address without brackets */
    n = (size_t)(colon - s);
    if (n >= sizeof text)
        return -1;
    memcpy(text, s, n);
    text[n] = '\0';
    if (inet_pton(AF_INET, text, ep->ip) != 1) {
        *why = "malformed IPv4 address";
        return -1;
    }
    if (parse_port(colon + 1, &ep->port) != 0) {
        *why = "port must be a decimal number 0-65535";
        return -1;
    }
    ep->family = PROXYPROTO_AF_INET;
    return 0;
}

int cli_parse_endpoint(const char *s, cli_endpoint *ep, const char **why)
{
    memset(ep, 0, sizeof *ep);
    if (strncmp(s, "unix:", 5) == 0)
        return parse_unix(s + 5, ep, why);
    if (s[0] == '[')
        return parse_ipv6(s, ep, why);
    return parse_ipv4(s, ep, why);
}
