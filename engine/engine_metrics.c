/* engine_metrics.c: the engine's live figures in the Prometheus text format
 * (oc_engine_metrics_write; docs/operations.md, "Metrics"). Owns nothing but the names: it
 * reads the metrics (core/metrics.h) that the stages, the workers, the rings' consumers and
 * the snapshot writer write, from whichever thread asks (the admin endpoint's). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine_internal.h"

/* Route's counters (enum oc_counter, the order oc_route_publish copies them in), each with its
 * metric's name and help. */
struct route_counter {
	unsigned counter; /* enum oc_counter */
	const char *name;
	const char *help;
};

static const struct route_counter route_counters[] = {
    {OC_COUNTER_ACCEPTED, "orders_accepted", "Orders accepted (held ones included)."},
    {OC_COUNTER_CANCELLED, "orders_cancelled", "Orders cancelled, by a cancel or an expiry."},
    {OC_COUNTER_DUPLICATES, "duplicates", "Places answered from an earlier order (retries)."},
    {OC_COUNTER_SPLIT_ORDERS, "orders_split", "Orders allocated from more than one warehouse."},
    {OC_COUNTER_SHIPPED, "orders_shipped", "Orders that reached shipped."},
    {OC_COUNTER_DELIVERED, "orders_delivered", "Orders that reached delivered."},
    {OC_COUNTER_EXCEPTIONS, "orders_exceptions", "Orders that went to exception."},
    {OC_COUNTER_LEASE_EXPIRIES, "payment_lease_expiries",
     "Card orders cancelled by their payment lease."},
    {OC_COUNTER_PAYMENTS_RECEIVED, "payments_received", "Orders on account paid."},
    {OC_COUNTER_HOLDS, "holds", "Orders held for review."},
    {OC_COUNTER_REVIEWS_APPROVED, "reviews_approved", "Held orders approved."},
    {OC_COUNTER_REVIEWS_REJECTED, "reviews_rejected", "Held orders rejected."},
    {OC_COUNTER_REVIEW_EXPIRIES, "review_expiries", "Held orders cancelled by their review TTL."},
    {OC_COUNTER_REFUNDS, "refunds", "Refunds done."},
    {OC_COUNTER_RESTOCKS, "restocks", "Restocks done."},
    {OC_COUNTER_WRITE_OFFS, "write_offs", "Write-offs done."},
    {OC_COUNTER_ADJUSTMENTS, "cycle_counts", "Cycle counts done."},
    {OC_COUNTER_RETURNS, "returns_opened", "Returns (RMAs) opened."},
    {OC_COUNTER_RETURNS_RECEIVED, "returns_received", "Returns received."},
    {OC_COUNTER_REPLACEMENTS, "replacements", "Replacement orders accepted."},
    {OC_COUNTER_QC_FAILURES, "qc_failures", "Packs that failed their quality check."},
    {OC_COUNTER_SHORT_PICKS, "short_picks", "Short picks done."},
    {OC_COUNTER_SHORT_UNITS_REROUTED, "short_units_rerouted",
     "Units of short picks allocated again elsewhere."},
    {OC_COUNTER_SHORT_UNITS_CUT, "short_units_cut", "Units of short picks cut from their orders."},
    {OC_COUNTER_SHORT_UNITS_BACKORDERED, "short_units_backordered",
     "Units of short picks backordered."},
    {OC_COUNTER_BACKORDER_UNITS_FILLED, "backorder_units_filled",
     "Backordered units that receipts allocated."},
    {OC_COUNTER_BACKORDER_UNITS_CUT, "backorder_units_cut",
     "Units a backordering short pick cut (the backorders were full)."},
    {OC_COUNTER_LABELS, "labels", "Parcels labelled at packs."},
    {OC_COUNTER_LABEL_CENTS, "label_cents", "What the labelled parcels' carriers charge, cents."},
};

#define ROUTE_COUNTERS (sizeof(route_counters) / sizeof(route_counters[0]))
/* The last cycle-time bucket exposed: up to 2^31 ms (24 days), then +Inf. */
#define CYCLE_BUCKET_LAST 30u
/* The log's release-latency buckets exposed: from 2^10 - 1 ns (1 us) to 2^34 - 1 ns (17 s),
 * then +Inf (a frame released faster or slower is still counted, in the first or +Inf). */
#define RELEASE_BUCKET_FIRST 10u
#define RELEASE_BUCKET_LAST 34u
_Static_assert(ROUTE_COUNTERS == OC_COUNTER_REJECTED, "every route counter named");

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
			fprintf(out, "ordercore_%s_bucket{%s%sle=\"%.12g\"} %" PRIu64 "\n", name,
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
	    "Most slots the consumer found in use when it looked (a sample of the peak).",
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

/* A stage's labels: its name, its shard's index when it is one, its worker. */
static void stage_labels(const struct oc_engine *e, const struct oc_stage_ref *s,
			 uint32_t worker, char *buf, size_t bytes)
{
	uintptr_t at = (uintptr_t)s->stage, first = (uintptr_t)e->shard;
	uintptr_t end = (uintptr_t)(e->shard + e->shards); /* integers: no pointer comparison */
	if (at >= first && at < end)
		snprintf(buf, bytes, "stage=\"%s\",shard=\"%u\",worker=\"%u\"", s->name,
			 (unsigned)((at - first) / sizeof(*e->shard)), worker);
	else
		snprintf(buf, bytes, "stage=\"%s\",worker=\"%u\"", s->name, worker);
}

/* Per stage on each worker: messages, busy time, steps, batch sizes. */
static void stages(FILE *out, const struct oc_engine *e)
{
	static const char *const kinds[] = {"messages_total", "busy_seconds_total", "steps_total"};
	static const char *const help[] = {
	    "Messages the stage moved.", "Wall time in steps of the stage that moved messages.",
	    "Steps of the stage that moved messages."};
	char labels[96];
	for (int k = 0; k < 3; k++) {
		char name[64];
		snprintf(name, sizeof(name), "stage_%s", kinds[k]);
		family(out, name, "counter", help[k]);
		for (uint32_t i = 0; i < e->threads; i++)
			for (uint32_t j = 0; j < e->workers[i].stage_count; j++) {
				const struct oc_stage_ref *s = &e->workers[i].stages[j];
				stage_labels(e, s, i, labels, sizeof(labels));
				if (k == 1)
					fprintf(out, "ordercore_%s{%s} %.9f\n", name, labels,
						(double)oc_metric_get(&s->busy_ns) * 1e-9);
				else
					fprintf(out, "ordercore_%s{%s} %" PRIu64 "\n", name, labels,
						oc_metric_get(k == 0 ? &s->messages : &s->steps));
			}
	}
	family(out, "stage_batch_messages", "histogram",
	       "Messages a step that moved any moved (the stage's batch size).");
	for (uint32_t i = 0; i < e->threads; i++)
		for (uint32_t j = 0; j < e->workers[i].stage_count; j++) {
			const struct oc_stage_ref *s = &e->workers[i].stages[j];
			stage_labels(e, s, i, labels, sizeof(labels));
			histogram(out, "stage_batch_messages", labels, &s->batch, 1,
				  oc_metric_bucket(OC_STAGE_BURST_MAX), 1.0);
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
	histogram(out, "wal_release_seconds", "", &j->release_ns, RELEASE_BUCKET_FIRST,
		  RELEASE_BUCKET_LAST, 1e-9);
}

/* The fulfilment analytics per channel (what ordercore-cli analytics computes from the event
 * stream, net/analytics.h), from route's transitions since this process started. */
struct channel_counter {
	size_t offset; /* in struct oc_analytics_figures */
	const char *name, *help;
};

#define CHANNEL_COUNTER(field, help) {offsetof(struct oc_analytics_figures, field), #field, help}

static const struct channel_counter channel_counters[] = {
    CHANNEL_COUNTER(placed, "Orders placed and accepted (held ones included)."),
    CHANNEL_COUNTER(rejected, "Places rejected."),
    CHANNEL_COUNTER(held, "Orders held for review."),
    CHANNEL_COUNTER(picks, "Picks confirmed."),
    CHANNEL_COUNTER(short_picks, "Short picks done."),
    CHANNEL_COUNTER(packs, "Packs done (quality check passed)."),
    CHANNEL_COUNTER(qc_failures, "Packs whose quality check failed."),
    CHANNEL_COUNTER(shipped, "Orders shipped."),
    CHANNEL_COUNTER(labels, "Parcels labelled."),
    CHANNEL_COUNTER(carrier_cents, "What the labels' carriers charge, cents."),
    CHANNEL_COUNTER(packed_lines, "Packing slip lines (for a handling cost per line)."),
};

/* A channel's figure: word `offset` of its published figures. */
static uint64_t figure(const struct oc_route_metrics *m, unsigned channel, size_t offset)
{
	return oc_metric_get(&m->by_channel[channel][offset / sizeof(uint64_t)]);
}

static double ratio(uint64_t good, uint64_t bad)
{
	return good + bad ? (double)good / (double)(good + bad) : 1.0;
}

static void channels(FILE *out, const struct oc_route_metrics *m)
{
	for (size_t i = 0; i < sizeof(channel_counters) / sizeof(channel_counters[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "channel_%s_total", channel_counters[i].name);
		family(out, name, "counter", channel_counters[i].help);
		for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++)
			fprintf(out, "ordercore_%s{channel=\"%s\"} %" PRIu64 "\n", name,
				oc_channel_name(c), figure(m, c, channel_counters[i].offset));
	}
	const size_t picks = offsetof(struct oc_analytics_figures, picks),
		     shorts = offsetof(struct oc_analytics_figures, short_picks),
		     packs = offsetof(struct oc_analytics_figures, packs),
		     failed = offsetof(struct oc_analytics_figures, qc_failures),
		     cents = offsetof(struct oc_analytics_figures, carrier_cents);
	family(out, "pick_accuracy_ratio", "gauge",
	       "Picks confirmed whole over picks and short picks (1 when none).");
	for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++)
		fprintf(out, "ordercore_pick_accuracy_ratio{channel=\"%s\"} %.6f\n",
			oc_channel_name(c), ratio(figure(m, c, picks), figure(m, c, shorts)));
	family(out, "pack_accuracy_ratio", "gauge",
	       "Packs whose quality check passed over all packs (1 when none).");
	for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++)
		fprintf(out, "ordercore_pack_accuracy_ratio{channel=\"%s\"} %.6f\n",
			oc_channel_name(c), ratio(figure(m, c, packs), figure(m, c, failed)));
	family(out, "carrier_cents_per_order", "gauge",
	       "Carriers' charges per order packed, cents (add a handling cost per packed line "
	       "for the fulfilment cost; 0 when none was packed).");
	for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++) {
		uint64_t n = figure(m, c, packs);
		fprintf(out, "ordercore_carrier_cents_per_order{channel=\"%s\"} %.3f\n",
			oc_channel_name(c), n ? (double)figure(m, c, cents) / (double)n : 0.0);
	}
	family(out, "cycle_time_seconds", "histogram",
	       "From an order's place to its shipment (orders placed in this process).");
	for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++) {
		uint64_t count = 0;
		for (uint32_t b = 0; b < OC_ANALYTICS_BUCKETS; b++) {
			count += figure(m, c, offsetof(struct oc_analytics_figures, cycle) +
						  b * sizeof(uint64_t));
			if (b <= CYCLE_BUCKET_LAST) /* bucket b: at most 2^(b+1) - 1 ms */
				fprintf(out,
					"ordercore_cycle_time_seconds_bucket{channel=\"%s\",le=\"%.12g\"} "
					"%" PRIu64 "\n",
					oc_channel_name(c),
					(double)((UINT64_C(2) << b) - 1) / 1000.0, count);
		}
		fprintf(out, "ordercore_cycle_time_seconds_bucket{channel=\"%s\",le=\"+Inf\"} %" PRIu64
			     "\n", oc_channel_name(c), count);
		fprintf(out, "ordercore_cycle_time_seconds_sum{channel=\"%s\"} %.3f\n",
			oc_channel_name(c),
			(double)figure(m, c, offsetof(struct oc_analytics_figures, cycle_ms_sum)) /
				1000.0);
		fprintf(out, "ordercore_cycle_time_seconds_count{channel=\"%s\"} %" PRIu64 "\n",
			oc_channel_name(c), count);
	}
	family(out, "shipments_untimed_total", "counter",
	       "Shipments of orders placed before this process started (no cycle time).");
	fprintf(out, "ordercore_shipments_untimed_total %" PRIu64 "\n", oc_metric_get(&m->untimed));
}

static void snapshots(FILE *out, const struct oc_snapshotter *s)
{
	family(out, "snapshots_total", "counter", "Snapshots written.");
	fprintf(out, "ordercore_snapshots_total %" PRIu64 "\n", oc_metric_get(&s->snapshots));
	family(out, "snapshot_failures_total", "counter",
	       "Snapshots abandoned after an error (the log keeps everything).");
	fprintf(out, "ordercore_snapshot_failures_total %" PRIu64 "\n",
		oc_metric_get(&s->failures));
	family(out, "snapshot_seq", "gauge", "Sequence number of the last snapshot written, 0: none.");
	fprintf(out, "ordercore_snapshot_seq %" PRIu64 "\n", oc_metric_get(&s->last_seq));
	family(out, "snapshot_write_seconds", "gauge",
	       "The last snapshot's time from its first part to its commit.");
	fprintf(out, "ordercore_snapshot_write_seconds %.6f\n",
		(double)oc_metric_get(&s->last_ns) * 1e-9);
	family(out, "snapshot_time_seconds", "gauge",
	       "When the last snapshot was committed, Unix seconds (0: none in this process).");
	fprintf(out, "ordercore_snapshot_time_seconds %" PRIu64 "\n",
		oc_metric_get(&s->last_unix_s));
}

static void route(FILE *out, const struct oc_engine *e)
{
	const struct oc_route_metrics *m = &e->route.metrics;
	for (size_t i = 0; i < ROUTE_COUNTERS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s_total", route_counters[i].name);
		family(out, name, "counter", route_counters[i].help);
		fprintf(out, "ordercore_%s %" PRIu64 "\n", name,
			oc_metric_get(&m->counter[route_counters[i].counter]));
	}
	family(out, "waves_released_total", "counter", "Pick waves released.");
	fprintf(out, "ordercore_waves_released_total %" PRIu64 "\n", oc_metric_get(&m->waves));
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
		fprintf(out, "ordercore_holds_by_rule_total{rule=\"%s\"} %" PRIu64 "\n",
			oc_reject_reason_name(k), oc_metric_get(&m->held[k]));
	family(out, "orders_in_state", "gauge",
	       "Orders by their state now (rejected places included; returns not).");
	for (unsigned k = 1; k < OC_STATE_COUNT; k++)
		fprintf(out, "ordercore_orders_in_state{state=\"%s\"} %" PRIu64 "\n",
			oc_order_state_name(k), oc_metric_get(&m->in_state[k]));
	channels(out, m);
	family(out, "order_records", "gauge",
	       "Order records used (orders, stock changes, refunds, returns: one a decided "
	       "command that keeps a record; never reused).");
	fprintf(out, "ordercore_order_records %" PRIu64 "\n", oc_metric_get(&m->records));
	family(out, "order_records_max", "gauge",
	       "Order records the engine holds (orders_max): past them, commands are refused "
	       "(capacity).");
	fprintf(out, "ordercore_order_records_max %u\n", e->route.orders_max);
	family(out, "decided_seq", "gauge", "Sequence number of the last command route decided.");
	fprintf(out, "ordercore_decided_seq %" PRIu64 "\n",
		atomic_load_explicit(&e->route.done_seq, memory_order_relaxed));
	family(out, "shard_lines_reserved_total", "counter", "Lines a shard reserved.");
	for (uint32_t s = 0; s < e->shards; s++)
		fprintf(out, "ordercore_shard_lines_reserved_total{shard=\"%u\"} %" PRIu64 "\n", s,
			oc_metric_get(&e->shard[s].reserved_lines));
	family(out, "shard_skus_sold_out", "gauge",
	       "SKUs of the shard sold out to orders: no unit available past the safety stock.");
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
	family(out, "start_time_seconds", "gauge", "When the engine was created, Unix seconds.");
	fprintf(out, "ordercore_start_time_seconds %" PRIu64 "\n", e->created_unix_s);
	stages(out, e);
	workers(out, e);
	rings(out, e);
	if (e->journaled) {
		journal(out, e);
		snapshots(out, &e->snapshotter);
	}
	route(out, e);
	return ferror(out) ? -EIO : 0;
}

int oc_engine_health(const struct oc_engine *e)
{
	return e->journaled && atomic_load_explicit(&e->journal.failed, memory_order_relaxed)
		       ? -EIO
		       : 0;
}
