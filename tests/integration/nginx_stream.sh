#!/usr/bin/env bash
# nginx's stream module (libnginx-mod-stream, load_module) with
# `proxy_protocol on` in front of http-server and echo-server: nginx writes a
# v1 header (TCP4 or TCP6) naming the client. http-server must answer with
# the client's real IP and source port (curl --local-port), over IPv4 and
# IPv6 listeners and to an IPv6 backend; echo-server must log the client and
# nginx's listening address and echo the payload byte for byte.
TEST_NAME="nginx-stream"
. "$(dirname "$0")/lib.sh"

need_tools nginx curl socat || exit 1
need_bins http-server echo-server || exit 1
MOD=$(nginx_stream_module)
if [ -z "$MOD" ]; then
    fail "prerequisite ngx_stream_module.so" "nginx's stream module is not installed (libnginx-mod-stream; run: sh tools/scripts/install-deps.sh)"
    exit 1
fi

free_port HTTP4 HTTP6 ECHO N_HTTP N_HTTP6BE N_ECHO
start_server http4 "$HTTP4" "$BIN/http-server" --listen "127.0.0.1:$HTTP4" || exit 1
start_server http6 "$HTTP6" "$BIN/http-server" --listen "[::1]:$HTTP6" || exit 1
start_server echo "$ECHO" "$BIN/echo-server" --listen "127.0.0.1:$ECHO" || exit 1

cat >"$T/nginx.conf" <<EOC
load_module $MOD;
error_log $T/nginx-error.log info;
pid $T/nginx.pid;
events { worker_connections 128; }
stream {
    server {
        listen 127.0.0.1:$N_HTTP;
        listen [::1]:$N_HTTP;
        proxy_pass 127.0.0.1:$HTTP4;
        proxy_protocol on;
    }
    server {
        listen 127.0.0.1:$N_HTTP6BE;
        proxy_pass [::1]:$HTTP6;
        proxy_protocol on;
    }
    server {
        listen 127.0.0.1:$N_ECHO;
        listen [::1]:$N_ECHO;
        proxy_pass 127.0.0.1:$ECHO;
        proxy_protocol on;
        # Forward the client's end of input (socat's shutdown) instead of
        # closing both ways before the echo is back.
        proxy_half_close on;
    }
}
EOC
start_nginx nginx "$T/nginx.conf" "$N_HTTP" "$N_HTTP6BE" "$N_ECHO" || exit 1

for i in 1 2; do
    free_port CP
    http_get "http://127.0.0.1:$N_HTTP/" "$CP"
    expect_ip_body "http-server via nginx, IPv4 client :$CP (#$i)" "$BODY" 127.0.0.1 "$CP"
done
free_port CP
http_get "http://[::1]:$N_HTTP/" "$CP" -g
expect_ip_body "http-server via nginx, IPv6 client :$CP (TCP6)" "$BODY" ::1 "$CP"
free_port CP
http_get "http://127.0.0.1:$N_HTTP6BE/" "$CP"
expect_ip_body "http-server on [::1] via nginx, IPv4 client :$CP" "$BODY" 127.0.0.1 "$CP"

make_payload "$T/payload"
for fam in 4 6; do
    free_port CP
    if [ $fam = 4 ]; then
        client=127.0.0.1:$CP server=127.0.0.1:$N_ECHO
        socat_echo "$T/reply" "$T/payload" "TCP4:127.0.0.1:$N_ECHO,sourceport=$CP"
    else
        client="[::1]:$CP" server="[::1]:$N_ECHO"
        socat_echo "$T/reply" "$T/payload" "TCP6:[::1]:$N_ECHO,sourceport=$CP"
    fi
    if cmp -s "$T/payload" "$T/reply"; then
        pass "echo-server via nginx, IPv$fam: payload echoed byte for byte"
    else
        fail "echo-server via nginx, IPv$fam: payload echoed byte for byte" \
            "sent $(wc -c <"$T/payload") bytes, got $(wc -c <"$T/reply") (socat exit $RC: $(head -c 200 "$T/socat.err"))"
    fi
    wait_line "$T/echo.log" "conn client=$client " 3
    expect_eq "echo-server via nginx, IPv$fam: log line" \
        "$(line_with "$T/echo.log" "conn client=$client ")" \
        "conn client=$client server=$server proxy=v1 cmd=PROXY"
done

expect_eq "echo-server: no reject line" "$(count_lines "$T/echo.log" reject)" 0
expect_eq "http-server: no reject line" "$(cat "$T/http4.log" "$T/http6.log" | grep -c reject)" 0

finish
