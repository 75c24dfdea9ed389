/* stages_internal.h: the messages that travel between the stages of the order pipeline, and
 * the state each stage owns. The pipeline (DESIGN.md, docs/architecture.md):
 *
 *   submitter (gateway: the sequencer)
 *      --cmd--> validate --line[k]--> inventory shard k --result[k]--> route --out--> egress
 *                  |                         ^                          |  |          |
 *                  +---------- order -------------------------------->--+  |       responses
 *                                            +------ release[k] -----------+
 *
 * Every ring has one producer stage and one consumer stage; every table below is written by
 * the one stage that owns it. The only other shared data are two published counters:
 * route_done_seq (route -> sequencer: the admission window) and validated_seq (validate ->
 * shards: how far the command stream has been handed out). */
#ifndef OC_STAGES_INTERNAL_H
#define OC_STAGES_INTERNAL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "core/ring.h"
#include "core/table.h"
#include "core/worker.h"
#include "data/carriers.h"
#include "data/dataset.h"
#include "net/analytics.h"
#include "stages/fraud.h"
#include "ordercore/ordercore.h"
#include "wal/snapshot.h"
#include "wal/wal.h"

/* The snapshot barrier (docs/architecture.md, "Snapshots"): a command only the sequencer
 * makes. It takes a sequence number and is logged like any other command, so a replay meets
 * it at the same place, where it changes nothing. A client command of this type is made
 * malformed by the sequencer. After the journal, a live barrier's slot carries
 * flags = OC_BARRIER_WRITE when the stages are to write their parts (its commands are
 * durable), and key = the log's chain checksum after it. */
#define OC_CMD_SNAPSHOT 0x80u
#define OC_BARRIER_WRITE 1u
/* A tick: a command only the sequencer makes, when the wall clock passes the earliest
 * payment lease deadline route has published; it carries nothing but its timestamp, so that
 * leases expire when no client command comes. Logged and replayed like any command (a
 * client's tick is made malformed). Its answer is dropped by egress. */
#define OC_CMD_TICK 0x81u
/* Commands that change nothing (queries): answered by route, not counted with outcomes. */
static inline bool oc_cmd_is_query(uint8_t type)
{
	return (type >= OC_CMD_QUERY_ORDER && type <= OC_CMD_QUERY_STOCK) ||
	       type == OC_CMD_QUERY_STOCK_AT || type == OC_CMD_QUERY_HISTORY ||
	       type == OC_CMD_QUERY_CUSTOMER || type == OC_CMD_QUERY_RECONCILE ||
	       type == OC_CMD_QUERY_COUNTERS;
}

/* A line message with this sku is the barrier reaching a shard. */
#define OC_LINE_BARRIER UINT32_MAX

/* A stage's part of a snapshot: its file image, kept from one snapshot to the next, and
 * whether the snapshot writer still holds it (set by the stage when it hands the part over,
 * cleared by the writer with release once the file is written). */
struct oc_snap_part {
	struct oc_snap_buf buf;
	char name[16]; /* file name in the snapshot directory */
	_Atomic uint32_t busy;
};

/* One job of the snapshot writer: write a part, or (part NULL) commit the snapshot. */
struct oc_snap_job {
	uint64_t seq;
	struct oc_snap_part *part;
	uint64_t chain; /* commit: the log's chain checksum after seq */
	bool failed;    /* commit: a stage could not build its part */
};

/* Two snapshots' jobs: a part per stage and a commit each. */
#define OC_SNAP_JOBS_MAX (2u * (OC_LIMIT_SHARDS_MAX + 3u))

/* The snapshot writer (snapshotter.c): a thread that writes the parts the stages build when
 * the barrier reaches them, then commits the snapshot (snapshot.h, steps 1-5), so the stages
 * stall only for building their images in memory. Its queue has several producers (validate,
 * the shards, route), so it is a mutex and a condition variable, taken once per part per
 * snapshot, never per command. Counters are the thread's, read after it is joined. */
struct oc_snapshotter {
	const struct oc_snap_plan *plan;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct oc_snap_job jobs[OC_SNAP_JOBS_MAX];
	uint32_t head, count;
	bool stopping;
	uint64_t seq;          /* the snapshot being written */
	int error;             /* its first error */
	uint64_t started_ns;   /* when its first part was taken */
	struct oc_snap_buf manifest;
	/* Metrics (core/metrics.h), written by the writer thread; last_ns: first part to commit,
	 * last_unix_s: when the last one was committed (wall clock). */
	oc_metric snapshots, failures, last_seq, last_ns, last_unix_s;
	_Atomic uint64_t finished; /* snapshots committed or abandoned (tests wait on it) */
};

int oc_snapshotter_start(struct oc_snapshotter *s, const struct oc_snap_plan *plan);
/* Finishes the queued jobs and joins the thread. Harmless if not started. */
void oc_snapshotter_stop(struct oc_snapshotter *s);
/* Waits until the writer no longer holds p (the previous snapshot's part is written). */
void oc_snapshotter_reclaim(struct oc_snapshotter *s, struct oc_snap_part *p);
/* Hands a built part of snapshot seq to the writer. */
void oc_snapshotter_hand(struct oc_snapshotter *s, struct oc_snap_part *p, uint64_t seq);
/* Queues the commit of snapshot seq, after every part of it was handed over. */
void oc_snapshotter_commit(struct oc_snapshotter *s, uint64_t seq, uint64_t chain, bool failed);

/* Where the stages write snapshots: set up with a data_dir, read-only afterwards. */
struct oc_snap_plan {
	char root[OC_SNAP_PATH_BYTES_MAX - 64]; /* data_dir/snapshots */
	char wal_dir[OC_SNAP_PATH_BYTES_MAX];
	uint32_t kept;     /* snapshots kept; the log is kept from the oldest of them */
	uint32_t shards;
	uint64_t identity; /* fingerprint of the configuration and dataset (engine.c) */
};

/* A slot of the cmd ring is a whole struct oc_command rounded up to a cache line; the
 * sequencer copies only the header and the lines in use. */
#define OC_CMD_SLOT_BYTES ((sizeof(struct oc_command) + 63) & ~(size_t)63)
#define OC_CMD_HEADER_BYTES offsetof(struct oc_command, lines)

/* Copies a command into a ring slot: its header, the lines in use (none when line_count is
 * out of range: validate rejects it unread) and, for the commands that read them, order_key
 * and amount_cents. */
static inline void oc_command_copy(struct oc_command *slot, const struct oc_command *c)
{
	uint32_t lines = c->line_count <= OC_ORDER_LINES_MAX ? c->line_count : 0;
	memcpy(slot, c, OC_CMD_HEADER_BYTES + lines * sizeof(struct oc_line));
	if (oc_command_has_tail(c)) {
		slot->order_key = c->order_key;
		slot->amount_cents = c->amount_cents;
	}
	if (oc_command_has_screen(c))
		slot->screen = c->screen;
}

/* validate -> inventory shard: reserve one line. */
struct oc_line_msg {
	uint64_t seq;
	uint64_t customer;
	uint32_t sku_local; /* index of the SKU in the shard's arrays */
	uint32_t quantity;
	uint32_t sku;       /* global SKU index, echoed in the result */
	uint32_t flags;     /* OC_LINE_* */
};

#define OC_LINE_QUERY 0x1u     /* report the stock, reserve nothing */
#define OC_LINE_WRITE_OFF 0x2u /* reserve for a write-off (or a cycle count's decrease): no
                                * purchase limit, no counter, safety stock may go */
#define OC_LINE_SAFETY 0x4u    /* set the SKU's safety stock to quantity; report the stock */
#define OC_LINE_RETURN 0x8u    /* an RMA's line: reserve nothing, echo it with the price */
#define OC_LINE_REPLACEMENT 0x10u /* a replacement's line: reserved without a purchase counter
                                   * (it replaces units the customer bought) */

#define OC_ORDER_DUPLICATE 0x1u
#define OC_ORDER_BARRIER_WRITE 0x2u /* a snapshot barrier whose parts are being written */
#define OC_ORDER_CARD 0x4u          /* a place paid by card: payment_pending once allocated */
#define OC_ORDER_REPLACEMENT 0x8u   /* a place replacing the order `target` */
#define OC_ORDER_HOLD 0x10u         /* a place screening held for review (rule: `rule`) */
#define OC_ORDER_SCREENED_OUT 0x20u /* a place screening rejected (rule: `rule`): no lines */
#define OC_ORDER_ACCOUNT 0x40u      /* a place on account: route checks the credit line */
#define OC_ORDER_BACKORDER 0x80u    /* a short pick that backorders (OC_PICK_SHORT_BACKORDER) */

/* validate -> route: one per command, in sequence order. */
struct oc_order_msg {
	uint64_t seq;
	uint64_t key;
	uint64_t customer;
	uint32_t order_index; /* place: new; duplicate: the original; cancel: the target;
	                       * barrier: order indices given so far */
	uint32_t first_sku;   /* global SKU index of line 0 (for route's prefetch) */
	union {
		uint32_t quantity; /* a stock change: its units */
		uint32_t target;   /* an RMA, a short pick, a replacement place: the order's
		                    * index */
		struct {
			uint8_t rule;    /* a screened place held or rejected: the rule's reason */
			uint8_t days;    /* the requested speed (OC_PLACE_DAYS_OF), 0: any */
			uint8_t channel; /* enum oc_channel */
			uint8_t unused;
		} place;             /* a place that replaces nothing */
	};
	uint8_t type;         /* enum oc_command_type, or 0 when malformed */
	uint8_t reason;       /* set when validate rejected the command; barrier: 1 if
	                       * validate's part failed */
	uint8_t line_count;   /* lines sent to shards (0 if rejected, duplicate, cancel) */
	uint8_t flags;        /* OC_ORDER_* */
	union {
		uint8_t shard[OC_ORDER_LINES_MAX]; /* shard of each line, in line order */
		struct {
			uint64_t amount_cents; /* asked for (0: the rest) */
			uint32_t order_index;  /* the order refunded */
			uint32_t unused;
		} refund;                  /* a refund (no lines) */
		struct {
			uint8_t shard0_pad[8];   /* room for shard[0]: a decrease's write-off line's
			                          * shard, read as shard[0] */
			uint64_t expected_units; /* the on hand the count replaces */
		} adjust;                  /* a cycle count; quantity: the units counted */
	};
	union {
		uint16_t region;  /* a place: the ship-to region; a stock command: the warehouse */
		uint16_t detail;  /* a delivery exception, an RMA, a return received: the
		                   * command's flags (validated: a byte) */
	};
	uint16_t ts_ms_high;  /* the command's timestamp, milliseconds: the high 16 of 48 bits */
	uint32_t ts_ms_low;   /* and the low 32 (route's clock, docs/lifecycle.md) */
};

static inline uint64_t oc_order_msg_ts_ms(const struct oc_order_msg *om)
{
	return (uint64_t)om->ts_ms_high << 32 | om->ts_ms_low;
}

/* inventory shard -> route: the outcome of one line, in the order of the line messages. */
struct oc_result_msg {
	uint64_t seq;
	uint32_t sku;      /* global SKU index */
	uint32_t quantity;
	uint32_t price_cents; /* the SKU's unit price (0 for a barrier) */
	uint32_t safety;   /* a stock query's or safety stock line's: the SKU's safety stock */
	uint8_t reason;    /* OC_REJECT_NONE when reserved; barrier: 1 if the part failed.
	                    * A stock query's result (and a safety stock line's) has quantity =
	                    * units available. */
	uint8_t unused[7];
};

/* route -> inventory shard: give back a reserved line (a failed multi-line order's held
 * lines, or a cancelled order's lines), or add a restock's units (customer 0: no purchase
 * counter, as for a write-off given back). It becomes visible to the shard's decisions for
 * commands with seq >= cause_seq + inflight_max (docs/architecture.md). */
struct oc_release_msg {
	uint64_t cause_seq;
	uint64_t customer;
	uint32_t sku_local;
	uint32_t quantity;
	uint32_t flags;    /* OC_RELEASE_* */
	uint32_t unused;
};

#define OC_RELEASE_COUNTER_ONLY 0x1u /* only the purchase counter goes down: the units are gone
                                      * (a short pick's line cut) */

_Static_assert(sizeof(struct oc_line_msg) == 32, "line message is half a cache line");
_Static_assert(sizeof(struct oc_order_msg) == 64, "order message is one cache line");
_Static_assert(sizeof(struct oc_result_msg) == 32, "result message is half a cache line");
_Static_assert(sizeof(struct oc_release_msg) == 32, "release message is half a cache line");
_Static_assert(sizeof(struct oc_response) == 64, "response is a cache line");

/* Where a SKU lives: its shard and its index among that shard's SKUs, packed in 32 bits. */
#define OC_PLACE_SHARD(p) ((p) & 63u)
#define OC_PLACE_LOCAL(p) ((p) >> 6)
#define OC_PLACE(shard, local) ((local) << 6 | (shard))
_Static_assert(OC_LIMIT_SHARDS_MAX <= 64 && OC_LIMIT_SKUS_MAX <= (1u << 26),
	       "shard and local index pack into 32 bits");

/* The catalog as the stages see it: read-only after setup, shared by every thread. */
struct oc_catalog {
	const struct oc_dataset *data;
	const struct oc_carriers *carriers; /* service_count 0: packs make no documents */
	struct oc_u64map by_sku; /* SKU number -> value: global index, aux: OC_PLACE */
	uint32_t *place;         /* [global index] -> OC_PLACE */
	uint32_t line_quantity_max;
	uint32_t inflight_max;
	uint32_t lease_ttl_ms;
	uint32_t review_ttl_ms;  /* 0: held orders wait for their review */
	uint32_t wave_orders_max; /* 0: no waves (docs/lifecycle.md, "Waves") */
	uint32_t wave_cutoff_ms, wave_express_cutoff_ms;
	bool customer_index;     /* route keeps the customers' map */
	const struct oc_screening *screening; /* fraud rules, block list, credit lines */
};

/* The sequencer. Owned by the submitting application thread. */
struct oc_gateway {
	struct oc_ring *cmd;
	struct oc_worker *wake_validate;
	const _Atomic uint64_t *route_done_seq;
	const _Atomic uint64_t *lease_next_ms; /* route's earliest lease deadline, 0: none */
	uint64_t tick_ns;       /* when the last tick was inserted */
	uint64_t last_seq;      /* last sequence number given */
	uint64_t window_end;    /* cached route_done_seq + inflight_max */
	uint32_t inflight_max;
	bool replaying;         /* recovery: keep the logged timestamps */
	uint64_t commands;
	/* Snapshot barriers (with a log only). One is inserted when due, once route has
	 * finished every command before it (so every release those caused is in the shards'
	 * rings when they write their parts); until then nothing is admitted. */
	bool barriers;
	bool barrier_requested;        /* oc_engine_snapshot, or stop */
	uint64_t barrier_records;      /* due after this many commands (0: never) */
	uint64_t barrier_interval_ns;  /* due after this long with commands (0: never) */
	uint64_t barrier_seq;          /* the last barrier, or the restored snapshot */
	uint64_t barrier_ns;           /* when it was inserted */
};

/* The journal: between the sequencer and validate when the engine has a data_dir. It owns the
 * write-ahead log writer. Each turn it encodes the commands that arrived into the frame being
 * built and passes them on at once; it hands a frame to the log when the disk is idle or the
 * frame is full (group commit), and publishes durable_seq as frames complete. */
struct oc_journal {
	struct oc_ring *in;              /* from the sequencer */
	struct oc_ring *out;             /* to validate */
	struct oc_wal *wal;
	struct oc_wal_encoder enc;
	struct oc_worker *self;          /* kept awake while frames are in flight */
	struct oc_worker *wake_validate;
	struct oc_worker *wake_egress;
	enum oc_durability durability;
	uint64_t sync_interval_ns;       /* async */
	uint64_t last_sync_ns;
	uint64_t logged_seq;             /* commands up to here are already in the log */
	uint64_t published;              /* last durable_seq stored */
	void *frame;                     /* the log buffer the frame is built in */
	uint32_t frame_records;          /* in the frame being built (0: none begun) */
	int error;                       /* the log's sticky error, said once */
	/* Frames appended and not yet released (durable in sync mode, written in the others):
	 * a FIFO of their last sequence numbers and append times, for the latency histogram.
	 * The log keeps at most OC_WAL_INFLIGHT_FRAMES_MAX in flight, and a frame leaves the
	 * FIFO when its commands are released, so it never overflows. */
	uint64_t pending_seq[OC_WAL_INFLIGHT_FRAMES_MAX], pending_ns[OC_WAL_INFLIGHT_FRAMES_MAX];
	uint32_t pending_head, pending_count;
	uint64_t frame_last_seq;         /* the last command added to the frame being built */
	/* Metrics (core/metrics.h): written here, read by the admin endpoint. */
	oc_metric frames, bytes;         /* appended */
	oc_metric logged_seq_metric;     /* the last command appended */
	struct oc_metric_hist release_ns; /* a frame's append to its commands' release */
	alignas(64) _Atomic uint64_t durable_seq; /* read by egress */
	_Atomic uint32_t failed;                  /* 1 once the log failed; read by egress */
};

struct oc_validate {
	const struct oc_catalog *catalog;
	struct oc_ring *cmd;
	struct oc_ring *order;             /* -> route */
	struct oc_ring *line;              /* [shard] -> shard */
	struct oc_worker *wake_route;
	struct oc_worker **wake_inventory; /* every other worker running a shard, once */
	uint32_t inventory_workers;
	uint32_t shards;
	uint32_t orders_max;
	struct oc_u64map keys;             /* client key -> order index */
	uint32_t orders;                   /* order indices given */
	struct oc_fraud fraud;             /* the screening of OC_PLACE_SCREEN places */
	struct oc_snapshotter *snapshotter; /* with a log */
	struct oc_snap_part part;
	alignas(64) _Atomic uint64_t validated_seq; /* read by the shards */
};

/* A shard's stock of one SKU. */
struct oc_stock_cell {
	uint32_t available;   /* units not reserved */
	uint32_t limit;       /* units one customer may hold, 0: none */
	uint32_t price_cents; /* the unit price (skus.csv), told to route with each line's
	                       * result: route prices an order without a lookup of its own */
	uint32_t safety;      /* units an order may not take (OC_CMD_SET_SAFETY_STOCK) */
};

/* A purchase counter: units of one SKU held by one customer. */
struct oc_pair {
	uint64_t customer; /* 0: empty */
	uint32_t sku_local;
	uint32_t units;
};

struct oc_shard {
	uint32_t index;
	const struct oc_catalog *catalog;
	struct oc_ring *line;     /* from validate */
	struct oc_ring *release;  /* from route */
	struct oc_ring *result;   /* to route */
	struct oc_worker *wake_route;
	const _Atomic uint64_t *validated_seq;
	uint32_t sku_count;
	struct oc_stock_cell *stock; /* [local] */
	struct oc_pair *pairs;    /* open addressing, keyed by (customer, sku_local) */
	uint32_t pair_mask;
	uint32_t pair_count;
	uint32_t pair_count_max;
	oc_metric reserved_lines;  /* metrics (core/metrics.h) */
	oc_metric released_lines;
	oc_metric skus_sold_out;   /* SKUs with no unit available (a gauge) */
	struct oc_snapshotter *snapshotter; /* with a log */
	struct oc_snap_part part;
};

/* A card order's payment lease. */
struct oc_lease {
	uint64_t deadline_ms;
	uint64_t key;         /* the order's, for the unsolicited answer */
	uint32_t order_index;
	uint32_t unused;
};

/* An accepted order's allocation: units of one SKU from one warehouse. */
struct oc_alloc {
	uint32_t sku;      /* global SKU index */
	uint16_t quantity;
	uint8_t warehouse;
	uint8_t service;   /* packed with a label: 1 + the carrier service (carriers.csv row) of
	                    * its warehouse's parcel; 0: no label */
};

/* A backordered line (backorders.c; docs/lifecycle.md, "Backorders"): units of a SKU an
 * order keeps without stock, waiting for a receipt. Links are 1 + an entry's index, 0: none. */
struct oc_backorder {
	uint32_t order;      /* order index */
	uint32_t sku;        /* global SKU index */
	uint32_t units;      /* still missing */
	uint32_t prev, next; /* in the SKU's FIFO (a free entry: next in the free list) */
	uint32_t order_next; /* the order's next entry */
};

/* A warehouse's open pick wave (docs/lifecycle.md, "Waves"): the orders that joined it since
 * its last release. */
struct oc_wave {
	uint64_t deadline_ms; /* released at the first command whose time reaches it: the
	                       * earliest of its orders' cutoffs; 0: the wave is empty */
	uint32_t orders;      /* members used */
	uint32_t lines;       /* the members' allocations at the warehouse when they joined */
	uint32_t member[OC_WAVE_LINES_MAX]; /* order indices, in joining order */
};

/* The most pick list rows one command can cause: an order joins the waves of the warehouses
 * of its allocations and may fill each (a wave's lines, and the wave's own row). */
#define OC_WAVE_ROWS_PER_COMMAND (OC_LIMIT_ORDER_ALLOCS_MAX * (OC_WAVE_LINES_MAX + 1))

/* The warehouses allocs[0..n) hold units at, a bit each. */
static inline uint64_t oc_alloc_warehouses(const struct oc_alloc *allocs, uint32_t n)
{
	uint64_t m = 0;
	for (uint32_t i = 0; i < n; i++)
		m |= allocs[i].quantity ? 1ull << allocs[i].warehouse : 0;
	return m;
}

/* A transition of an order (OC_CMD_QUERY_HISTORY): route's history ring holds them, each order's
 * chained newest first. */
struct oc_transition {
	uint64_t seq;         /* the command that made it */
	uint32_t order_index;
	uint32_t prev;        /* the order's transition before, UINT32_MAX: none */
	uint32_t ts_ms_low;   /* the command's timestamp, milliseconds (48 bits) */
	uint16_t ts_ms_high;
	uint8_t type;         /* the command's type; place with state cancelled: a lease expiry */
	uint8_t state;        /* the order's state after it */
};

_Static_assert(sizeof(struct oc_transition) == 24, "a transition is 24 bytes");

static inline uint64_t oc_transition_ts_ms(const struct oc_transition *t)
{
	return (uint64_t)t->ts_ms_high << 32 | t->ts_ms_low;
}

#define OC_NONE UINT32_MAX /* no index: the end of a chain */

/* A record: an order, a stock change or a refund, at the order index validate gave it. */
struct oc_order_rec {
	uint64_t seq;
	uint64_t customer;
	uint64_t key;            /* the client's key */
	uint64_t amount_cents;   /* an order: price x quantity over its lines at placing; a
	                          * refund: its amount (docs/lifecycle.md, "Money") */
	uint64_t refunded_cents; /* an order: refunded so far; a refund: the order's total after */
	uint32_t alloc_first;    /* an order: index into route's allocs (one per SKU and warehouse);
	                          * a refund, a short pick: the order's index */
	uint32_t history_last;   /* an order: its last transition in route's history, or OC_NONE */
	uint32_t customer_prev;  /* an order: the customer's order placed before, or OC_NONE */
	uint16_t alloc_count;
	uint8_t state;         /* enum oc_order_state now (docs/lifecycle.md) */
	uint8_t placed_state;  /* the decision when placed: allocated, payment_pending (paid by
	                        * card), on_hold (screening held it) or rejected (a stock change:
	                        * accepted or rejected) */
	uint8_t reason;        /* rejected: why; held by screening: the rule, kept after */
	uint8_t shipments;
	uint8_t warehouse;
	uint8_t type;          /* enum oc_command_type: place, a stock change, a refund, an
	                        * RMA or a short pick */
	union {
		uint16_t region;        /* an order: its ship-to region */
		uint8_t answered_state; /* a refund, a short pick: the order's state it
		                         * answered */
	};
	union {
		uint8_t detail;        /* an order in exception: OC_EXCEPTION_*; an RMA: its
		                        * oc_return_reason */
		uint8_t waves_pending; /* an allocated order: the open waves it is in (it is
		                        * released when none is left) */
	};
	uint8_t flags;         /* an order: OC_REC_*, and its requested days (OC_REC_DAYS) */
};

#define OC_REC_CARD 0x1u            /* paid by card (OC_PLACE_CARD) */
#define OC_REC_APPROVED 0x2u        /* held, then approved by a review */
#define OC_REC_REVIEW_REJECTED 0x4u /* held, then rejected by a review */
#define OC_REC_ACCOUNT 0x8u         /* on account (OC_PLACE_ACCOUNT): owed until paid */
#define OC_REC_PAID 0x10u           /* on account, and paid (OC_CMD_PAYMENT_RECEIVED) */
/* The order's requested speed: the most transit days its parcels may take (0: any). */
#define OC_REC_DAYS_SHIFT 5u
#define OC_REC_DAYS(flags) ((uint8_t)(flags) >> OC_REC_DAYS_SHIFT)
_Static_assert(OC_PLACE_DAYS_MASK >> OC_PLACE_DAYS_SHIFT <= 0xffu >> OC_REC_DAYS_SHIFT,
	       "the days fit the record's flags above OC_REC_*");

_Static_assert(sizeof(struct oc_order_rec) == 64, "order record is a cache line");

/* Route's figures as metrics (core/metrics.h): oc_route_publish copies them here on route's
 * worker (engine_metrics.c names them). counter[] is in enum oc_counter's order. */
struct oc_route_metrics {
	oc_metric counter[OC_COUNTER_REJECTED];
	oc_metric rejected[OC_REJECT_REASON_COUNT];
	oc_metric held[OC_REJECT_REASON_COUNT];
	oc_metric waves;
	oc_metric untimed;
	oc_metric records;             /* orders_seen: order records used of orders_max */
	oc_metric in_state[OC_STATE_COUNT];
	oc_metric by_channel[OC_CHANNEL_COUNT][OC_ANALYTICS_FIGURES_WORDS];
};

struct oc_route {
	const struct oc_catalog *catalog;
	struct oc_ring *order;        /* from validate */
	struct oc_ring *result;       /* [shard] from shards */
	struct oc_ring *release;      /* [shard] to shards */
	struct oc_ring *out;          /* to egress */
	struct oc_worker *wake_egress;
	struct oc_worker **wake_shard;
	uint32_t shards;
	uint32_t warehouses;
	uint32_t *free_units;         /* [sku * warehouses + w] units not allocated */
	uint32_t *on_hand;            /* [sku * warehouses + w] units there: free, allocated and
	                               * picked */
	uint32_t *picked_units;       /* [sku * warehouses + w] of the allocated, those of picked
	                               * and packed orders (the reconciliation) */
	size_t free_cells;            /* SKUs x warehouses */
	struct oc_order_rec *orders;  /* [order index]; in sequence order */
	struct oc_u64map customers;   /* customer -> index of their last order (customer_prev
	                               * chains the rest); with catalog->customer_index only */
	struct oc_transition *history; /* a ring of history_max; [0, history_next) and, once it
	                                * wrapped, the rest are in use */
	uint32_t history_max;
	uint32_t history_next;
	bool history_wrapped;
	uint32_t orders_max;
	uint32_t orders_seen;         /* records written: order indices below it */
	struct oc_alloc *allocs;
	uint32_t alloc_count;
	uint32_t allocs_max;
	uint32_t *taken;              /* [shard] results consumed this turn */
	uint32_t *released;           /* [shard] releases written this turn */
	uint64_t accepted, cancelled, duplicates, split_orders, restocks, write_offs;
	uint64_t shipped, delivered, lease_expiries, refunds, adjustments;
	uint64_t exceptions, returns, returns_received, replacements, qc_failures;
	uint64_t holds, reviews_approved, reviews_rejected, review_expiries;
	uint64_t short_picks, short_units_rerouted, short_units_cut, payments_received;
	uint64_t labels, label_cents; /* parcels labelled at packs, what their carriers charge */
	uint64_t short_units_backordered, backorder_units_filled, backorder_units_cut;
	/* Backorders (backorders.c): a pool of orders_max entries, [0, backorders_used) taken
	 * once (live or on the free list, by link); each SKU's FIFO, oldest first; each order's
	 * chain of entries (1 + index; 0: none, so zeroed pages need no write). */
	struct oc_backorder *backorders;
	uint32_t backorders_used, backorders_live, backorder_free, backorder_skus;
	uint32_t *backorder_head, *backorder_tail; /* [sku] */
	uint32_t *backorder_first;                 /* [order index] */
	/* Pick waves (with catalog->wave_orders_max; waves.c): each warehouse's open wave, the
	 * earliest deadline among them (0: none), the warehouses whose waves the command being
	 * decided filled (released after its answer), the waves released so far (the last one's
	 * number), and the command that released one by its cutoff (one a command). */
	struct oc_wave *waves;
	uint64_t wave_next_ms;
	uint64_t waves_full;
	uint64_t waves_released;
	uint64_t wave_expire_seq;
	/* Credit lines (docs/lifecycle.md, "Credit"): customer -> value: index into open_cents,
	 * a map of the dataset's credit.csv rows, read-only after setup; open_cents[i] what that
	 * customer's orders on account owe now. */
	struct oc_u64map credit;
	uint64_t *open_cents;
	uint64_t held[OC_REJECT_REASON_COUNT]; /* holds by rule */
	uint8_t *channels;            /* [order index]: an order's enum oc_channel (answers carry
	                               * it: OC_RESPONSE_CHANNEL); a replacement's is its order's */
	uint32_t *links;              /* [order index]: 1 + the index of an order's replacement, of
	                               * a replacement's or an RMA's order; 0: none (zeroed at
	                               * allocation: docs/lifecycle.md) */
	/* Payment leases of card orders (docs/lifecycle.md): a FIFO in deadline order (one TTL,
	 * deadlines from a clock that never goes back); [lease_head, lease_tail) are pending or
	 * ended (skipped when they reach the head). Each order enters once, so orders_max
	 * entries never wrap. */
	struct oc_lease *leases;
	uint32_t lease_head, lease_tail;
	/* The review deadlines of held orders (with catalog->review_ttl_ms): a FIFO of the same
	 * kind, one TTL; an order still on hold at its deadline is cancelled. */
	struct oc_lease *reviews;
	uint32_t review_head, review_tail;
	uint64_t clock_ms;            /* the largest command timestamp seen, milliseconds */
	uint64_t expire_seq;          /* the command expiring leases, and the allocations it */
	uint32_t expire_allocs;       /* gave back so far (capped: OC_LIMIT_COMMAND_RELEASES_MAX) */
	uint32_t outs;                /* responses written to `out` this turn */
	uint64_t rejected[OC_REJECT_REASON_COUNT];
	/* Live figures (docs/operations.md), kept at each order's transitions
	 * (oc_route_transition) and labels. Not in snapshots: by_channel and untimed count from
	 * this process's start (the log replayed at start included); in_state is recounted
	 * from the records at a restore. */
	uint8_t *counted_state;       /* [order index] the state it is counted in, 0: none */
	uint64_t *placed_ms;          /* [order index] its place's timestamp, 0: not seen */
	uint64_t in_state[OC_STATE_COUNT]; /* orders by their state now; [0] unused */
	struct oc_analytics_figures by_channel[OC_CHANNEL_COUNT]; /* the analytics' figures */
	uint64_t untimed;             /* shipments of orders placed before this process */
	struct oc_snapshotter *snapshotter; /* with a log */
	struct oc_snap_part part;
	struct oc_route_metrics metrics;       /* oc_route_publish's copy of the figures */
	uint64_t published_done;               /* 1 + done_seq at that copy, 0: none yet */
	alignas(64) _Atomic uint64_t done_seq; /* read by the sequencer */
	_Atomic uint64_t lease_next_ms;        /* the earliest head's deadline (leases, reviews),
	                                        * 0: none; read by the
	                                        * sequencer to insert ticks */
};

struct oc_egress {
	struct oc_ring *out;       /* from route */
	struct oc_ring *responses; /* to the poller */
	struct oc_worker *wake_route;
	const _Atomic uint64_t *durable_seq; /* the journal's, or NULL without a log */
	const _Atomic uint32_t *log_failed;  /* the journal's, or NULL */
	_Atomic uint32_t *armed;   /* the poller's: write wake_fd when set */
	int wake_fd;               /* the engine's response eventfd */
	oc_metric unavailable;     /* answers turned into OC_REJECT_UNAVAILABLE */
	uint64_t mute_seq;         /* answers up to here are recovery's: dropped */
	uint64_t forwarded;
};

/* The application side of the response ring. */
struct oc_poller {
	struct oc_ring *responses;
	struct oc_worker *wake_egress;
	uint64_t responses_polled;
	/* 1 while the poller sleeps on the response eventfd: set by it (oc_poller_arm), taken
	 * back to 0 by egress, which then writes the eventfd once. */
	alignas(64) _Atomic uint32_t armed;
};

int oc_gateway_try_submit(struct oc_gateway *g, struct oc_command *cmds, uint32_t n);

/* Opens the log for appending after its recovered prefix (start: where the log stands). */
int oc_journal_init(struct oc_journal *j, const struct oc_config *cfg, const char *wal_dir,
		    const struct oc_wal_chain *start, char *err, size_t err_bytes);
/* Waits for the frames in flight and closes the log. */
void oc_journal_destroy(struct oc_journal *j);
uint32_t oc_journal_step(void *journal);


/* Snapshots: each stage writes its part when the barrier reaches it, and restores it before
 * the workers start (the reader was opened and verified by the caller). Writes return 0 or
 * -errno; restores 0 or -EINVAL when the content does not fit this engine. */
/* Screening with the dataset's rules, remembering screen_entries_max of each kind. */
int oc_validate_init(struct oc_validate *v, uint32_t orders_max,
		     const struct oc_screening *screening, uint32_t screen_entries_max);
int oc_validate_restore(struct oc_validate *v, struct oc_snap_reader *r, uint64_t seq);
void oc_validate_destroy(struct oc_validate *v);
uint32_t oc_validate_step(void *validate);

/* Sets up shard `index` with room for pair_count_max purchase counters (none when no SKU of
 * the shard has a limit). 0 or -ENOMEM. */
int oc_shard_init(struct oc_shard *s, const struct oc_catalog *c, uint32_t index,
		  uint32_t pair_count_max);
void oc_shard_destroy(struct oc_shard *s);
uint32_t oc_shard_step(void *shard);
/* One line's reservation (OC_REJECT_NONE, or why not) and one release, as the shard's step
 * applies them; public for bench/bench_inventory.c. */
uint8_t oc_shard_reserve(struct oc_shard *s, const struct oc_line_msg *m);
void oc_shard_release(struct oc_shard *s, const struct oc_release_msg *m);
/* After the workers stopped: applies every release still in the ring. */
void oc_shard_apply_all_releases(struct oc_shard *s);
uint64_t oc_shard_hash(const struct oc_shard *s, uint64_t seed);
/* Restores the shard; its pending releases are pushed into `release`, its release ring
 * (before the pipeline is wired). */
int oc_shard_restore(struct oc_shard *s, struct oc_snap_reader *r, struct oc_ring *release);

int oc_route_init(struct oc_route *r, const struct oc_catalog *c, uint32_t shards,
		  uint32_t orders_max);
void oc_route_destroy(struct oc_route *r);
uint32_t oc_route_step(void *route);
/* Copies route's counters and live figures into r->metrics; an oc_stage_publish_fn. */
void oc_route_publish(void *route);
uint64_t oc_route_hash(const struct oc_route *r, uint64_t seed);
int oc_route_restore(struct oc_route *r, struct oc_snap_reader *r_in, uint64_t seq);

/* Documents (documents.c; docs/lifecycle.md, "Documents"): a pack's packing slips and
 * labels, a shipment's invoice, written as rows before the command's answer. */
#define OC_DOC_ROWS_MAX (2u * OC_LIMIT_ORDER_ALLOCS_MAX) /* a slip line per allocation, a
                                                          * label per warehouse */

/* A parcel: what one warehouse ships of an order, and the service that carries it. */
struct oc_parcel {
	uint32_t warehouse;
	uint32_t weight_g; /* saturating at UINT32_MAX */
	uint32_t zone;     /* 1..OC_CARRIER_ZONES_MAX, from the ship-to region */
	struct oc_rate_choice rate;
};

/* Weighs and zones the parcels of an order's allocations (one per warehouse holding units,
 * ascending) and shops each a service within `days` (0: any). OC_REJECT_NONE with *count
 * parcels in out[OC_LIMIT_WAREHOUSES_MAX], or OC_REJECT_NO_CARRIER. Changes nothing. */
uint8_t oc_documents_parcels(const struct oc_catalog *c, const struct oc_alloc *allocs,
			     uint32_t n, uint32_t region, uint32_t days, struct oc_parcel *out,
			     uint32_t *count);
/* A pack's rows, each a copy of its answer `a` made a document: for each parcel, its
 * allocations' slip lines in the order of their SKUs' bins, then its label. Returns the rows
 * written to rows[OC_DOC_ROWS_MAX]. */
uint32_t oc_documents_pack(const struct oc_catalog *c, const struct oc_alloc *allocs, uint32_t n,
			   const struct oc_parcel *parcels, uint32_t count,
			   const struct oc_response *a, struct oc_response *rows);
/* A shipment's invoice lines, by warehouse (ascending), then in allocation order. Returns the
 * rows written to rows[OC_LIMIT_ORDER_ALLOCS_MAX]. */
uint32_t oc_documents_invoice(const struct oc_catalog *c, const struct oc_alloc *allocs,
			      uint32_t n, const struct oc_response *a, struct oc_response *rows);

/* Pick waves (waves.c; docs/lifecycle.md, "Waves"), on route's records: with
 * catalog->wave_orders_max, an order that becomes allocated joins the open wave of each
 * warehouse in `warehouses` (a mask: those of its allocations, or the new ones of a short
 * pick), and waits in allocated until every one of them is released. */
void oc_waves_join(struct oc_route *r, uint32_t index, uint64_t warehouses);
/* The waves the command om filled (r->waves_full), released after its answer: their pick
 * lists at r->outs. Room for them was made before the command (oc_waves_room). */
void oc_waves_release_full(struct oc_route *r, const struct oc_order_msg *om);
/* Whether the out ring has room for the waves command om may fill and its answer, after
 * r->outs: true without waves or for a command that allocates no order. */
bool oc_waves_room(const struct oc_route *r, const struct oc_order_msg *om);
/* Releases the wave whose deadline route's clock passed first, if any, before om's answer
 * (one a command: the next is still due at the next command or tick). False, nothing done,
 * when its rows and the answer do not fit now. */
bool oc_waves_release_due(struct oc_route *r, const struct oc_order_msg *om);
/* The waves in a snapshot part and back, and into the state hash (without deadlines: they
 * come from the wall clock). */
void oc_waves_put(const struct oc_route *r, struct oc_snap_buf *b);
int oc_waves_get(struct oc_route *r, struct oc_snap_reader *in);
uint64_t oc_waves_hash(const struct oc_route *r, uint64_t seed);
struct oc_plan_line;

/* Backorders (backorders.c; docs/lifecycle.md, "Backorders"), on route's records: the tables
 * for a catalog of `skus` (0 or -ENOMEM), and freeing them. */
int oc_backorders_init(struct oc_route *r, uint32_t skus);
void oc_backorders_destroy(struct oc_route *r);
/* Backorders `units` of `sku` for order `order` at the end of the SKU's FIFO; false, nothing
 * done, when the pool is full. */
bool oc_backorders_push(struct oc_route *r, uint32_t order, uint32_t sku, uint32_t units);
/* Whether order `order` has backordered lines (a pick of it waits). */
static inline bool oc_backorders_has(const struct oc_route *r, uint32_t order)
{
	return r->backorder_first[order] != 0;
}
/* The order's backordered lines: how many, and (lines) each's SKU and units into out[]. */
uint32_t oc_backorders_count(const struct oc_route *r, uint32_t order);
uint32_t oc_backorders_lines(const struct oc_route *r, uint32_t order, struct oc_plan_line *out);
/* The link of the SKU's oldest backorder (0: none), and the entry of a link. */
uint32_t oc_backorders_oldest(const struct oc_route *r, uint32_t sku);
struct oc_backorder *oc_backorders_at(struct oc_route *r, uint32_t link);
/* Takes a filled backorder out of its SKU's FIFO and its order's chain. */
void oc_backorders_remove(struct oc_route *r, uint32_t link);
/* Takes every backorder of a cancelled order out (their counters are the caller's). */
void oc_backorders_drop(struct oc_route *r, uint32_t order);
/* The backorders in a snapshot part (each SKU's FIFO, oldest first) and back into an empty
 * route (-EINVAL when they do not fit it: order indices below `orders`), and into the state
 * hash. */
void oc_backorders_put(const struct oc_route *r, struct oc_snap_buf *b);
int oc_backorders_get(struct oc_route *r, struct oc_snap_reader *in, uint32_t orders);
uint64_t oc_backorders_hash(const struct oc_route *r, uint64_t seed);
/* Records that order `index` moved to the state it is in now, by the command seq at ts_ms of
 * type `type` (route.c: the history ring). */
void oc_route_transition(struct oc_route *r, uint32_t index, uint64_t seq, uint64_t ts_ms,
			 uint8_t type);

/* Fulfilment planning (route_plan.c). */
struct oc_plan_line {
	uint32_t sku; /* global SKU index */
	uint32_t quantity;
};

#define OC_PLAN_ALLOCS_MAX (OC_ORDER_LINES_MAX * OC_LIMIT_WAREHOUSES_MAX)

/* Chooses warehouses for an order whose lines are all available in total: the nearest
 * warehouse (in the ship-to region's order) that holds every line whole; else the fewest
 * warehouses that each hold some lines whole; a line no single warehouse holds is split,
 * nearest first. Reads free_units [sku * warehouses + w]; writes the allocations to out and
 * returns their count. Changes nothing. */
uint32_t oc_route_plan(const uint32_t *free_units, uint32_t warehouses,
		       const uint8_t *warehouse_order, const struct oc_plan_line *lines,
		       uint32_t line_count, struct oc_alloc *out /* [OC_PLAN_ALLOCS_MAX] */);

uint32_t oc_egress_step(void *egress);
int oc_poller_poll(struct oc_poller *p, struct oc_response *out, uint32_t n);
/* 1 when responses wait; else 0, armed: egress will write the eventfd. */
int oc_poller_arm(struct oc_poller *p);

#endif
