#!/usr/bin/env bash
# tests/fuzz/run.sh: `make fuzz`. Runs every libFuzzer target of BUILD (configured with clang
# and -DOC_FUZZ=ON) for SECONDS each. A target starts from its checked-in corpus
# (tests/fuzz/corpus/<target>, read only) and its dictionary (tests/fuzz/<target>.dict), and
# writes the inputs it finds into BUILD/corpus/<target>, which later runs start from too, so
# that runs build on each other without touching the source tree. Inputs are at most
# MAX_LEN_BYTES, as fuzz_driver.c's (FUZZ_INPUT_BYTES_MAX), so that a crash replays the same
# under ctest's build. The targets that write files do so under /dev/shm when it is there.
# Prints executions, executions per second and corpus size per target; exits 1 at the first
# target that crashes (libFuzzer leaves the input as BUILD/crash-*: replay it with
# BUILD/tests/fuzz_<target>_libfuzzer FILE, or BUILD/tests/fuzz_<target> FILE).
# Usage: tests/fuzz/run.sh BUILD SECONDS
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD SECONDS}
seconds=${2:?usage: tests/fuzz/run.sh BUILD SECONDS}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
MAX_LEN_BYTES=4096
# An input that takes longer than this is a hang, s.
TIMEOUT_S=60
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	export TMPDIR=/dev/shm
fi
status=0
for fuzzer in "$build"/tests/fuzz_*_libfuzzer; do
	target=$(basename "$fuzzer" _libfuzzer)
	name=${target#fuzz_}
	corpus=$build/corpus/$name
	mkdir -p "$corpus"
	log=$build/corpus/$name.log
	if ! (cd "$build" && "$fuzzer" "$corpus" "$src/corpus/$name" -dict="$src/$name.dict" \
		-max_len=$MAX_LEN_BYTES -timeout=$TIMEOUT_S -max_total_time="$seconds" \
		-print_final_stats=1 >"$log" 2>&1); then
		echo "$target: FAILED; see $log and $build/crash-* (or timeout-*, leak-*)" >&2
		status=1
		break
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	echo "$target: $runs executions in $seconds s ($rate/s), no crash; $added new inputs," \
		"$(ls "$corpus" | wc -l) in $corpus"
done
exit "$status"
