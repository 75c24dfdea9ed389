#!/usr/bin/env bash
# bench/profile.sh: where one ordercore-bench benchmark spends its time, for the "what bounds
# it" column of docs/performance.md. Samples the run with perf's cpu-clock (this KVM guest
# exposes no hardware counters) and prints the symbols with the most samples and, for the
# hottest, the instructions with the most (perf annotate): a load that takes most of a
# function's samples is the one that misses.
#
# Usage: bench/profile.sh FILTER [BENCH_BINARY]   e.g. bench/profile.sh 'oc_shard_reserve_release/1000000$'
set -euo pipefail
filter=${1:?usage: bench/profile.sh FILTER [BENCH_BINARY]}
bench=${2:-build/bench/ordercore-bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

perf record -q -e cpu-clock -F 4999 -o "$work/perf.data" -- \
  "$bench" --benchmark_filter="$filter" --benchmark_min_time=1 >"$work/run.txt" 2>&1
grep -E '^[a-z_]+.*/' "$work/run.txt" || true
echo "-- symbols (share of samples)"
perf report -q -i "$work/perf.data" --stdio --sort symbol >"$work/symbols.txt" 2>/dev/null
awk 'NF && n++ < 8 { print "  " $1, $3 }' "$work/symbols.txt"
hottest=$(awk '$2 == "[.]" { print $3; exit }' "$work/symbols.txt")
echo "-- instructions of $hottest with 2 % of its samples or more (a miss shows on the one after the load)"
perf annotate -i "$work/perf.data" --stdio -s "$hottest" >"$work/annotate.txt" 2>/dev/null
awk -F' : ' '$1 + 0 >= 2.0' "$work/annotate.txt" | sort -rn | awk 'n++ < 8'
