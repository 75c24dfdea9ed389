/* fuzz_recovery.c: fuzz target for the WAL reader and the engine's recovery
 * (engine/wal/wal_read.c, snapshot.c, engine/engine_recovery.c and the stages' restore and
 * replay). Each input becomes a data directory: log segments and snapshot parts, written into
 * a fresh directory of the process's scratch space; the log is read (oc_wal_read_dir), then an
 * engine (one worker thread, the tiny dataset of fuzz_util.h) is created on it, started
 * (which replays the log), asked one query and one place, stopped and freed. Recovery must
 * either recover or refuse with a reason; never crash, hang, leak or read out of bounds
 * (AddressSanitizer and UndefinedBehaviorSanitizer when built so).
 *
 * An input, integers little-endian:
 *   0  flags u8: bit 0 chains and seals the log's frames again (each frame's prev_checksum
 *      and checksum rewritten in segment order), so that mutated records reach the decoder
 *      and the replay rather than stopping at the checksum; bit 1 sets log_truncate_corrupt.
 *      Snapshot parts are not sealed again: a part whose XXH3 trailer matches is the
 *      engine's own output, and its restore checks each field's range but not that the
 *      stages' parts agree with each other (a purchase counter edited below its pending
 *      releases trips an assertion at the stop: inventory.c, oc_shard_release);
 *   1  files, each: kind u8 | bytes u16 | that many bytes (the last one takes what is left).
 *      kind % 6: 0 a log segment, named by its first frame's first_seq (bytes 16..24; 1 when
 *      shorter), 1 the manifest, 2 validate's part, 3 and 4 shard 0's and 1's, 5 route's,
 *      each in the snapshot directory of the part's seq (bytes 16..24; 0 when shorter).
 *      A later file of the same name replaces an earlier one.
 * What it asserts: an engine that refuses says why (a non-empty reason); one that starts
 * answers the query and the place, with sequence numbers after every recovered one.
 * The seed is a real data directory: a short run of the engine that took a snapshot at its
 * stop, and a second run on it that logged a few more commands after the snapshot. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "fuzz_target.h"
#include "core/log.h"
#include "fuzz_util.h"
#include "ordercore/ordercore.h"
#include "wal/snapshot.h"
#include "wal/wal.h"

#define FLAG_SEAL_LOG 0x1u
#define FLAG_TRUNCATE_CORRUPT 0x2u
/* The kinds of file an input holds. */
enum { FILE_SEGMENT, FILE_MANIFEST, FILE_VALIDATE, FILE_SHARD0, FILE_SHARD1, FILE_ROUTE,
       FILE_KINDS };
/* The engine's shards: FILE_SHARD0 and FILE_SHARD1 are their parts. */
#define SHARDS 2u
/* Files one input holds, at most (a longer input's further files are ignored). */
#define FILES_MAX 64u
/* A recovered engine that has not answered by then hangs, s. */
#define ANSWER_SECONDS_MAX 20.0
/* A file's header in the input: kind u8 and bytes u16. */
#define FILE_HEADER_BYTES 3u
/* Where a frame's and a snapshot part's header keep their seq. */
#define SEQ_AT 16u

struct file {
	uint8_t kind;
	uint64_t seq;
	uint8_t *p;
	size_t n;
};

static uint64_t le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	if (n >= SEQ_AT + 8)
		memcpy(&v, p + SEQ_AT, 8); /* the log and snapshots are little-endian hosts' */
	return v;
}

/* The engine's configuration on data_dir (the seed's run and every input's recovery). */
static void config(struct oc_config *cfg, const char *data_dir)
{
	static char dataset[FUZZ_PATH_BYTES];
	if (!dataset[0]) {
		FUZZ_PRINT(dataset, "%s/dataset", fuzz_scratch());
		fuzz_dataset_write(dataset);
		oc_log_set_level(OC_LOG_ERROR); /* not a line per torn log and unusable snapshot */
	}
	oc_config_init(cfg);
	cfg->dataset_dir = dataset;
	cfg->threads = 1;
	cfg->inventory_threads = 1;
	cfg->shards = SHARDS;
	cfg->inflight_max = 64;
	cfg->orders_max = 64; /* small tables, so that snapshot parts are small */
	cfg->pin_threads = 0;
	cfg->data_dir = data_dir;
	cfg->durability = OC_DURABILITY_NONE; /* the log is read, not made durable, here */
	cfg->wal_segment_bytes = 64u << 10;
	cfg->snapshot_on_stop = 0;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Submits cmds and polls until each has its answer; the answers' sequence numbers are
 * checked to be after `after`. */
static void run_commands(struct oc_engine *e, struct oc_command *cmds, uint32_t n,
			 uint64_t after)
{
	uint32_t sent = 0, answered = 0;
	double deadline = now_s() + ANSWER_SECONDS_MAX;
	while (answered < n) {
		FUZZ_ASSERT(now_s() < deadline);
		int k = oc_engine_try_submit_burst(e, cmds + sent, n - sent);
		FUZZ_ASSERT(k >= 0);
		sent += (uint32_t)k;
		struct oc_response r[16];
		int m = oc_engine_poll_burst(e, r, 16);
		for (int i = 0; i < m; i++) {
			if (r[i].flags & (OC_RESPONSE_UNSOLICITED | OC_RESPONSE_ROW))
				continue;
			FUZZ_ASSERT(r[i].seq > after);
			answered++;
		}
	}
}

static void stop(struct oc_engine *e)
{
	struct oc_response r[64];
	int rc;
	while ((rc = oc_engine_stop(e)) == -EBUSY)
		while (oc_engine_poll_burst(e, r, 64) > 0)
			;
	FUZZ_ASSERT(rc == 0);
	oc_engine_free(e);
}

/* Creates an engine on data_dir and, when it recovers, runs two commands on it. */
static void recover(const char *data_dir, bool truncate_corrupt)
{
	struct oc_config cfg;
	config(&cfg, data_dir);
	cfg.log_truncate_corrupt = truncate_corrupt;
	struct oc_engine *e;
	char err[1024] = "";
	if (oc_engine_create(&cfg, &e, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return;
	}
	struct oc_stats st;
	oc_engine_stats(e, &st);
	if (oc_engine_start(e) != 0) { /* the log could not be read again */
		oc_engine_free(e);
		return;
	}
	struct oc_command cmds[2] = {
		{.type = OC_CMD_QUERY_STOCK, .line_count = 1, .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_PLACE, .line_count = 1, .key = 1u << 30, .customer = 3,
		 .lines = {{100002, 1, 0}}},
	};
	run_commands(e, cmds, 2, st.recovered);
	stop(e);
}

/* Rewrites the chain and checksum of every frame of a segment that has a frame's header and
 * room for its length, in order, from *chain; stops at the first that has not. */
static void seal_segment(uint8_t *p, size_t n, uint64_t *chain)
{
	for (size_t at = 0; at + OC_WAL_FRAME_HEADER_BYTES <= n;) {
		uint32_t magic, bytes;
		memcpy(&magic, p + at, 4);
		memcpy(&bytes, p + at + 8, 4);
		if (magic != OC_WAL_MAGIC || bytes < OC_WAL_FRAME_HEADER_BYTES || bytes > n - at)
			return;
		uint8_t *f = p + at;
		memcpy(f + 32, chain, 8); /* prev_checksum */
		uint64_t h = XXH3_64bits_withSeed(f, 40, *chain);
		*chain = XXH3_64bits_withSeed(f + OC_WAL_FRAME_HEADER_BYTES,
					      bytes - OC_WAL_FRAME_HEADER_BYTES, h);
		memcpy(f + 40, chain, 8);
		at += bytes;
	}
}

static int file_cmp(const void *a, const void *b)
{
	const struct file *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void write_part(const char *data_dir, const struct file *f)
{
	char root[FUZZ_PATH_BYTES], dir[FUZZ_PATH_BYTES], name[16];
	FUZZ_PRINT(root, "%s/snapshots", data_dir);
	mkdir(root, 0755);
	FUZZ_PRINT(dir, "%s/%020llu", root, (unsigned long long)f->seq);
	mkdir(dir, 0755);
	if (f->kind == FILE_SHARD0 || f->kind == FILE_SHARD1)
		oc_snap_shard_part(name, f->kind - FILE_SHARD0);
	else
		FUZZ_PRINT(name, "%s", f->kind == FILE_MANIFEST   ? "manifest"
						   : f->kind == FILE_VALIDATE ? "validate"
									      : "route");
	fuzz_write_file(dir, name, f->p, f->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static struct file files[FILES_MAX];
	uint8_t *copy = malloc(size);
	FUZZ_ASSERT(copy != NULL);
	memcpy(copy, data, size);
	uint8_t flags = copy[0];
	uint32_t count = 0;
	for (size_t at = 1; at + FILE_HEADER_BYTES <= size && count < FILES_MAX;) {
		size_t n = (size_t)copy[at + 1] | (size_t)copy[at + 2] << 8;
		struct file *f = &files[count++];
		f->kind = copy[at] % FILE_KINDS;
		f->p = copy + at + FILE_HEADER_BYTES;
		f->n = n < size - at - FILE_HEADER_BYTES ? n : size - at - FILE_HEADER_BYTES;
		f->seq = le64(f->p, f->n);
		if (f->kind == FILE_SEGMENT && f->n < SEQ_AT + 8)
			f->seq = 1;
		at += FILE_HEADER_BYTES + f->n;
	}
	qsort(files, count, sizeof(files[0]), file_cmp); /* the log's segments in order */
	char data_dir[FUZZ_PATH_BYTES], wal_dir[FUZZ_PATH_BYTES];
	FUZZ_PRINT(data_dir, "%s/data", fuzz_scratch());
	FUZZ_PRINT(wal_dir, "%s/wal", data_dir);
	fuzz_rm_tree(data_dir);
	FUZZ_ASSERT(mkdir(data_dir, 0755) == 0 && mkdir(wal_dir, 0755) == 0);
	uint64_t chain = OC_WAL_CHAIN_SEED;
	for (uint32_t i = 0; i < count; i++) {
		struct file *f = &files[i];
		if (f->kind != FILE_SEGMENT) {
			write_part(data_dir, f);
			continue;
		}
		if (flags & FLAG_SEAL_LOG)
			seal_segment(f->p, f->n, &chain);
		char name[OC_WAL_SEGMENT_NAME_BYTES];
		oc_wal_segment_name(f->seq, name);
		fuzz_write_file(wal_dir, name, f->p, f->n);
	}
	free(copy);
	/* The reader alone, from an open start, as recovery first calls it. */
	struct oc_wal_chain any = {0, 0};
	struct oc_wal_read_result r;
	char err[512];
	if (oc_wal_read_dir(wal_dir, &any, NULL, NULL, &r, err, sizeof(err)) == 0)
		FUZZ_ASSERT(r.end == OC_WAL_END_CLEAN || r.segment[0] != '\0');
	recover(data_dir, flags & FLAG_TRUNCATE_CORRUPT);
	fuzz_rm_tree(data_dir);
	return 0;
}

const char fuzz_name[] = "fuzz_recovery";

/* Appends a file to the seed; 0 when it does not fit. */
static size_t seed_file(uint8_t *out, size_t cap, uint8_t kind, const uint8_t *p, size_t n)
{
	if (n > 0xffff || FILE_HEADER_BYTES + n > cap)
		return 0;
	out[0] = kind;
	out[1] = (uint8_t)n;
	out[2] = (uint8_t)(n >> 8);
	memcpy(out + FILE_HEADER_BYTES, p, n);
	return FILE_HEADER_BYTES + n;
}

/* Reads dir/name whole into buf (cap bytes); its length, 0 when it does not fit. */
static size_t slurp(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
	char path[FUZZ_PATH_BYTES];
	FUZZ_PRINT(path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	FUZZ_ASSERT(f != NULL);
	size_t n = fread(buf, 1, cap, f);
	bool whole = fgetc(f) == EOF;
	fclose(f);
	return whole ? n : 0;
}

/* One run of the engine on data_dir: the commands, then a stop (with a snapshot or not). */
static void seed_run(const char *data_dir, struct oc_command *cmds, uint32_t n, bool snapshot)
{
	struct oc_config cfg;
	config(&cfg, data_dir);
	cfg.snapshot_on_stop = snapshot;
	struct oc_engine *e;
	char err[1024];
	FUZZ_ASSERT(oc_engine_create(&cfg, &e, err, sizeof(err)) == 0);
	FUZZ_ASSERT(oc_engine_start(e) == 0);
	run_commands(e, cmds, n, 0);
	stop(e);
}

size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	char data_dir[FUZZ_PATH_BYTES], wal_dir[FUZZ_PATH_BYTES];
	FUZZ_PRINT(data_dir, "%s/seed", fuzz_scratch());
	FUZZ_PRINT(wal_dir, "%s/wal", data_dir);
	fuzz_rm_tree(data_dir);
	struct oc_command first[] = {
		{.type = OC_CMD_PLACE, .line_count = 2, .key = 9, .customer = 4,
		 .lines = {{100003, 2, 0}, {100004, 1, 0}}},
		{.type = OC_CMD_PLACE, .line_count = 1, .key = 10, .customer = 4,
		 .flags = OC_PLACE_CARD, .lines = {{100005, 1, 0}}},
		{.type = OC_CMD_PICK_CONFIRMED, .key = 9, .customer = 4},
		{.type = OC_CMD_RESTOCK, .line_count = 1, .region = 1, .key = 11, .customer = 5,
		 .lines = {{100001, 50, 0}}},
	};
	struct oc_command second[] = {
		{.type = OC_CMD_PAYMENT_AUTHORIZED, .key = 10, .customer = 4},
		{.type = OC_CMD_PACK_CONFIRMED, .key = 9, .customer = 4},
		{.type = OC_CMD_CANCEL, .key = 10, .customer = 4},
		{.type = OC_CMD_PLACE, .line_count = 1, .key = 12, .customer = 6,
		 .lines = {{100001, 2, 0}}},
	};
	seed_run(data_dir, first, 4, true);
	seed_run(data_dir, second, 4, false);
	uint64_t seqs[4];
	char root[FUZZ_PATH_BYTES];
	FUZZ_PRINT(root, "%s/snapshots", data_dir);
	int snapshots = oc_snap_list(root, seqs, 4);
	if (snapshots != 1)
		return 0;
	size_t n = 1;
	*count = 0;
	out[0] = 0; /* no flag */
	static uint8_t buf[FUZZ_INPUT_BYTES_MAX];
	/* The log: its one segment, without the zeros of its preallocated tail. */
	char name[OC_WAL_SEGMENT_NAME_BYTES];
	oc_wal_segment_name(1, name);
	uint64_t bytes;
	{
		char path[FUZZ_PATH_BYTES];
		FUZZ_PRINT(path, "%s/%s", wal_dir, name);
		FILE *f = fopen(path, "rb");
		FUZZ_ASSERT(f != NULL);
		bytes = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	size_t end = 0;
	struct oc_wal_frame fr;
	while (oc_wal_frame_check(buf + end, bytes - end, &fr) == OC_WAL_OK)
		end += fr.frame_bytes;
	size_t m = seed_file(out + n, cap - n, FILE_SEGMENT, buf, end);
	if (!m || end == 0)
		return 0;
	n += m;
	(*count)++;
	char parts[FILE_KINDS - 1][16] = {"manifest", "validate", "", "", "route"};
	oc_snap_shard_part(parts[FILE_SHARD0 - FILE_MANIFEST], 0);
	oc_snap_shard_part(parts[FILE_SHARD1 - FILE_MANIFEST], 1);
	char dir[FUZZ_PATH_BYTES];
	FUZZ_PRINT(dir, "%s/%020llu", root, (unsigned long long)seqs[0]);
	for (uint32_t i = 0; i < FILE_KINDS - 1; i++) {
		size_t k = slurp(dir, parts[i], buf, sizeof(buf));
		m = k ? seed_file(out + n, cap - n, (uint8_t)(FILE_MANIFEST + i), buf, k) : 0;
		if (!m)
			return 0;
		n += m;
		(*count)++;
	}
	fuzz_rm_tree(data_dir);
	return n;
}
