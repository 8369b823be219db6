/* The v1 parser's harness body: proxyproto_parse on every length
 * PROVE_V1_FROM..PROVE_V1_TO (each), every byte after the 'P' and last_len
 * unknown. Not a harness itself (no h_ prefix): h_parse_v1_1_56.c,
 * _57_80.c, _81_104.c and _105_128.c include it with a range each, and
 * together cover 1..128 (a line is at most 107 bytes). */
#include "prove.h"

#define MAXLEN 128

/* The lengths analysed, PROVE_V1_FROM..PROVE_V1_TO (each as one value):
 * the whole range here; the harnesses that #include this file with a part
 * of it split the run into jobs that prove.sh runs side by side. */
#ifndef PROVE_V1_FROM
#define PROVE_V1_FROM 1
#endif
#ifndef PROVE_V1_TO
#define PROVE_V1_TO MAXLEN
#endif

static uint8_t bytes[MAXLEN];

/* Eva prints each length as it starts on it: the log says where the time
 * goes (grep Frama_C_show_each_len; an Eva builtin, no code). */
void Frama_C_show_each_len(size_t n);

int main(void)
{
    proxyproto_header hdr;

    /*@ loop unroll PROVE_V1_TO - PROVE_V1_FROM + 1; */
    for (size_t n = PROVE_V1_FROM; n <= PROVE_V1_TO; n++) {
        uint8_t *b = PROVE_TAIL(bytes, n);

        prove_any_bytes(bytes, sizeof bytes);
        b[0] = 'P';
        Frama_C_show_each_len(n);
        (void)proxyproto_parse(&hdr, b, n, Frama_C_size_t_interval(0, SIZE_MAX));
    }
    return 0;
}
