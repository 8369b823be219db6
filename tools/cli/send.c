/* proxyproto send HOST:PORT [options]: a stand-in load balancer for testing
 * a backend. Connects, writes the header that `encode` would write with the
 * same options (encode_opts.c gathers them, build.c builds them) in
 * one write, then relays stdin to the socket and the socket to stdout. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "encode.h"

#define SEND "send"
#define DEFAULT_TIMEOUT_MS 10000

void cli_send_usage(FILE *out)
{
    fputs("Usage: " CLI_NAME " send HOST:PORT [options]\n"
          "\n"
          "A stand-in load balancer: connects to HOST:PORT (127.0.0.1:8080,\n"
          "[::1]:8080 or unix:/path), writes a PROXY protocol header in one\n"
          "write, then copies standard input to the connection and the\n"
          "connection to standard output. The end of standard input is passed\n"
          "on (shutdown); the command ends when the server closes.\n"
          "\n"
          "The header is the one `" CLI_NAME " encode` writes with the same\n"
          "options: --v1, --v2, --local, --src, --dst, --udp and the TLV options\n"
          "(see `" CLI_NAME " encode --help`; --hex is not taken here).\n"
          "\n"
          "  --udp           DGRAM in the header, and sent over UDP: the header\n"
          "                  and all of standard input go in one datagram, and\n"
          "                  the first datagram that comes back is printed\n"
          "  --timeout MS    give up when connecting, or waiting with nothing\n"
          "                  moving either way, takes longer than MS\n"
          "                  milliseconds (default 10000; 0: wait forever)\n"
          "\n"
          "Example:\n"
          "  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | " CLI_NAME " send 127.0.0.1:8080 \\\n"
          "      --v1 --src 203.0.113.7:51234 --dst 127.0.0.1:8080\n"
          "\n"
          "Exit codes: 0 the server closed the connection (UDP: a reply came),\n"
          "1 the library refused the header, 2 wrong usage, 4 network error or\n"
          "timeout.\n",
          out);
}

static int net_error(const char *what)
{
    fprintf(stderr, CLI_NAME " " SEND ": %s: %s\n", what, strerror(errno));
    return CLI_EXIT_NETWORK;
}

static socklen_t to_sockaddr(const cli_endpoint *ep, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (ep->family == PROXYPROTO_AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(ep->port);
        memcpy(&a->sin_addr, ep->ip, 4);
        return sizeof *a;
    }
    if (ep->family == PROXYPROTO_AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(ep->port);
        memcpy(&a->sin6_addr, ep->ip, 16);
        return sizeof *a;
    }
    {
        struct sockaddr_un *a = (struct sockaddr_un *)ss;
        size_t n = ep->path_len < sizeof a->sun_path ? ep->path_len
                                                     : sizeof a->sun_path;
        a->sun_family = AF_UNIX;
        memcpy(a->sun_path, ep->path, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
}

/* poll() for one fd; ms 0 means no limit. Returns poll()'s result. */
static int wait_for(int fd, short events, int ms)
{
    struct pollfd p;
    int r;

    p.fd = fd;
    p.events = events;
    do
        r = poll(&p, 1, ms > 0 ? ms : -1);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        errno = ETIMEDOUT;
    return r;
}

/* A connected socket, the connect bounded by ms; -1 with errno set. */
static int connect_to(const cli_endpoint *ep, int type, int ms)
{
    struct sockaddr_storage ss;
    socklen_t len = to_sockaddr(ep, &ss);
    int fd = socket(ss.ss_family, type, 0), flags, err = 0;
    socklen_t err_len = sizeof err;

    if (fd < 0)
        return -1;
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        if (errno != EINPROGRESS || wait_for(fd, POLLOUT, ms) <= 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
            goto fail;
        if (err != 0) {
            errno = err;
            goto fail;
        }
    }
    if (fcntl(fd, F_SETFL, flags) == 0)
        return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* MSG_NOSIGNAL: a closed peer gives EPIPE, not a fatal SIGPIPE. */
static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_out(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0)
        return 0;
    fprintf(stderr, CLI_NAME " " SEND ": writing to standard output: %s\n",
            strerror(errno));
    return CLI_EXIT_USAGE;
}

/* Both directions until the server closes. Writes to the socket take only
 * what it accepts (POLLOUT), and stdin is read again only once that is all
 * sent: a server echoing a large input back is read meanwhile, so neither
 * side can block the other for good. */
static int relay(int fd, int ms)
{
    char in[16384], out[16384];
    size_t in_len = 0, in_off = 0; /* stdin bytes not yet sent */
    int stdin_open = 1;

    for (;;) {
        struct pollfd p[2];
        ssize_t n;
        int r;

        p[0].fd = fd;
        p[0].events = (short)(POLLIN | (in_off < in_len ? POLLOUT : 0));
        p[1].fd = stdin_open && in_off == in_len ? 0 : -1; /* -1: skipped */
        p[1].events = POLLIN;
        p[0].revents = p[1].revents = 0;
        r = poll(p, 2, ms > 0 ? ms : -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return net_error("poll");
        if (r == 0) {
            fprintf(stderr, CLI_NAME " " SEND ": nothing moved for %d ms "
                            "(--timeout)\n", ms);
            return CLI_EXIT_NETWORK;
        }
        if (p[0].revents & ~POLLOUT) { /* data, end, or an error */
            n = recv(fd, out, sizeof out, MSG_DONTWAIT);
            if (n == 0)
                return CLI_EXIT_OK; /* the server closed: done */
            if (n < 0 && errno != EINTR && errno != EAGAIN &&
                errno != EWOULDBLOCK)
                return net_error("receiving");
            if (n > 0 && (r = write_out(out, (size_t)n)) != 0)
                return r;
        }
        if (p[0].revents & POLLOUT) {
            n = send(fd, in + in_off, in_len - in_off,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno != EINTR && errno != EAGAIN &&
                errno != EWOULDBLOCK)
                return net_error("sending");
            if (n > 0)
                in_off += (size_t)n;
        }
        if (p[1].revents != 0) {
            n = read(0, in, sizeof in);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) { /* end of input (or unreadable): pass it on */
                stdin_open = 0;
                shutdown(fd, SHUT_WR);
            } else {
                in_len = (size_t)n;
                in_off = 0;
            }
        }
    }
}

static int send_stream(const cli_endpoint *to, const uint8_t *hdr, size_t len,
                       int ms)
{
    int one = 1, fd = connect_to(to, SOCK_STREAM, ms), rc;
    struct timeval tv;

    if (fd < 0)
        return net_error("connect");
    if (to->family != PROXYPROTO_AF_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A server that stops reading must not block a write forever. */
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    /* proxyproto(7) section 6: one write, before any payload. */
    rc = send_all(fd, hdr, len) != 0 ? net_error("sending the header")
                                     : relay(fd, ms);
    close(fd);
    return rc;
}

/* One datagram out (header + all of stdin), the first reply printed. */
static int send_datagram(const cli_endpoint *to, const uint8_t *hdr,
                         size_t len, int ms)
{
    static uint8_t reply[65536];
    uint8_t *in = NULL, *dgram = NULL;
    size_t in_len = 0;
    ssize_t n;
    int fd, rc = CLI_EXIT_NETWORK;

    if (cli_read_all(stdin, &in, &in_len) != 0) {
        fprintf(stderr, CLI_NAME " " SEND ": reading standard input: %s\n",
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    dgram = malloc(len + in_len);
    fd = connect_to(to, SOCK_DGRAM, ms);
    if (dgram == NULL || fd < 0) {
        rc = net_error(dgram == NULL ? "malloc" : "connect");
    } else {
        memcpy(dgram, hdr, len);
        if (in_len > 0)
            memcpy(dgram + len, in, in_len);
        if (send(fd, dgram, len + in_len, 0) < 0)
            rc = net_error("sending the datagram");
        else if (wait_for(fd, POLLIN, ms) <= 0)
            rc = net_error("waiting for a reply");
        else if ((n = recv(fd, reply, sizeof reply, 0)) < 0)
            rc = net_error("receiving"); /* ECONNREFUSED: nobody listens */
        else
            rc = write_out(reply, (size_t)n);
    }
    if (fd >= 0)
        close(fd);
    free(dgram);
    free(in);
    return rc;
}

int cli_send(int argc, char **argv)
{
    static uint8_t hdr[PROXYPROTO_V2_MAX_LEN];
    cli_endpoint to;
    cli_encode_req req;
    const char *why;
    uint64_t ms = DEFAULT_TIMEOUT_MS;
    size_t len;
    int i, n, rc;

    for (i = 1; i < argc; i++)
        if (cli_opt_flag(argv[i], "--help", "-h")) {
            cli_send_usage(stdout);
            return CLI_EXIT_OK;
        }
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage_error(SEND, "the first argument must be HOST:PORT");
    if (cli_parse_endpoint(argv[1], &to, &why) != 0)
        return cli_usage_error(SEND, "%s: %s", argv[1], why);
    /* The options after HOST:PORT, less --timeout, go to encode's parser,
     * which reads argv[1..n): compact them in place from argv[2] and hand
     * it argv + 1, whose [0] is then the command's name again. */
    n = 1;
    for (i = 2; i < argc; i++) {
        char *value;
        int m = cli_opt_value(SEND, argc, argv, &i, "--timeout", &value);
        if (m < 0)
            return CLI_EXIT_USAGE;
        if (m > 0 && cli_parse_uint(value, 86400000, &ms) != 0)
            return cli_usage_error(SEND, "--timeout %s: expected milliseconds",
                                   value);
        if (m == 0)
            argv[1 + n++] = argv[i];
    }
    argv[1] = argv[0];
    rc = cli_encode_header(&req, SEND, 1, n, argv + 1, hdr, sizeof hdr, &len);
    if (rc >= 0 && req.help)
        cli_send_usage(stdout); /* not reached: the scan above takes --help */
    if (rc >= 0)
        return rc;
    return req.udp ? send_datagram(&to, hdr, len, (int)ms)
                   : send_stream(&to, hdr, len, (int)ms);
}
