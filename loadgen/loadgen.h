/* loadgen.h: the parts of ordercore-loadgen: option parsing (main.c), the flash sale's order
 * stream (stream.c) and the tally of its answers (tally.c), shared by the in-process scenario
 * (flash_sale.c), which drives an embedded engine, and the network one (remote.c), which
 * drives a running ordercored over TCP; both check the invariants and report. */
#ifndef OC_LOADGEN_H
#define OC_LOADGEN_H

#include <stdint.h>
#include <stdio.h>

#include "lifecycle.h"
#include "ordercore/ordercore.h"

struct lg_options {
	const char *dataset_dir; /* NULL: generate one into a temporary directory */
	const char *json_path;   /* --json FILE */
	const char *data_dir;    /* --data-dir: the engine logs every command there */
	const char *acked_log;   /* --acked-log: every answer to a place, as it arrives */
	uint32_t durability;     /* enum oc_durability */
	uint64_t snapshot_every;       /* --snapshot-every; UINT64_MAX: the engine's default */
	uint32_t snapshot_interval_ms; /* --snapshot-interval-ms; UINT32_MAX: the default */
	uint32_t snapshots_kept;       /* --snapshots-kept; 0: the default */
	int truncate_corrupt_log;      /* --truncate-corrupt-log */
	const char *scenario;
	uint64_t orders;
	uint64_t seed;
	uint32_t skus, warehouses, stock_per_sku, hot_skus, hot_limit, hot_stock;
	uint64_t customers;      /* customer ids 1..customers; 0: orders / 10 */
	uint32_t threads, inventory_threads, shards, inflight_max;
	uint32_t batch;          /* commands per submit call */
	uint32_t multi_line_pct; /* orders with 2..4 lines */
	uint32_t duplicate_pct;  /* retries of an earlier key */
	uint32_t cancel_pct;     /* cancels of an earlier order */
	double zipf_s;           /* skew of SKU popularity */
	int quiet;
	const char *connect;     /* --connect HOST:PORT: drive ordercored there over TCP */
	const char *token;       /* --token: the daemon's shared secret */
	uint32_t connections;    /* --connections: TCP connections */
	uint32_t pipeline;       /* --pipeline: commands in flight per connection */
	const char *rate;        /* --rate SPEC: open loop on that schedule (pace.h); NULL:
	                          * closed loop (--max), as fast as the answers come */
	int max;                 /* --max given */
	uint32_t duration_s;     /* --duration: no stream command queued after it; 0: none */
	uint64_t key_base;       /* --key-base: the stream's keys are key_base + 1.. */
	const char *report_path; /* --report FILE.html (report.h) */
	const char *replay;      /* --replay FILE: the stream is the file's (replay.h) */
	uint32_t card_pct;       /* places paid by card */
	uint32_t screen_pct;     /* places screened for fraud, when the dataset screens */
	int channels;            /* places carry a channel, drawn from a retail mix */
	int players;             /* the lifecycle's players answer (lifecycle.h; --connect) */
	struct lg_life life;     /* their rates and delay */
};

/* Defaults of --connections and --pipeline. A few connections show the server's batching
 * across sockets; 256 in flight per connection (12 KiB of answers) keeps a group commit
 * full without coming near the daemon's 256 KiB of unsent answers per connection. */
#define LG_CONNECTIONS_DEFAULT 4u
#define LG_PIPELINE_DEFAULT    256u
/* --connections at most: the daemon's default --connections-max. */
#define LG_CONNECTIONS_MAX 1024u
/* --pipeline at most: the daemon's commands in flight over all connections
 * (OC_SERVER_INFLIGHT_MAX); more would only wait in its socket buffers. */
#define LG_PIPELINE_MAX 65536u

/* --key-base at most: keys stay below the players' (2^62 up) with any --orders (< 2^30). */
#define LG_KEY_BASE_MAX (1ull << 61)

#define LG_TMP_DIR_BYTES 64

/* The dataset directory of a run: --dataset, or a demo generated into tmp (which must hold
 * LG_TMP_DIR_BYTES). NULL, with a message printed, when generating fails. */
const char *lg_dataset_dir(const struct lg_options *o, char *tmp);

/* Removes a generated dataset; does nothing for --dataset. */
void lg_dataset_done(const char *tmp);

struct oc_dataset;
/* Loads the dataset in dir; 0, or -1 with the loader's message printed. */
int lg_dataset_load(const char *dir, struct oc_dataset *d);

struct oc_config;

/* The engine configuration the options ask for, on dataset dir. */
void lg_engine_config(const struct lg_options *o, const char *dir, struct oc_config *cfg);

/* --measure-recovery: times create (log check), start (replay) and stop on --data-dir. */
int lg_recovery_run(const struct lg_options *o);

/* Starts an engine, lets it idle for `seconds` and prints the CPU it used. Returns the exit
 * status (0, or 2 on a setup error). */
int lg_idle_run(const struct lg_options *o, double seconds);

/* The acknowledged-orders log (acked.c): open (-1 on error, said), append a polled batch of
 * n answers r[i] to the commands cmds[i] (answers come one per command, in order). */
int lg_acked_open(const char *path);
void lg_acked_append(int fd, const struct oc_response *r, const struct oc_command *cmds,
		     uint32_t n);

/* --verify-acked: recovers the engine from --data-dir over --dataset and checks every order
 * in the acked log; returns the exit status (0 all there, 1 one missing or different, 2 on
 * a setup error). */
int lg_verify_acked(const struct lg_options *o, const char *path);

struct oc_dataset;

/* The order stream (stream.c): generated from the dataset and the options only (the same
 * dataset, --orders, --seed and mix give the same commands in every mode), or --replay's
 * (replay.c). */
struct lg_stream {
	struct oc_command *cmds;
	uint32_t *orig;    /* [i] index of the place command whose key cmds[i] uses */
	uint32_t *sku_idx; /* [i * OC_ORDER_LINES_MAX + l] catalog index of line l */
	uint64_t n;
};

/* Makes o->orders commands over dataset d, or reads o->replay. 0, or -ENOMEM (the caller
 * says so), or another -errno that the replay said (call lg_stream_free anyway). */
int lg_stream_make(struct lg_stream *st, const struct oc_dataset *d, const struct lg_options *o);
void lg_stream_free(struct lg_stream *st);

/* The answers of a run by command index (tally.c). The caller matches an answer to its
 * command (in process by sequence number, over TCP by correlation) before it is taken. */
struct lg_tally {
	uint8_t *answers;   /* [i] answers seen for command i */
	uint8_t *status;    /* [i] status of its first answer */
	uint8_t *cancelled; /* [i] the place command i was cancelled */
	uint64_t by_reason[OC_REJECT_REASON_COUNT];
	uint64_t accepted, rejected, cancelled_count, duplicate_flags, split;
	uint64_t stray;     /* answers that name no command of the stream */
	double seconds;     /* from the first command sent to the last answer */
};

/* 0, or -ENOMEM. */
int lg_tally_init(struct lg_tally *t, uint64_t n);
/* Writes the outcome counts as JSON members (accepted ... rejected_by_reason), each line
 * ending with a comma, for the summaries of both modes. */
void lg_tally_json(FILE *f, const struct lg_tally *t);
void lg_tally_destroy(struct lg_tally *t);
/* Counts r, the answer to command i < st->n. */
void lg_tally_take(struct lg_tally *t, const struct lg_stream *st, uint64_t i,
		   const struct oc_response *r);
/* Units each SKU (by catalog index) has sold according to the answers: accepted and not
 * cancelled, each order once. Also counts the customers over a SKU's purchase limit into
 * *limit_violations (OUT). Returns a calloc'ed array of d->sku_count (the caller frees it),
 * or NULL when out of memory. */
uint64_t *lg_sold_units(const struct lg_stream *st, const struct lg_tally *t,
			const struct oc_dataset *d, uint64_t *limit_violations);
/* Units of SKU g (catalog index) over all warehouses in the dataset: its initial stock. */
uint64_t lg_initial_units(const struct oc_dataset *d, uint32_t g);

/* Runs the in-process flash sale; returns the process exit status (0 when every invariant
 * holds, 1 when one is broken, 2 on a setup error). */
int lg_flash_sale_run(const struct lg_options *o);

struct oc_client_answer;

/* lg_acked_append for answers received over TCP: a[i].correlation is the index in cmds of the
 * command a[i] answers. */
void lg_acked_append_answers(int fd, const struct oc_client_answer *a,
			     const struct oc_command *cmds, uint32_t n);

/* --connect: runs the flash sale against the ordercored at o->connect over o->connections
 * connections, o->pipeline commands in flight on each (remote.c). Returns the exit status
 * (0 when every invariant that can be checked over TCP holds, 1 when one is broken, 2 on a
 * usage, setup or connection error). */
int lg_remote_run(const struct lg_options *o);

#endif
