/* remote.c: ordercore-loadgen --connect: the flash sale against a running ordercored over TCP,
 * through the client library (ordercore/client.h). It owns the run's connections, the
 * per-command timestamps and the answers' sequence numbers; the stream (stream.c) and the
 * tally (tally.c) are the in-process mode's. One thread drives every connection: it queues
 * commands while a connection has fewer than --pipeline in flight, sends without blocking,
 * waits in poll(2) over all the sockets and takes the answers that came.
 *
 * Commands are handed out in blocks of BLOCK_COMMANDS, in stream order, to whichever
 * connection has room for more, so a connection that the daemon serves faster takes more
 * blocks and none is left with a long tail. Each answer carries the index of its command as
 * its correlation; a connection's answers must come in the order it sent its commands.
 *
 * What is checked from the answers alone: every command answered exactly once and in order
 * on its connection; no SKU sold beyond its stock in the dataset (accepted units minus
 * cancelled orders' units); no customer over a purchase limit; every retry answered with the
 * original's status and sequence number, and every cancel naming the order it cancelled. The
 * engine's stock, counters and state hash are not visible from a client: they are reported as
 * not checked. */
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
#include "data/dataset.h"
#include "loadgen.h"
#include "ordercore/client.h"

/* Commands a connection takes from the stream at a time: large enough that claiming is rare,
 * small enough that the connections share the end of the stream. */
#define BLOCK_COMMANDS 64u
/* Answers taken per oc_client_receive call. */
#define ANSWER_BATCH 512u
/* With commands in flight and no answer for this long, the daemon is taken to be stuck. */
#define STALL_MS 30000
#define NO_COMMAND UINT32_MAX

_Static_assert(LG_PIPELINE_MAX <= UINT32_MAX && LG_CONNECTIONS_MAX < 65536,
	       "a connection's ring holds command indices of 32 bits");

struct conn {
	struct oc_client *c;
	uint64_t next, end; /* the block being queued: commands [next, end) */
	uint32_t *sent;     /* indices of the commands in flight, oldest at head: a ring of
	                     * --pipeline slots */
	uint32_t head, count;
};

struct run {
	const struct lg_options *o;
	const struct lg_stream *st;
	struct lg_tally t;
	struct conn *conns;
	uint32_t nconns, pipeline;
	uint64_t claimed;      /* commands handed to a connection: [0, claimed) */
	uint64_t received;     /* answers received, matched or not */
	uint64_t *at_ns;       /* [i] CLOCK_MONOTONIC when command i was queued; after its
	                        * answer, its latency (ns) */
	uint64_t *seq;         /* [i] the answer's seq; original_seq for a duplicate or a
	                        * cancel: the order it names */
	uint8_t *dup;          /* [i] the answer had OC_RESPONSE_DUPLICATE */
	uint64_t out_of_order; /* answers that were not their connection's oldest command */
	uint64_t turns;        /* poll(2) calls of the run */
	double cpu_seconds;    /* this process's user + system time during the run */
	int acked_fd;
	char host[256];
	uint16_t port;
};

struct remote_verdict {
	uint64_t oversold_units, limit_violations, unanswered, duplicate_answers;
	uint64_t out_of_order, key_mismatches, sold_out_skus;
	uint64_t latency_ns[4]; /* p50, p99, p99.9, max */
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
		c->sent = malloc(r->pipeline * sizeof(uint32_t));
		if (!c->sent) {
			fprintf(stderr, "loadgen: out of memory\n");
			return 2;
		}
		if (oc_client_connect(&cfg, &c->c, err, sizeof(err)) != 0) {
			fprintf(stderr, "loadgen: connection %u of %u: %s\n", k + 1, r->nconns, err);
			return 2;
		}
		uint64_t last = oc_client_last_seq(c->c);
		if (last != 0) {
			fprintf(stderr, "loadgen: the daemon at %s port %u has decided %" PRIu64
					" commands already; the flash sale starts from an empty engine: "
					"restart ordercored on a new --data-dir (or without one)\n",
				r->host, r->port, last);
			return 2;
		}
	}
	return 0;
}

/* Queues commands on c while it has fewer than --pipeline in flight and stream left, stamped
 * t_ns (one clock read per turn of a connection: queueing a few hundred commands takes a
 * few microseconds), then sends what the socket takes. 0 or the client's -errno. */
static int fill(struct run *r, struct conn *c, uint64_t t_ns)
{
	const struct lg_stream *st = r->st;
	while (c->count < r->pipeline) {
		if (c->next == c->end) {
			if (r->claimed == st->n)
				break;
			uint64_t left = st->n - r->claimed;
			c->next = r->claimed;
			c->end = r->claimed + (left < BLOCK_COMMANDS ? left : BLOCK_COMMANDS);
			r->claimed = c->end;
		}
		int rc = oc_client_queue(c->c, &st->cmds[c->next], c->next);
		if (rc == -EAGAIN)
			break; /* the output buffer is full: sent below, queued next turn */
		if (rc)
			return rc;
		r->at_ns[c->next] = t_ns;
		c->sent[(c->head + c->count++) % r->pipeline] = (uint32_t)c->next;
		c->next++;
	}
	int rc = oc_client_flush(c->c, 0);
	return rc == -EAGAIN ? 0 : rc;
}

/* Takes answer a, received on c at t_ns. True when it names a command of the stream (its
 * correlation is the command's index, and the key and type agree). */
static bool take(struct run *r, struct conn *c, const struct oc_client_answer *a, uint64_t t_ns)
{
	OC_ASSERT(c->count > 0); /* the client returns no answer to nothing */
	uint32_t oldest = c->sent[c->head];
	c->head = (c->head + 1) % r->pipeline;
	c->count--;
	uint64_t i = a->correlation;
	const struct oc_response *resp = &a->response;
	r->out_of_order += i != oldest;
	if (i >= r->st->n || resp->key != r->st->cmds[i].key || resp->type != r->st->cmds[i].type) {
		r->t.stray++;
		return false;
	}
	if (r->t.answers[i] == 0) {
		r->at_ns[i] = t_ns - r->at_ns[i];
		r->dup[i] = (resp->flags & OC_RESPONSE_DUPLICATE) != 0;
		bool names_order = r->dup[i] || resp->status == OC_STATUS_CANCELLED;
		r->seq[i] = names_order ? resp->original_seq : resp->seq;
	}
	lg_tally_take(&r->t, r->st, i, resp);
	return true;
}

/* Takes every answer c has. The socket is polled level-triggered, so a receive that returns
 * fewer than asked (the client's buffer then holds no whole answer) ends it: whatever comes
 * later makes the socket readable again. 0 or the client's -errno. */
static int drain(struct run *r, struct conn *c)
{
	struct oc_client_answer a[ANSWER_BATCH];
	int got;
	do {
		got = oc_client_receive(c->c, a, ANSWER_BATCH, 0);
		if (got <= 0)
			return got;
		uint64_t t_ns = now_ns();
		uint32_t good = 0;
		for (int j = 0; j < got; j++)
			if (take(r, c, &a[j], t_ns))
				a[good++] = a[j];
		if (r->acked_fd >= 0)
			lg_acked_append_answers(r->acked_fd, a, r->st->cmds, good);
		r->received += (uint64_t)got;
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

/* Sends the whole stream and receives every answer. 0, or 2 (said) when a connection fails
 * or the daemon stops answering. */
static int drive(struct run *r)
{
	struct pollfd *pfd = calloc(r->nconns, sizeof(*pfd));
	if (!pfd) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 2;
	}
	int status = 0;
	double cpu0 = cpu_s();
	uint64_t t0 = now_ns(), progress_ns = t0, seen = 0;
	while (status == 0 && r->received < r->st->n) {
		for (uint32_t k = 0; status == 0 && k < r->nconns; k++) {
			struct conn *c = &r->conns[k];
			int rc = fill(r, c, now_ns());
			if (rc) {
				status = conn_failed(r, k, rc);
				break;
			}
			bool idle = c->count == 0 && c->next == c->end && r->claimed == r->st->n;
			pfd[k].fd = idle ? -1 : oc_client_fd(c->c); /* done: poll skips it */
			pfd[k].events = POLLIN | (oc_client_pending(c->c) ? POLLOUT : 0);
			pfd[k].revents = 0;
		}
		if (status)
			break;
		int n = poll(pfd, r->nconns, 1000);
		r->turns++;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "loadgen: poll: %s\n", strerror(errno));
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
		uint64_t now = now_ns();
		if (r->received != seen) {
			seen = r->received;
			progress_ns = now;
		} else if (now - progress_ns > (uint64_t)STALL_MS * 1000000u) {
			fprintf(stderr, "loadgen: no answer from %s port %u for %d s (%" PRIu64
					" of %" PRIu64 " commands answered)\n", r->host, r->port,
				STALL_MS / 1000, r->received, r->st->n);
			status = 2;
		}
	}
	r->t.seconds = (double)(now_ns() - t0) * 1e-9;
	r->cpu_seconds = cpu_s() - cpu0;
	free(pfd);
	return status;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* p50, p99, p99.9 and the maximum of the answered commands' latencies, exact (every
 * latency sorted, nearest rank). Reuses at_ns. */
static void latencies(struct run *r, struct remote_verdict *v)
{
	uint64_t m = 0;
	for (uint64_t i = 0; i < r->st->n; i++)
		if (r->t.answers[i])
			r->at_ns[m++] = r->at_ns[i];
	if (m == 0)
		return;
	qsort(r->at_ns, m, sizeof(uint64_t), u64_cmp);
	static const double q[3] = {0.50, 0.99, 0.999};
	for (unsigned k = 0; k < 3; k++) {
		uint64_t rank = (uint64_t)(q[k] * (double)m + 0.999999); /* ceil, 1-based */
		v->latency_ns[k] = r->at_ns[(rank ? rank : 1) - 1];
	}
	v->latency_ns[3] = r->at_ns[m - 1];
}

/* Every answer that names an order (a retry's duplicate, a cancel that succeeded) must name
 * the order's first decision: the same status and its sequence number; and an order once
 * accepted is never decided anew. The first decision of a key is its non-duplicate answer
 * with the lowest sequence number (over TCP a retry may be decided before its original).
 * Returns the answers that break this, or UINT64_MAX when out of memory. */
static uint64_t key_mismatches(const struct run *r)
{
	const struct lg_stream *st = r->st;
	const struct lg_tally *t = &r->t;
	uint32_t *first = malloc(st->n * sizeof(uint32_t));
	if (!first)
		return UINT64_MAX;
	for (uint64_t i = 0; i < st->n; i++)
		first[i] = NO_COMMAND;
	for (uint64_t i = 0; i < st->n; i++) {
		uint32_t *f = &first[st->orig[i]];
		if (t->answers[i] && st->cmds[i].type == OC_CMD_PLACE && !r->dup[i] &&
		    (*f == NO_COMMAND || r->seq[i] < r->seq[*f]))
			*f = (uint32_t)i;
	}
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
	free(first);
	return bad;
}

/* The checks that the answers and the dataset allow. 0, or -ENOMEM. */
static int verify(struct run *r, const struct oc_dataset *d, struct remote_verdict *v)
{
	memset(v, 0, sizeof(*v));
	for (uint64_t i = 0; i < r->st->n; i++) {
		v->unanswered += r->t.answers[i] == 0;
		v->duplicate_answers += r->t.answers[i] > 1 ? r->t.answers[i] - 1u : 0;
	}
	v->duplicate_answers += r->t.stray;
	v->out_of_order = r->out_of_order;
	uint64_t *sold = lg_sold_units(r->st, &r->t, d, &v->limit_violations);
	v->key_mismatches = key_mismatches(r);
	if (!sold || v->key_mismatches == UINT64_MAX) {
		free(sold);
		return -ENOMEM;
	}
	for (uint32_t g = 0; g < d->sku_count; g++) {
		uint64_t initial = lg_initial_units(d, g);
		v->oversold_units += sold[g] > initial ? sold[g] - initial : 0;
		v->sold_out_skus += initial > 0 && sold[g] == initial;
	}
	free(sold);
	latencies(r, v);
	return 0;
}

static bool verdict_ok(const struct remote_verdict *v)
{
	return !v->oversold_units && !v->limit_violations && !v->unanswered &&
	       !v->duplicate_answers && !v->out_of_order && !v->key_mismatches;
}

static void report_text(const struct run *r, const struct remote_verdict *v)
{
	const struct lg_tally *t = &r->t;
	uint64_t n = r->st->n;
	printf("flash-sale (over TCP to %s port %u): %" PRIu64 " commands in %.3f s = %.2f M "
	       "orders/s\n", r->host, r->port, n, t->seconds, (double)n / t->seconds / 1e6);
	printf("  %u connections, up to %u commands in flight on each; latency from queued to "
	       "answered: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n", r->nconns,
	       r->pipeline, (double)v->latency_ns[0] / 1e6, (double)v->latency_ns[1] / 1e6,
	       (double)v->latency_ns[2] / 1e6, (double)v->latency_ns[3] / 1e6);
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
	printf("  checks: oversold units %" PRIu64 ", customers over a limit %" PRIu64
	       ", unanswered %" PRIu64 ", answered twice %" PRIu64 ", answered out of order %"
	       PRIu64 ", retries and cancels answered inconsistently %" PRIu64 "\n",
	       v->oversold_units, v->limit_violations, v->unanswered, v->duplicate_answers,
	       v->out_of_order, v->key_mismatches);
	printf("  not checked over TCP (they need the engine's state after stop): stock "
	       "mismatches, counter mismatches, state hash\n");
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
	fprintf(f, "{\n  \"scenario\": \"flash-sale\",\n  \"mode\": \"connect\",\n");
	fprintf(f, "  \"connect\": \"%s:%u\",\n", r->host, r->port);
	fprintf(f, "  \"connections\": %u,\n  \"pipeline\": %u,\n", r->nconns, r->pipeline);
	fprintf(f, "  \"orders\": %" PRIu64 ",\n  \"seconds\": %.6f,\n", n, t->seconds);
	fprintf(f, "  \"orders_per_sec\": %.1f,\n  \"seed\": %" PRIu64 ",\n",
		(double)n / t->seconds, r->o->seed);
	fprintf(f, "  \"client_cpu_seconds\": %.3f,\n", r->cpu_seconds);
	fprintf(f, "  \"latency_ns\": {\"p50\": %" PRIu64 ", \"p99\": %" PRIu64
		   ", \"p99.9\": %" PRIu64 ", \"max\": %" PRIu64 "},\n", v->latency_ns[0],
		v->latency_ns[1], v->latency_ns[2], v->latency_ns[3]);
	lg_tally_json(f, t);
	fprintf(f, "  \"oversold_units\": %" PRIu64 ",\n", v->oversold_units);
	fprintf(f, "  \"limit_violations\": %" PRIu64 ",\n", v->limit_violations);
	fprintf(f, "  \"unanswered\": %" PRIu64 ",\n", v->unanswered);
	fprintf(f, "  \"duplicate_answers\": %" PRIu64 ",\n", v->duplicate_answers);
	fprintf(f, "  \"out_of_order_answers\": %" PRIu64 ",\n", v->out_of_order);
	fprintf(f, "  \"key_mismatches\": %" PRIu64 ",\n", v->key_mismatches);
	fprintf(f, "  \"sold_out_skus\": %" PRIu64 ",\n", v->sold_out_skus);
	/* Not visible from a client: null, and named, rather than a 0 nobody measured. */
	fprintf(f, "  \"stock_mismatches\": null,\n  \"counter_mismatches\": null,\n");
	fprintf(f, "  \"state_hash\": null,\n");
	fprintf(f, "  \"not_checked\": [\"stock_mismatches\", \"counter_mismatches\", "
		   "\"state_hash\"]\n}\n");
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Connects, drives, verifies and reports; the stream and tally are made. Exit status. */
static int run_with(struct run *r, const struct oc_dataset *d)
{
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
	if (!r->o->quiet)
		report_text(r, &v);
	status = verdict_ok(&v) ? 0 : 1;
	if (r->o->json_path && report_json(r, &v) != 0)
		status = 2;
	if (status == 1)
		fprintf(stderr, "loadgen: INVARIANT BROKEN (see checks above)\n");
	return status;
}

int lg_remote_run(const struct lg_options *o)
{
	if (!o->dataset_dir) {
		fprintf(stderr, "loadgen: --connect needs --dataset DIR, the dataset the daemon runs "
				"(its stock and limits are what the answers are checked against)\n");
		return 2;
	}
	struct run r = {.o = o, .acked_fd = -1, .nconns = o->connections,
			.pipeline = o->pipeline};
	if (parse_address(&r, o->connect) != 0)
		return 2;
	struct oc_dataset d;
	if (lg_dataset_load(o->dataset_dir, &d) != 0)
		return 2;
	struct lg_stream st = {0};
	int status = 2;
	r.st = &st;
	r.conns = calloc(r.nconns, sizeof(*r.conns));
	if (lg_stream_make(&st, &d, o) != 0 || lg_tally_init(&r.t, st.n) != 0 || !r.conns ||
	    !(r.at_ns = malloc(st.n * sizeof(uint64_t))) ||
	    !(r.seq = calloc(st.n, sizeof(uint64_t))) || !(r.dup = calloc(st.n, 1)))
		fprintf(stderr, "loadgen: out of memory making %" PRIu64 " orders\n", o->orders);
	else
		status = run_with(&r, &d);
	for (uint32_t k = 0; r.conns && k < r.nconns; k++) {
		oc_client_close(r.conns[k].c);
		free(r.conns[k].sent);
	}
	free(r.conns);
	free(r.at_ns);
	free(r.seq);
	free(r.dup);
	lg_tally_destroy(&r.t);
	lg_stream_free(&st);
	oc_dataset_destroy(&d);
	return status;
}
