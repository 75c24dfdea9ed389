/* fuzz_config.c: fuzz target for ordercored's settings (engine/daemon_config.c): its command
 * line (getopt_long) and its INI text (inih, from memory), merged and checked. The input is
 * cases separated by '\f'; a case is a command line, one argument a line ('\n'), then
 * optionally a NUL and INI text (so a corpus file reads as text but for those two bytes):
 *   --listen\n0.0.0.0:7411\n--token=t \0 [ordercored]\ndataset = /srv/ds\n \f ...
 * No file is read: --config is taken but not followed. What it asserts, beyond "no crash, no
 * read out of bounds, no leak" (AddressSanitizer, when built with clang
 * -fsanitize=fuzzer,address):
 *   - a failure is -errno with a message, a success has none, a bad option is a failure;
 *   - what is read holds every rule: numbers in their ranges and written in digits alone, a
 *     known durability and log level, numeric addresses, a token of 1 to 64 visible ASCII
 *     characters, and an address outside loopback (order port or admin endpoint) only with
 *     a token;
 *   - the same case read again reads the same (getopt's global state is reset);
 *   - the case's flags written as INI keys after its INI text read the same as the flags
 *     themselves (every flag is the key of its name, and flags win over the file), when
 *     the values can be written in INI (one line, no edge spaces, no ';').
 * Built like the others (tests/CMakeLists.txt): with libFuzzer under clang, and with
 * fuzz_driver.c under ctest. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_config.h"
#include "fuzz_target.h"

#define FUZZ_ASSERT(x) \
	do { \
		if (!(x)) { \
			fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, \
				#x); \
			abort(); \
		} \
	} while (0)

/* Arguments of one case after the program's name; more are dropped. */
#define FUZZ_ARGS_MAX 64u
/* The longest value written back as an INI line: inih reads lines of up to 200 bytes. */
#define FUZZ_INI_VALUE_BYTES_MAX 150u

/* A case split up: its arguments (pointers into the case's text) and its INI text. */
struct fuzz_case {
	char *args[FUZZ_ARGS_MAX];
	uint32_t arg_count;
	const char *ini; /* NULL: none */
};

/* Reads the case into c: argv (a copy of the argument pointers, which getopt_long
 * permutes), then the INI when there is one, then the check (not after --help). */
static int read_case(const struct fuzz_case *fc, const char *ini, struct oc_daemon_config *c)
{
	static char program[] = "ordercored";
	char *argv[FUZZ_ARGS_MAX + 2];
	argv[0] = program;
	memcpy(argv + 1, fc->args, fc->arg_count * sizeof(char *));
	argv[fc->arg_count + 1] = NULL;
	oc_daemon_config_init(c);
	int rc = oc_daemon_config_args(c, (int)fc->arg_count + 1, argv);
	if (rc == 0 && !c->help && ini)
		rc = oc_daemon_config_ini_string(c, ini, "fuzz.ini");
	if (rc == 0 && !c->help)
		rc = oc_daemon_config_check(c);
	FUZZ_ASSERT(rc <= 0);
	FUZZ_ASSERT((rc != 0) == (c->err[0] != '\0'));
	FUZZ_ASSERT(strlen(c->err) < sizeof(c->err));
	FUZZ_ASSERT(!c->bad_option || rc != 0);
	return rc;
}

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The rules every configuration read must hold. */
static void check_rules(const struct oc_daemon_config *c)
{
	const struct oc_config *e = &c->engine;
	const struct oc_server_config *s = &c->server;
	FUZZ_ASSERT(e->dataset_dir != NULL);
	FUZZ_ASSERT(e->threads <= OC_DAEMON_CONFIG_THREADS_MAX);
	FUZZ_ASSERT(e->shards <= OC_DAEMON_CONFIG_SHARDS_MAX);
	FUZZ_ASSERT(e->wave_orders_max <= OC_DAEMON_CONFIG_WAVE_ORDERS_MAX);
	FUZZ_ASSERT(e->customer_index == 0 || e->customer_index == 1);
	FUZZ_ASSERT(e->durability <= OC_DURABILITY_NONE);
	FUZZ_ASSERT(s->connections_max <= OC_SERVER_CONNECTIONS_MAX_LIMIT);
	FUZZ_ASSERT(s->hello_timeout_ms <= OC_DAEMON_CONFIG_HELLO_TIMEOUT_MS_MAX);
	FUZZ_ASSERT(s->connection_inflight_max <= OC_SERVER_INFLIGHT_MAX);
	FUZZ_ASSERT(s->output_bytes_max <= OC_DAEMON_CONFIG_OUTPUT_BYTES_MAX);
	FUZZ_ASSERT(c->log_level <= OC_LOG_ERROR);
	FUZZ_ASSERT(c->durability_name != NULL);
	/* Every number was written in digits alone, whether a flag or the file gave it. */
	for (unsigned k = 0; k < OC_DAEMON_KEY_COUNT; k++) {
		const char *text = c->flag[k] ? c->flag[k] : c->file[k];
		bool numeric = k >= OC_DAEMON_KEY_THREADS && k <= OC_DAEMON_KEY_WAVE_EXPRESS_CUTOFF_MS;
		FUZZ_ASSERT(!numeric || !text || digits(text));
	}
	/* The token, and the addresses it guards. */
	FUZZ_ASSERT(s->token_bytes <= OC_PROTO_TOKEN_BYTES_MAX);
	FUZZ_ASSERT((s->token_bytes == 0) == (s->token == NULL));
	for (size_t i = 0; i < s->token_bytes; i++) {
		char ch = ((const char *)s->token)[i];
		FUZZ_ASSERT(ch >= '!' && ch <= '~');
	}
	FUZZ_ASSERT(s->host == c->host);
	int loopback = oc_daemon_config_loopback(c->host);
	FUZZ_ASSERT(loopback >= 0 && (loopback || s->token_bytes));
	if (c->admin) {
		loopback = oc_daemon_config_loopback(c->admin_host);
		FUZZ_ASSERT(loopback >= 0 && (loopback || s->token_bytes));
	}
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether two configurations read the same (strings by their text). */
static bool same(const struct oc_daemon_config *a, const struct oc_daemon_config *b)
{
	struct oc_config ea = a->engine, eb = b->engine;
	if (!same_text(ea.dataset_dir, eb.dataset_dir) || !same_text(ea.data_dir, eb.data_dir))
		return false;
	ea.dataset_dir = eb.dataset_dir = ea.data_dir = eb.data_dir = NULL;
	const struct oc_server_config *sa = &a->server, *sb = &b->server;
	return memcmp(&ea, &eb, sizeof(ea)) == 0 && strcmp(a->host, b->host) == 0 &&
	       sa->port == sb->port && sa->token_bytes == sb->token_bytes &&
	       (!sa->token_bytes || memcmp(sa->token, sb->token, sa->token_bytes) == 0) &&
	       sa->connections_max == sb->connections_max &&
	       sa->output_bytes_max == sb->output_bytes_max &&
	       sa->hello_timeout_ms == sb->hello_timeout_ms &&
	       sa->connection_inflight_max == sb->connection_inflight_max && a->admin == b->admin &&
	       a->admin_explicit == b->admin_explicit &&
	       strcmp(a->admin_host, b->admin_host) == 0 && a->admin_port == b->admin_port &&
	       a->log_level == b->log_level && strcmp(a->durability_name, b->durability_name) == 0;
}

/* Whether value reads back the same as `key = value` in an INI file. */
static bool ini_writable(const char *value)
{
	size_t n = strlen(value);
	if (n >= FUZZ_INI_VALUE_BYTES_MAX || strpbrk(value, "\n\r\f\v;"))
		return false;
	return n == 0 || (value[0] != ' ' && value[0] != '\t' && value[n - 1] != ' ' &&
			  value[n - 1] != '\t');
}

/* c's flags written after the case's INI text as keys of [ordercored]; NULL when a value
 * cannot be written so (malloc'd). */
static char *flags_as_ini(const struct oc_daemon_config *c, const char *ini)
{
	size_t cap = (ini ? strlen(ini) : 0) + 16 + OC_DAEMON_KEY_COUNT * 200, n;
	char *out = malloc(cap);
	FUZZ_ASSERT(out != NULL);
	n = (size_t)snprintf(out, cap, "%s\n[ordercored]\n", ini ? ini : "");
	for (unsigned k = 0; k < OC_DAEMON_KEY_COUNT; k++) {
		if (!c->flag[k])
			continue;
		if (!ini_writable(c->flag[k])) {
			free(out);
			return NULL;
		}
		n += (size_t)snprintf(out + n, cap - n, "%s = %s\n", oc_daemon_config_keys[k],
				      c->flag[k]);
		FUZZ_ASSERT(n < cap);
	}
	return out;
}

/* Splits the case p[0, len), whose p[len] is a NUL, in place: its lines before its first NUL
 * are the arguments, what follows that NUL the INI text. */
static void case_split(char *p, size_t len, struct fuzz_case *fc)
{
	char *nul = memchr(p, '\0', len);
	fc->arg_count = 0;
	fc->ini = nul ? nul + 1 : NULL; /* up to its first NUL: p[len] at the latest */
	for (char *a = p; *a && fc->arg_count < FUZZ_ARGS_MAX;) {
		char *nl = strchr(a, '\n');
		if (nl)
			*nl = '\0';
		fc->args[fc->arg_count++] = a;
		if (!nl)
			break;
		a = nl + 1;
	}
}

static void run_case(char *p, size_t len)
{
	struct fuzz_case fc;
	case_split(p, len, &fc);
	struct oc_daemon_config first, again;
	int rc = read_case(&fc, fc.ini, &first);
	if (rc == 0 && !first.help)
		check_rules(&first);
	FUZZ_ASSERT(read_case(&fc, fc.ini, &again) == rc);
	FUZZ_ASSERT(strcmp(first.err, again.err) == 0);
	FUZZ_ASSERT(rc != 0 || first.help || same(&first, &again));
	oc_daemon_config_destroy(&again);
	char *ini2 = rc == 0 && !first.help ? flags_as_ini(&first, fc.ini) : NULL;
	if (ini2) {
		struct fuzz_case none = {.arg_count = 0};
		FUZZ_ASSERT(read_case(&none, ini2, &again) == 0);
		FUZZ_ASSERT(same(&first, &again));
		oc_daemon_config_destroy(&again);
		free(ini2);
	}
	oc_daemon_config_destroy(&first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t at = 0; at <= size;) {
		char *ff = memchr(text + at, '\f', size - at);
		size_t len = (ff ? (size_t)(ff - text) : size) - at;
		text[at + len] = '\0';
		run_case(text + at, len);
		at += len + 1;
	}
	free(text);
	return 0;
}

/* The seeds, each with its length (the literal's, NULs included): every flag, every INI key
 * (each in another value), both with flags over the file, --help, and the shorter forms
 * (--flag=value, an abbreviated flag, PORT alone, off). Each must read. */
#define SEED(text) {text, sizeof(text) - 1}
static const struct {
	const char *text;
	size_t bytes;
} seeds[] = {
	SEED("--dataset\n/srv/oc/data\n--listen\n127.0.0.1:7411\n--admin-listen\n127.0.0.1:7412\n"
	     "--token\ns3cret\n--data-dir\n/srv/oc/state\n--durability\nasync\n--threads\n3\n"
	     "--shards\n4\n--orders-max\n1048576\n--connections-max\n1024\n--output-bytes-max\n"
	     "262144\n--connection-inflight-max\n1024\n--snapshot-every\n4194304\n"
	     "--snapshot-interval-ms\n0\n--hello-timeout-ms\n10000\n--lease-ttl-ms\n600000\n"
	     "--review-ttl-ms\n0\n--customer-index\n1\n--screen-entries-max\n262144\n"
	     "--wave-orders-max\n16\n--wave-cutoff-ms\n900000\n--wave-express-cutoff-ms\n120000\n"
	     "--log-level\nwarn"),
	SEED("\0; ordercored.ini\n[ordercored]\ndataset = /srv/oc/data\nlisten = 0.0.0.0:7411\n"
	     "admin_listen = [::1]:7412\ntoken = T0k3n-with~symbols!\ndata_dir = /srv/oc/state\n"
	     "durability = sync\nthreads = 64\nshards = 64\norders_max = 4294967295\n"
	     "connections_max = 65536\noutput_bytes_max = 1073741824\n"
	     "connection_inflight_max = 65536\n"
	     "snapshot_every = 18446744073709551615\nsnapshot_interval_ms = 4294967295\n"
	     "hello_timeout_ms = 3600000\n"
	     "lease_ttl_ms = 604800000\nreview_ttl_ms = 86400000\ncustomer_index = 0\n"
	     "screen_entries_max = 1\nwave_orders_max = 64\nwave_cutoff_ms = 1\n"
	     "wave_express_cutoff_ms = 2 ; an inline comment\nlog_level = debug\n"),
	SEED("--listen=[::1]:0\n--token=t\n--log-level=error\n--config=/etc/ordercored.ini\0"
	     "[ordercored]\ndataset=/d\nlisten = 10.0.0.1:7411\nthreads = 2\n# a comment\n"
	     "admin_listen = 0.0.0.0:0\n"),
	SEED("--dataset=d\n--admin-listen=off\n--listen=7411\n--durability=none\n--data-dir=/x\n"
	     "--orders=5"),
	SEED("--help"),
};
#define SEEDS (sizeof(seeds) / sizeof(seeds[0]))

const char fuzz_name[] = "fuzz_config";

size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	size_t n = 0;
	*count = 0;
	for (size_t i = 0; i < SEEDS; i++) {
		size_t m = seeds[i].bytes;
		if (n + m + 1 > cap)
			return 0;
		/* Each reads on its own. */
		char *text = malloc(m + 1);
		FUZZ_ASSERT(text != NULL);
		memcpy(text, seeds[i].text, m);
		text[m] = '\0';
		struct fuzz_case fc;
		case_split(text, m, &fc);
		struct oc_daemon_config c;
		int rc = read_case(&fc, fc.ini, &c);
		oc_daemon_config_destroy(&c);
		free(text);
		if (rc != 0)
			return 0;
		memcpy(out + n, seeds[i].text, m);
		out[n + m] = '\f';
		n += m + 1;
		(*count)++;
	}
	return n;
}
