/* remote.c: ordercore-loadgen --connect: the flash sale against a running ordercored over TCP,
 * through the client library (ordercore/client.h). It owns the run's connections, the
 * per-command timestamps, the latency histograms and the answers' sequence numbers; the
 * stream (stream.c) and the tally (tally.c) are the in-process mode's. One thread drives every
 * connection: it queues commands while a connection has fewer than --pipeline in flight (with
 * --rate, only those due: pace.h), sends without blocking, waits in ppoll(2) over all the
 * sockets until an answer comes or the next command is due, and takes the answers that came.
 * Latency counts from when a command was due (--rate) or queued (--max), and goes into a
 * log-linear histogram (core/hist.h); a progress line a second goes to stderr. With
 * --duration the stream is cut at the commands claimed by then (cut); the summary's push-back
 * line says what the schedule offered against what was sent, and how long the sockets held
 * the client's bytes back (send_wait).
 *
 * Commands are handed out in blocks of BLOCK_COMMANDS, in stream order, to whichever
 * connection has room for more, so a connection that the daemon serves faster takes more
 * blocks and none is left with a long tail; paced (--rate), one at a time, once it is due, to
 * a connection with room. Each answer carries the index of its command as
 * its correlation; a connection's answers must come in the order it sent its commands.
 *
 * What is checked from the answers alone: every command answered exactly once and in order
 * on its connection; no SKU sold beyond its stock in the dataset (accepted units minus
 * cancelled orders' units); no customer over a purchase limit; every retry answered with the
 * original's status and sequence number, and every cancel naming the order it cancelled.
 *
 * Then, once every answer is in, what the daemon's own queries say, asked on the same
 * connections (queries change nothing): every order the answers decided is there with the
 * status, reason and sequence number they gave it (an order query per key); every SKU's
 * reconciliation balances, holds the dataset's stock (a flash sale ships and restocks
 * nothing) and holds allocated exactly the units the answers sold (a reconciliation per SKU);
 * and the engine's counters (a counters query) and the server's (a stats request) agree with
 * the load generator's. The engine's state hash is not visible from a client: it is reported
 * as not checked. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/hist.h"
#include "data/dataset.h"
#include "loadgen.h"
#include "ordercore/client.h"
#include "pace.h"
#include "report.h"

/* Commands a connection takes from the stream at a time: large enough that claiming is rare,
 * small enough that the connections share the end of the stream. */
#define BLOCK_COMMANDS 64u
/* Answers taken per oc_client_receive call. */
#define ANSWER_BATCH 512u
/* With commands in flight and no answer for this long, the daemon is taken to be stuck. */
#define STALL_MS 30000
#define NO_COMMAND UINT32_MAX

/* The players' ring of steps starts with this many slots (then doubles): at 20000 orders a
 * second and a step delay of 5 ms, a few hundred steps wait at a time. */
#define STEPS_INITIAL 4096u

_Static_assert(LG_PIPELINE_MAX <= UINT32_MAX,
	       "a connection's ring of correlations counts its slots in 32 bits");

struct conn {
	struct oc_client *c;
	uint64_t next, end; /* the block being queued: commands [next, end) */
	uint64_t *sent;     /* correlations of the commands in flight, oldest at head: a ring of
	                     * --pipeline slots (64 bits: the players' are above the stream's) */
	uint32_t head, count;
	uint64_t blocked_ns; /* when its socket last refused bytes it still holds; 0: none */
};

/* A player's command (lifecycle.h), kept from when it is made until its answer. */
struct step {
	struct lg_step s; /* the command, when it is due, and its order: the index p of the
	                   * first place of its key in the stream */
	uint64_t place;   /* the stream index of the place whose answer began the chain */
	bool answered;
};

/* The players (o->players: --scenario steady, peak-season, returns). Their commands, steps,
 * are numbered from 0 in the order they are made, and step f's correlation is n + f, above
 * the stream's. Each is made when the answer that calls for it is taken and is due a
 * constant delay after that answer's clock read, which only grows: so steps are due in the
 * order of their numbers, and a FIFO, not a heap, sends them (step_push asserts it). They
 * live in a ring that doubles when full, from the oldest not answered (lo) to the last made
 * (hi); next is the first not yet queued. Besides, what the accepted answers say of each
 * order and SKU, for the checks through the daemon's queries (check_daemon). */
struct players {
	struct lg_life life;        /* next_key from 2^62 up: see lg_remote_run */
	struct lg_life_tally tally;
	struct step *ring;
	uint64_t size;              /* slots, a power of two (0: none yet) */
	uint64_t lo, next, hi;
	bool out_of_memory;         /* a step could not be kept: the run fails */
	uint8_t *state;     /* [p] the order's state by the accepted answer about it with the
	                     * highest seq (a place's, a step's, a cancel's); 0: none */
	uint64_t *state_seq; /* [p] that answer's seq */
	uint32_t *decided;  /* [p] the stream index of the place of key p that was accepted */
	uint8_t *cut;       /* [p] a short pick cut a unit of the order's line 0 */
	uint64_t *missing;  /* [g] units of SKU g that short picks found missing: they left on
	                     * hand */
	uint64_t *restocked; /* [g] units of SKU g that returns put back on hand */
};

struct run {
	const struct lg_options *o;
	struct lg_stream *st;  /* with players, verify writes the cut units into it (settle) */
	struct lg_tally t;
	struct conn *conns;
	uint32_t nconns, pipeline;
	uint64_t claimed;      /* commands handed to a connection: [0, claimed) */
	uint64_t received;     /* answers received, matched or not */
	uint64_t *at_ns;       /* [i] CLOCK_MONOTONIC when command i was due (--rate) or
	                        * queued (--max); after its answer, its latency (ns) */
	uint64_t *seq;         /* [i] the answer's seq; original_seq for a duplicate or a
	                        * cancel: the order it names */
	uint8_t *dup;          /* [i] the answer had OC_RESPONSE_DUPLICATE */
	uint8_t *reason;       /* [i] the answer's reason */
	uint64_t max_seq;      /* the highest seq of every answer received, queries' too */
	/* Kept by verify for the daemon's queries (check_daemon): */
	uint32_t *first;       /* [p] place p's first decision (key_mismatches), or NO_COMMAND */
	uint64_t *sold_units;  /* [g] units SKU g sold by the answers (lg_sold_units) */
	uint64_t *on_hand_expected, *held_expected; /* [g] with players (expect_stock) */
	uint64_t out_of_order; /* answers that were not their connection's oldest command */
	uint64_t turns;        /* ppoll(2) calls of the run */
	bool paced;            /* --rate: command i is due at t0_ns + lg_pace_due_ns(&pace, i) */
	struct lg_pace pace;
	uint64_t t0_ns;
	uint64_t sent;         /* commands queued */
	uint64_t stream_sent;  /* of them, the stream's */
	uint64_t first_sent_ns, last_sent_ns; /* the stream's first and last */
	/* Push-back (docs/loadgen.md, "Overload"): */
	uint64_t stream_n;     /* the stream's commands made; st->n is cut to those queued at
	                        * --duration (cut_ns, then nonzero) */
	uint64_t cut_ns;
	uint64_t behind_ns;    /* --rate, at the cut: how late the first command not sent was */
	uint64_t send_waits;   /* times a socket refused bytes the client held (EAGAIN) */
	uint64_t send_wait_ns; /* summed over connections: time spent holding refused bytes */
	struct oc_hist *latency; /* every answered command's latency, ns */
	struct oc_hist *second;  /* those of the answers of the progress line's second */
	/* The report's (--report): the samples, and the hottest SKUs of the stream it follows,
	 * their catalog indices, units at the start and units sold so far by the answers. */
	struct lg_report report;
	uint32_t follow[LG_REPORT_SKUS];
	int64_t initial[LG_REPORT_SKUS], sold[LG_REPORT_SKUS];
	double cpu_seconds;    /* this process's user + system time during the run */
	bool players;          /* o->players: the lifecycle's players answer */
	struct players life;
	int acked_fd;
	char host[256];
	uint16_t port;
};

/* The latency quantiles reported: p50, p90, p99, p99.9, p99.99 and the maximum. */
#define QUANTILES 6
static const double quantile[QUANTILES] = {0.50, 0.90, 0.99, 0.999, 0.9999, 1.0};
static const char *const quantile_name[QUANTILES] = {"p50", "p90", "p99", "p99.9", "p99.99",
						     "max"};

struct remote_verdict {
	uint64_t oversold_units, limit_violations, unanswered, duplicate_answers;
	uint64_t out_of_order, key_mismatches, sold_out_skus;
	/* The daemon's queries (check_daemon): */
	uint64_t order_mismatches, stock_mismatches, counter_mismatches;
	uint64_t verified_orders, verified_skus;
	double verify_seconds;
	uint64_t latency_ns[QUANTILES];
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* User + system CPU seconds of the process (one thread during the run). */
static double cpu_s(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/* HOST:PORT or [V6]:PORT into r->host and r->port; -EINVAL, said, otherwise. */
static int parse_address(struct run *r, const char *text)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text) {
		fprintf(stderr, "loadgen: --connect wants HOST:PORT, not '%s'\n", text);
		return -EINVAL;
	}
	const char *h = text;
	size_t hlen = (size_t)(colon - text);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (hlen == 0 || hlen >= sizeof(r->host) || errno || end == colon + 1 || *end ||
	    colon[1] == '-' || port == 0 || port > 65535) {
		fprintf(stderr, "loadgen: --connect wants HOST:PORT with a port in 1..65535, "
				"not '%s'\n", text);
		return -EINVAL;
	}
	memcpy(r->host, h, hlen);
	r->host[hlen] = '\0';
	r->port = (uint16_t)port;
	return 0;
}

/* Opens every connection. The flash sale's checks count from an empty engine: a daemon that
 * has decided commands already (its welcome says so) is refused. 0, or 2 (said). */
static int connect_all(struct run *r)
{
	struct oc_client_config cfg = {.host = r->host, .port = r->port, .token = r->o->token,
				       .token_bytes = r->o->token ? strlen(r->o->token) : 0};
	char err[OC_CLIENT_ERROR_BYTES_MAX];
	for (uint32_t k = 0; k < r->nconns; k++) {
		struct conn *c = &r->conns[k];
		c->sent = malloc(r->pipeline * sizeof(uint64_t));
		if (!c->sent) {
			fprintf(stderr, "loadgen: out of memory\n");
			return 2;
		}
		if (oc_client_connect(&cfg, &c->c, err, sizeof(err)) != 0) {
			fprintf(stderr, "loadgen: connection %u of %u: %s\n", k + 1, r->nconns, err);
			return 2;
		}
		uint64_t last = oc_client_last_seq(c->c);
		if (last != 0 && !r->o->key_base) {
			fprintf(stderr, "loadgen: the daemon at %s port %u has decided %" PRIu64
					" commands already; the flash sale starts from an empty engine: "
					"restart ordercored on a new --data-dir (or without one), "
					"or give the run keys of its own (--key-base)\n",
				r->host, r->port, last);
			return 2;
		}
	}
	return 0;
}

/* When command i is due: with --rate, its time on the schedule; else now (t_ns). */
static uint64_t due_ns(const struct run *r, uint64_t i, uint64_t t_ns)
{
	return r->paced ? r->t0_ns + lg_pace_due_ns(&r->pace, i) : t_ns;
}

static struct step *step_at(const struct players *pl, uint64_t f)
{
	return &pl->ring[f & (pl->size - 1)];
}

/* Keeps step s, of the chain the place at stream index `place` began, after the last made.
 * False when the ring is full and cannot grow. */
static bool step_push(struct players *pl, const struct lg_step *s, uint64_t place)
{
	if (pl->hi - pl->lo == pl->size) {
		uint64_t size = pl->size ? 2 * pl->size : STEPS_INITIAL;
		struct step *ring = malloc(size * sizeof(*ring));
		if (!ring)
			return false;
		for (uint64_t f = pl->lo; f < pl->hi; f++)
			ring[f & (size - 1)] = *step_at(pl, f);
		free(pl->ring);
		pl->ring = ring;
		pl->size = size;
	}
	OC_ASSERT(pl->hi == pl->lo || step_at(pl, pl->hi - 1)->s.due_ns <= s->due_ns);
	*step_at(pl, pl->hi++) = (struct step){*s, place, false};
	return true;
}

/* Counts a command queued at t_ns, the stream's or a player's; the stream's also make its
 * rate (sent_per_sec: what --rate asked for). */
static void count_sent(struct run *r, uint64_t t_ns, bool stream)
{
	r->sent++;
	if (!stream)
		return;
	r->first_sent_ns = r->stream_sent++ ? r->first_sent_ns : t_ns;
	r->last_sent_ns = t_ns;
}

/* Queues on c the players' steps due by t_ns while it has room (they go before the stream's
 * commands: an order's life is not kept waiting by new orders). 0, -EAGAIN (the output buffer
 * is full) or the client's -errno. */
static int fill_steps(struct run *r, struct conn *c, uint64_t t_ns)
{
	struct players *pl = &r->life;
	while (c->count < r->pipeline && pl->next < pl->hi) {
		const struct step *s = step_at(pl, pl->next);
		if (s->s.due_ns > t_ns)
			break;
		int rc = oc_client_queue(c->c, &s->s.cmd, r->st->n + pl->next);
		if (rc)
			return rc;
		lg_life_sent(&pl->tally, &s->s.cmd);
		count_sent(r, t_ns, false);
		c->sent[(c->head + c->count++) % r->pipeline] = r->st->n + pl->next++;
	}
	return 0;
}

/* Queues commands on c while it has fewer than --pipeline in flight: the players' steps that
 * are due, then stream left that is due by t_ns (one clock read per turn of a connection:
 * queueing a few hundred commands takes a few microseconds), stamped with when each was due,
 * then sends what the socket takes. 0 or the client's -errno. */
static int fill(struct run *r, struct conn *c, uint64_t t_ns)
{
	const struct lg_stream *st = r->st;
	int rc = fill_steps(r, c, t_ns);
	if (rc && rc != -EAGAIN)
		return rc;
	while (rc == 0 && c->count < r->pipeline) {
		if (c->next == c->end) {
			/* Paced, one at a time and once due: a command due must not wait in the
			 * block of a connection whose pipeline is full while another has room. */
			if (r->claimed == st->n || due_ns(r, r->claimed, t_ns) > t_ns)
				break;
			uint64_t left = st->n - r->claimed;
			c->next = r->claimed;
			uint64_t block = r->paced ? 1 : BLOCK_COMMANDS;
			c->end = r->claimed + (left < block ? left : block);
			r->claimed = c->end;
		}
		uint64_t due = due_ns(r, c->next, t_ns);
		if (due > t_ns)
			break; /* not yet: the wait in drive ends when it is */
		rc = oc_client_queue(c->c, &st->cmds[c->next], c->next);
		if (rc == -EAGAIN)
			break; /* the output buffer is full: sent below, queued next turn */
		if (rc)
			return rc;
		r->at_ns[c->next] = due;
		count_sent(r, t_ns, true);
		c->sent[(c->head + c->count++) % r->pipeline] = c->next;
		c->next++;
	}
	rc = oc_client_flush(c->c, 0);
	return rc == -EAGAIN ? 0 : rc;
}

/* Adds sign x the units of the followed SKUs on place command p's lines to those sold. */
static void count_sold(struct run *r, uint64_t p, int64_t sign)
{
	const struct oc_command *c = &r->st->cmds[p];
	for (uint32_t l = 0; l < c->line_count; l++)
		for (uint32_t k = 0; k < r->report.skus; k++)
			if (r->st->sku_idx[p * OC_ORDER_LINES_MAX + l] == r->follow[k])
				r->sold[k] += sign * (int64_t)c->lines[l].quantity;
}

/* Notes what answer a says of order p: accepted (not a duplicate) or cancelled, it is the
 * order's state as of a's seq, which is its state now if no later answer says otherwise
 * (answers on different connections may come in any order; a refused command changes
 * nothing). An order the players cancel (a declined payment, a short pick that cut every
 * unit) counts as cancelled in the tally, as a cancel's would, for the checks of the units
 * sold. */
static void note(struct run *r, uint64_t p, uint64_t place, const struct oc_response *a)
{
	struct players *pl = &r->life;
	if ((a->status != OC_STATUS_ACCEPTED && a->status != OC_STATUS_CANCELLED) ||
	    (a->flags & OC_RESPONSE_DUPLICATE))
		return;
	if (a->seq > pl->state_seq[p]) {
		pl->state_seq[p] = a->seq;
		pl->state[p] = a->state;
	}
	if (a->status == OC_STATUS_ACCEPTED && a->state == OC_STATE_CANCELLED &&
	    !r->t.cancelled[p]) {
		r->t.cancelled[p] = 1;
		count_sold(r, place, -1);
	}
}

/* Notes answer a to c (of order p, whose chain the place at stream index `place` began) and
 * keeps the next player's command it calls for, if any. */
static void play(struct run *r, uint64_t p, uint64_t place, const struct oc_command *c,
		 const struct oc_response *a, uint64_t t_ns)
{
	struct players *pl = &r->life;
	struct lg_step next;
	note(r, p, place, a);
	if (lg_life_next(&pl->life, &r->st->cmds[place], p, c, a, t_ns, &next) &&
	    !step_push(pl, &next, place))
		pl->out_of_memory = true;
}

/* Takes answer a to step f, received at t_ns: an answer to no step made, to one answered
 * already, or of another type or key is a stray. Its latency counts from when it was due.
 * A short pick's missing unit and a restocked return's unit are noted by SKU: line 0's of the
 * place, the only line the players short-pick or return, one unit each (lifecycle.c). */
static void take_step(struct run *r, uint64_t f, const struct oc_response *a, uint64_t t_ns)
{
	struct players *pl = &r->life;
	struct step *s = f >= pl->lo && f < pl->next ? step_at(pl, f) : NULL;
	if (!s || s->answered || a->type != s->s.cmd.type || a->key != s->s.cmd.key) {
		r->t.stray++;
		return;
	}
	s->answered = true;
	struct step done = *s; /* the ring may move when play keeps the next */
	while (pl->lo < pl->next && step_at(pl, pl->lo)->answered)
		pl->lo++;
	oc_hist_record(r->latency, t_ns - done.s.due_ns);
	oc_hist_record(r->second, t_ns - done.s.due_ns);
	lg_life_take(&pl->tally, &done.s.cmd, a);
	uint64_t p = done.s.order;
	uint32_t g = r->st->sku_idx[done.place * OC_ORDER_LINES_MAX];
	if (a->status == OC_STATUS_ACCEPTED && !(a->flags & OC_RESPONSE_DUPLICATE)) {
		if (a->type == OC_CMD_PICK_SHORT) {
			pl->missing[g]++;
			pl->cut[p] |= a->amount_cents > 0; /* 0: re-routed, still held */
		} else if (a->type == OC_CMD_RETURN_RECEIVED &&
			   (done.s.cmd.flags & OC_RETURN_RESTOCK)) {
			pl->restocked[g]++;
		}
	}
	play(r, p, done.place, &done.s.cmd, a, t_ns);
}

/* Takes answer a, received on c at t_ns. True when it names a command of the stream (its
 * correlation is the command's index, and the key and type agree); a player's step's is
 * taken by take_step. */
static bool take(struct run *r, struct conn *c, const struct oc_client_answer *a, uint64_t t_ns)
{
	OC_ASSERT(c->count > 0); /* the client returns no answer to nothing */
	uint64_t oldest = c->sent[c->head];
	c->head = (c->head + 1) % r->pipeline;
	c->count--;
	uint64_t i = a->correlation;
	const struct oc_response *resp = &a->response;
	r->out_of_order += i != oldest;
	r->max_seq = resp->seq > r->max_seq ? resp->seq : r->max_seq;
	if (r->players && i >= r->st->n) {
		take_step(r, i - r->st->n, resp, t_ns);
		return false;
	}
	if (i >= r->st->n || resp->key != r->st->cmds[i].key || resp->type != r->st->cmds[i].type) {
		r->t.stray++;
		return false;
	}
	if (r->t.answers[i] == 0) {
		r->at_ns[i] = t_ns - r->at_ns[i];
		oc_hist_record(r->latency, r->at_ns[i]);
		oc_hist_record(r->second, r->at_ns[i]);
		r->dup[i] = (resp->flags & OC_RESPONSE_DUPLICATE) != 0;
		r->reason[i] = resp->reason;
		bool names_order = r->dup[i] || resp->status == OC_STATUS_CANCELLED;
		r->seq[i] = names_order ? resp->original_seq : resp->seq;
		if (!r->dup[i] && resp->status == OC_STATUS_ACCEPTED &&
		    r->st->cmds[i].type == OC_CMD_PLACE)
			count_sold(r, i, 1);
		else if (!r->dup[i] && resp->status == OC_STATUS_CANCELLED)
			count_sold(r, r->st->orig[i], -1);
		if (r->players && r->st->cmds[i].type == OC_CMD_PLACE &&
		    resp->status == OC_STATUS_ACCEPTED && !r->dup[i]) {
			r->life.decided[r->st->orig[i]] = (uint32_t)i;
			play(r, r->st->orig[i], i, &r->st->cmds[i], resp, t_ns);
		} else if (r->players && resp->status == OC_STATUS_CANCELLED) {
			note(r, r->st->orig[i], r->st->orig[i], resp);
		}
	}
	lg_tally_take(&r->t, r->st, i, resp);
	return true;
}

/* Takes every answer c has. The socket is polled level-triggered, so a receive that returns
 * fewer than asked (the client's buffer then holds no whole answer) ends it: whatever comes
 * later makes the socket readable again. Rows (the documents a daemon with carriers sends
 * before a pack's or a shipment's answer) are not answers: skipped. 0 or the client's
 * -errno. */
static int drain(struct run *r, struct conn *c)
{
	struct oc_client_answer a[ANSWER_BATCH];
	int got;
	do {
		got = oc_client_receive(c->c, a, ANSWER_BATCH, 0);
		if (got <= 0)
			return got;
		uint64_t t_ns = now_ns();
		uint32_t good = 0, rows = 0;
		for (int j = 0; j < got; j++)
			if (a[j].response.flags & OC_RESPONSE_ROW)
				rows++;
			else if (take(r, c, &a[j], t_ns))
				a[good++] = a[j];
		if (r->acked_fd >= 0)
			lg_acked_append_answers(r->acked_fd, a, r->st->cmds, good);
		r->received += (uint64_t)got - rows;
	} while (got == (int)ANSWER_BATCH);
	return 0;
}

static int conn_failed(const struct run *r, uint32_t k, int rc)
{
	const char *why = oc_client_error(r->conns[k].c);
	fprintf(stderr, "loadgen: connection %u of %u to %s port %u: %s (%" PRIu64 " of %" PRIu64
			" commands answered)\n", k + 1, r->nconns, r->host, r->port,
		*why ? why : strerror(-rc), r->received, r->st->n);
	return 2;
}

/* Commands queued on every connection and not answered yet. */
static uint64_t in_flight(const struct run *r)
{
	uint64_t n = 0;
	for (uint32_t k = 0; k < r->nconns; k++)
		n += r->conns[k].count;
	return n;
}

/* How long to wait for answers: with --rate, until the first command not yet queued is due
 * (now when it is late), and until the first player's step not yet queued is due, if a
 * connection has room for them; else until `until` (the next progress line), at most a
 * second (an answer or room to send wakes the wait first). */
static struct timespec wait_for(const struct run *r, uint64_t now, uint64_t until)
{
	uint64_t wait = until > now ? until - now : 0;
	wait = wait < 1000000000u ? wait : 1000000000u;
	/* Only a connection that can queue now counts: one whose pipeline is full waits for an
	 * answer, one whose output is pending for POLLOUT; counting them would spin. Each can
	 * take the next step, or the next command of its own block (or the next unclaimed). */
	for (uint32_t k = 0; k < r->nconns; k++) {
		const struct conn *c = &r->conns[k];
		if (c->count == r->pipeline || oc_client_pending(c->c))
			continue;
		uint64_t next = c->next < c->end ? c->next : r->claimed;
		if (r->paced && next < r->st->n) {
			uint64_t due = due_ns(r, next, now);
			wait = due <= now ? 0 : due - now < wait ? due - now : wait;
		}
		if (r->life.next < r->life.hi) {
			uint64_t due = step_at(&r->life, r->life.next)->s.due_ns;
			wait = due <= now ? 0 : due - now < wait ? due - now : wait;
		}
	}
	return (struct timespec){(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
}

/* The second (or the last part of one) that ended at now: its sample for the report, and
 * unless --quiet its progress line on stderr: elapsed, commands sent and answered a second
 * since the last line, the p99 of that second's answers, the outcomes so far, the commands in
 * flight. */
static void progress(struct run *r, uint64_t now, uint64_t *at, uint64_t *sent,
		     uint64_t *received)
{
	double s = (double)(now - *at) * 1e-9;
	struct lg_sample x = {.t_s = (double)(now - r->t0_ns) * 1e-9,
			      .sent_per_s = s > 0 ? (double)(r->sent - *sent) / s : 0,
			      .answered_per_s = s > 0 ? (double)(r->received - *received) / s : 0,
			      .p50_ns = oc_hist_quantile(r->second, 0.50),
			      .p99_ns = oc_hist_quantile(r->second, 0.99),
			      .p999_ns = oc_hist_quantile(r->second, 0.999),
			      .in_flight = in_flight(r)};
	for (uint32_t k = 0; k < r->report.skus; k++)
		x.stock[k] = r->initial[k] - r->sold[k];
	if (r->o->report_path && lg_report_sample(&r->report, &x) != 0)
		fprintf(stderr, "loadgen: out of memory: the report misses a second\n");
	if (!r->o->quiet)
		fprintf(stderr, "%7.1f s: sent %.0f/s, answered %.0f/s, p99 %.3f ms, accepted %"
				PRIu64 ", rejected %" PRIu64 ", in flight %" PRIu64 "\n", x.t_s,
			x.sent_per_s, x.answered_per_s, (double)x.p99_ns / 1e6, r->t.accepted,
			r->t.rejected, x.in_flight);
	oc_hist_reset(r->second);
	*at = now;
	*sent = r->sent;
	*received = r->received;
}

/* --duration: once it has passed, the stream ends at the commands claimed so far (those a
 * connection claimed and has not queued yet are queued next: paced, they are due already),
 * and the rest is left out of the run: not sent, not answered, not checked. With --rate, how
 * late the schedule was then: the first command not claimed was due that long ago. A stream
 * claimed whole before the duration is not cut (cut_ns stays 0: it ran out). */
static void cut(struct run *r, uint64_t now)
{
	uint64_t duration_ns = (uint64_t)r->o->duration_s * 1000000000u;
	if (!duration_ns || r->cut_ns || r->claimed == r->st->n || now - r->t0_ns < duration_ns)
		return;
	r->cut_ns = now;
	if (r->paced) {
		uint64_t due = due_ns(r, r->claimed, now);
		r->behind_ns = now > due ? now - due : 0;
	}
	r->st->n = r->claimed;
}

/* TCP push-back as the client sees it: connection c's socket refused bytes the client holds
 * (its send buffer is full because the daemon stopped reading and its receive window closed).
 * Counts each such wait and, when it ends, its time. Called after every flush (fill). */
static void send_wait(struct run *r, struct conn *c, uint64_t now)
{
	bool held = oc_client_pending(c->c) != 0;
	if (held && !c->blocked_ns) {
		c->blocked_ns = now;
		r->send_waits++;
	} else if (!held && c->blocked_ns) {
		r->send_wait_ns += now - c->blocked_ns;
		c->blocked_ns = 0;
	}
}

/* Sends the whole stream and receives every answer, and the players' steps until none is
 * left to make. 0, or 2 (said) when a connection fails, the daemon stops answering or a step
 * cannot be kept. */
static int drive(struct run *r)
{
	struct pollfd *pfd = calloc(r->nconns, sizeof(*pfd));
	if (!pfd) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	int status = 0;
	double cpu0 = cpu_s();
	uint64_t t0 = r->t0_ns = now_ns(), progress_ns = t0, seen = 0;
	uint64_t line_ns = t0, line_sent = 0, line_received = 0;
	struct lg_sample start = {.t_s = 0}; /* the report's charts start with the stock */
	for (uint32_t k = 0; k < r->report.skus; k++)
		start.stock[k] = r->initial[k];
	if (r->o->report_path)
		lg_report_sample(&r->report, &start);
	while (status == 0 && r->received < r->st->n + r->life.hi) {
		cut(r, now_ns());
		for (uint32_t k = 0; status == 0 && k < r->nconns; k++) {
			struct conn *c = &r->conns[k];
			uint64_t t_ns = now_ns();
			int rc = fill(r, c, t_ns);
			if (rc) {
				status = conn_failed(r, k, rc);
				break;
			}
			send_wait(r, c, t_ns);
			bool idle = c->count == 0 && c->next == c->end && r->claimed == r->st->n;
			pfd[k].fd = idle ? -1 : oc_client_fd(c->c); /* done: poll skips it */
			pfd[k].events = POLLIN | (oc_client_pending(c->c) ? POLLOUT : 0);
			pfd[k].revents = 0;
		}
		if (status)
			break;
		struct timespec wait = wait_for(r, now_ns(), line_ns + 1000000000u);
		int n = ppoll(pfd, r->nconns, &wait, NULL);
		r->turns++;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "loadgen: ppoll: %s\n", strerror(errno));
			status = 2;
			break;
		}
		for (uint32_t k = 0; n > 0 && k < r->nconns; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			int rc = drain(r, &r->conns[k]);
			if (rc) {
				status = conn_failed(r, k, rc);
				break;
			}
		}
		if (status == 0 && r->life.out_of_memory) {
			fprintf(stderr, "loadgen: out of memory keeping the players' commands\n");
			status = 2;
		}
		uint64_t now = now_ns();
		if (now - line_ns >= 1000000000u)
			progress(r, now, &line_ns, &line_sent, &line_received);
		if (r->received != seen || in_flight(r) == 0) { /* a schedule may pause */
			seen = r->received;
			progress_ns = now;
		} else if (now - progress_ns > (uint64_t)STALL_MS * 1000000u) {
			fprintf(stderr, "loadgen: no answer from %s port %u for %d s (%" PRIu64
					" of %" PRIu64 " commands answered)\n", r->host, r->port,
				STALL_MS / 1000, r->received, r->st->n);
			status = 2;
		}
	}
	uint64_t end = now_ns(); /* the last part of a second, unless too short to make a rate */
	for (uint32_t k = 0; k < r->nconns; k++)
		if (r->conns[k].blocked_ns)
			r->send_wait_ns += end - r->conns[k].blocked_ns;
	if (status == 0 && r->o->report_path && end - line_ns >= 100000000u)
		progress(r, end, &line_ns, &line_sent, &line_received);
	r->t.seconds = (double)(now_ns() - t0) * 1e-9;
	r->cpu_seconds = cpu_s() - cpu0;
	free(pfd);
	return status;
}

/* The reported quantiles of the answered commands' latencies (the histogram's). */
static void latencies(const struct run *r, struct remote_verdict *v)
{
	for (unsigned k = 0; k < QUANTILES; k++)
		v->latency_ns[k] = oc_hist_quantile(r->latency, quantile[k]);
}

/* The reasons the engine refuses a place for before its key has a record (validate's checks
 * of the command itself): it keeps nothing of such a place, so an order query answers
 * unknown_order and a retry is decided anew. Capacity is either: the key table was full (no
 * record) or the allocations were (a record). */
static bool unrecorded(uint8_t status, uint8_t reason)
{
	return status == OC_STATUS_REJECTED &&
	       (reason == OC_REJECT_MALFORMED || reason == OC_REJECT_TOO_MANY_LINES ||
		reason == OC_REJECT_UNKNOWN_SKU || reason == OC_REJECT_BAD_QUANTITY ||
		reason == OC_REJECT_DUPLICATE_SKU || reason == OC_REJECT_UNKNOWN_REGION ||
		reason == OC_REJECT_NOT_ENABLED);
}

/* The first decision of each key: its non-duplicate place answer with the lowest sequence
 * number (over TCP a retry may be decided before its original), by the index of the key's
 * first place command; NO_COMMAND for a key no place of which was answered. With `kept`, the
 * first the engine keeps a record of (unrecorded: the others are forgotten). A malloc'ed
 * array of st->n (the caller frees it), or NULL when out of memory. */
static uint32_t *first_decisions(const struct run *r, bool kept)
{
	const struct lg_stream *st = r->st;
	uint32_t *first = malloc(st->n * sizeof(uint32_t));
	if (!first)
		return NULL;
	for (uint64_t i = 0; i < st->n; i++)
		first[i] = NO_COMMAND;
	for (uint64_t i = 0; i < st->n; i++) {
		uint32_t *f = &first[st->orig[i]];
		if (r->t.answers[i] && st->cmds[i].type == OC_CMD_PLACE && !r->dup[i] &&
		    (!kept || !unrecorded(r->t.status[i], r->reason[i])) &&
		    (*f == NO_COMMAND || r->seq[i] < r->seq[*f]))
			*f = (uint32_t)i;
	}
	return first;
}

/* Every answer that names an order (a retry's duplicate, a cancel that succeeded) must name
 * the order's first decision (first, by first_decisions): the same status and its sequence
 * number; and an order once accepted is never decided anew. Returns the answers that break
 * this. */
static uint64_t key_mismatches(const struct run *r, const uint32_t *first)
{
	const struct lg_stream *st = r->st;
	const struct lg_tally *t = &r->t;
	uint64_t bad = 0;
	for (uint64_t i = 0; i < st->n; i++) {
		uint32_t f = first[st->orig[i]];
		if (!t->answers[i] || f == i)
			continue;
		bool names_order = r->dup[i] || t->status[i] == OC_STATUS_CANCELLED;
		if (st->cmds[i].type == OC_CMD_PLACE && !r->dup[i])
			bad += f == NO_COMMAND || t->status[f] == OC_STATUS_ACCEPTED ||
			       t->status[i] == OC_STATUS_ACCEPTED;
		else if (names_order && r->dup[i])
			bad += f == NO_COMMAND || t->status[i] != t->status[f] ||
			       r->seq[i] != r->seq[f];
		else if (names_order)
			bad += f == NO_COMMAND || t->status[f] != OC_STATUS_ACCEPTED ||
			       r->seq[i] != r->seq[f];
	}
	return bad;
}

/* With players: writes into the stream the orders as they stand, for lg_sold_units: a unit a
 * short pick cut comes off line 0 of the accepted place (the engine gave back its purchase
 * counter, as a cancel's); the stream is sent, nothing reads it for sending any more. Orders
 * the players cancelled are cancelled in the tally already (note). */
static void settle(struct run *r)
{
	for (uint64_t p = 0; p < r->st->n; p++)
		if (r->life.cut[p])
			r->st->cmds[r->life.decided[p]].lines[0].quantity--;
}

/* Whether an order in `state` holds units (the reconciliation's allocated or picked: from
 * payment_pending to packed; held for review too), or shipped them. */
static bool holds_units(uint8_t state)
{
	return state == OC_STATE_PAYMENT_PENDING || state == OC_STATE_ON_HOLD ||
	       state == OC_STATE_ALLOCATED || state == OC_STATE_RELEASED ||
	       state == OC_STATE_PICKED || state == OC_STATE_PACKED;
}

static bool shipped_units(uint8_t state)
{
	return state == OC_STATE_SHIPPED || state == OC_STATE_DELIVERED ||
	       state == OC_STATE_EXCEPTION || state == OC_STATE_RETURN_REQUESTED ||
	       state == OC_STATE_RETURNED || state == OC_STATE_REFUNDED;
}

/* With players, what every SKU should hold by the answers (after settle): on hand, the
 * dataset's less the units short picks found missing and those shipped, plus those restocked
 * by returns; held (allocated + picked), the units of the orders whose state holds them.
 * Into r->on_hand_expected and r->held_expected; the units held or shipped beyond what there
 * was are oversold, and a SKU with none free is sold out. 0, or -ENOMEM. */
static int expect_stock(struct run *r, const struct oc_dataset *d, struct remote_verdict *v)
{
	const struct players *pl = &r->life;
	uint64_t *shipped = calloc(d->sku_count + 1u, sizeof(uint64_t));
	r->on_hand_expected = calloc(d->sku_count + 1u, sizeof(uint64_t));
	r->held_expected = calloc(d->sku_count + 1u, sizeof(uint64_t));
	if (!shipped || !r->on_hand_expected || !r->held_expected) {
		free(shipped);
		return -ENOMEM;
	}
	for (uint64_t p = 0; p < r->st->n; p++) {
		bool holds = holds_units(pl->state[p]), gone = shipped_units(pl->state[p]);
		uint64_t i = pl->decided[p];
		for (uint32_t l = 0; (holds || gone) && l < r->st->cmds[i].line_count; l++) {
			uint32_t g = r->st->sku_idx[i * OC_ORDER_LINES_MAX + l];
			(holds ? r->held_expected : shipped)[g] += r->st->cmds[i].lines[l].quantity;
		}
	}
	for (uint32_t g = 0; g < d->sku_count; g++) {
		uint64_t there = lg_initial_units(d, g) + pl->restocked[g];
		uint64_t out = pl->missing[g] + shipped[g], held = r->held_expected[g];
		v->oversold_units += out + held > there ? out + held - there : 0;
		r->on_hand_expected[g] = out < there ? there - out : 0;
		v->sold_out_skus += there > 0 && r->on_hand_expected[g] == held;
	}
	free(shipped);
	return 0;
}

/* The checks that the answers and the dataset allow. Keeps r->first and r->sold_units (and
 * with players the expected stock) for check_daemon. 0, or -ENOMEM. */
static int verify(struct run *r, const struct oc_dataset *d, struct remote_verdict *v)
{
	memset(v, 0, sizeof(*v));
	for (uint64_t i = 0; i < r->st->n; i++) {
		v->unanswered += r->t.answers[i] == 0;
		v->duplicate_answers += r->t.answers[i] > 1 ? r->t.answers[i] - 1u : 0;
	}
	v->duplicate_answers += r->t.stray;
	v->out_of_order = r->out_of_order;
	if (r->players)
		settle(r);
	r->sold_units = lg_sold_units(r->st, &r->t, d, &v->limit_violations);
	r->first = first_decisions(r, false);
	if (!r->sold_units || !r->first)
		return -ENOMEM;
	v->key_mismatches = key_mismatches(r, r->first);
	if (r->players) {
		latencies(r, v);
		return expect_stock(r, d, v);
	}
	for (uint32_t g = 0; g < d->sku_count; g++) {
		uint64_t initial = lg_initial_units(d, g);
		v->oversold_units += r->sold_units[g] > initial ? r->sold_units[g] - initial : 0;
		v->sold_out_skus += initial > 0 && r->sold_units[g] == initial;
	}
	latencies(r, v);
	return 0;
}

static bool verdict_ok(const struct remote_verdict *v)
{
	return !v->oversold_units && !v->limit_violations && !v->unanswered &&
	       !v->duplicate_answers && !v->out_of_order && !v->key_mismatches &&
	       !v->order_mismatches && !v->stock_mismatches && !v->counter_mismatches;
}

/* ---- What the daemon's own queries say (check_daemon) ----
 *
 * Once every answer of the stream is in, the connections ask, pipelined as the stream was, an
 * order query (by key) for every key a place of which was answered, then a reconciliation for
 * every SKU of the dataset (one per page of OC_QUERY_ROWS_MAX warehouses, so that every
 * warehouse comes as a row), and finally the server's counters. Queries are sequenced (and
 * logged) like any command but change no order and no stock, so every answer describes the
 * state the stream left. A query's correlation is its index: order queries first, then the
 * reconciliations. */

/* Mismatches said on stderr, of each kind: enough to start looking, not a flood. */
#define MISMATCHES_SAID_MAX 5u

struct check {
	const struct oc_dataset *d;
	uint32_t *place;       /* [q] the first place command of the key order query q asks */
	uint32_t *kept;        /* [p] the decision of place p's key the engine keeps
	                        * (first_decisions), or NO_COMMAND: it keeps none */
	uint64_t orders;       /* order queries: [0, orders); reconciliations after them */
	uint32_t pages;        /* reconciliations of a SKU: its warehouses, OC_QUERY_ROWS_MAX a
	                        * page */
	uint64_t stocks;       /* reconciliations: [orders, orders + stocks); then the pages of
	                        * the engine's counters (OC_CMD_QUERY_COUNTERS) */
	uint64_t queries;      /* orders + stocks + COUNTER_PAGES */
	uint64_t counter[OC_COUNTER_COUNT]; /* the engine's counters, as its rows say */
	uint8_t counter_seen[OC_COUNTER_COUNT];
	uint64_t claimed;      /* queries handed to a connection: [0, claimed) */
	uint64_t answered;     /* their answers received (rows are not answers) */
	uint8_t *sku_bad;      /* [g] a row or an answer of SKU g's reconciliation broke a check */
	uint64_t order_mismatches;
	uint64_t stray0;       /* the stream's stray answers (r->t.stray before the queries) */
	uint32_t said_orders, said_skus;
};

/* Pages of the engine's counters, OC_QUERY_ROWS_MAX rows each. */
#define COUNTER_PAGES ((OC_COUNTER_COUNT + OC_QUERY_ROWS_MAX - 1) / OC_QUERY_ROWS_MAX)

/* The query of index q. */
static struct oc_command query_of(const struct run *r, const struct check *k, uint64_t q)
{
	if (q < k->orders)
		return (struct oc_command){.type = OC_CMD_QUERY_ORDER,
					   .key = r->st->cmds[k->place[q]].key};
	if (q >= k->orders + k->stocks)
		return (struct oc_command){
			.type = OC_CMD_QUERY_COUNTERS,
			.region = (uint16_t)((q - k->orders - k->stocks) * OC_QUERY_ROWS_MAX)};
	uint64_t s = q - k->orders;
	return (struct oc_command){.type = OC_CMD_QUERY_RECONCILE, .line_count = 1,
				   .region = (uint16_t)(s % k->pages * OC_QUERY_ROWS_MAX),
				   .lines = {{k->d->skus[s / k->pages].sku, 0, 0}}};
}

/* The status of an order in `state`. */
static uint8_t status_of(uint8_t state)
{
	return state == OC_STATE_REJECTED    ? OC_STATUS_REJECTED
	       : state == OC_STATE_CANCELLED ? OC_STATUS_CANCELLED
					     : OC_STATUS_ACCEPTED;
}

/* Whether the daemon's state `now` for an order the answers left allocated is the wave's
 * release of it: with waves (ordercored --wave-orders-max) the engine releases an order on
 * its own, an unsolicited response the daemon forwards to nobody, so the answers cannot know
 * it; the players then had their pick refused (invalid_state) before the release, and the
 * chain stopped. The only state the answers cannot tell exactly. */
static bool released(uint8_t said, uint8_t now)
{
	return said == OC_STATE_ALLOCATED && now == OC_STATE_RELEASED;
}

/* Order query q's answer a against what the stream's answers said of the order: found, its
 * customer, its first sequence number that of the decision the engine keeps, and its status
 * cancelled when a cancel of it was answered cancelled, else that decision's status and
 * reason; not found when the engine keeps no decision of the key (every place of it was
 * refused unrecorded). A place rejected for capacity may have no record (unrecorded), so such
 * a key may also be unknown. With players, an accepted order's status and state are those of
 * the accepted answer about it with the highest seq (note), and its reason the place's
 * unless cancelled. */
static void check_order(const struct run *r, struct check *k, uint64_t q,
			const struct oc_response *a)
{
	uint32_t p = k->place[q], f = k->kept[p];
	const struct lg_tally *t = &r->t;
	bool played = r->players && f != NO_COMMAND && t->status[f] == OC_STATUS_ACCEPTED;
	uint8_t state = played ? r->life.state[p] : 0;
	bool cancelled = played ? state == OC_STATE_CANCELLED : t->cancelled[p] != 0;
	bool found = a->reason != OC_REJECT_UNKNOWN_ORDER;
	uint8_t status = f == NO_COMMAND ? OC_STATUS_REJECTED
			 : played        ? status_of(state)
			 : cancelled     ? OC_STATUS_CANCELLED
					 : t->status[f];
	uint8_t reason = f == NO_COMMAND ? OC_REJECT_UNKNOWN_ORDER
			 : cancelled     ? OC_REJECT_NONE
					 : r->reason[f];
	uint64_t seq = f == NO_COMMAND ? 0 : r->seq[f];
	bool ok;
	if (f == NO_COMMAND)
		ok = a->status == OC_STATUS_REJECTED && !found;
	else if (status == OC_STATUS_REJECTED && reason == OC_REJECT_CAPACITY)
		ok = a->status == OC_STATUS_REJECTED;
	else
		ok = a->status == status && found && a->original_seq == seq &&
		     a->customer == r->st->cmds[p].customer && (cancelled || a->reason == reason) &&
		     (!played || a->state == state || released(state, a->state));
	if (ok)
		return;
	k->order_mismatches++;
	if (k->said_orders++ < MISMATCHES_SAID_MAX)
		fprintf(stderr, "loadgen: order key %" PRIu64 ": the daemon has it %s (%s), %s, "
				"order %" PRIu64 "; the answers said %s (%s), %s, order %" PRIu64
				"\n",
			a->key, oc_status_name(a->status), oc_reject_reason_name(a->reason),
			oc_order_state_name(a->state), a->original_seq, oc_status_name(status),
			oc_reject_reason_name(reason), played ? oc_order_state_name(state) : "-",
			seq);
}

/* A row or the answer of SKU g's reconciliation: it balances (on hand = free + allocated +
 * picked), and its on hand is the dataset's (a row: the warehouse's; the answer: the SKU's
 * over all warehouses, since a flash sale ships, restocks and writes off nothing). The
 * answer's allocated and picked units are those the answers sold, so the engine holds no
 * unit that was not sold, and sold none it does not hold: no oversell on its side either;
 * and the shard has no more units to sell than route counts free. With players units leave
 * (short picks, shipments) and come back (returns) at warehouses the answers do not all name
 * (a re-routed short pick's), so a row is checked for its balance only, and the answer
 * against expect_stock's on hand and held. */
static void check_stock(const struct run *r, struct check *k, uint32_t g,
			const struct oc_response *a, bool row)
{
	const struct oc_dataset *d = k->d;
	uint64_t on_hand = OC_RECON_ON_HAND(a), free_units = OC_RECON_FREE(a);
	uint64_t held = OC_RECON_ALLOCATED(a) + OC_RECON_PICKED(a);
	bool ok = a->status == OC_STATUS_ACCEPTED && on_hand == free_units + held;
	if (row && !r->players)
		ok = ok && a->warehouse < d->warehouse_count &&
		     on_hand == d->on_hand[(size_t)g * d->warehouse_count + a->warehouse];
	else if (row)
		ok = ok && a->warehouse < d->warehouse_count;
	else if (!r->players) /* after other runs (--key-base), theirs are held too */
		ok = ok && on_hand == lg_initial_units(d, g) &&
		     (r->o->key_base ? held >= r->sold_units[g] : held == r->sold_units[g]) &&
		     OC_RECON_AVAILABLE(a) <= free_units;
	else
		ok = ok && on_hand == r->on_hand_expected[g] && held == r->held_expected[g] &&
		     OC_RECON_AVAILABLE(a) <= free_units;
	if (ok)
		return;
	bool say = !k->sku_bad[g] && k->said_skus++ < MISMATCHES_SAID_MAX;
	if (say && r->players) {
		fprintf(stderr, "loadgen: SKU %" PRIu64 "%s: the daemon has %s (%s), on hand %"
				PRIu64 ", free %" PRIu64 ", allocated %" PRIu64 ", picked %" PRIu64
				"; the answers leave %" PRIu64 " on hand, %" PRIu64 " held\n",
			d->skus[g].sku, row ? " (a warehouse's row)" : "",
			oc_status_name(a->status),
			oc_reject_reason_name(a->reason), on_hand, free_units,
			(uint64_t)OC_RECON_ALLOCATED(a), (uint64_t)OC_RECON_PICKED(a),
			r->on_hand_expected[g], r->held_expected[g]);
	} else if (say) {
		char where[32] = "";
		uint64_t dataset = lg_initial_units(d, g);
		if (row && a->warehouse < d->warehouse_count) {
			snprintf(where, sizeof(where), " at warehouse %u", a->warehouse);
			dataset = d->on_hand[(size_t)g * d->warehouse_count + a->warehouse];
		}
		fprintf(stderr, "loadgen: SKU %" PRIu64 "%s: the daemon has %s (%s), on hand %"
				PRIu64 ", free %" PRIu64 ", allocated %" PRIu64 ", picked %" PRIu64
				"; the dataset has %" PRIu64 " on hand, the answers sold %" PRIu64
				"\n", d->skus[g].sku, where, oc_status_name(a->status),
			oc_reject_reason_name(a->reason), on_hand, free_units,
			(uint64_t)OC_RECON_ALLOCATED(a), (uint64_t)OC_RECON_PICKED(a), dataset,
			r->sold_units[g]);
	}
	k->sku_bad[g] = 1;
}

/* Takes answer a (or a row) to a query, received on c. An answer that names no query of c's,
 * or one of another type or key, counts as a stray (answered twice); one that is not c's
 * oldest query's, as out of order, as in the stream. */
static void take_query(struct run *r, struct check *k, struct conn *c,
		       const struct oc_client_answer *a)
{
	const struct oc_response *resp = &a->response;
	bool row = (resp->flags & OC_RESPONSE_ROW) != 0;
	uint64_t q = a->correlation;
	OC_ASSERT(c->count > 0); /* the client returns no answer to nothing */
	uint64_t oldest = c->sent[c->head];
	if (!row) {
		c->head = (c->head + 1) % r->pipeline;
		c->count--;
		k->answered++;
		r->out_of_order += q != oldest;
		r->max_seq = resp->seq > r->max_seq ? resp->seq : r->max_seq;
	}
	struct oc_command cmd = q < k->queries ? query_of(r, k, q) : (struct oc_command){0};
	if (q >= k->queries || resp->type != cmd.type || resp->key != cmd.key ||
	    (row && (q < k->orders || q != oldest))) {
		r->t.stray++;
		return;
	}
	if (q < k->orders)
		check_order(r, k, q, resp);
	else if (q < k->orders + k->stocks)
		check_stock(r, k, (uint32_t)((q - k->orders) / k->pages), resp, row);
	else if (row && resp->original_seq < OC_COUNTER_COUNT) {
		k->counter[resp->original_seq] = resp->amount_cents;
		k->counter_seen[resp->original_seq] = 1;
	}
}

/* Queues queries on c while it has fewer than --pipeline in flight, then sends what the
 * socket takes. 0 or the client's -errno. */
static int ask(struct run *r, struct check *k, struct conn *c)
{
	while (c->count < r->pipeline && k->claimed < k->queries) {
		struct oc_command q = query_of(r, k, k->claimed);
		int rc = oc_client_queue(c->c, &q, k->claimed);
		if (rc == -EAGAIN)
			break; /* the output buffer is full: sent below, queued next turn */
		if (rc)
			return rc;
		c->sent[(c->head + c->count++) % r->pipeline] = k->claimed++;
	}
	int rc = oc_client_flush(c->c, 0);
	return rc == -EAGAIN ? 0 : rc;
}

/* Takes every answer c has (see drain). 0 or the client's -errno. */
static int take_answers(struct run *r, struct check *k, struct conn *c)
{
	struct oc_client_answer a[ANSWER_BATCH];
	int got;
	do {
		got = oc_client_receive(c->c, a, ANSWER_BATCH, 0);
		for (int j = 0; j < got; j++)
			take_query(r, k, c, &a[j]);
	} while (got == (int)ANSWER_BATCH);
	return got < 0 ? got : 0;
}

static int query_failed(const struct run *r, const struct check *k, uint32_t i, int rc)
{
	const char *why = oc_client_error(r->conns[i].c);
	fprintf(stderr, "loadgen: verifying: connection %u of %u to %s port %u: %s (%" PRIu64
			" of %" PRIu64 " queries answered)\n", i + 1, r->nconns, r->host, r->port,
		*why ? why : strerror(-rc), k->answered, k->queries);
	return 2;
}

/* Sends every query and checks every answer: drive's loop without a schedule. 0, or 2 (said)
 * when a connection fails or the daemon stops answering. */
static int ask_all(struct run *r, struct check *k)
{
	struct pollfd *pfd = calloc(r->nconns, sizeof(*pfd));
	if (!pfd) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	int status = 0;
	uint64_t seen = 0, progress_ns = now_ns();
	while (status == 0 && k->answered < k->queries) {
		for (uint32_t i = 0; status == 0 && i < r->nconns; i++) {
			struct conn *c = &r->conns[i];
			int rc = ask(r, k, c);
			if (rc)
				status = query_failed(r, k, i, rc);
			bool idle = c->count == 0 && k->claimed == k->queries;
			pfd[i].fd = idle ? -1 : oc_client_fd(c->c);
			pfd[i].events = POLLIN | (oc_client_pending(c->c) ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		struct timespec wait = {1, 0};
		int n = status ? 0 : ppoll(pfd, r->nconns, &wait, NULL);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "loadgen: ppoll: %s\n", strerror(errno));
			status = 2;
		}
		for (uint32_t i = 0; status == 0 && n > 0 && i < r->nconns; i++) {
			int rc = pfd[i].revents & (POLLIN | POLLERR | POLLHUP)
					 ? take_answers(r, k, &r->conns[i]) : 0;
			if (rc)
				status = query_failed(r, k, i, rc);
		}
		uint64_t now = now_ns();
		if (k->answered != seen) {
			seen = k->answered;
			progress_ns = now;
		} else if (status == 0 && now - progress_ns > (uint64_t)STALL_MS * 1000000u) {
			fprintf(stderr, "loadgen: verifying: no answer from %s port %u for %d s (%"
					PRIu64 " of %" PRIu64 " queries answered)\n", r->host,
				r->port, STALL_MS / 1000, k->answered, k->queries);
			status = 2;
		}
	}
	free(pfd);
	return status;
}

/* The server's counters (struct oc_proto_stats) against the load generator's, asked on the
 * first connection once nothing is in flight. Compared: last_seq (the highest seq answered,
 * which is the highest of the answers received: the engine's own commands, snapshot barriers
 * and ticks, take sequence numbers but are answered to nobody), commands taken from sockets
 * and answers sent (the stream's, the players' and the queries', rows not counted), and
 * answers dropped,
 * protocol errors and slow readers disconnected (none: every answer was read). Not
 * comparable: connections open and accepted, and connections refused, which count every
 * client of the daemon (a monitor's, a start script's probe), not only the load generator's
 * connections; and uptime. The engine's own counters come from the counters query
 * (engine_counter_mismatches). Returns the mismatching fields (said), or -1 when the request
 * fails (said). */
static int64_t counter_mismatches(const struct run *r, const struct check *k)
{
	struct oc_proto_stats st;
	int rc = oc_client_stats(r->conns[0].c, &st, 0);
	if (rc) {
		query_failed(r, k, 0, rc);
		return -1;
	}
	uint64_t commands = r->st->n + r->life.hi + k->queries;
	/* After other runs (--key-base) the daemon's counts of commands and answers hold theirs
	 * too: not compared. The others stay 0 over a clean daemon's life. */
	const struct {
		const char *name;
		uint64_t daemon, ours;
		bool from_empty;
	} field[] = {{"last_seq", st.last_seq, r->max_seq, false},
		     {"commands", st.commands, commands, true},
		     {"answers", st.answers, commands, true},
		     {"dropped_answers", st.dropped_answers, 0, false},
		     {"protocol_errors", st.protocol_errors, 0, false},
		     {"slow_disconnects", st.slow_disconnects, 0, false}};
	int64_t bad = 0;
	for (size_t f = 0; f < sizeof(field) / sizeof(field[0]); f++) {
		if (field[f].daemon == field[f].ours || (field[f].from_empty && r->o->key_base))
			continue;
		bad++;
		fprintf(stderr, "loadgen: the daemon counts %s %" PRIu64 ", the load generator %"
				PRIu64 "\n", field[f].name, field[f].daemon, field[f].ours);
	}
	return bad;
}

/* One of the engine's counters against the load generator's count: a mismatch (said) or 0. */
static int64_t engine_counter(const struct check *k, uint32_t i, uint64_t ours)
{
	if (k->counter_seen[i] && k->counter[i] == ours)
		return 0;
	fprintf(stderr, "loadgen: the engine counts %s %" PRIu64 "%s, the load generator %"
			PRIu64 "\n", oc_counter_name(i), k->counter[i],
		k->counter_seen[i] ? "" : " (no row)", ours);
	return 1;
}

/* The engine's counters (the counters query: route's, exact as of the query's place in the
 * stream, after every answer the load generator took) against the tally: places accepted,
 * retries answered from an earlier key; without players, cancels done and rejections by
 * reason too (the players' refusals and cancellations are counted by the engine with the
 * stream's, by reason, which the players' tally does not keep); with players, every step
 * the players saw done. Returns the mismatching counters (said). */
static int64_t engine_counter_mismatches(const struct run *r, const struct check *k)
{
	const struct lg_tally *t = &r->t;
	if (r->o->key_base)
		return 0; /* the engine's counters hold the earlier runs' too */
	int64_t bad = engine_counter(k, OC_COUNTER_ACCEPTED, t->accepted) +
		      engine_counter(k, OC_COUNTER_DUPLICATES, t->duplicate_flags);
	if (!r->players) {
		bad += engine_counter(k, OC_COUNTER_CANCELLED, t->cancelled_count);
		for (uint32_t reason = 1; reason < OC_REJECT_REASON_COUNT; reason++)
			bad += engine_counter(k, OC_COUNTER_REJECTED_BY(reason),
					      t->by_reason[reason]);
		return bad;
	}
	const struct lg_life_tally *l = &r->life.tally;
	const struct {
		uint32_t counter;
		uint64_t ours;
	} done[] = {{OC_COUNTER_SHIPPED, l->accepted[OC_CMD_SHIPPED]},
		    {OC_COUNTER_DELIVERED, l->accepted[OC_CMD_DELIVERED]},
		    {OC_COUNTER_EXCEPTIONS, l->accepted[OC_CMD_DELIVERY_EXCEPTION]},
		    {OC_COUNTER_RETURNS, l->accepted[OC_CMD_RETURN_REQUESTED]},
		    {OC_COUNTER_RETURNS_RECEIVED, l->accepted[OC_CMD_RETURN_RECEIVED]},
		    {OC_COUNTER_REFUNDS, l->accepted[OC_CMD_REFUND]},
		    {OC_COUNTER_QC_FAILURES, l->qc_failures},
		    {OC_COUNTER_SHORT_PICKS, l->accepted[OC_CMD_PICK_SHORT]},
		    {OC_COUNTER_REVIEWS_APPROVED, l->accepted[OC_CMD_REVIEW_APPROVE]},
		    {OC_COUNTER_REVIEWS_REJECTED, l->accepted[OC_CMD_REVIEW_REJECT]}};
	for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		bad += engine_counter(k, done[i].counter, done[i].ours);
	return bad;
}

/* Asks the daemon (see above) and fills v's order, stock and counter mismatches, what was
 * verified and how long it took. 0, or 2 (said) when out of memory or a query cannot be sent
 * or answered. */
static int check_daemon(struct run *r, const struct oc_dataset *d, struct remote_verdict *v)
{
	uint64_t t0 = now_ns();
	struct check k = {.d = d, .stray0 = r->t.stray};
	k.pages = (d->warehouse_count + OC_QUERY_ROWS_MAX - 1) / OC_QUERY_ROWS_MAX;
	for (uint64_t p = 0; p < r->st->n; p++)
		k.orders += r->first[p] != NO_COMMAND;
	k.stocks = (uint64_t)d->sku_count * k.pages;
	k.queries = k.orders + k.stocks + COUNTER_PAGES;
	k.place = malloc((k.orders + 1) * sizeof(uint32_t));
	k.sku_bad = calloc(d->sku_count + 1u, 1);
	k.kept = first_decisions(r, true);
	if (!k.place || !k.sku_bad || !k.kept) {
		free(k.place);
		free(k.sku_bad);
		free(k.kept);
		fprintf(stderr, "loadgen: out of memory verifying\n");
		return 2;
	}
	for (uint64_t p = 0, q = 0; p < r->st->n; p++)
		if (r->first[p] != NO_COMMAND)
			k.place[q++] = (uint32_t)p;
	int status = ask_all(r, &k);
	int64_t counters = status ? 0 : counter_mismatches(r, &k);
	counters += status || counters < 0 ? 0 : engine_counter_mismatches(r, &k);
	status = counters < 0 ? 2 : status;
	v->order_mismatches = k.order_mismatches;
	for (uint32_t g = 0; g < d->sku_count; g++)
		v->stock_mismatches += k.sku_bad[g];
	v->counter_mismatches = counters > 0 ? (uint64_t)counters : 0;
	v->out_of_order = r->out_of_order;
	v->duplicate_answers += r->t.stray - k.stray0;
	v->verified_orders = k.orders;
	v->verified_skus = d->sku_count;
	v->verify_seconds = (double)(now_ns() - t0) * 1e-9;
	free(k.place);
	free(k.sku_bad);
	free(k.kept);
	return status;
}

/* Commands a second the schedule asked for over the stream (--rate), and those sent: from the
 * first command queued to the last. */
static double target_per_sec(const struct run *r)
{
	uint64_t span = lg_pace_due_ns(&r->pace, r->st->n - 1);
	return span ? (double)(r->st->n - 1) / ((double)span * 1e-9) : 0;
}

static double sent_per_sec(const struct run *r)
{
	uint64_t span = r->last_sent_ns - r->first_sent_ns;
	return span ? (double)(r->stream_sent - 1) / ((double)span * 1e-9) : 0;
}

/* Commands the schedule (--rate) makes due within t_ns of the start, made or not. */
static uint64_t due_by(const struct run *r, uint64_t t_ns)
{
	uint64_t lo = 0, hi = 1;
	while (hi < (1ull << 50) && lg_pace_due_ns(&r->pace, hi) <= t_ns)
		hi *= 2;
	while (lo < hi) { /* the first command due after t_ns */
		uint64_t mid = lo + (hi - lo) / 2;
		if (lg_pace_due_ns(&r->pace, mid) <= t_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The offered load (--rate): the commands the schedule made due while the run sent, until
 * the cut (--duration), or the whole stream (each was due before it was queued). */
static uint64_t offered(const struct run *r)
{
	return r->cut_ns ? due_by(r, r->cut_ns - r->t0_ns) : r->stream_sent;
}

/* Seconds the run sent for: until the cut, else until the last stream command queued. */
static double sending_seconds(const struct run *r)
{
	uint64_t end = r->cut_ns ? r->cut_ns : r->last_sent_ns;
	return end > r->t0_ns ? (double)(end - r->t0_ns) * 1e-9 : 0;
}

/* The push-back line: what the schedule offered against what was sent (--rate), where the
 * run stopped (--duration), and how long the sockets held the client's bytes back. */
static void pushback_text(const struct run *r)
{
	double s = sending_seconds(r);
	printf("  push-back:");
	if (r->paced && s > 0)
		printf(" offered %" PRIu64 " commands in %.1f s (%.0f/s), sent %" PRIu64
		       ", not sent %" PRIu64 "%s;", offered(r), s, (double)offered(r) / s,
		       r->stream_sent, offered(r) - r->stream_sent,
		       r->cut_ns ? "" : " (the stream was sent whole)");
	if (r->cut_ns && r->paced)
		printf(" the schedule was %.3f s behind when the run stopped sending at "
		       "--duration;", (double)r->behind_ns * 1e-9);
	else if (r->cut_ns)
		printf(" the run stopped sending at --duration;");
	else if (r->o->duration_s)
		printf(" the stream ran out before --duration;");
	double span = r->nconns * r->t.seconds; /* connection-seconds of the run */
	printf(" sockets refused the client's bytes %" PRIu64 " times, held them %.1f s in all "
	       "(%.0f%% of %u connections x %.1f s)\n", r->send_waits,
	       (double)r->send_wait_ns * 1e-9,
	       span > 0 ? 100.0 * (double)r->send_wait_ns * 1e-9 / span : 0.0, r->nconns,
	       r->t.seconds);
}

static void report_text(const struct run *r, const struct remote_verdict *v)
{
	const struct lg_tally *t = &r->t;
	uint64_t n = r->st->n;
	printf("%s (over TCP to %s port %u): %" PRIu64 " commands in %.3f s = %.2f M "
	       "orders/s\n", r->o->scenario, r->host, r->port, n, t->seconds,
	       (double)n / t->seconds / 1e6);
	printf("  %u connections, up to %u commands in flight on each; ", r->nconns, r->pipeline);
	if (r->paced)
		printf("open loop, --rate %s: %.0f commands/s due, %.0f/s sent\n", r->o->rate,
		       target_per_sec(r), sent_per_sec(r));
	else
		printf("closed loop (--max)\n");
	pushback_text(r);
	printf("  latency from %s to answered:", r->paced ? "due" : "queued");
	for (unsigned k = 0; k < QUANTILES; k++)
		printf(" %s %.3f ms%s", quantile_name[k], (double)v->latency_ns[k] / 1e6,
		       k + 1 < QUANTILES ? "," : "\n");
	printf("  load generator: %.2f s of CPU in the run (%.0f%% of one core), %" PRIu64
	       " polls, %.1f answers per poll\n", r->cpu_seconds,
	       100.0 * r->cpu_seconds / t->seconds, r->turns,
	       r->turns ? (double)r->received / (double)r->turns : 0.0);
	printf("  accepted %" PRIu64 " (split %" PRIu64 "), cancelled %" PRIu64
	       ", rejected %" PRIu64 ", answered from an earlier key %" PRIu64 "\n",
	       t->accepted, t->split, t->cancelled_count, t->rejected, t->duplicate_flags);
	for (unsigned k = 1; k < OC_REJECT_REASON_COUNT; k++)
		if (t->by_reason[k])
			printf("    %-16s %" PRIu64 "\n", oc_reject_reason_name(k), t->by_reason[k]);
	if (t->by_reason[OC_REJECT_CAPACITY])
		printf("  (capacity rejections: is the daemon's --orders-max below --orders?)\n");
	if (r->players) {
		char life[3][LG_LIFE_TEXT_BYTES];
		lg_life_text(&r->life.tally, life);
		printf("  lifecycle: %" PRIu64 " players' commands besides the stream's\n"
		       "    %s\n    %s\n    %s\n", r->life.hi, life[0], life[1], life[2]);
	}
	printf("  checks: oversold units %" PRIu64 ", customers over a limit %" PRIu64
	       ", unanswered %" PRIu64 ", answered twice %" PRIu64 ", answered out of order %"
	       PRIu64 ", retries and cancels answered inconsistently %" PRIu64
	       ", stock mismatches %" PRIu64 ", counter mismatches %" PRIu64
	       ", orders not found or different %" PRIu64 "\n",
	       v->oversold_units, v->limit_violations, v->unanswered, v->duplicate_answers,
	       v->out_of_order, v->key_mismatches, v->stock_mismatches, v->counter_mismatches,
	       v->order_mismatches);
	printf("  verified %" PRIu64 " orders and %" PRIu64 " SKUs through the daemon's queries "
	       "in %.3f s\n", v->verified_orders, v->verified_skus, v->verify_seconds);
	printf("  not checked over TCP (the daemon does not expose it): state hash\n");
	if (r->o->key_base)
		printf("  not checked after other runs (--key-base %" PRIu64 "): units held equal "
		       "to those sold (at least), the counts of commands and answers, the "
		       "engine's counters\n", r->o->key_base);
	printf("  sold-out SKUs %" PRIu64 "\n", v->sold_out_skus);
}

static int report_json(const struct run *r, const struct remote_verdict *v)
{
	const char *path = r->o->json_path;
	const struct lg_tally *t = &r->t;
	uint64_t n = r->st->n;
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "{\n  \"scenario\": \"%s\",\n  \"mode\": \"connect\",\n", r->o->scenario);
	fprintf(f, "  \"connect\": \"%s:%u\",\n", r->host, r->port);
	fprintf(f, "  \"connections\": %u,\n  \"pipeline\": %u,\n", r->nconns, r->pipeline);
	fprintf(f, "  \"orders\": %" PRIu64 ",\n  \"seconds\": %.6f,\n", n, t->seconds);
	fprintf(f, "  \"orders_per_sec\": %.1f,\n  \"seed\": %" PRIu64 ",\n",
		(double)n / t->seconds, r->o->seed);
	fprintf(f, "  \"client_cpu_seconds\": %.3f,\n", r->cpu_seconds);
	fprintf(f, "  \"pacing\": \"%s\",\n", r->paced ? "rate" : "max");
	if (r->paced)
		fprintf(f, "  \"rate\": \"%s\",\n  \"target_per_sec\": %.1f,\n", r->o->rate,
			target_per_sec(r));
	else
		fprintf(f, "  \"rate\": null,\n  \"target_per_sec\": null,\n");
	fprintf(f, "  \"sent_per_sec\": %.1f,\n", sent_per_sec(r));
	if (r->o->duration_s)
		fprintf(f, "  \"duration_s\": %u,\n", r->o->duration_s);
	else
		fprintf(f, "  \"duration_s\": null,\n");
	fprintf(f, "  \"key_base\": %" PRIu64 ",\n  \"stream_commands\": %" PRIu64 ",\n",
		r->o->key_base, r->stream_n);
	fprintf(f, "  \"cut\": %s,\n  \"sending_seconds\": %.6f,\n",
		r->cut_ns ? "true" : "false", sending_seconds(r));
	if (r->paced)
		fprintf(f, "  \"offered\": %" PRIu64 ",\n  \"not_sent\": %" PRIu64
			   ",\n  \"behind_ms\": %.3f,\n", offered(r), offered(r) - r->stream_sent,
			(double)r->behind_ns * 1e-6);
	else
		fprintf(f, "  \"offered\": null,\n  \"not_sent\": null,\n  \"behind_ms\": null,\n");
	fprintf(f, "  \"send_waits\": %" PRIu64 ",\n  \"send_wait_seconds\": %.6f,\n",
		r->send_waits, (double)r->send_wait_ns * 1e-9);
	fprintf(f, "  \"latency_from\": \"%s\",\n  \"latency_ns\": {",
		r->paced ? "due" : "queued");
	for (unsigned k = 0; k < QUANTILES; k++)
		fprintf(f, "\"%s\": %" PRIu64 "%s", quantile_name[k], v->latency_ns[k],
			k + 1 < QUANTILES ? ", " : "},\n");
	lg_tally_json(f, t);
	if (r->players)
		lg_life_json(f, &r->life.tally);
	fprintf(f, "  \"oversold_units\": %" PRIu64 ",\n", v->oversold_units);
	fprintf(f, "  \"limit_violations\": %" PRIu64 ",\n", v->limit_violations);
	fprintf(f, "  \"unanswered\": %" PRIu64 ",\n", v->unanswered);
	fprintf(f, "  \"duplicate_answers\": %" PRIu64 ",\n", v->duplicate_answers);
	fprintf(f, "  \"out_of_order_answers\": %" PRIu64 ",\n", v->out_of_order);
	fprintf(f, "  \"key_mismatches\": %" PRIu64 ",\n", v->key_mismatches);
	fprintf(f, "  \"sold_out_skus\": %" PRIu64 ",\n", v->sold_out_skus);
	fprintf(f, "  \"stock_mismatches\": %" PRIu64 ",\n", v->stock_mismatches);
	fprintf(f, "  \"counter_mismatches\": %" PRIu64 ",\n", v->counter_mismatches);
	fprintf(f, "  \"order_mismatches\": %" PRIu64 ",\n", v->order_mismatches);
	fprintf(f, "  \"verified_orders\": %" PRIu64 ",\n  \"verified_skus\": %" PRIu64 ",\n",
		v->verified_orders, v->verified_skus);
	fprintf(f, "  \"verify_seconds\": %.6f,\n", v->verify_seconds);
	/* Not visible from a client: null, and named, rather than a 0 nobody measured. */
	fprintf(f, "  \"state_hash\": null,\n  \"not_checked\": [\"state_hash\"%s]\n}\n",
		r->o->key_base ? ", \"held_units_exact\", \"command_counts\", \"engine_counters\""
			       : "");
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Chooses the SKUs the report follows: the stream's most ordered (by lines), at most
 * LG_REPORT_SKUS, with their units at the start. 0, or -ENOMEM. */
static int follow_hottest(struct run *r, const struct oc_dataset *d)
{
	uint64_t *lines = calloc(d->sku_count, sizeof(uint64_t));
	if (!lines)
		return -ENOMEM;
	for (uint64_t i = 0; i < r->st->n; i++)
		for (uint32_t l = 0; r->st->cmds[i].type == OC_CMD_PLACE &&
				     l < r->st->cmds[i].line_count; l++) {
			uint32_t g = r->st->sku_idx[i * OC_ORDER_LINES_MAX + l];
			if (g < d->sku_count) /* not a replay's SKU the dataset lacks */
				lines[g]++;
		}
	uint32_t n = 0;
	for (uint32_t g = 0; g < d->sku_count; g++) { /* insertion into the top n */
		if (!lines[g] || (n == LG_REPORT_SKUS && lines[g] <= lines[r->follow[n - 1]]))
			continue;
		uint32_t at = n < LG_REPORT_SKUS ? n++ : n - 1;
		for (; at > 0 && lines[r->follow[at - 1]] < lines[g]; at--)
			r->follow[at] = r->follow[at - 1];
		r->follow[at] = g;
	}
	r->report.skus = n;
	for (uint32_t k = 0; k < n; k++) {
		r->report.sku_id[k] = d->skus[r->follow[k]].sku;
		r->initial[k] = (int64_t)lg_initial_units(d, r->follow[k]);
	}
	free(lines);
	return 0;
}

/* Writes --report: the samples drive took, the answers by outcome, and the summary. */
static int report_html(struct run *r, const struct remote_verdict *v)
{
	struct lg_report *rep = &r->report;
	const struct lg_tally *t = &r->t;
	snprintf(rep->title, sizeof(rep->title), "%.40s over TCP to %.80s port %u",
		 r->o->scenario, r->host, r->port);
	rep->accepted = t->accepted;
	rep->cancelled = t->cancelled_count;
	rep->duplicates = t->duplicate_flags;
	memcpy(rep->rejected, t->by_reason, sizeof(rep->rejected));
	lg_report_row(rep, "commands", "%" PRIu64 " in %.3f s, %.0f a second", r->st->n,
		      t->seconds, (double)r->st->n / t->seconds);
	if (r->paced)
		lg_report_row(rep, "pacing", "open loop, --rate %s: %.0f a second due, %.0f sent",
			      r->o->rate, target_per_sec(r), sent_per_sec(r));
	else
		lg_report_row(rep, "pacing", "closed loop (--max)");
	lg_report_row(rep, "connections", "%u, up to %u commands in flight on each", r->nconns,
		      r->pipeline);
	char lat[LG_REPORT_TEXT_BYTES];
	size_t at = 0;
	for (unsigned k = 0; k < QUANTILES && at < sizeof(lat); k++)
		at += (size_t)snprintf(lat + at, sizeof(lat) - at, "%s %s %.3f ms", k ? "," : "",
				       quantile_name[k], (double)v->latency_ns[k] / 1e6);
	lg_report_row(rep, r->paced ? "latency from due" : "latency from queued", "%s", lat);
	lg_report_row(rep, "accepted", "%" PRIu64 " (%" PRIu64 " from more than one warehouse)",
		      t->accepted, t->split);
	lg_report_row(rep, "rejected", "%" PRIu64, t->rejected);
	if (r->players) {
		char life[3][LG_LIFE_TEXT_BYTES];
		lg_life_text(&r->life.tally, life);
		lg_report_row(rep, "lifecycle: reviews and payments", "%s", life[0]);
		lg_report_row(rep, "lifecycle: picks and packs", "%s", life[1]);
		lg_report_row(rep, "lifecycle: carriers, returns, refunds", "%s", life[2]);
	}
	lg_report_row(rep, "sold-out SKUs", "%" PRIu64, v->sold_out_skus);
	lg_report_row(rep, "checks", "%s: oversold units %" PRIu64 ", customers over a limit %"
		      PRIu64 ", unanswered %" PRIu64 ", answered twice %" PRIu64
		      ", out of order %" PRIu64 ", retries answered inconsistently %" PRIu64,
		      verdict_ok(v) ? "passed" : "BROKEN", v->oversold_units, v->limit_violations,
		      v->unanswered, v->duplicate_answers, v->out_of_order, v->key_mismatches);
	lg_report_row(rep, "daemon's queries", "%" PRIu64 " orders and %" PRIu64 " SKUs in %.3f "
		      "s: stock mismatches %" PRIu64 ", counter mismatches %" PRIu64
		      ", orders not found or different %" PRIu64, v->verified_orders,
		      v->verified_skus, v->verify_seconds, v->stock_mismatches,
		      v->counter_mismatches, v->order_mismatches);
	return lg_report_write(rep, r->o->report_path);
}

/* Connects, drives, verifies (from the answers, then through the daemon's queries) and
 * reports; the stream and tally are made. Exit status. */
static int run_with(struct run *r, const struct oc_dataset *d)
{
	if (r->o->report_path && follow_hottest(r, d) != 0) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	int status = connect_all(r);
	if (status)
		return status;
	if (r->o->acked_log && (r->acked_fd = lg_acked_open(r->o->acked_log)) < 0)
		return 2;
	status = drive(r);
	if (r->acked_fd >= 0)
		close(r->acked_fd);
	if (status)
		return status;
	struct remote_verdict v;
	if (verify(r, d, &v) != 0) {
		fprintf(stderr, "loadgen: out of memory verifying\n");
		return 2;
	}
	status = check_daemon(r, d, &v);
	if (status)
		return status;
	if (!r->o->quiet)
		report_text(r, &v);
	status = verdict_ok(&v) ? 0 : 1;
	if (r->o->json_path && report_json(r, &v) != 0)
		status = 2;
	if (r->o->report_path && report_html(r, &v) != 0)
		status = 2;
	else if (r->o->report_path && !r->o->quiet)
		printf("  report: %s\n", r->o->report_path);
	if (status == 1)
		fprintf(stderr, "loadgen: INVARIANT BROKEN (see checks above)\n");
	return status;
}

/* With players: their per-order and per-SKU arrays, and their keys. The stream's keys are
 * 1..n and a replay's are the file's: the players' (RMAs, refunds, short picks) start at
 * 2^62, far above any generated key (docs/loadgen.md says so for replays). 0, or -ENOMEM. */
static int players_init(struct players *pl, const struct lg_options *o, uint64_t n,
			const struct oc_dataset *d)
{
	pl->life = o->life;
	pl->life.next_key = 1ull << 62;
	pl->state = calloc(n, 1);
	pl->state_seq = calloc(n, sizeof(uint64_t));
	pl->decided = calloc(n, sizeof(uint32_t));
	pl->cut = calloc(n, 1);
	pl->missing = calloc(d->sku_count + 1u, sizeof(uint64_t));
	pl->restocked = calloc(d->sku_count + 1u, sizeof(uint64_t));
	return pl->state && pl->state_seq && pl->decided && pl->cut && pl->missing &&
	       pl->restocked ? 0 : -ENOMEM;
}

static void players_free(struct players *pl)
{
	free(pl->ring);
	free(pl->state);
	free(pl->state_seq);
	free(pl->decided);
	free(pl->cut);
	free(pl->missing);
	free(pl->restocked);
}

int lg_remote_run(const struct lg_options *o)
{
	if (!o->dataset_dir) {
		fprintf(stderr, "loadgen: --connect needs --dataset DIR, the dataset the daemon runs "
				"(its stock and limits are what the answers are checked against)\n");
		return 2;
	}
	struct run r = {.o = o, .acked_fd = -1, .nconns = o->connections,
			.pipeline = o->pipeline, .paced = o->rate != NULL, .players = o->players};
	char err[256];
	if (parse_address(&r, o->connect) != 0)
		return 2;
	if (o->rate && lg_pace_parse(o->rate, &r.pace, err, sizeof(err)) != 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 2;
	}
	struct oc_dataset d;
	if (lg_dataset_load(o->dataset_dir, &d) != 0)
		return 2;
	struct lg_stream st = {0};
	int status = 2;
	r.st = &st;
	r.conns = calloc(r.nconns, sizeof(*r.conns));
	r.latency = malloc(sizeof(*r.latency));
	r.second = malloc(sizeof(*r.second));
	if (r.latency && r.second) {
		oc_hist_reset(r.latency);
		oc_hist_reset(r.second);
	}
	int made = lg_stream_make(&st, &d, o);
	r.stream_n = st.n;
	bool ready = made == 0 && lg_tally_init(&r.t, st.n) == 0 && r.conns && r.latency &&
		     r.second && (r.at_ns = malloc(st.n * sizeof(uint64_t))) &&
		     (r.seq = calloc(st.n, sizeof(uint64_t))) && (r.dup = calloc(st.n, 1)) &&
		     (r.reason = calloc(st.n, 1)) &&
		     (!r.players || players_init(&r.life, o, st.n, &d) == 0);
	if (ready)
		status = run_with(&r, &d);
	else if (made == 0 || !o->replay) /* a replay that does not read said why */
		fprintf(stderr, "loadgen: out of memory making %" PRIu64 " orders\n", o->orders);
	for (uint32_t k = 0; r.conns && k < r.nconns; k++) {
		oc_client_close(r.conns[k].c);
		free(r.conns[k].sent);
	}
	free(r.conns);
	free(r.latency);
	free(r.second);
	lg_report_free(&r.report);
	free(r.at_ns);
	free(r.seq);
	free(r.dup);
	free(r.reason);
	free(r.first);
	free(r.sold_units);
	free(r.on_hand_expected);
	free(r.held_expected);
	players_free(&r.life);
	lg_tally_destroy(&r.t);
	lg_stream_free(&st);
	oc_dataset_destroy(&d);
	return status;
}
