/* fuzz_util.h: what the fuzz targets that read files share (fuzz_server.c, fuzz_recovery.c,
 * fuzz_dataset.c): a process-wide scratch directory, writing an input's pieces into files,
 * removing a tree, and the tiny dataset the engine-backed targets run on. It owns no state
 * beyond the directories it makes; single-threaded, as a fuzz target is. */
#ifndef OC_FUZZ_UTIL_H
#define OC_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../oc_test.h" /* oc_test_rm_tree */
#include "data/carriers.h"
#include "data/dataset.h"
#include "data/screening.h"

#define FUZZ_ASSERT(x) \
	do { \
		if (!(x)) { \
			fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #x); \
			abort(); \
		} \
	} while (0)

/* Longest path the targets build under their scratch directory, bytes. */
#define FUZZ_PATH_BYTES 512u

/* snprintf into the array buf, which must hold the whole text. */
#define FUZZ_PRINT(buf, ...) \
	FUZZ_ASSERT((size_t)snprintf(buf, sizeof(buf), __VA_ARGS__) < sizeof(buf))

/* Removes path and everything under it; a missing path is no error. */
static inline void fuzz_rm_tree(const char *path)
{
	FUZZ_ASSERT(oc_test_rm_tree(path) == 0);
}

static char fuzz_scratch_path[FUZZ_PATH_BYTES - 64];

static void fuzz_scratch_remove(void) { fuzz_rm_tree(fuzz_scratch_path); }

/* The process's scratch directory, made at the first call (under $OC_TEST_TMP, which ctest
 * sets, else $TMPDIR, else /tmp) and removed at exit. A run that crashes leaves it behind. */
static inline const char *fuzz_scratch(void)
{
	if (fuzz_scratch_path[0])
		return fuzz_scratch_path;
	const char *base = getenv("OC_TEST_TMP");
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	mkdir(base, 0755); /* ctest's may not exist yet */
	FUZZ_PRINT(fuzz_scratch_path, "%s/ocfuzz.XXXXXX", base);
	FUZZ_ASSERT(mkdtemp(fuzz_scratch_path) != NULL);
	atexit(fuzz_scratch_remove);
	return fuzz_scratch_path;
}

/* Writes n bytes into dir/name, created or truncated. */
static inline void fuzz_write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[FUZZ_PATH_BYTES];
	FUZZ_PRINT(path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(n == 0 || write(fd, p, n) == (ssize_t)n);
	FUZZ_ASSERT(close(fd) == 0);
}

/* Writes the dataset the engine-backed targets run on into dir (made if missing): a demo
 * catalog of 6 SKUs (100001..100006, the first two hot with a limit of 2) in 3 warehouses,
 * with the demo fraud screening and carriers, so that every kind of command has something to
 * act on. */
static inline void fuzz_dataset_write(const char *dir)
{
	struct oc_demo_params p = {.skus = 6, .warehouses = 3, .stock_per_sku = 40,
				   .hot_skus = 2, .hot_limit = 2, .hot_stock = 5, .seed = 7};
	char err[256];
	FUZZ_ASSERT(oc_dataset_write_demo(dir, &p, err, sizeof(err)) == 0);
	FUZZ_ASSERT(oc_screening_write_demo(dir, err, sizeof(err)) == 0);
	FUZZ_ASSERT(oc_carriers_write_demo(dir, err, sizeof(err)) == 0);
}

#endif
