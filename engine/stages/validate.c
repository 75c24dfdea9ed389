/* validate.c: the validate stage. It owns the client-key table (key -> order index) and the
 * count of order indices given. For each command, in sequence order, it checks the fields
 * against the catalog, recognises a repeated key, gives a new order its index, scatters the
 * order's lines to the inventory shards that own their SKUs, and tells route about every
 * command (so route answers each exactly once, in order). It runs on one worker thread. */
#include <errno.h>
#include <string.h>

#include "stages/stages_internal.h"

int oc_validate_init(struct oc_validate *v, uint32_t orders_max)
{
	v->orders_max = orders_max;
	v->orders = 0;
	atomic_init(&v->validated_seq, 0);
	return oc_u64map_init(&v->keys, orders_max);
}

void oc_validate_destroy(struct oc_validate *v) { oc_u64map_destroy(&v->keys); }

/* Checks a place command's fields and resolves its SKUs to global indices. Returns the
 * reject reason, OC_REJECT_NONE when the order may go to the shards. */
static uint8_t check_place(const struct oc_catalog *cat, const struct oc_command *c,
			   uint32_t *sku /* OUT: [line] global index */)
{
	if (c->line_count > OC_ORDER_LINES_MAX)
		return OC_REJECT_TOO_MANY_LINES;
	if (c->line_count == 0 || c->key == 0 || c->customer == 0 || c->reserved != 0)
		return OC_REJECT_MALFORMED;
	if (c->region >= cat->data->region_count)
		return OC_REJECT_UNKNOWN_REGION;
	for (uint32_t i = 0; i < c->line_count; i++) {
		const struct oc_line *l = &c->lines[i];
		if (l->reserved != 0)
			return OC_REJECT_MALFORMED;
		if (l->sku == 0)
			return OC_REJECT_UNKNOWN_SKU;
		const struct oc_u64map_entry *e =
			oc_u64map_find(&cat->data->sku_index, l->sku, oc_hash_u64(l->sku));
		if (!e)
			return OC_REJECT_UNKNOWN_SKU;
		if (l->quantity == 0 || l->quantity > cat->line_quantity_max)
			return OC_REJECT_BAD_QUANTITY;
		sku[i] = e->value;
		for (uint32_t j = 0; j < i; j++)
			if (sku[j] == sku[i])
				return OC_REJECT_DUPLICATE_SKU;
	}
	return OC_REJECT_NONE;
}

/* Sends the lines of a new order to their shards (space was checked by the caller). */
static void scatter_lines(struct oc_validate *v, const struct oc_command *c, const uint32_t *sku,
			  struct oc_order_msg *om, uint32_t *pushed /* [shard] */)
{
	const struct oc_catalog *cat = v->catalog;
	for (uint32_t i = 0; i < c->line_count; i++) {
		uint32_t shard = cat->shard[sku[i]];
		struct oc_line_msg *lm = oc_ring_spsc_write_slot(&v->line[shard], pushed[shard]++);
		lm->seq = c->seq;
		lm->customer = c->customer;
		lm->sku_local = cat->local[sku[i]];
		lm->quantity = c->lines[i].quantity;
		om->shard[i] = (uint8_t)shard;
	}
	om->line_count = c->line_count;
}

static void handle_place(struct oc_validate *v, const struct oc_command *c, struct oc_order_msg *om,
			 uint32_t *pushed)
{
	uint32_t sku[OC_ORDER_LINES_MAX];
	om->reason = check_place(v->catalog, c, sku);
	if (om->reason != OC_REJECT_NONE)
		return;
	bool found;
	struct oc_u64map_entry *e = oc_u64map_upsert(&v->keys, c->key, oc_hash_u64(c->key), &found);
	if (!e) {
		om->reason = OC_REJECT_CAPACITY;
		return;
	}
	if (found) {
		om->flags = OC_ORDER_DUPLICATE;
		om->order_index = e->value;
		return;
	}
	e->value = v->orders++;
	om->order_index = e->value;
	scatter_lines(v, c, sku, om, pushed);
}

static void handle_cancel(struct oc_validate *v, const struct oc_command *c,
			  struct oc_order_msg *om)
{
	if (c->key == 0 || c->customer == 0 || c->line_count != 0 || c->reserved != 0) {
		om->reason = OC_REJECT_MALFORMED;
		return;
	}
	const struct oc_u64map_entry *e = oc_u64map_find(&v->keys, c->key, oc_hash_u64(c->key));
	if (!e) {
		om->reason = OC_REJECT_UNKNOWN_ORDER;
		return;
	}
	om->order_index = e->value;
}

/* Commands this turn may take: as many as wait, up to a burst, such that the order ring has
 * a slot for each and every shard's ring has room for all their lines on that shard. Rings
 * are sized so this rarely binds (the admission window bounds what is in flight). */
static uint32_t turn_size(struct oc_validate *v)
{
	uint32_t n = oc_ring_spsc_readable(v->cmd, OC_STAGE_BURST_MAX);
	if (n > OC_STAGE_BURST_MAX)
		n = OC_STAGE_BURST_MAX;
	uint32_t room = oc_ring_spsc_writable(v->order, n);
	if (n > room)
		n = room;
	for (uint32_t s = 0; s < v->shards && n; s++) {
		room = oc_ring_spsc_writable(&v->line[s], n * OC_ORDER_LINES_MAX) /
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
	uint64_t last_seq = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct oc_command *c = oc_ring_spsc_read_slot(v->cmd, i);
		struct oc_order_msg *om = oc_ring_spsc_write_slot(v->order, i);
		memset(om, 0, sizeof(*om));
		om->seq = c->seq;
		om->key = c->key;
		om->customer = c->customer;
		om->type = c->type;
		om->region = c->region;
		om->order_index = UINT32_MAX;
		if (c->type == OC_CMD_PLACE)
			handle_place(v, c, om, pushed);
		else if (c->type == OC_CMD_CANCEL)
			handle_cancel(v, c, om);
		else
			om->reason = OC_REJECT_MALFORMED;
		last_seq = c->seq;
	}
	for (uint32_t s = 0; s < v->shards; s++) {
		if (pushed[s]) {
			oc_ring_spsc_commit(&v->line[s], pushed[s]);
			oc_worker_wake(v->wake_shard[s]);
		}
	}
	oc_ring_spsc_commit(v->order, n);
	oc_ring_spsc_release(v->cmd, n);
	/* Pairs with the acquire load in the shards: every line of a command up to last_seq
	 * was committed to its shard's ring before this store. */
	atomic_store_explicit(&v->validated_seq, last_seq, memory_order_release);
	oc_worker_wake(v->wake_route);
	return n;
}
