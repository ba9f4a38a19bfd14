#!/usr/bin/env bash
# How much a capture read as a stream costs against the same capture mapped:
# one generated capture (1 M packets by default) analyzed from the file, from
# the same as pcapng (editcap), from a pipe (`cat | teardown analyze -`),
# from a gzip file and from gzip on a pipe, each with one thread and with
# --threads 2. The ways run by turns,
# RUNS times each (the VM's speed drifts from minute to minute), and each
# way's median time, peak RSS and ratio to the mapped file's one-thread
# median are printed; every way must write the mapped file's records.
#   bench/analyze_streams.sh [PACKETS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
runs=${2:-5}
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target teardown make_capture >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
capture=$work/bench.pcap
build/release/bench/make_capture "$capture" "$packets" >/dev/null
gzip -1 -c "$capture" >"$capture.gz"
editcap -F pcapng "$capture" "$capture.pcapng"
cat "$capture" "$capture.gz" "$capture.pcapng" >/dev/null  # into the page cache
bin=$PWD/build/release/src/teardown
build/release/src/teardown analyze --format csv "$capture" >"$work/expected.csv"
ways=(file pcapng pipe gzip gzip_pipe)
command_of() {  # way, threads: the shell command
  local t="--format csv --threads $2"
  case $1 in
  file) echo "$bin analyze $t $capture" ;;
  pcapng) echo "$bin analyze $t $capture.pcapng" ;;
  pipe) echo "cat $capture | $bin analyze $t -" ;;
  gzip) echo "$bin analyze $t $capture.gz" ;;
  gzip_pipe) echo "cat $capture.gz | $bin analyze $t -" ;;
  esac
}
for ((k = 1; k <= runs; k++)); do
  for way in "${ways[@]}"; do
    for threads in 1 2; do
      /usr/bin/time -f "$way.$threads %e %M" -a -o "$work/times" bash -c "$(command_of "$way" "$threads") >$work/out.csv"
      cmp -s "$work/out.csv" "$work/expected.csv" || { echo "bench: $way --threads $threads wrote other records" >&2; exit 1; }
    done
  done
done
echo "$packets packets, $(stat -c %s "$capture") bytes ($(stat -c %s "$capture.gz") gzip), $runs runs each by turns"
awk '{split($1, w, "."); t[$1] = t[$1] " " $2; m[$1] = $3 > m[$1] ? $3 : m[$1]}
  END {
    for (k in t) {  # the median, by insertion sort (mawk has no asort)
      n = split(substr(t[k], 2), v, " ")
      for (i = 2; i <= n; i++) { x = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
      med[k] = v[int((n + 1) / 2)]
    }
    base = med["file.1"]
    split("file pcapng pipe gzip gzip_pipe", order, " ")
    for (i = 1; i <= 5; i++) for (th = 1; th <= 2; th++) {
      k = order[i] "." th
      printf "%-10s --threads %d  %6.2f s median  %7.0f MB peak RSS  %5.2fx the mapped file on one thread\n", order[i], th, med[k], m[k] / 1024, med[k] / base
    }
  }' "$work/times"
