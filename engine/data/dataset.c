/* dataset.c: loading a dataset directory (skus.csv, warehouses.csv, stock.csv; formats in
 * docs/dataset.md) into a struct oc_dataset, deriving the regions, their warehouse orders
 * and shipping zones, and the two lookups. It owns the dataset's arrays and SKU map until
 * oc_dataset_destroy. Setup time only, on the controlling thread; the result is read-only. */
#include "data/dataset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <mimalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "data/csv.h"

_Static_assert(OC_LIMIT_WAREHOUSES_MAX <= OC_LIMIT_REGIONS_MAX,
               "every warehouse may name its own region, so regions never exceed the limit");
_Static_assert(OC_LIMIT_WAREHOUSES_MAX <= 256, "warehouse_order holds uint8_t indices");
_Static_assert(OC_CARRIER_ZONES_MAX >= 1 && OC_CARRIER_ZONES_MAX <= UINT8_MAX,
               "a region's zones are uint8_t, from 1");
_Static_assert(OC_LIMIT_SKUS_MAX <= INT_MAX, "SKU indices are returned as int");

/* Mean Earth radius used by the haversine distance. */
#define EARTH_RADIUS_KM 6371.0
#define PI              3.14159265358979323846
/* Rows the SKU array starts with; it doubles as skus.csv grows. */
#define SKUS_INITIAL_SLOTS 4096u

static const char *const sku_columns[] = {"sku",         "name", "weight_g",
                                          "price_cents", "bin",  "limit_per_customer"};
static const char *const warehouse_columns[] = {"warehouse", "name", "lat", "lon", "region"};
static const char *const stock_columns[] = {"sku", "warehouse", "on_hand"};

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* State of one load beyond the dataset itself: the error buffer and scratch tables. */
struct loader {
	const char *dir;
	struct oc_dataset *d;
	char *err;
	size_t err_bytes;
	char path[PATH_MAX];
	uint32_t *sku_lines; /* line of each SKU in skus.csv */
	uint32_t warehouse_lines[OC_LIMIT_WAREHOUSES_MAX];
	char warehouse_region[OC_LIMIT_WAREHOUSES_MAX][OC_REGION_BYTES_MAX];
	uint8_t warehouse_by_code[OC_LIMIT_WAREHOUSES_MAX]; /* indices sorted by code */
	uint64_t last_sku;       /* stock.csv: SKU of the previous row (0: none) ... */
	uint32_t last_sku_index; /* ... and its index */
};

/* Opens dir/name as a CSV file with the given header. */
static int open_file(struct loader *l, struct oc_csv *c, const char *name,
                     const char *const *columns, uint32_t column_count)
{
	int n = snprintf(l->path, sizeof(l->path), "%s/%s", l->dir, name);
	if (n < 0 || (size_t)n >= sizeof(l->path)) {
		if (l->err && l->err_bytes)
			snprintf(l->err, l->err_bytes, "%s/%s: path too long", l->dir, name);
		return -ENAMETOOLONG;
	}
	return oc_csv_open(c, l->path, columns, column_count, l->err, l->err_bytes);
}

static int no_memory(struct loader *l, const char *what)
{
	if (l->err && l->err_bytes)
		snprintf(l->err, l->err_bytes, "%s: out of memory for %s", l->path, what);
	return -ENOMEM;
}

/* Makes room for one more SKU in d->skus and l->sku_lines. */
static int grow_skus(struct loader *l, uint32_t *slots)
{
	uint32_t want = *slots ? *slots * 2 : SKUS_INITIAL_SLOTS;
	if (want > OC_LIMIT_SKUS_MAX)
		want = OC_LIMIT_SKUS_MAX;
	struct oc_sku_rec *skus = mi_reallocn(l->d->skus, want, sizeof(*skus));
	if (!skus)
		return no_memory(l, "SKUs");
	l->d->skus = skus;
	uint32_t *lines = mi_reallocn(l->sku_lines, want, sizeof(*lines));
	if (!lines)
		return no_memory(l, "SKUs");
	l->sku_lines = lines;
	*slots = want;
	return 0;
}

static int parse_sku(struct oc_csv *c, struct oc_sku_rec *r)
{
	memset(r, 0, sizeof(*r));
	int rc = oc_csv_field_u64(c, 0, 1, INT64_MAX, &r->sku);
	if (rc == 0)
		rc = oc_csv_field_str(c, 1, r->name, sizeof(r->name));
	if (rc == 0)
		rc = oc_csv_field_u32(c, 2, 0, UINT32_MAX, &r->weight_g);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 3, 0, UINT32_MAX, &r->price_cents);
	if (rc == 0)
		rc = oc_csv_field_str(c, 4, r->bin, sizeof(r->bin));
	if (rc == 0)
		rc = oc_csv_field_u32(c, 5, 0, UINT32_MAX, &r->limit_per_customer);
	return rc;
}

/* Builds d->sku_index, rejecting a SKU number listed twice. */
static int index_skus(struct loader *l, struct oc_csv *c)
{
	struct oc_dataset *d = l->d;
	if (oc_u64map_init(&d->sku_index, d->sku_count) < 0)
		return no_memory(l, "the SKU index");
	for (uint32_t i = 0; i < d->sku_count; i++) {
		uint64_t sku = d->skus[i].sku;
		bool found;
		struct oc_u64map_entry *e =
		    oc_u64map_upsert(&d->sku_index, sku, oc_hash_u64(sku), &found);
		OC_ASSERT(e != NULL); /* sized for sku_count keys */
		if (found) {
			c->line_no = l->sku_lines[i];
			return oc_csv_fail(c, "sku %llu is listed twice (first on line %u)",
			                   (unsigned long long)sku, l->sku_lines[e->value]);
		}
		e->value = i;
	}
	return 0;
}

static int load_skus(struct loader *l)
{
	struct oc_dataset *d = l->d;
	struct oc_csv c;
	int rc = open_file(l, &c, "skus.csv", sku_columns, COUNT(sku_columns));
	if (rc < 0)
		return rc;
	uint32_t slots = 0;
	while ((rc = oc_csv_next(&c)) > 0) {
		if (d->sku_count == OC_LIMIT_SKUS_MAX) {
			rc = oc_csv_fail(&c, "more than %u SKUs (OC_LIMIT_SKUS_MAX)",
			                 OC_LIMIT_SKUS_MAX);
			break;
		}
		if (d->sku_count == slots && (rc = grow_skus(l, &slots)) < 0)
			break;
		if ((rc = parse_sku(&c, &d->skus[d->sku_count])) < 0)
			break;
		l->sku_lines[d->sku_count++] = c.line_no;
	}
	if (rc == 0 && d->sku_count == 0)
		rc = oc_csv_fail(&c, "no SKUs: at least one row is required");
	if (rc == 0)
		rc = index_skus(l, &c);
	oc_csv_close(&c);
	return rc;
}

static int parse_warehouse(struct loader *l, struct oc_csv *c, uint32_t w)
{
	struct oc_warehouse_rec *r = &l->d->warehouses[w];
	int rc = oc_csv_field_code(c, 0, r->code, sizeof(r->code));
	if (rc == 0)
		rc = oc_csv_field_str(c, 1, r->name, sizeof(r->name));
	if (rc == 0)
		rc = oc_csv_field_double(c, 2, -90.0, 90.0, &r->lat);
	if (rc == 0)
		rc = oc_csv_field_double(c, 3, -180.0, 180.0, &r->lon);
	if (rc == 0)
		rc = oc_csv_field_code(c, 4, l->warehouse_region[w], OC_REGION_BYTES_MAX);
	for (uint32_t k = 0; rc == 0 && k < w; k++) {
		if (strcmp(l->d->warehouses[k].code, r->code) == 0)
			rc = oc_csv_fail(c, "warehouse %s is listed twice (first on line %u)",
			                 r->code, l->warehouse_lines[k]);
	}
	l->warehouse_lines[w] = c->line_no;
	return rc;
}

static int load_warehouses(struct loader *l)
{
	struct oc_dataset *d = l->d;
	struct oc_csv c;
	int rc = open_file(l, &c, "warehouses.csv", warehouse_columns, COUNT(warehouse_columns));
	if (rc < 0)
		return rc;
	d->warehouses = mi_calloc(OC_LIMIT_WAREHOUSES_MAX, sizeof(*d->warehouses));
	if (!d->warehouses)
		rc = no_memory(l, "warehouses");
	while (rc == 0 && (rc = oc_csv_next(&c)) > 0) {
		if (d->warehouse_count == OC_LIMIT_WAREHOUSES_MAX) {
			rc = oc_csv_fail(&c, "more than %u warehouses (OC_LIMIT_WAREHOUSES_MAX)",
			                 OC_LIMIT_WAREHOUSES_MAX);
			break;
		}
		if ((rc = parse_warehouse(l, &c, d->warehouse_count)) < 0)
			break;
		d->warehouse_count++;
	}
	if (rc == 0 && d->warehouse_count == 0)
		rc = oc_csv_fail(&c, "no warehouses: at least one row is required");
	oc_csv_close(&c);
	return rc;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static double radians(double deg)
{
	return deg * (PI / 180.0);
}

/* Great-circle distance in km between two points given in degrees. */
static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = radians(lat2 - lat1), dlon = radians(lon2 - lon1);
	double s1 = sin(dlat / 2), s2 = sin(dlon / 2);
	double a = s1 * s1 + cos(radians(lat1)) * cos(radians(lat2)) * s2 * s2;
	return 2.0 * EARTH_RADIUS_KM * asin(sqrt(a < 1.0 ? a : 1.0));
}

struct by_distance {
	double km;
	uint32_t warehouse;
};

static int cmp_by_distance(const void *a, const void *b)
{
	const struct by_distance *x = a, *y = b;
	if (x->km != y->km)
		return x->km < y->km ? -1 : 1;
	return x->warehouse < y->warehouse ? -1 : x->warehouse > y->warehouse;
}

/* The shipping zone of a distance in km (oc_region_rec.zone): bands of OC_ZONE_KM from zone
 * 1, the last band open-ended. */
static uint8_t zone_of(double km)
{
	double band = km / OC_ZONE_KM;
	if (band >= OC_CARRIER_ZONES_MAX - 1)
		return OC_CARRIER_ZONES_MAX;
	return (uint8_t)(1 + (uint32_t)band);
}

/* Sets a region's location to the mean of its warehouses', orders all warehouses by
 * distance from it and sets their zones. The mean is a plain average of degrees: good for
 * regions that do not straddle the antimeridian, which is what a region of nearby warehouses
 * is. */
static void place_region(struct oc_dataset *d, uint32_t r)
{
	struct oc_region_rec *reg = &d->regions[r];
	double lat = 0, lon = 0;
	uint32_t n = 0;
	for (uint32_t w = 0; w < d->warehouse_count; w++) {
		if (d->warehouses[w].region == r) {
			lat += d->warehouses[w].lat;
			lon += d->warehouses[w].lon;
			n++;
		}
	}
	OC_ASSERT(n > 0);
	reg->lat = lat / n;
	reg->lon = lon / n;
	struct by_distance order[OC_LIMIT_WAREHOUSES_MAX];
	for (uint32_t w = 0; w < d->warehouse_count; w++) {
		const struct oc_warehouse_rec *wh = &d->warehouses[w];
		order[w].km = haversine_km(reg->lat, reg->lon, wh->lat, wh->lon);
		order[w].warehouse = w;
		reg->zone[w] = zone_of(order[w].km);
	}
	/* cppcheck-suppress uninitvar ; order[0, warehouse_count) was just filled */
	qsort(order, d->warehouse_count, sizeof(order[0]), cmp_by_distance);
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		reg->warehouse_order[w] = (uint8_t)order[w].warehouse;
}

/* Regions are the distinct region codes of warehouses.csv, sorted by name. */
static int build_regions(struct loader *l)
{
	struct oc_dataset *d = l->d;
	const char *names[OC_LIMIT_WAREHOUSES_MAX];
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		names[w] = l->warehouse_region[w];
	/* cppcheck-suppress uninitvar ; names[0, warehouse_count) was just filled */
	qsort(names, d->warehouse_count, sizeof(names[0]), cmp_str_ptr);
	uint32_t count = 0;
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		if (count == 0 || strcmp(names[count - 1], names[w]) != 0)
			names[count++] = names[w];
	OC_ASSERT(count >= 1 && count <= OC_LIMIT_REGIONS_MAX);
	d->regions = mi_calloc(count, sizeof(*d->regions));
	if (!d->regions)
		return no_memory(l, "regions");
	d->region_count = count;
	for (uint32_t r = 0; r < count; r++)
		memcpy(d->regions[r].name, names[r], OC_REGION_BYTES_MAX);
	for (uint32_t w = 0; w < d->warehouse_count; w++) {
		int r = oc_dataset_region_index(d, l->warehouse_region[w]);
		OC_ASSERT(r >= 0);
		d->warehouses[w].region = (uint16_t)r;
	}
	for (uint32_t r = 0; r < count; r++)
		place_region(d, r);
	return 0;
}

static int cmp_warehouse_code(const void *a, const void *b, const struct oc_dataset *d)
{
	return strcmp(d->warehouses[*(const uint8_t *)a].code,
	              d->warehouses[*(const uint8_t *)b].code);
}

/* Sorts warehouse indices by code for find_warehouse (insertion sort: at most 64). */
static void sort_warehouse_codes(struct loader *l)
{
	uint8_t *v = l->warehouse_by_code;
	for (uint32_t i = 0; i < l->d->warehouse_count; i++) {
		uint8_t x = (uint8_t)i;
		uint32_t j = i;
		for (; j > 0 && cmp_warehouse_code(&v[j - 1], &x, l->d) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Index of a warehouse code, or -ENOENT; a binary search since stock.csv may have millions
 * of rows. */
static int find_warehouse(const struct loader *l, const char *code)
{
	uint32_t lo = 0, hi = l->d->warehouse_count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint8_t w = l->warehouse_by_code[mid];
		int c = strcmp(l->d->warehouses[w].code, code);
		if (c == 0)
			return w;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

static int parse_stock(struct loader *l, struct oc_csv *c, uint64_t *seen)
{
	struct oc_dataset *d = l->d;
	uint64_t sku;
	char code[OC_REGION_BYTES_MAX];
	uint32_t units;
	int rc = oc_csv_field_u64(c, 0, 1, INT64_MAX, &sku);
	if (rc == 0)
		rc = oc_csv_field_code(c, 1, code, sizeof(code));
	if (rc == 0)
		rc = oc_csv_field_u32(c, 2, 0, UINT32_MAX, &units);
	if (rc < 0)
		return rc;
	/* Rows usually come grouped by SKU: remember the last one instead of hashing again. */
	if (sku != l->last_sku) {
		int s = oc_dataset_sku_index(d, sku);
		if (s < 0)
			return oc_csv_fail(c, "sku %llu is not in skus.csv",
			                   (unsigned long long)sku);
		l->last_sku = sku;
		l->last_sku_index = (uint32_t)s;
	}
	int w = find_warehouse(l, code);
	if (w < 0)
		return oc_csv_fail(c, "warehouse %s is not in warehouses.csv", code);
	size_t slot = (size_t)l->last_sku_index * d->warehouse_count + (size_t)w;
	if (seen[slot / 64] & (1ull << (slot % 64)))
		return oc_csv_fail(c, "sku %llu at warehouse %s is listed twice",
		                   (unsigned long long)sku, code);
	seen[slot / 64] |= 1ull << (slot % 64);
	d->on_hand[slot] = units;
	uint64_t total = 0;
	for (uint32_t k = 0; k < d->warehouse_count; k++)
		total += d->on_hand[(size_t)l->last_sku_index * d->warehouse_count + k];
	if (total > OC_LIMIT_SKU_UNITS_MAX)
		return oc_csv_fail(c, "sku %llu has %llu units over all warehouses, more than %u",
		                   (unsigned long long)sku, (unsigned long long)total,
		                   OC_LIMIT_SKU_UNITS_MAX);
	return 0;
}

static int load_stock(struct loader *l)
{
	struct oc_dataset *d = l->d;
	struct oc_csv c;
	int rc = open_file(l, &c, "stock.csv", stock_columns, COUNT(stock_columns));
	if (rc < 0)
		return rc;
	size_t cells = (size_t)d->sku_count * d->warehouse_count;
	d->on_hand = mi_calloc(cells, sizeof(*d->on_hand));
	/* One bit per (SKU, warehouse) pair, to reject a pair listed twice. */
	uint64_t *seen = mi_calloc((cells + 63) / 64, sizeof(*seen));
	if (!d->on_hand || !seen)
		rc = no_memory(l, "stock");
	sort_warehouse_codes(l);
	while (rc == 0 && (rc = oc_csv_next(&c)) > 0)
		rc = parse_stock(l, &c, seen);
	mi_free(seen);
	oc_csv_close(&c);
	return rc;
}

int oc_dataset_load(const char *dir, struct oc_dataset *out, char *err, size_t err_bytes)
{
	memset(out, 0, sizeof(*out));
	if (err && err_bytes)
		err[0] = '\0';
	/* The loader holds ~5 KiB of scratch (a path and per-warehouse tables): keep it off the
	 * stack of small threads. */
	struct loader *l = mi_calloc(1, sizeof(*l));
	if (!l) {
		if (err && err_bytes)
			snprintf(err, err_bytes, "%s: out of memory", dir);
		return -ENOMEM;
	}
	l->dir = dir;
	l->d = out;
	l->err = err;
	l->err_bytes = err_bytes;
	int rc = load_skus(l);
	if (rc == 0)
		rc = load_warehouses(l);
	if (rc == 0)
		rc = build_regions(l);
	if (rc == 0)
		rc = load_stock(l);
	mi_free(l->sku_lines);
	mi_free(l);
	if (rc < 0)
		oc_dataset_destroy(out);
	return rc;
}

void oc_dataset_destroy(struct oc_dataset *d)
{
	mi_free(d->skus);
	mi_free(d->warehouses);
	mi_free(d->regions);
	mi_free(d->on_hand);
	oc_u64map_destroy(&d->sku_index);
	memset(d, 0, sizeof(*d));
}

int oc_dataset_sku_index(const struct oc_dataset *d, uint64_t sku)
{
	if (sku == 0 || !d->sku_index.entries)
		return -ENOENT; /* key 0 marks an empty slot of the map */
	const struct oc_u64map_entry *e = oc_u64map_find(&d->sku_index, sku, oc_hash_u64(sku));
	return e ? (int)e->value : -ENOENT;
}

int oc_dataset_region_index(const struct oc_dataset *d, const char *name)
{
	OC_ASSERT(name != NULL);
	uint32_t lo = 0, hi = d->region_count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->regions[mid].name, name);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/* Folds a string's bytes and its end into the hash state. */
static void hash_str(XXH3_state_t *h, const char *s)
{
	XXH3_64bits_update(h, s, strlen(s) + 1);
}

uint64_t oc_dataset_fingerprint(const struct oc_dataset *d)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	for (uint32_t i = 0; i < d->sku_count; i++) {
		const struct oc_sku_rec *s = &d->skus[i];
		uint64_t f[4] = {s->sku, s->weight_g, s->price_cents, s->limit_per_customer};
		XXH3_64bits_update(&h, f, sizeof(f));
		hash_str(&h, s->name);
		hash_str(&h, s->bin);
	}
	for (uint32_t i = 0; i < d->warehouse_count; i++) {
		const struct oc_warehouse_rec *w = &d->warehouses[i];
		hash_str(&h, w->code);
		hash_str(&h, w->name);
		double at[2] = {w->lat, w->lon};
		XXH3_64bits_update(&h, at, sizeof(at));
		XXH3_64bits_update(&h, &w->region, sizeof(w->region));
	}
	XXH3_64bits_update(&h, d->on_hand,
			   (size_t)d->sku_count * d->warehouse_count * sizeof(uint32_t));
	return XXH3_64bits_digest(&h);
}
