#!/bin/sh
# The integration effort of each example server, measured: the lines that
# exist only for the PROXY protocol (those that would vanish if the load
# balancer sent no header) carry a trailing /* PP */ in examples/. Lines
# that would stay, reading differently (the answer naming
# proxyproto_conn_client() rather than the socket's peer, a close that
# passes its reason, a timer started for the header's deadline rather than
# the request's) are not marked, nor lines holding only braces. For each
# server this counts its own marked lines plus those of the shared
# ex_log_reject() in examples/example_common.h when it calls it (the only
# marked function there: checked), and checks that the README's table
# ("| `NAME` | ... | N |" under "Example servers") says the same N, and
# that N <= 15, the goal. Option parsing (--trusted, --header-timeout) is
# configuration every server has for its own options, and is not counted.
# Lines marked /* PP+ */ use what a header says beyond the address (the
# TLS facts of tls-server): optional, counted apart, in the README's last
# column ("| N | M |"; "-" for none).
#   sh tests/example_lines.sh            (run by make test-example-lines)
#   sh tests/example_lines.sh --print    the figures only
set -u
cd "$(dirname "$0")/.."
MAX=15
SERVERS="http-server echo-server epoll-server libevent-server libuv-server uring-server tls-server"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   example-lines: $1"; }
not_ok() { fail=$((fail + 1)); echo "FAIL example-lines: $1"; }

marked() { grep -c '/\* PP \*/' "$1"; }
optional() { grep -c '/\* PP+ \*/' "$1"; }

# Every marked line of example_common.h lies inside ex_log_reject().
outside=$(awk '/^static .*ex_log_reject\(/ { f = 1 } f && /^}/ { f = 0 }
               /\/\* PP \*\// && !f { n++ } END { print n + 0 }' examples/example_common.h)
shared=$(marked examples/example_common.h)
if [ "$outside" -eq 0 ] && [ "$shared" -gt 0 ]; then
    ok "the $shared shared marked lines are all in ex_log_reject()"
else
    not_ok "example_common.h: $outside marked lines outside ex_log_reject(), $shared in all"
fi

for s in $SERVERS; do
    f=examples/$s.c
    if [ ! -f "$f" ]; then
        not_ok "$f is missing"
        continue
    fi
    own=$(marked "$f")
    extra=$(optional "$f")
    [ "$extra" -gt 0 ] || extra=-
    n=$own
    grep -q 'ex_log_reject(' "$f" && n=$((own + shared))
    if [ "${1:-}" = --print ]; then
        echo "$s own=$own total=$n optional=$extra"
        continue
    fi
    if [ "$n" -le "$MAX" ] && [ "$own" -gt 0 ]; then
        ok "$s: $n lines for the PROXY protocol ($own in $f), at most $MAX"
    else
        not_ok "$s: $n lines for the PROXY protocol ($own in $f), want 1-$MAX"
    fi
    row=$(grep -E "^\| \`$s\` \|" README.md | head -n 1)
    # The last two cells; the last may say more after its number ("10: ...").
    said=$(printf '%s\n' "$row" | awk -F'|' '{ a = $(NF - 2); b = $(NF - 1)
        gsub(/ /, "", a); sub(/^ +/, "", b); sub(/[ :].*/, "", b); print a "/" b }')
    if [ "$said" = "$n/$extra" ]; then
        ok "$s: the README says $n (optional: $extra)"
    else
        not_ok "$s: the README's table says '$said', the counts are $n/$extra (row: $row)"
    fi
done
[ "${1:-}" = --print ] && exit 0
echo "example-lines: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
