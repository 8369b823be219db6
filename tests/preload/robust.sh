#!/usr/bin/env bash
# tests/preload/robust.sh - the preload under abuse (issue 13).
#
#   bash tests/preload/robust.sh BUILD_DIR     (make test-preload runs it)
#
# What a production server behind the preload must survive:
#   - D1: a signal handler that closes the listener and the epoll fd while
#     the loop is in accept (preload-sigclose) must not deadlock;
# Only 127.0.0.1 and ::1 carry traffic. Every wait is bounded and loads are
# checked by counts (or by generous bounds), not by tight timings. Prints
# ok/FAIL per check and ends with "preload-robust: N passed, M failed".
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=preload-robust
unset INTEG_RESULTS
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-preload.so
PP=$BIN/proxyproto
HERE=$(cd "$(dirname "$0")" && pwd)

need_tools python3 haproxy || { finish; exit 1; }
for f in "$SO" "$PP" "$BDIR/tests/preload-sigclose"; do
    if [ ! -e "$f" ]; then
        fail "prerequisite $f" "missing (make test-preload builds it)"
        finish
        exit 1
    fi
done

# ---- D1: close() in a signal handler while the loop is in accept ---------------

# 300 rounds of: a non-blocking listener in epoll, accept4() in a loop, a
# timer signal whose handler closes the listener and the epoll descriptor.
# Without the preload it takes well under a second; a lock held in accept
# and taken again in close() hangs it.
if timeout 60 env LD_PRELOAD="$SO" "$BDIR/tests/preload-sigclose" 300 >"$T/sigclose.out" 2>&1; then
    pass "D1: a signal handler closes the listener and the epoll fd during accept: no deadlock (300 rounds)"
else
    fail "D1: a signal handler closes the listener and the epoll fd during accept: no deadlock (300 rounds)" \
        "exit $? (124: hung): $(tr '\n' ' ' <"$T/sigclose.out")"
fi

finish
