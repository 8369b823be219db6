#!/bin/sh
# The README's C example compiles against the library and links (run by
# `make test-readme`). Usage: sh tests/readme.sh CC STATIC_LIB
set -eu
cc=$1
lib=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
awk '/^```c$/ { n++; if (n == 1) { on = 1; next } } /^```$/ { on = 0 } on' README.md > "$dir/example.c"
[ -s "$dir/example.c" ] || { echo "FAIL readme: no C example found"; echo "readme: 0 passed, 1 failed"; exit 1; }
printf 'int serve_one(int);\nint main(void) { return 0; }\n' > "$dir/main.c"
if $cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -Iinclude \
    -include proxyproto.h "$dir/example.c" "$dir/main.c" "$lib" -o "$dir/example"; then
    echo "ok   readme: the C example compiles and links"
    echo "readme: 1 passed, 0 failed"
else
    echo "FAIL readme: the C example does not compile"
    echo "readme: 0 passed, 1 failed"
    exit 1
fi
