/* stress_ring.c: two-thread stress test of the SPSC ring (engine/core/ring.h). A producer
 * and a consumer thread, pinned to different CPUs when there are two, move 100M 16-byte
 * messages (sequence, check value) in random bursts of 1..64 on both sides, mixing the
 * copying and the in-place API; the consumer checks strict order, contents and the exact
 * count, and both sides' running sums must agree. A second, shorter phase adds an observer
 * thread that samples oc_ring_used while both sides run and checks it never exceeds the
 * slot count. The waiting side spins briefly, then yields, so this also runs on one core.
 * Prints the messages/s it measured (informational only). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET */
#endif
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/rand.h"
#include "core/ring.h"
#include "core/worker.h"
#include "oc_test.h"

#define BURST_MAX  64u
#define SPIN_TURNS 64u /* empty or full turns spent spinning before each sched_yield */

struct item {
	uint64_t seq;
	uint64_t check;
};

_Static_assert(sizeof(struct item) == 16, "a message fills one 16-byte slot");

/* One side of a run. Written by its own thread; read by main after the join. */
struct side {
	struct oc_ring *ring;
	uint64_t count;           /* messages to move */
	int cpu;                  /* CPU to pin to, or -1 */
	uint64_t rng;             /* splitmix64 state (core/rand.h) */
	uint64_t moved;           /* OUT: messages pushed or popped */
	uint64_t check_sum;       /* OUT: sum of the check values pushed or popped */
	uint64_t idle_turns;      /* OUT: turns the ring was full (producer) or empty (consumer) */
	const _Atomic bool *done; /* observer only: set by main when both sides are done */
};

static uint64_t check_of(uint64_t seq)
{
	uint64_t x = seq * 0x9E3779B97F4A7C15ull;
	return x ^ (x >> 29) ^ 0x5EEDull;
}

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	OC_ASSERT_EQ(err, 0);
}

static void *producer(void *arg)
{
	struct side *s = arg;
	struct oc_ring *r = s->ring;
	struct item buf[BURST_MAX];
	uint32_t turns = 0;
	pin(s->cpu);
	while (s->moved < s->count) {
		uint64_t x = oc_rand_next(&s->rng);
		uint32_t n = 1 + (uint32_t)(x % BURST_MAX);
		if (n > s->count - s->moved)
			n = (uint32_t)(s->count - s->moved);
		uint32_t k;
		if ((x >> 32) & 1) {
			uint32_t free_slots = oc_ring_spsc_writable(r, n);
			k = n < free_slots ? n : free_slots;
			for (uint32_t i = 0; i < k; i++) {
				struct item *slot = oc_ring_spsc_write_slot(r, i);
				slot->seq = s->moved + i;
				slot->check = check_of(s->moved + i);
			}
			if (k)
				oc_ring_spsc_commit(r, k);
		} else {
			for (uint32_t i = 0; i < n; i++)
				buf[i] = (struct item){s->moved + i, check_of(s->moved + i)};
			k = oc_ring_spsc_try_push_burst(r, buf, n);
		}
		if (k == 0) {
			s->idle_turns++;
			oc_backoff(&turns, SPIN_TURNS);
			continue;
		}
		turns = 0;
		for (uint32_t i = 0; i < k; i++)
			s->check_sum += check_of(s->moved + i);
		s->moved += k;
	}
	return NULL;
}

static void check_item(const struct item *it, uint64_t want_seq)
{
	OC_ASSERT_EQ(it->seq, want_seq);
	OC_ASSERT_EQ(it->check, check_of(want_seq));
}

static void *consumer(void *arg)
{
	struct side *s = arg;
	struct oc_ring *r = s->ring;
	struct item buf[BURST_MAX];
	uint32_t turns = 0;
	pin(s->cpu);
	while (s->moved < s->count) {
		uint64_t x = oc_rand_next(&s->rng);
		uint32_t n = 1 + (uint32_t)(x % BURST_MAX);
		uint32_t k;
		if ((x >> 32) & 1) {
			uint32_t used = oc_ring_spsc_readable(r, n);
			k = n < used ? n : used;
			for (uint32_t i = 0; i < k; i++) {
				const struct item *slot = oc_ring_spsc_read_slot(r, i);
				check_item(slot, s->moved + i);
				s->check_sum += slot->check;
			}
			if (k)
				oc_ring_spsc_release(r, k);
		} else {
			k = oc_ring_spsc_try_pop_burst(r, buf, n);
			for (uint32_t i = 0; i < k; i++) {
				check_item(&buf[i], s->moved + i);
				s->check_sum += buf[i].check;
			}
		}
		if (k == 0) {
			s->idle_turns++;
			oc_backoff(&turns, SPIN_TURNS);
			continue;
		}
		turns = 0;
		s->moved += k;
		/* More than was sent would be a duplicate; check_item would also catch it. */
		OC_ASSERT(s->moved <= s->count);
	}
	return NULL;
}

/* Samples oc_ring_used from a third thread until told to stop; `moved` counts samples. */
static void *observer(void *arg)
{
	struct side *s = arg;
	uint32_t slots = oc_ring_slots(s->ring);
	while (!atomic_load_explicit(s->done, memory_order_acquire)) {
		for (int i = 0; i < 1024; i++) {
			uint32_t used = oc_ring_used(s->ring);
			if (used > slots) {
				fprintf(stderr,
				        "observer saw used=%" PRIu32 " > slots=%" PRIu32 "\n", used,
				        slots);
				OC_ASSERT(used <= slots);
			}
		}
		s->moved += 1024;
		/* Never hold a CPU the two sides need (one core, or three threads on two). */
		sched_yield();
	}
	return NULL;
}

/* The first two CPUs this process may run on, or -1 when there is only one. */
static void pick_cpus(int *a, int *b)
{
	cpu_set_t set;
	*a = *b = -1;
	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_COUNT(&set) < 2)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (*a < 0) {
			*a = cpu;
		} else {
			*b = cpu;
			return;
		}
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Moves `count` messages through a ring of `slots` slots, with an observer thread when
 * asked, and checks everything arrived once, in order. */
static void run(const char *name, uint32_t slots, uint64_t count, int cpu_p, int cpu_c,
                bool with_observer)
{
	struct oc_ring ring;
	OC_ASSERT_EQ(oc_ring_init(&ring, slots, sizeof(struct item)), 0);
	_Atomic bool done = false;
	struct side prod = {
	    .ring = &ring, .count = count, .cpu = cpu_p, .rng = 0x243F6A8885A308D3ull};
	struct side cons = {
	    .ring = &ring, .count = count, .cpu = cpu_c, .rng = 0x13198A2E03707344ull};
	struct side obs = {.ring = &ring, .cpu = -1, .done = &done};
	pthread_t tp, tc, to;

	double t0 = now_s();
	OC_ASSERT_EQ(pthread_create(&tc, NULL, consumer, &cons), 0);
	OC_ASSERT_EQ(pthread_create(&tp, NULL, producer, &prod), 0);
	if (with_observer)
		OC_ASSERT_EQ(pthread_create(&to, NULL, observer, &obs), 0);
	OC_ASSERT_EQ(pthread_join(tp, NULL), 0);
	OC_ASSERT_EQ(pthread_join(tc, NULL), 0);
	double elapsed_s = now_s() - t0;
	atomic_store_explicit(&done, true, memory_order_release);
	if (with_observer)
		OC_ASSERT_EQ(pthread_join(to, NULL), 0);

	/* Exact counts, nothing left over, nothing extra, and the same sums on both sides. */
	OC_ASSERT_EQ(prod.moved, count);
	OC_ASSERT_EQ(cons.moved, count);
	OC_ASSERT_EQ(prod.check_sum, cons.check_sum);
	OC_ASSERT_EQ(oc_ring_used(&ring), 0);
	OC_ASSERT_EQ(oc_ring_spsc_readable(&ring, slots), 0);
	struct item extra;
	OC_ASSERT_EQ(oc_ring_spsc_try_pop_burst(&ring, &extra, 1), 0);
	OC_ASSERT_EQ(oc_ring_spsc_writable(&ring, slots), slots);
	OC_ASSERT_EQ(atomic_load_explicit(&ring.tail, memory_order_relaxed), (uint32_t)count);
	OC_ASSERT(oc_ring_valid(&ring));
	oc_ring_destroy(&ring);

	printf("stress_ring %s: %" PRIu64 " messages, %u slots, cpus %d/%d, %.2f s, %.1f M msg/s"
	       ", producer full %" PRIu64 " turns, consumer empty %" PRIu64 " turns",
	       name, count, slots, cpu_p, cpu_c, elapsed_s, (double)count / elapsed_s / 1e6,
	       prod.idle_turns, cons.idle_turns);
	if (with_observer)
		printf(", observer %" PRIu64 " samples", obs.moved);
	printf("\n");
	fflush(stdout);
}

int main(void)
{
	int cpu_a, cpu_b;
	pick_cpus(&cpu_a, &cpu_b);
	if (cpu_a < 0)
		printf("stress_ring: one CPU available, threads not pinned\n");

	/* The main run: pinned when possible, 1024 slots (OC_DEFAULT_INFLIGHT_MAX). */
	run("main", 1024, oc_test_scaled(100000000ull, 2000000ull), cpu_a, cpu_b, false);

	/* A small ring fills and empties all the time, with bursts larger than the ring. */
	run("small", 32, oc_test_scaled(20000000ull, 500000ull), cpu_a, cpu_b, false);

	/* Unpinned, with an observer: three threads share the CPUs. */
	run("observer", 64, oc_test_scaled(20000000ull, 500000ull), -1, -1, true);
	return 0;
}
