/* test_daemon_config.c: ordercored's settings (engine/daemon_config.h) read from a command
 * line and INI text: the defaults; every key by its flag and by its INI key, each giving the
 * same result and one other than the default; flags over the file and a key's last value in
 * the file; the messages of bad numbers (signs, spaces, letters, out of range), unknown keys
 * and sections, syntax errors, bad options, a bad durability or log level and bad addresses;
 * the loopback test on parsed addresses; the token rule for the order port and the admin
 * endpoint; and a whole INI file through oc_daemon_config_read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon_config.h"
#include "oc_test.h"

#define ARGS_MAX 32
#define ARG_BYTES 256
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The configuration under test, and the argv strings its flags point into. */
static struct oc_daemon_config dc;
static char arg_text[ARGS_MAX][ARG_BYTES];

/* Reads "ordercored ARGS..." and, when ini is not NULL, that INI text, then checks (unless
 * --help): 0 or what the first failing step returned. */
static int read_config(const char *ini, const char *const *args)
{
	char *argv[ARGS_MAX + 2];
	int argc = 0;
	snprintf(arg_text[0], ARG_BYTES, "ordercored");
	argv[argc++] = arg_text[0];
	for (; args && args[argc - 1]; argc++) {
		assert_true(argc < ARGS_MAX);
		snprintf(arg_text[argc], ARG_BYTES, "%s", args[argc - 1]);
		argv[argc] = arg_text[argc];
	}
	argv[argc] = NULL;
	oc_daemon_config_destroy(&dc);
	oc_daemon_config_init(&dc);
	int rc = oc_daemon_config_args(&dc, argc, argv);
	if (rc == 0 && ini)
		rc = oc_daemon_config_ini_string(&dc, ini, "test.ini");
	if (rc == 0 && !dc.help)
		rc = oc_daemon_config_check(&dc);
	return rc;
}

/* Asserts that reading fails with exactly this message. */
static void expect_error(const char *ini, const char *const *args, const char *message)
{
	int rc = read_config(ini, args);
	if (rc == 0)
		fail_msg("read, not refused with \"%s\"", message);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(dc.err, message);
}

static void expect_ok(const char *ini, const char *const *args)
{
	if (read_config(ini, args) != 0)
		fail_msg("refused: %s", dc.err);
	assert_string_equal(dc.err, "");
}

/* The parsed value of setting k, as text. */
static const char *field(enum oc_daemon_config_key k)
{
	static char out[256];
	const struct oc_config *e = &dc.engine;
	const struct oc_server_config *s = &dc.server;
	switch (k) {
	case OC_DAEMON_KEY_DATASET: return e->dataset_dir;
	case OC_DAEMON_KEY_LISTEN: snprintf(out, sizeof(out), "%s:%u", s->host, s->port); break;
	case OC_DAEMON_KEY_ADMIN_LISTEN:
		snprintf(out, sizeof(out), "%s:%u%s", dc.admin_host, dc.admin_port,
			 dc.admin ? "" : " off");
		break;
	case OC_DAEMON_KEY_TOKEN:
		snprintf(out, sizeof(out), "%.*s", (int)s->token_bytes,
			 s->token ? (const char *)s->token : "");
		break;
	case OC_DAEMON_KEY_DATA_DIR: return e->data_dir ? e->data_dir : "(none)";
	case OC_DAEMON_KEY_DURABILITY: snprintf(out, sizeof(out), "%u", e->durability); break;
	case OC_DAEMON_KEY_THREADS: snprintf(out, sizeof(out), "%u", e->threads); break;
	case OC_DAEMON_KEY_SHARDS: snprintf(out, sizeof(out), "%u", e->shards); break;
	case OC_DAEMON_KEY_ORDERS_MAX: snprintf(out, sizeof(out), "%u", e->orders_max); break;
	case OC_DAEMON_KEY_CONNECTIONS_MAX:
		snprintf(out, sizeof(out), "%u", s->connections_max);
		break;
	case OC_DAEMON_KEY_OUTPUT_BYTES_MAX:
		snprintf(out, sizeof(out), "%zu", s->output_bytes_max);
		break;
	case OC_DAEMON_KEY_CONNECTION_INFLIGHT_MAX:
		snprintf(out, sizeof(out), "%u", s->connection_inflight_max);
		break;
	case OC_DAEMON_KEY_SNAPSHOT_INTERVAL_MS:
		snprintf(out, sizeof(out), "%u", e->snapshot_interval_ms);
		break;
	case OC_DAEMON_KEY_SNAPSHOT_EVERY:
		snprintf(out, sizeof(out), "%llu", (unsigned long long)e->snapshot_records);
		break;
	case OC_DAEMON_KEY_HELLO_TIMEOUT_MS:
		snprintf(out, sizeof(out), "%u", s->hello_timeout_ms);
		break;
	case OC_DAEMON_KEY_LEASE_TTL_MS: snprintf(out, sizeof(out), "%u", e->lease_ttl_ms); break;
	case OC_DAEMON_KEY_REVIEW_TTL_MS: snprintf(out, sizeof(out), "%u", e->review_ttl_ms); break;
	case OC_DAEMON_KEY_CUSTOMER_INDEX:
		snprintf(out, sizeof(out), "%d", e->customer_index);
		break;
	case OC_DAEMON_KEY_SCREEN_ENTRIES_MAX:
		snprintf(out, sizeof(out), "%u", e->screen_entries_max);
		break;
	case OC_DAEMON_KEY_WAVE_ORDERS_MAX:
		snprintf(out, sizeof(out), "%u", e->wave_orders_max);
		break;
	case OC_DAEMON_KEY_WAVE_CUTOFF_MS:
		snprintf(out, sizeof(out), "%u", e->wave_cutoff_ms);
		break;
	case OC_DAEMON_KEY_WAVE_EXPRESS_CUTOFF_MS:
		snprintf(out, sizeof(out), "%u", e->wave_express_cutoff_ms);
		break;
	case OC_DAEMON_KEY_LOG_LEVEL: snprintf(out, sizeof(out), "%d", (int)dc.log_level); break;
	default: fail_msg("no key %d", (int)k);
	}
	return out;
}

/* For every key: a value other than its default, and what field() then reads. */
static const struct {
	enum oc_daemon_config_key key;
	const char *value, *parsed;
} every[] = {
	{OC_DAEMON_KEY_DATASET, "/srv/oc/data", "/srv/oc/data"},
	{OC_DAEMON_KEY_LISTEN, "127.0.0.2:9000", "127.0.0.2:9000"},
	{OC_DAEMON_KEY_ADMIN_LISTEN, "[::1]:9001", "::1:9001"},
	{OC_DAEMON_KEY_TOKEN, "s3cr3t-T0ken~!", "s3cr3t-T0ken~!"},
	{OC_DAEMON_KEY_DATA_DIR, "/srv/oc/state", "/srv/oc/state"},
	{OC_DAEMON_KEY_DURABILITY, "async", "1"},
	{OC_DAEMON_KEY_THREADS, "3", "3"},
	{OC_DAEMON_KEY_SHARDS, "8", "8"},
	{OC_DAEMON_KEY_ORDERS_MAX, "4194304", "4194304"},
	{OC_DAEMON_KEY_CONNECTIONS_MAX, "2048", "2048"},
	{OC_DAEMON_KEY_OUTPUT_BYTES_MAX, "65536", "65536"},
	{OC_DAEMON_KEY_SNAPSHOT_EVERY, "18446744073709551615", "18446744073709551615"},
	{OC_DAEMON_KEY_SNAPSHOT_INTERVAL_MS, "0", "0"},
	{OC_DAEMON_KEY_HELLO_TIMEOUT_MS, "3600000", "3600000"},
	{OC_DAEMON_KEY_CONNECTION_INFLIGHT_MAX, "64", "64"},
	{OC_DAEMON_KEY_LEASE_TTL_MS, "60000", "60000"},
	{OC_DAEMON_KEY_REVIEW_TTL_MS, "120000", "120000"},
	{OC_DAEMON_KEY_CUSTOMER_INDEX, "1", "1"},
	{OC_DAEMON_KEY_SCREEN_ENTRIES_MAX, "1000", "1000"},
	{OC_DAEMON_KEY_WAVE_ORDERS_MAX, "64", "64"},
	{OC_DAEMON_KEY_WAVE_CUTOFF_MS, "30000", "30000"},
	{OC_DAEMON_KEY_WAVE_EXPRESS_CUTOFF_MS, "5000", "5000"},
	{OC_DAEMON_KEY_LOG_LEVEL, "debug", "0"},
};
#define EVERY (sizeof(every) / sizeof(every[0]))

/* "--" and key with '-' for '_'. */
static const char *flag_of(enum oc_daemon_config_key k)
{
	static char out[64];
	snprintf(out, sizeof(out), "--%s", oc_daemon_config_keys[k]);
	for (char *p = out + 2; *p; p++)
		if (*p == '_')
			*p = '-';
	return out;
}

static void test_defaults(void **state)
{
	expect_ok(NULL, ARGS("--dataset", "ds"));
	struct oc_config want;
	oc_config_init(&want);
	want.dataset_dir = dc.engine.dataset_dir;
	assert_memory_equal(&dc.engine, &want, sizeof(want));
	assert_string_equal(dc.host, "127.0.0.1");
	assert_int_equal(dc.server.port, 7411);
	assert_ptr_equal(dc.server.host, dc.host);
	assert_null(dc.server.token);
	assert_int_equal(dc.server.token_bytes, 0);
	assert_int_equal(dc.server.connections_max, 0); /* 0: the server's default */
	assert_int_equal(dc.server.output_bytes_max, 0);
	assert_int_equal(dc.server.hello_timeout_ms, 0);
	assert_int_equal(dc.server.connection_inflight_max, 0);
	assert_true(dc.admin);
	assert_false(dc.admin_explicit);
	assert_string_equal(dc.admin_host, "127.0.0.1");
	assert_int_equal(dc.admin_port, 7412);
	assert_int_equal(dc.log_level, OC_LOG_INFO);
	assert_string_equal(dc.durability_name, "memory");
	assert_false(dc.help);
	assert_null(dc.config_path);
}

static void test_every_key_by_flag_and_ini(void **state)
{
	for (size_t i = 0; i < EVERY; i++) {
		enum oc_daemon_config_key k = every[i].key;
		char ini[512], flag_text[64], base_text[256];
		bool is_dataset = k == OC_DAEMON_KEY_DATASET;
		expect_ok(NULL, ARGS("--dataset", "ds"));
		snprintf(base_text, sizeof(base_text), "%s", field(k));
		snprintf(flag_text, sizeof(flag_text), "%s", flag_of(k));
		if (is_dataset)
			expect_ok(NULL, ARGS(flag_text, every[i].value));
		else
			expect_ok(NULL, ARGS("--dataset", "ds", flag_text, every[i].value));
		if (strcmp(field(k), every[i].parsed) != 0)
			fail_msg("%s %s read as %s", flag_text, every[i].value, field(k));
		if (strcmp(field(k), base_text) == 0)
			fail_msg("%s %s is the default", flag_text, every[i].value);
		/* The same as --flag=value, and as a key of the file. */
		char joined[128];
		snprintf(joined, sizeof(joined), "%s=%s", flag_text, every[i].value);
		expect_ok(NULL, is_dataset ? ARGS(joined) : ARGS("--dataset", "ds", joined));
		assert_string_equal(field(k), every[i].parsed);
		snprintf(ini, sizeof(ini), "; a comment\n[ordercored]\n%s%s = %s\n",
			 is_dataset ? "" : "dataset = ds\n", oc_daemon_config_keys[k],
			 every[i].value);
		expect_ok(ini, NULL);
		if (strcmp(field(k), every[i].parsed) != 0)
			fail_msg("%s = %s read as %s", oc_daemon_config_keys[k], every[i].value,
				 field(k));
	}
}

static void test_flags_override_the_file(void **state)
{
	char ini[4096] = "[ordercored]\n";
	for (size_t i = 0; i < EVERY; i++)
		snprintf(ini + strlen(ini), sizeof(ini) - strlen(ini), "%s = %s\n",
			 oc_daemon_config_keys[every[i].key], every[i].value);
	expect_ok(ini, NULL);
	for (size_t i = 0; i < EVERY; i++)
		assert_string_equal(field(every[i].key), every[i].parsed);
	assert_string_equal(dc.durability_name, "async");
	assert_true(dc.admin_explicit);
	expect_ok(ini, ARGS("--listen", "9", "--orders-max", "5", "--durability", "none",
			    "--log-level", "error", "--admin-listen", "off", "--dataset", "other"));
	assert_string_equal(field(OC_DAEMON_KEY_LISTEN), "127.0.0.1:9");
	assert_string_equal(field(OC_DAEMON_KEY_ORDERS_MAX), "5");
	assert_string_equal(dc.durability_name, "none");
	assert_int_equal(dc.log_level, OC_LOG_ERROR);
	assert_false(dc.admin);
	assert_true(dc.admin_explicit);
	assert_string_equal(dc.engine.dataset_dir, "other");
	/* What no flag set is the file's. */
	assert_string_equal(field(OC_DAEMON_KEY_SHARDS), "8");
	assert_string_equal(field(OC_DAEMON_KEY_TOKEN), "s3cr3t-T0ken~!");
	/* A key given twice keeps its last value; so does a flag. */
	expect_ok("[ordercored]\ndataset = a\nthreads = 2\nthreads = 5\n",
		  ARGS("--shards", "2", "--shards", "3"));
	assert_string_equal(field(OC_DAEMON_KEY_THREADS), "5");
	assert_string_equal(field(OC_DAEMON_KEY_SHARDS), "3");
}

static void test_bad_numbers(void **state)
{
	static const struct {
		const char *flag, *value, *message;
	} bad[] = {
		{"--threads", "65", "threads: not a whole number in range: '65'"},
		{"--threads", "-1", "threads: not a whole number in range: '-1'"},
		{"--threads", " 1", "threads: not a whole number in range: ' 1'"},
		{"--threads", "+1", "threads: not a whole number in range: '+1'"},
		{"--threads", "", "threads: not a whole number in range: ''"},
		{"--threads", "0x10", "threads: not a whole number in range: '0x10'"},
		{"--shards", "65", "shards: not a whole number in range: '65'"},
		{"--orders-max", "4294967296", "orders_max: not a whole number in range: '4294967296'"},
		{"--lease-ttl-ms", "1e6", "lease_ttl_ms: not a whole number in range: '1e6'"},
		{"--review-ttl-ms", "4294967296",
		 "review_ttl_ms: not a whole number in range: '4294967296'"},
		{"--customer-index", "2", "customer_index: not a whole number in range: '2'"},
		{"--screen-entries-max", "x", "screen_entries_max: not a whole number in range: 'x'"},
		{"--wave-orders-max", "65", "wave_orders_max: not a whole number in range: '65'"},
		{"--wave-cutoff-ms", "1 ", "wave_cutoff_ms: not a whole number in range: '1 '"},
		{"--wave-express-cutoff-ms", "99999999999",
		 "wave_express_cutoff_ms: not a whole number in range: '99999999999'"},
		{"--snapshot-every", "18446744073709551616",
		 "snapshot_every: not a whole number in range: '18446744073709551616'"},
		{"--snapshot-every", " -1", "snapshot_every: not a whole number in range: ' -1'"},
		{"--snapshot-interval-ms", "4294967296",
		 "snapshot_interval_ms: not a whole number in range: '4294967296'"},
		{"--connections-max", "65537", "connections_max: not a whole number in range: '65537'"},
		{"--hello-timeout-ms", "3600001",
		 "hello_timeout_ms: not a whole number in range: '3600001'"},
		{"--output-bytes-max", "1073741825",
		 "output_bytes_max: not a whole number in range: '1073741825'"},
		{"--connection-inflight-max", "65537",
		 "connection_inflight_max: not a whole number in range: '65537'"},
		{"--listen", "127.0.0.1:65536", "listen: not a whole number in range: '65536'"},
		{"--admin-listen", "127.0.0.1:-1", "admin_listen: not a whole number in range: '-1'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(NULL, ARGS("--dataset", "ds", bad[i].flag, bad[i].value),
			     bad[i].message);
	/* The same from the file. */
	expect_error("[ordercored]\ndataset = d\nshards = 100\n", NULL,
		     "shards: not a whole number in range: '100'");
	/* The bounds themselves are taken. */
	expect_ok(NULL, ARGS("--dataset", "ds", "--threads", "64", "--shards", "64",
			     "--connections-max", "65536", "--output-bytes-max", "1073741824",
			     "--orders-max", "4294967295", "--listen", "127.0.0.1:65535"));
}

static void test_unknown_keys_sections_and_syntax(void **state)
{
	expect_error("[ordercored]\ndataset = d\nthreadz = 2\n", NULL, "config: unknown key threadz");
	expect_error("[ordercore]\ndataset = d\n", NULL, "config: unknown section [ordercore]");
	expect_error("dataset = d\n", NULL, "config: unknown section []");
	expect_error("[ordercored]\ndataset = d\nno equals sign here\n", NULL,
		     "config: test.ini: syntax error on line 3");
	expect_error("[ordercored]\ndataset = d\n[broken\n", NULL,
		     "config: test.ini: syntax error on line 3");
	/* A broken section header leaves the entries after it in no section. */
	expect_error("[ordercored\ndataset = d\n", NULL, "config: unknown section []");
	/* An unknown key wins over a syntax error on an earlier line, as it did when it exited
	 * at once; the first unknown key is the one told. */
	expect_error("[ordercored]\nbad line\nnope = 1\nnope2 = 2\n", NULL,
		     "config: unknown key nope");
	/* Comments, blank lines, spaces around '=' and an inline " ;" comment. */
	expect_ok("# ordercored.ini\n\n[ordercored]\n  dataset   =   /d ; the catalog\n"
		  "; listen = 0.0.0.0:1\n", NULL);
	assert_string_equal(dc.engine.dataset_dir, "/d");
	assert_string_equal(dc.host, "127.0.0.1");
}

static void test_command_line(void **state)
{
	assert_int_equal(read_config(NULL, ARGS("--help")), 0);
	assert_true(dc.help);
	assert_int_equal(read_config(NULL, ARGS("-h", "--nope")), 0); /* help stops the reading */
	assert_true(dc.help);
	expect_error(NULL, ARGS("--dataset", "d", "--nope"), "unrecognized option '--nope'");
	assert_true(dc.bad_option);
	expect_error(NULL, ARGS("--dataset", "d", "-x"), "invalid option -- 'x'");
	assert_true(dc.bad_option);
	expect_error(NULL, ARGS("--dataset", "d", "--listen"),
		     "option '--listen' requires an argument");
	assert_true(dc.bad_option);
	expect_error(NULL, ARGS("--dataset", "d", "extra"), "unexpected argument 'extra'");
	assert_false(dc.bad_option);
	expect_error(NULL, ARGS("--threads", "2"), "--dataset is required (or dataset= in the config)");
	/* getopt_long's unambiguous abbreviations, as before. */
	expect_ok(NULL, ARGS("--data", "d", "--orders", "7"));
	assert_string_equal(field(OC_DAEMON_KEY_ORDERS_MAX), "7");
	/* --config is kept for oc_daemon_config_read. */
	expect_ok("[ordercored]\ndataset = d\n", ARGS("--config", "/etc/oc.ini"));
	assert_string_equal(dc.config_path, "/etc/oc.ini");
}

static void test_durability_and_log_level(void **state)
{
	expect_error(NULL, ARGS("--dataset", "d", "--durability", "fast"),
		     "durability is sync, async or none, not 'fast'");
	expect_error(NULL, ARGS("--dataset", "d", "--durability", "SYNC"),
		     "durability is sync, async or none, not 'SYNC'");
	expect_error(NULL, ARGS("--dataset", "d", "--log-level", "loud"),
		     "log_level is debug, info, warn or error, not 'loud'");
	/* The log level is checked first, before the dataset is asked for. */
	expect_error(NULL, ARGS("--log-level", "loud", "--threads", "99"),
		     "log_level is debug, info, warn or error, not 'loud'");
	expect_ok(NULL, ARGS("--dataset", "d", "--data-dir", "s"));
	assert_string_equal(dc.durability_name, "sync");
	expect_ok(NULL, ARGS("--dataset", "d", "--data-dir", "s", "--durability", "none"));
	assert_string_equal(dc.durability_name, "none");
	assert_int_equal(dc.engine.durability, OC_DURABILITY_NONE);
	expect_ok(NULL, ARGS("--dataset", "d", "--durability", "none")); /* no data_dir */
	assert_string_equal(dc.durability_name, "memory");
	static const char *const levels[] = {"debug", "info", "warn", "error"};
	for (int l = 0; l < 4; l++) {
		expect_ok(NULL, ARGS("--dataset", "d", "--log-level", levels[l]));
		assert_int_equal(dc.log_level, l);
	}
}

static void test_bad_addresses(void **state)
{
	static const struct {
		const char *flag, *value, *message;
	} bad[] = {
		{"--listen", "localhost:7411",
		 "listen: 'localhost' is not a numeric IPv4 or IPv6 address"},
		{"--listen", "127.evil.example:7411",
		 "listen: '127.evil.example' is not a numeric IPv4 or IPv6 address"},
		{"--listen", "127.1:7411", "listen: '127.1' is not a numeric IPv4 or IPv6 address"},
		{"--listen", "[fe80::1%eth0]:7411",
		 "listen: 'fe80::1%eth0' is not a numeric IPv4 or IPv6 address"},
		{"--listen", ":7411", "listen: bad address ':7411'"},
		{"--listen", "[]:7411", "listen: bad address '[]:7411'"},
		{"--listen", "1.2.3.4:", "listen: not a whole number in range: ''"},
		{"--listen", "seven", "listen: not a whole number in range: 'seven'"},
		{"--admin-listen", "nowhere:x", "admin_listen: not a whole number in range: 'x'"},
		{"--admin-listen", "localhost:7412",
		 "admin_listen: 'localhost' is not a numeric IPv4 or IPv6 address"},
		{"--admin-listen", "Off", "admin_listen: not a whole number in range: 'Off'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(NULL, ARGS("--dataset", "d", "--token", "t", bad[i].flag, bad[i].value),
			     bad[i].message);
	char long_host[128];
	memset(long_host, '1', 100);
	snprintf(long_host + 100, sizeof(long_host) - 100, ":1");
	char message[256];
	snprintf(message, sizeof(message), "listen: bad address '%s'", long_host);
	expect_error(NULL, ARGS("--dataset", "d", "--listen", long_host), message);
	/* Good ones: PORT alone, a bracketed IPv6 address. */
	expect_ok(NULL, ARGS("--dataset", "d", "--listen", "0"));
	assert_string_equal(field(OC_DAEMON_KEY_LISTEN), "127.0.0.1:0");
	expect_ok(NULL, ARGS("--dataset", "d", "--listen", "[::1]:7411", "--admin-listen", "9"));
	assert_string_equal(field(OC_DAEMON_KEY_LISTEN), "::1:7411");
	assert_string_equal(field(OC_DAEMON_KEY_ADMIN_LISTEN), "127.0.0.1:9");
}

static void test_loopback(void **state)
{
	static const struct {
		const char *host;
		int loopback;
	} hosts[] = {
		{"127.0.0.1", 1},        {"127.255.255.254", 1},  {"127.0.0.0", 1},
		{"126.255.255.255", 0},  {"128.0.0.1", 0},        {"0.0.0.0", 0},
		{"10.0.0.1", 0},         {"255.255.255.255", 0},  {"::1", 1},
		{"0:0:0:0:0:0:0:1", 1},  {"::", 0},               {"::2", 0},
		{"::ffff:127.0.0.1", 1}, {"::ffff:10.0.0.1", 0},  {"fe80::1", 0},
		{"::127.0.0.1", 0}, /* IPv4-compatible, deprecated: not loopback */
		{"localhost", -EINVAL},  {"127.evil.example", -EINVAL}, {"127.1", -EINVAL},
		{"127.0.0.1 ", -EINVAL}, {"", -EINVAL},           {"[::1]", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (oc_daemon_config_loopback(hosts[i].host) != hosts[i].loopback)
			fail_msg("'%s': %d, not %d", hosts[i].host,
				 oc_daemon_config_loopback(hosts[i].host), hosts[i].loopback);
}

static void test_token_rule(void **state)
{
	/* The order port outside loopback needs a token; inside, none is needed. */
	expect_error(NULL, ARGS("--dataset", "d", "--listen", "0.0.0.0:7411"),
		     "refusing to listen on 0.0.0.0 without a token (--token)");
	expect_error(NULL, ARGS("--dataset", "d", "--listen", "[::]:7411"),
		     "refusing to listen on :: without a token (--token)");
	expect_error(NULL, ARGS("--dataset", "d", "--listen", "10.1.2.3:7411", "--token", ""),
		     "refusing to listen on 10.1.2.3 without a token (--token)");
	expect_ok(NULL, ARGS("--dataset", "d", "--listen", "127.3.2.1:1"));
	expect_ok(NULL, ARGS("--dataset", "d", "--listen", "[::ffff:127.0.0.1]:1"));
	expect_ok(NULL, ARGS("--dataset", "d", "--listen", "0.0.0.0:7411", "--token", "t"));
	assert_int_equal(dc.server.token_bytes, 1);
	assert_memory_equal(dc.server.token, "t", 1);
	/* The token from the file, the address from a flag. */
	expect_ok("[ordercored]\ndataset = d\ntoken = from-the-file\n",
		  ARGS("--listen", "0.0.0.0:1"));
	assert_string_equal(field(OC_DAEMON_KEY_TOKEN), "from-the-file");
	/* What a token may be: 1 to 64 visible ASCII characters. */
	char t64[65], t65[66];
	memset(t64, 'x', 64);
	t64[64] = '\0';
	memset(t65, 'x', 65);
	t65[65] = '\0';
	expect_ok(NULL, ARGS("--dataset", "d", "--token", t64));
	assert_int_equal(dc.server.token_bytes, 64);
	static const char message[] =
		"token: 1 to 64 visible ASCII characters (no space or control character)";
	expect_error(NULL, ARGS("--dataset", "d", "--token", t65), message);
	expect_error(NULL, ARGS("--dataset", "d", "--token", "two words"), message);
	expect_error(NULL, ARGS("--dataset", "d", "--token", "tab\there"), message);
	expect_error(NULL, ARGS("--dataset", "d", "--token", "cr\r\nInjected: 1"), message);
	expect_error(NULL, ARGS("--dataset", "d", "--token", "caf\xc3\xa9"), message);
	/* The admin endpoint outside loopback needs the token too; off, it needs nothing. */
	expect_error(NULL, ARGS("--dataset", "d", "--admin-listen", "0.0.0.0:7412"),
		     "refusing to serve the admin endpoint on 0.0.0.0 without a token (--token)");
	expect_error("[ordercored]\ndataset = d\nadmin_listen = [::]:7412\n", NULL,
		     "refusing to serve the admin endpoint on :: without a token (--token)");
	expect_ok(NULL, ARGS("--dataset", "d", "--admin-listen", "0.0.0.0:7412", "--token", "t"));
	assert_true(dc.admin_explicit);
	expect_ok(NULL, ARGS("--dataset", "d", "--admin-listen", "off"));
	assert_false(dc.admin);
	expect_ok(NULL, ARGS("--dataset", "d", "--admin-listen", "127.0.0.9:0"));
	assert_string_equal(field(OC_DAEMON_KEY_ADMIN_LISTEN), "127.0.0.9:0");
}

/* A whole file through oc_daemon_config_read, as ordercored reads it. */
static void test_ini_file(void **state)
{
	char dir[1024], path[1100];
	oc_test_scratch_dir(dir, sizeof(dir), "daemon_config");
	snprintf(path, sizeof(path), "%s/ordercored.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[ordercored]\n");
	for (size_t i = 0; i < EVERY; i++)
		fprintf(f, "%s = %s\n", oc_daemon_config_keys[every[i].key], every[i].value);
	assert_int_equal(fclose(f), 0);
	char *argv[] = {"ordercored", "--config", path, "--threads", "2", NULL};
	oc_daemon_config_destroy(&dc);
	oc_daemon_config_init(&dc);
	assert_int_equal(oc_daemon_config_read(&dc, 5, argv), 0);
	for (size_t i = 0; i < EVERY; i++)
		if (every[i].key != OC_DAEMON_KEY_THREADS)
			assert_string_equal(field(every[i].key), every[i].parsed);
	assert_string_equal(field(OC_DAEMON_KEY_THREADS), "2");
	/* A file that cannot be read. */
	snprintf(path, sizeof(path), "%s/missing.ini", dir);
	char *missing[] = {"ordercored", "--config", path, NULL};
	oc_daemon_config_destroy(&dc);
	oc_daemon_config_init(&dc);
	assert_int_equal(oc_daemon_config_read(&dc, 3, missing), -ENOENT);
	char message[1200];
	snprintf(message, sizeof(message), "config: cannot read %s", path);
	assert_string_equal(dc.err, message);
	/* --help comes before the file is read. */
	char *help[] = {"ordercored", "--config", path, "--help", NULL};
	oc_daemon_config_destroy(&dc);
	oc_daemon_config_init(&dc);
	assert_int_equal(oc_daemon_config_read(&dc, 4, help), 0);
	assert_true(dc.help);
	oc_daemon_config_destroy(&dc);
	assert_int_equal(oc_test_rm_tree(dir), 0);
}

int main(void)
{
	oc_daemon_config_init(&dc);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_key_by_flag_and_ini),
	    cmocka_unit_test(test_flags_override_the_file),
	    cmocka_unit_test(test_bad_numbers),
	    cmocka_unit_test(test_unknown_keys_sections_and_syntax),
	    cmocka_unit_test(test_command_line),
	    cmocka_unit_test(test_durability_and_log_level),
	    cmocka_unit_test(test_bad_addresses),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_token_rule),
	    cmocka_unit_test(test_ini_file),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	oc_daemon_config_destroy(&dc);
	return failed;
}
