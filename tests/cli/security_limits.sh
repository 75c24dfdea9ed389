#!/usr/bin/env bash
# security_limits.sh: ordercored's security rules and limits (docs/operations.md, "Security
# and limits"), each hit on a real daemon:
# * refused at start (exit 2, the reason on stderr): an order port or an admin endpoint
#   outside loopback without a token (flag or INI key), an address that is not numeric
#   ("localhost", "127.evil.example": the loopback test reads the parsed address, not a
#   prefix of the text), a token that is not 1-64 visible ASCII characters;
# * the process holds no UDP (nor raw) socket, and listens on TCP exactly where it was told:
#   the order port and the admin endpoint, on 127.0.0.1 by default, on 0.0.0.0 when told so
#   with a token, on ::1 when told so (when this machine has IPv6);
# * with a token, the admin endpoint answers 401 (with WWW-Authenticate: Bearer) to a
#   request without `Authorization: Bearer TOKEN` or with a wrong one, and 200 with it; the
#   order port refuses a client without it; ordercore-cli and its top send it from --token
#   or ORDERCORE_TOKEN;
# * --connections-max: one connection more is told "overload" and counted in
#   connections_refused_total; --hello-timeout-ms closes connections that never said hello,
#   which frees their slots;
# * the admin endpoint's 16 connections: a 17th is closed unserved; an idle connection is
#   closed after 5 s;
# * --connection-inflight-max: a connection with that many commands unanswered is read no
#   more until answers go out (counted in connection_inflight_stalls_total), and still has
#   every command answered.
# Frame size and output buffer are hit in tests/net/test_daemon.c (bad input, a client that
# stops reading), the admin request size in admin_metrics.sh, in-flight commands (the
# admission window) in overload.sh.
# Usage: security_limits.sh ORDERCORED CLI LOADGEN
set -euo pipefail
ordercored=$1
cli=$2
loadgen=$3
. "$(dirname "$0")/daemon_test.sh"

"$loadgen" --gen-dataset "$tmp/ds" --skus 20 --warehouses 2 --stock-per-sku 50 --seed 3 \
	>/dev/null

# ---- refused at start ----
refused() { # MESSAGE ARGS...: ordercored --dataset DS ARGS exits 2 saying MESSAGE
	local message=$1
	shift
	expect_status 2 "$ordercored" --dataset "$tmp/ds" "$@"
	grep -qF "$message" "$tmp/err" || fail "'$*': not '$message' but: $(cat "$tmp/err")"
}
no_token="without a token (--token)"
refused "refusing to listen on 0.0.0.0 $no_token" --listen 0.0.0.0:0
refused "refusing to listen on :: $no_token" --listen '[::]:0'
refused "refusing to listen on 10.0.0.1 $no_token" --listen 10.0.0.1:0 --token ''
refused "refusing to serve the admin endpoint on 0.0.0.0 $no_token" --admin-listen 0.0.0.0:0
refused "listen: 'localhost' is not a numeric IPv4 or IPv6 address" --listen localhost:0
refused "listen: '127.evil.example' is not a numeric IPv4 or IPv6 address" \
	--listen 127.evil.example:0 --token t
refused "admin_listen: 'localhost' is not a numeric" --admin-listen localhost:0
bad_token="token: 1 to 64 visible ASCII characters"
refused "$bad_token" --token 'two words'
refused "$bad_token" --token "$(printf 'x%.0s' {1..65})"
printf '[ordercored]\nlisten = 0.0.0.0:0\n' >"$tmp/open.ini"
refused "refusing to listen on 0.0.0.0 $no_token" --config "$tmp/open.ini"
printf '[ordercored]\nadmin_listen = 0.0.0.0:0\n' >"$tmp/open_admin.ini"
refused "refusing to serve the admin endpoint on 0.0.0.0 $no_token" --config "$tmp/open_admin.ini"

# ---- sockets ----
# The inodes of the sockets process $1 holds, space-separated.
socket_inodes() {
	ls -l "/proc/$1/fd" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | sort -u | tr '\n' ' '
}
# Process $1's sockets in /proc/$1/net/$2 (tcp, udp6, ...): "LOCAL STATE" lines, in the
# kernel's hex; nothing when the table does not exist here.
sockets_in() {
	[ -r "/proc/$1/net/$2" ] || return 0
	awk -v mine="$(socket_inodes "$1")" '
	BEGIN { n = split(mine, a, " "); for (i = 1; i <= n; i++) m[a[i]] = 1 }
	FNR > 1 && ($10 in m) { print $2, $4 }' "/proc/$1/net/$2"
}
# An IPv4 LOCAL of /proc/net/tcp (little-endian address, port) as A.B.C.D:PORT.
ipv4() {
	local a=${1%:*} p=${1#*:}
	printf '%d.%d.%d.%d:%d\n' "0x${a:6:2}" "0x${a:4:2}" "0x${a:2:2}" "0x${a:0:2}" "0x$p"
}
# Fails unless process $1 holds no UDP or raw socket, and its TCP listeners are exactly the
# IPv4 addresses $2 and, on IPv6, the /proc hex addresses $3 (space-separated, sorted).
expect_sockets() {
	local pid=$1 want4=$2 want6=$3 t got4 got6
	for t in udp udp6 udplite udplite6 raw raw6; do
		[ -z "$(sockets_in "$pid" "$t")" ] ||
			fail "a $t socket: $(sockets_in "$pid" "$t")"
	done
	got4=$(sockets_in "$pid" tcp | awk '$2 == "0A" { print $1 }' | while read -r l; do
		ipv4 "$l"; done | sort | tr '\n' ' ')
	got6=$(sockets_in "$pid" tcp6 | awk '$2 == "0A" { print $1 }' | sort | tr '\n' ' ')
	[ "$got4" = "$want4" ] || fail "IPv4 listeners '$got4', not '$want4'"
	[ "$got6" = "$want6" ] || fail "IPv6 listeners '$got6', not '$want6'"
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
stop_daemon() {
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || fail "the daemon did not stop cleanly: $(tail -3 "$1")"
	daemon_pid=
}
code() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@" || true; }
code_1s() { curl -sS --max-time 1 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null || true; }

# The default daemon: loopback, no token, the admin endpoint open to loopback.
ordercored_start "$tmp/d1.err" "$ordercored" --dataset "$tmp/ds" || fail "no daemon"
expect_sockets "$daemon_pid" "$(sorted "127.0.0.1:$port" "127.0.0.1:$admin_port")" ""
[ "$(code "http://127.0.0.1:$admin_port/healthz")" = 200 ] || fail "no token: /healthz not 200"
# Once clients came and went, still no other socket.
expect_status 0 "$cli" --connect "127.0.0.1:$port" stats
expect_sockets "$daemon_pid" "$(sorted "127.0.0.1:$port" "127.0.0.1:$admin_port")" ""
stop_daemon "$tmp/d1.err"

# ---- a token, on every interface ----
ordercored_start "$tmp/d2.err" "$ordercored" --dataset "$tmp/ds" --listen 0.0.0.0:0 \
	--admin-listen 0.0.0.0:0 --token s3cret --connections-max 2 --hello-timeout-ms 2000 ||
	fail "no daemon"
grep -q 'msg="listening" host=0.0.0.0 .* token=yes .* admin=0.0.0.0 ' "$tmp/d2.err" ||
	fail "not said where: $(cat "$tmp/d2.err")"
expect_sockets "$daemon_pid" "$(sorted "0.0.0.0:$port" "0.0.0.0:$admin_port")" ""
admin=http://127.0.0.1:$admin_port
[ "$(code "$admin/metrics")" = 401 ] || fail "/metrics without a token not 401"
for auth in "Bearer wrong" "Bearer s3cre" "Bearer s3cretX" "Bearer s3cret2" "Basic czNjcmV0" \
	"s3cret" "Bearer" "Bearer  "; do
	[ "$(code -H "Authorization: $auth" "$admin/metrics")" = 401 ] ||
		fail "/metrics with '$auth' not 401"
done
[ "$(code -X POST "$admin/nope")" = 401 ] || fail "nothing is told without the token"
curl -sS --max-time 5 -D "$tmp/headers" -o /dev/null "$admin/healthz" || true
grep -qi '^WWW-Authenticate: Bearer realm="ordercored"' "$tmp/headers" ||
	fail "no WWW-Authenticate: $(cat "$tmp/headers")"
[ "$(code -H 'Authorization: Bearer s3cret' "$admin/metrics")" = 200 ] || fail "token: not 200"
[ "$(code -H 'Authorization: bearer s3cret' "$admin/healthz")" = 200 ] ||
	fail "the scheme's name is not case-sensitive"
# The order port and the command-line client.
expect_status 2 "$cli" --connect "127.0.0.1:$port" stats
grep -qi token "$tmp/err" || fail "no token: not said: $(cat "$tmp/err")"
expect_status 0 "$cli" --connect "127.0.0.1:$port" --token s3cret stats
ORDERCORE_TOKEN=s3cret expect_status 0 "$cli" --connect "127.0.0.1:$port" stats
top=(top --admin "127.0.0.1:$admin_port" --interval-ms 100 --count 1)
expect_status 2 "$cli" "${top[@]}"
grep -q "HTTP 401" "$tmp/err" || fail "top without the token: $(cat "$tmp/err")"
expect_status 0 "$cli" --token s3cret "${top[@]}"
ORDERCORE_TOKEN=s3cret expect_status 0 "$cli" "${top[@]}"
expect_status 2 "$cli" --token 'two words' "${top[@]}"

# --connections-max 2: two silent connections take both slots; a third is told overload.
exec 5<>"/dev/tcp/127.0.0.1/$port" 6<>"/dev/tcp/127.0.0.1/$port"
expect_status 2 "$cli" --connect "127.0.0.1:$port" --token s3cret stats
grep -qi overload "$tmp/err" || fail "one connection too many not told overload: $(cat "$tmp/err")"
for ((i = 0; i < 50; i++)); do # published at the server's next loop turn
	refused_total=$(curl -sS -H 'Authorization: Bearer s3cret' "$admin/metrics" |
		awk '$1 == "ordercore_connections_refused_total" { print $2 }')
	[ "${refused_total:-0}" -ge 1 ] && break
	sleep 0.1
done
[ "${refused_total:-0}" -ge 1 ] || fail "connections_refused_total '$refused_total'"
# --hello-timeout-ms 2000: both are closed (an error frame, then the end) about then.
start=$(date +%s%N)
timeout 10 cat <&5 >/dev/null || fail "a silent connection not closed within 10 s"
timeout 10 cat <&6 >/dev/null || fail "a silent connection not closed within 10 s"
waited_ms=$((($(date +%s%N) - start) / 1000000))
exec 5<&- 6<&-
# (timed from here, after the refusal above: at least the last second of the 2 s is left)
[ "$waited_ms" -ge 1000 ] || fail "silent connections closed $waited_ms ms later: before their 2 s"
expect_status 0 "$cli" --connect "127.0.0.1:$port" --token s3cret stats

# The admin endpoint's 16 connections: 16 idle ones, and a request is not served (the
# library stops accepting: it waits in the listen queue); once they are gone, it is. An idle
# connection is closed after 5 s.
fds=()
for ((i = 0; i < 16; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$admin_port"
	fds+=("$fd")
done
sleep 0.3 # the endpoint's thread has taken them
got=$(code_1s -H 'Authorization: Bearer s3cret' "$admin/healthz")
[ "$got" != 200 ] || fail "a 17th admin connection was served"
start=$(date +%s%N)
timeout 15 cat <&"${fds[0]}" >/dev/null || fail "an idle admin connection not closed in 15 s"
waited_ms=$((($(date +%s%N) - start) / 1000000))
[ "$waited_ms" -ge 3000 ] || fail "an idle admin connection closed after $waited_ms ms"
for fd in "${fds[@]}"; do exec {fd}<&-; done
[ "$(code -H 'Authorization: Bearer s3cret' "$admin/healthz")" = 200 ] ||
	fail "not served once the connections were gone"
expect_sockets "$daemon_pid" "$(sorted "0.0.0.0:$port" "0.0.0.0:$admin_port")" ""
stop_daemon "$tmp/d2.err"

# ---- --connection-inflight-max: a client that pipelines more is read no further ----
# One connection keeps 256 commands in flight; the daemon takes 8 at a time from it and reads
# it again as answers go out: every command is still answered, once, in order, and checked.
ordercored_start "$tmp/d4.err" "$ordercored" --dataset "$tmp/ds" --connection-inflight-max 8 ||
	fail "no daemon"
expect_status 0 "$loadgen" --connect "127.0.0.1:$port" --dataset "$tmp/ds" --orders 20000 \
	--seed 4 --connections 1 --pipeline 256 --json "$tmp/capped.json"
grep -q "unanswered 0, answered twice 0, answered out of order 0" "$tmp/out" ||
	fail "capped connection: not every command answered once: $(cat "$tmp/out")"
grep -q '"order_mismatches": 0,' "$tmp/capped.json" || fail "capped connection: mismatches"
stalls=$(curl -sS "http://127.0.0.1:$admin_port/metrics" |
	sed -n 's/^ordercore_connection_inflight_stalls_total \([0-9]*\)$/\1/p')
[ "${stalls:-0}" -gt 0 ] || fail "connection_inflight_max 8 never held a connection back"
stop_daemon "$tmp/d4.err"

# ---- IPv6 loopback: no token needed ----
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	ordercored_start "$tmp/d3.err" "$ordercored" --dataset "$tmp/ds" --listen '[::1]:0' \
		--admin-listen '[::1]:0' || fail "no daemon on ::1"
	v6=00000000000000000000000001000000 # ::1 as /proc/net/tcp6 writes it
	expect_sockets "$daemon_pid" "" "$(sorted "$v6:$(printf %04X "$port")" \
		"$v6:$(printf %04X "$admin_port")")"
	[ "$(code "http://[::1]:$admin_port/healthz")" = 200 ] || fail "::1: /healthz not 200"
	expect_status 0 "$cli" --connect "[::1]:$port" stats
	stop_daemon "$tmp/d3.err"
else
	echo "no IPv6 loopback here: its part skipped"
fi
echo "security limits: ok"
