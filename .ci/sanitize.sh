#!/usr/bin/env bash
# CI: the test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc and clang), then the unit tests and the fuzz corpus replay under
# valgrind memcheck. Any sanitizer report or valgrind error fails the run.
#
#   .ci/sanitize.sh                   everything
#   SAN_COMPILERS="clang" .ci/sanitize.sh
#   SAN_CHECKS="test-unit" .ci/sanitize.sh
#   SKIP_VALGRIND=1 .ci/sanitize.sh
#
# Under the sanitizers it runs test-unit (the Check suite), test-cli, the
# promises and the fuzz corpus replay (every corpus input through every
# target, against unreadable pages too). The integration tests (real
# HAProxy/nginx on loopback, timing-sensitive) stay with the plain build
# in .ci/run; add them with SAN_CHECKS="... test-integration".
set -euo pipefail
cd "$(dirname "$0")/.."

SAN_COMPILERS=${SAN_COMPILERS:-"gcc clang"}
SAN_CHECKS=${SAN_CHECKS:-"test-unit test-cli test-promises test-fuzz-replay"}
JOBS=${JOBS:-2}

# Sanitizers: stop at the first report, with a stack; leaks are errors.
# Check forks one process per test: each child reports its own leaks and
# errors, and a child that dies fails its test, so forking stays on (it
# keeps one test's corruption from hiding in the next); CK_FORK=no is used
# for valgrind below.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-}

for cc in $SAN_COMPILERS; do
    b=build-asan-$cc
    echo "== ASan+UBSan ($cc): $SAN_CHECKS"
    make -j"$JOBS" B="$b" CC="$cc" SANITIZE=address,undefined all
    # make check's CHECKS, restricted; -k would hide which one failed.
    make B="$b" CC="$cc" SANITIZE=address,undefined $SAN_CHECKS
done

if [ -z "${SKIP_VALGRIND:-}" ]; then
    b=build-valgrind
    echo "== valgrind memcheck: unit tests and fuzz corpus replay"
    # -O1: the code valgrind sees is close to what users run, and inlined
    # enough that the run stays quick.
    make -j"$JOBS" B="$b" CFLAGS="-O1 -g" all "$b/tests/check_proxyproto" fuzz-replay-bins
    vg="valgrind --quiet --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes"
    # One process: valgrind then follows every test (Check's fork would
    # need --trace-children and gives nothing more).
    CK_FORK=no CAPTURES=tests/captures $vg "$b/tests/check_proxyproto"
    for r in "$b"/fuzz-replay/replay_*; do
        t=${r##*/replay_}
        extra=
        case $t in parse|chunked|reader) extra=tests/captures ;; esac
        $vg "$r" "fuzz/corpus/$t" $extra
    done
fi
echo "sanitize: ok"
