#!/usr/bin/env bash
# HAProxy (mode tcp) in front of http-server and echo-server with
# send-proxy (v1), send-proxy-v2, and send-proxy-v2 with proxy-v2-options
# crc32c,unique-id. Clients on 127.0.0.1 and ::1 pick their source port
# (curl --local-port, socat sourceport=), so the expected client address is
# known exactly:
#   - http-server answers "IP = <client ip>:<client source port>";
#   - echo-server logs "conn client=<client> server=<HAProxy frontend>
#     proxy=v1|v2 cmd=PROXY" (plus unique_id=... when HAProxy sends one) and
#     returns the payload byte for byte, a stacked second PROXY header
#     included.
# A v2 header with crc32c is only accepted when the server's CRC32C matches
# HAProxy's, so every crc32c check also proves the checksum.
TEST_NAME="haproxy-send-proxy"
. "$(dirname "$0")/lib.sh"

need_tools haproxy curl socat || exit 1
need_bins http-server echo-server || exit 1

free_port HTTP4 HTTP6 ECHO F_V1_HTTP F_V2_HTTP F_CRC_HTTP F_V1_ECHO F_V2_ECHO F_CRC_ECHO
start_server http4 "$HTTP4" "$BIN/http-server" --listen "127.0.0.1:$HTTP4" || exit 1
start_server http6 "$HTTP6" "$BIN/http-server" --listen "[::1]:$HTTP6" || exit 1
start_server echo "$ECHO" "$BIN/echo-server" --listen "127.0.0.1:$ECHO" || exit 1

# Every frontend listens on 127.0.0.1 and ::1 at the same port. The crc32c
# HTTP backend is reached over IPv6: HAProxy -> [::1] -> http-server.
{
    haproxy_global tcp
    for fe in "v1_http $F_V1_HTTP 127.0.0.1:$HTTP4 send-proxy" \
        "v2_http $F_V2_HTTP 127.0.0.1:$HTTP4 send-proxy-v2" \
        "crc_http $F_CRC_HTTP [::1]:$HTTP6 send-proxy-v2 proxy-v2-options crc32c,unique-id" \
        "v1_echo $F_V1_ECHO 127.0.0.1:$ECHO send-proxy" \
        "v2_echo $F_V2_ECHO 127.0.0.1:$ECHO send-proxy-v2" \
        "crc_echo $F_CRC_ECHO 127.0.0.1:$ECHO send-proxy-v2 proxy-v2-options crc32c,unique-id"; do
        set -- $fe
        name=$1 port=$2 server=$3
        shift 3
        cat <<EOC

frontend fe_$name
    bind 127.0.0.1:$port
    bind [::1]:$port
    unique-id-format uid-%[src_port]-$name
    default_backend be_$name

backend be_$name
    server s1 $server $*
EOC
    done
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F_V1_HTTP" "$F_V2_HTTP" "$F_CRC_HTTP" \
    "$F_V1_ECHO" "$F_V2_ECHO" "$F_CRC_ECHO" || exit 1

# ---- http-server: the body names the client --------------------------------

for fe in "v1 $F_V1_HTTP" "v2 $F_V2_HTTP" "v2+crc32c+unique-id $F_CRC_HTTP"; do
    set -- $fe
    free_port CP
    http_get "http://127.0.0.1:$2/" "$CP"
    expect_ip_body "http-server via HAProxy $1, IPv4 client :$CP" "$BODY" 127.0.0.1 "$CP"
    free_port CP
    http_get "http://[::1]:$2/" "$CP" -g
    expect_ip_body "http-server via HAProxy $1, IPv6 client :$CP" "$BODY" ::1 "$CP"
done

# Three requests in one curl run, from ports the kernel picks (curl tells
# which: %{local_port}); http-server answers "Connection: close", so curl
# connects anew for each: every body must name its own connection's port.
OUT=$(curl -sS --max-time 5 -w ' %{local_port}\n' "http://127.0.0.1:$F_V2_HTTP/a" \
    "http://127.0.0.1:$F_V2_HTTP/b" "http://127.0.0.1:$F_V2_HTTP/c" 2>"$T/curl.err")
n=0 bad=
while read -r a b c port; do
    [ -n "$a" ] || continue
    n=$((n + 1))
    [ "$a $b $c" = "IP = 127.0.0.1:$port" ] || bad="$bad|$a $b $c (port $port)"
done <<EOF
$OUT
EOF
expect_eq "http-server via HAProxy v2, 3 requests from kernel-chosen ports" "$n:$bad" "3:"

# ---- echo-server: the log names the client, the payload comes back ---------

make_payload "$T/payload"
for fe in "v1 $F_V1_ECHO" "v2 $F_V2_ECHO" "crc $F_CRC_ECHO"; do
    set -- $fe
    kind=$1 fport=$2
    for fam in 4 6; do
        free_port CP
        if [ $fam = 4 ]; then
            client=127.0.0.1:$CP server=127.0.0.1:$fport
            socat_echo "$T/reply" "$T/payload" "TCP4:127.0.0.1:$fport,sourceport=$CP"
        else
            client="[::1]:$CP" server="[::1]:$fport"
            socat_echo "$T/reply" "$T/payload" "TCP6:[::1]:$fport,sourceport=$CP"
        fi
        what="echo-server via HAProxy $kind, IPv$fam client :$CP"
        if cmp -s "$T/payload" "$T/reply"; then
            pass "$what: payload echoed byte for byte"
        else
            fail "$what: payload echoed byte for byte" \
                "sent $(wc -c <"$T/payload") bytes, got $(wc -c <"$T/reply") back (socat exit $RC: $(head -c 200 "$T/socat.err"))"
        fi
        case $kind in
        v1) want="conn client=$client server=$server proxy=v1 cmd=PROXY" ;;
        v2) want="conn client=$client server=$server proxy=v2 cmd=PROXY" ;;
        crc) want="conn client=$client server=$server proxy=v2 cmd=PROXY unique_id=uid-$CP-crc_echo" ;;
        esac
        wait_line "$T/echo.log" "conn client=$client " 3
        expect_eq "$what: log line" "$(line_with "$T/echo.log" "conn client=$client ")" "$want"
    done
done

# Nothing was rejected on the way.
expect_eq "echo-server: no reject line" "$(count_lines "$T/echo.log" reject)" 0
expect_eq "http-server (IPv4): no reject line" "$(count_lines "$T/http4.log" reject)" 0
expect_eq "http-server (IPv6): no reject line" "$(count_lines "$T/http6.log" reject)" 0

finish
