/*
 * tools/common/settings_text.h - what the two preloads (tools/preload/,
 * tools/connect/) share: their settings read as text from the environment,
 * and their log, one line per write(). Static inline, so that each
 * preload gets its own copy and exports none of it.
 */
#ifndef PP_SETTINGS_TEXT_H
#define PP_SETTINGS_TEXT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* Value of an environment variable, NULL when unset or empty. */
static inline const char *pp_env(const char *name)
{
    const char *v = getenv(name);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

static inline int pp_is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* Next token of a comma/space separated list into tok[0..cap), or 0 at
 * the end; -1 when a token does not fit. */
static inline int pp_next_token(const char **p, char *tok, size_t cap)
{
    size_t n = 0;

    while (pp_is_sep(**p))
        (*p)++;
    if (**p == '\0')
        return 0;
    while (**p != '\0' && !pp_is_sep(**p)) {
        if (n + 1 >= cap)
            return -1;
        tok[n++] = *(*p)++;
    }
    tok[n] = '\0';
    return 1;
}

/* A decimal number in [lo, hi], the whole string; -1 otherwise. */
static inline long pp_parse_num(const char *s, long lo, long hi)
{
    long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > hi)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

/* One line "who[pid]: ..." on stderr, written with one call of wr (write(),
 * or the real one where write() is intercepted) so that lines of several
 * threads or processes do not mix. No stdio stream is used. */
static inline void pp_log_vline(ssize_t (*wr)(int, const void *, size_t), const char *who,
                                const char *fmt, va_list ap)
{
    char buf[640];
    int n, k;

    n = snprintf(buf, sizeof buf, "%s[%ld]: ", who, (long)getpid());
    if (n < 0)
        return;
    k = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    if (k < 0)
        return;
    n += k;
    if (n > (int)sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    while (n > 0) {
        ssize_t w = wr(2, buf, (size_t)n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        n -= (int)w;
    }
}

#endif /* PP_SETTINGS_TEXT_H */
