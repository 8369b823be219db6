/* The implementation included after system headers and user code. */
#include <stdio.h>
#include <string.h>

static int user_code(void) /* names of the user's own around the library */
{
    return 42;
}

#define PROXYPROTO_IMPLEMENTATION
#include "proxyproto.h"

int main(void)
{
    printf("libproxyproto %s after <stdio.h>\n", proxyproto_version());
    return user_code() == 42 &&
                   strcmp(proxyproto_version(), PROXYPROTO_VERSION_STRING) == 0
               ? 0
               : 1;
}
