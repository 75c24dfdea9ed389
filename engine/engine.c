/* engine.c: the embedding API (ordercore.h). It owns the engine object: the loaded dataset,
 * the catalog's SKU-to-shard map, every ring, every stage and every worker, all allocated
 * in oc_engine_create. It wires the pipeline into the configured topology (which stages run
 * on which worker thread), starts and stops the workers, and answers the read-only queries
 * after stop. The submit and poll calls run on the application's threads. */
#include <errno.h>
#include <inttypes.h>
#include <mimalloc.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/limits.h"
#include "engine_test.h"
#include "core/hash.h"
#include "engine_internal.h"

/* The reasons but none, as (enum value's suffix, name): one list for their names and for the
 * counters' names of rejections and holds by reason. */
#define REASONS(X)                                                                         \
	X(MALFORMED, "malformed")                                                          \
	X(TOO_MANY_LINES, "too_many_lines")                                                \
	X(UNKNOWN_SKU, "unknown_sku")                                                      \
	X(BAD_QUANTITY, "bad_quantity")                                                    \
	X(DUPLICATE_SKU, "duplicate_sku")                                                  \
	X(UNKNOWN_REGION, "unknown_region")                                                \
	X(OUT_OF_STOCK, "out_of_stock")                                                    \
	X(LIMIT_EXCEEDED, "limit_exceeded")                                                \
	X(KEY_CONFLICT, "key_conflict")                                                    \
	X(UNKNOWN_ORDER, "unknown_order")                                                  \
	X(NOT_CANCELLABLE, "not_cancellable")                                              \
	X(CAPACITY, "capacity")                                                            \
	X(UNAVAILABLE, "unavailable")                                                      \
	X(INVALID_STATE, "invalid_state")                                                  \
	X(LEASE_EXPIRED, "lease_expired")                                                  \
	X(BAD_AMOUNT, "bad_amount")                                                        \
	X(NOT_ENABLED, "not_enabled")                                                      \
	X(STALE_COUNT, "stale_count")                                                      \
	X(BLOCKED, "blocked")                                                              \
	X(BAD_ADDRESS, "bad_address")                                                      \
	X(UNSERVICEABLE, "unserviceable")                                                  \
	X(CUSTOMER_VELOCITY, "customer_velocity")                                          \
	X(CARD_VELOCITY, "card_velocity")                                                  \
	X(ADDRESS_VELOCITY, "address_velocity")                                            \
	X(AMOUNT_HISTORY, "amount_history")                                                \
	X(COUNTRY_MISMATCH, "country_mismatch")                                            \
	X(NEW_ACCOUNT, "new_account")                                                      \
	X(CREDIT_LIMIT, "credit_limit")                                                    \
	X(REVIEW_EXPIRED, "review_expired")                                                \
	X(NO_CARRIER, "no_carrier")                                                        \
	X(BACKORDERED, "backordered")

#define REASON_NAME(id, name) [OC_REJECT_##id] = name,
static const char *const reason_names[OC_REJECT_REASON_COUNT] = {
	[OC_REJECT_NONE] = "none", REASONS(REASON_NAME)};

#define REJECTED_NAME(id, name) [OC_COUNTER_REJECTED_BY(OC_REJECT_##id)] = "rejected_" name,
#define HELD_NAME(id, name) [OC_COUNTER_HELD_BY(OC_REJECT_##id)] = "held_" name,
/* In route's order (route.c, route_counters), which enum oc_counter follows. */
static const char *const counter_names[OC_COUNTER_COUNT] = {
	[OC_COUNTER_ACCEPTED] = "accepted",
	[OC_COUNTER_CANCELLED] = "cancelled",
	[OC_COUNTER_DUPLICATES] = "duplicates",
	[OC_COUNTER_SPLIT_ORDERS] = "split_orders",
	[OC_COUNTER_RESTOCKS] = "restocks",
	[OC_COUNTER_WRITE_OFFS] = "write_offs",
	[OC_COUNTER_SHIPPED] = "shipped",
	[OC_COUNTER_DELIVERED] = "delivered",
	[OC_COUNTER_LEASE_EXPIRIES] = "lease_expiries",
	[OC_COUNTER_REFUNDS] = "refunds",
	[OC_COUNTER_ADJUSTMENTS] = "adjustments",
	[OC_COUNTER_EXCEPTIONS] = "exceptions",
	[OC_COUNTER_RETURNS] = "returns",
	[OC_COUNTER_RETURNS_RECEIVED] = "returns_received",
	[OC_COUNTER_REPLACEMENTS] = "replacements",
	[OC_COUNTER_QC_FAILURES] = "qc_failures",
	[OC_COUNTER_HOLDS] = "holds",
	[OC_COUNTER_REVIEWS_APPROVED] = "reviews_approved",
	[OC_COUNTER_REVIEWS_REJECTED] = "reviews_rejected",
	[OC_COUNTER_SHORT_PICKS] = "short_picks",
	[OC_COUNTER_SHORT_UNITS_REROUTED] = "short_units_rerouted",
	[OC_COUNTER_SHORT_UNITS_CUT] = "short_units_cut",
	[OC_COUNTER_PAYMENTS_RECEIVED] = "payments_received",
	[OC_COUNTER_REVIEW_EXPIRIES] = "review_expiries",
	[OC_COUNTER_LABELS] = "labels",
	[OC_COUNTER_LABEL_CENTS] = "label_cents",
	[OC_COUNTER_SHORT_UNITS_BACKORDERED] = "short_units_backordered",
	[OC_COUNTER_BACKORDER_UNITS_FILLED] = "backorder_units_filled",
	[OC_COUNTER_BACKORDER_UNITS_CUT] = "backorder_units_cut",
	REASONS(REJECTED_NAME) REASONS(HELD_NAME)};
#define REASON_COUNT(id, name) +1
_Static_assert(1 REASONS(REASON_COUNT) == OC_REJECT_REASON_COUNT, "every reason named");

static const char *const state_names[OC_STATE_COUNT] = {
	[OC_STATE_NONE] = "none",
	[OC_STATE_PLACED] = "placed",
	[OC_STATE_REJECTED] = "rejected",
	[OC_STATE_ACCEPTED] = "accepted",
	[OC_STATE_PAYMENT_PENDING] = "payment_pending",
	[OC_STATE_AUTHORIZED] = "authorized",
	[OC_STATE_ON_HOLD] = "on_hold",
	[OC_STATE_ALLOCATED] = "allocated",
	[OC_STATE_RELEASED] = "released",
	[OC_STATE_PICKED] = "picked",
	[OC_STATE_PACKED] = "packed",
	[OC_STATE_SHIPPED] = "shipped",
	[OC_STATE_DELIVERED] = "delivered",
	[OC_STATE_CANCELLED] = "cancelled",
	[OC_STATE_EXCEPTION] = "exception",
	[OC_STATE_RETURN_REQUESTED] = "return_requested",
	[OC_STATE_RETURNED] = "returned",
	[OC_STATE_REFUNDED] = "refunded",
};

const char *oc_order_state_name(unsigned state)
{
	return state < OC_STATE_COUNT ? state_names[state] : "unknown";
}

static const char *const payment_names[OC_PAYMENT_STATE_COUNT] = {
	[OC_PAYMENT_NONE] = "none",         [OC_PAYMENT_PREPAID] = "prepaid",
	[OC_PAYMENT_PENDING] = "pending",   [OC_PAYMENT_AUTHORIZED] = "authorized",
	[OC_PAYMENT_CAPTURED] = "captured", [OC_PAYMENT_VOIDED] = "voided",
	[OC_PAYMENT_REFUNDED] = "refunded",
	[OC_PAYMENT_ON_ACCOUNT] = "on_account",
	[OC_PAYMENT_PAID] = "paid",
};

const char *oc_payment_state_name(unsigned payment)
{
	return payment < OC_PAYMENT_STATE_COUNT ? payment_names[payment] : "unknown";
}

const char *oc_reject_reason_name(unsigned reason)
{
	return reason < OC_REJECT_REASON_COUNT ? reason_names[reason] : "unknown";
}

static const char *const command_names[] = {
	[OC_CMD_PLACE] = "place",
	[OC_CMD_CANCEL] = "cancel",
	[OC_CMD_QUERY_ORDER] = "query_order",
	[OC_CMD_QUERY_ORDER_SEQ] = "query_order_seq",
	[OC_CMD_QUERY_STOCK] = "query_stock",
	[OC_CMD_RESTOCK] = "restock",
	[OC_CMD_WRITE_OFF] = "write_off",
	[OC_CMD_PICK_CONFIRMED] = "pick_confirmed",
	[OC_CMD_PACK_CONFIRMED] = "pack_confirmed",
	[OC_CMD_SHIPPED] = "shipped",
	[OC_CMD_DELIVERED] = "delivered",
	[OC_CMD_QUERY_STOCK_AT] = "query_stock_at",
	[OC_CMD_PAYMENT_AUTHORIZED] = "payment_authorized",
	[OC_CMD_PAYMENT_DECLINED] = "payment_declined",
	[OC_CMD_REFUND] = "refund",
	[OC_CMD_QUERY_HISTORY] = "query_history",
	[OC_CMD_QUERY_CUSTOMER] = "query_customer",
	[OC_CMD_ADJUST_STOCK] = "adjust_stock",
	[OC_CMD_SET_SAFETY_STOCK] = "set_safety_stock",
	[OC_CMD_QUERY_RECONCILE] = "query_reconcile",
	[OC_CMD_DELIVERY_EXCEPTION] = "delivery_exception",
	[OC_CMD_RETURN_REQUESTED] = "return_requested",
	[OC_CMD_RETURN_RECEIVED] = "return_received",
	[OC_CMD_REVIEW_APPROVE] = "review_approve",
	[OC_CMD_REVIEW_REJECT] = "review_reject",
	[OC_CMD_BLOCK] = "block",
	[OC_CMD_PICK_SHORT] = "pick_short",
	[OC_CMD_PAYMENT_RECEIVED] = "payment_received",
	[OC_CMD_QUERY_COUNTERS] = "query_counters",
};

const char *oc_command_type_name(unsigned type)
{
	const unsigned n = sizeof(command_names) / sizeof(command_names[0]);
	return type < n && command_names[type] ? command_names[type] : "unknown";
}

const char *oc_counter_name(unsigned index)
{
	return index < OC_COUNTER_COUNT ? counter_names[index] : "unknown";
}

const char *oc_status_name(unsigned status)
{
	switch (status) {
	case OC_STATUS_ACCEPTED: return "accepted";
	case OC_STATUS_REJECTED: return "rejected";
	case OC_STATUS_CANCELLED: return "cancelled";
	default: return "unknown";
	}
}

const char *oc_channel_name(unsigned channel)
{
	static const char *const names[OC_CHANNEL_COUNT] = {"none", "web", "app", "phone", "store",
							    "marketplace"};
	return channel < OC_CHANNEL_COUNT ? names[channel] : "unknown";
}

void oc_config_init(struct oc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->inflight_max = OC_DEFAULT_INFLIGHT_MAX;
	cfg->orders_max = OC_DEFAULT_ORDERS_MAX;
	cfg->line_quantity_max = OC_DEFAULT_LINE_QUANTITY_MAX;
	cfg->idle_spin_turns = OC_DEFAULT_IDLE_SPIN_TURNS;
	cfg->idle_yield_turns = OC_DEFAULT_IDLE_YIELD_TURNS;
	cfg->pin_threads = 1;
	cfg->fsync_interval_ms = OC_DEFAULT_FSYNC_INTERVAL_MS;
	cfg->snapshot_records = OC_DEFAULT_SNAPSHOT_RECORDS;
	cfg->snapshot_interval_ms = OC_DEFAULT_SNAPSHOT_INTERVAL_MS;
	cfg->snapshots_kept = OC_DEFAULT_SNAPSHOTS_KEPT;
	cfg->snapshot_on_stop = 1;
}


/* Fills the defaults chosen from the machine and checks every bound. */
static int config_resolve(struct oc_config *c, char *err, size_t err_bytes)
{
	uint32_t cores = oc_worker_cores();
	if (!c->dataset_dir || !*c->dataset_dir)
		return oc_error_set(err, err_bytes, -EINVAL, "config: dataset_dir is not set");
	if (c->shards == 0)
		c->shards = OC_DEFAULT_SHARDS;
	if (c->threads == 0)
		c->threads = cores > 1 ? cores - 1 : 1; /* one core stays with the submitter */
	if (c->threads > OC_LIMIT_THREADS_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: threads %u > %u", c->threads,
			    OC_LIMIT_THREADS_MAX);
	if (c->inventory_threads == 0)
		c->inventory_threads = c->threads == 1 ? 1 : c->threads <= 3 ? 1 : c->threads - 2;
	if (c->threads > 1 && c->inventory_threads >= c->threads)
		return oc_error_set(err, err_bytes, -EINVAL,
			    "config: inventory_threads %u must leave a thread of %u for the "
			    "other stages", c->inventory_threads, c->threads);
	if (c->threads == 1 && c->inventory_threads != 1)
		return oc_error_set(err, err_bytes, -EINVAL, "config: one thread runs every stage");
	if (c->shards > OC_LIMIT_SHARDS_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: shards %u > %u", c->shards,
			    OC_LIMIT_SHARDS_MAX);
	if (c->inflight_max < 64 || c->inflight_max > OC_LIMIT_INFLIGHT_MAX ||
	    (c->inflight_max & (c->inflight_max - 1)))
		return oc_error_set(err, err_bytes, -EINVAL,
			    "config: inflight_max %u must be a power of two in [64, %u]",
			    c->inflight_max, OC_LIMIT_INFLIGHT_MAX);
	if (c->orders_max == 0 || c->orders_max > OC_LIMIT_ORDERS_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: orders_max %u not in [1, %u]",
			    c->orders_max, OC_LIMIT_ORDERS_MAX);
	if (c->line_quantity_max == 0 || c->line_quantity_max > OC_LIMIT_LINE_QUANTITY_MAX)
		return oc_error_set(err, err_bytes, -EINVAL,
			    "config: line_quantity_max %u not in [1, %u]", c->line_quantity_max,
			    OC_LIMIT_LINE_QUANTITY_MAX);
	if (c->durability > OC_DURABILITY_NONE)
		return oc_error_set(err, err_bytes, -EINVAL, "config: durability %u unknown",
				    c->durability);
	if (c->lease_ttl_ms == 0)
		c->lease_ttl_ms = OC_DEFAULT_LEASE_TTL_MS;
	if (c->lease_ttl_ms > OC_LIMIT_LEASE_TTL_MS)
		return oc_error_set(err, err_bytes, -EINVAL, "config: lease_ttl_ms %u > %u",
				    c->lease_ttl_ms, OC_LIMIT_LEASE_TTL_MS);
	if (c->review_ttl_ms > OC_LIMIT_LEASE_TTL_MS)
		return oc_error_set(err, err_bytes, -EINVAL, "config: review_ttl_ms %u > %u",
				    c->review_ttl_ms, OC_LIMIT_LEASE_TTL_MS);
	if (c->wave_orders_max > OC_LIMIT_WAVE_ORDERS_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: wave_orders_max %u > %u",
				    c->wave_orders_max, OC_LIMIT_WAVE_ORDERS_MAX);
	if (c->wave_cutoff_ms == 0)
		c->wave_cutoff_ms = OC_DEFAULT_WAVE_CUTOFF_MS;
	if (c->wave_express_cutoff_ms == 0)
		c->wave_express_cutoff_ms = OC_DEFAULT_WAVE_EXPRESS_CUTOFF_MS;
	if (c->wave_cutoff_ms > OC_LIMIT_WAVE_CUTOFF_MS ||
	    c->wave_express_cutoff_ms > OC_LIMIT_WAVE_CUTOFF_MS)
		return oc_error_set(err, err_bytes, -EINVAL,
				    "config: wave cutoffs %u and %u ms must be at most %u",
				    c->wave_cutoff_ms, c->wave_express_cutoff_ms,
				    OC_LIMIT_WAVE_CUTOFF_MS);
	if (c->screen_entries_max == 0)
		c->screen_entries_max = c->orders_max < OC_DEFAULT_SCREEN_ENTRIES_MAX
						? c->orders_max
						: OC_DEFAULT_SCREEN_ENTRIES_MAX;
	if (c->screen_entries_max > OC_LIMIT_ORDERS_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: screen_entries_max %u > %u",
				    c->screen_entries_max, OC_LIMIT_ORDERS_MAX);
	if (c->snapshots_kept == 0)
		c->snapshots_kept = OC_DEFAULT_SNAPSHOTS_KEPT;
	if (c->snapshots_kept > OC_LIMIT_SNAPSHOTS_KEPT_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "config: snapshots_kept %u > %u",
				    c->snapshots_kept, OC_LIMIT_SNAPSHOTS_KEPT_MAX);
	if (c->data_dir && strlen(c->data_dir) > 4000)
		return oc_error_set(err, err_bytes, -ENAMETOOLONG, "config: data_dir too long");
	return 0;
}

/* Gives every SKU its shard (XXH3 of the SKU number modulo the shard count) and its index
 * among that shard's SKUs, and builds the lookup validate uses: SKU number -> both. */
static int catalog_init(struct oc_engine *e)
{
	struct oc_catalog *c = &e->catalog;
	uint32_t n = e->data.sku_count;
	c->data = &e->data;
	c->place = mi_malloc((n ? n : 1) * sizeof(uint32_t));
	if (!c->place || oc_u64map_init(&c->by_sku, n ? n : 1) != 0)
		return -ENOMEM;
	uint32_t counts[OC_LIMIT_SHARDS_MAX] = {0};
	for (uint32_t g = 0; g < n; g++) {
		uint64_t hash = oc_hash_u64(e->data.skus[g].sku);
		uint32_t s = (uint32_t)(hash % e->shards);
		c->place[g] = OC_PLACE(s, counts[s]);
		counts[s]++;
		bool found;
		struct oc_u64map_entry *m = oc_u64map_upsert(&c->by_sku, e->data.skus[g].sku, hash,
							     &found);
		OC_ASSERT(m && !found); /* the loader refuses duplicate SKUs */
		m->value = g;
		m->aux = c->place[g];
	}
	c->line_quantity_max = e->cfg.line_quantity_max;
	c->inflight_max = e->cfg.inflight_max;
	c->lease_ttl_ms = e->cfg.lease_ttl_ms;
	c->review_ttl_ms = e->cfg.review_ttl_ms;
	c->wave_orders_max = e->cfg.wave_orders_max;
	c->wave_cutoff_ms = e->cfg.wave_cutoff_ms;
	c->wave_express_cutoff_ms = e->cfg.wave_express_cutoff_ms;
	c->customer_index = e->cfg.customer_index != 0;
	c->screening = &e->screening;
	c->carriers = &e->carriers;
	return 0;
}

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t p = 2;
	while (p < n)
		p <<= 1;
	return p;
}

/* Sizes every ring from the admission window: at most inflight_max commands are between
 * the sequencer and route, each with at most OC_ORDER_LINES_MAX lines; releases pending in a
 * shard come from at most inflight_max commands of OC_LIMIT_COMMAND_RELEASES_MAX each. */
static int rings_init(struct oc_engine *e)
{
	uint32_t w = e->cfg.inflight_max;
	uint32_t lines = pow2_at_least((uint64_t)w * OC_ORDER_LINES_MAX);
	uint32_t releases = pow2_at_least((uint64_t)w * OC_LIMIT_COMMAND_RELEASES_MAX);
	int rc = oc_ring_init(&e->cmd, w, (uint32_t)OC_CMD_SLOT_BYTES);
	rc = rc ? rc : oc_ring_init(&e->order, w, sizeof(struct oc_order_msg));
	uint32_t out = e->journaled ? pow2_at_least((uint64_t)w * OC_DURABLE_WAIT_WINDOWS) : w;
	/* Route writes a command's rows and answer in one go: a pack's documents, the waves a
	 * command releases and its answer must fit however small the window. */
	uint32_t rows = OC_DOC_ROWS_MAX + (e->cfg.wave_orders_max ? OC_WAVE_ROWS_PER_COMMAND : 0);
	if (out < pow2_at_least(rows + 1))
		out = pow2_at_least(rows + 1);
	rc = rc ? rc : oc_ring_init(&e->out, out, sizeof(struct oc_response));
	rc = rc ? rc : oc_ring_init(&e->responses, pow2_at_least(4ull * w),
				    sizeof(struct oc_response));
	if (!rc && e->journaled)
		rc = oc_ring_init(&e->logged, w, (uint32_t)OC_CMD_SLOT_BYTES);
	e->line = mi_calloc(e->shards, sizeof(struct oc_ring));
	e->result = mi_calloc(e->shards, sizeof(struct oc_ring));
	e->release = mi_calloc(e->shards, sizeof(struct oc_ring));
	if (!rc && (!e->line || !e->result || !e->release))
		rc = -ENOMEM;
	for (uint32_t s = 0; s < e->shards && !rc; s++) {
		rc = oc_ring_init(&e->line[s], lines, sizeof(struct oc_line_msg));
		rc = rc ? rc : oc_ring_init(&e->result[s], lines, sizeof(struct oc_result_msg));
		rc = rc ? rc : oc_ring_init(&e->release[s], releases, sizeof(struct oc_release_msg));
	}
	return rc;
}

static int stages_init(struct oc_engine *e)
{
	const struct oc_config *c = &e->cfg;
	int rc = oc_validate_init(&e->validate, c->orders_max, &e->screening,
				  c->screen_entries_max);
	rc = rc ? rc : oc_route_init(&e->route, &e->catalog, e->shards, c->orders_max);
	e->shard = mi_calloc(e->shards, sizeof(struct oc_shard));
	if (!rc && !e->shard)
		rc = -ENOMEM;
	for (uint32_t s = 0; s < e->shards && !rc; s++)
		rc = oc_shard_init(&e->shard[s], &e->catalog, s, c->orders_max);
	return rc;
}

/* The worker of each stage: validate, route and egress share the first threads - inventory
 * threads; the shards are dealt round-robin over the inventory threads. */
struct placement {
	uint32_t validate, route, egress;
	uint32_t shard[OC_LIMIT_SHARDS_MAX];
};

static void place_stages(const struct oc_engine *e, struct placement *p)
{
	uint32_t t = e->threads;
	uint32_t inv = t == 1 ? 1 : e->cfg.inventory_threads;
	uint32_t other = t == 1 ? 1 : t - inv;
	uint32_t first_inv = t == 1 ? 0 : other;
	p->validate = 0;
	p->route = other > 1 ? 1 : 0;
	p->egress = other > 2 ? 2 : p->route;
	for (uint32_t s = 0; s < e->shards; s++)
		p->shard[s] = first_inv + s % inv;
}

/* The worker to wake after producing for `consumer`; NULL when it is the producer's own. */
static struct oc_worker *waker(struct oc_engine *e, uint32_t producer, uint32_t consumer)
{
	return producer == consumer ? NULL : &e->workers[consumer];
}

static void wire(struct oc_engine *e, const struct placement *p)
{
	struct oc_validate *v = &e->validate;
	struct oc_route *r = &e->route;
	struct oc_journal *j = &e->journal;
	j->in = &e->cmd;
	j->out = &e->logged;
	j->self = &e->workers[p->validate];
	j->wake_egress = waker(e, p->validate, p->egress);
	e->gateway = (struct oc_gateway){
		.cmd = &e->cmd,
		.wake_validate = &e->workers[p->validate],
		.route_done_seq = &r->done_seq,
		.lease_next_ms = &r->lease_next_ms,
		.inflight_max = e->cfg.inflight_max,
		.last_seq = e->restored_seq,
		.window_end = e->restored_seq,
		.commands = e->restored_seq,
		.barriers = e->journaled,
		.barrier_records = e->cfg.snapshot_records,
		.barrier_interval_ns = (uint64_t)e->cfg.snapshot_interval_ms * 1000000u,
		.barrier_seq = e->restored_seq,
		.barrier_ns = oc_clock_realtime_ns()};
	v->snapshotter = &e->snapshotter;
	r->snapshotter = &e->snapshotter;
	v->catalog = &e->catalog;
	v->cmd = e->journaled ? &e->logged : &e->cmd;
	v->order = &e->order;
	v->line = e->line;
	v->shards = e->shards;
	v->wake_route = waker(e, p->validate, p->route);
	v->wake_inventory = e->inventory_wakers;
	v->inventory_workers = 0;
	r->order = &e->order;
	r->result = e->result;
	r->release = e->release;
	r->out = &e->out;
	r->wake_egress = waker(e, p->route, p->egress);
	r->wake_shard = e->release_wakers;
	for (uint32_t s = 0; s < e->shards; s++) {
		struct oc_shard *sh = &e->shard[s];
		sh->line = &e->line[s];
		sh->release = &e->release[s];
		sh->result = &e->result[s];
		sh->validated_seq = &v->validated_seq;
		sh->snapshotter = &e->snapshotter;
		sh->wake_route = waker(e, p->shard[s], p->route);
		e->release_wakers[s] = waker(e, p->route, p->shard[s]);
		struct oc_worker *w = waker(e, p->validate, p->shard[s]);
		bool listed = !w;
		for (uint32_t i = 0; i < v->inventory_workers && !listed; i++)
			listed = v->wake_inventory[i] == w;
		if (!listed)
			v->wake_inventory[v->inventory_workers++] = w;
	}
	e->egress = (struct oc_egress){.out = &e->out, .responses = &e->responses,
				       .wake_route = waker(e, p->egress, p->route),
				       .durable_seq = e->journaled ? &j->durable_seq : NULL,
				       .log_failed = e->journaled ? &j->failed : NULL,
				       .armed = &e->poller.armed, .wake_fd = e->response_fd,
				       .mute_seq = e->recovered_seq};
	e->poller.responses = &e->responses;
	e->poller.wake_egress = &e->workers[p->egress];
}

/* Pins worker i to the (i+1)-th usable core when there is a core for every worker and one
 * more for the application's submitting thread; otherwise leaves them to the scheduler. */
static int workers_init(struct oc_engine *e)
{
	struct placement p;
	place_stages(e, &p);
	e->workers = mi_calloc(e->threads, sizeof(struct oc_worker));
	e->inventory_wakers = mi_calloc(e->threads, sizeof(struct oc_worker *));
	e->release_wakers = mi_calloc(e->shards, sizeof(struct oc_worker *));
	if (!e->workers || !e->inventory_wakers || !e->release_wakers)
		return -ENOMEM;
	cpu_set_t set;
	int cpus[OC_LIMIT_THREADS_MAX + 1], ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && ncpus <= (int)OC_LIMIT_THREADS_MAX; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpus++] = c;
	e->pinned = e->cfg.pin_threads && ncpus >= (int)e->threads + 1;
	for (uint32_t i = 0; i < e->threads; i++)
		oc_worker_init(&e->workers[i], i, e->pinned ? cpus[i + 1] : -1,
			       e->cfg.idle_spin_turns, e->cfg.idle_yield_turns);
	wire(e, &p);
	/* Turn order follows the pipeline, so a one-thread engine moves a command through
	 * every stage in one turn. */
	int rc = 0;
	if (e->journaled)
		rc = oc_worker_add_stage(&e->workers[p.validate], oc_journal_step, NULL,
					 &e->journal, "journal");
	rc = rc ? rc : oc_worker_add_stage(&e->workers[p.validate], oc_validate_step, NULL,
					   &e->validate, "validate");
	for (uint32_t s = 0; s < e->shards && !rc; s++)
		rc = oc_worker_add_stage(&e->workers[p.shard[s]], oc_shard_step, NULL, &e->shard[s],
					 "inventory");
	rc = rc ? rc : oc_worker_add_stage(&e->workers[p.route], oc_route_step, oc_route_publish,
					   &e->route, "route");
	rc = rc ? rc : oc_worker_add_stage(&e->workers[p.egress], oc_egress_step, NULL, &e->egress,
					   "egress");
	return rc;
}

static void halt(struct oc_engine *e);

int oc_engine_create(const struct oc_config *cfg, struct oc_engine **out, char *err,
		     size_t err_bytes)
{
	*out = NULL;
	struct oc_engine *e = mi_zalloc_aligned(sizeof(*e), 64);
	if (!e)
		return oc_error_set(err, err_bytes, -ENOMEM, "out of memory");
	e->cfg = *cfg;
	e->response_fd = -1;
	e->created_unix_s = (uint64_t)time(NULL);
	int rc = config_resolve(&e->cfg, err, err_bytes);
	if (rc == 0)
		rc = oc_dataset_load(e->cfg.dataset_dir, &e->data, err, err_bytes);
	if (rc == 0) {
		rc = oc_screening_load(e->cfg.dataset_dir, &e->screening, err, err_bytes);
		if (rc)
			oc_dataset_destroy(&e->data);
	}
	if (rc == 0) {
		rc = oc_carriers_load(e->cfg.dataset_dir, &e->carriers, err, err_bytes);
		if (rc) { /* a failed load leaves nothing allocated in e->carriers */
			oc_screening_destroy(&e->screening);
			oc_dataset_destroy(&e->data);
		}
	}
	if (rc) {
		mi_free(e);
		return rc;
	}
	e->response_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->response_fd < 0) {
		rc = oc_error_set(err, err_bytes, -errno, "eventfd: %s", strerror(errno));
		oc_engine_free(e);
		return rc;
	}
	e->shards = e->cfg.shards;
	e->threads = e->cfg.threads;
	rc = catalog_init(e);
	e->journaled = e->cfg.data_dir != NULL;
	if (!rc && e->journaled) {
		rc = oc_recovery_check(e, err, err_bytes);
		if (rc) {
			oc_engine_free(e);
			return rc;
		}
	}
	rc = rc ? rc : rings_init(e);
	rc = rc ? rc : stages_init(e);
	if (!rc && e->journaled) {
		rc = oc_recovery_restore(e, err, err_bytes);
		if (rc) {
			oc_engine_free(e);
			return rc;
		}
	}
	rc = rc ? rc : workers_init(e);
	if (rc) {
		oc_engine_free(e);
		return oc_error_set(err, err_bytes, rc, "engine setup failed: %s", strerror(-rc));
	}
	*out = e;
	return 0;
}

uint32_t oc_engine_test_step(struct oc_engine *e)
{
	uint32_t work = 0;
	for (uint32_t i = 0; i < e->threads; i++)
		work += oc_worker_turn(&e->workers[i]);
	return work;
}

uint64_t oc_engine_test_last_seq(const struct oc_engine *e)
{
	return e->gateway.last_seq;
}

void oc_engine_test_feed_history(struct oc_engine *e)
{
	e->gateway.replaying = true;
}

void oc_engine_wait_turn(struct oc_engine *e, uint32_t *turns)
{
	if (e->stepped)
		oc_engine_test_step(e);
	else
		oc_backoff(turns, 64);
}

int oc_engine_test_start_stepped(struct oc_engine *e)
{
	if (e->ran)
		return -EALREADY;
	if (e->journaled && (e->cfg.snapshot_records || e->cfg.snapshot_interval_ms ||
			     e->cfg.snapshot_on_stop))
		return -EINVAL; /* the snapshot writer is a thread of its own */
	e->ran = true;
	e->stepped = true;
	e->started = true;
	if (e->journaled && oc_recovery_replay(e) != 0) {
		halt(e);
		return -EIO;
	}
	return 0;
}

int oc_engine_start(struct oc_engine *e)
{
	if (e->ran)
		return -EALREADY;
	e->ran = true;
	if (e->journaled) {
		int rc = oc_snapshotter_start(&e->snapshotter, &e->snap);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < e->threads; i++) {
		int rc = oc_worker_start(&e->workers[i]);
		if (rc) {
			while (i--)
				oc_worker_stop(&e->workers[i]);
			oc_snapshotter_stop(&e->snapshotter);
			return rc;
		}
	}
	e->started = true;
	if (e->journaled && oc_recovery_replay(e) != 0) {
		halt(e);
		return -EIO;
	}
	return 0;
}

int oc_engine_try_submit_burst(struct oc_engine *e, struct oc_command *cmds, uint32_t n)
{
	return oc_gateway_try_submit(&e->gateway, cmds, n);
}

int oc_engine_poll_burst(struct oc_engine *e, struct oc_response *out, uint32_t n)
{
	return oc_poller_poll(&e->poller, out, n);
}

int oc_engine_poll_arm(struct oc_engine *e)
{
	return oc_poller_arm(&e->poller);
}

int oc_engine_response_fd(const struct oc_engine *e)
{
	return e->response_fd;
}

/* True when route has answered every sequenced command and egress has moved every answer to
 * the response ring. The submitter has stopped (the API's contract), so last_seq is settled. */
static bool pipeline_answered(struct oc_engine *e)
{
	/* Pairs with the release store of done_seq in route. */
	uint64_t done = atomic_load_explicit(&e->route.done_seq, memory_order_acquire);
	return done == e->gateway.last_seq && oc_ring_used(&e->out) == 0;
}

/* Joins the workers and applies the releases still pending in the shards. */
static void halt(struct oc_engine *e)
{
	for (uint32_t i = 0; i < e->threads; i++)
		oc_worker_stop(&e->workers[i]);
	/* The joins order the workers' writes before these reads. */
	for (uint32_t s = 0; s < e->shards; s++)
		oc_shard_apply_all_releases(&e->shard[s]);
	/* After the workers: the parts they handed over are written, the snapshots committed. */
	oc_snapshotter_stop(&e->snapshotter);
	/* The figures of a worker stopped while busy are published now (the joins made this
	 * thread their owner). */
	for (uint32_t i = 0; i < e->threads; i++)
		oc_worker_publish(&e->workers[i]);
	e->started = false;
}

/* How long stop waits for a poller that leaves the response ring full before it gives up. */
#define STOP_STALL_POLLS 100 /* x 100 us */

int oc_engine_snapshot(struct oc_engine *e)
{
	if (!e->journaled)
		return -EINVAL;
	e->gateway.barrier_requested = true;
	/* The barrier goes in now if the pipeline has drained, else at a later submit. */
	oc_gateway_try_submit(&e->gateway, NULL, 0);
	return 0;
}

/* Waits until every command is answered (pipeline_answered); -EBUSY when the response ring
 * stays full because nobody polls. */
static int wait_answered(struct oc_engine *e)
{
	struct timespec pause = {0, 100000};
	uint32_t stalled = 0, head = 0;
	while (!pipeline_answered(e)) {
		if (e->stepped && oc_engine_test_step(e))
			continue; /* moving: a stall is counted only when a turn does nothing */
		bool full = oc_ring_used(&e->responses) == oc_ring_slots(&e->responses);
		/* The poller's index (pairs with its release store in oc_ring_spsc_release):
		 * unchanged while the ring stays full means nobody polls. */
		uint32_t now = atomic_load_explicit(&e->responses.head, memory_order_acquire);
		stalled = full && now == head ? stalled + 1 : 0;
		head = now;
		if (stalled > STOP_STALL_POLLS)
			return -EBUSY;
		if (!e->stepped)
			nanosleep(&pause, NULL);
	}
	return 0;
}

int oc_engine_stop(struct oc_engine *e)
{
	if (!e->started)
		return -EALREADY;
	int rc = wait_answered(e);
	if (rc)
		return rc;
	if (e->journaled && e->cfg.snapshot_on_stop) {
		/* The final snapshot: everything is answered, so the barrier goes in at once
		 * (or not at all when nothing came since the last one). */
		oc_engine_snapshot(e);
		if ((rc = wait_answered(e)) != 0)
			return rc;
	}
	halt(e);
	return 0;
}

void oc_engine_free(struct oc_engine *e)
{
	if (!e)
		return;
	if (e->started)
		halt(e); /* answers not yet polled are dropped with the engine */
	for (uint32_t s = 0; e->shard && s < e->shards; s++)
		oc_shard_destroy(&e->shard[s]);
	for (uint32_t s = 0; e->line && s < e->shards; s++) {
		oc_ring_destroy(&e->line[s]);
		oc_ring_destroy(&e->result[s]);
		oc_ring_destroy(&e->release[s]);
	}
	oc_ring_destroy(&e->cmd);
	oc_ring_destroy(&e->order);
	oc_ring_destroy(&e->out);
	oc_ring_destroy(&e->responses);
	oc_validate_destroy(&e->validate);
	oc_route_destroy(&e->route);
	oc_journal_destroy(&e->journal);
	oc_ring_destroy(&e->logged);
	mi_free(e->shard);
	mi_free(e->line);
	mi_free(e->result);
	mi_free(e->release);
	mi_free(e->workers);
	mi_free(e->inventory_wakers);
	mi_free(e->release_wakers);
	mi_free(e->catalog.place);
	oc_u64map_destroy(&e->catalog.by_sku);
	oc_screening_destroy(&e->screening);
	oc_carriers_destroy(&e->carriers);
	oc_dataset_destroy(&e->data);
	if (e->response_fd >= 0)
		close(e->response_fd);
	mi_free(e);
}

int oc_engine_test_fail_log_write(struct oc_engine *e, int err)
{
	if (!e->journaled)
		return -EINVAL;
	/* The journal's worker reads this at its next append, which follows the next submit:
	 * the cmd ring's release/acquire orders this write before that read. */
	oc_wal_test_fail_next_write(e->journal.wal, err);
	return 0;
}

uint64_t oc_engine_test_snapshots_finished(const struct oc_engine *e)
{
	/* Pairs with the release increment in the snapshot writer. */
	return atomic_load_explicit(&e->snapshotter.finished, memory_order_acquire);
}

void oc_engine_test_crash_at_snapshot_step(int step)
{
	oc_snap_test_crash_at((enum oc_snap_step)step);
}

int oc_engine_region_id(const struct oc_engine *e, const char *region)
{
	return oc_dataset_region_index(&e->data, region);
}

int oc_engine_warehouse_id(const struct oc_engine *e, const char *code)
{
	for (uint32_t w = 0; w < e->data.warehouse_count; w++)
		if (strcmp(e->data.warehouses[w].code, code) == 0)
			return (int)w;
	return -ENOENT;
}

int oc_engine_stock(const struct oc_engine *e, uint64_t sku, struct oc_stock *out)
{
	int g = oc_dataset_sku_index(&e->data, sku);
	if (g < 0)
		return g;
	uint32_t wh = e->data.warehouse_count;
	uint64_t initial = 0, on_hand = 0, free_units = 0, picked = 0;
	for (uint32_t w = 0; w < wh; w++) {
		initial += e->data.on_hand[(size_t)g * wh + w];
		on_hand += e->route.on_hand[(size_t)g * wh + w];
		free_units += e->route.free_units[(size_t)g * wh + w];
		picked += e->route.picked_units[(size_t)g * wh + w];
	}
	uint32_t place = e->catalog.place[g];
	const struct oc_shard *s = &e->shard[OC_PLACE_SHARD(place)];
	*out = (struct oc_stock){.initial = initial,
				 .on_hand = on_hand,
				 .available = s->stock[OC_PLACE_LOCAL(place)].available,
				 .allocated = on_hand - free_units,
				 .picked = picked,
				 .limit_per_customer = e->data.skus[g].limit_per_customer,
				 .safety = s->stock[OC_PLACE_LOCAL(place)].safety};
	return 0;
}

uint64_t oc_engine_state_hash(const struct oc_engine *e)
{
	uint64_t h = oc_u64map_hash(&e->validate.keys, e->validate.orders);
	h = oc_fraud_hash(&e->validate.fraud, h);
	for (uint32_t s = 0; s < e->shards; s++)
		h = oc_shard_hash(&e->shard[s], h);
	return oc_route_hash(&e->route, h);
}

void oc_engine_stats(const struct oc_engine *e, struct oc_stats *out)
{
	const struct oc_route *r = &e->route;
	memset(out, 0, sizeof(*out));
	out->commands = e->gateway.commands - e->recovered_seq;
	out->recovered = e->recovered_seq;
	out->restored_seq = e->restored_seq;
	out->snapshots = oc_metric_get(&e->snapshotter.snapshots);
	out->snapshot_failures = oc_metric_get(&e->snapshotter.failures);
	out->snapshot_seq = oc_metric_get(&e->snapshotter.last_seq);
	out->snapshot_write_ns = oc_metric_get(&e->snapshotter.last_ns);
	out->log_frames = oc_metric_get(&e->journal.frames);
	out->log_bytes = oc_metric_get(&e->journal.bytes);
	out->responses = e->poller.responses_polled;
	out->accepted = r->accepted;
	out->cancelled = r->cancelled;
	memcpy(out->rejected, r->rejected, sizeof(out->rejected));
	out->rejected[OC_REJECT_UNAVAILABLE] = oc_metric_get(&e->egress.unavailable); /* route
	                                                                            * never says it */
	out->duplicates = r->duplicates;
	out->split_orders = r->split_orders;
	out->restocks = r->restocks;
	out->write_offs = r->write_offs;
	out->shipped = r->shipped;
	out->delivered = r->delivered;
	out->lease_expiries = r->lease_expiries;
	out->refunds = r->refunds;
	out->adjustments = r->adjustments;
	out->exceptions = r->exceptions;
	out->returns = r->returns;
	out->returns_received = r->returns_received;
	out->replacements = r->replacements;
	out->qc_failures = r->qc_failures;
	out->short_picks = r->short_picks;
	out->short_units_rerouted = r->short_units_rerouted;
	out->short_units_cut = r->short_units_cut;
	out->short_units_backordered = r->short_units_backordered;
	out->backorder_units_filled = r->backorder_units_filled;
	out->backorder_units_cut = r->backorder_units_cut;
	out->payments_received = r->payments_received;
	out->waves = r->waves_released;
	out->labels = r->labels;
	out->label_cents = r->label_cents;
	out->screened = e->validate.fraud.screened;
	out->block_changes = e->validate.fraud.block_changes;
	out->screen_unremembered = e->validate.fraud.unremembered;
	out->holds = r->holds;
	memcpy(out->held, r->held, sizeof(out->held));
	out->reviews_approved = r->reviews_approved;
	out->review_expiries = r->review_expiries;
	out->reviews_rejected = r->reviews_rejected;
	static const char *const names[OC_STATS_STAGES] = {"journal", "validate", "inventory",
							   "route", "egress"};
	for (uint32_t k = 0; k < OC_STATS_STAGES; k++)
		out->stages[k].name = names[k];
	for (uint32_t i = 0; i < e->threads; i++) {
		const struct oc_worker *w = &e->workers[i];
		out->worker_turns += oc_metric_get(&w->turns);
		out->worker_parks += oc_metric_get(&w->parks);
		for (uint32_t j = 0; j < w->stage_count; j++)
			for (uint32_t k = 0; k < OC_STATS_STAGES; k++)
				if (strcmp(w->stages[j].name, names[k]) == 0) {
					out->stages[k].busy_ns += oc_metric_get(&w->stages[j].busy_ns);
					out->stages[k].messages += oc_metric_get(&w->stages[j].messages);
				}
	}
	out->threads = e->threads;
	out->shards = e->shards;
	out->pinned = e->pinned;
}
