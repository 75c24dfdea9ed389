/* carriers.h: the carriers' services and their rates, loaded from the dataset directory at
 * engine creation (docs/dataset.md, "Carriers"): carriers.csv (a row per carrier service, with
 * its transit days) and rates.csv (each service's price per zone and weight break). Both are
 * optional, but one without the other is an error; without them a pack makes no label.
 *
 * Loaded once, read-only afterwards: route shops each parcel's rate at the pack
 * (oc_carriers_shop) and names it on the label with a tracking number (oc_carriers_tracking).
 * A parcel's zone is its warehouse's distance band from the ship-to region
 * (oc_region_rec.zone, dataset.h). */
#ifndef OC_CARRIERS_H
#define OC_CARRIERS_H

#include <stddef.h>
#include <stdint.h>

/* Rows of carriers.csv: a service is named on a label by its row (a byte). */
#define OC_CARRIER_SERVICES_MAX 64u
/* Zones are 1..OC_CARRIER_ZONES_MAX. */
#define OC_CARRIER_ZONES_MAX 8u
/* Transit days are 1..OC_CARRIER_DAYS_MAX (what OC_PLACE_DAYS can ask for). */
#define OC_CARRIER_DAYS_MAX 7u
/* Weight breaks of one service in one zone (rows of rates.csv). */
#define OC_CARRIER_BREAKS_MAX 32u
/* A carrier's or a service's code, with its NUL: letters, digits, '-' and '_'. */
#define OC_CARRIER_CODE_BYTES_MAX 16u
/* A price in rates.csv is at most this, in cents (a million dollars). */
#define OC_CARRIER_COST_CENTS_MAX 100000000u

/* A service carries a parcel of up to weight_max_g grams for cost_cents. */
struct oc_rate_break {
	uint32_t weight_max_g;
	uint32_t cost_cents;
};

struct oc_carrier_service {
	char carrier[OC_CARRIER_CODE_BYTES_MAX]; /* e.g. "UPS" */
	char service[OC_CARRIER_CODE_BYTES_MAX]; /* e.g. "GROUND"; (carrier, service) unique */
	uint8_t transit_days;                    /* 1..OC_CARRIER_DAYS_MAX */
	uint8_t break_count[OC_CARRIER_ZONES_MAX]; /* [zone - 1]; 0: does not serve the zone */
	struct oc_rate_break breaks[OC_CARRIER_ZONES_MAX][OC_CARRIER_BREAKS_MAX]; /* [zone - 1],
	                                          * by weight_max_g ascending, unique */
};

struct oc_carriers {
	uint32_t service_count;             /* 0: no carriers.csv */
	struct oc_carrier_service *services; /* in carriers.csv order */
};

/* Loads dir/carriers.csv and dir/rates.csv. Neither there: 0 with service_count 0. One
 * without the other, or bad content: -EINVAL with "<path>:<line>: <what>" in err, nothing left
 * allocated and *out zeroed; -ENOMEM; another -errno when a file is there but cannot be read. */
int oc_carriers_load(const char *dir, struct oc_carriers *out, char *err, size_t err_bytes);
/* Frees what a load allocated and zeroes *c; harmless on a zeroed or destroyed struct. */
void oc_carriers_destroy(struct oc_carriers *c);

/* Folds everything loaded into a hash (the data_dir identity: other rates decide packs
 * otherwise on replay), starting from seed; without the files it returns seed itself. */
uint64_t oc_carriers_fingerprint(const struct oc_carriers *c, uint64_t seed);

/* A service chosen for a parcel. */
struct oc_rate_choice {
	uint32_t service;      /* row of carriers.csv */
	uint32_t cost_cents;
	uint32_t transit_days;
};

/* The cheapest service that carries a parcel of weight_g grams to zone (1..ZONES_MAX) in at
 * most days_max days (0: any): each service's price is that of its smallest weight break
 * that holds the weight. Ties go to fewer transit days, then to the earlier row. Returns 0
 * with *out filled, or -ENOENT when no service does (or zone is out of range). */
int oc_carriers_shop(const struct oc_carriers *c, uint32_t zone, uint32_t weight_g,
		     uint32_t days_max, struct oc_rate_choice *out);

/* A parcel's tracking number: a hash of the order's key and customer and the warehouse it
 * ships from, never 0 (the same on every replay and every topology). */
uint64_t oc_carriers_tracking(uint64_t key, uint64_t customer, uint32_t warehouse);

/* Writes a demo carriers.csv and rates.csv into dir, which must exist (ordercore-loadgen
 * --gen-dataset, after oc_dataset_write_demo made it), the same every time; existing files
 * are overwritten. Some service carries any parcel of up to 4,000 t to every zone. 0 or -errno
 * with a reason in err. */
int oc_carriers_write_demo(const char *dir, char *err, size_t err_bytes);

#endif
