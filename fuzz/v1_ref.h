/* A slow reference reading of v1 lines, written straight from proxyproto(7)
 * section 2 and nothing else: no state machine, no field readers, the C
 * library's inet_pton() for the address text (it follows proxyproto(7)'s strict
 * rules: no leading zeros, RFC 4291 IPv6, no zone id) and a brute-force
 * search for the shortest way to finish a field. Kept in fuzz/ (never in
 * lib/) and used by fuzz/fuzz_v1_ref.c as the judge of the library's v1
 * reader: which prefixes can still become a
 * valid line, and how short that line can be (the exact `need`).
 *
 * v1ref_shortest(b, n): the length of the shortest valid v1 line that
 * starts with b[0..n), or 0 when there is none. A CR is part of the bytes
 * judged: b may end in a CR (then only an LF can follow) or in the CRLF. */
#ifndef PROXYPROTO_V1_REF_H
#define PROXYPROTO_V1_REF_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define V1REF_MAX 107 /* proxyproto(7) section 2: the whole line, CRLF included */

enum { V1REF_IPV4, V1REF_IPV6, V1REF_PORT };

/* Decimal 0..65535, no sign, no leading zero. */
static int v1ref_port_ok(const char *s)
{
    size_t i, n = strlen(s);
    unsigned long v = 0;

    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    return v <= 65535;
}

static int v1ref_field_ok(int kind, const char *s)
{
    uint8_t out[16];

    if (kind == V1REF_PORT)
        return v1ref_port_ok(s);
    if (strchr(s, '%') != NULL || strchr(s, '[') != NULL)
        return 0; /* no zone id, no brackets (whatever the libc says) */
    return inet_pton(kind == V1REF_IPV4 ? AF_INET : AF_INET6, s, out) == 1;
}

/* Does some string of `depth` more bytes from the alphabet make s (of
 * length n, room for depth more) a valid field? Tries them all. */
static int v1ref_extend(int kind, char *s, size_t n, int depth)
{
    static const char *const alphabet[3] = {"0.", "0:.", "0"};
    size_t i;

    if (depth == 0) {
        s[n] = '\0';
        return v1ref_field_ok(kind, s);
    }
    for (i = 0; alphabet[kind][i] != '\0'; i++) {
        s[n] = alphabet[kind][i];
        if (v1ref_extend(kind, s, n + 1, depth - 1))
            return 1;
    }
    return 0;
}

/* The fewest bytes that make the start of a field, tok[0..n), a valid
 * field, or -1. Shortest additions only ever need a '0' (a whole octet,
 * group or port, or a digit after others), ':' or '.'; were that wrong,
 * the reference would ask for more than the library and the tests would
 * say so. The longest shortest addition is "0.0.0.0" (7). */
static int v1ref_field_rest(int kind, const char *tok, size_t n)
{
    char s[64];
    int d;

    if (n + 8 > sizeof s || strspn(tok, "0123456789abcdefABCDEF:.") < n)
        return -1;
    if ((kind == V1REF_IPV4 && n > 15) || (kind == V1REF_IPV6 && n > 45) ||
        (kind == V1REF_PORT && n > 5))
        return -1;
    if (n == 0) /* proxyproto(7) section 2: "0.0.0.0", "::", "0" */
        return kind == V1REF_IPV4 ? 7 : kind == V1REF_IPV6 ? 2 : 1;
    memcpy(s, tok, n);
    for (d = 0; d <= 7; d++)
        if (v1ref_extend(kind, s, n, d))
            return d;
    return -1;
}

/* TCP4 / TCP6 fields: the text after the word, t[0..n) (no CR in it);
 * `whole` when the CRLF follows it. Returns the fewest bytes the fields
 * still need (0 when whole), or -1. */
static int v1ref_fields(int v6, const char *t, size_t n, int whole)
{
    static const int shortest[2][4] = {{7, 7, 1, 1}, {2, 2, 1, 1}};
    char tok[V1REF_MAX + 1];
    size_t i = 0, start = 0;
    int k = 0, more, j;

    for (;; i++) {
        if (i < n && t[i] != ' ')
            continue;
        if (k == 4)
            return -1; /* a fifth field */
        memcpy(tok, t + start, i - start);
        tok[i - start] = '\0';
        if (i == n)
            break;
        if (!v1ref_field_ok(k < 2 ? (v6 ? V1REF_IPV6 : V1REF_IPV4) : V1REF_PORT, tok))
            return -1;
        k++;
        start = i + 1;
    }
    /* tok is the last field, maybe unfinished; k its index */
    if (whole)
        return k == 3 && v1ref_field_ok(V1REF_PORT, tok) ? 0 : -1;
    more = v1ref_field_rest(k < 2 ? (v6 ? V1REF_IPV6 : V1REF_IPV4) : V1REF_PORT,
                            tok, i - start);
    if (more < 0)
        return -1;
    for (j = k + 1; j < 4; j++)
        more += 1 + shortest[v6][j];
    return more;
}

static size_t v1ref_shortest(const uint8_t *b, size_t n)
{
    static const char *const words[3] = {"PROXY TCP4 ", "PROXY TCP6 ", "PROXY UNKNOWN"};
    static const size_t word_shortest[3] = {32, 22, 15};
    size_t best = 0, w;

    for (w = 0; w < 3; w++) {
        size_t wl = strlen(words[w]), i, total, m = n < wl ? n : wl, text_end = n;
        int whole = 0, more;

        if (memcmp(b, words[w], m) != 0)
            continue;
        if (n <= wl) {
            total = word_shortest[w];
        } else {
            if (w == 2 && b[13] != ' ' && b[13] != '\r')
                continue; /* UNKNOWNX */
            for (i = wl; i < n; i++)
                if (b[i] < 0x20 || b[i] > 0x7E)
                    break;
            if (i < n) { /* only a CR at the end, or the CRLF */
                if (b[i] != '\r' || !(i + 1 == n || (i + 2 == n && b[i + 1] == '\n')))
                    continue;
                text_end = i;
                whole = 1; /* the line ends at this CR */
            }
            if (w == 2) {
                more = 0;
            } else {
                char t[V1REF_MAX + 8];
                if (text_end - wl > V1REF_MAX)
                    continue;
                memcpy(t, b + wl, text_end - wl);
                more = v1ref_fields(w == 1, t, text_end - wl, whole);
                if (more < 0)
                    continue;
            }
            total = whole ? text_end + 2 : n + (size_t)more + 2;
        }
        if (total <= V1REF_MAX && (best == 0 || total < best))
            best = total;
    }
    return best;
}

#endif /* PROXYPROTO_V1_REF_H */
