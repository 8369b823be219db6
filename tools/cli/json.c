/* JSON primitives for decode's output. Header fields are raw bytes (UNIX
 * paths, vendor ids), not UTF-8, so every byte outside printable ASCII is
 * escaped as \u00xx: the output is plain ASCII that any JSON reader takes,
 * and each byte maps back to one code point. */
#include "cli.h"

void cli_json_string(FILE *out, const uint8_t *s, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    putc('"', out);
    for (i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c < 0x20 || c >= 0x7F) {
            fprintf(out, "\\u00%c%c", digits[c >> 4], digits[c & 15]);
        } else {
            putc(c, out);
        }
    }
    putc('"', out);
}

void cli_json_hex(FILE *out, const uint8_t *p, size_t len)
{
    putc('"', out);
    cli_hex_write(out, p, len);
    putc('"', out);
}
