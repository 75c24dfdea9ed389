#!/usr/bin/env bash
# The daemon's admin endpoint (docs/operations.md): /metrics scraped with curl during a paced
# load run is well-formed Prometheus text whose counters only grow, and after the run its
# counters equal the load generator's own counts (accepted, cancelled, rejected by reason,
# retries) and each other (commands taken = decided = logged = durable); /healthz says ok;
# malformed, oversized and wrong-method requests and random bytes get an HTTP error or a close,
# and the endpoint and the daemon go on; an explicit --admin-listen that cannot bind is a usage error;
# --snapshot-interval-ms brings a snapshot once its interval has passed.
# The fulfilment analytics per channel that route keeps for /metrics equal what ordercore-cli
# analytics computes from the event stream over the same lifecycle run, and orders by state
# add up.
# Usage: admin_metrics.sh LOADGEN ORDERCORED CLI
set -euo pipefail
loadgen=$1
ordercored=$2
cli=$3
. "$(dirname "$0")/daemon_test.sh"

"$loadgen" --gen-dataset "$tmp/ds" --skus 2000 --warehouses 4 --stock-per-sku 50 --seed 5 \
	>/dev/null
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --data-dir "$tmp/data" ||
	fail "no daemon"
[ "$admin_port" -gt 0 ] || fail "no admin port in: $(cat "$tmp/daemon.err")"
admin=http://127.0.0.1:$admin_port

scrape() { curl -sS --max-time 5 -o "$1" -w '%{http_code}' "$admin/metrics"; }
# The value of the sample named exactly $1 (name and labels) in file $2.
sample() { awk -v s="$1" '$1 == s { print $2 }' "$2"; }
# Prometheus text format, line by line: comments are HELP or TYPE, each family's TYPE comes
# before its samples, and every sample is a name, optional labels and a number.
well_formed() {
	awk '
	/^# HELP ordercore_[a-z_]+ / { next }
	/^# TYPE ordercore_[a-z_]+ (counter|gauge|histogram)$/ { typed[$3] = 1; next }
	/^ordercore_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.]+(e[+-]?[0-9]+)?$/ {
		name = $1; sub(/\{.*/, "", name)
		base = name; sub(/_(bucket|sum|count)$/, "", base)
		if (!(name in typed) && !(base in typed)) { print "untyped: " $0; bad = 1 }
		next
	}
	{ print "bad line: " $0; bad = 1 }
	END { exit bad }' "$1"
}

# During a run (3 s at 4000 commands a second): a scrape after a second, then scrapes until
# the count of commands taken has grown (a slow fdatasync on a busy machine can hold the
# admission window full for a while), all before the run ends.
"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --rate 4000 --orders 12000 \
	--seed 9 >"$tmp/run.out" 2>"$tmp/run.err" &
run_pid=$!
sleep 1
[ "$(scrape "$tmp/m1")" = 200 ] || fail "scrape during the run: $(cat "$tmp/m1")"
a1=$(sample ordercore_server_commands_total "$tmp/m1")
[ "$a1" -gt 0 ] || fail "no command taken after a second of the run"
a2=$a1
while [ "$a2" = "$a1" ] && kill -0 "$run_pid" 2>/dev/null; do
	sleep 0.2
	[ "$(scrape "$tmp/m2")" = 200 ] || fail "second scrape during the run"
	a2=$(sample ordercore_server_commands_total "$tmp/m2")
done
kill -0 "$run_pid" 2>/dev/null || fail "the run ended before the count grew: $a1 then $a2"
[ "$a2" -gt "$a1" ] || fail "commands taken did not grow during the run: $a1 then $a2"
wait "$run_pid" || fail "load run failed: $(cat "$tmp/run.out" "$tmp/run.err")"
well_formed "$tmp/m1" || fail "malformed exposition (first scrape)"
well_formed "$tmp/m2" || fail "malformed exposition (second scrape)"
# Every counter family only grows between the two scrapes.
join <(grep '_total' "$tmp/m1" | grep -v '^#' | sort) <(grep '_total' "$tmp/m2" | grep -v '^#' | sort) |
	awk '$3 < $2 { print; bad = 1 } END { exit bad }' || fail "a counter went down"

# After the run the daemon is idle, and the figures are exact: they are the load generator's.
sleep 0.3
[ "$(scrape "$tmp/m3")" = 200 ] || fail "scrape after the run"
well_formed "$tmp/m3" || fail "malformed exposition (after the run)"
line=$(grep '^  accepted ' "$tmp/run.out") || fail "no tally in: $(cat "$tmp/run.out")"
accepted=$(sed -n 's/^  accepted \([0-9]*\).*/\1/p' <<<"$line")
cancelled=$(sed -n 's/.*cancelled \([0-9]*\).*/\1/p' <<<"$line")
rejected=$(sed -n 's/.*rejected \([0-9]*\).*/\1/p' <<<"$line")
retried=$(sed -n 's/.*answered from an earlier key \([0-9]*\).*/\1/p' <<<"$line")
check() { # NAME EXPECTED
	local got
	got=$(sample "$1" "$tmp/m3")
	[ "$got" = "$2" ] || fail "$1 is '$got', the load generator counted $2"
}
check ordercore_orders_accepted_total "$accepted"
check ordercore_orders_cancelled_total "$cancelled"
check ordercore_duplicates_total "$retried"
sum=$(awk '/^ordercore_rejections_total\{/ { s += $2 } END { print s + 0 }' "$tmp/m3")
[ "$sum" = "$rejected" ] || fail "rejections sum to $sum, the load generator counted $rejected"
# Rejections by reason, as the load generator lists them under its tally.
while read -r reason count; do
	check "ordercore_rejections_total{reason=\"$reason\"}" "$count"
done < <(sed -n 's/^    \([a-z_]*\) *\([0-9]*\)$/\1 \2/p' "$tmp/run.out")
taken=$(sample ordercore_server_commands_total "$tmp/m3")
check ordercore_server_answers_total "$taken"
check ordercore_decided_seq "$taken"
check ordercore_wal_logged_seq "$taken"
check ordercore_wal_durable_seq "$taken"
check ordercore_wal_durable_lag_commands 0
check 'ordercore_wal_release_seconds_count' "$(sample ordercore_wal_frames_total "$tmp/m3")"
[ "$(sample ordercore_wal_bytes_total "$tmp/m3")" -gt 0 ] || fail "no log bytes"
[ -n "$(sample 'ordercore_ring_high_water{ring="sequencer_journal"}' "$tmp/m3")" ] ||
	fail "no ring high-water mark"
grep -q '^ordercore_stage_batch_messages_bucket{stage="route",worker="[0-9]*",le="+Inf"} [1-9]' \
	"$tmp/m3" || fail "no route batch histogram"

code() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$admin/healthz")" = 200 ] || fail "/healthz not 200"
[ "$(curl -sS "$admin/healthz")" = ok ] || fail "/healthz does not say ok"
[ "$(code "$admin/nope")" = 404 ] || fail "unknown path not 404"
[ "$(code -X POST --data x "$admin/metrics")" = 405 ] || fail "POST not 405"
[ "$(code -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$admin/metrics")" = 431 ] ||
	fail "a 20 KB header not refused with 431"
# Raw requests curl will not send: a bad header, a bad length, an unknown version, garbage.
# The endpoint may answer an error and close before the whole request is written: the rest of
# the write then fails (EPIPE), which is not the test's concern, the answer is.
trap '' PIPE
raw() { # REQUEST: the status line answered, or nothing when the endpoint just closes
	exec 3<>"/dev/tcp/127.0.0.1/$admin_port"
	printf '%b' "$1" >&3 2>/dev/null || true
	timeout 5 head -1 <&3 | tr -d '\r' || true
	exec 3>&-
}
[[ "$(raw 'GET /metrics HTTP/1.1\r\nHost x\r\n\r\n')" == "HTTP/1.1 400"* ]] ||
	fail "a header without a colon not refused with 400"
[[ "$(raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n')" == "HTTP/1.1 400"* ]] ||
	fail "a bad Content-Length not refused with 400"
got=$(raw 'GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n')
[[ "$got" == "HTTP/1.1 505"* ]] ||
	fail "HTTP/9.9 not refused with 505: '$got'"
raw 'GARBAGE\r\n\r\n' >/dev/null
head -c 100000 /dev/urandom >"$tmp/noise"
exec 3<>"/dev/tcp/127.0.0.1/$admin_port"
cat "$tmp/noise" >&3 2>/dev/null || true
exec 3>&-
[ "$(code "$admin/healthz")" = 200 ] || fail "the endpoint stopped serving after bad requests"
kill -0 "$daemon_pid" || fail "the daemon died"
[ "$(scrape "$tmp/m4")" = 200 ] || fail "no scrape after the bad requests"
[ "$(sample ordercore_decided_seq "$tmp/m4")" = "$taken" ] || fail "decided moved with no load"

# Asked for explicitly, an admin address that cannot be had is a usage error (exit 2).
expect_status 2 "$ordercored" --dataset "$tmp/ds" --listen 127.0.0.1:0 \
	--admin-listen "127.0.0.1:$admin_port"
grep -q 'admin: cannot serve' "$tmp/err" || fail "taken admin port: $(cat "$tmp/err")"
expect_status 2 "$ordercored" --dataset "$tmp/ds" --listen 127.0.0.1:0 --admin-listen nowhere:x

# A clean stop with the endpoint up (and the final snapshot written before the scratch
# directory goes).
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon did not stop cleanly: $(tail -3 "$tmp/daemon.err")"
daemon_pid=

# The lifecycle (peak season: holds, card payments, short picks, failed checks, shipments,
# returns) on a new daemon, followed by ordercore-cli analytics from before the first order
# until the daemon stops; then route's figures per channel are the subscriber's.
ordercored_start "$tmp/daemon2.err" "$ordercored" --dataset "$tmp/ds" || fail "no daemon"
admin=http://127.0.0.1:$admin_port
"$cli" --connect "127.0.0.1:$port" --json analytics >"$tmp/analytics.json" 2>"$tmp/analytics.err" &
analytics_pid=$!
for ((i = 0; i < 1000; i++)); do # subscribed before the first order (the server answers a
	scrape "$tmp/m5" >/dev/null       # subscribe at once, so every later event reaches it)
	[ "$(sample ordercore_subscribers "$tmp/m5")" = 1 ] && break
	sleep 0.01
done
[ "$(sample ordercore_subscribers "$tmp/m5")" = 1 ] || fail "the analytics never subscribed"
expect_status 0 "$loadgen" --scenario peak-season --base-rate 1000 --connect "127.0.0.1:$port" \
	--dataset "$tmp/ds" --orders 6000 --seed 4
# Places refused before route (an unknown SKU) count as rejected in both too.
for key in 99000001 99000002; do
	expect_status 0 "$cli" --connect "127.0.0.1:$port" place --key "$key" --customer 7 \
		--channel store 5:1
done
sleep 0.3
[ "$(scrape "$tmp/m6")" = 200 ] || fail "scrape after the lifecycle run"
well_formed "$tmp/m6" || fail "malformed exposition (lifecycle)"
kill -TERM "$daemon_pid" # the analytics follow until the daemon stops, then print
wait "$daemon_pid" || fail "the second daemon did not stop cleanly"
daemon_pid=
wait "$analytics_pid" || fail "analytics failed: $(cat "$tmp/analytics.err")"
shipped_total=0
for channel in none web app phone store marketplace; do
	# A channel the analytics saw nothing of is left out of its JSON: all zero.
	obj=$(grep -o "{\"channel\": \"$channel\"[^}]*" "$tmp/analytics.json" || true)
	for field in placed rejected held shipped picks short_picks packs qc_failures labels \
		carrier_cents packed_lines; do
		want=$(sed -n "s/.*\"$field\": \([0-9]*\).*/\1/p" <<<"$obj")
		want=${want:-0}
		got=$(sample "ordercore_channel_${field}_total{channel=\"$channel\"}" "$tmp/m6")
		[ "$got" = "$want" ] || fail "$channel $field: /metrics says '$got', analytics $want"
	done
	timed=$(sed -n 's/.*"cycle_timed": \([0-9]*\).*/\1/p' <<<"$obj")
	timed=${timed:-0}
	got=$(sample "ordercore_cycle_time_seconds_count{channel=\"$channel\"}" "$tmp/m6")
	[ "$got" = "$timed" ] || fail "$channel cycle times: /metrics $got, analytics $timed"
	shipped_total=$((shipped_total + timed))
done
[ "$shipped_total" -gt 0 ] || fail "the lifecycle run shipped nothing"
placed=$(sample ordercore_orders_accepted_total "$tmp/m6")
rejected=$(awk '/^ordercore_channel_rejected_total/ { s += $2 } END { print s + 0 }' "$tmp/m6")
in_states=$(awk '/^ordercore_orders_in_state\{/ { s += $2 } END { print s + 0 }' "$tmp/m6")
# Every place route decided has a record; the two with an unknown SKU never reached it.
[ "$in_states" = $((placed + rejected - 2)) ] ||
	fail "orders by state sum to $in_states, not accepted $placed + rejected places $rejected - 2"

# Log levels: every line is ts=... level=...; warn keeps the info lines out, debug adds the
# connections; a level that is not one is a usage error.
grep -v '^ts=[0-9-]*T[0-9:.]*Z level=\(debug\|info\|warn\|error\) msg="' "$tmp/daemon2.err" &&
	fail "a log line without ts, level and msg"
expect_status 2 "$ordercored" --dataset "$tmp/ds" --log-level loud
grep -q "log_level is debug, info, warn or error, not 'loud'" "$tmp/err" ||
	fail "--log-level loud: $(cat "$tmp/err")"
"$ordercored" --dataset "$tmp/ds" --listen 127.0.0.1:0 --admin-listen off --log-level warn \
	2>"$tmp/quiet.err" &
quiet_pid=$!
sleep 0.5
kill -TERM "$quiet_pid"
wait "$quiet_pid" || fail "a daemon at warn did not stop cleanly: $(cat "$tmp/quiet.err")"
! grep -q 'level=info' "$tmp/quiet.err" || fail "info lines at --log-level warn: $(cat "$tmp/quiet.err")"
ordercored_start "$tmp/daemon3.err" "$ordercored" --dataset "$tmp/ds" --log-level debug ||
	fail "no daemon at debug"
"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 100 --seed 11 >/dev/null ||
	fail "a run against the debug daemon failed"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the debug daemon did not stop cleanly"
daemon_pid=
grep -q 'level=debug msg="connection opened" conn=' "$tmp/daemon3.err" &&
	grep -q 'level=debug msg="connection closed" conn=' "$tmp/daemon3.err" ||
	fail "no connection lines at debug: $(cat "$tmp/daemon3.err")"
# --snapshot-interval-ms: with commands since the last snapshot, one comes once the interval
# has passed (the default, 60 s, is too long to wait for here), before any stop asks for one.
ordercored_start "$tmp/daemon4.err" "$ordercored" --dataset "$tmp/ds" --data-dir "$tmp/data4" \
	--snapshot-interval-ms 200 || fail "no daemon with --snapshot-interval-ms"
admin=http://127.0.0.1:$admin_port
"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 1000 --seed 12 >/dev/null ||
	fail "a run against the snapshotting daemon failed"
snapshots=0
for _ in $(seq 50); do
	[ "$(scrape "$tmp/m4.txt")" = 200 ] || fail "no /metrics from the snapshotting daemon"
	snapshots=$(sample ordercore_snapshots_total "$tmp/m4.txt")
	[ "${snapshots:-0}" -ge 1 ] && break
	sleep 0.1
	# a command, which the sequencer takes: it looks at the interval then
	"$cli" --connect "127.0.0.1:$port" order 1 >/dev/null
done
[ "${snapshots:-0}" -ge 1 ] || fail "no snapshot 5 s into --snapshot-interval-ms 200"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the snapshotting daemon did not stop cleanly"
daemon_pid=
echo "admin endpoint: ok"
