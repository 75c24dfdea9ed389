/* engine_internal.h: the engine object, shared by engine.c (the API, wiring, start and stop)
 * and engine_recovery.c (the data directory: identity, log check, snapshot restore, replay).
 * Not for use outside those two files. */
#ifndef OC_ENGINE_INTERNAL_H
#define OC_ENGINE_INTERNAL_H

#include "stages/stages_internal.h"

struct oc_engine {
	struct oc_config cfg;
	struct oc_dataset data;
	struct oc_screening screening; /* the dataset's fraud rules, countries and block list */
	struct oc_carriers carriers;   /* the dataset's carrier services and rates */
	struct oc_catalog catalog;
	uint32_t shards;
	uint32_t threads;
	bool started; /* workers running (or, stepped, started) */
	bool ran;     /* started once: an engine runs once */
	bool pinned;
	bool stepped; /* no threads: the caller runs the workers' turns (engine_test.h) */
	uint64_t created_unix_s; /* when oc_engine_create ran (the metrics' start time) */

	/* Rings, named by their producer -> consumer. */
	struct oc_ring cmd;       /* sequencer -> validate */
	struct oc_ring order;     /* validate -> route */
	struct oc_ring *line;     /* [shard] validate -> shard */
	struct oc_ring *result;   /* [shard] shard -> route */
	struct oc_ring *release;  /* [shard] route -> shard */
	struct oc_ring out;       /* route -> egress */
	struct oc_ring responses; /* egress -> poller */
	struct oc_ring logged;    /* journal -> validate, with a data_dir */

	struct oc_gateway gateway;
	struct oc_validate validate;
	struct oc_shard *shard; /* [shards] */
	struct oc_route route;
	struct oc_egress egress;
	struct oc_journal journal;
	struct oc_poller poller;
	int response_fd; /* eventfd: egress -> a sleeping poller */

	/* With a data_dir (engine_recovery.c). */
	bool journaled;
	struct oc_snap_plan snap;         /* paths, retention, the configuration's fingerprint */
	struct oc_snapshotter snapshotter;
	struct oc_wal_read_result log;    /* the log found at create */
	uint64_t restored_seq;            /* the snapshot restored at create (0: none) */
	uint64_t recovered_seq;           /* the last command recovered (snapshot or log) */

	struct oc_worker *workers;           /* [threads] */
	struct oc_worker **inventory_wakers; /* [threads] for validate */
	struct oc_worker **release_wakers;   /* [shard] for route */
};

/* Before the stages exist: makes data_dir, checks that it belongs to this configuration and
 * dataset (data_dir/identity, written on first use), and checks the log: a torn tail is cut,
 * corruption refuses the engine unless cfg.log_truncate_corrupt. */
int oc_recovery_check(struct oc_engine *e, char *err, size_t err_bytes);

/* After the stages and rings exist, before the workers: restores the newest snapshot the log
 * can continue (falling back to older ones when one is damaged) and opens the journal after
 * the log's last frame. */
int oc_recovery_restore(struct oc_engine *e, char *err, size_t err_bytes);

/* With the workers running: replays the logged commands after the restored snapshot
 * through the sequencer, their answers muted. 0 or -EIO. */
int oc_recovery_replay(struct oc_engine *e);

/* One wait of a loop that waits for the pipeline: a backoff while the workers run on their
 * threads, a turn of every worker when the engine is stepped. */
void oc_engine_wait_turn(struct oc_engine *e, uint32_t *turns);

#endif
