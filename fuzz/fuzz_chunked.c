/* fuzz_chunked: the input fed in fuzzer-chosen pieces, each call passing
 * the previous INCOMPLETE length as last_len (the incremental contract of
 * proxyproto_parse()), must give exactly the result and the fields of the
 * whole input in one call (proxyproto(7) section 1: "a header split anywhere,
 * in any number of pieces, gives exactly the result of the whole header").
 *
 * Input layout: the stream, then the piece sizes, then one byte with the
 * number of sizes (low 4 bits) and flags: bit 4 feeds the pieces without
 * last_len too, bit 5 takes two bytes per size (big v2 headers). A size may
 * be 0 (the same length again). So a raw capture is a valid input too: its
 * last bytes are read as piece sizes. */
#include "fuzz.h"

static void feed(const uint8_t *s, size_t n, const uint8_t *sizes,
                 unsigned count, int wide, int use_last, int whole,
                 const proxyproto_header *hw)
{
    proxyproto_header h;
    size_t pos = 0, last = 0;
    unsigned i;
    int r = PROXYPROTO_INCOMPLETE;

    for (i = 0; i <= count; i++) {
        size_t step;

        if (i < count) {
            step = wide ? fuzz_be16(sizes + 2 * i) : sizes[i];
            pos = pos + step < n ? pos + step : n;
        } else {
            pos = n; /* the rest */
        }
        memset(&h, 0xA5, sizeof h);
        r = proxyproto_parse(&h, pos ? s : NULL, pos, use_last ? last : 0);
        fuzz_check_result(&h, s, pos, r);
        if (r == PROXYPROTO_INCOMPLETE) {
            if (whole > 0)
                FUZZ_CHECK(pos + h.need <= (size_t)whole,
                           "after %zu bytes: need %zu, header is %d", pos,
                           h.need, whole);
            last = pos;
            continue;
        }
        break;
    }
    FUZZ_CHECK(r == whole,
               "pieces (last_len %s) ending at %zu gave %d (%s), the whole %d (%s)"
               " on %s",
               use_last ? "on" : "off", pos, r, proxyproto_error_name(r), whole,
               proxyproto_error_name(whole), fuzz_hex(s, n));
    if (r > 0) {
        const char *d = fuzz_header_diff(&h, s, hw, s);
        FUZZ_CHECK(d == NULL, "pieces: %s differs from the whole's", d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proxyproto_header hw;
    unsigned count, wide, both;
    size_t ctl, n;
    int whole;

    if (size == 0 || size > FUZZ_MAX - 4096)
        return 0;
    count = data[size - 1] & 15;
    both = data[size - 1] >> 4 & 1;
    wide = data[size - 1] >> 5 & 1;
    ctl = 1 + (size_t)count * (wide ? 2 : 1);
    if (ctl > size)
        return 0;
    n = size - ctl;

    memset(&hw, 0xA5, sizeof hw);
    whole = proxyproto_parse(&hw, n ? data : NULL, n, 0);
    fuzz_check_result(&hw, data, n, whole);
    feed(data, n, data + n, count, (int)wide, 1, whole, &hw);
    if (both)
        feed(data, n, data + n, count, (int)wide, 0, whole, &hw);
    return 0;
}
