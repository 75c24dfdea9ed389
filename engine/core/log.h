/* log.h: the engine's and the daemon's log, on stderr: one line per event, key=value pairs
 * after a timestamp and a level, `ts=2026-11-27T08:00:00.123Z level=info msg="..." key=value`
 * (docs/operations.md, "Logs"). Owns the least level written, set once before any thread
 * starts; each line goes out in one write(2) of at most PIPE_BUF bytes, so lines from
 * different threads never mix.
 * Lines longer than OC_LOG_LINE_BYTES_MAX are cut (and end with "..."). */
#ifndef OC_LOG_H
#define OC_LOG_H

#define OC_LOG_LINE_BYTES_MAX 2048u

enum oc_log_level {
	OC_LOG_DEBUG,
	OC_LOG_INFO,
	OC_LOG_WARN,
	OC_LOG_ERROR,
	OC_LOG_OFF, /* as the least level: nothing is written (a test that fails on purpose) */
};

/* The least level written (default OC_LOG_INFO). Before any thread that logs starts. */
void oc_log_set_level(enum oc_log_level least);
/* "debug", "info", "warn" or "error" -> the level, else -1. */
int oc_log_level_parse(const char *name);
/* Writes `ts=... level=... ` then the key=value pairs of fmt (printf-style, no newline). */
void oc_log(enum oc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
