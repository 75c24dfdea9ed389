/* bench_ring.c: throughput of the SPSC ring (engine/core/ring.h) with 8-byte items, by
 * burst size N, beside two baselines in the same harness: Concurrency Kit's SPSC ring
 * (ck_ring.h, Debian's libck-dev) and DPDK's rte_ring in SP/SC mode (ring_rte.h, Debian's
 * libdpdk-dev). oc_ring_burst/N, ck_ring_spsc/N and rte_ring_sp_sc_burst/N move items from the
 * benchmark thread to a consumer thread started for each run (the two pinned to different CPUs
 * when there are two), and the _same_thread/N variants push N then pop N on one thread.
 * oc_ring and rte_ring copy bursts (try_push_burst/try_pop_burst, sp_enqueue_burst/
 * sc_dequeue_burst); ck_ring has no burst call, so its N items go one enqueue (dequeue) each,
 * which is how a user of it would move them. Every ring holds RING_SLOTS items. One iteration
 * is one burst of N items. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET */
#endif
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include <ck_ring.h>

#include "core/ring.h"
#include "core/worker.h"
#include "ring_rte.h"
#include "shim.h"

/* The ring size the engine uses at its default admission window (OC_DEFAULT_INFLIGHT_MAX):
 * 8 KiB of 8-byte items, well inside L1/L2 on both cores. */
#define RING_SLOTS 1024u
#define BURST_MAX  256u
#define SPIN_TURNS 64u /* full or empty turns spent spinning before each sched_yield */

/* Items per oc_bench_keep_running_batch call: the shim call costs a few ns, which would be
 * most of the time of a one-item burst. */
#define ITEMS_PER_BATCH 256u

static const int64_t bursts[] = {1, 8, 32, 256};

/* The first two CPUs this process may use; false when there is only one. */
static bool pick_cpus(int *a, int *b)
{
	cpu_set_t set;
	*a = *b = -1;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return false;
	for (int cpu = 0; cpu < CPU_SETSIZE && *b < 0; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (*a < 0)
			*a = cpu;
		else
			*b = cpu;
	}
	return *b >= 0;
}

/* A ring under test: RING_SLOTS of 8-byte items, one producer, one consumer. push and pop
 * move as many of n items as fit (are there) and say how many; `readable` whether any is
 * left. */
struct ring {
	struct oc_ring oc;
	struct ck_ring ck;
	struct ck_ring_buffer *ck_slots;
	struct rte_ring *rte;
};

struct ring_ops {
	uint32_t (*push)(struct ring *r, const uint64_t *items, uint32_t n);
	uint32_t (*pop)(struct ring *r, uint64_t *items, uint32_t n);
	bool (*readable)(struct ring *r);
};

static uint32_t oc_push(struct ring *r, const uint64_t *items, uint32_t n)
{
	return oc_ring_spsc_try_push_burst(&r->oc, items, n);
}

static uint32_t oc_pop(struct ring *r, uint64_t *items, uint32_t n)
{
	return oc_ring_spsc_try_pop_burst(&r->oc, items, n);
}

static bool oc_readable(struct ring *r)
{
	return oc_ring_spsc_readable(&r->oc, 1) != 0;
}

static uint32_t ck_push(struct ring *r, const uint64_t *items, uint32_t n)
{
	uint32_t k = 0;
	while (k < n && ck_ring_enqueue_spsc(&r->ck, r->ck_slots, (void *)(uintptr_t)items[k]))
		k++;
	return k;
}

static uint32_t ck_pop(struct ring *r, uint64_t *items, uint32_t n)
{
	uint32_t k = 0;
	void *item;
	while (k < n && ck_ring_dequeue_spsc(&r->ck, r->ck_slots, &item))
		items[k++] = (uint64_t)(uintptr_t)item;
	return k;
}

static bool ck_readable(struct ring *r)
{
	return ck_ring_size(&r->ck) != 0;
}

static uint32_t rte_push(struct ring *r, const uint64_t *items, uint32_t n)
{
	return oc_bench_rte_ring_push(r->rte, items, n);
}

static uint32_t rte_pop(struct ring *r, uint64_t *items, uint32_t n)
{
	return oc_bench_rte_ring_pop(r->rte, items, n);
}

static bool rte_readable(struct ring *r)
{
	return oc_bench_rte_ring_readable(r->rte);
}

static const struct ring_ops oc_ops = {oc_push, oc_pop, oc_readable};
static const struct ring_ops ck_ops = {ck_push, ck_pop, ck_readable};
static const struct ring_ops rte_ops = {rte_push, rte_pop, rte_readable};

/* Sets up the three rings of r (only one is used a run); false on failure. */
static bool ring_init(struct ring *r)
{
	r->ck_slots = calloc(RING_SLOTS, sizeof(*r->ck_slots));
	r->rte = oc_bench_rte_ring_new(RING_SLOTS);
	if (!r->ck_slots || !r->rte || oc_ring_init(&r->oc, RING_SLOTS, sizeof(uint64_t)) != 0) {
		free(r->ck_slots);
		oc_bench_rte_ring_free(r->rte);
		return false;
	}
	ck_ring_init(&r->ck, RING_SLOTS);
	return true;
}

static void ring_destroy(struct ring *r)
{
	oc_ring_destroy(&r->oc);
	free(r->ck_slots);
	oc_bench_rte_ring_free(r->rte);
}

static void pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set); /* best effort */
}

/* The consumer thread of one cross-thread run. `stop` is written by the benchmark thread
 * after its last push; the rest by the consumer, read by the benchmark thread after join. */
struct consumer {
	struct ring *ring;
	const struct ring_ops *ops;
	uint32_t burst;
	int cpu; /* or -1 */
	alignas(64) _Atomic bool stop;
	alignas(64) uint64_t popped;
	uint64_t sum;
};

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	uint64_t buf[BURST_MAX];
	uint32_t turns = 0;
	if (c->cpu >= 0)
		pin_self(c->cpu);
	for (;;) {
		uint32_t k = c->ops->pop(c->ring, buf, c->burst);
		if (k) {
			for (uint32_t i = 0; i < k; i++)
				c->sum += buf[i];
			c->popped += k;
			turns = 0;
			continue;
		}
		/* Pairs with the release store of stop after the last push: once it is seen,
		 * a ring that reads empty is empty for good. */
		if (atomic_load_explicit(&c->stop, memory_order_acquire) &&
		    !c->ops->readable(c->ring))
			break;
		oc_backoff(&turns, SPIN_TURNS);
	}
	return NULL;
}

/* Pushes items seq..seq+n-1, waiting while the ring is full. */
static void push_all(const struct ring_ops *ops, struct ring *r, uint64_t *buf, uint64_t seq,
		     uint32_t n)
{
	uint32_t turns = 0;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = seq + i;
	for (uint32_t done = 0; done < n;) {
		uint32_t k = ops->push(r, buf + done, n - done);
		if (k == 0)
			oc_backoff(&turns, SPIN_TURNS);
		done += k;
	}
}

/* 0 + 1 + ... + (n - 1), modulo 2^64 like the sums it is compared with. */
static uint64_t sum_below(uint64_t n)
{
	return n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1);
}

static void report(struct oc_bench_state *st, uint32_t n)
{
	int64_t items = oc_bench_iterations(st) * (int64_t)n;
	oc_bench_set_items_processed(st, items);
	oc_bench_counter(st, "time_per_item", (double)items,
	                 OC_BENCH_COUNTER_RATE | OC_BENCH_COUNTER_INVERT);
}

static void burst(struct oc_bench_state *st, const struct ring_ops *ops)
{
	uint32_t n = (uint32_t)oc_bench_range(st, 0);
	struct ring ring;
	if (!ring_init(&ring)) {
		oc_bench_skip_with_error(st, "ring set-up failed");
		return;
	}
	struct consumer c;
	memset(&c, 0, sizeof(c));
	c.ring = &ring;
	c.ops = ops;
	c.burst = n;
	c.cpu = -1;
	atomic_init(&c.stop, false);

	cpu_set_t saved;
	int cpu_p, cpu_c;
	bool pinned = pick_cpus(&cpu_p, &cpu_c) &&
	              pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0;
	if (pinned) {
		pin_self(cpu_p);
		c.cpu = cpu_c;
	}
	pthread_t thread;
	if (pthread_create(&thread, NULL, consumer_main, &c) != 0) {
		oc_bench_skip_with_error(st, "pthread_create failed");
		ring_destroy(&ring);
		return;
	}

	uint64_t buf[BURST_MAX], seq = 0;
	uint32_t per_batch = ITEMS_PER_BATCH / n ? ITEMS_PER_BATCH / n : 1;
	while (oc_bench_keep_running_batch(st, per_batch)) {
		for (uint32_t b = 0; b < per_batch; b++, seq += n)
			push_all(ops, &ring, buf, seq, n);
	}

	/* Pairs with the acquire load in consumer_main. */
	atomic_store_explicit(&c.stop, true, memory_order_release);
	pthread_join(thread, NULL);
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	if (c.popped != seq || c.sum != sum_below(seq))
		oc_bench_skip_with_error(st, "consumer did not get every item once, in order");
	ring_destroy(&ring);
	report(st, n);
}

static void same_thread(struct oc_bench_state *st, const struct ring_ops *ops)
{
	uint32_t n = (uint32_t)oc_bench_range(st, 0);
	struct ring ring;
	if (!ring_init(&ring)) {
		oc_bench_skip_with_error(st, "ring set-up failed");
		return;
	}
	uint64_t in[BURST_MAX], out[BURST_MAX], seq = 0, sum = 0, popped = 0;
	uint32_t per_batch = ITEMS_PER_BATCH / n ? ITEMS_PER_BATCH / n : 1;
	while (oc_bench_keep_running_batch(st, per_batch)) {
		for (uint32_t b = 0; b < per_batch; b++, seq += n) {
			for (uint32_t i = 0; i < n; i++)
				in[i] = seq + i;
			ops->push(&ring, in, n);
			uint32_t k = ops->pop(&ring, out, n);
			oc_bench_escape(out);
			for (uint32_t i = 0; i < k; i++)
				sum += out[i];
			popped += k;
		}
	}
	if (popped != seq || sum != sum_below(seq))
		oc_bench_skip_with_error(st, "items lost or reordered");
	ring_destroy(&ring);
	report(st, n);
}

static void bench_burst(struct oc_bench_state *st) { burst(st, &oc_ops); }
static void bench_ck_burst(struct oc_bench_state *st) { burst(st, &ck_ops); }
static void bench_same_thread(struct oc_bench_state *st) { same_thread(st, &oc_ops); }
static void bench_ck_same_thread(struct oc_bench_state *st) { same_thread(st, &ck_ops); }
static void bench_rte_burst(struct oc_bench_state *st) { burst(st, &rte_ops); }
static void bench_rte_same_thread(struct oc_bench_state *st) { same_thread(st, &rte_ops); }

void oc_bench_register_ring(void)
{
	int nargs = (int)(sizeof(bursts) / sizeof(bursts[0]));
	oc_bench_register("oc_ring_burst", bench_burst, bursts, nargs, OC_BENCH_REAL_TIME);
	oc_bench_register("oc_ring_same_thread", bench_same_thread, bursts, nargs, 0);
	oc_bench_register("ck_ring_spsc", bench_ck_burst, bursts, nargs, OC_BENCH_REAL_TIME);
	oc_bench_register("ck_ring_spsc_same_thread", bench_ck_same_thread, bursts, nargs, 0);
	oc_bench_register("rte_ring_sp_sc_burst", bench_rte_burst, bursts, nargs,
	                  OC_BENCH_REAL_TIME);
	oc_bench_register("rte_ring_sp_sc_same_thread", bench_rte_same_thread, bursts, nargs, 0);
}
