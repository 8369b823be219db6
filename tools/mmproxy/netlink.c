/* The start-up check's questions to the kernel (setup.c): is there a
 * policy-routing rule, is there a local default route in a table? Asked
 * over rtnetlink (a dump of the rules, of the routes), so the check needs
 * no `ip` command and reads what the kernel holds, not a text rendering. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mmproxy.h"

/* One dump's reply, a buffer at a time; a table of rules or routes of a
 * machine set up by hand fits in a few. */
static char nlbuf[32768];

typedef int (*nl_match)(const struct nlmsghdr *h, const void *want);

/* Sends a dump request of `type` for `family` and calls match on each
 * reply. Returns 1 when some reply matched, 0 when none did, -1 when the
 * kernel could not be asked (errno). */
static int dump(int type, int family, nl_match match, const void *want)
{
    struct {
        struct nlmsghdr h;
        struct rtmsg r; /* struct fib_rule_hdr has the same size and start */
    } req;
    struct sockaddr_nl kernel;
    int fd, found = 0, done = 0;

    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = (unsigned short)type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = 1;
    req.r.rtm_family = (unsigned char)family;
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        close(fd);
        return -1;
    }
    while (!done) {
        ssize_t n = recv(fd, nlbuf, sizeof nlbuf, 0);
        struct nlmsghdr *h = (struct nlmsghdr *)nlbuf;
        size_t left;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        left = (size_t)n;
        /* NLMSG_OK() and NLMSG_NEXT() spelt out: the macros compare
         * signed with unsigned, which -Wsign-compare refuses. */
        while (left >= sizeof *h && h->nlmsg_len >= sizeof *h &&
               h->nlmsg_len <= left) {
            size_t step = NLMSG_ALIGN(h->nlmsg_len);
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                done = 1;
                break;
            }
            if (!found && match(h, want))
                found = 1;
            if (step >= left)
                break;
            left -= step;
            h = (struct nlmsghdr *)((char *)h + step);
        }
    }
    close(fd);
    return found;
}

/* ---- rules ------------------------------------------------------------ */

struct rule_want {
    int family;
    unsigned mark;                  /* 0: a source rule instead */
    const struct sockaddr_storage *src;
};

static int same_addr(const struct rtattr *a, const struct rule_want *w)
{
    if (w->family == AF_INET6)
        return RTA_PAYLOAD(a) == 16 &&
               memcmp(RTA_DATA(a),
                      &((const struct sockaddr_in6 *)w->src)->sin6_addr, 16) == 0;
    return RTA_PAYLOAD(a) == 4 &&
           memcmp(RTA_DATA(a), &((const struct sockaddr_in *)w->src)->sin_addr, 4) == 0;
}

/* `ip rule add fwmark N lookup T`, or `ip rule add from ADDR iif lo lookup
 * T`: that selector and nothing more (a rule with more conditions matches
 * fewer packets), sending to table T. */
static int rule_match(const struct nlmsghdr *h, const void *want)
{
    const struct rule_want *w = want;
    const struct fib_rule_hdr *r = NLMSG_DATA(h);
    const struct rtattr *a;
    int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *r);
    uint32_t table = 0, mark = 0, mask = 0xffffffffu;
    int has_mark = 0, has_src = 0, src_ok = 0, iif_lo = 0, other = 0;

    if (h->nlmsg_type != RTM_NEWRULE || len < 0 || r->family != w->family ||
        r->action != FR_ACT_TO_TBL || (r->flags & FIB_RULE_INVERT))
        return 0;
    table = r->table;
    for (a = (const struct rtattr *)((const char *)r + NLMSG_ALIGN(sizeof *r));
         RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        switch (a->rta_type) {
        case FRA_TABLE: memcpy(&table, RTA_DATA(a), 4); break;
        case FRA_FWMARK: memcpy(&mark, RTA_DATA(a), 4); has_mark = 1; break;
        case FRA_FWMASK: memcpy(&mask, RTA_DATA(a), 4); break;
        case FRA_SRC: has_src = 1; src_ok = w->src && same_addr(a, w); break;
        case FRA_IIFNAME:
            iif_lo = strncmp(RTA_DATA(a), "lo", RTA_PAYLOAD(a)) == 0 &&
                     RTA_PAYLOAD(a) >= 3;
            break;
        case FRA_DST: case FRA_OIFNAME: /* conditions the set-up has not */
            other = 1;
            break;
        default: break;
        }
    }
    if (table != MM_TABLE || other || r->dst_len || r->tos)
        return 0;
    if (w->mark)
        return has_mark && mark == w->mark && mask == 0xffffffffu && !has_src &&
               !iif_lo;
    return !has_mark && has_src && src_ok && iif_lo &&
           r->src_len == (w->family == AF_INET6 ? 128 : 32);
}

int mm_has_rule(int family, unsigned mark, const struct sockaddr_storage *src)
{
    struct rule_want w;
    w.family = family;
    w.mark = mark;
    w.src = src;
    return dump(RTM_GETRULE, family, rule_match, &w);
}

/* ---- routes ------------------------------------------------------------ */

struct route_want {
    int family;
    int lo;   /* the loopback's interface index */
};

/* `ip route add local 0.0.0.0/0 dev lo table T` (or ::/0). */
static int route_match(const struct nlmsghdr *h, const void *want)
{
    const struct route_want *w = want;
    const struct rtmsg *r = NLMSG_DATA(h);
    const struct rtattr *a;
    int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof *r);
    uint32_t table, oif = 0;

    if (h->nlmsg_type != RTM_NEWROUTE || len < 0 || r->rtm_family != w->family ||
        r->rtm_type != RTN_LOCAL || r->rtm_dst_len != 0)
        return 0;
    table = r->rtm_table;
    for (a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == RTA_TABLE)
            memcpy(&table, RTA_DATA(a), 4);
        else if (a->rta_type == RTA_OIF)
            memcpy(&oif, RTA_DATA(a), 4);
    }
    return table == MM_TABLE && (int)oif == w->lo;
}

int mm_has_local_route(int family)
{
    struct route_want w;
    w.family = family;
    w.lo = (int)if_nametoindex("lo");
    if (w.lo == 0)
        return -1;
    return dump(RTM_GETROUTE, family, route_match, &w);
}
