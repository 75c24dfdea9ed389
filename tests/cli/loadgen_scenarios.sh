#!/usr/bin/env bash
# ordercore-loadgen's lifecycle scenarios against a real ordercored on loopback (docs/loadgen.md,
# "Scenarios and the lifecycle"): steady, peak-season (a short ramp) and returns each run with
# the players answering, exit 0 with every check at 0 in the JSON, and play the life their
# rates call for; peak-season the whole of it: fraud holds reviewed (the dataset screens),
# declines, short picks, failed quality checks, shipments, deliveries, lost or damaged
# parcels, returns received and refunds. Also the usage
# errors: a lifecycle scenario without --connect, and an unknown scenario.
# Usage: loadgen_scenarios.sh LOADGEN ORDERCORED
set -euo pipefail
loadgen=$1
ordercored=$2
. "$(dirname "$0")/daemon_test.sh"
accepted() { # $1: a player's command type in the JSON's lifecycle, $2: the file
	sed -n "s/.*\"$1\": {\"sent\": [0-9]*, \"accepted\": \([0-9]*\).*/\1/p" "$2" | head -1
}
positive() { # $1: what, $2: the number
	[ -n "$2" ] && [ "$2" -gt 0 ] || fail "$scenario: $1 is '$2', not > 0"
}

"$loadgen" --gen-dataset "$tmp/ds" --skus 2000 --warehouses 4 --stock-per-sku 1000 --seed 3 \
	--screening >/dev/null

expect_status 2 "$loadgen" --in-process --scenario steady --dataset "$tmp/ds" --orders 100
grep -q "give --connect" "$tmp/err" || fail "steady in process: $(cat "$tmp/err")"
expect_status 2 "$loadgen" --in-process --scenario bogus --dataset "$tmp/ds" --orders 100
grep -q "unknown scenario 'bogus'" "$tmp/err" || fail "--scenario bogus: $(cat "$tmp/err")"

# One scenario against a new daemon (no waves: the players pick from allocated).
run() { # $1: the scenario, then its options
	scenario=$1; shift
	ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" || fail "no daemon"
	expect_status 0 "$loadgen" --scenario "$scenario" --connect "127.0.0.1:$port" \
		--dataset "$tmp/ds" --orders 20000 --json "$tmp/$scenario.json" "$@"
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || fail "ordercored did not stop cleanly: $(cat "$tmp/daemon.err")"
	daemon_pid=
	local f=$tmp/$scenario.json check
	grep -q "\"scenario\": \"$scenario\"" "$f" || fail "$scenario: the JSON names no scenario"
	grep -q '"lifecycle": {' "$f" || fail "$scenario: no lifecycle in the JSON"
	grep -q '^  lifecycle: ' "$tmp/out" || fail "$scenario: no lifecycle in the summary"
	for check in oversold_units limit_violations unanswered duplicate_answers \
		out_of_order_answers key_mismatches stock_mismatches counter_mismatches \
		order_mismatches; do
		[ "$(json_number "$check" "$f")" = 0 ] ||
			fail "$scenario: $check is $(json_number "$check" "$f"): $(cat "$tmp/err")"
	done
}

# The ramp from 500 a second to 5000 over half the stream: about 4 s in all.
run peak-season --base-rate 500
f=$tmp/peak-season.json
positive "held orders approved" "$(accepted review_approve "$f")"
positive "held orders rejected" "$(accepted review_reject "$f")"
positive "payments declined" "$(accepted payment_declined "$f")"
positive "short picks" "$(accepted pick_short "$f")"
positive "QC failures" "$(json_number qc_failures "$f")"
positive "shipped" "$(accepted shipped "$f")"
positive "delivered" "$(accepted delivered "$f")"
positive "lost or damaged" "$(accepted delivery_exception "$f")"
positive "returns received" "$(accepted return_received "$f")"
positive "refunds" "$(accepted refund "$f")"

run returns
positive "returns received" "$(accepted return_received "$tmp/returns.json")"

run steady
positive "delivered" "$(accepted delivered "$tmp/steady.json")"
echo "1 passed, 0 failed"
