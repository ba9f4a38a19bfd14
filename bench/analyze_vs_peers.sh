#!/usr/bin/env bash
# The analyzer against its peers on one large capture, in one run: a
# generated capture of short connections with every kind of ending (5 M
# packets by default), read from the page cache by `teardown analyze`,
# `tshark -q -z conv,tcp` and `tcptrace -n`; prints each one's time, packets
# a second and peak memory, and the ratios; then ours with --threads 2, and
# the memory a tracked connection costs: the flow table's own count
# (--stats), and the peak RSS less the mapped capture and a run on a small
# capture, over the connections tracked at once.
# The VM's speed drifts by a third from minute to minute, so ours (about a
# second a run) run three times before tshark, three times between tshark
# and tcptrace, and three times after, each spell after a warm-up run: the
# median of the nine is set against the peers' one run each, and the best
# is shown beside it.
# What two cores can give work of this kind is measured too: two one-thread
# runs at once, as independent as two shards can ever be, against one alone.
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
runs() {  # name, count, then the command: each run's "name seconds peak_kb", one a line
  local name=$1 count=$2
  shift 2
  for ((k = 1; k <= count; k++)); do measure "$name.$round.$k" "$@"; done
}
# The run of median time among name's; its output becomes name.out.
median() {
  local name=$1
  sort -k2 -n "$work/$name.runs" | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}' | {
    read -r run secs kb
    cp "$work/$run.out" "$work/$name.out"
    cp "$work/$run.err" "$work/$name.err"
    echo "$name $secs $kb"
  }
}
best() { sort -k2 -n "$work/$1.runs" | head -1 | awk '{print $2}'; }
ours=(build/release/src/teardown analyze --format csv --stats "$capture")
two=(build/release/src/teardown analyze --format csv --threads 2 "$capture")
# Each of the pair writes its records to a file, as the others do.
pair=(bash -c "build/release/src/teardown analyze --format csv '$capture' >'$work/pair.a.csv' & build/release/src/teardown analyze --format csv '$capture' >'$work/pair.b.csv'; wait")
round=0
spell() {  # one spell of ours: one thread, --threads 2, and a pair of one-thread runs at once
  round=$((round + 1))
  # A warm-up run first, not counted: the first run after a pause or after a
  # peer (which frees gigabytes) is often twice as slow here.
  measure warmup "${ours[@]}" >/dev/null
  runs teardown 3 "${ours[@]}" >>"$work/teardown.runs"
  runs threads2 3 "${two[@]}" >>"$work/threads2.runs"
  runs pair 1 "${pair[@]}" >>"$work/pair.runs"
}
spell
t_tshark=$(measure tshark tshark -n -q -z conv,tcp -r "$capture")
spell
t_tcptrace=$(measure tcptrace tcptrace -n "$capture")
spell
t_ours=$(median teardown)
t_two=$(median threads2)
t_pair=$(median pair)
cmp -s "$work/teardown.out" "$work/threads2.out" || { echo "bench: --threads 2 wrote other records than one thread" >&2; exit 1; }
build/release/bench/make_capture "$work/small.pcap" 1000 >/dev/null
t_small=$(measure small build/release/src/teardown analyze --format csv "$work/small.pcap")
connections=$(($(wc -l <"$work/teardown.out") - 1))
stats=$(grep -o 'at most [0-9]* tracked.*' "$work/teardown.err")
tracked=$(echo "$stats" | awk '{print $3}')
file_kb=$(($(stat -c %s "$capture") / 1024))
awk -v p="$packets" -v c="$connections" -v a="$t_ours" -v b="$t_tshark" -v d="$t_tcptrace" -v e="$t_two" \
    -v s="$t_small" -v f="$file_kb" -v t="$tracked" -v st="$stats" -v g="$t_pair" \
    -v b1="$(best teardown)" -v b2="$(best threads2)" 'BEGIN {
  split(a, x, " "); split(b, y, " "); split(d, z, " "); split(e, w, " "); split(s, q, " "); split(g, u, " ");
  printf "%d packets, %d connections\n", p, c;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak (median of 9; best %.2f s, %.0f packets/s)\n", x[1], x[2], p / x[2], x[3] / 1024, b1, p / b1;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak\n", y[1], y[2], p / y[2], y[3] / 1024;
  printf "%-9s %8.2f s %12.0f packets/s %9.0f MB peak\n", z[1], z[2], p / z[2], z[3] / 1024;
  printf "teardown is %.1fx tshark and %.1fx tcptrace (by its best run: %.1fx and %.1fx)\n", y[2] / x[2], z[2] / x[2], y[2] / b1, z[2] / b1;
  printf "--threads 2 %6.2f s %12.0f packets/s: %.2fx one thread, the same records (best %.2f s)\n", w[2], p / w[2], x[2] / w[2], b2;
  printf "two one-thread runs at once: %.2f s for both, so two cores give work of this kind at most %.2fx; --threads 2 has %.0f%% of that\n",
         u[2], 2 * x[2] / u[2], 100 * (x[2] / w[2]) / (2 * x[2] / u[2]);
  printf "memory: %s\n", st;
  printf "memory: peak RSS %.0f MB, less the mapped capture (%.0f MB) and a small run (%.0f MB): %.0f bytes a tracked connection\n",
         x[3] / 1024, f / 1024, q[3] / 1024, (x[3] - f - q[3]) * 1024 / t;
}'
