/* test_wal.c: unit tests of the WAL files (engine/wal/wal.h): writer + reader round trips
 * through real segment files in a scratch directory on both backends (the io_uring tests
 * skip, and say so, where io_uring cannot be set up), segment rollover, continuing a log,
 * several frames in flight, the end-of-log classification for every damage kind (a flipped
 * bit in a middle frame, two swapped frames, the last frame cut mid-body or short, a zeroed
 * tail, a zeroed middle header, a missing middle segment) with its location, truncation of
 * a torn tail, and the sticky error under the test-only fault hooks: a frame whose write or
 * sync failed is never reported durable. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <liburing.h>

#include "core/rand.h"
#include "oc_test.h"
#include "wal/wal.h"

#define CMDS_MAX      200000u
#define SEGMENT_BYTES (64u << 10)

static struct oc_command *cmds; /* cmds[s - 1] is the command with sequence number s */
static _Alignas(64) uint8_t local_frame[OC_WAL_FRAME_BYTES_MAX];

/* Command seq (1-based), deterministic: mostly single-line orders, some multi-line, cancels
 * and malformed ones, so raw records cross the files too. */
static void make_cmd(struct oc_command *c, uint64_t seq)
{
	uint64_t rng = seq * 0x9E3779B97F4A7C15ull;
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->ts_ns = 1764000000000000000ull + seq * 50;
	c->key = oc_rand_below(&rng, 10) ? seq : oc_rand_next(&rng);
	c->customer = 1 + oc_rand_below(&rng, 1000000);
	uint32_t k = oc_rand_below(&rng, 100);
	c->type = k < 90 ? OC_CMD_PLACE : k < 97 ? OC_CMD_CANCEL : (uint8_t)oc_rand_next(&rng);
	if (c->type == OC_CMD_PLACE) {
		c->line_count = (uint8_t)(k < 80 ? 1 : 1 + oc_rand_below(&rng, 16));
		c->region = (uint16_t)oc_rand_below(&rng, 8);
		for (uint32_t i = 0; i < c->line_count; i++)
			c->lines[i] = (struct oc_line){100001 + oc_rand_below(&rng, 10000),
			                               1 + oc_rand_below(&rng, 2), 0};
	} else if (c->type != OC_CMD_CANCEL) {
		c->line_count = (uint8_t)oc_rand_below(&rng, 20);
		c->flags = oc_rand_below(&rng, 2);
		for (uint32_t i = 0; i < c->line_count && i < OC_ORDER_LINES_MAX; i++)
			c->lines[i] = (struct oc_line){oc_rand_next(&rng), 7, 1};
	}
}

static int setup(void **state)
{
	(void)state;
	cmds = calloc(CMDS_MAX, sizeof(*cmds));
	for (uint64_t s = 1; s <= CMDS_MAX; s++)
		make_cmd(&cmds[s - 1], s);
	return cmds ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(cmds);
	return 0;
}

static struct oc_wal *open_wal(const char *dir, enum oc_wal_backend be, enum oc_wal_mode mode,
                               struct oc_wal_chain start)
{
	struct oc_wal_config cfg;
	oc_wal_config_init(&cfg);
	cfg.dir = dir;
	cfg.segment_bytes = SEGMENT_BYTES;
	cfg.backend = be;
	cfg.mode = mode;
	cfg.inflight_frames = 4;
	cfg.start = start;
	struct oc_wal *w = NULL;
	char err[256];
	int rc = oc_wal_create(&cfg, &w, err, sizeof(err));
	if (rc == -ENOSYS || rc == -EPERM || (be == OC_WAL_BACKEND_URING && rc != 0)) {
		printf("io_uring unavailable here (%s): test skipped\n", err);
		return NULL;
	}
	if (rc != 0)
		fail_msg("oc_wal_create: %s", err);
	if (be != OC_WAL_BACKEND_AUTO) /* auto may be either: test_auto_backend checks which */
		assert_int_equal(oc_wal_backend_used(w), be);
	return w;
}

/* Appends `frames` frames of 1..max_orders commands each, continuing at chain->next_seq;
 * half of them encoded into the wal's own buffer, half copied. Returns the last seq. */
static uint64_t append_frames(struct oc_wal *w, struct oc_wal_chain *chain, uint32_t frames,
                              uint32_t max_orders)
{
	struct oc_wal_encoder e;
	oc_wal_encoder_init(&e, chain);
	uint64_t rng = chain->next_seq;
	for (uint32_t f = 0; f < frames; f++) {
		uint8_t *buf = f % 2 ? oc_wal_frame_buffer(w) : local_frame;
		assert_non_null(buf);
		assert_int_equal(oc_wal_encoder_begin(&e, buf, 16u << 10), 0);
		uint32_t n = 1 + oc_rand_below(&rng, max_orders);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t seq = e.chain.next_seq + i;
			assert_true(seq <= CMDS_MAX);
			if (oc_wal_encoder_add(&e, &cmds[seq - 1]) != 0)
				break;
		}
		int bytes = oc_wal_encoder_finish(&e);
		assert_true(bytes > 0);
		assert_int_equal(oc_wal_append(w, buf, (uint32_t)bytes), 0);
	}
	*chain = e.chain;
	return chain->next_seq - 1;
}

struct check_ctx {
	uint64_t next;
};

static int check_record(void *ctx, const struct oc_command *c)
{
	struct check_ctx *k = ctx;
	assert_true(c->seq == k->next);
	assert_true(oc_wal_command_same(c, &cmds[c->seq - 1]));
	k->next++;
	return 0;
}

static void read_log(const char *dir, struct oc_wal_read_result *r)
{
	struct check_ctx k = {1};
	char err[256];
	struct oc_wal_chain start = {OC_WAL_CHAIN_SEED, 1};
	assert_int_equal(oc_wal_read_dir(dir, &start, check_record, &k, r, err, sizeof(err)), 0);
	assert_true(r->records == k.next - 1);
	assert_true(r->last_seq == r->records);
}

/* Writes a log of `frames` frames on a backend and mode; returns its last seq (0: skipped). */
static uint64_t write_log(const char *dir, enum oc_wal_backend be, enum oc_wal_mode mode,
                          uint32_t frames)
{
	struct oc_wal *w = open_wal(dir, be, mode, (struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1});
	if (!w)
		return 0;
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	uint64_t last = append_frames(w, &chain, frames, 300);
	struct oc_wal_progress p;
	assert_int_equal(oc_wal_poll(w, &p), 0);
	assert_true(p.appended_seq == last && p.durable_seq <= p.written_seq &&
	            p.written_seq <= last);
	if (mode == OC_WAL_MODE_ASYNC)
		assert_int_equal(oc_wal_sync(w), 0);
	assert_int_equal(oc_wal_wait(w, &p), 0);
	assert_true(p.written_seq == last && p.durable_seq == last && p.error == 0);
	assert_int_equal(oc_wal_free(w), 0);
	return last;
}

static int count_segments(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, ".wal") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void round_trip(enum oc_wal_backend be, enum oc_wal_mode mode, const char *name)
{
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), name);
	uint64_t last = write_log(dir, be, mode, 400);
	if (last == 0) {
		skip();
		return;
	}
	assert_true(count_segments(dir) > 3); /* rolled over */
	struct oc_wal_read_result r;
	read_log(dir, &r);
	assert_int_equal(r.end, OC_WAL_END_CLEAN);
	assert_true(r.last_seq == last && r.first_seq == 1);
	assert_int_equal(r.segments, count_segments(dir));
	/* Continue the log where it stands: a new segment, the chain carried over. */
	struct oc_wal *w = open_wal(dir, be, mode, r.chain);
	struct oc_wal_chain chain = r.chain;
	uint64_t last2 = append_frames(w, &chain, 50, 100);
	assert_int_equal(oc_wal_free(w), 0);
	read_log(dir, &r);
	assert_int_equal(r.end, OC_WAL_END_CLEAN);
	assert_true(r.last_seq == last2);
}

static void test_round_trip_pwrite_sync(void **s)
{
	(void)s;
	round_trip(OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_SYNC, "wal_pw_sync");
}
static void test_round_trip_pwrite_async(void **s)
{
	(void)s;
	round_trip(OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_ASYNC, "wal_pw_async");
}
static void test_round_trip_uring_sync(void **s)
{
	(void)s;
	round_trip(OC_WAL_BACKEND_URING, OC_WAL_MODE_SYNC, "wal_ur_sync");
}
static void test_round_trip_uring_async(void **s)
{
	(void)s;
	round_trip(OC_WAL_BACKEND_URING, OC_WAL_MODE_ASYNC, "wal_ur_async");
}
static void test_round_trip_uring_none(void **s)
{
	(void)s;
	round_trip(OC_WAL_BACKEND_URING, OC_WAL_MODE_NONE, "wal_ur_none");
}

static void test_auto_backend(void **state)
{
	(void)state;
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), "wal_auto");
	struct oc_wal *w = open_wal(dir, OC_WAL_BACKEND_AUTO, OC_WAL_MODE_SYNC,
	                            (struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1});
	if (!w) {
		skip();
		return;
	}
	int uerr = 1;
	bool fell = oc_wal_fell_back(w, &uerr);
	assert_true(fell == (oc_wal_backend_used(w) == OC_WAL_BACKEND_PWRITE));
	assert_true(fell ? uerr < 0 : uerr == 0);
	printf("auto backend: %s%s\n", oc_wal_backend_name(oc_wal_backend_used(w)),
	       fell ? " (io_uring unavailable: fell back)" : "");
	assert_int_equal(oc_wal_free(w), 0);

	/* Where io_uring cannot be set up, auto falls back to pwrite and says so; a log written
	 * that way reads back like any other. */
	oc_test_scratch_dir(dir, sizeof(dir), "wal_fallback");
	oc_wal_test_fail_next_uring_init(-EPERM);
	struct oc_wal_config cfg;
	oc_wal_config_init(&cfg);
	cfg.dir = dir;
	cfg.segment_bytes = SEGMENT_BYTES;
	assert_int_equal(oc_wal_create(&cfg, &w, NULL, 0), 0);
	assert_true(oc_wal_fell_back(w, &uerr) && uerr == -EPERM);
	assert_int_equal(oc_wal_backend_used(w), OC_WAL_BACKEND_PWRITE);
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	uint64_t last = append_frames(w, &chain, 30, 100);
	assert_int_equal(oc_wal_free(w), 0);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	assert_true(r.end == OC_WAL_END_CLEAN && r.last_seq == last);
	/* Asked for io_uring by name, the same failure is an error. */
	oc_wal_test_fail_next_uring_init(-EPERM);
	cfg.backend = OC_WAL_BACKEND_URING;
	char err[256];
	assert_int_equal(oc_wal_create(&cfg, &w, err, sizeof(err)), -EPERM);
}

/* Several frames in flight: durable never passes written, written never passes appended,
 * and both reach the end. */
static void test_uring_inflight(void **state)
{
	(void)state;
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), "wal_inflight");
	struct oc_wal *w = open_wal(dir, OC_WAL_BACKEND_URING, OC_WAL_MODE_SYNC,
	                            (struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1});
	if (!w) {
		skip();
		return;
	}
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	uint64_t prev_durable = 0, seen_lag = 0;
	for (int i = 0; i < 100; i++) {
		append_frames(w, &chain, 1, 50);
		struct oc_wal_progress p;
		assert_int_equal(oc_wal_poll(w, &p), 0);
		assert_true(p.durable_seq >= prev_durable && p.durable_seq <= p.written_seq &&
		            p.written_seq <= p.appended_seq);
		seen_lag += p.durable_seq < p.appended_seq;
		prev_durable = p.durable_seq;
	}
	struct oc_wal_progress p;
	assert_int_equal(oc_wal_wait(w, &p), 0);
	assert_true(p.durable_seq == chain.next_seq - 1);
	printf("frames still in flight after their append: %llu of 100\n",
	       (unsigned long long)seen_lag);
	assert_int_equal(oc_wal_free(w), 0);
}

/* ---- damage ---- */

struct frame_loc {
	char seg[OC_WAL_SEGMENT_NAME_BYTES];
	uint64_t off;
	uint32_t bytes;
	uint64_t first_seq, last_seq;
};

static uint8_t *read_file(const char *path, size_t *bytes)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*bytes = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(*bytes + 1);
	assert_int_equal(fread(p, 1, *bytes, f), *bytes);
	fclose(f);
	return p;
}

static void write_at(const char *dir, const char *seg, uint64_t off, const void *p, size_t n)
{
	char path[8192];
	int len = snprintf(path, sizeof(path), "%s/%s", dir, seg);
	assert_true(len > 0 && (size_t)len < sizeof(path));
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Lists every frame of an intact log, in order. Returns the count. */
static size_t walk(const char *dir, struct frame_loc *out, size_t max)
{
	char names[64][OC_WAL_SEGMENT_NAME_BYTES];
	size_t ns = 0, n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));)
		if (strstr(e->d_name, ".wal") && ns < 64)
			memcpy(names[ns++], e->d_name, OC_WAL_SEGMENT_NAME_BYTES);
	closedir(d);
	qsort(names, ns, sizeof(names[0]), name_cmp); /* zero-padded: text order is seq order */
	for (size_t i = 0; i < ns; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		size_t bytes;
		uint8_t *p = read_file(path, &bytes);
		struct oc_wal_frame f;
		for (uint64_t off = 0;
		     n < max && oc_wal_frame_check(p + off, bytes - off, &f) == OC_WAL_OK;
		     off += f.frame_bytes) {
			out[n] = (struct frame_loc){.off = off,
			                            .bytes = f.frame_bytes,
			                            .first_seq = f.first_seq,
			                            .last_seq = f.first_seq + f.record_count - 1};
			memcpy(out[n].seg, names[i], OC_WAL_SEGMENT_NAME_BYTES);
			n++;
		}
		free(p);
	}
	return n;
}

static struct frame_loc locs[4096];

/* A fresh pwrite log of 120 frames in several segments; returns the frame count. */
static size_t damaged_setup(char *dir, size_t dir_bytes, const char *name)
{
	oc_test_scratch_dir(dir, dir_bytes, name);
	assert_true(write_log(dir, OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_SYNC, 120) > 0);
	size_t n = walk(dir, locs, 4096);
	assert_int_equal(n, 120);
	return n;
}

static void expect(const struct oc_wal_read_result *r, enum oc_wal_end end, enum oc_wal_status st,
                   const struct frame_loc *at)
{
	if (r->end != end || r->status != st || strcmp(r->segment, at->seg) ||
	    r->offset != at->off || r->seq != at->first_seq)
		fail_msg("got end %d status %s at %s+%llu seq %llu; want end %d status %s at "
		         "%s+%llu seq %llu",
		         r->end, oc_wal_status_name(r->status), r->segment,
		         (unsigned long long)r->offset, (unsigned long long)r->seq, end,
		         oc_wal_status_name(st), at->seg, (unsigned long long)at->off,
		         (unsigned long long)at->first_seq);
	assert_true(r->last_seq == at->first_seq - 1); /* only the prefix was delivered */
}

static void test_flipped_bit_middle(void **state)
{
	(void)state;
	char dir[1024];
	damaged_setup(dir, sizeof(dir), "wal_flip");
	const struct frame_loc *at = &locs[60];
	uint8_t b;
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", dir, at->seg);
	int fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, &b, 1, (off_t)(at->off + at->bytes / 2)), 1);
	b ^= 0x10;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)(at->off + at->bytes / 2)), 1);
	close(fd);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	expect(&r, OC_WAL_END_CORRUPT, OC_WAL_BAD_CHECKSUM, at);
}

static void test_swapped_frames(void **state)
{
	(void)state;
	char dir[1024];
	damaged_setup(dir, sizeof(dir), "wal_swap");
	size_t i = 40;
	while (strcmp(locs[i].seg, locs[i + 1].seg) != 0)
		i++; /* two neighbours in one segment */
	const struct frame_loc *a = &locs[i], *b = &locs[i + 1];
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", dir, a->seg);
	size_t bytes;
	uint8_t *p = read_file(path, &bytes);
	uint8_t *swapped = malloc(a->bytes + b->bytes);
	memcpy(swapped, p + b->off, b->bytes);
	memcpy(swapped + b->bytes, p + a->off, a->bytes);
	write_at(dir, a->seg, a->off, swapped, a->bytes + b->bytes);
	free(swapped);
	free(p);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	expect(&r, OC_WAL_END_CORRUPT, OC_WAL_SEQ_GAP, a);
}

/* The last frame cut mid-body (zeros from its middle on, as a torn write into preallocated
 * space leaves it): a torn tail, cut by oc_wal_truncate_at, after which the log is clean and
 * can be continued. */
static void test_torn_last_frame(void **state)
{
	(void)state;
	char dir[1024];
	size_t n = damaged_setup(dir, sizeof(dir), "wal_torn");
	const struct frame_loc *at = &locs[n - 1];
	static const uint8_t zeros[OC_WAL_FRAME_BYTES_MAX];
	write_at(dir, at->seg, at->off + at->bytes / 2, zeros, at->bytes - at->bytes / 2);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	expect(&r, OC_WAL_END_TORN, OC_WAL_BAD_CHECKSUM, at);
	assert_int_equal(oc_wal_truncate_at(dir, r.segment, r.offset), 0);
	read_log(dir, &r);
	assert_int_equal(r.end, OC_WAL_END_CLEAN);
	assert_true(r.last_seq == at->first_seq - 1);
	struct oc_wal *w = open_wal(dir, OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_SYNC, r.chain);
	struct oc_wal_chain chain = r.chain;
	uint64_t last = append_frames(w, &chain, 10, 100);
	assert_int_equal(oc_wal_free(w), 0);
	read_log(dir, &r);
	assert_int_equal(r.end, OC_WAL_END_CLEAN);
	assert_true(r.last_seq == last);
}

/* The file itself ends inside the last frame (a segment not preallocated, or cut short). */
static void test_short_file(void **state)
{
	(void)state;
	char dir[1024];
	size_t n = damaged_setup(dir, sizeof(dir), "wal_short");
	const struct frame_loc *at = &locs[n - 1];
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", dir, at->seg);
	assert_int_equal(truncate(path, (off_t)(at->off + at->bytes - 16)), 0);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	expect(&r, OC_WAL_END_TORN, OC_WAL_TORN, at);
}

/* Zeros from a frame to the end of its segment and no segment after: a clean, shorter log
 * (a zeroed header is the end of the data). The same zeros before a later segment's good
 * frames: corruption (a gap). A zeroed header alone in the middle of a segment: corruption. */
static void test_zero_tail(void **state)
{
	(void)state;
	char dir[1024];
	size_t n = damaged_setup(dir, sizeof(dir), "wal_zero");
	size_t i = n - 1;
	while (i > 0 && strcmp(locs[i - 1].seg, locs[n - 1].seg) == 0)
		i--; /* first frame of the last segment */
	i += (n - i) / 2;
	static const uint8_t zeros[SEGMENT_BYTES];
	write_at(dir, locs[i].seg, locs[i].off, zeros, SEGMENT_BYTES - locs[i].off);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	assert_int_equal(r.end, OC_WAL_END_CLEAN);
	assert_true(r.last_seq == locs[i].first_seq - 1);

	n = damaged_setup(dir, sizeof(dir), "wal_zero_mid");
	i = 30;
	write_at(dir, locs[i].seg, locs[i].off, zeros, OC_WAL_FRAME_HEADER_BYTES);
	read_log(dir, &r);
	expect(&r, OC_WAL_END_CORRUPT, OC_WAL_END, &locs[i]);
}

static void test_missing_segment(void **state)
{
	(void)state;
	char dir[1024];
	size_t n = damaged_setup(dir, sizeof(dir), "wal_missing");
	size_t i = 1;
	while (strcmp(locs[i].seg, locs[0].seg) == 0)
		i++; /* first frame of the second segment */
	size_t j = i + 1;
	while (j < n && strcmp(locs[j].seg, locs[i].seg) == 0)
		j++; /* first frame of the third */
	assert_true(j < n);
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", dir, locs[i].seg);
	assert_int_equal(unlink(path), 0);
	struct oc_wal_read_result r;
	read_log(dir, &r);
	if (r.end != OC_WAL_END_CORRUPT || r.status != OC_WAL_SEQ_GAP ||
	    strcmp(r.segment, locs[j].seg) || r.offset != 0 || r.seq != locs[i].first_seq)
		fail_msg("missing segment not reported at %s", locs[j].seg);
	assert_true(r.last_seq == locs[i].first_seq - 1);
}

/* ---- sticky errors ---- */

static void sticky(enum oc_wal_backend be, bool on_sync, int err, const char *name)
{
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), name);
	struct oc_wal *w =
	    open_wal(dir, be, OC_WAL_MODE_SYNC, (struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1});
	if (!w) {
		skip();
		return;
	}
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	uint64_t good = append_frames(w, &chain, 3, 50);
	struct oc_wal_progress p;
	assert_int_equal(oc_wal_wait(w, &p), 0);
	assert_true(p.durable_seq == good);
	if (on_sync)
		oc_wal_test_fail_next_sync(w, err);
	else
		oc_wal_test_fail_next_write(w, err);
	struct oc_wal_encoder e;
	oc_wal_encoder_init(&e, &chain);
	assert_int_equal(oc_wal_encoder_begin(&e, local_frame, 4096), 0);
	assert_int_equal(oc_wal_encoder_add(&e, &cmds[good]), 0);
	int bytes = oc_wal_encoder_finish(&e);
	int rc = oc_wal_append(w, local_frame, (uint32_t)bytes);
	assert_true(rc == 0 || rc == err); /* io_uring reports the sync at completion */
	assert_int_equal(oc_wal_wait(w, &p), err);
	assert_int_equal(oc_wal_poll(w, &p), err);
	assert_int_equal(p.error, err);
	assert_true(p.durable_seq == good && p.written_seq == good);
	/* Refused from now on, and still not durable. */
	struct oc_wal_encoder e2;
	oc_wal_encoder_init(&e2, &e.chain);
	assert_int_equal(oc_wal_encoder_begin(&e2, local_frame, 4096), 0);
	assert_int_equal(oc_wal_encoder_add(&e2, &cmds[good + 1]), 0);
	bytes = oc_wal_encoder_finish(&e2);
	assert_int_equal(oc_wal_append(w, local_frame, (uint32_t)bytes), err);
	assert_int_equal(oc_wal_sync(w), err);
	assert_int_equal(oc_wal_poll(w, &p), err);
	assert_true(p.durable_seq == good);
	assert_int_equal(oc_wal_free(w), err);
}

static void test_sticky_write_pwrite(void **s)
{
	(void)s;
	sticky(OC_WAL_BACKEND_PWRITE, false, -EIO, "wal_st_wp");
}
static void test_sticky_sync_pwrite(void **s)
{
	(void)s;
	sticky(OC_WAL_BACKEND_PWRITE, true, -ENOSPC, "wal_st_sp");
}
static void test_sticky_write_uring(void **s)
{
	(void)s;
	sticky(OC_WAL_BACKEND_URING, false, -EIO, "wal_st_wu");
}
static void test_sticky_sync_uring(void **s)
{
	(void)s;
	sticky(OC_WAL_BACKEND_URING, true, -EIO, "wal_st_su");
}

/* Async mode: a failed periodic sync leaves durable where it was and is sticky. */
static void test_sticky_async_sync(void **state)
{
	(void)state;
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), "wal_st_async");
	struct oc_wal *w = open_wal(dir, OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_ASYNC,
	                            (struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1});
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	uint64_t a = append_frames(w, &chain, 3, 50);
	assert_int_equal(oc_wal_sync(w), 0);
	uint64_t b = append_frames(w, &chain, 3, 50);
	struct oc_wal_progress p;
	assert_int_equal(oc_wal_poll(w, &p), 0);
	assert_true(p.written_seq == b && p.durable_seq == a);
	oc_wal_test_fail_next_sync(w, -EIO);
	assert_int_equal(oc_wal_sync(w), -EIO);
	assert_int_equal(oc_wal_poll(w, &p), -EIO);
	assert_true(p.durable_seq == a);
	assert_int_equal(oc_wal_free(w), -EIO);
}

static void test_config_errors(void **state)
{
	(void)state;
	struct oc_wal_config cfg;
	oc_wal_config_init(&cfg);
	struct oc_wal *w;
	char err[256];
	assert_int_equal(oc_wal_create(&cfg, &w, err, sizeof(err)), -EINVAL); /* no dir */
	cfg.dir = "/tmp";
	cfg.segment_bytes = 1000;
	assert_int_equal(oc_wal_create(&cfg, &w, err, sizeof(err)), -EINVAL);
	char dir[1024];
	oc_test_scratch_dir(dir, sizeof(dir), "wal_exists");
	assert_true(write_log(dir, OC_WAL_BACKEND_PWRITE, OC_WAL_MODE_SYNC, 5) > 0);
	oc_wal_config_init(&cfg);
	cfg.dir = dir;
	cfg.backend = OC_WAL_BACKEND_PWRITE;
	assert_int_equal(oc_wal_create(&cfg, &w, err, sizeof(err)), -EEXIST); /* holds data */
	char name[OC_WAL_SEGMENT_NAME_BYTES];
	oc_wal_segment_name(1, name);
	assert_string_equal(name, "00000000000000000001.wal");
}

/* The io_uring backend's tests run as their own ctest entry (`test_wal --io-uring`), which
 * exits 77, reported as skipped, where io_uring cannot be set up (an old kernel, a sandbox
 * that blocks it); every other test runs everywhere. */
static int io_uring_usable(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(2, &ring, 0) != 0)
		return 0;
	io_uring_queue_exit(&ring);
	return 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest uring_tests[] = {
	    cmocka_unit_test(test_round_trip_uring_sync),
	    cmocka_unit_test(test_round_trip_uring_async),
	    cmocka_unit_test(test_round_trip_uring_none),
	    cmocka_unit_test(test_uring_inflight),
	    cmocka_unit_test(test_sticky_write_uring),
	    cmocka_unit_test(test_sticky_sync_uring),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_pwrite_sync),
	    cmocka_unit_test(test_round_trip_pwrite_async),
	    cmocka_unit_test(test_auto_backend),
	    cmocka_unit_test(test_flipped_bit_middle),
	    cmocka_unit_test(test_swapped_frames),
	    cmocka_unit_test(test_torn_last_frame),
	    cmocka_unit_test(test_short_file),
	    cmocka_unit_test(test_zero_tail),
	    cmocka_unit_test(test_missing_segment),
	    cmocka_unit_test(test_sticky_write_pwrite),
	    cmocka_unit_test(test_sticky_sync_pwrite),
	    cmocka_unit_test(test_sticky_async_sync),
	    cmocka_unit_test(test_config_errors),
	};
	if (argc > 1 && strcmp(argv[1], "--io-uring") == 0) {
		if (!io_uring_usable()) {
			printf("io_uring cannot be set up here: the io_uring backend's tests are "
			       "skipped\n");
			return 77;
		}
		return cmocka_run_group_tests(uring_tests, setup, teardown);
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
