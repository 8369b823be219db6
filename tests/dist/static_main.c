/* Two PROXYPROTO_STATIC copies and the real library in one program: each
 * parses, and their proxyproto_parse functions are three distinct ones. */
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"
#include "static_copy.h"

int main(void)
{
    static const char line[] = "PROXY TCP6 2001:db8::1 2001:db8::2 4242 443\r\n";
    uint16_t p1 = 0, p2 = 0;
    proxyproto_header hdr;
    int n = (int)strlen(line);
    int ok = copy1_parse(line, strlen(line), &p1) == n && p1 == 4242 &&
             copy2_parse(line, strlen(line), &p2) == n && p2 == 4242 &&
             proxyproto_parse(&hdr, line, strlen(line), 0) == n &&
             copy1_parse_fn() != copy2_parse_fn() &&
             copy1_parse_fn() != proxyproto_parse &&
             copy2_parse_fn() != proxyproto_parse;

    printf("static copies: %s\n", ok ? "both parse, apart from the library" : "FAILED");
    return ok ? 0 : 1;
}
