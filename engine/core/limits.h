/* Every hard bound of the engine, in one place, each with its unit and the reason for it.
 * Configurable bounds have their default here and are checked against the hard maximum
 * at start (oc_config_check); relationships between them are asserted at compile time. */
#ifndef OC_LIMITS_H
#define OC_LIMITS_H

#include "ordercore/ordercore.h"

/* Lines in one order. The public header owns the number (it sizes struct oc_command). */
#define OC_LIMIT_ORDER_LINES_MAX OC_ORDER_LINES_MAX

/* Warehouses in a dataset: route keeps "which warehouses can serve this line" as a
 * 64-bit mask, so 64 is the hard ceiling. */
#define OC_LIMIT_WAREHOUSES_MAX 64u

/* Ship-to regions: a region id travels as uint16_t in commands. */
#define OC_LIMIT_REGIONS_MAX 1024u

/* SKUs in a catalog: indices are uint32_t; 2^26 keeps route's per-(SKU, warehouse) stock
 * array (4 bytes each) under 16 GiB even at 64 warehouses. */
#define OC_LIMIT_SKUS_MAX (1u << 26)

/* Inventory shards and worker threads. */
#define OC_LIMIT_SHARDS_MAX 64u
#define OC_LIMIT_THREADS_MAX 64u

/* Units of one SKU on one line: route keeps allocated quantities as uint16_t. */
#define OC_LIMIT_LINE_QUANTITY_MAX 65535u

/* Units of one SKU over all warehouses (on hand: free and allocated), in the dataset and after
 * any restock: shards keep a SKU's available units and route its per-warehouse units as
 * uint32_t, and a sum over warehouses must fit too. A restock that would pass it is
 * rejected (bad_quantity); a dataset that does is refused at load. */
#define OC_LIMIT_SKU_UNITS_MAX 1000000000u

/* Allocations of one order: a line split over several warehouses takes one each. 32 covers
 * 16 lines each split in two; an order whose plan needs more is rejected (capacity). With its
 * backordered lines (docs/lifecycle.md, "Backorders") it bounds the releases one command can
 * cause (a cancel gives back each allocation and each backorder's counter), which sizes the
 * release rings so that they never fill (docs/architecture.md, no deadlock). */
#define OC_LIMIT_ORDER_ALLOCS_MAX 32u

/* Releases one command can cause: its own (a cancel's, a decline's: one order's allocations)
 * and those of the payment leases it expires, which route caps at one order's worth of
 * allocations per command (the rest expire at the next command or tick). Sizes the release
 * rings (docs/architecture.md, no deadlock, point 4). */
#define OC_LIMIT_COMMAND_RELEASES_MAX (2u * OC_LIMIT_ORDER_ALLOCS_MAX)

/* Route's allocation table holds this many allocations per order of orders_max. */
#define OC_ALLOCS_PER_ORDER 4u
/* Transitions route keeps for the order histories (OC_CMD_QUERY_HISTORY), per order of
 * orders_max: a ring, so the oldest are forgotten first once it is full (an order goes
 * through about 6 in a full life; every partial refund adds one). 24 bytes each. */
#define OC_HISTORY_PER_ORDER 4u

/* Orders in flight between the sequencer and route: the admission window. It is also the
 * lag, in sequence numbers, after which a compensating release becomes visible to a shard
 * (docs/architecture.md, "Determinism of releases"). Rings are sized from it. */
#define OC_DEFAULT_INFLIGHT_MAX 1024u
#define OC_LIMIT_INFLIGHT_MAX (1u << 20)

/* With a log, answers wait in route's out ring until the disk has their commands; the ring
 * holds this many windows of them, so that a group commit can gather that many commands
 * while the previous frame syncs (bytes per sync are what durable throughput is made of). */
#define OC_DURABLE_WAIT_WINDOWS 16u

/* async durability: the longest a written command waits for its fdatasync, milliseconds. */
#define OC_DEFAULT_FSYNC_INTERVAL_MS 10u

/* Snapshots: by default one every 4M commands (about a second of replay at the measured
 * 4.5M records/s, so a restart replays at most that) or every minute with commands, whichever
 * comes first; two kept, so a damaged newest one falls back to the one before. */
#define OC_DEFAULT_SNAPSHOT_RECORDS (1ull << 22)
#define OC_DEFAULT_SNAPSHOT_INTERVAL_MS 60000u
#define OC_DEFAULT_SNAPSHOTS_KEPT 2u
#define OC_LIMIT_SNAPSHOTS_KEPT_MAX 64u

/* The payment lease of a card order: how long its stock is held in payment_pending before
 * the order is cancelled, milliseconds (docs/lifecycle.md). At most a week: a lease is a hold
 * on stock during checkout, not a backorder. */
#define OC_DEFAULT_LEASE_TTL_MS 600000u
#define OC_LIMIT_LEASE_TTL_MS (7u * 24u * 3600u * 1000u)

/* Pick waves (docs/lifecycle.md, "Waves"). A wave's pick list holds at most
 * OC_WAVE_LINES_MAX lines (an order's allocations at the warehouse each): the wave is
 * released once it holds more than OC_WAVE_LINES_MAX - OC_LIMIT_ORDER_ALLOCS_MAX, so that
 * any order still fits, or wave_orders_max orders, or at its cutoff. A wave has at least a
 * line per order, so wave_orders_max is at most OC_WAVE_LINES_MAX. Cutoffs are the longest
 * an order waits in an open wave, milliseconds: express for an order asking for at most
 * OC_WAVE_EXPRESS_DAYS_MAX days in transit, standard for the others. */
#define OC_WAVE_LINES_MAX 64u
#define OC_LIMIT_WAVE_ORDERS_MAX OC_WAVE_LINES_MAX
#define OC_WAVE_EXPRESS_DAYS_MAX 2u
#define OC_DEFAULT_WAVE_CUTOFF_MS (15u * 60u * 1000u)
#define OC_DEFAULT_WAVE_EXPRESS_CUTOFF_MS (2u * 60u * 1000u)
#define OC_LIMIT_WAVE_CUTOFF_MS (24u * 3600u * 1000u)

/* Order, line and purchase-counter tables are sized at start from these. */
#define OC_DEFAULT_ORDERS_MAX (1u << 20)
/* Customers, cards and addresses the fraud screening remembers, each (with screening only):
 * ~110 bytes apiece, so ~85 MiB for the three at this default. */
#define OC_DEFAULT_SCREEN_ENTRIES_MAX (1u << 18)
#define OC_LIMIT_ORDERS_MAX (1u << 28)
#define OC_DEFAULT_LINE_QUANTITY_MAX 100u
#define OC_DEFAULT_SHARDS 4u

/* Idle strategy of a worker: spin this many empty turns, then yield this many, then park
 * on its futex until a producer wakes it. On 2 cores spinning long is a 1000x loss
 * (DESIGN.md, measured facts), so both are short. */
#define OC_DEFAULT_IDLE_SPIN_TURNS 64u
#define OC_DEFAULT_IDLE_YIELD_TURNS 16u

/* Messages a stage moves per turn before giving the other stages of its worker a turn. */
#define OC_STAGE_BURST_MAX 256u

/* Hash tables are kept at most half full: an emptier open-addressing table probes less. */
#define OC_TABLE_LOAD_DENOMINATOR 2u

/* Dataset CSV files: the longest line and field accepted, in bytes. */
#define OC_CSV_LINE_BYTES_MAX 1024u
#define OC_NAME_BYTES_MAX 64u
#define OC_BIN_BYTES_MAX 16u
#define OC_REGION_BYTES_MAX 16u

_Static_assert((unsigned long long)OC_LIMIT_SKU_UNITS_MAX * 2 < 0xffffffffull,
	       "a SKU's units and one restock of at most as many fit in uint32_t");
_Static_assert(OC_LIMIT_ORDER_LINES_MAX <= 255, "line count travels as uint8_t");
_Static_assert(OC_LIMIT_WAREHOUSES_MAX <= 64, "warehouse masks are uint64_t");
_Static_assert(OC_LIMIT_REGIONS_MAX <= 65536, "region ids are uint16_t");
_Static_assert(OC_DEFAULT_INFLIGHT_MAX <= OC_LIMIT_INFLIGHT_MAX, "default within limit");
_Static_assert((unsigned long long)OC_LIMIT_ORDERS_MAX * OC_HISTORY_PER_ORDER < 0xffffffffull,
	       "history indices fit 32 bits, UINT32_MAX free for none");
_Static_assert((unsigned long long)OC_LIMIT_ORDERS_MAX * OC_ALLOCS_PER_ORDER <= 0xffffffffull,
	       "route's allocation count is uint32_t");
_Static_assert(OC_LIMIT_ORDER_LINES_MAX <= OC_LIMIT_ORDER_ALLOCS_MAX,
	       "a rejected order's releases (one per line) fit a command's release budget");
_Static_assert((unsigned long long)OC_LIMIT_INFLIGHT_MAX * OC_LIMIT_COMMAND_RELEASES_MAX <=
		       1ull << 31,
	       "ring slots (inflight_max x 64 for releases) fit in uint32_t");

#endif
