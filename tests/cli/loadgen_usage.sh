#!/usr/bin/env bash
# ordercore-loadgen's command line: --help exits 0 and names the modes, bad input exits 2
# with a message, --gen-dataset writes the screening's files only with --screening, a bad
# dataset is reported with its file and line.
set -euo pipefail
loadgen=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_status() { # status, then the command
	local want=$1; shift
	set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, not $want: $(cat "$tmp/err")"
}

expect_status 0 "$loadgen" --help
grep -q -- "--in-process" "$tmp/out" || fail "--help does not name --in-process"
expect_status 2 "$loadgen" --bogus
expect_status 2 "$loadgen" --in-process --orders abc
grep -q "orders" "$tmp/err" || fail "bad --orders not explained"
expect_status 2 "$loadgen" --in-process --scenario nope
expect_status 2 "$loadgen"
expect_status 0 "$loadgen" --gen-dataset "$tmp/d" --skus 10 --warehouses 2
[ -s "$tmp/d/skus.csv" ] && [ -s "$tmp/d/stock.csv" ] || fail "dataset not written"
[ ! -e "$tmp/d/fraud.csv" ] || fail "screening written without --screening"
expect_status 0 "$loadgen" --gen-dataset "$tmp/s" --skus 10 --warehouses 2 --screening
for f in skus.csv fraud.csv countries.csv blocklist.csv; do
	[ -s "$tmp/s/$f" ] || fail "--screening did not write $f"
done
expect_status 2 "$loadgen" --in-process --screening --orders 10
grep -q -- "--screening goes with --gen-dataset" "$tmp/err" || fail "stray --screening not explained"
sed -i '3s/.*/100002,Broken,abc,100,A-1-1,0/' "$tmp/d/skus.csv"
expect_status 2 "$loadgen" --in-process --dataset "$tmp/d" --orders 10
grep -q "skus.csv:3" "$tmp/err" || fail "bad row not located: $(cat "$tmp/err")"
echo "1 passed, 0 failed"
