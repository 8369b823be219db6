#!/usr/bin/env bash
# curl --haproxy-protocol straight to http-server: curl writes a v1 header
# with its own addresses (PROXY TCP4 127.0.0.1 127.0.0.1 <sport> <dport>, or
# TCP6 ::1 for an IPv6 URL); http-server must answer "IP = <ip>:<sport>",
# the source port being the one curl was told to use (--local-port).
# Also: without a header (plain curl) the server must refuse to serve, and a
# client outside --trusted must be refused even with a valid header.
TEST_NAME="curl-haproxy-protocol"
. "$(dirname "$0")/lib.sh"

need_tools curl || exit 1
need_bins http-server || exit 1

free_port HTTP4 HTTP6 STRICT
start_server http4 "$HTTP4" "$BIN/http-server" --listen "127.0.0.1:$HTTP4" || exit 1
start_server http6 "$HTTP6" "$BIN/http-server" --listen "[::1]:$HTTP6" || exit 1
# Trusts only 127.0.0.1: a peer on 127.0.0.2 is not a load balancer.
start_server strict "$STRICT" "$BIN/http-server" --listen "127.0.0.1:$STRICT" \
    --trusted 127.0.0.1/32 || exit 1

# IPv4, three connections from three chosen source ports.
for i in 1 2 3; do
    free_port CP
    http_get "http://127.0.0.1:$HTTP4/" "$CP" --haproxy-protocol
    expect_eq "v1 TCP4 from curl, client port $CP (#$i)" "$BODY" "IP = 127.0.0.1:$CP"
done

# IPv6: curl sends PROXY TCP6 ::1 ::1 ...
free_port CP
http_get "http://[::1]:$HTTP6/" "$CP" -g --haproxy-protocol
expect_ip_body "v1 TCP6 from curl, client port $CP" "$BODY" ::1 "$CP"

# A request with a path and a body still gets the client address.
free_port CP
http_get "http://127.0.0.1:$HTTP4/some/path?x=1" "$CP" --haproxy-protocol \
    -X POST --data 'a=b'
expect_eq "v1 TCP4, POST with a body" "$BODY" "IP = 127.0.0.1:$CP"

# No header at all: the request is not served (proxyproto(7) section 5: never
# guess).
free_port CP
http_get "http://127.0.0.1:$HTTP4/" "$CP"
case $BODY in
*"IP ="*) fail "no header: not served" "served without a PROXY header: '$BODY'" ;;
*) pass "no header: not served (curl exit $RC)" ;;
esac
expect_line "no header: reject logged" "$T/http4.log" "error=PROXYPROTO_ERR_NOT_PROXY"

# Untrusted peer (127.0.0.2 against --trusted 127.0.0.1/32), valid header.
free_port CP
http_get "http://127.0.0.1:$STRICT/" "$CP" --interface 127.0.0.2 --haproxy-protocol
case $BODY in
*"IP ="*) fail "untrusted peer: not served" "served an untrusted peer: '$BODY'" ;;
*) pass "untrusted peer: not served (curl exit $RC)" ;;
esac
expect_line "untrusted peer: reject logged" "$T/strict.log" \
    "reject peer=127.0.0.2:$CP error=PROXYPROTO_ERR_UNTRUSTED"
# ... while the trusted 127.0.0.1 is served by the same server.
free_port CP
http_get "http://127.0.0.1:$STRICT/" "$CP" --interface 127.0.0.1 --haproxy-protocol
expect_eq "trusted peer 127.0.0.1/32: served" "$BODY" "IP = 127.0.0.1:$CP"

finish
