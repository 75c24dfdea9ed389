#!/usr/bin/env bash
# The flash-sale demo of `make run`: generates the demo dataset, starts ordercored on it
# (durable, sync, in a fresh state directory), runs the flash-sale scenario against it over TCP
# with ordercore-loadgen --connect, prints the report, and stops the daemon with SIGTERM (its
# final snapshot and summary line are printed too). Usage: scripts/run_demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
orders=${ORDERS:-2000000}
demo=$build/demo
rm -rf "$demo"
mkdir -p "$demo"
"$build/loadgen/ordercore-loadgen" --gen-dataset "$demo/data" --hot-stock 20000 --seed 1 >/dev/null
. "$(dirname "$0")/ordercored_start.sh"
ordercored_start "$demo/ordercored.log" "$build/ordercored" --dataset "$demo/data" \
	--data-dir "$demo/state" --orders-max "$orders" || exit 1
pid=$daemon_pid
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
echo "ordercored listening on 127.0.0.1:$port (log: $demo/ordercored.log)"
status=0
"$build/loadgen/ordercore-loadgen" --connect "127.0.0.1:$port" --dataset "$demo/data" \
	--orders "$orders" --connections 16 --seed 1 --json "$build/flash-sale.json" || status=$?
kill -TERM $pid
wait $pid || status=$?
trap - EXIT
grep -E 'msg="(snapshot written|stopped|decided)"' "$demo/ordercored.log" || true
echo "summary: $build/flash-sale.json"
exit $status
