#!/bin/sh
# make bench-instr: instructions per operation of every bench case, counted
# by callgrind (stable, where timings on a shared machine are not).
#   instr.sh BENCH CAPTURES-DIR ITERATIONS [bench options, e.g. --filter X]
# Prints one line per case: "instr: <case> <count> instr/op", or
# "instr[<label>]: ..." when INSTR_LABEL is set (a build flavour's flags).
set -eu
bench=$1
captures=$2
iters=$3
shift 3

if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench-instr: valgrind is not installed" >&2
    exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/proxyproto-instr.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

# Counting needs no debug information, and valgrind 3.19 cannot read
# clang's DWARF 5 (it gives up): a copy without it is counted instead.
if objcopy --strip-debug "$bench" "$dir/bench" 2>/dev/null; then
    bench=$dir/bench
fi

# The bench says how it marks its cases: callgrind client requests, or
# nothing (then callgrind collects inside bench_instr_loop() only and dumps
# after each call of it).
mode=$("$bench" --instr 1 --filter ' no case ' "$captures" | sed -n 's/^instr-mode: //p')
opts=
if [ "$mode" != client-requests ]; then
    opts="--toggle-collect=bench_instr_loop --dump-after=bench_instr_loop"
fi
# shellcheck disable=SC2086 # opts is a list
if ! valgrind --tool=callgrind --collect-atstart=no $opts \
        --callgrind-out-file="$dir/cg.out" \
        "$bench" --instr "$iters" "$@" "$captures" >"$dir/cases" 2>"$dir/log"; then
    cat "$dir/log" >&2
    exit 1
fi

# Dump k (cg.out.k) belongs to the k-th "case" line; its totals line holds
# the instructions (Ir) collected during that case's iterations.
prefix=instr
if [ -n "${INSTR_LABEL:-}" ]; then
    prefix="instr[$INSTR_LABEL]"
fi
k=0
grep '^case ' "$dir/cases" | while read -r _ name n; do
    k=$((k + 1))
    f="$dir/cg.out.$k"
    if [ ! -f "$f" ]; then
        echo "bench-instr: no callgrind dump for $name" >&2
        exit 1
    fi
    total=$(sed -n 's/^\(totals\|summary\): *\([0-9]*\).*/\2/p' "$f" | head -n 1)
    awk -v p="$prefix" -v name="$name" -v t="${total:-0}" -v n="$n" \
        'BEGIN { printf "%s: %s %.1f instr/op\n", p, name, t / n }'
done
