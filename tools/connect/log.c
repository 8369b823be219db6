/*
 * tools/connect/log.c - the connect preload's log: one line on stderr per
 * event, and addresses as text.
 */
#include "connect.h"
#include "../common/settings_text.h"

void log_line(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pp_log_vline(real_write, "proxyproto-connect", fmt, ap);
    va_end(ap);
}

/* "1.2.3.4:5", "[::1]:5". */
void fmt_sa(char *out, size_t cap, const struct sockaddr *sa)
{
    if (proxyproto_format_sockaddr(out, cap, sa) < 0)
        snprintf(out, cap, "(family %d)", (int)sa->sa_family);
}
