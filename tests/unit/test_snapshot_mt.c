/* test_snapshot_mt.c: snapshot files and the snapshot protocol (engine/wal/snapshot.h).
 *
 * - part files: what is written reads back; a flipped byte, a cut file, a file of another
 *   kind or sequence number are refused with the path;
 * - a crash at each step of the protocol (the test-only hook kills a child process with
 *   SIGKILL there) leaves the old snapshot or the new one, never neither, and recovery from
 *   it reaches the state of a run that was not interrupted;
 * - old log segments are removed once the snapshots kept no longer need them;
 * - a snapshot that cannot be written is abandoned, and the log still holds everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/rand.h"
#include "engine_test.h"
#include "oc_test.h"
#include "pipeline_util.h"
#include "wal/snapshot.h"

#define SKUS 64
#define SKU_BASE 500001u
#define CUSTOMERS 400
#define SHARDS 4
#define INFLIGHT 64

static char dataset[1024];

static int setup(void **state)
{
	static const struct pl_warehouse wh[2] = {{"N", 52.5, 13.4, "NORTH"},
						  {"S", 41.9, 12.5, "SOUTH"}};
	struct pl_sku skus[SKUS];
	struct pl_stock stock[SKUS * 2];
	for (uint32_t i = 0; i < SKUS; i++) {
		skus[i] = (struct pl_sku){SKU_BASE + i, i < 8 ? 2 : 0};
		stock[2 * i] = (struct pl_stock){SKU_BASE + i, "N", i < 16 ? 40 : 5000};
		stock[2 * i + 1] = (struct pl_stock){SKU_BASE + i, "S", i < 16 ? 30 : 5000};
	}
	oc_test_scratch_dir(dataset, sizeof(dataset), "test_snapshot");
	struct pl_dataset d = {skus, SKUS, wh, 2, stock, SKUS * 2};
	pl_dataset_write(dataset, &d);
	return 0;
}

/* Orders over hot SKUs (stock runs out, limits bind) with cancels of earlier orders, so that
 * releases are pending in the shards when a snapshot is taken. */
static struct oc_command *stream(uint32_t n, uint64_t seed, uint64_t first_key)
{
	struct oc_command *c = calloc(n, sizeof(*c));
	assert_non_null(c);
	uint64_t rng = seed;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t customer = 1 + oc_rand_below(&rng, CUSTOMERS);
		if (i > 10 && oc_rand_below(&rng, 8) == 0) {
			const struct oc_command *o = &c[oc_rand_below(&rng, i)];
			c[i] = pl_cancel(o->key, o->customer);
			continue;
		}
		c[i] = pl_place(first_key + i, customer, (uint16_t)oc_rand_below(&rng, 2));
		uint32_t lines = 1 + (uint32_t)oc_rand_below(&rng, 3);
		for (uint32_t l = 0; l < lines; l++)
			pl_line_add(&c[i], SKU_BASE + (oc_rand_below(&rng, 4) ? l * 7 % 16
									       : 16 + oc_rand_below(&rng, 48)),
				    1 + (uint32_t)oc_rand_below(&rng, 2));
	}
	return c;
}

static void run(struct oc_engine *e, struct oc_command *c, uint32_t n)
{
	struct oc_response *r = calloc(n, sizeof(*r));
	assert_non_null(r);
	pl_run(e, c, n, r);
	free(r);
}

/* ---- part files ---- */

static void test_part_round_trip_and_damage_refused(void **state)
{
	char dir[1024], path[1200], err[512];
	oc_test_scratch_dir(dir, sizeof(dir), "snap_part");
	snprintf(path, sizeof(path), "%s/part", dir);
	struct oc_snap_buf w = {0};
	static uint32_t big[(3u << 20) / 4]; /* the image grows several times */
	for (uint32_t i = 0; i < sizeof(big) / 4; i++)
		big[i] = i * 2654435761u;
	for (int round = 0; round < 2; round++) { /* the memory is reused */
		oc_snap_part_begin(&w, OC_SNAP_SHARD, 3, 77);
		oc_snap_put_u64(&w, 0x1122334455667788ull);
		oc_snap_put(&w, big, sizeof(big));
		oc_snap_put_u32(&w, 9);
		assert_int_equal(oc_snap_part_end(&w), 0);
		assert_int_equal(w.len, 24 + 8 + sizeof(big) + 4 + 8);
	}
	assert_int_equal(oc_snap_file_write(path, &w), 0);
	oc_snap_buf_free(&w);

	struct oc_snap_reader r;
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 77, err, sizeof(err)), 0);
	assert_int_equal(oc_snap_get_u64(&r), 0x1122334455667788ull);
	assert_memory_equal(oc_snap_get(&r, sizeof(big)), big, sizeof(big));
	assert_int_equal(oc_snap_get_u32(&r), 9);
	assert_true(oc_snap_reader_done(&r));
	assert_null(oc_snap_get(&r, 1));
	assert_false(oc_snap_reader_done(&r));
	oc_snap_reader_close(&r);

	/* Another kind, index or sequence number than its name says. */
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_ROUTE, 3, 77, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 2, 77, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 78, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "differs"));
	/* One flipped bit anywhere. */
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 1000000, SEEK_SET);
	int c = fgetc(f);
	fseek(f, 1000000, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 77, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "checksum"));
	assert_non_null(strstr(err, path));
	/* Cut short. */
	assert_int_equal(truncate(path, 20), 0);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 77, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 77, err, sizeof(err)),
			 -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(oc_snap_reader_open(&r, path, OC_SNAP_SHARD, 3, 77, err, sizeof(err)),
			 -ENOENT);
}

/* ---- the protocol under crashes ---- */

#define N1 3000u
#define N2 3000u

/* Two streams: the first, a snapshot, the second (ending in a snapshot request). */
struct plan {
	struct oc_command *a, *b;
};

static struct pl_topology topology(const char *data)
{
	return (struct pl_topology){2, 1, SHARDS, INFLIGHT, N1 + N2, data};
}

/* Runs stream a, a snapshot, stream b, and asks for the second snapshot. */
static void run_plan(struct oc_engine *e, const struct plan *p)
{
	struct oc_command *a = malloc(N1 * sizeof(*a)), *b = malloc(N2 * sizeof(*b));
	assert_true(a && b);
	memcpy(a, p->a, N1 * sizeof(*a));
	memcpy(b, p->b, N2 * sizeof(*b));
	run(e, a, N1);
	assert_int_equal(oc_engine_snapshot(e), 0);
	run(e, b, N2);
	assert_int_equal(oc_engine_snapshot(e), 0);
	free(a);
	free(b);
}

static bool exists(const char *data, uint64_t seq, bool tmp)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/snapshots/%020llu%s/manifest", data,
		 (unsigned long long)seq, tmp ? ".tmp" : "");
	struct stat st;
	return stat(path, &st) == 0;
}

static void test_crash_at_each_snapshot_step_leaves_old_or_new(void **state)
{
	struct plan p = {stream(N1, 0x51, 1), stream(N2, 0x52, 100000)};
	/* The run without a crash: snapshots at N1 + 1 and N1 + N2 + 2. */
	char ref[1024];
	oc_test_scratch_dir(ref, sizeof(ref), "snap_ref");
	struct pl_topology t = topology(ref);
	struct oc_engine *e = pl_engine_start(dataset, &t);
	run_plan(e, &p);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	uint64_t want = oc_engine_state_hash(e);
	oc_engine_free(e);
	const uint64_t old_seq = N1 + 1, new_seq = N1 + N2 + 2;
	assert_int_equal(st.snapshots, 2);
	assert_int_equal(st.snapshot_seq, new_seq);

	for (int step = OC_SNAP_STEP_BEGUN; step < OC_SNAP_STEP_COUNT; step++) {
		char data[1024];
		oc_test_scratch_dir(data, sizeof(data), "snap_crash");
		t = topology(data);
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* The child: the crash hook fires during the second snapshot. */
			e = pl_engine_start(dataset, &t);
			struct oc_command *a = malloc(N1 * sizeof(*a));
			memcpy(a, p.a, N1 * sizeof(*a));
			run(e, a, N1);
			oc_engine_snapshot(e);
			struct oc_command *b = malloc(N2 * sizeof(*b));
			memcpy(b, p.b, N2 * sizeof(*b));
			run(e, b, N2);
			/* The first snapshot is written in the background: wait for it. */
			while (oc_engine_test_snapshots_finished(e) < 1)
				usleep(1000);
			oc_engine_test_crash_at_snapshot_step(step);
			oc_engine_snapshot(e);
			sleep(30);
			_exit(3); /* the hook did not fire */
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		bool renamed = step >= OC_SNAP_STEP_RENAMED;
		/* Never neither: the old one is whole until the new one is committed. */
		assert_true(exists(data, old_seq, false));
		assert_int_equal(exists(data, new_seq, false), renamed);
		assert_int_equal(exists(data, new_seq, true), step == OC_SNAP_STEP_MANIFEST);

		struct pl_topology u = topology(data);
		e = pl_engine_start(dataset, &u);
		pl_stop(e);
		oc_engine_stats(e, &st);
		print_message("crash at step %d: restored %llu, recovered %llu\n", step,
			      (unsigned long long)st.restored_seq,
			      (unsigned long long)st.recovered);
		assert_int_equal(st.restored_seq, renamed ? new_seq : old_seq);
		assert_int_equal(st.recovered, new_seq); /* the barrier was logged first */
		assert_int_equal(oc_engine_state_hash(e), want);
		oc_engine_free(e);
	}
	free(p.a);
	free(p.b);
}

/* Segments wholly before the oldest kept snapshot go; the snapshots beyond `kept` go. */
static void test_old_segments_and_snapshots_removed(void **state)
{
	char data[1024], wal[1100];
	oc_test_scratch_dir(data, sizeof(data), "snap_prune");
	snprintf(wal, sizeof(wal), "%s/wal", data);
	struct pl_topology t = {1, 1, SHARDS, INFLIGHT, 40000, data};
	t.segment_bytes = 64u << 10; /* the smallest: a few thousand orders each */
	t.snapshot_records = 5000;
	struct oc_command *c = stream(30000, 0x53, 1);
	struct oc_engine *e = pl_engine_start(dataset, &t);
	run(e, c, 30000);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	uint64_t h = oc_engine_state_hash(e);
	oc_engine_free(e);
	assert_int_equal(st.snapshots, 6); /* every 5,000; the stop's falls on the last */
	uint64_t seqs[8];
	char root[1100];
	snprintf(root, sizeof(root), "%s/snapshots", data);
	assert_int_equal(oc_snap_list(root, seqs, 8), OC_DEFAULT_SNAPSHOTS_KEPT);
	assert_int_equal(seqs[0], st.snapshot_seq);
	/* The oldest segment left starts at or before the older snapshot kept + 1, and the
	 * next one after it. */
	DIR *d = opendir(wal);
	assert_non_null(d);
	uint64_t first = UINT64_MAX;
	uint32_t segments = 0;
	for (struct dirent *ent; (ent = readdir(d));)
		if (strstr(ent->d_name, ".wal")) {
			uint64_t s = strtoull(ent->d_name, NULL, 10);
			first = s < first ? s : first;
			segments++;
		}
	closedir(d);
	print_message("%u segments left, the first at %llu; snapshots %llu %llu\n", segments,
		      (unsigned long long)first, (unsigned long long)seqs[0],
		      (unsigned long long)seqs[1]);
	assert_true(first > 1 && first <= seqs[1] + 1);
	/* And the engine recovers from what is left. */
	e = pl_engine_start(dataset, &t);
	pl_stop(e);
	assert_int_equal(oc_engine_state_hash(e), h);
	oc_engine_free(e);
	free(c);
}

/* A snapshot that cannot be written (here data_dir/snapshots is a file, so no directory can
 * be made in it: a real failure, not an injected one) is abandoned and said; the engine goes
 * on answering, and a restart recovers everything from the log. */
static void test_failed_snapshot_abandoned_log_keeps_everything(void **state)
{
	char data[1024], path[1200];
	oc_test_scratch_dir(data, sizeof(data), "snap_fail");
	snprintf(path, sizeof(path), "%s/snapshots", data);
	struct pl_topology t = {2, 1, SHARDS, INFLIGHT, 20000, data};
	t.snapshot_records = 2000;
	struct oc_command *c = stream(10000, 0x54, 1);
	struct oc_engine *e = pl_engine_start(dataset, &t);
	/* After start (create refuses a data_dir whose snapshots/ cannot be listed). */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	run(e, c, 10000);
	pl_stop(e);
	struct oc_stats st;
	oc_engine_stats(e, &st);
	uint64_t h = oc_engine_state_hash(e);
	oc_engine_free(e);
	assert_int_equal(st.snapshots, 0);
	assert_int_equal(st.snapshot_failures, 5); /* four by count, one at stop */
	assert_int_equal(st.responses, 10000);

	assert_int_equal(unlink(path), 0); /* the operator fixes it */
	e = pl_engine_start(dataset, &t);
	pl_stop(e);
	oc_engine_stats(e, &st);
	assert_int_equal(st.restored_seq, 0);
	assert_int_equal(st.recovered, 10000 + 5); /* the commands and the five barriers */
	assert_int_equal(st.snapshots, 1);         /* and now one at stop */
	assert_int_equal(oc_engine_state_hash(e), h);
	oc_engine_free(e);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_part_round_trip_and_damage_refused),
	    cmocka_unit_test(test_crash_at_each_snapshot_step_leaves_old_or_new),
	    cmocka_unit_test(test_old_segments_and_snapshots_removed),
	    cmocka_unit_test(test_failed_snapshot_abandoned_log_keeps_everything),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
