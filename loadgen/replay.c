/* replay.c: ordercore-loadgen --replay FILE: a recorded order stream (docs/loadgen.md,
 * "Replay") read into the stream every mode sends (loadgen.h, struct lg_stream), instead of a
 * generated one. One row a place: key, customer, channel, country, postal code, lines
 * (sku:qty;...), payment. A key seen before makes the row a retry of that order. The SKUs are
 * the dataset's numbers; one the dataset lacks, or one twice in a row, is sent as it is (the
 * engine answers unknown_sku, duplicate_sku): the replay is what was recorded. The loader owns
 * nothing after it returns but the stream it filled. */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/hash.h"
#include "data/csv.h"
#include "data/dataset.h"

static const char *const columns[LG_REPLAY_COLUMNS] = {
	"key", "customer", "channel", "country", "postal_code", "lines", "payment"};

static int bad(char *err, size_t err_bytes, const char *what, const char *text)
{
	snprintf(err, err_bytes, "%s '%.40s'", what, text);
	return -EINVAL;
}

/* Text (a field, or a part of one) that is a whole number in [1, max], by the dataset
 * loader's rule (oc_csv_parse_u64). */
static bool whole(const char *text, uint64_t max, uint64_t *out)
{
	return oc_csv_parse_u64(text, out) == 0 && *out >= 1 && *out <= max;
}

/* The lines field, sku:quantity pairs separated by ';', split in a copy of it. */
static int lines_of(const char *text, const struct oc_u64map *by_sku, struct oc_command *c,
		    uint32_t *sku_idx, char *err, size_t err_bytes)
{
	char copy[OC_CSV_LINE_BYTES_MAX + 1]; /* a field is shorter than its line */
	snprintf(copy, sizeof(copy), "%s", text);
	c->line_count = 0;
	for (char *pair = copy, *next; pair; pair = next) {
		uint64_t sku, qty;
		if (c->line_count == OC_ORDER_LINES_MAX)
			return bad(err, err_bytes, "more than 16 lines in", text);
		if ((next = strchr(pair, ';')))
			*next++ = '\0';
		char *colon = strchr(pair, ':');
		if (colon)
			*colon = '\0';
		if (!colon || !whole(pair, UINT64_MAX, &sku) ||
		    !whole(colon + 1, OC_LIMIT_LINE_QUANTITY_MAX, &qty))
			return bad(err, err_bytes, "lines are sku:quantity;... (quantity 1-65535), not",
				   text);
		const struct oc_u64map_entry *e = oc_u64map_find(by_sku, sku, oc_hash_u64(sku));
		sku_idx[c->line_count] = e ? (uint32_t)e->value : LG_NO_SKU;
		c->lines[c->line_count++] = (struct oc_line){sku, (uint32_t)qty, 0};
	}
	return 0;
}

int lg_replay_row(char *const *f, const struct oc_u64map *by_sku, uint32_t regions,
		  struct oc_command *c, uint32_t *sku_idx, char *err, size_t err_bytes)
{
	*c = (struct oc_command){.type = OC_CMD_PLACE};
	if (!whole(f[0], LG_REPLAY_KEY_MAX, &c->key))
		return bad(err, err_bytes, "key: a number from 1 to 2^62 - 1, not", f[0]);
	if (!whole(f[1], UINT64_MAX, &c->customer))
		return bad(err, err_bytes, "customer: a number over 0, not", f[1]);
	uint32_t channel = OC_CHANNEL_NONE;
	while (*f[2] && channel < OC_CHANNEL_COUNT && strcmp(f[2], oc_channel_name(channel)) != 0)
		channel++;
	if (channel == OC_CHANNEL_COUNT)
		return bad(err, err_bytes, "channel: web, app, phone, store, marketplace or empty, not",
			   f[2]);
	c->flags = OC_PLACE_CHANNEL(channel);
	size_t country = strlen(f[3]), postal = strlen(f[4]);
	if (country && (country != 2 || f[3][0] < 'A' || f[3][0] > 'Z' || f[3][1] < 'A' ||
			f[3][1] > 'Z'))
		return bad(err, err_bytes, "country: two capital letters or empty, not", f[3]);
	if (postal >= OC_POSTAL_CODE_BYTES)
		return bad(err, err_bytes, "postal_code: at most 9 characters, not", f[4]);
	if (country || postal) { /* screened with what the row says (the dataset's fraud.csv) */
		c->flags |= OC_PLACE_SCREEN;
		memcpy(c->screen.bill_country, f[3], country);
		memcpy(c->screen.ship_country, f[3], country);
		memcpy(c->screen.postal_code, f[4], postal);
		c->screen.account_age_days = UINT16_MAX; /* not recorded: an old account */
	}
	if (strcmp(f[6], "card") == 0)
		c->flags |= OC_PLACE_CARD;
	else if (strcmp(f[6], "account") == 0)
		c->flags |= OC_PLACE_ACCOUNT;
	else if (*f[6] && strcmp(f[6], "prepaid") != 0)
		return bad(err, err_bytes, "payment: prepaid, card, account or empty, not", f[6]);
	/* No region column: the customer's, as the generated stream would draw one. */
	c->region = (uint16_t)(c->customer % regions);
	return lines_of(f[5], by_sku, c, sku_idx, err, err_bytes);
}

/* A row's key and index, to find the rows that retry an earlier one. */
struct keyed {
	uint64_t key;
	uint64_t row;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->row > y->row) - (x->row < y->row);
}

/* Whether rows a and b are the same place (a retry repeats its order: anything else would be
 * answered key_conflict, or decided from whichever the engine sees first). */
static bool same_place(const struct oc_command *a, const struct oc_command *b)
{
	if (a->customer != b->customer || a->flags != b->flags || a->line_count != b->line_count ||
	    memcmp(&a->screen, &b->screen, sizeof(a->screen)) != 0)
		return false;
	for (uint32_t l = 0; l < a->line_count; l++)
		if (a->lines[l].sku != b->lines[l].sku || a->lines[l].quantity != b->lines[l].quantity)
			return false;
	return true;
}

/* orig[i]: the first row with row i's key (a later one is a retry of that order, the same
 * place: else -EINVAL with the rows in err). 0, -EINVAL or -ENOMEM. */
static int find_retries(struct lg_stream *st, char *err, size_t err_bytes)
{
	struct keyed *k = malloc(st->n * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (uint64_t i = 0; i < st->n; i++)
		k[i] = (struct keyed){st->cmds[i].key, i};
	qsort(k, st->n, sizeof(*k), keyed_cmp);
	int rc = 0;
	for (uint64_t i = 0, first = 0; i < st->n && !rc; i++) {
		first = i && k[i].key == k[i - 1].key ? first : k[i].row;
		st->orig[k[i].row] = (uint32_t)first;
		if (!same_place(&st->cmds[k[i].row], &st->cmds[first])) {
			snprintf(err, err_bytes, "key %" PRIu64 " of row %" PRIu64 " is row %" PRIu64
				 "'s with another order (a retry repeats its order)", k[i].key,
				 k[i].row + 1, first + 1);
			rc = -EINVAL;
		}
	}
	free(k);
	return rc;
}

/* Room for n rows in st (its arrays grown to *cap). */
static int grow(struct lg_stream *st, uint64_t n, uint64_t *cap)
{
	if (n < *cap)
		return 0;
	uint64_t want = *cap ? 2 * *cap : 4096;
	struct oc_command *cmds = realloc(st->cmds, want * sizeof(*cmds));
	if (cmds)
		st->cmds = cmds;
	uint32_t *orig = realloc(st->orig, want * sizeof(uint32_t));
	if (orig)
		st->orig = orig;
	uint32_t *idx = realloc(st->sku_idx, want * OC_ORDER_LINES_MAX * sizeof(uint32_t));
	if (idx)
		st->sku_idx = idx;
	if (!cmds || !orig || !idx)
		return -ENOMEM;
	*cap = want;
	return 0;
}

int lg_replay_load(struct lg_stream *st, const struct oc_dataset *d, const char *path)
{
	char err[256];
	struct oc_u64map by_sku = {0};
	struct oc_csv csv;
	uint64_t cap = 0, unknown = 0;
	int rc = oc_u64map_init(&by_sku, d->sku_count);
	for (uint32_t g = 0; rc == 0 && g < d->sku_count; g++) {
		bool found;
		uint64_t sku = d->skus[g].sku;
		struct oc_u64map_entry *e = oc_u64map_upsert(&by_sku, sku, oc_hash_u64(sku), &found);
		OC_ASSERT(e && !found); /* sized for every SKU; the loader refuses one twice */
		e->value = g;
	}
	if (rc) {
		fprintf(stderr, "loadgen: out of memory reading %s\n", path);
		goto out;
	}
	rc = oc_csv_open(&csv, path, columns, LG_REPLAY_COLUMNS, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "loadgen: --replay: %s\n", err);
		goto out;
	}
	st->n = 0;
	while ((rc = oc_csv_next(&csv)) == 1) {
		if (st->n == LG_REPLAY_ROWS_MAX) {
			snprintf(err, sizeof(err), "more than %u rows", LG_REPLAY_ROWS_MAX);
			rc = -EINVAL;
			break;
		}
		if ((rc = grow(st, st->n, &cap)) != 0)
			break;
		struct oc_command *c = &st->cmds[st->n];
		uint32_t *idx = &st->sku_idx[st->n * OC_ORDER_LINES_MAX];
		if ((rc = lg_replay_row(csv.fields, &by_sku, d->region_count, c, idx, err,
					sizeof(err))) != 0) {
			char row[sizeof(err)];
			snprintf(row, sizeof(row), "%.100s:%u: %.140s", path, csv.line_no, err);
			memcpy(err, row, sizeof(err));
			break;
		}
		for (uint32_t l = 0; l < c->line_count; l++)
			unknown += idx[l] == LG_NO_SKU;
		st->n++;
	}
	oc_csv_close(&csv);
	if (rc == 0 && st->n && (rc = find_retries(st, err, sizeof(err))) == -EINVAL) {
		char rows[sizeof(err)];
		snprintf(rows, sizeof(rows), "%.100s: %.150s", path, err);
		memcpy(err, rows, sizeof(err));
	}
	if (rc == 0 && st->n == 0) {
		snprintf(err, sizeof(err), "%s: no rows", path);
		rc = -EINVAL;
	}
	if (rc == -ENOMEM)
		fprintf(stderr, "loadgen: out of memory reading %s\n", path);
	else if (rc)
		fprintf(stderr, "loadgen: --replay: %s\n", rc == -EINVAL && !*err ? path : err);
	else if (unknown)
		fprintf(stderr, "loadgen: --replay: %" PRIu64 " lines name SKUs the dataset does "
				"not have (the engine answers them unknown_sku)\n", unknown);
out:
	oc_u64map_destroy(&by_sku);
	return rc;
}
