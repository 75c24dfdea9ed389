/* rand.h: splitmix64, the small deterministic generator behind demo datasets and generated
 * order streams (the same seed gives the same bytes on every machine). Not for secrets. */
#ifndef OC_RAND_H
#define OC_RAND_H

#include <stdint.h>

static inline uint64_t oc_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32). */
static inline uint32_t oc_rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((oc_rand_next(state) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static inline double oc_rand_unit(uint64_t *state)
{
	return (double)(oc_rand_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
