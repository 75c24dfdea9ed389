# disk_common.sh: what the disk benchmarks (wal_vs_fio.sh, sync_methods.sh) share, sourced by
# them: checking FIO_SECONDS and the tools they need, and making a scratch directory on a real
# disk. Sets fio_seconds and dir (removed at exit). Expects `me` (the script's name for
# messages).
fio_seconds=${FIO_SECONDS:-3}
case $fio_seconds in
'' | *[!0-9]* | 0) echo "$me: FIO_SECONDS must be a whole number >= 1" >&2; exit 2 ;;
esac
for tool in fio jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "$me: $tool not found; install it (scripts/deps.sh --bench)" >&2
		exit 2
	fi
done
base=${OC_BENCH_DIR:-${TMPDIR:-/tmp}}
if [ "$(stat -f -c %T "$base")" = tmpfs ]; then
	base=$PWD # syncs on tmpfs cost nothing: measure a disk
fi
dir=$(mktemp -d "$base/${me%.sh}.XXXXXX")
trap 'rm -rf "$dir"' EXIT
