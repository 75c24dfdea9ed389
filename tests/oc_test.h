/* oc_test.h: small helpers shared by the tests: sanitizer detection (to size stress runs),
 * per-test scratch directories under $OC_TEST_TMP, and writing a file into one. */
#ifndef OC_TEST_H
#define OC_TEST_H

#include <stdio.h>
#include <stdlib.h>
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

/* Makes a fresh, empty scratch directory $OC_TEST_TMP/<name>.<pid> (or /tmp/...) and writes
 * its path into buf. Returns buf. */
static inline char *oc_test_scratch_dir(char *buf, size_t bytes, const char *name)
{
	const char *base = getenv("OC_TEST_TMP");
	snprintf(buf, bytes, "%s/%s.%d", base && *base ? base : "/tmp", name, (int)getpid());
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", buf, buf);
	if (system(cmd) != 0) {
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
