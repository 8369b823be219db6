#!/bin/sh
# The preloads' man pages cannot drift from their code: the ENVIRONMENT
# section of each page (its .TP tags) names exactly the PROXYPROTO_*
# variables the library reads (a string literal passed to getenv, pp_env
# or one of the settings parsers in its settings.c), no fewer and no more;
# and README's table of settings for it names the same. Run by
# `make test-man`:
#   sh tests/dist/man_env.sh
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

log=${TMPDIR:-/tmp}/man_env.$$.log
trap 'rm -f "$log" "$log".*' EXIT

# Variables a settings.c reads, one a line, sorted.
code_vars() {
    grep -hoE '(getenv|pp_env|parse_override|parse_text|parse_list)\("PROXYPROTO_[A-Z0-9_]+"' "$@" |
        sed 's/.*"\(PROXYPROTO_[A-Z0-9_]*\)"/\1/' | sort -u
}

# Variables the page's ENVIRONMENT section has a .TP entry for: the line
# after each .TP, up to the '=' (font escapes and \- removed).
page_vars() {
    sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' |
        awk 'prev == ".TP" { print } { prev = $0 }' |
        grep -oE 'PROXYPROTO_[A-Z0-9_]+' | sort -u
}

# Variables in the first column of README's table under the section
# heading SECTION (the first table after it).
readme_vars() {
    awk -v h="$1" '$0 == h { on = 1; next } on && /^## / { exit }
        on && /^\|/ { t = 1; print; next } on && t { exit }' README.md |
        awk -F'|' '{ print $2 }' | grep -oE 'PROXYPROTO_[A-Z0-9_]+' | sort -u
}

# same NAME A B: the two lists are equal; the difference is shown.
same() {
    printf '%s\n' "$2" >"$log.a"
    printf '%s\n' "$3" >"$log.b"
    if [ -z "$2" ]; then
        not_ok "$1: no variables found in the code (did settings.c change shape?)"
    elif diff -u "$log.a" "$log.b" >"$log.d"; then
        ok "$1 ($(printf '%s\n' "$2" | wc -l | tr -d ' ') variables)"
    else
        not_ok "$1: '-' read by the code only, '+' documented only:"
        sed -n 's/^\([-+][^-+]\)/    \1/p' "$log.d"
    fi
}

for lib in preload connect; do
    page=tools/man/libproxyproto-$lib.8
    code=$(code_vars tools/$lib/settings.c)
    same "libproxyproto-$lib.8: ENVIRONMENT names exactly what tools/$lib/settings.c reads" \
        "$code" "$(page_vars "$page")"
done
same "README (preload section's table) names exactly what tools/preload/settings.c reads" \
    "$(code_vars tools/preload/settings.c)" \
    "$(readme_vars '## Unmodified servers: the preload library')"
same "README (connect preload section's table) names exactly what tools/connect/settings.c reads" \
    "$(code_vars tools/connect/settings.c)" \
    "$(readme_vars '## Unmodified clients: the connect preload')"

summary man_env
