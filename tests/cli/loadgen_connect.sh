#!/usr/bin/env bash
# ordercore-loadgen --connect end to end: a real ordercored on 127.0.0.1 (port 0: the daemon
# picks one and logs it), durable on a data directory; the flash sale over 4 pipelined
# connections passes its checks (exit 0) and says every command was answered once; then,
# through the daemon's queries, every order is there as answered, every SKU of the dataset
# reconciles with the stock and the units sold, and the daemon's counters agree (only the state
# hash is not checked); the acked log it wrote over TCP verifies against the daemon's data
# directory after a clean stop (SIGTERM, exit 0). Also: the mode's usage errors and a refused
# connection exit 2.
# Usage: loadgen_connect.sh LOADGEN ORDERCORED
set -euo pipefail
loadgen=$1
ordercored=$2
. "$(dirname "$0")/daemon_test.sh"

"$loadgen" --gen-dataset "$tmp/ds" --skus 2000 --warehouses 6 --stock-per-sku 50 --seed 5 \
	>/dev/null

# Usage errors need no daemon.
expect_status 0 "$loadgen" --help
grep -q -- "--connect HOST:PORT" "$tmp/out" || fail "--help does not name --connect"
grep -q -- "--pipeline" "$tmp/out" || fail "--help does not name --pipeline"
expect_status 2 "$loadgen" --connect 127.0.0.1:7411 --orders 10
grep -q -- "--dataset" "$tmp/err" || fail "--connect without --dataset not explained"
expect_status 2 "$loadgen" --connect nonsense --dataset "$tmp/ds"
grep -q "HOST:PORT" "$tmp/err" || fail "a bad --connect address not explained"
expect_status 2 "$loadgen" --in-process --pipeline 8 --dataset "$tmp/ds"
expect_status 2 "$loadgen" --connect 127.0.0.1:7411 --dataset "$tmp/ds" --data-dir "$tmp/x"

# The daemon: port 0, durable (sync) on a fresh data directory.
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --data-dir "$tmp/state" ||
	fail "no daemon"

expect_status 0 "$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 200000 \
	--seed 9 --connections 4 --pipeline 64 --json "$tmp/run.json" --acked-log "$tmp/acked"
grep -q "unanswered 0, answered twice 0, answered out of order 0" "$tmp/out" ||
	fail "the summary does not say every command was answered once: $(cat "$tmp/out")"
grep -q "not checked over TCP (the daemon does not expose it): state hash$" "$tmp/out" ||
	fail "the summary hides what it cannot check: $(cat "$tmp/out")"
grep -q "stock mismatches 0, counter mismatches 0, orders not found or different 0$" \
	"$tmp/out" || fail "the daemon's queries not checked: $(cat "$tmp/out")"
grep -q "^  verified [1-9][0-9]* orders and 2000 SKUs through the daemon's queries in " \
	"$tmp/out" || fail "the verification not said: $(cat "$tmp/out")"
grep -q "p99.9" "$tmp/out" || fail "no latency percentiles in the summary"
for zero in oversold_units unanswered duplicate_answers limit_violations \
	out_of_order_answers key_mismatches; do
	grep -q "\"$zero\": 0," "$tmp/run.json" || fail "$zero is not 0"
done
grep -q '"orders": 200000,' "$tmp/run.json" || fail "orders is not 200000"
# Through the daemon's queries: orders, stock and counters; the state hash is not visible.
for zero in stock_mismatches counter_mismatches order_mismatches; do
	grep -q "\"$zero\": 0," "$tmp/run.json" || fail "$zero is not 0: $(cat "$tmp/err")"
done
grep -q '"verified_orders": [1-9][0-9]*,' "$tmp/run.json" || fail "no order verified"
grep -q '"verified_skus": 2000,' "$tmp/run.json" || fail "not every SKU verified"
grep -q '"state_hash": null,' "$tmp/run.json" || fail "state_hash pretends"
grep -q '"not_checked": \["state_hash"\]$' "$tmp/run.json" ||
	fail "not_checked is not only the state hash: $(grep not_checked "$tmp/run.json")"
grep -q '"out_of_stock": [1-9]' "$tmp/run.json" || fail "nothing sold out"
[ -s "$tmp/acked" ] || fail "no acked log written over TCP"

# The daemon has decided commands now: a second flash sale would count from a wrong start.
expect_status 2 "$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 1000
grep -q "decided" "$tmp/err" || fail "a used daemon not refused: $(cat "$tmp/err")"

kill -TERM "$daemon_pid"
set +e; wait "$daemon_pid"; status=$?; set -e
daemon_pid=
[ "$status" = 0 ] || fail "ordercored exited $status after SIGTERM: $(cat "$tmp/daemon.err")"

# Nobody listens there any more.
expect_status 2 "$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 1000

# Every place the daemon acknowledged is in its data directory, answered the same (the
# daemon's engine holds 1,048,576 orders by default: --orders says so to the recovery).
expect_status 0 "$loadgen" --verify-acked "$tmp/acked" --dataset "$tmp/ds" \
	--data-dir "$tmp/state" --orders 1048576
echo "1 passed, 0 failed"
