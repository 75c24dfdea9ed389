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
"$build/ordercored" --dataset "$demo/data" --data-dir "$demo/state" --listen 127.0.0.1:0 \
	--orders-max "$orders" 2>"$demo/ordercored.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
port=
for ((i = 0; i < 1000; i++)); do
	port=$(sed -n 's/.*msg="listening".* port=\([0-9]*\).*/\1/p' "$demo/ordercored.log")
	[ -n "$port" ] && break
	kill -0 $pid 2>/dev/null || { cat "$demo/ordercored.log" >&2; exit 1; }
	sleep 0.01
done
[ -n "$port" ] || { echo "run_demo.sh: ordercored did not start" >&2; exit 1; }
echo "ordercored listening on 127.0.0.1:$port (log: $demo/ordercored.log)"
status=0
"$build/loadgen/ordercore-loadgen" --connect "127.0.0.1:$port" --dataset "$demo/data" \
	--orders "$orders" --connections 16 --seed 1 --json "$build/flash-sale.json" || status=$?
kill -TERM $pid
wait $pid || status=$?
trap - EXIT
grep -E 'msg="(snapshot written|stopped)"' "$demo/ordercored.log" || true
echo "summary: $build/flash-sale.json"
exit $status
