/* proxyproto decode [--hex] [FILE]: parses the header at the start of the
 * input and prints the result as one JSON line (see report.c). The exit
 * code tells the result, so scripts need not read the JSON:
 * 0 ok, 1 invalid, 2 usage, 3 incomplete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_decode_usage(FILE *out)
{
    fputs("Usage: " CLI_NAME " decode [--hex] [FILE]\n"
          "\n"
          "Parses the PROXY protocol header (v1 or v2) at the start of FILE\n"
          "(or standard input, also as '-') and prints one JSON line:\n"
          "  {\"result\":\"ok\",\"version\":2,...}     exit 0\n"
          "  {\"result\":\"invalid\",\"error\":...}    exit 1\n"
          "  {\"result\":\"incomplete\",\"need\":N}    exit 3: N more bytes\n"
          "                                      needed (v1: at least N)\n"
          "Bytes after the header are payload; only their count is shown.\n"
          "\n"
          "Options:\n"
          "  --hex       the input is hex digits, either case, with any\n"
          "              whitespace between them ('xxd -p', 'od -An -tx1')\n"
          "  -h, --help  this help\n"
          "Wrong usage, an unreadable file or bad hex: exit 2.\n",
          out);
}

typedef struct decode_opts {
    int hex;
    const char *file; /* NULL or "-" for stdin */
} decode_opts;

/* Returns -1 to go on, or the exit code (help or a usage error). */
static int parse_options(int argc, char **argv, decode_opts *o)
{
    int i, operands_only = 0;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!operands_only && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                operands_only = 1;
            } else if (cli_opt_flag(a, "--help", "-h")) {
                cli_decode_usage(stdout);
                return CLI_EXIT_OK;
            } else if (strcmp(a, "--hex") == 0) {
                o->hex = 1;
            } else {
                return cli_usage_error("decode", "unknown option '%s'", a);
            }
        } else if (o->file != NULL) {
            return cli_usage_error("decode", "more than one FILE given");
        } else {
            o->file = a;
        }
    }
    return -1;
}

/* Reads the input as bytes, decoding it first with --hex. Returns 0 or
 * CLI_EXIT_USAGE (reported). */
static int load_input(const decode_opts *o, uint8_t **buf, size_t *len)
{
    int use_stdin = o->file == NULL || strcmp(o->file, "-") == 0;
    const char *name = use_stdin ? "standard input" : o->file;
    FILE *in = use_stdin ? stdin : fopen(o->file, "rb");
    int rc;
    long n;

    if (in == NULL)
        return cli_usage_error("decode", "%s: %s", name, strerror(errno));
    rc = cli_read_all(in, buf, len);
    if (rc != 0)
        cli_usage_error("decode", "%s: %s", name, strerror(errno));
    if (!use_stdin)
        fclose(in);
    if (rc != 0)
        return CLI_EXIT_USAGE;
    if (!o->hex)
        return 0;
    n = cli_hex_decode((const char *)*buf, *len, 1, *buf);
    if (n < 0) {
        free(*buf);
        return cli_usage_error("decode", "%s: %s", name,
                               n == -2 ? "odd number of hex digits"
                                       : "not a hex digit or whitespace");
    }
    *len = (size_t)n;
    return 0;
}

static int report(const uint8_t *buf, size_t len)
{
    proxyproto_header hdr;
    int rc = proxyproto_parse(&hdr, buf, len, 0);

    if (rc > 0) {
        cli_report_ok(stdout, &hdr, len);
        return CLI_EXIT_OK;
    }
    if (rc == PROXYPROTO_INCOMPLETE) {
        cli_report_incomplete(stdout, hdr.need);
        return CLI_EXIT_INCOMPLETE;
    }
    cli_report_invalid(stdout, rc);
    return CLI_EXIT_INVALID;
}

int cli_decode(int argc, char **argv)
{
    decode_opts o = {0, NULL};
    uint8_t *buf;
    size_t len;
    int rc = parse_options(argc, argv, &o);

    if (rc >= 0)
        return rc;
    rc = load_input(&o, &buf, &len);
    if (rc != 0)
        return rc;
    rc = report(buf, len);
    free(buf);
    /* A lost result line must not pass for a silent success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, CLI_NAME " decode: writing the result: %s\n",
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return rc;
}
