/* test_pipeline_mt.c: the order pipeline on several worker threads (label "concurrency", run
 * again under ThreadSanitizer). A generated stream of multi-line orders over a few hot SKUs
 * with small stock and purchase limits, plus cancels, retries, fulfilment steps (pick, pack,
 * ship, deliver), short picks (half of them backordering: receipts fill their lines),
 * refunds, restocks, write-offs, screened places and their reviews, block list changes,
 * orders on account and their payments, and bad commands, is checked (answers, their states,
 * money, channels and documents) against a sequential model of the answers: (a) with 8
 * shards on 2 inventory threads, no SKU
 * is sold beyond its stock, no customer holds more than a limit, and after stop every SKU's
 * allocated units equal those of the accepted and not cancelled orders; (b) the same stream
 * gives byte-identical answers and the same state hash under every topology (1 thread; 3
 * threads with 1 or 2 inventory threads; 2 threads), and a different stream a different hash;
 * (c) a poller sleeping on the response eventfd is never left asleep (no lost wake-up);
 * (d) payment leases expire the same in a replay of the log as live, and thousands due at
 * once neither stall the release rings nor hang stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/rand.h"
#include "engine_test.h"
#include "wal/wal_format.h"
#include "oc_test.h"
#include "pipeline_util.h"

#define SHARDS       8
#define INFLIGHT     1024
#define WAREHOUSES   4
#define SKUS         16
#define HOT          6 /* SKUs SKU_BASE .. SKU_BASE + HOT - 1 */
#define LIMITED      3 /* the first LIMITED hot SKUs have a limit */
#define LIMIT        2
#define CUSTOMERS    200
#define STEPPED      16 /* steps go to every STEPPED-th key */
#define SKU_BASE     1001
#define SCREEN_WINDOW_S 3600 /* longer than any run: every earlier place is in the windows */
#define CARD_KEYS    10 /* a screened place's card is shared by 10 consecutive keys */
#define CREDIT_CUSTOMERS 40 /* customers 1..40 have credit lines (credit.csv) */
#define HOME_KEYS    16 /* and its address by 16 */
#define BAD_KEY_BASE (1ull << 40) /* keys of bad commands: never recorded */
#define NO_KEY_BASE  (1ull << 41) /* keys cancelled but never placed */

static const struct pl_warehouse warehouses[WAREHOUSES] = {{"W0", 40.7, -74.0, "EAST"},
                                                           {"W1", 42.4, -71.1, "EAST"},
                                                           {"W2", 34.0, -118.2, "WEST"},
                                                           {"W3", 37.8, -122.4, "WEST"}};

static char dir[1024];
static uint32_t initial[SKUS];
static uint32_t limit_of[SKUS];

enum kind { K_NEW, K_RETRY, K_CANCEL, K_BAD, K_STOCK /* restock or write-off */,
	    K_STEP /* a fulfilment step */, K_REFUND, K_ADJUST /* a cycle count */,
	    K_SAFETY /* safety stock */, K_RECONCILE /* the reconciliation query */,
	    K_RMA /* a return requested */, K_RECEIVED /* a return received */,
	    K_REPLACE /* a replacement place */, K_REVIEW /* a review of a held order */,
	    K_SHORT /* a short pick */, K_BLOCK /* a block list change */ };

/* Kinds whose key is an order's: a place, or a replacement place. */
static bool is_order(uint8_t kind)
{
	return kind == K_NEW || kind == K_REPLACE;
}

static uint32_t price_of(uint32_t sku_index)
{
	return 100 + 37 * sku_index;
}

/* A credit line's limit (customers 1..CREDIT_CUSTOMERS): about one to five orders' worth. */
static uint64_t credit_limit(uint64_t customer)
{
	return 1000 + 250 * customer;
}

/* The card of a screened place of key (gen_screen), and its text. */
static void card_text(char *out, size_t bytes, uint64_t card_id)
{
	snprintf(out, bytes, "fp_%llu", (unsigned long long)card_id);
}

/* A generated command stream and what the generator meant by each command. */
struct stream {
	struct oc_command *cmds;
	uint8_t *kind;
	uint8_t *bad_reason; /* K_BAD: the reason validate must give */
	uint32_t *first;     /* [key] index of the command that placed key 1..keys */
	uint32_t n, keys;
};

/* The most rows the stream can be answered with: WAREHOUSES for each reconciliation, and a
 * pack's or a shipment's documents (docs/lifecycle.md, "Documents"). */
static uint32_t stream_rows_max(const struct stream *s)
{
	uint32_t rows = 0;
	for (uint32_t i = 0; i < s->n; i++)
		rows += s->kind[i] == K_RECONCILE                 ? WAREHOUSES
			: s->cmds[i].type == OC_CMD_PACK_CONFIRMED ? 2 * OC_LIMIT_ORDER_ALLOCS_MAX
			: s->cmds[i].type == OC_CMD_SHIPPED        ? OC_LIMIT_ORDER_ALLOCS_MAX
								   : 0;
	return rows;
}

/* The weight of SKU index i, grams. */
static uint32_t weight_of(uint32_t sku_index)
{
	return 100 + 37 * sku_index;
}

/* The speed a new order asks for (OC_PLACE_DAYS), 0..7 by key. */
static uint32_t days_of(uint64_t key)
{
	return (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 61);
}

/* The dataset's units of SKU index i at warehouse w. Limited SKUs have stock for most
 * customers' limits, so limits bind before stock does; the other hot SKUs sell out at once;
 * cold ones are plenty everywhere but the last (ONE_PLACE), plenty at W0 only (a short pick
 * there cannot be re-routed: it is cut, or backordered until a receipt at W0). */
#define ONE_PLACE (SKUS - 1)
static uint32_t units_at(uint32_t i, uint32_t w)
{
	return i < LIMITED ? 100 + 10 * w : i < HOT ? 5 * i + w : i == ONE_PLACE && w ? 0 : 100000;
}

static int setup(void **state)
{
	struct pl_sku skus[SKUS];
	struct pl_stock stock[SKUS * WAREHOUSES];
	uint32_t shards_seen = 0;
	for (uint32_t i = 0; i < SKUS; i++) {
		limit_of[i] = i < LIMITED ? LIMIT : 0;
		skus[i] = (struct pl_sku){SKU_BASE + i, limit_of[i], price_of(i), weight_of(i)};
		initial[i] = 0;
		for (uint32_t w = 0; w < WAREHOUSES; w++) {
			uint32_t units = units_at(i, w);
			stock[i * WAREHOUSES + w] =
			    (struct pl_stock){SKU_BASE + i, warehouses[w].code, units};
			initial[i] += units;
		}
		if (i < HOT)
			shards_seen |= 1u << pl_shard_of(SKU_BASE + i, SHARDS);
	}
	/* The hot SKUs must spread over several shards (and so both inventory threads). */
	if (__builtin_popcount(shards_seen) < 4)
		return -1;
	oc_test_scratch_dir(dir, sizeof(dir), "test_pipeline_mt");
	struct pl_dataset d = {skus, SKUS, warehouses, WAREHOUSES, stock, SKUS * WAREHOUSES};
	pl_dataset_write(dir, &d);
	pl_screening_write(dir, SCREEN_WINDOW_S);
	FILE *f = pl_open(dir, "credit.csv");
	fprintf(f, "customer,credit_limit_cents\n");
	for (uint64_t u = 1; u <= CREDIT_CUSTOMERS; u++)
		fprintf(f, "%llu,%llu\n", (unsigned long long)u, (unsigned long long)credit_limit(u));
	assert_int_equal(fclose(f), 0);
	/* Carriers for every speed, zone and weight: every pack gets its labels. */
	f = pl_open(dir, "carriers.csv");
	fprintf(f, "carrier,service,transit_days\nA,GROUND,5\nA,TWO_DAY,2\nB,NEXT_DAY,1\n");
	assert_int_equal(fclose(f), 0);
	f = pl_open(dir, "rates.csv");
	fprintf(f, "carrier,service,zone,weight_max_g,cost_cents\n");
	for (uint32_t z = 1; z <= 8; z++)
		fprintf(f, "A,GROUND,%u,1000,%u\nA,GROUND,%u,4000000000,%u\nA,TWO_DAY,%u,4000000000,%u\n"
			   "B,NEXT_DAY,%u,2000,%u\nB,NEXT_DAY,%u,4000000000,%u\n",
			z, 400 + 50 * z, z, 900 + 80 * z, z, 1500 + 90 * z, z, 1400, z, 3000);
	assert_int_equal(fclose(f), 0);
	return 0;
}

static uint32_t sku_index(uint64_t sku)
{
	return (uint32_t)(sku - SKU_BASE);
}

/* A new order of `lines` distinct SKUs, 1..3 units each: mostly hot ones, but for the keys
 * the steps go to, which take cold ones (so that they are accepted, and go through their
 * lifecycle, however the hot SKUs sell). */
static struct oc_command gen_order(uint64_t *rng, uint64_t key, uint32_t lines)
{
	struct oc_command c =
	    pl_place(key, 1 + oc_rand_below(rng, CUSTOMERS), (uint16_t)oc_rand_below(rng, 2));
	uint32_t used = 0;
	bool stepped = key % STEPPED == 1;
	while (c.line_count < lines) {
		uint32_t s = !stepped && oc_rand_below(rng, 10) < 7
				 ? oc_rand_below(rng, HOT)
				 : HOT + oc_rand_below(rng, SKUS - HOT);
		if (used & (1u << s))
			continue;
		used |= 1u << s;
		pl_line_add(&c, SKU_BASE + s, 1 + oc_rand_below(rng, 3));
	}
	return c;
}

/* Screens place c as a buyer whose card is shared by CARD_KEYS consecutive keys and whose
 * address by HOME_KEYS (so that the velocity rules fire now and then), billing from another
 * country now and then, with a new account now and then; and now and then a blocked card, a
 * country not served or a postal code out of format. */
static void gen_screen(uint64_t *rng, struct oc_command *c)
{
	char card[32], home[32];
	uint32_t odd = oc_rand_below(rng, 30);
	if (odd == 0)
		snprintf(card, sizeof(card), "fp_blocked");
	else
		card_text(card, sizeof(card), c->key / CARD_KEYS);
	snprintf(home, sizeof(home), "%llu Elm Street", (unsigned long long)(c->key / HOME_KEYS));
	*c = pl_screened(*c, pl_screen(NULL, card, home, oc_rand_below(rng, 4) ? "US" : "GB",
				       odd == 1 ? "JP" : "US", odd == 2 ? "ABC" : "94105",
				       oc_rand_below(rng, 5) ? 400 : 1));
}

/* A command validate rejects, and its reason. */
static struct oc_command gen_bad(uint64_t *rng, uint64_t key, uint8_t *reason)
{
	struct oc_command c = gen_order(rng, key, 2);
	switch (oc_rand_below(rng, 6)) {
	case 0:
		c.type = 7;
		*reason = OC_REJECT_MALFORMED;
		break;
	case 1:
		c.lines[1].quantity = 0;
		*reason = OC_REJECT_BAD_QUANTITY;
		break;
	case 2:
		c.lines[0].sku = 999999;
		*reason = OC_REJECT_UNKNOWN_SKU;
		break;
	case 3:
		c.lines[1].sku = c.lines[0].sku;
		*reason = OC_REJECT_DUPLICATE_SKU;
		break;
	case 4:
		c.line_count = OC_ORDER_LINES_MAX + 1;
		*reason = OC_REJECT_TOO_MANY_LINES;
		break;
	default:
		c.region = 99;
		*reason = OC_REJECT_UNKNOWN_REGION;
		break;
	}
	return c;
}

/* Command i of s, a stock command on a hot SKU, or on ONE_PLACE at W0 (its short picks
 * backorder: receipts there fill them): a few units in or out at any warehouse; a cycle count
 * there against the generator's guess of the on hand (right until an order ships from there:
 * then mostly stale), counting a few units more or fewer; safety stock of 0..3; or a
 * reconciliation. */
static void gen_stock(struct stream *s, uint32_t i, uint64_t *rng,
		      uint32_t on_hand[SKUS][WAREHOUSES])
{
	uint32_t how = oc_rand_below(rng, 10), k = oc_rand_below(rng, HOT + 1);
	uint16_t w = (uint16_t)oc_rand_below(rng, WAREHOUSES);
	uint64_t op = 1 + oc_rand_below(rng, CUSTOMERS);
	if (k == HOT) { /* at W0 only: no other warehouse is to have it (units_at) */
		k = ONE_PLACE;
		w = 0;
	}
	if (how == 8) {
		s->kind[i] = K_SAFETY;
		s->cmds[i] = pl_stock_change(OC_CMD_SET_SAFETY_STOCK, 0, op, 0, SKU_BASE + k,
					     oc_rand_below(rng, 4));
		return;
	}
	if (how == 9) {
		s->kind[i] = K_RECONCILE;
		s->cmds[i] = pl_query_stock(SKU_BASE + k);
		s->cmds[i].type = OC_CMD_QUERY_RECONCILE;
		return;
	}
	s->first[++s->keys] = i;
	s->kind[i] = how < 6 ? K_STOCK : K_ADJUST;
	uint32_t q = 1 + oc_rand_below(rng, 5);
	if (how < 6) {
		bool in = how < 4 || on_hand[k][w] < q;
		s->cmds[i] = pl_stock_change(in ? OC_CMD_RESTOCK : OC_CMD_WRITE_OFF, s->keys, op, w,
					     SKU_BASE + k, q);
		on_hand[k][w] = in ? on_hand[k][w] + q : on_hand[k][w] - q;
		return;
	}
	uint32_t counted = how == 6 || on_hand[k][w] < q ? on_hand[k][w] + q : on_hand[k][w] - q;
	s->cmds[i] = pl_stock_change(OC_CMD_ADJUST_STOCK, s->keys, op, w, SKU_BASE + k, counted);
	s->cmds[i].expected_units = on_hand[k][w];
	on_hand[k][w] = counted;
}

/* Command i of s, a short pick of a recent order (still allocated, more likely than an old
 * one), half the time of one the steps go to:
 * units missing of one of its lines (ONE_PLACE's at W0 when it has one; sometimes more units
 * than the line has) at a warehouse of its region
 * (the generator does not know which holds the order's units: the wrong one is unknown_sku);
 * half of them backorder (OC_PICK_SHORT_BACKORDER) what they cannot re-route. */
static void gen_short(struct stream *s, uint32_t i, uint64_t *rng)
{
	uint32_t key = oc_rand_below(rng, 2)
			       ? 1 + STEPPED * oc_rand_below(rng, 1 + (s->keys - 1) / STEPPED)
			       : s->keys - oc_rand_below(rng, s->keys < 64 ? s->keys : 64);
	const struct oc_command *o = &s->cmds[s->first[key]];
	bool order = o->type == OC_CMD_PLACE; /* else a stock change, a refund...: unknown_order */
	const struct oc_line *l = &o->lines[order ? oc_rand_below(rng, o->line_count) : 0];
	for (uint32_t j = 0; order && j < o->line_count; j++) /* at W0 only: cut, not moved */
		if (sku_index(o->lines[j].sku) == ONE_PLACE)
			l = &o->lines[j];
	uint32_t missing = 1 + oc_rand_below(rng, order ? l->quantity + 1 : 2);
	s->first[++s->keys] = i;
	s->kind[i] = K_SHORT;
	s->cmds[i] = pl_short_pick(s->keys, o->customer, o->key,
				   (uint16_t)(order && l->sku == SKU_BASE + ONE_PLACE
						      ? 0
						      : 2 * (o->region & 1) + oc_rand_below(rng, 2)),
				   order ? l->sku : SKU_BASE, missing);
	if (oc_rand_below(rng, 2))
		s->cmds[i].flags = OC_PICK_SHORT_BACKORDER;
	if (oc_rand_below(rng, 10) == 0)
		s->cmds[i].customer = o->customer % CUSTOMERS + 1;
}

/* A key of the orders the steps go to, mostly one whose deliver step was sent. */
static uint32_t stepped_key(const struct stream *s, uint64_t *rng, const uint8_t *next_step)
{
	uint32_t key = 1;
	for (int tries = 0; tries < 8; tries++) {
		key = 1 + STEPPED * oc_rand_below(rng, 1 + (s->keys - 1) / STEPPED);
		const struct oc_command *t = &s->cmds[s->first[key]];
		bool card = t->type == OC_CMD_PLACE && (t->flags & OC_PLACE_CARD);
		if (next_step[key] == 3u + card)
			break;
	}
	return key;
}

/* What the generator sent so far about returns: the RMAs' keys, and the keys of the orders
 * an RMA or a delivery exception was sent for (the ones a replacement may replace). */
struct rmas {
	uint64_t *keys;
	uint32_t count;
	uint64_t *claims;
	uint32_t claim_count;
};

/* Command i of s, about returns: an RMA for a stepped order (all its lines, or one unit of its
 * first), a receipt of an RMA (restocked or disposed of), or a replacement of a stepped order
 * (one unit of its first line); sometimes from another customer. */
static void gen_return(struct stream *s, uint32_t i, uint64_t *rng, const uint8_t *next_step,
		       struct rmas *rmas)
{
	uint32_t how = oc_rand_below(rng, 6); /* 0, 1: an RMA; 2, 3: a receipt; else a replacement */
	if (how >= 2 && how <= 3 && rmas->count) {
		uint64_t key = rmas->keys[oc_rand_below(rng, rmas->count)];
		s->kind[i] = K_RECEIVED;
		s->cmds[i] = pl_step(OC_CMD_RETURN_RECEIVED, key, s->cmds[s->first[key]].customer);
		s->cmds[i].flags = oc_rand_below(rng, 2) ? OC_RETURN_RESTOCK : 0;
	} else {
		bool replace = how >= 4;
		uint32_t target = replace && rmas->claim_count
					  ? (uint32_t)rmas->claims[oc_rand_below(rng, rmas->claim_count)]
					  : stepped_key(s, rng, next_step);
		const struct oc_command *o = &s->cmds[s->first[target]];
		s->first[++s->keys] = i;
		s->cmds[i] = *o;
		s->cmds[i].key = s->keys;
		s->cmds[i].order_key = o->key;
		bool order = o->type == OC_CMD_PLACE;
		if (!order) /* a stock change, a refund, an RMA: unknown_order */
			s->cmds[i].lines[0] = (struct oc_line){SKU_BASE, 1, 0};
		if (replace || !order || oc_rand_below(rng, 2)) {
			s->cmds[i].line_count = 1;
			s->cmds[i].lines[0].quantity = 1;
		}
		if (replace) {
			s->kind[i] = K_REPLACE;
			s->cmds[i].type = OC_CMD_PLACE;
			s->cmds[i].region = (uint16_t)oc_rand_below(rng, 2);
			s->cmds[i].flags = OC_PLACE_REPLACEMENT;
		} else {
			s->kind[i] = K_RMA;
			s->cmds[i].type = OC_CMD_RETURN_REQUESTED;
			s->cmds[i].region = 0;
			s->cmds[i].flags = 1 + oc_rand_below(rng, 4);
			rmas->keys[rmas->count++] = s->keys;
			rmas->claims[rmas->claim_count++] = o->key;
		}
	}
	if (oc_rand_below(rng, 10) == 0)
		s->cmds[i].customer = s->cmds[i].customer % CUSTOMERS + 1;
}

static void stream_gen(struct stream *s, uint32_t n, uint64_t seed)
{
	uint64_t rng = seed;
	s->n = n;
	s->keys = 0;
	s->cmds = calloc(n, sizeof(*s->cmds));
	s->kind = calloc(n, 1);
	s->bad_reason = calloc(n, 1);
	s->first = calloc(n + 1, sizeof(uint32_t));
	uint8_t *next_step = calloc(n + 1, 1); /* by key: the fulfilment step to send next */
	assert_non_null(next_step);
	struct rmas rmas = {calloc(n + 1, sizeof(uint64_t)), 0, calloc(n + 1, sizeof(uint64_t)), 0};
	assert_true(rmas.keys && rmas.claims);
	uint32_t on_hand[SKUS][WAREHOUSES]; /* the generator's guess, for cycle counts */
	for (uint32_t k = 0; k < SKUS; k++)
		for (uint32_t w = 0; w < WAREHOUSES; w++)
			on_hand[k][w] = units_at(k, w);
	assert_true(s->cmds && s->kind && s->bad_reason && s->first);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = oc_rand_below(&rng, 100);
		if (s->keys == 0 || r < 60) {
			s->first[++s->keys] = i;
			s->kind[i] = K_NEW;
			s->cmds[i] =
			    gen_order(&rng, s->keys, r < 52 ? 2 + oc_rand_below(&rng, 3) : 1);
			if (oc_rand_below(&rng, 4) == 0)
				s->cmds[i].flags = OC_PLACE_CARD;
			if (oc_rand_below(&rng, s->keys % STEPPED == 1 ? 2 : 5) == 0) {
				gen_screen(&rng, &s->cmds[i]);
			} else if (!s->cmds[i].flags && oc_rand_below(&rng, 5) == 0) {
				/* on account, mostly by a customer with a credit line */
				s->cmds[i].flags = OC_PLACE_ACCOUNT;
				s->cmds[i].customer = 1 + oc_rand_below(&rng, CREDIT_CUSTOMERS + 4);
			}
			s->cmds[i].flags |= OC_PLACE_DAYS(days_of(s->keys)) |
					    OC_PLACE_CHANNEL(s->keys % OC_CHANNEL_COUNT);
		} else if (r < 76) {
			const struct oc_command *o =
			    &s->cmds[s->first[1 + oc_rand_below(&rng, s->keys)]];
			s->kind[i] = K_CANCEL;
			s->cmds[i] = pl_cancel(o->key, o->customer);
			if (oc_rand_below(&rng, 10) == 0)
				s->cmds[i].customer = o->customer % CUSTOMERS + 1;
		} else if (r < 89 && r >= 83) {
			/* Steps go to every STEPPED-th key (so that those get through them all),
			 * mostly its next step in order (a card order's payment first: mostly
			 * authorized, sometimes declined), sometimes any step. */
			static const uint8_t any[7] = {OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
						       OC_CMD_SHIPPED, OC_CMD_DELIVERED,
						       OC_CMD_PAYMENT_AUTHORIZED,
						       OC_CMD_PAYMENT_DECLINED,
						       OC_CMD_DELIVERY_EXCEPTION};
			uint32_t key = 1 + STEPPED * oc_rand_below(&rng, 1 + (s->keys - 1) / STEPPED);
			const struct oc_command *o = &s->cmds[s->first[key]];
			bool card = o->type == OC_CMD_PLACE && (o->flags & OC_PLACE_CARD);
			uint8_t step;
			if (oc_rand_below(&rng, 5) == 0)
				step = any[oc_rand_below(&rng, 7)];
			else if (card && next_step[key] == 0)
				step = oc_rand_below(&rng, 5) ? OC_CMD_PAYMENT_AUTHORIZED
							       : OC_CMD_PAYMENT_DECLINED;
			else
				step = (uint8_t)(OC_CMD_PICK_CONFIRMED + next_step[key] - card);
			if (step == OC_CMD_DELIVERED && oc_rand_below(&rng, 4) == 0)
				step = OC_CMD_DELIVERY_EXCEPTION; /* lost or damaged instead */
			bool account = o->type == OC_CMD_PLACE && (o->flags & OC_PLACE_ACCOUNT);
			if (oc_rand_below(&rng, account ? 4 : 40) == 0)
				step = OC_CMD_PAYMENT_RECEIVED; /* the invoice paid, any time */
			bool screened = o->type == OC_CMD_PLACE && (o->flags & OC_PLACE_SCREEN);
			if (screened && oc_rand_below(&rng, 3) == 0) { /* it may be held */
				s->kind[i] = K_REVIEW;
				s->cmds[i] = pl_step(oc_rand_below(&rng, 4) ? OC_CMD_REVIEW_APPROVE
									     : OC_CMD_REVIEW_REJECT,
						     o->key, o->customer);
				continue;
			}
			next_step[key] += step != OC_CMD_PAYMENT_RECEIVED && next_step[key] < 3u + card;
			s->kind[i] = K_STEP;
			s->cmds[i] = pl_step(step, o->key, o->customer);
			if (step == OC_CMD_PACK_CONFIRMED && oc_rand_below(&rng, 4) == 0) {
				s->cmds[i].flags = OC_PACK_QC_FAILED; /* and it is to be packed again */
				next_step[key]--;
			}
			if (step == OC_CMD_DELIVERY_EXCEPTION) {
				s->cmds[i].flags = OC_EXCEPTION_LOST + oc_rand_below(&rng, 2);
				rmas.claims[rmas.claim_count++] = key;
			}
			if (oc_rand_below(&rng, 10) == 0)
				s->cmds[i].customer = o->customer % CUSTOMERS + 1;
		} else if (r < 83) {
			s->kind[i] = K_RETRY;
			s->cmds[i] = s->cmds[s->first[1 + oc_rand_below(&rng, s->keys)]];
			if (oc_rand_below(&rng, 10) == 0)
				s->cmds[i].customer = s->cmds[i].customer % CUSTOMERS + 1;
		} else if (r < 90 && oc_rand_below(&rng, 4)) {
			gen_short(s, i, &rng);
		} else if (r < 90) {
			s->kind[i] = K_CANCEL;
			s->cmds[i] = pl_cancel(NO_KEY_BASE + i, 1 + oc_rand_below(&rng, CUSTOMERS));
		} else if (r < 91) {
			/* A refund of a key the steps go to, mostly one whose deliver step was sent
			 * (so that refunds happen even in the short streams of a TSan run): the
			 * rest, a part, or too much. */
			const struct oc_command *o =
			    &s->cmds[s->first[stepped_key(s, &rng, next_step)]];
			uint32_t how = oc_rand_below(&rng, 3);
			s->first[++s->keys] = i;
			s->kind[i] = K_REFUND;
			s->cmds[i] = pl_refund(s->keys, o->customer, o->key,
					       how == 0   ? 0
					       : how == 1 ? 1 + oc_rand_below(&rng, 400)
							  : 1000000);
			if (oc_rand_below(&rng, 10) == 0)
				s->cmds[i].customer = o->customer % CUSTOMERS + 1;
		} else if (r < 95) {
			gen_stock(s, i, &rng, on_hand);
		} else if (r < 98) {
			gen_return(s, i, &rng, next_step, &rmas);
		} else if (oc_rand_below(&rng, 3) == 0) {
			/* a card of the screened places on the block list, or off it */
			char card[32];
			card_text(card, sizeof(card), oc_rand_below(&rng, s->keys / CARD_KEYS + 1));
			s->kind[i] = K_BLOCK;
			s->cmds[i] = pl_block(1 + oc_rand_below(&rng, CUSTOMERS),
					      OC_BLOCK_CARD |
						      (oc_rand_below(&rng, 3) ? 0 : OC_BLOCK_REMOVE),
					      card);
		} else {
			s->kind[i] = K_BAD;
			s->cmds[i] = gen_bad(&rng, BAD_KEY_BASE + i, &s->bad_reason[i]);
		}
	}
	free(next_step);
	free(rmas.keys);
	free(rmas.claims);
}

static void stream_free(struct stream *s)
{
	free(s->cmds);
	free(s->kind);
	free(s->bad_reason);
	free(s->first);
}

/* What the model counts from a run's answers. */
struct tally {
	uint64_t allocated[SKUS];
	uint64_t on_hand[SKUS];
	uint64_t picked[SKUS];  /* of the allocated, the units of picked and packed orders */
	uint32_t safety[SKUS];
	uint64_t adjustments, stale_counts, reconciles;
	uint64_t exceptions, returns, returns_received, replacements, qc_failures;
	uint64_t accepted, cancelled, duplicates, split, restocks, write_offs, shipped, delivered;
	uint64_t payments; /* payment steps that moved an order */
	uint64_t refunds;
	uint64_t rejected[OC_REJECT_REASON_COUNT];
	uint64_t screened, held[OC_REJECT_REASON_COUNT], reviews[2]; /* approved, rejected */
	uint64_t short_picks, short_rerouted, short_cut; /* short picks done, their units */
	uint64_t short_backordered, backorder_filled; /* units backordered, filled by receipts */
	uint64_t backorder_cut; /* units a backordering short pick cut all the same */
	uint64_t payments_received, block_changes;
	uint64_t rows;                 /* rows the answers came with */
	uint64_t labels, label_cents;  /* parcels labelled at packs, their carriers' price */
};

/* The model's units of each order's lines now (a short pick may cut some), by key. */
typedef uint16_t line_units[OC_ORDER_LINES_MAX];
/* And where it ships from now (a short pick may re-route): warehouses, the first; and, after
 * a fill at a warehouse the model cannot tell it ships from already, how many more it may
 * ship from (model_fill_where). */
typedef uint8_t ships_from[3];

/* The model's backorders (docs/lifecycle.md, "Backorders"): every line a short pick
 * backordered, in the order they were, with its units still waiting (a fill or a cancel takes
 * them to 0); a SKU's FIFO is its entries in that order. waiting: by key, each line's units
 * backordered. */
struct backorder {
	uint64_t key;
	uint16_t units;
	uint8_t sku, line; /* sku index, line of the order */
};
struct backorders {
	struct backorder *at;
	uint32_t count;
	line_units *waiting;
};

/* Whether order `key` has units backordered (a pick of it waits). */
static bool model_backordered(const struct backorders *b, uint64_t key)
{
	for (uint32_t l = 0; l < OC_ORDER_LINES_MAX; l++)
		if (b->waiting[key][l])
			return true;
	return false;
}

/* Whether the accepted answers that describe order `key` (placed with answer `placed`) say
 * backordered: while it has units so, unless it has a reason of its own (a hold's rule). */
static bool described_backordered(const struct backorders *b, uint64_t key,
				  const struct oc_response *placed)
{
	return model_backordered(b, key) && placed->reason == OC_REJECT_NONE;
}

/* Where an order ships from after a fill gave it units at warehouse w (WAREHOUSES: one of
 * those an RMA's units went back to, which the model does not know): an order with no
 * allocation ships from w; one shipping from one warehouse ships from it, and w; else the
 * model cannot tell whether w is one it shipped from (it knows the first only): it may ship
 * from one more (where[2]), until an answer says. Fills append their allocation to the
 * order's, so the first stays. */
static void model_fill_where(uint8_t *where, uint32_t w)
{
	if (where[0] == 0) {
		where[0] = 1;
		where[1] = (uint8_t)w;
		where[2] = w < WAREHOUSES ? 0 : WAREHOUSES - 1;
	} else if (w < WAREHOUSES && where[2] == 0 && where[0] == 1) {
		where[0] = (uint8_t)(where[0] + (w != where[1]));
	} else if (w >= WAREHOUSES || w != where[1]) {
		where[2] = (uint8_t)(w < WAREHOUSES && where[0] + where[2] < WAREHOUSES
					     ? where[2] + 1
					     : WAREHOUSES - where[0]);
	}
}

/* A receipt of `units` of SKU index k at warehouse w (model_fill_where): the oldest
 * backorders of the SKU take them first, as many as they wait for each; those units are
 * allocated to their orders again. (The engine's fill stops, deterministically, at an order
 * whose allocations and backorders would pass OC_LIMIT_ORDER_ALLOCS_MAX, a full allocation
 * table or a full wave: the stream has no waves, orders_max allocation rows to spare, and
 * model_backorder makes sure no order comes near that limit.) */
static void model_fill(struct backorders *b, struct tally *t, ships_from *where, uint32_t k,
		       uint32_t w, uint32_t units)
{
	for (uint32_t i = 0; i < b->count && units; i++) {
		struct backorder *e = &b->at[i];
		if (e->sku != k || e->units == 0)
			continue;
		uint32_t take = units < e->units ? units : e->units;
		e->units = (uint16_t)(e->units - take);
		b->waiting[e->key][e->line] = (uint16_t)(b->waiting[e->key][e->line] - take);
		units -= take;
		t->allocated[k] += take;
		t->backorder_filled += take;
		model_fill_where(where[e->key], w);
	}
}

/* Line `line` (SKU index k) of order `key` of `lines` lines has `units` backordered, at the
 * end of the SKU's FIFO. The order's allocations (at most a line's at each warehouse) and its
 * backorders stay within OC_LIMIT_ORDER_ALLOCS_MAX, so no fill stops at it (model_fill). */
static void model_backorder(struct backorders *b, uint64_t key, uint32_t lines, uint32_t line,
			    uint32_t k, uint32_t units)
{
	uint32_t entries = 1;
	for (uint32_t i = 0; i < b->count; i++)
		entries += b->at[i].key == key && b->at[i].units;
	assert_true(lines * WAREHOUSES + entries <= OC_LIMIT_ORDER_ALLOCS_MAX);
	b->at[b->count++] = (struct backorder){key, (uint16_t)units, (uint8_t)k, (uint8_t)line};
	b->waiting[key][line] = (uint16_t)(b->waiting[key][line] + units);
}

/* Order `key` is cancelled: its backorders leave the FIFOs. */
static void model_drop(struct backorders *b, uint64_t key)
{
	for (uint32_t i = 0; i < b->count; i++)
		if (b->at[i].key == key)
			b->at[i].units = 0;
	memset(b->waiting[key], 0, sizeof(b->waiting[key]));
}

/* The model of the screening (docs/lifecycle.md, "Fraud and review") with the rules of
 * pl_screening_write, over the places it let through so far: their count by customer, by
 * card (key / CARD_KEYS) and by address (key / HOME_KEYS), and each customer's amounts. Every
 * earlier place is within the windows (SCREEN_WINDOW_S). */
struct screen_model {
	uint32_t by_customer[CUSTOMERS + 1];
	uint64_t sum[CUSTOMERS + 1];
	uint32_t *by_card, *by_home;
	uint8_t *card_blocked; /* by card (key / CARD_KEYS): on the block list now */
};

/* The reason screening gives place c of amount cents (OC_REJECT_NONE: none), and whether it
 * rejects (else holds, when there is a reason); remembers a place let through. */
static uint8_t model_screen(struct screen_model *sm, const struct oc_command *c, uint64_t amount,
			    bool *reject)
{
	const struct oc_screen *x = &c->screen;
	*reject = true;
	char text[32]; /* the place's card, unless it is fp_blocked (gen_screen) */
	card_text(text, sizeof(text), c->key / CARD_KEYS);
	if (x->card_hash == oc_screen_hash("fp_blocked", 10) ||
	    (sm->card_blocked[c->key / CARD_KEYS] &&
	     x->card_hash == oc_screen_hash(text, strlen(text))))
		return OC_REJECT_BLOCKED;
	if (memcmp(x->ship_country, "JP", 2) == 0)
		return OC_REJECT_UNSERVICEABLE;
	if (strcmp(x->postal_code, "94105") != 0)
		return OC_REJECT_BAD_ADDRESS;
	uint64_t u = c->customer, card = c->key / CARD_KEYS, home = c->key / HOME_KEYS;
	struct { bool fired; uint32_t score; uint8_t reason; } rule[] = {
	    {sm->by_customer[u] >= 5, 40, OC_REJECT_CUSTOMER_VELOCITY},
	    {sm->by_card[card] >= 2, 60, OC_REJECT_CARD_VELOCITY},
	    {sm->by_home[home] >= 4, 30, OC_REJECT_ADDRESS_VELOCITY},
	    {sm->by_customer[u] >= 3 && amount * 100 * sm->by_customer[u] > 300 * sm->sum[u], 40,
	     OC_REJECT_AMOUNT_HISTORY},
	    {memcmp(x->bill_country, x->ship_country, 2) != 0, 30, OC_REJECT_COUNTRY_MISMATCH},
	    {x->account_age_days < 30 && amount > 5000, 40, OC_REJECT_NEW_ACCOUNT}};
	uint32_t score = 0, top = 0;
	uint8_t reason = OC_REJECT_NONE;
	for (uint32_t k = 0; k < sizeof(rule) / sizeof(rule[0]); k++) {
		if (!rule[k].fired)
			continue;
		score += rule[k].score;
		if (rule[k].score > top) {
			top = rule[k].score;
			reason = rule[k].reason;
		}
	}
	*reject = score >= 100;
	if (*reject)
		return reason;
	sm->by_customer[u]++;
	sm->sum[u] += amount;
	sm->by_card[card]++;
	sm->by_home[home]++;
	return score >= 50 ? reason : OC_REJECT_NONE;
}

/* The model's money of each key: an order's amount, refunded total, and how it is paid:
 * prepaid; by card (CARD_ASKED: its authorization was asked for; CARD_HELD: not yet, it was
 * held for review and not approved); on account (ACCOUNT: owed; ACCOUNT_PAID). balance: by
 * customer, what its orders on account owe (docs/lifecycle.md, "Credit"). */
enum { PREPAID = 0, CARD_ASKED = 1, CARD_HELD = 2, ACCOUNT = 3, ACCOUNT_PAID = 4 };
struct money {
	uint64_t *amount, *refunded;
	uint8_t *pay;
	uint64_t *balance;
};

/* What order `key` of `customer` owes moved by delta (nothing unless on account, unpaid). */
static void model_owe(struct money *m, uint64_t key, uint64_t customer, int64_t delta)
{
	if (m->pay[key] == ACCOUNT)
		m->balance[customer] += (uint64_t)delta;
}

/* The money of a cancelled order: a prepaid (or paid) one's back, an unpaid one's owed no
 * more (a card's authorization void). */
static void model_cancel_money(struct money *m, uint64_t key, uint64_t customer)
{
	model_owe(m, key, customer, -(int64_t)(m->amount[key] - m->refunded[key]));
	if (m->pay[key] == PREPAID || m->pay[key] == ACCOUNT_PAID)
		m->refunded[key] = m->amount[key];
}

/* The model of the credit check of place c on account, of amount cents: refused
 * credit_limit when the customer has no line or too little of it left, unless the shards
 * refused it first (they decide before route); accepted, its amount is owed. */
static void check_credit(struct money *m, const struct oc_command *c, uint64_t amount,
			 const struct oc_response *a)
{
	uint64_t u = c->customer;
	if (a->reason == OC_REJECT_OUT_OF_STOCK || a->reason == OC_REJECT_LIMIT_EXCEEDED)
		return;
	bool fits = u <= CREDIT_CUSTOMERS && m->balance[u] + amount <= credit_limit(u);
	pl_expect(a, fits ? OC_STATUS_ACCEPTED : OC_STATUS_REJECTED,
		  fits ? OC_REJECT_NONE : OC_REJECT_CREDIT_LIMIT);
	if (fits)
		m->balance[u] += amount;
}

/* The model of a payment received: what an unpaid order on account owes leaves the balance;
 * paid before: a duplicate; anything else (not on account, rejected, cancelled): invalid.
 * Accepted, the answer describes the order: reason backordered while it has units so. */
static void check_paid(struct money *m, const struct oc_command *c, uint8_t state,
		       bool backordered, const struct oc_response *a, struct tally *t)
{
	uint8_t described = backordered ? OC_REJECT_BACKORDERED : OC_REJECT_NONE;
	if (m->pay[c->key] == ACCOUNT_PAID) {
		pl_expect(a, OC_STATUS_ACCEPTED, described);
		assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE);
		return;
	}
	if (m->pay[c->key] != ACCOUNT || state == OC_STATE_REJECTED ||
	    state == OC_STATE_CANCELLED) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
		return;
	}
	pl_expect(a, OC_STATUS_ACCEPTED, described);
	model_owe(m, c->key, c->customer, -(int64_t)(m->amount[c->key] - m->refunded[c->key]));
	m->pay[c->key] = ACCOUNT_PAID;
	t->payments_received++;
}

/* The payment state the rules give an order in `state` (docs/lifecycle.md, "Money"). */
static uint8_t model_payment(const struct money *m, uint64_t key, uint8_t state)
{
	uint8_t pay = m->pay[key];
	if (state == OC_STATE_REJECTED || pay == CARD_HELD)
		return OC_PAYMENT_NONE;
	if (m->refunded[key] || state == OC_STATE_REFUNDED ||
	    (pay == PREPAID && state == OC_STATE_CANCELLED))
		return OC_PAYMENT_REFUNDED;
	if (pay == PREPAID)
		return OC_PAYMENT_PREPAID;
	if (pay >= ACCOUNT)
		return pay == ACCOUNT_PAID		? OC_PAYMENT_PAID
		       : state == OC_STATE_CANCELLED ? OC_PAYMENT_VOIDED
						      : OC_PAYMENT_ON_ACCOUNT;
	switch (state) {
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

/* An answer about the order `key` (not a duplicate) carries its money as the model has it. */
static void check_money(const struct money *m, uint64_t key, uint8_t state,
			const struct oc_response *a)
{
	assert_int_equal(a->payment, model_payment(m, key, state));
	assert_int_equal(a->amount_cents, m->amount[key]);
	assert_int_equal(a->refunded_cents, m->refunded[key]);
}

/* The model of a refund: its answer from the order's state and money. */
static void check_refund(const struct stream *s, const struct oc_response *a, uint32_t i,
			 uint8_t *state, struct money *m, struct tally *t)
{
	const struct oc_command *c = &s->cmds[i];
	uint32_t orig = s->first[c->order_key];
	uint64_t key = c->order_key, rest = m->amount[key] - m->refunded[key];
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig])) {
		assert_int_equal(a->reason, OC_REJECT_UNKNOWN_ORDER);
	} else if (state[key] != OC_STATE_DELIVERED && state[key] != OC_STATE_EXCEPTION &&
		   state[key] != OC_STATE_RETURNED) {
		assert_int_equal(a->reason, OC_REJECT_INVALID_STATE);
		assert_int_equal(a->state, state[key]);
	} else if (c->amount_cents > rest || rest == 0) {
		assert_int_equal(a->reason, OC_REJECT_BAD_AMOUNT);
		assert_int_equal(a->refunded_cents, m->refunded[key]);
	} else {
		uint64_t amount = c->amount_cents ? c->amount_cents : rest;
		model_owe(m, key, c->customer, -(int64_t)amount); /* unpaid on account: a credit note */
		m->refunded[key] += amount;
		if (m->refunded[key] == m->amount[key])
			state[key] = OC_STATE_REFUNDED;
		assert_int_equal(a->status, OC_STATUS_ACCEPTED);
		assert_int_equal(a->state, state[key]);
		assert_int_equal(a->payment, OC_PAYMENT_REFUNDED);
		assert_int_equal(a->amount_cents, amount);
		assert_int_equal(a->refunded_cents, m->refunded[key]);
		t->refunds++;
	}
}

/* The model of a payment step (command i on the order first placed by command orig): checks
 * its answer (a duplicate's reason backordered while the order has units so); -1 when it
 * cancelled the order (a decline), else 0. */
static int check_payment(const struct stream *s, const struct oc_response *r, uint32_t i,
			 uint32_t orig, uint8_t *state, const struct money *m, bool backordered)
{
	const struct oc_command *c = &s->cmds[i];
	const struct oc_response *a = &r[i];
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig])) {
		assert_int_equal(a->reason, OC_REJECT_UNKNOWN_ORDER);
		return 0;
	}
	bool authorize = c->type == OC_CMD_PAYMENT_AUTHORIZED;
	uint8_t now = state[c->key];
	bool done = authorize ? now >= OC_STATE_ALLOCATED && now != OC_STATE_CANCELLED
			      : now == OC_STATE_CANCELLED;
	bool card = s->kind[orig] == K_NEW && m->pay[c->key] == CARD_ASKED;
	if (!card || (now != OC_STATE_PAYMENT_PENDING && !done)) {
		assert_int_equal(a->reason, OC_REJECT_INVALID_STATE);
		return 0;
	}
	assert_int_equal(a->status, OC_STATUS_ACCEPTED);
	if (done) {
		assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE);
		assert_int_equal(a->reason, backordered ? OC_REJECT_BACKORDERED : OC_REJECT_NONE);
		return 0;
	}
	state[c->key] = authorize ? OC_STATE_ALLOCATED : OC_STATE_CANCELLED;
	assert_int_equal(a->state, state[c->key]);
	return authorize ? 0 : -1;
}

/* The model of a review (command i on the order placed by command orig): checks its answer
 * (a duplicate's reason backordered while the order has units so); -1 when it cancelled the
 * order (a rejection), else 0. reviewed[key]: 1 approved, 2 rejected. */
static int check_review(const struct stream *s, const struct oc_response *a, uint32_t i,
			uint32_t orig, uint8_t *state, uint8_t *reviewed, struct money *m,
			bool backordered, struct tally *t)
{
	const struct oc_command *c = &s->cmds[i];
	bool approve = c->type == OC_CMD_REVIEW_APPROVE;
	uint8_t mark = approve ? 1 : 2;
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig])) {
		assert_int_equal(a->reason, OC_REJECT_UNKNOWN_ORDER);
		return 0;
	}
	if (reviewed[c->key] & mark) {
		assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE);
		assert_int_equal(a->status, OC_STATUS_ACCEPTED);
		assert_int_equal(a->reason, backordered ? OC_REJECT_BACKORDERED : OC_REJECT_NONE);
		return 0;
	}
	if (state[c->key] != OC_STATE_ON_HOLD) {
		assert_int_equal(a->reason, OC_REJECT_INVALID_STATE);
		return 0;
	}
	reviewed[c->key] |= mark;
	if (approve && m->pay[c->key] == CARD_HELD)
		m->pay[c->key] = CARD_ASKED; /* the approval asks for the authorization */
	state[c->key] = !approve			? OC_STATE_CANCELLED
			: m->pay[c->key] == CARD_ASKED ? OC_STATE_PAYMENT_PENDING
						       : OC_STATE_ALLOCATED;
	if (!approve)
		model_cancel_money(m, c->key, c->customer);
	pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a->state, state[c->key]);
	check_money(m, c->key, state[c->key], a);
	t->reviews[!approve]++;
	return approve ? 0 : -1;
}

/* The model of a short pick: it does not know where an order's units are, so a refusal for
 * the warehouse (unknown_sku) or the units there (bad_quantity) is taken as it comes (but a
 * line whose units all wait, backordered, is held nowhere: unknown_sku); done, the units
 * missing leave on hand, and the answer says whether the line was re-routed (value 0, none
 * backordered), backordered (its units, OC_PICK_SHORT_BACKORDER only: they leave the
 * allocated units and wait in the SKU's FIFO, the order keeps them, money, purchase counter
 * and all) or cut (the units' value: they leave the order, its money and the customer's
 * purchase counter too; an order left with nothing is cancelled). The answer's word for
 * backordered or cut: a full pool of backorders cuts (counted apart). */
static void check_short(const struct stream *s, const struct oc_response *a, uint32_t i,
			uint8_t *state, line_units *units, ships_from *where, struct money *m,
			uint16_t (*held)[SKUS], struct backorders *b, struct tally *t)
{
	const struct oc_command *c = &s->cmds[i];
	uint64_t key = c->order_key;
	uint32_t orig = s->first[key];
	const struct oc_command *o = &s->cmds[orig];
	state[c->key] = OC_STATE_REJECTED;
	if (c->customer != o->customer || !is_order(s->kind[orig])) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
		return;
	}
	if (state[key] != OC_STATE_ALLOCATED) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
		return;
	}
	uint32_t j = 0, missing = c->lines[0].quantity, k = sku_index(c->lines[0].sku);
	while (j < o->line_count && o->lines[j].sku != c->lines[0].sku)
		j++;
	if (j == o->line_count || units[key][j] == b->waiting[key][j]) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
		return;
	}
	if (a->status == OC_STATUS_REJECTED) {
		assert_true(a->reason == OC_REJECT_UNKNOWN_SKU || a->reason == OC_REJECT_BAD_QUANTITY);
		assert_true(a->reason == OC_REJECT_UNKNOWN_SKU || missing > 1);
		return;
	}
	assert_int_equal(a->reason, OC_REJECT_NONE); /* a short pick's: the order's is not said */
	assert_true(missing + b->waiting[key][j] <= units[key][j]);
	uint64_t value = (uint64_t)missing * price_of(k);
	bool backorder = c->flags & OC_PICK_SHORT_BACKORDER;
	assert_true(a->amount_cents == 0 || a->amount_cents == value);
	assert_true(a->refunded_cents == 0 ||
		    (backorder && a->refunded_cents == missing && a->amount_cents == 0));
	state[c->key] = OC_STATE_ACCEPTED;
	t->on_hand[k] -= missing;
	t->short_picks++;
	where[key][0] = a->shipments;
	where[key][1] = a->warehouse;
	where[key][2] = 0;
	if (a->refunded_cents) { /* backordered: it waits for a receipt of the SKU */
		t->short_backordered += missing;
		t->allocated[k] -= missing;
		model_backorder(b, key, o->line_count, j, k, missing);
		assert_int_equal(a->state, OC_STATE_ALLOCATED);
		return;
	}
	if (a->amount_cents == 0) {
		t->short_rerouted += missing;
		assert_int_equal(a->state, OC_STATE_ALLOCATED);
		return;
	}
	t->short_cut += missing;
	t->backorder_cut += backorder ? missing : 0;
	t->allocated[k] -= missing;
	held[o->customer][k] -= s->kind[orig] == K_REPLACE ? 0 : missing;
	units[key][j] = (uint16_t)(units[key][j] - missing);
	model_owe(m, key, o->customer, -(int64_t)value);
	if (m->pay[key] == CARD_ASKED || m->pay[key] == ACCOUNT)
		m->amount[key] -= value; /* not taken yet: less to take */
	else
		m->refunded[key] += value;
	uint32_t left = 0;
	for (uint32_t l = 0; l < o->line_count; l++)
		left += units[key][l];
	if (!left) {
		state[key] = OC_STATE_CANCELLED;
		t->cancelled++;
	}
	assert_int_equal(a->state, state[key]);
}

/* The model of a fulfilment step: pick, pack, ship, deliver, a delivery exception, each from
 * the state before to the state after (a pick waits while the order has units backordered);
 * shipping takes the order's units off hand. */
/* The model's "done": the order is in the step's state or one after it; after shipment the
 * path forks at delivered or exception (excepted), and returns and refunds follow either. */
static bool model_step_done(uint8_t state, bool excepted, uint8_t type)
{
	uint32_t at = state == OC_STATE_ALLOCATED ? 1
		      : state == OC_STATE_PICKED  ? 2
		      : state == OC_STATE_PACKED  ? 3
		      : state == OC_STATE_SHIPPED ? 4
		      : state == OC_STATE_DELIVERED || state == OC_STATE_EXCEPTION ? 5
		      : state == OC_STATE_RETURN_REQUESTED || state == OC_STATE_RETURNED ||
				state == OC_STATE_REFUNDED
			  ? 6
			  : 0;
	uint32_t need = type == OC_CMD_PICK_CONFIRMED ? 2
			: type == OC_CMD_PACK_CONFIRMED ? 3
			: type == OC_CMD_SHIPPED        ? 4
							: 5;
	if (type == OC_CMD_DELIVERED && excepted)
		return false;
	if (type == OC_CMD_DELIVERY_EXCEPTION && !excepted)
		return false;
	return at >= need;
}

static void check_fulfilment(const struct stream *s, const struct oc_response *r, uint32_t i,
			     uint32_t orig, uint8_t *state, uint8_t *excepted,
			     const line_units *units, bool backordered, struct tally *t)
{
	static const uint8_t from[] = {
		[OC_CMD_PICK_CONFIRMED] = OC_STATE_ALLOCATED, [OC_CMD_PACK_CONFIRMED] = OC_STATE_PICKED,
		[OC_CMD_SHIPPED] = OC_STATE_PACKED,           [OC_CMD_DELIVERED] = OC_STATE_SHIPPED,
		[OC_CMD_DELIVERY_EXCEPTION] = OC_STATE_SHIPPED};
	static const uint8_t to[] = {
		[OC_CMD_PICK_CONFIRMED] = OC_STATE_PICKED,  [OC_CMD_PACK_CONFIRMED] = OC_STATE_PACKED,
		[OC_CMD_SHIPPED] = OC_STATE_SHIPPED,        [OC_CMD_DELIVERED] = OC_STATE_DELIVERED,
		[OC_CMD_DELIVERY_EXCEPTION] = OC_STATE_EXCEPTION};
	const struct oc_command *c = &s->cmds[i];
	const struct oc_response *a = &r[i];
	uint8_t k = c->type;
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig])) {
		assert_int_equal(a->reason, OC_REJECT_UNKNOWN_ORDER);
	} else if (k == OC_CMD_PACK_CONFIRMED && (c->flags & OC_PACK_QC_FAILED)) { /* repack */
		pl_expect(a, state[c->key] == OC_STATE_PICKED ? OC_STATUS_ACCEPTED : OC_STATUS_REJECTED,
			  state[c->key] == OC_STATE_PICKED ? OC_REJECT_NONE : OC_REJECT_INVALID_STATE);
		t->qc_failures += state[c->key] == OC_STATE_PICKED;
	} else if (model_step_done(state[c->key], excepted[c->key], k)) {
		assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE); /* done before */
		assert_int_equal(a->state, state[c->key]);
	} else if (state[c->key] != from[k]) {
		assert_int_equal(a->reason, OC_REJECT_INVALID_STATE);
	} else if (k == OC_CMD_PICK_CONFIRMED && backordered) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_BACKORDERED); /* not whole yet */
	} else {
		assert_int_equal(a->status, OC_STATUS_ACCEPTED);
		state[c->key] = a->state;
		assert_int_equal(a->state, to[k]);
		t->shipped += c->type == OC_CMD_SHIPPED;
		t->delivered += c->type == OC_CMD_DELIVERED;
		t->exceptions += c->type == OC_CMD_DELIVERY_EXCEPTION;
		excepted[c->key] |= c->type == OC_CMD_DELIVERY_EXCEPTION;
		const struct oc_command *o = &s->cmds[orig];
		for (uint32_t l = 0; l < o->line_count; l++) {
			uint32_t sk = sku_index(o->lines[l].sku), q = units[c->key][l];
			if (c->type == OC_CMD_PICK_CONFIRMED)
				t->picked[sk] += q;
			if (c->type != OC_CMD_SHIPPED)
				continue;
			t->picked[sk] -= q;
			t->allocated[sk] -= q;
			t->on_hand[sk] -= q;
		}
	}
}

/* The speed order `key` asks for: a replacement's is its original order's. */
static uint32_t key_days(const struct stream *s, uint64_t key)
{
	const struct oc_command *o = &s->cmds[s->first[key]];
	while (o->flags & OC_PLACE_REPLACEMENT)
		o = &s->cmds[s->first[o->order_key]];
	return OC_PLACE_DAYS_OF(o->flags);
}

/* The channel of order `key`: a replacement's is its original order's. */
static uint32_t key_channel(const struct stream *s, uint64_t key)
{
	const struct oc_command *o = &s->cmds[s->first[key]];
	while (o->flags & OC_PLACE_REPLACEMENT)
		o = &s->cmds[s->first[o->order_key]];
	return OC_PLACE_CHANNEL_OF(o->flags);
}

/* Checks the channels the answers carry (docs/lifecycle.md, "Analytics"): a new order's
 * answer says its own; any other says none or that of the order its command names (a short
 * pick's: order_key's); returns a copy of the answers without them, for the model. */
static struct oc_response *check_channels(const struct stream *s, const struct oc_response *r)
{
	struct oc_response *plain = malloc((size_t)s->n * sizeof(*plain));
	assert_non_null(plain);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct oc_command *c = &s->cmds[i];
		uint32_t got = OC_RESPONSE_CHANNEL(&r[i]);
		uint64_t key = c->type == OC_CMD_PICK_SHORT ? c->order_key : c->key;
		if (s->kind[i] == K_NEW && !(r[i].flags & OC_RESPONSE_DUPLICATE))
			assert_int_equal(got, OC_PLACE_CHANNEL_OF(c->flags));
		else if (got)
			assert_int_equal(got, key && key <= s->keys ? key_channel(s, key) : 0);
		plain[i] = r[i];
		plain[i].flags &= (uint8_t)~OC_RESPONSE_CHANNEL_MASK;
	}
	return plain;
}

/* The price of the service setup's rates choose for a parcel: the cheapest within `days` (0:
 * any), fewer days on a tie. */
static uint32_t model_rate(uint32_t zone, uint32_t weight_g, uint32_t days)
{
	uint32_t ground = weight_g <= 1000 ? 400 + 50 * zone : 900 + 80 * zone;
	uint32_t two_day = 1500 + 90 * zone, next_day = weight_g <= 2000 ? 1400 : 3000;
	uint32_t best = next_day;
	if ((days == 0 || days >= 2) && two_day < best)
		best = two_day;
	if ((days == 0 || days >= 5) && ground < best)
		best = ground;
	return best;
}

/* The documents of pack or shipment c, answered a (docs/lifecycle.md, "Documents"): rows of
 * its seq from rows[*row] on. Their lines hold the order's units now, SKU by SKU, at the
 * catalog's prices; a pack's labels, one per warehouse it ships from, weigh their parcel's
 * lines and cost what the rates say for their zone, within the order's days. */
static void check_documents(const struct stream *s, const struct oc_command *c,
			    const struct oc_response *a, const struct oc_response *rows,
			    uint32_t *row, const uint16_t *units, struct tally *t)
{
	const struct oc_command *o = &s->cmds[s->first[c->key]];
	bool pack = c->type == OC_CMD_PACK_CONFIRMED;
	uint64_t per_sku[SKUS] = {0}, weight[WAREHOUSES] = {0}, lines = 0, ordered = 0;
	uint32_t labels = 0, days = key_days(s, c->key);
	for (; rows[*row].seq == a->seq; (*row)++) {
		const struct oc_response *d = &rows[*row];
		assert_int_equal(d->flags & ~OC_RESPONSE_CHANNEL_MASK,
				 OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT);
		assert_int_equal(OC_RESPONSE_CHANNEL(d), key_channel(s, c->key));
		assert_int_equal(d->key, c->key);
		assert_int_equal(d->type, c->type);
		assert_int_equal(d->state, a->state);
		assert_true(d->warehouse < WAREHOUSES);
		if (OC_DOC_KIND(d) == OC_DOC_LABEL) {
			assert_true(pack);
			assert_int_equal(OC_LABEL_WEIGHT_G(d), weight[d->warehouse]);
			assert_true(weight[d->warehouse] > 0);
			weight[d->warehouse] = 0; /* one label a parcel */
			assert_true(OC_LABEL_ZONE(d) >= 1 && OC_LABEL_ZONE(d) <= 8);
			assert_true(days == 0 || OC_LABEL_DAYS(d) <= days);
			assert_int_equal(d->amount_cents,
					 model_rate(OC_LABEL_ZONE(d), OC_LABEL_WEIGHT_G(d), days));
			assert_int_not_equal(d->original_seq, 0);
			labels++;
			t->label_cents += d->amount_cents;
			continue;
		}
		assert_int_equal(OC_DOC_KIND(d), pack ? OC_DOC_SLIP_LINE : OC_DOC_INVOICE_LINE);
		uint32_t k = sku_index(d->original_seq), q = OC_DOC_LINE_QUANTITY(d);
		assert_true(k < SKUS && q > 0);
		assert_int_equal(OC_DOC_LINE_PRICE(d), price_of(k));
		assert_int_equal(d->refunded_cents, (uint64_t)q * price_of(k));
		per_sku[k] += q;
		lines += q;
		weight[d->warehouse] += (uint64_t)q * weight_of(k);
	}
	for (uint32_t l = 0; l < o->line_count; l++) {
		assert_int_equal(per_sku[sku_index(o->lines[l].sku)], units[l]);
		ordered += units[l];
	}
	assert_int_equal(lines, ordered);
	if (pack)
		assert_int_equal(labels, a->shipments);
	t->labels += labels;
}

/* The model of a cycle count: the generator's guess of the on hand may be stale (it does not
 * know where orders shipped from), so it may be refused stale_count, or out_of_stock when it
 * counts fewer than the free units; done, the SKU's units on hand move by the difference. */
static void check_adjust(const struct oc_command *c, const struct oc_response *a, struct tally *t)
{
	uint32_t k = sku_index(c->lines[0].sku);
	assert_int_equal(a->warehouse, c->region);
	if (a->status == OC_STATUS_ACCEPTED) {
		t->on_hand[k] = t->on_hand[k] + c->lines[0].quantity - c->expected_units;
		t->adjustments++;
	} else if (a->reason == OC_REJECT_STALE_COUNT) {
		t->stale_counts++;
	} else {
		assert_int_equal(a->reason, OC_REJECT_OUT_OF_STOCK);
		assert_true(c->lines[0].quantity < c->expected_units);
	}
	assert_true(t->allocated[k] <= t->on_hand[k]);
}

/* Why the model refuses replacement c (0: it does not), the shards aside. */
static uint8_t replacement_refusal(const struct stream *s, const struct oc_command *c,
				   const uint8_t *state, const uint8_t *replaced)
{
	uint32_t orig = s->first[c->order_key];
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig]))
		return OC_REJECT_UNKNOWN_ORDER;
	if ((state[c->order_key] != OC_STATE_EXCEPTION && state[c->order_key] != OC_STATE_RETURNED) ||
	    replaced[c->order_key])
		return OC_REJECT_INVALID_STATE;
	return OC_REJECT_NONE;
}

/* The model of an RMA (command i): accepted for a delivered order of its customer (its lines
 * are the order's, or a unit of its first), worth the lines; its answer says where its units
 * go back to (kept for its receipt's fills). */
static void check_rma(const struct stream *s, const struct oc_response *a, uint32_t i,
		      uint8_t *state, const line_units *units, ships_from *where, struct tally *t)
{
	const struct oc_command *c = &s->cmds[i];
	uint32_t orig = s->first[c->order_key];
	state[c->key] = OC_STATE_REJECTED;
	if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig])) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
		return;
	}
	if (state[c->order_key] != OC_STATE_DELIVERED && state[c->order_key] != OC_STATE_EXCEPTION) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
		return;
	}
	/* The RMA's lines are the order's (or one unit of its first): short picks may have cut
	 * them since. */
	const struct oc_command *o = &s->cmds[orig];
	for (uint32_t l = 0; l < c->line_count; l++) {
		uint32_t j = 0;
		while (o->lines[j].sku != c->lines[l].sku)
			j++;
		if (units[c->order_key][j] == 0) {
			pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
			return;
		}
		if (c->lines[l].quantity > units[c->order_key][j]) {
			pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_BAD_QUANTITY);
			return;
		}
	}
	uint64_t value = 0;
	for (uint32_t l = 0; l < c->line_count; l++)
		value += (uint64_t)c->lines[l].quantity * price_of(sku_index(c->lines[l].sku));
	pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a->state, OC_STATE_RETURN_REQUESTED);
	assert_int_equal(a->amount_cents, value);
	assert_true(a->shipments >= 1 && a->warehouse < WAREHOUSES);
	where[c->key][0] = a->shipments;
	where[c->key][1] = a->warehouse;
	state[c->key] = state[c->order_key] = OC_STATE_RETURN_REQUESTED;
	t->returns++;
}

/* The model of a return received (command i, naming the RMA by its key): the RMA and its
 * order are returned; restocked, the RMA's units are on hand again, a receipt: they fill
 * backorders first (at the RMA's warehouse when it has one, else at one the model does not
 * know). */
static void check_received(const struct stream *s, const struct oc_response *a, uint32_t i,
			   uint8_t *state, ships_from *where, struct backorders *b,
			   struct tally *t)
{
	const struct oc_command *c = &s->cmds[i];
	const struct oc_command *rma = &s->cmds[s->first[c->key]];
	if (c->customer != rma->customer || s->kind[s->first[c->key]] != K_RMA) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	} else if (state[c->key] == OC_STATE_RETURNED) {
		pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE);
	} else if (state[c->key] != OC_STATE_RETURN_REQUESTED) {
		pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	} else {
		pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(a->state, OC_STATE_RETURNED);
		state[c->key] = state[rma->order_key] = OC_STATE_RETURNED;
		uint32_t w = where[c->key][0] == 1 ? where[c->key][1] : WAREHOUSES;
		for (uint32_t l = 0; (c->flags & OC_RETURN_RESTOCK) && l < rma->line_count; l++) {
			uint32_t k = sku_index(rma->lines[l].sku);
			t->on_hand[k] += rma->lines[l].quantity;
			model_fill(b, t, where, k, w, rma->lines[l].quantity);
		}
		t->returns_received++;
	}
}

/* The model of a reconciliation: a row per warehouse, each balancing (on hand = free +
 * allocated + picked); their sums are the answer's totals, which are the model's: on hand,
 * the units orders hold (allocated + picked), the units picked, the safety stock; the shard's
 * count is at most the free units (what it lacks is in the release lag). */
static void check_reconcile(const struct oc_command *c, const struct oc_response *a,
			    const struct oc_response *rows, struct tally *t)
{
	uint32_t k = sku_index(c->lines[0].sku);
	uint64_t sum[4] = {0};
	for (uint32_t w = 0; w < WAREHOUSES; w++) {
		const struct oc_response *row = &rows[w];
		assert_int_equal(row->flags, OC_RESPONSE_ROW);
		assert_int_equal(row->seq, a->seq);
		assert_int_equal(row->warehouse, w);
		assert_int_equal(OC_RECON_ON_HAND(row), OC_RECON_FREE(row) + OC_RECON_ALLOCATED(row) +
							      OC_RECON_PICKED(row));
		sum[0] += OC_RECON_FREE(row);
		sum[1] += OC_RECON_ALLOCATED(row);
		sum[2] += OC_RECON_PICKED(row);
		sum[3] += OC_RECON_ON_HAND(row);
	}
	pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a->flags, 0);
	assert_int_equal(OC_RECON_FREE(a), sum[0]);
	assert_int_equal(OC_RECON_ALLOCATED(a), sum[1]);
	assert_int_equal(OC_RECON_PICKED(a), sum[2]);
	assert_int_equal(OC_RECON_ON_HAND(a), sum[3]);
	assert_int_equal(OC_RECON_ON_HAND(a), t->on_hand[k]);
	assert_int_equal(OC_RECON_ALLOCATED(a) + OC_RECON_PICKED(a), t->allocated[k]);
	assert_int_equal(OC_RECON_PICKED(a), t->picked[k]);
	assert_int_equal(OC_RECON_SAFETY(a), t->safety[k]);
	assert_true(OC_RECON_AVAILABLE(a) <= OC_RECON_FREE(a));
	t->reconciles++;
}

/* Replays the answers in sequence order against the model: each answer must be the one the
 * rules give from the answers before it (for a new order: accepted, out of stock or over a
 * limit; a restock: accepted; a write-off: accepted or out of stock; the rest follows
 * exactly). Accepted orders may never take a SKU past its units on hand or a customer past a
 * limit. */
static void check_answers(const struct stream *s, const struct oc_response *with_channels,
			  const struct oc_response *rows, struct tally *t)
{
	struct oc_response *r = check_channels(s, with_channels);
	uint32_t row = 0;
	static uint16_t held[CUSTOMERS + 1][SKUS];
	uint8_t *state = calloc(s->keys + 1, 1); /* by key: the order's state, 0 before */
	uint8_t *replaced = calloc(s->keys + 1, 1); /* by key: the order has a replacement */
	uint8_t *excepted = calloc(s->keys + 1, 1); /* by key: it went to exception */
	uint8_t *reviewed = calloc(s->keys + 1, 1); /* by key: check_review */
	line_units *units = calloc(s->keys + 1, sizeof(*units));
	ships_from *where = calloc(s->keys + 1, sizeof(*where));
	assert_true(units && where);
	uint32_t shorts = 0;
	for (uint32_t i = 0; i < s->n; i++)
		shorts += s->kind[i] == K_SHORT;
	struct backorders b = {calloc(shorts + 1, sizeof(*b.at)), 0,
			       calloc(s->keys + 1, sizeof(*b.waiting))};
	assert_true(b.at && b.waiting);
	static struct screen_model sm;
	memset(&sm, 0, sizeof(sm));
	sm.by_card = calloc(s->keys / CARD_KEYS + 1, sizeof(uint32_t));
	sm.by_home = calloc(s->keys / HOME_KEYS + 1, sizeof(uint32_t));
	sm.card_blocked = calloc(s->keys / CARD_KEYS + 2, 1);
	assert_non_null(sm.card_blocked);
	assert_true(excepted && reviewed && sm.by_card && sm.by_home);
	assert_non_null(replaced);
	struct money m = {calloc(s->keys + 1, 8), calloc(s->keys + 1, 8), calloc(s->keys + 1, 1),
			  calloc(CUSTOMERS + 1, 8)};
	assert_true(state && m.amount && m.refunded && m.pay && m.balance);
	memset(held, 0, sizeof(held));
	memset(t, 0, sizeof(*t));
	for (uint32_t k = 0; k < SKUS; k++)
		t->on_hand[k] = initial[k];
	for (uint32_t i = 0; i < s->n; i++) {
		const struct oc_command *c = &s->cmds[i];
		const struct oc_response *a = &r[i];
		uint32_t orig = c->key <= s->keys ? s->first[c->key] : UINT32_MAX;
		int sign = 0;
		switch (s->kind[i]) {
		case K_REPLACE:
			if (a->reason == OC_REJECT_OUT_OF_STOCK) {
				state[c->key] = OC_STATE_REJECTED; /* the shards decide first */
				break;
			}
			pl_expect(a, a->reason ? OC_STATUS_REJECTED : OC_STATUS_ACCEPTED,
				  replacement_refusal(s, c, state, replaced));
			state[c->key] = a->state;
			where[c->key][0] = a->shipments;
			where[c->key][1] = a->warehouse;
			check_money(&m, c->key, a->state, a); /* amount 0 */
			if (a->status == OC_STATUS_ACCEPTED) {
				assert_int_equal(a->state, OC_STATE_ALLOCATED);
				replaced[c->order_key] = 1;
				t->replacements++;
				t->split += a->shipments > 1;
				sign = 1;
			}
			break;
		case K_RMA:
			check_rma(s, a, i, state, units, where, t);
			break;
		case K_RECEIVED:
			check_received(s, a, i, state, where, &b, t);
			break;
		case K_NEW: {
			assert_int_equal(a->flags, 0);
			assert_int_equal(a->original_seq, a->seq);
			state[c->key] = a->state;
			where[c->key][0] = a->shipments;
			where[c->key][1] = a->warehouse;
			m.pay[c->key] = c->flags & OC_PLACE_CARD      ? CARD_ASKED
					: c->flags & OC_PLACE_ACCOUNT ? ACCOUNT
								      : PREPAID;
			uint64_t amount = 0;
			for (uint32_t l = 0; l < c->line_count; l++)
				amount += (uint64_t)c->lines[l].quantity *
					  price_of(sku_index(c->lines[l].sku));
			bool reject = false, screen = c->flags & OC_PLACE_SCREEN;
			uint8_t rule = screen ? model_screen(&sm, c, amount, &reject) : 0;
			t->screened += screen;
			if (reject) {
				pl_expect(a, OC_STATUS_REJECTED, rule);
				break;
			}
			if (a->status == OC_STATUS_ACCEPTED)
				m.amount[c->key] = amount;
			if (m.pay[c->key] == CARD_ASKED && a->status == OC_STATUS_ACCEPTED && rule)
				m.pay[c->key] = CARD_HELD;
			if (m.pay[c->key] == ACCOUNT)
				check_credit(&m, c, amount, a);
			check_money(&m, c->key, a->state, a);
			if (a->status == OC_STATUS_ACCEPTED) {
				assert_int_equal(a->reason, rule);
				t->held[rule] += rule != OC_REJECT_NONE;
				assert_int_equal(a->state, rule ? OC_STATE_ON_HOLD
							 : c->flags & OC_PLACE_CARD ? OC_STATE_PAYMENT_PENDING
										    : OC_STATE_ALLOCATED);
				assert_true(a->shipments >= 1 && a->warehouse < WAREHOUSES);
				t->split += a->shipments > 1;
				sign = 1;
			} else if (a->reason != OC_REJECT_OUT_OF_STOCK &&
				   a->reason != OC_REJECT_CREDIT_LIMIT) {
				assert_int_equal(a->reason, OC_REJECT_LIMIT_EXCEEDED);
			}
			break;
		}
		case K_REVIEW:
			sign = check_review(s, a, i, orig, state, reviewed, &m,
					    described_backordered(&b, c->key, &r[orig]), t);
			break;
		case K_BLOCK: {
			pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
			uint32_t id = 0, ids = s->keys / CARD_KEYS + 1; /* card_text of some id */
			char card[32];
			for (; id < ids; id++) {
				card_text(card, sizeof(card), id);
				if (oc_screen_hash(card, strlen(card)) == c->order_key)
					break;
			}
			assert_true(id < ids);
			bool block = !(c->flags & OC_BLOCK_REMOVE);
			t->block_changes += sm.card_blocked[id] != block;
			sm.card_blocked[id] = block;
			break;
		}
		case K_SHORT:
			check_short(s, a, i, state, units, where, &m, held, &b, t);
			break;
		case K_RETRY:
			if (c->customer != s->cmds[orig].customer) {
				assert_int_equal(a->reason, OC_REJECT_KEY_CONFLICT);
				assert_int_equal(a->flags, 0);
				break;
			}
			t->duplicates++;
			assert_int_equal(a->flags, OC_RESPONSE_DUPLICATE);
			assert_int_equal(a->original_seq, r[orig].seq);
			assert_int_equal(a->status, r[orig].status);
			/* As first answered (its reason too: backordered came after), but where it
			 * ships from and its amount: as now (a short pick may have moved or cut
			 * lines since, a fill given it units at another warehouse:
			 * model_fill_where). */
			assert_int_equal(a->reason, r[orig].reason);
			if (is_order(s->kind[orig]) && where[c->key][2]) { /* unsure since a fill */
				assert_true(a->shipments >= where[c->key][0] &&
					    a->shipments <= where[c->key][0] + where[c->key][2]);
				if (where[c->key][1] < WAREHOUSES)
					assert_int_equal(a->warehouse, where[c->key][1]);
				where[c->key][0] = a->shipments;
				where[c->key][1] = a->warehouse;
				where[c->key][2] = 0;
			}
			assert_int_equal(a->shipments, is_order(s->kind[orig]) ? where[c->key][0]
									       : r[orig].shipments);
			assert_int_equal(a->warehouse, is_order(s->kind[orig]) ? where[c->key][1]
									       : r[orig].warehouse);
			assert_int_equal(a->state, r[orig].state);
			assert_int_equal(a->payment, r[orig].payment);
			assert_int_equal(a->amount_cents, is_order(s->kind[orig]) ? m.amount[c->key]
										  : r[orig].amount_cents);
			assert_int_equal(a->refunded_cents, r[orig].refunded_cents);
			continue; /* not counted as a rejection */
		case K_CANCEL:
			if (orig == UINT32_MAX || c->customer != s->cmds[orig].customer) {
				assert_int_equal(a->reason, OC_REJECT_UNKNOWN_ORDER);
			} else if (s->kind[orig] == K_RMA &&
				   state[c->key] == OC_STATE_RETURN_REQUESTED) {
				/* an RMA not received: the order goes back (no stock moves) */
				uint64_t order = s->cmds[orig].order_key;
				pl_expect(a, OC_STATUS_CANCELLED, OC_REJECT_NONE);
				state[c->key] = OC_STATE_CANCELLED;
				state[order] = excepted[order] ? OC_STATE_EXCEPTION : OC_STATE_DELIVERED;
			} else if (!is_order(s->kind[orig]) ||
				 (state[c->key] != OC_STATE_ALLOCATED && state[c->key] != OC_STATE_ON_HOLD &&
				  state[c->key] != OC_STATE_PAYMENT_PENDING &&
				  state[c->key] != OC_STATE_PICKED && state[c->key] != OC_STATE_PACKED))
				assert_int_equal(a->reason, OC_REJECT_NOT_CANCELLABLE);
			else {
				assert_int_equal(a->status, OC_STATUS_CANCELLED);
				const struct oc_command *o = &s->cmds[orig];
				for (uint32_t l = 0; state[c->key] == OC_STATE_PICKED ||
						     state[c->key] == OC_STATE_PACKED;
				     l++) {
					if (l == o->line_count)
						break;
					t->picked[sku_index(o->lines[l].sku)] -= units[c->key][l];
				}
				state[c->key] = OC_STATE_CANCELLED;
				model_cancel_money(&m, c->key, c->customer);
				check_money(&m, c->key, OC_STATE_CANCELLED, a);
				sign = -1;
			}
			break;
		case K_STEP:
			if (c->type == OC_CMD_PAYMENT_AUTHORIZED || c->type == OC_CMD_PAYMENT_DECLINED) {
				uint8_t before = state[c->key];
				sign = check_payment(s, r, i, orig, state, &m,
						     described_backordered(&b, c->key, &r[orig]));
				t->payments += state[c->key] != before;
			} else if (c->type == OC_CMD_PAYMENT_RECEIVED) {
				if (c->customer != s->cmds[orig].customer || !is_order(s->kind[orig]))
					pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
				else
					check_paid(&m, c, state[c->key],
						   described_backordered(&b, c->key, &r[orig]),
						   a, t);
			} else {
				check_fulfilment(s, r, i, orig, state, excepted, units,
						 model_backordered(&b, c->key), t);
			}
			if (a->status == OC_STATUS_ACCEPTED && !(a->flags & OC_RESPONSE_DUPLICATE) &&
			    (c->type == OC_CMD_SHIPPED ||
			     (c->type == OC_CMD_PACK_CONFIRMED && !(c->flags & OC_PACK_QC_FAILED))))
				check_documents(s, c, a, rows, &row, units[c->key], t);
			if (a->status == OC_STATUS_ACCEPTED && !(a->flags & OC_RESPONSE_DUPLICATE))
				check_money(&m, c->key, state[c->key], a);
			break;
		case K_REFUND:
			check_refund(s, a, i, state, &m, t);
			break;
		case K_STOCK: {
			uint32_t k = sku_index(c->lines[0].sku), q = c->lines[0].quantity;
			assert_int_equal(a->warehouse, c->region);
			if (c->type == OC_CMD_RESTOCK) {
				assert_int_equal(a->status, OC_STATUS_ACCEPTED);
				t->on_hand[k] += q;
				t->restocks++;
				model_fill(&b, t, where, k, c->region, q); /* backorders first */
			} else if (a->status == OC_STATUS_ACCEPTED) {
				t->on_hand[k] -= q;
				t->write_offs++;
			} else {
				assert_int_equal(a->reason, OC_REJECT_OUT_OF_STOCK);
			}
			assert_true(t->allocated[k] <= t->on_hand[k]);
			break;
		}
		case K_ADJUST: /* counted more than expected: a receipt of the difference */
			check_adjust(c, a, t);
			if (a->status == OC_STATUS_ACCEPTED &&
			    c->lines[0].quantity > c->expected_units)
				model_fill(&b, t, where, sku_index(c->lines[0].sku), c->region,
					   c->lines[0].quantity - (uint32_t)c->expected_units);
			break;
		case K_SAFETY:
			assert_int_equal(a->status, OC_STATUS_ACCEPTED);
			assert_int_equal(OC_RECON_SAFETY(a), c->lines[0].quantity);
			t->safety[sku_index(c->lines[0].sku)] = c->lines[0].quantity;
			break;
		case K_RECONCILE:
			check_reconcile(c, a, rows + row, t);
			row += WAREHOUSES;
			break;
		default:
			assert_int_equal(a->reason, s->bad_reason[i]);
		}
		if (a->status == OC_STATUS_REJECTED)
			t->rejected[a->reason]++;
		if (!sign)
			continue;
		t->accepted += sign > 0;
		t->cancelled += sign < 0;
		uint32_t placed = orig == UINT32_MAX ? i : orig;
		const struct oc_command *o = &s->cmds[placed];
		/* A replacement's units count against no purchase limit. A cancel gives the
		 * counter of every unit of the order back, but only those not backordered were
		 * allocated; its backorders leave their FIFOs. */
		uint32_t counted = s->kind[placed] != K_REPLACE;
		for (uint32_t l = 0; l < o->line_count; l++) {
			if (sign > 0)
				units[o->key][l] = (uint16_t)o->lines[l].quantity;
			uint32_t k = sku_index(o->lines[l].sku), q = units[o->key][l];
			uint32_t kept = q - b.waiting[o->key][l];
			if (sign > 0) {
				t->allocated[k] += kept;
				held[o->customer][k] += counted * q;
			} else {
				assert_true(t->allocated[k] >= kept &&
					    held[o->customer][k] >= counted * q);
				t->allocated[k] -= kept;
				held[o->customer][k] -= counted * q;
			}
			assert_true(t->allocated[k] <= t->on_hand[k]);
			if (limit_of[k])
				assert_true(held[o->customer][k] <= limit_of[k]);
		}
		if (sign < 0)
			model_drop(&b, o->key);
	}
	assert_true(row <= stream_rows_max(s));
	assert_int_equal(rows[row].seq, 0); /* every row was some command's */
	t->rows = row;
	free(r);
	free(state);
	free(replaced);
	free(excepted);
	free(reviewed);
	free(units);
	free(where);
	free(b.at);
	free(b.waiting);
	free(sm.by_card);
	free(sm.by_home);
	free(sm.card_blocked);
	free(m.amount);
	free(m.refunded);
	free(m.pay);
	free(m.balance);
}

/* Runs cmds[0..n), commands of stream s, on e: answers into r, the rows of its reconciliations
 * into rows (NULL: checked to be there, then dropped); returns the rows' count. */
static uint32_t run_cmds(struct oc_engine *e, const struct stream *s, struct oc_command *cmds,
			 uint32_t n, struct oc_response *r, struct oc_response *rows)
{
	uint32_t max = stream_rows_max(s), count;
	struct oc_response *scratch = rows ? NULL : calloc(max + 1, sizeof(*scratch));
	pl_run_rows(e, cmds, n, r, rows ? rows : scratch, max, &count);
	free(scratch);
	return count;
}

/* Runs a stream through an engine of topology t; answers into r, the rows of its queries into
 * rows (NULL: checked and dropped); returns the state hash. */
static uint64_t run_stream(const struct stream *s, const struct pl_topology *t,
                           struct oc_response *r, struct oc_response *rows,
                           struct oc_engine **out)
{
	struct oc_engine *e = pl_engine_start(dir, t);
	/* The engine stamps seq and ts_ns in the commands: run a copy, keep the stream as made. */
	struct oc_command *copy = malloc((size_t)s->n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, s->cmds, (size_t)s->n * sizeof(*copy));
	uint32_t row_count = run_cmds(e, s, copy, s->n, r, rows);
	assert_true(row_count <= stream_rows_max(s));
	/* Each answer carries its command's time; that is the wall clock's, so the comparisons
	 * between runs leave it out. */
	for (uint32_t i = 0; i < s->n; i++) {
		assert_int_equal(r[i].ts_ms, copy[i].ts_ns / 1000000u);
		r[i].ts_ms = 0;
	}
	for (uint32_t i = 0; rows && i < row_count; i++)
		rows[i].ts_ms = 0;
	free(copy);
	pl_stop(e);
	uint64_t h = oc_engine_state_hash(e);
	if (out)
		*out = e;
	else
		oc_engine_free(e);
	return h;
}

/* After stop, the engine's stock and counters equal the model's. */
static void check_engine(const struct oc_engine *e, const struct tally *t, const struct stream *s)
{
	for (uint32_t k = 0; k < SKUS; k++) {
		struct oc_stock st = pl_stock(e, SKU_BASE + k); /* available == on_hand - alloc */
		assert_int_equal(st.initial, initial[k]);
		assert_int_equal(st.on_hand, t->on_hand[k]);
		assert_int_equal(st.allocated, t->allocated[k]);
		assert_int_equal(st.picked, t->picked[k]);
		assert_int_equal(st.safety, t->safety[k]);
		assert_int_equal(st.limit_per_customer, limit_of[k]);
	}
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.commands, s->n);
	assert_int_equal(st.responses, s->n + t->rows); /* rows are responses too */
	assert_int_equal(st.labels, t->labels);
	assert_int_equal(st.label_cents, t->label_cents);
	print_message("      %llu parcels labelled for %llu cents, %llu document and query rows\n",
		      (unsigned long long)t->labels, (unsigned long long)t->label_cents,
		      (unsigned long long)t->rows);
	assert_true(t->labels > 0);
	assert_int_equal(st.accepted, t->accepted);
	assert_int_equal(st.cancelled, t->cancelled);
	assert_int_equal(st.duplicates, t->duplicates);
	assert_int_equal(st.split_orders, t->split);
	assert_int_equal(st.restocks, t->restocks);
	assert_int_equal(st.write_offs, t->write_offs);
	assert_int_equal(st.shipped, t->shipped);
	assert_int_equal(st.delivered, t->delivered);
	assert_int_equal(st.refunds, t->refunds);
	assert_int_equal(st.adjustments, t->adjustments);
	assert_int_equal(st.exceptions, t->exceptions);
	assert_int_equal(st.returns, t->returns);
	assert_int_equal(st.returns_received, t->returns_received);
	assert_int_equal(st.replacements, t->replacements);
	assert_int_equal(st.qc_failures, t->qc_failures);
	/* The stream reaches every kind of step, so the model above checked them. */
	print_message("      %llu payment steps, %llu orders shipped, %llu delivered, %llu refunds, "
		      "%llu cycle counts (%llu stale), %llu reconciliations, %llu exceptions, "
		      "%llu returns (%llu received), %llu replacements, %llu QC failures\n",
		      (unsigned long long)t->payments, (unsigned long long)t->shipped,
		      (unsigned long long)t->delivered, (unsigned long long)t->refunds,
		      (unsigned long long)t->adjustments, (unsigned long long)t->stale_counts,
		      (unsigned long long)t->reconciles, (unsigned long long)t->exceptions,
		      (unsigned long long)t->returns, (unsigned long long)t->returns_received,
		      (unsigned long long)t->replacements, (unsigned long long)t->qc_failures);
	assert_true(t->payments > 0 && t->shipped > 0 && t->delivered > 0 && t->refunds > 0);
	assert_true(t->adjustments > 0 && t->stale_counts > 0 && t->reconciles > 0);
	assert_true(t->exceptions > 0 && t->returns > 0 && t->returns_received > 0 &&
		    t->replacements > 0 && t->qc_failures > 0);
	for (uint32_t i = 0; i < OC_REJECT_REASON_COUNT; i++) {
		assert_int_equal(st.rejected[i], t->rejected[i]);
		assert_int_equal(st.held[i], t->held[i]);
	}
	assert_int_equal(st.screened, t->screened);
	assert_int_equal(st.short_picks, t->short_picks);
	assert_int_equal(st.payments_received, t->payments_received);
	assert_int_equal(st.block_changes, t->block_changes);
	print_message("      %llu orders on account refused credit_limit, %llu paid; %llu block list "
		      "changes\n", (unsigned long long)t->rejected[OC_REJECT_CREDIT_LIMIT],
		      (unsigned long long)t->payments_received,
		      (unsigned long long)t->block_changes);
	assert_true(t->rejected[OC_REJECT_CREDIT_LIMIT] > 0 && t->payments_received > 0 &&
		    t->block_changes > 0);
	assert_int_equal(st.short_units_rerouted, t->short_rerouted);
	assert_int_equal(st.short_units_cut, t->short_cut);
	print_message("      %llu short picks: %llu units re-routed, %llu cut\n",
		      (unsigned long long)t->short_picks, (unsigned long long)t->short_rerouted,
		      (unsigned long long)t->short_cut);
	assert_true(t->short_rerouted > 0 && t->short_cut > 0);
	assert_int_equal(st.short_units_backordered, t->short_backordered);
	assert_int_equal(st.backorder_units_filled, t->backorder_filled);
	assert_int_equal(st.backorder_units_cut, t->backorder_cut);
	print_message("      %llu units backordered, %llu filled by receipts (%llu cut all the "
		      "same); %llu picks waited for them\n",
		      (unsigned long long)t->short_backordered,
		      (unsigned long long)t->backorder_filled, (unsigned long long)t->backorder_cut,
		      (unsigned long long)t->rejected[OC_REJECT_BACKORDERED]);
	assert_true(t->short_backordered > 0 && t->backorder_filled > 0);
	assert_int_equal(st.reviews_approved, t->reviews[0]);
	assert_int_equal(st.reviews_rejected, t->reviews[1]);
	print_message("      %llu screened: %llu held, %llu rejected by their rules; %llu reviews "
		      "approved, %llu rejected\n", (unsigned long long)t->screened,
		      (unsigned long long)st.holds,
		      (unsigned long long)(t->rejected[OC_REJECT_CUSTOMER_VELOCITY] +
					   t->rejected[OC_REJECT_CARD_VELOCITY] +
					   t->rejected[OC_REJECT_ADDRESS_VELOCITY] +
					   t->rejected[OC_REJECT_AMOUNT_HISTORY] +
					   t->rejected[OC_REJECT_COUNTRY_MISMATCH] +
					   t->rejected[OC_REJECT_NEW_ACCOUNT]),
		      (unsigned long long)t->reviews[0], (unsigned long long)t->reviews[1]);
	assert_true(st.holds > 0 && t->reviews[0] > 0 && t->reviews[1] > 0);
	assert_true(t->rejected[OC_REJECT_BLOCKED] > 0 && t->rejected[OC_REJECT_BAD_ADDRESS] > 0);
}

/* Route runs ahead of a shard on cancels (they need nothing from the shard), so a release
 * ring can fill however the rings are sized: route must wait for room, not overrun it. Orders
 * of 16 lines each split over two warehouses (32 allocations, the most an order may have),
 * then all cancelled, on a small window and one shard on its own thread. */
static void test_cancels_wait_for_release_room(void **state)
{
	enum { ORDERS = 300, LINES = 16 };
	static struct pl_sku skus[ORDERS * LINES];
	static struct pl_stock stock[ORDERS * LINES * 2];
	static const struct pl_warehouse wh[] = {{"W1", 40.0, -74.0, "EAST"},
						 {"W2", 34.0, -118.0, "WEST"}};
	for (uint32_t i = 0; i < ORDERS * LINES; i++) {
		skus[i] = (struct pl_sku){1000 + i, 0};
		stock[2 * i] = (struct pl_stock){1000 + i, "W1", 1};
		stock[2 * i + 1] = (struct pl_stock){1000 + i, "W2", 1};
	}
	struct pl_dataset d = {skus, ORDERS * LINES, wh, 2, stock, ORDERS * LINES * 2};
	char path[1024];
	oc_test_scratch_dir(path, sizeof(path), "release_room");
	pl_dataset_write(path, &d);
	struct pl_topology t = {2, 1, 1, 64, 4096};
	struct oc_engine *e = pl_engine_start(path, &t);
	static struct oc_command c[2 * ORDERS];
	static struct oc_response r[2 * ORDERS];
	for (uint32_t i = 0; i < ORDERS; i++) {
		c[i] = pl_place(i + 1, 7, 0);
		for (uint32_t l = 0; l < LINES; l++)
			pl_line_add(&c[i], 1000 + i * LINES + l, 2); /* 1 unit in each warehouse */
		c[ORDERS + i] = pl_cancel(i + 1, 7);
	}
	pl_run(e, c, 2 * ORDERS, r);
	for (uint32_t i = 0; i < ORDERS; i++) {
		pl_expect(&r[i], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(r[i].shipments, 2);
		pl_expect(&r[ORDERS + i], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	}
	pl_stop(e);
	for (uint32_t i = 0; i < ORDERS * LINES; i++) {
		struct oc_stock st = pl_stock(e, 1000 + i);
		assert_int_equal(st.allocated, 0);
		assert_int_equal(st.available, 2);
	}
	oc_engine_free(e);
}

/* Offsets of the frames in a segment file (read whole), up to max; returns the count. */
static uint32_t frame_offsets(const uint8_t *buf, size_t size, uint64_t *off, uint32_t max)
{
	uint32_t n = 0;
	for (size_t at = 0; n < max && at + 48 <= size;) {
		struct oc_wal_frame f;
		if (oc_wal_frame_check(buf + at, size - at, &f) != OC_WAL_OK)
			break;
		off[n++] = at;
		at += f.frame_bytes;
	}
	return n;
}

static int name_cmp(const void *a, const void *b) { return strcmp(a, b); }

/* Damages byte `from_end` bytes before the end of frame `which` (-1: the last) of the
 * newest (or, when `oldest`, the oldest) segment that has frames; returns how many frames
 * that segment held. */
static uint32_t damage_frame(const char *wal, int which, uint32_t from_end, bool oldest)
{
	static char names[256][256];
	uint32_t count = 0;
	DIR *d = opendir(wal);
	assert_non_null(d);
	for (struct dirent *ent; (ent = readdir(d)) && count < 256;)
		if (strstr(ent->d_name, ".wal"))
			snprintf(names[count++], sizeof(names[0]), "%s", ent->d_name);
	closedir(d);
	qsort(names, count, sizeof(names[0]), name_cmp);
	char path[1400];
	uint8_t *buf = NULL;
	size_t size = 0;
	uint64_t off[4096];
	uint32_t frames = 0;
	/* The writer opens a fresh, empty segment at every start: skip those. */
	for (uint32_t k = 0; k < count && !frames; k++) {
		snprintf(path, sizeof(path), "%s/%s", wal, names[oldest ? k : count - 1 - k]);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		size = (size_t)ftell(f);
		rewind(f);
		free(buf);
		buf = malloc(size);
		assert_int_equal(fread(buf, 1, size, f), size);
		fclose(f);
		frames = frame_offsets(buf, size, off, 4096);
	}
	assert_true(frames > 0);
	uint32_t k = which < 0 ? frames - 1 : (uint32_t)which;
	struct oc_wal_frame fr;
	assert_int_equal(oc_wal_frame_check(buf + off[k], size - off[k], &fr), OC_WAL_OK);
	uint64_t at = off[k] + fr.frame_bytes - from_end;
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, (long)at, SEEK_SET);
	fputc(buf[at] ^ 0x5a, f);
	fclose(f);
	free(buf);
	return frames;
}

/* Flips a byte in the middle of a snapshot's part file. */
static void damage_snapshot(const char *data, uint64_t seq, const char *part)
{
	char path[1400];
	snprintf(path, sizeof(path), "%s/snapshots/%020llu/%s", data, (unsigned long long)seq,
	         part);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long at = ftell(f) / 2;
	fseek(f, at, SEEK_SET);
	int c = fgetc(f);
	fseek(f, at, SEEK_SET);
	fputc(c ^ 0x5a, f);
	fclose(f);
}

/* Starts an engine on t's data_dir, stops it, returns its stats and state hash. */
static uint64_t recover(const struct pl_topology *t, struct oc_stats *st)
{
	struct oc_engine *e = pl_engine_start(dir, t);
	pl_stop(e);
	oc_engine_stats(e, st);
	uint64_t h = oc_engine_state_hash(e);
	oc_engine_free(e);
	return h;
}

/* Recovers from t's data_dir without its snapshots: copies the log and identity to
 * <data_dir>.full (recovery may remove segments a newer snapshot makes unnecessary, so the
 * original is left alone), so that a start there replays the whole log. */
static uint64_t recover_from_log(const struct pl_topology *t, struct oc_stats *st)
{
	char full[1100], cmd[8192];
	snprintf(full, sizeof(full), "%s.full", t->data_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s' && cp -r '%s/wal' '%s/identity' '%s'",
		 full, full, t->data_dir, t->data_dir, full);
	assert_int_equal(system(cmd), 0);
	struct pl_topology f = *t;
	f.data_dir = full;
	uint64_t h = recover(&f, st);
	assert_int_equal(st->restored_seq, 0);
	return h;
}

/* Runs cmds[0..n) on e, polling every response; returns the unsolicited ones counted. */
static uint32_t run_polling(struct oc_engine *e, struct oc_command *cmds, uint32_t n)
{
	uint32_t sent = 0, answered = 0, unsolicited = 0;
	double last = pl_now_s();
	while (answered < n) {
		if (sent < n) {
			int k = oc_engine_try_submit_burst(e, cmds + sent, n - sent);
			assert_true(k >= 0);
			sent += (uint32_t)k;
		}
		struct oc_response r[64];
		int got = oc_engine_poll_burst(e, r, 64);
		for (int i = 0; i < got; i++) {
			bool own = !(r[i].flags & OC_RESPONSE_UNSOLICITED);
			answered += own;
			unsolicited += !own;
			if (!own)
				assert_int_equal(r[i].reason, OC_REJECT_LEASE_EXPIRED);
		}
		if (got)
			last = pl_now_s();
		else if (pl_now_s() - last > PL_STALL_S)
			fail_msg("stalled: %u of %u answered", answered, n);
	}
	return unsolicited;
}

/* Leases expire from logged time: card orders placed in small bursts a few milliseconds
 * apart with a 5 ms lease, a third of them authorized, the rest expiring while others come;
 * a full replay of the log and a restore of the stop's snapshot give the same state and the
 * same expiries. */
static void test_lease_expiries_replay_the_same(void **state)
{
	enum { ORDERS = 300, BURST = 10 };
	char data[1024];
	oc_test_scratch_dir(data, sizeof(data), "lease_replay");
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, 4096, .data_dir = data,
				.lease_ttl_ms = 5};
	struct oc_engine *e = pl_engine_start(dir, &t);
	uint32_t expired = 0;
	for (uint32_t b = 0; b < ORDERS / BURST; b++) {
		struct oc_command c[2 * BURST];
		uint32_t n = 0;
		for (uint32_t i = 0; i < BURST; i++) {
			uint64_t key = 1 + b * BURST + i;
			c[n] = pl_place(key, 1 + key % CUSTOMERS, 0);
			pl_line_add(&c[n], SKU_BASE + HOT + key % (SKUS - HOT), 1);
			c[n++].flags = OC_PLACE_CARD;
			if (key % 3 == 0)
				c[n++] = pl_step(OC_CMD_PAYMENT_AUTHORIZED, key, 1 + key % CUSTOMERS);
		}
		expired += run_polling(e, c, n);
		usleep(2000);
	}
	usleep(20000);
	struct oc_command last = pl_query_stock(SKU_BASE);
	expired += run_polling(e, &last, 1); /* expires what is left */
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	uint64_t h = oc_engine_state_hash(e);
	oc_engine_free(e);
	assert_int_equal(st.lease_expiries, expired);
	assert_int_equal(expired, ORDERS - ORDERS / 3); /* every unpaid one, by the end */
	assert_int_equal(recover_from_log(&t, &st), h);
	assert_int_equal(st.lease_expiries, expired);
	assert_int_equal(recover(&t, &st), h); /* from the snapshot taken at stop */
	assert_true(st.restored_seq > 0);
}

/* Thousands of leases due at once: more give-backs than a shard's release ring holds. One
 * command expires at most an order's worth of allocations (the rest wait for the next tick),
 * so the ring never fills for good: every lease expires, and stop does not hang. */
static void test_mass_lease_expiry_does_not_stall(void **state)
{
	enum { ORDERS = 4500, TTL_MS = 3000, BURST = 500 };
	struct pl_topology t = {1, 1, 1, 64, 8192, .lease_ttl_ms = TTL_MS};
	struct oc_engine *e = pl_engine_start(dir, &t);
	static struct oc_command c[ORDERS];
	for (uint32_t i = 0; i < ORDERS; i++) {
		c[i] = pl_place(1 + i, 1 + i % CUSTOMERS, 0);
		pl_line_add(&c[i], SKU_BASE + HOT + i % (SKUS - HOT), 1); /* 1 allocation each */
		c[i].flags = OC_PLACE_CARD;
	}
	uint32_t expired = 0;
	for (uint32_t i = 0; i < ORDERS; i += BURST)
		expired += run_polling(e, c + i, BURST);
	uint64_t first_ms = c[0].ts_ns / 1000000u, last_ms = c[ORDERS - 1].ts_ns / 1000000u;
	if (last_ms - first_ms >= TTL_MS)
		skip(); /* too slow a machine: the first leases fell due while placing */
	assert_int_equal(expired, 0);
	/* Until every lease is due; nothing comes meanwhile, so nothing expires yet. */
	struct timespec now;
	do {
		usleep(10000);
		clock_gettime(CLOCK_REALTIME, &now);
	} while ((uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u <=
		 last_ms + TTL_MS);
	/* One command with everything due: it expires its share, and the pipeline goes on (a
	 * command that tried to give back all 4,500 would fill the 4,096-slot release ring
	 * with releases it caused itself, which no later command would come to free). */
	struct oc_command q = pl_query_stock(SKU_BASE);
	uint32_t first = run_polling(e, &q, 1);
	if (first == 0 || first > 2 * OC_LIMIT_ORDER_ALLOCS_MAX) /* a tick before it, and it */
		fail_msg("%u leases expired by one command and the tick before it", first);
	expired += first;
	/* Nothing but ticks from here: each expires up to 32 leases. */
	double until = pl_now_s() + PL_STALL_S;
	while (expired < ORDERS && pl_now_s() < until) {
		oc_engine_try_submit_burst(e, NULL, 0);
		struct oc_response r[64];
		int got = oc_engine_poll_burst(e, r, 64);
		for (int i = 0; i < got; i++)
			expired += (r[i].flags & OC_RESPONSE_UNSOLICITED) != 0;
		if (!got)
			usleep(200);
	}
	assert_int_equal(expired, ORDERS);
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(st.lease_expiries, ORDERS);
	for (uint32_t k = HOT; k < SKUS; k++)
		assert_int_equal(pl_stock(e, SKU_BASE + k).allocated, 0);
	oc_engine_free(e);
}

/* With a data_dir every command is logged before it is answered, and snapshots are taken
 * every snapshot_records commands and at stop. The state after the live run equals the state
 * recovered from the newest snapshot, from an older one (the newest damaged) plus replay of
 * the log after it, and from a full replay of the log, on any topology. Without barriers (no
 * data_dir) the answers are the same as with a log but for the barriers' sequence numbers. */
static void test_snapshot_and_replay_restore_the_same_state(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(60000, 6000);
	struct stream s;
	stream_gen(&s, n, 0x10e);
	struct oc_response *mem = calloc(n, sizeof(*mem)), *r = calloc(n, sizeof(*r));
	assert_true(mem && r);
	/* With the customers' index, so that its map goes through snapshots too. */
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, n, .customer_index = 1};
	uint64_t h_mem = run_stream(&s, &t, mem, NULL, NULL);
	char data[1024];
	oc_test_scratch_dir(data, sizeof(data), "snapshot_replay");
	/* Large segments: the whole log stays, for the full replay below. */
	t.data_dir = data;
	t.snapshot_records = n / 4;
	t.segment_bytes = 64u << 20;
	struct oc_engine *e;
	struct oc_response *rows = calloc(stream_rows_max(&s) + 1, sizeof(*rows));
	assert_non_null(rows);
	uint64_t h = run_stream(&s, &t, r, rows, &e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	oc_engine_free(e);
	struct tally m;
	check_answers(&s, r, rows, &m);
	free(rows);
	/* Three automatic snapshots (after n/4, n/2, 3n/4 commands) and the one at stop. */
	assert_int_equal(st.snapshots, 4);
	assert_int_equal(st.snapshot_failures, 0);
	uint64_t newest = st.snapshot_seq;
	assert_int_equal(newest, n + 4);
	for (uint32_t i = 0; i < n; i++) /* a barrier exactly every n/4 commands */
		assert_int_equal(r[i].seq - mem[i].seq, i / (n / 4));
	print_message("live hash %016llx (without barriers %016llx)\n", (unsigned long long)h,
	              (unsigned long long)h_mem);

	static const struct pl_topology again[] = {{1, 1, SHARDS, INFLIGHT, 0},
	                                           {3, 2, SHARDS, INFLIGHT, 0}};
	for (uint32_t i = 0; i < 2; i++) {
		struct pl_topology u = again[i];
		u.orders_max = n;
		u.data_dir = data;
		u.segment_bytes = t.segment_bytes;
		u.customer_index = 1;
		assert_int_equal(recover(&u, &st), h);
		assert_int_equal(st.restored_seq, newest);
		assert_int_equal(st.recovered, newest);
		assert_int_equal(st.commands, 0);
		assert_int_equal(st.snapshots, 0); /* nothing new: no snapshot at stop */
	}

	/* No snapshot at all: everything from the log. */
	assert_int_equal(recover_from_log(&t, &st), h);
	assert_int_equal(st.recovered, newest);

	/* The newest snapshot damaged: the one before it, and the log after it. */
	damage_snapshot(data, newest, "route");
	assert_int_equal(recover(&t, &st), h);
	uint64_t older = st.restored_seq;
	assert_true(older > 0 && older < newest);
	assert_int_equal(st.recovered, newest);
	assert_int_equal(st.snapshots, 1); /* commands were replayed: a snapshot at stop */
	free(mem);
	free(r);
	stream_free(&s);
}

/* Logs the stream in data_dir/wal and ends the engine without stop (oc_engine_free), so that
 * no snapshot is taken: recovery is from the log alone. Every answer is polled, so every
 * command is durable. */
static void log_stream(const struct stream *s, const char *data, struct oc_response *r)
{
	struct oc_command *copy = malloc((size_t)s->n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, s->cmds, (size_t)s->n * sizeof(*copy));
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, s->n, data};
	struct oc_engine *e = pl_engine_start(dir, &t);
	run_cmds(e, s, copy, s->n, r, NULL);
	oc_engine_free(e);
	free(copy);
}

/* A torn last frame is cut off and the commands before it recovered; a damaged frame with
 * good ones after it refuses the engine, with its location, unless the operator asks to cut
 * the log there. */
static void test_log_torn_tail_cut_corruption_refused(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(60000, 6000);
	struct stream s;
	stream_gen(&s, n, 0x70e);
	struct oc_response *r = calloc(n, sizeof(*r));
	assert_non_null(r);
	char data[1024], wal[1100];
	oc_test_scratch_dir(data, sizeof(data), "log_torn");
	snprintf(wal, sizeof(wal), "%s/wal", data);
	log_stream(&s, data, r);
	damage_frame(wal, -1, 1, false);
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, n, data};
	struct oc_stats st;
	uint64_t torn_hash = recover(&t, &st);
	assert_true(st.recovered > 0 && st.recovered < n);
	struct stream prefix = s;
	prefix.n = (uint32_t)st.recovered;
	struct pl_topology u = {1, 1, SHARDS, INFLIGHT, n};
	assert_int_equal(run_stream(&prefix, &u, r, NULL, NULL), torn_hash);

	/* A damaged frame with good ones after it: corruption, the engine is refused. */
	oc_test_scratch_dir(data, sizeof(data), "log_corrupt");
	snprintf(wal, sizeof(wal), "%s/wal", data);
	log_stream(&s, data, r);
	assert_true(damage_frame(wal, 0, 9, true) > 1);
	struct oc_config c;
	struct oc_engine *e;
	t.data_dir = data;
	pl_config(&c, dir, &t);
	char err[512] = "";
	assert_int_equal(oc_engine_create(&c, &e, err, sizeof(err)), -EIO);
	print_message("refused: %s\n", err);
	assert_non_null(strstr(err, "corrupt"));
	assert_non_null(strstr(err, "01.wal offset 0 sequence 1 "));
	/* The operator's truncate flag: cut there, start empty. */
	c.log_truncate_corrupt = 1;
	assert_int_equal(oc_engine_create(&c, &e, err, sizeof(err)), 0);
	assert_int_equal(oc_engine_start(e), 0);
	pl_stop(e);
	oc_engine_stats(e, &st);
	assert_int_equal(st.recovered, 0);
	oc_engine_free(e);
	free(r);
	stream_free(&s);
}

/* A data_dir belongs to one configuration and dataset: another is refused, naming what
 * differs. */
static void test_data_dir_of_another_configuration_refused(void **state)
{
	char data[1024], err[512] = "";
	oc_test_scratch_dir(data, sizeof(data), "identity");
	struct pl_topology t = {1, 1, SHARDS, INFLIGHT, 1000, data};
	struct oc_engine *e = pl_engine_start(dir, &t);
	pl_stop(e);
	oc_engine_free(e);
	struct oc_config c;
	t.shards = SHARDS + 1;
	pl_config(&c, dir, &t);
	assert_int_equal(oc_engine_create(&c, &e, err, sizeof(err)), -EINVAL);
	print_message("refused: %s\n", err);
	assert_non_null(strstr(err, "shards"));
	t.shards = SHARDS;
	t.orders_max = 2000;
	pl_config(&c, dir, &t);
	assert_int_equal(oc_engine_create(&c, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "orders_max 1000, this one has 2000"));
}

/* Fault injected (test-only hook): a failed log write. Nothing after the durable prefix is
 * acknowledged: every later answer is "unavailable", and a restart recovers exactly the
 * prefix that was durable. */
static void test_log_write_failure_injected_answers_unavailable(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(20000, 4000), first = n / 2;
	struct stream s;
	stream_gen(&s, n, 0xe10);
	struct oc_response *r = calloc(n, sizeof(*r));
	struct oc_command *copy = malloc((size_t)n * sizeof(*copy));
	assert_true(r && copy);
	memcpy(copy, s.cmds, (size_t)n * sizeof(*copy));
	char data[1024];
	oc_test_scratch_dir(data, sizeof(data), "log_failure");
	struct pl_topology t = {1, 1, SHARDS, INFLIGHT, n, data};
	struct oc_engine *e = pl_engine_start(dir, &t);
	run_cmds(e, &s, copy, first, r, NULL);
	assert_int_equal(oc_engine_test_fail_log_write(e, -EIO), 0);
	run_cmds(e, &s, copy + first, n - first, r + first, NULL);
	for (uint32_t i = first; i < n; i++)
		pl_expect(&r[i], OC_STATUS_REJECTED, OC_REJECT_UNAVAILABLE);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	assert_int_equal(st.rejected[OC_REJECT_UNAVAILABLE], n - first);
	oc_engine_free(e);

	e = pl_engine_start(dir, &t);
	pl_stop(e);
	oc_engine_stats(e, &st);
	assert_int_equal(st.recovered, first);
	uint64_t recovered_hash = oc_engine_state_hash(e);
	oc_engine_free(e);
	struct stream prefix = s;
	prefix.n = first;
	struct pl_topology mem = {1, 1, SHARDS, INFLIGHT, n};
	assert_int_equal(run_stream(&prefix, &mem, r, NULL, NULL), recovered_hash);
	free(copy);
	free(r);
	stream_free(&s);
}

static void test_no_oversell_two_inventory_threads(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(200000, 40000);
	struct stream s;
	stream_gen(&s, n, 0x5eed);
	struct oc_response *r = calloc(n, sizeof(*r));
	assert_non_null(r);
	struct pl_topology t = {3, 2, SHARDS, INFLIGHT, n};
	struct oc_engine *e;
	struct oc_response *rows = calloc(stream_rows_max(&s) + 1, sizeof(*rows));
	assert_non_null(rows);
	run_stream(&s, &t, r, rows, &e);
	struct tally m;
	check_answers(&s, r, rows, &m);
	free(rows);
	check_engine(e, &m, &s);
	oc_engine_free(e);
	/* The stream did what it is for: hot SKUs sold out, limits hit, stock came back. */
	print_message("accepted %llu cancelled %llu out_of_stock %llu limit %llu split %llu\n",
	              (unsigned long long)m.accepted, (unsigned long long)m.cancelled,
	              (unsigned long long)m.rejected[OC_REJECT_OUT_OF_STOCK],
	              (unsigned long long)m.rejected[OC_REJECT_LIMIT_EXCEEDED],
	              (unsigned long long)m.split);
	assert_true(m.rejected[OC_REJECT_OUT_OF_STOCK] > n / 10);
	assert_true(m.rejected[OC_REJECT_LIMIT_EXCEEDED] > 0);
	assert_true(m.cancelled > 0 && m.accepted > m.cancelled);
	for (uint32_t k = 0; k < HOT; k++)
		assert_true(m.allocated[k] > initial[k] / 2);
	free(r);
	stream_free(&s);
}

/* A poller that sleeps on the response eventfd is always woken: commands go in small bursts
 * (so the poller often finds the ring empty, arms and sleeps while egress is mid-turn) and a
 * lost wake-up would leave poll(2) waiting its full second: the test fails at the first. */
/* Pick waves (docs/lifecycle.md, "Waves") on several threads: a stream of places of cold SKUs
 * (a quarter by card, authorized later), cancels and picks, with waves released by size (3
 * orders; the cutoffs are hours away), checked against a model of the waves from the answers
 * and the pick lists: a pick is accepted exactly when its order was released; a live order is
 * on its waves' pick lists with every unit it holds there, and released by the last of them
 * (the lines of the others say allocated); a cancelled order is on no later list. The same
 * stream gives the same answers, pick lists and state hash on every topology, and after a
 * restart from snapshots taken while waves were open. */
#define WAVE_ORDERS 3

struct wave_model {
	uint8_t *state;       /* by key */
	uint8_t *shipments;   /* by key: warehouses it ships from (its waves) */
	uint8_t *waves_seen;  /* by key: of them released */
	uint32_t *units;      /* by key: units ordered */
	uint32_t *listed;     /* by key: units on pick lists */
};

static struct stream wave_stream(uint32_t n, uint64_t seed)
{
	struct stream s = {.n = n};
	s.cmds = calloc(n, sizeof(*s.cmds));
	s.kind = calloc(n, 1);
	s.first = calloc(n + 1, sizeof(uint32_t));
	s.bad_reason = calloc(n, 1);
	assert_true(s.cmds && s.kind && s.first && s.bad_reason);
	uint64_t rng = seed;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = oc_rand_below(&rng, 100);
		uint64_t key = s.keys ? 1 + oc_rand_below(&rng, s.keys) : 0;
		const struct oc_command *o = key ? &s.cmds[s.first[key]] : NULL;
		if (!o || r < 55) {
			s.first[++s.keys] = i;
			s.kind[i] = K_NEW;
			struct oc_command c = pl_place(s.keys, 1 + oc_rand_below(&rng, CUSTOMERS),
						       (uint16_t)oc_rand_below(&rng, 2));
			uint32_t lines = 1 + oc_rand_below(&rng, 3);
			for (uint32_t l = 0; l < lines; l++) /* distinct cold SKUs but ONE_PLACE */
				pl_line_add(&c, SKU_BASE + HOT + (l * 3 + oc_rand_below(&rng, 3)) %
								   (ONE_PLACE - HOT),
					    1 + oc_rand_below(&rng, 3));
			if (oc_rand_below(&rng, 4) == 0) /* and a hot one without a limit, more
							  * than a warehouse holds at times: the
							  * order splits */
				pl_line_add(&c, SKU_BASE + LIMITED + oc_rand_below(&rng, HOT - LIMITED),
					    1 + oc_rand_below(&rng, 24));
			c.flags = oc_rand_below(&rng, 4) == 0 ? OC_PLACE_CARD : 0;
			s.cmds[i] = c;
		} else if (r < 65) {
			s.kind[i] = K_CANCEL;
			s.cmds[i] = pl_cancel(o->key, o->customer);
		} else {
			s.kind[i] = K_STEP;
			s.cmds[i] = pl_step(r < 75 ? OC_CMD_PAYMENT_AUTHORIZED : OC_CMD_PICK_CONFIRMED,
					    o->key, o->customer);
		}
	}
	return s;
}

/* The pick lists of command i's seq (rows[*row] on): each line's order must be waiting in
 * allocated; at each wave's own row, its orders have one more wave released. */
static void model_waves(struct wave_model *m, const struct oc_response *a,
			const struct oc_response *rows, uint32_t *row, uint32_t *released)
{
	uint64_t in_wave[WAVE_ORDERS * OC_ORDER_LINES_MAX];
	uint32_t k = 0, lines = 0;
	for (; rows[*row].seq == a->seq; (*row)++) {
		const struct oc_response *d = &rows[*row];
		assert_int_equal(d->flags,
				 OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT | OC_RESPONSE_UNSOLICITED);
		if (OC_DOC_KIND(d) == OC_DOC_WAVE) {
			uint32_t orders = 0;
			for (uint32_t j = 0; j < k; j++) {
				bool first = true; /* count each order once */
				for (uint32_t x = 0; x < j; x++)
					first &= in_wave[x] != in_wave[j];
				if (!first)
					continue;
				orders++;
				uint64_t key = in_wave[j];
				if (++m->waves_seen[key] == m->shipments[key]) {
					m->state[key] = OC_STATE_RELEASED;
					assert_int_equal(m->listed[key], m->units[key]);
				}
			}
			assert_int_equal(d->amount_cents, (uint64_t)lines << 32 | orders);
			assert_int_equal(d->original_seq, ++*released);
			k = lines = 0;
			continue;
		}
		assert_int_equal(OC_DOC_KIND(d), OC_DOC_PICK_LINE);
		assert_int_equal(m->state[d->key], OC_STATE_ALLOCATED);
		assert_int_equal(d->state, m->waves_seen[d->key] + 1 == m->shipments[d->key]
						   ? OC_STATE_RELEASED
						   : OC_STATE_ALLOCATED);
		assert_int_equal(d->refunded_cents, *released + 1);
		m->listed[d->key] += OC_DOC_LINE_QUANTITY(d);
		in_wave[k++] = d->key;
		lines++;
	}
	assert_int_equal(k, 0); /* every line's wave said so */
}

static void check_waves(const struct stream *s, const struct oc_response *r,
			const struct oc_response *rows, uint32_t *released_out)
{
	struct wave_model m = {calloc(s->keys + 1, 1), calloc(s->keys + 1, 1),
			       calloc(s->keys + 1, 1), calloc(s->keys + 1, 4),
			       calloc(s->keys + 1, 4)};
	assert_true(m.state && m.shipments && m.waves_seen && m.units && m.listed);
	uint32_t row = 0, released = 0, picks = 0, splits = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct oc_command *c = &s->cmds[i];
		const struct oc_response *a = &r[i];
		uint8_t *st = &m.state[c->key];
		if (c->type == OC_CMD_PLACE && a->status == OC_STATUS_REJECTED) {
			assert_int_equal(a->reason, OC_REJECT_OUT_OF_STOCK);
			*st = OC_STATE_REJECTED;
		} else if (c->type == OC_CMD_PLACE) {
			pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
			*st = a->state;
			assert_int_equal(*st, c->flags ? OC_STATE_PAYMENT_PENDING : OC_STATE_ALLOCATED);
			splits += a->shipments > 1;
			m.shipments[c->key] = a->shipments;
			for (uint32_t l = 0; l < c->line_count; l++)
				m.units[c->key] += c->lines[l].quantity;
		} else if (c->type == OC_CMD_CANCEL) {
			bool live = *st == OC_STATE_PAYMENT_PENDING || *st == OC_STATE_ALLOCATED ||
				    *st == OC_STATE_RELEASED || *st == OC_STATE_PICKED;
			pl_expect(a, live ? OC_STATUS_CANCELLED : OC_STATUS_REJECTED,
				  live ? OC_REJECT_NONE : OC_REJECT_NOT_CANCELLABLE);
			*st = live ? OC_STATE_CANCELLED : *st;
		} else if (c->type == OC_CMD_PAYMENT_AUTHORIZED) {
			if (*st == OC_STATE_PAYMENT_PENDING) {
				pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
				*st = OC_STATE_ALLOCATED;
			} else if (s->cmds[s->first[c->key]].flags && *st != OC_STATE_CANCELLED &&
				   *st != OC_STATE_REJECTED) {
				assert_true(a->flags & OC_RESPONSE_DUPLICATE); /* authorized before */
			} else {
				pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
			}
		} else if (*st == OC_STATE_RELEASED) { /* a pick */
			pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
			*st = OC_STATE_PICKED;
			picks++;
		} else if (*st == OC_STATE_PICKED) {
			assert_true(a->flags & OC_RESPONSE_DUPLICATE);
		} else {
			pl_expect(a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
		}
		uint8_t want = a->status == OC_STATUS_REJECTED && c->type == OC_CMD_CANCEL
				       ? OC_STATE_NONE /* a refused cancel does not describe */
				       : *st;
		if (a->state != want)
			fail_msg("command %u (type %u, key %llu): state %s, want %s (%s/%s)", i, c->type,
				 (unsigned long long)c->key, oc_order_state_name(a->state),
				 oc_order_state_name(want), oc_status_name(a->status),
				 oc_reject_reason_name(a->reason));
		model_waves(&m, a, rows, &row, &released);
	}
	assert_int_equal(rows[row].seq, 0); /* every row was a wave's */
	print_message("      %u waves released, %u orders picked from them, %u split orders\n",
		      released, picks, splits);
	assert_true(released > 0 && picks > 0 && splits > 0);
	*released_out = released;
	free(m.state);
	free(m.shipments);
	free(m.waves_seen);
	free(m.units);
	free(m.listed);
}

/* Runs the wave stream on topology t; answers and rows with their times zeroed; the hash. */
static uint64_t run_waves_stream(const struct stream *s, const struct pl_topology *t,
				 struct oc_response *r, struct oc_response *rows, uint32_t rows_max,
				 struct oc_stats *st)
{
	struct oc_engine *e = pl_engine_start(dir, t);
	struct oc_command *copy = malloc((size_t)s->n * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, s->cmds, (size_t)s->n * sizeof(*copy));
	uint32_t n;
	pl_run_rows(e, copy, s->n, r, rows, rows_max, &n);
	for (uint32_t i = 0; i < s->n; i++)
		r[i].ts_ms = 0;
	for (uint32_t i = 0; i < n; i++)
		rows[i].ts_ms = 0;
	free(copy);
	pl_stop(e);
	oc_engine_stats(e, st);
	uint64_t h = oc_engine_state_hash(e);
	oc_engine_free(e);
	return h;
}

static void test_waves_same_on_every_topology(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(20000, 4000);
	struct stream s = wave_stream(n, 0x3a7e);
	uint32_t rows_max = n * 2;
	struct oc_response *base = calloc(n, sizeof(*base)), *r = calloc(n, sizeof(*r));
	struct oc_response *base_rows = calloc(rows_max + 1, sizeof(*base_rows));
	struct oc_response *rows = calloc(rows_max + 1, sizeof(*rows));
	assert_true(base && r && base_rows && rows);
	struct pl_topology t = {1, 1, SHARDS, INFLIGHT, n, .wave_orders_max = WAVE_ORDERS,
				.wave_cutoff_ms = 3600000, .wave_express_cutoff_ms = 3600000};
	struct oc_stats st;
	uint64_t h0 = run_waves_stream(&s, &t, base, base_rows, rows_max, &st);
	uint32_t released;
	check_waves(&s, base, base_rows, &released);
	assert_int_equal(st.waves, released);
	static const struct pl_topology others[] = {{3, 1, SHARDS, INFLIGHT, 0},
						    {3, 2, SHARDS, INFLIGHT, 0},
						    {2, 1, SHARDS, INFLIGHT, 0}};
	for (uint32_t i = 0; i < 3; i++) {
		struct pl_topology u = others[i];
		u.orders_max = n;
		u.wave_orders_max = t.wave_orders_max;
		u.wave_cutoff_ms = u.wave_express_cutoff_ms = t.wave_cutoff_ms;
		memset(rows, 0, (rows_max + 1) * sizeof(*rows));
		uint64_t h = run_waves_stream(&s, &u, r, rows, rows_max, &st);
		for (uint32_t k = 0; k < n; k++)
			if (memcmp(&r[k], &base[k], sizeof(r[k])) != 0)
				fail_msg("topology %u: answer %u differs", i, k);
		for (uint32_t k = 0; k < rows_max; k++)
			if (memcmp(&rows[k], &base_rows[k], sizeof(rows[k])) != 0)
				fail_msg("topology %u: row %u differs", i, k);
		assert_int_equal(h, h0);
	}
	/* Snapshots while waves are open, then a restart on other topologies. */
	char data[1024];
	oc_test_scratch_dir(data, sizeof(data), "waves_replay");
	t.data_dir = data;
	t.snapshot_records = n / 3;
	t.segment_bytes = 64u << 20;
	memset(rows, 0, (rows_max + 1) * sizeof(*rows));
	uint64_t h = run_waves_stream(&s, &t, r, rows, rows_max, &st);
	assert_true(st.snapshots >= 3);
	for (uint32_t k = 0; k < rows_max; k++) { /* the same but for seq: barriers took some */
		assert_true(rows[k].seq >= base_rows[k].seq);
		rows[k].seq = base_rows[k].seq;
		assert_memory_equal(&rows[k], &base_rows[k], sizeof(rows[k]));
	}
	for (uint32_t i = 0; i < 3; i++) {
		struct pl_topology u = others[i];
		u.orders_max = n;
		u.data_dir = data;
		u.segment_bytes = t.segment_bytes;
		u.wave_orders_max = t.wave_orders_max;
		u.wave_cutoff_ms = u.wave_express_cutoff_ms = t.wave_cutoff_ms;
		assert_int_equal(recover(&u, &st), h);
	}
	assert_int_equal(recover_from_log(&t, &st), h);
	free(base);
	free(r);
	free(base_rows);
	free(rows);
	stream_free(&s);
	(void)state;
}

static void test_poller_sleeps_on_the_response_fd_and_is_woken(void **state)
{
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, 1u << 16};
	struct oc_engine *e = pl_engine_start(dir, &t);
	int fd = oc_engine_response_fd(e);
	assert_true(fd >= 0);
	enum { ROUNDS = 20000 };
	uint32_t sleeps = 0;
	uint64_t answered = 0, sent = 0;
	for (uint32_t round = 0; round < ROUNDS; round++) {
		struct oc_command c[3];
		uint32_t n = 1 + round % 3;
		for (uint32_t i = 0; i < n; i++)
			c[i] = pl_query_stock(SKU_BASE + (round + i) % SKUS);
		uint32_t taken = 0;
		while (taken < n) {
			int k = oc_engine_try_submit_burst(e, c + taken, n - taken);
			assert_true(k >= 0);
			taken += (uint32_t)k;
		}
		sent += n;
		while (answered < sent) {
			struct oc_response r[4];
			int got = oc_engine_poll_burst(e, r, 4);
			answered += (uint64_t)got;
			if (got || answered == sent || oc_engine_poll_arm(e))
				continue;
			struct pollfd p = {fd, POLLIN, 0};
			if (poll(&p, 1, 1000) != 1)
				fail_msg("round %u: armed, not woken within 1 s: a lost wake-up", round);
			uint64_t v;
			assert_int_equal(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
			sleeps++;
		}
	}
	pl_stop(e);
	oc_engine_free(e);
	print_message("      %u of %u rounds slept on the response fd\n", sleeps, ROUNDS);
	assert_true(sleeps > 0);
}

/* The live metrics (oc_engine_metrics_write) read while the engine runs, from another thread,
 * as ordercored's admin endpoint does: under ThreadSanitizer this checks that the readers and
 * the single writers share nothing but atomics. Every scrape is whole and the accepted count
 * only grows; once the engine is idle (workers park after publishing) the figures are exact:
 * they equal the answers counted here and, after the stop, oc_engine_stats. */
struct scraper {
	struct oc_engine *e;
	_Atomic bool stop;
	uint32_t scrapes;
	uint64_t last_accepted;
	bool went_down, truncated;
};

/* The value of the sample "name value" in text, or UINT64_MAX when absent. */
static uint64_t sample_of(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; (p = strstr(p, name)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return UINT64_MAX;
}

static uint64_t scrape_accepted(struct oc_engine *e, bool *whole)
{
	char *text = NULL;
	size_t bytes = 0;
	FILE *out = open_memstream(&text, &bytes);
	assert_non_null(out);
	assert_int_equal(oc_engine_metrics_write(e, out), 0);
	assert_int_equal(fclose(out), 0);
	*whole = bytes > 0 && text[bytes - 1] == '\n' &&
		 sample_of(text, "ordercore_shard_lines_released_total{shard=\"0\"}") != UINT64_MAX;
	uint64_t v = sample_of(text, "ordercore_orders_accepted_total");
	free(text);
	return v;
}

static void *scrape_main(void *arg)
{
	struct scraper *sc = arg;
	while (!atomic_load_explicit(&sc->stop, memory_order_acquire)) {
		bool whole;
		uint64_t v = scrape_accepted(sc->e, &whole);
		sc->truncated |= !whole || v == UINT64_MAX;
		sc->went_down |= v < sc->last_accepted;
		sc->last_accepted = v;
		sc->scrapes++;
	}
	return NULL;
}

static void test_metrics_read_while_running(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(60000, 12000);
	char data[1024];
	oc_test_scratch_dir(data, sizeof(data), "metrics_live");
	struct pl_topology t = {3, 1, SHARDS, INFLIGHT, n, .data_dir = data,
				.durability = OC_DURABILITY_ASYNC};
	struct oc_engine *e = pl_engine_start(dir, &t);
	struct scraper sc = {.e = e};
	atomic_init(&sc.stop, false);
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, scrape_main, &sc), 0);
	struct oc_command *c = calloc(n, sizeof(*c));
	struct oc_response *r = calloc(n, sizeof(*r));
	assert_true(c && r);
	for (uint32_t i = 0; i < n; i++) /* cold and hot SKUs: some sell out */
		c[i] = pl_place1(1 + i, 1 + i % 997, 0, SKU_BASE + i % SKUS, 1 + i % 2);
	pl_run(e, c, n, r);
	uint64_t accepted = 0;
	for (uint32_t i = 0; i < n; i++)
		accepted += r[i].status == OC_STATUS_ACCEPTED;
	double deadline = pl_now_s() + PL_STALL_S;
	bool whole;
	while (scrape_accepted(e, &whole) != accepted && pl_now_s() < deadline)
		usleep(1000);
	assert_int_equal(scrape_accepted(e, &whole), accepted);
	atomic_store_explicit(&sc.stop, true, memory_order_release);
	assert_int_equal(pthread_join(thread, NULL), 0);
	struct oc_stats st = pl_stop_stats(e);
	assert_int_equal(scrape_accepted(e, &whole), st.accepted);
	print_message("      %u scrapes while %u places ran; %llu accepted\n", sc.scrapes, n,
		      (unsigned long long)accepted);
	assert_true(sc.scrapes > 0);
	assert_false(sc.went_down);
	assert_false(sc.truncated);
	assert_true(accepted > 0 && accepted < n);
	oc_engine_free(e);
	free(c);
	free(r);
}

static void test_same_answers_and_hash_on_every_topology(void **state)
{
	uint32_t n = (uint32_t)oc_test_scaled(100000, 30000);
	static const struct pl_topology topo[] = {{1, 1, SHARDS, INFLIGHT, 0},
	                                          {3, 1, SHARDS, INFLIGHT, 0},
	                                          {3, 2, SHARDS, INFLIGHT, 0},
	                                          {2, 1, SHARDS, INFLIGHT, 0}};
	struct stream s;
	stream_gen(&s, n, 0xd5e7);
	struct oc_response *base = calloc(n, sizeof(*base)), *r = calloc(n, sizeof(*r));
	assert_true(base && r);
	struct pl_topology t = topo[0];
	t.orders_max = n;
	struct oc_engine *e;
	uint32_t row_count = stream_rows_max(&s);
	struct oc_response *base_rows = calloc(row_count + 1, sizeof(*base_rows));
	struct oc_response *rows = calloc(row_count + 1, sizeof(*rows));
	assert_true(base_rows && rows);
	uint64_t h0 = run_stream(&s, &t, base, base_rows, &e);
	struct tally m;
	check_answers(&s, base, base_rows, &m);
	check_engine(e, &m, &s);
	oc_engine_free(e);
	for (uint32_t i = 1; i < sizeof(topo) / sizeof(topo[0]); i++) {
		t = topo[i];
		t.orders_max = n;
		memset(r, 0xa5, (size_t)n * sizeof(*r));
		uint64_t h = run_stream(&s, &t, r, rows, NULL);
		print_message("threads %u inventory %u: hash %016llx (1 thread: %016llx)\n",
		              t.threads, t.inventory_threads, (unsigned long long)h,
		              (unsigned long long)h0);
		for (uint32_t k = 0; k < n; k++)
			if (memcmp(&r[k], &base[k], sizeof(r[k])) != 0)
				fail_msg("threads %u/%u: answer %u differs", t.threads,
				         t.inventory_threads, k);
		assert_memory_equal(rows, base_rows, (size_t)row_count * sizeof(*rows));
		assert_int_equal(h, h0);
	}
	/* Another stream: another state. */
	struct stream s2;
	stream_gen(&s2, n, 0xd5e8);
	t = topo[0];
	t.orders_max = n;
	uint64_t h2 = run_stream(&s2, &t, r, NULL, NULL);
	assert_true(h2 != h0);
	assert_true(memcmp(r, base, (size_t)n * sizeof(*r)) != 0);
	free(base);
	free(base_rows);
	free(rows);
	free(r);
	stream_free(&s);
	stream_free(&s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_oversell_two_inventory_threads),
	    cmocka_unit_test(test_cancels_wait_for_release_room),
	    cmocka_unit_test(test_snapshot_and_replay_restore_the_same_state),
	    cmocka_unit_test(test_log_torn_tail_cut_corruption_refused),
	    cmocka_unit_test(test_data_dir_of_another_configuration_refused),
	    cmocka_unit_test(test_log_write_failure_injected_answers_unavailable),
	    cmocka_unit_test(test_same_answers_and_hash_on_every_topology),
	    cmocka_unit_test(test_waves_same_on_every_topology),
	    cmocka_unit_test(test_poller_sleeps_on_the_response_fd_and_is_woken),
	    cmocka_unit_test(test_metrics_read_while_running),
	    cmocka_unit_test(test_lease_expiries_replay_the_same),
	    cmocka_unit_test(test_mass_lease_expiry_does_not_stall),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
