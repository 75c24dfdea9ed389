#!/usr/bin/env bash
# In-process flash-sale throughput: single-line orders, generated before the clock starts,
# through each worker topology, three runs each; prints orders/s per run and the median.
# Usage: bench/flash_sale.sh PATH/TO/ordercore-loadgen [ORDERS]
set -euo pipefail
loadgen=${1:?usage: flash_sale.sh PATH/TO/ordercore-loadgen [ORDERS]}
orders=${2:-5000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$loadgen" --gen-dataset "$tmp/data" --skus 100000 --warehouses 8 --stock-per-sku 1000 \
	--seed 7 >/dev/null
echo "flash-sale in process: $orders single-line orders, 100k SKUs, $(nproc) cores"
printf '%-28s %12s %12s %12s %12s\n' topology run1 run2 run3 median
for topo in "1 1" "2 1" "3 1" "3 2"; do
	set -- $topo
	rates=()
	for run in 1 2 3; do
		"$loadgen" --in-process --scenario flash-sale --dataset "$tmp/data" \
			--orders "$orders" --multi-line-pct 0 --threads "$1" --inventory-threads "$2" \
			--json "$tmp/r.json" --quiet
		rates+=("$(sed -n 's/.*"orders_per_sec": \([0-9.]*\).*/\1/p' "$tmp/r.json")")
	done
	median=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n 2p)
	printf '%-28s %12.0f %12.0f %12.0f %12.0f\n' "threads=$1 inventory=$2" \
		"${rates[@]}" "$median"
done
