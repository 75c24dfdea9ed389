/* hist.c: the log-linear histogram's reading and merging (hist.h records inline). */
#include "core/hist.h"

#include <string.h>

void oc_hist_reset(struct oc_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* The lowest value of bucket b and the width of its range. */
static void bucket_range(uint32_t b, uint64_t *low, uint64_t *width)
{
	if (b < OC_HIST_SUB) {
		*low = b;
		*width = 1;
		return;
	}
	uint32_t shift = (b - OC_HIST_SUB) / OC_HIST_SUB;
	uint64_t sub = OC_HIST_SUB + (b - OC_HIST_SUB) % OC_HIST_SUB;
	*low = sub << shift;
	*width = 1ull << shift;
}

uint64_t oc_hist_quantile(const struct oc_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q >= 1.0)
		return h->max;
	double want = q * (double)h->count;
	uint64_t rank = (uint64_t)want;
	rank += (double)rank < want || rank == 0; /* ceil, at least 1 */
	uint64_t seen = 0;
	for (uint32_t b = 0; b < OC_HIST_BUCKETS; b++) {
		seen += h->counts[b];
		if (seen < rank)
			continue;
		uint64_t low, width;
		bucket_range(b, &low, &width);
		uint64_t mid = low + (width - 1) / 2;
		return mid < h->min ? h->min : mid > h->max ? h->max : mid;
	}
	return h->max; /* not reached: the counts add up to count */
}

void oc_hist_merge(struct oc_hist *dst, const struct oc_hist *src)
{
	for (uint32_t b = 0; b < OC_HIST_BUCKETS; b++)
		dst->counts[b] += src->counts[b];
	dst->count += src->count;
	dst->min = src->min < dst->min ? src->min : dst->min;
	dst->max = src->max > dst->max ? src->max : dst->max;
}
