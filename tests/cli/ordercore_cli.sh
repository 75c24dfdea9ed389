#!/usr/bin/env bash
# ordercore-cli against a real ordercored on 127.0.0.1 (port 0: the daemon picks one and logs
# it): place (and the retry answered from the first), order by sequence number and by key,
# stock, cancel, the daemon's counters, in readable form and --json; exit status 1 for an order or SKU that does not
# exist, 2 for usage errors, a wrong token and a refused connection.
# Usage: ordercore_cli.sh CLI ORDERCORED LOADGEN (the load generator writes the dataset)
set -euo pipefail
cli=$1
ordercored=$2
loadgen=$3
tmp=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { # expected status, then the arguments; output in $tmp/out
	local want=$1; shift
	set +e; "$cli" "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
	[ "$got" = "$want" ] || fail "ordercore-cli $* exited $got, not $want: $(cat "$tmp/out" "$tmp/err")"
}
has() { grep -q -- "$1" "$tmp/out" || fail "expected '$1' in: $(cat "$tmp/out")"; }

"$loadgen" --gen-dataset "$tmp/ds" --skus 100 --warehouses 2 --stock-per-sku 10 --seed 4 >/dev/null
. "$(dirname "$0")/../../scripts/ordercored_start.sh"
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --token s3 || fail "no daemon"
pid=$daemon_pid
d=(--connect "127.0.0.1:$port" --token s3)

run 0 --help
has "order --key K"
run 0 "${d[@]}" place --key 7 --customer 3 100001:2 100002:1
has "^accepted: order 1, "
run 0 "${d[@]}" place --key 7 --customer 3 100001:2
has "an earlier command with this key"
run 0 "${d[@]}" order 1
has "^accepted: order 1"
run 0 "${d[@]}" --json order --key 7
has '"order_seq": 1, "status": "accepted"'
run 0 "${d[@]}" --json stock 100001
has '"allocated": 2}'
run 0 "${d[@]}" cancel --key 7 --customer 3
has "^cancelled: order 1"
run 0 "${d[@]}" order --key 7
has "^cancelled"
run 0 "${d[@]}" place --key 8 --customer 1 100003:11
has "rejected (out_of_stock)"
run 0 "${d[@]}" stats
has "^commands  *8$"
run 0 "${d[@]}" --json stats
has '"commands": 8, "answers": 8,'
run 1 "${d[@]}" order 999
has "unknown_order"
run 1 "${d[@]}" order --key 999
run 1 "${d[@]}" stock 5
has "unknown_sku"
run 2 "${d[@]}" bogus
run 2 "${d[@]}" place --key 9 100001:1
run 2 "${d[@]}" order 1 --key 7
run 2 --connect "127.0.0.1:$port" --token wrong stock 100001
grep -q "token" "$tmp/err" || fail "a wrong token not explained: $(cat "$tmp/err")"
kill -TERM "$pid"
wait "$pid" || fail "ordercored did not stop cleanly"
pid=
run 2 --connect "127.0.0.1:$port" stock 100001
echo "ordercore-cli: ok"
