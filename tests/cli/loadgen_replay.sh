#!/usr/bin/env bash
# ordercore-loadgen --replay FILE (docs/loadgen.md, "Replay"): a recorded order stream, in
# process and over TCP against a real ordercored. A hand-written file — a retry of a key, a
# SKU the dataset lacks, a card order, a channel — is answered as its rows say; a generated
# file of a thousand rows over the dataset's SKUs passes every check, the same state hash on
# two topologies, and over TCP at a fixed rate; bad files are refused with the file and line.
# Usage: loadgen_replay.sh LOADGEN ORDERCORED
set -euo pipefail
loadgen=$1
ordercored=$2
. "$(dirname "$0")/daemon_test.sh"
json_has() { grep -q "$1" "$2" || fail "no '$1' in $2: $(cat "$2")"; }

"$loadgen" --gen-dataset "$tmp/ds" --skus 500 --warehouses 3 --stock-per-sku 40 --seed 4 \
	>/dev/null
header=key,customer,channel,country,postal_code,lines,payment
sku() { awk -F, -v n="$1" 'NR == n + 1 {print $1}' "$tmp/ds/skus.csv"; }
cat >"$tmp/few.csv" <<CSV
$header
1,10,web,,,$(sku 1):1,prepaid
2,11,app,,,$(sku 2):2;$(sku 3):1,card
3,12,,,,$(sku 4):1,
1,10,web,,,$(sku 1):1,prepaid
4,13,marketplace,,,999999999:1,prepaid
CSV
expect_status 0 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/few.csv" \
	--json "$tmp/few.json"
grep -q "^replay (in process): 5 commands" "$tmp/out" || fail "summary: $(cat "$tmp/out")"
grep -q "1 lines name SKUs the dataset does not have" "$tmp/err" ||
	fail "the unknown SKU not said: $(cat "$tmp/err")"
for field in '"scenario": "replay"' '"orders": 5,' '"accepted": 3,' '"rejected": 1,' \
	'"unknown_sku": 1' '"duplicates": 1,' '"oversold_units": 0,'; do
	json_has "$field" "$tmp/few.json"
done

# A thousand rows over the dataset's SKUs (1-3 lines each; every 17th a retry of the row five
# before: the same order again).
awk -F, -v header="$header" 'NR > 1 {s[n++] = $1}
	END {print header; srand(7)
		for (k = 1; k <= 1000; k++) {
			if (k % 17 == 0) { row[k] = row[k - 5]; print row[k]; continue }
			lines = s[int(rand() * n)] ":" 1 + int(rand() * 2)
			if (k % 4 == 0) lines = lines ";" s[int(rand() * n)] ":1"
			row[k] = sprintf("%d,%d,%s,,,%s,%s", k, 1 + k % 97, (k % 3 ? "web" : "app"),
				lines, (k % 5 ? "prepaid" : "card"))
			print row[k]
		}}' "$tmp/ds/skus.csv" >"$tmp/many.csv"
hashes=()
for threads in 1 2; do
	expect_status 0 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/many.csv" \
		--threads "$threads" --json "$tmp/many.json" --quiet
	json_has '"orders": 1000,' "$tmp/many.json"
	hashes+=("$(sed -n 's/.*"state_hash": "\([0-9a-f]*\)".*/\1/p' "$tmp/many.json")")
done
[ -n "${hashes[0]}" ] && [ "${hashes[0]}" = "${hashes[1]}" ] ||
	fail "state hashes differ: ${hashes[*]}"

ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" || fail "no daemon"
echo "5001,10,web,,,999999999:1,prepaid" >>"$tmp/many.csv" # a SKU the dataset lacks
expect_status 0 "$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" \
	--replay "$tmp/many.csv" --rate 5000 --json "$tmp/tcp.json" --report "$tmp/tcp.html" \
	--quiet
grep -q '<svg class="chart" id="stock"' "$tmp/tcp.html" || fail "no report"
json_has '"orders": 1001,' "$tmp/tcp.json"
json_has '"unanswered": 0,' "$tmp/tcp.json"
json_has '"key_mismatches": 0,' "$tmp/tcp.json"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "ordercored did not stop cleanly"
daemon_pid=

# Refusals: no --dataset; a bad header; a bad row, with its file and line; an empty file.
expect_status 2 "$loadgen" --in-process --replay "$tmp/few.csv"
grep -q -- "--replay needs --dataset" "$tmp/err" || fail "no --dataset: $(cat "$tmp/err")"
printf 'key,customer,lines\n1,2,3:4\n' >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "bad.csv" "$tmp/err" || fail "bad header: $(cat "$tmp/err")"
printf '%s\n1,10,web,,,%s:1,prepaid\n2,10,web,,,%s:0,prepaid\n' "$header" "$(sku 1)" \
	"$(sku 1)" >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "bad.csv:3: lines are sku:quantity" "$tmp/err" || fail "bad row: $(cat "$tmp/err")"
printf '%s\n1,10,tv,,,%s:1,prepaid\n' "$header" "$(sku 1)" >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "bad.csv:2: channel" "$tmp/err" || fail "bad channel: $(cat "$tmp/err")"
printf '%s\n' "$header" >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "no rows" "$tmp/err" || fail "empty file: $(cat "$tmp/err")"
# A key again with another order: not a retry (the engine would answer key_conflict, or decide
# whichever it saw first); and a key in the players' range.
printf '%s\n1,10,web,,,%s:1,prepaid\n1,12,web,,,%s:1,prepaid\n' "$header" "$(sku 1)" \
	"$(sku 1)" >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "bad.csv: key 1 of row 2 is row 1's with another order" "$tmp/err" ||
	fail "a key with two orders: $(cat "$tmp/err")"
printf '%s\n4611686018427387904,10,web,,,%s:1,prepaid\n' "$header" "$(sku 1)" >"$tmp/bad.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/ds" --replay "$tmp/bad.csv"
grep -q "key: a number from 1 to 2^62 - 1" "$tmp/err" || fail "a key of 2^62: $(cat "$tmp/err")"
echo "1 passed, 0 failed"
