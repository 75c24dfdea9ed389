/* top.h: ordercore-cli top, a live terminal view of a running ordercored drawn from its admin
 * endpoint's GET /metrics (docs/top.md). The rest of ordercore-cli talks to the order port;
 * this command reads only the admin endpoint, over HTTP/1.0 with a client of its own. */
#ifndef OC_CLI_TOP_H
#define OC_CLI_TOP_H

/* What `ordercore-cli --help` says of top: its line in the list of commands. */
#define OC_TOP_USAGE                                                                           \
	"  top [--admin HOST:PORT] [--interval-ms N] [--count N]\n"                            \
	"                          a live view of the daemon, redrawn every N ms (default 1000,\n" \
	"                          100-3600000): rates per second over the last interval\n"        \
	"                          (accepted, rejected, cancelled, duplicates, commands,\n"        \
	"                          answers, shipped) and totals, the top rejection reasons,\n"     \
	"                          sold-out SKUs, the log's release latency (p50, p99) and lag,\n" \
	"                          ring occupancy, busy time per stage and per worker. It reads\n" \
	"                          the admin endpoint's /metrics (ordercored --admin-listen,\n"    \
	"                          default 127.0.0.1:7412), not the order port: --connect does\n"  \
	"                          not apply; --token (or ORDERCORE_TOKEN) is sent to it as\n"     \
	"                          \"Authorization: Bearer\". The first screen comes one interval\n" \
	"                          after start; --count N: exit after N screens (default 0:\n"     \
	"                          until Ctrl-C). Exit 2 when the first scrape fails; later\n"     \
	"                          failures are shown on the screen and retried (docs/top.md)\n"

/* Runs `ordercore-cli top`: argv[0] is "top", the rest its options; token: the daemon's
 * (sent with every scrape as `Authorization: Bearer TOKEN`), or NULL. Returns the exit status:
 * 0 after --count screens or on SIGINT or SIGTERM, 2 on a usage error or when the first scrape
 * fails (one line on stderr says why). Writes the screens to stdout. */
int oc_top_main(int argc, char **argv, const char *token);

#endif
