/* test_carriers.c: unit tests of the carriers' dataset files (engine/data/carriers.c): loading
 * good files, what a missing file means, one test per kind of bad input (each checking
 * -EINVAL and that the message names the file and the line), the limits, shopping a rate,
 * the tracking number, the fingerprint, the demo files loading back, and the shipping zones
 * the dataset derives for its regions (engine/data/dataset.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "data/carriers.h"
#include "data/dataset.h"
#include "oc_test.h"

#define ERR_BYTES 1024
/* Scratch directory paths: oc_test_scratch_dir's command buffer holds two of them. */
#define DIR_BYTES 1024

#define CARRIERS_HEADER "carrier,service,transit_days\n"
#define RATES_HEADER    "carrier,service,zone,weight_max_g,cost_cents\n"

/* Rows 0..4. The last carrier's code is 15 bytes, the most there is room for. */
static const char carriers_ok[] = CARRIERS_HEADER "ACME,GROUND,5\n"
                                                  "ACME,AIR,2\n"
                                                  "ZOOM,GROUND,5\n"
                                                  "ZOOM,NEXT-DAY,1\n"
                                                  "SLOW_BARGE-CO15,barge,7\n";
/* Out of order on purpose: the loader sorts each service's breaks by weight. Zones 3..7 are
 * served by nobody, zone 8 by the barge alone. */
static const char rates_ok[] = RATES_HEADER "ACME,GROUND,1,20000,2000\n"
                                            "ACME,GROUND,1,1000,500\n"
                                            "ZOOM,GROUND,1,1000,500\n"
                                            "ACME,AIR,1,5000,2500\n"
                                            "ACME,GROUND,2,5000,1000\n"
                                            "ACME,GROUND,1,5000,900\n"
                                            "ZOOM,GROUND,1,30000,2500\n"
                                            "ZOOM,GROUND,1,5000,950\n"
                                            "ACME,GROUND,2,1000,600\n"
                                            "ZOOM,GROUND,2,1000,650\n"
                                            "ACME,AIR,1,1000,1500\n"
                                            "ACME,AIR,2,1000,1500\n"
                                            "ZOOM,NEXT-DAY,1,5000,3000\n"
                                            "ZOOM,NEXT-DAY,1,1000,1500\n"
                                            "SLOW_BARGE-CO15,barge,1,4000000000,400\n"
                                            "SLOW_BARGE-CO15,barge,8,100,0\n";

/* Marks a file the case leaves out of the directory. */
static const char missing[] = "(missing)";

/* Writes a file of the case (oc_test_write_file), failing the test if it cannot. */
static void write_file(const char *dir, const char *name, const char *text)
{
	assert_int_equal(oc_test_write_file(dir, name, text), 0);
}

/* Writes both files (NULL: the valid default, `missing`: left out). */
static void write_carriers(const char *dir, const char *carriers, const char *rates)
{
	if (carriers != missing)
		write_file(dir, "carriers.csv", carriers ? carriers : carriers_ok);
	if (rates != missing)
		write_file(dir, "rates.csv", rates ? rates : rates_ok);
}

static void assert_zeroed(const struct oc_carriers *c)
{
	assert_int_equal(c->service_count, 0);
	assert_null(c->services);
}

/* Loads dir expecting -EINVAL with "<dir>/<where>" and `what` in the message. */
static void expect_load_error(const char *dir, const char *where, const char *what)
{
	struct oc_carriers c;
	char err[ERR_BYTES], want[DIR_BYTES + 64];
	int got = oc_carriers_load(dir, &c, err, sizeof(err));
	print_message("load: %d %s\n", got, err);
	assert_int_equal(got, -EINVAL);
	snprintf(want, sizeof(want), "%s/%s", dir, where);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, what));
	assert_null(strchr(err, '\n')); /* one line */
	assert_zeroed(&c);              /* nothing is left allocated */
}

/* Loads dir, failing the test with the message if it does not load. */
static void load_ok(const char *dir, struct oc_carriers *c)
{
	char err[ERR_BYTES];
	int rc = oc_carriers_load(dir, c, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
}

static void assert_break(const struct oc_carrier_service *s, uint32_t zone, uint32_t i,
                         uint32_t weight_max_g, uint32_t cost_cents)
{
	assert_true(i < s->break_count[zone - 1]);
	assert_int_equal(s->breaks[zone - 1][i].weight_max_g, weight_max_g);
	assert_int_equal(s->breaks[zone - 1][i].cost_cents, cost_cents);
}

static void test_load_good(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_good");
	/* CRLF endings and blank lines are read like anywhere in the dataset. */
	write_carriers(dir,
	               CARRIERS_HEADER "\r\nACME,GROUND,5\r\nACME,AIR,2\r\n  \r\nZOOM,GROUND,5\r\n"
	                               "ZOOM,NEXT-DAY,1\r\nSLOW_BARGE-CO15,barge,7\r\n",
	               NULL);
	struct oc_carriers c;
	load_ok(dir, &c);
	assert_int_equal(c.service_count, 5);
	assert_non_null(c.services);
	static const struct {
		const char *carrier, *service;
		uint32_t days;
	} want[] = {{"ACME", "GROUND", 5},
	            {"ACME", "AIR", 2},
	            {"ZOOM", "GROUND", 5},
	            {"ZOOM", "NEXT-DAY", 1},
	            {"SLOW_BARGE-CO15", "barge", 7}};
	for (uint32_t s = 0; s < 5; s++) {
		assert_string_equal(c.services[s].carrier, want[s].carrier);
		assert_string_equal(c.services[s].service, want[s].service);
		assert_int_equal(c.services[s].transit_days, want[s].days);
	}
	/* Sorted by weight, whatever the order of the rows. */
	const struct oc_carrier_service *ground = &c.services[0];
	assert_int_equal(ground->break_count[0], 3);
	assert_break(ground, 1, 0, 1000, 500);
	assert_break(ground, 1, 1, 5000, 900);
	assert_break(ground, 1, 2, 20000, 2000);
	assert_int_equal(ground->break_count[1], 2);
	assert_break(ground, 2, 0, 1000, 600);
	assert_break(ground, 2, 1, 5000, 1000);
	for (uint32_t z = 3; z <= OC_CARRIER_ZONES_MAX; z++)
		assert_int_equal(ground->break_count[z - 1], 0);
	assert_int_equal(c.services[3].break_count[0], 2);
	assert_break(&c.services[3], 1, 0, 1000, 1500);
	assert_break(&c.services[3], 1, 1, 5000, 3000);
	assert_int_equal(c.services[3].break_count[1], 0);
	assert_break(&c.services[4], 1, 0, 4000000000u, 400);
	assert_break(&c.services[4], 8, 0, 100, 0);
	oc_carriers_destroy(&c);
	assert_zeroed(&c);
	oc_carriers_destroy(&c); /* destroying a destroyed struct is harmless */
}

static void test_missing_files(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	struct oc_carriers c;

	/* Neither file: no carriers, and that is no error. */
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_none");
	assert_int_equal(oc_carriers_load(dir, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_zeroed(&c);
	struct oc_rate_choice r;
	assert_int_equal(oc_carriers_shop(&c, 1, 100, 0, &r), -ENOENT);
	oc_carriers_destroy(&c);
	assert_int_equal(oc_carriers_load(dir, &c, NULL, 0), 0); /* no message buffer */

	/* One without the other: most likely the other was lost. */
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_no_rates");
	write_carriers(dir, NULL, missing);
	expect_load_error(dir, "carriers.csv without", "rates.csv");
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_no_carriers");
	write_carriers(dir, missing, NULL);
	expect_load_error(dir, "rates.csv without", "carriers.csv");
	/* ... even when the file that is there is bad. */
	write_carriers(dir, missing, "nonsense\n");
	expect_load_error(dir, "rates.csv without", "carriers.csv");

	/* A path too long for the file names. */
	static char long_dir[PATH_MAX + 16];
	memset(long_dir, 'd', sizeof(long_dir) - 1);
	assert_int_equal(oc_carriers_load(long_dir, &c, err, sizeof(err)), -ENAMETOOLONG);
	assert_zeroed(&c);
}

/* Makes the text of carriers.csv with n services S0..S<n-1> and of rates.csv with a break of
 * each in zone 1; the caller frees both. */
static void many_services(uint32_t n, char **carriers, char **rates)
{
	*carriers = malloc(64 + n * 32);
	*rates = malloc(64 + n * 48);
	assert_true(*carriers && *rates);
	char *p = *carriers + sprintf(*carriers, CARRIERS_HEADER);
	char *q = *rates + sprintf(*rates, RATES_HEADER);
	for (uint32_t i = 0; i < n; i++) {
		p += sprintf(p, "C,S%u,3\n", i);
		q += sprintf(q, "C,S%u,1,1000,%u\n", i, 100 + i);
	}
}

/* 64 services load; a 65th is too many. 32 breaks in a zone load; a 33rd is too many. */
static void test_limits(void **state)
{
	(void)state;
	char dir[DIR_BYTES], *carriers, *rates;
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_limits");
	many_services(OC_CARRIER_SERVICES_MAX, &carriers, &rates);
	write_carriers(dir, carriers, rates);
	struct oc_carriers c;
	load_ok(dir, &c);
	assert_int_equal(c.service_count, OC_CARRIER_SERVICES_MAX);
	assert_string_equal(c.services[63].service, "S63");
	struct oc_rate_choice r;
	assert_int_equal(oc_carriers_shop(&c, 1, 1000, 0, &r), 0);
	assert_int_equal(r.service, 0);
	oc_carriers_destroy(&c);
	free(carriers);
	free(rates);
	many_services(OC_CARRIER_SERVICES_MAX + 1, &carriers, &rates);
	write_carriers(dir, carriers, rates);
	free(carriers);
	free(rates);
	expect_load_error(dir,
	                  "carriers.csv:66:", "more than 64 services (OC_CARRIER_SERVICES_MAX)");

	/* Breaks: 32 in zone 1, written heaviest first; the same weights in zone 2 as well. */
	static char text[64 * 64];
	char *p = text + sprintf(text, RATES_HEADER);
	for (uint32_t i = OC_CARRIER_BREAKS_MAX; i >= 1; i--)
		p += sprintf(p, "ACME,GROUND,1,%u,%u\nACME,GROUND,2,%u,7\n", i * 100, i, i * 100);
	write_carriers(dir, CARRIERS_HEADER "ACME,GROUND,5\n", text);
	load_ok(dir, &c);
	assert_int_equal(c.services[0].break_count[0], OC_CARRIER_BREAKS_MAX);
	for (uint32_t i = 0; i < OC_CARRIER_BREAKS_MAX; i++)
		assert_break(&c.services[0], 1, i, (i + 1) * 100, i + 1);
	/* Every break is found by the search, and the weights between them too. */
	for (uint32_t w = 0; w <= OC_CARRIER_BREAKS_MAX * 100; w++) {
		assert_int_equal(oc_carriers_shop(&c, 1, w, 0, &r), 0);
		assert_int_equal(r.cost_cents, w <= 100 ? 1 : (w + 99) / 100);
	}
	assert_int_equal(oc_carriers_shop(&c, 1, OC_CARRIER_BREAKS_MAX * 100 + 1, 0, &r), -ENOENT);
	oc_carriers_destroy(&c);
	strcat(p, "ACME,GROUND,1,1,1\n"); /* line 66 */
	write_carriers(dir, CARRIERS_HEADER "ACME,GROUND,5\n", text);
	expect_load_error(dir, "rates.csv:66:",
	                  "more than 32 weight breaks for ACME GROUND in zone 1 "
	                  "(OC_CARRIER_BREAKS_MAX)");
}

struct bad_case {
	const char *carriers, *rates; /* NULL: the valid default */
	const char *where;            /* "<file>:<line>:" */
	const char *what;             /* part of the reason */
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_bad");
	write_carriers(dir, c->carriers, c->rates);
	expect_load_error(dir, c->where, c->what);
}

#define BAD(name_, carriers_, rates_, where_, what_)                                               \
	static const struct bad_case name_ = {carriers_, rates_, where_, what_};
/* A bad carriers.csv row on line 3, after a valid one. */
#define BAD_SERVICE(name_, row_, what_)                                                            \
	BAD(name_, CARRIERS_HEADER "ACME,GROUND,5\n" row_ "\n", NULL, "carriers.csv:3:", what_)
/* A bad rates.csv row on line 3, after a valid one. */
#define BAD_RATE(name_, row_, what_)                                                               \
	BAD(name_, NULL, RATES_HEADER "ACME,GROUND,1,1000,500\n" row_ "\n", "rates.csv:3:", what_)

BAD(carriers_header, "carrier,service,days\nACME,GROUND,5\n", NULL,
    "carriers.csv:1:", "header column 3 is 'days', expected 'transit_days'")
BAD(carriers_empty, "", NULL, "carriers.csv:1:", "missing header row")
BAD(no_services, CARRIERS_HEADER "\n", NULL,
    "carriers.csv:2:", "no services: at least one row is required")
BAD_SERVICE(service_fields, "ACME,AIR", "2 fields, expected 3")
BAD_SERVICE(carrier_empty, ",AIR,2", "column carrier is empty")
BAD_SERVICE(service_empty, "ACME,,2", "column service is empty")
BAD_SERVICE(carrier_space, "AC ME,AIR,2",
            "column carrier: 'AC ME' may hold only A-Z, a-z, 0-9, '_' and '-'")
BAD_SERVICE(service_dot, "ACME,AIR.2,2", "column service: 'AIR.2' may hold only")
BAD_SERVICE(carrier_long, "ABCDEFGHIJKLMNOP,AIR,2",
            "column carrier is 16 bytes long, at most 15 allowed")
BAD_SERVICE(days_zero, "ACME,AIR,0", "column transit_days: '0' is out of range [1, 7]")
BAD_SERVICE(days_eight, "ACME,AIR,8", "column transit_days: '8' is out of range [1, 7]")
BAD_SERVICE(days_text, "ACME,AIR,two", "column transit_days: 'two' is not an unsigned integer")
BAD_SERVICE(days_negative, "ACME,AIR,-1", "column transit_days: '-1' is negative")
BAD_SERVICE(days_empty, "ACME,AIR,", "column transit_days is empty")
BAD(service_twice, CARRIERS_HEADER "ACME,GROUND,5\nZOOM,GROUND,5\n\nACME,GROUND,3\n", NULL,
    "carriers.csv:5:", "service ACME GROUND is listed twice (first on line 2)")
BAD(service_quote, CARRIERS_HEADER "\"ACME\",GROUND,5\n", NULL,
    "carriers.csv:2:", "field 1 contains a double quote")

BAD(rates_header, NULL, "carrier,service,zone,weight_g,cost_cents\n",
    "rates.csv:1:", "header column 4 is 'weight_g', expected 'weight_max_g'")
BAD(rates_empty, NULL, "", "rates.csv:1:", "missing header row")
BAD(no_rates, NULL, RATES_HEADER "\n\n", "rates.csv:3:", "no rates: at least one row is required")
BAD_RATE(rate_fields, "ACME,GROUND,1,1000", "4 fields, expected 5")
BAD_RATE(rate_unknown_service, "ACME,FREIGHT,1,1000,500",
         "service ACME FREIGHT is not in carriers.csv")
BAD_RATE(rate_unknown_carrier, "acme,GROUND,1,1000,500", /* codes are case-sensitive */
         "service acme GROUND is not in carriers.csv")
BAD_RATE(rate_carrier_bad, "AC/ME,GROUND,1,1000,500", "column carrier: 'AC/ME' may hold only")
BAD_RATE(zone_zero, "ACME,GROUND,0,2000,500", "column zone: '0' is out of range [1, 8]")
BAD_RATE(zone_nine, "ACME,GROUND,9,2000,500", "column zone: '9' is out of range [1, 8]")
BAD_RATE(zone_text, "ACME,GROUND,A,2000,500", "column zone: 'A' is not an unsigned integer")
BAD_RATE(weight_zero, "ACME,GROUND,1,0,500",
         "column weight_max_g: '0' is out of range [1, 4294967295]")
BAD_RATE(weight_big, "ACME,GROUND,1,4294967296,500",
         "column weight_max_g: '4294967296' is out of range [1, 4294967295]")
BAD_RATE(weight_unit, "ACME,GROUND,1,2kg,500",
         "column weight_max_g: '2kg' is not an unsigned integer")
BAD_RATE(weight_fraction, "ACME,GROUND,1,2.5,500",
         "column weight_max_g: '2.5' is not an unsigned integer")
BAD_RATE(cost_big, "ACME,GROUND,1,2000,100000001",
         "column cost_cents: '100000001' is out of range [0, 100000000]")
BAD_RATE(cost_negative, "ACME,GROUND,1,2000,-5", "column cost_cents: '-5' is negative")
BAD_RATE(cost_empty, "ACME,GROUND,1,2000,", "column cost_cents is empty")
BAD(break_twice, NULL,
    RATES_HEADER "ACME,GROUND,1,1000,500\nACME,GROUND,2,1000,500\n\nACME,GROUND,1,1000,700\n",
    "rates.csv:5:", "ACME GROUND in zone 1 has weight_max_g 1000 twice (first on line 2)")
/* A service no rate prices could never be chosen: reported on its line of carriers.csv. */
BAD(service_unpriced, CARRIERS_HEADER "ACME,GROUND,5\nACME,AIR,2\n",
    RATES_HEADER "ACME,GROUND,1,1000,500\n",
    "carriers.csv:3:", "service ACME AIR has no rates: no row of ")

#define BAD_TEST(name_)                                                                            \
	{                                                                                          \
#name_, run_bad_case, NULL, NULL, (void *)&name_                                   \
	}

/* A shop and what it should choose (service -1: none, -ENOENT). */
struct shop_case {
	uint32_t zone, weight_g, days_max;
	int service;
	uint32_t cost_cents;
};

static void test_shop(void **state)
{
	(void)state;
	static const struct shop_case cases[] = {
	    /* Any speed: the barge is cheapest (7 days). */
	    {1, 1000, 0, 4, 400},
	    {1, 0, 0, 4, 400},
	    {1, 4000000000u, 0, 4, 400}, /* exactly its top break */
	    {1, 4000000001u, 0, -1, 0},  /* over every service's top break */
	    {1, UINT32_MAX, 0, -1, 0},
	    /* Days beyond the most a service takes: any speed too. */
	    {1, 1000, 7, 4, 400},
	    {1, 1000, 100, 4, 400},
	    /* Within 6 days: the two grounds tie on price and days; the earlier row wins. */
	    {1, 1000, 6, 0, 500},
	    {1, 1, 5, 0, 500},
	    {1, 1001, 5, 0, 900},  /* just over a break: the next one */
	    {1, 5000, 5, 0, 900},  /* exactly at a break: that one */
	    {1, 5001, 5, 0, 2000}, /* ACME's 20 kg beats ZOOM's 30 kg */
	    {1, 20000, 5, 0, 2000},
	    {1, 20001, 5, 2, 2500}, /* over ACME's top break: ZOOM's 30 kg */
	    {1, 30000, 5, 2, 2500},
	    {1, 30001, 5, -1, 0}, /* over both: nothing within 5 days */
	    /* Within 2 days: AIR and NEXT-DAY tie on price; fewer days beats the earlier row. */
	    {1, 1000, 2, 3, 1500},
	    {1, 1000, 1, 3, 1500},
	    {1, 5000, 2, 1, 2500}, /* the cheaper of the two at 5 kg */
	    {1, 5001, 2, -1, 0},
	    /* Zone 2: ZOOM's NEXT-DAY does not serve it. */
	    {2, 1000, 0, 0, 600},
	    {2, 2000, 0, 0, 1000},
	    {2, 2000, 2, -1, 0},
	    {2, 1000, 2, 1, 1500},
	    {2, 1000, 1, -1, 0},
	    /* Zones nobody serves, the barge's free zone, zones out of range. */
	    {3, 1000, 0, -1, 0},
	    {7, 1, 0, -1, 0},
	    {8, 100, 0, 4, 0},
	    {8, 101, 0, -1, 0},
	    {8, 100, 6, -1, 0},
	    {0, 1000, 0, -1, 0},
	    {9, 1000, 0, -1, 0},
	    {UINT32_MAX, 1000, 0, -1, 0},
	};
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_shop");
	write_carriers(dir, NULL, NULL);
	struct oc_carriers c;
	load_ok(dir, &c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct shop_case *k = &cases[i];
		struct oc_rate_choice r = {.service = 99, .cost_cents = 99, .transit_days = 99};
		int rc = oc_carriers_shop(&c, k->zone, k->weight_g, k->days_max, &r);
		print_message("zone %u, %u g, %u days: %d, service %u, %u cents\n", k->zone,
		              k->weight_g, k->days_max, rc, r.service, r.cost_cents);
		if (k->service < 0) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(r.service, k->service);
		assert_int_equal(r.cost_cents, k->cost_cents);
		assert_int_equal(r.transit_days, c.services[k->service].transit_days);
		if (k->days_max)
			assert_true(r.transit_days <= k->days_max);
	}
	oc_carriers_destroy(&c);
}

static void test_tracking(void **state)
{
	(void)state;
	uint64_t t = oc_carriers_tracking(1001, 42, 3);
	assert_int_equal(oc_carriers_tracking(1001, 42, 3), t); /* the same every time */
	assert_true(oc_carriers_tracking(1002, 42, 3) != t);
	assert_true(oc_carriers_tracking(1001, 43, 3) != t);
	assert_true(oc_carriers_tracking(1001, 42, 4) != t);
	assert_true(oc_carriers_tracking(42, 1001, 3) != t); /* key and customer are not mixed */
	/* The algorithm (docs/dataset.md): XXH3-64, seed 0, of the three as 64-bit numbers. */
	uint64_t f[3] = {1001, 42, 3};
	assert_int_equal(t, XXH3_64bits(f, sizeof(f)));
	for (uint64_t k = 0; k < 100000; k++)
		assert_true(oc_carriers_tracking(k, k >> 3, (uint32_t)(k & 63)) != 0);
	assert_true(oc_carriers_tracking(0, 0, 0) != 0);
}

static uint64_t load_fingerprint(const char *dir, uint64_t seed)
{
	struct oc_carriers c;
	load_ok(dir, &c);
	uint64_t f = oc_carriers_fingerprint(&c, seed);
	oc_carriers_destroy(&c);
	return f;
}

/* rates_ok with the first occurrence of `from` replaced by `to` (as long). */
static const char *rates_with(const char *from, const char *to)
{
	static char text[sizeof(rates_ok)];
	strcpy(text, rates_ok);
	char *at = strstr(text, from);
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
	return text;
}

static void test_fingerprint(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_fingerprint");
	write_carriers(dir, NULL, NULL);
	uint64_t base = load_fingerprint(dir, 7);
	assert_true(base != 7);
	assert_int_equal(load_fingerprint(dir, 7), base); /* two loads, one value */
	assert_true(load_fingerprint(dir, 8) != base);    /* the seed goes in */
	/* The same rates in another order and with blank lines are the same. */
	write_carriers(dir, NULL,
	               RATES_HEADER "SLOW_BARGE-CO15,barge,8,100,0\n"
	                            "SLOW_BARGE-CO15,barge,1,4000000000,400\n\n"
	                            "ZOOM,NEXT-DAY,1,1000,1500\nZOOM,NEXT-DAY,1,5000,3000\n"
	                            "ACME,AIR,2,1000,1500\nACME,AIR,1,1000,1500\n"
	                            "ZOOM,GROUND,2,1000,650\nACME,GROUND,2,1000,600\n"
	                            "ZOOM,GROUND,1,5000,950\nZOOM,GROUND,1,30000,2500\n"
	                            "ACME,GROUND,1,5000,900\nACME,GROUND,2,5000,1000\n"
	                            "ACME,AIR,1,5000,2500\nZOOM,GROUND,1,1000,500\n"
	                            "ACME,GROUND,1,1000,500\nACME,GROUND,1,20000,2000\n");
	assert_int_equal(load_fingerprint(dir, 7), base);

	/* A price, a weight, a zone, a service's days, its code, the order of the services. */
	static const char *const changed_rates[][2] = {
	    {"ACME,GROUND,1,20000,2000", "ACME,GROUND,1,20000,2001"},
	    {"ACME,GROUND,1,20000,2000", "ACME,GROUND,1,20001,2000"},
	    {"ACME,GROUND,1,20000,2000", "ACME,GROUND,3,20000,2000"},
	};
	for (uint32_t i = 0; i < 3; i++) {
		write_carriers(dir, NULL, rates_with(changed_rates[i][0], changed_rates[i][1]));
		assert_true(load_fingerprint(dir, 7) != base);
	}
	static char text[sizeof(carriers_ok)];
	strcpy(text, carriers_ok);
	strstr(text, "ACME,AIR,2")[sizeof("ACME,AIR,") - 1] = '3';
	write_carriers(dir, text, NULL);
	assert_true(load_fingerprint(dir, 7) != base);
	write_carriers(dir, CARRIERS_HEADER "ACME,GROUND,5\n", RATES_HEADER "ACME,GROUND,1,1,1\n");
	uint64_t one = load_fingerprint(dir, 7);
	write_carriers(dir, CARRIERS_HEADER "ACME,GROUNDS,5\n",
	               RATES_HEADER "ACME,GROUNDS,1,1,1\n");
	assert_true(load_fingerprint(dir, 7) != one);
	write_carriers(dir, CARRIERS_HEADER "ACMEG,ROUND,5\n", RATES_HEADER "ACMEG,ROUND,1,1,1\n");
	assert_true(load_fingerprint(dir, 7) != one);
	write_carriers(dir, CARRIERS_HEADER "A,X,5\nA,Y,5\n",
	               RATES_HEADER "A,X,1,1,1\nA,Y,1,1,2\n");
	uint64_t xy = load_fingerprint(dir, 7);
	write_carriers(dir, CARRIERS_HEADER "A,Y,5\nA,X,5\n",
	               RATES_HEADER "A,X,1,1,1\nA,Y,1,1,2\n");
	assert_true(load_fingerprint(dir, 7) != xy); /* rows name services on labels */

	/* Without the files the seed comes back as it went in. */
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_fingerprint_none");
	assert_int_equal(load_fingerprint(dir, 7), 7);
	struct oc_carriers none = {0};
	assert_int_equal(oc_carriers_fingerprint(&none, 12345), 12345);
}

/* Weights a demo parcel may have: around every break of the demo and up to 4,000 t. */
static const uint32_t demo_weights_g[] = {
    0,      1,       499,      500,       501,       1000,       1001,       2000,        4999,
    5000,   10000,   20000,    30000,     69999,     70000,      70001,      150000,      150001,
    999999, 5000000, 20000001, 100000000, 999999999, 1000000001, 3999999999, 4000000000u,
};

static void test_demo(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_demo");
	assert_int_equal(oc_carriers_write_demo(dir, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	struct oc_carriers c;
	load_ok(dir, &c);
	assert_true(c.service_count >= 5 && c.service_count <= 7);
	bool freight = false, overnight = false;
	for (uint32_t s = 0; s < c.service_count; s++) {
		const struct oc_carrier_service *sv = &c.services[s];
		overnight |= sv->transit_days == 1;
		for (uint32_t z = 1; z <= OC_CARRIER_ZONES_MAX; z++) {
			uint32_t n = sv->break_count[z - 1];
			assert_true(n >= 1); /* every service serves every zone */
			const struct oc_rate_break *b = sv->breaks[z - 1];
			freight |= b[n - 1].weight_max_g == 4000000000u;
			for (uint32_t i = 0; i < n; i++) {
				/* Dearer with weight, and with zone for the same break. */
				if (i > 0)
					assert_true(b[i].cost_cents > b[i - 1].cost_cents);
				if (z > 1) {
					const struct oc_rate_break *a = &sv->breaks[z - 2][i];
					assert_int_equal(a->weight_max_g, b[i].weight_max_g);
					assert_true(b[i].cost_cents > a->cost_cents);
				}
			}
		}
	}
	assert_true(freight && overnight);
	/* Every parcel of up to 4,000 t goes to every zone, with days to spare; the next-day
	 * service takes the light ones. */
	for (uint32_t z = 1; z <= OC_CARRIER_ZONES_MAX; z++) {
		for (uint32_t i = 0; i < sizeof(demo_weights_g) / sizeof(demo_weights_g[0]); i++) {
			struct oc_rate_choice r;
			assert_int_equal(oc_carriers_shop(&c, z, demo_weights_g[i], 0, &r), 0);
			assert_true(r.cost_cents > 0);
		}
		struct oc_rate_choice r;
		assert_int_equal(oc_carriers_shop(&c, z, 1000, 1, &r), 0);
		assert_int_equal(r.transit_days, 1);
		assert_int_equal(oc_carriers_shop(&c, z, 4000000001u, 0, &r), -ENOENT);
	}
	uint64_t f = oc_carriers_fingerprint(&c, 1);
	oc_carriers_destroy(&c);
	/* The same files every time: written again, the same fingerprint. */
	assert_int_equal(oc_carriers_write_demo(dir, err, sizeof(err)), 0);
	assert_int_equal(load_fingerprint(dir, 1), f);

	/* A directory that is not there: the error names the file, and nothing is left. */
	strcat(dir, "/nonexistent");
	assert_int_equal(oc_carriers_write_demo(dir, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, "carriers.csv"));
}

/* The zones of a generated dataset's regions: within 1..8, growing along each region's
 * warehouse order (nearest first), so the nearest warehouse has the smallest zone. */
static void test_demo_zones(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_zones");
	struct oc_demo_params p = {.skus = 10, .warehouses = 64, .stock_per_sku = 10, .seed = 3};
	assert_int_equal(oc_dataset_write_demo(dir, &p, err, sizeof(err)), 0);
	struct oc_dataset d;
	int rc = oc_dataset_load(dir, &d, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	uint32_t seen = 0; /* bit z: some parcel goes to zone z */
	for (uint32_t r = 0; r < d.region_count; r++) {
		const struct oc_region_rec *reg = &d.regions[r];
		for (uint32_t w = 0; w < d.warehouse_count; w++) {
			uint8_t zone = reg->zone[w];
			assert_true(zone >= 1 && zone <= OC_CARRIER_ZONES_MAX);
			seen |= 1u << zone;
		}
		uint8_t nearest = reg->zone[reg->warehouse_order[0]];
		for (uint32_t i = 1; i < d.warehouse_count; i++) {
			assert_true(reg->zone[reg->warehouse_order[i]] >= nearest);
			assert_true(reg->zone[reg->warehouse_order[i]] >=
			            reg->zone[reg->warehouse_order[i - 1]]);
		}
		/* A region's own warehouses are near it (a compass box is under 1,100 km). */
		for (uint32_t w = 0; w < d.warehouse_count; w++)
			if (d.warehouses[w].region == r)
				assert_true(reg->zone[w] <= 3);
	}
	/* A continent's width: the far zones are used, the last one too. */
	assert_true(seen & (1u << 1));
	assert_true(seen & (1u << OC_CARRIER_ZONES_MAX));
	oc_dataset_destroy(&d);
}

/* The bands exactly: warehouses on the equator, each its own region, at known distances
 * from the first (a degree of longitude there is 6371 x pi / 180 = 111.19 km). */
static void test_zone_bands(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "carriers_bands");
	write_file(dir, "skus.csv",
	           "sku,name,weight_g,price_cents,bin,limit_per_customer\n1,A,100,100,A-1,0\n");
	write_file(dir, "stock.csv", "sku,warehouse,on_hand\n1,W0,5\n");
	write_file(dir, "warehouses.csv",
	           "warehouse,name,lat,lon,region\n"
	           "W0,At 0 km,0,0,R0\n"
	           "W1,At 389 km,0,3.5,R1\n"
	           "W2,At 411 km,0,3.7,R2\n"
	           "W3,At 789 km,0,7.1,R3\n"
	           "W4,At 2780 km,0,25,R4\n"
	           "W5,At 2824 km,0,25.4,R5\n"
	           "W6,At 10007 km,0,90,R6\n");
	struct oc_dataset d;
	int rc = oc_dataset_load(dir, &d, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(d.region_count, 7);
	static const uint8_t want[] = {1, 1, 2, 2, 7, 8, 8};
	const struct oc_region_rec *r0 = &d.regions[oc_dataset_region_index(&d, "R0")];
	for (uint32_t w = 0; w < 7; w++)
		assert_int_equal(r0->zone[w], want[w]);
	/* The same distance the other way. */
	const struct oc_region_rec *r5 = &d.regions[oc_dataset_region_index(&d, "R5")];
	assert_int_equal(r5->zone[0], 8);
	assert_int_equal(r5->zone[5], 1);
	assert_int_equal(r5->zone[4], 1); /* 44 km */
	oc_dataset_destroy(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_good),
	    cmocka_unit_test(test_missing_files),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_shop),
	    cmocka_unit_test(test_tracking),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_demo),
	    cmocka_unit_test(test_demo_zones),
	    cmocka_unit_test(test_zone_bands),
	    BAD_TEST(carriers_header),
	    BAD_TEST(carriers_empty),
	    BAD_TEST(no_services),
	    BAD_TEST(service_fields),
	    BAD_TEST(carrier_empty),
	    BAD_TEST(service_empty),
	    BAD_TEST(carrier_space),
	    BAD_TEST(service_dot),
	    BAD_TEST(carrier_long),
	    BAD_TEST(days_zero),
	    BAD_TEST(days_eight),
	    BAD_TEST(days_text),
	    BAD_TEST(days_negative),
	    BAD_TEST(days_empty),
	    BAD_TEST(service_twice),
	    BAD_TEST(service_quote),
	    BAD_TEST(rates_header),
	    BAD_TEST(rates_empty),
	    BAD_TEST(no_rates),
	    BAD_TEST(rate_fields),
	    BAD_TEST(rate_unknown_service),
	    BAD_TEST(rate_unknown_carrier),
	    BAD_TEST(rate_carrier_bad),
	    BAD_TEST(zone_zero),
	    BAD_TEST(zone_nine),
	    BAD_TEST(zone_text),
	    BAD_TEST(weight_zero),
	    BAD_TEST(weight_big),
	    BAD_TEST(weight_unit),
	    BAD_TEST(weight_fraction),
	    BAD_TEST(cost_big),
	    BAD_TEST(cost_negative),
	    BAD_TEST(cost_empty),
	    BAD_TEST(break_twice),
	    BAD_TEST(service_unpriced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
