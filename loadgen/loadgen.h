/* loadgen.h: the parts of ordercore-loadgen: option parsing (main.c) and the in-process
 * flash-sale scenario (flash_sale.c), which generates an order stream, drives an embedded
 * engine, checks the invariants and reports. */
#ifndef OC_LOADGEN_H
#define OC_LOADGEN_H

#include <stdint.h>

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
};

#define LG_TMP_DIR_BYTES 64

/* The dataset directory of a run: --dataset, or a demo generated into tmp (which must hold
 * LG_TMP_DIR_BYTES). NULL, with a message printed, when generating fails. */
const char *lg_dataset_dir(const struct lg_options *o, char *tmp);

/* Removes a generated dataset; does nothing for --dataset. */
void lg_dataset_done(const char *tmp);

struct oc_config;

/* The engine configuration the options ask for, on dataset dir. */
void lg_engine_config(const struct lg_options *o, const char *dir, struct oc_config *cfg);

/* --measure-recovery: times create (log check), start (replay) and stop on --data-dir. */
int lg_recovery_run(const struct lg_options *o);

/* Starts an engine, lets it idle for `seconds` and prints the CPU it used. Returns the exit
 * status (0, or 2 on a setup error). */
int lg_idle_run(const struct lg_options *o, double seconds);

struct oc_response;
struct oc_command;

/* The acknowledged-orders log (acked.c): open (-1 on error, said), append a polled batch of
 * n answers r[i] to the commands cmds[i] (answers come one per command, in order). */
int lg_acked_open(const char *path);
void lg_acked_append(int fd, const struct oc_response *r, const struct oc_command *cmds,
		     uint32_t n);

/* --verify-acked: recovers the engine from --data-dir over --dataset and checks every order
 * in the acked log; returns the exit status (0 all there, 1 one missing or different, 2 on
 * a setup error). */
int lg_verify_acked(const struct lg_options *o, const char *path);

/* Runs the in-process flash sale; returns the process exit status (0 when every invariant
 * holds, 1 when one is broken, 2 on a setup error). */
int lg_flash_sale_run(const struct lg_options *o);

#endif
