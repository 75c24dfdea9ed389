/* pipeline_util.h: helpers shared by the tests that drive the whole engine through its public
 * API (tests/unit/test_pipeline*.c): writing a small dataset with exact stock per (SKU,
 * warehouse) and chosen coordinates, starting an engine with a given topology, building
 * commands, and running a command array to completion while honouring the submit/poll
 * contract (ordercore.h). Include it after <cmocka.h>: failures are cmocka assertions. */
#ifndef OC_PIPELINE_UTIL_H
#define OC_PIPELINE_UTIL_H

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "ordercore/ordercore.h"

/* A run that makes no progress for this long is reported as a hang (a deadlock in the
 * engine), not left to the ctest timeout. It is a watchdog, not a synchronisation. */
#ifndef PL_STALL_S
#define PL_STALL_S 10.0
#endif

struct pl_sku {
	uint64_t sku;
	uint32_t limit_per_customer; /* 0: none */
	uint32_t price_cents;        /* unit price (0 when not given: a free item) */
	uint32_t weight_g;           /* 0 when not given: 100 g */
	const char *bin;             /* NULL when not given: A-01-1 */
};

struct pl_warehouse {
	const char *code;
	double lat, lon;
	const char *region;
};

struct pl_stock {
	uint64_t sku;
	const char *warehouse; /* a code of the dataset's warehouses */
	uint32_t on_hand;
};

struct pl_dataset {
	const struct pl_sku *skus;
	uint32_t sku_count;
	const struct pl_warehouse *warehouses;
	uint32_t warehouse_count;
	const struct pl_stock *stock;
	uint32_t stock_count;
};

struct pl_topology {
	uint32_t threads, inventory_threads, shards, inflight_max, orders_max;
	const char *data_dir;      /* NULL: no log */
	uint32_t durability;       /* enum oc_durability, with data_dir */
	uint64_t snapshot_records; /* automatic snapshots (0: only at stop; never by time) */
	uint64_t segment_bytes;    /* log segment size; 0: PL_WAL_SEGMENT_BYTES */
	uint32_t lease_ttl_ms;     /* card orders' payment lease; 0: the engine's default */
	uint32_t review_ttl_ms;    /* held orders' review deadline; 0: none */
	int customer_index;        /* keep the customers' orders (OC_CMD_QUERY_CUSTOMER) */
	uint32_t wave_orders_max;  /* pick waves; 0: none */
	uint32_t wave_cutoff_ms, wave_express_cutoff_ms; /* 0: the engine's defaults */
};

/* Log segments of the tests: small, so that a run rolls over several. */
#define PL_WAL_SEGMENT_BYTES (1u << 20)

static inline FILE *pl_open(const char *dir, const char *name)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

/* Writes skus.csv, warehouses.csv and stock.csv (docs/dataset.md) into dir. */
static inline void pl_dataset_write(const char *dir, const struct pl_dataset *d)
{
	FILE *f = pl_open(dir, "skus.csv");
	fprintf(f, "sku,name,weight_g,price_cents,bin,limit_per_customer\n");
	for (uint32_t i = 0; i < d->sku_count; i++)
		fprintf(f, "%llu,Item %u,%u,%u,%s,%u\n", (unsigned long long)d->skus[i].sku, i,
		        d->skus[i].weight_g ? d->skus[i].weight_g : 100, d->skus[i].price_cents,
		        d->skus[i].bin ? d->skus[i].bin : "A-01-1", d->skus[i].limit_per_customer);
	assert_int_equal(fclose(f), 0);
	f = pl_open(dir, "warehouses.csv");
	fprintf(f, "warehouse,name,lat,lon,region\n");
	for (uint32_t i = 0; i < d->warehouse_count; i++)
		fprintf(f, "%s,Warehouse %u,%.4f,%.4f,%s\n", d->warehouses[i].code, i,
		        d->warehouses[i].lat, d->warehouses[i].lon, d->warehouses[i].region);
	assert_int_equal(fclose(f), 0);
	f = pl_open(dir, "stock.csv");
	fprintf(f, "sku,warehouse,on_hand\n");
	for (uint32_t i = 0; i < d->stock_count; i++)
		fprintf(f, "%llu,%s,%u\n", (unsigned long long)d->stock[i].sku,
		        d->stock[i].warehouse, d->stock[i].on_hand);
	assert_int_equal(fclose(f), 0);
}

/* The inventory shard that owns a SKU in an engine with `shards` shards (engine.c). */
static inline uint32_t pl_shard_of(uint64_t sku, uint32_t shards)
{
	return (uint32_t)(oc_hash_u64(sku) % shards);
}

static inline void pl_config(struct oc_config *c, const char *dir, const struct pl_topology *t)
{
	oc_config_init(c);
	c->dataset_dir = dir;
	c->threads = t->threads;
	c->inventory_threads = t->inventory_threads;
	c->shards = t->shards;
	if (t->inflight_max)
		c->inflight_max = t->inflight_max;
	if (t->orders_max)
		c->orders_max = t->orders_max;
	c->pin_threads = 0; /* the test runner shares two cores with other tests */
	c->data_dir = t->data_dir;
	c->durability = t->durability;
	c->wal_segment_bytes = t->segment_bytes ? t->segment_bytes : PL_WAL_SEGMENT_BYTES;
	c->snapshot_records = t->snapshot_records;
	c->lease_ttl_ms = t->lease_ttl_ms;
	c->review_ttl_ms = t->review_ttl_ms;
	c->customer_index = t->customer_index;
	c->wave_orders_max = t->wave_orders_max;
	c->wave_cutoff_ms = t->wave_cutoff_ms;
	c->wave_express_cutoff_ms = t->wave_express_cutoff_ms;
	c->snapshot_interval_ms = 0; /* snapshots at places a test can predict */
}

/* Creates and starts an engine over dir; fails the test (with the message) if it cannot. */
static inline struct oc_engine *pl_engine_start(const char *dir, const struct pl_topology *t)
{
	struct oc_config c;
	pl_config(&c, dir, t);
	struct oc_engine *e = NULL;
	char err[512] = "";
	int rc = oc_engine_create(&c, &e, err, sizeof(err));
	if (rc != 0)
		fail_msg("oc_engine_create: %d %s", rc, err);
	assert_int_equal(oc_engine_start(e), 0);
	return e;
}

static inline double pl_now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Submits cmds[0..n) and polls until every one is answered, into out[0..n); the rows of
 * queries with rows (OC_RESPONSE_ROW) go to rows[0..*row_count), in order (rows NULL: none may
 * come). Checks that the commands got increasing sequence numbers (consecutive but where a
 * snapshot barrier took one) and that the answers come one per command, in sequence order.
 * Yields when neither side moves; fails after PL_STALL_S without progress. */
static inline void pl_run_rows(struct oc_engine *e, struct oc_command *cmds, uint32_t n,
                               struct oc_response *out, struct oc_response *rows,
                               uint32_t rows_max, uint32_t *row_count)
{
	uint32_t sent = 0, got = 0, row_n = 0;
	double last_progress = pl_now_s();
	struct oc_response polled[256];
	while (got < n) {
		int s = 0, p;
		if (sent < n) {
			s = oc_engine_try_submit_burst(e, cmds + sent, n - sent);
			assert_true(s >= 0 && (uint32_t)s <= n - sent);
			sent += (uint32_t)s;
		}
		p = oc_engine_poll_burst(e, polled, 256);
		assert_true(p >= 0);
		for (int i = 0; i < p; i++) {
			if (polled[i].flags & OC_RESPONSE_ROW) {
				assert_true(rows && row_n < rows_max);
				rows[row_n++] = polled[i];
				continue;
			}
			assert_true(got < sent);
			out[got++] = polled[i];
		}
		if (s || p) {
			last_progress = pl_now_s();
			continue;
		}
		if (pl_now_s() - last_progress > PL_STALL_S)
			fail_msg("engine stalled: %u of %u submitted, %u answered", sent, n, got);
		sched_yield();
	}
	for (uint32_t i = 0; i < n; i++) {
		assert_true(i == 0 || cmds[i].seq > cmds[i - 1].seq);
		assert_int_equal(out[i].seq, cmds[i].seq);
		assert_int_equal(out[i].key, cmds[i].key);
		assert_int_equal(out[i].type, cmds[i].type);
	}
	if (row_count)
		*row_count = row_n;
}

/* pl_run_rows for commands without rows. */
static inline void pl_run(struct oc_engine *e, struct oc_command *cmds, uint32_t n,
                          struct oc_response *out)
{
	pl_run_rows(e, cmds, n, out, NULL, 0, NULL);
}

/* Runs one command and returns its answer. */
static inline struct oc_response pl_run1(struct oc_engine *e, struct oc_command c)
{
	struct oc_response r;
	pl_run(e, &c, 1, &r);
	return r;
}

/* Fails with both answers named unless r has this status and reason. */
static inline void pl_expect(const struct oc_response *r, unsigned status, unsigned reason)
{
	if (r->status != status || r->reason != reason)
		fail_msg("seq %llu: got %s/%s, want %s/%s", (unsigned long long)r->seq,
		         oc_status_name(r->status), oc_reject_reason_name(r->reason),
		         oc_status_name(status), oc_reject_reason_name(reason));
}

/* Runs one command and expects its answer. */
static inline struct oc_response pl_run_expect(struct oc_engine *e, struct oc_command c,
                                               unsigned status, unsigned reason)
{
	struct oc_response r = pl_run1(e, c);
	pl_expect(&r, status, reason);
	return r;
}

/* Stops the engine and checks that no answer is left over. */
static inline void pl_stop(struct oc_engine *e)
{
	assert_int_equal(oc_engine_stop(e), 0);
	struct oc_response extra;
	assert_int_equal(oc_engine_poll_burst(e, &extra, 1), 0);
}

/* Stops the engine (pl_stop) and returns its counters. */
static inline struct oc_stats pl_stop_stats(struct oc_engine *e)
{
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	return st;
}

/* Stock of a SKU after stop, with the invariant every state must keep. */
static inline struct oc_stock pl_stock(const struct oc_engine *e, uint64_t sku)
{
	struct oc_stock s;
	assert_int_equal(oc_engine_stock(e, sku, &s), 0);
	assert_true(s.allocated <= s.on_hand);
	assert_int_equal(s.available, s.on_hand - s.allocated);
	return s;
}

static inline struct oc_command pl_place(uint64_t key, uint64_t customer, uint16_t region)
{
	struct oc_command c;
	memset(&c, 0, sizeof(c));
	c.type = OC_CMD_PLACE;
	c.key = key;
	c.customer = customer;
	c.region = region;
	return c;
}

static inline void pl_line_add(struct oc_command *c, uint64_t sku, uint32_t quantity)
{
	assert_true(c->line_count < OC_ORDER_LINES_MAX);
	c->lines[c->line_count++] = (struct oc_line){.sku = sku, .quantity = quantity};
}

static inline struct oc_command pl_place1(uint64_t key, uint64_t customer, uint16_t region,
                                          uint64_t sku, uint32_t quantity)
{
	struct oc_command c = pl_place(key, customer, region);
	pl_line_add(&c, sku, quantity);
	return c;
}

static inline struct oc_command pl_cancel(uint64_t key, uint64_t customer)
{
	struct oc_command c;
	memset(&c, 0, sizeof(c));
	c.type = OC_CMD_CANCEL;
	c.key = key;
	c.customer = customer;
	return c;
}

/* A fulfilment step (OC_CMD_PICK_CONFIRMED .. OC_CMD_DELIVERED) of the order key, customer. */
static inline struct oc_command pl_step(uint8_t type, uint64_t key, uint64_t customer)
{
	struct oc_command c = pl_cancel(key, customer);
	c.type = type;
	return c;
}

/* A refund with its own key of amount_cents (0: the rest) of the order order_key. */
static inline struct oc_command pl_refund(uint64_t key, uint64_t customer, uint64_t order_key,
                                          uint64_t amount_cents)
{
	struct oc_command c = pl_cancel(key, customer);
	c.type = OC_CMD_REFUND;
	c.order_key = order_key;
	c.amount_cents = amount_cents;
	return c;
}

/* Queries: an order by key or by its first sequence number, a SKU's stock. */
static inline struct oc_command pl_query_order(uint64_t key)
{
	struct oc_command c;
	memset(&c, 0, sizeof(c));
	c.type = OC_CMD_QUERY_ORDER;
	c.key = key;
	return c;
}

static inline struct oc_command pl_query_seq(uint64_t seq)
{
	struct oc_command c = pl_query_order(seq);
	c.type = OC_CMD_QUERY_ORDER_SEQ;
	return c;
}

static inline struct oc_command pl_query_stock(uint64_t sku)
{
	struct oc_command c = pl_query_order(0);
	c.type = OC_CMD_QUERY_STOCK;
	pl_line_add(&c, sku, 1);
	c.lines[0].quantity = 0;
	return c;
}

/* A restock (type OC_CMD_RESTOCK) or write-off of `quantity` units of sku in warehouse w. */
static inline struct oc_command pl_stock_change(uint8_t type, uint64_t key, uint64_t op,
                                                uint16_t w, uint64_t sku, uint32_t quantity)
{
	struct oc_command c = pl_query_order(key);
	c.type = type;
	c.customer = op;
	c.region = w;
	pl_line_add(&c, sku, quantity);
	return c;
}

/* A cycle count of sku in warehouse w: `counted` units where `expected` were on hand. */
static inline struct oc_command pl_adjust(uint64_t key, uint64_t op, uint16_t w, uint64_t sku,
                                          uint32_t counted, uint64_t expected)
{
	struct oc_command c = pl_stock_change(OC_CMD_ADJUST_STOCK, key, op, w, sku, counted);
	c.expected_units = expected;
	return c;
}

/* sku's safety stock set to `units` by operator op. */
static inline struct oc_command pl_safety(uint64_t op, uint64_t sku, uint32_t units)
{
	return pl_stock_change(OC_CMD_SET_SAFETY_STOCK, 0, op, 0, sku, units);
}

/* The reconciliation of sku, the page from warehouse `from`. */
static inline struct oc_command pl_reconcile(uint64_t sku, uint16_t from)
{
	struct oc_command c = pl_query_stock(sku);
	c.type = OC_CMD_QUERY_RECONCILE;
	c.region = from;
	return c;
}

/* Route's counters, the page from counter `from`. */
static inline struct oc_command pl_query_counters(uint16_t from)
{
	struct oc_command c = pl_query_order(0);
	c.type = OC_CMD_QUERY_COUNTERS;
	c.region = from;
	return c;
}

static inline struct oc_command pl_query_history(uint64_t key)
{
	struct oc_command c = pl_query_order(key);
	c.type = OC_CMD_QUERY_HISTORY;
	return c;
}

/* A customer's orders, the page before the order before_key (0: the newest). */
static inline struct oc_command pl_query_customer(uint64_t customer, uint64_t before_key)
{
	struct oc_command c = pl_query_order(0);
	c.type = OC_CMD_QUERY_CUSTOMER;
	c.customer = customer;
	c.order_key = before_key;
	return c;
}

/* A step with flags (a delivery exception's kind, a return's inspection, a failed check). */
static inline struct oc_command pl_flagged_step(uint8_t type, uint64_t key, uint64_t customer,
                                                uint32_t flags)
{
	struct oc_command c = pl_step(type, key, customer);
	c.flags = flags;
	return c;
}

/* An RMA (its own key) of `quantity` units of sku of customer's order order_key. */
static inline struct oc_command pl_rma(uint64_t key, uint64_t customer, uint64_t order_key,
                                       uint32_t reason, uint64_t sku, uint32_t quantity)
{
	struct oc_command c = pl_place1(key, customer, 0, sku, quantity);
	c.type = OC_CMD_RETURN_REQUESTED;
	c.order_key = order_key;
	c.flags = reason;
	return c;
}

/* A short pick (its own key) of customer's order order_key at warehouse w: `missing` units
 * of sku (pl_line_add for more lines). */
static inline struct oc_command pl_short_pick(uint64_t key, uint64_t customer, uint64_t order_key,
                                              uint16_t w, uint64_t sku, uint32_t missing)
{
	struct oc_command c = pl_place1(key, customer, w, sku, missing);
	c.type = OC_CMD_PICK_SHORT;
	c.order_key = order_key;
	return c;
}

/* A replacement of customer's order order_key: one line. */
static inline struct oc_command pl_replacement(uint64_t key, uint64_t customer, uint16_t region,
                                               uint64_t order_key, uint64_t sku,
                                               uint32_t quantity)
{
	struct oc_command c = pl_place1(key, customer, region, sku, quantity);
	c.flags = OC_PLACE_REPLACEMENT;
	c.order_key = order_key;
	return c;
}

/* Writes the screening files (docs/dataset.md, "Screening") into dir, with velocity windows
 * of window_s seconds: the rules the screening tests expect. Scores: a hold at 50, a reject at
 * 100; the customer's 6th order in the window fires customer_velocity (40), a card's 3rd
 * card_velocity (60), an address's 5th address_velocity (30); an amount over 3 x the
 * customer's average (after 3 orders) amount_history (40); billing != shipping
 * country_mismatch (30); an account under 30 days with over 5000 cents new_account (40). */
static inline void pl_screening_write(const char *dir, uint32_t window_s)
{
	FILE *f = pl_open(dir, "fraud.csv");
	fprintf(f, "rule,score,limit,window_s\n"
	           "customer_velocity,40,5,%u\ncard_velocity,60,2,%u\naddress_velocity,30,4,%u\n"
	           "amount_history,40,300,0\ncountry_mismatch,30,0,0\n"
	           "new_account,40,5000,2592000\nhold,50,0,0\nreject,100,0,0\n",
	        window_s, window_s, window_s);
	assert_int_equal(fclose(f), 0);
	f = pl_open(dir, "countries.csv");
	fprintf(f, "country,postal_formats,serviceable\nUS,99999|99999-9999,1\nCA,A9A 9A9,1\n"
	           "GB,A9 9AA|A99 9AA|AA9 9AA|AA99 9AA,1\nJP,999-9999,0\n");
	assert_int_equal(fclose(f), 0);
	f = pl_open(dir, "blocklist.csv");
	fprintf(f, "kind,value\nemail,fraud@example.com\ncard,fp_blocked\naddress,1 Blocked Road\n");
	assert_int_equal(fclose(f), 0);
}

/* What a screened place says about its buyer: text hashed as a client would, NULL: not
 * given. */
static inline struct oc_screen pl_screen(const char *email, const char *card, const char *address,
                                         const char *bill, const char *ship, const char *postal,
                                         uint16_t account_age_days)
{
	struct oc_screen s;
	memset(&s, 0, sizeof(s));
	s.email_hash = email ? oc_screen_hash(email, strlen(email)) : 0;
	s.card_hash = card ? oc_screen_hash(card, strlen(card)) : 0;
	s.address_hash = address ? oc_screen_hash(address, strlen(address)) : 0;
	if (bill)
		memcpy(s.bill_country, bill, 2);
	memcpy(s.ship_country, ship, 2);
	size_t len = strlen(postal);
	assert_true(len <= sizeof(s.postal_code));
	memcpy(s.postal_code, postal, len);
	s.account_age_days = account_age_days;
	return s;
}

/* A place screened with s. */
static inline struct oc_command pl_screened(struct oc_command place, struct oc_screen s)
{
	place.flags |= OC_PLACE_SCREEN;
	place.screen = s;
	return place;
}

/* A block list change (OC_CMD_BLOCK) of text's hash, of kind (OC_BLOCK_*, with
 * OC_BLOCK_REMOVE: taken out). */
static inline struct oc_command pl_block(uint64_t op, uint32_t flags, const char *text)
{
	struct oc_command c = pl_cancel(0, op);
	c.type = OC_CMD_BLOCK;
	c.flags = flags;
	c.order_key = oc_screen_hash(text, strlen(text));
	return c;
}

/* A command validate rejects as malformed: it changes nothing and only moves the sequence
 * on (used to pass the release lag, inflight_max sequence numbers). */
static inline struct oc_command pl_junk(void)
{
	struct oc_command c;
	memset(&c, 0, sizeof(c));
	return c;
}

/* Runs `count` junk commands. */
static inline void pl_pad(struct oc_engine *e, uint32_t count)
{
	struct oc_command c[256];
	struct oc_response r[256];
	while (count) {
		uint32_t n = count < 256 ? count : 256;
		for (uint32_t i = 0; i < n; i++)
			c[i] = pl_junk();
		pl_run(e, c, n, r);
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(r[i].reason, OC_REJECT_MALFORMED);
		count -= n;
	}
}

/* Runs junk commands until the next command will get sequence number `next`. */
static inline void pl_pad_until(struct oc_engine *e, uint64_t last_seq, uint64_t next)
{
	assert_true(next > last_seq);
	pl_pad(e, (uint32_t)(next - last_seq - 1));
}

#endif
