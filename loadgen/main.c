/* main.c: the command line of ordercore-loadgen. It parses options into struct lg_options
 * and runs one mode: --gen-dataset writes a demo dataset; --in-process runs a scenario
 * against an engine embedded in this process; --connect runs it against a running ordercored
 * over TCP. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/carriers.h"
#include "data/dataset.h"
#include "data/screening.h"
#include "loadgen.h"

static const char usage[] =
	"usage: ordercore-loadgen --in-process --scenario flash-sale [options]\n"
	"       ordercore-loadgen --connect HOST:PORT --dataset DIR [options]\n"
	"       ordercore-loadgen --gen-dataset DIR [dataset options]\n"
	"       ordercore-loadgen --measure-idle SECONDS [engine and dataset options]\n"
	"       ordercore-loadgen --verify-acked FILE --dataset DIR --data-dir DIR\n"
	"\n"
	"Modes:\n"
	"  --in-process            drive an engine embedded in this process\n"
	"  --connect HOST:PORT     drive the ordercored listening there, over TCP, with the\n"
	"                          same stream; needs --dataset, the daemon's dataset, and a\n"
	"                          daemon that has decided no command yet (or --key-base).\n"
	"                          Checks what the answers show (every command answered\n"
	"                          once, in order per connection; no SKU oversold against\n"
	"                          the dataset's stock; no customer over a limit; retries\n"
	"                          answered like the original); the engine's stock, counters\n"
	"                          and state hash are not visible over TCP and are reported\n"
	"                          as not checked\n"
	"  --gen-dataset DIR       write skus.csv, warehouses.csv, stock.csv into DIR\n"
	"  --measure-idle SECONDS  start an engine, send nothing, print the CPU it used\n"
	"  --measure-recovery      recover an engine from --data-dir (with --dataset) and\n"
	"                          print how long checking the log, restoring the snapshot\n"
	"                          and replaying the log after it took (takes no snapshot)\n"
	"\n"
	"Scenario options:\n"
	"  --scenario NAME         flash-sale (default): hot SKUs with little stock sell out\n"
	"                          under a stampede, per-customer limits, retries, cancels;\n"
	"                          steady: a steady rate of the whole lifecycle; peak-season:\n"
	"                          a ramp to 10x --base-rate, a channel mix, card payments\n"
	"                          (some declined), multi-line orders, the whole lifecycle;\n"
	"                          returns: the lifecycle with half the deliveries returned.\n"
	"                          All but flash-sale need --connect: the load generator plays\n"
	"                          the payment provider, the warehouses, the carriers and the\n"
	"                          customers (docs/loadgen.md, \"Scenarios and the\n"
	"                          lifecycle\"). Each sets the defaults below; options\n"
	"                          given override them. The players expect a daemon\n"
	"                          without pick waves\n"
	"  --orders N              commands in the stream (default 1000000)\n"
	"  --seed S                seed of the dataset and the stream (default 1)\n"
	"  --dataset DIR           use this dataset (default: generate one in /tmp)\n"
	"  --replay FILE           send a recorded order stream instead of a generated one: a\n"
	"                          CSV of places, header key,customer,channel,country,\n"
	"                          postal_code,lines,payment (docs/loadgen.md, \"Replay\");\n"
	"                          needs --dataset (its SKU numbers); --orders, the mix and\n"
	"                          the seed do not apply\n"
	"  --json FILE             write a JSON summary\n"
	"  --card-pct P            places paid by card, percent (peak-season 40, else 0)\n"
	"  --screen-pct P          places screened for fraud, percent, when the dataset has\n"
	"                          fraud.csv (--gen-dataset --screening): peak-season 20, some\n"
	"                          held for review (the players review them), else 0\n"
	"  --review-reject-pct P   held orders the fraud team rejects (peak-season 10)\n"
	"  --base-rate R           peak-season's rate at the start, commands a second (default\n"
	"                          10000); it ramps to 10x while half the stream is sent\n"
	"  --decline-pct P         the players' rates, percent: card payments declined,\n"
	"  --short-pick-pct P      picks one unit short first, packs that fail their quality\n"
	"  --qc-fail-pct P         check once, shipments lost, shipments damaged, deliveries\n"
	"  --lost-pct P            returned (steady 0/1/1/1/1/2, peak-season 3/2/2/1/1/5,\n"
	"  --damaged-pct P         returns 0/0/0/0/0/50)\n"
	"  --return-pct P\n"
	"  --step-delay-ms MS      between an answer and the next player's command (default 5)\n"
	"  --multi-line-pct P      orders with 2-4 lines, percent (default 10; peak-season 30)\n"
	"  --duplicate-pct P       retries with an earlier key, percent (default 1; returns 0)\n"
	"  --cancel-pct P          cancels of an earlier order, percent (default 1; returns 0)\n"
	"  --zipf S                skew of SKU popularity (default 1.1; steady and returns\n"
	"                          0.8, peak-season 1.0)\n"
	"  --customers N           customer ids drawn from 1..N (default orders / 10)\n"
	"  --batch N               in process: commands per submit call (default 256)\n"
	"  --quiet                 print nothing but errors\n"
	"  --data-dir DIR          in process: log every command in DIR/wal before answering\n"
	"                          it and take snapshots in DIR/snapshots (DIR must hold no\n"
	"                          log yet); default: in memory only. With --connect the\n"
	"                          daemon has its own (ordercored --data-dir)\n"
	"  --durability MODE       in process: sync (default), async or none (benchmarks\n"
	"                          only)\n"
	"  --snapshot-every N      with --data-dir, a snapshot after every N commands\n"
	"                          (default 4194304; 0: never by count)\n"
	"  --snapshot-interval-ms M  and after M ms with commands (default 60000; 0: never by\n"
	"                          time); there is always one at the end of a clean run\n"
	"  --snapshots-kept K      snapshots kept, 1-64 (default 2); the log is kept from the\n"
	"                          oldest\n"
	"  --truncate-corrupt-log  if the log in --data-dir is corrupt, cut it at the damage\n"
	"                          (losing every command after it) instead of refusing\n"
	"  --acked-log FILE        append every answer to a place as it arrives (in process\n"
	"                          or over TCP): key customer status original_seq\n"
	"  --verify-acked FILE     recover the engine from --data-dir (with --dataset) and\n"
	"                          check every order in FILE is there, answered the same,\n"
	"                          and stock is conserved; exit 0 if so, 1 if not. For an\n"
	"                          ordercored's --data-dir, --orders is its --orders-max\n"
	"                          (default 1048576): it sizes the tables recovered\n"
	"\n"
	"Network options (with --connect):\n"
	"  --token SECRET          the daemon's shared secret (ordercored --token)\n"
	"  --connections N         TCP connections, 1-1024 (default 4); commands are handed\n"
	"                          out in blocks of 64 to whichever has room\n"
	"  --pipeline N            commands in flight per connection, 1-65536 (default 256)\n"
	"  --rate SPEC             open loop: send each command when it is due on this\n"
	"                          schedule, commands a second: R (steady), or T:R,T:R,...\n"
	"                          (seconds from the start, linear in between, the last rate\n"
	"                          held; two points at one time make a step, e.g. a burst:\n"
	"                          0:1000,5:1000,5:20000,6:20000,6:1000). Latency counts from\n"
	"                          when a command was due, so a stalled daemon is charged for\n"
	"                          every command it held back (docs/loadgen.md, \"Pacing\")\n"
	"  --max                   closed loop (the default): as fast as answers free the\n"
	"                          pipelines; latency counts from when a command was queued\n"
	"  --duration S            stop queueing the stream's commands S seconds (1-86400)\n"
	"                          after the start: the run is the part of the stream queued\n"
	"                          by then (answered and checked as a whole stream); with\n"
	"                          --rate, the commands due and not sent are reported as the\n"
	"                          daemon's push-back (docs/loadgen.md, \"Overload\")\n"
	"  --key-base K            the stream's keys are K+1..K+N (default 0), so that runs\n"
	"                          can follow one another on one daemon: with K > 0 the daemon\n"
	"                          need not be empty, and the checks that count from an empty\n"
	"                          engine (units held equal to those sold, the counters) are\n"
	"                          relaxed (flash-sale only, K at most 2^61)\n"
	"  --report FILE.html      write a self-contained page with charts of throughput,\n"
	"                          latency percentiles, commands in flight and the stock left\n"
	"                          of the hottest SKUs a second, and the answers by reason\n"
	"  All connections are driven by one thread with ppoll(2). While it runs, a progress\n"
	"  line a second on stderr (elapsed, sent and answered a second, p99 of the second,\n"
	"  accepted, rejected, in flight); the report adds the latency percentiles p50, p90,\n"
	"  p99, p99.9, p99.99 and max (a log-linear histogram, within 1 %).\n"
	"\n"
	"Engine options (in process; 0 = the engine's default; the daemon has its own):\n"
	"  --threads N             worker threads (default: cores - 1)\n"
	"  --inventory-threads N   of which run inventory shards\n"
	"  --shards N              inventory shards (default 4)\n"
	"  --inflight N            admission window, a power of two (default 1024)\n"
	"\n"
	"Dataset options (generated datasets):\n"
	"  --skus N                SKUs (default 10000)\n"
	"  --warehouses W          warehouses, 1-64 (default 8)\n"
	"  --stock-per-sku Q       units of each SKU over all warehouses (default 1000)\n"
	"  --hot-skus H            SKUs with a per-customer limit (default min(10, skus))\n"
	"  --hot-limit L           that limit, units (default 2)\n"
	"  --hot-stock Q           units of each hot SKU (default: --stock-per-sku)\n"
	"  --screening             also fraud.csv, countries.csv and blocklist.csv: the demo\n"
	"                          fraud screening (docs/dataset.md, \"Screening\")\n"
	"  --carriers              also carriers.csv and rates.csv: demo carrier services and\n"
	"                          their rates, for labels at packs (docs/dataset.md,\n"
	"                          \"Carriers\")\n"
	"\n"
	"Exit status: 0 when every invariant holds, 1 when one is broken, 2 on a usage or\n"
	"setup error, or (--connect) when a connection fails or the daemon stops answering.\n";

enum { OPT_GEN = 256, OPT_INPROC, OPT_SCENARIO, OPT_ORDERS, OPT_SEED, OPT_DATASET, OPT_JSON,
       OPT_MULTI, OPT_DUP, OPT_CANCEL, OPT_ZIPF, OPT_BATCH, OPT_QUIET, OPT_THREADS,
       OPT_INV_THREADS, OPT_SHARDS, OPT_INFLIGHT, OPT_SKUS, OPT_WH, OPT_STOCK, OPT_HOT,
       OPT_HOT_LIMIT, OPT_IDLE, OPT_HOT_STOCK, OPT_CUSTOMERS, OPT_DATA_DIR, OPT_DURABILITY,
       OPT_ACKED_LOG, OPT_VERIFY_ACKED, OPT_RECOVERY, OPT_SNAP_EVERY, OPT_SNAP_INTERVAL,
       OPT_SNAP_KEPT, OPT_TRUNCATE, OPT_CONNECT, OPT_TOKEN, OPT_CONNECTIONS, OPT_PIPELINE,
       OPT_SCREENING, OPT_CARRIERS, OPT_RATE, OPT_MAX, OPT_REPORT, OPT_REPLAY, OPT_CARD,
       OPT_BASE_RATE, OPT_DECLINE, OPT_SHORT, OPT_QC, OPT_LOST, OPT_DAMAGED, OPT_RETURN,
       OPT_DELAY, OPT_SCREEN, OPT_REVIEW_REJECT, OPT_DURATION, OPT_KEY_BASE, OPT_HELP };

static const struct option options[] = {
	{"gen-dataset", required_argument, 0, OPT_GEN},
	{"in-process", no_argument, 0, OPT_INPROC},
	{"scenario", required_argument, 0, OPT_SCENARIO},
	{"orders", required_argument, 0, OPT_ORDERS},
	{"seed", required_argument, 0, OPT_SEED},
	{"dataset", required_argument, 0, OPT_DATASET},
	{"json", required_argument, 0, OPT_JSON},
	{"multi-line-pct", required_argument, 0, OPT_MULTI},
	{"duplicate-pct", required_argument, 0, OPT_DUP},
	{"cancel-pct", required_argument, 0, OPT_CANCEL},
	{"zipf", required_argument, 0, OPT_ZIPF},
	{"batch", required_argument, 0, OPT_BATCH},
	{"quiet", no_argument, 0, OPT_QUIET},
	{"threads", required_argument, 0, OPT_THREADS},
	{"inventory-threads", required_argument, 0, OPT_INV_THREADS},
	{"shards", required_argument, 0, OPT_SHARDS},
	{"inflight", required_argument, 0, OPT_INFLIGHT},
	{"skus", required_argument, 0, OPT_SKUS},
	{"warehouses", required_argument, 0, OPT_WH},
	{"stock-per-sku", required_argument, 0, OPT_STOCK},
	{"hot-skus", required_argument, 0, OPT_HOT},
	{"hot-limit", required_argument, 0, OPT_HOT_LIMIT},
	{"measure-idle", required_argument, 0, OPT_IDLE},
	{"hot-stock", required_argument, 0, OPT_HOT_STOCK},
	{"customers", required_argument, 0, OPT_CUSTOMERS},
	{"data-dir", required_argument, 0, OPT_DATA_DIR},
	{"durability", required_argument, 0, OPT_DURABILITY},
	{"acked-log", required_argument, 0, OPT_ACKED_LOG},
	{"verify-acked", required_argument, 0, OPT_VERIFY_ACKED},
	{"measure-recovery", no_argument, 0, OPT_RECOVERY},
	{"snapshot-every", required_argument, 0, OPT_SNAP_EVERY},
	{"snapshot-interval-ms", required_argument, 0, OPT_SNAP_INTERVAL},
	{"snapshots-kept", required_argument, 0, OPT_SNAP_KEPT},
	{"truncate-corrupt-log", no_argument, 0, OPT_TRUNCATE},
	{"connect", required_argument, 0, OPT_CONNECT},
	{"token", required_argument, 0, OPT_TOKEN},
	{"connections", required_argument, 0, OPT_CONNECTIONS},
	{"pipeline", required_argument, 0, OPT_PIPELINE},
	{"screening", no_argument, 0, OPT_SCREENING},
	{"carriers", no_argument, 0, OPT_CARRIERS},
	{"rate", required_argument, 0, OPT_RATE},
	{"max", no_argument, 0, OPT_MAX},
	{"report", required_argument, 0, OPT_REPORT},
	{"replay", required_argument, 0, OPT_REPLAY},
	{"card-pct", required_argument, 0, OPT_CARD},
	{"base-rate", required_argument, 0, OPT_BASE_RATE},
	{"decline-pct", required_argument, 0, OPT_DECLINE},
	{"short-pick-pct", required_argument, 0, OPT_SHORT},
	{"qc-fail-pct", required_argument, 0, OPT_QC},
	{"lost-pct", required_argument, 0, OPT_LOST},
	{"damaged-pct", required_argument, 0, OPT_DAMAGED},
	{"return-pct", required_argument, 0, OPT_RETURN},
	{"step-delay-ms", required_argument, 0, OPT_DELAY},
	{"screen-pct", required_argument, 0, OPT_SCREEN},
	{"review-reject-pct", required_argument, 0, OPT_REVIEW_REJECT},
	{"duration", required_argument, 0, OPT_DURATION},
	{"key-base", required_argument, 0, OPT_KEY_BASE},
	{"help", no_argument, 0, OPT_HELP},
	{0, 0, 0, 0},
};

/* Parses a whole decimal number in [min, max]; exits with status 2 otherwise. */
static uint64_t number(const char *opt, const char *text, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
		fprintf(stderr, "ordercore-loadgen: --%s wants a whole number in [%" PRIu64
				", %" PRIu64 "], not '%s'\n", opt, min, max, text);
		exit(2);
	}
	return v;
}

static uint32_t u32(const char *opt, const char *text, uint32_t min, uint32_t max)
{
	return (uint32_t)number(opt, text, min, max);
}

static uint32_t durability(const char *text)
{
	static const char *const names[] = {"sync", "async", "none"};
	for (uint32_t i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0)
			return i; /* enum oc_durability order */
	fprintf(stderr, "ordercore-loadgen: --durability is sync, async or none, not '%s'\n",
		text);
	exit(2);
}

static void parse(int argc, char **argv, struct lg_options *o, const char **gen_dir, int *inproc,
		  double *idle_s, const char **verify, int *screening, int *carriers,
		  uint32_t *base_rate)
{
	int c, idx;
	while ((c = getopt_long(argc, argv, "h", options, &idx)) != -1) {
		const char *name = c >= OPT_GEN && c < OPT_HELP ? options[c - OPT_GEN].name : "";
		switch (c) {
		case OPT_GEN: *gen_dir = optarg; break;
		case OPT_INPROC: *inproc = 1; break;
		case OPT_SCENARIO: o->scenario = optarg; break;
		case OPT_ORDERS: o->orders = number(name, optarg, 1, 1u << 30); break;
		case OPT_SEED: o->seed = number(name, optarg, 0, UINT64_MAX); break;
		case OPT_DATASET: o->dataset_dir = optarg; break;
		case OPT_JSON: o->json_path = optarg; break;
		case OPT_MULTI: o->multi_line_pct = u32(name, optarg, 0, 100); break;
		case OPT_DUP: o->duplicate_pct = u32(name, optarg, 0, 100); break;
		case OPT_CANCEL: o->cancel_pct = u32(name, optarg, 0, 100); break;
		case OPT_ZIPF: {
			char *end;
			o->zipf_s = strtod(optarg, &end);
			if (*end || end == optarg || o->zipf_s < 0 || o->zipf_s > 10) {
				fprintf(stderr, "ordercore-loadgen: --zipf wants a number in [0, 10]\n");
				exit(2);
			}
			break;
		}
		case OPT_BATCH: o->batch = u32(name, optarg, 1, 65536); break;
		case OPT_QUIET: o->quiet = 1; break;
		case OPT_THREADS: o->threads = u32(name, optarg, 0, 64); break;
		case OPT_INV_THREADS: o->inventory_threads = u32(name, optarg, 0, 64); break;
		case OPT_SHARDS: o->shards = u32(name, optarg, 0, 64); break;
		case OPT_INFLIGHT: o->inflight_max = u32(name, optarg, 0, 1u << 20); break;
		case OPT_SKUS: o->skus = u32(name, optarg, 1, 1u << 26); break;
		case OPT_WH: o->warehouses = u32(name, optarg, 1, 64); break;
		case OPT_STOCK: o->stock_per_sku = u32(name, optarg, 0, OC_LIMIT_SKU_UNITS_MAX); break;
		case OPT_HOT: o->hot_skus = u32(name, optarg, 0, 1u << 26); break;
		case OPT_HOT_LIMIT: o->hot_limit = u32(name, optarg, 0, UINT32_MAX); break;
		case OPT_HOT_STOCK:
			o->hot_stock = u32(name, optarg, 0, OC_LIMIT_SKU_UNITS_MAX);
			break;
		case OPT_CUSTOMERS: o->customers = number(name, optarg, 1, UINT32_MAX); break;
		case OPT_DATA_DIR: o->data_dir = optarg; break;
		case OPT_ACKED_LOG: o->acked_log = optarg; break;
		case OPT_VERIFY_ACKED: *verify = optarg; break;
		case OPT_RECOVERY: *verify = ""; break; /* no file: measure only */
		case OPT_DURABILITY: o->durability = durability(optarg); break;
		case OPT_SNAP_EVERY: o->snapshot_every = number(name, optarg, 0, UINT64_MAX - 1); break;
		case OPT_SNAP_INTERVAL:
			o->snapshot_interval_ms = u32(name, optarg, 0, UINT32_MAX - 1);
			break;
		case OPT_SNAP_KEPT: o->snapshots_kept = u32(name, optarg, 1, 64); break;
		case OPT_TRUNCATE: o->truncate_corrupt_log = 1; break;
		case OPT_IDLE: *idle_s = (double)number(name, optarg, 1, 3600); break;
		case OPT_CONNECT: o->connect = optarg; break;
		case OPT_TOKEN: o->token = optarg; break;
		case OPT_CONNECTIONS:
			o->connections = u32(name, optarg, 1, LG_CONNECTIONS_MAX);
			break;
		case OPT_PIPELINE: o->pipeline = u32(name, optarg, 1, LG_PIPELINE_MAX); break;
		case OPT_SCREENING: *screening = 1; break;
		case OPT_CARRIERS: *carriers = 1; break;
		case OPT_RATE: o->rate = optarg; break;
		case OPT_MAX: o->max = 1; break;
		case OPT_REPORT: o->report_path = optarg; break;
		case OPT_REPLAY: o->replay = optarg; break;
		case OPT_CARD: o->card_pct = u32(name, optarg, 0, 100); break;
		case OPT_BASE_RATE: *base_rate = u32(name, optarg, 1, 10000000); break;
		case OPT_DECLINE: o->life.decline_pct = u32(name, optarg, 0, 100); break;
		case OPT_SHORT: o->life.short_pct = u32(name, optarg, 0, 100); break;
		case OPT_QC: o->life.qc_fail_pct = u32(name, optarg, 0, 100); break;
		case OPT_LOST: o->life.lost_pct = u32(name, optarg, 0, 100); break;
		case OPT_DAMAGED: o->life.damaged_pct = u32(name, optarg, 0, 100); break;
		case OPT_RETURN: o->life.return_pct = u32(name, optarg, 0, 100); break;
		case OPT_DELAY: o->life.delay_ms = u32(name, optarg, 0, 60000); break;
		case OPT_SCREEN: o->screen_pct = u32(name, optarg, 0, 100); break;
		case OPT_REVIEW_REJECT:
			o->life.review_reject_pct = u32(name, optarg, 0, 100);
			break;
		case OPT_DURATION: o->duration_s = u32(name, optarg, 1, 86400); break;
		case OPT_KEY_BASE: o->key_base = number(name, optarg, 0, LG_KEY_BASE_MAX); break;
		case OPT_HELP:
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ordercore-loadgen: unexpected argument '%s'\n%s", argv[optind], usage);
		exit(2);
	}
}

/* An option left to the scenario. */
#define UNSET UINT32_MAX

/* A scenario's defaults (docs/loadgen.md, "Scenarios"): the stream's mix, whether the players
 * answer and their rates (percent), and its rate with --connect when neither --rate nor --max
 * is given (NULL: closed loop; "peak": the ramp from --base-rate). */
struct preset {
	const char *name;
	double zipf_s;
	uint32_t multi_line_pct, duplicate_pct, cancel_pct, card_pct, screen_pct;
	int channels, players;
	uint32_t decline, short_pick, qc_fail, lost, damaged, returned, review_reject;
	const char *rate;
};

static const struct preset presets[] = {
	{"flash-sale", 1.1, 10, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL},
	{"steady", 0.8, 10, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 2, 0, "20000"},
	{"peak-season", 1.0, 30, 1, 1, 40, 20, 1, 1, 3, 2, 2, 1, 1, 5, 10, "peak"},
	{"returns", 0.8, 10, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 50, 0, "20000"},
};

static const struct preset *preset_of(const char *name)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

static void set(uint32_t *option, uint32_t preset)
{
	*option = *option == UNSET ? preset : *option;
}

/* Fills the options the command line left with the scenario's. */
static void apply(const struct preset *p, struct lg_options *o, uint32_t base_rate)
{
	static char ramp[64];
	o->zipf_s = o->zipf_s < 0 ? p->zipf_s : o->zipf_s;
	set(&o->multi_line_pct, p->multi_line_pct);
	set(&o->duplicate_pct, p->duplicate_pct);
	set(&o->cancel_pct, p->cancel_pct);
	set(&o->card_pct, p->card_pct);
	set(&o->screen_pct, p->screen_pct);
	o->channels = p->channels;
	o->players = p->players;
	set(&o->life.decline_pct, p->decline);
	set(&o->life.short_pct, p->short_pick);
	set(&o->life.qc_fail_pct, p->qc_fail);
	set(&o->life.lost_pct, p->lost);
	set(&o->life.damaged_pct, p->damaged);
	set(&o->life.return_pct, p->returned);
	set(&o->life.review_reject_pct, p->review_reject);
	o->life.seed = o->seed;
	if (!o->connect || o->rate || o->max || !p->rate)
		return;
	o->rate = p->rate;
	if (strcmp(p->rate, "peak") == 0) { /* B to 10 B while half the stream is sent */
		double t = (double)o->orders / (11.0 * base_rate);
		snprintf(ramp, sizeof(ramp), "0:%u,%.3f:%u", base_rate, t, 10 * base_rate);
		o->rate = ramp;
	}
}

int main(int argc, char **argv)
{
	struct lg_options o = {.scenario = "flash-sale", .orders = 1000000, .seed = 1,
			       .skus = 10000, .warehouses = 8, .stock_per_sku = 1000,
			       .hot_skus = UINT32_MAX, .hot_limit = 2, .batch = 256,
			       .multi_line_pct = UNSET, .duplicate_pct = UNSET,
			       .cancel_pct = UNSET, .card_pct = UNSET, .screen_pct = UNSET,
			       .zipf_s = -1,
			       .snapshot_every = UINT64_MAX, .snapshot_interval_ms = UINT32_MAX,
			       .life = {.decline_pct = UNSET, .short_pct = UNSET,
					.qc_fail_pct = UNSET, .lost_pct = UNSET,
					.damaged_pct = UNSET, .return_pct = UNSET,
					.review_reject_pct = UNSET, .delay_ms = 5}};
	const char *gen_dir = NULL;
	int inproc = 0;
	double idle_s = 0;
	const char *verify = NULL;
	int screening = 0, carriers = 0;
	uint32_t base_rate = 10000;
	parse(argc, argv, &o, &gen_dir, &inproc, &idle_s, &verify, &screening, &carriers,
	      &base_rate);
	if (o.hot_skus == UINT32_MAX)
		o.hot_skus = o.skus < 10 ? o.skus : 10;
	if (o.hot_skus > o.skus) {
		fprintf(stderr, "ordercore-loadgen: --hot-skus %u exceeds --skus %u\n", o.hot_skus,
			o.skus);
		return 2;
	}
	if ((screening || carriers) && !gen_dir) {
		fprintf(stderr, "ordercore-loadgen: --%s goes with --gen-dataset DIR\n",
			screening ? "screening" : "carriers");
		return 2;
	}
	if (gen_dir) {
		struct oc_demo_params p = {.skus = o.skus, .warehouses = o.warehouses,
					   .stock_per_sku = o.stock_per_sku,
					   .hot_skus = o.hot_skus, .hot_limit = o.hot_limit,
					   .hot_stock = o.hot_stock, .seed = o.seed};
		char err[512];
		if (oc_dataset_write_demo(gen_dir, &p, err, sizeof(err)) != 0 ||
		    (screening && oc_screening_write_demo(gen_dir, err, sizeof(err)) != 0) ||
		    (carriers && oc_carriers_write_demo(gen_dir, err, sizeof(err)) != 0)) {
			fprintf(stderr, "ordercore-loadgen: %s\n", err);
			return 2;
		}
		printf("wrote demo dataset to %s: %u SKUs, %u warehouses, %u units per SKU%s%s\n",
		       gen_dir, o.skus, o.warehouses, o.stock_per_sku,
		       screening ? ", fraud screening" : "", carriers ? ", carriers" : "");
		return 0;
	}
	if (idle_s > 0)
		return lg_idle_run(&o, idle_s);
	if (verify && !*verify)
		return lg_recovery_run(&o);
	if (verify)
		return lg_verify_acked(&o, verify);
	if (!o.connect && (o.token || o.connections || o.pipeline || o.rate || o.max ||
			   o.report_path || o.duration_s || o.key_base)) {
		fprintf(stderr, "ordercore-loadgen: --token, --connections, --pipeline, --rate, "
				"--max, --report, --duration and --key-base go with --connect "
				"HOST:PORT\n");
		return 2;
	}
	if (o.rate && o.max) {
		fprintf(stderr, "ordercore-loadgen: --rate (open loop) or --max (closed loop), not "
				"both\n");
		return 2;
	}
	if (o.connect && inproc) {
		fprintf(stderr, "ordercore-loadgen: --in-process or --connect, not both\n");
		return 2;
	}
	if (o.connect && o.data_dir) {
		fprintf(stderr, "ordercore-loadgen: --data-dir is the daemon's with --connect "
				"(ordercored --data-dir)\n");
		return 2;
	}
	if (!inproc && !o.connect) {
		fprintf(stderr, "ordercore-loadgen: say --in-process, --connect HOST:PORT or "
				"--gen-dataset DIR\n%s", usage);
		return 2;
	}
	const struct preset *p = preset_of(o.scenario);
	if (!p) {
		fprintf(stderr, "ordercore-loadgen: unknown scenario '%s' (known: flash-sale, "
				"steady, peak-season, returns)\n", o.scenario);
		return 2;
	}
	apply(p, &o, base_rate);
	if (o.players && !o.connect) {
		fprintf(stderr, "ordercore-loadgen: --scenario %s plays the whole lifecycle "
				"against a daemon: give --connect HOST:PORT\n", o.scenario);
		return 2;
	}
	if (o.key_base && (o.players || o.replay)) {
		fprintf(stderr, "ordercore-loadgen: --key-base goes with the flash-sale scenario's "
				"generated stream (a replay has its own keys; the players' checks "
				"count from an empty engine)\n");
		return 2;
	}
	if (o.replay && !o.dataset_dir) {
		fprintf(stderr, "ordercore-loadgen: --replay needs --dataset DIR: the recorded "
				"orders name its SKUs\n");
		return 2;
	}
	if (o.duplicate_pct + o.cancel_pct > 100) {
		fprintf(stderr, "ordercore-loadgen: --duplicate-pct + --cancel-pct exceed 100\n");
		return 2;
	}
	if (o.connect) {
		o.connections = o.connections ? o.connections : LG_CONNECTIONS_DEFAULT;
		o.pipeline = o.pipeline ? o.pipeline : LG_PIPELINE_DEFAULT;
		return lg_remote_run(&o);
	}
	return lg_flash_sale_run(&o);
}
