/* ordercored.c: the daemon. It owns the process: its configuration (an INI file read with
 * inih, then the command-line flags, which override it), the engine it creates, recovers and
 * starts, the network server that feeds it, the signal handling (SIGTERM and SIGINT stop it
 * cleanly: stop accepting, answer what was taken, take the final snapshot) and its log, one
 * key=value line per event on stderr. */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "net/admin.h"
#include "net/server.h"
#include "ordercore/ordercore.h"

static const char usage[] =
	"usage: ordercored --dataset DIR [options]\n"
	"\n"
	"Runs the ordercore engine behind the wire protocol (docs/protocol.md).\n"
	"\n"
	"Options (each may also be set in the --config file; flags win):\n"
	"  --config FILE           INI file: keys below, in a [ordercored] section\n"
	"  --dataset DIR           dataset directory (skus.csv, warehouses.csv, stock.csv)\n"
	"  --listen HOST:PORT      address to serve (default 127.0.0.1:7411); a non-loopback\n"
	"                          address needs --token\n"
	"  --token SECRET          shared secret every client must send in its hello\n"
	"  --admin-listen HOST:PORT|off  the admin HTTP endpoint: GET /metrics (Prometheus)\n"
	"                          and /healthz (default 127.0.0.1:7412; when that default is\n"
	"                          taken the daemon runs without it, said on stderr)\n"
	"  --data-dir DIR          log and snapshots there (default: in memory, nothing kept)\n"
	"  --durability MODE       sync (default), async or none\n"
	"  --threads N             engine worker threads (default: cores - 1)\n"
	"  --shards N              inventory shards (default 4)\n"
	"  --orders-max N          orders the engine can hold (default 1048576)\n"
	"  --connections-max N     connections served at once (default 1024)\n"
	"  --output-bytes-max N    answers buffered per connection before a client that does\n"
	"                          not read is disconnected (default 262144)\n"
	"  --snapshot-every N      a snapshot every N commands (default 4194304; 0: never)\n"
	"  --hello-timeout-ms MS   close a connection that has not said hello by then\n"
	"                          (default 10000)\n"
	"  --lease-ttl-ms MS       how long a card order's stock is held waiting for its\n"
	"                          payment before it is cancelled (default 600000)\n"
	"  --review-ttl-ms MS      how long an order held for fraud review keeps its stock\n"
	"                          before it is cancelled (default 0: until reviewed)\n"
	"  --customer-index 0|1    1: keep each customer's orders, for the customer query\n"
	"                          (costs a random memory access per order; default 0)\n"
	"  --screen-entries-max N  with fraud screening (the dataset's fraud.csv): customers,\n"
	"                          cards and addresses remembered, each (default: orders-max,\n"
	"                          at most 262144; ~110 bytes each)\n"
	"  --wave-orders-max N     pick waves: orders per wave, 1..64 (default 0: no waves,\n"
	"                          orders are picked as soon as they are allocated)\n"
	"  --wave-cutoff-ms MS     with waves: the longest an order waits in an open wave\n"
	"                          (default 900000)\n"
	"  --wave-express-cutoff-ms MS  the same for an order asking for at most 2 days in\n"
	"                          transit (default 120000)\n"
	"  --log-level LEVEL       debug, info (default), warn or error: the least level of the\n"
	"                          key=value lines on stderr (debug adds connections opened and\n"
	"                          closed; every admin command's audit line is at info)\n"
	"  --help                  this text\n"
	"\n"
	"INI keys: dataset, listen, admin_listen, token, data_dir, durability, threads, shards,\n"
	"orders_max, connections_max, output_bytes_max, snapshot_every, hello_timeout_ms,\n"
	"lease_ttl_ms, review_ttl_ms, customer_index, screen_entries_max, wave_orders_max,\n"
	"wave_cutoff_ms, wave_express_cutoff_ms, log_level.\n"
	"Exit status: 0 after a clean stop, 1 when the engine or the server fails, 2 on a usage\n"
	"or configuration error.\n";

/* Every setting as text, as the INI file or a flag gave it (flags are applied last), indexed
 * by enum key; the long options below are in the same order. */
enum key { K_DATASET, K_LISTEN, K_ADMIN_LISTEN, K_TOKEN, K_DATA_DIR, K_DURABILITY, K_THREADS, K_SHARDS,
	   K_ORDERS_MAX, K_CONNECTIONS_MAX, K_OUTPUT_BYTES_MAX, K_SNAPSHOT_EVERY,
	   K_HELLO_TIMEOUT_MS, K_LEASE_TTL_MS, K_REVIEW_TTL_MS, K_CUSTOMER_INDEX,
	   K_SCREEN_ENTRIES_MAX, K_WAVE_ORDERS_MAX, K_WAVE_CUTOFF_MS, K_WAVE_EXPRESS_CUTOFF_MS,
	   K_LOG_LEVEL, KEY_COUNT };

static const char *const keys[KEY_COUNT] = {
	"dataset", "listen", "admin_listen", "token", "data_dir", "durability", "threads",
	"shards", "orders_max", "connections_max", "output_bytes_max", "snapshot_every",
	"hello_timeout_ms", "lease_ttl_ms", "review_ttl_ms", "customer_index",
	"screen_entries_max", "wave_orders_max", "wave_cutoff_ms", "wave_express_cutoff_ms",
	"log_level"};

static _Noreturn void die(int status, const char *fmt, const char *a, const char *b)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), fmt, a, b);
	oc_log(OC_LOG_ERROR, "msg=\"%s\"", msg);
	exit(status);
}

static int ini_entry(void *user, const char *section, const char *name, const char *value)
{
	if (strcmp(section, "ordercored") != 0)
		die(2, "config: unknown section [%s]%s", section, "");
	const char **set = user;
	for (unsigned i = 0; i < KEY_COUNT; i++)
		if (strcmp(name, keys[i]) == 0) {
			set[i] = strdup(value);
			return 1;
		}
	die(2, "config: unknown key %s%s", name, "");
}

static uint64_t number(const char *name, const char *text, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max)
		die(2, "%s: not a whole number in range: '%s'", name, text);
	return v;
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* HOST:PORT, [V6]:PORT or PORT, for the setting `what`. */
static void parse_listen(const char *what, const char *text, char *host, size_t host_bytes,
			 uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	const char *h = "127.0.0.1", *p = text;
	size_t hlen = strlen(h);
	if (colon) {
		h = text;
		hlen = (size_t)(colon - text);
		p = colon + 1;
		if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
	}
	if (hlen == 0 || hlen >= host_bytes)
		die(2, "%s: bad address '%s'", what, text);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)number(what, p, 65535);
}

static int loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"dataset", required_argument, 0, 0}, {"listen", required_argument, 0, 0},
		{"admin-listen", required_argument, 0, 0}, {"token", required_argument, 0, 0},
		{"data-dir", required_argument, 0, 0},
		{"durability", required_argument, 0, 0}, {"threads", required_argument, 0, 0},
		{"shards", required_argument, 0, 0}, {"orders-max", required_argument, 0, 0},
		{"connections-max", required_argument, 0, 0},
		{"output-bytes-max", required_argument, 0, 0},
		{"snapshot-every", required_argument, 0, 0},
		{"hello-timeout-ms", required_argument, 0, 0},
		{"lease-ttl-ms", required_argument, 0, 0},
		{"review-ttl-ms", required_argument, 0, 0},
		{"customer-index", required_argument, 0, 0},
		{"screen-entries-max", required_argument, 0, 0},
		{"wave-orders-max", required_argument, 0, 0},
		{"wave-cutoff-ms", required_argument, 0, 0},
		{"wave-express-cutoff-ms", required_argument, 0, 0},
		{"log-level", required_argument, 0, 0},
		{"config", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *file[KEY_COUNT] = {0}, *flags[KEY_COUNT] = {0}, *set[KEY_COUNT];
	const char *config = NULL;
	int c, idx;
	/* First: a stop asked for during a long recovery waits for the server's loop, which
	 * then stops at once (and takes the final snapshot), instead of killing the process. */
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while ((c = getopt_long(argc, argv, "h", options, &idx)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == 'c')
			config = optarg;
		else if (c == 0)
			flags[idx] = optarg; /* options[] follows enum key */
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		die(2, "unexpected argument '%s'%s", argv[optind], "");
	if (config) {
		int rc = ini_parse(config, ini_entry, file);
		if (rc < 0)
			die(2, "config: cannot read %s%s", config, "");
		if (rc > 0) {
			char line[16];
			snprintf(line, sizeof(line), "%d", rc);
			die(2, "config: %s: syntax error on line %s", config, line);
		}
	}
	for (unsigned i = 0; i < KEY_COUNT; i++)
		set[i] = flags[i] ? flags[i] : file[i];
	if (set[K_LOG_LEVEL]) {
		int level = oc_log_level_parse(set[K_LOG_LEVEL]);
		if (level < 0)
			die(2, "log_level is debug, info, warn or error, not '%s'%s", set[K_LOG_LEVEL],
			    "");
		oc_log_set_level((enum oc_log_level)level);
	}
	if (!set[K_DATASET])
		die(2, "--dataset is required (or dataset= in the config)%s%s", "", "");

	struct oc_config cfg;
	oc_config_init(&cfg);
	cfg.dataset_dir = set[K_DATASET];
	cfg.data_dir = set[K_DATA_DIR];
	if (set[K_DURABILITY]) {
		static const char *const modes[] = {"sync", "async", "none"};
		unsigned m = 0;
		while (m < 3 && strcmp(set[K_DURABILITY], modes[m]))
			m++;
		if (m == 3)
			die(2, "durability is sync, async or none, not '%s'%s", set[K_DURABILITY], "");
		cfg.durability = m;
	}
	if (set[K_THREADS])
		cfg.threads = (uint32_t)number("threads", set[K_THREADS], 64);
	if (set[K_SHARDS])
		cfg.shards = (uint32_t)number("shards", set[K_SHARDS], 64);
	if (set[K_ORDERS_MAX])
		cfg.orders_max = (uint32_t)number("orders_max", set[K_ORDERS_MAX], UINT32_MAX);
	if (set[K_LEASE_TTL_MS])
		cfg.lease_ttl_ms = (uint32_t)number("lease_ttl_ms", set[K_LEASE_TTL_MS], UINT32_MAX);
	if (set[K_REVIEW_TTL_MS])
		cfg.review_ttl_ms = (uint32_t)number("review_ttl_ms", set[K_REVIEW_TTL_MS], UINT32_MAX);
	if (set[K_CUSTOMER_INDEX])
		cfg.customer_index = (int)number("customer_index", set[K_CUSTOMER_INDEX], 1);
	if (set[K_SCREEN_ENTRIES_MAX])
		cfg.screen_entries_max =
			(uint32_t)number("screen_entries_max", set[K_SCREEN_ENTRIES_MAX], UINT32_MAX);
	if (set[K_WAVE_ORDERS_MAX])
		cfg.wave_orders_max = (uint32_t)number("wave_orders_max", set[K_WAVE_ORDERS_MAX], 64);
	if (set[K_WAVE_CUTOFF_MS])
		cfg.wave_cutoff_ms =
			(uint32_t)number("wave_cutoff_ms", set[K_WAVE_CUTOFF_MS], UINT32_MAX);
	if (set[K_WAVE_EXPRESS_CUTOFF_MS])
		cfg.wave_express_cutoff_ms = (uint32_t)number(
			"wave_express_cutoff_ms", set[K_WAVE_EXPRESS_CUTOFF_MS], UINT32_MAX);
	if (set[K_SNAPSHOT_EVERY])
		cfg.snapshot_records = number("snapshot_every", set[K_SNAPSHOT_EVERY], UINT64_MAX);
	struct oc_server_config sc = {0};
	char host[256];
	uint16_t port = 7411;
	snprintf(host, sizeof(host), "127.0.0.1");
	if (set[K_LISTEN])
		parse_listen("listen", set[K_LISTEN], host, sizeof(host), &port);
	sc.host = host;
	sc.port = port;
	if (set[K_TOKEN]) {
		sc.token = set[K_TOKEN];
		sc.token_bytes = strlen(set[K_TOKEN]);
	}
	if (!loopback(host) && !sc.token_bytes)
		die(2, "refusing to listen on %s without a token (--token)%s", host, "");
	if (set[K_CONNECTIONS_MAX])
		sc.connections_max = (uint32_t)number("connections_max", set[K_CONNECTIONS_MAX],
						      OC_SERVER_CONNECTIONS_MAX_LIMIT);
	if (set[K_HELLO_TIMEOUT_MS])
		sc.hello_timeout_ms = (uint32_t)number("hello_timeout_ms", set[K_HELLO_TIMEOUT_MS],
						       3600000);
	if (set[K_OUTPUT_BYTES_MAX])
		sc.output_bytes_max = number("output_bytes_max", set[K_OUTPUT_BYTES_MAX], 1u << 30);
	char admin_host[256];
	uint16_t admin_port = OC_ADMIN_DEFAULT_PORT;
	snprintf(admin_host, sizeof(admin_host), "127.0.0.1");
	bool admin = !set[K_ADMIN_LISTEN] || strcmp(set[K_ADMIN_LISTEN], "off") != 0;
	if (admin && set[K_ADMIN_LISTEN])
		parse_listen("admin_listen", set[K_ADMIN_LISTEN], admin_host, sizeof(admin_host),
			     &admin_port);
	if (admin && !loopback(admin_host)) /* read-only, but the business's figures */
		oc_log(OC_LOG_WARN, "msg=\"the admin endpoint serves its metrics to anyone who "
				    "can reach %s: it has no token\"", admin_host);

	char err[512];
	struct oc_engine *e;
	if (oc_engine_create(&cfg, &e, err, sizeof(err)) != 0)
		die(1, "engine: %s%s", err, "");
	struct oc_stats st;
	oc_engine_stats(e, &st);
	oc_log(OC_LOG_INFO, "msg=\"recovered\" data_dir=%s snapshot=%" PRIu64
			" commands=%" PRIu64 "", cfg.data_dir ? cfg.data_dir : "(none)",
		st.restored_seq, st.recovered);
	if (oc_engine_start(e) != 0)
		die(1, "engine start failed (log replay)%s%s", "", "");
	struct oc_server *srv;
	if (oc_server_create(&sc, e, st.recovered, &srv, err, sizeof(err)) != 0) {
		oc_engine_stop(e);
		oc_engine_free(e);
		die(1, "server: %s%s", err, "");
	}
	struct oc_admin *adm = NULL;
	if (admin && oc_admin_start(admin_host, admin_port, e, srv, &adm, err, sizeof(err)) != 0) {
		if (set[K_ADMIN_LISTEN]) { /* asked for: a configuration error */
			oc_server_free(srv);
			oc_engine_stop(e);
			oc_engine_free(e);
			die(2, "%s%s", err, "");
		}
		oc_log(OC_LOG_WARN, "msg=\"running without the admin endpoint\" "
				"detail=\"%s\"", err);
	}
	oc_log(OC_LOG_INFO, "msg=\"listening\" host=%s port=%u token=%s durability=%s"
			" admin=%s admin_port=%u",
		host, oc_server_port(srv), sc.token_bytes ? "yes" : "no",
		!cfg.data_dir ? "memory" : set[K_DURABILITY] ? set[K_DURABILITY] : "sync",
		adm ? admin_host : "off",
		adm ? oc_admin_port(adm) : 0u);
	int rc = oc_server_run(srv, &stop_requested);
	oc_admin_stop(adm); /* before the server it reads is freed */
	struct oc_server_stats ss;
	oc_server_stats(srv, &ss);
	int stopped = oc_engine_stop(e);
	oc_engine_stats(e, &st);
	oc_log(OC_LOG_INFO, "msg=\"stopped\" connections=%" PRIu64 " refused=%" PRIu64
			" commands=%" PRIu64 " answers=%" PRIu64 " dropped_answers=%" PRIu64
			" protocol_errors=%" PRIu64 " slow_disconnects=%" PRIu64 " events=%" PRIu64
			" recvs=%" PRIu64 " recv_nobufs=%" PRIu64 " sends=%" PRIu64
			" loop_turns=%" PRIu64 " snapshot=%" PRIu64 "",
		ss.accepted, ss.refused, ss.commands, ss.answers, ss.dropped_answers,
		ss.protocol_errors, ss.slow_disconnects, ss.events, ss.recvs, ss.recv_nobufs,
		ss.sends, ss.loop_turns, st.snapshot_seq);
	uint64_t rejected = 0;
	for (uint32_t i = 0; i < OC_REJECT_REASON_COUNT; i++)
		rejected += st.rejected[i];
	oc_log(OC_LOG_INFO, "msg=\"decided\" accepted=%" PRIu64 " rejected=%" PRIu64
			" cancelled=%" PRIu64 " duplicates=%" PRIu64 " shipped=%" PRIu64
			" delivered=%" PRIu64 " lease_expiries=%" PRIu64 " refunds=%" PRIu64
			" exceptions=%" PRIu64 " returns=%" PRIu64 " returns_received=%" PRIu64
			" replacements=%" PRIu64 " qc_failures=%" PRIu64 " restocks=%" PRIu64
			" write_offs=%" PRIu64 " adjustments=%" PRIu64 " screened=%" PRIu64
			" holds=%" PRIu64 " reviews_approved=%" PRIu64 " reviews_rejected=%" PRIu64
			" block_changes=%" PRIu64 " short_picks=%" PRIu64 " short_units_cut=%" PRIu64
			" short_units_backordered=%" PRIu64 " backorder_units_filled=%" PRIu64
			" payments_received=%" PRIu64 " waves=%" PRIu64 " labels=%" PRIu64
			" label_cents=%" PRIu64 "",
		st.accepted, rejected, st.cancelled, st.duplicates, st.shipped, st.delivered,
		st.lease_expiries, st.refunds, st.exceptions, st.returns, st.returns_received,
		st.replacements, st.qc_failures, st.restocks, st.write_offs, st.adjustments,
		st.screened, st.holds, st.reviews_approved, st.reviews_rejected, st.block_changes,
		st.short_picks, st.short_units_cut, st.short_units_backordered,
		st.backorder_units_filled, st.payments_received, st.waves, st.labels,
		st.label_cents);
	oc_server_free(srv);
	oc_engine_free(e);
	if (rc || stopped) {
		oc_log(OC_LOG_ERROR, "msg=\"unclean stop\" server=%d engine=%d", rc, stopped);
		return 1;
	}
	return 0;
}
