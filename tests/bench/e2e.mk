# make bench-e2e   connections per second served end to end by
#                  examples/epoll-server, with a v2 PROXY header and without,
#                  measured by tests/bench/loadgen.c on loopback.
# Not part of `make check`: rates depend on the machine and its load.
#
# One epoll-server (--quiet --trusted 127.0.0.1/32 --allow-untrusted) on a
# free port of 127.0.0.1. loadgen runs against it alternately
#   with-v2-header  from 127.0.0.1 (trusted: the server reads the header)
#   no-header       from 127.0.0.2 (untrusted, passed through without one)
# for BENCH_E2E_ROUNDS rounds (the order flips each round), each run
# BENCH_E2E_SECONDS measured after BENCH_E2E_WARMUP, then prints the median
# of each and their ratio:
#   bench: e2e/with-v2-header <n> conn/s
#   bench: e2e/no-header <n> conn/s
#   bench: e2e/ratio <with / without>
# and, to judge the noise: a line per round, the median of the per-round
# ratios (ratio-paired), and the server's CPU time per connection in each
# mode (/proc/PID/schedstat; cpu-ratio = no-header / with-header cost, the
# rate ratio to expect where the server's CPU is the bottleneck).
# On a machine shared with other work, single rounds move by +-20%: more
# rounds (BENCH_E2E_ROUNDS=15 BENCH_E2E_SECONDS=1) or repeated runs help.
# BENCH_E2E_PIN="0 1" pins the server to CPU 0 and loadgen to CPU 1 (taskset).

LOADGEN := $(B)/bench/loadgen
BENCH_E2E_ROUNDS ?= 5
BENCH_E2E_SECONDS ?= 3
BENCH_E2E_WARMUP ?= 0.5
BENCH_E2E_CONCURRENCY ?= 32
BENCH_E2E_PIN ?=

.PHONY: bench-e2e

# The project warnings and flags, at -O2 whatever CFLAGS says.
$(LOADGEN): tests/bench/loadgen.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 $(LDFLAGS) -o $@ tests/bench/loadgen.c $(STATIC_LIB)

# The script, run by sh with: SERVER LOADGEN ROUNDS SECONDS WARMUP
# CONCURRENCY [PIN_SERVER PIN_LOADGEN]. ($$ is one $ for the shell.)
define BENCH_E2E_SH
set -eu
server=$$1 loadgen=$$2 rounds=$$3 secs=$$4 warmup=$$5 conc=$$6
pin_s='' pin_l=''
if [ $$# -ge 8 ]; then
    pin_s="taskset -c $$7" pin_l="taskset -c $$8"
fi
dir=$$(mktemp -d "$${TMPDIR:-/tmp}/proxyproto-e2e.XXXXXX")
pid=
cleanup() {
    if [ -n "$$pid" ] && kill -TERM "$$pid" 2>/dev/null; then
        wait "$$pid" 2>/dev/null || true
        sed -n 's/^epoll-server: accepted/bench: e2e server: accepted/p' "$$dir/server.err"
    fi
    rm -rf "$$dir"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

$$pin_s "$$server" --quiet --listen 127.0.0.1:0 --trusted 127.0.0.1/32 \
    --allow-untrusted 2>"$$dir/server.err" &
pid=$$!
port=
for _ in $$(seq 50); do
    port=$$(sed -n 's/^epoll-server: listening on 127\.0\.0\.1:\([0-9]*\)$$/\1/p' "$$dir/server.err")
    [ -n "$$port" ] && break
    kill -0 "$$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$$port" ]; then
    echo "bench-e2e: epoll-server did not start" >&2
    cat "$$dir/server.err" >&2
    exit 1
fi
echo "bench: e2e server 127.0.0.1:$$port, $$rounds rounds of $$secs s per mode, concurrency $$conc"
# Rates move with whatever else the machine runs (see the round lines).
if [ -r /proc/loadavg ]; then
    echo "bench: e2e load average before: $$(cut -d' ' -f1-3 /proc/loadavg)," \
        "$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
fi

# run NAME SOURCE HEADER SECONDS: prints "RATE SERVER_NS_PER_CONN": the
# rate loadgen measured, and the server's CPU time (/proc/PID/schedstat,
# Linux; 0 without it) over every connection of the run. The full report
# goes to stderr when loadgen fails.
cpu_ns() { cut -d' ' -f1 "/proc/$$pid/schedstat" 2>/dev/null || echo 0; }
run() {
    c0=$$(cpu_ns)
    if ! $$pin_l "$$loadgen" --connect "127.0.0.1:$$port" --bind "$$2" --header "$$3" \
            --concurrency "$$conc" --duration "$$4" --warmup "$$warmup" \
            >"$$dir/out" 2>&1; then
        echo "bench-e2e: loadgen failed ($$1):" >&2
        cat "$$dir/out" >&2
        exit 1
    fi
    c1=$$(cpu_ns)
    all=$$(sed -n 's/^loadgen: completed=.* \([0-9]*\) in all$$/\1/p' "$$dir/out")
    echo "$$(sed -n 's/^loadgen: rate \([0-9]*\) conn\/s$$/\1/p' "$$dir/out")" \
        "$$(( (c1 - c0) / (all > 0 ? all : 1) ))"
}
with() { run with-v2-header 127.0.0.1 v2 "$$1"; }
without() { run no-header 127.0.0.2 none "$$1"; }
ratio() { awk -v a="$$1" -v b="$$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
median() {
    sort -n "$$1" | awk '{ v[NR] = $$1 }
        END { printf "%d", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Both paths once, unrecorded: caches, page faults, the server's heap.
with 1 >/dev/null
without 1 >/dev/null

r=1
while [ "$$r" -le "$$rounds" ]; do
    if [ $$((r % 2)) -eq 1 ]; then
        w=$$(with "$$secs"); n=$$(without "$$secs")
    else
        n=$$(without "$$secs"); w=$$(with "$$secs")
    fi
    # shellcheck disable=SC2086 # "RATE NS" pairs, split on purpose
    set -- $$w $$n
    echo "$$1" >>"$$dir/with"; echo "$$2" >>"$$dir/with-ns"
    echo "$$3" >>"$$dir/without"; echo "$$4" >>"$$dir/without-ns"
    ratio "$$1" "$$3" | awk '{ print $$1 * 1000 }' >>"$$dir/paired"
    echo "bench: e2e/round $$r with-v2-header $$1 no-header $$3 conn/s, ratio $$(ratio "$$1" "$$3");" \
        "server CPU $$2 / $$4 ns/conn"
    r=$$((r + 1))
done

mw=$$(median "$$dir/with")
mn=$$(median "$$dir/without")
echo "bench: e2e/with-v2-header $$mw conn/s"
echo "bench: e2e/no-header $$mn conn/s"
echo "bench: e2e/ratio $$(ratio "$$mw" "$$mn")"
# The median of the rounds' own ratios: each pair ran back to back, so
# it is less moved by load that comes and goes.
echo "bench: e2e/ratio-paired $$(ratio "$$(median "$$dir/paired")" 1000)"
# The server's own cost: what bounds the rate when the server, not the
# machine's shared CPUs, is the bottleneck. cpu-ratio = no-header cost /
# with-header cost, comparable to the ratio above.
cw=$$(median "$$dir/with-ns")
cn=$$(median "$$dir/without-ns")
echo "bench: e2e/server-cpu with-v2-header $$cw ns/conn, no-header $$cn ns/conn," \
    "cpu-ratio $$(ratio "$$cn" "$$cw")"
endef

bench-e2e: export BENCH_E2E_SH_ := $(BENCH_E2E_SH)
bench-e2e: $(LOADGEN) $(B)/bin/epoll-server
	@sh -c "$$BENCH_E2E_SH_" bench-e2e $(B)/bin/epoll-server $(LOADGEN) \
	    $(BENCH_E2E_ROUNDS) $(BENCH_E2E_SECONDS) $(BENCH_E2E_WARMUP) \
	    $(BENCH_E2E_CONCURRENCY) $(BENCH_E2E_PIN)
