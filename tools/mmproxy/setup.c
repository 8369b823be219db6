/* What the relay needs from the system, and the commands that provide it
 * (proxyproto-mmproxy(1), SET-UP). The checks ask `ip` itself, so that a
 * rule is recognised exactly as the command that adds it would write it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mmproxy.h"

int mm_can_transparent(void)
{
    int one = 1, fd, e = 0;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return errno;
    if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one) < 0)
        e = errno;
    close(fd);
    return e;
}

/* 1 when `cmd`'s output has a line holding every one of the words (in
 * that order), 0 when not, -1 when the command could not run. */
static int output_has(const char *cmd, const char *const *words)
{
    char line[512];
    int found = 0, ran;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        const char *at = line;
        int i;
        for (i = 0; words[i] && at; i++)
            if ((at = strstr(at, words[i])))
                at += strlen(words[i]);
        if (at)
            found = 1;
    }
    ran = pclose(p);
    return ran != 0 && !found ? -1 : found;
}

struct out {
    char *buf;
    size_t cap, len;
    int n;
};

static void emit(struct out *o, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vsnprintf(o->buf + o->len, o->cap - o->len, f, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < o->cap - o->len)
        o->len += (size_t)n;
    o->n++;
}

static int proc_is_one(const char *path)
{
    int c;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    c = fgetc(f);
    fclose(f);
    return c == '1';
}

/* The rule and route of one family ("-4" or "-6"). */
static void family_commands(const mm_options *opts, const char *fam,
                            int only_missing, struct out *o)
{
    char cmd[128], mark[96], table[16];
    const char *any = fam[1] == '6' ? "::/0" : "0.0.0.0/0";
    const char *ipf = fam[1] == '6' ? "ip -6" : "ip";
    /* `ip rule` shows the mark in hex. */
    const char *w[] = {mark, table, NULL};
    const char *local[] = {"local default dev lo", NULL};
    snprintf(table, sizeof table, "lookup %d", MM_TABLE);
    snprintf(cmd, sizeof cmd, "ip %s rule show 2>/dev/null", fam);
    if (opts->udp) {
        /* UDP replies carry no mark (nothing like tcp_fwmark_accept marks
         * the server's socket): the rule matches their source, the
         * server's address, on packets made on this machine. */
        char ip[INET6_ADDRSTRLEN];
        const struct sockaddr_storage *to = fam[1] == '6' ? &opts->to6 : &opts->to4;
        if (fam[1] == '6')
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)to)->sin6_addr, ip, sizeof ip);
        else
            inet_ntop(AF_INET, &((const struct sockaddr_in *)to)->sin_addr, ip, sizeof ip);
        snprintf(mark, sizeof mark, "from %s iif lo", ip);
        if (!only_missing || output_has(cmd, w) != 1)
            emit(o, "%s rule add from %s iif lo lookup %d\n", ipf, ip, MM_TABLE);
    } else {
        snprintf(mark, sizeof mark, "fwmark 0x%x", opts->mark);
        if (!only_missing || output_has(cmd, w) != 1)
            emit(o, "%s rule add fwmark %u lookup %d\n", ipf, opts->mark, MM_TABLE);
    }
    snprintf(cmd, sizeof cmd, "ip %s route show table %d 2>/dev/null",
             fam, MM_TABLE);
    if (!only_missing || output_has(cmd, local) != 1)
        emit(o, "%s route add local %s dev lo table %d\n", ipf, any, MM_TABLE);
}

int mm_setup_commands(const mm_options *opts, int only_missing, char *buf,
                      size_t cap)
{
    struct out o = {buf, cap, 0, 0};
    if (cap)
        buf[0] = '\0';
    /* Without a mark nothing here can tell TCP replies apart: the caller
     * says that --mark is missing. */
    if (!opts->mark && !opts->udp)
        return 0;
    /* The server's accepted socket takes the mark of the relay's SYN only
     * with this switch; its replies then match the fwmark rule. */
    if (!opts->udp && (!only_missing ||
                       !proc_is_one("/proc/sys/net/ipv4/tcp_fwmark_accept")))
        emit(&o, "sysctl -w net.ipv4.tcp_fwmark_accept=1\n");
    if (opts->has_to4)
        family_commands(opts, "-4", only_missing, &o);
    if (opts->has_to6)
        family_commands(opts, "-6", only_missing, &o);
    return o.n;
}
