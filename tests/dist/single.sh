#!/bin/sh
# The single header (include/single/proxyproto.h) built the ways a user
# builds it. Run by `make test-single-header-builds`:
#   sh tests/dist/single.sh BUILD_DIR STATIC_LIB
# with CC and CXX in the environment (the Makefile's compilers).
#  - the implementation compiles as C99, C11 and C17 with -Wall -Wextra
#    -Werror -pedantic (and -Wshadow -Wstrict-prototypes);
#  - a program in another translation unit, as C99, C11, C++11 and C++17,
#    links with it and works (tests/dist/smoke.c);
#  - two PROXYPROTO_STATIC copies and libproxyproto.a link into one program
#    and export nothing;
#  - included after <stdio.h>; included twice; C++ with the implementation
#    refused with a message; --line markers; a lib/ file missing from the
#    script's list, or a static name in two lib/ files, stops it; the
#    script's output is the same every time.
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

b=$1/dist/single
lib=$2
CC=${CC:-cc}
CXX=${CXX:-c++}
LDFLAGS=${LDFLAGS:-} # for programs that link libproxyproto.a
W="-Wall -Wextra -Werror -pedantic"
WC="$W -Wshadow -Wstrict-prototypes"
I="-Iinclude/single -Itests/dist"
rm -rf "$b"
mkdir -p "$b"
log=$b/log

for std in c99 c11 c17; do
    expect "implementation compiles: $CC -std=$std $WC" \
        $CC -std=$std $WC -O2 -Iinclude -c tests/dist/single_impl.c -o "$b/impl-$std.o"
done
impl=$b/impl-c99.o

# One program, four languages, the implementation in its own C object.
run_smoke() { # LABEL OBJECT-COMPILER... : compile smoke.c, link, run
    label=$1
    shift
    "$@" -c tests/dist/smoke.c -o "$b/smoke-$label.o" &&
        $link -o "$b/smoke-$label" "$b/smoke-$label.o" "$impl" &&
        "$b/smoke-$label"
}
link=$CC
for std in c99 c11; do
    expect "two C translation units ($std): smoke.c + the implementation" \
        run_smoke "$std" $CC -std=$std $WC $I
done
link=$CXX
for std in c++11 c++17; do
    expect "C++ translation unit ($CXX -std=$std $W): smoke.c + the C implementation" \
        run_smoke "$std" $CXX -std=$std $W $I -x c++
done

# Two private copies next to the real library.
static_copies() {
    $CC -std=c99 $WC -O2 $I -DCOPY=1 -c tests/dist/static_copy.c -o "$b/copy1.o" &&
        $CC -std=c11 $WC -O2 $I -DCOPY=2 -c tests/dist/static_copy.c -o "$b/copy2.o" &&
        $CC -std=c99 $WC $I -Iinclude -c tests/dist/static_main.c -o "$b/static_main.o" &&
        $CC $LDFLAGS -o "$b/static_main" "$b/static_main.o" "$b/copy1.o" "$b/copy2.o" "$lib" &&
        "$b/static_main"
}
expect "two PROXYPROTO_STATIC copies and libproxyproto.a in one program" static_copies
exported() {
    globals=$(nm -g --defined-only "$b/copy1.o" "$b/copy2.o" | awk 'NF == 3 { print $3 }' | sort | tr '\n' ' ')
    echo "globals: $globals"
    [ "$globals" = "copy1_parse copy1_parse_fn copy2_parse copy2_parse_fn " ]
}
expect "a PROXYPROTO_STATIC copy defines no global symbol of the library" exported

# After system headers and user code.
after() { # FLAGS...
    $CC $W "$@" $I -o "$b/after" tests/dist/impl_after_stdio.c && "$b/after"
}
expect "implementation after <stdio.h>, -std=gnu99" after -std=gnu99
expect "implementation after <stdio.h>, -std=gnu11" after -std=gnu11
expect "implementation after <stdio.h>, compiler default mode" after
expect "implementation after <stdio.h>, -std=c99 -D_POSIX_C_SOURCE=200809L" \
    after -std=c99 -D_POSIX_C_SOURCE=200809L
expect "implementation after <stdio.h>, -std=c11 -D_XOPEN_SOURCE=700" \
    after -std=c11 -D_XOPEN_SOURCE=700
if printf '#include <stdio.h>\n#ifndef __GLIBC__\n#error not glibc\n#endif\n' |
    $CC -E -x c - >/dev/null 2>&1; then
    expect_fail "implementation after <stdio.h>, -std=c99: stops with a message" \
        "define _POSIX_C_SOURCE 200809L" after -std=c99
else
    skip "implementation after <stdio.h>, -std=c99 (not glibc)"
fi
twice() {
    $CC -std=c99 $WC $I -o "$b/twice" tests/dist/impl_twice.c && "$b/twice"
}
expect "included twice with PROXYPROTO_IMPLEMENTATION: one implementation" twice
expect_fail "C++ with PROXYPROTO_IMPLEMENTATION: stops with a message" \
    "compile PROXYPROTO_IMPLEMENTATION as C" \
    $CXX -std=c++17 $W -Iinclude -x c++ -c tests/dist/single_impl.c -o "$b/impl-cxx.o"

# The generator.
lines() {
    sh tools/scripts/amalgamate.sh --line -o "$b/lines/single/proxyproto.h" &&
        grep -q '^#line 1 "lib/errors.c"' "$b/lines/single/proxyproto.h" &&
        ! grep -q '^#line' include/single/proxyproto.h &&
        $CC -std=c99 $WC -I"$b/lines" -c tests/dist/single_impl.c -o "$b/impl-lines.o"
}
mkdir -p "$b/lines/single"
expect "tools/scripts/amalgamate.sh --line: markers, and it compiles" lines
same() {
    sh tools/scripts/amalgamate.sh -o "$b/one.h" && sh tools/scripts/amalgamate.sh >"$b/two.h" &&
        cmp "$b/one.h" "$b/two.h"
}
expect "tools/scripts/amalgamate.sh writes the same bytes every time" same
# The generator's guards, on a tree of its own: include/, and every file of
# lib/ present but empty, plus the one fault under test.
stub_tree() {
    rm -rf "$b/tree" && mkdir -p "$b/tree/tools/scripts" "$b/tree/lib" "$b/tree/include" &&
        cp include/proxyproto.h "$b/tree/include/" &&
        cp tools/scripts/amalgamate.sh "$b/tree/tools/scripts/" &&
        for f in lib/*.c lib/*.h; do : >"$b/tree/$f" || return 1; done &&
        sh "$b/tree/tools/scripts/amalgamate.sh" -o "$b/tree/out.h"
}
expect "tools/scripts/amalgamate.sh on a stub tree (what the next checks start from)" stub_tree
unlisted() {
    stub_tree && echo 'int proxyproto__new(void);' >"$b/tree/lib/zz_new.c" &&
        sh "$b/tree/tools/scripts/amalgamate.sh" -o "$b/tree/out.h"
}
expect_fail "tools/scripts/amalgamate.sh stops on a lib/ file missing from its list" \
    "lib/zz_new.c is not in FILES" unlisted
clash() { # the same file-scope static name in two files of lib/
    stub_tree &&
        printf 'static int proxyproto_test_clash(void)\n{\n    return 0;\n}\n' |
        tee "$b/tree/lib/tlv.c" >"$b/tree/lib/vendor.c" &&
        sh "$b/tree/tools/scripts/amalgamate.sh" -o "$b/tree/out.h"
}
expect_fail "tools/scripts/amalgamate.sh stops on a static name defined in two lib/ files" \
    "static proxyproto_test_clash is also defined at lib/tlv.c" clash
late_feature() { # a feature-test macro after an #include cannot be hoisted
    stub_tree && printf '#include "internal.h"\n#define _GNU_SOURCE\n' >"$b/tree/lib/tlv.c" &&
        sh "$b/tree/tools/scripts/amalgamate.sh" -o "$b/tree/out.h"
}
expect_fail "tools/scripts/amalgamate.sh stops on a feature-test macro after an #include" \
    "feature-test macro _GNU_SOURCE after the first #include" late_feature
hoisted() { # feature-test macros go to the top, once; local macros are undone
    stub_tree &&
        printf '#define _POSIX_C_SOURCE 200809L\n#include "internal.h"\n#define LOCAL_MACRO 1\n' |
        tee "$b/tree/lib/tlv.c" >"$b/tree/lib/vendor.c" &&
        sh "$b/tree/tools/scripts/amalgamate.sh" -o "$b/tree/out.h" &&
        [ "$(grep -c '^#define _POSIX_C_SOURCE 200809L$' "$b/tree/out.h")" = 1 ] &&
        [ "$(grep -c '^#undef LOCAL_MACRO$' "$b/tree/out.h")" = 2 ] &&
        awk '/^#define _POSIX_C_SOURCE/ { p = NR } /^#include <stdint.h>/ && !i { i = NR }
             END { exit !(p && i && p < i) }' "$b/tree/out.h"
}
expect "tools/scripts/amalgamate.sh hoists feature-test macros above every #include, #undefs file macros" hoisted

summary single-header
