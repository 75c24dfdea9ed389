/* waves.c: route's pick waves (docs/lifecycle.md, "Waves"). With wave_orders_max, route owns
 * an open wave per warehouse (struct oc_wave, r->waves): an order that becomes allocated joins
 * the wave of each warehouse it ships from and waits there. A wave is released once it holds
 * wave_orders_max orders or more than OC_WAVE_LINES_MAX - OC_LIMIT_ORDER_ALLOCS_MAX lines
 * (after the answer of the command that filled it), or when route's clock passes its deadline,
 * the earliest cutoff of its orders (before the answer of the command that brought the time,
 * a tick if no client's did; one a command). Its pick list goes out as unsolicited document
 * rows, a line per allocation of its live orders in the order of their bins, then the wave's
 * own row; an order is released when the last of its waves is. Cancelled orders stay in their
 * waves until the release, which leaves them out. Runs on route's thread, on route's data. */
#include <errno.h>
#include <string.h>

#include "core/hash.h"
#include "stages/stages_internal.h"

/* The longest order `rec` may wait in an open wave (its service level's cutoff). */
static uint64_t cutoff_ms(const struct oc_route *r, const struct oc_order_rec *rec)
{
	uint32_t days = OC_REC_DAYS(rec->flags);
	return days && days <= OC_WAVE_EXPRESS_DAYS_MAX ? r->catalog->wave_express_cutoff_ms
							: r->catalog->wave_cutoff_ms;
}

/* The earliest deadline of the open waves, 0: none. */
static uint64_t next_deadline(const struct oc_route *r)
{
	uint64_t next = 0;
	for (uint32_t w = 0; w < r->warehouses; w++) {
		uint64_t d = r->waves[w].deadline_ms;
		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

void oc_waves_join(struct oc_route *r, uint32_t index, uint64_t warehouses)
{
	struct oc_order_rec *rec = &r->orders[index];
	uint64_t deadline = r->clock_ms + cutoff_ms(r, rec);
	for (; warehouses; warehouses &= warehouses - 1) {
		uint32_t w = (uint32_t)__builtin_ctzll(warehouses), lines = 0;
		for (uint32_t i = 0; i < rec->alloc_count; i++) {
			const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
			lines += al->warehouse == w && al->quantity;
		}
		if (!lines)
			continue;
		struct oc_wave *wave = &r->waves[w];
		/* Never full here: a filled wave is released within the command that filled it. */
		OC_ASSERT(wave->orders < r->catalog->wave_orders_max &&
			  wave->lines + lines <= OC_WAVE_LINES_MAX);
		if (!wave->deadline_ms || deadline < wave->deadline_ms)
			wave->deadline_ms = deadline;
		wave->member[wave->orders++] = index;
		wave->lines += lines;
		rec->waves_pending++;
		if (wave->orders == r->catalog->wave_orders_max ||
		    wave->lines > OC_WAVE_LINES_MAX - OC_LIMIT_ORDER_ALLOCS_MAX)
			r->waves_full |= 1ull << w;
		if (!r->wave_next_ms || wave->deadline_ms < r->wave_next_ms)
			r->wave_next_ms = wave->deadline_ms;
	}
}

/* A line of a pick list: an allocation and its order. */
struct pick {
	const struct oc_alloc *alloc;
	uint32_t order;
};

/* Sorts a pick list by bin, then by order (joining order: index), then SKU. */
static void sort_picks(const struct oc_dataset *d, struct pick *p, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct pick x = p[i];
		uint32_t j = i;
		for (; j > 0; j--) {
			const struct pick *y = &p[j - 1];
			int cmp = strcmp(d->skus[y->alloc->sku].bin, d->skus[x.alloc->sku].bin);
			if (cmp < 0 || (cmp == 0 && (y->order < x.order ||
						     (y->order == x.order &&
						      y->alloc->sku <= x.alloc->sku))))
				break;
			p[j] = p[j - 1];
		}
		p[j] = x;
	}
}

/* Rows the release of warehouse w's wave writes: its live orders' lines, and its own. */
static uint32_t release_rows(const struct oc_route *r, uint32_t w)
{
	return r->waves[w].lines + 1;
}

/* Releases warehouse w's wave: its live orders (allocated; cancelled ones are left out) leave
 * it, those in no other wave are released (a transition, typed place: the engine's own), and
 * its pick list is written at r->outs, stamped with om's seq and route's clock. */
static void release(struct oc_route *r, const struct oc_order_msg *om, uint32_t w)
{
	struct oc_wave *wave = &r->waves[w];
	const struct oc_dataset *d = r->catalog->data;
	struct pick picks[OC_WAVE_LINES_MAX];
	uint32_t n = 0, orders = 0;
	for (uint32_t m = 0; m < wave->orders; m++) {
		uint32_t index = wave->member[m];
		struct oc_order_rec *rec = &r->orders[index];
		if (rec->state != OC_STATE_ALLOCATED)
			continue; /* cancelled while it waited */
		OC_ASSERT(rec->waves_pending > 0);
		orders++;
		for (uint32_t i = 0; i < rec->alloc_count; i++) {
			const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
			if (al->warehouse == w && al->quantity)
				picks[n++] = (struct pick){al, index};
		}
		if (--rec->waves_pending == 0) {
			rec->state = OC_STATE_RELEASED;
			oc_route_transition(r, index, om->seq, r->clock_ms, OC_CMD_PLACE);
		}
	}
	*wave = (struct oc_wave){0};
	r->wave_next_ms = next_deadline(r);
	if (orders == 0)
		return; /* every order of it was cancelled: no pick list */
	uint64_t number = ++r->waves_released;
	sort_picks(d, picks, n);
	struct oc_response head = {.seq = om->seq, .ts_ms = r->clock_ms, .type = OC_CMD_PLACE,
				   .status = OC_STATUS_ACCEPTED,
				   .flags = OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT |
					    OC_RESPONSE_UNSOLICITED,
				   .warehouse = (uint8_t)w};
	for (uint32_t i = 0; i < n; i++) {
		const struct oc_order_rec *rec = &r->orders[picks[i].order];
		const struct oc_alloc *al = picks[i].alloc;
		struct oc_response *row = oc_ring_spsc_write_slot(r->out, r->outs++);
		*row = head;
		row->key = rec->key;
		row->customer = rec->customer;
		row->flags |= (uint8_t)(r->channels[picks[i].order] << OC_RESPONSE_CHANNEL_SHIFT);
		row->shipments = OC_DOC_PICK_LINE;
		row->state = rec->state;
		row->original_seq = d->skus[al->sku].sku;
		row->amount_cents = (uint64_t)d->skus[al->sku].price_cents << 32 | al->quantity;
		row->refunded_cents = number;
	}
	struct oc_response *row = oc_ring_spsc_write_slot(r->out, r->outs++);
	*row = head;
	row->shipments = OC_DOC_WAVE;
	row->original_seq = number;
	row->amount_cents = (uint64_t)n << 32 | orders;
}

bool oc_waves_room(const struct oc_route *r, const struct oc_order_msg *om)
{
	bool receipt = om->type == OC_CMD_RESTOCK || om->type == OC_CMD_ADJUST_STOCK ||
		       om->type == OC_CMD_RETURN_RECEIVED;
	bool allocates = om->type == OC_CMD_PLACE || om->type == OC_CMD_PAYMENT_AUTHORIZED ||
			 om->type == OC_CMD_REVIEW_APPROVE || om->type == OC_CMD_PICK_SHORT ||
			 (receipt && r->backorders_live); /* a receipt fills backorders */
	if (!r->catalog->wave_orders_max || !allocates)
		return true;
	/* An order fills at most a wave per warehouse of its allocations: the dataset's
	 * warehouses, or OC_LIMIT_ORDER_ALLOCS_MAX, whichever is fewer (so a dataset of a few
	 * warehouses does not wait for room it can never use). */
	uint32_t waves = r->warehouses < OC_LIMIT_ORDER_ALLOCS_MAX ? r->warehouses
								    : OC_LIMIT_ORDER_ALLOCS_MAX;
	uint32_t want = r->outs + 1 + waves * (OC_WAVE_LINES_MAX + 1);
	return oc_ring_spsc_writable(r->out, want) >= want;
}

void oc_waves_release_full(struct oc_route *r, const struct oc_order_msg *om)
{
	for (; r->waves_full; r->waves_full &= r->waves_full - 1)
		release(r, om, (uint32_t)__builtin_ctzll(r->waves_full));
}

bool oc_waves_release_due(struct oc_route *r, const struct oc_order_msg *om)
{
	if (!r->wave_next_ms || r->wave_next_ms > r->clock_ms || r->wave_expire_seq == om->seq)
		return true;
	uint32_t w = 0;
	while (r->waves[w].deadline_ms != r->wave_next_ms)
		w++;
	uint32_t want = r->outs + release_rows(r, w) + 1; /* and the command's own answer */
	if (oc_ring_spsc_writable(r->out, want) < want)
		return false;
	release(r, om, w);
	r->wave_expire_seq = om->seq;
	return true;
}

void oc_waves_put(const struct oc_route *r, struct oc_snap_buf *b)
{
	oc_snap_put_u64(b, r->waves_released);
	if (r->waves)
		oc_snap_put(b, r->waves, (size_t)r->warehouses * sizeof(*r->waves));
}

int oc_waves_get(struct oc_route *r, struct oc_snap_reader *in)
{
	r->waves_released = oc_snap_get_u64(in);
	if (!r->waves)
		return 0;
	const void *p = oc_snap_get(in, (size_t)r->warehouses * sizeof(*r->waves));
	if (!p)
		return -EINVAL;
	memcpy(r->waves, p, (size_t)r->warehouses * sizeof(*r->waves));
	for (uint32_t w = 0; w < r->warehouses; w++) {
		const struct oc_wave *wave = &r->waves[w];
		if (wave->orders > r->catalog->wave_orders_max || wave->lines > OC_WAVE_LINES_MAX)
			return -EINVAL;
		for (uint32_t m = 0; m < wave->orders; m++)
			if (wave->member[m] >= r->orders_max)
				return -EINVAL;
	}
	r->wave_next_ms = next_deadline(r);
	return 0;
}

uint64_t oc_waves_hash(const struct oc_route *r, uint64_t seed)
{
	uint64_t h = XXH3_64bits_withSeed(&r->waves_released, sizeof(r->waves_released), seed);
	for (uint32_t w = 0; r->waves && w < r->warehouses; w++) {
		const struct oc_wave *wave = &r->waves[w];
		h = XXH3_64bits_withSeed(&wave->lines, sizeof(wave->lines), h);
		h = XXH3_64bits_withSeed(wave->member, wave->orders * sizeof(uint32_t), h);
	}
	return h;
}
