/* route.c: the route stage. It owns the records (orders, stock changes, refunds, RMAs, indexed
 * by the order index validate gives) with their money and links, the allocations of accepted
 * orders and RMAs, and the units on hand, free and picked of every SKU in every warehouse (so
 * it decides restocks, write-offs and cycle counts, and sends added units to the shard). It
 * takes validate's order messages in sequence order and gathers each command's line results
 * from the shards' rings (each ring is FIFO, so the next result on a shard belongs to the next
 * command with a line there); it accepts an order whose every line was reserved and plans its
 * warehouses, rejects one whose any line failed and sends the held lines back; it cancels,
 * moves orders through their lifecycle (payment, fulfilment, exceptions, returns,
 * replacements), refunds, answers the reconciliation and every other command exactly once. At
 * a snapshot barrier, once every shard has built its part, it builds its own and queues the
 * snapshot's commit with the snapshot writer. It runs on one worker. */
#include <errno.h>
#include <mimalloc.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/hash.h"
#include "core/mem.h"
#include "stages/stages_internal.h"

/* The credit lines' map and open balances (none without credit.csv). */
static int credit_init(struct oc_route *r, const struct oc_screening *s)
{
	if (s->credit_count == 0)
		return 0;
	r->open_cents = mi_calloc(s->credit_count, sizeof(uint64_t));
	int rc = r->open_cents ? oc_u64map_init(&r->credit, s->credit_count) : -ENOMEM;
	for (uint32_t i = 0; i < s->credit_count && !rc; i++) {
		bool found;
		uint64_t customer = s->credit[i].customer;
		struct oc_u64map_entry *e =
			oc_u64map_upsert(&r->credit, customer, oc_hash_u64(customer), &found);
		OC_ASSERT(e && !found); /* the loader refuses a customer twice */
		e->value = i;
	}
	return rc;
}

int oc_route_init(struct oc_route *r, const struct oc_catalog *c, uint32_t shards,
		  uint32_t orders_max)
{
	const struct oc_dataset *d = c->data;
	r->catalog = c;
	r->shards = shards;
	snprintf(r->part.name, sizeof(r->part.name), "route");
	r->warehouses = d->warehouse_count;
	r->orders_max = orders_max;
	r->allocs_max = orders_max * OC_ALLOCS_PER_ORDER;
	r->alloc_count = 0;
	size_t cells = (size_t)d->sku_count * d->warehouse_count;
	r->free_cells = cells;
	r->free_units = oc_mem_table_alloc(cells * sizeof(uint32_t));
	r->on_hand = oc_mem_table_alloc(cells * sizeof(uint32_t));
	r->picked_units = oc_mem_table_alloc(cells * sizeof(uint32_t));
	r->orders = oc_mem_table_alloc((size_t)orders_max * sizeof(struct oc_order_rec));
	r->history_max = orders_max * OC_HISTORY_PER_ORDER;
	r->history = oc_mem_table_alloc((size_t)r->history_max * sizeof(struct oc_transition));
	r->allocs = oc_mem_table_alloc((size_t)r->allocs_max * sizeof(struct oc_alloc));
	r->leases = oc_mem_table_alloc((size_t)orders_max * sizeof(struct oc_lease));
	r->reviews = c->review_ttl_ms
			     ? oc_mem_table_alloc((size_t)orders_max * sizeof(struct oc_lease))
			     : NULL;
	r->links = oc_mem_table_alloc((size_t)orders_max * sizeof(uint32_t));
	r->channels = oc_mem_table_alloc(orders_max);
	r->counted_state = oc_mem_table_alloc(orders_max);
	r->placed_ms = oc_mem_table_alloc((size_t)orders_max * sizeof(uint64_t));
	r->waves = c->wave_orders_max ? mi_zalloc(d->warehouse_count * sizeof(struct oc_wave))
				      : NULL;
	r->taken = mi_calloc(shards, sizeof(uint32_t));
	r->released = mi_calloc(shards, sizeof(uint32_t));
	if (!r->free_units || !r->on_hand || !r->picked_units || !r->leases || !r->orders ||
	    !r->history || !r->allocs || !r->links || !r->channels || !r->taken || !r->released ||
	    !r->counted_state || !r->placed_ms ||
	    (c->review_ttl_ms && !r->reviews) || (c->wave_orders_max && !r->waves))
		return -ENOMEM;
	int rc = oc_backorders_init(r, d->sku_count);
	rc = rc ? rc : c->customer_index ? oc_u64map_init(&r->customers, orders_max) : 0;
	rc = rc ? rc : credit_init(r, c->screening);
	if (rc)
		return rc;
	memcpy(r->free_units, d->on_hand, cells * sizeof(uint32_t));
	memcpy(r->on_hand, d->on_hand, cells * sizeof(uint32_t));
	atomic_init(&r->done_seq, 0);
	return 0;
}

void oc_route_destroy(struct oc_route *r)
{
	oc_mem_table_free(r->free_units, r->free_cells * sizeof(uint32_t));
	oc_mem_table_free(r->on_hand, r->free_cells * sizeof(uint32_t));
	oc_mem_table_free(r->picked_units, r->free_cells * sizeof(uint32_t));
	oc_mem_table_free(r->orders, (size_t)r->orders_max * sizeof(struct oc_order_rec));
	oc_mem_table_free(r->history, (size_t)r->history_max * sizeof(struct oc_transition));
	oc_u64map_destroy(&r->customers);
	oc_u64map_destroy(&r->credit);
	mi_free(r->open_cents);
	r->open_cents = NULL;
	oc_mem_table_free(r->allocs, (size_t)r->allocs_max * sizeof(struct oc_alloc));
	oc_mem_table_free(r->leases, (size_t)r->orders_max * sizeof(struct oc_lease));
	if (r->reviews)
		oc_mem_table_free(r->reviews, (size_t)r->orders_max * sizeof(struct oc_lease));
	r->reviews = NULL;
	oc_mem_table_free(r->links, (size_t)r->orders_max * sizeof(uint32_t));
	oc_mem_table_free(r->channels, r->orders_max);
	r->channels = NULL;
	oc_mem_table_free(r->counted_state, r->orders_max);
	r->counted_state = NULL;
	oc_mem_table_free(r->placed_ms, (size_t)r->orders_max * sizeof(uint64_t));
	r->placed_ms = NULL;
	mi_free(r->taken);
	mi_free(r->released);
	mi_free(r->waves);
	r->waves = NULL;
	oc_backorders_destroy(r);
	oc_snap_buf_free(&r->part.buf);
	r->free_units = NULL;
	r->on_hand = NULL;
	r->picked_units = NULL;
	r->orders = NULL;
	r->history = NULL;
	r->allocs = NULL;
	r->leases = NULL;
	r->links = NULL;
}

/* Queues a release for the SKU's shard (flags: OC_RELEASE_*); the caller made sure there is
 * room. */
static void release_units(struct oc_route *r, uint64_t cause_seq, uint64_t customer,
			  uint32_t sku, uint32_t quantity, uint32_t flags)
{
	uint32_t place = r->catalog->place[sku];
	uint32_t s = OC_PLACE_SHARD(place);
	struct oc_release_msg *m = oc_ring_spsc_write_slot(&r->release[s], r->released[s]++);
	*m = (struct oc_release_msg){cause_seq, customer, OC_PLACE_LOCAL(place), quantity, flags,
				     0};
}

static void release_line(struct oc_route *r, uint64_t cause_seq, uint64_t customer,
			 uint32_t sku, uint32_t quantity)
{
	release_units(r, cause_seq, customer, sku, quantity, 0);
}

/* True when each shard's release ring has room for the releases of these SKUs (global
 * indices; quantity 0 means no release). When one has not, the turn ends and the shard is
 * woken: it frees the room once the stream has moved past the releases' lag
 * (docs/architecture.md, no deadlock, point 4). */
static bool release_room(struct oc_route *r, const struct oc_plan_line *lines, uint32_t count)
{
	uint32_t need[OC_LIMIT_SHARDS_MAX];
	for (uint32_t i = 0; i < count; i++)
		need[OC_PLACE_SHARD(r->catalog->place[lines[i].sku])] = 0;
	for (uint32_t i = 0; i < count; i++)
		need[OC_PLACE_SHARD(r->catalog->place[lines[i].sku])] += lines[i].quantity != 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t s = OC_PLACE_SHARD(r->catalog->place[lines[i].sku]);
		uint32_t want = r->released[s] + need[s];
		if (oc_ring_spsc_writable(&r->release[s], want) < want) {
			oc_worker_wake(r->wake_shard[s]);
			return false;
		}
	}
	return true;
}

/* True when the shards have answered every line of om. */
static bool results_ready(struct oc_route *r, const struct oc_order_msg *om)
{
	uint32_t need[OC_LIMIT_SHARDS_MAX];
	for (uint32_t i = 0; i < om->line_count; i++)
		need[om->shard[i]] = r->taken[om->shard[i]];
	for (uint32_t i = 0; i < om->line_count; i++)
		need[om->shard[i]]++;
	for (uint32_t i = 0; i < om->line_count; i++) {
		uint32_t s = om->shard[i];
		if (oc_ring_spsc_readable(&r->result[s], need[s]) < need[s])
			return false;
	}
	return true;
}

static void answer(struct oc_response *a, const struct oc_order_msg *om, uint8_t status,
		   uint8_t reason)
{
	*a = (struct oc_response){.seq = om->seq, .key = om->key, .original_seq = om->seq,
				  .customer = om->customer, .ts_ms = oc_order_msg_ts_ms(om),
				  .type = om->type, .status = status, .reason = reason};
}

/* The figures of a channel (an answer's OC_RESPONSE_CHANNEL, an order's channels[]); past the
 * last, those of none. */
static struct oc_analytics_figures *channel_figures(struct oc_route *r, unsigned channel)
{
	return &r->by_channel[channel < OC_CHANNEL_COUNT ? channel : OC_CHANNEL_NONE];
}

/* The live figures of an order's transition (type: the command's) to the state it is in now:
 * orders by state, and per channel what the analytics count from the events
 * (net/analytics.c), so that the two agree; rejected places are counted from their answers
 * (route_one), since those validate refuses never get a record. */
static void count_transition(struct oc_route *r, uint32_t index, uint64_t ts_ms, uint8_t type)
{
	struct oc_order_rec *rec = &r->orders[index];
	if (rec->type != OC_CMD_PLACE) /* an RMA */
		return;
	uint8_t was = r->counted_state[index];
	r->in_state[was]--; /* [0] counts nothing */
	r->in_state[rec->state]++;
	r->counted_state[index] = rec->state;
	struct oc_analytics_figures *f = channel_figures(r, r->channels[index]);
	if (was == OC_STATE_NONE) { /* its place */
		if (rec->state == OC_STATE_REJECTED)
			return; /* counted from its answer (route_one) */
		f->placed++;
		r->placed_ms[index] = ts_ms ? ts_ms : 1; /* 0 means "not seen" */
		if (rec->state == OC_STATE_ON_HOLD) {
			f->held++;
			f->held_by[rec->reason < OC_REJECT_REASON_COUNT ? rec->reason : 0]++;
		}
	} else if (type == OC_CMD_PICK_CONFIRMED) {
		f->picks++;
	} else if (type == OC_CMD_PICK_SHORT) {
		f->short_picks++;
	} else if (type == OC_CMD_PACK_CONFIRMED) {
		bool failed = rec->state == OC_STATE_PICKED; /* the check failed: to pack again */
		f->packs += !failed;
		f->qc_failures += failed;
	} else if (type == OC_CMD_SHIPPED) {
		f->shipped++;
		uint64_t placed = r->placed_ms[index];
		if (!placed) {
			r->untimed++;
			return;
		}
		uint64_t ms = ts_ms > placed ? ts_ms - placed : 0;
		f->cycle[oc_analytics_cycle_bucket(ms)]++;
		f->cycle_ms_sum += ms;
		f->timed++;
	}
}

/* Appends a transition of order `index` to the history ring (the oldest is overwritten once
 * it is full; a chain that reaches it ends there), and counts it in the live figures. */
void oc_route_transition(struct oc_route *r, uint32_t index, uint64_t seq, uint64_t ts_ms,
			 uint8_t type)
{
	struct oc_order_rec *rec = &r->orders[index];
	count_transition(r, index, ts_ms, type);
	uint32_t at = r->history_next;
	r->history[at] = (struct oc_transition){seq, index, rec->history_last, (uint32_t)ts_ms,
						(uint16_t)(ts_ms >> 32), type, rec->state};
	rec->history_last = at;
	r->history_next = at + 1 == r->history_max ? 0 : at + 1;
	r->history_wrapped |= r->history_next == 0;
}

/* Records that the command om moved order `index` to the state it is in now. */
static void transition(struct oc_route *r, uint32_t index, const struct oc_order_msg *om)
{
	oc_route_transition(r, index, om->seq, oc_order_msg_ts_ms(om), om->type);
}

/* Whether a card order's authorization was asked for: at placing, or at the approval of a
 * hold (docs/lifecycle.md, "Fraud and review"). */
static bool card_asked(const struct oc_order_rec *rec)
{
	return (rec->flags & OC_REC_CARD) &&
	       (rec->placed_state != OC_STATE_ON_HOLD || (rec->flags & OC_REC_APPROVED));
}

/* The payment state of an order (enum oc_payment_state; docs/lifecycle.md, "Money"). */
static uint8_t payment_of(const struct oc_order_rec *rec)
{
	bool card = rec->flags & OC_REC_CARD;
	if (rec->type != OC_CMD_PLACE || rec->state == OC_STATE_REJECTED ||
	    (card && !card_asked(rec))) /* held, not (yet) approved: no money moved */
		return OC_PAYMENT_NONE;
	if (rec->flags & OC_REC_ACCOUNT) {
		if (rec->refunded_cents || rec->state == OC_STATE_REFUNDED)
			return OC_PAYMENT_REFUNDED;
		return rec->flags & OC_REC_PAID          ? OC_PAYMENT_PAID
		       : rec->state == OC_STATE_CANCELLED ? OC_PAYMENT_VOIDED
							   : OC_PAYMENT_ON_ACCOUNT;
	}
	if (rec->refunded_cents || rec->state == OC_STATE_REFUNDED ||
	    (!card && rec->state == OC_STATE_CANCELLED))
		return OC_PAYMENT_REFUNDED;
	if (!card)
		return OC_PAYMENT_PREPAID;
	switch (rec->state) {
	case OC_STATE_PAYMENT_PENDING: return OC_PAYMENT_PENDING;
	case OC_STATE_CANCELLED: return OC_PAYMENT_VOIDED;
	case OC_STATE_SHIPPED:
	case OC_STATE_DELIVERED:
	case OC_STATE_EXCEPTION:
	case OC_STATE_RETURN_REQUESTED:
	case OC_STATE_RETURNED: return OC_PAYMENT_CAPTURED;
	default: return OC_PAYMENT_AUTHORIZED;
	}
}

/* Moves the open balance of the customer of an order on account by delta cents (what the
 * order owes changed: placed, cancelled, refunded, cut, paid); nothing for another order, or
 * once it is paid (docs/lifecycle.md, "Credit"). */
static void owe(struct oc_route *r, const struct oc_order_rec *rec, int64_t delta)
{
	if (!(rec->flags & OC_REC_ACCOUNT) || (rec->flags & OC_REC_PAID) || delta == 0)
		return;
	const struct oc_u64map_entry *e =
		oc_u64map_find(&r->credit, rec->customer, oc_hash_u64(rec->customer));
	OC_ASSERT(e != NULL); /* accepted on account: it has a credit line */
	r->open_cents[e->value] += (uint64_t)delta;
}

/* Why an order on account of amount cents may not be accepted: credit_limit when the
 * customer has no credit line, or not enough of it left; OC_REJECT_NONE when it may. */
static uint8_t credit_refusal(const struct oc_route *r, uint64_t customer, uint64_t amount)
{
	const struct oc_u64map_entry *e =
		r->open_cents ? oc_u64map_find(&r->credit, customer, oc_hash_u64(customer)) : NULL;
	if (!e)
		return OC_REJECT_CREDIT_LIMIT;
	uint64_t limit = r->catalog->screening->credit[e->value].limit_cents;
	return r->open_cents[e->value] + amount > limit ? OC_REJECT_CREDIT_LIMIT : OC_REJECT_NONE;
}

/* Fills what an answer says about a record as it is now: its first sequence number and
 * customer; an order's warehouses, state and money (an accepted answer's reason backordered
 * while it has backordered lines, unless the order has a reason of its own: a hold's rule); a
 * stock change's warehouse; a refund's amount, the order's refunded total after it and the
 * order's state it answered; an RMA's state, value and the warehouses its units go back to;
 * a short pick's value cut, units backordered, the order's state it answered and its
 * warehouses after. */
static void describe(const struct oc_route *r, uint32_t index, struct oc_response *a)
{
	const struct oc_order_rec *rec = &r->orders[index];
	a->original_seq = rec->seq;
	a->customer = rec->customer;
	a->shipments = rec->shipments;
	a->warehouse = rec->warehouse;
	a->amount_cents = rec->amount_cents;
	a->refunded_cents = rec->refunded_cents;
	if (rec->type == OC_CMD_PLACE) {
		a->state = rec->state;
		a->payment = payment_of(rec);
		a->flags |= (uint8_t)(r->channels[index] << OC_RESPONSE_CHANNEL_SHIFT);
		if (a->status == OC_STATUS_ACCEPTED && rec->reason == OC_REJECT_NONE &&
		    oc_backorders_has(r, index))
			a->reason = OC_REJECT_BACKORDERED; /* not a refusal: lines wait for stock */
	} else if (rec->type == OC_CMD_REFUND) {
		a->state = rec->answered_state;
		a->payment = rec->state == OC_STATE_ACCEPTED ? OC_PAYMENT_REFUNDED : OC_PAYMENT_NONE;
	} else if (rec->type == OC_CMD_PICK_SHORT) { /* alloc_first: its order */
		a->state = rec->answered_state;
		if (rec->reason != OC_REJECT_UNKNOWN_ORDER)
			a->flags |= (uint8_t)(r->channels[rec->alloc_first] << OC_RESPONSE_CHANNEL_SHIFT);
	} else if (rec->type == OC_CMD_RETURN_REQUESTED) {
		a->state = rec->state;
	}
}

/* Records the warehouses of the allocations [first, first + n) in rec: how many, the first. */
static void ship_from(const struct oc_route *r, struct oc_order_rec *rec, uint32_t first,
		      uint32_t n)
{
	rec->alloc_first = first;
	rec->alloc_count = (uint16_t)n;
	rec->shipments = (uint8_t)__builtin_popcountll(oc_alloc_warehouses(&r->allocs[first], n));
	rec->warehouse = n ? r->allocs[first].warehouse : 0;
}

/* The warehouses an order's allocations hold units at, a bit each. */
static uint64_t warehouses_of(const struct oc_route *r, const struct oc_order_rec *rec)
{
	return oc_alloc_warehouses(&r->allocs[rec->alloc_first], rec->alloc_count);
}

/* Order `index` is allocated now: with waves, it joins those of its warehouses (waves.c). */
static void allocated(struct oc_route *r, uint32_t index)
{
	r->orders[index].state = OC_STATE_ALLOCATED;
	if (r->waves)
		oc_waves_join(r, index, warehouses_of(r, &r->orders[index]));
}

/* Starts a card order's payment lease: it waits in payment_pending until the clock (at this
 * command: see route_one) passes lease_ttl_ms. */
static void start_lease(struct oc_route *r, uint32_t index)
{
	r->leases[r->lease_tail++] = (struct oc_lease){r->clock_ms + r->catalog->lease_ttl_ms,
						       r->orders[index].key, index, 0};
}

/* Takes the planned allocations and answers the order accepted, for amount_cents: allocated
 * when prepaid, payment_pending (its lease started) when paid by card, on_hold (the answer's
 * reason: the rule) when screening held it. */
static void accept(struct oc_route *r, const struct oc_order_msg *om, const struct oc_alloc *plan,
		   uint32_t n, uint64_t amount_cents, struct oc_order_rec *rec,
		   struct oc_response *a)
{
	for (uint32_t i = 0; i < n; i++) {
		r->free_units[(size_t)plan[i].sku * r->warehouses + plan[i].warehouse] -=
			plan[i].quantity;
		r->allocs[r->alloc_count + i] = plan[i];
	}
	rec->amount_cents = amount_cents;
	ship_from(r, rec, r->alloc_count, n);
	r->alloc_count += n;
	bool card = om->flags & OC_ORDER_CARD, held = om->flags & OC_ORDER_HOLD;
	rec->flags = card ? OC_REC_CARD : om->flags & OC_ORDER_ACCOUNT ? OC_REC_ACCOUNT : 0;
	rec->region = om->region;
	uint8_t days = om->flags & OC_ORDER_REPLACEMENT ? OC_REC_DAYS(r->orders[om->target].flags)
							: om->place.days;
	rec->flags |= (uint8_t)(days << OC_REC_DAYS_SHIFT);
	owe(r, rec, (int64_t)amount_cents);
	rec->state = rec->placed_state = held   ? OC_STATE_ON_HOLD
					 : card ? OC_STATE_PAYMENT_PENDING
						: OC_STATE_ALLOCATED;
	if (held) {
		rec->reason = om->place.rule;
		r->holds++;
		r->held[om->place.rule]++;
		if (r->reviews) /* one TTL, a clock that never goes back: deadlines in order */
			r->reviews[r->review_tail++] = (struct oc_lease){
				r->clock_ms + r->catalog->review_ttl_ms, om->key, om->order_index, 0};
	} else if (card) {
		start_lease(r, om->order_index);
	} else {
		allocated(r, om->order_index);
	}
	r->accepted++;
	r->split_orders += rec->shipments > 1;
	answer(a, om, OC_STATUS_ACCEPTED, rec->reason);
	describe(r, om->order_index, a);
}

/* The record linked with record i (docs/lifecycle.md, "Exceptions and returns"), OC_NONE when
 * none. links holds index + 1, so that its zeroed pages mean "none" without a write per
 * order. */
static uint32_t link_of(const struct oc_route *r, uint32_t i)
{
	return r->links[i] - 1; /* 0 - 1 == OC_NONE */
}

static void link(struct oc_route *r, uint32_t i, uint32_t to)
{
	r->links[i] = to + 1;
}

/* Whether order i replaces another (its link goes back to an older order; once it is replaced
 * in turn, its link goes to the newer one, but by then it has shipped and gives nothing back).
 * A replacement's lines took no purchase counter (validate sends them with
 * OC_LINE_REPLACEMENT), so its give-backs leave the counters alone. */
static bool is_replacement(const struct oc_route *r, uint32_t i)
{
	uint32_t to = link_of(r, i);
	return to != OC_NONE && to < i && r->orders[i].type == OC_CMD_PLACE;
}

/* Writes the record of the new order, stock change, refund or RMA om (state and the rest are the
 * caller's); an order joins its customer's chain. */
static struct oc_order_rec *new_record(struct oc_route *r, const struct oc_order_msg *om)
{
	struct oc_order_rec *rec = &r->orders[om->order_index];
	*rec = (struct oc_order_rec){.seq = om->seq, .customer = om->customer, .key = om->key,
				     .history_last = OC_NONE, .customer_prev = OC_NONE,
				     .type = om->type};
	r->orders_seen = om->order_index + 1;
	if (om->type == OC_CMD_PLACE && r->catalog->customer_index) {
		bool found;
		struct oc_u64map_entry *e = oc_u64map_upsert(&r->customers, om->customer,
							     oc_hash_u64(om->customer), &found);
		OC_ASSERT(e != NULL); /* sized for orders_max: one customer per order at most */
		rec->customer_prev = found ? e->value : OC_NONE;
		e->value = om->order_index;
	}
	return rec;
}

/* Why a replacement may not replace its order (docs/lifecycle.md, "Exceptions and returns"):
 * another customer's, or not an order: unknown_order; not in exception or returned, or
 * replaced before: invalid_state (a replacement may itself be replaced: its link goes back to
 * its original, not on to a newer order). */
static uint8_t replacement_refusal(const struct oc_route *r, const struct oc_order_msg *om)
{
	const struct oc_order_rec *orig = &r->orders[om->target];
	if (orig->customer != om->customer || orig->type != OC_CMD_PLACE)
		return OC_REJECT_UNKNOWN_ORDER;
	uint32_t replaced_by = link_of(r, om->target);
	if ((orig->state != OC_STATE_EXCEPTION && orig->state != OC_STATE_RETURNED) ||
	    (replaced_by != OC_NONE && replaced_by > om->target))
		return OC_REJECT_INVALID_STATE;
	return OC_REJECT_NONE;
}

/* A new order: gathers its line results, plans it, and accepts it; or rejects it and gives
 * back the lines that were held. A replacement is free and linked with the order it
 * replaces. False, having consumed nothing, when those releases do not fit now. */
static bool place(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	struct oc_plan_line lines[OC_ORDER_LINES_MAX];
	uint8_t reason = OC_REJECT_NONE;
	uint64_t amount = 0; /* < 2^52: 16 lines x 65535 units x 2^32 cents */
	for (uint32_t i = 0; i < om->line_count; i++) {
		uint32_t s = om->shard[i];
		const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
		OC_ASSERT_EQ(res->seq, om->seq);
		lines[i] = (struct oc_plan_line){res->sku, res->reason ? 0 : res->quantity};
		amount += (uint64_t)res->quantity * res->price_cents;
		if (res->reason && !reason)
			reason = res->reason;
	}
	bool replacement = om->flags & OC_ORDER_REPLACEMENT;
	if (om->flags & OC_ORDER_SCREENED_OUT) /* no lines: nothing was held */
		reason = om->place.rule;
	if (!reason && replacement)
		reason = replacement_refusal(r, om);
	if (!reason && (om->flags & OC_ORDER_ACCOUNT))
		reason = credit_refusal(r, om->customer, amount);
	struct oc_alloc plan[OC_PLAN_ALLOCS_MAX];
	uint32_t n = 0;
	if (!reason) {
		const struct oc_region_rec *region = &r->catalog->data->regions[om->region];
		n = oc_route_plan(r->free_units, r->warehouses, region->warehouse_order, lines,
				  om->line_count, plan);
		if (n > OC_LIMIT_ORDER_ALLOCS_MAX || r->allocs_max - r->alloc_count < n)
			reason = OC_REJECT_CAPACITY;
	}
	if (reason && !release_room(r, lines, om->line_count)) {
		for (uint32_t i = 0; i < om->line_count; i++)
			r->taken[om->shard[i]]--; /* gathered again next turn */
		return false;
	}
	struct oc_order_rec *rec = new_record(r, om);
	r->channels[om->order_index] = replacement ? r->channels[om->target] : om->place.channel;
	if (!reason && replacement) {
		link(r, om->target, om->order_index);
		link(r, om->order_index, om->target);
		r->replacements++;
		accept(r, om, plan, n, 0, rec, a);
	} else if (!reason) {
		accept(r, om, plan, n, amount, rec, a);
	} else {
		for (uint32_t i = 0; i < om->line_count; i++)
			if (lines[i].quantity)
				release_line(r, om->seq, replacement ? 0 : om->customer, lines[i].sku,
					     lines[i].quantity);
		rec->state = rec->placed_state = OC_STATE_REJECTED;
		rec->reason = reason;
		answer(a, om, OC_STATUS_REJECTED, reason);
		a->state = OC_STATE_REJECTED;
		a->flags = (uint8_t)(r->channels[om->order_index] << OC_RESPONSE_CHANNEL_SHIFT);
	}
	transition(r, om->order_index, om);
	return true;
}

/* The answer's status for an order (or stock change) in this state. */
static uint8_t status_of(uint8_t state)
{
	return state == OC_STATE_REJECTED    ? OC_STATUS_REJECTED
	       : state == OC_STATE_CANCELLED ? OC_STATUS_CANCELLED
					     : OC_STATUS_ACCEPTED;
}

static void duplicate(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	const struct oc_order_rec *rec = &r->orders[om->order_index];
	if (rec->customer != om->customer || rec->type != om->type) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_KEY_CONFLICT);
		return;
	}
	r->duplicates++;
	answer(a, om, status_of(rec->placed_state), rec->reason);
	describe(r, om->order_index, a);
	a->flags |= OC_RESPONSE_DUPLICATE;
	if (rec->type == OC_CMD_PLACE) { /* as placed (an RMA: as opened) */
		a->state = rec->placed_state;
		a->reason = rec->reason; /* not backordered: that came after */
		bool card = rec->flags & OC_REC_CARD;
		a->payment = rec->placed_state == OC_STATE_REJECTED ||
				     (card && rec->placed_state == OC_STATE_ON_HOLD)
			     ? OC_PAYMENT_NONE /* nothing asked of the card yet */
			     : card                         ? OC_PAYMENT_PENDING
			     : rec->flags & OC_REC_ACCOUNT ? OC_PAYMENT_ON_ACCOUNT
							    : OC_PAYMENT_PREPAID;
		a->refunded_cents = 0;
	} else if (rec->type == OC_CMD_RETURN_REQUESTED) {
		a->state = rec->placed_state;
	}
}

/* Adds sign x each of a record's allocations to the warehouses' counts in `cells`: picked
 * units (a pick, a cancel after it, a shipment), on hand (a shipment, a restocked return),
 * free units (a cancel, a restocked return). */
static void count_allocs(struct oc_route *r, const struct oc_order_rec *rec, uint32_t *cells,
			 int sign)
{
	for (uint32_t i = 0; i < rec->alloc_count; i++) {
		const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
		cells[(size_t)al->sku * r->warehouses + al->warehouse] += (uint32_t)sign * al->quantity;
	}
}

/* True when the release rings have room for a release per allocation and per backordered
 * line of rec (release_room). */
static bool release_room_for(struct oc_route *r, const struct oc_order_rec *rec)
{
	struct oc_plan_line gives[OC_LIMIT_ORDER_ALLOCS_MAX];
	/* An order has at most this many allocations and backorders together (place, short
	 * pick, fill_backorders); an RMA at most its order's allocations (its SKUs are distinct,
	 * each taking from that SKU's allocations of the order). */
	uint32_t index = (uint32_t)(rec - r->orders);
	OC_ASSERT(rec->alloc_count + oc_backorders_count(r, index) <= OC_LIMIT_ORDER_ALLOCS_MAX);
	for (uint32_t i = 0; i < rec->alloc_count; i++) {
		const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
		gives[i] = (struct oc_plan_line){al->sku, al->quantity};
	}
	uint32_t n = rec->alloc_count + oc_backorders_lines(r, index, gives + rec->alloc_count);
	return release_room(r, gives, n);
}

/* Queues a release per allocation of rec (the caller made room): the units go back on sale in
 * the shards after the release lag, out of `customer`'s purchase counters (0: none). */
static void release_allocs(struct oc_route *r, uint64_t cause_seq, const struct oc_order_rec *rec,
			   uint64_t customer)
{
	for (uint32_t i = 0; i < rec->alloc_count; i++) {
		const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
		release_line(r, cause_seq, customer, al->sku, al->quantity);
	}
}

/* Gives an order's allocations back (free again in route at once, in the shards after the
 * release lag), and the purchase counters of its backordered lines, and marks it cancelled;
 * false, having changed nothing, when the releases do not fit now. */
static bool give_back(struct oc_route *r, uint64_t cause_seq, struct oc_order_rec *rec)
{
	if (!release_room_for(r, rec))
		return false;
	if (rec->state == OC_STATE_PICKED || rec->state == OC_STATE_PACKED)
		count_allocs(r, rec, r->picked_units, -1);
	count_allocs(r, rec, r->free_units, 1);
	uint32_t index = (uint32_t)(rec - r->orders);
	uint64_t customer = is_replacement(r, index) ? 0 : rec->customer;
	release_allocs(r, cause_seq, rec, customer);
	struct oc_plan_line waiting[OC_LIMIT_ORDER_ALLOCS_MAX];
	uint32_t n = customer ? oc_backorders_lines(r, index, waiting) : 0;
	for (uint32_t i = 0; i < n; i++) /* their units never came: the counter alone */
		release_units(r, cause_seq, customer, waiting[i].sku, waiting[i].quantity,
			      OC_RELEASE_COUNTER_ONLY);
	oc_backorders_drop(r, index);
	rec->state = OC_STATE_CANCELLED;
	rec->waves_pending = 0; /* its waves leave it out when they are released */
	r->cancelled++;
	return true;
}

/* Cancels an order (a cancel, a review's rejection): gives its allocations back; a prepaid
 * order's money goes back too (a card's authorization is void: payment_of). False, having
 * changed nothing, when the releases do not fit now. */
static bool cancel_order(struct oc_route *r, uint64_t cause_seq, struct oc_order_rec *rec)
{
	if (!give_back(r, cause_seq, rec))
		return false;
	owe(r, rec, -(int64_t)(rec->amount_cents - rec->refunded_cents));
	if (!(rec->flags & (OC_REC_CARD | OC_REC_ACCOUNT)) || (rec->flags & OC_REC_PAID))
		rec->refunded_cents = rec->amount_cents;
	return true;
}

/* Cancels an RMA whose goods have not come back (the customer keeps them): the RMA is
 * cancelled and its order goes back to where it was (delivered, or exception: its kind is
 * kept), where another RMA may come. Received or refused: not_cancellable. */
static void cancel_return(struct oc_route *r, const struct oc_order_msg *om,
			  struct oc_order_rec *rma, struct oc_response *a)
{
	if (rma->state != OC_STATE_RETURN_REQUESTED) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
		return;
	}
	uint32_t index = link_of(r, om->order_index);
	struct oc_order_rec *order = &r->orders[index];
	rma->state = OC_STATE_CANCELLED;
	order->state = order->detail ? OC_STATE_EXCEPTION : OC_STATE_DELIVERED;
	transition(r, index, om);
	answer(a, om, OC_STATUS_CANCELLED, OC_REJECT_NONE);
	describe(r, om->order_index, a);
}

/* Cancels an order not yet shipped (or an RMA not yet received); false, having changed
 * nothing, when its releases do not fit. */
static bool cancel(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	struct oc_order_rec *rec = &r->orders[om->order_index];
	if (rec->customer != om->customer) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
		return true;
	}
	if (rec->type == OC_CMD_RETURN_REQUESTED) {
		cancel_return(r, om, rec, a);
		return true;
	}
	bool cancellable = rec->state == OC_STATE_ON_HOLD || rec->state == OC_STATE_PAYMENT_PENDING ||
			   rec->state == OC_STATE_ALLOCATED || rec->state == OC_STATE_RELEASED ||
			   rec->state == OC_STATE_PICKED || rec->state == OC_STATE_PACKED;
	if (!cancellable || rec->type != OC_CMD_PLACE) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
		return true;
	}
	if (!cancel_order(r, om->seq, rec))
		return false;
	transition(r, om->order_index, om);
	answer(a, om, OC_STATUS_CANCELLED, OC_REJECT_NONE);
	describe(r, om->order_index, a);
	return true;
}

/* The order a step names by its key and customer (like a cancel), or NULL, having answered
 * unknown_order: another customer's, or a stock change's or a refund's record. */
static struct oc_order_rec *step_order(struct oc_route *r, const struct oc_order_msg *om,
				       struct oc_response *a)
{
	struct oc_order_rec *rec = &r->orders[om->order_index];
	if (rec->customer == om->customer && rec->type == OC_CMD_PLACE)
		return rec;
	answer(a, om, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	return NULL;
}

/* The payment provider's answer for a card order (docs/lifecycle.md): authorized moves it
 * from payment_pending to allocated, declined cancels it (its stock goes back). Done before
 * (authorized: the order went on from allocated; declined: it is cancelled), accepted and
 * DUPLICATE; a prepaid order, a card order whose authorization was never asked (held, not
 * approved), or any other state, invalid_state. False, having changed
 * nothing, when a decline's releases do not fit now. */
static bool payment_step(struct oc_route *r, const struct oc_order_msg *om,
			 struct oc_response *a)
{
	struct oc_order_rec *rec = step_order(r, om, a);
	if (!rec)
		return true;
	bool authorize = om->type == OC_CMD_PAYMENT_AUTHORIZED;
	bool done = authorize ? rec->state >= OC_STATE_ALLOCATED && rec->state != OC_STATE_CANCELLED
			      : rec->state == OC_STATE_CANCELLED;
	if (!card_asked(rec) || (rec->state != OC_STATE_PAYMENT_PENDING && !done)) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else if (done) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->flags = OC_RESPONSE_DUPLICATE;
	} else {
		if (authorize)
			allocated(r, om->order_index);
		else if (!give_back(r, om->seq, rec))
			return false;
		transition(r, om->order_index, om);
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
	return true;
}

/* A review of an order screening held (docs/lifecycle.md, "Fraud and review"): approve moves
 * it from on_hold to allocated, or to payment_pending when paid by card (its lease starts
 * now); reject cancels it as a cancel would. Done before, accepted and DUPLICATE; an order
 * never held, or held and cancelled otherwise, invalid_state. False, having changed nothing,
 * when a rejection's releases do not fit now. */
static bool review(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	struct oc_order_rec *rec = step_order(r, om, a);
	if (!rec)
		return true;
	bool approve = om->type == OC_CMD_REVIEW_APPROVE;
	uint8_t mark = approve ? OC_REC_APPROVED : OC_REC_REVIEW_REJECTED;
	if (rec->flags & mark) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->flags = OC_RESPONSE_DUPLICATE;
	} else if (rec->state != OC_STATE_ON_HOLD) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else {
		if (approve && (rec->flags & OC_REC_CARD)) {
			rec->state = OC_STATE_PAYMENT_PENDING;
			start_lease(r, om->order_index);
		} else if (approve) {
			allocated(r, om->order_index);
		} else if (!cancel_order(r, om->seq, rec)) {
			return false;
		}
		rec->flags |= mark;
		r->reviews_approved += approve;
		r->reviews_rejected += !approve;
		transition(r, om->order_index, om);
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
	return true;
}

/* The payment of an order on account (docs/lifecycle.md, "Credit"): what it still owes leaves
 * the customer's open balance; the order's state does not change (the payment is a
 * transition of its own in the history). Paid before: accepted and DUPLICATE; not on account,
 * rejected or cancelled: invalid_state. */
static void payment_received(struct oc_route *r, const struct oc_order_msg *om,
			     struct oc_response *a)
{
	struct oc_order_rec *rec = step_order(r, om, a);
	if (!rec)
		return;
	if (rec->flags & OC_REC_PAID) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->flags = OC_RESPONSE_DUPLICATE;
	} else if (!(rec->flags & OC_REC_ACCOUNT) || rec->state == OC_STATE_CANCELLED) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else {
		owe(r, rec, -(int64_t)(rec->amount_cents - rec->refunded_cents));
		rec->flags |= OC_REC_PAID;
		r->payments_received++;
		transition(r, om->order_index, om);
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
}

/* Whether fulfilment step `type` (or a delivery exception) was done for the order: it is in
 * the step's state or one after it (a retry is then a duplicate). After shipment the path
 * forks, delivered or exception (rec->detail: the exception's kind, 0: none), and the states
 * after either (a return, a refund) keep the step done. */
static bool step_done(const struct oc_order_rec *rec, uint8_t type)
{
	static const uint8_t rank[OC_STATE_COUNT] = {
		[OC_STATE_ALLOCATED] = 1, [OC_STATE_RELEASED] = 1,        [OC_STATE_PICKED] = 2,
		[OC_STATE_PACKED] = 3,    [OC_STATE_SHIPPED] = 4,         [OC_STATE_DELIVERED] = 5,
		[OC_STATE_EXCEPTION] = 5, [OC_STATE_RETURN_REQUESTED] = 6, [OC_STATE_RETURNED] = 6,
		[OC_STATE_REFUNDED] = 6};
	uint8_t at = rank[rec->state];
	switch (type) {
	case OC_CMD_PICK_CONFIRMED: return at >= 2;
	case OC_CMD_PACK_CONFIRMED: return at >= 3;
	case OC_CMD_SHIPPED: return at >= 4;
	case OC_CMD_DELIVERED: return at >= 5 && rec->detail == 0;
	default: return at >= 5 && rec->detail != 0; /* the exception */
	}
}

/* A pack that failed its quality check: from picked, the order stays picked (to be packed
 * again), a transition of its own in the history; from any other state invalid_state (a
 * packed order's pack is done: a failed check is not its retry). */
static void qc_failed(struct oc_route *r, const struct oc_order_msg *om,
		      const struct oc_order_rec *rec, struct oc_response *a)
{
	if (rec->state != OC_STATE_PICKED) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else {
		r->qc_failures++;
		transition(r, om->order_index, om);
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
}

/* Labels the parcels of a pack: each allocation keeps its parcel's service. Counted in the
 * channel's figures as the documents count them: a label a parcel, a slip line an allocation
 * with units. */
static void label(struct oc_route *r, const struct oc_order_rec *rec,
		  const struct oc_parcel *parcels, uint32_t count)
{
	struct oc_analytics_figures *f = channel_figures(r, r->channels[rec - r->orders]);
	for (uint32_t k = 0; k < count; k++) {
		for (uint32_t i = 0; i < rec->alloc_count; i++) {
			struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
			if (al->warehouse != parcels[k].warehouse)
				continue;
			al->service = (uint8_t)(parcels[k].rate.service + 1);
			f->packed_lines += al->quantity != 0;
		}
		r->labels++;
		r->label_cents += parcels[k].rate.cost_cents;
		f->labels++;
		f->carrier_cents += parcels[k].rate.cost_cents;
	}
}

/* Writes a pack's or a shipment's documents (docs/lifecycle.md, "Documents") at r->outs, from
 * the answer *a, which then moves after them. */
static void write_documents(struct oc_route *r, const struct oc_order_rec *rec,
			    const struct oc_parcel *parcels, uint32_t count,
			    struct oc_response **a)
{
	struct oc_response rows[OC_DOC_ROWS_MAX];
	const struct oc_alloc *allocs = &r->allocs[rec->alloc_first];
	uint32_t n = (*a)->type == OC_CMD_PACK_CONFIRMED
			     ? oc_documents_pack(r->catalog, allocs, rec->alloc_count, parcels,
						 count, *a, rows)
			     : oc_documents_invoice(r->catalog, allocs, rec->alloc_count, *a, rows);
	struct oc_response answered = **a;
	for (uint32_t i = 0; i < n; i++)
		*(struct oc_response *)oc_ring_spsc_write_slot(r->out, r->outs++) = rows[i];
	*a = oc_ring_spsc_write_slot(r->out, r->outs);
	**a = answered;
}

/* A fulfilment step or a delivery exception (docs/lifecycle.md): moves the order from the one
 * state the command allows to the next; repeated once done, answers accepted and DUPLICATE;
 * from any other state refused invalid_state (a pick of an order with backordered lines:
 * backordered). Picking counts the order's units as picked in
 * their warehouses; shipping takes them out of the picked and the on-hand counts (they were
 * allocated, so the free counts do not change); an exception keeps its kind. With carriers, a
 * pack shops its parcels' services (none: refused no_carrier) and a pack or a shipment writes
 * its documents before its answer (*a moves after them). False, having done nothing, when
 * they do not fit the out ring now. */
static bool fulfilment_step(struct oc_route *r, const struct oc_order_msg *om,
			    struct oc_response **ap)
{
	static const uint8_t from[] = {
		[OC_CMD_PICK_CONFIRMED] = OC_STATE_ALLOCATED, [OC_CMD_PACK_CONFIRMED] = OC_STATE_PICKED,
		[OC_CMD_SHIPPED] = OC_STATE_PACKED,           [OC_CMD_DELIVERED] = OC_STATE_SHIPPED,
		[OC_CMD_DELIVERY_EXCEPTION] = OC_STATE_SHIPPED};
	static const uint8_t to[] = {
		[OC_CMD_PICK_CONFIRMED] = OC_STATE_PICKED,  [OC_CMD_PACK_CONFIRMED] = OC_STATE_PACKED,
		[OC_CMD_SHIPPED] = OC_STATE_SHIPPED,        [OC_CMD_DELIVERED] = OC_STATE_DELIVERED,
		[OC_CMD_DELIVERY_EXCEPTION] = OC_STATE_EXCEPTION};
	struct oc_response *a = *ap;
	struct oc_order_rec *rec = step_order(r, om, a);
	if (!rec)
		return true;
	uint8_t k = om->type;
	uint8_t before = k == OC_CMD_PICK_CONFIRMED && r->waves ? OC_STATE_RELEASED : from[k];
	if (k == OC_CMD_PACK_CONFIRMED && (om->detail & OC_PACK_QC_FAILED)) {
		qc_failed(r, om, rec, a);
		return true;
	}
	bool documents = r->catalog->carriers->service_count &&
			 (k == OC_CMD_PACK_CONFIRMED || k == OC_CMD_SHIPPED);
	struct oc_parcel parcels[OC_LIMIT_WAREHOUSES_MAX];
	uint32_t count = 0;
	uint8_t refusal = OC_REJECT_NONE;
	bool done = step_done(rec, k);
	if (done) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->flags = OC_RESPONSE_DUPLICATE;
		documents = false; /* given once, with the step */
	} else if (rec->state != before) {
		refusal = OC_REJECT_INVALID_STATE;
	} else if (k == OC_CMD_PICK_CONFIRMED && oc_backorders_has(r, om->order_index)) {
		refusal = OC_REJECT_BACKORDERED; /* not whole yet */
	} else if (documents && k == OC_CMD_PACK_CONFIRMED) {
		refusal = oc_documents_parcels(r->catalog, &r->allocs[rec->alloc_first],
					       rec->alloc_count, rec->region,
					       OC_REC_DAYS(rec->flags), parcels, &count);
	}
	if (refusal) {
		answer(a, om, OC_STATUS_REJECTED, refusal);
	} else if (!done) {
		uint32_t want = r->outs + 1 + (documents ? rec->alloc_count + count : 0);
		if (oc_ring_spsc_writable(r->out, want) < want)
			return false;
		rec->state = to[k];
		if (to[k] == OC_STATE_PICKED)
			count_allocs(r, rec, r->picked_units, 1);
		if (to[k] == OC_STATE_PACKED)
			label(r, rec, parcels, count);
		if (to[k] == OC_STATE_SHIPPED) {
			count_allocs(r, rec, r->picked_units, -1);
			count_allocs(r, rec, r->on_hand, -1);
			r->shipped++;
		}
		if (to[k] == OC_STATE_EXCEPTION) {
			rec->detail = (uint8_t)om->detail;
			r->exceptions++;
		}
		r->delivered += to[k] == OC_STATE_DELIVERED;
		transition(r, om->order_index, om);
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
	if (documents && !refusal)
		write_documents(r, rec, parcels, count, ap);
	return true;
}

/* Records a stock change's outcome and answers it. */
static void stock_change_done(struct oc_route *r, const struct oc_order_msg *om, uint8_t reason,
			      struct oc_response *a)
{
	struct oc_order_rec *rec = new_record(r, om);
	uint8_t state = reason ? OC_STATE_REJECTED : OC_STATE_ACCEPTED;
	rec->state = rec->placed_state = state;
	rec->reason = reason;
	rec->warehouse = (uint8_t)om->region;
	answer(a, om, status_of(state), reason);
	describe(r, om->order_index, a);
}

/* A refund of a delivered order, one in exception or one returned (docs/lifecycle.md,
 * "Money"): a record of its own, keyed like a stock change. The order's refunded total grows
 * by the amount (0: all the rest; a free order has none: bad_amount); once it reaches the
 * order's amount, the order is refunded. */
static void refund(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	uint32_t target = om->refund.order_index;
	struct oc_order_rec *order = &r->orders[target];
	uint64_t amount = om->refund.amount_cents;
	uint64_t rest = order->amount_cents - order->refunded_cents;
	uint8_t reason = OC_REJECT_NONE;
	if (order->customer != om->customer || order->type != OC_CMD_PLACE)
		reason = OC_REJECT_UNKNOWN_ORDER;
	else if (order->state != OC_STATE_DELIVERED && order->state != OC_STATE_EXCEPTION &&
		 order->state != OC_STATE_RETURNED)
		reason = OC_REJECT_INVALID_STATE;
	else if (amount > rest || rest == 0) /* nothing to pay back: a free order's */
		reason = OC_REJECT_BAD_AMOUNT;
	if (reason == OC_REJECT_NONE) {
		amount = amount ? amount : rest;
		owe(r, order, -(int64_t)amount); /* unpaid on account: a credit note */
		order->refunded_cents += amount;
		if (order->refunded_cents == order->amount_cents)
			order->state = OC_STATE_REFUNDED;
		transition(r, target, om);
		r->refunds++;
	}
	bool known = reason != OC_REJECT_UNKNOWN_ORDER;
	uint8_t state = reason ? OC_STATE_REJECTED : OC_STATE_ACCEPTED;
	struct oc_order_rec *rec = new_record(r, om);
	rec->state = rec->placed_state = state;
	rec->reason = reason;
	rec->alloc_first = target;
	rec->answered_state = known ? order->state : OC_STATE_NONE;
	rec->amount_cents = amount;
	rec->refunded_cents = known ? order->refunded_cents : 0;
	answer(a, om, status_of(state), reason);
	describe(r, om->order_index, a);
}

/* The RMA's allocations for its lines, taken from the order's (so the units go back where
 * they shipped from) and written after route's allocations in use (*n of them); or why the
 * RMA is refused: a SKU the order has not (unknown_sku), more units than it has
 * (bad_quantity), the table full (capacity). */
static uint8_t plan_return(struct oc_route *r, const struct oc_order_rec *order,
			   const struct oc_plan_line *lines, uint32_t count, uint32_t *n)
{
	*n = 0;
	for (uint32_t l = 0; l < count; l++) {
		uint32_t left = lines[l].quantity;
		bool has = false;
		for (uint32_t i = 0; i < order->alloc_count && left; i++) {
			const struct oc_alloc *al = &r->allocs[order->alloc_first + i];
			if (al->sku != lines[l].sku)
				continue;
			if (r->alloc_count + *n == r->allocs_max)
				return OC_REJECT_CAPACITY;
			uint32_t take = al->quantity < left ? al->quantity : left;
			r->allocs[r->alloc_count + (*n)++] =
				(struct oc_alloc){al->sku, (uint16_t)take, al->warehouse, 0};
			left -= take;
			has = true;
		}
		if (!has)
			return OC_REJECT_UNKNOWN_SKU;
		if (left)
			return OC_REJECT_BAD_QUANTITY;
	}
	return OC_REJECT_NONE;
}

/* An RMA (docs/lifecycle.md, "Exceptions and returns"): its lines came through the shards,
 * reserving nothing, with their SKU index and price. Checked against the order (this
 * customer's, delivered or in exception: a damaged parcel sent back), it becomes a record
 * holding the order's allocations it returns, worth the lines' price, and the order moves to
 * return_requested. A refused one held nothing. False until the shards' results are there. */
static bool rma(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	if (!results_ready(r, om))
		return false;
	struct oc_plan_line lines[OC_ORDER_LINES_MAX];
	uint64_t value = 0;
	for (uint32_t i = 0; i < om->line_count; i++) {
		uint32_t s = om->shard[i];
		const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
		OC_ASSERT_EQ(res->seq, om->seq);
		lines[i] = (struct oc_plan_line){res->sku, res->quantity};
		value += (uint64_t)res->quantity * res->price_cents;
	}
	struct oc_order_rec *order = &r->orders[om->target];
	uint8_t reason = OC_REJECT_NONE;
	uint32_t n = 0;
	if (order->customer != om->customer || order->type != OC_CMD_PLACE)
		reason = OC_REJECT_UNKNOWN_ORDER;
	else if (order->state != OC_STATE_DELIVERED && order->state != OC_STATE_EXCEPTION)
		reason = OC_REJECT_INVALID_STATE;
	else
		reason = plan_return(r, order, lines, om->line_count, &n);
	struct oc_order_rec *rec = new_record(r, om);
	rec->reason = reason;
	rec->detail = (uint8_t)om->detail;
	if (reason) {
		rec->state = rec->placed_state = OC_STATE_REJECTED;
		answer(a, om, OC_STATUS_REJECTED, reason);
	} else {
		rec->state = rec->placed_state = OC_STATE_RETURN_REQUESTED;
		rec->amount_cents = value;
		ship_from(r, rec, r->alloc_count, n);
		r->alloc_count += n;
		link(r, om->order_index, om->target);
		order->state = OC_STATE_RETURN_REQUESTED;
		transition(r, om->target, om);
		r->returns++;
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
	return true;
}

/* Adds allocation `add` to out[0..*count), merged with one of the same SKU and warehouse. */
static void alloc_merge(struct oc_alloc *out, uint32_t *count, struct oc_alloc add)
{
	for (uint32_t i = 0; i < *count; i++)
		if (out[i].sku == add.sku && out[i].warehouse == add.warehouse) {
			out[i].quantity = (uint16_t)(out[i].quantity + add.quantity);
			return;
		}
	out[(*count)++] = add;
}

/* Gives up to `units` of `sku` received at warehouse w by om to the oldest backorders of the
 * SKU (docs/lifecycle.md, "Backorders"): each order served gets an allocation of them there
 * (its allocations rebuilt at the end of the table) and a transition by om; one left with no
 * backorder is whole again and, with waves, joins the waves of every warehouse it ships from
 * (allocated). Stops, deterministically, at a backorder whose order's allocations do not fit
 * the table or would pass OC_LIMIT_ORDER_ALLOCS_MAX with its backorders, and (with waves)
 * once a wave is full. Returns the units given. */
static uint32_t fill_backorders(struct oc_route *r, const struct oc_order_msg *om, uint32_t sku,
				uint32_t w, uint32_t units)
{
	uint32_t given = 0;
	for (uint32_t link; given < units && !r->waves_full &&
			    (link = oc_backorders_oldest(r, sku)) != 0;) {
		struct oc_backorder *b = oc_backorders_at(r, link);
		uint32_t index = b->order, take = units - given < b->units ? units - given : b->units;
		struct oc_order_rec *rec = &r->orders[index];
		OC_ASSERT(rec->state == (r->waves ? OC_STATE_RELEASED : OC_STATE_ALLOCATED));
		uint32_t first = r->alloc_count, count = rec->alloc_count;
		if (r->allocs_max - first < count + 1)
			break;
		struct oc_alloc *out = &r->allocs[first];
		memcpy(out, &r->allocs[rec->alloc_first], count * sizeof(*out));
		alloc_merge(out, &count, (struct oc_alloc){sku, (uint16_t)take, (uint8_t)w, 0});
		if (count + oc_backorders_count(r, index) - (take == b->units) >
		    OC_LIMIT_ORDER_ALLOCS_MAX)
			break; /* a cancel's releases must stay within a command's */
		ship_from(r, rec, first, count);
		r->alloc_count += count;
		b->units -= take;
		given += take;
		r->backorder_units_filled += take;
		if (b->units == 0)
			oc_backorders_remove(r, link);
		if (r->waves && !oc_backorders_has(r, index))
			allocated(r, index);
		transition(r, index, om);
	}
	return given;
}

/* Units of `sku` received at warehouse w by om (a restock, a count up, a return restocked):
 * on hand gets them all, the oldest backorders of the SKU first (fill_backorders); the rest
 * are free, and on sale in the shard after the release lag. The caller made room for a
 * release. */
static void receive(struct oc_route *r, const struct oc_order_msg *om, uint32_t sku, uint32_t w,
		    uint32_t units)
{
	size_t cell = (size_t)sku * r->warehouses + w;
	uint32_t left = units - fill_backorders(r, om, sku, w, units);
	r->on_hand[cell] += units;
	r->free_units[cell] += left;
	if (left)
		release_line(r, om->seq, 0, sku, left);
}

/* A SKU's units on hand over every warehouse. */
static uint64_t sku_on_hand(const struct oc_route *r, uint32_t sku)
{
	uint64_t total = 0;
	for (uint32_t w = 0; w < r->warehouses; w++)
		total += r->on_hand[(size_t)sku * r->warehouses + w];
	return total;
}

/* True when putting rec's units back on hand keeps each SKU within OC_LIMIT_SKU_UNITS_MAX. */
static bool units_fit(const struct oc_route *r, const struct oc_order_rec *rec)
{
	for (uint32_t i = 0; i < rec->alloc_count; i++) {
		const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
		uint64_t total = sku_on_hand(r, al->sku);
		for (uint32_t j = 0; j < rec->alloc_count; j++)
			if (r->allocs[rec->alloc_first + j].sku == al->sku)
				total += r->allocs[rec->alloc_first + j].quantity;
		if (total > OC_LIMIT_SKU_UNITS_MAX)
			return false;
	}
	return true;
}

/* The RMA came back and was inspected (docs/lifecycle.md): RMA and order are returned. With
 * OC_RETURN_RESTOCK its units go back on hand where they shipped from, to backorders first,
 * and free and on sale in the shards after the release lag, as a restock's (receive); else
 * they are disposed of. Refused:
 * not an RMA of this customer (unknown_order), a refused one (invalid_state), units past
 * OC_LIMIT_SKU_UNITS_MAX (bad_quantity). False, having changed nothing, when the releases do
 * not fit now. */
static bool return_received(struct oc_route *r, const struct oc_order_msg *om,
			    struct oc_response *a)
{
	struct oc_order_rec *rec = &r->orders[om->order_index];
	if (rec->customer != om->customer || rec->type != OC_CMD_RETURN_REQUESTED) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
		return true;
	}
	bool restock = om->detail & OC_RETURN_RESTOCK;
	if (rec->state == OC_STATE_RETURNED) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->flags = OC_RESPONSE_DUPLICATE;
	} else if (rec->state != OC_STATE_RETURN_REQUESTED) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else if (restock && !units_fit(r, rec)) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_BAD_QUANTITY);
	} else {
		if (restock && !release_room_for(r, rec))
			return false;
		for (uint32_t i = 0; restock && i < rec->alloc_count; i++) {
			const struct oc_alloc *al = &r->allocs[rec->alloc_first + i];
			receive(r, om, al->sku, al->warehouse, al->quantity);
		}
		uint32_t order = link_of(r, om->order_index);
		rec->state = OC_STATE_RETURNED;
		r->orders[order].state = OC_STATE_RETURNED;
		transition(r, order, om);
		r->returns_received++;
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	describe(r, om->order_index, a);
	return true;
}

/* Adds units to the warehouse om names (receive: backorders first), and to the shard's
 * available units with a release (so they are sellable from the same point of the stream on
 * whatever the timing), counting the change in *done. Rejected when the SKU would hold more
 * than OC_LIMIT_SKU_UNITS_MAX. False, having changed nothing, when the release does not fit
 * now. */
static bool add_units(struct oc_route *r, const struct oc_order_msg *om, uint32_t units,
		      uint64_t *done, struct oc_response *a)
{
	uint32_t sku = om->first_sku;
	if (sku_on_hand(r, sku) + units > OC_LIMIT_SKU_UNITS_MAX) {
		stock_change_done(r, om, OC_REJECT_BAD_QUANTITY, a);
		return true;
	}
	struct oc_plan_line gives = {sku, units};
	if (!release_room(r, &gives, 1))
		return false;
	receive(r, om, sku, om->region, units);
	(*done)++;
	stock_change_done(r, om, OC_REJECT_NONE, a);
	return true;
}

/* Removes the units the shard reserved from the warehouse om names, if it has that many free
 * and `refuse` is 0, counting the change in *done; else gives them back to the shard and
 * answers `refuse`, or out_of_stock. False, having consumed nothing, until the shard's result
 * is there or when the give-back does not fit now. */
static bool remove_units(struct oc_route *r, const struct oc_order_msg *om, uint8_t refuse,
			 uint64_t *done, struct oc_response *a)
{
	if (!results_ready(r, om))
		return false;
	uint32_t s = om->shard[0];
	const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]);
	OC_ASSERT_EQ(res->seq, om->seq);
	size_t cell = (size_t)res->sku * r->warehouses + om->region;
	uint8_t reason = res->reason ? (refuse ? refuse : res->reason) : OC_REJECT_NONE;
	if (!reason && (refuse || r->free_units[cell] < res->quantity)) {
		struct oc_plan_line gives = {res->sku, res->quantity};
		if (!release_room(r, &gives, 1))
			return false;
		release_line(r, om->seq, 0, res->sku, res->quantity);
		reason = refuse ? refuse : OC_REJECT_OUT_OF_STOCK;
	} else if (!reason) {
		r->on_hand[cell] -= res->quantity;
		r->free_units[cell] -= res->quantity;
		(*done)++;
	}
	r->taken[s]++;
	stock_change_done(r, om, reason, a);
	return true;
}

/* A cycle count (docs/lifecycle.md, "Inventory administration"): the on hand it replaces
 * must be the warehouse's now (else stale_count, and a reservation made for it goes back);
 * then more units counted are added as a restock, fewer removed as a write-off (validate had
 * the shard reserve the difference). */
static bool adjust(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	size_t cell = (size_t)om->first_sku * r->warehouses + om->region;
	uint8_t stale = r->on_hand[cell] != om->adjust.expected_units ? OC_REJECT_STALE_COUNT
								       : OC_REJECT_NONE;
	if (om->line_count) /* fewer counted than expected */
		return remove_units(r, om, stale, &r->adjustments, a);
	if (stale) {
		stock_change_done(r, om, stale, a);
		return true;
	}
	return add_units(r, om, om->quantity - (uint32_t)om->adjust.expected_units,
			 &r->adjustments, a);
}

/* Safety stock, set by its shard: the answer tells the SKU's units available and the safety
 * stock now. False until the shard's result is there. */
static bool set_safety(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	if (!results_ready(r, om))
		return false;
	uint32_t s = om->shard[0];
	const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
	OC_ASSERT_EQ(res->seq, om->seq);
	answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a->refunded_cents = OC_RECON_PACK(res->quantity, res->safety);
	return true;
}

/* Part "route": cells u64, the free units, the units on hand and the units picked of every
 * cell; order records u32, the records and their links; allocations u32 and the allocations;
 * the counters of struct oc_route (route_counters, then rejected and held by reason), the open
 * balances of the credit lines; the clock u64, then the leases [head, tail) and the review
 * deadlines (put_fifo); with customer_index, the customers' map (oc_snap_put_u64map); the
 * history: next u32, wrapped u32, and the transitions in use; the waves (oc_waves_put) and
 * the backorders (oc_backorders_put). */
#define ROUTE_COUNTERS 29
_Static_assert(ROUTE_COUNTERS == OC_COUNTER_REJECTED,
	       "enum oc_counter names route's counters, then rejected and held by reason");

/* The counters a snapshot keeps, in the part's order, which is enum oc_counter's too (a
 * counters query answers them in it, then rejected and held by reason). */
static void route_counters(struct oc_route *r, uint64_t *c[ROUTE_COUNTERS])
{
	uint64_t *all[] = {
		&r->accepted,   &r->cancelled,        &r->duplicates,       &r->split_orders,
		&r->restocks,   &r->write_offs,       &r->shipped,          &r->delivered,
		&r->lease_expiries, &r->refunds,      &r->adjustments,      &r->exceptions,
		&r->returns,    &r->returns_received, &r->replacements,     &r->qc_failures,
		&r->holds,      &r->reviews_approved, &r->reviews_rejected, &r->short_picks,
		&r->short_units_rerouted, &r->short_units_cut, &r->payments_received,
		&r->review_expiries, &r->labels,   &r->label_cents,  &r->short_units_backordered,
		&r->backorder_units_filled, &r->backorder_units_cut};
	_Static_assert(sizeof(all) / sizeof(all[0]) == ROUTE_COUNTERS, "every counter listed");
	memcpy(c, all, sizeof(all));
}

void oc_route_publish(void *arg)
{
	struct oc_route *r = arg;
	struct oc_route_metrics *m = &r->metrics;
	/* Every change of a figure comes with a command decided: none since the last copy, no
	 * copy (1 + the command, so that 0 means never). */
	uint64_t done = atomic_load_explicit(&r->done_seq, memory_order_relaxed);
	if (r->published_done == done + 1)
		return;
	r->published_done = done + 1;
	uint64_t *counter[ROUTE_COUNTERS];
	route_counters(r, counter);
	for (uint32_t i = 0; i < ROUTE_COUNTERS; i++)
		oc_metric_set(&m->counter[i], *counter[i]);
	for (uint32_t k = 0; k < OC_REJECT_REASON_COUNT; k++) {
		oc_metric_set(&m->rejected[k], r->rejected[k]);
		oc_metric_set(&m->held[k], r->held[k]);
	}
	oc_metric_set(&m->waves, r->waves_released);
	oc_metric_set(&m->untimed, r->untimed);
	oc_metric_set(&m->records, r->orders_seen);
	for (uint32_t k = 1; k < OC_STATE_COUNT; k++)
		oc_metric_set(&m->in_state[k], r->in_state[k]);
	for (uint32_t c = 0; c < OC_CHANNEL_COUNT; c++) {
		const uint64_t *w = (const uint64_t *)&r->by_channel[c];
		for (size_t i = 0; i < OC_ANALYTICS_FIGURES_WORDS; i++)
			oc_metric_set(&m->by_channel[c][i], w[i]);
	}
}

/* The earliest deadline of the leases, reviews and waves, 0: none (a hint for the
 * sequencer's ticks). */
static uint64_t next_deadline(const struct oc_route *r)
{
	uint64_t lease = r->lease_head < r->lease_tail ? r->leases[r->lease_head].deadline_ms : 0;
	uint64_t review =
		r->review_head < r->review_tail ? r->reviews[r->review_head].deadline_ms : 0;
	uint64_t next = !lease ? review : !review || lease < review ? lease : review;
	return !next || (r->wave_next_ms && r->wave_next_ms < next) ? r->wave_next_ms : next;
}

/* A FIFO of deadlines in a snapshot: the entries [head, tail), their count u32 first. */
static void put_fifo(struct oc_snap_buf *b, const struct oc_lease *fifo, uint32_t head,
		     uint32_t tail)
{
	oc_snap_put_u32(b, tail - head);
	if (tail > head)
		oc_snap_put(b, &fifo[head], (size_t)(tail - head) * sizeof(struct oc_lease));
}

/* Reads a FIFO put_fifo wrote into fifo[0..*tail), *head 0; -EINVAL when it does not fit this
 * route (more than orders_max entries, an order index past `orders`, none to hold them). */
static int get_fifo(struct oc_route *r, struct oc_snap_reader *in, struct oc_lease *fifo,
		    uint32_t *head, uint32_t *tail, uint32_t orders)
{
	uint32_t n = oc_snap_get_u32(in);
	if (in->short_read || n > r->orders_max || (n && !fifo))
		return -EINVAL;
	/* Records in the file are packed: copied out, never read in place. */
	const uint8_t *at = oc_snap_get(in, (size_t)n * sizeof(struct oc_lease));
	if (n && !at)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&fifo[i], at + (size_t)i * sizeof(struct oc_lease), sizeof(struct oc_lease));
		if (fifo[i].order_index >= orders)
			return -EINVAL;
	}
	*head = 0;
	*tail = n;
	return 0;
}

/* Bytes of the credit lines' open balances. */
static size_t credit_bytes(const struct oc_route *r)
{
	return (size_t)r->catalog->screening->credit_count * sizeof(uint64_t);
}

/* Transitions in use in the history ring: [0, history_used). */
static uint32_t history_used(const struct oc_route *r)
{
	return r->history_wrapped ? r->history_max : r->history_next;
}
static int build_part(struct oc_route *r, uint64_t seq, uint32_t orders)
{
	struct oc_snap_buf *b = &r->part.buf;
	oc_snap_part_begin(b, OC_SNAP_ROUTE, 0, seq);
	oc_snap_reserve(b, 8 + 3 * r->free_cells * sizeof(uint32_t) + 4 +
			       (size_t)orders * (sizeof(struct oc_order_rec) + 4 + 1) + 4 +
			       (size_t)r->alloc_count * sizeof(struct oc_alloc) +
			       ROUTE_COUNTERS * sizeof(uint64_t) + 12 +
			       (size_t)(r->lease_tail - r->lease_head +
					r->review_tail - r->review_head) *
				       sizeof(struct oc_lease) + 4 +
			       sizeof(r->rejected) + sizeof(r->held) + credit_bytes(r) + 8 +
			       (r->waves ? r->warehouses * sizeof(struct oc_wave) : 0));
	oc_snap_put_u64(b, r->free_cells);
	oc_snap_put(b, r->free_units, r->free_cells * sizeof(uint32_t));
	oc_snap_put(b, r->on_hand, r->free_cells * sizeof(uint32_t));
	oc_snap_put(b, r->picked_units, r->free_cells * sizeof(uint32_t));
	oc_snap_put_u32(b, orders);
	oc_snap_put(b, r->orders, (size_t)orders * sizeof(struct oc_order_rec));
	oc_snap_put(b, r->links, (size_t)orders * sizeof(uint32_t));
	oc_snap_put(b, r->channels, orders);
	oc_snap_put_u32(b, r->alloc_count);
	oc_snap_put(b, r->allocs, (size_t)r->alloc_count * sizeof(struct oc_alloc));
	uint64_t *counters[ROUTE_COUNTERS];
	route_counters(r, counters);
	for (uint32_t i = 0; i < ROUTE_COUNTERS; i++)
		oc_snap_put_u64(b, *counters[i]);
	oc_snap_put(b, r->rejected, sizeof(r->rejected));
	oc_snap_put(b, r->held, sizeof(r->held));
	oc_snap_put(b, r->open_cents, credit_bytes(r));
	oc_snap_put_u64(b, r->clock_ms);
	put_fifo(b, r->leases, r->lease_head, r->lease_tail);
	put_fifo(b, r->reviews, r->review_head, r->review_tail);
	if (r->catalog->customer_index)
		oc_snap_put_u64map(b, &r->customers);
	oc_snap_put_u32(b, r->history_next);
	oc_snap_put_u32(b, r->history_wrapped);
	oc_snap_put(b, r->history, (size_t)history_used(r) * sizeof(struct oc_transition));
	oc_waves_put(r, b);
	oc_backorders_put(r, b);
	return oc_snap_part_end(b);
}

int oc_route_restore(struct oc_route *r, struct oc_snap_reader *in, uint64_t seq)
{
	if (oc_snap_get_u64(in) != r->free_cells)
		return -EINVAL;
	const void *cells = oc_snap_get(in, r->free_cells * sizeof(uint32_t));
	const void *on_hand = oc_snap_get(in, r->free_cells * sizeof(uint32_t));
	const void *picked = oc_snap_get(in, r->free_cells * sizeof(uint32_t));
	uint32_t orders = oc_snap_get_u32(in);
	if (!cells || !on_hand || !picked || orders > r->orders_max)
		return -EINVAL;
	const void *recs = oc_snap_get(in, (size_t)orders * sizeof(struct oc_order_rec));
	const void *links = oc_snap_get(in, (size_t)orders * sizeof(uint32_t));
	const void *channels = oc_snap_get(in, orders);
	uint32_t allocs = oc_snap_get_u32(in);
	if (!recs || !links || !channels || allocs > r->allocs_max)
		return -EINVAL;
	const void *al = oc_snap_get(in, (size_t)allocs * sizeof(struct oc_alloc));
	const uint8_t *counters = oc_snap_get(in, ROUTE_COUNTERS * sizeof(uint64_t)); /* packed */
	const void *rejected = oc_snap_get(in, sizeof(r->rejected));
	const void *held = oc_snap_get(in, sizeof(r->held));
	const void *open = oc_snap_get(in, credit_bytes(r));
	uint64_t clock_ms = oc_snap_get_u64(in);
	if (!al || !counters || !rejected || !held || (!open && credit_bytes(r)) ||
	    get_fifo(r, in, r->leases, &r->lease_head, &r->lease_tail, orders) ||
	    get_fifo(r, in, r->reviews, &r->review_head, &r->review_tail, orders) ||
	    (r->catalog->customer_index && oc_snap_get_u64map(in, &r->customers)))
		return -EINVAL;
	r->history_next = oc_snap_get_u32(in);
	r->history_wrapped = oc_snap_get_u32(in) != 0;
	if (r->history_next >= r->history_max)
		return -EINVAL;
	const void *history = oc_snap_get(in, (size_t)history_used(r) * sizeof(struct oc_transition));
	if (!history || oc_waves_get(r, in) || oc_backorders_get(r, in, orders) ||
	    !oc_snap_reader_done(in))
		return -EINVAL;
	memcpy(r->history, history, (size_t)history_used(r) * sizeof(struct oc_transition));
	r->clock_ms = clock_ms;
	atomic_store_explicit(&r->lease_next_ms, next_deadline(r),
			      memory_order_relaxed); /* before start */
	memcpy(r->free_units, cells, r->free_cells * sizeof(uint32_t));
	memcpy(r->on_hand, on_hand, r->free_cells * sizeof(uint32_t));
	memcpy(r->picked_units, picked, r->free_cells * sizeof(uint32_t));
	memcpy(r->orders, recs, (size_t)orders * sizeof(struct oc_order_rec));
	memcpy(r->links, links, (size_t)orders * sizeof(uint32_t));
	memcpy(r->channels, channels, orders);
	r->orders_seen = orders;
	for (uint32_t i = 0; i < orders; i++) /* the live figures' orders by state */
		if (r->orders[i].type == OC_CMD_PLACE) {
			r->counted_state[i] = r->orders[i].state;
			r->in_state[r->orders[i].state]++;
		}
	memcpy(r->allocs, al, (size_t)allocs * sizeof(struct oc_alloc));
	r->alloc_count = allocs;
	uint64_t *counter[ROUTE_COUNTERS];
	route_counters(r, counter);
	for (uint32_t i = 0; i < ROUTE_COUNTERS; i++)
		memcpy(counter[i], counters + 8 * i, 8);
	memcpy(r->rejected, rejected, sizeof(r->rejected));
	memcpy(r->held, held, sizeof(r->held));
	if (credit_bytes(r))
		memcpy(r->open_cents, open, credit_bytes(r));
	atomic_store_explicit(&r->done_seq, seq, memory_order_relaxed); /* before start */
	return 0;
}

/* A line of a short pick: the SKU (global index), the units missing, their unit price, and
 * whether its shard reserved them again. */
struct short_line {
	uint32_t sku, missing, price_cents;
	bool reserved;
	bool rerouted; /* route found them free at other warehouses */
};

/* The allocation of the order holding `sku` at warehouse w, NULL when none. */
static struct oc_alloc *alloc_at(struct oc_route *r, const struct oc_order_rec *order,
				 uint32_t sku, uint32_t w)
{
	for (uint32_t i = 0; i < order->alloc_count; i++) {
		struct oc_alloc *al = &r->allocs[order->alloc_first + i];
		if (al->sku == sku && al->warehouse == w)
			return al;
	}
	return NULL;
}

/* Why a short pick at warehouse w may not be done to the order: OC_REJECT_NONE when it may. */
static uint8_t short_refusal(struct oc_route *r, const struct oc_order_msg *om,
			     const struct oc_order_rec *order, const struct short_line *l, uint32_t n)
{
	if (order->customer != om->customer || order->type != OC_CMD_PLACE)
		return OC_REJECT_UNKNOWN_ORDER;
	if (order->state != (r->waves ? OC_STATE_RELEASED : OC_STATE_ALLOCATED))
		return OC_REJECT_INVALID_STATE;
	for (uint32_t i = 0; i < n; i++) {
		const struct oc_alloc *al = alloc_at(r, order, l[i].sku, om->region);
		if (!al)
			return OC_REJECT_UNKNOWN_SKU;
		if (l[i].missing > al->quantity)
			return OC_REJECT_BAD_QUANTITY;
	}
	/* The rebuilt allocations go at the end of the table. */
	return r->allocs_max - r->alloc_count < OC_LIMIT_ORDER_ALLOCS_MAX ? OC_REJECT_CAPACITY
									  : OC_REJECT_NONE;
}

/* Re-routes a short line reserved again in its shard: plans its units at the warehouses not
 * in `exclude` (w's, and with waves every warehouse of the order: waves.c), nearest w first,
 * into out[0..*count), and adds the warehouses it used to *used. False, changing nothing, when
 * they have too few free or the order would hold more than OC_LIMIT_ORDER_ALLOCS_MAX
 * allocations with its `waiting` backorders. */
static bool reroute_line(struct oc_route *r, uint32_t w, uint64_t exclude,
			 const struct short_line *l, uint32_t waiting, struct oc_alloc *out,
			 uint32_t *count, uint64_t *used)
{
	const struct oc_dataset *d = r->catalog->data;
	uint32_t *free_units = &r->free_units[(size_t)l->sku * r->warehouses];
	uint64_t elsewhere = 0;
	for (uint32_t x = 0; x < r->warehouses; x++)
		elsewhere += exclude & (1ull << x) ? 0 : free_units[x];
	if (elsewhere < l->missing)
		return false;
	/* The plan must not come back to w: its other units of the SKU are in doubt too. */
	uint32_t kept[OC_LIMIT_WAREHOUSES_MAX];
	for (uint32_t x = 0; x < r->warehouses; x++) {
		kept[x] = free_units[x];
		free_units[x] = exclude & (1ull << x) ? 0 : kept[x];
	}
	struct oc_alloc plan[OC_PLAN_ALLOCS_MAX];
	struct oc_plan_line line = {l->sku, l->missing};
	uint32_t k = oc_route_plan(r->free_units, r->warehouses,
				   d->regions[d->warehouses[w].region].warehouse_order, &line, 1,
				   plan);
	/* cppcheck-suppress uninitvar ; kept[0, warehouses) was filled above */
	memcpy(free_units, kept, r->warehouses * sizeof(uint32_t));
	if (*count + k + waiting > OC_LIMIT_ORDER_ALLOCS_MAX)
		return false;
	for (uint32_t i = 0; i < k; i++) {
		free_units[plan[i].warehouse] -= plan[i].quantity;
		alloc_merge(out, count, plan[i]);
		*used |= 1ull << plan[i].warehouse;
	}
	return true;
}

/* Does a short pick to the order: its allocations are rebuilt at the end of the table, less
 * the missing units at w (which leave on hand there), plus the lines re-routed; with
 * OC_ORDER_BACKORDER the lines not re-routed are backordered (a line reserved again gives
 * those units back, not the counter: the order keeps the line) while the pool and the order's
 * OC_LIMIT_ORDER_ALLOCS_MAX allow; the others are cut, and their shards told (a line reserved
 * again gives those units and the purchase counter back; one the shard refused, the counter
 * alone: the units are gone). Its money: the value cut is refunded (prepaid) or not captured
 * (card). Returns the value cut; *backordered the units backordered. */
static uint64_t short_apply(struct oc_route *r, const struct oc_order_msg *om,
			    struct oc_order_rec *order, struct short_line *l, uint32_t n,
			    uint64_t *backordered)
{
	bool backorder = om->flags & OC_ORDER_BACKORDER;
	uint32_t waiting = oc_backorders_count(r, om->target);
	uint32_t w = om->region, first = r->alloc_count, count = 0;
	uint64_t exclude = r->waves ? warehouses_of(r, order) | 1ull << w : 1ull << w, used = 0;
	struct oc_alloc *out = &r->allocs[first];
	for (uint32_t i = 0; i < order->alloc_count; i++) {
		struct oc_alloc al = r->allocs[order->alloc_first + i];
		for (uint32_t j = 0; j < n && al.warehouse == w; j++)
			al.quantity = (uint16_t)(al.quantity - (al.sku == l[j].sku ? l[j].missing : 0));
		if (al.quantity)
			out[count++] = al;
	}
	uint64_t customer = is_replacement(r, om->target) ? 0 : order->customer, value = 0;
	for (uint32_t i = 0; i < n; i++) {
		r->on_hand[(size_t)l[i].sku * r->warehouses + w] -= l[i].missing;
		l[i].rerouted = l[i].reserved &&
				reroute_line(r, w, exclude, &l[i], waiting, out, &count, &used);
		if (l[i].rerouted) {
			r->short_units_rerouted += l[i].missing;
			continue;
		}
		if (backorder && count + waiting < OC_LIMIT_ORDER_ALLOCS_MAX &&
		    oc_backorders_push(r, om->target, l[i].sku, l[i].missing)) {
			waiting++;
			*backordered += l[i].missing;
			r->short_units_backordered += l[i].missing;
			if (l[i].reserved) /* back on sale; the customer's counter keeps them */
				release_line(r, om->seq, 0, l[i].sku, l[i].missing);
			continue;
		}
		value += (uint64_t)l[i].missing * l[i].price_cents;
		r->short_units_cut += l[i].missing;
		r->backorder_units_cut += backorder ? l[i].missing : 0;
		if (customer || l[i].reserved)
			release_units(r, om->seq, customer, l[i].sku, l[i].missing,
				      l[i].reserved ? 0 : OC_RELEASE_COUNTER_ONLY);
	}
	owe(r, order, -(int64_t)value);
	if ((order->flags & (OC_REC_CARD | OC_REC_ACCOUNT)) && !(order->flags & OC_REC_PAID))
		order->amount_cents -= value; /* not taken yet: less to take */
	else
		order->refunded_cents += value;
	ship_from(r, order, first, count);
	r->alloc_count += count;
	if (count == 0 && !waiting) { /* every unit cut: nothing is left to ship */
		order->state = OC_STATE_CANCELLED;
		r->cancelled++;
	} else if (used && r->waves && !waiting) { /* re-routed units wait for their waves (a
						      * backordered order joins all once whole) */
		order->state = OC_STATE_ALLOCATED;
		oc_waves_join(r, om->target, used);
	}
	r->short_picks++;
	return value;
}

/* A short pick (docs/lifecycle.md, "Short picks"): a record of its own (keyed like a refund);
 * refused, the units its shards reserved again go back. False, having consumed nothing, when
 * the releases it may need do not fit now. */
static bool short_pick(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	struct short_line l[OC_ORDER_LINES_MAX];
	struct oc_plan_line gives[OC_ORDER_LINES_MAX];
	for (uint32_t i = 0; i < om->line_count; i++) {
		uint32_t s = om->shard[i];
		const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
		OC_ASSERT_EQ(res->seq, om->seq);
		l[i] = (struct short_line){res->sku, res->quantity, res->price_cents,
					   res->reason == OC_REJECT_NONE, false};
		gives[i] = (struct oc_plan_line){res->sku, res->quantity};
	}
	if (!release_room(r, gives, om->line_count)) {
		for (uint32_t i = 0; i < om->line_count; i++)
			r->taken[om->shard[i]]--; /* gathered again next turn */
		return false;
	}
	struct oc_order_rec *order = &r->orders[om->target];
	uint8_t reason = short_refusal(r, om, order, l, om->line_count);
	uint64_t value = 0, backordered = 0;
	if (reason) {
		for (uint32_t i = 0; i < om->line_count; i++)
			if (l[i].reserved)
				release_line(r, om->seq, 0, l[i].sku, l[i].missing);
	} else {
		value = short_apply(r, om, order, l, om->line_count, &backordered);
		transition(r, om->target, om);
	}
	bool known = reason != OC_REJECT_UNKNOWN_ORDER;
	uint8_t state = reason ? OC_STATE_REJECTED : OC_STATE_ACCEPTED;
	struct oc_order_rec *rec = new_record(r, om);
	rec->state = rec->placed_state = state;
	rec->reason = reason;
	rec->alloc_first = om->target;
	rec->answered_state = known ? order->state : OC_STATE_NONE;
	rec->amount_cents = value;
	rec->refunded_cents = backordered;
	rec->shipments = known ? order->shipments : 0;
	rec->warehouse = known ? order->warehouse : 0;
	answer(a, om, status_of(state), reason);
	describe(r, om->order_index, a);
	return true;
}

/* The snapshot barrier: once every shard has built its part, builds route's, hands it to the
 * snapshot writer and queues the commit. False, having consumed nothing, until every shard
 * has. Its answer is dropped by egress. */
static bool barrier(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	if (!(om->flags & OC_ORDER_BARRIER_WRITE))
		return true; /* replayed: it only holds its place in the stream */
	for (uint32_t s = 0; s < r->shards; s++)
		if (oc_ring_spsc_readable(&r->result[s], r->taken[s] + 1) < r->taken[s] + 1)
			return false;
	bool failed = om->reason;
	for (uint32_t s = 0; s < r->shards; s++) {
		const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
		OC_ASSERT(res->seq == om->seq && res->sku == OC_LINE_BARRIER);
		failed |= res->reason;
	}
	oc_snapshotter_reclaim(r->snapshotter, &r->part);
	int rc = build_part(r, om->seq, om->order_index);
	if (rc)
		oc_log(OC_LOG_ERROR, "msg=\"snapshot part failed\" part=route seq=%llu "
				"error=\"%s\"", (unsigned long long)om->seq, strerror(-rc));
	else
		oc_snapshotter_hand(r->snapshotter, &r->part, om->seq);
	oc_snapshotter_commit(r->snapshotter, om->seq, om->key, failed || rc);
	return true;
}

/* The index of the record whose first sequence number is seq, or UINT32_MAX: records are in
 * sequence order (order indices are given in it). */
static uint32_t order_by_seq(const struct oc_route *r, uint64_t seq)
{
	uint32_t lo = 0, hi = r->orders_seen;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->orders[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->orders_seen && r->orders[lo].seq == seq ? lo : UINT32_MAX;
}

/* Queries change nothing. False when a stock query's result has not come yet. */
static bool query(struct oc_route *r, const struct oc_order_msg *om, struct oc_response *a)
{
	if (om->reason) {
		answer(a, om, OC_STATUS_REJECTED, om->reason);
		return true;
	}
	if (om->type == OC_CMD_QUERY_STOCK_AT) {
		size_t cell = (size_t)om->first_sku * r->warehouses + om->region;
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->original_seq = OC_STOCK_ANSWER(r->free_units[cell],
						  r->on_hand[cell] - r->free_units[cell]);
		a->warehouse = (uint8_t)om->region;
		return true;
	}
	if (om->type == OC_CMD_QUERY_STOCK) {
		if (!results_ready(r, om))
			return false;
		uint32_t s = om->shard[0];
		const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
		OC_ASSERT_EQ(res->seq, om->seq);
		const uint32_t *on_hand = &r->on_hand[(size_t)res->sku * r->warehouses];
		const uint32_t *free_units = &r->free_units[(size_t)res->sku * r->warehouses];
		uint64_t allocated = 0;
		for (uint32_t w = 0; w < r->warehouses; w++)
			allocated += on_hand[w] - free_units[w];
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		a->original_seq = OC_STOCK_ANSWER(res->quantity, allocated);
		return true;
	}
	uint32_t index = om->type == OC_CMD_QUERY_ORDER_SEQ ? order_by_seq(r, om->key)
							   : om->order_index;
	if (index == UINT32_MAX) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
		return true;
	}
	answer(a, om, status_of(r->orders[index].state), r->orders[index].reason);
	describe(r, index, a);
	return true;
}

/* Expires the deadlines of a FIFO (leases: waiting, payment_pending; reviews: on_hold) that
 * the clock passed: an order still `waiting` is cancelled (its stock given back, its money as
 * a cancel's) and an unsolicited response with `reason`, written before the command's own,
 * says so; an order that moved on is just dropped from the FIFO. The command's share of
 * give-backs (expire_leases) bounds how many; false, the head kept, when its releases or its
 * response do not fit now. */
static bool expire_due(struct oc_route *r, const struct oc_order_msg *om,
		       const struct oc_lease *fifo, uint32_t *head, uint32_t tail, uint8_t waiting,
		       uint8_t reason, uint64_t *expiries)
{
	for (; *head < tail; (*head)++) {
		const struct oc_lease *l = &fifo[*head];
		if (l->deadline_ms > r->clock_ms)
			return true;
		struct oc_order_rec *rec = &r->orders[l->order_index];
		if (rec->state != waiting)
			continue;
		if (r->expire_allocs + rec->alloc_count > OC_LIMIT_ORDER_ALLOCS_MAX)
			return true; /* this command's share is used up */
		uint32_t want = r->outs + 2; /* this response and the command's own */
		if (oc_ring_spsc_writable(r->out, want) < want || !cancel_order(r, om->seq, rec))
			return false;
		oc_route_transition(r, l->order_index, om->seq, r->clock_ms, OC_CMD_PLACE);
		struct oc_response *a = oc_ring_spsc_write_slot(r->out, r->outs++);
		*a = (struct oc_response){.seq = om->seq, .key = l->key, .ts_ms = r->clock_ms,
					  .type = OC_CMD_PLACE, .status = OC_STATUS_CANCELLED,
					  .reason = reason, .flags = OC_RESPONSE_UNSOLICITED};
		describe(r, l->order_index, a);
		(*expiries)++;
		r->expire_allocs += rec->alloc_count;
	}
	return true;
}

/* Advances the clock to the command's timestamp and expires the payment leases, then the
 * review deadlines, it passed (expire_due), then releases a pick wave whose cutoff it passed
 * (waves.c). One command gives back at most one order's worth
 * of allocations this way (OC_LIMIT_ORDER_ALLOCS_MAX), so that with its own releases it stays
 * within OC_LIMIT_COMMAND_RELEASES_MAX, which sizes the release rings; what is left is still
 * due, so the next command or tick expires it. False, the clock moved, when releases or
 * responses do not fit now. A barrier does not move the clock: the shards have written their
 * parts when route meets it, so a give-back caused there would be in no part (the command
 * after it expires what is due). */
static bool expire_leases(struct oc_route *r, const struct oc_order_msg *om)
{
	if (om->type == OC_CMD_SNAPSHOT)
		return true;
	uint64_t ts_ms = oc_order_msg_ts_ms(om);
	if (ts_ms > r->clock_ms)
		r->clock_ms = ts_ms;
	if (om->seq != r->expire_seq) {
		r->expire_seq = om->seq;
		r->expire_allocs = 0;
	}
	return expire_due(r, om, r->leases, &r->lease_head, r->lease_tail,
			  OC_STATE_PAYMENT_PENDING, OC_REJECT_LEASE_EXPIRED, &r->lease_expiries) &&
	       expire_due(r, om, r->reviews, &r->review_head, r->review_tail, OC_STATE_ON_HOLD,
			  OC_REJECT_REVIEW_EXPIRED, &r->review_expiries) &&
	       (!r->waves || oc_waves_release_due(r, om));
}


/* The transitions of an order to answer with, newest first, into at[]; their count. MORE in
 * *flags when older ones are left out (more than OC_QUERY_ROWS_MAX, or overwritten in the
 * ring). */
static uint32_t history_rows(const struct oc_route *r, uint32_t index, uint32_t *at,
			     uint8_t *flags)
{
	uint32_t n = 0;
	uint64_t after = UINT64_MAX;
	for (uint32_t h = r->orders[index].history_last; h != OC_NONE; h = r->history[h].prev) {
		const struct oc_transition *t = &r->history[h];
		if (t->order_index != index || t->seq >= after || n == OC_QUERY_ROWS_MAX) {
			*flags = OC_RESPONSE_MORE;
			break;
		}
		at[n++] = h;
		after = t->seq;
	}
	return n;
}

static void history_row(const struct oc_route *r, const struct oc_order_msg *om, uint32_t index,
			const struct oc_transition *t, struct oc_response *row)
{
	const struct oc_order_rec *rec = &r->orders[index];
	bool expiry = t->type == OC_CMD_PLACE && t->state == OC_STATE_CANCELLED;
	bool review_expiry = expiry && rec->placed_state == OC_STATE_ON_HOLD &&
			     !(rec->flags & (OC_REC_APPROVED | OC_REC_REVIEW_REJECTED));
	*row = (struct oc_response){
		.seq = om->seq, .key = rec->key, .original_seq = t->seq, .customer = rec->customer,
		.ts_ms = oc_transition_ts_ms(t), .type = t->type,
		.status = status_of(t->state),
		.reason = t->state == OC_STATE_REJECTED ||
					  (t->state == OC_STATE_ON_HOLD && t->type == OC_CMD_PLACE)
				  ? rec->reason /* why rejected; the rule that held it */
			  : review_expiry ? OC_REJECT_REVIEW_EXPIRED
			  : expiry	  ? OC_REJECT_LEASE_EXPIRED
					  : OC_REJECT_NONE,
		.flags = OC_RESPONSE_ROW, .state = t->state};
	if (t->type == OC_CMD_REFUND || t->type == OC_CMD_PICK_SHORT) /* the amount, the cut */
		row->amount_cents = r->orders[order_by_seq(r, t->seq)].amount_cents;
}

/* The orders of a customer to answer with, newest first, into at[]: from its last order, or
 * (a page) from the one before order `from`; their count, MORE in *flags when older ones are
 * left. */
static uint32_t customer_rows(const struct oc_route *r, uint64_t customer, uint32_t from,
			      uint32_t *at, uint8_t *flags)
{
	uint32_t i = from != OC_NONE ? r->orders[from].customer_prev : OC_NONE;
	if (from == OC_NONE) {
		const struct oc_u64map_entry *e =
			oc_u64map_find(&r->customers, customer, oc_hash_u64(customer));
		i = e ? e->value : OC_NONE;
	}
	uint32_t n = 0;
	for (; i != OC_NONE; i = r->orders[i].customer_prev) {
		if (n == OC_QUERY_ROWS_MAX) {
			*flags = OC_RESPONSE_MORE;
			break;
		}
		at[n++] = i;
	}
	return n;
}

static void customer_row(const struct oc_route *r, const struct oc_order_msg *om, uint32_t index,
			 struct oc_response *row)
{
	const struct oc_order_rec *rec = &r->orders[index];
	answer(row, om, status_of(rec->state), rec->reason);
	describe(r, index, row);
	row->key = rec->key;
	row->flags |= OC_RESPONSE_ROW;
	const struct oc_transition *t =
		rec->history_last != OC_NONE ? &r->history[rec->history_last] : NULL;
	row->ts_ms = t && t->order_index == index ? oc_transition_ts_ms(t) : 0;
}

/* A query with rows (OC_CMD_QUERY_HISTORY, OC_CMD_QUERY_CUSTOMER): writes its rows, then its
 * answer, which the caller counts. False, having written nothing, when they do not fit the out
 * ring now. */
static bool query_rows(struct oc_route *r, const struct oc_order_msg *om)
{
	uint32_t at[OC_QUERY_ROWS_MAX];
	uint8_t more = 0;
	bool history = om->type == OC_CMD_QUERY_HISTORY;
	const struct oc_order_rec *from =
		om->order_index != OC_NONE ? &r->orders[om->order_index] : NULL;
	bool unknown = !history && from && (from->customer != om->customer ||
					    from->type != OC_CMD_PLACE);
	uint32_t n = unknown   ? 0
		     : history ? history_rows(r, om->order_index, at, &more)
			       : customer_rows(r, om->customer, om->order_index, at, &more);
	uint32_t want = r->outs + n + 1;
	if (oc_ring_spsc_writable(r->out, want) < want)
		return false;
	for (uint32_t k = n; k-- > 0;) { /* a history oldest first */
		uint32_t row = history ? k : n - 1 - k;
		struct oc_response *out = oc_ring_spsc_write_slot(r->out, r->outs++);
		if (history)
			history_row(r, om, om->order_index, &r->history[at[row]], out);
		else
			customer_row(r, om, at[row], out);
	}
	struct oc_response *a = oc_ring_spsc_write_slot(r->out, r->outs);
	if (unknown) {
		answer(a, om, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	} else if (history) {
		answer(a, om, status_of(from->state), from->reason);
		describe(r, om->order_index, a);
	} else {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	}
	a->flags |= more;
	return true;
}

/* A SKU's reconciliation (OC_CMD_QUERY_RECONCILE): a row per warehouse of the page, from the
 * index in region, then the answer with the totals over every warehouse and the shard's count
 * and safety stock. Allocated is what on hand holds besides the free and picked units: that it
 * never goes below zero is checked here, and that it is what the orders hold, by the tests.
 * False, having written nothing, until the shard's result is there and the responses fit. */
static bool reconcile(struct oc_route *r, const struct oc_order_msg *om)
{
	uint32_t first = om->region, n = r->warehouses - first;
	uint8_t more = 0;
	if (n > OC_QUERY_ROWS_MAX) {
		n = OC_QUERY_ROWS_MAX;
		more = OC_RESPONSE_MORE;
	}
	uint32_t want = r->outs + n + 1;
	if (!results_ready(r, om) || oc_ring_spsc_writable(r->out, want) < want)
		return false;
	uint32_t s = om->shard[0];
	const struct oc_result_msg *res = oc_ring_spsc_read_slot(&r->result[s], r->taken[s]++);
	OC_ASSERT_EQ(res->seq, om->seq);
	size_t row0 = (size_t)res->sku * r->warehouses;
	uint32_t free_units = 0, allocated = 0, picked = 0, on_hand = 0;
	for (uint32_t w = 0; w < r->warehouses; w++) {
		uint32_t f = r->free_units[row0 + w], p = r->picked_units[row0 + w];
		uint32_t h = r->on_hand[row0 + w];
		OC_ASSERT((uint64_t)f + p <= h);
		free_units += f;
		allocated += h - f - p;
		picked += p;
		on_hand += h; /* each sum <= OC_LIMIT_SKU_UNITS_MAX */
		if (w < first || w >= first + n)
			continue;
		struct oc_response *row = oc_ring_spsc_write_slot(r->out, r->outs++);
		answer(row, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		row->flags = OC_RESPONSE_ROW;
		row->warehouse = (uint8_t)w;
		row->original_seq = OC_RECON_PACK(f, h - f - p);
		row->amount_cents = OC_RECON_PACK(p, h);
	}
	struct oc_response *a = oc_ring_spsc_write_slot(r->out, r->outs);
	answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a->flags = more;
	a->warehouse = (uint8_t)first;
	a->original_seq = OC_RECON_PACK(free_units, allocated);
	a->amount_cents = OC_RECON_PACK(picked, on_hand);
	a->refunded_cents = OC_RECON_PACK(res->quantity, res->safety);
	return true;
}

/* The counters (OC_CMD_QUERY_COUNTERS): a row per counter of the page, from the index in
 * region, then the answer with their count. The counters of commands decided before it, all
 * route's: nothing else writes them, so the page is exact whatever the threads. False, having
 * written nothing, when they do not fit the out ring now. */
static bool counters(struct oc_route *r, const struct oc_order_msg *om)
{
	uint32_t first = om->region, n = first < OC_COUNTER_COUNT ? OC_COUNTER_COUNT - first : 0;
	uint8_t more = 0;
	if (n > OC_QUERY_ROWS_MAX) {
		n = OC_QUERY_ROWS_MAX;
		more = OC_RESPONSE_MORE;
	}
	uint32_t want = r->outs + n + 1;
	if (oc_ring_spsc_writable(r->out, want) < want)
		return false;
	uint64_t *own[ROUTE_COUNTERS];
	route_counters(r, own);
	for (uint32_t i = first; i < first + n; i++) {
		struct oc_response *row = oc_ring_spsc_write_slot(r->out, r->outs++);
		answer(row, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		row->flags = OC_RESPONSE_ROW;
		row->original_seq = i;
		row->amount_cents = i < OC_COUNTER_REJECTED ? *own[i]
				    : i < OC_COUNTER_HELD   ? r->rejected[i - OC_COUNTER_REJECTED + 1]
							    : r->held[i - OC_COUNTER_HELD + 1];
	}
	struct oc_response *a = oc_ring_spsc_write_slot(r->out, r->outs);
	answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a->flags = more;
	a->original_seq = OC_COUNTER_COUNT;
	return true;
}

/* Handles one command if everything it needs is there, writing its answer (after any rows or
 * unsolicited responses) at r->outs; false to end the turn. */
static bool route_one(struct oc_route *r, const struct oc_order_msg *om)
{
	if (r->waves && !oc_waves_room(r, om))
		return false;
	if ((om->type == OC_CMD_QUERY_HISTORY || om->type == OC_CMD_QUERY_CUSTOMER) &&
	    !om->reason) /* validate refused a customer query without the index */
		return query_rows(r, om);
	if (om->type == OC_CMD_QUERY_RECONCILE && !om->reason)
		return reconcile(r, om);
	if (om->type == OC_CMD_QUERY_COUNTERS && !om->reason)
		return counters(r, om);
	struct oc_response *a = oc_ring_spsc_write_slot(r->out, r->outs);
	if (om->type == OC_CMD_SNAPSHOT)
		return barrier(r, om, a);
	if (om->type == OC_CMD_TICK) { /* it brought the time (expire_leases); egress drops this */
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		return true;
	}
	if (oc_cmd_is_query(om->type))
		return query(r, om, a); /* not counted with the orders' outcomes */
	if (om->reason) {
		answer(a, om, OC_STATUS_REJECTED, om->reason);
		if (om->type == OC_CMD_PLACE && !(om->flags & OC_ORDER_REPLACEMENT) &&
		    om->place.channel < OC_CHANNEL_COUNT) /* one past the last: malformed, none */
			a->flags = (uint8_t)(om->place.channel << OC_RESPONSE_CHANNEL_SHIFT);
	} else if (om->flags & OC_ORDER_DUPLICATE) {
		duplicate(r, om, a);
	} else if (om->type == OC_CMD_PLACE) {
		if (!results_ready(r, om) || !place(r, om, a))
			return false;
	} else if (om->type == OC_CMD_RESTOCK) {
		if (!add_units(r, om, om->quantity, &r->restocks, a))
			return false;
	} else if (om->type == OC_CMD_WRITE_OFF) {
		if (!remove_units(r, om, OC_REJECT_NONE, &r->write_offs, a))
			return false;
	} else if (om->type == OC_CMD_ADJUST_STOCK) {
		if (!adjust(r, om, a))
			return false;
	} else if (om->type == OC_CMD_SET_SAFETY_STOCK) {
		if (!set_safety(r, om, a))
			return false;
	} else if ((om->type >= OC_CMD_PICK_CONFIRMED && om->type <= OC_CMD_DELIVERED) ||
		   om->type == OC_CMD_DELIVERY_EXCEPTION) {
		if (!fulfilment_step(r, om, &a))
			return false;
	} else if (om->type == OC_CMD_RETURN_REQUESTED) {
		if (!rma(r, om, a))
			return false;
	} else if (om->type == OC_CMD_RETURN_RECEIVED) {
		if (!return_received(r, om, a))
			return false;
	} else if (om->type == OC_CMD_PICK_SHORT) {
		if (!results_ready(r, om) || !short_pick(r, om, a))
			return false;
	} else if (om->type == OC_CMD_PAYMENT_AUTHORIZED || om->type == OC_CMD_PAYMENT_DECLINED) {
		if (!payment_step(r, om, a))
			return false;
	} else if (om->type == OC_CMD_REVIEW_APPROVE || om->type == OC_CMD_REVIEW_REJECT) {
		if (!review(r, om, a))
			return false;
	} else if (om->type == OC_CMD_REFUND) {
		refund(r, om, a);
	} else if (om->type == OC_CMD_PAYMENT_RECEIVED) {
		payment_received(r, om, a);
	} else if (om->type == OC_CMD_BLOCK) {
		answer(a, om, OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* validate changed the list */
	} else if (!cancel(r, om, a)) {
		return false;
	}
	if (a->status == OC_STATUS_REJECTED && !(a->flags & OC_RESPONSE_DUPLICATE)) {
		r->rejected[a->reason]++;
		if (a->type == OC_CMD_PLACE) { /* the analytics' rule (OC_EVENT_REJECTS) */
			struct oc_analytics_figures *f = channel_figures(r, OC_RESPONSE_CHANNEL(a));
			f->rejected++;
			f->rejected_by[a->reason < OC_REJECT_REASON_COUNT ? a->reason : 0]++;
		}
	}
	return true;
}

/* Orders ahead whose first SKU's row of free units, and whose customer's entry in the
 * customers' map, are fetched early, so that planning and new_record find them in cache. */
#define PREFETCH_ORDERS 8

static void prefetch_order(struct oc_route *r, uint32_t i)
{
	const struct oc_order_msg *om = oc_ring_spsc_read_slot(r->order, i);
	if (om->line_count)
		__builtin_prefetch(&r->free_units[(size_t)om->first_sku * r->warehouses]);
	if (om->type == OC_CMD_PLACE && om->customer && r->catalog->customer_index)
		oc_u64map_prefetch(&r->customers, oc_hash_u64(om->customer));
}

uint32_t oc_route_step(void *arg)
{
	struct oc_route *r = arg;
	uint32_t n = oc_ring_spsc_readable(r->order, OC_STAGE_BURST_MAX);
	if (n > OC_STAGE_BURST_MAX)
		n = OC_STAGE_BURST_MAX;
	uint32_t done = 0;
	uint64_t last_seq = 0;
	r->outs = 0;
	for (uint32_t i = 0; i < PREFETCH_ORDERS && i < n; i++)
		prefetch_order(r, i);
	for (; done < n; done++) {
		if (done + PREFETCH_ORDERS < n)
			prefetch_order(r, done + PREFETCH_ORDERS);
		const struct oc_order_msg *om = oc_ring_spsc_read_slot(r->order, done);
		if (!expire_leases(r, om) ||
		    oc_ring_spsc_writable(r->out, r->outs + 1) < r->outs + 1 ||
		    !route_one(r, om))
			break;
		r->outs++;
		if (r->waves_full) /* after the answer of the command that filled them */
			oc_waves_release_full(r, om);
		last_seq = om->seq;
	}
	if (done == 0 && r->outs == 0)
		return 0;
	for (uint32_t s = 0; s < r->shards; s++) {
		if (r->taken[s])
			oc_ring_spsc_release(&r->result[s], r->taken[s]);
		if (r->released[s]) {
			oc_ring_spsc_commit(&r->release[s], r->released[s]);
			oc_worker_wake(r->wake_shard[s]);
		}
		r->taken[s] = r->released[s] = 0;
	}
	oc_ring_spsc_commit(r->out, r->outs);
	if (done) {
		oc_ring_spsc_release(r->order, done);
		/* Pairs with the acquire load in the sequencer's window_room: the releases and
		 * answers of every command up to last_seq were committed before this store. */
		atomic_store_explicit(&r->done_seq, last_seq, memory_order_release);
	}
	/* A hint for the sequencer's ticks (the decisions come from logged timestamps). */
	atomic_store_explicit(&r->lease_next_ms, next_deadline(r), memory_order_relaxed);
	oc_worker_wake(r->wake_egress);
	return r->outs; /* at least one per command done */
}

uint64_t oc_route_hash(const struct oc_route *r, uint64_t seed)
{
	const struct oc_dataset *d = r->catalog->data;
	size_t cells = (size_t)d->sku_count * d->warehouse_count * sizeof(uint32_t);
	uint64_t h = XXH3_64bits_withSeed(r->free_units, cells, seed);
	h = XXH3_64bits_withSeed(r->on_hand, cells, h);
	h = XXH3_64bits_withSeed(r->picked_units, cells, h);
	/* Which orders hold a lease, not when it ends: deadlines come from the wall clock, which
	 * differs between runs of the same stream. */
	for (uint32_t i = r->lease_head; i < r->lease_tail; i++)
		h = XXH3_64bits_withSeed(&r->leases[i].order_index, sizeof(uint32_t), h);
	for (uint32_t i = r->review_head; i < r->review_tail; i++)
		h = XXH3_64bits_withSeed(&r->reviews[i].order_index, sizeof(uint32_t), h);
	h = XXH3_64bits_withSeed(r->allocs, (size_t)r->alloc_count * sizeof(struct oc_alloc), h);
	h = XXH3_64bits_withSeed(r->links, (size_t)r->orders_seen * sizeof(uint32_t), h);
	h = XXH3_64bits_withSeed(r->channels, r->orders_seen, h);
	if (credit_bytes(r))
		h = XXH3_64bits_withSeed(r->open_cents, credit_bytes(r), h);
	h = oc_waves_hash(r, h);
	h = oc_backorders_hash(r, h);
	if (r->catalog->customer_index)
		h = oc_u64map_hash(&r->customers, h);
	/* Transitions without their timestamps (from the wall clock, as the leases'). */
	for (uint32_t i = 0; i < history_used(r); i++) {
		const struct oc_transition *t = &r->history[i];
		uint64_t v[3] = {t->seq, (uint64_t)t->order_index << 32 | t->prev,
				 (uint64_t)t->type << 8 | t->state};
		h = XXH3_64bits_withSeed(v, sizeof(v), h);
	}
	return XXH3_64bits_withSeed(r->orders, (size_t)r->orders_max * sizeof(struct oc_order_rec),
				    h);
}
