/* validate.c: the validate stage. It owns the client-key table (key -> order index), the
 * count of order indices given and the fraud screening (fraud.h: it screens the places that
 * ask for it, and keeps the block list). For each command, in sequence order, it checks the
 * fields against the catalog, recognises a repeated key, gives a new order (or stock change) its
 * index, scatters the order's lines to the inventory shards that own their SKUs (a write-off
 * or a cycle count's decrease reserves its units there too, safety stock is set there; a
 * restock or a refund goes to route alone), and tells route
 * about every command (so route answers each exactly once, in order). At a snapshot barrier
 * it writes its part and passes the barrier to every shard and to route. It runs on one
 * worker thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "stages/stages_internal.h"

int oc_validate_init(struct oc_validate *v, uint32_t orders_max,
		     const struct oc_screening *screening, uint32_t screen_entries_max)
{
	v->orders_max = orders_max;
	v->orders = 0;
	atomic_init(&v->validated_seq, 0);
	snprintf(v->part.name, sizeof(v->part.name), "validate");
	int rc = oc_u64map_init(&v->keys, orders_max);
	return rc ? rc : oc_fraud_init(&v->fraud, screening, screen_entries_max);
}

void oc_validate_destroy(struct oc_validate *v)
{
	oc_fraud_destroy(&v->fraud);
	oc_u64map_destroy(&v->keys);
	oc_snap_buf_free(&v->part.buf);
}

/* Checks the lines of a place or an RMA and finds where their SKUs live (the caller checked
 * line_count). Returns the reject reason, OC_REJECT_NONE when they may go to the shards.
 * sku0_hash is the hash of line 0's SKU, computed ahead for the prefetch. */
static uint8_t check_lines(const struct oc_catalog *cat, const struct oc_command *c,
			   uint64_t sku0_hash, uint32_t *sku /* OUT: [line] global index */,
			   uint32_t *place /* OUT: [line] OC_PLACE */)
{
	for (uint32_t i = 0; i < c->line_count; i++) {
		const struct oc_line *l = &c->lines[i];
		if (l->reserved != 0)
			return OC_REJECT_MALFORMED;
		if (l->sku == 0)
			return OC_REJECT_UNKNOWN_SKU;
		const struct oc_u64map_entry *e = oc_u64map_find(
			&cat->by_sku, l->sku, i == 0 ? sku0_hash : oc_hash_u64(l->sku));
		if (!e)
			return OC_REJECT_UNKNOWN_SKU;
		if (l->quantity == 0 || l->quantity > cat->line_quantity_max)
			return OC_REJECT_BAD_QUANTITY;
		sku[i] = e->value;
		place[i] = e->aux;
		for (uint32_t j = 0; j < i; j++)
			if (sku[j] == sku[i])
				return OC_REJECT_DUPLICATE_SKU;
	}
	return OC_REJECT_NONE;
}

/* Checks a place command's fields and finds where its SKUs live (check_lines). A replacement
 * names a card-less order by order_key; a screened place's fields are well formed, and
 * screening is on. */
static uint8_t check_place(const struct oc_validate *v, const struct oc_command *c,
			   uint64_t sku0_hash, uint32_t *sku, uint32_t *place)
{
	uint32_t known = OC_PLACE_CARD | OC_PLACE_REPLACEMENT | OC_PLACE_SCREEN | OC_PLACE_ACCOUNT |
			 OC_PLACE_DAYS_MASK | OC_PLACE_CHANNEL_MASK;
	bool replacement = c->flags & OC_PLACE_REPLACEMENT;
	bool screen = c->flags & OC_PLACE_SCREEN;
	bool account = c->flags & OC_PLACE_ACCOUNT;
	if (c->line_count > OC_ORDER_LINES_MAX)
		return OC_REJECT_TOO_MANY_LINES;
	if (c->line_count == 0 || c->key == 0 || c->customer == 0 || (c->flags & ~known) ||
	    OC_PLACE_CHANNEL_OF(c->flags) >= OC_CHANNEL_COUNT ||
	    (replacement && ((c->flags & (OC_PLACE_CARD | OC_PLACE_SCREEN | OC_PLACE_ACCOUNT |
					  OC_PLACE_DAYS_MASK | OC_PLACE_CHANNEL_MASK)) ||
			     c->order_key == 0)) ||
	    (account && (c->flags & OC_PLACE_CARD)) ||
	    (screen && !oc_fraud_screen_ok(&c->screen)))
		return OC_REJECT_MALFORMED;
	if (screen && !v->fraud.rules)
		return OC_REJECT_NOT_ENABLED;
	if (c->region >= v->catalog->data->region_count)
		return OC_REJECT_UNKNOWN_REGION;
	return check_lines(v->catalog, c, sku0_hash, sku, place);
}

/* Sends the lines of a new order (or an RMA: flags OC_LINE_RETURN) to their shards (the turn
 * made room for them). */
static void scatter_lines(struct oc_validate *v, const struct oc_command *c, const uint32_t *sku,
			  const uint32_t *place, uint32_t flags, struct oc_order_msg *om,
			  uint32_t *pushed)
{
	for (uint32_t i = 0; i < c->line_count; i++) {
		uint32_t shard = OC_PLACE_SHARD(place[i]);
		struct oc_line_msg *lm = oc_ring_spsc_write_slot(&v->line[shard], pushed[shard]++);
		*lm = (struct oc_line_msg){.seq = c->seq, .customer = c->customer,
					   .sku_local = OC_PLACE_LOCAL(place[i]),
					   .quantity = c->lines[i].quantity, .sku = sku[i],
					   .flags = flags};
		om->shard[i] = (uint8_t)shard;
	}
	om->line_count = c->line_count;
	om->first_sku = sku[0];
}

/* Hashes of a command's key and first SKU, computed PREFETCH_COMMANDS ahead so that the
 * two table entries they lead to are on their way from memory by the command's turn. */
struct ahead {
	uint64_t key_hash;
	uint64_t sku0_hash;
};

#define PREFETCH_COMMANDS 8

/* The command slot itself comes from the submitting core: it is fetched twice as far ahead,
 * so that hashing it PREFETCH_COMMANDS ahead does not wait. */
static void prefetch_slot(struct oc_validate *v, uint32_t i, uint32_t n)
{
	if (i + 2 * PREFETCH_COMMANDS < n)
		__builtin_prefetch(oc_ring_spsc_read_slot(v->cmd, i + 2 * PREFETCH_COMMANDS));
}

static void prefetch_command(struct oc_validate *v, uint32_t i, struct ahead *a)
{
	const struct oc_command *c = oc_ring_spsc_read_slot(v->cmd, i);
	a->key_hash = oc_hash_u64(c->key);
	oc_u64map_prefetch(&v->keys, a->key_hash);
	if ((c->type == OC_CMD_PLACE || c->type == OC_CMD_RETURN_REQUESTED ||
	     c->type == OC_CMD_PICK_SHORT) &&
	    c->line_count) {
		a->sku0_hash = oc_hash_u64(c->lines[0].sku);
		oc_u64map_prefetch(&v->catalog->by_sku, a->sku0_hash);
	}
}

/* Gives a new key its order index: false when the command goes no further (the table is
 * full, or the key was seen: route answers from the original). */
static bool new_key(struct oc_validate *v, const struct oc_command *c, const struct ahead *a,
		    struct oc_order_msg *om)
{
	bool found;
	struct oc_u64map_entry *e = oc_u64map_upsert(&v->keys, c->key, a->key_hash, &found);
	if (!e) {
		om->reason = OC_REJECT_CAPACITY;
		return false;
	}
	om->order_index = found ? e->value : v->orders++;
	e->value = om->order_index;
	om->flags |= found ? OC_ORDER_DUPLICATE : 0; /* om starts zeroed */
	return !found;
}

/* The index of the order named by c->order_key (an RMA, a refund, a replacement), or
 * UINT32_MAX having set unknown_order. */
static uint32_t target_of(struct oc_validate *v, const struct oc_command *c,
			  struct oc_order_msg *om)
{
	const struct oc_u64map_entry *e =
		oc_u64map_find(&v->keys, c->order_key, oc_hash_u64(c->order_key));
	if (!e)
		om->reason = OC_REJECT_UNKNOWN_ORDER;
	return e ? e->value : UINT32_MAX;
}

/* Sends a new order's lines to the shards and tells route how it is paid and what it is. */
static void send_place(struct oc_validate *v, const struct oc_command *c, const uint32_t *sku,
		       const uint32_t *place, struct oc_order_msg *om, uint32_t *pushed)
{
	scatter_lines(v, c, sku, place, c->flags & OC_PLACE_REPLACEMENT ? OC_LINE_REPLACEMENT : 0,
		      om, pushed);
	om->flags |= c->flags & OC_PLACE_CARD ? OC_ORDER_CARD : 0;
	om->flags |= c->flags & OC_PLACE_ACCOUNT ? OC_ORDER_ACCOUNT : 0;
}

/* A screened place (docs/lifecycle.md, "Fraud and review"): the rules decide before any stock
 * is held. Rejected, it takes its key and a record (a retry answers the rejection) but sends
 * no line; let through (accepted or held), it is remembered for the next screenings and goes
 * on as any place, held ones flagged for route. */
static void handle_screened(struct oc_validate *v, const struct oc_command *c,
			    const struct ahead *a, const uint32_t *sku, const uint32_t *place,
			    struct oc_order_msg *om, uint32_t *pushed)
{
	if (oc_u64map_find(&v->keys, c->key, a->key_hash)) { /* a retry: answered as first */
		new_key(v, c, a, om);
		return;
	}
	uint64_t amount = 0;
	for (uint32_t i = 0; i < c->line_count; i++)
		amount += (uint64_t)v->catalog->data->skus[sku[i]].price_cents * c->lines[i].quantity;
	struct oc_fraud_verdict verdict = oc_fraud_decide(&v->fraud, c, amount);
	bool through = verdict.outcome != OC_FRAUD_REJECT;
	if (!new_key(v, c, a, om))
		return; /* the key table is full: capacity */
	v->fraud.screened++;
	om->place.rule = verdict.reason;
	if (!through) {
		om->flags |= OC_ORDER_SCREENED_OUT;
		return;
	}
	oc_fraud_record(&v->fraud, c, amount);
	send_place(v, c, sku, place, om, pushed);
	om->flags |= verdict.outcome == OC_FRAUD_HOLD ? OC_ORDER_HOLD : 0;
}

static void handle_place(struct oc_validate *v, const struct oc_command *c, const struct ahead *a,
			 struct oc_order_msg *om, uint32_t *pushed)
{
	uint32_t sku[OC_ORDER_LINES_MAX], place[OC_ORDER_LINES_MAX];
	/* Before the checks, so that a refusal says the channel too (route: one past the last is
	 * none). A replacement has none of its own: its order's is route's to find, and its
	 * target takes the channel's bytes below. */
	if (c->flags & OC_PLACE_REPLACEMENT)
		om->flags |= OC_ORDER_REPLACEMENT;
	else
		om->place.channel = (uint8_t)OC_PLACE_CHANNEL_OF(c->flags);
	om->reason = check_place(v, c, a->sku0_hash, sku, place);
	if (om->reason != OC_REJECT_NONE)
		return;
	if (c->flags & OC_PLACE_REPLACEMENT) { /* found before the upsert below writes the table */
		om->target = target_of(v, c, om);
		if (om->reason)
			return;
	} else { /* a replacement has its order's speed and channel */
		om->place.days = (uint8_t)OC_PLACE_DAYS_OF(c->flags);
	}
	if (c->flags & OC_PLACE_SCREEN)
		handle_screened(v, c, a, sku, place, om, pushed);
	else if (new_key(v, c, a, om))
		send_place(v, c, sku, place, om, pushed);
}

/* An RMA or a short pick: keyed like a refund, naming the order by order_key, with lines
 * (an RMA's: flags its reason, region 0; a short pick's: flags 0, region a warehouse). An
 * RMA's lines travel through the shards reserving nothing, so that route gets each line's
 * SKU index and price; a short pick's are reserved again there, as a write-off's (no purchase
 * counter, safety stock may go), for route to re-route them. Route checks them against the
 * order. */
static void handle_order_lines(struct oc_validate *v, const struct oc_command *c,
			       const struct ahead *a, struct oc_order_msg *om, uint32_t *pushed)
{
	uint32_t sku[OC_ORDER_LINES_MAX], place[OC_ORDER_LINES_MAX];
	bool rma = c->type == OC_CMD_RETURN_REQUESTED;
	if (c->line_count > OC_ORDER_LINES_MAX) {
		om->reason = OC_REJECT_TOO_MANY_LINES;
		return;
	}
	if (c->line_count == 0 || c->key == 0 || c->customer == 0 || c->order_key == 0 ||
	    (rma && (c->region != 0 || c->flags < OC_RETURN_DAMAGED || c->flags > OC_RETURN_OTHER)) ||
	    (!rma && (c->flags & ~OC_PICK_SHORT_BACKORDER))) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	if (!rma && c->region >= v->catalog->data->warehouse_count) {
		om->reason = OC_REJECT_UNKNOWN_REGION;
		return;
	}
	om->reason = check_lines(v->catalog, c, a->sku0_hash, sku, place);
	if (om->reason)
		return;
	uint32_t target = target_of(v, c, om);
	if (om->reason || !new_key(v, c, a, om))
		return;
	scatter_lines(v, c, sku, place, rma ? OC_LINE_RETURN : OC_LINE_WRITE_OFF, om, pushed);
	om->target = target;
	if (rma)
		om->detail = (uint16_t)c->flags;
	else if (c->flags & OC_PICK_SHORT_BACKORDER) /* region: the short pick's warehouse */
		om->flags |= OC_ORDER_BACKORDER;
}

/* Sends a command's one line to the shard of its SKU (catalog entry e). */
static void send_line(struct oc_validate *v, const struct oc_command *c,
		      const struct oc_u64map_entry *e, uint32_t quantity, uint32_t flags,
		      struct oc_order_msg *om, uint32_t *pushed)
{
	uint32_t shard = OC_PLACE_SHARD(e->aux);
	*(struct oc_line_msg *)oc_ring_spsc_write_slot(&v->line[shard], pushed[shard]++) =
		(struct oc_line_msg){.seq = c->seq, .sku_local = OC_PLACE_LOCAL(e->aux),
				     .quantity = quantity, .sku = e->value, .flags = flags};
	om->shard[0] = (uint8_t)shard;
	om->line_count = 1;
	om->first_sku = e->value;
}

/* The catalog entry of a stock command's one line, or NULL having set the reason: malformed
 * unless it has one line with nothing reserved, no flags and a customer (the operator); with
 * `warehouse`, a warehouse index in region that the dataset has; an unknown SKU; units over
 * OC_LIMIT_SKU_UNITS_MAX, or 0 when `zero_ok` is false. */
static const struct oc_u64map_entry *stock_line(const struct oc_validate *v,
						const struct oc_command *c, bool warehouse,
						bool zero_ok, struct oc_order_msg *om)
{
	const struct oc_line *l = &c->lines[0];
	const struct oc_u64map_entry *e = NULL;
	if (c->line_count != 1 || c->customer == 0 || c->flags || l->reserved)
		om->reason = OC_REJECT_MALFORMED;
	else if (warehouse && c->region >= v->catalog->data->warehouse_count)
		om->reason = OC_REJECT_UNKNOWN_REGION;
	else if (!l->sku || !(e = oc_u64map_find(&v->catalog->by_sku, l->sku, oc_hash_u64(l->sku))))
		om->reason = OC_REJECT_UNKNOWN_SKU;
	else if ((l->quantity == 0 && !zero_ok) || l->quantity > OC_LIMIT_SKU_UNITS_MAX)
		om->reason = OC_REJECT_BAD_QUANTITY;
	return om->reason ? NULL : e;
}

/* A restock, write-off or cycle count: one line, a warehouse in `region`, a key of its own.
 * Units added are route's to bound (it holds the units on hand); units removed (a write-off, a
 * count below the expected on hand) are first reserved in the shard, so that no order can
 * take them meanwhile. */
static void handle_stock_change(struct oc_validate *v, const struct oc_command *c,
				const struct ahead *a, struct oc_order_msg *om, uint32_t *pushed)
{
	bool count = c->type == OC_CMD_ADJUST_STOCK;
	if (c->key == 0) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	const struct oc_u64map_entry *e = stock_line(v, c, true, count, om);
	if (!e)
		return;
	if (count && c->expected_units > OC_LIMIT_SKU_UNITS_MAX) {
		om->reason = OC_REJECT_BAD_QUANTITY;
		return;
	}
	if (!new_key(v, c, a, om))
		return;
	om->first_sku = e->value;
	om->quantity = c->lines[0].quantity;
	if (count) {
		om->adjust.expected_units = c->expected_units;
		if (c->lines[0].quantity < c->expected_units)
			send_line(v, c, e, (uint32_t)c->expected_units - c->lines[0].quantity,
				  OC_LINE_WRITE_OFF, om, pushed);
	} else if (c->type == OC_CMD_WRITE_OFF) {
		send_line(v, c, e, om->quantity, OC_LINE_WRITE_OFF, om, pushed);
	}
}

/* Safety stock: the SKU's shard holds it (and decides with it); no key. */
static void handle_safety(struct oc_validate *v, const struct oc_command *c,
			  struct oc_order_msg *om, uint32_t *pushed)
{
	if (c->key != 0 || c->region != 0) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	const struct oc_u64map_entry *e = stock_line(v, c, false, true, om);
	if (e)
		send_line(v, c, e, c->lines[0].quantity, OC_LINE_SAFETY, om, pushed);
}

/* The flags a step may have: a delivery exception's kind (one), a return's inspection, a
 * pack's failed quality check. */
static bool step_flags_ok(const struct oc_command *c)
{
	if (c->type == OC_CMD_PACK_CONFIRMED)
		return (c->flags & ~OC_PACK_QC_FAILED) == 0;
	if (c->type == OC_CMD_DELIVERY_EXCEPTION)
		return c->flags == OC_EXCEPTION_LOST || c->flags == OC_EXCEPTION_DAMAGED;
	if (c->type == OC_CMD_RETURN_RECEIVED)
		return (c->flags & ~OC_RETURN_RESTOCK) == 0;
	return c->flags == 0;
}

/* A cancel, a fulfilment, payment, exception step or a return received: finds the order (the
 * RMA) by its key; route decides. */
static void handle_order_step(struct oc_validate *v, const struct oc_command *c,
			      const struct ahead *a, struct oc_order_msg *om)
{
	if (c->key == 0 || c->customer == 0 || c->line_count != 0 || !step_flags_ok(c)) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	om->detail = (uint16_t)c->flags; /* in place of the region, which a step has not */
	const struct oc_u64map_entry *e = oc_u64map_find(&v->keys, c->key, a->key_hash);
	if (!e) {
		om->reason = OC_REJECT_UNKNOWN_ORDER;
		return;
	}
	om->order_index = e->value;
}

/* A refund: keyed like a stock change (its own record), naming the order by order_key; route
 * decides. An unknown order is answered before the refund's key takes a record. */
static void handle_refund(struct oc_validate *v, const struct oc_command *c,
			  const struct ahead *a, struct oc_order_msg *om)
{
	if (c->key == 0 || c->customer == 0 || c->order_key == 0 || c->line_count != 0 ||
	    c->region != 0 || c->flags != 0) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	uint32_t order_index = target_of(v, c, om); /* before the upsert below writes the table */
	if (om->reason || !new_key(v, c, a, om))
		return;
	om->refund.amount_cents = c->amount_cents;
	om->refund.order_index = order_index;
}

/* Part "validate": orders u32, then the key table (oc_snap_put_u64map), then the screening's
 * state when it is on (oc_fraud_put). */
static int build_part(struct oc_validate *v, uint64_t seq)
{
	struct oc_snap_buf *b = &v->part.buf;
	oc_snap_part_begin(b, OC_SNAP_VALIDATE, 0, seq);
	oc_snap_put_u32(b, v->orders);
	oc_snap_put_u64map(b, &v->keys);
	oc_fraud_put(&v->fraud, b);
	return oc_snap_part_end(b);
}

int oc_validate_restore(struct oc_validate *v, struct oc_snap_reader *r, uint64_t seq)
{
	uint32_t orders = oc_snap_get_u32(r);
	if (r->short_read || orders > v->orders_max || oc_snap_get_u64map(r, &v->keys) ||
	    oc_fraud_get(&v->fraud, r) || !oc_snap_reader_done(r))
		return -EINVAL;
	v->orders = orders;
	atomic_store_explicit(&v->validated_seq, seq, memory_order_relaxed); /* before start */
	return 0;
}

/* The snapshot barrier: builds this stage's part and hands it to the snapshot writer (a live
 * barrier), then sends the barrier to every shard and tells route. A replayed barrier only
 * takes its place in the stream. */
static void handle_barrier(struct oc_validate *v, const struct oc_command *c,
			   struct oc_order_msg *om, uint32_t *pushed)
{
	om->order_index = v->orders;
	if (c->flags != OC_BARRIER_WRITE)
		return;
	oc_snapshotter_reclaim(v->snapshotter, &v->part);
	int rc = build_part(v, c->seq);
	if (rc)
		oc_log(OC_LOG_ERROR, "msg=\"snapshot part failed\" part=validate seq=%llu "
				"error=\"%s\"", (unsigned long long)c->seq, strerror(-rc));
	else
		oc_snapshotter_hand(v->snapshotter, &v->part, c->seq);
	om->flags = OC_ORDER_BARRIER_WRITE;
	om->reason = rc != 0;
	for (uint32_t s = 0; s < v->shards; s++)
		*(struct oc_line_msg *)oc_ring_spsc_write_slot(&v->line[s], pushed[s]++) =
			(struct oc_line_msg){.seq = c->seq, .sku = OC_LINE_BARRIER};
}

/* A customer's orders: route holds the chains; a page starts before the order order_key. */
static void handle_query_customer(struct oc_validate *v, const struct oc_command *c,
				  struct oc_order_msg *om)
{
	if (c->flags || c->key || !c->customer || c->line_count || c->region) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	if (!v->catalog->customer_index) {
		om->reason = OC_REJECT_NOT_ENABLED;
		return;
	}
	if (!c->order_key)
		return;
	const struct oc_u64map_entry *e =
		oc_u64map_find(&v->keys, c->order_key, oc_hash_u64(c->order_key));
	if (!e)
		om->reason = OC_REJECT_UNKNOWN_ORDER;
	else
		om->order_index = e->value;
}

/* Queries: an order (or its history) by key is found here; by sequence number, by route
 * (which holds the records in sequence order); a SKU's stock is read by its shard, with a
 * line that reserves nothing (a reconciliation too, for the shard's count and safety stock);
 * its stock in one warehouse by route (which holds the warehouses' counts); the counters by
 * route, whose they are (a page past them is answered empty, not refused). */
static void handle_query(struct oc_validate *v, const struct oc_command *c,
			 const struct ahead *a, struct oc_order_msg *om, uint32_t *pushed)
{
	if (c->type == OC_CMD_QUERY_CUSTOMER) {
		handle_query_customer(v, c, om);
		return;
	}
	if (c->type == OC_CMD_QUERY_COUNTERS) {
		if (c->flags || c->key || c->line_count)
			om->reason = OC_REJECT_MALFORMED;
		return;
	}
	bool stock = c->type == OC_CMD_QUERY_STOCK || c->type == OC_CMD_QUERY_STOCK_AT ||
		     c->type == OC_CMD_QUERY_RECONCILE;
	if (c->flags != 0 || (!stock && (c->key == 0 || c->line_count != 0)) ||
	    (stock && (c->line_count != 1 || c->lines[0].quantity != 0 || c->lines[0].reserved))) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	if (c->type == OC_CMD_QUERY_ORDER || c->type == OC_CMD_QUERY_HISTORY) {
		const struct oc_u64map_entry *e = oc_u64map_find(&v->keys, c->key, a->key_hash);
		if (!e)
			om->reason = OC_REJECT_UNKNOWN_ORDER;
		else
			om->order_index = e->value;
		return;
	}
	if (!stock)
		return;
	const struct oc_u64map_entry *e =
		c->lines[0].sku ? oc_u64map_find(&v->catalog->by_sku, c->lines[0].sku,
						 oc_hash_u64(c->lines[0].sku))
				: NULL;
	if (!e) {
		om->reason = OC_REJECT_UNKNOWN_SKU;
		return;
	}
	if (c->type != OC_CMD_QUERY_STOCK && c->region >= v->catalog->data->warehouse_count) {
		om->reason = OC_REJECT_UNKNOWN_REGION;
		return;
	}
	if (c->type == OC_CMD_QUERY_STOCK_AT) { /* route holds the warehouses' counts */
		om->first_sku = e->value;
		return;
	}
	send_line(v, c, e, 0, OC_LINE_QUERY, om, pushed);
}

/* Commands this turn may take: as many as wait, up to a burst, such that the order ring has
 * a slot for each and every shard's ring has room for all their lines on that shard. Rings
 * are sized so this rarely binds (the admission window bounds what is in flight). */
static uint32_t turn_size(struct oc_validate *v)
{
	uint32_t n = oc_ring_spsc_transfer_count(v->cmd, v->order, OC_STAGE_BURST_MAX);
	for (uint32_t s = 0; s < v->shards && n; s++) {
		uint32_t room = oc_ring_spsc_writable(&v->line[s], n * OC_ORDER_LINES_MAX) /
		       OC_ORDER_LINES_MAX;
		if (n > room)
			n = room;
	}
	return n;
}

uint32_t oc_validate_step(void *arg)
{
	struct oc_validate *v = arg;
	uint32_t n = turn_size(v);
	if (n == 0)
		return 0;
	uint32_t pushed[OC_LIMIT_SHARDS_MAX] = {0};
	struct ahead ahead[OC_STAGE_BURST_MAX];
	uint64_t last_seq = 0;
	for (uint32_t i = 0; i < 2 * PREFETCH_COMMANDS && i < n; i++)
		__builtin_prefetch(oc_ring_spsc_read_slot(v->cmd, i));
	for (uint32_t i = 0; i < PREFETCH_COMMANDS && i < n; i++)
		prefetch_command(v, i, &ahead[i]);
	for (uint32_t i = 0; i < n; i++) {
		prefetch_slot(v, i, n);
		if (i + PREFETCH_COMMANDS < n)
			prefetch_command(v, i + PREFETCH_COMMANDS, &ahead[i + PREFETCH_COMMANDS]);
		const struct oc_command *c = oc_ring_spsc_read_slot(v->cmd, i);
		struct oc_order_msg *om = oc_ring_spsc_write_slot(v->order, i);
		memset(om, 0, sizeof(*om));
		om->seq = c->seq;
		om->key = c->key;
		om->customer = c->customer;
		om->type = c->type;
		om->region = c->region;
		uint64_t ts_ms = c->ts_ns / 1000000u;
		om->ts_ms_high = (uint16_t)(ts_ms >> 32);
		om->ts_ms_low = (uint32_t)ts_ms;
		om->order_index = UINT32_MAX;
		if (c->type == OC_CMD_PLACE)
			handle_place(v, c, &ahead[i], om, pushed);
		else if (c->type == OC_CMD_CANCEL ||
			 (c->type >= OC_CMD_PICK_CONFIRMED && c->type <= OC_CMD_DELIVERED) ||
			 c->type == OC_CMD_PAYMENT_AUTHORIZED || c->type == OC_CMD_PAYMENT_DECLINED ||
			 c->type == OC_CMD_DELIVERY_EXCEPTION || c->type == OC_CMD_RETURN_RECEIVED ||
			 c->type == OC_CMD_REVIEW_APPROVE || c->type == OC_CMD_REVIEW_REJECT ||
			 c->type == OC_CMD_PAYMENT_RECEIVED)
			handle_order_step(v, c, &ahead[i], om);
		else if (c->type == OC_CMD_RETURN_REQUESTED || c->type == OC_CMD_PICK_SHORT)
			handle_order_lines(v, c, &ahead[i], om, pushed);
		else if (c->type == OC_CMD_SNAPSHOT)
			handle_barrier(v, c, om, pushed);
		else if (c->type == OC_CMD_TICK)
			; /* only its timestamp matters, to route */
		else if (oc_cmd_is_query(c->type))
			handle_query(v, c, &ahead[i], om, pushed);
		else if (c->type == OC_CMD_RESTOCK || c->type == OC_CMD_WRITE_OFF ||
			 c->type == OC_CMD_ADJUST_STOCK)
			handle_stock_change(v, c, &ahead[i], om, pushed);
		else if (c->type == OC_CMD_SET_SAFETY_STOCK)
			handle_safety(v, c, om, pushed);
		else if (c->type == OC_CMD_REFUND)
			handle_refund(v, c, &ahead[i], om);
		else if (c->type == OC_CMD_BLOCK)
			om->reason = oc_fraud_block(&v->fraud, c); /* route only answers */
		else
			om->reason = OC_REJECT_MALFORMED;
		last_seq = c->seq;
	}
	for (uint32_t s = 0; s < v->shards; s++)
		if (pushed[s])
			oc_ring_spsc_commit(&v->line[s], pushed[s]);
	oc_ring_spsc_commit(v->order, n);
	oc_ring_spsc_release(v->cmd, n);
	/* Pairs with the acquire load in the shards: every line of a command up to last_seq
	 * was committed to its shard's ring before this store. */
	atomic_store_explicit(&v->validated_seq, last_seq, memory_order_release);
	/* Every shard, not only those given lines: a shard with releases waiting may apply
	 * them now that validated_seq moved (docs/architecture.md, no deadlock, point 4). */
	for (uint32_t w = 0; w < v->inventory_workers; w++)
		oc_worker_wake(v->wake_inventory[w]);
	oc_worker_wake(v->wake_route);
	return n;
}
