/* worker.h: a worker thread runs the steps of one or more stages in turn, pinned to a core
 * when there are enough, and idles without burning a core: it spins a few empty turns, then
 * yields a few, then parks on a futex until a producer wakes it.
 *
 * A worker owns its thread and its list of stages; the stages' state is touched only by it.
 * Other threads touch only `epoch` and `sleeping` (through oc_worker_wake) and `stop_flag`,
 * and read its metrics (core/metrics.h: written by the worker alone). Every
 * OC_WORKER_PUBLISH_NS, and before it parks, the worker calls each stage's publish function,
 * which copies the stage's private counters into its metrics: an idle engine's figures are
 * exact, a busy one's at most that old. */
#ifndef OC_WORKER_H
#define OC_WORKER_H

#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/metrics.h"

#define OC_WORKER_STAGES_MAX 80 /* all shards plus validate, route and egress */
#define OC_WORKER_PUBLISH_NS (100u * 1000u * 1000u) /* stages' metrics at most this stale */

/* One turn of a stage: moves what it can without blocking and returns how many messages it
 * handled (0: nothing to do, or blocked on a full output). */
typedef uint32_t (*oc_stage_step_fn)(void *stage);

/* Copies a stage's private counters into its metrics; called on the stage's worker. */
typedef void (*oc_stage_publish_fn)(void *stage);

struct oc_stage_ref {
	oc_stage_step_fn step;
	oc_stage_publish_fn publish; /* or NULL */
	void *stage;
	const char *name;
	oc_metric busy_ns;           /* time in steps that did work */
	oc_metric messages;          /* work those steps reported */
	oc_metric steps;             /* steps that did work */
	struct oc_metric_hist batch; /* messages a step that did work moved */
};

struct oc_worker {
	/* Shared line: written by wakers and by the worker when it parks. */
	alignas(64) _Atomic uint32_t epoch; /* futex word; wakers bump it */
	_Atomic uint32_t sleeping;          /* 1 while the worker is parking or parked */
	_Atomic uint32_t stop_flag;

	/* Private to the worker thread (set up before start). */
	alignas(64) pthread_t thread;
	int cpu; /* core to pin to, or -1 */
	uint32_t index;
	uint32_t stage_count;
	uint32_t idle_spin_turns;
	uint32_t idle_yield_turns;
	struct oc_stage_ref stages[OC_WORKER_STAGES_MAX];
	uint64_t published_ns; /* when the stages last published */
	oc_metric turns;
	oc_metric parks;
	oc_metric parked_ns;  /* time asleep on the futex */
	bool keep_awake;      /* a stage waits for something no producer will wake it for */
	bool started;
	bool pinned;
};

/* Prepares a worker with no stages. cpu < 0: not pinned. */
void oc_worker_init(struct oc_worker *w, uint32_t index, int cpu, uint32_t spin_turns,
		    uint32_t yield_turns);

/* Appends a stage (publish may be NULL); -ENOSPC when full. Setup time only. */
int oc_worker_add_stage(struct oc_worker *w, oc_stage_step_fn step, oc_stage_publish_fn publish,
			void *stage, const char *name);

/* Starts the thread. 0 or -errno. Pinning that fails is reported once and not fatal. */
int oc_worker_start(struct oc_worker *w);

/* Asks the worker to stop, wakes it and joins it. */
void oc_worker_stop(struct oc_worker *w);

/* Runs every stage once on the calling thread; returns the work done. Used by the worker
 * loop, and by the controlling thread after stop to drain what is left. */
uint32_t oc_worker_turn(struct oc_worker *w);
/* Has every stage publish its metrics now: the worker's own thread, or the controlling
 * thread once the worker is stopped. */
void oc_worker_publish(struct oc_worker *w);

void oc_worker_futex_wake(struct oc_worker *w);

/* Wakes w if it is parked or about to park. Call after publishing anything it may be waiting
 * for (a ring commit or release). w may be NULL (the consumer is the caller's own worker, or
 * the application thread). */
static inline void oc_worker_wake(struct oc_worker *w)
{
	if (!w)
		return;
	/* Pairs with the seq_cst fence in the worker's park path: either the worker sees what
	 * we published before this fence when it checks its rings again, or we see its
	 * `sleeping` store and bump the futex word it waits on. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->sleeping, memory_order_relaxed))
		oc_worker_futex_wake(w);
}

/* Called by a stage during its turn when it waits for something that does not wake the
 * worker (an I/O completion): the worker yields instead of parking after this turn. */
static inline void oc_worker_keep_awake(struct oc_worker *w) { w->keep_awake = true; }

/* One pause of a spin-wait loop. */
static inline void oc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* The wait of a thread that polls a ring outside a worker (an application, a test, a
 * benchmark): spin `spin_turns` pauses, since the other side is likely running on another
 * core, then yield once, since it may be waiting for this one; *turns counts the pauses. */
static inline void oc_backoff(uint32_t *turns, uint32_t spin_turns)
{
	if (++*turns < spin_turns) {
		oc_cpu_relax();
	} else {
		*turns = 0;
		sched_yield();
	}
}

/* Cores usable by this process (sched_getaffinity), at least 1. */
uint32_t oc_worker_cores(void);

#endif
