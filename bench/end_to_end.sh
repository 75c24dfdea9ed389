#!/usr/bin/env bash
# End to end, for each durability mode (issue 7, item 3): the in-process engine
# (ordercore-loadgen --in-process: orders/s; commands are not timed one by one there) and
# ordercored over loopback (ordercore-loadgen --connect: orders/s closed loop, then latency
# percentiles from when each command was due at half that rate, open loop), on one generated
# dataset and the flash-sale stream. Durability: none (in memory: no data directory), async
# (fdatasync every 10 ms) and sync (fdatasync before each answer), the data directory on the
# disk of $OC_BENCH_DIR (default /var/tmp). Prints a table and writes JSON lines.
# Usage: bench/end_to_end.sh BUILD_DIR [ORDERS] [JSON_OUT]
set -euo pipefail
build=${1:?usage: end_to_end.sh BUILD_DIR [ORDERS] [JSON_OUT]}
orders=${2:-2000000}
out=${3:-$build/end_to_end.json}
loadgen=$build/loadgen/ordercore-loadgen
ordercored=$build/ordercored
tmp=$(mktemp -d "${OC_BENCH_DIR:-/var/tmp}/oc_e2e.XXXXXX")
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ]; then kill -TERM "$daemon_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
json_number() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2" | head -1; }
. "$(dirname "$0")/../scripts/ordercored_start.sh"

"$loadgen" --gen-dataset "$tmp/data" --skus 100000 --warehouses 8 --stock-per-sku 1000 \
	--seed 7 >/dev/null
: >"$out"
echo "end to end: $orders flash-sale commands, 100k SKUs, $(nproc) cores, data on $(df -T "$tmp" | awk 'NR == 2 {print $2}')"
printf '%-12s %-6s %14s %12s %12s %12s %12s\n' mode durability orders/s p50_ms p99_ms \
	p99.9_ms max_ms

for durability in none async sync; do
	rm -rf "$tmp/dd"
	dd=()
	[ "$durability" = none ] || dd=(--data-dir "$tmp/dd" --durability "$durability")
	"$loadgen" --in-process --dataset "$tmp/data" --orders "$orders" --seed 9 "${dd[@]}" \
		--json "$tmp/r.json" --quiet 2>"$tmp/run.err" || { cat "$tmp/run.err" >&2; exit 1; }
	rate=$(json_number orders_per_sec "$tmp/r.json")
	printf '%-12s %-6s %14.0f %12s %12s %12s %12s\n' in-process "$durability" "$rate" - - - -
	printf '{"mode": "in-process", "durability": "%s", "orders": %s, "orders_per_sec": %s}\n' \
		"$durability" "$orders" "$rate" >>"$out"
done

# ordercored: a fresh daemon for each run (the load generator starts from an empty engine).
daemon() { # $1: durability
	rm -rf "$tmp/dd"
	local args=(--dataset "$tmp/data" --orders-max "$orders")
	[ "$1" = none ] || args+=(--data-dir "$tmp/dd" --durability "$1")
	ordercored_start "$tmp/daemon.err" "$ordercored" "${args[@]}" || exit 1
}
stop() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || true
	daemon_pid=
}
ms() { awk -v ns="$(json_number "$1" "$2")" 'BEGIN {printf "%.3f", ns / 1e6}'; }
for durability in none async sync; do
	daemon "$durability"
	"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/data" --orders "$orders" --seed 9 \
		--connections 8 --max --json "$tmp/max.json" --quiet
	stop
	rate=$(json_number orders_per_sec "$tmp/max.json")
	half=$(awk -v r="$rate" 'BEGIN {printf "%d", r / 2}')
	daemon "$durability"
	"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/data" --orders "$orders" --seed 9 \
		--connections 8 --rate "$half" --json "$tmp/paced.json" --quiet
	stop
	f=$tmp/paced.json
	printf '%-12s %-6s %14.0f %12s %12s %12s %12s\n' loopback "$durability" "$rate" \
		"$(ms p50 "$f")" "$(ms p99 "$f")" "$(ms p99.9 "$f")" "$(ms max "$f")"
	printf '{"mode": "loopback", "durability": "%s", "orders": %s, "orders_per_sec": %s, "paced_per_sec": %s, "latency_ns_at_half_rate": {"p50": %s, "p99": %s, "p99.9": %s, "max": %s}}\n' \
		"$durability" "$orders" "$rate" "$half" "$(json_number p50 "$f")" \
		"$(json_number p99 "$f")" "$(json_number p99.9 "$f")" "$(json_number max "$f")" >>"$out"
done
echo "(loopback: orders/s closed loop; latency from due at half that rate, open loop)"
echo "JSON lines: $out"
