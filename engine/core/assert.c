/* assert.c: the reporting side of OC_ASSERT: one line on stderr, then abort(). */
#include "core/assert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void oc_assert_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "level=fatal msg=\"assertion failed\" file=%s line=%d expr=\"%s\"\n",
		file, line, expr);
	abort();
}

void oc_assert_fail_eq(const char *file, int line, const char *a_expr, const char *b_expr,
		       uint64_t a, uint64_t b)
{
	fprintf(stderr,
		"level=fatal msg=\"assertion failed\" file=%s line=%d expr=\"%s == %s\" "
		"left=%" PRIu64 " right=%" PRIu64 "\n",
		file, line, a_expr, b_expr, a, b);
	abort();
}
