/* pace.c: rate schedules and the time each command is due (pace.h). */
#include "pace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(char *err, size_t err_bytes, const char *spec, const char *why)
{
	snprintf(err, err_bytes, "--rate: %s (in '%s')", why, spec);
	return -1;
}

/* A non-negative finite number at *s, which moves past it; false when there is none. */
static bool number(const char **s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(*s, &end);
	if (end == *s || errno || !isfinite(v) || v < 0 || **s == '-' || **s == '+')
		return false;
	*s = end;
	*out = v;
	return true;
}

int lg_pace_parse(const char *spec, struct lg_pace *p, char *err, size_t err_bytes)
{
	const char *s = spec;
	double first;
	p->points = 0;
	if (!number(&s, &first))
		return fail(err, err_bytes, spec, "want R or T:R,T:R,... (seconds, commands/s)");
	if (*s == '\0') { /* a constant rate */
		p->points = 1;
		p->t_s[0] = 0;
		p->rate[0] = first;
	} else {
		for (double t = first;;) {
			double r;
			if (*s++ != ':' || !number(&s, &r))
				return fail(err, err_bytes, spec,
					    "a point is T:R (seconds:commands/s)");
			if (p->points == LG_PACE_POINTS_MAX)
				return fail(err, err_bytes, spec, "more than 64 points");
			if (p->points == 0 && t != 0)
				return fail(err, err_bytes, spec, "the first point is at time 0");
			if (p->points && t < p->t_s[p->points - 1])
				return fail(err, err_bytes, spec, "times go back");
			p->t_s[p->points] = t;
			p->rate[p->points++] = r;
			if (*s == '\0')
				break;
			if (*s++ != ',' || !number(&s, &t))
				return fail(err, err_bytes, spec, "points are separated by commas");
		}
	}
	for (uint32_t k = 0; k < p->points; k++)
		if (p->rate[k] > LG_PACE_RATE_MAX)
			return fail(err, err_bytes, spec, "a rate over 10^8 a second");
	if (!p->rate[p->points - 1])
		return fail(err, err_bytes, spec, "the last rate is 0: the stream would never end");
	p->due[0] = 0;
	for (uint32_t k = 1; k < p->points; k++) /* the area under each segment */
		p->due[k] = p->due[k - 1] +
			    (p->rate[k - 1] + p->rate[k]) / 2 * (p->t_s[k] - p->t_s[k - 1]);
	return 0;
}

uint64_t lg_pace_due_ns(const struct lg_pace *p, uint64_t i)
{
	double n = (double)i;
	uint32_t k = 0; /* the last point with due[k] <= n */
	while (k + 1 < p->points && p->due[k + 1] <= n)
		k++;
	double c = n - p->due[k], t;
	if (k + 1 == p->points) {
		t = p->t_s[k] + c / p->rate[k];
	} else {
		/* Within the segment the rate is r0 + g x, so the commands due by x are
		 * r0 x + g x^2 / 2 = c: x = 2c / (r0 + sqrt(r0^2 + 2 g c)), which holds for g = 0
		 * and loses no precision when g is small. */
		double r0 = p->rate[k];
		double g = (p->rate[k + 1] - r0) / (p->t_s[k + 1] - p->t_s[k]);
		double root = sqrt(fmax(0, r0 * r0 + 2 * g * c)); /* >= r1^2, but for rounding */
		t = p->t_s[k] + (c > 0 ? 2 * c / (r0 + root) : 0);
	}
	double ns = t * 1e9 + 0.5; /* a rate near 0 puts the end past 2^63 ns: held there */
	return ns < 9.2e18 ? (uint64_t)ns : (uint64_t)9.2e18;
}
