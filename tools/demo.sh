#!/bin/sh
# make demo: headers written, decoded, and the client address recovered.
# Needs only what `make` built. Usage: sh tools/demo.sh build/bin
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
