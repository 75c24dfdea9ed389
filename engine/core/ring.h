/* ring.h: the bounded single-producer / single-consumer ring that joins the stages.
 *
 * A ring owns a power-of-two array of fixed-size slots and two free-running 32-bit indices:
 * `tail` is written only by the producer, `head` only by the consumer, each on its own cache
 * line beside that side's cached copy of the other side's index (so a side touches the other's
 * line only when its cached copy says the ring is full or empty). Slots are filled and read in
 * place (write_slot/commit, read_slot/release) and published with one release store per batch;
 * push_burst/pop_burst copy for callers that prefer it.
 *
 * The contract is in the name: exactly one producer thread and one consumer thread. The
 * producer calls writable/write_slot/commit/try_push_burst; the consumer calls
 * readable/read_slot/release/try_pop_burst. Nothing here blocks or allocates.
 */
#ifndef OC_RING_H
#define OC_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/assert.h"

#define OC_CACHE_LINE_BYTES 64

struct oc_ring {
	/* Read-only after init: shared by both sides, never written again. */
	alignas(OC_CACHE_LINE_BYTES) unsigned char *slots;
	uint32_t mask;       /* slot count - 1 */
	uint32_t slot_bytes; /* size of one slot */

	/* Producer's line. */
	alignas(OC_CACHE_LINE_BYTES) _Atomic uint32_t tail;
	uint32_t head_cache; /* producer's last view of head */

	/* Consumer's line. */
	alignas(OC_CACHE_LINE_BYTES) _Atomic uint32_t head;
	uint32_t tail_cache; /* consumer's last view of tail */
	/* The most slots the consumer found in use when it looked at tail (each refresh of
	 * tail_cache: exact at that moment, so a sample of the peak, which may have been higher
	 * between looks): a metric, written by the consumer alone (core/metrics.h). */
	_Atomic uint32_t high_water;
	alignas(OC_CACHE_LINE_BYTES) char end_pad;
};

/* Sets the ring up with `slots` slots (a power of two, >= 2) of slot_bytes each (a multiple
 * of 8). Returns 0, -EINVAL for a bad shape, or -ENOMEM. Setup time only. */
int oc_ring_init(struct oc_ring *r, uint32_t slots, uint32_t slot_bytes);
void oc_ring_destroy(struct oc_ring *r);

/* Checks the invariants (0 <= tail - head <= slots; the cached copies lag, never lead) and
 * returns true when they hold. It reads both sides' private caches: call it only while
 * neither side is running (tests, after stop). */
bool oc_ring_valid(const struct oc_ring *r);

static inline uint32_t oc_ring_slots(const struct oc_ring *r) { return r->mask + 1; }

/* Producer: free slots, refreshing the cached head only when the cache says fewer than
 * `want` are free. */
static inline uint32_t oc_ring_spsc_writable(struct oc_ring *r, uint32_t want)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t free_slots = r->mask + 1 - (tail - r->head_cache);
	if (free_slots < want) {
		/* Pairs with the release store of head in oc_ring_spsc_release: the consumer is
		 * done reading every slot below the head we see. */
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		free_slots = r->mask + 1 - (tail - r->head_cache);
	}
	return free_slots;
}

/* Producer: the i-th free slot (i < writable). */
static inline void *oc_ring_spsc_write_slot(struct oc_ring *r, uint32_t i)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	return r->slots + (size_t)((tail + i) & r->mask) * r->slot_bytes;
}

/* Producer: publishes the first n written slots with one release store. */
static inline void oc_ring_spsc_commit(struct oc_ring *r, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	OC_DEBUG_ASSERT(tail + n - r->head_cache <= r->mask + 1);
	/* Pairs with the acquire load of tail in oc_ring_spsc_readable: the slot contents
	 * written before this store are visible to the consumer that sees the new tail. */
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
}

/* Consumer: filled slots, refreshing the cached tail only when the cache shows fewer
 * than `want`. */
static inline uint32_t oc_ring_spsc_readable(struct oc_ring *r, uint32_t want)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t used = r->tail_cache - head;
	if (used < want) {
		/* Pairs with the release store of tail in oc_ring_spsc_commit. */
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		used = r->tail_cache - head;
		if (used > atomic_load_explicit(&r->high_water, memory_order_relaxed))
			atomic_store_explicit(&r->high_water, used, memory_order_relaxed);
	}
	return used;
}

/* Consumer: the i-th filled slot (i < readable). */
static inline void *oc_ring_spsc_read_slot(struct oc_ring *r, uint32_t i)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	return r->slots + (size_t)((head + i) & r->mask) * r->slot_bytes;
}

/* Consumer: frees the first n read slots with one release store. */
static inline void oc_ring_spsc_release(struct oc_ring *r, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	OC_DEBUG_ASSERT(r->tail_cache - head >= n);
	/* Pairs with the acquire load of head in oc_ring_spsc_writable: our reads of the
	 * slots happen before the producer overwrites them. */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
}

/* Copies n slots between the ring, starting at free-running index `first`, and a flat
 * array: one memcpy per contiguous run, so at most two per burst. */
static inline void oc_ring__copy_in(struct oc_ring *r, uint32_t first, const void *items,
				    uint32_t n)
{
	uint32_t idx = first & r->mask;
	uint32_t run = r->mask + 1 - idx;
	size_t bytes = (size_t)n * r->slot_bytes;
	unsigned char *dst = r->slots + (size_t)idx * r->slot_bytes;
	if (n <= run) {
		memcpy(dst, items, bytes);
	} else {
		size_t first_bytes = (size_t)run * r->slot_bytes;
		memcpy(dst, items, first_bytes);
		memcpy(r->slots, (const unsigned char *)items + first_bytes, bytes - first_bytes);
	}
}

static inline void oc_ring__copy_out(struct oc_ring *r, uint32_t first, void *out, uint32_t n)
{
	uint32_t idx = first & r->mask;
	uint32_t run = r->mask + 1 - idx;
	size_t bytes = (size_t)n * r->slot_bytes;
	const unsigned char *src = r->slots + (size_t)idx * r->slot_bytes;
	if (n <= run) {
		memcpy(out, src, bytes);
	} else {
		size_t first_bytes = (size_t)run * r->slot_bytes;
		memcpy(out, src, first_bytes);
		memcpy((unsigned char *)out + first_bytes, r->slots, bytes - first_bytes);
	}
}

/* Producer: copies as many of the n items (slot_bytes each) as fit; returns the count. */
static inline uint32_t oc_ring_spsc_try_push_burst(struct oc_ring *r, const void *items,
						   uint32_t n)
{
	uint32_t free_slots = oc_ring_spsc_writable(r, n);
	if (n > free_slots)
		n = free_slots;
	if (n) {
		oc_ring__copy_in(r, atomic_load_explicit(&r->tail, memory_order_relaxed), items, n);
		oc_ring_spsc_commit(r, n);
	}
	return n;
}

/* Consumer: copies up to n items out; returns the count. */
static inline uint32_t oc_ring_spsc_try_pop_burst(struct oc_ring *r, void *out, uint32_t n)
{
	uint32_t used = oc_ring_spsc_readable(r, n);
	if (n > used)
		n = used;
	if (n) {
		oc_ring__copy_out(r, atomic_load_explicit(&r->head, memory_order_relaxed), out, n);
		oc_ring_spsc_release(r, n);
	}
	return n;
}

/* A stage that consumes `in` and produces into `out`: how many messages it may move this
 * turn (all that wait, up to max, no more than out has room for). */
static inline uint32_t oc_ring_spsc_transfer_count(struct oc_ring *in, struct oc_ring *out,
						   uint32_t max)
{
	uint32_t n = oc_ring_spsc_readable(in, max);
	if (n > max)
		n = max;
	uint32_t room = oc_ring_spsc_writable(out, n);
	return n < room ? n : room;
}

/* Either side, or an observer: slots in use now (a snapshot; may be stale at once, but
 * always between 0 and the slot count). */
static inline uint32_t oc_ring_used(const struct oc_ring *r)
{
	/* Head first: a head loaded after tail may have passed that tail (the consumer ran
	 * in between), and tail - head would wrap to ~4G. The acquire load of head pairs with
	 * the release store in oc_ring_spsc_release, which the consumer made after seeing a
	 * tail at least that high, so the tail loaded next is at least head. It may also be
	 * more than `slots` above it, when both sides moved between the two loads (an
	 * observer that is neither side), hence the clamp. */
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t used = tail - head;
	return used <= r->mask + 1 ? used : r->mask + 1;
}

#endif
