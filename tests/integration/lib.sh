# tests/integration/lib.sh - helpers shared by the integration tests (bash).
#
# Sourced by every tests/integration/*.sh test after it sets TEST_NAME:
#
#   TEST_NAME=nginx-stream
#   . "$(dirname "$0")/lib.sh"
#
# A test is run as `bash tests/integration/X.sh BIN_DIR` (run.sh does that
# for every test). What this file gives it:
#   - BIN (the folder of the built programs) and T, a temp dir of its own,
#     removed on exit unless INTEG_KEEP=1;
#   - pass/fail and a few expectation helpers; results go to the file
#     $INTEG_RESULTS when run.sh set it, and a test run alone prints its own
#     closing "N passed, M failed" line;
#   - free_port, wait_listen (bounded loops on /proc/net/tcp*), start_bg /
#     stop_pid with an EXIT trap that ends every process the test started;
#   - clients (http_get), expectations for http-server's answer
#     (expect_ip_body), generated HAProxy/nginx configs (haproxy_global,
#     start_haproxy, start_nginx), echo payloads (make_payload, socat_echo);
#   - need_tools / need_bins: a missing tool or program is a FAIL, never a
#     silent skip (CI installs them: tools/scripts/install-deps.sh).
# Traffic goes to 127.0.0.1, 127.0.0.x and ::1 only.

set -u

BIN=${1:-${INTEG_BIN:-build/bin}}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

INTEG_TMP=${INTEG_TMP:-${TMPDIR:-/tmp}}
T=$(mktemp -d "$INTEG_TMP/$TEST_NAME.XXXXXX") || exit 2

PASSED=0
FAILED=0
BG_PIDS=""

# ---- results ----------------------------------------------------------------

_record() {
    if [ -n "${INTEG_RESULTS:-}" ]; then
        printf '%s %s\n' "$1" "$TEST_NAME" >>"$INTEG_RESULTS"
    fi
}

pass() {
    PASSED=$((PASSED + 1))
    _record ok
    echo "ok - $TEST_NAME: $1"
}

# fail NAME WHY...
fail() {
    local _n=$1
    shift
    FAILED=$((FAILED + 1))
    _record FAIL
    echo "FAIL - $TEST_NAME: $_n: $*"
}

# check NAME WHY-IF-FALSE CMD...: pass when CMD succeeds.
check() {
    local _n=$1 _w=$2
    shift 2
    if "$@"; then pass "$_n"; else fail "$_n" "$_w"; fi
}

# between N MIN MAX: MIN <= N <= MAX (integers), for check.
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# expect_eq NAME GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "got '$(printf '%s' "$2" | head -c 400)', want '$3'"
    fi
}

# Lines of FILE that contain the fixed string STR (grep -F), 0 when none.
count_lines() {
    if [ -f "$1" ]; then grep -cF -- "$2" "$1"; else echo 0; fi
}

# wait_line FILE STR [SECONDS]: waits (bounded) until FILE has a line holding
# the fixed string STR. Servers log when the connection ends or is
# rejected, which may be a little after the client is done.
wait_line() {
    local _deadline=$(($(now_ms) + ${3:-3} * 1000))
    while :; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        [ "$(now_ms)" -ge "$_deadline" ] && return 1
        sleep 0.05
    done
}

# expect_line NAME FILE STR [SECONDS]: FILE gets a line holding STR.
expect_line() {
    if wait_line "$2" "$3" "${4:-3}"; then
        pass "$1"
    else
        fail "$1" "no line with '$3' in $(basename "$2"); last lines: $(tail -n 5 "$2" 2>/dev/null | tr '\n' '|')"
    fi
}

# The one line of FILE holding the fixed string STR (the first), or nothing.
line_with() { grep -F -- "$2" "$1" 2>/dev/null | head -n 1; }

# Closing summary, for a test run on its own.
finish() {
    if [ -z "${INTEG_RESULTS:-}" ]; then
        echo "$TEST_NAME: $PASSED passed, $FAILED failed"
    fi
    [ "$FAILED" -eq 0 ]
}

# ---- time -------------------------------------------------------------------

now_ms() { date +%s%3N; }

# ---- prerequisites ----------------------------------------------------------

# need_tools TOOL...: FAILs (loudly) for each missing tool; returns 1 if any.
need_tools() {
    local _ok=0 _t
    for _t in "$@"; do
        if ! command -v "$_t" >/dev/null 2>&1; then
            fail "prerequisite $_t" "'$_t' is not installed (run: sh tools/scripts/install-deps.sh)"
            _ok=1
        fi
    done
    return $_ok
}

# need_bins PROG...: FAILs for each program missing from BIN.
need_bins() {
    local _ok=0 _b
    for _b in "$@"; do
        if [ ! -x "$BIN/$_b" ]; then
            fail "prerequisite $_b" "$BIN/$_b is missing (make all builds it)"
            _ok=1
        fi
    done
    return $_ok
}

# Path of nginx's stream module (libnginx-mod-stream), or nothing.
nginx_stream_module() {
    local _m
    for _m in /usr/lib/nginx/modules/ngx_stream_module.so \
        /usr/lib64/nginx/modules/ngx_stream_module.so \
        /usr/lib/x86_64-linux-gnu/nginx/modules/ngx_stream_module.so; do
        [ -f "$_m" ] && { echo "$_m"; return 0; }
    done
    find /usr/lib /usr/lib64 -name ngx_stream_module.so 2>/dev/null | head -n 1
}

# ---- ports ------------------------------------------------------------------

GIVEN_PORTS=" "

# Local TCP ports in use (any state, IPv4 and IPv6), in decimal.
_ports_in_use() {
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk 'FNR > 1 && $2 ~ /:/ { split($2, a, ":"); print a[2] }' |
        while read -r _h; do echo $((16#$_h)); done
}

# free_port VAR...: sets each VAR to a TCP port (20000-32767, below Linux's
# ephemeral range) that no socket uses now and that this test has not handed
# out yet (a variable, not $(...): the list of given ports must persist).
free_port() {
    local _used _i _p _v
    _used=" $(_ports_in_use | tr '\n' ' ') "
    for _v in "$@"; do
        _i=0
        while :; do
            _p=$((20000 + RANDOM % 12768))
            case "$_used$GIVEN_PORTS" in
            *" $_p "*) ;;
            *) break ;;
            esac
            _i=$((_i + 1))
            if [ $_i -ge 500 ]; then
                echo "free_port: no free port found" >&2
                return 1
            fi
        done
        GIVEN_PORTS="$GIVEN_PORTS$_p "
        printf -v "$_v" '%s' "$_p"
    done
}

# is_listening PORT: some socket listens on TCP PORT (IPv4 or IPv6).
is_listening() {
    local _hex
    _hex=$(printf '%04X' "$1")
    awk -v p="$_hex" '$4 == "0A" { split($2, a, ":"); if (a[2] == p) f = 1 }
        END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# wait_listen PORT PID [SECONDS]: waits (bounded) for a listener on PORT;
# fails early if PID died.
wait_listen() {
    local _deadline=$(($(now_ms) + ${3:-5} * 1000))
    while :; do
        is_listening "$1" && return 0
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
            return 1
        fi
        [ "$(now_ms)" -ge "$_deadline" ] && return 1
        sleep 0.05
    done
}

# ---- processes --------------------------------------------------------------

# start_bg NAME CMD...: starts CMD in the background, stdout and stderr to
# $T/NAME.log, and sets BG_PID. Every such process is ended on exit.
start_bg() {
    local _name=$1
    shift
    "$@" >"$T/$_name.log" 2>&1 &
    BG_PID=$!
    BG_PIDS="$BG_PIDS $BG_PID"
}

# start_server NAME PORT CMD...: start_bg, then wait until PORT listens.
# FAILs (and returns 1) when it does not within START_WAIT seconds (5).
start_server() {
    local _sname=$1 _sport=$2
    shift 2
    start_bg "$_sname" "$@"
    if ! wait_listen "$_sport" "$BG_PID" "${START_WAIT:-5}"; then
        fail "start $_sname" "not listening on port $_sport after ${START_WAIT:-5} s: $(tail -n 5 "$T/$_sname.log" | tr '\n' '|')"
        return 1
    fi
}

# stop_pid PID: TERM, up to 3 s, then KILL; reaps it.
stop_pid() {
    local _i
    kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
    _i=0
    while [ $_i -lt 60 ] && kill -0 "$1" 2>/dev/null; do
        sleep 0.05
        _i=$((_i + 1))
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# Ends every process started with start_bg, then removes T.
_cleanup() {
    local _p
    for _p in $BG_PIDS; do stop_pid "$_p"; done
    # Subshells of the test (clients run in the background) end too.
    for _p in $(jobs -p); do kill -KILL "$_p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "${INTEG_KEEP:-0}" = 1 ]; then
        echo "# $TEST_NAME: kept $T"
    else
        rm -rf "$T"
    fi
}
trap _cleanup EXIT
trap 'exit 2' HUP INT TERM

# ---- clients ----------------------------------------------------------------

# http_get URL CLIENT_PORT [CURL ARGS...]: curl's body in $BODY, its exit
# code in $RC; connects from local port CLIENT_PORT. Bounded: 5 s.
http_get() {
    local _url=$1 _lport=$2
    shift 2
    BODY=$(curl -sS --max-time 5 --local-port "$_lport" "$@" "$_url" 2>"$T/curl.err")
    RC=$?
}

# Body of an HTTP response held in $1 (after the first empty line).
http_body() { printf '%s' "$1" | tr -d '\r' | sed '1,/^$/d'; }

# expect_ip_body NAME BODY IP PORT: BODY is http-server's "IP = IP:PORT",
# an IPv6 address in brackets ("IP = [::1]:5000"), as every HTTP example
# answers since 0.2.
expect_ip_body() {
    case $3 in
    *:*) expect_eq "$1" "$2" "IP = [$3]:$4" ;;
    *) expect_eq "$1" "$2" "IP = $3:$4" ;;
    esac
}

# ---- HAProxy and nginx --------------------------------------------------------

# haproxy_global: the global/defaults sections every generated config starts
# with: logs to stdout (the test's log file), a stats socket in T, short
# timeouts. MODE is tcp or http.
haproxy_global() {
    cat <<EOC
global
    log stdout format raw local0 info
    stats socket $T/haproxy.sock mode 600 level admin
    maxconn 200

defaults
    mode ${1:-tcp}
    log global
    option ${1:-tcp}log
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout check 2s
EOC
}

# start_haproxy NAME CFG PORT...: checks CFG (haproxy -c), runs HAProxy in
# the foreground (-db) and waits for every PORT to listen.
start_haproxy() {
    local _name=$1 _cfg=$2 _p
    shift 2
    if ! haproxy -c -f "$_cfg" >"$T/$_name.check" 2>&1; then
        fail "start $_name" "haproxy -c rejects $(basename "$_cfg"): $(tr '\n' '|' <"$T/$_name.check")"
        return 1
    fi
    start_bg "$_name" haproxy -db -f "$_cfg"
    for _p in "$@"; do
        if ! wait_listen "$_p" "$BG_PID" 5; then
            fail "start $_name" "not listening on port $_p: $(tail -n 5 "$T/$_name.log" | tr '\n' '|')"
            return 1
        fi
    done
}

# start_nginx NAME CONF PORT...: nginx in the foreground, one process
# (daemon off, master_process off: nothing forks, nothing changes user),
# prefix T, startup errors to $T/NAME.startup; waits for every PORT.
start_nginx() {
    local _name=$1 _conf=$2 _p
    shift 2
    if ! nginx -t -q -p "$T/" -e "$T/$_name.startup" -c "$_conf" \
        -g 'daemon off; master_process off;' >"$T/$_name.check" 2>&1; then
        fail "start $_name" "nginx -t rejects $(basename "$_conf"): $(cat "$T/$_name.check" "$T/$_name.startup" 2>/dev/null | tr '\n' '|')"
        return 1
    fi
    start_bg "$_name" nginx -p "$T/" -e "$T/$_name.startup" -c "$_conf" \
        -g 'daemon off; master_process off;'
    for _p in "$@"; do
        if ! wait_listen "$_p" "$BG_PID" 5; then
            fail "start $_name" "not listening on port $_p: $(tail -n 5 "$T/$_name.startup" | tr '\n' '|')"
            return 1
        fi
    done
}

# ---- echo-server helpers --------------------------------------------------------

# make_payload FILE: bytes an echo must return unchanged: text, a second
# PROXY header of each version (payload once the first header is in:
# proxyproto(7) section 1), NUL and high bytes, and 64 KiB of random data.
make_payload() {
    {
        printf 'hello\n'
        printf 'PROXY TCP4 127.0.0.9 127.0.0.1 1111 2222\r\n'
        printf '\r\n\r\n\000\r\nQUIT\n\041\021\000\014\177\000\000\011\177\000\000\001\004\127\010\256'
        printf '\000\001\002\377\376\r\n'
        head -c 65536 /dev/urandom
        printf 'bye\n'
    } >"$1"
}

# socat_echo OUT IN ADDRESS: sends file IN through socat ADDRESS, the reply
# to file OUT; bounded to 8 s. RC is socat's exit code.
socat_echo() {
    timeout 8 socat -t 3 -T 6 - "$3" <"$2" >"$1" 2>"$T/socat.err"
    RC=$?
}
