#!/usr/bin/env bash
# WAL durable appends beside fio: for each oc_wal_append/R/N case of ordercore-bench (sync
# mode, one fdatasync per frame), fio writes the same bytes per fdatasync (bs = the case's
# frame bytes) sequentially through io_uring on the same filesystem, then ordercore-bench
# runs the cases (io_uring, and the pwrite backend as a second baseline). Prints frame
# bytes, fio MB/s, ordercore MB/s and their ratio (MB = 10^6 bytes). Issue 3 asks >= 90%.
# Usage: bench/wal_vs_fio.sh [PATH/TO/ordercore-bench] (default build/bench/ordercore-bench)
# Environment: OC_BENCH_DIR (directory for the files; default $TMPDIR or /tmp, or the current
# directory when that is a tmpfs), FIO_SECONDS (per fio run, whole seconds, default 3),
# MIN_TIME (seconds per benchmark, default 1). Needs fio and jq (scripts/deps.sh --bench);
# installs nothing itself.
set -euo pipefail
bench=${1:-build/bench/ordercore-bench}
min_time=${MIN_TIME:-1}
me=wal_vs_fio.sh
. "$(dirname "$0")/disk_common.sh"
[ -x "$bench" ] || { echo "$me: $bench is not an executable" >&2; exit 2; }
export OC_BENCH_DIR=$dir # the benchmark's files go to the same filesystem as fio's

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
	"kernel $(uname -r), $(fio --version)"
echo "filesystem of $dir:"
df -T "$dir" | sed 's/^/  /'

# The frame bytes of each case, from a very short run (frames have a fixed length per case).
"$bench" --benchmark_filter='^oc_wal_append/' --benchmark_min_time=0.01 \
	--benchmark_format=json 2>/dev/null >"$dir/probe.json"
jq -r '.benchmarks[] | "\(.name | sub("/real_time$"; "")) \(.frame_bytes | round)"' \
	"$dir/probe.json" >"$dir/cases"
if [ ! -s "$dir/cases" ] || jq -e '[.benchmarks[] | select(.error_occurred)] | length > 0' \
	"$dir/probe.json" >/dev/null; then
	echo "wal_vs_fio.sh: the oc_wal_append benchmarks failed or were skipped:" >&2
	jq -r '.benchmarks[] | select(.error_occurred) | "  \(.name): \(.error_message)"' \
		"$dir/probe.json" >&2
	exit 1
fi

# fio: one job per frame size, sequential writes of bs bytes, fdatasync after each, one I/O
# in flight (as the WAL: its frames drain one after another). The file is preallocated with
# fallocate (fio's default, as the WAL's segments), large enough that the time ends first.
echo
echo "fio commands:"
while read -r name bytes; do
	cmd=(fio --name=wal_vs_fio --ioengine=io_uring --rw=write --fdatasync=1 --iodepth=1
		--bs="$bytes" --size=2g --runtime="$fio_seconds" --filename="$dir/fio.dat"
		--unlink=1 --output-format=json)
	echo "  ${cmd[*]}"
	"${cmd[@]}" >"$dir/fio.json"
	jq -r --arg n "$name" --arg b "$bytes" \
		'.jobs[0] | "\($n) \($b) \(.write.bw_bytes) \(.write.iops)"' \
		"$dir/fio.json" >>"$dir/fio.txt"
done <"$dir/cases"

echo
bcmd=("$bench" --benchmark_filter='^oc_wal_append' --benchmark_min_time="$min_time"
	--benchmark_format=json)
echo "ordercore-bench command: OC_BENCH_DIR=$dir ${bcmd[*]}"
"${bcmd[@]}" 2>/dev/null >"$dir/bench.json"
jq -r '.benchmarks[] | [(.name | sub("/real_time$"; "")), .bytes_per_second // 0,
	.items_per_second // 0, .record_bytes // 0] | map(tostring) | join(" ")' \
	"$dir/bench.json" >"$dir/bench.txt"

echo
printf '%-22s %8s %6s %9s %9s %9s %6s %11s %11s\n' case frame_B rec_B fio_MB/s fio_syncs \
	wal_MB/s ratio wal_recs/s pwrite_MB/s
while read -r name bytes fio_bw fio_iops; do
	pw=${name/oc_wal_append/oc_wal_append_pwrite}
	read -r wal_bw wal_items rec < <(awk -v n="$name" '$1 == n {print $2, $3, $4}' \
		"$dir/bench.txt")
	pw_bw=$(awk -v n="$pw" '$1 == n {print $2}' "$dir/bench.txt")
	awk -v n="$name" -v b="$bytes" -v r="${rec:-0}" -v f="$fio_bw" -v fi="$fio_iops" \
		-v w="${wal_bw:-0}" -v wi="${wal_items:-0}" -v p="${pw_bw:-0}" 'BEGIN {
		printf "%-22s %8d %6.1f %9.1f %9.0f %9.1f %5.0f%% %11.0f %11.1f\n", n, b, r,
			f / 1e6, fi, w / 1e6, (f > 0 ? 100 * w / f : 0), wi, p / 1e6 }'
done <"$dir/fio.txt"
echo "(fio_syncs: fdatasyncs/s of fio = its writes/s; ratio = wal_MB/s / fio_MB/s)"
