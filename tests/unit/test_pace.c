/* test_pace.c: the load generator's rate schedules (loadgen/pace.h): a constant rate spaces
 * commands by 1/R; a ramp's commands are due where the area under the rate says; a step (a
 * burst) changes the spacing at once; after the last point its rate holds; each command is
 * due no earlier than the one before; and what --rate refuses, with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pace.h"

static struct lg_pace p;
static char err[256];

static void parse(const char *spec)
{
	if (lg_pace_parse(spec, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Command i is due at want_s seconds, to the nanosecond. */
static void due(uint64_t i, double want_s)
{
	int64_t got = (int64_t)lg_pace_due_ns(&p, i), want = (int64_t)(want_s * 1e9 + 0.5);
	if (got - want > 1 || want - got > 1)
		fail_msg("command %llu due at %lld ns, want %lld", (unsigned long long)i,
			 (long long)got, (long long)want);
}

static void test_constant(void **state)
{
	parse("1000");
	due(0, 0);
	due(1, 0.001);
	due(999, 0.999);
	due(1000000, 1000);
	parse("0:250.5");
	due(501, 2);
	(void)state;
}

/* 0 to 10 s from 1000/s to 3000/s: 20000 commands by 10 s; then 3000/s. Command n of the ramp
 * is due at the x where 1000 x + 100 x^2 = n (the rate grows by 200/s each second). */
static void test_ramp(void **state)
{
	parse("0:1000,10:3000");
	due(0, 0);
	due(1100, 1); /* 1000 + 100 */
	due(7500, 5); /* 5000 + 2500 */
	due(20000, 10);
	due(23000, 11);
	parse("0:0,2:2000"); /* from nothing: 500 x^2 = n */
	due(500, 1);
	due(2000, 2);
	parse("0:2000,2:0,2:1000"); /* down to nothing, then a step up */
	due(1500, 1);               /* 2000 x - 500 x^2 */
	due(2000, 2);
	due(3000, 3);
	(void)state;
}

/* 100/s for 5 s, a burst at 10000/s for 1 s, back to 100/s. */
static void test_burst(void **state)
{
	parse("0:100,5:100,5:10000,6:10000,6:100");
	due(499, 4.99);
	due(500, 5);
	due(501, 5.0001);
	due(10500, 6);
	due(10600, 7);
	uint64_t last = 0;
	for (uint64_t i = 0; i < 20000; i++) { /* never earlier than the one before */
		uint64_t t = lg_pace_due_ns(&p, i);
		assert_true(t >= last);
		last = t;
	}
	(void)state;
}

static void refused(const char *spec, const char *why)
{
	assert_int_equal(lg_pace_parse(spec, &p, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("'%s': %s, want '%s'", spec, err, why);
}

static void test_refused(void **state)
{
	refused("", "want R or T:R");
	refused("fast", "want R or T:R");
	refused("-5", "want R or T:R");
	refused("0", "the last rate is 0");
	refused("0:100,5:0", "the last rate is 0");
	refused("1:100", "the first point is at time 0");
	refused("0:100,5:200,4:300", "times go back");
	refused("0:100;5:200", "separated by commas");
	refused("0:100,5", "a point is T:R");
	refused("0:1e9", "over 10^8");
	refused("nan", "want R or T:R");
	char many[64 * 8 + 16] = "0:1";
	for (int k = 1; k <= 64; k++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d:1", k);
	refused(many, "more than 64 points");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constant),
	    cmocka_unit_test(test_ramp),
	    cmocka_unit_test(test_burst),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
