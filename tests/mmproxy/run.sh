#!/usr/bin/env bash
# tests/mmproxy/run.sh - proxyproto-mmproxy in front of unmodified servers.
#
#   bash tests/mmproxy/run.sh BUILD_DIR        (make test-mmproxy)
#
# The relay needs root (IP_TRANSPARENT) and a routing rule, so the test
# runs in a network namespace of its own: it re-executes itself under
# `unshare -n`, brings up lo and applies the set-up that
# `proxyproto-mmproxy --print-setup` prints, inside the namespace only.
# Not root, or no namespaces: one SKIP line, counted as skipped, exit 0.
#
# Servers behind the relay: BUILD_DIR/tests/mmproxy-peer (static, accepts
# through syscall(): tests/mmproxy/peer.c) and python3 -m http.server.
# In front: `proxyproto send` (v1, v2, LOCAL; IPv4 and IPv6) and HAProxy
# send-proxy / send-proxy-v2 (its `tcp-request connection set-src` gives
# the client an address of its own). Checks: the server sees the header's
# client address and port; 1 MiB both ways byte-exact at once (echo) and
# after a half-close (the server answers only once the client's end of
# stream has come through); backpressure (a server that reads nothing
# stops the relay reading: no more is taken than the socket buffers and a
# pipe hold); resets both ways; untrusted peers, bad headers and a header
# slower than --header-timeout refused, with the next client served; out
# of descriptors, the waiting client closed and the loop going on; two
# workers; UDP (--udp) echo through v2 DGRAM headers, IPv4 and IPv6, a flow
# per client ended when idle, bad datagrams dropped. Only lo carries
# traffic. Every wait is bounded; the EXIT trap of
# tests/integration/lib.sh ends every process started here (and the
# namespace goes with the last of them). Prints ok/FAIL per check and
# ends with "mmproxy: N passed, M failed".
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac

if [ -z "${MMPROXY_IN_NETNS:-}" ]; then
    skip() {
        echo "SKIP - mmproxy: $*"
        echo "mmproxy: 0 passed, 0 failed, 1 skipped"
        exit 0
    }
    [ "$(id -u)" = 0 ] || skip "not root: the relay needs CAP_NET_ADMIN and routing rules, set up in a network namespace the test makes"
    command -v unshare >/dev/null 2>&1 || skip "unshare(1) is not installed"
    command -v ip >/dev/null 2>&1 || skip "ip(8) is not installed"
    unshare -n true 2>/dev/null || skip "network namespaces are not available here (unshare -n fails)"
    exec unshare -n env MMPROXY_IN_NETNS=1 bash "$0" "$BDIR"
fi

TEST_NAME=mmproxy
unset INTEG_RESULTS
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

MM=$BIN/proxyproto-mmproxy
PP=$BIN/proxyproto
PEER=$BDIR/tests/mmproxy-peer
CLIENT="python3 $HERE/client.py"
need_tools python3 haproxy curl socat ip sysctl || { finish; exit 1; }
for f in "$MM" "$PP" "$PEER"; do
    [ -x "$f" ] || { fail "prerequisite $f" "missing"; finish; exit 1; }
done
case $(file -b "$PEER" 2>/dev/null) in
*static*) echo "# mmproxy: the peer server is static" ;;
*) echo "# mmproxy: the peer server is dynamic (no static libc here)" ;;
esac

ip link set lo up

# ---- the start-up check and --print-setup --------------------------------

free_port R1 R2 R3 R4 R5 R6 R7 R8 R9 RI RU RV U4 U6 S4 E4 E6 H4 R1P P4 P6 X4 F1 F2 F3 L1 L2 L3 L4 L5
SETUP="sysctl -w net.ipv4.tcp_fwmark_accept=1
ip rule add fwmark 7 lookup 100
ip route add local 0.0.0.0/0 dev lo table 100
ip -6 rule add fwmark 7 lookup 100
ip -6 route add local ::/0 dev lo table 100"
TO="--to 127.0.0.1:$E4 --to [::1]:$E6"

expect_eq "--print-setup prints the five commands" \
    "$("$MM" --print-setup $TO --mark 7 2>&1)" "$SETUP"
sysctl -qw net.ipv4.tcp_fwmark_accept=0
# Near misses, which the check must not take for the set-up: a rule for
# another mark, one with a mask, a local route in another table.
ip rule add fwmark 8 lookup 100
ip rule add fwmark 7/0xff lookup 100
ip route add local 0.0.0.0/0 dev lo table 101
timeout 10 "$MM" --listen 127.0.0.1:$R1 $TO --trusted 127.0.0.1 --mark 7 \
    >"$T/check.out" 2>&1
RC=$?
expect_eq "start-up without the set-up: exit status 1" "$RC" 1
expect_eq "start-up without the set-up names each missing command" \
    "$(grep -v '^proxyproto-mmproxy:' "$T/check.out")" "$SETUP"
timeout 10 "$MM" --listen 127.0.0.1:$R1 $TO --trusted 127.0.0.1 >"$T/nomark.out" 2>&1
RC=$?
check "start-up without --mark: refused, --mark named" "rc $RC: $(cat "$T/nomark.out")" \
    eval '[ $RC = 1 ] && grep -q -- "give --mark N" "$T/nomark.out"'

# The printed commands are the set-up: run them, then only what is still
# missing is named (nothing). A half-done set-up names the rest.
"$MM" --print-setup $TO --mark 7 | head -n 3 | sh >/dev/null
timeout 10 "$MM" --listen 127.0.0.1:$R1 $TO --trusted 127.0.0.1 --mark 7 \
    >"$T/half.out" 2>&1
expect_eq "half the set-up done: the IPv6 pair named, nothing else" \
    "$(grep -v '^proxyproto-mmproxy:' "$T/half.out")" "$(echo "$SETUP" | tail -n 2)"
"$MM" --print-setup $TO --mark 7 | tail -n 2 | sh >/dev/null

# ---- servers and relays ----------------------------------------------------

start_server peer-echo4 $E4 "$PEER" echo 127.0.0.1 $E4 || { finish; exit 1; }
start_server peer-echo6 $E6 "$PEER" echo ::1 $E6 || { finish; exit 1; }
start_server peer-hold4 $H4 "$PEER" hold 127.0.0.1 $H4 || { finish; exit 1; }
start_server peer-reset4 $X4 "$PEER" reset 127.0.0.1 $X4 || { finish; exit 1; }
export PEER_GO=$T/go
start_server peer-stall4 $S4 "$PEER" stall 127.0.0.1 $S4 || { finish; exit 1; }
start_server py4 $P4 python3 -u -m http.server $P4 --bind 127.0.0.1 -d "$T" || { finish; exit 1; }
start_server py6 $P6 python3 -u -m http.server $P6 --bind ::1 -d "$T" || { finish; exit 1; }

RELAY_PIDS=""
relay() { # NAME PORT ARGS...: a relay on 127.0.0.1:PORT and [::1]:PORT
    local _n=$1 _p=$2
    shift 2
    start_server "$_n" "$_p" "$MM" -v --listen 127.0.0.1:$_p --listen "[::1]:$_p" \
        --mark 7 "$@" || return 1
    RELAY_PIDS="$RELAY_PIDS $BG_PID"
}
relay relay-echo $R1 $TO --trusted 127.0.0.1 --trusted ::1 || { finish; exit 1; }
relay relay-hold $R2 --to 127.0.0.1:$H4 --trusted 127.0.0.1 || { finish; exit 1; }
relay relay-http $R3 --to 127.0.0.1:$P4 --to "[::1]:$P6" --trusted 127.0.0.1 || { finish; exit 1; }
relay relay-untrusted $R4 --to 127.0.0.1:$E4 --trusted 192.0.2.1/32 || { finish; exit 1; }
relay relay-slow $R5 --to 127.0.0.1:$E4 --trusted 127.0.0.1 --header-timeout 1000 || { finish; exit 1; }
relay relay-stall $R8 --to 127.0.0.1:$S4 --trusted 127.0.0.1 || { finish; exit 1; }
relay relay-reset $R6 --to 127.0.0.1:$X4 --trusted 127.0.0.1 || { finish; exit 1; }
relay relay-idle $RI --to 127.0.0.1:$E4 --trusted 127.0.0.1 --idle-timeout 2000 || { finish; exit 1; }
relay relay-workers $R9 --to 127.0.0.1:$E4 --trusted 127.0.0.1 --workers 2 || { finish; exit 1; }

# send OUT ADDR:PORT [proxyproto send options...] < INPUT: bounded.
send() {
    local _o=$1 _a=$2
    shift 2
    timeout 30 "$PP" send "$_a" --timeout 10000 "$@" >"$_o" 2>"$T/send.err"
    RC=$?
}
first() { head -n 1 "$1" 2>/dev/null | tr -d '\r'; }

# ---- the client's address and port, proxyproto send in front ----------------

echo hi | send "$T/o1" 127.0.0.1:$R1 --v1 --src 203.0.113.7:51001 --dst 127.0.0.1:$R1
expect_eq "v1 TCP4: the static server sees the header's client" "$(first "$T/o1")" "peer 203.0.113.7:51001"
echo hi | send "$T/o2" 127.0.0.1:$R1 --v2 --src 203.0.113.7:51002 --dst 127.0.0.1:$R1
expect_eq "v2 TCP4: the static server sees the header's client" "$(first "$T/o2")" "peer 203.0.113.7:51002"
echo hi | send "$T/o3" "[::1]:$R1" --v2 --src "[2001:db8::7]:51003" --dst "[::1]:$R1"
expect_eq "v2 TCP6 over an IPv6 listener: the client" "$(first "$T/o3")" "peer [2001:db8::7]:51003"
echo hi | send "$T/o4" 127.0.0.1:$R1 --v1 --src "[2001:db8::7]:51004" --dst "[::1]:$R1"
expect_eq "v1 TCP6 over an IPv4 listener: to the IPv6 target" "$(first "$T/o4")" "peer [2001:db8::7]:51004"
echo hi | send "$T/o5" 127.0.0.1:$R1 --local
check "LOCAL: from the relay's own address" "got '$(first "$T/o5")'" \
    eval 'case $(first "$T/o5") in "peer 127.0.0.1:"*) true ;; *) false ;; esac'
expect_eq "the echo comes back after the peer line" "$(sed -n 2p "$T/o2")" "hi"

# ---- two workers (SO_REUSEPORT) --------------------------------------------

# 64 connections at once, each from a port of its own: the kernel spreads
# them over the two workers' listeners by a hash of the ports, so both
# serve some (all 64 landing on one has odds of 2^-63), and every server
# sees its own header's client.
out=$(timeout 60 $CLIENT many 127.0.0.1 $R9 64 57000 2>&1)
expect_eq "--workers 2: every one of 64 concurrent clients seen as itself" "$out" "right 64 of 64"
expect_line "--workers 2: two workers started" "$T/relay-workers.log" "2 workers" 5
for w in 0 1; do
    check "--workers 2: worker $w relayed some of them" \
        "$(grep -c "worker $w)" "$T/relay-workers.log") lines" \
        grep -q "worker $w)" "$T/relay-workers.log"
done

# ---- python3 -m http.server behind HAProxy ----------------------------------

cat >"$T/haproxy.cfg" <<EOC
$(haproxy_global tcp)

frontend v1_http
    bind 127.0.0.1:$F1
    tcp-request connection set-src ipv4(203.0.113.8)
    default_backend b_v1
backend b_v1
    server relay 127.0.0.1:$R3 send-proxy

frontend v2_http6
    bind 127.0.0.1:$F2
    tcp-request connection set-src ipv6(2001:db8::8)
    default_backend b_v2
backend b_v2
    server relay 127.0.0.1:$R3 send-proxy-v2

frontend v2_echo
    bind 127.0.0.1:$F3
    tcp-request connection set-src ipv4(203.0.113.9)
    default_backend b_echo
backend b_echo
    server relay [::1]:$R1 send-proxy-v2
EOC
start_haproxy haproxy "$T/haproxy.cfg" $F1 $F2 $F3 || { finish; exit 1; }

http_get "http://127.0.0.1:$F1/x?v1" $L1
expect_eq "HAProxy send-proxy -> python http.server: a reply" "$RC" 0
expect_line "python http.server logs the client of HAProxy's v1 header" "$T/py4.log" '203.0.113.8 - - ' 5
http_get "http://127.0.0.1:$F2/x?v2" $L2
expect_eq "HAProxy send-proxy-v2 (IPv6 client) -> python http.server: a reply" "$RC" 0
expect_line "python http.server (::1) logs the IPv6 client of the v2 header" "$T/py6.log" '2001:db8::8 - - ' 5
echo hi | timeout 10 socat -t 5 -T 8 - "TCP:127.0.0.1:$F3,sourceport=$L3" >"$T/o6" 2>"$T/socat.err"
expect_eq "HAProxy send-proxy-v2 -> static server: address and port" "$(first "$T/o6")" "peer 203.0.113.9:$L3"

# ---- 1 MiB both ways ----------------------------------------------------------

head -c 1048576 /dev/urandom >"$T/mib"
both_ways() { # NAME ADDR:PORT SRC DST WANT-PEER
    { echo "peer $5"; cat "$T/mib"; } >"$T/want"
    send "$T/got" "$2" --v2 --src "$3" --dst "$4" <"$T/mib"
    # Exit status 0: the server closed, which the echo server does only
    # once the client's end of stream came through.
    check "$1" "rc $RC, $(wc -c <"$T/got") bytes: $(cat "$T/send.err")" \
        eval '[ $RC = 0 ] && cmp -s "$T/got" "$T/want"' 
}
both_ways "1 MiB echoed while sent (IPv4), byte-exact" 127.0.0.1:$R1 \
    203.0.113.7:52001 127.0.0.1:$R1 203.0.113.7:52001
both_ways "1 MiB echoed while sent (IPv6), byte-exact" "[::1]:$R1" \
    "[2001:db8::7]:52002" "[::1]:$R1" "[2001:db8::7]:52002"
both_ways "half-close: 1 MiB in, end of stream through, 1 MiB back" 127.0.0.1:$R2 \
    203.0.113.7:52003 127.0.0.1:$R2 203.0.113.7:52003
expect_line "half-close: the server saw the client's end of stream after all of it" \
    "$T/peer-hold4.log" "eof after 1048576 bytes"

# ---- backpressure: a server that does not read stops the relay reading ----

# What the socket buffers may hold: the client's and the relay's send
# buffers, the relay's and the server's receive buffers (the sysctl maxima),
# and one pipe (1 MiB). A relay that honours backpressure takes no more
# than that (with room for accounting: limit = 3 x (wmem + rmem)); one that
# reads whatever comes takes all of TOTAL, twice the limit.
wmem=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem)
rmem=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_rmem)
limit=$((3 * (wmem + rmem)))
total=$((2 * limit))
out=$(timeout 90 $CLIENT stall 127.0.0.1 $R8 'PROXY TCP4 203.0.113.12 127.0.0.1 53003 80\r\n' \
    $total "$T/go" 2>&1)
taken=$(echo "$out" | sed -n 's/^taken //p')
echo "# mmproxy: the relay took ${taken:-?} bytes while the server read nothing (limit $limit)"
check "backpressure: a server that reads nothing stops the relay reading" \
    "taken ${taken:-?} of $total: $out" eval '[ -n "$taken" ] && [ "$taken" -lt "$limit" ]'
expect_line "backpressure: once it reads, all of it arrives" "$T/peer-stall4.log" \
    "eof after $total bytes" 30

# ---- resets -----------------------------------------------------------------------

out=$(timeout 15 $CLIENT reset-client 127.0.0.1 $R1 'PROXY TCP4 203.0.113.10 127.0.0.1 53001 80\r\n' 2>&1)
expect_eq "reset by the client: the peer line first" "$out" "peer 203.0.113.10:53001"
expect_line "reset by the client reaches the server as a reset" "$T/peer-echo4.log" \
    "read: Connection reset by peer" 5
out=$(timeout 15 $CLIENT expect-reset 127.0.0.1 $R6 'PROXY TCP4 203.0.113.11 127.0.0.1 53002 80\r\n' 2>&1 | tr '\n' ' ')
expect_eq "reset by the server reaches the client as a reset" "$out" "peer 203.0.113.11:53002 reset "

# ---- refusals -----------------------------------------------------------------------

echo hi | send "$T/o7" 127.0.0.1:$R4 --v1 --src 203.0.113.66:54001 --dst 127.0.0.1:$R4
expect_eq "untrusted load balancer: nothing relayed" "$(cat "$T/o7")" ""
expect_line "untrusted load balancer: refused, logged" "$T/relay-untrusted.log" \
    "refused 127.0.0.1:" 5
check "untrusted load balancer: the reason logged" "$(tail -n 2 "$T/relay-untrusted.log")" \
    grep -q "not a trusted load balancer" "$T/relay-untrusted.log"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 socat -t 5 -T 8 - "TCP:127.0.0.1:$R1" >"$T/o8" 2>/dev/null
expect_eq "no header: nothing relayed" "$(cat "$T/o8")" ""
expect_line "no header: refused as not a PROXY header" "$T/relay-echo.log" "not a PROXY protocol header" 5

out=$(timeout 30 $CLIENT trickle 127.0.0.1 $R5 'PROXY TCP4 203.0.113.77 127.0.0.1 55001 80\r\n' 0.3 2>&1)
check "a header slower than --header-timeout: closed before it ended" "$out" \
    eval 'case "$out" in "closed after "*) true ;; *) false ;; esac'
expect_line "slow header: refused at the deadline, logged" "$T/relay-slow.log" \
    "timed out waiting for the PROXY header" 5
expect_eq "slow header: nothing reached the server" "$(count_lines "$T/peer-echo4.log" 203.0.113.77)" 0
echo hi | send "$T/o9" 127.0.0.1:$R5 --v2 --src 203.0.113.7:55002 --dst 127.0.0.1:$R5
expect_eq "after the slow one, the next client is served" "$(first "$T/o9")" "peer 203.0.113.7:55002"

# Out of descriptors (a hard limit of 16: 7 in use at the start, one per
# waiting client): the clients beyond it are closed, not left to spin the
# loop, and once the others are gone the next client is served.
start_bg relay-fds bash -c "ulimit -n 16 && exec \"$MM\" -v --workers 1 --listen 127.0.0.1:$R7 \
    --to 127.0.0.1:$E4 --trusted 127.0.0.1 --mark 7 --header-timeout 20000"
RELAY_FDS=$BG_PID
if wait_listen $R7 $RELAY_FDS 5; then
    out=$(timeout 20 $CLIENT hold 127.0.0.1 $R7 14 2>&1)
    check "out of descriptors: the clients beyond the limit are closed" "$out" \
        eval 'case "$out" in "closed 0 of"*) false ;; "closed "*) true ;; *) false ;; esac'
    expect_line "out of descriptors: said so" "$T/relay-fds.log" "out of file descriptors" 5
    echo hi | send "$T/o10" 127.0.0.1:$R7 --v2 --src 203.0.113.7:56001 --dst 127.0.0.1:$R7
    expect_eq "out of descriptors, then the next client is served" "$(first "$T/o10")" "peer 203.0.113.7:56001"
    RELAY_PIDS="$RELAY_PIDS $RELAY_FDS"
else
    fail "start relay-fds" "$(tail -n 3 "$T/relay-fds.log")"
fi

# ---- --idle-timeout ------------------------------------------------------------

# A byte there and back every 0.2 s for 3 s keeps a connection with a
# 2 s idle timeout open (each byte starts the timeout again: ten times the
# interval, no race on a loaded machine; a timeout counted from the start
# would close it at the tenth byte); then, with nothing moving, the relay
# closes it. Without --idle-timeout it stays open.
out=$(timeout 30 $CLIENT idle 127.0.0.1 $RI 'PROXY TCP4 203.0.113.40 127.0.0.1 58001 80\r\n' 15 0.2 15 2>&1 | tr '\n' ' ')
expect_eq "--idle-timeout 2000: kept open while active (3 s), closed once idle" "$out" "pinged 15 closed "
expect_line "--idle-timeout: said so (-v)" "$T/relay-idle.log" "203.0.113.40:58001: idle for 2000 ms, closed" 5
out=$(timeout 30 $CLIENT idle 127.0.0.1 $R1 'PROXY TCP4 203.0.113.41 127.0.0.1 58002 80\r\n' 1 0 4 2>&1 | tr '\n' ' ')
expect_eq "no --idle-timeout: an idle connection stays open" "$out" "pinged 1 still open "

# ---- UDP (--udp): v2 DGRAM headers, a flow per client ------------------------

# wait_udp PORT: a UDP socket bound to PORT (bounded: 5 s).
wait_udp() {
    local _hex _i
    _hex=$(printf '%04X' "$1")
    for _i in $(seq 100); do
        awk -v p="$_hex" '{ split($2, a, ":"); if (a[2] == p) f = 1 } END { exit !f }' \
            /proc/net/udp /proc/net/udp6 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
UTO="--to 127.0.0.1:$U4 --to [::1]:$U6"
USETUP="ip rule add from 127.0.0.1 iif lo lookup 100
ip -6 rule add from ::1 iif lo lookup 100"
expect_eq "--udp --print-setup: a source rule per family and the local routes" \
    "$("$MM" --print-setup --udp $UTO 2>&1)" "$(echo "$USETUP" | head -n 1)
ip route add local 0.0.0.0/0 dev lo table 100
$(echo "$USETUP" | tail -n 1)
ip -6 route add local ::/0 dev lo table 100"
timeout 10 "$MM" --udp --listen 127.0.0.1:$RU $UTO --trusted 127.0.0.1 >"$T/ucheck.out" 2>&1
RC=$?
expect_eq "--udp start-up without the source rules: exit status 1" "$RC" 1
expect_eq "--udp start-up names the two missing rules (the routes are there)" \
    "$(grep -v '^proxyproto-mmproxy:' "$T/ucheck.out")" "$USETUP"
ip rule add from 127.0.0.2 iif lo lookup 100  # a near miss: another source
timeout 10 "$MM" --udp --listen 127.0.0.1:$RU --to 127.0.0.1:$U4 --trusted 127.0.0.1 \
    >"$T/ucheck2.out" 2>&1
expect_eq "--udp start-up: a rule for another source does not count" \
    "$(grep -v '^proxyproto-mmproxy:' "$T/ucheck2.out")" "$(echo "$USETUP" | head -n 1)"
"$MM" --print-setup --udp $UTO | sh 2>/dev/null

start_bg peer-udp4 "$PEER" udp 127.0.0.1 $U4
start_bg peer-udp6 "$PEER" udp ::1 $U6
wait_udp $U4 && wait_udp $U6 || fail "start the UDP servers" "not bound"
start_bg relay-udp "$MM" -v --udp --udp-idle-ms 1500 --workers 2 --listen 127.0.0.1:$RU \
    --listen "[::1]:$RU" $UTO --trusted 127.0.0.1 --trusted ::1
RELAY_PIDS="$RELAY_PIDS $BG_PID"
start_bg relay-udp-untrusted "$MM" -v --udp --listen 127.0.0.1:$RV $UTO --trusted 192.0.2.1
RELAY_PIDS="$RELAY_PIDS $BG_PID"
wait_line "$T/relay-udp.log" "2 workers" 5
wait_line "$T/relay-udp-untrusted.log" "1 worker" 5

echo hi | send "$T/u1" 127.0.0.1:$RU --v2 --udp --src 203.0.113.30:40001 --dst 127.0.0.1:$RU
expect_eq "UDP v2 DGRAM (IPv4): the static server sees the header's client, the reply comes back" \
    "$(tr '\n' '|' <"$T/u1")" "peer 203.0.113.30:40001|hi|"
echo hi6 | send "$T/u2" "[::1]:$RU" --v2 --udp --src "[2001:db8::30]:40002" --dst "[::1]:$RU"
expect_eq "UDP v2 DGRAM (IPv6): the client, and the reply" \
    "$(tr '\n' '|' <"$T/u2")" "peer [2001:db8::30]:40002|hi6|"
echo hc | send "$T/u3" 127.0.0.1:$RU --v2 --udp --local
check "UDP LOCAL: from the relay's own address" "got '$(first "$T/u3")'" \
    eval 'case $(first "$T/u3") in "peer 127.0.0.1:"*) true ;; *) false ;; esac'

out=$(timeout 20 $CLIENT udp 127.0.0.1 $RU 203.0.113.31 40003 2 3 2>&1 | tr '\n' ' ')
expect_eq "UDP: three datagrams of one client, three replies" "$out" \
    "peer 203.0.113.31:40003|dgram 0 peer 203.0.113.31:40003|dgram 1 peer 203.0.113.31:40003|dgram 2 "
expect_eq "UDP: one flow for them" "$(count_lines "$T/relay-udp.log" "udp flow 203.0.113.31:40003 (")" 1
expect_line "UDP: the flow ends after --udp-idle-ms unused" "$T/relay-udp.log" \
    "udp flow 203.0.113.31:40003 ended (idle" 10
out=$(timeout 20 $CLIENT udp 127.0.0.1 $RU 203.0.113.31 40003 2 1 2>&1)
expect_eq "UDP: after the idle end, a new flow serves the client" "$out" "peer 203.0.113.31:40003|dgram 0"
expect_eq "UDP: ... a second flow" "$(count_lines "$T/relay-udp.log" "udp flow 203.0.113.31:40003 (")" 2
out=$(timeout 20 $CLIENT udp 127.0.0.1 $RU 203.0.113.32 40004 1 1 2>&1)
expect_eq "UDP: a STREAM header in a datagram: dropped" "$out" "no reply"
expect_line "UDP: ... and why (-v)" "$T/relay-udp.log" "transport is not DGRAM" 5
out=$(timeout 20 $CLIENT udp 127.0.0.1 $RV 203.0.113.33 40005 2 1 2>&1)
expect_eq "UDP: an untrusted load balancer's datagram: dropped" "$out" "no reply"
expect_line "UDP: ... and why (-v)" "$T/relay-udp-untrusted.log" "not a trusted" 5
expect_eq "UDP: nothing of the dropped ones reached the server" \
    "$(grep -c "203.0.113.3[23]" "$T/peer-udp4.log")" 0

# The relays are all still there after all of it.
dead=""
for p in $RELAY_PIDS; do kill -0 "$p" 2>/dev/null || dead="$dead $p"; done
check "no relay died" "ended:$dead; $(tail -q -n 2 "$T"/relay-*.log | tr '\n' '|')" \
    test -z "$dead"

finish
