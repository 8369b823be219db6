/* What the relay needs from the system, and the commands that provide it
 * (proxyproto-mmproxy(1), SET-UP). The rules and routes are looked up in
 * the kernel over rtnetlink (netlink.c); a piece that cannot be looked up
 * counts as missing, and its command is printed. */
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

/* The rule and route of one family (AF_INET or AF_INET6). */
static void family_commands(const mm_options *opts, int family,
                            int only_missing, struct out *o)
{
    const char *ipf = family == AF_INET6 ? "ip -6" : "ip";
    const char *any = family == AF_INET6 ? "::/0" : "0.0.0.0/0";
    if (opts->udp) {
        /* UDP replies carry no mark (nothing like tcp_fwmark_accept marks
         * the server's socket): the rule matches their source, the
         * server's address, on packets made on this machine. */
        char ip[INET6_ADDRSTRLEN];
        const struct sockaddr_storage *to = family == AF_INET6 ? &opts->to6 : &opts->to4;
        if (family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)to)->sin6_addr, ip, sizeof ip);
        else
            inet_ntop(AF_INET, &((const struct sockaddr_in *)to)->sin_addr, ip, sizeof ip);
        if (!only_missing || mm_has_rule(family, 0, to) != 1)
            emit(o, "%s rule add from %s iif lo lookup %d\n", ipf, ip, MM_TABLE);
    } else if (!only_missing || mm_has_rule(family, opts->mark, NULL) != 1) {
        emit(o, "%s rule add fwmark %u lookup %d\n", ipf, opts->mark, MM_TABLE);
    }
    if (!only_missing || mm_has_local_route(family) != 1)
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
        family_commands(opts, AF_INET, only_missing, &o);
    if (opts->has_to6)
        family_commands(opts, AF_INET6, only_missing, &o);
    return o.n;
}
