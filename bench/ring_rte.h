/* ring_rte.h: DPDK's rte_ring in single-producer/single-consumer mode, behind plain C calls,
 * for bench_ring.c. DPDK's headers want their own compiler flags (`-include rte_config.h`,
 * -march=corei7: pkg-config libdpdk), which must not reach the other benchmarks or the
 * engine's ring, so only ring_rte.c is built with them; bench_ring.c calls it through the same
 * one indirect call a burst that it makes for the other rings. Needs no EAL: the ring lives in
 * memory allocated here (rte_ring_init, not rte_ring_create). */
#ifndef OC_BENCH_RING_RTE_H
#define OC_BENCH_RING_RTE_H

#include <stdbool.h>
#include <stdint.h>

struct rte_ring;

/* A ring holding exactly `slots` 8-byte items (a power of two; RING_F_EXACT_SZ), or NULL. */
struct rte_ring *oc_bench_rte_ring_new(uint32_t slots);
void oc_bench_rte_ring_free(struct rte_ring *r);

/* Moves as many of the n items as fit (are there) and says how many (the _burst calls). */
uint32_t oc_bench_rte_ring_push(struct rte_ring *r, const uint64_t *items, uint32_t n);
uint32_t oc_bench_rte_ring_pop(struct rte_ring *r, uint64_t *items, uint32_t n);
bool oc_bench_rte_ring_readable(const struct rte_ring *r);

#endif
