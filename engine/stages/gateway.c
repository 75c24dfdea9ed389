/* gateway.c: the in-process ingress and sequencer. It runs on the submitting application
 * thread, owns the sequence counter and the admission window, stamps each command with its
 * sequence number and a timestamp (the only clock read of the pipeline), and hands it to
 * validate through the cmd ring. */
#include <string.h>
#include <time.h>

#include "stages/stages_internal.h"

/* Commands that may be sequenced now: seq may run at most inflight_max past the last
 * command route has finished (the admission window, docs/architecture.md). */
static uint64_t window_room(struct oc_gateway *g, uint32_t want)
{
	if (g->window_end - g->last_seq < want) {
		/* Pairs with the release store of done_seq in route: route has pushed every
		 * release and answer of commands up to it. */
		uint64_t done = atomic_load_explicit(g->route_done_seq, memory_order_acquire);
		g->window_end = done + g->inflight_max;
	}
	return g->window_end - g->last_seq;
}

int oc_gateway_try_submit(struct oc_gateway *g, struct oc_command *cmds, uint32_t n)
{
	uint64_t room = window_room(g, n);
	if (n > room)
		n = (uint32_t)room;
	uint32_t writable = oc_ring_spsc_writable(g->cmd, n);
	if (n > writable)
		n = writable;
	if (n == 0)
		return 0;

	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now); /* vDSO: no system call */
	uint64_t ts_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	for (uint32_t i = 0; i < n; i++) {
		struct oc_command *c = &cmds[i];
		c->seq = ++g->last_seq;
		if (!g->replaying)
			c->ts_ns = ts_ns;
		uint32_t lines = c->line_count <= OC_ORDER_LINES_MAX ? c->line_count : 0;
		memcpy(oc_ring_spsc_write_slot(g->cmd, i), c,
		       OC_CMD_HEADER_BYTES + lines * sizeof(struct oc_line));
	}
	oc_ring_spsc_commit(g->cmd, n);
	g->commands += n;
	oc_worker_wake(g->wake_validate);
	return (int)n;
}
