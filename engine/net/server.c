/* server.c: the network front of ordercored (see server.h). It owns the listening socket,
 * the io_uring and its ring of provided receive buffers, every connection (its socket, the
 * receive buffer it holds, its carry of a cut frame, its output buffer, handshake state), the
 * commands taken from sockets and not yet submitted, the FIFO that matches the engine's
 * answers (which come one per command, in submission order; a query's rows — history,
 * customer, reconcile — just before its answer, with its sequence number) to the connection
 * and correlation id that asked, and the list of subscribed connections. One thread runs it
 * all; only the buffer ring is shared, with the kernel.
 *
 * A loop turn: reap every completion (accepts, receives, sends, the engine's wake-up), parse
 * the input that arrived, submit the parsed commands to the engine, poll its answers and rows
 * into the connections' output buffers (and each answer that is an event into every
 * subscriber's), then post the sends and receives that are due, in one submission. When
 * nothing moved and the engine holds commands, the loop arms the engine's response eventfd
 * and sleeps in io_uring on a read of it, so answers and socket events both end the wait.
 *
 * Receive buffers: each receive is single-shot, posted only while the connection may read,
 * and lets the kernel pick a buffer of the ring when data comes (IOSQE_BUFFER_SELECT). The
 * completion names the buffer; the connection parses the frames in it where they are, gives
 * it back to the ring once they are all taken, and only then posts its next receive. A
 * frame cut by the end of a buffer is copied into the connection's carry and completed from
 * the next buffer. When a receive finds every buffer held (-ENOBUFS), the connections that
 * may read take turns at the buffers given back, round robin (rearm_waiting). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <mimalloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/assert.h"
#include "core/error.h"
#include "core/metrics.h"
#include "net/server.h"
#include "net/server_test.h"

enum { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3, OP_WAKE = 4 };

/* Submission queue entries: a receive and a send per connection, and the accept. */
/* The fields of struct oc_server_stats (server_counters). */
#define SERVER_COUNTERS 14u
#define RING_ENTRIES 4096u
/* Commands parsed and waiting for the engine to take them. */
#define PENDING_MAX 4096u
/* Answers moved from the engine per poll. */
#define POLL_BATCH 512u
/* How long a stopping server keeps sending answers to clients that are slow to read. */
#define STOP_GRACE_NS 2000000000ull
/* The longest the loop sleeps in io_uring when nothing moved: answers (the engine's eventfd)
 * and socket events end the wait at once; this bounds how late a stop request is seen. */
#define WAIT_IDLE_NS 100000000u
/* How long it sleeps when the engine refused commands with none of this server's in flight
 * (it drains the pipeline for a snapshot barrier): no answer will wake it then. */
#define WAIT_REFUSED_NS 100000u
/* The provided buffer group of the receive buffers, the only group of the server's ring. */
#define RECV_GROUP 0u

_Static_assert((OC_SERVER_RECV_BUFFERS & (OC_SERVER_RECV_BUFFERS - 1)) == 0 &&
		       OC_SERVER_RECV_BUFFERS <= 32768u,
	       "a buffer ring has a power of two entries, at most 32768 (buffer ids are u16)");
_Static_assert(OC_SERVER_RECV_BUFFER_BYTES >= OC_PROTO_FRAME_BYTES_MAX,
	       "a receive buffer holds at least one whole frame");

enum conn_state {
	CONN_FREE = 0,
	CONN_HELLO,   /* connected, waiting for the hello */
	CONN_OPEN,    /* handshake done */
	CONN_DRAIN,   /* no more input (peer shut its side, or the server stops): answer what
	               * was taken, send it, then close */
	CONN_CLOSING, /* closing: nothing more is read or sent beyond what is queued */
};

struct conn {
	int fd;
	uint32_t gen; /* bumped at every reuse of the slot: stale completions and answers */
	enum conn_state state;
	bool recv_busy, send_busy, stalled, discard;
	bool capped;                 /* stalled at connection_inflight_max (counted once) */
	bool recv_waiting;           /* may read, and waits for its turn at a buffer */
	bool buf_held;               /* a receive buffer is this connection's until parsed */
	uint16_t buf_id;             /* buf_held: which */
	uint32_t buf_len, buf_off;   /* buf_held: bytes received in it, and how many are parsed */
	uint32_t carry_len;          /* bytes of a cut frame's start in carry (then buf_off is 0) */
	size_t out_len, out_sent;    /* output bytes held, and how many are sent */
	size_t send_len;             /* the send in flight covers [out_sent, send_len) */
	uint32_t commands;           /* taken from this connection and not yet answered */
	uint64_t hello_deadline_ns;  /* CONN_HELLO: closed when still waiting then */
	uint32_t next_free;
	uint32_t events;             /* subscribed kinds (enum oc_proto_event_kind), 0: none */
	uint64_t events_correlation; /* the subscribe's, carried by every event */
	uint8_t *carry; /* OC_PROTO_FRAME_BYTES_MAX */
	uint8_t *out;   /* 2 x output_bytes_max: a send in flight never moves */
};

/* An admin command in flight (is_admin), beside its tag: what it asked, for the audit line
 * written with its answer. */
struct audit {
	uint64_t sku, order_key, amount_cents;
	uint32_t quantity, flags;
	uint16_t warehouse;
};

/* Who asked for a command's answer, and the sequence number the engine gave the command
 * (0 until it is submitted): its answer, and its rows, carry it. */
struct tag {
	uint32_t conn, gen;
	uint64_t correlation;
	uint64_t seq;
};

struct oc_server {
	struct oc_server_config cfg;
	struct oc_engine *e;
	struct io_uring ring;
	bool ring_ready;
	struct io_uring_buf_ring *br; /* OC_SERVER_RECV_BUFFERS entries, page-aligned (mmap) */
	bool br_registered;
	uint8_t *recv_bufs;           /* OC_SERVER_RECV_BUFFERS x OC_SERVER_RECV_BUFFER_BYTES */
	uint32_t recv_bufs_held;      /* by connections; the others are in the ring, the kernel's */
	uint32_t recv_waiting;        /* connections waiting for a buffer (recv_waiting) */
	uint32_t recv_waiting_next;   /* where the next round of rearm_waiting starts */
	int listen_fd;
	uint16_t port;
	bool accept_armed, stopping;
	uint64_t stop_deadline;
	struct conn *conns;
	uint32_t free_head, live;
	struct oc_command *pending;
	struct tag *pending_tag;
	uint32_t pending_head, pending_n; /* [pending_head, pending_n) wait */
	struct tag *fifo;                 /* [OC_SERVER_INFLIGHT_MAX] */
	struct audit *audits;             /* [OC_SERVER_INFLIGHT_MAX] beside fifo: admin only */
	uint32_t fifo_head, fifo_n;
	uint64_t last_seq;
	uint32_t subscribers[OC_SERVER_SUBSCRIBERS_MAX]; /* connection indices, unordered */
	uint32_t subscriber_count;
	bool wake_posted;  /* a read of the engine's eventfd is in flight */
	uint64_t wake_value; /* its buffer */
	uint64_t started_ns;
	struct oc_response resp[POLL_BATCH];
	struct oc_server_stats st;
	/* st, live and subscriber_count as metrics (core/metrics.h), published every loop turn,
	 * for the admin thread: [i] is server_counters[i], then the two gauges. */
	oc_metric published[SERVER_COUNTERS + 2];
};

/* The server's counters as metrics: the field of struct oc_server_stats, name and help. */
static const struct {
	size_t offset;
	const char *name, *help;
} server_counters[SERVER_COUNTERS] = {
    {offsetof(struct oc_server_stats, accepted), "connections_accepted_total",
     "Connections accepted."},
    {offsetof(struct oc_server_stats, refused), "connections_refused_total",
     "Connections refused (told overload: connections_max reached)."},
    {offsetof(struct oc_server_stats, closed), "connections_closed_total", "Connections closed."},
    {offsetof(struct oc_server_stats, protocol_errors), "protocol_errors_total",
     "Connections closed for a protocol error."},
    {offsetof(struct oc_server_stats, slow_disconnects), "slow_disconnects_total",
     "Connections closed because their answers no longer fit (a client that stopped reading)."},
    {offsetof(struct oc_server_stats, commands), "server_commands_total",
     "Commands taken from connections."},
    {offsetof(struct oc_server_stats, answers), "server_answers_total",
     "Answers sent (one a command; query rows not counted)."},
    {offsetof(struct oc_server_stats, dropped_answers), "server_dropped_answers_total",
     "Answers whose connection had gone."},
    {offsetof(struct oc_server_stats, recvs), "server_recvs_total", "Socket receives completed."},
    {offsetof(struct oc_server_stats, sends), "server_sends_total", "Socket sends completed."},
    {offsetof(struct oc_server_stats, loop_turns), "server_loop_turns_total",
     "Turns of the server's loop."},
    {offsetof(struct oc_server_stats, recv_nobufs), "server_recv_nobufs_total",
     "Receives that found no provided buffer free."},
    {offsetof(struct oc_server_stats, events), "events_total",
     "Event frames queued to subscribers."},
    {offsetof(struct oc_server_stats, connection_stalls), "connection_inflight_stalls_total",
     "Times a connection had connection_inflight_max commands unanswered and was read no more "
     "until answers went out."},
};

_Static_assert(sizeof(struct oc_server_stats) == SERVER_COUNTERS * sizeof(uint64_t),
	       "server_counters names every field");

static void publish_stats(struct oc_server *s)
{
	for (uint32_t i = 0; i < SERVER_COUNTERS; i++)
		oc_metric_set(&s->published[i],
			      *(const uint64_t *)((const char *)&s->st + server_counters[i].offset));
	oc_metric_set(&s->published[SERVER_COUNTERS], s->live);
	oc_metric_set(&s->published[SERVER_COUNTERS + 1], s->subscriber_count);
}

int oc_server_metrics_write(const struct oc_server *s, FILE *out)
{
	for (uint32_t i = 0; i < SERVER_COUNTERS; i++)
		fprintf(out, "# HELP ordercore_%s %s\n# TYPE ordercore_%s counter\nordercore_%s %" PRIu64
			     "\n",
			server_counters[i].name, server_counters[i].help, server_counters[i].name,
			server_counters[i].name, oc_metric_get(&s->published[i]));
	fprintf(out, "# HELP ordercore_connections Connections open now.\n"
		     "# TYPE ordercore_connections gauge\nordercore_connections %" PRIu64 "\n",
		oc_metric_get(&s->published[SERVER_COUNTERS]));
	fprintf(out, "# HELP ordercore_subscribers Connections subscribed to events now.\n"
		     "# TYPE ordercore_subscribers gauge\nordercore_subscribers %" PRIu64 "\n",
		oc_metric_get(&s->published[SERVER_COUNTERS + 1]));
	return ferror(out) ? -EIO : 0;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t user_data(unsigned op, uint32_t idx, uint32_t gen)
{
	return (uint64_t)op << 56 | (uint64_t)(gen & 0xffffffu) << 32 | idx;
}

static struct io_uring_sqe *sqe_get(struct oc_server *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
	if (!sqe) { /* full: hand what is queued to the kernel and take a fresh entry */
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
	}
	OC_ASSERT(sqe != NULL);
	return sqe;
}

/* A connection's event: opened and closed at debug, a close the server decides (with why) at
 * info. */
static void log_conn(const char *msg, uint32_t idx, const char *detail)
{
	oc_log(detail ? OC_LOG_INFO : OC_LOG_DEBUG, "msg=\"%s\" conn=%u%s%s%s", msg, idx,
	       detail ? " detail=\"" : "", detail ? detail : "", detail ? "\"" : "");
}

/* ---- receive buffers ---- */

static uint8_t *recv_buf(const struct oc_server *s, uint16_t id)
{
	return s->recv_bufs + (size_t)id * OC_SERVER_RECV_BUFFER_BYTES;
}

/* Gives receive buffer id back to the ring, for the kernel to fill again. */
static void recv_buf_give(struct oc_server *s, uint16_t id)
{
	OC_ASSERT(id < OC_SERVER_RECV_BUFFERS);
	io_uring_buf_ring_add(s->br, recv_buf(s, id), OC_SERVER_RECV_BUFFER_BYTES, id,
			      io_uring_buf_ring_mask(OC_SERVER_RECV_BUFFERS), 0);
	/* A store-release of the ring's tail: pairs with the kernel's load-acquire of the tail
	 * when it picks a buffer, so it reads the entry written above whole. */
	io_uring_buf_ring_advance(s->br, 1);
}

/* A connection gives back the receive buffer it holds, if any. */
static void conn_buf_release(struct oc_server *s, struct conn *c)
{
	if (!c->buf_held)
		return;
	recv_buf_give(s, c->buf_id);
	c->buf_held = false;
	c->buf_len = c->buf_off = 0;
	OC_ASSERT(s->recv_bufs_held > 0);
	s->recv_bufs_held--;
}

/* A connection that may read waits for its turn at a receive buffer (see rearm_waiting). */
static void recv_wait(struct oc_server *s, struct conn *c)
{
	if (c->recv_waiting)
		return;
	c->recv_waiting = true;
	s->recv_waiting++;
}

static void recv_wait_end(struct oc_server *s, struct conn *c)
{
	if (!c->recv_waiting)
		return;
	c->recv_waiting = false;
	OC_ASSERT(s->recv_waiting > 0);
	s->recv_waiting--;
}

/* Allocates the receive buffers and registers them as the ring's provided buffer group,
 * every buffer in the ring. 0 or -errno with a reason in err. */
static int recv_bufs_create(struct oc_server *s, char *err, size_t err_bytes)
{
	/* The ring's entries must start on a page (the kernel pins them): 512 x 16 B, 8 KiB. */
	void *br = mmap(NULL, OC_SERVER_RECV_BUFFERS * sizeof(struct io_uring_buf),
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED)
		return oc_error_set(err, err_bytes, -errno, "mmap the buffer ring: %s",
				    strerror(errno));
	s->br = br;
	s->recv_bufs = mi_malloc((size_t)OC_SERVER_RECV_BUFFERS * OC_SERVER_RECV_BUFFER_BYTES);
	if (!s->recv_bufs)
		return oc_error_set(err, err_bytes, -ENOMEM, "out of memory");
	struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)br,
				       .ring_entries = OC_SERVER_RECV_BUFFERS,
				       .bgid = RECV_GROUP};
	int rc = io_uring_register_buf_ring(&s->ring, &reg, 0);
	if (rc)
		return oc_error_set(err, err_bytes, rc,
				    "io_uring_register_buf_ring: %s (provided buffer rings need "
				    "Linux 5.19)", strerror(-rc));
	s->br_registered = true;
	io_uring_buf_ring_init(s->br);
	for (uint32_t id = 0; id < OC_SERVER_RECV_BUFFERS; id++)
		io_uring_buf_ring_add(s->br, recv_buf(s, (uint16_t)id), OC_SERVER_RECV_BUFFER_BYTES,
				      (uint16_t)id, io_uring_buf_ring_mask(OC_SERVER_RECV_BUFFERS),
				      (int)id);
	/* Store-release of the tail, paired as in recv_buf_give. */
	io_uring_buf_ring_advance(s->br, (int)OC_SERVER_RECV_BUFFERS);
	return 0;
}

/* ---- output ---- */

/* Appends a frame to a connection's output; false when it does not fit the cap (the client
 * does not read its answers). */
static bool out_append(struct oc_server *s, struct conn *c, const void *frame, size_t n)
{
	size_t cap = s->cfg.output_bytes_max;
	if (c->out_len - c->out_sent + n > cap)
		return false;
	if (!c->send_busy && c->out_sent) { /* move the unsent bytes to the front */
		memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
		c->out_len -= c->out_sent;
		c->out_sent = 0;
	}
	/* A send in flight started at out_sent <= cap, so out_len + n <= 2 cap. */
	OC_ASSERT(c->out_len + n <= 2 * cap);
	memcpy(c->out + c->out_len, frame, n);
	c->out_len += n;
	return true;
}

/* Stops reading a connection: it is closed once its queued output is sent (an error frame)
 * or, when `discard`, at once (a client that does not read). */
static void conn_close(struct oc_server *s, uint32_t idx, bool discard, const char *why)
{
	struct conn *c = &s->conns[idx];
	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	c->discard = discard;
	recv_wait_end(s, c);
	/* Ends a receive in flight (it completes with 0); with discard, a send in flight too. */
	shutdown(c->fd, discard ? SHUT_RDWR : SHUT_RD);
	log_conn("connection closing", idx, why);
}

static void conn_fail(struct oc_server *s, uint32_t idx, enum oc_proto_error code,
		      const char *message)
{
	uint8_t frame[OC_PROTO_FRAME_BYTES_MAX];
	size_t n = oc_proto_encode_error(frame, sizeof(frame), 0, code, message);
	out_append(s, &s->conns[idx], frame, n); /* if it does not fit, the close says enough */
	s->st.protocol_errors++;
	char why[300];
	snprintf(why, sizeof(why), "%s: %s", oc_proto_error_name(code), message);
	conn_close(s, idx, false, why);
}

static void subscriber_remove(struct oc_server *s, uint32_t idx)
{
	for (uint32_t i = 0; i < s->subscriber_count; i++)
		if (s->subscribers[i] == idx) {
			s->subscribers[i] = s->subscribers[--s->subscriber_count];
			return;
		}
}

static void conn_free(struct oc_server *s, uint32_t idx)
{
	struct conn *c = &s->conns[idx];
	if (c->events)
		subscriber_remove(s, idx);
	close(c->fd);
	conn_buf_release(s, c);
	recv_wait_end(s, c);
	mi_free(c->carry);
	mi_free(c->out);
	uint32_t gen = c->gen + 1;
	*c = (struct conn){.fd = -1, .gen = gen, .next_free = s->free_head};
	s->free_head = idx;
	s->live--;
	s->st.closed++;
	log_conn("connection closed", idx, NULL);
}

/* ---- input ---- */

static void handshake(struct oc_server *s, uint32_t idx, const uint8_t *frame,
		      const struct oc_proto_header *h)
{
	struct conn *c = &s->conns[idx];
	struct oc_proto_hello hello;
	if (h->type != OC_MSG_HELLO) {
		conn_fail(s, idx, OC_PERR_HANDSHAKE, "the first frame must be a hello");
		return;
	}
	if (oc_proto_decode_hello(frame, &hello) != 0) {
		conn_fail(s, idx, OC_PERR_FIELD, "reserved hello field not zero");
		return;
	}
	if (hello.version != OC_PROTO_VERSION) {
		conn_fail(s, idx, OC_PERR_VERSION, "this server speaks protocol version 2");
		return;
	}
	if (s->cfg.token_bytes) {
		/* Compared in time independent of where the first difference is. */
		unsigned diff = hello.token_bytes != s->cfg.token_bytes;
		const uint8_t *want = s->cfg.token;
		for (size_t i = 0; i < s->cfg.token_bytes; i++)
			diff |= (unsigned)(want[i] ^ hello.token[i % OC_PROTO_TOKEN_BYTES_MAX]);
		if (diff) {
			conn_fail(s, idx, OC_PERR_TOKEN, "bad token");
			return;
		}
	}
	struct oc_proto_welcome w = {OC_PROTO_VERSION, OC_PROTO_FRAME_BYTES_MAX, s->last_seq};
	uint8_t out[OC_PROTO_FRAME_BYTES_MAX];
	size_t n = oc_proto_encode_welcome(out, sizeof(out), h->correlation, &w);
	c->state = CONN_OPEN;
	if (!out_append(s, c, out, n))
		conn_close(s, idx, true, "no room for the welcome");
}

/* Sets the connection's event kinds and answers with the last sequence number decided: the
 * events that follow are those of every later command. False when the connection failed. */
static bool subscribe(struct oc_server *s, uint32_t idx, const uint8_t *frame,
		      uint64_t correlation)
{
	struct conn *c = &s->conns[idx];
	uint32_t kinds;
	if (oc_proto_decode_subscribe(frame, &kinds) != 0) {
		conn_fail(s, idx, OC_PERR_FIELD, "an event kind that does not exist");
		return false;
	}
	if (kinds && !c->events) {
		if (s->subscriber_count == OC_SERVER_SUBSCRIBERS_MAX) {
			conn_fail(s, idx, OC_PERR_OVERLOAD, "too many subscribers");
			return false;
		}
		s->subscribers[s->subscriber_count++] = idx;
	} else if (!kinds && c->events) {
		subscriber_remove(s, idx);
	}
	c->events = kinds;
	c->events_correlation = correlation;
	uint8_t frame_out[OC_PROTO_HEADER_BYTES + OC_PROTO_SUBSCRIBED_BODY_BYTES];
	size_t n = oc_proto_encode_subscribed(frame_out, sizeof(frame_out), correlation,
					      s->last_seq);
	if (!out_append(s, c, frame_out, n)) {
		s->st.slow_disconnects++;
		conn_close(s, idx, true, "output cap reached: the client does not read");
		return false;
	}
	return true;
}

/* Sends an answer of kind `kind` as an event to every subscriber of that kind. */
static void publish(struct oc_server *s, const struct oc_response *r, uint32_t kind)
{
	uint8_t frame[OC_PROTO_HEADER_BYTES + OC_PROTO_EVENT_BODY_BYTES];
	for (uint32_t i = 0; i < s->subscriber_count; i++) {
		uint32_t idx = s->subscribers[i];
		struct conn *c = &s->conns[idx];
		if (!(c->events & kind) || c->state == CONN_CLOSING)
			continue;
		size_t n = oc_proto_encode_event(frame, sizeof(frame), c->events_correlation, r);
		if (!out_append(s, c, frame, n)) {
			s->st.slow_disconnects++;
			conn_close(s, idx, true, "output cap reached: the subscriber does not read");
			continue;
		}
		s->st.events++;
	}
}

/* A stats request is answered at once, from the server's own counters (not in sequence with
 * the connection's commands). */
static void stats_reply(struct oc_server *s, uint32_t idx, uint64_t correlation)
{
	struct oc_proto_stats st = {s->last_seq, s->live, s->st.accepted, s->st.refused,
				    s->st.commands, s->st.answers, s->st.dropped_answers,
				    s->st.protocol_errors, s->st.slow_disconnects,
				    (now_ns() - s->started_ns) / 1000000u};
	uint8_t frame[OC_PROTO_HEADER_BYTES + OC_PROTO_STATS_INFO_BODY_BYTES];
	size_t n = oc_proto_encode_stats_info(frame, sizeof(frame), correlation, &st);
	if (!out_append(s, &s->conns[idx], frame, n))
		conn_close(s, idx, true, "output cap reached: the client does not read");
}

/* Where a connection's next frame starts, and how many of its bytes are there: in the
 * buffer it holds where they landed, or, when a frame was cut by the end of the last buffer,
 * in carry, followed by a copy of the buffer's first bytes (not yet counted as parsed: the
 * copy is made again if the connection stalls on this frame). */
static uint32_t input_next(const struct oc_server *s, struct conn *c, const uint8_t **frame)
{
	uint32_t avail = c->buf_held ? c->buf_len - c->buf_off : 0;
	const uint8_t *in = c->buf_held ? recv_buf(s, c->buf_id) + c->buf_off : NULL;
	if (!c->carry_len) {
		*frame = in;
		return avail;
	}
	OC_DEBUG_ASSERT(c->buf_off == 0 && c->carry_len < OC_PROTO_FRAME_BYTES_MAX);
	uint32_t take = OC_PROTO_FRAME_BYTES_MAX - c->carry_len;
	take = take < avail ? take : avail;
	if (take)
		memcpy(c->carry + c->carry_len, in, take);
	*frame = c->carry;
	return c->carry_len + take;
}

/* The frame of n bytes that input_next showed is parsed. */
static void input_consume(struct conn *c, uint32_t n)
{
	/* From carry: the frame is longer than the cut start kept there (that was no frame). */
	OC_DEBUG_ASSERT(n > c->carry_len);
	c->buf_off += n - c->carry_len;
	c->carry_len = 0;
}

/* The len bytes that input_next showed are the start of a frame: kept in carry, so that the
 * buffer can go back to the ring. */
static void input_keep(struct conn *c, const uint8_t *frame, uint32_t len)
{
	/* A whole frame, or an error, shows within OC_PROTO_FRAME_BYTES_MAX bytes. */
	OC_ASSERT(len < OC_PROTO_FRAME_BYTES_MAX);
	if (!c->carry_len && len)
		memcpy(c->carry, frame, len);
	c->buf_off += len - c->carry_len;
	c->carry_len = len;
}

/* Parses whole frames of a connection's input: a hello first, then commands into the pending
 * queue (stats and subscribe requests are answered at once). Stops (stalled) when the queue
 * is full, and at the first bad frame. Gives the receive buffer back unless stalled in it. */
static void parse(struct oc_server *s, uint32_t idx)
{
	struct conn *c = &s->conns[idx];
	c->stalled = false;
	while (c->state == CONN_HELLO || c->state == CONN_OPEN || c->state == CONN_DRAIN) {
		const uint8_t *frame;
		uint32_t len = input_next(s, c, &frame);
		struct oc_proto_header h;
		int n = oc_proto_frame_check(frame, len, &h);
		if (n == 0) {
			input_keep(c, frame, len);
			break;
		}
		if (n < 0) {
			conn_fail(s, idx, (enum oc_proto_error)-n, "bad frame");
			break;
		}
		if (c->state == CONN_HELLO) {
			handshake(s, idx, frame, &h);
			input_consume(c, (uint32_t)n);
			continue;
		}
		if (h.type == OC_MSG_STATS) {
			stats_reply(s, idx, h.correlation);
			input_consume(c, (uint32_t)n);
			continue;
		}
		if (h.type == OC_MSG_SUBSCRIBE) {
			if (!subscribe(s, idx, frame, h.correlation))
				break;
			input_consume(c, (uint32_t)n);
			continue;
		}
		/* The commands: 16-23 (stats, 21, was answered above), 25-31 and 36-53
		 * (refund, the queries with rows, inventory administration, the exceptions and
		 * returns, a pack with flags, the fraud screening and review, a short pick, a
		 * payment received, the counters query). */
		bool command =
			(h.type >= OC_MSG_PLACE && h.type <= OC_MSG_WRITE_OFF) ||
			(h.type >= OC_MSG_PICK_CONFIRMED && h.type <= OC_MSG_PAYMENT_DECLINED) ||
			(h.type >= OC_MSG_REFUND && h.type <= OC_MSG_QUERY_COUNTERS);
		if (!command) {
			conn_fail(s, idx, h.type == OC_MSG_HELLO ? OC_PERR_HANDSHAKE : OC_PERR_TYPE,
				  h.type == OC_MSG_HELLO ? "a second hello" : "not a request");
			break;
		}
		if (s->pending_n == PENDING_MAX ||
		    s->fifo_n + (s->pending_n - s->pending_head) >= OC_SERVER_INFLIGHT_MAX) {
			c->stalled = true; /* backpressure: parsed again once the engine takes more */
			break;
		}
		if (c->commands >= s->cfg.connection_inflight_max) {
			if (!c->capped)
				s->st.connection_stalls++;
			c->capped = true;
			c->stalled = true; /* parsed again once its answers have gone out */
			break;
		}
		c->capped = false;
		if (oc_proto_decode_command(frame, &s->pending[s->pending_n]) != 0) {
			conn_fail(s, idx, OC_PERR_FIELD, "reserved field not zero");
			break;
		}
		s->pending_tag[s->pending_n] = (struct tag){idx, c->gen, h.correlation, 0};
		s->pending_n++;
		c->commands++;
		input_consume(c, (uint32_t)n);
		s->st.commands++;
	}
	/* Stalled, the connection keeps its buffer (and reads no more) until the engine takes
	 * the frames left in it; otherwise they are all parsed, or it will never read again. */
	if (!c->stalled)
		conn_buf_release(s, c);
}

/* ---- the engine ---- */

/* The commands an operator gives rather than a customer or a warehouse: stock administration,
 * money, reviews, the block list. Each gets an audit line with its answer. */
static bool is_admin(uint8_t type)
{
	switch (type) {
	case OC_CMD_RESTOCK:
	case OC_CMD_WRITE_OFF:
	case OC_CMD_ADJUST_STOCK:
	case OC_CMD_SET_SAFETY_STOCK:
	case OC_CMD_REFUND:
	case OC_CMD_PAYMENT_RECEIVED:
	case OC_CMD_REVIEW_APPROVE:
	case OC_CMD_REVIEW_REJECT:
	case OC_CMD_BLOCK:
		return true;
	default:
		return false;
	}
}

static void audit_take(struct audit *a, const struct oc_command *c)
{
	*a = (struct audit){.sku = c->line_count ? c->lines[0].sku : 0,
			    .order_key = c->order_key,
			    .amount_cents = c->amount_cents,
			    .quantity = c->line_count ? c->lines[0].quantity : 0,
			    .flags = c->flags,
			    .warehouse = c->region};
}

/* The audit line of an admin command's answer r, asked by the connection of tag t. */
static void audit_log(const struct oc_server *s, const struct tag *t, const struct audit *a,
		      const struct oc_response *r)
{
	char peer[INET6_ADDRSTRLEN + 8] = "gone";
	const struct conn *c = &s->conns[t->conn];
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	if (c->gen == t->gen && c->state != CONN_FREE &&
	    getpeername(c->fd, (struct sockaddr *)&addr, &len) == 0) {
		char host[INET6_ADDRSTRLEN] = "?";
		unsigned port = 0;
		if (addr.ss_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)&addr;
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
		} else if (addr.ss_family == AF_INET6) {
			const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)&addr;
			inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof(host));
			port = ntohs(in->sin6_port);
		}
		snprintf(peer, sizeof(peer), "%s:%u", host, port);
	}
	oc_log(OC_LOG_INFO,
	       "msg=\"audit\" cmd=%s seq=%" PRIu64 " key=%" PRIu64 " operator=%" PRIu64
	       " conn=%u peer=%s sku=%" PRIu64 " quantity=%u warehouse=%u order_key=%" PRIu64
	       " amount_cents=%" PRIu64 " flags=%u status=%s reason=%s",
	       oc_command_type_name(r->type), r->seq, r->key, r->customer, t->conn, peer, a->sku,
	       a->quantity, a->warehouse, a->order_key, a->amount_cents, a->flags,
	       oc_status_name(r->status), oc_reject_reason_name(r->reason));
}

static void submit_pending(struct oc_server *s)
{
	uint32_t waiting = s->pending_n - s->pending_head;
	/* With nothing waiting the call still lets the engine insert its own commands (ticks
	 * for payment leases); it costs a clock read. */
	int k = oc_engine_try_submit_burst(s->e, s->pending + s->pending_head, waiting);
	if (waiting) {
		for (int i = 0; i < k; i++) {
			uint32_t slot = (s->fifo_head + s->fifo_n++) % OC_SERVER_INFLIGHT_MAX;
			uint32_t at = s->pending_head + (uint32_t)i;
			s->fifo[slot] = s->pending_tag[at];
			s->fifo[slot].seq = s->pending[at].seq; /* stamped by the engine */
			if (is_admin(s->pending[at].type))
				audit_take(&s->audits[slot], &s->pending[at]);
		}
		s->pending_head += (uint32_t)k;
	}
	if (s->pending_head == s->pending_n)
		s->pending_head = s->pending_n = 0;
	else if (s->pending_n == PENDING_MAX && s->pending_head) {
		uint32_t left = s->pending_n - s->pending_head;
		memmove(s->pending, s->pending + s->pending_head, left * sizeof(*s->pending));
		memmove(s->pending_tag, s->pending_tag + s->pending_head,
			left * sizeof(*s->pending_tag));
		s->pending_head = 0;
		s->pending_n = left;
	}
}

/* Sends r, the answer to the command of tag t or (row) a row of it, to the connection that
 * asked, with the command's correlation. Rows count in no counter: they are part of their
 * command's answer. */
static void reply(struct oc_server *s, const struct tag *t, const struct oc_response *r,
		  bool row)
{
	struct conn *c = &s->conns[t->conn];
	if (c->gen != t->gen || c->state == CONN_FREE) {
		s->st.dropped_answers += !row;
		return;
	}
	if (!row)
		c->commands--;
	if (c->state == CONN_CLOSING) {
		s->st.dropped_answers += !row;
		return;
	}
	uint8_t frame[OC_PROTO_HEADER_BYTES + OC_PROTO_ANSWER_BODY_BYTES];
	size_t n = oc_proto_encode_answer(frame, sizeof(frame), t->correlation, r);
	if (!out_append(s, c, frame, n)) {
		s->st.slow_disconnects++;
		conn_close(s, t->conn, true, "output cap reached: the client does not read");
		return;
	}
	s->st.answers += !row;
}

/* Moves the engine's answers, and the rows before them, to the connections that asked.
 * Returns how many responses. */
static uint32_t poll_answers(struct oc_server *s)
{
	int m = oc_engine_poll_burst(s->e, s->resp, POLL_BATCH);
	for (int i = 0; i < m; i++) {
		const struct oc_response *r = &s->resp[i];
		if (r->flags & OC_RESPONSE_UNSOLICITED) { /* the engine's own: nobody's answer */
			if (s->subscriber_count)
				publish(s, r, oc_proto_event_kind(r));
			continue;
		}
		/* The engine answers in sequence order, one answer per command taken, a query's
		 * rows just before its answer: whichever this is, it is the head command's. */
		OC_ASSERT(s->fifo_n > 0);
		struct tag t = s->fifo[s->fifo_head];
		OC_ASSERT_EQ(r->seq, t.seq);
		if (r->flags & OC_RESPONSE_ROW) { /* the answer follows: the tag stays */
			if (s->subscriber_count && (r->flags & OC_RESPONSE_DOCUMENT))
				publish(s, r, OC_EVENT_DOCUMENTS); /* a pack's, a shipment's */
			reply(s, &t, r, true);
			continue;
		}
		if (is_admin(r->type))
			audit_log(s, &t, &s->audits[s->fifo_head], r);
		s->fifo_head = (s->fifo_head + 1) % OC_SERVER_INFLIGHT_MAX;
		s->fifo_n--;
		s->last_seq = r->seq > s->last_seq ? r->seq : s->last_seq;
		uint32_t kind = s->subscriber_count ? oc_proto_event_kind(r) : 0;
		if (kind)
			publish(s, r, kind);
		reply(s, &t, r, false);
	}
	return m > 0 ? (uint32_t)m : 0;
}

/* ---- io_uring ---- */

static void arm_accept(struct oc_server *s)
{
	if (s->accept_armed || s->stopping)
		return;
	struct io_uring_sqe *sqe = sqe_get(s);
	io_uring_prep_multishot_accept(sqe, s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, user_data(OP_ACCEPT, 0, 0));
	s->accept_armed = true;
}

static void on_accept(struct oc_server *s, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE))
		s->accept_armed = false; /* re-armed at the end of the turn */
	if (res < 0)
		return; /* a failed accept (the peer gave up, EMFILE): the listener goes on */
	int fd = res;
	if (s->stopping || s->live == s->cfg.connections_max) {
		uint8_t frame[OC_PROTO_FRAME_BYTES_MAX];
		enum oc_proto_error code = s->stopping ? OC_PERR_SHUTDOWN : OC_PERR_OVERLOAD;
		size_t n = oc_proto_encode_error(frame, sizeof(frame), 0, code,
						 s->stopping ? "the server is stopping"
							     : "too many connections");
		ssize_t sent = send(fd, frame, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)sent; /* best effort: the close says the rest */
		close(fd);
		s->st.refused++;
		oc_log(OC_LOG_DEBUG, "msg=\"connection refused\" why=\"%s\"",
		       s->stopping ? "stopping" : "connections_max reached");
		return;
	}
	uint32_t idx = s->free_head;
	struct conn *c = &s->conns[idx];
	s->free_head = c->next_free;
	s->live++;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->state = CONN_HELLO;
	c->hello_deadline_ns = now_ns() + (uint64_t)s->cfg.hello_timeout_ms * 1000000u;
	c->carry = mi_malloc(OC_PROTO_FRAME_BYTES_MAX);
	c->out = mi_malloc(2 * s->cfg.output_bytes_max);
	s->st.accepted++;
	log_conn("connection opened", idx, NULL);
	if (!c->carry || !c->out) {
		conn_close(s, idx, true, "out of memory");
		return;
	}
}

static void on_recv(struct oc_server *s, uint32_t idx, int res, unsigned flags)
{
	struct conn *c = &s->conns[idx];
	c->recv_busy = false;
	OC_ASSERT(!c->buf_held); /* no receive is posted while one is held */
	if (flags & IORING_CQE_F_BUFFER) {
		uint16_t id = (uint16_t)(flags >> IORING_CQE_BUFFER_SHIFT);
		if (res > 0 && !s->stopping) {
			c->buf_held = true;
			c->buf_id = id;
			c->buf_off = 0;
			c->buf_len = (uint32_t)res;
			s->recv_bufs_held++;
		} else { /* nothing in it (a kernel may name a buffer even then), or not read */
			recv_buf_give(s, id);
		}
	}
	if (res == -ENOBUFS) {
		/* No buffer was free: not the connection's fault. Its receive is posted again when
		 * its turn comes (rearm_waiting). */
		recv_wait(s, c);
		s->st.recv_nobufs++;
		return;
	}
	if (res <= 0) {
		/* The peer closed its side (0) or the connection broke: answer what was taken
		 * from it, then close. */
		if (c->state == CONN_HELLO || c->state == CONN_OPEN)
			c->state = res == 0 ? CONN_DRAIN : CONN_CLOSING;
		if (res < 0)
			c->discard = true;
		return;
	}
	s->st.recvs++;
	/* A receive that selects a buffer names it in every completion with data. */
	OC_ASSERT(flags & IORING_CQE_F_BUFFER);
	OC_ASSERT((uint32_t)res <= OC_SERVER_RECV_BUFFER_BYTES);
	if (!s->stopping)
		parse(s, idx);
}

static void on_send(struct oc_server *s, uint32_t idx, int res)
{
	struct conn *c = &s->conns[idx];
	c->send_busy = false;
	if (res < 0) {
		c->discard = true;
		if (c->state != CONN_CLOSING)
			conn_close(s, idx, true, strerror(-res));
		return;
	}
	s->st.sends++;
	c->out_sent += (size_t)res;
	if (c->out_sent == c->out_len)
		c->out_sent = c->out_len = 0;
}

/* Handles every completion waiting; returns how many. */
static unsigned reap(struct oc_server *s)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	io_uring_for_each_cqe(&s->ring, head, cqe) {
		uint64_t d = io_uring_cqe_get_data64(cqe);
		uint32_t idx = (uint32_t)d, gen = (uint32_t)(d >> 32) & 0xffffffu;
		unsigned op = (unsigned)(d >> 56);
		seen++;
		if (op == OP_ACCEPT) {
			on_accept(s, cqe->res, cqe->flags);
			continue;
		}
		if (op == OP_WAKE) { /* the engine wrote its eventfd (or the read failed: poll) */
			s->wake_posted = false;
			continue;
		}
		OC_ASSERT(idx < s->cfg.connections_max && (s->conns[idx].gen & 0xffffffu) == gen);
		if (op == OP_RECV)
			on_recv(s, idx, cqe->res, cqe->flags);
		else
			on_send(s, idx, cqe->res);
	}
	io_uring_cq_advance(&s->ring, seen);
	return seen;
}

static void recv_arm(struct oc_server *s, uint32_t idx)
{
	struct conn *c = &s->conns[idx];
	struct io_uring_sqe *sqe = sqe_get(s);
	/* The kernel picks the buffer when data comes, so a connection that waits for its
	 * client holds none. */
	io_uring_prep_recv(sqe, c->fd, NULL, OC_SERVER_RECV_BUFFER_BYTES, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RECV_GROUP;
	io_uring_sqe_set_data64(sqe, user_data(OP_RECV, idx, c->gen));
	c->recv_busy = true;
}

/* While receives find no buffer free, the connections that may read take turns, round robin,
 * one receive per buffer in the ring: posting them all would have most fail again at once, and
 * the connections that give buffers back first would keep them. */
static void rearm_waiting(struct oc_server *s)
{
	uint32_t room = OC_SERVER_RECV_BUFFERS - s->recv_bufs_held, n = s->cfg.connections_max;
	for (uint32_t k = 0; k < n && room && s->recv_waiting; k++) {
		uint32_t idx = (s->recv_waiting_next + k) % n;
		struct conn *c = &s->conns[idx];
		if (!c->recv_waiting)
			continue;
		OC_ASSERT(!c->recv_busy && !c->buf_held && !c->stalled);
		recv_wait_end(s, c);
		recv_arm(s, idx);
		room--;
		s->recv_waiting_next = (idx + 1) % n;
	}
}

/* Posts the receives and sends that are due, and closes the connections that are done or
 * that never said hello. */
static void post(struct oc_server *s)
{
	uint64_t now = s->live ? now_ns() : 0;
	for (uint32_t idx = 0; idx < s->cfg.connections_max; idx++) {
		struct conn *c = &s->conns[idx];
		if (c->state == CONN_FREE)
			continue;
		if (c->state == CONN_HELLO && now > c->hello_deadline_ns)
			conn_fail(s, idx, OC_PERR_HANDSHAKE, "no hello in time");
		if (c->stalled && !s->stopping)
			parse(s, idx);
		if (c->discard && c->state != CONN_CLOSING)
			conn_close(s, idx, true, "connection broken");
		bool reading = (c->state == CONN_HELLO || c->state == CONN_OPEN) && !c->stalled &&
			       !s->stopping;
		if (reading && !c->recv_busy && !c->buf_held && !c->recv_waiting) {
			if (s->recv_waiting) /* buffers are short: take a turn behind the others */
				recv_wait(s, c);
			else
				recv_arm(s, idx);
		}
		bool sending = c->out_len > c->out_sent && !c->discard;
		if (sending && !c->send_busy) {
			struct io_uring_sqe *sqe = sqe_get(s);
			io_uring_prep_send(sqe, c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
					   MSG_NOSIGNAL);
			io_uring_sqe_set_data64(sqe, user_data(OP_SEND, idx, c->gen));
			c->send_busy = true;
			c->send_len = c->out_len;
		}
		/* Done: nothing in flight, nothing owed (or nobody to owe it to). */
		bool owed = c->commands > 0 && c->state == CONN_DRAIN;
		bool finished = c->state == CONN_CLOSING || (c->state == CONN_DRAIN && !owed);
		if (finished && !c->recv_busy && !c->send_busy && (!sending || c->discard))
			conn_free(s, idx);
	}
	if (s->recv_waiting && !s->stopping)
		rearm_waiting(s);
	arm_accept(s);
}

int oc_server_create(const struct oc_server_config *cfg, struct oc_engine *e,
		     uint64_t recovered_seq, struct oc_server **out, char *err, size_t err_bytes)
{
	*out = NULL;
	struct oc_server *s = mi_zalloc(sizeof(*s));
	if (!s)
		return oc_error_set(err, err_bytes, -ENOMEM, "out of memory");
	s->cfg = *cfg;
	s->e = e;
	s->last_seq = recovered_seq;
	s->started_ns = now_ns();
	s->listen_fd = -1;
	if (!s->cfg.host)
		s->cfg.host = "127.0.0.1";
	if (!s->cfg.connections_max)
		s->cfg.connections_max = OC_SERVER_DEFAULT_CONNECTIONS_MAX;
	if (!s->cfg.output_bytes_max)
		s->cfg.output_bytes_max = OC_SERVER_DEFAULT_OUTPUT_BYTES_MAX;
	if (!s->cfg.hello_timeout_ms)
		s->cfg.hello_timeout_ms = OC_SERVER_DEFAULT_HELLO_TIMEOUT_MS;
	if (!s->cfg.connection_inflight_max)
		s->cfg.connection_inflight_max = OC_SERVER_DEFAULT_CONNECTION_INFLIGHT_MAX;
	int rc = 0;
	if (s->cfg.connections_max > OC_SERVER_CONNECTIONS_MAX_LIMIT ||
	    s->cfg.connection_inflight_max > OC_SERVER_INFLIGHT_MAX ||
	    s->cfg.output_bytes_max < OC_PROTO_FRAME_BYTES_MAX ||
	    s->cfg.token_bytes > OC_PROTO_TOKEN_BYTES_MAX)
		rc = oc_error_set(err, err_bytes, -EINVAL,
				  "server: connections_max <= %u, connection_inflight_max <= %u, "
				  "output_bytes_max >= %u, token <= %u bytes",
				  OC_SERVER_CONNECTIONS_MAX_LIMIT, OC_SERVER_INFLIGHT_MAX,
				  OC_PROTO_FRAME_BYTES_MAX, OC_PROTO_TOKEN_BYTES_MAX);
	s->conns = rc ? NULL : mi_calloc(s->cfg.connections_max, sizeof(*s->conns));
	s->pending = mi_malloc(PENDING_MAX * sizeof(*s->pending));
	s->pending_tag = mi_malloc(PENDING_MAX * sizeof(*s->pending_tag));
	s->fifo = mi_malloc(OC_SERVER_INFLIGHT_MAX * sizeof(*s->fifo));
	s->audits = mi_malloc(OC_SERVER_INFLIGHT_MAX * sizeof(*s->audits));
	if (!rc && (!s->conns || !s->pending || !s->pending_tag || !s->fifo || !s->audits))
		rc = oc_error_set(err, err_bytes, -ENOMEM, "out of memory");
	for (uint32_t i = 0; !rc && i < s->cfg.connections_max; i++)
		s->conns[i] = (struct conn){.fd = -1, .next_free = i + 1};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(cfg->port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	bool v6 = strchr(s->cfg.host, ':') != NULL;
	if (!rc && (v6 ? inet_pton(AF_INET6, s->cfg.host, &a6.sin6_addr)
		       : inet_pton(AF_INET, s->cfg.host, &a4.sin_addr)) != 1)
		rc = oc_error_set(err, err_bytes, -EINVAL, "listen: '%s' is not a numeric address",
				  s->cfg.host);
	if (!rc) {
		s->listen_fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		const struct sockaddr *a = v6 ? (const struct sockaddr *)&a6
					      : (const struct sockaddr *)&a4;
		socklen_t alen = v6 ? sizeof(a6) : sizeof(a4);
		if (s->listen_fd < 0 || bind(s->listen_fd, a, alen) != 0 ||
		    listen(s->listen_fd, 4096) != 0)
			rc = oc_error_set(err, err_bytes, -errno, "listen on %s port %u: %s",
					  s->cfg.host, cfg->port, strerror(errno));
	}
	if (!rc) {
		struct sockaddr_storage got;
		socklen_t glen = sizeof(got);
		getsockname(s->listen_fd, (struct sockaddr *)&got, &glen);
		s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&got)->sin6_port
				   : ((struct sockaddr_in *)&got)->sin_port);
		rc = io_uring_queue_init(RING_ENTRIES, &s->ring, 0);
		s->ring_ready = rc == 0;
		if (rc)
			rc = oc_error_set(err, err_bytes, rc, "io_uring_queue_init: %s",
					  strerror(-rc));
	}
	if (!rc)
		rc = recv_bufs_create(s, err, err_bytes);
	if (rc) {
		oc_server_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

uint16_t oc_server_port(const struct oc_server *s) { return s->port; }

/* The server has answered and sent everything it owes (or the grace period is over). */
static bool drained(struct oc_server *s)
{
	if (s->fifo_n || s->pending_n)
		return false;
	if (now_ns() > s->stop_deadline)
		return true;
	for (uint32_t idx = 0; idx < s->cfg.connections_max; idx++) {
		const struct conn *c = &s->conns[idx];
		if (c->state != CONN_FREE && (c->out_len > c->out_sent || c->send_busy) &&
		    !c->discard)
			return false;
	}
	return true;
}

/* A read of the engine's response eventfd: its completion ends the loop's wait. */
static void post_wake(struct oc_server *s)
{
	struct io_uring_sqe *sqe = sqe_get(s);
	io_uring_prep_read(sqe, oc_engine_response_fd(s->e), &s->wake_value,
			   sizeof(s->wake_value), 0);
	io_uring_sqe_set_data64(sqe, user_data(OP_WAKE, 0, 0));
	s->wake_posted = true;
}

/* One turn of the loop: reap, submit, poll, post, then sleep in io_uring until a completion
 * comes or for at most wait_ns_max (less when there is work). Sets *over when a stopping
 * server has drained. 0 or -errno when the ring fails. */
static int loop_turn(struct oc_server *s, uint32_t wait_ns_max, bool *over)
{
	unsigned events = reap(s);
	submit_pending(s);
	uint32_t answered = poll_answers(s);
	post(s);
	if (s->stopping && drained(s)) {
		publish_stats(s); /* the last turn's counts */
		*over = true;
		return 0;
	}
	/* Nothing moved: sleep until a socket event or, with commands in the engine, their
	 * answers (unless some came since the poll: then look again at once). */
	uint32_t wait_ns = WAIT_IDLE_NS;
	if (answered || events)
		wait_ns = 0;
	else if (s->fifo_n && oc_engine_poll_arm(s->e))
		wait_ns = 0;
	else if (s->fifo_n && !s->wake_posted)
		post_wake(s);
	else if (!s->fifo_n && s->pending_n > s->pending_head)
		wait_ns = WAIT_REFUSED_NS;
	struct __kernel_timespec wait = {0, wait_ns < wait_ns_max ? wait_ns : wait_ns_max};
	struct io_uring_cqe *cqe;
	int rc = io_uring_submit_and_wait_timeout(&s->ring, &cqe, 1, &wait, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
		return rc;
	return 0;
}

int oc_server_run(struct oc_server *s, volatile sig_atomic_t *stop)
{
	arm_accept(s);
	for (bool over = false; !over;) {
		s->st.loop_turns++;
		publish_stats(s);
		if (*stop && !s->stopping) {
			s->stopping = true;
			s->stop_deadline = now_ns() + STOP_GRACE_NS;
			shutdown(s->listen_fd, SHUT_RDWR); /* ends the accept */
			oc_log(OC_LOG_INFO, "msg=\"stopping: answering what was taken\" "
					"in_flight=%u", s->fifo_n + s->pending_n - s->pending_head);
		}
		int rc = loop_turn(s, WAIT_IDLE_NS, &over);
		if (rc)
			return rc;
	}
	for (uint32_t idx = 0; idx < s->cfg.connections_max; idx++)
		if (s->conns[idx].state != CONN_FREE)
			shutdown(s->conns[idx].fd, SHUT_RDWR);
	return 0;
}

/* ---- for tests only (server_test.h) ---- */

int oc_server_test_adopt(struct oc_server *s, int fd)
{
	uint64_t refused = s->st.refused;
	/* As a completion of the multishot accept that stays armed (F_MORE). */
	on_accept(s, fd, IORING_CQE_F_MORE);
	return s->st.refused == refused ? 0 : -EBUSY;
}

int oc_server_test_turn(struct oc_server *s, uint32_t wait_ns_max)
{
	OC_ASSERT(!s->stopping);
	s->st.loop_turns++;
	publish_stats(s);
	bool over = false;
	return loop_turn(s, wait_ns_max, &over);
}

void oc_server_stats(const struct oc_server *s, struct oc_server_stats *out) { *out = s->st; }

void oc_server_free(struct oc_server *s)
{
	if (!s)
		return;
	/* The buffer group goes first: once it is unregistered no receive can pick a buffer,
	 * so none is written after it is freed. */
	if (s->br_registered)
		io_uring_unregister_buf_ring(&s->ring, RECV_GROUP);
	if (s->ring_ready)
		io_uring_queue_exit(&s->ring); /* before the sockets: nothing is in flight after */
	if (s->br)
		munmap(s->br, OC_SERVER_RECV_BUFFERS * sizeof(struct io_uring_buf));
	mi_free(s->recv_bufs);
	for (uint32_t i = 0; s->conns && i < s->cfg.connections_max; i++)
		if (s->conns[i].state != CONN_FREE) {
			close(s->conns[i].fd);
			mi_free(s->conns[i].carry);
			mi_free(s->conns[i].out);
		}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	mi_free(s->conns);
	mi_free(s->pending);
	mi_free(s->pending_tag);
	mi_free(s->fifo);
	mi_free(s->audits);
	mi_free(s);
}
