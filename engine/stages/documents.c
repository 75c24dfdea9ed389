/* documents.c: the documents of route's fulfilment steps (docs/lifecycle.md, "Documents"): at
 * a pack, the order's parcels (one per warehouse: weighed from the catalog, zoned from the
 * ship-to region, carried by the cheapest service within the order's requested days), their
 * packing slips and labels; at a shipment, the invoice. Pure functions of the catalog, the
 * carriers and an order's allocations; they own no state. Each document is a row: a copy of
 * the command's answer (its order's channel kept) flagged OC_RESPONSE_ROW |
 * OC_RESPONSE_DOCUMENT, its fields as ordercore.h's OC_DOC_* and OC_LABEL_* say. */
#include "stages/stages_internal.h"

uint8_t oc_documents_parcels(const struct oc_catalog *c, const struct oc_alloc *allocs,
			     uint32_t n, uint32_t region, uint32_t days, struct oc_parcel *out,
			     uint32_t *count)
{
	const struct oc_dataset *d = c->data;
	uint64_t weight[OC_LIMIT_WAREHOUSES_MAX] = {0};
	for (uint32_t i = 0; i < n; i++)
		weight[allocs[i].warehouse] +=
			(uint64_t)allocs[i].quantity * d->skus[allocs[i].sku].weight_g;
	*count = 0;
	for (uint64_t warehouses = oc_alloc_warehouses(allocs, n); warehouses;
	     warehouses &= warehouses - 1) {
		uint32_t w = (uint32_t)__builtin_ctzll(warehouses);
		struct oc_parcel *p = &out[(*count)++];
		p->warehouse = w;
		p->weight_g = weight[w] > UINT32_MAX ? UINT32_MAX : (uint32_t)weight[w];
		p->zone = d->regions[region].zone[w];
		if (oc_carriers_shop(c->carriers, p->zone, p->weight_g, days, &p->rate))
			return OC_REJECT_NO_CARRIER;
	}
	return OC_REJECT_NONE;
}

/* A line's row: SKU number, quantity and unit price, the line's total. */
static void line_row(const struct oc_dataset *d, const struct oc_alloc *al, uint8_t kind,
		     const struct oc_response *a, struct oc_response *row)
{
	const struct oc_sku_rec *sku = &d->skus[al->sku];
	*row = *a;
	row->flags = (a->flags & OC_RESPONSE_CHANNEL_MASK) | OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT;
	row->shipments = kind;
	row->warehouse = al->warehouse;
	row->original_seq = sku->sku;
	row->amount_cents = (uint64_t)sku->price_cents << 32 | al->quantity;
	row->refunded_cents = (uint64_t)sku->price_cents * al->quantity;
}

/* Sorts the allocations at[0..n) by their SKUs' bins (then SKU index: a stable order for
 * SKUs in one bin); n <= OC_LIMIT_ORDER_ALLOCS_MAX, so insertion sort. */
static void sort_by_bin(const struct oc_dataset *d, const struct oc_alloc **at, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		const struct oc_alloc *x = at[i];
		uint32_t j = i;
		for (; j > 0; j--) {
			int cmp = strcmp(d->skus[at[j - 1]->sku].bin, d->skus[x->sku].bin);
			if (cmp < 0 || (cmp == 0 && at[j - 1]->sku <= x->sku))
				break;
			at[j] = at[j - 1];
		}
		at[j] = x;
	}
}

uint32_t oc_documents_pack(const struct oc_catalog *c, const struct oc_alloc *allocs, uint32_t n,
			   const struct oc_parcel *parcels, uint32_t count,
			   const struct oc_response *a, struct oc_response *rows)
{
	const struct oc_dataset *d = c->data;
	uint32_t written = 0;
	for (uint32_t k = 0; k < count; k++) {
		const struct oc_parcel *p = &parcels[k];
		const struct oc_alloc *at[OC_LIMIT_ORDER_ALLOCS_MAX];
		uint32_t lines = 0;
		for (uint32_t i = 0; i < n; i++)
			if (allocs[i].warehouse == p->warehouse && allocs[i].quantity)
				at[lines++] = &allocs[i];
		sort_by_bin(d, at, lines);
		for (uint32_t i = 0; i < lines; i++)
			line_row(d, at[i], OC_DOC_SLIP_LINE, a, &rows[written++]);
		struct oc_response *label = &rows[written++];
		*label = *a;
		label->flags =
			(a->flags & OC_RESPONSE_CHANNEL_MASK) | OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT;
		label->shipments = OC_DOC_LABEL;
		label->warehouse = (uint8_t)p->warehouse;
		label->original_seq = oc_carriers_tracking(a->key, a->customer, p->warehouse);
		label->amount_cents = p->rate.cost_cents;
		label->refunded_cents =
			OC_LABEL_PACK(p->weight_g, p->rate.service, p->zone, p->rate.transit_days);
	}
	return written;
}

uint32_t oc_documents_invoice(const struct oc_catalog *c, const struct oc_alloc *allocs,
			      uint32_t n, const struct oc_response *a, struct oc_response *rows)
{
	uint32_t written = 0;
	for (uint64_t warehouses = oc_alloc_warehouses(allocs, n); warehouses;
	     warehouses &= warehouses - 1) {
		uint32_t w = (uint32_t)__builtin_ctzll(warehouses);
		for (uint32_t i = 0; i < n; i++)
			if (allocs[i].warehouse == w && allocs[i].quantity)
				line_row(c->data, &allocs[i], OC_DOC_INVOICE_LINE, a,
					 &rows[written++]);
	}
	return written;
}
