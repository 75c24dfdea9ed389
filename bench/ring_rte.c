/* ring_rte.c: DPDK's rte_ring for bench_ring.c (see ring_rte.h); owns nothing but the rings
 * it hands out. Built alone with DPDK's compiler flags (bench/CMakeLists.txt). */
#include <stdlib.h>

#include <rte_ring.h>

#include "ring_rte.h"

_Static_assert(sizeof(void *) == sizeof(uint64_t), "items travel as rte_ring's void * objects");

struct rte_ring *oc_bench_rte_ring_new(uint32_t slots)
{
	const unsigned flags = RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ;
	/* An exact-size ring keeps the next power of two above slots (as rte_ring_create). */
	ssize_t size = rte_ring_get_memsize_elem(sizeof(void *), rte_align32pow2(slots + 1));
	if (size < 0)
		return NULL;
	size_t rounded = ((size_t)size + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
	struct rte_ring *r = aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
	if (!r)
		return NULL;
	if (rte_ring_init(r, "oc_bench", slots, flags) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

void oc_bench_rte_ring_free(struct rte_ring *r)
{
	free(r);
}

uint32_t oc_bench_rte_ring_push(struct rte_ring *r, const uint64_t *items, uint32_t n)
{
	return rte_ring_sp_enqueue_burst(r, (void *const *)items, n, NULL);
}

uint32_t oc_bench_rte_ring_pop(struct rte_ring *r, uint64_t *items, uint32_t n)
{
	return rte_ring_sc_dequeue_burst(r, (void **)items, n, NULL);
}

bool oc_bench_rte_ring_readable(const struct rte_ring *r)
{
	return !rte_ring_empty(r);
}
