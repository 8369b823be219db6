/* proxyproto encode [options]: has encode_opts.c gather the options and
 * check that they go together, has build.c make the header, and writes it
 * raw (or as hex) to stdout. */
#include <errno.h>
#include <string.h>

#include "encode.h"

void cli_encode_usage(FILE *out)
{
    fputs("Usage: " CLI_NAME " encode [options]\n"
          "\n"
          "Writes a PROXY protocol header to standard output.\n"
          "\n"
          "Header:\n"
          "  -1, --v1            version 1 (text)\n"
          "  -2, --v2            version 2 (binary; the default)\n"
          "  --local             v2 LOCAL command (health check); default PROXY\n"
          "  --src ADDR:PORT     source: 203.0.113.7:51234, [2001:db8::1]:443\n"
          "                      or unix:/path (v2 only)\n"
          "  --dst ADDR:PORT     destination, same forms; give both or neither\n"
          "                      (neither: v1 UNKNOWN, v2 family UNSPEC)\n"
          "  --udp               DGRAM transport (v2 only)\n"
          "  --hex               write lowercase hex and a newline, not bytes\n"
          "\n"
          "TLVs (v2 only; in command-line order, CRC32C first):\n"
          "  --alpn STR  --authority STR  --unique-id STR  --netns STR\n"
          "  --tlv TYPE:HEX      any TLV; TYPE decimal or 0x..; repeatable\n"
          "  --ssl               SSL TLV (implied by every --ssl-* option)\n"
          "  --ssl-client N      client bits (default 1: client used TLS)\n"
          "  --ssl-verify N      verify result (default 0: verified)\n"
          "  --ssl-version STR  --ssl-cn STR  --ssl-cipher STR\n"
          "  --ssl-sig-alg STR  --ssl-key-alg STR  --ssl-group STR\n"
          "  --ssl-sig-scheme STR  --ssl-client-cert-hex HEX\n"
          "                      SSL sub-TLVs, in command-line order\n"
          "  --aws-vpce-id ID    AWS VPC endpoint id (vpce-...)\n"
          "  --azure-linkid N    Azure Private Link LINKID (32 bits)\n"
          "  --gcp-psc-id N      Google Cloud PSC connection id (64 bits)\n"
          "  --pad ALIGN         NOOP padding to a multiple of ALIGN bytes\n"
          "  --crc32c            CRC32C checksum TLV\n"
          "\n"
          "Numbers are decimal or 0x hex. Wrong usage: exit 2; a header the\n"
          "library refuses: its message on standard error, exit 1.\n",
          out);
}

#define ENC "encode"

static int output(const cli_encode_req *r, const uint8_t *p, size_t len)
{
    if (r->hex) {
        cli_hex_write(stdout, p, len);
        putchar('\n');
    } else {
        fwrite(p, 1, len, stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, CLI_NAME " " ENC ": writing the header: %s\n",
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_encode(int argc, char **argv)
{
    static uint8_t out[PROXYPROTO_V2_MAX_LEN]; /* the longest header */
    cli_encode_req req;
    size_t len;
    int rc;

    rc = cli_encode_header(&req, ENC, 0, argc, argv, out, sizeof out, &len);
    if (rc >= 0 && req.help)
        cli_encode_usage(stdout);
    return rc >= 0 ? rc : output(&req, out, len);
}
