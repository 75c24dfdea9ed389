/* log.c: the log (see log.h). */
#include "core/log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One write(2) of at most PIPE_BUF bytes to a pipe is atomic: lines from threads never mix. */
_Static_assert(OC_LOG_LINE_BYTES_MAX <= PIPE_BUF, "a log line is one atomic write");

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static enum oc_log_level least = OC_LOG_INFO;

void oc_log_set_level(enum oc_log_level l)
{
	least = l;
}

int oc_log_level_parse(const char *name)
{
	for (int l = OC_LOG_DEBUG; l <= OC_LOG_ERROR; l++)
		if (strcmp(name, level_names[l]) == 0)
			return l;
	return -1;
}

void oc_log(enum oc_log_level level, const char *fmt, ...)
{
	if (level < least)
		return;
	char line[OC_LOG_LINE_BYTES_MAX];
	struct timespec now;
	struct tm utc;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	size_t n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &utc);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s ",
			      now.tv_nsec / 1000000, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int body = vsnprintf(line + n, sizeof(line) - n, fmt, ap); /* its NUL: the newline's room */
	va_end(ap);
	if (body < 0)
		body = 0;
	if ((size_t)body >= sizeof(line) - n) { /* cut: say so, in the last 3 bytes before '\n' */
		n = sizeof(line) - 4;
		memcpy(line + n, "...", 3);
		n += 3;
	} else {
		n += (size_t)body;
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n); /* one write: lines never interleave */
	(void)w; /* nowhere to report a failure to log */
}
