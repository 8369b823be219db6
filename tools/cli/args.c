/* Option matching, numbers and usage errors, shared by the commands.
 * Hand-rolled rather than getopt_long, which is not in POSIX. */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cli_opt_flag(const char *arg, const char *name, const char *alias)
{
    return strcmp(arg, name) == 0 || (alias != NULL && strcmp(arg, alias) == 0);
}

int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
                  const char *name, char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0; /* a longer option that shares the prefix */
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", name);
        return -1;
    }
    *i += 1;
    *value = argv[*i];
    return 1;
}

static int digit_value(char c, unsigned base)
{
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : 99;
    return (unsigned)v < base ? v : -1;
}

/* strtoull would accept a sign, leading spaces and (base 0) octal, which
 * an operator typing "--ssl-client 010" would not expect: parse by hand. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        int d = digit_value(*s, base);
        if (d < 0 || (uint64_t)d > max || v > (max - (uint64_t)d) / base)
            return -1;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s%s%s: ", CLI_NAME, cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s%s%s --help'.\n", CLI_NAME, cmd ? " " : "",
            cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}
