/* udp-echo: a UDP echo backend behind a load balancer that puts a PROXY v2
 * header (transport DGRAM) in front of every datagram it forwards. Each
 * datagram is parsed alone (proxyproto_parse_datagram(): header and payload
 * come whole, proxyproto(7) section 5); the payload goes back to the sender,
 * which is the load balancer, and one line is logged on stdout:
 *
 *   dgram client=203.0.113.7:51234 bytes=5
 *   reject peer=IP:PORT error=PROXYPROTO_ERR_... msg="..."
 *
 * client= is the header's source for PROXY, the sender's own address for
 * LOCAL and UNKNOWN (as proxyproto_resolve() decides for streams; it needs a
 * connected socket, so here it is done by hand). IPv6 is in brackets.
 *
 *   proxyproto encode --udp --src 203.0.113.7:51234 --dst 127.0.0.1:8083
 *   printf hello | proxyproto send 127.0.0.1:8083 --udp \
 *       --src 203.0.113.7:51234 --dst 127.0.0.1:8083          (prints hello)
 */
#define _POSIX_C_SOURCE 200809L
#define PROG "udp-echo"
#define DEFAULT_LISTEN "127.0.0.1:8083"
#include "example_common.h"

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [options]\n"
          "\n"
          "UDP echo server behind a load balancer that prefixes each datagram\n"
          "with a PROXY protocol v2 header. Sends each payload back to the\n"
          "sender (the load balancer) and logs on stdout:\n"
          "  dgram client=IP:PORT bytes=N\n"
          "  reject peer=IP:PORT error=PROXYPROTO_ERR_... msg=\"...\"\n"
          "\n"
          "  --listen ADDR:PORT    127.0.0.1:8083 or [::1]:8083 (default "
          DEFAULT_LISTEN ");\n"
          EX_HELP_LISTEN_PORT0
          EX_HELP_TRUSTED
          "                        Datagrams from others are dropped.\n"
          EX_HELP_HELP,
          out);
}

/* ---- log lines ----------------------------------------------------------- */

/* reject peer=IP:PORT error=NAME msg="MESSAGE" */
static void log_reject(const struct sockaddr_storage *peer, int code)
{
    ex_put_reject((const struct sockaddr *)peer, code, NULL);
    fflush(stdout);
}

/* One datagram from `from`: check, parse, log, echo the payload back. */
static void handle(int fd, const proxyproto_policy *policy,
                   const unsigned char *buf, size_t len,
                   const struct sockaddr_storage *from, socklen_t from_len)
{
    struct sockaddr_storage client;
    char addr[ADDR_STRLEN];
    proxyproto_header hdr;
    int rc = proxyproto_policy_check(policy, (const struct sockaddr *)from);

    if (rc == PROXYPROTO_EXPECT_HEADER)
        rc = proxyproto_parse_datagram(&hdr, buf, len);
    else if (rc == PROXYPROTO_NO_HEADER) /* --allow-untrusted: all payload */
        rc = 0;
    if (rc < 0) { /* untrusted sender, or no valid header: dropped */
        log_reject(from, rc);
        return;
    }
    if (rc > 0 && proxyproto_use_header_addresses(&hdr))
        proxyproto_sockaddr(&hdr, PROXYPROTO_SOURCE, &client);
    else
        client = *from; /* LOCAL, UNKNOWN: the sender itself */
    format_addr(addr, sizeof addr, (const struct sockaddr *)&client);
    printf("dgram client=%s bytes=%zu\n", addr, len - (size_t)rc);
    fflush(stdout);
    /* UDP: a send that fails (no buffer space) loses a datagram, as UDP may. */
    sendto(fd, buf + rc, len - (size_t)rc, 0, (const struct sockaddr *)from,
           from_len);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static unsigned char buf[65536]; /* the largest UDP datagram */
    static struct ex_config cfg; /* --header-timeout, --max-conns: unused */
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    int fd, rc = ex_parse_args(argc, argv, &cfg, 0, 0, 0);

    if (rc >= 0)
        return rc;
    ex_catch_signals(); /* poll() returns EINTR */
    fd = socket(cfg.listen.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 ||
        bind(fd, (struct sockaddr *)&cfg.listen, cfg.listen_len) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        perror(PROG ": bind");
        return 1;
    }
    ex_log_listening(&bound);
    while (!stop) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        struct pollfd p;
        ssize_t got;

        p.fd = fd;
        p.events = POLLIN;
        if (poll(&p, 1, 1000) <= 0) /* wakes up to look at `stop` */
            continue;
        got = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
                       &from_len);
        if (got >= 0)
            handle(fd, &cfg.policy, buf, (size_t)got, &from, from_len);
    }
    close(fd);
    return 0;
}
