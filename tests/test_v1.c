/* v1 (text) parsing: proxyproto(7) section 2 and PARSER_RULES.md, one case per
 * rule, each run every way by pp_run_case(). */
#include "tests.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OK1(fam, tr, addrs)                                                    \
    .rc = PP_WHOLE, .version = 1, .command = PROXYPROTO_CMD_PROXY,             \
    .family = (fam), .transport = (tr), .has_addresses = (addrs)
#define TCP4(s, a, b, p, q)                                                    \
    TXT(s), OK1(1, 1, 1), .src = (a), .dst = (b), .sport = (p), .dport = (q)
#define TCP6(s, a, b, p, q)                                                    \
    TXT(s), OK1(2, 1, 1), .src = (a), .dst = (b), .sport = (p), .dport = (q)
#define UNKNOWN(s) TXT(s), OK1(0, 0, 0)
#define BAD(s, code) TXT(s), .rc = PROXYPROTO_##code
#define MORE(s, n) TXT(s), .rc = PROXYPROTO_INCOMPLETE, .need = (n)

/* TCP6 line with this source address (destination ::1, ports 1 2). */
#define V6SRC(a) TCP6("PROXY TCP6 " a " ::1 1 2\r\n", a, "::1", 1, 2)
#define V6BAD(a, code) BAD("PROXY TCP6 " a " ::1 1 2\r\n", code)
#define V4BAD(a, code) BAD("PROXY TCP4 " a " 5.6.7.8 1 2\r\n", code)
#define PORTS(p) "PROXY TCP4 1.2.3.4 5.6.7.8 " p "\r\n"

/* The longest IPv6 text, 45 bytes. */
#define V6TAIL45 "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"

#define X10 "xxxxxxxxxx"
#define X90 X10 X10 X10 X10 X10 X10 X10 X10 X10

const pp_case pp_v1_cases[] = {
    /* Well-formed lines; field checks in pp_check_fields(). */
    {.name = "tcp4", TCP4("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
                          "192.168.0.1", "192.168.0.11", 56324, 443),
     .canon = 1},
    {.name = "tcp4 shortest (32)",
     TCP4("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", "0.0.0.0", "0.0.0.0", 0, 0), .canon = 1},
    {.name = "tcp4 longest",
     TCP4("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
          "255.255.255.255", "255.255.255.255", 65535, 65535),
     .canon = 1},
    {.name = "tcp4 zero octets", TCP4("PROXY TCP4 10.0.0.1 0.10.100.0 1 2\r\n",
                                      "10.0.0.1", "0.10.100.0", 1, 2),
     .canon = 1},
    {.name = "tcp6 shortest (22)",
     TCP6("PROXY TCP6 :: :: 0 0\r\n", "::", "::", 0, 0), .canon = 1},
    {.name = "tcp6", TCP6("PROXY TCP6 2001:db8::1 2001:db8::2 40000 443\r\n",
                          "2001:db8::1", "2001:db8::2", 40000, 443),
     .canon = 1},
    {.name = "unknown shortest (15)", UNKNOWN("PROXY UNKNOWN\r\n"),
     .canon = 1},
    {.name = "unknown space", UNKNOWN("PROXY UNKNOWN \r\n")},
    {.name = "unknown with text",
     UNKNOWN("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n")},
    {.name = "unknown with TCP4 fields",
     UNKNOWN("PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n")},
    {.name = "unknown with odd printables",
     UNKNOWN("PROXY UNKNOWN  ~!@#$%^&*()_+{}|:\"<>? 0777 -1\r\n")},

    /* Length limit: 107 bytes with the CRLF. */
    {.name = "unknown 107 bytes", UNKNOWN("PROXY UNKNOWN " X90 "x\r\n")},
    {.name = "unknown 108 bytes", BAD("PROXY UNKNOWN " X90 "xx\r\n", ERR_V1_TOO_LONG)},
    {.name = "tcp6 107 bytes",
     TCP6("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
          "ffff:ffff:ffff:ffff:ffff:ffff:1.25.255.255 65535 65535\r\n",
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
          "ffff:ffff:ffff:ffff:ffff:ffff:1.25.255.255", 65535, 65535)},
    {.name = "tcp6 108 bytes",
     BAD("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
         "ffff:ffff:ffff:ffff:ffff:ffff:1.255.255.255 65535 65535\r\n",
         ERR_V1_TOO_LONG)},
    {.name = "105 bytes without CR", MORE("PROXY UNKNOWN " X90 "x", 2)},
    {.name = "106 bytes without CR",
     BAD("PROXY UNKNOWN " X90 "xx", ERR_V1_TOO_LONG)},
    {.name = "106 bytes ending in CR", MORE("PROXY UNKNOWN " X90 "x\r", 1)},
    {.name = "CR at index 106", BAD("PROXY UNKNOWN " X90 "xx\r", ERR_V1_TOO_LONG)},
    {.name = "long line, CRLF at 150",
     BAD("PROXY UNKNOWN " X90 X10 X10 X10 X10 "\r\n", ERR_V1_TOO_LONG)},
    {.name = "tcp4 letters, no line end",
     BAD("PROXY TCP4 " X90 X10 "xx", ERR_V1_BAD_IPV4)},
    {.name = "tcp6 too long before its ports",
     BAD("PROXY TCP6 " V6TAIL45 " " V6TAIL45 " 1", ERR_V1_TOO_LONG)},

    /* Line ends. */
    {.name = "lone LF", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", ERR_V1_LONE_LF)},
    {.name = "lone LF unknown", BAD("PROXY UNKNOWN \n", ERR_V1_LONE_LF)},
    {.name = "lone LF mid-line",
     BAD("PROXY TCP4 1.2.3.4\n5.6.7.8 1 2\r\n", ERR_V1_LONE_LF)},
    {.name = "lone LF in unknown text",
     BAD("PROXY UNKNOWN foo\nbar\r\n", ERR_V1_LONE_LF)},
    {.name = "CR then X",
     BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", ERR_V1_CR_WITHOUT_LF)},
    {.name = "CR CR LF", BAD("PROXY UNKNOWN\r\r\n", ERR_V1_CR_WITHOUT_LF)},
    {.name = "CR NUL", BAD("PROXY UNKNOWN\r\0", ERR_V1_CR_WITHOUT_LF)},
    {.name = "CR mid-line",
     BAD("PROXY TCP4 1.2.3.4\r 5.6.7.8 1 2\r\n", ERR_V1_CR_WITHOUT_LF)},
    {.name = "ends in CR", MORE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", 1)},
    {.name = "unknown ends in CR", MORE("PROXY UNKNOWN\r", 1)},
    {.name = "no CRLF yet", MORE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2", 2)},
    {.name = "fields judged before CRLF",
     BAD("PROXY TCP4 1.2.3.400 5.6", ERR_V1_IPV4_OCTET_RANGE)},

    /* Bytes outside 0x20..0x7E. */
    {.name = "NUL", BAD("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", ERR_V1_BAD_CHAR)},
    {.name = "TAB as separator",
     BAD("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", ERR_V1_BAD_CHAR)},
    {.name = "0x7F", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x7f\r\n", ERR_V1_BAD_CHAR)},
    {.name = "0x80", BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1 \x80\r\n", ERR_V1_BAD_CHAR)},
    {.name = "0xFF", BAD("PROXY TCP4 \xff.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_CHAR)},
    {.name = "0x1F", BAD("PROXY TCP6 ::\x1f ::1 1 2\r\n", ERR_V1_BAD_CHAR)},
    {.name = "control in unknown", BAD("PROXY UNKNOWN \x01\r\n", ERR_V1_BAD_CHAR)},
    {.name = "UTF-8 in unknown",
     BAD("PROXY UNKNOWN caf\xc3\xa9\r\n", ERR_V1_BAD_CHAR)},

    /* Not a PROXY header at all. */
    {.name = "HTTP", BAD("GET / HTTP/1.1\r\n", ERR_NOT_PROXY)},
    {.name = "lower case proxy", BAD("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ERR_NOT_PROXY)},
    {.name = "PROXX", BAD("PROXX TCP4", ERR_NOT_PROXY)},
    {.name = "PROXYX", BAD("PROXYX", ERR_NOT_PROXY)},
    {.name = "PROXY CRLF", BAD("PROXY\r\n", ERR_NOT_PROXY)},
    {.name = "PROXY TAB", BAD("PROXY\tTCP4", ERR_NOT_PROXY)},
    {.name = "leading space", BAD(" PROXY TCP4", ERR_NOT_PROXY)},
    {.name = "NUL first", BAD("\0PROXY", ERR_NOT_PROXY)},
    {.name = "TLS hello", BAD("\x16\x03\x01\x02\x00", ERR_NOT_PROXY)},
    {.name = "SSH", BAD("SSH-2.0-OpenSSH_9.2\r\n", ERR_NOT_PROXY)},

    /* Protocol word. */
    {.name = "lower case tcp4",
     BAD("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "mixed case Tcp4",
     BAD("PROXY Tcp4 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "UDP4", BAD("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP5", BAD("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP alone", BAD("PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP44", BAD("PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "UNKNOWNX", BAD("PROXY UNKNOWNX\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "lower case unknown", BAD("PROXY unknown\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "UNKNOWN LF", BAD("PROXY UNKNOWN\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "UNKNOWN TAB", BAD("PROXY UNKNOWN\t\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "double space before protocol",
     BAD("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP4 then CRLF", BAD("PROXY TCP4\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP6 then CRLF", BAD("PROXY TCP6\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "TCP4 then TAB",
     BAD("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_PROTOCOL)},
    {.name = "empty protocol", BAD("PROXY \r\n", ERR_V1_BAD_PROTOCOL)},

    /* Separators, missing and trailing fields. */
    {.name = "double space after TCP4",
     BAD("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", ERR_V1_BAD_SEPARATOR)},
    {.name = "double space between addresses",
     BAD("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", ERR_V1_BAD_SEPARATOR)},
    {.name = "double space before port",
     BAD("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n", ERR_V1_BAD_SEPARATOR)},
    {.name = "double space between ports",
     BAD("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", ERR_V1_BAD_SEPARATOR)},
    {.name = "double space tcp6",
     BAD("PROXY TCP6 ::1  ::1 1 2\r\n", ERR_V1_BAD_SEPARATOR)},
    {.name = "trailing space", BAD(PORTS("1 2 "), ERR_V1_TRAILING_DATA)},
    {.name = "extra field", BAD(PORTS("1 2 3"), ERR_V1_TRAILING_DATA)},
    {.name = "tcp6 trailing space",
     BAD("PROXY TCP6 ::1 ::1 1 2 \r\n", ERR_V1_TRAILING_DATA)},
    {.name = "no dport", BAD(PORTS("1"), ERR_V1_MISSING_FIELD)},
    {.name = "no dport, space", BAD(PORTS("1 "), ERR_V1_MISSING_FIELD)},
    {.name = "no ports", BAD("PROXY TCP4 1.2.3.4 5.6.7.8\r\n", ERR_V1_MISSING_FIELD)},
    {.name = "no dst", BAD("PROXY TCP4 1.2.3.4\r\n", ERR_V1_MISSING_FIELD)},
    {.name = "no dst, space", BAD("PROXY TCP4 1.2.3.4 \r\n", ERR_V1_MISSING_FIELD)},
    {.name = "no fields", BAD("PROXY TCP4 \r\n", ERR_V1_MISSING_FIELD)},
    {.name = "tcp6 no dport", BAD("PROXY TCP6 ::1 ::1 1\r\n", ERR_V1_MISSING_FIELD)},

    /* IPv4 text. */
    {.name = "ipv4 leading zero", V4BAD("01.2.3.4", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "ipv4 007", V4BAD("1.2.3.007", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "ipv4 00", V4BAD("1.00.3.4", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "ipv4 256", V4BAD("256.1.1.1", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "ipv4 last 256", V4BAD("1.2.3.256", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "ipv4 999", V4BAD("1.999.3.4", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "ipv4 2^32+1", V4BAD("1.2.3.4294967297", ERR_V1_IPV4_OCTET_RANGE),
     .alt = PROXYPROTO_ERR_V1_BAD_IPV4},
    {.name = "ipv4 octets left to right (range first)",
     V4BAD("256.01.1.1", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "ipv4 octets left to right (zero first)",
     V4BAD("01.256.1.1", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "ipv4 three octets", V4BAD("1.2.3", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 empty octet", V4BAD("1..2.3", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 five octets", V4BAD("1.2.3.4.5", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 trailing dot", V4BAD("1.2.3.4.", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 leading dot", V4BAD(".1.2.3", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 letter", V4BAD("1.2.3.a", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 sign", V4BAD("1.2.3.-4", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 plus", V4BAD("1.2.+3.4", ERR_V1_BAD_IPV4)},
    /* Two defects (dot count, octet > 255): either code. */
    {.name = "ipv4 single number", V4BAD("16909060", ERR_V1_BAD_IPV4),
     .alt = PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE},
    {.name = "ipv4 bad dst",
     BAD("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n", ERR_V1_BAD_IPV4)},
    {.name = "ipv4 dst leading zero",
     BAD("PROXY TCP4 1.2.3.4 5.6.7.08 1 2\r\n", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "tcp4 with ipv6 src", V4BAD("::1", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp4 with 2001:db8::1",
     V4BAD("2001:db8::1", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp4 with fe80::1", V4BAD("fe80::1", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp4 with ipv6 at line end",
     BAD("PROXY TCP4 1.2.3.4 ::1\r\n", ERR_V1_FAMILY_MISMATCH)},
    /* Text that is neither family keeps the line family's code. */
    {.name = "tcp4 with address:port", V4BAD("1.2.3.4:80", ERR_V1_BAD_IPV4)},
    {.name = "tcp4 with ipv6 and zone",
     V4BAD("fe80::1%eth0", ERR_V1_BAD_IPV4)},
    {.name = "tcp4 with 2561::1x", V4BAD("2561::1x", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "tcp6 with zz", V6BAD("zz", ERR_V1_BAD_IPV6)},
    {.name = "tcp6 with bad ipv4", V6BAD("1.2.3.400", ERR_V1_BAD_IPV6)},
    {.name = "tcp6 with 5 octets", V6BAD("1.2.3.4.5", ERR_V1_BAD_IPV6)},
    {.name = "tcp6 with ipv4 at line end",
     BAD("PROXY TCP6 ::1 1.2.3.4\r\n", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp4 with mapped ipv6 src",
     V4BAD("::ffff:1.2.3.4", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp4 with ipv6 dst",
     BAD("PROXY TCP4 1.2.3.4 2001:db8::1 1 2\r\n", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp6 with ipv4 src",
     BAD("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", ERR_V1_FAMILY_MISMATCH)},
    {.name = "tcp6 with ipv4 dst",
     BAD("PROXY TCP6 ::1 5.6.7.8 1 2\r\n", ERR_V1_FAMILY_MISMATCH)},

    /* IPv6 text: RFC 4291 forms. */
    {.name = "ipv6 ::1", V6SRC("::1"), .canon = 1},
    {.name = "ipv6 1::", V6SRC("1::"), .canon = 1},
    {.name = "ipv6 1::8", V6SRC("1::8"), .canon = 1},
    {.name = "ipv6 8 groups", V6SRC("1:2:3:4:5:6:7:8"), .canon = 1},
    {.name = "ipv6 upper case", V6SRC("FFFF:ABCD:EF01:2345:6789:ABCD:EF01:2345")},
    {.name = "ipv6 mixed case", V6SRC("aBcD::eF")},
    {.name = "ipv6 4-digit zeros", V6SRC("0000:0000:0000:0000:0000:0000:0000:0001")},
    {.name = "ipv6 all zero groups", V6SRC("0:0:0:0:0:0:0:0")},
    {.name = "ipv6 mapped tail", V6SRC("::ffff:192.0.2.1"), .canon = 1},
    {.name = "ipv6 compat tail", V6SRC("::1.2.3.4")},
    {.name = "ipv6 six groups + tail", V6SRC("1:2:3:4:5:6:1.2.3.4")},
    {.name = "ipv6 :: for one group + tail", V6SRC("1:2:3:4:5::1.2.3.4")},
    {.name = "ipv6 :: + zero tail", V6SRC("::0.0.0.0")},
    {.name = "ipv6 :: one group at end", V6SRC("1:2:3:4:5:6:7::")},
    {.name = "ipv6 :: one group at start", V6SRC("::2:3:4:5:6:7:8")},
    {.name = "ipv6 :: in the middle", V6SRC("1:2::3:4")},
    {.name = "ipv6 5 hex digits", V6BAD("12345::", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 5 hex digits last", V6BAD("1:2:3:4:5:6:7:12345", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 two ::", V6BAD("1::2::3", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 :::", V6BAD(":::", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 leading colon", V6BAD(":1:2:3:4:5:6:7", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 leading colon ::", V6BAD(":1::2", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 trailing colon", V6BAD("1::2:", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 trailing colon 8", V6BAD("1:2:3:4:5:6:7:8:", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 9 groups", V6BAD("1:2:3:4:5:6:7:8:9", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 7 groups", V6BAD("1:2:3:4:5:6:7", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 :: for no group (end)", V6BAD("1:2:3:4:5:6:7:8::", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 :: for no group (start)", V6BAD("::1:2:3:4:5:6:7:8", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 :: for no group (middle)", V6BAD("1:2:3:4::5:6:7:8", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 :: for no group, tail", V6BAD("1:2:3:4:5:6::1.2.3.4", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 too many groups with tail",
     V6BAD("1:2:3:4:5:6:7:1.2.3.4", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 zone id", V6BAD("fe80::1%eth0", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 brackets", V6BAD("[::1]", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 non-hex", V6BAD("::g", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 tail not last", V6BAD("1.2.3.4::", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 group after tail", V6BAD("::1.2.3.4:5", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 tail 3 octets", V6BAD("::ffff:1.2.3", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 tail 5 octets", V6BAD("::ffff:1.2.3.4.5", ERR_V1_BAD_IPV6)},
    {.name = "ipv6 tail leading zero",
     V6BAD("::ffff:01.2.3.4", ERR_V1_IPV4_LEADING_ZERO)},
    {.name = "ipv6 tail 256", V6BAD("::ffff:1.2.3.256", ERR_V1_IPV4_OCTET_RANGE)},
    {.name = "ipv6 bad dst", BAD("PROXY TCP6 ::1 1::2::3 1 2\r\n", ERR_V1_BAD_IPV6)},

    /* Ports. */
    {.name = "port 0 and 65535",
     TCP4(PORTS("0 65535"), "1.2.3.4", "5.6.7.8", 0, 65535), .canon = 1},
    {.name = "port 65535 and 0",
     TCP4(PORTS("65535 0"), "1.2.3.4", "5.6.7.8", 65535, 0), .canon = 1},
    {.name = "sport 65536", BAD(PORTS("65536 1"), ERR_V1_PORT_RANGE)},
    {.name = "dport 65536", BAD(PORTS("1 65536"), ERR_V1_PORT_RANGE)},
    {.name = "sport 99999", BAD(PORTS("99999 1"), ERR_V1_PORT_RANGE)},
    {.name = "dport 100000", BAD(PORTS("1 100000"), ERR_V1_PORT_RANGE)},
    {.name = "port 2^32+1", BAD(PORTS("4294967297 1"), ERR_V1_PORT_RANGE)},
    {.name = "port 2^64+1", BAD(PORTS("1 18446744073709551617"), ERR_V1_PORT_RANGE)},
    {.name = "sport 01", BAD(PORTS("01 1"), ERR_V1_PORT_LEADING_ZERO)},
    {.name = "dport 00", BAD(PORTS("1 00"), ERR_V1_PORT_LEADING_ZERO)},
    {.name = "dport 065535", BAD(PORTS("1 065535"), ERR_V1_PORT_LEADING_ZERO)},
    {.name = "sport -1", BAD(PORTS("-1 1"), ERR_V1_BAD_PORT)},
    {.name = "dport -1", BAD(PORTS("1 -1"), ERR_V1_BAD_PORT)},
    {.name = "sport +1", BAD(PORTS("+1 1"), ERR_V1_BAD_PORT)},
    {.name = "sport 0x1", BAD(PORTS("0x1 1"), ERR_V1_BAD_PORT)},
    {.name = "dport 1a", BAD(PORTS("1 1a"), ERR_V1_BAD_PORT)},
    {.name = "dport letters", BAD(PORTS("1 http"), ERR_V1_BAD_PORT)},
    {.name = "tcp6 bad port", BAD("PROXY TCP6 ::1 ::1 1 65536\r\n", ERR_V1_PORT_RANGE)},
};
const size_t pp_v1_ncases = sizeof pp_v1_cases / sizeof pp_v1_cases[0];

START_TEST(v1_case)
{
    pp_run_case(&pp_v1_cases[_i]);
}
END_TEST

/* Empty input: incomplete, need 15 (the shortest line). */
START_TEST(v1_empty)
{
    proxyproto_header h;
    EXPECT_RC(pp_parse(&h, "", 0, 0), PROXYPROTO_INCOMPLETE);
    ck_assert_uint_eq(h.need, 15);
    EXPECT_RC(pp_parse(&h, NULL, 0, 0), PROXYPROTO_INCOMPLETE);
    ck_assert_uint_eq(h.need, 15);
}
END_TEST

/* The boundary lines have the lengths their names say. */
START_TEST(v1_lengths)
{
    static const struct {
        const char *in;
        int rc;
    } t[] = {
        {"PROXY UNKNOWN\r\n", 15},
        {"PROXY TCP6 :: :: 0 0\r\n", 22},
        {"PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", 32},
        {"PROXY UNKNOWN " X90 "x\r\n", 107},
        {"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
         "ffff:ffff:ffff:ffff:ffff:ffff:1.25.255.255 65535 65535\r\n", 107},
        {"PROXY UNKNOWN " X90 "xx\r\n", PROXYPROTO_ERR_V1_TOO_LONG},
        {"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
         "ffff:ffff:ffff:ffff:ffff:ffff:1.255.255.255 65535 65535\r\n",
         PROXYPROTO_ERR_V1_TOO_LONG},
    };
    proxyproto_header h;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = strlen(t[i].in);
        ck_assert_uint_eq(n, t[i].rc > 0 ? (size_t)t[i].rc : 108);
        EXPECT_RC(pp_parse(&h, t[i].in, n, 0), t[i].rc);
    }
}
END_TEST

/* The need of the prefixes PARSER_RULES.md names, one by one. */
START_TEST(v1_need_values)
{
    static const struct {
        const char *in;
        size_t need;
    } t[] = {
        {"P", 14},          {"PROXY ", 9},        {"PROXY U", 8},
        {"PROXY UNKNOWN", 2}, {"PROXY UNKNOWN\r", 1}, {"PROXY T", 15},
        {"PROXY TCP", 13},  {"PROXY TCP6", 12},   {"PROXY TCP4", 22},
        {"PROXY TCP4 ", 21}, {"PROXY TCP4 1.2.3.4 5.6.7.8 1", 4},
        {"PROXY TCP6 ::1 ::1 1 2", 2}, {"PROXY UNKNOWN 123456789", 2},
    };
    proxyproto_header h;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        EXPECT_RC(pp_parse(&h, t[i].in, strlen(t[i].in), 0),
                  PROXYPROTO_INCOMPLETE);
        ck_assert_msg(h.need == t[i].need, "\"%s\": need %zu, want %zu",
                      t[i].in, h.need, t[i].need);
    }
}
END_TEST

/* Each error is reported at the first byte that breaks its rule, before
 * the line's CRLF: fed byte by byte, the parse says INCOMPLETE up to that
 * byte and the error from it on. `at` is the length of the first prefix
 * that gives the error. */
/* Every shape of IPv4 text (octets of 1 to 3 digits: 81 shapes) in both
 * address fields, with ports of 1 to 5 digits, at the end of the buffer
 * and with bytes after it: valid octets (smallest and largest of each
 * length) are read right, and a leading zero, an octet over 255 or a port
 * over 65535 in any place gives the v1 reader's answer (pp_parse() checks
 * proxyproto_parse() against lib/parse_v1.c on each). This walks every
 * entry of lib/ipv4_table.h that the SSSE3 TCP4 path uses. */
START_TEST(v1_tcp4_shapes)
{
    static const char *const octet[4][3] = {
        {"", "", ""}, {"0", "9", "7"}, {"10", "99", "05"}, {"100", "255", "256"}};
    static const char *const port[6] = {"", "0", "65", "443", "8080", "65535"};
    char line[128], addr[3][20];
    proxyproto_header h;
    int shape, v, k, n, rc, bad;

    for (shape = 0; shape < 81; shape++) {
        int len[4] = {shape / 27 % 3 + 1, shape / 9 % 3 + 1, shape / 3 % 3 + 1, shape % 3 + 1};

        for (v = 0; v < 3; v++) { /* 0 smallest, 1 largest, 2 bad */
            snprintf(addr[v], sizeof addr[v], "%s.%s.%s.%s", octet[len[0]][v], octet[len[1]][v],
                     octet[len[2]][v], octet[len[3]][v]);
        }
        for (k = 1; k <= 5; k++) {
            n = snprintf(line, sizeof line, "PROXY TCP4 %s %s %s %s\r\nGET", addr[0], addr[1],
                         port[k], port[6 - k]);
            rc = pp_parse(&h, line, (size_t)n - 3, 0);
            ck_assert_int_eq(rc, n - 3);
            ck_assert_int_eq(h.src.port, atoi(port[k]));
            ck_assert_int_eq(h.dst.port, atoi(port[6 - k]));
            ck_assert_int_eq(h.src.ip.v4[0], atoi(octet[len[0]][0]));
            ck_assert_int_eq(h.dst.ip.v4[3], atoi(octet[len[3]][1]));
            ck_assert_int_eq(pp_parse(&h, line, (size_t)n, 0), n - 3);
            /* the bad octets in the source, then in the destination (a
             * one-digit octet has no bad form: all of them is valid) */
            bad = len[0] + len[1] + len[2] + len[3] > 4;
            n = snprintf(line, sizeof line, "PROXY TCP4 %s %s 1 2\r\n", addr[2], addr[1]);
            rc = pp_parse(&h, line, (size_t)n, 0);
            ck_assert_int_eq(rc < 0, bad);
            n = snprintf(line, sizeof line, "PROXY TCP4 %s %s 1 2\r\n", addr[1], addr[2]);
            rc = pp_parse(&h, line, (size_t)n, 0);
            ck_assert_int_eq(rc < 0, bad);
            n = snprintf(line, sizeof line, "PROXY TCP4 %s %s 1 65536\r\n", addr[0], addr[1]);
            ck_assert_int_eq(pp_parse(&h, line, (size_t)n, 0), PROXYPROTO_ERR_V1_PORT_RANGE);
        }
    }
}
END_TEST

/* IPv6 text of many shapes:
 * 1 to 9 groups of 1 to 5 digits, in both cases, with "::" at every place
 * or none, with ":::" and lone colons at either end, and dotted tails; in
 * both address fields, with 40 bytes or more after each and with fewer.
 * pp_parse() checks proxyproto_parse() against the v1 reader on each, and
 * the valid ones against inet_pton(). */
static void v6_shape(char *out, int groups, int gap, int digits, int flags)
{
    static const char hexdigits[] = "0123456789abcdefABCDEF";
    int g, d, k = 0;

    out[0] = '\0';
    for (g = 0; g < groups; g++) {
        if (g == gap)
            strcat(out, g == 0 ? "::" : ":");
        else if (g > 0)
            strcat(out, ":");
        /* 1 to 4 digits, and a fifth in the last group with flag 1 */
        for (d = 0; d < (digits + g) % 4 + 1 + ((flags & 1) && g == groups - 1 ? 4 : 0) && d < 5;
             d++) {
            size_t n = strlen(out);

            out[n] = hexdigits[(k++ * 7 + flags) % 22];
            out[n + 1] = '\0';
        }
    }
    if (gap == groups)
        strcat(out, "::");
    if (flags & 2)
        strcat(out, ":");
    if (flags & 4)
        strcat(out, &".1.2.3.4"[(groups % 2) * 2]); /* "1.2.3.4" or ".2.3.4" */
}

START_TEST(v1_tcp6_shapes)
{
    char a[96], line[320];
    proxyproto_header h;
    int groups, gap, digits, flags, pad, valid;
    uint8_t want[16];
    size_t n;
    int rc, runs = 0, accepted = 0;

    for (groups = 0; groups <= 9; groups++)
        for (gap = -1; gap <= groups; gap++)
            for (digits = 0; digits < 5; digits++)
                for (flags = 0; flags < 8; flags++)
                    for (pad = 0; pad < 2; pad++) {
                        v6_shape(a, groups, gap, digits, flags);
                        valid = inet_pton(AF_INET6, a, want) == 1;
                        n = (size_t)snprintf(line, sizeof line, "PROXY TCP6 %s %s 1 2\r\n%s", a,
                                             pad ? "::1" : a,
                                             pad ? "0123456789012345678901234567890123456789" : "");
                        rc = pp_parse(&h, line, n, 0);
                        runs++;
                        if (rc > 0) {
                            accepted++;
                            ck_assert_msg(valid, "accepted %s", a);
                            ck_assert(memcmp(h.src.ip.v6, want, 16) == 0);
                        } else if (strlen(line) <= PROXYPROTO_V1_MAX_LEN + (pad ? 40 : 0)) {
                            ck_assert_msg(!valid || rc == PROXYPROTO_ERR_V1_TOO_LONG,
                                          "refused %s: %s", a, proxyproto_error_name(rc));
                        }
                        n = (size_t)snprintf(line, sizeof line, "PROXY TCP6 ::1 %s 1 2\r\n%s", a,
                                             pad ? "0123456789012345678901234567890123456789" : "");
                        pp_parse(&h, line, n, 0);
                    }
    ck_assert_int_gt(accepted, runs / 40); /* the cases are not all refusals */
}
END_TEST

START_TEST(v1_error_offsets)
{
    static const struct {
        const char *in;
        size_t at;
        int rc;
    } t[] = {
        {"PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n", 20,
         PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE},
        {"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", 14, /* "01" may be IPv6 */
         PROXYPROTO_ERR_V1_IPV4_LEADING_ZERO},
        {"PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", 19, PROXYPROTO_ERR_V1_BAD_IPV4},
        {"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", 20,
         PROXYPROTO_ERR_V1_BAD_SEPARATOR},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 32, PROXYPROTO_ERR_V1_PORT_RANGE},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 02\r\n", 31,
         PROXYPROTO_ERR_V1_PORT_LEADING_ZERO},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 31,
         PROXYPROTO_ERR_V1_TRAILING_DATA},
        {"PROXY TCP4 1.2.3.4 5.6.7.8 1 x\r\n", 30, PROXYPROTO_ERR_V1_BAD_PORT},
        {"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", 19, PROXYPROTO_ERR_V1_BAD_CHAR},
        /* the mismatch waits for the end of the field */
        {"PROXY TCP4 ::1 5.6.7.8 1 2\r\n", 15, PROXYPROTO_ERR_V1_FAMILY_MISMATCH},
        {"PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n", 23,
         PROXYPROTO_ERR_V1_FAMILY_MISMATCH},
        {"PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n", 15,
         PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE},
        {"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 19, PROXYPROTO_ERR_V1_FAMILY_MISMATCH},
        {"PROXY TCP6 zz ::1 1 2\r\n", 12, PROXYPROTO_ERR_V1_BAD_IPV6},
        /* while the mismatch waits, a byte outside 0x20..0x7E keeps its
         * own code */
        {"PROXY TCP4 C\x9d 5.6.7.8 1 2\r\n", 13, PROXYPROTO_ERR_V1_BAD_CHAR},
        {"PROXY TCP4 ::1\n 5.6.7.8 1 2\r\n", 15, PROXYPROTO_ERR_V1_LONE_LF},
        {"PROXY TCP4 ::1\r 5.6.7.8 1 2\r\n", 16, PROXYPROTO_ERR_V1_CR_WITHOUT_LF},
        {"PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n", 27, PROXYPROTO_ERR_V1_BAD_IPV6},
        {"PROXY TCP6 1::2::3 ::1 1 2\r\n", 17, PROXYPROTO_ERR_V1_BAD_IPV6},
        {"PROXY TCP6 12345:: ::1 1 2\r\n", 16, PROXYPROTO_ERR_V1_BAD_IPV6},
        {"PROXY TCP6 ::ffff:1.2.3.256 ::1 1 2\r\n", 27,
         PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE},
        /* a CR: the next byte says which error */
        {"PROXY TCP4 1.2.3.4\r\n", 20, PROXYPROTO_ERR_V1_MISSING_FIELD},
        {"PROXY TCP4 1.2.3.4\r 5.6.7.8 1 2\r\n", 20,
         PROXYPROTO_ERR_V1_CR_WITHOUT_LF},
        /* too long: no valid line fits once the second address is whole */
        {"PROXY TCP6 " V6TAIL45 " " V6TAIL45 " 1 2\r\n", 102,
         PROXYPROTO_ERR_V1_TOO_LONG},
    };
    proxyproto_header h;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = strlen(t[i].in), k, last = 0;
        int rc = PROXYPROTO_INCOMPLETE;
        for (k = 1; k <= n && rc == PROXYPROTO_INCOMPLETE; k++) {
            rc = pp_parse(&h, t[i].in, k, last);
            last = k;
        }
        ck_assert_msg(rc == t[i].rc && k - 1 == t[i].at,
                      "\"%s\": %d (%s) at %zu bytes, want %d (%s) at %zu",
                      t[i].in, rc, proxyproto_error_name(rc), k - 1, t[i].rc,
                      proxyproto_error_name(t[i].rc), t[i].at);
        /* the same answer from the whole line and from the prefix alone */
        EXPECT_RC(pp_parse(&h, t[i].in, n, 0), t[i].rc);
        EXPECT_RC(pp_parse(&h, t[i].in, t[i].at, 0), t[i].rc);
    }
}
END_TEST

/* need is the least: no byte that keeps a prefix of a valid line valid
 * leaves it closer to a whole line than need - 1 bytes (with the
 * completion found by pp_v1_tight() at every prefix in pp_run_case(), need
 * is exact). Every byte value is tried at every prefix. */
START_TEST(v1_need_is_least)
{
    static const char *const lines[] = {
        "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
        "PROXY TCP4 1.22.0.4 10.0.100.9 0 80\r\n",
        "PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 40000 443\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:8 1::8 1 2\r\n",
        "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:1.2.3.4 :: 1 2\r\n",
        "PROXY UNKNOWN ab c\r\n",
    };
    proxyproto_header h;
    uint8_t buf[PROXYPROTO_V1_MAX_LEN + 1];
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t n = strlen(lines[i]);
        for (size_t k = 0; k < n; k++) {
            size_t need;
            memcpy(buf, lines[i], k);
            ck_assert_int_eq(pp_parse(&h, buf, k, 0), PROXYPROTO_INCOMPLETE);
            need = h.need;
            for (int b = 0; b < 256; b++) {
                int r;
                size_t next;
                buf[k] = (uint8_t)b;
                r = proxyproto_parse(&h, buf, k + 1, 0);
                if (r == (int)(k + 1)) {
                    ck_assert_msg(need == 1, "%s: prefix %zu completes with "
                                  "byte 0x%02x, need %zu", lines[i], k, b, need);
                    continue;
                }
                if (r != PROXYPROTO_INCOMPLETE)
                    continue;
                next = h.need;
                if (next + 1 < need && pp_v1_tight(buf, k + 1, next))
                    ck_abort_msg("%s: prefix %zu: need %zu, but byte 0x%02x "
                                 "leaves %zu", lines[i], k, need, b, next);
                buf[k] = (uint8_t)b; /* pp_v1_tight() wrote past k */
            }
        }
    }
}
END_TEST

/* A second header after the first is payload (proxyproto(7) sections 1
 * and 5). */
START_TEST(v1_stacked_headers)
{
    static const char in[] = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
                             "PROXY TCP4 9.9.9.9 8.8.8.8 3 4\r\n";
    proxyproto_header h;
    uint8_t want[4] = {1, 2, 3, 4};
    EXPECT_RC(pp_parse(&h, in, sizeof in - 1, 0), 32);
    ck_assert_mem_eq(h.src.ip.v4, want, 4);
    ck_assert_uint_eq(h.src.port, 1);
    /* The caller may parse the second one itself, at buf + header_len. */
    EXPECT_RC(pp_parse(&h, in + 32, sizeof in - 33, 0), 32);
    ck_assert_uint_eq(h.src.ip.v4[0], 9);
}
END_TEST

/* Every byte value after a valid word: only printables, CR (then LF) are
 * allowed, the rest gives the documented code. */
START_TEST(v1_every_byte_value)
{
    proxyproto_header h;
    for (int b = 0; b < 256; b++) {
        char line[] = "PROXY UNKNOWN ?\r\n";
        int want;
        line[14] = (char)b;
        if (b == '\r')
            want = PROXYPROTO_ERR_V1_CR_WITHOUT_LF;
        else if (b == '\n')
            want = PROXYPROTO_ERR_V1_LONE_LF;
        else if (b < 0x20 || b > 0x7E)
            want = PROXYPROTO_ERR_V1_BAD_CHAR;
        else
            want = 17;
        ck_assert_msg(pp_parse(&h, line, 17, 0) == want, "byte 0x%02x: %d",
                      b, pp_parse(&h, line, 17, 0));
    }
}
END_TEST

/* The first byte decides: 'P' and CR may start a header, nothing else. */
START_TEST(v1_first_byte)
{
    proxyproto_header h;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        int rc = pp_parse(&h, &c, 1, 0);
        if (b == 'P' || b == '\r')
            /* v1 shortest line 15, v2 fixed part 16; one byte is in. */
            ck_assert_msg(rc == PROXYPROTO_INCOMPLETE &&
                              h.need == (b == 'P' ? 14u : 15u),
                          "byte 0x%02x: %d need %zu", b, rc, h.need);
        else
            ck_assert_msg(rc == PROXYPROTO_ERR_NOT_PROXY, "byte 0x%02x: %d", b,
                          rc);
    }
}
END_TEST

Suite *suite_v1(void)
{
    Suite *s = suite_create("v1");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, v1_case, 0, (int)pp_v1_ncases);
    suite_add_tcase(s, tc);
    tc = tcase_create("misc");
    tcase_add_test(tc, v1_empty);
    tcase_add_test(tc, v1_lengths);
    tcase_add_test(tc, v1_need_values);
    tcase_add_test(tc, v1_error_offsets);
    tcase_add_test(tc, v1_tcp4_shapes);
    tcase_add_test(tc, v1_tcp6_shapes);
    tcase_add_test(tc, v1_need_is_least);
    tcase_add_test(tc, v1_stacked_headers);
    tcase_add_test(tc, v1_every_byte_value);
    tcase_add_test(tc, v1_first_byte);
    suite_add_tcase(s, tc);
    return s;
}
