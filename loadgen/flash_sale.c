/* flash_sale.c: the in-process flash-sale scenario of ordercore-loadgen. It owns the engine
 * of the run; the order stream (stream.c) is made before the clock starts, and the answers go
 * into a tally (tally.c). One thread submits and polls; at the end the run is checked against
 * the engine's own state: no SKU sold beyond its stock, no customer over a limit, every
 * command answered exactly once, and the engine's counters equal to ours. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/worker.h"
#include "data/dataset.h"
#include "loadgen.h"
#include "ordercore/ordercore.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Takes the answer r, which should be command i's: answers come one per command, in the order
 * submitted (sequence numbers rise; a snapshot barrier takes one now and then). */
static void take_answer(struct lg_tally *t, const struct lg_stream *st, uint64_t i,
			const struct oc_response *r)
{
	if (i >= st->n || r->seq != st->cmds[i].seq) {
		t->stray++;
		return;
	}
	lg_tally_take(t, st, i, r);
}

/* Loop turns between two looks at the clock for the progress line (a turn submits and polls
 * up to a few hundred commands: the clock is read every few thousand). */
#define PROGRESS_TURNS 16u

/* The progress line (docs/loadgen.md, "Pacing"), on stderr, for the second that ended at now:
 * elapsed, commands submitted and answered a second, the outcomes so far, the commands in
 * flight. No latency: in process the commands are not timed one by one (the figure here is
 * throughput; --connect measures latency). */
static void progress(const struct lg_tally *t, double t0, double now, double *at,
		     uint64_t submitted, uint64_t answered, uint64_t *last_sub, uint64_t *last_ans)
{
	double s = now - *at;
	fprintf(stderr, "%7.1f s: sent %.0f/s, answered %.0f/s, accepted %" PRIu64 ", rejected %"
			PRIu64 ", in flight %" PRIu64 "\n", now - t0,
		(double)(submitted - *last_sub) / s, (double)(answered - *last_ans) / s,
		t->accepted, t->rejected, submitted - answered);
	*at = now;
	*last_sub = submitted;
	*last_ans = answered;
}

/* Submits the whole stream and polls until every command is answered; unless quiet, a
 * progress line a second. */
static void drive(struct oc_engine *e, struct lg_stream *st, struct lg_tally *t, uint32_t batch,
		  int acked_fd, int quiet)
{
	struct oc_response resp[512];
	uint64_t submitted = 0, answered = 0, line_sub = 0, line_ans = 0;
	uint32_t turns = 0, looks = 0;
	double t0 = now_s(), line_at = t0;
	while (answered < st->n) {
		if (!quiet && ++looks % PROGRESS_TURNS == 0 && now_s() - line_at >= 1.0)
			progress(t, t0, now_s(), &line_at, submitted, answered, &line_sub,
				 &line_ans);
		int k = 0;
		if (submitted < st->n) {
			uint64_t want = st->n - submitted < batch ? st->n - submitted : batch;
			k = oc_engine_try_submit_burst(e, st->cmds + submitted, (uint32_t)want);
			submitted += (uint64_t)k;
		}
		int m = oc_engine_poll_burst(e, resp, 512);
		for (int i = 0; i < m; i++)
			take_answer(t, st, answered + (uint64_t)i, &resp[i]);
		if (acked_fd >= 0 && m > 0)
			lg_acked_append(acked_fd, resp, st->cmds + answered, (uint32_t)m);
		answered += (uint64_t)m;
		if (k == 0 && m == 0)
			oc_backoff(&turns, 64);
	}
	t->seconds = now_s() - t0;
}

struct verdict {
	uint64_t oversold_units, unanswered, duplicate_answers, limit_violations;
	uint64_t stock_mismatches, counter_mismatches, sold_out_skus;
	uint64_t state_hash;
};

static void verify(struct oc_engine *e, const struct oc_dataset *d, const struct lg_stream *st,
		   const struct lg_tally *t, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	for (uint64_t i = 0; i < st->n; i++) {
		v->unanswered += t->answers[i] == 0;
		v->duplicate_answers += t->answers[i] > 1 ? t->answers[i] - 1u : 0;
	}
	v->duplicate_answers += t->stray;
	uint64_t *sold = lg_sold_units(st, t, d, &v->limit_violations);
	if (!sold) {
		fprintf(stderr, "loadgen: out of memory verifying\n");
		v->counter_mismatches++;
		return;
	}
	for (uint32_t g = 0; g < d->sku_count; g++) {
		struct oc_stock s;
		if (oc_engine_stock(e, d->skus[g].sku, &s) != 0) {
			v->stock_mismatches++;
			continue;
		}
		if (sold[g] > s.on_hand)
			v->oversold_units += sold[g] - s.on_hand;
		if (s.allocated > s.on_hand)
			v->oversold_units += s.allocated - s.on_hand;
		v->stock_mismatches += s.allocated != sold[g] || s.available != s.on_hand - s.allocated;
		v->sold_out_skus += s.on_hand > 0 && s.available == 0;
	}
	struct oc_stats s;
	oc_engine_stats(e, &s);
	v->counter_mismatches += s.accepted != t->accepted;
	v->counter_mismatches += s.cancelled != t->cancelled_count;
	v->counter_mismatches += s.commands != st->n || s.responses != st->n;
	v->counter_mismatches += s.duplicates != t->duplicate_flags;
	for (unsigned r = 1; r < OC_REJECT_REASON_COUNT; r++)
		v->counter_mismatches += s.rejected[r] != t->by_reason[r];
	v->state_hash = oc_engine_state_hash(e);
	free(sold);
}

static void report_text(const struct lg_options *o, const struct oc_stats *s,
			const struct lg_tally *t, const struct verdict *v, uint64_t n)
{
	printf("%s (in process): %" PRIu64 " commands in %.3f s = %.2f M orders/s\n",
	       o->replay ? "replay" : "flash-sale", n,
	       t->seconds, (double)n / t->seconds / 1e6);
	printf("  topology: %u worker threads, %u inventory shards%s; %" PRIu64 " worker turns, "
	       "%" PRIu64 " parks\n", s->threads, s->shards, s->pinned ? ", pinned" : "",
	       s->worker_turns, s->worker_parks);
	printf("  accepted %" PRIu64 " (split %" PRIu64 "), cancelled %" PRIu64
	       ", rejected %" PRIu64 ", answered from an earlier key %" PRIu64 "\n",
	       t->accepted, t->split, t->cancelled_count, t->rejected, t->duplicate_flags);
	for (unsigned r = 1; r < OC_REJECT_REASON_COUNT; r++)
		if (t->by_reason[r])
			printf("    %-16s %" PRIu64 "\n", oc_reject_reason_name(r), t->by_reason[r]);
	if (s->log_frames)
		printf("  log: %" PRIu64 " frames, %.1f commands and %.1f KiB per frame, %.1f bytes "
		       "per command\n", s->log_frames, (double)n / (double)s->log_frames,
		       (double)s->log_bytes / 1024.0 / (double)s->log_frames,
		       (double)s->log_bytes / (double)n);
	printf("  worker time per command:");
	for (unsigned k = 0; k < OC_STATS_STAGES; k++)
		printf(" %s %.1f ns", s->stages[k].name, (double)s->stages[k].busy_ns / (double)n);
	printf("\n");
	printf("  checks: oversold units %" PRIu64 ", customers over a limit %" PRIu64
	       ", unanswered %" PRIu64 ", answered twice %" PRIu64 ", stock mismatches %" PRIu64
	       ", counter mismatches %" PRIu64 "\n",
	       v->oversold_units, v->limit_violations, v->unanswered, v->duplicate_answers,
	       v->stock_mismatches, v->counter_mismatches);
	printf("  sold-out SKUs %" PRIu64 ", state hash %016" PRIx64 "\n", v->sold_out_skus,
	       v->state_hash);
}

static int report_json(const char *path, const struct lg_options *o, const struct oc_stats *s,
		       const struct lg_tally *t, const struct verdict *v, uint64_t n)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "{\n  \"scenario\": \"%s\",\n  \"mode\": \"in-process\",\n",
		o->replay ? "replay" : "flash-sale");
	fprintf(f, "  \"orders\": %" PRIu64 ",\n  \"seconds\": %.6f,\n", n, t->seconds);
	fprintf(f, "  \"orders_per_sec\": %.1f,\n", (double)n / t->seconds);
	fprintf(f, "  \"threads\": %u,\n  \"shards\": %u,\n  \"seed\": %" PRIu64 ",\n", s->threads,
		s->shards, o->seed);
	lg_tally_json(f, t);
	fprintf(f, "  \"oversold_units\": %" PRIu64 ",\n", v->oversold_units);
	fprintf(f, "  \"limit_violations\": %" PRIu64 ",\n", v->limit_violations);
	fprintf(f, "  \"unanswered\": %" PRIu64 ",\n", v->unanswered);
	fprintf(f, "  \"duplicate_answers\": %" PRIu64 ",\n", v->duplicate_answers);
	fprintf(f, "  \"stock_mismatches\": %" PRIu64 ",\n", v->stock_mismatches);
	fprintf(f, "  \"counter_mismatches\": %" PRIu64 ",\n", v->counter_mismatches);
	fprintf(f, "  \"sold_out_skus\": %" PRIu64 ",\n", v->sold_out_skus);
	fprintf(f, "  \"log_frames\": %" PRIu64 ",\n  \"log_bytes\": %" PRIu64 ",\n",
		s->log_frames, s->log_bytes);
	fprintf(f, "  \"state_hash\": \"%016" PRIx64 "\"\n}\n", v->state_hash);
	return fclose(f) == 0 ? 0 : -EIO;
}

static bool verdict_ok(const struct verdict *v)
{
	return !v->oversold_units && !v->unanswered && !v->duplicate_answers &&
	       !v->limit_violations && !v->stock_mismatches && !v->counter_mismatches;
}

static int make_engine(const struct lg_options *o, const char *dir, struct oc_engine **e)
{
	struct oc_config cfg;
	lg_engine_config(o, dir, &cfg);
	char err[512];
	int rc = oc_engine_create(&cfg, e, err, sizeof(err));
	if (rc)
		fprintf(stderr, "loadgen: %s\n", err);
	return rc;
}

/* Runs the stream through a started engine, stops it, verifies and reports. */
static int run_with(const struct lg_options *o, const struct oc_dataset *d, struct oc_engine *e,
		    struct lg_stream *st)
{
	struct lg_tally t;
	if (lg_tally_init(&t, st->n) != 0) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	int acked_fd = o->acked_log ? lg_acked_open(o->acked_log) : -1;
	if (o->acked_log && acked_fd < 0) {
		lg_tally_destroy(&t);
		return 2;
	}
	drive(e, st, &t, o->batch, acked_fd, o->quiet);
	if (acked_fd >= 0)
		close(acked_fd);
	oc_engine_stop(e);
	struct verdict v;
	verify(e, d, st, &t, &v);
	struct oc_stats s;
	oc_engine_stats(e, &s);
	if (!o->quiet)
		report_text(o, &s, &t, &v, st->n);
	int status = verdict_ok(&v) ? 0 : 1;
	if (o->json_path && report_json(o->json_path, o, &s, &t, &v, st->n) != 0)
		status = 2;
	if (status == 1)
		fprintf(stderr, "loadgen: INVARIANT BROKEN (see checks above)\n");
	lg_tally_destroy(&t);
	return status;
}

/* True when dir/wal holds a log: this run's checks assume the engine starts empty. */
static bool holds_log(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/wal", dir);
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *ent; !found && (ent = readdir(d));)
		found = strstr(ent->d_name, ".wal") != NULL;
	closedir(d);
	return found;
}

int lg_flash_sale_run(const struct lg_options *o)
{
	if (o->data_dir && holds_log(o->data_dir)) {
		fprintf(stderr, "loadgen: %s/wal already holds a log; the flash sale starts from an "
				"empty engine: give an empty or new --data-dir\n", o->data_dir);
		return 2;
	}
	char tmp[LG_TMP_DIR_BYTES] = "";
	const char *dir = lg_dataset_dir(o, tmp);
	if (!dir)
		return 2;
	struct oc_dataset d;
	int status = 2;
	if (lg_dataset_load(dir, &d) != 0)
		goto out;
	struct lg_stream st = {0};
	struct oc_engine *e = NULL;
	int rc = lg_stream_make(&st, &d, o);
	if (rc == -ENOMEM && !o->replay) /* a replay says its own */
		fprintf(stderr, "loadgen: out of memory making %" PRIu64 " orders\n", o->orders);
	struct lg_options sized = *o; /* a replay's engine holds all its rows */
	sized.orders = st.n > o->orders ? st.n : o->orders;
	if (rc == 0 && make_engine(&sized, dir, &e) == 0 && oc_engine_start(e) == 0)
		status = run_with(o, &d, e, &st);
	oc_engine_free(e);
	lg_stream_free(&st);
	oc_dataset_destroy(&d);
out:
	lg_dataset_done(tmp);
	return status;
}
