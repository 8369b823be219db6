#!/usr/bin/env bash
# tests/preload/reload.sh - nginx's graceful reload (SIGHUP to the master:
# new workers start, the old ones close their listeners, finish what they
# have and exit) under the preload, side by side with nginx's own
# proxy_protocol in the same nginx (issue 13, item 5):
#   - a connection whose header and request came before the reload is
#     served, by both;
#   - a connection whose header is still arriving at the reload (v1 and
#     v2; parked by the preload in an old worker) is handed over to a new
#     worker (tools/preload/handover.c) and served once the rest of its
#     header and its request come, with the header's client address in
#     nginx's access log; nginx's own proxy_protocol closes such a
#     connection as idle (tests/preload/reload.py prints both);
#   - the control: with PROXYPROTO_HANDOFF=0 (no hand-over) the preload's
#     comes to the same end as nginx's own, within a second;
#   - a receiver that answers late (tests/preload/slowtake.py) still takes
#     the connection and serves it;
#   - across fork, the child keeps no receiver, and the parent only those of
#     listeners it accepts on (tests/preload/forkrx.py);
#   - another user who took the receivers' names first (as root only:
#     tests/preload/squat.py runs as nobody) is sent nothing (SO_PEERCRED),
#     and the connection comes to the same end as without hand-over;
#   - after the reload the new workers serve with the header's address,
#     keep no connection behind (only the listeners and, with hand-over,
#     one receiver), and the old workers exit.
#
#   bash tests/preload/reload.sh BUILD_DIR        (make test-preload)
set -u
BDIR=${1:-build}
case $BDIR in /*) ;; *) BDIR=$PWD/$BDIR ;; esac
TEST_NAME=preload-reload
unset INTEG_RESULTS
. "$(dirname "$0")/../integration/lib.sh" "$BDIR/bin"

SO=$BDIR/lib/libproxyproto-preload.so
PP=$BIN/proxyproto
need_tools nginx python3 pgrep || { finish; exit 1; }

# Descriptors of PID: "TOTAL TCP-NOT-LISTENING UNIX RECEIVERS".
fd_census() {
    local pid=$1 total=0 tcp=0 unix=0 recv=0 ino l
    local busy ho ux
    busy=$(awk 'NR > 1 && $4 != "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 | sort -u)
    ux=$(awk 'NR > 1 { print $7 }' /proc/net/unix | sort -u)
    ho=$(awk 'NR > 1 && $8 ~ /^@libproxyproto-ho-/ { print $7 }' /proc/net/unix | sort -u)
    for l in /proc/"$pid"/fd/*; do
        l=$(readlink "$l" 2>/dev/null) || continue
        total=$((total + 1))
        case $l in socket:\[*\]) ino=${l#socket:[}; ino=${ino%]} ;; *) continue ;; esac
        grep -qx "$ino" <<<"$busy" && tcp=$((tcp + 1))
        grep -qx "$ino" <<<"$ux" && unix=$((unix + 1))
        grep -qx "$ino" <<<"$ho" && recv=$((recv + 1))
    done
    echo "$total $tcp $unix $recv"
}

# run MODE: "handover" (the default settings), "control"
# (PROXYPROTO_HANDOFF=0) or "squat" (the default settings, and another
# user holds the receivers' free names before the reload). Sets CENSUS
# (fd_census of each new worker).
run() {
    local mode=$1 handoff= A B user= MASTER OLD NEW native m p gone left ino sq=
    [ "$mode" = control ] && handoff=0
    free_port A B
    [ "$(id -u)" = 0 ] && user="user root;"
    mkdir -p "$T/$mode"
    cat >"$T/$mode/nginx.conf" <<EOC
error_log $T/$mode/error.log info;
pid $T/$mode/nginx.pid;
worker_processes 2;
$user
events { worker_connections 128; }
http {
    log_format addr "\$remote_addr \$request_uri \$status";
    access_log off;
    client_body_temp_path $T/tmp;
    proxy_temp_path $T/tmp;
    fastcgi_temp_path $T/tmp;
    uwsgi_temp_path $T/tmp;
    scgi_temp_path $T/tmp;
    server {
        listen 127.0.0.1:$A;
        access_log $T/$mode/access.log addr;
        location / { return 200 "preload \$remote_addr\n"; }
    }
    server {
        listen 127.0.0.1:$B proxy_protocol;
        location / { return 200 "native \$proxy_protocol_addr\n"; }
    }
}
EOC
    start_server "nginx-$mode" "$A" env LD_PRELOAD="$SO" PROXYPROTO_PORTS="$A" \
        PROXYPROTO_LOG=1 PROXYPROTO_HANDOFF="$handoff" \
        nginx -p "$T/$mode/" -e "$T/$mode/error.log" -c "$T/$mode/nginx.conf" \
        -g "daemon off;" || return 1
    MASTER=$BG_PID
    wait_listen "$B" "$MASTER" 5 || { fail "$mode: start nginx" "port $B"; return 1; }
    for _ in $(seq 1 50); do # both workers up
        [ "$(pgrep -P "$MASTER" | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
    sleep 0.2 # and in their event loops
    OLD=$(pgrep -P "$MASTER" | sort | tr '\n' ' ')
    if [ "$mode" = squat ]; then
        ino=$(awk -v a="$(printf '0100007F:%04X' "$A")" '$2 == a && $4 == "0A" { print $10 }' /proc/net/tcp)
        # The script on stdin: nobody may not read our files.
        timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$SYS_PY" - "$(id -u)" "$ino" 4 <"$(dirname "$0")/squat.py" >"$T/$mode/squat.out" 2>&1 &
        sq=$!
        for _ in $(seq 1 50); do grep -qs ready "$T/$mode/squat.out" && break; sleep 0.1; done
    fi

    timeout 30 python3 "$(dirname "$0")/reload.py" "$MASTER" "$A" "$B" >"$T/$mode/reload.out" 2>&1
    res() { awk -v p="$1" -v c="$2" -v f="$3" '$1 == p && $2 == c { print $f }' "$T/$mode/reload.out"; }
    echo "# reload ($mode): $(tr '\n' ';' <"$T/$mode/reload.out")"
    expect_eq "$mode: a request whose header came before the reload is served (preload)" \
        "$(res "$A" before 3)" 200
    expect_eq "$mode: ... and under nginx's own proxy_protocol" "$(res "$B" before 3)" 200
    for c in mid1 mid2; do
        native=$(res "$B" $c 3)
        check "$mode: a ${c#mid}-header still arriving at the reload: nginx's own proxy_protocol ends it ($native)" \
            "got '$native'" test -n "$native"
        if [ "$mode" = handover ]; then
            expect_eq "$mode: ... the preload hands it to a new worker, which serves it (v${c#mid})" \
                "$(res "$A" $c 3) $(res "$A" $c 5)" \
                "200 preload_203.0.113.$([ $c = mid1 ] && echo 7 || echo 17)"
            m=$(res "$A" $c 4)
            check "$mode: ... answered within 500 ms of the rest of its header (${m:-?} ms)" \
                "got '${m:-nothing}'" between "${m:-99999}" 0 500
            expect_eq "$mode: ... in nginx's access log with the header's address" \
                "$(grep -c "^203\.0\.113\.$([ $c = mid1 ] && echo 7 || echo 17) /$c 200\$" "$T/$mode/access.log")" 1
        else # control, squat
            expect_eq "$mode: ... the preload's ends the same way without hand-over (v${c#mid})" \
                "$(res "$A" $c 3)" "$native"
            m=$(res "$A" $c 4)
            check "$mode: ... within a second of the reload, not at a timeout (${m:-?} ms)" \
                "got '${m:-nothing}'" between "${m:-99999}" 0 1500
        fi
    done
    if [ -n "$sq" ]; then
        wait "$sq"
        echo "# squatter (nobody): $(tr '\n' ' ' <"$T/$mode/squat.out")"
        check "$mode: another user's receivers are connected to, and sent nothing: no descriptor, no byte ($(tail -n 1 "$T/$mode/squat.out"))" \
            "got '$(tail -n 1 "$T/$mode/squat.out")'" \
            grep -Eq '^bound [1-9][0-9]* accepted [1-9][0-9]* bytes 0 fds 0$' "$T/$mode/squat.out"
        # Each closing old worker connects to each of its names once.
        set -- $(tail -n 1 "$T/$mode/squat.out")
        check "$mode: ... once per name and closing worker ($4 connections, $2 names)" \
            "got $4" between "${4:-999}" 1 $(($2 * 2))
    fi

    # The new workers serve, with the header's address; the old ones exit.
    for i in 1 2 3 4; do
        printf 'GET / HTTP/1.0\r\n\r\n' | timeout 8 "$PP" send "127.0.0.1:$A" --timeout 5000 \
            --v1 --src 203.0.113.9:4000 --dst "127.0.0.1:$A" 2>/dev/null | tail -n 1
    done >"$T/$mode/after.out"
    expect_eq "$mode: after the reload: the new workers answer with the header's address" \
        "$(sort -u "$T/$mode/after.out")" "preload 203.0.113.9"
    gone=0
    for _ in $(seq 1 50); do
        left=0
        for p in $OLD; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
        [ $left -eq 0 ] && { gone=1; break; }
        sleep 0.1
    done
    expect_eq "$mode: after the reload: the old workers ($OLD) exited within 5 s" "$gone" 1
    NEW=$(pgrep -P "$MASTER" | sort | tr '\n' ' ')
    CENSUS=
    for p in $NEW; do CENSUS="$CENSUS$(fd_census "$p");"; done
    echo "# new workers' descriptors ($mode; total, busy TCP, UNIX, receivers): $CENSUS"
    for p in $NEW; do
        set -- $(fd_census "$p")
        expect_eq "$mode: new worker $p keeps no connection (busy TCP sockets)" "$2" 0
        [ "$mode" = squat ] && continue # a name freed by an old worker may be taken
        expect_eq "$mode: ... and $([ "$mode" = handover ] && echo "one receiver (port $A)" || echo "no receiver")" \
            "$4" "$([ "$mode" = handover ] && echo 1 || echo 0)"
    done
    stop_pid "$MASTER"
}

run handover
H_CENSUS=$CENSUS
run control
C_CENSUS=$CENSUS
# A python3 that nobody may run (not a shim in root's home).
SYS_PY=
for p in /usr/bin/python3 /usr/local/bin/python3; do
    [ -x "$p" ] && setpriv --reuid=65534 --regid=65534 --clear-groups "$p" -c '' 2>/dev/null &&
        { SYS_PY=$p; break; }
done
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -n "$SYS_PY" ]; then
    run squat
else
    echo "# skipped: another user's receivers (needs root, setpriv and a python3 nobody may run)"
fi
# A receiver that answers after the closing process stopped waiting
# (200 ms) still takes the connection, and serves it; no one else had it.
timeout 20 env LD_PRELOAD="$SO" PROXYPROTO_LOG=2 python3 "$(dirname "$0")/slowtake.py" 0.8 \
    >"$T/slowtake.out" 2>"$T/slowtake.err"
echo "# slow receiver: $(tr '\n' ';' <"$T/slowtake.out")"
line() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$T/slowtake.out"; }
m=$(line closed)
check "a slow receiver: the close waits for its answer 200 ms, no more (${m:-?} ms)" \
    "got '${m:-nothing}'" between "${m:-99999}" 190 450
expect_eq "... then leaves it to that receiver, which serves it with the header's address" \
    "$(line taken)" "198.51.100.9 1 hello"
expect_eq "... and answers the client" "$(line client)" "ok"
expect_eq "... (the preload's log: taken after its sender stopped waiting)" \
    "$(grep -c 'took fd=[0-9]* after its sender stopped waiting' "$T/slowtake.err")" 1

# Receivers across fork: the child has none, the parent keeps one only for
# a listener it accepts on (else children sharing its epoll set would see
# a receiver no one empties as a readable listener).
expect_eq "fork: receivers of the parent before and after (never accepted), of the child, after (accepted)" \
    "$(timeout 20 env LD_PRELOAD="$SO" python3 "$(dirname "$0")/forkrx.py" 2>&1)" "1 0 0 1"

# The same nginx, the same reload: the hand-over's new workers hold exactly
# one descriptor more each (the receiver), nothing else.
want=$(awk -v RS=';' 'NF { printf "%d %d;", $1 + 1, $3 + 1 }' <<<"$C_CENSUS")
got=$(awk -v RS=';' 'NF { printf "%d %d;", $1, $3 }' <<<"$H_CENSUS")
expect_eq "new workers' descriptors (total, UNIX): control + the receiver" "$got" "$want"

finish
