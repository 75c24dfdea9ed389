/* hist.h: a log-linear histogram of unsigned values (latencies in nanoseconds, say), laid out
 * as HdrHistogram's: values below 2^OC_HIST_SUB_BITS each have a bucket of their own; above,
 * every power of two is cut into 2^OC_HIST_SUB_BITS buckets of equal width. A value read back
 * (a percentile) is the middle of its bucket, so it is within 2^-(OC_HIST_SUB_BITS + 1) of
 * the value recorded (0.4 %), at a fixed 59 KiB whatever the range. Recording is a few shifts
 * and an add; a histogram belongs to one thread (merge them to combine). */
#ifndef OC_HIST_H
#define OC_HIST_H

#include <stdint.h>

#define OC_HIST_SUB_BITS 7u
#define OC_HIST_SUB (1u << OC_HIST_SUB_BITS)
/* Exact buckets [0, OC_HIST_SUB), then OC_HIST_SUB per power of two from 2^SUB_BITS to 2^63. */
#define OC_HIST_BUCKETS (OC_HIST_SUB + (64u - OC_HIST_SUB_BITS) * OC_HIST_SUB)

struct oc_hist {
	uint64_t count;      /* values recorded */
	uint64_t min, max;   /* exact; min UINT64_MAX while empty */
	uint64_t counts[OC_HIST_BUCKETS];
};

/* Empties h. */
void oc_hist_reset(struct oc_hist *h);

/* The bucket of value v. */
static inline uint32_t oc_hist_bucket(uint64_t v)
{
	if (v < OC_HIST_SUB)
		return (uint32_t)v;
	uint32_t top = 63u - (uint32_t)__builtin_clzll(v); /* >= SUB_BITS */
	uint32_t shift = top - OC_HIST_SUB_BITS;
	return OC_HIST_SUB + shift * OC_HIST_SUB + (uint32_t)(v >> shift) - OC_HIST_SUB;
}

static inline void oc_hist_record(struct oc_hist *h, uint64_t v)
{
	h->counts[oc_hist_bucket(v)]++;
	h->count++;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
}

/* The value at quantile q in [0, 1] (nearest rank: the smallest value with at least q of the
 * values at or below it), read as its bucket's middle, kept within [min, max]; q = 1 is the
 * maximum, exactly. 0 when h is empty. */
uint64_t oc_hist_quantile(const struct oc_hist *h, double q);

/* Adds every value of src to dst. */
void oc_hist_merge(struct oc_hist *dst, const struct oc_hist *src);

#endif
