#!/usr/bin/env bash
# The flash-sale demo of `make run`: generates the demo dataset, starts ordercored on it
# (durable, sync, in a fresh state directory), runs the flash-sale scenario against it over TCP
# with ordercore-loadgen --connect for about 20 seconds — a stampede of a million orders in the
# first second, then 50,000 a second (RATE, ORDERS change it) — with a progress line a second,
# prints the summary and where the JSON and the HTML report are, and stops the daemon with
# SIGTERM (its final snapshot and summary line are printed too).
# Usage: scripts/run_demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
rate=${RATE:-0:1000000,1:1000000,1:50000}
orders=${ORDERS:-1950000}
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
	--orders "$orders" --connections 16 --seed 1 --rate "$rate" --json "$build/flash-sale.json" \
	--report "$build/flash-sale.html" || status=$?
kill -TERM $pid
wait $pid || status=$?
trap - EXIT
grep -E 'msg="(snapshot written|stopped|decided)"' "$demo/ordercored.log" || true
echo "summary: $build/flash-sale.json; report: $build/flash-sale.html"
exit $status
