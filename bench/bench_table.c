/* bench_table.c: the hash map every hot lookup goes through (engine/core/table.h: idempotency
 * keys in validate, SKU numbers in the catalog, customers in route). oc_u64map_lookup/N finds
 * keys present in a map of N keys (10^4 .. 10^7: from L2 to far past the last-level cache),
 * in a random order; oc_u64map_miss/N looks for keys absent; oc_u64map_insert/P fills a
 * map sized for 10^6 keys from P % full to P % + 10 % (P in 50..80: the engine sizes maps for
 * their most keys and keeps them at most half full, so P % of count_max is P/2 % of slots).
 * ck_ht_lookup/N, the baseline, does oc_u64map_lookup/N's lookups in Concurrency Kit's hash
 * table (ck_ht.h, Debian's libck-dev) in its direct mode (64-bit keys and values in the
 * entry), with the same hash (XXH3) and the same keys. One iteration is one operation;
 * items_per_second is operations a second. */
#include <stdlib.h>

#include <ck_ht.h>

#include "core/hash.h"
#include "core/rand.h"
#include "core/table.h"
#include "shim.h"

/* Operations per oc_bench_keep_running_batch call. */
#define BATCH 1024u

static const int64_t sizes[] = {10000, 100000, 1000000, 10000000};
static const int64_t loads[] = {50, 60, 70, 80};

/* n random odd keys (never 0), distinct; NULL when out of memory. */
static uint64_t *keys_of(uint32_t n, uint64_t seed)
{
	struct oc_u64map seen;
	uint64_t *keys = malloc(n * sizeof(uint64_t));
	if (!keys || oc_u64map_init(&seen, n) != 0) {
		free(keys);
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		bool found;
		do {
			keys[i] = oc_rand_next(&seed) | 1;
			oc_u64map_upsert(&seen, keys[i], oc_hash_u64(keys[i]), &found);
		} while (found);
	}
	oc_u64map_destroy(&seen);
	return keys;
}

/* Puts keys[from..to) into m. */
static void insert(struct oc_u64map *m, const uint64_t *keys, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		bool found;
		oc_u64map_upsert(m, keys[i], oc_hash_u64(keys[i]), &found)->value = i;
	}
}

/* A map of n random keys (returned), sized for n; NULL when out of memory. */
static uint64_t *fill(struct oc_u64map *m, uint32_t n, uint64_t seed)
{
	uint64_t *keys = keys_of(n, seed);
	if (keys && oc_u64map_init(m, n) != 0) {
		free(keys);
		return NULL;
	}
	if (keys)
		insert(m, keys, 0, n);
	return keys;
}

static void lookup(struct oc_bench_state *st, bool present)
{
	uint32_t n = (uint32_t)oc_bench_range(st, 0);
	struct oc_u64map m;
	uint64_t *keys = fill(&m, n, 7);
	if (!keys) {
		oc_bench_skip_with_error(st, "out of memory");
		return;
	}
	uint64_t rng = 11, found = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			uint64_t key = keys[oc_rand_below(&rng, n)];
			key = present ? key : key + 1; /* even: never present */
			found += oc_u64map_find(&m, key, oc_hash_u64(key)) != NULL;
		}
	}
	oc_bench_escape(&found);
	if (found != (present ? (uint64_t)oc_bench_iterations(st) : 0))
		oc_bench_skip_with_error(st, "a lookup found the wrong thing");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
	oc_u64map_destroy(&m);
	free(keys);
}

static void *ck_alloc(size_t bytes)
{
	return malloc(bytes);
}

static void ck_free(void *p, size_t bytes, bool defer)
{
	(void)bytes;
	(void)defer;
	free(p);
}

static struct ck_malloc ck_allocator = {.malloc = ck_alloc, .free = ck_free};

/* ck_ht's hash callback: the engine's hash of the key, so only the tables differ. */
static void ck_hash(ck_ht_hash_t *h, const void *key, size_t bytes, uint64_t seed)
{
	(void)bytes;
	(void)seed;
	h->value = oc_hash_u64(*(const uint64_t *)key);
}

static void bench_ck_lookup(struct oc_bench_state *st)
{
	uint32_t n = (uint32_t)oc_bench_range(st, 0);
	uint64_t *keys = keys_of(n, 7);
	ck_ht_t ht;
	if (!keys || !ck_ht_init(&ht, CK_HT_MODE_DIRECT, ck_hash, &ck_allocator, n, 1)) {
		free(keys);
		oc_bench_skip_with_error(st, "out of memory");
		return;
	}
	bool ok = true;
	for (uint32_t i = 0; i < n && ok; i++) {
		ck_ht_entry_t e;
		ck_ht_hash_t h;
		ck_ht_hash_direct(&h, &ht, keys[i]);
		ck_ht_entry_set_direct(&e, h, keys[i], i);
		ok = ck_ht_put_spmc(&ht, h, &e);
	}
	uint64_t rng = 11, found = 0;
	while (ok && oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			uint64_t key = keys[oc_rand_below(&rng, n)];
			ck_ht_entry_t e;
			ck_ht_hash_t h;
			ck_ht_hash_direct(&h, &ht, key);
			ck_ht_entry_key_set_direct(&e, key);
			found += ck_ht_get_spmc(&ht, h, &e);
		}
	}
	oc_bench_escape(&found);
	if (!ok)
		oc_bench_skip_with_error(st, "ck_ht_put_spmc failed");
	else if (found != (uint64_t)oc_bench_iterations(st))
		oc_bench_skip_with_error(st, "a lookup found the wrong thing");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
	ck_ht_destroy(&ht);
	free(keys);
}

static void bench_lookup(struct oc_bench_state *st) { lookup(st, true); }
static void bench_miss(struct oc_bench_state *st) { lookup(st, false); }

/* Inserts the keys from P % to P + 10 % of a map sized for 10^6 (each batch on a new map
 * filled to P %, untimed). */
static void bench_insert(struct oc_bench_state *st)
{
	const uint32_t max = 1000000;
	uint32_t from = (uint32_t)(max / 100 * oc_bench_range(st, 0)), to = from + max / 10;
	uint64_t *keys = keys_of(max, 3);
	if (!keys) {
		oc_bench_skip_with_error(st, "out of memory");
		return;
	}
	struct oc_u64map m;
	bool ok = true;
	while (oc_bench_keep_running_batch(st, to - from)) {
		oc_bench_pause(st);
		ok = ok && oc_u64map_init(&m, max) == 0;
		if (ok)
			insert(&m, keys, 0, from);
		oc_bench_resume(st);
		if (ok)
			insert(&m, keys, from, to);
		oc_bench_pause(st);
		if (ok)
			oc_u64map_destroy(&m);
		oc_bench_resume(st);
	}
	free(keys);
	if (!ok)
		oc_bench_skip_with_error(st, "out of memory");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
}

void oc_bench_register_table(void)
{
	int n = (int)(sizeof(sizes) / sizeof(sizes[0]));
	oc_bench_register("oc_u64map_lookup", bench_lookup, sizes, n, 0);
	oc_bench_register("oc_u64map_miss", bench_miss, sizes, n, 0);
	oc_bench_register("ck_ht_lookup", bench_ck_lookup, sizes, n, 0);
	oc_bench_register("oc_u64map_insert", bench_insert, loads,
			  (int)(sizeof(loads) / sizeof(loads[0])), 0);
}
