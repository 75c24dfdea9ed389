/* ring.c: setup, teardown and the invariant check of the SPSC ring (ring.h holds the
 * inline fast path). The slot array is allocated here, once, at setup. */
#include "core/ring.h"

#include <errno.h>
#include "core/mem.h"

int oc_ring_init(struct oc_ring *r, uint32_t slots, uint32_t slot_bytes)
{
	if (slots < 2 || (slots & (slots - 1)) != 0 || slot_bytes == 0 || slot_bytes % 8 != 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->slots = oc_mem_table_alloc((size_t)slots * slot_bytes);
	if (!r->slots)
		return -ENOMEM;
	r->mask = slots - 1;
	r->slot_bytes = slot_bytes;
	atomic_init(&r->tail, 0);
	atomic_init(&r->head, 0);
	atomic_init(&r->high_water, 0);
	return 0;
}

void oc_ring_destroy(struct oc_ring *r)
{
	if (r->slots)
		oc_mem_table_free(r->slots, (size_t)(r->mask + 1) * r->slot_bytes);
	r->slots = NULL;
}

bool oc_ring_valid(const struct oc_ring *r)
{
	if (!r->slots || ((r->mask + 1) & r->mask) != 0)
		return false;
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t slots = r->mask + 1;
	/* Free-running indices: differences are taken modulo 2^32. The order must be
	 * head_cache <= head <= tail_cache <= tail with all four within `slots`: each step is
	 * checked, and so is the whole span tail - head_cache, which is what the producer
	 * subtracts from `slots` in oc_ring_spsc_writable (steps can each be small while the
	 * span is not, and then writable would wrap to ~4G free slots). */
	return tail - head <= slots && head - r->head_cache <= slots &&
	       r->tail_cache - head <= slots && tail - r->tail_cache <= slots &&
	       tail - r->head_cache <= slots;
}
