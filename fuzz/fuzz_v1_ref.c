/* fuzz_v1_ref: the library's v1 reader against a slow reference reading of
 * proxyproto(7) section 2 (fuzz/v1_ref.h: no state machine, inet_pton() for the
 * addresses, brute force for the shortest way to finish a line). The first
 * input byte picks a start ("PROXY ", "PROXY TCP4 ", "PROXY TCP6 ") so that
 * the fuzzer spends its time in the fields; the rest follows it. Then the
 * line is fed byte by byte with last_len, and
 *  - while the library says INCOMPLETE, the reference must find a valid
 *    line that starts so, and need must be exactly the bytes it lacks
 *    (after a CR where the line cannot end: need 1, the next byte names
 *    the code);
 *  - the library refuses at exactly the first byte after which the
 *    reference finds no valid line (a CR: one byte later), with the code
 *    the byte's class names (LF, non-printable, CR then not LF) unless the
 *    line was too long already, else a code of the rules of its place;
 *  - the library accepts exactly the lines the reference accepts, and the
 *    whole-buffer parse and every resumed one give the same answer.
 * One wait is allowed beyond the CR's (proxyproto(7) section 2): an address
 * field that breaks its line's family but may still be whole text of the
 * other family is INCOMPLETE, need 1, until the field ends; the answer is
 * then ERR_V1_FAMILY_MISMATCH or the field's own code (family_wait()). */
#define _DEFAULT_SOURCE /* inet_pton() */
#include "fuzz.h"

#include "v1_ref.h"

static const char *const starts[3] = {"PROXY ", "PROXY TCP4 ", "PROXY TCP6 "};

/* Where the fields start (TCP4 / TCP6: 11) or the UNKNOWN text may
 * (13: "PROXY UNKNOWN" ends at a space or the CR); before, the bytes are
 * the word's (NOT_PROXY, BAD_PROTOCOL). */
static size_t word_end(const uint8_t *b, size_t k)
{
    return k > 6 && b[6] == 'T' ? 11 : 13;
}

/* The code of the byte b[k - 1] that ended every valid continuation of
 * b[0..k - 1), by its class: 0 when the rules of its place say. */
static int class_code(const uint8_t *b, size_t k)
{
    uint8_t c = b[k - 1];
    size_t w = word_end(b, k);

    if (k >= 2 && k - 2 >= w && b[k - 2] == '\r')
        return c == '\n' ? 0 : PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
    if (k - 1 < w || (w == 13 && k - 1 == 13 && c != '\r'))
        return 0; /* the word */
    if (c == '\n')
        return PROXYPROTO_ERR_V1_LONE_LF;
    if (c != '\r' && (c < 0x20 || c > 0x7E))
        return PROXYPROTO_ERR_V1_BAD_CHAR;
    return 0;
}

/* May the library wait at b[0..k) for the end of an address field that
 * breaks its own family, as text of the other family? The line is TCP4 or
 * TCP6, the field is the first or second after the word, everything before
 * the field could still start a valid line, and the field so far is the
 * start of valid text of the other family. */
static int family_wait(const uint8_t *b, size_t k)
{
    char tok[V1REF_MAX + 1];
    size_t i, start = 11;
    int spaces = 0;

    if (k <= 11 || b[6] != 'T' || (b[9] != '4' && b[9] != '6'))
        return 0;
    for (i = 11; i < k; i++) {
        if (b[i] == ' ') {
            spaces++;
            start = i + 1;
        } else if (b[i] < 0x20 || b[i] > 0x7E) {
            return 0;
        }
    }
    if (spaces > 1 || start == k || v1ref_shortest(b, start) == 0)
        return 0;
    memcpy(tok, b + start, k - start);
    tok[k - start] = '\0';
    return v1ref_field_rest(b[9] == '4' ? V1REF_IPV6 : V1REF_IPV4, tok, k - start) >= 0;
}

/* The v1 reader alone (lib/parse_v1.c; private, declared here): the API
 * may read a whole line by another path first (lib/tcp4_ssse3.h), which
 * must give the same result and the same hdr. */
int proxyproto__parse_v1(proxyproto_header *hdr, const uint8_t *buf, size_t len,
                         size_t last_len);

static void same_as_v1_reader(const proxyproto_header *h, const uint8_t *b, size_t n, int r)
{
    proxyproto_header ref;
    int rr;

    memcpy(&ref, h, sizeof ref); /* the same bytes where neither writes */
    rr = proxyproto__parse_v1(&ref, b, n, 0);
    FUZZ_CHECK(rr == r, "proxyproto_parse %s, the v1 reader %s on %s",
               proxyproto_error_name(r), proxyproto_error_name(rr), fuzz_hex(b, n));
    FUZZ_CHECK(r <= 0 || memcmp(&ref, h, sizeof ref) == 0,
               "proxyproto_parse and the v1 reader fill hdr differently: %s", fuzz_hex(b, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxyproto_header h, hw;
    uint8_t *b;
    const char *start;
    size_t n, sl, k, last = 0;
    int whole, r = PROXYPROTO_INCOMPLETE;

    if (size < 1 || size > 128)
        return 0; /* a line is at most 107 bytes; longer adds nothing */
    start = starts[data[0] % 3];
    sl = strlen(start);
    n = sl + size - 1;
    b = fuzz_buf(1, n);
    memcpy(b, start, sl);
    memcpy(b + sl, data + 1, size - 1);

    memset(&hw, 0, sizeof hw); /* same_as_v1_reader() compares every byte */
    whole = proxyproto_parse(&hw, b, n, 0);
    fuzz_check_result(&hw, b, n, whole);
    same_as_v1_reader(&hw, b, n, whole);
    for (k = 1; k <= n; k++) {
        size_t shortest = v1ref_shortest(b, k);

        r = proxyproto_parse(&h, b, k, last);
        fuzz_check_result(&h, b, k, r);
        if (r == PROXYPROTO_INCOMPLETE) {
            if (shortest != 0)
                FUZZ_CHECK(h.need == shortest - k, "%zu bytes: need %zu, want %zu on %s",
                           k, h.need, shortest - k, fuzz_hex(b, n));
            else
                FUZZ_CHECK(h.need == 1 &&
                               ((b[k - 1] == '\r' &&
                                 (k == 1 || v1ref_shortest(b, k - 1) != 0 ||
                                  family_wait(b, k - 1))) ||
                                family_wait(b, k)),
                           "%zu bytes: INCOMPLETE (need %zu), no valid line starts so: %s",
                           k, h.need, fuzz_hex(b, n));
            last = k;
            continue;
        }
        break;
    }
    if (k > n) { /* incomplete all along */
        FUZZ_CHECK(whole == PROXYPROTO_INCOMPLETE, "whole %s, byte by byte INCOMPLETE",
                   proxyproto_error_name(whole));
        fuzz_buf_release(b);
        return 0;
    }
    FUZZ_CHECK(r == whole, "byte by byte %s at %zu, whole %s on %s",
               proxyproto_error_name(r), k, proxyproto_error_name(whole), fuzz_hex(b, n));
    if (r > 0) {
        FUZZ_CHECK((size_t)r == k && v1ref_shortest(b, k) == k,
                   "accepted %d bytes the reference refuses: %s", r, fuzz_hex(b, n));
    } else {
        size_t before = k > 1 ? v1ref_shortest(b, k - 1) : 1;
        int want = class_code(b, k);

        FUZZ_CHECK(v1ref_shortest(b, k) == 0,
                   "refused (%s) at byte %zu, the reference still finds a line: %s",
                   proxyproto_error_name(r), k - 1, fuzz_hex(b, n));
        FUZZ_CHECK(before != 0 || (k >= 2 && b[k - 2] == '\r') || family_wait(b, k - 1),
                   "refused (%s) at byte %zu, later than the first bad byte: %s",
                   proxyproto_error_name(r), k - 1, fuzz_hex(b, n));
        if (want != 0)
            FUZZ_CHECK(r == want || r == PROXYPROTO_ERR_V1_TOO_LONG,
                       "byte %zu: %s, want %s: %s", k - 1, proxyproto_error_name(r),
                       proxyproto_error_name(want), fuzz_hex(b, n));
        else if (k - 1 >= word_end(b, k) && b[6] == 'T')
            FUZZ_CHECK(r == PROXYPROTO_ERR_V1_TOO_LONG ||
                           (r <= PROXYPROTO_ERR_V1_BAD_SEPARATOR &&
                            r >= PROXYPROTO_ERR_V1_PORT_RANGE),
                       "byte %zu: %s for a field byte: %s", k - 1,
                       proxyproto_error_name(r), fuzz_hex(b, n));
    }
    fuzz_buf_release(b);
    return 0;
}
