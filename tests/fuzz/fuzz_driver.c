/* fuzz_driver.c: runs a fuzz target (LLVMFuzzerTestOneInput) without libFuzzer, so that every
 * `make test` exercises it with any compiler. It owns the run's inputs: the target's seeds
 * (fuzz_seeds: valid inputs, concatenated into one), the files of the corpus directories it
 * is given, and the mutants it makes of them. Usage:
 *   fuzz_<t> [--corpus DIR]... [--seconds S] [--iterations N]
 *       replays every file of each DIR (the checked-in corpus, tests/fuzz/corpus/<t>), then
 *       runs up to N inputs (default ITERATIONS_DEFAULT) for at most S seconds (default: no
 *       bound), each one a deterministic mutant of the seed or of a corpus file (bit flips,
 *       byte overwrites with boundary values, cuts, 4-byte fields set to boundary values,
 *       pieces repeated elsewhere, the start of one input joined to the end of another);
 *   fuzz_<t> FILE...
 *       runs each file once (to replay a crash libFuzzer or AFL++ found);
 *   fuzz_<t> --write-seed FILE
 *       writes the seed input to FILE (tests/fuzz/corpus/<t>/seed).
 * A failed assertion aborts. The same mutants of the same inputs come in the same order on
 * every run (fuzz_recovery's seed is a log written at run time, with that time in it, so its
 * own mutants differ); a time bound only decides how many of them run. Single-threaded. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rand.h"
#include "fuzz_target.h"

/* Mutants run when no --iterations is given. */
#define ITERATIONS_DEFAULT 3000000ull
/* Corpus files read, in all directories (a checked-in corpus holds a few dozen). */
#define CORPUS_FILES_MAX 1024u
/* Edits that make a mutant of its base, at most. */
#define MUTANT_EDITS_MAX 8u

static const uint32_t boundary[] = {0, 1, 15, 16, 17, 24, 32, 40, 48, 64, 80, 1023, 1024,
				    1025, 0xffff, 0x7fffffff, 0xffffffff};

/* An input the mutants start from: the seed or a corpus file. */
struct base {
	uint8_t *p;
	size_t n;
};

static size_t mutate(uint64_t *rng, const struct base *bases, uint32_t base_count,
		     uint8_t *in)
{
	const struct base *b = &bases[oc_rand_below(rng, base_count)];
	size_t n = b->n;
	memcpy(in, b->p, n);
	uint32_t edits = 1 + (uint32_t)oc_rand_below(rng, MUTANT_EDITS_MAX);
	for (uint32_t e = 0; e < edits && n; e++) {
		size_t at = (size_t)oc_rand_below(rng, n);
		switch (oc_rand_below(rng, 6)) {
		case 0: in[at] ^= (uint8_t)(1u << oc_rand_below(rng, 8)); break;
		case 1: in[at] = (uint8_t)oc_rand_below(rng, 256); break;
		case 2: n = at; break; /* cut */
		case 3: { /* a frame length field (or any 4 bytes) to a boundary value */
			uint32_t v = boundary[oc_rand_below(rng, sizeof(boundary) / 4)];
			if (at + 4 <= n)
				memcpy(in + at, &v, 4);
			break;
		}
		case 4: { /* the end of another base after this one's start */
			const struct base *o = &bases[oc_rand_below(rng, base_count)];
			size_t from = o->n ? (size_t)oc_rand_below(rng, o->n) : 0;
			size_t len = o->n - from;
			len = at + len <= FUZZ_INPUT_BYTES_MAX ? len : FUZZ_INPUT_BYTES_MAX - at;
			memcpy(in + at, o->p + from, len);
			n = at + len;
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

/* Reads a file of at most FUZZ_INPUT_BYTES_MAX bytes (the rest is ignored, as libFuzzer's
 * -max_len would) into a malloc'd base. */
static int read_input(const char *path, struct base *out)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	out->p = malloc(FUZZ_INPUT_BYTES_MAX);
	if (!out->p) {
		fclose(f);
		return -1;
	}
	out->n = fread(out->p, 1, FUZZ_INPUT_BYTES_MAX, f);
	fclose(f);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the files of dir, in name order, to bases[*count..]; -1 when it cannot. */
static int corpus_read(const char *dir, struct base *bases, uint32_t *count)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char *names[CORPUS_FILES_MAX];
	uint32_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && n < CORPUS_FILES_MAX - *count)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	int rc = 0;
	for (uint32_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!rc && read_input(path, &bases[*count]) == 0)
			(*count)++;
		else
			rc = -1;
		free(names[i]);
	}
	return rc;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--corpus DIR]... [--seconds S] [--iterations N] | FILE... | "
			"--write-seed FILE\n", argv0);
	return 2;
}

static int write_seed(const char *path, const uint8_t *seed, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t in[FUZZ_INPUT_BYTES_MAX], seed[FUZZ_INPUT_BYTES_MAX];
	static struct base bases[CORPUS_FILES_MAX + 1];
	uint32_t seeds = 0;
	size_t seed_n = fuzz_seeds(seed, sizeof(seed), &seeds);
	if (seed_n == 0) {
		fprintf(stderr, "%s: its seeds do not check\n", fuzz_name);
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--write-seed") == 0)
		return write_seed(argv[2], seed, seed_n);
	bases[0] = (struct base){seed, seed_n};
	uint32_t base_count = 1, files = 0;
	unsigned long long iterations = ITERATIONS_DEFAULT;
	double seconds = 0;
	for (int i = 1; i < argc; i++) {
		bool arg = i + 1 < argc;
		if (arg && strcmp(argv[i], "--corpus") == 0) {
			if (corpus_read(argv[++i], bases, &base_count) != 0)
				return 2;
		} else if (arg && strcmp(argv[i], "--seconds") == 0) {
			seconds = strtod(argv[++i], NULL);
		} else if (arg && strcmp(argv[i], "--iterations") == 0) {
			iterations = strtoull(argv[++i], NULL, 10);
		} else if (argv[i][0] == '-') {
			return usage(argv[0]);
		} else { /* a file to replay */
			struct base f;
			if (read_input(argv[i], &f) != 0)
				return 2;
			LLVMFuzzerTestOneInput(f.p, f.n);
			free(f.p);
			files++;
		}
	}
	if (files)
		return 0;
	double start = now_s();
	for (uint32_t i = 0; i < base_count; i++) /* the seed and the corpus as they are */
		LLVMFuzzerTestOneInput(bases[i].p, bases[i].n);
	uint64_t rng = 0x5eedf00d;
	unsigned long long done = 0;
	while (done < iterations && (seconds <= 0 || now_s() - start < seconds)) {
		size_t n = mutate(&rng, bases, base_count, in);
		LLVMFuzzerTestOneInput(in, n);
		done++;
	}
	printf("%s: %u corpus inputs and the seed (%u seeds) replayed, then %llu mutants in "
	       "%.1f s, no failure\n", fuzz_name, base_count - 1, seeds, done, now_s() - start);
	for (uint32_t i = 1; i < base_count; i++)
		free(bases[i].p);
	return 0;
}
