/* Hex text to bytes and back: decode --hex input, encode --hex output and
 * the HEX values of --tlv and --ssl-client-cert-hex. */
#include "cli.h"

static int nibble(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The C locale's isspace() set, spelled out: the CLI sets no locale, and
 * <ctype.h> would want an unsigned char cast at every call anyway. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

long cli_hex_decode(const char *in, size_t len, int skip_space, uint8_t *out)
{
    long n = 0;
    int high = -1; /* pending first digit of a byte */
    size_t i;

    for (i = 0; i < len; i++) {
        int v = nibble(in[i]);
        if (v < 0) {
            if (skip_space && is_space(in[i]))
                continue;
            return -1;
        }
        if (high < 0) {
            high = v;
            continue;
        }
        /* Writes out[n] with n <= i / 2: safe when out == in. */
        out[n++] = (uint8_t)(high << 4 | v);
        high = -1;
    }
    return high < 0 ? n : -2;
}

void cli_hex_write(FILE *out, const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        putc(digits[p[i] >> 4], out);
        putc(digits[p[i] & 15], out);
    }
}
