/* sim_disk.h: the deterministic simulation's disk (a fault-injecting mock of the log's
 * writes and syncs, plugged in through oc_wal_test_set_disk). It owns what the real disk
 * would decide: which writes fail (EIO, ENOSPC, with or without a part of the frame
 * landing), which syncs fail, and, at a crash, which of the writes not yet synced survive.
 *
 * Writes go to the real segment files (pwrite), so recovery reads real files; the disk keeps
 * the bytes each write replaced until a sync makes it durable. A crash (at a chosen write)
 * lands a torn part of that write, then keeps an ordered prefix of the unsynced writes (the
 * last kept one possibly torn) and puts back what the rest replaced: the state a power cut
 * leaves when the page cache reaches the disk in order. After the crash every write and
 * sync fails, so the dead process acknowledges nothing more. fdatasync itself is not called
 * (the process does not really die: the page cache is what recovery reads). */
#ifndef OC_SIM_DISK_H
#define OC_SIM_DISK_H

#include <stdbool.h>
#include <stdint.h>

/* Unsynced writes the disk can hold (the log's buffers in flight, and async mode's writes
 * between syncs). */
#define SIM_DISK_PENDING_MAX 4096u

/* The faults of one life of the process (0: none of that kind). Operation numbers count
 * writes (and syncs, for sync faults) from 1 in that life. */
struct sim_disk_plan {
	uint64_t crash_at_write; /* the process dies during this write */
	uint64_t fail_write_at;  /* this write fails with fail_err */
	uint64_t fail_sync_at;   /* this sync fails with fail_err */
	int fail_err;            /* -EIO or -ENOSPC */
};

struct sim_disk_write {
	int fd;   /* the log's descriptor, as the sync names it */
	int file; /* a dup of it, to put bytes back after the log has closed fd */
	uint64_t offset;
	uint32_t bytes;
	uint64_t last_seq; /* of the frame: its last command's sequence number */
	uint8_t *before;   /* what the write replaced */
};

struct sim_disk {
	uint64_t rng;
	struct sim_disk_plan plan;
	uint64_t writes, syncs; /* this life */
	bool crashed;
	bool failed; /* an injected fault happened this life */
	/* What the disk knows of the log, from the frames it was given (independent of what the
	 * engine believes): written, and made durable by a sync. */
	uint64_t written_seq, durable_seq;
	uint32_t pending_count;
	struct sim_disk_write pending[SIM_DISK_PENDING_MAX];
	uint64_t trace; /* a hash of every operation and decision: equal for equal runs */
	/* Totals over the disk's lives, for the report. */
	uint64_t crashes, torn, lost_writes, write_faults, sync_faults;
};

/* Starts a disk (nothing pending, nothing known) with its own generator. */
void sim_disk_init(struct sim_disk *d, uint64_t seed);

/* Begins a life of the process: counters to 0, this plan. */
void sim_disk_arm(struct sim_disk *d, const struct sim_disk_plan *plan);

/* Installs d as the log's disk for the process (oc_wal_test_set_disk); NULL removes it. */
void sim_disk_install(struct sim_disk *d);

/* The process dies now (between two operations): the same fate for the unsynced writes as
 * a crash during a write. Every later write and sync fails. */
void sim_disk_crash(struct sim_disk *d);

/* Frees what the disk kept. */
void sim_disk_destroy(struct sim_disk *d);

#endif
