/* lifecycle.h: the players of an order's life after its place, as ordercore-loadgen's
 * scenarios play them (docs/loadgen.md, "Scenarios and the lifecycle"): the fraud team
 * (approves an order screening held, or rejects some), the payment provider (authorizes, or
 * declines some), the warehouses (pick, with some short picks; pack, with some failed quality
 * checks; ship), the carriers (deliver, or lose or damage some) and the
 * customers (return some of what was delivered: an RMA, received back and restocked, then its
 * value refunded; a lost or damaged parcel is refunded whole). Each answer the engine gives to
 * an order's command says what the next player sends, and when: one command at most, so an
 * order's life is a chain. Who declines, loses or returns is drawn from the seed and the
 * order's key, not from timing, so the same stream plays out the same way whatever the
 * daemon's speed. Also the count of the players' commands by type and outcome. The caller
 * owns every struct; nothing here allocates or keeps a pointer. */
#ifndef LG_LIFECYCLE_H
#define LG_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ordercore/ordercore.h"

/* The players' rates, percent of the orders that reach each point, and the delay between an
 * answer and the next player's command. Keys of the commands that need their own (RMAs,
 * refunds, short picks) come from next_key up, one each. */
struct lg_life {
	uint64_t seed;
	uint32_t decline_pct;   /* card payments declined */
	uint32_t short_pct;     /* picks that come up one unit short first (re-routed or cut) */
	uint32_t qc_fail_pct;   /* packs that fail their quality check once */
	uint32_t lost_pct;      /* shipments lost */
	uint32_t damaged_pct;   /* shipments damaged */
	uint32_t return_pct;    /* deliveries returned (one unit of the first line) */
	uint32_t review_reject_pct; /* orders screening held that the fraud team rejects (the
	                             * others it approves) */
	uint32_t delay_ms;
	uint64_t next_key;
};

/* A command a player sends, due at due_ns; `order` is the index (in the caller's stream) of
 * the place it follows from. */
struct lg_step {
	struct oc_command cmd;
	uint64_t due_ns;
	uint64_t order;
};

/* What follows answer a to command c of the order placed by `place` (its index `order`),
 * answered at now_ns: the next player's command into *out (true), or nothing (false: the
 * order's life ends there, or the answer refused or repeated a step; but a refused short pick
 * is followed by the pick: the unit was not held there, the order is whole). */
bool lg_life_next(struct lg_life *l, const struct oc_command *place, uint64_t order,
		  const struct oc_command *c, const struct oc_response *a, uint64_t now_ns,
		  struct lg_step *out);

/* Command types the players' counts are kept by (enum oc_command_type, every one). */
#define LG_LIFE_TYPES (OC_CMD_PAYMENT_RECEIVED + 1)

/* The players' commands by type and outcome, for the summaries: sent, then accepted (not a
 * duplicate) or rejected (refused, or a duplicate: either ends the order's chain); and of
 * the accepted, the outcomes that the type alone does not tell. */
struct lg_life_tally {
	uint64_t sent[LG_LIFE_TYPES], accepted[LG_LIFE_TYPES], rejected[LG_LIFE_TYPES];
	uint64_t short_cut;   /* short picks whose unit was cut (amount_cents > 0), not re-routed */
	uint64_t qc_failures; /* packs that failed their check (the order stayed picked) */
	uint64_t lost, damaged;
};

/* Counts c, sent; and a, the answer to c. */
void lg_life_sent(struct lg_life_tally *t, const struct oc_command *c);
void lg_life_take(struct lg_life_tally *t, const struct oc_command *c, const struct oc_response *a);

/* The counts in three lines of prose (without a newline; each at most LG_LIFE_TEXT_BYTES
 * with the NUL, cut there): reviews, payments and refusals; picks and packs; carriers,
 * returns and refunds. */
#define LG_LIFE_TEXT_BYTES 160u
void lg_life_text(const struct lg_life_tally *t, char out[3][LG_LIFE_TEXT_BYTES]);

/* Writes the counts as the JSON member "lifecycle" (an object: per type of the players'
 * commands an object of sent, accepted and rejected, then the outcomes), ending in a comma
 * and a newline. */
void lg_life_json(FILE *f, const struct lg_life_tally *t);

#endif
