# daemon_test.sh: sourced by the tests in tests/cli that run ordercore-loadgen against a real
# ordercored on loopback. Gives them a scratch directory ($tmp), removed at exit with the
# daemon they started ($daemon_pid: woken if stopped, then sent SIGTERM), ordercored_start
# (scripts/ordercored_start.sh), and the helpers below.
tmp=$(mktemp -d)
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -CONT "$daemon_pid" 2>/dev/null || true
		kill -TERM "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Runs a command (after the expected status) with its output in $tmp/out and $tmp/err.
expect_status() {
	local want=$1; shift
	set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, not $want: $(cat "$tmp/out" "$tmp/err")"
}
# The first number a JSON file gives member $1 ($2: the file).
json_number() {
	sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2" | head -1
}
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/ordercored_start.sh"
