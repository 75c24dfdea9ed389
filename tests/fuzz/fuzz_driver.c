/* fuzz_driver.c: runs a fuzz target (LLVMFuzzerTestOneInput) without libFuzzer, so that every
 * `make test` exercises it with any compiler: with file arguments it runs each file once (to
 * replay a crash libFuzzer found); without, it runs ITERATIONS inputs made from the target's
 * seeds (fuzz_seeds: valid inputs, concatenated) by a deterministic mutator (bit flips, byte
 * overwrites with boundary values, cuts, splices of two places, 4-byte fields set to boundary
 * values). A failed assertion aborts. `--write-seed FILE` writes the seeds (as one input) to
 * FILE instead: the start of the corpus `make fuzz` gives libFuzzer (tests/fuzz/run.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "fuzz_target.h"

#define ITERATIONS 3000000

static const uint32_t boundary[] = {0, 1, 15, 16, 17, 24, 32, 40, 48, 64, 80, 1023, 1024,
				    1025, 0xffff, 0x7fffffff, 0xffffffff};

static size_t mutate(uint64_t *rng, const uint8_t *seed, size_t seed_n, uint8_t *in)
{
	size_t n = seed_n;
	memcpy(in, seed, n);
	uint32_t edits = 1 + (uint32_t)oc_rand_below(rng, 8);
	for (uint32_t e = 0; e < edits && n; e++) {
		size_t at = (size_t)oc_rand_below(rng, n);
		switch (oc_rand_below(rng, 5)) {
		case 0: in[at] ^= (uint8_t)(1u << oc_rand_below(rng, 8)); break;
		case 1: in[at] = (uint8_t)oc_rand_below(rng, 256); break;
		case 2: n = at; break; /* cut */
		case 3: { /* a frame length field (or any 4 bytes) to a boundary value */
			uint32_t v = boundary[oc_rand_below(rng, sizeof(boundary) / 4)];
			if (at + 4 <= n)
				memcpy(in + at, &v, 4);
			break;
		}
		default: { /* splice: repeat a piece of the input at another place */
			size_t from = (size_t)oc_rand_below(rng, n), len = (size_t)oc_rand_below(rng, 64);
			if (from + len <= n && at + len <= FUZZ_INPUT_BYTES_MAX) {
				memmove(in + at, in + from, len);
				n = at + len > n ? at + len : n;
			}
		}
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t in[FUZZ_INPUT_BYTES_MAX], seed[FUZZ_INPUT_BYTES_MAX];
	uint32_t seeds = 0;
	size_t seed_n = fuzz_seeds(seed, sizeof(seed), &seeds);
	if (seed_n == 0) {
		fprintf(stderr, "%s: its seeds do not check\n", fuzz_name);
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--write-seed") == 0) {
		FILE *f = fopen(argv[2], "wb");
		if (!f || fwrite(seed, 1, seed_n, f) != seed_n || fclose(f) != 0) {
			perror(argv[2]);
			return 2;
		}
		return 0;
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			if (!f) {
				perror(argv[i]);
				return 2;
			}
			size_t n = fread(in, 1, sizeof(in), f);
			fclose(f);
			LLVMFuzzerTestOneInput(in, n);
		}
		return 0;
	}
	LLVMFuzzerTestOneInput(seed, seed_n);
	uint64_t rng = 0x5eedf00d;
	for (uint32_t i = 0; i < ITERATIONS; i++) {
		size_t n = mutate(&rng, seed, seed_n, in);
		LLVMFuzzerTestOneInput(in, n);
	}
	printf("%s: %u mutated inputs from %u seeds, no failure\n", fuzz_name, ITERATIONS, seeds);
	return 0;
}
