/* top.c: ordercore-cli top (top.h). Owns, for one thread, a response buffer and two parsed
 * scrapes (the last and the one before it), allocated at start. Each interval it fetches the
 * admin endpoint's /metrics with a small HTTP/1.0 client of its own (bounded in bytes and
 * time), keeps the figures it shows (struct scrape), and redraws the screen from the
 * difference of the two scrapes divided by the time between them. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "net/admin.h"
#include "top.h"

/* A /metrics response is ~50 KB with 4 shards and one worker and grows with both; anything
 * past 4 MiB is not ordercored's and is refused rather than read on. */
#define TOP_RESPONSE_BYTES_MAX (4u << 20)
/* The whole scrape (connect, request, response to its close). The admin thread renders in
 * well under a millisecond, so 2 s means the daemon or the path to it is stuck. */
#define TOP_SCRAPE_TIMEOUT_MS 2000
#define TOP_INTERVAL_MS_DEFAULT 1000u
/* A scrape renders every figure in the daemon's admin thread: ten a second is plenty. */
#define TOP_INTERVAL_MS_MIN 100u
#define TOP_INTERVAL_MS_MAX 3600000u
/* Tables of one scrape; a series past them is counted in scrape.dropped and said on screen. */
#define TOP_REASONS_MAX 64u /* rejection reasons: 31 today (enum oc_reject_reason) */
#define TOP_BUCKETS_MAX 64u /* the log's release histogram: 26 buckets exposed */
#define TOP_RINGS_MAX   16u /* ring names, a shard's rings counted once: 8 today */
#define TOP_STAGES_MAX  16u /* stage names: 5 today */
#define TOP_WORKERS_MAX OC_LIMIT_THREADS_MAX
#define TOP_NAME_BYTES  32u /* a reason's, a ring's or a stage's name, with its NUL */
#define TOP_INFO_BYTES  16u /* a label of ordercore_engine_info, with its NUL */
/* The screen fits a 100x30 terminal: 27 lines at most today (29 with both notes). */
#define TOP_COLUMNS        100u
#define TOP_REASONS_SHOWN  4u
#define TOP_REASON_COLUMNS 18 /* the longest reason today, customer_velocity, and a space */

static const char top_usage[] =
	"usage: ordercore-cli [--token SECRET] top [--admin HOST:PORT] [--interval-ms N]\n"
	"                                          [--count N]\n"
	"\n"
	"A live view of a running ordercored, from its admin endpoint's GET /metrics\n"
	"(ordercored --admin-listen), redrawn every interval; docs/top.md says what each line\n"
	"means. Each screen shows rates over the interval before it, so the first comes one\n"
	"interval after start.\n"
	"\n"
	"Options:\n"
	"  --admin HOST:PORT   the admin endpoint (default 127.0.0.1:7412; not the order port)\n"
	"  --interval-ms N     time between scrapes, 100-3600000 (default 1000)\n"
	"  --count N           exit after N screens (default 0: until Ctrl-C)\n"
	"  --token SECRET      (before top) the daemon's token, when it has one: sent as\n"
	"                      \"Authorization: Bearer SECRET\"; default: $ORDERCORE_TOKEN\n"
	"\n"
	"Exit status: 0 after N screens or on Ctrl-C (SIGINT) or SIGTERM, 2 on a usage error or\n"
	"when the first scrape fails (a line on stderr says why). A later failed scrape is shown\n"
	"on the screen (\"admin endpoint unreachable: retrying\") and tried again each interval.\n";

struct ring_row {
	char name[TOP_NAME_BYTES];
	uint32_t shards;         /* 0: one ring; else the shards that have one */
	double used, high_water; /* the fullest shard's, the highest shard's */
	double slots;            /* of one ring (every shard's is the same size) */
};

struct stage_row {
	char name[TOP_NAME_BYTES];
	double busy_s; /* over every worker and shard running it */
};

struct reason_row {
	char name[TOP_NAME_BYTES];
	double total;
};

/* The figures of one scrape that the screen shows. Counters are doubles, as the text format
 * carries them: exact up to 2^53. */
struct scrape {
	struct timespec at; /* CLOCK_MONOTONIC when the request was sent */
	bool has_info;
	char durability[TOP_INFO_BYTES], threads[TOP_INFO_BYTES], shards[TOP_INFO_BYTES],
		pinned[TOP_INFO_BYTES];
	double accepted, cancelled, duplicates, shipped, commands, answers, connections, sold_out;
	uint32_t reason_count;
	struct reason_row reason[TOP_REASONS_MAX];
	/* The log's: present only when the daemon has a --data-dir. */
	bool journaled;
	double wal_lag, wal_failed, wal_count, wal_sum_s;
	uint32_t bucket_count;
	double bucket_le_s[TOP_BUCKETS_MAX], bucket_cum[TOP_BUCKETS_MAX]; /* cumulative */
	uint32_t ring_count, stage_count, worker_count;
	struct ring_row ring[TOP_RINGS_MAX];
	struct stage_row stage[TOP_STAGES_MAX];
	double worker_busy_s[TOP_WORKERS_MAX], worker_parked_s[TOP_WORKERS_MAX];
	uint32_t dropped;   /* series past a table */
	uint32_t malformed; /* lines that are neither a comment nor a sample */
};

/* The endpoint: its address, resolved once at start, and the daemon's token. */
struct target {
	const char *hostport; /* as given: the Host header and the screen's title */
	char host[256], port[8];
	struct addrinfo *addrs;
	const char *token;    /* sent as `Authorization: Bearer TOKEN`; NULL: none */
};

/* The signal mask inside ppoll: SIGINT and SIGTERM, blocked everywhere else, let in. */
static sigset_t wait_mask;

/* Caught only so that ppoll returns EINTR: every wait says a stop came (wait_until). */
static void on_stop_signal(int sig)
{
	(void)sig;
}

static _Noreturn void top_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ordercore-cli: top: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", top_usage);
	exit(2);
}

/* A whole number in decimal digits, at most max. */
static uint64_t top_number(const char *what, const char *text, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || text[0] < '0' || text[0] > '9' || *end || v > max)
		top_usage_error("%s: a whole number up to %" PRIu64 ": '%s'", what, max, text);
	return v;
}

/* ---- time ---- */

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static struct timespec after_ms(struct timespec t, uint64_t ms)
{
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Waits for events on fd (none: fd < 0) until deadline, with SIGINT and SIGTERM let in.
 * 1 when fd is ready, 0 at the deadline, -EINTR when a stop signal came, -errno else. */
static int wait_until(int fd, short events, const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t left_ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000 +
			  (deadline->tv_nsec - now.tv_nsec);
	if (left_ns <= 0)
		return 0;
	struct timespec rel = {(time_t)(left_ns / 1000000000), (long)(left_ns % 1000000000)};
	struct pollfd p = {fd, events, 0};
	int n = ppoll(&p, fd >= 0 ? 1 : 0, &rel, &wait_mask);
	/* EINTR only for SIGINT or SIGTERM: the only signals caught, and blocked but here. One
	 * that comes while ppoll returns for fd stays pending until the next wait. */
	if (n < 0)
		return -errno;
	return n > 0 ? 1 : 0;
}

/* ---- the HTTP/1.0 client ---- */

/* Connects to one address before deadline: the socket, or -errno. */
static int connect_one(const struct addrinfo *ai, const struct timespec *deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		rc = errno == EINPROGRESS ? wait_until(fd, POLLOUT, deadline) : -errno;
		if (rc == 0)
			rc = -ETIMEDOUT;
		if (rc == 1) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
			rc = -soerr;
		}
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Sends all of req on fd before deadline: 0 or -errno. */
static int send_all(int fd, const char *req, size_t bytes, const struct timespec *deadline)
{
	size_t off = 0;
	while (off < bytes) {
		ssize_t n = send(fd, req + off, bytes - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		int rc = wait_until(fd, POLLOUT, deadline);
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
	}
	return 0;
}

/* Reads fd until the peer closes, before deadline, into buf of cap bytes: the bytes read, or
 * -EFBIG when cap bytes came (the last only tells that it is too much), -errno else. */
static ssize_t recv_all(int fd, char *buf, size_t cap, const struct timespec *deadline)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n == 0)
			return (ssize_t)len;
		if (n > 0) {
			len += (size_t)n;
			if (len == cap)
				return -EFBIG;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		int rc = wait_until(fd, POLLIN, deadline);
		if (rc <= 0)
			return rc ? rc : -ETIMEDOUT;
	}
}

/* Checks the response in buf[0, len) (NUL-terminated): status line 200, the header's end,
 * the whole body when a Content-Length says how long it is. The body, or NULL with err set. */
static char *response_body(char *buf, size_t len, char *err, size_t err_bytes)
{
	int status = 0, used = 0;
	if (sscanf(buf, "HTTP/1.%*1[01] %3d%n", &status, &used) != 1 || used != 12) {
		snprintf(err, err_bytes, "not an HTTP response");
		return NULL;
	}
	if (status != 200) {
		int reason = (int)strcspn(buf + used, "\r\n");
		snprintf(err, err_bytes, "HTTP %d%.*s%s", status, reason > 60 ? 60 : reason,
			 buf + used,
			 status == 401 ? ": the daemon has a token (--token or ORDERCORE_TOKEN)" : "");
		return NULL;
	}
	char *end = strstr(buf, "\r\n\r\n");
	if (!end) {
		snprintf(err, err_bytes, "the response ends inside its header");
		return NULL;
	}
	*end = '\0'; /* the header alone, for the search below */
	char *body = end + 4;
	size_t body_bytes = len - (size_t)(body - buf);
	for (char *h = strstr(buf, "\r\n"); h; h = strstr(h + 2, "\r\n")) {
		unsigned long long want;
		if (strncasecmp(h + 2, "Content-Length:", 15) == 0 &&
		    sscanf(h + 17, " %llu", &want) == 1 && want != body_bytes) {
			snprintf(err, err_bytes, "a short response: %zu of %llu bytes", body_bytes,
				 want);
			return NULL;
		}
	}
	return body;
}

/* GET /metrics from t within TOP_SCRAPE_TIMEOUT_MS: its body (in buf, NUL-terminated), or
 * NULL with the reason in err; *interrupted when a stop signal ended it. buf has cap bytes:
 * a response of up to cap - 2 is taken (one more tells it is too long, one for the NUL). */
static char *http_get_metrics(const struct target *t, char *buf, size_t cap, bool *interrupted,
			      char *err, size_t err_bytes)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline = after_ms(deadline, TOP_SCRAPE_TIMEOUT_MS);
	int fd = -ENOENT;
	for (const struct addrinfo *ai = t->addrs; ai && fd < 0 && fd != -EINTR; ai = ai->ai_next)
		fd = connect_one(ai, &deadline);
	ssize_t got = fd;
	if (fd >= 0) {
		char req[512];
		int n = snprintf(req, sizeof(req),
				 "GET /metrics HTTP/1.0\r\nHost: %s\r\nAccept: text/plain\r\n"
				 "%s%s%s\r\n",
				 t->hostport, t->token ? "Authorization: Bearer " : "",
				 t->token ? t->token : "", t->token ? "\r\n" : "");
		got = n > 0 && (size_t)n < sizeof(req) ? send_all(fd, req, (size_t)n, &deadline)
							: -ENAMETOOLONG;
		if (got == 0)
			got = recv_all(fd, buf, cap - 1, &deadline);
		close(fd);
	}
	*interrupted = got == -EINTR;
	if (got == -ETIMEDOUT)
		snprintf(err, err_bytes, "no whole answer within %d ms", TOP_SCRAPE_TIMEOUT_MS);
	else if (got == -EFBIG)
		snprintf(err, err_bytes, "the response is over %u MiB",
			 TOP_RESPONSE_BYTES_MAX >> 20);
	else if (got < 0)
		snprintf(err, err_bytes, "%s", strerror((int)-got));
	if (got < 0)
		return NULL;
	buf[got] = '\0';
	return response_body(buf, (size_t)got, err, err_bytes);
}

/* Splits HOST:PORT (the last colon; a bracketed IPv6 host loses its brackets) and resolves
 * it once; exits 2 when it is not an address or does not resolve, or when the token is not
 * one a daemon takes (1 to OC_PROTO_TOKEN_BYTES_MAX visible ASCII characters: it goes into
 * a header line as it is). */
static void target_init(struct target *t, const char *hostport, const char *token)
{
	size_t token_bytes = token ? strlen(token) : 0;
	bool visible = true;
	for (size_t i = 0; i < token_bytes; i++)
		visible = visible && token[i] >= '!' && token[i] <= '~';
	if (!visible || token_bytes > OC_PROTO_TOKEN_BYTES_MAX)
		top_usage_error("--token: 1 to %u visible ASCII characters",
				OC_PROTO_TOKEN_BYTES_MAX);
	t->token = token_bytes ? token : NULL; /* "": none, as the daemon takes it */
	const char *colon = strrchr(hostport, ':');
	const char *host = hostport;
	size_t host_len = colon ? (size_t)(colon - hostport) : 0;
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (!colon || host_len == 0 || host_len >= sizeof(t->host))
		top_usage_error("--admin wants HOST:PORT: '%s'", hostport);
	top_number("--admin: the port", colon + 1, 65535);
	if (strlen(colon + 1) >= sizeof(t->port) || strtoul(colon + 1, NULL, 10) == 0)
		top_usage_error("--admin: the port is 1-65535: '%s'", hostport);
	t->hostport = hostport;
	memcpy(t->host, host, host_len);
	t->host[host_len] = '\0';
	snprintf(t->port, sizeof(t->port), "%s", colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	int rc = getaddrinfo(t->host, t->port, &hints, &t->addrs);
	if (rc != 0) {
		fprintf(stderr, "ordercore-cli: top: cannot resolve %s: %s\n", t->host,
			gai_strerror(rc));
		exit(2);
	}
}

/* ---- parsing the text format ---- */

/* The value of label key in labels (`k="v",k2="v2"`, escapes \\ \" \n) into out; false when
 * it is not there or does not fit. */
static bool label(const char *labels, const char *key, char *out, size_t out_bytes)
{
	size_t key_len = strlen(key);
	const char *p = labels;
	while (*p) {
		const char *eq = strchr(p, '=');
		if (!eq || eq[1] != '"')
			return false;
		bool match = (size_t)(eq - p) == key_len && strncmp(p, key, key_len) == 0;
		size_t n = 0;
		for (p = eq + 2; *p && *p != '"'; p++) {
			char c = *p;
			if (c == '\\' && p[1]) {
				p++;
				c = *p == 'n' ? '\n' : *p;
			}
			if (match && n + 1 < out_bytes)
				out[n] = c;
			n++;
		}
		if (match) {
			if (n + 1 > out_bytes)
				return false;
			out[n] = '\0';
			return true;
		}
		if (*p != '"')
			return false;
		p++;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Splits a sample line in place: its name, its labels (inside the braces; "" without) and
 * its value (a trailing timestamp is ignored). false when it is not a sample. */
static bool sample_split(char *line, char **name, char **labels, double *value)
{
	char *p = line;
	*name = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_' || *p == ':')
		p++;
	if (p == line)
		return false;
	*labels = "";
	if (*p == '{') {
		*p++ = '\0';
		*labels = p;
		bool quoted = false;
		for (; *p && (quoted || *p != '}'); p++) {
			if (quoted && *p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = !quoted;
		}
		if (*p != '}')
			return false;
		*p++ = '\0';
	}
	if (*p != ' ' && *p != '\t')
		return false;
	*p++ = '\0';
	char *end;
	*value = strtod(p, &end);
	if (end == p)
		return false;
	while (*end == ' ' || *end == '\t' || *end == '-' || (*end >= '0' && *end <= '9'))
		end++;
	return *end == '\0' || *end == '\r';
}

/* Scalar families the screen shows, and where a scrape keeps each. */
static const struct {
	const char *name;
	size_t offset; /* of a double in struct scrape */
	bool journal;  /* only a daemon with a log has it */
} scalars[] = {
	{"ordercore_orders_accepted_total", offsetof(struct scrape, accepted), false},
	{"ordercore_orders_cancelled_total", offsetof(struct scrape, cancelled), false},
	{"ordercore_duplicates_total", offsetof(struct scrape, duplicates), false},
	{"ordercore_orders_shipped_total", offsetof(struct scrape, shipped), false},
	{"ordercore_server_commands_total", offsetof(struct scrape, commands), false},
	{"ordercore_server_answers_total", offsetof(struct scrape, answers), false},
	{"ordercore_connections", offsetof(struct scrape, connections), false},
	{"ordercore_wal_durable_lag_commands", offsetof(struct scrape, wal_lag), true},
	{"ordercore_wal_failed", offsetof(struct scrape, wal_failed), true},
	{"ordercore_wal_release_seconds_count", offsetof(struct scrape, wal_count), true},
	{"ordercore_wal_release_seconds_sum", offsetof(struct scrape, wal_sum_s), true},
};

/* The row of ring `name`, added if new; NULL when the table is full. */
static struct ring_row *ring_row(struct scrape *s, const char *name)
{
	for (uint32_t i = 0; i < s->ring_count; i++)
		if (strcmp(s->ring[i].name, name) == 0)
			return &s->ring[i];
	if (s->ring_count == TOP_RINGS_MAX)
		return NULL;
	struct ring_row *r = &s->ring[s->ring_count++];
	*r = (struct ring_row){0};
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

/* A sample of ordercore_ring_used, _high_water or _slots (figure 'u', 'h', 's'). */
static void ring_add(struct scrape *s, char figure, const char *labels, double v)
{
	char name[TOP_NAME_BYTES], shard[TOP_NAME_BYTES];
	struct ring_row *r = label(labels, "ring", name, sizeof(name)) ? ring_row(s, name) : NULL;
	if (!r) {
		s->dropped++;
		return;
	}
	bool sharded = label(labels, "shard", shard, sizeof(shard));
	double *f = figure == 'u' ? &r->used : figure == 'h' ? &r->high_water : &r->slots;
	*f = v > *f ? v : *f;
	if (figure == 'u' && sharded)
		r->shards++;
}

/* A sample of ordercore_stage_busy_seconds_total: its stage's row and its worker's busy. */
static void stage_add(struct scrape *s, const char *labels, double v)
{
	char name[TOP_NAME_BYTES], worker[TOP_NAME_BYTES];
	if (!label(labels, "stage", name, sizeof(name))) {
		s->dropped++;
		return;
	}
	uint32_t i = 0;
	while (i < s->stage_count && strcmp(s->stage[i].name, name) != 0)
		i++;
	if (i == s->stage_count && i < TOP_STAGES_MAX) {
		s->stage[s->stage_count++] = (struct stage_row){0};
		snprintf(s->stage[i].name, sizeof(s->stage[i].name), "%s", name);
	}
	if (i < s->stage_count)
		s->stage[i].busy_s += v;
	else
		s->dropped++;
	unsigned long w = label(labels, "worker", worker, sizeof(worker))
				  ? strtoul(worker, NULL, 10)
				  : TOP_WORKERS_MAX;
	if (w < TOP_WORKERS_MAX) {
		s->worker_busy_s[w] += v;
		s->worker_count = w + 1 > s->worker_count ? (uint32_t)w + 1 : s->worker_count;
	}
}

/* One sample into s, if it is one the screen shows. */
static void sample_add(struct scrape *s, const char *name, const char *labels, double v)
{
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (strcmp(name, scalars[i].name) == 0) {
			*(double *)((char *)s + scalars[i].offset) = v;
			s->journaled |= scalars[i].journal;
			return;
		}
	char text[TOP_NAME_BYTES];
	if (strcmp(name, "ordercore_rejections_total") == 0) {
		if (!label(labels, "reason", text, sizeof(text)) ||
		    s->reason_count == TOP_REASONS_MAX) {
			s->dropped++;
			return;
		}
		struct reason_row *r = &s->reason[s->reason_count++];
		memcpy(r->name, text, sizeof(r->name));
		r->total = v;
	} else if (strcmp(name, "ordercore_shard_skus_sold_out") == 0) {
		s->sold_out += v;
	} else if (strcmp(name, "ordercore_wal_release_seconds_bucket") == 0) {
		if (!label(labels, "le", text, sizeof(text)) ||
		    s->bucket_count == TOP_BUCKETS_MAX) {
			s->dropped++;
			return;
		}
		s->bucket_le_s[s->bucket_count] = strtod(text, NULL); /* "+Inf": infinity */
		s->bucket_cum[s->bucket_count++] = v;
		s->journaled = true;
	} else if (strncmp(name, "ordercore_ring_", 15) == 0) {
		const char *f = name + 15;
		if (strcmp(f, "used") == 0 || strcmp(f, "high_water") == 0 ||
		    strcmp(f, "slots") == 0)
			ring_add(s, f[0], labels, v);
	} else if (strcmp(name, "ordercore_stage_busy_seconds_total") == 0) {
		stage_add(s, labels, v);
	} else if (strcmp(name, "ordercore_worker_parked_seconds_total") == 0) {
		unsigned long w = label(labels, "worker", text, sizeof(text))
					  ? strtoul(text, NULL, 10)
					  : TOP_WORKERS_MAX;
		if (w >= TOP_WORKERS_MAX) {
			s->dropped++;
			return;
		}
		s->worker_parked_s[w] = v;
		s->worker_count = w + 1 > s->worker_count ? (uint32_t)w + 1 : s->worker_count;
	} else if (strcmp(name, "ordercore_engine_info") == 0) {
		s->has_info = label(labels, "durability", s->durability, TOP_INFO_BYTES) &&
			      label(labels, "threads", s->threads, TOP_INFO_BYTES) &&
			      label(labels, "shards", s->shards, TOP_INFO_BYTES) &&
			      label(labels, "pinned", s->pinned, TOP_INFO_BYTES);
	}
}

/* Parses a /metrics body (changed in place) into s. 0, or -EPROTO when it has no
 * ordercore_engine_info: not ordercored's. */
static int scrape_parse(char *body, struct scrape *s)
{
	struct timespec at = s->at;
	*s = (struct scrape){.at = at};
	for (char *save, *line = strtok_r(body, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name, *labels;
		double v;
		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		if (sample_split(line, &name, &labels, &v))
			sample_add(s, name, labels, v);
		else
			s->malformed++;
	}
	return s->has_info ? 0 : -EPROTO;
}

/* Scrapes t into s: 0, or -1 with the reason in err (-EINTR: a stop signal came). */
static int scrape_take(const struct target *t, char *buf, struct scrape *s, char *err,
		       size_t err_bytes)
{
	bool interrupted;
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	char *body = http_get_metrics(t, buf, TOP_RESPONSE_BYTES_MAX + 2, &interrupted, err,
				      err_bytes);
	if (interrupted)
		return -EINTR;
	if (!body)
		return -1;
	if (scrape_parse(body, s) != 0) {
		snprintf(err, err_bytes, "not ordercored's metrics: no ordercore_engine_info");
		return -1;
	}
	return 0;
}

/* ---- the screen ---- */

/* What a counter grew by from a to b; a counter that went down was reset (the daemon
 * restarted) and counts from 0, as Prometheus's rate() takes it. */
static double increase(double a, double b)
{
	return b >= a ? b - a : b;
}

/* A time in seconds, readably: "812 us", "1.05 ms", "2.15 s". */
static const char *duration(double s, char *out, size_t out_bytes)
{
	if (s < 1e-3)
		snprintf(out, out_bytes, "%.0f us", s * 1e6);
	else if (s < 1.0)
		snprintf(out, out_bytes, "%.2f ms", s * 1e3);
	else
		snprintf(out, out_bytes, "%.2f s", s);
	return out;
}

/* A line built of items, each added only if the whole still fits TOP_COLUMNS. */
struct line {
	char text[TOP_COLUMNS + 1];
	size_t len;
	uint32_t left_out;
};

static void line_add(struct line *l, const char *fmt, ...)
{
	char item[TOP_COLUMNS + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	/* Room is kept on every line for the " +NN more" that an item left out adds. */
	if (l->left_out || n < 0 || l->len + (size_t)n + 10 > TOP_COLUMNS) {
		l->left_out++;
		return;
	}
	memcpy(l->text + l->len, item, (size_t)n + 1);
	l->len += (size_t)n;
}

static void line_print(const struct line *l)
{
	if (l->left_out)
		printf("%s +%u more\n", l->text, l->left_out);
	else
		printf("%s\n", l->text);
}

/* The upper bound of the log's release time at quantile q over the interval a..b, from the
 * histogram's bucket deltas (power-of-two buckets: the answer is "at most" that bound). 0
 * when no frame was released or the buckets differ; *over: beyond the last finite bound. */
static double release_quantile(const struct scrape *a, const struct scrape *b, double q,
			       bool *over)
{
	*over = false;
	uint32_t n = b->bucket_count;
	if (n == 0 || n != a->bucket_count)
		return 0;
	double total = increase(a->bucket_cum[n - 1], b->bucket_cum[n - 1]);
	if (total <= 0)
		return 0;
	double rank = ceil(q * total);
	for (uint32_t i = 0; i < n; i++) {
		if (a->bucket_le_s[i] != b->bucket_le_s[i])
			return 0;
		if (increase(a->bucket_cum[i], b->bucket_cum[i]) >= rank) {
			*over = isinf(b->bucket_le_s[i]);
			return *over ? (i ? b->bucket_le_s[i - 1] : 0) : b->bucket_le_s[i];
		}
	}
	return 0;
}

static void print_log(const struct scrape *a, const struct scrape *b, double dt)
{
	if (!b->journaled) {
		printf("log           in memory (no --data-dir): nothing is logged\n");
		return;
	}
	if (b->wal_failed > 0)
		printf("log           FAILED: answers are unavailable (see the daemon's log)\n");
	double frames = increase(a->wal_count, b->wal_count);
	char p50[24], p99[24], mean[24];
	bool over50, over99;
	double q50 = release_quantile(a, b, 0.50, &over50);
	double q99 = release_quantile(a, b, 0.99, &over99);
	if (frames > 0 && q50 > 0 && q99 > 0)
		printf("log           release p50 %s %s, p99 %s %s, mean %s; %.0f frames/s\n",
		       over50 ? ">" : "<=", duration(q50, p50, sizeof(p50)), over99 ? ">" : "<=",
		       duration(q99, p99, sizeof(p99)),
		       duration(increase(a->wal_sum_s, b->wal_sum_s) / frames, mean, sizeof(mean)),
		       frames / dt);
	else
		printf("log           release: no frame written this interval\n");
	printf("              durable lag %.0f commands (logged, answers not yet released)\n",
	       b->wal_lag);
}

/* The reasons with any rejection, most this interval first, then most in all, as a table
 * under the counters': a column each, the first TOP_REASONS_SHOWN. */
static void print_rejections(const struct scrape *a, const struct scrape *b, double dt)
{
	uint32_t order[TOP_REASONS_MAX], n = 0;
	double recent[TOP_REASONS_MAX] = {0};
	for (uint32_t i = 0; i < b->reason_count; i++) {
		for (uint32_t j = 0; j < a->reason_count; j++)
			if (strcmp(a->reason[j].name, b->reason[i].name) == 0)
				recent[i] = increase(a->reason[j].total, b->reason[i].total);
		if (b->reason[i].total > 0)
			order[n++] = i;
	}
	for (uint32_t i = 1; i < n; i++) /* insertion sort: a few dozen at most */
		for (uint32_t j = i; j > 0; j--) {
			uint32_t x = order[j - 1], y = order[j];
			bool before = recent[y] > recent[x] ||
				      (recent[y] == recent[x] &&
				       b->reason[y].total > b->reason[x].total);
			if (!before)
				break;
			order[j - 1] = y;
			order[j] = x;
		}
	if (n == 0) {
		printf("rejected by   none\n");
		return;
	}
	uint32_t shown = n < TOP_REASONS_SHOWN ? n : TOP_REASONS_SHOWN;
	printf("rejected by ");
	for (uint32_t i = 0; i < shown; i++)
		printf("%*s", TOP_REASON_COLUMNS, b->reason[order[i]].name);
	if (n > shown)
		printf("   +%u more", n - shown);
	printf("\nper second  ");
	for (uint32_t i = 0; i < shown; i++)
		printf("%*.1f", TOP_REASON_COLUMNS, recent[order[i]] / dt);
	printf("\ntotal       ");
	for (uint32_t i = 0; i < shown; i++)
		printf("%*.0f", TOP_REASON_COLUMNS, b->reason[order[i]].total);
	printf("\n");
}

static void print_rings(const struct scrape *b)
{
	printf("rings               shards     used    slots    fill   high water (sampled)\n");
	for (uint32_t i = 0; i < b->ring_count; i++) {
		const struct ring_row *r = &b->ring[i];
		double slots = r->slots > 0 ? r->slots : 1;
		char shards[12] = "-";
		if (r->shards)
			snprintf(shards, sizeof(shards), "%u", r->shards);
		printf("%-19s%6s %8.0f %8.0f %6.1f%% %8.0f %6.1f%%\n", r->name, shards, r->used,
		       r->slots, 100 * r->used / slots, r->high_water, 100 * r->high_water / slots);
	}
}

static void print_busy(const struct scrape *a, const struct scrape *b, double dt)
{
	struct line l = {.text = "stages busy "};
	l.len = strlen(l.text);
	for (uint32_t i = 0; i < b->stage_count; i++) {
		double was = 0;
		for (uint32_t j = 0; j < a->stage_count; j++)
			if (strcmp(a->stage[j].name, b->stage[i].name) == 0)
				was = a->stage[j].busy_s;
		line_add(&l, "  %s %.1f%%", b->stage[i].name,
			 100 * increase(was, b->stage[i].busy_s) / dt);
	}
	line_print(&l);
	struct line w = {.text = "workers      busy/parked"};
	w.len = strlen(w.text);
	for (uint32_t i = 0; i < b->worker_count; i++) {
		double busy = 100 * increase(a->worker_busy_s[i], b->worker_busy_s[i]) / dt;
		double parked = 100 * increase(a->worker_parked_s[i], b->worker_parked_s[i]) / dt;
		line_add(&w, "  w%u %.1f/%.1f%%", i, busy, parked > 100 ? 100 : parked);
	}
	line_print(&w);
}

static void print_header(const struct target *t, uint64_t interval_ms)
{
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	/* Home and clear (ANSI): each screen replaces the last. */
	printf("\x1b[H\x1b[2J");
	printf("ordercore top   http://%s/metrics   every %" PRIu64 " ms   %s   Ctrl-C quits\n",
	       t->hostport, interval_ms, clock);
}

/* A screen from the interval a..b. */
static void print_screen(const struct target *t, uint64_t interval_ms, const struct scrape *a,
			 const struct scrape *b)
{
	double dt = seconds_between(&a->at, &b->at);
	dt = dt > 1e-6 ? dt : 1e-6;
	print_header(t, interval_ms);
	printf("engine        durability %s, threads %s, shards %s, %s; connections %.0f; "
	       "interval %.2f s\n\n",
	       b->durability, b->threads, b->shards,
	       strcmp(b->pinned, "1") == 0 ? "pinned" : "not pinned", b->connections, dt);
	double rejected_a = 0, rejected_b = 0;
	for (uint32_t i = 0; i < a->reason_count; i++)
		rejected_a += a->reason[i].total;
	for (uint32_t i = 0; i < b->reason_count; i++)
		rejected_b += b->reason[i].total;
	const double was[] = {a->accepted, rejected_a,  a->cancelled, a->duplicates,
			      a->commands, a->answers, a->shipped};
	const double now[] = {b->accepted, rejected_b,  b->cancelled, b->duplicates,
			      b->commands, b->answers, b->shipped};
	printf("            %11s%11s%11s%11s%11s%11s%11s\n", "accepted", "rejected", "cancelled",
	       "duplicates", "commands", "answers", "shipped");
	printf("per second  ");
	for (size_t i = 0; i < sizeof(now) / sizeof(now[0]); i++)
		printf("%11.1f", increase(was[i], now[i]) / dt);
	printf("\ntotal       ");
	for (size_t i = 0; i < sizeof(now) / sizeof(now[0]); i++)
		printf("%11.0f", now[i]);
	printf("\n\n");
	print_rejections(a, b, dt);
	printf("sold out      %.0f SKUs (no unit left to reserve)\n\n", b->sold_out);
	print_log(a, b, dt);
	printf("\n");
	print_rings(b);
	printf("\n");
	print_busy(a, b, dt);
	if (b->dropped || b->malformed)
		printf("(%u series past top's tables, %u lines not understood: not shown)\n",
		       b->dropped, b->malformed);
}

static void print_unreachable(const struct target *t, uint64_t interval_ms, const char *err,
			      const struct scrape *last)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	print_header(t, interval_ms);
	printf("\nadmin endpoint unreachable: retrying\n  %s\n  last good scrape %.1f s ago\n",
	       err, seconds_between(&last->at, &now));
}

/* ---- the command ---- */

struct top_flags {
	const char *admin;
	uint64_t interval_ms, count;
};

static struct top_flags top_options(int argc, char **argv)
{
	static const struct option opts[] = {{"admin", required_argument, 0, 'a'},
					     {"interval-ms", required_argument, 0, 'i'},
					     {"count", required_argument, 0, 'n'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	struct top_flags f = {"127.0.0.1:7412", TOP_INTERVAL_MS_DEFAULT, 0};
	_Static_assert(OC_ADMIN_DEFAULT_PORT == 7412, "the default above is the daemon's");
	int c;
	optind = 0; /* glibc: start over, at argv[1] */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': f.admin = optarg; break;
		case 'i':
			f.interval_ms = top_number("--interval-ms", optarg, TOP_INTERVAL_MS_MAX);
			if (f.interval_ms < TOP_INTERVAL_MS_MIN)
				top_usage_error("--interval-ms: at least %u", TOP_INTERVAL_MS_MIN);
			break;
		case 'n': f.count = top_number("--count", optarg, UINT32_MAX); break;
		case 'h': fputs(top_usage, stdout); exit(0);
		default: top_usage_error("bad option");
		}
	}
	if (optind < argc)
		top_usage_error("unexpected argument '%s'", argv[optind]);
	return f;
}

/* SIGINT and SIGTERM are blocked but inside ppoll, so a stop is seen by the next wait
 * whenever it comes, never lost between a check and a wait. */
static void stop_signals_catch(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
}

int oc_top_main(int argc, char **argv, const char *token)
{
	struct top_flags f = top_options(argc, argv);
	struct target t;
	target_init(&t, f.admin, token);
	static struct scrape scrapes[2];
	char *buf = malloc(TOP_RESPONSE_BYTES_MAX + 2); /* see http_get_metrics */
	if (!buf) {
		fprintf(stderr, "ordercore-cli: top: out of memory\n");
		return 2;
	}
	stop_signals_catch();
	/* One write per screen, not a line at a time: no flicker. */
	static char out[1 << 16];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	char err[160];
	struct scrape *last = &scrapes[0], *next = &scrapes[1];
	int rc = scrape_take(&t, buf, last, err, sizeof(err));
	if (rc == -1)
		fprintf(stderr,
			"ordercore-cli: top: cannot scrape http://%s/metrics: %s (the admin "
			"endpoint: ordercored --admin-listen, default 127.0.0.1:7412)\n",
			t.hostport, err);
	uint64_t screens = 0;
	struct timespec due = last->at;
	while (rc == 0 && (f.count == 0 || screens < f.count)) {
		due = after_ms(due, f.interval_ms);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds_between(&now, &due) < 0) /* late (a slow scrape): no catching up */
			due = after_ms(now, f.interval_ms);
		if (wait_until(-1, 0, &due) == -EINTR)
			break;
		rc = scrape_take(&t, buf, next, err, sizeof(err));
		if (rc == -EINTR)
			break;
		if (rc == 0) {
			print_screen(&t, f.interval_ms, last, next);
			struct scrape *swap = last;
			last = next;
			next = swap;
		} else {
			print_unreachable(&t, f.interval_ms, err, last);
			rc = 0;
		}
		fflush(stdout);
		screens++;
	}
	freeaddrinfo(t.addrs);
	free(buf);
	return rc == -1 ? 2 : 0;
}
