/* engine_test.h: hooks for tests only, never called by production code. They reach inside
 * the engine to inject the faults that the real world produces rarely (a disk that fails a
 * write), so that the tests that use them say so in their names. */
#ifndef OC_ENGINE_TEST_H
#define OC_ENGINE_TEST_H

#include "ordercore/ordercore.h"

/* The log's next frame write fails with err (a negative errno, as EIO or ENOSPC from the
 * kernel). Call it while no command is in flight; the next command submitted meets it.
 * -EINVAL if the engine has no log. */
int oc_engine_test_fail_log_write(struct oc_engine *e, int err);

#endif
