#!/bin/sh
# Writes libproxyproto as one stb-style header (include/single/proxyproto.h):
# include/proxyproto.h verbatim, then lib/ behind PROXYPROTO_IMPLEMENTATION.
#
#   tools/scripts/amalgamate.sh [--line] [-o FILE]      (default: standard output)
#
#   --line  put #line markers in, so that compiler messages and debuggers
#           point at include/ and lib/ (off by default: the committed file
#           is meant to be read, and copied on its own).
#
# `make single-header` runs it; `make check` fails when the committed file
# differs from what it writes. The output depends only on the files read,
# in the order below: no dates, no paths of this machine.
#
# What it does to lib/:
#  - .c files in the order of FILES. A file of lib/ missing from FILES (or
#    listed but gone) stops it: add new files there, in dependency order.
#  - #include "x.h" of a lib/ header is replaced by that header's text the
#    first time it is met (internal.h, crc32c_table.h, writer.h ...) and
#    dropped after; #include "proxyproto.h" is dropped (the API is above).
#    System includes stay where they are.
#  - Feature-test macros (#define _POSIX_C_SOURCE ..., with any #if around
#    them) found before a .c file's first #include are taken out of it and
#    put once at the very top of the header, where they can still act on
#    the system headers: see "Feature-test macros" in the header's comment.
#    Anything else before the first #include, or a _X macro after it, stops
#    the script.
#  - A file-scope static name defined in two files of lib/ stops it too:
#    they would clash in the one translation unit.
#  - Macros a .c file defines are #undef'd at its end, as they would be
#    gone after its own translation unit (PREFIX, TLV_MAX ...); a fallback
#    definition under #ifndef NAME is left alone (it may be the system's).
set -eu
LC_ALL=C
export LC_ALL
here=$(pwd)
cd "$(dirname "$0")/../.."

# Implementation order: results, CRC, parsing, TLVs, addresses, writing,
# the socket layer.
FILES='
errors.c
crc32c.c
parse_ip.c
tlv_check.c
parse_v1.c
parse_v2.c
parse.c
datagram.c
tlv.c
vendor.c
details.c
sockaddr.c
format_ip.c
format_addr.c
write_v1.c
write_v2.c
write.c
builder.c
from_sockaddr.c
cidr.c
reader.c
read_header.c
resolve.c
conn.c
'

lines=0
out=
while [ $# -gt 0 ]; do
    case $1 in
    --line) lines=1 ;;
    -o) [ $# -ge 2 ] || { echo "amalgamate: -o needs a file" >&2; exit 2; }
        case $2 in /*) out=$2 ;; *) out=$here/$2 ;; esac
        shift ;;
    *) echo "usage: tools/scripts/amalgamate.sh [--line] [-o FILE]" >&2; exit 2 ;;
    esac
    shift
done

fail() {
    echo "amalgamate: $*" >&2
    exit 1
}

# The list and lib/ must agree, both ways.
files=$(printf '%s\n' $FILES)
dup=$(printf '%s\n' "$files" | sort | uniq -d)
[ -z "$dup" ] || fail "listed twice in FILES of tools/scripts/amalgamate.sh: $dup"
for f in $files; do
    [ -f "lib/$f" ] || fail "lib/$f is listed in FILES of tools/scripts/amalgamate.sh but does not exist: remove it from the list"
done
for p in lib/*.c; do
    [ -f "$p" ] || continue
    printf '%s\n' "$files" | grep -qx "${p#lib/}" ||
        fail "$p is not in FILES of tools/scripts/amalgamate.sh: add it there (in dependency order), then run 'make single-header'"
done
headers=$(cd lib && ls *.h 2>/dev/null | tr '\n' ' ')
version=$(sed -n 's/^#define PROXYPROTO_VERSION_STRING "\(.*\)"$/\1/p' include/proxyproto.h)
[ -n "$version" ] || fail "no PROXYPROTO_VERSION_STRING in include/proxyproto.h"

if [ -n "$out" ]; then
    tmp="$out.tmp.$$"
    trap 'rm -f "$tmp"' EXIT
    exec 3>"$tmp"
else
    exec 3>&1
fi

awk -v files="$(echo $files)" -v headers="$headers" -v lines="$lines" \
    -v version="$version" '
function die(msg) {
    print "amalgamate: " msg > "/dev/stderr"
    failed = 1
    exit 1
}

# Text after "#" and blanks, or "" for a line that is no directive.
function directive(s) {
    if (s !~ /^[ \t]*#/)
        return ""
    sub(/^[ \t]*#[ \t]*/, "", s)
    return s
}

function keyword(d) {
    return match(d, /^[a-z]+/) ? substr(d, 1, RLENGTH) : ""
}

# Macro name of "define NAME..." / "undef NAME" / "ifndef NAME".
function macro(d) {
    sub(/^[a-z]+[ \t]+/, "", d)
    return match(d, /^[A-Za-z_][A-Za-z_0-9]*/) ? substr(d, 1, RLENGTH) : ""
}

# File name of #include "x", or "".
function local_include(s, d) {
    d = directive(s)
    if (d !~ /^include[ \t]*"/)
        return ""
    sub(/^include[ \t]*"/, "", d)
    sub(/".*/, "", d)
    return d
}

# Source lines go out through here: with --line, a marker whenever the
# next line is not the one after the last.
function put(s, path, n) {
    if (lines && (path != cur_path || n != cur_next))
        print "#line " n " \"" path "\""
    print s
    cur_path = path
    cur_next = n + 1
}

# Lines of our own (banners): the next source line needs a marker.
function say(s) {
    print s
    cur_path = ""
}

function banner(path) {
    say("")
    say("/* ---- " path " " substr("--------------------------------------------------------------------", 1, 66 - length(path)) " */")
}

# Pass 1: the feature-test prologue of a .c file (directives before its
# first #include), split into top-level units (a line, or an #if group).
function scan_prologue(path,    s, n, d, k, m, cont, depth, unit) {
    n = 0
    cont = 0
    depth = 0
    unit = ""
    while ((getline s < path) > 0) {
        n++
        if (cont) {
            hoisted[path, n] = 1
            unit = unit "\n" s
            cont = (s ~ /\\$/)
            continue
        }
        d = directive(s)
        if (d == "")
            continue
        k = keyword(d)
        if (k == "include")
            break
        if (k == "define" || k == "undef") {
            m = macro(d)
            if (m !~ /^_[A-Z]/)
                die(path ":" n ": only feature-test macros (_POSIX_C_SOURCE, _X_SOURCE ...) may come before the first #include: they are hoisted to the top of the single header")
        } else if (k == "if" || k == "ifdef" || k == "ifndef") {
            depth++
        } else if (k == "endif") {
            depth--
        } else if (k != "elif" && k != "else") {
            die(path ":" n ": #" k " before the first #include: only feature-test macros can be hoisted")
        }
        if (s ~ /\/\*/ && s !~ /\*\//)
            die(path ":" n ": a comment that goes on past its line cannot be hoisted")
        hoisted[path, n] = 1
        unit = unit (unit == "" ? "" : "\n") s
        cont = (s ~ /\\$/)
        if (depth == 0 && !cont) {
            if (!(unit in seen_unit)) {
                seen_unit[unit] = 1
                units[++nunits] = unit
            }
            unit = ""
        }
    }
    close(path)
    if (depth != 0 || unit != "")
        die(path ": unbalanced #if before the first #include")
}

# Pass 1 too: file-scope static names, which must differ from file to file
# now that the files share one translation unit. Declarations that start
# at column 0 and hold the word static (or a macro NAME_INLINE that
# stands for it); the name is the last identifier
# before ( [ = ; or, when the line has none, the first of the next line.
function scan_statics(path,    s, n, rest, name, pending) {
    n = 0
    pending = 0
    while ((getline s < path) > 0) {
        n++
        if (pending) {
            pending = 0
            if (match(s, /^[A-Za-z_][A-Za-z_0-9]*[ \t]*\(/)) {
                name = s
                sub(/[ \t]*\(.*/, "", name)
                static_name(path, n, name)
            }
            continue
        }
        if (s !~ /^[A-Za-z_]/ || !match(s, /(^|[ \t)])(static|[A-Z0-9_]*_INLINE)[ \t]/))
            continue
        rest = substr(s, RSTART + RLENGTH)
        if (!match(rest, /[(\[=;]/)) {
            pending = 1
            continue
        }
        name = substr(rest, 1, RSTART - 1)
        sub(/[ \t]+$/, "", name)
        if (match(name, /[A-Za-z_][A-Za-z_0-9]*$/))
            static_name(path, n, substr(name, RSTART))
    }
    close(path)
}

function static_name(path, n, name) {
    if ((name in static_at) && static_file[name] != path)
        die(path ":" n ": static " name " is also defined at " static_at[name] ": file-scope names must be unique across lib/, whose files share one translation unit in the single header: rename one (with a prefix of its file, say)")
    static_at[name] = path ":" n
    static_file[name] = path
}

function copy_api(path,    s, n) {
    n = 0
    while ((getline s < path) > 0)
        put(s, path, ++n)
    close(path)
}

# Pass 2: one file of lib/ with its local includes expanded. For a .c
# file (is_c), hoisted lines are skipped and its macros recorded.
function emit(path, is_c,    s, n, d, k, m, inc, cont, prev, ndefs, names, defined_, i) {
    banner(path)
    n = 0
    cont = 0
    prev = ""
    ndefs = 0
    while ((getline s < path) > 0) {
        n++
        if (is_c && ((path, n) in hoisted))
            continue
        if (!cont && (inc = local_include(s)) != "") {
            if (inc == "proxyproto.h")
                continue
            if (index(" " headers, " " inc " ") == 0)
                die(path ":" n ": #include \"" inc "\" is neither proxyproto.h nor a header of lib/")
            if (!(inc in done)) {
                done[inc] = 1
                emit("lib/" inc, 0)
                banner(path " (continued)")
            }
            continue
        }
        if (!cont && is_c && (d = directive(s)) != "") {
            k = keyword(d)
            m = macro(d)
            if (k == "define" && m ~ /^_[A-Z]/)
                die(path ":" n ": feature-test macro " m " after the first #include: it must come before every #include (the single header hoists it)")
            if (k == "define" && prev != "ifndef " m) {
                if (!(m in defined_))
                    names[++ndefs] = m
                defined_[m] = 1
            } else if (k == "undef" && (m in defined_)) {
                defined_[m] = 0
            }
            prev = k " " m
        } else if (!cont && s !~ /^[ \t]*$/ && s !~ /^[ \t]*\/?\*/) {
            prev = ""
        }
        put(s, path, n)
        cont = (s ~ /\\$/)
    }
    close(path)
    if (cont)
        die(path ": ends with a backslash")
    if (!is_c)
        return
    k = 0
    for (i = 1; i <= ndefs; i++) {
        if (defined_[names[i]]) {
            if (!k++)
                say("/* " path "'"'"'s macros end with it. */")
            say("#undef " names[i])
        }
    }
}

BEGIN {
    nfiles = split(files, file, " ")
    for (i = 1; i <= nfiles; i++) {
        scan_prologue("lib/" file[i])
        scan_statics("lib/" file[i])
    }
    if (failed)
        exit 1

    say("/*")
    say(" * libproxyproto " version " as a single header: HAProxy PROXY protocol")
    say(" * (v1 text, v2 binary) parser and serializer for C99.")
    say(" *")
    say(" * GENERATED by tools/scripts/amalgamate.sh from include/proxyproto.h and the files")
    say(" * of lib/ of libproxyproto; do not edit: change those and run")
    say(" * `make single-header`.")
    say(" *")
    say(" * Copy this one file into your project. In exactly one C file (.c, C99 or")
    say(" * later; the implementation is not C++) write")
    say(" *")
    say(" *     #define PROXYPROTO_IMPLEMENTATION")
    say(" *     #include \"proxyproto.h\"")
    say(" *")
    say(" * and include it without the define everywhere else (C or C++): the API is")
    say(" * that of the installed library, documented below.")
    say(" *")
    say(" * PROXYPROTO_STATIC: define it (with PROXYPROTO_IMPLEMENTATION) before the")
    say(" * include to make every function of the library static to that one file:")
    say(" * nothing is exported, so several copies (or a copy and the shared library)")
    say(" * can live in one program. Uncalled functions then draw no warning (GCC,")
    say(" * Clang). Functions and tables of the implementation have short static")
    say(" * names (fail, known, names ...): keep your own code out of the file that")
    say(" * holds the implementation, or use other names there.")
    say(" *")
    say(" * Feature-test macros: the implementation needs POSIX.1-2008 (sockets,")
    say(" * poll, clock_gettime), as lib/ defines _POSIX_C_SOURCE 200809L. In the")
    say(" * compilers'"'"' default GNU modes the C library declares all of it anyway.")
    say(" * In a strict mode (-std=c99, -std=c11 ...) with no feature-test macro of")
    say(" * yours, the lines just below define it, which works when this header comes")
    say(" * before every system header of the file with PROXYPROTO_IMPLEMENTATION (as")
    say(" * above); after <stdio.h> and the like it would come too late, and glibc")
    say(" * builds stop with an #error saying so: include this header first there, or")
    say(" * define _POSIX_C_SOURCE 200809L yourself (-D_POSIX_C_SOURCE=200809L). A")
    say(" * feature-test macro of yours is left as it is.")
    say(" */")
    say("#if defined(PROXYPROTO_IMPLEMENTATION) && !defined(__cplusplus) && \\")
    say("    defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && \\")
    say("    !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && \\")
    say("    !defined(_DEFAULT_SOURCE) && !defined(_BSD_SOURCE)")
    say("#if defined(__GLIBC__) /* a system header came first: too late */")
    say("#error \"libproxyproto: strict ISO C mode: include proxyproto.h with PROXYPROTO_IMPLEMENTATION before every system header, or define _POSIX_C_SOURCE 200809L\"")
    say("#endif")
    for (i = 1; i <= nunits; i++)
        say(units[i])
    say("#endif")
    say("")
    copy_api("include/proxyproto.h")

    say("")
    say("/* ========================================================================")
    say(" * Implementation (lib/), once per file that defines PROXYPROTO_IMPLEMENTATION")
    say(" * ======================================================================== */")
    say("#if defined(PROXYPROTO_IMPLEMENTATION) && !defined(PROXYPROTO__IMPLEMENTATION_)")
    say("#define PROXYPROTO__IMPLEMENTATION_")
    say("#ifdef __cplusplus")
    say("#error \"libproxyproto: compile PROXYPROTO_IMPLEMENTATION as C (C99 or later), in a .c file\"")
    say("#endif")
    for (i = 1; i <= nfiles; i++)
        emit("lib/" file[i], 1)
    say("")
    say("#endif /* PROXYPROTO_IMPLEMENTATION */")
}
' >&3

if [ -n "$out" ]; then
    exec 3>&-
    mv "$tmp" "$out"
    trap - EXIT
fi
