/* Reading a whole input (a file or stdin) into memory: a header is at most
 * 65551 bytes, but decode also reports how much payload followed it. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

int cli_read_all(FILE *in, uint8_t **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *p = malloc(cap);

    if (p == NULL)
        return -1;
    for (;;) {
        size_t got = fread(p + n, 1, cap - n, in);
        n += got;
        if (n < cap)
            break; /* EOF or error; ferror tells which */
        {
            uint8_t *bigger = realloc(p, cap * 2);
            if (bigger == NULL) {
                free(p);
                return -1;
            }
            p = bigger;
            cap *= 2;
        }
    }
    if (ferror(in)) {
        int saved = errno;
        free(p);
        errno = saved != 0 ? saved : EIO;
        return -1;
    }
    *buf = p;
    *len = n;
    return 0;
}
