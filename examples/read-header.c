/* read-header: reads a PROXY header (v1 or v2) from standard input -- a
 * socket handed over by inetd/systemd, or a pipe -- and prints the client
 * address it carries, then the payload that followed it.
 *
 *   proxyproto encode --src 203.0.113.7:51234 --dst 10.0.0.1:443 | read-header
 *
 * The loop is the one a server uses: read, parse what has arrived, stop as
 * soon as the header is complete. Bytes read past the header are payload
 * and stay in the buffer for the application. */
#define _POSIX_C_SOURCE 200809L
#include <proxyproto.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads until the header is complete; returns its length or an error. */
static int read_header(int fd, unsigned char *buf, size_t cap, size_t *got,
                       proxyproto_header *hdr)
{
    size_t last = 0;
    int r = PROXYPROTO_INCOMPLETE;

    *got = 0;
    while (r == PROXYPROTO_INCOMPLETE && *got < cap) {
        ssize_t n = read(fd, buf + *got, cap - *got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PROXYPROTO_INCOMPLETE; /* peer closed mid-header */
        last = *got;
        *got += (size_t)n;
        r = proxyproto_parse(hdr, buf, *got, last);
    }
    return r;
}

static void print_end(const char *what, const proxyproto_header *hdr,
                      int which)
{
    char text[PROXYPROTO_ADDR_STRLEN];

    if (proxyproto_format_endpoint(text, sizeof text, hdr, which) >= 0)
        printf("%s %s\n", what, text);
}

int main(void)
{
    unsigned char buf[PROXYPROTO_V2_MAX_LEN + 4096];
    proxyproto_header hdr;
    size_t got;
    int r = read_header(0, buf, sizeof buf, &got, &hdr);

    if (r < 0) {
        fprintf(stderr, "read-header: %s\n", proxyproto_strerror(r));
        return 1;
    }
    printf("PROXY v%d header, %d bytes\n", hdr.version, r);
    if (proxyproto_use_header_addresses(&hdr)) {
        print_end("client", &hdr, PROXYPROTO_SOURCE);
        print_end("server", &hdr, PROXYPROTO_DESTINATION);
    } else {
        printf("no client address (LOCAL or UNKNOWN): use the socket's own\n");
    }
    printf("payload so far: %zu bytes: %.*s\n", got - (size_t)r,
           (int)(got - (size_t)r), (const char *)buf + r);
    return 0;
}
