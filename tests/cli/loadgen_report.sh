#!/usr/bin/env bash
# ordercore-loadgen --report (docs/loadgen.md, "Report"): a short paced flash sale against a
# real ordercored writes a self-contained page (nothing fetched: no src or href, no external
# stylesheet) with its five charts — throughput, latency percentiles, commands in flight, the
# hottest SKUs' stock, the answers by reason — which Debian's Chromium, headless, lays out with
# something drawn in each (the page marks it: #rendered's data-drawn); the summary says where
# the report is. Usage: loadgen_report.sh LOADGEN ORDERCORED
set -euo pipefail
loadgen=$1
ordercored=$2
. "$(dirname "$0")/daemon_test.sh"
chromium=$(command -v chromium) || fail "chromium is not installed (scripts/deps.sh installs it)"

"$loadgen" --gen-dataset "$tmp/ds" --skus 2000 --warehouses 4 --stock-per-sku 100 --seed 3 \
	>/dev/null
ordercored_start "$tmp/daemon.err" "$ordercored" --dataset "$tmp/ds" || fail "no daemon"
"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 30000 \
	--rate 0:5000,1:20000,2:20000,2:5000 --report "$tmp/run.html" >"$tmp/out" 2>"$tmp/err" ||
	fail "the run failed: $(cat "$tmp/out" "$tmp/err")"
grep -q "^  report: $tmp/run.html$" "$tmp/out" || fail "the summary does not say where: $(cat "$tmp/out")"
for id in throughput latency in_flight stock answers; do
	grep -q "<svg class=\"chart\" id=\"$id\"" "$tmp/run.html" || fail "no $id chart"
done
if grep -Eq '(src|href)=|<link|@import' "$tmp/run.html"; then
	fail "the page fetches something: $(grep -Eo '(src|href)=[^ >]*|<link[^>]*|@import[^;]*' "$tmp/run.html")"
fi
grep -q "out_of_stock" "$tmp/run.html" || fail "no answers by reason"
dom=$(timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
	--user-data-dir="$tmp/chromium" --dump-dom "file://$tmp/run.html" 2>"$tmp/chromium.err") ||
	fail "chromium failed: $(tail -5 "$tmp/chromium.err")"
mark=$(printf '%s' "$dom" | grep -o '<div id="rendered"[^>]*>') ||
	fail "chromium did not run the page's check: $(tail -5 "$tmp/chromium.err")"
[ "$mark" = '<div id="rendered" data-charts="5" data-drawn="5">' ] ||
	fail "charts laid out and drawn: $mark"
echo "1 passed, 0 failed"
