/* wal.h: the write-ahead log's files: segment files in one directory, each preallocated to
 * segment_bytes and named by the first sequence number it holds (20 zero-padded decimal
 * digits + ".wal"), frames appended in order, a new segment when the next frame does not
 * fit. Two backends behind this one interface, chosen at create: io_uring (write + linked
 * fdatasync per frame, several frames in flight) and pwritev + fdatasync (synchronous).
 * The reader half (oc_wal_read_dir, oc_wal_truncate_at) scans and classifies a directory.
 *
 * Threading: a struct oc_wal is used by one thread (the journal stage). The reader functions
 * are independent of any writer and must not run while one writes the same directory
 * (oc_wal_remove_before may: it never touches the newest segment).
 *
 * Errors are negative errno values. A write or sync that fails makes the error sticky: every
 * later append, poll, wait or sync returns it, and no frame at or after the failed one is
 * ever reported durable. */
#ifndef OC_WAL_H
#define OC_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercore/ordercore.h"
#include "wal/wal_format.h"
#include "wal/wal_limits.h"

enum oc_wal_mode {
	OC_WAL_MODE_SYNC = 0,  /* fdatasync every frame; durable = written and synced */
	OC_WAL_MODE_ASYNC = 1, /* no per-frame sync; the caller calls oc_wal_sync at intervals */
	OC_WAL_MODE_NONE = 2,  /* never sync; durable = written (benchmarks only) */
};

enum oc_wal_backend {
	OC_WAL_BACKEND_AUTO = 0,   /* io_uring, or pwrite if io_uring cannot be set up */
	OC_WAL_BACKEND_URING = 1,  /* io_uring or fail */
	OC_WAL_BACKEND_PWRITE = 2, /* pwritev + fdatasync */
};

struct oc_wal_config {
	const char *dir;        /* created if missing (one level); kept by copy */
	uint64_t segment_bytes; /* preallocated size of each segment file */
	enum oc_wal_mode mode;
	enum oc_wal_backend backend;
	uint32_t inflight_frames;  /* frames the io_uring backend keeps in flight (1 for pwrite) */
	struct oc_wal_chain start; /* where the log stands: {OC_WAL_CHAIN_SEED, 1} for a new log,
	                            * or oc_wal_read_result.chain to continue one */
};

/* Where the writer stands. Sequence numbers are inclusive; 0 means none yet. */
struct oc_wal_progress {
	uint64_t appended_seq; /* last sequence number handed to oc_wal_append */
	uint64_t written_seq;  /* last one whose frame, and all before it, were written */
	uint64_t durable_seq;  /* last one whose frame, and all before it, were written and synced
	                        * (mode none: written) */
	int error;             /* the sticky error, or 0 */
};

struct oc_wal;

/* Defaults: segment_bytes OC_WAL_SEGMENT_BYTES_DEFAULT, mode sync, backend auto,
 * OC_WAL_INFLIGHT_FRAMES_DEFAULT frames in flight, start {OC_WAL_CHAIN_SEED, 1}. */
void oc_wal_config_init(struct oc_wal_config *cfg);

/* Opens the log for appending: allocates every buffer (inflight_frames x
 * OC_WAL_FRAME_BYTES_MAX), sets up the backend and creates the segment named
 * cfg->start.next_seq (reusing it only if it exists and holds no frame: a crash between
 * creating a segment and writing to it). The previous segments are left as they are; a
 * reader passes from one to the next at the first zeroed header. Returns 0 or -errno with a
 * one-line reason in err (-EEXIST if that segment holds data). */
int oc_wal_create(const struct oc_wal_config *cfg, struct oc_wal **out, char *err,
                  size_t err_bytes);

/* Waits for the frames in flight, syncs in async mode, closes and frees. w may be NULL.
 * Returns the sticky error or the error of that last sync, else 0. */
int oc_wal_free(struct oc_wal *w);

/* The backend in use, and whether "auto" fell back to pwrite because io_uring could not be
 * set up (then *uring_error, if not NULL, gets io_uring_queue_init's -errno): the caller
 * says so once in its log. */
enum oc_wal_backend oc_wal_backend_used(const struct oc_wal *w);
bool oc_wal_fell_back(const struct oc_wal *w, int *uring_error);
const char *oc_wal_backend_name(enum oc_wal_backend b);

/* The buffer the next appended frame should be encoded into (OC_WAL_FRAME_BYTES_MAX bytes,
 * 8-byte aligned): appending it skips a copy. Valid until the next oc_wal_append. */
void *oc_wal_frame_buffer(struct oc_wal *w);

/* Appends one finished frame (from oc_wal_encoder_finish). It must follow the previous frame
 * (its chain and sequence numbers are asserted: a gap is a programmer error). The frame is
 * copied unless it is oc_wal_frame_buffer's buffer, so the caller may reuse its memory at
 * once. Starts a new segment first if the frame does not fit the current one. Returns 0 once
 * the frame is submitted (pwrite backend: written, and synced in sync mode); blocks only
 * while inflight_frames frames are already in flight. -EMSGSIZE if the frame is larger than
 * a segment; the sticky error if there is one. */
int oc_wal_append(struct oc_wal *w, const void *frame, uint32_t bytes);

/* Frames written or being written and not yet complete. */
uint32_t oc_wal_frames_in_flight(const struct oc_wal *w);

/* True when oc_wal_frame_buffer and oc_wal_append would not block (a slot is free). */
bool oc_wal_can_append(const struct oc_wal *w);

/* Collects completions without blocking and fills *out (may be NULL). Returns 0 or the
 * sticky error. */
int oc_wal_poll(struct oc_wal *w, struct oc_wal_progress *out);

/* Blocks until nothing is in flight, then as oc_wal_poll. */
int oc_wal_wait(struct oc_wal *w, struct oc_wal_progress *out);

/* Makes every written frame durable: waits for the frames in flight, then fdatasyncs the
 * current segment (segments already left were synced when the log moved on). For async
 * mode; harmless in the others. Returns 0 or the (now sticky) error. */
int oc_wal_sync(struct oc_wal *w);

/* Test-only fault injection: the next frame's write (or, in sync mode, its sync) fails with
 * `err` (a negative errno) instead of reaching the disk, as EIO or ENOSPC from the kernel
 * would. Production code never calls these. */
void oc_wal_test_fail_next_write(struct oc_wal *w, int err);
void oc_wal_test_fail_next_sync(struct oc_wal *w, int err);
/* Test-only: the next oc_wal_create's io_uring set-up fails with `err` (process-wide, one
 * shot), as in a container whose seccomp profile blocks io_uring_setup. */
void oc_wal_test_fail_next_uring_init(int err);

/* Test-only: a disk that fails and forgets on purpose (tests/sim/sim_disk.c). While one is
 * set (process-wide, before any oc_wal_create, never while a log is open), every log created
 * uses the pwrite backend, and its frame writes and data syncs go to `write` and `sync`
 * instead of the kernel: 0 or a negative errno, as pwrite (all bytes) and fdatasync would
 * return. Segment creation and preallocation stay real. NULL: back to the kernel. */
struct oc_wal_test_disk {
	int (*write)(void *ctx, int fd, const void *buf, uint32_t bytes, uint64_t offset);
	int (*sync)(void *ctx, int fd);
	void *ctx;
};
void oc_wal_test_set_disk(const struct oc_wal_test_disk *disk);

/* The file name of the segment whose first sequence number is seq (OC_WAL_SEGMENT_NAME_BYTES
 * bytes with the NUL). */
void oc_wal_segment_name(uint64_t seq, char name[OC_WAL_SEGMENT_NAME_BYTES]);

/* ---- reading ---- */

enum oc_wal_end {
	OC_WAL_END_CLEAN = 0,   /* every frame valid; the data ends at a zeroed header or EOF */
	OC_WAL_END_TORN = 1,    /* the last frame is incomplete or bad and nothing valid follows:
	                         * truncate at (segment, offset) */
	OC_WAL_END_CORRUPT = 2, /* a bad frame with a valid one after it, a broken chain, a
	                         * sequence gap: refuse, and report (segment, offset, seq) */
};

struct oc_wal_read_result {
	enum oc_wal_end end;
	enum oc_wal_status status;               /* torn/corrupt: what was wrong at the location */
	char segment[OC_WAL_SEGMENT_NAME_BYTES]; /* torn/corrupt: file of the location */
	uint64_t offset;           /* torn/corrupt: byte offset of the bad frame in it */
	uint64_t seq;              /* torn/corrupt: the sequence number expected there */
	uint64_t first_seq;        /* first sequence number delivered (0: none) */
	uint64_t last_seq;         /* last sequence number delivered (0: none) */
	uint64_t frames;           /* valid frames read */
	uint64_t records;          /* records delivered */
	uint32_t segments;         /* segment files seen */
	struct oc_wal_chain chain; /* after the last valid frame: oc_wal_config.start */
};

/* Called once per record in sequence order; a nonzero return stops the scan and is returned
 * by oc_wal_read_dir. */
typedef int (*oc_wal_record_fn)(void *ctx, const struct oc_command *c);

/* Scans dir's segments in sequence order, verifies every frame and the chain across segment
 * boundaries, delivers the records of the valid prefix to fn (may be NULL: verify only) and
 * classifies the end into *out. `start` is where the log should begin ({OC_WAL_CHAIN_SEED,
 * 1} for a complete log; next_seq 0 to accept whatever the first frame says, e.g. when older
 * segments were removed after a snapshot). An empty or missing directory is a clean, empty
 * log. Returns 0 (whatever the classification), fn's nonzero value, or -errno for an I/O
 * failure, with a one-line reason in err. */
int oc_wal_read_dir(const char *dir, const struct oc_wal_chain *start, oc_wal_record_fn fn,
                    void *ctx, struct oc_wal_read_result *out, char *err, size_t err_bytes);

/* Cuts the log at (segment, offset) of a torn tail: zeroes that segment from offset to its
 * end (keeping its preallocated size), removes it if offset is 0, removes every later
 * segment, and syncs the file and the directory. Returns 0 or -errno. */
int oc_wal_truncate_at(const char *dir, const char *segment, uint64_t offset);

/* Removes every segment whose records all have sequence numbers <= seq (those a snapshot
 * at seq makes unnecessary): a segment goes when the next one's name is <= seq + 1. The
 * newest segment always stays. Syncs the directory. 0 or -errno. Safe while a writer appends
 * to the newest segment. */
int oc_wal_remove_before(const char *dir, uint64_t seq);

#endif
