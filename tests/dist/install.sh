#!/bin/sh
# `make install` into a temporary DESTDIR, the installed library used as a
# user uses it, then `make uninstall`. Run by `make test-install`:
#   MAKE=make CC=cc CXX=c++ sh tests/dist/install.sh BUILD_DIR VERSION
#  - install lays down exactly the expected files (not the single header),
#    over other packages' files, and may run again over itself;
#  - the .so has its soname and links; proxyproto.pc is relocatable;
#  - a program built with nothing but `pkg-config --cflags --libs proxyproto`
#    links the shared library (NEEDED libproxyproto.so.MAJOR, found in the
#    DESTDIR by ldd) and runs; with --static it needs no libproxyproto.so;
#  - the installed CLI and man pages are of this version, and `man NAME`
#    finds the page of every function;
#  - find_package(proxyproto) works in a CMake project (when cmake is here);
#  - uninstall leaves exactly the files that were there before install.
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

case $1 in /*) build=$1 ;; *) build=$(pwd)/$1 ;; esac
version=$2
major=${version%%.*}
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}
LDFLAGS=${LDFLAGS:-} # the library may have been built with SANITIZE=...
work=$build/dist/install
dest=$work/root
prefix=/opt/proxyproto
# Debian's layout, lib/x86_64-linux-gnu, where the compiler has one (two
# levels down: the CMake files must climb back up; find_package looks there).
triplet=$($CC -print-multiarch 2>/dev/null) || triplet=
libdir=$prefix/lib${triplet:+/$triplet}
L=$dest$libdir
rm -rf "$work"
mkdir -p "$dest"
log=$work/log

# Other packages' files, which uninstall must leave alone.
mkdir -p "$dest$prefix/include" "$L/cmake/other" "$L/pkgconfig" \
    "$dest$prefix/share/man/man3" "$dest$prefix/bin"
for f in "$dest$prefix/include/other.h" "$L/libother.a" \
    "$L/cmake/other/otherConfig.cmake" "$L/pkgconfig/other.pc" \
    "$dest$prefix/share/man/man3/other.3" "$dest$prefix/bin/other"; do
    echo other >"$f"
done
listing() { (cd "$dest" && find . ! -type d | sort); }
listing >"$work/before"

install_it() {
    $MAKE install DESTDIR="$dest" PREFIX="$prefix" LIBDIR="$libdir"
}
expect "make install DESTDIR=... PREFIX=$prefix LIBDIR=$libdir" install_it
listing >"$work/after"
cat >"$work/expected" <<END
.$prefix/bin/proxyproto
.$prefix/bin/proxyproto-mmproxy
.$prefix/include/proxyproto.h
.$libdir/cmake/proxyproto/proxyprotoConfig.cmake
.$libdir/cmake/proxyproto/proxyprotoConfigVersion.cmake
.$libdir/libproxyproto.a
.$libdir/libproxyproto.so
.$libdir/libproxyproto.so.$major
.$libdir/libproxyproto.so.$version
.$libdir/pkgconfig/proxyproto.pc
.$prefix/share/man/man1/proxyproto.1
.$prefix/share/man/man1/proxyproto-mmproxy.1
.$prefix/share/man/man3/proxyproto.3
.$prefix/share/man/man7/proxyproto.7
.$prefix/share/man/man8/libproxyproto-connect.8
.$prefix/share/man/man8/libproxyproto-preload.8
END
# The pages of the functions (tests/dist/man3.sh checks there is one each).
for f in tools/man/functions/*.3; do
    echo ".$prefix/share/man/man3/${f##*/}"
done >>"$work/expected"
sort -o "$work/expected" "$work/expected"
laid() { comm -13 "$work/before" "$work/after" | diff -u "$work/expected" -; }
expect "install lays down exactly the header, both libraries and links, .pc, CLI, man pages, CMake files" laid

links() {
    [ -L "$L/libproxyproto.so.$major" ] && [ -L "$L/libproxyproto.so" ] &&
        [ "$(readlink "$L/libproxyproto.so.$major")" = "libproxyproto.so.$version" ] &&
        [ "$(readlink "$L/libproxyproto.so")" = "libproxyproto.so.$major" ] &&
        readelf -d "$L/libproxyproto.so.$version" | grep SONAME |
        grep -q "\[libproxyproto\.so\.$major\]"
}
expect "libproxyproto.so -> .so.$major -> .so.$version, soname libproxyproto.so.$major" links
relocatable() {
    cat "$L/pkgconfig/proxyproto.pc" &&
        grep -qx "prefix=$prefix" "$L/pkgconfig/proxyproto.pc" &&
        grep -qx "libdir=\${prefix}${libdir#$prefix}" "$L/pkgconfig/proxyproto.pc" &&
        grep -qx 'includedir=${prefix}/include' "$L/pkgconfig/proxyproto.pc" &&
        ! grep -q "$dest" "$L/pkgconfig/proxyproto.pc" "$L"/cmake/proxyproto/*
}
expect "proxyproto.pc is relocatable (paths under \${prefix}); no DESTDIR in any file" relocatable

# pkg-config sees only this tree, relocated into the DESTDIR.
pc() { PKG_CONFIG_LIBDIR=$L/pkgconfig PKG_CONFIG_PATH= pkg-config --define-variable=prefix="$dest$prefix" "$@"; }
flags() {
    v=$(pc --modversion proxyproto) && c=$(echo $(pc --cflags proxyproto)) &&
        l=$(echo $(pc --libs proxyproto)) && echo "$v | $c | $l" &&
        [ "$v" = "$version" ] && [ "$c" = "-I$dest$prefix/include" ] &&
        [ "$l" = "-L$L -lproxyproto" ] &&
        s=$(echo $(PKG_CONFIG_LIBDIR=$L/pkgconfig PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR=$dest \
            pkg-config --cflags --libs proxyproto)) && echo "sysroot: $s" &&
        [ "$s" = "$c $l" ]
}
expect "pkg-config: version $version, flags into the DESTDIR (--define-variable=prefix and PKG_CONFIG_SYSROOT_DIR)" flags

shared() {
    $CC -std=c99 $LDFLAGS -o "$work/app-shared" tests/dist/smoke.c $(pc --cflags --libs proxyproto) &&
        readelf -d "$work/app-shared" | grep -q "NEEDED.*\[libproxyproto\.so\.$major\]" &&
        LD_LIBRARY_PATH=$L ldd "$work/app-shared" | tee /dev/stderr |
        grep -q "libproxyproto\.so\.$major => $L/libproxyproto\.so\.$major" &&
        LD_LIBRARY_PATH=$L "$work/app-shared"
}
expect "cc app.c \$(pkg-config --cflags --libs proxyproto): links libproxyproto.so.$major, runs" shared
cxx() {
    $CXX -std=c++11 $LDFLAGS -x c++ -o "$work/app-cxx" tests/dist/smoke.c $(pc --cflags --libs proxyproto) &&
        LD_LIBRARY_PATH=$L "$work/app-cxx"
}
expect "the same as C++11 against the installed header" cxx
static() {
    $CC -std=c99 $LDFLAGS -o "$work/app-static" tests/dist/smoke.c $(pc --cflags proxyproto) \
        -Wl,-Bstatic $(pc --static --libs proxyproto) -Wl,-Bdynamic &&
        ! readelf -d "$work/app-static" | grep -q "NEEDED.*libproxyproto" &&
        "$work/app-static"
}
expect "with pkg-config --static: libproxyproto.a linked in, no libproxyproto.so needed, runs" static

cli() {
    out=$("$dest$prefix/bin/proxyproto" --version) && echo "$out" &&
        [ "$out" = "proxyproto $version" ]
}
expect "installed proxyproto --version says $version" cli
man_pages() {
    grep -q "libproxyproto $version" "$dest$prefix/share/man/man1/proxyproto.1" &&
        grep -q "libproxyproto $version" "$dest$prefix/share/man/man3/proxyproto.3" &&
        grep -q "libproxyproto $version" "$dest$prefix/share/man/man7/proxyproto.7"
}
expect "installed man pages proxyproto(1), proxyproto(3) and proxyproto(7) of version $version" man_pages
# `man NAME` finds a page for every function of the header: its own, or
# the page its .so link names.
if command -v man >/dev/null 2>&1; then
    man_w() {
        names=$(sed -n 's/^PROXYPROTO_API [^(]*[ *]\(proxyproto_[a-z0-9_]*\)(.*/\1/p' include/proxyproto.h)
        [ -n "$names" ] || return 1
        for f in $names; do
            # man-db answers with the page a .so link names.
            page=$(sed -n 's|^\.so man3/||p' "tools/man/functions/$f.3")
            w=$(MANPATH=$dest$prefix/share/man man -w "$f") && echo "$w" &&
                [ "$w" = "$dest$prefix/share/man/man3/$f.3" ] || [ "$w" = "$dest$prefix/share/man/man3/$page" ] ||
                { echo "man -w $f: ${w:-nothing}"; return 1; }
            MANPATH=$dest$prefix/share/man MANWIDTH=80 man "$f" 2>&1 | grep -q "^SYNOPSIS" ||
                { echo "man $f shows no SYNOPSIS"; return 1; }
        done
    }
    expect "MANPATH=.../share/man man -w NAME finds every function's page, and man shows it" man_w
else
    skip "man -w for every function (man is not installed)"
fi

if command -v cmake >/dev/null 2>&1; then
    cmake_project() {
        cmake -S tests/dist/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$dest$prefix" \
            -DCMAKE_C_COMPILER="$CC" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" -DPP_VERSION="$version" &&
            cmake --build "$work/cmake" &&
            readelf -d "$work/cmake/smoke_shared" | grep -q "NEEDED.*\[libproxyproto\.so\.$major\]" &&
            ! readelf -d "$work/cmake/smoke_static" | grep -q "NEEDED.*libproxyproto" &&
            LD_LIBRARY_PATH=$L "$work/cmake/smoke_shared" && "$work/cmake/smoke_static"
    }
    expect "CMake: find_package(proxyproto) versions, proxyproto::proxyproto (shared) and ::proxyproto_static" cmake_project
else
    skip "CMake: find_package(proxyproto) (cmake not installed)"
fi

expect "make install again over the installed files" install_it
uninstall_it() {
    $MAKE uninstall DESTDIR="$dest" PREFIX="$prefix" LIBDIR="$libdir"
}
expect "make uninstall" uninstall_it
gone() {
    listing | diff -u "$work/before" - && [ ! -d "$L/cmake/proxyproto" ]
}
expect "uninstall leaves exactly the files that were there before install" gone

# The default layout too (LIBDIR = PREFIX/lib, one level down): the CMake
# files must find their way back from there as well.
dest2=$work/root2
default_layout() {
    $MAKE install DESTDIR="$dest2" PREFIX=/usr/local &&
        grep -qx 'libdir=${prefix}/lib' "$dest2/usr/local/lib/pkgconfig/proxyproto.pc" &&
        grep -q 'CMAKE_CURRENT_LIST_DIR}/../../.."' "$dest2/usr/local/lib/cmake/proxyproto/proxyprotoConfig.cmake" &&
        { ! command -v cmake >/dev/null 2>&1 ||
            cmake -S tests/dist/cmake -B "$work/cmake2" -DCMAKE_PREFIX_PATH="$dest2/usr/local" \
                -DCMAKE_C_COMPILER="$CC" -DPP_VERSION="$version"; } &&
        $MAKE uninstall DESTDIR="$dest2" PREFIX=/usr/local &&
        [ -z "$(find "$dest2" ! -type d)" ]
}
expect "default layout (PREFIX=/usr/local): installs, find_package configures, uninstalls" default_layout

summary install
