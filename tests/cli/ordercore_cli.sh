#!/usr/bin/env bash
# ordercore-cli against a real ordercored on 127.0.0.1 (port 0: the daemon picks one and logs
# it): place (and the retry answered from the first), order by sequence number and by key,
# stock, cancel, restock and write-off, the fulfilment and payment steps, refunds of a
# delivered order (part, a retry, too much, the rest, then none left), the payment state and
# amounts of answers (prices from the dataset's skus.csv), the event stream (events, followed
# while another client places or refunds), the daemon's counters, an order's history (its
# whole life and refunds) and a customer's orders by pages (33 orders: a page and the line
# that asks for the next, then the last), inventory administration (a SKU's reconciliation
# before and after orders allocated and picked, cycle counts up, down, stale, below what
# orders hold and retried, receive as restock's other name, safety stock that turns an order
# away, their stock events; a safety stock's --json answer and event with its counts, no
# money), exceptions and returns (an RMA of part of an order after refused ones, its receipt
# with restock putting the unit back where it shipped from, the refund, an exchange once; a
# delivery exception, a partial refund, a reshipment once; the returns events and the
# exception as a fulfilment event; an RMA cancelled, its cancels event, and another; an RMA of
# a damaged parcel in exception), the pack's quality check (packed --qc-failed:
# refused before the pick and once packed, the order left picked, fulfilment events, its
# history's lines), the fraud screening on the demo's fraud.csv (a clean screened place; holds
# for review, on_hold with their rule, approved or rejected, a card's approval asking its
# authorization; blocked, unserviceable and bad_address refusals; a block list change and its
# undoing; their orders, fulfilment, cancels and blocks events; the screening options' usage
# errors), short picks (a unit re-routed to the other warehouse, units cut and the order
# cancelled once all are; a retry; refusals; their fulfilment events and history lines; usage
# errors), B2B credit on a credit.csv written into the demo dataset (place --account: payment
# on_account, or refused credit_limit over the customer's line or without one; paid: payment
# paid, done before once more, room for the next; an unpaid cancel voided; paid refused for a
# cancelled or prepaid order; the payment as a fulfilment event, its history line; usage
# errors), carriers, documents and waves on a second daemon (pick lists to a documents
# follower, a pack's slip and label, a shipment's invoice, --days), the engine's counters
# there (counters), in readable form and
# --json; exit status 1 for an
# order or SKU that does not exist, 2 for usage errors, a wrong token and a refused
# connection.
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
price() { awk -F, -v sku="$1" '$1 == sku { print $4 }' "$tmp/ds/skus.csv"; } # cents
money() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); } # cents as the cli prints them
# Units of SKU $1 in the warehouse on line $2 (from 0) of warehouses.csv, in the dataset.
on_hand() {
	local code
	code=$(awk -F, -v i="$2" 'NR == i + 2 { print $1 }' "$tmp/ds/warehouses.csv")
	awk -F, -v sku="$1" -v w="$code" '$1 == sku && $2 == w { n = $3 } END { print n + 0 }' \
		"$tmp/ds/stock.csv"
}
# "ON_HAND FREE" of warehouse $1 in the reconcile output in $tmp/out.
recon_row() {
	sed -n "s/^warehouse $1: on hand \([0-9]*\), free \([0-9]*\), .*/\1 \2/p" "$tmp/out"
}
# Waits until the events follower writing to $1 has subscribed after seq $2.
# Starts a follower of the events of KINDS ($1) in the background (its pid in $follower), which
# prints $2 of them into the file $3, and waits until it says it follows from after seq $4 (a
# pattern; default any).
follow() {
	timeout 30 "$cli" "${d[@]}" events --kinds "$1" --count "$2" >"$3" 2>&1 &
	follower=$!
	subscribed "$3" "${4:-[0-9]*}"
}

subscribed() {
	for _ in $(seq 200); do
		grep -q "^events after seq $2:" "$1" && return 0
		sleep 0.05
	done
	fail "events did not subscribe: $(cat "$1")"
}

"$loadgen" --gen-dataset "$tmp/ds" --skus 100 --warehouses 2 --stock-per-sku 10 --seed 4 \
	--screening >/dev/null
# B2B credit (its section below): customer 600 may owe three units of $ca on account; $ca is
# the first SKU of 100092-100099 with no purchase limit and 6 units or more.
ca=$(awk -F, 'FNR == 1 { next } FILENAME ~ /skus/ { if ($6 == 0) ok[$1] = 1; next }
	{ n[$1] += $3 } END { for (s = 100092; s < 100100; s++) if (ok[s] && n[s] >= 6) {
		print s; exit } }' "$tmp/ds/skus.csv" "$tmp/ds/stock.csv")
[ -n "$ca" ] || fail "no SKU in 100092-100099 without a purchase limit and with 6 units"
printf 'customer,credit_limit_cents\n600,%d\n' $((3 * $(price "$ca"))) >"$tmp/ds/credit.csv"
. "$(dirname "$0")/../../scripts/ordercored_start.sh"
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --token s3 \
	--customer-index 1 || fail "no daemon"
pid=$daemon_pid
d=(--connect "127.0.0.1:$port" --token s3)

run 0 --help
has "order --key K"
has "review --key K --customer C approve|reject"
has "block --operator O --email TEXT|--card-fp TEXT|--address TEXT \[--remove\]"
has "short-pick --key K --customer C --order OK --warehouse W \[--backorder\] SKU:MISSING \.\.\."
has "place --key K --customer C \[--region R\] \[--card|--account\] \[--replaces OK\]"
has "^  paid --key K --customer C$"
amount1=$((2 * $(price 100001) + $(price 100002))) # order 1's amount, cents
run 0 "${d[@]}" place --key 7 --customer 3 100001:2 100002:1
has "^accepted: order 1, .*, payment prepaid, amount $(money $amount1), refunded 0.00 \[seq 1\]$"
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
run 0 "${d[@]}" order --key 7 # a cancelled prepaid order is paid back in full at once
has "^cancelled: order 1, .*payment refunded, amount $(money $amount1), refunded $(money $amount1) "
run 0 "${d[@]}" place --key 8 --customer 1 100003:11
has "rejected (out_of_stock)"
# Events: a follower started first sees the next three decided changes, from other clients.
follow orders,stock 3 "$tmp/events" 8 # it says so first
run 0 "${d[@]}" restock --key 900 --operator 5 --warehouse 1 100003 40
has "^accepted: restock 9 at warehouse 1"
run 0 "${d[@]}" place --key 901 --customer 2 100004:1
run 0 "${d[@]}" write-off --key 902 --operator 5 --warehouse 0 100004 1
has "^accepted: write-off 11 at warehouse 0"
run 0 "${d[@]}" --json write-off --key 903 --operator 5 --warehouse 1 100003 1000
has '"status": "rejected", "reason": "out_of_stock"'
run 0 "${d[@]}" restock --key 900 --operator 5 --warehouse 1 100003 40
has "an earlier command with this key"
run 1 "${d[@]}" restock --key 904 --operator 5 --warehouse 0 5 1
has "unknown_sku"
run 0 "${d[@]}" restock --key 905 --operator 5 --warehouse 7 100003 1
has "rejected (unknown_region)"
run 2 "${d[@]}" restock --key 906 --warehouse 0 100003 1
# Each admin command the daemon answered has its audit line, with what was asked and the
# outcome (a retry too: answered from the first); the places do not.
audited() { # PATTERN: one audit line of the daemon's log matches it
	grep -q "^ts=[0-9T:.-]*Z level=info msg=\"audit\" $1" "$tmp/daemon.err" ||
		fail "no audit line '$1' in: $(grep audit "$tmp/daemon.err")"
}
audited "cmd=restock seq=9 key=900 operator=5 conn=[0-9]* peer=127.0.0.1:[0-9]* sku=100003 quantity=40 warehouse=1 .* status=accepted reason=none$"
audited "cmd=write_off seq=11 key=902 operator=5 .* sku=100004 quantity=1 warehouse=0 .* status=accepted"
audited "cmd=write_off seq=[0-9]* key=903 .* quantity=1000 .* status=rejected reason=out_of_stock$"
audited "cmd=restock seq=9 key=900 .* status=accepted reason=none$"
audited "cmd=restock seq=[0-9]* key=904 .* sku=5 .* status=rejected reason=unknown_sku$"
[ "$(grep -c 'msg="audit" cmd=restock' "$tmp/daemon.err")" = 4 ] ||
	fail "4 restock audit lines expected: $(grep audit "$tmp/daemon.err")"
! grep -q 'msg="audit" cmd=place' "$tmp/daemon.err" || fail "a place was audited"
wait "$follower" || fail "events exited $?: $(cat "$tmp/events")"
[ "$(wc -l <"$tmp/events")" = 4 ] || fail "a line and 3 events expected: $(cat "$tmp/events")"
sed -n 2p "$tmp/events" | grep -q '^customer 5 accepted: restock 9 at warehouse 1 \[seq 9\]$' ||
	fail "restock event: $(cat "$tmp/events")"
sed -n 3p "$tmp/events" | grep -q '^customer 2 accepted: order 10, 1 shipment' ||
	fail "order event: $(cat "$tmp/events")"
sed -n 4p "$tmp/events" | grep -q '^customer 5 accepted: write-off 11 at warehouse 0' ||
	fail "write-off event: $(cat "$tmp/events")"
run 2 "${d[@]}" events --kinds bogus
# Fulfilment of order 10 (key 901): one step at a time, in order only.
run 0 "${d[@]}" picked --key 901 --customer 2
price10=$(price 100004) # order 10's amount: one unit of 100004
[ "$price10" -ge 200 ] || fail "the test wants a price of 2.00 or more for 100004: $price10"
m10=$(money "$price10")
rest10=$((price10 - 100)) # what is left after a refund of 1.00
has "^accepted: order 10, 1 shipment, first warehouse [0-9], picked, payment prepaid, "
has ", amount $m10, refunded 0.00 \[seq 16\]$"
run 0 "${d[@]}" shipped --key 901 --customer 2
has "^rejected (invalid_state): order 10, picked"
run 0 "${d[@]}" packed --key 901 --customer 2
run 0 "${d[@]}" shipped --key 901 --customer 2
has ", shipped, payment prepaid, amount $m10, refunded 0.00 \[seq 19\]"
run 0 "${d[@]}" delivered --key 901 --customer 2
run 0 "${d[@]}" --json delivered --key 901 --customer 2
has '"duplicate": true, .*"state": "delivered", "payment": "prepaid", '
has "\"amount_cents\": $price10, \"refunded_cents\": 0}"
run 0 "${d[@]}" --json order --key 901
has '"status": "accepted", .*"state": "delivered", "payment": "prepaid"'
# Refunds of order 10 (key 901, delivered): 1.00, then the rest; a follower sees both.
follow refunds 2 "$tmp/refunds" 22
run 0 "${d[@]}" refund --key 960 --customer 2 901 100
has "^accepted: refund 23, delivered, payment refunded, amount 1.00, refunded 1.00 \[seq 23\]$"
run 0 "${d[@]}" refund 901 --customer 2 100 --key 960 # options anywhere; a retry of the key
has "^accepted: refund 23, .*refunded 1.00 (the answer to an earlier command with this key)"
run 0 "${d[@]}" refund --key 961 --customer 2 901 "$price10" # more than is left
has "^rejected (bad_amount)"
run 0 "${d[@]}" refund --key 901 --customer 2 901 100 # the order's own key: not a refund's
has "^rejected (key_conflict)"
run 1 "${d[@]}" refund --key 964 --customer 3 901 # another customer's order
has "unknown_order"
run 1 "${d[@]}" refund --key 965 --customer 5 900 # a restock's key
has "unknown_order"
run 2 "${d[@]}" refund --key 967 --customer 2
run 0 "${d[@]}" --json refund --key 962 --customer 2 901 # the rest
has '"status": "accepted", .*"state": "refunded", "payment": "refunded", '
has "\"amount_cents\": $rest10, \"refunded_cents\": $price10}"
run 0 "${d[@]}" order --key 901
has "^accepted: order 10, 1 shipment, first warehouse [0-9], refunded, payment refunded, "
has ", amount $m10, refunded $m10 \[seq 30\]$"
run 0 "${d[@]}" refund --key 963 --customer 2 901 1 # nothing left to refund
has "^rejected (invalid_state)"
wait "$follower" || fail "events exited $?: $(cat "$tmp/refunds")"
[ "$(wc -l <"$tmp/refunds")" = 3 ] || fail "a line and 2 refunds expected: $(cat "$tmp/refunds")"
first="customer 2 accepted: refund 23, delivered, payment refunded, amount 1.00, refunded 1.00"
sed -n 2p "$tmp/refunds" | grep -q "^$first \[seq 23\]$" ||
	fail "first refund event: $(cat "$tmp/refunds")"
second="customer 2 accepted: refund 29, refunded, payment refunded, amount $(money "$rest10")"
sed -n 3p "$tmp/refunds" | grep -q "^$second, refunded $m10 \[seq 29\]$" ||
	fail "second refund event: $(cat "$tmp/refunds")"
run 0 "${d[@]}" stock 100003 --warehouse 1
has "^stock at warehouse 1: [0-9]* free, 0 allocated"
run 0 "${d[@]}" --json stock 100004 --warehouse 0
has '"warehouse": 0, "free": [0-9]*, "allocated": 0}'
run 0 "${d[@]}" stock 100003 --warehouse 9
has "rejected (unknown_region)"
run 1 "${d[@]}" stock 5 --warehouse 0
# A card order waits for its payment.
run 0 "${d[@]}" place --card --key 950 --customer 7 100005:1
has ", payment_pending, payment pending, amount $(money "$(price 100005)"), refunded 0.00 \["
run 0 "${d[@]}" picked --key 950 --customer 7
has "rejected (invalid_state)"
run 0 "${d[@]}" authorized --key 950 --customer 7
has ", allocated, payment authorized, "
run 0 "${d[@]}" refund --key 966 --customer 7 950 # not delivered
has "^rejected (invalid_state)"
run 0 "${d[@]}" declined --key 950 --customer 7
has "rejected (invalid_state)"
run 1 "${d[@]}" picked --key 999 --customer 2
has "unknown_order"
run 2 "${d[@]}" picked --key 901
run 0 "${d[@]}" stats
has "^commands  *41$"
run 0 "${d[@]}" --json stats
has '"commands": 41, "answers": 41,'
# Order 10's history: a line per change, oldest first (the refused and repeated steps and
# the refused refunds changed nothing), then the order.
t='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z' # UTC
run 0 "${d[@]}" history --key 901
[ "$(wc -l <"$tmp/out")" = 8 ] || fail "7 changes and the order expected: $(cat "$tmp/out")"
sed -n 1p "$tmp/out" | grep -q "^$t seq 10 place: allocated$" || fail "place: $(cat "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^$t seq 16 picked: picked$" || fail "picked: $(cat "$tmp/out")"
sed -n 5p "$tmp/out" | grep -q "^$t seq 20 delivered: delivered$" ||
	fail "delivered: $(cat "$tmp/out")"
sed -n 6p "$tmp/out" | grep -q "^$t seq 23 refund: delivered, amount 1.00$" ||
	fail "first refund: $(cat "$tmp/out")"
sed -n 7p "$tmp/out" | grep -q "^$t seq 29 refund: refunded, amount $(money "$rest10")$" ||
	fail "second refund: $(cat "$tmp/out")"
sed -n 8p "$tmp/out" | grep -q "^accepted: order 10, .*, refunded, payment refunded, amount $m10, " ||
	fail "the order: $(cat "$tmp/out")"
run 0 "${d[@]}" --json history --key 901
has '^{"history": \[{"seq": 10, "ts_ms": [0-9]*, "type": "place", "status": "accepted", '
has '"reason": "none", "state": "allocated", "amount_cents": 0}, {"seq": 16, '
has "\"type\": \"refund\", \"status\": \"accepted\", \"reason\": \"none\", \"state\": \"refunded\", \"amount_cents\": $rest10}\], "
has '"more": false, "seq": [0-9]*, "key": 901, "customer": 2, '
has "\"state\": \"refunded\", \"payment\": \"refunded\", \"amount_cents\": $price10, \"refunded_cents\": $price10}$"
run 1 "${d[@]}" history --key 99999
has "^rejected (unknown_order) \[seq [0-9]*\]$"
run 2 "${d[@]}" history 10
# A customer's orders: customer 2 has one; customer 40 places 33, a page of 32 and the last.
run 0 "${d[@]}" orders --customer 2
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "one order expected: $(cat "$tmp/out")"
has "^key 901 accepted: order 10, .*, refunded, payment refunded, amount $m10, refunded $m10 \[last change $t\]$"
for i in $(seq 0 32); do
	run 0 "${d[@]}" place --key $((5000 + i)) --customer 40 $((100040 + i)):1
done
run 0 "${d[@]}" orders --customer 40
[ "$(wc -l <"$tmp/out")" = 33 ] || fail "32 orders and a line expected: $(cat "$tmp/out")"
sed -n 1p "$tmp/out" | grep -q "^key 5032 accepted: order [0-9]*, 1 shipment, .*, allocated, " ||
	fail "the newest first: $(cat "$tmp/out")"
sed -n 32p "$tmp/out" | grep -q "^key 5001 " || fail "the page's last: $(cat "$tmp/out")"
sed -n 33p "$tmp/out" | grep -q "^more: ordercore-cli orders --customer 40 --before 5001$" ||
	fail "how to ask for more: $(cat "$tmp/out")"
run 0 "${d[@]}" orders --customer 40 --before 5001
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "the last order expected: $(cat "$tmp/out")"
has "^key 5000 accepted: order "
run 0 "${d[@]}" --json orders --customer 40
has '^{"seq": [0-9]*, "customer": 40, "status": "accepted", "reason": "none", "orders": \[{"seq": '
has '"key": 5032, "customer": 40, "ts_ms": [0-9]*, "order_seq": '
has '"more": true, "next_before": 5001}$'
[ "$(grep -o '"key": ' "$tmp/out" | wc -l)" = 32 ] || fail "32 orders expected: $(cat "$tmp/out")"
run 0 "${d[@]}" --json orders --customer 40 --before 5001
has '"key": 5000, .*\], "more": false}$'
run 0 "${d[@]}" orders --customer 41
has "^no orders \[seq [0-9]*\]$"
run 1 "${d[@]}" orders --customer 40 --before 901 # customer 2's order
has "unknown_order"
run 2 "${d[@]}" orders --before 5001

# Inventory administration. SKU 100090 over the two warehouses: a line each, then the totals.
sku=100090
on0=$(on_hand $sku 0)
on1=$(on_hand $sku 1)
total=$((on0 + on1))
[ "$total" -ge 5 ] || fail "the test wants 5 units of $sku or more: $total"
run 0 "${d[@]}" reconcile $sku
[ "$(wc -l <"$tmp/out")" = 4 ] || fail "2 warehouses and 2 lines of totals expected: $(cat "$tmp/out")"
has "^warehouse 0: on hand $on0, free $on0, allocated 0, picked 0, balanced$"
has "^warehouse 1: on hand $on1, free $on1, allocated 0, picked 0, balanced$"
has "^total: on hand $total, free $total, allocated 0, picked 0, balanced$"
has "^available $total, safety stock 0 \[seq [0-9]*\]$"
# An order of 2 picked and one of 1 only allocated.
run 0 "${d[@]}" place --key 7000 --customer 70 $sku:2
run 0 "${d[@]}" picked --key 7000 --customer 70
run 0 "${d[@]}" place --key 7001 --customer 71 $sku:1
run 0 "${d[@]}" reconcile $sku
has "^total: on hand $total, free $((total - 3)), allocated 1, picked 2, balanced$"
run 0 "${d[@]}" --json reconcile $sku
has "^{\"seq\": [0-9]*, \"sku\": $sku, \"status\": \"accepted\", \"reason\": \"none\", \"warehouses\": \[{\"warehouse\": 0, \"on_hand\": $on0, \"free\": [0-9]*, \"allocated\": [0-9]*, \"picked\": [0-9]*, \"balanced\": true}, {\"warehouse\": 1, \"on_hand\": $on1, "
has "\"balanced\": true}\], \"on_hand\": $total, \"free\": $((total - 3)), \"allocated\": 1, \"picked\": 2, \"balanced\": true, \"available\": [0-9]*, \"safety\": 0, \"rows_match_totals\": true}$"
# The warehouse where the orders hold units (hw) and the other (ow), as reconcile shows them.
run 0 "${d[@]}" reconcile $sku
read -r h0 f0 <<<"$(recon_row 0)"
read -r h1 f1 <<<"$(recon_row 1)"
if [ "$f0" -lt "$h0" ]; then hw=0 hh=$h0 hf=$f0 ow=1 oh=$h1 of=$f1; else hw=1 hh=$h1 hf=$f1 ow=0 oh=$h0 of=$f0; fi
[ "$hf" -lt "$hh" ] || fail "no units held in either warehouse: $(cat "$tmp/out")"
# Cycle counts: nothing counted where orders hold units is refused; every free unit gone is not.
run 0 "${d[@]}" adjust --key 7010 --operator 5 --warehouse $hw --expected "$hh" $sku 0
has "^rejected (out_of_stock): cycle count [0-9]* at warehouse $hw \[seq [0-9]*\]$"
run 0 "${d[@]}" adjust --key 7011 --operator 5 --warehouse $hw --expected "$hh" $sku $((hh - hf))
has "^accepted: cycle count [0-9]* at warehouse $hw \[seq [0-9]*\]$"
# A follower of stock events sees the next count and the safety stock, nothing in between.
follow stock 2 "$tmp/stock"
run 0 "${d[@]}" adjust --key 7012 --operator 5 --warehouse $ow --expected "$oh" $sku $((oh + 5))
has "^accepted: cycle count [0-9]* at warehouse $ow \[seq [0-9]*\]$"
up_seq=$(sed -n 's/.*\[seq \([0-9]*\)\]$/\1/p' "$tmp/out")
run 0 "${d[@]}" adjust --key 7013 --operator 5 --warehouse $ow --expected "$oh" $sku 1 # read before
has "^rejected (stale_count): cycle count [0-9]* at warehouse $ow "
run 0 "${d[@]}" --json adjust --expected "$oh" --key 7012 --operator 5 --warehouse $ow $sku $((oh + 5))
has "\"order_seq\": $up_seq, \"status\": \"accepted\", \"reason\": \"none\", \"duplicate\": true, "
run 0 "${d[@]}" reconcile $sku
has "^warehouse $hw: on hand $((hh - hf)), free 0, allocated [0-9]*, picked [0-9]*, balanced$"
has "^warehouse $ow: on hand $((oh + 5)), free $((of + 5)), "
has "^total: on hand $((hh - hf + oh + 5)), free $((of + 5)), allocated 1, picked 2, balanced$"
# Safety stock: SKU 100091 keeps 3 of its units from orders.
sku2=100091
t2=$(($(on_hand $sku2 0) + $(on_hand $sku2 1)))
run 0 "${d[@]}" safety --operator 5 $sku2 3
has "^accepted: safety stock of SKU $sku2 set to 3 units \[seq [0-9]*\]$"
wait "$follower" || fail "events exited $?: $(cat "$tmp/stock")"
[ "$(wc -l <"$tmp/stock")" = 3 ] || fail "a line and 2 events expected: $(cat "$tmp/stock")"
sed -n 2p "$tmp/stock" | grep -q "^customer 5 accepted: cycle count $up_seq at warehouse $ow \[seq $up_seq\]$" ||
	fail "cycle count event: $(cat "$tmp/stock")"
sed -n 3p "$tmp/stock" | grep -q '^customer 5 accepted: safety stock \[seq [0-9]*\]$' ||
	fail "safety stock event: $(cat "$tmp/stock")"
run 0 "${d[@]}" place --key 7020 --customer 72 $sku2:$((t2 - 2))
has "^rejected (out_of_stock)"
run 0 "${d[@]}" place --key 7021 --customer 72 $sku2:$((t2 - 3))
has "^accepted: order "
run 0 "${d[@]}" reconcile $sku2
has "^total: on hand $t2, free 3, allocated $((t2 - 3)), picked 0, balanced$"
has "^available 3, safety stock 3 \[seq [0-9]*\]$"
# A safety stock's answer and event, --json: the units available and the safety stock after
# it (packed in refunded_cents), no money fields.
set +e
timeout 30 "$cli" "${d[@]}" --json events --kinds stock --count 1 >"$tmp/safety" 2>&1 &
follower=$!
set -e
# --json prints no "events after" line to wait for: set it again until the follower has one.
for _ in $(seq 100); do
	run 0 "${d[@]}" --json safety --operator 5 $sku2 0
	kill -0 "$follower" 2>/dev/null || break
	sleep 0.1
done
has '^{"sku": 100091, "units": 0, "seq": [0-9]*, "key": 0, "customer": 5, .*"status": "accepted", "reason": "none", '
has '"state": "[a-z_]*", "available": 3, "safety": 0}$'
grep -q 'payment\|amount_cents\|refunded_cents' "$tmp/out" && fail "safety stock money: $(cat "$tmp/out")"
wait "$follower" || fail "events exited $?: $(cat "$tmp/safety")"
grep -q '^{"type": 19, "seq": [0-9]*, "key": 0, "customer": 5, .*"available": 3, "safety": 0}$' \
	"$tmp/safety" || fail "safety stock event: $(cat "$tmp/safety")"
grep -q 'payment\|amount_cents\|refunded_cents' "$tmp/safety" &&
	fail "safety stock event money: $(cat "$tmp/safety")"
run 1 "${d[@]}" safety --operator 5 5 1
has "^rejected (unknown_sku): safety stock of SKU 5 \[seq [0-9]*\]$"
# receive: restock's other name.
run 0 "${d[@]}" receive --key 7030 --operator 5 --warehouse $ow $sku 4
has "^accepted: restock [0-9]* at warehouse $ow \[seq [0-9]*\]$"
run 0 "${d[@]}" reconcile $sku
has "^warehouse $ow: on hand $((oh + 9)), free $((of + 9)), "
run 1 "${d[@]}" reconcile 5
has "^rejected (unknown_sku) \[seq [0-9]*\]$"
run 1 "${d[@]}" --json reconcile 5
has '^{"seq": [0-9]*, "sku": 5, "status": "rejected", "reason": "unknown_sku", "warehouses": \[\]}$'
run 1 "${d[@]}" adjust --key 7031 --operator 5 --warehouse 0 --expected 0 5 1
has "unknown_sku"
run 2 "${d[@]}" adjust --key 7032 --operator 5 --warehouse 0 $sku 1 # no --expected
run 2 "${d[@]}" restock --key 7033 --operator 5 --warehouse 0 --expected 1 $sku 1
run 2 "${d[@]}" safety --key 7034 --operator 5 $sku 1
run 2 "${d[@]}" safety $sku 1
run 2 "${d[@]}" reconcile
run 2 "${d[@]}" reconcile $sku --warehouse 0 # every warehouse, or stock --warehouse
run 2 "${d[@]}" reconcile $sku --key 1
run 2 "${d[@]}" reconcile $sku --customer 1
run 2 "${d[@]}" reconcile $sku --operator 5
# Exceptions and returns. Order 8000 (customer 80): a unit of $ra and one of $rb, delivered; a
# return of the $ra unit (after refused ones), received with restock: back on hand where it
# shipped from; the refund of it; an exchange, free, once. A follower sees the RMA and its
# receipt as returns events.
ra=100095 rb=100096 rc=100097
pa=$(price $ra)
run 0 "${d[@]}" place --key 8000 --customer 80 $ra:1 $rb:1
for step in picked packed shipped delivered; do run 0 "${d[@]}" $step --key 8000 --customer 80; done
has ", delivered, payment prepaid, amount $(money $((pa + $(price $rb)))), refunded 0.00 \["
follow returns 2 "$tmp/returns"
run 0 "${d[@]}" return --key 8001 --customer 80 --order 8000 --reason damaged $rc:1 # not in it
has "^rejected (unknown_sku): return [0-9]* \[seq [0-9]*\]$"
run 0 "${d[@]}" return --key 8002 --customer 80 --order 8000 --reason damaged $ra:2 # 1 in it
has "^rejected (bad_quantity): return "
run 1 "${d[@]}" return --key 8003 --customer 80 --order 99999 --reason other $ra:1
has "unknown_order"
run 2 "${d[@]}" return --key 8004 --customer 80 --order 8000 $ra:1 # no reason
run 2 "${d[@]}" return --key 8004 --customer 80 --order 8000 --reason broken $ra:1
run 2 "${d[@]}" return --key 8004 --customer 80 --order 8000 --reason other
run 2 "${d[@]}" cancel --key 8000 --customer 80 --reason other
run 0 "${d[@]}" return --key 8005 --customer 80 --order 8000 --reason not-wanted $ra:1
has "^accepted: return [0-9]*, 1 warehouse, first warehouse [01], return_requested, value $(money "$pa") \[seq [0-9]*\]$"
rma_seq=$(sed -n 's/^accepted: return \([0-9]*\), .*/\1/p' "$tmp/out")
rw=$(sed -n 's/.*, first warehouse \([01]\), .*/\1/p' "$tmp/out") # where the unit shipped from
ow=$((1 - rw))
run 0 "${d[@]}" return --order 8000 --key 8005 --customer 80 --reason not-wanted $ra:1 # a retry
has "^accepted: return $rma_seq, .*return_requested, value $(money "$pa") (the answer to an earlier command with this key) \["
run 0 "${d[@]}" --json return --key 8005 --customer 80 --order 8000 --reason not-wanted $ra:1
has "\"order_seq\": $rma_seq, \"status\": \"accepted\", .*\"duplicate\": true, \"shipments\": 1, \"warehouse\": $rw, \"state\": \"return_requested\", \"payment\": \"none\", \"amount_cents\": $pa, "
run 0 "${d[@]}" return --key 8006 --customer 80 --order 8000 --reason other $rb:1 # one at a time
has "^rejected (invalid_state): return "
run 0 "${d[@]}" refund --key 8007 --customer 80 8000 # the goods are not back yet
has "^rejected (invalid_state)"
run 0 "${d[@]}" order --key 8000
has ", return_requested, payment prepaid, "
run 0 "${d[@]}" stock $ra --warehouse "$rw"
free_rw=$(sed -n 's/^stock at warehouse [01]: \([0-9]*\) free, .*/\1/p' "$tmp/out")
run 0 "${d[@]}" stock $ra --warehouse "$ow"
free_ow=$(sed -n 's/^stock at warehouse [01]: \([0-9]*\) free, .*/\1/p' "$tmp/out")
run 1 "${d[@]}" received --key 8000 --customer 80 --restock # the order's key, not the RMA's
has "^rejected (unknown_order)"
run 0 "${d[@]}" received --key 8001 --customer 80 --restock # a refused RMA
has "^rejected (invalid_state): return "
run 2 "${d[@]}" received --key 8005 --customer 80 --restock extra
run 2 "${d[@]}" restock --key 8008 --operator 5 --warehouse 0 --restock $ra 1
run 0 "${d[@]}" received --key 8005 --customer 80 --restock
has "^accepted: return $rma_seq, 1 warehouse, first warehouse $rw, returned, value $(money "$pa") \[seq [0-9]*\]$"
recv_seq=$(sed -n 's/.*\[seq \([0-9]*\)\]$/\1/p' "$tmp/out")
run 0 "${d[@]}" received --key 8005 --customer 80 --restock
has "^accepted: return $rma_seq, .*, returned, value $(money "$pa") (done before) \[seq "
run 0 "${d[@]}" stock $ra --warehouse "$rw" # back on hand where it shipped from
has "^stock at warehouse $rw: $((free_rw + 1)) free, "
run 0 "${d[@]}" stock $ra --warehouse "$ow"
has "^stock at warehouse $ow: $free_ow free, "
run 0 "${d[@]}" order --key 8000
has ", returned, payment prepaid, amount $(money $((pa + $(price $rb)))), refunded 0.00 \["
run 0 "${d[@]}" refund --key 8009 --customer 80 8000 "$pa"
has "^accepted: refund [0-9]*, returned, payment refunded, amount $(money "$pa"), refunded $(money "$pa") \["
run 2 "${d[@]}" place --key 8010 --customer 80 --card --replaces 8000 $ra:1
run 2 "${d[@]}" cancel --key 8010 --customer 80 --replaces 8000
run 0 "${d[@]}" place --key 8010 --customer 80 --replaces 8000 $ra:1 # an exchange
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, payment prepaid, amount 0.00, refunded 0.00 \[seq [0-9]*\]$"
run 0 "${d[@]}" place --key 8011 --customer 80 --replaces 8000 $ra:1 # once
has "^rejected (invalid_state): order "
run 0 "${d[@]}" history --key 8000
has "^$t seq $rma_seq return: return_requested$"
has "^$t seq $recv_seq received: returned$"
has "^$t seq [0-9]* refund: returned, amount $(money "$pa")$"
wait "$follower" || fail "events exited $?: $(cat "$tmp/returns")"
[ "$(wc -l <"$tmp/returns")" = 3 ] || fail "a line and 2 events expected: $(cat "$tmp/returns")"
sed -n 2p "$tmp/returns" | grep -q "^customer 80 accepted: return $rma_seq, 1 warehouse, first warehouse $rw, return_requested, value $(money "$pa") \[seq $rma_seq\]$" ||
	fail "RMA event: $(cat "$tmp/returns")"
sed -n 3p "$tmp/returns" | grep -q "^customer 80 accepted: return $rma_seq, .*, returned, value $(money "$pa") \[seq $recv_seq\]$" ||
	fail "receipt event: $(cat "$tmp/returns")"
# Order 8020 (customer 81): shipped, lost in transit (a fulfilment event), a part refunded,
# reshipped once.
pc=$(price $rc)
[ "$pc" -ge 200 ] || fail "the test wants a price of 2.00 or more for $rc: $pc"
run 0 "${d[@]}" place --key 8020 --customer 81 $rc:1
run 0 "${d[@]}" picked --key 8020 --customer 81
run 0 "${d[@]}" packed --key 8020 --customer 81
run 0 "${d[@]}" exception --key 8020 --customer 81 lost # not shipped yet
has "^rejected (invalid_state): order [0-9]*, packed, payment prepaid, "
run 0 "${d[@]}" shipped --key 8020 --customer 81
follow fulfilment 1 "$tmp/lost"
run 2 "${d[@]}" exception --key 8020 --customer 81 broken
run 2 "${d[@]}" exception --key 8020 --customer 81
run 0 "${d[@]}" exception --key 8020 --customer 81 lost
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], exception, payment prepaid, amount $(money "$pc"), refunded 0.00 \[seq [0-9]*\]$"
lost_line=$(sed 's/ \[seq [0-9]*\]$//' "$tmp/out")
run 0 "${d[@]}" exception --key 8020 --customer 81 lost
has ", exception, .* (done before) \["
run 0 "${d[@]}" --json exception --key 8020 --customer 81 damaged # the state it is in: a repeat
has '"duplicate": true, .*"state": "exception", "payment": "prepaid"'
run 0 "${d[@]}" delivered --key 8020 --customer 81
has "^rejected (invalid_state)"
run 0 "${d[@]}" refund --key 8021 --customer 81 8020 100
has "^accepted: refund [0-9]*, exception, payment refunded, amount 1.00, refunded 1.00 \["
run 0 "${d[@]}" place --key 8022 --customer 81 --replaces 8020 $rc:1 # a reshipment
has "^accepted: order [0-9]*, .*, allocated, payment prepaid, amount 0.00, refunded 0.00 \["
run 0 "${d[@]}" place --key 8023 --customer 81 --replaces 8020 $rc:1
has "^rejected (invalid_state)"
run 0 "${d[@]}" order --key 8020
has ", exception, payment refunded, amount $(money "$pc"), refunded 1.00 \["
wait "$follower" || fail "events exited $?: $(cat "$tmp/lost")"
[ "$(wc -l <"$tmp/lost")" = 2 ] || fail "a line and 1 event expected: $(cat "$tmp/lost")"
sed -n 2p "$tmp/lost" | grep -qF "customer 81 $lost_line" || fail "exception event: $(cat "$tmp/lost")"
# Order 8030 (customer 82): the pack's quality check. Refused before the pick; a failed
# check leaves the picked order picked, twice (fulfilment events, lines of its history);
# then packed; a failed check of the packed order refused.
run 0 "${d[@]}" place --key 8030 --customer 82 100098:1
run 0 "${d[@]}" packed --key 8030 --customer 82 --qc-failed
has "^rejected (invalid_state): order [0-9]*, allocated, payment prepaid, "
run 0 "${d[@]}" picked --key 8030 --customer 82
follow fulfilment 2 "$tmp/qc"
run 2 "${d[@]}" picked --key 8030 --customer 82 --qc-failed
run 2 "${d[@]}" packed --key 8030 --customer 82 --qc-failed extra
run 0 "${d[@]}" packed --key 8030 --customer 82 --qc-failed
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], picked (QC failed), payment prepaid, amount $(money "$(price 100098)"), refunded 0.00 \[seq [0-9]*\]$"
qc_seq=$(sed -n 's/.*\[seq \([0-9]*\)\]$/\1/p' "$tmp/out")
qc_line=$(cat "$tmp/out")
run 0 "${d[@]}" --json packed --qc-failed --key 8030 --customer 82 # again: not a duplicate
has '"status": "accepted", .*"duplicate": false, .*"state": "picked", "payment": "prepaid"'
run 0 "${d[@]}" packed --key 8030 --customer 82
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], packed, payment prepaid, "
grep -q QC "$tmp/out" && fail "a pack done is not a failed check: $(cat "$tmp/out")"
run 0 "${d[@]}" packed --key 8030 --customer 82 --qc-failed # packed: not a retry of the pack
has "^rejected (invalid_state): order [0-9]*, packed, payment prepaid, "
run 0 "${d[@]}" history --key 8030
[ "$(wc -l <"$tmp/out")" = 6 ] || fail "5 changes and the order expected: $(cat "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^$t seq [0-9]* picked: picked$" || fail "picked: $(cat "$tmp/out")"
sed -n 3p "$tmp/out" | grep -q "^$t seq $qc_seq packed (QC failed): picked$" ||
	fail "failed check: $(cat "$tmp/out")"
sed -n 4p "$tmp/out" | grep -q "^$t seq [0-9]* packed (QC failed): picked$" ||
	fail "second failed check: $(cat "$tmp/out")"
sed -n 5p "$tmp/out" | grep -q "^$t seq [0-9]* packed: packed$" || fail "packed: $(cat "$tmp/out")"
run 0 "${d[@]}" --json history --key 8030
has "{\"seq\": $qc_seq, \"ts_ms\": [0-9]*, \"type\": \"packed\", \"status\": \"accepted\", \"reason\": \"none\", \"state\": \"picked\", \"amount_cents\": 0, \"qc_failed\": true}"
has '"type": "packed", "status": "accepted", "reason": "none", "state": "packed", "amount_cents": 0}\]'
wait "$follower" || fail "events exited $?: $(cat "$tmp/qc")"
[ "$(wc -l <"$tmp/qc")" = 3 ] || fail "a line and 2 events expected: $(cat "$tmp/qc")"
sed -n 2p "$tmp/qc" | grep -qF "customer 82 $qc_line" || fail "failed check event: $(cat "$tmp/qc")"
sed -n 3p "$tmp/qc" | grep -q "^customer 82 accepted: .*, picked (QC failed), " ||
	fail "second failed check event: $(cat "$tmp/qc")"
# Order 8040 (customer 83): delivered, an RMA cancelled before its goods come back (a cancels
# event, told from an order's by its payment none), the order delivered again and another RMA;
# order 8050: in exception, damaged, and an RMA of it (the parcel sent back).
rd=100099
pd=$(price $rd)
run 0 "${d[@]}" place --key 8040 --customer 83 $rd:1
for step in picked packed shipped delivered; do run 0 "${d[@]}" $step --key 8040 --customer 83; done
run 0 "${d[@]}" return --key 8041 --customer 83 --order 8040 --reason not-wanted $rd:1
rma2_seq=$(sed -n 's/^accepted: return \([0-9]*\), .*/\1/p' "$tmp/out")
[ -n "$rma2_seq" ] || fail "RMA 8041: $(cat "$tmp/out")"
follow cancels 1 "$tmp/rmacancel"
run 0 "${d[@]}" cancel --key 8041 --customer 83
has "^cancelled: return $rma2_seq, value $(money "$pd") \[seq [0-9]*\]$"
cancel_seq=$(sed -n 's/.*\[seq \([0-9]*\)\]$/\1/p' "$tmp/out")
run 0 "${d[@]}" --json cancel --key 8041 --customer 83 # cancelled: not again
has '"status": "rejected", "reason": "not_cancellable", '
wait "$follower" || fail "events exited $?: $(cat "$tmp/rmacancel")"
sed -n 2p "$tmp/rmacancel" |
	grep -q "^customer 83 cancelled: return $rma2_seq, value $(money "$pd") \[seq $cancel_seq\]$" ||
	fail "RMA cancel event: $(cat "$tmp/rmacancel")"
run 0 "${d[@]}" order --key 8040
has ", delivered, payment prepaid, "
run 0 "${d[@]}" received --key 8041 --customer 83
has "^rejected (invalid_state): return "
run 0 "${d[@]}" return --key 8042 --customer 83 --order 8040 --reason other $rd:1 # another
has "^accepted: return [0-9]*, 1 warehouse, .*, return_requested, value $(money "$pd") \["
run 0 "${d[@]}" place --key 8050 --customer 83 $rd:1
for step in picked packed shipped; do run 0 "${d[@]}" $step --key 8050 --customer 83; done
run 0 "${d[@]}" exception --key 8050 --customer 83 damaged
run 0 "${d[@]}" return --key 8051 --customer 83 --order 8050 --reason damaged $rd:1
has "^accepted: return [0-9]*, 1 warehouse, .*, return_requested, value $(money "$pd") \["
run 0 "${d[@]}" --json cancel --key 8051 --customer 83
has "\"key\": 8051, .*\"status\": \"cancelled\", .*\"state\": \"cancelled\", \"payment\": \"none\", \"amount_cents\": $pd, "
run 0 "${d[@]}" order --key 8050 # back in exception
has ", exception, payment prepaid, "
run 0 "${d[@]}" cancel --key 8050 --customer 83 # an order's cancel is still an order's
has "^rejected (not_cancellable): order "
# The fraud screening (the dataset's demo fraud.csv: country_mismatch 30, new_account 40 over
# 500.00 for an account under 30 days; a hold at 50; the block list's fraud@example.com,
# fp_blocked_demo, 1 Blocked Road; JP not served). SKU $hi costs over 500.00, $lo less. A
# clean screened place is allocated; holds (GB billing, US shipping, an account of a day:
# on_hold with the higher rule, new_account) approved (allocated; a card's payment_pending)
# or rejected (cancelled, paid back); refusals; a block list change and its undoing; their
# events; usage errors.
# The first SKU of 100060-100089 whose price (cents, $4 of skus.csv) meets the condition $1.
sku_where() {
	awk -F, "NR > 1 && \$1 >= 100060 && \$1 < 100090 && $1 { print \$1; exit }" "$tmp/ds/skus.csv"
}
hi=$(sku_where '$4 > 50000')
lo=$(sku_where '$4 <= 50000')
[ -n "$hi" ] && [ -n "$lo" ] || fail "no SKUs over and under 500.00 in 100060-100089"
ph=$(price "$hi")
mh=$(money "$ph")
us=(--bill-country US --ship-country US --postal 94105 --account-age-days 400)
held=(--bill-country GB --ship-country US --postal 94105 --account-age-days 1)
run 0 "${d[@]}" place --key 8100 --customer 90 --email ann@example.com --card-fp fp_ann \
	--address "1 Main St" "${us[@]}" "$lo":1
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, payment prepaid, "
has ", amount $(money "$(price "$lo")"), refunded 0.00 \[seq [0-9]*\]$"
follow orders,fulfilment,cancels,blocks 10 "$tmp/fraud"
run 0 "${d[@]}" place --key 8101 --customer 91 "${held[@]}" "$hi":1
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], on_hold (new_account), "
has ", on_hold (new_account), payment prepaid, amount $mh, refunded 0.00 \[seq [0-9]*\]$"
hold_line=$(sed 's/ \[seq [0-9]*\]$//' "$tmp/out")
run 0 "${d[@]}" --json order --key 8101
has '"status": "accepted", "reason": "new_account", .*"state": "on_hold", "payment": "prepaid"'
run 0 "${d[@]}" picked --key 8101 --customer 91 # held: not yet
has "^rejected (invalid_state): order [0-9]*, on_hold, payment prepaid, "
run 0 "${d[@]}" review --key 8101 --customer 91 approve
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, payment prepaid, "
run 0 "${d[@]}" review approve --customer 91 --key 8101
has ", allocated, .* (done before) \["
run 0 "${d[@]}" review --key 8101 --customer 91 reject # approved: too late
has "^rejected (invalid_state): order [0-9]*, allocated, "
run 0 "${d[@]}" place --card --key 8102 --customer 92 "${held[@]}" "$hi":1
has ", on_hold (new_account), payment none, amount $mh, refunded 0.00 \[seq [0-9]*\]$" # not asked
run 0 "${d[@]}" review --key 8102 --customer 92 approve # its authorization is asked now
has ", payment_pending, payment pending, amount $mh, "
run 0 "${d[@]}" place --key 8103 --customer 93 "${held[@]}" "$hi":1
run 0 "${d[@]}" --json review --key 8103 --customer 93 reject
has '"status": "accepted", .*"state": "cancelled", "payment": "refunded", '
has "\"amount_cents\": $ph, \"refunded_cents\": $ph}"
run 0 "${d[@]}" review --key 8103 --customer 93 reject
has "^accepted: order [0-9]*, cancelled, payment refunded, "
has ", amount $mh, refunded $mh (done before) \[seq [0-9]*\]$"
run 0 "${d[@]}" history --key 8103
sed -n 1p "$tmp/out" | grep -q "^$t seq [0-9]* place: on_hold (new_account)$" ||
	fail "hold: $(cat "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^$t seq [0-9]* review reject: cancelled$" ||
	fail "review reject: $(cat "$tmp/out")"
run 1 "${d[@]}" review --key 8199 --customer 93 approve
has "unknown_order"
# Refused whatever the score: the block list (as oc_screen_hash hashes: case, spaces and
# periods do not count), a country not served, a postal code not in the country's format.
run 0 "${d[@]}" place --key 8104 --customer 94 --email Fraud@Example.com "${us[@]}" "$lo":1
has "^rejected (blocked): order "
run 0 "${d[@]}" place --key 8105 --customer 94 --card-fp fp_blocked_demo "${us[@]}" "$lo":1
has "^rejected (blocked)"
run 0 "${d[@]}" place --key 8106 --customer 94 --address "1 blocked  road." "${us[@]}" "$lo":1
has "^rejected (blocked)"
run 0 "${d[@]}" place --key 8107 --customer 94 --bill-country JP --ship-country JP \
	--postal 100-0001 "$lo":1
has "^rejected (unserviceable)"
run 0 "${d[@]}" --json place --key 8108 --customer 94 --bill-country US --ship-country US \
	--postal ABC "$lo":1
has '"status": "rejected", "reason": "bad_address", '
run 0 "${d[@]}" place --key 8109 --customer 94 --bill-country CA --ship-country CA \
	--postal "K1A 0B1" --account-age-days 400 "$lo":1
has "^accepted: order [0-9]*, .*, allocated, "
# The block list changed by operator 5: eve is blocked, then not.
run 0 "${d[@]}" block --operator 5 --email eve@example.com
has "^accepted: block email eve@example.com \[seq [0-9]*\]$"
block_seq=$(sed -n 's/.*\[seq \([0-9]*\)\]$/\1/p' "$tmp/out")
run 0 "${d[@]}" place --key 8110 --customer 95 --email eve@example.com "${us[@]}" "$lo":1
has "^rejected (blocked)"
run 0 "${d[@]}" --json block --operator 5 --email eve@example.com --remove
has '^{"block": "email", "hash": "[0-9a-f]\{16\}", "remove": true, "seq": [0-9]*, "key": 0, '
has '"customer": 5, .*"status": "accepted"'
run 0 "${d[@]}" place --key 8111 --customer 95 --email EVE@example.com "${us[@]}" "$lo":1
has "^accepted: order [0-9]*, .*, allocated, "
run 0 "${d[@]}" block --operator 5 --card-fp fp_nobody --remove # not there: nothing to do
has "^accepted: unblock card-fp fp_nobody \["
wait "$follower" || fail "events exited $?: $(cat "$tmp/fraud")"
[ "$(wc -l <"$tmp/fraud")" = 11 ] || fail "a line and 10 events expected: $(cat "$tmp/fraud")"
sed -n 2p "$tmp/fraud" | grep -qF "customer 91 $hold_line" || fail "hold event: $(cat "$tmp/fraud")"
sed -n 3p "$tmp/fraud" | grep -q "^customer 91 accepted: .*, allocated, " ||
	fail "approval event: $(cat "$tmp/fraud")"
sed -n 5p "$tmp/fraud" | grep -q "^customer 92 accepted: .*, payment_pending, payment pending, " ||
	fail "card approval event: $(cat "$tmp/fraud")"
sed -n 7p "$tmp/fraud" | grep -q "^customer 93 accepted: order [0-9]*, cancelled, payment " ||
	fail "rejection event: $(cat "$tmp/fraud")"
sed -n 8p "$tmp/fraud" | grep -q "^customer 94 accepted: .*, allocated, " ||
	fail "CA order event: $(cat "$tmp/fraud")"
sed -n 9p "$tmp/fraud" | grep -q "^customer 5 accepted: block list \[seq $block_seq\]$" ||
	fail "block event: $(cat "$tmp/fraud")"
sed -n 10p "$tmp/fraud" | grep -q "^customer 5 accepted: block list \[seq [0-9]*\]$" ||
	fail "unblock event: $(cat "$tmp/fraud")"
sed -n 11p "$tmp/fraud" | grep -q "^customer 95 accepted: .*, allocated, " ||
	fail "eve's order event: $(cat "$tmp/fraud")"
# What the screening's options take, and which commands take them.
run 2 "${d[@]}" place --key 8120 --customer 96 --bill-country us "$lo":1
grep -q "two upper-case letters" "$tmp/err" || fail "--bill-country us: $(cat "$tmp/err")"
run 2 "${d[@]}" place --key 8120 --customer 96 --ship-country USA "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --postal 12345678901 "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --postal 941_05 "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --account-age-days 65536 "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --email "" "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --screen --replaces 8000 "$lo":1
run 2 "${d[@]}" place --key 8120 --customer 96 --remove "$lo":1
run 2 "${d[@]}" cancel --key 8100 --customer 90 --email ann@example.com
run 2 "${d[@]}" review --key 8100 --customer 90 --postal 94105 approve
run 2 "${d[@]}" review --key 8101 --customer 91
run 2 "${d[@]}" review --key 8101 --customer 91 maybe
run 2 "${d[@]}" block --operator 5
run 2 "${d[@]}" block --operator 5 --email a@b.c --card-fp fp
run 2 "${d[@]}" block --email a@b.c
run 2 "${d[@]}" block --operator 5 --key 3 --email a@b.c
run 2 "${d[@]}" events --kinds blocks,bogus
run 2 "${d[@]}" events --kinds returns,bogus
# Short picks. $sb: the first SKU of 100010-100039 with 3 units or more in each warehouse, $s1
# the first with 3 or more in one and none in the other (the demo stocks some SKUs in both,
# some in one), each with a purchase limit of 3 or none. Order 8200 (2 $sb, from one
# warehouse $sw): a unit missing there is re-routed to the other; order 8210 (2 $s1): a unit
# cut, its value paid back, then the other, the order cancelled. Refusals; their fulfilment
# events and history lines; usage errors.
sku_in() { # $1: how many warehouses have the SKU; $2: the first SKU tried (100010)
	awk -F, -v n="$1" -v from="${2:-100010}" 'FNR == 1 { next }
		FILENAME ~ /skus/ { if ($6 == 0 || $6 >= 3) ok[$1] = 1; next }
		$3 >= 3 { w[$1]++ } $3 > 0 && $3 < 3 { low[$1] = 1 }
		END { for (s = from; s < from + 30; s++)
			if (ok[s] && w[s] == n && !low[s]) { print s; exit } }' \
		"$tmp/ds/skus.csv" "$tmp/ds/stock.csv"
}
sb=$(sku_in 2)
s1=$(sku_in 1)
[ -n "$sb" ] && [ -n "$s1" ] || fail "no SKUs in both warehouses and in one in 100010-100039"
ps=$(price "$s1")
follow fulfilment 4 "$tmp/short"
run 0 "${d[@]}" place --key 8200 --customer 97 "$sb":2
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, "
sw=$(sed -n 's/.*, first warehouse \([01]\), .*/\1/p' "$tmp/out")
run 0 "${d[@]}" short-pick --key 8201 --customer 97 --order 8200 --warehouse "$sw" "$sb":1
has "^accepted: short pick [0-9]*, 2 shipments, first warehouse $sw, allocated, cut 0.00 \[seq "
sp_seq=$(sed -n 's/^accepted: short pick \([0-9]*\), .*/\1/p' "$tmp/out")
reroute_line=$(sed 's/ \[seq [0-9]*\]$//' "$tmp/out")
run 0 "${d[@]}" short-pick "$sb":1 --order 8200 --warehouse "$sw" --key 8201 --customer 97
has "^accepted: short pick $sp_seq, .*, cut 0.00 (the answer to an earlier command with this key) "
run 0 "${d[@]}" --json short-pick --key 8201 --customer 97 --order 8200 --warehouse "$sw" "$sb":1
has "\"order_seq\": $sp_seq, \"status\": \"accepted\", \"reason\": \"none\", \"duplicate\": true, "
has "\"shipments\": 2, \"warehouse\": $sw, \"state\": \"allocated\", \"payment\": \"none\", "
has '"amount_cents": 0, "refunded_cents": 0}$'
run 0 "${d[@]}" stock "$sb" --warehouse $((1 - sw)) # the unit is held there now
has "^stock at warehouse $((1 - sw)): [0-9]* free, 1 allocated "
run 0 "${d[@]}" order --key 8200
has ", 2 shipments, first warehouse $sw, allocated, payment prepaid, "
run 0 "${d[@]}" place --key 8210 --customer 98 "$s1":2
w1=$(sed -n 's/.*, first warehouse \([01]\), .*/\1/p' "$tmp/out")
[ -n "$w1" ] || fail "order 8210: $(cat "$tmp/out")"
run 0 "${d[@]}" short-pick --key 8211 --customer 98 --order 8210 --warehouse "$w1" "$s1":1
has "^accepted: short pick [0-9]*, 1 shipment, first warehouse $w1, allocated, cut "
has ", allocated, cut $(money "$ps") \[seq [0-9]*\]$"
run 0 "${d[@]}" order --key 8210
has ", allocated, payment refunded, amount $(money $((2 * ps))), refunded $(money "$ps") \["
run 0 "${d[@]}" short-pick --key 8212 --customer 98 --order 8210 --warehouse "$w1" "$s1":1
has "^accepted: short pick [0-9]*, cancelled, cut $(money "$ps") \[seq [0-9]*\]$"
run 0 "${d[@]}" order --key 8210
m1=$(money $((2 * ps)))
has "^cancelled: order [0-9]*, payment refunded, amount $m1, refunded $m1 \["
run 0 "${d[@]}" history --key 8210
[ "$(wc -l <"$tmp/out")" = 4 ] || fail "3 changes and the order expected: $(cat "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^$t seq [0-9]* short pick: allocated, cut $(money "$ps")$" ||
	fail "short pick: $(cat "$tmp/out")"
sed -n 3p "$tmp/out" | grep -q "^$t seq [0-9]* short pick: cancelled, cut $(money "$ps")$" ||
	fail "the last short pick: $(cat "$tmp/out")"
run 0 "${d[@]}" --json history --key 8210
has "\"type\": \"short pick\", \"status\": \"cancelled\", \"reason\": \"none\", \"state\": \"cancelled\", \"amount_cents\": $ps}"
run 0 "${d[@]}" picked --key 8200 --customer 97
run 0 "${d[@]}" short-pick --key 8220 --customer 97 --order 8200 --warehouse "$sw" "$sb":1
has "^rejected (invalid_state): short pick [0-9]*, picked \[seq "
run 0 "${d[@]}" place --key 8230 --customer 99 "$s1":2
run 0 "${d[@]}" short-pick --key 8231 --customer 99 --order 8230 --warehouse $((1 - w1)) "$s1":1
has "^rejected (unknown_sku): short pick [0-9]*, allocated \[" # none of it there
run 0 "${d[@]}" short-pick --key 8232 --customer 99 --order 8230 --warehouse "$w1" "$s1":3
has "^rejected (bad_quantity): short pick "
run 0 "${d[@]}" short-pick --key 8233 --customer 99 --order 8230 --warehouse 7 "$s1":1
has "^rejected (unknown_region): short pick "
run 1 "${d[@]}" short-pick --key 8234 --customer 98 --order 8230 --warehouse "$w1" "$s1":1
has "^rejected (unknown_order) \["
run 0 "${d[@]}" order --key 8230
has ", 1 shipment, first warehouse $w1, allocated, payment prepaid, .*, refunded 0.00 \["
wait "$follower" || fail "events exited $?: $(cat "$tmp/short")"
[ "$(wc -l <"$tmp/short")" = 5 ] || fail "a line and 4 events expected: $(cat "$tmp/short")"
sed -n 2p "$tmp/short" | grep -qF "customer 97 $reroute_line" ||
	fail "re-route event: $(cat "$tmp/short")"
sed -n 3p "$tmp/short" | grep -q "^customer 98 accepted: short pick [0-9]*, 1 shipment, " ||
	fail "cut event: $(cat "$tmp/short")"
sed -n 4p "$tmp/short" | grep -q "^customer 98 accepted: short pick [0-9]*, cancelled, cut " ||
	fail "the last cut's event: $(cat "$tmp/short")"
sed -n 5p "$tmp/short" | grep -q "^customer 97 accepted: order [0-9]*, 2 shipments, .*, picked, " ||
	fail "pick event: $(cat "$tmp/short")"
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --order 8200 "$sb":1 # no --warehouse
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --warehouse 0 "$sb":1 # no --order
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --order 8200 --warehouse 0 # no line
run 2 "${d[@]}" short-pick --customer 97 --order 8200 --warehouse 0 "$sb":1 # no key
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --order 8200 --warehouse 65536 "$sb":1
grep -q "warehouse" "$tmp/err" || fail "--warehouse 65536: $(cat "$tmp/err")"
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --order 8200 --warehouse 0 --reason other \
	"$sb":1
grep -q "return's" "$tmp/err" || fail "--reason: $(cat "$tmp/err")"
run 2 "${d[@]}" short-pick --key 8240 --customer 97 --order 8200 --warehouse 0 "$sb"
run 2 "${d[@]}" picked --key 8200 --customer 97 --backorder
grep -q "short-pick's" "$tmp/err" || fail "--backorder: $(cat "$tmp/err")"
# Backorders: order 8250 (2 $s2, a SKU only one warehouse has, $w2) short of one unit with
# --backorder keeps it: its pick refused backordered, its answers say so, until a restock at
# the other warehouse fills it (the order then ships from both).
s2=$(sku_in 1 100040)
[ -n "$s2" ] || fail "no SKU in one warehouse in 100040-100069"
run 0 "${d[@]}" place --key 8250 --customer 96 "$s2":2
w2=$(sed -n 's/.*, first warehouse \([01]\), .*/\1/p' "$tmp/out")
[ -n "$w2" ] || fail "order 8250: $(cat "$tmp/out")"
run 0 "${d[@]}" short-pick --backorder --key 8252 --customer 96 --order 8250 --warehouse "$w2" \
	"$s2":1
has "^accepted: short pick [0-9]*, 1 shipment, first warehouse $w2, allocated, cut 0.00, backordered 1 \[seq "
run 0 "${d[@]}" order --key 8250
has "^accepted: order [0-9]*, 1 shipment, first warehouse $w2, allocated (backordered), payment prepaid, amount $(money $((2 * $(price "$s2")))), refunded 0.00 \["
run 0 "${d[@]}" picked --key 8250 --customer 96 # answered: 0
has "^rejected (backordered): order [0-9]*, "
run 0 "${d[@]}" restock --key 8253 --operator 5 --warehouse $((1 - w2)) "$s2" 1
run 0 "${d[@]}" history --key 8250
has " short pick: allocated, cut 0.00$"
has " backorder filled (restock): allocated$"
run 0 "${d[@]}" order --key 8250
has "^accepted: order [0-9]*, 2 shipments, first warehouse [01], allocated, payment prepaid, "
run 0 "${d[@]}" picked --key 8250 --customer 96
has ", picked, "
# B2B credit (the dataset's credit.csv, written above: customer 600 may owe 3 units of $ca).
# Two on account; two more refused credit_limit, one without a credit line too; the first
# paid (the state unchanged; done before once more), which makes room for two again; those
# cancelled unpaid (the invoice void); paid refused for them and for a prepaid order; the
# payment a fulfilment event; its history line; usage errors.
m2=$(money $((2 * $(price "$ca"))))
follow fulfilment 1 "$tmp/credit"
run 0 "${d[@]}" place --account --key 8300 --customer 600 "$ca":2
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, payment on_account, "
has ", payment on_account, amount $m2, refunded 0.00 \[seq [0-9]*\]$"
run 0 "${d[@]}" --json order --key 8300
has '"state": "allocated", "payment": "on_account", '
run 0 "${d[@]}" place --account --key 8301 --customer 600 "$ca":2
has "^rejected (credit_limit): order [0-9]* \[seq [0-9]*\]$"
run 0 "${d[@]}" --json place --account --key 8302 --customer 601 "$ca":1 # no credit line
has '"status": "rejected", "reason": "credit_limit", .*"payment": "none", "amount_cents": 0, '
run 0 "${d[@]}" paid --key 8300 --customer 600
has "^accepted: order [0-9]*, 1 shipment, first warehouse [01], allocated, payment paid, "
has ", payment paid, amount $m2, refunded 0.00 \[seq [0-9]*\]$"
paid_line=$(sed 's/ \[seq [0-9]*\]$//' "$tmp/out")
run 0 "${d[@]}" paid --customer 600 --key 8300
has ", payment paid, amount $m2, refunded 0.00 (done before) \[seq [0-9]*\]$"
run 0 "${d[@]}" --json paid --key 8300 --customer 600
has '"duplicate": true, .*"state": "allocated", "payment": "paid", '
run 0 "${d[@]}" place --account --key 8303 --customer 600 "$ca":2 # room again
has ", allocated, payment on_account, amount $m2, "
run 0 "${d[@]}" cancel --key 8303 --customer 600
has "^cancelled: order [0-9]*, payment voided, amount $m2, refunded 0.00 \[seq [0-9]*\]$"
run 0 "${d[@]}" paid --key 8303 --customer 600
has "^rejected (invalid_state): order [0-9]*, cancelled, payment voided, "
run 0 "${d[@]}" paid --key 8200 --customer 97 # prepaid
has "^rejected (invalid_state): order [0-9]*, picked, payment prepaid, "
run 1 "${d[@]}" paid --key 8399 --customer 600
has "unknown_order"
run 0 "${d[@]}" history --key 8300
[ "$(wc -l <"$tmp/out")" = 3 ] || fail "2 changes and the order expected: $(cat "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q "^$t seq [0-9]* paid: allocated$" || fail "paid: $(cat "$tmp/out")"
sed -n 3p "$tmp/out" | grep -q ", allocated, payment paid, amount $m2, " ||
	fail "the order: $(cat "$tmp/out")"
wait "$follower" || fail "events exited $?: $(cat "$tmp/credit")"
[ "$(wc -l <"$tmp/credit")" = 2 ] || fail "a line and 1 event expected: $(cat "$tmp/credit")"
sed -n 2p "$tmp/credit" | grep -qF "customer 600 $paid_line" ||
	fail "payment event: $(cat "$tmp/credit")"
run 2 "${d[@]}" place --account --card --key 8310 --customer 600 "$ca":1
grep -q "account" "$tmp/err" || fail "--account --card: $(cat "$tmp/err")"
run 2 "${d[@]}" place --account --replaces 8300 --key 8310 --customer 600 "$ca":1
run 2 "${d[@]}" cancel --account --key 8300 --customer 600
grep -q "place's" "$tmp/err" || fail "--account on cancel: $(cat "$tmp/err")"
run 2 "${d[@]}" paid --key 8300
run 2 "${d[@]}" paid --key 8300 --customer 600 "$ca":1
run 1 "${d[@]}" order 999
has "unknown_order"
run 1 "${d[@]}" order --key 999
run 1 "${d[@]}" stock 5
has "unknown_sku"
run 2 "${d[@]}" bogus
run 2 "${d[@]}" place --key 9 100001:1
run 2 "${d[@]}" order 1 --key 7
# Numbers are decimal digits only: no blank or sign in front (" -1" is not 2^64 - 1).
run 2 "${d[@]}" order " -1"
grep -q "not a whole number: ' -1'" "$tmp/err" || fail "' -1': $(cat "$tmp/err")"
run 2 "${d[@]}" order " 1"
run 2 "${d[@]}" order +1
run 2 "${d[@]}" cancel --key -1 --customer 3
run 2 "${d[@]}" cancel --key 7 --customer " 3"
# A region is a u16: 65536 is refused, not cut to 0.
run 2 "${d[@]}" place --key 9001 --customer 3 --region 65536 100001:1
grep -q "region" "$tmp/err" || fail "--region 65536: $(cat "$tmp/err")"
# --order is return's even when it is 0.
run 2 "${d[@]}" cancel --key 7 --customer 3 --order 0
grep -q "return's" "$tmp/err" || fail "--order 0: $(cat "$tmp/err")"
run 2 --connect "127.0.0.1:$port" --token wrong stock 100001
grep -q "token" "$tmp/err" || fail "a wrong token not explained: $(cat "$tmp/err")"
kill -TERM "$pid"
wait "$pid" || fail "ordercored did not stop cleanly"
pid=
run 2 --connect "127.0.0.1:$port" stock 100001

# Carriers, documents and waves: a demo dataset with carriers.csv and rates.csv, a daemon with
# waves of two orders. Two orders fill a wave: its pick list reaches a documents follower
# (pick lines, then the wave); a pick before the release is refused. A pack prints its slip
# and label (a service within the --days asked), a shipment its invoice (also --json); the
# follower sees them too. Usage errors: --days out of 1-7, with --replaces, on another command.
"$loadgen" --gen-dataset "$tmp/dsc" --skus 20 --warehouses 2 --stock-per-sku 50 --seed 4 \
	--carriers >/dev/null
ordercored_start "$tmp/daemon2.err" "$ordercored" --dataset "$tmp/dsc" --wave-orders-max 2 \
	--wave-cutoff-ms 3600000 || fail "no daemon with carriers"
pid=$daemon_pid
d=(--connect "127.0.0.1:$port")
follow documents 6 "$tmp/docs"
# The analytics follow the same: 11 events (2 orders, a pick, a pack, a shipment, 3 pick list
# rows, a slip, a label, an invoice line).
timeout 30 "$cli" "${d[@]}" analytics --count 11 --handling-cents 25 >"$tmp/analytics" 2>&1 &
analytics=$!
subscribed "$tmp/analytics" "[0-9]*"
run 0 "${d[@]}" place --key 1 --customer 5 --days 2 --channel web 100001:1
has "^accepted: order 1, .*allocated"
run 0 "${d[@]}" picked --key 1 --customer 5
has "rejected (invalid_state)"
run 0 "${d[@]}" place --key 2 --customer 6 --channel app 100002:2
run 0 "${d[@]}" picked --key 1 --customer 5
has "^accepted: order 1, .*picked"
run 0 "${d[@]}" packed --key 1 --customer 5
has "^slip    warehouse [01]: sku 100001 x 1 at $(money "$(awk -F, '$1 == 100001 { print $4 }' "$tmp/dsc/skus.csv")")"
has "^label   warehouse [01]: tracking [0-9]\{20\}, service [0-9], zone [1-8], [12] days\?, "
has "^accepted: order 1, .*packed"
run 0 "${d[@]}" --json shipped --key 1 --customer 5
has '^{"documents": \[{"document": "invoice", .*"sku": 100001, "quantity": 1, '
has '"state": "shipped"'
wait "$follower" || fail "events exited $?: $(cat "$tmp/docs")"
grep -c "^pick    wave 1, warehouse [01]: sku 10000[12] x [12] for order [12] (customer [56], released)" \
	"$tmp/docs" | grep -q "^2$" || fail "pick lines: $(cat "$tmp/docs")"
grep -q "^wave 1 released at warehouse [01]: 2 orders, 2 lines " "$tmp/docs" ||
	fail "the wave: $(cat "$tmp/docs")"
grep -q "^label " "$tmp/docs" && grep -q "^invoice " "$tmp/docs" ||
	fail "documents events: $(cat "$tmp/docs")"
wait "$analytics" || fail "analytics exited $?: $(cat "$tmp/analytics")"
label_cost=$(sed -n 's/^label .*, cost \([0-9]*\)\.\([0-9]*\) .*/\1\2/p' "$tmp/docs")
cost=$((10#$label_cost + 25)) # cents: the label and one packed line at 0.25
grep -q "^web  *1  *0  *0  *1  *[0-9]*  *[0-9]*  *[0-9]*  *0\.0%  *0\.0%  *$(money $cost)$" \
	"$tmp/analytics" || fail "analytics, web ($(money $cost) an order): $(cat "$tmp/analytics")"
grep -q "^app  *1  *0  *0  *0 " "$tmp/analytics" || fail "analytics, app: $(cat "$tmp/analytics")"
grep -q "^cycle time histogram (1 shipments timed, 0 not" "$tmp/analytics" ||
	fail "analytics, cycle time: $(cat "$tmp/analytics")"
run 2 "${d[@]}" place --key 4 --customer 5 --channel tv 100001:1
grep -q "marketplace" "$tmp/err" || fail "--channel tv: $(cat "$tmp/err")"
run 2 "${d[@]}" analytics --kinds orders
run 2 "${d[@]}" place --key 3 --customer 5 --days 8 100001:1
grep -q "1-7" "$tmp/err" || fail "--days 8: $(cat "$tmp/err")"
run 2 "${d[@]}" place --key 3 --customer 5 --days 2 --replaces 1 100001:1
grep -q "speed" "$tmp/err" || fail "--days --replaces: $(cat "$tmp/err")"
run 2 "${d[@]}" picked --key 2 --customer 6 --days 2
# The engine's counters at the end: orders 1 and 2, order 1 shipped with one label, its pick
# before the wave's release refused; a line each, "name value", or one JSON object.
run 0 "${d[@]}" counters
has "^accepted 2$"
has "^cancelled 0$"
has "^shipped 1$"
has "^labels 1$"
has "^rejected_invalid_state 1$"
has "^held_new_account 0$"
[ "$(wc -l <"$tmp/out")" = "$(grep -c "^[a-z_]* [0-9]*$" "$tmp/out")" ] ||
	fail "counters: a line is not 'name value': $(cat "$tmp/out")"
run 0 "${d[@]}" --json counters
has '^{"accepted": 2, "cancelled": 0, "duplicates": 0, '
has '"rejected_invalid_state": 1, '
has '"held_backordered": 0}$'
run 2 "${d[@]}" counters --key 1
kill -TERM "$pid"
wait "$pid" || fail "ordercored with carriers did not stop cleanly"
pid=
echo "ordercore-cli: ok"
