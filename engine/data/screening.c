/* screening.c: the fraud screening's dataset files (screening.h; formats in docs/dataset.md,
 * "Screening"): loading fraud.csv, countries.csv and blocklist.csv into a struct
 * oc_screening, the postal-code match, the fingerprint, the demo files, and oc_screen_hash,
 * the text hash that clients and block lists share. A loaded struct's country table and block
 * list belong to it until oc_screening_destroy. Loading and writing run at setup time on the
 * controlling thread; the lookups only read, from any thread. */
#include "data/screening.h"

#include <errno.h>
#include <limits.h>
#include <mimalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/hash.h"
#include "data/csv.h"

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))
/* Longest piece of a bad field quoted back in a message (as csv.c quotes). */
#define QUOTE_BYTES_MAX 40
/* Rows the block list starts with; it doubles as blocklist.csv grows. */
#define BLOCKS_INITIAL_SLOTS 256u
/* Normalized bytes oc_screen_hash hashes in one call; longer texts stream through a state. */
#define HASH_CHUNK_BYTES 256u

static const char *const fraud_columns[] = {"rule", "score", "limit", "window_s"};
static const char *const country_columns[] = {"country", "postal_formats", "serviceable"};
static const char *const block_columns[] = {"kind", "value"};
static const char *const credit_columns[] = {"customer", "credit_limit_cents"};

/* fraud.csv's rows: the rules, then the two thresholds. */
enum { ROW_HOLD = OC_RULE_COUNT, ROW_REJECT, ROW_COUNT };

static const char *const row_names[ROW_COUNT] = {
    [OC_RULE_CUSTOMER_VELOCITY] = "customer_velocity",
    [OC_RULE_CARD_VELOCITY] = "card_velocity",
    [OC_RULE_ADDRESS_VELOCITY] = "address_velocity",
    [OC_RULE_AMOUNT_HISTORY] = "amount_history",
    [OC_RULE_COUNTRY_MISMATCH] = "country_mismatch",
    [OC_RULE_NEW_ACCOUNT] = "new_account",
    [ROW_HOLD] = "hold",
    [ROW_REJECT] = "reject",
};
/* For messages; kept in step with row_names by the assertion below. */
#define ROW_NAMES_TEXT                                                                             \
	"customer_velocity, card_velocity, address_velocity, amount_history, country_mismatch, "   \
	"new_account, hold, reject"
_Static_assert(OC_RULE_COUNT == 6, "ROW_NAMES_TEXT lists every rule");

static const uint8_t rule_reasons[OC_RULE_COUNT] = {
    [OC_RULE_CUSTOMER_VELOCITY] = OC_REJECT_CUSTOMER_VELOCITY,
    [OC_RULE_CARD_VELOCITY] = OC_REJECT_CARD_VELOCITY,
    [OC_RULE_ADDRESS_VELOCITY] = OC_REJECT_ADDRESS_VELOCITY,
    [OC_RULE_AMOUNT_HISTORY] = OC_REJECT_AMOUNT_HISTORY,
    [OC_RULE_COUNTRY_MISMATCH] = OC_REJECT_COUNTRY_MISMATCH,
    [OC_RULE_NEW_ACCOUNT] = OC_REJECT_NEW_ACCOUNT,
};

/* The new-account rule's longest window, in seconds: whole days. */
#define NEW_ACCOUNT_WINDOW_S_MAX (OC_SCREEN_NEW_ACCOUNT_DAYS_MAX * OC_SCREEN_DAY_S)
/* The three velocity rules' bounds: orders, then seconds. */
#define VELOCITY_BOUNDS {1, OC_SCREEN_VELOCITY_ORDERS_MAX, 1, OC_SCREEN_VELOCITY_WINDOW_S_MAX}

/* What the limit and window_s columns of each fraud.csv row may hold (inclusive). */
static const struct {
	uint64_t limit_min, limit_max;
	uint32_t window_s_min, window_s_max;
} row_bounds[ROW_COUNT] = {
    [OC_RULE_CUSTOMER_VELOCITY] = VELOCITY_BOUNDS,
    [OC_RULE_CARD_VELOCITY] = VELOCITY_BOUNDS,
    [OC_RULE_ADDRESS_VELOCITY] = VELOCITY_BOUNDS,
    [OC_RULE_AMOUNT_HISTORY] = {OC_SCREEN_AMOUNT_PCT_MIN, OC_SCREEN_AMOUNT_PCT_MAX, 0, 0},
    [OC_RULE_COUNTRY_MISMATCH] = {0, 0, 0, 0},
    [OC_RULE_NEW_ACCOUNT] = {1, OC_SCREEN_NEW_ACCOUNT_CENTS_MAX, OC_SCREEN_DAY_S,
                             NEW_ACCOUNT_WINDOW_S_MAX},
    [ROW_HOLD] = {0, 0, 0, 0},
    [ROW_REJECT] = {0, 0, 0, 0},
};

static const struct {
	const char *name;
	uint32_t kind;
} block_kinds[] = {
    {"email", OC_BLOCK_EMAIL},
    {"card", OC_BLOCK_CARD},
    {"address", OC_BLOCK_ADDRESS},
};

/* State of one load beyond the struct itself: the error buffer and the lines seen. */
struct loader {
	const char *dir;
	struct oc_screening *s;
	char *err;
	size_t err_bytes;
	char path[PATH_MAX];
	uint32_t row_lines[ROW_COUNT];            /* fraud.csv: line of each row, 0: none yet */
	uint32_t country_lines[OC_COUNTRY_SLOTS]; /* countries.csv: the same per country */
	uint32_t block_slots;                     /* room in s->blocks */
	char value[OC_CSV_LINE_BYTES_MAX];        /* blocklist.csv: the value being read */
};

static bool is_upper(char ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static bool is_letter(char ch)
{
	return is_upper(ch) || (ch >= 'a' && ch <= 'z');
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* ASCII only: a locale's toupper could map other bytes too. */
static char to_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* Whether oc_screen_hash leaves the byte out. */
static bool hash_skips(char ch)
{
	return ch == ' ' || ch == '\t' || ch == ',' || ch == '.';
}

/* How many bytes of text oc_screen_hash keeps. */
static size_t kept_bytes(const char *text, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += !hash_skips(text[i]);
	return n;
}

static uint32_t country_slot(const char code[2])
{
	return (uint32_t)(code[0] - 'A') * 26u + (uint32_t)(code[1] - 'A');
}

/* Writes dir/name into l->path. */
static int make_path(struct loader *l, const char *name)
{
	return oc_csv_path(l->path, sizeof(l->path), l->dir, name, l->err, l->err_bytes);
}

/* Opens dir/name as a CSV file with the given header; a missing file is -ENOENT with the
 * message cleared: for these optional files that is not an error in itself. */
static int open_file(struct loader *l, struct oc_csv *c, const char *name,
                     const char *const *columns, uint32_t column_count)
{
	return oc_csv_open_optional(c, l->path, sizeof(l->path), l->dir, name, columns,
	                            column_count, l->err, l->err_bytes);
}

static int no_memory(struct loader *l, const char *what)
{
	return oc_error_set(l->err, l->err_bytes, -ENOMEM, "%s: out of memory for %s", l->path,
	                    what);
}

/* Index of a fraud.csv row name in row_names, or -1. */
static int row_index(const char *name)
{
	for (int i = 0; i < ROW_COUNT; i++)
		if (strcmp(name, row_names[i]) == 0)
			return i;
	return -1;
}

static int parse_fraud_row(struct loader *l, struct oc_csv *c)
{
	const char *name = c->fields[0];
	if (*name == '\0')
		return oc_csv_fail(c, "column rule is empty");
	int row = row_index(name);
	if (row < 0)
		return oc_csv_fail(c, "unknown rule '%.*s' (rules: " ROW_NAMES_TEXT ")",
		                   QUOTE_BYTES_MAX, name);
	if (l->row_lines[row])
		return oc_csv_fail(c, "%s is listed twice (first on line %u)", row_names[row],
		                   l->row_lines[row]);
	l->row_lines[row] = c->line_no;
	uint32_t score = 0, window_s = 0;
	uint64_t limit = 0;
	int rc = oc_csv_field_u32(c, 1, 1, OC_SCREEN_SCORE_MAX, &score);
	if (rc == 0)
		rc = oc_csv_field_u64(c, 2, row_bounds[row].limit_min, row_bounds[row].limit_max,
		                      &limit);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 3, row_bounds[row].window_s_min,
		                      row_bounds[row].window_s_max, &window_s);
	if (rc < 0)
		return rc;
	if (row == OC_RULE_NEW_ACCOUNT && window_s % OC_SCREEN_DAY_S != 0)
		return oc_csv_fail(c,
		                   "column window_s: new_account's window is whole days, a "
		                   "multiple of %u seconds, not %u",
		                   OC_SCREEN_DAY_S, window_s);
	if (row == ROW_HOLD)
		l->s->hold_score = score;
	else if (row == ROW_REJECT)
		l->s->reject_score = score;
	else
		l->s->rules[row] =
		    (struct oc_rule){.score = score, .window_s = window_s, .limit = limit};
	return 0;
}

/* Reads the rows of an open fraud.csv and checks the thresholds once all are read. */
static int read_fraud(struct loader *l, struct oc_csv *c)
{
	int rc;
	while ((rc = oc_csv_next(c)) > 0)
		if ((rc = parse_fraud_row(l, c)) < 0)
			return rc;
	if (rc < 0)
		return rc;
	if (!l->row_lines[ROW_HOLD])
		return oc_csv_fail(c, "no hold row: the score that holds an order for review is "
		                      "required");
	if (!l->row_lines[ROW_REJECT])
		return oc_csv_fail(c, "no reject row: the score that rejects an order is required");
	if (l->s->reject_score < l->s->hold_score) {
		c->line_no = l->row_lines[ROW_REJECT];
		return oc_csv_fail(c,
		                   "reject score %u is below the hold score %u (hold on line %u)",
		                   l->s->reject_score, l->s->hold_score, l->row_lines[ROW_HOLD]);
	}
	return 0;
}

/* A format's bytes: 'A' and '9' as patterns, other upper-case letters and digits, space and
 * '-' as themselves. */
static bool is_format_byte(char ch)
{
	return is_upper(ch) || is_digit(ch) || ch == ' ' || ch == '-';
}

/* Checks a postal_formats field: "*", or '|'-separated formats of 1..OC_POSTAL_CODE_BYTES
 * format bytes each. */
static int check_formats(struct oc_csv *c, const char *formats)
{
	if (strcmp(formats, "*") == 0)
		return 0;
	const char *p = formats;
	for (uint32_t n = 1;; n++) {
		int len = (int)strcspn(p, "|");
		if (len == 0)
			return oc_csv_fail(c, "column postal_formats: format %u of '%s' is empty",
			                   n, formats);
		if (len > (int)OC_POSTAL_CODE_BYTES)
			return oc_csv_fail(c,
			                   "column postal_formats: format '%.*s' is %d bytes "
			                   "long, at most %u",
			                   len, p, len, OC_POSTAL_CODE_BYTES);
		for (int i = 0; i < len; i++) {
			if (p[i] == '*')
				return oc_csv_fail(c,
				                   "column postal_formats: '*' (any code) must "
				                   "stand alone, not in '%s'",
				                   formats);
			if (!is_format_byte(p[i]))
				return oc_csv_fail(c,
				                   "column postal_formats: format '%.*s' may hold "
				                   "only A-Z, 0-9, ' ' and '-' ('A' takes a "
				                   "letter, '9' a digit)",
				                   len, p);
		}
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int parse_country(struct loader *l, struct oc_csv *c)
{
	const char *code = c->fields[0];
	if (*code == '\0')
		return oc_csv_fail(c, "column country is empty");
	if (!is_upper(code[0]) || !is_upper(code[1]) || code[2] != '\0')
		return oc_csv_fail(c,
		                   "column country: '%.*s' is not two upper-case letters "
		                   "(ISO 3166-1 alpha-2, e.g. US)",
		                   QUOTE_BYTES_MAX, code);
	uint32_t slot = country_slot(code);
	if (l->country_lines[slot])
		return oc_csv_fail(c, "country %s is listed twice (first on line %u)", code,
		                   l->country_lines[slot]);
	l->country_lines[slot] = c->line_no;
	struct oc_country *country = &l->s->countries[slot];
	uint32_t serviceable = 0;
	int rc = oc_csv_field_str(c, 1, country->postal_formats, sizeof(country->postal_formats));
	if (rc == 0)
		rc = check_formats(c, country->postal_formats);
	if (rc == 0)
		rc = oc_csv_field_u32(c, 2, 0, 1, &serviceable);
	if (rc < 0)
		return rc;
	country->known = true;
	country->serviceable = serviceable == 1;
	return 0;
}

static int load_countries(struct loader *l)
{
	struct oc_csv c;
	int rc = open_file(l, &c, "countries.csv", country_columns, COUNT(country_columns));
	if (rc == -ENOENT)
		return 0; /* no countries.csv: shipping countries are not checked */
	if (rc < 0)
		return rc;
	l->s->countries = mi_calloc(OC_COUNTRY_SLOTS, sizeof(*l->s->countries));
	if (!l->s->countries)
		rc = no_memory(l, "countries");
	l->s->countries_loaded = true;
	uint32_t count = 0;
	while (rc == 0 && (rc = oc_csv_next(&c)) > 0) {
		rc = parse_country(l, &c);
		count++;
	}
	if (rc == 0 && count == 0)
		rc = oc_csv_fail(&c, "no countries: at least one row is required (without "
		                     "countries.csv shipping countries are not checked)");
	oc_csv_close(&c);
	return rc;
}

static int parse_block(struct loader *l, struct oc_csv *c)
{
	struct oc_screening *s = l->s;
	const char *kind = c->fields[0];
	if (*kind == '\0')
		return oc_csv_fail(c, "column kind is empty");
	uint32_t k = 0;
	while (k < COUNT(block_kinds) && strcmp(kind, block_kinds[k].name) != 0)
		k++;
	if (k == COUNT(block_kinds))
		return oc_csv_fail(c, "unknown kind '%.*s' (kinds: email, card, address)",
		                   QUOTE_BYTES_MAX, kind);
	int rc = oc_csv_field_str(c, 1, l->value, sizeof(l->value));
	if (rc < 0)
		return rc;
	size_t len = strlen(l->value);
	/* Such a value would block whatever hashes to nothing, e.g. an empty e-mail. */
	if (kept_bytes(l->value, len) == 0)
		return oc_csv_fail(c,
		                   "column value: '%.*s' has only spaces and periods, which "
		                   "the hash leaves out",
		                   QUOTE_BYTES_MAX, l->value);
	if (s->block_count == OC_BLOCKLIST_ROWS_MAX)
		return oc_csv_fail(c, "more than %u rows (OC_BLOCKLIST_ROWS_MAX)",
		                   OC_BLOCKLIST_ROWS_MAX);
	if (s->block_count == l->block_slots) {
		uint32_t want = l->block_slots ? l->block_slots * 2 : BLOCKS_INITIAL_SLOTS;
		if (want > OC_BLOCKLIST_ROWS_MAX)
			want = OC_BLOCKLIST_ROWS_MAX;
		struct oc_block_rec *blocks = mi_reallocn(s->blocks, want, sizeof(*blocks));
		if (!blocks)
			return no_memory(l, "the block list");
		s->blocks = blocks;
		l->block_slots = want;
	}
	s->blocks[s->block_count++] = (struct oc_block_rec){.hash = oc_screen_hash(l->value, len),
	                                                    .kind = block_kinds[k].kind};
	return 0;
}

static int load_blocks(struct loader *l)
{
	struct oc_csv c;
	int rc = open_file(l, &c, "blocklist.csv", block_columns, COUNT(block_columns));
	if (rc == -ENOENT)
		return 0; /* no block list: nothing is blocked until OC_CMD_BLOCK */
	if (rc < 0)
		return rc;
	while ((rc = oc_csv_next(&c)) > 0)
		if ((rc = parse_block(l, &c)) < 0)
			break;
	oc_csv_close(&c);
	return rc;
}

/* A row of credit.csv as read, with its line (for the message about a repeated customer). */
struct credit_row {
	struct oc_credit_line line;
	uint32_t line_no;
};

static int credit_row_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct credit_row *)a)->line.customer;
	uint64_t y = ((const struct credit_row *)b)->line.customer;
	return x < y ? -1 : x > y;
}

static int read_credit(struct loader *l, struct oc_csv *c, struct credit_row **rows,
                       uint32_t *count)
{
	uint32_t slots = 0;
	int rc;
	while ((rc = oc_csv_next(c)) > 0) {
		struct credit_row row = {.line_no = c->line_no};
		rc = oc_csv_field_u64(c, 0, 1, UINT64_MAX, &row.line.customer);
		if (rc == 0)
			rc = oc_csv_field_u64(c, 1, 0, OC_CREDIT_LIMIT_CENTS_MAX,
			                      &row.line.limit_cents);
		if (rc == 0 && *count == OC_CREDIT_ROWS_MAX)
			rc = oc_csv_fail(c, "more than %u rows (OC_CREDIT_ROWS_MAX)",
			                 OC_CREDIT_ROWS_MAX);
		if (rc == 0 && *count == slots) {
			slots = slots ? slots * 2 : BLOCKS_INITIAL_SLOTS;
			struct credit_row *more = mi_reallocn(*rows, slots, sizeof(**rows));
			rc = more ? 0 : no_memory(l, "the credit lines");
			*rows = more ? more : *rows;
		}
		if (rc < 0)
			return rc;
		(*rows)[(*count)++] = row;
	}
	return rc;
}

/* credit.csv: the customers who may order on account, and how much they may owe; a customer
 * once. */
static int load_credit(struct loader *l)
{
	struct oc_csv c;
	int rc = open_file(l, &c, "credit.csv", credit_columns, COUNT(credit_columns));
	if (rc == -ENOENT)
		return 0; /* no credit lines: an order on account is refused credit_limit */
	if (rc < 0)
		return rc;
	struct credit_row *rows = NULL;
	uint32_t count = 0;
	rc = read_credit(l, &c, &rows, &count);
	oc_csv_close(&c);
	struct oc_screening *s = l->s;
	if (rc == 0 && count) {
		s->credit = mi_mallocn(count, sizeof(*s->credit));
		rc = s->credit ? 0 : no_memory(l, "the credit lines");
	}
	for (uint32_t i = 0; rc == 0 && i < count; i++)
		s->credit[s->credit_count++] = rows[i].line;
	if (rc == 0 && count > 1)
		qsort(rows, count, sizeof(*rows), credit_row_cmp);
	for (uint32_t i = 1; rc == 0 && i < count; i++) {
		if (rows[i].line.customer != rows[i - 1].line.customer)
			continue;
		uint32_t a = rows[i - 1].line_no, b = rows[i].line_no; /* qsort keeps no order */
		rc = oc_error_set(l->err, l->err_bytes, -EINVAL,
		                  "%s:%u: customer %llu is also on line %u", l->path, a > b ? a : b,
		                  (unsigned long long)rows[i].line.customer, a < b ? a : b);
	}
	mi_free(rows);
	return rc;
}

/* Without fraud.csv the other two files would be ignored; a dataset that has them most
 * likely lost its fraud.csv, so that is an error rather than screening quietly off. */
static int check_no_strays(struct loader *l)
{
	static const char *const others[] = {"countries.csv", "blocklist.csv"};
	for (uint32_t i = 0; i < COUNT(others); i++) {
		int rc = make_path(l, others[i]);
		if (rc < 0)
			return rc;
		if (access(l->path, F_OK) == 0)
			return oc_error_set(l->err, l->err_bytes, -EINVAL,
			                    "%s without %s/fraud.csv: the screening's rules and "
			                    "thresholds are in fraud.csv; add it or remove %s",
			                    l->path, l->dir, others[i]);
	}
	return 0;
}

int oc_screening_load(const char *dir, struct oc_screening *out, char *err, size_t err_bytes)
{
	OC_ASSERT(dir != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	if (err && err_bytes)
		err[0] = '\0';
	/* ~8 KiB of path and line tables: off the stack of small threads. */
	struct loader *l = mi_calloc(1, sizeof(*l));
	if (!l)
		return oc_error_set(err, err_bytes, -ENOMEM, "%s: out of memory", dir);
	l->dir = dir;
	l->s = out;
	l->err = err;
	l->err_bytes = err_bytes;
	struct oc_csv c;
	int rc = open_file(l, &c, "fraud.csv", fraud_columns, COUNT(fraud_columns));
	if (rc == -ENOENT) {
		rc = check_no_strays(l);
	} else if (rc == 0) {
		out->enabled = true;
		rc = read_fraud(l, &c);
		oc_csv_close(&c);
		if (rc == 0)
			rc = load_countries(l);
		if (rc == 0)
			rc = load_blocks(l);
	}
	if (rc == 0)
		rc = load_credit(l);
	mi_free(l);
	if (rc < 0)
		oc_screening_destroy(out);
	return rc;
}

void oc_screening_destroy(struct oc_screening *s)
{
	mi_free(s->countries);
	mi_free(s->blocks);
	mi_free(s->credit);
	memset(s, 0, sizeof(*s));
}

const struct oc_country *oc_screening_country(const struct oc_screening *s, const char code[2])
{
	if (!s->countries || !is_upper(code[0]) || !is_upper(code[1]))
		return NULL;
	const struct oc_country *c = &s->countries[country_slot(code)];
	return c->known ? c : NULL;
}

/* Whether code matches one format of flen bytes (see oc_screening_postal_ok). */
static bool format_matches(const char *format, size_t flen, const char *code, size_t len)
{
	if (flen != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char want = format[i], got = code[i];
		bool ok = want == '9'   ? is_digit(got)
		          : want == 'A' ? is_letter(got)
		                        : to_upper(got) == want; /* formats are upper case */
		if (!ok)
			return false;
	}
	return true;
}

bool oc_screening_postal_ok(const struct oc_country *c, const char *code, size_t len)
{
	OC_ASSERT(c != NULL && (code != NULL || len == 0));
	OC_DEBUG_ASSERT(c->known);
	const char *f = c->postal_formats;
	if (f[0] == '*' && f[1] == '\0')
		return true;
	for (;;) {
		size_t flen = strcspn(f, "|");
		if (format_matches(f, flen, code, len))
			return true;
		if (f[flen] == '\0')
			return false;
		f += flen + 1;
	}
}

uint64_t oc_screening_fingerprint(const struct oc_screening *s, uint64_t seed)
{
	/* Each piece seeds the next. Fields go in widened to 64 bits, so that no padding byte is
	 * hashed. */
	uint64_t h = seed;
	for (uint32_t i = 0; i < s->credit_count; i++) {
		uint64_t f[2] = {s->credit[i].customer, s->credit[i].limit_cents};
		h = XXH3_64bits_withSeed(f, sizeof(f), h);
	}
	if (!s->enabled)
		return h;
	for (uint32_t r = 0; r < OC_RULE_COUNT; r++) {
		const struct oc_rule *rule = &s->rules[r];
		uint64_t f[3] = {rule->score, rule->window_s, rule->limit};
		h = XXH3_64bits_withSeed(f, sizeof(f), h);
	}
	uint64_t t[4] = {s->hold_score, s->reject_score, s->countries_loaded, s->block_count};
	h = XXH3_64bits_withSeed(t, sizeof(t), h);
	for (uint32_t slot = 0; s->countries && slot < OC_COUNTRY_SLOTS; slot++) {
		const struct oc_country *c = &s->countries[slot];
		if (!c->known)
			continue;
		uint64_t f[2] = {slot, c->serviceable};
		h = XXH3_64bits_withSeed(f, sizeof(f), h);
		h = XXH3_64bits_withSeed(c->postal_formats, strlen(c->postal_formats) + 1, h);
	}
	for (uint32_t i = 0; i < s->block_count; i++) {
		uint64_t f[2] = {s->blocks[i].hash, s->blocks[i].kind};
		h = XXH3_64bits_withSeed(f, sizeof(f), h);
	}
	return h;
}

const char *oc_screening_rule_name(enum oc_screening_rule rule)
{
	OC_ASSERT((unsigned)rule < OC_RULE_COUNT);
	return row_names[rule];
}

uint8_t oc_screening_rule_reason(enum oc_screening_rule rule)
{
	OC_ASSERT((unsigned)rule < OC_RULE_COUNT);
	return rule_reasons[rule];
}

/* Copies the bytes the hash keeps from text[*pos..len), letters in lower case, into buf
 * until it is full or the text ends; advances *pos and returns the bytes copied. */
static size_t normalize(const char *text, size_t len, size_t *pos, char *buf, size_t bytes)
{
	size_t used = 0, i = *pos;
	for (; i < len && used < bytes; i++) {
		char ch = text[i];
		if (hash_skips(ch))
			continue;
		buf[used++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	*pos = i;
	return used;
}

uint64_t oc_screen_hash(const char *text, size_t len)
{
	OC_ASSERT(text != NULL || len == 0);
	char buf[HASH_CHUNK_BYTES];
	size_t pos = 0;
	size_t used = normalize(text, len, &pos, buf, sizeof(buf));
	uint64_t v;
	if (pos == len) {
		v = XXH3_64bits(buf, used);
	} else {
		/* XXH3's streaming form gives the same value as one call over all the bytes. */
		XXH3_state_t h;
		XXH3_64bits_reset(&h);
		XXH3_64bits_update(&h, buf, used);
		while (pos < len) {
			used = normalize(text, len, &pos, buf, sizeof(buf));
			XXH3_64bits_update(&h, buf, used);
		}
		v = XXH3_64bits_digest(&h);
	}
	return v ? v : 1; /* 0 means "not given" */
}

/* The demo screening (docs/dataset.md, "Screening"): every rule on, a few countries with
 * their real postal-code formats (JP listed but not served), a small block list. */
static const char demo_fraud[] = "rule,score,limit,window_s\n"
                                 "customer_velocity,40,5,3600\n"
                                 "card_velocity,50,5,3600\n"
                                 "address_velocity,30,10,3600\n"
                                 "amount_history,40,500,0\n"
                                 "country_mismatch,30,0,0\n"
                                 "new_account,40,50000,2592000\n"
                                 "hold,50,0,0\n"
                                 "reject,100,0,0\n";
static const char demo_countries[] = "country,postal_formats,serviceable\n"
                                     "CA,A9A 9A9,1\n"
                                     "DE,99999,1\n"
                                     "FR,99999,1\n"
                                     "GB,A9 9AA|A99 9AA|AA9 9AA|AA99 9AA|A9A 9AA|AA9A 9AA,1\n"
                                     "JP,999-9999,0\n"
                                     "NL,9999 AA,1\n"
                                     "US,99999|99999-9999,1\n";
static const char demo_blocklist[] = "kind,value\n"
                                     "email,fraud@example.com\n"
                                     "card,fp_blocked_demo\n"
                                     "address,1 Blocked Road\n";

static int write_text(const char *dir, const char *name, const char *text, char *err,
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
	int e = fputs(text, f) < 0 ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && e == 0)
		e = errno ? errno : EIO;
	if (e)
		return oc_error_set(err, err_bytes, -e, "%s: write error: %s", path, strerror(e));
	return 0;
}

int oc_screening_write_demo(const char *dir, char *err, size_t err_bytes)
{
	OC_ASSERT(dir != NULL);
	if (err && err_bytes)
		err[0] = '\0';
	/* fraud.csv first: should a later file fail, what is left still loads. */
	int rc = write_text(dir, "fraud.csv", demo_fraud, err, err_bytes);
	if (rc == 0)
		rc = write_text(dir, "countries.csv", demo_countries, err, err_bytes);
	if (rc == 0)
		rc = write_text(dir, "blocklist.csv", demo_blocklist, err, err_bytes);
	return rc;
}
