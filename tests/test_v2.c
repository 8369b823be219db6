/* v2 (binary) parsing: proxyproto(7) sections 3-4 and PARSER_RULES.md, one
 * case per rule, each run every way by pp_run_case(). */
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK2(cmd, fam, tr, addrs, tl)                                           \
    .rc = PP_WHOLE, .version = 2, .command = (cmd), .family = (fam),           \
    .transport = (tr), .has_addresses = (addrs), .tlvs_len = (tl)
#define BAD(h, code) HEX(h), .rc = PROXYPROTO_##code
#define MORE(h, n) HEX(h), .rc = PROXYPROTO_INCOMPLETE, .need = (n)
#define IGNORED .tlvs_null = 1

/* Address blocks and what they decode to. */
#define B4 " 7f000001 c0000201 1f90 0050 "
#define A4 .src = "127.0.0.1", .dst = "192.0.2.1", .sport = 8080, .dport = 80
#define B6                                                                     \
    " 20010db8000000000000000000000001 20010db8000000000000000000000002 "     \
    "1f90 0050 "
#define A6 .src = "2001:db8::1", .dst = "2001:db8::2", .sport = 8080, .dport = 80

/* 108-byte UNIX addresses: a path (17), an abstract name (NUL first), 108
 * bytes without a NUL, a short path (6). */
#define Z1 "00"
#define Z10 Z1 Z1 Z1 Z1 Z1 Z1 Z1 Z1 Z1 Z1
#define Z90 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10
#define UX_PATH " '/var/run/app.sock' " Z90 Z1 " "
#define UX_ABSTRACT " 00 'abstract-name' " Z90 Z1 Z1 Z1 Z1 " "
#define A10 "aaaaaaaaaa"
#define UX_108 " '" A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 "aaaaaaaa' "
#define UX_TMP " '/tmp/s' " Z90 Z10 Z1 Z1 " "

#define U10 "uuuuuuuuuu"
#define U120 U10 U10 U10 U10 U10 U10 U10 U10 U10 U10 U10 U10
#define U128 " '" U120 "uuuuuuuu' "
#define U129 " '" U120 "uuuuuuuuu' "

#define CRC0 " 03 0004 00000000 "

const pp_case pp_v2_cases[] = {
    /* The seven listed combinations, and the other valid nibbles. */
    {.name = "local unspec", HEX(SIG "20 00 0000"), OK2(0, 0, 0, 0, 0), .canon = 1},
    {.name = "proxy 0x00", HEX(SIG "21 00 0000"), OK2(1, 0, 0, 0, 0), .canon = 1},
    {.name = "proxy 0x11 tcp4", HEX(SIG "21 11 000c" B4), OK2(1, 1, 1, 1, 0), A4,
     .canon = 1},
    {.name = "proxy 0x12 udp4", HEX(SIG "21 12 000c" B4), OK2(1, 1, 2, 1, 0), A4,
     .canon = 1},
    {.name = "proxy 0x21 tcp6", HEX(SIG "21 21 0024" B6), OK2(1, 2, 1, 1, 0), A6,
     .canon = 1},
    {.name = "proxy 0x22 udp6", HEX(SIG "21 22 0024" B6), OK2(1, 2, 2, 1, 0), A6,
     .canon = 1},
    {.name = "proxy 0x31 unix stream (path, abstract)",
     HEX(SIG "21 31 00d8" UX_PATH UX_ABSTRACT), OK2(1, 3, 1, 1, 0),
     .src_path_len = 17, .dst_path_len = 0, .canon = 1},
    {.name = "proxy 0x32 unix dgram (108 bytes, short)",
     HEX(SIG "21 32 00d8" UX_108 UX_TMP), OK2(1, 3, 2, 1, 0),
     .src_path_len = 108, .dst_path_len = 6, .canon = 1},
    {.name = "proxy 0x01", HEX(SIG "21 01 0000"), OK2(1, 0, 1, 0, 0), .canon = 1},
    {.name = "proxy 0x02", HEX(SIG "21 02 0000"), OK2(1, 0, 2, 0, 0), .canon = 1},
    {.name = "proxy 0x10", HEX(SIG "21 10 000c" B4), OK2(1, 1, 0, 1, 0), A4,
     .canon = 1},
    {.name = "proxy 0x20", HEX(SIG "21 20 0024" B6), OK2(1, 2, 0, 1, 0), A6,
     .canon = 1},
    {.name = "proxy 0x30", HEX(SIG "21 30 00d8" UX_PATH UX_TMP),
     OK2(1, 3, 0, 1, 0), .src_path_len = 17, .dst_path_len = 6, .canon = 1},
    {.name = "proxy 0x00 with tlv", HEX(SIG "21 00 0005 01 0002 'h2'"),
     OK2(1, 0, 0, 0, 5), .canon = 1},
    {.name = "tcp4 with tlv", HEX(SIG "21 11 0011" B4 "01 0002 'h2'"),
     OK2(1, 1, 1, 1, 5), A4, .canon = 1},
    {.name = "tcp6 with tlv", HEX(SIG "21 21 002b" B6 "02 0004 'a.io'"),
     OK2(1, 2, 1, 1, 7), A6, .canon = 1},
    {.name = "unix with tlv",
     HEX(SIG "21 31 00df" UX_PATH UX_TMP "04 0004 00000000"), OK2(1, 3, 1, 1, 7),
     .src_path_len = 17, .dst_path_len = 6, .canon = 1},

    /* PROXY: family > 3, transport > 2. */
    {.name = "family 4", BAD(SIG "21 41 000c" B4, ERR_V2_BAD_FAMILY)},
    {.name = "family 15", BAD(SIG "21 f1 000c" B4, ERR_V2_BAD_FAMILY)},
    {.name = "family checked first", BAD(SIG "21 43 000c" B4, ERR_V2_BAD_FAMILY)},
    {.name = "transport 3", BAD(SIG "21 13 000c" B4, ERR_V2_BAD_TRANSPORT)},
    {.name = "transport 15", BAD(SIG "21 2f 0024" B6, ERR_V2_BAD_TRANSPORT)},
    {.name = "unspec transport 3", BAD(SIG "21 03 0000", ERR_V2_BAD_TRANSPORT)},

    /* LOCAL accepts any family/transport byte. */
    {.name = "local family 4", HEX(SIG "20 41 000c" B4), OK2(0, 4, 1, 0, 0),
     IGNORED},
    {.name = "local 0xff", HEX(SIG "20 ff 0005 0102030405"),
     OK2(0, 15, 15, 0, 0), IGNORED},
    {.name = "local transport 3", HEX(SIG "20 13 000c" B4), OK2(0, 1, 3, 1, 0),
     A4, .canon = 1},
    {.name = "local family 4 with a wrong CRC inside",
     HEX(SIG "20 41 0007" CRC0), OK2(0, 4, 1, 0, 0), IGNORED},

    /* Version and command nibbles. */
    {.name = "version 1", BAD(SIG "11 11 000c" B4, ERR_V2_BAD_VERSION)},
    {.name = "version 3", BAD(SIG "31 11 000c" B4, ERR_V2_BAD_VERSION)},
    {.name = "version 0", BAD(SIG "01 00 0000", ERR_V2_BAD_VERSION)},
    {.name = "version 15", BAD(SIG "f1 11 000c" B4, ERR_V2_BAD_VERSION)},
    {.name = "version checked first", BAD(SIG "12 11 000c" B4, ERR_V2_BAD_VERSION)},
    {.name = "command 2", BAD(SIG "22 11 000c" B4, ERR_V2_BAD_COMMAND)},
    {.name = "command 15", BAD(SIG "2f 00 0000", ERR_V2_BAD_COMMAND)},
    {.name = "command before family", BAD(SIG "22 f1 0000", ERR_V2_BAD_COMMAND)},

    /* PROXY: len smaller than the address block. */
    {.name = "inet len 11",
     BAD(SIG "21 11 000b 7f000001 c0000201 1f90 00", ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "inet len 0", BAD(SIG "21 11 0000", ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "inet udp len 4",
     BAD(SIG "21 12 0004 7f000001", ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "inet6 len 35",
     BAD(SIG "21 21 0023 20010db8000000000000000000000001 "
             "20010db8000000000000000000000002 1f90 00",
         ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "inet6 len 12", BAD(SIG "21 21 000c" B4, ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "unix len 215",
     BAD(SIG "21 31 00d7" UX_PATH Z90 Z10 Z1 Z1 Z1 Z1 Z1 Z1 Z1,
         ERR_V2_ADDRESS_TRUNCATED)},
    {.name = "unix len 36", BAD(SIG "21 32 0024" B6, ERR_V2_ADDRESS_TRUNCATED)},

    /* LOCAL: block parsed when len covers it, else the whole len skipped. */
    {.name = "local inet", HEX(SIG "20 11 000c" B4), OK2(0, 1, 1, 1, 0), A4,
     .canon = 1},
    {.name = "local inet6 with tlv", HEX(SIG "20 21 0029" B6 "01 0002 'h2'"),
     OK2(0, 2, 1, 1, 5), A6, .canon = 1},
    {.name = "local unix", HEX(SIG "20 31 00d8" UX_PATH UX_ABSTRACT),
     OK2(0, 3, 1, 1, 0), .src_path_len = 17, .dst_path_len = 0, .canon = 1},
    {.name = "local inet, len 5", HEX(SIG "20 11 0005 0102030405"),
     OK2(0, 1, 1, 0, 0), IGNORED},
    {.name = "local inet6, len 12", HEX(SIG "20 21 000c" B4), OK2(0, 2, 1, 0, 0),
     IGNORED},
    {.name = "local unix, len 0", HEX(SIG "20 31 0000"), OK2(0, 3, 1, 0, 0),
     IGNORED},
    {.name = "local unspec with tlv", HEX(SIG "20 00 0005 01 0002 'h2'"),
     OK2(0, 0, 0, 0, 5), .canon = 1},
    {.name = "local overrun ignored", HEX(SIG "20 11 0011" B4 "01 0005 'h2'"),
     OK2(0, 1, 1, 1, 0), A4, IGNORED},
    {.name = "local 1 stray byte ignored", HEX(SIG "20 00 0001 00"),
     OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local 2 stray bytes ignored", HEX(SIG "20 00 0002 0000"),
     OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local short SSL ignored", HEX(SIG "20 00 0007 20 0004 01000000"),
     OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local CRC length 3 ignored", HEX(SIG "20 00 0006 03 0003 000000"),
     OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local UNIQUE_ID 129 ignored", HEX(SIG "20 00 0084 05 0081" U129),
     OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local SSL sub overrun ignored",
     HEX(SIG "20 00 000b 20 0008 01 00000000 21 0005"), OK2(0, 0, 0, 0, 0),
     IGNORED},
    {.name = "local wrong CRC", BAD(SIG "20 00 0007" CRC0, ERR_V2_CRC32C_MISMATCH)},
    {.name = "local right CRC", HEX(SIG "20 00 0007" CRC0), .fix_crc = 1,
     OK2(0, 0, 0, 0, 7), .canon = 1},
    {.name = "local inet right CRC", HEX(SIG "20 11 0013" B4 CRC0), .fix_crc = 1,
     OK2(0, 1, 1, 1, 7), A4, .canon = 1},
    {.name = "local wrong CRC then stray byte",
     BAD(SIG "20 00 0008" CRC0 "00", ERR_V2_CRC32C_MISMATCH)},
    {.name = "local UNIQUE_ID 129 then wrong CRC",
     BAD(SIG "20 00 008b 05 0081" U129 CRC0, ERR_V2_CRC32C_MISMATCH)},
    {.name = "local overrun hides a wrong CRC",
     HEX(SIG "20 00 000a 01 00ff" CRC0), OK2(0, 0, 0, 0, 0), IGNORED},
    {.name = "local right CRC then stray byte", HEX(SIG "20 00 0008" CRC0 "00"),
     .fix_crc = 1, OK2(0, 0, 0, 0, 0), IGNORED},

    /* TLV tiling. */
    {.name = "1 stray byte", BAD(SIG "21 11 000d" B4 "00", ERR_V2_TLV_TRUNCATED)},
    {.name = "2 stray bytes", BAD(SIG "21 11 000e" B4 "0000", ERR_V2_TLV_TRUNCATED)},
    {.name = "tlv then 1 stray byte",
     BAD(SIG "21 11 0010" B4 "04 0000 00", ERR_V2_TLV_TRUNCATED)},
    {.name = "tlv then 2 stray bytes",
     BAD(SIG "21 11 0011" B4 "04 0000 0000", ERR_V2_TLV_TRUNCATED)},
    {.name = "unspec 1 stray byte", BAD(SIG "21 00 0001 00", ERR_V2_TLV_TRUNCATED)},
    {.name = "unix 2 stray bytes",
     BAD(SIG "21 31 00da" UX_PATH UX_TMP "0000", ERR_V2_TLV_TRUNCATED)},
    {.name = "value overrun by 1",
     BAD(SIG "21 11 0013" B4 "f0 0005 01020304", ERR_V2_TLV_OVERRUN)},
    {.name = "header only, value missing",
     BAD(SIG "21 00 0003 f0 0001", ERR_V2_TLV_OVERRUN)},
    {.name = "length 0xffff", BAD(SIG "21 00 0007 f0 ffff 01020304", ERR_V2_TLV_OVERRUN)},
    {.name = "inet6 overrun", BAD(SIG "21 21 0027" B6 "05 0001", ERR_V2_TLV_OVERRUN)},
    {.name = "zero-length tlv", HEX(SIG "21 11 000f" B4 "f0 0000"),
     OK2(1, 1, 1, 1, 3), A4, .canon = 1},
    {.name = "every kind of tlv",
     HEX(SIG "21 11 006b" B4 "01 0002 'h2'"
             "02 000f 'api.example.net'"
             "04 0003 000000"
             "30 0004 'ns-1'"
             "00 0000"
             "06 0001 ff"
             "21 0002 ffff"
             "28 0000"
             "e0 0003 010203"
             "ea 0001 02"
             "ee 0000"
             "f0 0001 00"
             "f8 0002 0000"
             "ff 0000"
             "01 0008 'http/1.1'"
             "20 0005 00 00000000"),
     OK2(1, 1, 1, 1, 95), A4, .canon = 1},

    /* CRC32C. */
    {.name = "crc length 3", BAD(SIG "21 11 0012" B4 "03 0003 000000", ERR_V2_CRC32C_LENGTH)},
    {.name = "crc length 5",
     BAD(SIG "21 11 0014" B4 "03 0005 0000000000", ERR_V2_CRC32C_LENGTH)},
    {.name = "crc length 0", BAD(SIG "21 11 000f" B4 "03 0000", ERR_V2_CRC32C_LENGTH)},
    {.name = "crc wrong", BAD(SIG "21 11 0013" B4 CRC0, ERR_V2_CRC32C_MISMATCH)},
    {.name = "crc right", HEX(SIG "21 11 0013" B4 CRC0), .fix_crc = 1,
     OK2(1, 1, 1, 1, 7), A4, .canon = 1},
    {.name = "crc right, last", HEX(SIG "21 11 0018" B4 "01 0002 'h2'" CRC0),
     .fix_crc = 1, OK2(1, 1, 1, 1, 12), A4, .canon = 1},
    {.name = "crc right, unspec", HEX(SIG "21 00 0007" CRC0), .fix_crc = 1,
     OK2(1, 0, 0, 0, 7), .canon = 1},
    {.name = "crc right, udp6", HEX(SIG "21 22 002b" B6 CRC0), .fix_crc = 1,
     OK2(1, 2, 2, 1, 7), A6, .canon = 1},
    {.name = "crc right, unix", HEX(SIG "21 31 00df" UX_PATH UX_ABSTRACT CRC0),
     .fix_crc = 1, OK2(1, 3, 1, 1, 7), .src_path_len = 17, .dst_path_len = 0,
     .canon = 1},
    {.name = "first crc right, second wrong",
     BAD(SIG "21 11 001a" B4 CRC0 CRC0, ERR_V2_CRC32C_MISMATCH), .fix_crc = 1},
    {.name = "first crc wrong, second right",
     BAD(SIG "21 11 001a" B4 CRC0 CRC0, ERR_V2_CRC32C_MISMATCH), .fix_crc = 2},
    {.name = "crc right, then crc length 3",
     BAD(SIG "21 11 0019" B4 CRC0 "03 0003 000000", ERR_V2_CRC32C_LENGTH),
     .fix_crc = 1},
    {.name = "first error wins: crc before ssl",
     BAD(SIG "21 11 001a" B4 CRC0 "20 0004 00000000", ERR_V2_CRC32C_MISMATCH)},
    {.name = "first error wins: ssl before crc",
     BAD(SIG "21 11 001a" B4 "20 0004 00000000" CRC0, ERR_V2_SSL_TOO_SHORT)},
    {.name = "first error wins: crc length before unique id",
     BAD(SIG "21 11 0096" B4 "03 0003 000000 05 0081" U129, ERR_V2_CRC32C_LENGTH)},
    {.name = "first error wins: unique id before crc length",
     BAD(SIG "21 11 0096" B4 "05 0081" U129 "03 0003 000000",
         ERR_V2_UNIQUE_ID_TOO_LONG)},

    /* UNIQUE_ID. */
    {.name = "unique id 128", HEX(SIG "21 11 008f" B4 "05 0080" U128),
     OK2(1, 1, 1, 1, 131), A4, .canon = 1},
    {.name = "unique id 129",
     BAD(SIG "21 11 0090" B4 "05 0081" U129, ERR_V2_UNIQUE_ID_TOO_LONG)},
    {.name = "unique id 0", HEX(SIG "21 11 000f" B4 "05 0000"),
     OK2(1, 1, 1, 1, 3), A4, .canon = 1},
    {.name = "unique id 128 with crc", HEX(SIG "21 11 0096" B4 CRC0 "05 0080" U128),
     .fix_crc = 1, OK2(1, 1, 1, 1, 138), A4, .canon = 1},

    /* SSL. */
    {.name = "ssl empty", BAD(SIG "21 11 000f" B4 "20 0000", ERR_V2_SSL_TOO_SHORT)},
    {.name = "ssl 4 bytes",
     BAD(SIG "21 11 0013" B4 "20 0004 01000000", ERR_V2_SSL_TOO_SHORT)},
    {.name = "ssl 5 bytes", HEX(SIG "21 11 0014" B4 "20 0005 01 00000000"),
     OK2(1, 1, 1, 1, 8), A4, .canon = 1},
    {.name = "ssl with subs",
     HEX(SIG "21 11 0022" B4 "20 0013 07 00000000 21 0007 'TLSv1.3' 22 0001 'x'"),
     OK2(1, 1, 1, 1, 22), A4, .canon = 1},
    {.name = "ssl sub overrun",
     BAD(SIG "21 11 001a" B4 "20 000b 01 00000000 21 0005 'TLS'",
         ERR_V2_SSL_SUB_OVERRUN)},
    {.name = "ssl sub header only",
     BAD(SIG "21 11 0017" B4 "20 0008 01 00000000 22 0001", ERR_V2_SSL_SUB_OVERRUN)},
    {.name = "ssl sub length 0xffff",
     BAD(SIG "21 11 0017" B4 "20 0008 01 00000000 21 ffff", ERR_V2_SSL_SUB_OVERRUN)},
    {.name = "ssl 1 stray byte",
     BAD(SIG "21 11 0015" B4 "20 0006 01 00000000 00", ERR_V2_SSL_SUB_TRUNCATED)},
    {.name = "ssl 2 stray bytes",
     BAD(SIG "21 11 0016" B4 "20 0007 01 00000000 0000", ERR_V2_SSL_SUB_TRUNCATED)},
    {.name = "ssl sub then 2 stray bytes",
     BAD(SIG "21 11 001a" B4 "20 000b 01 00000000 21 0001 'x' 22 00",
         ERR_V2_SSL_SUB_TRUNCATED)},
    {.name = "ssl unknown sub types",
     HEX(SIG "21 11 001d" B4 "20 000e 01 00000000 99 0000 20 0003 'abc'"),
     OK2(1, 1, 1, 1, 17), A4, .canon = 1},
    {.name = "second ssl too short",
     BAD(SIG "21 11 001b" B4 "20 0005 01 00000000 20 0004 01000000",
         ERR_V2_SSL_TOO_SHORT)},

    /* Incomplete: need from the fixed part. */
    {.name = "signature only", MORE(SIG, 4)},
    {.name = "up to byte 12", MORE(SIG "21", 3)},
    {.name = "up to byte 13, proxy inet", MORE(SIG "21 11", 14)},
    {.name = "up to byte 13, local inet", MORE(SIG "20 11", 2)},
    {.name = "15 bytes", MORE(SIG "21 11 00", 13)},
    {.name = "16 bytes", MORE(SIG "21 11 000c", 12)},
    {.name = "17 bytes", MORE(SIG "21 11 000c 7f", 11)},
    {.name = "15 bytes, proxy unix", MORE(SIG "21 31 00", 217)},
    {.name = "len 256, block in", MORE(SIG "21 11 0100" B4, 244)},
    {.name = "len 65535", MORE(SIG "21 00 ffff", 65535)},

    /* Not a header. */
    {.name = "QUIX", BAD("0d0a0d0a000d0a51554958", ERR_NOT_PROXY)},
    {.name = "CR CR", BAD("0d0d", ERR_NOT_PROXY)},
    {.name = "CR LF CR LF LF", BAD("0d0a0d0a0a", ERR_NOT_PROXY)},
    {.name = "CR LF PROXY", BAD("0d0a 'PROXY TCP4'", ERR_NOT_PROXY)},
};
const size_t pp_v2_ncases = sizeof pp_v2_cases / sizeof pp_v2_cases[0];

START_TEST(v2_case)
{
    const pp_case *c = &pp_v2_cases[_i];
    if (c->rc == PP_WHOLE) {
        /* Table check: the header is the whole input. */
        uint8_t in[8192];
        size_t n = pp_case_input(c, in, sizeof in);
        ck_assert_msg(n >= 16 && 16 + ((size_t)in[14] << 8 | in[15]) == n,
                      "%s: table error, len field and input length differ",
                      c->name);
    }
    pp_run_case(c);
}
END_TEST

static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
static const uint8_t b4[12] = {0x7f, 0, 0, 1, 0xc0, 0, 2, 1, 0x1f, 0x90, 0, 0x50};
static const uint8_t b6[36] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1,
                               0x20, 0x01, 0x0d, 0xb8, [31] = 2,
                               0x1f, 0x90, 0x00, 0x50};

/* Writes the fixed part; returns 16. */
static size_t fixed(uint8_t *p, unsigned b12, unsigned b13, size_t len)
{
    memcpy(p, sig, 12);
    p[12] = (uint8_t)b12;
    p[13] = (uint8_t)b13;
    p[14] = (uint8_t)(len >> 8);
    p[15] = (uint8_t)len;
    return 16;
}

/* len 65535: the largest header, 65551 bytes, with one big TLV. */
START_TEST(v2_max_len)
{
    uint8_t *in = calloc(1, 65551);
    pp_case c = {.name = "len 65535, big TLV", OK2(1, 1, 1, 1, 65523), A4};
    size_t off = fixed(in, 0x21, 0x11, 65535);

    ck_assert(in != NULL);
    memcpy(in + off, b4, 12);
    in[28] = 0xF0;
    in[29] = (uint8_t)(65520 >> 8);
    in[30] = (uint8_t)65520;
    for (size_t i = 31; i < 65551; i++)
        in[i] = (uint8_t)i;
    pp_run_bytes(&c, in, 65551);

    /* The same with a CRC32C first: it covers all 65551 bytes. */
    in[28] = PROXYPROTO_TLV_CRC32C;
    in[29] = 0;
    in[30] = 4;
    memset(in + 31, 0, 4);
    in[35] = 0xF0;
    in[36] = (uint8_t)(65513 >> 8);
    in[37] = (uint8_t)65513;
    pp_fix_crc(in, 65551, 1);
    c.name = "len 65535, CRC32C and a big TLV";
    pp_run_bytes(&c, in, 65551);
    /* One bit flipped at the far end: the CRC catches it. */
    in[65550] ^= 0x40;
    c.rc = PROXYPROTO_ERR_V2_CRC32C_MISMATCH;
    c.name = "len 65535, last byte flipped";
    pp_run_bytes(&c, in, 65551);
    free(in);
}
END_TEST

/* LOCAL with an unknown family and len 65535: skipped whole. */
START_TEST(v2_max_len_local)
{
    uint8_t *in = malloc(65551);
    pp_case c = {.name = "local len 65535", OK2(0, 5, 2, 0, 0), IGNORED};
    ck_assert(in != NULL);
    memset(in, 0xEE, 65551);
    fixed(in, 0x20, 0x52, 65535);
    pp_run_bytes(&c, in, 65551);
    free(in);
}
END_TEST

/* Every single-byte change of the signature: not a PROXY header. */
START_TEST(v2_signature_flips)
{
    static const uint8_t masks[] = {0x01, 0x20, 0x80, 0xFF};
    uint8_t in[28];
    char name[64];
    pp_case c = {.name = name, .rc = PROXYPROTO_ERR_NOT_PROXY};

    fixed(in, 0x21, 0x11, 12);
    memcpy(in + 16, b4, 12);
    for (size_t i = 0; i < 12; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            in[i] ^= masks[m];
            snprintf(name, sizeof name, "signature byte %zu ^ 0x%02x", i,
                     masks[m]);
            pp_run_bytes(&c, in, sizeof in);
            in[i] ^= masks[m];
        }
    }
}
END_TEST

/* Byte 12, all 256 values: version nibble first, then command. */
START_TEST(v2_every_version_command)
{
    uint8_t in[28];
    proxyproto_header h;
    for (unsigned b = 0; b < 256; b++) {
        int want = (b >> 4) != 2    ? PROXYPROTO_ERR_V2_BAD_VERSION
                   : (b & 0xF) > 1 ? PROXYPROTO_ERR_V2_BAD_COMMAND
                                   : 28;
        fixed(in, b, 0x11, 12);
        memcpy(in + 16, b4, 12);
        ck_assert_msg(pp_parse(&h, pp_guard_end(in, 28), 28, 0) == want,
                      "byte 12 = 0x%02x: %d, want %d", b,
                      pp_parse(&h, in, 28, 0), want);
        /* Judged as soon as byte 12 is in. */
        if (want < 0)
            ck_assert_int_eq(pp_parse(&h, pp_guard_end(in, 13), 13, 0), want);
    }
}
END_TEST

/* Byte 13, all 256 values, for PROXY and LOCAL, with room for any block;
 * the rest of the header is one NOOP TLV. */
START_TEST(v2_every_family_transport)
{
    uint8_t in[16 + 219];
    proxyproto_header h;
    for (unsigned cmd = 0; cmd <= 1; cmd++) {
        for (unsigned b = 0; b < 256; b++) {
            unsigned fam = b >> 4, tr = b & 0xF;
            size_t block = fam == 1 ? 12 : fam == 2 ? 36 : fam == 3 ? 216 : 0;
            size_t off = fixed(in, 0x20 | cmd, b, 219);
            int known = fam <= 3;
            pp_case c = {.name = "byte 13",
                         OK2((int)cmd, (int)fam, (int)tr, known && fam != 0,
                             219 - block),
                         .tlvs_null = !known};
            int rc, want = cmd && fam > 3   ? PROXYPROTO_ERR_V2_BAD_FAMILY
                           : cmd && tr > 2 ? PROXYPROTO_ERR_V2_BAD_TRANSPORT
                                           : (int)sizeof in;
            memset(in + off, 0, 219);
            if (fam == 1) {
                memcpy(in + off, b4, 12);
                c.src = "127.0.0.1";
                c.dst = "192.0.2.1";
                c.sport = 8080;
                c.dport = 80;
            } else if (fam == 2) {
                memcpy(in + off, b6, 36);
                c.src = "2001:db8::1";
                c.dst = "2001:db8::2";
                c.sport = 8080;
                c.dport = 80;
            }
            in[off + block] = PROXYPROTO_TLV_NOOP;
            in[off + block + 1] = (uint8_t)((216 - block) >> 8);
            in[off + block + 2] = (uint8_t)(216 - block);
            rc = pp_parse(&h, pp_guard_end(in, sizeof in), sizeof in, 0);
            ck_assert_msg(rc == want, "byte 12 0x%02x byte 13 0x%02x: %d (%s)",
                          0x20 | cmd, b, rc, proxyproto_error_name(rc));
            if (want > 0)
                pp_check_fields(&c, &h, pp_guard_end(in, sizeof in), sizeof in);
            else
                ck_assert_int_eq(pp_parse(&h, pp_guard_end(in, 14), 14, 0),
                                 want);
        }
    }
}
END_TEST

/* A second header after the first is payload (proxyproto(7) sections 1
 * and 5). */
START_TEST(v2_stacked_headers)
{
    uint8_t in[16 + 28 + 32];
    proxyproto_header h;
    fixed(in, 0x20, 0x00, 0);
    fixed(in + 16, 0x21, 0x11, 12);
    memcpy(in + 32, b4, 12);
    memcpy(in + 44, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 32);
    EXPECT_RC(pp_parse(&h, in, sizeof in, 0), 16);
    ck_assert_uint_eq(h.command, PROXYPROTO_CMD_LOCAL);
    EXPECT_RC(pp_parse(&h, in + 16, sizeof in - 16, 0), 28);
    ck_assert_uint_eq(h.src.port, 8080);
    EXPECT_RC(pp_parse(&h, in + 44, 32, 0), 32);
}
END_TEST

/* The v2 need lets a reader read() exactly the header, never payload. */
START_TEST(v2_read_exactly)
{
    uint8_t in[16 + 12 + 7 + 6];
    proxyproto_header h;
    size_t have = 0, last = 0;
    int rc, reads = 0;

    fixed(in, 0x21, 0x11, 19);
    memcpy(in + 16, b4, 12);
    memcpy(in + 28, "\x03\x00\x04\0\0\0\0", 7);
    pp_fix_crc(in, 35, 1);
    memcpy(in + 35, "hello\n", 6);
    /* Like a reader: first 16 bytes, then what need says. */
    have = 16;
    while ((rc = pp_parse(&h, in, have, last)) == PROXYPROTO_INCOMPLETE) {
        last = have;
        have += h.need;
        reads++;
        ck_assert_uint_le(have, 35);
    }
    ck_assert_int_eq(rc, 35);
    ck_assert_int_eq(reads, 1);
    ck_assert_uint_eq(have, 35);
}
END_TEST

Suite *suite_v2(void)
{
    Suite *s = suite_create("v2");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, v2_case, 0, (int)pp_v2_ncases);
    suite_add_tcase(s, tc);
    tc = tcase_create("generated");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, v2_max_len);
    tcase_add_test(tc, v2_max_len_local);
    tcase_add_test(tc, v2_signature_flips);
    tcase_add_test(tc, v2_every_version_command);
    tcase_add_test(tc, v2_every_family_transport);
    tcase_add_test(tc, v2_stacked_headers);
    tcase_add_test(tc, v2_read_exactly);
    suite_add_tcase(s, tc);
    return s;
}
