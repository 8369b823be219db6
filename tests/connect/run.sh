#!/usr/bin/env bash
# tests/connect/run.sh - libproxyproto-connect.so in unmodified clients.
#
#   bash tests/connect/run.sh BUILD_DIR        (make test-connect-preload)
#
# BUILD_DIR holds lib/libproxyproto-connect.so, bin/proxyproto and
# tests/connect-nbclient. Clients that know nothing of the PROXY protocol
# run with LD_PRELOAD and PROXYPROTO_CONNECT_TO:
#   - curl, python3 (urllib with and without a timeout, asyncio), nc
#     (blocking, and -w: a non-blocking connect) and connect-nbclient
#     (tests/connect/nbclient.c: EINPROGRESS, then write, writev, sendmsg,
#     sendto, sendfile, an early write, a read first, TCP Fast Open)
#     to HAProxy `accept-proxy` (which answers with %[src]:%[src_port]
#     %[dst]:%[dst_port] and the AUTHORITY and UNIQUE_ID TLVs) and nginx
#     `proxy_protocol`, http and stream (which answer
#     $proxy_protocol_addr:$proxy_protocol_port and the server's);
#   - v1 and v2, IPv4 and IPv6, overridden addresses;
#   - a capture server (socat) for the exact bytes, decoded by
#     `proxyproto decode`: the version, the raw TLVs and CRC32C, and that a
#     destination not listed, a UDP connect and an unset
#     PROXYPROTO_CONNECT_TO get no header;
#   - bad settings: one message naming the variable and why, and the
#     connection refused (EACCES) with nothing sent.
# Only 127.0.0.1 and ::1 carry traffic (192.0.2.x, 198.51.100.x and
# 2001:db8:: are only written in headers). Every wait is bounded; the EXIT
# trap of tests/integration/lib.sh ends every process started here. Prints
# ok/FAIL per check and ends with "connect-preload: N passed, M failed".
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=connect-preload
unset INTEG_RESULTS
START_WAIT=15
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-connect.so
NB=$BDIR/tests/connect-nbclient
PP=$BIN/proxyproto
# Settings of the caller must not leak in.
unset PROXYPROTO_CONNECT_TO PROXYPROTO_CONNECT_VERSION PROXYPROTO_CONNECT_SRC \
    PROXYPROTO_CONNECT_DST PROXYPROTO_CONNECT_AUTHORITY PROXYPROTO_CONNECT_UNIQUE_ID \
    PROXYPROTO_CONNECT_TLVS PROXYPROTO_CONNECT_CRC32C PROXYPROTO_LOG

need_tools python3 haproxy nginx curl socat nc nm || { finish; exit 1; }
for f in "$SO" "$NB" "$PP"; do
    if [ ! -e "$f" ]; then
        fail "prerequisite $f" "missing (make all $NB builds it)"
        finish
        exit 1
    fi
done
MOD=$(nginx_stream_module)
[ -n "$MOD" ] || { fail "prerequisite nginx stream module" "libnginx-mod-stream is not installed"; finish; exit 1; }

# ---- the shared object --------------------------------------------------------

got=$(nm -D --defined-only "$SO" | awk 'NF == 3 { print $3 }' | sort | tr '\n' ' ')
expect_eq "the .so exports exactly the intercepted libc functions" "$got" \
    "close connect getsockopt send sendfile sendfile64 sendmmsg sendmsg sendto shutdown write writev "
got=$(nm -D --undefined-only "$SO" | awk '{ print $2 }' | sed 's/@.*//' |
    grep -E '^(malloc|calloc|realloc|reallocarray|free|strdup|mmap|mmap64)$' | tr '\n' ' ')
expect_eq "the .so references no allocator" "$got" ""

# ---- servers ------------------------------------------------------------------

free_port H4 H6 N4 N6 S4 S6
RET='%[src]:%[src_port] %[dst]:%[dst_port] a=%[fc_pp_authority] u=%[fc_pp_unique_id]'
{
    haproxy_global http
    cat <<EOC

frontend fe_pp
    bind 127.0.0.1:$H4 accept-proxy
    bind [::1]:$H6 accept-proxy
    http-request return status 200 content-type text/plain lf-string "$RET\n"
EOC
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$H4" "$H6" || exit 1

NRET='$proxy_protocol_addr:$proxy_protocol_port $proxy_protocol_server_addr:$proxy_protocol_server_port'
cat >"$T/nginx.conf" <<EOC
load_module $MOD;
error_log $T/nginx-error.log info;
pid $T/nginx.pid;
events { worker_connections 128; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$N4 proxy_protocol;
        listen [::1]:$N6 proxy_protocol;
        location / { return 200 "$NRET\n"; }
    }
}
stream {
    server {
        listen 127.0.0.1:$S4 proxy_protocol;
        listen [::1]:$S6 proxy_protocol;
        return "$NRET\n";
    }
}
EOC
start_nginx nginx "$T/nginx.conf" "$N4" "$N6" "$S4" "$S6" || exit 1

# pre VAR=VALUE... -- CMD...: CMD with the preload; stdout to $T/out,
# stderr to $T/err, exit code in RC. Bounded: 10 s.
pre() {
    local _env=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        _env+=("$1")
        shift
    done
    shift
    timeout 10 env LD_PRELOAD="$SO" "${_env[@]}" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# expect_out NAME WANT: the client succeeded and its output (CR removed)
# is WANT, a bash pattern (* for a port the kernel chose).
expect_out() {
    local _got
    _got=$(tr -d '\r' <"$T/out")
    # shellcheck disable=SC2053
    if [ "$RC" = 0 ] && [[ $_got == $2 ]]; then
        pass "$1"
    else
        fail "$1" "exit $RC, got '$(printf '%s' "$_got" | head -c 300)', want '$2'; stderr: $(head -c 300 "$T/err" | tr '\n' '|')"
    fi
}

# A port the kernel chose: digits, not 0.
EPH='[1-9]*([0-9])'
shopt -s extglob

# ---- curl: HAProxy and nginx, v1 and v2, IPv4 and IPv6 ---------------------------

for v in 1 2; do
    free_port CP
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=$v -- \
        curl -sS --max-time 5 --local-port "$CP" "http://127.0.0.1:$H4/"
    expect_out "curl -> HAProxy accept-proxy, v$v IPv4: the client's own address" \
        "127.0.0.1:$CP 127.0.0.1:$H4 a= u="
    free_port CP
    pre PROXYPROTO_CONNECT_TO="[::1]:$H6" PROXYPROTO_CONNECT_VERSION=$v -- \
        curl -sS -g --max-time 5 --local-port "$CP" "http://[::1]:$H6/"
    expect_out "curl -> HAProxy accept-proxy, v$v IPv6" "::1:$CP ::1:$H6 a= u="
    free_port CP
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$N4" PROXYPROTO_CONNECT_VERSION=$v -- \
        curl -sS --max-time 5 --local-port "$CP" "http://127.0.0.1:$N4/"
    expect_out "curl -> nginx http proxy_protocol, v$v IPv4" "127.0.0.1:$CP 127.0.0.1:$N4"
    free_port CP
    pre PROXYPROTO_CONNECT_TO="::1" PROXYPROTO_CONNECT_VERSION=$v -- \
        curl -sS -g --max-time 5 --local-port "$CP" "http://[::1]:$N6/"
    expect_out "curl -> nginx http proxy_protocol, v$v IPv6 (TO=::1, any port)" "::1:$CP ::1:$N6"
done

# ---- python3: urllib (blocking, and with a timeout: non-blocking), asyncio ------

URL4="http://127.0.0.1:$H4/"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=2 -- \
    python3 -c "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('$URL4').read().decode())"
expect_out "python3 urllib (blocking connect) -> HAProxy, v2" "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" -- \
    python3 -c "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('$URL4', timeout=5).read().decode())"
expect_out "python3 urllib timeout=5 (non-blocking connect, SO_ERROR) -> HAProxy, v1" \
    "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="
pre PROXYPROTO_CONNECT_TO="[::1]:$N6" PROXYPROTO_CONNECT_VERSION=2 -- \
    python3 -c "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('http://[::1]:$N6/', timeout=5).read().decode())"
expect_out "python3 urllib timeout=5 -> nginx, v2 IPv6" "::1:$EPH ::1:$N6"
cat >"$T/aio.py" <<'EOF'
import asyncio, sys
async def main(host, port):
    r, w = await asyncio.open_connection(host, int(port))
    w.write(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    data = await asyncio.wait_for(r.read(), 5)
    sys.stdout.write(data.decode().split("\r\n\r\n", 1)[1])
asyncio.run(main(sys.argv[1], sys.argv[2]))
EOF
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$N4" PROXYPROTO_CONNECT_VERSION=2 -- python3 "$T/aio.py" 127.0.0.1 "$N4"
expect_out "python3 asyncio (non-blocking, event loop) -> nginx, v2" "127.0.0.1:$EPH 127.0.0.1:$N4"
pre PROXYPROTO_CONNECT_TO="[::1]:$H6" -- python3 "$T/aio.py" ::1 "$H6"
expect_out "python3 asyncio -> HAProxy, v1 IPv6" "::1:$EPH ::1:$H6 a= u="

# ---- nc (netcat-openbsd) ---------------------------------------------------------

REQ10=$'GET / HTTP/1.0\r\nHost: x\r\n\r\n'
free_port CP
printf '%s' "$REQ10" >"$T/req"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" -- sh -c "nc -N -p $CP 127.0.0.1 $H4 <'$T/req' | sed '1,/^\r*\$/d'"
expect_out "nc (blocking connect, shutdown after input) -> HAProxy, v1" "127.0.0.1:$CP 127.0.0.1:$H4 a= u="
free_port CP
pre PROXYPROTO_CONNECT_TO="[::1]:$N6" PROXYPROTO_CONNECT_VERSION=2 -- sh -c "nc -N -w 5 -p $CP ::1 $N6 <'$T/req' | sed '1,/^\r*\$/d'"
expect_out "nc -w 5 (non-blocking connect) -> nginx http, v2 IPv6" "::1:$CP ::1:$N6"
free_port CP
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$S4" -- nc -p "$CP" 127.0.0.1 "$S4" </dev/null
expect_out "nc -> nginx stream (the server speaks first), v1" "127.0.0.1:$CP 127.0.0.1:$S4"
free_port CP
pre PROXYPROTO_CONNECT_TO="[::1]:$S6" PROXYPROTO_CONNECT_VERSION=2 -- nc -w 5 -p "$CP" ::1 "$S6" </dev/null
expect_out "nc -w 5 -> nginx stream (speaks first; header at SO_ERROR), v2 IPv6" "::1:$CP ::1:$S6"

# ---- a non-blocking C client: every send call, an early one, a read first -------

for m in poll confirm writev sendmsg sendto sendfile block nodelay; do
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=2 -- "$NB" 127.0.0.1 "$H4" "$m" "$REQ10"
    sed -i '1,/^\r*$/d' "$T/out"
    expect_out "nbclient $m -> HAProxy, v2" "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="
done
pre PROXYPROTO_CONNECT_TO="[::1]:$N6" -- "$NB" ::1 "$N6" early "$REQ10"
sed -i '1,/^\r*$/d' "$T/out"
expect_out "nbclient: a write right after EINPROGRESS -> nginx, v1 IPv6" "::1:$EPH ::1:$N6"

# A write while the handshake is surely not done: the server's accept
# queue is full (listen(0) and one connection waiting), so the client's
# SYN is dropped and sent again a second later.
free_port SL
cat >"$T/slow.py" <<'PYEOF'
import socket, sys, time
port, out, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket()
ls.bind(("127.0.0.1", port))
ls.listen(0)
filler = socket.create_connection(("127.0.0.1", port))
time.sleep(0.2)
open(ready, "w").close()
time.sleep(1.0)
ls.settimeout(8)
ls.accept()
c, _ = ls.accept()
c.settimeout(8)
data = b""
# The request's end, after the header (a v2 header's signature has a
# blank line of its own, and may arrive in a segment alone).
def request_done(d):
    skip = 16 + int.from_bytes(d[14:16], "big") if d.startswith(b"\r\n\r\n\0") and len(d) >= 16 else 0
    return b"\r\n\r\n" in d[skip:] if len(d) >= 16 or not d.startswith(b"\r") else False
while not request_done(data):
    chunk = c.recv(4096)
    if not chunk:
        break
    data += chunk
open(out, "wb").write(data)
c.sendall(b"done\n")
c.close()
PYEOF
# slow_server NAME PORT: slow.py on PORT, its capture in $T/NAME.cap,
# waiting (bounded) until its accept queue is full.
slow_server() {
    start_bg "$1" timeout 15 python3 "$T/slow.py" "$2" "$T/$1.cap" "$T/$1.ready"
    SLOW_PID=$BG_PID
    for _i in $(seq 1 100); do [ -e "$T/$1.ready" ] && break; sleep 0.1; done
}
slow_server slow "$SL"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$SL" PROXYPROTO_CONNECT_VERSION=2 -- "$NB" 127.0.0.1 "$SL" early "$REQ10"
wait "$SLOW_PID" 2>/dev/null
expect_eq "nbclient: a write before the handshake is done gets EAGAIN" "$(grep '^early:' "$T/err")" "early: EAGAIN"
expect_out "nbclient: ... and once it is done, the request is answered" "done"
got=$("$PP" decode "$T/slow.cap" 2>&1)
case $got in
*'"result":"ok","version":2,'*'"dst_port":'$SL,*'"payload_len":'${#REQ10}[,}]*) pass "nbclient: ... the server got one v2 header, then the whole request" ;;
*) fail "nbclient: ... the server got one v2 header, then the whole request" "decode says $got" ;;
esac
# A blocking connect interrupted by a signal (EINTR: the kernel goes on
# connecting), then a blocking write at once: it waits for the connection,
# header first.
free_port SL
slow_server eintr "$SL"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$SL" -- "$NB" 127.0.0.1 "$SL" eintr "$REQ10"
wait "$SLOW_PID" 2>/dev/null
expect_eq "nbclient: a blocking connect interrupted by a signal says EINTR" "$(grep '^eintr:' "$T/err")" "eintr: EINTR"
expect_out "nbclient: ... then a blocking write is answered" "done"
got=$("$PP" decode "$T/eintr.cap" 2>&1)
case $got in
*'"result":"ok","version":1,'*'"dst_port":'$SL,*'"payload_len":'${#REQ10}[,}]*) pass "nbclient: ... the server got one v1 header, then the whole request" ;;
*) fail "nbclient: ... the server got one v1 header, then the whole request" "decode says $got" ;;
esac
free_port REFUSED
pre NB_REFUSED=$REFUSED PROXYPROTO_CONNECT_TO=127.0.0.1 -- "$NB" 127.0.0.1 "$H4" retry "$REQ10"
sed -i '1,/^\r*$/d' "$T/out"
expect_out "nbclient: refused, then the same socket elsewhere: the header names the new destination" \
    "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$S4" PROXYPROTO_CONNECT_VERSION=2 -- "$NB" 127.0.0.1 "$S4" readfirst ""
expect_out "nbclient: EINPROGRESS, SO_ERROR, read first -> nginx stream, v2" "127.0.0.1:$EPH 127.0.0.1:$S4"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" -- "$NB" 127.0.0.1 "$H4" fastopen "$REQ10"
sed -i '1,/^\r*$/d' "$T/out"
expect_out "nbclient: sendto(MSG_FASTOPEN) without connect -> HAProxy, v1" "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="

free_port CP
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=2 -- \
    curl -sS --tcp-fastopen --max-time 5 --local-port "$CP" "http://127.0.0.1:$H4/"
expect_out "curl --tcp-fastopen (TCP_FASTOPEN_CONNECT) -> HAProxy, v2" "127.0.0.1:$CP 127.0.0.1:$H4 a= u="

# Signals and threads: no lock to deadlock on, no header lost or doubled.
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=2 -- "$NB" 127.0.0.1 "$H4" storm "$REQ10"
expect_out "200 connections under SIGALRM every 100 us, the handler sending on the socket: each header its own" \
    "storm: 200 ok, 0 bad"
cat >"$T/threads.py" <<'PYEOF'
import http.client, sys
from concurrent.futures import ThreadPoolExecutor
port = int(sys.argv[1])
def one(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/")
    body = c.getresponse().read().decode()
    me = "%s:%d " % c.sock.getsockname()
    c.close()
    return body.startswith(me)
with ThreadPoolExecutor(16) as ex:
    res = list(ex.map(one, range(300)))
print("threads: %d ok, %d bad" % (res.count(True), res.count(False)))

PYEOF
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" -- python3 "$T/threads.py" "$H4"
expect_out "python3, 16 threads, 300 connections (non-blocking, timeout=5): each header its own" \
    "threads: 300 ok, 0 bad"

# ---- addresses from the settings, TLVs -------------------------------------------

pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_SRC=192.0.2.7:4242 \
    PROXYPROTO_CONNECT_DST=198.51.100.9:80 -- curl -sS --max-time 5 "http://127.0.0.1:$H4/"
expect_out "PROXYPROTO_CONNECT_SRC/_DST with ports -> HAProxy, v1" "192.0.2.7:4242 198.51.100.9:80 a= u="
free_port CP
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$N4" PROXYPROTO_CONNECT_VERSION=2 PROXYPROTO_CONNECT_SRC=192.0.2.8 -- \
    curl -sS --max-time 5 --local-port "$CP" "http://127.0.0.1:$N4/"
expect_out "PROXYPROTO_CONNECT_SRC without a port keeps the client's -> nginx, v2" "192.0.2.8:$CP 127.0.0.1:$N4"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$N4" PROXYPROTO_CONNECT_SRC='[2001:db8::7]:5555' -- \
    curl -sS --max-time 5 "http://127.0.0.1:$N4/"
expect_out "an IPv6 source on an IPv4 connection, v1: TCP6 with ::ffff:127.0.0.1 -> nginx" \
    "2001:db8::7:5555 ::ffff:127.0.0.1:$N4"
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4" PROXYPROTO_CONNECT_VERSION=2 \
    PROXYPROTO_CONNECT_AUTHORITY=app.example.com PROXYPROTO_CONNECT_UNIQUE_ID=req-42 -- \
    curl -sS --max-time 5 "http://127.0.0.1:$H4/"
expect_out "AUTHORITY and UNIQUE_ID TLVs: HAProxy's fc_pp_authority and fc_pp_unique_id" \
    "127.0.0.1:$EPH 127.0.0.1:$H4 a=app.example.com u=req-42"
pre PROXYPROTO_CONNECT_TO="127.0.0.0/8" PROXYPROTO_CONNECT_VERSION=2 -- curl -sS --max-time 5 "http://127.0.0.1:$H4/"
expect_out "PROXYPROTO_CONNECT_TO=127.0.0.0/8 (a network)" "127.0.0.1:$EPH 127.0.0.1:$H4 a= u="
pre PROXYPROTO_CONNECT_TO="*:$H6" -- curl -sS -g --max-time 5 "http://[::1]:$H6/"
expect_out "PROXYPROTO_CONNECT_TO=*:PORT (any address)" "::1:$EPH ::1:$H6 a= u="

# ---- both sides: a server under the receive preload -------------------------------

if [ -e "$BDIR/lib/libproxyproto-preload.so" ]; then
    free_port PY
    mkdir -p "$T/www"
    echo hello >"$T/www/x"
    start_server py "$PY" env LD_PRELOAD="$BDIR/lib/libproxyproto-preload.so" \
        python3 -u -m http.server "$PY" --bind 127.0.0.1 --directory "$T/www" || exit 1
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$PY" PROXYPROTO_CONNECT_VERSION=2 \
        PROXYPROTO_CONNECT_SRC=203.0.113.77:4321 -- curl -sS --max-time 5 "http://127.0.0.1:$PY/x?both"
    expect_out "curl under the connect preload -> python3 http.server under the receive preload" hello
    expect_line "... which logs the client the header named" "$T/py.log" '203.0.113.77 - - ['
else
    fail "prerequisite libproxyproto-preload.so" "missing (make all builds it)"
fi

# ---- the exact bytes: a capture server, decoded -----------------------------------

# capture NAME PORT [udp]: socat writes what one client sends to $T/NAME.cap.
capture() {
    free_port "$2"
    if [ "${3:-}" = udp ]; then
        start_bg "cap-$1" timeout 10 socat -u "UDP4-RECV:${!2},bind=127.0.0.1" "OPEN:$T/$1.cap,creat,trunc"
        sleep 0.3
    else
        start_server "cap-$1" "${!2}" timeout 10 socat -T 1 -u "TCP-LISTEN:${!2},bind=127.0.0.1,reuseaddr" \
            "OPEN:$T/$1.cap,creat,trunc"
    fi
    CAP_PID=$BG_PID
}
# decoded NAME: `proxyproto decode` of the capture.
decoded() {
    wait "$CAP_PID" 2>/dev/null
    "$PP" decode "$T/$1.cap" 2>&1
}

for v in 1 2; do
    capture v$v CP4
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$CP4" PROXYPROTO_CONNECT_VERSION=$v PROXYPROTO_LOG=2 -- \
        curl -sS --max-time 2 --local-port 20000 -o /dev/null "http://127.0.0.1:$CP4/" ||
        true
    got=$(decoded v$v)
    case $got in
    *'"result":"ok","version":'$v',"command":"PROXY","family":"INET","transport":"STREAM","src":"127.0.0.1","src_port":20000,"dst":"127.0.0.1","dst_port":'$CP4*'"payload_len":'[1-9]*)
        pass "capture: one v$v header, then curl's request" ;;
    *) fail "capture: one v$v header, then curl's request" "decode says $got" ;;
    esac
    hl=$(printf '%s' "$got" | sed -n 's/.*"header_len":\([0-9]*\).*/\1/p')
    expect_eq "capture v$v: the payload after the header is curl's GET" \
        "$(tail -c +$((${hl:-0} + 1)) "$T/v$v.cap" | head -n 1 | tr -d '\r')" "GET / HTTP/1.1"
    expect_line "PROXYPROTO_LOG=2 logs the header sent (v$v)" "$T/err" \
        "header v$v sent"
done

capture tlv CP4
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$CP4" PROXYPROTO_CONNECT_VERSION=2 PROXYPROTO_CONNECT_CRC32C=1 \
    PROXYPROTO_CONNECT_TLVS=0xE0=0102030405060708,234=017670636531 -- \
    curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
got=$(decoded tlv)
case $got in
*'"result":"ok"'*'"tlvs":[{"type":224,"length":8,"value":"0102030405060708"'*'{"type":234,"length":6,"value":"017670636531"'*'{"type":3,"length":4,'*)
    pass "PROXYPROTO_CONNECT_TLVS and _CRC32C: raw TLVs in order, CRC32C verified by decode" ;;
*) fail "PROXYPROTO_CONNECT_TLVS and _CRC32C" "decode says $got" ;;
esac

# A long TLV (200 bytes, 400 hex digits in one entry).
capture longtlv CP4
LONG=$(head -c 200 /dev/zero | tr '\0' '\252' | od -An -v -tx1 | tr -d ' \n')
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$CP4" PROXYPROTO_CONNECT_VERSION=2 PROXYPROTO_CONNECT_TLVS="0xE1=$LONG" -- \
    curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
got=$(decoded longtlv)
case $got in
*'"result":"ok"'*'"tlvs":[{"type":225,"length":200,"value":"'$LONG'"}]'*) pass "PROXYPROTO_CONNECT_TLVS: a 200-byte value" ;;
*) fail "PROXYPROTO_CONNECT_TLVS: a 200-byte value" "decode says $(printf '%s' "$got" | head -c 300)" ;;
esac

capture notlisted CP4
pre PROXYPROTO_CONNECT_TO="127.0.0.1:$H4,[::1]:$CP4" -- curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
wait "$CAP_PID" 2>/dev/null
expect_eq "a destination not listed (same port, other address) gets no header" \
    "$(head -c 4 "$T/notlisted.cap")" "GET "
capture unset CP4
pre -- curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
wait "$CAP_PID" 2>/dev/null
expect_eq "PROXYPROTO_CONNECT_TO unset: no header" "$(head -c 4 "$T/unset.cap")" "GET "
expect_eq "PROXYPROTO_CONNECT_TO unset: nothing said" "$(count_lines "$T/err" proxyproto-connect)" 0
capture udp CPU udp
pre PROXYPROTO_CONNECT_TO="127.0.0.1" -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(('127.0.0.1', $CPU))
s.send(b'datagram')"
wait "$CAP_PID" 2>/dev/null
expect_eq "a UDP connect to a listed address: untouched" "$(cat "$T/udp.cap")" datagram

# ---- bad settings: said once, connections refused ----------------------------------

# sent NAME: "none" when the capture server got no byte (or no client).
sent() { if [ -s "$T/$1.cap" ]; then echo "$(wc -c <"$T/$1.cap") bytes"; else echo none; fi; }

# bad NAME WANT-IN-MESSAGE VAR=VALUE...: curl twice in one process to a
# capture server is refused, one message, nothing sent.
bad() {
    local _n=$1 _w=$2
    shift 2
    capture bad CP4
    pre PROXYPROTO_CONNECT_TO="127.0.0.1:$CP4" "$@" -- \
        sh -c "curl -sS --max-time 2 -o /dev/null http://127.0.0.1:$CP4/a http://127.0.0.1:$CP4/b"
    kill "$CAP_PID" 2>/dev/null
    wait "$CAP_PID" 2>/dev/null
    expect_eq "bad $_n: curl could not connect (exit 7)" "$RC" 7
    expect_eq "bad $_n: one message, naming it and why" \
        "$(grep -c 'proxyproto-connect\[[0-9]*\]: .*'"$_w"'.*every TCP connect() of this process fails (EACCES)' "$T/err")" 1
    expect_eq "bad $_n: both of curl's connections failed" "$(grep -c 'Failed to connect' "$T/err")" 2
    expect_eq "bad $_n: nothing was sent" "$(sent bad)" none
}
bad "version" 'PROXYPROTO_CONNECT_VERSION=3: expected 1 or 2' PROXYPROTO_CONNECT_VERSION=3
bad "TLV on v1" 'TLVs (AUTHORITY, UNIQUE_ID, TLVS, CRC32C) need version 2' PROXYPROTO_CONNECT_AUTHORITY=x
bad "source" 'PROXYPROTO_CONNECT_SRC=192.0.2.300: not an IPv4 or IPv6 address' PROXYPROTO_CONNECT_SRC=192.0.2.300
bad "TLV value" '0xE0=123: the value must be an even number of hex digits' PROXYPROTO_CONNECT_TLVS=0xE0=123
bad "UNIQUE_ID" 'PROXYPROTO_CONNECT_UNIQUE_ID=.*: longer than 128 bytes' \
    PROXYPROTO_CONNECT_UNIQUE_ID="$(head -c 129 /dev/zero | tr '\0' u)"
capture badto CP4
pre PROXYPROTO_CONNECT_TO="127.0.0.1/8:$CP4" -- curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
expect_eq "bad PROXYPROTO_CONNECT_TO: refused, the entry and why" \
    "$RC $(grep -c 'PROXYPROTO_CONNECT_TO=127.0.0.1/8:[0-9]*: 127.0.0.1/8:[0-9]*: host bits set after /8' "$T/err")" "7 1"
pre PROXYPROTO_CONNECT_TO= -- curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$CP4/"
expect_eq "PROXYPROTO_CONNECT_TO set but empty: refused, and said" \
    "$RC $(grep -c 'PROXYPROTO_CONNECT_TO=: set but empty' "$T/err")" "7 1"
kill "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
expect_eq "bad PROXYPROTO_CONNECT_TO: nothing was sent" "$(sent badto)" none
capture udpbad CPU udp
pre PROXYPROTO_CONNECT_TO="127.0.0.1" PROXYPROTO_CONNECT_VERSION=3 -- python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(('127.0.0.1', $CPU))
s.send(b'datagram')"
wait "$CAP_PID" 2>/dev/null
expect_eq "bad settings: a UDP connect still works, untouched (only TCP is refused)" \
    "$RC $(cat "$T/udpbad.cap" 2>/dev/null)" "0 datagram"
pre PROXYPROTO_CONNECT_VERSION=3 -- sh -c 'true; echo quiet'
expect_eq "bad settings in a process that makes no connection: nothing said" "$(cat "$T/out" "$T/err")" quiet

finish
