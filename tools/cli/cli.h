/*
 * cli.h - declarations shared by the files of the proxyproto command-line
 * tool (tools/cli/). One concern per file:
 *   main.c         command dispatch, --help, --version
 *   decode.c       the decode command (options, input, result)
 *   report.c       decode results as one-line JSON objects
 *   json.c         JSON string and hex-string primitives
 *   encode.c       the encode command: output
 *   send.c         the send command: connect, header, relay stdin/stdout
 *   encode_opts.c  encode's options to a request, and their checks
 *   build.c        a request to header bytes, through the library
 *   addr.c         ADDR:PORT / [ADDR]:PORT / unix:PATH endpoints
 *   args.c         option matching, numbers, usage errors
 *   hex.c          hex text to bytes and back
 *   io.c           reading a whole file or stdin
 * encode.h declares what encode and send share (the request, its options
 * and its build); only the files of those two commands include it.
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

/* ---- args.c ---- */

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

/* ---- hex.c ---- */

/* Decodes hex digits (either case) from in[0..len) into out, which may be
 * `in` itself (the output never overtakes the input). With skip_space,
 * whitespace between digits is ignored. Returns the number of bytes, or -1
 * for a character that is not a hex digit, -2 for an odd digit count. */
long cli_hex_decode(const char *in, size_t len, int skip_space, uint8_t *out);

/* Writes p[0..len) as lowercase hex digits. */
void cli_hex_write(FILE *out, const uint8_t *p, size_t len);

/* ---- io.c ---- */

/* Reads all of `in` into a malloc'd *buf (free it) of *len bytes. Returns 0,
 * or -1 with errno set on a read or allocation failure. */
int cli_read_all(FILE *in, uint8_t **buf, size_t *len);

/* ---- addr.c ---- */

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

/* ---- json.c ---- */

/* A JSON string of the raw bytes s[0..len): '"' and '\' escaped with a
 * backslash, every other byte below 0x20 or from 0x7F up as \u00xx. */
void cli_json_string(FILE *out, const uint8_t *s, size_t len);

/* A JSON string of lowercase hex digits for p[0..len). */
void cli_json_hex(FILE *out, const uint8_t *p, size_t len);

/* ---- report.c ---- */

/* One line each, "\n" included. input_len is the whole input's length. */
void cli_report_ok(FILE *out, const proxyproto_header *hdr, size_t input_len);
void cli_report_invalid(FILE *out, int code);
void cli_report_incomplete(FILE *out, size_t need);

#endif /* PROXYPROTO_CLI_H */
