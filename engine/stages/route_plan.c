/* route_plan.c: fulfilment planning for route: which warehouses ship an order. A pure
 * function of route's free stock and the order; it owns no state.
 *
 * The search: (1) the nearest warehouse that holds every line whole ships it all; (2) else
 * the fewest warehouses that between them hold every line whole, found by an exact
 * depth-first search up to EXACT_DEPTH_MAX warehouses (nearest first, so among equally few
 * the nearer set wins), and greedily beyond that (the warehouse that covers most remaining
 * lines, nearest on ties); (3) a line that no warehouse holds whole is split over the
 * nearest warehouses that hold some of it. */
#include "stages/stages_internal.h"

#define EXACT_DEPTH_MAX 3

struct plan {
	uint64_t line_mask[OC_ORDER_LINES_MAX]; /* bit k: warehouse_order[k] holds line whole */
	uint32_t lines;                         /* lines a single warehouse can hold */
	uint32_t wanted;                        /* bits of those lines */
};

/* Depth-first search for `depth` positions whose masks cover every wanted line. */
static bool cover(const struct plan *p, uint32_t covered, uint32_t depth, uint64_t *chosen)
{
	if (covered == p->wanted)
		return true;
	if (depth == 0)
		return false;
	uint32_t first = (uint32_t)__builtin_ctz(p->wanted & ~covered);
	for (uint64_t m = p->line_mask[first]; m; m &= m - 1) {
		uint32_t k = (uint32_t)__builtin_ctzll(m);
		uint32_t more = 0;
		for (uint32_t i = 0; i < OC_ORDER_LINES_MAX; i++)
			if ((p->wanted >> i & 1) && (p->line_mask[i] >> k & 1))
				more |= 1u << i;
		*chosen |= 1ull << k;
		if (cover(p, covered | more, depth - 1, chosen))
			return true;
		*chosen &= ~(1ull << k);
	}
	return false;
}

/* Greedy cover: repeatedly the position covering most uncovered lines, nearest on ties. */
static uint64_t cover_greedy(const struct plan *p, uint32_t warehouses)
{
	uint64_t chosen = 0;
	uint32_t covered = 0;
	while (covered != p->wanted) {
		uint32_t best_k = 0, best_n = 0;
		for (uint32_t k = 0; k < warehouses; k++) {
			uint32_t n = 0;
			for (uint32_t i = 0; i < OC_ORDER_LINES_MAX; i++)
				n += (p->wanted & ~covered) >> i & 1 && (p->line_mask[i] >> k & 1);
			if (n > best_n) {
				best_n = n;
				best_k = k;
			}
		}
		OC_ASSERT(best_n > 0);
		chosen |= 1ull << best_k;
		for (uint32_t i = 0; i < OC_ORDER_LINES_MAX; i++)
			if (p->line_mask[i] >> best_k & 1)
				covered |= p->wanted & (1u << i);
	}
	return chosen;
}

static uint32_t split_line(const uint32_t *free_units, uint32_t warehouses,
			   const uint8_t *order, const struct oc_plan_line *l, struct oc_alloc *out)
{
	uint32_t left = l->quantity, n = 0;
	for (uint32_t k = 0; k < warehouses && left; k++) {
		uint32_t w = order[k];
		uint32_t have = free_units[(size_t)l->sku * warehouses + w];
		uint32_t take = have < left ? have : left;
		if (take == 0)
			continue;
		out[n++] = (struct oc_alloc){l->sku, (uint16_t)take, (uint8_t)w, 0};
		left -= take;
	}
	/* Route's free stock covers every unit the shards reserved (docs/architecture.md). */
	OC_ASSERT(left == 0);
	return n;
}

uint32_t oc_route_plan(const uint32_t *free_units, uint32_t warehouses,
		       const uint8_t *order, const struct oc_plan_line *lines,
		       uint32_t line_count, struct oc_alloc *out)
{
	for (uint32_t k = 0; k < warehouses; k++) {
		/* The common case: the nearest warehouse that holds every line whole. */
		uint32_t w = order[k], i = 0;
		while (i < line_count &&
		       free_units[(size_t)lines[i].sku * warehouses + w] >= lines[i].quantity)
			i++;
		if (i < line_count)
			continue;
		for (i = 0; i < line_count; i++)
			out[i] = (struct oc_alloc){lines[i].sku, (uint16_t)lines[i].quantity,
						   (uint8_t)w, 0};
		return line_count;
	}
	struct plan p = {0};
	for (uint32_t i = 0; i < line_count; i++) {
		for (uint32_t k = 0; k < warehouses; k++)
			if (free_units[(size_t)lines[i].sku * warehouses + order[k]] >=
			    lines[i].quantity)
				p.line_mask[i] |= 1ull << k;
		if (p.line_mask[i])
			p.wanted |= 1u << i;
	}
	uint64_t chosen = 0;
	if (p.wanted) {
		bool found = false;
		/* From one: a single warehouse may hold every line but one that must be
		 * split anyway. */
		for (uint32_t depth = 1; depth <= EXACT_DEPTH_MAX && !found; depth++)
			found = cover(&p, 0, depth, &chosen);
		if (!found)
			chosen = cover_greedy(&p, warehouses);
	}
	uint32_t n = 0;
	for (uint32_t i = 0; i < line_count; i++) {
		uint64_t m = p.line_mask[i] & chosen;
		if (!m) {
			n += split_line(free_units, warehouses, order, &lines[i], out + n);
			continue;
		}
		uint32_t w = order[__builtin_ctzll(m)];
		out[n++] = (struct oc_alloc){lines[i].sku, (uint16_t)lines[i].quantity, (uint8_t)w, 0};
	}
	return n;
}
