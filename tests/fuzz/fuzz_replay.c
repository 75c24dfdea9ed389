/* fuzz_replay.c: fuzz target for the load generator's replay rows (loadgen/replay.c,
 * lg_replay_row), which read a file a user recorded. The input is text: each line split on
 * commas is a row when it has the seven columns (the CSV reader, engine/data/csv.c, is the
 * dataset loader's and splits lines the same way). What it asserts, beyond "no crash, no read
 * out of bounds" (AddressSanitizer, when built with clang -fsanitize=fuzzer,address): a row
 * read is a place the engine can take — key and customer over 0, 1 to 16 lines of 1 to 65535
 * units (a SKU twice is the engine's to refuse), each line's catalog index the dataset's (or
 * none for a SKU it lacks), a region of the dataset, no flag but a channel, screening, card or
 * account; and it reads the same again from the row written back. Built like the others (tests/CMakeLists.txt):
 * with libFuzzer under clang, and with fuzz_driver.c under ctest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "fuzz_target.h"
#include "replay.h"

#define FUZZ_ASSERT(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

#define REGIONS 3u
/* The dataset's SKU numbers: catalog index i holds SKU_BASE + i. */
#define SKU_BASE 100001u
#define SKUS 4u

static struct oc_u64map by_sku;

static void dataset(void)
{
	if (by_sku.entries)
		return;
	FUZZ_ASSERT(oc_u64map_init(&by_sku, SKUS) == 0);
	for (uint32_t i = 0; i < SKUS; i++) {
		bool found;
		oc_u64map_upsert(&by_sku, SKU_BASE + i, oc_hash_u64(SKU_BASE + i), &found)->value = i;
	}
}

static const char *const payments[] = {"prepaid", "card", "account"};

/* Writes place c back as a row's fields into text (a buffer of fields joined by NULs). */
static void write_back(const struct oc_command *c, char *text, size_t cap, char **f)
{
	char lines[16 * 48] = "";
	for (uint32_t l = 0; l < c->line_count; l++)
		snprintf(lines + strlen(lines), sizeof(lines) - strlen(lines), "%s%" PRIu64 ":%u",
			 l ? ";" : "", c->lines[l].sku, c->lines[l].quantity);
	uint32_t channel = OC_PLACE_CHANNEL_OF(c->flags);
	const char *pay = payments[c->flags & OC_PLACE_CARD ? 1 : c->flags & OC_PLACE_ACCOUNT ? 2 : 0];
	char country[3] = {0}, postal[OC_POSTAL_CODE_BYTES + 1] = {0};
	memcpy(country, c->screen.ship_country, 2);
	memcpy(postal, c->screen.postal_code, OC_POSTAL_CODE_BYTES);
	int n = snprintf(text, cap, "%" PRIu64 "%c%" PRIu64 "%c%s%c%s%c%s%c%s%c%s", c->key, 0,
			 c->customer, 0, channel ? oc_channel_name(channel) : "", 0, country, 0,
			 postal, 0, lines, 0, pay);
	FUZZ_ASSERT(n > 0 && (size_t)n < cap);
	for (uint32_t k = 0, at = 0; k < LG_REPLAY_COLUMNS; k++) {
		f[k] = text + at;
		at += (uint32_t)strlen(text + at) + 1;
	}
}

/* Splits line (changed in place) on commas into f[0..LG_REPLAY_COLUMNS]; the fields' count,
 * LG_REPLAY_COLUMNS + 1 when there are more. */
static uint32_t split(char *line, char **f)
{
	uint32_t n = 0;
	for (char *p = line; n <= LG_REPLAY_COLUMNS;) {
		f[n++] = p;
		if (!(p = strchr(p, ',')))
			break;
		*p++ = '\0';
	}
	return n;
}

static void check(char **f)
{
	struct oc_command c, again;
	uint32_t idx[OC_ORDER_LINES_MAX], idx_again[OC_ORDER_LINES_MAX];
	char err[256];
	if (lg_replay_row(f, &by_sku, REGIONS, &c, idx, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] != '\0');
		return;
	}
	FUZZ_ASSERT(c.type == OC_CMD_PLACE && c.key && c.customer && c.region < REGIONS);
	FUZZ_ASSERT(c.line_count >= 1 && c.line_count <= OC_ORDER_LINES_MAX);
	FUZZ_ASSERT((c.flags & ~(OC_PLACE_CHANNEL_MASK | OC_PLACE_SCREEN | OC_PLACE_CARD |
				 OC_PLACE_ACCOUNT)) == 0);
	FUZZ_ASSERT(OC_PLACE_CHANNEL_OF(c.flags) < OC_CHANNEL_COUNT);
	FUZZ_ASSERT(!((c.flags & OC_PLACE_CARD) && (c.flags & OC_PLACE_ACCOUNT)));
	for (uint32_t l = 0; l < c.line_count; l++) {
		FUZZ_ASSERT(c.lines[l].quantity >= 1 && c.lines[l].quantity <= 65535);
		uint64_t sku = c.lines[l].sku;
		FUZZ_ASSERT(idx[l] == (sku >= SKU_BASE && sku < SKU_BASE + SKUS ? sku - SKU_BASE
										   : LG_NO_SKU));
	}
	char text[2048], *g[LG_REPLAY_COLUMNS];
	write_back(&c, text, sizeof(text), g);
	FUZZ_ASSERT(lg_replay_row(g, &by_sku, REGIONS, &again, idx_again, err, sizeof(err)) == 0);
	FUZZ_ASSERT(again.key == c.key && again.customer == c.customer &&
		    again.region == c.region && again.flags == c.flags &&
		    again.line_count == c.line_count &&
		    memcmp(&again.screen, &c.screen, sizeof(c.screen)) == 0);
	for (uint32_t l = 0; l < c.line_count; l++)
		FUZZ_ASSERT(again.lines[l].sku == c.lines[l].sku &&
			    again.lines[l].quantity == c.lines[l].quantity);
	FUZZ_ASSERT(memcmp(idx_again, idx, c.line_count * sizeof(uint32_t)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dataset();
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[LG_REPLAY_COLUMNS + 1];
		if (split(line, f) == LG_REPLAY_COLUMNS)
			check(f);
	}
	free(text);
	return 0;
}

size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	static const char *const seeds[] = {
		"1,10,web,,,100001:1,prepaid\n",
		"2,11,app,US,94105,100002:2;100003:1;999999:4,card\n",
		"3,12,,,,100004:65535,\n",
		"4,13,marketplace,GB,SW1A 1AA,100001:1;100002:1;100003:1;100004:1,account\n",
		"4611686018427387903,1,store,,,7:1,prepaid\n"};
	size_t bytes = 0;
	*count = 0;
	dataset();
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		size_t n = strlen(seeds[i]);
		char row[256], *f[LG_REPLAY_COLUMNS + 1], err[256];
		struct oc_command c;
		uint32_t idx[OC_ORDER_LINES_MAX];
		snprintf(row, sizeof(row), "%.*s", (int)(n - 1), seeds[i]); /* without its \n */
		if (bytes + n > cap || split(row, f) != LG_REPLAY_COLUMNS ||
		    lg_replay_row(f, &by_sku, REGIONS, &c, idx, err, sizeof(err)) != 0)
			return 0; /* a seed that does not read */
		memcpy(out + bytes, seeds[i], n);
		bytes += n;
		(*count)++;
	}
	return bytes;
}

const char fuzz_name[] = "fuzz_replay";
