#!/bin/sh
# Writes the release tarball BUILD_DIR/libproxyproto-VERSION.tar.gz and its
# checksum BUILD_DIR/libproxyproto-VERSION.tar.gz.sha256 (sha256sum -c
# format). Run by `make dist`:
#   sh tools/scripts/dist.sh BUILD_DIR VERSION
#
# What goes in: every file git tracks or would track (sources, tests and their captures,
# the fuzz corpus the replay test reads, examples, man pages, the committed
# single header, README, CHANGELOG), as it is in the work tree, plus
# MANIFEST, the list of those files. No .git: the tarball builds, tests and
# installs without git. In an unpacked tarball (no .git) the list is
# MANIFEST, so `make dist` there writes the same bytes again
# (`make distcheck` checks that).
#
# Reproducible: files sorted by name, owner 0, modes 644 or 755, every
# time stamp SOURCE_DATE_EPOCH (default: the last commit's time; in an
# unpacked tarball, the newest time of its files, which is that time
# again), gzip without a name or time.
#
# Stops when the single header is stale (make single-header) or a listed
# file is missing; says so when the work tree has uncommitted changes (the
# tarball holds the work tree, for distcheck before a commit; a release is
# made from a clean tree).
set -eu
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/../.."

build=${1:?usage: sh tools/scripts/dist.sh BUILD_DIR VERSION}
version=${2:?usage: sh tools/scripts/dist.sh BUILD_DIR VERSION}
name=libproxyproto-$version
tarball=$build/$name.tar.gz
work=$build/dist/tarball
stage=$work/$name

fail() {
    echo "dist: $*" >&2
    exit 1
}

rm -rf "$work"
mkdir -p "$work"
list=$work/files

if [ -e .git ]; then
    # Tracked files and new ones not ignored (as git status shows them); a
    # file deleted but not yet committed is not shipped.
    git ls-files -z --cached --others --exclude-standard | tr '\0' '\n' |
        while IFS= read -r f; do
            [ -e "$f" ] && printf '%s\n' "$f"
        done | grep -vx MANIFEST | sort -u >"$list"
    [ -z "$(git status --porcelain)" ] ||
        echo "dist: note: the work tree has uncommitted changes; the tarball holds them"
    : "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct)}"
elif [ -f MANIFEST ]; then
    grep -vx MANIFEST MANIFEST | sort -u >"$list"
else
    fail "neither a git work tree nor an unpacked tarball (no MANIFEST): nothing says what to ship"
fi
[ -s "$list" ] || fail "no files to ship"
while IFS= read -r f; do
    [ -f "$f" ] || fail "$f is listed but is not a file here"
    case $f in *[[:space:]]*) fail "'$f': a file name with white space" ;; esac
done <"$list"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    # shellcheck disable=SC2046 # one name per line, no spaces (checked above)
    SOURCE_DATE_EPOCH=$(stat -c %Y $(cat "$list") | sort -n | tail -n 1)
fi

# The committed single header is part of the release: it must be current.
sh tools/scripts/amalgamate.sh -o "$work/fresh-proxyproto.h"
cmp -s include/single/proxyproto.h "$work/fresh-proxyproto.h" ||
    fail "include/single/proxyproto.h is stale: run 'make single-header' (and commit it)"

mkdir -p "$stage"
tar -cf - -T "$list" | tar -xf - -C "$stage"
{ cat "$list"; echo MANIFEST; } | sort >"$stage/MANIFEST"

rm -f "$tarball" "$tarball.sha256"
(cd "$work" && find "$name" -print | sort) >"$work/members"
tar -C "$work" --format=ustar --no-recursion --owner=0 --group=0 \
    --numeric-owner --mode='u+rwX,go+rX,go-w' --mtime="@$SOURCE_DATE_EPOCH" \
    -cf - -T "$work/members" | gzip -9n >"$tarball"
(cd "$build" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
rm -rf "$stage"

echo "dist: $tarball ($(wc -c <"$tarball") bytes, $(wc -l <"$work/members") members)"
echo "dist: sha256 $(cut -d' ' -f1 "$tarball.sha256")"
