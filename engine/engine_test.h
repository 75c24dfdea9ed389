/* engine_test.h: hooks for tests only, never called by production code. They reach inside
 * the engine to inject the faults that the real world produces rarely (a disk that fails a
 * write), so that the tests that use them say so in their names. */
#ifndef OC_ENGINE_TEST_H
#define OC_ENGINE_TEST_H

#include <stdint.h>

#include "ordercore/ordercore.h"

/* The log's next frame write fails with err (a negative errno, as EIO or ENOSPC from the
 * kernel). Call it while no command is in flight; the next command submitted meets it.
 * -EINVAL if the engine has no log. */
int oc_engine_test_fail_log_write(struct oc_engine *e, int err);

/* The process kills itself with SIGKILL when a snapshot reaches `step` (enum oc_snap_step in
 * wal/snapshot.h, 1..6; 0: off), as a crash at that step of the snapshot protocol would.
 * Process-wide: for a test's child process. */
void oc_engine_test_crash_at_snapshot_step(int step);

/* Snapshots committed or abandoned so far by the running engine's snapshot writer (they are
 * written in the background: a test waits on this before it arms the crash hook). */
uint64_t oc_engine_test_snapshots_finished(const struct oc_engine *e);

/* The deterministic simulation's topology (tests/sim): starts the engine with no thread at
 * all; nothing moves until the caller runs oc_engine_test_step, and submit, poll, step and
 * stop all run on the caller's one thread. Recovery's replay runs the turns itself. The
 * snapshot writer is a thread, so a journaled engine must have every snapshot trigger off
 * (snapshot_records, snapshot_interval_ms, snapshot_on_stop: -EINVAL otherwise). */
int oc_engine_test_start_stepped(struct oc_engine *e);

/* One turn of every worker's stages, in pipeline order; the messages moved. */
uint32_t oc_engine_test_step(struct oc_engine *e);

/* The last sequence number the sequencer gave (the caller's commands and its own ticks). */
uint64_t oc_engine_test_last_seq(const struct oc_engine *e);

/* From now on the engine takes commands as recovery feeds it a log: each keeps its own
 * timestamp, the sequencer's own commands (ticks) are accepted from the caller, and it
 * inserts none itself. A history so fed is decided exactly as it was the first time (the
 * simulation's fault-free engine). */
void oc_engine_test_feed_history(struct oc_engine *e);

#endif
