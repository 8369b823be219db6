#!/usr/bin/env bash
# CI: builds the libFuzzer targets (clang, ASan+UBSan) and runs each one
# for a bounded time on its committed corpus; any crash, leak, timeout or
# sanitizer report fails the run (the input is left in build/fuzz/artifacts/).
#
#   .ci/fuzz.sh                    20 s per target
#   FUZZ_SECONDS=300 .ci/fuzz.sh   longer
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}

echo "== fuzz: build"
make -j"${JOBS:-2}" fuzz
echo "== fuzz: ${FUZZ_SECONDS} s per target"
make fuzz-run FUZZ_SECONDS="$FUZZ_SECONDS"
echo "fuzz: ok"
