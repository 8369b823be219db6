# Sourced by the scripts of tests/dist/: counting, in the style of
# tests/cli.sh ("ok - ...", "FAIL - ...", then "NAME: N passed, N failed").
LC_ALL=C # sort and comm must agree
export LC_ALL
passed=0
failed=0
skipped=0

ok() {
    passed=$((passed + 1))
    echo "ok - $*"
}

not_ok() {
    failed=$((failed + 1))
    echo "FAIL - $*"
}

skip() {
    skipped=$((skipped + 1))
    echo "skip - $*"
}

# expect NAME COMMAND...: runs COMMAND, its output kept in $log; shown
# (the end of it) when it fails.
expect() {
    name=$1
    shift
    if "$@" >"$log" 2>&1; then
        ok "$name"
    else
        not_ok "$name"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}

# expect_fail NAME TEXT COMMAND...: COMMAND must fail, saying TEXT.
expect_fail() {
    name=$1
    text=$2
    shift 2
    if "$@" >"$log" 2>&1; then
        not_ok "$name (it succeeded)"
    elif grep -qF -- "$text" "$log"; then
        ok "$name"
    else
        not_ok "$name (no \"$text\" in its output)"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}

summary() {
    if [ "$skipped" -gt 0 ]; then
        echo "$1: $passed passed, $failed failed, $skipped skipped"
    else
        echo "$1: $passed passed, $failed failed"
    fi
    [ "$failed" -eq 0 ]
}
