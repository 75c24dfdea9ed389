/* gateway.c: the in-process ingress and sequencer. It runs on the submitting application
 * thread, owns the sequence counter and the admission window, stamps each command with its
 * sequence number and a timestamp (the only clock read of the pipeline), and hands it to
 * validate through the cmd ring. It also inserts the snapshot barriers, and the ticks that
 * carry the time to route when a payment lease is due. */
#include <string.h>

#include "core/clock.h"
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

/* True when a snapshot barrier should go in before the next command. */
static bool barrier_due(const struct oc_gateway *g, uint64_t now_ns)
{
	uint64_t since = g->last_seq - g->barrier_seq;
	return g->barriers && !g->replaying && since &&
	       (g->barrier_requested || (g->barrier_records && since >= g->barrier_records) ||
		(g->barrier_interval_ns && now_ns - g->barrier_ns >= g->barrier_interval_ns));
}

/* Sequences one of the sequencer's own commands (a barrier, a tick), which carries nothing but
 * its type and timestamp; the caller made sure the ring has room. Its sequence number. */
static uint64_t own_command(struct oc_gateway *g, uint8_t type, uint64_t now_ns)
{
	struct oc_command *c = oc_ring_spsc_write_slot(g->cmd, 0);
	memset(c, 0, OC_CMD_HEADER_BYTES);
	c->type = type;
	c->seq = ++g->last_seq;
	c->ts_ns = now_ns;
	oc_ring_spsc_commit(g->cmd, 1);
	oc_worker_wake(g->wake_validate);
	return c->seq;
}

/* Inserts the barrier once route has finished every command before it (docs/architecture.md,
 * "Snapshots"); false, having done nothing, while it has not. */
static bool barrier_insert(struct oc_gateway *g, uint64_t now_ns)
{
	/* Pairs with the release store of done_seq in route, as in window_room. */
	uint64_t done = atomic_load_explicit(g->route_done_seq, memory_order_acquire);
	if (done != g->last_seq || oc_ring_spsc_writable(g->cmd, 1) < 1)
		return false;
	g->window_end = done + g->inflight_max;
	g->barrier_seq = own_command(g, OC_CMD_SNAPSHOT, now_ns);
	g->barrier_ns = now_ns;
	g->barrier_requested = false;
	return true;
}

/* Inserts a tick when the clock has passed the earliest lease deadline route published, at
 * most one a millisecond. The deadline is only a hint (read relaxed): what expires is decided
 * by route from the tick's logged timestamp. */
static void tick_insert(struct oc_gateway *g, uint64_t now_ns)
{
	uint64_t next_ms = atomic_load_explicit(g->lease_next_ms, memory_order_relaxed);
	if (g->replaying || !next_ms || now_ns / 1000000u < next_ms ||
	    now_ns - g->tick_ns < 1000000u || window_room(g, 1) < 1 ||
	    oc_ring_spsc_writable(g->cmd, 1) < 1)
		return;
	own_command(g, OC_CMD_TICK, now_ns);
	g->tick_ns = now_ns;
}

int oc_gateway_try_submit(struct oc_gateway *g, struct oc_command *cmds, uint32_t n)
{
	uint64_t ts_ns = oc_clock_realtime_ns();
	if (barrier_due(g, ts_ns) && !barrier_insert(g, ts_ns))
		return 0; /* nothing is admitted until the pipeline has drained for the barrier */
	tick_insert(g, ts_ns);

	if (g->barriers && g->barrier_records && !g->replaying) {
		/* A burst stops where the next barrier is due, so that barriers fall every
		 * barrier_records commands whatever the bursts. */
		uint64_t since = g->last_seq - g->barrier_seq;
		uint64_t left = since < g->barrier_records ? g->barrier_records - since : 0;
		if (n > left)
			n = (uint32_t)left;
	}
	uint64_t room = window_room(g, n);
	if (n > room)
		n = (uint32_t)room;
	uint32_t writable = oc_ring_spsc_writable(g->cmd, n);
	if (n > writable)
		n = writable;
	if (n == 0)
		return 0;

	for (uint32_t i = 0; i < n; i++) {
		struct oc_command *c = &cmds[i];
		c->seq = ++g->last_seq;
		if (!g->replaying)
			c->ts_ns = ts_ns;
		struct oc_command *slot = oc_ring_spsc_write_slot(g->cmd, i);
		oc_command_copy(slot, c);
		if ((c->type == OC_CMD_SNAPSHOT || c->type == OC_CMD_TICK) && !g->replaying)
			slot->type = 0; /* only the sequencer makes these: malformed */
	}
	oc_ring_spsc_commit(g->cmd, n);
	g->commands += n;
	oc_worker_wake(g->wake_validate);
	return (int)n;
}
