/* test_route_plan.c: direct tests of oc_route_plan (engine/stages/route_plan.c), the pure
 * function that chooses warehouses for an order from route's free units: the nearest
 * warehouse holding every line whole; the fewest warehouses that each hold some lines whole
 * (exact up to 3, including the case where greedy would take 3 but 2 suffice, nearest set on
 * ties), greedy beyond 3; a line no warehouse holds whole split nearest first; and a
 * randomised check of the plan against a brute-force minimum cover. The function must not
 * change its inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/rand.h"
#include "stages/stages_internal.h"

#define WH_MAX   8
#define SKUS_MAX OC_ORDER_LINES_MAX

/* A planning problem: free units [sku * warehouses + w] and the ship-to region's order. */
struct problem {
	uint32_t warehouses;
	uint8_t order[OC_LIMIT_WAREHOUSES_MAX];
	uint32_t free_units[SKUS_MAX * WH_MAX];
	struct oc_plan_line lines[OC_ORDER_LINES_MAX];
	uint32_t line_count;
};

static void set_free(struct problem *p, uint32_t sku, uint32_t w, uint32_t units)
{
	p->free_units[sku * p->warehouses + w] = units;
}

static void add_line(struct problem *p, uint32_t sku, uint32_t quantity)
{
	p->lines[p->line_count++] = (struct oc_plan_line){sku, quantity};
}

/* Plans p, checks that the inputs are unchanged and every allocation is possible. */
static uint32_t plan(const struct problem *p, struct oc_alloc *out /* [OC_PLAN_ALLOCS_MAX] */)
{
	struct problem before = *p;
	uint32_t n =
	    oc_route_plan(p->free_units, p->warehouses, p->order, p->lines, p->line_count, out);
	assert_memory_equal(&before, p, sizeof(*p));
	assert_true(n >= p->line_count && n <= OC_PLAN_ALLOCS_MAX);
	for (uint32_t i = 0; i < n; i++) {
		assert_true(out[i].warehouse < p->warehouses);
		assert_true(out[i].quantity > 0);
		assert_true(out[i].quantity <=
		            p->free_units[out[i].sku * p->warehouses + out[i].warehouse]);
	}
	return n;
}

static void expect_alloc(const struct oc_alloc *a, uint32_t sku, uint32_t quantity,
                         uint32_t warehouse)
{
	assert_int_equal(a->sku, sku);
	assert_int_equal(a->quantity, quantity);
	assert_int_equal(a->warehouse, warehouse);
}

static void init_problem(struct problem *p, uint32_t warehouses, const uint8_t *order)
{
	memset(p, 0, sizeof(*p));
	p->warehouses = warehouses;
	memcpy(p->order, order, warehouses);
}

static void test_nearest_whole_warehouse_per_region(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 3, (const uint8_t[]){2, 0, 1});
	for (uint32_t w = 0; w < 3; w++)
		set_free(&p, 0, w, 5);
	add_line(&p, 0, 3);
	assert_int_equal(plan(&p, out), 1);
	expect_alloc(&out[0], 0, 3, 2);

	/* Another region's order; and exactly the free units still fit whole. */
	memcpy(p.order, (const uint8_t[]){1, 2, 0}, 3);
	p.lines[0].quantity = 5;
	assert_int_equal(plan(&p, out), 1);
	expect_alloc(&out[0], 0, 5, 1);

	/* The nearest warehouse with too few units is passed over for the next one. */
	set_free(&p, 0, 1, 4);
	assert_int_equal(plan(&p, out), 1);
	expect_alloc(&out[0], 0, 5, 2);
}

/* The nearest warehouse that holds every line, not the nearest that holds the first line. */
static void test_whole_order_beats_nearer_partial(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 3, (const uint8_t[]){0, 1, 2});
	set_free(&p, 0, 0, 5);
	set_free(&p, 0, 2, 5);
	set_free(&p, 1, 2, 1);
	add_line(&p, 0, 2);
	add_line(&p, 1, 1);
	assert_int_equal(plan(&p, out), 2);
	expect_alloc(&out[0], 0, 2, 2);
	expect_alloc(&out[1], 1, 1, 2);
}

static void test_two_warehouses_when_none_holds_all(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 4, (const uint8_t[]){0, 1, 2, 3});
	set_free(&p, 0, 1, 10);
	set_free(&p, 1, 2, 10);
	set_free(&p, 1, 3, 10);
	add_line(&p, 0, 1);
	add_line(&p, 1, 1);
	assert_int_equal(plan(&p, out), 2);
	expect_alloc(&out[0], 0, 1, 1);
	expect_alloc(&out[1], 1, 1, 2); /* warehouse 2 is nearer than 3 */
}

/* Warehouse A (nearest) holds lines 0-3 whole, B holds 0, 1, 4 and C holds 2, 3, 5. Greedy
 * takes A (4 lines) and then needs both B and C; the exact search finds B + C. */
static void test_exact_cover_beats_greedy(void **state)
{
	enum { A = 0, B = 1, C = 2, D = 3 };
	static const uint8_t holds[6][2] = {{A, B}, {A, B}, {A, C}, {A, C}, {B, B}, {C, C}};
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 4, (const uint8_t[]){A, B, C, D});
	for (uint32_t i = 0; i < 6; i++) {
		set_free(&p, i, holds[i][0], 3);
		set_free(&p, i, holds[i][1], 3);
		set_free(&p, i, D, 1); /* the farthest holds some of each, none whole */
		add_line(&p, i, 2);
	}
	assert_int_equal(plan(&p, out), 6);
	static const uint8_t want[6] = {B, B, C, C, B, C};
	for (uint32_t i = 0; i < 6; i++)
		expect_alloc(&out[i], i, 2, want[i]);
}

/* Among equally few warehouses the nearer set wins: distance is the region's order, not the
 * warehouse index. */
static void test_equal_covers_prefer_nearer(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 4, (const uint8_t[]){3, 2, 1, 0});
	set_free(&p, 0, 0, 5); /* line 0 whole at 0 and 2 */
	set_free(&p, 0, 2, 5);
	set_free(&p, 1, 1, 5); /* line 1 whole at 1 and 3 */
	set_free(&p, 1, 3, 5);
	add_line(&p, 0, 5);
	add_line(&p, 1, 5);
	assert_int_equal(plan(&p, out), 2);
	expect_alloc(&out[0], 0, 5, 2);
	expect_alloc(&out[1], 1, 5, 3);
}

/* Lines 0..4, each whole at one warehouse of 0..4, and lines 0 and 1 also at 5: no cover of
 * 3 exists, so greedy takes 5 (two lines) and then 2, 3 and 4. */
static void test_greedy_beyond_exact_depth(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 6, (const uint8_t[]){0, 1, 2, 3, 4, 5});
	for (uint32_t i = 0; i < 5; i++) {
		set_free(&p, i, i, 1);
		add_line(&p, i, 1);
	}
	set_free(&p, 0, 5, 1);
	set_free(&p, 1, 5, 1);
	assert_int_equal(plan(&p, out), 5);
	static const uint8_t want[5] = {5, 5, 2, 3, 4};
	for (uint32_t i = 0; i < 5; i++)
		expect_alloc(&out[i], i, 1, want[i]);
}

static void test_single_line_split_nearest_first(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 4, (const uint8_t[]){2, 0, 1, 3});
	set_free(&p, 0, 2, 4);
	set_free(&p, 0, 1, 8);
	set_free(&p, 0, 3, 9);
	add_line(&p, 0, 10);
	assert_int_equal(plan(&p, out), 2);
	expect_alloc(&out[0], 0, 4, 2);
	expect_alloc(&out[1], 0, 6, 1);

	/* Every unit of every warehouse. */
	p.lines[0].quantity = 21;
	assert_int_equal(plan(&p, out), 3);
	expect_alloc(&out[0], 0, 4, 2);
	expect_alloc(&out[1], 0, 8, 1);
	expect_alloc(&out[2], 0, 9, 3);
}

/* One line whole somewhere, another only in parts: the first goes whole, the second splits. */
static void test_whole_line_and_split_line(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 2, (const uint8_t[]){0, 1});
	set_free(&p, 0, 1, 5);
	set_free(&p, 1, 0, 6);
	set_free(&p, 1, 1, 6);
	add_line(&p, 0, 2);
	add_line(&p, 1, 10);
	assert_int_equal(plan(&p, out), 3);
	expect_alloc(&out[0], 0, 2, 1);
	expect_alloc(&out[1], 1, 6, 0);
	expect_alloc(&out[2], 1, 4, 1);
}

/* A line no warehouse holds whole must not stop the search for a single warehouse that holds
 * all the other lines: here warehouse 1 holds lines 0 and 1 whole, so they ship from it (and
 * line 2 splits over 1 and 2: 2 warehouses in all), rather than line 0 from the nearer 0
 * (3 warehouses). */
static void test_split_line_keeps_single_cover(void **state)
{
	struct problem p;
	struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
	init_problem(&p, 3, (const uint8_t[]){0, 1, 2});
	set_free(&p, 0, 0, 1);
	set_free(&p, 0, 1, 1);
	set_free(&p, 1, 1, 1);
	set_free(&p, 2, 1, 2);
	set_free(&p, 2, 2, 2);
	add_line(&p, 0, 1);
	add_line(&p, 1, 1);
	add_line(&p, 2, 4);
	assert_int_equal(plan(&p, out), 4);
	expect_alloc(&out[0], 0, 1, 1);
	expect_alloc(&out[1], 1, 1, 1);
	expect_alloc(&out[2], 2, 2, 1);
	expect_alloc(&out[3], 2, 2, 2);
}

/* The smallest number of warehouses that cover `wanted` with masks[line] (bit k: position k
 * holds the line whole), by brute force over position subsets. */
static uint32_t min_cover(const uint64_t *masks, uint32_t lines, uint32_t wanted,
                          uint32_t warehouses)
{
	uint32_t best = UINT32_MAX;
	for (uint32_t set = 0; set < 1u << warehouses; set++) {
		uint32_t covered = 0;
		for (uint32_t i = 0; i < lines; i++)
			if (masks[i] & set)
				covered |= 1u << i;
		uint32_t size = (uint32_t)__builtin_popcount(set);
		if ((covered & wanted) == wanted && size < best)
			best = size;
	}
	return best;
}

/* Random small problems (stock sized so that every line fits in total), checked against the
 * rules: whole lines go whole to one warehouse, with as few warehouses as possible up to 3
 * (and all to the nearest one when it holds everything); other lines split nearest first. */
static void test_random_against_brute_force(void **state)
{
	uint64_t rng = 42;
	for (uint32_t round = 0; round < 20000; round++) {
		struct problem p;
		struct oc_alloc out[OC_PLAN_ALLOCS_MAX];
		uint8_t order[WH_MAX];
		uint32_t wh = 1 + oc_rand_below(&rng, WH_MAX);
		for (uint32_t k = 0; k < wh; k++)
			order[k] = (uint8_t)k;
		for (uint32_t k = wh; k > 1; k--) {
			uint32_t j = oc_rand_below(&rng, k);
			uint8_t t = order[k - 1];
			order[k - 1] = order[j];
			order[j] = t;
		}
		init_problem(&p, wh, order);
		uint32_t lines = 1 + oc_rand_below(&rng, 6);
		uint64_t masks[OC_ORDER_LINES_MAX] = {0};
		uint32_t wanted = 0;
		uint64_t all = (1ull << wh) - 1;
		for (uint32_t i = 0; i < lines; i++) {
			uint32_t total = 0;
			for (uint32_t w = 0; w < wh; w++) {
				uint32_t u = oc_rand_below(&rng, 3) ? oc_rand_below(&rng, 6) : 0;
				set_free(&p, i, w, u);
				total += u;
			}
			if (total == 0) {
				set_free(&p, i, 0, 1);
				total = 1;
			}
			add_line(&p, i, 1 + oc_rand_below(&rng, total));
			for (uint32_t k = 0; k < wh; k++)
				if (p.free_units[i * wh + order[k]] >= p.lines[i].quantity)
					masks[i] |= 1ull << k;
			if (masks[i])
				wanted |= 1u << i;
			all &= masks[i];
		}
		uint32_t n = plan(&p, out);
		uint64_t used = 0; /* positions that ship a whole line */
		uint32_t a = 0;
		for (uint32_t i = 0; i < lines; i++) {
			if (!masks[i]) {
				/* Split nearest first: take everything until the line is full. */
				uint32_t left = p.lines[i].quantity;
				for (uint32_t k = 0; k < wh && left; k++) {
					uint32_t have = p.free_units[i * wh + order[k]];
					if (!have)
						continue;
					uint32_t take = have < left ? have : left;
					assert_true(a < n);
					expect_alloc(&out[a++], i, take, order[k]);
					left -= take;
				}
				continue;
			}
			assert_true(a < n);
			expect_alloc(&out[a], i, p.lines[i].quantity, out[a].warehouse);
			uint32_t k = 0;
			while (order[k] != out[a].warehouse)
				k++;
			assert_true(masks[i] >> k & 1);
			used |= 1ull << k;
			a++;
		}
		assert_int_equal(a, n);
		if (all) {
			assert_int_equal(used, 1ull << __builtin_ctzll(all));
			continue;
		}
		uint32_t best = min_cover(masks, lines, wanted, wh);
		uint32_t got = (uint32_t)__builtin_popcountll(used);
		if (best <= 3)
			assert_int_equal(got, best);
		else
			assert_true(got >= best);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nearest_whole_warehouse_per_region),
	    cmocka_unit_test(test_whole_order_beats_nearer_partial),
	    cmocka_unit_test(test_two_warehouses_when_none_holds_all),
	    cmocka_unit_test(test_exact_cover_beats_greedy),
	    cmocka_unit_test(test_equal_covers_prefer_nearer),
	    cmocka_unit_test(test_greedy_beyond_exact_depth),
	    cmocka_unit_test(test_single_line_split_nearest_first),
	    cmocka_unit_test(test_whole_line_and_split_line),
	    cmocka_unit_test(test_split_line_keeps_single_cover),
	    cmocka_unit_test(test_random_against_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
