#!/usr/bin/env bash
# Runs every libFuzzer target for N seconds (default 30) on a copy of its seed
# corpus; fails if any target finds a crash, a leak or a hang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
bin=build/fuzz/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
found=0
for target in "$bin"/*_fuzz; do
  [ -x "$target" ] || continue
  found=$((found + 1))
  name=$(basename "$target" _fuzz)
  mkdir -p "$work/$name" "$work/$name-artifacts"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/$name/"
  if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/$name-artifacts/" "$work/$name" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -oE 'Done [0-9]+ runs' "$work/$name.log" | tail -1))"
  else
    status=1
    echo "fuzz: $name FAILED; the end of its log:"
    tail -30 "$work/$name.log"
    mkdir -p fuzz/crashes && cp -r "$work/$name-artifacts/." fuzz/crashes/ || true
  fi
done
if [ "$found" -eq 0 ]; then
  echo "fuzz: no fuzz targets were built under $bin" >&2
  exit 1
fi
exit $status
