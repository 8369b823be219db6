/*
 * tools/connect/log.c - the connect preload's log: one line on stderr per
 * event, and addresses as text.
 */
#include "connect.h"

/* One line on stderr, written with one write() so that lines of several
 * threads or processes do not mix. No stdio stream is used. */
void log_line(const char *fmt, ...)
{
    char buf[640];
    int n, k;
    va_list ap;

    n = snprintf(buf, sizeof buf, "proxyproto-connect[%ld]: ", (long)getpid());
    if (n < 0)
        return;
    va_start(ap, fmt);
    k = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    n += k;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    while (n > 0) {
        ssize_t w = real_write(2, buf, (size_t)n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        n -= (int)w;
    }
}

/* "1.2.3.4:5", "[::1]:5". */
void fmt_sa(char *out, size_t cap, const struct sockaddr *sa)
{
    if (proxyproto_format_sockaddr(out, cap, sa) < 0)
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
}
