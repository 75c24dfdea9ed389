/* backorders.c: route's backordered lines (docs/lifecycle.md, "Backorders"). A short pick with
 * OC_PICK_SHORT_BACKORDER keeps a line no other warehouse can take as a backorder: its units
 * wait, in a FIFO per SKU, for a receipt of the SKU (route.c fills the oldest first). Route
 * owns the pool of entries (orders_max of them: a full pool cuts the line), each SKU's FIFO
 * (doubly linked, so a cancelled order's entries leave from anywhere) and each order's chain
 * of entries (a pick waits until it is empty; a cancel gives their purchase counters back).
 * Links are 1 + an entry's index, 0: none, so that the zeroed pages of the tables mean "none"
 * without a write per SKU or order. Runs on route's thread, on route's data. */
#include <errno.h>
#include <string.h>

#include "core/hash.h"
#include "core/mem.h"
#include "stages/stages_internal.h"

int oc_backorders_init(struct oc_route *r, uint32_t skus)
{
	r->backorder_skus = skus;
	r->backorders = oc_mem_table_alloc((size_t)r->orders_max * sizeof(struct oc_backorder));
	r->backorder_head = oc_mem_table_alloc((size_t)skus * sizeof(uint32_t));
	r->backorder_tail = oc_mem_table_alloc((size_t)skus * sizeof(uint32_t));
	r->backorder_first = oc_mem_table_alloc((size_t)r->orders_max * sizeof(uint32_t));
	return r->backorders && r->backorder_head && r->backorder_tail && r->backorder_first
		       ? 0
		       : -ENOMEM;
}

void oc_backorders_destroy(struct oc_route *r)
{
	oc_mem_table_free(r->backorders, (size_t)r->orders_max * sizeof(struct oc_backorder));
	oc_mem_table_free(r->backorder_head, (size_t)r->backorder_skus * sizeof(uint32_t));
	oc_mem_table_free(r->backorder_tail, (size_t)r->backorder_skus * sizeof(uint32_t));
	oc_mem_table_free(r->backorder_first, (size_t)r->orders_max * sizeof(uint32_t));
	r->backorders = NULL;
	r->backorder_head = r->backorder_tail = r->backorder_first = NULL;
}

static struct oc_backorder *entry(const struct oc_route *r, uint32_t link)
{
	return &r->backorders[link - 1];
}

bool oc_backorders_push(struct oc_route *r, uint32_t order, uint32_t sku, uint32_t units)
{
	uint32_t link = r->backorder_free;
	if (link)
		r->backorder_free = entry(r, link)->next;
	else if (r->backorders_used < r->orders_max)
		link = ++r->backorders_used;
	else
		return false;
	uint32_t tail = r->backorder_tail[sku];
	*entry(r, link) = (struct oc_backorder){order, sku, units, tail, 0,
						r->backorder_first[order]};
	if (tail)
		entry(r, tail)->next = link;
	else
		r->backorder_head[sku] = link;
	r->backorder_tail[sku] = link;
	r->backorder_first[order] = link;
	r->backorders_live++;
	return true;
}

uint32_t oc_backorders_count(const struct oc_route *r, uint32_t order)
{
	uint32_t n = 0;
	for (uint32_t at = r->backorder_first[order]; at; at = entry(r, at)->order_next)
		n++;
	return n;
}

uint32_t oc_backorders_lines(const struct oc_route *r, uint32_t order, struct oc_plan_line *out)
{
	uint32_t n = 0;
	for (uint32_t at = r->backorder_first[order]; at; at = entry(r, at)->order_next)
		out[n++] = (struct oc_plan_line){entry(r, at)->sku, entry(r, at)->units};
	return n;
}

uint32_t oc_backorders_oldest(const struct oc_route *r, uint32_t sku)
{
	return r->backorder_head[sku];
}

struct oc_backorder *oc_backorders_at(struct oc_route *r, uint32_t link)
{
	return entry(r, link);
}

/* Takes entry `link` out of its SKU's FIFO and onto the free list (not out of its order's
 * chain: the caller does). */
static void unlink_entry(struct oc_route *r, uint32_t link)
{
	struct oc_backorder *e = entry(r, link);
	if (e->prev)
		entry(r, e->prev)->next = e->next;
	else
		r->backorder_head[e->sku] = e->next;
	if (e->next)
		entry(r, e->next)->prev = e->prev;
	else
		r->backorder_tail[e->sku] = e->prev;
	*e = (struct oc_backorder){.next = r->backorder_free};
	r->backorder_free = link;
	r->backorders_live--;
}

void oc_backorders_remove(struct oc_route *r, uint32_t link)
{
	uint32_t *at = &r->backorder_first[entry(r, link)->order];
	while (*at != link)
		at = &entry(r, *at)->order_next;
	*at = entry(r, link)->order_next;
	unlink_entry(r, link);
}

void oc_backorders_drop(struct oc_route *r, uint32_t order)
{
	for (uint32_t at = r->backorder_first[order]; at;) {
		uint32_t next = entry(r, at)->order_next;
		unlink_entry(r, at);
		at = next;
	}
	r->backorder_first[order] = 0;
}

/* Each SKU's FIFO in turn, from the oldest: the entries' order, SKU and units. */
struct put_entry {
	uint32_t order, sku, units;
};

void oc_backorders_put(const struct oc_route *r, struct oc_snap_buf *b)
{
	oc_snap_put_u32(b, r->backorders_live);
	oc_snap_reserve(b, (size_t)r->backorders_live * sizeof(struct put_entry));
	for (uint32_t sku = 0; r->backorders_live && sku < r->backorder_skus; sku++)
		for (uint32_t at = r->backorder_head[sku]; at; at = entry(r, at)->next) {
			const struct oc_backorder *e = entry(r, at);
			struct put_entry p = {e->order, e->sku, e->units};
			oc_snap_put(b, &p, sizeof(p));
		}
}

int oc_backorders_get(struct oc_route *r, struct oc_snap_reader *in, uint32_t orders)
{
	uint32_t n = oc_snap_get_u32(in);
	if (in->short_read || n > r->orders_max)
		return -EINVAL;
	const struct put_entry *p = oc_snap_get(in, (size_t)n * sizeof(*p));
	if (n && !p)
		return -EINVAL;
	for (uint32_t i = 0, sku = 0; i < n; i++) {
		struct put_entry e; /* the image is not aligned */
		memcpy(&e, &p[i], sizeof(e));
		if (e.order >= orders || e.sku >= r->backorder_skus || e.sku < sku || e.units == 0 ||
		    e.units > OC_LIMIT_LINE_QUANTITY_MAX)
			return -EINVAL;
		sku = e.sku;
		OC_ASSERT(oc_backorders_push(r, e.order, e.sku, e.units)); /* n <= orders_max */
	}
	return 0;
}

uint64_t oc_backorders_hash(const struct oc_route *r, uint64_t seed)
{
	uint64_t h = XXH3_64bits_withSeed(&r->backorders_live, sizeof(r->backorders_live), seed);
	for (uint32_t sku = 0; r->backorders_live && sku < r->backorder_skus; sku++)
		for (uint32_t at = r->backorder_head[sku]; at; at = entry(r, at)->next) {
			const struct oc_backorder *e = entry(r, at);
			uint32_t v[3] = {e->order, e->sku, e->units};
			h = XXH3_64bits_withSeed(v, sizeof(v), h);
		}
	return h;
}
