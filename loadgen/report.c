/* report.c: the HTML report (report.h): the samples a run took, drawn as SVG line charts with
 * axes and legends; the answers by outcome as a bar chart; the summary as a table. The page
 * holds everything it shows (inline CSS and SVG) and a few lines of script that only mark,
 * once the page is laid out, how many charts have drawn something (tests/cli's headless
 * Chromium check reads it). */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chart's size and the room for its axes' labels, in SVG units (pixels). */
#define W 760.0
#define H 260.0
#define LEFT 72.0
#define RIGHT 16.0
#define TOP 46.0
#define BOTTOM 40.0

static const char *const palette[] = {"#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c",
				      "#0891b2"};

int lg_report_sample(struct lg_report *r, const struct lg_sample *s)
{
	if (r->count == r->cap) {
		uint32_t cap = r->cap ? 2 * r->cap : 64;
		struct lg_sample *grown = realloc(r->samples, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->samples = grown;
		r->cap = cap;
	}
	r->samples[r->count++] = *s;
	return 0;
}

void lg_report_row(struct lg_report *r, const char *name, const char *fmt, ...)
{
	if (r->rows == LG_REPORT_ROWS_MAX)
		return;
	snprintf(r->row_name[r->rows], LG_REPORT_TEXT_BYTES, "%s", name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->row_value[r->rows], LG_REPORT_TEXT_BYTES, fmt, ap);
	va_end(ap);
	r->rows++;
}

void lg_report_free(struct lg_report *r)
{
	free(r->samples);
	r->samples = NULL;
	r->count = r->cap = 0;
}

/* Text into HTML, escaped. */
static void text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A tick step of 1, 2 or 5 times a power of ten that cuts [0, max] into at most 5. */
static double tick_step(double max)
{
	double raw = max / 5, unit = pow(10, floor(log10(raw)));
	return raw <= unit ? unit : raw <= 2 * unit ? 2 * unit : raw <= 5 * unit ? 5 * unit
										  : 10 * unit;
}

/* What a line chart draws of a sample. */
enum quantity { SENT, ANSWERED, P50, P99, P999, IN_FLIGHT, STOCK };

static double value(const struct lg_sample *s, enum quantity q, uint32_t k)
{
	switch (q) {
	case SENT: return s->sent_per_s;
	case ANSWERED: return s->answered_per_s;
	case P50: return (double)s->p50_ns / 1e6;
	case P99: return (double)s->p99_ns / 1e6;
	case P999: return (double)s->p999_ns / 1e6;
	case IN_FLIGHT: return (double)s->in_flight;
	default: return s->stock[k] > 0 ? (double)s->stock[k] : 0;
	}
}

struct series {
	char name[48];
	enum quantity q;
	uint32_t k; /* STOCK: which SKU */
};

static void chart_open(FILE *f, const char *id, const char *title)
{
	fprintf(f, "<figure><svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
		   "role=\"img\" aria-label=\"", id, W, H);
	text(f, title);
	fprintf(f, "\"><text class=\"title\" x=\"%.0f\" y=\"18\">", LEFT);
	text(f, title);
	fputs("</text>\n", f);
}

/* A line chart of the samples: x the seconds, y from 0 to the largest value, a polyline and a
 * legend entry per series. */
static void line_chart(FILE *f, const struct lg_report *r, const char *id, const char *title,
		       const char *unit, const struct series *s, uint32_t n)
{
	double xmax = r->count ? r->samples[r->count - 1].t_s : 1, ymax = 0;
	for (uint32_t i = 0; i < r->count; i++)
		for (uint32_t j = 0; j < n; j++) {
			double v = value(&r->samples[i], s[j].q, s[j].k);
			ymax = v > ymax ? v : ymax;
		}
	xmax = xmax > 0 ? xmax : 1;
	ymax = ymax > 0 ? ymax : 1;
	double ystep = tick_step(ymax), xstep = tick_step(xmax);
	ymax = ceil(ymax / ystep) * ystep;
	double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
	chart_open(f, id, title);
	for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
		double py = TOP + ph - y / ymax * ph;
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
			   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			LEFT, W - RIGHT, py, py, LEFT - 6, py + 4, y);
	}
	for (double x = 0; x <= xmax + xstep / 2; x += xstep)
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g"
			   "</text>\n", LEFT + x / xmax * pw, TOP + ph + 16, x);
	fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">seconds"
		   "</text><text class=\"axis\" x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 "
		   "%.1f)\" text-anchor=\"middle\">", LEFT + pw / 2, H - 4, TOP + ph / 2,
		TOP + ph / 2);
	text(f, unit);
	fputs("</text>\n", f);
	for (uint32_t j = 0; j < n; j++) {
		const char *color = palette[j % (sizeof(palette) / sizeof(palette[0]))];
		fprintf(f, "<polyline class=\"series\" stroke=\"%s\" points=\"", color);
		for (uint32_t i = 0; i < r->count; i++) {
			const struct lg_sample *p = &r->samples[i];
			fprintf(f, "%.1f,%.1f ", LEFT + p->t_s / xmax * pw,
				TOP + ph - value(p, s[j].q, s[j].k) / ymax * ph);
		}
		double lx = LEFT + 8 + j * (pw / (n > 3 ? n : 3));
		fprintf(f, "\"/><rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"4\" fill=\"%s\"/>"
			   "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", lx, TOP - 17, color, lx + 16,
			TOP - 12);
		text(f, s[j].name);
		fputs("</text>\n", f);
	}
	fputs("</svg></figure>\n", f);
}

/* The answers by outcome and reason, a horizontal bar each, longest first as they come. */
static void answers_chart(FILE *f, const struct lg_report *r)
{
	const char *name[3 + OC_REJECT_REASON_COUNT];
	uint64_t count[3 + OC_REJECT_REASON_COUNT], max = 1;
	uint32_t n = 0;
	name[n] = "accepted";
	count[n++] = r->accepted;
	name[n] = "cancelled";
	count[n++] = r->cancelled;
	name[n] = "retries (an earlier key)";
	count[n++] = r->duplicates;
	for (uint32_t k = 1; k < OC_REJECT_REASON_COUNT; k++)
		if (r->rejected[k]) {
			name[n] = oc_reject_reason_name((uint8_t)k);
			count[n++] = r->rejected[k];
		}
	for (uint32_t i = 0; i < n; i++)
		max = count[i] > max ? count[i] : max;
	double bar = 22, left = 200, height = TOP + n * bar + 12, width = W - left - 90;
	fprintf(f, "<figure><svg class=\"chart\" id=\"answers\" viewBox=\"0 0 %.0f %.0f\" "
		   "role=\"img\" aria-label=\"answers by outcome and reason\"><text class=\"title\" "
		   "x=\"%.0f\" y=\"20\">Answers by outcome and reason</text>\n", W, height, LEFT);
	for (uint32_t i = 0; i < n; i++) {
		double y = TOP + i * bar, len = (double)count[i] / (double)max * width;
		const char *color = i == 0 ? palette[2] : i < 3 ? palette[0] : palette[1];
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s"
			   "</text><rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			   "height=\"%.1f\" fill=\"%s\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%"
			   PRIu64 "</text>\n", left - 8, y + 15, name[i], left, y + 3,
			len > 1 ? len : 1, bar - 6, color, left + (len > 1 ? len : 1) + 6, y + 15,
			count[i]);
	}
	fputs("</svg></figure>\n", f);
}

static const char style[] =
	"body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:820px;color:#111}"
	"h1{font-size:1.4em}figure{margin:1.5em 0}svg.chart{width:100%;height:auto;"
	"background:#fafafa;border:1px solid #ddd}.title{font-weight:600;font-size:14px}"
	".tick,.legend,.axis{font-size:12px;fill:#333}.grid{stroke:#e5e5e5}"
	".series{fill:none;stroke-width:2}table{border-collapse:collapse}"
	"td{padding:2px 14px 2px 0;vertical-align:top}td:first-child{color:#555}";

/* Marks, once laid out, how many charts drew a line of two points or more, or a bar. */
static const char check[] =
	"document.addEventListener('DOMContentLoaded',()=>{const c=[...document.querySelectorAll("
	"'svg.chart')];const drawn=c.filter(s=>s.getBBox().width>0&&([...s.querySelectorAll("
	"'polyline')].some(p=>p.points.numberOfItems>1)||s.querySelector('rect.bar')));const d="
	"document.createElement('div');d.id='rendered';d.dataset.charts=c.length;d.dataset.drawn="
	"drawn.length;document.body.appendChild(d);});";

int lg_report_write(const struct lg_report *r, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		int rc = -errno;
		fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
		return rc;
	}
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>", f);
	text(f, r->title);
	fprintf(f, "</title><style>%s</style></head><body>\n<h1>", style);
	text(f, r->title);
	fputs("</h1>\n<table>\n", f);
	for (uint32_t i = 0; i < r->rows; i++) {
		fputs("<tr><td>", f);
		text(f, r->row_name[i]);
		fputs("</td><td>", f);
		text(f, r->row_value[i]);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	struct series rate[] = {{"sent", SENT, 0}, {"answered", ANSWERED, 0}};
	struct series latency[] = {{"p50", P50, 0}, {"p99", P99, 0}, {"p99.9", P999, 0}};
	struct series flight[] = {{"in flight", IN_FLIGHT, 0}};
	struct series stock[LG_REPORT_SKUS];
	for (uint32_t k = 0; k < r->skus; k++) {
		stock[k] = (struct series){.q = STOCK, .k = k};
		snprintf(stock[k].name, sizeof(stock[k].name), "SKU %" PRIu64, r->sku_id[k]);
	}
	line_chart(f, r, "throughput", "Throughput", "commands a second", rate, 2);
	line_chart(f, r, "latency", "Latency of each second's answers", "milliseconds", latency,
		   3);
	line_chart(f, r, "in_flight", "Commands in flight", "commands", flight, 1);
	line_chart(f, r, "stock", "Stock left of the hottest SKUs", "units", stock, r->skus);
	answers_chart(f, r);
	fprintf(f, "<script>%s</script>\n</body></html>\n", check);
	if (fclose(f) != 0) {
		fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	return 0;
}
