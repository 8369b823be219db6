/*
 * tools/connect/settings.c - PROXYPROTO_CONNECT_* settings, read once when
 * the library loads (each entry parsed by entries.c); which destinations
 * get a header; the start-up messages.
 *
 * A value that does not parse is said once, on stderr, by the process that
 * connects (not by every program a wrapper script runs on the way), and
 * every TCP connect() of that process then fails with EACCES: a typo never
 * sends a wrong header, nor silently none.
 */
#include "connect.h"
#include "../common/settings_text.h"

struct cc_cfg cfg;

/* Configuration errors, said by announce(). */
#define CC_MSGS 6
static char cfg_msg[CC_MSGS][400];
static int n_cfg_msg;

static void bad_value(const char *name, const char *value, const char *why)
{
    cfg.ok = 0;
    if (n_cfg_msg < CC_MSGS)
        snprintf(cfg_msg[n_cfg_msg++], sizeof cfg_msg[0],
                 "%s=%s: %s; every TCP connect() of this process fails (EACCES) "
                 "until it is fixed", name, value, why);
}

/* PROXYPROTO_CONNECT_SRC / _DST: "ADDR", "ADDR:PORT", "[ADDR6]:PORT". */
static void parse_override(const char *name, struct override *o)
{
    const char *v = pp_env(name);
    char host[64], why[200];
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&o->addr;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&o->addr;

    if (v == NULL)
        return;
    if (split_host_port(v, host, sizeof host, &o->port, why, sizeof why) < 0) {
        bad_value(name, v, why);
        return;
    }
    memset(&o->addr, 0, sizeof o->addr);
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
    } else {
        bad_value(name, v, "not an IPv4 or IPv6 address (expected e.g. 192.0.2.7, "
                  "192.0.2.7:5000 or [2001:db8::7]:5000)");
        return;
    }
    o->set = 1;
}

/* A text TLV (AUTHORITY, UNIQUE_ID): at most max bytes. */
static void parse_text(const char *name, char *out, size_t max, size_t *len)
{
    const char *v = pp_env(name);
    char why[80];

    if (v == NULL)
        return;
    if (strlen(v) > max) {
        snprintf(why, sizeof why, "longer than %zu bytes", max);
        bad_value(name, v, why);
        return;
    }
    memcpy(out, v, strlen(v));
    *len = strlen(v);
}

static void parse_list(const char *name, int (*one)(const char *, char *, size_t))
{
    const char *v = getenv(name), *p = v;
    char tok[2 * CC_RAW_BYTES + 8], why[240]; /* a TLV's value in hex fits */
    int t;

    while ((t = pp_next_token(&p, tok, sizeof tok)) > 0) {
        if (one(tok, why, sizeof why) < 0) {
            bad_value(name, v, why);
            return;
        }
    }
    if (t < 0) {
        snprintf(why, sizeof why, "an entry longer than %d characters", (int)sizeof tok - 1);
        bad_value(name, v, why);
    }
}

static int add_dest(const char *tok, char *why, size_t cap)
{
    if (cfg.n_to == CC_MAX_TO) {
        snprintf(why, cap, "more than %d entries", CC_MAX_TO);
        return -1;
    }
    if (parse_dest(tok, &cfg.to[cfg.n_to], why, cap) < 0)
        return -1;
    cfg.n_to++;
    return 0;
}

/* The settings give a header the library writes: tried once here with
 * made-up addresses, so that a header that cannot be written is a
 * start-up message, not a failed connection later. */
static void trial_header(void)
{
    struct sockaddr_in a, b;
    uint8_t buf[CC_HDR_MAX];
    int n;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.sin_family = b.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0xC0000201);
    b.sin_addr.s_addr = htonl(0xC0000202);
    a.sin_port = htons(1);
    b.sin_port = htons(2);
    if ((n = build_header((struct sockaddr *)&a, (struct sockaddr *)&b, buf, sizeof buf)) < 0)
        bad_value("PROXYPROTO_CONNECT_*", "...", proxyproto_strerror(n));
}

void load_config(void)
{
    const char *v;
    long n;

    memset(&cfg, 0, sizeof cfg);
    cfg.ok = 1;
    cfg.version = 1;
    if ((v = pp_env("PROXYPROTO_LOG")) != NULL) {
        if ((n = pp_parse_num(v, 0, 2)) < 0)
            bad_value("PROXYPROTO_LOG", v, "expected 0, 1 or 2");
        else
            cfg.log = (int)n;
    }
    if ((v = pp_env("PROXYPROTO_CONNECT_VERSION")) != NULL) {
        if ((n = pp_parse_num(v, 1, 2)) < 0)
            bad_value("PROXYPROTO_CONNECT_VERSION", v, "expected 1 or 2");
        else
            cfg.version = (int)n;
    }
    if ((v = pp_env("PROXYPROTO_CONNECT_CRC32C")) != NULL) {
        if ((n = pp_parse_num(v, 0, 1)) < 0)
            bad_value("PROXYPROTO_CONNECT_CRC32C", v, "expected 0 or 1");
        else
            cfg.crc32c = (int)n;
    }
    /* Unset: the preload does nothing. Set but empty (an unset shell
     * variable): an error, not "nowhere" in silence. */
    if ((v = getenv("PROXYPROTO_CONNECT_TO")) != NULL) {
        cfg.active = 1;
        parse_list("PROXYPROTO_CONNECT_TO", add_dest);
        if (cfg.ok && cfg.n_to == 0)
            bad_value("PROXYPROTO_CONNECT_TO", v, "set but empty: no destination would get a "
                      "header (unset it to turn the preload off)");
    }
    parse_override("PROXYPROTO_CONNECT_SRC", &cfg.src);
    parse_override("PROXYPROTO_CONNECT_DST", &cfg.dst);
    parse_text("PROXYPROTO_CONNECT_AUTHORITY", cfg.authority, sizeof cfg.authority - 1,
               &cfg.authority_len);
    parse_text("PROXYPROTO_CONNECT_UNIQUE_ID", cfg.unique_id, sizeof cfg.unique_id,
               &cfg.unique_id_len);
    if (pp_env("PROXYPROTO_CONNECT_TLVS") != NULL)
        parse_list("PROXYPROTO_CONNECT_TLVS", parse_raw);
    if (cfg.version == 1 && (cfg.authority_len != 0 || cfg.unique_id_len != 0 ||
                             cfg.n_raw != 0 || cfg.crc32c))
        bad_value("PROXYPROTO_CONNECT_VERSION", pp_env("PROXYPROTO_CONNECT_VERSION") != NULL
                  ? pp_env("PROXYPROTO_CONNECT_VERSION") : "(unset: 1)",
                  "TLVs (AUTHORITY, UNIQUE_ID, TLVS, CRC32C) need version 2: set "
                  "PROXYPROTO_CONNECT_VERSION=2");
    if (cfg.ok)
        trial_header();
}

/* 1 when a connection to sa gets a header. */
int dest_wanted(const struct sockaddr *sa)
{
    uint16_t port;
    size_t i;

    if (sa->sa_family == AF_INET)
        port = ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    else
        port = ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    for (i = 0; i < cfg.n_to; i++) {
        const struct dest *d = &cfg.to[i];
        if ((d->port == 0 || d->port == port) && (d->any || proxyproto_cidr_match(&d->net, sa)))
            return 1;
    }
    return 0;
}

/* Said once per process, at its first TCP connect() the preload acts on
 * (not at load: every program a wrapper script runs would say it). */
void announce(void)
{
    static int done;
    char s[PROXYPROTO_ADDR_STRLEN], d[PROXYPROTO_ADDR_STRLEN];
    int i;

    if (__atomic_exchange_n(&done, 1, __ATOMIC_RELAXED))
        return;
    for (i = 0; i < n_cfg_msg; i++)
        log_line("%s", cfg_msg[i]);
    if (!cfg.ok || cfg.log < 1)
        return;
    s[0] = d[0] = '\0';
    if (cfg.src.set)
        fmt_sa(s, sizeof s, (const struct sockaddr *)&cfg.src.addr);
    if (cfg.dst.set)
        fmt_sa(d, sizeof d, (const struct sockaddr *)&cfg.dst.addr);
    log_line("active: to=%s version=%d src=%s%s dst=%s%s tlvs=%s%s%s%s",
             getenv("PROXYPROTO_CONNECT_TO"), cfg.version,
             cfg.src.set ? s : "local", cfg.src.set && cfg.src.port == 0 ? "(own port)" : "",
             cfg.dst.set ? d : "peer", cfg.dst.set && cfg.dst.port == 0 ? "(own port)" : "",
             cfg.authority_len ? "authority " : "", cfg.unique_id_len ? "unique_id " : "",
             cfg.n_raw ? "raw " : "", cfg.crc32c ? "crc32c" : "");
}
