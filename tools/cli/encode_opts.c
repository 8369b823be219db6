/* encode's options to a cli_encode_req (encode.h): flags, then a table of options
 * with values, each with its handler. Nothing is built here, so the order
 * of options only matters where it should: the order of TLVs.
 *
 * HEX option values (--tlv, --ssl-client-cert-hex) are decoded in place in
 * argv, which C lets a program modify: the bytes then live as long as the
 * request without any allocation to free. */
#include <string.h>

#include "encode.h"


/* Counts toward the builder's limit; refused here with its message. */
static int push(const char *cmd, cli_item *list, size_t *n, const cli_item *item)
{
    if (*n >= CLI_MAX_ITEMS) {
        fprintf(stderr, CLI_NAME " %s: %s\n", cmd,
                proxyproto_strerror(PROXYPROTO_ERR_BUILDER_FULL));
        return CLI_EXIT_INVALID;
    }
    list[(*n)++] = *item;
    return 0;
}

static int add_item(cli_encode_req *r, enum cli_item_kind kind, uint8_t type,
                    const void *value, size_t len, uint64_t number)
{
    cli_item item;

    item.kind = kind;
    item.type = type;
    item.value = value;
    item.len = len;
    item.number = number;
    r->tlv_options = 1;
    return push(r->cmd, r->items, &r->n_items, &item);
}

/* The SSL TLV takes the place of the first --ssl* option. */
static int need_ssl(cli_encode_req *r)
{
    if (r->ssl)
        return 0;
    r->ssl = 1;
    return add_item(r, CLI_ITEM_SSL, PROXYPROTO_TLV_SSL, NULL, 0, 0);
}

static int add_sub(cli_encode_req *r, uint8_t type, const void *value,
                   size_t len)
{
    cli_item item;
    int rc = need_ssl(r);

    if (rc != 0)
        return rc;
    item.kind = CLI_ITEM_TLV;
    item.type = type;
    item.value = value;
    item.len = len;
    item.number = 0;
    return push(r->cmd, r->subs, &r->n_subs, &item);
}

/* ---- one handler per kind of value option ---- */

struct value_opt;
typedef int (*value_handler)(cli_encode_req *r, const struct value_opt *o,
                             char *value);

typedef struct value_opt {
    const char *name;
    value_handler handler;
    uint8_t type;  /* TLV or sub-TLV type, where the handler needs one */
    uint64_t max;  /* largest value, for number options */
} value_opt;

static int on_endpoint(cli_encode_req *r, const value_opt *o,
                       char *value)
{
    int is_src = strcmp(o->name, "--src") == 0;
    const char *why;

    if (cli_parse_endpoint(value, is_src ? &r->src : &r->dst, &why) != 0)
        return cli_usage_error(r->cmd, "%s %s: %s", o->name, value, why);
    *(is_src ? &r->have_src : &r->have_dst) = 1;
    return 0;
}

static int on_string_tlv(cli_encode_req *r, const value_opt *o,
                         char *value)
{
    return add_item(r, CLI_ITEM_TLV, o->type, value, strlen(value), 0);
}

static int on_ssl_string(cli_encode_req *r, const value_opt *o,
                         char *value)
{
    return add_sub(r, o->type, value, strlen(value));
}

/* Decodes a HEX value in place; returns its length or -1 (reported). */
static long hex_in_place(const char *cmd, const char *opt, char *hex)
{
    long n = cli_hex_decode(hex, strlen(hex), 0, (uint8_t *)hex);

    if (n < 0)
        cli_usage_error(cmd, "%s: %s", opt,
                        n == -2 ? "odd number of hex digits"
                                : "value must be hex digits");
    return n;
}

static int on_ssl_hex(cli_encode_req *r, const value_opt *o,
                      char *value)
{
    long n = hex_in_place(r->cmd, o->name, value);

    return n < 0 ? CLI_EXIT_USAGE : add_sub(r, o->type, value, (size_t)n);
}

static int on_raw_tlv(cli_encode_req *r, const value_opt *o,
                      char *value)
{
    char *colon = strchr(value, ':');
    uint64_t t;
    long n;

    if (colon == NULL)
        return cli_usage_error(r->cmd, "%s %s: expected TYPE:HEX", o->name,
                               value);
    *colon = '\0';
    if (cli_parse_uint(value, 255, &t) != 0)
        return cli_usage_error(r->cmd, "%s: TYPE %s is not a number 0-255",
                               o->name, value);
    n = hex_in_place(r->cmd, o->name, colon + 1);
    if (n < 0)
        return CLI_EXIT_USAGE;
    return add_item(r, CLI_ITEM_TLV, (uint8_t)t, colon + 1, (size_t)n, 0);
}

/* Parses a number option's value; returns 0 or CLI_EXIT_USAGE (reported). */
static int number(const char *cmd, const value_opt *o, const char *value, uint64_t *n)
{
    if (cli_parse_uint(value, o->max, n) != 0)
        return cli_usage_error(cmd, "%s %s: expected a number 0-%llu", o->name,
                               value, (unsigned long long)o->max);
    return 0;
}

static int on_ssl_number(cli_encode_req *r, const value_opt *o, char *value)
{
    uint64_t n;
    int rc = number(r->cmd, o, value, &n);

    if (rc == 0)
        rc = need_ssl(r);
    if (rc != 0)
        return rc;
    if (strcmp(o->name, "--ssl-client") == 0)
        r->ssl_client = (uint8_t)n;
    else
        r->ssl_verify = (uint32_t)n;
    return 0;
}

static int on_aws(cli_encode_req *r, const value_opt *o, char *value)
{
    (void)o;
    return add_item(r, CLI_ITEM_AWS, PROXYPROTO_TLV_AWS, value, strlen(value),
                    0);
}

/* --azure-linkid and --gcp-psc-id: the kind is told by the TLV type. */
static int on_vendor_number(cli_encode_req *r, const value_opt *o,
                            char *value)
{
    uint64_t n;
    int rc = number(r->cmd, o, value, &n);

    if (rc != 0)
        return rc;
    return add_item(r,
                    o->type == PROXYPROTO_TLV_AZURE ? CLI_ITEM_AZURE
                                                    : CLI_ITEM_GCP,
                    o->type, NULL, 0, n);
}

/* One padding TLV: a repeated --pad changes its alignment. */
static int on_pad(cli_encode_req *r, const value_opt *o, char *value)
{
    uint64_t n;
    size_t i;
    int rc = number(r->cmd, o, value, &n);

    if (rc != 0)
        return rc;
    for (i = 0; i < r->n_items; i++) {
        if (r->items[i].kind == CLI_ITEM_PAD) {
            r->items[i].number = n;
            return 0;
        }
    }
    return add_item(r, CLI_ITEM_PAD, PROXYPROTO_TLV_NOOP, NULL, 0, n);
}

static const value_opt value_opts[] = {
    {"--src", on_endpoint, 0, 0},
    {"--dst", on_endpoint, 0, 0},
    {"--alpn", on_string_tlv, PROXYPROTO_TLV_ALPN, 0},
    {"--authority", on_string_tlv, PROXYPROTO_TLV_AUTHORITY, 0},
    {"--unique-id", on_string_tlv, PROXYPROTO_TLV_UNIQUE_ID, 0},
    {"--netns", on_string_tlv, PROXYPROTO_TLV_NETNS, 0},
    {"--tlv", on_raw_tlv, 0, 0},
    {"--ssl-client", on_ssl_number, 0, 0xFF},
    {"--ssl-verify", on_ssl_number, 0, 0xFFFFFFFFu},
    {"--ssl-version", on_ssl_string, PROXYPROTO_SSL_VERSION, 0},
    {"--ssl-cn", on_ssl_string, PROXYPROTO_SSL_CN, 0},
    {"--ssl-cipher", on_ssl_string, PROXYPROTO_SSL_CIPHER, 0},
    {"--ssl-sig-alg", on_ssl_string, PROXYPROTO_SSL_SIG_ALG, 0},
    {"--ssl-key-alg", on_ssl_string, PROXYPROTO_SSL_KEY_ALG, 0},
    {"--ssl-group", on_ssl_string, PROXYPROTO_SSL_GROUP, 0},
    {"--ssl-sig-scheme", on_ssl_string, PROXYPROTO_SSL_SIG_SCHEME, 0},
    {"--ssl-client-cert-hex", on_ssl_hex, PROXYPROTO_SSL_CLIENT_CERT, 0},
    {"--aws-vpce-id", on_aws, PROXYPROTO_TLV_AWS, 0},
    {"--azure-linkid", on_vendor_number, PROXYPROTO_TLV_AZURE, 0xFFFFFFFFu},
    {"--gcp-psc-id", on_vendor_number, PROXYPROTO_TLV_GCP, UINT64_MAX},
    /* The library takes 1-256 and says so; the CLI only wants a number. */
    {"--pad", on_pad, PROXYPROTO_TLV_NOOP, 0xFFFF},
};

/* Flags. Returns 1 when argv[i] was one, 0 when not. */
static int on_flag(cli_encode_req *r, const char *a)
{
    if (cli_opt_flag(a, "--v1", "-1"))
        r->version = 1;
    else if (cli_opt_flag(a, "--v2", "-2"))
        r->version = 2;
    else if (strcmp(a, "--local") == 0)
        r->local = 1;
    else if (strcmp(a, "--udp") == 0)
        r->udp = 1;
    else if (strcmp(a, "--hex") == 0)
        r->hex = 1;
    else if (strcmp(a, "--crc32c") == 0)
        r->crc32c = r->tlv_options = 1;
    else if (strcmp(a, "--ssl") == 0)
        return need_ssl(r) == 0 ? 1 : -1;
    else
        return 0;
    return 1;
}

/* Tries every value option on argv[*i]. Returns -1 when none matched, else
 * 0 or an exit code. */
static int on_value(cli_encode_req *r, int argc, char **argv, int *i)
{
    size_t k;

    for (k = 0; k < sizeof value_opts / sizeof value_opts[0]; k++) {
        char *value;
        int m = cli_opt_value(r->cmd, argc, argv, i, value_opts[k].name, &value);
        if (m < 0)
            return CLI_EXIT_USAGE;
        if (m > 0)
            return value_opts[k].handler(r, &value_opts[k], value);
    }
    return -1;
}

int cli_encode_options(cli_encode_req *r, int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc;
        if (cli_opt_flag(a, "--help", "-h")) {
            r->help = 1;
            return CLI_EXIT_OK;
        }
        rc = on_flag(r, a);
        if (rc < 0)
            return CLI_EXIT_INVALID; /* the builder limit, reported */
        if (rc > 0)
            continue;
        rc = on_value(r, argc, argv, &i);
        if (rc > 0)
            return rc;
        if (rc < 0)
            return a[0] == '-'
                       ? cli_usage_error(r->cmd, "unknown option '%s'", a)
                       : cli_usage_error(r->cmd, "unexpected argument '%s'", a);
    }
    return -1;
}


int cli_encode_check(const cli_encode_req *r)
{
    if (r->raw_only && r->hex)
        return cli_usage_error(r->cmd, "--hex: %s writes the header raw", r->cmd);
    if (r->have_src != r->have_dst)
        return cli_usage_error(r->cmd, "give both --src and --dst, or neither");
    if (r->have_src && r->src.family != r->dst.family)
        return cli_usage_error(r->cmd, "--src and --dst must be of one family "
                                       "(IPv4, IPv6 or unix)");
    if (r->version != 1)
        return 0;
    if (r->local)
        return cli_usage_error(r->cmd, "--local needs v2 (v1 has no LOCAL)");
    if (r->udp)
        return cli_usage_error(r->cmd, "--udp needs v2 (v1 carries only TCP)");
    if (r->tlv_options)
        return cli_usage_error(r->cmd, "TLV options need v2 (v1 has no TLVs)");
    return 0;
}

int cli_encode_header(cli_encode_req *r, const char *cmd, int raw_only,
                      int argc, char **argv, uint8_t *out, size_t cap,
                      size_t *len)
{
    int rc;

    memset(r, 0, sizeof *r);
    r->cmd = cmd;
    r->raw_only = raw_only;
    r->version = 2;
    r->ssl_client = PROXYPROTO_SSL_CLIENT_SSL;
    rc = cli_encode_options(r, argc, argv);
    if (rc >= 0)
        return rc;
    rc = cli_encode_check(r);
    if (rc != 0)
        return rc;
    rc = cli_build(r, out, cap);
    if (rc < 0) {
        fprintf(stderr, CLI_NAME " %s: %s\n", cmd, proxyproto_strerror(rc));
        return CLI_EXIT_INVALID;
    }
    *len = (size_t)rc;
    return -1;
}
