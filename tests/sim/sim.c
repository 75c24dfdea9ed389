/* sim.c: ordercore-sim, the deterministic simulation (docs/reliability.md, "Deterministic
 * simulation"). One seed drives everything: the engine runs with no thread of its own
 * (oc_engine_test_start_stepped: one worker's turns, run here), time is a simulated clock
 * (core/clock.h) that moves only when this program moves it, and the log writes to a disk
 * that fails and forgets on purpose (sim_disk.c). So a seed is one exact history, and a
 * failing seed fails the same way every time it is run.
 *
 * A run is a workload (places, prepaid and by card, cancels, payments, fulfilment steps,
 * refunds, exceptions, returns, restocks, write-offs, queries, retries of earlier keys; pick
 * waves in half the runs) carried through several lives of the process. A life ends in a
 * crash (during a chosen write, or between two bursts), after an injected EIO or ENOSPC on a
 * write or a sync, or cleanly; the next life recovers from what the crash left, retries what
 * was never answered (as a client would, with the same keys), and goes on; the last life has
 * no fault. The checks:
 *  - at every recovery: every command the disk made durable is recovered, and (sync mode)
 *    every acknowledged command; nothing is recovered that was not submitted;
 *  - at every answer: sync mode answers only commands the disk has made durable, async mode
 *    only commands it has been given;
 *  - at the end: the log, recovered once more, gives the same state hash as a fault-free
 *    in-memory engine fed the same history (commands, timestamps, the sequencer's ticks),
 *    and every answer a client received, asked for or not (a lease's expiry, a wave's pick
 *    list), equals that engine's; stock is conserved
 *    (on hand = initial + restocked - written off - shipped, allocated = the units of the
 *    orders accepted and not cancelled or shipped, per SKU) and never oversold (allocated <=
 *    on hand).
 * The scratch directory holds the dataset and a data directory per seed, data.<seed>,
 * removed when the seed passes (a failed seed's stays, to look at). Usage: ordercore-sim
 * --help. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "engine_test.h"
#include "ordercore/ordercore.h"
#include "oc_test.h"
#include "sim_disk.h"
#include "stages/stages_internal.h" /* OC_CMD_TICK */

/* Commands a client sends in one burst, at most. */
#define SIM_BURST_MAX 8u
/* Lives of a run with faults, at most, before the fault-free last one. */
#define SIM_FAULTY_LIVES_MAX 3u
/* Turns without progress after which a drain is reported as a hang. */
#define SIM_STALL_TURNS 10000u
/* Simulated time between two bursts, at most, milliseconds. */
#define SIM_GAP_MS_MAX 20u
/* The simulated clock's start: 2026-01-01T00:00:00Z, nanoseconds. */
#define SIM_EPOCH_NS 1767225600000000000ull
/* The dataset: small, so that orders meet empty shelves and purchase limits. */
#define SIM_SKUS 12u
#define SIM_WAREHOUSES 3u
#define SIM_STOCK_PER_SKU 30u
#define SIM_CUSTOMERS 24u
#define SIM_OPERATOR 900001u
/* A card order's payment lease, simulated milliseconds: some run out between bursts. */
#define SIM_LEASE_TTL_MS 150u
/* Pick waves, in the runs that have them: orders a wave, and the cutoffs (simulated ms) of an
 * order of any speed and of one asking for at most 2 days in transit. */
#define SIM_WAVE_ORDERS 4u
#define SIM_WAVE_CUTOFF_MS 300u
#define SIM_WAVE_EXPRESS_CUTOFF_MS 100u

static const char usage[] =
	"usage: ordercore-sim [--seeds N] [--first SEED] [--seed SEED] [--commands N]\n"
	"                     [--dir DIR] [--twice] [--verbose]\n"
	"Runs the engine single-threaded on a simulated clock and a disk that fails and forgets\n"
	"on purpose, one history per seed, and checks every history (docs/reliability.md).\n"
	"  --seeds N      seeds to run (default 100), from --first (default 1)\n"
	"  --seed SEED    run this one seed and say what happened (--verbose)\n"
	"  --commands N   client commands in a run (default 300)\n"
	"  --dir DIR      scratch directory (default: a new one under $TMPDIR or /tmp, removed)\n"
	"  --twice        run each seed twice and require the same trace (determinism)\n"
	"  --verbose      say what each life did, and show the engine's log\n"
	"Exit status: 0 every seed passed, 1 a seed failed (its number is printed: rerun it with\n"
	"--seed), 2 bad usage or set-up.\n";

static uint64_t sim_now_ns = SIM_EPOCH_NS;
static uint64_t sim_clock(void) { return sim_now_ns; }

struct answer {
	bool have;
	bool retried; /* answered unavailable: the client has queued it again */
	struct oc_response r;
};

/* One order the workload placed (whatever the engine answered). */
struct placed {
	uint64_t key, customer;
	uint8_t next_step; /* the fulfilment step the client sends next (usually in order) */
	bool card;         /* paid by card: the payment's answer comes first */
	uint8_t line_count;
	struct oc_line lines[3];
};

struct run {
	uint64_t seed, rng;
	const char *data_dir;
	const char *dataset_dir;
	const struct oc_dataset *data;
	uint32_t durability;
	uint32_t wave_orders_max; /* 0: no waves */
	bool verbose;
	struct sim_disk disk;
	/* The history: stream[i] is the command sequenced at i + 1 (while it lasts: a crash
	 * cuts it back to what was recovered); acked[i] what a client was answered for it. */
	struct oc_command *stream;
	struct answer *acked;
	uint64_t stream_len, stream_cap, acked_cap;
	/* The client: commands to send, those sent and not answered yet. */
	struct oc_command *todo; /* retries first, then new ones */
	uint32_t todo_count;
	uint64_t todo_cap;
	uint64_t generated, commands;
	uint64_t next_key;
	struct placed *placed;
	uint32_t placed_count;
	struct placed *rmas; /* returns requested: key and customer */
	uint32_t rma_count;
	uint64_t placed_cap, rma_cap;
	/* Totals for the report. */
	/* Answers nobody asked for (a lease's expiry, a wave's pick list) that a client was
	 * told. */
	struct oc_response *told;
	uint64_t told_count, told_cap;
	uint64_t lives, acks, unavailable, async_lost_acks, retries, ticks;
	uint64_t expiries, pick_rows, waves; /* the fault-free engine's */
	uint64_t done[OC_CMD_QUERY_COUNTERS + 1]; /* commands the reference engine carried out
						   * (accepted or cancelled, not duplicates), by type */
	uint64_t trace;
	char failure[512];
};

static bool failf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool failf(struct run *r, const char *fmt, ...)
{
	if (r->failure[0])
		return false; /* the first failure is the one to read */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
	va_end(ap);
	return false;
}

static void *grow(void *p, uint64_t *cap, uint64_t need, size_t each)
{
	if (need <= *cap)
		return p;
	uint64_t n = *cap ? *cap * 2 : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * each);
	if (!q) {
		perror("ordercore-sim");
		exit(2);
	}
	memset((char *)q + *cap * each, 0, (n - *cap) * each);
	*cap = n;
	return q;
}

static void trace_mix(struct run *r, uint64_t a, uint64_t b)
{
	uint64_t s = r->trace ^ (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
	r->trace = oc_rand_next(&s);
}

static void todo_push(struct run *r, const struct oc_command *c)
{
	r->todo = grow(r->todo, &r->todo_cap, (uint64_t)r->todo_count + 1, sizeof(*r->todo));
	r->todo[r->todo_count++] = *c;
}

static uint64_t pick_sku(struct run *r)
{
	/* Half the lines go to the first few SKUs: contention on their stock and limits. */
	uint32_t i = oc_rand_below(&r->rng, 2) ? oc_rand_below(&r->rng, 3)
					       : oc_rand_below(&r->rng, r->data->sku_count);
	return r->data->skus[i].sku;
}

/* The client's next new command, drawn from the run's generator. */
static void generate(struct run *r, struct oc_command *c)
{
	memset(c, 0, sizeof(*c));
	uint32_t dice = oc_rand_below(&r->rng, 100);
	struct placed *p = NULL;
	if (r->placed_count) /* the last 8 orders more often than the rest */
		p = &r->placed[r->placed_count - 1 -
			       oc_rand_below(&r->rng, r->placed_count < 8 || !oc_rand_below(&r->rng, 4)
							      ? r->placed_count
							      : 8)];
	if (dice < 30 || !p) {
		c->type = OC_CMD_PLACE;
		c->key = r->next_key++;
		c->customer = 1 + oc_rand_below(&r->rng, SIM_CUSTOMERS);
		c->region = (uint16_t)oc_rand_below(&r->rng, r->data->region_count);
		c->flags = OC_PLACE_CHANNEL(1 + oc_rand_below(&r->rng, OC_CHANNEL_COUNT - 1));
		if (oc_rand_below(&r->rng, 10) < 3)
			c->flags |= OC_PLACE_CARD; /* its lease may run out: ticks, expiries */
		if (oc_rand_below(&r->rng, 5) == 0)
			c->flags |= OC_PLACE_DAYS(2); /* express: the shorter wave cutoff */
		c->line_count = (uint8_t)(1 + oc_rand_below(&r->rng, 3));
		for (uint8_t l = 0; l < c->line_count; l++) {
			c->lines[l].sku = pick_sku(r);
			for (uint8_t k = 0; k < l; k++)
				if (c->lines[k].sku == c->lines[l].sku)
					c->lines[l].sku = 0; /* a repeated SKU: taken out below */
			c->lines[l].quantity = 1 + oc_rand_below(&r->rng, 3);
		}
		uint8_t n = 0;
		for (uint8_t l = 0; l < c->line_count; l++)
			if (c->lines[l].sku)
				c->lines[n++] = c->lines[l];
		c->line_count = n;
		r->placed = grow(r->placed, &r->placed_cap, (uint64_t)r->placed_count + 1,
				 sizeof(*r->placed));
		struct placed *np = &r->placed[r->placed_count++];
		np->key = c->key;
		np->customer = c->customer;
		np->line_count = c->line_count;
		np->next_step = 0;
		np->card = c->flags & OC_PLACE_CARD;
		memcpy(np->lines, c->lines, sizeof(np->lines));
	} else if (dice < 36) {
		c->type = OC_CMD_CANCEL;
		c->key = p->key;
		c->customer = oc_rand_below(&r->rng, 10) ? p->customer : p->customer + 1;
	} else if (dice < 66) {
		static const uint8_t steps[] = {OC_CMD_PAYMENT_AUTHORIZED, OC_CMD_PICK_CONFIRMED,
						OC_CMD_PACK_CONFIRMED, OC_CMD_SHIPPED,
						OC_CMD_DELIVERED};
		/* Mostly the next step (the payment's answer, a pick, a pack...), sometimes one
		 * out of order; a card payment is now and then declined. */
		uint8_t first = p->card ? 0 : 1;
		if (p->next_step < first)
			p->next_step = first;
		uint8_t step = oc_rand_below(&r->rng, 8) ? p->next_step
							 : first + oc_rand_below(&r->rng, 5 - first);
		if (p->next_step < 4)
			p->next_step++;
		c->type = steps[step];
		if (c->type == OC_CMD_PAYMENT_AUTHORIZED && !oc_rand_below(&r->rng, 8))
			c->type = OC_CMD_PAYMENT_DECLINED;
		c->key = p->key;
		c->customer = p->customer;
	} else if (dice < 69) {
		c->type = OC_CMD_REFUND;
		c->key = r->next_key++;
		c->customer = p->customer;
		c->order_key = p->key;
	} else if (dice < 72) {
		c->type = OC_CMD_DELIVERY_EXCEPTION;
		c->key = p->key;
		c->customer = p->customer;
		c->flags = oc_rand_below(&r->rng, 2) ? OC_EXCEPTION_LOST : OC_EXCEPTION_DAMAGED;
	} else if (dice < 76) {
		c->type = OC_CMD_RETURN_REQUESTED;
		c->key = r->next_key++;
		c->customer = p->customer;
		c->order_key = p->key;
		c->flags = 1 + oc_rand_below(&r->rng, OC_RETURN_OTHER);
		c->line_count = 1;
		c->lines[0] = p->lines[0];
		c->lines[0].quantity = 1 + oc_rand_below(&r->rng, p->lines[0].quantity);
		r->rmas = grow(r->rmas, &r->rma_cap, (uint64_t)r->rma_count + 1, sizeof(*r->rmas));
		r->rmas[r->rma_count++] = (struct placed){.key = c->key, .customer = c->customer};
	} else if (dice < 79 && r->rma_count) {
		const struct placed *rma = &r->rmas[oc_rand_below(&r->rng, r->rma_count)];
		c->type = OC_CMD_RETURN_RECEIVED;
		c->key = rma->key;
		c->customer = rma->customer;
		c->flags = oc_rand_below(&r->rng, 2) ? OC_RETURN_RESTOCK : 0;
	} else if (dice < 90) {
		c->type = dice < 86 ? OC_CMD_RESTOCK : OC_CMD_WRITE_OFF;
		c->key = r->next_key++;
		c->customer = SIM_OPERATOR;
		c->region = (uint16_t)oc_rand_below(&r->rng, r->data->warehouse_count);
		c->line_count = 1;
		c->lines[0].sku = pick_sku(r);
		c->lines[0].quantity = 1 + oc_rand_below(&r->rng, c->type == OC_CMD_RESTOCK ? 10 : 4);
	} else if (dice < 95) {
		c->type = OC_CMD_QUERY_ORDER;
		c->key = p->key;
		c->customer = p->customer;
	} else {
		c->type = OC_CMD_QUERY_STOCK;
		c->key = r->next_key++;
		c->customer = SIM_OPERATOR;
		c->line_count = 1;
		c->lines[0].sku = pick_sku(r);
	}
}

/* Takes every answer there is; checks each against what the disk has been given. */
static bool poll_all(struct run *r, struct oc_engine *e)
{
	struct oc_response out[64];
	int n;
	while ((n = oc_engine_poll_burst(e, out, 64)) > 0) {
		for (int i = 0; i < n; i++) {
			const struct oc_response *a = &out[i];
			trace_mix(r, a->seq, (uint64_t)a->status << 8 | a->reason);
			if (a->seq == 0 || a->seq > r->stream_len)
				return failf(r, "an answer for seq %" PRIu64 ", never submitted",
					     a->seq);
			if ((a->flags & OC_RESPONSE_ROW) && !(a->flags & OC_RESPONSE_UNSOLICITED))
				return failf(r, "an unexpected row at seq %" PRIu64, a->seq);
			if (a->reason == OC_REJECT_UNAVAILABLE) {
				r->unavailable++;
				r->acked[a->seq - 1].retried = true;
				todo_push(r, &r->stream[a->seq - 1]); /* the client retries it */
				r->retries++;
				continue;
			}
			uint64_t bound = r->durability == OC_DURABILITY_SYNC ? r->disk.durable_seq
									     : r->disk.written_seq;
			if (a->seq > bound)
				return failf(r, "seq %" PRIu64 " answered before the disk had it %s "
					     "(disk: %" PRIu64 ")", a->seq,
					     r->durability == OC_DURABILITY_SYNC ? "synced" : "written",
					     bound);
			if (a->flags & OC_RESPONSE_UNSOLICITED) { /* an expiry, a wave's pick list */
				r->told = grow(r->told, &r->told_cap, r->told_count + 1,
					       sizeof(*r->told));
				r->told[r->told_count++] = *a;
				continue;
			}
			struct answer *slot = &r->acked[a->seq - 1];
			if (slot->have)
				return failf(r, "seq %" PRIu64 " answered twice", a->seq);
			slot->have = true;
			slot->r = *a;
			r->acks++;
		}
	}
	return n < 0 ? failf(r, "poll: %d", n) : true;
}

/* Appends the next sequenced command to the history. */
static void stream_push(struct run *r, const struct oc_command *c)
{
	r->stream = grow(r->stream, &r->stream_cap, r->stream_len + 1, sizeof(*r->stream));
	r->acked = grow(r->acked, &r->acked_cap, r->stream_len + 1, sizeof(*r->acked));
	r->stream[r->stream_len++] = *c;
}

/* The sequencer's own commands up to seq (not included): ticks, the only kind it makes
 * here (no snapshots), stamped with the burst's time. */
static void ticks_until(struct run *r, uint64_t seq)
{
	while (r->stream_len + 1 < seq) {
		struct oc_command tick = {.type = OC_CMD_TICK, .seq = r->stream_len + 1,
					  .ts_ns = sim_now_ns};
		stream_push(r, &tick);
		r->ticks++;
	}
}

/* Sends one burst; true when it went in (or the process died meanwhile). */
static bool submit_burst(struct run *r, struct oc_engine *e, struct oc_command *burst,
			 uint32_t n)
{
	uint32_t sent = 0, idle = 0;
	while (sent < n && !r->disk.crashed) {
		int k = oc_engine_try_submit_burst(e, burst + sent, n - sent);
		for (int i = 0; i < k; i++) {
			const struct oc_command *c = &burst[sent + (uint32_t)i];
			if (i == 0)
				ticks_until(r, c->seq);
			if (c->seq != r->stream_len + 1)
				return failf(r, "the sequencer gave seq %" PRIu64 ", not %" PRIu64,
					     c->seq, r->stream_len + 1);
			stream_push(r, c);
		}
		ticks_until(r, oc_engine_test_last_seq(e) + 1); /* one that admitted nothing */
		sent += (uint32_t)k;
		if (sent < n) { /* the admission window is full: let the pipeline move */
			if (!oc_engine_test_step(e) && ++idle > SIM_STALL_TURNS)
				return failf(r, "submit stalled");
			if (!r->disk.crashed && !poll_all(r, e))
				return false;
		}
	}
	return true;
}

/* Answers outstanding in this life: sent, not yet answered. */
static bool all_answered(const struct run *r, uint64_t life_first_seq)
{
	for (uint64_t s = life_first_seq; s <= r->stream_len; s++)
		if (!r->acked[s - 1].have && !r->acked[s - 1].retried &&
		    r->stream[s - 1].type != OC_CMD_TICK)
			return false;
	return true;
}

static struct oc_engine *engine_open(struct run *r, bool journaled)
{
	struct oc_config c;
	oc_config_init(&c);
	c.dataset_dir = r->dataset_dir;
	c.threads = 1;
	c.shards = 2;
	c.inflight_max = 64;
	c.orders_max = 4096;
	c.pin_threads = 0;
	if (journaled) {
		c.data_dir = r->data_dir;
		c.durability = r->durability;
		c.fsync_interval_ms = 5;
		c.wal_segment_bytes = 64u << 10; /* the least: a run rolls over segments */
	}
	c.lease_ttl_ms = SIM_LEASE_TTL_MS;
	c.wave_orders_max = r->wave_orders_max;
	c.wave_cutoff_ms = SIM_WAVE_CUTOFF_MS;
	c.wave_express_cutoff_ms = SIM_WAVE_EXPRESS_CUTOFF_MS;
	c.snapshot_records = 0; /* the snapshot writer is a thread: not simulated */
	c.snapshot_interval_ms = 0;
	c.snapshot_on_stop = 0;
	struct oc_engine *e = NULL;
	char err[512] = "";
	int rc = oc_engine_create(&c, &e, err, sizeof(err));
	if (rc) {
		failf(r, "%s engine refused to start: %s", journaled ? "recovering" : "reference",
		      err);
		return NULL;
	}
	if ((rc = oc_engine_test_start_stepped(e)) != 0) {
		failf(r, "start: %s", strerror(-rc));
		oc_engine_free(e);
		return NULL;
	}
	return e;
}

/* The start of a life: recovery, and what it must have kept. */
static struct oc_engine *recover(struct run *r)
{
	struct oc_engine *e = engine_open(r, true);
	if (!e)
		return NULL;
	struct oc_stats st;
	oc_engine_stats(e, &st);
	uint64_t rec = st.recovered;
	trace_mix(r, 0xfeed, rec);
	if (r->verbose)
		printf("  life %" PRIu64 ": recovered %" PRIu64 " of %" PRIu64 " sequenced (disk: "
		       "%" PRIu64 " durable, %" PRIu64 " written)\n", r->lives, rec, r->stream_len,
		       r->disk.durable_seq, r->disk.written_seq);
	if (rec > r->stream_len) {
		failf(r, "recovered %" PRIu64 " commands; only %" PRIu64 " were sequenced", rec,
		      r->stream_len);
	} else if (rec < r->disk.durable_seq) {
		failf(r, "recovered %" PRIu64 " commands; the disk had made %" PRIu64 " durable",
		      rec, r->disk.durable_seq);
	}
	for (uint64_t s = rec + 1; s <= r->stream_len && !r->failure[0]; s++) {
		struct answer *a = &r->acked[s - 1];
		if (r->stream[s - 1].type == OC_CMD_TICK) {
			/* the sequencer's own: nobody retries it */
		} else if (!a->have && !a->retried) {
			todo_push(r, &r->stream[s - 1]); /* never answered: the client retries */
			r->retries++;
		} else if (!a->have) {
			/* answered unavailable: already queued again */
		} else if (r->durability == OC_DURABILITY_SYNC) {
			failf(r, "seq %" PRIu64 " (%s, key %" PRIu64 ") was acknowledged and is "
			      "not recovered (recovered %" PRIu64 ")", s,
			      oc_command_type_name(r->stream[s - 1].type), r->stream[s - 1].key, rec);
		} else {
			r->async_lost_acks++; /* async: acknowledged before its sync, then lost */
		}
		*a = (struct answer){0};
	}
	for (uint64_t i = 0; i < r->told_count && !r->failure[0]; i++)
		if (r->told[i].seq > rec && r->durability == OC_DURABILITY_SYNC)
			failf(r, "an unsolicited answer told at seq %" PRIu64 " is not recovered "
			      "(recovered %" PRIu64 ")", r->told[i].seq, rec);
	while (r->told_count && r->told[r->told_count - 1].seq > rec)
		r->told_count--; /* async: lost with the commands they came with */
	if (r->failure[0]) {
		oc_engine_free(e);
		return NULL;
	}
	r->stream_len = rec;
	r->disk.written_seq = r->disk.durable_seq = rec;
	return e;
}

/* One life: recovery, then bursts until the plan's crash, a fault's aftermath, or the end
 * of the workload (then a clean stop). */
static bool live(struct run *r, const struct sim_disk_plan *plan, uint64_t crash_after_burst)
{
	sim_disk_arm(&r->disk, plan);
	r->lives++;
	struct oc_engine *e = recover(r);
	if (!e)
		return false;
	/* Retries go first, oldest first (they were queued in seq order). */
	uint64_t first_seq = r->stream_len + 1, bursts = 0, since_fault = 0;
	struct oc_command burst[SIM_BURST_MAX];
	bool ok = true;
	while (ok && !r->disk.crashed) {
		if (r->todo_count == 0 && r->generated < r->commands) {
			struct oc_command c;
			generate(r, &c);
			r->generated++;
			todo_push(r, &c);
		}
		if (r->todo_count == 0)
			break;
		uint32_t n = 1 + oc_rand_below(&r->rng, SIM_BURST_MAX);
		while (r->todo_count < n && r->generated < r->commands) {
			struct oc_command c;
			generate(r, &c);
			r->generated++;
			todo_push(r, &c);
		}
		if (n > r->todo_count)
			n = r->todo_count;
		memcpy(burst, r->todo, n * sizeof(*burst));
		memmove(r->todo, r->todo + n, (r->todo_count - n) * sizeof(*r->todo));
		r->todo_count -= n;
		for (uint32_t i = 0; i < n; i++)
			burst[i].seq = burst[i].ts_ns = 0;
		sim_now_ns += (uint64_t)oc_rand_below(&r->rng, SIM_GAP_MS_MAX * 1000u) * 1000u;
		ok = submit_burst(r, e, burst, n);
		uint32_t turns = oc_rand_below(&r->rng, 4);
		for (uint32_t t = 0; ok && t < turns && !r->disk.crashed; t++) {
			oc_engine_test_step(e);
			if (!r->disk.crashed)
				ok = poll_all(r, e);
		}
		bursts++;
		if (r->disk.failed)
			since_fault++;
		if (ok && !r->disk.crashed &&
		    (bursts == crash_after_burst || since_fault > 3)) /* an operator restarts */
			sim_disk_crash(&r->disk);
	}
	if (ok && !r->disk.crashed) { /* the workload is done: answer everything, stop */
		uint32_t idle = 0;
		while (ok && !all_answered(r, first_seq) && !r->disk.crashed) {
			idle = oc_engine_test_step(e) ? 0 : idle + 1;
			ok = poll_all(r, e);
			if (idle > SIM_STALL_TURNS)
				ok = failf(r, "the pipeline stalled with commands unanswered");
		}
		if (ok && !r->disk.crashed) {
			int rc = oc_engine_stop(e);
			if (rc)
				ok = failf(r, "stop: %s", strerror(-rc));
		}
	}
	oc_engine_free(e); /* after a crash: the dead process's memory, answers and all */
	/* A failed disk keeps writes unsynced past a clean stop: the restart that follows is
	 * read as a power cut, since a failed sync may have dropped their pages. */
	if (!r->disk.crashed && r->disk.pending_count)
		sim_disk_crash(&r->disk);
	return ok;
}

/* What the units of each SKU should be, from the reference engine's answers. */
struct tally {
	int64_t on_hand_delta;
	int64_t allocated;
};

struct order_state {
	uint64_t key;
	bool live, shipped;
	const struct oc_command *place;
};

static int sku_index(const struct run *r, uint64_t sku)
{
	return oc_dataset_sku_index(r->data, sku);
}

static struct order_state *order_of(struct order_state *orders, uint32_t count, uint64_t key)
{
	for (uint32_t i = 0; i < count; i++)
		if (orders[i].key == key)
			return &orders[i];
	return NULL;
}

static void order_units(const struct run *r, const struct oc_command *place, struct tally *t,
			int64_t sign_alloc, int64_t sign_hand)
{
	for (uint8_t l = 0; l < place->line_count; l++) {
		int i = sku_index(r, place->lines[l].sku);
		t[i].allocated += sign_alloc * place->lines[l].quantity;
		t[i].on_hand_delta += sign_hand * place->lines[l].quantity;
	}
}

static bool same_answer(const struct oc_response *a, const struct oc_response *b)
{
	return a->seq == b->seq && a->key == b->key && a->original_seq == b->original_seq &&
	       a->customer == b->customer && a->ts_ms == b->ts_ms && a->type == b->type &&
	       a->status == b->status && a->reason == b->reason && a->flags == b->flags &&
	       a->shipments == b->shipments && a->warehouse == b->warehouse &&
	       a->state == b->state && a->payment == b->payment &&
	       a->amount_cents == b->amount_cents && a->refunded_cents == b->refunded_cents;
}

/* What an answer of the fault-free engine does to the units (an order's, an RMA's, a stock
 * change's; an expiry nobody asked for too). c is the command answered, NULL for an expiry. */
static void tally_answer(const struct run *r, struct tally *t, struct order_state *orders,
			 uint32_t *order_count, const struct oc_command *c,
			 const struct oc_response *a)
{
	if (a->flags & OC_RESPONSE_DUPLICATE)
		return;
	struct order_state *o = order_of(orders, *order_count, a->key);
	bool accepted = a->status == OC_STATUS_ACCEPTED;
	if (c && c->type == OC_CMD_PLACE && accepted && !o) {
		orders[(*order_count)++] = (struct order_state){a->key, true, false, c};
		order_units(r, c, t, +1, 0);
	} else if (o && o->place->type == OC_CMD_PLACE && o->live && !o->shipped &&
		   a->state == OC_STATE_CANCELLED) { /* a cancel, a declined payment, an expiry */
		o->live = false;
		order_units(r, o->place, t, -1, 0);
	} else if (c && c->type == OC_CMD_SHIPPED && accepted && o && o->live && !o->shipped) {
		o->shipped = true;
		order_units(r, o->place, t, -1, -1);
	} else if (c && c->type == OC_CMD_RETURN_REQUESTED && accepted && !o) {
		orders[(*order_count)++] = (struct order_state){a->key, true, false, c};
	} else if (c && c->type == OC_CMD_RETURN_RECEIVED && accepted && o &&
		   o->place->type == OC_CMD_RETURN_REQUESTED && (c->flags & OC_RETURN_RESTOCK)) {
		order_units(r, o->place, t, 0, +1); /* back on hand */
	} else if (c && (c->type == OC_CMD_RESTOCK || c->type == OC_CMD_WRITE_OFF) && accepted) {
		int i = sku_index(r, c->lines[0].sku);
		t[i].on_hand_delta +=
			(c->type == OC_CMD_RESTOCK ? 1 : -1) * (int64_t)c->lines[0].quantity;
	}
}

/* The fault-free engine's unsolicited answers (expiries, pick lists), in its order. */
struct unsolicited {
	struct oc_response *a;
	uint64_t count, cap;
};

/* Takes the fault-free engine's answers until the one to seq (0: until none is left). */
static bool reference_poll(struct run *r, struct oc_engine *ref, uint64_t seq,
			   struct oc_response *own, struct unsolicited *x)
{
	uint32_t idle = 0;
	for (;;) {
		struct oc_response a;
		int n = oc_engine_poll_burst(ref, &a, 1);
		if (n < 0)
			return failf(r, "reference poll: %d", n);
		if (n == 0) {
			if (seq == 0)
				return true;
			if (!oc_engine_test_step(ref) && ++idle > SIM_STALL_TURNS)
				return failf(r, "the reference engine did not answer seq %" PRIu64, seq);
			continue;
		}
		if (a.flags & OC_RESPONSE_UNSOLICITED) {
			x->a = grow(x->a, &x->cap, x->count + 1, sizeof(*x->a));
			x->a[x->count++] = a;
			continue;
		}
		if (a.seq != seq)
			return failf(r, "the reference answered seq %" PRIu64 " for %" PRIu64, a.seq,
				     seq);
		*own = a;
		return true;
	}
}

/* The end of a run: the log once more, beside a fault-free engine fed the same history. */
static bool verify(struct run *r)
{
	struct sim_disk_plan none = {0};
	sim_disk_arm(&r->disk, &none);
	struct oc_engine *e = engine_open(r, true);
	if (!e)
		return false;
	struct oc_stats st;
	oc_engine_stats(e, &st);
	if (st.recovered != r->stream_len) {
		oc_engine_free(e);
		return failf(r, "after a clean stop, recovered %" PRIu64 " of %" PRIu64,
			     st.recovered, r->stream_len);
	}
	int rc = oc_engine_stop(e);
	uint64_t hash = oc_engine_state_hash(e);

	struct oc_engine *ref = engine_open(r, false);
	if (!ref) {
		oc_engine_free(e);
		return false;
	}
	oc_engine_test_feed_history(ref); /* the same timestamps, the same ticks */
	struct tally *t = calloc(r->data->sku_count, sizeof(*t));
	struct order_state *orders =
		calloc(r->placed_count + r->rma_count + 1, sizeof(*orders)); /* orders and RMAs */
	uint32_t order_count = 0;
	struct unsolicited x = {0};
	uint64_t x_done = 0;
	bool ok = rc == 0 || failf(r, "stop after recovery: %s", strerror(-rc));
	for (uint64_t s = 1; ok && s <= r->stream_len; s++) {
		const struct oc_command *sc = &r->stream[s - 1];
		struct oc_command c = *sc;
		uint32_t idle = 0;
		while (ok && oc_engine_try_submit_burst(ref, &c, 1) == 0)
			if (!oc_engine_test_step(ref) && ++idle > SIM_STALL_TURNS)
				ok = failf(r, "the reference engine stalled");
		if (!ok || c.type == OC_CMD_TICK) /* a tick has no answer of its own */
			continue;
		struct oc_response a;
		ok = reference_poll(r, ref, s, &a, &x);
		for (; ok && x_done < x.count; x_done++)
			tally_answer(r, t, orders, &order_count, NULL, &x.a[x_done]);
		if (!ok)
			break;
		if (r->acked[s - 1].have && !same_answer(&r->acked[s - 1].r, &a))
			ok = failf(r, "seq %" PRIu64 " (%s key %" PRIu64 "): answered %s/%s, a "
				   "fault-free engine answers %s/%s", s, oc_command_type_name(c.type),
				   c.key, oc_status_name(r->acked[s - 1].r.status),
				   oc_reject_reason_name(r->acked[s - 1].r.reason),
				   oc_status_name(a.status), oc_reject_reason_name(a.reason));
		if (a.status != OC_STATUS_REJECTED && !(a.flags & OC_RESPONSE_DUPLICATE) &&
		    c.type <= OC_CMD_QUERY_COUNTERS)
			r->done[c.type]++;
		tally_answer(r, t, orders, &order_count, sc, &a);
	}
	if (ok && (rc = oc_engine_stop(ref)) != 0)
		ok = failf(r, "reference stop: %s", strerror(-rc));
	struct oc_stats ref_stats;
	oc_engine_stats(ref, &ref_stats);
	r->waves += ref_stats.waves;
	struct oc_response none_own;
	if (ok)
		ok = reference_poll(r, ref, 0, &none_own, &x); /* what a last tick released */
	for (; ok && x_done < x.count; x_done++)
		tally_answer(r, t, orders, &order_count, NULL, &x.a[x_done]);
	for (uint64_t j = 0; j < x.count; j++) {
		if (x.a[j].flags & OC_RESPONSE_ROW)
			r->pick_rows++;
		else
			r->expiries++;
	}
	/* Every unsolicited answer a client was told, the fault-free engine gave too, the same,
	 * in the same order. */
	for (uint64_t i = 0, j = 0; ok && i < r->told_count; i++, j++) {
		while (j < x.count && !same_answer(&x.a[j], &r->told[i]))
			j++;
		if (j == x.count)
			ok = failf(r, "an unsolicited answer (order %" PRIu64 ", seq %" PRIu64 ", flags "
				   "%#x) a client was told is not the fault-free engine's",
				   r->told[i].key, r->told[i].seq, r->told[i].flags);
	}
	if (ok && oc_engine_state_hash(ref) != hash)
		ok = failf(r, "state hash %016" PRIx64 " after recovery, %016" PRIx64 " without "
			   "faults", hash, oc_engine_state_hash(ref));
	for (uint32_t i = 0; ok && i < r->data->sku_count; i++) {
		struct oc_stock got;
		uint64_t sku = r->data->skus[i].sku;
		if (oc_engine_stock(e, sku, &got) != 0) {
			ok = failf(r, "sku %" PRIu64 ": no stock", sku);
			break;
		}
		int64_t want_hand = (int64_t)got.initial + t[i].on_hand_delta;
		if ((int64_t)got.on_hand != want_hand || (int64_t)got.allocated != t[i].allocated)
			ok = failf(r, "sku %" PRIu64 ": on hand %" PRIu64 ", allocated %" PRIu64
				   "; the answers make it %" PRId64 " and %" PRId64, sku,
				   got.on_hand, got.allocated, want_hand, t[i].allocated);
		else if (got.allocated > got.on_hand || got.available + got.allocated != got.on_hand)
			ok = failf(r, "sku %" PRIu64 ": oversold: on hand %" PRIu64 ", allocated "
				   "%" PRIu64 ", available %" PRIu64, sku, got.on_hand, got.allocated,
				   got.available);
	}
	trace_mix(r, 0xabcd, hash);
	free(x.a);
	free(t);
	free(orders);
	oc_engine_free(ref);
	oc_engine_free(e);
	return ok;
}

/* One seed, start to end. Fills r->failure when a check fails. */
static bool run_seed(struct run *r)
{
	sim_now_ns = SIM_EPOCH_NS;
	r->rng = r->seed * 0x2545f4914f6cdd1dull + 1;
	r->durability = oc_rand_below(&r->rng, 4) ? OC_DURABILITY_SYNC : OC_DURABILITY_ASYNC;
	r->wave_orders_max = oc_rand_below(&r->rng, 2) ? SIM_WAVE_ORDERS : 0;
	r->next_key = 1;
	sim_disk_init(&r->disk, r->seed);
	if (oc_test_rm_tree(r->data_dir) != 0 || mkdir(r->data_dir, 0755) != 0) {
		perror(r->data_dir);
		exit(2);
	}
	uint32_t faulty = 1 + oc_rand_below(&r->rng, SIM_FAULTY_LIVES_MAX);
	/* Frames in a run: one a turn that finds commands, several bursts to a frame. */
	uint64_t writes_guess = r->commands / 10 + 1;
	bool ok = true;
	for (uint32_t life = 0; ok && life < faulty && r->generated < r->commands; life++) {
		struct sim_disk_plan plan = {0};
		uint64_t crash_after_burst = 0;
		uint32_t kind = oc_rand_below(&r->rng, 10);
		if (kind < 6)
			plan.crash_at_write = 1 + oc_rand_below(&r->rng, (uint32_t)writes_guess);
		else if (kind < 8)
			crash_after_burst = 1 + oc_rand_below(&r->rng, (uint32_t)writes_guess);
		if (oc_rand_below(&r->rng, 3) == 0) {
			uint64_t at = 1 + oc_rand_below(&r->rng, (uint32_t)writes_guess);
			if (oc_rand_below(&r->rng, 2))
				plan.fail_write_at = at;
			else
				plan.fail_sync_at = r->durability == OC_DURABILITY_SYNC ? at : 1 + at / 8;
			plan.fail_err = oc_rand_below(&r->rng, 2) ? -EIO : -ENOSPC;
		}
		if (r->verbose)
			printf("  plan: crash at write %" PRIu64 ", after burst %" PRIu64 "; fail "
			       "write %" PRIu64 ", sync %" PRIu64 " with %s\n", plan.crash_at_write,
			       crash_after_burst, plan.fail_write_at, plan.fail_sync_at,
			       plan.fail_err ? strerror(-plan.fail_err) : "-");
		ok = live(r, &plan, crash_after_burst);
	}
	struct sim_disk_plan none = {0};
	if (ok)
		ok = live(r, &none, 0);
	if (ok)
		ok = verify(r);
	trace_mix(r, r->disk.trace, r->stream_len);
	if (ok)
		oc_test_rm_tree(r->data_dir);
	return ok && !r->failure[0];
}

static void run_free(struct run *r)
{
	sim_disk_destroy(&r->disk);
	free(r->stream);
	free(r->acked);
	free(r->todo);
	free(r->placed);
	free(r->rmas);
	free(r->told);
}

static uint64_t number(const char *what, const char *text)
{
	uint64_t v;
	if (oc_csv_parse_u64(text, &v) != 0) {
		fprintf(stderr, "ordercore-sim: --%s wants a number, not '%s'\n", what, text);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"seeds", required_argument, 0, 's'}, {"first", required_argument, 0, 'f'},
		{"seed", required_argument, 0, 'S'}, {"commands", required_argument, 0, 'c'},
		{"dir", required_argument, 0, 'd'},   {"twice", no_argument, 0, 't'},
		{"verbose", no_argument, 0, 'v'},     {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0}};
	uint64_t seeds = 100, first = 1, commands = 300;
	const char *dir = NULL;
	bool twice = false, verbose = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 's': seeds = number("seeds", optarg); break;
		case 'f': first = number("first", optarg); break;
		case 'S': first = number("seed", optarg), seeds = 1, verbose = true; break;
		case 'c': commands = number("commands", optarg); break;
		case 'd': dir = optarg; break;
		case 't': twice = true; break;
		case 'v': verbose = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc || commands == 0) {
		fputs(usage, stderr);
		return 2;
	}
	char scratch[4096];
	bool own_dir = !dir;
	if (own_dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(scratch, sizeof(scratch), "%s/ordercore-sim.XXXXXX", tmp ? tmp : "/tmp");
		if (!mkdtemp(scratch)) {
			perror(scratch);
			return 2;
		}
	} else {
		snprintf(scratch, sizeof(scratch), "%s", dir);
		mkdir(scratch, 0755);
	}
	char dataset_dir[4200], data_dir[4200];
	snprintf(dataset_dir, sizeof(dataset_dir), "%s/dataset", scratch);
	struct oc_demo_params dp = {.skus = SIM_SKUS, .warehouses = SIM_WAREHOUSES,
				    .stock_per_sku = SIM_STOCK_PER_SKU, .hot_skus = 3,
				    .hot_limit = 4, .hot_stock = 12, .seed = 7};
	char err[512];
	struct oc_dataset data;
	if (oc_dataset_write_demo(dataset_dir, &dp, err, sizeof(err)) != 0 ||
	    oc_dataset_load(dataset_dir, &data, err, sizeof(err)) != 0) {
		fprintf(stderr, "ordercore-sim: dataset: %s\n", err);
		return 2;
	}
	if (!verbose)
		oc_log_set_level(OC_LOG_OFF); /* the faults make the engine log errors on purpose */
	oc_clock_test_set(sim_clock);
	static struct run r; /* the disk's pending writes make it large */
	uint64_t failed = 0, passed = 0;
	uint64_t done[OC_CMD_QUERY_COUNTERS + 1] = {0};
	uint64_t ticks = 0, expiries = 0, pick_rows = 0, waves = 0, told = 0;
	uint64_t lives = 0, acks = 0, unavailable = 0, lost = 0, retries = 0, crashes = 0,
		 torn = 0, lost_writes = 0, wfaults = 0, sfaults = 0;
	for (uint64_t s = first; s < first + seeds; s++) {
		uint64_t trace[2] = {0, 0};
		bool ok = true;
		for (int pass = 0; pass < (twice ? 2 : 1) && ok; pass++) {
			memset(&r, 0, sizeof(r));
			r.seed = s;
			r.commands = commands;
			r.data = &data;
			r.dataset_dir = dataset_dir;
			snprintf(data_dir, sizeof(data_dir), "%s/data.%" PRIu64, scratch, s);
			r.data_dir = data_dir;
			r.verbose = verbose;
			sim_disk_install(&r.disk);
			if (verbose)
				printf("seed %" PRIu64 "%s\n", s, pass ? " (again)" : "");
			ok = run_seed(&r);
			trace[pass] = r.trace ^ r.disk.trace;
			if (!ok)
				printf("seed %" PRIu64 ": FAILED: %s (rerun: ordercore-sim --seed %" PRIu64
				       ")\n", s, r.failure[0] ? r.failure : "?", s);
			else if (pass == 1 && trace[0] != trace[1]) {
				printf("seed %" PRIu64 ": FAILED: not deterministic (traces %016" PRIx64
				       " and %016" PRIx64 ")\n", s, trace[0], trace[1]);
				ok = false;
			}
			lives += r.lives, acks += r.acks, unavailable += r.unavailable;
			lost += r.async_lost_acks, retries += r.retries;
			crashes += r.disk.crashes, torn += r.disk.torn;
			lost_writes += r.disk.lost_writes, wfaults += r.disk.write_faults;
			sfaults += r.disk.sync_faults;
			for (unsigned t = 0; t <= OC_CMD_QUERY_COUNTERS; t++)
				done[t] += r.done[t];
			ticks += r.ticks, expiries += r.expiries, told += r.told_count;
			pick_rows += r.pick_rows, waves += r.waves;
			sim_disk_install(NULL);
			run_free(&r);
		}
		if (ok)
			passed++;
		else
			failed++;
	}
	printf("ordercore-sim: %" PRIu64 " seeds from %" PRIu64 ": %" PRIu64 " passed, %" PRIu64
	       " failed; %" PRIu64 " lives, %" PRIu64 " crashes (%" PRIu64 " torn writes, %"
	       PRIu64 " unsynced writes lost), %" PRIu64 " write and %" PRIu64 " sync faults, %"
	       PRIu64 " answers checked, %" PRIu64 " unavailable, %" PRIu64 " retries, %" PRIu64
	       " async answers lost with their unsynced writes\n", seeds, first, passed, failed,
	       lives, crashes, torn, lost_writes, wfaults, sfaults, acks, unavailable, retries,
	       lost);
	printf("ordercore-sim: %" PRIu64 " ticks sequenced, %" PRIu64 " payment leases expired, "
	       "%" PRIu64 " waves released with %" PRIu64 " pick-list rows (%" PRIu64 " of these "
	       "unsolicited answers told to a client and checked)\n", ticks, expiries, waves,
	       pick_rows, told);
	printf("ordercore-sim: carried out (not rejected, not duplicates):");
	for (unsigned t = 0; t <= OC_CMD_QUERY_COUNTERS; t++)
		if (done[t])
			printf(" %s %" PRIu64, oc_command_type_name(t), done[t]);
	printf("\n");
	oc_dataset_destroy(&data);
	if (own_dir && failed == 0)
		oc_test_rm_tree(scratch);
	else if (failed)
		printf("ordercore-sim: scratch left in %s\n", scratch);
	return failed ? 1 : 0;
}
