#!/usr/bin/env bash
# A TLS-terminating HAProxy (self-signed certificates made here with
# openssl; `bind ... ssl crt ... alpn h2,http/1.1`, client certificates
# optional) in front of echo-server and http-server, with send-proxy-v2 and
# proxy-v2-options ssl,cert-cn,ssl-cipher,authority (one frontend adds
# cert-sig,cert-key,crc32c,unique-id, as in tests/captures).
# echo-server must log the client's IP:port and, from the TLVs, the ALPN,
# the SNI (authority), the TLS version and cipher that curl reports having
# negotiated, and the client certificate's CN when one was sent - and
# nothing that was not sent (no SNI: no authority=; no certificate: no cn=).
# http-server, behind TLS, must still name the client.
TEST_NAME="haproxy-tls"
. "$(dirname "$0")/lib.sh"

need_tools haproxy curl socat openssl || exit 1
need_bins http-server echo-server || exit 1

SNI=api.example.net
CN=client.example.org

# Self-signed server certificate for $SNI, and a self-signed client
# certificate for $CN that the frontend also takes as its CA.
if ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$SNI" \
    -addext "subjectAltName=DNS:$SNI" -keyout "$T/srv.key" -out "$T/srv.crt" \
    >"$T/openssl.log" 2>&1 ||
    ! openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$CN" \
        -keyout "$T/cli.key" -out "$T/cli.crt" >>"$T/openssl.log" 2>&1; then
    fail "certificates" "openssl failed: $(tail -n 3 "$T/openssl.log" | tr '\n' '|')"
    exit 1
fi
cat "$T/srv.crt" "$T/srv.key" >"$T/srv.pem"

free_port HTTP ECHO F_ECHO F_ALL F_HTTP
start_server http "$HTTP" "$BIN/http-server" --listen "127.0.0.1:$HTTP" || exit 1
start_server echo "$ECHO" "$BIN/echo-server" --listen "127.0.0.1:$ECHO" || exit 1

SSL="ssl crt $T/srv.pem alpn h2,http/1.1 ca-file $T/cli.crt verify optional"
{
    haproxy_global tcp
    cat <<EOC

frontend fe_echo
    bind 127.0.0.1:$F_ECHO $SSL
    bind [::1]:$F_ECHO $SSL
    default_backend be_echo

backend be_echo
    server s1 127.0.0.1:$ECHO send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority

frontend fe_all
    bind 127.0.0.1:$F_ALL $SSL
    unique-id-format tls-%[src_port]
    default_backend be_all

backend be_all
    server s1 127.0.0.1:$ECHO send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,cert-sig,cert-key,authority,crc32c,unique-id

frontend fe_http
    bind 127.0.0.1:$F_HTTP $SSL
    bind [::1]:$F_HTTP $SSL
    default_backend be_http

backend be_http
    server s1 127.0.0.1:$HTTP send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority
EOC
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F_ECHO" "$F_ALL" "$F_HTTP" || exit 1

# tls_curl PORT CLIENT_PORT HOST [CURL ARGS...]: curl over TLS to HOST (the
# SNI; resolved to 127.0.0.1) through HAProxy. echo-server is not an HTTP
# server (it sends the request back), so curl's exit code says nothing;
# what TLS version and cipher curl negotiated goes to $TLS and $CIPHER.
tls_curl() {
    local _port=$1 _cp=$2 _host=$3
    shift 3
    curl -sk -v --max-time 3 --local-port "$_cp" \
        --resolve "$SNI:$_port:127.0.0.1" "$@" "https://$_host:$_port/" \
        >"$T/curl.out" 2>"$T/curl.err"
    RC=$?
    # "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384"
    # shellcheck disable=SC2046 # two words: version and cipher
    set -- $(sed -n 's/^\* SSL connection using \([^ ]*\) \/ \([^ ]*\).*/\1 \2/p' "$T/curl.err" | head -n 1)
    TLS=${1:-?} CIPHER=${2:-?}
}

# tls_log_check NAME CP FPORT WANT-TAIL: echo-server's line for the client
# 127.0.0.1:CP is "conn client=127.0.0.1:CP server=127.0.0.1:FPORT proxy=v2
# cmd=PROXY" followed by WANT-TAIL.
tls_log_check() {
    wait_line "$T/echo.log" "conn client=127.0.0.1:$2 " 3
    expect_eq "$1" "$(line_with "$T/echo.log" "conn client=127.0.0.1:$2 ")" \
        "conn client=127.0.0.1:$2 server=127.0.0.1:$3 proxy=v2 cmd=PROXY$4"
}

# ALPN h2, SNI, client certificate, TLS 1.3 (curl's default).
free_port CP
tls_curl "$F_ECHO" "$CP" "$SNI" --http2 --cert "$T/cli.crt" --key "$T/cli.key"
check "curl negotiated TLS through HAProxy (h2, SNI, client cert)" \
    "no 'SSL connection using' in curl -v: $(grep -i -m3 -E 'ssl|tls|error' "$T/curl.err" | tr '\n' '|')" \
    [ "$TLS" != "?" ]
tls_log_check "echo-server TLS: alpn h2, authority, $TLS, $CIPHER, cn" "$CP" "$F_ECHO" \
    " alpn=h2 authority=$SNI tls=$TLS cipher=$CIPHER cn=$CN"

# ALPN http/1.1, no client certificate: no cn=.
free_port CP
tls_curl "$F_ECHO" "$CP" "$SNI" --http1.1
tls_log_check "echo-server TLS: alpn http/1.1, no certificate, no cn" "$CP" "$F_ECHO" \
    " alpn=http/1.1 authority=$SNI tls=$TLS cipher=$CIPHER"

# TLS 1.2 with a chosen cipher: the TLVs carry what was negotiated, not a
# constant.
free_port CP
tls_curl "$F_ECHO" "$CP" "$SNI" --http1.1 --tlsv1.2 --tls-max 1.2 \
    --ciphers ECDHE-RSA-AES128-GCM-SHA256
expect_eq "curl negotiated TLS 1.2 / ECDHE-RSA-AES128-GCM-SHA256" "$TLS $CIPHER" \
    "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"
tls_log_check "echo-server TLS 1.2: version and cipher from the TLVs" "$CP" "$F_ECHO" \
    " alpn=http/1.1 authority=$SNI tls=TLSv1.2 cipher=ECDHE-RSA-AES128-GCM-SHA256"

# No SNI (an IP literal in the URL): HAProxy sends no AUTHORITY TLV.
free_port CP
tls_curl "$F_ECHO" "$CP" 127.0.0.1 --http1.1
tls_log_check "echo-server TLS without SNI: no authority" "$CP" "$F_ECHO" \
    " alpn=http/1.1 tls=$TLS cipher=$CIPHER"

# Every option HAProxy has, crc32c and unique-id included (the header then
# also carries cert-sig/cert-key sub-TLVs that the log does not show).
free_port CP
tls_curl "$F_ALL" "$CP" "$SNI" --http2 --cert "$T/cli.crt" --key "$T/cli.key"
tls_log_check "echo-server TLS, all proxy-v2-options incl. crc32c,unique-id" "$CP" "$F_ALL" \
    " alpn=h2 authority=$SNI tls=$TLS cipher=$CIPHER cn=$CN unique_id=tls-$CP"

# Payload through TLS (socat: SNI, no ALPN): the echo is byte for byte.
make_payload "$T/payload"
for fam in 4 6; do
    free_port CP
    if [ $fam = 4 ]; then
        socat_echo "$T/reply" "$T/payload" \
            "OPENSSL:127.0.0.1:$F_ECHO,verify=0,snihost=$SNI,pf=ip4,sourceport=$CP"
        client=127.0.0.1:$CP server=127.0.0.1:$F_ECHO
    else
        socat_echo "$T/reply" "$T/payload" \
            "OPENSSL:[::1]:$F_ECHO,verify=0,snihost=$SNI,pf=ip6,sourceport=$CP"
        client="[::1]:$CP" server="[::1]:$F_ECHO"
    fi
    if cmp -s "$T/payload" "$T/reply"; then
        pass "echo-server TLS, IPv$fam: payload echoed byte for byte"
    else
        fail "echo-server TLS, IPv$fam: payload echoed byte for byte" \
            "sent $(wc -c <"$T/payload") bytes, got $(wc -c <"$T/reply") (socat exit $RC: $(head -c 300 "$T/socat.err"))"
    fi
    wait_line "$T/echo.log" "conn client=$client " 3
    line=$(line_with "$T/echo.log" "conn client=$client ")
    case $line in
    "conn client=$client server=$server proxy=v2 cmd=PROXY authority=$SNI tls=TLSv1."*" cipher="*)
        pass "echo-server TLS, IPv$fam (socat): log line" ;;
    *) fail "echo-server TLS, IPv$fam (socat): log line" \
        "got '$line', want 'conn client=$client server=$server proxy=v2 cmd=PROXY authority=$SNI tls=TLSv1.x cipher=...'" ;;
    esac
done

# http-server behind TLS termination names the client.
for fam in 4 6; do
    free_port CP
    if [ $fam = 4 ]; then
        http_get "https://$SNI:$F_HTTP/" "$CP" -k --http1.1 --resolve "$SNI:$F_HTTP:127.0.0.1"
        expect_ip_body "http-server behind TLS, IPv4 client :$CP" "$BODY" 127.0.0.1 "$CP"
    else
        http_get "https://$SNI:$F_HTTP/" "$CP" -k --http1.1 --resolve "$SNI:$F_HTTP:[::1]"
        expect_ip_body "http-server behind TLS, IPv6 client :$CP" "$BODY" ::1 "$CP"
    fi
done

expect_eq "echo-server: no reject line" "$(count_lines "$T/echo.log" reject)" 0
expect_eq "http-server: no reject line" "$(count_lines "$T/http.log" reject)" 0

finish
