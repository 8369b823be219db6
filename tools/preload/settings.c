/*
 * tools/preload/settings.c - PROXYPROTO_* settings, read once at load; the
 * log (one write per line, refusals rate-limited); the start-up messages,
 * said by the process that listens.
 */
#include "preload.h"
#include "../common/settings_text.h"

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

struct pp_cfg cfg;

proxyproto_policy policy;

void log_line(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pp_log_vline(write, "proxyproto-preload", fmt, ap);
    va_end(ap);
}

/* Configuration errors, said by announce(): once, by the process that
 * listens, not by every program a wrapper script runs on the way. */
static char cfg_msg[PP_CFG_MSGS][320];
static int n_cfg_msg;

static void bad_value(const char *name, const char *value, const char *why)
{
    cfg.ok = 0;
    if (n_cfg_msg < PP_CFG_MSGS)
        snprintf(cfg_msg[n_cfg_msg++], sizeof cfg_msg[0],
                 "%s=%s: %s; every connection on a TCP listener will be refused", name,
                 value, why);
}

/* Why a PROXYPROTO_TRUSTED entry does not parse, into why[cap]. */
static void cidr_why(const char *tok, char *why, size_t cap)
{
    const char *slash = strchr(tok, '/');
    char addr[64], net[64];
    proxyproto_cidr c;
    long plen;
    int max, i;

    if (slash != NULL && (size_t)(slash - tok) < sizeof addr) {
        memcpy(addr, tok, (size_t)(slash - tok));
        addr[slash - tok] = '\0';
        if (proxyproto_cidr_parse(&c, addr) == 0) {
            max = c.family == PROXYPROTO_AF_INET ? 32 : 128;
            if ((plen = pp_parse_num(slash + 1, 0, max)) < 0) {
                snprintf(why, cap, "%s: the prefix length must be 0 to %d", tok, max);
                return;
            }
            for (i = 0; i < 16; i++) { /* the network: host bits cleared */
                long keep = plen - 8L * i;
                c.addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
            }
            if (inet_ntop(max == 32 ? AF_INET : AF_INET6, c.addr, net, sizeof net) == NULL)
                net[0] = '\0';
            snprintf(why, cap, "%s: host bits set, did you mean %s/%ld?", tok, net, plen);
            return;
        }
    }
    snprintf(why, cap, "%s: not an address or a CIDR (expected e.g. 10.0.0.0/8, "
             "2001:db8::/32, 127.0.0.1 or ::1)", tok);
}

void load_config(void)
{
    const char *v, *p;
    char tok[64];
    int t;
    long n;

    cfg.ok = 1;
    cfg.log = 0;
    cfg.optional = 0;
    cfg.timeout_ms = 3000;
    cfg.versions = (1u << 1) | (1u << 2);

    if ((v = pp_env("PROXYPROTO_LOG")) != NULL) {
        if ((n = pp_parse_num(v, 0, 2)) < 0)
            bad_value("PROXYPROTO_LOG", v, "expected 0, 1 or 2");
        else
            cfg.log = (int)n;
    }
    if ((v = pp_env("PROXYPROTO_OPTIONAL")) != NULL) {
        if ((n = pp_parse_num(v, 0, 1)) < 0)
            bad_value("PROXYPROTO_OPTIONAL", v, "expected 0 or 1");
        else
            cfg.optional = (int)n;
    }
    if ((v = pp_env("PROXYPROTO_TIMEOUT_MS")) != NULL) {
        if ((n = pp_parse_num(v, 1, 3600000)) < 0)
            bad_value("PROXYPROTO_TIMEOUT_MS", v, "expected milliseconds, 1 to 3600000");
        else
            cfg.timeout_ms = (int)n;
    }
    if ((v = pp_env("PROXYPROTO_VERSIONS")) != NULL) {
        unsigned set = 0;
        p = v;
        while ((t = pp_next_token(&p, tok, sizeof tok)) > 0) {
            if ((n = pp_parse_num(tok, 1, 2)) < 0) {
                t = -1;
                break;
            }
            set |= 1u << n;
        }
        if (t < 0 || set == 0)
            bad_value("PROXYPROTO_VERSIONS", v, "expected 1, 2 or 1,2");
        else
            cfg.versions = set;
    }
    if ((v = pp_env("PROXYPROTO_PORTS")) != NULL) {
        p = v;
        while ((t = pp_next_token(&p, tok, sizeof tok)) > 0) {
            if (cfg.n_ports == PP_MAX_PORTS || (n = pp_parse_num(tok, 1, 65535)) < 0) {
                t = -1;
                break;
            }
            cfg.ports[cfg.n_ports++] = (uint16_t)n;
        }
        if (t < 0 || cfg.n_ports == 0) {
            cfg.n_ports = 0;
            bad_value("PROXYPROTO_PORTS", v, "expected ports 1-65535, comma separated (at most 64)");
        }
    }
    if ((v = pp_env("PROXYPROTO_HANDOFF")) != NULL) {
        if (strcmp(v, "0") == 0)
            cfg.handoff_off = 1;
        else if (v[0] != '/' || strlen(v) >= sizeof cfg.handoff)
            bad_value("PROXYPROTO_HANDOFF", v, "expected 0 (off) or an absolute file path "
                      "(shorter than 256 bytes)");
        else
            memcpy(cfg.handoff, v, strlen(v) + 1);
    }
    v = getenv("PROXYPROTO_TRUSTED");
    p = v != NULL ? v : "127.0.0.0/8,::1";
    while ((t = pp_next_token(&p, tok, sizeof tok)) > 0) {
        if (cfg.n_trusted == PP_MAX_TRUSTED) {
            bad_value("PROXYPROTO_TRUSTED", v, "more than 64 entries");
            break;
        }
        if (proxyproto_cidr_parse(&cfg.trusted[cfg.n_trusted], tok) != 0) {
            char why[200];
            cidr_why(tok, why, sizeof why);
            bad_value("PROXYPROTO_TRUSTED", v, why);
            break;
        }
        cfg.n_trusted++;
    }
    if (t < 0) {
        bad_value("PROXYPROTO_TRUSTED", v != NULL ? v : "", "an entry longer than 63 characters");
    } else if (cfg.n_trusted == 0 && cfg.ok) {
        /* Set but empty (an unset shell variable, say): trust no one,
         * rather than silently the default. */
        bad_value("PROXYPROTO_TRUSTED", v != NULL ? v : "",
                  "set but empty, so no load balancer is trusted (unset it for the "
                  "default, 127.0.0.0/8,::1)");
    }
    if (!cfg.ok)
        cfg.n_trusted = 0;
    policy.trusted = cfg.trusted;
    policy.n_trusted = cfg.n_trusted;
    policy.flags = cfg.optional ? PROXYPROTO_POLICY_ALLOW_UNTRUSTED : 0;

}

/* Said once per process, when a listener first comes under the preload
 * (not in every process a wrapper script execs on the way). */
void announce(void)
{
    static int done;
    const char *v;
    int i;

    if (__atomic_exchange_n(&done, 1, __ATOMIC_RELAXED))
        return;
    for (i = 0; i < n_cfg_msg; i++)
        log_line("%s", cfg_msg[i]);
    if (!cfg.ok)
        return;
    if (cfg.optional)
        log_line("WARNING: PROXYPROTO_OPTIONAL=1: connections without a PROXY header "
                 "are accepted with their real addresses, and untrusted peers are "
                 "passed through as they are; use it only on listeners that take "
                 "direct connections on purpose");
    if (cfg.log >= 1)
        log_line("active: ports=%s trusted=%s timeout=%dms versions=%s header=%s",
                 pp_env("PROXYPROTO_PORTS") != NULL ? pp_env("PROXYPROTO_PORTS") : "all",
                 (v = pp_env("PROXYPROTO_TRUSTED")) != NULL ? v : "127.0.0.0/8,::1",
                 cfg.timeout_ms, cfg.versions == 6 ? "1,2" : cfg.versions == 2 ? "1" : "2",
                 cfg.optional ? "optional" : "required");
}
