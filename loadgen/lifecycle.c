/* lifecycle.c: the players of an order's life, and the count of their commands (lifecycle.h).
 * No state of its own: the caller's structs. */
#include "lifecycle.h"

#include <inttypes.h>

#include "core/rand.h"

/* The points of an order's life where a player draws. */
enum draw { DECLINE = 1, SHORT, QC, LOST, DAMAGED, RETURN, REVIEW };

/* Whether the order placed with `key` falls in `pct` percent at point `what`: a draw from the
 * seed and the key alone. */
static bool drawn(const struct lg_life *l, uint64_t key, enum draw what, uint32_t pct)
{
	uint64_t x = l->seed ^ key * 0x9e3779b97f4a7c15ull ^ (uint64_t)what << 56;
	return oc_rand_below(&x, 100) < pct;
}

/* The warehouse's first word on an allocated order: a short pick of one unit of its first
 * line at its first warehouse (drawn), else the pick. */
static void warehouse(struct lg_life *l, const struct oc_command *place,
		      const struct oc_response *a, struct oc_command *next)
{
	if (drawn(l, place->key, SHORT, l->short_pct)) {
		*next = (struct oc_command){.type = OC_CMD_PICK_SHORT, .line_count = 1,
					    .region = a->warehouse, .key = l->next_key++,
					    .customer = place->customer, .order_key = place->key,
					    .lines = {{place->lines[0].sku, 1, 0}}};
		return;
	}
	next->type = OC_CMD_PICK_CONFIRMED;
}

/* What follows an accepted order's answer in payment_pending (the provider's word, drawn) or
 * allocated (the warehouse's); false in any other state. */
static bool allocated(struct lg_life *l, const struct oc_command *place,
		      const struct oc_response *a, struct oc_command *next)
{
	if (a->state == OC_STATE_ALLOCATED) {
		warehouse(l, place, a, next);
		return true;
	}
	if (a->state != OC_STATE_PAYMENT_PENDING)
		return false;
	next->type = drawn(l, place->key, DECLINE, l->decline_pct) ? OC_CMD_PAYMENT_DECLINED
								    : OC_CMD_PAYMENT_AUTHORIZED;
	return true;
}

/* A refund of the order with its own key: amount_cents (0: all the rest). */
static void refund(struct lg_life *l, const struct oc_command *place, uint64_t amount_cents,
		   struct oc_command *next)
{
	*next = (struct oc_command){.type = OC_CMD_REFUND, .key = l->next_key++,
				    .customer = place->customer, .order_key = place->key,
				    .amount_cents = amount_cents};
}

bool lg_life_next(struct lg_life *l, const struct oc_command *place, uint64_t order,
		  const struct oc_command *c, const struct oc_response *a, uint64_t now_ns,
		  struct lg_step *out)
{
	struct oc_command next = {.key = place->key, .customer = place->customer};
	bool accepted = a->status == OC_STATUS_ACCEPTED &&
			!(a->flags & (OC_RESPONSE_DUPLICATE | OC_RESPONSE_ROW));
	uint8_t state = a->state;
	switch (c->type) {
	case OC_CMD_PLACE:
		if (!accepted)
			return false; /* rejected, or a retry's answer */
		if (state == OC_STATE_ON_HOLD) /* the fraud team reviews it */
			next.type = drawn(l, place->key, REVIEW, l->review_reject_pct)
					    ? OC_CMD_REVIEW_REJECT
					    : OC_CMD_REVIEW_APPROVE;
		else if (!allocated(l, place, a, &next))
			return false;
		break;
	case OC_CMD_REVIEW_APPROVE:
		if (!accepted || !allocated(l, place, a, &next))
			return false; /* (a rejection: cancelled, the end) */
		break;
	case OC_CMD_PAYMENT_AUTHORIZED:
		if (!accepted || state != OC_STATE_ALLOCATED)
			return false;
		warehouse(l, place, a, &next);
		break;
	case OC_CMD_PICK_SHORT: /* refused (the unit is not held there): picked whole */
		if (a->status == OC_STATUS_ACCEPTED && state != OC_STATE_ALLOCATED)
			return false; /* every unit cut: the order is cancelled */
		next.type = OC_CMD_PICK_CONFIRMED;
		break;
	case OC_CMD_PICK_CONFIRMED:
		if (!accepted || state != OC_STATE_PICKED)
			return false;
		next.type = OC_CMD_PACK_CONFIRMED;
		if (drawn(l, place->key, QC, l->qc_fail_pct))
			next.flags = OC_PACK_QC_FAILED;
		break;
	case OC_CMD_PACK_CONFIRMED: /* a failed check leaves it picked: packed again */
		if (!accepted || (state != OC_STATE_PICKED && state != OC_STATE_PACKED))
			return false;
		next.type = state == OC_STATE_PICKED ? OC_CMD_PACK_CONFIRMED : OC_CMD_SHIPPED;
		break;
	case OC_CMD_SHIPPED:
		if (!accepted || state != OC_STATE_SHIPPED)
			return false;
		next.type = OC_CMD_DELIVERED;
		if (drawn(l, place->key, LOST, l->lost_pct)) {
			next.type = OC_CMD_DELIVERY_EXCEPTION;
			next.flags = OC_EXCEPTION_LOST;
		} else if (drawn(l, place->key, DAMAGED, l->damaged_pct)) {
			next.type = OC_CMD_DELIVERY_EXCEPTION;
			next.flags = OC_EXCEPTION_DAMAGED;
		}
		break;
	case OC_CMD_DELIVERED:
		if (!accepted || state != OC_STATE_DELIVERED ||
		    !drawn(l, place->key, RETURN, l->return_pct))
			return false;
		next = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED, .line_count = 1,
					   .flags = OC_RETURN_NOT_WANTED, .key = l->next_key++,
					   .customer = place->customer, .order_key = place->key,
					   .lines = {{place->lines[0].sku, 1, 0}}};
		break;
	case OC_CMD_DELIVERY_EXCEPTION: /* the claim: refunded */
		if (!accepted || state != OC_STATE_EXCEPTION)
			return false;
		refund(l, place, 0, &next);
		break;
	case OC_CMD_RETURN_REQUESTED: /* the goods come back, sellable */
		if (!accepted || state != OC_STATE_RETURN_REQUESTED)
			return false;
		next = (struct oc_command){.type = OC_CMD_RETURN_RECEIVED, .key = c->key,
					   .customer = place->customer, .flags = OC_RETURN_RESTOCK};
		break;
	case OC_CMD_RETURN_RECEIVED: /* the units' value back (the answer's: the RMA's) */
		if (!accepted || a->amount_cents == 0)
			return false;
		refund(l, place, a->amount_cents, &next);
		break;
	default: /* a refund, a declined payment, a cancel: the end of the chain */
		return false;
	}
	*out = (struct lg_step){next, now_ns + (uint64_t)l->delay_ms * 1000000u, order};
	return true;
}

void lg_life_sent(struct lg_life_tally *t, const struct oc_command *c)
{
	t->sent[c->type < LG_LIFE_TYPES ? c->type : 0]++;
}

void lg_life_take(struct lg_life_tally *t, const struct oc_command *c, const struct oc_response *a)
{
	unsigned type = c->type < LG_LIFE_TYPES ? c->type : 0;
	if (a->status != OC_STATUS_ACCEPTED || (a->flags & OC_RESPONSE_DUPLICATE)) {
		t->rejected[type]++;
		return;
	}
	t->accepted[type]++;
	t->short_cut += type == OC_CMD_PICK_SHORT && a->amount_cents > 0;
	t->qc_failures += type == OC_CMD_PACK_CONFIRMED && (c->flags & OC_PACK_QC_FAILED);
	t->lost += type == OC_CMD_DELIVERY_EXCEPTION && (c->flags & OC_EXCEPTION_LOST);
	t->damaged += type == OC_CMD_DELIVERY_EXCEPTION && (c->flags & OC_EXCEPTION_DAMAGED);
}

void lg_life_text(const struct lg_life_tally *t, char out[3][LG_LIFE_TEXT_BYTES])
{
	const uint64_t *a = t->accepted;
	uint64_t refused = 0;
	for (unsigned k = 0; k < LG_LIFE_TYPES; k++)
		refused += t->rejected[k];
	snprintf(out[0], LG_LIFE_TEXT_BYTES, "reviews approved %" PRIu64 ", rejected %" PRIu64
		 "; payments authorized %" PRIu64 ", declined %" PRIu64 "; refused by the engine %"
		 PRIu64 " (each ends its order's chain)", a[OC_CMD_REVIEW_APPROVE],
		 a[OC_CMD_REVIEW_REJECT], a[OC_CMD_PAYMENT_AUTHORIZED], a[OC_CMD_PAYMENT_DECLINED],
		 refused);
	snprintf(out[1], LG_LIFE_TEXT_BYTES, "picks %" PRIu64 " (short picks %" PRIu64 ", %"
		 PRIu64 " cut, the others re-routed); packs %" PRIu64 " (QC failures %" PRIu64 ")",
		 a[OC_CMD_PICK_CONFIRMED], a[OC_CMD_PICK_SHORT], t->short_cut,
		 a[OC_CMD_PACK_CONFIRMED] - t->qc_failures, t->qc_failures);
	snprintf(out[2], LG_LIFE_TEXT_BYTES, "shipped %" PRIu64 "; delivered %" PRIu64 ", lost %"
		 PRIu64 ", damaged %" PRIu64 "; returns %" PRIu64 ", received %" PRIu64
		 "; refunds %" PRIu64, a[OC_CMD_SHIPPED], a[OC_CMD_DELIVERED], t->lost, t->damaged,
		 a[OC_CMD_RETURN_REQUESTED], a[OC_CMD_RETURN_RECEIVED], a[OC_CMD_REFUND]);
}

void lg_life_json(FILE *f, const struct lg_life_tally *t)
{
	static const struct {
		uint8_t type;
		const char *name;
	} played[] = {{OC_CMD_REVIEW_APPROVE, "review_approve"},
		      {OC_CMD_REVIEW_REJECT, "review_reject"},
		      {OC_CMD_PAYMENT_AUTHORIZED, "payment_authorized"},
		      {OC_CMD_PAYMENT_DECLINED, "payment_declined"},
		      {OC_CMD_PICK_SHORT, "pick_short"},
		      {OC_CMD_PICK_CONFIRMED, "pick_confirmed"},
		      {OC_CMD_PACK_CONFIRMED, "pack_confirmed"},
		      {OC_CMD_SHIPPED, "shipped"},
		      {OC_CMD_DELIVERED, "delivered"},
		      {OC_CMD_DELIVERY_EXCEPTION, "delivery_exception"},
		      {OC_CMD_RETURN_REQUESTED, "return_requested"},
		      {OC_CMD_RETURN_RECEIVED, "return_received"},
		      {OC_CMD_REFUND, "refund"}};
	fprintf(f, "  \"lifecycle\": {\n");
	for (size_t k = 0; k < sizeof(played) / sizeof(played[0]); k++) {
		uint8_t y = played[k].type;
		fprintf(f, "    \"%s\": {\"sent\": %" PRIu64 ", \"accepted\": %" PRIu64
			   ", \"rejected\": %" PRIu64 "},\n", played[k].name, t->sent[y],
			t->accepted[y], t->rejected[y]);
	}
	fprintf(f, "    \"short_picks_cut\": %" PRIu64 ",\n    \"qc_failures\": %" PRIu64
		   ",\n    \"lost\": %" PRIu64 ",\n    \"damaged\": %" PRIu64 "\n  },\n",
		t->short_cut, t->qc_failures, t->lost, t->damaged);
}
