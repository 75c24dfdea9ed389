/* clock.c: owns the process-wide simulated-clock override of core/clock.h. */
#include "core/clock.h"

oc_clock_fn oc_clock_test_override;

void oc_clock_test_set(oc_clock_fn fn)
{
	oc_clock_test_override = fn;
}
