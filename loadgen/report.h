/* report.h: the HTML report of ordercore-loadgen (--report FILE.html; docs/loadgen.md,
 * "Report"): one self-contained page, no script or style fetched from anywhere, with SVG
 * charts drawn here of what a run sampled each second — throughput, latency percentiles,
 * commands in flight, the stock left of the hottest SKUs — and of its answers by outcome and
 * reason, and a table of the summary. The run that samples owns the report. */
#ifndef LG_REPORT_H
#define LG_REPORT_H

#include <stdint.h>

#include "ordercore/ordercore.h"

/* The hottest SKUs whose stock the report follows. */
#define LG_REPORT_SKUS 5u
/* Rows of the summary table at most. */
#define LG_REPORT_ROWS_MAX 24u
#define LG_REPORT_TEXT_BYTES 160u

/* What a run saw in one second (or the last part of one), taken at its end. */
struct lg_sample {
	double t_s;                  /* seconds from the start */
	double sent_per_s, answered_per_s;
	uint64_t p50_ns, p99_ns, p999_ns; /* of that second's answers; 0: none */
	uint64_t in_flight;          /* sent, not answered yet */
	int64_t stock[LG_REPORT_SKUS]; /* units left of each followed SKU, by the answers */
};

struct lg_report {
	char title[LG_REPORT_TEXT_BYTES];
	struct lg_sample *samples;
	uint32_t count, cap;
	uint32_t skus;                       /* followed: [0, skus) */
	uint64_t sku_id[LG_REPORT_SKUS];     /* their numbers (skus.csv) */
	/* Answers by outcome: accepted, cancelled, answered from an earlier key, and rejected by
	 * reason. */
	uint64_t accepted, cancelled, duplicates;
	uint64_t rejected[OC_REJECT_REASON_COUNT];
	uint32_t rows;
	char row_name[LG_REPORT_ROWS_MAX][LG_REPORT_TEXT_BYTES];
	char row_value[LG_REPORT_ROWS_MAX][LG_REPORT_TEXT_BYTES];
};

/* Appends a sample; -ENOMEM when it cannot grow (the report then misses it). */
int lg_report_sample(struct lg_report *r, const struct lg_sample *s);

/* Adds a row to the summary table (name and a printf-formatted value); beyond
 * LG_REPORT_ROWS_MAX rows are dropped. */
void lg_report_row(struct lg_report *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes the page to path: 0, or -errno with a message on stderr. */
int lg_report_write(const struct lg_report *r, const char *path);

void lg_report_free(struct lg_report *r);

#endif
