/* egress.c: the egress stage and the application's side of the response ring. Egress moves
 * route's answers to the response ring the application polls, each only once the journal's
 * durable_seq covers the command that caused it, and drops the answers of recovery's replay,
 * of snapshot barriers and of ticks; it wakes a poller that sleeps (armed) on the response
 * eventfd. It owns no table. The poller runs on the application thread that calls
 * oc_engine_poll_burst. */
#include <sys/eventfd.h>

#include "stages/stages_internal.h"

/* The armed flag is a handshake with no lost wake-up: the poller stores armed = 1, then
 * (full fence) looks at the ring; egress commits to the ring, then (full fence) looks at
 * armed. Of the two fences one comes first, so either the poller sees the responses or
 * egress sees the flag. */
static void wake_poller(struct oc_egress *e)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(e->armed, memory_order_relaxed) &&
	    atomic_exchange_explicit(e->armed, 0, memory_order_relaxed))
		eventfd_write(e->wake_fd, 1); /* EAGAIN at the counter's limit: still readable */
}

int oc_poller_arm(struct oc_poller *p)
{
	atomic_store_explicit(&p->armed, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return oc_ring_spsc_readable(p->responses, 1) > 0;
}

uint32_t oc_egress_step(void *arg)
{
	struct oc_egress *e = arg;
	/* Pairs with the release store of durable_seq in the journal. */
	/* Pairs with the release store of `failed` in the journal: after it, durable_seq no
	 * longer moves, and every answer past it is turned into "unavailable". */
	bool failed = e->log_failed && atomic_load_explicit(e->log_failed, memory_order_acquire);
	uint64_t durable = e->durable_seq
				   ? atomic_load_explicit(e->durable_seq, memory_order_acquire)
				   : UINT64_MAX;
	uint32_t n = oc_ring_spsc_readable(e->out, OC_STAGE_BURST_MAX);
	if (n > OC_STAGE_BURST_MAX)
		n = OC_STAGE_BURST_MAX;
	uint32_t room = oc_ring_spsc_writable(e->responses, n);
	uint32_t taken = 0, put = 0;
	for (; taken < n; taken++) {
		const struct oc_response *r = oc_ring_spsc_read_slot(e->out, taken);
		bool lost = r->seq > durable;
		if (lost && !failed)
			break; /* answers are in sequence order: the rest wait too */
		if (r->seq <= e->mute_seq || r->type == OC_CMD_SNAPSHOT || r->type == OC_CMD_TICK)
			continue; /* recovery's replay, a barrier or a tick: nobody asked */
		if (lost && (r->flags & OC_RESPONSE_UNSOLICITED))
			continue; /* the engine's own decision, never durable: a restart undoes it */
		if (lost && (r->flags & OC_RESPONSE_ROW))
			continue; /* its query is answered unavailable: no rows */
		if (put == room)
			break;
		struct oc_response *a = oc_ring_spsc_write_slot(e->responses, put++);
		*a = *r;
		if (lost) {
			/* Decided in memory, never made durable: not done, as a restart will show. */
			*a = (struct oc_response){.seq = r->seq, .key = r->key,
						  .original_seq = r->seq, .type = r->type,
						  .status = OC_STATUS_REJECTED,
						  .reason = OC_REJECT_UNAVAILABLE};
			oc_metric_add(&e->unavailable, 1);
		}
	}
	if (taken == 0)
		return 0;
	if (put) {
		oc_ring_spsc_commit(e->responses, put);
		wake_poller(e);
	}
	oc_ring_spsc_release(e->out, taken);
	e->forwarded += put;
	/* Route may have ended a turn on a full out ring. */
	oc_worker_wake(e->wake_route);
	return taken;
}

int oc_poller_poll(struct oc_poller *p, struct oc_response *out, uint32_t n)
{
	uint32_t got = oc_ring_spsc_try_pop_burst(p->responses, out, n);
	if (got) {
		p->responses_polled += got;
		/* Egress may have ended a turn on a full response ring. */
		oc_worker_wake(p->wake_egress);
	}
	return (int)got;
}
