/* tally.c: the answers of a run, counted by command index, and the checks that need only the
 * answers and the dataset: units sold per SKU and units held per customer. Both modes use
 * them: in process (flash_sale.c), beside the engine's own state, and over TCP (remote.c),
 * beside what the daemon's queries say. One thread owns a tally. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "loadgen.h"

int lg_tally_init(struct lg_tally *t, uint64_t n)
{
	memset(t, 0, sizeof(*t));
	t->answers = calloc(n, 1);
	t->status = calloc(n, 1);
	t->cancelled = calloc(n, 1);
	if (!t->answers || !t->status || !t->cancelled) {
		lg_tally_destroy(t);
		return -ENOMEM;
	}
	return 0;
}

void lg_tally_destroy(struct lg_tally *t)
{
	free(t->answers);
	free(t->status);
	free(t->cancelled);
	t->answers = t->status = t->cancelled = NULL;
}

void lg_tally_take(struct lg_tally *t, const struct lg_stream *st, uint64_t i,
		   const struct oc_response *r)
{
	if (t->answers[i]++ != 0)
		return;
	t->status[i] = r->status;
	if (r->flags & OC_RESPONSE_DUPLICATE) {
		t->duplicate_flags++; /* the original's answer again: counted there */
		return;
	}
	if (r->status == OC_STATUS_ACCEPTED) {
		t->accepted++;
		t->split += r->shipments > 1;
	} else if (r->status == OC_STATUS_CANCELLED) {
		t->cancelled_count++;
		t->cancelled[st->orig[i]] = 1;
	} else {
		t->rejected++;
		t->by_reason[r->reason < OC_REJECT_REASON_COUNT ? r->reason : 0]++;
	}
}

struct held {
	uint64_t customer;
	uint32_t sku;
	uint32_t units;
};

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	if (x->customer != y->customer)
		return x->customer < y->customer ? -1 : 1;
	return x->sku < y->sku ? -1 : x->sku > y->sku;
}

/* Customers whose units of one SKU, over the held lines, exceed its limit. */
static uint64_t over_limit(struct held *held, uint64_t n, const struct oc_dataset *d)
{
	uint64_t violations = 0;
	qsort(held, n, sizeof(*held), held_cmp);
	for (uint64_t a = 0, b; a < n; a = b) {
		uint64_t units = 0;
		for (b = a; b < n && !held_cmp(&held[a], &held[b]); b++)
			units += held[b].units;
		uint32_t limit = d->skus[held[a].sku].limit_per_customer;
		violations += limit && units > limit;
	}
	return violations;
}

/* Counts each order once, by its first command in the stream (st->orig[i] == i): a retry is
 * a copy of it, and whichever of them the engine decided first, the others are answered as
 * duplicates with the same status, so the first command's status is the order's. */
uint64_t *lg_sold_units(const struct lg_stream *st, const struct lg_tally *t,
			const struct oc_dataset *d, uint64_t *limit_violations)
{
	uint64_t lines = 0;
	for (uint64_t i = 0; i < st->n; i++)
		lines += st->cmds[i].type == OC_CMD_PLACE ? st->cmds[i].line_count : 0;
	uint64_t *sold = calloc(d->sku_count, sizeof(uint64_t));
	struct held *held = malloc((lines + 1) * sizeof(struct held));
	if (!sold || !held) {
		free(sold);
		free(held);
		return NULL;
	}
	uint64_t h = 0;
	for (uint64_t i = 0; i < st->n; i++) {
		const struct oc_command *c = &st->cmds[i];
		if (st->orig[i] != i || t->status[i] != OC_STATUS_ACCEPTED || t->cancelled[i])
			continue;
		for (uint32_t l = 0; l < c->line_count; l++) {
			uint32_t g = st->sku_idx[i * OC_ORDER_LINES_MAX + l];
			sold[g] += c->lines[l].quantity;
			held[h++] = (struct held){c->customer, g, c->lines[l].quantity};
		}
	}
	*limit_violations = over_limit(held, h, d);
	free(held);
	return sold;
}

uint64_t lg_initial_units(const struct oc_dataset *d, uint32_t g)
{
	uint64_t units = 0;
	for (uint32_t w = 0; w < d->warehouse_count; w++)
		units += d->on_hand[(size_t)g * d->warehouse_count + w];
	return units;
}

void lg_tally_json(FILE *f, const struct lg_tally *t)
{
	fprintf(f, "  \"accepted\": %" PRIu64 ",\n  \"rejected\": %" PRIu64 ",\n", t->accepted,
		t->rejected);
	fprintf(f, "  \"cancelled\": %" PRIu64 ",\n  \"duplicates\": %" PRIu64 ",\n",
		t->cancelled_count, t->duplicate_flags);
	fprintf(f, "  \"split_orders\": %" PRIu64 ",\n  \"rejected_by_reason\": {", t->split);
	for (unsigned k = 1; k < OC_REJECT_REASON_COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k == 1 ? "" : ", ", oc_reject_reason_name(k),
			t->by_reason[k]);
	fprintf(f, "},\n");
}
