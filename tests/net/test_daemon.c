/* test_daemon.c: ordercored on loopback, a real daemon process on real TCP (issue 4):
 * - a gateway written only against client.h places, cancels and retries orders;
 * - stock changes (restock, write-off) and an order's whole lifecycle (placed, picked,
 *   packed, shipped, delivered; refused steps and a late cancel) over the wire, and the
 *   event subscription: each subscriber gets exactly the decided commands of its kinds, from
 *   every connection, in sequence order, each with its customer (a lease expiry's too); a bad
 *   mask is a field error; subscribers beyond the limit are refused;
 * - queries with rows: an order's history after its whole life and a partial refund (a row
 *   per transition, oldest first, then the order), a customer's orders by pages of 32 (more,
 *   then the rest; an exact page; a bad anchor; not_enabled without --customer-index), rows
 *   never events; 200 mixed commands pipelined on one connection, then on two at once
 *   through 1 KiB client buffers, every row on its own connection just before its command's
 *   answer;
 * - inventory administration on a dataset of 40 warehouses: a reconciliation by pages (32
 *   warehouses, then 8) whose every row balances (on hand = free + allocated + picked) and
 *   whose totals follow an order allocated and one picked; cycle counts (a decrease, an
 *   increase, a count of 0, a retry) that a second reconciliation shows, refused stale_count
 *   with a wrong expected on hand (changing nothing) and out_of_stock below the free units;
 *   safety stock that turns away the order that would take it and lets the one beside it
 *   through; cycle counts and safety stocks done are stock events, the rest not;
 * - a full lifecycle end to end (exceptions and returns): a card order authorized, picked,
 *   packed, shipped, delivered, a partial RMA (after refused ones), its receipt with restock
 *   (the units back on hand where they shipped from), the refund, an exchange at amount 0
 *   and a second replacement refused; a prepaid order shipped, lost (a delivery exception),
 *   partly refunded and reshipped; every answer's state, payment and amounts; returns events
 *   exactly the RMA and its receipt, the exception a fulfilment event;
 * - the pack's quality check (frame 46): a failed one leaves a picked order picked (accepted,
 *   no duplicate, a fulfilment event, a transition in its history), is refused from allocated
 *   and packed (invalid_state) and with an unknown bit (malformed), and a 46 without flags is
 *   a field error; the failed checks and the pack after them survive a restart;
 * - short picks (frame 51): missing units re-routed to the other warehouse or cut (their value
 *   refunded; the order cancelled once all are cut), a retry, the refusals (invalid_state once
 *   picked, unknown_sku where the order holds none, bad_quantity...), changing nothing; the
 *   short picks done as fulfilment events, exactly; a reserved byte set is a field error; the
 *   histories after a restart;
 * - B2B credit (frames 16 and 52) on the dataset's credit.csv: orders on account accepted
 *   while they fit the customer's credit line (payment on_account), refused credit_limit over
 *   it (or without one); a payment received (payment paid, a repeat done before) and an
 *   unpaid cancel (voided) give the room back, to the cent; invalid_state for a payment of a
 *   cancelled or prepaid order; the places, the payment and the cancel as events, exactly;
 *   the payment in the order's history and the balance after a restart;
 * - the fraud screening (frames 47-50) on a dataset with fraud.csv: a clean screened place
 *   allocated; holds for review (on_hold, the rule that held it) that keep their stock,
 *   approved (allocated; a card's payment_pending) or rejected (cancelled, paid back, the
 *   stock free again); places rejected blocked, unserviceable and bad_address; the block list
 *   changed over the wire (blocked, then not); holds, approvals, the rejection and the block
 *   list changes as orders, fulfilment, cancels and blocks events, exactly; a 47 with a postal
 *   code's padding and a place with the screen flag field errors; a hold and the block list
 *   after a restart; not_enabled without screening;
 * - bad input (frame lengths 0, 15, max - 1, max, max + 1, 2^32 - 1; an unknown type; a wrong
 *   version; a bad token; no hello; silence past the hello timeout; a truncated frame; inner
 *   lengths that disagree with the frame) gets
 *   an error frame or a disconnect, and a client beside it is not affected;
 * - frames cut anywhere by the receives (sent in chunks of 1-60 bytes) are read whole;
 * - a client that stops reading is disconnected at its output cap, the others go on;
 * - 1,000 connections at once;
 * - stop (SIGTERM) and start again: every acknowledged order is still there.
 * The daemon's path comes from the build (OC_ORDERCORED); its log goes to a file in the
 * scratch directory, where the test reads the port it listens on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/rand.h"
#include "oc_test.h"
#include "ordercore/client.h"
#include "ordercore/protocol.h"
#include "pipeline_util.h"

#define SKU 700001u
#define ORDERS_MAX "400000"
#define STOCK 50u
#define TOKEN "t0ken"
#define PRICE 250u /* SKU + 1's, in cents */

/* The credit lines of the test's dataset (credit.csv): CREDIT_C may owe CREDIT_LIMIT cents
 * on account (40 units of SKU + 1), CREDIT_C0 nothing (only free orders). */
#define CREDIT_C 900u
#define CREDIT_C0 901u
#define CREDIT_LIMIT 10000u

static char documents_dataset[1100];
static char scratch[1024], dataset[1100], wide_dataset[1100], returns_dataset[1100],
	screening_dataset[1100];

struct daemon {
	pid_t pid;
	uint16_t port;
	char log[1200];
};

/* Daemons started and not yet stopped: a test that fails midway leaves its daemon running,
 * and the group's teardown kills it. */
static pid_t running[8];

/* The dataset of the inventory administration test: WIDE_WAREHOUSES warehouses, more than a
 * page of rows, all in region EU; WIDE_SKU has wide_units(w) units in warehouse w, SAFE_SKU
 * SAFE_UNITS in the first warehouse only. */
#define WIDE_WAREHOUSES 40u
#define WIDE_SKU 800001u
#define SAFE_SKU 800002u
#define SAFE_UNITS 20u

static uint32_t wide_units(uint32_t w)
{
	return 10 + w;
}

static void wide_dataset_write(void)
{
	snprintf(wide_dataset, sizeof(wide_dataset), "%s/ds_wide", scratch);
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", wide_dataset);
	assert_int_equal(system(cmd), 0);
	static char codes[WIDE_WAREHOUSES][8];
	static struct pl_warehouse wh[WIDE_WAREHOUSES];
	static struct pl_stock stock[WIDE_WAREHOUSES + 1];
	for (uint32_t w = 0; w < WIDE_WAREHOUSES; w++) {
		snprintf(codes[w], sizeof(codes[w]), "W%02u", w);
		wh[w] = (struct pl_warehouse){codes[w], 40.0 + w * 0.25, 2.0 + w * 0.25, "EU"};
		stock[w] = (struct pl_stock){WIDE_SKU, codes[w], wide_units(w)};
	}
	stock[WIDE_WAREHOUSES] = (struct pl_stock){SAFE_SKU, codes[0], SAFE_UNITS};
	static const struct pl_sku skus[] = {{WIDE_SKU, 0, 100}, {SAFE_SKU, 0, 100}};
	struct pl_dataset d = {skus, 2, wh, WIDE_WAREHOUSES, stock, WIDE_WAREHOUSES + 1};
	pl_dataset_write(wide_dataset, &d);
}

/* The dataset of the exceptions and returns test (and of the pack's quality check and the
 * short picks): two warehouses in region EU; RET_A only in W1 (W0 lists it with none), so its
 * units ship from W1 and must come back there; RET_B only in W0; RET_C in W0, in no order;
 * RET_D in both, RET_D_UNITS each, for a short pick's units to move to the other. */
#define RET_A 900001u
#define RET_B 900002u
#define RET_C 900003u
#define RET_D 900004u
#define RET_A_PRICE 1000u
#define RET_B_PRICE 250u
#define RET_D_PRICE 400u
#define RET_A_UNITS 10u
#define RET_B_UNITS 20u
#define RET_D_UNITS 10u

static void returns_dataset_write(void)
{
	snprintf(returns_dataset, sizeof(returns_dataset), "%s/ds_returns", scratch);
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", returns_dataset);
	assert_int_equal(system(cmd), 0);
	static const struct pl_sku skus[] = {{RET_A, 0, RET_A_PRICE},
					     {RET_B, 0, RET_B_PRICE},
					     {RET_C, 0, 500},
					     {RET_D, 0, RET_D_PRICE}};
	static const struct pl_warehouse wh[] = {{"W0", 50.0, 8.0, "EU"}, {"W1", 48.0, 2.0, "EU"}};
	static const struct pl_stock stock[] = {{RET_A, "W0", 0},
						{RET_A, "W1", RET_A_UNITS},
						{RET_B, "W0", RET_B_UNITS},
						{RET_C, "W0", 5},
						{RET_D, "W0", RET_D_UNITS},
						{RET_D, "W1", RET_D_UNITS}};
	struct pl_dataset d = {skus, 4, wh, 2, stock, 6};
	pl_dataset_write(returns_dataset, &d);
}

/* The dataset of the screening test: one warehouse in region EU, SCR_SKU at SCR_PRICE (two
 * units are over new_account's 5000 cents), and the screening files of pl_screening_write
 * (hold at 50, reject at 100; country_mismatch 30, new_account 40; US, CA and GB served, JP
 * not; fraud@example.com, fp_blocked and 1 Blocked Road on the block list). */
#define SCR_SKU 950001u
#define SCR_PRICE 3000u
#define SCR_UNITS 100u

/* Documents and waves (test_documents_and_waves_over_the_wire): two warehouses 1,112 km
 * apart (zones 1 and 3 from region EAST), two SKUs in different bins, one carrier service by
 * ground and one next day. */
#define DOC_A 810001u /* 500 g, bin B-01-1, 1000 cents; 10 at each warehouse */
#define DOC_B 810002u /* 2 kg, bin A-07-2, 250 cents; 10 at DW0 */

static void documents_dataset_write(void)
{
	snprintf(documents_dataset, sizeof(documents_dataset), "%s/ds_documents", scratch);
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", documents_dataset);
	assert_int_equal(system(cmd), 0);
	static const struct pl_sku skus[] = {{DOC_A, 0, 1000, 500, "B-01-1"},
					     {DOC_B, 0, 250, 2000, "A-07-2"}};
	static const struct pl_warehouse wh[] = {{"DW0", 0, 0, "EAST"}, {"DW1", 0, 10, "WEST"}};
	static const struct pl_stock stock[] = {{DOC_A, "DW0", 10}, {DOC_A, "DW1", 10},
						{DOC_B, "DW0", 10}};
	struct pl_dataset d = {skus, 2, wh, 2, stock, 3};
	pl_dataset_write(documents_dataset, &d);
	assert_int_equal(oc_test_write_file(documents_dataset, "carriers.csv",
					    "carrier,service,transit_days\nACME,GROUND,5\n"
					    "FAST,NEXTDAY,1\n"),
			 0);
	assert_int_equal(oc_test_write_file(documents_dataset, "rates.csv",
					    "carrier,service,zone,weight_max_g,cost_cents\n"
					    "ACME,GROUND,1,10000,700\nACME,GROUND,3,10000,900\n"
					    "FAST,NEXTDAY,1,1000,2000\n"),
			 0);
}

static void screening_dataset_write(void)
{
	snprintf(screening_dataset, sizeof(screening_dataset), "%s/ds_screening", scratch);
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", screening_dataset);
	assert_int_equal(system(cmd), 0);
	static const struct pl_sku skus[] = {{SCR_SKU, 0, SCR_PRICE}};
	static const struct pl_warehouse wh[] = {{"W0", 50.0, 8.0, "EU"}};
	static const struct pl_stock stock[] = {{SCR_SKU, "W0", SCR_UNITS}};
	struct pl_dataset d = {skus, 1, wh, 1, stock, 1};
	pl_dataset_write(screening_dataset, &d);
	pl_screening_write(screening_dataset, 3600);
}

static int setup(void **state)
{
	oc_test_scratch_dir(scratch, sizeof(scratch), "test_daemon");
	snprintf(dataset, sizeof(dataset), "%s/ds", scratch);
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dataset);
	if (system(cmd) != 0)
		return -1;
	static const struct pl_sku skus[] = {{SKU, 0, 0}, {SKU + 1, 0, PRICE}};
	static const struct pl_warehouse wh[] = {{"W", 50.0, 8.0, "EU"}};
	static const struct pl_stock stock[] = {{SKU, "W", STOCK}, {SKU + 1, "W", 1000000}};
	struct pl_dataset d = {skus, 2, wh, 1, stock, 2};
	pl_dataset_write(dataset, &d);
	FILE *credit = pl_open(dataset, "credit.csv"); /* the B2B test's credit lines */
	fprintf(credit, "customer,credit_limit_cents\n%u,%u\n%u,0\n", CREDIT_C, CREDIT_LIMIT,
		CREDIT_C0);
	fclose(credit);
	wide_dataset_write();
	returns_dataset_write();
	screening_dataset_write();
	documents_dataset_write();
	/* 1,000 client sockets here and 1,000 in the daemon. */
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i]) {
			kill(running[i], SIGKILL);
			waitpid(running[i], NULL, 0);
		}
	return 0;
}

/* Starts ordercored on dataset directory ds with the extra arguments (NULL-terminated) and
 * waits until it listens. */
static void daemon_start_on(struct daemon *d, const char *ds, const char *data_dir,
			    const char *const *extra)
{
	snprintf(d->log, sizeof(d->log), "%s/ordercored.log", scratch);
	unlink(d->log);
	const char *argv[32] = {OC_ORDERCORED, "--dataset", ds, "--listen", "127.0.0.1:0",
				"--threads", "1", "--orders-max", ORDERS_MAX};
	int argc = 9;
	if (data_dir) {
		argv[argc++] = "--data-dir";
		argv[argc++] = data_dir;
	}
	for (; extra && *extra; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	d->pid = fork();
	assert_true(d->pid >= 0);
	for (unsigned i = 0; d->pid > 0 && i < sizeof(running) / sizeof(running[0]); i++)
		if (!running[i]) {
			running[i] = d->pid;
			break;
		}
	if (d->pid == 0) {
		FILE *f = freopen(d->log, "w", stderr);
		(void)f;
		execv(OC_ORDERCORED, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) { /* 10 s */
		FILE *f = fopen(d->log, "r");
		char line[512];
		while (f && fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, "msg=\"listening\"");
			if (p && (p = strstr(line, " port=")) != NULL) {
				d->port = (uint16_t)atoi(p + 6);
				fclose(f);
				return;
			}
		}
		if (f)
			fclose(f);
		usleep(20000);
	}
	fail_msg("ordercored did not start; see %s", d->log);
}

/* Starts ordercored on the test's dataset. */
static void daemon_start(struct daemon *d, const char *data_dir, const char *const *extra)
{
	daemon_start_on(d, dataset, data_dir, extra);
}

/* SIGTERM, and the exit status (0 after a clean stop). */
static int daemon_stop(struct daemon *d)
{
	kill(d->pid, SIGTERM);
	int status;
	assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
	for (unsigned i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] == d->pid)
			running[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A client with buffers of buffer_bytes (0: the default). */
static struct oc_client *client_buffers(const struct daemon *d, const char *token,
					size_t buffer_bytes)
{
	struct oc_client_config cfg = {.host = "127.0.0.1", .port = d->port, .token = token,
				       .token_bytes = token ? strlen(token) : 0,
				       .out_bytes = buffer_bytes, .in_bytes = buffer_bytes};
	struct oc_client *c = NULL;
	char err[300];
	int rc = oc_client_connect(&cfg, &c, err, sizeof(err));
	if (rc)
		fail_msg("connect: %d %s", rc, err);
	return c;
}

static struct oc_client *client(const struct daemon *d, const char *token)
{
	return client_buffers(d, token, 0);
}

static struct oc_command place(uint64_t key, uint64_t customer, uint64_t sku, uint32_t qty)
{
	struct oc_command c = pl_place(key, customer, 0);
	pl_line_add(&c, sku, qty);
	return c;
}

/* Sends n commands pipelined and reads their n answers (in order, correlation = index). */
static void round_trip(struct oc_client *c, const struct oc_command *cmds, uint32_t n,
		       struct oc_response *out)
{
	uint32_t queued = 0, got = 0;
	while (got < n) {
		while (queued < n && oc_client_queue(c, &cmds[queued], queued) == 0)
			queued++;
		int rc = oc_client_flush(c, 0);
		assert_true(rc == 0 || rc == -EAGAIN);
		struct oc_client_answer a[256];
		int m = oc_client_receive(c, a, 256, queued == n);
		if (m < 0)
			fail_msg("receive: %d %s", m, oc_client_error(c));
		for (int i = 0; i < m; i++) {
			assert_int_equal(a[i].correlation, got);
			out[got++] = a[i].response;
		}
	}
}

static void test_client_places_cancels_and_retries(void **state)
{
	struct daemon d;
	daemon_start(&d, NULL, NULL);
	struct oc_client *c = client(&d, NULL);
	struct oc_command cmds[4] = {place(1, 10, SKU, 2), place(2, 11, SKU + 1, 5),
				     pl_cancel(1, 10), place(1, 10, SKU, 2)};
	struct oc_response r[4];
	round_trip(c, cmds, 4, r);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[1], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[2], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	pl_expect(&r[3], OC_STATUS_ACCEPTED, OC_REJECT_NONE); /* the original answer again */
	assert_true(r[3].flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(r[3].original_seq, r[0].seq);
	/* A stream of 20,000 pipelined orders for a SKU with 50 units: exactly 50 accepted. */
	enum { N = 20000 };
	static struct oc_command many[N];
	static struct oc_response ans[N];
	for (uint32_t i = 0; i < N; i++)
		many[i] = place(1000 + i, 100 + i, SKU, 1);
	round_trip(c, many, N, ans);
	uint32_t accepted = 0;
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(ans[i].key, 1000 + i);
		accepted += ans[i].status == OC_STATUS_ACCEPTED;
	}
	assert_int_equal(accepted, STOCK - 2 + 2); /* the cancel gave 2 back; the retry took none */
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

static struct oc_command stock_change(uint8_t type, uint64_t key, uint64_t op, uint16_t w,
				      uint64_t sku, uint32_t qty)
{
	return pl_stock_change(type, key, op, w, sku, qty);
}

/* Receives exactly n events on a subscribed client (blocking). */
static void expect_events(struct oc_client *c, struct oc_client_answer *out, uint32_t n)
{
	uint32_t got = 0;
	while (got < n) {
		int m = oc_client_receive(c, out + got, n - got, 1);
		if (m < 0)
			fail_msg("receive: %d %s", m, oc_client_error(c));
		got += (uint32_t)m;
	}
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(out[i].event, 1);
}

static void test_stock_changes_and_events(void **state)
{
	struct daemon d;
	static const char *const lease[] = {"--lease-ttl-ms", "200", NULL};
	daemon_start(&d, NULL, lease);
	struct oc_client *all = client(&d, NULL), *stock = client(&d, NULL);
	uint64_t from_seq = 99;
	assert_int_equal(oc_client_subscribe(all, OC_EVENT_ALL, 77, &from_seq, 0), 0);
	assert_int_equal(from_seq, 0); /* a fresh daemon: every command is an event's */
	assert_int_equal(oc_client_subscribe(stock, OC_EVENT_STOCK, 78, &from_seq, 0), 0);
	assert_int_equal(oc_client_subscribe(stock, OC_EVENT_STOCK, 78, &from_seq, 0), -EALREADY);
	struct oc_proto_stats st;
	assert_int_equal(oc_client_stats(stock, &st, 0), -EBUSY);
	/* A gateway on its own connection: five commands that are events (a rejected place too:
	 * a rejects event), four that are not. */
	struct oc_client *gw = client(&d, NULL);
	struct oc_command cmds[] = {
		place(1, 10, SKU + 1, 5),                                        /* event */
		place(2, 11, SKU, STOCK + 1),                                    /* rejected */
		place(1, 10, SKU + 1, 5),                                        /* duplicate */
		pl_cancel(1, 10),                                                /* event */
		stock_change(OC_CMD_RESTOCK, 500, 9, 0, SKU, 7),                 /* event */
		stock_change(OC_CMD_WRITE_OFF, 501, 9, 0, SKU + 1, 3),           /* event */
		stock_change(OC_CMD_RESTOCK, 502, 9, 5, SKU, 7),                 /* no warehouse 5 */
		stock_change(OC_CMD_RESTOCK, 500, 9, 0, SKU, 7),                 /* retried */
		pl_query_stock(SKU),
	};
	enum { N = sizeof(cmds) / sizeof(cmds[0]) };
	struct oc_response r[N];
	round_trip(gw, cmds, N, r);
	pl_expect(&r[4], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r[4].type, OC_CMD_RESTOCK);
	pl_expect(&r[5], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[6], OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION);
	assert_true(r[7].flags & OC_RESPONSE_DUPLICATE);
	/* The restock is on hand (and still in its lag): 50 + 7 = 57 units, none allocated. */
	assert_int_equal(OC_STOCK_ALLOCATED(r[8].original_seq), 0);
	assert_int_equal(OC_STOCK_AVAILABLE(r[8].original_seq), STOCK);
	struct oc_client_answer ev[5];
	expect_events(all, ev, 5);
	static const unsigned want[5] = {0, 1, 3, 4, 5};
	static const uint64_t customer[5] = {10, 11, 10, 9, 9};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(ev[i].correlation, 77);
		assert_int_equal(ev[i].response.customer, customer[i]);
		assert_memory_equal(&ev[i].response, &r[want[i]], sizeof(r[0]));
	}
	expect_events(stock, ev, 2);
	assert_memory_equal(&ev[0].response, &r[4], sizeof(r[0]));
	assert_memory_equal(&ev[1].response, &r[5], sizeof(r[0]));
	assert_int_equal(ev[1].response.customer, 9);
	/* The whole lifecycle of order 2 (key 500 is the restock's): each step an event. */
	struct oc_command life[] = {place(20, 21, SKU + 1, 2),
				    pl_step(OC_CMD_PICK_CONFIRMED, 20, 21),
				    pl_step(OC_CMD_SHIPPED, 20, 21), /* not yet: invalid_state */
				    pl_step(OC_CMD_PACK_CONFIRMED, 20, 21),
				    pl_step(OC_CMD_SHIPPED, 20, 21),
				    pl_step(OC_CMD_DELIVERED, 20, 21),
				    pl_cancel(20, 21), /* too late */
				    pl_query_order(20)};
	struct oc_response lr[8];
	round_trip(gw, life, 8, lr);
	static const uint8_t states[8] = {OC_STATE_ALLOCATED, OC_STATE_PICKED, OC_STATE_PICKED,
					  OC_STATE_PACKED,    OC_STATE_SHIPPED, OC_STATE_DELIVERED,
					  OC_STATE_NONE,      OC_STATE_DELIVERED};
	for (unsigned i = 0; i < 8; i++)
		if (lr[i].state != states[i])
			fail_msg("lifecycle %u: state %s", i, oc_order_state_name(lr[i].state));
	pl_expect(&lr[2], OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_expect(&lr[6], OC_STATUS_REJECTED, OC_REJECT_NOT_CANCELLABLE);
	struct oc_client_answer lev[5];
	expect_events(all, lev, 5); /* placed, picked, packed, shipped, delivered */
	static const unsigned life_events[5] = {0, 1, 3, 4, 5};
	for (unsigned i = 0; i < 5; i++) {
		assert_memory_equal(&lev[i].response, &lr[life_events[i]], sizeof(lr[0]));
		assert_int_equal(lev[i].response.customer, 21);
	}
	/* A card order: the event of its placing is the authorization request; the provider's
	 * answer is an event too. */
	struct oc_command card = place(30, 31, SKU + 1, 1);
	card.flags = OC_PLACE_CARD;
	struct oc_command pay[2] = {card, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 30, 31)};
	struct oc_response pr[2];
	round_trip(gw, pay, 2, pr);
	assert_int_equal(pr[0].state, OC_STATE_PAYMENT_PENDING);
	assert_int_equal(pr[1].state, OC_STATE_ALLOCATED);
	expect_events(all, lev, 2);
	assert_int_equal(lev[0].response.state, OC_STATE_PAYMENT_PENDING);
	assert_int_equal(lev[1].response.type, OC_CMD_PAYMENT_AUTHORIZED);
	/* A card order nobody pays for: its lease runs out and the daemon's tick cancels it,
	 * an event nobody asked for, with the order's customer. */
	struct oc_command unpaid = place(40, 41, SKU + 1, 1);
	unpaid.flags = OC_PLACE_CARD;
	round_trip(gw, &unpaid, 1, pr);
	expect_events(all, lev, 2);
	assert_int_equal(lev[0].response.key, 40);
	assert_int_equal(lev[1].response.flags, OC_RESPONSE_UNSOLICITED);
	assert_int_equal(lev[1].response.key, 40);
	assert_int_equal(lev[1].response.original_seq, pr[0].seq);
	assert_int_equal(lev[1].response.reason, OC_REJECT_LEASE_EXPIRED);
	assert_int_equal(lev[1].response.customer, 41);
	struct oc_command q40 = pl_query_order(40);
	round_trip(gw, &q40, 1, pr);
	assert_int_equal(pr[0].state, OC_STATE_CANCELLED);
	/* Nothing more came: one more event arrives next, not an old one. */
	struct oc_command later = place(3, 12, SKU, 1);
	round_trip(gw, &later, 1, r);
	expect_events(all, ev, 1);
	assert_int_equal(ev[0].response.seq, r[0].seq);
	/* A subscriber may send commands too: its answers come among its events. */
	struct oc_command own = place(4, 13, SKU, 1);
	assert_int_equal(oc_client_queue(all, &own, 5), 0);
	struct oc_client_answer a[2];
	uint32_t got = 0, answers = 0;
	while (got < 2) {
		int m = oc_client_receive(all, a + got, 2 - got, 1);
		assert_true(m > 0);
		got += (uint32_t)m;
	}
	for (unsigned i = 0; i < 2; i++) {
		answers += !a[i].event;
		assert_int_equal(a[i].response.key, 4);
		assert_int_equal(a[i].correlation, a[i].event ? 77 : 5);
	}
	assert_int_equal(answers, 1);
	/* Subscribers are bounded: two here, 62 more fit, the next is told "overload". */
	struct oc_client *more[62];
	for (unsigned i = 0; i < 62; i++) {
		more[i] = client(&d, NULL);
		assert_int_equal(oc_client_subscribe(more[i], OC_EVENT_ORDERS, 1, &from_seq, 0), 0);
	}
	struct oc_client *over = client(&d, NULL);
	assert_int_equal(oc_client_subscribe(over, OC_EVENT_ORDERS, 1, &from_seq, 0), -EPROTO);
	assert_non_null(strstr(oc_client_error(over), "overload"));
	oc_client_close(over);
	for (unsigned i = 0; i < 62; i++)
		oc_client_close(more[i]);
	oc_client_close(all);
	oc_client_close(stock);
	oc_client_close(gw);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- queries with rows ---- */

/* The daemon's flags that keep the customers' index (the customer query needs it). */
static const char *const customer_index[] = {"--customer-index", "1", NULL};

/* What came back for one command: its rows, then its answer. */
struct got {
	uint32_t rows;
	struct oc_response row[OC_QUERY_ROWS_MAX];
	struct oc_response answer;
};

/* A stream of commands pipelined on one connection, driven a step at a time so that several
 * share the test's thread; got[i] is what command i got back. */
struct stream {
	struct oc_client *c;
	const struct oc_command *cmds;
	uint32_t n, queued, answered;
	struct got *got;
};

/* Queues what fits, sends what the socket takes and takes what came, without blocking. Every
 * row and answer must carry the correlation (the index) of the oldest command not answered
 * yet: its rows come first, its answer ends it. False when nothing moved. */
static bool stream_step(struct stream *st)
{
	bool moved = false;
	while (st->queued < st->n &&
	       oc_client_queue(st->c, &st->cmds[st->queued], st->queued) == 0) {
		st->queued++;
		moved = true;
	}
	int rc = oc_client_flush(st->c, 0);
	assert_true(rc == 0 || rc == -EAGAIN);
	struct oc_client_answer a[64];
	int m = oc_client_receive(st->c, a, 64, 0);
	if (m < 0)
		fail_msg("receive: %d %s", m, oc_client_error(st->c));
	for (int i = 0; i < m; i++) {
		assert_int_equal(a[i].event, 0);
		assert_int_equal(a[i].correlation, st->answered);
		struct got *g = &st->got[st->answered];
		if (a[i].response.flags & OC_RESPONSE_ROW) {
			assert_true(g->rows < OC_QUERY_ROWS_MAX);
			g->row[g->rows++] = a[i].response;
			continue;
		}
		g->answer = a[i].response;
		st->answered++;
	}
	/* Rows leave a command in flight; its answer takes it off. */
	assert_int_equal(oc_client_inflight(st->c), st->queued - st->answered);
	return moved || m > 0;
}

/* Runs the streams to their last answer together, waiting on their sockets when none moved. */
static void streams_run(struct stream *st, uint32_t count)
{
	for (uint32_t k = 0; k < count; k++)
		memset(st[k].got, 0, st[k].n * sizeof(*st[k].got));
	for (;;) {
		bool moved = false, done = true;
		struct pollfd p[4];
		assert_true(count <= 4);
		for (uint32_t k = 0; k < count; k++) {
			p[k] = (struct pollfd){oc_client_fd(st[k].c), POLLIN, 0};
			if (st[k].answered == st[k].n)
				continue;
			done = false;
			moved |= stream_step(&st[k]);
			if (oc_client_pending(st[k].c))
				p[k].events |= POLLOUT;
		}
		if (done)
			return;
		if (!moved && poll(p, count, 5000) <= 0)
			fail_msg("no answer for 5 s");
	}
}

/* One command and what it got back, rows and answer. */
static void ask(struct oc_client *c, struct oc_command cmd, struct got *g)
{
	struct stream st = {c, &cmd, 1, 0, 0, g};
	streams_run(&st, 1);
}

/* An order's whole life over the wire, a partial refund, then its history: a row per
 * transition, oldest first, with the type, seq, time and state of the command that made it
 * (a refused step is none), then the order's answer; rows are not events. Without the
 * customers' index a customer query is not_enabled. */
static void test_history_over_the_wire(void **state)
{
	struct daemon d;
	daemon_start(&d, NULL, NULL);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_ALL, 5, &from_seq, 0), 0);
	struct oc_command life[] = {place(100, 200, SKU + 1, 2),
				    pl_step(OC_CMD_PICK_CONFIRMED, 100, 200),
				    pl_step(OC_CMD_SHIPPED, 100, 200), /* refused: not packed */
				    pl_step(OC_CMD_PACK_CONFIRMED, 100, 200),
				    pl_step(OC_CMD_SHIPPED, 100, 200),
				    pl_step(OC_CMD_DELIVERED, 100, 200),
				    pl_refund(101, 200, 100, 120)};
	enum { N = sizeof(life) / sizeof(life[0]) };
	struct oc_response lr[N];
	round_trip(c, life, N, lr);
	pl_expect(&lr[2], OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	pl_expect(&lr[6], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct got g;
	ask(c, pl_query_history(100), &g);
	static const unsigned made[6] = {0, 1, 3, 4, 5, 6}; /* the commands that moved it */
	static const uint8_t types[6] = {OC_CMD_PLACE,   OC_CMD_PICK_CONFIRMED,
					 OC_CMD_PACK_CONFIRMED, OC_CMD_SHIPPED,
					 OC_CMD_DELIVERED, OC_CMD_REFUND};
	static const uint8_t states[6] = {OC_STATE_ALLOCATED, OC_STATE_PICKED, OC_STATE_PACKED,
					  OC_STATE_SHIPPED, OC_STATE_DELIVERED, OC_STATE_DELIVERED};
	assert_int_equal(g.rows, 6);
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;
	for (unsigned i = 0; i < 6; i++) {
		const struct oc_response *row = &g.row[i], *cause = &lr[made[i]];
		assert_int_equal(row->flags, OC_RESPONSE_ROW);
		assert_int_equal(row->seq, g.answer.seq);
		assert_int_equal(row->key, 100);
		assert_int_equal(row->customer, 200);
		assert_int_equal(row->type, types[i]);
		assert_int_equal(row->original_seq, cause->seq);
		assert_int_equal(row->ts_ms, cause->ts_ms);
		assert_true(row->ts_ms + 60000 > now_ms && row->ts_ms < now_ms + 60000);
		assert_int_equal(row->state, states[i]);
		pl_expect(row, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(row->amount_cents, i == 5 ? 120 : 0);
	}
	/* Then the answer an order query gives. */
	const struct oc_response *a = &g.answer;
	assert_int_equal(a->type, OC_CMD_QUERY_HISTORY);
	pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a->flags, 0);
	assert_int_equal(a->key, 100);
	assert_int_equal(a->customer, 200);
	assert_int_equal(a->original_seq, lr[0].seq);
	assert_int_equal(a->state, OC_STATE_DELIVERED);
	assert_int_equal(a->payment, OC_PAYMENT_REFUNDED);
	assert_int_equal(a->amount_cents, 2 * PRICE);
	assert_int_equal(a->refunded_cents, 120);
	assert_true(a->ts_ms >= lr[6].ts_ms);
	/* An unknown key: no rows. */
	ask(c, pl_query_history(999), &g);
	assert_int_equal(g.rows, 0);
	pl_expect(&g.answer, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	/* This daemon keeps no customers' index: a customer query is refused, no rows. */
	ask(c, pl_query_customer(200, 0), &g);
	assert_int_equal(g.rows, 0);
	pl_expect(&g.answer, OC_STATUS_REJECTED, OC_REJECT_NOT_ENABLED);
	/* The subscriber saw the six changes, each with its customer, and not the rows: the next
	 * event is the next order. */
	struct oc_command next = place(102, 201, SKU + 1, 1);
	struct oc_response nr;
	round_trip(c, &next, 1, &nr);
	struct oc_client_answer ev[7];
	expect_events(sub, ev, 7);
	for (unsigned i = 0; i < 6; i++) {
		assert_memory_equal(&ev[i].response, &lr[made[i]], sizeof(lr[0]));
		assert_int_equal(ev[i].response.customer, 200);
	}
	assert_memory_equal(&ev[6].response, &nr, sizeof(nr));
	assert_int_equal(ev[6].response.customer, 201);
	oc_client_close(sub);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* A page of customer's orders: n rows, newest first, keys from key_first down, each as an
 * order query answers it (the order's key, seq and time from its place's answer placed[]). */
static void expect_page(const struct got *g, uint64_t customer, uint32_t n, uint64_t key_first,
			bool more, const struct oc_response *placed, uint64_t key_base)
{
	assert_int_equal(g->rows, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct oc_response *row = &g->row[i], *p = &placed[key_first - i - key_base];
		assert_int_equal(row->flags, OC_RESPONSE_ROW);
		assert_int_equal(row->seq, g->answer.seq);
		assert_int_equal(row->type, OC_CMD_QUERY_CUSTOMER);
		assert_int_equal(row->key, key_first - i);
		assert_int_equal(row->customer, customer);
		assert_int_equal(row->original_seq, p->seq);
		assert_int_equal(row->ts_ms, p->ts_ms); /* allocated since it was placed */
		pl_expect(row, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(row->state, OC_STATE_ALLOCATED);
		assert_int_equal(row->payment, OC_PAYMENT_PREPAID);
		assert_int_equal(row->amount_cents, PRICE);
	}
	pl_expect(&g->answer, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(g->answer.type, OC_CMD_QUERY_CUSTOMER);
	assert_int_equal(g->answer.customer, customer);
	assert_int_equal(g->answer.flags, more ? OC_RESPONSE_MORE : 0);
}

/* With the customers' index (--customer-index 1), a customer's 70 orders come in pages of 32,
 * 32 and 6, each page after the last order of the one before (OC_RESPONSE_MORE on the first
 * two); 32 orders are one page without more; an anchor that is not the customer's order is
 * unknown_order; customer 0 is malformed. */
static void test_customer_orders_by_pages(void **state)
{
	struct daemon d;
	daemon_start(&d, NULL, customer_index);
	struct oc_client *c = client(&d, NULL);
	enum { N = 70, EXACT = 32 };
	static struct oc_command cmds[N + EXACT];
	static struct oc_response placed[N + EXACT];
	for (uint32_t i = 0; i < N; i++)
		cmds[i] = place(1000 + i, 300, SKU + 1, 1);
	for (uint32_t i = 0; i < EXACT; i++)
		cmds[N + i] = place(2000 + i, 303, SKU + 1, 1);
	round_trip(c, cmds, N + EXACT, placed);
	struct got g;
	ask(c, pl_query_customer(300, 0), &g);
	expect_page(&g, 300, 32, 1069, true, placed, 1000);
	ask(c, pl_query_customer(300, 1038), &g);
	expect_page(&g, 300, 32, 1037, true, placed, 1000);
	ask(c, pl_query_customer(300, 1006), &g);
	expect_page(&g, 300, 6, 1005, false, placed, 1000);
	ask(c, pl_query_customer(300, 1000), &g); /* before the first: none */
	expect_page(&g, 300, 0, 0, false, placed, 1000);
	ask(c, pl_query_customer(303, 0), &g);
	expect_page(&g, 303, 32, 2031, false, placed + N, 2000);
	ask(c, pl_query_customer(302, 0), &g); /* no orders */
	expect_page(&g, 302, 0, 0, false, placed, 1000);
	ask(c, pl_query_customer(301, 1000), &g); /* another customer's order */
	assert_int_equal(g.rows, 0);
	pl_expect(&g.answer, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	ask(c, pl_query_customer(300, 99999), &g);
	assert_int_equal(g.rows, 0);
	pl_expect(&g.answer, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	ask(c, pl_query_customer(0, 0), &g);
	assert_int_equal(g.rows, 0);
	pl_expect(&g.answer, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	/* A key the frame cannot carry is refused before it is sent. */
	struct oc_command keyed = pl_query_customer(300, 0);
	keyed.key = 5;
	assert_int_equal(oc_client_queue(c, &keyed, 0), -EINVAL);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* What one command of a mixed stream must get back. */
struct expect {
	uint8_t status;
	bool more;
	uint32_t rows;
	uint64_t row_key[OC_QUERY_ROWS_MAX]; /* a customer's page: the orders' keys */
	uint8_t row_type[OC_QUERY_ROWS_MAX]; /* a history: the transitions' command types */
	bool event;                          /* an event of kind orders or fulfilment */
};

#define MIX_ORDERS_MAX 256u

/* A stream of n mixed commands of one connection, whose keys start at key_base and whose
 * orders belong to customer_base and customer_base + 1, alternately: places, the next step
 * of one of its orders (a stock query once it is delivered), the history of one of its
 * orders, a page of one of its customers' orders (more than 32 by the end), stock queries.
 * Nothing else touches these keys and customers, so what each command gets back follows from
 * the stream alone, into want[]. */
static void mixed_stream(uint64_t key_base, uint64_t customer_base, uint32_t n, uint64_t seed,
			 struct oc_command *cmds, struct expect *want)
{
	static const uint8_t steps[4] = {OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					 OC_CMD_SHIPPED, OC_CMD_DELIVERED};
	uint64_t keys[MIX_ORDERS_MAX];
	uint8_t done[MIX_ORDERS_MAX];
	uint32_t placed = 0, rng_kind;
	uint64_t rng = seed;
	for (uint32_t i = 0; i < n; i++) {
		struct expect *w = &want[i];
		memset(w, 0, sizeof(*w));
		w->status = OC_STATUS_ACCEPTED;
		rng_kind = placed ? oc_rand_below(&rng, 6) : 0;
		uint32_t o = placed ? oc_rand_below(&rng, placed) : 0;
		uint64_t owner = customer_base + o % 2; /* order o's customer */
		if (rng_kind <= 1) {
			assert_true(placed < MIX_ORDERS_MAX);
			keys[placed] = key_base + i;
			done[placed] = 0;
			cmds[i] = place(keys[placed], customer_base + placed % 2, SKU + 1, 1);
			placed++;
			w->event = true;
		} else if (rng_kind == 2 && done[o] < 4) {
			cmds[i] = pl_step(steps[done[o]++], keys[o], owner);
			w->event = true;
		} else if (rng_kind == 3) {
			cmds[i] = pl_query_history(keys[o]);
			w->rows = 1u + done[o];
			w->row_type[0] = OC_CMD_PLACE;
			for (uint32_t k = 0; k < done[o]; k++)
				w->row_type[1 + k] = steps[k];
		} else if (rng_kind == 4) {
			cmds[i] = pl_query_customer(owner, 0);
			uint32_t of_owner = 0;
			for (uint32_t k = placed; k-- > 0;) {
				if (k % 2 != o % 2)
					continue;
				if (of_owner++ < OC_QUERY_ROWS_MAX)
					w->row_key[w->rows++] = keys[k];
			}
			w->more = of_owner > OC_QUERY_ROWS_MAX;
		} else {
			cmds[i] = pl_query_stock(SKU + 1);
		}
	}
}

/* Checks what a mixed stream's commands got back against want[]: the answer's type, key and
 * status, the rows' count, order, keys, customers and types, all with the command's seq.
 * Returns how many of its commands were events. */
static uint32_t expect_mixed(const struct oc_command *cmds, const struct expect *want,
			     const struct got *got, uint32_t n)
{
	uint32_t events = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct got *g = &got[i];
		const struct expect *w = &want[i];
		const struct oc_response *a = &g->answer;
		if (a->type != cmds[i].type || a->status != w->status || g->rows != w->rows)
			fail_msg("command %u (type %u): type %u, status %u, %u rows (%u expected)",
				 i, cmds[i].type, a->type, a->status, g->rows, w->rows);
		assert_int_equal(a->key, cmds[i].key);
		assert_int_equal(!!(a->flags & OC_RESPONSE_MORE), w->more);
		for (uint32_t k = 0; k < g->rows; k++) {
			const struct oc_response *row = &g->row[k];
			assert_int_equal(row->seq, a->seq);
			assert_int_equal(row->flags, OC_RESPONSE_ROW);
			if (cmds[i].type == OC_CMD_QUERY_HISTORY) {
				assert_int_equal(row->key, cmds[i].key);
				assert_int_equal(row->customer, a->customer);
				assert_int_equal(row->type, w->row_type[k]);
			} else {
				assert_int_equal(row->key, w->row_key[k]);
				assert_int_equal(row->customer, cmds[i].customer);
				assert_int_equal(row->type, OC_CMD_QUERY_CUSTOMER);
			}
		}
		events += w->event;
	}
	return events;
}

/* The server matches rows and answers to connections by a FIFO of the commands it
 * submitted: 200 mixed commands pipelined on one connection, then 200 on each of two
 * connections at once, with 1 KiB client buffers (a page of rows is 2.6 KB: it comes over
 * several receives), and a subscriber: every row reaches its own connection, just before its
 * command's answer, and no row is an event. */
static void test_pipelined_rows_reach_the_right_connection(void **state)
{
	enum { N = 200 };
	struct daemon d;
	daemon_start(&d, NULL, customer_index);
	struct oc_client *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_ALL, 5, &from_seq, 0), 0);
	static struct oc_command cmds[3][N];
	static struct expect want[3][N];
	static struct got got[3][N];
	for (uint32_t k = 0; k < 3; k++)
		mixed_stream(100000 * (k + 1), 1000 * (k + 1), N, 77 + k, cmds[k], want[k]);
	struct stream one = {client(&d, NULL), cmds[0], N, 0, 0, got[0]};
	streams_run(&one, 1);
	uint32_t events = expect_mixed(cmds[0], want[0], got[0], N);
	struct stream two[2];
	for (uint32_t k = 0; k < 2; k++)
		two[k] = (struct stream){client_buffers(&d, NULL, OC_CLIENT_BUFFER_BYTES_MIN),
					 cmds[1 + k], N, 0, 0, got[1 + k]};
	streams_run(two, 2);
	for (uint32_t k = 0; k < 2; k++)
		events += expect_mixed(cmds[1 + k], want[1 + k], got[1 + k], N);
	/* Some pages had more than 32 orders, some histories a whole life. */
	uint32_t more = 0, long_histories = 0;
	for (uint32_t k = 0; k < 3; k++)
		for (uint32_t i = 0; i < N; i++) {
			more += want[k][i].more;
			long_histories += cmds[k][i].type == OC_CMD_QUERY_HISTORY &&
					  want[k][i].rows >= 4;
		}
	assert_true(more > 0 && long_histories > 0);
	/* The subscriber got the places and steps, then nothing more (a marker shows it). */
	struct oc_client *gw = one.c;
	struct oc_command marker = place(999999, 9, SKU + 1, 1);
	struct oc_response mr;
	round_trip(gw, &marker, 1, &mr);
	static struct oc_client_answer ev[3 * N + 1];
	expect_events(sub, ev, events + 1);
	for (uint32_t i = 0; i < events; i++) {
		assert_int_equal(ev[i].response.flags & OC_RESPONSE_ROW, 0);
		assert_true(ev[i].response.type == OC_CMD_PLACE ||
			    (ev[i].response.type >= OC_CMD_PICK_CONFIRMED &&
			     ev[i].response.type <= OC_CMD_DELIVERED));
	}
	assert_memory_equal(&ev[events].response, &mr, sizeof(mr));
	oc_client_close(one.c);
	oc_client_close(two[0].c);
	oc_client_close(two[1].c);
	oc_client_close(sub);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- inventory administration ---- */

/* A SKU's reconciliation, every page: a row per warehouse (row[w]) and the last page's answer. */
struct recon {
	uint32_t pages;
	struct oc_response row[WIDE_WAREHOUSES];
	struct oc_response answer;
};

/* Asks for every page of sku's reconciliation, following OC_RESPONSE_MORE from the last row's
 * warehouse + 1; checks that the rows come in warehouse order, one per warehouse, each
 * balancing (on hand = free + allocated + picked), that the pages' answers agree, and that the
 * rows sum to the answer's totals. */
static void reconcile_all(struct oc_client *c, uint64_t sku, struct recon *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t next = 0;
	struct got g;
	for (;;) {
		ask(c, pl_reconcile(sku, (uint16_t)next), &g);
		const struct oc_response *a = &g.answer;
		assert_int_equal(a->type, OC_CMD_QUERY_RECONCILE);
		pl_expect(a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(a->flags & OC_RESPONSE_ROW, 0);
		assert_int_equal(OC_RECON_ON_HAND(a), OC_RECON_FREE(a) + OC_RECON_ALLOCATED(a) +
							      OC_RECON_PICKED(a));
		if (out->pages) { /* every page's answer: the totals over all warehouses */
			assert_int_equal(a->original_seq, out->answer.original_seq);
			assert_int_equal(a->amount_cents, out->answer.amount_cents);
		}
		out->answer = *a;
		out->pages++;
		assert_true(g.rows > 0);
		for (uint32_t i = 0; i < g.rows; i++) {
			const struct oc_response *row = &g.row[i];
			assert_int_equal(row->warehouse, next + i);
			assert_true(row->warehouse < WIDE_WAREHOUSES);
			assert_int_equal(row->flags, OC_RESPONSE_ROW);
			assert_int_equal(row->seq, a->seq);
			assert_int_equal(row->type, OC_CMD_QUERY_RECONCILE);
			pl_expect(row, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
			assert_int_equal(OC_RECON_ON_HAND(row), OC_RECON_FREE(row) +
									OC_RECON_ALLOCATED(row) +
									OC_RECON_PICKED(row));
			out->row[row->warehouse] = *row;
		}
		next = g.row[g.rows - 1].warehouse + 1u;
		if (!(a->flags & OC_RESPONSE_MORE))
			break;
		assert_int_equal(g.rows, OC_QUERY_ROWS_MAX);
	}
	assert_int_equal(next, WIDE_WAREHOUSES);
	uint64_t sum[4] = {0};
	for (uint32_t w = 0; w < WIDE_WAREHOUSES; w++) {
		sum[0] += OC_RECON_FREE(&out->row[w]);
		sum[1] += OC_RECON_ALLOCATED(&out->row[w]);
		sum[2] += OC_RECON_PICKED(&out->row[w]);
		sum[3] += OC_RECON_ON_HAND(&out->row[w]);
	}
	assert_int_equal(sum[0], OC_RECON_FREE(&out->answer));
	assert_int_equal(sum[1], OC_RECON_ALLOCATED(&out->answer));
	assert_int_equal(sum[2], OC_RECON_PICKED(&out->answer));
	assert_int_equal(sum[3], OC_RECON_ON_HAND(&out->answer));
}

/* One command and its answer, expected to have no rows. */
static struct oc_response ask1(struct oc_client *c, struct oc_command cmd)
{
	struct got g;
	ask(c, cmd, &g);
	assert_int_equal(g.rows, 0);
	return g.answer;
}

/* Reconciliation, cycle counts and safety stock over the wire, on 40 warehouses. */
static void test_inventory_administration_over_the_wire(void **state)
{
	struct daemon d;
	daemon_start_on(&d, wide_dataset, NULL, NULL);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_STOCK, 6, &from_seq, 0), 0);
	uint32_t total = 0;
	for (uint32_t w = 0; w < WIDE_WAREHOUSES; w++)
		total += wide_units(w);
	/* The dataset as loaded: two pages, every unit free, nothing held. */
	struct recon rc;
	reconcile_all(c, WIDE_SKU, &rc);
	assert_int_equal(rc.pages, 2);
	for (uint32_t w = 0; w < WIDE_WAREHOUSES; w++) {
		assert_int_equal(OC_RECON_ON_HAND(&rc.row[w]), wide_units(w));
		assert_int_equal(OC_RECON_FREE(&rc.row[w]), wide_units(w));
	}
	assert_int_equal(OC_RECON_ON_HAND(&rc.answer), total);
	assert_int_equal(OC_RECON_AVAILABLE(&rc.answer), total);
	assert_int_equal(OC_RECON_SAFETY(&rc.answer), 0);
	/* An order of 7 picked and one of 4 only allocated: the totals say which is which. */
	enum { PICKED = 7, HELD = 4 };
	struct oc_command orders[3] = {place(1, 10, WIDE_SKU, PICKED),
				       pl_step(OC_CMD_PICK_CONFIRMED, 1, 10),
				       place(2, 11, WIDE_SKU, HELD)};
	struct oc_response r[3];
	round_trip(c, orders, 3, r);
	for (int i = 0; i < 3; i++)
		pl_expect(&r[i], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(r[1].state, OC_STATE_PICKED);
	reconcile_all(c, WIDE_SKU, &rc);
	assert_int_equal(OC_RECON_PICKED(&rc.answer), PICKED);
	assert_int_equal(OC_RECON_ALLOCATED(&rc.answer), HELD);
	assert_int_equal(OC_RECON_FREE(&rc.answer), total - PICKED - HELD);
	assert_int_equal(OC_RECON_ON_HAND(&rc.answer), total);
	/* A warehouse with units held (orders are planned from the nearest ones), one without. */
	uint32_t held_w = WIDE_WAREHOUSES, free_w = WIDE_WAREHOUSES;
	for (uint32_t w = 0; w < WIDE_WAREHOUSES; w++) {
		bool holds = OC_RECON_FREE(&rc.row[w]) < OC_RECON_ON_HAND(&rc.row[w]);
		if (holds && held_w == WIDE_WAREHOUSES)
			held_w = w;
		if (!holds)
			free_w = w; /* the last: a count there does not touch the orders' */
	}
	assert_true(held_w < WIDE_WAREHOUSES && free_w < WIDE_WAREHOUSES && free_w != held_w);
	uint32_t free_on_hand = wide_units(free_w);
	uint32_t held_on_hand = (uint32_t)OC_RECON_ON_HAND(&rc.row[held_w]);
	uint32_t held_free = (uint32_t)OC_RECON_FREE(&rc.row[held_w]);
	/* Cycle counts. */
	struct oc_response a;
	a = ask1(c, pl_adjust(100, 5, (uint16_t)free_w, WIDE_SKU, free_on_hand - 3,
				 free_on_hand)); /* 3 fewer counted */
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.type, OC_CMD_ADJUST_STOCK);
	assert_int_equal(a.warehouse, free_w);
	assert_int_equal(a.customer, 5);
	assert_int_equal(a.state, OC_STATE_NONE); /* a stock change is not an order */
	struct oc_response done[2] = {a};
	a = ask1(c, pl_adjust(101, 5, (uint16_t)free_w, WIDE_SKU, free_on_hand + 10,
				 free_on_hand)); /* stale: the count above changed it */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_STALE_COUNT);
	a = ask1(c, pl_adjust(102, 5, (uint16_t)free_w, WIDE_SKU, 0, free_on_hand + 2));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_STALE_COUNT); /* a stale decrease too */
	a = ask1(c, pl_adjust(103, 5, (uint16_t)held_w, WIDE_SKU, 0, held_on_hand));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK); /* below what orders hold */
	a = ask1(c, pl_adjust(100, 5, (uint16_t)free_w, WIDE_SKU, free_on_hand - 3,
				 free_on_hand)); /* a retry of the first */
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(a.original_seq, done[0].seq);
	reconcile_all(c, WIDE_SKU, &rc);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[free_w]), free_on_hand - 3);
	assert_int_equal(OC_RECON_FREE(&rc.row[free_w]), free_on_hand - 3);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[held_w]), held_on_hand);
	assert_int_equal(OC_RECON_FREE(&rc.row[held_w]), held_free);
	assert_int_equal(OC_RECON_ON_HAND(&rc.answer), total - 3);
	assert_int_equal(OC_RECON_PICKED(&rc.answer), PICKED);
	assert_int_equal(OC_RECON_ALLOCATED(&rc.answer), HELD);
	/* More counted in the warehouse with orders: the units held stay held. */
	a = ask1(c, pl_adjust(104, 5, (uint16_t)held_w, WIDE_SKU, held_on_hand + 6,
				 held_on_hand));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	done[1] = a;
	/* Nothing counted where nothing is held: on hand 0. */
	a = ask1(c, pl_adjust(105, 5, (uint16_t)free_w, WIDE_SKU, 0, free_on_hand - 3));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	reconcile_all(c, WIDE_SKU, &rc);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[held_w]), held_on_hand + 6);
	assert_int_equal(OC_RECON_FREE(&rc.row[held_w]), held_free + 6);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[free_w]), 0);
	assert_int_equal(OC_RECON_FREE(&rc.row[free_w]), 0);
	assert_int_equal(OC_RECON_ON_HAND(&rc.answer), total - free_on_hand + 6);
	assert_int_equal(OC_RECON_PICKED(&rc.answer), PICKED);
	assert_int_equal(OC_RECON_ALLOCATED(&rc.answer), HELD);
	/* Refused: a warehouse or a SKU the dataset does not have, a page past the last. */
	a = ask1(c, pl_adjust(106, 5, WIDE_WAREHOUSES, WIDE_SKU, 1, 0));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION);
	a = ask1(c, pl_adjust(107, 5, 0, 999, 1, 0));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	a = ask1(c, pl_reconcile(WIDE_SKU, WIDE_WAREHOUSES));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION);
	a = ask1(c, pl_reconcile(999, 0));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	/* Safety stock: of SAFE_UNITS, an order may leave no fewer than 5. */
	enum { SAFETY = 5 };
	a = ask1(c, pl_safety(5, SAFE_SKU, SAFETY));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.type, OC_CMD_SET_SAFETY_STOCK);
	struct oc_response safety_done = a;
	a = ask1(c, pl_safety(0, SAFE_SKU, SAFETY)); /* no operator */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_safety(5, 999, SAFETY));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	a = ask1(c, place(20, 12, SAFE_SKU, SAFE_UNITS - SAFETY + 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	a = ask1(c, place(21, 12, SAFE_SKU, SAFE_UNITS - SAFETY));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a = ask1(c, place(22, 13, SAFE_SKU, 1)); /* the safety stock is all that is left */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_OUT_OF_STOCK);
	reconcile_all(c, SAFE_SKU, &rc);
	assert_int_equal(OC_RECON_SAFETY(&rc.answer), SAFETY);
	assert_int_equal(OC_RECON_AVAILABLE(&rc.answer), SAFETY);
	assert_int_equal(OC_RECON_FREE(&rc.answer), SAFETY);
	assert_int_equal(OC_RECON_ALLOCATED(&rc.answer), SAFE_UNITS - SAFETY);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[0]), SAFE_UNITS);
	assert_int_equal(OC_RECON_ON_HAND(&rc.row[1]), 0);
	/* A write-off may take the safety stock; 0 clears it. */
	a = ask1(c, stock_change(OC_CMD_WRITE_OFF, 108, 5, 0, SAFE_SKU, 1));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a = ask1(c, pl_safety(5, SAFE_SKU, 0));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_response cleared = a;
	a = ask1(c, place(23, 13, SAFE_SKU, SAFETY - 1));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	/* The stock subscriber saw the counts and safety stocks done, and the write-off, in
	 * order: nothing refused, repeated or queried; a marker restock comes next. */
	a = ask1(c, stock_change(OC_CMD_RESTOCK, 109, 5, 1, WIDE_SKU, 1));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_client_answer ev[7];
	expect_events(sub, ev, 7);
	static const uint8_t types[7] = {OC_CMD_ADJUST_STOCK,     OC_CMD_ADJUST_STOCK,
					 OC_CMD_ADJUST_STOCK,     OC_CMD_SET_SAFETY_STOCK,
					 OC_CMD_WRITE_OFF,        OC_CMD_SET_SAFETY_STOCK,
					 OC_CMD_RESTOCK};
	for (unsigned i = 0; i < 7; i++) {
		assert_int_equal(ev[i].response.type, types[i]);
		assert_int_equal(ev[i].response.customer, 5);
		pl_expect(&ev[i].response, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		assert_int_equal(ev[i].response.flags, 0);
	}
	assert_memory_equal(&ev[0].response, &done[0], sizeof(a));
	assert_memory_equal(&ev[1].response, &done[1], sizeof(a));
	assert_memory_equal(&ev[3].response, &safety_done, sizeof(a));
	assert_memory_equal(&ev[5].response, &cleared, sizeof(a));
	assert_memory_equal(&ev[6].response, &a, sizeof(a));
	oc_client_close(c);
	oc_client_close(sub);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- exceptions and returns ---- */

/* Asserts an answer's type, status, reason, state, payment and amounts. */
static void expect_answer(const struct oc_response *r, uint8_t type, uint8_t status,
			  uint8_t reason, uint8_t state, uint8_t payment, uint64_t amount_cents,
			  uint64_t refunded_cents)
{
	if (r->type != type || r->status != status || r->reason != reason || r->state != state ||
	    r->payment != payment || r->amount_cents != amount_cents ||
	    r->refunded_cents != refunded_cents)
		fail_msg("answer of seq %llu (key %llu): type %u %s (%s), state %s, payment %s, "
			 "amount %llu, refunded %llu; expected type %u %s (%s), state %s, payment "
			 "%s, amount %llu, refunded %llu",
			 (unsigned long long)r->seq, (unsigned long long)r->key, r->type,
			 oc_status_name(r->status), oc_reject_reason_name(r->reason),
			 oc_order_state_name(r->state), oc_payment_state_name(r->payment),
			 (unsigned long long)r->amount_cents, (unsigned long long)r->refunded_cents,
			 type, oc_status_name(status), oc_reject_reason_name(reason),
			 oc_order_state_name(state), oc_payment_state_name(payment),
			 (unsigned long long)amount_cents, (unsigned long long)refunded_cents);
}

/* The events a subscriber got before the answer to a query it sends now: those of every
 * command answered before it (the daemon sends an answer's events before it polls the next
 * answer), exactly. At most max, into out; returns the count. */
static uint32_t events_so_far(struct oc_client *sub, struct oc_client_answer *out, uint32_t max)
{
	struct oc_command q = pl_query_stock(RET_C);
	assert_int_equal(oc_client_queue(sub, &q, 1), 0);
	uint32_t n = 0;
	for (;;) {
		struct oc_client_answer a;
		int m = oc_client_receive(sub, &a, 1, 1);
		if (m < 0)
			fail_msg("receive: %d %s", m, oc_client_error(sub));
		if (m == 0)
			continue;
		if (!a.event) {
			assert_int_equal(a.correlation, 1);
			return n;
		}
		assert_true(n < max);
		out[n++] = a;
	}
}

/* The events sub received since its last call are exactly want[0..count), each with the
 * subscription's correlation and (kind != 0) of that kind. */
static void expect_events_exactly(struct oc_client *sub, uint64_t correlation, uint32_t kind,
			  const struct oc_response *want, uint32_t count)
{
	struct oc_client_answer ev[32];
	assert_true(count <= 32);
	assert_int_equal(events_so_far(sub, ev, 32), count);
	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(ev[i].correlation, correlation);
		if (kind)
			assert_int_equal(oc_proto_event_kind(&ev[i].response), kind);
		assert_memory_equal(&ev[i].response, &want[i], sizeof(want[0]));
	}
}

/* The stock of sku in warehouse w: units free there and held there by orders. */
static void expect_stock_at(struct oc_client *c, uint64_t sku, uint16_t w, uint32_t free_units,
			    uint32_t held)
{
	struct oc_command q = pl_query_stock(sku);
	q.type = OC_CMD_QUERY_STOCK_AT;
	q.region = w;
	struct oc_response a = ask1(c, q);
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(a.warehouse, w);
	if (OC_STOCK_AVAILABLE(a.original_seq) != free_units ||
	    OC_STOCK_ALLOCATED(a.original_seq) != held)
		fail_msg("SKU %llu at warehouse %u: %llu free, %llu held; expected %u, %u",
			 (unsigned long long)sku, w,
			 (unsigned long long)OC_STOCK_AVAILABLE(a.original_seq),
			 (unsigned long long)OC_STOCK_ALLOCATED(a.original_seq), free_units, held);
}

/* A reconciliation of sku (two warehouses, one page): warehouse w's on hand and free units. */
static void expect_on_hand(struct oc_client *c, uint64_t sku, uint32_t w, uint32_t on_hand,
			   uint32_t free_units)
{
	struct got g;
	ask(c, pl_reconcile(sku, 0), &g);
	pl_expect(&g.answer, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	assert_int_equal(g.rows, 2);
	assert_int_equal(g.row[w].warehouse, w);
	assert_int_equal(OC_RECON_ON_HAND(&g.row[w]), on_hand);
	assert_int_equal(OC_RECON_FREE(&g.row[w]), free_units);
}

/* A full lifecycle end to end over the daemon, the exceptions and returns on the wire.
 * Order 1 (card; 3 RET_A from W1, 4 RET_B from W0): authorized, picked, packed, shipped,
 * delivered; an RMA for 2 RET_A (after RMAs refused for a SKU the order has not and for too
 * many units), refunds and receipts refused while it is open; received with restock (a
 * stock-at query and a reconciliation show the 2 units back on hand and free in W1, where
 * they shipped from, not in W0); the refund of what came back; an exchange accepted at amount
 * 0 and a second replacement refused invalid_state; its history. Order 2 (prepaid, 2 RET_B):
 * shipped, a delivery exception (lost) after one refused while packed and one malformed, a
 * partial refund from exception, a reshipment. Subscribers: returns events are the RMA and its
 * receipt exactly; fulfilment events include the exception; orders events the replacements
 * (free) like any order. */
static void test_exceptions_and_returns_over_the_wire(void **state)
{
	struct daemon d;
	daemon_start_on(&d, returns_dataset, NULL, NULL);
	struct oc_client *c = client(&d, NULL);
	struct oc_client *sub_returns = client(&d, NULL), *sub_fulfil = client(&d, NULL),
			 *sub_orders = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub_returns, OC_EVENT_RETURNS, 31, &from_seq, 0), 0);
	assert_int_equal(oc_client_subscribe(sub_fulfil, OC_EVENT_FULFILMENT, 32, &from_seq, 0), 0);
	assert_int_equal(oc_client_subscribe(sub_orders, OC_EVENT_ORDERS | OC_EVENT_REFUNDS, 33,
					     &from_seq, 0),
			 0);
	enum { C1 = 50, C2 = 60, O1 = 100, O2 = 200 };
	const uint64_t amount1 = 3 * RET_A_PRICE + 4 * RET_B_PRICE;
	struct oc_response fulfil[16], orders[8];
	uint32_t nf = 0, no = 0;

	/* Order 1: placed by card, two shipments (RET_A from W1, RET_B from W0). */
	struct oc_command o1 = place(O1, C1, RET_A, 3);
	pl_line_add(&o1, RET_B, 4);
	o1.flags = OC_PLACE_CARD;
	struct oc_response a = ask1(c, o1);
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_PAYMENT_PENDING,
		      OC_PAYMENT_PENDING, amount1, 0);
	assert_int_equal(a.shipments, 2);
	const uint64_t o1_seq = a.seq;
	orders[no++] = a;
	a = ask1(c, pl_step(OC_CMD_PAYMENT_AUTHORIZED, O1, C1));
	expect_answer(&a, OC_CMD_PAYMENT_AUTHORIZED, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_AUTHORIZED, amount1, 0);
	fulfil[nf++] = a;
	expect_stock_at(c, RET_A, 1, RET_A_UNITS - 3, 3);
	expect_stock_at(c, RET_B, 0, RET_B_UNITS - 4, 4);
	static const uint8_t steps[4] = {OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					 OC_CMD_SHIPPED, OC_CMD_DELIVERED};
	static const uint8_t after[4] = {OC_STATE_PICKED, OC_STATE_PACKED, OC_STATE_SHIPPED,
					 OC_STATE_DELIVERED};
	static const uint8_t paid[4] = {OC_PAYMENT_AUTHORIZED, OC_PAYMENT_AUTHORIZED,
					OC_PAYMENT_CAPTURED, OC_PAYMENT_CAPTURED};
	for (unsigned i = 0; i < 4; i++) {
		a = ask1(c, pl_step(steps[i], O1, C1));
		expect_answer(&a, steps[i], OC_STATUS_ACCEPTED, 0, after[i], paid[i], amount1, 0);
		fulfil[nf++] = a;
	}
	/* Shipped: the units left W1 and W0. */
	expect_on_hand(c, RET_A, 1, RET_A_UNITS - 3, RET_A_UNITS - 3);
	expect_on_hand(c, RET_A, 0, 0, 0);

	/* RMAs refused: a SKU the order has not, more units than it has, another customer's
	 * order, a reason that is none; each changes nothing (the order stays delivered). */
	a = ask1(c, pl_rma(101, C1, O1, OC_RETURN_NOT_WANTED, RET_C, 1));
	expect_answer(&a, OC_CMD_RETURN_REQUESTED, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU,
		      OC_STATE_REJECTED, OC_PAYMENT_NONE, 0, 0);
	a = ask1(c, pl_rma(102, C1, O1, OC_RETURN_NOT_WANTED, RET_A, 4));
	expect_answer(&a, OC_CMD_RETURN_REQUESTED, OC_STATUS_REJECTED, OC_REJECT_BAD_QUANTITY,
		      OC_STATE_REJECTED, OC_PAYMENT_NONE, 0, 0);
	a = ask1(c, pl_rma(103, C2, O1, OC_RETURN_NOT_WANTED, RET_A, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	a = ask1(c, pl_rma(104, C1, O1, 0, RET_A, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_query_order(O1));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_DELIVERED,
		      OC_PAYMENT_CAPTURED, amount1, 0);
	/* The RMA: 2 of the 3 RET_A, worth them, going back to W1. */
	const struct oc_command ret = pl_rma(105, C1, O1, OC_RETURN_NOT_WANTED, RET_A, 2);
	struct oc_response opened = ask1(c, ret);
	expect_answer(&opened, OC_CMD_RETURN_REQUESTED, OC_STATUS_ACCEPTED, 0,
		      OC_STATE_RETURN_REQUESTED, OC_PAYMENT_NONE, 2 * RET_A_PRICE, 0);
	assert_int_equal(opened.key, 105);
	assert_int_equal(opened.customer, C1);
	assert_int_equal(opened.original_seq, opened.seq);
	assert_int_equal(opened.shipments, 1);
	assert_int_equal(opened.warehouse, 1);
	a = ask1(c, ret); /* a retry: the original answer */
	expect_answer(&a, OC_CMD_RETURN_REQUESTED, OC_STATUS_ACCEPTED, 0,
		      OC_STATE_RETURN_REQUESTED, OC_PAYMENT_NONE, 2 * RET_A_PRICE, 0);
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(a.original_seq, opened.seq);
	a = ask1(c, pl_query_order(O1));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_RETURN_REQUESTED,
		      OC_PAYMENT_CAPTURED, amount1, 0);
	/* While it is open: a second RMA, a refund, a replacement are refused. */
	a = ask1(c, pl_rma(106, C1, O1, OC_RETURN_DAMAGED, RET_B, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	a = ask1(c, pl_refund(107, C1, O1, 0));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	a = ask1(c, pl_replacement(108, C1, 0, O1, RET_A, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	/* Receipts refused: the order's key (not an RMA's), another customer, a flag that is
	 * none, a refused RMA. */
	a = ask1(c, pl_flagged_step(OC_CMD_RETURN_RECEIVED, O1, C1, OC_RETURN_RESTOCK));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	a = ask1(c, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 105, C2, OC_RETURN_RESTOCK));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	a = ask1(c, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 105, C1, 2));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_flagged_step(OC_CMD_RETURN_RECEIVED, 101, C1, OC_RETURN_RESTOCK));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	expect_on_hand(c, RET_A, 1, RET_A_UNITS - 3, RET_A_UNITS - 3);
	/* Received and restocked: back on hand and free in W1, where they shipped from. */
	const struct oc_command recv = pl_flagged_step(OC_CMD_RETURN_RECEIVED, 105, C1,
						    OC_RETURN_RESTOCK);
	struct oc_response received = ask1(c, recv);
	expect_answer(&received, OC_CMD_RETURN_RECEIVED, OC_STATUS_ACCEPTED, 0, OC_STATE_RETURNED,
		      OC_PAYMENT_NONE, 2 * RET_A_PRICE, 0);
	assert_int_equal(received.key, 105);
	assert_int_equal(received.original_seq, opened.seq);
	assert_int_equal(received.warehouse, 1);
	a = ask1(c, recv);
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	expect_stock_at(c, RET_A, 1, RET_A_UNITS - 1, 0);
	expect_stock_at(c, RET_A, 0, 0, 0);
	expect_on_hand(c, RET_A, 1, RET_A_UNITS - 1, RET_A_UNITS - 1);
	expect_on_hand(c, RET_A, 0, 0, 0);
	expect_on_hand(c, RET_B, 0, RET_B_UNITS - 4, RET_B_UNITS - 4);
	a = ask1(c, pl_query_order(O1));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_RETURNED,
		      OC_PAYMENT_CAPTURED, amount1, 0);
	/* The refund of what came back; the order stays returned. */
	a = ask1(c, pl_refund(109, C1, O1, 2 * RET_A_PRICE));
	expect_answer(&a, OC_CMD_REFUND, OC_STATUS_ACCEPTED, 0, OC_STATE_RETURNED,
		      OC_PAYMENT_REFUNDED, 2 * RET_A_PRICE, 2 * RET_A_PRICE);
	orders[no++] = a;
	/* An exchange: free, prepaid, allocated; a second replacement is refused. */
	a = ask1(c, pl_replacement(110, C1, 0, O1, RET_A, 1));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, 0, 0);
	orders[no++] = a;
	struct oc_command card = pl_replacement(111, C1, 0, O1, RET_A, 1);
	card.flags |= OC_PLACE_CARD;
	a = ask1(c, card);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_replacement(112, C1, 0, O1, RET_A, 1));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_REJECTED, OC_PAYMENT_NONE, 0, 0);
	expect_stock_at(c, RET_A, 1, RET_A_UNITS - 2, 1); /* the exchange holds one */
	a = ask1(c, pl_query_order(O1));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_RETURNED,
		      OC_PAYMENT_REFUNDED, amount1, 2 * RET_A_PRICE);
	/* Order 1's history: placed, the payment, four steps, the RMA, its receipt, the
	 * refund. */
	struct got g;
	ask(c, pl_query_history(O1), &g);
	static const uint8_t history[9] = {OC_CMD_PLACE,          OC_CMD_PAYMENT_AUTHORIZED,
					   OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					   OC_CMD_SHIPPED,        OC_CMD_DELIVERED,
					   OC_CMD_RETURN_REQUESTED, OC_CMD_RETURN_RECEIVED,
					   OC_CMD_REFUND};
	static const uint8_t states[9] = {OC_STATE_PAYMENT_PENDING, OC_STATE_ALLOCATED,
					  OC_STATE_PICKED,          OC_STATE_PACKED,
					  OC_STATE_SHIPPED,         OC_STATE_DELIVERED,
					  OC_STATE_RETURN_REQUESTED, OC_STATE_RETURNED,
					  OC_STATE_RETURNED};
	assert_int_equal(g.rows, 9);
	for (unsigned i = 0; i < 9; i++) {
		assert_int_equal(g.row[i].type, history[i]);
		assert_int_equal(g.row[i].state, states[i]);
	}
	assert_int_equal(g.row[0].original_seq, o1_seq);
	assert_int_equal(g.row[6].original_seq, opened.seq);
	assert_int_equal(g.row[7].original_seq, received.seq);
	assert_int_equal(g.row[8].amount_cents, 2 * RET_A_PRICE);

	/* Order 2: prepaid, shipped, lost in transit. */
	const uint64_t amount2 = 2 * RET_B_PRICE;
	a = ask1(c, place(O2, C2, RET_B, 2));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount2, 0);
	orders[no++] = a;
	for (unsigned i = 0; i < 3; i++) {
		if (i == 2) { /* packed: not shipped yet */
			a = ask1(c, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, O2, C2,
						 OC_EXCEPTION_LOST));
			expect_answer(&a, OC_CMD_DELIVERY_EXCEPTION, OC_STATUS_REJECTED,
				      OC_REJECT_INVALID_STATE, OC_STATE_PACKED, OC_PAYMENT_PREPAID,
				      amount2, 0);
		}
		a = ask1(c, pl_step(steps[i], O2, C2));
		expect_answer(&a, steps[i], OC_STATUS_ACCEPTED, 0, after[i], OC_PAYMENT_PREPAID,
			      amount2, 0);
		fulfil[nf++] = a;
	}
	a = ask1(c, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, O2, C2, 0)); /* lost or damaged? */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, O2, C2,
				 OC_EXCEPTION_LOST | OC_EXCEPTION_DAMAGED));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_replacement(201, C2, 0, O2, RET_B, 2)); /* shipped, no exception yet */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	const struct oc_command lost = pl_flagged_step(OC_CMD_DELIVERY_EXCEPTION, O2, C2,
						    OC_EXCEPTION_LOST);
	struct oc_response exception = ask1(c, lost);
	expect_answer(&exception, OC_CMD_DELIVERY_EXCEPTION, OC_STATUS_ACCEPTED, 0,
		      OC_STATE_EXCEPTION, OC_PAYMENT_PREPAID, amount2, 0);
	assert_int_equal(exception.key, O2);
	assert_int_equal(exception.customer, C2);
	fulfil[nf++] = exception;
	a = ask1(c, lost);
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	expect_answer(&a, OC_CMD_DELIVERY_EXCEPTION, OC_STATUS_ACCEPTED, 0, OC_STATE_EXCEPTION,
		      OC_PAYMENT_PREPAID, amount2, 0);
	a = ask1(c, pl_step(OC_CMD_DELIVERED, O2, C2));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	/* From exception an RMA may come (a damaged parcel sent back), for the order's SKUs. */
	a = ask1(c, pl_rma(202, C2, O2, OC_RETURN_DAMAGED, RET_A, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	/* A part refunded from exception; the order stays in exception. */
	a = ask1(c, pl_refund(203, C2, O2, 200));
	expect_answer(&a, OC_CMD_REFUND, OC_STATUS_ACCEPTED, 0, OC_STATE_EXCEPTION,
		      OC_PAYMENT_REFUNDED, 200, 200);
	orders[no++] = a;
	a = ask1(c, pl_refund(204, C2, O2, amount2)); /* more than is left */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_BAD_AMOUNT);
	/* The reshipment: free; nothing of it to refund. */
	struct oc_response reship = ask1(c, pl_replacement(205, C2, 0, O2, RET_B, 2));
	expect_answer(&reship, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, 0, 0);
	assert_int_equal(reship.warehouse, 0);
	orders[no++] = reship;
	a = ask1(c, pl_replacement(206, C2, 0, O2, RET_B, 2));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	a = ask1(c, pl_query_order(O2));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_EXCEPTION,
		      OC_PAYMENT_REFUNDED, amount2, 200);
	expect_stock_at(c, RET_B, 0, RET_B_UNITS - 4 - 2 - 2, 2);
	expect_on_hand(c, RET_B, 0, RET_B_UNITS - 4 - 2, RET_B_UNITS - 4 - 2 - 2);

	/* The subscribers: returns events are the RMA and its receipt, exactly; fulfilment the
	 * steps and the exception; orders and refunds the places, replacements and refunds. */
	struct oc_client_answer ev[32];
	uint32_t n = events_so_far(sub_returns, ev, 32);
	assert_int_equal(n, 2);
	assert_memory_equal(&ev[0].response, &opened, sizeof(opened));
	assert_memory_equal(&ev[1].response, &received, sizeof(received));
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(ev[i].correlation, 31);
		assert_int_equal(oc_proto_event_kind(&ev[i].response), OC_EVENT_RETURNS);
		assert_int_equal(ev[i].response.customer, C1);
	}
	n = events_so_far(sub_fulfil, ev, 32);
	assert_int_equal(n, nf);
	for (uint32_t i = 0; i < n; i++)
		assert_memory_equal(&ev[i].response, &fulfil[i], sizeof(fulfil[0]));
	assert_int_equal(ev[n - 1].response.type, OC_CMD_DELIVERY_EXCEPTION);
	assert_int_equal(ev[n - 1].response.state, OC_STATE_EXCEPTION);
	n = events_so_far(sub_orders, ev, 32);
	assert_int_equal(n, no);
	for (uint32_t i = 0; i < n; i++)
		assert_memory_equal(&ev[i].response, &orders[i], sizeof(orders[0]));
	oc_client_close(sub_returns);
	oc_client_close(sub_fulfil);
	oc_client_close(sub_orders);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- raw sockets, for what client.h would never send ---- */

static int raw_connect(const struct daemon *d)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(d->port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Reads until the server closes (or 5 s); returns the error code of the error frame it sent
 * first, 0 when it closed without one. */
static int raw_outcome(int fd)
{
	uint8_t buf[4096];
	size_t have = 0;
	for (int i = 0; i < 250; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	size_t at = 0;
	while (at < have) { /* skip a welcome: the error follows it */
		struct oc_proto_header h;
		int n = oc_proto_frame_check(buf + at, have - at, &h);
		if (n <= 0)
			return -1;
		if (h.type == OC_MSG_ERROR) {
			struct oc_proto_error_body e;
			assert_int_equal(oc_proto_decode_error(buf + at, &e), 0);
			return e.code;
		}
		at += (size_t)n;
	}
	return 0;
}

static int raw_case(const struct daemon *d, bool hello, const void *bytes, size_t n)
{
	int fd = raw_connect(d);
	uint8_t h[64];
	if (hello) {
		size_t k = oc_proto_encode_hello(h, sizeof(h), 1, TOKEN, strlen(TOKEN));
		assert_int_equal(send(fd, h, k, MSG_NOSIGNAL), (ssize_t)k);
	}
	if (n)
		assert_int_equal(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
	shutdown(fd, SHUT_WR);
	return raw_outcome(fd);
}

static void header(uint8_t *b, uint32_t len, uint8_t version, uint8_t type)
{
	memset(b, 0, 32);
	uint32_t len_le = htole32(len);
	memcpy(b, &len_le, 4);
	b[4] = version;
	b[5] = type;
}

/* ---- the pack's quality check ---- */

/* The pack's quality check end to end over the daemon (frame 46). Order 300 (prepaid, 2
 * RET_B): a failed check refused while allocated; picked; two failed checks, each accepted
 * with the order still picked (not duplicates: the parcel is packed again each time); the
 * pack (packed), its repeat (duplicate); a failed check of the packed order refused
 * invalid_state (it is not a retry of the pack) and one with a bit the engine does not know
 * malformed. A fulfilment subscriber gets the pick, both failed checks and the pack, exactly;
 * the history has a row per failed check (type pack, state picked). A 46 without flags is a
 * field error. After a restart (the log replayed) the order is packed and its history the
 * same. */
static void test_pack_quality_check_over_the_wire(void **state)
{
	char data[1200];
	snprintf(data, sizeof(data), "%s/data_qc", scratch);
	struct daemon d;
	daemon_start_on(&d, returns_dataset, data, NULL);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_FULFILMENT, 41, &from_seq, 0), 0);
	enum { C = 70, O = 300 };
	const uint64_t amount = 2 * RET_B_PRICE;
	const struct oc_command qc = pl_flagged_step(OC_CMD_PACK_CONFIRMED, O, C, OC_PACK_QC_FAILED);
	struct oc_response fulfil[8];
	uint32_t nf = 0;
	struct oc_response a = ask1(c, place(O, C, RET_B, 2));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount, 0);
	const uint64_t placed_seq = a.seq;
	a = ask1(c, qc); /* not picked yet */
	expect_answer(&a, OC_CMD_PACK_CONFIRMED, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_ALLOCATED, OC_PAYMENT_PREPAID, amount, 0);
	a = ask1(c, pl_step(OC_CMD_PICK_CONFIRMED, O, C));
	expect_answer(&a, OC_CMD_PICK_CONFIRMED, OC_STATUS_ACCEPTED, 0, OC_STATE_PICKED,
		      OC_PAYMENT_PREPAID, amount, 0);
	fulfil[nf++] = a;
	uint64_t failed_seq[2];
	for (unsigned i = 0; i < 2; i++) {
		a = ask1(c, qc);
		expect_answer(&a, OC_CMD_PACK_CONFIRMED, OC_STATUS_ACCEPTED, 0, OC_STATE_PICKED,
			      OC_PAYMENT_PREPAID, amount, 0);
		assert_int_equal(a.flags, 0); /* a failed check is not a duplicate */
		assert_int_equal(a.key, O);
		assert_int_equal(a.customer, C);
		assert_int_equal(a.original_seq, placed_seq);
		failed_seq[i] = a.seq;
		fulfil[nf++] = a;
	}
	a = ask1(c, pl_step(OC_CMD_PACK_CONFIRMED, O, C));
	expect_answer(&a, OC_CMD_PACK_CONFIRMED, OC_STATUS_ACCEPTED, 0, OC_STATE_PACKED,
		      OC_PAYMENT_PREPAID, amount, 0);
	assert_int_equal(a.flags, 0);
	const uint64_t packed_seq = a.seq;
	fulfil[nf++] = a;
	a = ask1(c, pl_step(OC_CMD_PACK_CONFIRMED, O, C));
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	expect_answer(&a, OC_CMD_PACK_CONFIRMED, OC_STATUS_ACCEPTED, 0, OC_STATE_PACKED,
		      OC_PAYMENT_PREPAID, amount, 0);
	a = ask1(c, qc); /* packed: a failed check now is not a retry of the pack */
	expect_answer(&a, OC_CMD_PACK_CONFIRMED, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_PACKED, OC_PAYMENT_PREPAID, amount, 0);
	a = ask1(c, pl_flagged_step(OC_CMD_PACK_CONFIRMED, O, C, OC_PACK_QC_FAILED | 0x2));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_flagged_step(OC_CMD_PACK_CONFIRMED, 301, C, OC_PACK_QC_FAILED));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);

	/* The fulfilment events: the pick, the two failed checks, the pack; no refusal, no
	 * repeat. */
	expect_events_exactly(sub, 41, OC_EVENT_FULFILMENT, fulfil, nf);

	/* A frame 46 without flags says nothing a 26 does not: a field error, then the close. */
	uint8_t b[64];
	size_t k = oc_proto_encode_command(b, sizeof(b), 1, &qc);
	assert_int_equal(k, 16 + 24);
	assert_int_equal(b[5], OC_MSG_PACK_CHECKED);
	memset(b + 16 + 16, 0, 4);
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_FIELD);

	/* The history: placed, picked, the failed checks (type pack, state picked), packed; and
	 * the same after a restart that replays the log. */
	static const uint8_t types[5] = {OC_CMD_PLACE, OC_CMD_PICK_CONFIRMED, OC_CMD_PACK_CONFIRMED,
					 OC_CMD_PACK_CONFIRMED, OC_CMD_PACK_CONFIRMED};
	static const uint8_t states[5] = {OC_STATE_ALLOCATED, OC_STATE_PICKED, OC_STATE_PICKED,
					  OC_STATE_PICKED, OC_STATE_PACKED};
	for (unsigned run = 0; run < 2; run++) {
		if (run == 1) {
			oc_client_close(sub);
			oc_client_close(c);
			assert_int_equal(daemon_stop(&d), 0);
			daemon_start_on(&d, returns_dataset, data, NULL);
			c = client(&d, NULL);
		}
		struct got g;
		ask(c, pl_query_history(O), &g);
		expect_answer(&g.answer, OC_CMD_QUERY_HISTORY, OC_STATUS_ACCEPTED, 0,
			      OC_STATE_PACKED, OC_PAYMENT_PREPAID, amount, 0);
		assert_int_equal(g.rows, 5);
		for (unsigned i = 0; i < 5; i++) {
			assert_int_equal(g.row[i].type, types[i]);
			assert_int_equal(g.row[i].state, states[i]);
			assert_int_equal(g.row[i].status, OC_STATUS_ACCEPTED);
		}
		assert_int_equal(g.row[0].original_seq, placed_seq);
		assert_int_equal(g.row[2].original_seq, failed_seq[0]);
		assert_int_equal(g.row[3].original_seq, failed_seq[1]);
		assert_int_equal(g.row[4].original_seq, packed_seq);
	}
	a = ask1(c, pl_step(OC_CMD_SHIPPED, O, C)); /* packed, as before the restart */
	expect_answer(&a, OC_CMD_SHIPPED, OC_STATUS_ACCEPTED, 0, OC_STATE_SHIPPED,
		      OC_PAYMENT_PREPAID, amount, 0);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- short picks ---- */

/* Short picks (frame 51) over the daemon, on the returns dataset with a data_dir. Order 400
 * (3 RET_D, from one warehouse w): 2 missing at w are re-routed to the other (shipments 2,
 * nothing cut; the units leave w's on hand, the other holds them); a retry answers the first;
 * picked, a short pick is too late (invalid_state). Order 410 (4 RET_B, only in W0): 3 missing
 * are cut (their value refunded: the order's refunded_cents after), then the last one (the
 * order cancelled, wholly refunded). Order 420 (2 RET_B) refuses a short pick at W1, which holds
 * none of it (unknown_sku), of a SKU not in it, of more units than it holds or none
 * (bad_quantity), twice the same SKU, at a warehouse that does not exist, of another customer,
 * changing nothing. A fulfilment subscriber gets the three short picks done and the pick,
 * nothing else; a 51 with its reserved byte set is a field error; the orders' histories, with
 * their short picks, are the same after a restart. */
static void test_short_picks_over_the_wire(void **state)
{
	char data[1200];
	snprintf(data, sizeof(data), "%s/data_short", scratch);
	struct daemon d;
	daemon_start_on(&d, returns_dataset, data, NULL);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_FULFILMENT, 51, &from_seq, 0), 0);
	enum { C1 = 80, C2 = 81, C3 = 82, O1 = 400, O2 = 410, O3 = 420 };
	const uint64_t amount1 = 3 * RET_D_PRICE, amount2 = 4 * RET_B_PRICE;
	struct oc_response fulfil[8];
	uint32_t nf = 0;

	/* Re-routed: 2 of the 3 RET_D missing at w go to the other warehouse. */
	struct oc_response a = ask1(c, place(O1, C1, RET_D, 3));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount1, 0);
	assert_int_equal(a.shipments, 1);
	const uint16_t w = a.warehouse, other = (uint16_t)(1 - w);
	const struct oc_command moved = pl_short_pick(401, C1, O1, w, RET_D, 2);
	struct oc_response rerouted = ask1(c, moved);
	expect_answer(&rerouted, OC_CMD_PICK_SHORT, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_NONE, 0, 0); /* nothing cut */
	assert_int_equal(rerouted.key, 401);
	assert_int_equal(rerouted.customer, C1);
	assert_int_equal(rerouted.original_seq, rerouted.seq);
	assert_int_equal(rerouted.shipments, 2);
	assert_int_equal(rerouted.warehouse, w);
	fulfil[nf++] = rerouted;
	a = ask1(c, moved); /* a retry: the original answer, nothing moved again */
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_NONE, 0, 0);
	assert_int_equal(a.original_seq, rerouted.seq);
	expect_stock_at(c, RET_D, w, RET_D_UNITS - 3, 1);
	expect_stock_at(c, RET_D, other, RET_D_UNITS - 2, 2);
	expect_on_hand(c, RET_D, w, RET_D_UNITS - 2, RET_D_UNITS - 3);
	expect_on_hand(c, RET_D, other, RET_D_UNITS, RET_D_UNITS - 2);
	a = ask1(c, pl_query_order(O1));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount1, 0);
	assert_int_equal(a.shipments, 2);
	a = ask1(c, pl_step(OC_CMD_PICK_CONFIRMED, O1, C1)); /* whole again: picked */
	expect_answer(&a, OC_CMD_PICK_CONFIRMED, OC_STATUS_ACCEPTED, 0, OC_STATE_PICKED,
		      OC_PAYMENT_PREPAID, amount1, 0);
	fulfil[nf++] = a;
	a = ask1(c, pl_short_pick(402, C1, O1, other, RET_D, 1));
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_PICKED, OC_PAYMENT_NONE, 0, 0);

	/* Cut: RET_B is nowhere else; 3 of 4 missing, then the last. */
	a = ask1(c, place(O2, C2, RET_B, 4));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount2, 0);
	assert_int_equal(a.warehouse, 0);
	a = ask1(c, pl_short_pick(411, C2, O2, 0, RET_B, 3));
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_NONE, 3 * RET_B_PRICE, 0);
	assert_int_equal(a.shipments, 1);
	fulfil[nf++] = a;
	a = ask1(c, pl_query_order(O2));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_REFUNDED, amount2, 3 * RET_B_PRICE);
	expect_stock_at(c, RET_B, 0, RET_B_UNITS - 4, 1);
	expect_on_hand(c, RET_B, 0, RET_B_UNITS - 3, RET_B_UNITS - 4);
	a = ask1(c, pl_short_pick(412, C2, O2, 0, RET_B, 1)); /* the last unit: nothing left */
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_ACCEPTED, 0, OC_STATE_CANCELLED,
		      OC_PAYMENT_NONE, RET_B_PRICE, 0);
	assert_int_equal(a.shipments, 0);
	fulfil[nf++] = a;
	a = ask1(c, pl_query_order(O2));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_CANCELLED, 0, OC_STATE_CANCELLED,
		      OC_PAYMENT_REFUNDED, amount2, amount2);

	/* Refusals change nothing. */
	a = ask1(c, place(O3, C3, RET_B, 2));
	pl_expect(&a, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	a = ask1(c, pl_short_pick(421, C3, O3, 1, RET_B, 1)); /* W1 holds none of it */
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU,
		      OC_STATE_ALLOCATED, OC_PAYMENT_NONE, 0, 0);
	a = ask1(c, pl_short_pick(422, C3, O3, 0, RET_C, 1)); /* not in the order */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_SKU);
	a = ask1(c, pl_short_pick(423, C3, O3, 0, RET_B, 3)); /* it holds 2 */
	expect_answer(&a, OC_CMD_PICK_SHORT, OC_STATUS_REJECTED, OC_REJECT_BAD_QUANTITY,
		      OC_STATE_ALLOCATED, OC_PAYMENT_NONE, 0, 0);
	a = ask1(c, pl_short_pick(424, C3, O3, 0, RET_B, 0));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_BAD_QUANTITY);
	struct oc_command twice = pl_short_pick(425, C3, O3, 0, RET_B, 1);
	pl_line_add(&twice, RET_B, 1);
	a = ask1(c, twice);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_DUPLICATE_SKU);
	a = ask1(c, pl_short_pick(426, C3, O3, 2, RET_B, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_REGION);
	a = ask1(c, pl_short_pick(427, C2, O3, 0, RET_B, 1)); /* another customer's order */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	a = ask1(c, pl_query_order(O3));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, 2 * RET_B_PRICE, 0);
	expect_stock_at(c, RET_B, 0, RET_B_UNITS - 4 - 2, 2); /* 4 cut, 2 held */
	expect_on_hand(c, RET_B, 0, RET_B_UNITS - 4, RET_B_UNITS - 4 - 2);

	/* The fulfilment events: the re-route, the pick, the two cuts; no retry, no refusal. */
	expect_events_exactly(sub, 51, OC_EVENT_FULFILMENT, fulfil, nf);

	/* A 51 with an RMA's reason byte (reserved in a short pick): a field error. */
	uint8_t b[128];
	size_t k = oc_proto_encode_command(b, sizeof(b), 1, &moved);
	assert_int_equal(k, 16 + 32 + 16);
	assert_int_equal(b[5], OC_MSG_PICK_SHORT);
	b[16 + 24] = OC_RETURN_OTHER;
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_FIELD);

	/* The histories, before and after a restart that replays the log: order 400 placed,
	 * picked short (still allocated), picked; order 410 placed, picked short twice (then
	 * cancelled). */
	static const uint8_t types1[3] = {OC_CMD_PLACE, OC_CMD_PICK_SHORT, OC_CMD_PICK_CONFIRMED};
	static const uint8_t states1[3] = {OC_STATE_ALLOCATED, OC_STATE_ALLOCATED, OC_STATE_PICKED};
	static const uint8_t types2[3] = {OC_CMD_PLACE, OC_CMD_PICK_SHORT, OC_CMD_PICK_SHORT};
	static const uint8_t states2[3] = {OC_STATE_ALLOCATED, OC_STATE_ALLOCATED,
					   OC_STATE_CANCELLED};
	for (unsigned run = 0; run < 2; run++) {
		if (run == 1) {
			oc_client_close(sub);
			oc_client_close(c);
			assert_int_equal(daemon_stop(&d), 0);
			daemon_start_on(&d, returns_dataset, data, NULL);
			c = client(&d, NULL);
		}
		struct got g1, g2;
		ask(c, pl_query_history(O1), &g1);
		ask(c, pl_query_history(O2), &g2);
		assert_int_equal(g1.rows, 3);
		assert_int_equal(g2.rows, 3);
		for (unsigned i = 0; i < 3; i++) {
			assert_int_equal(g1.row[i].type, types1[i]);
			assert_int_equal(g1.row[i].state, states1[i]);
			assert_int_equal(g2.row[i].type, types2[i]);
			assert_int_equal(g2.row[i].state, states2[i]);
		}
		assert_int_equal(g1.row[1].original_seq, rerouted.seq);
		assert_int_equal(g1.answer.shipments, 2);
		expect_answer(&g2.answer, OC_CMD_QUERY_HISTORY, OC_STATUS_CANCELLED, 0,
			      OC_STATE_CANCELLED, OC_PAYMENT_REFUNDED, amount2, amount2);
		expect_stock_at(c, RET_D, other, RET_D_UNITS - 2, 2);
	}
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- B2B credit ---- */

/* A place of qty units of sku on account (OC_PLACE_ACCOUNT). */
static struct oc_command on_account(uint64_t key, uint64_t customer, uint64_t sku, uint32_t qty)
{
	struct oc_command c = place(key, customer, sku, qty);
	c.flags = OC_PLACE_ACCOUNT;
	return c;
}

/* Orders on account over the daemon (frames 16 and 52), on the dataset's credit lines, with a
 * data_dir. Customer CREDIT_C (10000 cents of credit; SKU + 1 at 250): orders accepted while
 * they fit (payment on_account), one over refused credit_limit (and so answered again); the
 * first paid (payment paid, the state unchanged; a repeat done before), which gives its room
 * back to the next; the second cancelled unpaid (payment voided) and then not payable
 * (invalid_state), its room back too, to the cent; a prepaid order not payable; a card on
 * account malformed; no credit line, or one of 0, refused but for a free order. Subscribers:
 * every kind gets exactly the accepted places, the payment and the cancel; fulfilment the
 * payment alone. The first order's history has its payment; after a restart the balance is
 * what it was (full, until a payment gives room). */
static void test_credit_over_the_wire(void **state)
{
	char data[1200];
	snprintf(data, sizeof(data), "%s/data_credit", scratch);
	struct daemon d;
	daemon_start(&d, data, NULL);
	struct oc_client *c = client(&d, NULL), *all = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	/* Every kind that says what was done: rejected places (OC_EVENT_REJECTS) are not. */
	assert_int_equal(oc_client_subscribe(all, OC_EVENT_ALL & ~OC_EVENT_REJECTS, 61, &from_seq,
					     0),
			 0);
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_FULFILMENT, 62, &from_seq, 0), 0);
	enum { K1 = 600, K2, K3, K4, K5, K6, K7, K8, K9, K10, K11, K12, K13 };
	enum { NONE = 902, PREPAID = 903 };
	const uint64_t sku = SKU + 1;
	struct oc_response events[8], paid;
	uint32_t ne = 0;

	/* 4000, then 5000 (owed 9000); 1250 more is over the limit. */
	struct oc_response a = ask1(c, on_account(K1, CREDIT_C, sku, 16));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, 16 * PRICE, 0);
	events[ne++] = a;
	const uint64_t k1_seq = a.seq;
	a = ask1(c, on_account(K2, CREDIT_C, sku, 20));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, 20 * PRICE, 0);
	events[ne++] = a;
	const struct oc_command over = on_account(K3, CREDIT_C, sku, 5);
	struct oc_response refused = ask1(c, over);
	expect_answer(&refused, OC_CMD_PLACE, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT,
		      OC_STATE_REJECTED, OC_PAYMENT_NONE, 0, 0);
	a = ask1(c, over);
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	assert_int_equal(a.original_seq, refused.seq);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	/* No credit line, or one of 0: refused, but for a free order (SKU is free). */
	a = ask1(c, on_account(K4, NONE, sku, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	a = ask1(c, on_account(K5, CREDIT_C0, sku, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	a = ask1(c, on_account(K6, CREDIT_C0, SKU, 1));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, 0, 0);
	events[ne++] = a;

	/* The first paid: its state stays, its 4000 of room come back (owed 5000); once more,
	 * done before. */
	paid = ask1(c, pl_step(OC_CMD_PAYMENT_RECEIVED, K1, CREDIT_C));
	expect_answer(&paid, OC_CMD_PAYMENT_RECEIVED, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PAID, 16 * PRICE, 0);
	assert_int_equal(paid.key, K1);
	assert_int_equal(paid.customer, CREDIT_C);
	assert_int_equal(paid.original_seq, k1_seq);
	events[ne++] = paid;
	a = ask1(c, pl_step(OC_CMD_PAYMENT_RECEIVED, K1, CREDIT_C));
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	expect_answer(&a, OC_CMD_PAYMENT_RECEIVED, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PAID, 16 * PRICE, 0);
	a = ask1(c, on_account(K7, CREDIT_C, sku, 5)); /* what was refused fits now (6250) */
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, 5 * PRICE, 0);
	events[ne++] = a;

	/* The second cancelled unpaid: void, its 5000 back (owed 1250); it cannot be paid. */
	a = ask1(c, pl_cancel(K2, CREDIT_C));
	expect_answer(&a, OC_CMD_CANCEL, OC_STATUS_CANCELLED, 0, OC_STATE_CANCELLED,
		      OC_PAYMENT_VOIDED, 20 * PRICE, 0);
	events[ne++] = a;
	a = ask1(c, pl_step(OC_CMD_PAYMENT_RECEIVED, K2, CREDIT_C));
	expect_answer(&a, OC_CMD_PAYMENT_RECEIVED, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_CANCELLED, OC_PAYMENT_VOIDED, 20 * PRICE, 0);
	/* Not on account: a prepaid order is not paid this way; a card is not on account. */
	a = ask1(c, place(K8, PREPAID, sku, 1));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, PRICE, 0);
	events[ne++] = a;
	a = ask1(c, pl_step(OC_CMD_PAYMENT_RECEIVED, K8, PREPAID));
	expect_answer(&a, OC_CMD_PAYMENT_RECEIVED, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_ALLOCATED, OC_PAYMENT_PREPAID, PRICE, 0);
	struct oc_command card = on_account(K9, CREDIT_C, sku, 1);
	card.flags |= OC_PLACE_CARD;
	a = ask1(c, card);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	/* 1250 owed: 8750 fit to the cent, then nothing priced. */
	a = ask1(c, on_account(K10, CREDIT_C, sku, (CREDIT_LIMIT - 5 * PRICE) / PRICE));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, CREDIT_LIMIT - 5 * PRICE, 0);
	events[ne++] = a;
	const struct oc_command full = on_account(K11, CREDIT_C, sku, 1);
	a = ask1(c, full);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);

	/* Events: every kind, the places accepted, the payment and the cancel; fulfilment, the
	 * payment alone. */
	expect_events_exactly(all, 61, 0, events, ne);
	assert_int_equal(oc_proto_event_kind(&events[3]), OC_EVENT_FULFILMENT);
	assert_int_equal(oc_proto_event_kind(&events[5]), OC_EVENT_CANCELS);
	expect_events_exactly(sub, 62, OC_EVENT_FULFILMENT, &paid, 1);

	/* The first order's history has its payment, a transition that keeps its state; after a
	 * restart that replays the log, the same, and the balance is full until a payment. */
	for (unsigned run = 0; run < 2; run++) {
		if (run == 1) {
			oc_client_close(sub);
			oc_client_close(all);
			oc_client_close(c);
			assert_int_equal(daemon_stop(&d), 0);
			daemon_start(&d, data, NULL);
			c = client(&d, NULL);
		}
		struct got g;
		ask(c, pl_query_history(K1), &g);
		assert_int_equal(g.rows, 2);
		assert_int_equal(g.row[0].type, OC_CMD_PLACE);
		assert_int_equal(g.row[1].type, OC_CMD_PAYMENT_RECEIVED);
		assert_int_equal(g.row[1].original_seq, paid.seq);
		assert_int_equal(g.row[1].state, OC_STATE_ALLOCATED);
		expect_answer(&g.answer, OC_CMD_QUERY_HISTORY, OC_STATUS_ACCEPTED, 0,
			      OC_STATE_ALLOCATED, OC_PAYMENT_PAID, 16 * PRICE, 0);
	}
	a = ask1(c, on_account(K12, CREDIT_C, sku, 1));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	a = ask1(c, pl_step(OC_CMD_PAYMENT_RECEIVED, K7, CREDIT_C)); /* 1250 of room */
	expect_answer(&a, OC_CMD_PAYMENT_RECEIVED, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PAID, 5 * PRICE, 0);
	a = ask1(c, on_account(K13, CREDIT_C, sku, 5));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_ON_ACCOUNT, 5 * PRICE, 0);
	a = ask1(c, full); /* still the refusal it was */
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_CREDIT_LIMIT);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- the fraud screening ---- */

/* A screened place of qty SCR_SKU (card: paid by card) by a buyer who gives only an e-mail
 * (NULL: none), the countries, the postal code and the account's age. */
static struct oc_command screened(uint64_t key, uint64_t customer, uint32_t qty, bool card,
				  const char *email, const char *bill, const char *ship,
				  const char *postal, uint16_t age_days)
{
	struct oc_command c = pl_screened(place(key, customer, SCR_SKU, qty),
					  pl_screen(email, NULL, NULL, bill, ship, postal, age_days));
	c.flags |= card ? OC_PLACE_CARD : 0;
	return c;
}

/* A place that the screening holds for review (billing GB, shipping US: country_mismatch,
 * 30; an account of a day and 6000 cents: new_account, 40; 70 in all), answered on_hold with
 * the higher rule; by card, payment none: nothing is asked of the card before the review. */
static struct oc_response place_held(struct oc_client *c, uint64_t key, uint64_t customer,
				     bool card)
{
	struct oc_response a = ask1(c, screened(key, customer, 2, card, NULL, "GB", "US", "94105",
						1));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
		      OC_STATE_ON_HOLD, card ? OC_PAYMENT_NONE : OC_PAYMENT_PREPAID,
		      2 * SCR_PRICE, 0);
	return a;
}

/* A held order nobody reviews: with --review-ttl-ms the daemon's tick cancels it on time, a
 * cancels event nobody asked for (reason review_expired), its units free again. */
static void test_review_deadline_over_the_wire(void **state)
{
	(void)state;
	struct daemon d;
	static const char *const ttl[] = {"--review-ttl-ms", "200", NULL};
	daemon_start_on(&d, screening_dataset, NULL, ttl);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_CANCELS, 53, &from_seq, 0), 0);
	struct oc_response held = place_held(c, 1, 101, false);
	struct oc_client_answer ev[1];
	expect_events(sub, ev, 1); /* waits for it: no command needed, the tick brings it */
	assert_int_equal(ev[0].correlation, 53);
	assert_int_equal(ev[0].response.flags, OC_RESPONSE_UNSOLICITED);
	assert_int_equal(ev[0].response.key, 1);
	assert_int_equal(ev[0].response.original_seq, held.seq);
	assert_int_equal(ev[0].response.customer, 101);
	pl_expect(&ev[0].response, OC_STATUS_CANCELLED, OC_REJECT_REVIEW_EXPIRED);
	assert_true(ev[0].response.ts_ms >= held.ts_ms + 200);
	struct oc_response a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 1, 101));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	expect_stock_at(c, SCR_SKU, 0, SCR_UNITS, 0);
	oc_client_close(sub);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* The document events a subscriber got before the answer to a query it sends now (as
 * events_so_far), each of kind documents. */
static uint32_t documents_so_far(struct oc_client *sub, struct oc_response *out, uint32_t max)
{
	struct oc_client_answer ev[64];
	uint32_t n = events_so_far(sub, ev, 64);
	assert_true(n <= max);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(oc_proto_event_kind(&ev[i].response), OC_EVENT_DOCUMENTS);
		assert_true(ev[i].response.flags & OC_RESPONSE_DOCUMENT);
		out[i] = ev[i].response;
	}
	return n;
}

/* Carriers, documents and waves end to end over the daemon (--wave-orders-max 2, a dataset
 * with carriers.csv and rates.csv). Two orders fill a wave: their answers carry no rows, the
 * pick list (in bin order) reaches the documents subscriber as unsolicited events; a pick
 * before the release is invalid_state. A pack's packing slip and label come as its rows and as
 * events; a shipment's invoice too. An order asking for 1 day whose parcel is too heavy for
 * next day is refused no_carrier at the pack. Query rows are not document events. */
static void test_documents_and_waves_over_the_wire(void **state)
{
	(void)state;
	struct daemon d;
	static const char *const waves[] = {"--wave-orders-max", "2", "--wave-cutoff-ms",
					    "3600000", "--wave-express-cutoff-ms", "3600000", NULL};
	daemon_start_on(&d, documents_dataset, NULL, waves);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	assert_int_equal(oc_client_subscribe(sub, OC_EVENT_DOCUMENTS, 77, &from_seq, 0), 0);
	struct oc_command o1 = place(1, 11, DOC_A, 1), o2 = place(2, 12, DOC_B, 2);
	struct got g;
	ask(c, o1, &g);
	assert_int_equal(g.rows, 0);
	expect_answer(&g.answer, OC_CMD_PLACE, OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		      OC_STATE_ALLOCATED, OC_PAYMENT_PREPAID, 1000, 0);
	pl_expect(&g.answer, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	struct oc_response a = ask1(c, pl_step(OC_CMD_PICK_CONFIRMED, 1, 11));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	ask(c, o2, &g);
	assert_int_equal(g.rows, 0); /* the pick list is nobody's answer */
	uint64_t seq2 = g.answer.seq;
	struct oc_response docs[64];
	assert_int_equal(documents_so_far(sub, docs, 64), 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(docs[i].flags, OC_RESPONSE_ROW | OC_RESPONSE_DOCUMENT |
							OC_RESPONSE_UNSOLICITED);
		assert_int_equal(docs[i].seq, seq2);
		assert_int_equal(docs[i].warehouse, 0);
	}
	assert_int_equal(OC_DOC_KIND(&docs[0]), OC_DOC_PICK_LINE); /* bin A-07-2 */
	assert_int_equal(docs[0].key, 2);
	assert_int_equal(docs[0].original_seq, DOC_B);
	assert_int_equal(OC_DOC_LINE_QUANTITY(&docs[0]), 2);
	assert_int_equal(docs[0].state, OC_STATE_RELEASED);
	assert_int_equal(OC_DOC_KIND(&docs[1]), OC_DOC_PICK_LINE); /* bin B-01-1 */
	assert_int_equal(docs[1].key, 1);
	assert_int_equal(docs[1].original_seq, DOC_A);
	assert_int_equal(OC_DOC_KIND(&docs[2]), OC_DOC_WAVE);
	assert_int_equal(docs[2].original_seq, 1);
	assert_int_equal(docs[2].amount_cents, (uint64_t)2 << 32 | 2);

	/* Released: picked, then packed with its slip and label, as rows and as events. */
	a = ask1(c, pl_step(OC_CMD_PICK_CONFIRMED, 1, 11));
	expect_answer(&a, OC_CMD_PICK_CONFIRMED, OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		      OC_STATE_PICKED, OC_PAYMENT_PREPAID, 1000, 0);
	ask(c, pl_step(OC_CMD_PACK_CONFIRMED, 1, 11), &g);
	assert_int_equal(g.rows, 2);
	assert_int_equal(OC_DOC_KIND(&g.row[0]), OC_DOC_SLIP_LINE);
	assert_int_equal(g.row[0].original_seq, DOC_A);
	assert_int_equal(OC_DOC_KIND(&g.row[1]), OC_DOC_LABEL);
	assert_int_not_equal(g.row[1].original_seq, 0);
	assert_int_equal(g.row[1].amount_cents, 700); /* ground, zone 1, 500 g */
	assert_int_equal(OC_LABEL_WEIGHT_G(&g.row[1]), 500);
	assert_int_equal(OC_LABEL_ZONE(&g.row[1]), 1);
	assert_int_equal(g.answer.state, OC_STATE_PACKED);
	assert_int_equal(documents_so_far(sub, docs, 64), 2);
	assert_memory_equal(docs, g.row, 2 * sizeof(docs[0]));
	ask(c, pl_step(OC_CMD_SHIPPED, 1, 11), &g);
	assert_int_equal(g.rows, 1);
	assert_int_equal(OC_DOC_KIND(&g.row[0]), OC_DOC_INVOICE_LINE);
	assert_int_equal(g.row[0].refunded_cents, 1000);
	expect_answer(&g.answer, OC_CMD_SHIPPED, OC_STATUS_ACCEPTED, OC_REJECT_NONE,
		      OC_STATE_SHIPPED, OC_PAYMENT_PREPAID, 1000, 0);
	assert_int_equal(documents_so_far(sub, docs, 64), 1);
	assert_memory_equal(docs, g.row, sizeof(docs[0]));

	/* Next day asked for, 4 kg: next day takes 1 kg at most, so no service. */
	struct oc_command heavy = place(3, 13, DOC_B, 2);
	heavy.flags = OC_PLACE_DAYS(1);
	struct oc_command filler = place(4, 14, DOC_A, 1);
	ask(c, heavy, &g);
	ask(c, filler, &g); /* fills the wave */
	assert_int_equal(documents_so_far(sub, docs, 64), 3);
	ask1(c, pl_step(OC_CMD_PICK_CONFIRMED, 3, 13));
	a = ask1(c, pl_step(OC_CMD_PACK_CONFIRMED, 3, 13));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_NO_CARRIER);
	assert_int_equal(a.state, OC_STATE_PICKED);
	/* Query rows are not documents: no event. */
	ask(c, pl_query_history(1), &g);
	assert_true(g.rows >= 5);
	assert_int_equal(documents_so_far(sub, docs, 64), 0);
	oc_client_close(sub);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* The fraud screening end to end over the daemon (frames 47-50), on a dataset with
 * screening and a data_dir. A clean screened place is allocated; one held for review
 * (country_mismatch and new_account: on_hold, reason new_account) keeps its stock; approved
 * it is allocated (a card's: payment_pending, then authorized), a repeat is done before and a
 * rejection then invalid_state; another, rejected, is cancelled with its money and its stock
 * back at once. A blocked e-mail (in any case, with dots), a shipping country not served and a
 * postal code not in the country's format are rejected (blocked, unserviceable, bad_address).
 * A block list change blocks an e-mail and another takes it off again; one with no kind is
 * malformed. Events: the holds are orders events, the approvals fulfilment ones, the
 * rejection a cancel, the block list changes blocks events, exactly; refusals none. A 47
 * whose postal code has a byte after its NUL, and a place (16) with the screen flag, are
 * field errors. After a restart an order still held is on_hold with its rule and can be
 * approved, and an e-mail blocked before it is still blocked. Without screening a screened
 * place and a block list change are not_enabled. */
static void test_screening_over_the_wire(void **state)
{
	char data[1200];
	snprintf(data, sizeof(data), "%s/data_screening", scratch);
	struct daemon d;
	daemon_start_on(&d, screening_dataset, data, NULL);
	struct oc_client *c = client(&d, NULL), *sub = client(&d, NULL);
	uint64_t from_seq;
	const uint32_t kinds = OC_EVENT_ORDERS | OC_EVENT_CANCELS | OC_EVENT_FULFILMENT |
			       OC_EVENT_BLOCKS;
	assert_int_equal(oc_client_subscribe(sub, kinds, 47, &from_seq, 0), 0);
	const uint64_t amount = 2 * SCR_PRICE;
	struct oc_response events[16], a;
	uint32_t ne = 0;
	/* Clean: same countries, a good postal code, an old account. */
	a = ask1(c, screened(1, 101, 1, false, "ann@example.com", "US", "US", "94105", 400));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, SCR_PRICE, 0);
	events[ne++] = a;
	/* Held, then approved: allocated; a repeat is done before, a rejection too late. */
	events[ne++] = place_held(c, 2, 102, false);
	expect_stock_at(c, SCR_SKU, 0, SCR_UNITS - 3, 3); /* a hold keeps its units */
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 2, 102));
	expect_answer(&a, OC_CMD_REVIEW_APPROVE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount, 0);
	events[ne++] = a;
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 2, 102));
	assert_true(a.flags & OC_RESPONSE_DUPLICATE);
	expect_answer(&a, OC_CMD_REVIEW_APPROVE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount, 0);
	a = ask1(c, pl_step(OC_CMD_REVIEW_REJECT, 2, 102));
	expect_answer(&a, OC_CMD_REVIEW_REJECT, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE,
		      OC_STATE_ALLOCATED, OC_PAYMENT_PREPAID, amount, 0);
	/* A card order held, approved: its authorization is asked (payment_pending). */
	events[ne++] = place_held(c, 3, 103, true);
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 3, 103));
	expect_answer(&a, OC_CMD_REVIEW_APPROVE, OC_STATUS_ACCEPTED, 0, OC_STATE_PAYMENT_PENDING,
		      OC_PAYMENT_PENDING, amount, 0);
	events[ne++] = a;
	a = ask1(c, pl_step(OC_CMD_PAYMENT_AUTHORIZED, 3, 103));
	expect_answer(&a, OC_CMD_PAYMENT_AUTHORIZED, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_AUTHORIZED, amount, 0);
	events[ne++] = a;
	/* Held, then rejected: cancelled, paid back, its units free again at once. */
	events[ne++] = place_held(c, 4, 104, false);
	expect_stock_at(c, SCR_SKU, 0, SCR_UNITS - 7, 7);
	a = ask1(c, pl_step(OC_CMD_REVIEW_REJECT, 4, 104));
	expect_answer(&a, OC_CMD_REVIEW_REJECT, OC_STATUS_ACCEPTED, 0, OC_STATE_CANCELLED,
		      OC_PAYMENT_REFUNDED, amount, amount);
	events[ne++] = a;
	expect_stock_at(c, SCR_SKU, 0, SCR_UNITS - 5, 5);
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 4, 104));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 1, 101)); /* never held */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_INVALID_STATE);
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 99, 101));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_UNKNOWN_ORDER);
	/* Rejected whatever the score: the block list (hashed as the client hashes: case and
	 * dots do not count), a country not served, a postal code not the country's. */
	static const struct {
		const char *email, *ship, *postal;
		uint8_t reason;
	} refused[] = {{"Fraud@Example.com", "US", "94105", OC_REJECT_BLOCKED},
		       {"fraud@example.com.", "US", "94105", OC_REJECT_BLOCKED},
		       {NULL, "JP", "100-0001", OC_REJECT_UNSERVICEABLE},
		       {NULL, "US", "ABC", OC_REJECT_BAD_ADDRESS}};
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		a = ask1(c, screened(10 + i, 110 + i, 1, false, refused[i].email, refused[i].ship,
				     refused[i].ship, refused[i].postal, 400));
		expect_answer(&a, OC_CMD_PLACE, OC_STATUS_REJECTED, refused[i].reason,
			      OC_STATE_REJECTED, OC_PAYMENT_NONE, 0, 0);
	}
	/* The block list changed by operator 9: eve blocked, then not. */
	a = ask1(c, pl_block(9, OC_BLOCK_EMAIL, "eve@example.com"));
	expect_answer(&a, OC_CMD_BLOCK, OC_STATUS_ACCEPTED, 0, 0, OC_PAYMENT_NONE, 0, 0);
	assert_int_equal(a.customer, 9);
	events[ne++] = a;
	a = ask1(c, screened(20, 120, 1, false, "eve@example.com", "US", "US", "94105", 400));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	a = ask1(c, pl_block(9, OC_BLOCK_EMAIL | OC_BLOCK_REMOVE, "eve@example.com"));
	expect_answer(&a, OC_CMD_BLOCK, OC_STATUS_ACCEPTED, 0, 0, OC_PAYMENT_NONE, 0, 0);
	events[ne++] = a;
	a = ask1(c, screened(21, 120, 1, false, "eve@example.com", "US", "US", "94105", 400));
	expect_answer(&a, OC_CMD_PLACE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, SCR_PRICE, 0);
	events[ne++] = a;
	a = ask1(c, pl_block(9, 0, "eve@example.com")); /* no kind: the engine's malformed */
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_MALFORMED);
	a = ask1(c, pl_block(9, OC_BLOCK_EMAIL, "mallory@example.com")); /* for the restart */
	events[ne++] = a;
	struct oc_response held = place_held(c, 5, 105, false); /* still held at the restart */
	events[ne++] = held;

	/* The events, exactly: no refusal, no repeat. */
	expect_events_exactly(sub, 47, 0, events, ne);
	assert_int_equal(oc_proto_event_kind(&events[1]), OC_EVENT_ORDERS);
	assert_int_equal(oc_proto_event_kind(&events[2]), OC_EVENT_FULFILMENT);
	assert_int_equal(oc_proto_event_kind(&events[7]), OC_EVENT_CANCELS);
	assert_int_equal(oc_proto_event_kind(&events[8]), OC_EVENT_BLOCKS);

	/* Frames whose flags or padding say more than the command can: field errors. */
	uint8_t b[OC_PROTO_FRAME_BYTES_MAX];
	struct oc_command cmd = screened(30, 130, 1, false, NULL, "US", "US", "94105", 400);
	size_t k = oc_proto_encode_command(b, sizeof(b), 1, &cmd);
	assert_int_equal(b[5], OC_MSG_PLACE_SCREENED);
	b[16 + 54 + 8] = '1'; /* the postal code's padding */
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_FIELD);
	cmd = place(30, 130, SCR_SKU, 1);
	k = oc_proto_encode_command(b, sizeof(b), 1, &cmd);
	b[16 + 20] = OC_PLACE_SCREEN;
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_FIELD);

	/* A restart replays the log: the hold and the block list are as they were. */
	oc_client_close(sub);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
	daemon_start_on(&d, screening_dataset, data, NULL);
	c = client(&d, NULL);
	a = ask1(c, pl_query_order(5));
	expect_answer(&a, OC_CMD_QUERY_ORDER, OC_STATUS_ACCEPTED, OC_REJECT_NEW_ACCOUNT,
		      OC_STATE_ON_HOLD, OC_PAYMENT_PREPAID, amount, 0);
	assert_int_equal(a.original_seq, held.seq);
	a = ask1(c, pl_step(OC_CMD_REVIEW_APPROVE, 5, 105));
	expect_answer(&a, OC_CMD_REVIEW_APPROVE, OC_STATUS_ACCEPTED, 0, OC_STATE_ALLOCATED,
		      OC_PAYMENT_PREPAID, amount, 0);
	a = ask1(c, screened(31, 131, 1, false, "mallory@example.com", "US", "US", "94105", 400));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_BLOCKED);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);

	/* Without screening (no fraud.csv): not_enabled. */
	daemon_start(&d, NULL, NULL);
	c = client(&d, NULL);
	a = ask1(c, pl_screened(place(40, 140, SKU + 1, 1),
				pl_screen(NULL, NULL, NULL, "US", "US", "94105", 400)));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_NOT_ENABLED);
	a = ask1(c, pl_block(9, OC_BLOCK_EMAIL, "eve@example.com"));
	pl_expect(&a, OC_STATUS_REJECTED, OC_REJECT_NOT_ENABLED);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_bad_input_gets_an_error_and_spares_the_others(void **state)
{
	struct daemon d;
	static const char *const token[] = {"--token", TOKEN, "--hello-timeout-ms", "500", NULL};
	daemon_start(&d, NULL, token);
	struct oc_client *good = client(&d, TOKEN);
	uint8_t b[2 * OC_PROTO_FRAME_BYTES_MAX];
	static const uint32_t lengths[] = {0, 15, OC_PROTO_FRAME_BYTES_MAX + 1, UINT32_MAX};
	for (unsigned i = 0; i < 4; i++) {
		header(b, lengths[i], OC_PROTO_VERSION, OC_MSG_PLACE);
		assert_int_equal(raw_case(&d, true, b, 16), OC_PERR_FRAME_LENGTH);
	}
	/* max - 1 and max: in range, but no place is that long: body length. */
	for (uint32_t len = OC_PROTO_FRAME_BYTES_MAX - 1; len <= OC_PROTO_FRAME_BYTES_MAX; len++) {
		memset(b, 0, sizeof(b));
		header(b, len, OC_PROTO_VERSION, OC_MSG_PLACE);
		assert_int_equal(raw_case(&d, true, b, len), OC_PERR_BODY_LENGTH);
	}
	header(b, 32, OC_PROTO_VERSION, 99);
	assert_int_equal(raw_case(&d, true, b, 32), OC_PERR_TYPE);
	header(b, 32, 1, OC_MSG_CANCEL); /* the version before */
	assert_int_equal(raw_case(&d, true, b, 32), OC_PERR_VERSION);
	/* A subscribe with a kind that does not exist; a frame only a server sends. */
	size_t k = oc_proto_encode_subscribe(b, sizeof(b), 1, OC_EVENT_ALL + 1);
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_FIELD);
	struct oc_response fake = {.seq = 1, .type = OC_CMD_PLACE};
	k = oc_proto_encode_event(b, sizeof(b), 1, &fake);
	assert_int_equal(raw_case(&d, true, b, k), OC_PERR_TYPE);
	/* A place whose line count disagrees with its length. */
	struct oc_command cmd = place(5, 5, SKU + 1, 1);
	size_t n = oc_proto_encode_command(b, sizeof(b), 1, &cmd);
	b[16 + 18] = 2;
	assert_int_equal(raw_case(&d, true, b, n), OC_PERR_BODY_LENGTH);
	/* No hello first; a bad token. */
	n = oc_proto_encode_command(b, sizeof(b), 1, &cmd);
	assert_int_equal(raw_case(&d, false, b, n), OC_PERR_HANDSHAKE);
	n = oc_proto_encode_hello(b, sizeof(b), 1, "wrong", 5);
	assert_int_equal(raw_case(&d, false, b, n), OC_PERR_TOKEN);
	/* Silence: no hello within the daemon's hello timeout (500 ms here). */
	int quiet = raw_connect(&d);
	assert_int_equal(raw_outcome(quiet), OC_PERR_HANDSHAKE);
	/* A truncated frame, then the client goes: no answer, no error, just the close. */
	n = oc_proto_encode_command(b, sizeof(b), 1, &cmd);
	assert_int_equal(raw_case(&d, true, b, n - 3), 0);
	/* The good client never noticed. */
	struct oc_command ok[2] = {place(900, 9, SKU + 1, 1), pl_cancel(900, 9)};
	struct oc_response r[2];
	round_trip(good, ok, 2, r);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	pl_expect(&r[1], OC_STATUS_CANCELLED, OC_REJECT_NONE);
	oc_client_close(good);
	assert_int_equal(daemon_stop(&d), 0);
	/* The daemon said what happened, one line per connection. */
	char cmdline[1400];
	snprintf(cmdline, sizeof(cmdline), "grep -c 'connection closing' '%s' >/dev/null", d.log);
	assert_int_equal(system(cmdline), 0);
}

/* Frames cut anywhere: a raw client sends a hello and 300 commands of three sizes in chunks of
 * 1 to 60 bytes, pausing between them, so the server's receives end inside headers and
 * bodies and it must carry the cut frames over (server.c, input_keep); then it reads every
 * answer, in order. */
static void test_frames_cut_anywhere_are_read_whole(void **state)
{
	struct daemon d;
	daemon_start(&d, NULL, NULL);
	int fd = raw_connect(&d);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	enum { N = 300 };
	static uint8_t b[N * 64 + 64];
	size_t n = oc_proto_encode_hello(b, sizeof(b), 1, NULL, 0);
	for (uint32_t i = 0; i < N; i++) {
		struct oc_command c = i % 3 == 0 ? place(10000 + i, 5, SKU + 1, 1)
				      : i % 3 == 1 ? pl_cancel(10000 + i - 1, 5)
						   : pl_query_stock(SKU + 1);
		n += oc_proto_encode_command(b + n, sizeof(b) - n, i, &c);
	}
	uint64_t rng = 12345;
	for (size_t sent = 0; sent < n;) {
		size_t k = 1 + oc_rand_below(&rng, 60);
		k = k < n - sent ? k : n - sent;
		assert_int_equal(send(fd, b + sent, k, MSG_NOSIGNAL), (ssize_t)k);
		sent += k;
		usleep(200);
	}
	/* The welcome, then N answers in order. */
	static uint8_t in[N * (16 + OC_PROTO_ANSWER_BODY_BYTES) + 64];
	size_t have = 0, want = 16 + OC_PROTO_WELCOME_BODY_BYTES +
				(size_t)N * (16 + OC_PROTO_ANSWER_BODY_BYTES);
	for (int i = 0; i < 500 && have < want; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		ssize_t k = recv(fd, in + have, sizeof(in) - have, 0);
		assert_true(k > 0);
		have += (size_t)k;
	}
	assert_int_equal(have, want);
	size_t at = 16 + OC_PROTO_WELCOME_BODY_BYTES;
	for (uint32_t i = 0; i < N; i++) {
		struct oc_proto_header h;
		assert_int_equal(oc_proto_frame_check(in + at, have - at, &h),
				 16 + OC_PROTO_ANSWER_BODY_BYTES);
		assert_int_equal(h.type, OC_MSG_ANSWER);
		assert_int_equal(h.correlation, i);
		struct oc_response r;
		assert_int_equal(oc_proto_decode_answer(in + at, &r), 0);
		assert_int_equal(r.status, i % 3 == 1 ? OC_STATUS_CANCELLED : OC_STATUS_ACCEPTED);
		at += 16 + OC_PROTO_ANSWER_BODY_BYTES;
	}
	close(fd);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_client_that_stops_reading_is_disconnected(void **state)
{
	struct daemon d;
	static const char *const cap[] = {"--output-bytes-max", "4096", NULL};
	daemon_start(&d, NULL, cap);
	/* A raw client with a small receive buffer sends many orders and never reads. */
	int slow = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(slow, (struct sockaddr *)&a, sizeof(a)), 0);
	static uint8_t b[8 << 20]; /* more answers than the kernel's socket buffers hold */
	size_t n = oc_proto_encode_hello(b, sizeof(b), 1, NULL, 0);
	struct oc_command cmd = place(1, 1, SKU + 1, 1);
	while (n + 64 < sizeof(b)) { /* 150,000 orders of 1 unit: ~7 MB of answers */
		cmd.key++;
		n += oc_proto_encode_command(b + n, sizeof(b) - n, cmd.key, &cmd);
	}
	int flags = MSG_NOSIGNAL | MSG_DONTWAIT;
	size_t sent = 0;
	for (int i = 0; i < 500 && sent < n; i++) { /* until the server stops reading us */
		ssize_t k = send(slow, b + sent, n - sent, flags);
		if (k > 0)
			sent += (size_t)k;
		else if (k < 0 && (errno == EPIPE || errno == ECONNRESET))
			break; /* disconnected */
		else
			usleep(10000);
	}
	/* Meanwhile a reading client is served. */
	struct oc_client *c = client(&d, NULL);
	struct oc_command ok[1] = {place(5000000, 77, SKU + 1, 1)};
	struct oc_response r[1];
	round_trip(c, ok, 1, r);
	pl_expect(&r[0], OC_STATUS_ACCEPTED, OC_REJECT_NONE);
	oc_client_close(c);
	close(slow);
	assert_int_equal(daemon_stop(&d), 0);
	char cmdline[1400];
	snprintf(cmdline, sizeof(cmdline), "grep -q 'slow_disconnects=1 ' '%s'", d.log);
	if (system(cmdline) != 0)
		fail_msg("no slow consumer was disconnected; see %s", d.log);
}

static void test_thousand_connections(void **state)
{
	enum { CONNS = 1000 };
	struct daemon d;
	static const char *const many[] = {"--connections-max", "1100", NULL};
	daemon_start(&d, NULL, many);
	static struct oc_client *c[CONNS];
	for (uint32_t i = 0; i < CONNS; i++)
		c[i] = client(&d, NULL);
	for (uint32_t i = 0; i < CONNS; i++) {
		struct oc_command cmd = place(10000 + i, 1 + i, SKU + 1, 1);
		assert_int_equal(oc_client_queue(c[i], &cmd, i), 0);
		assert_int_equal(oc_client_flush(c[i], 1), 0);
	}
	for (uint32_t i = 0; i < CONNS; i++) {
		struct oc_client_answer a;
		int m = oc_client_receive(c[i], &a, 1, 1);
		if (m != 1)
			fail_msg("connection %u: %d %s", i, m, oc_client_error(c[i]));
		assert_int_equal(a.correlation, i);
		pl_expect(&a.response, OC_STATUS_ACCEPTED, OC_REJECT_NONE);
		oc_client_close(c[i]);
	}
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_stop_and_start_keep_every_acknowledged_order(void **state)
{
	char data[1200];
	snprintf(data, sizeof(data), "%s/data", scratch);
	struct daemon d;
	daemon_start(&d, data, NULL);
	enum { N = 5000 };
	static struct oc_command cmds[N];
	static struct oc_response first[N], again[N];
	for (uint32_t i = 0; i < N; i++) /* the SKU with 50 units: most are rejected */
		cmds[i] = place(70000 + i, 1 + i % 300, i % 3 ? SKU + 1 : SKU, 1);
	struct oc_client *c = client(&d, NULL);
	round_trip(c, cmds, N, first);
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);

	daemon_start(&d, data, NULL);
	c = client(&d, NULL);
	assert_true(oc_client_last_seq(c) >= N);
	round_trip(c, cmds, N, again);
	for (uint32_t i = 0; i < N; i++) {
		assert_true(again[i].flags & OC_RESPONSE_DUPLICATE);
		assert_int_equal(again[i].status, first[i].status);
		assert_int_equal(again[i].reason, first[i].reason);
		assert_int_equal(again[i].original_seq, first[i].seq);
	}
	oc_client_close(c);
	assert_int_equal(daemon_stop(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_places_cancels_and_retries),
	    cmocka_unit_test(test_stock_changes_and_events),
	    cmocka_unit_test(test_history_over_the_wire),
	    cmocka_unit_test(test_customer_orders_by_pages),
	    cmocka_unit_test(test_pipelined_rows_reach_the_right_connection),
	    cmocka_unit_test(test_inventory_administration_over_the_wire),
	    cmocka_unit_test(test_exceptions_and_returns_over_the_wire),
	    cmocka_unit_test(test_pack_quality_check_over_the_wire),
	    cmocka_unit_test(test_short_picks_over_the_wire),
	    cmocka_unit_test(test_credit_over_the_wire),
	    cmocka_unit_test(test_screening_over_the_wire),
	    cmocka_unit_test(test_review_deadline_over_the_wire),
	    cmocka_unit_test(test_documents_and_waves_over_the_wire),
	    cmocka_unit_test(test_bad_input_gets_an_error_and_spares_the_others),
	    cmocka_unit_test(test_frames_cut_anywhere_are_read_whole),
	    cmocka_unit_test(test_client_that_stops_reading_is_disconnected),
	    cmocka_unit_test(test_thousand_connections),
	    cmocka_unit_test(test_stop_and_start_keep_every_acknowledged_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
