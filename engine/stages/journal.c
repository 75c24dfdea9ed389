/* journal.c: the journal stage (see stages_internal.h). It owns the write-ahead log writer
 * and the frame being built. Commands pass through it to validate in the same turn they
 * arrive; their answers wait in egress until durable_seq covers them. A snapshot barrier is
 * held until the log is synced up to it. It runs on one worker,
 * which it keeps from parking while frames are in flight, since no producer wakes a worker
 * when the disk completes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/error.h"
#include "core/clock.h"
#include "stages/stages_internal.h"

static const enum oc_wal_mode wal_mode[] = {
	[OC_DURABILITY_SYNC] = OC_WAL_MODE_SYNC,
	[OC_DURABILITY_ASYNC] = OC_WAL_MODE_ASYNC,
	[OC_DURABILITY_NONE] = OC_WAL_MODE_NONE,
};

int oc_journal_init(struct oc_journal *j, const struct oc_config *cfg, const char *wal_dir,
		    const struct oc_wal_chain *start, char *err, size_t err_bytes)
{
	struct oc_wal_config wc;
	oc_wal_config_init(&wc);
	wc.dir = wal_dir;
	if (cfg->wal_segment_bytes)
		wc.segment_bytes = cfg->wal_segment_bytes;
	wc.mode = wal_mode[cfg->durability];
	wc.start = *start;
	int rc = oc_wal_create(&wc, &j->wal, err, err_bytes);
	if (rc)
		return rc;
	int uring_error;
	if (oc_wal_fell_back(j->wal, &uring_error))
		oc_log(OC_LOG_WARN, "msg=\"io_uring unavailable: the log uses pwritev\" "
				"error=\"%s\"", strerror(-uring_error));
	if (cfg->durability == OC_DURABILITY_NONE)
		oc_log(OC_LOG_WARN, "msg=\"DURABILITY NONE: answers do not wait for the disk; "
				"a crash loses acknowledged orders (benchmarks only)\"");
	oc_wal_encoder_init(&j->enc, start);
	j->durability = (enum oc_durability)cfg->durability;
	j->sync_interval_ns = (uint64_t)cfg->fsync_interval_ms * 1000000u;
	j->last_sync_ns = oc_clock_monotonic_ns();
	j->logged_seq = start->next_seq - 1;
	oc_metric_set(&j->logged_seq_metric, j->logged_seq);
	j->published = j->logged_seq;
	atomic_init(&j->durable_seq, j->logged_seq);
	atomic_init(&j->failed, 0);
	return 0;
}

void oc_journal_destroy(struct oc_journal *j)
{
	if (j->wal)
		oc_wal_free(j->wal);
	j->wal = NULL;
}

/* Publishes how far answers may go: durable (sync) or written (async, none). */
static void publish(struct oc_journal *j)
{
	struct oc_wal_progress p;
	int rc = oc_wal_poll(j->wal, &p);
	if (rc && !j->error) {
		j->error = rc;
		oc_log(OC_LOG_ERROR, "msg=\"write-ahead log failed: commands from sequence "
				"%" PRIu64 " on are answered unavailable; restart the engine\" "
				"error=\"%s\"", p.durable_seq + 1, strerror(-rc));
		/* Pairs with the acquire load in egress; durable_seq stops where it is. */
		atomic_store_explicit(&j->failed, 1, memory_order_release);
		oc_worker_wake(j->wake_egress);
	}
	if (j->durability == OC_DURABILITY_ASYNC && p.written_seq > p.durable_seq &&
	    oc_clock_monotonic_ns() - j->last_sync_ns >= j->sync_interval_ns) {
		oc_wal_sync(j->wal); /* an error here is sticky: the next poll reports it */
		j->last_sync_ns = oc_clock_monotonic_ns();
	}
	uint64_t ok = j->durability == OC_DURABILITY_SYNC ? p.durable_seq : p.written_seq;
	if (ok > j->published) {
		j->published = ok;
		uint64_t now = oc_clock_monotonic_ns();
		while (j->pending_count && j->pending_seq[j->pending_head] <= ok) {
			oc_metric_hist_add(&j->release_ns, now - j->pending_ns[j->pending_head]);
			j->pending_head = (j->pending_head + 1) % OC_WAL_INFLIGHT_FRAMES_MAX;
			j->pending_count--;
		}
		/* Pairs with the acquire load in egress: answers up to ok may be released. */
		atomic_store_explicit(&j->durable_seq, ok, memory_order_release);
		oc_worker_wake(j->wake_egress);
	}
}

/* Begins a frame in the log's next buffer; false when every buffer is in flight. */
static bool frame_begin(struct oc_journal *j)
{
	if (!oc_wal_can_append(j->wal))
		return false;
	j->frame = oc_wal_frame_buffer(j->wal);
	OC_ASSERT(oc_wal_encoder_begin(&j->enc, j->frame, OC_WAL_FRAME_BYTES_MAX) == 0);
	j->frame_records = 0;
	return true;
}

static void frame_append(struct oc_journal *j)
{
	int bytes = oc_wal_encoder_finish(&j->enc);
	OC_ASSERT(bytes > 0);
	oc_wal_append(j->wal, j->frame, (uint32_t)bytes); /* errors are sticky: see publish */
	j->frame_records = 0;
	oc_metric_add(&j->frames, 1);
	oc_metric_add(&j->bytes, (uint64_t)bytes);
	oc_metric_set(&j->logged_seq_metric, j->frame_last_seq);
	if (j->pending_count < OC_WAL_INFLIGHT_FRAMES_MAX) { /* only a failed log stops them */
		uint32_t tail = (j->pending_head + j->pending_count) % OC_WAL_INFLIGHT_FRAMES_MAX;
		j->pending_seq[tail] = j->frame_last_seq;
		j->pending_ns[tail] = oc_clock_monotonic_ns();
		j->pending_count++;
	}
}

/* Adds c to the frame being built; false when it must wait for a free log buffer. */
static bool log_command(struct oc_journal *j, const struct oc_command *c)
{
	if (!j->frame_records && !frame_begin(j))
		return false;
	if (oc_wal_encoder_add(&j->enc, c) == -ENOSPC) {
		frame_append(j);
		if (!frame_begin(j))
			return false;
		OC_ASSERT(oc_wal_encoder_add(&j->enc, c) == 0);
	}
	j->frame_records++;
	j->frame_last_seq = c->seq;
	return true;
}

/* A live snapshot barrier (just added to the frame): the stages may write a snapshot that
 * includes every command up to it only once those commands are durable, in every mode, so
 * the frame goes out now and the log is synced, blocking this worker for that long. The
 * barrier then tells the stages whether to write, and where the log's chain stands. */
static void barrier_settle(struct oc_journal *j, struct oc_command *out)
{
	if (j->error) {
		out->flags = 0; /* not logged: the log has failed */
		return;
	}
	if (j->frame_records)
		frame_append(j);
	int rc = oc_wal_sync(j->wal);
	publish(j);
	out->flags = rc || j->error ? 0 : OC_BARRIER_WRITE;
	out->key = j->enc.chain.checksum;
}

uint32_t oc_journal_step(void *arg)
{
	struct oc_journal *j = arg;
	publish(j);
	uint32_t n = oc_ring_spsc_transfer_count(j->in, j->out, OC_STAGE_BURST_MAX);
	uint32_t i = 0;
	for (; i < n; i++) {
		const struct oc_command *c = oc_ring_spsc_read_slot(j->in, i);
		/* Recovery replays commands the log already holds: they are not logged again. */
		if (c->seq > j->logged_seq && !j->error && !log_command(j, c))
			break;
		struct oc_command *out = oc_ring_spsc_write_slot(j->out, i);
		oc_command_copy(out, c);
		if (c->type == OC_CMD_SNAPSHOT && c->seq > j->logged_seq)
			barrier_settle(j, out);
	}
	if (i) {
		oc_ring_spsc_commit(j->out, i);
		oc_ring_spsc_release(j->in, i);
		oc_worker_wake(j->wake_validate);
	}
	/* Group commit: the frame goes to the disk when the disk is idle; until then it takes
	 * every command that arrives. */
	if (j->frame_records && oc_wal_frames_in_flight(j->wal) == 0) {
		frame_append(j);
		publish(j);
	}
	if (j->frame_records || oc_wal_frames_in_flight(j->wal))
		oc_worker_keep_awake(j->self);
	return i;
}
