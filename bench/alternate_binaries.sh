#!/usr/bin/env bash
# Two builds of teardown against each other on this VM, whose speed drifts
# by a third from minute to minute (and whose CPUs other guests steal):
# the two run by turns, RUNS times each, the output to /dev/null, and the
# median and best elapsed time, the mean user and system time, and the
# ratio of the medians are printed. A change is measured this way (an old
# build from `git worktree add /tmp/old REV` and `cmake --preset release`
# there), never by a run of each minutes apart.
#   bench/alternate_binaries.sh RUNS OLD_BINARY NEW_BINARY ARGS...
#   e.g. bench/alternate_binaries.sh 10 /tmp/old/build/release/src/teardown \
#        build/release/src/teardown analyze --format csv m5.pcap
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 RUNS OLD_BINARY NEW_BINARY ARGS..." >&2
  exit 2
fi
runs=$1 old=$2 new=$3
shift 3
for b in "$old" "$new"; do
  [ -x "$b" ] || { echo "$0: $b: not an executable" >&2; exit 2; }
done
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq "$runs"); do
  for which in old new; do
    bin=$old
    [ "$which" = new ] && bin=$new
    # By turns, so a slow spell of the VM falls on both alike.
    /usr/bin/time -f "$which %e %U %S" -a -o "$times" "$bin" "$@" >/dev/null 2>&1 ||
      { echo "$0: $bin $* failed" >&2; exit 1; }
  done
done
sort -k1,1 -k2n "$times" | awk -v n="$runs" '
  { e[$1] = e[$1] " " $2; u[$1] += $3; s[$1] += $4 }
  END {
    for (k in e) { split(e[k], a, " "); med[k] = (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2); best[k] = a[1] }
    split("old new", order, " ")
    for (i = 1; i <= 2; ++i) { k = order[i]; printf "%-3s median %.2f s  best %.2f s  user %.3f s  sys %.3f s  (%d runs)\n", k, med[k], best[k], u[k] / n, s[k] / n, n }
    printf "new/old: median %.3f, best %.3f\n", med["new"] / med["old"], best["new"] / best["old"]
  }'
