/* snapshotter.c: the snapshot writer (see stages_internal.h). It owns its thread, its job
 * queue, the manifest image and the snapshot counters. It writes each part a stage hands it
 * into <seq>.tmp/ (making the directory at the first part of a snapshot), gives the part's
 * memory back, and at the commit job writes the manifest, renames the directory and removes
 * what the new snapshot makes unnecessary (snapshot.h). Jobs are taken in the order they were
 * queued: a stage hands its part over before it passes the barrier on, and route queues the
 * commit after every shard has answered the barrier, so every part of a snapshot is written
 * before its commit. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "stages/stages_internal.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void write_part(struct oc_snapshotter *s, const struct oc_snap_job *j)
{
	const struct oc_snap_plan *p = s->plan;
	bool first = j->seq != s->seq;
	if (first) {
		s->seq = j->seq;
		s->started_ns = now_ns();
		s->error = oc_snap_begin(p->root, j->seq);
	}
	if (!s->error) {
		char path[OC_SNAP_PATH_BYTES_MAX];
		oc_snap_part_path(path, p->root, j->seq, true, j->part->name);
		s->error = oc_snap_file_write(path, &j->part->buf);
		if (s->error)
			oc_log(OC_LOG_ERROR, "msg=\"snapshot part failed\" file=%s error=\"%s\"",
				path, strerror(-s->error));
	}
	pthread_mutex_lock(&s->lock);
	/* Pairs with the acquire load in oc_snapshotter_reclaim: the stage may build its next
	 * image in this memory. */
	atomic_store_explicit(&j->part->busy, 0, memory_order_release);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (first)
		oc_snap_step(OC_SNAP_STEP_BEGUN);
}

/* The manifest: shards u32, zero u32, the configuration's fingerprint u64, and the log's
 * chain checksum after the barrier u64 (where a writer continues if no frame after the
 * barrier survives). */
static int write_manifest(struct oc_snapshotter *s, uint64_t seq, uint64_t chain)
{
	char path[OC_SNAP_PATH_BYTES_MAX];
	struct oc_snap_buf *b = &s->manifest;
	oc_snap_part_begin(b, OC_SNAP_MANIFEST, 0, seq);
	oc_snap_put_u32(b, s->plan->shards);
	oc_snap_put_u32(b, 0);
	oc_snap_put_u64(b, s->plan->identity);
	oc_snap_put_u64(b, chain);
	int rc = oc_snap_part_end(b);
	oc_snap_part_path(path, s->plan->root, seq, true, "manifest");
	return rc ? rc : oc_snap_file_write(path, b);
}

static void commit(struct oc_snapshotter *s, const struct oc_snap_job *j)
{
	const struct oc_snap_plan *p = s->plan;
	oc_snap_step(OC_SNAP_STEP_PARTS);
	int rc = j->seq != s->seq ? -EINVAL : j->failed ? -EIO : s->error;
	rc = rc ? rc : write_manifest(s, j->seq, j->chain);
	rc = rc ? rc : oc_snap_commit(p->root, j->seq);
	if (rc) {
		oc_metric_add(&s->failures, 1);
		oc_log(OC_LOG_ERROR, "msg=\"snapshot abandoned; the log keeps everything\" "
				"seq=%" PRIu64 " error=\"%s\"", j->seq, strerror(-rc));
	} else {
		oc_snap_step(OC_SNAP_STEP_COMMITTED);
		oc_metric_add(&s->snapshots, 1);
		oc_metric_set(&s->last_seq, j->seq);
		oc_metric_set(&s->last_ns, now_ns() - s->started_ns);
		oc_metric_set(&s->last_unix_s, (uint64_t)time(NULL));
		uint64_t oldest;
		rc = oc_snap_prune(p->root, p->kept, &oldest);
		oc_snap_step(OC_SNAP_STEP_PRUNED);
		rc = rc ? rc : oc_wal_remove_before(p->wal_dir, oldest);
		if (rc) /* the snapshot stands; what was not removed goes next time */
			oc_log(OC_LOG_WARN, "msg=\"snapshot cleanup failed\" error=\"%s\"",
				strerror(-rc));
		oc_log(OC_LOG_INFO, "msg=\"snapshot written\" seq=%" PRIu64 " ms=%.1f",
			j->seq, (double)oc_metric_get(&s->last_ns) / 1e6);
	}
	s->seq = 0;
	atomic_fetch_add_explicit(&s->finished, 1, memory_order_release);
}

static void *run(void *arg)
{
	struct oc_snapshotter *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (!s->count && !s->stopping)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->count) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		struct oc_snap_job j = s->jobs[s->head];
		s->head = (s->head + 1) % OC_SNAP_JOBS_MAX;
		s->count--;
		pthread_cond_broadcast(&s->cond); /* room for a waiting producer */
		pthread_mutex_unlock(&s->lock);
		if (j.part)
			write_part(s, &j);
		else
			commit(s, &j);
	}
}

int oc_snapshotter_start(struct oc_snapshotter *s, const struct oc_snap_plan *plan)
{
	s->plan = plan;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	atomic_init(&s->finished, 0);
	int rc = pthread_create(&s->thread, NULL, run, s);
	s->running = rc == 0;
	return -rc;
}

void oc_snapshotter_stop(struct oc_snapshotter *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = false;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	oc_snap_buf_free(&s->manifest);
}

static void enqueue(struct oc_snapshotter *s, const struct oc_snap_job *j)
{
	pthread_mutex_lock(&s->lock);
	while (s->count == OC_SNAP_JOBS_MAX)
		pthread_cond_wait(&s->cond, &s->lock);
	s->jobs[(s->head + s->count) % OC_SNAP_JOBS_MAX] = *j;
	s->count++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void oc_snapshotter_reclaim(struct oc_snapshotter *s, struct oc_snap_part *p)
{
	/* Pairs with the release store in write_part. */
	if (!atomic_load_explicit(&p->busy, memory_order_acquire))
		return;
	pthread_mutex_lock(&s->lock);
	while (atomic_load_explicit(&p->busy, memory_order_acquire))
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void oc_snapshotter_hand(struct oc_snapshotter *s, struct oc_snap_part *p, uint64_t seq)
{
	atomic_store_explicit(&p->busy, 1, memory_order_relaxed); /* the mutex publishes it */
	enqueue(s, &(struct oc_snap_job){.seq = seq, .part = p});
}

void oc_snapshotter_commit(struct oc_snapshotter *s, uint64_t seq, uint64_t chain, bool failed)
{
	enqueue(s, &(struct oc_snap_job){.seq = seq, .chain = chain, .failed = failed});
}
