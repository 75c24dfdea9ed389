/* acked.c: the acknowledged-orders log of a run (--acked-log FILE) and its check after a
 * crash (--verify-acked FILE). While a run goes, every answer to a place command is appended
 * to FILE as one line "key customer status original_seq" with one write(2) per polled batch,
 * so the lines survive kill -9 of the process (but for a last line the kill may cut short,
 * which the check ignores). Over TCP (--connect) the same lines are written per received
 * batch, once the daemon has answered (with its --durability sync: once the command is
 * durable). The check recovers an engine from --data-dir, then asks it about every logged
 * key by placing the same key again: a recovered order answers as a duplicate with the
 * logged status and sequence number, and nothing changes (same state hash before and
 * after); a lost one would be taken as a new order. It also checks that stock is conserved
 * for every SKU. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/worker.h"
#include "data/dataset.h"
#include "loadgen.h"
#include "ordercore/client.h"
#include "ordercore/ordercore.h"

int lg_acked_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (fd < 0)
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
	return fd;
}

/* One line per answer to a place, into buf (room for ACKED_BATCH lines). */
#define ACKED_LINE_BYTES 80
#define ACKED_BATCH      512

static size_t acked_line(char *buf, size_t room, const struct oc_response *r,
			 const struct oc_command *c)
{
	if (r->type != OC_CMD_PLACE)
		return 0;
	return (size_t)snprintf(buf, room, "%" PRIu64 " %" PRIu64 " %u %" PRIu64 "\n", r->key,
				c->customer, r->status, r->original_seq);
}

static void acked_write(int fd, const char *buf, size_t used)
{
	if (used && write(fd, buf, used) != (ssize_t)used)
		fprintf(stderr, "loadgen: writing the acked log: %s\n", strerror(errno));
}

void lg_acked_append(int fd, const struct oc_response *r, const struct oc_command *cmds,
		     uint32_t n)
{
	char buf[ACKED_BATCH * ACKED_LINE_BYTES];
	OC_ASSERT(n <= ACKED_BATCH);
	size_t used = 0;
	for (uint32_t i = 0; i < n; i++)
		used += acked_line(buf + used, sizeof(buf) - used, &r[i], &cmds[i]);
	acked_write(fd, buf, used);
}

void lg_acked_append_answers(int fd, const struct oc_client_answer *a,
			     const struct oc_command *cmds, uint32_t n)
{
	char buf[ACKED_BATCH * ACKED_LINE_BYTES];
	OC_ASSERT(n <= ACKED_BATCH);
	size_t used = 0;
	for (uint32_t i = 0; i < n; i++)
		used += acked_line(buf + used, sizeof(buf) - used, &a[i].response,
				   &cmds[a[i].correlation]);
	acked_write(fd, buf, used);
}

struct acked {
	uint64_t key, customer, original_seq;
	unsigned status;
};

static struct acked *acked_read(const char *path, uint64_t *count)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1024, n = 0;
	struct acked *a = malloc(cap * sizeof(*a));
	struct acked x;
	char line[128];
	/* A line without its newline is the one the kill cut short (a write(2) to a file can
	 * stop between pages when the process dies): it was never complete, so not counted. */
	while (a && fgets(line, sizeof(line), f) && strchr(line, '\n')) {
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %u %" SCNu64, &x.key, &x.customer,
			   &x.status, &x.original_seq) != 4)
			break;
		if (n == cap)
			a = realloc(a, (cap *= 2) * sizeof(*a));
		if (a)
			a[n++] = x;
	}
	fclose(f);
	*count = n;
	return a;
}

/* Places every logged key again and counts the answers that are not the logged one. */
static uint64_t ask_again(struct oc_engine *e, const struct acked *a, uint64_t n, uint64_t sku)
{
	uint64_t wrong = 0, sent = 0, got = 0;
	struct oc_command c[256];
	struct oc_response r[256];
	uint32_t turns = 0;
	while (got < n) {
		uint32_t k = 0;
		for (; k < 256 && sent + k < n; k++)
			c[k] = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 1,
						   .key = a[sent + k].key,
						   .customer = a[sent + k].customer,
						   .lines = {{.sku = sku, .quantity = 1}}};
		int s = k ? oc_engine_try_submit_burst(e, c, k) : 0;
		sent += (uint64_t)s;
		int m = oc_engine_poll_burst(e, r, 256);
		for (int i = 0; i < m; i++) {
			const struct acked *want = &a[got + (uint64_t)i];
			wrong += !(r[i].flags & OC_RESPONSE_DUPLICATE) || r[i].key != want->key ||
				 r[i].status != want->status ||
				 r[i].original_seq != want->original_seq;
		}
		got += (uint64_t)m;
		if (!s && !m)
			oc_backoff(&turns, 64);
	}
	return wrong;
}

/* Stock of every SKU balances: what is available plus what is allocated is what there was. */
static uint64_t unbalanced_skus(const struct oc_engine *e, const struct oc_dataset *d)
{
	uint64_t bad = 0;
	for (uint32_t g = 0; g < d->sku_count; g++) {
		struct oc_stock s;
		bad += oc_engine_stock(e, d->skus[g].sku, &s) != 0 || s.allocated > s.on_hand ||
		       s.available != s.on_hand - s.allocated;
	}
	return bad;
}

static uint64_t stopped_hash(struct oc_engine *e)
{
	oc_engine_stop(e);
	return oc_engine_state_hash(e);
}

int lg_verify_acked(const struct lg_options *o, const char *path)
{
	if (!o->dataset_dir || !o->data_dir) {
		fprintf(stderr, "loadgen: --verify-acked needs --dataset and --data-dir\n");
		return 2;
	}
	struct oc_dataset d;
	char err[512];
	if (lg_dataset_load(o->dataset_dir, &d) != 0)
		return 2;
	uint64_t n = 0;
	struct acked *a = acked_read(path, &n);
	if (!a) {
		oc_dataset_destroy(&d);
		return 2;
	}
	struct oc_config cfg;
	/* The configuration of the run (data_dir/identity checks it); resubmitted keys are
	 * answered from the key table and take no room in it. */
	lg_engine_config(o, o->dataset_dir, &cfg);
	struct oc_engine *e[2] = {NULL, NULL};
	int status = 2;
	uint64_t hash[2] = {0, 0}, wrong = 0, unbalanced = 0, recovered = 0;
	for (int round = 0; round < 2; round++) {
		/* Round 0 recovers and hashes; round 1 recovers again, asks, and hashes. */
		if (oc_engine_create(&cfg, &e[round], err, sizeof(err)) != 0 ||
		    oc_engine_start(e[round]) != 0) {
			fprintf(stderr, "loadgen: recovery failed: %s\n", err);
			goto out;
		}
		if (round == 1)
			wrong = ask_again(e[round], a, n, d.skus[0].sku);
		hash[round] = stopped_hash(e[round]);
		unbalanced += unbalanced_skus(e[round], &d);
		struct oc_stats s;
		oc_engine_stats(e[round], &s);
		recovered = round == 0 ? s.recovered : recovered;
		oc_engine_free(e[round]);
		e[round] = NULL;
	}
	status = !wrong && !unbalanced && hash[0] == hash[1] ? 0 : 1;
	printf("verify-acked: %" PRIu64 " acknowledged orders, %" PRIu64 " commands recovered, "
	       "%" PRIu64 " missing or different, %" PRIu64 " SKUs unbalanced, resubmitting %s "
	       "the state: %s\n", n, recovered, wrong, unbalanced,
	       hash[0] == hash[1] ? "left" : "CHANGED", status ? "FAILED" : "ok");
out:
	free(a);
	oc_dataset_destroy(&d);
	return status;
}
