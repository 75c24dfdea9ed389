/* dataset.h: the catalog, warehouses, regions and initial stock, loaded from a dataset
 * directory of CSV files (docs/dataset.md) at engine creation, and the writer of demo
 * datasets used by ordercore-loadgen --gen-dataset.
 *
 * A loaded dataset is read-only: the engine's stages copy what they own out of it at setup
 * and may read the catalog and region tables from any thread afterwards. */
#ifndef OC_DATASET_H
#define OC_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/table.h"
#include "data/carriers.h"

/* Width of a shipping zone's distance band, in km: a parcel's zone is 1 + the great-circle
 * km between its warehouse and the ship-to region / OC_ZONE_KM, at most OC_CARRIER_ZONES_MAX
 * (docs/dataset.md, "Regions"). Parcel carriers' rate cards grow their zones in bands of a
 * few hundred km from the origin; with 400 km the last zone starts at 2,800 km, so that the
 * eight zones span a continent. */
#define OC_ZONE_KM 400u

struct oc_sku_rec {
	uint64_t sku;                /* the retailer's SKU number, > 0, unique */
	uint32_t weight_g;           /* grams */
	uint32_t price_cents;        /* unit price */
	uint32_t limit_per_customer; /* units one customer may hold; 0: no limit */
	char name[OC_NAME_BYTES_MAX];
	char bin[OC_BIN_BYTES_MAX]; /* bin location in a warehouse, e.g. A-03-2 */
};

struct oc_warehouse_rec {
	char code[OC_REGION_BYTES_MAX]; /* warehouses.csv column warehouse, unique */
	char name[OC_NAME_BYTES_MAX];
	double lat, lon;                /* degrees */
	uint16_t region;                /* index into regions */
};

/* A ship-to region: every distinct region named in warehouses.csv. Its location is the mean
 * of its warehouses' locations; warehouse_order lists every warehouse by great-circle
 * distance from it, nearest first (ties by warehouse index), and zone is the shipping zone
 * of a parcel from each warehouse to it. */
struct oc_region_rec {
	char name[OC_REGION_BYTES_MAX];
	double lat, lon;
	uint8_t warehouse_order[OC_LIMIT_WAREHOUSES_MAX];
	uint8_t zone[OC_LIMIT_WAREHOUSES_MAX]; /* [warehouse]: 1 + great-circle km / OC_ZONE_KM,
	                                        * at most OC_CARRIER_ZONES_MAX */
};

struct oc_dataset {
	uint32_t sku_count;
	uint32_t warehouse_count;
	uint32_t region_count;
	struct oc_sku_rec *skus;             /* in skus.csv order */
	struct oc_warehouse_rec *warehouses; /* in warehouses.csv order */
	struct oc_region_rec *regions;       /* sorted by name */
	uint32_t *on_hand;   /* [sku_index * warehouse_count + warehouse_index], units */
	struct oc_u64map sku_index; /* sku number -> index into skus */
};

/* Loads dir/skus.csv, dir/warehouses.csv and dir/stock.csv. On failure returns -errno
 * (-EINVAL for bad content, -ENOENT for a missing file, -ENOMEM) and writes one line into
 * err naming the file, the line number and what is wrong with it; nothing is left allocated.
 * A missing (sku, warehouse) pair in stock.csv means 0 on hand. */
int oc_dataset_load(const char *dir, struct oc_dataset *out, char *err, size_t err_bytes);
void oc_dataset_destroy(struct oc_dataset *d);

/* A hash of everything loaded (catalog, warehouses, stock): two loads of the same files
 * give the same value, and a changed row a different one. */
uint64_t oc_dataset_fingerprint(const struct oc_dataset *d);

/* Index of a SKU number in skus[], or -ENOENT. */
int oc_dataset_sku_index(const struct oc_dataset *d, uint64_t sku);

/* Index of a region name in regions[], or -ENOENT. */
int oc_dataset_region_index(const struct oc_dataset *d, const char *name);

/* Parameters of a generated demo dataset. */
struct oc_demo_params {
	uint32_t skus;          /* SKU numbers 100001.. */
	uint32_t warehouses;    /* 1..OC_LIMIT_WAREHOUSES_MAX */
	uint32_t stock_per_sku; /* units of each SKU, spread over the warehouses */
	uint32_t hot_skus;      /* the first hot_skus SKUs get limit_per_customer hot_limit */
	uint32_t hot_limit;
	uint32_t hot_stock;     /* units of each hot SKU; 0: stock_per_sku like the others */
	uint64_t seed;
};

/* Writes skus.csv, warehouses.csv and stock.csv into dir (created if missing), the same
 * files for the same parameters. 0 or -errno with a reason in err. */
int oc_dataset_write_demo(const char *dir, const struct oc_demo_params *p, char *err,
			  size_t err_bytes);

#endif
