#!/usr/bin/env bash
# tls-server (examples/tls-server.c: OpenSSL, the connection API) behind a
# real HAProxy, with self-signed certificates made here:
#   - TLS passthrough (mode tcp, send-proxy-v2 and send-proxy): the header
#     comes before the ClientHello; curl must see tls-server's own
#     certificate (not HAProxy's) and the body must name the client,
#     "IP = 127.0.0.1:CP" / "IP = [::1]:CP";
#   - TLS terminated by HAProxy (send-proxy-v2 proxy-v2-options
#     ssl,cert-cn,ssl-cipher,authority): plain HTTP reaches tls-server,
#     which names the client and logs a tls-details line with the version
#     and cipher curl negotiated, cert_presented/cert_verified for no
#     client certificate, one signed by the CA HAProxy trusts, and one it
#     does not trust (let through by ca-ignore-err/crt-ignore-err);
#   - health checks (L4 with send-proxy-v2: a LOCAL header then a close;
#     httpchk: LOCAL then a plain GET) keep the servers UP in `show stat`,
#     and tls-server logs them as cmd=LOCAL, never as rejects;
#   - a client sending a v2 header one byte per second is cut after
#     --header-timeout 1500 (1.4-2.5 s, reject PROXYPROTO_ERR_TIMEOUT)
#     while another client is served meanwhile;
#   - a peer outside --trusted gets PROXYPROTO_ERR_UNTRUSTED.
TEST_NAME="tls-server"
. "$(dirname "$0")/lib.sh"

need_tools haproxy curl openssl python3 socat || exit 1
need_bins tls-server || exit 1

BACKEND_CN=backend.test # tls-server's certificate
LB=lb.test              # HAProxy's certificate, and the SNI sent to it
CN=client.example.org   # client certificate signed by the CA
ROGUE=rogue.example.org # self-signed client certificate, not trusted

mk() { openssl "$@" >>"$T/openssl.log" 2>&1; }
if ! mk req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$BACKEND_CN" \
    -keyout "$T/be.key" -out "$T/be.crt" ||
    ! mk req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$LB" \
        -addext "subjectAltName=DNS:$LB" -keyout "$T/lb.key" -out "$T/lb.crt" ||
    ! mk req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Test CA" \
        -keyout "$T/ca.key" -out "$T/ca.crt" ||
    ! mk req -newkey rsa:2048 -nodes -subj "/CN=$CN" -keyout "$T/cli.key" \
        -out "$T/cli.csr" ||
    ! mk x509 -req -in "$T/cli.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
        -CAcreateserial -days 2 -out "$T/cli.crt" ||
    ! mk req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$ROGUE" \
        -keyout "$T/rogue.key" -out "$T/rogue.crt"; then
    fail "certificates" "openssl failed: $(tail -n 3 "$T/openssl.log" | tr '\n' '|')"
    exit 1
fi
cat "$T/lb.crt" "$T/lb.key" >"$T/lb.pem"

free_port S U F_V2 F_V1 F_TERM
TLS_ARGS="--cert $T/be.crt --key $T/be.key"
# shellcheck disable=SC2086 # TLS_ARGS: four words
start_server tls "$S" "$BIN/tls-server" --listen "127.0.0.1:$S" \
    --header-timeout 1500 $TLS_ARGS || exit 1
TLS_PID=$BG_PID
# shellcheck disable=SC2086
start_server untrusted "$U" "$BIN/tls-server" --listen "127.0.0.1:$U" \
    --trusted 10.0.0.0/8 $TLS_ARGS || exit 1

TERM_SSL="ssl crt $T/lb.pem ca-file $T/ca.crt verify optional ca-ignore-err all crt-ignore-err all"
{
    haproxy_global tcp
    cat <<EOC

frontend fe_v2
    bind 127.0.0.1:$F_V2
    bind [::1]:$F_V2
    default_backend be_v2

backend be_v2
    server s1 127.0.0.1:$S send-proxy-v2 check inter 200 rise 1 fall 1

frontend fe_v1
    bind 127.0.0.1:$F_V1
    bind [::1]:$F_V1
    default_backend be_v1

backend be_v1
    server s1 127.0.0.1:$S send-proxy

frontend fe_term
    bind 127.0.0.1:$F_TERM $TERM_SSL
    bind [::1]:$F_TERM $TERM_SSL
    default_backend be_term

backend be_term
    option httpchk GET /health
    server s1 127.0.0.1:$S send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority check inter 200 rise 1 fall 1
EOC
} >"$T/haproxy.cfg"
start_haproxy haproxy "$T/haproxy.cfg" "$F_V2" "$F_V1" "$F_TERM" || exit 1

# tls_get URL CP [CURL ARGS...]: curl -v over TLS from local port CP; the
# body goes to $BODY, the exit code to $RC, the TLS version and cipher curl
# negotiated to $TLS and $CIPHER, the server certificate's subject to
# $SUBJECT. Bounded: 5 s.
tls_get() {
    local _url=$1 _cp=$2
    shift 2
    BODY=$(curl -sSk -v --max-time 5 --local-port "$_cp" "$@" "$_url" 2>"$T/curl.err")
    RC=$?
    # "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384"
    # shellcheck disable=SC2046 # two words: version and cipher
    set -- $(sed -n 's/^\* SSL connection using \([^ ]*\) \/ \([^ ]*\).*/\1 \2/p' "$T/curl.err" | head -n 1)
    TLS=${1:-?} CIPHER=${2:-?}
    SUBJECT=$(sed -n 's/^\*  *subject: *//p' "$T/curl.err" | head -n 1)
}

# ---- TLS passthrough: tls-server does the handshake ---------------------------

for fe in "v2 $F_V2" "v1 $F_V1"; do
    # shellcheck disable=SC2086 # two words
    set -- $fe
    kind=$1 fport=$2
    for fam in 4 6; do
        free_port CP
        if [ $fam = 4 ]; then
            tls_get "https://127.0.0.1:$fport/" "$CP"
            client=127.0.0.1:$CP server=127.0.0.1:$fport
        else
            tls_get "https://[::1]:$fport/" "$CP" -g
            client="[::1]:$CP" server="[::1]:$fport"
        fi
        what="passthrough $kind, IPv$fam client :$CP"
        expect_eq "$what: body names the client (curl exit $RC)" "$BODY" "IP = $client"
        expect_eq "$what: TLS ended at tls-server (its certificate)" "$SUBJECT" "CN=$BACKEND_CN"
        wait_line "$T/tls.log" "conn client=$client " 3
        expect_eq "$what: conn line" "$(line_with "$T/tls.log" "conn client=$client ")" \
            "conn client=$client server=$server proxy=$kind cmd=PROXY"
        expect_eq "$what: no tls-details line (no SSL TLV)" \
            "$(count_lines "$T/tls.log" "tls-details client=$client ")" 0
    done
done

# ---- TLS terminated by HAProxy: plain HTTP and the SSL TLV --------------------

# term_check NAME CERT-ARGS PRESENTED VERIFIED CN [CURL ARGS...]: one
# request through fe_term with SNI $LB; the body and the tls-details line.
term_check() {
    local _name=$1 _presented=$3 _verified=$4 _cn=$5 _certargs=$2
    shift 5
    free_port CP
    # shellcheck disable=SC2086 # _certargs: several words or none
    tls_get "https://$LB:$F_TERM/" "$CP" --resolve "$LB:$F_TERM:127.0.0.1" $_certargs "$@"
    expect_eq "terminated, $_name: body names the client (curl exit $RC)" "$BODY" "IP = 127.0.0.1:$CP"
    expect_eq "terminated, $_name: curl saw HAProxy's certificate" "$SUBJECT" "CN=$LB"
    check "terminated, $_name: curl negotiated TLS" "no 'SSL connection using' in curl -v" \
        [ "$TLS" != "?" ]
    wait_line "$T/tls.log" "tls-details client=127.0.0.1:$CP " 3
    expect_eq "terminated, $_name: tls-details line" \
        "$(line_with "$T/tls.log" "tls-details client=127.0.0.1:$CP ")" \
        "tls-details client=127.0.0.1:$CP tls=1 cert_presented=$_presented cert_verified=$_verified version=$TLS cipher=$CIPHER cn=$_cn sni=$LB"
    wait_line "$T/tls.log" "conn client=127.0.0.1:$CP " 3
    case $(line_with "$T/tls.log" "conn client=127.0.0.1:$CP ") in
    "conn client=127.0.0.1:$CP server=127.0.0.1:$F_TERM proxy=v2 cmd=PROXY authority=$LB tls=$TLS cipher=$CIPHER"*)
        pass "terminated, $_name: conn line" ;;
    *) fail "terminated, $_name: conn line" \
        "got '$(line_with "$T/tls.log" "conn client=127.0.0.1:$CP ")'" ;;
    esac
}

term_check "no client certificate" "" 0 0 ""
term_check "TLS 1.2, chosen cipher" "" 0 0 "" --tlsv1.2 --tls-max 1.2 \
    --ciphers ECDHE-RSA-AES128-GCM-SHA256
expect_eq "terminated: TLS 1.2 cipher is the one asked for" "$TLS $CIPHER" \
    "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"
term_check "client certificate signed by the CA" "--cert $T/cli.crt --key $T/cli.key" 1 1 "$CN"
term_check "untrusted client certificate" "--cert $T/rogue.crt --key $T/rogue.key" 1 0 "$ROGUE"

free_port CP
tls_get "https://$LB:$F_TERM/" "$CP" -g --resolve "$LB:$F_TERM:[::1]"
expect_eq "terminated, IPv6 client :$CP: body names the client (curl exit $RC)" \
    "$BODY" "IP = [::1]:$CP"
expect_line "terminated, IPv6 client :$CP: tls-details line" "$T/tls.log" \
    "tls-details client=[::1]:$CP tls=1 cert_presented=0 cert_verified=0 version=TLSv1."

# ---- health checks ---------------------------------------------------------------

# stat_fields BACKEND SERVER F1 F2 F3: three fields of one `show stat`, by
# column name, taken when no check of that server is in progress (at most
# 2 s of tries): mid-check HAProxy shows "* " before the last result and no
# HTTP code yet, which says nothing about the server.
stat_fields() {
    i=0
    while :; do
        line=$(echo "show stat" | timeout 3 socat - "UNIX-CONNECT:$T/haproxy.sock" 2>/dev/null |
            awk -F, -v px="$1" -v sv="$2" -v a="$3" -v b="$4" -v c="$5" '
                NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
                $1 == px && $2 == sv {
                    printf "%s %s %s|%s\n", $(col[a]), $(col[b]), $(col[c]), $(col["check_status"]); exit }')
        case $line in
        *"|* "*) [ $i -lt 20 ] || break; i=$((i + 1)); sleep 0.1 ;;
        *) break ;;
        esac
    done
    echo "${line%%|*}"
}

# Checks every 200 ms on two backends: wait (bounded, 4 s) for 10 LOCAL lines.
deadline=$(($(now_ms) + 4000))
while [ "$(count_lines "$T/tls.log" "cmd=LOCAL")" -lt 10 ] && [ "$(now_ms)" -lt "$deadline" ]; do
    sleep 0.1
done
n=$(count_lines "$T/tls.log" "cmd=LOCAL")
check "health checks reach tls-server as LOCAL ($n)" \
    "fewer than 10 'cmd=LOCAL' lines: $(grep -v tls-details "$T/tls.log" | tail -n 3 | tr '\n' '|')" \
    [ "$n" -ge 10 ]
bad=$(grep -F "cmd=LOCAL" "$T/tls.log" |
    grep -cvE "^conn client=127\.0\.0\.1:[0-9]+ server=127\.0\.0\.1:$S proxy=v2 cmd=LOCAL\$")
expect_eq "health checks: LOCAL lines carry the socket addresses" "$bad" 0
expect_eq "show stat: be_v2/s1 (L4 check, send-proxy-v2) UP" \
    "$(stat_fields be_v2 s1 status check_status chkfail)" \
    "UP L4OK 0"
expect_eq "show stat: be_term/s1 (httpchk: LOCAL, then plain GET) UP" \
    "$(stat_fields be_term s1 status check_status check_code)" \
    "UP L7OK 200"
expect_eq "health checks: no reject line" "$(count_lines "$T/tls.log" reject)" 0
check "tls-server still running after the checks" "it exited: $(tail -n 3 "$T/tls.log" | tr '\n' '|')" \
    kill -0 "$TLS_PID"

# ---- a header one byte per second, and a client served meanwhile ---------------

# Prints "PORT MS": its source port, and the milliseconds from connect
# until the server closed (or "PORT none" after 10 s).
cat >"$T/slow.py" <<'EOF'
import select, socket, sys, time
hdr = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c"
       b"\x7f\x00\x00\x09\x7f\x00\x00\x01\x04\x57\x01\xbb")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print(s.getsockname()[1], end=" ", flush=True)
t0 = time.monotonic()
for b in hdr[:10]:
    try:
        s.send(bytes([b]))
        r, _, _ = select.select([s], [], [], 1.0)
        if r and not s.recv(100):
            break
    except OSError:
        break
else:
    print("none", flush=True)
    sys.exit(0)
print(int((time.monotonic() - t0) * 1000), flush=True)
EOF
python3 "$T/slow.py" "$S" >"$T/slow.out" 2>"$T/slow.err" &
SLOW=$!
sleep 0.3
free_port CP
tls_get "https://127.0.0.1:$F_V2/" "$CP"
slow_running=0
kill -0 "$SLOW" 2>/dev/null && slow_running=1
expect_eq "served while a slow header is pending (curl exit $RC)" "$BODY:$slow_running" \
    "IP = 127.0.0.1:$CP:1"
i=0
while kill -0 "$SLOW" 2>/dev/null && [ $i -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
read -r SLOW_PORT SLOW_MS <"$T/slow.out"
check "slow header cut between 1.4 and 2.5 s (${SLOW_MS:-?} ms)" \
    "got '$(cat "$T/slow.out" "$T/slow.err" | tr '\n' '|')'" \
    between "${SLOW_MS:-0}" 1400 2500 2>/dev/null
expect_line "slow header: reject line PROXYPROTO_ERR_TIMEOUT" "$T/tls.log" \
    "reject peer=127.0.0.1:${SLOW_PORT:-?} error=PROXYPROTO_ERR_TIMEOUT msg="

# ---- a peer that is not a trusted load balancer --------------------------------

free_port CP
tls_get "https://127.0.0.1:$U/" "$CP"
check "untrusted peer: curl fails (the connection is closed)" "curl exit 0, body '$BODY'" \
    [ "$RC" -ne 0 ]
expect_eq "untrusted peer: no answer" "$BODY" ""
expect_line "untrusted peer: reject line PROXYPROTO_ERR_UNTRUSTED" "$T/untrusted.log" \
    "reject peer=127.0.0.1:$CP error=PROXYPROTO_ERR_UNTRUSTED msg="
expect_eq "untrusted peer: no conn line" "$(count_lines "$T/untrusted.log" "conn client=")" 0

# Only the slow header was rejected by the trusted tls-server.
expect_eq "only the slow header was rejected" \
    "$(count_lines "$T/tls.log" reject)" 1

finish
