/* test_client.c: the client library (engine/net/client.c, include/ordercore/client.h) against
 * a scripted server, so that it needs no daemon and can make the server misbehave at will.
 * Each test starts a peer thread that listens on 127.0.0.1 (an ephemeral port), accepts one
 * connection, reads frames with the codec, checks the hello (version, token) and sends a
 * welcome or a token error, and then plays a script: answer every command (many answers per
 * send), answer in pieces, follow an answer with a malformed frame, send answers then an
 * error frame, close, or say nothing at all. Commands
 * and answers are derived from their index (command_of, answer_of), so both sides check every
 * field. What the peer finds wrong it writes into peer.failure, which the test asserts empty
 * after joining it (cmocka's asserts belong to the test's thread). Every peer wait is bounded
 * (PEER_WAIT_MS), and alarm() bounds the whole run, so a failing test ends instead of hanging.
 *
 * Covered: connect with and without a token, a wrong or missing token (-EPROTO with the
 * server's message), a server that never welcomes (-ETIMEDOUT) or welcomes wrongly (another
 * version, too small a frame limit, a malformed frame or another type: -EPROTO; a close:
 * -ECONNRESET), a refused connection, configuration limits (-EINVAL), commands the codec
 * cannot encode (-EINVAL), 20,000 commands pipelined through 1 KiB buffers both in a poll
 * loop (-EAGAIN, then flush) and with blocking receives doing the sending, answers cut inside
 * the length, the header and the body and across two frames, non-blocking receive with
 * nothing there (0), malformed server frames (-EPROTO, sticky), an error frame after answers,
 * a server that closes (-ECONNRESET or -EPIPE, sticky), and queries with rows: the rows come
 * as answers with the row flag and the query's correlation, the count in flight drops only at
 * the query's own answer (not at a row, nor at an unsolicited response), a receive may end
 * between rows, and a row with nothing in flight is -EPROTO; the inventory administration
 * commands (a cycle count with its expected units, a safety stock, a reconciliation and its
 * rows, a warehouse each) are queued, reach the server as their own frame types with every
 * field, and what answers them comes back; so do the exceptions and returns (a delivery
 * exception, an RMA, its receipt, a replacement place, an RMA of 16 lines, 304 bytes), and a
 * subscription to the returns kind gets its event among the answers; a pack whose quality
 * check failed reaches the server as frame 46 with its flags (an unknown bit too, for the
 * engine to refuse), a pack without flags as 26, as before; the fraud screening's commands
 * (a screened place, with its screen, as frame 47; a review's approval and rejection, 48 and
 * 49; a block list change, 50; a screened place of 16 lines: the longest frame, which a
 * server must take, 336 bytes) likewise, a subscription to the blocks kind gets its event,
 * and a screened replacement, a screen without its flag or a postal code's padding not zero
 * are -EINVAL; short picks (frame 51, of 2 lines and of 16 at warehouse 65535, 304 bytes)
 * likewise, with a fulfilment event, and a short pick with flags, an amount, a screen, no
 * lines or too many is -EINVAL; B2B credit: places on account (frames 16 and 47, a card one
 * too: the engine's to refuse) and a payment received (frame 52) likewise, with the payments
 * on_account and paid, the reason credit_limit and a fulfilment event, and a payment received
 * with a field a cancel's body has no room for is -EINVAL; carriers: places with their days
 * in transit (frames 16, 47 and 45: the flags pass through), and a pack's and a shipment's
 * documents, as rows of the step's correlation before its answer (the step stays in flight
 * until that answer) and as events of the documents kind, a wave's pick line as an event
 * alone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ordercore/client.h"
#include "ordercore/protocol.h"

/* The longest the scripted server waits for the client (accept, recv, a lockstep post). */
#define PEER_WAIT_MS 3000
/* The whole program is killed after this long: the test takes well under 5 s. */
#define TEST_ALARM_S       60
#define ANSWER_FRAME_BYTES (OC_PROTO_HEADER_BYTES + OC_PROTO_ANSWER_BODY_BYTES)
#define PIPELINE_COMMANDS  20000u

/* ---- Commands and answers, derived from an index so that both sides can check them. ---- */

static uint64_t key_of(uint64_t i)
{
	return i * 0x9E3779B97F4A7C15ull + 1;
}

/* Every fifth command is a cancel; the others are places of 1..16 lines. */
static void command_of(uint64_t i, struct oc_command *c)
{
	memset(c, 0, sizeof(*c));
	c->key = key_of(i);
	c->customer = 1000 + i % 97;
	if (i % 5 == 4) {
		c->type = OC_CMD_CANCEL;
		return;
	}
	c->type = OC_CMD_PLACE;
	c->region = (uint16_t)(i % 300);
	c->line_count = (uint8_t)(1 + i % OC_ORDER_LINES_MAX);
	for (unsigned l = 0; l < c->line_count; l++)
		c->lines[l] = (struct oc_line){.sku = 100000 + i + l, .quantity = 1 + l};
}

/* The scripted server's answer to a command: its seq, key, type and figures from its fields. */
static struct oc_response answer_of(const struct oc_command *c, uint64_t seq)
{
	int place = c->type == OC_CMD_PLACE;
	return (struct oc_response){.seq = seq,
	                            .key = c->key,
	                            .original_seq = seq,
	                            .type = c->type,
	                            .status = place ? OC_STATUS_ACCEPTED : OC_STATUS_CANCELLED,
	                            .shipments = place ? c->line_count : 0,
	                            .warehouse = (uint8_t)c->region};
}

/* ---- The scripted server. ---- */

struct peer;
typedef void peer_script(struct peer *p);

struct peer {
	int listen_fd, fd;
	uint16_t port;
	const char *token; /* what the hello must carry (NULL: no token) */
	uint64_t last_seq; /* sent in the welcome; answers continue from it */
	int silent;        /* read the hello and never answer it */
	int bad_welcome;   /* answer the hello with bad (nothing when bad_bytes is 0), close */
	peer_script *script;
	uint32_t script_commands; /* how many commands a script reads */
	const uint8_t *bad;       /* the frame the malformed script sends */
	size_t bad_bytes;
	sem_t step; /* the client's go-ahead, for lockstep scripts */
	pthread_t thread;
	uint64_t commands; /* commands read */
	uint64_t seq;      /* the last seq answered */
	uint64_t sends;    /* sends of answers */
	uint64_t answers_per_send_max;
	char failure[256]; /* "" or the first thing the peer found wrong */
	size_t in_head, in_tail, out_bytes;
	uint8_t in[64 * 1024];
	uint8_t out[128 * 1024]; /* the answers to one recv of commands (<= 2048 of them) */
};

static void peer_fail(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void peer_fail(struct peer *p, const char *fmt, ...)
{
	if (p->failure[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->failure, sizeof(p->failure), fmt, ap);
	va_end(ap);
}

static int peer_send(struct peer *p, const void *buf, size_t n)
{
	const uint8_t *b = buf;
	while (n) {
		ssize_t s = send(p->fd, b, n, MSG_NOSIGNAL);
		if (s < 0 && errno == EINTR)
			continue;
		if (s <= 0) {
			peer_fail(p, "send: %s", strerror(errno));
			return -1;
		}
		b += s;
		n -= (size_t)s;
	}
	return 0;
}

/* Sends the answers gathered in p->out, all in one send call where the socket takes them. */
static int peer_flush(struct peer *p)
{
	if (!p->out_bytes)
		return 0;
	uint64_t answers = p->out_bytes / ANSWER_FRAME_BYTES;
	if (answers > p->answers_per_send_max)
		p->answers_per_send_max = answers;
	p->sends++;
	int rc = peer_send(p, p->out, p->out_bytes);
	p->out_bytes = 0;
	return rc;
}

/* One recv: the bytes read, 0 when the client closed (or reset), -1 on an error or after
 * PEER_WAIT_MS of silence. */
static ssize_t peer_fill(struct peer *p)
{
	size_t live = p->in_tail - p->in_head;
	memmove(p->in, p->in + p->in_head, live);
	p->in_head = 0;
	p->in_tail = live;
	for (;;) {
		ssize_t r = recv(p->fd, p->in + p->in_tail, sizeof(p->in) - p->in_tail, 0);
		if (r > 0)
			p->in_tail += (size_t)r;
		if (r >= 0)
			return r;
		if (errno == ECONNRESET)
			return 0;
		if (errno != EINTR) {
			peer_fail(p, "recv: %s", strerror(errno));
			return -1;
		}
	}
}

/* The next whole frame in the input buffer (consumed; valid until the next fill), or NULL
 * when none is whole yet or the client sent a malformed one (a failure). */
static const uint8_t *peer_take(struct peer *p, struct oc_proto_header *h)
{
	const uint8_t *f = p->in + p->in_head;
	int n = oc_proto_frame_check(f, p->in_tail - p->in_head, h);
	if (n < 0)
		peer_fail(p, "a malformed frame from the client: %s",
		          oc_proto_error_name((unsigned)-n));
	if (n <= 0)
		return NULL;
	p->in_head += (size_t)n;
	return f;
}

/* The next whole frame, reading as needed; NULL at the close or on a failure. */
static const uint8_t *peer_next(struct peer *p, struct oc_proto_header *h)
{
	for (;;) {
		const uint8_t *f = peer_take(p, h);
		if (f || p->failure[0] || peer_fill(p) <= 0)
			return f;
	}
}

/* Counts the n bytes just encoded at the end of p->out as gathered (0: they did not fit). */
static void peer_gathered(struct peer *p, size_t n)
{
	if (n == 0)
		peer_fail(p, "the peer's output buffer is full");
	p->out_bytes += n;
}

/* Checks that the frame is the next command the client should send (correlation = its index,
 * fields from command_of) and gathers its answer in p->out. */
static void peer_answer(struct peer *p, const uint8_t *f, const struct oc_proto_header *h)
{
	struct oc_command got, want;
	if (h->type != OC_MSG_PLACE && h->type != OC_MSG_CANCEL) {
		peer_fail(p, "a frame of type %u where a command is expected", h->type);
		return;
	}
	if (oc_proto_decode_command(f, &got) != 0) {
		peer_fail(p, "a command with a non-zero reserved field");
		return;
	}
	if (h->correlation != p->commands) {
		peer_fail(p, "correlation %llu where %llu is next",
		          (unsigned long long)h->correlation, (unsigned long long)p->commands);
		return;
	}
	command_of(p->commands, &want);
	if (got.type != want.type || got.key != want.key || got.customer != want.customer ||
	    got.region != want.region || got.line_count != want.line_count ||
	    memcmp(got.lines, want.lines, sizeof(struct oc_line) * got.line_count) != 0) {
		peer_fail(p, "command %llu is not the one sent", (unsigned long long)p->commands);
		return;
	}
	p->commands++;
	struct oc_response r = answer_of(&got, ++p->seq);
	peer_gathered(p, oc_proto_encode_answer(p->out + p->out_bytes,
	                                        sizeof(p->out) - p->out_bytes, h->correlation, &r));
}

/* Reads n commands and gathers their answers (not sent). 0, or -1 at a close or failure. */
static int peer_read_commands(struct peer *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct oc_proto_header h;
		const uint8_t *f = peer_next(p, &h);
		if (!f) {
			peer_fail(p, "the client sent %u commands, %u expected", i, n);
			return -1;
		}
		peer_answer(p, f, &h);
	}
	return p->failure[0] ? -1 : 0;
}

/* Reads and discards until the client closes. */
static void peer_drain(struct peer *p)
{
	while (peer_fill(p) > 0)
		p->in_head = p->in_tail;
}

/* Waits for the client's go-ahead (sem_post on p->step), at most PEER_WAIT_MS. */
static int peer_wait_step(struct peer *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += PEER_WAIT_MS / 1000;
	while (sem_timedwait(&p->step, &ts) != 0) {
		if (errno != EINTR) {
			peer_fail(p, "no go-ahead from the client: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Reads the hello; checks its version and token; sends the welcome (0), or a token error
 * frame (-1). A silent peer reads the hello and then only waits for the close. */
static int peer_handshake(struct peer *p)
{
	struct oc_proto_header h;
	const uint8_t *f = peer_next(p, &h);
	if (!f || h.type != OC_MSG_HELLO) {
		peer_fail(p, "the first frame is not a hello");
		return -1;
	}
	struct oc_proto_hello hello;
	if (oc_proto_decode_hello(f, &hello) != 0 || hello.version != OC_PROTO_VERSION) {
		peer_fail(p, "a hello with a bad version or reserved field");
		return -1;
	}
	if (p->silent) {
		peer_drain(p);
		return -1;
	}
	if (p->bad_welcome) {
		if (p->bad_bytes)
			peer_send(p, p->bad, p->bad_bytes);
		return -1;
	}
	uint8_t frame[OC_PROTO_FRAME_BYTES_MAX];
	size_t want = p->token ? strlen(p->token) : 0;
	if (hello.token_bytes != want || (want && memcmp(hello.token, p->token, want) != 0)) {
		size_t n = oc_proto_encode_error(frame, sizeof(frame), h.correlation, OC_PERR_TOKEN,
		                                 "token does not match");
		peer_send(p, frame, n);
		return -1;
	}
	struct oc_proto_welcome w = {OC_PROTO_VERSION, OC_PROTO_FRAME_BYTES_MAX, p->last_seq};
	size_t n = oc_proto_encode_welcome(frame, sizeof(frame), h.correlation, &w);
	p->seq = p->last_seq;
	return peer_send(p, frame, n);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pfd = {.fd = p->listen_fd, .events = POLLIN};
	if (poll(&pfd, 1, PEER_WAIT_MS) != 1) {
		peer_fail(p, "no connection within %d ms", PEER_WAIT_MS);
		return NULL;
	}
	p->fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (p->fd < 0) {
		peer_fail(p, "accept: %s", strerror(errno));
		return NULL;
	}
	struct timeval tv = {.tv_sec = PEER_WAIT_MS / 1000};
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (peer_handshake(p) == 0 && p->script)
		p->script(p);
	close(p->fd);
	return NULL;
}

/* Scripts: what the peer does after the welcome. */

/* Answers every command; the answers to what one recv brought go out in one send. */
static void script_answer_all(struct peer *p)
{
	for (;;) {
		struct oc_proto_header h;
		const uint8_t *f;
		while (!p->failure[0] && (f = peer_take(p, &h)))
			peer_answer(p, f, &h);
		if (p->failure[0] || peer_flush(p) != 0 || peer_fill(p) <= 0)
			return;
	}
}

/* The cuts of the lockstep phase of script_split, in bytes of a stream of 4 answers: in the
 * length field, at the end of the header, in the body, across the 2nd and 3rd frames. */
static const size_t split_cuts[] = {5, 16, 40, 2 * ANSWER_FRAME_BYTES + 3, 4 * ANSWER_FRAME_BYTES};
#define SPLIT_PIECES (sizeof(split_cuts) / sizeof(split_cuts[0]))

/* Phase 1: 4 answers sent in pieces at split_cuts, each after the client's go-ahead.
 * Phase 2: 4 answers sent in two pieces, the first ending 20 bytes into the second answer,
 * with a 30 ms sleep between them (the client waits in a blocking receive). */
static void script_split(struct peer *p)
{
	if (peer_read_commands(p, 4) != 0)
		return;
	size_t from = 0;
	for (unsigned i = 0; i < SPLIT_PIECES; i++) {
		if ((i && peer_wait_step(p) != 0) ||
		    peer_send(p, p->out + from, split_cuts[i] - from) != 0)
			return;
		from = split_cuts[i];
	}
	p->out_bytes = 0;
	if (peer_read_commands(p, 4) != 0)
		return;
	size_t cut = ANSWER_FRAME_BYTES + 20;
	if (peer_send(p, p->out, cut) != 0)
		return;
	usleep(30 * 1000);
	if (peer_send(p, p->out + cut, p->out_bytes - cut) != 0)
		return;
	p->out_bytes = 0;
	peer_drain(p);
}

/* Answers one command, and sends p->bad right behind the answer, in the same send. */
static void script_answer_then_bad_frame(struct peer *p)
{
	if (peer_read_commands(p, 1) != 0)
		return;
	memcpy(p->out + p->out_bytes, p->bad, p->bad_bytes);
	p->out_bytes += p->bad_bytes;
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* Reads script_commands commands, answers all but the last, then sends an error frame
 * (its message with a newline in it) and closes. */
static void script_answers_then_error(struct peer *p)
{
	if (peer_read_commands(p, p->script_commands) != 0)
		return;
	p->out_bytes -= ANSWER_FRAME_BYTES;
	p->out_bytes += oc_proto_encode_error(p->out + p->out_bytes, sizeof(p->out) - p->out_bytes,
	                                      0, OC_PERR_SHUTDOWN, "stopping\nnow");
	peer_flush(p);
}

/* Reads script_commands commands (all of them, so the close is a FIN and not a reset),
 * answers all but the last, and closes. */
static void script_answers_then_close(struct peer *p)
{
	if (peer_read_commands(p, p->script_commands) != 0)
		return;
	p->out_bytes -= ANSWER_FRAME_BYTES;
	peer_flush(p);
}

/* Closes right after the welcome. */
static void script_close(struct peer *p)
{
	(void)p;
}

/* Gathers response r with `correlation` in p->out (row: with the row flag). */
static void peer_gather(struct peer *p, struct oc_response r, uint64_t correlation)
{
	peer_gathered(p, oc_proto_encode_answer(p->out + p->out_bytes,
	                                        sizeof(p->out) - p->out_bytes, correlation, &r));
}

/* Gathers response r in p->out as an event of the subscription with `correlation`. */
static void peer_gather_event(struct peer *p, struct oc_response r, uint64_t correlation)
{
	peer_gathered(p, oc_proto_encode_event(p->out + p->out_bytes,
	                                       sizeof(p->out) - p->out_bytes, correlation, &r));
}

/* Reads a subscribe with `correlation` to `kinds` and answers it (subscribed, last_seq 0);
 * false, the failure said, when the client sent something else. */
static bool peer_subscribed(struct peer *p, uint64_t correlation, uint32_t kinds)
{
	struct oc_proto_header h;
	const uint8_t *f = peer_next(p, &h);
	uint32_t got;
	if (!f || h.type != OC_MSG_SUBSCRIBE || h.correlation != correlation ||
	    oc_proto_decode_subscribe(f, &got) != 0 || got != kinds) {
		peer_fail(p, "not the subscribe sent");
		return false;
	}
	uint8_t frame[OC_PROTO_HEADER_BYTES + OC_PROTO_SUBSCRIBED_BODY_BYTES];
	return peer_send(p, frame, oc_proto_encode_subscribed(frame, sizeof(frame), correlation,
	                                                      0)) == 0;
}

/* Reads n commands, with correlations first, first + 1...: command i must come as frame type
 * msgs[i] of bytes[i] bytes and decode to cmds[i], every field (lines, order key, screen)
 * included. False, the failure said (`what`: whose commands), at the first that does not. */
static bool peer_expect_commands(struct peer *p, const struct oc_command *cmds,
                                 const uint8_t *msgs, const size_t *bytes, int n,
                                 uint64_t first, const char *what)
{
	for (int i = 0; i < n; i++) {
		struct oc_proto_header h;
		struct oc_command got;
		const uint8_t *f = peer_next(p, &h);
		if (!f || h.type != msgs[i] || h.correlation != first + (unsigned)i ||
		    h.frame_bytes != bytes[i] || oc_proto_decode_command(f, &got) != 0) {
			peer_fail(p, "%s command %d: not its frame", what, i);
			return false;
		}
		const struct oc_command *want = &cmds[i];
		if (memcmp(&got, want, offsetof(struct oc_command, seq)) != 0 ||
		    memcmp(got.lines, want->lines, want->line_count * sizeof(got.lines[0])) != 0 ||
		    got.order_key != want->order_key || got.amount_cents != 0 ||
		    memcmp(&got.screen, &want->screen, sizeof(got.screen)) != 0) {
			peer_fail(p, "%s command %d is not the one sent", what, i);
			return false;
		}
	}
	return true;
}

/* Reads a history query (correlation 10) and a customer query (11), then, each part after
 * the client's go-ahead: the history's 3 rows; an unsolicited response and the history's
 * answer; the customer's 32 rows and its answer (more left); a row of correlation 12, when
 * nothing is in flight. */
static void script_rows(struct peer *p)
{
	struct oc_proto_header h[2];
	struct oc_command q[2];
	for (int i = 0; i < 2; i++) {
		const uint8_t *f = peer_next(p, &h[i]);
		if (!f || oc_proto_decode_command(f, &q[i]) != 0) {
			peer_fail(p, "no query %d from the client", i);
			return;
		}
	}
	if (h[0].type != OC_MSG_QUERY_HISTORY || h[0].correlation != 10 || q[0].key != 77 ||
	    h[1].type != OC_MSG_QUERY_CUSTOMER || h[1].correlation != 11 ||
	    q[1].customer != 5 || q[1].order_key != 76) {
		peer_fail(p, "not the queries sent");
		return;
	}
	struct oc_response row = {.seq = 1, .key = 77, .customer = 5, .type = OC_CMD_PLACE,
	                          .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_ROW};
	for (uint64_t i = 0; i < 3; i++) {
		row.original_seq = 1 + i;
		peer_gather(p, row, 10);
	}
	if (peer_flush(p) != 0 || peer_wait_step(p) != 0)
		return;
	struct oc_response expiry = {.seq = 1, .key = 70, .customer = 5, .type = OC_CMD_PLACE,
	                             .status = OC_STATUS_CANCELLED,
	                             .reason = OC_REJECT_LEASE_EXPIRED,
	                             .flags = OC_RESPONSE_UNSOLICITED};
	peer_gather(p, expiry, 0);
	struct oc_response answer = {.seq = 1, .key = 77, .customer = 5,
	                             .type = OC_CMD_QUERY_HISTORY, .status = OC_STATUS_ACCEPTED};
	peer_gather(p, answer, 10);
	if (peer_flush(p) != 0 || peer_wait_step(p) != 0)
		return;
	row = (struct oc_response){.seq = 2, .customer = 5, .type = OC_CMD_QUERY_CUSTOMER,
	                           .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_ROW};
	for (uint64_t i = 0; i < OC_QUERY_ROWS_MAX; i++) {
		row.key = 75 - i;
		peer_gather(p, row, 11);
	}
	answer = (struct oc_response){.seq = 2, .customer = 5, .type = OC_CMD_QUERY_CUSTOMER,
	                              .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_MORE};
	peer_gather(p, answer, 11);
	if (peer_flush(p) != 0 || peer_wait_step(p) != 0)
		return;
	row.key = 1;
	peer_gather(p, row, 12);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The inventory administration commands the client queues, with their correlations 20, 21,
 * 22 (a cycle count, a safety stock, a reconciliation from warehouse 1). */
static const struct oc_command inventory_cmds[3] = {
    {.type = OC_CMD_ADJUST_STOCK, .line_count = 1, .region = 2, .key = 900, .customer = 5,
     .lines = {{700001, 0, 0}}, .expected_units = 12},
    {.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1, .customer = 5, .lines = {{700001, 3, 0}}},
    {.type = OC_CMD_QUERY_RECONCILE, .line_count = 1, .region = 1, .lines = {{700001, 0, 0}}},
};
static const uint8_t inventory_msgs[3] = {OC_MSG_ADJUST_STOCK, OC_MSG_SET_SAFETY_STOCK,
                                          OC_MSG_QUERY_RECONCILE};

/* Reads the three inventory commands, checks each frame's type and every field it decodes to,
 * and answers them in one send: the cycle count (stale_count) and the safety stock accepted,
 * then the reconciliation's rows for warehouses 1, 2, 3 (free w, allocated 10 w, picked
 * 100 w) and its answer (the totals, more left). */
static void script_inventory(struct peer *p)
{
	for (int i = 0; i < 3; i++) {
		struct oc_proto_header h;
		struct oc_command got;
		const uint8_t *f = peer_next(p, &h);
		if (!f || h.type != inventory_msgs[i] || h.correlation != 20u + (unsigned)i ||
		    oc_proto_decode_command(f, &got) != 0) {
			peer_fail(p, "inventory command %d: not its frame", i);
			return;
		}
		const struct oc_command *want = &inventory_cmds[i];
		if (got.type != want->type || got.key != want->key ||
		    got.customer != want->customer || got.region != want->region ||
		    got.line_count != 1 || got.lines[0].sku != want->lines[0].sku ||
		    got.lines[0].quantity != want->lines[0].quantity ||
		    got.expected_units != want->expected_units || got.order_key != 0) {
			peer_fail(p, "inventory command %d is not the one sent", i);
			return;
		}
	}
	struct oc_response adjust = {.seq = 1, .key = 900, .original_seq = 1, .customer = 5,
	                             .type = OC_CMD_ADJUST_STOCK, .status = OC_STATUS_REJECTED,
	                             .reason = OC_REJECT_STALE_COUNT, .warehouse = 2};
	peer_gather(p, adjust, 20);
	struct oc_response safety = {.seq = 2, .customer = 5, .type = OC_CMD_SET_SAFETY_STOCK,
	                             .status = OC_STATUS_ACCEPTED};
	peer_gather(p, safety, 21);
	struct oc_response row = {.seq = 3, .type = OC_CMD_QUERY_RECONCILE,
	                          .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_ROW};
	for (uint32_t w = 1; w <= 3; w++) {
		row.warehouse = (uint8_t)w;
		row.original_seq = OC_RECON_PACK(w, 10 * w);
		row.amount_cents = OC_RECON_PACK(100 * w, 111 * w);
		peer_gather(p, row, 22);
	}
	struct oc_response answer = {.seq = 3, .type = OC_CMD_QUERY_RECONCILE,
	                             .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_MORE,
	                             .original_seq = OC_RECON_PACK(6, 60),
	                             .amount_cents = OC_RECON_PACK(600, 666),
	                             .refunded_cents = OC_RECON_PACK(4, 3)};
	peer_gather(p, answer, 22);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The exceptions and returns commands the client queues, with correlations 30..34: a delivery
 * exception, an RMA of three lines, its receipt with restock, a replacement place of two
 * lines, and an RMA of 16 lines (304 bytes, the longest frame the client sends). */
#define RETURNS_CMDS 5
static struct oc_command returns_cmds[RETURNS_CMDS];
static const uint8_t returns_msgs[RETURNS_CMDS] = {
    OC_MSG_DELIVERY_EXCEPTION, OC_MSG_RETURN_REQUESTED, OC_MSG_RETURN_RECEIVED,
    OC_MSG_PLACE_REPLACEMENT, OC_MSG_RETURN_REQUESTED};
static const size_t returns_bytes[RETURNS_CMDS] = {16 + 24, 16 + 32 + 3 * 16, 16 + 24,
                                                   16 + 32 + 2 * 16, 16 + 32 + 16 * 16};

static void returns_cmds_make(void)
{
	returns_cmds[0] = (struct oc_command){.type = OC_CMD_DELIVERY_EXCEPTION, .key = 901,
	                                      .customer = 5, .flags = OC_EXCEPTION_DAMAGED};
	returns_cmds[1] = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED, .line_count = 3,
	                                      .key = 902, .customer = 5, .order_key = 901,
	                                      .flags = OC_RETURN_WRONG_ITEM};
	for (unsigned l = 0; l < 3; l++)
		returns_cmds[1].lines[l] = (struct oc_line){700001 + l, 1 + l, 0};
	returns_cmds[2] = (struct oc_command){.type = OC_CMD_RETURN_RECEIVED, .key = 902,
	                                      .customer = 5, .flags = OC_RETURN_RESTOCK};
	returns_cmds[3] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 2, .region = 7,
	                                      .key = 903, .customer = 5, .order_key = 901,
	                                      .flags = OC_PLACE_REPLACEMENT,
	                                      .lines = {{700004, 2, 0}, {700005, 1, 0}}};
	returns_cmds[4] = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED,
	                                      .line_count = OC_ORDER_LINES_MAX, .key = 904,
	                                      .customer = 6, .order_key = UINT64_MAX,
	                                      .flags = OC_RETURN_OTHER};
	for (unsigned l = 0; l < OC_ORDER_LINES_MAX; l++)
		returns_cmds[4].lines[l] = (struct oc_line){(1ull << 63) + l, 1000000u - l, 0};
}

/* Reads a subscribe (correlation 29, kinds returns and fulfilment) and answers it; reads the
 * five returns commands, checks each frame's type, length and every field it decodes to, and
 * answers them in one send, with a returns event (the RMA's answer) after the RMA's answer:
 * the exception accepted (exception, captured), the RMA accepted (return_requested, worth
 * 1234, two warehouses from 1), its receipt (returned), the replacement (allocated, free),
 * the RMA of 16 lines refused (unknown_order). */
static void script_returns(struct peer *p)
{
	if (!peer_subscribed(p, 29, OC_EVENT_RETURNS | OC_EVENT_FULFILMENT) ||
	    !peer_expect_commands(p, returns_cmds, returns_msgs, returns_bytes, RETURNS_CMDS, 30,
	                          "returns"))
		return;
	struct oc_response exception = {.seq = 1, .key = 901, .original_seq = 1, .customer = 5,
	                                 .type = OC_CMD_DELIVERY_EXCEPTION,
	                                 .status = OC_STATUS_ACCEPTED, .state = OC_STATE_EXCEPTION,
	                                 .payment = OC_PAYMENT_CAPTURED, .amount_cents = 1500};
	peer_gather(p, exception, 30);
	struct oc_response rma = {.seq = 2, .key = 902, .original_seq = 2, .customer = 5,
	                          .type = OC_CMD_RETURN_REQUESTED, .status = OC_STATUS_ACCEPTED,
	                          .state = OC_STATE_RETURN_REQUESTED, .shipments = 2,
	                          .warehouse = 1, .amount_cents = 1234};
	peer_gather(p, rma, 31);
	peer_gather_event(p, rma, 29);
	struct oc_response received = rma;
	received.seq = 3;
	received.type = OC_CMD_RETURN_RECEIVED;
	received.state = OC_STATE_RETURNED;
	peer_gather(p, received, 32);
	struct oc_response replacement = {.seq = 4, .key = 903, .original_seq = 4, .customer = 5,
	                                  .type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
	                                  .shipments = 1, .state = OC_STATE_ALLOCATED,
	                                  .payment = OC_PAYMENT_PREPAID};
	peer_gather(p, replacement, 33);
	struct oc_response refused = {.seq = 5, .key = 904, .original_seq = 5, .customer = 6,
	                              .type = OC_CMD_RETURN_REQUESTED, .status = OC_STATUS_REJECTED,
	                              .reason = OC_REJECT_UNKNOWN_ORDER};
	peer_gather(p, refused, 34);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The packs the client queues, with correlations 40..42: one whose quality check failed
 * (frame 46), one without flags (26, as before 46 existed), one with a bit the engine does
 * not know (46: the engine answers malformed, the client does not judge it). */
#define PACK_CMDS 3
static const struct oc_command pack_cmds[PACK_CMDS] = {
    {.type = OC_CMD_PACK_CONFIRMED, .key = 951, .customer = 7, .flags = OC_PACK_QC_FAILED},
    {.type = OC_CMD_PACK_CONFIRMED, .key = 951, .customer = 7},
    {.type = OC_CMD_PACK_CONFIRMED, .key = 951, .customer = 7, .flags = 0x80000000u},
};
static const uint8_t pack_msgs[PACK_CMDS] = {OC_MSG_PACK_CHECKED, OC_MSG_PACK_CONFIRMED,
                                             OC_MSG_PACK_CHECKED};
static const size_t pack_bytes[PACK_CMDS] = {16 + 24, 16 + 16, 16 + 24};

/* Reads the three packs, checks each frame's type, length and what it decodes to (the flags
 * of a 46 at body offset 16), and answers them in one send: the failed check accepted (the
 * order stays picked), the pack accepted (packed), the unknown bit rejected (malformed). */
static void script_packs(struct peer *p)
{
	struct oc_proto_header h;
	for (int i = 0; i < PACK_CMDS; i++) {
		struct oc_command got;
		const uint8_t *f = peer_next(p, &h);
		if (!f || h.type != pack_msgs[i] || h.correlation != 40u + (unsigned)i ||
		    h.frame_bytes != pack_bytes[i] || oc_proto_decode_command(f, &got) != 0) {
			peer_fail(p, "pack %d: not its frame", i);
			return;
		}
		uint32_t flags_le = htole32(pack_cmds[i].flags);
		if (memcmp(&got, &pack_cmds[i], offsetof(struct oc_command, seq)) != 0 ||
		    got.order_key != 0 || got.amount_cents != 0 ||
		    (h.type == OC_MSG_PACK_CHECKED &&
		     memcmp(f + OC_PROTO_HEADER_BYTES + 16, &flags_le, 4) != 0)) {
			peer_fail(p, "pack %d is not the one sent", i);
			return;
		}
	}
	struct oc_response qc = {.seq = 1, .key = 951, .original_seq = 1, .customer = 7,
	                         .type = OC_CMD_PACK_CONFIRMED, .status = OC_STATUS_ACCEPTED,
	                         .shipments = 1, .state = OC_STATE_PICKED,
	                         .payment = OC_PAYMENT_PREPAID, .amount_cents = 900};
	peer_gather(p, qc, 40);
	struct oc_response packed = qc;
	packed.seq = 2;
	packed.state = OC_STATE_PACKED;
	peer_gather(p, packed, 41);
	struct oc_response malformed = {.seq = 3, .key = 951, .customer = 7,
	                                .type = OC_CMD_PACK_CONFIRMED,
	                                .status = OC_STATUS_REJECTED,
	                                .reason = OC_REJECT_MALFORMED};
	peer_gather(p, malformed, 42);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The fraud screening's commands the client queues, with correlations 50..54: a screened
 * place of two lines (frame 47), a review's approval (48) and rejection (49), a block list
 * change (50), and a screened card place of 16 lines (336 bytes, the longest frame the client
 * sends). */
#define SCREEN_CMDS 5
static struct oc_command screen_cmds[SCREEN_CMDS];
static const uint8_t screen_msgs[SCREEN_CMDS] = {OC_MSG_PLACE_SCREENED, OC_MSG_REVIEW_APPROVE,
                                                 OC_MSG_REVIEW_REJECT, OC_MSG_BLOCK,
                                                 OC_MSG_PLACE_SCREENED};
static const size_t screen_bytes[SCREEN_CMDS] = {16 + 64 + 2 * 16, 16 + 16, 16 + 16, 16 + 24,
                                                 16 + 64 + 16 * 16};

static void screen_cmds_make(void)
{
	const struct oc_screen screen = {.email_hash = 0x0102030405060708ull,
	                                 .card_hash = 0x1112131415161718ull,
	                                 .address_hash = 0x2122232425262728ull,
	                                 .bill_country = {'G', 'B'},
	                                 .ship_country = {'U', 'S'},
	                                 .account_age_days = 1,
	                                 .postal_code = "94105"};
	screen_cmds[0] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 2, .region = 3,
	                                     .key = 961, .customer = 8, .flags = OC_PLACE_SCREEN,
	                                     .lines = {{700001, 2, 0}, {700002, 1, 0}},
	                                     .screen = screen};
	screen_cmds[1] = (struct oc_command){.type = OC_CMD_REVIEW_APPROVE, .key = 961,
	                                     .customer = 8};
	screen_cmds[2] = (struct oc_command){.type = OC_CMD_REVIEW_REJECT, .key = 961,
	                                     .customer = 8};
	screen_cmds[3] = (struct oc_command){.type = OC_CMD_BLOCK, .customer = 5,
	                                     .flags = OC_BLOCK_CARD | OC_BLOCK_REMOVE,
	                                     .order_key = screen.card_hash};
	screen_cmds[4] = (struct oc_command){.type = OC_CMD_PLACE,
	                                     .line_count = OC_ORDER_LINES_MAX, .key = 962,
	                                     .customer = 9,
	                                     .flags = OC_PLACE_SCREEN | OC_PLACE_CARD,
	                                     .screen = screen};
	memcpy(screen_cmds[4].screen.postal_code, "A1B-2C3 D4", OC_POSTAL_CODE_BYTES);
	for (unsigned l = 0; l < OC_ORDER_LINES_MAX; l++)
		screen_cmds[4].lines[l] = (struct oc_line){(1ull << 63) + l, 1000000u - l, 0};
}

/* Reads a subscribe (correlation 49, kinds blocks) and answers it; reads the five screening
 * commands, checks each frame's type, length and every field it decodes to (the screen
 * included), and answers them in one send, with a blocks event (the block list change's
 * answer) after its answer: the place held for review (on_hold, reason new_account), the
 * approval (allocated), the rejection refused (invalid_state), the block list change done,
 * the place of 16 lines rejected (blocked). */
static void script_screening(struct peer *p)
{
	if (!peer_subscribed(p, 49, OC_EVENT_BLOCKS) ||
	    !peer_expect_commands(p, screen_cmds, screen_msgs, screen_bytes, SCREEN_CMDS, 50,
	                          "screening"))
		return;
	struct oc_response held = {.seq = 1, .key = 961, .original_seq = 1, .customer = 8,
	                           .type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
	                           .reason = OC_REJECT_NEW_ACCOUNT, .shipments = 1,
	                           .state = OC_STATE_ON_HOLD, .payment = OC_PAYMENT_PREPAID,
	                           .amount_cents = 60000};
	peer_gather(p, held, 50);
	struct oc_response approved = held;
	approved.seq = 2;
	approved.type = OC_CMD_REVIEW_APPROVE;
	approved.state = OC_STATE_ALLOCATED;
	peer_gather(p, approved, 51);
	struct oc_response refused = approved;
	refused.seq = 3;
	refused.type = OC_CMD_REVIEW_REJECT;
	refused.status = OC_STATUS_REJECTED;
	refused.reason = OC_REJECT_INVALID_STATE;
	peer_gather(p, refused, 52);
	struct oc_response block = {.seq = 4, .original_seq = 4, .customer = 5,
	                            .type = OC_CMD_BLOCK, .status = OC_STATUS_ACCEPTED};
	peer_gather(p, block, 53);
	peer_gather_event(p, block, 49);
	struct oc_response blocked = {.seq = 5, .key = 962, .original_seq = 5, .customer = 9,
	                              .type = OC_CMD_PLACE, .status = OC_STATUS_REJECTED,
	                              .reason = OC_REJECT_BLOCKED, .state = OC_STATE_REJECTED};
	peer_gather(p, blocked, 54);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The short picks the client queues, with correlations 60 and 61: one of two lines at
 * warehouse 1 (frame 51), one of 16 lines at warehouse 65535 (304 bytes). */
#define SHORT_CMDS 2
static struct oc_command short_cmds[SHORT_CMDS];
static const uint8_t short_msgs[SHORT_CMDS] = {OC_MSG_PICK_SHORT, OC_MSG_PICK_SHORT};
static const size_t short_bytes[SHORT_CMDS] = {16 + 32 + 2 * 16, 16 + 32 + 16 * 16};

static void short_cmds_make(void)
{
	short_cmds[0] = (struct oc_command){.type = OC_CMD_PICK_SHORT, .line_count = 2,
	                                    .region = 1, .key = 971, .customer = 8,
	                                    .order_key = 961,
	                                    .lines = {{700001, 2, 0}, {700002, 1, 0}}};
	short_cmds[1] = (struct oc_command){.type = OC_CMD_PICK_SHORT,
	                                    .line_count = OC_ORDER_LINES_MAX,
	                                    .region = UINT16_MAX,
	                                    .flags = OC_PICK_SHORT_BACKORDER, .key = 972,
	                                    .customer = 9, .order_key = UINT64_MAX};
	for (unsigned l = 0; l < OC_ORDER_LINES_MAX; l++)
		short_cmds[1].lines[l] = (struct oc_line){(1ull << 63) + l, 1000000u - l, 0};
}

/* Reads a subscribe (correlation 59, kinds fulfilment) and answers it; reads the two short
 * picks, checks each frame's type, length and every field it decodes to, and answers them in
 * one send: the first accepted (the order allocated from two warehouses, 15.00 cut) with its
 * fulfilment event after it, the second rejected (invalid_state: the order is picked). */
static void script_short_picks(struct peer *p)
{
	if (!peer_subscribed(p, 59, OC_EVENT_FULFILMENT) ||
	    !peer_expect_commands(p, short_cmds, short_msgs, short_bytes, SHORT_CMDS, 60,
	                          "short pick"))
		return;
	struct oc_response done = {.seq = 2, .key = 971, .original_seq = 2, .customer = 8,
	                           .type = OC_CMD_PICK_SHORT, .status = OC_STATUS_ACCEPTED,
	                           .shipments = 2, .warehouse = 0, .state = OC_STATE_ALLOCATED,
	                           .amount_cents = 1500};
	peer_gather(p, done, 60);
	peer_gather_event(p, done, 59);
	struct oc_response refused = {.seq = 3, .key = 972, .original_seq = 3, .customer = 9,
	                              .type = OC_CMD_PICK_SHORT, .status = OC_STATUS_REJECTED,
	                              .reason = OC_REJECT_INVALID_STATE,
	                              .state = OC_STATE_PICKED, .shipments = 1};
	peer_gather(p, refused, 61);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The B2B credit commands the client queues, with correlations 70-73: a place on account of
 * two lines (frame 16, the flag at 20), a screened place on account (47), a card place on
 * account (16: the flags pass through, the engine answers malformed), a payment received
 * (52, a cancel's body). */
#define CREDIT_CMDS 4
static struct oc_command credit_cmds[CREDIT_CMDS];
static const uint8_t credit_msgs[CREDIT_CMDS] = {OC_MSG_PLACE, OC_MSG_PLACE_SCREENED,
                                                 OC_MSG_PLACE, OC_MSG_PAYMENT_RECEIVED};
static const size_t credit_bytes[CREDIT_CMDS] = {16 + 24 + 2 * 16, 16 + 64 + 16, 16 + 24 + 16,
                                                 16 + 16};

static void credit_cmds_make(void)
{
	credit_cmds[0] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 2, .region = 1,
	                                     .key = 981, .customer = 900,
	                                     .flags = OC_PLACE_ACCOUNT,
	                                     .lines = {{700001, 2, 0}, {700002, 1, 0}}};
	credit_cmds[1] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 1, .key = 982,
	                                     .customer = 900,
	                                     .flags = OC_PLACE_ACCOUNT | OC_PLACE_SCREEN,
	                                     .lines = {{700001, 1, 0}},
	                                     .screen = {.bill_country = {'U', 'S'},
	                                                .ship_country = {'U', 'S'},
	                                                .account_age_days = 900}};
	credit_cmds[2] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 1, .key = 983,
	                                     .customer = 900,
	                                     .flags = OC_PLACE_ACCOUNT | OC_PLACE_CARD,
	                                     .lines = {{700001, 1, 0}}};
	credit_cmds[3] = (struct oc_command){.type = OC_CMD_PAYMENT_RECEIVED, .key = 981,
	                                     .customer = 900};
}

/* Reads a subscribe (correlation 69, kinds fulfilment) and answers it; reads the four credit
 * commands, checks each frame's type, length and every field it decodes to, and answers them
 * in one send: the place on account accepted (payment on_account, 60.00), the screened one
 * rejected (credit_limit), the card one rejected (malformed), the payment received accepted
 * (payment paid) with its fulfilment event after it. */
static void script_credit(struct peer *p)
{
	if (!peer_subscribed(p, 69, OC_EVENT_FULFILMENT) ||
	    !peer_expect_commands(p, credit_cmds, credit_msgs, credit_bytes, CREDIT_CMDS, 70,
	                          "credit"))
		return;
	struct oc_response placed = {.seq = 1, .key = 981, .original_seq = 1, .customer = 900,
	                             .type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
	                             .shipments = 1, .state = OC_STATE_ALLOCATED,
	                             .payment = OC_PAYMENT_ON_ACCOUNT, .amount_cents = 6000};
	peer_gather(p, placed, 70);
	struct oc_response over = {.seq = 2, .key = 982, .original_seq = 2, .customer = 900,
	                           .type = OC_CMD_PLACE, .status = OC_STATUS_REJECTED,
	                           .reason = OC_REJECT_CREDIT_LIMIT, .state = OC_STATE_REJECTED};
	peer_gather(p, over, 71);
	struct oc_response malformed = over;
	malformed.seq = malformed.original_seq = 3;
	malformed.key = 983;
	malformed.reason = OC_REJECT_MALFORMED;
	peer_gather(p, malformed, 72);
	struct oc_response paid = placed;
	paid.seq = 4;
	paid.type = OC_CMD_PAYMENT_RECEIVED;
	paid.payment = OC_PAYMENT_PAID;
	peer_gather(p, paid, 73);
	peer_gather_event(p, paid, 69);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* The carriers' commands the client queues, with correlations 80-84: a place asking for 2
 * days in transit from the app (frame 16, the days in bits 4-6 and the channel in 8-10 of the
 * flags at 20), a screened place asking for 7 (47), a replacement asking for 1 (45: the flags
 * pass through, the engine answers malformed), a pack (26) and a shipped (27). */
#define DOC_CMDS 5
static struct oc_command doc_cmds[DOC_CMDS];
static const uint8_t doc_msgs[DOC_CMDS] = {OC_MSG_PLACE, OC_MSG_PLACE_SCREENED,
                                           OC_MSG_PLACE_REPLACEMENT, OC_MSG_PACK_CONFIRMED,
                                           OC_MSG_SHIPPED};
static const size_t doc_bytes[DOC_CMDS] = {16 + 24 + 2 * 16, 16 + 64 + 16, 16 + 32 + 16,
                                           16 + 16, 16 + 16};

static void doc_cmds_make(void)
{
	doc_cmds[0] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 2, .region = 1,
	                                  .key = 991, .customer = 8,
	                                  .flags = OC_PLACE_DAYS(2) |
	                                           OC_PLACE_CHANNEL(OC_CHANNEL_APP),
	                                  .lines = {{100012, 2, 0}, {100013, 1, 0}}};
	doc_cmds[1] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 1, .key = 992,
	                                  .customer = 8,
	                                  .flags = OC_PLACE_SCREEN | OC_PLACE_DAYS(7),
	                                  .lines = {{100012, 1, 0}},
	                                  .screen = {.bill_country = {'U', 'S'},
	                                             .ship_country = {'U', 'S'}}};
	doc_cmds[2] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 1, .key = 993,
	                                  .customer = 8,
	                                  .flags = OC_PLACE_REPLACEMENT | OC_PLACE_DAYS(1),
	                                  .order_key = 991, .lines = {{100012, 1, 0}}};
	doc_cmds[3] = (struct oc_command){.type = OC_CMD_PACK_CONFIRMED, .key = 991, .customer = 8};
	doc_cmds[4] = (struct oc_command){.type = OC_CMD_SHIPPED, .key = 991, .customer = 8};
}

/* The documents of the script below: a pack's packing slip line and label, a shipment's
 * invoice line, a released wave's pick line (unsolicited: an event only). */
static struct oc_response doc_row(uint8_t type, uint8_t kind, uint64_t seq)
{
	struct oc_response r = {.seq = seq, .key = 991, .customer = 8, .type = type,
	                        .status = OC_STATUS_ACCEPTED,
	                        .flags = OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT |
	                                 OC_CHANNEL_APP << OC_RESPONSE_CHANNEL_SHIFT,
	                        .shipments = kind, .warehouse = 3, .original_seq = 100012,
	                        .amount_cents = (uint64_t)1999 << 32 | 2, .refunded_cents = 3998};
	if (kind == OC_DOC_LABEL) {
		r.original_seq = 0x0123456789abcdefull; /* the tracking number */
		r.amount_cents = 845;
		r.refunded_cents = OC_LABEL_PACK(1234, 2, 4, 2);
	}
	return r;
}

/* Reads a subscribe (correlation 79, kinds documents and fulfilment) and answers it; reads
 * the carriers' commands, checks each frame's type, length and every field it decodes to,
 * and answers them in one send as the daemon does (each document's event, then the row to
 * its sender; the step's event, then its answer): the places accepted, the replacement
 * malformed; the pack's slip line and label, then its answer; the shipment's invoice line,
 * then its answer; then a pick line, unsolicited, as an event alone. */
static void script_documents(struct peer *p)
{
	if (!peer_subscribed(p, 79, OC_EVENT_DOCUMENTS | OC_EVENT_FULFILMENT) ||
	    !peer_expect_commands(p, doc_cmds, doc_msgs, doc_bytes, DOC_CMDS, 80, "carriers"))
		return;
	struct oc_response placed = {.seq = 1, .key = 991, .original_seq = 1, .customer = 8,
	                             .type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
	                             .shipments = 1, .warehouse = 3, .state = OC_STATE_ALLOCATED};
	peer_gather(p, placed, 80);
	placed.seq = placed.original_seq = 2;
	placed.key = 992;
	peer_gather(p, placed, 81);
	struct oc_response malformed = {.seq = 3, .key = 993, .original_seq = 3, .customer = 8,
	                                .type = OC_CMD_PLACE, .status = OC_STATUS_REJECTED,
	                                .reason = OC_REJECT_MALFORMED,
	                                .state = OC_STATE_REJECTED};
	peer_gather(p, malformed, 82);
	const struct oc_response pack_rows[2] = {
	    doc_row(OC_CMD_PACK_CONFIRMED, OC_DOC_SLIP_LINE, 4),
	    doc_row(OC_CMD_PACK_CONFIRMED, OC_DOC_LABEL, 4)};
	for (int i = 0; i < 2; i++) {
		peer_gather_event(p, pack_rows[i], 79);
		peer_gather(p, pack_rows[i], 83);
	}
	struct oc_response packed = {.seq = 4, .key = 991, .original_seq = 1, .customer = 8,
	                             .type = OC_CMD_PACK_CONFIRMED, .status = OC_STATUS_ACCEPTED,
	                             .shipments = 1, .warehouse = 3, .state = OC_STATE_PACKED};
	peer_gather_event(p, packed, 79);
	peer_gather(p, packed, 83);
	const struct oc_response invoice = doc_row(OC_CMD_SHIPPED, OC_DOC_INVOICE_LINE, 5);
	peer_gather_event(p, invoice, 79);
	peer_gather(p, invoice, 84);
	struct oc_response shipped = packed;
	shipped.seq = 5;
	shipped.type = OC_CMD_SHIPPED;
	shipped.state = OC_STATE_SHIPPED;
	peer_gather_event(p, shipped, 79);
	peer_gather(p, shipped, 84);
	struct oc_response pick = doc_row(OC_CMD_PLACE, OC_DOC_PICK_LINE, 5);
	pick.flags |= OC_RESPONSE_UNSOLICITED;
	pick.refunded_cents = 1; /* the wave's number */
	peer_gather_event(p, pick, 79);
	if (peer_flush(p) == 0)
		peer_drain(p);
}

/* Listens on 127.0.0.1, port 0, and starts the peer thread. The caller frees it after
 * peer_join. */
static struct peer *peer_start(peer_script *script, const char *token, uint64_t last_seq)
{
	struct peer *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->script = script;
	p->token = token;
	p->last_seq = last_seq;
	p->fd = -1;
	p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(p->listen_fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t a_bytes = sizeof(a);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(p->listen_fd, 4), 0);
	assert_int_equal(getsockname(p->listen_fd, (struct sockaddr *)&a, &a_bytes), 0);
	p->port = ntohs(a.sin_port);
	assert_int_equal(sem_init(&p->step, 0, 0), 0);
	return p;
}

static void peer_run(struct peer *p)
{
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

/* Joins the peer, checks that it found nothing wrong, and frees it. */
static void peer_join(struct peer *p)
{
	assert_int_equal(pthread_join(p->thread, NULL), 0);
	close(p->listen_fd);
	sem_destroy(&p->step);
	char failure[sizeof(p->failure)];
	memcpy(failure, p->failure, sizeof(failure));
	free(p);
	assert_string_equal(failure, "");
}

/* ---- The client's side. ---- */

static struct oc_client_config config_for(const struct peer *p, size_t buffer_bytes)
{
	return (struct oc_client_config){.port = p->port,
	                                 .token = p->token,
	                                 .token_bytes = p->token ? strlen(p->token) : 0,
	                                 .timeout_ms = PEER_WAIT_MS,
	                                 .out_bytes = buffer_bytes,
	                                 .in_bytes = buffer_bytes};
}

static struct oc_client *connect_to(const struct peer *p, size_t buffer_bytes)
{
	struct oc_client_config cfg = config_for(p, buffer_bytes);
	struct oc_client *c = NULL;
	char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
	int rc = oc_client_connect(&cfg, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("connect: %d (%s)", rc, err);
	assert_non_null(c);
	assert_string_equal(oc_client_error(c), "");
	return c;
}

static void queue_commands(struct oc_client *c, uint64_t from, uint64_t n)
{
	for (uint64_t i = from; i < from + n; i++) {
		struct oc_command cmd;
		command_of(i, &cmd);
		assert_int_equal(oc_client_queue(c, &cmd, i), 0);
	}
}

/* The answer to command i, on a connection welcomed with last_seq. */
static void check_answer(const struct oc_client_answer *a, uint64_t i, uint64_t last_seq)
{
	struct oc_command cmd;
	command_of(i, &cmd);
	struct oc_response want = answer_of(&cmd, last_seq + 1 + i);
	assert_int_equal(a->correlation, i);
	assert_int_equal(a->response.seq, want.seq);
	assert_int_equal(a->response.key, want.key);
	assert_int_equal(a->response.original_seq, want.original_seq);
	assert_int_equal(a->response.type, want.type);
	assert_int_equal(a->response.status, want.status);
	assert_int_equal(a->response.reason, OC_REJECT_NONE);
	assert_int_equal(a->response.flags, 0);
	assert_int_equal(a->response.shipments, want.shipments);
	assert_int_equal(a->response.warehouse, want.warehouse);
}

/* Blocking receives until n answers came, checked as the answers to commands from..from+n. */
static void receive_answers(struct oc_client *c, uint64_t from, uint32_t n, uint64_t last_seq)
{
	struct oc_client_answer a[64];
	uint32_t got = 0;
	while (got < n) {
		int rc = oc_client_receive(c, a, n - got < 64 ? n - got : 64, 1);
		if (rc <= 0)
			fail_msg("receive: %d (%s)", rc, oc_client_error(c));
		for (int k = 0; k < rc; k++)
			check_answer(&a[k], from + got + (uint32_t)k, last_seq);
		got += (uint32_t)rc;
	}
}

static int64_t elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* ---- Tests. ---- */

static void test_client_config_limits_need_no_server(void **state)
{
	(void)state;
	struct oc_client *c = (struct oc_client *)&c; /* not NULL: connect must clear it */
	char err[OC_CLIENT_ERROR_BYTES_MAX];
	struct oc_client_config ok = {.port = 9, .token = "t", .token_bytes = 1};
	struct oc_client_config bad[6];
	for (int i = 0; i < 6; i++)
		bad[i] = ok;
	bad[0].port = 0;
	bad[1].token_bytes = OC_PROTO_TOKEN_BYTES_MAX + 1;
	bad[2].token = NULL;
	bad[3].out_bytes = OC_CLIENT_BUFFER_BYTES_MIN - 1;
	bad[4].in_bytes = OC_CLIENT_BUFFER_BYTES_MAX + 1;
	bad[5].out_bytes = OC_CLIENT_BUFFER_BYTES_MAX + 1;
	for (int i = 0; i < 6; i++) {
		err[0] = '\0';
		assert_int_equal(oc_client_connect(&bad[i], &c, err, sizeof(err)), -EINVAL);
		assert_null(c);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(oc_client_connect(NULL, &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(oc_client_connect(&ok, NULL, NULL, 0), -EINVAL);
	oc_client_close(NULL);
}

static void test_client_connection_refused(void **state)
{
	(void)state;
	/* A port that was just free: bound, then closed without listening. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t a_bytes = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &a_bytes), 0);
	close(fd);
	struct oc_client_config cfg = {.port = ntohs(a.sin_port), .timeout_ms = PEER_WAIT_MS};
	struct oc_client *c;
	char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
	assert_int_equal(oc_client_connect(&cfg, &c, err, sizeof(err)), -ECONNREFUSED);
	assert_null(c);
	assert_non_null(strstr(err, "cannot connect to 127.0.0.1"));
}

/* With a token (host "localhost"), and without (the default host); then the basics of a
 * fresh client. */
static void test_client_against_scripted_server_handshake(void **state)
{
	(void)state;
	for (int with_token = 0; with_token < 2; with_token++) {
		uint64_t last_seq = with_token ? 41 : 0;
		struct peer *p =
		    peer_start(script_answer_all, with_token ? "s3cret" : NULL, last_seq);
		peer_run(p);
		/* "localhost" is a name (resolved; where it is ::1 first, that address is
		 * refused and the next one tried); NULL is the default, 127.0.0.1. */
		struct oc_client_config cfg = config_for(p, 0);
		cfg.host = with_token ? "localhost" : NULL;
		struct oc_client *c = NULL;
		char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
		int rc = oc_client_connect(&cfg, &c, err, sizeof(err));
		if (rc != 0)
			fail_msg("connect: %d (%s)", rc, err);
		assert_int_equal(oc_client_last_seq(c), last_seq);
		int fd = oc_client_fd(c);
		assert_true(fd >= 0);
		assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
		int nodelay = 0;
		socklen_t nodelay_bytes = sizeof(nodelay);
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nodelay_bytes),
		                 0);
		assert_true(nodelay);
		assert_int_equal(oc_client_pending(c), 0);
		assert_int_equal(oc_client_inflight(c), 0);
		/* Nothing is there: a non-blocking receive says 0, and n = 0 is refused. */
		struct oc_client_answer a[4];
		assert_int_equal(oc_client_receive(c, a, 4, 0), 0);
		assert_int_equal(oc_client_receive(c, a, 0, 0), -EINVAL);
		/* Commands the codec cannot encode are refused before they take room. */
		struct oc_command cmd;
		command_of(0, &cmd);
		cmd.line_count = 0;
		assert_int_equal(oc_client_queue(c, &cmd, 0), -EINVAL);
		cmd.line_count = OC_ORDER_LINES_MAX + 1;
		assert_int_equal(oc_client_queue(c, &cmd, 0), -EINVAL);
		cmd.type = 99; /* no such command */
		assert_int_equal(oc_client_queue(c, &cmd, 0), -EINVAL);
		assert_int_equal(oc_client_pending(c), 0);
		/* One round trip of each kind of command. */
		queue_commands(c, 0, 5);
		assert_true(oc_client_pending(c) > 0);
		assert_int_equal(oc_client_inflight(c), 5);
		assert_int_equal(oc_client_flush(c, 1), 0);
		assert_int_equal(oc_client_pending(c), 0);
		receive_answers(c, 0, 5, last_seq);
		assert_int_equal(oc_client_inflight(c), 0);
		assert_int_equal(oc_client_receive(c, a, 4, 0), 0);
		/* No flush: a blocking receive sends what is queued while it waits. */
		queue_commands(c, 5, 5);
		receive_answers(c, 5, 5, last_seq);
		assert_int_equal(oc_client_pending(c), 0);
		oc_client_close(c);
		peer_join(p);
	}
}

static void test_client_against_scripted_server_wrong_token(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_answer_all, "s3cret", 0);
	peer_run(p);
	struct oc_client_config cfg = config_for(p, 0);
	cfg.token = "guess";
	cfg.token_bytes = 5;
	struct oc_client *c;
	char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
	assert_int_equal(oc_client_connect(&cfg, &c, err, sizeof(err)), -EPROTO);
	assert_null(c);
	assert_string_equal(err, "server refused the hello: token: token does not match");
	peer_join(p);
	/* No token at all where one is expected: the same. */
	p = peer_start(script_answer_all, "s3cret", 0);
	peer_run(p);
	cfg = config_for(p, 0);
	cfg.token = NULL;
	cfg.token_bytes = 0;
	assert_int_equal(oc_client_connect(&cfg, &c, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "token does not match"));
	peer_join(p);
}

static void test_client_against_scripted_server_that_never_welcomes(void **state)
{
	(void)state;
	struct peer *p = peer_start(NULL, NULL, 0);
	p->silent = 1;
	peer_run(p);
	struct oc_client_config cfg = config_for(p, 0);
	cfg.timeout_ms = 200;
	struct oc_client *c;
	char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(oc_client_connect(&cfg, &c, err, sizeof(err)), -ETIMEDOUT);
	int64_t ms = elapsed_ms(&t0);
	assert_true(ms >= 190 && ms < 2000);
	assert_null(c);
	assert_string_equal(err, "no welcome from the server within 200 ms");
	peer_join(p); /* the peer saw the close */
}

/* A server that answers the hello with something other than a usable welcome, then closes. */
static void expect_welcome_refused(const uint8_t *bad, size_t bad_bytes, int want_rc,
                                   const char *want_err)
{
	struct peer *p = peer_start(NULL, NULL, 0);
	p->bad_welcome = 1;
	p->bad = bad;
	p->bad_bytes = bad_bytes;
	peer_run(p);
	struct oc_client_config cfg = config_for(p, 0);
	struct oc_client *c;
	char err[OC_CLIENT_ERROR_BYTES_MAX] = "";
	assert_int_equal(oc_client_connect(&cfg, &c, err, sizeof(err)), want_rc);
	assert_null(c);
	assert_string_equal(err, want_err);
	peer_join(p);
}

static void test_client_against_scripted_server_with_a_bad_welcome(void **state)
{
	(void)state;
	uint8_t f[OC_PROTO_FRAME_BYTES_MAX];
	struct oc_proto_welcome w = {1, OC_PROTO_FRAME_BYTES_MAX, 0}; /* a server before money */
	size_t n = oc_proto_encode_welcome(f, sizeof(f), 0, &w);
	expect_welcome_refused(f, n, -EPROTO, "the server speaks protocol version 1, not 2");
	w = (struct oc_proto_welcome){OC_PROTO_VERSION, 200, 0};
	n = oc_proto_encode_welcome(f, sizeof(f), 0, &w);
	expect_welcome_refused(f, n, -EPROTO,
	                       "the server takes frames of 200 bytes, this client sends 336");
	w.frame_bytes_max = 335; /* an RMA of 16 lines fits, a screened place of 16 does not */
	n = oc_proto_encode_welcome(f, sizeof(f), 0, &w);
	expect_welcome_refused(f, n, -EPROTO,
	                       "the server takes frames of 335 bytes, this client sends 336");
	w.frame_bytes_max = 200;
	n = oc_proto_encode_welcome(f, sizeof(f), 0, &w);
	f[OC_PROTO_HEADER_BYTES + 2] = 1;
	expect_welcome_refused(f, n, -EPROTO, "a welcome with a non-zero reserved field");
	struct oc_response r = {.seq = 1};
	n = oc_proto_encode_answer(f, sizeof(f), 0, &r);
	expect_welcome_refused(f, n, -EPROTO,
	                       "a frame of type 32 from the server, where a welcome is expected");
	uint32_t len = htole32(5000);
	memcpy(f, &len, 4);
	expect_welcome_refused(f, n, -EPROTO, "a malformed frame from the server: frame_length");
	expect_welcome_refused(NULL, 0, -ECONNRESET,
	                       "the server closed the connection before the welcome");
}

/* 20,000 commands through 1 KiB buffers in a poll loop, as a gateway streams them: queue
 * until -EAGAIN, flush what the socket takes, receive what is there, wait for either. */
static void test_client_against_scripted_server_pipelines_thousands(void **state)
{
	(void)state;
	const uint64_t last_seq = 1000;
	struct peer *p = peer_start(script_answer_all, "s3cret", last_seq);
	peer_run(p);
	struct oc_client *c = connect_to(p, OC_CLIENT_BUFFER_BYTES_MIN);
	uint64_t queued = 0, answered = 0, eagain = 0;
	struct oc_client_answer a[32];
	while (answered < PIPELINE_COMMANDS) {
		int progress = 0;
		while (queued < PIPELINE_COMMANDS) {
			struct oc_command cmd;
			command_of(queued, &cmd);
			int rc = oc_client_queue(c, &cmd, queued);
			if (rc == -EAGAIN) {
				eagain++;
				break;
			}
			assert_int_equal(rc, 0);
			queued++;
			progress = 1;
		}
		int rc = oc_client_flush(c, 0);
		assert_true(rc == 0 || rc == -EAGAIN);
		rc = oc_client_receive(c, a, 32, 0);
		if (rc < 0)
			fail_msg("receive: %d (%s)", rc, oc_client_error(c));
		for (int k = 0; k < rc; k++)
			check_answer(&a[k], answered + (uint64_t)k, last_seq);
		answered += (uint64_t)rc;
		assert_int_equal(oc_client_inflight(c), queued - answered);
		if (rc > 0 || progress)
			continue;
		struct pollfd pfd = {.fd = oc_client_fd(c), .events = POLLIN};
		if (oc_client_pending(c))
			pfd.events |= POLLOUT;
		assert_int_equal(poll(&pfd, 1, PEER_WAIT_MS), 1);
	}
	assert_true(eagain > 0);
	assert_int_equal(oc_client_pending(c), 0);
	assert_int_equal(oc_client_receive(c, a, 32, 0), 0);
	oc_client_close(c);
	uint64_t commands = p->commands, per_send = p->answers_per_send_max;
	peer_join(p);
	assert_int_equal(commands, PIPELINE_COMMANDS);
	assert_true(per_send > 1);
}

/* The blocking pattern of docs/client.md: queue until -EAGAIN, then a blocking receive (which
 * sends while it waits), and at the end receive until nothing is in flight; no flush. */
static void test_client_against_scripted_server_pipelines_with_blocking_receive(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_answer_all, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, OC_CLIENT_BUFFER_BYTES_MIN);
	uint64_t answered = 0;
	struct oc_client_answer a[32];
	for (uint64_t i = 0; i <= PIPELINE_COMMANDS; i++) {
		struct oc_command cmd;
		command_of(i, &cmd);
		while (i == PIPELINE_COMMANDS ? oc_client_inflight(c) > 0
		                              : oc_client_queue(c, &cmd, i) == -EAGAIN) {
			int rc = oc_client_receive(c, a, 32, 1);
			if (rc <= 0)
				fail_msg("receive: %d (%s)", rc, oc_client_error(c));
			for (int k = 0; k < rc; k++)
				check_answer(&a[k], answered + (uint64_t)k, 0);
			answered += (uint64_t)rc;
		}
	}
	assert_int_equal(answered, PIPELINE_COMMANDS);
	assert_int_equal(oc_client_pending(c), 0);
	oc_client_close(c);
	uint64_t commands = p->commands;
	peer_join(p);
	assert_int_equal(commands, PIPELINE_COMMANDS);
}

/* Answers that arrive in pieces: cut in the length, at the end of the header, in the body
 * and across two frames, checked in lockstep with non-blocking receives; then a frame in two
 * pieces with a sleep between, read by blocking receives. */
static void test_client_against_scripted_server_splitting_answers(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_split, NULL, 7);
	peer_run(p);
	struct oc_client *c = connect_to(p, OC_CLIENT_BUFFER_BYTES_MIN);
	queue_commands(c, 0, 4);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[8];
	uint32_t answered = 0;
	for (unsigned i = 0; i < SPLIT_PIECES; i++) {
		uint32_t whole = (uint32_t)(split_cuts[i] / ANSWER_FRAME_BYTES);
		struct pollfd pfd = {.fd = oc_client_fd(c), .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, PEER_WAIT_MS), 1);
		int rc = oc_client_receive(c, a, 8, 0);
		assert_int_equal(rc, whole - answered);
		for (int k = 0; k < rc; k++)
			check_answer(&a[k], answered + (uint32_t)k, 7);
		answered = whole;
		assert_int_equal(oc_client_receive(c, a, 8, 0), 0); /* the rest is not there */
		sem_post(&p->step);
	}
	queue_commands(c, 4, 4);
	assert_int_equal(oc_client_flush(c, 1), 0);
	receive_answers(c, 4, 4, 7);
	oc_client_close(c);
	peer_join(p);
}

/* A frame the client must refuse after a good answer: the answer is returned, then -EPROTO
 * with a reason, and every later call returns -EPROTO. */
static void expect_bad_frame_refused(const uint8_t *bad, size_t bad_bytes, const char *reason)
{
	struct peer *p = peer_start(script_answer_then_bad_frame, NULL, 0);
	p->bad = bad;
	p->bad_bytes = bad_bytes;
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	queue_commands(c, 0, 1);
	assert_int_equal(oc_client_flush(c, 1), 0);
	receive_answers(c, 0, 1, 0);
	struct oc_client_answer a[4];
	assert_int_equal(oc_client_receive(c, a, 4, 1), -EPROTO);
	if (!strstr(oc_client_error(c), reason))
		fail_msg("error \"%s\" does not say \"%s\"", oc_client_error(c), reason);
	assert_int_equal(oc_client_receive(c, a, 4, 0), -EPROTO);
	struct oc_command cmd;
	command_of(1, &cmd);
	assert_int_equal(oc_client_queue(c, &cmd, 1), -EPROTO);
	assert_int_equal(oc_client_flush(c, 1), -EPROTO);
	oc_client_close(c);
	peer_join(p);
}

static void test_client_against_scripted_server_sending_malformed_frames(void **state)
{
	(void)state;
	uint8_t f[OC_PROTO_FRAME_BYTES_MAX];
	struct oc_command cmd;
	command_of(1, &cmd);
	struct oc_response r = answer_of(&cmd, 2);
	/* A frame length over the maximum: refused from its first 4 bytes. */
	size_t n = oc_proto_encode_answer(f, sizeof(f), 1, &r);
	uint32_t len = htole32(OC_PROTO_FRAME_BYTES_MAX + 1);
	memcpy(f, &len, 4);
	expect_bad_frame_refused(f, n, "malformed frame from the server: frame_length");
	/* Another version (1: the one before); non-zero flags. */
	n = oc_proto_encode_answer(f, sizeof(f), 1, &r);
	f[4] = 1;
	expect_bad_frame_refused(f, n, "malformed frame from the server: version");
	n = oc_proto_encode_answer(f, sizeof(f), 1, &r);
	f[6] = 1;
	expect_bad_frame_refused(f, n, "malformed frame from the server: field");
	/* An answer of version 1's length (a 32-byte body; since version 2 an answer has no
	 * reserved byte left for the decoder to refuse). */
	n = oc_proto_encode_answer(f, sizeof(f), 1, &r);
	len = htole32(OC_PROTO_HEADER_BYTES + 32);
	memcpy(f, &len, 4);
	expect_bad_frame_refused(f, OC_PROTO_HEADER_BYTES + 32,
	                         "malformed frame from the server: body_length");
	/* Well-formed frames of types a client never receives after the welcome. */
	struct oc_proto_welcome w = {OC_PROTO_VERSION, OC_PROTO_FRAME_BYTES_MAX, 0};
	n = oc_proto_encode_welcome(f, sizeof(f), 1, &w);
	expect_bad_frame_refused(f, n, "a frame of type 2 from the server");
	n = oc_proto_encode_hello(f, sizeof(f), 1, NULL, 0);
	expect_bad_frame_refused(f, n, "a frame of type 1 from the server");
	/* A well-formed answer to no command. */
	n = oc_proto_encode_answer(f, sizeof(f), 1, &r);
	expect_bad_frame_refused(f, n, "an answer (correlation 1) to no command");
}

/* Waits until the client's socket is readable, then receives without blocking, at most
 * per_call answers a call, until exactly n answers are in a. */
static void receive_exactly(struct oc_client *c, struct oc_client_answer *a, uint32_t n,
                            uint32_t per_call)
{
	uint32_t have = 0;
	while (have < n) {
		struct pollfd pfd = {.fd = oc_client_fd(c), .events = POLLIN};
		uint32_t want = n - have < per_call ? n - have : per_call;
		int rc = oc_client_receive(c, a + have, want, 0);
		if (rc < 0)
			fail_msg("receive: %d (%s)", rc, oc_client_error(c));
		if (rc == 0)
			assert_int_equal(poll(&pfd, 1, PEER_WAIT_MS), 1);
		have += (uint32_t)rc;
	}
}

/* receive_exactly got answers, at most n a call; then nothing more is there. */
static void receive_now(struct oc_client *c, struct oc_client_answer *a, uint32_t n,
                        uint32_t got)
{
	receive_exactly(c, a, got, n);
	assert_int_equal(oc_client_receive(c, a, 1, 0), 0); /* no more */
}

/* Queries with rows against the scripted server: rows are answers with the row flag and the
 * query's correlation; only the query's own answer takes it off the count in flight (a row
 * does not, nor an unsolicited response); a page of 32 rows is returned 5 at a time across
 * calls; then a row that answers nothing is -EPROTO. */
static void test_client_against_scripted_server_with_rows(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_rows, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	struct oc_command history = {.type = OC_CMD_QUERY_HISTORY, .key = 77};
	struct oc_command page = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 5, .order_key = 76};
	assert_int_equal(oc_client_queue(c, &history, 10), 0);
	assert_int_equal(oc_client_queue(c, &page, 11), 0);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[OC_QUERY_ROWS_MAX + 1];
	receive_now(c, a, 8, 3);
	for (uint64_t i = 0; i < 3; i++) {
		assert_int_equal(a[i].correlation, 10);
		assert_int_equal(a[i].event, 0);
		assert_int_equal(a[i].response.flags, OC_RESPONSE_ROW);
		assert_int_equal(a[i].response.original_seq, 1 + i);
	}
	assert_int_equal(oc_client_inflight(c), 2);
	sem_post(&p->step);
	receive_now(c, a, 8, 2);
	assert_int_equal(a[0].response.flags, OC_RESPONSE_UNSOLICITED);
	assert_int_equal(a[0].response.reason, OC_REJECT_LEASE_EXPIRED);
	assert_int_equal(a[1].correlation, 10);
	assert_int_equal(a[1].response.type, OC_CMD_QUERY_HISTORY);
	assert_int_equal(a[1].response.flags, 0);
	assert_int_equal(oc_client_inflight(c), 1);
	sem_post(&p->step);
	receive_now(c, a, 5, OC_QUERY_ROWS_MAX + 1);
	for (uint64_t i = 0; i < OC_QUERY_ROWS_MAX; i++) {
		assert_int_equal(a[i].correlation, 11);
		assert_int_equal(a[i].response.flags, OC_RESPONSE_ROW);
		assert_int_equal(a[i].response.key, 75 - i);
		assert_int_equal(a[i].response.customer, 5);
	}
	assert_int_equal(a[OC_QUERY_ROWS_MAX].correlation, 11);
	assert_int_equal(a[OC_QUERY_ROWS_MAX].response.flags, OC_RESPONSE_MORE);
	assert_int_equal(oc_client_inflight(c), 0);
	sem_post(&p->step);
	assert_int_equal(oc_client_receive(c, a, 4, 1), -EPROTO);
	assert_string_equal(oc_client_error(c), "an answer (correlation 12) to no command");
	oc_client_close(c);
	peer_join(p);
}

/* The inventory administration commands through the client: each is queued (the codec knows
 * its frame: not -EINVAL), reaches the scripted server as its own type with every field (the
 * peer checks), and its answer comes back with its correlation; the reconciliation's rows
 * (one per warehouse, the counts packed as OC_RECON_* reads them) leave it in flight until its
 * answer. A safety stock with a key, which its frame cannot carry, is refused, as are a
 * reconciliation and a stock-at query with a key, customer, flags or reserved bits. */
static void test_client_against_scripted_server_inventory_administration(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_inventory, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	struct oc_command keyed = inventory_cmds[1];
	keyed.key = 1;
	assert_int_equal(oc_client_queue(c, &keyed, 19), -EINVAL);
	/* Nor does a reconciliation or a stock-at query carry a key, a customer, flags or a
	 * line's reserved bits. */
	for (int q = 0; q < 2; q++) {
		for (int field = 0; field < 4; field++) {
			struct oc_command bad = inventory_cmds[2];
			if (q)
				bad.type = OC_CMD_QUERY_STOCK_AT;
			if (field == 0)
				bad.key = 1;
			else if (field == 1)
				bad.customer = 1;
			else if (field == 2)
				bad.flags = 1;
			else
				bad.lines[0].reserved = 1;
			assert_int_equal(oc_client_queue(c, &bad, 19), -EINVAL);
		}
	}
	assert_int_equal(oc_client_inflight(c), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(oc_client_queue(c, &inventory_cmds[i], 20u + (unsigned)i), 0);
	assert_int_equal(oc_client_inflight(c), 3);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[6];
	receive_now(c, a, 2, 6);
	assert_int_equal(a[0].correlation, 20);
	assert_int_equal(a[0].response.type, OC_CMD_ADJUST_STOCK);
	assert_int_equal(a[0].response.reason, OC_REJECT_STALE_COUNT);
	assert_int_equal(a[0].response.warehouse, 2);
	assert_int_equal(a[1].correlation, 21);
	assert_int_equal(a[1].response.type, OC_CMD_SET_SAFETY_STOCK);
	assert_int_equal(a[1].response.status, OC_STATUS_ACCEPTED);
	for (uint32_t w = 1; w <= 3; w++) {
		const struct oc_client_answer *row = &a[1 + w];
		assert_int_equal(row->correlation, 22);
		assert_int_equal(row->event, 0);
		assert_int_equal(row->response.flags, OC_RESPONSE_ROW);
		assert_int_equal(row->response.warehouse, w);
		assert_int_equal(OC_RECON_FREE(&row->response), w);
		assert_int_equal(OC_RECON_ALLOCATED(&row->response), 10 * w);
		assert_int_equal(OC_RECON_PICKED(&row->response), 100 * w);
		assert_int_equal(OC_RECON_ON_HAND(&row->response), 111 * w);
	}
	const struct oc_response *answer = &a[5].response;
	assert_int_equal(a[5].correlation, 22);
	assert_int_equal(answer->flags, OC_RESPONSE_MORE);
	assert_int_equal(OC_RECON_ON_HAND(answer), 666);
	assert_int_equal(OC_RECON_AVAILABLE(answer), 4);
	assert_int_equal(OC_RECON_SAFETY(answer), 3);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* The exceptions and returns through the client: a subscription to returns and fulfilment
 * events (bit 32 is a kind now), then a delivery exception, an RMA, a return received, a
 * replacement place and an RMA of 16 lines (the longest frame) are queued and reach the
 * scripted server as their frame types with every field (the peer checks); their answers,
 * and the RMA's event among them, come back. Commands whose frame cannot carry a field are
 * refused (-EINVAL) before they take room. */
static void test_client_against_scripted_server_exceptions_and_returns(void **state)
{
	(void)state;
	returns_cmds_make();
	struct peer *p = peer_start(script_returns, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_ALL + 1, 29, &from_seq, 0), -EINVAL);
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_RETURNS | OC_EVENT_FULFILMENT, 29,
	                                     &from_seq, 0),
	                 0);
	assert_int_equal(from_seq, 0);
	struct oc_command bad = returns_cmds[1];
	bad.region = 1; /* an RMA has no region */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad.region = 0;
	bad.flags = 256; /* the reason is a byte */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = returns_cmds[0];
	bad.line_count = 1; /* a delivery exception has no lines */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = returns_cmds[3];
	bad.line_count = OC_ORDER_LINES_MAX + 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = returns_cmds[3];
	bad.flags = 0; /* a place's order key: only a replacement carries one */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = (struct oc_command){.type = OC_CMD_CANCEL, .key = 1, .customer = 5, .flags = 1};
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	assert_int_equal(oc_client_inflight(c), 0);
	assert_int_equal(oc_client_pending(c), 0);
	size_t bytes = 0;
	for (int i = 0; i < RETURNS_CMDS; i++) {
		assert_int_equal(oc_client_queue(c, &returns_cmds[i], 30u + (unsigned)i), 0);
		bytes += returns_bytes[i];
	}
	assert_int_equal(oc_client_pending(c), bytes);
	assert_int_equal(oc_client_inflight(c), RETURNS_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[RETURNS_CMDS + 1];
	receive_now(c, a, 2, RETURNS_CMDS + 1);
	assert_int_equal(a[0].correlation, 30);
	assert_int_equal(a[0].event, 0);
	assert_int_equal(a[0].response.type, OC_CMD_DELIVERY_EXCEPTION);
	assert_int_equal(a[0].response.state, OC_STATE_EXCEPTION);
	assert_int_equal(a[0].response.payment, OC_PAYMENT_CAPTURED);
	assert_int_equal(a[1].correlation, 31);
	assert_int_equal(a[1].event, 0);
	const struct oc_response *rma = &a[1].response;
	assert_int_equal(rma->type, OC_CMD_RETURN_REQUESTED);
	assert_int_equal(rma->state, OC_STATE_RETURN_REQUESTED);
	assert_int_equal(rma->amount_cents, 1234);
	assert_int_equal(rma->shipments, 2);
	assert_int_equal(rma->warehouse, 1);
	assert_int_equal(a[2].event, 1); /* the RMA as a returns event */
	assert_int_equal(a[2].correlation, 29);
	assert_memory_equal(&a[2].response, rma, sizeof(*rma));
	assert_int_equal(oc_proto_event_kind(&a[2].response), OC_EVENT_RETURNS);
	assert_int_equal(a[3].correlation, 32);
	assert_int_equal(a[3].response.type, OC_CMD_RETURN_RECEIVED);
	assert_int_equal(a[3].response.state, OC_STATE_RETURNED);
	assert_int_equal(a[4].correlation, 33);
	assert_int_equal(a[4].response.type, OC_CMD_PLACE);
	assert_int_equal(a[4].response.amount_cents, 0);
	assert_int_equal(a[5].correlation, 34);
	assert_int_equal(a[5].response.reason, OC_REJECT_UNKNOWN_ORDER);
	assert_int_equal(a[5].response.customer, 6);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* The pack's quality check: a failed one is frame 46 with its flags, a plain pack still 26;
 * a pack cannot carry lines or a region, flagged or not, and no other unflagged step takes
 * the flag. */
static void test_client_against_scripted_server_pack_quality_check(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_packs, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	struct oc_command bad = pack_cmds[0];
	bad.line_count = 1;
	bad.lines[0] = (struct oc_line){700001, 1, 0};
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = pack_cmds[0];
	bad.region = 2;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = pack_cmds[0];
	bad.type = OC_CMD_PICK_CONFIRMED; /* only a pack has a frame with flags */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad.type = OC_CMD_SHIPPED;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	assert_int_equal(oc_client_pending(c), 0);
	size_t bytes = 0;
	for (int i = 0; i < PACK_CMDS; i++) {
		assert_int_equal(oc_client_queue(c, &pack_cmds[i], 40u + (unsigned)i), 0);
		bytes += pack_bytes[i];
	}
	assert_int_equal(oc_client_pending(c), bytes);
	assert_int_equal(oc_client_inflight(c), PACK_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[PACK_CMDS];
	receive_now(c, a, PACK_CMDS, PACK_CMDS);
	assert_int_equal(a[0].correlation, 40);
	assert_int_equal(a[0].response.type, OC_CMD_PACK_CONFIRMED);
	assert_int_equal(a[0].response.status, OC_STATUS_ACCEPTED);
	assert_int_equal(a[0].response.state, OC_STATE_PICKED);
	assert_int_equal(a[0].response.flags, 0); /* not a duplicate */
	assert_int_equal(oc_proto_event_kind(&a[0].response), OC_EVENT_FULFILMENT);
	assert_int_equal(a[1].correlation, 41);
	assert_int_equal(a[1].response.state, OC_STATE_PACKED);
	assert_int_equal(a[2].correlation, 42);
	assert_int_equal(a[2].response.reason, OC_REJECT_MALFORMED);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* The fraud screening through the client: a subscription to block list changes (bit 64),
 * then a screened place, a review's approval and rejection, a block list change and a
 * screened card place of 16 lines (the longest frame) are queued and reach the scripted
 * server as their frame types with every field, the screen included (the peer checks);
 * their answers, the hold's reason and the block list change's event among them, come back.
 * Commands whose frame cannot carry a field are refused (-EINVAL) before they take room: a
 * screened replacement, a screen without its flag, a postal code with a byte after its NUL,
 * a block list change with a key or lines, a review with flags. */
static void test_client_against_scripted_server_screening(void **state)
{
	(void)state;
	screen_cmds_make();
	struct peer *p = peer_start(script_screening, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_BLOCKS, 49, &from_seq, 0), 0);
	struct oc_command bad = screen_cmds[0];
	bad.flags |= OC_PLACE_REPLACEMENT; /* no frame has an order key and a screen */
	bad.order_key = 901;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = screen_cmds[0];
	bad.flags = OC_PLACE_CARD; /* a screen without the flag would be lost */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = screen_cmds[0];
	bad.screen.postal_code[8] = 'X'; /* after the NUL: the padding */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = screen_cmds[3];
	bad.key = 1; /* a block list change is not keyed */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad.key = 0;
	bad.line_count = 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = screen_cmds[1];
	bad.flags = 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = screen_cmds[2];
	bad.screen.account_age_days = 1; /* a review carries no screen */
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	assert_int_equal(oc_client_inflight(c), 0);
	assert_int_equal(oc_client_pending(c), 0);
	size_t bytes = 0;
	for (int i = 0; i < SCREEN_CMDS; i++) {
		assert_int_equal(oc_client_queue(c, &screen_cmds[i], 50u + (unsigned)i), 0);
		bytes += screen_bytes[i];
	}
	assert_int_equal(oc_client_pending(c), bytes);
	assert_int_equal(oc_client_inflight(c), SCREEN_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[SCREEN_CMDS + 1];
	receive_now(c, a, 2, SCREEN_CMDS + 1);
	assert_int_equal(a[0].correlation, 50);
	const struct oc_response *held = &a[0].response;
	assert_int_equal(held->status, OC_STATUS_ACCEPTED);
	assert_int_equal(held->state, OC_STATE_ON_HOLD);
	assert_int_equal(held->reason, OC_REJECT_NEW_ACCOUNT);
	assert_int_equal(oc_proto_event_kind(held), OC_EVENT_ORDERS);
	assert_int_equal(a[1].correlation, 51);
	assert_int_equal(a[1].response.type, OC_CMD_REVIEW_APPROVE);
	assert_int_equal(a[1].response.state, OC_STATE_ALLOCATED);
	assert_int_equal(oc_proto_event_kind(&a[1].response), OC_EVENT_FULFILMENT);
	assert_int_equal(a[2].correlation, 52);
	assert_int_equal(a[2].response.reason, OC_REJECT_INVALID_STATE);
	assert_int_equal(a[3].correlation, 53);
	assert_int_equal(a[3].event, 0);
	assert_int_equal(a[3].response.type, OC_CMD_BLOCK);
	assert_int_equal(a[4].event, 1); /* the block list change as a blocks event */
	assert_int_equal(a[4].correlation, 49);
	assert_memory_equal(&a[4].response, &a[3].response, sizeof(a[3].response));
	assert_int_equal(oc_proto_event_kind(&a[4].response), OC_EVENT_BLOCKS);
	assert_int_equal(a[5].correlation, 54);
	assert_int_equal(a[5].response.reason, OC_REJECT_BLOCKED);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* Short picks through the client: a subscription to fulfilment events, then a short pick of
 * two lines and one of 16 lines at warehouse 65535 (304 bytes) are queued and reach the
 * scripted server as frame 51 with every field (the peer checks); their answers (the value
 * cut, the order's state and warehouses) and the first's fulfilment event come back; the
 * second backorders (its flag in the frame). What the frame has no room for is refused
 * (-EINVAL) before it takes room: flags but OC_PICK_SHORT_BACKORDER (the engine would answer
 * malformed), an amount (the value cut is the answer's), a screen, no lines, more than
 * 16. */
static void test_client_against_scripted_server_short_picks(void **state)
{
	(void)state;
	short_cmds_make();
	struct peer *p = peer_start(script_short_picks, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_FULFILMENT, 59, &from_seq, 0), 0);
	struct oc_command bad = short_cmds[0];
	bad.flags = OC_PICK_SHORT_BACKORDER << 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = short_cmds[0];
	bad.amount_cents = 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = short_cmds[0];
	bad.screen.account_age_days = 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad = short_cmds[0];
	bad.line_count = 0;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	bad.line_count = OC_ORDER_LINES_MAX + 1;
	assert_int_equal(oc_client_queue(c, &bad, 1), -EINVAL);
	assert_int_equal(oc_client_inflight(c), 0);
	assert_int_equal(oc_client_pending(c), 0);
	for (int i = 0; i < SHORT_CMDS; i++)
		assert_int_equal(oc_client_queue(c, &short_cmds[i], 60u + (unsigned)i), 0);
	assert_int_equal(oc_client_pending(c), short_bytes[0] + short_bytes[1]);
	assert_int_equal(oc_client_inflight(c), SHORT_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[SHORT_CMDS + 1];
	receive_now(c, a, 2, SHORT_CMDS + 1);
	assert_int_equal(a[0].correlation, 60);
	assert_int_equal(a[0].event, 0);
	const struct oc_response *done = &a[0].response;
	assert_int_equal(done->type, OC_CMD_PICK_SHORT);
	assert_int_equal(done->state, OC_STATE_ALLOCATED);
	assert_int_equal(done->amount_cents, 1500);
	assert_int_equal(done->shipments, 2);
	assert_int_equal(a[1].event, 1); /* the short pick as a fulfilment event */
	assert_int_equal(a[1].correlation, 59);
	assert_memory_equal(&a[1].response, done, sizeof(*done));
	assert_int_equal(oc_proto_event_kind(&a[1].response), OC_EVENT_FULFILMENT);
	assert_int_equal(a[2].correlation, 61);
	assert_int_equal(a[2].response.reason, OC_REJECT_INVALID_STATE);
	assert_int_equal(a[2].response.state, OC_STATE_PICKED);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* B2B credit through the client: a subscription to fulfilment events, then places on account
 * (plain, screened, and by card: the flags are the engine's to judge) and a payment received
 * are queued and reach the scripted server as frames 16, 47, 16 and 52 with every field (the
 * peer checks); their answers (payment on_account, the reasons credit_limit and malformed,
 * payment paid) and the payment's fulfilment event come back. A payment received with a field
 * a cancel's body has no room for (flags, lines, a region, an order key, an amount, a screen)
 * is refused (-EINVAL) before it takes room. */
static void test_client_against_scripted_server_credit(void **state)
{
	(void)state;
	credit_cmds_make();
	struct peer *p = peer_start(script_credit, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_FULFILMENT, 69, &from_seq, 0), 0);
	const struct oc_command paid = credit_cmds[3];
	struct oc_command bad[6] = {paid, paid, paid, paid, paid, paid};
	bad[0].flags = 1;
	bad[1].line_count = 1;
	bad[1].lines[0] = (struct oc_line){700001, 1, 0};
	bad[2].region = 1;
	bad[3].order_key = 981;
	bad[4].amount_cents = 6000;
	bad[5].screen.account_age_days = 1;
	for (int i = 0; i < 6; i++)
		assert_int_equal(oc_client_queue(c, &bad[i], 1), -EINVAL);
	assert_int_equal(oc_client_inflight(c), 0);
	assert_int_equal(oc_client_pending(c), 0);
	size_t bytes = 0;
	for (int i = 0; i < CREDIT_CMDS; i++) {
		assert_int_equal(oc_client_queue(c, &credit_cmds[i], 70u + (unsigned)i), 0);
		bytes += credit_bytes[i];
	}
	assert_int_equal(oc_client_pending(c), bytes);
	assert_int_equal(oc_client_inflight(c), CREDIT_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[CREDIT_CMDS + 1];
	receive_now(c, a, 2, CREDIT_CMDS + 1);
	assert_int_equal(a[0].correlation, 70);
	assert_int_equal(a[0].response.payment, OC_PAYMENT_ON_ACCOUNT);
	assert_int_equal(a[0].response.amount_cents, 6000);
	assert_int_equal(oc_proto_event_kind(&a[0].response), OC_EVENT_ORDERS);
	assert_int_equal(a[1].correlation, 71);
	assert_int_equal(a[1].response.status, OC_STATUS_REJECTED);
	assert_int_equal(a[1].response.reason, OC_REJECT_CREDIT_LIMIT);
	assert_string_equal(oc_reject_reason_name(a[1].response.reason), "credit_limit");
	assert_int_equal(a[2].correlation, 72);
	assert_int_equal(a[2].response.reason, OC_REJECT_MALFORMED);
	assert_int_equal(a[3].correlation, 73);
	assert_int_equal(a[3].event, 0);
	const struct oc_response *done = &a[3].response;
	assert_int_equal(done->type, OC_CMD_PAYMENT_RECEIVED);
	assert_int_equal(done->payment, OC_PAYMENT_PAID);
	assert_string_equal(oc_payment_state_name(done->payment), "paid");
	assert_string_equal(oc_payment_state_name(OC_PAYMENT_ON_ACCOUNT), "on_account");
	assert_int_equal(a[4].event, 1); /* the payment as a fulfilment event */
	assert_int_equal(a[4].correlation, 69);
	assert_memory_equal(&a[4].response, done, sizeof(*done));
	assert_int_equal(oc_proto_event_kind(&a[4].response), OC_EVENT_FULFILMENT);
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* Carriers and documents through the client: a subscription to documents and fulfilment
 * (bits 128 and 8), then places asking for their days in transit (frames 16 and 47, and a
 * replacement, 45: the days pass through, the engine answers malformed), a pack and a
 * shipped reach the scripted server with every field (the peer checks). The pack's slip line
 * and label and the shipment's invoice line come back twice, as the daemon sends them: as
 * events (the subscribe's correlation) and as rows (the step's correlation, flagged row and
 * document) before the step's answer; only that answer takes the step off the count in
 * flight. A released wave's pick line, unsolicited, comes as an event alone. */
static void test_client_against_scripted_server_documents(void **state)
{
	(void)state;
	doc_cmds_make();
	struct peer *p = peer_start(script_documents, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(c, OC_EVENT_DOCUMENTS | OC_EVENT_FULFILMENT, 79,
	                                     &from_seq, 0), 0);
	size_t bytes = 0;
	for (int i = 0; i < DOC_CMDS; i++) {
		assert_int_equal(oc_client_queue(c, &doc_cmds[i], 80u + (unsigned)i), 0);
		bytes += doc_bytes[i];
	}
	assert_int_equal(oc_client_pending(c), bytes);
	assert_int_equal(oc_client_inflight(c), DOC_CMDS);
	assert_int_equal(oc_client_flush(c, 1), 0);
	struct oc_client_answer a[16];
	receive_exactly(c, a, 3, 3); /* the places */
	assert_int_equal(a[0].correlation, 80);
	assert_int_equal(a[1].correlation, 81);
	assert_int_equal(a[2].correlation, 82);
	assert_int_equal(a[2].response.reason, OC_REJECT_MALFORMED);
	assert_int_equal(oc_client_inflight(c), 2);
	/* The pack's documents: an event and a row each; the pack still in flight. */
	receive_exactly(c, a, 4, 4);
	assert_int_equal(oc_client_inflight(c), 2);
	for (int i = 0; i < 4; i++) {
		const struct oc_response *r = &a[i].response;
		assert_int_equal(a[i].event, i % 2 == 0);
		assert_int_equal(a[i].correlation, i % 2 == 0 ? 79 : 83);
		assert_int_equal(r->flags & (OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT),
		                 OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT);
		assert_int_equal(OC_RESPONSE_CHANNEL(r), OC_CHANNEL_APP);
		assert_int_equal(oc_proto_event_kind(r), OC_EVENT_DOCUMENTS);
		assert_int_equal(r->type, OC_CMD_PACK_CONFIRMED);
		assert_int_equal(r->seq, 4);
		assert_int_equal(r->warehouse, 3);
	}
	assert_memory_equal(&a[0].response, &a[1].response, sizeof(a[0].response));
	assert_memory_equal(&a[2].response, &a[3].response, sizeof(a[2].response));
	const struct oc_response *slip = &a[1].response, *label = &a[3].response;
	assert_int_equal(OC_DOC_KIND(slip), OC_DOC_SLIP_LINE);
	assert_int_equal(slip->original_seq, 100012);
	assert_int_equal(OC_DOC_LINE_QUANTITY(slip), 2);
	assert_int_equal(OC_DOC_LINE_PRICE(slip), 1999);
	assert_int_equal(slip->refunded_cents, 3998);
	assert_int_equal(OC_DOC_KIND(label), OC_DOC_LABEL);
	assert_true(label->original_seq == 0x0123456789abcdefull);
	assert_int_equal(label->amount_cents, 845);
	assert_int_equal(OC_LABEL_WEIGHT_G(label), 1234);
	assert_int_equal(OC_LABEL_SERVICE(label), 2);
	assert_int_equal(OC_LABEL_ZONE(label), 4);
	assert_int_equal(OC_LABEL_DAYS(label), 2);
	receive_exactly(c, a, 2, 16); /* the pack's fulfilment event, then its answer */
	assert_int_equal(a[0].event, 1);
	assert_int_equal(oc_proto_event_kind(&a[0].response), OC_EVENT_FULFILMENT);
	assert_int_equal(a[1].event, 0);
	assert_int_equal(a[1].correlation, 83);
	assert_int_equal(a[1].response.state, OC_STATE_PACKED);
	assert_int_equal(oc_client_inflight(c), 1);
	receive_exactly(c, a, 5, 16); /* the shipment's invoice line twice, its event, answer */
	assert_int_equal(a[0].event, 1);
	assert_int_equal(a[1].event, 0);
	assert_int_equal(a[1].correlation, 84);
	assert_int_equal(OC_DOC_KIND(&a[1].response), OC_DOC_INVOICE_LINE);
	assert_int_equal(a[1].response.type, OC_CMD_SHIPPED);
	assert_int_equal(a[2].event, 1);
	assert_int_equal(a[3].correlation, 84);
	assert_int_equal(a[3].response.state, OC_STATE_SHIPPED);
	assert_int_equal(oc_client_inflight(c), 0);
	/* The pick line: nobody's answer, an event with nothing in flight. */
	assert_int_equal(a[4].event, 1);
	assert_int_equal(a[4].correlation, 79);
	assert_int_equal(OC_DOC_KIND(&a[4].response), OC_DOC_PICK_LINE);
	assert_true(a[4].response.flags & OC_RESPONSE_UNSOLICITED);
	assert_int_equal(oc_proto_event_kind(&a[4].response), OC_EVENT_DOCUMENTS);
	assert_int_equal(oc_client_receive(c, a, 1, 0), 0); /* no more */
	assert_int_equal(oc_client_inflight(c), 0);
	oc_client_close(c);
	peer_join(p);
}

/* Answers, then an error frame: the answers are returned, then -EPROTO with the code name and
 * the message (its newline made printable). */
static void test_client_against_scripted_server_error_after_answers(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_answers_then_error, NULL, 0);
	p->script_commands = 3;
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	queue_commands(c, 0, 3);
	assert_int_equal(oc_client_flush(c, 1), 0);
	receive_answers(c, 0, 2, 0);
	struct oc_client_answer a[4];
	assert_int_equal(oc_client_receive(c, a, 4, 1), -EPROTO);
	assert_string_equal(oc_client_error(c), "server error shutdown: stopping?now");
	assert_int_equal(oc_client_inflight(c), 1);
	oc_client_close(c);
	peer_join(p);
}

/* The server answers two of three commands and closes: the two answers, then -ECONNRESET
 * (the 0-byte read), sticky for every call. */
static void test_client_against_scripted_server_that_closes(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_answers_then_close, NULL, 0);
	p->script_commands = 3;
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	queue_commands(c, 0, 3);
	assert_int_equal(oc_client_flush(c, 1), 0);
	receive_answers(c, 0, 2, 0);
	struct oc_client_answer a[4];
	assert_int_equal(oc_client_receive(c, a, 4, 1), -ECONNRESET);
	assert_string_equal(oc_client_error(c), "the server closed the connection");
	assert_int_equal(oc_client_receive(c, a, 4, 0), -ECONNRESET);
	struct oc_command cmd;
	command_of(3, &cmd);
	assert_int_equal(oc_client_queue(c, &cmd, 3), -ECONNRESET);
	assert_int_equal(oc_client_flush(c, 0), -ECONNRESET);
	assert_int_equal(oc_client_inflight(c), 1);
	oc_client_close(c);
	peer_join(p);
}

/* The server closes right after the welcome and the client only sends: a flush fails with
 * -EPIPE or -ECONNRESET once the close is known, and receive then reports the close. */
static void test_client_against_scripted_server_that_closes_while_sending(void **state)
{
	(void)state;
	struct peer *p = peer_start(script_close, NULL, 0);
	peer_run(p);
	struct oc_client *c = connect_to(p, 0);
	peer_join(p);
	int rc = 0;
	for (uint64_t i = 0; i < 200 && rc == 0; i++) {
		struct oc_command cmd;
		command_of(i, &cmd);
		assert_int_equal(oc_client_queue(c, &cmd, i), 0);
		rc = oc_client_flush(c, 1);
		if (rc == 0)
			usleep(5 * 1000); /* time for the server's reset to come back */
	}
	if (rc != -EPIPE && rc != -ECONNRESET)
		fail_msg("flush after the server's close: %d (%s)", rc, oc_client_error(c));
	struct oc_command cmd;
	command_of(0, &cmd);
	assert_int_equal(oc_client_queue(c, &cmd, 0), rc);
	struct oc_client_answer a[4];
	rc = oc_client_receive(c, a, 4, 1);
	if (rc != -ECONNRESET && rc != -EPIPE)
		fail_msg("receive after the server's close: %d (%s)", rc, oc_client_error(c));
	oc_client_close(c);
}

int main(void)
{
	alarm(TEST_ALARM_S);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_config_limits_need_no_server),
	    cmocka_unit_test(test_client_connection_refused),
	    cmocka_unit_test(test_client_against_scripted_server_handshake),
	    cmocka_unit_test(test_client_against_scripted_server_wrong_token),
	    cmocka_unit_test(test_client_against_scripted_server_that_never_welcomes),
	    cmocka_unit_test(test_client_against_scripted_server_with_a_bad_welcome),
	    cmocka_unit_test(test_client_against_scripted_server_pipelines_thousands),
	    cmocka_unit_test(test_client_against_scripted_server_pipelines_with_blocking_receive),
	    cmocka_unit_test(test_client_against_scripted_server_splitting_answers),
	    cmocka_unit_test(test_client_against_scripted_server_sending_malformed_frames),
	    cmocka_unit_test(test_client_against_scripted_server_with_rows),
	    cmocka_unit_test(test_client_against_scripted_server_inventory_administration),
	    cmocka_unit_test(test_client_against_scripted_server_exceptions_and_returns),
	    cmocka_unit_test(test_client_against_scripted_server_pack_quality_check),
	    cmocka_unit_test(test_client_against_scripted_server_screening),
	    cmocka_unit_test(test_client_against_scripted_server_short_picks),
	    cmocka_unit_test(test_client_against_scripted_server_credit),
	    cmocka_unit_test(test_client_against_scripted_server_documents),
	    cmocka_unit_test(test_client_against_scripted_server_error_after_answers),
	    cmocka_unit_test(test_client_against_scripted_server_that_closes),
	    cmocka_unit_test(test_client_against_scripted_server_that_closes_while_sending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
