/* error.h: the one way the engine writes an operating error's message for its caller: one
 * line into a caller-owned buffer (which may be NULL), returning the error code so that a
 * failing path reads `return oc_error_set(err, err_bytes, -EINVAL, "...", ...)`. */
#ifndef OC_ERROR_H
#define OC_ERROR_H

#include <stddef.h>

int oc_error_set(char *err, size_t err_bytes, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
