#!/usr/bin/env bash
# tools/preload/bench.sh - what the preload costs (make bench-preload).
#
#   bash tools/preload/bench.sh BUILD_DIR [REQUESTS]
#
# 1. System calls per accepted connection, plain and with the preload
#    (tests/preload/syscalls.py: strace around an nginx-like accept loop).
# 2. nginx CPU per short request (HTTP/1.0, a connection each, `return
#    200`): one nginx process (master_process off), its CPU time from
#    /proc/PID/schedstat (ns the kernel ran it, user and system: not wall
#    time) around REQUESTS requests (default 3000, 4 at a time, from
#    tests/preload/load.py), for: plain nginx (no header), nginx under the
#    preload (v1 header), and nginx's own `proxy_protocol` (v1 header), in
#    ROUNDS interleaved rounds (default 7), each a fresh nginx. Prints the
#    median of the per-round ratios to plain, and their min and max: on a
#    shared machine a round that another process disturbed shows in the
#    spread, not in the median.
# 3. Instructions per request (valgrind --tool=callgrind, when valgrind is
#    there): nginx for INSTR_FROM then INSTR_TO requests (100, 600), one at
#    a time; the difference is per request, start-up excluded. Counted,
#    not timed: the same on a busy machine, the figure to compare changes
#    by. It sees user space only (not the kernel's work for system calls).
# A benchmark, not a test. Loopback only; it stops by itself.
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
N=${2:-1000}
ROUNDS=${ROUNDS:-15}
I1=${INSTR_FROM:-100}
I2=${INSTR_TO:-600}
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

# nginx_conf NAME LISTEN_OPTS: $T/NAME.conf, one server on NG_PORT that
# answers 200 to everything, its logs as $T/NAME-*.
nginx_conf() {
    cat >"$T/$1.conf" <<EOC
error_log $T/$1-error.log warn;
pid $T/$1.pid;
events { worker_connections 256; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$NG_PORT $2;
        location / { return 200 "ok\n"; }
    }
}
EOC
}

# nginx_run NAME LISTEN_OPTS [env...]: starts nginx on a fresh port; sets
# NG_PID and NG_PORT.
nginx_run() {
    local name=$1 opts=$2 i
    shift 2
    NG_PORT=$(port)
    nginx_conf "$name" "$opts"
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

# measure NAME HEADER: CPU nanoseconds per request of the running nginx
# (NS), from /proc/PID/schedstat: the time the kernel ran it, user and
# system, whatever else the machine does meanwhile (not wall time).
measure() {
    local t0 t1 out
    python3 "$TESTS/load.py" good 127.0.0.1 "$NG_PORT" 200 4 http --header "$2" >/dev/null
    t0=$(cpu_ns "$NG_PID")
    out=$(python3 "$TESTS/load.py" good 127.0.0.1 "$NG_PORT" "$N" 4 http --header "$2")
    t1=$(cpu_ns "$NG_PID")
    NS=$(( (t1 - t0) / N ))
    printf '    %-22s %6d ns/request  (%s)\n' "$1" "$NS" "$out"
}

stop_all() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    PIDS=""
}

# stats LABEL VALUES...: median, min and max of per-round ratios.
stats() {
    local label=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v l="$label" '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "  %-32s median %.3f  (min %.3f, max %.3f, %d rounds)\n", l, m, v[1], v[NR], NR }'
}

echo "== nginx CPU per short request ($ROUNDS rounds of $N requests each, 4 at a time)"
echo "   three nginx (plain, preload, proxy_protocol) run side by side; each round"
echo "   measures each of them in turn (order rotated), so that all three share the"
echo "   machine's conditions of that moment; ratios are per round"
# The three nginx on one CPU (the last), the clients on the others, when
# taskset is there: else the scheduler may keep one nginx on the CPU that
# another busy process uses, and it alone pays for it, round after round.
LAST=$(( $(nproc) - 1 ))
PIN=0 PIN_C=()
if command -v taskset >/dev/null 2>&1 && [ "$LAST" -ge 1 ]; then
    PIN=1
    PIN_C=(taskset -c "0-$((LAST - 1))")
fi
nginx_run plain "" ; P_PID=$NG_PID P_PORT=$NG_PORT
nginx_run preload "" LD_PRELOAD="$SO"; Q_PID=$NG_PID Q_PORT=$NG_PORT
nginx_run pp "proxy_protocol"; R_PID=$NG_PID R_PORT=$NG_PORT
for x in "$P_PID $P_PORT none" "$Q_PID $Q_PORT v1" "$R_PID $R_PORT v1"; do
    set -- $x
    [ "$PIN" -eq 0 ] || taskset -pc "$LAST" "$1" >/dev/null
    python3 "$TESTS/load.py" good 127.0.0.1 "$2" 500 4 http --header "$3" >/dev/null
done
one() { # PID PORT HEADER: sets NS
    local t0 t1
    t0=$(cpu_ns "$1")
    "${PIN_C[@]}" python3 "$TESTS/load.py" good 127.0.0.1 "$2" "$N" 4 http --header "$3" >"$T/one.out"
    t1=$(cpu_ns "$1")
    grep -q "ok=$N " "$T/one.out" || { echo "requests failed: $(cat "$T/one.out")" >&2; exit 1; }
    NS=$(( (t1 - t0) / N ))
}
RP=() RPP=() AP=() AQ=() AR=()
for round in $(seq "$ROUNDS"); do
    case $((round % 3)) in
    0) order="P Q R" ;;
    1) order="Q R P" ;;
    *) order="R P Q" ;;
    esac
    for w in $order; do
        case $w in
        P) one "$P_PID" "$P_PORT" none; a=$NS ;;
        Q) one "$Q_PID" "$Q_PORT" v1; b=$NS ;;
        R) one "$R_PID" "$R_PORT" v1; c=$NS ;;
        esac
    done
    printf '  round %2d: plain %6d  preload %6d  proxy_protocol %6d ns/request\n' "$round" "$a" "$b" "$c"
    if [ "$a" -le 0 ]; then
        echo "plain nginx used no measurable CPU: raise REQUESTS" >&2
        exit 1
    fi
    AP+=("$a") AQ+=("$b") AR+=("$c")
    RP+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", b / a }')")
    RPP+=("$(awk -v a="$a" -v c="$c" 'BEGIN { printf "%.4f", c / a }')")
done
stop_all
min() { printf '%s\n' "$@" | sort -n | head -n 1; }
stats "CPU ratio preload/plain" "${RP[@]}"
stats "CPU ratio proxy_protocol/plain" "${RPP[@]}"
awk -v a="$(min "${AP[@]}")" -v b="$(min "${AQ[@]}")" -v c="$(min "${AR[@]}")" 'BEGIN {
    printf "  least CPU of any round: plain %d, preload %d (%.3f), proxy_protocol %d (%.3f) ns\n",
        a, b, b / a, c, c / a }'

# Instructions (valgrind's callgrind: user-space instructions of the nginx
# process, deterministic, blind to the kernel's share, so to the cost of
# system calls): nginx under callgrind for I1 and then I2 requests, one at
# a time; the difference over I2 - I1 is the cost of one request, start-up
# and exit left out.
instr_run() { # NAME LISTEN_OPTS HEADER COUNT [env...]: sets IR
    local name=$1 opts=$2 hdr=$3 n=$4 i
    shift 4
    NG_PORT=$(port)
    nginx_conf "cg-$name" "$opts"
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$T/cg-$name.out" \
        nginx -p "$T/" -e "$T/cg-$name-error.log" -c "$T/cg-$name.conf" \
        -g "daemon off; master_process off;" >"$T/cg-$name.log" 2>&1 &
    NG_PID=$!
    PIDS="$PIDS $NG_PID"
    for i in $(seq 300); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $NG_PORT), 0.2)" 2>/dev/null && break
        sleep 0.1
    done
    python3 "$TESTS/load.py" good 127.0.0.1 "$NG_PORT" "$n" 1 http --header "$hdr" >/dev/null
    kill -QUIT "$NG_PID"
    wait "$NG_PID" 2>/dev/null
    PIDS=""
    IR=$(awk '/^(summary|totals):/ { print $2; exit }' "$T/cg-$name.out")
}
per_request() { # NAME LISTEN_OPTS HEADER [env...]: sets PR
    local name=$1 opts=$2 hdr=$3 lo hi
    shift 3
    instr_run "$name" "$opts" "$hdr" "$I1" "$@"
    lo=$IR
    instr_run "$name" "$opts" "$hdr" "$I2" "$@"
    hi=$IR
    PR=$(( (hi - lo) / (I2 - I1) ))
}
if command -v valgrind >/dev/null 2>&1 && [ "$I2" -gt "$I1" ]; then
    echo "== nginx instructions per short request (callgrind, $I1 then $I2 requests, one at a time)"
    per_request plain "" none
    ia=$PR
    per_request preload "" v1 LD_PRELOAD="$SO"
    ib=$PR
    per_request pp "proxy_protocol" v1
    ic=$PR
    awk -v a="$ia" -v b="$ib" -v c="$ic" 'BEGIN {
        printf "  plain %d, preload %d, proxy_protocol %d instructions/request\n", a, b, c
        printf "  instruction ratio preload/plain %.3f   proxy_protocol/plain %.3f\n", b / a, c / a }'
else
    echo "== (no valgrind: instruction counts skipped)"
fi
echo "(issue 13 target: preload within 1.15x of plain; nginx's own proxy_protocol"
echo " for comparison. CPU ratios include the kernel's share, which instructions do not.)"
