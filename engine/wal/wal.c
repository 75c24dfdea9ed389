/* wal.c: the backend-independent half of the WAL writer: configuration, segment files
 * (naming, preallocation, rollover), the ring of frames in flight and the written/durable
 * frontier, the sticky error, and the test-only fault hooks. The backends (wal_uring.c,
 * wal_pwrite.c) only start I/O and report completions into the slots. One thread (the
 * journal stage) uses a struct oc_wal. */
#include "wal/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/mem.h"
#include "wal/wal_internal.h"

void oc_wal_config_init(struct oc_wal_config *cfg)
{
	*cfg = (struct oc_wal_config){
	    .segment_bytes = OC_WAL_SEGMENT_BYTES_DEFAULT,
	    .mode = OC_WAL_MODE_SYNC,
	    .backend = OC_WAL_BACKEND_AUTO,
	    .inflight_frames = OC_WAL_INFLIGHT_FRAMES_DEFAULT,
	    .start = {OC_WAL_CHAIN_SEED, 1},
	};
}

void oc_wal_segment_name(uint64_t seq, char name[OC_WAL_SEGMENT_NAME_BYTES])
{
	snprintf(name, OC_WAL_SEGMENT_NAME_BYTES, "%020" PRIu64 ".wal", seq);
}

const char *oc_wal_backend_name(enum oc_wal_backend b)
{
	switch (b) {
	case OC_WAL_BACKEND_AUTO:
		return "auto";
	case OC_WAL_BACKEND_URING:
		return "io_uring";
	case OC_WAL_BACKEND_PWRITE:
		return "pwrite";
	}
	return "unknown";
}

enum oc_wal_backend oc_wal_backend_used(const struct oc_wal *w)
{
	return w->backend;
}

bool oc_wal_fell_back(const struct oc_wal *w, int *uring_error)
{
	if (uring_error)
		*uring_error = w->uring_error;
	return w->fell_back;
}

void oc_wal_test_fail_next_write(struct oc_wal *w, int err)
{
	w->inject_write = err;
}

/* Test-only: the next io_uring set-up fails with this error (process-wide, one shot). */
static int inject_uring_init;
void oc_wal_test_fail_next_uring_init(int err)
{
	inject_uring_init = err;
}
void oc_wal_test_fail_next_sync(struct oc_wal *w, int err)
{
	w->inject_sync = err;
}

const struct oc_wal_test_disk *oc_wal_disk;

void oc_wal_test_set_disk(const struct oc_wal_test_disk *disk)
{
	oc_wal_disk = disk;
}

int oc_wal_datasync(int fd)
{
	if (oc_wal_disk)
		return oc_wal_disk->sync(oc_wal_disk->ctx, fd);
	return fdatasync(fd) == 0 ? 0 : -errno;
}

/* Makes err the sticky error (the first one wins). */
static int fail(struct oc_wal *w, int err)
{
	OC_ASSERT(err < 0);
	if (w->progress.error == 0)
		w->progress.error = err;
	return w->progress.error;
}

/* Pops completed slots in append order, moving the frontier. Stops for good at a slot
 * that failed: nothing at or after it is ever reported written or durable. */
static void advance(struct oc_wal *w)
{
	while (w->used) {
		struct wal_slot *s = wal_slot_at(w, w->head);
		if (s->res) {
			fail(w, s->res);
			return;
		}
		if (!s->write_done || (s->need_sync && !s->sync_done))
			return;
		w->progress.written_seq = s->last_seq;
		if (s->need_sync || w->cfg.mode == OC_WAL_MODE_NONE)
			w->progress.durable_seq = s->last_seq;
		w->head++;
		w->used--;
	}
}

static int reap(struct oc_wal *w, bool block)
{
	int rc = w->ops->reap(w, block);
	if (rc < 0)
		fail(w, rc);
	advance(w);
	return w->progress.error;
}

uint32_t oc_wal_frames_in_flight(const struct oc_wal *w) { return w->used; }

bool oc_wal_can_append(const struct oc_wal *w) { return w->used < w->slot_count; }

int oc_wal_poll(struct oc_wal *w, struct oc_wal_progress *out)
{
	int rc = w->progress.error ? w->progress.error : reap(w, false);
	if (out)
		*out = w->progress;
	return rc;
}

int oc_wal_wait(struct oc_wal *w, struct oc_wal_progress *out)
{
	int rc = w->progress.error;
	while (rc == 0 && w->used)
		rc = reap(w, true);
	if (out)
		*out = w->progress;
	return rc;
}

/* fdatasync of the current segment: everything written becomes durable. */
static int sync_current(struct oc_wal *w)
{
	int err = w->inject_sync;
	w->inject_sync = 0;
	if (err == 0 && w->fd >= 0)
		err = oc_wal_datasync(w->fd);
	if (err)
		return fail(w, err);
	w->progress.durable_seq = w->progress.written_seq;
	return 0;
}

int oc_wal_sync(struct oc_wal *w)
{
	int rc = oc_wal_wait(w, NULL);
	if (rc)
		return rc;
	if (w->cfg.mode == OC_WAL_MODE_NONE || w->progress.durable_seq == w->progress.written_seq)
		return 0;
	return sync_current(w);
}

/* True if the file's first frame header is all zeros (nothing was ever written to it). */
static bool segment_unwritten(int fd)
{
	uint8_t h[OC_WAL_FRAME_HEADER_BYTES];
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (h[i])
			return false;
	return true;
}

/* Creates, preallocates and makes durable (file and directory entry) the segment that starts
 * at first_seq, and makes it current. */
static int segment_open(struct oc_wal *w, uint64_t first_seq, char *err, size_t err_bytes)
{
	char name[OC_WAL_SEGMENT_NAME_BYTES];
	oc_wal_segment_name(first_seq, name);
	int fd = openat(w->dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		fd = openat(w->dirfd, name, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && !segment_unwritten(fd)) {
			close(fd);
			return oc_error_set(err, err_bytes, -EEXIST, "%s/%s already holds frames",
			                    w->dir, name);
		}
	}
	if (fd < 0)
		return oc_error_set(err, err_bytes, -errno, "%s/%s: cannot create: %s", w->dir,
		                    name, strerror(errno));
	int rc = fallocate(fd, 0, 0, (off_t)w->cfg.segment_bytes);
	if (rc != 0 && errno == EOPNOTSUPP)
		rc = (errno = posix_fallocate(fd, 0, (off_t)w->cfg.segment_bytes)) ? -1 : 0;
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	if (rc == 0 && fsync(w->dirfd) != 0)
		rc = -1;
	if (rc != 0) {
		int e = errno;
		close(fd);
		return oc_error_set(err, err_bytes, -e,
		                    "%s/%s: cannot preallocate %" PRIu64 " bytes: %s", w->dir, name,
		                    w->cfg.segment_bytes, strerror(e));
	}
	w->fd = fd;
	w->seg_offset = 0;
	return 0;
}

/* Leaves the current segment for a new one starting at first_seq: everything in flight
 * completes first (and, in async mode, is synced), so a segment's fd is closed only when
 * nothing refers to it and no written frame of it awaits a sync. */
static int rollover(struct oc_wal *w, uint64_t first_seq)
{
	int rc = oc_wal_wait(w, NULL);
	if (rc == 0 && w->cfg.mode == OC_WAL_MODE_ASYNC)
		rc = oc_wal_sync(w);
	if (rc)
		return rc;
	close(w->fd);
	w->fd = -1;
	rc = segment_open(w, first_seq, NULL, 0);
	return rc ? fail(w, rc) : 0;
}

void *oc_wal_frame_buffer(struct oc_wal *w)
{
	while (w->used == w->slot_count)
		if (reap(w, true))
			return NULL;
	return wal_slot_at(w, w->head + w->used)->buf;
}

/* STYLE rule 5: the frame about to be written must verify and follow the log, as the reader
 * will check it. A failure is a caller bug, not an I/O error. */
static void check_frame(const struct oc_wal *w, const void *frame, uint32_t bytes,
                        struct oc_wal_frame *f)
{
	OC_ASSERT_EQ(oc_wal_frame_check(frame, bytes, f), OC_WAL_OK);
	OC_ASSERT_EQ(f->frame_bytes, bytes);
	OC_ASSERT_EQ(oc_wal_frame_follows(f, &w->chain), OC_WAL_OK);
}

int oc_wal_append(struct oc_wal *w, const void *frame, uint32_t bytes)
{
	if (w->progress.error)
		return w->progress.error;
	struct oc_wal_frame f;
	check_frame(w, frame, bytes, &f);
	if (bytes > w->cfg.segment_bytes)
		return -EMSGSIZE;
	int rc;
	if (w->seg_offset + bytes > w->cfg.segment_bytes && (rc = rollover(w, f.first_seq)))
		return rc;
	while (w->used == w->slot_count)
		if ((rc = reap(w, true)))
			return rc;
	struct wal_slot *s = wal_slot_at(w, w->head + w->used);
	if (frame != s->buf)
		memcpy(s->buf, frame, bytes);
	*s = (struct wal_slot){.buf = s->buf,
	                       .bytes = bytes,
	                       .fd = w->fd,
	                       .offset = w->seg_offset,
	                       .last_seq = f.first_seq + f.record_count - 1,
	                       .need_sync = w->cfg.mode == OC_WAL_MODE_SYNC,
	                       .inject_sync = w->inject_sync};
	w->inject_sync = 0;
	w->used++;
	w->seg_offset += bytes;
	oc_wal_chain_advance(&w->chain, &f);
	w->progress.appended_seq = s->last_seq;
	if (w->inject_write) {
		s->res = w->inject_write; /* test-only: as if the kernel had failed the write */
		s->write_done = true;
		w->inject_write = 0;
	} else if ((rc = w->ops->submit(w, s)) < 0) {
		s->res = rc;
	}
	advance(w);
	return w->progress.error;
}

/* Picks and sets up the backend; AUTO falls back to pwrite if io_uring cannot be set up. */
static int backend_open(struct oc_wal *w, char *err, size_t err_bytes)
{
	w->backend = OC_WAL_BACKEND_PWRITE;
	w->ops = &oc_wal_pwrite_ops;
	if (w->cfg.backend == OC_WAL_BACKEND_PWRITE || oc_wal_disk)
		return 0;
	int rc =
	    inject_uring_init ? inject_uring_init : oc_wal_uring_init(w, 2 * w->slot_count + 2);
	inject_uring_init = 0;
	if (rc == 0) {
		w->backend = OC_WAL_BACKEND_URING;
		w->ops = &oc_wal_uring_ops;
		return 0;
	}
	w->uring_error = rc;
	if (w->cfg.backend == OC_WAL_BACKEND_URING)
		return oc_error_set(err, err_bytes, rc, "io_uring unavailable: %s", strerror(-rc));
	w->fell_back = true;
	return 0;
}

static int config_check(const struct oc_wal_config *cfg, char *err, size_t err_bytes)
{
	if (!cfg->dir || strlen(cfg->dir) >= OC_WAL_DIR_BYTES_MAX)
		return oc_error_set(err, err_bytes, -EINVAL, "wal: no directory, or too long");
	if (cfg->segment_bytes < OC_WAL_SEGMENT_BYTES_MIN ||
	    cfg->segment_bytes > OC_WAL_SEGMENT_BYTES_MAX || cfg->segment_bytes % 4096)
		return oc_error_set(err, err_bytes, -EINVAL,
		                    "wal: segment_bytes %" PRIu64 " not a multiple of 4096 in "
		                    "[%u, %llu]",
		                    cfg->segment_bytes, OC_WAL_SEGMENT_BYTES_MIN,
		                    (unsigned long long)OC_WAL_SEGMENT_BYTES_MAX);
	if (cfg->inflight_frames > OC_WAL_INFLIGHT_FRAMES_MAX || cfg->mode > OC_WAL_MODE_NONE ||
	    cfg->backend > OC_WAL_BACKEND_PWRITE || cfg->start.next_seq == 0)
		return oc_error_set(err, err_bytes, -EINVAL,
		                    "wal: bad inflight_frames, mode, backend or start sequence");
	return 0;
}

/* Allocates the wal, its slots and their buffers (the only allocations it ever makes). */
static struct oc_wal *wal_alloc(const struct oc_wal_config *cfg)
{
	struct oc_wal *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = *cfg;
	snprintf(w->dir, sizeof(w->dir), "%s", cfg->dir);
	w->cfg.dir = w->dir;
	w->dirfd = w->fd = -1;
	w->chain = cfg->start;
	w->slot_count = cfg->inflight_frames ? cfg->inflight_frames : 1;
	if (cfg->backend == OC_WAL_BACKEND_PWRITE)
		w->slot_count = 1; /* synchronous: one frame at a time */
	w->slots = calloc(w->slot_count, sizeof(*w->slots));
	w->bufs_bytes = (size_t)w->slot_count * OC_WAL_FRAME_BYTES_MAX;
	w->bufs = oc_mem_table_alloc(w->bufs_bytes);
	if (!w->slots || !w->bufs) {
		free(w->slots);
		oc_mem_table_free(w->bufs, w->bufs_bytes);
		free(w);
		return NULL;
	}
	for (uint32_t i = 0; i < w->slot_count; i++)
		w->slots[i].buf = w->bufs + (size_t)i * OC_WAL_FRAME_BYTES_MAX;
	return w;
}

int oc_wal_create(const struct oc_wal_config *cfg, struct oc_wal **out, char *err, size_t err_bytes)
{
	int rc = config_check(cfg, err, err_bytes);
	if (rc)
		return rc;
	if (mkdir(cfg->dir, 0755) != 0 && errno != EEXIST)
		return oc_error_set(err, err_bytes, -errno, "%s: cannot create: %s", cfg->dir,
		                    strerror(errno));
	struct oc_wal *w = wal_alloc(cfg);
	if (!w)
		return oc_error_set(err, err_bytes, -ENOMEM, "wal: out of memory");
	w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		rc = oc_error_set(err, err_bytes, -errno, "%s: cannot open: %s", w->dir,
		                  strerror(errno));
	if (rc == 0)
		rc = backend_open(w, err, err_bytes);
	if (rc == 0)
		rc = segment_open(w, cfg->start.next_seq, err, err_bytes);
	if (rc) {
		w->progress.error = rc; /* nothing to wait for or sync */
		oc_wal_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int oc_wal_free(struct oc_wal *w)
{
	if (!w)
		return 0;
	int rc = w->progress.error;
	if (rc == 0 && w->cfg.mode == OC_WAL_MODE_ASYNC)
		rc = oc_wal_sync(w);
	else if (rc == 0)
		rc = oc_wal_wait(w, NULL);
	if (w->ops)
		w->ops->destroy(w); /* waits for I/O still in the kernel before buffers go */
	if (w->fd >= 0)
		close(w->fd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	oc_mem_table_free(w->bufs, w->bufs_bytes);
	free(w->slots);
	free(w);
	return rc;
}
