#!/usr/bin/env bash
# The analyzer against its peers on one large capture, in one run: a
# generated capture of short connections with every kind of ending (5 M
# packets by default), read from the page cache by `teardown analyze`,
# `tshark -q -z conv,tcp` and `tcptrace -n`; prints each one's time, packets
# a second and peak memory, and the ratios; then ours with --threads 2, and
# the memory a tracked connection costs: the flow table's own count
# (--stats), and the peak RSS less the mapped capture and a run on a small
# capture, over the connections tracked at once.
# Ours run three times each (the median is shown), the peers once.
#   bench/analyze_vs_peers.sh [PACKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-5000000}
bash scripts/deps.sh
if ! command -v tcptrace >/dev/null; then
  echo "bench: installing tcptrace" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tcptrace >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target teardown make_capture >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
capture=$work/bench.pcap
build/release/bench/make_capture "$capture" "$packets"
sync                       # no writeback of the new file while it is read
cat "$capture" >/dev/null  # into the page cache
measure() {  # name, then the command: prints "name seconds peak_kb"
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
  read -r secs kb <"$work/$name.time"
  echo "$name $secs $kb"
}
median() {  # name, then the command: three runs, the one of median time
  local name=$1
  shift
  for i in 1 2 3; do measure "$name$i" "$@"; done | sort -k2 -n | sed -n 2p | {
    read -r run secs kb
    cp "$work/$run.out" "$work/$name.out"
    cp "$work/$run.err" "$work/$name.err"
    echo "$name $secs $kb"
  }
}
# Ours take about a second, so each is the median of three runs; the peers run once.
t_ours=$(median teardown build/release/src/teardown analyze --format csv --stats "$capture")
t_two=$(median threads2 build/release/src/teardown analyze --format csv --threads 2 "$capture")
cmp -s "$work/teardown.out" "$work/threads2.out" || { echo "bench: --threads 2 wrote other records than one thread" >&2; exit 1; }
build/release/bench/make_capture "$work/small.pcap" 1000 >/dev/null
t_small=$(measure small build/release/src/teardown analyze --format csv "$work/small.pcap")
t_tshark=$(measure tshark tshark -n -q -z conv,tcp -r "$capture")
t_tcptrace=$(measure tcptrace tcptrace -n "$capture")
connections=$(($(wc -l <"$work/teardown.out") - 1))
stats=$(grep -o 'at most [0-9]* tracked.*' "$work/teardown.err")
tracked=$(echo "$stats" | awk '{print $3}')
file_kb=$(($(stat -c %s "$capture") / 1024))
awk -v p="$packets" -v c="$connections" -v a="$t_ours" -v b="$t_tshark" -v d="$t_tcptrace" -v e="$t_two" \
    -v s="$t_small" -v f="$file_kb" -v t="$tracked" -v st="$stats" 'BEGIN {
  split(a, x, " "); split(b, y, " "); split(d, z, " "); split(e, w, " "); split(s, q, " ");
  printf "%d packets, %d connections\n", p, c;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak\n", x[1], x[2], p / x[2], x[3] / 1024;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak\n", y[1], y[2], p / y[2], y[3] / 1024;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak\n", z[1], z[2], p / z[2], z[3] / 1024;
  printf "teardown is %.1fx tshark and %.1fx tcptrace\n", y[2] / x[2], z[2] / x[2];
  printf "--threads 2 %6.2f s %12.0f packets/s: %.2fx one thread, the same records\n", w[2], p / w[2], x[2] / w[2];
  printf "memory: %s\n", st;
  printf "memory: peak RSS %.0f MB, less the mapped capture (%.0f MB) and a small run (%.0f MB): %.0f bytes a tracked connection\n",
         x[3] / 1024, f / 1024, q[3] / 1024, (x[3] - f - q[3]) * 1024 / t;
}'
