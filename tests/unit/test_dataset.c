/* test_dataset.c: unit tests of the dataset module (engine/data): the demo generator and
 * the loader round trip, determinism of the generator, and one test per kind of bad input,
 * each checking the return code and that the message names the file and the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "oc_test.h"

#define ERR_BYTES 512
/* Scratch directory paths: oc_test_scratch_dir's command buffer holds two of them. */
#define DIR_BYTES 1024
#define PI        3.14159265358979323846

static const char skus_ok[] = "sku,name,weight_g,price_cents,bin,limit_per_customer\n"
                              "100001,Item A,100,1999,A-01-1,0\n"
                              "100002,Item B,200,2999,A-01-2,2\n";
static const char warehouses_ok[] = "warehouse,name,lat,lon,region\n"
                                    "WH01,East,40.7,-74.0,NE\n"
                                    "WH02,West,34.0,-118.2,SW\n";
static const char stock_ok[] = "sku,warehouse,on_hand\n"
                               "100001,WH01,5\n"
                               "100002,WH02,7\n";

/* Marks a file the case leaves out of the directory. */
static const char missing[] = "(missing)";

/* Writes a file of the case (oc_test_write_file), failing the test if it cannot. */
static void write_file(const char *dir, const char *name, const char *text)
{
	assert_int_equal(oc_test_write_file(dir, name, text), 0);
}

/* Reads a whole file into a malloc'd buffer; *bytes gets its size. */
static char *slurp(const char *dir, const char *name, size_t *bytes)
{
	char path[DIR_BYTES + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*bytes = (size_t)n;
	return buf;
}

/* Writes the three files (NULL: the valid default, `missing`: left out). */
static void write_dataset(const char *dir, const char *skus, const char *warehouses,
                          const char *stock)
{
	const char *names[] = {"skus.csv", "warehouses.csv", "stock.csv"};
	const char *texts[] = {skus ? skus : skus_ok, warehouses ? warehouses : warehouses_ok,
	                       stock ? stock : stock_ok};
	for (int i = 0; i < 3; i++)
		if (texts[i] != missing)
			write_file(dir, names[i], texts[i]);
}

/* Loads dir expecting failure rc; err must contain "<file>:<line>:" and `what`. */
static void expect_load_error(const char *dir, int rc, const char *where, const char *what)
{
	struct oc_dataset d;
	char err[ERR_BYTES];
	int got = oc_dataset_load(dir, &d, err, sizeof(err));
	print_message("load: %d %s\n", got, err);
	assert_int_equal(got, rc);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, where));
	assert_non_null(strstr(err, what));
	/* Nothing is left allocated and the struct is zeroed. */
	assert_null(d.skus);
	assert_null(d.warehouses);
	assert_null(d.regions);
	assert_null(d.on_hand);
	assert_null(d.sku_index.entries);
}

static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	double r = PI / 180.0;
	double s1 = sin((lat2 - lat1) * r / 2), s2 = sin((lon2 - lon1) * r / 2);
	double a = s1 * s1 + cos(lat1 * r) * cos(lat2 * r) * s2 * s2;
	return 2.0 * 6371.0 * asin(sqrt(a < 1.0 ? a : 1.0));
}

/* Checks the derived region tables of a loaded dataset. */
static void check_regions(const struct oc_dataset *d)
{
	assert_true(d->region_count >= 1);
	for (uint32_t r = 0; r < d->region_count; r++) {
		const struct oc_region_rec *reg = &d->regions[r];
		if (r > 0)
			assert_true(strcmp(d->regions[r - 1].name, reg->name) < 0);
		assert_int_equal(oc_dataset_region_index(d, reg->name), (int)r);
		double lat = 0, lon = 0;
		uint32_t n = 0;
		for (uint32_t w = 0; w < d->warehouse_count; w++) {
			if (d->warehouses[w].region != r)
				continue;
			lat += d->warehouses[w].lat;
			lon += d->warehouses[w].lon;
			n++;
		}
		assert_true(n > 0);
		assert_true(fabs(reg->lat - lat / n) < 1e-9 && fabs(reg->lon - lon / n) < 1e-9);
		uint64_t seen = 0;
		double prev = -1;
		uint32_t prev_w = 0;
		for (uint32_t i = 0; i < d->warehouse_count; i++) {
			uint32_t w = reg->warehouse_order[i];
			assert_true(w < d->warehouse_count);
			assert_false(seen & (1ull << w));
			seen |= 1ull << w;
			const struct oc_warehouse_rec *wh = &d->warehouses[w];
			double km = haversine_km(reg->lat, reg->lon, wh->lat, wh->lon);
			assert_true(km >= prev);
			if (km == prev)
				assert_true(w > prev_w);
			prev = km;
			prev_w = w;
		}
	}
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		assert_true(d->warehouses[w].region < d->region_count);
	assert_int_equal(oc_dataset_region_index(d, "no-such-region"), -ENOENT);
}

static void check_demo(const struct oc_dataset *d, const struct oc_demo_params *p)
{
	assert_int_equal(d->sku_count, p->skus);
	assert_int_equal(d->warehouse_count, p->warehouses);
	for (uint32_t i = 0; i < d->sku_count; i++) {
		const struct oc_sku_rec *s = &d->skus[i];
		assert_int_equal(s->sku, 100001u + i);
		assert_int_equal(oc_dataset_sku_index(d, s->sku), (int)i);
		char name[32];
		snprintf(name, sizeof(name), "Item %u", 100001u + i);
		assert_string_equal(s->name, name);
		assert_true(s->weight_g >= 50 && s->weight_g <= 5000);
		assert_true(s->price_cents >= 199 && s->price_cents <= 99999);
		assert_int_equal(strlen(s->bin), 6);
		assert_int_equal(s->limit_per_customer, i < p->hot_skus ? p->hot_limit : 0);
		uint64_t sum = 0;
		for (uint32_t w = 0; w < d->warehouse_count; w++)
			sum += d->on_hand[(size_t)i * d->warehouse_count + w];
		bool hot = i < p->hot_skus && p->hot_stock;
		assert_int_equal(sum, hot ? p->hot_stock : p->stock_per_sku);
	}
	uint32_t expect_regions = p->warehouses < 9 ? p->warehouses : 9;
	assert_int_equal(d->region_count, expect_regions);
	for (uint32_t w = 0; w < d->warehouse_count; w++) {
		char code[16];
		snprintf(code, sizeof(code), "WH%02u", w + 1);
		assert_string_equal(d->warehouses[w].code, code);
	}
	check_regions(d);
}

static void roundtrip(uint32_t skus, uint32_t warehouses, uint32_t stock, uint32_t hot_stock,
		      uint64_t seed)
{
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_roundtrip");
	/* A nested directory that does not exist yet: the writer creates it. */
	strcat(dir, "/sub/demo");
	struct oc_demo_params p = {.skus = skus,
	                           .warehouses = warehouses,
	                           .stock_per_sku = stock,
	                           .hot_skus = skus < 10 ? skus : 10,
	                           .hot_limit = 2,
	                           .hot_stock = hot_stock,
	                           .seed = seed};
	int rc = oc_dataset_write_demo(dir, &p, err, sizeof(err));
	if (rc != 0)
		print_error("write_demo: %s\n", err);
	assert_int_equal(rc, 0);
	struct oc_dataset d;
	rc = oc_dataset_load(dir, &d, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	check_demo(&d, &p);
	assert_int_equal(oc_dataset_sku_index(&d, 100000), -ENOENT);
	assert_int_equal(oc_dataset_sku_index(&d, 100001u + skus), -ENOENT);
	assert_int_equal(oc_dataset_sku_index(&d, 0), -ENOENT);
	assert_int_equal(oc_dataset_sku_index(&d, UINT64_MAX), -ENOENT);
	oc_dataset_destroy(&d);
	assert_null(d.skus);
	oc_dataset_destroy(&d); /* destroying a destroyed dataset is harmless */
}

static void test_demo_roundtrip(void **state)
{
	(void)state;
	roundtrip(2000, 12, 1000, 0, 7);
	roundtrip(1, 1, 5, 0, 1);
	roundtrip(50, 2, 0, 0, 2);
	roundtrip(300, 64, 77, 0, 3);
	roundtrip(100, 5, OC_LIMIT_SKU_UNITS_MAX, 0, 4);
	roundtrip(100, 8, 10, 123457, 5); /* hot SKUs with their own stock */
}

static void test_demo_large(void **state)
{
	(void)state;
	roundtrip((uint32_t)oc_test_scaled(200000, 20000), 4, 500, 0, 11);
}

static void test_demo_deterministic(void **state)
{
	(void)state;
	char a[DIR_BYTES], b[DIR_BYTES], c[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(a, sizeof(a), "dataset_det_a");
	oc_test_scratch_dir(b, sizeof(b), "dataset_det_b");
	oc_test_scratch_dir(c, sizeof(c), "dataset_det_c");
	struct oc_demo_params p = {.skus = 3000,
	                           .warehouses = 7,
	                           .stock_per_sku = 250,
	                           .hot_skus = 5,
	                           .hot_limit = 3,
	                           .seed = 42};
	assert_int_equal(oc_dataset_write_demo(a, &p, err, sizeof(err)), 0);
	assert_int_equal(oc_dataset_write_demo(b, &p, err, sizeof(err)), 0);
	p.seed = 43;
	assert_int_equal(oc_dataset_write_demo(c, &p, err, sizeof(err)), 0);
	const char *names[] = {"skus.csv", "warehouses.csv", "stock.csv"};
	for (int i = 0; i < 3; i++) {
		size_t na, nb, nc;
		char *fa = slurp(a, names[i], &na), *fb = slurp(b, names[i], &nb);
		char *fc = slurp(c, names[i], &nc);
		assert_int_equal(na, nb);
		assert_memory_equal(fa, fb, na);
		assert_true(na != nc || memcmp(fa, fc, na) != 0); /* another seed, other data */
		free(fa);
		free(fb);
		free(fc);
	}
}

static void test_demo_bad_params(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_bad_params");
	struct oc_demo_params ok = {.skus = 10,
	                            .warehouses = 2,
	                            .stock_per_sku = 5,
	                            .hot_skus = 2,
	                            .hot_limit = 1,
	                            .seed = 1};
	struct oc_demo_params p = ok;
	p.skus = 0;
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "skus"));
	p = ok;
	p.warehouses = 0;
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "warehouses"));
	p.warehouses = OC_LIMIT_WAREHOUSES_MAX + 1;
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "warehouses"));
	p = ok;
	p.hot_skus = 11;
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "hot_skus"));
	p = ok;
	p.stock_per_sku = OC_LIMIT_SKU_UNITS_MAX + 1;
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "stock_per_sku"));
	/* A regular file where the directory should be. */
	write_file(dir, "file", "x");
	char file_dir[DIR_BYTES + 64];
	snprintf(file_dir, sizeof(file_dir), "%s/file", dir);
	assert_true(oc_dataset_write_demo(file_dir, &ok, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, file_dir));
}

/* A small hand-written dataset: values, CRLF line endings, blank lines, missing pairs. */
static void test_load_small(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_small");
	write_dataset(dir,
	              "sku,name,weight_g,price_cents,bin,limit_per_customer\r\n\r\n"
	              "7,Widget deluxe,0,4294967295,Z-99-9,1\r\n"
	              "9223372036854775807,Max,1,2,B,0\r\n",
	              "warehouse,name,lat,lon,region\n"
	              "b-2,B,-90,180,zz\n\n  \n"
	              "A_1,A,90,-180,aa\n"
	              "C3,C,1.5e1,-0.25,zz\n",
	              "sku,warehouse,on_hand\n"
	              "7,C3,1000000000\n"
	              "9223372036854775807,b-2,0\n");
	struct oc_dataset d;
	assert_int_equal(oc_dataset_load(dir, &d, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(d.sku_count, 2);
	assert_string_equal(d.skus[0].name, "Widget deluxe");
	assert_int_equal(d.skus[0].price_cents, UINT32_MAX);
	assert_int_equal(d.skus[1].sku, INT64_MAX);
	assert_int_equal(oc_dataset_sku_index(&d, INT64_MAX), 1);
	assert_int_equal(oc_dataset_sku_index(&d, 7), 0);
	assert_int_equal(d.warehouse_count, 3);
	assert_true(d.warehouses[2].lat == 15.0 && d.warehouses[2].lon == -0.25);
	assert_int_equal(d.region_count, 2);
	assert_string_equal(d.regions[0].name, "aa");
	assert_string_equal(d.regions[1].name, "zz");
	assert_int_equal(d.warehouses[0].region, 1);
	assert_int_equal(d.warehouses[1].region, 0);
	assert_int_equal(oc_dataset_region_index(&d, "zz"), 1);
	assert_int_equal(oc_dataset_region_index(&d, "z"), -ENOENT);
	/* Region aa is warehouse A_1 alone: it comes first in aa's order. */
	assert_int_equal(d.regions[0].warehouse_order[0], 1);
	assert_int_equal(d.on_hand[0 * 3 + 2], OC_LIMIT_SKU_UNITS_MAX);
	assert_int_equal(d.on_hand[0 * 3 + 0], 0); /* not listed */
	assert_int_equal(d.on_hand[1 * 3 + 0], 0);
	check_regions(&d);
	oc_dataset_destroy(&d);
}

struct bad_case {
	const char *skus, *warehouses, *stock; /* NULL: the valid default */
	int rc;
	const char *where; /* "<file>:<line>:" */
	const char *what;  /* part of the reason */
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_bad");
	write_dataset(dir, c->skus, c->warehouses, c->stock);
	expect_load_error(dir, c->rc, c->where, c->what);
}

#define SKU_HEADER   "sku,name,weight_g,price_cents,bin,limit_per_customer\n"
#define WH_HEADER    "warehouse,name,lat,lon,region\n"
#define STOCK_HEADER "sku,warehouse,on_hand\n"
#define SKU_ROW_1    "100001,Item A,100,1999,A-01-1,0\n"

#define BAD(name_, skus_, wh_, stock_, where_, what_)                                              \
	static const struct bad_case name_ = {skus_, wh_, stock_, -EINVAL, where_, what_};

BAD(wrong_header, "sku,title,weight_g,price_cents,bin,limit_per_customer\n" SKU_ROW_1, NULL, NULL,
    "skus.csv:1:", "header column 2 is 'title', expected 'name'")
BAD(header_missing_column, "sku,name,weight_g,price_cents,bin\n" SKU_ROW_1, NULL, NULL,
    "skus.csv:1:", "missing column 'limit_per_customer'")
BAD(header_extra_column, NULL, "warehouse,name,lat,lon,region,zone\nWH01,E,1,2,NE,x\n", NULL,
    "warehouses.csv:1:", "extra column 'zone'")
BAD(row_missing_column, SKU_HEADER SKU_ROW_1 "100002,Item B,200,2999,A-01-2\n", NULL, NULL,
    "skus.csv:3:", "5 fields, expected 6")
BAD(row_extra_column, NULL, NULL, STOCK_HEADER "100001,WH01,5,9\n",
    "stock.csv:2:", "4 fields, expected 3")
BAD(non_numeric, SKU_HEADER "100001,Item A,abc,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "column weight_g: 'abc' is not an unsigned integer")
BAD(trailing_garbage, SKU_HEADER SKU_ROW_1 "100002,Item B,200,2999x,A-01-2,0\n", NULL, NULL,
    "skus.csv:3:", "column price_cents: '2999x' is not an unsigned integer")
BAD(leading_space, SKU_HEADER "100001,Item A,100,1999,A-01-1, 1\n", NULL, NULL,
    "skus.csv:2:", "column limit_per_customer: ' 1' is not an unsigned integer")
BAD(empty_number, SKU_HEADER "100001,Item A,,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "column weight_g is empty")
BAD(negative, NULL, NULL, STOCK_HEADER "100001,WH01,5\n100002,WH02,-5\n",
    "stock.csv:3:", "column on_hand: '-5' is negative")
BAD(overflow_u32, SKU_HEADER "100001,Item A,4294967296,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "column weight_g: '4294967296' is out of range")
BAD(overflow_u64, SKU_HEADER "18446744073709551616,Item A,1,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "column sku: '18446744073709551616' is out of range")
BAD(sku_over_int64, SKU_HEADER "9223372036854775808,Item A,1,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "is out of range [1, 9223372036854775807]")
BAD(sku_zero, SKU_HEADER "0,Item A,1,1999,A-01-1,0\n", NULL, NULL,
    "skus.csv:2:", "column sku: '0' is out of range")
BAD(duplicate_sku, SKU_HEADER SKU_ROW_1 "100002,Item B,1,2,B,0\n\n100001,Item C,1,2,C,0\n", NULL,
    NULL, "skus.csv:5:", "sku 100001 is listed twice (first on line 2)")
BAD(duplicate_warehouse, NULL, WH_HEADER "WH01,East,40.7,-74.0,NE\nWH01,Again,1,1,NE\n", NULL,
    "warehouses.csv:3:", "warehouse WH01 is listed twice (first on line 2)")
BAD(unknown_sku, NULL, NULL, STOCK_HEADER "100001,WH01,5\n999,WH01,1\n",
    "stock.csv:3:", "sku 999 is not in skus.csv")
BAD(unknown_warehouse, NULL, NULL, STOCK_HEADER "100001,WH01,5\n100001,WH09,1\n",
    "stock.csv:3:", "warehouse WH09 is not in warehouses.csv")
BAD(duplicate_stock_pair, NULL, NULL, STOCK_HEADER "100001,WH01,5\n100002,WH01,5\n100001,WH01,6\n",
    "stock.csv:4:", "sku 100001 at warehouse WH01 is listed twice")
BAD(sku_units_over_limit, NULL, NULL,
    STOCK_HEADER "100001,WH01,600000000\n100002,WH01,5\n100001,WH02,400000001\n",
    "stock.csv:4:", "sku 100001 has 1000000001 units over all warehouses, more than 1000000000")
BAD(lat_out_of_range, NULL, WH_HEADER "WH01,East,91.5,-74.0,NE\n", NULL,
    "warehouses.csv:2:", "column lat: '91.5' is out of range")
BAD(lon_out_of_range, NULL, WH_HEADER "WH01,East,40,-74,NE\nWH02,W,40,-180.5,SW\n", NULL,
    "warehouses.csv:3:", "column lon: '-180.5' is out of range")
BAD(lat_not_a_number, NULL, WH_HEADER "WH01,East,nan,-74.0,NE\n", NULL,
    "warehouses.csv:2:", "column lat: 'nan' is not a number")
BAD(lat_garbage, NULL, WH_HEADER "WH01,East,40.1.2,-74.0,NE\n", NULL,
    "warehouses.csv:2:", "column lat: '40.1.2' is not a number")
BAD(empty_name, SKU_HEADER SKU_ROW_1 "100002,,200,2999,A-01-2,0\n", NULL, NULL,
    "skus.csv:3:", "column name is empty")
BAD(empty_bin, SKU_HEADER "100002,Item,200,2999,,0\n", NULL, NULL,
    "skus.csv:2:", "column bin is empty")
BAD(long_name,
    SKU_HEADER "1,0123456789012345678901234567890123456789012345678901234567890123"
               ",1,1,B,0\n",
    NULL, NULL, "skus.csv:2:", "column name is 64 bytes long, at most 63")
BAD(long_bin, SKU_HEADER "1,N,1,1,0123456789abcdef,0\n", NULL, NULL,
    "skus.csv:2:", "column bin is 16 bytes long, at most 15")
BAD(double_quote, SKU_HEADER "1,\"Quoted\",1,1,B,0\n", NULL, NULL,
    "skus.csv:2:", "field 2 contains a double quote")
BAD(control_char, SKU_HEADER "1,Tab\there,1,1,B,0\n", NULL, NULL,
    "skus.csv:2:", "column name contains a control character")
BAD(bad_code, NULL, WH_HEADER "WH 1,East,40.7,-74.0,NE\n", NULL,
    "warehouses.csv:2:", "column warehouse: 'WH 1' may hold only")
BAD(bad_region, NULL, WH_HEADER "WH01,East,40.7,-74.0,N.E\n", NULL,
    "warehouses.csv:2:", "column region: 'N.E' may hold only")
BAD(long_region, NULL, WH_HEADER "WH01,East,40.7,-74.0,REGION_0123456789\n", NULL,
    "warehouses.csv:2:", "column region is 17 bytes long, at most 15")
BAD(no_warehouses, NULL, "\n" WH_HEADER, NULL, "warehouses.csv:2:", "no warehouses")
BAD(no_skus, SKU_HEADER, NULL, NULL, "skus.csv:1:", "no SKUs")
BAD(empty_file, "", NULL, NULL, "skus.csv:1:", "missing header row")
BAD(header_only_stock_bad, NULL, NULL, "sku,warehouse\n",
    "stock.csv:1:", "missing column 'on_hand'")

static const struct bad_case missing_stock = {NULL,    NULL,        missing,
                                              -ENOENT, "stock.csv", "No such file"};

static void test_missing_file(void **state)
{
	(void)state;
	char dir[DIR_BYTES], want[DIR_BYTES + 64], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_missing");
	write_dataset(dir, missing, NULL, NULL);
	struct oc_dataset d;
	assert_int_equal(oc_dataset_load(dir, &d, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/skus.csv: No such file", dir);
	assert_string_equal(err, want);
	strcat(dir, "/nonexistent");
	assert_int_equal(oc_dataset_load(dir, &d, err, sizeof(err)), -ENOENT);
	assert_null(d.skus);
}

static void test_too_long_line(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_long_line");
	/* The longest accepted line has OC_CSV_LINE_BYTES_MAX bytes with its "\n" ... */
	static char text[4 * OC_CSV_LINE_BYTES_MAX];
	char *p = text + sprintf(text, SKU_HEADER SKU_ROW_1 "100002,Item B,200,2999,A-01-2,");
	size_t row_start = (size_t)(strchr(strchr(text, '\n') + 1, '\n') + 1 - text);
	while ((size_t)(p - text) - row_start < OC_CSV_LINE_BYTES_MAX - 1)
		*p++ = '0';
	*p++ = '\n';
	*p = '\0';
	write_dataset(dir, text, NULL, NULL);
	struct oc_dataset d;
	char err[ERR_BYTES];
	assert_int_equal(oc_dataset_load(dir, &d, err, sizeof(err)), 0);
	oc_dataset_destroy(&d);
	/* ... and one more byte is too long. */
	p[-1] = '0';
	*p++ = '\n';
	*p = '\0';
	write_dataset(dir, text, NULL, NULL);
	expect_load_error(dir, -EINVAL, "skus.csv:3:", "line is longer than 1024 bytes");
}

static void test_too_many_warehouses(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "dataset_many_wh");
	static char text[128 * (OC_LIMIT_WAREHOUSES_MAX + 2)];
	char *p = text + sprintf(text, WH_HEADER);
	for (uint32_t w = 1; w <= OC_LIMIT_WAREHOUSES_MAX + 1; w++)
		p += sprintf(p, "WH%03u,Warehouse,%u,%u,R%u\n", w, w % 90, w, w);
	write_dataset(dir, NULL, text, NULL);
	expect_load_error(dir, -EINVAL, "warehouses.csv:66:", "more than 64 warehouses");
}

#define BAD_TEST(name_)                                                                            \
	{                                                                                          \
#name_, run_bad_case, NULL, NULL, (void *)&name_                                   \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_roundtrip),
	    cmocka_unit_test(test_demo_large),
	    cmocka_unit_test(test_demo_deterministic),
	    cmocka_unit_test(test_demo_bad_params),
	    cmocka_unit_test(test_load_small),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_too_long_line),
	    cmocka_unit_test(test_too_many_warehouses),
	    BAD_TEST(wrong_header),
	    BAD_TEST(header_missing_column),
	    BAD_TEST(header_extra_column),
	    BAD_TEST(row_missing_column),
	    BAD_TEST(row_extra_column),
	    BAD_TEST(non_numeric),
	    BAD_TEST(trailing_garbage),
	    BAD_TEST(leading_space),
	    BAD_TEST(empty_number),
	    BAD_TEST(negative),
	    BAD_TEST(overflow_u32),
	    BAD_TEST(overflow_u64),
	    BAD_TEST(sku_over_int64),
	    BAD_TEST(sku_zero),
	    BAD_TEST(duplicate_sku),
	    BAD_TEST(duplicate_warehouse),
	    BAD_TEST(unknown_sku),
	    BAD_TEST(unknown_warehouse),
	    BAD_TEST(duplicate_stock_pair),
	    BAD_TEST(sku_units_over_limit),
	    BAD_TEST(lat_out_of_range),
	    BAD_TEST(lon_out_of_range),
	    BAD_TEST(lat_not_a_number),
	    BAD_TEST(lat_garbage),
	    BAD_TEST(empty_name),
	    BAD_TEST(empty_bin),
	    BAD_TEST(long_name),
	    BAD_TEST(long_bin),
	    BAD_TEST(double_quote),
	    BAD_TEST(control_char),
	    BAD_TEST(bad_code),
	    BAD_TEST(bad_region),
	    BAD_TEST(long_region),
	    BAD_TEST(no_warehouses),
	    BAD_TEST(no_skus),
	    BAD_TEST(empty_file),
	    BAD_TEST(header_only_stock_bad),
	    BAD_TEST(missing_stock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
