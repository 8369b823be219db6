#!/bin/sh
# tests/cli.sh - checks of the proxyproto command-line tool (POSIX sh).
#
#   CAPTURES=tests/captures sh tests/cli.sh build/bin/proxyproto
#
# Expected JSON lines are written from tests/captures/README.md, the
# capture bytes and proxyproto(7), never copied from the tool's output. Prints
# "ok - NAME" or "FAIL - NAME: why" per check and ends with
# "cli: N passed, M failed"; exits 1 when a check failed.

set -u

BIN=${1:?usage: sh tests/cli.sh PATH/TO/proxyproto}
CAPTURES=${CAPTURES:-tests/captures}

TMP=${TMPDIR:-/tmp}/proxyproto-cli.$$
mkdir "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 2' HUP INT TERM

PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1: $2"; }

# run CMD...: stdout to $TMP/out, stderr to $TMP/err, exit code in $RC,
# stdout without its final newline in $OUT.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    OUT=$(cat "$TMP/out")
}

# ---- byte helpers (od, printf and dd only: POSIX) -------------------------

# Lowercase hex of a string's bytes.
hexs() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# Lowercase hex of a file's bytes.
hexf() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# Raw bytes from hex digits.
unhex() {
    _h=$1
    _f=
    while [ -n "$_h" ]; do
        _b=${_h%"${_h#??}"}
        _h=${_h#??}
        _f="$_f\\$(printf '%03o' "0x$_b")"
    done
    # shellcheck disable=SC2059 # the format carries the octal escapes
    printf "$_f"
}

# The first N bytes of a file.
prefix() { dd if="$1" bs=1 count="$2" 2>/dev/null; }

# flip HEX K: HEX with bit 0 of byte K (K >= 1) flipped.
flip() {
    _pre=$(printf '%s' "$1" | cut -c1-$(($2 * 2)))
    _byte=$(printf '%s' "$1" | cut -c$(($2 * 2 + 1))-$(($2 * 2 + 2)))
    _post=$(printf '%s' "$1" | cut -c$(($2 * 2 + 3))-)
    printf '%s%02x%s' "$_pre" $((0x$_byte ^ 1)) "$_post"
}

# tlv TYPE LEN HEX [EXTRA]: one decoded TLV object, EXTRA being the keys
# that follow "value" (SSL, vendor ids).
tlv() {
    printf '{"type":%s,"length":%s,"value":"%s"%s}' "$1" "$2" "$3" \
        "${4:+,$4}"
}

# ---- expectations ---------------------------------------------------------

# expect NAME RC LINE: exit code RC and stdout exactly LINE plus "\n".
expect() {
    if [ "$RC" != "$2" ]; then
        fail "$1" "exit $RC, want $2 (stdout: $OUT; stderr: $(cat "$TMP/err"))"
    elif [ "$OUT" != "$3" ]; then
        fail "$1" "got $OUT
          want $3"
    elif [ "$(wc -l <"$TMP/out")" -ne 1 ]; then
        fail "$1" "output is not exactly one line ending in a newline"
    else
        pass "$1"
    fi
}

# expect_has NAME RC TEXT: exit code RC and TEXT somewhere in stdout.
expect_has() {
    case $OUT in
    *"$3"*) if [ "$RC" = "$2" ]; then pass "$1"; else
            fail "$1" "exit $RC, want $2"; fi ;;
    *) fail "$1" "exit $RC; '$3' not in: $OUT" ;;
    esac
}

# expect_usage NAME: exit 2, nothing on stdout, a message on stderr.
expect_usage() {
    if [ "$RC" != 2 ]; then
        fail "$1" "exit $RC, want 2 (stdout: $OUT)"
    elif [ -s "$TMP/out" ]; then
        fail "$1" "wrote to stdout: $OUT"
    elif [ ! -s "$TMP/err" ]; then
        fail "$1" "no message on stderr"
    else
        pass "$1"
    fi
}

# expect_fail NAME TEXT: exit 1, nothing on stdout, TEXT on stderr.
expect_fail() {
    if [ "$RC" != 1 ]; then
        fail "$1" "exit $RC, want 1 (stdout: $OUT)"
    elif [ -s "$TMP/out" ]; then
        fail "$1" "wrote to stdout"
    elif ! grep -F -q -e "$2" "$TMP/err"; then
        fail "$1" "stderr lacks '$2': $(cat "$TMP/err")"
    else
        pass "$1"
    fi
}

# ---- expected values, from tests/captures/README.md and the bytes --------

SIG=0d0a0d0a000d0a515549540a
OKV1='{"result":"ok","version":1,"command":"PROXY"'
OKV2='{"result":"ok","version":2,"command":"PROXY"'
LOCAL='{"result":"ok","version":2,"command":"LOCAL"'
TCP4='"family":"INET","transport":"STREAM"'
TCP6='"family":"INET6","transport":"STREAM"'
LO4='"src":"127.0.0.1"'
LO6='"src":"::1"'

UID_TCP4=$(hexs '7F000001:A6AE_7F000001:4650_6B094B71_0000:1179')
UID_CERT=$(hexs '7F000001:DA3E_7F000001:46B4_6B094BCC_0000:1F48')
UID_NOCERT=$(hexs '7F000001:DA4A_7F000001:46B4_6B094BD1_0001:1F48')
AUTHORITY=$(hexs api.example.net)
S_VERSION=$(hexs TLSv1.3)
S_CN=$(hexs client.example.org)
S_KEY=$(hexs RSA2048)
S_SIG=$(hexs RSA-SHA256)
S_CIPHER=$(hexs TLS_AES_256_GCM_SHA384)

# SSL TLV values: client byte, verify word, then the sub-TLVs in wire order.
SSL_CERT=0700000000210007${S_VERSION}220012${S_CN}250007${S_KEY}24000a${S_SIG}230016${S_CIPHER}
SSL_CERT_SUBS="$(tlv 33 7 "$S_VERSION"),$(tlv 34 18 "$S_CN"),$(tlv 37 7 "$S_KEY"),$(tlv 36 10 "$S_SIG"),$(tlv 35 22 "$S_CIPHER")"
SSL_NOCERT=0100000000210007${S_VERSION}250007${S_KEY}24000a${S_SIG}230016${S_CIPHER}
SSL_NOCERT_SUBS="$(tlv 33 7 "$S_VERSION"),$(tlv 37 7 "$S_KEY"),$(tlv 36 10 "$S_SIG"),$(tlv 35 22 "$S_CIPHER")"

want_capture() {
    case $1 in
    haproxy-v1-tcp4.bin) echo "$OKV1,$TCP4,$LO4,\"src_port\":48352,\"dst\":\"127.0.0.1\",\"dst_port\":18002,\"header_len\":44,\"payload_len\":6,\"tlvs\":[]}" ;;
    haproxy-v1-tcp6.bin) echo "$OKV1,$TCP6,$LO6,\"src_port\":42076,\"dst\":\"::1\",\"dst_port\":18004,\"header_len\":32,\"payload_len\":6,\"tlvs\":[]}" ;;
    nginx-v1-tcp4.bin) echo "$OKV1,$TCP4,$LO4,\"src_port\":53448,\"dst\":\"127.0.0.1\",\"dst_port\":18005,\"header_len\":44,\"payload_len\":6,\"tlvs\":[]}" ;;
    haproxy-v2-local-healthcheck.bin) echo "$LOCAL,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":16,\"payload_len\":0,\"tlvs\":[]}" ;;
    haproxy-v2-local-unix-frontend.bin) echo "$LOCAL,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":16,\"payload_len\":6,\"tlvs\":[]}" ;;
    haproxy-v2-tcp4-crc32c-uniqueid.bin) echo "$OKV2,$TCP4,$LO4,\"src_port\":42670,\"dst\":\"127.0.0.1\",\"dst_port\":18000,\"header_len\":84,\"payload_len\":6,\"tlvs\":[$(tlv 3 4 c628126e),$(tlv 5 46 "$UID_TCP4")]}" ;;
    haproxy-v2-tcp6-crc32c.bin) echo "$OKV2,$TCP6,$LO6,\"src_port\":45874,\"dst\":\"::1\",\"dst_port\":18003,\"header_len\":62,\"payload_len\":6,\"tlvs\":[$(tlv 3 4 9953ddf6),$(tlv 5 0 '')]}" ;;
    haproxy-v2-tls-clientcert.bin) echo "$OKV2,$TCP4,$LO4,\"src_port\":55870,\"dst\":\"127.0.0.1\",\"dst_port\":18100,\"header_len\":194,\"payload_len\":6,\"tlvs\":[$(tlv 3 4 0367f036),$(tlv 1 2 6832),$(tlv 2 15 "$AUTHORITY"),$(tlv 5 46 "$UID_CERT"),$(tlv 32 84 "$SSL_CERT" "\"ssl\":{\"client\":7,\"verify\":0,\"tlvs\":[$SSL_CERT_SUBS]}")]}" ;;
    haproxy-v2-tls-nocert.bin) echo "$OKV2,$TCP4,$LO4,\"src_port\":55882,\"dst\":\"127.0.0.1\",\"dst_port\":18100,\"header_len\":179,\"payload_len\":6,\"tlvs\":[$(tlv 3 4 898f2c83),$(tlv 1 8 "$(hexs http/1.1)"),$(tlv 2 15 "$AUTHORITY"),$(tlv 5 46 "$UID_NOCERT"),$(tlv 32 63 "$SSL_NOCERT" "\"ssl\":{\"client\":1,\"verify\":0,\"tlvs\":[$SSL_NOCERT_SUBS]}")]}" ;;
    esac
}

# ---- the command line itself ----------------------------------------------

test_dispatch() {
    run "$BIN" --version
    case $OUT in
    "proxyproto "[0-9]*.[0-9]*.[0-9]*) expect "--version" 0 "$OUT" ;;
    *) fail "--version" "printed '$OUT'" ;;
    esac
    for _args in "--help" "decode --help" "encode --help"; do
        # shellcheck disable=SC2086 # word splitting wanted
        run "$BIN" $_args
        if [ "$RC" = 0 ] && [ -n "$OUT" ] && [ ! -s "$TMP/err" ]; then
            pass "$_args: usage on stdout, exit 0"
        else
            fail "$_args" "exit $RC, stderr: $(cat "$TMP/err")"
        fi
    done
    run "$BIN"
    expect_usage "no command"
    run "$BIN" frobnicate
    expect_usage "unknown command"
    run "$BIN" decode --frobnicate "$CAPTURES/haproxy-v1-tcp4.bin"
    expect_usage "decode: unknown option"
    run "$BIN" decode "$TMP/no-such-file"
    expect_usage "decode: unreadable file"
    run "$BIN" decode "$CAPTURES/haproxy-v1-tcp4.bin" "$CAPTURES/nginx-v1-tcp4.bin"
    expect_usage "decode: two files"
    run "$BIN" encode --frobnicate
    expect_usage "encode: unknown option"
    run "$BIN" encode extra
    expect_usage "encode: stray argument"
    run "$BIN" encode --src
    expect_usage "encode: option without its value"
}

# ---- decode ----------------------------------------------------------------

test_captures() {
    _n=0
    for _f in "$CAPTURES"/*.bin; do
        [ -f "$_f" ] || continue
        _n=$((_n + 1))
        _name=${_f##*/}
        run "$BIN" decode "$_f"
        _want=$(want_capture "$_name")
        if [ -n "$_want" ]; then
            expect "decode $_name" 0 "$_want"
        else
            expect_has "decode $_name" 0 '{"result":"ok",'
        fi
        _file_out=$OUT
        run "$BIN" decode <"$_f"
        expect "decode $_name from stdin" 0 "$_file_out"
        run "$BIN" decode --hex - <<EOF
$(od -An -v -tx1 "$_f")
EOF
        expect "decode --hex $_name (od layout)" 0 "$_file_out"
    done
    if [ "$_n" -ge 9 ]; then pass "found $_n captures"; else
        fail "captures" "only $_n .bin files in $CAPTURES"; fi
}

test_hex_input() {
    _want=$(want_capture haproxy-v2-local-healthcheck.bin)
    printf '  0D0A0d0a\t000D 0A51\r\n5549540A\n\n20 00 00\v00\f\n' >"$TMP/h"
    run "$BIN" decode --hex "$TMP/h"
    expect "--hex: either case, any whitespace" 0 "$_want"
    printf '0d0a0d0a000d0a515549540a2000000' >"$TMP/h"
    run "$BIN" decode --hex "$TMP/h"
    expect_usage "--hex: odd digit count"
    printf '0d0a0d0a000d0a515549540a20000g00' >"$TMP/h"
    run "$BIN" decode --hex "$TMP/h"
    expect_usage "--hex: non-hex character"
    printf '0x0d0a' >"$TMP/h"
    run "$BIN" decode --hex "$TMP/h"
    expect_usage "--hex: 0x prefix is not hex"
}

# prefix_need FILE N NEED: the first N bytes of FILE are incomplete.
prefix_need() {
    prefix "$CAPTURES/$1" "$2" >"$TMP/p"
    run "$BIN" decode "$TMP/p"
    expect "incomplete: $2 bytes of $1" 3 "{\"result\":\"incomplete\",\"need\":$3}"
}

test_incomplete() {
    run "$BIN" decode </dev/null
    expect "incomplete: empty input" 3 '{"result":"incomplete","need":15}'
    # PARSER_RULES.md: v1 need is exact (the fewest bytes of a valid line:
    # " 0 0\r\n" after "PROXY TCP4 127.0.0.1 127.0.0.1"), or 1 after a CR;
    # v2 is exact from 16 bytes on.
    prefix_need haproxy-v1-tcp4.bin 6 9
    prefix_need haproxy-v1-tcp4.bin 10 22
    prefix_need haproxy-v1-tcp4.bin 30 6
    prefix_need haproxy-v1-tcp4.bin 43 1
    prefix_need haproxy-v2-tcp4-crc32c-uniqueid.bin 12 4
    prefix_need haproxy-v2-tcp4-crc32c-uniqueid.bin 14 14
    prefix_need haproxy-v2-tcp4-crc32c-uniqueid.bin 16 68
    prefix_need haproxy-v2-tcp4-crc32c-uniqueid.bin 83 1
    prefix_need haproxy-v2-tls-clientcert.bin 100 94
    prefix_need haproxy-v2-local-healthcheck.bin 15 1
}

# invalid NAME ERROR INPUT-PRINTF-FORMAT: decoding rejects with ERROR.
invalid() {
    # shellcheck disable=SC2059 # the format carries the escapes
    printf "$3" >"$TMP/i"
    run "$BIN" decode "$TMP/i"
    expect_has "invalid: $1" 1 "{\"result\":\"invalid\",\"error\":\"PROXYPROTO_$2\",\"message\":\""
}

test_invalid() {
    printf 'GET / HTTP/1.1\r\n\r\n' >"$TMP/i"
    run "$BIN" decode "$TMP/i"
    # The message has quotes in it: they must come out escaped.
    expect "invalid: HTTP request" 1 '{"result":"invalid","error":"PROXYPROTO_ERR_NOT_PROXY","message":"not a PROXY protocol header (neither the v1 \"PROXY \" prefix nor the v2 signature)"}'
    invalid "v1 octet 256" ERR_V1_IPV4_OCTET_RANGE 'PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n'
    invalid "v1 lower case" ERR_V1_BAD_PROTOCOL 'PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n'
    invalid "v1 lone LF" ERR_V1_LONE_LF 'PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n'
    invalid "v2 version 3" ERR_V2_BAD_VERSION '\r\n\r\n\000\r\nQUIT\n\061\021\000\014'
    invalid "v2 command 2" ERR_V2_BAD_COMMAND '\r\n\r\n\000\r\nQUIT\n\042\021\000\014'
    invalid "v2 INET len 11" ERR_V2_ADDRESS_TRUNCATED '\r\n\r\n\000\r\nQUIT\n\041\021\000\013'
    # Every CRC32C in the captures is right: a flipped address or TLV byte
    # must be caught. (Byte 28, the CRC32C TLV's own type, is left alone:
    # flipped, it turns the checksum into an AUTHORITY TLV.)
    _hex=$(hexf "$CAPTURES/haproxy-v2-tcp4-crc32c-uniqueid.bin")
    _bad=
    for _k in 16 17 19 20 23 24 26 27 31 32 34 36 40 60 83; do
        unhex "$(flip "$_hex" $_k)" >"$TMP/i"
        run "$BIN" decode "$TMP/i"
        case $RC:$OUT in
        1:*PROXYPROTO_ERR_V2_CRC32C_MISMATCH*) ;;
        *) _bad="$_bad $_k" ;;
        esac
    done
    if [ -z "$_bad" ]; then pass "capture with a flipped byte: CRC32C mismatch"
    else fail "capture with a flipped byte" "accepted, byte(s)$_bad"; fi
}

# decode_hex NAME RC LINE HEX: decode --hex of HEX prints LINE, exits RC.
decode_hex() {
    printf '%s\n' "$4" >"$TMP/x"
    run "$BIN" decode --hex "$TMP/x"
    expect "$1" "$2" "$3"
}

test_decode_fields() {
    _a=7f0000017f00000200501f90 # 127.0.0.1:80 -> 127.0.0.2:8080
    _as='"src":"127.0.0.1","src_port":80,"dst":"127.0.0.2","dst_port":8080'
    # proxyproto(7) section 3: LOCAL takes any family/transport byte. The
    # JSON shows the nibbles as carried: a name when the value has one, the
    # number (a JSON number) when it has none -- never UNSPEC for 4-15.
    decode_hex "LOCAL with unknown nibbles: numbers" 0 "$LOCAL,\"family\":4,\"transport\":15,\"header_len\":16,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}204f0000"
    decode_hex "LOCAL family 5, STREAM, TLV area ignored" 0 "$LOCAL,\"family\":5,\"transport\":\"STREAM\",\"header_len\":21,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}205100050100026832"
    decode_hex "LOCAL family 15, transport UNSPEC" 0 "$LOCAL,\"family\":15,\"transport\":\"UNSPEC\",\"header_len\":16,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}20f00000"
    decode_hex "LOCAL INET with transport 15: name and number" 0 "$LOCAL,\"family\":\"INET\",\"transport\":15,$_as,\"header_len\":28,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}201f000c${_a}"
    decode_hex "LOCAL UNIX with DGRAM: names" 0 "$LOCAL,\"family\":\"UNIX\",\"transport\":\"DGRAM\",\"src\":\"/a\",\"dst\":\"/b\",\"header_len\":232,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}203200d82f61$(printf '%0212d' 0)2f62$(printf '%0212d' 0)"
    # The PROXY command refuses the unknown nibbles (section 3).
    decode_hex "PROXY with family 4: refused" 1 '{"result":"invalid","error":"PROXYPROTO_ERR_V2_BAD_FAMILY","message":"v2: address family must be UNSPEC, INET, INET6 or UNIX (0-3)"}' \
        "${SIG}21410000"
    decode_hex "LOCAL with an INET block: addresses shown" 0 "$LOCAL,$TCP4,$_as,\"header_len\":33,\"payload_len\":0,\"tlvs\":[$(tlv 1 2 6832)]}" \
        "${SIG}20110011${_a}0100026832"
    decode_hex "LOCAL with a malformed TLV area: no TLVs" 0 "$LOCAL,$TCP4,$_as,\"header_len\":32,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}20110010${_a}010005aa"
    decode_hex "PROXY INET with UNSPEC transport" 0 "$OKV2,\"family\":\"INET\",\"transport\":\"UNSPEC\",$_as,\"header_len\":28,\"payload_len\":0,\"tlvs\":[]}" \
        "${SIG}2110000c${_a}"
    # An abstract UNIX name starts with a NUL: its path_len is 0.
    decode_hex "UNIX abstract source" 0 "$OKV2,\"family\":\"UNIX\",\"transport\":\"STREAM\",\"src\":\"\",\"dst\":\"/x\",\"header_len\":232,\"payload_len\":1,\"tlvs\":[]}" \
        "${SIG}213100d800616263$(printf '%0208d' 0)2f78$(printf '%0212d' 0)ff"
    # proxyproto(7) section 1: a second header is payload.
    decode_hex "stacked headers: the second is payload" 0 "$LOCAL,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":16,\"payload_len\":16,\"tlvs\":[]}" \
        "${SIG}20000000${SIG}21000000"
    decode_hex "v2 TLV overrun" 1 '{"result":"invalid","error":"PROXYPROTO_ERR_V2_TLV_OVERRUN","message":"v2: TLV value runs past the end of the header"}' \
        "${SIG}21110010${_a}010005aa"
}

# ---- encode | decode --------------------------------------------------------

# encode_is NAME HEX ARGS...: encode --hex ARGS prints HEX.
encode_is() {
    _name=$1
    _want=$2
    shift 2
    run "$BIN" encode --hex "$@"
    expect "encode $_name: bytes" 0 "$_want"
}

# round NAME LINE ARGS...: encode ARGS | decode prints LINE.
round() {
    _name=$1
    _want=$2
    shift 2
    "$BIN" encode "$@" >"$TMP/enc" 2>"$TMP/err"
    _erc=$?
    if [ "$_erc" != 0 ]; then
        fail "round trip $_name" "encode exit $_erc: $(cat "$TMP/err")"
        return
    fi
    run "$BIN" decode "$TMP/enc"
    expect "round trip $_name" 0 "$_want"
}

V2S='"src":"192.0.2.1","src_port":56324,"dst":"198.51.100.7","dst_port":443'
V2H=${SIG}21110013c0000201c6336407dc0401bb

# tlvs_of NAME AREA TLVS ARGS...: a v2 INET header with ARGS decodes to
# TLVS, in a TLV area of AREA bytes (each TLV: 3 + value length).
tlvs_of() {
    _name=$1
    _area=$2
    _tl=$3
    shift 3
    round "$_name" "$OKV2,$TCP4,$V2S,\"header_len\":$((28 + _area)),\"payload_len\":0,\"tlvs\":[$_tl]}" --src 192.0.2.1:56324 --dst 198.51.100.7:443 "$@"
}

test_encode_plain() {
    encode_is "v1 TCP4" "$(hexs 'PROXY TCP4 203.0.113.7 198.51.100.7 51234 443')0d0a" \
        --v1 --src 203.0.113.7:51234 --dst 198.51.100.7:443
    round "v1 TCP4" "$OKV1,$TCP4,\"src\":\"203.0.113.7\",\"src_port\":51234,\"dst\":\"198.51.100.7\",\"dst_port\":443,\"header_len\":47,\"payload_len\":0,\"tlvs\":[]}" \
        -1 --src 203.0.113.7:51234 --dst 198.51.100.7:443
    round "v1 TCP6" "$OKV1,$TCP6,\"src\":\"2001:db8::1\",\"src_port\":443,\"dst\":\"2001:db8::1:0:0:2\",\"dst_port\":80,\"header_len\":49,\"payload_len\":0,\"tlvs\":[]}" \
        --v1 --src '[2001:db8::1]:443' --dst '[2001:DB8:0:0:1:0:0:2]:80'
    encode_is "v1 UNKNOWN" "$(hexs 'PROXY UNKNOWN')0d0a" --v1
    round "v1 UNKNOWN" "$OKV1,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":15,\"payload_len\":0,\"tlvs\":[]}" --v1
    encode_is "v2 INET" "${SIG}2111000cc0000201c6336407dc0401bb" --src 192.0.2.1:56324 --dst 198.51.100.7:443
    round "v2 INET" "$OKV2,$TCP4,$V2S,\"header_len\":28,\"payload_len\":0,\"tlvs\":[]}" --v2 --src 192.0.2.1:56324 --dst 198.51.100.7:443
    round "v2 INET6" "$OKV2,$TCP6,\"src\":\"2001:db8::1\",\"src_port\":1234,\"dst\":\"2001:db8::cafe\",\"dst_port\":8443,\"header_len\":52,\"payload_len\":0,\"tlvs\":[]}" \
        -2 --src '[2001:db8::1]:1234' --dst '[2001:db8::cafe]:8443'
    round "v2 UNIX" "$OKV2,\"family\":\"UNIX\",\"transport\":\"STREAM\",\"src\":\"/run/haproxy.sock\",\"dst\":\"/var/run/app.sock\",\"header_len\":232,\"payload_len\":0,\"tlvs\":[]}" \
        --src unix:/run/haproxy.sock --dst unix:/var/run/app.sock
    round "v2 UDP INET" "$OKV2,\"family\":\"INET\",\"transport\":\"DGRAM\",\"src\":\"10.0.0.1\",\"src_port\":53,\"dst\":\"10.0.0.2\",\"dst_port\":5353,\"header_len\":28,\"payload_len\":0,\"tlvs\":[]}" \
        --udp --src 10.0.0.1:53 --dst 10.0.0.2:5353
    encode_is "v2 UDP INET6" "${SIG}2122002400000000000000000000000000000001000000000000000000000000000000020001fffe" \
        --udp --src '[::1]:1' --dst '[::2]:65534'
    round "v2 UDP UNIX" "$OKV2,\"family\":\"UNIX\",\"transport\":\"DGRAM\",\"src\":\"/a\",\"dst\":\"/b\",\"header_len\":232,\"payload_len\":0,\"tlvs\":[]}" \
        --udp --src unix:/a --dst unix:/b
    encode_is "v2 LOCAL" "${SIG}20000000" --local
    round "v2 LOCAL" "$LOCAL,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":16,\"payload_len\":0,\"tlvs\":[]}" --local
    encode_is "v2 PROXY, no addresses" "${SIG}21000000"
    round "v2 LOCAL with a TLV" "$LOCAL,\"family\":\"UNSPEC\",\"transport\":\"UNSPEC\",\"header_len\":21,\"payload_len\":0,\"tlvs\":[$(tlv 1 2 6832)]}" --local --alpn h2
    # Raw bytes, then payload: decode counts it and leaves it alone.
    { "$BIN" encode --src 192.0.2.1:56324 --dst 198.51.100.7:443; printf 'hello'; } >"$TMP/p"
    run "$BIN" decode "$TMP/p"
    expect_has "payload after an encoded header" 0 '"header_len":28,"payload_len":5,'
}

test_encode_tlvs() {
    tlvs_of "--alpn" 5 "$(tlv 1 2 6832)" --alpn h2
    tlvs_of "--authority" 14 "$(tlv 2 11 "$(hexs example.com)")" --authority example.com
    tlvs_of "--unique-id" 9 "$(tlv 5 6 "$(hexs abc123)")" --unique-id abc123
    tlvs_of "--netns" 7 "$(tlv 48 4 "$(hexs blue)")" --netns blue
    tlvs_of "--tlv hex type, mixed-case hex" 7 "$(tlv 240 4 deadbeef)" --tlv 0xF0:DeadBeef
    tlvs_of "--tlv decimal type, empty value" 3 "$(tlv 241 0 '')" --tlv 241:
    tlvs_of "--ssl" 8 "$(tlv 32 5 0100000000 '"ssl":{"client":1,"verify":0,"tlvs":[]}')" --ssl
    tlvs_of "--ssl-client --ssl-verify" 8 "$(tlv 32 5 0500000102 '"ssl":{"client":5,"verify":258,"tlvs":[]}')" --ssl-client 5 --ssl-verify 0x102
    for _s in version:33:TLSv1.3 cn:34:client.example.org cipher:35:TLS_AES_128_GCM_SHA256 \
        sig-alg:36:RSA-SHA256 key-alg:37:RSA2048 group:38:X25519 sig-scheme:39:ecdsa_secp256r1_sha256; do
        _opt=${_s%%:*}
        _rest=${_s#*:}
        _type=${_rest%%:*}
        _val=${_rest#*:}
        _vh=$(hexs "$_val")
        _vl=${#_val}
        tlvs_of "--ssl-$_opt" $((11 + _vl)) "$(tlv 32 $((5 + 3 + _vl)) "0100000000$(printf '%02x%04x' "$_type" "$_vl")$_vh" "\"ssl\":{\"client\":1,\"verify\":0,\"tlvs\":[$(tlv "$_type" "$_vl" "$_vh")]}")" "--ssl-$_opt" "$_val"
    done
    tlvs_of "--ssl-client-cert-hex" 15 "$(tlv 32 12 010000000028000430820122 '"ssl":{"client":1,"verify":0,"tlvs":[{"type":40,"length":4,"value":"30820122"}]}')" --ssl-client-cert-hex 30820122
    tlvs_of "SSL sub-TLVs in one SSL TLV, in order" 25 "$(tlv 32 17 0700000000220001612100017823000179 "\"ssl\":{\"client\":7,\"verify\":0,\"tlvs\":[$(tlv 34 1 61),$(tlv 33 1 78),$(tlv 35 1 79)]}"),$(tlv 1 2 6832)" \
        --ssl-cn a --ssl-client 7 --ssl-version x --ssl-cipher y --alpn h2
    tlvs_of "--aws-vpce-id" 26 "$(tlv 234 23 "01$(hexs vpce-0123456789abcdef0)" '"aws_vpce_id":"vpce-0123456789abcdef0"')" --aws-vpce-id vpce-0123456789abcdef0
    tlvs_of "--azure-linkid (little-endian)" 8 "$(tlv 238 5 0178563412 '"azure_linkid":305419896')" --azure-linkid 0x12345678
    tlvs_of "--gcp-psc-id (big-endian, 64 bits)" 11 "$(tlv 224 8 fedcba9876543210 '"gcp_psc_id":18364758544493064720')" --gcp-psc-id 18364758544493064720
    tlvs_of "options keep command-line order" 12 "$(tlv 2 1 62),$(tlv 240 1 01),$(tlv 1 1 61)" --authority b --tlv 0xf0:01 --alpn a
    tlvs_of "vendor id only where its layout is valid" 27 "$(tlv 234 2 0278),$(tlv 234 2 0178 '"aws_vpce_id":"x"'),$(tlv 238 4 01000000),$(tlv 224 7 00000000000001)" \
        --tlv 0xea:0278 --tlv 0xea:0178 --tlv 0xee:01000000 --tlv 0xe0:00000000000001
    # SSL sub-types at top level are unknown types: no "ssl" key.
    tlvs_of "SSL sub-type at top level" 4 "$(tlv 33 1 78)" --tlv 0x21:78
}

test_encode_special() {
    # --pad: the header length becomes a multiple, with a NOOP (type 4).
    _bad=
    for _a in 4 16 64 256; do
        "$BIN" encode --src 192.0.2.1:56324 --dst 198.51.100.7:443 --alpn h2 --pad "$_a" >"$TMP/enc"
        run "$BIN" decode "$TMP/enc"
        _hl=$(printf '%s' "$OUT" | sed -n 's/.*"header_len":\([0-9]*\),.*/\1/p')
        case $RC:$OUT in
        0:*'{"type":4,'*) [ $((_hl % _a)) = 0 ] || _bad="$_bad $_a:$_hl" ;;
        *) _bad="$_bad $_a:$RC" ;;
        esac
    done
    if [ -z "$_bad" ]; then pass "--pad aligns the header with a NOOP TLV"
    else fail "--pad" "align:header_len$_bad"; fi
    # --crc32c: first whatever its place, the brief's example value.
    encode_is "--crc32c" "${V2H}030004d45a11b9" --src 192.0.2.1:56324 --dst 198.51.100.7:443 --crc32c
    "$BIN" encode --crc32c --alpn h2 --src 192.0.2.1:56324 --dst 198.51.100.7:443 --unique-id xyz >"$TMP/enc"
    run "$BIN" decode "$TMP/enc"
    expect_has "--crc32c comes first and checks out" 0 '"tlvs":[{"type":3,"length":4,"value":"'
    _hex=$(hexf "$TMP/enc")
    _bad=
    # Address, CRC value and TLV value bytes (not types or lengths).
    for _k in 16 17 21 26 27 31 34 38 39 43 45; do
        run "$BIN" decode --hex <<EOF
$(flip "$_hex" $_k)
EOF
        case $RC:$OUT in
        1:*PROXYPROTO_ERR_V2_CRC32C_MISMATCH*) ;;
        *) _bad="$_bad $_k" ;;
        esac
    done
    if [ -z "$_bad" ]; then pass "--crc32c header with a flipped byte is rejected"
    else fail "--crc32c flipped byte" "accepted, byte(s)$_bad"; fi
    "$BIN" encode --src unix:/a --dst unix:/b --ssl --crc32c >"$TMP/enc"
    run "$BIN" decode "$TMP/enc"
    expect_has "--crc32c with UNIX addresses and SSL" 0 '"header_len":247,"payload_len":0,"tlvs":[{"type":3,"length":4,"value":"'
}

test_json_escaping() {
    # A UNIX path with a quote, a backslash, a control byte and a byte
    # above 0x7F: JSON escapes, \u00xx for the bytes outside ASCII text.
    _path=$(printf '/q"b\\c\001\200')
    round "UNIX path JSON escaping" "$OKV2,\"family\":\"UNIX\",\"transport\":\"STREAM\",\"src\":\"/q\\\"b\\\\c\\u0001\\u0080\",\"dst\":\"/d\",\"header_len\":232,\"payload_len\":0,\"tlvs\":[]}" \
        --src "unix:$_path" --dst unix:/d
    # A path of all 108 bytes has no NUL: all of it is the path.
    _p108=/$(printf '%0107d' 0)
    round "UNIX path of 108 bytes" "$OKV2,\"family\":\"UNIX\",\"transport\":\"STREAM\",\"src\":\"$_p108\",\"dst\":\"/d\",\"header_len\":232,\"payload_len\":0,\"tlvs\":[]}" \
        --src "unix:$_p108" --dst unix:/d
}

test_encode_errors() {
    run "$BIN" encode --v1 --alpn h2
    expect_usage "encode: TLV option with v1"
    run "$BIN" encode --v1 --crc32c
    expect_usage "encode: --crc32c with v1"
    run "$BIN" encode -1 --udp --src 1.2.3.4:1 --dst 1.2.3.4:2
    expect_usage "encode: --udp with v1"
    run "$BIN" encode --src 1.2.3.4:1
    expect_usage "encode: --src without --dst"
    run "$BIN" encode --src 1.2.3.4:1 --dst '[::1]:2'
    expect_usage "encode: --src and --dst of two families"
    for _bad in 1.2.3.4 1.2.3:4 1.2.3.4:65536 1.2.3.4:x ::1:80 '[::1]80' '[1:2]:80' "unix:/$(printf '%0108d' 0)"; do
        run "$BIN" encode --src "$_bad" --dst 1.2.3.4:1
        expect_usage "encode: bad address $_bad"
    done
    run "$BIN" encode --tlv 1:abc
    expect_usage "encode: --tlv odd hex"
    run "$BIN" encode --tlv 256:00
    expect_usage "encode: --tlv type over 255"
    run "$BIN" encode --tlv 0x1g:00
    expect_usage "encode: --tlv bad type"
    run "$BIN" encode --ssl-client 256
    expect_usage "encode: --ssl-client over 255"
    run "$BIN" encode --azure-linkid 4294967296
    expect_usage "encode: --azure-linkid over 32 bits"
    run "$BIN" encode --gcp-psc-id 18446744073709551616
    expect_usage "encode: --gcp-psc-id over 64 bits"
    run "$BIN" encode --gcp-psc-id -1
    expect_usage "encode: negative number"
    # Refused by the library: its message on stderr, exit 1.
    run "$BIN" encode --v1 --src unix:/a --dst unix:/b
    expect_fail "encode: v1 UNIX" "v1 carries only TCP"
    run "$BIN" encode --pad 0
    expect_fail "encode: --pad 0" "invalid argument"
    # (Arguments stay under Linux's 128 KiB limit for one argument.)
    run "$BIN" encode --alpn "$(printf '%065536d' 0)"
    expect_fail "encode: TLV over 65535 bytes" "longer than 65535"
    _many=
    for _k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 \
        25 26 27 28 29 30 31 32 33; do _many="$_many --alpn $_k"; done
    # shellcheck disable=SC2086 # word splitting wanted
    run "$BIN" encode $_many
    expect_fail "encode: 33 TLVs" "PROXYPROTO_BUILDER_MAX"
    _big=$(printf '%040000d' 0)
    run "$BIN" encode --alpn "$_big" --authority "$_big"
    expect_fail "encode: header over 65551 bytes" "longer than 65551"
}

# ---- send (offline: each case is refused before any socket is made) -------

test_send_offline() {
    run "$BIN" send --help
    if [ "$RC" = 0 ] && [ -n "$OUT" ] && [ ! -s "$TMP/err" ]; then
        pass "send --help: usage on stdout, exit 0"
    else
        fail "send --help" "exit $RC, stderr: $(cat "$TMP/err")"
    fi
    run "$BIN" send
    expect_usage "send: no HOST:PORT"
    run "$BIN" send --v1 127.0.0.1:1
    expect_usage "send: option before HOST:PORT"
    for _bad in 127.0.0.1 127.0.0.1:65536 ::1:80 '[::1]80' localhost:80; do
        run "$BIN" send "$_bad"
        expect_usage "send: bad HOST:PORT $_bad"
    done
    run "$BIN" send 127.0.0.1:1 --frobnicate
    expect_usage "send: unknown option"
    run "$BIN" send 127.0.0.1:1 --hex
    expect_usage "send: --hex"
    run "$BIN" send 127.0.0.1:1 --timeout
    expect_usage "send: --timeout without its value"
    run "$BIN" send 127.0.0.1:1 --timeout 1s
    expect_usage "send: --timeout not a number"
    run "$BIN" send 127.0.0.1:1 --v1 --alpn h2
    expect_usage "send: TLV option with v1"
    run "$BIN" send 127.0.0.1:1 --v1 --local
    expect_usage "send: --local with v1"
    run "$BIN" send 127.0.0.1:1 --src 1.2.3.4:1
    expect_usage "send: --src without --dst"
    run "$BIN" send 127.0.0.1:1 --src 1.2.3.4:1 --dst '[::1]:2'
    expect_usage "send: --src and --dst of two families"
    run "$BIN" send 127.0.0.1:1 --v1 --src unix:/a --dst unix:/b
    expect_fail "send: header refused by the library" "v1 carries only TCP"
}

test_dispatch
test_captures
test_hex_input
test_incomplete
test_invalid
test_decode_fields
test_encode_plain
test_encode_tlvs
test_encode_special
test_json_escaping
test_encode_errors
test_send_offline

echo "cli: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
