/* snapshot.h: the files of a snapshot and of a data directory's identity. It owns their
 * format and the protocol that makes a snapshot appear whole or not at all; what goes into
 * each part is the business of the stage that writes it (validate.c, inventory.c, route.c).
 *
 * A snapshot of the state after command `seq` is a directory data_dir/snapshots/<seq as 20
 * digits>/ holding one part file per stage ("validate", "shard-00".., "route") and a
 * "manifest", written last. The protocol (docs/wal.md, "Snapshots"):
 *   1. <seq>.tmp/ is made (a leftover one removed) and validate's part written in it;
 *   2. each shard's part, then route's: write, fsync, close;
 *   3. the manifest is written and fsynced, then the <seq>.tmp/ directory;
 *   4. <seq>.tmp is renamed to <seq>: the commit point;
 *   5. snapshots/ is fsynced, then the snapshots older than the newest `kept` and the log
 *      segments no kept snapshot needs are removed.
 * The stages build their parts in memory when the barrier reaches them; the snapshot writer
 * thread (snapshotter.c) carries out these steps.
 * A crash before 4 leaves a .tmp directory that recovery ignores and removes; after it, a
 * complete snapshot. Every part (and the manifest) carries its own checksum, so recovery can
 * tell a damaged snapshot and fall back to the one before.
 *
 * Part file layout (little-endian; the writer's host must be little-endian, as for the log):
 *   0  magic "OCSN" u32 | 4 version u16 | 6 kind u16 | 8 index u32 | 12 zero u32 |
 *   16 seq u64 | 24 payload ... | last 8 bytes: XXH3-64 of every byte before them.
 *
 * Threading: a part image or reader is used by one thread at a time. Not a hot path: the
 * functions allocate and block. */
#ifndef OC_SNAPSHOT_H
#define OC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "core/mem.h"
#include "core/table.h"

/* Bytes of a part's header and trailer. */
#define OC_SNAP_HEADER_BYTES 24u
#define OC_SNAP_TRAILER_BYTES 8u

/* Longest path of a snapshot file: data_dir is at most 4000 bytes (oc_config_check). */
#define OC_SNAP_PATH_BYTES_MAX 4096u

enum oc_snap_kind {
	OC_SNAP_VALIDATE = 1,
	OC_SNAP_SHARD = 2,
	OC_SNAP_ROUTE = 3,
	OC_SNAP_MANIFEST = 4,
	OC_SNAP_IDENTITY = 5, /* data_dir/identity: the configuration the directory belongs to */
};

/* The steps of the protocol above, for the test-only crash hook. */
enum oc_snap_step {
	OC_SNAP_STEP_BEGUN = 1,     /* <seq>.tmp made, validate's part written */
	OC_SNAP_STEP_PARTS = 2,     /* every stage's part written, no manifest yet */
	OC_SNAP_STEP_MANIFEST = 3,  /* manifest and .tmp directory synced, not renamed */
	OC_SNAP_STEP_RENAMED = 4,   /* renamed, snapshots/ not yet synced */
	OC_SNAP_STEP_COMMITTED = 5, /* snapshots/ synced, nothing pruned */
	OC_SNAP_STEP_PRUNED = 6,    /* older snapshots removed, log segments not yet */
	OC_SNAP_STEP_COUNT = 7
};

/* A part's whole file image, built in memory by the stage that owns the state and written
 * to disk by the snapshot writer thread (snapshotter.c), so that a stage stalls only for the
 * copy. The memory is kept from one snapshot to the next (no page faults after the first).
 * Its size is that of the state, so snapshots hold a second copy of it while written. */
struct oc_snap_buf {
	uint8_t *data;
	size_t len, cap;
	int error; /* -ENOMEM when it could not grow; sticky until the next begin */
};

/* Starts a part image in b (dropping what it held) with its header. Errors are kept in
 * b->error and returned by oc_snap_part_end, so a part is built without checks in between. */
void oc_snap_part_begin(struct oc_snap_buf *b, enum oc_snap_kind kind, uint32_t index,
			uint64_t seq);
/* Makes room for n more bytes at once (the memory is huge pages, touched when allocated:
 * building the image then runs at memcpy speed). */
void oc_snap_reserve(struct oc_snap_buf *b, size_t n);
void oc_snap_put(struct oc_snap_buf *b, const void *p, size_t n);
static inline void oc_snap_put_u32(struct oc_snap_buf *b, uint32_t v) { oc_snap_put(b, &v, 4); }
static inline void oc_snap_put_u64(struct oc_snap_buf *b, uint64_t v) { oc_snap_put(b, &v, 8); }
/* Appends the trailer. 0 or the first error. */
int oc_snap_part_end(struct oc_snap_buf *b);
void oc_snap_buf_free(struct oc_snap_buf *b);
/* Creates (or replaces) path with the image, fsyncs and closes it. 0 or -errno. */
int oc_snap_file_write(const char *path, const struct oc_snap_buf *b);

struct oc_snap_reader {
	struct oc_mapped_file file; /* the whole file, mapped read-only */
	const uint8_t *data;        /* file.data */
	size_t end;    /* where the payload ends */
	size_t pos;
	bool short_read; /* a get ran past the payload */
};

/* Maps path whole and checks its header (kind, index, seq) and checksum. 0, or -EINVAL /
 * -errno with a one-line reason in err. */
int oc_snap_reader_open(struct oc_snap_reader *r, const char *path, enum oc_snap_kind kind,
			uint32_t index, uint64_t seq, char *err, size_t err_bytes);
/* The next n payload bytes, or NULL (and short_read set) past the end. */
const void *oc_snap_get(struct oc_snap_reader *r, size_t n);
uint32_t oc_snap_get_u32(struct oc_snap_reader *r);
uint64_t oc_snap_get_u64(struct oc_snap_reader *r);
/* True when the payload was read exactly to its end. */
static inline bool oc_snap_reader_done(const struct oc_snap_reader *r)
{
	return !r->short_read && r->pos == r->end;
}
void oc_snap_reader_close(struct oc_snap_reader *r);

/* A hash map in a part: slots u32, keys u32, then per key in slot order: slot u32, key u64 (as
 * two u32, low first), value u32, aux u32. Restoring slot by slot rebuilds the table exactly;
 * the restore refuses (-EINVAL) a map of another size or a damaged one, into m (empty, sized
 * as when it was written). */
void oc_snap_put_u64map(struct oc_snap_buf *b, const struct oc_u64map *m);
int oc_snap_get_u64map(struct oc_snap_reader *r, struct oc_u64map *m);

/* Path of snapshot `seq` under root (data_dir/snapshots), of its temporary directory, and
 * of a part in either. */
void oc_snap_dir_path(char *out, const char *root, uint64_t seq, bool tmp);
void oc_snap_part_path(char *out, const char *root, uint64_t seq, bool tmp, const char *part);
void oc_snap_shard_part(char name[16], uint32_t shard);

/* fsync of a directory (after creating, renaming or removing in it). 0 or -errno. */
int oc_snap_fsync_dir(const char *path);

/* Step 1: makes root if missing and an empty <seq>.tmp/ in it. 0 or -errno. */
int oc_snap_begin(const char *root, uint64_t seq);
/* Steps 3 (the manifest is already written) to 5: syncs <seq>.tmp/, renames it, syncs root.
 * 0 or -errno. */
int oc_snap_commit(const char *root, uint64_t seq);
/* Removes every temporary directory and every snapshot but the newest `kept`; *oldest_kept
 * gets the oldest snapshot left (0: none). 0 or -errno. */
int oc_snap_prune(const char *root, uint32_t kept, uint64_t *oldest_kept);
/* The committed snapshots' seqs, newest first, at most max of them. Returns the count or
 * -errno; a missing root has none. */
int oc_snap_list(const char *root, uint64_t *seqs, uint32_t max);

/* Test-only: the process kills itself with SIGKILL when a snapshot reaches `step` (0: off). */
void oc_snap_test_crash_at(enum oc_snap_step step);
/* Called by the writers at each step. */
void oc_snap_step(enum oc_snap_step step);

#endif
