/* egress.c: the egress stage and the application's side of the response ring. Egress moves
 * route's answers to the response ring the application polls; it owns no table. (With the
 * write-ahead log it will hold each answer until the command is durable.) The poller runs on
 * the application thread that calls oc_engine_poll_burst. */
#include "stages/stages_internal.h"

uint32_t oc_egress_step(void *arg)
{
	struct oc_egress *e = arg;
	uint32_t n = oc_ring_spsc_transfer_count(e->out, e->responses, OC_STAGE_BURST_MAX);
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		*(struct oc_response *)oc_ring_spsc_write_slot(e->responses, i) =
			*(const struct oc_response *)oc_ring_spsc_read_slot(e->out, i);
	oc_ring_spsc_commit(e->responses, n);
	oc_ring_spsc_release(e->out, n);
	e->forwarded += n;
	/* Route may have ended a turn on a full out ring. */
	oc_worker_wake(e->wake_route);
	return n;
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
