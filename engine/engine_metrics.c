/* engine_metrics.c: the engine's live figures in the Prometheus text format
 * (oc_engine_metrics_write; docs/operations.md, "Metrics"), and route's publication of its
 * counters. Owns nothing: it reads the metrics (core/metrics.h) the stages, the workers and
 * the rings' producers write, from whichever thread asks (the admin endpoint's), and the
 * table of route's counters below, which both publishes and names them. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine_internal.h"

/* Route's counters: the field, and its metric's name and help. */
struct route_counter {
	size_t offset; /* in struct oc_route, of a uint64_t */
	const char *name;
	const char *help;
};

#define ROUTE_COUNTER(field, name, help) {offsetof(struct oc_route, field), name, help}

static const struct route_counter route_counters[] = {
    ROUTE_COUNTER(accepted, "orders_accepted", "Orders accepted (held ones included)."),
    ROUTE_COUNTER(cancelled, "orders_cancelled", "Orders cancelled, by a cancel or an expiry."),
    ROUTE_COUNTER(duplicates, "duplicates", "Places answered from an earlier order (retries)."),
    ROUTE_COUNTER(split_orders, "orders_split", "Orders allocated from more than one warehouse."),
    ROUTE_COUNTER(shipped, "orders_shipped", "Orders that reached shipped."),
    ROUTE_COUNTER(delivered, "orders_delivered", "Orders that reached delivered."),
    ROUTE_COUNTER(exceptions, "orders_exceptions", "Orders that went to exception."),
    ROUTE_COUNTER(lease_expiries, "payment_lease_expiries",
		  "Card orders cancelled by their payment lease."),
    ROUTE_COUNTER(payments_received, "payments_received", "Orders on account paid."),
    ROUTE_COUNTER(holds, "holds", "Orders held for review."),
    ROUTE_COUNTER(reviews_approved, "reviews_approved", "Held orders approved."),
    ROUTE_COUNTER(reviews_rejected, "reviews_rejected", "Held orders rejected."),
    ROUTE_COUNTER(review_expiries, "review_expiries", "Held orders cancelled by their review TTL."),
    ROUTE_COUNTER(refunds, "refunds", "Refunds done."),
    ROUTE_COUNTER(restocks, "restocks", "Restocks done."),
    ROUTE_COUNTER(write_offs, "write_offs", "Write-offs done."),
    ROUTE_COUNTER(adjustments, "cycle_counts", "Cycle counts done."),
    ROUTE_COUNTER(returns, "returns_opened", "Returns (RMAs) opened."),
    ROUTE_COUNTER(returns_received, "returns_received", "Returns received."),
    ROUTE_COUNTER(replacements, "replacements", "Replacement orders accepted."),
    ROUTE_COUNTER(qc_failures, "qc_failures", "Packs that failed their quality check."),
    ROUTE_COUNTER(short_picks, "short_picks", "Short picks done."),
    ROUTE_COUNTER(short_units_rerouted, "short_units_rerouted",
		  "Units of short picks allocated again elsewhere."),
    ROUTE_COUNTER(short_units_cut, "short_units_cut", "Units of short picks cut from their orders."),
    ROUTE_COUNTER(short_units_backordered, "short_units_backordered",
		  "Units of short picks backordered."),
    ROUTE_COUNTER(backorder_units_filled, "backorder_units_filled",
		  "Backordered units that receipts allocated."),
    ROUTE_COUNTER(backorder_units_cut, "backorder_units_cut",
		  "Units a backordering short pick cut (the backorders were full)."),
    ROUTE_COUNTER(waves_released, "waves_released", "Pick waves released."),
    ROUTE_COUNTER(labels, "labels", "Parcels labelled at packs."),
    ROUTE_COUNTER(label_cents, "label_cents", "What the labelled parcels' carriers charge, cents."),
};

#define ROUTE_COUNTERS (sizeof(route_counters) / sizeof(route_counters[0]))
_Static_assert(ROUTE_COUNTERS <= OC_ROUTE_METRICS, "room for every route counter");

void oc_route_publish(void *arg)
{
	struct oc_route *r = arg;
	for (size_t i = 0; i < ROUTE_COUNTERS; i++) {
		const uint64_t *v = (const uint64_t *)((const char *)r + route_counters[i].offset);
		oc_metric_set(&r->metrics.counter[i], *v);
	}
	for (unsigned k = 0; k < OC_REJECT_REASON_COUNT; k++) {
		oc_metric_set(&r->metrics.rejected[k], r->rejected[k]);
		oc_metric_set(&r->metrics.held[k], r->held[k]);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP ordercore_%s %s\n# TYPE ordercore_%s %s\n", name, help, name, type);
}

/* One histogram's samples (labels: "" or `key="value",...`), its buckets from first to last
 * (upper bounds 2^i - 1 of the value, times scale), then +Inf, _sum and _count. */
static void histogram(FILE *out, const char *name, const char *labels,
		      const struct oc_metric_hist *h, uint32_t first, uint32_t last, double scale)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t count = 0;
	for (uint32_t i = 0; i < OC_METRIC_BUCKETS; i++) {
		count += oc_metric_get(&h->bucket[i]);
		if (i >= first && i <= last)
			fprintf(out, "ordercore_%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", name,
				labels, sep, (double)((UINT64_C(1) << i) - 1) * scale, count);
	}
	fprintf(out, "ordercore_%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep,
		count);
	const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
	fprintf(out, "ordercore_%s_sum%s%s%s %.9g\n", name, open, labels, close,
		(double)oc_metric_get(&h->sum) * scale);
	fprintf(out, "ordercore_%s_count%s%s%s %" PRIu64 "\n", name, open, labels, close, count);
}

enum ring_figure { RING_USED, RING_HIGH_WATER, RING_SLOTS, RING_FIGURES };

static const char *const ring_names[RING_FIGURES] = {"ring_used", "ring_high_water",
						     "ring_slots"};

static void ring(FILE *out, enum ring_figure f, const char *name, int shard,
		 const struct oc_ring *r)
{
	uint64_t v = f == RING_USED ? oc_ring_used(r)
		     : f == RING_HIGH_WATER
			 ? atomic_load_explicit(&r->high_water, memory_order_relaxed)
			 : oc_ring_slots(r);
	if (shard < 0)
		fprintf(out, "ordercore_%s{ring=\"%s\"} %" PRIu64 "\n", ring_names[f], name, v);
	else
		fprintf(out, "ordercore_%s{ring=\"%s\",shard=\"%d\"} %" PRIu64 "\n", ring_names[f],
			name, shard, v);
}

/* Every ring, named by its producer and consumer. */
static void rings(FILE *out, const struct oc_engine *e)
{
	static const char *const help[RING_FIGURES] = {
	    "Slots in use now.",
	    "Most slots in use at once, as the producer saw them (may read high by what the "
	    "consumer took unseen).",
	    "Slots of the ring."};
	for (int f = 0; f < RING_FIGURES; f++) {
		family(out, ring_names[f], "gauge", help[f]);
		ring(out, f, e->journaled ? "sequencer_journal" : "sequencer_validate", -1, &e->cmd);
		if (e->journaled)
			ring(out, f, "journal_validate", -1, &e->logged);
		ring(out, f, "validate_route", -1, &e->order);
		for (uint32_t s = 0; s < e->shards; s++) {
			ring(out, f, "validate_shard", (int)s, &e->line[s]);
			ring(out, f, "shard_route", (int)s, &e->result[s]);
			ring(out, f, "route_shard", (int)s, &e->release[s]);
		}
		ring(out, f, "route_egress", -1, &e->out);
		ring(out, f, "egress_poller", -1, &e->responses);
	}
}

/* Per stage on each worker: messages, busy time, batch sizes. A stage's label names it and,
 * for a shard, which one (stage refs of inventory carry their shard in the order added). */
static void stages(FILE *out, const struct oc_engine *e)
{
	static const char *const kinds[] = {"messages_total", "busy_seconds_total", "steps_total"};
	static const char *const help[] = {
	    "Messages the stage moved.", "Wall time in steps of the stage that moved messages.",
	    "Steps of the stage that moved messages."};
	for (int k = 0; k < 3; k++) {
		char name[64];
		snprintf(name, sizeof(name), "stage_%s", kinds[k]);
		family(out, name, "counter", help[k]);
		for (uint32_t i = 0; i < e->threads; i++)
			for (uint32_t j = 0; j < e->workers[i].stage_count; j++) {
				const struct oc_stage_ref *s = &e->workers[i].stages[j];
				const oc_metric *m = k == 0 ? &s->messages : k == 1 ? &s->busy_ns : &s->steps;
				double v = (double)oc_metric_get(m) * (k == 1 ? 1e-9 : 1.0);
				bool is_shard = s->stage >= (void *)e->shard &&
						s->stage < (void *)(e->shard + e->shards);
				if (is_shard)
					fprintf(out, "ordercore_%s{stage=\"%s\",shard=\"%" PRIu32
						     "\",worker=\"%" PRIu32 "\"} %.9g\n",
						name, s->name,
						(uint32_t)((const struct oc_shard *)s->stage - e->shard), i,
						v);
				else
					fprintf(out, "ordercore_%s{stage=\"%s\",worker=\"%" PRIu32 "\"} %.9g\n",
						name, s->name, i, v);
			}
	}
	family(out, "stage_batch_messages", "histogram",
	       "Messages a step that moved any moved (the stage's batch size).");
	for (uint32_t i = 0; i < e->threads; i++)
		for (uint32_t j = 0; j < e->workers[i].stage_count; j++) {
			const struct oc_stage_ref *s = &e->workers[i].stages[j];
			char labels[96];
			if (s->stage >= (void *)e->shard && s->stage < (void *)(e->shard + e->shards))
				snprintf(labels, sizeof(labels), "stage=\"%s\",shard=\"%u\",worker=\"%u\"",
					 s->name,
					 (unsigned)((const struct oc_shard *)s->stage - e->shard), i);
			else
				snprintf(labels, sizeof(labels), "stage=\"%s\",worker=\"%u\"", s->name, i);
			histogram(out, "stage_batch_messages", labels, &s->batch, 1, 9, 1.0);
		}
}

static void workers(FILE *out, const struct oc_engine *e)
{
	family(out, "worker_turns_total", "counter", "Turns of the worker's loop.");
	for (uint32_t i = 0; i < e->threads; i++)
		fprintf(out, "ordercore_worker_turns_total{worker=\"%u\"} %" PRIu64 "\n", i,
			oc_metric_get(&e->workers[i].turns));
	family(out, "worker_parks_total", "counter", "Times the worker slept on its futex.");
	for (uint32_t i = 0; i < e->threads; i++)
		fprintf(out, "ordercore_worker_parks_total{worker=\"%u\"} %" PRIu64 "\n", i,
			oc_metric_get(&e->workers[i].parks));
	family(out, "worker_parked_seconds_total", "counter",
	       "Time the worker slept on its futex (idle; spinning and yielding not counted).");
	for (uint32_t i = 0; i < e->threads; i++)
		fprintf(out, "ordercore_worker_parked_seconds_total{worker=\"%u\"} %.9g\n", i,
			(double)oc_metric_get(&e->workers[i].parked_ns) * 1e-9);
}

static void journal(FILE *out, const struct oc_engine *e)
{
	const struct oc_journal *j = &e->journal;
	family(out, "wal_frames_total", "counter", "Frames (group commits) appended to the log.");
	fprintf(out, "ordercore_wal_frames_total %" PRIu64 "\n", oc_metric_get(&j->frames));
	family(out, "wal_bytes_total", "counter", "Bytes appended to the log.");
	fprintf(out, "ordercore_wal_bytes_total %" PRIu64 "\n", oc_metric_get(&j->bytes));
	uint64_t logged = oc_metric_get(&j->logged_seq_metric);
	uint64_t durable = atomic_load_explicit(&j->durable_seq, memory_order_relaxed);
	family(out, "wal_logged_seq", "gauge", "Sequence number of the last command appended.");
	fprintf(out, "ordercore_wal_logged_seq %" PRIu64 "\n", logged);
	family(out, "wal_durable_seq", "gauge",
	       "Sequence number up to which answers may be released (durable with sync).");
	fprintf(out, "ordercore_wal_durable_seq %" PRIu64 "\n", durable);
	family(out, "wal_durable_lag_commands", "gauge",
	       "Commands appended to the log and not yet released (logged - durable).");
	fprintf(out, "ordercore_wal_durable_lag_commands %" PRIu64 "\n",
		logged > durable ? logged - durable : 0);
	family(out, "wal_failed", "gauge", "1 once the log has failed (answers are unavailable).");
	fprintf(out, "ordercore_wal_failed %u\n",
		atomic_load_explicit(&j->failed, memory_order_relaxed));
	family(out, "wal_release_seconds", "histogram",
	       "From a frame's append to its commands' release: write and fdatasync with sync, "
	       "the write with async and none.");
	histogram(out, "wal_release_seconds", "", &j->release_ns, 10, 34, 1e-9);
}

static void route(FILE *out, const struct oc_engine *e)
{
	const struct oc_route_metrics *m = &e->route.metrics;
	for (size_t i = 0; i < ROUTE_COUNTERS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s_total", route_counters[i].name);
		family(out, name, "counter", route_counters[i].help);
		fprintf(out, "ordercore_%s %" PRIu64 "\n", name, oc_metric_get(&m->counter[i]));
	}
	family(out, "rejections_total", "counter", "Commands rejected, by reason.");
	for (unsigned k = 1; k < OC_REJECT_REASON_COUNT; k++) {
		uint64_t v = oc_metric_get(&m->rejected[k]);
		if (k == OC_REJECT_UNAVAILABLE) /* egress says it, never route */
			v = oc_metric_get(&e->egress.unavailable);
		fprintf(out, "ordercore_rejections_total{reason=\"%s\"} %" PRIu64 "\n",
			oc_reject_reason_name(k), v);
	}
	family(out, "holds_by_rule_total", "counter", "Orders held for review, by the rule.");
	for (unsigned k = 1; k < OC_REJECT_REASON_COUNT; k++)
		if (oc_metric_get(&m->held[k]))
			fprintf(out, "ordercore_holds_by_rule_total{rule=\"%s\"} %" PRIu64 "\n",
				oc_reject_reason_name(k), oc_metric_get(&m->held[k]));
	family(out, "decided_seq", "gauge", "Sequence number of the last command route decided.");
	fprintf(out, "ordercore_decided_seq %" PRIu64 "\n",
		atomic_load_explicit(&e->route.done_seq, memory_order_relaxed));
	family(out, "shard_lines_reserved_total", "counter", "Lines a shard reserved.");
	for (uint32_t s = 0; s < e->shards; s++)
		fprintf(out, "ordercore_shard_lines_reserved_total{shard=\"%u\"} %" PRIu64 "\n", s,
			oc_metric_get(&e->shard[s].reserved_lines));
	family(out, "shard_skus_sold_out", "gauge",
	       "SKUs of the shard with no unit available to reserve.");
	for (uint32_t s = 0; s < e->shards; s++)
		fprintf(out, "ordercore_shard_skus_sold_out{shard=\"%u\"} %" PRIu64 "\n", s,
			oc_metric_get(&e->shard[s].skus_sold_out));
	family(out, "shard_lines_released_total", "counter", "Releases a shard applied.");
	for (uint32_t s = 0; s < e->shards; s++)
		fprintf(out, "ordercore_shard_lines_released_total{shard=\"%u\"} %" PRIu64 "\n", s,
			oc_metric_get(&e->shard[s].released_lines));
}

int oc_engine_metrics_write(const struct oc_engine *e, FILE *out)
{
	static const char *const durability[] = {[OC_DURABILITY_SYNC] = "sync",
						 [OC_DURABILITY_ASYNC] = "async",
						 [OC_DURABILITY_NONE] = "none"};
	family(out, "engine_info", "gauge", "The engine's shape; always 1.");
	fprintf(out,
		"ordercore_engine_info{durability=\"%s\",threads=\"%u\",shards=\"%u\","
		"pinned=\"%u\"} 1\n",
		e->journaled ? durability[e->cfg.durability] : "memory", e->threads, e->shards,
		(unsigned)e->pinned);
	stages(out, e);
	workers(out, e);
	rings(out, e);
	if (e->journaled)
		journal(out, e);
	route(out, e);
	return ferror(out) ? -EIO : 0;
}

int oc_engine_health(const struct oc_engine *e)
{
	return e->journaled && atomic_load_explicit(&e->journal.failed, memory_order_relaxed)
		       ? -EIO
		       : 0;
}
