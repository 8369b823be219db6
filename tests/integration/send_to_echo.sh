#!/usr/bin/env bash
# `proxyproto send` as the load balancer in front of echo-server (IPv4 and
# IPv6 listeners): the header's addresses, not the socket's, are logged;
# every TLV the log shows comes out under its key, in the documented order
# (alpn authority tls cipher cn unique_id) whatever order the header has
# them in; a value byte outside 0x21-0x7E is written \xNN; and 64 KiB of
# binary payload, a stacked second header included, goes through send and
# back byte for byte. A header with a wrong CRC32C is rejected.
TEST_NAME="send-to-echo"
. "$(dirname "$0")/lib.sh"

need_tools socat || exit 1
need_bins echo-server proxyproto || exit 1

free_port E4 E6
start_server echo4 "$E4" "$BIN/echo-server" --listen "127.0.0.1:$E4" || exit 1
start_server echo6 "$E6" "$BIN/echo-server" --listen "[::1]:$E6" || exit 1

make_payload "$T/payload"

# send_case NAME TO LOG WANT-LINE OPTIONS...: the payload through
# `proxyproto send TO OPTIONS`, back byte for byte; LOG gets WANT-LINE.
send_case() {
    local name=$1 to=$2 log=$3 want=$4
    shift 4
    timeout 8 "$BIN/proxyproto" send "$to" --timeout 5000 "$@" \
        <"$T/payload" >"$T/reply" 2>"$T/send.err"
    RC=$?
    if [ "$RC" = 0 ] && cmp -s "$T/payload" "$T/reply"; then
        pass "$name: payload through send and back byte for byte"
    else
        fail "$name: payload through send and back byte for byte" \
            "exit $RC, sent $(wc -c <"$T/payload") bytes, got $(wc -c <"$T/reply") ($(head -c 200 "$T/send.err"))"
    fi
    wait_line "$log" "$want" 3
    expect_eq "$name: log line" "$(line_with "$log" "${want%% server=*} ")" "$want"
}

send_case "v1 TCP4" "127.0.0.1:$E4" "$T/echo4.log" \
    "conn client=127.0.0.71:40001 server=127.0.0.1:443 proxy=v1 cmd=PROXY" \
    --v1 --src 127.0.0.71:40001 --dst 127.0.0.1:443
send_case "v1 TCP6" "[::1]:$E6" "$T/echo6.log" \
    "conn client=[::1]:40002 server=[::1]:443 proxy=v1 cmd=PROXY" \
    --v1 --src "[::1]:40002" --dst "[::1]:443"
send_case "v2 INET6 over an IPv4 connection" "127.0.0.1:$E4" "$T/echo4.log" \
    "conn client=[::1]:40003 server=[::1]:8443 proxy=v2 cmd=PROXY" \
    --v2 --src "[::1]:40003" --dst "[::1]:8443"
# TLVs given in another order than the log's, with CRC32C and padding.
send_case "v2 with every logged TLV" "127.0.0.1:$E4" "$T/echo4.log" \
    "conn client=127.0.0.72:40004 server=127.0.0.1:443 proxy=v2 cmd=PROXY alpn=h2 authority=api.example.net tls=TLSv1.3 cipher=TLS_AES_128_GCM_SHA256 cn=client.example.org unique_id=abc-40004" \
    --v2 --src 127.0.0.72:40004 --dst 127.0.0.1:443 --crc32c --unique-id abc-40004 \
    --ssl-cn client.example.org --ssl-cipher TLS_AES_128_GCM_SHA256 --ssl-version TLSv1.3 \
    --authority api.example.net --alpn h2 --pad 16
send_case "v2 TLV value with a space and a backslash" "127.0.0.1:$E4" "$T/echo4.log" \
    'conn client=127.0.0.73:40005 server=127.0.0.1:443 proxy=v2 cmd=PROXY authority=a\x20b\x5cc' \
    --v2 --src 127.0.0.73:40005 --dst 127.0.0.1:443 --authority 'a b\c'
# LOCAL: the socket's own addresses are logged.
timeout 8 "$BIN/proxyproto" send "127.0.0.1:$E4" --timeout 5000 --local \
    <"$T/payload" >"$T/reply" 2>"$T/send.err"
RC=$?
check "v2 LOCAL: payload through send and back byte for byte" \
    "exit $RC, got $(wc -c <"$T/reply") bytes back" cmp -s "$T/payload" "$T/reply"
wait_line "$T/echo4.log" "cmd=LOCAL" 3
line=$(line_with "$T/echo4.log" "cmd=LOCAL")
case $line in
"conn client=127.0.0.1:"*" server=127.0.0.1:$E4 proxy=v2 cmd=LOCAL") pass "v2 LOCAL: log line names the socket" ;;
*) fail "v2 LOCAL: log line names the socket" "got '$line'" ;;
esac
expect_eq "no reject line so far" "$(cat "$T/echo4.log" "$T/echo6.log" | grep -c reject)" 0

# One byte of the AUTHORITY value changed after the CRC32C was computed.
"$BIN/proxyproto" encode --v2 --src 127.0.0.74:40006 --dst 127.0.0.1:443 --crc32c \
    --authority api.example.net >"$T/hdr" 2>"$T/encode.err"
sed 's/api\.example/apj.example/' "$T/hdr" >"$T/hdr.bad"
{ cat "$T/hdr.bad"; printf 'hello\n'; } >"$T/req"
OUT=$(timeout 5 socat -t 3 - "TCP4:127.0.0.1:$E4" <"$T/req" 2>/dev/null)
expect_eq "v2 with a wrong CRC32C: nothing echoed" "$OUT" ""
expect_line "v2 with a wrong CRC32C: rejected" "$T/echo4.log" "error=PROXYPROTO_ERR_V2_CRC32C_MISMATCH"

finish
