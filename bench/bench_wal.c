/* bench_wal.c: durable append throughput of the write-ahead log (engine/wal/wal.h) in sync
 * mode (one fdatasync per frame), on real files: oc_wal_append/R/N appends frames of N
 * records of about R encoded bytes through the io_uring backend (write + linked fdatasync,
 * the default frames in flight), and oc_wal_append_pwrite/R/N, the baseline, does the same
 * through the pwritev + fdatasync backend in the same run. One iteration is one frame,
 * encoded into the WAL's own buffer and appended; the timer is the wall clock. The figures
 * count only records already durable (written and synced) when the loop ends.
 *
 * The files go to a fresh directory under $OC_BENCH_DIR, else $TMPDIR, else /tmp, unless
 * that is a tmpfs (fdatasync would cost nothing there): then under the current directory.
 * Each run removes its files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shim.h"
#include "wal/wal.h"

#define TMPFS_MAGIC_NUMBER 0x01021994L /* linux/magic.h TMPFS_MAGIC */
#define PATH_BYTES         512u
#define TS_STEP_NS         100u /* between consecutive records: a 2-byte zigzag delta */

/* Records per frame. 2048 x ~256 bytes is half of OC_WAL_FRAME_BYTES_MAX; 4096 would not fit
 * a frame at 256 bytes, and the same list for every record size keeps the table square. */
static const int64_t frame_records[] = {16, 256, 2048};

/* The place command whose encoded record (in the middle of a frame: key delta 1, ts delta
 * TS_STEP_NS) is closest to target bytes, found by encoding candidates: line count 1..16,
 * then wider SKU, quantity and customer values. Ties keep the first (narrowest) found. */
static uint64_t width_value(unsigned width)
{
	return width <= 1 ? 1u : (uint64_t)1 << (7u * (width - 1u));
}

static size_t encoded_bytes(const struct oc_command *c)
{
	uint8_t rec[OC_WAL_RECORD_BYTES_MAX];
	uint64_t prev_ts = c->ts_ns - TS_STEP_NS, prev_key = c->key - 1;
	return oc_wal_record_put(rec, c, &prev_ts, &prev_key);
}

static void command_near(size_t target, struct oc_command *out)
{
	size_t best = SIZE_MAX;
	struct oc_command c;
	memset(&c, 0, sizeof(c));
	c.type = OC_CMD_PLACE;
	c.region = 1;
	c.key = 1000;
	c.ts_ns = 1000000;
	for (unsigned wc = 3; wc <= 10; wc++)
		for (unsigned wq = 1; wq <= 5; wq++)
			for (unsigned ws = 3; ws <= 10; ws++)
				for (unsigned lines = 1; lines <= OC_ORDER_LINES_MAX; lines++) {
					c.customer = width_value(wc) + 7;
					c.line_count = (uint8_t)lines;
					for (unsigned i = 0; i < lines; i++) {
						c.lines[i].sku = width_value(ws) + 100001 + i;
						c.lines[i].quantity = (uint32_t)width_value(wq);
					}
					size_t got = encoded_bytes(&c);
					size_t d = got > target ? got - target : target - got;
					if (d < best) {
						best = d;
						*out = c;
					}
				}
}

/* A scratch directory on a disk-backed filesystem; false if none can be made. */
static bool make_scratch(char dir[PATH_BYTES])
{
	const char *base = getenv("OC_BENCH_DIR");
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	struct statfs fs;
	if (statfs(base, &fs) == 0 && (long)fs.f_type == TMPFS_MAGIC_NUMBER)
		base = ".";
	if (snprintf(dir, PATH_BYTES, "%s/oc_bench_wal.XXXXXX", base) >= (int)PATH_BYTES)
		return false;
	return mkdtemp(dir) != NULL;
}

/* Removes the files of dir/wal, dir/wal and dir (best effort: a benchmark's leftovers). */
static void remove_scratch(const char *dir)
{
	char wal[PATH_BYTES], path[PATH_BYTES * 2];
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	DIR *d = opendir(wal);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", wal, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(wal);
	rmdir(dir);
}

/* What one run appended, for the counters. */
struct tally {
	uint64_t frames;       /* appended */
	uint64_t frame_bytes;  /* appended, headers and padding included */
	uint64_t durable_seq;  /* at the last poll inside the timed loop */
};

/* Encodes and appends frames of n records while the benchmark runs. Returns 0 or -errno. */
static int append_loop(struct oc_bench_state *st, struct oc_wal *w, struct oc_command *c,
                       uint32_t n, struct tally *t)
{
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	struct oc_wal_encoder enc;
	oc_wal_encoder_init(&enc, &chain);
	uint64_t ts0 = c->ts_ns;
	while (oc_bench_keep_running(st)) {
		void *buf = oc_wal_frame_buffer(w);
		if (!buf) {
			int e = oc_wal_poll(w, NULL);
			return e ? e : -EIO;
		}
		int rc = oc_wal_encoder_begin(&enc, buf, OC_WAL_FRAME_BYTES_MAX);
		for (uint32_t i = 0; i < n && rc == 0; i++) {
			c->seq = enc.chain.next_seq + i;
			c->key = c->seq;
			c->ts_ns = ts0 + c->seq * TS_STEP_NS;
			rc = oc_wal_encoder_add(&enc, c);
		}
		int bytes = rc == 0 ? oc_wal_encoder_finish(&enc) : rc;
		if (bytes < 0)
			return bytes;
		rc = oc_wal_append(w, buf, (uint32_t)bytes);
		struct oc_wal_progress p;
		if (rc == 0)
			rc = oc_wal_poll(w, &p);
		if (rc != 0)
			return rc;
		t->frames++;
		t->frame_bytes += (uint64_t)bytes;
		t->durable_seq = p.durable_seq;
	}
	return 0;
}

static void report(struct oc_bench_state *st, const struct tally *t, uint32_t n)
{
	/* Every frame holds n records; all but the first have the same length. */
	uint64_t durable_frames = t->durable_seq / n;
	double frame_bytes = t->frames ? (double)t->frame_bytes / (double)t->frames : 0.0;
	double record_bytes = (frame_bytes - OC_WAL_FRAME_HEADER_BYTES) / n;
	oc_bench_set_items_processed(st, (int64_t)(durable_frames * n));
	oc_bench_counter(st, "bytes_per_second", frame_bytes * (double)durable_frames,
	                 OC_BENCH_COUNTER_RATE);
	oc_bench_counter(st, "fdatasyncs_per_second", (double)durable_frames,
	                 OC_BENCH_COUNTER_RATE);
	oc_bench_counter(st, "record_bytes", record_bytes, 0);
	oc_bench_counter(st, "frame_bytes", frame_bytes, 0);
}

static void bench_append(struct oc_bench_state *st, size_t target, enum oc_wal_backend be)
{
	uint32_t n = (uint32_t)oc_bench_range(st, 0);
	struct oc_command c;
	command_near(target, &c);

	char scratch[PATH_BYTES], dir[PATH_BYTES + 8], err[256] = "";
	if (!make_scratch(scratch)) {
		oc_bench_skip_with_error(st, "cannot make a scratch directory (set OC_BENCH_DIR)");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/wal", scratch);
	struct oc_wal_config cfg;
	oc_wal_config_init(&cfg);
	cfg.dir = dir;
	cfg.mode = OC_WAL_MODE_SYNC;
	cfg.backend = be;
	struct oc_wal *w = NULL;
	int rc = oc_wal_create(&cfg, &w, err, sizeof(err));
	if (rc != 0) {
		char msg[320];
		snprintf(msg, sizeof(msg), "%s backend unavailable: %s",
		         oc_wal_backend_name(be), err);
		oc_bench_skip_with_error(st, msg);
		remove_scratch(scratch);
		return;
	}
	struct tally t = {0, 0, 0};
	rc = append_loop(st, w, &c, n, &t);
	int rc_free = oc_wal_free(w);
	remove_scratch(scratch);
	if (rc != 0 || rc_free != 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "append failed: %s", strerror(-(rc ? rc : rc_free)));
		oc_bench_skip_with_error(st, msg);
		return;
	}
	report(st, &t, n);
}

#define BENCH_SIZE(R)                                                                      \
	static void bench_uring_##R(struct oc_bench_state *st)                             \
	{                                                                                  \
		bench_append(st, R, OC_WAL_BACKEND_URING);                                 \
	}                                                                                  \
	static void bench_pwrite_##R(struct oc_bench_state *st)                            \
	{                                                                                  \
		bench_append(st, R, OC_WAL_BACKEND_PWRITE);                                \
	}
BENCH_SIZE(64)
BENCH_SIZE(128)
BENCH_SIZE(256)

void oc_bench_register_wal(void)
{
	int nargs = (int)(sizeof(frame_records) / sizeof(frame_records[0]));
	static const struct {
		const char *uring, *pwrite;
		oc_bench_fn *uring_fn, *pwrite_fn;
	} sizes[] = {
	    {"oc_wal_append/64", "oc_wal_append_pwrite/64", bench_uring_64, bench_pwrite_64},
	    {"oc_wal_append/128", "oc_wal_append_pwrite/128", bench_uring_128, bench_pwrite_128},
	    {"oc_wal_append/256", "oc_wal_append_pwrite/256", bench_uring_256, bench_pwrite_256},
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		oc_bench_register(sizes[i].uring, sizes[i].uring_fn, frame_records, nargs,
		                  OC_BENCH_REAL_TIME);
		oc_bench_register(sizes[i].pwrite, sizes[i].pwrite_fn, frame_records, nargs,
		                  OC_BENCH_REAL_TIME);
	}
}
