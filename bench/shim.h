/* shim.h: the C face of Google Benchmark, so that benchmarks are written in C. A benchmark
 * is a function that loops on oc_bench_keep_running (or _batch) and reports what it did;
 * shim.cc wraps benchmark::State behind struct oc_bench_state and owns main().
 *
 * Registration is explicit, with no static constructors: each bench/bench_<suite>.c
 * defines `void oc_bench_register_<suite>(void)`, which registers its benchmarks. The list
 * of suites is generated from the file names by bench/CMakeLists.txt, and main() calls every
 * suite's function before running what the command line selects. */
#ifndef OC_BENCH_SHIM_H
#define OC_BENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One run of one benchmark; valid only inside the benchmark function it is passed to. */
struct oc_bench_state;

typedef void oc_bench_fn(struct oc_bench_state *st);

enum oc_bench_flags {
	/* Time with the wall clock, not the benchmark thread's CPU time: for benchmarks
	 * that hand work to other threads (UseRealTime). */
	OC_BENCH_REAL_TIME = 1u << 0,
};

/* Registers `name` once per argument, as name/args[i] (no argument when nargs is 0); the
 * argument is read back with oc_bench_range(st, 0). flags: enum oc_bench_flags. The name is
 * copied. Call from oc_bench_register_<suite>. */
void oc_bench_register(const char *name, oc_bench_fn *fn, const int64_t *args, int nargs,
                       unsigned flags);

/* True while the benchmark should do one more iteration. The timer starts at the first
 * call and stops when it returns false; set-up before and clean-up after are not timed. */
bool oc_bench_keep_running(struct oc_bench_state *st);

/* Like oc_bench_keep_running, for n iterations per call (it may run up to n - 1 more
 * than asked; oc_bench_iterations counts them). Cheaper when one iteration is a few ns. */
bool oc_bench_keep_running_batch(struct oc_bench_state *st, int64_t n);

/* The benchmark's i-th argument. */
int64_t oc_bench_range(const struct oc_bench_state *st, int i);

/* Iterations run so far (after the loop: all of them). */
int64_t oc_bench_iterations(const struct oc_bench_state *st);

/* Reports items_per_second (items over the timed duration). Call after the loop. */
void oc_bench_set_items_processed(struct oc_bench_state *st, int64_t items);

/* Stop and restart the timer inside the loop (costly: not per iteration). */
void oc_bench_pause(struct oc_bench_state *st);
void oc_bench_resume(struct oc_bench_state *st);

enum oc_bench_counter_flags {
	OC_BENCH_COUNTER_RATE = 1u << 0,   /* divide by the timed duration */
	OC_BENCH_COUNTER_INVERT = 1u << 1, /* report 1 / value, after any division */
};

/* Adds a user counter shown beside the time; flags: enum oc_bench_counter_flags. A rate,
 * inverted, of items is the time per item in seconds. */
void oc_bench_counter(struct oc_bench_state *st, const char *name, double value, unsigned flags);

/* Marks the run as failed with msg; the benchmark should then return (it may finish the
 * current loop first: oc_bench_keep_running returns false). */
void oc_bench_skip_with_error(struct oc_bench_state *st, const char *msg);

/* Makes the compiler believe *p is read and written here (DoNotOptimize/ClobberMemory). */
static inline void oc_bench_escape(const void *p)
{
	__asm__ volatile("" : : "g"(p) : "memory");
}

#ifdef __cplusplus
}
#endif

#endif
