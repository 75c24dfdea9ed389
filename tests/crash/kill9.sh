#!/usr/bin/env bash
# Crash test: the load generator runs a durable flash sale (every command logged, answers
# only once fdatasync'ed) and is killed with SIGKILL at a random moment under load; then the
# engine is recovered from its data directory and every order the dead process had been
# answered about must be there, answered the same, with stock conserved and resubmission
# changing nothing (ordercore-loadgen --verify-acked). Snapshots are taken every 100,000
# commands, so kills land before, during and after them, and recovery starts from a snapshot
# as often as from the log alone. Usage: kill9.sh LOADGEN [CYCLES]
set -euo pipefail
loadgen=$1
cycles=${2:-20}
orders=${ORDERS:-500000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$loadgen" --gen-dataset "$tmp/ds" --skus 5000 --warehouses 4 --stock-per-sku 300 --seed 11 \
	>/dev/null
RANDOM=${SEED:-$$}
passed=0 killed=0 from_snapshot=0
for ((cycle = 1; cycle <= cycles; cycle++)); do
	rm -rf "$tmp/data" "$tmp/acked"
	threads=$(((cycle % 2) * 2 + 1)) # 1 or 3 worker threads
	"$loadgen" --in-process --dataset "$tmp/ds" --orders "$orders" --seed "$cycle" \
		--threads "$threads" --data-dir "$tmp/data" --acked-log "$tmp/acked" --quiet \
		--snapshot-every 100000 \
		2>"$tmp/run.err" &
	pid=$!
	# Under load: after the first answers, a random 0-400 ms later.
	for ((i = 0; i < 12000; i++)); do [ -s "$tmp/acked" ] && break; sleep 0.01; done
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null || true
	if [ ! -e "$tmp/acked" ]; then
		echo "cycle $cycle: the run ended before any answer:" >&2
		cat "$tmp/run.err" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
	if ! "$loadgen" --verify-acked "$tmp/acked" --dataset "$tmp/ds" --data-dir "$tmp/data" \
		--orders "$orders" --threads "$threads" 2>"$tmp/verify.err"; then
		echo "cycle $cycle (threads $threads): FAILED" >&2
		cat "$tmp/verify.err" >&2
		cp -r "$tmp/data" "$tmp/acked" "${KEEP_DIR:-/tmp}/" 2>/dev/null || true
		echo "0 passed, 1 failed"
		exit 1
	fi
	passed=$((passed + 1))
	if grep -q 'snapshot restored' "$tmp/verify.err"; then from_snapshot=$((from_snapshot + 1)); fi
done
echo "kill -9 cycles: $cycles ($killed killed under load, $from_snapshot recovered from a snapshot)"
echo "$passed passed, 0 failed"
