#!/bin/sh
# The release tarball as a packager uses it. Run by `make distcheck` after
# `make dist`:
#   MAKE=make CC=cc sh tests/dist/distcheck.sh BUILD_DIR VERSION "CHECKS..."
#  - the .sha256 file checks out; the tarball unpacks into one folder
#    libproxyproto-VERSION/ with no .git, holding exactly what its MANIFEST
#    lists;
#  - in a scratch folder (BUILD_DIR/distcheck, where git cannot find this
#    repository: GIT_CEILING_DIRECTORIES), the unpacked tree builds with
#    `make`, passes `make check` restricted to CHECKS, and installs with
#    `make install DESTDIR=... PREFIX=/usr`; a program then builds and runs
#    against the installed header and library;
#  - none of that writes into the tree outside its build/ (the tree is
#    made read-only, and since root writes anyway, files newer than the
#    unpacking are looked for);
#  - `make dist` in the unpacked tree, without git, writes the same bytes.
# The scratch folder is removed when everything passed, kept otherwise.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/dist/common.sh

case $1 in /*) build=$1 ;; *) build=$(pwd)/$1 ;; esac
version=$2
checks=$3
MAKE=${MAKE:-make}
CC=${CC:-cc}
LDFLAGS=${LDFLAGS:-}
pkg=libproxyproto-$version
tarball=$build/$pkg.tar.gz
work=$build/distcheck
tree=$work/$pkg
dest=$work/root
all=$build/distcheck.log # every sub-make's output
log=$work.step             # one step's output (tests/dist/common.sh)

[ -d "$work" ] && chmod -R u+w "$work"
rm -rf "$work"
mkdir -p "$work"
# No git command below may find this repository above the scratch folder:
# the tree must work as it would on a machine that never had git.
GIT_CEILING_DIRECTORIES=$work
export GIT_CEILING_DIRECTORIES

sum() { (cd "$build" && sha256sum -c "$pkg.tar.gz.sha256"); }
expect "$pkg.tar.gz.sha256 checks out" sum

unpack() {
    tar -xzf "$tarball" -C "$work" &&
        [ "$(ls -A "$work")" = "$pkg" ] && [ ! -e "$tree/.git" ] &&
        (cd "$tree" && find . -type f | sed 's|^\./||' | sort) >"$work/found" &&
        diff "$tree/MANIFEST" "$work/found"
}
expect "unpacks into $pkg/, no .git, exactly the files of its MANIFEST" unpack
[ -d "$tree" ] || { summary distcheck; exit 1; }

# Read-only but for build/; the stamp dates the unpacking.
mkdir "$tree/build"
touch "$work/stamp"
sleep 1
find "$tree" -path "$tree/build" -prune -o -exec chmod a-w {} +

# The sub-makes' output goes to one log: it is long; the end of a failed
# step is shown.
inner() {
    if (cd "$tree" && "$MAKE" B=build "$@") >>"$all" 2>&1; then
        return 0
    fi
    tail -n 25 "$all"
    return 1
}
: >"$all"
echo "distcheck: building and testing in $tree (log: $all)"
expect "make (in the unpacked tree)" inner all
expect "make check CHECKS=\"$checks\"" inner check CHECKS="$checks"
expect "make install DESTDIR=... PREFIX=/usr" inner install DESTDIR="$dest" PREFIX=/usr

# shellcheck disable=SC2086 # CC and LDFLAGS may hold several words
installed() {
    for f in include/proxyproto.h lib/libproxyproto.a "lib/libproxyproto.so.$version" \
        lib/libproxyproto.so lib/pkgconfig/proxyproto.pc bin/proxyproto \
        share/man/man1/proxyproto.1 share/man/man3/proxyproto.3 \
        share/man/man7/proxyproto.7 lib/cmake/proxyproto/proxyprotoConfig.cmake; do
        [ -e "$dest/usr/$f" ] || { echo "missing: /usr/$f"; return 1; }
    done
    "$dest/usr/bin/proxyproto" --version | grep -qx "proxyproto $version" &&
        $CC -std=c99 $LDFLAGS -I"$dest/usr/include" -o "$work/smoke" \
            "$tree/tests/dist/smoke.c" -L"$dest/usr/lib" -lproxyproto &&
        LD_LIBRARY_PATH=$dest/usr/lib "$work/smoke"
}
expect "installed: header, libraries, .pc, CLI, man pages, CMake; a program links and runs" installed

untouched() {
    (cd "$tree" && find . -path ./build -prune -o -newer "$work/stamp" -print) >"$work/newer" &&
        (cd "$tree" && find . -path ./build -prune -o -type f -print | sed 's|^\./||' | sort) >"$work/after" ||
        return 1
    if [ -s "$work/newer" ]; then
        echo "written into the tree:"
        cat "$work/newer"
        return 1
    fi
    diff "$tree/MANIFEST" "$work/after"
}
expect "nothing written into the unpacked tree outside build/" untouched

again() {
    inner dist && cmp "$tree/build/$pkg.tar.gz" "$tarball" &&
        cmp "$tree/build/$pkg.tar.gz.sha256" "$tarball.sha256"
}
expect "make dist in the unpacked tree (no git) writes the same bytes" again

if summary distcheck; then
    chmod -R u+w "$work" && rm -rf "$work" "$log"
    echo "distcheck: $pkg.tar.gz is ready: $(cut -d' ' -f1 "$tarball.sha256")"
else
    echo "distcheck: kept $work and $all for a look"
    exit 1
fi
