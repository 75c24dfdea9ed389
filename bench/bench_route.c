/* bench_route.c: fulfilment planning (engine/stages/route_plan.c: oc_route_plan), route's work
 * per accepted order, and rate shopping (engine/data/carriers.c: oc_carriers_shop), its work per
 * parcel at a pack. oc_route_plan/L plans an order of L lines over 8 warehouses whose free
 * units vary by SKU (some hold a line whole, some part of it, some none), from a region's
 * nearest-first order, on a table of 10^5 SKUs; the orders' SKUs are drawn at random, so the
 * free units' rows are mostly cache misses, as in the engine. One iteration is one order;
 * items_per_second is orders planned a second. oc_carriers_shop/D picks the cheapest service
 * for parcels of random weight (up to 30 kg) to random zones over the demo carriers
 * (oc_carriers_write_demo, loaded from a temporary directory), in at most D days (0: any);
 * items_per_second is parcels shopped a second. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/rand.h"
#include "data/carriers.h"
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

static const int64_t days_max[] = {0, 2};

/* The demo carriers, written to and loaded from a temporary directory (removed after). */
static int demo_carriers(struct oc_carriers *c, char *err, size_t err_bytes)
{
	char dir[] = "/tmp/oc_bench_carriers_XXXXXX", path[64];
	if (!mkdtemp(dir))
		return snprintf(err, err_bytes, "mkdtemp failed"), -1;
	int rc = oc_carriers_write_demo(dir, err, err_bytes);
	if (rc == 0)
		rc = oc_carriers_load(dir, c, err, err_bytes);
	static const char *const files[] = {"carriers.csv", "rates.csv"};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

static void bench_shop(struct oc_bench_state *st)
{
	uint32_t days = (uint32_t)oc_bench_range(st, 0);
	struct oc_carriers carriers;
	char err[256];
	if (demo_carriers(&carriers, err, sizeof(err)) != 0) {
		oc_bench_skip_with_error(st, err);
		return;
	}
	uint64_t rng = 9, unserved = 0, cents = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			struct oc_rate_choice choice;
			uint32_t zone = 1 + oc_rand_below(&rng, OC_CARRIER_ZONES_MAX);
			uint32_t weight_g = 100 + oc_rand_below(&rng, 30000);
			if (oc_carriers_shop(&carriers, zone, weight_g, days, &choice) != 0)
				unserved++;
			else
				cents += choice.cost_cents;
		}
	}
	oc_bench_escape(&cents);
	if (unserved != 0 && days == 0) /* the demo carries any parcel anywhere */
		oc_bench_skip_with_error(st, "a parcel found no service");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
	oc_carriers_destroy(&carriers);
}

void oc_bench_register_route(void)
{
	oc_bench_register("oc_route_plan", bench_plan, line_counts,
			  (int)(sizeof(line_counts) / sizeof(line_counts[0])), 0);
	oc_bench_register("oc_carriers_shop", bench_shop, days_max,
			  (int)(sizeof(days_max) / sizeof(days_max[0])), 0);
}
