/* fuzz_proto.c: fuzz target for the wire protocol's codec (engine/net/proto.c). The input is
 * a byte stream as a server would receive it; the target cuts it into frames the way a
 * connection does (oc_proto_frame_check at each frame start, stopping at the first error or
 * incomplete frame) and decodes every frame. What it asserts, beyond "no crash, no read out
 * of bounds" (AddressSanitizer, when built with clang -fsanitize=fuzzer,address):
 *   - a frame that checks is within [16, OC_PROTO_FRAME_BYTES_MAX] and within the input;
 *   - a frame never checks differently with more bytes after it;
 *   - a cancel, fulfilment, payment (a payment received, 52, included) or review step,
 *     delivery exception, return received, pack with flags (46; so a 46 without flags must
 *     not decode: it would re-encode as a 26), query (the history, customer and counters
 *     queries included), stock change, refund, block list change, subscription, event, answer,
 *     welcome or error frame that decodes re-encodes to the same bytes; a place, an RMA, a
 *     replacement place, a screened place or a short pick of 1..16 lines likewise (so a
 *     place frame must not decode with a flag whose fields it has no room for, nor a
 *     screened place with bytes after its postal code's NUL, nor an RMA with a warehouse or
 *     a short pick with a reason);
 *   - an event reads as the answer it carries (an event's body is an answer's), and an
 *     answer's or event's kind (oc_proto_event_kind) is none or one kind, a row's
 *     documents when it is a document and none otherwise;
 *   - a request of a fixed body length is also read as every other request type of that
 *     length (a restock's 32 bytes as a write-off's and a refund's, a cancel's 16 as each
 *     step's, review's and payment received's, a customer query's and a reconciliation's, a
 *     query's 8 as a history query's and a counters query's, a delivery exception's 24 as a
 *     return received's, a pack with flags' and a block list change's...)
 *     and as one type of another fixed length, chosen by the frame's bytes, its body cut or
 *     extended by repeating its bytes (a restock's as a cycle count's 40 or a safety stock's
 *     24), with the same checks: every type is fuzzed whichever seeds there are;
 *   - a frame with lines (a place, an RMA, a replacement place, a screened place, a short
 *     pick) is also read as each other such type, its fixed part cut or extended and the same
 *     lines after it.
 * Built two ways (tests/CMakeLists.txt): with libFuzzer under clang, and with fuzz_driver.c,
 * which replays mutated seed frames under ctest with any compiler. */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "ordercore/protocol.h"

#define FUZZ_ASSERT(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

static void same_again(const uint8_t *f, size_t n, size_t (*encode)(uint8_t *, size_t))
{
	uint8_t out[OC_PROTO_FRAME_BYTES_MAX];
	size_t m = encode(out, sizeof(out));
	FUZZ_ASSERT(m == n && memcmp(out, f, n) == 0);
}

/* Whatever an answer's bytes, its event kind is none or one kind; a row is an event only as
 * a document, and a document row always is one. */
static void event_kind_valid(const struct oc_response *r)
{
	uint32_t kind = oc_proto_event_kind(r);
	FUZZ_ASSERT((kind & (kind - 1)) == 0 && (kind & ~(uint32_t)OC_EVENT_ALL) == 0);
	if (r->flags & OC_RESPONSE_ROW)
		FUZZ_ASSERT(kind == ((r->flags & OC_RESPONSE_DOCUMENT) ? OC_EVENT_DOCUMENTS : 0));
}

static const uint8_t *g_frame;
static uint64_t g_corr;
static struct oc_command g_cmd;
static struct oc_response g_answer;
static struct oc_proto_welcome g_welcome;
static struct oc_proto_error_body g_error;
static struct oc_proto_stats g_stats;
static uint32_t g_kinds;
static uint64_t g_u64;
static struct oc_response g_other;

static size_t enc_command(uint8_t *b, size_t cap) { return oc_proto_encode_command(b, cap, g_corr, &g_cmd); }
static size_t enc_answer(uint8_t *b, size_t cap) { return oc_proto_encode_answer(b, cap, g_corr, &g_answer); }
static size_t enc_welcome(uint8_t *b, size_t cap) { return oc_proto_encode_welcome(b, cap, g_corr, &g_welcome); }
static size_t enc_stats_info(uint8_t *b, size_t cap)
{
	return oc_proto_encode_stats_info(b, cap, g_corr, &g_stats);
}
static size_t enc_subscribe(uint8_t *b, size_t cap)
{
	return oc_proto_encode_subscribe(b, cap, g_corr, g_kinds);
}
static size_t enc_subscribed(uint8_t *b, size_t cap)
{
	return oc_proto_encode_subscribed(b, cap, g_corr, g_u64);
}
static size_t enc_event(uint8_t *b, size_t cap)
{
	return oc_proto_encode_event(b, cap, g_corr, &g_answer);
}
static size_t enc_error(uint8_t *b, size_t cap)
{
	return oc_proto_encode_error(b, cap, g_corr, (enum oc_proto_error)g_error.code, g_error.message);
}

static void one_frame(const uint8_t *f, size_t n, const struct oc_proto_header *h)
{
	g_frame = f;
	g_corr = h->correlation;
	struct oc_proto_hello hello;
	switch (h->type) {
	case OC_MSG_HELLO:
		if (oc_proto_decode_hello(f, &hello) == 0)
			FUZZ_ASSERT(hello.token_bytes <= OC_PROTO_TOKEN_BYTES_MAX);
		break;
	case OC_MSG_WELCOME:
		if (oc_proto_decode_welcome(f, &g_welcome) == 0)
			same_again(f, n, enc_welcome);
		break;
	case OC_MSG_PLACE:
	case OC_MSG_CANCEL:
	case OC_MSG_QUERY_ORDER:
	case OC_MSG_QUERY_ORDER_SEQ:
	case OC_MSG_QUERY_STOCK:
	case OC_MSG_RESTOCK:
	case OC_MSG_WRITE_OFF:
	case OC_MSG_PICK_CONFIRMED:
	case OC_MSG_PACK_CONFIRMED:
	case OC_MSG_SHIPPED:
	case OC_MSG_DELIVERED:
	case OC_MSG_QUERY_STOCK_AT:
	case OC_MSG_PAYMENT_AUTHORIZED:
	case OC_MSG_PAYMENT_DECLINED:
	case OC_MSG_REFUND:
	case OC_MSG_QUERY_HISTORY:
	case OC_MSG_QUERY_CUSTOMER:
	case OC_MSG_ADJUST_STOCK:
	case OC_MSG_SET_SAFETY_STOCK:
	case OC_MSG_QUERY_RECONCILE:
	case OC_MSG_DELIVERY_EXCEPTION:
	case OC_MSG_RETURN_REQUESTED:
	case OC_MSG_RETURN_RECEIVED:
	case OC_MSG_PLACE_REPLACEMENT:
	case OC_MSG_PACK_CHECKED:
	case OC_MSG_PLACE_SCREENED:
	case OC_MSG_REVIEW_APPROVE:
	case OC_MSG_REVIEW_REJECT:
	case OC_MSG_BLOCK:
	case OC_MSG_PICK_SHORT:
	case OC_MSG_PAYMENT_RECEIVED:
	case OC_MSG_QUERY_COUNTERS:
		if (oc_proto_decode_command(f, &g_cmd) == 0 && oc_proto_command_bytes(&g_cmd))
			same_again(f, n, enc_command);
		break;
	case OC_MSG_STATS:
		break; /* no body */
	case OC_MSG_SUBSCRIBE:
		if (oc_proto_decode_subscribe(f, &g_kinds) == 0)
			same_again(f, n, enc_subscribe);
		break;
	case OC_MSG_SUBSCRIBED:
		if (oc_proto_decode_subscribed(f, &g_u64) == 0)
			same_again(f, n, enc_subscribed);
		break;
	case OC_MSG_EVENT:
		FUZZ_ASSERT(oc_proto_decode_event(f, &g_answer) == 0 &&
			    oc_proto_decode_answer(f, &g_other) == 0 &&
			    memcmp(&g_answer, &g_other, sizeof(g_other)) == 0);
		event_kind_valid(&g_answer);
		same_again(f, n, enc_event);
		break;
	case OC_MSG_STATS_INFO:
		if (oc_proto_decode_stats_info(f, &g_stats) == 0)
			same_again(f, n, enc_stats_info);
		break;
	case OC_MSG_ANSWER:
		FUZZ_ASSERT(oc_proto_decode_answer(f, &g_answer) == 0);
		event_kind_valid(&g_answer);
		same_again(f, n, enc_answer);
		break;
	case OC_MSG_ERROR:
		/* A message with a NUL inside does not survive the C string: skip those. */
		if (oc_proto_decode_error(f, &g_error) == 0 &&
		    strlen(g_error.message) == g_error.message_bytes)
			same_again(f, n, enc_error);
		break;
	default:
		FUZZ_ASSERT(0); /* frame_check lets no other type through */
	}
}

/* The requests whose body length the type fixes (all but place, hello, stats), with it. */
static const struct {
	uint8_t type;
	uint8_t body_bytes;
} fixed_requests[] = {
	{OC_MSG_CANCEL, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_QUERY_ORDER, OC_PROTO_QUERY_BODY_BYTES},
	{OC_MSG_QUERY_ORDER_SEQ, OC_PROTO_QUERY_BODY_BYTES},
	{OC_MSG_QUERY_STOCK, OC_PROTO_QUERY_BODY_BYTES},
	{OC_MSG_RESTOCK, OC_PROTO_STOCK_CHANGE_BODY_BYTES},
	{OC_MSG_WRITE_OFF, OC_PROTO_STOCK_CHANGE_BODY_BYTES},
	{OC_MSG_SUBSCRIBE, OC_PROTO_SUBSCRIBE_BODY_BYTES},
	{OC_MSG_PICK_CONFIRMED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_PACK_CONFIRMED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_SHIPPED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_DELIVERED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_QUERY_STOCK_AT, OC_PROTO_QUERY_AT_BODY_BYTES},
	{OC_MSG_PAYMENT_AUTHORIZED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_PAYMENT_DECLINED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_REFUND, OC_PROTO_REFUND_BODY_BYTES},
	{OC_MSG_QUERY_HISTORY, OC_PROTO_QUERY_BODY_BYTES},
	{OC_MSG_QUERY_CUSTOMER, OC_PROTO_QUERY_CUSTOMER_BODY_BYTES},
	{OC_MSG_ADJUST_STOCK, OC_PROTO_ADJUST_BODY_BYTES},
	{OC_MSG_SET_SAFETY_STOCK, OC_PROTO_SAFETY_BODY_BYTES},
	{OC_MSG_QUERY_RECONCILE, OC_PROTO_QUERY_RECONCILE_BODY_BYTES},
	{OC_MSG_DELIVERY_EXCEPTION, OC_PROTO_FLAGGED_STEP_BODY_BYTES},
	{OC_MSG_RETURN_RECEIVED, OC_PROTO_FLAGGED_STEP_BODY_BYTES},
	{OC_MSG_PACK_CHECKED, OC_PROTO_FLAGGED_STEP_BODY_BYTES},
	{OC_MSG_REVIEW_APPROVE, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_REVIEW_REJECT, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_BLOCK, OC_PROTO_BLOCK_BODY_BYTES},
	{OC_MSG_PAYMENT_RECEIVED, OC_PROTO_CANCEL_BODY_BYTES},
	{OC_MSG_QUERY_COUNTERS, OC_PROTO_QUERY_COUNTERS_BODY_BYTES},
};

/* The requests with lines after a fixed part, with its length and the line count's offset. */
static const struct {
	uint8_t type, fixed_bytes, count_at;
} lined_requests[] = {
	{OC_MSG_PLACE, OC_PROTO_PLACE_BODY_BYTES, 18},
	{OC_MSG_RETURN_REQUESTED, OC_PROTO_RMA_BODY_BYTES, 25},
	{OC_MSG_PLACE_REPLACEMENT, OC_PROTO_REPLACEMENT_BODY_BYTES, 18},
	{OC_MSG_PLACE_SCREENED, OC_PROTO_SCREENED_BODY_BYTES, 18},
	{OC_MSG_PICK_SHORT, OC_PROTO_PICK_SHORT_BODY_BYTES, 25},
};

/* Reads the frame of a fixed-length request again as each other such type of its length, and
 * as one type of another length (chosen by the frame's bytes, so that an input always does
 * the same), its body cut to that type's length or extended by repeating its bytes: a type
 * no seed has the length of (a cycle count's 40 bytes, a safety stock's 24) is fuzzed from
 * the others. All of them at every frame would cost four times the run. A fixed-length body
 * with a good header always checks. */
static void as_other_requests(const uint8_t *f, size_t n, const struct oc_proto_header *h)
{
	size_t count = sizeof(fixed_requests) / sizeof(fixed_requests[0]), i;
	for (i = 0; i < count && fixed_requests[i].type != h->type; i++)
		;
	if (i == count)
		return;
	size_t body = n - OC_PROTO_HEADER_BYTES;
	FUZZ_ASSERT(body == fixed_requests[i].body_bytes && body > 0);
	uint32_t sum = 0;
	for (size_t k = 0; k < n; k++)
		sum += f[k];
	size_t other = sum % count; /* the one of another length, if its length is another */
	uint8_t copy[OC_PROTO_FRAME_BYTES_MAX];
	memcpy(copy, f, OC_PROTO_HEADER_BYTES);
	for (i = 0; i < count; i++) {
		if (fixed_requests[i].type == h->type ||
		    (fixed_requests[i].body_bytes != body && i != other))
			continue;
		size_t m = OC_PROTO_HEADER_BYTES + fixed_requests[i].body_bytes;
		uint32_t m_le = htole32((uint32_t)m);
		memcpy(copy, &m_le, 4);
		copy[5] = fixed_requests[i].type;
		for (size_t k = 0; k < fixed_requests[i].body_bytes; k++)
			copy[OC_PROTO_HEADER_BYTES + k] = f[OC_PROTO_HEADER_BYTES + k % body];
		struct oc_proto_header h2;
		FUZZ_ASSERT(oc_proto_frame_check(copy, m, &h2) == (int)m);
		one_frame(copy, m, &h2);
	}
}

/* Reads a frame with lines again as each other type with lines: its fixed part cut to that
 * type's or extended by repeating its bytes, the line count put where that type has it, the
 * same lines after it (and the replacement and screen flags set in a replacement's and a
 * screened place's flags as their type says, cleared otherwise, an RMA's warehouse bytes and
 * a short pick's reason byte cleared, so that most of them decode: a frame whose flags
 * disagree with its type, or with those bytes set, is refused, which the mutations reach
 * anyway). A frame that is too long once extended is skipped. */
static void as_other_lined(const uint8_t *f, size_t n, const struct oc_proto_header *h)
{
	size_t count = sizeof(lined_requests) / sizeof(lined_requests[0]), i;
	for (i = 0; i < count && lined_requests[i].type != h->type; i++)
		;
	if (i == count)
		return;
	const uint8_t *body = f + OC_PROTO_HEADER_BYTES;
	size_t fixed = lined_requests[i].fixed_bytes, lines = n - OC_PROTO_HEADER_BYTES - fixed;
	uint8_t line_count = body[lined_requests[i].count_at];
	uint8_t copy[OC_PROTO_FRAME_BYTES_MAX];
	memcpy(copy, f, OC_PROTO_HEADER_BYTES);
	for (size_t t = 0; t < count; t++) {
		size_t m = OC_PROTO_HEADER_BYTES + lined_requests[t].fixed_bytes + lines;
		if (t == i || m > OC_PROTO_FRAME_BYTES_MAX)
			continue;
		uint32_t m_le = htole32((uint32_t)m);
		memcpy(copy, &m_le, 4);
		copy[5] = lined_requests[t].type;
		uint8_t *to = copy + OC_PROTO_HEADER_BYTES;
		for (size_t k = 0; k < lined_requests[t].fixed_bytes; k++)
			to[k] = body[k % fixed];
		to[lined_requests[t].count_at] = line_count;
		if (lined_requests[t].type == OC_MSG_RETURN_REQUESTED) {
			to[26] = to[27] = 0; /* a short pick's warehouse */
		} else if (lined_requests[t].type == OC_MSG_PICK_SHORT) {
			to[24] = 0; /* an RMA's reason */
		} else { /* a place's flags */
			to[20] &= (uint8_t)~(OC_PLACE_REPLACEMENT | OC_PLACE_SCREEN);
			if (lined_requests[t].type == OC_MSG_PLACE_REPLACEMENT)
				to[20] |= (uint8_t)OC_PLACE_REPLACEMENT;
			else if (lined_requests[t].type == OC_MSG_PLACE_SCREENED)
				to[20] |= (uint8_t)OC_PLACE_SCREEN;
		}
		memcpy(to + lined_requests[t].fixed_bytes, body + fixed, lines);
		struct oc_proto_header h2;
		FUZZ_ASSERT(oc_proto_frame_check(copy, m, &h2) == (int)m);
		one_frame(copy, m, &h2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0;
	while (at < size) {
		struct oc_proto_header h;
		int n = oc_proto_frame_check(data + at, size - at, &h);
		if (n <= 0)
			break;
		FUZZ_ASSERT(n >= (int)OC_PROTO_HEADER_BYTES && n <= (int)OC_PROTO_FRAME_BYTES_MAX &&
			    (size_t)n <= size - at);
		/* Exactly the frame's bytes give the same verdict. */
		struct oc_proto_header h2;
		FUZZ_ASSERT(oc_proto_frame_check(data + at, (size_t)n, &h2) == n);
		one_frame(data + at, (size_t)n, &h);
		as_other_requests(data + at, (size_t)n, &h);
		as_other_lined(data + at, (size_t)n, &h);
		at += (size_t)n;
	}
	return 0;
}

/* Appends a seed frame; one that cannot be encoded is a bug of this file. */
#define SEED(encoded) \
	do { \
		size_t m_ = (encoded); \
		if (m_ == 0) \
			return 0; \
		n += m_; \
	} while (0)

static size_t seed_frames(uint8_t *out, size_t cap)
{
	size_t n = 0;
	struct oc_command place = {.type = OC_CMD_PLACE, .line_count = 3, .key = 9, .customer = 4};
	for (int i = 0; i < 3; i++)
		place.lines[i] = (struct oc_line){100001 + (uint64_t)i, 2, 0};
	struct oc_command cancel = {.type = OC_CMD_CANCEL, .key = 9, .customer = 4};
	struct oc_response r = {.seq = 1, .key = 9, .original_seq = 1, .customer = 4,
				.ts_ms = 1795000000000ull, .type = 1, .status = 1};
	struct oc_proto_welcome w = {1, OC_PROTO_FRAME_BYTES_MAX, 77};
	SEED(oc_proto_encode_hello(out + n, cap - n, 1, "token", 5));
	SEED(oc_proto_encode_command(out + n, cap - n, 2, &place));
	SEED(oc_proto_encode_command(out + n, cap - n, 3, &cancel));
	struct oc_command stock = {.type = OC_CMD_QUERY_STOCK, .line_count = 1,
				   .lines = {{100002, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 7, &stock));
	struct oc_command restock = {.type = OC_CMD_RESTOCK, .line_count = 1, .region = 2,
				     .key = 10, .customer = 5, .lines = {{100003, 50, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 8, &restock));
	struct oc_command shipped = {.type = OC_CMD_SHIPPED, .key = 9, .customer = 4};
	SEED(oc_proto_encode_command(out + n, cap - n, 12, &shipped));
	struct oc_command stock_at = {.type = OC_CMD_QUERY_STOCK_AT, .line_count = 1, .region = 1,
				      .lines = {{100002, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 13, &stock_at));
	SEED(oc_proto_encode_subscribe(out + n, cap - n, 9, OC_EVENT_ALL));
	SEED(oc_proto_encode_subscribed(out + n, cap - n, 10, 77));
	struct oc_command history = {.type = OC_CMD_QUERY_HISTORY, .key = 9};
	SEED(oc_proto_encode_command(out + n, cap - n, 14, &history));
	struct oc_command page = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 4, .order_key = 9};
	SEED(oc_proto_encode_command(out + n, cap - n, 15, &page));
	/* Inventory administration (39-41), exceptions and returns (42-45), the pack's quality
	 * check (46). */
	struct oc_command adjust = {.type = OC_CMD_ADJUST_STOCK, .line_count = 1, .region = 1,
				    .key = 11, .customer = 5, .lines = {{100003, 48, 0}},
				    .expected_units = 50};
	SEED(oc_proto_encode_command(out + n, cap - n, 16, &adjust));
	struct oc_command safety = {.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1,
				    .customer = 5, .lines = {{100003, 4, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 17, &safety));
	struct oc_command recon = {.type = OC_CMD_QUERY_RECONCILE, .line_count = 1, .region = 1,
				   .lines = {{100003, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 18, &recon));
	struct oc_command exception = {.type = OC_CMD_DELIVERY_EXCEPTION, .key = 9, .customer = 4,
				       .flags = OC_EXCEPTION_LOST};
	SEED(oc_proto_encode_command(out + n, cap - n, 19, &exception));
	struct oc_command rma = {.type = OC_CMD_RETURN_REQUESTED, .line_count = 2, .key = 12,
				 .customer = 4, .flags = OC_RETURN_DAMAGED, .order_key = 9,
				 .lines = {{100001, 1, 0}, {100002, 2, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 20, &rma));
	struct oc_command received = {.type = OC_CMD_RETURN_RECEIVED, .key = 12, .customer = 4,
				      .flags = OC_RETURN_RESTOCK};
	SEED(oc_proto_encode_command(out + n, cap - n, 21, &received));
	struct oc_command replacement = place;
	replacement.key = 13;
	replacement.line_count = 2;
	replacement.flags = OC_PLACE_REPLACEMENT;
	replacement.order_key = 9;
	SEED(oc_proto_encode_command(out + n, cap - n, 22, &replacement));
	/* A pack whose quality check failed (46). */
	struct oc_command qc_failed = {.type = OC_CMD_PACK_CONFIRMED, .key = 9, .customer = 4,
				       .flags = OC_PACK_QC_FAILED};
	SEED(oc_proto_encode_command(out + n, cap - n, 23, &qc_failed));
	/* The fraud screening (47-50): a screened card place, a review's approval and
	 * rejection, a block list change. */
	struct oc_command screened = place;
	screened.key = 14;
	screened.flags = OC_PLACE_SCREEN | OC_PLACE_CARD;
	screened.screen = (struct oc_screen){.email_hash = 0x1234567890abcdefull,
					     .card_hash = 7, .address_hash = 1ull << 63,
					     .bill_country = {'G', 'B'}, .ship_country = {'U', 'S'},
					     .account_age_days = 400, .postal_code = "SW1A 1AA"};
	SEED(oc_proto_encode_command(out + n, cap - n, 24, &screened));
	struct oc_command approve = {.type = OC_CMD_REVIEW_APPROVE, .key = 14, .customer = 4};
	SEED(oc_proto_encode_command(out + n, cap - n, 25, &approve));
	struct oc_command reject = {.type = OC_CMD_REVIEW_REJECT, .key = 14, .customer = 4};
	SEED(oc_proto_encode_command(out + n, cap - n, 26, &reject));
	struct oc_command block = {.type = OC_CMD_BLOCK, .customer = 5,
				   .flags = OC_BLOCK_EMAIL | OC_BLOCK_REMOVE,
				   .order_key = 0x1234567890abcdefull};
	SEED(oc_proto_encode_command(out + n, cap - n, 27, &block));
	/* A short pick (51) of two lines at warehouse 1. */
	struct oc_command short_pick = {.type = OC_CMD_PICK_SHORT, .line_count = 2, .region = 1,
					.key = 15, .customer = 4, .order_key = 9,
					.lines = {{100001, 1, 0}, {100002, 2, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 28, &short_pick));
	/* B2B credit: a place on account, its payment received (52). */
	struct oc_command account = place;
	account.key = 16;
	account.flags = OC_PLACE_ACCOUNT;
	SEED(oc_proto_encode_command(out + n, cap - n, 29, &account));
	struct oc_command received_payment = {.type = OC_CMD_PAYMENT_RECEIVED, .key = 16,
					      .customer = 4};
	SEED(oc_proto_encode_command(out + n, cap - n, 30, &received_payment));
	struct oc_command counters = {.type = OC_CMD_QUERY_COUNTERS, .region = 32};
	SEED(oc_proto_encode_command(out + n, cap - n, 31, &counters));
	/* Carriers: a place asking for 3 days in transit from a store, a screened one for 1. */
	struct oc_command days = place;
	days.key = 17;
	days.flags = OC_PLACE_DAYS(3) | OC_PLACE_CHANNEL(OC_CHANNEL_STORE);
	SEED(oc_proto_encode_command(out + n, cap - n, 31, &days));
	struct oc_command screened_days = screened;
	screened_days.key = 18;
	screened_days.flags = OC_PLACE_SCREEN | OC_PLACE_DAYS(1);
	SEED(oc_proto_encode_command(out + n, cap - n, 32, &screened_days));
	SEED(oc_proto_encode_event(out + n, cap - n, 11, &r));
	SEED(oc_proto_encode_answer(out + n, cap - n, 4, &r));
	struct oc_response row = r;
	row.flags = OC_RESPONSE_ROW;
	SEED(oc_proto_encode_answer(out + n, cap - n, 14, &row));
	/* A pack's label as a row to its sender and as a documents event. */
	struct oc_response label = {.seq = 2, .key = 9, .original_seq = 0x0123456789abcdefull,
				    .customer = 4, .type = OC_CMD_PACK_CONFIRMED, .status = 1,
				    .flags = OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT,
				    .shipments = OC_DOC_LABEL, .warehouse = 3, .amount_cents = 845,
				    .refunded_cents = OC_LABEL_PACK(1234, 2, 4, 2)};
	SEED(oc_proto_encode_answer(out + n, cap - n, 33, &label));
	SEED(oc_proto_encode_event(out + n, cap - n, 9, &label));
	SEED(oc_proto_encode_welcome(out + n, cap - n, 5, &w));
	SEED(oc_proto_encode_error(out + n, cap - n, 6, OC_PERR_TYPE, "unknown type"));
	return n;
}

const char fuzz_name[] = "fuzz_proto";

/* The seed frames: a hello, a place (and one on account, and places asking for their days),
 * a cancel, queries, a restock, a step, the types 39-53, and the server's welcome, answer,
 * row, document row (as an answer and as an event), event, subscribed and error; each must
 * check. */
size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	size_t n = seed_frames(out, cap);
	*count = 0;
	for (size_t at = 0; at < n; (*count)++) {
		struct oc_proto_header h;
		int m = oc_proto_frame_check(out + at, n - at, &h);
		if (m <= 0)
			return 0;
		at += (size_t)m;
	}
	return n;
}
