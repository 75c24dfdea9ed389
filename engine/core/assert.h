/* assert.h: the engine's assertions. OC_ASSERT is always on and prints the file, line and
 * expression before aborting; OC_ASSERT_EQ prints both values. OC_DEBUG_ASSERT is for the
 * hottest loops and compiles away unless OC_DEBUG is defined (Debug and sanitizer builds). */
#ifndef OC_ASSERT_H
#define OC_ASSERT_H

#include <stdint.h>

_Noreturn void oc_assert_fail(const char *file, int line, const char *expr);
_Noreturn void oc_assert_fail_eq(const char *file, int line, const char *a_expr,
				 const char *b_expr, uint64_t a, uint64_t b);

#define OC_ASSERT(expr) \
	((expr) ? (void)0 : oc_assert_fail(__FILE__, __LINE__, #expr))

#define OC_ASSERT_EQ(a, b)                                                                \
	do {                                                                              \
		uint64_t oc_a_ = (uint64_t)(a), oc_b_ = (uint64_t)(b);                    \
		if (oc_a_ != oc_b_)                                                       \
			oc_assert_fail_eq(__FILE__, __LINE__, #a, #b, oc_a_, oc_b_);      \
	} while (0)

#ifdef OC_DEBUG
#define OC_DEBUG_ASSERT(expr) OC_ASSERT(expr)
#else
#define OC_DEBUG_ASSERT(expr) ((void)0)
#endif

#endif
