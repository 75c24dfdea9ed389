/* fuzz_dataset.c: fuzz target for the dataset loaders over the strict CSV reader
 * (engine/data/dataset.c, screening.c, carriers.c, csv.c). Each input becomes a dataset
 * directory in the process's scratch space: it is cut at every NUL byte into pieces, and a
 * piece's first byte names the file the rest of it becomes, '0' + i for files[i] below (any
 * byte b: files[(b - '0') % FILES]); a later piece for the same file replaces it, and a file
 * no piece names is missing. Then oc_dataset_load, oc_screening_load and oc_carriers_load read
 * the directory: each either loads or refuses with "-errno and a reason naming the file",
 * never crashes, leaks or reads out of bounds (AddressSanitizer and UndefinedBehaviorSanitizer
 * when built so). What it asserts of a dataset that loads: the counts within their limits
 * (docs/dataset.md), every SKU found at its index, every region's warehouse order a
 * permutation of the warehouses with zones in 1..OC_CARRIER_ZONES_MAX never falling along it,
 * and each loader's fingerprint the same on a second load of the same files. The seed is a
 * small valid dataset with every optional file. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "fuzz_target.h"
#include "fuzz_util.h"

static const char *const files[] = {"skus.csv",    "warehouses.csv", "stock.csv",
				    "fraud.csv",   "countries.csv",  "blocklist.csv",
				    "credit.csv",  "carriers.csv",   "rates.csv"};
#define FILES (sizeof(files) / sizeof(files[0]))

static void check_dataset(const struct oc_dataset *d)
{
	FUZZ_ASSERT(d->sku_count >= 1 && d->sku_count <= OC_LIMIT_SKUS_MAX);
	FUZZ_ASSERT(d->warehouse_count >= 1 && d->warehouse_count <= OC_LIMIT_WAREHOUSES_MAX);
	FUZZ_ASSERT(d->region_count >= 1 && d->region_count <= d->warehouse_count);
	for (uint32_t i = 0; i < d->sku_count; i++) {
		FUZZ_ASSERT(d->skus[i].sku > 0);
		FUZZ_ASSERT(oc_dataset_sku_index(d, d->skus[i].sku) == (int)i);
		FUZZ_ASSERT(memchr(d->skus[i].name, 0, sizeof(d->skus[i].name)) != NULL);
	}
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		FUZZ_ASSERT(d->warehouses[w].region < d->region_count);
	for (uint32_t r = 0; r < d->region_count; r++) {
		const struct oc_region_rec *g = &d->regions[r];
		FUZZ_ASSERT(oc_dataset_region_index(d, g->name) == (int)r);
		FUZZ_ASSERT(r == 0 || strcmp(d->regions[r - 1].name, g->name) < 0);
		uint64_t seen = 0;
		for (uint32_t k = 0; k < d->warehouse_count; k++) {
			uint32_t w = g->warehouse_order[k];
			FUZZ_ASSERT(w < d->warehouse_count && !(seen >> w & 1));
			seen |= 1ull << w;
			FUZZ_ASSERT(g->zone[w] >= 1 && g->zone[w] <= OC_CARRIER_ZONES_MAX);
			FUZZ_ASSERT(k == 0 || g->zone[g->warehouse_order[k - 1]] <= g->zone[w]);
		}
	}
}

/* Loads the directory with every loader; each loader's fingerprint (or 0 when it refused) in
 * fp[3]. */
static void load(const char *dir, uint64_t fp[3])
{
	char err[512];
	struct oc_dataset d;
	err[0] = '\0';
	int rc = oc_dataset_load(dir, &d, err, sizeof(err));
	FUZZ_ASSERT(rc <= 0 && (rc == 0 || strstr(err, ".csv") != NULL));
	fp[0] = 0;
	if (rc == 0) {
		check_dataset(&d);
		fp[0] = oc_dataset_fingerprint(&d);
		oc_dataset_destroy(&d);
	}
	struct oc_screening s;
	err[0] = '\0';
	rc = oc_screening_load(dir, &s, err, sizeof(err));
	FUZZ_ASSERT(rc <= 0 && (rc == 0 || err[0] != '\0'));
	fp[1] = 0;
	if (rc == 0) {
		FUZZ_ASSERT(s.hold_score <= s.reject_score || !s.enabled);
		fp[1] = oc_screening_fingerprint(&s, 1);
		oc_screening_destroy(&s);
	}
	struct oc_carriers c;
	err[0] = '\0';
	rc = oc_carriers_load(dir, &c, err, sizeof(err));
	FUZZ_ASSERT(rc <= 0 && (rc == 0 || err[0] != '\0'));
	fp[2] = 0;
	if (rc == 0) {
		for (uint32_t i = 0; i < c.service_count; i++)
			FUZZ_ASSERT(c.services[i].transit_days >= 1 &&
				    c.services[i].transit_days <= OC_CARRIER_DAYS_MAX);
		fp[2] = oc_carriers_fingerprint(&c, 1);
		oc_carriers_destroy(&c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[FUZZ_PATH_BYTES];
	FUZZ_PRINT(dir, "%s/dataset", fuzz_scratch());
	fuzz_rm_tree(dir);
	FUZZ_ASSERT(mkdir(dir, 0755) == 0);
	for (size_t at = 0; at < size;) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t n = end ? (size_t)(end - data) - at : size - at;
		if (n > 0)
			fuzz_write_file(dir, files[(uint8_t)(data[at] - '0') % FILES], data + at + 1,
					n - 1);
		at += n + 1;
	}
	uint64_t fp[3], again[3];
	load(dir, fp);
	load(dir, again);
	FUZZ_ASSERT(memcmp(fp, again, sizeof(fp)) == 0);
	return 0;
}

const char fuzz_name[] = "fuzz_dataset";

/* The seed: every file, valid, NUL between them. */
size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	static const char *const texts[FILES] = {
		"sku,name,weight_g,price_cents,bin,limit_per_customer\n"
		"100001,Item A,100,1999,A-01-1,0\n"
		"100002,Espresso cups (set of 4),640,2499,C-07-1,2\n"
		"100003,Item C,0,0,Z-34-1,0\n",
		"warehouse,name,lat,lon,region\n"
		"WH01,East,42.4916,-71.3786,NE\n"
		"WH02,West,33.6526,-115.5648,SW\n"
		"WH03,North west,45.0669,-119.9599,NW\r\n",
		"sku,warehouse,on_hand\n"
		"100001,WH01,50\n"
		"\n"
		"100001,WH03,950\n"
		"100002,WH02,1000",
		"rule,score,limit,window_s\n"
		"customer_velocity,40,5,3600\n"
		"card_velocity,50,5,3600\n"
		"address_velocity,30,10,3600\n"
		"amount_history,40,500,0\n"
		"country_mismatch,30,0,0\n"
		"new_account,40,50000,2592000\n"
		"hold,50,0,0\n"
		"reject,100,0,0\n",
		"country,postal_formats,serviceable\n"
		"US,99999|99999-9999,1\n"
		"GB,A9 9AA|A99 9AA|AA9 9AA,1\n"
		"KP,*,0\n",
		"kind,value\n"
		"email,fraud@example.com\n"
		"card,4111111111111111\n",
		"customer,credit_limit_cents\n"
		"42,500000\n",
		"carrier,service,transit_days\n"
		"UPS,GROUND,5\n"
		"UPS,NEXT_DAY,1\n",
		"carrier,service,zone,weight_max_g,cost_cents\n"
		"UPS,GROUND,1,1000,800\n"
		"UPS,GROUND,1,5000,1500\n"
		"UPS,NEXT_DAY,8,20000,9900\n"};
	size_t n = 0;
	*count = 0;
	for (uint32_t i = 0; i < FILES; i++) {
		size_t len = strlen(texts[i]);
		if (n + len + 2 > cap)
			return 0;
		out[n++] = (uint8_t)('0' + i);
		memcpy(out + n, texts[i], len);
		n += len;
		if (i + 1 < FILES)
			out[n++] = '\0';
		(*count)++;
	}
	/* Each file must load as it is. */
	char dir[FUZZ_PATH_BYTES];
	FUZZ_PRINT(dir, "%s/seed", fuzz_scratch());
	fuzz_rm_tree(dir);
	FUZZ_ASSERT(mkdir(dir, 0755) == 0);
	for (uint32_t i = 0; i < FILES; i++)
		fuzz_write_file(dir, files[i], texts[i], strlen(texts[i]));
	uint64_t fp[3];
	load(dir, fp);
	fuzz_rm_tree(dir);
	return fp[0] && fp[1] && fp[2] ? n : 0;
}
