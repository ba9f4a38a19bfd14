#!/usr/bin/env bash
# Builds teardown and runs every test: the unit and integration tests built by
# g++ 12 (AddressSanitizer + UBSan, warnings as errors), the same tests built by
# clang 14, then every libFuzzer target for FUZZ_SECONDS (default 30) each.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

jobs=$(nproc)
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ctest --preset dev | tee "$log"
tests=$(grep -oE 'tests failed out of [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
ctest --preset fuzz | tee -a "$log"
clang_tests=$(grep -oE 'tests failed out of [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0)
bash scripts/fuzz.sh "${FUZZ_SECONDS:-30}" | tee -a "$log"
fuzzed=$(grep -c '^fuzz: .* ok' "$log" || true)
# The plain closing line: every ctest test and every fuzz target passed (set -e stops us otherwise).
echo "teardown: $((tests + clang_tests + fuzzed)) passed, 0 failed"
