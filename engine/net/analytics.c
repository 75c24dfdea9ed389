/* analytics.c: fulfilment analytics from the event stream (analytics.h). It owns the figures
 * and the table of placing times; it reads each event once, as it comes. */
#include "net/analytics.h"

#include <string.h>

int oc_analytics_init(struct oc_analytics *a, uint32_t handling_cents)
{
	memset(a, 0, sizeof(*a));
	a->handling_cents = handling_cents;
	return oc_u64map_init(&a->placed, OC_ANALYTICS_ORDERS_MAX);
}

void oc_analytics_destroy(struct oc_analytics *a)
{
	oc_u64map_destroy(&a->placed);
}

uint32_t oc_analytics_cycle_bucket(uint64_t ms)
{
	uint32_t b = ms > 1 ? 63u - (uint32_t)__builtin_clzll(ms) : 0;
	return b < OC_ANALYTICS_BUCKETS ? b : OC_ANALYTICS_BUCKETS - 1;
}

/* Remembers when the order `key` was placed (the first time it is seen). */
static void remember(struct oc_analytics *a, uint64_t key, uint64_t ts_ms)
{
	if (!a->epoch_ms)
		a->epoch_ms = ts_ms;
	uint64_t after = ts_ms > a->epoch_ms ? ts_ms - a->epoch_ms : 0;
	bool found;
	struct oc_u64map_entry *e =
		key && after <= UINT32_MAX ? oc_u64map_upsert(&a->placed, key, oc_hash_u64(key), &found)
					   : NULL;
	if (e && !found)
		e->value = (uint32_t)after;
}

/* Times a shipment of order `key` at ts_ms, when its placing was seen. */
static void time_shipment(struct oc_analytics *a, struct oc_analytics_figures *f, uint64_t key,
			  uint64_t ts_ms)
{
	const struct oc_u64map_entry *e =
		key ? oc_u64map_find(&a->placed, key, oc_hash_u64(key)) : NULL;
	if (!e) {
		a->untimed++;
		return;
	}
	uint64_t placed = a->epoch_ms + e->value;
	uint64_t ms = ts_ms > placed ? ts_ms - placed : 0;
	f->cycle[oc_analytics_cycle_bucket(ms)]++;
	f->cycle_ms_sum += ms;
	f->timed++;
}

/* A document: a label's price, a packing slip's lines. */
static void add_document(struct oc_analytics_figures *f, const struct oc_response *r)
{
	if (OC_DOC_KIND(r) == OC_DOC_LABEL) {
		f->labels++;
		f->carrier_cents += r->amount_cents;
	} else if (OC_DOC_KIND(r) == OC_DOC_SLIP_LINE) {
		f->packed_lines++;
	}
}

void oc_analytics_add(struct oc_analytics *a, const struct oc_response *r)
{
	uint32_t kind = oc_proto_event_kind(r);
	if (!(kind & OC_ANALYTICS_KINDS))
		return;
	uint32_t channel = OC_RESPONSE_CHANNEL(r);
	struct oc_analytics_figures *f =
		&a->by[channel < OC_CHANNEL_COUNT ? channel : OC_CHANNEL_NONE];
	a->events++;
	if (kind == OC_EVENT_DOCUMENTS) {
		add_document(f, r);
	} else if (kind == OC_EVENT_REJECTS) {
		f->rejected++;
		f->rejected_by[r->reason < OC_REJECT_REASON_COUNT ? r->reason : 0]++;
	} else if (kind == OC_EVENT_ORDERS) {
		f->placed++;
		if (r->state == OC_STATE_ON_HOLD) {
			f->held++;
			f->held_by[r->reason < OC_REJECT_REASON_COUNT ? r->reason : 0]++;
		}
		remember(a, r->key, r->ts_ms);
	} else if (r->type == OC_CMD_PICK_CONFIRMED) {
		f->picks++;
	} else if (r->type == OC_CMD_PICK_SHORT) {
		f->short_picks++;
	} else if (r->type == OC_CMD_PACK_CONFIRMED) {
		bool failed = r->state == OC_STATE_PICKED; /* the check failed: to pack again */
		f->packs += !failed;
		f->qc_failures += failed;
	} else if (r->type == OC_CMD_SHIPPED) {
		f->shipped++;
		time_shipment(a, f, r->key, r->ts_ms);
	}
}

void oc_analytics_total(const struct oc_analytics *a, struct oc_analytics_figures *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t *sum = (uint64_t *)out;
	for (uint32_t c = 0; c < OC_CHANNEL_COUNT; c++) {
		const uint64_t *one = (const uint64_t *)&a->by[c];
		for (size_t i = 0; i < OC_ANALYTICS_FIGURES_WORDS; i++)
			sum[i] += one[i];
	}
}

_Static_assert(sizeof(struct oc_analytics_figures) % sizeof(uint64_t) == 0,
	       "the figures are counters only: oc_analytics_total adds them word by word");

uint64_t oc_analytics_cycle_ms(const struct oc_analytics_figures *f, double q)
{
	if (!f->timed)
		return 0;
	uint64_t want = (uint64_t)(q * (double)f->timed + 0.999999), seen = 0;
	if (want == 0)
		want = 1;
	for (uint32_t b = 0; b < OC_ANALYTICS_BUCKETS; b++) {
		seen += f->cycle[b];
		if (seen >= want)
			return 1ull << (b + 1);
	}
	return 1ull << OC_ANALYTICS_BUCKETS;
}

uint64_t oc_analytics_cost_cents(const struct oc_analytics *a,
				 const struct oc_analytics_figures *f)
{
	if (!f->packs)
		return 0;
	return (f->carrier_cents + f->packed_lines * a->handling_cents) / f->packs;
}
