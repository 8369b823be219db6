#!/bin/sh
# One version everywhere: the header's macros and PROXYPROTO_VERSION_STRING,
# proxyproto_version() of the static library, the shared library and the
# single header, the shared library's file name and soname, proxyproto.pc,
# the CLI and the single header's banner. Run by `make test-version`:
#   sh tests/dist/version.sh BUILD_DIR VERSION   (VERSION: as the Makefile read it)
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

build=$1
version=$2
major=${version%%.*}
CC=${CC:-cc}
LDFLAGS=${LDFLAGS:-}
b=$build/dist/version
rm -rf "$b"
mkdir -p "$b"
log=$b/log
lib=$build/lib

static() {
    $CC -std=c99 -Iinclude $LDFLAGS -o "$b/static" tests/dist/version.c "$lib/libproxyproto.a" &&
        "$b/static" "$version"
}
expect "macros = PROXYPROTO_VERSION_STRING = proxyproto_version() = Makefile's $version (static library)" static
shared() {
    $CC -std=c99 -Iinclude $LDFLAGS -o "$b/shared" tests/dist/version.c -L"$lib" -lproxyproto &&
        readelf -d "$b/shared" | grep -q "NEEDED.*\[libproxyproto\.so\.$major\]" &&
        LD_LIBRARY_PATH=$lib "$b/shared" "$version"
}
expect "the same through the shared library (NEEDED libproxyproto.so.$major)" shared
single() {
    $CC -std=c99 -Iinclude -c tests/dist/single_impl.c -o "$b/single_impl.o" &&
        $CC -std=c99 -Iinclude/single -o "$b/single" tests/dist/version.c "$b/single_impl.o" &&
        "$b/single" "$version"
}
expect "the same through the single header" single
soname() {
    [ -f "$lib/libproxyproto.so.$version" ] &&
        readelf -d "$lib/libproxyproto.so.$version" | grep "SONAME" | tee /dev/stderr |
        grep -q "\[libproxyproto\.so\.$major\]"
}
expect "libproxyproto.so.$version has soname libproxyproto.so.$major" soname
expect "proxyproto.pc says Version: $version" grep -qx "Version: $version" "$build/proxyproto.pc"
cli() {
    out=$("$build/bin/proxyproto" --version) && echo "$out" && [ "$out" = "proxyproto $version" ]
}
expect "proxyproto --version says $version" cli
expect "include/single/proxyproto.h is of version $version" \
    grep -q "^ \* libproxyproto $version as a single header" include/single/proxyproto.h

summary version
