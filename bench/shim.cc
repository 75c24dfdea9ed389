// shim.cc: implements the C benchmark API of shim.h on Google Benchmark (1.7), and main():
// it registers every suite listed in the generated bench_suites.h, then hands the command
// line to Google Benchmark (--benchmark_filter, --benchmark_min_time, --benchmark_format...).
#include "shim.h"

#include <benchmark/benchmark.h>

struct oc_bench_state {
	benchmark::State *state;
};

extern "C" {

// Every suite's registration function, one per bench/bench_<suite>.c.
#define OC_BENCH_SUITE(suite) void oc_bench_register_##suite(void);
#include "bench_suites.h"
#undef OC_BENCH_SUITE

void oc_bench_register(const char *name, oc_bench_fn *fn, const int64_t *args, int nargs,
                       unsigned flags)
{
	benchmark::internal::Benchmark *b =
	    benchmark::RegisterBenchmark(name, [fn](benchmark::State &state) {
		    oc_bench_state st{&state};
		    fn(&st);
	    });
	for (int i = 0; i < nargs; i++)
		b->Arg(args[i]);
	if (flags & OC_BENCH_REAL_TIME)
		b->UseRealTime();
}

bool oc_bench_keep_running(oc_bench_state *st)
{
	return st->state->KeepRunning();
}

bool oc_bench_keep_running_batch(oc_bench_state *st, int64_t n)
{
	return st->state->KeepRunningBatch(n);
}

int64_t oc_bench_range(const oc_bench_state *st, int i)
{
	return st->state->range(static_cast<std::size_t>(i));
}

int64_t oc_bench_iterations(const oc_bench_state *st)
{
	return st->state->iterations();
}

void oc_bench_set_items_processed(oc_bench_state *st, int64_t items)
{
	st->state->SetItemsProcessed(items);
}

void oc_bench_pause(oc_bench_state *st)
{
	st->state->PauseTiming();
}

void oc_bench_resume(oc_bench_state *st)
{
	st->state->ResumeTiming();
}

void oc_bench_counter(oc_bench_state *st, const char *name, double value, unsigned flags)
{
	benchmark::Counter::Flags f = benchmark::Counter::kDefaults;
	if (flags & OC_BENCH_COUNTER_RATE)
		f = f | benchmark::Counter::kIsRate;
	if (flags & OC_BENCH_COUNTER_INVERT)
		f = f | benchmark::Counter::kInvert;
	st->state->counters[name] = benchmark::Counter(value, f);
}

void oc_bench_skip_with_error(oc_bench_state *st, const char *msg)
{
	st->state->SkipWithError(msg);
}

} // extern "C"

int main(int argc, char **argv)
{
#define OC_BENCH_SUITE(suite) oc_bench_register_##suite();
#include "bench_suites.h"
#undef OC_BENCH_SUITE

	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
