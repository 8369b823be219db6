#!/bin/sh
# The man pages (tools/man/, as `make install` installs them from BUILD_DIR/man):
# lint-clean for groff, and complete: proxyproto(3) names every function
# and result code of include/proxyproto.h, proxyproto(1) every command and
# option the CLI's help shows, proxyproto(7) every PROXYPROTO_ERR_V1_* and
# PROXYPROTO_ERR_V2_* code (each beside the rule it enforces); proxyproto(3)
# and (7) within 80 columns; libproxyproto-preload(8) and -connect(8) too
# (their settings: tests/dist/man_env.sh). Run by `make test-man`:
#   sh tests/dist/man.sh BUILD_DIR VERSION CLI
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

man=$1/man
version=$2
cli=$3
mkdir -p "$1/dist"
log=$1/dist/man.log

if ! command -v groff >/dev/null 2>&1; then
    not_ok "groff is not installed (tools/scripts/install-deps.sh installs it)"
    summary man
    exit 1
fi

for page in proxyproto.1 proxyproto-mmproxy.1 proxyproto.3 proxyproto.7 \
    libproxyproto-preload.8 libproxyproto-connect.8; do
    lint() {
        out=$(groff -ww -z -man "$man/$page" 2>&1) && [ -z "$out" ] || { echo "$out"; false; }
    }
    expect "$page: groff -ww -z -man prints nothing" lint
    expect "$page: carries the version $version" grep -q "^\.TH .*\"libproxyproto $version\"" "$man/$page"
done

# proxyproto(3) and (7) are read in a terminal: 80 columns. (The pages of
# the functions are checked by tests/dist/man3.sh.)
narrow() {
    wide=$(groff -man -Tascii -rLL=80n -P-cbou "$man/$page" | awk 'length > 80')
    [ -z "$wide" ] || { echo "$wide"; false; }
}
for page in proxyproto-mmproxy.1 proxyproto.3 proxyproto.7 libproxyproto-preload.8 \
    libproxyproto-connect.8; do
    expect "$page: every line fits in 80 columns (groff -rLL=80n)" narrow
done

# Man source as text: \- is -, no font or no-hyphenation escapes.
text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' "$man/$1"
}
# missing PAGE WORD...: the words the page does not name.
missing() {
    page=$1
    shift
    text "$page" >"$log.text"
    for w in "$@"; do
        grep -qE -- "(^|[^A-Za-z0-9_-])$w([^A-Za-z0-9_-]|\$)" "$log.text" || echo "$w"
    done
}
complete() { # PAGE WHAT WORD...
    page=$1
    what=$2
    shift 2
    gaps=$(missing "$page" "$@" | tr '\n' ' ')
    if [ -z "$gaps" ]; then
        ok "$page names every $what ($# of them)"
    else
        not_ok "$page does not name these ${what}s: $gaps(add them to tools/man/$page)"
    fi
}

functions=$(sed -n 's/^PROXYPROTO_API [^(]*[ *]\(proxyproto_[a-z0-9_]*\)(.*/\1/p' include/proxyproto.h | sort -u)
codes=$(sed -n 's/^ *X(\([A-Z0-9_]*\), -*[0-9]*, .*/PROXYPROTO_\1/p' include/proxyproto.h)
[ -n "$functions" ] && [ -n "$codes" ] || not_ok "no functions or result codes found in include/proxyproto.h"
complete proxyproto.3 function $functions
complete proxyproto.3 "result code" $codes
# The protocol's rules: every code a broken v1 or v2 rule returns.
rule_codes=$(printf '%s\n' $codes | grep -E '^PROXYPROTO_ERR_V[12]_')
[ -n "$rule_codes" ] || not_ok "no PROXYPROTO_ERR_V1_* / _V2_* codes found in include/proxyproto.h"
complete proxyproto.7 "rule's result code" $rule_codes

commands=$("$cli" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
options=$( ("$cli" --help; for c in $commands; do "$cli" "$c" --help; done) |
    grep -oE -- "(^|[ ,[(])--?[A-Za-z0-9][A-Za-z0-9-]*" | sed 's/^[ ,[(]//' | sort -u)
[ -n "$commands" ] && [ -n "$options" ] || not_ok "no commands or options found in $cli --help"
complete proxyproto.1 command $commands
complete proxyproto.1 option $options

summary man
