#!/usr/bin/env bash
# The other direction: our headers received by real load balancers.
#   - HAProxy `bind 127.0.0.1:P accept-proxy` and `bind [::1]:P accept-proxy`,
#     mode http, answering `http-request return ... lf-string
#     "%[src]:%[src_port]"` plus a header with the TLVs it parsed
#     (fc_pp_authority, fc_pp_unique_id);
#   - nginx http `listen ... proxy_protocol` answering
#     `return 200 "$proxy_protocol_addr:$proxy_protocol_port"`.
# Driven by `proxyproto send` (connect, write the header, relay) and by
# `proxyproto encode | socat` (the encoder's bytes alone), with v1 and v2
# headers carrying IPv4 and IPv6 sources (127.0.0.x and ::1 only): the
# address echoed back must be the one sent, not the socket's. A v2 header
# with a CRC32C is accepted by HAProxy (it verifies it), the same header with
# one byte changed is refused.
TEST_NAME="lb-accept-proxy"
. "$(dirname "$0")/lib.sh"

need_tools haproxy nginx socat || exit 1
need_bins proxyproto || exit 1

HAVE_SEND=1
if ! "$BIN/proxyproto" send --help >/dev/null 2>&1; then
    HAVE_SEND=0
    fail "proxyproto send exists" "'$BIN/proxyproto send --help' fails: $("$BIN/proxyproto" send --help 2>&1 | head -n 2 | tr '\n' '|')"
fi

free_port H N
{
    haproxy_global http
    cat <<EOC

frontend fe_accept
    bind 127.0.0.1:$H accept-proxy
    bind [::1]:$H accept-proxy
    http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]" hdr x-pp "authority=%[fc_pp_authority] unique_id=%[fc_pp_unique_id]"
EOC
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$H" || exit 1

cat >"$T/nginx.conf" <<EOC
error_log $T/nginx-error.log info;
pid $T/nginx.pid;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path $T/nginx-body;
    proxy_temp_path $T/nginx-proxy;
    fastcgi_temp_path $T/nginx-fastcgi;
    uwsgi_temp_path $T/nginx-uwsgi;
    scgi_temp_path $T/nginx-scgi;
    server {
        listen 127.0.0.1:$N proxy_protocol;
        listen [::1]:$N proxy_protocol;
        default_type text/plain;
        return 200 "\$proxy_protocol_addr:\$proxy_protocol_port";
    }
}
EOC
start_nginx nginx "$T/nginx.conf" "$N" || exit 1

REQ='GET / HTTP/1.0\r\nHost: test\r\n\r\n'

# via_send HOST:PORT OPTIONS...: the response to REQ sent with a header
# from `proxyproto send`, in $RESP.
via_send() {
    local _to=$1
    shift
    RESP=$(printf "$REQ" | timeout 5 "$BIN/proxyproto" send "$_to" "$@" 2>"$T/send.err")
    RC=$?
}

# via_encode HOST:PORT FAMILY OPTIONS...: the same, the header from
# `proxyproto encode` and socat for the connection.
via_encode() {
    local _to=$1 _fam=$2
    shift 2
    { "$BIN/proxyproto" encode "$@" && printf "$REQ"; } >"$T/req" 2>"$T/encode.err"
    RESP=$(timeout 5 socat -t 3 - "TCP$_fam:$_to" <"$T/req" 2>"$T/socat.err")
    RC=$?
}

# Each case: NAME, connect over IPv4 or IPv6, the source sent, the options.
CASES="v1-TCP4|4|127.0.0.77:40101|--v1 --src 127.0.0.77:40101 --dst 127.0.0.1:443
v1-TCP6|6|::1:40102|--v1 --src [::1]:40102 --dst [::1]:443
v2-INET|4|127.0.0.78:40103|--v2 --src 127.0.0.78:40103 --dst 127.0.0.1:443
v2-INET6|6|::1:40104|--v2 --src [::1]:40104 --dst [::1]:443
v2-INET6-over-IPv4|4|::1:40105|--v2 --src [::1]:40105 --dst [::1]:443
v1-TCP4-over-IPv6|6|127.0.0.79:40106|--v1 --src 127.0.0.79:40106 --dst 127.0.0.1:443
v2-INET-crc32c-TLVs|4|127.0.0.80:40107|--v2 --src 127.0.0.80:40107 --dst 127.0.0.1:443 --crc32c --alpn h2 --authority api.example.net --unique-id uid-40107"

while IFS='|' read -r name fam want opts; do
    for lb in "haproxy $H" "nginx $N"; do
        set -- $lb
        lbname=$1 port=$2
        if [ "$fam" = 4 ]; then to=127.0.0.1:$port; else to="[::1]:$port"; fi
        for driver in send encode; do
            [ $driver = send ] && [ $HAVE_SEND = 0 ] && continue
            # shellcheck disable=SC2086 # opts is a list of options
            if [ $driver = send ]; then
                via_send "$to" $opts
            else
                via_encode "$to" "$fam" $opts
            fi
            got=$(http_body "$RESP")
            expect_eq "$lbname <- proxyproto $driver $name (IPv$fam connection)" "$got" "$want"
            if [ "$lbname" = haproxy ] && [ "$name" = v2-INET-crc32c-TLVs ]; then
                expect_eq "$lbname <- proxyproto $driver $name: TLVs parsed by HAProxy" \
                    "$(printf '%s' "$RESP" | tr -d '\r' | sed -n 's/^x-pp: //p')" \
                    "authority=api.example.net unique_id=uid-40107"
            fi
        done
    done
done <<EOF
$CASES
EOF

# The CRC32C is checked: one byte of the AUTHORITY value changed (api ->
# apj), same length, old checksum: HAProxy refuses the connection.
"$BIN/proxyproto" encode --v2 --src 127.0.0.81:40108 --dst 127.0.0.1:443 --crc32c \
    --authority api.example.net >"$T/hdr" 2>"$T/encode.err"
sed 's/api\.example/apj.example/' "$T/hdr" >"$T/hdr.bad"
check "corrupted header differs from the good one by one byte" \
    "cmp: $(cmp -l "$T/hdr" "$T/hdr.bad" 2>&1 | wc -l) bytes differ" \
    [ "$(cmp -l "$T/hdr" "$T/hdr.bad" 2>/dev/null | wc -l)" = 1 ]
{ cat "$T/hdr.bad"; printf "$REQ"; } >"$T/req"
RESP=$(timeout 5 socat -t 3 - "TCP4:127.0.0.1:$H" <"$T/req" 2>/dev/null)
case $RESP in
*"200 OK"*) fail "haproxy refuses a v2 header whose CRC32C does not match" "answered: $(printf '%s' "$RESP" | head -c 200)" ;;
*) pass "haproxy refuses a v2 header whose CRC32C does not match" ;;
esac
{ cat "$T/hdr"; printf "$REQ"; } >"$T/req"
RESP=$(timeout 5 socat -t 3 - "TCP4:127.0.0.1:$H" <"$T/req" 2>/dev/null)
expect_eq "haproxy accepts the same header unchanged" "$(http_body "$RESP")" "127.0.0.81:40108"

finish
