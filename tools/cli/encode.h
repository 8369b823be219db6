/*
 * encode.h - what the encode and send commands share: the request that
 * encode's options describe (encode_opts.c gathers and checks them) and its
 * build into header bytes (build.c). The commands print their own usage:
 * nothing here calls back into encode.c or send.c.
 */
#ifndef PROXYPROTO_CLI_ENCODE_H
#define PROXYPROTO_CLI_ENCODE_H

#include "cli.h"

/* What `encode` was asked for, gathered from the options
 * (encode_opts.c) before anything is built. */
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
    const uint8_t *value; /* points into argv (see encode_opts.c) */
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
    int help;         /* --help was given: the command prints its usage */
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
 * (version 2, SSL client bits 0x01). Returns -1 to go on, or an exit
 * code: 0 with r->help set at --help (the caller prints its own usage),
 * else an error (reported). */
int cli_encode_options(cli_encode_req *r, int argc, char **argv);

/* Combinations that no header can express (v1 with TLVs, --src without
 * --dst ...): 0, or a usage error (reported). */
int cli_encode_check(const cli_encode_req *r);

/* Builds the header into out[0..cap). Returns its length or a negative
 * PROXYPROTO_ERR_* code. */
int cli_build(const cli_encode_req *req, uint8_t *out, size_t cap);

/* What encode and send share: *r zeroed with the defaults, argv[1..argc)
 * parsed as encode's options, checked, and the header built into
 * out[0..cap). Returns -1 with *len set, or an exit code (reported; 0 with
 * r->help set when --help asked for the usage). */
int cli_encode_header(cli_encode_req *r, const char *cmd, int raw_only,
                      int argc, char **argv, uint8_t *out, size_t cap,
                      size_t *len);

#endif /* PROXYPROTO_CLI_ENCODE_H */
