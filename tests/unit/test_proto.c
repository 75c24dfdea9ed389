/* test_proto.c: the wire protocol's codec (engine/net/proto.c): every message type
 * round-trips, version 2's included (the refund, the history and customer queries, the answer
 * of 64 bytes with its customer, time, payment and amounts at their offsets, its row and more
 * flags, the event that is an answer); every prefix of a frame asks for more bytes, never for
 * a wrong answer; the bad inputs of issue 4 (frame lengths 0, 15, max - 1, max, max + 1,
 * 2^32 - 1, unknown type, wrong version (1, the one before, included), flags, inner lengths
 * that disagree with the frame length, reserved fields) are each refused with their error
 * code; only a refund carries an amount (and a cycle count its expected units, in the same
 * storage), and only a refund and a customer query an order key; rows are never events; the
 * inventory administration frames (39 cycle count, 40 safety stock, 41 reconciliation)
 * round-trip at their offsets, refuse other lengths and non-zero reserved bytes, and a cycle
 * count and a safety stock done are stock events; the exceptions and returns frames (42
 * delivery exception, 43 RMA, 44 return received, 45 replacement place) likewise, an RMA's
 * and a replacement's lines at the place's line layout, a replacement frame that does not say
 * it is one refused, a delivery exception a fulfilment event, RMAs and receipts returns
 * events; a pack with flags (46: its quality check failed) is a flagged step's body, a pack
 * without stays 26, a 46 without flags is refused, and a failed check accepted is a
 * fulfilment event; the fraud screening's frames (47 screened place: a place, its screen at
 * its offsets and the lines; 48 and 49 a review's approval and rejection, a cancel's body; 50
 * a block list change: operator, hash, flags) round-trip, refuse other lengths, reserved
 * bytes (a postal code's padding) and flags that disagree with the frame (a screened
 * replacement has no frame), only a screened place carries a screen, and a hold is an orders
 * event, an approval a fulfilment one, a rejection a cancel, a block list change a blocks
 * event (64); a short pick (51: an RMA's body, its warehouse where an RMA has zeros, its
 * reason byte reserved) round-trips, refuses other lengths, reserved bytes and flags, and is
 * a fulfilment event, the order cut whole too; B2B credit: a payment received (52) is a
 * cancel's body and a fulfilment event, a place on account (16, 47) carries its flag, and
 * answers with the payments on_account and paid and the reason credit_limit round-trip;
 * carriers: a place's days (bits 4-6) pass through 16, 47 and 45, a document row is an event
 * of kind documents (128) where a query's row is none, and an event carries it whole;
 * analytics: a rejected place is a rejects event (256), the channel bits ride along. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <string.h>

#include "ordercore/protocol.h"

static uint8_t buf[OC_PROTO_FRAME_BYTES_MAX];
static void raw(uint32_t len, uint8_t version, uint8_t type, uint16_t flags);
static int check(size_t have);

/* Every proper prefix of the frame needs more bytes (or, once its header shows an error,
 * says so); the whole frame checks with its length and header. */
/* ok with one field set to the value has no frame: the field has no room in ok's frame, or
 * contradicts its type. */
#define EXPECT_NO_ROOM(ok, field, ...) \
	do { \
		struct oc_command no_room_ = (ok); \
		no_room_.field = (__VA_ARGS__); \
		assert_int_equal(oc_proto_command_bytes(&no_room_), 0); \
	} while (0)

static void check_prefixes(const uint8_t *f, size_t n, uint8_t type, uint64_t corr)
{
	struct oc_proto_header h;
	for (size_t k = 0; k < n; k++)
		assert_int_equal(oc_proto_frame_check(f, k, &h), 0);
	assert_int_equal(oc_proto_frame_check(f, n, &h), (int)n);
	assert_int_equal(h.frame_bytes, n);
	assert_int_equal(h.type, type);
	assert_int_equal(h.version, OC_PROTO_VERSION);
	assert_int_equal(h.correlation, corr);
	/* And with more bytes after it (the next frame), the same. */
	uint8_t two[2 * OC_PROTO_FRAME_BYTES_MAX];
	memcpy(two, f, n);
	memcpy(two + n, f, n);
	assert_int_equal(oc_proto_frame_check(two, 2 * n, &h), (int)n);
}

static void test_every_type_round_trips(void **state)
{
	struct oc_proto_header h;
	/* hello */
	size_t n = oc_proto_encode_hello(buf, sizeof(buf), 7, "s3cret", 6);
	assert_int_equal(n, 16 + 8 + 6);
	check_prefixes(buf, n, OC_MSG_HELLO, 7);
	struct oc_proto_hello hello;
	assert_int_equal(oc_proto_decode_hello(buf, &hello), 0);
	assert_int_equal(hello.version, OC_PROTO_VERSION);
	assert_int_equal(hello.token_bytes, 6);
	assert_memory_equal(hello.token, "s3cret", 6);
	assert_int_equal(oc_proto_encode_hello(buf, sizeof(buf), 8, NULL, 0), 24);
	/* welcome */
	struct oc_proto_welcome w = {OC_PROTO_VERSION, OC_PROTO_FRAME_BYTES_MAX, 123456789012ull}, w2;
	n = oc_proto_encode_welcome(buf, sizeof(buf), 9, &w);
	check_prefixes(buf, n, OC_MSG_WELCOME, 9);
	assert_int_equal(oc_proto_decode_welcome(buf, &w2), 0);
	assert_int_equal(w2.version, w.version);
	assert_int_equal(w2.frame_bytes_max, w.frame_bytes_max);
	assert_int_equal(w2.last_seq, w.last_seq);
	/* place, 1 and 16 lines */
	for (uint32_t lines = 1; lines <= OC_ORDER_LINES_MAX; lines += 15) {
		struct oc_command c = {.type = OC_CMD_PLACE, .line_count = (uint8_t)lines,
				       .region = 513, .key = 0x0102030405060708ull,
				       .customer = UINT64_MAX - 1};
		for (uint32_t i = 0; i < lines; i++)
			c.lines[i] = (struct oc_line){100001 + i * 1000003ull, i + 1, 0};
		n = oc_proto_encode_command(buf, sizeof(buf), 10 + lines, &c);
		assert_int_equal(n, 16 + 24 + 16 * lines);
		check_prefixes(buf, n, OC_MSG_PLACE, 10 + lines);
		struct oc_command d;
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		assert_int_equal(d.seq, 0);
		assert_int_equal(d.ts_ns, 0);
		assert_memory_equal(&d, &c, offsetof(struct oc_command, lines) +
					       lines * sizeof(struct oc_line));
	}
	/* cancel */
	struct oc_command c = {.type = OC_CMD_CANCEL, .key = 42, .customer = 43}, d;
	n = oc_proto_encode_command(buf, sizeof(buf), 77, &c);
	check_prefixes(buf, n, OC_MSG_CANCEL, 77);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.type, OC_CMD_CANCEL);
	assert_int_equal(d.key, 42);
	assert_int_equal(d.customer, 43);
	/* the fulfilment and payment steps: a cancel's body, their own types */
	static const uint8_t step_cmd[6] = {OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					    OC_CMD_SHIPPED, OC_CMD_DELIVERED,
					    OC_CMD_PAYMENT_AUTHORIZED, OC_CMD_PAYMENT_DECLINED};
	static const uint8_t step_msg[6] = {OC_MSG_PICK_CONFIRMED, OC_MSG_PACK_CONFIRMED,
					    OC_MSG_SHIPPED, OC_MSG_DELIVERED,
					    OC_MSG_PAYMENT_AUTHORIZED, OC_MSG_PAYMENT_DECLINED};
	for (unsigned i = 0; i < 6; i++) {
		struct oc_command st = {.type = step_cmd[i], .key = 42, .customer = 43};
		n = oc_proto_encode_command(buf, sizeof(buf), 70 + i, &st);
		assert_int_equal(n, 16 + OC_PROTO_CANCEL_BODY_BYTES);
		check_prefixes(buf, n, step_msg[i], 70 + i);
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		assert_memory_equal(&d, &st, offsetof(struct oc_command, lines));
	}
	/* queries: the body is the key, the sequence number or the SKU number */
	static const uint8_t qtypes[] = {OC_CMD_QUERY_ORDER, OC_CMD_QUERY_ORDER_SEQ};
	for (unsigned i = 0; i < 2; i++) {
		struct oc_command q = {.type = qtypes[i], .key = 0x1122334455667788ull};
		n = oc_proto_encode_command(buf, sizeof(buf), 90 + i, &q);
		assert_int_equal(n, 16 + 8);
		check_prefixes(buf, n, (uint8_t)(OC_MSG_QUERY_ORDER + i), 90 + i);
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		assert_int_equal(d.type, qtypes[i]);
		assert_int_equal(d.key, q.key);
		assert_int_equal(d.customer, 0);
	}
	struct oc_command q = {.type = OC_CMD_QUERY_STOCK, .line_count = 1,
			       .lines = {{500001, 0, 0}}};
	n = oc_proto_encode_command(buf, sizeof(buf), 92, &q);
	check_prefixes(buf, n, OC_MSG_QUERY_STOCK, 92);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &q, offsetof(struct oc_command, lines) + sizeof(struct oc_line));
	struct oc_command qa = q;
	qa.type = OC_CMD_QUERY_STOCK_AT;
	qa.region = 63;
	n = oc_proto_encode_command(buf, sizeof(buf), 93, &qa);
	assert_int_equal(n, 16 + OC_PROTO_QUERY_AT_BODY_BYTES);
	check_prefixes(buf, n, OC_MSG_QUERY_STOCK_AT, 93);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &qa, offsetof(struct oc_command, lines) + sizeof(struct oc_line));
	buf[16 + 12] = 1; /* the zeros after the warehouse */
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	q.lines[0].quantity = 1; /* not a stock query as the engine defines it */
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 92, &q), 0);
	raw(16 + 16, OC_PROTO_VERSION, OC_MSG_QUERY_ORDER, 0); /* a query body of 16 bytes */
	assert_int_equal(check(32), -OC_PERR_BODY_LENGTH);
	/* an order's history: the key, as a query of the order */
	struct oc_command qh = {.type = OC_CMD_QUERY_HISTORY, .key = 0x1122334455667788ull};
	n = oc_proto_encode_command(buf, sizeof(buf), 94, &qh);
	assert_int_equal(n, 16 + 8);
	assert_int_equal(n, oc_proto_command_bytes(&qh));
	check_prefixes(buf, n, OC_MSG_QUERY_HISTORY, 94);
	assert_int_equal(buf[5], 37);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &qh, offsetof(struct oc_command, lines));
	raw(16 + 16, OC_PROTO_VERSION, OC_MSG_QUERY_HISTORY, 0);
	assert_int_equal(check(32), -OC_PERR_BODY_LENGTH);
	qh.line_count = 1; /* no lines in its body */
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 94, &qh), 0);
	/* a customer's orders: the customer, then the key of the order the page starts before
	 * (0: the newest page); every byte a value */
	struct oc_command qc = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 0x0807060504030201ull,
				.order_key = UINT64_MAX};
	n = oc_proto_encode_command(buf, sizeof(buf), 95, &qc);
	assert_int_equal(n, 16 + OC_PROTO_QUERY_CUSTOMER_BODY_BYTES);
	assert_int_equal(n, 16 + 16);
	assert_int_equal(n, oc_proto_command_bytes(&qc));
	check_prefixes(buf, n, OC_MSG_QUERY_CUSTOMER, 95);
	assert_int_equal(buf[5], 38);
	assert_int_equal(buf[16], 0x01);     /* the customer at 0, little-endian */
	assert_int_equal(buf[16 + 8], 0xff); /* the order key at 8 */
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &qc, offsetof(struct oc_command, lines));
	qc.order_key = 0;
	n = oc_proto_encode_command(buf, sizeof(buf), 95, &qc);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &qc, offsetof(struct oc_command, lines));
	raw(16 + 8, OC_PROTO_VERSION, OC_MSG_QUERY_CUSTOMER, 0);
	assert_int_equal(check(24), -OC_PERR_BODY_LENGTH);
	raw(16 + 24, OC_PROTO_VERSION, OC_MSG_QUERY_CUSTOMER, 0);
	assert_int_equal(check(40), -OC_PERR_BODY_LENGTH);
	/* stock changes: one line, the warehouse in region, the operator in customer */
	static const uint8_t stypes[] = {OC_CMD_RESTOCK, OC_CMD_WRITE_OFF};
	for (unsigned i = 0; i < 2; i++) {
		struct oc_command sc = {.type = stypes[i], .line_count = 1, .region = 63,
					.key = 1ull << 60, .customer = 9,
					.lines = {{(1ull << 62) + 5, 1000000000u, 0}}};
		n = oc_proto_encode_command(buf, sizeof(buf), 95 + i, &sc);
		assert_int_equal(n, 16 + OC_PROTO_STOCK_CHANGE_BODY_BYTES);
		assert_int_equal(n, oc_proto_command_bytes(&sc));
		check_prefixes(buf, n, (uint8_t)(OC_MSG_RESTOCK + i), 95 + i);
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		assert_memory_equal(&d, &sc,
				    offsetof(struct oc_command, lines) + sizeof(struct oc_line));
		buf[16 + 30] = 1; /* the reserved u16 */
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
		sc.line_count = 2; /* a stock change has one line */
		assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 95, &sc), 0);
	}
	/* refund: key, customer, the order's key, the amount; every byte a value */
	struct oc_command rf = {.type = OC_CMD_REFUND, .key = 1ull << 61, .customer = 43,
				.order_key = 0x0807060504030201ull, .amount_cents = UINT64_MAX};
	n = oc_proto_encode_command(buf, sizeof(buf), 96, &rf);
	assert_int_equal(n, 16 + OC_PROTO_REFUND_BODY_BYTES);
	assert_int_equal(n, 16 + 32);
	assert_int_equal(n, oc_proto_command_bytes(&rf));
	check_prefixes(buf, n, OC_MSG_REFUND, 96);
	assert_int_equal(buf[16 + 16], 0x01); /* the order's key at 16, little-endian */
	assert_int_equal(buf[16 + 31], 0xff); /* the amount at 24 */
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &rf, offsetof(struct oc_command, lines));
	rf.amount_cents = 0; /* all that is not refunded yet */
	n = oc_proto_encode_command(buf, sizeof(buf), 96, &rf);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &rf, offsetof(struct oc_command, lines));
	raw(16 + 24, OC_PROTO_VERSION, OC_MSG_REFUND, 0); /* a refund body of 24 bytes */
	assert_int_equal(check(40), -OC_PERR_BODY_LENGTH);
	raw(16 + 40, OC_PROTO_VERSION, OC_MSG_REFUND, 0);
	assert_int_equal(check(56), -OC_PERR_BODY_LENGTH);
	/* subscribe, subscribed, event */
	uint32_t kinds;
	n = oc_proto_encode_subscribe(buf, sizeof(buf), 97, OC_EVENT_ALL);
	check_prefixes(buf, n, OC_MSG_SUBSCRIBE, 97);
	assert_int_equal(oc_proto_decode_subscribe(buf, &kinds), 0);
	assert_int_equal(kinds, OC_EVENT_ALL);
	oc_proto_encode_subscribe(buf, sizeof(buf), 97, OC_EVENT_REFUNDS);
	assert_int_equal(oc_proto_decode_subscribe(buf, &kinds), 0);
	assert_int_equal(kinds, OC_EVENT_REFUNDS);
	oc_proto_encode_subscribe(buf, sizeof(buf), 97, OC_EVENT_ALL + 1);
	assert_int_equal(oc_proto_decode_subscribe(buf, &kinds), -OC_PERR_FIELD);
	uint64_t last_seq;
	n = oc_proto_encode_subscribed(buf, sizeof(buf), 98, UINT64_MAX - 1);
	check_prefixes(buf, n, OC_MSG_SUBSCRIBED, 98);
	assert_int_equal(oc_proto_decode_subscribed(buf, &last_seq), 0);
	assert_true(last_seq == UINT64_MAX - 1);
	struct oc_response ev = {.seq = 11, .key = 12, .original_seq = 11, .customer = 1ull << 63,
				 .ts_ms = 1795000000123ull, .type = OC_CMD_CANCEL,
				 .status = OC_STATUS_CANCELLED, .state = OC_STATE_CANCELLED,
				 .payment = OC_PAYMENT_REFUNDED, .amount_cents = 123456,
				 .refunded_cents = 123456}, ev2;
	n = oc_proto_encode_event(buf, sizeof(buf), 99, &ev);
	assert_int_equal(n, 16 + OC_PROTO_EVENT_BODY_BYTES);
	assert_int_equal(n, 16 + 64);
	check_prefixes(buf, n, OC_MSG_EVENT, 99);
	assert_int_equal(oc_proto_decode_event(buf, &ev2), 0);
	assert_memory_equal(&ev, &ev2, sizeof(ev));
	/* The body is the answer's 64 bytes: the customer at 24, the payment at 47. */
	assert_int_equal(buf[16 + 31], 0x80);
	assert_int_equal(buf[16 + 47], OC_PAYMENT_REFUNDED);
	uint8_t as_answer[16 + 64];
	assert_int_equal(oc_proto_encode_answer(as_answer, sizeof(as_answer), 99, &ev), n);
	assert_memory_equal(as_answer + 16, buf + 16, 64);
	assert_int_equal(oc_proto_event_kind(&ev), OC_EVENT_CANCELS);
	ev.type = OC_CMD_PLACE;
	ev.status = OC_STATUS_ACCEPTED;
	assert_int_equal(oc_proto_event_kind(&ev), OC_EVENT_ORDERS);
	ev.flags = OC_RESPONSE_DUPLICATE; /* said once, when it happened */
	assert_int_equal(oc_proto_event_kind(&ev), 0);
	ev.flags = 0;
	ev.status = OC_STATUS_REJECTED; /* a reason for the analytics, not an action */
	assert_int_equal(oc_proto_event_kind(&ev), OC_EVENT_REJECTS);
	ev = (struct oc_response){.type = OC_CMD_RESTOCK, .status = OC_STATUS_ACCEPTED};
	assert_int_equal(oc_proto_event_kind(&ev), OC_EVENT_STOCK);
	ev.type = OC_CMD_SHIPPED;
	assert_int_equal(oc_proto_event_kind(&ev), OC_EVENT_FULFILMENT);
	struct oc_response refund = {.type = OC_CMD_REFUND, .status = OC_STATUS_ACCEPTED,
				     .state = OC_STATE_DELIVERED, .payment = OC_PAYMENT_REFUNDED,
				     .amount_cents = 500, .refunded_cents = 500};
	assert_int_equal(oc_proto_event_kind(&refund), OC_EVENT_REFUNDS);
	refund.flags = OC_RESPONSE_DUPLICATE; /* a retry of the refund's key: said once */
	assert_int_equal(oc_proto_event_kind(&refund), 0);
	refund.flags = 0;
	refund.status = OC_STATUS_REJECTED; /* invalid_state, bad_amount...: nothing was done */
	refund.reason = OC_REJECT_BAD_AMOUNT;
	assert_int_equal(oc_proto_event_kind(&refund), 0);
	assert_int_equal(OC_EVENT_ALL, OC_EVENT_ORDERS | OC_EVENT_CANCELS | OC_EVENT_STOCK |
					       OC_EVENT_FULFILMENT | OC_EVENT_REFUNDS |
					       OC_EVENT_RETURNS | OC_EVENT_BLOCKS | OC_EVENT_DOCUMENTS |
					       OC_EVENT_REJECTS);
	struct oc_response expiry = {.type = OC_CMD_PLACE, .status = OC_STATUS_CANCELLED,
				     .reason = OC_REJECT_LEASE_EXPIRED,
				     .flags = OC_RESPONSE_UNSOLICITED};
	assert_int_equal(oc_proto_event_kind(&expiry), OC_EVENT_CANCELS);
	expiry.type = OC_CMD_QUERY_ORDER; /* a query of a cancelled order: no event */
	expiry.flags = 0;
	assert_int_equal(oc_proto_event_kind(&expiry), 0);
	ev.type = OC_CMD_QUERY_ORDER;
	assert_int_equal(oc_proto_event_kind(&ev), 0);
	/* Rows say what was, not what happens: a history row of a place (or of a lease expiry, a
	 * refund, a step), a customer's order, are never events; nor the answers of those
	 * queries. */
	static const uint8_t row_types[] = {OC_CMD_PLACE, OC_CMD_CANCEL, OC_CMD_SHIPPED,
					    OC_CMD_PAYMENT_AUTHORIZED, OC_CMD_REFUND,
					    OC_CMD_QUERY_CUSTOMER};
	for (unsigned i = 0; i < sizeof(row_types); i++) {
		struct oc_response row = {.type = row_types[i], .status = OC_STATUS_ACCEPTED,
					  .state = OC_STATE_DELIVERED};
		if (row.type != OC_CMD_QUERY_CUSTOMER) /* as an answer it is an event */
			assert_int_not_equal(oc_proto_event_kind(&row), 0);
		row.flags = OC_RESPONSE_ROW;
		assert_int_equal(oc_proto_event_kind(&row), 0);
		row.status = OC_STATUS_CANCELLED;
		assert_int_equal(oc_proto_event_kind(&row), 0);
	}
	struct oc_response qanswer = {.type = OC_CMD_QUERY_HISTORY, .status = OC_STATUS_ACCEPTED,
				      .state = OC_STATE_DELIVERED, .flags = OC_RESPONSE_MORE};
	assert_int_equal(oc_proto_event_kind(&qanswer), 0);
	qanswer.type = OC_CMD_QUERY_CUSTOMER;
	assert_int_equal(oc_proto_event_kind(&qanswer), 0);
	/* stats request and stats info */
	n = oc_proto_encode_stats(buf, sizeof(buf), 93);
	assert_int_equal(n, 16);
	check_prefixes(buf, n, OC_MSG_STATS, 93);
	struct oc_proto_stats st = {1, 2, 3, 4, 5, 6, 7, 8, 9, UINT64_MAX}, st2;
	n = oc_proto_encode_stats_info(buf, sizeof(buf), 94, &st);
	assert_int_equal(n, 16 + 80);
	check_prefixes(buf, n, OC_MSG_STATS_INFO, 94);
	assert_int_equal(oc_proto_decode_stats_info(buf, &st2), 0);
	assert_memory_equal(&st, &st2, sizeof(st));
	/* answer: every field a distinct value, so that a field at another offset shows */
	struct oc_response r = {.seq = 5, .key = 6, .original_seq = 4,
				.customer = 0x1112131415161718ull, .ts_ms = 0x2122232425262728ull,
				.type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED, .reason = 0,
				.flags = OC_RESPONSE_DUPLICATE, .shipments = 2, .warehouse = 63,
				.state = OC_STATE_PACKED, .payment = OC_PAYMENT_AUTHORIZED,
				.amount_cents = 0x0102030405060708ull,
				.refunded_cents = UINT64_MAX - 2}, r2;
	n = oc_proto_encode_answer(buf, sizeof(buf), 78, &r);
	assert_int_equal(n, 16 + 64);
	check_prefixes(buf, n, OC_MSG_ANSWER, 78);
	memset(&r2, 0xee, sizeof(r2));
	assert_int_equal(oc_proto_decode_answer(buf, &r2), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	/* The layout of docs/protocol.md, little-endian: the customer at 24, the time at 32, the
	 * bytes from type (40) to payment (47), the amounts at 48 and 56. */
	assert_int_equal(buf[16 + 16], 4);
	assert_int_equal(buf[16 + 24], 0x18);
	assert_int_equal(buf[16 + 31], 0x11);
	assert_int_equal(buf[16 + 32], 0x28);
	assert_int_equal(buf[16 + 39], 0x21);
	static const uint8_t bytes40[8] = {OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0,
					   OC_RESPONSE_DUPLICATE, 2, 63, OC_STATE_PACKED,
					   OC_PAYMENT_AUTHORIZED};
	assert_memory_equal(buf + 16 + 40, bytes40, 8);
	assert_int_equal(buf[16 + 48], 0x08);
	assert_int_equal(buf[16 + 55], 0x01);
	assert_int_equal(buf[16 + 56], 0xfd);
	assert_int_equal(buf[16 + 63], 0xff);
	/* No byte of an answer is reserved: any value decodes, for the reader to judge. */
	buf[16 + 47] = 0xff;
	assert_int_equal(oc_proto_decode_answer(buf, &r2), 0);
	assert_int_equal(r2.payment, 0xff);
	/* A row, and the answer after rows with more left: the flags round-trip. */
	r.flags = OC_RESPONSE_ROW;
	oc_proto_encode_answer(buf, sizeof(buf), 78, &r);
	assert_int_equal(buf[16 + 43], 0x4);
	assert_int_equal(oc_proto_decode_answer(buf, &r2), 0);
	assert_int_equal(r2.flags, OC_RESPONSE_ROW);
	r.flags = OC_RESPONSE_MORE;
	oc_proto_encode_answer(buf, sizeof(buf), 78, &r);
	assert_int_equal(oc_proto_decode_answer(buf, &r2), 0);
	assert_int_equal(r2.flags, OC_RESPONSE_MORE);
	raw(16 + 48, OC_PROTO_VERSION, OC_MSG_ANSWER, 0); /* the 48 bytes of an early draft */
	assert_int_equal(check(64), -OC_PERR_BODY_LENGTH);
	raw(16 + 56, OC_PROTO_VERSION, OC_MSG_EVENT, 0);
	assert_int_equal(check(72), -OC_PERR_BODY_LENGTH);
	/* error, and a message cut at the maximum */
	n = oc_proto_encode_error(buf, sizeof(buf), 79, OC_PERR_TOKEN, "bad token");
	check_prefixes(buf, n, OC_MSG_ERROR, 79);
	struct oc_proto_error_body e;
	assert_int_equal(oc_proto_decode_error(buf, &e), 0);
	assert_int_equal(e.code, OC_PERR_TOKEN);
	assert_string_equal(e.message, "bad token");
	char longmsg[400];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = oc_proto_encode_error(buf, sizeof(buf), 80, OC_PERR_TYPE, longmsg);
	assert_int_equal(n, 16 + 8 + OC_PROTO_MESSAGE_BYTES_MAX);
	assert_int_equal(oc_proto_frame_check(buf, n, &h), (int)n);
	assert_int_equal(oc_proto_decode_error(buf, &e), 0);
	assert_int_equal(strlen(e.message), OC_PROTO_MESSAGE_BYTES_MAX);
	assert_string_equal(oc_proto_error_name(OC_PERR_TOKEN), "token");
}

static void test_encoders_refuse_what_does_not_fit(void **state)
{
	struct oc_command c = {.type = OC_CMD_PLACE, .line_count = 2};
	assert_int_equal(oc_proto_encode_command(buf, 16 + 24 + 31, 1, &c), 0); /* no room */
	assert_int_equal(oc_proto_encode_command(buf, 16 + 24 + 32, 1, &c), 72);
	c.line_count = 0;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	c.line_count = OC_ORDER_LINES_MAX + 1;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	c.type = 99; /* no such command */
	c.line_count = 1;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	uint8_t token[OC_PROTO_TOKEN_BYTES_MAX + 1] = {0};
	assert_int_equal(oc_proto_encode_hello(buf, sizeof(buf), 1, token, sizeof(token)), 0);
	assert_int_equal(oc_proto_encode_hello(buf, sizeof(buf), 1, token, sizeof(token) - 1),
			 24 + OC_PROTO_TOKEN_BYTES_MAX);
}

/* Only a refund's body carries an amount, and only a refund's, a customer query's, an RMA's,
 * a replacement place's, a block list change's and a short pick's an order key (the tests of
 * the exceptions and returns frames, of the screening frames and of the short pick's frame
 * have the last four), only a screened place's a screen: any other command with one set cannot be encoded, and every other
 * decoder leaves them 0. A refund's body and a customer query's have no room for lines, a
 * region or flags, and a customer query's none for a key: with any of them set they cannot
 * be encoded either. */
static void test_only_a_refund_carries_an_order_key_and_amount(void **state)
{
	const struct oc_command others[] = {
		{.type = OC_CMD_PLACE, .key = 1, .customer = 2, .line_count = 1,
		 .lines = {{100001, 1, 0}}},
		{.type = OC_CMD_CANCEL, .key = 1, .customer = 2},
		{.type = OC_CMD_QUERY_ORDER, .key = 1},
		{.type = OC_CMD_QUERY_ORDER_SEQ, .key = 1},
		{.type = OC_CMD_QUERY_STOCK, .line_count = 1, .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_RESTOCK, .key = 1, .customer = 2, .line_count = 1,
		 .lines = {{100001, 5, 0}}},
		{.type = OC_CMD_WRITE_OFF, .key = 1, .customer = 2, .line_count = 1,
		 .lines = {{100001, 5, 0}}},
		{.type = OC_CMD_PICK_CONFIRMED, .key = 1, .customer = 2},
		{.type = OC_CMD_PACK_CONFIRMED, .key = 1, .customer = 2},
		{.type = OC_CMD_SHIPPED, .key = 1, .customer = 2},
		{.type = OC_CMD_DELIVERED, .key = 1, .customer = 2},
		{.type = OC_CMD_QUERY_STOCK_AT, .line_count = 1, .region = 1,
		 .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_PAYMENT_AUTHORIZED, .key = 1, .customer = 2},
		{.type = OC_CMD_PAYMENT_DECLINED, .key = 1, .customer = 2},
		{.type = OC_CMD_QUERY_HISTORY, .key = 1},
		{.type = OC_CMD_SET_SAFETY_STOCK, .customer = 2, .line_count = 1,
		 .lines = {{100001, 5, 0}}},
		{.type = OC_CMD_QUERY_RECONCILE, .line_count = 1, .region = 1,
		 .lines = {{100001, 0, 0}}},
		{.type = OC_CMD_DELIVERY_EXCEPTION, .key = 1, .customer = 2,
		 .flags = OC_EXCEPTION_LOST},
		{.type = OC_CMD_RETURN_RECEIVED, .key = 1, .customer = 2, .flags = OC_RETURN_RESTOCK},
		{.type = OC_CMD_PACK_CONFIRMED, .key = 1, .customer = 2, .flags = OC_PACK_QC_FAILED},
		{.type = OC_CMD_REVIEW_APPROVE, .key = 1, .customer = 2},
		{.type = OC_CMD_REVIEW_REJECT, .key = 1, .customer = 2},
		{.type = OC_CMD_PAYMENT_RECEIVED, .key = 1, .customer = 2},
		{.type = OC_CMD_QUERY_COUNTERS, .region = 32},
	};
	static const struct oc_screen no_screen;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct oc_command c = others[i], d;
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
		assert_int_not_equal(n, 0);
		assert_int_equal(n, oc_proto_command_bytes(&c));
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		assert_int_equal(d.type, c.type);
		assert_int_equal(d.order_key, 0);
		assert_int_equal(d.amount_cents, 0);
		assert_memory_equal(&d.screen, &no_screen, sizeof(no_screen));
		EXPECT_NO_ROOM(others[i], screen.account_age_days, 1); /* a screened place's */
		c.order_key = 1;
		assert_int_equal(oc_proto_command_bytes(&c), 0);
		assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
		c.order_key = 0;
		c.amount_cents = 1;
		assert_int_equal(oc_proto_command_bytes(&c), 0);
		assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	}
	const struct oc_command refund = {.type = OC_CMD_REFUND, .key = 3, .customer = 2,
					  .order_key = 1, .amount_cents = 250};
	struct oc_command c = refund;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 32);
	assert_int_equal(oc_proto_encode_command(buf, 16 + 31, 1, &c), 0); /* no room */
	assert_int_equal(oc_proto_encode_command(buf, 16 + 32, 1, &c), 16 + 32);
	c.line_count = 1;
	c.lines[0] = (struct oc_line){100001, 1, 0};
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	c = refund;
	c.region = 1;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	c = refund;
	c.flags = OC_PLACE_CARD;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	/* What the engine judges passes through: key, customer and order key 0, amount 0. */
	c = (struct oc_command){.type = OC_CMD_REFUND};
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 16 + 32);
	/* A customer query: the customer and the order key, nothing else. */
	const struct oc_command page = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 2,
					.order_key = 1};
	c = page;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 16);
	assert_int_equal(oc_proto_encode_command(buf, 16 + 15, 1, &c), 0); /* no room */
	assert_int_equal(oc_proto_encode_command(buf, 16 + 16, 1, &c), 16 + 16);
	struct oc_command d;
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.order_key, 1);
	assert_int_equal(d.amount_cents, 0);
	assert_int_equal(d.key, 0);
	c.amount_cents = 1;
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	EXPECT_NO_ROOM(page, key, 3); /* the engine would answer malformed: the frame cannot say it */
	c = page;
	c.line_count = 1;
	c.lines[0] = (struct oc_line){100001, 1, 0};
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	EXPECT_NO_ROOM(page, region, 1);
	c = page;
	c.flags = OC_PLACE_CARD;
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 0);
	/* Customer 0 is the engine's to judge (malformed); the newest page has order key 0. */
	c = (struct oc_command){.type = OC_CMD_QUERY_CUSTOMER};
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 16 + 16);
	/* A cycle count carries its expected units in the amount's storage, never an order key. */
	c = (struct oc_command){.type = OC_CMD_ADJUST_STOCK, .key = 3, .customer = 2,
				.line_count = 1, .lines = {{100001, 5, 0}}, .expected_units = 4};
	assert_int_equal(c.amount_cents, 4);
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 40);
	oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.expected_units, 4);
	assert_int_equal(d.order_key, 0);
	c.order_key = 1;
	assert_int_equal(oc_proto_command_bytes(&c), 0);
}

/* The inventory administration frames, new types in version 2. A cycle count (39) is a
 * restock's 32 bytes (key, operator, SKU, units counted, warehouse, zero u16) and the on hand
 * it replaces (u64 at 32); a safety stock (40) is the operator, the SKU, the units and a zero
 * u32, no key and no warehouse; a reconciliation (41) is a stock-at query's body, the page's
 * first warehouse at 8. Each round-trips at these offsets, is refused at any other length, and
 * refuses its reserved bytes. */
static void test_inventory_administration_frames(void **state)
{
	struct oc_command d;
	/* cycle count */
	const struct oc_command adjust = {.type = OC_CMD_ADJUST_STOCK, .line_count = 1,
					  .region = 0x0102, .key = 1ull << 60, .customer = 9,
					  .lines = {{0x1112131415161718ull, 0, 0}},
					  .expected_units = 0x2122232425262728ull};
	struct oc_command c = adjust;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 40);
	size_t n = oc_proto_encode_command(buf, sizeof(buf), 101, &c);
	assert_int_equal(n, 16 + OC_PROTO_ADJUST_BODY_BYTES);
	check_prefixes(buf, n, OC_MSG_ADJUST_STOCK, 101);
	assert_int_equal(buf[5], 39);
	assert_int_equal(buf[16 + 16], 0x18); /* the SKU at 16 */
	assert_int_equal(buf[16 + 24], 0);    /* 0 counted: a count may find nothing */
	assert_int_equal(buf[16 + 28], 0x02); /* the warehouse at 28 */
	assert_int_equal(buf[16 + 32], 0x28); /* expected_units at 32, little-endian */
	assert_int_equal(buf[16 + 39], 0x21);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &c, offsetof(struct oc_command, lines) + sizeof(struct oc_line));
	assert_true(d.expected_units == c.expected_units);
	assert_int_equal(d.order_key, 0);
	/* A restock's body and a cycle count's agree on their first 32 bytes. */
	struct oc_command restock = c;
	restock.type = OC_CMD_RESTOCK;
	restock.expected_units = 0;
	uint8_t rbuf[64];
	assert_int_equal(oc_proto_encode_command(rbuf, sizeof(rbuf), 101, &restock), 16 + 32);
	assert_memory_equal(rbuf + 16, buf + 16, 32);
	c.expected_units = 0; /* the warehouse had none: as good a value as any */
	c.lines[0].quantity = 7;
	n = oc_proto_encode_command(buf, sizeof(buf), 102, &c);
	assert_int_equal(n, 16 + 40);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.expected_units, 0);
	assert_int_equal(d.lines[0].quantity, 7);
	buf[16 + 30] = 1; /* the stock change's reserved u16 */
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	buf[16 + 30] = 0;
	buf[16 + 31] = 0x80;
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	EXPECT_NO_ROOM(adjust, line_count, 2); /* one line */
	EXPECT_NO_ROOM(adjust, flags, 1);
	EXPECT_NO_ROOM(adjust, lines[0].reserved, 1);
	EXPECT_NO_ROOM(adjust, order_key, 1); /* a refund's field */
	assert_int_equal(oc_proto_encode_command(buf, 16 + 39, 1, &adjust), 0); /* no room */
	/* safety stock */
	const struct oc_command safety = {.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1,
					  .customer = 0x0807060504030201ull,
					  .lines = {{0x1112131415161718ull, 0x21222324u, 0}}};
	c = safety;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 24);
	n = oc_proto_encode_command(buf, sizeof(buf), 103, &c);
	assert_int_equal(n, 16 + OC_PROTO_SAFETY_BODY_BYTES);
	check_prefixes(buf, n, OC_MSG_SET_SAFETY_STOCK, 103);
	assert_int_equal(buf[5], 40);
	assert_int_equal(buf[16], 0x01);      /* the operator at 0 */
	assert_int_equal(buf[16 + 8], 0x18);  /* the SKU at 8 */
	assert_int_equal(buf[16 + 16], 0x24); /* the units at 16 */
	static const uint8_t zero4[4] = {0};
	assert_memory_equal(buf + 16 + 20, zero4, 4);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &c, offsetof(struct oc_command, lines) + sizeof(struct oc_line));
	assert_int_equal(d.key, 0);
	assert_int_equal(d.order_key, 0);
	assert_int_equal(d.amount_cents, 0);
	for (unsigned i = 20; i < 24; i++) { /* each byte of the zero u32 */
		n = oc_proto_encode_command(buf, sizeof(buf), 103, &c);
		buf[16 + i] = 1;
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
	c.lines[0].quantity = 0; /* 0 clears it */
	n = oc_proto_encode_command(buf, sizeof(buf), 104, &c);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.lines[0].quantity, 0);
	EXPECT_NO_ROOM(safety, key, 5); /* no key in its body: the engine's key 0 is all it can say */
	EXPECT_NO_ROOM(safety, region, 1); /* nor a warehouse: it is over all of them */
	EXPECT_NO_ROOM(safety, line_count, 2);
	EXPECT_NO_ROOM(safety, flags, 1);
	EXPECT_NO_ROOM(safety, expected_units, 1); /* a cycle count's field */
	c = (struct oc_command){.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1};
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 24); /* operator 0: the engine's call */
	/* reconciliation */
	const struct oc_command recon = {.type = OC_CMD_QUERY_RECONCILE, .line_count = 1,
					 .region = 0x0120, .lines = {{0x1112131415161718ull, 0, 0}}};
	c = recon;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 16);
	n = oc_proto_encode_command(buf, sizeof(buf), 105, &c);
	assert_int_equal(n, 16 + OC_PROTO_QUERY_RECONCILE_BODY_BYTES);
	check_prefixes(buf, n, OC_MSG_QUERY_RECONCILE, 105);
	assert_int_equal(buf[5], 41);
	assert_int_equal(buf[16], 0x18);     /* the SKU at 0 */
	assert_int_equal(buf[16 + 8], 0x20); /* the first warehouse at 8 */
	assert_int_equal(buf[16 + 9], 0x01);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &c, offsetof(struct oc_command, lines) + sizeof(struct oc_line));
	/* A stock-at query's bytes but its type: the same command but the type. */
	buf[5] = OC_MSG_QUERY_STOCK_AT;
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.type, OC_CMD_QUERY_STOCK_AT);
	assert_int_equal(d.region, recon.region);
	for (unsigned i = 10; i < 16; i++) { /* each of the six zero bytes */
		n = oc_proto_encode_command(buf, sizeof(buf), 105, &c);
		buf[16 + i] = 1;
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
	c.lines[0].quantity = 1; /* a query: quantity 0 */
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	EXPECT_NO_ROOM(recon, line_count, 0);
	EXPECT_NO_ROOM(recon, amount_cents, 1);
	/* Fields the body has no room for (a key, a customer, flags, a line's reserved bits): no
	 * frame, for a reconciliation and for a stock-at query alike. */
	for (unsigned q = 0; q < 2; q++) {
		for (unsigned field = 0; field < 4; field++) {
			c = recon;
			c.type = q ? OC_CMD_QUERY_STOCK_AT : OC_CMD_QUERY_RECONCILE;
			assert_int_not_equal(oc_proto_command_bytes(&c), 0);
			if (field == 0)
				c.key = 1;
			else if (field == 1)
				c.customer = 1;
			else if (field == 2)
				c.flags = 1;
			else
				c.lines[0].reserved = 1;
			assert_int_equal(oc_proto_command_bytes(&c), 0);
			assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 105, &c), 0);
		}
	}
	/* Each at any other length: body_length, from the header on. */
	static const struct {
		uint8_t type;
		uint32_t body, bad[4];
	} lengths[] = {
		{OC_MSG_ADJUST_STOCK, 40, {0, 32, 39, 41}},
		{OC_MSG_SET_SAFETY_STOCK, 24, {0, 16, 23, 32}},
		{OC_MSG_QUERY_RECONCILE, 16, {0, 8, 15, 24}},
	};
	for (unsigned t = 0; t < 3; t++) {
		for (unsigned i = 0; i < 4; i++) {
			raw(16 + lengths[t].bad[i], OC_PROTO_VERSION, lengths[t].type, 0);
			assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
			assert_int_equal(check(16 + lengths[t].bad[i]), -OC_PERR_BODY_LENGTH);
		}
		raw(16 + lengths[t].body, OC_PROTO_VERSION, lengths[t].type, 0);
		assert_int_equal(check(16 + lengths[t].body), (int)(16 + lengths[t].body));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0); /* all zeros decode */
	}
	/* Events: a cycle count and a safety stock done are stock events, as a restock is; not
	 * their retries, not their rejections; a reconciliation's rows and answer never. */
	struct oc_response r = {.type = OC_CMD_ADJUST_STOCK, .status = OC_STATUS_ACCEPTED,
				.state = OC_STATE_ACCEPTED, .warehouse = 3};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_STOCK);
	r.flags = OC_RESPONSE_DUPLICATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = 0;
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_STALE_COUNT;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r = (struct oc_response){.type = OC_CMD_SET_SAFETY_STOCK, .status = OC_STATUS_ACCEPTED};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_STOCK);
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_UNKNOWN_SKU;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r = (struct oc_response){.type = OC_CMD_QUERY_RECONCILE, .status = OC_STATUS_ACCEPTED,
				 .flags = OC_RESPONSE_ROW, .warehouse = 2};
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = OC_RESPONSE_MORE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = 0;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	/* A reconciliation's counts travel in the answer's u64 fields, two 32-bit counts each:
	 * they round-trip as any answer does. */
	r = (struct oc_response){.seq = 9, .type = OC_CMD_QUERY_RECONCILE,
				 .status = OC_STATUS_ACCEPTED, .flags = OC_RESPONSE_ROW,
				 .warehouse = 63,
				 .original_seq = OC_RECON_PACK(1000000000u, 7),
				 .amount_cents = OC_RECON_PACK(5, 1000000012u),
				 .refunded_cents = 0};
	struct oc_response r2;
	n = oc_proto_encode_answer(buf, sizeof(buf), 106, &r);
	assert_int_equal(oc_proto_decode_answer(buf, &r2), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	assert_int_equal(OC_RECON_FREE(&r2), 1000000000u);
	assert_int_equal(OC_RECON_ALLOCATED(&r2), 7);
	assert_int_equal(OC_RECON_PICKED(&r2), 5);
	assert_int_equal(OC_RECON_ON_HAND(&r2), 1000000012u);
	assert_int_equal(r2.warehouse, 63);
}

/* Each byte of buf[from, to) set alone makes the decoder refuse the frame (-OC_PERR_FIELD); f
 * is the good frame, n its length. */
static void expect_reserved(const uint8_t *f, size_t n, unsigned from, unsigned to)
{
	struct oc_command d;
	for (unsigned i = from; i < to; i++) {
		memcpy(buf, f, n);
		buf[16 + i] = 0x40;
		assert_int_equal(check(n), (int)n); /* the frame is whole: the decoder judges */
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
}

/* Asserts that d, decoded, is c: the fields before the lines, c's lines and its order key. */
static void expect_command(const struct oc_command *d, const struct oc_command *c)
{
	assert_memory_equal(d, c, offsetof(struct oc_command, lines) +
					  c->line_count * sizeof(struct oc_line));
	assert_true(d->order_key == c->order_key);
	assert_int_equal(d->amount_cents, 0);
}

/* The exceptions and returns frames, new types in version 2 (docs/protocol.md). A delivery
 * exception (42) and a return received (44) are a cancel's body, the command's flags (u32 at
 * 16: the kind; the inspection) and a zero u32; an RMA (43) is key, customer, order key, the
 * reason (u8 at 24), the line count (u8 at 25), six zeros, then lines as a place's; a
 * replacement place (45) is a place's 24 bytes, the order key (u64 at 24), then the lines. */
static void test_exceptions_and_returns_frames(void **state)
{
	struct oc_command c, d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX];
	/* The flagged steps: every flag value passes through for the engine to judge (0, 3:
	 * malformed), lines, a region, an order key or an amount cannot be sent. */
	static const struct {
		uint8_t command, message;
		uint32_t flags[3];
	} flagged[] = {
		{OC_CMD_DELIVERY_EXCEPTION, OC_MSG_DELIVERY_EXCEPTION,
		 {OC_EXCEPTION_LOST, OC_EXCEPTION_DAMAGED, 3}},
		{OC_CMD_RETURN_RECEIVED, OC_MSG_RETURN_RECEIVED, {OC_RETURN_RESTOCK, 0, 0xa1b2c3d4u}},
	};
	for (unsigned t = 0; t < 2; t++) {
		for (unsigned k = 0; k < 3; k++) {
			c = (struct oc_command){.type = flagged[t].command,
						.key = 0x0102030405060708ull,
						.customer = 0x1112131415161718ull,
						.flags = flagged[t].flags[k]};
			assert_int_equal(oc_proto_command_bytes(&c), 16 + 24);
			size_t n = oc_proto_encode_command(buf, sizeof(buf), 110 + t, &c);
			assert_int_equal(n, 16 + OC_PROTO_FLAGGED_STEP_BODY_BYTES);
			check_prefixes(buf, n, flagged[t].message, 110 + t);
			assert_int_equal(buf[5], 42 + 2 * t);
			assert_int_equal(buf[16], 0x08);     /* the key at 0 */
			assert_int_equal(buf[16 + 8], 0x18); /* the customer at 8 */
			uint32_t flags_le = htole32(c.flags);
			assert_memory_equal(buf + 16 + 16, &flags_le, 4); /* the flags at 16 */
			static const uint8_t zero4[4] = {0};
			assert_memory_equal(buf + 16 + 20, zero4, 4);
			/* A cancel's body is its first 16 bytes. */
			struct oc_command cancel = {.type = OC_CMD_CANCEL, .key = c.key,
						    .customer = c.customer};
			uint8_t cbuf[64];
			assert_int_equal(oc_proto_encode_command(cbuf, sizeof(cbuf), 1, &cancel), 32);
			assert_memory_equal(cbuf + 16, buf + 16, 16);
			memset(&d, 0xee, sizeof(d));
			assert_int_equal(oc_proto_decode_command(buf, &d), 0);
			expect_command(&d, &c);
			memcpy(good, buf, n);
			expect_reserved(good, n, 20, 24);
		}
		const struct oc_command ok = c;
		c = ok;
		c.line_count = 1;
		c.lines[0] = (struct oc_line){100001, 1, 0};
		assert_int_equal(oc_proto_command_bytes(&c), 0);
		EXPECT_NO_ROOM(ok, region, 1);
		EXPECT_NO_ROOM(ok, order_key, 1);
		EXPECT_NO_ROOM(ok, amount_cents, 1);
		assert_int_equal(oc_proto_encode_command(buf, 16 + 23, 1, &ok), 0); /* no room */
	}
	/* The steps without flags carry none: a cancel with flags, lines or a region is not
	 * something the wire can say. */
	c = (struct oc_command){.type = OC_CMD_CANCEL, .key = 1, .customer = 2, .flags = 1};
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	c = (struct oc_command){.type = OC_CMD_SHIPPED, .key = 1, .customer = 2, .line_count = 1};
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	c = (struct oc_command){.type = OC_CMD_DELIVERED, .key = 1, .customer = 2, .region = 3};
	assert_int_equal(oc_proto_command_bytes(&c), 0);

	/* An RMA of 1 and of 16 lines; its lines are a place's, byte for byte. */
	for (uint32_t lines = 1; lines <= OC_ORDER_LINES_MAX; lines += 15) {
		c = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED, .line_count = (uint8_t)lines,
					.key = 0x0102030405060708ull, .customer = 0x1112131415161718ull,
					.flags = OC_RETURN_WRONG_ITEM,
					.order_key = 0x2122232425262728ull};
		for (uint32_t i = 0; i < lines; i++)
			c.lines[i] = (struct oc_line){0x3132333435363738ull + i, 0x41424344u + i, 0};
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 120 + lines, &c);
		assert_int_equal(n, 16 + 32 + 16 * lines);
		assert_int_equal(n, oc_proto_command_bytes(&c));
		check_prefixes(buf, n, OC_MSG_RETURN_REQUESTED, 120 + lines);
		assert_int_equal(buf[5], 43);
		assert_int_equal(buf[16], 0x08);       /* the key at 0 */
		assert_int_equal(buf[16 + 8], 0x18);   /* the customer at 8 */
		assert_int_equal(buf[16 + 16], 0x28);  /* the order key at 16 */
		assert_int_equal(buf[16 + 23], 0x21);
		assert_int_equal(buf[16 + 24], OC_RETURN_WRONG_ITEM); /* the reason at 24 */
		assert_int_equal(buf[16 + 25], lines); /* the line count at 25 */
		static const uint8_t zero6[6] = {0};
		assert_memory_equal(buf + 16 + 26, zero6, 6);
		assert_int_equal(buf[16 + 32], 0x38);  /* line 0's SKU at 32 */
		assert_int_equal(buf[16 + 40], 0x44);  /* its quantity at 40 */
		struct oc_command place = c;
		place.type = OC_CMD_PLACE;
		place.flags = 0;
		place.order_key = 0;
		uint8_t pbuf[OC_PROTO_FRAME_BYTES_MAX];
		size_t pn = oc_proto_encode_command(pbuf, sizeof(pbuf), 1, &place);
		assert_int_equal(pn, n - 8);
		assert_memory_equal(pbuf + 16 + 24, buf + 16 + 32, 16 * lines);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_int_equal(d.region, 0);
		memcpy(good, buf, n);
		expect_reserved(good, n, 26, 32);
		/* The line count disagreeing with the frame's length, by one either way. */
		memcpy(buf, good, n);
		buf[16 + 25] = (uint8_t)(lines + 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
		buf[16 + 25] = (uint8_t)(lines - 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
		assert_int_equal(check(16 + 26), -OC_PERR_BODY_LENGTH); /* seen once it is there */
		assert_int_equal(check(16 + 25), 0);
	}
	const struct oc_command rma = c;
	/* The reason is the engine's to judge (0, 5: malformed), but it is a byte. */
	c.flags = 0;
	size_t n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.flags, 0);
	c.flags = 255;
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.flags, 255);
	c.flags = 256;
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	EXPECT_NO_ROOM(rma, region, 1); /* an RMA has no region: no room for one */
	EXPECT_NO_ROOM(rma, line_count, 0);
	EXPECT_NO_ROOM(rma, line_count, OC_ORDER_LINES_MAX + 1);
	EXPECT_NO_ROOM(rma, amount_cents, 1); /* its value is the engine's answer, not the command's */
	c = rma;
	c.order_key = 0; /* the engine's to judge: malformed */
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 32 + 16 * OC_ORDER_LINES_MAX);
	assert_int_equal(oc_proto_encode_command(buf, 16 + 32 + 16 * 16 - 1, 1, &rma), 0);
	/* Wrong lengths: below the fixed part, or not a whole number of lines. */
	static const uint32_t rma_bad[] = {0, 16, 31, 33, 32 + 15, 32 + 17};
	for (unsigned i = 0; i < sizeof(rma_bad) / sizeof(rma_bad[0]); i++) {
		raw(16 + rma_bad[i], OC_PROTO_VERSION, OC_MSG_RETURN_REQUESTED, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	}
	raw(16 + 32, OC_PROTO_VERSION, OC_MSG_RETURN_REQUESTED, 0); /* no lines: the engine's */
	assert_int_equal(check(48), 48);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.line_count, 0);
	/* More lines than an RMA may have are well formed on the wire (too_many_lines). */
	uint32_t many = (OC_PROTO_FRAME_BYTES_MAX - 16 - 32) / 16;
	raw(16 + 32 + 16 * many, OC_PROTO_VERSION, OC_MSG_RETURN_REQUESTED, 0);
	buf[16 + 25] = (uint8_t)many;
	assert_int_equal(check(16 + 32 + 16 * many), (int)(16 + 32 + 16 * many));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.line_count, many);

	/* A replacement place: a place's 24 bytes (flags with OC_PLACE_REPLACEMENT), the order
	 * it replaces, the lines. */
	for (uint32_t lines = 1; lines <= OC_ORDER_LINES_MAX; lines += 15) {
		c = (struct oc_command){.type = OC_CMD_PLACE, .line_count = (uint8_t)lines,
					.region = 0x0102, .key = 0x0102030405060708ull,
					.customer = 0x1112131415161718ull,
					.flags = OC_PLACE_REPLACEMENT,
					.order_key = 0x2122232425262728ull};
		for (uint32_t i = 0; i < lines; i++)
			c.lines[i] = (struct oc_line){0x3132333435363738ull + i, 0x41424344u + i, 0};
		n = oc_proto_encode_command(buf, sizeof(buf), 130 + lines, &c);
		assert_int_equal(n, 16 + 32 + 16 * lines);
		assert_int_equal(n, oc_proto_command_bytes(&c));
		check_prefixes(buf, n, OC_MSG_PLACE_REPLACEMENT, 130 + lines);
		assert_int_equal(buf[5], 45);
		assert_int_equal(buf[16 + 16], 0x02);  /* the region at 16 */
		assert_int_equal(buf[16 + 18], lines); /* the line count at 18 */
		assert_int_equal(buf[16 + 19], 0);
		assert_int_equal(buf[16 + 20], OC_PLACE_REPLACEMENT); /* the flags at 20 */
		assert_int_equal(buf[16 + 24], 0x28);  /* the order key at 24 */
		assert_int_equal(buf[16 + 31], 0x21);
		assert_int_equal(buf[16 + 32], 0x38);  /* line 0 at 32 */
		struct oc_command place = c;
		place.flags = 0;
		place.order_key = 0;
		uint8_t pbuf[OC_PROTO_FRAME_BYTES_MAX];
		assert_int_equal(oc_proto_encode_command(pbuf, sizeof(pbuf), 1, &place), n - 8);
		assert_int_equal(pbuf[5], OC_MSG_PLACE);
		assert_memory_equal(pbuf + 16, buf + 16, 20); /* the place's fields but the flags */
		assert_memory_equal(pbuf + 16 + 24, buf + 16 + 32, 16 * lines);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		memcpy(good, buf, n);
		expect_reserved(good, n, 19, 20);
		memcpy(buf, good, n);
		buf[16 + 18] = (uint8_t)(lines + 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	}
	const struct oc_command repl = c;
	/* A frame of type 45 whose flags do not say replacement contradicts itself: as a place
	 * it would ignore its order key and be charged. */
	n = oc_proto_encode_command(good, sizeof(good), 1, &repl);
	memcpy(buf, good, n);
	buf[16 + 20] = 0;
	assert_int_equal(check(n), (int)n);
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	buf[16 + 20] = OC_PLACE_CARD;
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	/* Other flags beside it pass through: a card replacement is the engine's malformed. */
	c = repl;
	c.flags = OC_PLACE_REPLACEMENT | OC_PLACE_CARD | 0x100;
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(buf[5], OC_MSG_PLACE_REPLACEMENT);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.flags, c.flags);
	c = repl;
	c.order_key = 0; /* the engine's to judge: malformed */
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &c), 16 + 32 + 16 * 16);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.order_key, 0);
	assert_int_equal(d.flags, OC_PLACE_REPLACEMENT);
	EXPECT_NO_ROOM(repl, line_count, 0);
	EXPECT_NO_ROOM(repl, amount_cents, 1); /* a replacement is free: no amount to say */
	EXPECT_NO_ROOM(repl, flags, 0); /* a place with an order key is no replacement */
	/* A place frame (16) with the replacement flag has no order key to name: refused as
	 * contradicting its type too. Its other flags pass through. */
	c = repl;
	c.flags = 0;
	c.order_key = 0;
	n = oc_proto_encode_command(good, sizeof(good), 1, &c);
	assert_int_equal(good[5], OC_MSG_PLACE);
	memcpy(buf, good, n);
	buf[16 + 20] = OC_PLACE_REPLACEMENT | OC_PLACE_CARD;
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	buf[16 + 20] = OC_PLACE_CARD | 0x10;
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.flags, OC_PLACE_CARD | 0x10);
	static const uint32_t repl_bad[] = {0, 24, 31, 33, 32 + 8, 32 + 17};
	for (unsigned i = 0; i < sizeof(repl_bad) / sizeof(repl_bad[0]); i++) {
		raw(16 + repl_bad[i], OC_PROTO_VERSION, OC_MSG_PLACE_REPLACEMENT, 0);
		assert_int_equal(check(sizeof(buf)), -OC_PERR_BODY_LENGTH);
	}
	/* The flagged steps at any other length. */
	static const uint32_t step_bad[] = {0, 16, 23, 25, 32};
	for (unsigned t = 0; t < 2; t++)
		for (unsigned i = 0; i < sizeof(step_bad) / sizeof(step_bad[0]); i++) {
			raw(16 + step_bad[i], OC_PROTO_VERSION, flagged[t].message, 0);
			assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
		}

	/* Events: a delivery exception is a fulfilment step; an RMA opened and a return received
	 * are returns events; a replacement accepted is an order like any. Not their retries,
	 * rejections, or rows of them in a history. */
	struct oc_response r = {.type = OC_CMD_DELIVERY_EXCEPTION, .status = OC_STATUS_ACCEPTED,
				.state = OC_STATE_EXCEPTION, .payment = OC_PAYMENT_CAPTURED};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	static const uint8_t returns[2] = {OC_CMD_RETURN_REQUESTED, OC_CMD_RETURN_RECEIVED};
	for (unsigned i = 0; i < 2; i++) {
		r = (struct oc_response){.type = returns[i], .status = OC_STATUS_ACCEPTED,
					 .state = OC_STATE_RETURN_REQUESTED, .amount_cents = 500};
		assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_RETURNS);
	}
	static const uint8_t all[3] = {OC_CMD_DELIVERY_EXCEPTION, OC_CMD_RETURN_REQUESTED,
				       OC_CMD_RETURN_RECEIVED};
	for (unsigned i = 0; i < 3; i++) {
		r = (struct oc_response){.type = all[i], .status = OC_STATUS_ACCEPTED,
					 .flags = OC_RESPONSE_DUPLICATE};
		assert_int_equal(oc_proto_event_kind(&r), 0);
		r.flags = OC_RESPONSE_ROW;
		assert_int_equal(oc_proto_event_kind(&r), 0);
		r.flags = 0;
		r.status = OC_STATUS_REJECTED;
		r.reason = OC_REJECT_INVALID_STATE;
		assert_int_equal(oc_proto_event_kind(&r), 0);
	}
	r = (struct oc_response){.type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
				 .state = OC_STATE_ALLOCATED, .payment = OC_PAYMENT_PREPAID};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_ORDERS); /* amount 0: a replacement */
	assert_int_equal(OC_EVENT_RETURNS, 32);
	uint32_t kinds;
	oc_proto_encode_subscribe(buf, sizeof(buf), 1, OC_EVENT_RETURNS);
	assert_int_equal(oc_proto_decode_subscribe(buf, &kinds), 0);
	assert_int_equal(kinds, OC_EVENT_RETURNS);
}

/* A pack with flags (46; docs/protocol.md): a flagged step's body (key, customer, the flags
 * as a u32 at 16: OC_PACK_QC_FAILED, a zero u32), for OC_CMD_PACK_CONFIRMED. A pack without
 * flags is still frame 26, byte for byte, so that readers before 46 see no change; a 46
 * without flags says nothing 26 does not and is refused (field), so that every frame that
 * decodes encodes back to itself. Other flag bits pass through: the engine answers
 * malformed. */
static void test_pack_checked_frame(void **state)
{
	assert_int_equal(OC_MSG_PACK_CHECKED, 46);
	struct oc_command c, d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX];
	static const uint32_t flags[] = {OC_PACK_QC_FAILED, 0x2, 0x80000001u, 0xffffffffu};
	for (unsigned k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		c = (struct oc_command){.type = OC_CMD_PACK_CONFIRMED, .key = 0x0102030405060708ull,
					.customer = 0x1112131415161718ull, .flags = flags[k]};
		assert_int_equal(oc_proto_command_bytes(&c), 16 + 24);
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 140 + k, &c);
		assert_int_equal(n, 16 + OC_PROTO_FLAGGED_STEP_BODY_BYTES);
		check_prefixes(buf, n, OC_MSG_PACK_CHECKED, 140 + k);
		assert_int_equal(buf[5], 46);
		assert_int_equal(buf[16], 0x08);     /* the key at 0 */
		assert_int_equal(buf[16 + 7], 0x01);
		assert_int_equal(buf[16 + 8], 0x18); /* the customer at 8 */
		assert_int_equal(buf[16 + 15], 0x11);
		uint32_t flags_le = htole32(c.flags);
		assert_memory_equal(buf + 16 + 16, &flags_le, 4); /* the flags at 16 */
		static const uint8_t zero4[4] = {0};
		assert_memory_equal(buf + 16 + 20, zero4, 4);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_int_equal(d.flags, flags[k]);
		memcpy(good, buf, n);
		expect_reserved(good, n, 20, 24);
	}
	/* Its first 16 bytes are the unflagged pack's body (26), which is unchanged. */
	const struct oc_command qc = {.type = OC_CMD_PACK_CONFIRMED, .key = 0x0102030405060708ull,
				      .customer = 0x1112131415161718ull,
				      .flags = OC_PACK_QC_FAILED};
	size_t n = oc_proto_encode_command(good, sizeof(good), 1, &qc);
	c = qc;
	c.flags = 0;
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 16);
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(n, 16 + OC_PROTO_CANCEL_BODY_BYTES);
	check_prefixes(buf, n, OC_MSG_PACK_CONFIRMED, 1);
	assert_int_equal(buf[5], 26);
	assert_memory_equal(buf + 16, good + 16, 16);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	expect_command(&d, &c);
	/* A 46 without flags contradicts its type: refused once whole (the decoder judges). */
	n = oc_proto_encode_command(good, sizeof(good), 1, &qc);
	memcpy(buf, good, n);
	memset(buf + 16 + 16, 0, 4);
	assert_int_equal(check(n), (int)n);
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	raw(16 + 24, OC_PROTO_VERSION, OC_MSG_PACK_CHECKED, 0); /* all zeros */
	assert_int_equal(check(16 + 24), 16 + 24);
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	/* A 26 has no room for flags: a 26 of 24 bytes is a length error, as is a 46 of 16. */
	static const uint32_t step_bad[] = {0, 16, 23, 25, 32};
	for (unsigned i = 0; i < sizeof(step_bad) / sizeof(step_bad[0]); i++) {
		raw(16 + step_bad[i], OC_PROTO_VERSION, OC_MSG_PACK_CHECKED, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	}
	raw(16 + 24, OC_PROTO_VERSION, OC_MSG_PACK_CONFIRMED, 0);
	assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	/* Lines, a region, an order key or an amount cannot be sent, with flags or without. */
	for (unsigned with = 0; with < 2; with++) {
		const struct oc_command ok = {.type = OC_CMD_PACK_CONFIRMED, .key = 1, .customer = 2,
					      .flags = with ? OC_PACK_QC_FAILED : 0};
		c = ok;
		c.line_count = 1;
		c.lines[0] = (struct oc_line){100001, 1, 0};
		assert_int_equal(oc_proto_command_bytes(&c), 0);
		EXPECT_NO_ROOM(ok, region, 1);
		EXPECT_NO_ROOM(ok, order_key, 1);
		EXPECT_NO_ROOM(ok, amount_cents, 1);
		assert_int_equal(oc_proto_encode_command(buf, with ? 16 + 23 : 16 + 15, 1, &ok), 0);
	}
	/* The other unflagged steps still refuse flags: only a pack has a frame for them. */
	static const uint8_t bare[] = {OC_CMD_CANCEL, OC_CMD_PICK_CONFIRMED, OC_CMD_SHIPPED,
				       OC_CMD_DELIVERED, OC_CMD_PAYMENT_AUTHORIZED,
				       OC_CMD_PAYMENT_DECLINED};
	for (unsigned i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
		c = (struct oc_command){.type = bare[i], .key = 1, .customer = 2,
					.flags = OC_PACK_QC_FAILED};
		assert_int_equal(oc_proto_command_bytes(&c), 0);
	}

	/* Events: a failed check accepted (the order stays picked) is a fulfilment event, as a
	 * pack is; not its rejection (invalid_state: not picked), nor a row of it. */
	struct oc_response r = {.type = OC_CMD_PACK_CONFIRMED, .status = OC_STATUS_ACCEPTED,
				.state = OC_STATE_PICKED, .payment = OC_PAYMENT_PREPAID};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r.state = OC_STATE_PACKED;
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r.flags = OC_RESPONSE_DUPLICATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = OC_RESPONSE_ROW;
	r.state = OC_STATE_PICKED;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = 0;
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_INVALID_STATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.reason = OC_REJECT_MALFORMED; /* a bit other than OC_PACK_QC_FAILED */
	assert_int_equal(oc_proto_event_kind(&r), 0);
}

/* A screened place (47; docs/protocol.md): a place's 24 bytes, struct oc_screen's 40 (the
 * e-mail, card and address hashes u64 at 24, 32, 40, the billing and shipping countries at 48
 * and 50, the account's age u16 at 52, the postal code's ten bytes at 54), then the lines at
 * 64. Its flags must have OC_PLACE_SCREEN and not OC_PLACE_REPLACEMENT (a place, 16, and a
 * replacement, 45, must not have it), and its postal code is NUL-padded; the rest (the
 * countries, hashes of 0, an account of any age, other flags) passes through for the engine
 * to judge. */
static void test_screened_place_frame(void **state)
{
	assert_int_equal(OC_MSG_PLACE_SCREENED, 47);
	struct oc_command c = {.type = OC_CMD_PLACE, .region = 0x0102,
			       .key = 0x0102030405060708ull, .customer = 0x1112131415161718ull,
			       .flags = OC_PLACE_SCREEN,
			       .screen = {.email_hash = 0x2122232425262728ull,
					  .card_hash = 0x3132333435363738ull,
					  .address_hash = 0x4142434445464748ull,
					  .bill_country = {'G', 'B'}, .ship_country = {'U', 'S'},
					  .account_age_days = 0x5152, .postal_code = "94105"}},
			  d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX], pbuf[OC_PROTO_FRAME_BYTES_MAX];
	size_t n = 0;
	for (uint32_t lines = 1; lines <= OC_ORDER_LINES_MAX; lines += 15) {
		c.line_count = (uint8_t)lines;
		for (uint32_t i = 0; i < lines; i++)
			c.lines[i] = (struct oc_line){0x6162636465666768ull + i, i + 1, 0};
		assert_int_equal(oc_proto_command_bytes(&c), 16 + 64 + 16 * lines);
		n = oc_proto_encode_command(buf, sizeof(buf), 150 + lines, &c);
		assert_int_equal(n, 16 + OC_PROTO_SCREENED_BODY_BYTES + 16 * lines);
		check_prefixes(buf, n, OC_MSG_PLACE_SCREENED, 150 + lines);
		assert_int_equal(buf[16 + 18], lines);
		assert_int_equal(buf[16 + 20], OC_PLACE_SCREEN);
		assert_int_equal(buf[16 + 24], 0x28); /* the e-mail hash at 24, little-endian */
		assert_int_equal(buf[16 + 31], 0x21);
		assert_int_equal(buf[16 + 32], 0x38); /* the card's at 32 */
		assert_int_equal(buf[16 + 40], 0x48); /* the address's at 40 */
		assert_memory_equal(buf + 16 + 48, "GBUS", 4);
		assert_int_equal(buf[16 + 52], 0x52); /* the account's age at 52 */
		assert_int_equal(buf[16 + 53], 0x51);
		static const char postal[10] = "94105";
		assert_memory_equal(buf + 16 + 54, postal, 10);
		assert_int_equal(buf[16 + 64], 0x68); /* the first line at 64 */
		/* The place's fields and lines are a place frame's, with the screen between. */
		struct oc_command place = c;
		place.flags = 0;
		memset(&place.screen, 0, sizeof(place.screen));
		assert_int_equal(oc_proto_encode_command(pbuf, sizeof(pbuf), 1, &place),
				 16 + 24 + 16 * lines);
		assert_memory_equal(pbuf + 16, buf + 16, 20);
		assert_memory_equal(pbuf + 16 + 24, buf + 16 + 64, 16 * lines);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_memory_equal(&d.screen, &c.screen, sizeof(c.screen));
		memcpy(good, buf, n);
		expect_reserved(good, n, 19, 20);
		memcpy(buf, good, n);
		buf[16 + 18] = (uint8_t)(lines + 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	}
	const struct oc_command screened = c; /* 16 lines, encoded in good */
	/* The postal code's padding is reserved: a byte after its first NUL (at 54 + 5) is a
	 * field error, and a command with one has no frame. A code of all ten bytes has no
	 * NUL. */
	for (unsigned i = 54 + 6; i < 64; i++) {
		memcpy(buf, good, n);
		buf[16 + i] = 'X';
		assert_int_equal(check(n), (int)n);
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
	EXPECT_NO_ROOM(screened, screen.postal_code[9], 'X');
	c = screened;
	memcpy(c.screen.postal_code, "A1B-2C3 D4", 10);
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_not_equal(n, 0);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(d.screen.postal_code, "A1B-2C3 D4", 10);
	/* What the engine judges passes through: countries that are none, no hashes, no postal
	 * code, the card flag and a bit it does not know. */
	c = screened;
	c.flags = OC_PLACE_SCREEN | OC_PLACE_CARD | 0x10;
	c.screen = (struct oc_screen){.bill_country = {'u', 0}, .ship_country = {'J', 'P'},
				      .account_age_days = UINT16_MAX};
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(buf[5], OC_MSG_PLACE_SCREENED);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	expect_command(&d, &c);
	assert_memory_equal(&d.screen, &c.screen, sizeof(c.screen));
	/* The flags must say what the frame carries: a 47 without the screen flag or with the
	 * replacement's, a place (16) or a replacement (45) with the screen flag. */
	static const uint8_t bad_flags[] = {0, OC_PLACE_CARD, OC_PLACE_SCREEN | OC_PLACE_REPLACEMENT,
					    OC_PLACE_REPLACEMENT};
	n = oc_proto_encode_command(good, sizeof(good), 1, &screened);
	for (unsigned i = 0; i < sizeof(bad_flags); i++) {
		memcpy(buf, good, n);
		buf[16 + 20] = bad_flags[i];
		assert_int_equal(check(n), (int)n);
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
	c = screened;
	c.flags = OC_PLACE_CARD;
	memset(&c.screen, 0, sizeof(c.screen));
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(buf[5], OC_MSG_PLACE);
	buf[16 + 20] = OC_PLACE_CARD | OC_PLACE_SCREEN;
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	c.flags = OC_PLACE_REPLACEMENT;
	c.order_key = 9;
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(buf[5], OC_MSG_PLACE_REPLACEMENT);
	buf[16 + 20] = OC_PLACE_REPLACEMENT | OC_PLACE_SCREEN;
	assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	/* No frame has room for a screened replacement (an order key and a screen), for a screen
	 * without the flag, or for a screened place's order key or amount. */
	EXPECT_NO_ROOM(screened, flags, OC_PLACE_SCREEN | OC_PLACE_REPLACEMENT);
	EXPECT_NO_ROOM(screened, flags, OC_PLACE_CARD);
	EXPECT_NO_ROOM(screened, order_key, 1);
	EXPECT_NO_ROOM(screened, amount_cents, 1);
	EXPECT_NO_ROOM(screened, line_count, 0);
	EXPECT_NO_ROOM(screened, line_count, OC_ORDER_LINES_MAX + 1);
	c = screened;
	c.flags = OC_PLACE_SCREEN | OC_PLACE_REPLACEMENT;
	memset(&c.screen, 0, sizeof(c.screen));
	c.order_key = 9;
	assert_int_equal(oc_proto_command_bytes(&c), 0);
	assert_int_equal(oc_proto_encode_command(buf, 16 + 64 + 16 * 16 - 1, 1, &screened), 0);
	/* At any other length: body_length. */
	static const uint32_t screened_bad[] = {0, 24, 32, 63, 65, 64 + 8, 64 + 17};
	for (unsigned i = 0; i < sizeof(screened_bad) / sizeof(screened_bad[0]); i++) {
		raw(16 + screened_bad[i], OC_PROTO_VERSION, OC_MSG_PLACE_SCREENED, 0);
		assert_int_equal(check(sizeof(buf)), -OC_PERR_BODY_LENGTH);
	}
	/* Events: a screened place accepted is an orders event, held for review (state on_hold,
	 * reason the rule) or not; a rejected one (blocked, a rule's score) is none. */
	struct oc_response r = {.type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
				.reason = OC_REJECT_NEW_ACCOUNT, .state = OC_STATE_ON_HOLD,
				.payment = OC_PAYMENT_PREPAID, .amount_cents = 60000};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_ORDERS);
	r.reason = OC_REJECT_NONE;
	r.state = OC_STATE_ALLOCATED;
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_ORDERS);
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_BLOCKED;
	r.state = OC_STATE_REJECTED;
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_REJECTS);
}

/* A review's approval (48) and rejection (49) are a cancel's body, steps without flags; a
 * block list change (50) is the operator (u64 at 0), the hash (order_key, u64 at 8), the flags
 * (u32 at 16: the kind, OC_BLOCK_REMOVE) and a zero u32, no key. The flags pass through for
 * the engine to judge. Events: an approval is a fulfilment step, a rejection a cancel, a
 * block list change a kind of its own (64). */
static void test_review_and_block_frames(void **state)
{
	struct oc_command c, d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX];
	static const struct {
		uint8_t command, message;
	} reviews[] = {{OC_CMD_REVIEW_APPROVE, OC_MSG_REVIEW_APPROVE},
		       {OC_CMD_REVIEW_REJECT, OC_MSG_REVIEW_REJECT}};
	for (unsigned t = 0; t < 2; t++) {
		const struct oc_command ok = {.type = reviews[t].command,
					      .key = 0x0102030405060708ull,
					      .customer = 0x1112131415161718ull};
		c = ok;
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 160 + t, &c);
		assert_int_equal(n, 16 + OC_PROTO_CANCEL_BODY_BYTES);
		check_prefixes(buf, n, reviews[t].message, 160 + t);
		assert_int_equal(buf[5], 48 + t);
		struct oc_command cancel = {.type = OC_CMD_CANCEL, .key = c.key,
					    .customer = c.customer};
		assert_int_equal(oc_proto_encode_command(good, sizeof(good), 1, &cancel), 32);
		assert_memory_equal(good + 16, buf + 16, 16); /* a cancel's body */
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		EXPECT_NO_ROOM(ok, flags, 1);
		EXPECT_NO_ROOM(ok, line_count, 1);
		EXPECT_NO_ROOM(ok, region, 1);
		EXPECT_NO_ROOM(ok, order_key, 1);
		static const uint32_t review_bad[] = {0, 8, 15, 17, 24};
		for (unsigned i = 0; i < sizeof(review_bad) / sizeof(review_bad[0]); i++) {
			raw(16 + review_bad[i], OC_PROTO_VERSION, reviews[t].message, 0);
			assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
		}
	}
	/* block list changes */
	static const uint32_t block_flags[] = {OC_BLOCK_EMAIL, OC_BLOCK_CARD | OC_BLOCK_REMOVE,
					       OC_BLOCK_ADDRESS, 0, 0xffffffffu};
	const struct oc_command block = {.type = OC_CMD_BLOCK, .customer = 0x0807060504030201ull,
					 .order_key = 0x1112131415161718ull};
	for (unsigned k = 0; k < sizeof(block_flags) / sizeof(block_flags[0]); k++) {
		c = block;
		c.flags = block_flags[k];
		assert_int_equal(oc_proto_command_bytes(&c), 16 + 24);
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 170 + k, &c);
		assert_int_equal(n, 16 + OC_PROTO_BLOCK_BODY_BYTES);
		check_prefixes(buf, n, OC_MSG_BLOCK, 170 + k);
		assert_int_equal(buf[5], 50);
		assert_int_equal(buf[16], 0x01);     /* the operator at 0 */
		assert_int_equal(buf[16 + 8], 0x18); /* the hash at 8 */
		uint32_t flags_le = htole32(c.flags);
		assert_memory_equal(buf + 16 + 16, &flags_le, 4); /* the flags at 16 */
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_int_equal(d.key, 0);
		memcpy(good, buf, n);
		expect_reserved(good, n, 20, 24);
	}
	c = (struct oc_command){.type = OC_CMD_BLOCK}; /* operator and hash 0: the engine's call */
	assert_int_equal(oc_proto_command_bytes(&c), 16 + 24);
	EXPECT_NO_ROOM(block, key, 1); /* not keyed: its body has no key */
	EXPECT_NO_ROOM(block, line_count, 1);
	EXPECT_NO_ROOM(block, region, 1);
	EXPECT_NO_ROOM(block, amount_cents, 1);
	static const uint32_t block_bad[] = {0, 16, 23, 25, 32};
	for (unsigned i = 0; i < sizeof(block_bad) / sizeof(block_bad[0]); i++) {
		raw(16 + block_bad[i], OC_PROTO_VERSION, OC_MSG_BLOCK, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	}

	/* Events: an approval done is a fulfilment step (the order allocated, or a card's in
	 * payment_pending: its authorization request), a rejection done a cancel, a block list
	 * change done a blocks event; not their repeats, refusals or rows. */
	struct oc_response r = {.type = OC_CMD_REVIEW_APPROVE, .status = OC_STATUS_ACCEPTED,
				.state = OC_STATE_ALLOCATED, .payment = OC_PAYMENT_PREPAID};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r.state = OC_STATE_PAYMENT_PENDING;
	r.payment = OC_PAYMENT_PENDING;
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r = (struct oc_response){.type = OC_CMD_REVIEW_REJECT, .status = OC_STATUS_ACCEPTED,
				 .state = OC_STATE_CANCELLED, .payment = OC_PAYMENT_REFUNDED};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_CANCELS);
	r = (struct oc_response){.type = OC_CMD_BLOCK, .status = OC_STATUS_ACCEPTED};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_BLOCKS);
	static const uint8_t all[3] = {OC_CMD_REVIEW_APPROVE, OC_CMD_REVIEW_REJECT, OC_CMD_BLOCK};
	for (unsigned i = 0; i < 3; i++) {
		r = (struct oc_response){.type = all[i], .status = OC_STATUS_ACCEPTED,
					 .flags = OC_RESPONSE_DUPLICATE};
		assert_int_equal(oc_proto_event_kind(&r), 0);
		r.flags = OC_RESPONSE_ROW;
		assert_int_equal(oc_proto_event_kind(&r), 0);
		r.flags = 0;
		r.status = OC_STATUS_REJECTED;
		r.reason = i < 2 ? OC_REJECT_INVALID_STATE : OC_REJECT_NOT_ENABLED;
		assert_int_equal(oc_proto_event_kind(&r), 0);
	}
	assert_int_equal(OC_EVENT_BLOCKS, 64);
	uint32_t kinds;
	oc_proto_encode_subscribe(buf, sizeof(buf), 1, OC_EVENT_BLOCKS);
	assert_int_equal(oc_proto_decode_subscribe(buf, &kinds), 0);
	assert_int_equal(kinds, OC_EVENT_BLOCKS);
}

/* Documents (docs/lifecycle.md, "Documents", "Waves"): a row flagged document is an event of
 * kind documents (128) — a pack's slip line or label, a shipment's invoice line, a released
 * wave's pick line or its own row, unsolicited or not —, where a query's row is none and a
 * document flag without the row flag is nothing. The kind is a subscribe bit (511 all kinds
 * since rejects came, 512 a field error), and an event frame carries a document row field for
 * field. */
static void test_documents_are_events(void **state)
{
	(void)state;
	static const uint8_t kinds[] = {OC_DOC_SLIP_LINE, OC_DOC_LABEL, OC_DOC_INVOICE_LINE,
					OC_DOC_PICK_LINE, OC_DOC_WAVE};
	for (unsigned i = 0; i < sizeof(kinds); i++) {
		struct oc_response r = {.seq = 9, .key = 4, .type = OC_CMD_PACK_CONFIRMED,
					.status = OC_STATUS_ACCEPTED,
					.flags = OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT,
					.shipments = kinds[i], .warehouse = 3,
					.original_seq = 0x1234567890abcdefull,
					.amount_cents = (uint64_t)250 << 32 | 7,
					.refunded_cents = OC_LABEL_PACK(1500, 2, 4, 1)};
		assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_DOCUMENTS);
		r.flags |= OC_RESPONSE_UNSOLICITED; /* a pick list */
		assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_DOCUMENTS);
		size_t n = oc_proto_encode_event(buf, sizeof(buf), 77, &r);
		assert_int_equal(n, OC_PROTO_HEADER_BYTES + OC_PROTO_EVENT_BODY_BYTES);
		struct oc_response back;
		assert_int_equal(oc_proto_decode_event(buf, &back), 0);
		assert_memory_equal(&back, &r, sizeof(r));
		assert_int_equal(OC_LABEL_WEIGHT_G(&back), 1500);
		assert_int_equal(OC_LABEL_SERVICE(&back), 2);
		assert_int_equal(OC_LABEL_ZONE(&back), 4);
		assert_int_equal(OC_LABEL_DAYS(&back), 1);
		r.flags = OC_RESPONSE_DOCUMENT;
		assert_int_equal(oc_proto_event_kind(&r), 0);
	}
	struct oc_response query_row = {.type = OC_CMD_QUERY_HISTORY, .status = OC_STATUS_ACCEPTED,
					.flags = OC_RESPONSE_ROW};
	assert_int_equal(oc_proto_event_kind(&query_row), 0);
	assert_int_equal(OC_EVENT_DOCUMENTS, 128);
	assert_int_equal(OC_EVENT_ALL, 511);
	uint32_t got;
	oc_proto_encode_subscribe(buf, sizeof(buf), 1, OC_EVENT_DOCUMENTS);
	assert_int_equal(oc_proto_decode_subscribe(buf, &got), 0);
	assert_int_equal(got, OC_EVENT_DOCUMENTS);
	oc_proto_encode_subscribe(buf, sizeof(buf), 1, OC_EVENT_ALL);
	assert_int_equal(oc_proto_decode_subscribe(buf, &got), 0);
	oc_proto_encode_subscribe(buf, sizeof(buf), 1, 512);
	assert_int_equal(oc_proto_decode_subscribe(buf, &got), -OC_PERR_FIELD);
}

/* A place's days in transit (OC_PLACE_DAYS, bits 4-6 of its flags) are the engine's to judge:
 * a place (16) and a screened place (47) carry every value 0-7 in their flags at 20, beside
 * the card, account and channel bits, and decode to them; a replacement (45) with days passes
 * through too (the engine answers malformed: it ships at its order's speed). */
static void test_place_days_pass_through(void **state)
{
	(void)state;
	struct oc_command d;
	for (uint32_t days = 0; days <= 7; days++) {
		struct oc_command c = {.type = OC_CMD_PLACE, .line_count = 1, .key = 5,
				       .customer = 6, .lines = {{100001, 2, 0}},
				       .flags = OC_PLACE_DAYS(days) | OC_PLACE_CARD |
						OC_PLACE_CHANNEL(OC_CHANNEL_STORE)};
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
		assert_int_equal(n, 16 + 24 + 16);
		assert_int_equal(buf[5], OC_MSG_PLACE);
		assert_int_equal(buf[16 + 20], (days << 4) | OC_PLACE_CARD);
		assert_int_equal(buf[16 + 21], OC_CHANNEL_STORE);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_int_equal(OC_PLACE_DAYS_OF(d.flags), days);
		c.flags = OC_PLACE_SCREEN | OC_PLACE_ACCOUNT | OC_PLACE_DAYS(days);
		c.screen = (struct oc_screen){.bill_country = {'U', 'S'},
					      .ship_country = {'U', 'S'}};
		n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
		assert_int_equal(n, 16 + 64 + 16);
		assert_int_equal(buf[5], OC_MSG_PLACE_SCREENED);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		assert_memory_equal(&d.screen, &c.screen, sizeof(c.screen));
		assert_int_equal(OC_PLACE_DAYS_OF(d.flags), days);
	}
	struct oc_command repl = {.type = OC_CMD_PLACE, .line_count = 1, .key = 7, .customer = 6,
				  .lines = {{100001, 1, 0}}, .order_key = 5,
				  .flags = OC_PLACE_REPLACEMENT | OC_PLACE_DAYS(1)};
	assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 1, &repl), 16 + 32 + 16);
	assert_int_equal(buf[5], OC_MSG_PLACE_REPLACEMENT);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	expect_command(&d, &repl);
	assert_int_equal(OC_PLACE_DAYS_OF(d.flags), 1);
}

/* Analytics (docs/lifecycle.md, "Analytics"): a place rejected is an event of kind rejects
 * (256), with its reason and the channel in bits 5-7 of its flags; no other refusal is, nor a
 * rejected place's duplicate; an accepted place keeps its kind whatever its channel. */
static void test_rejects_and_channels(void **state)
{
	(void)state;
	struct oc_response r = {.type = OC_CMD_PLACE, .status = OC_STATUS_REJECTED,
				.reason = OC_REJECT_OUT_OF_STOCK, .state = OC_STATE_REJECTED,
				.flags = OC_CHANNEL_MARKETPLACE << OC_RESPONSE_CHANNEL_SHIFT};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_REJECTS);
	assert_int_equal(OC_RESPONSE_CHANNEL(&r), OC_CHANNEL_MARKETPLACE);
	size_t n = oc_proto_encode_event(buf, sizeof(buf), 3, &r);
	struct oc_response back;
	assert_int_equal(n, OC_PROTO_HEADER_BYTES + OC_PROTO_EVENT_BODY_BYTES);
	assert_int_equal(oc_proto_decode_event(buf, &back), 0);
	assert_int_equal(OC_RESPONSE_CHANNEL(&back), OC_CHANNEL_MARKETPLACE);
	r.flags |= OC_RESPONSE_DUPLICATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = 0;
	r.type = OC_CMD_CANCEL;
	r.reason = OC_REJECT_NOT_CANCELLABLE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r = (struct oc_response){.type = OC_CMD_PLACE, .status = OC_STATUS_ACCEPTED,
				 .state = OC_STATE_ALLOCATED,
				 .flags = OC_CHANNEL_APP << OC_RESPONSE_CHANNEL_SHIFT};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_ORDERS);
	assert_int_equal(OC_PLACE_CHANNEL_OF(OC_PLACE_CHANNEL(OC_CHANNEL_STORE) | OC_PLACE_CARD),
			 OC_CHANNEL_STORE);
	assert_string_equal(oc_channel_name(OC_CHANNEL_PHONE), "phone");
	assert_string_equal(oc_channel_name(OC_CHANNEL_COUNT), "unknown");
}

/* A short pick (51; docs/protocol.md): an RMA's body (key, customer, order key, then the
 * line count at 25 and the lines as a place's) with the warehouse in the u16 at 26, which an
 * RMA keeps zero, and its flags in the byte at 24, an RMA's reason (OC_PICK_SHORT_BACKORDER
 * the only one). It round-trips at these offsets, is the RMA's frame of the same fields but
 * for those bytes, is refused at other lengths and line counts, with its reserved bytes set
 * and with a flag it does not know; it has no room for other flags or an amount (the value
 * cut is the answer's). Events: a short pick done is a fulfilment event,
 * one that cut every unit (state cancelled) too; not its repeat, refusal or row. */
static void test_short_pick_frame(void **state)
{
	struct oc_command c, d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX];
	for (uint32_t lines = 1; lines <= OC_ORDER_LINES_MAX; lines += 15) {
		c = (struct oc_command){.type = OC_CMD_PICK_SHORT, .line_count = (uint8_t)lines,
					.region = 0x0102, .key = 0x0102030405060708ull,
					.customer = 0x1112131415161718ull,
					.order_key = 0x2122232425262728ull,
					.flags = lines > 1 ? OC_PICK_SHORT_BACKORDER : 0};
		for (uint32_t i = 0; i < lines; i++)
			c.lines[i] =
				(struct oc_line){0x3132333435363738ull + i, 0x41424344u + i, 0};
		size_t n = oc_proto_encode_command(buf, sizeof(buf), 180 + lines, &c);
		assert_int_equal(n, 16 + 32 + 16 * lines);
		assert_int_equal(n, oc_proto_command_bytes(&c));
		check_prefixes(buf, n, OC_MSG_PICK_SHORT, 180 + lines);
		assert_int_equal(buf[5], 51);
		assert_int_equal(buf[16 + 16], 0x28);  /* the order key at 16 */
		assert_int_equal(buf[16 + 24], c.flags); /* the flags where an RMA has its reason */
		assert_int_equal(buf[16 + 25], lines); /* the line count at 25 */
		assert_int_equal(buf[16 + 26], 0x02);  /* the warehouse at 26 */
		assert_int_equal(buf[16 + 27], 0x01);
		assert_int_equal(buf[16 + 32], 0x38);  /* line 0 at 32 */
		struct oc_command rma = c;
		rma.type = OC_CMD_RETURN_REQUESTED;
		rma.region = 0;
		rma.flags = OC_RETURN_OTHER;
		assert_int_equal(oc_proto_encode_command(good, sizeof(good), 180 + lines, &rma), n);
		assert_memory_equal(good, buf, 5); /* all but the type, the reason, the warehouse */
		assert_memory_equal(good + 6, buf + 6, 16 + 24 - 6);
		assert_int_equal(good[16 + 25], buf[16 + 25]);
		assert_memory_equal(good + 16 + 28, buf + 16 + 28, n - 16 - 28);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &c);
		memcpy(good, buf, n);
		expect_reserved(good, n, 28, 32);
		for (uint8_t bit = OC_PICK_SHORT_BACKORDER << 1; bit; bit = (uint8_t)(bit << 1)) {
			memcpy(buf, good, n);
			buf[16 + 24] = bit; /* a flag it does not know */
			assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
		}
		memcpy(buf, good, n);
		buf[16 + 25] = (uint8_t)(lines + 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
		buf[16 + 25] = (uint8_t)(lines - 1);
		assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	}
	const struct oc_command ok = c;
	EXPECT_NO_ROOM(ok, flags, 2); /* the engine's malformed, but no bit carries it */
	EXPECT_NO_ROOM(ok, flags, 0x100);
	EXPECT_NO_ROOM(ok, line_count, 0);
	EXPECT_NO_ROOM(ok, line_count, OC_ORDER_LINES_MAX + 1);
	EXPECT_NO_ROOM(ok, amount_cents, 1);
	EXPECT_NO_ROOM(ok, screen.account_age_days, 1);
	assert_int_equal(oc_proto_encode_command(buf, 16 + 32 + 16 * 16 - 1, 1, &ok), 0);
	/* What the engine judges passes through: keys 0 (malformed), any warehouse. */
	c = ok;
	c.key = c.customer = c.order_key = 0;
	c.region = UINT16_MAX;
	size_t n = oc_proto_encode_command(buf, sizeof(buf), 1, &c);
	assert_int_equal(n, 16 + 32 + 16 * 16);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	expect_command(&d, &c);
	static const uint32_t short_bad[] = {0, 16, 31, 33, 32 + 15, 32 + 17};
	for (unsigned i = 0; i < sizeof(short_bad) / sizeof(short_bad[0]); i++) {
		raw(16 + short_bad[i], OC_PROTO_VERSION, OC_MSG_PICK_SHORT, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	}
	raw(16 + 32, OC_PROTO_VERSION, OC_MSG_PICK_SHORT, 0); /* no lines: the engine's */
	assert_int_equal(check(48), 48);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.type, OC_CMD_PICK_SHORT);
	assert_int_equal(d.line_count, 0);

	struct oc_response r = {.type = OC_CMD_PICK_SHORT, .status = OC_STATUS_ACCEPTED,
				.shipments = 2, .state = OC_STATE_ALLOCATED};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r.state = OC_STATE_CANCELLED; /* every unit cut */
	r.amount_cents = 500;
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_FULFILMENT);
	r.flags = OC_RESPONSE_DUPLICATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = OC_RESPONSE_ROW;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = 0;
	r.status = OC_STATUS_REJECTED;
	r.reason = OC_REJECT_INVALID_STATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
}

/* B2B credit (docs/protocol.md, "payment received"): a place on account is a place (16) or a
 * screened place (47) with OC_PLACE_ACCOUNT in its flags, which pass through for the engine
 * to judge (a card order on account, a replacement on account: malformed); a payment
 * received (52) is a cancel's body, a step without flags. Answers with the payments on_account
 * and paid and the reason credit_limit decode as any other. Events: a payment received done
 * is a fulfilment event, as an authorization is; an order on account accepted an orders one,
 * its cancel a cancels one; not a refusal (credit_limit, invalid_state), a repeat or a row. */
static void test_credit_frames(void **state)
{
	struct oc_command c, d;
	uint8_t good[OC_PROTO_FRAME_BYTES_MAX];
	assert_int_equal(OC_MSG_PAYMENT_RECEIVED, 52);
	const struct oc_command paid = {.type = OC_CMD_PAYMENT_RECEIVED,
					.key = 0x0102030405060708ull,
					.customer = 0x1112131415161718ull};
	size_t n = oc_proto_encode_command(buf, sizeof(buf), 190, &paid);
	assert_int_equal(n, 16 + OC_PROTO_CANCEL_BODY_BYTES);
	assert_int_equal(n, oc_proto_command_bytes(&paid));
	check_prefixes(buf, n, OC_MSG_PAYMENT_RECEIVED, 190);
	assert_int_equal(buf[5], 52);
	struct oc_command cancel = {.type = OC_CMD_CANCEL, .key = paid.key,
				    .customer = paid.customer};
	assert_int_equal(oc_proto_encode_command(good, sizeof(good), 190, &cancel), n);
	assert_memory_equal(good + 16, buf + 16, 16); /* a cancel's body: every byte a value */
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	expect_command(&d, &paid);
	assert_int_equal(d.flags, 0);
	EXPECT_NO_ROOM(paid, flags, 1);
	EXPECT_NO_ROOM(paid, line_count, 1);
	EXPECT_NO_ROOM(paid, region, 1);
	EXPECT_NO_ROOM(paid, order_key, 1);
	EXPECT_NO_ROOM(paid, amount_cents, 1);
	EXPECT_NO_ROOM(paid, screen.card_hash, 1);
	assert_int_equal(oc_proto_encode_command(buf, n - 1, 1, &paid), 0);
	static const uint32_t paid_bad[] = {0, 8, 15, 17, 24};
	for (unsigned i = 0; i < sizeof(paid_bad) / sizeof(paid_bad[0]); i++) {
		raw(16 + paid_bad[i], OC_PROTO_VERSION, OC_MSG_PAYMENT_RECEIVED, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
	}
	raw(16 + 16, OC_PROTO_VERSION, OC_MSG_PAYMENT_RECEIVED, 1); /* the header's flags */
	assert_int_equal(check(16), -OC_PERR_FIELD);
	raw(16 + 16, OC_PROTO_VERSION, OC_MSG_QUERY_COUNTERS + 1, 0); /* not a type yet */
	assert_int_equal(check(16), -OC_PERR_TYPE);

	/* Places on account: the flag at 20 of a place and of a screened place, beside the
	 * others; the combinations the engine refuses pass through as any flag does. */
	c = (struct oc_command){.type = OC_CMD_PLACE, .key = 5, .customer = 900, .region = 1,
				.line_count = 2, .flags = OC_PLACE_ACCOUNT,
				.lines = {{100001, 1, 0}, {100002, 3, 0}}};
	static const uint32_t account_flags[] = {OC_PLACE_ACCOUNT, OC_PLACE_ACCOUNT | OC_PLACE_CARD,
						 OC_PLACE_ACCOUNT | OC_PLACE_SCREEN,
						 OC_PLACE_ACCOUNT | OC_PLACE_REPLACEMENT};
	static const uint8_t account_msg[] = {OC_MSG_PLACE, OC_MSG_PLACE, OC_MSG_PLACE_SCREENED,
					      OC_MSG_PLACE_REPLACEMENT};
	static const uint32_t account_fixed[] = {24, 24, 64, 32};
	for (unsigned i = 0; i < sizeof(account_flags) / sizeof(account_flags[0]); i++) {
		struct oc_command a = c;
		a.flags = account_flags[i];
		if (a.flags & OC_PLACE_SCREEN)
			memcpy(a.screen.ship_country, "US", 2);
		if (a.flags & OC_PLACE_REPLACEMENT)
			a.order_key = 4;
		n = oc_proto_encode_command(buf, sizeof(buf), 191 + i, &a);
		assert_int_equal(n, 16 + account_fixed[i] + 2 * 16);
		check_prefixes(buf, n, account_msg[i], 191 + i);
		uint32_t flags_le = htole32(a.flags);
		assert_memory_equal(buf + 16 + 20, &flags_le, 4);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(oc_proto_decode_command(buf, &d), 0);
		expect_command(&d, &a);
		assert_memory_equal(&d.screen, &a.screen, sizeof(a.screen));
	}

	/* Answers: the payments on_account (7) and paid (8) at 47, the reason credit_limit (28)
	 * at 42. */
	static const struct oc_response answers[] = {
		{.seq = 7, .key = 5, .original_seq = 7, .customer = 900, .type = OC_CMD_PLACE,
		 .status = OC_STATUS_ACCEPTED, .shipments = 1, .state = OC_STATE_ALLOCATED,
		 .payment = OC_PAYMENT_ON_ACCOUNT, .amount_cents = 6000},
		{.seq = 9, .key = 5, .original_seq = 7, .customer = 900,
		 .type = OC_CMD_PAYMENT_RECEIVED, .status = OC_STATUS_ACCEPTED, .shipments = 1,
		 .state = OC_STATE_DELIVERED, .payment = OC_PAYMENT_PAID, .amount_cents = 6000},
		{.seq = 8, .key = 6, .original_seq = 8, .customer = 900, .type = OC_CMD_PLACE,
		 .status = OC_STATUS_REJECTED, .reason = OC_REJECT_CREDIT_LIMIT,
		 .state = OC_STATE_REJECTED},
	};
	for (unsigned i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		struct oc_response r;
		n = oc_proto_encode_answer(buf, sizeof(buf), 195 + i, &answers[i]);
		check_prefixes(buf, n, OC_MSG_ANSWER, 195 + i);
		assert_int_equal(buf[16 + 42], answers[i].reason);
		assert_int_equal(buf[16 + 47], answers[i].payment);
		assert_int_equal(oc_proto_decode_answer(buf, &r), 0);
		assert_memory_equal(&r, &answers[i], sizeof(r));
		n = oc_proto_encode_event(buf, sizeof(buf), 195 + i, &answers[i]);
		assert_int_equal(oc_proto_decode_event(buf, &r), 0);
		assert_memory_equal(&r, &answers[i], sizeof(r));
	}
	assert_int_equal(OC_PAYMENT_ON_ACCOUNT, 7);
	assert_int_equal(OC_PAYMENT_PAID, 8);
	assert_int_equal(OC_REJECT_CREDIT_LIMIT, 28);

	assert_int_equal(oc_proto_event_kind(&answers[0]), OC_EVENT_ORDERS);
	assert_int_equal(oc_proto_event_kind(&answers[1]), OC_EVENT_FULFILMENT);
	assert_int_equal(oc_proto_event_kind(&answers[2]), OC_EVENT_REJECTS);
	struct oc_response r = answers[1];
	r.flags = OC_RESPONSE_DUPLICATE;
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = OC_RESPONSE_ROW; /* a history's row of the payment */
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r = (struct oc_response){.type = OC_CMD_PAYMENT_RECEIVED, .status = OC_STATUS_REJECTED,
				 .reason = OC_REJECT_INVALID_STATE, .state = OC_STATE_ALLOCATED,
				 .payment = OC_PAYMENT_PREPAID};
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r = (struct oc_response){.type = OC_CMD_CANCEL, .status = OC_STATUS_CANCELLED,
				 .state = OC_STATE_CANCELLED, .payment = OC_PAYMENT_VOIDED,
				 .amount_cents = 6000};
	assert_int_equal(oc_proto_event_kind(&r), OC_EVENT_CANCELS);
}

/* A header with the given length, version, type and flags, and a zero body. */
static void raw(uint32_t len, uint8_t version, uint8_t type, uint16_t flags)
{
	memset(buf, 0, sizeof(buf));
	uint32_t len_le = htole32(len);
	uint16_t flags_le = htole16(flags);
	memcpy(buf, &len_le, 4);
	buf[4] = version;
	buf[5] = type;
	memcpy(buf + 6, &flags_le, 2);
}

static int check(size_t have)
{
	struct oc_proto_header h;
	return oc_proto_frame_check(buf, have, &h);
}

/* The counters query (53): the page's first counter (u16 at 0), six zero bytes; nothing else
 * has room. Its rows and answer are answers, never events. */
static void test_counters_frame(void **state)
{
	struct oc_command c, d;
	assert_int_equal(OC_MSG_QUERY_COUNTERS, 53);
	const struct oc_command page = {.type = OC_CMD_QUERY_COUNTERS, .region = 0x0120};
	c = page;
	size_t n = oc_proto_encode_command(buf, sizeof(buf), 191, &c);
	assert_int_equal(n, 16 + OC_PROTO_QUERY_COUNTERS_BODY_BYTES);
	assert_int_equal(n, 16 + 8);
	assert_int_equal(n, oc_proto_command_bytes(&c));
	check_prefixes(buf, n, OC_MSG_QUERY_COUNTERS, 191);
	assert_int_equal(buf[5], 53);
	assert_int_equal(buf[16], 0x20); /* the first counter at 0 */
	assert_int_equal(buf[17], 0x01);
	for (unsigned i = 2; i < 8; i++)
		assert_int_equal(buf[16 + i], 0);
	memset(&d, 0xee, sizeof(d));
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_memory_equal(&d, &c, offsetof(struct oc_command, seq));
	assert_int_equal(d.order_key, 0);
	assert_int_equal(d.amount_cents, 0);
	for (unsigned i = 2; i < 8; i++) { /* each of the six zero bytes */
		assert_int_equal(oc_proto_encode_command(buf, sizeof(buf), 191, &c), n);
		buf[16 + i] = 1;
		assert_int_equal(oc_proto_decode_command(buf, &d), -OC_PERR_FIELD);
	}
	/* A key, a customer, flags, a line: no room (the engine would answer a key, flags or a
	 * line malformed: the frame cannot say them). */
	EXPECT_NO_ROOM(page, key, 1);
	EXPECT_NO_ROOM(page, customer, 1);
	EXPECT_NO_ROOM(page, flags, 1);
	EXPECT_NO_ROOM(page, line_count, 1);
	EXPECT_NO_ROOM(page, order_key, 1);
	EXPECT_NO_ROOM(page, amount_cents, 1);
	/* Any other length: body_length, from the header on; eight zeros: the first page. */
	static const uint32_t bad[] = {0, 7, 9, 16};
	for (unsigned i = 0; i < 4; i++) {
		raw(16 + bad[i], OC_PROTO_VERSION, OC_MSG_QUERY_COUNTERS, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
		assert_int_equal(check(16 + bad[i]), -OC_PERR_BODY_LENGTH);
	}
	raw(16 + 8, OC_PROTO_VERSION, OC_MSG_QUERY_COUNTERS, 0);
	assert_int_equal(check(16 + 8), 16 + 8);
	assert_int_equal(oc_proto_decode_command(buf, &d), 0);
	assert_int_equal(d.type, OC_CMD_QUERY_COUNTERS);
	assert_int_equal(d.region, 0);
	raw(16 + 8, OC_PROTO_VERSION, OC_MSG_QUERY_COUNTERS, 1); /* header flags */
	assert_int_equal(check(16 + 8), -OC_PERR_FIELD);
	/* A row and the answer: answers, not events. */
	struct oc_response r = {.type = OC_CMD_QUERY_COUNTERS, .status = OC_STATUS_ACCEPTED,
				.flags = OC_RESPONSE_ROW, .original_seq = OC_COUNTER_ACCEPTED,
				.amount_cents = 7};
	assert_int_equal(oc_proto_event_kind(&r), 0);
	r.flags = OC_RESPONSE_MORE;
	r.original_seq = OC_COUNTER_COUNT;
	assert_int_equal(oc_proto_event_kind(&r), 0);
}

static void test_bad_frames_refused_with_their_code(void **state)
{
	const uint32_t max = OC_PROTO_FRAME_BYTES_MAX;
	/* Lengths out of range are refused from the first 4 bytes, before any body. */
	static const uint32_t bad_len[] = {0, 1, 15, max + 1, 1u << 20, UINT32_MAX};
	for (unsigned i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		raw(bad_len[i], OC_PROTO_VERSION, OC_MSG_CANCEL, 0);
		assert_int_equal(check(4), -OC_PERR_FRAME_LENGTH);
	}
	/* In range but wrong for the type: the fixed-size types want their exact length. */
	static const uint32_t in_range[] = {16, max - 1, max};
	for (unsigned i = 0; i < 3; i++) {
		raw(in_range[i], OC_PROTO_VERSION, OC_MSG_CANCEL, 0);
		assert_int_equal(check(16), -OC_PERR_BODY_LENGTH);
		raw(in_range[i], OC_PROTO_VERSION, OC_MSG_PLACE, 0); /* (len - 40) % 16 != 0 */
		assert_int_equal(check(sizeof(buf)), -OC_PERR_BODY_LENGTH);
		raw(in_range[i], OC_PROTO_VERSION, OC_MSG_HELLO, 0); /* token too long or none */
		assert_int_equal(check(sizeof(buf)), -OC_PERR_BODY_LENGTH);
	}
	/* The largest place the length allows (61 lines) is well formed on the wire; the
	 * engine answers it too_many_lines. */
	uint32_t lines = (max - 40) / 16;
	raw(40 + 16 * lines, OC_PROTO_VERSION, OC_MSG_PLACE, 0);
	buf[16 + 18] = (uint8_t)lines;
	assert_int_equal(check(sizeof(buf)), 40 + 16 * lines);
	struct oc_command c;
	assert_int_equal(oc_proto_decode_command(buf, &c), 0);
	assert_int_equal(c.line_count, lines);
	/* Version, type, flags. */
	raw(32, 1, OC_MSG_CANCEL, 0); /* version 1: answers of 32 bytes, no refunds */
	assert_int_equal(check(16), -OC_PERR_VERSION);
	raw(32, OC_PROTO_VERSION + 1, OC_MSG_CANCEL, 0);
	assert_int_equal(check(16), -OC_PERR_VERSION);
	raw(32, 0, OC_MSG_CANCEL, 0);
	assert_int_equal(check(16), -OC_PERR_VERSION);
	raw(32, OC_PROTO_VERSION, 99, 0);
	assert_int_equal(check(16), -OC_PERR_TYPE);
	raw(32, OC_PROTO_VERSION, 0, 0);
	assert_int_equal(check(16), -OC_PERR_TYPE);
	raw(32, OC_PROTO_VERSION, OC_MSG_CANCEL, 1);
	assert_int_equal(check(16), -OC_PERR_FIELD);
	/* Inner lengths that disagree with the frame length. */
	size_t n = oc_proto_encode_hello(buf, sizeof(buf), 1, "abc", 3);
	buf[16 + 2] = 4; /* token_bytes 4 in a frame that holds 3 */
	assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	assert_int_equal(check(20), -OC_PERR_BODY_LENGTH); /* seen as soon as it is there */
	struct oc_command cmd = {.type = OC_CMD_PLACE, .line_count = 3};
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &cmd);
	buf[16 + 18] = 2;
	assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	buf[16 + 18] = 4;
	assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	n = oc_proto_encode_error(buf, sizeof(buf), 1, OC_PERR_TYPE, "abc");
	buf[16 + 2] = 200;
	assert_int_equal(check(n), -OC_PERR_BODY_LENGTH);
	/* Reserved body fields: refused by the decoders. */
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &cmd);
	buf[16 + 19] = 1;
	assert_int_equal(check(n), (int)n);
	assert_int_equal(oc_proto_decode_command(buf, &c), -OC_PERR_FIELD);
	n = oc_proto_encode_hello(buf, sizeof(buf), 1, "abc", 3);
	buf[16 + 5] = 1;
	struct oc_proto_hello hello;
	assert_int_equal(oc_proto_decode_hello(buf, &hello), -OC_PERR_FIELD);
	/* The engine's own fields pass through for the engine to judge (malformed). */
	cmd.flags = OC_PLACE_CARD | 0x10;
	n = oc_proto_encode_command(buf, sizeof(buf), 1, &cmd);
	assert_int_equal(oc_proto_decode_command(buf, &c), 0);
	assert_int_equal(c.flags, OC_PLACE_CARD | 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_type_round_trips),
	    cmocka_unit_test(test_encoders_refuse_what_does_not_fit),
	    cmocka_unit_test(test_only_a_refund_carries_an_order_key_and_amount),
	    cmocka_unit_test(test_bad_frames_refused_with_their_code),
	    cmocka_unit_test(test_inventory_administration_frames),
	    cmocka_unit_test(test_exceptions_and_returns_frames),
	    cmocka_unit_test(test_pack_checked_frame),
	    cmocka_unit_test(test_screened_place_frame),
	    cmocka_unit_test(test_review_and_block_frames),
	    cmocka_unit_test(test_short_pick_frame),
	    cmocka_unit_test(test_credit_frames),
	    cmocka_unit_test(test_counters_frame),
	    cmocka_unit_test(test_documents_are_events),
	    cmocka_unit_test(test_place_days_pass_through),
	    cmocka_unit_test(test_rejects_and_channels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
