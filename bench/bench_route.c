/* bench_route.c: fulfilment planning (engine/stages/route_plan.c: oc_route_plan), route's work
 * per accepted order. oc_route_plan/L plans an order of L lines over 8 warehouses whose free
 * units vary by SKU (some hold a line whole, some part of it, some none), from a region's
 * nearest-first order, on a table of 10^5 SKUs; the orders' SKUs are drawn at random, so the
 * free units' rows are mostly cache misses, as in the engine. One iteration is one order;
 * items_per_second is orders planned a second. */
#include <stdlib.h>

#include "core/rand.h"
#include "stages/stages_internal.h"
#include "shim.h"

#define SKUS 100000u
#define WAREHOUSES 8u
#define BATCH 64u

static const int64_t line_counts[] = {1, 4, 16};

/* Line l of an order: a SKU not on lines [0, l) whose warehouses have units free in all, 1
 * or 2 of them (the engine plans only what the shards reserved); with 0 to 3 a warehouse,
 * some lines fit one warehouse, some are split. */
static struct oc_plan_line line(const uint32_t *free_units, const struct oc_plan_line *lines,
				uint32_t l, uint64_t *rng)
{
	for (;;) {
		uint32_t sku = oc_rand_below(rng, SKUS), total = 0;
		bool again = false;
		for (uint32_t m = 0; m < l; m++)
			again |= lines[m].sku == sku;
		for (uint32_t w = 0; w < WAREHOUSES; w++)
			total += free_units[(size_t)sku * WAREHOUSES + w];
		uint32_t want = 1 + oc_rand_below(rng, 2);
		if (!again && total)
			return (struct oc_plan_line){sku, want < total ? want : total};
	}
}

static void bench_plan(struct oc_bench_state *st)
{
	uint32_t lines = (uint32_t)oc_bench_range(st, 0);
	uint32_t *free_units = malloc((size_t)SKUS * WAREHOUSES * sizeof(uint32_t));
	if (!free_units) {
		oc_bench_skip_with_error(st, "out of memory");
		return;
	}
	uint64_t rng = 5;
	for (size_t i = 0; i < (size_t)SKUS * WAREHOUSES; i++) /* 0 to 3 units */
		free_units[i] = oc_rand_below(&rng, 4);
	static const uint8_t order[WAREHOUSES] = {2, 0, 1, 3, 5, 4, 7, 6};
	struct oc_plan_line plan_lines[OC_ORDER_LINES_MAX];
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	uint64_t allocs = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			for (uint32_t l = 0; l < lines; l++)
				plan_lines[l] = line(free_units, plan_lines, l, &rng);
			allocs += oc_route_plan(free_units, WAREHOUSES, order, plan_lines, lines, out);
		}
	}
	oc_bench_escape(out);
	oc_bench_counter(st, "allocations_per_order", (double)allocs /
			 (double)(oc_bench_iterations(st) ? oc_bench_iterations(st) : 1), 0);
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
	free(free_units);
}

void oc_bench_register_route(void)
{
	oc_bench_register("oc_route_plan", bench_plan, line_counts,
			  (int)(sizeof(line_counts) / sizeof(line_counts[0])), 0);
}
