#!/usr/bin/env bash
# Before/after throughput of two builds of ordercore-loadgen on the same machine: RUNS pairs of
# in-process flash-sale runs, A then B, back to back, so that both see the same noise; prints
# each run's orders/s, the medians, and the median of the per-pair ratios B/A (the figure to
# trust on a shared machine, where one build's runs alone can swing by 2x).
# Usage: bench/ab_pairs.sh RUNS LOADGEN_A LOADGEN_B DATASET [loadgen options...]
#   e.g. bench/ab_pairs.sh 10 /tmp/before/build/loadgen/ordercore-loadgen \
#        build/loadgen/ordercore-loadgen /tmp/d100k --orders 4000000 --seed 7
#   (add --data-dir for durable runs: the script gives each run a fresh one)
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,9p "$0" >&2; exit 2; }
runs=$1 a=$2 b=$3 dataset=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = --data-dir ]; then args+=(--data-dir "$tmp/dd"); shift 2; else args+=("$1"); shift; fi
done
rate() {
	rm -rf "$tmp/dd"
	"$1" --in-process --dataset "$dataset" "${args[@]}" --json "$tmp/r.json" --quiet
	sed -n 's/.*"orders_per_sec": \([0-9.]*\).*/\1/p' "$tmp/r.json"
}
ra=() rb=()
for _ in $(seq "$runs"); do
	ra+=("$(rate "$a")")
	rb+=("$(rate "$b")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratios=()
for i in "${!ra[@]}"; do ratios+=("$(awk -v x="${ra[$i]}" -v y="${rb[$i]}" 'BEGIN {printf "%.3f", y/x}')"); done
printf 'A orders/s: %s\n' "$(printf '%.2fM ' $(printf '%s\n' "${ra[@]}" | awk '{print $1/1e6}'))"
printf 'B orders/s: %s\n' "$(printf '%.2fM ' $(printf '%s\n' "${rb[@]}" | awk '{print $1/1e6}'))"
printf 'B/A per pair: %s\n' "${ratios[*]}"
awk -v a="$(median "${ra[@]}")" -v b="$(median "${rb[@]}")" -v r="$(median "${ratios[@]}")" \
	'BEGIN {printf "medians: A %.2fM  B %.2fM  ratio of pairs B/A %.3f\n", a/1e6, b/1e6, r}'
