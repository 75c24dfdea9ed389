#!/usr/bin/env bash
# tests/fuzz/run.sh: `make fuzz`. Runs every libFuzzer target of BUILD (configured with clang
# and -DOC_FUZZ=ON) for SECONDS each, from a corpus in BUILD/corpus/<target> that starts from
# the target's seeds (fuzz_<target> --write-seed) and keeps what libFuzzer adds, so that runs
# build on each other. Prints executions and corpus size per target; exits 1 at the first
# target that crashes (libFuzzer leaves the input as BUILD/crash-*: replay it with
# BUILD/tests/fuzz_<target> FILE).
# Usage: tests/fuzz/run.sh BUILD SECONDS
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD SECONDS}
seconds=${2:?usage: tests/fuzz/run.sh BUILD SECONDS}
build=$(cd "$build" && pwd)
status=0
for fuzzer in "$build"/tests/fuzz_*_libfuzzer; do
	target=$(basename "$fuzzer" _libfuzzer)
	corpus=$build/corpus/${target#fuzz_}
	mkdir -p "$corpus"
	"$build/tests/$target" --write-seed "$corpus/seed"
	log=$build/corpus/${target#fuzz_}.log
	if ! (cd "$build" && "$fuzzer" "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
		>"$log" 2>&1); then
		echo "$target: FAILED after $(grep -c . "$log") log lines; see $log" >&2
		status=1
		break
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "$target: $runs executions in $seconds s, no crash; corpus $(ls "$corpus" | wc -l) inputs"
done
exit "$status"
