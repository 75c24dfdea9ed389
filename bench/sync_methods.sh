#!/usr/bin/env bash
# Which way of making a log write durable is fastest on this machine (issue 3, item 2): fio
# writes sequentially through io_uring, one I/O in flight, each write made durable by
#   fdatasync   a write, then fdatasync (what the WAL does: a write with a linked fdatasync)
#   dsync       O_DSYNC: every write returns once durable (the same per write as RWF_DSYNC)
#   direct      O_DIRECT | O_DSYNC: no page cache, durable per write (FUA where the device
#               has it)
# for write sizes that span the WAL's frames (a group commit is 10-100 KiB at the rates
# measured, 1 MiB at most). Prints MB/s and writes/s per method and size (MB = 10^6 bytes),
# all in the same run, on the filesystem of OC_BENCH_DIR.
# Usage: bench/sync_methods.sh. Environment: OC_BENCH_DIR (default $TMPDIR or /tmp, or the
# current directory when that is a tmpfs), FIO_SECONDS (per run, default 3). Needs fio and jq
# (scripts/deps.sh --bench); installs nothing itself.
set -euo pipefail
me=sync_methods.sh
. "$(dirname "$0")/disk_common.sh"

echo "machine: $(nproc) cores, kernel $(uname -r), $(fio --version); filesystem:"
df -T "$dir" | sed 's/^/  /'
printf '\n%-8s %-10s %10s %10s\n' bytes method MB/s writes/s
for bs in 16384 65536 262144 1048576; do
	for method in fdatasync dsync direct; do
		case $method in
		fdatasync) opts=(--fdatasync=1) ;;
		dsync) opts=(--sync=dsync) ;;
		direct) opts=(--direct=1 --sync=dsync) ;;
		esac
		fio --name=sync_methods --ioengine=io_uring --rw=write --iodepth=1 --bs="$bs" \
			--size=2g --time_based --runtime="$fio_seconds" --filename="$dir/f" \
			"${opts[@]}" --output-format=json >"$dir/out.json" 2>/dev/null
		jq -r --arg bs "$bs" --arg m "$method" \
			'.jobs[0].write | "\($bs) \($m) \(.bw_bytes / 1e6) \(.iops)"' "$dir/out.json" |
			awk '{printf "%-8s %-10s %10.1f %10.0f\n", $1, $2, $3, $4}'
		rm -f "$dir/f"
	done
done
