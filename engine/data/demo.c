/* demo.c: the demo dataset generator behind ordercore-loadgen --gen-dataset. It writes
 * skus.csv, warehouses.csv and stock.csv (docs/dataset.md) from splitmix64 streams (core/rand.h)
 * seeded by the parameters, so the same parameters always give the same bytes. It owns no state
 * beyond the files it writes; setup time only. */
#include "data/dataset.h"

#include <errno.h>
#include <limits.h>
#include <mimalloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/rand.h"

_Static_assert(OC_LIMIT_WAREHOUSES_MAX <= 99, "warehouse codes WH01.. have two digits");

/* Bytes buffered before a write(2): large, since stock.csv of 1M SKUs is ~100 MB. */
#define OUT_BUFFER_BYTES (1u << 16)
/* Longest line the generator writes (a SKU row is under 120 bytes). */
#define OUT_LINE_BYTES_MAX 256u
/* Share of (SKU, warehouse) pairs that get no stock at all: one in this many. */
#define EMPTY_PAIR_ONE_IN 4u

/* Independent streams per file, so skus.csv does not change with the warehouse count. */
#define STREAM_WAREHOUSES 0x5741524548u
#define STREAM_SKUS       0x534b55u
#define STREAM_STOCK      0x53544f434bu

/* A number in [lo, hi], hi - lo < UINT32_MAX. */
static uint32_t rand_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + oc_rand_below(state, hi - lo + 1);
}

static double rand_between(uint64_t *state, double lo, double hi)
{
	return lo + (hi - lo) * oc_rand_unit(state);
}

/* Regions of a US-like map, in the order warehouses are handed out to them: far apart
 * first, so that even two warehouses sit in different parts of the country. */
static const struct {
	const char *name;
	double lat_lo, lat_hi, lon_lo, lon_hi;
} compass[] = {
    {"NE", 40.0, 44.5, -80.0, -70.0},   {"SW", 32.0, 37.0, -120.0, -109.0},
    {"NW", 43.0, 48.5, -123.0, -112.0}, {"SE", 27.0, 35.0, -88.0, -78.0},
    {"C", 37.0, 41.0, -100.0, -88.0},   {"N", 43.0, 48.0, -104.0, -89.0},
    {"S", 29.0, 34.0, -103.0, -90.0},   {"E", 35.0, 40.0, -87.0, -76.0},
    {"W", 35.0, 41.0, -122.5, -114.0},
};
#define COMPASS_COUNT ((uint32_t)(sizeof(compass) / sizeof(compass[0])))

/* A buffered output file: lines are formatted by hand into buf, which is far faster than
 * fprintf for the millions of stock rows of a large dataset. */
struct out {
	FILE *f;
	char path[PATH_MAX];
	size_t used;
	char buf[OUT_BUFFER_BYTES];
};


static int out_open(struct out *o, const char *dir, const char *name, char *err, size_t err_bytes)
{
	o->used = 0;
	int n = snprintf(o->path, sizeof(o->path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(o->path)) {
		oc_error_set(err, err_bytes, 0, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	o->f = fopen(o->path, "w");
	if (!o->f) {
		int e = errno;
		oc_error_set(err, err_bytes, 0, "%s: %s", o->path, strerror(e));
		return -e;
	}
	return 0;
}

static void out_flush(struct out *o)
{
	if (o->used)
		fwrite(o->buf, 1, o->used, o->f);
	o->used = 0;
}

/* Room for one more line; errors are sticky in the FILE and reported by out_close. */
static char *out_line(struct out *o)
{
	if (o->used > sizeof(o->buf) - OUT_LINE_BYTES_MAX)
		out_flush(o);
	return o->buf + o->used;
}

static void out_end_line(struct out *o, char *end)
{
	*end++ = '\n';
	o->used = (size_t)(end - o->buf);
}

static int out_close(struct out *o, char *err, size_t err_bytes)
{
	out_flush(o);
	int failed = ferror(o->f);
	int e = failed ? EIO : 0;
	if (fclose(o->f) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	o->f = NULL;
	if (failed) {
		oc_error_set(err, err_bytes, 0, "%s: write error: %s", o->path, strerror(e));
		return -e;
	}
	return 0;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* A bin location: aisle letter, two-digit bay, shelf digit, e.g. A-03-2. */
static char *put_bin(char *p, uint32_t aisle, uint32_t bay, uint32_t shelf)
{
	*p++ = (char)('A' + aisle);
	*p++ = '-';
	*p++ = (char)('0' + bay / 10);
	*p++ = (char)('0' + bay % 10);
	*p++ = '-';
	*p++ = (char)('0' + shelf);
	return p;
}

/* mkdir -p: creates dir and any missing parent. */
static int make_dirs(const char *dir, char *err, size_t err_bytes)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	if (len == 0 || len >= sizeof(path)) {
		oc_error_set(err, err_bytes, 0, "%s: bad directory name", dir);
		return len ? -ENAMETOOLONG : -EINVAL;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			int e = errno;
			oc_error_set(err, err_bytes, 0, "%s: cannot create: %s", path, strerror(e));
			return -e;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static int write_warehouses(struct out *o, const char *dir, const struct oc_demo_params *p,
                            char *err, size_t err_bytes)
{
	int rc = out_open(o, dir, "warehouses.csv", err, err_bytes);
	if (rc < 0)
		return rc;
	uint64_t state = p->seed ^ STREAM_WAREHOUSES;
	fputs("warehouse,name,lat,lon,region\n", o->f);
	for (uint32_t w = 0; w < p->warehouses; w++) {
		uint32_t r = w % COMPASS_COUNT;
		double lat = rand_between(&state, compass[r].lat_lo, compass[r].lat_hi);
		double lon = rand_between(&state, compass[r].lon_lo, compass[r].lon_hi);
		/* Few rows, so fprintf; '.' as decimal point: nothing calls setlocale. */
		fprintf(o->f, "WH%02u,Distribution center %02u,%.4f,%.4f,%s\n", w + 1, w + 1, lat,
		        lon, compass[r].name);
	}
	return out_close(o, err, err_bytes);
}

static int write_skus(struct out *o, const char *dir, const struct oc_demo_params *p, char *err,
                      size_t err_bytes)
{
	int rc = out_open(o, dir, "skus.csv", err, err_bytes);
	if (rc < 0)
		return rc;
	uint64_t state = p->seed ^ STREAM_SKUS;
	char *l = out_line(o);
	out_end_line(o, put_str(l, "sku,name,weight_g,price_cents,bin,limit_per_customer"));
	for (uint32_t i = 0; i < p->skus; i++) {
		uint64_t sku = 100001u + (uint64_t)i;
		l = out_line(o);
		l = put_u64(l, sku);
		l = put_u64(put_str(l, ",Item "), sku);
		l = put_u64(put_str(l, ","), rand_range(&state, 50, 5000));
		l = put_u64(put_str(l, ","), rand_range(&state, 199, 99999));
		/* Bin: aisle A..Z, bay 01..40, shelf 1..6. One draw per statement, so that the
		 * order of the draws does not depend on how a compiler orders arguments. */
		uint32_t aisle = rand_range(&state, 0, 25);
		uint32_t bay = rand_range(&state, 1, 40);
		uint32_t shelf = rand_range(&state, 1, 6);
		l = put_bin(put_str(l, ","), aisle, bay, shelf);
		l = put_u64(put_str(l, ","), i < p->hot_skus ? p->hot_limit : 0);
		out_end_line(o, l);
	}
	return out_close(o, err, err_bytes);
}

/* Splits `stock` units over the warehouses in proportion to random weights, some of them
 * zero. Cumulative rounding makes the parts add up to exactly `stock`. */
static void split_stock(uint64_t *state, const struct oc_demo_params *p, uint32_t stock,
			uint32_t *units)
{
	uint32_t weight[OC_LIMIT_WAREHOUSES_MAX];
	uint64_t total = 0;
	for (uint32_t w = 0; w < p->warehouses; w++) {
		bool empty = rand_range(state, 0, EMPTY_PAIR_ONE_IN - 1) == 0;
		weight[w] = empty ? 0 : rand_range(state, 1, 1000);
		total += weight[w];
	}
	if (total == 0) {
		weight[rand_range(state, 0, p->warehouses - 1)] = 1;
		total = 1;
	}
	uint64_t cum = 0, given = 0;
	for (uint32_t w = 0; w < p->warehouses; w++) {
		cum += weight[w];
		uint64_t upto = (uint64_t)stock * cum / total;
		units[w] = (uint32_t)(upto - given);
		given = upto;
	}
}

static int write_stock(struct out *o, const char *dir, const struct oc_demo_params *p, char *err,
                       size_t err_bytes)
{
	int rc = out_open(o, dir, "stock.csv", err, err_bytes);
	if (rc < 0)
		return rc;
	uint64_t state = p->seed ^ STREAM_STOCK;
	uint32_t units[OC_LIMIT_WAREHOUSES_MAX];
	char *l = out_line(o);
	out_end_line(o, put_str(l, "sku,warehouse,on_hand"));
	for (uint32_t i = 0; i < p->skus; i++) {
		bool hot = i < p->hot_skus && p->hot_stock;
		split_stock(&state, p, hot ? p->hot_stock : p->stock_per_sku, units);
		for (uint32_t w = 0; w < p->warehouses; w++) {
			if (units[w] == 0)
				continue; /* a missing pair means 0 on hand */
			char code[] = {
			    ',', 'W', 'H', (char)('0' + (w + 1) / 10), (char)('0' + (w + 1) % 10),
			    ',', '\0'};
			l = out_line(o);
			l = put_u64(put_str(put_u64(l, 100001u + (uint64_t)i), code), units[w]);
			out_end_line(o, l);
		}
	}
	return out_close(o, err, err_bytes);
}

static int check_params(const struct oc_demo_params *p, char *err, size_t err_bytes)
{
	if (p->skus < 1 || p->skus > OC_LIMIT_SKUS_MAX) {
		oc_error_set(err, err_bytes, 0, "demo dataset: skus must be 1..%u, not %u",
		        OC_LIMIT_SKUS_MAX, p->skus);
		return -EINVAL;
	}
	if (p->warehouses < 1 || p->warehouses > OC_LIMIT_WAREHOUSES_MAX) {
		oc_error_set(err, err_bytes, 0, "demo dataset: warehouses must be 1..%u, not %u",
		        OC_LIMIT_WAREHOUSES_MAX, p->warehouses);
		return -EINVAL;
	}
	if (p->stock_per_sku > OC_LIMIT_SKU_UNITS_MAX || p->hot_stock > OC_LIMIT_SKU_UNITS_MAX) {
		oc_error_set(err, err_bytes, 0, "demo dataset: stock_per_sku and hot_stock must be "
		             "at most %u units", OC_LIMIT_SKU_UNITS_MAX);
		return -EINVAL;
	}
	if (p->hot_skus > p->skus) {
		oc_error_set(err, err_bytes, 0, "demo dataset: hot_skus (%u) exceeds skus (%u)",
		        p->hot_skus, p->skus);
		return -EINVAL;
	}
	return 0;
}

int oc_dataset_write_demo(const char *dir, const struct oc_demo_params *p, char *err,
                          size_t err_bytes)
{
	OC_ASSERT(dir != NULL && p != NULL);
	if (err && err_bytes)
		err[0] = '\0';
	int rc = check_params(p, err, err_bytes);
	if (rc == 0)
		rc = make_dirs(dir, err, err_bytes);
	if (rc < 0)
		return rc;
	/* 70 KB of buffer and path: on the heap, not on the caller's stack. */
	struct out *o = mi_malloc(sizeof(*o));
	if (!o) {
		oc_error_set(err, err_bytes, 0, "%s: out of memory", dir);
		return -ENOMEM;
	}
	rc = write_warehouses(o, dir, p, err, err_bytes);
	if (rc == 0)
		rc = write_skus(o, dir, p, err, err_bytes);
	if (rc == 0)
		rc = write_stock(o, dir, p, err, err_bytes);
	mi_free(o);
	return rc;
}
