/* test_lifecycle.c: the load generator's players of an order's life (loadgen/lifecycle.h):
 * each answer leads to the next player's command, due after the delay, along the whole chain
 * from a card order's place to the refund of its return; a hold goes to the fraud team's
 * review; refusals and retries' answers end a chain; rates of 0 and 100 percent never and always draw, 50 percent about half, and
 * the same key draws the same whatever else happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lifecycle.h"

static const struct oc_command place = {.type = OC_CMD_PLACE, .line_count = 1, .key = 42,
					.customer = 7, .flags = OC_PLACE_CARD,
					.lines = {{100001, 2, 0}}};

/* The next command after answer (status, state) to c, expected of type `want` (0: none). */
static struct oc_command next_after(struct lg_life *l, const struct oc_command *c,
				    uint8_t status, uint8_t state, uint8_t want)
{
	struct oc_response a = {.type = c->type, .status = status, .state = state,
				.warehouse = 3, .amount_cents = 1250};
	struct lg_step s = {0};
	bool got = lg_life_next(l, &place, 5, c, &a, 1000, &s);
	if (got != (want != 0) || (got && s.cmd.type != want))
		fail_msg("after type %u (%u, %u): %s %u, want %u", c->type, status, state,
			 got ? "type" : "nothing", s.cmd.type, want);
	if (got) {
		assert_int_equal(s.due_ns, 1000 + (uint64_t)l->delay_ms * 1000000u);
		assert_int_equal(s.order, 5);
		assert_int_equal(s.cmd.customer, 7);
	}
	return s.cmd;
}

enum { ACC = OC_STATUS_ACCEPTED, REJ = OC_STATUS_REJECTED };

static void test_the_whole_chain(void **state)
{
	/* Every player draws what makes the chain longest: a short pick, a failed check, a
	 * return. */
	struct lg_life l = {.seed = 1, .short_pct = 100, .qc_fail_pct = 100, .return_pct = 100,
			    .delay_ms = 5, .next_key = 1000};
	struct oc_command c = next_after(&l, &place, ACC, OC_STATE_PAYMENT_PENDING,
					 OC_CMD_PAYMENT_AUTHORIZED);
	assert_int_equal(c.key, 42);
	c = next_after(&l, &c, ACC, OC_STATE_ALLOCATED, OC_CMD_PICK_SHORT);
	assert_int_equal(c.key, 1000);
	assert_int_equal(c.order_key, 42);
	assert_int_equal(c.region, 3); /* the answer's first warehouse */
	assert_int_equal(c.lines[0].sku, 100001);
	assert_int_equal(c.lines[0].quantity, 1);
	c = next_after(&l, &c, ACC, OC_STATE_ALLOCATED, OC_CMD_PICK_CONFIRMED);
	c = next_after(&l, &c, ACC, OC_STATE_PICKED, OC_CMD_PACK_CONFIRMED);
	assert_int_equal(c.flags, OC_PACK_QC_FAILED);
	c = next_after(&l, &c, ACC, OC_STATE_PICKED, OC_CMD_PACK_CONFIRMED);
	assert_int_equal(c.flags, 0); /* packed again */
	c = next_after(&l, &c, ACC, OC_STATE_PACKED, OC_CMD_SHIPPED);
	c = next_after(&l, &c, ACC, OC_STATE_SHIPPED, OC_CMD_DELIVERED);
	c = next_after(&l, &c, ACC, OC_STATE_DELIVERED, OC_CMD_RETURN_REQUESTED);
	assert_int_equal(c.key, 1001);
	assert_int_equal(c.order_key, 42);
	assert_int_equal(c.flags, OC_RETURN_NOT_WANTED);
	c = next_after(&l, &c, ACC, OC_STATE_RETURN_REQUESTED, OC_CMD_RETURN_RECEIVED);
	assert_int_equal(c.key, 1001); /* the RMA's */
	assert_int_equal(c.flags, OC_RETURN_RESTOCK);
	c = next_after(&l, &c, ACC, OC_STATE_RETURNED, OC_CMD_REFUND);
	assert_int_equal(c.key, 1002);
	assert_int_equal(c.order_key, 42);
	assert_int_equal(c.amount_cents, 1250); /* the RMA's value */
	next_after(&l, &c, ACC, OC_STATE_RETURNED, 0); /* the end */
	(void)state;
}

static void test_ends_and_forks(void **state)
{
	struct lg_life l = {.seed = 1, .lost_pct = 100, .decline_pct = 100, .next_key = 9};
	next_after(&l, &place, ACC, OC_STATE_PAYMENT_PENDING, OC_CMD_PAYMENT_DECLINED);
	struct oc_command declined = {.type = OC_CMD_PAYMENT_DECLINED, .key = 42, .customer = 7};
	next_after(&l, &declined, ACC, OC_STATE_CANCELLED, 0);
	next_after(&l, &place, REJ, OC_STATE_REJECTED, 0);
	/* Held by screening: the fraud team approves (then the provider, the warehouse), or
	 * rejects (the end). */
	struct oc_command c = next_after(&l, &place, ACC, OC_STATE_ON_HOLD, OC_CMD_REVIEW_APPROVE);
	assert_int_equal(c.key, 42);
	next_after(&l, &c, ACC, OC_STATE_PAYMENT_PENDING, OC_CMD_PAYMENT_DECLINED);
	next_after(&l, &c, ACC, OC_STATE_ALLOCATED, OC_CMD_PICK_CONFIRMED);
	next_after(&l, &c, REJ, OC_STATE_ON_HOLD, 0);
	l.review_reject_pct = 100;
	c = next_after(&l, &place, ACC, OC_STATE_ON_HOLD, OC_CMD_REVIEW_REJECT);
	next_after(&l, &c, ACC, OC_STATE_CANCELLED, 0);
	struct oc_command retry = place;
	struct oc_response dup = {.type = OC_CMD_PLACE, .status = ACC, .state = OC_STATE_ALLOCATED,
				  .flags = OC_RESPONSE_DUPLICATE};
	struct lg_step s;
	assert_false(lg_life_next(&l, &place, 0, &retry, &dup, 0, &s)); /* the original's chain */
	/* Prepaid: straight to the warehouse; a refused short pick: picked whole. */
	c = next_after(&l, &place, ACC, OC_STATE_ALLOCATED, OC_CMD_PICK_CONFIRMED);
	c = next_after(&l, &c, REJ, OC_STATE_ALLOCATED, 0); /* a refused pick ends it */
	struct oc_command sp = {.type = OC_CMD_PICK_SHORT, .key = 9, .customer = 7};
	next_after(&l, &sp, REJ, OC_STATE_NONE, OC_CMD_PICK_CONFIRMED);
	next_after(&l, &sp, ACC, OC_STATE_CANCELLED, 0); /* every unit cut */
	/* Lost: an exception, refunded whole. */
	struct oc_command shipped = {.type = OC_CMD_SHIPPED, .key = 42, .customer = 7};
	c = next_after(&l, &shipped, ACC, OC_STATE_SHIPPED, OC_CMD_DELIVERY_EXCEPTION);
	assert_int_equal(c.flags, OC_EXCEPTION_LOST);
	c = next_after(&l, &c, ACC, OC_STATE_EXCEPTION, OC_CMD_REFUND);
	assert_int_equal(c.amount_cents, 0);
	l.lost_pct = 0;
	l.damaged_pct = 100;
	c = next_after(&l, &shipped, ACC, OC_STATE_SHIPPED, OC_CMD_DELIVERY_EXCEPTION);
	assert_int_equal(c.flags, OC_EXCEPTION_DAMAGED);
	(void)state;
}

static void test_draws(void **state)
{
	struct lg_life l = {.seed = 3, .decline_pct = 50};
	uint32_t declined = 0, again = 0;
	for (uint64_t key = 1; key <= 10000; key++) {
		struct oc_command p = place;
		p.key = key;
		struct oc_response a = {.type = OC_CMD_PLACE, .status = ACC,
					.state = OC_STATE_PAYMENT_PENDING};
		struct lg_step s, t;
		assert_true(lg_life_next(&l, &p, 0, &p, &a, 0, &s));
		assert_true(lg_life_next(&l, &p, 0, &p, &a, 0, &t));
		declined += s.cmd.type == OC_CMD_PAYMENT_DECLINED;
		again += s.cmd.type == t.cmd.type;
	}
	assert_int_equal(again, 10000); /* the same key, the same draw */
	assert_true(declined > 4700 && declined < 5300);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_whole_chain),
	    cmocka_unit_test(test_ends_and_forks),
	    cmocka_unit_test(test_draws),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
