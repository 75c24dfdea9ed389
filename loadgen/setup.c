/* setup.c: what every mode's run sets up from the options: the dataset (the one named by
 * --dataset, or a demo generated into a temporary directory that is removed after) and the
 * engine configuration. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/dataset.h"
#include "loadgen.h"
#include "ordercore/ordercore.h"

static int generate(const struct lg_options *o, char *dir)
{
	snprintf(dir, LG_TMP_DIR_BYTES, "/tmp/ordercore-demo.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "loadgen: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	struct oc_demo_params p = {.skus = o->skus, .warehouses = o->warehouses,
				   .stock_per_sku = o->stock_per_sku, .hot_skus = o->hot_skus,
				   .hot_limit = o->hot_limit, .hot_stock = o->hot_stock,
				   .seed = o->seed};
	char err[512];
	int rc = oc_dataset_write_demo(dir, &p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "loadgen: %s\n", err);
	return rc;
}

static void remove_dataset(const char *dir)
{
	const char *files[] = {"skus.csv", "warehouses.csv", "stock.csv"};
	char path[4200];
	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

void lg_engine_config(const struct lg_options *o, const char *dir, struct oc_config *cfg)
{
	oc_config_init(cfg);
	cfg->dataset_dir = dir;
	cfg->threads = o->threads;
	cfg->inventory_threads = o->inventory_threads;
	cfg->shards = o->shards;
	if (o->inflight_max)
		cfg->inflight_max = o->inflight_max;
	if (o->orders)
		cfg->orders_max = o->orders < 1024 ? 1024 : (uint32_t)o->orders;
	cfg->data_dir = o->data_dir;
	cfg->durability = o->durability;
	if (o->snapshot_every != UINT64_MAX)
		cfg->snapshot_records = o->snapshot_every;
	if (o->snapshot_interval_ms != UINT32_MAX)
		cfg->snapshot_interval_ms = o->snapshot_interval_ms;
	cfg->snapshots_kept = o->snapshots_kept;
	cfg->log_truncate_corrupt = o->truncate_corrupt_log;
}

const char *lg_dataset_dir(const struct lg_options *o, char *tmp)
{
	tmp[0] = '\0';
	if (o->dataset_dir)
		return o->dataset_dir;
	if (generate(o, tmp) != 0) {
		if (tmp[0])
			remove_dataset(tmp);
		tmp[0] = '\0';
		return NULL;
	}
	return tmp;
}

void lg_dataset_done(const char *tmp)
{
	if (tmp[0])
		remove_dataset(tmp);
}

int lg_dataset_load(const char *dir, struct oc_dataset *d)
{
	char err[512];
	if (oc_dataset_load(dir, d, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "loadgen: %s\n", err);
	return -1;
}
