#!/usr/bin/env bash
# tests/mmproxy/bench.sh - throughput and connections/s through
# proxyproto-mmproxy, against a direct connection, HAProxy's own TCP relay
# (mode tcp, no PROXY header) and socat (a userspace read/write relay,
# a process per connection). Run by `make bench-mmproxy`:
#   bash tests/mmproxy/bench.sh BUILD_DIR [MIB] [CONNS]
# As root, in a network namespace of its own (like tests/mmproxy/run.sh);
# everything on 127.0.0.1, so client, relay and server share the cores: the
# ratios are what to read, not the absolute figures. Each figure is the
# best of 3 runs. A benchmark, not a test: nothing is judged.
#
# Read the bulk ratio with the CPU table it prints: the same client and
# server programs move the same bytes in every row, but a direct transfer
# is two processes and a relayed one three, and the relay's second TCP
# connection costs the kernel about what the first does (its splice()
# copies nothing; the second connection's segments, ACKs and loopback
# softirqs are the cost). When the cores are the limit (2 here, shared),
# the relay's ratio is about direct CPU / relayed CPU, whatever the relay
# does in user space; with a core to spare for each process it is not.
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
MIB=${2:-${BENCH_MIB:-2048}}
NCONN=${3:-${BENCH_CONNS:-3000}}

if [ -z "${MMPROXY_IN_NETNS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "bench-mmproxy: needs root (IP_TRANSPARENT, routing rules in a namespace)"; exit 1; }
    unshare -n true 2>/dev/null || { echo "bench-mmproxy: network namespaces are not available (unshare -n)"; exit 1; }
    exec unshare -n env MMPROXY_IN_NETNS=1 bash "$0" "$BDIR" "$MIB" "$NCONN"
fi

TEST_NAME=bench-mmproxy
unset INTEG_RESULTS
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"
MM=$BIN/proxyproto-mmproxy
BENCH=$BDIR/tests/mmproxy-bench

ip link set lo up
"$MM" --print-setup --to 127.0.0.1:1 --mark 7 | sh >/dev/null

free_port S1 S2 R1 R2 H1 H2 U1 U2
start_server sink $S1 "$BENCH" sink $S1 || exit 1
SINK_PID=$BG_PID
start_server pong $S2 "$BENCH" pong $S2 || exit 1
start_server relay1 $R1 "$MM" --listen 127.0.0.1:$R1 --to 127.0.0.1:$S1 --trusted 127.0.0.1 --mark 7 || exit 1
RELAY_PID=$BG_PID
start_server relay2 $R2 "$MM" --listen 127.0.0.1:$R2 --to 127.0.0.1:$S2 --trusted 127.0.0.1 --mark 7 || exit 1
cat >"$T/haproxy.cfg" <<EOC
$(haproxy_global tcp)
    option dontlog-normal
listen bulk
    bind 127.0.0.1:$H1
    server s 127.0.0.1:$S1
listen conns
    bind 127.0.0.1:$H2
    server s 127.0.0.1:$S2
EOC
sed -i 's/maxconn 200/maxconn 4000/' "$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" $H1 $H2 || exit 1
start_server socat1 $U1 socat TCP-LISTEN:$U1,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:$S1 || exit 1
start_server socat2 $U2 socat TCP-LISTEN:$U2,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:$S2 || exit 1

best() { # CMD...: the highest of 3 runs' figures
    local _b=0 _v _i
    for _i in 1 2 3; do
        _v=$("$@") || { echo 0; return; }
        [ "$_v" -gt "$_b" ] && _b=$_v
    done
    echo "$_b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system
# cpu_run PORT HEADER PIDS...: one bulk run; prints the CPU seconds per GiB
# of the client and of each of PIDS (the server, the relay), and the total.
cpu_run() {
    local _port=$1 _h=$2 _p _before="" _after="" _client
    shift 2
    for _p in "$@"; do _before="$_before $(ticks "$_p")"; done
    # `times` in the subshell: the CPU time of its child, the client.
    _client=$( ( "$BENCH" bulk "$_port" "$MIB" "$_h" >/dev/null; times ) | tail -n 1 )
    for _p in "$@"; do _after="$_after $(ticks "$_p")"; done
    awk -v c="$_client" -v b="$_before" -v a="$_after" -v hz="$HZ" -v mib="$MIB" '
        function secs(t,  m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
        BEGIN {
            split(c, ct, " "); cl = secs(ct[1]) + secs(ct[2]); tot = cl
            printf "%8.2f", cl * 1024 / mib
            n = split(b, bb, " "); split(a, aa, " ")
            for (i = 1; i <= n; i++) { s = (aa[i] - bb[i]) / hz; tot += s; printf " %8.2f", s * 1024 / mib }
            if (n < 2) printf " %8s", "-"
            printf " %8.2f\n", tot * 1024 / mib
        }'
}

echo "bench-mmproxy: $MIB MiB one way per bulk run, $NCONN connections per run, best of 3, $(nproc) cores"
d_bulk=$(best "$BENCH" bulk $S1 "$MIB" 0)
m_bulk=$(best "$BENCH" bulk $R1 "$MIB" 1)
h_bulk=$(best "$BENCH" bulk $H1 "$MIB" 0)
u_bulk=$(best "$BENCH" bulk $U1 "$MIB" 0)
d_conn=$(best "$BENCH" conns $S2 "$NCONN" 0)
m_conn=$(best "$BENCH" conns $R2 "$NCONN" 1)
h_conn=$(best "$BENCH" conns $H2 "$NCONN" 0)
u_conn=$(best "$BENCH" conns $U2 "$NCONN" 0)
printf '%-28s %10s %8s %10s %8s\n' "" "MiB/s" "/direct" "conns/s" "/direct"
printf '%-28s %10s %8s %10s %8s\n' "direct" "$d_bulk" "1.00x" "$d_conn" "1.00x"
printf '%-28s %10s %8s %10s %8s\n' "proxyproto-mmproxy (splice)" "$m_bulk" "$(ratio "$m_bulk" "$d_bulk")" "$m_conn" "$(ratio "$m_conn" "$d_conn")"
printf '%-28s %10s %8s %10s %8s\n' "haproxy mode tcp" "$h_bulk" "$(ratio "$h_bulk" "$d_bulk")" "$h_conn" "$(ratio "$h_conn" "$d_conn")"
printf '%-28s %10s %8s %10s %8s\n' "socat (read/write, fork)" "$u_bulk" "$(ratio "$u_bulk" "$d_bulk")" "$u_conn" "$(ratio "$u_conn" "$d_conn")"
echo
echo "CPU seconds per GiB, one bulk run each (user + system, softirqs included"
echo "where they ran in the process's time):"
printf '%-28s %8s %8s %8s %8s\n' "" client server relay total
printf '%-28s %s\n' "direct" "$(cpu_run $S1 0 "$SINK_PID")"
printf '%-28s %s\n' "proxyproto-mmproxy (splice)" "$(cpu_run $R1 1 "$SINK_PID" "$RELAY_PID")"
echo "(the relay's figures above share $(nproc) cores between 3 processes, direct's between 2)"
echo "mmproxy vs haproxy: bulk $(ratio "$m_bulk" "$h_bulk"), conns $(ratio "$m_conn" "$h_conn"); vs socat: bulk $(ratio "$m_bulk" "$u_bulk"), conns $(ratio "$m_conn" "$u_conn")"
