#!/usr/bin/env bash
# tests/preload/postgres.sh - PostgreSQL, which has no PROXY support of its
# own, under the preload behind HAProxy send-proxy (v1) and send-proxy-v2,
# with HAProxy's health checks (issue 13, item 6):
#   - the preload is loaded into the postmaster (/proc/PID/maps; a library
#     the user postgres cannot read is copied into T first);
#   - inet_client_addr() is the header's client (HAProxy names the client
#     with set-src: the address exists only in the header), and
#     inet_server_port() the header's destination (HAProxy's frontend);
#   - pg_hba.conf rules apply to it: 203.0.113.7 is trusted, 203.0.113.66
#     rejected, by both versions;
#   - the health checks (`check check-send-proxy`, a header and then a
#     reset) leave nothing in PostgreSQL's log (log_connections is on, so a
#     check that reached it would be seen), the preload saw them (it logs
#     each one it closes with PROXYPROTO_LOG=2), and HAProxy sees the
#     server UP;
#   - it stops on SIGINT while the checks come in (the postmaster handles
#     signals only in its select(): the preload must not keep it in accept).
#
#   bash tests/preload/postgres.sh BUILD_DIR        (make test-preload)
#
# PostgreSQL (package postgresql, tools/scripts/install-deps.sh) runs from a
# data directory made by initdb in T, as the user postgres when this runs
# as root, on 127.0.0.1 and a free port, its UNIX socket in T; it is
# stopped on exit. Skipped (said so, exit 0) only when PostgreSQL cannot
# run at all here: no binaries, or root without a postgres user.
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=preload-postgres
unset INTEG_RESULTS
START_WAIT=20
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-preload.so

skip() {
    echo "# SKIP $TEST_NAME: $*"
    exit 0
}

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] && [ -x "$PGBIN/initdb" ] ||
    skip "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (install-deps.sh installs postgresql)"
need_tools haproxy psql socat || { finish; exit 1; }
[ -e "$SO" ] || { fail "prerequisite $SO" "missing (make all)"; finish; exit 1; }

# As root, PostgreSQL runs as postgres (it refuses root).
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || skip "running as root and there is no user postgres to run PostgreSQL as"
    AS=(runuser -u postgres --)
    chmod 711 "$T"
else
    AS=()
fi
PGD=$T/pg
mkdir -p "$PGD"
[ "$(id -u)" -ne 0 ] || chown postgres: "$PGD"
# The user postgres must be able to open the library: a checkout under a
# directory only root may enter (a clone in `mktemp -d`, mode 0700) made
# ld.so ignore LD_PRELOAD ("cannot be preloaded ... ignored"), and
# PostgreSQL then read HAProxy's headers as startup packets. Such a
# checkout's library is copied into T (mode 0711, the file 0644).
if [ ${#AS[@]} -gt 0 ] && ! "${AS[@]}" test -r "$SO"; then
    echo "# $TEST_NAME: the user postgres cannot read $SO: using a copy in $PGD"
    install -m 644 "$SO" "$PGD/libproxyproto-preload.so"
    SO=$PGD/libproxyproto-preload.so
fi
if ! "${AS[@]}" "$PGBIN/initdb" -D "$PGD/data" -U postgres -A reject --no-sync \
    >"$T/initdb.log" 2>&1; then
    skip "initdb fails here: $(tail -n 3 "$T/initdb.log" | tr '\n' '|')"
fi
cat >"$PGD/data/pg_hba.conf" <<EOF
local all all trust
host all all 203.0.113.66/32 reject
host all all 203.0.113.7/32 trust
EOF

# Stop PostgreSQL (fast shutdown, bounded) before lib.sh's clean-up.
# PG_KILLED=1 when it had to be killed.
PG_KILLED=0
stop_pg() {
    local _pid _i=0
    _pid=$(head -n 1 "$PGD/data/postmaster.pid" 2>/dev/null)
    if [ -n "$_pid" ] && kill -INT "$_pid" 2>/dev/null; then
        while [ $_i -lt 100 ] && kill -0 "$_pid" 2>/dev/null; do
            sleep 0.1
            _i=$((_i + 1))
        done
        kill -KILL "$_pid" 2>/dev/null && PG_KILLED=1
    fi
}
trap 'stop_pg; _cleanup' EXIT

free_port PG F1 F2 F3 F4
# In PGD: the postgres user may not enter the checkout (it logs "could not
# change directory" when started there).
start_server postgres "$PG" "${AS[@]}" env -C "$PGD" LD_PRELOAD="$SO" PROXYPROTO_LOG=2 \
    "$PGBIN/postgres" -D "$PGD/data" -p "$PG" -k "$PGD" -c listen_addresses=127.0.0.1 \
    -c log_connections=on -c logging_collector=off -c fsync=off -c shared_buffers=16MB ||
    exit 1
# Every other check depends on this one: without the preload, PostgreSQL
# reads the headers as startup packets and psql says "server closed the
# connection unexpectedly".
i=0
until PGPID=$(head -n 1 "$PGD/data/postmaster.pid" 2>/dev/null) && [ -n "$PGPID" ] ||
    [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ -n "$PGPID" ] && grep -qF "$SO" "/proc/$PGPID/maps" 2>/dev/null; then
    pass "postgres: the preload is loaded into the postmaster"
else
    fail "postgres: the preload is loaded into the postmaster" \
        "not in /proc/${PGPID:-?}/maps; its log: $(grep -m 2 -e 'LD_PRELOAD' -e 'ld.so' "$T/postgres.log" | tr '\n' '|')"
    finish
    exit 1
fi

{
    haproxy_global tcp
    for fe in "v1_ok $F1 send-proxy 203.0.113.7" "v2_ok $F2 send-proxy-v2 203.0.113.7" \
        "v1_rej $F3 send-proxy 203.0.113.66" "v2_rej $F4 send-proxy-v2 203.0.113.66"; do
        set -- $fe
        echo
        echo "frontend fe_$1"
        echo "    bind 127.0.0.1:$2"
        echo "    tcp-request connection set-src ipv4($4)"
        echo "    default_backend be_$1"
        echo
        echo "backend be_$1"
        echo "    server s1 127.0.0.1:$PG $3 check check-send-proxy inter 200ms"
    done
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F1" "$F2" "$F3" "$F4" || exit 1

# psql through frontend PORT: SQL's one-line answer in OUT, stderr in ERR.
q() {
    OUT=$(timeout 15 psql "host=127.0.0.1 port=$1 user=postgres dbname=postgres connect_timeout=5" \
        -X -Atc "$2" 2>"$T/psql.err")
    ERR=$(tr '\n' ' ' <"$T/psql.err")
}

for v in "v1 $F1 $F3" "v2 $F2 $F4"; do
    set -- $v
    q "$2" "select inet_client_addr(), inet_server_addr(), inet_server_port()"
    expect_eq "postgres via HAProxy send-proxy $1: inet_client_addr() is the header's client" \
        "$OUT" "203.0.113.7|127.0.0.1|$2"
    q "$3" "select inet_client_addr()"
    case $ERR in
    *'pg_hba.conf rejects connection for host "203.0.113.66"'*)
        pass "postgres via HAProxy send-proxy $1: pg_hba.conf's reject rule for 203.0.113.66 applies" ;;
    *) fail "postgres via HAProxy send-proxy $1: pg_hba.conf's reject rule for 203.0.113.66 applies" \
        "psql said '$OUT' '$ERR'" ;;
    esac
done
expect_eq "postgres: it logged the header's addresses for the connections" \
    "$(grep -c -E 'connection received: host=203\.0\.113\.(7|66) port=' "$T/postgres.log")" 4

# Four backends checked every 200 ms: let at least 2 s of checks pass.
sleep 2
# v2 checks send a LOCAL header, v1 checks one that names the check's own
# connection.
for v in "v2 without addresses" "v1 naming the connection itself"; do
    set -- $v
    checks=$(grep -c "health check (header ${v#* }, then" "$T/postgres.log")
    check "postgres: the preload closed HAProxy's $1 health checks quietly (at least 8 in 2 s; $checks)" \
        "only $checks" between "$checks" 8 100000
done
# (A signal that comes while the postmaster is in accept after a check was
# closed ends that accept with EINTR, which it logs: "could not accept new
# connection: Interrupted system call". Counted apart, and few.)
eintr=$(grep -c 'could not accept new connection: Interrupted system call' "$T/postgres.log")
expect_eq "postgres: nothing in its log from the checks (no connection from 127.0.0.1, no error)" \
    "$(grep -v -e '^proxyproto-preload' -e 'pg_hba.conf rejects connection for host "203.0.113.66"' \
        -e 'could not accept new connection: Interrupted system call' \
        "$T/postgres.log" | grep -c -E 'host=127\.0\.0\.1|could not|incomplete startup packet|reset by peer|ERROR|FATAL')" 0
check "postgres: accepts ended by a signal, at most one per backend that exited ($eintr)" \
    "$eintr lines 'could not accept new connection: Interrupted system call'" between "$eintr" 0 4
st=$(echo "show stat" | timeout 5 socat - "UNIX-CONNECT:$T/haproxy.sock" 2>/dev/null |
    awk -F, '$2 == "s1" { print $1 ":" $18 }' | sort | tr '\n' ' ')
expect_eq "postgres: HAProxy sees every server UP" "$st" \
    "be_v1_ok:UP be_v1_rej:UP be_v2_ok:UP be_v2_rej:UP "

# The postmaster blocks its signals except in select(), and calls accept
# only when select said the listener was readable. The preload closes the
# health checks it finds there quietly; it must not then wait on in accept
# for a connection to hand over (one came 5 times a second here), deaf to
# the shutdown request (it was killed after 10 s).
t0=$(now_ms)
stop_pg
t1=$(now_ms)
check "postgres: stops on SIGINT while HAProxy's checks come in ($((t1 - t0)) ms)" \
    "killed after $((t1 - t0)) ms; its log: $(grep -c 'received fast shutdown request' "$T/postgres.log") shutdown request(s) seen" \
    test "$PG_KILLED" -eq 0 -a $((t1 - t0)) -lt 5000

finish
