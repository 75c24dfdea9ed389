/* error.c: formatting of operating-error messages into caller buffers (see error.h). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

int oc_error_set(char *err, size_t err_bytes, int rc, const char *fmt, ...)
{
	if (err && err_bytes) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_bytes, fmt, ap);
		va_end(ap);
	}
	return rc;
}
