# ordercored_start.sh: sourced by the scripts that run a daemon (scripts/run_demo.sh and the
# tests in tests/cli and tests/crash). ordercored_start LOG ORDERCORED ARGS... starts the daemon
# on 127.0.0.1 port 0 (it picks a free port and logs it), its admin endpoint on another free
# port (ARGS may say otherwise: the last --admin-listen wins), with its stderr in LOG, and waits
# until it listens: sets daemon_pid, port and admin_port (0: none), or prints the log and
# returns 1.
ordercored_start() {
	local log=$1 bin=$2
	shift 2
	# Emptied here, not only by the child's redirection: a log left by an earlier daemon would
	# otherwise be read below, before the child truncates it, and its port taken for this one's.
	: >"$log"
	"$bin" --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 "$@" 2>>"$log" &
	daemon_pid=$!
	port=
	local i
	for ((i = 0; i < 1000; i++)); do
		port=$(sed -n 's/.*msg="listening".* port=\([0-9]*\).*/\1/p' "$log")
		admin_port=$(sed -n 's/.*msg="listening".* admin_port=\([0-9]*\).*/\1/p' "$log")
		[ -n "$port" ] && return 0
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			echo "ordercored exited: $(cat "$log")" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "ordercored did not say where it listens: $(cat "$log")" >&2
	return 1
}
