/* fuzz_server.c: fuzz target for the gateway's accept path (engine/net/server.c over the
 * codec, engine/net/proto.c, and a running engine). It owns one in-memory engine (one worker
 * thread, on the tiny dataset of fuzz_util.h) and one server on it, made fresh every
 * INPUTS_PER_SERVER inputs so that the engine's tables never fill, and one connection per
 * input: one end of a socketpair handed to the server as if accepted (server_test.h).
 *
 * An input is CUTS cut bytes and then the byte stream a client sends: cut byte i puts a cut
 * at stream length x byte / 256, and the stream is written in the pieces between the cuts,
 * the server turned (one loop turn at a time, on this thread) until it has received each piece
 * before the next is written, so that frames and the hello arrive cut over several receives.
 * Then the client shuts its side, and the server is turned, the answers read as they come,
 * until it has closed the connection and has an answer (sent or dropped) for every command it
 * took, within INPUT_SECONDS_MAX (a hang is a failure). What it asserts, beyond "no crash, no
 * leak, no read out of bounds" (AddressSanitizer and UndefinedBehaviorSanitizer when built
 * so):
 *   - every byte that comes back is part of a whole frame of a type the server sends
 *     (welcome, answer, stats info, subscribed, event, error), and each decodes;
 *   - the first is a welcome or an error, and a welcome when the stream starts with a good
 *     hello (version 2, the token); an error frame is the last;
 *   - the answers (not rows) carry the correlations of the stream's command frames in their
 *     order, a row that of the command answered next; every command is answered unless an
 *     error frame came; a stream with a frame that does not check gets an error frame.
 * Built two ways (tests/CMakeLists.txt): with libFuzzer under clang, and with fuzz_driver.c,
 * which replays the corpus and mutants of it under ctest with any compiler. A machine where
 * the server cannot set up io_uring skips the target (exit 77). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_target.h"
#include "core/log.h"
#include "fuzz_util.h"
#include "net/server.h"
#include "net/server_test.h"
#include "ordercore/protocol.h"

#define TOKEN "fuzz-token"
/* Inputs one engine and server serve before they are made fresh. */
#define INPUTS_PER_SERVER 2048u
/* The cut bytes at the start of an input. */
#define CUTS 3u
/* Longest sleep of one server turn, ns: answers end it at once (the engine's eventfd). */
#define TURN_WAIT_NS 1000000u
/* Turns given to the server to receive one piece before the next is written (a server that
 * stalls on the engine's backpressure receives it later). */
#define PIECE_TURNS_MAX 64u
/* An input the server has not finished by then is a hang, s. */
#define INPUT_SECONDS_MAX 20.0
/* Command frames of one stream, at most: a stream of FUZZ_INPUT_BYTES_MAX bytes holds at most
 * that / OC_PROTO_HEADER_BYTES frames (libFuzzer's inputs may be longer: the rest is not
 * checked against the answers, see expect). */
#define COMMANDS_MAX (FUZZ_INPUT_BYTES_MAX / OC_PROTO_HEADER_BYTES)

static struct oc_engine *engine;
static struct oc_server *server;
static uint32_t inputs;

static void server_free(void)
{
	if (!server)
		return;
	oc_server_free(server);
	server = NULL;
	/* Every answer was polled (each input waits for its own), but for the engine's own. */
	struct oc_response r[64];
	int rc;
	while ((rc = oc_engine_stop(engine)) == -EBUSY)
		while (oc_engine_poll_burst(engine, r, 64) > 0)
			;
	FUZZ_ASSERT(rc == 0);
	oc_engine_free(engine);
	engine = NULL;
}

static void server_fresh(void)
{
	static char dataset[FUZZ_PATH_BYTES];
	server_free();
	if (!dataset[0]) {
		FUZZ_PRINT(dataset, "%s/dataset", fuzz_scratch());
		fuzz_dataset_write(dataset);
		oc_log_set_level(OC_LOG_WARN); /* not the connections' closes, nor the audit */
	}
	struct oc_config cfg;
	oc_config_init(&cfg);
	cfg.dataset_dir = dataset;
	cfg.threads = 1; /* every stage on one worker: a fuzzer's machine has few cores */
	cfg.inventory_threads = 1;
	cfg.shards = 2;
	cfg.inflight_max = 64;
	cfg.orders_max = 4 * INPUTS_PER_SERVER; /* a few orders an input, on average */
	cfg.pin_threads = 0;
	cfg.customer_index = 1;
	char err[512];
	FUZZ_ASSERT(oc_engine_create(&cfg, &engine, err, sizeof(err)) == 0);
	FUZZ_ASSERT(oc_engine_start(engine) == 0);
	struct oc_server_config sc = {.token = TOKEN, .token_bytes = strlen(TOKEN),
				      .connections_max = 4};
	int rc = oc_server_create(&sc, engine, 0, &server, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "fuzz_server: skipped: %s\n", err);
		exit(77);
	}
}

/* What the client expects, from the stream it sends. */
struct expect {
	bool welcome;   /* the stream starts with a good hello */
	bool error;     /* a frame does not check: an error frame must come */
	uint32_t commands;
	uint64_t correlation[COMMANDS_MAX]; /* the command frames', in order */
};

static void expect(const uint8_t *p, size_t n, struct expect *x)
{
	memset(x, 0, sizeof(*x));
	for (size_t at = 0, frames = 0; at < n; frames++) {
		struct oc_proto_header h;
		int m = oc_proto_frame_check(p + at, n - at, &h);
		x->error = m < 0;
		if (m <= 0)
			return;
		if (frames == 0) {
			struct oc_proto_hello hello;
			x->welcome = h.type == OC_MSG_HELLO && oc_proto_decode_hello(p, &hello) == 0 &&
				     hello.version == OC_PROTO_VERSION &&
				     hello.token_bytes == strlen(TOKEN) &&
				     memcmp(hello.token, TOKEN, strlen(TOKEN)) == 0;
		} else if (h.type != OC_MSG_STATS && h.type != OC_MSG_SUBSCRIBE &&
			   x->commands < COMMANDS_MAX) {
			/* A frame of a type the server does not take is refused with an error;
			 * until then, this is the order the answers must come in. */
			x->correlation[x->commands++] = h.correlation;
		}
		at += (size_t)m;
	}
}

/* What the client received so far. */
struct got {
	uint8_t buf[64 << 10]; /* bytes not yet a whole frame, at most a frame's */
	size_t len;
	uint32_t frames, answers;
	bool welcome, error, eof;
};

static void got_frame(struct got *g, const struct expect *x, const uint8_t *f,
		      const struct oc_proto_header *h)
{
	FUZZ_ASSERT(!g->error); /* an error frame is the last */
	FUZZ_ASSERT(g->frames > 0 || h->type == OC_MSG_WELCOME || h->type == OC_MSG_ERROR);
	FUZZ_ASSERT(h->type != OC_MSG_WELCOME || g->frames == 0);
	g->frames++;
	struct oc_response r;
	struct oc_proto_welcome w;
	struct oc_proto_stats st;
	struct oc_proto_error_body e;
	uint64_t u64;
	switch (h->type) {
	case OC_MSG_WELCOME:
		FUZZ_ASSERT(oc_proto_decode_welcome(f, &w) == 0 && w.version == OC_PROTO_VERSION);
		g->welcome = true;
		break;
	case OC_MSG_ANSWER:
		FUZZ_ASSERT(oc_proto_decode_answer(f, &r) == 0);
		FUZZ_ASSERT(g->answers < x->commands || x->commands == COMMANDS_MAX);
		if (g->answers < x->commands)
			FUZZ_ASSERT(h->correlation == x->correlation[g->answers]);
		if (!(r.flags & OC_RESPONSE_ROW))
			g->answers++;
		break;
	case OC_MSG_EVENT:
		FUZZ_ASSERT(oc_proto_decode_event(f, &r) == 0);
		break;
	case OC_MSG_STATS_INFO:
		FUZZ_ASSERT(oc_proto_decode_stats_info(f, &st) == 0);
		break;
	case OC_MSG_SUBSCRIBED:
		FUZZ_ASSERT(oc_proto_decode_subscribed(f, &u64) == 0);
		break;
	case OC_MSG_ERROR:
		FUZZ_ASSERT(oc_proto_decode_error(f, &e) == 0);
		FUZZ_ASSERT(e.code > OC_PERR_NONE && e.code < OC_PERR_COUNT);
		g->error = true;
		break;
	default:
		FUZZ_ASSERT(!"a frame of a type the server does not send");
	}
}

/* Reads what the server sent to fd (non-blocking) and checks each whole frame. */
static void client_read(int fd, struct got *g, const struct expect *x)
{
	while (!g->eof) {
		ssize_t n = recv(fd, g->buf + g->len, sizeof(g->buf) - g->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* A peer that closed with input unread reports a reset after its last bytes. */
		FUZZ_ASSERT(n >= 0 || errno == ECONNRESET);
		if (n <= 0) {
			g->eof = true;
			break;
		}
		g->len += (size_t)n;
		size_t at = 0;
		for (;;) {
			struct oc_proto_header h;
			int m = oc_proto_frame_check(g->buf + at, g->len - at, &h);
			FUZZ_ASSERT(m >= 0); /* the server sends only frames that check */
			if (m == 0)
				break;
			got_frame(g, x, g->buf + at, &h);
			at += (size_t)m;
		}
		memmove(g->buf, g->buf + at, g->len - at);
		g->len -= at;
	}
	FUZZ_ASSERT(g->len == 0); /* no frame cut by the close */
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void turn(void) { FUZZ_ASSERT(oc_server_test_turn(server, TURN_WAIT_NS) == 0); }

/* The server took every command this input sent and has answered each (sent or dropped). */
static bool settled(void)
{
	struct oc_server_stats st;
	oc_server_stats(server, &st);
	return st.commands == st.answers + st.dropped_answers;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < CUTS)
		return 0;
	if (inputs++ % INPUTS_PER_SERVER == 0)
		server_fresh();
	const uint8_t *stream = data + CUTS;
	size_t n = size - CUTS, cut[CUTS + 1];
	for (uint32_t i = 0; i < CUTS; i++)
		cut[i] = n * data[i] / 256;
	cut[CUTS] = n;
	static struct expect x;
	static struct got g;
	expect(stream, n, &x);
	g = (struct got){0};
	int sv[2];
	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	FUZZ_ASSERT(oc_server_test_adopt(server, sv[1]) == 0);
	size_t from = 0;
	for (uint32_t i = 0; i <= CUTS && !g.eof; i++) {
		size_t to = cut[i] > from ? cut[i] : from;
		struct oc_server_stats st, now;
		oc_server_stats(server, &st);
		bool sent = false;
		while (from < to) { /* the peer may have closed: the rest is not sent */
			ssize_t w = send(sv[0], stream + from, to - from, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w <= 0) {
				FUZZ_ASSERT(errno == EPIPE || errno == ECONNRESET || errno == EAGAIN);
				break;
			}
			from += (size_t)w;
			sent = true;
		}
		from = to;
		for (uint32_t t = 0; sent && t < PIECE_TURNS_MAX; t++) {
			turn();
			client_read(sv[0], &g, &x);
			oc_server_stats(server, &now);
			if (now.recvs > st.recvs || now.closed > st.closed || g.eof)
				break;
		}
	}
	shutdown(sv[0], SHUT_WR);
	double deadline = now_s() + INPUT_SECONDS_MAX;
	while (!g.eof || !settled()) {
		FUZZ_ASSERT(now_s() < deadline); /* the server hangs */
		turn();
		client_read(sv[0], &g, &x);
	}
	close(sv[0]);
	FUZZ_ASSERT(!x.welcome || g.welcome);
	FUZZ_ASSERT(!x.error || g.error);
	FUZZ_ASSERT(g.error || g.answers == x.commands || x.commands == COMMANDS_MAX);
	return 0;
}

const char fuzz_name[] = "fuzz_server";

/* Appends a seed frame; one that cannot be encoded is a bug of this file. */
#define SEED(encoded) \
	do { \
		size_t m_ = (encoded); \
		if (m_ == 0) \
			return 0; \
		n += m_; \
		(*count)++; \
	} while (0)

/* The seed: cuts at a quarter, half and three quarters, then a session: the hello with the
 * token, a subscription to every event, a stats request, and a command of every type on the
 * dataset's SKUs, each step of an order's life in order. */
size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	size_t n = 0;
	*count = 0;
	if (cap < CUTS)
		return 0;
	out[n++] = 64;
	out[n++] = 128;
	out[n++] = 192;
	SEED(oc_proto_encode_hello(out + n, cap - n, 1, TOKEN, strlen(TOKEN)));
	SEED(oc_proto_encode_subscribe(out + n, cap - n, 2, OC_EVENT_ALL));
	SEED(oc_proto_encode_stats(out + n, cap - n, 3));
	struct oc_command place = {.type = OC_CMD_PLACE, .line_count = 2, .key = 9, .customer = 4,
				   .lines = {{100003, 2, 0}, {100004, 1, 0}}};
	struct oc_command card = place;
	card.key = 10;
	card.flags = OC_PLACE_CARD;
	struct oc_command screened = place;
	screened.key = 11;
	screened.flags = OC_PLACE_SCREEN;
	screened.screen = (struct oc_screen){.email_hash = 0x1234567890abcdefull, .card_hash = 7,
					     .bill_country = {'U', 'S'}, .ship_country = {'U', 'S'},
					     .account_age_days = 400, .postal_code = "94105"};
	struct oc_command replacement = place;
	replacement.key = 13;
	replacement.flags = OC_PLACE_REPLACEMENT;
	replacement.order_key = 9;
	const struct oc_command cmds[] = {
		place,
		card,
		{.type = OC_CMD_PAYMENT_AUTHORIZED, .key = 10, .customer = 4},
		screened,
		{.type = OC_CMD_REVIEW_APPROVE, .key = 11, .customer = 4},
		{.type = OC_CMD_PICK_CONFIRMED, .key = 9, .customer = 4},
		{.type = OC_CMD_PACK_CONFIRMED, .key = 9, .customer = 4},
		{.type = OC_CMD_SHIPPED, .key = 9, .customer = 4},
		{.type = OC_CMD_DELIVERED, .key = 9, .customer = 4},
		{.type = OC_CMD_QUERY_HISTORY, .key = 9},
		{.type = OC_CMD_REFUND, .key = 14, .customer = 4, .order_key = 9,
		 .amount_cents = 100},
		{.type = OC_CMD_RETURN_REQUESTED, .line_count = 1, .key = 12, .customer = 4,
		 .flags = OC_RETURN_DAMAGED, .order_key = 9, .lines = {{100003, 1, 0}}},
		{.type = OC_CMD_RETURN_RECEIVED, .key = 12, .customer = 4,
		 .flags = OC_RETURN_RESTOCK},
		replacement,
		{.type = OC_CMD_PICK_SHORT, .line_count = 1, .key = 15, .customer = 4, .region = 0,
		 .order_key = 10, .lines = {{100003, 1, 0}}},
		{.type = OC_CMD_CANCEL, .key = 10, .customer = 4},
		{.type = OC_CMD_QUERY_ORDER, .key = 9},
		{.type = OC_CMD_QUERY_STOCK, .line_count = 1, .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_QUERY_STOCK_AT, .line_count = 1, .region = 1,
		 .lines = {{100002, 0, 0}}},
		{.type = OC_CMD_RESTOCK, .line_count = 1, .region = 1, .key = 16, .customer = 5,
		 .lines = {{100001, 50, 0}}},
		{.type = OC_CMD_WRITE_OFF, .line_count = 1, .region = 1, .key = 17, .customer = 5,
		 .lines = {{100001, 5, 0}}},
		{.type = OC_CMD_ADJUST_STOCK, .line_count = 1, .region = 1, .key = 18,
		 .customer = 5, .lines = {{100001, 40, 0}}, .expected_units = 45},
		{.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1, .customer = 5,
		 .lines = {{100002, 1, 0}}},
		{.type = OC_CMD_QUERY_RECONCILE, .line_count = 1, .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_BLOCK, .customer = 5, .flags = OC_BLOCK_CARD, .order_key = 7},
		{.type = OC_CMD_QUERY_CUSTOMER, .customer = 4},
		{.type = OC_CMD_QUERY_COUNTERS},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		SEED(oc_proto_encode_command(out + n, cap - n, 100 + i, &cmds[i]));
	return n;
}
