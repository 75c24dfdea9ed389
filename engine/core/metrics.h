/* metrics.h: live figures that one thread writes and another reads while the engine runs (the
 * admin endpoint's /metrics, docs/operations.md). Owns no data: it is the discipline for
 * fields declared in the structs of their owners.
 *
 * A metric is an _Atomic uint64_t with exactly one writer, its owner (a stage's worker, the
 * server thread). The owner adds with a relaxed load and a relaxed store, which compile to the
 * plain load, add and store of an ordinary counter: no locked instruction, no line shared
 * with another writer. A reader loads relaxed and gets some value the owner stored; figures
 * read one after another are not a consistent cut (a scrape is not a transaction), and each
 * counter only grows. Never use ++ or += on a metric: on an _Atomic that is a locked
 * read-modify-write.
 *
 * Histograms have power-of-two buckets: bucket i counts values in [2^(i-1), 2^i), bucket 0
 * the value 0, and the last everything from 2^(OC_METRIC_BUCKETS - 2) up; exposed as
 * Prometheus histograms, cumulative, with le = 2^i - 1 (integers) in the unit of the value. */
#ifndef OC_METRICS_H
#define OC_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t oc_metric;

/* Values of up to 2^40 (18 minutes in nanoseconds) have a bucket of their own. */
#define OC_METRIC_BUCKETS 42u

struct oc_metric_hist {
	oc_metric bucket[OC_METRIC_BUCKETS];
	oc_metric sum; /* of the values recorded, modulo 2^64 */
};

static inline uint64_t oc_metric_get(const oc_metric *m)
{
	return atomic_load_explicit(m, memory_order_relaxed);
}

static inline void oc_metric_set(oc_metric *m, uint64_t v)
{
	atomic_store_explicit(m, v, memory_order_relaxed);
}

/* The owner only. */
static inline void oc_metric_add(oc_metric *m, uint64_t n)
{
	oc_metric_set(m, oc_metric_get(m) + n);
}

static inline uint32_t oc_metric_bucket(uint64_t v)
{
	uint32_t b = v ? 64u - (uint32_t)__builtin_clzll(v) : 0u;
	return b < OC_METRIC_BUCKETS - 1 ? b : OC_METRIC_BUCKETS - 1;
}

/* The owner only. */
static inline void oc_metric_hist_add(struct oc_metric_hist *h, uint64_t v)
{
	oc_metric_add(&h->bucket[oc_metric_bucket(v)], 1);
	oc_metric_add(&h->sum, v);
}

#endif
