#!/usr/bin/env bash
# tools/preload/bench.sh - what the preload costs (make bench-preload).
#
#   bash tools/preload/bench.sh BUILD_DIR [REQUESTS]
#
# 1. System calls per accepted connection, plain and with the preload
#    (tests/preload/syscalls.py: strace around an nginx-like accept loop).
# 2. nginx CPU per short request (HTTP/1.0, a connection each, `return
#    200`): one nginx process (master_process off), its CPU time from
#    /proc/PID/schedstat (ns) around REQUESTS requests (default 5000, 4 at a
#    time, from tests/preload/load.py), for: plain nginx (no header), nginx
#    under the preload (v1 header), and nginx's own `proxy_protocol` (v1
#    header), three rounds interleaved. Prints the ratios to plain. A
#    benchmark, not a test: on a shared machine, run it twice. Loopback
#    only; it stops by itself.
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
N=${2:-5000}
HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$HERE/../../tests/preload
SO=$BDIR/lib/libproxyproto-preload.so
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-preload.XXXXXX") || exit 2
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT

echo "== system calls per accepted connection (header complete at accept)"
timeout 120 python3 "$TESTS/syscalls.py" "$BDIR" 500 || exit 1

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# cpu_ns PID: CPU time of PID (its main thread: nginx has one), in ns.
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }

# nginx_run NAME LISTEN_OPTS [env...]: starts nginx on a fresh port; sets
# NG_PID and NG_PORT.
nginx_run() {
    local name=$1 opts=$2 i
    shift 2
    NG_PORT=$(port)
    cat >"$T/$name.conf" <<EOC
error_log $T/$name-error.log warn;
pid $T/$name.pid;
events { worker_connections 256; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$NG_PORT $opts;
        location / { return 200 "ok\n"; }
    }
}
EOC
    env "$@" nginx -p "$T/" -e "$T/$name-error.log" -c "$T/$name.conf" \
        -g "daemon off; master_process off;" >"$T/$name.out" 2>&1 &
    NG_PID=$!
    PIDS="$PIDS $NG_PID"
    for i in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $NG_PORT), 0.2)" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nginx $name did not start: $(cat "$T/$name.out")" >&2
    exit 1
}

# measure NAME HEADER: CPU microseconds per request of the running nginx.
measure() {
    local t0 t1 out
    python3 "$TESTS/load.py" good 127.0.0.1 "$NG_PORT" 200 4 http --header "$2" >/dev/null
    t0=$(cpu_ns "$NG_PID")
    out=$(python3 "$TESTS/load.py" good 127.0.0.1 "$NG_PORT" "$N" 4 http --header "$2")
    t1=$(cpu_ns "$NG_PID")
    NS=$(( (t1 - t0) / N ))
    printf '  %-28s %6d ns/request  (%s)\n' "$1" "$NS" "$out"
}

echo "== nginx CPU per short request ($N requests each, 4 at a time)"
declare -A R
for round in 1 2 3; do
    nginx_run plain ""
    measure "plain" none
    R[plain]=$(( ${R[plain]:-0} + NS ))
    nginx_run preload "" LD_PRELOAD="$SO"
    measure "preload" v1
    R[preload]=$(( ${R[preload]:-0} + NS ))
    nginx_run pp "proxy_protocol"
    measure "nginx proxy_protocol" v1
    R[pp]=$(( ${R[pp]:-0} + NS ))
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    PIDS=""
done
awk -v a="${R[plain]}" -v b="${R[preload]}" -v c="${R[pp]}" 'BEGIN {
    if (a == 0) { print "plain nginx used no measurable CPU: raise REQUESTS"; exit 1 }
    printf "ratio preload/plain %.2f   nginx proxy_protocol/plain %.2f   (issue 13 target: preload <= 1.15)\n", b / a, c / a }'
