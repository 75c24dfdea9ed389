/* fraud.h: the fraud screening of validate (docs/lifecycle.md, "Fraud and review"). It owns
 * what screening remembers: the recent orders of each customer, card and address (their
 * timestamps, for the velocity rules), each customer's amounts (for the amount rule), and
 * the block list (loaded from blocklist.csv, changed by OC_CMD_BLOCK). The rules themselves
 * are the dataset's (data/screening.h), read-only.
 *
 * Only screened places (OC_PLACE_SCREEN) reach it, so an unscreened order pays nothing for
 * it. It is validate's: one thread, in sequence order; the time is the command's timestamp,
 * so a replay decides the same. */
#ifndef OC_FRAUD_H
#define OC_FRAUD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/table.h"
#include "data/screening.h"
#include "ordercore/ordercore.h"
#include "wal/snapshot.h"

/* Block list entries operators may add beyond blocklist.csv's (OC_CMD_BLOCK): a hash taken
 * out keeps its entry, so this bounds the distinct hashes ever added. */
#define OC_FRAUD_BLOCKS_ADDED_MAX (1u << 16)

/* The recent orders of customers, cards or addresses. */
struct oc_fraud_table {
	struct oc_u64map map; /* the customer (a hash) -> value: its slot; aux: the ring's
	                       * next position */
	uint32_t *ts_s;       /* [slot * OC_SCREEN_VELOCITY_ORDERS_MAX]: when its last orders were
	                       * screened, seconds since the epoch; 0: none */
};

struct oc_fraud {
	const struct oc_screening *rules; /* NULL: screening is off */
	struct oc_fraud_table customers, cards, addresses;
	uint64_t *amount_sum;   /* [customer slot] cents of its screened orders */
	uint32_t *amount_count; /* [customer slot] how many */
	struct oc_u64map blocks; /* hash -> aux: 1 << kind for each kind it is blocked as */
	uint32_t clock_s;        /* the largest timestamp screened, seconds: the windows' time
	                          * never goes back when the wall clock does */
	uint64_t screened, block_changes;
	uint64_t unremembered;   /* places let through with a customer, card or address the full
	                          * tables could not take (decided as if it had no history) */
};

/* What a screening decided, and the rule (enum oc_reject_reason) that decided it. */
enum oc_fraud_outcome {
	OC_FRAUD_ACCEPT = 0,
	OC_FRAUD_HOLD = 1,
	OC_FRAUD_REJECT = 2,
};

struct oc_fraud_verdict {
	uint8_t outcome; /* enum oc_fraud_outcome */
	uint8_t reason;  /* the rule; OC_REJECT_NONE when accepted */
};

/* Sets up screening with the dataset's rules (rules->enabled false: off, nothing allocated),
 * remembering entries_max customers, cards and addresses each. 0 or -ENOMEM. */
int oc_fraud_init(struct oc_fraud *f, const struct oc_screening *rules, uint32_t entries_max);
void oc_fraud_destroy(struct oc_fraud *f);

/* Whether a screened place's fields are well formed (countries two upper-case letters, the
 * billing one or none; the postal code letters, digits, spaces and '-', then NULs). */
bool oc_fraud_screen_ok(const struct oc_screen *s);

/* Moves the screening's clock to the place's timestamp (never back) and decides the place of
 * amount_cents by c->customer and c->screen; changes nothing else. */
struct oc_fraud_verdict oc_fraud_decide(struct oc_fraud *f, const struct oc_command *c,
					uint64_t amount_cents);

/* Remembers a place screening let through (accepted or held), at the clock: its customer,
 * card and address, each as far as its table has room (a buyer a full table cannot take is
 * screened as if new: `unremembered` counts such places). */
void oc_fraud_record(struct oc_fraud *f, const struct oc_command *c, uint64_t amount_cents);

/* OC_CMD_BLOCK: adds or takes out a hash; the reason when refused (malformed, not_enabled,
 * capacity), else OC_REJECT_NONE. */
uint8_t oc_fraud_block(struct oc_fraud *f, const struct oc_command *c);

/* Snapshot (appended to validate's part) and state hash; nothing when screening is off. */
void oc_fraud_put(const struct oc_fraud *f, struct oc_snap_buf *b);
int oc_fraud_get(struct oc_fraud *f, struct oc_snap_reader *r);
uint64_t oc_fraud_hash(const struct oc_fraud *f, uint64_t seed);

#endif
