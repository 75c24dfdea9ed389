/* test_ring.c: unit tests of the SPSC ring (engine/core/ring.h, ring.c), single-threaded:
 * shape checks at init, empty and full rings, partial bursts, FIFO order across many
 * wrap-arounds, the free-running 32-bit indices wrapping past 2^32, the in-place
 * write_slot/commit and read_slot/release API, the cached-index contract, and
 * oc_ring_valid on good and corrupted rings. The two-thread tests are in
 * tests/stress/stress_ring.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rand.h"
#include "core/ring.h"

/* A 16-byte test slot: a sequence number and a value derived from it. */
struct item {
	uint64_t seq;
	uint64_t check;
};

static uint64_t check_of(uint64_t seq)
{
	return seq * 0x9E3779B97F4A7C15ull ^ 0xC0FFEEull;
}

static struct item item_of(uint64_t seq)
{
	return (struct item){seq, check_of(seq)};
}

/* Puts every index of an empty ring at `start`, as if it had already moved that many
 * items. Only valid before the ring is shared (tests only). */
static void ring_set_indices(struct oc_ring *r, uint32_t start)
{
	assert_int_equal(oc_ring_used(r), 0);
	atomic_store_explicit(&r->tail, start, memory_order_relaxed);
	atomic_store_explicit(&r->head, start, memory_order_relaxed);
	r->head_cache = start;
	r->tail_cache = start;
}

/* Exact counts: asking for a full ring's worth forces both caches to refresh. */
static uint32_t readable_exact(struct oc_ring *r)
{
	return oc_ring_spsc_readable(r, oc_ring_slots(r));
}

static uint32_t writable_exact(struct oc_ring *r)
{
	return oc_ring_spsc_writable(r, oc_ring_slots(r));
}

static void test_init_rejects_bad_shapes(void **state)
{
	(void)state;
	struct oc_ring r;
	static const uint32_t bad_slots[] = {0,  1,   3,    5,           6,         7,
	                                     12, 100, 1000, 0x80000001u, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
		assert_int_equal(oc_ring_init(&r, bad_slots[i], 8), -EINVAL);
	static const uint32_t bad_bytes[] = {0, 1, 4, 7, 12, 20, 33};
	for (size_t i = 0; i < sizeof(bad_bytes) / sizeof(bad_bytes[0]); i++)
		assert_int_equal(oc_ring_init(&r, 8, bad_bytes[i]), -EINVAL);

	/* The smallest good shapes, and a slot size that is a multiple of 8 but not a
	 * power of two. */
	static const uint32_t good[][2] = {{2, 8}, {4, 16}, {8, 24}, {1024, 8}, {16, 64}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(oc_ring_init(&r, good[i][0], good[i][1]), 0);
		assert_int_equal(oc_ring_slots(&r), good[i][0]);
		assert_int_equal(r.slot_bytes, good[i][1]);
		assert_true(oc_ring_valid(&r));
		oc_ring_destroy(&r);
		assert_null(r.slots);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 16, sizeof(struct item)), 0);
	struct item out[4];
	assert_int_equal(oc_ring_spsc_readable(&r, 1), 0);
	assert_int_equal(readable_exact(&r), 0);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 4), 0);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 0), 0);
	assert_int_equal(oc_ring_used(&r), 0);
	assert_int_equal(writable_exact(&r), 16);
	assert_true(oc_ring_valid(&r));

	/* Empty again after one item in and out. */
	struct item in = item_of(7);
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, &in, 1), 1);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 4), 1);
	assert_int_equal(out[0].seq, 7);
	assert_int_equal(oc_ring_spsc_readable(&r, 1), 0);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 4), 0);
	assert_true(oc_ring_valid(&r));
	oc_ring_destroy(&r);
}

static void test_fill_to_full(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 16, sizeof(struct item)), 0);
	struct item in[32], out[32];
	for (uint64_t i = 0; i < 32; i++)
		in[i] = item_of(i);

	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in, 13), 13);
	assert_true(oc_ring_valid(&r));
	/* Only 3 fit: the burst is partial and says so. */
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in + 13, 10), 3);
	assert_int_equal(oc_ring_used(&r), 16);
	assert_int_equal(oc_ring_spsc_writable(&r, 1), 0);
	assert_int_equal(writable_exact(&r), 0);
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in, 1), 0);
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in, 0), 0);
	assert_true(oc_ring_valid(&r));

	/* Popping more than is there returns what is there, in order. */
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 32), 16);
	for (uint64_t i = 0; i < 16; i++) {
		assert_int_equal(out[i].seq, i);
		assert_int_equal(out[i].check, check_of(i));
	}
	assert_int_equal(writable_exact(&r), 16);
	assert_true(oc_ring_valid(&r));

	/* A burst larger than the ring fills it exactly. */
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in, 32), 16);
	assert_int_equal(oc_ring_spsc_writable(&r, 1), 0);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 5), 5);
	assert_int_equal(oc_ring_spsc_writable(&r, 5), 5);
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, in + 16, 6), 5);
	assert_true(oc_ring_valid(&r));
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 32), 16);
	for (uint64_t i = 0; i < 16; i++)
		assert_int_equal(out[i].seq, i + 5);
	assert_true(oc_ring_valid(&r));
	oc_ring_destroy(&r);
}

/* Pushes up to n items numbered from *next_in, with the copying or the in-place API;
 * returns how many went in. */
static uint32_t push_some(struct oc_ring *r, uint64_t *next_in, uint32_t n, bool in_place)
{
	uint32_t done;
	if (in_place) {
		uint32_t free_slots = oc_ring_spsc_writable(r, n);
		done = n < free_slots ? n : free_slots;
		for (uint32_t i = 0; i < done; i++)
			*(struct item *)oc_ring_spsc_write_slot(r, i) = item_of(*next_in + i);
		if (done)
			oc_ring_spsc_commit(r, done);
	} else {
		struct item buf[80];
		assert_true(n <= 80);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = item_of(*next_in + i);
		done = oc_ring_spsc_try_push_burst(r, buf, n);
	}
	*next_in += done;
	return done;
}

/* Pops up to n items, checking each is the next one expected; returns how many came out. */
static uint32_t pop_some(struct oc_ring *r, uint64_t *next_out, uint32_t n, bool in_place)
{
	struct item buf[80];
	uint32_t done;
	if (in_place) {
		uint32_t used = oc_ring_spsc_readable(r, n);
		done = n < used ? n : used;
		for (uint32_t i = 0; i < done; i++)
			buf[i] = *(const struct item *)oc_ring_spsc_read_slot(r, i);
		if (done)
			oc_ring_spsc_release(r, done);
	} else {
		assert_true(n <= 80);
		done = oc_ring_spsc_try_pop_burst(r, buf, n);
	}
	for (uint32_t i = 0; i < done; i++) {
		assert_int_equal(buf[i].seq, *next_out + i);
		assert_int_equal(buf[i].check, check_of(*next_out + i));
	}
	*next_out += done;
	return done;
}

/* Interleaves random push and pop bursts (1..burst_max, larger than the ring so bursts
 * are often partial) for `rounds` rounds against a model of the ring's contents, then
 * drains it. Every step checks the exact counts and the invariants. */
static void run_mixed(struct oc_ring *r, uint64_t seed, uint32_t rounds, uint32_t burst_max)
{
	uint64_t rng = seed, next_in = 0, next_out = 0;
	uint32_t slots = oc_ring_slots(r);
	for (uint32_t round = 0; round < rounds; round++) {
		uint64_t x = oc_rand_next(&rng);
		uint32_t n = 1 + (uint32_t)(x % burst_max);
		bool in_place = (x >> 32) & 1;
		uint64_t used = next_in - next_out;
		if ((x >> 33) & 1) {
			uint32_t want = n < slots - used ? n : (uint32_t)(slots - used);
			assert_int_equal(push_some(r, &next_in, n, in_place), want);
		} else {
			uint32_t want = n < used ? n : (uint32_t)used;
			assert_int_equal(pop_some(r, &next_out, n, in_place), want);
		}
		assert_int_equal(oc_ring_used(r), next_in - next_out);
		assert_int_equal(readable_exact(r), next_in - next_out);
		assert_int_equal(writable_exact(r), slots - (next_in - next_out));
		assert_true(oc_ring_valid(r));
	}
	while (next_out < next_in)
		pop_some(r, &next_out, burst_max, false);
	assert_int_equal(oc_ring_used(r), 0);
	assert_true(oc_ring_valid(r));
}

static void test_wrap_around_many_times(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 8, sizeof(struct item)), 0);
	/* 200k rounds of ~3 items each: the 8 slots wrap about 70k times. */
	run_mixed(&r, 0x1234567ull, 200000, 11);
	uint32_t moved = atomic_load_explicit(&r.tail, memory_order_relaxed);
	assert_true(moved > 8 * 10000);
	oc_ring_destroy(&r);

	/* The smallest ring, with bursts of 1..3. */
	assert_int_equal(oc_ring_init(&r, 2, sizeof(struct item)), 0);
	run_mixed(&r, 0xBEEFull, 50000, 3);
	oc_ring_destroy(&r);
}

static void test_index_wrap_past_2_32(void **state)
{
	(void)state;
	struct oc_ring r;
	/* Start every few slots before the 32-bit wrap, and right on it, so the wrap lands
	 * at every position in the ring and inside partial bursts. */
	for (uint32_t back = 0; back <= 40; back++) {
		assert_int_equal(oc_ring_init(&r, 8, sizeof(struct item)), 0);
		uint32_t start = (uint32_t)(UINT32_MAX - back);
		ring_set_indices(&r, start);
		assert_true(oc_ring_valid(&r));
		assert_int_equal(writable_exact(&r), 8);
		assert_int_equal(readable_exact(&r), 0);
		run_mixed(&r, 0x9999ull + back, 2000, 11);
		uint32_t tail = atomic_load_explicit(&r.tail, memory_order_relaxed);
		/* The tail went past 2^32 and wrapped to a small number. */
		assert_true(tail < start);
		oc_ring_destroy(&r);
	}

	/* A full ring straddling the wrap: head just below 2^32, tail just above. */
	assert_int_equal(oc_ring_init(&r, 8, sizeof(struct item)), 0);
	ring_set_indices(&r, UINT32_MAX - 3);
	uint64_t next_in = 0, next_out = 0;
	assert_int_equal(push_some(&r, &next_in, 8, true), 8);
	assert_int_equal(atomic_load_explicit(&r.tail, memory_order_relaxed), 4);
	assert_int_equal(oc_ring_used(&r), 8);
	assert_int_equal(writable_exact(&r), 0);
	assert_int_equal(push_some(&r, &next_in, 1, false), 0);
	assert_true(oc_ring_valid(&r));
	assert_int_equal(pop_some(&r, &next_out, 8, false), 8);
	assert_int_equal(oc_ring_used(&r), 0);
	assert_true(oc_ring_valid(&r));
	oc_ring_destroy(&r);
}

static void test_in_place_api(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 8, 24), 0);
	assert_int_equal(oc_ring_spsc_writable(&r, 5), 8);

	/* Slots are distinct, slot_bytes apart, and written in place. */
	for (uint32_t i = 0; i < 5; i++) {
		uint64_t *slot = oc_ring_spsc_write_slot(&r, i);
		assert_int_equal((uintptr_t)slot % 8, 0);
		if (i)
			assert_int_equal((unsigned char *)slot -
			                     (unsigned char *)oc_ring_spsc_write_slot(&r, i - 1),
			                 24);
		/* Slots 3 and 4 get garbage that is overwritten after the first commit. */
		slot[0] = i < 3 ? 100 + i : 999;
		slot[1] = i < 3 ? 200 + i : 999;
		slot[2] = i < 3 ? 300 + i : 999;
	}
	/* Written but not committed: invisible to the consumer. */
	assert_int_equal(readable_exact(&r), 0);
	assert_int_equal(oc_ring_used(&r), 0);

	/* Commit only the first 3, then write the next two again and commit them. */
	oc_ring_spsc_commit(&r, 3);
	assert_int_equal(readable_exact(&r), 3);
	assert_int_equal(writable_exact(&r), 5);
	for (uint32_t i = 0; i < 2; i++) {
		uint64_t *slot = oc_ring_spsc_write_slot(&r, i);
		slot[0] = 103 + i;
		slot[1] = 203 + i;
		slot[2] = 303 + i;
	}
	oc_ring_spsc_commit(&r, 2);
	assert_true(oc_ring_valid(&r));

	/* Read in place, release in two steps. */
	assert_int_equal(oc_ring_spsc_readable(&r, 5), 5);
	for (uint32_t i = 0; i < 5; i++) {
		const uint64_t *slot = oc_ring_spsc_read_slot(&r, i);
		assert_int_equal(slot[0], 100 + i);
		assert_int_equal(slot[1], 200 + i);
		assert_int_equal(slot[2], 300 + i);
	}
	oc_ring_spsc_release(&r, 2);
	assert_int_equal(oc_ring_used(&r), 3);
	assert_int_equal(((const uint64_t *)oc_ring_spsc_read_slot(&r, 0))[0], 102);
	assert_int_equal(writable_exact(&r), 5);
	oc_ring_spsc_release(&r, 3);
	assert_int_equal(readable_exact(&r), 0);
	assert_int_equal(writable_exact(&r), 8);
	assert_true(oc_ring_valid(&r));

	/* The write slots now wrap around the end of the array. */
	uint64_t next_in = 0, next_out = 0;
	struct oc_ring r16;
	assert_int_equal(oc_ring_init(&r16, 8, sizeof(struct item)), 0);
	ring_set_indices(&r16, 6);
	assert_int_equal(push_some(&r16, &next_in, 5, true), 5);
	assert_ptr_equal(oc_ring_spsc_read_slot(&r16, 2), r16.slots);
	assert_int_equal(pop_some(&r16, &next_out, 5, true), 5);
	assert_true(oc_ring_valid(&r16));
	oc_ring_destroy(&r16);
	oc_ring_destroy(&r);
}

/* The copying calls move a burst that runs past the end of the slot array in two pieces:
 * try every start position and burst size, and check the slots themselves. */
static void test_burst_copy_splits_at_array_end(void **state)
{
	(void)state;
	for (uint32_t start = 0; start < 8; start++) {
		for (uint32_t n = 1; n <= 8; n++) {
			struct oc_ring r;
			assert_int_equal(oc_ring_init(&r, 8, sizeof(struct item)), 0);
			ring_set_indices(&r, start);
			struct item in[8], out[8];
			for (uint32_t i = 0; i < n; i++)
				in[i] = item_of(100 * start + i);
			assert_int_equal(oc_ring_spsc_try_push_burst(&r, in, n), n);
			for (uint32_t i = 0; i < 8; i++) {
				/* Slot (start + i) % 8 holds item i; the rest are still zero. */
				const struct item *slot =
				    (const struct item *)(void *)r.slots + (start + i) % 8;
				struct item want = i < n ? in[i] : (struct item){0, 0};
				assert_int_equal(slot->seq, want.seq);
				assert_int_equal(slot->check, want.check);
			}
			memset(out, 0xAB, sizeof(out));
			assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 8), n);
			assert_memory_equal(out, in, n * sizeof(struct item));
			assert_int_equal(out[n % 8].seq,
			                 n == 8 ? in[0].seq : 0xABABABABABABABABull);
			assert_true(oc_ring_valid(&r));
			oc_ring_destroy(&r);
		}
	}
}

/* The cached copy of the other side's index is refreshed only when it shows fewer slots
 * than asked for, so a small `want` may see a stale (smaller, never larger) count. */
static void test_cached_indices(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 8, 8), 0);
	uint64_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7}, out[8];

	assert_int_equal(oc_ring_spsc_try_push_burst(&r, v, 5), 5);
	assert_int_equal(oc_ring_spsc_readable(&r, 1), 5); /* cache was 0 < 1: refreshed */
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, v + 5, 2), 2);
	assert_int_equal(oc_ring_spsc_readable(&r, 1), 5); /* cache 5 >= 1: stale */
	assert_int_equal(oc_ring_spsc_readable(&r, 6), 7); /* 5 < 6: refreshed */

	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 4), 4);
	/* The producer last saw head 0: 1 slot free by its cache, 5 in truth. */
	assert_int_equal(oc_ring_spsc_writable(&r, 1), 1);
	assert_int_equal(oc_ring_spsc_writable(&r, 2), 5);
	assert_true(oc_ring_valid(&r));
	oc_ring_destroy(&r);
}

static void test_valid_detects_corruption(void **state)
{
	(void)state;
	struct oc_ring r;
	assert_int_equal(oc_ring_init(&r, 8, 8), 0);
	uint64_t v[8] = {0}, out[8];
	ring_set_indices(&r, 100);
	assert_int_equal(oc_ring_spsc_try_push_burst(&r, v, 6), 6);
	assert_int_equal(oc_ring_spsc_try_pop_burst(&r, out, 2), 2);
	/* tail 106, head 102, tail_cache 106, head_cache 100. */
	assert_true(oc_ring_valid(&r));
	struct oc_ring good = r;

	/* More in the ring than it has slots. */
	atomic_store_explicit(&r.tail, 102 + 9, memory_order_relaxed);
	r.tail_cache = 102 + 9;
	assert_false(oc_ring_valid(&r));
	r = good;

	/* Head ahead of tail. */
	atomic_store_explicit(&r.head, 107, memory_order_relaxed);
	assert_false(oc_ring_valid(&r));
	r = good;

	/* A cached copy that leads the index it copies. */
	r.head_cache = 103;
	assert_false(oc_ring_valid(&r));
	r = good;
	r.tail_cache = 107;
	assert_false(oc_ring_valid(&r));
	r = good;

	/* The consumer's cache of tail behind its own head. */
	r.tail_cache = 101;
	assert_false(oc_ring_valid(&r));
	r = good;

	/* The producer's cache of head so far behind that the producer would believe more
	 * than `slots` items are in flight (writable would wrap to ~4G free slots). Every
	 * pairwise distance is within `slots`, but tail - head_cache is not. */
	atomic_store_explicit(&r.tail, 110, memory_order_relaxed);
	r.tail_cache = 110;
	atomic_store_explicit(&r.head, 102, memory_order_relaxed);
	r.head_cache = 101;
	assert_false(oc_ring_valid(&r));
	r = good;

	/* A bad shape. */
	r.mask = 6;
	assert_false(oc_ring_valid(&r));
	r = good;
	assert_true(oc_ring_valid(&r));

	oc_ring_destroy(&r);
	assert_false(oc_ring_valid(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_rejects_bad_shapes),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_fill_to_full),
	    cmocka_unit_test(test_wrap_around_many_times),
	    cmocka_unit_test(test_index_wrap_past_2_32),
	    cmocka_unit_test(test_in_place_api),
	    cmocka_unit_test(test_burst_copy_splits_at_array_end),
	    cmocka_unit_test(test_cached_indices),
	    cmocka_unit_test(test_valid_detects_corruption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
