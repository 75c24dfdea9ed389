/* test_hist.c: the log-linear histogram (engine/core/hist.h) against exact answers: small
 * values exact; over a million values spread over nine decades (and the ends of the range),
 * every quantile the load generator prints within 1 % of the nearest-rank value of the sorted
 * values; merging two histograms is recording both streams in one; an empty one reads 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/hist.h"
#include "core/rand.h"

static struct oc_hist a, b, both;

static int u64_cmp(const void *x, const void *y)
{
	uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
	return p < q ? -1 : p > q;
}

/* The nearest-rank quantile of sorted v[0..n). */
static uint64_t exact(const uint64_t *v, size_t n, double q)
{
	double want = q * (double)n;
	size_t rank = (size_t)want;
	rank += (double)rank < want || rank == 0;
	return v[(rank > n ? n : rank) - 1];
}

static void test_small_values_exact(void **state)
{
	oc_hist_reset(&a);
	assert_int_equal(oc_hist_quantile(&a, 0.5), 0); /* empty */
	for (uint64_t v = 0; v < OC_HIST_SUB; v++)
		oc_hist_record(&a, v);
	for (uint64_t v = 0; v < OC_HIST_SUB; v++)
		assert_int_equal(oc_hist_quantile(&a, (double)(v + 1) / OC_HIST_SUB), v);
	assert_int_equal(a.min, 0);
	assert_int_equal(a.max, OC_HIST_SUB - 1);
	(void)state;
}

static void test_quantiles_within_one_percent(void **state)
{
	enum { N = 1000000 };
	uint64_t *v = malloc(N * sizeof(uint64_t));
	assert_non_null(v);
	oc_hist_reset(&a);
	uint64_t rng = 42;
	for (size_t i = 0; i < N; i++) {
		/* Log-uniform over 2^3..2^34 ns (8 ns to 17 s), a heavy tail; and the ends of
		 * the range. */
		uint32_t bits = 3 + oc_rand_below(&rng, 31);
		uint64_t x = 1ull << bits | (oc_rand_next(&rng) & ((1ull << bits) - 1));
		v[i] = i == 0 ? 0 : i == 1 ? UINT64_MAX : i == 2 ? (1ull << 63) + 12345 : x;
		oc_hist_record(&a, v[i]);
	}
	qsort(v, N, sizeof(uint64_t), u64_cmp);
	static const double q[] = {0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 1.0};
	for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
		uint64_t want = exact(v, N, q[k]), got = oc_hist_quantile(&a, q[k]);
		double err = want ? ((double)got - (double)want) / (double)want : (double)got;
		if (err > 0.01 || err < -0.01)
			fail_msg("q %.5f: %llu, exact %llu (%.3f%%)", q[k], (unsigned long long)got,
				 (unsigned long long)want, 100 * err);
	}
	assert_true(oc_hist_quantile(&a, 1.0) == UINT64_MAX);
	assert_int_equal(a.count, N);
	free(v);
	(void)state;
}

static void test_merge_is_recording_both(void **state)
{
	oc_hist_reset(&a);
	oc_hist_reset(&b);
	oc_hist_reset(&both);
	uint64_t rng = 7;
	for (int i = 0; i < 100000; i++) {
		uint64_t x = oc_rand_next(&rng) >> oc_rand_below(&rng, 60);
		oc_hist_record(i % 3 ? &a : &b, x);
		oc_hist_record(&both, x);
	}
	oc_hist_merge(&a, &b);
	assert_memory_equal(&a, &both, sizeof(a));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_values_exact),
	    cmocka_unit_test(test_quantiles_within_one_percent),
	    cmocka_unit_test(test_merge_is_recording_both),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
