/* ordercore.h: the embedding API of the ordercore engine.
 *
 * An engine is created from a configuration (which names a dataset directory of CSV files),
 * started, fed commands, polled for responses, stopped and freed. Everything it allocates it
 * allocates in oc_engine_create; nothing on the submit/poll path allocates, locks or makes a
 * system call (but the futex wake of a parked worker).
 *
 * Responses: exactly one answer per command taken, in sequence order; besides them, the
 * engine's own decisions come as unsolicited responses (OC_RESPONSE_UNSOLICITED: a payment
 * lease ran out), each just before the answer of the command that carried the time past the
 * deadline, and the queries with rows answer with rows (OC_RESPONSE_ROW) just before their
 * answer.
 *
 * Threading contract:
 *  - oc_engine_create, oc_engine_start, oc_engine_stop, oc_engine_free and the read-only
 *    queries (oc_engine_region_id, oc_engine_warehouse_id, oc_engine_stock,
 *    oc_engine_state_hash, oc_engine_stats) are called from one controlling thread, never
 *    concurrently with each other. The queries but the two ids are for an engine that is
 *    not running: after create and before start (what was recovered), or after stop.
 *  - An engine runs once: create, start, submit and poll, stop, query, free.
 *  - oc_engine_try_submit_burst is called by at most one thread at a time (the submitter:
 *    it is the sequencer, the producer side of a single-producer ring).
 *  - oc_engine_poll_burst is called by at most one thread at a time (the poller: the
 *    consumer side of a single-consumer ring). It may be the same thread as the submitter.
 *  - Neither call blocks. The submitter must keep polling: responses that are not polled
 *    fill the response ring, and then the engine stops admitting commands (backpressure).
 *
 * Errors are negative errno values; domain rejections are not errors but a
 * `reason` (enum oc_reject_reason) in the response.
 */
#ifndef ORDERCORE_H
#define ORDERCORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE, for oc_engine_metrics_write */

#ifdef __cplusplus
extern "C" {
#endif

/* Lines in one order; larger orders are rejected with OC_REJECT_TOO_MANY_LINES. */
#define OC_ORDER_LINES_MAX 16

enum oc_command_type {
	OC_CMD_PLACE = 1,  /* place an order: key, customer, region, lines */
	OC_CMD_CANCEL = 2, /* cancel the order placed with `key` by `customer` (or the RMA opened
	                    * with `key`, while its goods have not come back) */
	/* Queries change nothing; like every command they are sequenced (and logged), so their
	 * answer is the state after every command before them. */
	OC_CMD_QUERY_ORDER = 3,     /* the order placed with `key` (customer, lines: 0) */
	OC_CMD_QUERY_ORDER_SEQ = 4, /* the order whose first sequence number is `key` */
	OC_CMD_QUERY_STOCK = 5,     /* stock of lines[0].sku (line_count 1, quantity 0) */
	/* Stock changes by an operator: one line (lines[0]: sku, quantity), in the warehouse
	 * whose index (warehouses.csv order, oc_engine_warehouse_id) is in `region`; customer is
	 * the operator's id. Like a place they are idempotent by key (a key is one command:
	 * repeating it answers the original; reusing it for another kind is a key conflict),
	 * are queryable by key or sequence number, and take an order record (orders_max). */
	OC_CMD_RESTOCK = 6,   /* add quantity units to the warehouse; sellable from the command
	                       * inflight_max sequence numbers later (as a cancel's give-back) */
	OC_CMD_WRITE_OFF = 7, /* remove quantity units that no order holds from the warehouse;
	                       * out_of_stock when the warehouse has fewer free */
	/* Fulfilment of an order (docs/lifecycle.md): `key` and `customer` name it as for a
	 * cancel (line_count 0). Each moves it one state on and is refused invalid_state, changing
	 * nothing, from any other state; repeated once done, it answers accepted with the
	 * DUPLICATE flag. */
	OC_CMD_PICK_CONFIRMED = 8,  /* allocated -> picked: the warehouse picked every line */
	OC_CMD_PACK_CONFIRMED = 9,  /* picked -> packed; with OC_PACK_QC_FAILED the quality
	                             * check failed: the order stays picked, to be packed again */
	OC_CMD_SHIPPED = 10,        /* packed -> shipped: the units leave the warehouses (on
	                             * hand goes down by the order's allocations) */
	OC_CMD_DELIVERED = 11,      /* shipped -> delivered */
	OC_CMD_QUERY_STOCK_AT = 12, /* stock of lines[0].sku in the warehouse `region` (line_count
	                             * 1, quantity 0): a query like OC_CMD_QUERY_STOCK */
	/* The payment provider's answer for an order placed with OC_PLACE_CARD (key and customer
	 * as for a cancel); from payment_pending only, else invalid_state; repeated once done,
	 * accepted with the DUPLICATE flag. */
	OC_CMD_PAYMENT_AUTHORIZED = 13, /* payment_pending -> allocated: fulfilment may start */
	OC_CMD_PAYMENT_DECLINED = 14,   /* payment_pending -> cancelled: the stock goes back */
	/* Money back for an order delivered, in exception or returned (docs/lifecycle.md,
	 * "Money"). Keyed like a stock change: `key` is the refund's own idempotency key (a retry
	 * answers the original; it takes an order record), `customer` the order's customer,
	 * `order_key` the order's key, `amount_cents` the amount (0: all that is not refunded
	 * yet; more than that, or nothing left: bad_amount). From those states only, else
	 * invalid_state; the order moves to refunded once all its amount is refunded.
	 * line_count 0. */
	OC_CMD_REFUND = 15,
	/* Queries with rows (OC_RESPONSE_ROW): up to OC_QUERY_ROWS_MAX rows, just before the
	 * query's own answer, with the same seq. */
	OC_CMD_QUERY_HISTORY = 16,  /* the order placed with `key`: a row per transition, oldest
	                             * first (type, seq and time of the command that made it, the
	                             * state after it), then the answer of OC_CMD_QUERY_ORDER */
	OC_CMD_QUERY_CUSTOMER = 17, /* the orders of `customer` (key 0), newest first, a row each
	                             * as an order query answers it; order_key != 0: those placed
	                             * before that order (the next page). The answer: accepted,
	                             * OC_RESPONSE_MORE when older orders are left; rejected
	                             * not_enabled without oc_config.customer_index */
	/* Inventory administration (docs/lifecycle.md, "Inventory administration"). A restock is
	 * the receipt of stock (receive_stock). */
	OC_CMD_ADJUST_STOCK = 18, /* a cycle count: keyed like a restock (its own record),
	                           * `region` the warehouse, lines[0] the SKU and quantity the
	                           * units counted there (0 allowed), expected_units the on hand
	                           * the count replaces (as a stock-at or reconciliation query
	                           * read it). On hand not that any more: stale_count. More
	                           * counted: the difference is added as a restock; fewer: it is
	                           * removed as a write-off (out_of_stock when the warehouse has
	                           * fewer free units than that) */
	OC_CMD_SET_SAFETY_STOCK = 19, /* lines[0]: the SKU, quantity the units an order may not
	                               * take (0: none): an order's line is out_of_stock unless
	                               * available - quantity >= safety stock; write-offs may take
	                               * them. key 0, customer the operator */
	OC_CMD_QUERY_RECONCILE = 20,  /* lines[0].sku (quantity 0): a row per warehouse, from the
	                               * index in `region` on (OC_RESPONSE_MORE past
	                               * OC_QUERY_ROWS_MAX), then the answer: the SKU over all
	                               * warehouses (OC_RECON_* below) */
	/* Exceptions and returns (docs/lifecycle.md, "Exceptions and returns"). */
	OC_CMD_DELIVERY_EXCEPTION = 21, /* shipped -> exception: the carrier reports the parcel
	                                 * lost or damaged (flags: OC_EXCEPTION_LOST or
	                                 * OC_EXCEPTION_DAMAGED); key and customer name the order
	                                 * as for a cancel. The claim is settled by a refund
	                                 * (allowed from exception) or a replacement
	                                 * (OC_PLACE_REPLACEMENT) */
	OC_CMD_RETURN_REQUESTED = 22,   /* an RMA for an order delivered or in exception (a
	                                 * damaged parcel sent back): keyed like a refund (its
	                                 * own key), order_key the order, customer its customer,
	                                 * lines the SKUs and units coming back (each at most what
	                                 * the order has of it: bad_quantity; a SKU it does not
	                                 * have: unknown_sku), flags the reason (OC_RETURN_*).
	                                 * The order moves to return_requested. The RMA's answer:
	                                 * its state, amount_cents the lines' value, shipments and
	                                 * warehouse the warehouses the units go back to */
	OC_CMD_RETURN_RECEIVED = 23,    /* the RMA (key: the RMA's, customer) came back and was
	                                 * inspected: flags OC_RETURN_RESTOCK puts its units back
	                                 * on hand and on sale where they shipped from, 0 disposes
	                                 * of them. RMA and order -> returned; a refund is then
	                                 * allowed */
	/* Fraud review (docs/lifecycle.md, "Fraud and review"): an order a screening held
	 * (on_hold), named by key and customer as for a cancel. From on_hold only, else
	 * invalid_state; repeated once done, accepted with the DUPLICATE flag. */
	OC_CMD_REVIEW_APPROVE = 24, /* on_hold -> allocated (prepaid) or payment_pending (card:
	                             * its answer is the authorization request, and the payment
	                             * lease starts) */
	OC_CMD_REVIEW_REJECT = 25,  /* on_hold -> cancelled: the stock goes back, the money too
	                             * (as a cancel's) */
	OC_CMD_BLOCK = 26,          /* adds to the screening's block list (or, with
	                             * OC_BLOCK_REMOVE, takes out) the hash in order_key
	                             * (oc_screen_hash) of the kind in flags (OC_BLOCK_*); key 0,
	                             * customer the operator. not_enabled without screening */
	/* A short pick (docs/lifecycle.md, "Short picks"), keyed like a refund (its own key;
	 * order_key the order, customer its customer): the warehouse whose index is in `region`
	 * found fewer units than the order holds there; lines name the SKUs and the units missing
	 * (at most what the order holds of each there: bad_quantity; a SKU it holds none of there:
	 * unknown_sku). Those units leave that warehouse's on hand. Each line is re-routed:
	 * allocated again at the other warehouses, nearest first, when they have its units free;
	 * else, with flags OC_PICK_SHORT_BACKORDER, backordered: kept in the order, money and
	 * all, until a receipt of the SKU fills it (docs/lifecycle.md, "Backorders"); else cut
	 * from the order, its value coming off (refunded when prepaid, less to capture when
	 * paid by card; an order left with nothing is cancelled). From allocated only, else
	 * invalid_state; the order stays allocated (a pick confirms it once it is whole). The
	 * answer: the order's state, amount_cents the value cut, refunded_cents the units
	 * backordered, shipments and warehouse the order's after */
	OC_CMD_PICK_SHORT = 27,
	/* The customer paid for an order placed on account (OC_PLACE_ACCOUNT; key and customer
	 * as for a cancel): what it still owed leaves the customer's open balance. From any state
	 * of an accepted order but cancelled, else invalid_state (a prepaid or card order too);
	 * repeated once done, accepted with the DUPLICATE flag. The order's state does not
	 * change */
	OC_CMD_PAYMENT_RECEIVED = 28,
	/* Route's counters of decided commands (enum oc_counter, below), as of this point in the
	 * stream: key 0, line_count 0, flags 0 (else malformed), `region` the index of the page's
	 * first counter. A row per counter from there (OC_QUERY_ROWS_MAX at most): original_seq
	 * the counter's index, amount_cents its value; then the answer, accepted,
	 * OC_RESPONSE_MORE when counters are left past the page, original_seq OC_COUNTER_COUNT.
	 * A `region` past the last counter: the answer alone. Like every query it changes
	 * nothing, and no counter counts it */
	OC_CMD_QUERY_COUNTERS = 29,
};

/* Rows one query answers with at most. */
#define OC_QUERY_ROWS_MAX 32u

/* Flags of a place (struct oc_command.flags). */
#define OC_PLACE_CARD 0x1u /* paid by card: once reserved and allocated the order waits in
                            * payment_pending for OC_CMD_PAYMENT_AUTHORIZED or _DECLINED
                            * (the accepted answer, and its event, are the authorization
                            * request); without it the order is prepaid: allocated at once */
#define OC_PLACE_REPLACEMENT 0x2u /* replaces the order order_key (same customer): a
                                   * reshipment of one in exception, an exchange of one
                                   * returned; at amount 0, once per order (a second:
                                   * invalid_state); not with OC_PLACE_CARD */
#define OC_PLACE_SCREEN 0x4u /* screened for fraud with what `screen` tells about the buyer
                              * (docs/lifecycle.md, "Fraud and review"): accepted, held for
                              * review (on_hold, reason: the rule), or rejected (reason: the
                              * rule); not_enabled when the dataset has no fraud.csv; not with
                              * OC_PLACE_REPLACEMENT */

#define OC_PLACE_ACCOUNT 0x8u /* on account (B2B, docs/lifecycle.md "Credit"): invoiced, paid
                               * later (OC_CMD_PAYMENT_RECEIVED). The customer needs a credit
                               * line (the dataset's credit.csv): the order is rejected
                               * credit_limit unless its amount and the customer's open
                               * balance (what its orders on account owe) fit the limit; not
                               * with OC_PLACE_CARD or OC_PLACE_REPLACEMENT */
/* The requested speed (docs/lifecycle.md, "Carriers"): the most days in transit, 1..7, in
 * bits 4-6 of a place's flags; 0: any speed. At the pack each parcel goes by the cheapest
 * carrier service (carriers.csv, rates.csv) whose transit days are within it. Not with
 * OC_PLACE_REPLACEMENT: a replacement ships at the speed of the order it replaces. */
#define OC_PLACE_DAYS_SHIFT 4u
#define OC_PLACE_DAYS_MASK 0x70u
#define OC_PLACE_DAYS(days) (((uint32_t)(days) << OC_PLACE_DAYS_SHIFT) & OC_PLACE_DAYS_MASK)
#define OC_PLACE_DAYS_OF(flags) (((uint32_t)(flags) & OC_PLACE_DAYS_MASK) >> OC_PLACE_DAYS_SHIFT)
/* The channel an order came through (docs/lifecycle.md, "Analytics"), in bits 8-10 of a
 * place's flags; answers about the order carry it back (OC_RESPONSE_CHANNEL). Not with
 * OC_PLACE_REPLACEMENT: a replacement keeps its order's. Values past OC_CHANNEL_COUNT - 1 are
 * malformed. */
enum oc_channel {
	OC_CHANNEL_NONE = 0, /* not said */
	OC_CHANNEL_WEB = 1,
	OC_CHANNEL_APP = 2,
	OC_CHANNEL_PHONE = 3,
	OC_CHANNEL_STORE = 4,
	OC_CHANNEL_MARKETPLACE = 5,
	OC_CHANNEL_COUNT
};
#define OC_PLACE_CHANNEL_SHIFT 8u
#define OC_PLACE_CHANNEL_MASK 0x700u
#define OC_PLACE_CHANNEL(channel) \
	(((uint32_t)(channel) << OC_PLACE_CHANNEL_SHIFT) & OC_PLACE_CHANNEL_MASK)
#define OC_PLACE_CHANNEL_OF(flags) \
	(((uint32_t)(flags) & OC_PLACE_CHANNEL_MASK) >> OC_PLACE_CHANNEL_SHIFT)

/* Flags of OC_CMD_BLOCK: the kind of the hash (one of them), and whether it is taken out. */
#define OC_BLOCK_EMAIL 0x1u
#define OC_BLOCK_CARD 0x2u
#define OC_BLOCK_ADDRESS 0x3u
#define OC_BLOCK_KIND_MASK 0x3u
#define OC_BLOCK_REMOVE 0x100u

/* Flags of OC_CMD_PACK_CONFIRMED. */
#define OC_PACK_QC_FAILED 0x1u /* the packed parcel failed its quality check: repack */

/* Flags of OC_CMD_PICK_SHORT. */
#define OC_PICK_SHORT_BACKORDER 0x1u /* a line no other warehouse has free is backordered, not
                                      * cut (docs/lifecycle.md, "Backorders") */

/* Flags of OC_CMD_DELIVERY_EXCEPTION: what happened to the parcel (one of them). */
#define OC_EXCEPTION_LOST 0x1u
#define OC_EXCEPTION_DAMAGED 0x2u

/* Flags of OC_CMD_RETURN_REQUESTED: why it comes back (one of them). */
enum oc_return_reason {
	OC_RETURN_DAMAGED = 1,
	OC_RETURN_WRONG_ITEM = 2,
	OC_RETURN_NOT_WANTED = 3,
	OC_RETURN_OTHER = 4,
};
/* Flags of OC_CMD_RETURN_RECEIVED: the inspection's outcome. */
#define OC_RETURN_RESTOCK 0x1u /* sellable: back on hand and on sale; else disposed of */

/* Where an order's money is (struct oc_response.payment; docs/lifecycle.md, "Money"). The
 * amount is the order's total, price_cents x quantity over its lines (skus.csv, at placing). */
enum oc_payment_state {
	OC_PAYMENT_NONE = 0,       /* not an order, or rejected: no money involved */
	OC_PAYMENT_PREPAID = 1,    /* paid before it was placed */
	OC_PAYMENT_PENDING = 2,    /* card: the authorization of the amount is requested */
	OC_PAYMENT_AUTHORIZED = 3, /* card: authorized; captured when the order ships */
	OC_PAYMENT_CAPTURED = 4,   /* card: captured at shipment */
	OC_PAYMENT_VOIDED = 5,     /* card (or on account, unpaid): cancelled before shipment; the
	                            * authorization (or its request, the invoice) is void, nothing
	                            * was taken */
	OC_PAYMENT_REFUNDED = 6,   /* refunded_cents of the amount paid back: by refunds, or
	                            * all of it when a prepaid order was cancelled */
	OC_PAYMENT_ON_ACCOUNT = 7, /* on account: owed (in the customer's open balance) */
	OC_PAYMENT_PAID = 8,       /* on account: the customer paid (OC_CMD_PAYMENT_RECEIVED) */
	OC_PAYMENT_STATE_COUNT
};

/* Where an order is in its lifecycle (docs/lifecycle.md draws the machine). The vocabulary is
 * the common OMS one; today an order is placed and then rejected, or allocated (stock reserved
 * and warehouses chosen); then picked, packed, shipped, delivered; or cancelled up to packed.
 * The other states come with the payment, review, wave, exception and return commands. */
enum oc_order_state {
	OC_STATE_NONE = 0, /* not an order: the answer to a query or a stock change */
	OC_STATE_PLACED = 1,
	OC_STATE_REJECTED = 2,
	OC_STATE_ACCEPTED = 3,
	OC_STATE_PAYMENT_PENDING = 4,
	OC_STATE_AUTHORIZED = 5,
	OC_STATE_ON_HOLD = 6,
	OC_STATE_ALLOCATED = 7,
	OC_STATE_RELEASED = 8,
	OC_STATE_PICKED = 9,
	OC_STATE_PACKED = 10,
	OC_STATE_SHIPPED = 11,
	OC_STATE_DELIVERED = 12,
	OC_STATE_CANCELLED = 13,
	OC_STATE_EXCEPTION = 14,
	OC_STATE_RETURN_REQUESTED = 15,
	OC_STATE_RETURNED = 16,
	OC_STATE_REFUNDED = 17,
	OC_STATE_COUNT
};

enum oc_status {
	OC_STATUS_ACCEPTED = 1,  /* placed and allocated to warehouses */
	OC_STATUS_REJECTED = 2,  /* see reason; nothing changed */
	OC_STATUS_CANCELLED = 3, /* a cancel succeeded: stock and limits given back */
};

enum oc_reject_reason {
	OC_REJECT_NONE = 0,
	OC_REJECT_MALFORMED = 1,          /* unknown type, line count 0, key 0, customer 0, an
					   * unknown flag */
	OC_REJECT_TOO_MANY_LINES = 2,     /* line_count > OC_ORDER_LINES_MAX */
	OC_REJECT_UNKNOWN_SKU = 3,        /* a line names a SKU not in the catalog */
	OC_REJECT_BAD_QUANTITY = 4,       /* a line's quantity is 0 or over line_quantity_max; a
					   * restock that would take the SKU over 10^9 units */
	OC_REJECT_DUPLICATE_SKU = 5,      /* two lines name the same SKU */
	OC_REJECT_UNKNOWN_REGION = 6,     /* the ship-to region (a stock change: the warehouse) is
					   * not in the dataset */
	OC_REJECT_OUT_OF_STOCK = 7,       /* a line's SKU has fewer units available */
	OC_REJECT_LIMIT_EXCEEDED = 8,     /* the customer's purchase limit for a SKU */
	OC_REJECT_KEY_CONFLICT = 9,       /* the key was used by another customer */
	OC_REJECT_UNKNOWN_ORDER = 10,     /* cancel: no order was placed with this key */
	OC_REJECT_NOT_CANCELLABLE = 11,   /* cancel: the order was rejected, is cancelled or has
					   * shipped, or the key is a stock change's */
	OC_REJECT_CAPACITY = 12,          /* a table is full (orders_max; 4 allocations per order;
					   * purchase counters), or the plan needs > 32 allocations */
	OC_REJECT_UNAVAILABLE = 13,       /* the log failed (EIO, ENOSPC): the command may not be
					   * durable, so it is not done; restart the engine */
	OC_REJECT_INVALID_STATE = 14,     /* a fulfilment command the order's state does not
					   * allow (docs/lifecycle.md) */
	OC_REJECT_LEASE_EXPIRED = 15,     /* in an unsolicited response: the card order's payment
					   * did not come within lease_ttl_ms; it is cancelled */
	OC_REJECT_BAD_AMOUNT = 16,        /* a refund of more than the order's amount not yet
					   * refunded */
	OC_REJECT_NOT_ENABLED = 17,       /* a query of an index this engine does not keep
					   * (OC_CMD_QUERY_CUSTOMER without customer_index) */
	OC_REJECT_STALE_COUNT = 18,       /* a cycle count whose expected_units is not the
					   * warehouse's on hand now: read it and count again */
	/* The screening of a place (OC_PLACE_SCREEN): an order rejected, or held for review
	 * (accepted, state on_hold), carries the rule that decided it. The first three reject
	 * whatever the score; the others add their score (fraud.csv). */
	OC_REJECT_BLOCKED = 19,           /* the e-mail, card or address is on the block list */
	OC_REJECT_BAD_ADDRESS = 20,       /* the postal code is not in the shipping country's
					   * format (countries.csv) */
	OC_REJECT_UNSERVICEABLE = 21,     /* the shipping country is not one served */
	OC_REJECT_CUSTOMER_VELOCITY = 22, /* too many orders by the customer in the window */
	OC_REJECT_CARD_VELOCITY = 23,     /* too many orders with the card in the window */
	OC_REJECT_ADDRESS_VELOCITY = 24,  /* too many orders to the address in the window */
	OC_REJECT_AMOUNT_HISTORY = 25,    /* the amount is far over the customer's average */
	OC_REJECT_COUNTRY_MISMATCH = 26,  /* billing and shipping countries differ */
	OC_REJECT_NEW_ACCOUNT = 27,       /* a new account with a high amount */
	OC_REJECT_CREDIT_LIMIT = 28,      /* an order on account over what the customer's credit
					   * line has left (or the customer has none) */
	OC_REJECT_REVIEW_EXPIRED = 29,    /* in an unsolicited response: an order held for review
					   * was not reviewed within review_ttl_ms; it is cancelled */
	OC_REJECT_NO_CARRIER = 30,        /* a pack: no service of carriers.csv takes one of the
					   * order's parcels (its weight, to its zone) within the
					   * order's requested days; the order stays picked */
	OC_REJECT_BACKORDERED = 31,       /* a pick of an order with lines backordered (a
					   * short pick's OC_PICK_SHORT_BACKORDER) that no receipt
					   * filled yet; not a refusal on an accepted answer: the
					   * order has such lines now */
	OC_REJECT_REASON_COUNT
};

/* The counters OC_CMD_QUERY_COUNTERS answers, by index: route's counts of the commands it
 * decided (those of struct oc_stats with the same names), then route's rejections by reason
 * and its holds by rule, a counter for each reason 1..OC_REJECT_REASON_COUNT - 1
 * (OC_COUNTER_REJECTED_BY, OC_COUNTER_HELD_BY). Validate's own counts (screened, block list
 * changes) and egress's (the answers it turned unavailable: rejected_unavailable is 0 here
 * unless route said it) are not route's and not in it. Names: oc_counter_name. New counters
 * are added at the end, so that an index keeps its meaning. */
enum oc_counter {
	OC_COUNTER_ACCEPTED = 0,
	OC_COUNTER_CANCELLED,
	OC_COUNTER_DUPLICATES,
	OC_COUNTER_SPLIT_ORDERS,
	OC_COUNTER_RESTOCKS,
	OC_COUNTER_WRITE_OFFS,
	OC_COUNTER_SHIPPED,
	OC_COUNTER_DELIVERED,
	OC_COUNTER_LEASE_EXPIRIES,
	OC_COUNTER_REFUNDS,
	OC_COUNTER_ADJUSTMENTS,
	OC_COUNTER_EXCEPTIONS,
	OC_COUNTER_RETURNS,
	OC_COUNTER_RETURNS_RECEIVED,
	OC_COUNTER_REPLACEMENTS,
	OC_COUNTER_QC_FAILURES,
	OC_COUNTER_HOLDS,
	OC_COUNTER_REVIEWS_APPROVED,
	OC_COUNTER_REVIEWS_REJECTED,
	OC_COUNTER_SHORT_PICKS,
	OC_COUNTER_SHORT_UNITS_REROUTED,
	OC_COUNTER_SHORT_UNITS_CUT,
	OC_COUNTER_PAYMENTS_RECEIVED,
	OC_COUNTER_REVIEW_EXPIRIES,
	OC_COUNTER_LABELS,
	OC_COUNTER_LABEL_CENTS,
	OC_COUNTER_SHORT_UNITS_BACKORDERED,
	OC_COUNTER_BACKORDER_UNITS_FILLED,
	OC_COUNTER_BACKORDER_UNITS_CUT,
	OC_COUNTER_REJECTED, /* the first of the rejections by reason (malformed) */
	OC_COUNTER_HELD = OC_COUNTER_REJECTED + OC_REJECT_REASON_COUNT - 1, /* holds by rule */
	OC_COUNTER_COUNT = OC_COUNTER_HELD + OC_REJECT_REASON_COUNT - 1
};
#define OC_COUNTER_REJECTED_BY(reason) (OC_COUNTER_REJECTED + (reason) - 1u)
#define OC_COUNTER_HELD_BY(rule) (OC_COUNTER_HELD + (rule) - 1u)

/* One line of an order. */
struct oc_line {
	uint64_t sku;      /* the catalog's SKU number (skus.csv, column sku) */
	uint32_t quantity; /* units, 1..line_quantity_max */
	uint32_t reserved; /* must be 0 */
};

/* What a screened place (OC_PLACE_SCREEN) tells about its buyer. Text is hashed by the
 * client (oc_screen_hash), so the engine keeps no e-mail or address, only their hashes. */
#define OC_POSTAL_CODE_BYTES 10
struct oc_screen {
	uint64_t email_hash;       /* oc_screen_hash of the e-mail address; 0: not given */
	uint64_t card_hash;        /* of the card's fingerprint (the payment provider's); 0: not
	                            * given */
	uint64_t address_hash;     /* of the shipping address; 0: not given */
	char bill_country[2];      /* ISO 3166-1 alpha-2, upper case: billing country */
	char ship_country[2];      /* shipping country */
	uint16_t account_age_days; /* days since the customer's account was opened */
	char postal_code[OC_POSTAL_CODE_BYTES]; /* shipping postal code: letters, digits, spaces
	                                         * and '-', padded with NULs */
};

/* A command. The caller fills type, key, customer, region and lines; the engine stamps seq
 * and ts_ns in the caller's array when it accepts the command (OUT fields). */
struct oc_command {
	uint8_t type;       /* enum oc_command_type */
	uint8_t line_count; /* lines used, 1..OC_ORDER_LINES_MAX (place); 0 (cancel) */
	uint16_t region;    /* ship-to region id, from oc_engine_region_id; a stock change: the
	                     * warehouse index, from oc_engine_warehouse_id */
	uint32_t flags;     /* place: OC_PLACE_* (0: prepaid); a delivery exception, an RMA, a
	                     * return received: theirs (below); every other command: 0 */
	uint64_t key;       /* the client's idempotency key for the order; not 0 */
	uint64_t customer;  /* customer id; not 0 */
	uint64_t seq;       /* OUT: sequence number given by the engine's sequencer */
	uint64_t ts_ns;     /* OUT: CLOCK_REALTIME nanoseconds when sequenced */
	struct oc_line lines[OC_ORDER_LINES_MAX];
	/* Read by the commands that have them, ignored (neither used nor logged) by the rest:
	 * after the lines, so that an order's header and first line stay in one cache line. */
	uint64_t order_key;    /* a refund, an RMA, a replacement: the order it is about; a
	                        * customer query: the page */
	union {
		uint64_t amount_cents;   /* a refund: its amount (0: the rest) */
		uint64_t expected_units; /* a cycle count: the on hand it replaces */
	};
	struct oc_screen screen; /* a place with OC_PLACE_SCREEN */
};

#define OC_RESPONSE_DUPLICATE 0x1u /* the key was seen before: this is the original answer */
/* No command asked for this response: the engine decided on its own (a card order's payment
 * lease ran out: type place, key and original_seq the order's, status cancelled, reason
 * lease_expired, state cancelled). seq is the command whose timestamp passed the deadline
 * (a client's, or a tick the sequencer inserted), and the response comes just before that
 * command's own. */
#define OC_RESPONSE_UNSOLICITED 0x2u /* (also an order held past review_ttl_ms: reason
                                     * review_expired) */
/* A row of a query's answer (OC_CMD_QUERY_HISTORY, OC_CMD_QUERY_CUSTOMER,
 * OC_CMD_QUERY_RECONCILE, OC_CMD_QUERY_COUNTERS), with the query's seq, just before the query's
 * own answer. A history row is a transition of the order: type, original_seq and ts_ms of the
 * command that made it (a lease expiry: type place, reason lease_expired; a rejected place: its
 * reason; a place held for review: its rule), status and state after it, amount_cents a
 * refund's amount or a short pick's value cut (else 0), payment and refunded_cents 0. A
 * customer's row is one of its orders as OC_CMD_QUERY_ORDER answers it now (key: the order's;
 * type: the query's; ts_ms: when it reached its state, 0 when that transition was forgotten). A
 * reconciliation's row is a warehouse (`warehouse`; its counts: OC_RECON_* below); a counters
 * query's a counter (original_seq its enum oc_counter, amount_cents its value). */
#define OC_RESPONSE_ROW 0x4u
/* A row that is a document (docs/lifecycle.md, "Documents"): a line of a shipment's packing
 * slip or a shipment's label, before a pack's answer; a line of the invoice, before a
 * shipment's answer; a released wave's pick list (also OC_RESPONSE_UNSOLICITED, type place:
 * the engine's own decision, after the answer of the command that filled the wave or before
 * that of the command whose time passed its cutoff). Flagged OC_RESPONSE_ROW too, with the command's seq, type, key (the
 * order's), customer, state and payment as its answer has them; `warehouse` is the shipment's
 * and `shipments` the kind (enum oc_document_kind). Unlike query rows they are events (kind
 * OC_EVENT_DOCUMENTS): the warehouse and the customer's notifications subscribe to them. */
#define OC_RESPONSE_DOCUMENT 0x10u
/* Bits 5-7 of an answer's flags: the channel of the order it is about (enum oc_channel), on
 * every answer, row and document that describes an order placed with one (its place's
 * answer, a rejected one included, its duplicates, steps, queries, pick lines); 0 otherwise. */
#define OC_RESPONSE_CHANNEL_SHIFT 5u
#define OC_RESPONSE_CHANNEL_MASK 0xe0u
#define OC_RESPONSE_CHANNEL(r) (((r)->flags & OC_RESPONSE_CHANNEL_MASK) >> OC_RESPONSE_CHANNEL_SHIFT)
/* The answer of a query with rows: there were more than OC_QUERY_ROWS_MAX (a history: the
 * oldest are left out; a customer's orders, a reconciliation, the counters: ask for the next
 * page). */
#define OC_RESPONSE_MORE 0x8u

/* The engine's answer to one command; exactly one per accepted command.
 * An order query (found) answers with the order's status now (accepted, rejected,
 * cancelled), its reason, original_seq = the order's first sequence number, shipments and
 * warehouse (a stock change's record answers the same way); not found: rejected /
 * unknown_order. A stock query (found) answers accepted
 * with original_seq = OC_STOCK_ANSWER(available, allocated): the units available to sell and
 * the units allocated to orders, 32 bits each, saturating (their sum is the units on hand once
 * give-backs and restocks still in their lag are applied); not found: rejected / unknown_sku.
 * A stock query at a warehouse answers OC_STOCK_ANSWER(free, allocated) of that warehouse:
 * the units there no order holds (route's count, which a give-back reaches at once) and the
 * units there held by allocated, picked or packed orders; unknown_region for a warehouse index
 * the dataset does not have. */
#define OC_STOCK_SATURATE(x) ((uint64_t)(x) > 0xffffffffu ? 0xffffffffu : (uint64_t)(x))
#define OC_STOCK_ANSWER(available, allocated) \
	(OC_STOCK_SATURATE(available) | OC_STOCK_SATURATE(allocated) << 32)
#define OC_STOCK_AVAILABLE(original_seq) ((original_seq) & 0xffffffffu)
#define OC_STOCK_ALLOCATED(original_seq) ((original_seq) >> 32)
/* The reconciliation of a SKU (OC_CMD_QUERY_RECONCILE): each row is a warehouse (`warehouse`),
 * the answer all of them; in both, on hand = free + allocated + picked, where free is route's
 * count of units no order holds, allocated the units held by orders not yet picked
 * (payment_pending, allocated) and picked those of picked and packed orders. (Elsewhere —
 * struct oc_stock, the stock queries — "allocated" counts both: every unit an order holds.) The answer adds
 * the shard's count (available to reserve: free units less those given back or restocked in
 * the last inflight_max commands, which the shard applies after that lag) and the SKU's
 * safety stock. Counts are 32 bits (a SKU holds at most 10^9 units), two in a u64 field. */
#define OC_RECON_FREE(r) ((r)->original_seq & 0xffffffffu)
#define OC_RECON_ALLOCATED(r) ((r)->original_seq >> 32)
#define OC_RECON_PICKED(r) ((r)->amount_cents & 0xffffffffu)
#define OC_RECON_ON_HAND(r) ((r)->amount_cents >> 32)
#define OC_RECON_AVAILABLE(r) ((r)->refunded_cents & 0xffffffffu) /* the answer only */
#define OC_RECON_SAFETY(r) ((r)->refunded_cents >> 32)            /* the answer only */
/* A document row's kind and fields (OC_RESPONSE_DOCUMENT). A line (of a packing slip, in
 * the order of the SKUs' bins, or of an invoice): original_seq the SKU number, amount_cents
 * its quantity and unit price, refunded_cents the line's total (quantity x price). A label:
 * original_seq the tracking number (a hash of the order's key and customer and the warehouse,
 * the same on every replay), amount_cents the carrier's price,
 * refunded_cents the parcel's weight in grams, the service (its row in carriers.csv, from 0),
 * the zone and the transit days. */
enum oc_document_kind {
	OC_DOC_SLIP_LINE = 1,    /* a pack: a line of a shipment's packing slip */
	OC_DOC_LABEL = 2,        /* a pack: a shipment's label, after its slip's lines */
	OC_DOC_INVOICE_LINE = 3, /* a shipment: a line of the invoice (its total: the answer's
	                          * amount_cents) */
	OC_DOC_PICK_LINE = 4,    /* a released wave: a line of its pick list, in the order of the
	                          * bins; key and customer the order's, state the order's after
	                          * the release; refunded_cents the wave's number (not the
	                          * line's total) */
	OC_DOC_WAVE = 5,         /* a released wave, after its pick lines: key and customer 0,
	                          * original_seq its number (1, 2, ... in the engine),
	                          * amount_cents its orders (low 32) and lines (high 32) */
};
#define OC_DOC_KIND(r) ((r)->shipments)
#define OC_DOC_LINE_QUANTITY(r) ((uint32_t)((r)->amount_cents & 0xffffffffu))
#define OC_DOC_LINE_PRICE(r) ((uint32_t)((r)->amount_cents >> 32))
#define OC_LABEL_WEIGHT_G(r) ((uint32_t)((r)->refunded_cents & 0xffffffffu))
#define OC_LABEL_SERVICE(r) ((uint8_t)((r)->refunded_cents >> 32))
#define OC_LABEL_ZONE(r) ((uint8_t)((r)->refunded_cents >> 40))
#define OC_LABEL_DAYS(r) ((uint8_t)((r)->refunded_cents >> 48))
#define OC_LABEL_PACK(weight_g, service, zone, days)                                           \
	((uint64_t)(uint32_t)(weight_g) | (uint64_t)(uint8_t)(service) << 32 |                 \
	 (uint64_t)(uint8_t)(zone) << 40 | (uint64_t)(uint8_t)(days) << 48)
#define OC_RECON_PACK(low, high) ((uint64_t)(uint32_t)(low) | (uint64_t)(high) << 32)
struct oc_response {
	uint64_t seq;          /* the command's sequence number */
	uint64_t key;          /* the command's key */
	uint64_t original_seq; /* the order's first sequence number (differs for duplicates) */
	uint64_t customer;     /* the order's customer (a stock change's operator); before a
	                        * record is found: the command's */
	uint64_t ts_ms;        /* when the command answered was sequenced (a history row: the
	                        * transition's command), milliseconds since the epoch */
	uint8_t type;          /* enum oc_command_type of the command answered */
	uint8_t status;        /* enum oc_status */
	uint8_t reason;        /* enum oc_reject_reason, OC_REJECT_NONE unless rejected */
	uint8_t flags;         /* OC_RESPONSE_* */
	uint8_t shipments;     /* accepted: warehouses the order ships from (1 unless split) */
	uint8_t warehouse;     /* accepted: index of the first warehouse (dataset order); a
	                        * stock change: its warehouse */
	uint8_t state;         /* enum oc_order_state of the order after the command (a query:
	                        * now; a duplicate: as first answered); 0 when not an order */
	uint8_t payment;       /* enum oc_payment_state of the order, at the same moment */
	uint64_t amount_cents; /* an order's answer: its amount; a refund's: the refund's */
	uint64_t refunded_cents; /* the order's amount refunded so far (after a refund: with it) */
};

enum oc_durability {
	OC_DURABILITY_SYNC = 0,  /* answer after the command's frame is written and fdatasync'ed */
	OC_DURABILITY_ASYNC = 1, /* answer after the write; fdatasync every fsync_interval_ms */
	OC_DURABILITY_NONE = 2,  /* answer after the write, never sync (benchmarks only) */
};

/* Engine configuration. oc_config_init fills the defaults; 0 in a count means "default". */
struct oc_config {
	const char *dataset_dir;     /* directory with skus.csv, warehouses.csv, stock.csv */
	uint32_t threads;            /* worker threads; 0: chosen from the core count */
	uint32_t inventory_threads;  /* of which run inventory shards; 0: chosen */
	uint32_t shards;             /* inventory shards; 0: OC_DEFAULT_SHARDS (4) */
	uint32_t inflight_max;       /* orders between sequencer and route (power of two) */
	uint32_t orders_max;         /* orders the engine can hold (table sizes) */
	uint32_t line_quantity_max;  /* units on one line */
	uint32_t idle_spin_turns;    /* empty turns a worker spins before yielding */
	uint32_t idle_yield_turns;   /* empty turns it yields before parking */
	int pin_threads;             /* 1: pin workers to cores when there are enough */
	const char *data_dir;        /* NULL: in memory only, nothing survives the process.
	                              * Else every command is logged in data_dir/wal before it
	                              * is answered, snapshots go to data_dir/snapshots, and what
	                              * is found there is recovered. A data_dir belongs to one
	                              * dataset, shards, inflight_max, orders_max and
	                              * line_quantity_max (data_dir/identity): create refuses
	                              * another */
	uint32_t durability;         /* enum oc_durability, with data_dir */
	uint32_t fsync_interval_ms;  /* async: the longest a written command waits for a sync */
	uint64_t wal_segment_bytes;  /* preallocated size of each log segment file */
	uint64_t snapshot_records;   /* a snapshot after this many commands; 0: never by count */
	uint32_t snapshot_interval_ms; /* a snapshot after this long with commands; 0: never by
	                                * time */
	uint32_t snapshots_kept;     /* snapshots kept (>= 1); the log is kept from the oldest */
	int snapshot_on_stop;        /* 1 (default): oc_engine_stop takes a snapshot when commands
	                              * came since the last one */
	int log_truncate_corrupt;    /* 1: a corrupt log is cut at the damage, losing everything
	                              * after it, instead of refusing to start (operator's call) */
	uint32_t lease_ttl_ms;       /* a card order's payment lease: cancelled when still in
	                              * payment_pending this long after it was placed; 0: the
	                              * default, 10 minutes. Part of a data_dir's identity */
	uint32_t review_ttl_ms;      /* an order held for review and not reviewed this long after
	                              * it was placed is cancelled (an unsolicited response, reason
	                              * review_expired), so that a hold cannot keep stock for ever;
	                              * 0 (default): held orders wait for their review. Part of a
	                              * data_dir's identity */
	uint32_t wave_orders_max;    /* pick waves (docs/lifecycle.md, "Waves"): an allocated
	                              * order joins the open wave of each warehouse it ships
	                              * from, and is released (a pick list row per allocation, an
	                              * unsolicited document) when its waves are: a wave once it
	                              * holds this many orders or 33 pick lines, or at its cutoff.
	                              * 1..64; 0 (default): no waves, orders are picked from
	                              * allocated. Part of a data_dir's identity */
	uint32_t wave_cutoff_ms;     /* with waves: the longest an order waits in an open wave;
	                              * 0: the default, 15 minutes. Part of the identity */
	uint32_t wave_express_cutoff_ms; /* the same for an order asking for at most 2 days in
	                              * transit (OC_PLACE_DAYS); 0: the default, 2 minutes. Part
	                              * of the identity */
	uint32_t screen_entries_max; /* with screening (fraud.csv): customers, cards and
	                              * addresses whose recent orders are remembered, each; once a
	                              * table is full, a new one is screened as if it had no
	                              * history (oc_stats.screen_unremembered counts them). 0: the
	                              * default, min(orders_max, 2^18). Part of a data_dir's
	                              * identity when the dataset screens */
	int customer_index;          /* 1: keep each customer's orders for OC_CMD_QUERY_CUSTOMER
	                              * (a hash map of orders_max customers: one random memory
	                              * access per order, docs/performance.md); 0 (default): not.
	                              * Part of a data_dir's identity */
};

struct oc_engine;

/* Where the workers' time went, per kind of stage (all shards together are "inventory"). */
struct oc_stage_stats {
	const char *name;  /* "journal", "validate", "inventory", "route", "egress"; static */
	uint64_t busy_ns;  /* wall time in steps that moved messages */
	uint64_t messages; /* messages those steps moved */
};

#define OC_STATS_STAGES 5

/* Per-engine counters, read after oc_engine_stop. */
struct oc_stats {
	uint64_t commands;                         /* sequenced */
	uint64_t responses;                        /* polled */
	uint64_t accepted;
	uint64_t cancelled;
	uint64_t rejected[OC_REJECT_REASON_COUNT]; /* by reason */
	uint64_t duplicates;                       /* answered from an earlier order */
	uint64_t split_orders;                     /* shipped from more than one warehouse */
	uint64_t restocks, write_offs;             /* stock changes done (not rejected) */
	uint64_t shipped, delivered;               /* orders that reached these states */
	uint64_t lease_expiries;                   /* card orders cancelled by their lease */
	uint64_t refunds;                          /* refunds done (not rejected) */
	uint64_t adjustments;                      /* cycle counts done (not rejected) */
	uint64_t exceptions;                       /* orders that went to exception */
	uint64_t returns, returns_received;        /* RMAs opened, and received */
	uint64_t replacements;                     /* replacement orders accepted */
	uint64_t qc_failures;                      /* packs that failed their quality check */
	uint64_t short_picks;                      /* short picks done (not rejected) */
	uint64_t short_units_rerouted;             /* units of them allocated again elsewhere */
	uint64_t short_units_cut;                  /* units of them cut from their orders */
	uint64_t short_units_backordered;          /* units of them backordered */
	uint64_t backorder_units_filled;           /* backordered units receipts allocated */
	uint64_t backorder_units_cut;              /* units a backordering short pick cut: the
	                                            * backorders were full (in short_units_cut
	                                            * too) */
	uint64_t payments_received;                /* orders on account paid */
	uint64_t waves;                            /* pick waves released */
	uint64_t labels;                           /* parcels labelled at packs */
	uint64_t label_cents;                      /* what their carriers charge, in all */
	uint64_t screened;                         /* places screened (not malformed, not a
	                                            * retry, the key table not full) */
	uint64_t screen_unremembered;              /* of them, let through with a customer, card
	                                            * or address the full screening tables could
	                                            * not take (screened as a new one) */
	uint64_t holds;                            /* orders held for review */
	uint64_t held[OC_REJECT_REASON_COUNT];     /* holds by the rule that decided them */
	uint64_t reviews_approved, reviews_rejected;
	uint64_t review_expiries;                  /* held orders cancelled by review_ttl_ms */
	uint64_t block_changes;                    /* block list entries added or taken out */
	uint64_t recovered;                        /* commands recovered at start */
	uint64_t restored_seq;                     /* the snapshot restored at start, 0: none */
	uint64_t snapshots;                        /* snapshots written */
	uint64_t snapshot_failures;                /* snapshots abandoned after an error */
	uint64_t snapshot_seq;                     /* the last written, 0: none */
	uint64_t snapshot_write_ns;                /* the last: first part to commit, written
	                                            * by a background thread */
	uint64_t log_frames;                       /* frames appended to the log (group commits) */
	uint64_t log_bytes;                        /* bytes appended to the log */
	uint64_t worker_turns;                     /* turns over all workers' stages */
	uint64_t worker_parks;                     /* times a worker slept on its futex */
	struct oc_stage_stats stages[OC_STATS_STAGES];
	uint32_t threads;                          /* worker threads actually started */
	uint32_t shards;
	uint32_t pinned;                           /* 1 if workers were pinned */
};

/* Stock of one SKU, summed over warehouses, read after oc_engine_stop. */
struct oc_stock {
	uint64_t initial;   /* on hand at load (the dataset) */
	uint64_t on_hand;   /* on hand now: initial + restocked - written off */
	uint64_t available; /* the shard's count of units not reserved */
	uint64_t allocated; /* units held by accepted, not cancelled orders */
	uint64_t picked;    /* of them, those of picked and packed orders */
	uint32_t limit_per_customer;
	uint32_t safety;    /* safety stock (OC_CMD_SET_SAFETY_STOCK) */
};

void oc_config_init(struct oc_config *cfg);

/* Loads the dataset and allocates every table, ring and worker; with data_dir, checks that
 * the directory belongs to this configuration and dataset, checks the log there (a torn last
 * frame is cut off and said on stderr; a damaged frame followed by good ones is refused with
 * its file, offset and sequence number, unless log_truncate_corrupt), restores the newest
 * snapshot the log continues (an older one if it is damaged) and opens the log for
 * appending. On failure returns -errno and writes a one-line reason (file and line for a bad
 * dataset row) into err. */
int oc_engine_create(const struct oc_config *cfg, struct oc_engine **out, char *err,
		     size_t err_bytes);

/* Starts the workers, and replays the write-ahead log found in data_dir after the snapshot
 * create restored, if any, through the pipeline with its answers muted: the engine is then in
 * the state it had when the last logged command was decided. New commands continue the log's
 * sequence numbers.
 * -EALREADY if this engine was started before; -EIO if the log cannot be read. */
int oc_engine_start(struct oc_engine *e);

/* Sequences up to n commands and hands them to the pipeline. Returns how many were taken
 * (0 when the admission window or the rings are full: poll, then try again), never blocks.
 * Also inserts the engine's own commands when due (snapshot barriers; ticks that carry the
 * time to expire payment leases): a submitter with nothing to send calls it with n = 0 now
 * and then (every few milliseconds while card orders wait for payment).
 * Stamps seq and ts_ns in cmds[0..returned). Malformed commands are taken and answered
 * with a rejection, never refused here. */
int oc_engine_try_submit_burst(struct oc_engine *e, struct oc_command *cmds, uint32_t n);

/* Moves up to n responses into out; returns the count (0 if none yet), never blocks. */
int oc_engine_poll_burst(struct oc_engine *e, struct oc_response *out, uint32_t n);

/* Sleeping instead of polling: the poller calls oc_engine_poll_arm when a poll found nothing.
 * 1: responses came meanwhile, poll again. 0: the engine will make oc_engine_response_fd
 * readable when the next responses are in the ring; wait for that (poll, epoll, io_uring),
 * read its 8 bytes, poll. A wake-up may be spurious (poll finds nothing: arm again). The
 * engine writes the fd only for an armed poller, so a busy poller costs it no system call.
 * Called by the poller. */
int oc_engine_poll_arm(struct oc_engine *e);

/* An eventfd (non-blocking, close-on-exec) owned by the engine; closed by oc_engine_free. */
int oc_engine_response_fd(const struct oc_engine *e);

/* Waits until every taken command has been answered (its response may still wait to be
 * polled: it stays pollable after stop), takes a snapshot (with a data_dir and
 * snapshot_on_stop, when commands came since the last) and waits until it is on disk, then
 * stops and joins the workers, and applies the
 * releases still pending in the shards, so the final state does not depend on timing.
 * Submitting must have ended before the call (the submitter's last call returned, ordered
 * before this one by the application). Returns 0; -EBUSY, with the engine still running,
 * when answers wait in a full response ring that nobody polls: poll them, then call stop
 * again; -EALREADY when the engine is not running. */
int oc_engine_stop(struct oc_engine *e);

/* Asks for a snapshot (with a data_dir): a barrier goes into the command stream once every
 * command taken so far has been decided, at this or a later submit call, and each stage
 * writes its state when the barrier reaches it; the snapshot is complete once the answers
 * before it are. Called by the submitter. Nothing is done if no command came since the last
 * snapshot. 0, or -EINVAL without a data_dir. Automatic snapshots follow snapshot_records and
 * snapshot_interval_ms; oc_engine_stop takes one. */
int oc_engine_snapshot(struct oc_engine *e);

/* Frees everything. If the engine still runs, it is halted at once and answers not yet made
 * are dropped (call oc_engine_stop first for a clean end). e may be NULL. */
void oc_engine_free(struct oc_engine *e);

/* Region id of a ship-to region named in warehouses.csv, or -ENOENT. */
int oc_engine_region_id(const struct oc_engine *e, const char *region);

/* Index of a warehouse by its code in warehouses.csv (dataset order), or -ENOENT. */
int oc_engine_warehouse_id(const struct oc_engine *e, const char *code);

/* Stock of a SKU (after stop). -ENOENT if the SKU is not in the catalog. */
int oc_engine_stock(const struct oc_engine *e, uint64_t sku, struct oc_stock *out);

/* A hash of the whole engine state (after stop): equal for equal command streams on engines
 * with the same dataset, shards, inflight_max and orders_max, whatever the threads. */
uint64_t oc_engine_state_hash(const struct oc_engine *e);

void oc_engine_stats(const struct oc_engine *e, struct oc_stats *out);

/* Writes the engine's live figures to out in the Prometheus text exposition format (0.0.4;
 * docs/operations.md lists them): per stage and worker, rings, the log, route's counters and
 * the shards'. Unlike the calls above it may be called from any one thread at any time
 * between create and free, also while the engine runs: it reads only metrics their owners
 * publish (at most OC_WORKER_PUBLISH_NS, 100 ms, old while busy; exact once idle). 0 or -EIO
 * when out reports an error. */
int oc_engine_metrics_write(const struct oc_engine *e, FILE *out);

/* For a liveness check, from any thread while the engine runs: 0 when it decides commands,
 * -EIO once its log failed (answers are then unavailable). */
int oc_engine_health(const struct oc_engine *e);

/* The hash a screened place carries for an e-mail, a card fingerprint or an address, and
 * that block lists hold: XXH3-64 of the text with ASCII letters in lower case and spaces,
 * tabs, commas and periods left out (so "Jo.Doe@Example.com" and "jodoe@example.com" are
 * one). Never 0 (0 means "not given"). */
uint64_t oc_screen_hash(const char *text, size_t len);

/* Static names for enum values, for logs and reports. */
const char *oc_reject_reason_name(unsigned reason);
const char *oc_status_name(unsigned status);
/* "web", "app", "phone", "store", "marketplace"; "none" for 0; "unknown" past them. */
const char *oc_channel_name(unsigned channel);
const char *oc_order_state_name(unsigned state);
const char *oc_payment_state_name(unsigned payment);
/* "accepted", ..., "rejected_malformed", ..., "held_new_account", ...: enum oc_counter's
 * names in lower case (a rejection or hold: "rejected_" or "held_" and the reason's name);
 * "unknown" past them. */
const char *oc_counter_name(unsigned index);
/* "place", "restock", ... (enum oc_command_type); "unknown" for another value. */
const char *oc_command_type_name(unsigned type);

#ifdef __cplusplus
}
#endif

#endif
