/* test_analytics.c: the fulfilment analytics of the event stream (engine/net/analytics.c) on
 * events made by hand, as a subscriber would receive them: orders, holds and rejects by
 * channel and reason; cycle times from placing to shipment in their buckets and quantiles,
 * shipments whose placing was not seen; pick and pack accuracy; the cost per order packed
 * from the labels and the packed lines; what is not an analytics event left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/analytics.h"

#define T0 1800000000000ull /* a placing time, ms since the epoch */

static struct oc_response event(uint8_t type, uint64_t key, uint64_t ts_ms, uint8_t state,
				unsigned channel)
{
	return (struct oc_response){.seq = key, .key = key, .customer = 7, .ts_ms = ts_ms,
				    .type = type, .status = OC_STATUS_ACCEPTED, .state = state,
				    .flags = (uint8_t)(channel << OC_RESPONSE_CHANNEL_SHIFT)};
}

static struct oc_response document(uint8_t kind, uint64_t key, uint64_t amount, unsigned channel)
{
	struct oc_response r = event(OC_CMD_PACK_CONFIRMED, key, T0, OC_STATE_PACKED, channel);
	r.flags |= OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT;
	r.shipments = kind;
	r.amount_cents = amount;
	return r;
}

static void test_orders_rejects_and_holds_by_channel(void **state)
{
	(void)state;
	struct oc_analytics a;
	assert_int_equal(oc_analytics_init(&a, 50), 0);
	oc_analytics_add(&a, &(struct oc_response){0}); /* nothing */
	struct oc_response r = event(OC_CMD_PLACE, 1, T0, OC_STATE_ALLOCATED, OC_CHANNEL_WEB);
	oc_analytics_add(&a, &r);
	r.flags |= OC_RESPONSE_DUPLICATE; /* not an event */
	oc_analytics_add(&a, &r);
	r = event(OC_CMD_PLACE, 2, T0, OC_STATE_ON_HOLD, OC_CHANNEL_APP);
	r.reason = OC_REJECT_NEW_ACCOUNT;
	oc_analytics_add(&a, &r);
	r = event(OC_CMD_PLACE, 3, T0, OC_STATE_REJECTED, OC_CHANNEL_APP);
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_OUT_OF_STOCK;
	oc_analytics_add(&a, &r);
	r.reason = OC_REJECT_LIMIT_EXCEEDED;
	oc_analytics_add(&a, &r);
	r = event(OC_CMD_CANCEL, 1, T0, OC_STATE_CANCELLED, OC_CHANNEL_WEB);
	r.status = OC_STATUS_REJECTED; /* a refused cancel: no event at all */
	oc_analytics_add(&a, &r);
	assert_int_equal(a.events, 4);
	assert_int_equal(a.by[OC_CHANNEL_WEB].placed, 1);
	assert_int_equal(a.by[OC_CHANNEL_APP].placed, 1);
	assert_int_equal(a.by[OC_CHANNEL_APP].held, 1);
	assert_int_equal(a.by[OC_CHANNEL_APP].held_by[OC_REJECT_NEW_ACCOUNT], 1);
	assert_int_equal(a.by[OC_CHANNEL_APP].rejected, 2);
	assert_int_equal(a.by[OC_CHANNEL_APP].rejected_by[OC_REJECT_OUT_OF_STOCK], 1);
	assert_int_equal(a.by[OC_CHANNEL_APP].rejected_by[OC_REJECT_LIMIT_EXCEEDED], 1);
	struct oc_analytics_figures all;
	oc_analytics_total(&a, &all);
	assert_int_equal(all.placed, 2);
	assert_int_equal(all.rejected, 2);
	assert_int_equal(all.held_by[OC_REJECT_NEW_ACCOUNT], 1);
	oc_analytics_destroy(&a);
}

static void test_cycle_times(void **state)
{
	(void)state;
	struct oc_analytics a;
	assert_int_equal(oc_analytics_init(&a, 0), 0);
	/* Ten orders placed at T0 + k, shipped 100 ms (7 of them), 3 s (2) and 70 s (1) later. */
	static const uint64_t after[10] = {100, 100, 100, 100, 100, 100, 100, 3000, 3000, 70000};
	for (uint64_t k = 0; k < 10; k++) {
		struct oc_response r = event(OC_CMD_PLACE, 100 + k, T0 + k, OC_STATE_ALLOCATED,
					     OC_CHANNEL_STORE);
		oc_analytics_add(&a, &r);
	}
	for (uint64_t k = 0; k < 10; k++) {
		struct oc_response r = event(OC_CMD_SHIPPED, 100 + k, T0 + k + after[k],
					     OC_STATE_SHIPPED, OC_CHANNEL_STORE);
		oc_analytics_add(&a, &r);
	}
	/* A shipment of an order placed before the subscription: not timed. */
	struct oc_response r = event(OC_CMD_SHIPPED, 999, T0, OC_STATE_SHIPPED, OC_CHANNEL_STORE);
	oc_analytics_add(&a, &r);
	const struct oc_analytics_figures *f = &a.by[OC_CHANNEL_STORE];
	assert_int_equal(f->shipped, 11);
	assert_int_equal(f->timed, 10);
	assert_int_equal(a.untimed, 1);
	assert_int_equal(f->cycle[6], 7);  /* 100 ms: [64, 128) */
	assert_int_equal(f->cycle[11], 2); /* 3 s: [2048, 4096) */
	assert_int_equal(f->cycle[16], 1); /* 70 s: [65536, 131072) */
	assert_int_equal(f->cycle_ms_sum, 7 * 100 + 2 * 3000 + 70000);
	assert_int_equal(oc_analytics_cycle_ms(f, 0.5), 128);
	assert_int_equal(oc_analytics_cycle_ms(f, 0.7), 128);
	assert_int_equal(oc_analytics_cycle_ms(f, 0.8), 4096);
	assert_int_equal(oc_analytics_cycle_ms(f, 0.9), 4096);
	assert_int_equal(oc_analytics_cycle_ms(f, 0.99), 131072);
	assert_int_equal(oc_analytics_cycle_ms(&a.by[OC_CHANNEL_WEB], 0.5), 0); /* none timed */
	oc_analytics_destroy(&a);
}

static void test_accuracy_and_cost(void **state)
{
	(void)state;
	struct oc_analytics a;
	assert_int_equal(oc_analytics_init(&a, 50), 0); /* 0.50 a packed line */
	const unsigned ch = OC_CHANNEL_PHONE;
	for (uint64_t k = 1; k <= 4; k++) {
		struct oc_response r = event(OC_CMD_PICK_CONFIRMED, k, T0, OC_STATE_PICKED, ch);
		oc_analytics_add(&a, &r);
	}
	struct oc_response r = event(OC_CMD_PICK_SHORT, 50, T0, OC_STATE_ALLOCATED, ch);
	oc_analytics_add(&a, &r);
	r = event(OC_CMD_PACK_CONFIRMED, 1, T0, OC_STATE_PICKED, ch); /* the check failed */
	oc_analytics_add(&a, &r);
	for (uint64_t k = 1; k <= 2; k++) {
		r = event(OC_CMD_PACK_CONFIRMED, k, T0, OC_STATE_PACKED, ch);
		oc_analytics_add(&a, &r);
	}
	/* Order 1: two lines and a label of 8.00; order 2: one line and two labels of 3.00. */
	struct oc_response docs[] = {document(OC_DOC_SLIP_LINE, 1, 0, ch),
				     document(OC_DOC_SLIP_LINE, 1, 0, ch),
				     document(OC_DOC_LABEL, 1, 800, ch),
				     document(OC_DOC_SLIP_LINE, 2, 0, ch),
				     document(OC_DOC_LABEL, 2, 300, ch),
				     document(OC_DOC_LABEL, 2, 300, ch)};
	for (unsigned i = 0; i < 6; i++)
		oc_analytics_add(&a, &docs[i]);
	struct oc_response query_row = docs[0];
	query_row.flags &= (uint8_t)~OC_RESPONSE_DOCUMENT; /* a query's row: no event */
	oc_analytics_add(&a, &query_row);
	const struct oc_analytics_figures *f = &a.by[ch];
	assert_int_equal(f->picks, 4);
	assert_int_equal(f->short_picks, 1);
	assert_int_equal(f->packs, 2);
	assert_int_equal(f->qc_failures, 1);
	assert_int_equal(f->labels, 3);
	assert_int_equal(f->carrier_cents, 1400);
	assert_int_equal(f->packed_lines, 3);
	assert_int_equal(oc_analytics_cost_cents(&a, f), (1400 + 3 * 50) / 2);
	assert_int_equal(oc_analytics_cost_cents(&a, &a.by[OC_CHANNEL_WEB]), 0);
	assert_int_equal(a.events, 4 + 1 + 3 + 6);
	oc_analytics_destroy(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_orders_rejects_and_holds_by_channel),
	    cmocka_unit_test(test_cycle_times),
	    cmocka_unit_test(test_accuracy_and_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
