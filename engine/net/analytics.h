/* analytics.h: fulfilment analytics live from the event stream (docs/lifecycle.md,
 * "Analytics"), for a subscriber of the orders, fulfilment, documents and rejects events
 * (OC_ANALYTICS_KINDS; ordercore-cli analytics). Per channel (OC_RESPONSE_CHANNEL of each
 * event): orders placed, rejected and held by reason; the cycle time from placing to shipment
 * as a histogram; pick and pack accuracy (short picks against picks, failed quality checks
 * against packs); the fulfilment cost per order packed (the carriers' prices on the labels,
 * plus a handling cost per packed line).
 *
 * A struct oc_analytics is owned by its caller's thread. It remembers when each order it saw
 * placed was placed, in a table of OC_ANALYTICS_ORDERS_MAX orders; a shipment whose placing
 * it did not see (before the subscription, or past the table) counts in `untimed`. */
#ifndef OC_ANALYTICS_H
#define OC_ANALYTICS_H

#include <stdint.h>

#include "core/table.h"
#include "ordercore/ordercore.h"
#include "ordercore/protocol.h"

/* The event kinds the analytics read. */
#define OC_ANALYTICS_KINDS \
	(OC_EVENT_ORDERS | OC_EVENT_FULFILMENT | OC_EVENT_DOCUMENTS | OC_EVENT_REJECTS)
/* Orders whose placing time is remembered (16 bytes each, in a table kept half full). */
#define OC_ANALYTICS_ORDERS_MAX (1u << 20)
/* Cycle times fall in buckets of powers of two milliseconds: bucket i holds [2^i, 2^(i+1))
 * ms (bucket 0 also 0 ms), up to 2^40 ms (35 years) in the last. */
#define OC_ANALYTICS_BUCKETS 41u

struct oc_analytics_figures {
	uint64_t placed;   /* orders accepted (held ones included) */
	uint64_t rejected; /* places rejected */
	uint64_t held;     /* orders held for review */
	uint64_t rejected_by[OC_REJECT_REASON_COUNT];
	uint64_t held_by[OC_REJECT_REASON_COUNT]; /* by the rule that held them */
	uint64_t shipped;
	uint64_t cycle[OC_ANALYTICS_BUCKETS]; /* placed -> shipped, of the shipments timed */
	uint64_t cycle_ms_sum;
	uint64_t timed;                       /* shipments whose cycle time is known */
	uint64_t picks, short_picks;          /* picks confirmed; short picks done */
	uint64_t packs, qc_failures;          /* packs done; packs whose check failed */
	uint64_t labels, carrier_cents;       /* parcels labelled; their carriers' prices */
	uint64_t packed_lines;                /* packing slip lines */
};

/* The figures are counters only, so they may be added, copied and published word by word. */
#define OC_ANALYTICS_FIGURES_WORDS (sizeof(struct oc_analytics_figures) / sizeof(uint64_t))

struct oc_analytics {
	uint32_t handling_cents; /* per packed line */
	struct oc_analytics_figures by[OC_CHANNEL_COUNT]; /* [OC_CHANNEL_NONE]: not said */
	uint64_t events;
	uint64_t untimed;        /* shipments whose placing was not seen */
	uint64_t epoch_ms;       /* the first placing's time: the table keeps times after it */
	struct oc_u64map placed; /* order key -> value: ms after epoch_ms */
};

/* 0, or -ENOMEM. */
int oc_analytics_init(struct oc_analytics *a, uint32_t handling_cents);
void oc_analytics_destroy(struct oc_analytics *a);
/* Counts one event (an event frame's response); others are ignored. */
void oc_analytics_add(struct oc_analytics *a, const struct oc_response *event);
/* Every channel's figures summed into *out. */
void oc_analytics_total(const struct oc_analytics *a, struct oc_analytics_figures *out);
/* The bucket of a cycle time of ms milliseconds: floor(log2(ms)), 0 for 0 and 1 ms. */
uint32_t oc_analytics_cycle_bucket(uint64_t ms);
/* The cycle time under which a fraction q (0..1) of the timed shipments fall: the upper
 * bound of the bucket that reaches it, milliseconds; 0 when none was timed. */
uint64_t oc_analytics_cycle_ms(const struct oc_analytics_figures *f, double q);
/* The fulfilment cost per order packed, cents: (carriers' prices + handling per packed
 * line) / packs; 0 when none was packed. */
uint64_t oc_analytics_cost_cents(const struct oc_analytics *a,
				 const struct oc_analytics_figures *f);

#endif
