/* proto.c: the codec of the wire protocol (include/ordercore/protocol.h, docs/protocol.md).
 * It owns nothing: it checks frames in caller memory and converts them to and from the
 * engine's structs, reading every integer as little-endian whatever the host. Every length
 * is checked against the frame before anything is read. */
#include <endian.h>
#include <stdbool.h>
#include <string.h>

#include "ordercore/protocol.h"

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* How the frame of an order step carries the command's flags. */
enum step_flags {
	STEP_NO_FLAGS,   /* a cancel's body: the command has none (flags 0 only) */
	STEP_FLAGS,      /* a flagged body: any flags, 0 included (the engine judges them) */
	STEP_SOME_FLAGS, /* a flagged body for flags other than 0 only, beside an entry of the
			  * same command without flags that carries 0: a pack's frame 26 stays
			  * what it was for old readers, and a pack with flags (a failed quality
			  * check) is frame 46. 46 with flags 0 is a field error, so that every
			  * frame that decodes encodes back to itself, as a replacement place
			  * without its flag is. */
};

/* The commands that name an order (a return received: an RMA) by key and customer, and their
 * frames: a cancel's body, or (flagged) a cancel's body and the command's flags (a delivery
 * exception's kind, a return's inspection, a pack's quality check) as a u32 and a zero u32. A
 * command has one frame for each flags value: an entry, or two whose flags split them. A
 * review's approval and rejection are steps without flags, as a payment's answers are and a
 * payment received for an order on account is. */
struct order_step {
	uint8_t command, message;
	uint8_t flags; /* enum step_flags */
};
static const struct order_step order_steps[] = {
	{OC_CMD_CANCEL, OC_MSG_CANCEL, STEP_NO_FLAGS},
	{OC_CMD_PICK_CONFIRMED, OC_MSG_PICK_CONFIRMED, STEP_NO_FLAGS},
	{OC_CMD_PACK_CONFIRMED, OC_MSG_PACK_CONFIRMED, STEP_NO_FLAGS},
	{OC_CMD_PACK_CONFIRMED, OC_MSG_PACK_CHECKED, STEP_SOME_FLAGS},
	{OC_CMD_SHIPPED, OC_MSG_SHIPPED, STEP_NO_FLAGS},
	{OC_CMD_DELIVERED, OC_MSG_DELIVERED, STEP_NO_FLAGS},
	{OC_CMD_PAYMENT_AUTHORIZED, OC_MSG_PAYMENT_AUTHORIZED, STEP_NO_FLAGS},
	{OC_CMD_PAYMENT_DECLINED, OC_MSG_PAYMENT_DECLINED, STEP_NO_FLAGS},
	{OC_CMD_DELIVERY_EXCEPTION, OC_MSG_DELIVERY_EXCEPTION, STEP_FLAGS},
	{OC_CMD_RETURN_RECEIVED, OC_MSG_RETURN_RECEIVED, STEP_FLAGS},
	{OC_CMD_REVIEW_APPROVE, OC_MSG_REVIEW_APPROVE, STEP_NO_FLAGS},
	{OC_CMD_REVIEW_REJECT, OC_MSG_REVIEW_REJECT, STEP_NO_FLAGS},
	{OC_CMD_PAYMENT_RECEIVED, OC_MSG_PAYMENT_RECEIVED, STEP_NO_FLAGS},
};
#define ORDER_STEPS (sizeof(order_steps) / sizeof(order_steps[0]))

/* Whether a step's frame carries a command with these flags. */
static bool step_carries(const struct order_step *step, uint32_t flags)
{
	switch (step->flags) {
	case STEP_NO_FLAGS: return flags == 0;
	case STEP_SOME_FLAGS: return flags != 0;
	default: return true;
	}
}

/* The entry of order_steps of a frame type, or NULL. */
static const struct order_step *order_step_of_message(uint8_t message)
{
	for (size_t i = 0; i < ORDER_STEPS; i++)
		if (order_steps[i].message == message)
			return &order_steps[i];
	return NULL;
}

/* The frames whose body is a fixed part and then lines (16 bytes each: sku u64, quantity u32,
 * reserved u32), with the fixed part's length and the offset of the u8 that counts the lines:
 * a place, an RMA, a replacement place, a screened place, a short pick. One codec reads and
 * writes the lines of all five. */
struct lined_frame {
	uint8_t message, fixed_bytes, count_at;
};
static const struct lined_frame lined_frames[] = {
	{OC_MSG_PLACE, OC_PROTO_PLACE_BODY_BYTES, 18},
	{OC_MSG_RETURN_REQUESTED, OC_PROTO_RMA_BODY_BYTES, 25},
	{OC_MSG_PLACE_REPLACEMENT, OC_PROTO_REPLACEMENT_BODY_BYTES, 18},
	{OC_MSG_PLACE_SCREENED, OC_PROTO_SCREENED_BODY_BYTES, 18},
	{OC_MSG_PICK_SHORT, OC_PROTO_PICK_SHORT_BODY_BYTES, 25},
};
#define LINED_FRAMES (sizeof(lined_frames) / sizeof(lined_frames[0]))

/* The entry of lined_frames of a frame type, or NULL. */
static const struct lined_frame *lined_frame_of(uint8_t message)
{
	for (size_t i = 0; i < LINED_FRAMES; i++)
		if (lined_frames[i].message == message)
			return &lined_frames[i];
	return NULL;
}

/* The place flags whose fields a place frame type carries: its type must say each one set
 * in its flags, and only those (a replacement's order key, a screened place's screen). */
static uint32_t place_flags_of(uint8_t message)
{
	return message == OC_MSG_PLACE_REPLACEMENT ? OC_PLACE_REPLACEMENT
	       : message == OC_MSG_PLACE_SCREENED  ? OC_PLACE_SCREEN
						   : 0;
}
#define PLACE_FRAME_FLAGS (OC_PLACE_REPLACEMENT | OC_PLACE_SCREEN)

/* Whether a postal code is padded as struct oc_screen says: NULs only after its first NUL
 * (the padding is reserved: a byte there would be carried and ignored). */
static bool postal_padded(const char code[OC_POSTAL_CODE_BYTES])
{
	size_t n = strnlen(code, OC_POSTAL_CODE_BYTES);
	for (size_t i = n; i < OC_POSTAL_CODE_BYTES; i++)
		if (code[i])
			return false;
	return true;
}

/* A screened place's 40 bytes (after the place's 24):
 *
 *    0            8           16             24      26      28        30            40
 *    | email_hash | card_hash | address_hash | bill  | ship  | age u16 | postal_code |
 *
 * the hashes u64, the countries two bytes each, the account's age in days, the postal code
 * ten bytes NUL-padded: struct oc_screen's fields at its offsets (no padding in it). */
static void get_screen(const uint8_t *s, struct oc_screen *out)
{
	out->email_hash = get64(s);
	out->card_hash = get64(s + 8);
	out->address_hash = get64(s + 16);
	memcpy(out->bill_country, s + 24, 2);
	memcpy(out->ship_country, s + 26, 2);
	out->account_age_days = get16(s + 28);
	memcpy(out->postal_code, s + 30, OC_POSTAL_CODE_BYTES);
}

static void put_screen(uint8_t *s, const struct oc_screen *in)
{
	put64(s, in->email_hash);
	put64(s + 8, in->card_hash);
	put64(s + 16, in->address_hash);
	memcpy(s + 24, in->bill_country, 2);
	memcpy(s + 26, in->ship_country, 2);
	put16(s + 28, in->account_age_days);
	memcpy(s + 30, in->postal_code, OC_POSTAL_CODE_BYTES);
}

_Static_assert(offsetof(struct oc_screen, bill_country) == 24 &&
		       offsetof(struct oc_screen, account_age_days) == 28 &&
		       offsetof(struct oc_screen, postal_code) == 30 &&
		       sizeof(struct oc_screen) == 40 &&
		       OC_PROTO_SCREENED_BODY_BYTES == OC_PROTO_PLACE_BODY_BYTES + 40,
	       "a screened place is a place and struct oc_screen's 40 bytes, no padding");

/* Whether a command's screen is all zeros (struct oc_screen has no padding). */
static bool screen_empty(const struct oc_screen *s)
{
	static const struct oc_screen zero;
	return memcmp(s, &zero, sizeof(zero)) == 0;
}

/* The body length a frame with lines requires, given the first body_known bytes of it: 1
 * when it agrees with its line count, 0 when the count is in bytes not yet there, or
 * -OC_PERR_BODY_LENGTH. */
static int lined_body_ok(uint32_t fixed_bytes, uint32_t count_at, uint32_t body_bytes,
			 const uint8_t *body, size_t body_known)
{
	if (body_bytes < fixed_bytes || (body_bytes - fixed_bytes) % OC_PROTO_LINE_BYTES)
		return -OC_PERR_BODY_LENGTH;
	if (body_known <= count_at)
		return 0;
	return body[count_at] == (body_bytes - fixed_bytes) / OC_PROTO_LINE_BYTES
		       ? 1
		       : -OC_PERR_BODY_LENGTH;
}

/* Reads `count` lines at l into out (line_count = count; more than OC_ORDER_LINES_MAX: the
 * engine answers too_many_lines, reading none of them, so only those that fit are read). */
static void get_lines(const uint8_t *l, uint8_t count, struct oc_command *out)
{
	out->line_count = count;
	uint32_t n = count < OC_ORDER_LINES_MAX ? count : OC_ORDER_LINES_MAX;
	for (uint32_t i = 0; i < n; i++, l += OC_PROTO_LINE_BYTES)
		out->lines[i] = (struct oc_line){get64(l), get32(l + 8), get32(l + 12)};
}

/* Writes c's lines at l (the caller checked line_count: 1..OC_ORDER_LINES_MAX). */
static void put_lines(uint8_t *l, const struct oc_command *c)
{
	for (uint32_t i = 0; i < c->line_count; i++, l += OC_PROTO_LINE_BYTES) {
		put64(l, c->lines[i].sku);
		put32(l + 8, c->lines[i].quantity);
		put32(l + 12, c->lines[i].reserved);
	}
}

/* The body length a type requires given the first bytes of its body (for the types with a
 * tail), or -(error). body_known: how many body bytes the caller has. Returns 0 when the
 * tail's length is in bytes not yet there. */
static int body_ok(uint8_t type, uint32_t body_bytes, const uint8_t *body, size_t body_known)
{
	const struct order_step *step = order_step_of_message(type);
	if (step) {
		uint32_t want = step->flags != STEP_NO_FLAGS ? OC_PROTO_FLAGGED_STEP_BODY_BYTES
							     : OC_PROTO_CANCEL_BODY_BYTES;
		return body_bytes == want ? 1 : -OC_PERR_BODY_LENGTH;
	}
	const struct lined_frame *lined = lined_frame_of(type);
	if (lined)
		return lined_body_ok(lined->fixed_bytes, lined->count_at, body_bytes, body,
				     body_known);
	switch (type) {
	case OC_MSG_WELCOME:
		return body_bytes == OC_PROTO_WELCOME_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_ANSWER:
		return body_bytes == OC_PROTO_ANSWER_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_STATS:
		return body_bytes == OC_PROTO_STATS_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_STATS_INFO:
		return body_bytes == OC_PROTO_STATS_INFO_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_QUERY_ORDER:
	case OC_MSG_QUERY_ORDER_SEQ:
	case OC_MSG_QUERY_STOCK:
	case OC_MSG_QUERY_HISTORY:
		return body_bytes == OC_PROTO_QUERY_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_QUERY_CUSTOMER:
		return body_bytes == OC_PROTO_QUERY_CUSTOMER_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_RESTOCK:
	case OC_MSG_WRITE_OFF:
		return body_bytes == OC_PROTO_STOCK_CHANGE_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_REFUND:
		return body_bytes == OC_PROTO_REFUND_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_ADJUST_STOCK:
		return body_bytes == OC_PROTO_ADJUST_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_SET_SAFETY_STOCK:
		return body_bytes == OC_PROTO_SAFETY_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_BLOCK:
		return body_bytes == OC_PROTO_BLOCK_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_QUERY_RECONCILE:
		return body_bytes == OC_PROTO_QUERY_RECONCILE_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_QUERY_COUNTERS:
		return body_bytes == OC_PROTO_QUERY_COUNTERS_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_SUBSCRIBE:
		return body_bytes == OC_PROTO_SUBSCRIBE_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_QUERY_STOCK_AT:
		return body_bytes == OC_PROTO_QUERY_AT_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_SUBSCRIBED:
		return body_bytes == OC_PROTO_SUBSCRIBED_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_EVENT:
		return body_bytes == OC_PROTO_EVENT_BODY_BYTES ? 1 : -OC_PERR_BODY_LENGTH;
	case OC_MSG_HELLO:
	case OC_MSG_ERROR: {
		uint32_t max = type == OC_MSG_HELLO ? OC_PROTO_TOKEN_BYTES_MAX
						    : OC_PROTO_MESSAGE_BYTES_MAX;
		if (body_bytes < 8 || body_bytes - 8 > max)
			return -OC_PERR_BODY_LENGTH;
		if (body_known < 4)
			return 0;
		return get16(body + 2) == body_bytes - 8 ? 1 : -OC_PERR_BODY_LENGTH;
	}
	default:
		return -OC_PERR_TYPE;
	}
}

int oc_proto_frame_check(const void *buf, size_t len, struct oc_proto_header *h)
{
	const uint8_t *p = buf;
	if (len < 4)
		return 0;
	uint32_t bytes = get32(p);
	if (bytes < OC_PROTO_HEADER_BYTES || bytes > OC_PROTO_FRAME_BYTES_MAX)
		return -OC_PERR_FRAME_LENGTH;
	if (len < OC_PROTO_HEADER_BYTES)
		return 0;
	*h = (struct oc_proto_header){bytes, p[4], p[5], get16(p + 6), get64(p + 8)};
	if (h->version != OC_PROTO_VERSION)
		return -OC_PERR_VERSION;
	if (h->flags)
		return -OC_PERR_FIELD;
	size_t known = len < bytes ? len : bytes;
	int rc = body_ok(h->type, bytes - OC_PROTO_HEADER_BYTES, p + OC_PROTO_HEADER_BYTES,
			 known - OC_PROTO_HEADER_BYTES);
	if (rc < 0)
		return rc;
	return len < bytes ? 0 : (int)bytes;
}

int oc_proto_decode_hello(const void *frame, struct oc_proto_hello *out)
{
	const uint8_t *b = (const uint8_t *)frame + OC_PROTO_HEADER_BYTES;
	out->version = get16(b);
	out->token_bytes = get16(b + 2);
	if (get32(b + 4))
		return -OC_PERR_FIELD;
	memcpy(out->token, b + 8, out->token_bytes); /* checked <= the maximum by frame_check */
	return 0;
}

int oc_proto_decode_welcome(const void *frame, struct oc_proto_welcome *out)
{
	const uint8_t *b = (const uint8_t *)frame + OC_PROTO_HEADER_BYTES;
	if (get16(b + 2))
		return -OC_PERR_FIELD;
	*out = (struct oc_proto_welcome){get16(b), get32(b + 4), get64(b + 8)};
	return 0;
}

/* Fills out with the command of a frame with lines (type: a place, an RMA, a replacement
 * place, a screened place, a short pick; b its body), having read its key and customer; 0,
 * -OC_PERR_FIELD, or -OC_PERR_TYPE for another type. */
static int decode_lined(uint8_t type, const uint8_t *b, struct oc_command *out)
{
	if (type == OC_MSG_RETURN_REQUESTED || type == OC_MSG_PICK_SHORT) {
		/* One body: the byte at 24 is an RMA's reason or a short pick's flags; a short
		 * pick's warehouse is the u16 at 26, reserved in an RMA. */
		bool rma = type == OC_MSG_RETURN_REQUESTED;
		if ((rma ? get16(b + 26) : b[24] & ~OC_PICK_SHORT_BACKORDER) || get32(b + 28))
			return -OC_PERR_FIELD;
		out->type = rma ? OC_CMD_RETURN_REQUESTED : OC_CMD_PICK_SHORT;
		out->order_key = get64(b + 16);
		out->flags = b[24];
		out->region = get16(b + 26);
		get_lines(b + OC_PROTO_RMA_BODY_BYTES, b[25], out);
		return 0;
	}
	const struct lined_frame *lined = lined_frame_of(type);
	if (!lined)
		return -OC_PERR_TYPE;
	if (b[19])
		return -OC_PERR_FIELD;
	out->type = OC_CMD_PLACE;
	out->region = get16(b + 16);
	out->flags = get32(b + 20);
	/* The frame's type says whether it is a replacement or a screened place, and the flags
	 * must agree: a place with either flag would have no order_key or screen to give, a
	 * replacement without its flag would ignore its order_key and be charged, a screened
	 * place without its flag would not be screened. (So every frame that decodes encodes
	 * back to itself.) The other flags are the engine's to judge. */
	if ((out->flags & PLACE_FRAME_FLAGS) != place_flags_of(type))
		return -OC_PERR_FIELD;
	if (type == OC_MSG_PLACE_REPLACEMENT)
		out->order_key = get64(b + 24);
	if (type == OC_MSG_PLACE_SCREENED) {
		get_screen(b + 24, &out->screen);
		if (!postal_padded(out->screen.postal_code))
			return -OC_PERR_FIELD;
	}
	get_lines(b + lined->fixed_bytes, b[18], out);
	return 0;
}

/* Decodes a query's body (an order, history, stock, stock-at, reconciliation, customer or
 * counters query) of frame type `type` into out, whose key is the body's first u64 and the
 * rest zero: 0, -OC_PERR_FIELD for reserved bytes not 0, or 1 when type is not a query's. */
static int decode_query(uint8_t type, const uint8_t *b, struct oc_command *out)
{
	if (type >= OC_MSG_QUERY_ORDER && type <= OC_MSG_QUERY_STOCK) { /* the body is the key */
		out->type = (uint8_t)(OC_CMD_QUERY_ORDER + (type - OC_MSG_QUERY_ORDER));
		if (type == OC_MSG_QUERY_STOCK) { /* the engine's form: the SKU on line 0 */
			out->lines[0] = (struct oc_line){out->key, 0, 0};
			out->line_count = 1;
			out->key = 0;
		}
		return 0;
	}
	switch (type) {
	case OC_MSG_QUERY_HISTORY: out->type = OC_CMD_QUERY_HISTORY; return 0;
	case OC_MSG_QUERY_CUSTOMER: /* no reserved field: every byte is a value */
		out->type = OC_CMD_QUERY_CUSTOMER;
		out->key = 0;
		out->customer = get64(b);
		out->order_key = get64(b + 8);
		return 0;
	case OC_MSG_QUERY_STOCK_AT:
	case OC_MSG_QUERY_RECONCILE: /* the engine's form has the SKU on line 0 */
		if (get16(b + 10) || get32(b + 12))
			return -OC_PERR_FIELD;
		out->type = type == OC_MSG_QUERY_STOCK_AT ? OC_CMD_QUERY_STOCK_AT
							  : OC_CMD_QUERY_RECONCILE;
		out->key = 0;
		out->line_count = 1;
		out->lines[0] = (struct oc_line){get64(b), 0, 0};
		out->region = get16(b + 8);
		return 0;
	case OC_MSG_QUERY_COUNTERS: /* no key: the page's first counter */
		if (get16(b + 2) || get32(b + 4))
			return -OC_PERR_FIELD;
		out->type = OC_CMD_QUERY_COUNTERS;
		out->key = 0;
		out->region = get16(b);
		return 0;
	default: return 1;
	}
}

/* Decodes a stock change's body (a restock, write-off, cycle count or safety stock) of frame
 * type `type` into out, whose key is the body's first u64 and the rest zero: 0,
 * -OC_PERR_FIELD for reserved bytes not 0, or 1 when type is not a stock change's. */
static int decode_stock_change(uint8_t type, const uint8_t *b, struct oc_command *out)
{
	if (type == OC_MSG_SET_SAFETY_STOCK) { /* no key: the operator comes first */
		if (get32(b + 20))
			return -OC_PERR_FIELD;
		out->type = OC_CMD_SET_SAFETY_STOCK;
		out->key = 0;
		out->customer = get64(b);
		out->line_count = 1;
		out->lines[0] = (struct oc_line){get64(b + 8), get32(b + 16), 0};
		return 0;
	}
	if (type != OC_MSG_RESTOCK && type != OC_MSG_WRITE_OFF && type != OC_MSG_ADJUST_STOCK)
		return 1;
	if (get16(b + 30))
		return -OC_PERR_FIELD;
	out->type = type == OC_MSG_RESTOCK     ? OC_CMD_RESTOCK
		    : type == OC_MSG_WRITE_OFF ? OC_CMD_WRITE_OFF
					       : OC_CMD_ADJUST_STOCK;
	out->customer = get64(b + 8);
	out->line_count = 1;
	out->lines[0] = (struct oc_line){get64(b + 16), get32(b + 24), 0};
	out->region = get16(b + 28);
	if (type == OC_MSG_ADJUST_STOCK) /* every byte after the stock change's a value */
		out->expected_units = get64(b + 32);
	return 0;
}

int oc_proto_decode_command(const void *frame, struct oc_command *out)
{
	const uint8_t *f = frame;
	const uint8_t *b = f + OC_PROTO_HEADER_BYTES;
	memset(out, 0, offsetof(struct oc_command, lines));
	out->order_key = out->amount_cents = 0; /* after the lines: set by refunds, customer
						 * queries, RMAs, replacements, block list
						 * changes, short picks, cycle counts
						 * (expected_units) */
	memset(&out->screen, 0, sizeof(out->screen)); /* set by screened places */
	out->key = get64(b);
	int rc = decode_query(f[5], b, out);
	if (rc <= 0)
		return rc;
	rc = decode_stock_change(f[5], b, out);
	if (rc <= 0)
		return rc;
	out->customer = get64(b + 8);
	const struct order_step *step = order_step_of_message(f[5]);
	if (step) {
		out->type = step->command;
		if (step->flags != STEP_NO_FLAGS) { /* the engine judges the flags; a zero u32 */
			if (get32(b + 20))
				return -OC_PERR_FIELD;
			out->flags = get32(b + 16);
		}
		/* A frame for flags (46) without any contradicts itself: they go in another. */
		return step_carries(step, out->flags) ? 0 : -OC_PERR_FIELD;
	}
	if (f[5] == OC_MSG_REFUND) { /* no reserved field: every byte of the body is a value */
		out->type = OC_CMD_REFUND;
		out->order_key = get64(b + 16);
		out->amount_cents = get64(b + 24);
		return 0;
	}
	if (f[5] == OC_MSG_BLOCK) { /* no key: the operator first, as a safety stock's */
		if (get32(b + 20))
			return -OC_PERR_FIELD;
		out->type = OC_CMD_BLOCK;
		out->key = 0;
		out->customer = get64(b);
		out->order_key = get64(b + 8);
		out->flags = get32(b + 16); /* the engine judges them */
		return 0;
	}
	return decode_lined(f[5], b, out);
}

/* The 64 bytes of an answer, the body of an answer frame and of an event frame, in the order
 * of struct oc_response's fields:
 *
 *    0       8       16             24         32      40
 *    | seq   | key   | original_seq | customer | ts_ms |
 *    40     41       42       43      44          45          46      47        48
 *    | type | status | reason | flags | shipments | warehouse | state | payment |
 *    48             56               64
 *    | amount_cents | refunded_cents |
 *
 * No byte is reserved, so an answer always decodes (its values are the engine's, for the
 * reader to judge). */
static void get_response(const uint8_t *b, struct oc_response *out)
{
	*out = (struct oc_response){.seq = get64(b), .key = get64(b + 8),
				    .original_seq = get64(b + 16), .customer = get64(b + 24),
				    .ts_ms = get64(b + 32), .type = b[40], .status = b[41],
				    .reason = b[42], .flags = b[43], .shipments = b[44],
				    .warehouse = b[45], .state = b[46], .payment = b[47],
				    .amount_cents = get64(b + 48), .refunded_cents = get64(b + 56)};
}

static void put_response(uint8_t *b, const struct oc_response *r)
{
	put64(b, r->seq);
	put64(b + 8, r->key);
	put64(b + 16, r->original_seq);
	put64(b + 24, r->customer);
	put64(b + 32, r->ts_ms);
	b[40] = r->type;
	b[41] = r->status;
	b[42] = r->reason;
	b[43] = r->flags;
	b[44] = r->shipments;
	b[45] = r->warehouse;
	b[46] = r->state;
	b[47] = r->payment;
	put64(b + 48, r->amount_cents);
	put64(b + 56, r->refunded_cents);
}

/* The wire's answer is the struct's fields at their offsets in the struct (no padding in
 * either): the answer's last field (refunded_cents, a u64 at 56) ends its body, and an
 * event's body is an answer's. */
_Static_assert(offsetof(struct oc_response, customer) == 24 &&
		       offsetof(struct oc_response, ts_ms) == 32 &&
		       offsetof(struct oc_response, type) == 40 &&
		       offsetof(struct oc_response, payment) == 47 &&
		       offsetof(struct oc_response, amount_cents) == 48 &&
		       sizeof(struct oc_response) == OC_PROTO_ANSWER_BODY_BYTES,
	       "the wire's answer follows struct oc_response");
_Static_assert(OC_PROTO_ANSWER_BODY_BYTES == 56 + 8, "an answer is 64 bytes");
_Static_assert(OC_PROTO_EVENT_BODY_BYTES == OC_PROTO_ANSWER_BODY_BYTES, "an event is an answer");
/* A refund's body is four u64, a customer query's two, no reserved field. */
_Static_assert(OC_PROTO_REFUND_BODY_BYTES == 4 * 8, "a refund is four u64");
_Static_assert(OC_PROTO_QUERY_CUSTOMER_BODY_BYTES == 2 * 8, "a customer query is two u64");
/* A cycle count is a stock change's body and the on hand it replaces; a reconciliation's body
 * is a stock-at query's; expected_units is the refund's amount's storage (one decoder field). */
_Static_assert(OC_PROTO_ADJUST_BODY_BYTES == OC_PROTO_STOCK_CHANGE_BODY_BYTES + 8,
	       "a cycle count is a stock change and a u64");
_Static_assert(OC_PROTO_QUERY_RECONCILE_BODY_BYTES == OC_PROTO_QUERY_AT_BODY_BYTES,
	       "a reconciliation's body is a stock-at query's");
_Static_assert(OC_PROTO_SAFETY_BODY_BYTES == 8 + 8 + 4 + 4, "operator, SKU, units, zero");
_Static_assert(OC_PROTO_QUERY_COUNTERS_BODY_BYTES == 2 + 2 + 4, "first counter, zeros");
_Static_assert(OC_PROTO_BLOCK_BODY_BYTES == 8 + 8 + 4 + 4, "operator, hash, flags, zero");
/* The steps with flags are a cancel's body and two u32; an RMA's fixed part is three u64, the
 * reason, the line count and six zeros, and a short pick's is an RMA's with its warehouse in
 * the first two of them; a replacement's is a place's and the order key; a screened place's a
 * place's and the screen (above). The longest of them, a screened place with 16 lines, fits a
 * frame. */
_Static_assert(OC_PROTO_FLAGGED_STEP_BODY_BYTES == OC_PROTO_CANCEL_BODY_BYTES + 4 + 4,
	       "a flagged step is a cancel, flags and a zero u32");
_Static_assert(OC_PROTO_RMA_BODY_BYTES == 3 * 8 + 1 + 1 + 6, "an RMA's fixed part");
_Static_assert(OC_PROTO_PICK_SHORT_BODY_BYTES == OC_PROTO_RMA_BODY_BYTES,
	       "a short pick's fixed part is an RMA's");
_Static_assert(OC_PROTO_REPLACEMENT_BODY_BYTES == OC_PROTO_PLACE_BODY_BYTES + 8,
	       "a replacement is a place and an order key");
_Static_assert(OC_PROTO_SCREENED_BODY_BYTES >= OC_PROTO_RMA_BODY_BYTES &&
		       OC_PROTO_HEADER_BYTES + OC_PROTO_SCREENED_BODY_BYTES +
				       OC_ORDER_LINES_MAX * OC_PROTO_LINE_BYTES <=
			       OC_PROTO_FRAME_BYTES_MAX,
	       "a screened place of OC_ORDER_LINES_MAX lines, the longest request, fits a frame");
_Static_assert(offsetof(struct oc_command, expected_units) ==
		       offsetof(struct oc_command, amount_cents),
	       "expected_units shares the refund amount's storage");

int oc_proto_decode_answer(const void *frame, struct oc_response *out)
{
	get_response((const uint8_t *)frame + OC_PROTO_HEADER_BYTES, out);
	return 0;
}

int oc_proto_decode_error(const void *frame, struct oc_proto_error_body *out)
{
	const uint8_t *b = (const uint8_t *)frame + OC_PROTO_HEADER_BYTES;
	out->code = get16(b);
	out->message_bytes = get16(b + 2);
	if (get32(b + 4))
		return -OC_PERR_FIELD;
	memcpy(out->message, b + 8, out->message_bytes); /* checked by frame_check */
	out->message[out->message_bytes] = '\0';
	return 0;
}

/* Writes the header of a frame of `bytes`; false when cap is too small. */
static bool header(uint8_t *p, size_t cap, size_t bytes, uint8_t type, uint64_t correlation)
{
	if (bytes > cap || bytes > OC_PROTO_FRAME_BYTES_MAX)
		return false;
	memset(p, 0, bytes);
	put32(p, (uint32_t)bytes);
	p[4] = OC_PROTO_VERSION;
	p[5] = type;
	put64(p + 8, correlation);
	return true;
}

size_t oc_proto_encode_hello(void *buf, size_t cap, uint64_t correlation, const void *token,
			     size_t token_bytes)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_HELLO_BODY_BYTES + token_bytes;
	uint8_t *p = buf;
	if (token_bytes > OC_PROTO_TOKEN_BYTES_MAX || (token_bytes && !token) ||
	    !header(p, cap, bytes, OC_MSG_HELLO, correlation))
		return 0;
	uint8_t *b = p + OC_PROTO_HEADER_BYTES;
	put16(b, OC_PROTO_VERSION);
	put16(b + 2, (uint16_t)token_bytes);
	if (token_bytes)
		memcpy(b + 8, token, token_bytes);
	return bytes;
}

size_t oc_proto_encode_welcome(void *buf, size_t cap, uint64_t correlation,
			       const struct oc_proto_welcome *w)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_WELCOME_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_WELCOME, correlation))
		return 0;
	uint8_t *b = p + OC_PROTO_HEADER_BYTES;
	put16(b, w->version);
	put32(b + 4, w->frame_bytes_max);
	put64(b + 8, w->last_seq);
	return bytes;
}

/* The message type of a query or stock change command (one line, no flags; a counters query:
 * none), or 0. A stock-at query's or a reconciliation's body is the SKU and a warehouse, a
 * counters query's the first counter: a key, a customer, flags, a quantity or a line's
 * reserved bits would be lost on the way, so such a command has no frame. */
static uint8_t query_type(const struct oc_command *c)
{
	bool one_line = c->line_count == 1 && c->flags == 0 && c->lines[0].reserved == 0;
	bool sku_query = one_line && c->key == 0 && c->customer == 0 && c->lines[0].quantity == 0;
	switch (c->type) {
	case OC_CMD_RESTOCK: return one_line ? OC_MSG_RESTOCK : 0;
	case OC_CMD_WRITE_OFF: return one_line ? OC_MSG_WRITE_OFF : 0;
	case OC_CMD_ADJUST_STOCK: return one_line ? OC_MSG_ADJUST_STOCK : 0;
	case OC_CMD_SET_SAFETY_STOCK: /* its body has no key and no warehouse */
		return one_line && c->key == 0 && c->region == 0 ? OC_MSG_SET_SAFETY_STOCK : 0;
	case OC_CMD_QUERY_ORDER: return c->line_count == 0 ? OC_MSG_QUERY_ORDER : 0;
	case OC_CMD_QUERY_HISTORY: return c->line_count == 0 ? OC_MSG_QUERY_HISTORY : 0;
	case OC_CMD_QUERY_ORDER_SEQ: return c->line_count == 0 ? OC_MSG_QUERY_ORDER_SEQ : 0;
	case OC_CMD_QUERY_STOCK:
		return c->line_count == 1 && c->lines[0].quantity == 0 ? OC_MSG_QUERY_STOCK : 0;
	case OC_CMD_QUERY_STOCK_AT: return sku_query ? OC_MSG_QUERY_STOCK_AT : 0;
	case OC_CMD_QUERY_RECONCILE: return sku_query ? OC_MSG_QUERY_RECONCILE : 0;
	case OC_CMD_QUERY_COUNTERS: /* its body is the page's first counter only */
		return c->line_count == 0 && c->flags == 0 && c->key == 0 && c->customer == 0
			       ? OC_MSG_QUERY_COUNTERS
			       : 0;
	default: return 0;
	}
}

/* The order step of a command that names an order by key and customer (a cancel, a
 * fulfilment, payment, review or exception step, a return received) whose frame carries its
 * flags (a pack: 26 without, 46 with), or NULL (a cancel with flags: no frame carries it). */
static const struct order_step *order_step_of_command(const struct oc_command *c)
{
	for (size_t i = 0; i < ORDER_STEPS; i++)
		if (order_steps[i].command == c->type && step_carries(&order_steps[i], c->flags))
			return &order_steps[i];
	return NULL;
}

/* Whether a command type is an order step's, whatever its flags. */
static bool is_order_step(uint8_t type)
{
	for (size_t i = 0; i < ORDER_STEPS; i++)
		if (order_steps[i].command == type)
			return true;
	return false;
}

/* The frame length of a command with lines after a fixed part (a place, an RMA, a
 * replacement, a screened place, a short pick): 0 unless it has 1..OC_ORDER_LINES_MAX lines. */
static size_t lined_bytes(const struct oc_command *c, uint32_t fixed_bytes)
{
	if (c->line_count < 1 || c->line_count > OC_ORDER_LINES_MAX)
		return 0;
	return OC_PROTO_HEADER_BYTES + fixed_bytes + (size_t)c->line_count * OC_PROTO_LINE_BYTES;
}

/* oc_proto_command_bytes with the command's order step (order_step_of_command), found once
 * by the caller. */
static size_t command_bytes(const struct oc_command *c, const struct order_step *step)
{
	bool bare = c->line_count == 0 && c->region == 0 && c->flags == 0;
	bool screened = c->type == OC_CMD_PLACE && (c->flags & OC_PLACE_SCREEN);
	if (!screened && !screen_empty(&c->screen)) /* no other body carries a screen */
		return 0;
	if (c->type == OC_CMD_REFUND) /* its body has no room for lines, a region or flags */
		return bare ? OC_PROTO_HEADER_BYTES + OC_PROTO_REFUND_BODY_BYTES : 0;
	/* A refund's amount, and in the same storage a cycle count's expected_units: no other
	 * body carries it. */
	if (c->amount_cents && c->type != OC_CMD_ADJUST_STOCK)
		return 0;
	if (c->type == OC_CMD_QUERY_CUSTOMER) /* nor a key: the customer and order_key only */
		return bare && c->key == 0
			       ? OC_PROTO_HEADER_BYTES + OC_PROTO_QUERY_CUSTOMER_BODY_BYTES
			       : 0;
	if (c->type == OC_CMD_RETURN_REQUESTED) /* no region; the reason is a byte */
		return c->region == 0 && c->flags <= UINT8_MAX
			       ? lined_bytes(c, OC_PROTO_RMA_BODY_BYTES)
			       : 0;
	if (c->type == OC_CMD_PICK_SHORT) /* an RMA's body: the warehouse, its flags a byte */
		return (c->flags & ~OC_PICK_SHORT_BACKORDER) == 0
			       ? lined_bytes(c, OC_PROTO_PICK_SHORT_BODY_BYTES)
			       : 0;
	if (c->type == OC_CMD_PLACE && (c->flags & OC_PLACE_REPLACEMENT)) /* no screen */
		return screened ? 0 : lined_bytes(c, OC_PROTO_REPLACEMENT_BODY_BYTES);
	if (c->type == OC_CMD_BLOCK) /* the operator, the hash (order_key) and the flags */
		return c->key == 0 && c->line_count == 0 && c->region == 0
			       ? OC_PROTO_HEADER_BYTES + OC_PROTO_BLOCK_BODY_BYTES
			       : 0;
	/* A refund's, a customer query's, an RMA's, a replacement's, a block list change's, a
	 * short pick's field. */
	if (c->order_key)
		return 0;
	if (screened)
		return postal_padded(c->screen.postal_code)
			       ? lined_bytes(c, OC_PROTO_SCREENED_BODY_BYTES)
			       : 0;
	if (is_order_step(c->type)) {
		/* No room for lines or a region; flags only in a flagged step's body. */
		if (!step || c->line_count || c->region)
			return 0;
		return OC_PROTO_HEADER_BYTES + (step->flags != STEP_NO_FLAGS
							? OC_PROTO_FLAGGED_STEP_BODY_BYTES
							: OC_PROTO_CANCEL_BODY_BYTES);
	}
	switch (query_type(c)) {
	case 0: break;
	case OC_MSG_RESTOCK:
	case OC_MSG_WRITE_OFF: return OC_PROTO_HEADER_BYTES + OC_PROTO_STOCK_CHANGE_BODY_BYTES;
	case OC_MSG_ADJUST_STOCK: return OC_PROTO_HEADER_BYTES + OC_PROTO_ADJUST_BODY_BYTES;
	case OC_MSG_SET_SAFETY_STOCK: return OC_PROTO_HEADER_BYTES + OC_PROTO_SAFETY_BODY_BYTES;
	case OC_MSG_QUERY_STOCK_AT: return OC_PROTO_HEADER_BYTES + OC_PROTO_QUERY_AT_BODY_BYTES;
	case OC_MSG_QUERY_RECONCILE:
		return OC_PROTO_HEADER_BYTES + OC_PROTO_QUERY_RECONCILE_BODY_BYTES;
	case OC_MSG_QUERY_COUNTERS:
		return OC_PROTO_HEADER_BYTES + OC_PROTO_QUERY_COUNTERS_BODY_BYTES;
	default: return OC_PROTO_HEADER_BYTES + OC_PROTO_QUERY_BODY_BYTES;
	}
	return c->type == OC_CMD_PLACE ? lined_bytes(c, OC_PROTO_PLACE_BODY_BYTES) : 0;
}

size_t oc_proto_command_bytes(const struct oc_command *c)
{
	return command_bytes(c, order_step_of_command(c));
}

/* The frame type of a command oc_proto_command_bytes can encode (step: its order step). */
static uint8_t message_of(const struct oc_command *c, const struct order_step *step)
{
	switch (c->type) {
	case OC_CMD_REFUND: return OC_MSG_REFUND;
	case OC_CMD_QUERY_CUSTOMER: return OC_MSG_QUERY_CUSTOMER;
	case OC_CMD_RETURN_REQUESTED: return OC_MSG_RETURN_REQUESTED;
	case OC_CMD_PICK_SHORT: return OC_MSG_PICK_SHORT;
	case OC_CMD_BLOCK: return OC_MSG_BLOCK;
	case OC_CMD_PLACE:
		return c->flags & OC_PLACE_REPLACEMENT ? OC_MSG_PLACE_REPLACEMENT
		       : c->flags & OC_PLACE_SCREEN   ? OC_MSG_PLACE_SCREENED
						      : OC_MSG_PLACE;
	default: return step ? step->message : query_type(c);
	}
}

/* Writes the body of a query, stock change, cycle count or safety stock (type) at b. */
static void put_query(uint8_t *b, uint8_t type, const struct oc_command *c)
{
	switch (type) {
	case OC_MSG_RESTOCK:
	case OC_MSG_WRITE_OFF:
	case OC_MSG_ADJUST_STOCK:
		put64(b, c->key);
		put64(b + 8, c->customer);
		put64(b + 16, c->lines[0].sku);
		put32(b + 24, c->lines[0].quantity);
		put16(b + 28, c->region);
		put16(b + 30, 0);
		if (type == OC_MSG_ADJUST_STOCK)
			put64(b + 32, c->expected_units);
		return;
	case OC_MSG_SET_SAFETY_STOCK:
		put64(b, c->customer);
		put64(b + 8, c->lines[0].sku);
		put32(b + 16, c->lines[0].quantity);
		put32(b + 20, 0);
		return;
	case OC_MSG_QUERY_STOCK_AT:
	case OC_MSG_QUERY_RECONCILE:
		put64(b, c->lines[0].sku);
		put16(b + 8, c->region);
		return;
	case OC_MSG_QUERY_COUNTERS:
		put16(b, c->region);
		return;
	default: /* the key, the sequence number or the SKU */
		put64(b, type == OC_MSG_QUERY_STOCK ? c->lines[0].sku : c->key);
	}
}

size_t oc_proto_encode_command(void *buf, size_t cap, uint64_t correlation,
			       const struct oc_command *c)
{
	uint8_t *p = buf;
	const struct order_step *step = order_step_of_command(c); /* once: a table walk */
	size_t bytes = command_bytes(c, step);
	uint8_t type = bytes ? message_of(c, step) : 0;
	if (!bytes || !header(p, cap, bytes, type, correlation))
		return 0;
	uint8_t *b = p + OC_PROTO_HEADER_BYTES;
	switch (type) {
	case OC_MSG_QUERY_CUSTOMER:
		put64(b, c->customer);
		put64(b + 8, c->order_key);
		return bytes;
	case OC_MSG_REFUND:
		put64(b, c->key);
		put64(b + 8, c->customer);
		put64(b + 16, c->order_key);
		put64(b + 24, c->amount_cents);
		return bytes;
	case OC_MSG_RETURN_REQUESTED:
	case OC_MSG_PICK_SHORT: /* one body: an RMA's region is 0 */
		put64(b, c->key);
		put64(b + 8, c->customer);
		put64(b + 16, c->order_key);
		b[24] = (uint8_t)c->flags; /* checked <= 255 by oc_proto_command_bytes */
		b[25] = c->line_count;
		put16(b + 26, c->region);
		put_lines(b + OC_PROTO_RMA_BODY_BYTES, c);
		return bytes;
	case OC_MSG_PLACE:
	case OC_MSG_PLACE_REPLACEMENT:
	case OC_MSG_PLACE_SCREENED:
		put64(b, c->key);
		put64(b + 8, c->customer);
		put16(b + 16, c->region);
		b[18] = c->line_count;
		put32(b + 20, c->flags);
		if (type == OC_MSG_PLACE_REPLACEMENT)
			put64(b + 24, c->order_key);
		if (type == OC_MSG_PLACE_SCREENED)
			put_screen(b + 24, &c->screen);
		put_lines(b + lined_frame_of(type)->fixed_bytes, c);
		return bytes;
	case OC_MSG_BLOCK:
		put64(b, c->customer);
		put64(b + 8, c->order_key);
		put32(b + 16, c->flags);
		return bytes;
	default:
		break;
	}
	if (step) {
		put64(b, c->key);
		put64(b + 8, c->customer);
		if (step->flags != STEP_NO_FLAGS)
			put32(b + 16, c->flags);
		return bytes;
	}
	put_query(b, type, c);
	return bytes;
}

size_t oc_proto_encode_answer(void *buf, size_t cap, uint64_t correlation,
			      const struct oc_response *r)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_ANSWER_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_ANSWER, correlation))
		return 0;
	put_response(p + OC_PROTO_HEADER_BYTES, r);
	return bytes;
}

size_t oc_proto_encode_subscribe(void *buf, size_t cap, uint64_t correlation, uint32_t kinds)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_SUBSCRIBE_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_SUBSCRIBE, correlation))
		return 0;
	put32(p + OC_PROTO_HEADER_BYTES, kinds);
	return bytes;
}

int oc_proto_decode_subscribe(const void *frame, uint32_t *kinds)
{
	const uint8_t *b = (const uint8_t *)frame + OC_PROTO_HEADER_BYTES;
	*kinds = get32(b);
	return (*kinds & ~(uint32_t)OC_EVENT_ALL) || get32(b + 4) ? -OC_PERR_FIELD : 0;
}

size_t oc_proto_encode_subscribed(void *buf, size_t cap, uint64_t correlation,
				  uint64_t last_seq)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_SUBSCRIBED_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_SUBSCRIBED, correlation))
		return 0;
	put64(p + OC_PROTO_HEADER_BYTES, last_seq);
	return bytes;
}

int oc_proto_decode_subscribed(const void *frame, uint64_t *last_seq)
{
	*last_seq = get64((const uint8_t *)frame + OC_PROTO_HEADER_BYTES);
	return 0;
}

size_t oc_proto_encode_event(void *buf, size_t cap, uint64_t correlation,
			     const struct oc_response *r)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_EVENT_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_EVENT, correlation))
		return 0;
	put_response(p + OC_PROTO_HEADER_BYTES, r);
	return bytes;
}

int oc_proto_decode_event(const void *frame, struct oc_response *r)
{
	get_response((const uint8_t *)frame + OC_PROTO_HEADER_BYTES, r);
	return 0;
}

uint32_t oc_proto_event_kind(const struct oc_response *r)
{
	if (r->flags & OC_RESPONSE_DOCUMENT)
		return r->flags & OC_RESPONSE_ROW ? OC_EVENT_DOCUMENTS : 0;
	if (r->flags & (OC_RESPONSE_DUPLICATE | OC_RESPONSE_ROW))
		return 0;
	if (r->status == OC_STATUS_REJECTED) /* a reason kept for the analytics, not an action */
		return r->type == OC_CMD_PLACE ? OC_EVENT_REJECTS : 0;
	switch (r->type) {
	case OC_CMD_PLACE: /* cancelled: a lease or a review deadline ran out (unsolicited) */
		return r->status == OC_STATUS_CANCELLED ? OC_EVENT_CANCELS : OC_EVENT_ORDERS;
	case OC_CMD_CANCEL:
	case OC_CMD_REVIEW_REJECT: return OC_EVENT_CANCELS;
	case OC_CMD_RESTOCK:
	case OC_CMD_WRITE_OFF:
	case OC_CMD_ADJUST_STOCK:
	case OC_CMD_SET_SAFETY_STOCK: return OC_EVENT_STOCK;
	case OC_CMD_PICK_CONFIRMED:
	case OC_CMD_PACK_CONFIRMED:
	case OC_CMD_SHIPPED:
	case OC_CMD_DELIVERED:
	case OC_CMD_PAYMENT_AUTHORIZED:
	case OC_CMD_PAYMENT_DECLINED:
	case OC_CMD_PAYMENT_RECEIVED: /* the payments, as the provider's answers */
	case OC_CMD_DELIVERY_EXCEPTION:
	case OC_CMD_REVIEW_APPROVE:
	case OC_CMD_PICK_SHORT: return OC_EVENT_FULFILMENT; /* cancelled too: what it cut */
	case OC_CMD_REFUND: return OC_EVENT_REFUNDS;
	case OC_CMD_RETURN_REQUESTED:
	case OC_CMD_RETURN_RECEIVED: return OC_EVENT_RETURNS;
	case OC_CMD_BLOCK: return OC_EVENT_BLOCKS;
	default: return 0;
	}
}

size_t oc_proto_encode_stats(void *buf, size_t cap, uint64_t correlation)
{
	return header(buf, cap, OC_PROTO_HEADER_BYTES, OC_MSG_STATS, correlation)
		       ? OC_PROTO_HEADER_BYTES
		       : 0;
}

/* The counters of struct oc_proto_stats in wire order. */
#define STATS_FIELDS 10u
_Static_assert(sizeof(struct oc_proto_stats) == STATS_FIELDS * 8 &&
		       OC_PROTO_STATS_INFO_BODY_BYTES == STATS_FIELDS * 8,
	       "stats info is ten u64");

size_t oc_proto_encode_stats_info(void *buf, size_t cap, uint64_t correlation,
				  const struct oc_proto_stats *st)
{
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_STATS_INFO_BODY_BYTES;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_STATS_INFO, correlation))
		return 0;
	uint64_t v[STATS_FIELDS];
	memcpy(v, st, sizeof(v));
	for (uint32_t i = 0; i < STATS_FIELDS; i++)
		put64(p + OC_PROTO_HEADER_BYTES + 8 * i, v[i]);
	return bytes;
}

int oc_proto_decode_stats_info(const void *frame, struct oc_proto_stats *out)
{
	const uint8_t *b = (const uint8_t *)frame + OC_PROTO_HEADER_BYTES;
	uint64_t v[STATS_FIELDS];
	for (uint32_t i = 0; i < STATS_FIELDS; i++)
		v[i] = get64(b + 8 * i);
	memcpy(out, v, sizeof(v));
	return 0;
}

size_t oc_proto_encode_error(void *buf, size_t cap, uint64_t correlation,
			     enum oc_proto_error code, const char *message)
{
	size_t n = message ? strlen(message) : 0;
	n = n < OC_PROTO_MESSAGE_BYTES_MAX ? n : OC_PROTO_MESSAGE_BYTES_MAX;
	size_t bytes = OC_PROTO_HEADER_BYTES + OC_PROTO_ERROR_BODY_BYTES + n;
	uint8_t *p = buf;
	if (!header(p, cap, bytes, OC_MSG_ERROR, correlation))
		return 0;
	uint8_t *b = p + OC_PROTO_HEADER_BYTES;
	put16(b, (uint16_t)code);
	put16(b + 2, (uint16_t)n);
	if (n)
		memcpy(b + 8, message, n);
	return bytes;
}

const char *oc_proto_error_name(unsigned code)
{
	static const char *const names[OC_PERR_COUNT] = {
		[OC_PERR_NONE] = "none",         [OC_PERR_FRAME_LENGTH] = "frame_length",
		[OC_PERR_VERSION] = "version",   [OC_PERR_TYPE] = "type",
		[OC_PERR_BODY_LENGTH] = "body_length", [OC_PERR_FIELD] = "field",
		[OC_PERR_HANDSHAKE] = "handshake", [OC_PERR_TOKEN] = "token",
		[OC_PERR_SHUTDOWN] = "shutdown", [OC_PERR_OVERLOAD] = "overload",
	};
	return code < OC_PERR_COUNT ? names[code] : "unknown";
}
