#!/usr/bin/env bash
# ordercore-cli top (docs/top.md) against a real ordercored with a log, run in a detached tmux
# session of a fixed size and read from its screen: during a paced load run the screen shows
# a non-zero accepted rate and every section (counters, rejections, sold-out SKUs, the log's
# release latency, the rings, busy stages and workers) within 100 columns and 30 lines; after
# the run its totals are the load generator's (accepted, rejected, sold-out SKUs) and its rates
# fall to 0; with the daemon stopped it says the endpoint is unreachable and keeps trying;
# Ctrl-C ends it with status 0. Outside tmux: --count N prints N screens and exits 0, an
# endpoint that refuses or does not speak HTTP is exit 2 with one line on stderr, and usage
# errors are exit 2. Exits 77 (skipped) without tmux.
# Usage: cli_top.sh CLI ORDERCORED LOADGEN (the load generator writes the dataset)
set -euo pipefail
cli=$1
ordercored=$2
loadgen=$3
. "$(dirname "$0")/daemon_test.sh"
command -v tmux >/dev/null || { echo "tmux is not installed (scripts/deps.sh): skipped"; exit 77; }

sock=oc-top-$$-$RANDOM # a tmux server of this test's own
top_cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	cleanup
}
trap top_cleanup EXIT

"$loadgen" --gen-dataset "$tmp/ds" --skus 2000 --warehouses 4 --stock-per-sku 50 --seed 5 \
	>/dev/null
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" --data-dir "$tmp/data" ||
	fail "no daemon"
[ "$admin_port" -gt 0 ] || fail "no admin port in: $(cat "$tmp/daemon.err")"

# The pane's visible screen, into $tmp/screen.
capture() {
	tmux -L "$sock" capture-pane -p -t top >"$tmp/screen" 2>/dev/null || : >"$tmp/screen"
}
# Captures until the screen satisfies `awk "$1"` (exit 0) or $2 seconds (default 15) passed.
screen_wait() {
	local i
	for ((i = 0; i < ${2:-15} * 10; i++)); do
		capture
		awk "$1" "$tmp/screen" && return 0
		sleep 0.1
	done
	return 1
}
# Field $2 of the first screen line starting with $1 (a counter's row: per second, total).
field() { awk -v row="$1" -v f="$2" 'index($0, row) == 1 { print $f; exit }' "$tmp/screen"; }

# top in a 120x40 pane, every 500 ms; its exit status goes to $tmp/top.status when it ends.
tmux -L "$sock" -f /dev/null new-session -d -s top -x 120 -y 40 \
	"'$cli' top --admin 127.0.0.1:$admin_port --interval-ms 500 2>'$tmp/top.err';
	 echo \$? >'$tmp/top.status'; sleep 600"
screen_wait '/^ordercore top / { ok = 1 } END { exit !ok }' ||
	fail "no screen from top: $(cat "$tmp/screen" "$tmp/top.err" 2>/dev/null)"

# During a run of 3 s at 4000 commands a second: a screen with accepted/s and commands/s above
# 0. Not the paced rate itself: a screen's interval may hold part of the run only, and a
# daemon was seen (while this test was written) to stall for a second or two after idling,
# then take the run at once.
"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --rate 4000 --orders 12000 \
	--seed 9 >"$tmp/run.out" 2>"$tmp/run.err" &
run_pid=$!
during='index($0, "per second") == 1 && !seen++ { ok = $3 > 0 && $7 > 0 }
	END { exit !ok }'
screen_wait "$during" 10 ||
	fail "no screen with accepted/s > 0 during the run: $(cat "$tmp/screen")"
cp "$tmp/screen" "$tmp/during"
wait "$run_pid" || fail "load run failed: $(cat "$tmp/run.out" "$tmp/run.err")"
for want in '^engine +durability sync, threads [0-9]+, shards 4' \
	'^ +accepted +rejected +cancelled +duplicates +commands +answers +shipped$' \
	'^total +[0-9]+' '^rejected by +out_of_stock' '^sold out +[0-9]+ SKUs' \
	'^log +release p50 <= [0-9.]+ [um]?s, p99 [<=>]+ [0-9.]+ [um]?s, mean ' \
	'^ +durable lag [0-9]+ commands' \
	'^rings +shards +used +slots +fill +high water' \
	'^sequencer_journal +- +[0-9]+ +1024 +[0-9.]+% ' '^validate_shard +4 ' '^route_egress ' \
	'^stages busy +journal [0-9.]+% +validate [0-9.]+% +inventory [0-9.]+% +route ' \
	'^workers +busy/parked +w0 [0-9.]+/[0-9.]+%'; do
	grep -Eq -- "$want" "$tmp/during" || fail "no line like '$want' on: $(cat "$tmp/during")"
done
# The screen fits 100 columns and 30 lines.
awk 'length > 100 { print "too wide: " $0; bad = 1 } NF { last = NR }
	END { if (last > 30) { print "too tall: " last " lines"; bad = 1 } exit bad }' \
	"$tmp/during" || fail "the screen does not fit 100x30: $(cat "$tmp/during")"

# After the run: the totals are the load generator's, the rates 0 once an interval passed
# with no load.
line=$(grep '^  accepted ' "$tmp/run.out") || fail "no tally in: $(cat "$tmp/run.out")"
accepted=$(sed -n 's/^  accepted \([0-9]*\).*/\1/p' <<<"$line")
rejected=$(sed -n 's/.*rejected \([0-9]*\).*/\1/p' <<<"$line")
sold_out=$(sed -n 's/^  sold-out SKUs \([0-9]*\).*/\1/p' "$tmp/run.out")
[ "$accepted" -gt 0 ] && [ "${sold_out:-0}" -gt 0 ] ||
	fail "the run accepted $accepted orders, sold out '$sold_out' SKUs: $(cat "$tmp/run.out")"
after="index(\$0, \"per second\") == 1 && !seen++ { idle = \$3 == 0 && \$7 == 0 }
	index(\$0, \"total\") == 1 && !tot++ { done = \$2 == $accepted && \$3 == $rejected }
	END { exit !(idle && done) }"
screen_wait "$after" 10 || fail "totals not $accepted accepted, $rejected rejected, rates 0: \
$(cat "$tmp/screen")"
[ "$(field 'sold out' 3)" = "$sold_out" ] ||
	fail "sold out is '$(field 'sold out' 3)', the load generator counted $sold_out"
grep -Eq '^log +release: no frame written this interval' "$tmp/screen" ||
	fail "the idle log line: $(cat "$tmp/screen")"

# --count N: N screens, then exit 0; the last total is the same.
expect_status 0 "$cli" top --admin "127.0.0.1:$admin_port" --interval-ms 200 --count 1
[ "$(grep -o $'\e\\[H\e\\[2J' "$tmp/out" | wc -l)" = 1 ] || fail "--count 1: $(cat -A "$tmp/out")"
grep -Eq "^total +$accepted +$rejected " "$tmp/out" || fail "--count 1 totals: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "--count 1 wrote to stderr: $(cat "$tmp/err")"
expect_status 0 "$cli" top --admin "127.0.0.1:$admin_port" --interval-ms 100 --count 3
[ "$(grep -o $'\e\\[H\e\\[2J' "$tmp/out" | wc -l)" = 3 ] || fail "--count 3: $(cat -A "$tmp/out")"

# The daemon stopped: top says so on its screen and keeps trying; Ctrl-C then ends it, 0.
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon did not stop cleanly: $(cat "$tmp/daemon.err")"
daemon_pid=
screen_wait '/^admin endpoint unreachable: retrying$/ { ok = 1 } END { exit !ok }' 10 ||
	fail "no unreachable screen: $(cat "$tmp/screen")"
tmux -L "$sock" send-keys -t top C-c
for ((i = 0; i < 50; i++)); do [ -s "$tmp/top.status" ] && break; sleep 0.1; done
[ "$(cat "$tmp/top.status" 2>/dev/null)" = 0 ] ||
	fail "top after Ctrl-C: status '$(cat "$tmp/top.status" 2>/dev/null)'"

# First scrape failures and usage errors: exit 2, one line on stderr, no screen.
expect_status 2 "$cli" top --admin 127.0.0.1:1
[ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -s "$tmp/out" ] ||
	fail "refused: $(cat "$tmp/out" "$tmp/err")"
grep -q '^ordercore-cli: top: cannot scrape http://127.0.0.1:1/metrics: Connection refused' \
	"$tmp/err" || fail "refused: $(cat "$tmp/err")"
# The order port (a daemon of its own) does not speak HTTP.
ordercored_start "$tmp/daemon2.err" "$ordercored" --dataset "$tmp/ds" || fail "no second daemon"
expect_status 2 "$cli" top --admin "127.0.0.1:$port" --count 1
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'cannot scrape' "$tmp/err" ||
	fail "the order port: $(cat "$tmp/err")"
expect_status 2 "$cli" top --interval-ms 50
expect_status 2 "$cli" top --admin nowhere
expect_status 2 "$cli" top --admin 127.0.0.1:0
expect_status 2 "$cli" top extra
expect_status 2 "$cli" --connect "127.0.0.1:$port" top
expect_status 0 "$cli" top --help
grep -q -- '--interval-ms N' "$tmp/out" || fail "top --help: $(cat "$tmp/out")"
expect_status 0 "$cli" --help
grep -q '^  top \[--admin HOST:PORT\]' "$tmp/out" || fail "--help has no top"
echo "ordercore-cli top: ok"
