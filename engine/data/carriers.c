/* carriers.c: the carriers' dataset files (carriers.h; formats in docs/dataset.md,
 * "Carriers"): loading carriers.csv and rates.csv into a struct oc_carriers, shopping a
 * parcel's rate, the tracking number, the fingerprint and the demo files. A loaded struct's
 * services belong to it until oc_carriers_destroy. Loading and writing run at setup time on
 * the controlling thread; shopping and tracking only read (route's thread, at every pack:
 * they neither allocate nor lock). */
#include "data/carriers.h"

#include <errno.h>
#include <limits.h>
#include <mimalloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/hash.h"
#include "data/csv.h"

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

_Static_assert(OC_CARRIER_SERVICES_MAX <= 256, "a label names its service in a byte");
_Static_assert(OC_CARRIER_BREAKS_MAX <= UINT8_MAX, "break_count is a uint8_t");
_Static_assert(OC_CARRIER_DAYS_MAX <= UINT8_MAX, "transit_days is a uint8_t");
_Static_assert(sizeof(struct oc_rate_break) == 2 * sizeof(uint32_t),
               "a break has no padding: the fingerprint hashes breaks as they lie");

static const char *const carrier_columns[] = {"carrier", "service", "transit_days"};
static const char *const rate_columns[] = {"carrier", "service", "zone", "weight_max_g",
                                           "cost_cents"};

/* State of one load beyond the struct itself: the error buffer and the lines seen. */
struct loader {
	const char *dir;
	struct oc_carriers *c;
	char *err;
	size_t err_bytes;
	char path[PATH_MAX];
	uint32_t service_lines[OC_CARRIER_SERVICES_MAX]; /* carriers.csv: line of each service */
	/* rates.csv: line of each break, in the order read (the breaks are sorted after). */
	uint32_t break_lines[OC_CARRIER_SERVICES_MAX][OC_CARRIER_ZONES_MAX][OC_CARRIER_BREAKS_MAX];
	char carrier[OC_CARRIER_CODE_BYTES_MAX]; /* the row being read */
	char service[OC_CARRIER_CODE_BYTES_MAX];
};

/* Writes dir/name into l->path. */
static int make_path(struct loader *l, const char *name)
{
	return oc_csv_path(l->path, sizeof(l->path), l->dir, name, l->err, l->err_bytes);
}

/* Opens dir/name as a CSV file with the given header; a missing file is -ENOENT with the
 * message cleared: whether that is an error depends on the other file. */
static int open_file(struct loader *l, struct oc_csv *c, const char *name,
                     const char *const *columns, uint32_t column_count)
{
	return oc_csv_open_optional(c, l->path, sizeof(l->path), l->dir, name, columns,
	                            column_count, l->err, l->err_bytes);
}

/* Row of carriers.csv with these codes, or -1. */
static int find_service(const struct oc_carriers *c, const char *carrier, const char *service)
{
	for (uint32_t s = 0; s < c->service_count; s++)
		if (strcmp(c->services[s].carrier, carrier) == 0 &&
		    strcmp(c->services[s].service, service) == 0)
			return (int)s;
	return -1;
}

/* Reads the codes of the current row (columns 0 and 1 of both files) into l. */
static int read_codes(struct loader *l, struct oc_csv *c)
{
	int rc = oc_csv_field_code(c, 0, l->carrier, sizeof(l->carrier));
	if (rc == 0)
		rc = oc_csv_field_code(c, 1, l->service, sizeof(l->service));
	return rc;
}

static int parse_service(struct loader *l, struct oc_csv *c)
{
	struct oc_carriers *cs = l->c;
	if (cs->service_count == OC_CARRIER_SERVICES_MAX)
		return oc_csv_fail(c, "more than %u services (OC_CARRIER_SERVICES_MAX)",
		                   OC_CARRIER_SERVICES_MAX);
	uint32_t days = 0;
	int rc = read_codes(l, c);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 2, 1, OC_CARRIER_DAYS_MAX, &days);
	if (rc < 0)
		return rc;
	int dup = find_service(cs, l->carrier, l->service);
	if (dup >= 0)
		return oc_csv_fail(c, "service %s %s is listed twice (first on line %u)",
		                   l->carrier, l->service, l->service_lines[dup]);
	struct oc_carrier_service *s = &cs->services[cs->service_count];
	memcpy(s->carrier, l->carrier, sizeof(s->carrier));
	memcpy(s->service, l->service, sizeof(s->service));
	s->transit_days = (uint8_t)days;
	l->service_lines[cs->service_count++] = c->line_no;
	return 0;
}

static int read_services(struct loader *l, struct oc_csv *c)
{
	int rc;
	while ((rc = oc_csv_next(c)) > 0)
		if ((rc = parse_service(l, c)) < 0)
			return rc;
	if (rc == 0 && l->c->service_count == 0)
		rc = oc_csv_fail(c, "no services: at least one row is required (without "
		                    "carriers.csv and rates.csv packs make no labels)");
	return rc;
}

static int parse_rate(struct loader *l, struct oc_csv *c)
{
	uint32_t zone = 0, weight_g = 0, cost = 0;
	int rc = read_codes(l, c);
	if (rc < 0)
		return rc;
	int row = find_service(l->c, l->carrier, l->service);
	if (row < 0)
		return oc_csv_fail(c, "service %s %s is not in carriers.csv", l->carrier,
		                   l->service);
	rc = oc_csv_field_u32(c, 2, 1, OC_CARRIER_ZONES_MAX, &zone);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 3, 1, UINT32_MAX, &weight_g);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 4, 0, OC_CARRIER_COST_CENTS_MAX, &cost);
	if (rc < 0)
		return rc;
	struct oc_carrier_service *s = &l->c->services[row];
	uint32_t z = zone - 1, n = s->break_count[z];
	uint32_t *lines = l->break_lines[row][z];
	for (uint32_t i = 0; i < n; i++)
		if (s->breaks[z][i].weight_max_g == weight_g)
			return oc_csv_fail(c,
			                   "%s %s in zone %u has weight_max_g %u twice (first on "
			                   "line %u)",
			                   l->carrier, l->service, zone, weight_g, lines[i]);
	if (n == OC_CARRIER_BREAKS_MAX)
		return oc_csv_fail(c,
		                   "more than %u weight breaks for %s %s in zone %u "
		                   "(OC_CARRIER_BREAKS_MAX)",
		                   OC_CARRIER_BREAKS_MAX, l->carrier, l->service, zone);
	s->breaks[z][n] = (struct oc_rate_break){.weight_max_g = weight_g, .cost_cents = cost};
	lines[n] = c->line_no;
	s->break_count[z] = (uint8_t)(n + 1);
	return 0;
}

static int read_rates(struct loader *l, struct oc_csv *c)
{
	int rc;
	uint32_t rows = 0;
	while ((rc = oc_csv_next(c)) > 0) {
		if ((rc = parse_rate(l, c)) < 0)
			return rc;
		rows++;
	}
	if (rc == 0 && rows == 0)
		rc = oc_csv_fail(c, "no rates: at least one row is required");
	return rc;
}

/* A service that no row of rates.csv prices could never be chosen: most likely its rates
 * were left out by mistake, so that is an error rather than a service quietly unused. It is
 * reported on the service's line of carriers.csv. */
static int check_priced(struct loader *l)
{
	const struct oc_carriers *cs = l->c;
	for (uint32_t s = 0; s < cs->service_count; s++) {
		const struct oc_carrier_service *sv = &cs->services[s];
		uint32_t breaks = 0;
		for (uint32_t z = 0; z < OC_CARRIER_ZONES_MAX; z++)
			breaks += sv->break_count[z];
		if (breaks)
			continue;
		int rc = make_path(l, "carriers.csv");
		if (rc < 0)
			return rc;
		return oc_error_set(l->err, l->err_bytes, -EINVAL,
		                    "%s:%u: service %s %s has no rates: no row of %s/rates.csv "
		                    "prices it (a service must serve at least one zone)",
		                    l->path, l->service_lines[s], sv->carrier, sv->service, l->dir);
	}
	return 0;
}

/* Sorts each service's breaks in each zone by weight (insertion sort: at most 32, unique). */
static void sort_breaks(struct oc_carriers *cs)
{
	for (uint32_t s = 0; s < cs->service_count; s++) {
		struct oc_carrier_service *sv = &cs->services[s];
		for (uint32_t z = 0; z < OC_CARRIER_ZONES_MAX; z++) {
			struct oc_rate_break *b = sv->breaks[z];
			for (uint32_t i = 1; i < sv->break_count[z]; i++) {
				struct oc_rate_break key = b[i];
				uint32_t j = i;
				for (; j > 0 && b[j - 1].weight_max_g > key.weight_max_g; j--)
					b[j] = b[j - 1];
				b[j] = key;
			}
		}
	}
}

/* One file without the other: most likely the other was lost, so that is an error rather
 * than packs quietly making no labels. */
static int one_without_other(struct loader *l, const char *have, const char *lacking,
                             const char *why)
{
	return oc_error_set(l->err, l->err_bytes, -EINVAL,
	                    "%s/%s without %s/%s: %s; add it or remove %s", l->dir, have, l->dir,
	                    lacking, why, have);
}

/* Without carriers.csv: no carriers, unless rates.csv is there. */
static int check_no_rates(struct loader *l)
{
	int rc = make_path(l, "rates.csv");
	if (rc == 0 && access(l->path, F_OK) == 0)
		rc = one_without_other(l, "rates.csv", "carriers.csv",
		                       "the services it prices are listed in carriers.csv");
	return rc;
}

/* With carriers.csv open in c: its services, then rates.csv's breaks. */
static int load_both(struct loader *l, struct oc_csv *c)
{
	l->c->services = mi_calloc(OC_CARRIER_SERVICES_MAX, sizeof(*l->c->services));
	int rc = l->c->services ? 0
	                        : oc_error_set(l->err, l->err_bytes, -ENOMEM,
	                                       "%s: out of memory for the services", l->path);
	if (rc == 0)
		rc = read_services(l, c);
	oc_csv_close(c);
	if (rc < 0)
		return rc;
	rc = open_file(l, c, "rates.csv", rate_columns, COUNT(rate_columns));
	if (rc == -ENOENT)
		return one_without_other(l, "carriers.csv", "rates.csv",
		                         "the services' prices are in rates.csv");
	if (rc < 0)
		return rc;
	rc = read_rates(l, c);
	oc_csv_close(c);
	if (rc == 0)
		rc = check_priced(l);
	if (rc == 0)
		sort_breaks(l->c);
	return rc;
}

int oc_carriers_load(const char *dir, struct oc_carriers *out, char *err, size_t err_bytes)
{
	OC_ASSERT(dir != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	if (err && err_bytes)
		err[0] = '\0';
	/* ~70 KiB of paths and line tables: off the stack of small threads. */
	struct loader *l = mi_calloc(1, sizeof(*l));
	if (!l)
		return oc_error_set(err, err_bytes, -ENOMEM, "%s: out of memory", dir);
	l->dir = dir;
	l->c = out;
	l->err = err;
	l->err_bytes = err_bytes;
	struct oc_csv c;
	int rc = open_file(l, &c, "carriers.csv", carrier_columns, COUNT(carrier_columns));
	if (rc == -ENOENT)
		rc = check_no_rates(l);
	else if (rc == 0)
		rc = load_both(l, &c);
	mi_free(l);
	if (rc < 0)
		oc_carriers_destroy(out);
	return rc;
}

void oc_carriers_destroy(struct oc_carriers *c)
{
	mi_free(c->services);
	memset(c, 0, sizeof(*c));
}

uint64_t oc_carriers_fingerprint(const struct oc_carriers *c, uint64_t seed)
{
	if (c->service_count == 0)
		return seed;
	/* Each piece seeds the next. Counts go in widened to 64 bits, so that no padding byte
	 * is hashed; the breaks have none. */
	uint64_t count = c->service_count;
	uint64_t h = XXH3_64bits_withSeed(&count, sizeof(count), seed);
	for (uint32_t s = 0; s < c->service_count; s++) {
		const struct oc_carrier_service *sv = &c->services[s];
		h = XXH3_64bits_withSeed(sv->carrier, strlen(sv->carrier) + 1, h);
		h = XXH3_64bits_withSeed(sv->service, strlen(sv->service) + 1, h);
		uint64_t f[1 + OC_CARRIER_ZONES_MAX] = {sv->transit_days};
		for (uint32_t z = 0; z < OC_CARRIER_ZONES_MAX; z++)
			f[1 + z] = sv->break_count[z];
		h = XXH3_64bits_withSeed(f, sizeof(f), h);
		for (uint32_t z = 0; z < OC_CARRIER_ZONES_MAX; z++)
			if (sv->break_count[z])
				h = XXH3_64bits_withSeed(
				    sv->breaks[z], sv->break_count[z] * sizeof(sv->breaks[z][0]),
				    h);
	}
	return h;
}

/* The smallest of n breaks (by weight ascending) that holds weight_g, or NULL. */
static const struct oc_rate_break *smallest_break(const struct oc_rate_break *b, uint32_t n,
                                                  uint32_t weight_g)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (b[mid].weight_max_g < weight_g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n ? &b[lo] : NULL;
}

int oc_carriers_shop(const struct oc_carriers *c, uint32_t zone, uint32_t weight_g,
                     uint32_t days_max, struct oc_rate_choice *out)
{
	OC_DEBUG_ASSERT(c != NULL && out != NULL);
	if (zone < 1 || zone > OC_CARRIER_ZONES_MAX)
		return -ENOENT;
	bool found = false;
	struct oc_rate_choice best = {0};
	for (uint32_t s = 0; s < c->service_count; s++) {
		const struct oc_carrier_service *sv = &c->services[s];
		if (days_max && sv->transit_days > days_max)
			continue;
		const struct oc_rate_break *b =
		    smallest_break(sv->breaks[zone - 1], sv->break_count[zone - 1], weight_g);
		if (!b)
			continue;
		/* Rows come in order, so a tie on price and days keeps the earlier row. */
		if (found &&
		    (b->cost_cents > best.cost_cents ||
		     (b->cost_cents == best.cost_cents && sv->transit_days >= best.transit_days)))
			continue;
		best = (struct oc_rate_choice){
		    .service = s, .cost_cents = b->cost_cents, .transit_days = sv->transit_days};
		found = true;
	}
	if (!found)
		return -ENOENT;
	*out = best;
	return 0;
}

uint64_t oc_carriers_tracking(uint64_t key, uint64_t customer, uint32_t warehouse)
{
	uint64_t f[3] = {key, customer, warehouse};
	uint64_t h = XXH3_64bits(f, sizeof(f));
	return h ? h : 1; /* 0 means "no label" */
}

/* The demo (docs/dataset.md, "Carriers"): a postal carrier's three parcel services, an
 * express carrier's two and a freight carrier. A break's price in zone z is
 * (base_cents + kg_cents x the break's kilograms) x (100 + zone_pct x (z - 1)) / 100: it
 * rises with the weight and the zone. */
struct demo_service {
	const char *carrier, *service;
	uint32_t transit_days;
	uint32_t base_cents, kg_cents, zone_pct;
	const uint32_t *breaks_g;
	uint32_t break_count;
};

/* What parcel carriers price by: 0.5 kg up to 70 kg, the most a parcel service takes. */
static const uint32_t parcel_breaks_g[] = {500, 1000, 2000, 5000, 10000, 20000, 30000, 70000};
/* Pallets and up. The top break, 4,000 t, holds any parcel an order of the demo makes
 * (carriers.h), so that with days to spare some service always carries it. */
static const uint32_t freight_breaks_g[] = {150000,   500000,    1000000,     5000000,
                                            20000000, 100000000, 1000000000u, 4000000000u};

#define PARCEL  parcel_breaks_g, COUNT(parcel_breaks_g)
#define FREIGHT freight_breaks_g, COUNT(freight_breaks_g)
static const struct demo_service demo_services[] = {
    {"PARCELPOST", "GROUND", 5, 650, 90, 12, PARCEL},
    {"PARCELPOST", "PRIORITY", 3, 900, 140, 15, PARCEL},
    {"PARCELPOST", "EXPRESS", 2, 1900, 260, 18, PARCEL},
    {"SKYEX", "2DAY", 2, 2100, 220, 18, PARCEL},
    {"SKYEX", "OVERNIGHT", 1, 3500, 450, 25, PARCEL},
    {"ROADLINE", "FREIGHT", 6, 9000, 4, 12, FREIGHT},
};
#undef PARCEL
#undef FREIGHT
_Static_assert(COUNT(demo_services) <= OC_CARRIER_SERVICES_MAX, "the demo's services fit");

static uint32_t demo_cost_cents(const struct demo_service *d, uint32_t zone, uint32_t weight_g)
{
	uint64_t cents = ((uint64_t)d->base_cents + (uint64_t)d->kg_cents * weight_g / 1000) *
	                 (100 + d->zone_pct * (zone - 1)) / 100;
	OC_ASSERT(cents <= OC_CARRIER_COST_CENTS_MAX);
	return (uint32_t)cents;
}

static void fill_carriers(FILE *f)
{
	fputs("carrier,service,transit_days\n", f);
	for (uint32_t s = 0; s < COUNT(demo_services); s++) {
		const struct demo_service *d = &demo_services[s];
		fprintf(f, "%s,%s,%u\n", d->carrier, d->service, d->transit_days);
	}
}

static void fill_rates(FILE *f)
{
	fputs("carrier,service,zone,weight_max_g,cost_cents\n", f);
	for (uint32_t s = 0; s < COUNT(demo_services); s++) {
		const struct demo_service *d = &demo_services[s];
		OC_ASSERT(d->break_count <= OC_CARRIER_BREAKS_MAX);
		for (uint32_t zone = 1; zone <= OC_CARRIER_ZONES_MAX; zone++)
			for (uint32_t b = 0; b < d->break_count; b++)
				fprintf(f, "%s,%s,%u,%u,%u\n", d->carrier, d->service, zone,
				        d->breaks_g[b], demo_cost_cents(d, zone, d->breaks_g[b]));
	}
}

/* Writes dir/name with fill, which writes the whole file into an open stream. */
static int write_file(const char *dir, const char *name, void (*fill)(FILE *), char *err,
                      size_t err_bytes)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return oc_error_set(err, err_bytes, -ENAMETOOLONG, "%s/%s: path too long", dir,
		                    name);
	FILE *f = fopen(path, "w");
	if (!f) {
		int e = errno;
		return oc_error_set(err, err_bytes, -e, "%s: %s", path, strerror(e));
	}
	errno = 0;
	fill(f);
	int e = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && e == 0)
		e = errno ? errno : EIO;
	if (e)
		return oc_error_set(err, err_bytes, -e, "%s: write error: %s", path, strerror(e));
	return 0;
}

/* Removes both demo files, as far as it can: after a failed write neither stays, so that
 * what is left still loads (one without the other would not, and a cut file might load
 * wrong prices). */
static void remove_demo(const char *dir)
{
	static const char *const names[] = {"carriers.csv", "rates.csv"};
	for (uint32_t i = 0; i < COUNT(names); i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (n >= 0 && (size_t)n < sizeof(path))
			unlink(path);
	}
}

int oc_carriers_write_demo(const char *dir, char *err, size_t err_bytes)
{
	OC_ASSERT(dir != NULL);
	if (err && err_bytes)
		err[0] = '\0';
	int rc = write_file(dir, "carriers.csv", fill_carriers, err, err_bytes);
	if (rc == 0)
		rc = write_file(dir, "rates.csv", fill_rates, err, err_bytes);
	if (rc < 0)
		remove_demo(dir);
	return rc;
}
