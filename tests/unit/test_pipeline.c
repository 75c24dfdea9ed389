/* test_pipeline.c: the order pipeline end to end through the public API, on one worker thread
 * (threads=1, 4 shards): sequence numbers; every rejection reason, each checking that nothing
 * changed (stock after stop, the key not taken, a following valid order still accepted);
 * idempotent retries (same answer, DUPLICATE flag, original_seq; another customer gets
 * KEY_CONFLICT); purchase limits; cancels; all-or-nothing multi-line orders across shards and
 * the release lag (a give-back is visible from seq cause + inflight_max on, and after stop);
 * routing to the nearest whole warehouse, split orders and split lines; configuration errors;
 * the name functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "oc_test.h"
#include "pipeline_util.h"

/* Four warehouses on the equator, 10 degrees apart, each its own region (RA..RD), so region
 * RA's nearest-first order is W0 W1 W2 W3 and RD's is W3 W2 W1 W0. */
static const struct pl_warehouse warehouses[] = {
    {"W0", 0, 0, "RA"}, {"W1", 0, 10, "RB"}, {"W2", 0, 20, "RC"}, {"W3", 0, 30, "RD"}};

enum {
	PLAIN = 101,   /* 10 units at W0, no limit; shard 1 of 4 */
	LIMITED = 102, /* 100 units at W0, limit 3 per customer; shard 2 */
	SCARCE = 103,  /* 1 unit at W0, limit 2; shard 2 */
	OTHER = 105,   /* 5 units at W0, no limit; shard 0 */
	EVERY = 201,   /* 5 units in every warehouse */
	AT_W1 = 202,   /* 10 units at W1 only */
	AT_W2 = 203,   /* 10 units at W2 only */
	SPLIT = 204,   /* 3 at W0, 4 at W1 */
	BULK = 301,    /* BULK .. BULK + 3: 1000 units each at W0 */
	UNKNOWN = 999, /* not in the catalog */
};

/* Unit prices in cents (test_money); the rest are free. */
enum { PLAIN_PRICE = 1250, EVERY_PRICE = 499, AT_W1_PRICE = 2000, OTHER_PRICE = 10000 };

static const struct pl_sku skus[] = {
    {PLAIN, 0, PLAIN_PRICE}, {LIMITED, 3, 0},     {SCARCE, 2, 0},       {OTHER, 0, OTHER_PRICE},
    {EVERY, 0, EVERY_PRICE}, {AT_W1, 0, AT_W1_PRICE}, {AT_W2, 0, 0},    {SPLIT, 0, 0},
    {BULK, 0, 0},            {BULK + 1, 0, 0},    {BULK + 2, 0, 0},     {BULK + 3, 0, 0}};

static const struct pl_stock stock[] = {
    {PLAIN, "W0", 10},  {LIMITED, "W0", 100},   {SCARCE, "W0", 1},      {OTHER, "W0", 5},
    {EVERY, "W0", 5},   {EVERY, "W1", 5},       {EVERY, "W2", 5},       {EVERY, "W3", 5},
    {AT_W1, "W1", 10},  {AT_W2, "W2", 10},      {SPLIT, "W0", 3},       {SPLIT, "W1", 4},
    {BULK, "W0", 1000}, {BULK + 1, "W0", 1000}, {BULK + 2, "W0", 1000}, {BULK + 3, "W0", 1000}};

#define SHARDS 4
#define WINDOW 64 /* inflight_max of most tests: the release lag */

static char dir[1024];
static char fraud_dir[1024]; /* the same dataset with the screening files */

static int setup(void **state)
{
	oc_test_scratch_dir(dir, sizeof(dir), "test_pipeline");
	struct pl_dataset d = {skus,  sizeof(skus) / sizeof(skus[0]),  warehouses, 4,
	                       stock, sizeof(stock) / sizeof(stock[0])};
	pl_dataset_write(dir, &d);
	oc_test_scratch_dir(fraud_dir, sizeof(fraud_dir), "test_pipeline_fraud");
	pl_dataset_write(fraud_dir, &d);
	pl_screening_write(fraud_dir, 3600);
	FILE *f = pl_open(fraud_dir, "credit.csv"); /* two B2B customers: 900 and 901 */
	fprintf(f, "customer,credit_limit_cents\n900,10000\n901,0\n");
	assert_int_equal(fclose(f), 0);
	/* The multi-line tests rely on these SKUs living on different shards. */
	if (pl_shard_of(PLAIN, SHARDS) == pl_shard_of(OTHER, SHARDS) ||
	    pl_shard_of(LIMITED, SHARDS) == pl_shard_of(OTHER, SHARDS))
		return -1;
	return 0;
}

static struct oc_engine *start(uint32_t inflight_max, uint32_t orders_max)
{
	struct pl_topology t = {1, 1, SHARDS, inflight_max, orders_max ? orders_max : 4096};
	return pl_engine_start(dir, &t);
}

static void expect_stock(const struct oc_engine *e, uint64_t sku, uint64_t allocated)
{
	struct oc_stock s = pl_stock(e, sku);
	assert_int_equal(s.allocated, allocated);
}

static void test_sequence_numbers(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[3] = {pl_junk(), pl_place1(1, 1, 0, PLAIN, 1), pl_cancel(1, 1)};
	struct oc_response r[3];
	pl_run(e, c, 3, r);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(c[i].seq, i + 1);
		assert_int_equal(r[i].original_seq, i == 2 ? 2 : i + 1);
		assert_int_equal(r[i].flags, 0);
	}
	assert_int_equal(pl_run1(e, pl_junk()).seq, 4);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.commands, 4);
	assert_int_equal(st.responses, 4);
	oc_engine_free(e);
}

/* Runs `bad`, expects it rejected with `reason`; then the same key and customer place a
 * valid order, which must be accepted as new (the rejected command did not take the key);
 * after stop only that order's unit is allocated. */
static void expect_rejected_cleanly(struct oc_command bad, unsigned reason)
{
	struct oc_engine *e = start(WINDOW, 0);
	uint64_t key = bad.key ? bad.key : 77, customer = bad.customer ? bad.customer : 7;
	struct oc_command c[2] = {bad, pl_place1(key, customer, 0, PLAIN, 1)};
	struct oc_response r[2];
	pl_run(e, c, 2, r);
	pl_expect(&r[0], OC_STATUS_REJECTED, reason);
	assert_int_equal(r[0].shipments, 0);
	pl_expect(&r[1], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r[1].flags, 0);
	assert_int_equal(r[1].original_seq, r[1].seq);
	pl_stop(e);
	for (uint32_t i = 0; i < sizeof(skus) / sizeof(skus[0]); i++)
		expect_stock(e, skus[i].sku, skus[i].sku == PLAIN);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.rejected[reason], 1);
	assert_int_equal(st.accepted, 1);
	oc_engine_free(e);
}

static void test_reject_malformed(void **state)
{
	struct oc_command c = pl_place1(5, 5, 0, PLAIN, 1);
	c.type = 9;
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_place(5, 5, 0); /* no lines */
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_place1(0, 5, 0, PLAIN, 1);
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_place1(5, 0, 0, PLAIN, 1);
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_place1(5, 5, 0, PLAIN, 1);
	c.flags = 0x80;
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_place1(5, 5, 0, PLAIN, 1);
	c.lines[0].reserved = 1;
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	c = pl_cancel(5, 5);
	c.line_count = 1;
	expect_rejected_cleanly(c, OC_REJECT_MALFORMED);
	expect_rejected_cleanly(pl_cancel(0, 5), OC_REJECT_MALFORMED);
}

static void test_reject_too_many_lines(void **state)
{
	struct oc_command c = pl_place(5, 5, 0);
	for (uint32_t i = 0; i < OC_ORDER_LINES_MAX; i++)
		pl_line_add(&c, PLAIN, 1);
	c.line_count = OC_ORDER_LINES_MAX + 1;
	expect_rejected_cleanly(c, OC_REJECT_TOO_MANY_LINES);
}

static void test_reject_unknown_region(void **state)
{
	expect_rejected_cleanly(pl_place1(5, 5, 4, PLAIN, 1), OC_REJECT_UNKNOWN_REGION);
	expect_rejected_cleanly(pl_place1(5, 5, UINT16_MAX, PLAIN, 1), OC_REJECT_UNKNOWN_REGION);
}

static void test_reject_unknown_sku(void **state)
{
	expect_rejected_cleanly(pl_place1(5, 5, 0, 0, 1), OC_REJECT_UNKNOWN_SKU);
	expect_rejected_cleanly(pl_place1(5, 5, 0, UNKNOWN, 1), OC_REJECT_UNKNOWN_SKU);
	struct oc_command c = pl_place1(5, 5, 0, OTHER, 1);
	pl_line_add(&c, UNKNOWN, 1); /* a later line: the earlier one is not reserved */
	expect_rejected_cleanly(c, OC_REJECT_UNKNOWN_SKU);
}

static void test_reject_bad_quantity(void **state)
{
	struct oc_config cfg;
	oc_config_init(&cfg);
	expect_rejected_cleanly(pl_place1(5, 5, 0, PLAIN, 0), OC_REJECT_BAD_QUANTITY);
	expect_rejected_cleanly(pl_place1(5, 5, 0, PLAIN, cfg.line_quantity_max + 1),
	                        OC_REJECT_BAD_QUANTITY);
	struct oc_command c = pl_place1(5, 5, 0, OTHER, 1);
	pl_line_add(&c, LIMITED, 0);
	expect_rejected_cleanly(c, OC_REJECT_BAD_QUANTITY);
}

static void test_reject_duplicate_sku(void **state)
{
	struct oc_command c = pl_place1(5, 5, 0, OTHER, 1);
	pl_line_add(&c, LIMITED, 1);
	pl_line_add(&c, OTHER, 2);
	expect_rejected_cleanly(c, OC_REJECT_DUPLICATE_SKU);
}

static void test_reject_out_of_stock(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	pl_run_expect(e, pl_place1(1, 1, 0, PLAIN, 11), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_place1(2, 1, 0, PLAIN, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(3, 2, 0, PLAIN, 1), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* Stock is checked before the limit: 1 unit of SCARCE, limit 2. */
	pl_run_expect(e, pl_place1(4, 2, 0, SCARCE, 3), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_place1(5, 2, 0, SCARCE, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_stop(e);
	expect_stock(e, PLAIN, 10);
	expect_stock(e, SCARCE, 1);
	oc_engine_free(e);
}

static void test_reject_capacity(void **state)
{
	struct oc_engine *e = start(WINDOW, 2);
	struct oc_command c[4] = {pl_place1(1, 1, 0, PLAIN, 1), pl_place1(2, 1, 0, PLAIN, 1),
	                          pl_place1(3, 1, 0, PLAIN, 1), pl_place1(1, 1, 0, PLAIN, 1)};
	struct oc_response r[4];
	pl_run(e, c, 4, r);
	pl_expect(&r[2], OC_STATUS_REJECTED, OC_REJECT_CAPACITY);
	pl_expect(&r[3], OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* a known key still answers */
	assert_int_equal(r[3].flags, OC_RESPONSE_DUPLICATE);
	pl_stop(e);
	expect_stock(e, PLAIN, 2);
	oc_engine_free(e);
}

/* orders_max is the number of orders the engine holds (ordercore.h), whatever their line
 * count: 64 orders of 4 lines fit in orders_max 64, the 65th is CAPACITY. (ENGINE BUG:
 * route sizes its allocation table as 2 * orders_max + OC_PLAN_ALLOCS_MAX and rejects an
 * order with CAPACITY when fewer than OC_PLAN_ALLOCS_MAX entries are left, so here order 34
 * is already rejected.) */
static void test_capacity_counts_orders_not_lines(void **state)
{
	enum { ORDERS = 64 };
	struct oc_engine *e = start(WINDOW, ORDERS);
	struct oc_command c[ORDERS + 1];
	struct oc_response r[ORDERS + 1];
	for (uint32_t i = 0; i <= ORDERS; i++) {
		c[i] = pl_place(i + 1, 1, 0);
		for (uint32_t l = 0; l < 4; l++)
			pl_line_add(&c[i], BULK + l, 1);
	}
	pl_run(e, c, ORDERS + 1, r);
	for (uint32_t i = 0; i < ORDERS; i++)
		pl_expect(&r[i], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[ORDERS], OC_STATUS_REJECTED, OC_REJECT_CAPACITY);
	pl_stop(e);
	for (uint32_t l = 0; l < 4; l++)
		expect_stock(e, BULK + l, ORDERS);
	oc_engine_free(e);
}

static void test_idempotent_retries(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[7] = {
	    pl_place1(1, 1, 0, PLAIN, 2),   /* accepted */
	    pl_place1(2, 1, 0, PLAIN, 100), /* rejected: out of stock */
	    pl_place1(1, 1, 0, PLAIN, 2),   /* retry */
	    pl_place1(1, 1, 3, PLAIN, 5),   /* retry with other content: original answer */
	    pl_place1(2, 1, 0, PLAIN, 1),   /* retry of the rejected order, now satisfiable */
	    pl_place1(1, 2, 0, PLAIN, 2),   /* another customer's key */
	    pl_place1(1, 1, 0, PLAIN, 2),   /* the first still answers as before */
	};
	struct oc_response r[7];
	pl_run(e, c, 7, r);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r[0].shipments, 1);
	assert_int_equal(r[0].warehouse, 0);
	pl_expect(&r[1], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	for (uint32_t i = 2; i < 7; i++) {
		uint32_t orig = i == 4 ? 1 : 0;
		if (i == 5) {
			pl_expect(&r[i], OC_STATUS_REJECTED, OC_REJECT_KEY_CONFLICT);
			assert_int_equal(r[i].flags, 0);
			assert_int_equal(r[i].original_seq, r[i].seq);
			continue;
		}
		assert_int_equal(r[i].flags, OC_RESPONSE_DUPLICATE);
		assert_int_equal(r[i].original_seq, c[orig].seq);
		assert_int_equal(r[i].status, r[orig].status);
		assert_int_equal(r[i].reason, r[orig].reason);
		assert_int_equal(r[i].shipments, r[orig].shipments);
		assert_int_equal(r[i].warehouse, r[orig].warehouse);
	}
	pl_stop(e);
	expect_stock(e, PLAIN, 2);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.duplicates, 4);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.rejected[OC_REJECT_KEY_CONFLICT], 1);
	oc_engine_free(e);
}

static void test_purchase_limits(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[6] = {
	    pl_place1(1, 1, 0, LIMITED, 3), /* exactly at the limit */
	    pl_place1(2, 2, 0, LIMITED, 4), /* one over in one order */
	    pl_place1(3, 3, 0, LIMITED, 2),
	    pl_place1(4, 3, 0, LIMITED, 1),
	    pl_place1(5, 3, 0, LIMITED, 1), /* one over across three orders */
	    pl_cancel(1, 1),
	};
	struct oc_response r[6];
	pl_run(e, c, 6, r);
	static const uint8_t status[6] = {OC_STATUS_ACCEPTED, OC_STATUS_REJECTED,
	                                  OC_STATUS_ACCEPTED, OC_STATUS_ACCEPTED,
	                                  OC_STATUS_REJECTED, OC_STATUS_CANCELLED};
	for (uint32_t i = 0; i < 6; i++)
		pl_expect(&r[i], status[i],
		          status[i] == OC_STATUS_REJECTED ? OC_REJECT_LIMIT_EXCEEDED
		                                          : OC_REJECT_NONE);
	/* The cancel (seq 6) gives customer 1's 3 units back from seq 6 + WINDOW on. */
	uint64_t cancel_seq = c[5].seq;
	pl_pad_until(e, cancel_seq, cancel_seq + WINDOW - 1);
	struct oc_response early = pl_run1(e, pl_place1(6, 1, 0, LIMITED, 1));
	assert_int_equal(early.seq, cancel_seq + WINDOW - 1);
	pl_expect(&early, OC_STATUS_REJECTED, OC_REJECT_LIMIT_EXCEEDED);
	struct oc_response due = pl_run1(e, pl_place1(7, 1, 0, LIMITED, 3));
	assert_int_equal(due.seq, cancel_seq + WINDOW);
	pl_expect(&due, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_stop(e);
	expect_stock(e, LIMITED, 6);
	oc_engine_free(e);
}

/* Every cancel outcome. Cancels this close together need inflight_max 1024 (the default):
 * with 64 they stall (test_cancels_close_together_small_window); so the lag here is 1024. */
static void test_cancel(void **state)
{
	struct oc_engine *e = start(1024, 0);
	struct oc_command c[9] = {
	    pl_place1(1, 1, 0, PLAIN, 10), /* accepted: every unit */
	    pl_place1(2, 1, 0, PLAIN, 1),  /* rejected: out of stock */
	    pl_cancel(3, 1),               /* unknown key */
	    pl_cancel(1, 2),               /* another customer's order */
	    pl_cancel(2, 1),               /* a rejected order */
	    pl_cancel(1, 1),               /* cancelled */
	    pl_cancel(1, 1),               /* already cancelled */
	    pl_place1(1, 1, 0, PLAIN, 10), /* a retry still answers the original decision */
	    pl_place1(4, 2, 0, PLAIN, 10), /* within the lag: the units are not back yet */
	};
	struct oc_response r[9];
	pl_run(e, c, 9, r);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[1], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_expect(&r[2], OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_expect(&r[3], OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_expect(&r[4], OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	pl_expect(&r[5], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	assert_int_equal(r[5].original_seq, c[0].seq);
	pl_expect(&r[6], OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	pl_expect(&r[7], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r[7].flags, OC_RESPONSE_DUPLICATE);
	assert_int_equal(r[7].original_seq, c[0].seq);
	pl_expect(&r[8], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_pad_until(e, c[8].seq, c[5].seq + 1023);
	struct oc_response early = pl_run_expect(e, pl_place1(5, 2, 0, PLAIN, 10),
	                                         OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	assert_int_equal(early.seq, c[5].seq + 1023);
	struct oc_response due = pl_run1(e, pl_place1(6, 2, 0, PLAIN, 10));
	assert_int_equal(due.seq, c[5].seq + 1024);
	pl_expect(&due, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_stop(e);
	expect_stock(e, PLAIN, 10);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.cancelled, 1);
	oc_engine_free(e);
}

/* A cancelled order's units are back in oc_engine_stock after stop, with no padding. */
static void test_cancel_stock_after_stop(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[3] = {pl_place1(1, 1, 0, SPLIT, 6), pl_place1(2, 1, 0, LIMITED, 3),
	                          pl_cancel(1, 1)};
	struct oc_response r[3];
	pl_run(e, c, 3, r);
	pl_expect(&r[2], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_stop(e);
	expect_stock(e, SPLIT, 0);
	expect_stock(e, LIMITED, 3);
	oc_engine_free(e);
}

/* Two cancels closer together than inflight_max at the end of the stream. With
 * inflight_max 64 the release rings have 1024 slots, and route holds a cancel back until
 * every release ring has OC_PLAN_ALLOCS_MAX (16 * 64 = 1024) free slots; the first cancel's
 * release is not due until seq 3 + 64, so the second cancel is never answered and
 * oc_engine_stop would wait for it forever. (ENGINE BUG: this test fails by the stall
 * watchdog in pl_run.) */
static void test_cancels_close_together_small_window(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[4] = {pl_place1(1, 1, 0, PLAIN, 1), pl_place1(2, 1, 0, PLAIN, 1),
	                          pl_cancel(1, 1), pl_cancel(2, 1)};
	struct oc_response r[4];
	pl_run(e, c, 4, r);
	pl_expect(&r[2], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_expect(&r[3], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_stop(e);
	expect_stock(e, PLAIN, 0);
	oc_engine_free(e);
}

/* A multi-line order with one line out of stock on another shard is rejected whole; the
 * line that was reserved comes back after the lag (not one sequence number earlier), and
 * is in the stock after stop. The reason is the lowest-index failing line's. */
static void test_multi_line_all_or_nothing(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c[5] = {pl_place1(1, 1, 0, PLAIN, 2), pl_place1(2, 2, 0, OTHER, 6),
	                          pl_place1(3, 2, 0, LIMITED, 4), pl_place1(4, 3, 0, LIMITED, 3),
	                          pl_place1(5, 2, 0, PLAIN, 9)};
	pl_line_add(&c[0], OTHER, 6);   /* 5 in stock */
	pl_line_add(&c[1], LIMITED, 4); /* over the limit, but line 0 failed first */
	pl_line_add(&c[2], OTHER, 6);
	pl_line_add(&c[3], OTHER, 6); /* LIMITED 3 is held for customer 3, then given back */
	struct oc_response r[5];
	pl_run(e, c, 5, r);
	pl_expect(&r[0], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_expect(&r[1], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_expect(&r[2], OC_STATUS_REJECTED, OC_REJECT_LIMIT_EXCEEDED);
	pl_expect(&r[3], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* PLAIN's 2 units held by order 1 are not visible yet: 8 of 10. */
	pl_expect(&r[4], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);

	pl_pad_until(e, c[4].seq, c[0].seq + WINDOW - 1);
	struct oc_response x = pl_run_expect(e, pl_place1(6, 2, 0, PLAIN, 9), OC_STATUS_REJECTED,
	                                     OC_REJECT_OUT_OF_STOCK);
	assert_int_equal(x.seq, c[0].seq + WINDOW - 1);
	x = pl_run_expect(e, pl_place1(7, 2, 0, PLAIN, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(x.seq, c[0].seq + WINDOW);

	/* Customer 3's limit units from order 4 likewise. */
	pl_pad_until(e, x.seq, c[3].seq + WINDOW - 1);
	x = pl_run_expect(e, pl_place1(8, 3, 0, LIMITED, 1), OC_STATUS_REJECTED,
	                  OC_REJECT_LIMIT_EXCEEDED);
	assert_int_equal(x.seq, c[3].seq + WINDOW - 1);
	x = pl_run_expect(e, pl_place1(9, 3, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(x.seq, c[3].seq + WINDOW);
	pl_stop(e);
	expect_stock(e, PLAIN, 10);
	expect_stock(e, OTHER, 0);
	expect_stock(e, LIMITED, 3);
	oc_engine_free(e);
}

/* Releases still pending at stop are applied by oc_engine_stop. */
static void test_multi_line_release_applied_at_stop(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_command c = pl_place1(1, 1, 0, LIMITED, 3);
	pl_line_add(&c, OTHER, 6);
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_stop(e);
	expect_stock(e, LIMITED, 0);
	expect_stock(e, OTHER, 0);
	oc_engine_free(e);
}

static void expect_route(struct oc_engine *e, struct oc_command c, unsigned shipments,
                         unsigned warehouse)
{
	struct oc_response r = pl_run1(e, c);
	pl_expect(&r, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.shipments, shipments);
	assert_int_equal(r.warehouse, warehouse);
}

static void test_routing(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	int ra = oc_engine_region_id(e, "RA"), rc = oc_engine_region_id(e, "RC"),
	    rd = oc_engine_region_id(e, "RD");
	assert_int_equal(ra, 0);
	assert_int_equal(rd, 3);
	assert_int_equal(oc_engine_region_id(e, "RX"), -ENOENT);
	/* The nearest warehouse per region. */
	expect_route(e, pl_place1(1, 1, (uint16_t)ra, EVERY, 5), 1, 0);
	expect_route(e, pl_place1(2, 1, (uint16_t)rd, EVERY, 2), 1, 3);
	expect_route(e, pl_place1(3, 1, (uint16_t)rc, EVERY, 2), 1, 2);
	/* W0 is empty now: the next nearest that holds the line whole. */
	expect_route(e, pl_place1(4, 1, (uint16_t)ra, EVERY, 1), 1, 1);
	/* W3 has 3 left, W2 3: 4 units whole only at W1. */
	expect_route(e, pl_place1(5, 1, (uint16_t)rd, EVERY, 4), 1, 1);
	/* The nearest warehouse holding every line, not the nearest holding the first. */
	struct oc_command c = pl_place1(6, 1, (uint16_t)rd, EVERY, 1);
	pl_line_add(&c, AT_W2, 1);
	expect_route(e, c, 1, 2);
	/* No warehouse holds both lines: W1 and W2. */
	c = pl_place1(7, 1, (uint16_t)ra, AT_W1, 1);
	pl_line_add(&c, AT_W2, 1);
	expect_route(e, c, 2, 1);
	c = pl_place1(8, 1, (uint16_t)rd, AT_W2, 1);
	pl_line_add(&c, AT_W1, 1);
	expect_route(e, c, 2, 2);
	/* One line no warehouse holds whole: 3 from W0 and 3 from W1. */
	expect_route(e, pl_place1(9, 1, (uint16_t)ra, SPLIT, 6), 2, 0);
	expect_route(e, pl_place1(10, 1, (uint16_t)rd, SPLIT, 1), 1, 1);
	pl_run_expect(e, pl_place1(11, 1, (uint16_t)rd, SPLIT, 1), OC_STATUS_REJECTED,
	              OC_REJECT_OUT_OF_STOCK);
	pl_stop(e);
	expect_stock(e, EVERY, 15);
	expect_stock(e, AT_W1, 2);
	expect_stock(e, AT_W2, 3);
	expect_stock(e, SPLIT, 7);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.split_orders, 3);
	oc_engine_free(e);
}

static void expect_config_error(struct oc_config *c, int rc, const char *what)
{
	struct oc_engine *e = (struct oc_engine *)&e; /* must be reset to NULL */
	char err[512] = "";
	assert_int_equal(oc_engine_create(c, &e, err, sizeof(err)), rc);
	assert_null(e);
	print_message("config error: %s\n", err);
	assert_non_null(strstr(err, what));
}

/* Queries answer from the state after every command before them, and change nothing. */
static void test_queries(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_response placed = pl_run_expect(e, pl_place1(7, 70, 0, PLAIN, 3), OC_STATUS_ACCEPTED,
						  OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(8, 80, 0, PLAIN, 20), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK);
	/* By key, and by the order's sequence number. */
	struct oc_response q = pl_run_expect(e, pl_query_order(7), OC_STATUS_ACCEPTED,
					     OC_REJECT_NONE);
	assert_int_equal(q.type, OC_CMD_QUERY_ORDER);
	assert_int_equal(q.original_seq, placed.seq);
	assert_int_equal(q.shipments, 1);
	q = pl_run_expect(e, pl_query_order(8), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	q = pl_run_expect(e, pl_query_seq(placed.seq), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(q.original_seq, placed.seq);
	pl_run_expect(e, pl_query_order(9), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_query_seq(placed.seq + 1000), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_query_seq(1 + placed.seq), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK); /* order 8, found by its sequence number */
	/* Stock: 3 of PLAIN's 10 allocated, 7 available. */
	q = pl_run_expect(e, pl_query_stock(PLAIN), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 3);
	assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), 7);
	pl_run_expect(e, pl_query_stock(UNKNOWN), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	/* Cancelled: the query says so at once; the units come back to sale after the lag. */
	pl_run_expect(e, pl_cancel(7, 70), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_run_expect(e, pl_query_order(7), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	q = pl_run_expect(e, pl_query_stock(PLAIN), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 0);
	assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), 7); /* the 3 still in their lag */
	/* Malformed queries. */
	struct oc_command bad = pl_query_stock(PLAIN);
	bad.lines[0].quantity = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_query_order(0), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.accepted, 1); /* queries are not counted as orders */
	assert_int_equal(st.rejected[OC_REJECT_UNKNOWN_ORDER], 0);
	expect_stock(e, PLAIN, 0);
	oc_engine_free(e);
}

/* Restock and write-off: units added become sellable after the release lag, in the warehouse
 * named; a write-off takes only free units of that warehouse; both are idempotent by key, are
 * found by an order query, cannot be cancelled, and are bounded. */
static void test_stock_changes(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	assert_int_equal(oc_engine_warehouse_id(e, "W2"), 2);
	assert_int_equal(oc_engine_warehouse_id(e, "W9"), -ENOENT);
	/* AT_W1 (10 at W1) sold out. */
	pl_run_expect(e, pl_place1(1, 10, 1, AT_W1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(2, 20, 1, AT_W1, 1), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* Restock 4 at W3: answered at once, the units on hand and free; sellable after the lag. */
	struct oc_command rs = pl_stock_change(OC_CMD_RESTOCK, 100, 7, 3, AT_W1, 4);
	struct oc_response r = pl_run_expect(e, rs, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.type, OC_CMD_RESTOCK);
	assert_int_equal(r.warehouse, 3);
	struct oc_response q = pl_run_expect(e, pl_query_stock(AT_W1), OC_STATUS_ACCEPTED,
					     OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), 0); /* in its lag */
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 10);
	pl_run_expect(e, pl_place1(3, 30, 3, AT_W1, 1), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_pad(e, WINDOW);
	r = pl_run_expect(e, pl_place1(4, 40, 3, AT_W1, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.warehouse, 3); /* from where the units were put */
	/* A retry answers the original and adds nothing; the key is one command. */
	r = pl_run_expect(e, rs, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_place1(100, 7, 0, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_KEY_CONFLICT);
	pl_run_expect(e, pl_cancel(100, 7), OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	q = pl_run_expect(e, pl_query_order(100), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(q.warehouse, 3);
	/* Write-off: W3 has 1 free (4 restocked, 3 allocated); 2 is refused and given back. */
	pl_run_expect(e, pl_stock_change(OC_CMD_WRITE_OFF, 101, 7, 3, AT_W1, 2),
		      OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_stock_change(OC_CMD_WRITE_OFF, 102, 7, 1, AT_W1, 1),
		      OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK); /* W1: all allocated */
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_stock_change(OC_CMD_WRITE_OFF, 103, 7, 3, AT_W1, 1),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(5, 50, 3, AT_W1, 1), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* Per warehouse: W3 holds 3 (4 restocked, 1 written off), all allocated; W1 10, all
	 * allocated; W0 none. */
	struct oc_command at = pl_query_stock(AT_W1);
	at.type = OC_CMD_QUERY_STOCK_AT;
	static const uint64_t free_at[4] = {0, 0, 0, 0}, held_at[4] = {0, 10, 0, 3};
	for (uint16_t w = 0; w < 4; w++) {
		at.region = w;
		q = pl_run_expect(e, at, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), free_at[w]);
		assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), held_at[w]);
		assert_int_equal(q.warehouse, w);
	}
	at.region = 4;
	pl_run_expect(e, at, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION);
	at.region = 0;
	at.lines[0].sku = UNKNOWN;
	pl_run_expect(e, at, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	/* A write-off ignores purchase limits (LIMITED: 3 per customer). */
	pl_run_expect(e, pl_stock_change(OC_CMD_WRITE_OFF, 104, 7, 0, LIMITED, 50),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* Bad stock changes change nothing. */
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 110, 7, 4, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_REGION); /* no warehouse 4 */
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 110, 7, 0, UNKNOWN, 1),
		      OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 110, 7, 0, PLAIN, 0), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 110, 0, 0, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	struct oc_command two = pl_stock_change(OC_CMD_RESTOCK, 110, 7, 0, PLAIN, 1);
	pl_line_add(&two, OTHER, 1);
	pl_run_expect(e, two, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	/* The bound on a SKU's units: 10 on hand + (10^9 - 10) fits; one more does not. */
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 111, 7, 0, PLAIN, 1000000000u - 10),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 112, 7, 1, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.restocks, 2);
	assert_int_equal(st.write_offs, 2);
	assert_int_equal(st.accepted, 2); /* orders only */
	struct oc_stock s = pl_stock(e, AT_W1);
	assert_int_equal(s.initial, 10);
	assert_int_equal(s.on_hand, 13);
	assert_int_equal(s.allocated, 13);
	assert_int_equal(s.available, 0);
	s = pl_stock(e, LIMITED);
	assert_int_equal(s.on_hand, 50);
	assert_int_equal(s.available, 50);
	s = pl_stock(e, PLAIN);
	assert_int_equal(s.on_hand, 1000000000u);
	assert_int_equal(s.available, 1000000000u);
	oc_engine_free(e);
}

/* The fulfilment steps: each moves an order one state on, from the one state it allows; any
 * other state refuses it (invalid_state) and changes nothing; a repeat is a duplicate;
 * cancel is possible up to packed; shipping takes the units off hand. */
static void expect_step(struct oc_engine *e, uint8_t type, uint64_t key, uint64_t customer,
			unsigned status, unsigned reason, unsigned state)
{
	struct oc_response r = pl_run_expect(e, pl_step(type, key, customer), status, reason);
	if (r.state != state)
		fail_msg("%s of %llu: state %s, want %s", oc_reject_reason_name(reason),
			 (unsigned long long)key, oc_order_state_name(r.state),
			 oc_order_state_name(state));
}

static void test_fulfilment_steps(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	enum { PICK = OC_CMD_PICK_CONFIRMED, PACK = OC_CMD_PACK_CONFIRMED, SHIP = OC_CMD_SHIPPED,
	       DELIVER = OC_CMD_DELIVERED };
	struct oc_response placed = pl_run_expect(e, pl_place1(1, 10, 0, EVERY, 2),
						  OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(placed.state, OC_STATE_ALLOCATED);
	/* From allocated only pick is allowed. */
	expect_step(e, PACK, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_ALLOCATED);
	expect_step(e, SHIP, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_ALLOCATED);
	expect_step(e, DELIVER, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		    OC_STATE_ALLOCATED);
	expect_step(e, PICK, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_PICKED);
	struct oc_response again = pl_run_expect(e, pl_step(PICK, 1, 10), OC_STATUS_ACCEPTED,
						 OC_REJECT_NONE);
	assert_true(again.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(again.original_seq, placed.seq);
	expect_step(e, SHIP, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_PICKED);
	expect_step(e, PACK, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_PACKED);
	/* A late retry of a step done before: a duplicate, whatever came after it. */
	again = pl_run_expect(e, pl_step(PICK, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(again.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(again.state, OC_STATE_PACKED);
	struct oc_response q = pl_run_expect(e, pl_query_order(1), OC_STATUS_ACCEPTED,
					     OC_REJECT_NONE);
	assert_int_equal(q.state, OC_STATE_PACKED);
	/* Shipping: the 2 units leave W0 (EVERY: 5 in each of four warehouses). */
	q = pl_run_expect(e, pl_query_stock(EVERY), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 2);
	expect_step(e, SHIP, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_SHIPPED);
	q = pl_run_expect(e, pl_query_stock(EVERY), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 0);
	assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), 18);
	/* Shipped: no cancel; delivered, then nothing more. */
	pl_run_expect(e, pl_cancel(1, 10), OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	expect_step(e, DELIVER, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_DELIVERED);
	again = pl_run_expect(e, pl_step(SHIP, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(again.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(again.state, OC_STATE_DELIVERED);
	q = pl_run_expect(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(q.state, OC_STATE_DELIVERED);
	/* Cancel up to packed: picked and packed orders give their units back. */
	pl_run_expect(e, pl_place1(2, 20, 0, AT_W1, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_step(e, PICK, 2, 20, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_PICKED);
	struct oc_response c = pl_run_expect(e, pl_cancel(2, 20), OC_STATUS_CANCELLED,
					     OC_REJECT_NONE);
	assert_int_equal(c.state, OC_STATE_CANCELLED);
	expect_step(e, PACK, 2, 20, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		    OC_STATE_CANCELLED);
	pl_run_expect(e, pl_place1(3, 30, 0, AT_W2, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* The pack's quality check: failed, the order stays picked (twice: two failures), then
	 * packed; not from allocated, nor once packed; no other flag. */
	struct oc_command qc = pl_step(PACK, 3, 30);
	qc.flags = OC_PACK_QC_FAILED;
	pl_run_expect(e, qc, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	expect_step(e, PICK, 3, 30, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_PICKED);
	for (int i = 0; i < 2; i++) {
		struct oc_response f = pl_run_expect(e, qc, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(f.state, OC_STATE_PICKED);
		assert_int_equal(f.flags, 0);
	}
	struct oc_command odd = qc;
	odd.flags = 2;
	pl_run_expect(e, odd, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	expect_step(e, PACK, 3, 30, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_PACKED);
	pl_run_expect(e, qc, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_cancel(3, 30), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	/* A rejected order, another customer, an unknown key, a stock change's key, bad form. */
	pl_run_expect(e, pl_place1(4, 40, 0, SCARCE, 2), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK);
	expect_step(e, PICK, 4, 40, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_REJECTED);
	pl_run_expect(e, pl_step(PICK, 1, 11), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_step(PICK, 99, 10), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 5, 50, 0, PLAIN, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_step(PICK, 5, 50), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	struct oc_command bad = pl_step(PICK, 1, 10);
	bad.line_count = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(st.shipped, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.cancelled, 2);
	assert_int_equal(st.rejected[OC_REJECT_INVALID_STATE], 8);
	assert_int_equal(st.qc_failures, 2);
	struct oc_stock sk = pl_stock(e, EVERY);
	assert_int_equal(sk.initial, 20);
	assert_int_equal(sk.on_hand, 18);
	assert_int_equal(sk.allocated, 0);
	sk = pl_stock(e, AT_W1);
	assert_int_equal(sk.on_hand, 10);
	assert_int_equal(sk.available, 10);
	oc_engine_free(e);
}

/* Card payment: the order waits in payment_pending with its stock held; authorized lets
 * fulfilment start, declined gives the stock back; both only from payment_pending (repeated:
 * duplicates), never for a prepaid order; a pending order can be cancelled. */
static void test_payment_steps(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	enum { AUTH = OC_CMD_PAYMENT_AUTHORIZED, DECLINE = OC_CMD_PAYMENT_DECLINED };
	struct oc_command card = pl_place1(1, 10, 1, AT_W1, 6);
	card.flags = OC_PLACE_CARD;
	struct oc_response r = pl_run_expect(e, card, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_PAYMENT_PENDING);
	/* Held: the other 4 units only. */
	pl_run_expect(e, pl_place1(2, 20, 1, AT_W1, 5), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	expect_step(e, OC_CMD_PICK_CONFIRMED, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		    OC_STATE_PAYMENT_PENDING);
	expect_step(e, AUTH, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_ALLOCATED);
	r = pl_run_expect(e, pl_step(AUTH, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	expect_step(e, DECLINE, 1, 10, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		    OC_STATE_ALLOCATED);
	expect_step(e, OC_CMD_PICK_CONFIRMED, 1, 10, OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		    OC_STATE_PICKED);
	r = pl_run_expect(e, pl_step(AUTH, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE); /* a late retry: done before */
	/* Declined: the stock goes back (after the lag), a retry is a duplicate. */
	struct oc_command card2 = pl_place1(3, 30, 2, AT_W2, 10);
	card2.flags = OC_PLACE_CARD;
	pl_run_expect(e, card2, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_step(e, DECLINE, 3, 30, OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_CANCELLED);
	r = pl_run_expect(e, pl_step(DECLINE, 3, 30), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	expect_step(e, AUTH, 3, 30, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_CANCELLED);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(4, 40, 2, AT_W2, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* A prepaid order has no payment step; a pending one can be cancelled. */
	expect_step(e, AUTH, 4, 40, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE, OC_STATE_ALLOCATED);
	struct oc_command card3 = pl_place1(5, 50, 0, OTHER, 2);
	card3.flags = OC_PLACE_CARD;
	pl_run_expect(e, card3, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(5, 50), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(AUTH, 5, 51), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	/* Unknown flags are malformed. */
	struct oc_command odd = pl_place1(6, 60, 0, OTHER, 1);
	odd.flags = 0x2;
	pl_run_expect(e, odd, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(st.cancelled, 2);
	struct oc_stock sk = pl_stock(e, AT_W1);
	assert_int_equal(sk.allocated, 6);
	sk = pl_stock(e, AT_W2);
	assert_int_equal(sk.allocated, 10);
	sk = pl_stock(e, OTHER);
	assert_int_equal(sk.allocated, 0);
	oc_engine_free(e);
}

static void expect_money(const struct oc_response *r, unsigned payment, uint64_t amount_cents,
			 uint64_t refunded_cents)
{
	if (r->payment != payment || r->amount_cents != amount_cents ||
	    r->refunded_cents != refunded_cents)
		fail_msg("seq %llu (type %u): payment %s amount %llu refunded %llu, want %s %llu %llu",
			 (unsigned long long)r->seq, r->type, oc_payment_state_name(r->payment),
			 (unsigned long long)r->amount_cents, (unsigned long long)r->refunded_cents,
			 oc_payment_state_name(payment), (unsigned long long)amount_cents,
			 (unsigned long long)refunded_cents);
}

/* Runs a command that must succeed and checks the money its answer carries. */
static struct oc_response expect_paid(struct oc_engine *e, struct oc_command c, unsigned status,
				      unsigned payment, uint64_t amount_cents,
				      uint64_t refunded_cents)
{
	struct oc_response r = pl_run_expect(e, c, status, OC_REJECT_NONE);
	expect_money(&r, payment, amount_cents, refunded_cents);
	return r;
}

/* Takes a placed order through pick, pack, ship and deliver. */
static void deliver(struct oc_engine *e, uint64_t key, uint64_t customer)
{
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_DELIVERED; t++)
		pl_run_expect(e, pl_step(t, key, customer), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
}

/* Money (docs/lifecycle.md): an order's amount is price x quantity over its lines; every
 * answer about it says where its money is. Prepaid: paid, refunded in full by a cancel. Card:
 * pending, authorized, captured at shipment, voided by a cancel, a decline or the lease.
 * Refunds: their own keys, a delivered order only, partial or the rest, never more than what
 * is left; refunded once all of it is; every refusal changes nothing. */
static void test_money(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	enum { AUTH = OC_CMD_PAYMENT_AUTHORIZED, DECLINE = OC_CMD_PAYMENT_DECLINED };
	const uint64_t total = 2 * EVERY_PRICE + PLAIN_PRICE;
	struct oc_command c = pl_place1(1, 10, 0, EVERY, 2);
	pl_line_add(&c, PLAIN, 1);
	struct oc_response placed = expect_paid(e, c, OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID,
						total, 0);
	/* Not delivered yet: refused, and the refusal is the refund key's answer from then on. */
	struct oc_response r = pl_run_expect(e, pl_refund(100, 10, 1, 0), OC_STATUS_REJECTED,
					     OC_REJECT_INVALID_STATE);
	assert_int_equal(r.state, OC_STATE_ALLOCATED);
	r = pl_run_expect(e, pl_refund(100, 10, 1, 0), OC_STATUS_REJECTED,
			  OC_REJECT_INVALID_STATE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	deliver(e, 1, 10);
	r = expect_paid(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID, total, 0);
	assert_int_equal(r.original_seq, placed.seq);
	/* A partial refund, its retry, one too large, the rest. */
	r = expect_paid(e, pl_refund(101, 10, 1, 1000), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED,
			1000, 1000);
	assert_int_equal(r.type, OC_CMD_REFUND);
	assert_int_equal(r.state, OC_STATE_DELIVERED);
	assert_int_equal(r.original_seq, r.seq);
	struct oc_response again = expect_paid(e, pl_refund(101, 10, 1, 1000), OC_STATUS_ACCEPTED,
					       OC_PAYMENT_REFUNDED, 1000, 1000);
	assert_true(again.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(again.original_seq, r.seq);
	r = pl_run_expect(e, pl_refund(102, 10, 1, total - 999), OC_STATUS_REJECTED,
			  OC_REJECT_BAD_AMOUNT);
	expect_money(&r, OC_PAYMENT_NONE, total - 999, 1000);
	/* Not the order's customer, no such order, a refund's key, a refund's key reused. */
	pl_run_expect(e, pl_refund(103, 11, 1, 0), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_refund(104, 10, 999, 0), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_refund(105, 10, 101, 0), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_refund(1, 10, 1, 0), OC_STATUS_REJECTED, OC_REJECT_KEY_CONFLICT);
	pl_run_expect(e, pl_cancel(101, 10), OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	/* Fields only a refund has are ignored by other commands (an order's amount is its
	 * prices'); a refund without its order, or with lines, is malformed. */
	struct oc_command other = pl_place1(6, 60, 0, PLAIN, 1);
	other.amount_cents = 5;
	other.order_key = 1;
	expect_paid(e, other, OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID, PLAIN_PRICE, 0);
	struct oc_command bad;
	pl_run_expect(e, pl_refund(106, 10, 0, 0), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = pl_refund(106, 10, 1, 0);
	bad.line_count = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	/* The rest: refunded, and nothing more. */
	r = expect_paid(e, pl_refund(107, 10, 1, 0), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED,
			total - 1000, total);
	assert_int_equal(r.state, OC_STATE_REFUNDED);
	pl_run_expect(e, pl_refund(108, 10, 1, 1), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	r = expect_paid(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED, total,
			total);
	assert_int_equal(r.state, OC_STATE_REFUNDED);
	r = expect_paid(e, pl_query_order(101), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED, 1000,
			1000);
	assert_int_equal(r.type, OC_CMD_QUERY_ORDER);
	r = pl_run_expect(e, pl_step(OC_CMD_DELIVERED, 1, 10), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE); /* a late retry: done before the refund */
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	/* Card: pending, authorized, captured at shipment, then a refund. */
	struct oc_command card = pl_place1(2, 20, 1, AT_W1, 3);
	card.flags = OC_PLACE_CARD;
	expect_paid(e, card, OC_STATUS_ACCEPTED, OC_PAYMENT_PENDING, 3 * AT_W1_PRICE, 0);
	expect_paid(e, pl_step(AUTH, 2, 20), OC_STATUS_ACCEPTED, OC_PAYMENT_AUTHORIZED,
		    3 * AT_W1_PRICE, 0);
	r = expect_paid(e, card, OC_STATUS_ACCEPTED, OC_PAYMENT_PENDING, 3 * AT_W1_PRICE, 0);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE); /* as placed */
	expect_paid(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED,
		    OC_PAYMENT_AUTHORIZED, 3 * AT_W1_PRICE, 0);
	expect_paid(e, pl_step(OC_CMD_PACK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED,
		    OC_PAYMENT_AUTHORIZED, 3 * AT_W1_PRICE, 0);
	expect_paid(e, pl_step(OC_CMD_SHIPPED, 2, 20), OC_STATUS_ACCEPTED, OC_PAYMENT_CAPTURED,
		    3 * AT_W1_PRICE, 0);
	expect_paid(e, pl_step(OC_CMD_DELIVERED, 2, 20), OC_STATUS_ACCEPTED, OC_PAYMENT_CAPTURED,
		    3 * AT_W1_PRICE, 0);
	expect_paid(e, pl_refund(201, 20, 2, 500), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED, 500,
		    500);
	r = expect_paid(e, pl_step(AUTH, 2, 20), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED,
			3 * AT_W1_PRICE, 500);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE); /* a provider's late retry */
	/* Voided: cancelled once authorized, declined; refunded: a prepaid order cancelled. */
	card = pl_place1(3, 30, 0, OTHER, 1);
	card.flags = OC_PLACE_CARD;
	expect_paid(e, card, OC_STATUS_ACCEPTED, OC_PAYMENT_PENDING, OTHER_PRICE, 0);
	expect_paid(e, pl_step(AUTH, 3, 30), OC_STATUS_ACCEPTED, OC_PAYMENT_AUTHORIZED,
		    OTHER_PRICE, 0);
	expect_paid(e, pl_cancel(3, 30), OC_STATUS_CANCELLED, OC_PAYMENT_VOIDED, OTHER_PRICE, 0);
	card.key = 4;
	card.customer = 40;
	expect_paid(e, card, OC_STATUS_ACCEPTED, OC_PAYMENT_PENDING, OTHER_PRICE, 0);
	expect_paid(e, pl_step(DECLINE, 4, 40), OC_STATUS_ACCEPTED, OC_PAYMENT_VOIDED, OTHER_PRICE,
		    0);
	expect_paid(e, pl_place1(5, 50, 0, OTHER, 2), OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID,
		    2 * OTHER_PRICE, 0);
	expect_paid(e, pl_cancel(5, 50), OC_STATUS_CANCELLED, OC_PAYMENT_REFUNDED,
		    2 * OTHER_PRICE, 2 * OTHER_PRICE);
	/* No money: a rejected order, a stock change, a stock query; a free item. */
	r = pl_run_expect(e, pl_place1(7, 70, 0, SCARCE, 2), OC_STATUS_REJECTED,
			  OC_REJECT_OUT_OF_STOCK);
	expect_money(&r, OC_PAYMENT_NONE, 0, 0);
	r = pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 8, 80, 0, PLAIN, 1),
			  OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_money(&r, OC_PAYMENT_NONE, 0, 0);
	expect_paid(e, pl_place1(9, 90, 2, AT_W2, 1), OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID, 0,
		    0);
	deliver(e, 9, 90);
	/* A free order has nothing to pay back: bad_amount, and it stays delivered (a return or a
	 * replacement may still follow). */
	r = pl_run_expect(e, pl_refund(901, 90, 9, 0), OC_STATUS_REJECTED, OC_REJECT_BAD_AMOUNT);
	assert_int_equal(r.state, OC_STATE_DELIVERED);
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(st.refunds, 3);
	assert_int_equal(st.rejected[OC_REJECT_BAD_AMOUNT], 2);
	oc_engine_free(e);
}

/* Runs one command (cmd NULL: none, just a chance for the engine's own) and polls until its
 * answer, and for up to wait_ms more when cmd is NULL; every response into out (unsolicited
 * ones too), their count returned. */
static uint32_t run_collect(struct oc_engine *e, struct oc_command *cmd, uint32_t wait_ms,
			    struct oc_response *out, uint32_t cap)
{
	while (cmd && oc_engine_try_submit_burst(e, cmd, 1) != 1)
		assert_true(oc_engine_poll_burst(e, out, 0) == 0);
	uint32_t got = 0;
	double until = pl_now_s() + (cmd ? PL_STALL_S : wait_ms / 1000.0);
	while (pl_now_s() < until) {
		if (!cmd)
			oc_engine_try_submit_burst(e, NULL, 0); /* lets the sequencer tick */
		int k = oc_engine_poll_burst(e, out + got, cap - got);
		got += (uint32_t)k;
		if (cmd && got && out[got - 1].seq == cmd->seq &&
		    !(out[got - 1].flags & (OC_RESPONSE_UNSOLICITED | OC_RESPONSE_ROW)))
			return got;
		if (!k)
			usleep(1000);
	}
	if (cmd)
		fail_msg("no answer to seq %llu", (unsigned long long)cmd->seq);
	return got;
}

/* Runs a query with rows; checks that every response but the last is a row of it and the last
 * its answer with this status and reason; returns the row count (rows in out[0..count)). */
static uint32_t run_rows(struct oc_engine *e, struct oc_command q, unsigned status,
			 unsigned reason, struct oc_response *out, uint32_t cap)
{
	uint32_t n = run_collect(e, &q, 0, out, cap);
	assert_true(n >= 1);
	for (uint32_t i = 0; i + 1 < n; i++) {
		assert_int_equal(out[i].flags & ~OC_RESPONSE_MORE, OC_RESPONSE_ROW);
		assert_int_equal(out[i].seq, q.seq);
	}
	pl_expect(&out[n - 1], status, reason);
	assert_int_equal(out[n - 1].type, q.type);
	assert_false(out[n - 1].flags & OC_RESPONSE_ROW);
	return n - 1;
}

/* Reads route's counters (OC_CMD_QUERY_COUNTERS) page by page into v[0..OC_COUNTER_COUNT):
 * each row the next counter, each page 32 but the last, MORE on all but the last, the answer
 * the count; a page past the last counter is the answer alone. */
static void read_counters(struct oc_engine *e, uint64_t v[OC_COUNTER_COUNT])
{
	struct oc_response rows[OC_QUERY_ROWS_MAX + 1];
	uint32_t at = 0;
	for (;;) {
		uint32_t n = run_rows(e, pl_query_counters((uint16_t)at), OC_STATUS_ACCEPTED,
				      OC_REJECT_NONE, rows, OC_QUERY_ROWS_MAX + 1);
		assert_int_equal(rows[n].original_seq, OC_COUNTER_COUNT);
		bool more = rows[n].flags & OC_RESPONSE_MORE;
		assert_int_equal(n, more ? OC_QUERY_ROWS_MAX : OC_COUNTER_COUNT - at);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(rows[i].flags, OC_RESPONSE_ROW); /* not MORE: the answer's */
			assert_int_equal(rows[i].type, OC_CMD_QUERY_COUNTERS);
			assert_int_equal(rows[i].original_seq, at);
			v[at++] = rows[i].amount_cents;
		}
		if (!more)
			break;
	}
	assert_int_equal(at, OC_COUNTER_COUNT);
	assert_int_equal(run_rows(e, pl_query_counters((uint16_t)at), OC_STATUS_ACCEPTED,
				  OC_REJECT_NONE, rows, 1),
			 0);
}

/* Reads the counters twice (the first read changed none), stops the engine and checks them
 * against its stats, counter by counter; the stats. Route never answers unavailable (egress
 * does, and counts it). */
static struct oc_stats counters_then_stop(struct oc_engine *e)
{
	uint64_t v[OC_COUNTER_COUNT], again[OC_COUNTER_COUNT];
	read_counters(e, v);
	read_counters(e, again);
	assert_memory_equal(v, again, sizeof(v));
	struct oc_stats st = pl_stop_stats(e);
	const uint64_t own[] = {
		st.accepted,		   st.cancelled,	  st.duplicates,
		st.split_orders,	   st.restocks,		  st.write_offs,
		st.shipped,		   st.delivered,	  st.lease_expiries,
		st.refunds,		   st.adjustments,	  st.exceptions,
		st.returns,		   st.returns_received,	  st.replacements,
		st.qc_failures,		   st.holds,		  st.reviews_approved,
		st.reviews_rejected,	   st.short_picks,	  st.short_units_rerouted,
		st.short_units_cut,	   st.payments_received,  st.review_expiries,
		st.labels,		   st.label_cents,	  st.short_units_backordered,
		st.backorder_units_filled, st.backorder_units_cut};
	_Static_assert(sizeof(own) / sizeof(own[0]) == OC_COUNTER_REJECTED, "route's own");
	for (uint32_t i = 0; i < OC_COUNTER_REJECTED; i++)
		if (v[i] != own[i])
			fail_msg("%s: %llu, stats %llu", oc_counter_name(i),
				 (unsigned long long)v[i], (unsigned long long)own[i]);
	for (uint32_t r = 1; r < OC_REJECT_REASON_COUNT; r++) {
		uint64_t rejected = r == OC_REJECT_UNAVAILABLE ? 0 : st.rejected[r];
		assert_int_equal(v[OC_COUNTER_REJECTED_BY(r)], rejected);
		assert_int_equal(v[OC_COUNTER_HELD_BY(r)], st.held[r]);
	}
	return st;
}

/* The counters query: route's counters as of its place in the stream, by pages; it changes
 * none (a malformed one is not counted either). */
static void test_counters_query(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	uint64_t v[OC_COUNTER_COUNT];
	read_counters(e, v);
	for (uint32_t i = 0; i < OC_COUNTER_COUNT; i++)
		assert_int_equal(v[i], 0);
	pl_run_expect(e, pl_place1(1, 10, 0, PLAIN, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(1, 10, 0, PLAIN, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(2, 20, 0, PLAIN, 20), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_place1(3, 30, 0, UNKNOWN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_SKU);
	pl_run_expect(e, pl_place1(4, 40, 0, PLAIN, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(4, 40), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(9, 40), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PACK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_SHIPPED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_DELIVERED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 5, 99, 0, PLAIN, 4), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	read_counters(e, v);
	assert_int_equal(v[OC_COUNTER_ACCEPTED], 2);
	assert_int_equal(v[OC_COUNTER_DUPLICATES], 1);
	assert_int_equal(v[OC_COUNTER_CANCELLED], 1);
	assert_int_equal(v[OC_COUNTER_SHIPPED], 1);
	assert_int_equal(v[OC_COUNTER_DELIVERED], 1);
	assert_int_equal(v[OC_COUNTER_RESTOCKS], 1);
	assert_int_equal(v[OC_COUNTER_REJECTED_BY(OC_REJECT_OUT_OF_STOCK)], 1);
	assert_int_equal(v[OC_COUNTER_REJECTED_BY(OC_REJECT_UNKNOWN_SKU)], 1);
	assert_int_equal(v[OC_COUNTER_REJECTED_BY(OC_REJECT_UNKNOWN_ORDER)], 1);
	/* A page from counter 32: the next 32, MORE; from the last: one row; past it: none. */
	struct oc_response rows[OC_QUERY_ROWS_MAX + 1];
	assert_int_equal(run_rows(e, pl_query_counters(32), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
				  rows, OC_QUERY_ROWS_MAX + 1),
			 OC_QUERY_ROWS_MAX);
	assert_int_equal(rows[0].original_seq, 32);
	assert_int_equal(rows[0].amount_cents, v[32]);
	assert_true(rows[OC_QUERY_ROWS_MAX].flags & OC_RESPONSE_MORE);
	assert_int_equal(run_rows(e, pl_query_counters(OC_COUNTER_COUNT - 1), OC_STATUS_ACCEPTED,
				  OC_REJECT_NONE, rows, 2),
			 1);
	assert_int_equal(rows[0].original_seq, OC_COUNTER_COUNT - 1);
	assert_false(rows[1].flags & OC_RESPONSE_MORE);
	assert_int_equal(run_rows(e, pl_query_counters(UINT16_MAX), OC_STATUS_ACCEPTED,
				  OC_REJECT_NONE, rows, 1),
			 0);
	assert_int_equal(rows[0].original_seq, OC_COUNTER_COUNT);
	/* Malformed: a key, a line, flags; not counted with the rejections. */
	struct oc_command bad = pl_query_counters(0);
	bad.key = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = pl_query_counters(0);
	pl_line_add(&bad, PLAIN, 0);
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = pl_query_counters(0);
	bad.flags = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.rejected[OC_REJECT_MALFORMED], 0);
	assert_int_equal(st.accepted, 2);
	oc_engine_free(e);
}

/* An order's history: a row per transition, oldest first, with the command, its time and the
 * state after it; the newest 32 when there are more. A customer's orders: newest first, by
 * pages of 32. */
static void test_history_and_customer_queries(void **state)
{
	struct pl_topology topo = {1, 1, SHARDS, WINDOW, 4096, .customer_index = 1};
	struct oc_engine *e = pl_engine_start(dir, &topo);
	enum { ROWS = OC_QUERY_ROWS_MAX };
	struct oc_response rows[ROWS + 8];
	struct oc_command steps[8];
	uint32_t nsteps = 0;
	steps[nsteps++] = pl_place1(4, 10, 0, EVERY, 1);
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_DELIVERED; t++)
		steps[nsteps++] = pl_step(t, 4, 10);
	steps[nsteps++] = pl_refund(41, 10, 4, 99);
	for (uint32_t i = 0; i < nsteps; i++)
		assert_int_equal(run_collect(e, &steps[i], 0, rows, 8), 1);
	/* Refused and repeated steps are no transitions. */
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 4, 10), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_step(OC_CMD_SHIPPED, 4, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_DELIVERED, 4, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	uint32_t n = run_rows(e, pl_query_history(4), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
			      ROWS + 8);
	assert_int_equal(n, nsteps);
	static const uint8_t states[] = {OC_STATE_ALLOCATED, OC_STATE_PICKED, OC_STATE_PACKED,
					 OC_STATE_SHIPPED,   OC_STATE_DELIVERED, OC_STATE_DELIVERED};
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].original_seq, steps[i].seq);
		assert_int_equal(rows[i].type, steps[i].type);
		assert_int_equal(rows[i].ts_ms, steps[i].ts_ns / 1000000u);
		assert_int_equal(rows[i].state, states[i]);
		assert_int_equal(rows[i].key, 4);
		assert_int_equal(rows[i].customer, 10);
		assert_int_equal(rows[i].amount_cents, i == n - 1 ? 99 : 0);
	}
	assert_int_equal(rows[n].state, OC_STATE_DELIVERED); /* the answer: the order now */
	assert_int_equal(rows[n].original_seq, steps[0].seq);
	assert_int_equal(rows[n].refunded_cents, 99);
	/* A rejected place: one row with its reason; a card order cancelled; unknown keys. */
	pl_run_expect(e, pl_place1(3, 10, 0, SCARCE, 2), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK);
	n = run_rows(e, pl_query_history(3), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK, rows, 8);
	assert_int_equal(n, 1);
	pl_expect(&rows[0], OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	struct oc_command card = pl_place1(2, 10, 0, OTHER, 1);
	card.flags = OC_PLACE_CARD;
	pl_run_expect(e, card, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 2, 10), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(2, 10), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	n = run_rows(e, pl_query_history(2), OC_STATUS_CANCELLED, OC_REJECT_NONE, rows, 8);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].state, OC_STATE_PAYMENT_PENDING);
	assert_int_equal(rows[1].type, OC_CMD_PAYMENT_AUTHORIZED);
	assert_int_equal(rows[1].state, OC_STATE_ALLOCATED);
	assert_int_equal(rows[2].type, OC_CMD_CANCEL);
	pl_expect(&rows[2], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	assert_int_equal(run_rows(e, pl_query_history(77), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER,
				  rows, 8), 0);
	assert_int_equal(run_rows(e, pl_query_history(41), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
				  8), 0); /* a refund has no transitions of its own */
	/* Customer 10's orders, newest first (the refund is not an order); nobody's. */
	pl_run_expect(e, pl_place1(1, 20, 0, OTHER, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	n = run_rows(e, pl_query_customer(10, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows, 8);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].key, 2);
	assert_int_equal(rows[0].state, OC_STATE_CANCELLED);
	assert_int_equal(rows[1].key, 3);
	assert_int_equal(rows[1].state, OC_STATE_REJECTED);
	assert_int_equal(rows[2].key, 4);
	assert_int_equal(rows[2].state, OC_STATE_DELIVERED);
	assert_int_equal(rows[2].amount_cents, EVERY_PRICE);
	assert_int_equal(rows[2].ts_ms, steps[nsteps - 1].ts_ns / 1000000u); /* last change */
	assert_int_equal(rows[3].flags, 0);
	assert_int_equal(run_rows(e, pl_query_customer(99, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
				  rows, 8), 0);
	/* Pages: 40 orders of customer 30, then 32 + MORE, then 8. */
	for (uint64_t k = 100; k < 140; k++)
		pl_run_expect(e, pl_place1(k, 30, 0, BULK, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	n = run_rows(e, pl_query_customer(30, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows, ROWS + 8);
	assert_int_equal(n, ROWS);
	assert_int_equal(rows[n].flags, OC_RESPONSE_MORE);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(rows[i].key, 139 - i);
	n = run_rows(e, pl_query_customer(30, 139 - ROWS + 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
		     ROWS + 8);
	assert_int_equal(n, 40 - ROWS);
	assert_int_equal(rows[n].flags, 0);
	assert_int_equal(rows[0].key, 139 - ROWS);
	assert_int_equal(rows[n - 1].key, 100);
	/* A page from another customer's order, an unknown one; malformed. */
	run_rows(e, pl_query_customer(30, 4), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER, rows, 8);
	run_rows(e, pl_query_customer(30, 999), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER, rows, 8);
	struct oc_command bad = pl_query_customer(30, 0);
	bad.key = 5;
	run_rows(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED, rows, 8);
	/* More transitions than rows: the newest 32, and MORE. */
	for (uint64_t k = 0; k < 30; k++)
		pl_run_expect(e, pl_refund(1000 + k, 10, 4, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	n = run_rows(e, pl_query_history(4), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows, ROWS + 8);
	assert_int_equal(n, ROWS);
	assert_int_equal(rows[n].flags, OC_RESPONSE_MORE);
	assert_int_equal(rows[0].type, OC_CMD_DELIVERED); /* place, pick, pack, ship left out */
	assert_int_equal(rows[n - 1].type, OC_CMD_REFUND);
	assert_int_equal(rows[n - 1].amount_cents, 1);
	oc_engine_free(e);
	/* Without the index (the default): not_enabled; the history is always kept. */
	e = start(WINDOW, 0);
	run_rows(e, pl_query_customer(10, 0), OC_STATUS_REJECTED, OC_REJECT_NOT_ENABLED, rows, 8);
	pl_run_expect(e, pl_place1(1, 10, 0, OTHER, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(run_rows(e, pl_query_history(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
				  8), 1);
	oc_engine_free(e);
}

/* The payment lease: a card order still in payment_pending is cancelled by the first command
 * whose timestamp reaches its deadline (placed + lease_ttl_ms) — not one before — with an
 * unsolicited response just before that command's answer; with no command, by a tick the
 * sequencer inserts; an authorized order is never expired; the stock comes back. */
static void test_payment_lease_expires_on_time(void **state)
{
	enum { TTL_MS = 300 };
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .lease_ttl_ms = TTL_MS};
	struct oc_engine *e = pl_engine_start(dir, &t);
	struct oc_response r[8];
	struct oc_command card = pl_place1(1, 10, 1, AT_W1, 6), paid = pl_place1(2, 20, 2, AT_W2, 1);
	card.flags = paid.flags = OC_PLACE_CARD;
	assert_int_equal(run_collect(e, &card, 0, r, 8), 1);
	assert_int_equal(r[0].state, OC_STATE_PAYMENT_PENDING);
	uint64_t deadline_ms = card.ts_ns / 1000000u + TTL_MS;
	assert_int_equal(run_collect(e, &paid, 0, r, 8), 1);
	struct oc_command auth = pl_step(OC_CMD_PAYMENT_AUTHORIZED, 2, 20);
	assert_int_equal(run_collect(e, &auth, 0, r, 8), 1);
	/* Queries, one at a time, until one brings the expiry. */
	uint64_t expired_at = 0;
	for (int i = 0; i < 100000 && !expired_at; i++) {
		struct oc_command q = pl_query_stock(PLAIN);
		uint32_t n = run_collect(e, &q, 0, r, 8);
		uint64_t q_ms = q.ts_ns / 1000000u;
		if (n == 1) {
			if (q_ms >= deadline_ms)
				fail_msg("query at %llu ms, deadline %llu: not expired",
					 (unsigned long long)q_ms, (unsigned long long)deadline_ms);
			continue;
		}
		assert_int_equal(n, 2);
		if (q_ms < deadline_ms)
			fail_msg("expired at %llu ms, before the deadline %llu",
				 (unsigned long long)q_ms, (unsigned long long)deadline_ms);
		assert_int_equal(r[0].flags, OC_RESPONSE_UNSOLICITED);
		/* The query's own time brought it, or a tick the sequencer put just before the
		 * query, in the same call, with the same timestamp. */
		assert_true(r[0].seq == q.seq || r[0].seq == q.seq - 1);
		assert_int_equal(r[0].key, 1);
		assert_int_equal(r[0].original_seq, card.seq);
		pl_expect(&r[0], OC_STATUS_CANCELLED, OC_REJECT_LEASE_EXPIRED);
		assert_int_equal(r[0].state, OC_STATE_CANCELLED);
		expect_money(&r[0], OC_PAYMENT_VOIDED, 6 * AT_W1_PRICE, 0);
		expired_at = q_ms;
		usleep(500);
	}
	assert_true(expired_at > 0);
	struct oc_command late = pl_step(OC_CMD_PAYMENT_AUTHORIZED, 1, 10);
	run_collect(e, &late, 0, r, 8);
	pl_expect(&r[0], OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	/* No command at all: the sequencer's tick expires order 3 on time. */
	struct oc_command card3 = pl_place1(3, 30, 0, OTHER, 1);
	card3.flags = OC_PLACE_CARD;
	run_collect(e, &card3, 0, r, 8);
	assert_int_equal(run_collect(e, NULL, 3 * TTL_MS, r, 8), 1);
	assert_int_equal(r[0].flags, OC_RESPONSE_UNSOLICITED);
	assert_int_equal(r[0].key, 3);
	assert_true(r[0].seq > card3.seq); /* a tick's: no client command came */
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(st.lease_expiries, 2);
	assert_int_equal(pl_stock(e, AT_W1).allocated, 0);
	assert_int_equal(pl_stock(e, AT_W2).allocated, 1); /* the authorized order keeps its */
	assert_int_equal(pl_stock(e, OTHER).allocated, 0);
	oc_engine_free(e);
}

/* A reconciliation row or answer holds these counts, and they balance. */
static void expect_recon(const struct oc_response *r, uint64_t free_units, uint64_t allocated,
			 uint64_t picked, uint64_t on_hand)
{
	assert_int_equal(OC_RECON_FREE(r), free_units);
	assert_int_equal(OC_RECON_ALLOCATED(r), allocated);
	assert_int_equal(OC_RECON_PICKED(r), picked);
	assert_int_equal(OC_RECON_ON_HAND(r), on_hand);
	assert_int_equal(OC_RECON_ON_HAND(r),
			 OC_RECON_FREE(r) + OC_RECON_ALLOCATED(r) + OC_RECON_PICKED(r));
}

/* Reconciles sku over every warehouse: checks that there is a row per warehouse, each
 * balancing, the only one with units being warehouse w with these counts, and that the answer
 * has the same totals and the shard's available and safety stock. */
static void expect_reconcile(struct oc_engine *e, uint64_t sku, uint32_t w, uint64_t free_units,
			     uint64_t allocated, uint64_t picked, uint64_t on_hand,
			     uint64_t available, uint64_t safety)
{
	struct oc_response rows[8];
	uint32_t n = run_rows(e, pl_reconcile(sku, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows, 8);
	assert_int_equal(n, 4);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].warehouse, i);
		if (i == w)
			expect_recon(&rows[i], free_units, allocated, picked, on_hand);
		else
			expect_recon(&rows[i], 0, 0, 0, 0);
	}
	expect_recon(&rows[n], free_units, allocated, picked, on_hand);
	assert_int_equal(OC_RECON_AVAILABLE(&rows[n]), available);
	assert_int_equal(OC_RECON_SAFETY(&rows[n]), safety);
	assert_int_equal(rows[n].flags, 0);
}

/* The reconciliation (on hand = free + allocated + picked per warehouse) through picks, packs,
 * shipments and a cancel after a pick; cycle counts (stale, up, down, down past the free units,
 * unchanged, retried, malformed); safety stock (orders leave it, write-offs may take it). */
static void test_inventory_administration(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_response rows[8];
	expect_reconcile(e, AT_W2, 2, 10, 0, 0, 10, 10, 0);
	pl_run_expect(e, pl_place1(1, 10, 2, AT_W2, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(2, 20, 2, AT_W2, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 5, 3, 2, 10, 5, 0);
	pl_run_expect(e, pl_step(OC_CMD_PACK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 5, 3, 2, 10, 5, 0);
	pl_run_expect(e, pl_step(OC_CMD_SHIPPED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 5, 3, 0, 8, 5, 0);
	/* Picked, then cancelled: free again at once in route, available after the lag. */
	pl_run_expect(e, pl_place1(3, 30, 2, AT_W2, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 3, 30), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 4, 3, 1, 8, 4, 0);
	pl_run_expect(e, pl_cancel(3, 30), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 5, 3, 0, 8, 4, 0);
	/* The stock-at query agrees: free, and held (allocated + picked). */
	struct oc_command at = pl_query_stock(AT_W2);
	at.type = OC_CMD_QUERY_STOCK_AT;
	at.region = 2;
	struct oc_response q = pl_run_expect(e, at, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_STOCK_AVAILABLE(q.original_seq), 5);
	assert_int_equal(OC_STOCK_ALLOCATED(q.original_seq), 3);

	/* Cycle counts. Stale: the on hand is 8, not 7; nothing changes, and the unit the
	 * shard reserved for the decrease goes back (available again after the lag). */
	struct oc_response r = pl_run_expect(e, pl_adjust(100, 7, 2, AT_W2, 6, 7),
					     OC_STATUS_REJECTED, OC_REJECT_STALE_COUNT);
	assert_int_equal(r.type, OC_CMD_ADJUST_STOCK);
	assert_int_equal(r.warehouse, 2);
	pl_pad(e, WINDOW);
	expect_reconcile(e, AT_W2, 2, 5, 3, 0, 8, 5, 0);
	/* Down by 2: out of the free units, and of the shard's at once. */
	struct oc_command down = pl_adjust(101, 7, 2, AT_W2, 6, 8);
	pl_run_expect(e, down, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 3, 3, 0, 6, 3, 0);
	r = pl_run_expect(e, down, OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* a retry: once */
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	down.customer = 8;
	pl_run_expect(e, down, OC_STATUS_REJECTED, OC_REJECT_KEY_CONFLICT);
	expect_reconcile(e, AT_W2, 2, 3, 3, 0, 6, 3, 0);
	/* Down past the warehouse's free units: the shard has them (EVERY: 5 in each
	 * warehouse), W0's are all held by an order: out_of_stock, given back. */
	pl_run_expect(e, pl_place1(4, 40, 0, EVERY, 5), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_adjust(102, 7, 0, EVERY, 0, 5), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_adjust(103, 7, 2, AT_W2, 2, 6), OC_STATUS_REJECTED,
		      OC_REJECT_OUT_OF_STOCK); /* 4 of 3 free: the shard refuses it already */
	/* Up by 3: on hand and free at once, sellable after the lag; unchanged; a zero count. */
	pl_run_expect(e, pl_adjust(104, 7, 2, AT_W2, 9, 6), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 6, 3, 0, 9, 3, 0);
	pl_run_expect(e, pl_adjust(105, 7, 2, AT_W2, 9, 9), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_adjust(106, 7, 0, AT_W2, 0, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* Refused, changing nothing. */
	pl_run_expect(e, pl_adjust(107, 7, 2, AT_W2, 1, 99), OC_STATUS_REJECTED,
		      OC_REJECT_STALE_COUNT);
	pl_run_expect(e, pl_adjust(108, 7, 2, AT_W2, 10, 2000000000u), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_adjust(109, 7, 2, AT_W2, 2000000000u, 9), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_adjust(110, 7, 9, AT_W2, 10, 9), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_REGION);
	pl_run_expect(e, pl_adjust(111, 7, 2, UNKNOWN, 10, 9), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_SKU);
	pl_run_expect(e, pl_adjust(0, 7, 2, AT_W2, 10, 9), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	pl_pad(e, WINDOW);
	expect_reconcile(e, AT_W2, 2, 6, 3, 0, 9, 6, 0);

	/* Safety stock 5 of the 6 available: an order may take 1, not 2. */
	r = pl_run_expect(e, pl_safety(7, AT_W2, 5), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.type, OC_CMD_SET_SAFETY_STOCK);
	assert_int_equal(OC_RECON_AVAILABLE(&r), 6);
	assert_int_equal(OC_RECON_SAFETY(&r), 5);
	pl_run_expect(e, pl_place1(5, 50, 2, AT_W2, 2), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	pl_run_expect(e, pl_place1(6, 60, 2, AT_W2, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(7, 70, 2, AT_W2, 1), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* A write-off may take it (the units are gone whatever the safety stock). */
	pl_run_expect(e, pl_stock_change(OC_CMD_WRITE_OFF, 112, 7, 2, AT_W2, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	expect_reconcile(e, AT_W2, 2, 4, 4, 0, 8, 4, 5);
	r = pl_run_expect(e, pl_safety(7, AT_W2, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(OC_RECON_SAFETY(&r), 0);
	pl_run_expect(e, pl_place1(8, 80, 2, AT_W2, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_command bad = pl_safety(7, AT_W2, 1);
	bad.key = 5;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = pl_safety(7, AT_W2, 1);
	bad.region = 1;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_safety(0, AT_W2, 1), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_safety(7, UNKNOWN, 1), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	pl_run_expect(e, pl_safety(7, AT_W2, 2000000000u), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_safety(7, AT_W2, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);

	/* A page from warehouse 2: its rows and the totals of all; past the last: refused. */
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	uint32_t n = run_rows(e, pl_reconcile(AT_W2, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
			      8);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].warehouse, 2);
	expect_recon(&rows[0], 2, 3, 3, 8);
	assert_int_equal(rows[1].warehouse, 3);
	expect_recon(&rows[1], 0, 0, 0, 0);
	expect_recon(&rows[2], 2, 3, 3, 8);
	assert_int_equal(OC_RECON_SAFETY(&rows[2]), 1);
	run_rows(e, pl_reconcile(AT_W2, 4), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION, rows, 8);
	run_rows(e, pl_reconcile(UNKNOWN, 0), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU, rows, 8);
	struct oc_command q2 = pl_reconcile(AT_W2, 0);
	q2.lines[0].quantity = 1;
	run_rows(e, q2, OC_STATUS_REJECTED, OC_REJECT_MALFORMED, rows, 8);

	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.adjustments, 4);
	assert_int_equal(st.write_offs, 1);
	struct oc_stock sk = pl_stock(e, AT_W2);
	assert_int_equal(sk.on_hand, 8);
	assert_int_equal(sk.allocated, 6); /* orders 1 (3, picked), 6 (1), 8 (2) */
	assert_int_equal(sk.picked, 3);
	assert_int_equal(sk.available, 2);
	assert_int_equal(sk.safety, 1);
	oc_engine_free(e);
}

/* Exceptions and returns (docs/lifecycle.md): an RMA for part of a delivered order, its
 * receipt with restock (units back where they shipped from) or disposal, a refund from
 * returned, an exchange; a delivery exception, a refund from it, a reshipment; one replacement
 * per order; every refusal changing nothing. */
static void test_exceptions_and_returns(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	struct oc_response rows[16];
	/* Order 1: 2 PLAIN from W0, 3 AT_W1 from W1; delivered. */
	struct oc_command o1 = pl_place1(1, 10, 0, PLAIN, 2);
	pl_line_add(&o1, AT_W1, 3);
	expect_paid(e, o1, OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID,
		    2 * PLAIN_PRICE + 3 * AT_W1_PRICE, 0);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 1, 10, OC_EXCEPTION_LOST),
		      OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE); /* not shipped yet */
	pl_run_expect(e, pl_rma(50, 10, 1, OC_RETURN_NOT_WANTED, AT_W1, 2), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE); /* not delivered yet */
	deliver(e, 1, 10);
	/* An RMA for 2 of the 3 AT_W1: worth them, going back to W1. */
	struct oc_command ret = pl_rma(51, 10, 1, OC_RETURN_NOT_WANTED, AT_W1, 2);
	struct oc_response r = pl_run_expect(e, ret, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.type, OC_CMD_RETURN_REQUESTED);
	assert_int_equal(r.state, OC_STATE_RETURN_REQUESTED);
	assert_int_equal(r.amount_cents, 2 * AT_W1_PRICE);
	assert_int_equal(r.shipments, 1);
	assert_int_equal(r.warehouse, 1);
	r = pl_run_expect(e, ret, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	r = pl_run_expect(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_RETURN_REQUESTED);
	/* One RMA at a time; a refund waits for the goods; malformed RMAs. */
	pl_run_expect(e, pl_rma(52, 10, 1, OC_RETURN_OTHER, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_refund(53, 10, 1, 0), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_rma(54, 10, 999, OC_RETURN_OTHER, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_rma(55, 10, 1, 0, PLAIN, 1), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_rma(55, 10, 1, 5, PLAIN, 1), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_rma(55, 10, 0, OC_RETURN_OTHER, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	/* Received and restocked: back on hand and free at W1, on sale after the lag. */
	expect_reconcile(e, AT_W1, 1, 7, 0, 0, 7, 7, 0);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 1, 10, OC_RETURN_RESTOCK),
		      OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER); /* an order's key, not an RMA's */
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 51, 11, OC_RETURN_RESTOCK),
		      OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 51, 10, 2), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	struct oc_command recv = pl_flagged_step(OC_CMD_RETURN_RECEIVED, 51, 10, OC_RETURN_RESTOCK);
	r = pl_run_expect(e, recv, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_RETURNED);
	expect_reconcile(e, AT_W1, 1, 9, 0, 0, 9, 7, 0);
	r = pl_run_expect(e, recv, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_pad(e, WINDOW);
	expect_reconcile(e, AT_W1, 1, 9, 0, 0, 9, 9, 0);
	/* The refund of what came back; the order stays returned. */
	r = pl_run_expect(e, pl_refund(56, 10, 1, 2 * AT_W1_PRICE), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_RETURNED);
	assert_int_equal(r.refunded_cents, 2 * AT_W1_PRICE);
	/* An exchange: free, once; another customer's, a card one, one without the order. */
	r = expect_paid(e, pl_replacement(2, 10, 0, 1, EVERY, 1), OC_STATUS_ACCEPTED,
			OC_PAYMENT_PREPAID, 0, 0);
	assert_int_equal(r.state, OC_STATE_ALLOCATED);
	pl_run_expect(e, pl_replacement(3, 10, 0, 1, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_replacement(4, 11, 0, 1, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_replacement(6, 10, 0, 999, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	struct oc_command bad = pl_replacement(4, 10, 0, 1, EVERY, 1);
	bad.flags |= OC_PLACE_CARD;
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = pl_replacement(4, 10, 0, 0, EVERY, 1);
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_replacement(5, 10, 0, 2, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE); /* the exchange itself is allocated */
	/* Order 1's history: placed, four steps, the RMA, its receipt, the refund. */
	struct oc_command h = pl_query_order(1);
	h.type = OC_CMD_QUERY_HISTORY;
	uint32_t n = run_rows(e, h, OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows, 16);
	assert_int_equal(n, 8);
	assert_int_equal(rows[5].type, OC_CMD_RETURN_REQUESTED);
	assert_int_equal(rows[5].state, OC_STATE_RETURN_REQUESTED);
	assert_int_equal(rows[6].type, OC_CMD_RETURN_RECEIVED);
	assert_int_equal(rows[6].state, OC_STATE_RETURNED);
	assert_int_equal(rows[7].type, OC_CMD_REFUND);

	/* Lost in transit: exception, a part refunded, a reshipment (once). */
	pl_run_expect(e, pl_place1(40, 40, 1, AT_W1, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_SHIPPED; t++)
		pl_run_expect(e, pl_step(t, 40, 40), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 40, 40, 0), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 40, 40, 3), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_replacement(41, 40, 1, 40, AT_W1, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE); /* shipped, no exception yet */
	struct oc_command lost = pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 40, 40, OC_EXCEPTION_LOST);
	r = expect_paid(e, lost, OC_STATUS_ACCEPTED, OC_PAYMENT_PREPAID, AT_W1_PRICE, 0);
	assert_int_equal(r.state, OC_STATE_EXCEPTION);
	r = pl_run_expect(e, lost, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_step(OC_CMD_DELIVERED, 40, 40), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	r = pl_run_expect(e, pl_refund(42, 40, 40, 100), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_EXCEPTION);
	/* Late retries: shipped was done (a duplicate), delivered never was. */
	r = pl_run_expect(e, pl_step(OC_CMD_SHIPPED, 40, 40), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_step(OC_CMD_DELIVERED, 40, 40), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	expect_paid(e, pl_replacement(43, 40, 1, 40, AT_W1, 1), OC_STATUS_ACCEPTED,
		    OC_PAYMENT_PREPAID, 0, 0);
	pl_run_expect(e, pl_replacement(44, 40, 1, 40, AT_W1, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	/* The reshipment lost too: it may be reshipped in turn (once). */
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_SHIPPED; t++)
		pl_run_expect(e, pl_step(t, 43, 40), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 43, 40, OC_EXCEPTION_LOST),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_replacement(46, 40, 1, 43, AT_W1, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_replacement(47, 40, 1, 43, AT_W1, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_replacement(48, 40, 1, 40, AT_W1, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	/* A replacement takes no purchase counter: the customer's 3 LIMITED (limit 3) lost, all 3
	 * reshipped; cancelled, the reshipment gives back none; then 3 more would be over. */
	pl_run_expect(e, pl_place1(70, 70, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_SHIPPED; t++)
		pl_run_expect(e, pl_step(t, 70, 70), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 70, 70, OC_EXCEPTION_DAMAGED),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_replacement(71, 70, 0, 70, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(71, 70), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(72, 70, 0, LIMITED, 1), OC_STATUS_REJECTED,
		      OC_REJECT_LIMIT_EXCEEDED);
	/* A card order lost: its payment stays captured. */
	struct oc_command card = pl_place1(45, 45, 1, AT_W1, 1);
	card.flags = OC_PLACE_CARD;
	pl_run_expect(e, card, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 45, 45), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	for (uint8_t t = OC_CMD_PICK_CONFIRMED; t <= OC_CMD_SHIPPED; t++)
		pl_run_expect(e, pl_step(t, 45, 45), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_paid(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 45, 45, OC_EXCEPTION_DAMAGED),
		    OC_STATUS_ACCEPTED, OC_PAYMENT_CAPTURED, AT_W1_PRICE, 0);
	/* The damaged parcel comes back: an RMA from exception, restocked, refunded in full; the
	 * exception, retried late, is a duplicate. */
	r = pl_run_expect(e, pl_rma(49, 45, 45, OC_RETURN_DAMAGED, AT_W1, 1), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_RETURN_REQUESTED);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 49, 45, OC_RETURN_RESTOCK),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = expect_paid(e, pl_refund(59, 45, 45, 0), OC_STATUS_ACCEPTED, OC_PAYMENT_REFUNDED,
			AT_W1_PRICE, AT_W1_PRICE);
	assert_int_equal(r.state, OC_STATE_REFUNDED);
	r = pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 45, 45, OC_EXCEPTION_DAMAGED),
			  OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	r = pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 45, 45), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE); /* the provider's late retry */
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);

	/* Disposed of: on hand does not come back. RMA lines the order has not. */
	struct oc_command o6 = pl_place1(60, 60, 0, PLAIN, 1);
	pl_line_add(&o6, OTHER, 1);
	pl_run_expect(e, o6, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	deliver(e, 60, 60);
	pl_run_expect(e, pl_rma(61, 60, 60, OC_RETURN_DAMAGED, AT_W1, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_SKU);
	pl_run_expect(e, pl_rma(62, 60, 60, OC_RETURN_DAMAGED, PLAIN, 2), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_rma(63, 61, 60, OC_RETURN_DAMAGED, PLAIN, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 62, 60, 0), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE); /* a refused RMA */
	expect_reconcile(e, PLAIN, 0, 7, 0, 0, 7, 7, 0);
	/* An RMA cancelled before its goods came: the order is delivered again, a new RMA may
	 * come; a cancelled RMA is received no more. */
	pl_run_expect(e, pl_rma(65, 60, 60, OC_RETURN_OTHER, PLAIN, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(65, 61), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	r = pl_run_expect(e, pl_cancel(65, 60), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_CANCELLED);
	r = pl_run_expect(e, pl_query_order(60), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_DELIVERED);
	pl_run_expect(e, pl_cancel(65, 60), OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 65, 60, 0), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	struct oc_command both = pl_rma(64, 60, 60, OC_RETURN_DAMAGED, PLAIN, 1);
	pl_line_add(&both, OTHER, 1);
	r = pl_run_expect(e, both, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.amount_cents, PLAIN_PRICE + OTHER_PRICE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 64, 60, 0), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(64, 60), OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	expect_reconcile(e, PLAIN, 0, 7, 0, 0, 7, 7, 0);

	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.exceptions, 4);
	assert_int_equal(st.returns, 4);
	assert_int_equal(st.returns_received, 3);
	assert_int_equal(st.replacements, 4);
	/* 3 + 1 + 1 + 1 shipped, 2 + 1 back; the second reshipment holds one, not shipped. */
	assert_int_equal(pl_stock(e, AT_W1).on_hand, 10 - 3 + 2 - 1 - 1 - 1 + 1);
	assert_int_equal(pl_stock(e, AT_W1).allocated, 1);
	oc_engine_free(e);
}

/* A screened place of one line; a clean buyer by default (US, 94105, an old account). */
static struct oc_command screened1(uint64_t key, uint64_t customer, uint64_t sku, uint32_t qty,
				   struct oc_screen s)
{
	return pl_screened(pl_place1(key, customer, 0, sku, qty), s);
}

static struct oc_screen clean(const char *card)
{
	return pl_screen("buyer@example.com", card, NULL, "US", "US", "94105", 400);
}

static struct oc_response expect_state(struct oc_engine *e, struct oc_command c, unsigned status,
				       unsigned reason, unsigned state)
{
	struct oc_response r = pl_run_expect(e, c, status, reason);
	if (r.state != state)
		fail_msg("seq %llu: state %s, want %s", (unsigned long long)r.seq,
			 oc_order_state_name(r.state), oc_order_state_name(state));
	return r;
}

/* The rules that reject whatever the score, malformed screenings, and screening switched off. */
static void test_screening_refusals(void **state)
{
	struct oc_engine *off = start(WINDOW, 0);
	pl_run_expect(off, screened1(1, 10, PLAIN, 1, clean(NULL)), OC_STATUS_REJECTED,
		      OC_REJECT_NOT_ENABLED);
	pl_run_expect(off, pl_block(7, OC_BLOCK_EMAIL, "x@example.com"), OC_STATUS_REJECTED,
		      OC_REJECT_NOT_ENABLED);
	pl_stop(off);
	oc_engine_free(off);

	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = pl_engine_start(fraud_dir, &t);
	expect_state(e, screened1(1, 10, PLAIN, 1, clean(NULL)), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	/* Malformed: no key taken, a good retry of the key goes through. */
	struct oc_screen bad = clean(NULL);
	memcpy(bad.ship_country, "us", 2);
	pl_run_expect(e, screened1(2, 20, PLAIN, 1, bad), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = clean(NULL);
	memcpy(bad.postal_code, "94105!", 6);
	pl_run_expect(e, screened1(2, 20, PLAIN, 1, bad), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	bad = clean(NULL);
	bad.postal_code[9] = '1'; /* after the NUL that ends the code */
	pl_run_expect(e, screened1(2, 20, PLAIN, 1, bad), OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	struct oc_command repl = pl_screened(pl_replacement(2, 20, 0, 1, PLAIN, 1), clean(NULL));
	pl_run_expect(e, repl, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	expect_state(e, screened1(2, 20, PLAIN, 1, clean(NULL)), OC_STATUS_ACCEPTED,
		     OC_REJECT_NONE, OC_STATE_ALLOCATED);
	/* The block list of the dataset: spelled otherwise, the same hash. */
	struct oc_command blocked = screened1(3, 30, PLAIN, 1,
					      pl_screen("Fraud@Example.com", NULL, NULL, "US",
							"US", "94105", 400));
	expect_state(e, blocked, OC_STATUS_REJECTED, OC_REJECT_BLOCKED, OC_STATE_REJECTED);
	struct oc_response r = pl_run_expect(e, blocked, OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	expect_state(e, pl_query_order(3), OC_STATUS_REJECTED, OC_REJECT_BLOCKED,
		     OC_STATE_REJECTED);
	pl_run_expect(e, screened1(4, 30, PLAIN, 1, clean("FP_BLOCKED")), OC_STATUS_REJECTED,
		      OC_REJECT_BLOCKED);
	pl_run_expect(e, screened1(5, 30, PLAIN, 1,
				   pl_screen(NULL, NULL, "1 blocked road", "US", "US", "94105", 9)),
		      OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	/* Countries: not served, not listed; postal formats. */
	struct oc_screen jp = pl_screen(NULL, NULL, NULL, "JP", "JP", "100-0001", 400);
	pl_run_expect(e, screened1(6, 40, PLAIN, 1, jp), OC_STATUS_REJECTED,
		      OC_REJECT_UNSERVICEABLE);
	struct oc_screen fr = pl_screen(NULL, NULL, NULL, NULL, "FR", "75001", 400);
	pl_run_expect(e, screened1(7, 40, PLAIN, 1, fr), OC_STATUS_REJECTED,
		      OC_REJECT_UNSERVICEABLE);
	const char *bad_codes[] = {"ABC", "", "9410", "941055", "94105-12"};
	for (uint32_t i = 0; i < 5; i++)
		pl_run_expect(e, screened1(10 + i, 40, PLAIN, 1,
					   pl_screen(NULL, NULL, NULL, NULL, "US", bad_codes[i],
						     400)),
			      OC_STATUS_REJECTED, OC_REJECT_BAD_ADDRESS);
	const char *good[][2] = {{"US", "94105-1234"}, {"CA", "K1A 0B1"}, {"GB", "M1 1AE"},
				 {"GB", "sw1 1aa"}};
	for (uint32_t i = 0; i < 4; i++)
		expect_state(e, screened1(20 + i, 50 + i, PLAIN, 1,
					  pl_screen(NULL, NULL, NULL, NULL, good[i][0], good[i][1],
						    400)),
			     OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_ALLOCATED);
	/* A rejected screening held nothing: PLAIN's 10 units, 6 taken above. */
	expect_state(e, pl_place1(30, 60, 0, PLAIN, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	/* The operators' block list. */
	pl_run_expect(e, pl_block(7, OC_BLOCK_EMAIL, "late@example.com"), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	struct oc_screen late = pl_screen("late@example.com", NULL, NULL, NULL, "US", "94105", 400);
	pl_run_expect(e, screened1(31, 70, BULK, 1, late), OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	pl_run_expect(e, pl_block(7, OC_BLOCK_CARD, "late@example.com"), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE); /* the same hash as a card: still blocked as an e-mail */
	pl_run_expect(e, pl_block(7, OC_BLOCK_EMAIL | OC_BLOCK_REMOVE, "late@example.com"),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_state(e, screened1(32, 70, BULK, 1, late), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	pl_run_expect(e, pl_block(7, OC_BLOCK_EMAIL | OC_BLOCK_REMOVE, "never@example.com"),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* nothing to take out */
	struct oc_command b = pl_block(7, 0, "x");
	pl_run_expect(e, b, OC_STATUS_REJECTED, OC_REJECT_MALFORMED); /* no kind */
	b = pl_block(7, OC_BLOCK_EMAIL, "x");
	b.key = 5;
	pl_run_expect(e, b, OC_STATUS_REJECTED, OC_REJECT_MALFORMED); /* keyless */
	b = pl_block(7, OC_BLOCK_EMAIL | 0x10, "x");
	pl_run_expect(e, b, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.screened, 18); /* keys 1-7, 10-14, 20-23, 31, 32 */
	assert_int_equal(st.block_changes, 3);
	assert_int_equal(st.rejected[OC_REJECT_BLOCKED], 4); /* not the duplicate */
	assert_int_equal(st.rejected[OC_REJECT_BAD_ADDRESS], 5);
	assert_int_equal(st.holds, 0);
	oc_engine_free(e);
}

/* Scored rules: below the hold threshold an order goes through; at it, it waits in on_hold
 * holding its stock, with the rule that weighed most, for a review; at the reject threshold
 * it is rejected. */
static void test_screening_scores_and_review(void **state)
{
	enum { APPROVE = OC_CMD_REVIEW_APPROVE, REJECT = OC_CMD_REVIEW_REJECT };
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = pl_engine_start(fraud_dir, &t);
	/* A country mismatch (30) alone: accepted, no rule named. */
	struct oc_screen gb_us = pl_screen(NULL, NULL, NULL, "GB", "US", "94105", 400);
	expect_state(e, screened1(1, 10, PLAIN, 1, gb_us), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	/* A new account over 5000 cents (40) and a mismatch: held, new_account. The unit stays
	 * held: the next buyer finds 4 of OTHER's 5. */
	struct oc_screen fresh = pl_screen(NULL, NULL, NULL, "GB", "US", "94105", 1);
	struct oc_command big = screened1(2, 20, OTHER, 1, fresh);
	struct oc_response r = expect_state(e, big, OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
					    OC_STATE_ON_HOLD);
	expect_money(&r, OC_PAYMENT_PREPAID, OTHER_PRICE, 0);
	r = expect_state(e, big, OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT, OC_STATE_ON_HOLD);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_place1(3, 30, 0, OTHER, 5), OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	/* Fulfilment waits for the review; a review needs a held order. */
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_step(APPROVE, 1, 10), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_step(APPROVE, 99, 10), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_step(APPROVE, 2, 21), OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	expect_state(e, pl_step(APPROVE, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	r = pl_run_expect(e, pl_step(APPROVE, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_step(REJECT, 2, 20), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	/* The rule stays on the order's answers (and its history's hold); it moves on as any
	 * order. */
	expect_state(e, pl_query_order(2), OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
		     OC_STATE_ALLOCATED);
	struct oc_response rows[4];
	assert_int_equal(run_rows(e, pl_query_history(2), OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
				  rows, 4),
			 2);
	pl_expect(&rows[0], OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT);
	assert_int_equal(rows[0].state, OC_STATE_ON_HOLD);
	pl_expect(&rows[1], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(rows[1].type, OC_CMD_REVIEW_APPROVE);
	/* Backordered (OTHER is at W0 only), it still answers with its rule, not backordered (a
	 * reason of its own comes first); a retry of its place as first answered. The pick waits
	 * for the restock that fills it. */
	struct oc_command short_other = pl_short_pick(5, 20, 2, 0, OTHER, 1);
	short_other.flags = OC_PICK_SHORT_BACKORDER;
	r = pl_run_expect(e, short_other, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.refunded_cents, 1);
	expect_state(e, pl_query_order(2), OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
		     OC_STATE_ALLOCATED);
	r = expect_state(e, big, OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT, OC_STATE_ON_HOLD);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_REJECTED,
		      OC_REJECT_BACKORDERED);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 6, 7, 0, OTHER, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	expect_state(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_PICKED);

	/* Held, then rejected by the review: cancelled, the stock and the money go back. */
	r = expect_state(e, pl_screened(pl_place1(4, 40, 1, AT_W1, 5), fresh), OC_STATUS_ACCEPTED,
			 OC_REJECT_NEW_ACCOUNT, OC_STATE_ON_HOLD);
	r = expect_state(e, pl_step(REJECT, 4, 40), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_CANCELLED);
	expect_money(&r, OC_PAYMENT_REFUNDED, 5 * AT_W1_PRICE, 5 * AT_W1_PRICE);
	r = pl_run_expect(e, pl_step(REJECT, 4, 40), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, pl_step(APPROVE, 4, 40), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);

	/* Card velocity (60: the card's 3rd order in the window) with a mismatch: held,
	 * card_velocity. Paid by card, approved, it waits for the payment. With a new account
	 * too (40): 130, rejected, card_velocity. */
	struct oc_screen c1 = pl_screen(NULL, "fp_card_1", NULL, "US", "US", "94105", 400);
	expect_state(e, screened1(10, 100, BULK, 1, c1), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	expect_state(e, screened1(11, 101, BULK, 1, c1), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	struct oc_screen c1_gb = pl_screen(NULL, "FP_CARD_1", NULL, "GB", "US", "94105", 400);
	struct oc_command paid = screened1(12, 102, BULK, 1, c1_gb);
	paid.flags |= OC_PLACE_CARD;
	r = expect_state(e, paid, OC_STATUS_ACCEPTED, OC_REJECT_CARD_VELOCITY, OC_STATE_ON_HOLD);
	assert_int_equal(r.payment, OC_PAYMENT_NONE); /* nothing asked of the card yet */
	r = pl_run_expect(e, paid, OC_STATUS_ACCEPTED, OC_REJECT_CARD_VELOCITY);
	assert_int_equal(r.payment, OC_PAYMENT_NONE); /* a retry: as first answered */
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 12, 102), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE); /* not asked for before the review */
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_DECLINED, 12, 102), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	r = expect_state(e, pl_step(APPROVE, 12, 102), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_PAYMENT_PENDING);
	assert_int_equal(r.payment, OC_PAYMENT_PENDING); /* the authorization request */
	r = expect_state(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 12, 102), OC_STATUS_ACCEPTED,
			 OC_REJECT_NONE, OC_STATE_ALLOCATED);
	assert_int_equal(r.payment, OC_PAYMENT_AUTHORIZED);
	struct oc_screen c1_new = pl_screen(NULL, "fp_card_1", NULL, "GB", "US", "94105", 1);
	expect_state(e, pl_screened(pl_place1(13, 103, 1, AT_W1, 3), c1_new), OC_STATUS_REJECTED,
		     OC_REJECT_CARD_VELOCITY, OC_STATE_REJECTED);

	/* Customer velocity: the customer's 6th order in the window (40) with a mismatch: held,
	 * customer_velocity. Cancelled by the customer while held, a review finds it gone. */
	for (uint32_t i = 0; i < 5; i++)
		expect_state(e, screened1(20 + i, 200, BULK + 2, 1, clean(NULL)), OC_STATUS_ACCEPTED,
			     OC_REJECT_NONE, OC_STATE_ALLOCATED);
	expect_state(e, screened1(25, 200, BULK + 2, 1, gb_us), OC_STATUS_ACCEPTED,
		     OC_REJECT_CUSTOMER_VELOCITY, OC_STATE_ON_HOLD);
	expect_state(e, pl_cancel(25, 200), OC_STATUS_CANCELLED, OC_REJECT_NONE,
		     OC_STATE_CANCELLED);
	pl_run_expect(e, pl_step(APPROVE, 25, 200), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);

	/* Address velocity: the address's 5th order (30), spelled otherwise, with a mismatch:
	 * held. */
	struct oc_screen home = pl_screen(NULL, NULL, "9 Elm Street", "US", "US", "94105", 400);
	struct oc_screen home_gb = pl_screen(NULL, NULL, "9 elm street", "GB", "US", "94105", 400);
	for (uint32_t i = 0; i < 4; i++)
		expect_state(e, screened1(30 + i, 300 + i, BULK + 3, 1, home), OC_STATUS_ACCEPTED,
			     OC_REJECT_NONE, OC_STATE_ALLOCATED);
	struct oc_command held_card = screened1(34, 304, BULK + 3, 1, home_gb);
	held_card.flags |= OC_PLACE_CARD;
	expect_state(e, held_card, OC_STATUS_ACCEPTED, OC_REJECT_ADDRESS_VELOCITY,
		     OC_STATE_ON_HOLD);
	/* Paid by card and rejected by its review: nothing was asked of the card, nothing is
	 * void; a decline now finds no payment to decline. */
	r = expect_state(e, pl_step(REJECT, 34, 304), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_CANCELLED);
	expect_money(&r, OC_PAYMENT_NONE, 0, 0);
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_DECLINED, 34, 304), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);

	/* Amount history: 3 orders of one EVERY (499) make the average; 4 (1996, over 3x) with a
	 * mismatch: held, amount_history (40 over the mismatch's 30). The average then counts it:
	 * 3 (1497, not over 3 x 873) with a mismatch goes through. */
	for (uint32_t i = 0; i < 3; i++)
		expect_state(e, screened1(40 + i, 400, EVERY, 1, clean(NULL)), OC_STATUS_ACCEPTED,
			     OC_REJECT_NONE, OC_STATE_ALLOCATED);
	expect_state(e, screened1(43, 400, EVERY, 4, gb_us), OC_STATUS_ACCEPTED,
		     OC_REJECT_AMOUNT_HISTORY, OC_STATE_ON_HOLD);
	expect_state(e, screened1(44, 400, EVERY, 3, gb_us), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);

	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.holds, 6);
	assert_int_equal(st.held[OC_REJECT_NEW_ACCOUNT], 2);
	assert_int_equal(st.held[OC_REJECT_CARD_VELOCITY], 1);
	assert_int_equal(st.held[OC_REJECT_CUSTOMER_VELOCITY], 1);
	assert_int_equal(st.held[OC_REJECT_ADDRESS_VELOCITY], 1);
	assert_int_equal(st.held[OC_REJECT_AMOUNT_HISTORY], 1);
	assert_int_equal(st.reviews_approved, 2);
	assert_int_equal(st.reviews_rejected, 2);
	assert_int_equal(st.rejected[OC_REJECT_CARD_VELOCITY], 1);
	expect_stock(e, OTHER, 1); /* the held order's, approved and picked */
	expect_stock(e, AT_W1, 0); /* the held order rejected by its review gave them back */
	expect_stock(e, EVERY, 10);
	oc_engine_free(e);
}

/* Row w of a reconciliation of sku (the rows of every warehouse, then the total). */
static struct oc_response recon_row(struct oc_engine *e, uint64_t sku, uint32_t w)
{
	struct oc_response rows[8];
	assert_int_equal(run_rows(e, pl_reconcile(sku, 0), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
				  rows, 8),
			 4);
	for (uint32_t i = 0; i <= 4; i++) /* every row balances */
		assert_int_equal(OC_RECON_ON_HAND(&rows[i]), OC_RECON_FREE(&rows[i]) +
							     OC_RECON_ALLOCATED(&rows[i]) +
							     OC_RECON_PICKED(&rows[i]));
	return rows[w];
}

static void expect_recon_at(struct oc_engine *e, uint64_t sku, uint32_t w, uint64_t free_units,
			    uint64_t allocated, uint64_t on_hand)
{
	struct oc_response row = recon_row(e, sku, w);
	expect_recon(&row, free_units, allocated, 0, on_hand);
}

/* Short picks: the missing units leave on hand where they were missing; a line is re-routed to
 * the other warehouses with free units, nearest first, else cut from the order (its value
 * back, its purchase counter back). */
static void test_short_picks(void **state)
{
	enum { SHORT = OC_CMD_PICK_SHORT };
	struct oc_engine *e = start(WINDOW, 0);
	/* 3 EVERY from W0 (region RA); 2 missing there: re-routed to W1, the nearest other. */
	pl_run_expect(e, pl_place1(1, 10, 0, EVERY, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_command sp = pl_short_pick(100, 10, 1, 0, EVERY, 2);
	struct oc_response r = expect_state(e, sp, OC_STATUS_ACCEPTED, OC_REJECT_NONE,
					    OC_STATE_ALLOCATED);
	assert_int_equal(r.type, SHORT);
	assert_int_equal(r.amount_cents, 0); /* nothing cut */
	assert_int_equal(r.shipments, 2);
	assert_int_equal(r.warehouse, 0);
	r = pl_run_expect(e, sp, OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* a retry: once */
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	expect_recon_at(e, EVERY, 0, 2, 1, 3);
	expect_recon_at(e, EVERY, 1, 3, 2, 5);
	r = expect_state(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_ALLOCATED);
	expect_money(&r, OC_PAYMENT_PREPAID, 3 * EVERY_PRICE, 0);
	assert_int_equal(r.shipments, 2);
	/* The order is whole again: picked, and now a short pick is too late. */
	expect_state(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_PICKED);
	pl_run_expect(e, pl_short_pick(101, 10, 1, 1, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);

	/* 4 PLAIN, only at W0: 3 missing, nowhere else: cut, their value refunded. */
	pl_run_expect(e, pl_place1(2, 20, 0, PLAIN, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, pl_short_pick(102, 20, 2, 0, PLAIN, 3), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.amount_cents, 3 * PLAIN_PRICE);
	r = expect_state(e, pl_query_order(2), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_ALLOCATED);
	expect_money(&r, OC_PAYMENT_REFUNDED, 4 * PLAIN_PRICE, 3 * PLAIN_PRICE);
	expect_recon_at(e, PLAIN, 0, 6, 1, 7);
	struct oc_response rows[4]; /* its history: placed, then the short pick with its cut */
	assert_int_equal(run_rows(e, pl_query_history(2), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
				  4),
			 2);
	assert_int_equal(rows[1].type, SHORT);
	assert_int_equal(rows[1].state, OC_STATE_ALLOCATED);
	assert_int_equal(rows[1].amount_cents, 3 * PLAIN_PRICE);

	/* Paid by card: less to capture. */
	struct oc_command card = pl_place1(3, 30, 1, AT_W1, 3);
	card.flags = OC_PLACE_CARD;
	pl_run_expect(e, card, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 3, 30), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_short_pick(103, 30, 3, 1, AT_W1, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	r = pl_run_expect(e, pl_query_order(3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_money(&r, OC_PAYMENT_AUTHORIZED, 2 * AT_W1_PRICE, 0);

	/* A limited SKU cut whole: the order is cancelled, the purchase counter given back (the
	 * shard had the units: they go back to it as well). */
	pl_run_expect(e, pl_place1(4, 40, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, pl_short_pick(104, 40, 4, 0, LIMITED, 3), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_CANCELLED);
	/* The last unit of SCARCE (limit 2): the shard has none to re-route, the counter alone
	 * goes back. */
	pl_run_expect(e, pl_place1(5, 50, 0, SCARCE, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, pl_short_pick(105, 50, 5, 0, SCARCE, 1), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_CANCELLED);
	r = pl_run_expect(e, pl_query_order(5), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	expect_money(&r, OC_PAYMENT_REFUNDED, 0, 0); /* free: nothing to pay back */
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 200, 7, 0, SCARCE, 2), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(6, 40, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_place1(7, 50, 0, SCARCE, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);

	/* Refusals change nothing; the units the shards reserved for them go back. */
	pl_run_expect(e, pl_place1(8, 60, 0, OTHER, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_short_pick(110, 60, 8, 1, OTHER, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_SKU); /* not held at W1 */
	pl_run_expect(e, pl_short_pick(111, 60, 8, 0, OTHER, 3), OC_STATUS_REJECTED,
		      OC_REJECT_BAD_QUANTITY);
	pl_run_expect(e, pl_short_pick(112, 61, 8, 0, OTHER, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_short_pick(113, 60, 999, 0, OTHER, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER);
	pl_run_expect(e, pl_short_pick(114, 60, 8, 9, OTHER, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_REGION);
	struct oc_command bad = pl_short_pick(115, 60, 8, 0, OTHER, 1);
	bad.flags = OC_PICK_SHORT_BACKORDER << 1; /* a flag there is not */
	pl_run_expect(e, bad, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_short_pick(116, 60, 100, 0, OTHER, 1), OC_STATUS_REJECTED,
		      OC_REJECT_UNKNOWN_ORDER); /* a short pick's key: not an order */
	pl_pad(e, WINDOW);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.short_picks, 5);
	assert_int_equal(st.short_units_rerouted, 2);
	assert_int_equal(st.short_units_cut, 3 + 1 + 3 + 1);
	assert_int_equal(st.cancelled, 2);
	struct oc_stock sk = pl_stock(e, EVERY);
	assert_int_equal(sk.on_hand, 18);
	assert_int_equal(sk.allocated, 3);
	assert_int_equal(sk.available, 15);
	sk = pl_stock(e, OTHER);
	assert_int_equal(sk.on_hand, 5);
	assert_int_equal(sk.available, 3); /* the refusals' reservations are back */
	sk = pl_stock(e, PLAIN);
	assert_int_equal(sk.on_hand, 7);
	assert_int_equal(sk.available, 6);
	sk = pl_stock(e, SCARCE); /* the unit missing is gone: the restock's 2, both sold */
	assert_int_equal(sk.on_hand, 2);
	assert_int_equal(sk.allocated, 2);
	assert_int_equal(sk.available, 0);
	oc_engine_free(e);
}

/* A short pick that backorders (OC_PICK_SHORT_BACKORDER) its units of a SKU, missing key's
 * order at warehouse w. */
static struct oc_command backorder(uint64_t key, uint64_t customer, uint64_t order_key,
				   uint16_t w, uint64_t sku, uint32_t missing)
{
	struct oc_command c = pl_short_pick(key, customer, order_key, w, sku, missing);
	c.flags = OC_PICK_SHORT_BACKORDER;
	return c;
}

/* Backorders (docs/lifecycle.md, "Backorders"): a line no other warehouse has free stays in
 * the order, money and purchase counter with it, and the order's pick waits (backordered) until
 * receipts of the SKU, at any warehouse, fill its lines, oldest first; a cancel gives the
 * counters of the lines still waiting back; the reconciliation balances throughout. */
static void test_backorders(void **state)
{
	struct oc_engine *e = start(WINDOW, 0);
	/* 4 PLAIN (only at W0), 3 missing: kept, nothing cut, the order allocated but waiting. */
	pl_run_expect(e, pl_place1(1, 10, 0, PLAIN, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_response r = expect_state(e, backorder(100, 10, 1, 0, PLAIN, 3),
					    OC_STATUS_ACCEPTED, OC_REJECT_NONE, OC_STATE_ALLOCATED);
	assert_int_equal(r.amount_cents, 0);   /* nothing cut */
	assert_int_equal(r.refunded_cents, 3); /* the units backordered */
	assert_int_equal(r.shipments, 1);
	r = expect_state(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED,
			 OC_STATE_ALLOCATED);
	expect_money(&r, OC_PAYMENT_PREPAID, 4 * PLAIN_PRICE, 0);
	expect_recon_at(e, PLAIN, 0, 6, 1, 7);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_REJECTED,
		      OC_REJECT_BACKORDERED);
	r = pl_run_expect(e, pl_place1(1, 10, 0, PLAIN, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE); /* as first answered */
	/* The whole of order 2's line: it holds nothing now, and is not cancelled. */
	pl_run_expect(e, pl_place1(2, 20, 0, PLAIN, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = expect_state(e, backorder(101, 20, 2, 0, PLAIN, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_ALLOCATED);
	assert_int_equal(r.shipments, 0);
	expect_recon_at(e, PLAIN, 0, 4, 1, 5);

	/* Receipts fill the oldest first: 2 at W0 to order 1 (1 still missing), then 2 at W1,
	 * 1 to order 1 (whole again, from two warehouses) and 1 to order 2. */
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 200, 7, 0, PLAIN, 2), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	expect_recon_at(e, PLAIN, 0, 4, 3, 7);
	expect_state(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED,
		     OC_STATE_ALLOCATED);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 201, 7, 1, PLAIN, 2), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	expect_recon_at(e, PLAIN, 1, 0, 2, 2);
	r = expect_state(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_ALLOCATED);
	assert_int_equal(r.shipments, 2);
	expect_money(&r, OC_PAYMENT_PREPAID, 4 * PLAIN_PRICE, 0);
	struct oc_response rows[8]; /* placed, short pick, the two receipts */
	assert_int_equal(run_rows(e, pl_query_history(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE, rows,
				  8),
			 4);
	assert_int_equal(rows[2].type, OC_CMD_RESTOCK);
	assert_int_equal(rows[3].type, OC_CMD_RESTOCK);
	expect_state(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_PICKED);
	r = expect_state(e, pl_query_order(2), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED,
			 OC_STATE_ALLOCATED);
	assert_int_equal(r.shipments, 1);
	assert_int_equal(r.warehouse, 1);
	/* Cancelled with a unit still waiting: the receipt after it goes on sale whole. */
	pl_run_expect(e, pl_cancel(2, 20), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 202, 7, 0, PLAIN, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	r = recon_row(e, PLAIN, 0); /* order 1's 3 there picked */
	expect_recon(&r, 5, 0, 3, 8);
	r = recon_row(e, PLAIN, 1); /* and its 1 here; order 2's back */
	expect_recon(&r, 1, 0, 1, 2);

	/* A limited SKU (3 a customer): backordered, the counter stays with the order; a cancel
	 * gives it back (after the release lag). */
	pl_run_expect(e, pl_place1(3, 30, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, backorder(102, 30, 3, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(4, 30, 0, LIMITED, 1), OC_STATUS_REJECTED,
		      OC_REJECT_LIMIT_EXCEEDED);
	expect_recon_at(e, LIMITED, 0, 97, 0, 97);
	pl_run_expect(e, pl_cancel(3, 30), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	pl_run_expect(e, pl_place1(5, 30, 0, LIMITED, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* A line another warehouse has free is re-routed as before, backorder or not. */
	pl_run_expect(e, pl_place1(6, 60, 0, EVERY, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, backorder(103, 60, 6, 0, EVERY, 2), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.refunded_cents, 0);
	assert_int_equal(r.warehouse, 1);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 6, 60), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_pad(e, WINDOW);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.short_picks, 4);
	assert_int_equal(st.short_units_backordered, 3 + 2 + 3);
	assert_int_equal(st.backorder_units_filled, 2 + 2);
	assert_int_equal(st.short_units_rerouted, 2);
	assert_int_equal(st.short_units_cut, 0);
	assert_int_equal(st.rejected[OC_REJECT_BACKORDERED], 1);
	oc_engine_free(e);
	(void)state;
}

/* A short pick that backorders every line of order c (customer and lines c's), key `key`. */
static struct oc_command backorder_all(struct oc_command c, uint64_t key)
{
	c.order_key = c.key;
	c.key = key;
	c.type = OC_CMD_PICK_SHORT;
	c.flags = OC_PICK_SHORT_BACKORDER;
	return c;
}

/* A full pool of backorders (orders_max entries) cuts the lines it cannot keep, counted; a
 * return received with restock fills backorders as a restock does. */
static void test_backorders_full(void **state)
{
	struct oc_engine *e = start(WINDOW, 16);
	static const uint64_t only_w0[] = {PLAIN, OTHER, LIMITED, BULK, BULK + 1, BULK + 2,
					   BULK + 3, SCARCE};
	struct oc_command eight = pl_place(1, 10, 0), seven = pl_place(2, 20, 0);
	for (unsigned i = 0; i < 8; i++) {
		pl_line_add(&eight, only_w0[i], 1);
		if (i < 7)
			pl_line_add(&seven, only_w0[i], 1);
	}
	struct oc_command one = pl_place1(3, 30, 0, PLAIN, 1), last = pl_place1(4, 40, 0, OTHER, 1);
	struct oc_command places[] = {eight, seven, one, last};
	for (unsigned i = 0; i < 4; i++)
		pl_run_expect(e, places[i], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* 8 + 7 + 1 entries: the pool is full. */
	for (unsigned i = 0; i < 3; i++) {
		struct oc_response r = expect_state(e, backorder_all(places[i], 100 + i),
						    OC_STATUS_ACCEPTED, OC_REJECT_NONE,
						    OC_STATE_ALLOCATED);
		assert_int_equal(r.refunded_cents, places[i].line_count);
		assert_int_equal(r.shipments, 0);
	}
	/* Order 4's line is cut, and the order with it. */
	struct oc_response r = expect_state(e, backorder_all(last, 103), OC_STATUS_ACCEPTED,
					    OC_REJECT_NONE, OC_STATE_CANCELLED);
	assert_int_equal(r.amount_cents, OTHER_PRICE);
	assert_int_equal(r.refunded_cents, 0);
	/* One BULK shipped, delivered and sent back: restocked, it fills order 1's BULK. */
	pl_run_expect(e, pl_place1(5, 50, 0, BULK, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	static const uint8_t steps[] = {OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					OC_CMD_SHIPPED, OC_CMD_DELIVERED};
	for (unsigned i = 0; i < sizeof(steps); i++)
		pl_run_expect(e, pl_step(steps[i], 5, 50), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_rma(104, 50, 5, OC_RETURN_NOT_WANTED, BULK, 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 104, 50, OC_RETURN_RESTOCK),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_recon_at(e, BULK, 0, 997, 1, 998);
	r = expect_state(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED,
			 OC_STATE_ALLOCATED);
	assert_int_equal(r.shipments, 1);
	pl_pad(e, WINDOW);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.short_units_backordered, 16);
	assert_int_equal(st.backorder_units_cut, 1);
	assert_int_equal(st.short_units_cut, 1);
	assert_int_equal(st.backorder_units_filled, 1);
	oc_engine_free(e);
	(void)state;
}

/* Full screening tables: a buyer they cannot take is screened as a new one (and counted),
 * not refused; a retry of any screened place answers as first, full or not. */
static void test_screening_full_tables(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_config cfg;
	pl_config(&cfg, fraud_dir, &t);
	cfg.screen_entries_max = 1;
	struct oc_engine *e = NULL;
	char err[256];
	assert_int_equal(oc_engine_create(&cfg, &e, err, sizeof(err)), 0);
	assert_int_equal(oc_engine_start(e), 0);
	struct oc_screen c = pl_screen(NULL, "fp_one", NULL, "US", "US", "94105", 400);
	struct oc_command blocked = screened1(1, 10, BULK, 1, pl_screen("fraud@example.com", NULL,
									 NULL, "US", "US", "94105",
									 400));
	pl_run_expect(e, blocked, OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	pl_run_expect(e, screened1(2, 20, BULK, 1, c), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* The tables are full (customer 20, card fp_one): retries answer as first. */
	struct oc_response r = pl_run_expect(e, screened1(1, 10, BULK, 1, c), OC_STATUS_REJECTED,
					     OC_REJECT_BLOCKED);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	pl_run_expect(e, screened1(2, 30, BULK, 1, c), OC_STATUS_REJECTED, OC_REJECT_KEY_CONFLICT);
	/* A new customer with a new card: not remembered, screened all the same. */
	struct oc_screen other = pl_screen(NULL, "fp_two", NULL, "US", "US", "94105", 400);
	for (uint32_t i = 0; i < 3; i++)
		pl_run_expect(e, screened1(3 + i, 40, BULK, 1, other), OC_STATUS_ACCEPTED,
			      OC_REJECT_NONE);
	/* fp_one is remembered: its 3rd order with a mismatch is held. */
	struct oc_screen one_gb = pl_screen(NULL, "fp_one", NULL, "GB", "US", "94105", 400);
	pl_run_expect(e, screened1(6, 20, BULK, 1, c), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, screened1(7, 20, BULK, 1, one_gb), OC_STATUS_ACCEPTED,
		      OC_REJECT_CARD_VELOCITY);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.screened, 7);
	assert_int_equal(st.screen_unremembered, 3);
	oc_engine_free(e);
}

/* Orders on account (B2B): accepted while the customer's credit line has room for them, owed
 * until paid; a cancel, a refund or a cut gives room back. */
static void test_credit(void **state)
{
	enum { PAID = OC_CMD_PAYMENT_RECEIVED };
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = pl_engine_start(fraud_dir, &t);
	struct oc_command c;
#define ON_ACCOUNT(key, customer, region, sku, qty)                                               \
	(c = pl_place1(key, customer, region, sku, qty), c.flags = OC_PLACE_ACCOUNT, c)
	/* No credit line, or one of 0: refused, nothing held. */
	pl_run_expect(e, ON_ACCOUNT(1, 902, 0, EVERY, 1), OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	pl_run_expect(e, ON_ACCOUNT(2, 901, 0, EVERY, 1), OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	pl_run_expect(e, ON_ACCOUNT(3, 901, 0, BULK, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* free */
	/* 900 may owe 10000: 5000, then 6250 is too much, 5000 fits exactly. */
	struct oc_response r = expect_state(e, ON_ACCOUNT(10, 900, 0, PLAIN, 4), OC_STATUS_ACCEPTED,
					    OC_REJECT_NONE, OC_STATE_ALLOCATED);
	expect_money(&r, OC_PAYMENT_ON_ACCOUNT, 4 * PLAIN_PRICE, 0);
	pl_run_expect(e, ON_ACCOUNT(11, 900, 0, PLAIN, 5), OC_STATUS_REJECTED,
		      OC_REJECT_CREDIT_LIMIT);
	pl_pad(e, WINDOW); /* the refused units are on sale again (the shards decide first) */
	pl_run_expect(e, ON_ACCOUNT(12, 900, 0, PLAIN, 4), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, ON_ACCOUNT(13, 900, 0, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_CREDIT_LIMIT);
	/* Paid: 5000 of room back; a repeat is done before; the state does not move. */
	r = expect_state(e, pl_step(PAID, 10, 900), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
			 OC_STATE_ALLOCATED);
	expect_money(&r, OC_PAYMENT_PAID, 4 * PLAIN_PRICE, 0);
	r = pl_run_expect(e, pl_step(PAID, 10, 900), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	/* 10 EVERY: 4990 (owed now: 9990). */
	pl_run_expect(e, ON_ACCOUNT(14, 900, 0, EVERY, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* Cancelled unpaid: void, its 5000 back (owed: 4990). */
	r = expect_state(e, pl_cancel(12, 900), OC_STATUS_CANCELLED, OC_REJECT_NONE,
			 OC_STATE_CANCELLED);
	expect_money(&r, OC_PAYMENT_VOIDED, 4 * PLAIN_PRICE, 0);
	/* Delivered, then 990 refunded before it is paid: a credit note (owed: 4000). */
	deliver(e, 14, 900);
	r = pl_run_expect(e, pl_refund(15, 900, 14, 990), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.payment, OC_PAYMENT_REFUNDED);
	/* One AT_W1 (2000; owed 6000) cut by a short pick: cancelled, void (owed 4000 again). */
	pl_run_expect(e, ON_ACCOUNT(16, 900, 1, AT_W1, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, pl_short_pick(17, 900, 16, 1, AT_W1, 1), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(r.state, OC_STATE_CANCELLED);
	r = pl_run_expect(e, pl_query_order(16), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	expect_money(&r, OC_PAYMENT_VOIDED, 0, 0);
	/* So 6000 of room: 3 AT_W1 fit exactly, then nothing priced does. */
	pl_run_expect(e, ON_ACCOUNT(18, 900, 1, AT_W1, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, ON_ACCOUNT(19, 900, 0, EVERY, 1), OC_STATUS_REJECTED,
		      OC_REJECT_CREDIT_LIMIT);
	/* Payments of what is not on account, or cancelled: invalid_state. */
	pl_run_expect(e, pl_place1(20, 903, 0, EVERY, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(PAID, 20, 903), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_step(PAID, 12, 900), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_run_expect(e, pl_step(PAID, 11, 900), OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	/* Not with a card, not for a replacement. */
	c = ON_ACCOUNT(21, 900, 0, EVERY, 1);
	c.flags |= OC_PLACE_CARD;
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	c = pl_replacement(22, 900, 0, 14, EVERY, 1);
	c.flags |= OC_PLACE_ACCOUNT;
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
#undef ON_ACCOUNT
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.payments_received, 1);
	assert_int_equal(st.rejected[OC_REJECT_CREDIT_LIMIT], 5); /* keys 1, 2, 11, 13, 19 */
	oc_engine_free(e);
}

/* A held order not reviewed within review_ttl_ms is cancelled on time, as a card order's
 * lease runs out: its stock and money go back; one reviewed in time is not touched. */
static void test_review_deadline(void **state)
{
	enum { TTL_MS = 300 };
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .review_ttl_ms = TTL_MS};
	struct oc_engine *e = pl_engine_start(fraud_dir, &t);
	struct oc_response r[8];
	struct oc_screen fresh = pl_screen(NULL, NULL, NULL, "GB", "US", "94105", 1);
	struct oc_command held = screened1(1, 10, OTHER, 1, fresh);
	struct oc_command kept = screened1(2, 20, OTHER, 1, fresh);
	assert_int_equal(run_collect(e, &held, 0, r, 8), 1);
	assert_int_equal(r[0].state, OC_STATE_ON_HOLD);
	uint64_t deadline_ms = held.ts_ns / 1000000u + TTL_MS;
	assert_int_equal(run_collect(e, &kept, 0, r, 8), 1);
	struct oc_command approve = pl_step(OC_CMD_REVIEW_APPROVE, 2, 20);
	assert_int_equal(run_collect(e, &approve, 0, r, 8), 1);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* Queries, one at a time, until one brings the expiry: never before the deadline. */
	uint64_t expired_at = 0;
	for (int i = 0; i < 100000 && !expired_at; i++) {
		struct oc_command q = pl_query_stock(PLAIN);
		uint32_t n = run_collect(e, &q, 0, r, 8);
		uint64_t q_ms = q.ts_ns / 1000000u;
		if (n == 1) {
			assert_true(q_ms < deadline_ms);
			continue;
		}
		assert_int_equal(n, 2);
		assert_true(q_ms >= deadline_ms);
		assert_int_equal(r[0].flags, OC_RESPONSE_UNSOLICITED);
		assert_int_equal(r[0].key, 1);
		pl_expect(&r[0], OC_STATUS_CANCELLED, OC_REJECT_REVIEW_EXPIRED);
		assert_int_equal(r[0].state, OC_STATE_CANCELLED);
		expect_money(&r[0], OC_PAYMENT_REFUNDED, OTHER_PRICE, OTHER_PRICE);
		expired_at = q_ms;
		usleep(500);
	}
	assert_true(expired_at > 0);
	pl_run_expect(e, pl_step(OC_CMD_REVIEW_APPROVE, 1, 10), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	struct oc_response rows[4];
	assert_int_equal(run_rows(e, pl_query_history(1), OC_STATUS_CANCELLED, OC_REJECT_NEW_ACCOUNT,
				  rows, 4),
			 2);
	pl_expect(&rows[1], OC_STATUS_CANCELLED, OC_REJECT_REVIEW_EXPIRED);
	/* No command at all: the sequencer's tick cancels a third on time. */
	struct oc_command third = screened1(3, 30, OTHER, 1, fresh);
	run_collect(e, &third, 0, r, 8);
	assert_int_equal(run_collect(e, NULL, 3 * TTL_MS, r, 8), 1);
	assert_int_equal(r[0].flags, OC_RESPONSE_UNSOLICITED);
	assert_int_equal(r[0].key, 3);
	assert_true(r[0].seq > third.seq); /* a tick's */
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.review_expiries, 2);
	assert_int_equal(pl_stock(e, OTHER).allocated, 1); /* the order reviewed in time */
	oc_engine_free(e);
}

/* A velocity window forgets: with 2-second windows, a card's 3rd order is held at once and
 * goes through once the first two are older than the window. */
static void test_screening_window_expires(void **state)
{
	char short_dir[1024];
	oc_test_scratch_dir(short_dir, sizeof(short_dir), "test_pipeline_fraud_2s");
	struct pl_dataset d = {skus,  sizeof(skus) / sizeof(skus[0]),  warehouses, 4,
			       stock, sizeof(stock) / sizeof(stock[0])};
	pl_dataset_write(short_dir, &d);
	pl_screening_write(short_dir, 2);
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = pl_engine_start(short_dir, &t);
	struct oc_screen c = pl_screen(NULL, "fp_fast", NULL, "US", "US", "94105", 400);
	struct oc_screen c_gb = pl_screen(NULL, "fp_fast", NULL, "GB", "US", "94105", 400);
	struct oc_command first = screened1(1, 10, BULK, 1, c);
	pl_run_expect(e, first, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, screened1(2, 11, BULK, 1, c), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_command third = screened1(3, 12, BULK, 1, c_gb);
	struct oc_response r = pl_run1(e, third);
	/* Held unless the machine stalled past the window between the first and the third. */
	if (third.ts_ns / 1000000000u < first.ts_ns / 1000000000u + 2)
		assert_int_equal(r.reason, OC_REJECT_CARD_VELOCITY);
	usleep(2100 * 1000);
	expect_state(e, screened1(4, 13, BULK, 1, c_gb), OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		     OC_STATE_ALLOCATED);
	pl_stop(e);
	oc_engine_free(e);
}

/* What screening remembers (windows, amounts, the block list) survives a restart, from a
 * snapshot and from the log alone, and the state hashes agree. */
static void test_screening_survives_restart(void **state)
{
	for (int snapshot = 0; snapshot <= 1; snapshot++) {
		char data[1024];
		oc_test_scratch_dir(data, sizeof(data), snapshot ? "test_pipeline_fraud_snap"
								 : "test_pipeline_fraud_log");
		struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .data_dir = data};
		struct oc_config cfg;
		pl_config(&cfg, fraud_dir, &t);
		cfg.snapshot_on_stop = snapshot;
		struct oc_engine *e = NULL;
		char err[256];
		struct oc_screen c = pl_screen(NULL, "fp_kept", NULL, "US", "US", "94105", 400);
		struct oc_screen c_gb = pl_screen(NULL, "fp_kept", NULL, "GB", "US", "94105", 400);
		uint64_t hash = 0;
		for (int run = 0; run < 3; run++) {
			assert_int_equal(oc_engine_create(&cfg, &e, err, sizeof(err)), 0);
			assert_int_equal(oc_engine_start(e), 0);
			if (run == 0) {
				pl_run_expect(e, screened1(1, 10, BULK, 1, c), OC_STATUS_ACCEPTED,
					      OC_REJECT_NONE);
				pl_run_expect(e, screened1(2, 11, BULK, 1, c), OC_STATUS_ACCEPTED,
					      OC_REJECT_NONE);
				pl_run_expect(e, pl_block(7, OC_BLOCK_EMAIL, "gone@example.com"),
					      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
				struct oc_command owed = pl_place1(8, 900, 0, OTHER, 1);
				owed.flags = OC_PLACE_ACCOUNT; /* 10000 of 900's 10000 */
				pl_run_expect(e, owed, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
			}
			pl_stop(e);
			if (run == 1)
				assert_int_equal(oc_engine_state_hash(e), hash);
			hash = oc_engine_state_hash(e);
			if (run < 2) {
				oc_engine_free(e);
				continue;
			}
			struct oc_engine *f = NULL;
			oc_engine_free(e);
			assert_int_equal(oc_engine_create(&cfg, &f, err, sizeof(err)), 0);
			assert_int_equal(oc_engine_start(f), 0);
			pl_run_expect(f, screened1(3, 12, BULK, 1, c_gb), OC_STATUS_ACCEPTED,
				      OC_REJECT_CARD_VELOCITY);
			pl_run_expect(f, screened1(4, 13, BULK, 1,
						   pl_screen("gone@example.com", NULL, NULL, NULL,
							     "US", "94105", 400)),
				      OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
			struct oc_command more = pl_place1(9, 900, 0, EVERY, 1);
			more.flags = OC_PLACE_ACCOUNT; /* the balance came back: no room */
			pl_run_expect(f, more, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
			struct oc_stats st = pl_stop_stats(f);
			/* From the snapshot the stop took (after the 4 commands, its barrier
			 * the 5th), or from the log alone. */
			assert_int_equal(st.restored_seq, snapshot ? 5 : 0);
			assert_int_equal(st.recovered, snapshot ? 5 : 4);
			oc_engine_free(f);
		}
	}
}

/* Documents (docs/lifecycle.md, "Documents"): a dataset with carriers. Warehouses as above (1,112
 * km apart: from region RA, W0 is zone 1, W1 zone 3, W2 zone 6, W3 zone 8); SKUs with their
 * own weights and bins; three services whose rates make each choice below the only right one. */
enum { LIGHT = 401, MEDIUM = 402, HEAVY = 403, FAR = 404, HALVES = 405 };
enum { GROUND = 0, AIR2 = 1, NEXTDAY = 2 };

static const struct pl_sku doc_skus[] = {
    {LIGHT, 0, 1000, 500, "C-02-1"},  {MEDIUM, 0, 250, 2000, "A-05-3"},
    {HEAVY, 0, 5000, 30000, "B-01-1"}, {FAR, 0, 100, 100, "A-01-1"},
    {HALVES, 0, 300, 500, "D-01-1"}};
static const struct pl_stock doc_stock[] = {
    {LIGHT, "W0", 10}, {MEDIUM, "W0", 10}, {HEAVY, "W0", 5}, {FAR, "W3", 5},
    {HALVES, "W0", 10}, {HALVES, "W1", 10}, {HALVES, "W2", 10}};

/* Writes the documents' dataset into directory `to`. */
static void write_carriers(const char *to)
{
	struct pl_dataset d = {doc_skus,  sizeof(doc_skus) / sizeof(doc_skus[0]),  warehouses, 4,
	                       doc_stock, sizeof(doc_stock) / sizeof(doc_stock[0])};
	pl_dataset_write(to, &d);
	assert_int_equal(oc_test_write_file(to, "carriers.csv",
					    "carrier,service,transit_days\nACME,GROUND,5\n"
					    "ACME,AIR2,2\nFAST,NEXTDAY,1\n"),
			 0);
	assert_int_equal(oc_test_write_file(to, "rates.csv",
		   "carrier,service,zone,weight_max_g,cost_cents\n"
		   "ACME,GROUND,1,1000,500\nACME,GROUND,1,5000,800\nACME,GROUND,1,50000,2000\n"
		   "ACME,GROUND,3,1000,700\nACME,GROUND,3,5000,1100\nACME,GROUND,3,50000,3000\n"
		   "ACME,GROUND,8,1000,1500\nACME,GROUND,8,5000,2500\n"
		   "ACME,AIR2,1,1000,900\nACME,AIR2,1,5000,1500\nACME,AIR2,3,5000,1800\n"
		   "FAST,NEXTDAY,1,1000,850\nFAST,NEXTDAY,1,5000,2500\nFAST,NEXTDAY,8,5000,4000\n"),
			 0);
}

/* Starts an engine of topology t on the documents' dataset, in a fresh scratch directory
 * named `name` (the dataset stays there for the engine's life: one engine at a time). */
static struct oc_engine *start_with_carriers(const char *name, const struct pl_topology *t)
{
	static char dir_of_carriers[1024];
	oc_test_scratch_dir(dir_of_carriers, sizeof(dir_of_carriers), name);
	write_carriers(dir_of_carriers);
	return pl_engine_start(dir_of_carriers, t);
}

/* Runs a pack or a shipment; expects its answer accepted in `state` and returns its rows, each
 * a document of the command. */
static uint32_t run_documents(struct oc_engine *e, struct oc_command c, unsigned state,
			      struct oc_response *rows)
{
	struct oc_response a;
	uint32_t n;
	pl_run_rows(e, &c, 1, &a, rows, OC_QUERY_ROWS_MAX * 2, &n);
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.state, state);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].flags & ~OC_RESPONSE_CHANNEL_MASK,
				 OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT);
		assert_int_equal(OC_RESPONSE_CHANNEL(&rows[i]), OC_RESPONSE_CHANNEL(&a));
		assert_int_equal(rows[i].seq, c.seq);
		assert_int_equal(rows[i].key, c.key);
		assert_int_equal(rows[i].customer, c.customer);
		assert_int_equal(rows[i].type, c.type);
		assert_int_equal(rows[i].state, state);
	}
	return n;
}

static void expect_line(const struct oc_response *r, unsigned kind, unsigned w, uint64_t sku,
			uint32_t quantity, uint32_t price)
{
	assert_int_equal(OC_DOC_KIND(r), kind);
	assert_int_equal(r->warehouse, w);
	assert_int_equal(r->original_seq, sku);
	assert_int_equal(OC_DOC_LINE_QUANTITY(r), quantity);
	assert_int_equal(OC_DOC_LINE_PRICE(r), price);
	assert_int_equal(r->refunded_cents, (uint64_t)quantity * price);
}

static void expect_label(const struct oc_response *r, unsigned w, uint32_t weight_g,
			 unsigned service, unsigned zone, unsigned days, uint64_t cost)
{
	assert_int_equal(OC_DOC_KIND(r), OC_DOC_LABEL);
	assert_int_equal(r->warehouse, w);
	assert_int_not_equal(r->original_seq, 0);
	assert_int_equal(OC_LABEL_WEIGHT_G(r), weight_g);
	assert_int_equal(OC_LABEL_SERVICE(r), service);
	assert_int_equal(OC_LABEL_ZONE(r), zone);
	assert_int_equal(OC_LABEL_DAYS(r), days);
	assert_int_equal(r->amount_cents, cost);
}

static struct oc_command with_days(struct oc_command c, uint32_t days)
{
	c.flags |= OC_PLACE_DAYS(days);
	return c;
}

/* Picks and packs an order; returns the pack's rows. */
static uint32_t pick_pack(struct oc_engine *e, uint64_t key, uint64_t customer,
			  struct oc_response *rows)
{
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, key, customer), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	return run_documents(e, pl_step(OC_CMD_PACK_CONFIRMED, key, customer), OC_STATE_PACKED,
			     rows);
}

static void test_documents(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = start_with_carriers("test_pipeline_documents", &t);
	struct oc_response rows[OC_QUERY_ROWS_MAX * 2];
	struct oc_command c;
	/* A line split over W0 (10) and W1 (5): two parcels, each its slip and its label. */
	pl_run_expect(e, pl_place1(1, 10, 0, HALVES, 15), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 1, 10, rows), 4);
	expect_line(&rows[0], OC_DOC_SLIP_LINE, 0, HALVES, 10, 300);
	expect_label(&rows[1], 0, 5000, GROUND, 1, 5, 800);
	expect_line(&rows[2], OC_DOC_SLIP_LINE, 1, HALVES, 5, 300);
	expect_label(&rows[3], 1, 2500, GROUND, 3, 5, 1100);
	assert_int_not_equal(rows[1].original_seq, rows[3].original_seq);
	/* The invoice at the shipment: a line per allocation, the total in the answer. */
	assert_int_equal(run_documents(e, pl_step(OC_CMD_SHIPPED, 1, 10), OC_STATE_SHIPPED, rows),
			 2);
	expect_line(&rows[0], OC_DOC_INVOICE_LINE, 0, HALVES, 10, 300);
	expect_line(&rows[1], OC_DOC_INVOICE_LINE, 1, HALVES, 5, 300);
	/* Retried, a pack or a shipment is a duplicate without documents (pl_run: no rows). */
	struct oc_response r = pl_run_expect(e, pl_step(OC_CMD_SHIPPED, 1, 10), OC_STATUS_ACCEPTED,
					     OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(r.amount_cents, 15 * 300);
	r = pl_run_expect(e, pl_step(OC_CMD_PACK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_true(r.flags & OC_RESPONSE_DUPLICATE);

	/* Two SKUs in one parcel: the slip in the order of their bins (A-05-3 before C-02-1); the
	 * invoice in the order of the lines. Any speed: the cheapest, ground. A failed quality check
	 * makes no documents. */
	c = pl_place1(2, 20, 0, LIGHT, 1);
	pl_line_add(&c, MEDIUM, 1);
	pl_run_expect(e, c, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_flagged_step(OC_CMD_PACK_CONFIRMED, 2, 20, OC_PACK_QC_FAILED),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(run_documents(e, pl_step(OC_CMD_PACK_CONFIRMED, 2, 20), OC_STATE_PACKED,
				       rows),
			 3);
	expect_line(&rows[0], OC_DOC_SLIP_LINE, 0, MEDIUM, 1, 250);
	expect_line(&rows[1], OC_DOC_SLIP_LINE, 0, LIGHT, 1, 1000);
	expect_label(&rows[2], 0, 2500, GROUND, 1, 5, 800);
	uint64_t tracking = rows[2].original_seq;
	assert_int_equal(run_documents(e, pl_step(OC_CMD_SHIPPED, 2, 20), OC_STATE_SHIPPED, rows),
			 2);
	expect_line(&rows[0], OC_DOC_INVOICE_LINE, 0, LIGHT, 1, 1000);
	expect_line(&rows[1], OC_DOC_INVOICE_LINE, 0, MEDIUM, 1, 250);

	/* Within 2 days the cheapest is next day (850), not 2-day air (900); within 1 day to zone
	 * 8, next day again; at any speed to zone 8, ground. */
	pl_run_expect(e, with_days(pl_place1(3, 30, 0, LIGHT, 1), 2), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 3, 30, rows), 2);
	expect_label(&rows[1], 0, 500, NEXTDAY, 1, 1, 850);
	pl_run_expect(e, with_days(pl_place1(4, 40, 0, FAR, 1), 1), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 4, 40, rows), 2);
	expect_label(&rows[1], 3, 100, NEXTDAY, 8, 1, 4000);
	pl_run_expect(e, pl_place1(5, 50, 0, FAR, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 5, 50, rows), 2);
	expect_label(&rows[1], 3, 100, GROUND, 8, 5, 1500);

	/* No service: 60 kg is over every break; 30 kg within 2 days too. The order stays picked
	 * and may still be cancelled. A heavy parcel at any speed goes by ground. */
	pl_run_expect(e, pl_place1(6, 60, 0, HEAVY, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 6, 60), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	r = pl_run_expect(e, pl_step(OC_CMD_PACK_CONFIRMED, 6, 60), OC_STATUS_REJECTED,
			  OC_REJECT_NO_CARRIER);
	assert_int_equal(r.state, OC_STATE_PICKED);
	pl_run_expect(e, pl_cancel(6, 60), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_run_expect(e, with_days(pl_place1(7, 70, 0, HEAVY, 1), 2), OC_STATUS_ACCEPTED,
		      OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 7, 70), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PACK_CONFIRMED, 7, 70), OC_STATUS_REJECTED,
		      OC_REJECT_NO_CARRIER);
	pl_run_expect(e, pl_place1(8, 80, 0, HEAVY, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 8, 80, rows), 2);
	expect_label(&rows[1], 0, 30000, GROUND, 1, 5, 2000);

	/* A replacement ships at its order's speed; asking for one of its own is malformed. */
	assert_int_equal(run_documents(e, pl_step(OC_CMD_SHIPPED, 3, 30), OC_STATE_SHIPPED, rows),
			 1);
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 3, 30, OC_EXCEPTION_LOST),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, with_days(pl_replacement(9, 30, 0, 3, LIGHT, 1), 2), OC_STATUS_REJECTED,
		      OC_REJECT_MALFORMED);
	pl_run_expect(e, pl_replacement(9, 30, 0, 3, LIGHT, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 9, 30, rows), 2);
	expect_label(&rows[1], 0, 500, NEXTDAY, 1, 1, 850);
	/* Days out of 0..7 cannot be said: the bits above are unknown flags. */
	c = pl_place1(10, 100, 0, LIGHT, 1);
	c.flags = 0x80;
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);

	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.labels, 8);
	assert_int_equal(st.label_cents, 800 + 1100 + 800 + 850 + 4000 + 1500 + 2000 + 850);
	assert_int_equal(st.rejected[OC_REJECT_NO_CARRIER], 2);
	oc_engine_free(e);

	/* The same stream again gives the same tracking numbers: they depend on the order only. */
	e = start_with_carriers("test_pipeline_documents_again", &t);
	c = pl_place1(2, 20, 0, LIGHT, 1);
	pl_line_add(&c, MEDIUM, 1);
	pl_run_expect(e, c, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(pick_pack(e, 2, 20, rows), 3);
	assert_int_equal(rows[2].original_seq, tracking);
	pl_stop(e);
	oc_engine_free(e);
	(void)state;
}

/* Submits c and polls until its answer and `waves` released waves (unsolicited OC_DOC_WAVE
 * rows) have come, or wait_ms more when c is NULL; the answer into *a (c not NULL), every row
 * (its own, and pick lists) into rows; their count. */
static uint32_t run_waves(struct oc_engine *e, struct oc_command *c, uint32_t waves,
			  uint32_t wait_ms, struct oc_response *a, struct oc_response *rows)
{
	while (c && oc_engine_try_submit_burst(e, c, 1) != 1)
		sched_yield();
	struct oc_response got[256];
	uint32_t rows_n = 0, seen = 0;
	bool answered = c == NULL;
	double until = pl_now_s() + (waves || c ? PL_STALL_S : wait_ms / 1000.0);
	while (!answered || seen < waves || (!waves && !c && pl_now_s() < until)) {
		if (pl_now_s() > until)
			fail_msg("%u of %u waves released, answered %d", seen, waves, answered);
		oc_engine_try_submit_burst(e, NULL, 0); /* lets the sequencer tick */
		int n = oc_engine_poll_burst(e, got, 256);
		for (int i = 0; i < n; i++) {
			if (got[i].flags & OC_RESPONSE_ROW) {
				seen += OC_DOC_KIND(&got[i]) == OC_DOC_WAVE;
				rows[rows_n++] = got[i];
				continue;
			}
			assert_non_null(c);
			assert_int_equal(got[i].seq, c->seq);
			*a = got[i];
			answered = true;
		}
		if (!n)
			usleep(1000);
	}
	/* What the command's turn wrote after its answer came with it or comes at once. */
	for (int i = 0, n = oc_engine_poll_burst(e, got, 256); i < n; i++) {
		assert_true(got[i].flags & OC_RESPONSE_ROW);
		rows[rows_n++] = got[i];
	}
	return rows_n;
}

/* A pick list's line: order, SKU, quantity, wave. */
static void expect_pick(const struct oc_response *r, unsigned w, uint64_t key, uint64_t sku,
			uint32_t quantity, uint64_t wave, unsigned state)
{
	assert_int_equal(r->flags, OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT | OC_RESPONSE_UNSOLICITED);
	assert_int_equal(OC_DOC_KIND(r), OC_DOC_PICK_LINE);
	assert_int_equal(r->type, OC_CMD_PLACE);
	assert_int_equal(r->warehouse, w);
	assert_int_equal(r->key, key);
	assert_int_equal(r->original_seq, sku);
	assert_int_equal(OC_DOC_LINE_QUANTITY(r), quantity);
	assert_int_equal(r->refunded_cents, wave);
	assert_int_equal(r->state, state);
}

static void expect_wave(const struct oc_response *r, unsigned w, uint64_t wave, uint32_t orders,
			uint32_t lines)
{
	assert_int_equal(r->flags, OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT | OC_RESPONSE_UNSOLICITED);
	assert_int_equal(OC_DOC_KIND(r), OC_DOC_WAVE);
	assert_int_equal(r->warehouse, w);
	assert_int_equal(r->key, 0);
	assert_int_equal(r->original_seq, wave);
	assert_int_equal(r->amount_cents, (uint64_t)lines << 32 | orders);
}

static unsigned state_of(struct oc_engine *e, uint64_t key)
{
	return pl_run1(e, pl_query_order(key)).state;
}

/* Pick waves (docs/lifecycle.md, "Waves"), by size: an order waits in allocated (its pick is
 * refused) until its waves are released, after the answer of the order that fills them; the
 * pick list in bin order; a split order in the waves of both its warehouses; a cancelled order
 * left out; a short pick's re-routed units in a wave of their own. */
static void test_waves_by_size(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .wave_orders_max = 2,
				.wave_cutoff_ms = 3600000, .wave_express_cutoff_ms = 3600000};
	struct oc_engine *e = start_with_carriers("test_pipeline_waves", &t);
	struct oc_response rows[256], a;
	struct oc_command c = pl_place1(1, 10, 0, LIGHT, 1);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	assert_int_equal(a.state, OC_STATE_ALLOCATED);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	c = pl_place1(2, 20, 0, MEDIUM, 2);
	assert_int_equal(run_waves(e, &c, 1, 0, &a, rows), 3);
	assert_int_equal(a.state, OC_STATE_ALLOCATED); /* its answer, then the release */
	expect_pick(&rows[0], 0, 2, MEDIUM, 2, 1, OC_STATE_RELEASED); /* bin A-05-3 */
	expect_pick(&rows[1], 0, 1, LIGHT, 1, 1, OC_STATE_RELEASED);  /* bin C-02-1 */
	expect_wave(&rows[2], 0, 1, 2, 2);
	assert_int_equal(rows[0].seq, a.seq);
	assert_int_equal(state_of(e, 1), OC_STATE_RELEASED);
	struct oc_response h[8];
	assert_int_equal(run_rows(e, pl_query_history(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE, h, 8),
			 2);
	assert_int_equal(h[1].state, OC_STATE_RELEASED);
	assert_int_equal(h[1].type, OC_CMD_PLACE);
	assert_int_equal(h[1].original_seq, a.seq);
	/* Released: picked, packed (with its documents), cancelled like an allocated order. */
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(2, 20), OC_STATUS_CANCELLED, OC_REJECT_NONE);

	/* A split order (W0 10, W1 5) fills its W0 wave with order 3; W1's waits for order 5. A
	 * cancelled order is left out of its wave. */
	c = pl_place1(3, 30, 0, LIGHT, 1);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	pl_run_expect(e, pl_place1(4, 40, 1, HALVES, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(4, 40), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	c = pl_place1(5, 50, 0, HALVES, 15);
	assert_int_equal(run_waves(e, &c, 2, 0, &a, rows), 5);
	expect_pick(&rows[0], 0, 3, LIGHT, 1, 2, OC_STATE_RELEASED);    /* bin C-02-1 */
	expect_pick(&rows[1], 0, 5, HALVES, 10, 2, OC_STATE_ALLOCATED); /* D-01-1; W1 open */
	expect_wave(&rows[2], 0, 2, 2, 2);
	expect_pick(&rows[3], 1, 5, HALVES, 5, 3, OC_STATE_RELEASED);   /* order 4 left out */
	expect_wave(&rows[4], 1, 3, 1, 1);
	assert_int_equal(state_of(e, 5), OC_STATE_RELEASED);

	/* A short pick of a released order: its units re-routed to a warehouse it did not ship
	 * from (W2), where they wait for a wave; the order with them. */
	c = pl_short_pick(6, 50, 5, 0, HALVES, 3);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.state, OC_STATE_ALLOCATED);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 5, 50), OC_STATUS_REJECTED,
		      OC_REJECT_INVALID_STATE);
	c = pl_place1(7, 70, 2, HALVES, 1);
	assert_int_equal(run_waves(e, &c, 1, 0, &a, rows), 3);
	expect_pick(&rows[0], 2, 5, HALVES, 3, 4, OC_STATE_RELEASED);
	expect_pick(&rows[1], 2, 7, HALVES, 1, 4, OC_STATE_RELEASED);
	expect_wave(&rows[2], 2, 4, 2, 2);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 5, 50), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.waves, 4);
	oc_engine_free(e);
	(void)state;
}

/* Backorders with waves: a released order short of a line no other warehouse has keeps it and
 * stays released, its pick refused backordered; the receipt that fills it sends it back to
 * allocated, into the wave of each of its warehouses, where its whole pick list comes anew. */
static void test_backorders_with_waves(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .wave_orders_max = 2,
				.wave_cutoff_ms = 3600000, .wave_express_cutoff_ms = 3600000};
	struct oc_engine *e = start_with_carriers("test_pipeline_waves_backorders", &t);
	struct oc_response rows[256], a;
	struct oc_command c = pl_place1(1, 10, 0, LIGHT, 1);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	c = pl_place1(2, 20, 0, MEDIUM, 2);
	pl_line_add(&c, LIGHT, 1);
	assert_int_equal(run_waves(e, &c, 1, 0, &a, rows), 4);
	expect_pick(&rows[0], 0, 2, MEDIUM, 2, 1, OC_STATE_RELEASED);
	c = backorder(3, 20, 2, 0, MEDIUM, 2);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.state, OC_STATE_RELEASED);
	assert_int_equal(a.refunded_cents, 2);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_REJECTED,
		      OC_REJECT_BACKORDERED);
	c = pl_stock_change(OC_CMD_RESTOCK, 4, 7, 0, MEDIUM, 2);
	assert_int_equal(run_waves(e, &c, 0, 0, &a, rows), 0);
	assert_int_equal(state_of(e, 2), OC_STATE_ALLOCATED); /* in W0's open wave */
	c = pl_place1(5, 50, 0, LIGHT, 1);
	assert_int_equal(run_waves(e, &c, 1, 0, &a, rows), 4);
	expect_pick(&rows[0], 0, 2, MEDIUM, 2, 2, OC_STATE_RELEASED); /* bin A-05-3 */
	expect_pick(&rows[1], 0, 2, LIGHT, 1, 2, OC_STATE_RELEASED);  /* bin C-02-1 */
	expect_pick(&rows[2], 0, 5, LIGHT, 1, 2, OC_STATE_RELEASED);
	expect_wave(&rows[3], 0, 2, 2, 3);
	pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 2, 20), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.waves, 2);
	assert_int_equal(st.backorder_units_filled, 2);
	oc_engine_free(e);
	(void)state;
}

/* Backorders survive a restart, from the snapshot the stop took or from the log alone: the
 * state hash is the same, and the restock after it fills the line. */
static void test_backorders_survive_restart(void **state)
{
	for (int snapshot = 0; snapshot <= 1; snapshot++) {
		char data[1024];
		oc_test_scratch_dir(data, sizeof(data), snapshot ? "test_pipeline_backorders_snap"
								 : "test_pipeline_backorders_log");
		struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .data_dir = data};
		struct oc_config cfg;
		pl_config(&cfg, dir, &t);
		cfg.snapshot_on_stop = snapshot;
		struct oc_engine *e = NULL;
		char err[256];
		assert_int_equal(oc_engine_create(&cfg, &e, err, sizeof(err)), 0);
		assert_int_equal(oc_engine_start(e), 0);
		pl_run_expect(e, pl_place1(1, 10, 0, PLAIN, 3), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		pl_run_expect(e, pl_place1(2, 20, 0, PLAIN, 2), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		pl_run_expect(e, backorder(3, 10, 1, 0, PLAIN, 2), OC_STATUS_ACCEPTED,
			      OC_REJECT_NONE);
		pl_run_expect(e, backorder(4, 20, 2, 0, PLAIN, 1), OC_STATUS_ACCEPTED,
			      OC_REJECT_NONE);
		pl_stop(e);
		uint64_t hash = oc_engine_state_hash(e);
		oc_engine_free(e);
		assert_int_equal(oc_engine_create(&cfg, &e, err, sizeof(err)), 0);
		assert_int_equal(oc_engine_start(e), 0);
		pl_stop(e);
		assert_int_equal(oc_engine_state_hash(e), hash);
		oc_engine_free(e);
		assert_int_equal(oc_engine_create(&cfg, &e, err, sizeof(err)), 0);
		assert_int_equal(oc_engine_start(e), 0);
		pl_run_expect(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED);
		pl_run_expect(e, pl_stock_change(OC_CMD_RESTOCK, 5, 7, 0, PLAIN, 2),
			      OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* order 1's two, the oldest */
		pl_run_expect(e, pl_query_order(1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		pl_run_expect(e, pl_query_order(2), OC_STATUS_ACCEPTED, OC_REJECT_BACKORDERED);
		expect_recon_at(e, PLAIN, 0, 5, 4, 9);
		struct oc_stats st = counters_then_stop(e);
		assert_int_equal(st.restored_seq, snapshot ? 5 : 0);
		assert_int_equal(st.backorder_units_filled, 2);
		oc_engine_free(e);
	}
	(void)state;
}

/* Pick waves by cutoff: released at the first command (a tick when no client sends one) whose
 * time reaches the earliest cutoff of its orders, express orders (at most 2 days) sooner; a
 * wave whose orders were all cancelled writes nothing. */
static void test_waves_by_cutoff(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096, .wave_orders_max = 64,
				.wave_cutoff_ms = 400, .wave_express_cutoff_ms = 100};
	struct oc_engine *e = start_with_carriers("test_pipeline_waves_cutoff", &t);
	struct oc_response rows[256], a, b;
	struct oc_command c = pl_place1(1, 10, 0, LIGHT, 1);
	run_waves(e, &c, 0, 0, &a, rows);
	c = with_days(pl_place1(2, 20, 0, MEDIUM, 1), 2);
	run_waves(e, &c, 0, 0, &b, rows);
	assert_int_equal(run_waves(e, NULL, 1, 0, NULL, rows), 3);
	expect_pick(&rows[0], 0, 2, MEDIUM, 1, 1, OC_STATE_RELEASED);
	expect_pick(&rows[1], 0, 1, LIGHT, 1, 1, OC_STATE_RELEASED);
	expect_wave(&rows[2], 0, 1, 2, 2);
	assert_true(rows[2].ts_ms >= b.ts_ms + 100); /* never before the express cutoff */
	assert_true(rows[2].seq > b.seq);              /* a tick's */
	/* A standard order alone waits for the standard cutoff. */
	c = pl_place1(3, 30, 0, LIGHT, 1);
	run_waves(e, &c, 0, 0, &a, rows);
	assert_int_equal(run_waves(e, NULL, 1, 0, NULL, rows), 2);
	assert_true(rows[1].ts_ms >= a.ts_ms + 400);
	/* Everything cancelled before the cutoff: no pick list, no wave. */
	pl_run_expect(e, pl_place1(4, 40, 0, LIGHT, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_run_expect(e, pl_cancel(4, 40), OC_STATUS_CANCELLED, OC_REJECT_NONE);
	struct oc_response late[16];
	assert_int_equal(run_collect(e, NULL, 700, late, 16), 0);
	struct oc_stats st = counters_then_stop(e);
	assert_int_equal(st.waves, 2);
	oc_engine_free(e);
	(void)state;
}

/* Channels (docs/lifecycle.md, "Analytics"): a place's channel comes back in bits 5-7 of every
 * answer about the order — its place's (a rejected one's too), its duplicate's, its steps',
 * its queries', its documents' —; a replacement keeps its order's (asking for one is
 * malformed, as is a channel past the last). */
static void test_channels(void **state)
{
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	struct oc_engine *e = start_with_carriers("test_pipeline_channels", &t);
	struct oc_command c = pl_place1(1, 10, 0, LIGHT, 1);
	c.flags = OC_PLACE_CHANNEL(OC_CHANNEL_APP);
	struct oc_response r = pl_run_expect(e, c, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.flags, OC_CHANNEL_APP << OC_RESPONSE_CHANNEL_SHIFT);
	r = pl_run_expect(e, c, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.flags, OC_RESPONSE_DUPLICATE | OC_CHANNEL_APP << OC_RESPONSE_CHANNEL_SHIFT);
	r = pl_run1(e, pl_query_order(1));
	assert_int_equal(OC_RESPONSE_CHANNEL(&r), OC_CHANNEL_APP);
	r = pl_run_expect(e, pl_step(OC_CMD_PICK_CONFIRMED, 1, 10), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(OC_RESPONSE_CHANNEL(&r), OC_CHANNEL_APP);
	struct oc_response rows[2 * OC_QUERY_ROWS_MAX];
	assert_int_equal(run_documents(e, pl_step(OC_CMD_PACK_CONFIRMED, 1, 10), OC_STATE_PACKED,
				       rows),
			 2); /* slip and label, each with the channel (run_documents) */
	assert_int_equal(OC_RESPONSE_CHANNEL(&rows[1]), OC_CHANNEL_APP);
	assert_int_equal(run_documents(e, pl_step(OC_CMD_SHIPPED, 1, 10), OC_STATE_SHIPPED, rows),
			 1);
	/* A rejected place says its channel too (the analytics count rejects by channel). */
	c = pl_place1(2, 20, 0, HEAVY, 99);
	c.flags = OC_PLACE_CHANNEL(OC_CHANNEL_MARKETPLACE);
	r = pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	assert_int_equal(r.flags, OC_CHANNEL_MARKETPLACE << OC_RESPONSE_CHANNEL_SHIFT);
	c = pl_place1(6, 20, 0, UNKNOWN, 1); /* refused before it has a record: the same */
	c.flags = OC_PLACE_CHANNEL(OC_CHANNEL_PHONE);
	r = pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	assert_int_equal(r.flags, OC_CHANNEL_PHONE << OC_RESPONSE_CHANNEL_SHIFT);
	/* A replacement keeps its order's channel; one of its own, or one past the last, is
	 * malformed. */
	pl_run_expect(e, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, 1, 10, OC_EXCEPTION_LOST),
		      OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	c = pl_replacement(3, 10, 0, 1, LIGHT, 1);
	c.flags |= OC_PLACE_CHANNEL(OC_CHANNEL_WEB);
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	r = pl_run_expect(e, pl_replacement(3, 10, 0, 1, LIGHT, 1), OC_STATUS_ACCEPTED,
			  OC_REJECT_NONE);
	assert_int_equal(OC_RESPONSE_CHANNEL(&r), OC_CHANNEL_APP);
	c = pl_place1(4, 40, 0, LIGHT, 1);
	c.flags = OC_PLACE_CHANNEL(OC_CHANNEL_COUNT);
	pl_run_expect(e, c, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	/* Without one: no bits. */
	r = pl_run_expect(e, pl_place1(5, 50, 0, MEDIUM, 1), OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r.flags, 0);
	pl_stop(e);
	oc_engine_free(e);
	(void)state;
}

static void test_config_errors(void **state)
{
	struct oc_config c;
	struct pl_topology t = {1, 1, SHARDS, WINDOW, 4096};
	pl_config(&c, dir, &t);
	c.inflight_max = 100;
	expect_config_error(&c, -EINVAL, "inflight_max");
	c.inflight_max = 32;
	expect_config_error(&c, -EINVAL, "inflight_max");
	pl_config(&c, dir, &t);
	c.threads = 2;
	c.inventory_threads = 2;
	expect_config_error(&c, -EINVAL, "inventory_threads");
	c.threads = 1;
	expect_config_error(&c, -EINVAL, "thread");
	pl_config(&c, dir, &t);
	c.dataset_dir = NULL;
	expect_config_error(&c, -EINVAL, "dataset_dir");
	char missing[1100];
	snprintf(missing, sizeof(missing), "%s/no-such-dir", dir);
	c.dataset_dir = missing;
	expect_config_error(&c, -ENOENT, missing);
	/* And the defaults with a good directory work. */
	oc_config_init(&c);
	c.dataset_dir = dir;
	c.orders_max = 4096;
	struct oc_engine *e = NULL;
	char err[512];
	assert_int_equal(oc_engine_create(&c, &e, err, sizeof(err)), 0);
	assert_int_equal(oc_engine_start(e), 0);
	assert_int_equal(oc_engine_start(e), -EALREADY);
	pl_stop(e);
	assert_int_equal(oc_engine_stop(e), -EALREADY);
	oc_engine_free(e);
	oc_engine_free(NULL);
}

static void test_names(void **state)
{
	for (unsigned i = 0; i < OC_REJECT_REASON_COUNT; i++) {
		const char *n = oc_reject_reason_name(i);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(n, oc_reject_reason_name(j));
	}
	assert_string_equal(oc_reject_reason_name(OC_REJECT_NONE), "none");
	assert_string_equal(oc_reject_reason_name(OC_REJECT_OUT_OF_STOCK), "out_of_stock");
	assert_string_equal(oc_reject_reason_name(OC_REJECT_KEY_CONFLICT), "key_conflict");
	assert_string_equal(oc_reject_reason_name(OC_REJECT_REASON_COUNT), "unknown");
	assert_string_equal(oc_reject_reason_name(1000), "unknown");
	assert_string_equal(oc_status_name(OC_STATUS_ACCEPTED), "accepted");
	assert_string_equal(oc_status_name(OC_STATUS_REJECTED), "rejected");
	assert_string_equal(oc_status_name(OC_STATUS_CANCELLED), "cancelled");
	assert_string_equal(oc_status_name(0), "unknown");
	assert_string_equal(oc_status_name(4), "unknown");
	for (unsigned i = 0; i < OC_COUNTER_COUNT; i++) {
		const char *n = oc_counter_name(i);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(n, oc_counter_name(j));
	}
	assert_string_equal(oc_counter_name(OC_COUNTER_ACCEPTED), "accepted");
	assert_string_equal(oc_counter_name(OC_COUNTER_BACKORDER_UNITS_CUT),
			    "backorder_units_cut");
	assert_string_equal(oc_counter_name(OC_COUNTER_REJECTED), "rejected_malformed");
	assert_string_equal(oc_counter_name(OC_COUNTER_REJECTED_BY(OC_REJECT_OUT_OF_STOCK)),
			    "rejected_out_of_stock");
	assert_string_equal(oc_counter_name(OC_COUNTER_HELD_BY(OC_REJECT_NEW_ACCOUNT)),
			    "held_new_account");
	assert_string_equal(oc_counter_name(OC_COUNTER_COUNT - 1), "held_backordered");
	assert_string_equal(oc_counter_name(OC_COUNTER_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequence_numbers),
	    cmocka_unit_test(test_reject_malformed),
	    cmocka_unit_test(test_reject_too_many_lines),
	    cmocka_unit_test(test_reject_unknown_region),
	    cmocka_unit_test(test_reject_unknown_sku),
	    cmocka_unit_test(test_reject_bad_quantity),
	    cmocka_unit_test(test_reject_duplicate_sku),
	    cmocka_unit_test(test_reject_out_of_stock),
	    cmocka_unit_test(test_reject_capacity),
	    cmocka_unit_test(test_capacity_counts_orders_not_lines),
	    cmocka_unit_test(test_idempotent_retries),
	    cmocka_unit_test(test_purchase_limits),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_cancel_stock_after_stop),
	    cmocka_unit_test(test_multi_line_all_or_nothing),
	    cmocka_unit_test(test_multi_line_release_applied_at_stop),
	    cmocka_unit_test(test_routing),
	    cmocka_unit_test(test_queries),
	    cmocka_unit_test(test_stock_changes),
	    cmocka_unit_test(test_fulfilment_steps),
	    cmocka_unit_test(test_payment_steps),
	    cmocka_unit_test(test_payment_lease_expires_on_time),
	    cmocka_unit_test(test_money),
	    cmocka_unit_test(test_history_and_customer_queries),
	    cmocka_unit_test(test_counters_query),
	    cmocka_unit_test(test_inventory_administration),
	    cmocka_unit_test(test_exceptions_and_returns),
	    cmocka_unit_test(test_short_picks),
	    cmocka_unit_test(test_documents),
	    cmocka_unit_test(test_backorders),
	    cmocka_unit_test(test_backorders_full),
	    cmocka_unit_test(test_waves_by_size),
	    cmocka_unit_test(test_waves_by_cutoff),
	    cmocka_unit_test(test_backorders_with_waves),
	    cmocka_unit_test(test_backorders_survive_restart),
	    cmocka_unit_test(test_channels),
	    cmocka_unit_test(test_screening_refusals),
	    cmocka_unit_test(test_screening_scores_and_review),
	    cmocka_unit_test(test_screening_full_tables),
	    cmocka_unit_test(test_review_deadline),
	    cmocka_unit_test(test_credit),
	    cmocka_unit_test(test_screening_window_expires),
	    cmocka_unit_test(test_screening_survives_restart),
	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_names),
	    /* Last: on failure it leaves a stalled engine behind. */
	    cmocka_unit_test(test_cancels_close_together_small_window),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
