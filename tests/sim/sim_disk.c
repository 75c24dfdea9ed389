/* sim_disk.c: the simulation's fault-injecting disk (sim_disk.h): real pwrites into the
 * segment files, the bytes each unsynced write replaced, and the faults and crash fates drawn
 * from the disk's own generator. */
#include "sim_disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rand.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

static struct oc_wal_test_disk installed;

static void trace_mix(struct sim_disk *d, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t s = d->trace ^ (a * 0x9e3779b97f4a7c15ull) ^ (b << 17) ^ (c * 0xff51afd7ed558ccdull);
	d->trace = oc_rand_next(&s);
}

void sim_disk_init(struct sim_disk *d, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->rng = seed ^ 0xd15cull;
}

void sim_disk_arm(struct sim_disk *d, const struct sim_disk_plan *plan)
{
	if (d->pending_count) { /* a life ends by a crash or a clean close: both leave none */
		fprintf(stderr, "sim_disk: %u writes pending at a new life\n", d->pending_count);
		abort();
	}
	d->plan = *plan;
	d->writes = d->syncs = 0;
	d->crashed = d->failed = false;
}

static void pwrite_all(int fd, const uint8_t *p, uint32_t bytes, uint64_t offset)
{
	while (bytes) {
		ssize_t n = pwrite(fd, p, bytes, (off_t)offset);
		if (n <= 0) {
			perror("sim_disk: pwrite");
			abort();
		}
		p += n, bytes -= (uint32_t)n, offset += (uint64_t)n;
	}
}

/* Writes bytes at offset, keeping what they replace until a sync. */
static void land(struct sim_disk *d, int fd, const uint8_t *buf, uint32_t bytes,
		 uint64_t offset, uint64_t last_seq)
{
	if (d->pending_count == SIM_DISK_PENDING_MAX) {
		fprintf(stderr, "sim_disk: more than %u unsynced writes\n", SIM_DISK_PENDING_MAX);
		abort();
	}
	struct sim_disk_write *w = &d->pending[d->pending_count++];
	*w = (struct sim_disk_write){.fd = fd, .file = dup(fd), .offset = offset, .bytes = bytes,
				     .last_seq = last_seq, .before = calloc(1, bytes)};
	if (!w->before || w->file < 0) {
		perror("sim_disk");
		abort();
	}
	ssize_t n = pread(fd, w->before, bytes, (off_t)offset); /* past the end: zeros */
	if (n < 0) {
		perror("sim_disk: pread");
		abort();
	}
	pwrite_all(fd, buf, bytes, offset);
}

static void forget(struct sim_disk_write *w)
{
	free(w->before);
	close(w->file);
}

/* What a power cut leaves: an ordered prefix of the unsynced writes, the last one kept
 * possibly torn; what the others replaced is put back, newest first. */
void sim_disk_crash(struct sim_disk *d)
{
	if (d->crashed)
		return;
	d->crashed = true;
	d->crashes++;
	uint32_t n = d->pending_count;
	uint32_t keep = oc_rand_below(&d->rng, n + 1);
	uint32_t torn_at = 0; /* bytes of pending[keep] that survive */
	if (keep < n && d->pending[keep].bytes > 1 && oc_rand_below(&d->rng, 2)) {
		torn_at = 1 + oc_rand_below(&d->rng, d->pending[keep].bytes - 1);
		d->torn++;
	}
	trace_mix(d, 3, keep, torn_at);
	for (uint32_t i = n; i-- > keep;) {
		struct sim_disk_write *w = &d->pending[i];
		uint32_t from = i == keep ? torn_at : 0;
		pwrite_all(w->file, w->before + from, w->bytes - from, w->offset + from);
		if (from == 0)
			d->lost_writes++;
	}
	for (uint32_t i = 0; i < n; i++)
		forget(&d->pending[i]);
	d->pending_count = 0;
}

static uint64_t frame_last_seq(const void *buf, uint32_t bytes)
{
	struct oc_wal_frame f;
	if (oc_wal_frame_check(buf, bytes, &f) != OC_WAL_OK) {
		fprintf(stderr, "sim_disk: the log wrote a frame that does not check\n");
		abort();
	}
	return f.first_seq + f.record_count - 1;
}

static int disk_write(void *ctx, int fd, const void *buf, uint32_t bytes, uint64_t offset)
{
	struct sim_disk *d = ctx;
	if (d->crashed)
		return -EIO;
	d->writes++;
	uint64_t last = frame_last_seq(buf, bytes);
	trace_mix(d, 1, offset, last);
	if (d->plan.fail_write_at == d->writes) {
		d->failed = true;
		d->write_faults++;
		uint32_t part = oc_rand_below(&d->rng, 2) ? oc_rand_below(&d->rng, bytes) : 0;
		if (part) /* the kernel wrote some of it before failing */
			land(d, fd, buf, part, offset, 0);
		return d->plan.fail_err;
	}
	land(d, fd, buf, bytes, offset, last);
	if (d->plan.crash_at_write == d->writes) {
		sim_disk_crash(d);
		return -EIO; /* nobody is left to see it */
	}
	if (last > d->written_seq)
		d->written_seq = last;
	return 0;
}

static int disk_sync(void *ctx, int fd)
{
	struct sim_disk *d = ctx;
	if (d->crashed)
		return -EIO;
	d->syncs++;
	trace_mix(d, 2, d->syncs, (uint64_t)fd);
	if (d->plan.fail_sync_at == d->syncs) {
		d->failed = true; /* what was written stays unsynced: its fate is the crash's */
		d->sync_faults++;
		return d->plan.fail_err;
	}
	uint32_t kept = 0;
	for (uint32_t i = 0; i < d->pending_count; i++) {
		struct sim_disk_write *w = &d->pending[i];
		if (w->fd != fd) {
			d->pending[kept++] = *w;
			continue;
		}
		if (w->last_seq > d->durable_seq)
			d->durable_seq = w->last_seq;
		forget(w);
	}
	d->pending_count = kept;
	return 0;
}

void sim_disk_install(struct sim_disk *d)
{
	installed = (struct oc_wal_test_disk){.write = disk_write, .sync = disk_sync, .ctx = d};
	oc_wal_test_set_disk(d ? &installed : NULL);
}

void sim_disk_destroy(struct sim_disk *d)
{
	for (uint32_t i = 0; i < d->pending_count; i++)
		forget(&d->pending[i]);
	d->pending_count = 0;
}
