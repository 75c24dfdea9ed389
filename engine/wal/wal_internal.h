/* wal_internal.h: what wal.c (segments, slots, progress) shares with the two backends
 * (wal_uring.c, wal_pwrite.c). Not for use outside engine/wal. */
#ifndef OC_WAL_INTERNAL_H
#define OC_WAL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "wal/wal.h"

/* One frame on its way to the disk. Slots form a ring in append order. */
struct wal_slot {
	uint8_t *buf; /* OC_WAL_FRAME_BYTES_MAX bytes, owned by the wal */
	uint32_t bytes;
	int fd;          /* the segment it goes to */
	uint64_t offset; /* in that segment */
	uint64_t last_seq;
	bool need_sync; /* sync mode: a datasync follows the write */
	bool write_done;
	bool sync_done;
	int res;          /* first error of the write or sync, else 0 */
	int inject_write; /* test-only faults to report instead of doing the I/O */
	int inject_sync;
};

struct wal_backend_ops {
	const char *name;
	/* Starts the write (and linked sync) of a slot; it may complete at once. -errno if it
	 * could not even be submitted (the caller makes that sticky). */
	int (*submit)(struct oc_wal *w, struct wal_slot *s);
	/* Marks completed slots done; waits for at least one completion if `wait`. */
	int (*reap)(struct oc_wal *w, bool wait);
	void (*destroy)(struct oc_wal *w);
};

struct oc_wal {
	struct oc_wal_config cfg;
	char dir[OC_WAL_DIR_BYTES_MAX];
	int dirfd;
	int fd;                    /* current segment, or -1 */
	uint64_t seg_offset;       /* bytes used in it */
	struct oc_wal_chain chain; /* after the last appended frame */
	struct wal_slot *slots;    /* inflight_frames of them */
	uint8_t *bufs;
	size_t bufs_bytes;
	uint32_t slot_count;
	uint32_t head; /* oldest slot in flight */
	uint32_t used; /* slots in flight */
	struct oc_wal_progress progress;
	uint64_t written_unsynced; /* async: written since the last sync */
	int inject_write, inject_sync;
	enum oc_wal_backend backend;
	bool fell_back;
	int uring_error;
	const struct wal_backend_ops *ops;
	void *be; /* backend state */
};

extern const struct wal_backend_ops oc_wal_pwrite_ops;
extern const struct wal_backend_ops oc_wal_uring_ops;

/* Sets up the io_uring backend in w->be; -errno if the kernel refuses (fall back then). */
int oc_wal_uring_init(struct oc_wal *w, uint32_t entries);

/* The process's test disk (oc_wal_test_set_disk), or NULL. */
extern const struct oc_wal_test_disk *oc_wal_disk;

/* fdatasync, or the test disk's sync. 0 or -errno. */
int oc_wal_datasync(int fd);

static inline struct wal_slot *wal_slot_at(struct oc_wal *w, uint32_t i)
{
	return &w->slots[i % w->slot_count];
}

#endif
