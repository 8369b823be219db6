/*
 * cli.h - declarations shared by the files of the proxyproto command-line
 * tool (tools/cli_*.c). One concern per file:
 *   cli_main.c    command dispatch, --help, --version
 *   cli_decode.c  the decode command (options, input, result)
 *   cli_report.c  decode results as one-line JSON objects
 *   cli_json.c    JSON string and hex-string primitives
 *   cli_encode.c  the encode command: checks, output
 *   cli_send.c    the send command: connect, header, relay stdin/stdout
 *   cli_encode_opts.c  encode's options to a request
 *   cli_build.c   encode options to header bytes, through the library
 *   cli_addr.c    ADDR:PORT / [ADDR]:PORT / unix:PATH endpoints
 *   cli_args.c    option matching, numbers, usage errors
 *   cli_hex.c     hex text to bytes and back
 *   cli_io.c      reading a whole file or stdin
 */
#ifndef PROXYPROTO_CLI_H
#define PROXYPROTO_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proxyproto.h"

#define CLI_NAME "proxyproto"

/* Exit codes. Scripts and acceptance checks rely on them: never renumber. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_INVALID 1    /* invalid header, or a library error */
#define CLI_EXIT_USAGE 2      /* bad option or value, unreadable input */
#define CLI_EXIT_INCOMPLETE 3 /* input is a prefix of a header */
#define CLI_EXIT_NETWORK 4    /* send: connection failed or timed out */

/* ---- commands: argv[0] is the command's own name ---- */

int cli_decode(int argc, char **argv);
void cli_decode_usage(FILE *out);

int cli_encode(int argc, char **argv);
void cli_encode_usage(FILE *out);

int cli_send(int argc, char **argv);
void cli_send_usage(FILE *out);

/* ---- cli_args.c ---- */

/* Option with a value, as "--name VALUE" or "--name=VALUE", at argv[*i].
 * Returns 1 and sets *value (advancing *i past a separate value), 0 when
 * argv[*i] is not this option, -1 when the value is missing (a usage error
 * has then been reported for `cmd`). */
int cli_opt_value(const char *cmd, int argc, char **argv, int *i,
                  const char *name, char **value);

/* Is argv[*i] the flag `name` or its short `alias` (may be NULL)? */
int cli_opt_flag(const char *arg, const char *name, const char *alias);

/* Unsigned number: decimal, or hexadecimal after 0x / 0X; no sign, no
 * spaces, at most `max`. Returns 0, or -1 when `s` is not such a number. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Prints "proxyproto CMD: MESSAGE" and a hint to stderr; returns
 * CLI_EXIT_USAGE so callers can `return cli_usage_error(...)`. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- cli_hex.c ---- */

/* Decodes hex digits (either case) from in[0..len) into out, which may be
 * `in` itself (the output never overtakes the input). With skip_space,
 * whitespace between digits is ignored. Returns the number of bytes, or -1
 * for a character that is not a hex digit, -2 for an odd digit count. */
long cli_hex_decode(const char *in, size_t len, int skip_space, uint8_t *out);

/* Writes p[0..len) as lowercase hex digits. */
void cli_hex_write(FILE *out, const uint8_t *p, size_t len);

/* ---- cli_io.c ---- */

/* Reads all of `in` into a malloc'd *buf (free it) of *len bytes. Returns 0,
 * or -1 with errno set on a read or allocation failure. */
int cli_read_all(FILE *in, uint8_t **buf, size_t *len);

/* ---- cli_addr.c ---- */

typedef struct cli_endpoint {
    uint8_t family; /* PROXYPROTO_AF_INET, _INET6 or _UNIX */
    uint8_t ip[16]; /* network byte order; 4 bytes used for INET */
    uint16_t port;  /* 0 for UNIX */
    /* The v2 UNIX address is 108 raw bytes: keep them all, zero-filled. */
    uint8_t path[PROXYPROTO_UNIX_PATH_MAX];
    size_t path_len;
} cli_endpoint;

/* Parses "203.0.113.7:51234", "[2001:db8::1]:443" or "unix:/path".
 * Returns 0, or -1 with a static reason in *why. */
int cli_parse_endpoint(const char *s, cli_endpoint *ep, const char **why);

/* ---- cli_json.c ---- */

/* A JSON string of the raw bytes s[0..len): '"' and '\' escaped with a
 * backslash, every other byte below 0x20 or from 0x7F up as \u00xx. */
void cli_json_string(FILE *out, const uint8_t *s, size_t len);

/* A JSON string of lowercase hex digits for p[0..len). */
void cli_json_hex(FILE *out, const uint8_t *p, size_t len);

/* ---- cli_report.c ---- */

/* One line each, "\n" included. input_len is the whole input's length. */
void cli_report_ok(FILE *out, const proxyproto_header *hdr, size_t input_len);
void cli_report_invalid(FILE *out, int code);
void cli_report_incomplete(FILE *out, size_t need);

/* ---- cli_build.c ---- */

/* What `encode` was asked for, gathered from the options
 * (cli_encode_opts.c) before anything is built. */
enum cli_item_kind {
    CLI_ITEM_TLV,   /* --tlv and the named TLV options */
    CLI_ITEM_SSL,   /* the SSL TLV, where the first --ssl* option stood */
    CLI_ITEM_AWS,   /* --aws-vpce-id */
    CLI_ITEM_AZURE, /* --azure-linkid */
    CLI_ITEM_GCP,   /* --gcp-psc-id */
    CLI_ITEM_PAD    /* --pad */
};

typedef struct cli_item {
    enum cli_item_kind kind;
    uint8_t type;         /* TLV or SSL sub-TLV type */
    const uint8_t *value; /* points into argv (see cli_encode_opts.c) */
    size_t len;
    uint64_t number;      /* AZURE, GCP, PAD */
} cli_item;

/* The builder holds at most PROXYPROTO_BUILDER_MAX entries in all, so more
 * items than that can never be built. */
#define CLI_MAX_ITEMS PROXYPROTO_BUILDER_MAX

typedef struct cli_encode_req {
    const char *cmd;  /* "encode" or "send", for messages */
    int version;      /* 1 or 2 */
    int local;        /* v2 LOCAL command */
    int udp;          /* DGRAM transport */
    int hex;          /* output as hex text */
    int raw_only;     /* the command writes raw bytes: --hex is refused */
    int have_src, have_dst;
    cli_endpoint src, dst;
    int crc32c;       /* CRC32C TLV first */
    int ssl;          /* an SSL TLV is in items */
    uint8_t ssl_client;
    uint32_t ssl_verify;
    int tlv_options;  /* any option that needs a v2 TLV */
    cli_item items[CLI_MAX_ITEMS];
    size_t n_items;
    cli_item subs[CLI_MAX_ITEMS]; /* SSL sub-TLVs, in option order */
    size_t n_subs;
} cli_encode_req;

/* Adds encode's options to *r, which comes zeroed with its defaults set
 * (version 2, SSL client bits 0x01). Returns
 * -1 to go on, or an exit code: 0 after --help, else an error (reported). */
int cli_encode_options(cli_encode_req *r, int argc, char **argv);

/* Combinations that no header can express (v1 with TLVs, --src without
 * --dst ...): 0, or a usage error (reported). */
int cli_encode_check(const cli_encode_req *r);

/* Builds the header into out[0..cap). Returns its length or a negative
 * PROXYPROTO_ERR_* code. */
int cli_build(const cli_encode_req *req, uint8_t *out, size_t cap);

/* What encode and send share: *r zeroed with the defaults, argv[1..argc)
 * parsed as encode's options, checked, and the header built into
 * out[0..cap). Returns -1 with *len set, or an exit code (reported). */
int cli_encode_header(cli_encode_req *r, const char *cmd, int raw_only,
                      int argc, char **argv, uint8_t *out, size_t cap,
                      size_t *len);

#endif /* PROXYPROTO_CLI_H */
