# Thin wrapper over CMake: `make run`, `make test`, `make bench`. Every target installs the
# Debian packages it needs first (scripts/deps.sh does nothing when they are present).

BUILD       ?= build
TSAN_BUILD  ?= build-tsan
ASAN_BUILD  ?= build-asan
CLANG_BUILD ?= build-clang
FUZZ_BUILD  ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
# -Werror in CI (CI=true is set there), warnings stay warnings on a developer's machine.
WERROR     ?= $(if $(CI),ON,OFF)
CMAKE      := cmake

.PHONY: all deps build test test-tsan test-asan lint fuzz sim run bench peers crash-soak clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DOC_WERROR=$(WERROR) >/dev/null
	$(CMAKE) --build $(BUILD) -j$(JOBS)

# Every test; again under ThreadSanitizer all but the fuzz targets, the simulation, the
# in-process kill -9 soak and the benchmark smoke (single-threaded or too slow there: the rest
# is the concurrency, pipeline and daemon tests); every test again under AddressSanitizer and
# UndefinedBehaviorSanitizer; then clang and cppcheck (lint).
# Each run first empties its build's tests/tmp (the tests' scratch data directories, named by
# process id: a run leaves about a gigabyte there).
test: build
	rm -rf $(BUILD)/tests/tmp
	cd $(BUILD) && ctest --output-on-failure
	$(MAKE) --no-print-directory test-tsan
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory lint

test-tsan: deps
	$(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOC_SANITIZE=thread \
		-DOC_WERROR=$(WERROR) >/dev/null
	$(CMAKE) --build $(TSAN_BUILD) -j$(JOBS)
	rm -rf $(TSAN_BUILD)/tests/tmp
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
		ctest -E '^(fuzz_|sim_|crash_kill9$$|bench_smoke$$)' --output-on-failure

# Every test under AddressSanitizer and UndefinedBehaviorSanitizer (any report fails the test:
# -fno-sanitize-recover; leaks are reported at exit).
test-asan: deps
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DOC_SANITIZE=address,undefined -DOC_WERROR=$(WERROR) >/dev/null
	$(CMAKE) --build $(ASAN_BUILD) -j$(JOBS)
	rm -rf $(ASAN_BUILD)/tests/tmp
	cd $(ASAN_BUILD) && ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" \
		UBSAN_OPTIONS="print_stacktrace=1" ctest --output-on-failure

# Everything builds under clang with -Werror too, and cppcheck finds nothing in engine/ (a
# finding it gets wrong is suppressed where it stands, with the reason).
lint: deps
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(CLANG_BUILD) -DCMAKE_BUILD_TYPE=Release \
		-DOC_WERROR=ON >/dev/null
	$(CMAKE) --build $(CLANG_BUILD) -j$(JOBS)
	cppcheck --quiet --enable=warning,portability --inline-suppr --std=c11 -I engine \
		-I include --error-exitcode=1 engine/

# The fuzz targets under libFuzzer (clang, with AddressSanitizer and UndefinedBehaviorSanitizer)
# for FUZZ_SECONDS each, from the checked-in corpora and dictionaries (tests/fuzz/corpus,
# tests/fuzz/*.dict) and what earlier runs found in $(FUZZ_BUILD)/corpus, where new inputs go
# (tests/fuzz/run.sh; tests/fuzz/README.md also tells how to run them under AFL++). make test
# replays the same corpora and fuzzes each target briefly, without libFuzzer
# (tests/fuzz/fuzz_driver.c).
fuzz: deps
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DOC_FUZZ=ON >/dev/null
	$(CMAKE) --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The deterministic simulation (tests/sim/sim.c) for SEEDS seeds from SEED_FIRST: the engine on
# one thread, a simulated clock and a disk that fails and forgets on purpose. make test runs
# 700 of them (200 long enough to roll the log over segments, and 20 more twice, for
# determinism); a failing seed is printed with the command that replays it.
SEEDS      ?= 10000
SEED_FIRST ?= 1
sim: build
	./$(BUILD)/tests/sim/ordercore-sim --seeds $(SEEDS) --first $(SEED_FIRST)

# The flash-sale demo: ordercored on a generated demo dataset, the flash sale over TCP.
run: build
	bash scripts/run_demo.sh $(BUILD)

# Micro-benchmarks (JSON in $(BUILD)/bench.json, SVG charts of it in $(BUILD)/charts), the
# in-process flash-sale throughput, end to
# end per durability mode in process and over loopback ($(BUILD)/end_to_end.json), and the
# log's durable appends beside fio on the same filesystem.
bench: build
	@bash scripts/deps.sh --bench
	./$(BUILD)/bench/ordercore-bench --benchmark_out=$(BUILD)/bench.json \
		--benchmark_out_format=json
	python3 bench/charts.py $(BUILD)/bench.json $(BUILD)/charts
	bash bench/flash_sale.sh ./$(BUILD)/loadgen/ordercore-loadgen
	bash bench/end_to_end.sh $(BUILD)
	bash bench/wal_vs_fio.sh ./$(BUILD)/bench/ordercore-bench
	bash bench/sync_methods.sh

# The same order stream through ordercore, Redis and PostgreSQL (installed by scripts/deps.sh
# --peers), each durable and not: orders/s and ordercore / peer ratios (bench/peers/run.sh).
peers: build
	bash bench/peers/run.sh --json $(BUILD)/peers.json

# The crash test for longer: 1,000 kill -9 cycles (about an hour here).
crash-soak: build
	bash tests/crash/kill9.sh ./$(BUILD)/loadgen/ordercore-loadgen 1000

clean:
	rm -rf $(BUILD) $(TSAN_BUILD) $(ASAN_BUILD) $(CLANG_BUILD) $(FUZZ_BUILD)
