/* inventory.c: one inventory shard. A shard owns, for the SKUs whose XXH3 hash falls on it,
 * the units available to reserve, the safety stock and every customer's purchase counter, so
 * a purchase limit is checked in the same step as the reservation, by the one thread that owns
 * the SKU. It answers each line message with a result, in order, and applies releases (and
 * restocks) from route at the point of the command stream that makes the outcome independent
 * of timing
 * (docs/architecture.md, "Determinism of releases"). At a snapshot barrier it writes its part:
 * stock, counters, and the releases still waiting in its ring. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/hash.h"
#include "core/mem.h"
#include "stages/stages_internal.h"

/* Sold out to orders: no unit past the safety stock (an order's line takes none of it). */
static bool sold_out(const struct oc_stock_cell *cell)
{
	return cell->available <= cell->safety;
}

/* Sets the sold-out gauge from the stock (at init and restore). */
static void count_sold_out(struct oc_shard *s)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < s->sku_count; i++)
		n += sold_out(&s->stock[i]);
	oc_metric_set(&s->skus_sold_out, n);
}

/* Keeps the gauge after a change of cell, which was (or not) sold out before it. */
static void sold_out_update(struct oc_shard *s, bool was, const struct oc_stock_cell *cell)
{
	bool now = sold_out(cell);
	if (now != was)
		oc_metric_set(&s->skus_sold_out, oc_metric_get(&s->skus_sold_out) + (now ? 1 : -1));
}

int oc_shard_init(struct oc_shard *s, const struct oc_catalog *c, uint32_t index,
		  uint32_t pair_count_max)
{
	const struct oc_dataset *d = c->data;
	s->index = index;
	s->catalog = c;
	oc_snap_shard_part(s->part.name, index);
	s->sku_count = 0;
	bool limited = false;
	for (uint32_t g = 0; g < d->sku_count; g++) {
		bool mine = OC_PLACE_SHARD(c->place[g]) == index;
		s->sku_count += mine;
		limited |= mine && d->skus[g].limit_per_customer != 0;
	}
	/* Counters exist only for SKUs with a limit: a shard without one needs no table. */
	if (!limited)
		pair_count_max = 1;
	uint64_t slots = 2;
	while (slots < (uint64_t)pair_count_max * OC_TABLE_LOAD_DENOMINATOR)
		slots <<= 1;
	s->stock = oc_mem_table_alloc((size_t)s->sku_count * sizeof(struct oc_stock_cell));
	s->pairs = oc_mem_table_alloc(slots * sizeof(struct oc_pair));
	if (!s->stock || !s->pairs)
		return -ENOMEM;
	s->pair_mask = (uint32_t)(slots - 1);
	s->pair_count = 0;
	s->pair_count_max = pair_count_max;
	for (uint32_t g = 0; g < d->sku_count; g++) {
		if (OC_PLACE_SHARD(c->place[g]) != index)
			continue;
		uint64_t units = 0;
		for (uint32_t w = 0; w < d->warehouse_count; w++)
			units += d->on_hand[(size_t)g * d->warehouse_count + w];
		struct oc_stock_cell *cell = &s->stock[OC_PLACE_LOCAL(c->place[g])];
		cell->available = (uint32_t)units; /* <= OC_LIMIT_SKU_UNITS_MAX: the loader checks */
		cell->limit = d->skus[g].limit_per_customer;
		cell->price_cents = d->skus[g].price_cents;
	}
	count_sold_out(s);
	return 0;
}

void oc_shard_destroy(struct oc_shard *s)
{
	oc_mem_table_free(s->stock, (size_t)s->sku_count * sizeof(struct oc_stock_cell));
	if (s->pairs)
		oc_mem_table_free(s->pairs, ((size_t)s->pair_mask + 1) * sizeof(*s->pairs));
	s->stock = NULL;
	s->pairs = NULL;
	oc_snap_buf_free(&s->part.buf);
}

static inline uint64_t pair_hash(uint64_t customer, uint32_t sku_local)
{
	uint64_t k[2] = {customer, sku_local};
	return XXH3_64bits(k, sizeof(k));
}

/* Finds the counter of (customer, sku_local), or inserts it at 0 when `insert`. NULL when
 * absent and not inserted, or when the table is full. */
static struct oc_pair *pair_get(struct oc_shard *s, uint64_t customer, uint32_t sku_local,
				uint64_t hash, bool insert)
{
	for (uint32_t i = (uint32_t)hash & s->pair_mask;;
	     i = (i + 1) & s->pair_mask) {
		struct oc_pair *p = &s->pairs[i];
		if (p->customer == customer && p->sku_local == sku_local)
			return p;
		if (p->customer != 0)
			continue;
		if (!insert || s->pair_count == s->pair_count_max)
			return NULL;
		s->pair_count++;
		p->customer = customer;
		p->sku_local = sku_local;
		p->units = 0;
		return p;
	}
}

/* An order's line leaves the safety stock (both <= 10^9 + 65535: no overflow), and counts
 * against the customer's limit (a replacement's does not); a write-off's may take every unit
 * available. */
uint8_t oc_shard_reserve(struct oc_shard *s, const struct oc_line_msg *m)
{
	struct oc_stock_cell *cell = &s->stock[m->sku_local];
	uint32_t keep = m->flags & OC_LINE_WRITE_OFF ? 0 : cell->safety;
	if (cell->available < m->quantity + keep)
		return OC_REJECT_OUT_OF_STOCK;
	if (cell->limit && !(m->flags & (OC_LINE_WRITE_OFF | OC_LINE_REPLACEMENT))) {
		if (m->quantity > cell->limit)
			return OC_REJECT_LIMIT_EXCEEDED;
		struct oc_pair *p = pair_get(s, m->customer, m->sku_local,
					     pair_hash(m->customer, m->sku_local), true);
		if (!p)
			return OC_REJECT_CAPACITY;
		if (p->units + m->quantity > cell->limit)
			return OC_REJECT_LIMIT_EXCEEDED;
		p->units += m->quantity;
	}
	bool was = sold_out(cell);
	cell->available -= m->quantity;
	sold_out_update(s, was, cell);
	oc_metric_add(&s->reserved_lines, 1);
	return OC_REJECT_NONE;
}

void oc_shard_release(struct oc_shard *s, const struct oc_release_msg *m)
{
	struct oc_stock_cell *cell = &s->stock[m->sku_local];
	if (!(m->flags & OC_RELEASE_COUNTER_ONLY)) {
		bool was = sold_out(cell);
		cell->available += m->quantity;
		sold_out_update(s, was, cell);
	}
	if (cell->limit && m->customer) {
		struct oc_pair *p = pair_get(s, m->customer, m->sku_local,
					     pair_hash(m->customer, m->sku_local), false);
		OC_ASSERT(p && p->units >= m->quantity);
		p->units -= m->quantity;
	}
	oc_metric_add(&s->released_lines, 1);
}

/* Lines ahead of the one being decided whose memory is fetched early: the stock cell
 * PREFETCH_LINES ahead, and the purchase counter (when the SKU has a limit) half as far
 * ahead, by which time the cell that says so is in cache. */
#define PREFETCH_LINES 8

static void prefetch_line(struct oc_shard *s, uint32_t i, uint32_t n)
{
	if (i + PREFETCH_LINES < n) {
		const struct oc_line_msg *m = oc_ring_spsc_read_slot(s->line, i + PREFETCH_LINES);
		__builtin_prefetch(&s->stock[m->sku_local], 1);
	}
	if (i + PREFETCH_LINES / 2 < n) {
		const struct oc_line_msg *m =
			oc_ring_spsc_read_slot(s->line, i + PREFETCH_LINES / 2);
		if (m->sku != OC_LINE_BARRIER && s->stock[m->sku_local].limit)
			__builtin_prefetch(&s->pairs[pair_hash(m->customer, m->sku_local) &
						     s->pair_mask], 1);
	}
}

/* Applies, in order, the releases caused by commands at or before `visible_seq`, among the
 * `ready` releases the ring showed this turn; `*taken` counts those applied this turn. */
static void apply_releases_upto(struct oc_shard *s, uint64_t visible_seq, uint32_t ready,
				uint32_t *taken)
{
	while (*taken < ready) {
		const struct oc_release_msg *m = oc_ring_spsc_read_slot(s->release, *taken);
		if (m->cause_seq > visible_seq)
			return;
		oc_shard_release(s, m);
		(*taken)++;
	}
}

/* Releases the ring holds now. Route pushed every release caused by a command up to
 * seq - inflight_max before the sequencer admitted seq, and that admission happened before
 * validate wrote seq's line: so once the line (or validated_seq) has been read with acquire,
 * this acquire refresh of the release ring's tail shows all the releases due before it. */
static uint32_t releases_ready(struct oc_shard *s)
{
	return oc_ring_spsc_readable(s->release, UINT32_MAX);
}

/* Part "shard-NN": SKUs u32, their stock cells; counter slots u32, counters u32, then per
 * counter in slot order: slot u32 and the struct oc_pair; reserved and released lines u64;
 * then the releases not yet applied, u32 and the messages. The barrier's seq is b: route
 * finished every command before b before the barrier was admitted, and waits for this part
 * before it goes past b, so the ring holds exactly the releases caused up to b not yet
 * applied, slots [taken, ready) of this turn. */
static int write_part(struct oc_shard *s, uint64_t seq, uint32_t taken, uint32_t ready)
{
	struct oc_snap_buf *b = &s->part.buf;
	oc_snapshotter_reclaim(s->snapshotter, &s->part);
	oc_snap_part_begin(b, OC_SNAP_SHARD, s->index, seq);
	oc_snap_reserve(b, 4 + (size_t)s->sku_count * sizeof(*s->stock) + 8 +
			       (size_t)s->pair_count * (4 + sizeof(struct oc_pair)) + 20 +
			       (size_t)(ready - taken) * sizeof(struct oc_release_msg));
	oc_snap_put_u32(b, s->sku_count);
	oc_snap_put(b, s->stock, (size_t)s->sku_count * sizeof(*s->stock));
	oc_snap_put_u32(b, s->pair_mask + 1);
	oc_snap_put_u32(b, s->pair_count);
	for (uint32_t i = 0; i <= s->pair_mask; i++) {
		if (!s->pairs[i].customer)
			continue;
		oc_snap_put_u32(b, i);
		oc_snap_put(b, &s->pairs[i], sizeof(s->pairs[i]));
	}
	oc_snap_put_u64(b, oc_metric_get(&s->reserved_lines));
	oc_snap_put_u64(b, oc_metric_get(&s->released_lines));
	oc_snap_put_u32(b, ready - taken);
	for (uint32_t i = taken; i < ready; i++)
		oc_snap_put(b, oc_ring_spsc_read_slot(s->release, i), sizeof(struct oc_release_msg));
	int rc = oc_snap_part_end(b);
	if (rc)
		oc_log(OC_LOG_ERROR, "msg=\"snapshot part failed\" part=%s seq=%llu "
				"error=\"%s\"", s->part.name, (unsigned long long)seq, strerror(-rc));
	else
		oc_snapshotter_hand(s->snapshotter, &s->part, seq);
	return rc;
}

int oc_shard_restore(struct oc_shard *s, struct oc_snap_reader *r, struct oc_ring *release)
{
	if (oc_snap_get_u32(r) != s->sku_count)
		return -EINVAL;
	const void *stock = oc_snap_get(r, (size_t)s->sku_count * sizeof(*s->stock));
	uint32_t slots = oc_snap_get_u32(r), count = oc_snap_get_u32(r);
	if (!stock || slots != s->pair_mask + 1 || count > s->pair_count_max)
		return -EINVAL;
	memcpy(s->stock, stock, (size_t)s->sku_count * sizeof(*s->stock));
	for (uint32_t k = 0; k < count; k++) {
		/* Records in the file are packed: copied out, never read in place. */
		uint32_t i = oc_snap_get_u32(r);
		const void *at = oc_snap_get(r, sizeof(struct oc_pair));
		struct oc_pair p;
		if (!at || i >= slots)
			return -EINVAL;
		memcpy(&p, at, sizeof(p));
		if (!p.customer || s->pairs[i].customer || p.sku_local >= s->sku_count)
			return -EINVAL;
		s->pairs[i] = p;
	}
	s->pair_count = count;
	count_sold_out(s);
	oc_metric_set(&s->reserved_lines, oc_snap_get_u64(r));
	oc_metric_set(&s->released_lines, oc_snap_get_u64(r));
	uint32_t pending = oc_snap_get_u32(r);
	if (r->short_read || pending > oc_ring_slots(release))
		return -EINVAL;
	for (uint32_t i = 0; i < pending; i++) {
		const void *at = oc_snap_get(r, sizeof(struct oc_release_msg));
		struct oc_release_msg m;
		if (!at)
			return -EINVAL;
		memcpy(&m, at, sizeof(m));
		if (m.sku_local >= s->sku_count)
			return -EINVAL;
		/* Before the workers start: this thread stands in for route, the producer. */
		memcpy(oc_ring_spsc_write_slot(release, i), &m, sizeof(m));
	}
	oc_ring_spsc_commit(release, pending);
	return oc_snap_reader_done(r) ? 0 : -EINVAL;
}

uint32_t oc_shard_step(void *arg)
{
	struct oc_shard *s = arg;
	uint64_t lag = s->catalog->inflight_max;
	uint32_t n = oc_ring_spsc_transfer_count(s->line, s->result, OC_STAGE_BURST_MAX);
	uint32_t ready = releases_ready(s), taken = 0;
	for (uint32_t i = 0; i < PREFETCH_LINES && i < n; i++)
		__builtin_prefetch(&s->stock[((const struct oc_line_msg *)oc_ring_spsc_read_slot(
						      s->line, i))->sku_local]);
	for (uint32_t i = 0; i < n; i++) {
		prefetch_line(s, i, n);
		const struct oc_line_msg *m = oc_ring_spsc_read_slot(s->line, i);
		if (taken < ready && m->seq > lag)
			apply_releases_upto(s, m->seq - lag, ready, &taken);
		struct oc_result_msg *r = oc_ring_spsc_write_slot(s->result, i);
		r->seq = m->seq;
		r->sku = m->sku;
		r->quantity = m->quantity;
		r->price_cents = 0;
		r->safety = 0;
		if (m->sku == OC_LINE_BARRIER) {
			r->reason = write_part(s, m->seq, taken, ready) != 0;
		} else if (m->flags & (OC_LINE_QUERY | OC_LINE_SAFETY)) {
			struct oc_stock_cell *cell = &s->stock[m->sku_local];
			if (m->flags & OC_LINE_SAFETY) {
				bool was = sold_out(cell);
				cell->safety = m->quantity;
				sold_out_update(s, was, cell);
			}
			r->quantity = cell->available;
			r->safety = cell->safety;
			r->reason = OC_REJECT_NONE;
		} else if (m->flags & OC_LINE_RETURN) { /* route checks it against the order */
			r->reason = OC_REJECT_NONE;
			r->price_cents = s->stock[m->sku_local].price_cents;
		} else {
			r->reason = oc_shard_reserve(s, m);
			r->price_cents = s->stock[m->sku_local].price_cents;
		}
	}
	if (n == 0 && ready) {
		/* No line waits: every command up to validated_seq has been handed out, so the
		 * next line has a larger seq and the releases due before it may be applied now.
		 * Pairs with the release store of validated_seq in validate. */
		uint64_t v = atomic_load_explicit(s->validated_seq, memory_order_acquire);
		if (oc_ring_spsc_readable(s->line, 1) == 0 && v + 1 > lag)
			apply_releases_upto(s, v + 1 - lag, releases_ready(s), &taken);
	}
	if (taken)
		oc_ring_spsc_release(s->release, taken);
	if (n) {
		/* Line slots are freed before the results are published: route finishes these
		 * commands, then the sequencer admits more, and validate, which sizes its turn
		 * by the room in this ring, must then see these slots free (no wake-up of
		 * validate is needed: docs/architecture.md, no deadlock, point 2). */
		oc_ring_spsc_release(s->line, n);
		oc_ring_spsc_commit(s->result, n);
	}
	/* Route waits for results, or for room in the release ring. */
	if (n || taken)
		oc_worker_wake(s->wake_route);
	return n + taken;
}

void oc_shard_apply_all_releases(struct oc_shard *s)
{
	uint32_t taken = 0;
	apply_releases_upto(s, UINT64_MAX, releases_ready(s), &taken);
	if (taken)
		oc_ring_spsc_release(s->release, taken);
}

uint64_t oc_shard_hash(const struct oc_shard *s, uint64_t seed)
{
	uint64_t h = XXH3_64bits_withSeed(s->stock, s->sku_count * sizeof(*s->stock), seed);
	return XXH3_64bits_withSeed(s->pairs, ((size_t)s->pair_mask + 1) * sizeof(*s->pairs), h);
}
