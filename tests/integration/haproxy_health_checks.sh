#!/usr/bin/env bash
# HAProxy health checks (inter 200 ms, fall 1: one failed check marks the
# server DOWN) against the servers:
#   - `check send-proxy-v2`: each check is a v2 LOCAL header (family UNSPEC,
#     len 0) then a close; echo-server must log "proxy=v2 cmd=LOCAL" with
#     the real socket addresses and reject none of them;
#   - `check send-proxy-v2 proxy-v2-options crc32c`: LOCAL with a CRC32C
#     TLV (23 bytes), which must verify;
#   - `check check-send-proxy` (v1, checks only): HAProxy 2.6 writes
#     "PROXY TCP4 <its check source> <server>" (seen on the wire: not
#     UNKNOWN), which echo-server logs as proxy=v1 cmd=PROXY;
#   - `option httpchk` + `check send-proxy-v2` on http-server: the check is
#     LOCAL then "GET /", and passes (L7OK) only if http-server answers 2xx.
# HAProxy's `show stat` (stats socket, via socat) must show every server UP
# with its check passed and no failed check; traffic through the checked
# backends keeps flowing afterwards.
# HAProxy ends a TCP check with a reset (SO_LINGER 0, seen with strace)
# right after writing the header, often before the server has looked at the
# connection. The header is still readable then, so the check must still be
# logged as such: the last part replays exactly that (socat linger=0) from
# known source ports against echo-server and epoll-server, and wants one
# conn line for every connection and no reject.
TEST_NAME="haproxy-health-checks"
. "$(dirname "$0")/lib.sh"

need_tools haproxy socat curl || exit 1
need_bins http-server echo-server epoll-server proxyproto || exit 1

free_port E_V2 E_CRC E_V1 HTTP F_V2 F_HTTP
start_server echo_v2 "$E_V2" "$BIN/echo-server" --listen "127.0.0.1:$E_V2" || exit 1
start_server echo_crc "$E_CRC" "$BIN/echo-server" --listen "127.0.0.1:$E_CRC" || exit 1
start_server echo_v1 "$E_V1" "$BIN/echo-server" --listen "127.0.0.1:$E_V1" || exit 1
start_server http "$HTTP" "$BIN/http-server" --listen "127.0.0.1:$HTTP" || exit 1

{
    haproxy_global tcp
    cat <<EOC

frontend fe_v2
    bind 127.0.0.1:$F_V2
    default_backend be_v2

backend be_v2
    server e_v2 127.0.0.1:$E_V2 check inter 200 rise 1 fall 1 send-proxy-v2

backend be_crc
    server e_crc 127.0.0.1:$E_CRC check inter 200 rise 1 fall 1 send-proxy-v2 proxy-v2-options crc32c

backend be_v1
    server e_v1 127.0.0.1:$E_V1 check inter 200 rise 1 fall 1 check-send-proxy

frontend fe_http
    bind 127.0.0.1:$F_HTTP
    default_backend be_http

backend be_http
    option httpchk GET /health
    server h 127.0.0.1:$HTTP check inter 200 rise 1 fall 1 send-proxy-v2
EOC
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F_V2" "$F_HTTP" || exit 1

# Let at least 8 rounds of checks happen (inter 200 ms: about 2 s; bounded
# to 4 s, 20 rounds), counted on the echo-servers' logs.
MIN=8
deadline=$(($(now_ms) + 4000))
while [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(count_lines "$T/echo_v2.log" "cmd=LOCAL")" -ge $MIN ] &&
        [ "$(count_lines "$T/echo_crc.log" "cmd=LOCAL")" -ge $MIN ] &&
        [ "$(count_lines "$T/echo_v1.log" "proxy=v1")" -ge $MIN ] && break
    sleep 0.1
done

n=$(count_lines "$T/echo_v2.log" "cmd=LOCAL")
check "send-proxy-v2 checks: echo-server logged LOCAL connections ($n)" \
    "fewer than $MIN 'cmd=LOCAL' lines: $(head -n 3 "$T/echo_v2.log" | tr '\n' '|')" [ "$n" -ge $MIN ]
# Every LOCAL line names the socket's own addresses (proxyproto(7) section 3).
bad=$(grep -F "cmd=LOCAL" "$T/echo_v2.log" |
    grep -cvE "^conn client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:$E_V2 proxy=v2 cmd=LOCAL\$")
expect_eq "send-proxy-v2 checks: LOCAL lines carry the socket addresses" "$bad" 0
expect_eq "send-proxy-v2 checks: no reject line" "$(count_lines "$T/echo_v2.log" reject)" 0

n=$(count_lines "$T/echo_crc.log" "cmd=LOCAL")
check "send-proxy-v2 crc32c checks: LOCAL with CRC32C TLV accepted ($n)" \
    "fewer than $MIN 'cmd=LOCAL' lines: $(head -n 3 "$T/echo_crc.log" | tr '\n' '|')" [ "$n" -ge $MIN ]
expect_eq "send-proxy-v2 crc32c checks: no reject line" "$(count_lines "$T/echo_crc.log" reject)" 0

n=$(count_lines "$T/echo_v1.log" "proxy=v1 cmd=PROXY")
check "check-send-proxy (v1) checks: echo-server logged them ($n)" \
    "fewer than $MIN 'proxy=v1 cmd=PROXY' lines: $(head -n 3 "$T/echo_v1.log" | tr '\n' '|')" [ "$n" -ge $MIN ]
bad=$(grep -F "proxy=v1" "$T/echo_v1.log" |
    grep -cvE "^conn client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:$E_V1 proxy=v1 cmd=PROXY\$")
expect_eq "check-send-proxy (v1) checks: lines name HAProxy's check connection" "$bad" 0
expect_eq "check-send-proxy (v1) checks: no reject line" "$(count_lines "$T/echo_v1.log" reject)" 0

expect_eq "httpchk + send-proxy-v2: http-server rejected none" "$(count_lines "$T/http.log" reject)" 0

# settled_stat BACKEND SERVER: "status check_status chkfail check_code" from
# one `show stat`, taken when no check of that server is in progress (at
# most 2 s of tries): HAProxy then shows the last result with a "* " before
# it and no HTTP code yet, which says nothing about the server.
settled_stat() {
    i=0
    while :; do
        line=$(echo "show stat" | timeout 3 socat - "UNIX-CONNECT:$T/haproxy.sock" 2>/dev/null |
            awk -F, -v px="$1" -v sv="$2" '
                NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
                $1 == px && $2 == sv {
                    print $(col["status"]) "|" $(col["check_status"]) "|" \
                        $(col["chkfail"]) "|" $(col["check_code"]); exit }')
        case $line in
        *"|* "*) [ $i -lt 20 ] || break; i=$((i + 1)); sleep 0.1 ;;
        *) break ;;
        esac
    done
    echo "$line" | tr '|' ' '
}
for s in "be_v2 e_v2 L4OK" "be_crc e_crc L4OK" "be_v1 e_v1 L4OK" "be_http h L7OK"; do
    set -- $s
    st=$(settled_stat "$1" "$2")
    expect_eq "show stat: $1/$2 UP, $3, no failed check" "$(echo "$st" | cut -d' ' -f1-3)" "UP $3 0"
    [ "$1" = be_http ] &&
        expect_eq "show stat: be_http/h check got HTTP 200" "$(echo "$st" | cut -d' ' -f4)" 200
done
expect_eq "HAProxy log: no server went DOWN" "$(count_lines "$T/haproxy.log" "is DOWN")" 0

# Traffic keeps flowing through the checked backends.
free_port CP
printf 'ping\n' >"$T/ping"
socat_echo "$T/pong" "$T/ping" "TCP4:127.0.0.1:$F_V2,sourceport=$CP"
expect_eq "traffic through be_v2 after checks: echoed" "$(cat "$T/pong")" "ping"
expect_line "traffic through be_v2 after checks: client logged" "$T/echo_v2.log" \
    "conn client=127.0.0.1:$CP server=127.0.0.1:$F_V2 proxy=v2 cmd=PROXY"
free_port CP
http_get "http://127.0.0.1:$F_HTTP/" "$CP"
expect_ip_body "traffic through be_http after checks" "$BODY" 127.0.0.1 "$CP"

# ---- a check's way of closing: header, then reset ---------------------------

free_port EP
start_server epoll "$EP" "$BIN/epoll-server" --listen "127.0.0.1:$EP" || exit 1
"$BIN/proxyproto" encode --local >"$T/local.bin" 2>"$T/encode.err"

# rst_checks NAME LOG PORT: 10 v2 LOCAL headers and 10 v1 lines (as
# HAProxy's v1 checks send), each followed at once by a reset.
rst_checks() {
    local name=$1 log=$2 port=$3 i cp wants="" missing="" n=0 deadline
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        free_port cp
        if [ $i -le 10 ]; then
            timeout 3 socat -u "OPEN:$T/local.bin" \
                "TCP4:127.0.0.1:$port,sourceport=$cp,linger=0" 2>/dev/null
            wants="$wants$cp v2 cmd=LOCAL
"
        else
            printf 'PROXY TCP4 127.0.0.1 127.0.0.1 %s %s\r\n' "$cp" "$port" |
                timeout 3 socat -u - "TCP4:127.0.0.1:$port,sourceport=$cp,linger=0" 2>/dev/null
            wants="$wants$cp v1 cmd=PROXY
"
        fi
    done
    # One bounded wait (2 s) for all 20 lines, then look at each.
    deadline=$(($(now_ms) + 2000))
    while [ "$(grep -c "^conn client=127\.0\.0\.1:[0-9]* server=127\.0\.0\.1:$port " "$log")" -lt 20 ] &&
        [ "$(now_ms)" -lt "$deadline" ]; do
        sleep 0.1
    done
    while read -r cp v cmd; do
        [ -n "$cp" ] || continue
        if grep -qxF "conn client=127.0.0.1:$cp server=127.0.0.1:$port proxy=$v $cmd" "$log"; then
            n=$((n + 1))
        else
            missing="$missing|$cp: $(grep -F ":$cp " "$log" | head -n 1)"
        fi
    done <<EOF2
$wants
EOF2
    if [ -z "$missing" ]; then
        pass "$name: 20/20 check connections closed by a reset right after the header logged as conn lines"
    else
        fail "$name: check connections closed by a reset right after the header logged as conn lines" \
            "$n/20 logged; missing (port: line instead)$missing"
    fi
}
rst_checks echo-server "$T/echo_v2.log" "$E_V2"
rst_checks epoll-server "$T/epoll.log" "$EP"
expect_eq "echo-server: still no reject line" "$(count_lines "$T/echo_v2.log" reject)" 0
expect_eq "epoll-server: no reject line" "$(count_lines "$T/epoll.log" reject)" 0

finish
