/* pace.h: the open-loop pacing of ordercore-loadgen (docs/loadgen.md, "Pacing"): a rate
 * schedule, commands per second over time, and the time each command of the stream is due.
 * Latency is measured from that time, not from when the command could be sent, so a server
 * that stalls is charged for every command it held back (coordinated omission corrected, as
 * wrk2 does). */
#ifndef LG_PACE_H
#define LG_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Points of a schedule at most. */
#define LG_PACE_POINTS_MAX 64u
/* Commands per second at most in a schedule (the load generator sends at most a few
 * million a second over loopback). */
#define LG_PACE_RATE_MAX 100000000.0

/* A schedule: the rate (commands per second) at each point's time (seconds from the start),
 * linear in between, the last rate held after the last point. Two points at the same time
 * make a step (a burst). `due[k]` is the commands due before point k. */
struct lg_pace {
	uint32_t points;
	double t_s[LG_PACE_POINTS_MAX];
	double rate[LG_PACE_POINTS_MAX];
	double due[LG_PACE_POINTS_MAX];
};

/* Reads --rate SPEC: "R" (R a second, from the start) or "T:R,T:R,..." (the first T 0,
 * times not decreasing). 0, or -1 with a one-line reason in err. A rate of 0 is allowed at a
 * point but not everywhere: the schedule must send. */
int lg_pace_parse(const char *spec, struct lg_pace *p, char *err, size_t err_bytes);

/* When command i (from 0) is due, in nanoseconds from the start. */
uint64_t lg_pace_due_ns(const struct lg_pace *p, uint64_t i);

#endif
