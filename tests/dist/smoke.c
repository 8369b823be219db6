/* A program a user of the library might write, built every way the library
 * is shipped: against the single header (as C99, C11, C++11 and C++17), the
 * installed library through pkg-config (shared and static) and CMake.
 * It is C and C++ at once, so it sticks to their common subset.
 * Prints one line and exits 0 when every check holds; else names the
 * failed checks and exits 1. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxyproto.h"

static int failures;
static int checks;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "smoke: FAILED: %s\n", what);
    }
}

/* v1: parse, use the addresses, write it back byte for byte. */
static void v1(void)
{
    static const char line[] = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET /";
    proxyproto_header hdr;
    struct sockaddr_storage ss;
    char ip[PROXYPROTO_IP_STRLEN];
    char out[PROXYPROTO_V1_MAX_LEN];
    const int len = (int)(strstr(line, "\r\n") + 2 - line); /* 45 */
    int n = proxyproto_parse(&hdr, line, sizeof line - 1, 0);

    check(n == len, "v1 header length");
    if (n != len)
        return;
    check(hdr.version == 1 && hdr.family == PROXYPROTO_AF_INET, "v1 fields");
    check(proxyproto_use_header_addresses(&hdr) == 1, "v1 addresses used");
    check(proxyproto_format_ip4(ip, sizeof ip, hdr.src.ip.v4) == 9 &&
              strcmp(ip, "192.0.2.1") == 0 && hdr.src.port == 56324,
          "v1 source address");
    check(proxyproto_sockaddr(&hdr, PROXYPROTO_DESTINATION, &ss) > 0 &&
              ss.ss_family == AF_INET,
          "v1 destination as a sockaddr");
    check(proxyproto_write(out, sizeof out, &hdr) == len &&
              memcmp(out, line, (size_t)len) == 0,
          "v1 written back");
}

/* v2: built with TLVs and a CRC32C, parsed back, read through the API. */
static void v2(void)
{
    static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                    0, 0, 0, 0, 0, 0, 0, 1};
    proxyproto_header in, out;
    proxyproto_builder b;
    proxyproto_tlv tlv;
    proxyproto_reader r;
    const char *vpce = NULL;
    size_t vpce_len = 0;
    uint8_t buf[256];
    int n;

    memset(&in, 0, sizeof in);
    in.version = 2;
    in.command = PROXYPROTO_CMD_PROXY;
    in.family = PROXYPROTO_AF_INET6;
    in.transport = PROXYPROTO_TRANSPORT_STREAM;
    in.has_addresses = 1;
    memcpy(in.src.ip.v6, src, 16);
    memcpy(in.dst.ip.v6, src, 16);
    in.dst.ip.v6[15] = 2;
    in.src.port = 51234;
    in.dst.port = 443;
    proxyproto_builder_init(&b, &in);
    proxyproto_builder_add(&b, PROXYPROTO_TLV_ALPN, "h2", 2);
    proxyproto_builder_add_aws_vpce_id(&b, "vpce-0123", 9);
    proxyproto_builder_add_crc32c(&b);
    n = proxyproto_builder_finish(&b, buf, sizeof buf);
    check(n > 16 && n == proxyproto_builder_size(&b), "v2 built");
    if (n <= 16)
        return;
    /* The reader's feed form, byte by byte: only the last byte completes. */
    proxyproto_reader_init(&r, NULL, 0);
    for (int i = 1; i < n; i++)
        if (proxyproto_reader_feed(&r, buf, (size_t)i, &out) != PROXYPROTO_INCOMPLETE)
            check(0, "v2 fed byte by byte is incomplete before its end");
    check(proxyproto_reader_feed(&r, buf, (size_t)n, &out) == n, "v2 fed whole");
    check(proxyproto_parse(&out, buf, (size_t)n, 0) == n, "v2 parsed");
    check(out.src.port == 51234 && memcmp(out.src.ip.v6, src, 16) == 0,
          "v2 source address");
    check(proxyproto_tlv_find(out.tlvs, out.tlvs_len, PROXYPROTO_TLV_ALPN, &tlv) == 0 &&
              tlv.len == 2 && memcmp(tlv.value, "h2", 2) == 0,
          "v2 ALPN TLV");
    check(proxyproto_aws_vpce_id(&out, &vpce, &vpce_len) == 0 && vpce_len == 9 &&
              memcmp(vpce, "vpce-0123", 9) == 0,
          "v2 AWS TLV");
    buf[n - 1] ^= 1; /* inside a TLV value: the CRC32C no longer matches */
    check(proxyproto_parse(&out, buf, (size_t)n, 0) == PROXYPROTO_ERR_V2_CRC32C_MISMATCH,
          "v2 CRC32C checked");
}

static void misc(void)
{
    proxyproto_cidr cidr;

    check(strcmp(proxyproto_version(), PROXYPROTO_VERSION_STRING) == 0,
          "library and header versions agree");
    check(proxyproto_crc32c(0, "123456789", 9) == 0xE3069283u, "CRC-32C check value");
    check(strcmp(proxyproto_error_name(PROXYPROTO_ERR_V1_BAD_IPV4),
                 "PROXYPROTO_ERR_V1_BAD_IPV4") == 0 &&
              strlen(proxyproto_strerror(PROXYPROTO_ERR_V1_BAD_IPV4)) > 0,
          "error names and messages");
    check(proxyproto_parse(NULL, "", 0, 0) == PROXYPROTO_ERR_INVALID_ARGUMENT,
          "NULL header refused");
    check(proxyproto_cidr_parse(&cidr, "10.0.0.0/8") == 0 && cidr.prefix_len == 8 &&
              proxyproto_cidr_parse(&cidr, "10.0.0.1/8") == PROXYPROTO_ERR_BAD_CIDR,
          "trusted networks");
}

int main(void)
{
    v1();
    v2();
    misc();
    if (failures != 0) {
        fprintf(stderr, "smoke: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("smoke: %d checks passed (libproxyproto %s, built as %s)\n", checks,
           proxyproto_version(),
#ifdef __cplusplus
           "C++"
#else
           "C"
#endif
    );
    return 0;
}
