#!/usr/bin/env bash
# Crash test through the network: ordercored (durable, sync) is killed with SIGKILL while
# ordercore-loadgen --connect streams a flash sale at it over 8 pipelined connections and logs
# every acknowledged order (--acked-log); then the daemon's data directory is recovered and
# every acknowledged order must be there, answered the same, with stock conserved and
# resubmission changing nothing (ordercore-loadgen --verify-acked), and ordercored must start
# again on it, where the reconciliation of the busiest SKUs balances in every warehouse (on
# hand = free + allocated + picked) with their on hand still the dataset's (a flash sale ships
# nothing). Usage: kill9_daemon.sh LOADGEN ORDERCORED CLI [CYCLES]
set -euo pipefail
loadgen=$1
ordercored=$2
cli=$3
cycles=${4:-5}
orders=${ORDERS:-1000000}
tmp=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$loadgen" --gen-dataset "$tmp/ds" --skus 5000 --warehouses 4 --stock-per-sku 300 --seed 13 \
	>/dev/null
. "$(dirname "$0")/../../scripts/ordercored_start.sh"
start_daemon() { # sets pid and port
	ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --data-dir "$tmp/data" \
		--orders-max "$orders" --snapshot-every 200000 || fail "no daemon"
	pid=$daemon_pid
}
# The first SKUs of the catalog (the flash sale's hottest): each reconciliation balances, its
# pages add up to its totals, and on hand is what stock.csv holds.
reconcile_hot() {
	local sku want out
	for sku in $(awk -F, 'NR > 1 && NR <= 6 {print $1}' "$tmp/ds/skus.csv"); do
		want=$(awk -F, -v s="$sku" '$1 == s {n += $3} END {print n + 0}' "$tmp/ds/stock.csv")
		out=$("$cli" --connect "127.0.0.1:$port" --json reconcile "$sku") ||
			fail "cycle $1: reconcile $sku failed: $out"
		case $out in
		*'"balanced": false'*) fail "cycle $1: SKU $sku does not balance: $out" ;;
		*'"rows_match_totals": true'*) ;;
		*) fail "cycle $1: SKU $sku: rows and totals differ: $out" ;;
		esac
		[ "$(printf '%s' "$out" | sed -n 's/.*\], "on_hand": \([0-9]*\),.*/\1/p')" = "$want" ] ||
			fail "cycle $1: SKU $sku: on hand is not the dataset's $want: $out"
	done
}
RANDOM=${SEED:-$$}
for ((cycle = 1; cycle <= cycles; cycle++)); do
	rm -rf "$tmp/data" "$tmp/acked"
	start_daemon
	"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders "$orders" \
		--seed "$cycle" --connections 8 --acked-log "$tmp/acked" --quiet \
		>/dev/null 2>"$tmp/load.err" &
	load=$!
	for ((i = 0; i < 3000; i++)); do [ -s "$tmp/acked" ] && break; sleep 0.01; done
	sleep "0.$(printf '%03d' $((RANDOM % 300)))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	wait "$load" 2>/dev/null || true # it ends with a connection error (exit 2)
	[ -s "$tmp/acked" ] || fail "cycle $cycle: nothing was acknowledged before the kill;" \
		"load generator: $(cat "$tmp/load.err"); daemon: $(tail -5 "$tmp/daemon.err")"
	"$loadgen" --verify-acked "$tmp/acked" --dataset "$tmp/ds" --data-dir "$tmp/data" \
		--orders "$orders" >"$tmp/verify.out" 2>"$tmp/verify.err" ||
		fail "cycle $cycle: $(cat "$tmp/verify.out" "$tmp/verify.err")"
	start_daemon # and the daemon itself starts on what is left
	grep -q 'msg="recovered"' "$tmp/daemon.err" || fail "cycle $cycle: no recovery line"
	reconcile_hot "$cycle"
	kill -TERM "$pid"
	wait "$pid" || fail "cycle $cycle: ordercored did not stop cleanly"
	pid=
	echo "cycle $cycle: $(cat "$tmp/verify.out")"
done
echo "$cycles passed, 0 failed"
