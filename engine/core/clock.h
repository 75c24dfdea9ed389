/* clock.h: the two clocks whose readings decide what the engine does: wall time, which the
 * sequencer stamps on every command (it is logged, and every time rule is decided from it,
 * snapshots by time too), and monotonic time, which paces the log's syncs in async mode (the
 * journal's release-latency figure reads the same clock). Both can be replaced, for a whole
 * process, by a simulated clock (tests/sim drives the engine from one thread and a seed, so it
 * must also own time). Clocks that only feed other metrics (the workers' busy and parked
 * time, a snapshot's duration) stay real.
 *
 * The override is set before any engine thread starts and never while one runs. */
#ifndef OC_CLOCK_H
#define OC_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The simulated clock, nanoseconds, or NULL (the default: the kernel's clocks). */
typedef uint64_t (*oc_clock_fn)(void);
extern oc_clock_fn oc_clock_test_override;

/* Test-only: replaces both clocks with fn (NULL: back to the kernel's). */
void oc_clock_test_set(oc_clock_fn fn);

static inline uint64_t oc_clock_read(clockid_t id)
{
	if (oc_clock_test_override)
		return oc_clock_test_override();
	struct timespec t;
	clock_gettime(id, &t); /* vDSO: no system call */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Nanoseconds since the epoch. */
static inline uint64_t oc_clock_realtime_ns(void) { return oc_clock_read(CLOCK_REALTIME); }

/* Nanoseconds since boot (never jumps). */
static inline uint64_t oc_clock_monotonic_ns(void) { return oc_clock_read(CLOCK_MONOTONIC); }

#endif
