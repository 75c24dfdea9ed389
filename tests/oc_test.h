/* oc_test.h: small helpers shared by the tests: sanitizer detection (to size stress runs),
 * per-test scratch directories under $OC_TEST_TMP, writing a file into one, and removing a
 * tree. */
#ifndef OC_TEST_H
#define OC_TEST_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define OC_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define OC_TEST_SANITIZED 1
#endif
#endif
#ifndef OC_TEST_SANITIZED
#define OC_TEST_SANITIZED 0
#endif

/* A count scaled down under sanitizers, which run concurrency code 5-20x slower. */
static inline unsigned long long oc_test_scaled(unsigned long long plain,
						unsigned long long sanitized)
{
	return OC_TEST_SANITIZED ? sanitized : plain;
}

static int oc_test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes path and everything under it (no shell, no process); a missing path is no error.
 * 0, or -1 with errno. */
static inline int oc_test_rm_tree(const char *path)
{
	if (nftw(path, oc_test_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT)
		return 0;
	return -1;
}

/* Makes a fresh, empty scratch directory $OC_TEST_TMP/<name>.<pid> (or /tmp/...) and writes
 * its path into buf. Returns buf. */
static inline char *oc_test_scratch_dir(char *buf, size_t bytes, const char *name)
{
	const char *base = getenv("OC_TEST_TMP");
	base = base && *base ? base : "/tmp";
	snprintf(buf, bytes, "%s/%s.%d", base, name, (int)getpid());
	if ((mkdir(base, 0755) != 0 && errno != EEXIST) || oc_test_rm_tree(buf) != 0 ||
	    mkdir(buf, 0755) != 0) {
		fprintf(stderr, "cannot make %s\n", buf);
		exit(1);
	}
	return buf;
}

/* Writes text into dir/name, created or truncated. 0, or -1 (errno says why). */
static inline int oc_test_write_file(const char *dir, const char *name, const char *text)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = fputs(text, f) >= 0 ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

#endif
