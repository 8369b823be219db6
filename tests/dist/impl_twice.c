/* Included twice with the implementation on, and once more after it: the
 * API and the implementation each come out once. */
#define PROXYPROTO_IMPLEMENTATION
#include "proxyproto.h"
#include "proxyproto.h"
#undef PROXYPROTO_IMPLEMENTATION
#include "proxyproto.h"

int main(void)
{
    return proxyproto_crc32c(0, "123456789", 9) == 0xE3069283u ? 0 : 1;
}
