#!/usr/bin/env bash
# Peers on the same order stream (issue 7, item 4): ordercore (ordercored and
# ordercore-loadgen --replay, closed loop, pipelined), Redis 7 (one Lua script per order,
# place.lua, by EVALSHA, the stream piped over several connections by redis-cli --pipe) and
# PostgreSQL 15 (one plpgsql function per order, place.sql, over several psql connections, a
# transaction each), each with its durable and its non-durable settings, all on loopback.
# Installs the Debian packages of the peers when they are missing (scripts/deps.sh --peers),
# starts every server in a temporary directory and stops it after (also on failure), prints
# orders/s and the ordercore / peer ratios (durable against durable, in memory against
# non-durable), and writes the figures as JSON.
#
# The stream: single-line orders over a generated dataset (ordercore-loadgen --gen-dataset),
# SKUs drawn Zipf(--zipf) so that the hot ones sell out, customers uniform over orders / 10,
# --retry-pct of the rows a retry of a recent order (the same row again); each SKU is always
# ordered in the same quantity (1 or 2, by its rank), so the number of accepted orders does
# not depend on the order the systems decide them in: every system must accept exactly the
# model's count, and sell exactly the model's units of every SKU (checked, exit 1 if not).
#
# Usage: bench/peers/run.sh [--orders N] [--connections K] [--seed S] [--skus N]
#                           [--zipf S] [--retry-pct P] [--runs R] [--build DIR]
#                           [--json FILE] [--only LIST]
# --help says more. Environment: OC_BENCH_DIR, where the temporary directory goes (default
# $TMPDIR or /var/tmp; a real disk: the durable runs sync there). Run as root (deps.sh, and
# postgres is run as the postgres user) or as a user with sudo or the packages installed.
set -euo pipefail
me=bench/peers/run.sh
args="$*"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
	cat <<EOF
usage: $me [options]

Runs the same order stream through ordercore, Redis and PostgreSQL, each durable and not,
and prints orders/s and the ordercore / peer ratios.

Options:
  --orders N        rows in the stream, retries included (default 200000)
  --connections K   connections of each client: ordercore-loadgen --connections, redis-cli
                    --pipe processes, psql processes (default 8)
  --seed S          seed of the dataset and the stream (default 1)
  --skus N          SKUs in the generated dataset (default 10000; 8 warehouses, 1000 units
                    each SKU, the 10 hottest limited to 2 per customer)
  --zipf S          skew of SKU popularity (default 1.1)
  --retry-pct P     rows that repeat a recent order, its key included (default 1)
  --runs R          runs of each system and setting, each on a fresh server; the median
                    is the figure (default 3)
  --build DIR       where ordercored and loadgen/ordercore-loadgen are (default build/)
  --json FILE       the figures as JSON (default build/peers.json)
  --only LIST       comma-separated systems to run: ordercore,redis,postgresql (default all)
  --help            this text
Exit status: 0 when every system decided the stream as the model did, 1 when one did not,
2 on a usage or setup error.
EOF
}
die() { echo "$me: $*" >&2; exit 2; }
number() { case $2 in '' | *[!0-9]*) die "$1 needs a whole number, not '$2'" ;; esac; }

orders=200000 connections=8 seed=1 skus=10000 zipf=1.1 retry_pct=1 runs=3
build=$root/build json=
only=ordercore,redis,postgresql
while [ $# -gt 0 ]; do
	case $1 in
	--help) usage; exit 0 ;;
	--orders | --connections | --seed | --skus | --zipf | --retry-pct | --runs | --build | \
		--json | --only)
		[ $# -ge 2 ] || die "$1 needs a value"
		case $1 in
		--orders) number "$1" "$2"; orders=$2 ;;
		--connections) number "$1" "$2"; connections=$2 ;;
		--seed) number "$1" "$2"; seed=$2 ;;
		--skus) number "$1" "$2"; skus=$2 ;;
		--zipf) zipf=$2 ;;
		--retry-pct) number "$1" "$2"; retry_pct=$2 ;;
		--runs) number "$1" "$2"; runs=$2 ;;
		--build) build=$2 ;;
		--json) json=$2 ;;
		--only) only=$2 ;;
		esac
		shift 2 ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
done
[ "$orders" -ge 1 ] || die "--orders must be at least 1"
[ "$connections" -ge 1 ] && [ "$connections" -le 64 ] || die "--connections must be 1-64"
[ "$skus" -ge 10 ] || die "--skus must be at least 10"
[ "$retry_pct" -le 50 ] || die "--retry-pct must be 0-50"
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
case $zipf in '' | *[!0-9.]*) die "--zipf needs a number, not '$zipf'" ;; esac
json=${json:-$build/peers.json}
run_ordercore=0 run_redis=0 run_postgresql=0
for s in ${only//,/ }; do
	case $s in
	ordercore) run_ordercore=1 ;;
	redis) run_redis=1 ;;
	postgresql) run_postgresql=1 ;;
	*) die "--only: unknown system '$s' (ordercore, redis, postgresql)" ;;
	esac
done
ordercored=$build/ordercored
loadgen=$build/loadgen/ordercore-loadgen
for bin in "$ordercored" "$loadgen"; do
	[ -x "$bin" ] || die "$bin not found: build first (make build), or give --build DIR"
done

# --- The peers' Debian packages (scripts/deps.sh --peers installs what is missing) -----------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bash "$root/scripts/deps.sh" --peers || die "scripts/deps.sh --peers failed"
if [ $run_redis = 1 ]; then
	redis_version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
	[ "${redis_version%%.*}" -ge 7 ] 2>/dev/null || die "Redis 7 or later needed, not $redis_version"
fi
if [ $run_postgresql = 1 ]; then
	pgbin=$(pg_bin)
	pg_version=$("$pgbin/postgres" --version | awk '{print $3}')
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql package makes it)"
		as_pg() { runuser -u postgres -- "$@"; }
	else
		as_pg() { "$@"; }
	fi
fi

# --- The scratch directory and what is started in it, stopped and removed at exit -------------
base=${OC_BENCH_DIR:-${TMPDIR:-/var/tmp}}
if [ "$(stat -f -c %T "$base")" = tmpfs ]; then
	base=/var/tmp # syncs on tmpfs cost nothing: the durable runs measure a disk
fi
tmp=$(mktemp -d "$base/peers.XXXXXX")
chmod 755 "$tmp" # the postgres user works in $tmp/pg
daemon_pid= redis_port= pg_data=
cleanup() {
	local job
	for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done # clients still running
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$redis_port" ]; then
		redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
	fi
	if [ -n "$pg_data" ]; then
		as_pg "$pgbin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
check() { # check WHAT GOT WANT: a mismatch is said and makes the exit status 1
	if [ "$2" != "$3" ]; then
		echo "$me: CHECK FAILED: $1: $2, expected $3" >&2
		failed=1
	fi
}
say() { echo "== $*" >&2; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {printf "%.0f", n / (b - a)}'; }
free_port() { # a loopback TCP port nothing listens on
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# --- The dataset and the stream ---------------------------------------------------------------
say "dataset ($skus SKUs) and stream ($orders rows, seed $seed) in $tmp ($(df --output=fstype "$tmp" | tail -1))"
"$loadgen" --gen-dataset "$tmp/ds" --skus "$skus" --warehouses 8 --stock-per-sku 1000 \
	--seed "$seed" >/dev/null
# skus.txt: sku rank units limit (rank: the order of skus.csv; the first are the hot ones, the
# ones the dataset limits).
awk -F, 'FNR == 1 {next} FILENAME ~ /stock/ {units[$1] += $3; next}
	{print $1, ++rank, units[$1] + 0, $6 + 0}' "$tmp/ds/stock.csv" "$tmp/ds/skus.csv" \
	>"$tmp/skus.txt"
# stream.txt: key customer sku quantity, one row a place (a retry repeats a recent row); the
# replay CSV the same rows.
awk -v n="$orders" -v seed="$seed" -v s="$zipf" -v retry="$retry_pct" '
	{sku[++m] = $1; total += 1 / ($2 ^ s); cdf[m] = total}
	END {
		srand(seed); customers = int(n / 10); if (customers < 1) customers = 1
		for (i = 1; i <= n; i++) {
			if (u > 0 && rand() * 100 < retry) {
				back = u < 1000 ? u : 1000
				print row[u - int(rand() * back)]
				continue
			}
			x = rand() * total; lo = 1; hi = m
			while (lo < hi) { mid = int((lo + hi) / 2); if (cdf[mid] < x) lo = mid + 1; else hi = mid }
			u++
			row[u] = u " " (1 + int(rand() * customers)) " " sku[lo] " " (lo % 2 ? 1 : 2)
			print row[u]
		}
	}' "$tmp/skus.txt" >"$tmp/stream.txt"
{
	echo key,customer,channel,country,postal_code,lines,payment
	awk '{print $1 "," $2 ",web,,," $3 ":" $4 ",prepaid"}' "$tmp/stream.txt"
} >"$tmp/orders.csv"
# The model: per SKU of quantity q, stock U, limit L (0: none), the orders of distinct keys
# that a customer may place within the limit (min(n, floor(L / q)) of each customer's n; none
# when q > L), and of those floor(U / q) at most are accepted, whatever their order.
# expected.txt: sku units sold, for every SKU; totals.txt: rows, unique keys, accepted, SKUs
# sold out.
awk 'NR == FNR {units[$1] = $3; limit[$1] = $4; all[$1] = 1; next}
	{rows++}
	!seen[$1]++ {
		unique++; q[$3] = $4
		if (limit[$3] == 0) eligible[$3]++
		else if ($4 <= limit[$3] && ++per[$2 " " $3] <= int(limit[$3] / $4)) eligible[$3]++
	}
	END {
		for (k in all) {
			a = eligible[k] + 0; cap = q[k] ? int(units[k] / q[k]) : 0
			if (a > cap) a = cap
			if (cap > 0 && a == cap) sold_out++
			accepted += a; print k, a * q[k]
		}
		print rows, unique, accepted, sold_out + 0 > "'"$tmp/totals.txt"'"
	}' "$tmp/skus.txt" "$tmp/stream.txt" | sort -n >"$tmp/expected.txt"
read -r rows unique expected_accepted sold_out <"$tmp/totals.txt"
duplicates=$((rows - unique))
say "$rows rows, $unique orders, $duplicates retries; the model accepts $expected_accepted," \
	"$sold_out SKUs sell out"
# resp(S): the Redis command of the words of S, in RESP (what redis-cli --pipe sends).
resp_fn='function resp(cmd,   n, i, v, s) {
	n = split(cmd, v, " "); s = "*" n "\r\n"
	for (i = 1; i <= n; i++) s = s "$" length(v[i]) "\r\n" v[i] "\r\n"
	return s
}'
# The stream cut in blocks of 64 rows handed round the K connections (as ordercore-loadgen
# hands out its commands): split_stream EXPR SUFFIX writes $tmp/part.I.SUFFIX (I = 0..K-1),
# for each row of stream.txt the string EXPR makes of it ($1 key, $2 customer, $3 sku, $4
# quantity).
split_stream() {
	rm -f "$tmp"/part.*."$2"
	awk -v k="$connections" -v dir="$tmp" -v suffix="$2" "$resp_fn"'
		{printf "%s", '"$1"' > (dir "/part." int((NR - 1) / 64) % k "." suffix)}' \
		"$tmp/stream.txt"
}

declare -A figure rates secs desc_of accepted_of
order=()
record() { # record SYSTEM DURABILITY-KEY DESCRIPTION RATE SECONDS ACCEPTED: one run's figures
	[ -n "${desc_of[$1.$2]:-}" ] || order+=("$1.$2")
	desc_of[$1.$2]=$3
	rates[$1.$2]+="${rates[$1.$2]:+ }$4"
	secs[$1.$2]+="${secs[$1.$2]:+ }$5"
	accepted_of[$1.$2]=$6
	figure[$1.$2]=$(printf '%s\n' ${rates[$1.$2]} | sort -n | awk '{v[NR] = $1}
		END {print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}')
	say "$1 ($3): $4 orders/s in $5 s, $6 accepted"
}

# --- ordercore ---------------------------------------------------------------------------------
ordercore_run() { # ordercore_run KEY DESCRIPTION DAEMON-ARGS...
	local key=$1 desc=$2
	shift 2
	ordercored_start "$tmp/ordercored.log" "$ordercored" --dataset "$tmp/ds" "$@" ||
		die "ordercored did not start"
	local status=0
	"$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --replay "$tmp/orders.csv" \
		--max --connections "$connections" --json "$tmp/oc.json" --quiet \
		>"$tmp/oc.out" 2>"$tmp/oc.err" || status=$?
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || die "ordercored exited $?: $(tail -5 "$tmp/ordercored.log")"
	daemon_pid=
	[ $status = 0 ] || {
		echo "$me: CHECK FAILED: ordercore-loadgen exited $status:" >&2
		cat "$tmp/oc.out" "$tmp/oc.err" >&2
		failed=1
	}
	jnum() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$tmp/oc.json" | head -1; }
	local r acc
	r=$(jnum orders_per_sec)
	acc=$(jnum accepted)
	check "ordercore ($desc) accepted" "$acc" "$expected_accepted"
	check "ordercore ($desc) retries answered from the first" "$(jnum duplicates)" "$duplicates"
	check "ordercore ($desc) oversold units" "$(jnum oversold_units)" 0
	check "ordercore ($desc) limit violations" "$(jnum limit_violations)" 0
	record ordercore "$key" "$desc" "$(printf %.0f "$r")" \
		"$(awk -v n="$rows" -v r="$r" 'BEGIN {printf "%.3f", n / r}')" "$acc"
}
if [ $run_ordercore = 1 ]; then
	. "$root/scripts/ordercored_start.sh"
	say "ordercore: ordercored in memory, then --durability sync"
	for ((run = 1; run <= runs; run++)); do
		ordercore_run memory "in memory (no --data-dir)"
	done
	for ((run = 1; run <= runs; run++)); do
		rm -rf "$tmp/oc-data"
		mkdir "$tmp/oc-data"
		ordercore_run durable "--durability sync (fdatasync before the answer)" \
			--data-dir "$tmp/oc-data" --durability sync
	done
	rm -rf "$tmp/oc-data"
fi

# --- Redis -------------------------------------------------------------------------------------
redis() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
redis_run() { # redis_run KEY DESCRIPTION REDIS-ARGS...
	local key=$1 desc=$2
	shift 2
	rm -rf "$tmp/redis"
	mkdir "$tmp/redis"
	redis_port=$(free_port)
	redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$tmp/redis" --save '' \
		--daemonize yes --pidfile "$tmp/redis/pid" --logfile "$tmp/redis/log" "$@"
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(redis ping 2>/dev/null)" = PONG ] && break
		sleep 0.01
	done
	[ "$(redis ping 2>/dev/null)" = PONG ] || die "redis-server did not start: $(cat "$tmp/redis/log")"
	# Stock and limits first, then the script.
	awk "$resp_fn"'{printf "%s", resp("HSET stock " $1 " " $3)
		if ($4) printf "%s", resp("HSET limits " $1 " " $4)}' "$tmp/skus.txt" |
		redis --pipe >"$tmp/redis.load" 2>&1 || die "loading Redis: $(cat "$tmp/redis.load")"
	local sha
	sha=$(redis script load "$(cat "$here/place.lua")")
	[ ${#sha} = 40 ] || die "SCRIPT LOAD answered '$sha'"
	split_stream 'resp("EVALSHA '"$sha"' 5 o:" $1 " stock limits bought:" $3 " stats " $2 " " $3 " " $4)' resp
	local t0 t1 pids=() p
	t0=$(now)
	for ((i = 0; i < connections; i++)); do
		[ -s "$tmp/part.$i.resp" ] || continue
		redis --pipe <"$tmp/part.$i.resp" >"$tmp/part.$i.pipe" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || die "redis-cli --pipe failed: $(cat "$tmp"/part.*.pipe)"; done
	t1=$(now)
	local errors replies
	errors=$(awk '/errors:/ {gsub(",", ""); e += $2} END {print e + 0}' "$tmp"/part.*.pipe)
	replies=$(awk '/replies:/ {r += $NF} END {print r + 0}' "$tmp"/part.*.pipe)
	check "redis ($desc) errors" "$errors" 0
	check "redis ($desc) replies" "$replies" "$rows"
	# The outcome: counts by status, the units sold of every SKU against the model, no stock
	# below 0, no customer over a limit.
	redis hgetall stats | paste - - | sort >"$tmp/redis.stats"
	local acc
	acc=$(awk '$1 == "accepted" {print $2}' "$tmp/redis.stats")
	check "redis ($desc) accepted" "${acc:-0}" "$expected_accepted"
	check "redis ($desc) retries answered from the first" \
		"$(awk '$1 == "duplicate" {print $2}' "$tmp/redis.stats")" "$duplicates"
	redis hgetall stock | paste - - |
		awk 'NR == FNR {u[$1] = $3; next} {print $1, u[$1] - $2; if ($2 < 0) neg++}
			END {if (neg) print "negative stock:", neg > "/dev/stderr"}' "$tmp/skus.txt" - |
		sort -n >"$tmp/redis.sold"
	check "redis ($desc) SKUs whose units sold differ from the model" \
		"$(diff "$tmp/redis.sold" "$tmp/expected.txt" | grep -c '^<' || true)" 0
	local over=0 s l
	while read -r s l; do
		over=$((over + $(redis hvals "bought:$s" | awk -v l="$l" '$1 > l {n++} END {print n + 0}')))
	done < <(awk '$4 {print $1, $4}' "$tmp/skus.txt")
	check "redis ($desc) customers over a limit" "$over" 0
	redis shutdown nosave >/dev/null 2>&1 || true
	redis_port=
	record redis "$key" "$desc" "$(rate "$rows" "$t0" "$t1")" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "${acc:-0}"
}
if [ $run_redis = 1 ]; then
	say "redis $redis_version: $connections redis-cli --pipe connections, EVALSHA place.lua"
	for ((run = 1; run <= runs; run++)); do
		redis_run none "no persistence (--save '' --appendonly no)" --appendonly no
	done
	for ((run = 1; run <= runs; run++)); do
		redis_run durable "AOF, --appendfsync always" --appendonly yes --appendfsync always
	done
fi

# --- PostgreSQL --------------------------------------------------------------------------------
pg_run() { # pg_run KEY DESCRIPTION SETTINGS... (postgres -c NAME=VALUE each)
	local key=$1 desc=$2 opts="" setting
	shift 2
	for setting in "$@"; do opts+=" -c $setting"; done
	local pg_port
	pg_port=$(free_port)
	as_pg "$pgbin/pg_ctl" -D "$pg_data" -l "$tmp/pg/log" -w -t 60 \
		-o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=$((connections + 10)) $opts" \
		start >/dev/null || die "postgres did not start: $(tail -20 "$tmp/pg/log")"
	psql_() { "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
	psql_ -d postgres -c "CREATE DATABASE bench_${key}_$run" || die "CREATE DATABASE failed"
	psql_ -d "bench_${key}_$run" -f "$here/place.sql" || die "place.sql failed"
	awk '{print $1 "," $3 "," $3 "," $4}' "$tmp/skus.txt" |
		psql_ -d "bench_${key}_$run" -c "COPY stock FROM STDIN (FORMAT csv)" || die "COPY stock failed"
	psql_ -d "bench_${key}_$run" -c "VACUUM ANALYZE stock" -c CHECKPOINT
	split_stream '"SELECT place(" $1 "," $2 "," $3 "," $4 ");\n"' sql
	local t0 t1 pids=() p i
	t0=$(now)
	for ((i = 0; i < connections; i++)); do
		[ -s "$tmp/part.$i.sql" ] || continue
		psql_ -d "bench_${key}_$run" -f "$tmp/part.$i.sql" -o "$tmp/part.$i.out" 2>"$tmp/part.$i.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || die "psql failed: $(cat "$tmp"/part.*.err)"; done
	t1=$(now)
	# The outcome: every row answered, counts by status (of the answers and of the table), the
	# units sold of every SKU against the model, no stock below 0 (a CHECK), no customer over a
	# limit.
	local answers acc
	answers=$(cat "$tmp"/part.*.out | wc -l)
	check "postgresql ($desc) answers" "$answers" "$rows"
	acc=$(psql_ -d "bench_${key}_$run" -c "SELECT count(*) FROM orders WHERE status = 'accepted'")
	check "postgresql ($desc) accepted" "$acc" "$expected_accepted"
	check "postgresql ($desc) accepted answers" "$(cat "$tmp"/part.*.out | grep -cx accepted)" \
		"$expected_accepted"
	check "postgresql ($desc) retries answered from the first" \
		"$(cat "$tmp"/part.*.out | grep -c '^duplicate ' || true)" "$duplicates"
	psql_ -d "bench_${key}_$run" -F ' ' -c "SELECT sku, units - available FROM stock ORDER BY sku" \
		>"$tmp/pg.sold"
	check "postgresql ($desc) SKUs whose units sold differ from the model" \
		"$(diff "$tmp/pg.sold" "$tmp/expected.txt" | grep -c '^<' || true)" 0
	check "postgresql ($desc) customers over a limit" "$(psql_ -d "bench_${key}_$run" -c \
		"SELECT count(*) FROM bought b JOIN stock s USING (sku) WHERE b.units > s.limit_per_customer")" 0
	as_pg "$pgbin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
	record postgresql "$key" "$desc" "$(rate "$rows" "$t0" "$t1")" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" "$acc"
}
if [ $run_postgresql = 1 ]; then
	say "postgresql $pg_version: $connections psql connections, SELECT place(...) a transaction"
	mkdir "$tmp/pg"
	chown postgres: "$tmp/pg" 2>/dev/null || true
	pg_data=$tmp/pg/data
	as_pg "$pgbin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-instructions \
		>"$tmp/pg/initdb.log" 2>&1 || die "initdb failed: $(cat "$tmp/pg/initdb.log")"
	for ((run = 1; run <= runs; run++)); do
		pg_run none "fsync=off, synchronous_commit=off" fsync=off synchronous_commit=off \
			full_page_writes=off
	done
	for ((run = 1; run <= runs; run++)); do
		pg_run durable "fsync=on, synchronous_commit=on (the defaults)" fsync=on \
			synchronous_commit=on
	done
	pg_data=
fi

# --- The figures -------------------------------------------------------------------------------
# ordercore's figure of the same kind over the peer's: in memory against a peer's non-durable
# run, durable against durable.
ratio() { # ratio SYSTEM KEY
	local oc=${figure[ordercore.$([ "$2" = durable ] && echo durable || echo memory)]:-}
	[ "$1" != ordercore ] && [ -n "$oc" ] || { echo -; return; }
	awk -v a="$oc" -v b="${figure[$1.$2]}" 'BEGIN {printf "%.1f", a / b}'
}
echo "peers on one stream: $rows rows ($unique single-line orders, $duplicates retries)," \
	"$skus SKUs, zipf $zipf, seed $seed, $connections connections, median of $runs runs;" \
	"$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
printf '%-11s %-50s %10s %10s %16s\n' system durability orders/s accepted ordercore/peer
for id in "${order[@]}"; do
	printf '%-11s %-50s %10s %10s %16s\n' "${id%%.*}" "${desc_of[$id]}" "${figure[$id]}" \
		"${accepted_of[$id]}" "$(ratio "${id%%.*}" "${id#*.}")"
done
echo "the model accepts $expected_accepted; $([ $failed = 0 ] && echo "every check passed" ||
	echo "SOME CHECKS FAILED (above)")"
list() { echo "$1" | sed 's/ /, /g'; }
mkdir -p "$(dirname "$json")"
{
	printf '{\n  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf '  "machine": {"cores": %d, "model": "%s", "kernel": "%s"},\n' "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$(uname -r)"
	printf '  "command": "%s",\n' "$me${args:+ $args}"
	printf '  "stream": {"rows": %d, "orders": %d, "retries": %d, "skus": %d, "zipf": %s, "seed": %d, "expected_accepted": %d, "sold_out_skus": %d},\n' \
		"$rows" "$unique" "$duplicates" "$skus" "$zipf" "$seed" "$expected_accepted" "$sold_out"
	printf '  "connections": %d,\n  "runs_each": %d,\n' "$connections" "$runs"
	printf '  "versions": {"redis": "%s", "postgresql": "%s"},\n' "${redis_version:-}" \
		"${pg_version:-}"
	printf '  "runs": ['
	sep=
	for id in "${order[@]}"; do
		rt=$(ratio "${id%%.*}" "${id#*.}")
		printf '%s\n    {"system": "%s", "durability": "%s", "durable": %s, "settings": "%s", "orders_per_sec": %s, "runs_orders_per_sec": [%s], "runs_seconds": [%s], "accepted": %s, "ordercore_over_peer": %s}' \
			"$sep" "${id%%.*}" "${id#*.}" "$([ "${id#*.}" = durable ] && echo true || echo false)" \
			"${desc_of[$id]}" "${figure[$id]}" "$(list "${rates[$id]}")" "$(list "${secs[$id]}")" \
			"${accepted_of[$id]}" "$([ "$rt" = - ] && echo null || echo "$rt")"
		sep=,
	done
	printf '\n  ],\n  "checks_passed": %s\n}\n' "$([ $failed = 0 ] && echo true || echo false)"
} >"$json"
echo "figures: $json"
exit $failed
