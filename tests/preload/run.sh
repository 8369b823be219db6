#!/usr/bin/env bash
# tests/preload/run.sh - libproxyproto-preload.so in unmodified servers.
#
#   bash tests/preload/run.sh BUILD_DIR        (make test-preload)
#
# BUILD_DIR holds lib/libproxyproto-preload.so, bin/proxyproto and
# tests/preload-probe. Servers that know nothing of the PROXY protocol run
# with LD_PRELOAD:
#   - python3 -m http.server (a blocking listener; it logs "IP - - [date]
#     "GET ..."" on stderr) behind HAProxy send-proxy / send-proxy-v2 and
#     behind `proxyproto send` (v1, v2, IPv4, IPv6, LOCAL, UNKNOWN);
#     refusals: untrusted peer, no header, bad header, a version not
#     allowed, the header timeout (the next client is served); the
#     optional mode and PROXYPROTO_PORTS;
#   - nginx (non-blocking listeners in epoll, level-triggered; one process,
#     and a master with two workers) behind HAProxy: $remote_addr and
#     $remote_port are the client's; a header that comes slowly does not
#     hold up other clients;
#   - preload-probe (tests/preload/probe.c), which prints what accept,
#     getpeername and getsockname say and echoes: payload byte for byte,
#     accept vs accept4 flags, addrlen truncation, IPv4 header on an IPv6
#     listener, entry cleared on close, edge-triggered epoll with a slow
#     and a silent client (the timeout wakes the server by itself), poll().
# Only 127.0.0.1 and ::1 carry traffic (addresses such as 203.0.113.7 are
# only written in headers). Every wait is bounded; the EXIT trap of
# tests/integration/lib.sh ends every process started here. Prints ok/FAIL
# per check and ends with "preload: N passed, M failed".
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=preload
unset INTEG_RESULTS
# python3 (through pyenv shims) can take seconds to start while make -j2
# check runs other suites.
START_WAIT=15
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-preload.so
PROBE=$BDIR/tests/preload-probe
PP=$BIN/proxyproto

need_tools python3 haproxy nginx curl socat nm || { finish; exit 1; }
for f in "$SO" "$PROBE" "$PP"; do
    if [ ! -e "$f" ]; then
        fail "prerequisite $f" "missing (make all $PROBE builds it)"
        finish
        exit 1
    fi
done

# start_pre NAME PORT [VAR=VALUE...] -- CMD...: CMD with the preload and
# the given settings, output to $T/NAME.log, waiting until PORT listens.
start_pre() {
    local _n=$1 _p=$2
    shift 2
    local _env=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        _env+=("$1")
        shift
    done
    shift
    start_server "$_n" "$_p" env LD_PRELOAD="$SO" "${_env[@]}" "$@"
}

# send OUT ADDR:PORT REQUEST [proxyproto send options...]: one connection
# through `proxyproto send` (bounded), the reply in OUT.
send() {
    local _o=$1 _a=$2 _r=$3
    shift 3
    printf '%b' "$_r" | timeout 8 "$PP" send "$_a" --timeout 5000 "$@" >"$_o" 2>"$T/send.err"
    RC=$?
}

# expect_first NAME FILE WANT: the first line of FILE (CR removed) is WANT.
expect_first() {
    expect_eq "$1" "$(head -n 1 "$2" 2>/dev/null | tr -d '\r')" "$3"
}

# The line of python's log for request path CASE ("... "GET /x?CASE ...").
py_line() { line_with "$1" "GET /x?$2 "; }

# expect_py NAME LOG CASE IP: python logged the request of CASE as from IP.
expect_py() {
    wait_line "$2" "GET /x?$3 " 3
    local _l
    _l=$(py_line "$2" "$3")
    case $_l in
    "$4 - - ["*) pass "$1" ;;
    *) fail "$1" "python logged '${_l:-nothing}', want it from $4" ;;
    esac
}

# ---- the shared object --------------------------------------------------------

got=$(nm -D --defined-only "$SO" | awk 'NF == 3 { print $3 }' | sort | tr '\n' ' ')
expect_eq "the .so exports exactly the intercepted libc functions" "$got" \
    "accept accept4 close dup dup2 dup3 epoll_ctl getpeername getsockname listen recvmsg sendmsg "
got=$(nm -D --undefined-only "$SO" | awk '{ print $2 }' | sed 's/@.*//' |
    grep -E '^(malloc|calloc|realloc|reallocarray|free|strdup)$' | tr '\n' ' ')
expect_eq "the .so references no allocator" "$got" ""
# One mapping, the hand-off table shared between processes (handoff.c),
# made once per process that passes or receives a connection.
got=$(grep -l -E '\bmmap\(' "$(dirname "$0")"/../../tools/preload/*.c | xargs -n 1 basename | tr '\n' ' ')
expect_eq "only handoff.c maps memory" "$got" "handoff.c "

# ---- python3 -m http.server: a blocking listener -------------------------------

mkdir -p "$T/www"
echo hello >"$T/www/x"
# python3 -m http.server PORT --bind ADDR, serving $T/www, with the preload.
start_py() {
    local _n=$1 _p=$2 _b=$3
    shift 3
    start_pre "$_n" "$_p" "$@" -- python3 -u -m http.server "$_p" --bind "$_b" --directory "$T/www"
}

free_port PY4 PY6 F1 F2 F3 F4 F5 F6
start_py py4 "$PY4" 127.0.0.1 PROXYPROTO_LOG=2 || exit 1
start_py py6 "$PY6" ::1 PROXYPROTO_LOG=2 || exit 1

# HAProxy connects from 127.0.0.1 or ::1, as the clients do; so that the
# address python logs can only come from the header, most frontends name
# the client with set-src (the header carries it, no packet goes there).
{
    haproxy_global tcp
    for fe in "v1_py4 127.0.0.1:$F1 127.0.0.1:$PY4 send-proxy ipv4(192.0.2.41)" \
        "v2_py4 127.0.0.1:$F2 127.0.0.1:$PY4 send-proxy-v2 ipv4(192.0.2.42)" \
        "v1_py6 [::1]:$F3 [::1]:$PY6 send-proxy ipv6(2001:db8::43)" \
        "v2_py6 [::1]:$F4 [::1]:$PY6 send-proxy-v2 ipv6(2001:db8::44)" \
        "v1_4to6 127.0.0.1:$F5 [::1]:$PY6 send-proxy -" \
        "v2_6to4 [::1]:$F6 127.0.0.1:$PY4 send-proxy-v2 -"; do
        set -- $fe
        echo
        echo "frontend fe_$1"
        echo "    bind $2"
        [ "$5" = - ] || echo "    tcp-request connection set-src $5"
        echo "    default_backend be_$1"
        echo
        echo "backend be_$1"
        echo "    server s1 $3 $4"
    done
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F1" "$F2" "$F3" "$F4" "$F5" "$F6" || exit 1

for c in "v1 127.0.0.1:$F1 py4 192.0.2.41 IPv4" "v2 127.0.0.1:$F2 py4 192.0.2.42 IPv4" \
    "v1 [::1]:$F3 py6 2001:db8::43 IPv6" "v2 [::1]:$F4 py6 2001:db8::44 IPv6" \
    "v1 127.0.0.1:$F5 py6 ::ffff:127.0.0.1 IPv6"; do
    set -- $c
    what="python ($5) via HAProxy send-proxy $1, client $4"
    code=$(curl -sS -g --max-time 5 -o /dev/null -w '%{http_code}' "http://$2/x?ha-$1-$4" 2>"$T/curl.err")
    expect_eq "$what: HTTP status" "$code" 200
    expect_py "$what: logged" "$T/$3.log" "ha-$1-$4" "$4"
done
# An IPv6 client on an IPv4 listener: accept cannot report it; refused.
code=$(curl -sS -g --max-time 5 -o /dev/null -w '%{http_code}' "http://[::1]:$F6/x?ha-6to4" 2>"$T/curl.err")
expect_eq "python (IPv4) via HAProxy v2, IPv6 client ::1: refused (no IPv6 address on an IPv4 socket)" "$code" 000
expect_line "python (IPv4), IPv6 client: logged" "$T/py4.log" "IPv6 client address on an IPv4 listener"
expect_eq "python (IPv4), IPv6 client: python never saw it" "$(count_lines "$T/py4.log" "GET /x?ha-6to4")" 0

# proxyproto send: any address in the header.
REQ='GET /x?%s HTTP/1.0\r\n\r\n'
for c in "v1-4 127.0.0.1:$PY4 py4 203.0.113.7 --v1 --src 203.0.113.7:51234 --dst 127.0.0.1:$PY4" \
    "v2-4 127.0.0.1:$PY4 py4 203.0.113.8 --v2 --src 203.0.113.8:51234 --dst 127.0.0.1:$PY4" \
    "v1-6 [::1]:$PY6 py6 2001:db8::7 --v1 --src [2001:db8::7]:51234 --dst [::1]:$PY6" \
    "v2-6 [::1]:$PY6 py6 2001:db8::8 --v2 --src [2001:db8::8]:51234 --dst [::1]:$PY6" \
    "v2-4on6 [::1]:$PY6 py6 ::ffff:203.0.113.9 --v2 --src 203.0.113.9:51234 --dst 127.0.0.1:$PY6" \
    "v2-local 127.0.0.1:$PY4 py4 127.0.0.1 --v2 --local" \
    "v1-unknown 127.0.0.1:$PY4 py4 127.0.0.1 --v1"; do
    set -- $c
    name=$1 addr=$2 log=$3 ip=$4
    shift 4
    send "$T/reply" "$addr" "$(printf "$REQ" "send-$name")" "$@"
    expect_first "python via proxyproto send ($name): answers" "$T/reply" "HTTP/1.0 200 OK"
    expect_py "python via proxyproto send ($name): logs $ip" "$T/$log.log" "send-$name" "$ip"
done

# Refused: no header, a bad header; the next client is still served.
curl -sS --max-time 5 "http://127.0.0.1:$PY4/x?no-header" >"$T/reply" 2>/dev/null
expect_eq "python: a connection without a header gets nothing" "$(wc -c <"$T/reply")" 0
expect_line "python: ... and is logged as refused (PROXYPROTO_ERR_NOT_PROXY)" "$T/py4.log" "PROXYPROTO_ERR_NOT_PROXY"
printf 'PROXY TCP4 203.0.113.300 127.0.0.1 1 2\r\nGET /x?bad-header HTTP/1.0\r\n\r\n' |
    timeout 8 socat -t 3 - "TCP4:127.0.0.1:$PY4" >"$T/reply" 2>/dev/null
expect_eq "python: a bad v1 header gets nothing" "$(wc -c <"$T/reply")" 0
expect_line "python: ... and is logged as refused (PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE)" "$T/py4.log" "PROXYPROTO_ERR_V1_IPV4_OCTET_RANGE"
expect_eq "python: neither reached python" "$(count_lines "$T/py4.log" "no-header")$(count_lines "$T/py4.log" "bad-header")" 00
send "$T/reply" "127.0.0.1:$PY4" "$(printf "$REQ" after-refusals)" --v2 --src 203.0.113.12:5 --dst 127.0.0.1:$PY4
expect_first "python: the next client is served" "$T/reply" "HTTP/1.0 200 OK"
expect_py "python: ... with its address" "$T/py4.log" after-refusals 203.0.113.12

# Untrusted peer: PROXYPROTO_TRUSTED excludes loopback.
free_port PYU
start_py pyu "$PYU" 127.0.0.1 PROXYPROTO_LOG=1 PROXYPROTO_TRUSTED=192.0.2.0/24,2001:db8::/32 || exit 1
send "$T/reply" "127.0.0.1:$PYU" "$(printf "$REQ" untrusted)" --v1 --src 203.0.113.7:51234 --dst 127.0.0.1:$PYU
expect_eq "untrusted peer (PROXYPROTO_TRUSTED=192.0.2.0/24,...): gets nothing" "$(wc -c <"$T/reply")" 0
expect_line "untrusted peer: logged as refused (PROXYPROTO_ERR_UNTRUSTED)" "$T/pyu.log" \
    "refused connection from 127.0.0.1:"
expect_eq "untrusted peer: the reason is PROXYPROTO_ERR_UNTRUSTED" \
    "$(count_lines "$T/pyu.log" PROXYPROTO_ERR_UNTRUSTED)" 1
expect_eq "untrusted peer: python never saw it" "$(count_lines "$T/pyu.log" "GET /x?untrusted")" 0

# Header timeout: a silent client is dropped after PROXYPROTO_TIMEOUT_MS,
# and the client after it is served without waiting for that (accept
# watches both; the helper thread closes the silent one at its deadline).
free_port PYT
start_py pyt "$PYT" 127.0.0.1 PROXYPROTO_LOG=1 PROXYPROTO_TIMEOUT_MS=1000 || exit 1
t0=$(now_ms)
(timeout 8 socat -u "TCP4:127.0.0.1:$PYT" - >/dev/null 2>&1; echo $(($(now_ms) - t0)) >"$T/silent.ms") &
sleep 0.2
send "$T/reply" "127.0.0.1:$PYT" "$(printf "$REQ" after-silent)" --v1 --src 203.0.113.13:5 --dst 127.0.0.1:$PYT
t1=$(($(now_ms) - t0))
expect_first "timeout: the client after a silent one is served" "$T/reply" "HTTP/1.0 200 OK"
expect_py "timeout: ... with its address" "$T/pyt.log" after-silent 203.0.113.13
check "timeout: ... without waiting for the silent one (${t1} ms after it, want < 700)" \
    "served after $t1 ms" between "$t1" 0 699
for i in $(seq 60); do [ -s "$T/silent.ms" ] && break; sleep 0.05; done
ms=$(cat "$T/silent.ms" 2>/dev/null || echo 99999)
check "timeout: the silent client was closed after ${ms} ms (want 800-3000)" "closed after $ms ms" \
    between "$ms" 800 3000
expect_line "timeout: logged (PROXYPROTO_ERR_TIMEOUT)" "$T/pyt.log" PROXYPROTO_ERR_TIMEOUT

# PROXYPROTO_VERSIONS=2: v1 refused, v2 served.
free_port PYV
start_py pyv "$PYV" 127.0.0.1 PROXYPROTO_LOG=1 PROXYPROTO_VERSIONS=2 || exit 1
send "$T/reply" "127.0.0.1:$PYV" "$(printf "$REQ" vers-v1)" --v1 --src 203.0.113.7:1 --dst 127.0.0.1:$PYV
expect_eq "PROXYPROTO_VERSIONS=2: a v1 header gets nothing" "$(wc -c <"$T/reply")" 0
expect_line "PROXYPROTO_VERSIONS=2: ... and is logged" "$T/pyv.log" "v1 header, not in PROXYPROTO_VERSIONS"
send "$T/reply" "127.0.0.1:$PYV" "$(printf "$REQ" vers-v2)" --v2 --src 203.0.113.14:1 --dst 127.0.0.1:$PYV
expect_py "PROXYPROTO_VERSIONS=2: a v2 header is served" "$T/pyv.log" vers-v2 203.0.113.14

# PROXYPROTO_OPTIONAL=1: a warning; no header: real address; header: used.
free_port PYO
start_py pyo "$PYO" 127.0.0.1 PROXYPROTO_OPTIONAL=1 || exit 1
expect_line "PROXYPROTO_OPTIONAL=1: a warning at start-up" "$T/pyo.log" "WARNING: PROXYPROTO_OPTIONAL=1"
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PYO/x?opt-plain" 2>"$T/curl.err")
expect_eq "PROXYPROTO_OPTIONAL=1: a request without a header is served" "$code" 200
expect_py "PROXYPROTO_OPTIONAL=1: ... with the real address" "$T/pyo.log" opt-plain 127.0.0.1
send "$T/reply" "127.0.0.1:$PYO" "$(printf "$REQ" opt-header)" --v2 --src 203.0.113.15:1 --dst 127.0.0.1:$PYO
expect_py "PROXYPROTO_OPTIONAL=1: a header is still used" "$T/pyo.log" opt-header 203.0.113.15

# PROXYPROTO_PORTS naming another port: this listener is left alone.
free_port PYP OTHER
start_py pyp "$PYP" 127.0.0.1 PROXYPROTO_PORTS="$OTHER,1" || exit 1
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PYP/x?ports" 2>"$T/curl.err")
expect_eq "PROXYPROTO_PORTS=<another port>: the listener is not touched" "$code" 200

# A value that does not parse: said at start-up, every connection refused.
free_port PYB
start_py pyb "$PYB" 127.0.0.1 PROXYPROTO_TRUSTED=10.0.0.0/33 || exit 1
expect_line "bad PROXYPROTO_TRUSTED: said at start-up" "$T/pyb.log" "PROXYPROTO_TRUSTED=10.0.0.0/33"
send "$T/reply" "127.0.0.1:$PYB" "$(printf "$REQ" badcfg)" --v1 --src 203.0.113.7:1 --dst 127.0.0.1:$PYB
expect_eq "bad PROXYPROTO_TRUSTED: connections refused" "$(wc -c <"$T/reply")" 0

# ---- nginx: non-blocking listeners in epoll ------------------------------------

# nginx_conf FILE PORT MASTER: nginx answering "ip=$remote_addr
# port=$remote_port" on 127.0.0.1 and [::1] at PORT.
nginx_conf() {
    local _mp=
    if [ "$3" = on ]; then
        _mp="worker_processes 2;"
        [ "$(id -u)" = 0 ] && _mp="$_mp user root;"
    fi
    cat >"$1" <<EOC
error_log $T/nginx-$3-error.log info;
pid $T/nginx-$3.pid;
$_mp
events { worker_connections 128; }
http {
    log_format pp '\$remote_addr \$remote_port "\$request"';
    access_log $T/nginx-$3-access.log pp;
    server {
        listen 127.0.0.1:$2;
        listen [::1]:$2;
        location / { return 200 "ip=\$remote_addr port=\$remote_port\n"; }
    }
}
EOC
}

for mp in off on; do
    free_port NG G1 G2
    nginx_conf "$T/nginx-$mp.conf" "$NG" "$mp"
    if ! nginx -t -q -p "$T/" -e "$T/nginx-$mp.startup" -c "$T/nginx-$mp.conf" >"$T/nginx-$mp.check" 2>&1; then
        fail "start nginx (master_process $mp)" "nginx -t: $(tr '\n' '|' <"$T/nginx-$mp.check")"
        continue
    fi
    start_pre "nginx-$mp" "$NG" PROXYPROTO_LOG=1 -- nginx -p "$T/" -e "$T/nginx-$mp.startup" \
        -c "$T/nginx-$mp.conf" -g "daemon off; master_process $mp;" || continue
    what="nginx (master_process $mp)"
    {
        haproxy_global tcp
        cat <<EOC

frontend fe_v1
    bind 127.0.0.1:$G1
    bind [::1]:$G1
    default_backend be_v1

backend be_v1
    server s1 127.0.0.1:$NG send-proxy

frontend fe_v2
    bind 127.0.0.1:$G2
    bind [::1]:$G2
    default_backend be_v2

backend be_v2
    server s1 [::1]:$NG send-proxy-v2
EOC
    } >"$T/haproxy-ng-$mp.cfg"
    start_haproxy "haproxy-ng-$mp" "$T/haproxy-ng-$mp.cfg" "$G1" "$G2" || continue
    # HAProxy v1 -> nginx 127.0.0.1; v2 -> nginx [::1] (an IPv4 client
    # shows as ::ffff:127.0.0.1 there). The client port tells that the
    # address is the header's.
    for c in "v1 $G1 127.0.0.1 127.0.0.1" "v2 $G2 127.0.0.1 ::ffff:127.0.0.1" "v2 $G2 [::1] ::1"; do
        set -- $c
        free_port CP
        http_get "http://$3:$2/" "$CP" -g
        expect_eq "$what via HAProxy $1, client $3:$CP" "$BODY" "ip=$4 port=$CP"
    done
    free_port CP
    http_get "http://[::1]:$G1/" "$CP" -g
    expect_eq "$what via HAProxy v1, IPv6 client to the IPv4 listener: refused" "$BODY" ""
    expect_line "$what: ... and logged" "$T/nginx-$mp-error.log" "IPv6 client address on an IPv4 listener"
    # A header that comes in two parts 0.8 s apart must not hold up a
    # client that comes after it.
    t0=$(now_ms)
    ({ printf 'PROXY TCP4 203.0.113.20 '; sleep 0.8; printf '127.0.0.1 40000 %s\r\nGET /slow HTTP/1.0\r\n\r\n' "$NG"; sleep 0.5; } |
        timeout 8 socat -t 3 - "TCP4:127.0.0.1:$NG" >"$T/slow-$mp.reply" 2>/dev/null
     echo $(($(now_ms) - t0)) >"$T/slow-$mp.ms") &
    spid=$!
    sleep 0.2
    send "$T/reply" "[::1]:$NG" 'GET /fast HTTP/1.0\r\n\r\n' --v1 --src '[2001:db8::20]:4444' --dst "[::1]:$NG"
    t1=$(($(now_ms) - t0))
    expect_eq "$what: a client behind a slow header is served" "$(tail -n 1 "$T/reply")" "ip=2001:db8::20 port=4444"
    check "$what: ... without waiting for it (${t1} ms, want < 700)" "took $t1 ms" between "$t1" 0 699
    wait "$spid"
    ms=$(cat "$T/slow-$mp.ms" 2>/dev/null || echo 0)
    expect_eq "$what: the slow header's client is served" "$(tail -n 1 "$T/slow-$mp.reply" 2>/dev/null)" "ip=203.0.113.20 port=40000"
    check "$what: ... once its header is in (${ms} ms, want 800-2500)" "slow" between "$ms" 800 2500
    expect_line "$what: access log has the client address and port" "$T/nginx-$mp-access.log" \
        '203.0.113.20 40000 "GET /slow HTTP/1.0"'
done

# ---- preload-probe: what the socket API says, payload, flags ---------------------

make_payload "$T/payload"
# probe_line LOG N: the Nth "accept" line of a probe's log (waits for it).
probe_line() {
    local _i
    for _i in $(seq 60); do
        [ "$(grep -c '^accept ' "$1" 2>/dev/null)" -ge "$2" ] && break
        sleep 0.05
    done
    grep '^accept ' "$1" 2>/dev/null | sed -n "$2p"
}
# field LINE KEY: the value of KEY=... in LINE.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Blocking listener, plain accept(): v2 header, payload, no flags.
free_port PB
start_pre probe-block "$PB" PROXYPROTO_LOG=2 -- "$PROBE" --listen "127.0.0.1:$PB" --mode block --call accept || exit 1
timeout 10 "$PP" send "127.0.0.1:$PB" --v2 --src 203.0.113.7:51234 --dst 198.51.100.7:443 \
    <"$T/payload" >"$T/reply" 2>"$T/send.err"
check "probe (blocking, accept): payload echoed byte for byte (stacked header included)" \
    "got $(wc -c <"$T/reply") of $(wc -c <"$T/payload") bytes" cmp -s "$T/payload" "$T/reply"
l=$(probe_line "$T/probe-block.log" 1)
expect_eq "probe (blocking, accept): accept, getpeername, getsockname, flags" \
    "$(field "$l" peer) $(field "$l" peername) $(field "$l" sockname) $(field "$l" alen) nonblock=$(field "$l" nonblock) cloexec=$(field "$l" cloexec)" \
    "203.0.113.7:51234 203.0.113.7:51234 198.51.100.7:443 16 nonblock=0 cloexec=0"
fd1=$(field "$l" fd)
# The same descriptor again, with a LOCAL header: the real addresses. A
# blocking accept takes its descriptor number when it starts, so which
# connection gets the first's number depends on when the one before it was
# closed (usually the third; seen the fourth under load): LOCAL connections
# are sent, up to 6, until one does.
l=
for n in 2 3 4 5 6 7; do
    send "$T/reply" "127.0.0.1:$PB" 'ping\n' --v2 --local
    l=$(probe_line "$T/probe-block.log" "$n")
    [ "$(field "$l" fd)" = "$fd1" ] && break
done
case "$(field "$l" fd) $(field "$l" peername) $(field "$l" sockname)" in
"$fd1 127.0.0.1:"*" 127.0.0.1:$PB") pass "probe: LOCAL header on a reused descriptor: real addresses (entry cleared by close)" ;;
*) fail "probe: LOCAL header on a reused descriptor: real addresses (entry cleared by close)" "got '$l' (first fd $fd1, connection $n)" ;;
esac
expect_eq "probe: LOCAL header stripped, payload echoed" "$(cat "$T/reply")" ping

# Edge-triggered epoll on [::1], accept4(SOCK_NONBLOCK|SOCK_CLOEXEC).
free_port PE
start_pre probe-et "$PE" PROXYPROTO_LOG=2 PROXYPROTO_TIMEOUT_MS=1000 -- \
    "$PROBE" --listen "[::1]:$PE" --mode et --call accept4 --flags both || exit 1
timeout 10 "$PP" send "[::1]:$PE" --v1 --src '[2001:db8::7]:51234' --dst '[2001:db8::1]:443' \
    <"$T/payload" >"$T/reply" 2>"$T/send.err"
check "probe (epoll ET, IPv6): payload echoed byte for byte" \
    "got $(wc -c <"$T/reply") of $(wc -c <"$T/payload") bytes" cmp -s "$T/payload" "$T/reply"
l=$(probe_line "$T/probe-et.log" 1)
expect_eq "probe (epoll ET, accept4 NONBLOCK|CLOEXEC): addresses and flags" \
    "$(field "$l" peer) $(field "$l" peername) $(field "$l" sockname) $(field "$l" alen) nonblock=$(field "$l" nonblock) cloexec=$(field "$l" cloexec)" \
    "[2001:db8::7]:51234 [2001:db8::7]:51234 [2001:db8::1]:443 28 nonblock=1 cloexec=1"
send "$T/reply" "[::1]:$PE" 'x\n' --v2 --src 203.0.113.7:51234 --dst 198.51.100.7:443
l=$(probe_line "$T/probe-et.log" 2)
expect_eq "probe (IPv6 listener): an IPv4 header as ::ffff:a.b.c.d" \
    "$(field "$l" peer) $(field "$l" sockname)" "[::ffff:203.0.113.7]:51234 [::ffff:198.51.100.7]:443"

# slow_then_fast LOG PORT ADDR: a header in two parts 0.8 s apart, and
# 0.2 s after it starts, a whole one; sets FAST_MS, SLOW_MS.
slow_then_fast() {
    local _t0 _pid
    rm -f "$T/slow.ms" "$T/slow.reply" "$T/fast.reply"
    _t0=$(now_ms)
    ({ printf 'PROXY TCP4 203.0.113.30 '; sleep 0.8; printf '198.51.100.30 40000 443\r\nslow\n'; sleep 0.3; } |
        timeout 8 socat -t 3 - "TCP:$3:$2" >"$T/slow.reply" 2>/dev/null
     echo $(($(now_ms) - _t0)) >"$T/slow.ms") &
    _pid=$!
    sleep 0.2
    send "$T/fast.reply" "$3:$2" 'fast\n' --v2 --src 203.0.113.31:41000 --dst 198.51.100.31:443
    FAST_MS=$(($(now_ms) - _t0))
    wait "$_pid"
    SLOW_MS=$(cat "$T/slow.ms" 2>/dev/null || echo 99999)
}
slow_then_fast "$T/probe-et.log" "$PE" "[::1]"
check "probe (epoll ET): a client behind a slow header is not held up (${FAST_MS} ms)" \
    "took $FAST_MS ms" between "$FAST_MS" 0 699
expect_eq "probe (epoll ET): the slow header's connection is handed over when complete" \
    "$(cat "$T/slow.reply") $(field "$(probe_line "$T/probe-et.log" 4)" peer)" "slow [::ffff:203.0.113.30]:40000"
check "probe (epoll ET): ... after its header (${SLOW_MS} ms)" "slow" between "$SLOW_MS" 800 2500
expect_eq "probe (epoll ET): accepted in the order the headers completed" \
    "$(field "$(probe_line "$T/probe-et.log" 3)" port)" 41000
# A silent client, and nothing else: the timer wakes the server, which
# calls accept, which closes it.
t0=$(now_ms)
timeout 8 socat -u "TCP6:[::1]:$PE" - >/dev/null 2>&1
ms=$(($(now_ms) - t0))
check "probe (epoll ET): a silent client is closed after the timeout with no other traffic (${ms} ms, want 800-2500)" \
    "closed after $ms ms" between "$ms" 800 2500
expect_line "probe (epoll ET): the timeout is logged" "$T/probe-et.log" PROXYPROTO_ERR_TIMEOUT
expect_eq "probe (epoll ET): no event the server could not place" "$(count_lines "$T/probe-et.log" 'unknown data')" 0

# Level-triggered epoll, accept4 without flags, then with SOCK_NONBLOCK
# only: flags as asked, also for a connection that was parked.
for fl in "none 0 0" "nb 1 0"; do
    set -- $fl
    free_port PL
    start_pre "probe-lt-$1" "$PL" PROXYPROTO_LOG=1 -- "$PROBE" --listen "127.0.0.1:$PL" --mode lt \
        --call accept4 --flags "$1" || exit 1
    slow_then_fast "$T/probe-lt-$1.log" "$PL" 127.0.0.1
    check "probe (epoll LT, flags $1): a client behind a slow header is not held up (${FAST_MS} ms)" \
        "took $FAST_MS ms" between "$FAST_MS" 0 699
    l=$(probe_line "$T/probe-lt-$1.log" 2)
    expect_eq "probe (epoll LT, flags $1): parked connection handed over with its address and flags" \
        "$(cat "$T/slow.reply") $(field "$l" peer) $(field "$l" sockname) nonblock=$(field "$l" nonblock) cloexec=$(field "$l" cloexec)" \
        "slow 203.0.113.30:40000 198.51.100.30:443 nonblock=$2 cloexec=$3"
    stop_pid "$BG_PID"
done

# poll() loop: no epoll set to wake it, so the header is read inside
# accept (a slow one holds the loop up; bounded by the timeout).
free_port PQ
start_pre probe-poll "$PQ" PROXYPROTO_LOG=1 -- "$PROBE" --listen "127.0.0.1:$PQ" --mode poll || exit 1
slow_then_fast "$T/probe-poll.log" "$PQ" 127.0.0.1
expect_eq "probe (poll): both served" "$(cat "$T/slow.reply") $(cat "$T/fast.reply")" "slow fast"
expect_line "probe (poll): the fallback is logged" "$T/probe-poll.log" "in no epoll set known to the preload"
stop_pid "$BG_PID"

# addrlen truncation, as the kernel does it: too small a buffer gets its
# first bytes, *addrlen the real length, nothing past it is written.
free_port PT PK
start_pre probe-trunc "$PT" -- "$PROBE" --listen "[::1]:$PT" --mode block --addrlen 8 || exit 1
send "$T/reply" "[::1]:$PT" 'x\n' --v2 --src '[2001:db8::9]:51234' --dst "[::1]:$PT"
l=$(probe_line "$T/probe-trunc.log" 1)
expect_eq "probe: addrlen 8 for an IPv6 address (preload)" \
    "$(field "$l" alen) $(field "$l" fam) $(field "$l" port) $(field "$l" peer) $(field "$l" untouched)" \
    "28 10 51234 - 1"
start_server probe-kernel "$PK" "$PROBE" --listen "[::1]:$PK" --mode block --addrlen 8 || exit 1
free_port CP
printf 'x\n' | timeout 5 socat -t 2 - "TCP6:[::1]:$PK,sourceport=$CP" >/dev/null 2>&1
l=$(probe_line "$T/probe-kernel.log" 1)
expect_eq "probe: addrlen 8 for an IPv6 address (the kernel, no preload: same)" \
    "$(field "$l" alen) $(field "$l" fam) $(field "$l" port) $(field "$l" peer) $(field "$l" untouched)" \
    "28 10 $CP - 1"

finish
