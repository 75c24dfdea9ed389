/* daemon_config.h: ordercored's settings (docs/operations.md, "Configuring" and "Security and
 * limits"): read from its command line and from an INI file's [ordercored] section (the flags
 * win), checked, and turned into the engine's, the server's and the admin endpoint's
 * configurations. Nothing here logs or exits: a bad setting comes back as a message in
 * struct oc_daemon_config.err, so that the reading can be unit-tested
 * (tests/unit/test_daemon_config.c) and fuzzed (tests/fuzz/fuzz_config.c). Every failure is
 * a usage or configuration error: ordercored exits with OC_DAEMON_CONFIG_EXIT_USAGE.
 * One thread: the command line is read with getopt_long, whose state is global. */
#ifndef OC_DAEMON_CONFIG_H
#define OC_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "net/server.h"
#include "ordercore/ordercore.h"

/* The exit status of every error found here (and of a bad option). */
#define OC_DAEMON_CONFIG_EXIT_USAGE 2
/* A --listen or --admin-listen host as text, with its NUL: an IPv6 address is at most 45. */
#define OC_DAEMON_CONFIG_HOST_BYTES 64u
#define OC_DAEMON_CONFIG_ERROR_BYTES 1024u
/* The order port's default address (the admin endpoint's is OC_ADMIN_DEFAULT_PORT). */
#define OC_DAEMON_CONFIG_DEFAULT_HOST "127.0.0.1"
#define OC_DAEMON_CONFIG_DEFAULT_PORT 7411u
/* Upper bounds of the settings that the engine or the server would otherwise take as they
 * come: the engine's worker and shard counts (OC_LIMIT_THREADS_MAX, the shards' limit), a
 * wave's orders, the hello timeout (an hour) and the output buffer (1 GiB). */
#define OC_DAEMON_CONFIG_THREADS_MAX 64u
#define OC_DAEMON_CONFIG_SHARDS_MAX 64u
#define OC_DAEMON_CONFIG_WAVE_ORDERS_MAX 64u
#define OC_DAEMON_CONFIG_HELLO_TIMEOUT_MS_MAX 3600000u
#define OC_DAEMON_CONFIG_OUTPUT_BYTES_MAX (1u << 30)

/* Every setting, in the order of the usage text. Its INI key is oc_daemon_config_keys[k], its
 * flag the same with '-' for '_'. */
enum oc_daemon_config_key {
	OC_DAEMON_KEY_DATASET,
	OC_DAEMON_KEY_LISTEN,
	OC_DAEMON_KEY_ADMIN_LISTEN,
	OC_DAEMON_KEY_TOKEN,
	OC_DAEMON_KEY_DATA_DIR,
	OC_DAEMON_KEY_DURABILITY,
	OC_DAEMON_KEY_THREADS,
	OC_DAEMON_KEY_SHARDS,
	OC_DAEMON_KEY_ORDERS_MAX,
	OC_DAEMON_KEY_CONNECTIONS_MAX,
	OC_DAEMON_KEY_OUTPUT_BYTES_MAX,
	OC_DAEMON_KEY_CONNECTION_INFLIGHT_MAX,
	OC_DAEMON_KEY_SNAPSHOT_EVERY,
	OC_DAEMON_KEY_SNAPSHOT_INTERVAL_MS,
	OC_DAEMON_KEY_HELLO_TIMEOUT_MS,
	OC_DAEMON_KEY_LEASE_TTL_MS,
	OC_DAEMON_KEY_REVIEW_TTL_MS,
	OC_DAEMON_KEY_CUSTOMER_INDEX,
	OC_DAEMON_KEY_SCREEN_ENTRIES_MAX,
	OC_DAEMON_KEY_WAVE_ORDERS_MAX,
	OC_DAEMON_KEY_WAVE_CUTOFF_MS,
	OC_DAEMON_KEY_WAVE_EXPRESS_CUTOFF_MS,
	OC_DAEMON_KEY_LOG_LEVEL,
	OC_DAEMON_KEY_COUNT
};

extern const char *const oc_daemon_config_keys[OC_DAEMON_KEY_COUNT];
/* `ordercored --help`. */
extern const char oc_daemon_config_usage[];

/* Caller-owned. The results are valid once oc_daemon_config_check returned 0; their strings
 * point into this struct or at the argv strings given to oc_daemon_config_args, and stay
 * valid until oc_daemon_config_destroy (and while those strings do). */
struct oc_daemon_config {
	/* What the command line said besides the settings. */
	bool help;               /* --help: print the usage to stdout, exit 0 */
	bool bad_option;         /* an unknown option or one without its argument: err says
	                          * which; print it and the usage to stderr, exit 2 */
	const char *config_path; /* --config FILE, or NULL */
	/* The results. */
	struct oc_config engine;          /* .dataset_dir, .data_dir: into text */
	struct oc_server_config server;   /* .host: host; .token: the token's text */
	char host[OC_DAEMON_CONFIG_HOST_BYTES];
	bool admin;                       /* false: admin_listen off */
	bool admin_explicit;              /* admin_listen was given: failing to bind it is a
	                                   * configuration error, not a warning */
	char admin_host[OC_DAEMON_CONFIG_HOST_BYTES];
	uint16_t admin_port;
	enum oc_log_level log_level;
	const char *durability_name;      /* for the log: "memory" without a data_dir */
	/* Every setting as text: from a flag (argv's string) or the INI (a copy, owned). */
	const char *flag[OC_DAEMON_KEY_COUNT];
	char *file[OC_DAEMON_KEY_COUNT];
	char err[OC_DAEMON_CONFIG_ERROR_BYTES]; /* the first error; "" while there is none */
};

/* Empties c: no setting given. */
void oc_daemon_config_init(struct oc_daemon_config *c);
/* Frees the INI's copies; c may be initialized again. */
void oc_daemon_config_destroy(struct oc_daemon_config *c);

/* Reads the command line (argv[0] is the program): the settings' flags, --config and --help.
 * getopt_long permutes argv. 0, or -EINVAL with err set: a bad option (bad_option), or an
 * argument that is not an option. */
int oc_daemon_config_args(struct oc_daemon_config *c, int argc, char **argv);
/* Reads INI text whose entries are all in the [ordercored] section; a key given twice keeps
 * its last value. name is what a syntax error's message calls it (the file's path). 0, or
 * -EINVAL with err set: an unknown section or key (the first one), else a syntax error (the
 * first line with one). */
int oc_daemon_config_ini_string(struct oc_daemon_config *c, const char *text, const char *name);
/* The same from a file: also -ENOENT (or the error opening it) when it cannot be read. */
int oc_daemon_config_ini_file(struct oc_daemon_config *c, const char *path);
/* Merges the flags over the INI's settings and checks each: whole numbers in range, a known
 * durability and log level, numeric addresses, and the token rule: a token is 1 to
 * OC_PROTO_TOKEN_BYTES_MAX visible ASCII characters, and an address outside loopback, for
 * the order port or the admin endpoint, needs one. 0 or -EINVAL with err set (the first
 * error, in the order of the usage text but for the log level, checked first). */
int oc_daemon_config_check(struct oc_daemon_config *c);
/* All of the above for ordercored: the command line, then the --config file if there is
 * one, then the check. Stops at --help or the first error. */
int oc_daemon_config_read(struct oc_daemon_config *c, int argc, char **argv);

/* Whether the host a server binds (a numeric IPv4 or IPv6 address, as inet_pton reads it)
 * is loopback: 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. 1 or 0; -EINVAL when host is not a
 * numeric address (a name such as "localhost" is not one: the server binds only numbers). */
int oc_daemon_config_loopback(const char *host);

#endif
