#!/bin/sh
# make demo: headers written, decoded, and the client address recovered.
# Needs only what `make` built. Usage: sh tools/scripts/demo.sh build/bin
set -eu
bin=$1
pp=$bin/proxyproto

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A v1 line, as nginx or HAProxy 'send-proxy' writes it"
$pp encode --v1 --src 203.0.113.7:51234 --dst 10.0.0.1:443 | od -c | head -3
step "decoded"
$pp encode --v1 --src 203.0.113.7:51234 --dst 10.0.0.1:443 | $pp decode

step "A v2 header with TLVs and a CRC32C, as HAProxy 'send-proxy-v2' writes it (hex)"
$pp encode --src '[2001:db8::7]:40000' --dst '[2001:db8::1]:443' \
    --crc32c --alpn h2 --authority api.example.net --hex
step "decoded"
$pp encode --src '[2001:db8::7]:40000' --dst '[2001:db8::1]:443' \
    --crc32c --alpn h2 --authority api.example.net | $pp decode

step "A header captured from a real HAProxy with TLS (decoded)"
$pp decode tests/captures/haproxy-v2-tls-clientcert.bin

step "A backend recovering the client address (examples/read-header.c)"
{ $pp encode --src 198.51.100.23:61000 --dst 192.0.2.10:80; printf 'GET / HTTP/1.0\r\n\r\n'; } |
    $bin/read-header

step "Errors say what is wrong"
printf 'PROXY TCP4 192.168.001.7 10.0.0.1 51234 443\r\n' | $pp decode || true
printf 'GET / HTTP/1.1\r\n' | $pp decode || true
printf 'PROXY TCP4 192.0.2.1 ' | $pp decode || true

step "A backend behind a load balancer: examples/http-server.c, with 'proxyproto send' as the load balancer"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/proxyproto-demo.XXXXXX")
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
# Port 0: the server picks a free port and prints it; wait for it (5 s at most).
: >"$tmp/log" # exists before the server starts, so the first read finds it
"$bin/http-server" --listen 127.0.0.1:0 2>>"$tmp/log" &
server=$!
port=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 \
    21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 \
    41 42 43 44 45 46 47 48 49 50; do
    port=$(sed -n 's/^http-server: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.1 2>/dev/null || sleep 1
done
if [ -z "$port" ]; then
    echo "http-server did not start:"; cat "$tmp/log"; exit 1
fi
echo "http-server listening on 127.0.0.1:$port (trusts loopback only)"

# send ARGS...: an HTTP request through `proxyproto send`, shown as typed.
send() {
    shown=
    for a in "$@"; do
        case $a in *[![:alnum:].:/_-]*) shown="$shown '$a'" ;; *) shown="$shown $a" ;; esac
    done
    printf '$ printf '\''GET / HTTP/1.0\\r\\n\\r\\n'\'' | proxyproto send 127.0.0.1:%s%s\n' "$port" "$shown"
    printf 'GET / HTTP/1.0\r\nHost: demo\r\n\r\n' |
        "$pp" send "127.0.0.1:$port" --timeout 5000 "$@"
    echo
}
send --v1 --src 203.0.113.7:51234 --dst "127.0.0.1:$port"
step "The same client in a v2 header (with an ALPN TLV and a CRC32C)"
send --v2 --src 203.0.113.7:51234 --dst "127.0.0.1:$port" --alpn h2 --crc32c
step "An IPv6 client, in a v2 header"
send --src '[2001:db8::7]:40000' --dst '[2001:db8::1]:443'
step "A v2 LOCAL health check: no client in the header, the socket's own peer is used"
send --local
