/* worker.c: the worker thread loop, its idle strategy (spin, yield, park on a futex) and
 * core pinning. See worker.h for who touches what. */
#include "core/log.h"
#include "core/worker.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"

void oc_worker_init(struct oc_worker *w, uint32_t index, int cpu, uint32_t spin_turns,
		    uint32_t yield_turns)
{
	memset(w, 0, sizeof(*w));
	atomic_init(&w->epoch, 0);
	atomic_init(&w->sleeping, 0);
	atomic_init(&w->stop_flag, 0);
	w->index = index;
	w->cpu = cpu;
	w->idle_spin_turns = spin_turns;
	w->idle_yield_turns = yield_turns;
}

int oc_worker_add_stage(struct oc_worker *w, oc_stage_step_fn step, oc_stage_publish_fn publish,
			void *stage, const char *name)
{
	if (w->stage_count == OC_WORKER_STAGES_MAX)
		return -ENOSPC;
	struct oc_stage_ref *s = &w->stages[w->stage_count++];
	memset(s, 0, sizeof(*s)); /* the metrics: all-zero bytes are zero */
	s->step = step;
	s->publish = publish;
	s->stage = stage;
	s->name = name;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t); /* vDSO: no system call */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void oc_worker_publish(struct oc_worker *w)
{
	for (uint32_t i = 0; i < w->stage_count; i++)
		if (w->stages[i].publish)
			w->stages[i].publish(w->stages[i].stage);
}

uint32_t oc_worker_turn(struct oc_worker *w)
{
	uint32_t work = 0;
	uint64_t t0 = now_ns();
	if (t0 - w->published_ns >= OC_WORKER_PUBLISH_NS) {
		oc_worker_publish(w);
		w->published_ns = t0;
	}
	for (uint32_t i = 0; i < w->stage_count; i++) {
		struct oc_stage_ref *s = &w->stages[i];
		uint32_t done = s->step(s->stage);
		uint64_t t1 = now_ns();
		if (done) {
			oc_metric_add(&s->busy_ns, t1 - t0);
			oc_metric_add(&s->messages, done);
			oc_metric_add(&s->steps, 1);
			oc_metric_hist_add(&s->batch, done);
			work += done;
		}
		t0 = t1;
	}
	return work;
}

void oc_worker_futex_wake(struct oc_worker *w)
{
	/* Pairs with the acquire load of epoch in park(): a worker that read the old epoch sees
	 * the futex word differ and does not sleep; the kernel compares the word atomically. */
	atomic_fetch_add_explicit(&w->epoch, 1, memory_order_release);
	syscall(SYS_futex, &w->epoch, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Parks until woken. Returns the work found by the last look before parking. */
static uint32_t park(struct oc_worker *w)
{
	/* Read before `sleeping` is raised: a wake after this point changes epoch (pairs with the
	 * fetch_add in oc_worker_futex_wake), so FUTEX_WAIT returns at once. */
	uint32_t epoch = atomic_load_explicit(&w->epoch, memory_order_acquire);
	/* Relaxed: ordered by the seq_cst fence below, which is what wakers pair with. */
	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	/* Pairs with the fence in oc_worker_wake (see there). */
	atomic_thread_fence(memory_order_seq_cst);
	w->keep_awake = false;
	uint32_t work = oc_worker_turn(w);
	if (work == 0 && !w->keep_awake &&
	    !atomic_load_explicit(&w->stop_flag, memory_order_acquire)) {
		oc_worker_publish(w); /* idle: the figures stay exact while it sleeps */
		oc_metric_add(&w->parks, 1);
		uint64_t t0 = now_ns();
		syscall(SYS_futex, &w->epoch, FUTEX_WAIT_PRIVATE, epoch, NULL, NULL, 0);
		uint64_t t1 = now_ns();
		w->published_ns = t1;
		oc_metric_add(&w->parked_ns, t1 - t0);
	}
	/* Relaxed: a waker that still sees 1 only makes a spurious futex wake. */
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
	return work;
}

static void *worker_main(void *arg)
{
	struct oc_worker *w = arg;
	uint32_t idle = 0;
	/* Pairs with the release store in oc_worker_stop. */
	while (!atomic_load_explicit(&w->stop_flag, memory_order_acquire)) {
		oc_metric_add(&w->turns, 1);
		w->keep_awake = false;
		if (oc_worker_turn(w)) {
			idle = 0;
			continue;
		}
		idle++;
		if (idle < w->idle_spin_turns)
			oc_cpu_relax();
		else if (idle < w->idle_spin_turns + w->idle_yield_turns || w->keep_awake)
			sched_yield();
		else if (park(w))
			idle = 0;
	}
	return NULL;
}

int oc_worker_start(struct oc_worker *w)
{
	atomic_store_explicit(&w->stop_flag, 0, memory_order_relaxed); /* before the thread exists */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		w->pinned = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0;
	}
	int rc = pthread_create(&w->thread, &attr, worker_main, w);
	if (rc != 0 && w->pinned) {
		/* Affinity refused at creation (a cpuset that changed): run unpinned. */
		oc_log(OC_LOG_WARN, "msg=\"cannot pin worker\" worker=%u cpu=%d",
			w->index, w->cpu);
		pthread_attr_destroy(&attr);
		pthread_attr_init(&attr);
		w->pinned = false;
		rc = pthread_create(&w->thread, &attr, worker_main, w);
	}
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return -rc;
	char name[16];
	snprintf(name, sizeof(name), "oc-worker-%u", w->index);
	pthread_setname_np(w->thread, name);
	w->started = true;
	return 0;
}

void oc_worker_stop(struct oc_worker *w)
{
	if (!w->started)
		return;
	atomic_store_explicit(&w->stop_flag, 1, memory_order_release);
	oc_worker_futex_wake(w);
	pthread_join(w->thread, NULL);
	w->started = false;
}

uint32_t oc_worker_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	int n = CPU_COUNT(&set);
	return n > 0 ? (uint32_t)n : 1;
}
