#!/usr/bin/env bash
# tests/integration/run.sh - runs every integration test against real
# HAProxy, nginx and curl on loopback.
#
#   bash tests/integration/run.sh BIN_DIR [TEST...]
#
# BIN_DIR holds the built programs (build/bin). TEST names a test file
# without .sh (default: all of them, in the order below). Each prints
# "ok - ..." or "FAIL - ..." per check; this ends with the line
# "integration: N passed, M failed" and exits 1 when M > 0.
# INTEG_KEEP=1 keeps each test's temp dir (configs, logs) for a look.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:?usage: run.sh BIN_DIR [TEST...]}
shift
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac

TESTS="curl_haproxy_protocol send_to_echo haproxy_send_proxy haproxy_tls haproxy_health_checks nginx_stream lb_accept_proxy hostile_peers event_servers tls_server"
[ $# -gt 0 ] && TESTS="$*"

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/proxyproto-integration.XXXXXX") || exit 2
CHILD=
cleanup() {
    [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
    [ "${INTEG_KEEP:-0}" = 1 ] || rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

export INTEG_RESULTS=$RUN_DIR/results INTEG_TMP=$RUN_DIR INTEG_BIN=$BIN
: >"$INTEG_RESULTS"

START=$(date +%s)
for t in $TESTS; do
    before=$(wc -l <"$INTEG_RESULTS")
    t0=$(date +%s%3N)
    echo "# $t"
    # Each test is bounded: 90 s is far above what any of them needs.
    timeout -k 5 90 bash "$HERE/$t.sh" "$BIN" &
    CHILD=$!
    wait "$CHILD"
    rc=$?
    CHILD=
    after=$(wc -l <"$INTEG_RESULTS")
    t1=$(date +%s%3N)
    # A test that died (or timed out) without recording a failure still fails.
    if [ "$rc" -ne 0 ] && ! tail -n $((after - before)) "$INTEG_RESULTS" | grep -q '^FAIL'; then
        echo "FAIL - $t: exited with status $rc"
        echo "FAIL $t" >>"$INTEG_RESULTS"
    elif [ "$after" -eq "$before" ]; then
        echo "FAIL - $t: ran no check"
        echo "FAIL $t" >>"$INTEG_RESULTS"
    fi
    echo "# $t: $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000))) s"
done

passed=$(grep -c '^ok ' "$INTEG_RESULTS")
failed=$(grep -c '^FAIL ' "$INTEG_RESULTS")
echo "# integration took $(($(date +%s) - START)) s"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
