#!/bin/sh
# Promises of lib/ checked by a machine (run by `make test-promises`):
#  - it allocates nothing: no malloc, calloc, realloc or free referenced;
#  - every global symbol of the static library has the proxyproto_ prefix;
#  - the shared library exports only public proxyproto_ functions (the
#    private proxyproto__ helpers stay hidden).
# Usage: sh tests/promises.sh build/lib/libproxyproto.a build/lib/libproxyproto.so.X.Y.Z
set -u
static=$1
shared=$2
passed=0
failed=0

check() { # name, offending lines (empty = pass)
    if [ -z "$2" ]; then
        passed=$((passed + 1)); echo "ok   $1"
    else
        failed=$((failed + 1)); echo "FAIL $1:"; echo "$2" | sed 's/^/       /'
    fi
}

alloc=$(nm -A "$static" | grep -E ' U (malloc|calloc|realloc|free|strdup|strndup|aligned_alloc|posix_memalign)$')
check "static library references no allocator" "$alloc"

unprefixed=$(nm -g --defined-only "$static" | awk 'NF == 3 { print $3 }' | grep -v '^proxyproto_')
check "static library defines only proxyproto_ globals" "$unprefixed"

exported=$(nm -D --defined-only "$shared" | awk 'NF == 3 { print $3 }')
bad=$(echo "$exported" | grep -v '^proxyproto_[a-z]' ; echo "$exported" | grep '^proxyproto__')
check "shared library exports only public proxyproto_ functions" "$bad"

count=$(echo "$exported" | grep -c '^proxyproto_')
[ "$count" -gt 20 ] && none="" || none="only $count exported symbols"
check "shared library exports the public API" "$none"

echo "promises: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
