/* protocol.h: the ordercore wire protocol, version 2 (docs/protocol.md has the byte layouts and
 * the rules). Every integer is little-endian. A connection carries frames; a frame is a 16-byte
 * header and a fixed-layout body whose length the type determines:
 *
 *    0           4         5      6        8                        16
 *    +-----------+---------+------+--------+------------------------+----------------+
 *    |frame_bytes| version | type | flags  | correlation id         | body ...       |
 *    |  u32      |  u8 = 2 |  u8  | u16 = 0|  u64 (client's, echoed)|                |
 *    +-----------+---------+------+--------+------------------------+----------------+
 *
 * frame_bytes counts the whole frame and is at most OC_PROTO_FRAME_BYTES_MAX: a reader never
 * buffers more than that for one frame, and refuses a longer one before reading its body.
 *
 * The server answers a connection's commands in the order it received them, one answer frame
 * each; a query with rows (history, customer, reconcile, counters) is answered by up to
 * OC_QUERY_ROWS_MAX answer frames flagged OC_RESPONSE_ROW and then its own answer, every one
 * with its correlation.
 *
 * This header holds the constants and the codec (engine/net/proto.c), shared by the daemon
 * and the client library. The codec is pure: it reads and writes caller memory, allocates
 * nothing, and checks every length before it reads. */
#ifndef ORDERCORE_PROTOCOL_H
#define ORDERCORE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "ordercore/ordercore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2: answers carry the customer, the time, the payment and amounts; refunds; queries with
 * rows (an order's history, a customer's orders). Types added since (39-41: the cycle count,
 * safety stock, the reconciliation; 42-45: the delivery exception, the RMA, the return
 * received, the replacement place; 46: a pack whose quality check failed; 47-50: the
 * screened place, the review's approval and rejection, a block list change; 51: a short pick;
 * 52: a payment received for an order on account; 53: the counters query) are new frames
 * only, no frame changed (a place's flags, an answer's payment and reason take new values in
 * their fields): the version stays 2, and a server without them refuses them as any unknown
 * type (OC_PERR_TYPE). */
#define OC_PROTO_VERSION 2u
#define OC_PROTO_HEADER_BYTES 16u
/* The longest frame either side accepts: a place of 16 lines is 296 bytes, an RMA, a
 * replacement place or a short pick of 16 lines 304, a screened place of 16 lines 336. */
#define OC_PROTO_FRAME_BYTES_MAX 1024u
/* The longest shared-secret token in a hello, bytes. */
#define OC_PROTO_TOKEN_BYTES_MAX 64u
/* The longest message in an error frame, bytes (no NUL on the wire). */
#define OC_PROTO_MESSAGE_BYTES_MAX 240u

enum oc_proto_type {
	OC_MSG_HELLO = 1,    /* client: first frame; version and token */
	OC_MSG_WELCOME = 2,  /* server: the handshake succeeded */
	OC_MSG_PLACE = 16,   /* client: place an order (struct oc_command, type place) */
	OC_MSG_CANCEL = 17,  /* client: cancel an order */
	OC_MSG_QUERY_ORDER = 18,     /* client: an order by its key (OC_CMD_QUERY_ORDER) */
	OC_MSG_QUERY_ORDER_SEQ = 19, /* client: an order by its sequence number */
	OC_MSG_QUERY_STOCK = 20,     /* client: a SKU's stock */
	OC_MSG_STATS = 21,           /* client: the server's counters (empty body) */
	OC_MSG_RESTOCK = 22,         /* client: add units to a warehouse (OC_CMD_RESTOCK) */
	OC_MSG_WRITE_OFF = 23,       /* client: remove free units from a warehouse */
	OC_MSG_SUBSCRIBE = 24,       /* client: receive events of these kinds (0: stop) */
	OC_MSG_PICK_CONFIRMED = 25,  /* client: fulfilment of an order (body as cancel) */
	OC_MSG_PACK_CONFIRMED = 26,
	OC_MSG_SHIPPED = 27,
	OC_MSG_DELIVERED = 28,
	OC_MSG_QUERY_STOCK_AT = 29,  /* client: a SKU's stock in one warehouse */
	OC_MSG_PAYMENT_AUTHORIZED = 30, /* client (the payment provider): body as cancel */
	OC_MSG_PAYMENT_DECLINED = 31,
	OC_MSG_ANSWER = 32,  /* server: the answer to a command (struct oc_response), or a row of
	                      * it (OC_RESPONSE_ROW), with the command's correlation */
	OC_MSG_STATS_INFO = 33, /* server: the answer to a stats request, at once */
	OC_MSG_SUBSCRIBED = 34, /* server: the answer to a subscribe, at once */
	OC_MSG_EVENT = 35,      /* server: a decided command of a subscribed kind, any client's */
	OC_MSG_REFUND = 36,     /* client: refund a delivered order (OC_CMD_REFUND) */
	OC_MSG_QUERY_HISTORY = 37,  /* client: an order's transitions by its key (rows) */
	OC_MSG_QUERY_CUSTOMER = 38, /* client: a customer's orders, a page (rows) */
	OC_MSG_ADJUST_STOCK = 39,     /* client: a cycle count (OC_CMD_ADJUST_STOCK) */
	OC_MSG_SET_SAFETY_STOCK = 40, /* client: a SKU's safety stock (OC_CMD_SET_SAFETY_STOCK) */
	OC_MSG_QUERY_RECONCILE = 41,  /* client: a SKU's reconciliation, a page of warehouses
	                               * (rows) */
	OC_MSG_DELIVERY_EXCEPTION = 42, /* client: a shipped parcel lost or damaged */
	OC_MSG_RETURN_REQUESTED = 43,   /* client: an RMA (OC_CMD_RETURN_REQUESTED), with lines */
	OC_MSG_RETURN_RECEIVED = 44,    /* client: an RMA came back (restock or dispose) */
	OC_MSG_PLACE_REPLACEMENT = 45,  /* client: a place with OC_PLACE_REPLACEMENT and the
	                                 * order_key it replaces */
	OC_MSG_PACK_CHECKED = 46,       /* client: a pack with flags (OC_PACK_QC_FAILED); a
	                                 * pack without any is 26, and 46 with none is refused */
	OC_MSG_PLACE_SCREENED = 47,     /* client: a place with OC_PLACE_SCREEN and its screen */
	OC_MSG_REVIEW_APPROVE = 48,     /* client: a held order approved (body as cancel) */
	OC_MSG_REVIEW_REJECT = 49,      /* client: a held order rejected (body as cancel) */
	OC_MSG_BLOCK = 50,              /* client: a block list change (OC_CMD_BLOCK) */
	OC_MSG_PICK_SHORT = 51,         /* client: a short pick (OC_CMD_PICK_SHORT), with lines */
	OC_MSG_PAYMENT_RECEIVED = 52,   /* client: an order on account paid (body as cancel) */
	OC_MSG_QUERY_COUNTERS = 53,     /* client: route's counters, a page (rows) */
	OC_MSG_ERROR = 127,  /* server: a protocol error; the connection closes after it */
};

/* Body bytes of each type (hello, place, RMA, replacement, screened place, short pick and
 * error have a variable tail, bounded). */
#define OC_PROTO_HELLO_BODY_BYTES 8u    /* + token_bytes */
#define OC_PROTO_WELCOME_BODY_BYTES 16u
#define OC_PROTO_PLACE_BODY_BYTES 24u   /* + 16 per line */
#define OC_PROTO_LINE_BYTES 16u        /* a line of a place, an RMA, a replacement, a
                                        * screened place, a short pick */
#define OC_PROTO_CANCEL_BODY_BYTES 16u  /* also the fulfilment, payment and review steps' */
#define OC_PROTO_QUERY_BODY_BYTES 8u   /* the key, sequence number or SKU number; a history
                                         * query's key */
#define OC_PROTO_QUERY_AT_BODY_BYTES 16u /* the SKU number, the warehouse index (u16), zeros */
#define OC_PROTO_STOCK_CHANGE_BODY_BYTES 32u /* restock, write-off */
#define OC_PROTO_ADJUST_BODY_BYTES 40u /* a stock change's 32, then expected_units (u64) */
#define OC_PROTO_SAFETY_BODY_BYTES 24u /* operator, SKU, units (u32), zero (u32) */
#define OC_PROTO_QUERY_RECONCILE_BODY_BYTES 16u /* as a stock-at query's: the SKU, the page's
                                                 * first warehouse (u16), zeros */
#define OC_PROTO_QUERY_COUNTERS_BODY_BYTES 8u /* the page's first counter (u16), zeros */
#define OC_PROTO_REFUND_BODY_BYTES 32u /* key, customer, order key, amount in cents */
#define OC_PROTO_QUERY_CUSTOMER_BODY_BYTES 16u /* customer, order key (0: the newest page) */
#define OC_PROTO_FLAGGED_STEP_BODY_BYTES 24u /* a delivery exception, a return received, a
                                              * pack with flags: key, customer, flags (u32),
                                              * zero (u32) */
#define OC_PROTO_RMA_BODY_BYTES 32u /* key, customer, order key, reason (u8), line count (u8),
                                     * zeros; + 16 per line */
#define OC_PROTO_REPLACEMENT_BODY_BYTES 32u /* a place's 24, then the order key (u64); + 16 per
                                             * line */
#define OC_PROTO_SCREENED_BODY_BYTES 64u /* a place's 24, then struct oc_screen's 40 (three
                                          * hashes, two countries, the account's age, the
                                          * postal code); + 16 per line */
#define OC_PROTO_BLOCK_BODY_BYTES 24u /* operator, hash (u64 each), flags (u32), zero (u32) */
#define OC_PROTO_PICK_SHORT_BODY_BYTES 32u /* an RMA's: key, customer, order key, flags (u8:
                                            * OC_PICK_SHORT_*, where an RMA has its reason),
                                            * line count (u8), warehouse (u16: zero in an
                                            * RMA), zeros; + 16 per line */
#define OC_PROTO_ANSWER_BODY_BYTES 64u
#define OC_PROTO_STATS_BODY_BYTES 0u
#define OC_PROTO_STATS_INFO_BODY_BYTES 80u
#define OC_PROTO_ERROR_BODY_BYTES 8u    /* + message_bytes */
#define OC_PROTO_SUBSCRIBE_BODY_BYTES 8u
#define OC_PROTO_SUBSCRIBED_BODY_BYTES 8u
#define OC_PROTO_EVENT_BODY_BYTES 64u   /* an answer (its customer included) */

/* Kinds of events, a bit each in a subscribe's mask. Events are the answers the engine
 * released (durable with a data_dir) of every client's commands, in sequence order. The fraud
 * review's commands fall into the kinds of what they do to an order: a place held for review
 * is an order accepted (state on_hold), its approval a step of its lifecycle (fulfilment, as
 * a payment's authorization), its rejection a cancel. A short pick is a step of fulfilment
 * too, whatever it leaves of the order (allocated, or cancelled when every unit was cut): the
 * warehouses learn where its units ship from now, the payment provider what was cut. A
 * payment received for an order on account is a payment step, as an authorization is: the
 * order's state does not change, its payment becomes paid. */
enum oc_proto_event_kind {
	OC_EVENT_ORDERS = 1u, /* an order accepted (allocated to warehouses); not a duplicate */
	OC_EVENT_CANCELS = 2u, /* an order cancelled */
	OC_EVENT_STOCK = 4u,  /* a restock, write-off, cycle count or safety stock done */
	OC_EVENT_FULFILMENT = 8u, /* an order picked (or picked short), packed (or its pack's
	                           * quality check failed), shipped or delivered, or in a
	                           * delivery exception; its payment authorized or declined, or
	                           * received (an order on account paid) */
	OC_EVENT_REFUNDS = 16u,   /* a refund done */
	OC_EVENT_RETURNS = 32u,   /* an RMA opened, a return received */
	OC_EVENT_BLOCKS = 64u,    /* a block list entry added or taken out (OC_CMD_BLOCK) */
	OC_EVENT_DOCUMENTS = 128u, /* a document row (OC_RESPONSE_DOCUMENT): a pack's packing
	                            * slip and labels, a shipment's invoice, a released wave's
	                            * pick list */
	OC_EVENT_REJECTS = 256u,   /* a place rejected (not a duplicate): its reason and channel,
	                            * for analytics */
	OC_EVENT_ALL = 511u,
};

/* Why a frame or a connection was refused: the code of an error frame. */
enum oc_proto_error {
	OC_PERR_NONE = 0,
	OC_PERR_FRAME_LENGTH = 1, /* frame_bytes < 16 or > OC_PROTO_FRAME_BYTES_MAX */
	OC_PERR_VERSION = 2,      /* a version this side does not speak */
	OC_PERR_TYPE = 3,         /* an unknown type, or one this side does not receive (the
	                           * codec knows types, not directions: the reader checks) */
	OC_PERR_BODY_LENGTH = 4,  /* the body's own lengths disagree with frame_bytes */
	OC_PERR_FIELD = 5,        /* a reserved field or flag is not zero */
	OC_PERR_HANDSHAKE = 6,    /* the first frame is not a hello, or a second hello */
	OC_PERR_TOKEN = 7,        /* the token does not match the server's */
	OC_PERR_SHUTDOWN = 8,     /* the server is stopping */
	OC_PERR_OVERLOAD = 9,     /* too many connections */
	OC_PERR_COUNT
};

struct oc_proto_header {
	uint32_t frame_bytes;
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint64_t correlation;
};

struct oc_proto_hello {
	uint16_t version;
	uint16_t token_bytes;
	uint8_t token[OC_PROTO_TOKEN_BYTES_MAX];
};

struct oc_proto_welcome {
	uint16_t version;
	uint32_t frame_bytes_max;
	uint64_t last_seq; /* the last sequence number the server has decided */
};

/* The server's counters since it started (stats info body: these ten u64, in order). */
struct oc_proto_stats {
	uint64_t last_seq;         /* the last sequence number decided */
	uint64_t connections;      /* open now */
	uint64_t accepted, refused; /* connections accepted, refused (overload, stopping) */
	uint64_t commands, answers; /* taken from sockets, answers sent back */
	uint64_t dropped_answers;  /* answers whose connection had gone */
	uint64_t protocol_errors, slow_disconnects;
	uint64_t uptime_ms;
};

struct oc_proto_error_body {
	uint16_t code; /* enum oc_proto_error */
	uint16_t message_bytes;
	char message[OC_PROTO_MESSAGE_BYTES_MAX + 1]; /* NUL-terminated when decoded; a NUL
	                                               * inside it: message_bytes says */
};

/* Checks the frame at the start of buf[0..len): the length in range, the version, zero
 * flags, a known type, and that the body's length is the one the type requires (for hello,
 * place, RMA, replacement, screened place, short pick and error: that the token, line or
 * message count in the body agrees with it). Returns the frame's length (> 0) with *h
 * filled, once the whole frame is there; 0 when more bytes are needed; or -(enum
 * oc_proto_error) as soon as the bytes there show an error. A longer frame than
 * OC_PROTO_FRAME_BYTES_MAX is refused from its first 4 bytes, so a reader never buffers more
 * than that. */
int oc_proto_frame_check(const void *buf, size_t len, struct oc_proto_header *h);

/* Decoders: frame is a whole frame that passed oc_proto_frame_check with the matching type.
 * 0, or -OC_PERR_FIELD when a reserved field of the body is not zero (a screened place's
 * postal code: a byte after its first NUL), or the flags of a place, replacement place or
 * screened place disagree with its type (OC_PLACE_REPLACEMENT set in a replacement's only,
 * OC_PLACE_SCREEN in a screened place's only; the other flags, OC_PLACE_CARD and
 * OC_PLACE_ACCOUNT among them, are the engine's to judge), or a pack with flags (46) has
 * none (an answer, an event, a refund and a customer query have no reserved field: they
 * always decode, whatever their payment and reason bytes hold). */
int oc_proto_decode_hello(const void *frame, struct oc_proto_hello *out);
int oc_proto_decode_welcome(const void *frame, struct oc_proto_welcome *out);
/* Fills out with the command of a place, cancel, step (a delivery exception, a return
 * received, a pack with flags and a review's approval or rejection included, their flags
 * from the frame), query, stock change (a cycle count and a safety stock included), refund,
 * RMA, replacement place, screened place, block list change or short pick frame; seq and
 * ts_ns zero, order_key zero but for a refund, a customer query, an RMA, a replacement, a
 * block list change (its hash) and a short pick, amount_cents (expected_units, the same
 * storage) zero but for a refund and a cycle count, screen zero but for a screened place.
 * The line count and lines of a place, an RMA, a replacement, a screened place or a short
 * pick come from the frame (an RMA's flags are its reason byte, its region 0; a short pick's
 * region is its warehouse, its flags 0); their fields are checked by the engine as any
 * command's are. */
int oc_proto_decode_command(const void *frame, struct oc_command *out);
int oc_proto_decode_answer(const void *frame, struct oc_response *out);
int oc_proto_decode_error(const void *frame, struct oc_proto_error_body *out);

/* The frame length of a command: a place of 1..16 lines (with OC_PLACE_REPLACEMENT: a
 * replacement place, order_key the order it replaces; with OC_PLACE_SCREEN: a screened place,
 * its postal code NUL-padded; not both), a cancel, fulfilment, payment or review step (no
 * lines, region 0, flags 0; but a pack: any flags, frame 26 without, 46 with), a delivery
 * exception or return received (no lines, region 0; any flags), an RMA (1..16 lines, region
 * 0, flags the reason, at most 255), a short pick (1..16 lines, region the warehouse, flags
 * 0), a query (a stock query as OC_CMD_QUERY_STOCK defines it; a stock-at query and a
 * reconciliation: one line of quantity 0 and reserved 0, key, customer and flags 0), a stock
 * change or cycle count (one line), a safety stock (key 0, one line, region 0, flags 0), a
 * refund (no lines, region 0, flags 0), a customer query (key 0, no lines, region 0, flags 0)
 * or a block list change (key 0, no lines, region 0; any flags); 0 for anything else, for
 * any command but a refund, a customer query, an RMA, a replacement, a block list change and
 * a short pick whose order_key is not 0, for any command but a refund and a cycle count
 * whose amount_cents (expected_units) is not 0, and for any command but a screened place
 * whose screen is not all zero (no other body carries them). */
size_t oc_proto_command_bytes(const struct oc_command *c);

/* Encoders: write one frame at buf, which has room for cap bytes; return its length, or 0
 * when it does not fit (or, for a command, oc_proto_command_bytes is 0; for a hello, the
 * token is too long, or NULL with token_bytes > 0). */
size_t oc_proto_encode_hello(void *buf, size_t cap, uint64_t correlation, const void *token,
			     size_t token_bytes);
size_t oc_proto_encode_welcome(void *buf, size_t cap, uint64_t correlation,
			       const struct oc_proto_welcome *w);
size_t oc_proto_encode_command(void *buf, size_t cap, uint64_t correlation,
			       const struct oc_command *c);
size_t oc_proto_encode_answer(void *buf, size_t cap, uint64_t correlation,
			      const struct oc_response *r);
size_t oc_proto_encode_stats(void *buf, size_t cap, uint64_t correlation);
size_t oc_proto_encode_stats_info(void *buf, size_t cap, uint64_t correlation,
				  const struct oc_proto_stats *st);
int oc_proto_decode_stats_info(const void *frame, struct oc_proto_stats *out);
/* Subscribe: kinds is a mask of enum oc_proto_event_kind (0: no more events); decoding
 * refuses other bits with -OC_PERR_FIELD. Subscribed: events follow for every command after
 * last_seq. Event: the answer (customer: the order's, or the stock change's or block list
 * change's operator). */
size_t oc_proto_encode_subscribe(void *buf, size_t cap, uint64_t correlation, uint32_t kinds);
int oc_proto_decode_subscribe(const void *frame, uint32_t *kinds);
size_t oc_proto_encode_subscribed(void *buf, size_t cap, uint64_t correlation,
				  uint64_t last_seq);
int oc_proto_decode_subscribed(const void *frame, uint64_t *last_seq);
size_t oc_proto_encode_event(void *buf, size_t cap, uint64_t correlation,
			     const struct oc_response *r);
int oc_proto_decode_event(const void *frame, struct oc_response *r);
/* The event kind of a response (0: not an event): accepted places that are not duplicates
 * (replacements, and screened places held for review, included), orders cancelled (by a
 * cancel or a review's rejection, or unsolicited: a lease ran out), stock changes done
 * (restocks, write-offs, cycle counts, safety stocks: OC_EVENT_STOCK), steps of the
 * lifecycle done (delivery exceptions, packs that failed their quality check, reviews'
 * approvals, payments received and short picks included: a short pick that cut every unit,
 * its answer's state cancelled, too), refunds done, RMAs opened and returns received
 * (OC_EVENT_RETURNS), block list changes done (OC_EVENT_BLOCKS), places rejected
 * (OC_EVENT_REJECTS; no other refusal is an event). An RMA cancelled is a
 * cancel (OC_EVENT_CANCELS; payment none, where an order's has its own). Documents
 * (rows flagged OC_RESPONSE_DOCUMENT: OC_EVENT_DOCUMENTS) are events; other rows
 * (OC_RESPONSE_ROW: a query's) never are: they say what was, not what just happened. */
uint32_t oc_proto_event_kind(const struct oc_response *r);

/* The message (NULL: none) is cut at OC_PROTO_MESSAGE_BYTES_MAX bytes. */
size_t oc_proto_encode_error(void *buf, size_t cap, uint64_t correlation,
			     enum oc_proto_error code, const char *message);

/* A static name for an error code ("frame_length", ...). */
const char *oc_proto_error_name(unsigned code);

#ifdef __cplusplus
}
#endif

#endif
