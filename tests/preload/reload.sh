#!/usr/bin/env bash
# tests/preload/reload.sh - nginx's graceful reload (SIGHUP to the master:
# new workers start, the old ones close their listeners, finish what they
# have and exit) under the preload, side by side with nginx's own
# proxy_protocol in the same nginx (issue 13, item 5):
#   - a connection whose header and request came before the reload is
#     served, by both;
#   - a connection whose header is still arriving at the reload (parked by
#     the preload in an old worker) comes to the same end as under nginx's
#     own proxy_protocol (which closes such a connection as idle), within
#     a second, not at a timeout (tests/preload/reload.py prints both);
#   - after the reload the new workers serve with the header's address,
#     and the old workers exit (the preload keeps nothing of theirs alive).
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

free_port A B
user=
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$T/nginx.conf" <<EOC
error_log $T/error.log info;
pid $T/nginx.pid;
worker_processes 2;
$user
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path $T/tmp;
    proxy_temp_path $T/tmp;
    fastcgi_temp_path $T/tmp;
    uwsgi_temp_path $T/tmp;
    scgi_temp_path $T/tmp;
    server {
        listen 127.0.0.1:$A;
        location / { return 200 "preload \$remote_addr\n"; }
    }
    server {
        listen 127.0.0.1:$B proxy_protocol;
        location / { return 200 "native \$proxy_protocol_addr\n"; }
    }
}
EOC
start_server nginx "$A" env LD_PRELOAD="$SO" PROXYPROTO_PORTS="$A" PROXYPROTO_LOG=1 \
    nginx -p "$T/" -e "$T/error.log" -c "$T/nginx.conf" -g "daemon off;" || exit 1
MASTER=$BG_PID
wait_listen "$B" "$MASTER" 5 || { fail "start nginx" "port $B"; finish; exit 1; }
# Both workers up (each has announced itself in the error log).
for _ in $(seq 1 50); do
    [ "$(pgrep -P "$MASTER" | wc -l)" -ge 2 ] && break
    sleep 0.1
done
OLD=$(pgrep -P "$MASTER" | sort | tr '\n' ' ')

timeout 30 python3 "$(dirname "$0")/reload.py" "$MASTER" "$A" "$B" >"$T/reload.out" 2>&1
res() { awk -v p="$1" -v c="$2" '$1 == p && $2 == c { print $3 }' "$T/reload.out"; }
ms() { awk -v p="$1" -v c="$2" '$1 == p && $2 == c { print $4 }' "$T/reload.out"; }
echo "# reload: $(tr '\n' ';' <"$T/reload.out")"
expect_eq "reload: a request whose header came before it is served (preload)" "$(res "$A" before)" 200
expect_eq "reload: ... and under nginx's own proxy_protocol" "$(res "$B" before)" 200
native=$(res "$B" mid)
check "reload: a header still arriving: nginx's own proxy_protocol ends it ($native)" \
    "got '$native'" test -n "$native"
expect_eq "reload: ... the preload's ends the same way" "$(res "$A" mid)" "$native"
m=$(ms "$A" mid)
check "reload: ... within a second of the reload, not at a timeout (${m:-?} ms)" \
    "got '${m:-nothing}'" between "${m:-99999}" 0 1500

# The new workers serve, with the header's address; the old ones are gone.
for i in 1 2 3 4; do
    printf 'GET / HTTP/1.0\r\n\r\n' | timeout 8 "$PP" send "127.0.0.1:$A" --timeout 5000 \
        --v1 --src 203.0.113.9:4000 --dst "127.0.0.1:$A" 2>/dev/null | tail -n 1
done >"$T/after.out"
expect_eq "after the reload: the new workers answer with the header's address" \
    "$(sort -u "$T/after.out")" "preload 203.0.113.9"
gone=0
for _ in $(seq 1 50); do
    left=0
    for p in $OLD; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
    [ $left -eq 0 ] && { gone=1; break; }
    sleep 0.1
done
expect_eq "after the reload: the old workers ($OLD) exited within 5 s" "$gone" 1

finish
