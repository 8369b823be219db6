#!/bin/sh
# Every C code block a user reads compiles as shown:
#  - README.md: each ```c block;
#  - the section-3 man pages (BUILD_DIR/man/proxyproto.3 and
#    BUILD_DIR/man/man3/*.3, as installed): each .EX/.EE block, taken from
#    the page as groff renders it (what `man` shows, escapes resolved).
#    A block that is not C (a shell command) says so with the comment line
#    `.\" not C` right before its .EX; no other block is skipped.
# Each block is one translation unit, compiled with
#   $CC -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude
# and nothing else (a block that needs _POSIX_C_SOURCE defines it). A block
# with main() is linked with the static library and run: it must exit 0, by
# itself, within 20 s, and under valgrind --error-exitcode=1
# --leak-check=full when valgrind is installed (VALGRIND=no skips it; so do
# sanitizer builds). A block without main() is linked with an empty main(),
# so that every library function it calls must exist. A block that defines
# PROXYPROTO_IMPLEMENTATION is compiled against the single header
# include/single/ instead, as a user copying that header does.
# Run by `make test-code-blocks`:
#   CC=cc sh tests/dist/code_blocks.sh BUILD_DIR STATIC_LIB
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

man=$1/man
lib=$2
CC=${CC:-cc}
LDFLAGS=${LDFLAGS:-}
work=$1/dist/code_blocks
rm -rf "$work"
mkdir -p "$work"
log=$work/log
CFLAGS_BLOCK="-std=c99 -Wall -Wextra -Wpedantic -Werror -g"
# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 that clang writes by
# default (in the library's objects too): programs built by clang are
# linked without debug information, so valgrind still runs them.
if $CC --version 2>/dev/null | grep -q clang; then
    LDFLAGS="$LDFLAGS -Wl,--strip-debug"
fi

valgrind=
case " $LDFLAGS " in
*sanitize*) skip "valgrind: the library is built with sanitizers (LDFLAGS=$LDFLAGS); programs run without it" ;;
*)
    if [ "${VALGRIND:-}" = no ]; then
        skip "valgrind: VALGRIND=no; programs run without it"
    elif command -v valgrind >/dev/null 2>&1; then
        valgrind="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all"
    else
        skip "valgrind is not installed: programs run without it (tools/install-deps.sh installs it)"
    fi
    ;;
esac

# README.md: block N of README.md into $work/readme-N.c.
awk -v dir="$work" '
    /^```c$/ { n++; on = 1; out = sprintf("%s/readme-%d.c", dir, n); printf "" > out; next }
    /^```/ { if (on) close(out); on = 0; next }
    on { print > out }' README.md

# A man page: each .EX block between two marker lines, rendered by groff
# as `man` does (wide enough that no line is broken), then cut out with
# the markers' indentation removed.
n_pages=0
for page in "$man/proxyproto.3" "$man"/man3/*.3; do
    [ -f "$page" ] || continue
    grep -q '^\.so' "$page" && continue
    n_pages=$((n_pages + 1))
    base=$(basename "$page" .3)
    awk '
        /^\.EX/ { print; print (skip ? "@@NOT-C@@" : "@@BLOCK@@"); skip = 0; next }
        /^\.EE/ { print "@@END@@" }
        { skip = ($0 == ".\\\" not C") }
        { print }' "$page" >"$work/$base.marked"
    groff -man -Tutf8 -rLL=250n -P-cbou "$work/$base.marked" 2>"$work/$base.groff-errors" |
        awk -v dir="$work" -v base="$base" '
            /@@BLOCK@@$/ { n++; ind = index($0, "@@") - 1; out = sprintf("%s/man-%s-%d.c", dir, base, n); printf "" > out; on = 1; next }
            /@@NOT-C@@$/ { notc++; on = 0; next }
            /@@END@@$/ { if (on) close(out); on = 0; next }
            on { print substr($0, ind + 1) > out }'
done

compile_block() { # FILE
    c=$1
    exe=${c%.c}
    if grep -q PROXYPROTO_IMPLEMENTATION "$c"; then
        $CC $CFLAGS_BLOCK -Iinclude/single -c "$c" -o "$exe.o"
    elif grep -qE '^int main\(' "$c"; then
        $CC $CFLAGS_BLOCK -Iinclude $LDFLAGS "$c" "$lib" -o "$exe"
    else
        $CC $CFLAGS_BLOCK -Iinclude -c "$c" -o "$exe.o" &&
            $CC $LDFLAGS "$exe.o" "$work/stub/main.c" "$lib" -o "$exe"
    fi
}
run_block() { # EXE
    timeout 20 $valgrind "$1"
}

mkdir -p "$work/stub"
printf 'int main(void) { return 0; }\n' >"$work/stub/main.c"
n_blocks=0
n_run=0
for c in "$work"/readme-*.c "$work"/man-*.c; do
    [ -f "$c" ] || continue
    n_blocks=$((n_blocks + 1))
    name=$(basename "$c" .c)
    case $name in
    readme-*) where="README.md block ${name#readme-}" ;;
    man-*) p=${name#man-}; where="${p%-*}(3) block ${p##*-}" ;;
    esac
    expect "$where compiles with -std=c99 -Wall -Wextra -Wpedantic -Werror" compile_block "$c"
    if grep -qE '^int main\(' "$c" && [ -x "${c%.c}" ]; then
        n_run=$((n_run + 1))
        expect "$where runs and exits 0${valgrind:+ under valgrind}" run_block "${c%.c}"
    fi
done

# What a silent extraction would hide.
counted() {
    readme=$(grep -c '^```c$' README.md)
    found=$(ls "$work" | grep -c '^readme-.*\.c$')
    echo "README.md: $readme \`\`\`c blocks, $found extracted"
    [ "$readme" -ge 1 ] && [ "$readme" -eq "$found" ] || return 1
    ex=$(cat "$man/proxyproto.3" $(grep -L '^\.so' "$man"/man3/*.3) | grep -c '^\.EX')
    notc=$(cat "$man/proxyproto.3" $(grep -L '^\.so' "$man"/man3/*.3) | grep -c '^\.\\" not C$')
    found=$(ls "$work" | grep -c '^man-.*\.c$')
    echo "man pages: $ex .EX blocks, $notc marked not C, $found extracted"
    [ "$found" -ge 1 ] && [ $((ex - notc)) -eq "$found" ]
}
expect "every block found: README.md's \`\`\`c blocks and the .EX blocks of $n_pages man pages" counted
groff_quiet() {
    out=$(cat "$work"/*.groff-errors)
    [ -z "$out" ] || { echo "$out"; false; }
}
expect "groff rendered the marked pages without a warning" groff_quiet
echo "code blocks: $n_blocks compiled, $n_run of them programs run"

summary code_blocks
