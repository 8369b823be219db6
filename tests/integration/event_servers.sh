#!/usr/bin/env bash
# Every HTTP example server on the connection API -- http-server (thread per
# connection), epoll-server, libevent-server, libuv-server, uring-server --
# behind real HAProxy (mode tcp) and curl, each alike:
#   - send-proxy (v1) and send-proxy-v2, clients on 127.0.0.1 and ::1 with
#     known source ports: the body is exactly "IP = 127.0.0.1:PORT" or
#     "IP = [::1]:PORT"; a second server instance listens on [::1] and is
#     reached over IPv6;
#   - HAProxy health checks on every backend (v2: a LOCAL header then a
#     reset; v1: a PROXY line then a close) keep every server UP, with no
#     reject line;
#   - the whole-header deadline (--header-timeout 1500): a client that sends
#     a v2 header one byte every 400 ms is cut between 1.3 and 2.6 s after it
#     connected (an inactivity timeout would never cut it), and logged as
#     PROXYPROTO_ERR_TIMEOUT, while 5 such clients do not hold up any of
#     10 good requests made meanwhile (each answered within 1 s, before
#     the slow ones' deadline);
#   - an untrusted peer (a server started with --trusted 10.0.0.0/8) is
#     refused with PROXYPROTO_ERR_UNTRUSTED.
# SERVERS=... (names in BIN) limits the list.
TEST_NAME="event-servers"
. "$(dirname "$0")/lib.sh"

SERVERS=${SERVERS:-"http-server epoll-server libevent-server libuv-server uring-server"}
need_tools haproxy curl socat python3 || exit 1
need_bins $SERVERS proxyproto || exit 1

# slow.py HOST PORT INTERVAL: sends a v2 header (28 bytes) one byte per
# INTERVAL seconds; prints the seconds from connect until the server closed
# the connection ("served" if the whole header went out and a request was
# answered). Bounded: 10 s.
cat >"$T/slow.py" <<'EOF'
import socket, sys, time
host, port, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
hdr = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + bytes([198, 51, 100, 9]) +
       bytes([127, 0, 0, 1]) + (40000).to_bytes(2, "big") + port.to_bytes(2, "big"))
s = socket.create_connection((host, port))
s.settimeout(0.05)
t0 = time.monotonic()
def closed():
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
for b in hdr:
    try:
        s.send(bytes([b]))
    except OSError:
        break
    end = time.monotonic() + interval
    while time.monotonic() < end:
        if closed():
            print("%.2f" % (time.monotonic() - t0)); sys.exit(0)
    if time.monotonic() - t0 > 10:
        break
print("served")
EOF

# Servers: one on 127.0.0.1 and one on [::1] per program.
for s in $SERVERS; do
    v=${s//-/_}
    free_port "P4_$v" "P6_$v" "F1_$v" "F2_$v" "F6_$v"
    p4=P4_$v p6=P6_$v
    start_server "${v}_4" "${!p4}" "$BIN/$s" --listen "127.0.0.1:${!p4}" --header-timeout 1500 || exit 1
    start_server "${v}_6" "${!p6}" "$BIN/$s" --listen "[::1]:${!p6}" --header-timeout 1500 || exit 1
done

# Per server: fe v1 -> 127.0.0.1 (send-proxy), fe v2 -> 127.0.0.1
# (send-proxy-v2), fe v2 -> [::1] (send-proxy-v2); every frontend on
# 127.0.0.1 and ::1; every server checked.
PORTS=
{
    haproxy_global tcp
    for s in $SERVERS; do
        v=${s//-/_}
        p4=P4_$v p6=P6_$v f1=F1_$v f2=F2_$v f6=F6_$v
        PORTS="$PORTS ${!f1} ${!f2} ${!f6}"
        for fe in "v1 ${!f1} 127.0.0.1:${!p4} send-proxy" \
            "v2 ${!f2} 127.0.0.1:${!p4} send-proxy-v2" \
            "v2_6 ${!f6} [::1]:${!p6} send-proxy-v2"; do
            set -- $fe
            cat <<EOC

frontend fe_${v}_$1
    bind 127.0.0.1:$2
    bind [::1]:$2
    default_backend be_${v}_$1

backend be_${v}_$1
    server s1 $3 $4 check inter 300 rise 1 fall 1
EOC
        done
    done
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" $PORTS || exit 1

# stat_field BACKEND SERVER FIELD: one field of `show stat`, by column name.
stat_field() {
    echo "show stat" | timeout 3 socat - "UNIX-CONNECT:$T/haproxy.sock" 2>/dev/null |
        awk -F, -v px="$1" -v sv="$2" -v f="$3" '
            NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
            $1 == px && $2 == sv { print $(col[f]); exit }'
}

# ---- the client's address, v1 and v2, IPv4 and IPv6 -------------------------

for s in $SERVERS; do
    v=${s//-/_}
    for fe in "v1 F1_$v" "v2 F2_$v" "v2->[::1] F6_$v"; do
        set -- $fe
        fport=${!2}
        free_port CP
        http_get "http://127.0.0.1:$fport/" "$CP"
        expect_eq "$s via HAProxy $1, IPv4 client" "$BODY" "IP = 127.0.0.1:$CP"
        free_port CP
        http_get "http://[::1]:$fport/" "$CP" -g
        expect_eq "$s via HAProxy $1, IPv6 client" "$BODY" "IP = [::1]:$CP"
    done
done

# ---- health checks keep every server UP --------------------------------------

# Several rounds of checks (inter 300 ms): about 2 s.
sleep 2
for s in $SERVERS; do
    v=${s//-/_}
    for b in v1 v2 v2_6; do
        st=$(stat_field "be_${v}_$b" s1 status)
        ck=$(stat_field "be_${v}_$b" s1 chkfail)
        expect_eq "$s: HAProxy $b health checks keep it UP, none failed" "$st/$ck" "UP/0"
    done
    n=$(($(count_lines "$T/${v}_4.log" reject) + $(count_lines "$T/${v}_6.log" reject)))
    expect_eq "$s: no reject line for traffic and health checks" "$n" 0
done

# ---- the whole-header deadline -------------------------------------------------

for s in $SERVERS; do
    v=${s//-/_}
    p4=P4_$v
    port=${!p4}
    # Five slow clients, then ten good requests while they trickle.
    slow=
    for i in 1 2 3 4 5; do
        python3 "$T/slow.py" 127.0.0.1 "$port" 0.4 >"$T/slow_${v}_$i" 2>&1 &
        slow="$slow $!"
    done
    sleep 0.3
    good=0 worst=0
    for i in 1 2 3 4 5 6 7 8 9 10; do
        free_port CP
        t0=$(now_ms)
        out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 "$BIN/proxyproto" send \
            "127.0.0.1:$port" --src "203.0.113.$i:$CP" --dst "127.0.0.1:$port" 2>/dev/null)
        took=$(($(now_ms) - t0))
        [ "$took" -gt "$worst" ] && worst=$took
        case $out in *"IP = 203.0.113.$i:$CP"*) good=$((good + 1)) ;; esac
    done
    wait $slow
    expect_eq "$s: 10 good clients served while 5 slow headers trickle" "$good" 10
    # Held up behind a slow header, a request would wait for its deadline.
    check "$s: no good client held up by the slow ones (slowest ${worst} ms)" \
        "the slowest request took $worst ms" between "$worst" 0 1000
    for i in 1 2 3 4 5; do
        cut=$(cat "$T/slow_${v}_$i")
        ms=$(awk -v t="$cut" 'BEGIN { if (t ~ /^[0-9.]+$/) printf "%d", t * 1000; else print -1 }')
        check "$s: slow client $i cut at the 1.5 s header deadline (after ${cut} s)" \
            "cut after '$cut' s, want 1.3-2.6" between "$ms" 1300 2600
    done
    expect_eq "$s: each slow client logged as PROXYPROTO_ERR_TIMEOUT" \
        "$(count_lines "$T/${v}_4.log" "error=PROXYPROTO_ERR_TIMEOUT")" 5
done

# ---- untrusted peers -------------------------------------------------------------

for s in $SERVERS; do
    v=${s//-/_}
    free_port PU
    start_server "${v}_untrusted" "$PU" "$BIN/$s" --listen "127.0.0.1:$PU" --trusted 10.0.0.0/8 || continue
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 "$BIN/proxyproto" send \
        "127.0.0.1:$PU" --src 203.0.113.1:1000 --dst "127.0.0.1:$PU" 2>/dev/null)
    expect_eq "$s: untrusted peer gets no answer" "$out" ""
    expect_line "$s: untrusted peer logged" "$T/${v}_untrusted.log" "error=PROXYPROTO_ERR_UNTRUSTED"
done

finish
