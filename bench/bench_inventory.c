/* bench_inventory.c: an inventory shard's work per line (engine/stages/inventory.c):
 * oc_shard_reserve and oc_shard_release on one shard holding N SKUs. One iteration reserves
 * one unit of a SKU drawn at random for one of CUSTOMERS customers and releases the line
 * reserved OUTSTANDING iterations earlier, so stock stays level and every line is reserved
 * and released once. oc_shard_reserve_release/N has no purchase limits (the stock cell
 * only); oc_shard_reserve_release_limited/N gives every SKU a limit, so each line also finds
 * (or inserts) and updates its customer's counter in the shard's open-addressed table. The
 * lines come one at a time, without the look-ahead prefetch the shard's step does over a
 * batch from its ring: at 10^6 SKUs most cells are cache misses here. items_per_second is
 * lines reserved and released a second. */
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "data/dataset.h"
#include "stages/stages_internal.h"
#include "shim.h"

#define CUSTOMERS 4u      /* customers drawn from: counters stay within 4 a SKU */
#define OUTSTANDING 1024u /* lines reserved and not yet released (a power of two) */
#define UNITS_PER_SKU 1000u
#define LIMIT_PER_CUSTOMER 1000u /* never reached: 4 customers share 1000 units */
#define BATCH 64u

static const int64_t sku_counts[] = {10000, 100000, 1000000};

/* One shard (index 0) holding every SKU of a one-warehouse dataset built in memory. */
struct bench_shard {
	struct oc_dataset data;
	struct oc_catalog catalog;
	struct oc_shard shard;
};

static void bench_shard_destroy(struct bench_shard *b)
{
	oc_shard_destroy(&b->shard);
	free(b->catalog.place);
	free(b->data.skus);
	free(b->data.on_hand);
}

static bool bench_shard_init(struct bench_shard *b, uint32_t skus, uint32_t limit)
{
	memset(b, 0, sizeof(*b));
	b->data.sku_count = skus;
	b->data.warehouse_count = 1;
	b->data.skus = calloc(skus, sizeof(*b->data.skus));
	b->data.on_hand = malloc((size_t)skus * sizeof(uint32_t));
	b->catalog.place = malloc((size_t)skus * sizeof(uint32_t));
	b->catalog.data = &b->data;
	if (!b->data.skus || !b->data.on_hand || !b->catalog.place) {
		bench_shard_destroy(b);
		return false;
	}
	for (uint32_t g = 0; g < skus; g++) {
		b->data.skus[g].sku = g + 1;
		b->data.skus[g].price_cents = 100;
		b->data.skus[g].limit_per_customer = limit;
		b->data.on_hand[g] = UNITS_PER_SKU;
		b->catalog.place[g] = OC_PLACE(0u, g);
	}
	if (oc_shard_init(&b->shard, &b->catalog, 0, skus * CUSTOMERS) != 0) {
		bench_shard_destroy(b);
		return false;
	}
	return true;
}

static void reserve_release(struct oc_bench_state *st, uint32_t limit)
{
	uint32_t skus = (uint32_t)oc_bench_range(st, 0);
	struct bench_shard b;
	if (!bench_shard_init(&b, skus, limit)) {
		oc_bench_skip_with_error(st, "out of memory");
		return;
	}
	struct oc_line_msg held[OUTSTANDING];
	uint64_t rng = 11, seq = 0, refused = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++, seq++) {
			struct oc_line_msg *m = &held[seq % OUTSTANDING];
			if (seq >= OUTSTANDING) {
				struct oc_release_msg r = {.cause_seq = seq, .customer = m->customer,
							   .sku_local = m->sku_local,
							   .quantity = m->quantity};
				oc_shard_release(&b.shard, &r);
			}
			uint32_t sku = oc_rand_below(&rng, skus);
			*m = (struct oc_line_msg){.seq = seq + 1,
						  .customer = 1 + oc_rand_below(&rng, CUSTOMERS),
						  .sku_local = sku, .quantity = 1, .sku = sku};
			refused += oc_shard_reserve(&b.shard, m) != OC_REJECT_NONE;
		}
	}
	if (refused != 0)
		oc_bench_skip_with_error(st, "a reservation was refused: the stock ran out");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
	bench_shard_destroy(&b);
}

static void bench_plain(struct oc_bench_state *st) { reserve_release(st, 0); }
static void bench_limited(struct oc_bench_state *st) { reserve_release(st, LIMIT_PER_CUSTOMER); }

void oc_bench_register_inventory(void)
{
	int nargs = (int)(sizeof(sku_counts) / sizeof(sku_counts[0]));
	oc_bench_register("oc_shard_reserve_release", bench_plain, sku_counts, nargs, 0);
	oc_bench_register("oc_shard_reserve_release_limited", bench_limited, sku_counts, nargs, 0);
}
