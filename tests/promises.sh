#!/bin/sh
# Promises of lib/ checked by a machine (run by `make test-promises`):
#  - it allocates nothing: no malloc, calloc, realloc or free referenced;
#  - no writable globals, no locale, no stdio, no environment;
#  - every global symbol of the static library has the proxyproto_ prefix;
#  - the shared library exports only public proxyproto_ functions (the
#    private proxyproto__ helpers stay hidden).
# Usage: sh tests/promises.sh build/lib/libproxyproto.a build/lib/libproxyproto.so.X.Y.Z
set -u
nm=${NM:-nm} # a cross build's own nm (make passes NM)
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

alloc=$("$nm" -A "$static" | grep -E ' U (malloc|calloc|realloc|reallocarray|free|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc|pvalloc|mmap|mmap64|sbrk|brk)$')
check "static library references no allocator" "$alloc"

# "No globals" (include/proxyproto.h): nothing writable at file scope, so
# every function is reentrant. Tables are const (.rodata, .data.rel.ro);
# sanitizer builds add bookkeeping of their own, which is not ours.
globals=$("$nm" -A -f sysv "$static" | awk -F'|' '$7 ~ /^ *\.(data|bss)(\.|$| )/ && $7 !~ /rel\.ro/ { print $1 "(" $7 ")" }' |
    sed 's/  */ /g' | grep -vE ':(__unnamed_|__asan|__odr_asan|__ubsan|__sancov|\.L)')
check "static library has no writable globals" "$globals"

# "No locale, no stdio" (include/proxyproto.h): nothing that reads the
# locale (ctype, strto*, printf/scanf families) or does stdio.
locale=$("$nm" -A "$static" | grep -E ' U (setlocale|localeconv|nl_langinfo|is(alnum|alpha|blank|cntrl|digit|graph|lower|print|punct|space|upper|xdigit)|to(lower|upper)|__ctype_[a-z_]+|strto[a-z]*|ato[il]l?|[a-z]*printf|[a-z]*scanf|f?puts|f?putc|putchar|f?gets|f?getc|getchar|fopen|fdopen|fclose|fread|fwrite|fflush|perror|strerror|getenv)$')
check "static library uses no locale, stdio or environment" "$locale"

# GCC's i386 PIC code calls __x86.get_pc_thunk.* helpers: hidden, one per
# object in a COMDAT group, emitted by the compiler and never exported.
unprefixed=$("$nm" -g --defined-only "$static" | awk 'NF == 3 { print $3 }' |
    grep -v '^proxyproto_' | grep -v '^__x86\.get_pc_thunk\.')
check "static library defines only proxyproto_ globals" "$unprefixed"

exported=$("$nm" -D --defined-only "$shared" | awk 'NF == 3 { print $3 }')
bad=$(echo "$exported" | grep -v '^proxyproto_[a-z]' ; echo "$exported" | grep '^proxyproto__')
check "shared library exports only public proxyproto_ functions" "$bad"

count=$(echo "$exported" | grep -c '^proxyproto_')
[ "$count" -gt 20 ] && none="" || none="only $count exported symbols"
check "shared library exports the public API" "$none"

echo "promises: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
