/* The version three ways: the macros, the header's string and the
 * library's proxyproto_version(); argv[1], when given, is the version the
 * Makefile read from the header. */
#include <stdio.h>
#include <string.h>

#include "proxyproto.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int main(int argc, char **argv)
{
    static const char macros[] = STR(PROXYPROTO_VERSION_MAJOR) "." STR(
        PROXYPROTO_VERSION_MINOR) "." STR(PROXYPROTO_VERSION_PATCH);
    int ok = strcmp(macros, PROXYPROTO_VERSION_STRING) == 0 &&
             strcmp(proxyproto_version(), PROXYPROTO_VERSION_STRING) == 0 &&
             (argc < 2 || strcmp(argv[1], PROXYPROTO_VERSION_STRING) == 0);

    printf("macros %s, PROXYPROTO_VERSION_STRING %s, proxyproto_version() %s, Makefile %s\n",
           macros, PROXYPROTO_VERSION_STRING, proxyproto_version(),
           argc < 2 ? "-" : argv[1]);
    return ok ? 0 : 1;
}
