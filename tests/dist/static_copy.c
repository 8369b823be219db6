/* A vendored copy made private with PROXYPROTO_STATIC. Compiled twice
 * (COPY=1 and COPY=2) and linked into one program together with
 * libproxyproto.a: no symbol may clash, and each copy must work. It calls
 * one function only: the others must draw no unused-function warning. */
#define PROXYPROTO_STATIC
#define PROXYPROTO_IMPLEMENTATION
#include "proxyproto.h"

#include "static_copy.h"

#define PASTE_(a, b, c) a##b##c
#define PASTE(a, b, c) PASTE_(a, b, c)

int PASTE(copy, COPY, _parse)(const void *buf, size_t len, uint16_t *src_port)
{
    proxyproto_header hdr;
    int n = proxyproto_parse(&hdr, buf, len, 0);

    if (n > 0)
        *src_port = hdr.src.port;
    return n;
}

copy_parse_fn PASTE(copy, COPY, _parse_fn)(void)
{
    return proxyproto_parse;
}
