/* stream.c: the flash sale's order stream, shared by every mode of ordercore-loadgen (in
 * process and --connect), so that the same options, dataset and seed give the same commands
 * whichever way they are sent. It is made before any clock starts: SKUs drawn Zipf (the few
 * hottest have a per-customer limit and sell out), a pool of repeat customers, some
 * multi-line orders, retries that reuse an earlier key and cancels of earlier orders. The
 * stream owns its arrays; one thread makes it, any number may read it afterwards. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/rand.h"
#include "data/dataset.h"
#include "loadgen.h"
#include "replay.h"

/* Cumulative Zipf(s) over n ranks, for inverse sampling. */
static double *zipf_cdf(uint32_t n, double s)
{
	double *cdf = malloc(n * sizeof(double));
	if (!cdf)
		return NULL;
	double sum = 0;
	for (uint32_t k = 0; k < n; k++)
		cdf[k] = (sum += 1.0 / pow((double)k + 1.0, s));
	for (uint32_t k = 0; k < n; k++)
		cdf[k] /= sum;
	return cdf;
}

static uint32_t zipf_draw(const double *cdf, uint32_t n, uint64_t *rng)
{
	double u = oc_rand_unit(rng);
	uint32_t lo = 0, hi = n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A retail channel mix: web 45 %, app 30 %, store 10 %, marketplace 10 %, phone 5 %. */
static uint32_t channel_draw(uint64_t *rng)
{
	uint32_t r = oc_rand_below(rng, 100);
	return r < 45 ? OC_CHANNEL_WEB : r < 75 ? OC_CHANNEL_APP : r < 85 ? OC_CHANNEL_STORE
	       : r < 95 ? OC_CHANNEL_MARKETPLACE : OC_CHANNEL_PHONE;
}

/* Whether the dataset in dir screens (has fraud.csv): else a screened place would only be
 * refused not_enabled. */
static bool screens_dataset(const char *dir)
{
	char path[4096];
	return dir && (size_t)snprintf(path, sizeof(path), "%s/fraud.csv", dir) < sizeof(path) &&
	       access(path, F_OK) == 0;
}

/* What a shop knows of a buyer, for the dataset's screening (docs/dataset.md, "Screening"):
 * shipped to a US postal code; a quarter billed in another country (country_mismatch), a
 * tenth on an account a day old (new_account, over its amount). With the customers' velocity
 * and history, some places are held for review, a few rejected. */
static void screen_draw(struct oc_command *c, uint64_t *rng)
{
	c->flags |= OC_PLACE_SCREEN;
	memcpy(c->screen.ship_country, "US", 2);
	memcpy(c->screen.bill_country, oc_rand_below(rng, 4) ? "US" : "GB", 2);
	memcpy(c->screen.postal_code, "94105", 5);
	c->screen.account_age_days = oc_rand_below(rng, 10) ? 400 : 1;
}

static void make_place(struct lg_stream *st, uint64_t i, const struct oc_dataset *d,
		       const struct lg_options *o, const double *cdf, uint64_t *rng,
		       uint64_t customers, bool screens)
{
	struct oc_command *c = &st->cmds[i];
	uint32_t lines = oc_rand_below(rng, 100) < o->multi_line_pct ? 2 + oc_rand_below(rng, 3) : 1;
	if (lines > d->sku_count)
		lines = d->sku_count;
	c->type = OC_CMD_PLACE;
	c->key = o->key_base + i + 1;
	c->customer = 1 + oc_rand_below(rng, (uint32_t)customers);
	c->region = (uint16_t)oc_rand_below(rng, d->region_count);
	for (uint32_t l = 0; l < lines;) {
		uint32_t g = zipf_draw(cdf, d->sku_count, rng);
		bool repeat = false;
		for (uint32_t m = 0; m < l; m++)
			repeat |= st->sku_idx[i * OC_ORDER_LINES_MAX + m] == g;
		if (repeat)
			continue; /* distinct SKUs per order */
		st->sku_idx[i * OC_ORDER_LINES_MAX + l] = g;
		c->lines[l].sku = d->skus[g].sku;
		c->lines[l].quantity = oc_rand_below(rng, 100) < 80 ? 1 : 2;
		l++;
	}
	c->line_count = (uint8_t)lines;
	st->orig[i] = (uint32_t)i;
	/* Drawn only when asked for, so that a flash sale's stream stays what it was. */
	if (o->card_pct && oc_rand_below(rng, 100) < o->card_pct)
		c->flags |= OC_PLACE_CARD;
	if (o->channels)
		c->flags |= OC_PLACE_CHANNEL(channel_draw(rng));
	if (screens && oc_rand_below(rng, 100) < o->screen_pct)
		screen_draw(c, rng);
}

int lg_stream_make(struct lg_stream *st, const struct oc_dataset *d, const struct lg_options *o)
{
	if (o->replay)
		return lg_replay_load(st, d, o->replay);
	uint64_t n = o->orders;
	st->n = n;
	st->cmds = calloc(n, sizeof(*st->cmds));
	st->orig = calloc(n, sizeof(uint32_t));
	st->sku_idx = calloc(n * OC_ORDER_LINES_MAX, sizeof(uint32_t));
	double *cdf = zipf_cdf(d->sku_count, o->zipf_s);
	if (!st->cmds || !st->orig || !st->sku_idx || !cdf) {
		free(cdf);
		return -ENOMEM;
	}
	uint64_t rng = o->seed;
	bool screens = o->screen_pct && screens_dataset(o->dataset_dir);
	uint64_t customers = o->customers ? o->customers : n / 10 > 100 ? n / 10 : 100;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t roll = oc_rand_below(&rng, 100);
		bool earlier = i > 0;
		if (earlier && roll < o->duplicate_pct) {
			/* A retry: the same order again, with the same key. */
			uint32_t j = st->orig[oc_rand_below(&rng, (uint32_t)i)];
			st->cmds[i] = st->cmds[j];
			memcpy(&st->sku_idx[i * OC_ORDER_LINES_MAX], &st->sku_idx[j * OC_ORDER_LINES_MAX],
			       OC_ORDER_LINES_MAX * sizeof(uint32_t));
			st->orig[i] = j;
		} else if (earlier && roll < o->duplicate_pct + o->cancel_pct) {
			uint32_t j = st->orig[oc_rand_below(&rng, (uint32_t)i)];
			st->cmds[i] = (struct oc_command){.type = OC_CMD_CANCEL,
							  .key = st->cmds[j].key,
							  .customer = st->cmds[j].customer};
			st->orig[i] = j;
		} else {
			make_place(st, i, d, o, cdf, &rng, customers, screens);
		}
	}
	free(cdf);
	return 0;
}

void lg_stream_free(struct lg_stream *st)
{
	free(st->cmds);
	free(st->orig);
	free(st->sku_idx);
	memset(st, 0, sizeof(*st));
}
