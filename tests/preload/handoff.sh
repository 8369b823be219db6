#!/usr/bin/env bash
# tests/preload/handoff.sh - connections accepted in one process and passed
# to another over a UNIX socket (SCM_RIGHTS) report the header's client
# there too (issue 13, item 6; tools/preload/handoff.c).
#
#   bash tests/preload/handoff.sh BUILD_DIR        (make test-preload)
#
#   - preload-passfd (tests/preload/passfd.c): a parent accepts and passes
#     each connection to a child it fork+exec'd, which answers with its
#     getpeername/getsockname; v1 and v2 headers from `proxyproto send`;
#     the table file is 0600; a connection passed without an entry (no
#     header, optional mode) gets no one's; with PROXYPROTO_HANDOFF=0, or a table file
#     others may read, the child reports the load balancer (so these
#     checks can fail), and the second says why;
#   - node `cluster` in its default round-robin mode, two workers
#     (tests/preload/cluster.js), behind HAProxy send-proxy and
#     send-proxy-v2 and `proxyproto send`: every reply carries the header's
#     client, and both workers answered.
# Each run uses a table file of its own in T (PROXYPROTO_HANDOFF), not the
# per-user default in /dev/shm. Loopback only; bounded waits; the EXIT trap
# of tests/integration/lib.sh ends every process started here.
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=preload-handoff
unset INTEG_RESULTS
START_WAIT=15
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-preload.so
PASSFD=$BDIR/tests/preload-passfd
PP=$BIN/proxyproto
CLUSTER=$(cd "$(dirname "$0")" && pwd)/cluster.js

need_tools haproxy node curl socat || { finish; exit 1; }
for f in "$SO" "$PASSFD" "$PP"; do
    if [ ! -e "$f" ]; then
        fail "prerequisite $f" "missing (make all $PASSFD builds it)"
        finish
        exit 1
    fi
done

# send OUT ADDR:PORT [proxyproto send options...]: one connection, nothing
# written after the header; the reply in OUT.
send() {
    local _o=$1 _a=$2
    shift 2
    timeout 8 "$PP" send "$_a" --timeout 5000 "$@" </dev/null >"$_o" 2>"$T/send.err"
}

# ---- a pre-fork server in C ----------------------------------------------------

# passfd NAME N [VAR=VALUE...]: preload-passfd for N connections, with the
# preload and the given settings; sets P to its port.
passfd() {
    local _n=$1 _c=$2
    shift 2
    free_port P
    start_server "$_n" "$P" env LD_PRELOAD="$SO" PROXYPROTO_LOG=1 "$@" "$PASSFD" "$P" "$_c"
}

TAB=$T/handoff.tab
if passfd passfd 2 PROXYPROTO_HANDOFF="$TAB"; then
    send "$T/r1" "127.0.0.1:$P" --v1 --src 203.0.113.7:51234 --dst 198.51.100.9:8080
    expect_eq "passfd (v1): the child's getpeername/getsockname are the header's" \
        "$(cat "$T/r1")" "peer=203.0.113.7:51234 sock=198.51.100.9:8080"
    send "$T/r2" "127.0.0.1:$P" --v2 --src 203.0.113.8:4711 --dst 198.51.100.10:443
    expect_eq "passfd (v2): the child's getpeername/getsockname are the header's" \
        "$(cat "$T/r2")" "peer=203.0.113.8:4711 sock=198.51.100.10:443"
    expect_eq "passfd: the table file is the user's, mode 0600" \
        "$(stat -c '%a %u' "$TAB" 2>&1)" "600 $(id -u)"
fi

# A connection passed without an entry (no header: the optional mode lets
# it through with its real addresses) is not given another's, though the
# table holds the entries above (of sockets now closed).
if passfd passfd-plain 3 PROXYPROTO_HANDOFF="$TAB" PROXYPROTO_OPTIONAL=1; then
    send "$T/r5" "127.0.0.1:$P" --v2 --src 203.0.113.11:4711 --dst 198.51.100.10:443
    expect_eq "passfd (optional mode): a header's connection still gets its entry" \
        "$(cat "$T/r5")" "peer=203.0.113.11:4711 sock=198.51.100.10:443"
    for i in 1 2; do
        echo hello | timeout 8 socat -t 3 - "TCP4:127.0.0.1:$P" >"$T/r6-$i" 2>/dev/null
    done
    case $(cat "$T/r6-1" "$T/r6-2" | tr '\n' ' ') in
    "peer=127.0.0.1:"*" sock=127.0.0.1:$P peer=127.0.0.1:"*" sock=127.0.0.1:$P ")
        pass "passfd (optional mode): connections without a header get no one's entry" ;;
    *) fail "passfd (optional mode): connections without a header get no one's entry" \
        "got '$(cat "$T/r6-1" "$T/r6-2" | tr '\n' ' ')'" ;;
    esac
fi

# Without the table the child sees the load balancer: the checks above
# could fail.
if passfd passfd-off 1 PROXYPROTO_HANDOFF=0; then
    send "$T/r3" "127.0.0.1:$P" --v2 --src 203.0.113.9:4711 --dst 198.51.100.10:443
    case $(cat "$T/r3") in
    "peer=127.0.0.1:"*" sock=127.0.0.1:$P") pass "passfd, PROXYPROTO_HANDOFF=0: the child reports the load balancer" ;;
    *) fail "passfd, PROXYPROTO_HANDOFF=0: the child reports the load balancer" "got '$(cat "$T/r3")'" ;;
    esac
fi

# A table file others could read or write is not used, and that is said.
BAD=$T/bad.tab
: >"$BAD"
chmod 644 "$BAD"
if passfd passfd-bad 1 PROXYPROTO_HANDOFF="$BAD"; then
    send "$T/r4" "127.0.0.1:$P" --v2 --src 203.0.113.10:4711 --dst 198.51.100.10:443
    case $(cat "$T/r4") in
    "peer=127.0.0.1:"*) pass "passfd, table file mode 0644: not used (the load balancer)" ;;
    *) fail "passfd, table file mode 0644: not used (the load balancer)" "got '$(cat "$T/r4")'" ;;
    esac
    wait_line "$T/passfd-bad.log" "mode 0600" 3
    expect_line "passfd, table file mode 0644: said why" "$T/passfd-bad.log" \
        "hand-off table $BAD: not a"
fi

# ---- node cluster, round-robin --------------------------------------------------

# cluster NAME [VAR=VALUE...]: cluster.js with two workers; sets N to its
# port. Node's default scheduling (round-robin) is kept.
cluster() {
    local _n=$1
    shift
    free_port N
    start_server "$_n" "$N" env -u NODE_CLUSTER_SCHED_POLICY LD_PRELOAD="$SO" \
        PROXYPROTO_LOG=1 "$@" node "$CLUSTER" "$N" 2
}

if cluster node PROXYPROTO_HANDOFF="$T/node.tab"; then
    free_port F1 F2
    {
        haproxy_global tcp
        for fe in "v1 $F1 send-proxy 192.0.2.61" "v2 $F2 send-proxy-v2 192.0.2.62"; do
            set -- $fe
            echo
            echo "frontend fe_$1"
            echo "    bind 127.0.0.1:$2"
            echo "    tcp-request connection set-src ipv4($4)"
            echo "    default_backend be_$1"
            echo
            echo "backend be_$1"
            echo "    server s1 127.0.0.1:$N $3"
        done
    } >"$T/haproxy.cfg"
    if start_haproxy haproxy "$T/haproxy.cfg" "$F1" "$F2"; then
        for v in "v1 $F1 192.0.2.61" "v2 $F2 192.0.2.62"; do
            set -- $v
            : >"$T/node-$1.out"
            for i in 1 2 3 4 5 6; do
                # A new connection each time: round-robin spreads them.
                curl -sS --max-time 5 "http://127.0.0.1:$2/" >>"$T/node-$1.out" 2>"$T/curl.err"
            done
            expect_eq "node cluster via HAProxy send-proxy $1: 6 replies, each from client $3" \
                "$(grep -c "^$3 " "$T/node-$1.out")" 6
            expect_eq "node cluster via HAProxy send-proxy $1: both workers answered" \
                "$(grep -o 'worker=[0-9]*' "$T/node-$1.out" | sort -u | wc -l)" 2
        done
        # 100 more, 8 at a time: entries written and taken concurrently.
        seq 1 100 | xargs -P 8 -I{} curl -sS --max-time 10 "http://127.0.0.1:$F2/" \
            >"$T/node-par.out" 2>"$T/curl-par.err"
        expect_eq "node cluster via HAProxy v2, 100 requests 8 at a time: each from client 192.0.2.62" \
            "$(grep -c "^192.0.2.62 " "$T/node-par.out")" 100
    fi
    : >"$T/node-send.out"
    for i in 1 2 3 4; do
        printf 'GET / HTTP/1.0\r\n\r\n' | timeout 8 "$PP" send "127.0.0.1:$N" --timeout 5000 \
            --v2 --src "203.0.113.7:5123$i" --dst 198.51.100.9:8080 2>"$T/send.err" |
            tr -d '\r' | tail -n 1 >>"$T/node-send.out"
    done
    expect_eq "node cluster via proxyproto send v2: remoteAddress/Port, localAddress/Port are the header's" \
        "$(sed 's/ worker=.*//' "$T/node-send.out" | tr '\n' ,)" \
        "203.0.113.7 51231 198.51.100.9 8080,203.0.113.7 51232 198.51.100.9 8080,203.0.113.7 51233 198.51.100.9 8080,203.0.113.7 51234 198.51.100.9 8080,"
fi

# The same without the table: the workers see the load balancer.
if cluster node-off PROXYPROTO_HANDOFF=0; then
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 8 "$PP" send "127.0.0.1:$N" --timeout 5000 \
        --v2 --src 203.0.113.7:51239 --dst 198.51.100.9:8080 2>"$T/send.err" |
        tr -d '\r' | tail -n 1 >"$T/node-off.out"
    case $(cat "$T/node-off.out") in
    "127.0.0.1 "*) pass "node cluster, PROXYPROTO_HANDOFF=0: the workers report the load balancer" ;;
    *) fail "node cluster, PROXYPROTO_HANDOFF=0: the workers report the load balancer" "got '$(cat "$T/node-off.out")'" ;;
    esac
fi

finish
