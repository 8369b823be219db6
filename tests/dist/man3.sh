#!/bin/sh
# The pages per function (tools/man/functions/, installed into man3 from
# BUILD_DIR/man/man3), so that `man proxyproto_parse` works for every
# function of the library:
#  - every function declared PROXYPROTO_API in include/proxyproto.h has a
#    page, and there is no page for a function the header does not declare;
#  - a page is either a page of its own or one line `.so man3/OTHER.3`
#    naming a page of its own (the page of its family);
#  - a page of its own has NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE,
#    EXAMPLES and SEE ALSO (pointing at proxyproto(3) and proxyproto(7)),
#    is groff -ww clean, fits in 80 columns, carries the version, and
#    names in NAME every function whose page links to it;
#  - each function declaration of a SYNOPSIS is the header's, word for
#    word (whitespace aside), and the SYNOPSIS declares the function of
#    every page that links there. (Macros and structs a SYNOPSIS shows
#    are not compared.)
# The EXAMPLES themselves are compiled and run by tests/dist/code_blocks.sh.
# Run by `make test-man3`:
#   sh tests/dist/man3.sh BUILD_DIR VERSION
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

man=$1/man
version=$2
work=$1/dist/man3
rm -rf "$work"
mkdir -p "$work"
log=$work/log

if ! command -v groff >/dev/null 2>&1; then
    not_ok "groff is not installed (tools/install-deps.sh installs it)"
    summary man3
    exit 1
fi

# One line per declaration: PROXYPROTO_API up to its ";", whitespace
# collapsed, no space inside parentheses.
normalise() {
    tr '\n' ' ' | sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/( /(/g' \
        -e 's/ )/)/g' -e 's/ ,/,/g' -e 's/ ;/;/g' -e 's/;/;\n/g' |
        sed -e 's/^ //' -e '/^$/d'
}
awk '/^PROXYPROTO_API / { on = 1 } on { print } on && /;/ { on = 0 }' include/proxyproto.h |
    sed 's/^PROXYPROTO_API //' | normalise >"$work/header.protos"
# The name each declaration declares (the word before its first "(").
name_of() { sed -n 's/^[^(]*[ *]\(proxyproto_[a-z0-9_]*\)(.*/\1/p'; }
name_of <"$work/header.protos" | sort >"$work/functions"
n_functions=$(wc -l <"$work/functions")
if [ "$n_functions" -lt 40 ]; then
    not_ok "only $n_functions PROXYPROTO_API declarations found in include/proxyproto.h"
    summary man3
    exit 1
fi

# Every function has a page, and every page is a function's.
(cd tools/man/functions && ls -- *.3) | sed 's/\.3$//' | sort >"$work/pages"
missing=$(comm -23 "$work/functions" "$work/pages" | tr '\n' ' ')
stale=$(comm -13 "$work/functions" "$work/pages" | tr '\n' ' ')
if [ -z "$missing" ]; then
    ok "each of the $n_functions functions of include/proxyproto.h has a page in tools/man/functions/"
else
    not_ok "no page in tools/man/functions/ for: $missing"
fi
if [ -z "$stale" ]; then
    ok "no page for a function the header does not declare"
else
    not_ok "pages for functions include/proxyproto.h does not declare: $stale"
fi
built() {
    for f in $(cat "$work/pages"); do
        [ -f "$man/man3/$f.3" ] || { echo "$man/man3/$f.3 not built"; return 1; }
    done
}
expect "every page is built into $man/man3/ (make man), which make install copies" built

# Which page each page is: its own, or the one its .so line names.
: >"$work/own"
: >"$work/links"
for f in $(cat "$work/pages"); do
    src=tools/man/functions/$f.3
    if grep -q '^\.so' "$src"; then
        target=$(sed -n 's|^\.so man3/\(proxyproto_[a-z0-9_]*\)\.3$|\1|p' "$src")
        if [ "$(wc -l <"$src")" -ne 1 ] || [ -z "$target" ]; then
            not_ok "$src: a link page is one line, .so man3/NAME.3"
        elif [ ! -f "tools/man/functions/$target.3" ] || grep -q '^\.so' "tools/man/functions/$target.3"; then
            not_ok "$src links to $target.3, which is not a page of its own"
        else
            echo "$f $target" >>"$work/links"
        fi
    else
        echo "$f $f" >>"$work/own"
    fi
done
n_own=$(wc -l <"$work/own")
n_links=$(wc -l <"$work/links")
ok "$n_own pages of their own, $n_links .so links to them"

# The page as a terminal shows it, 80 columns wide, without fonts.
render() { groff -man -Tascii -rLL=80n -P-cbou "$1" 2>&1; }
# section PAGE_TEXT TITLE: the lines of that section (headings start in
# column 0).
section() {
    awk -v t="$2" '/^[^ ]/ { on = ($0 == t); next } on' "$1"
}

while read -r f _; do
    page=$man/man3/$f.3
    text=$work/$f.txt
    render "$page" >"$text"
    lint() {
        out=$(groff -ww -z -man "$page" 2>&1) && [ -z "$out" ] || { echo "$out"; false; }
    }
    expect "$f.3: groff -ww -z -man prints nothing" lint
    narrow() {
        wide=$(awk 'length > 80' "$text")
        [ -z "$wide" ] || { echo "$wide"; false; }
    }
    expect "$f.3: every line fits in 80 columns" narrow
    expect "$f.3: carries the version $version" grep -q "^\.TH .*\"libproxyproto $version\"" "$page"
    sections() {
        for s in NAME SYNOPSIS DESCRIPTION 'RETURN VALUE' EXAMPLES 'SEE ALSO'; do
            grep -qx "$s" "$text" || { echo "no $s section"; return 1; }
        done
        section "$text" 'SEE ALSO' | grep -q 'proxyproto(3)' &&
            section "$text" 'SEE ALSO' | grep -q 'proxyproto(7)' ||
            { echo "SEE ALSO does not name proxyproto(3) and proxyproto(7)"; return 1; }
        section "$text" 'RETURN VALUE' | grep -q '[a-z]' ||
            { echo "RETURN VALUE is empty"; return 1; }
    }
    expect "$f.3: NAME, SYNOPSIS, DESCRIPTION, RETURN VALUE, EXAMPLES, SEE ALSO (proxyproto(3), proxyproto(7))" sections
    # Function declarations only: not the #define lines, nor the structs
    # a page may show.
    section "$text" SYNOPSIS | grep -v '^ *#' | normalise |
        grep '[a-z0-9_](' >"$work/$f.protos"
    # No prototype of a function the header does not have, or not as the
    # header has it.
    foreign() {
        bad=0
        while read -r p; do
            grep -qxF -- "$p" "$work/header.protos" || { echo "not in include/proxyproto.h: $p"; bad=1; }
        done <"$work/$f.protos"
        [ -s "$work/$f.protos" ] || { echo "no prototype in SYNOPSIS"; bad=1; }
        [ "$bad" -eq 0 ]
    }
    expect "$f.3: every SYNOPSIS prototype is a declaration of include/proxyproto.h, as written there" foreign
done <"$work/own"

# Each function is in the NAME and the SYNOPSIS of the page it opens.
cat "$work/own" "$work/links" | sort | while read -r f target; do
    covered() {
        section "$work/$target.txt" NAME | tr ',' ' ' | grep -qw -- "$f" ||
            { echo "$target.3: NAME does not list $f"; return 1; }
        proto=$(grep -E "^[^(]*[ *]$f\(" "$work/header.protos")
        grep -qxF -- "$proto" "$work/$target.protos" ||
            { echo "$target.3: SYNOPSIS lacks: $proto"; return 1; }
    }
    if [ "$f" = "$target" ]; then
        expect "man $f: NAME and the header's prototype" covered
    else
        expect "man $f (-> $target.3): NAME and the header's prototype" covered
    fi
done >"$work/covered.out"
cat "$work/covered.out"
passed=$((passed + $(grep -c '^ok' "$work/covered.out")))
failed=$((failed + $(grep -c '^FAIL' "$work/covered.out")))

summary man3
