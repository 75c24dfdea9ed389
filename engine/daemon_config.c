/* daemon_config.c: ordercored's settings (daemon_config.h): the command line (getopt_long),
 * the INI text (inih), the merge (flags win) and every check, into a caller-owned struct.
 * Owns the INI values' copies; touches getopt's global state, so one thread at a time. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_config.h"
#include "net/admin.h"

const char oc_daemon_config_usage[] =
	"usage: ordercored --dataset DIR [options]\n"
	"\n"
	"Runs the ordercore engine behind the wire protocol (docs/protocol.md).\n"
	"\n"
	"Options (each may also be set in the --config file; flags win):\n"
	"  --config FILE           INI file: keys below, in a [ordercored] section\n"
	"  --dataset DIR           dataset directory (skus.csv, warehouses.csv, stock.csv)\n"
	"  --listen HOST:PORT      address to serve (default 127.0.0.1:7411): a numeric IPv4,\n"
	"                          [IPv6]:PORT, or PORT alone; an address outside loopback\n"
	"                          (127.0.0.0/8, ::1) needs --token\n"
	"  --token SECRET          shared secret (1-64 visible ASCII characters) every client\n"
	"                          must send in its hello; the admin endpoint then wants it too,\n"
	"                          as \"Authorization: Bearer SECRET\" (better in the --config\n"
	"                          file: a flag is visible to every user in the process list)\n"
	"  --admin-listen HOST:PORT|off  the admin HTTP endpoint: GET /metrics (Prometheus)\n"
	"                          and /healthz (default 127.0.0.1:7412; when that default is\n"
	"                          taken the daemon runs without it, said on stderr); an address\n"
	"                          outside loopback needs --token\n"
	"  --data-dir DIR          log and snapshots there (default: in memory, nothing kept)\n"
	"  --durability MODE       sync (default), async or none\n"
	"  --threads N             engine worker threads (default: cores - 1)\n"
	"  --shards N              inventory shards (default 4)\n"
	"  --orders-max N          orders the engine can hold (default 1048576)\n"
	"  --connections-max N     connections served at once (default 1024)\n"
	"  --output-bytes-max N    answers buffered per connection before a client that does\n"
	"                          not read is disconnected (default 262144)\n"
	"  --connection-inflight-max N  commands one connection may have unanswered before the\n"
	"                          daemon reads no more from it (default 1024, at most 65536)\n"
	"  --snapshot-every N      a snapshot every N commands (default 4194304; 0: never)\n"
	"  --snapshot-interval-ms MS  a snapshot when commands came and the last one is this\n"
	"                          old (default 60000; 0: never by time)\n"
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
	"orders_max, connections_max, output_bytes_max, connection_inflight_max,\n"
	"snapshot_every, snapshot_interval_ms, hello_timeout_ms, lease_ttl_ms, review_ttl_ms,\n"
	"customer_index, screen_entries_max, wave_orders_max, wave_cutoff_ms,\n"
	"wave_express_cutoff_ms, log_level.\n"
	"Limits and their defaults: docs/operations.md, \"Security and limits\".\n"
	"Exit status: 0 after a clean stop, 1 when the engine or the server fails, 2 on a usage\n"
	"or configuration error.\n";

const char *const oc_daemon_config_keys[OC_DAEMON_KEY_COUNT] = {
	"dataset", "listen", "admin_listen", "token", "data_dir", "durability", "threads",
	"shards", "orders_max", "connections_max", "output_bytes_max", "connection_inflight_max",
	"snapshot_every", "snapshot_interval_ms",
	"hello_timeout_ms", "lease_ttl_ms", "review_ttl_ms", "customer_index",
	"screen_entries_max", "wave_orders_max", "wave_cutoff_ms", "wave_express_cutoff_ms",
	"log_level"};

/* In the order of enum oc_daemon_config_key, then --config and --help. */
static const struct option options[] = {
	{"dataset", required_argument, 0, 0},
	{"listen", required_argument, 0, 0},
	{"admin-listen", required_argument, 0, 0},
	{"token", required_argument, 0, 0},
	{"data-dir", required_argument, 0, 0},
	{"durability", required_argument, 0, 0},
	{"threads", required_argument, 0, 0},
	{"shards", required_argument, 0, 0},
	{"orders-max", required_argument, 0, 0},
	{"connections-max", required_argument, 0, 0},
	{"output-bytes-max", required_argument, 0, 0},
	{"connection-inflight-max", required_argument, 0, 0},
	{"snapshot-every", required_argument, 0, 0},
	{"snapshot-interval-ms", required_argument, 0, 0},
	{"hello-timeout-ms", required_argument, 0, 0},
	{"lease-ttl-ms", required_argument, 0, 0},
	{"review-ttl-ms", required_argument, 0, 0},
	{"customer-index", required_argument, 0, 0},
	{"screen-entries-max", required_argument, 0, 0},
	{"wave-orders-max", required_argument, 0, 0},
	{"wave-cutoff-ms", required_argument, 0, 0},
	{"wave-express-cutoff-ms", required_argument, 0, 0},
	{"log-level", required_argument, 0, 0},
	{"config", required_argument, 0, 'c'},
	{"help", no_argument, 0, 'h'},
	{0, 0, 0, 0}};
_Static_assert(sizeof(options) / sizeof(options[0]) == OC_DAEMON_KEY_COUNT + 3,
	       "an option per key, then --config, --help and the end");

static const char *const durability_names[] = {"sync", "async", "none"};
_Static_assert(OC_DURABILITY_SYNC == 0 && OC_DURABILITY_ASYNC == 1 && OC_DURABILITY_NONE == 2,
	       "durability_names follows enum oc_durability");

/* Sets c->err to the first error (later ones are consequences or noise); -EINVAL. */
static int fail(struct oc_daemon_config *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct oc_daemon_config *c, const char *fmt, ...)
{
	if (c->err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void oc_daemon_config_init(struct oc_daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	oc_config_init(&c->engine);
	c->log_level = OC_LOG_INFO;
}

void oc_daemon_config_destroy(struct oc_daemon_config *c)
{
	for (unsigned k = 0; k < OC_DAEMON_KEY_COUNT; k++) {
		free(c->file[k]);
		c->file[k] = NULL;
	}
}

int oc_daemon_config_args(struct oc_daemon_config *c, int argc, char **argv)
{
	int saved_opterr = opterr, ch, idx, rc = 0;
	opterr = 0; /* the message goes into err, not to stderr */
	optind = 0; /* glibc: start over, at argv[1] */
	/* ':' first: a missing argument is told apart from an unknown option. */
	while (rc == 0 && (ch = getopt_long(argc, argv, ":h", options, &idx)) != -1) {
		if (ch == 'h')
			c->help = true;
		else if (ch == 'c')
			c->config_path = optarg;
		else if (ch == 0)
			c->flag[idx] = optarg; /* options[] follows enum oc_daemon_config_key */
		else {
			c->bad_option = true;
			if (ch == ':')
				rc = fail(c, "option '%s' requires an argument", argv[optind - 1]);
			else if (optopt)
				rc = fail(c, "invalid option -- '%c'", optopt);
			else
				rc = fail(c, "unrecognized option '%s'", argv[optind - 1]);
		}
		if (c->help)
			break;
	}
	opterr = saved_opterr;
	if (rc == 0 && !c->help && optind < argc)
		rc = fail(c, "unexpected argument '%s'", argv[optind]);
	return rc;
}

/* inih's handler: keeps the value of a known key of [ordercored]; 0 (an error on that line)
 * for anything else, with the first such error in c->err. */
static int ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct oc_daemon_config *c = user;
	if (strcmp(section, "ordercored") != 0) {
		fail(c, "config: unknown section [%s]", section);
		return 0;
	}
	for (unsigned k = 0; k < OC_DAEMON_KEY_COUNT; k++) {
		if (strcmp(name, oc_daemon_config_keys[k]) != 0)
			continue;
		char *copy = strdup(value);
		if (!copy) {
			fail(c, "config: out of memory");
			return 0;
		}
		free(c->file[k]);
		c->file[k] = copy;
		return 1;
	}
	fail(c, "config: unknown key %s", name);
	return 0;
}

/* What ini_parse* returned: an entry's error (found in any line) wins over a syntax error. */
static int ini_result(struct oc_daemon_config *c, int rc, const char *name)
{
	if (c->err[0])
		return -EINVAL;
	if (rc > 0)
		return fail(c, "config: %s: syntax error on line %d", name, rc);
	return 0;
}

int oc_daemon_config_ini_string(struct oc_daemon_config *c, const char *text, const char *name)
{
	return ini_result(c, ini_parse_string(text, ini_entry, c), name);
}

int oc_daemon_config_ini_file(struct oc_daemon_config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int rc = -errno;
		fail(c, "config: cannot read %s", path);
		return rc;
	}
	int rc = ini_parse_file(f, ini_entry, c);
	fclose(f);
	return ini_result(c, rc, path);
}

/* A whole number in decimal digits alone, at most max, into *out; else err names the setting.
 * The first character is checked too: strtoull would take a sign or spaces before it, and
 * " -1" as 2^64 - 1. */
static int number(struct oc_daemon_config *c, const char *name, const char *text, uint64_t max,
		  uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || text[0] < '0' || text[0] > '9' || *end || v > max)
		return fail(c, "%s: not a whole number in range: '%s'", name, text);
	*out = v;
	return 0;
}

/* The setting k as a number into a uint32_t (max fits one). */
static int number32(struct oc_daemon_config *c, const char *const *set, unsigned k,
		    uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!set[k])
		return 0;
	int rc = number(c, oc_daemon_config_keys[k], set[k], max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int oc_daemon_config_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (strchr(host, ':')) { /* as the server tells the families apart */
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -EINVAL;
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	if (inet_pton(AF_INET, host, &a4) != 1)
		return -EINVAL;
	return (ntohl(a4.s_addr) >> 24) == 127;
}

/* HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1), for the setting `what`, into host (of
 * OC_DAEMON_CONFIG_HOST_BYTES) and *port; the host must be a numeric address. */
static int parse_listen(struct oc_daemon_config *c, const char *what, const char *text,
			char *host, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	const char *h = OC_DAEMON_CONFIG_DEFAULT_HOST, *p = text;
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
	if (hlen == 0 || hlen >= OC_DAEMON_CONFIG_HOST_BYTES)
		return fail(c, "%s: bad address '%s'", what, text);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	uint64_t v = 0;
	int rc = number(c, what, p, 65535, &v);
	if (rc)
		return rc;
	*port = (uint16_t)v;
	if (oc_daemon_config_loopback(host) < 0)
		return fail(c, "%s: '%s' is not a numeric IPv4 or IPv6 address", what, host);
	return 0;
}

/* 1 to OC_PROTO_TOKEN_BYTES_MAX characters from '!' to '~': what a hello carries and what an
 * HTTP Authorization header can carry unchanged (no space, no control character). */
static int check_token(struct oc_daemon_config *c, const char *token)
{
	size_t n = strlen(token);
	bool visible = n <= OC_PROTO_TOKEN_BYTES_MAX;
	for (size_t i = 0; visible && i < n; i++)
		visible = token[i] >= '!' && token[i] <= '~';
	if (!visible)
		return fail(c, "token: 1 to %u visible ASCII characters (no space or control "
			       "character)", OC_PROTO_TOKEN_BYTES_MAX);
	c->server.token = token;
	c->server.token_bytes = n;
	return 0;
}

/* The engine's settings, in the order of the usage text. */
static int check_engine(struct oc_daemon_config *c, const char *const *set)
{
	struct oc_config *e = &c->engine;
	e->dataset_dir = set[OC_DAEMON_KEY_DATASET];
	e->data_dir = set[OC_DAEMON_KEY_DATA_DIR];
	const char *mode = set[OC_DAEMON_KEY_DURABILITY];
	if (mode) {
		unsigned m = 0;
		while (m < 3 && strcmp(mode, durability_names[m]) != 0)
			m++;
		if (m == 3)
			return fail(c, "durability is sync, async or none, not '%s'", mode);
		e->durability = m;
	}
	c->durability_name = !e->data_dir ? "memory" : durability_names[e->durability];
	uint64_t snapshot_every = 0;
	int rc = number32(c, set, OC_DAEMON_KEY_THREADS, OC_DAEMON_CONFIG_THREADS_MAX, &e->threads);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_SHARDS, OC_DAEMON_CONFIG_SHARDS_MAX, &e->shards);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_ORDERS_MAX, UINT32_MAX, &e->orders_max);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_LEASE_TTL_MS, UINT32_MAX, &e->lease_ttl_ms);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_REVIEW_TTL_MS, UINT32_MAX, &e->review_ttl_ms);
	uint32_t customer_index = 0;
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_CUSTOMER_INDEX, 1, &customer_index);
	e->customer_index = (int)customer_index;
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_SCREEN_ENTRIES_MAX, UINT32_MAX,
			      &e->screen_entries_max);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_WAVE_ORDERS_MAX, OC_DAEMON_CONFIG_WAVE_ORDERS_MAX,
			      &e->wave_orders_max);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_WAVE_CUTOFF_MS, UINT32_MAX, &e->wave_cutoff_ms);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_WAVE_EXPRESS_CUTOFF_MS, UINT32_MAX,
			      &e->wave_express_cutoff_ms);
	if (!rc && set[OC_DAEMON_KEY_SNAPSHOT_EVERY]) {
		rc = number(c, "snapshot_every", set[OC_DAEMON_KEY_SNAPSHOT_EVERY], UINT64_MAX,
			    &snapshot_every);
		if (!rc)
			e->snapshot_records = snapshot_every;
	}
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_SNAPSHOT_INTERVAL_MS, UINT32_MAX,
			      &e->snapshot_interval_ms);
	return rc;
}

/* The order port: its address and the token rule, then the server's limits. */
static int check_server(struct oc_daemon_config *c, const char *const *set)
{
	struct oc_server_config *s = &c->server;
	snprintf(c->host, sizeof(c->host), "%s", OC_DAEMON_CONFIG_DEFAULT_HOST);
	uint16_t port = OC_DAEMON_CONFIG_DEFAULT_PORT;
	int rc = 0;
	if (set[OC_DAEMON_KEY_LISTEN])
		rc = parse_listen(c, "listen", set[OC_DAEMON_KEY_LISTEN], c->host, &port);
	s->host = c->host;
	s->port = port;
	const char *token = set[OC_DAEMON_KEY_TOKEN];
	if (!rc && token && token[0]) /* empty: no token, as when none is given */
		rc = check_token(c, token);
	if (!rc && oc_daemon_config_loopback(c->host) == 0 && !s->token_bytes)
		return fail(c, "refusing to listen on %s without a token (--token)", c->host);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_CONNECTIONS_MAX, OC_SERVER_CONNECTIONS_MAX_LIMIT,
			      &s->connections_max);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_HELLO_TIMEOUT_MS,
			      OC_DAEMON_CONFIG_HELLO_TIMEOUT_MS_MAX, &s->hello_timeout_ms);
	if (!rc)
		rc = number32(c, set, OC_DAEMON_KEY_CONNECTION_INFLIGHT_MAX, OC_SERVER_INFLIGHT_MAX,
			      &s->connection_inflight_max);
	uint64_t output_bytes_max = 0;
	if (!rc && set[OC_DAEMON_KEY_OUTPUT_BYTES_MAX]) {
		rc = number(c, "output_bytes_max", set[OC_DAEMON_KEY_OUTPUT_BYTES_MAX],
			    OC_DAEMON_CONFIG_OUTPUT_BYTES_MAX, &output_bytes_max);
		if (!rc)
			s->output_bytes_max = output_bytes_max;
	}
	return rc;
}

/* The admin endpoint: off, or its address, which outside loopback needs the token too (its
 * figures are the business's, and the token is what its requests must carry). */
static int check_admin(struct oc_daemon_config *c, const char *const *set)
{
	const char *text = set[OC_DAEMON_KEY_ADMIN_LISTEN];
	snprintf(c->admin_host, sizeof(c->admin_host), "%s", OC_DAEMON_CONFIG_DEFAULT_HOST);
	c->admin_port = OC_ADMIN_DEFAULT_PORT;
	c->admin_explicit = text != NULL;
	c->admin = !text || strcmp(text, "off") != 0;
	if (!c->admin || !text)
		return 0;
	int rc = parse_listen(c, "admin_listen", text, c->admin_host, &c->admin_port);
	if (!rc && oc_daemon_config_loopback(c->admin_host) == 0 && !c->server.token_bytes)
		rc = fail(c, "refusing to serve the admin endpoint on %s without a token (--token)",
			  c->admin_host);
	return rc;
}

int oc_daemon_config_check(struct oc_daemon_config *c)
{
	const char *set[OC_DAEMON_KEY_COUNT];
	for (unsigned k = 0; k < OC_DAEMON_KEY_COUNT; k++)
		set[k] = c->flag[k] ? c->flag[k] : c->file[k];
	if (set[OC_DAEMON_KEY_LOG_LEVEL]) {
		int level = oc_log_level_parse(set[OC_DAEMON_KEY_LOG_LEVEL]);
		if (level < 0)
			return fail(c, "log_level is debug, info, warn or error, not '%s'",
				    set[OC_DAEMON_KEY_LOG_LEVEL]);
		c->log_level = (enum oc_log_level)level;
	}
	if (!set[OC_DAEMON_KEY_DATASET])
		return fail(c, "--dataset is required (or dataset= in the config)");
	int rc = check_engine(c, set);
	if (!rc)
		rc = check_server(c, set);
	if (!rc)
		rc = check_admin(c, set);
	return rc;
}

int oc_daemon_config_read(struct oc_daemon_config *c, int argc, char **argv)
{
	int rc = oc_daemon_config_args(c, argc, argv);
	if (rc || c->help)
		return rc;
	if (c->config_path && (rc = oc_daemon_config_ini_file(c, c->config_path)) != 0)
		return rc;
	return oc_daemon_config_check(c);
}
