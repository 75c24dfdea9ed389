/* main.c: ordercore-cli, a terminal client of ordercored. It owns nothing but one connection
 * (client.h) for one command: place (a replacement, or a place screened for fraud, too),
 * cancel, order (by sequence number or key), an order's history, a customer's orders, stock
 * (in all or one warehouse), restock (receive), write-off, a cycle count (adjust), safety
 * stock, a SKU's reconciliation over every warehouse, the payment and fulfilment steps (a
 * pack whose quality check failed too; an order on account paid: paid), a short pick
 * (short-pick), a held order's review (approve or reject), a block list change (block), a
 * delivery exception, an RMA (return), its receipt (received) or its cancel, refund, stats,
 * the engine's counters (counters); or it follows the event stream (events); or, in top
 * (cli/top.c), it draws a live view of the daemon from its admin endpoint. It prints the
 * answer (and a query's rows) readably or as one JSON object (--json), and says with its exit
 * status whether it worked: 0 done (a rejected order is an answer too), 1 the order or SKU
 * does not exist, 2 a usage or connection error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/analytics.h"
#include "ordercore/client.h"
#include "top.h"

static const char usage[] =
	"usage: ordercore-cli [--connect HOST:PORT] [--token SECRET] [--json] COMMAND ...\n"
	"\n"
	"Commands:\n"
	"  place --key K --customer C [--region R] [--card|--account] [--replaces OK]\n"
	"        [--days N] [--channel NAME] SKU:QTY ...\n"
	"                          place an order (up to 16 lines; R is the region's id: its\n"
	"                          place in the sorted list of the dataset's regions, default 0;\n"
	"                          --card: it waits for its payment, else it is prepaid;\n"
	"                          --account: on account (B2B: invoiced, paid later with paid;\n"
	"                          payment on_account), rejected (credit_limit) unless customer\n"
	"                          C's credit line (the dataset's credit.csv) has room for it;\n"
	"                          --replaces OK: a free replacement (not by card, nor on\n"
	"                          account) of customer C's order OK, in exception (a\n"
	"                          reshipment) or returned (an exchange); one per order;\n"
	"                          --days N: its parcels go by the cheapest carrier service\n"
	"                          taking at most N days, 1-7 (the dataset's carriers.csv;\n"
	"                          default: any speed; a replacement ships at its order's);\n"
	"                          --channel: web, app, phone, store or marketplace, for the\n"
	"                          analytics (a replacement keeps its order's))\n"
	"  place ... --screen [--email TEXT] [--card-fp TEXT] [--address TEXT]\n"
	"        [--bill-country CC] [--ship-country CC] [--postal CODE] [--account-age-days N]\n"
	"                          a place screened for fraud (the daemon's dataset has\n"
	"                          fraud.csv, else: rejected (not_enabled); not with\n"
	"                          --replaces); each of these options implies --screen. The\n"
	"                          e-mail, the card's fingerprint and the shipping address are\n"
	"                          sent as hashes (oc_screen_hash: letters in lower case,\n"
	"                          spaces, tabs, commas and periods left out); CC: two\n"
	"                          upper-case letters (ISO 3166-1); CODE: the shipping postal\n"
	"                          code, up to 10 letters, digits, spaces and '-'; N: 0-65535.\n"
	"                          Answered accepted, accepted on_hold with the rule that held\n"
	"                          it (\"on_hold (new_account)\": review it), or rejected with\n"
	"                          the rule (blocked, bad_address, unserviceable, or a score:\n"
	"                          customer_velocity, card_velocity, address_velocity,\n"
	"                          amount_history, country_mismatch, new_account)\n"
	"  review --key K --customer C approve|reject\n"
	"                          decide the order held for review: approve moves it on\n"
	"                          (allocated; payment_pending with --card: its authorization\n"
	"                          is asked), reject cancels it (its stock and money go back);\n"
	"                          rejected invalid_state unless it is on_hold\n"
	"  block --operator O --email TEXT|--card-fp TEXT|--address TEXT [--remove]\n"
	"                          put the value (hashed as place --screen hashes it) on the\n"
	"                          screening's block list, or take it off with --remove: a\n"
	"                          screened place with it is then rejected (blocked), or no\n"
	"                          longer; rejected (not_enabled) without screening\n"
	"  cancel --key K --customer C\n"
	"                          cancel the order placed with key K by customer C, or the RMA\n"
	"                          with key K while its goods have not come back (the customer\n"
	"                          keeps them; the order goes back to delivered or exception and\n"
	"                          may get another RMA): \"cancelled: return N, value 20.00\"\n"
	"  picked|packed|shipped|delivered --key K --customer C\n"
	"                          move the order on one fulfilment step (docs/lifecycle.md);\n"
	"                          with waves (ordercored --wave-orders-max) picked wants the\n"
	"                          order released. With carriers (the dataset's carriers.csv),\n"
	"                          packed prints each parcel's packing slip (\"slip\" lines, in\n"
	"                          bin order) and label (\"label\": tracking number, service -\n"
	"                          its row in carriers.csv from 0 -, zone, days, weight, cost)\n"
	"                          before the answer, or is rejected (no_carrier) when no\n"
	"                          service takes a parcel in time; shipped prints the invoice\n"
	"                          (\"invoice\" lines; the total is the answer's amount)\n"
	"  packed --key K --customer C --qc-failed\n"
	"                          the packed parcel failed its quality check: the order stays\n"
	"                          picked, to be packed again (answered \"picked (QC failed)\";\n"
	"                          rejected invalid_state unless the order is picked)\n"
	"  short-pick --key K --customer C --order OK --warehouse W [--backorder] SKU:MISSING ...\n"
	"                          the picker at warehouse W (its index) found fewer units than\n"
	"                          customer C's allocated order OK holds there: MISSING units of\n"
	"                          each SKU (at most what the order holds of it at W; up to 16\n"
	"                          lines) leave W's on hand; each line is allocated again at the\n"
	"                          other warehouses that have its units free, nearest first, or\n"
	"                          with --backorder kept, waiting for the next receipts of the\n"
	"                          SKU (restock, count up, restocked return; oldest first; its\n"
	"                          pick is refused backordered until then), or else cut from the\n"
	"                          order (its value paid back, or less to capture by card; an\n"
	"                          order left with nothing is cancelled). K is the short pick's\n"
	"                          own key (a retry is answered from the first). Its answer: the\n"
	"                          order's warehouses and state after it, the value cut and the\n"
	"                          units backordered (\"short pick 31, 2 shipments, first\n"
	"                          warehouse 0, allocated, cut 0.00, backordered 2\"); rejected\n"
	"                          invalid_state unless the order is allocated (released, with\n"
	"                          waves)\n"
	"  authorized|declined --key K --customer C\n"
	"                          the payment provider's answer for a --card order\n"
	"  paid --key K --customer C\n"
	"                          customer C paid its order K placed --account: payment paid,\n"
	"                          the state unchanged, what it owed leaves its open balance\n"
	"                          (room for more orders on account); rejected invalid_state\n"
	"                          for an order not on account or cancelled\n"
	"  refund --key K --customer C ORDER_KEY [AMOUNT_CENTS]\n"
	"                          pay back AMOUNT_CENTS (default: all not refunded yet) of the\n"
	"                          order placed with key ORDER_KEY by customer C, once delivered,\n"
	"                          in exception or returned; K is the refund's own key (a retry\n"
	"                          with it is answered from the first)\n"
	"  exception --key K --customer C lost|damaged\n"
	"                          the carrier lost or damaged the shipped order K: it moves to\n"
	"                          exception (then a refund, or a place --replaces K)\n"
	"  return --key RMA --customer C --order K --reason REASON SKU:QTY ...\n"
	"                          open a return (an RMA, with its own key) of units of customer\n"
	"                          C's order K, delivered or in exception (a damaged parcel sent\n"
	"                          back); up to 16 lines, each at most what the order has; one\n"
	"                          RMA at a time (another once it is cancelled). REASON: damaged,\n"
	"                          wrong-item, not-wanted or other. Its answer: its state, its\n"
	"                          value (the units at the catalog's prices) and the warehouses\n"
	"                          they go back to (those they shipped from)\n"
	"  received --key RMA --customer C [--restock]\n"
	"                          the RMA came back and was inspected: --restock puts its units\n"
	"                          back on hand and on sale where they shipped from; without it\n"
	"                          they are disposed of. RMA and order are then returned (a\n"
	"                          refund, or a place --replaces K, follows)\n"
	"  order SEQ               an order by its sequence number (the seq of its answer)\n"
	"  order --key K           an order by the key it was placed with\n"
	"  history --key K         the order placed with key K: a line per change of its state\n"
	"                          or its money, oldest first (when, in UTC; the command's\n"
	"                          sequence number and type, \"packed (QC failed)\" for a failed\n"
	"                          quality check, \"short pick\"; the state after it, a hold's\n"
	"                          with the rule that held it; a refund's amount, a short pick's\n"
	"                          value cut), then the order as order --key K prints it (the\n"
	"                          last 32 changes at most)\n"
	"  orders --customer C [--before KEY]\n"
	"                          the orders of customer C, newest first, 32 at most (a line\n"
	"                          each, as order --key prints it, with its key and the time of\n"
	"                          its last change); --before KEY: those placed before the order\n"
	"                          with key KEY, the next page (the last line says how to ask).\n"
	"                          The daemon must keep the customers' index (ordercored\n"
	"                          --customer-index 1), else: rejected (not_enabled)\n"
	"  stock SKU [--warehouse W]\n"
	"                          units available and allocated (at warehouse W: units free\n"
	"                          there and held there by orders)\n"
	"  restock|receive --key K --operator O --warehouse W SKU QTY\n"
	"                          add QTY units of SKU to warehouse W (its index: its line in\n"
	"                          warehouses.csv, from 0): stock received; sellable shortly\n"
	"                          after\n"
	"  write-off --key K --operator O --warehouse W SKU QTY\n"
	"                          remove QTY units no order holds from warehouse W\n"
	"  adjust --key K --operator O --warehouse W --expected E SKU COUNTED\n"
	"                          a cycle count: COUNTED units of SKU (0 allowed) were counted\n"
	"                          in warehouse W, whose on hand was E (as reconcile, or stock\n"
	"                          --warehouse as free + allocated, showed it); more counted are\n"
	"                          added, fewer removed (out_of_stock when fewer are free there);\n"
	"                          rejected (stale_count) when its on hand is not E any more:\n"
	"                          read it, count again, send it with a new key\n"
	"                          (a stock change is idempotent by K, as an order is)\n"
	"  safety --operator O SKU UNITS\n"
	"                          the safety stock of SKU: orders may not take its last UNITS\n"
	"                          units available (over all warehouses; a write-off may); 0: none\n"
	"  reconcile SKU           a line per warehouse (its index): units on hand, free (no order\n"
	"                          holds them), allocated (held by orders not yet picked), picked\n"
	"                          (by picked and packed orders), and whether on hand is free +\n"
	"                          allocated + picked; then the totals, the units available to\n"
	"                          sell (the inventory shard's count: free units less those given\n"
	"                          back or received moments ago) and the safety stock\n"
	"  stats                   the daemon's counters (connections, commands, answers...)\n"
	"  counters                the engine's counters of decided commands (route's: accepted,\n"
	"                          cancelled, duplicates, ..., rejected_REASON and held_RULE for\n"
	"                          each reason), as of the query's place in the command stream,\n"
	"                          a line each: \"name value\" (--json: one object)\n"
	"  events [--kinds LIST] [--count N]\n"
	"                          print every decided command of these kinds, whoever sent\n"
	"                          it, as it happens (LIST: orders,cancels,stock,fulfilment,\n"
	"                          refunds,returns,blocks,documents,rejects; default all;\n"
	"                          documents: packing slips, labels, invoices and the pick\n"
	"                          lists of the waves released (\"pick\" lines, then \"wave N\n"
	"                          released\"), a line each; rejects: places refused, with their\n"
	"                          reason; orders: replacements and orders held for review too;\n"
	"                          stock: restocks, write-offs, cycle counts, safety stocks;\n"
	"                          fulfilment: the steps (failed quality checks and short picks\n"
	"                          too, one that cut every unit included), payments\n"
	"                          (authorized, declined, paid), delivery exceptions and\n"
	"                          reviews approved; cancels: RMAs cancelled and reviews\n"
	"                          rejected too; returns: RMAs opened and received; blocks:\n"
	"                          block list changes), until N were printed (default: until\n"
	"                          the daemon stops)\n"
	"                          (a daemon older than the documents or rejects kinds refuses\n"
	"                          all: name --kinds)\n"
	"  analytics [--count N] [--seconds S] [--handling-cents H]\n"
	"                          follow the orders, fulfilment, documents and rejects events\n"
	"                          for N events or S seconds (default: until the daemon stops),\n"
	"                          then print, per channel (place --channel) and in all: orders\n"
	"                          placed, rejected and held (and by reason), shipped, the cycle\n"
	"                          time from placing to shipment (p50, p90, p99: the upper\n"
	"                          bounds of power-of-two buckets of ms; only orders placed\n"
	"                          while it follows), pick accuracy (short picks in picks), pack\n"
	"                          accuracy (failed quality checks in packs) and the fulfilment\n"
	"                          cost per order packed (the labels' carrier prices, plus H\n"
	"                          cents a packed line, default 50), and a histogram of the cycle\n"
	"                          times (--json: one object)\n"
	OC_TOP_USAGE
	"\n"
	"An order's answer carries its payment state, its amount and the amount refunded so\n"
	"far, in currency units (\"payment captured, amount 12.34, refunded 0.00\"; on\n"
	"account: \"payment on_account\", then \"payment paid\"; a card order held for review:\n"
	"\"payment none\", nothing asked of the card yet; --json: \"payment\",\n"
	"\"amount_cents\", \"refunded_cents\"); a refund's answer has the refund's\n"
	"amount and the order's refunded total after it; an RMA's (return, received) its state,\n"
	"its value and its warehouses (\"return 14, 1 warehouse, first warehouse 1,\n"
	"return_requested, value 20.00\"); a short pick's the order's warehouses and state\n"
	"after it and the value cut (--json: \"amount_cents\").\n"
	"\n"
	"Options:\n"
	"  --connect HOST:PORT     the daemon's order port (default 127.0.0.1:7411; top reads\n"
	"                          the admin endpoint instead: top --admin)\n"
	"  --token SECRET          the daemon's shared secret, if it has one (ordercored\n"
	"                          --token); top sends it to the admin endpoint. Default: the\n"
	"                          environment's ORDERCORE_TOKEN, which, unlike a flag, other\n"
	"                          users cannot read in the process list\n"
	"  --json                  print the answer as one JSON object (history and orders: with\n"
	"                          their rows in an array, \"history\" or \"orders\", and\n"
	"                          \"more\"; a failed quality check's history row has\n"
	"                          \"qc_failed\": true; reconcile: its rows in \"warehouses\";\n"
	"                          a safety stock's answer and event: \"available\" and\n"
	"                          \"safety\" after it, no money fields; packed and shipped:\n"
	"                          their documents in \"documents\"; a document event: an\n"
	"                          object with \"document\": slip, label, invoice, pick, wave)\n"
	"\n"
	"Exit status: 0 when the command was answered (a rejected order included) or N events\n"
	"were printed, 1 when the order or SKU does not exist, 2 on a usage or connection error\n"
	"(events: also when the connection ends first). top: 0 after N screens or Ctrl-C, 2 when\n"
	"its first scrape fails.\n";

static _Noreturn void usage_error(const char *what)
{
	fprintf(stderr, "ordercore-cli: %s\n%s", what, usage);
	exit(2);
}

/* A whole number in decimal digits only: strtoull alone would take leading blanks and a
 * sign (" -1" as 2^64 - 1). */
static uint64_t number(const char *what, const char *text)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || text[0] < '0' || text[0] > '9' || *end) {
		fprintf(stderr, "ordercore-cli: %s: not a whole number: '%s'\n", what, text);
		exit(2);
	}
	return v;
}

/* The subcommands' own flags (after the command word). */
struct sub_flags {
	uint64_t key, customer, operator, region, warehouse, count, before, expected, order,
		replaces, days, seconds, handling_cents, channel;
	uint32_t kinds, reason; /* reason: enum oc_return_reason, 0: none given */
	/* has_*: the flag was given, whatever its value (0 included) */
	bool has_key, has_customer, has_operator, has_warehouse, has_expected, has_order, card,
		account, restock, has_replaces, qc_failed, remove, has_handling, backorder;
	/* A screened place's: --screen or any of its options given; the buyer's texts (also a
	 * block list change's values), hashed by command_of; the rest, checked, in screen. */
	bool screen;
	const char *email, *card_fp, *address;
	struct oc_screen screen_fields;
};

#define KINDS_ERROR                                                                            \
	"--kinds: one or more of orders, cancels, stock, fulfilment, refunds, returns, blocks, " \
	"documents, rejects"
#define REASON_ERROR "--reason: damaged, wrong-item, not-wanted or other"

/* A --kinds list: names separated by commas. */
static uint32_t event_kinds(char *list)
{
	static const struct { const char *name; uint32_t kind; } names[] = {
		{"orders", OC_EVENT_ORDERS}, {"cancels", OC_EVENT_CANCELS}, {"stock", OC_EVENT_STOCK},
		{"fulfilment", OC_EVENT_FULFILMENT}, {"refunds", OC_EVENT_REFUNDS},
		{"returns", OC_EVENT_RETURNS}, {"blocks", OC_EVENT_BLOCKS},
		{"documents", OC_EVENT_DOCUMENTS}, {"rejects", OC_EVENT_REJECTS}};
	uint32_t kinds = 0;
	for (char *save, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		uint32_t k = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(w, names[i].name) == 0)
				k = names[i].kind;
		if (!k)
			usage_error(KINDS_ERROR);
		kinds |= k;
	}
	if (!kinds)
		usage_error(KINDS_ERROR);
	return kinds;
}

/* A --reason word: its enum oc_return_reason. */
static uint32_t return_reason(const char *word)
{
	static const char *const names[] = {[OC_RETURN_DAMAGED] = "damaged",
					    [OC_RETURN_WRONG_ITEM] = "wrong-item",
					    [OC_RETURN_NOT_WANTED] = "not-wanted",
					    [OC_RETURN_OTHER] = "other"};
	for (uint32_t r = OC_RETURN_DAMAGED; r <= OC_RETURN_OTHER; r++)
		if (strcmp(word, names[r]) == 0)
			return r;
	usage_error(REASON_ERROR);
}

/* A --bill-country or --ship-country: two upper-case letters (ISO 3166-1 alpha-2). */
static void country(const char *what, const char *text, char out[2])
{
	if (strlen(text) != 2 || text[0] < 'A' || text[0] > 'Z' || text[1] < 'A' || text[1] > 'Z') {
		fprintf(stderr, "ordercore-cli: %s: two upper-case letters (US, GB...): '%s'\n",
			what, text);
		exit(2);
	}
	memcpy(out, text, 2);
}

/* A --postal code: 1 to OC_POSTAL_CODE_BYTES letters, digits, spaces and '-' (its field is
 * NUL-padded: out is zeroed first). */
static void postal_code(const char *text, char out[OC_POSTAL_CODE_BYTES])
{
	size_t n = strlen(text);
	bool ok = n >= 1 && n <= OC_POSTAL_CODE_BYTES;
	for (size_t i = 0; ok && i < n; i++)
		ok = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'A' && text[i] <= 'Z') ||
		     (text[i] >= 'a' && text[i] <= 'z') || text[i] == ' ' || text[i] == '-';
	if (!ok) {
		fprintf(stderr, "ordercore-cli: --postal: 1 to %u letters, digits, spaces or '-': "
			"'%s'\n", OC_POSTAL_CODE_BYTES, text);
		exit(2);
	}
	memset(out, 0, OC_POSTAL_CODE_BYTES);
	memcpy(out, text, n);
}

/* An --email, --card-fp or --address: a text to hash, not empty. */
static const char *screen_text(const char *what, const char *text)
{
	if (!*text) {
		fprintf(stderr, "ordercore-cli: %s: empty\n", what);
		exit(2);
	}
	return text;
}

static void sub_options(int argc, char **argv, struct sub_flags *f)
{
	static const struct option opts[] = {{"key", required_argument, 0, 'k'},
					     {"customer", required_argument, 0, 'c'},
					     {"operator", required_argument, 0, 'o'},
					     {"region", required_argument, 0, 'r'},
					     {"warehouse", required_argument, 0, 'w'},
					     {"kinds", required_argument, 0, 'K'},
					     {"count", required_argument, 0, 'n'},
					     {"card", no_argument, 0, 'P'},
					     {"account", no_argument, 0, 'U'},
					     {"before", required_argument, 0, 'b'},
					     {"expected", required_argument, 0, 'e'},
					     {"order", required_argument, 0, 'O'},
					     {"reason", required_argument, 0, 'R'},
					     {"restock", no_argument, 0, 'S'},
					     {"replaces", required_argument, 0, 'X'},
					     {"qc-failed", no_argument, 0, 'Q'},
					     {"backorder", no_argument, 0, 'W'},
					     {"screen", no_argument, 0, 'Z'},
					     {"email", required_argument, 0, 'E'},
					     {"card-fp", required_argument, 0, 'F'},
					     {"address", required_argument, 0, 'A'},
					     {"bill-country", required_argument, 0, 'B'},
					     {"ship-country", required_argument, 0, 'H'},
					     {"postal", required_argument, 0, 'p'},
					     {"account-age-days", required_argument, 0, 'a'},
					     {"remove", no_argument, 0, 'M'},
					     {"days", required_argument, 0, 'D'},
					     {"seconds", required_argument, 0, 's'},
					     {"channel", required_argument, 0, 'N'},
					     {"handling-cents", required_argument, 0, 'L'},
					     {0, 0, 0, 0}};
	struct oc_screen *sc = &f->screen_fields;
	int c;
	optind = 0; /* glibc: start over, at argv[1] */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) { /* options anywhere */
		switch (c) {
		case 'k': f->key = number("--key", optarg); f->has_key = true; break;
		case 'c':
			f->customer = number("--customer", optarg);
			f->has_customer = true;
			break;
		case 'o':
			f->operator = number("--operator", optarg);
			f->has_operator = true;
			break;
		case 'r':
			f->region = number("--region", optarg);
			if (f->region > UINT16_MAX) /* a u16 on the wire: not cut to its low bits */
				usage_error("--region: a region's id is 0-65535");
			break;
		case 'w':
			f->warehouse = number("--warehouse", optarg);
			if (f->warehouse > UINT16_MAX) /* a u16 on the wire, as a region */
				usage_error("--warehouse: no such warehouse index");
			f->has_warehouse = true;
			break;
		case 'K': f->kinds = event_kinds(optarg); break;
		case 'n': f->count = number("--count", optarg); break;
		case 'P': f->card = true; break;
		case 'U': f->account = true; break;
		case 'b': f->before = number("--before", optarg); break;
		case 'e':
			f->expected = number("--expected", optarg);
			f->has_expected = true;
			break;
		case 'O':
			f->order = number("--order", optarg);
			f->has_order = true;
			break;
		case 'R': f->reason = return_reason(optarg); break;
		case 'S': f->restock = true; break;
		case 'Q': f->qc_failed = true; break;
		case 'W': f->backorder = true; break;
		case 'X':
			f->replaces = number("--replaces", optarg);
			f->has_replaces = true;
			break;
		case 'Z': f->screen = true; break;
		case 'E': f->email = screen_text("--email", optarg); break;
		case 'F': f->card_fp = screen_text("--card-fp", optarg); break;
		case 'A': f->address = screen_text("--address", optarg); break;
		case 'B':
			country("--bill-country", optarg, sc->bill_country);
			f->screen = true;
			break;
		case 'H':
			country("--ship-country", optarg, sc->ship_country);
			f->screen = true;
			break;
		case 'p':
			postal_code(optarg, sc->postal_code);
			f->screen = true;
			break;
		case 'a': {
			uint64_t days = number("--account-age-days", optarg);
			if (days > UINT16_MAX) /* a u16 on the wire: not cut to its low bits */
				usage_error("--account-age-days: 0-65535");
			sc->account_age_days = (uint16_t)days;
			f->screen = true;
			break;
		}
		case 'M': f->remove = true; break;
		case 's': f->seconds = number("--seconds", optarg); break;
		case 'N': {
			unsigned ch = 1;
			while (ch < OC_CHANNEL_COUNT && strcmp(optarg, oc_channel_name(ch)) != 0)
				ch++;
			if (ch == OC_CHANNEL_COUNT)
				usage_error("--channel: web, app, phone, store or marketplace");
			f->channel = ch;
			break;
		}
		case 'L':
			f->handling_cents = number("--handling-cents", optarg);
			if (f->handling_cents > UINT32_MAX)
				usage_error("--handling-cents: at most 4294967295");
			f->has_handling = true;
			break;
		case 'D':
			f->days = number("--days", optarg);
			if (f->days < 1 || f->days > 7)
				usage_error("--days: the most days in transit, 1-7");
			break;
		default: usage_error("bad option");
		}
	}
}

/* The fulfilment and payment steps: the command words and their command types. */
static const struct {
	const char *name;
	uint8_t type;
} steps[] = {{"picked", OC_CMD_PICK_CONFIRMED},     {"packed", OC_CMD_PACK_CONFIRMED},
	     {"shipped", OC_CMD_SHIPPED},               {"delivered", OC_CMD_DELIVERED},
	     {"authorized", OC_CMD_PAYMENT_AUTHORIZED}, {"declined", OC_CMD_PAYMENT_DECLINED},
	     {"paid", OC_CMD_PAYMENT_RECEIVED}};

/* The command type of a fulfilment or payment step's name, or 0. */
static uint8_t step_type(const char *name)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(name, steps[i].name) == 0)
			return steps[i].type;
	return 0;
}

/* The name of a fulfilment or payment step's command type, or NULL. */
static const char *step_name(uint8_t type)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].type == type)
			return steps[i].name;
	return NULL;
}

/* The name of the command that made transition t of an order's history, in this tool's
 * words. A receipt that filled the order's backordered lines (docs/lifecycle.md,
 * "Backorders") says so: a restock's, a cycle count's, or another order's return received
 * (the order's own leaves it returned). */
static const char *transition_name(const struct oc_response *t)
{
	bool filled = t->state == OC_STATE_ALLOCATED || t->state == OC_STATE_RELEASED;
	switch (t->type) {
	case OC_CMD_RESTOCK: return "backorder filled (restock)";
	case OC_CMD_ADJUST_STOCK: return "backorder filled (cycle count)";
	case OC_CMD_RETURN_RECEIVED: return filled ? "backorder filled (return)" : "received";
	case OC_CMD_PLACE: return "place"; /* a lease expiry too: state cancelled */
	case OC_CMD_CANCEL: return "cancel";
	case OC_CMD_REFUND: return "refund";
	case OC_CMD_DELIVERY_EXCEPTION: return "exception";
	case OC_CMD_RETURN_REQUESTED: return "return";
	case OC_CMD_REVIEW_APPROVE: return "review approve";
	case OC_CMD_REVIEW_REJECT: return "review reject";
	case OC_CMD_PICK_SHORT: return "short pick";
	default: return step_name(t->type) ? step_name(t->type) : "unknown";
	}
}

/* The name of a keyed stock change (restock, write-off, cycle count) in this tool's answers. */
static const char *stock_change_name(uint8_t type)
{
	return type == OC_CMD_RESTOCK     ? "restock"
	       : type == OC_CMD_WRITE_OFF ? "write-off"
					  : "cycle count";
}

/* ts_ms, milliseconds since the epoch, as UTC ISO-8601 with milliseconds, into out. */
static const char *iso_time(uint64_t ts_ms, char *out, size_t out_bytes)
{
	time_t t = (time_t)(ts_ms / 1000);
	struct tm tm;
	size_t n = gmtime_r(&t, &tm) ? strftime(out, out_bytes, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
	snprintf(out + n, out_bytes - n, ".%03uZ", (unsigned)(ts_ms % 1000));
	return out;
}

/* Prints cents as currency units with two decimals: integer arithmetic, no rounding. */
static void print_money(uint64_t cents)
{
	printf("%" PRIu64 ".%02u", cents / 100, (unsigned)(cents % 100));
}

/* An answer's fields as JSON members, without braces. A safety stock's answer (and event)
 * moves no money: its refunded_cents packs the SKU's units available and its safety stock
 * (OC_RECON_AVAILABLE, OC_RECON_SAFETY), printed as those instead of the money fields. */
static void json_answer_fields(const struct oc_response *r)
{
	printf("\"seq\": %" PRIu64 ", \"key\": %" PRIu64 ", \"customer\": %" PRIu64
	       ", \"ts_ms\": %" PRIu64 ", \"order_seq\": %" PRIu64
	       ", \"status\": \"%s\", \"reason\": \"%s\", \"duplicate\": %s"
	       ", \"shipments\": %u, \"warehouse\": %u, \"state\": \"%s\"",
	       r->seq, r->key, r->customer, r->ts_ms, r->original_seq, oc_status_name(r->status),
	       oc_reject_reason_name(r->reason),
	       r->flags & OC_RESPONSE_DUPLICATE ? "true" : "false", r->shipments, r->warehouse,
	       oc_order_state_name(r->state));
	if (r->type == OC_CMD_SET_SAFETY_STOCK)
		printf(", \"available\": %" PRIu64 ", \"safety\": %" PRIu64,
		       (uint64_t)OC_RECON_AVAILABLE(r), (uint64_t)OC_RECON_SAFETY(r));
	else
		printf(", \"payment\": \"%s\", \"amount_cents\": %" PRIu64
		       ", \"refunded_cents\": %" PRIu64, oc_payment_state_name(r->payment),
		       r->amount_cents, r->refunded_cents);
}

/* Whether r is a pack whose quality check failed: an accepted pack (or a history row of one)
 * that left the order picked. A pack done, or its repeat, leaves it packed. */
static bool qc_failed(const struct oc_response *r)
{
	return r->type == OC_CMD_PACK_CONFIRMED && r->status == OC_STATUS_ACCEPTED &&
	       r->state == OC_STATE_PICKED;
}

/* Prints an answer (json: one object; inner: the fields only, closing an object begun by the
 * caller). A customer's order (a row) ends with the time of its last change, not with the
 * query's seq. */
static void print_answer(const struct oc_response *r, bool json, bool inner)
{
	const char *status = oc_status_name(r->status);
	const char *reason = oc_reject_reason_name(r->reason);
	if (r->type == OC_CMD_QUERY_STOCK_AT && r->status == OC_STATUS_ACCEPTED) {
		uint64_t free_units = OC_STOCK_AVAILABLE(r->original_seq);
		uint64_t held = OC_STOCK_ALLOCATED(r->original_seq);
		if (json)
			printf("{\"seq\": %" PRIu64 ", \"warehouse\": %u, \"free\": %" PRIu64
			       ", \"allocated\": %" PRIu64 "}\n", r->seq, r->warehouse, free_units, held);
		else
			printf("stock at warehouse %u: %" PRIu64 " free, %" PRIu64
			       " allocated (as of seq %" PRIu64 ")\n", r->warehouse, free_units, held,
			       r->seq);
		return;
	}
	if (r->type == OC_CMD_QUERY_STOCK && r->status == OC_STATUS_ACCEPTED) {
		uint64_t avail = OC_STOCK_AVAILABLE(r->original_seq);
		uint64_t alloc = OC_STOCK_ALLOCATED(r->original_seq);
		if (json)
			printf("{\"seq\": %" PRIu64 ", \"available\": %" PRIu64
			       ", \"allocated\": %" PRIu64 "}\n", r->seq, avail, alloc);
		else
			printf("stock: %" PRIu64 " available, %" PRIu64 " allocated (as of seq %" PRIu64
			       ")\n", avail, alloc, r->seq);
		return;
	}
	if (json) {
		printf("%s", inner ? "" : "{");
		json_answer_fields(r);
		printf("}\n");
		return;
	}
	printf("%s", status);
	if (r->status == OC_STATUS_REJECTED)
		printf(" (%s)", reason);
	bool stock_change = r->type == OC_CMD_RESTOCK || r->type == OC_CMD_WRITE_OFF ||
			    r->type == OC_CMD_ADJUST_STOCK || r->type == OC_CMD_SET_SAFETY_STOCK;
	/* An RMA's answers (opened, received) describe the RMA: its warehouses, its value. */
	bool rma = r->type == OC_CMD_RETURN_REQUESTED || r->type == OC_CMD_RETURN_RECEIVED;
	/* An RMA cancelled: the answer names no kind of record, but an order's cancel always has
	 * a payment state (prepaid, voided, refunded) and an RMA's none. */
	bool rma_cancel = r->type == OC_CMD_CANCEL && r->status == OC_STATUS_CANCELLED &&
			  r->payment == OC_PAYMENT_NONE;
	bool accepted = r->status == OC_STATUS_ACCEPTED;
	/* A short pick's answer is its own record's (its seq), with the order's state and
	 * warehouses after it and the value it cut. */
	bool short_pick = r->type == OC_CMD_PICK_SHORT;
	/* Answers that ship nothing: a cancel's, a review's rejection (accepted: the order is
	 * cancelled), a refund's, a stock change's, a block list change's, a short pick's that
	 * cut every unit (the order is cancelled). */
	bool ships = r->type != OC_CMD_CANCEL && r->type != OC_CMD_REVIEW_REJECT &&
		     r->type != OC_CMD_REFUND && r->type != OC_CMD_BLOCK && !stock_change &&
		     !(short_pick && r->shipments == 0);
	if (r->type == OC_CMD_SET_SAFETY_STOCK) /* no record, and the answer names no SKU */
		printf(": safety stock");
	else if (r->type == OC_CMD_BLOCK) /* nor does a block list change's name its value */
		printf(": block list");
	else if (stock_change)
		printf(": %s %" PRIu64 " at warehouse %u", stock_change_name(r->type),
		       r->original_seq, r->warehouse);
	else if (r->type != OC_CMD_QUERY_STOCK && r->type != OC_CMD_QUERY_STOCK_AT &&
		 r->type != OC_CMD_QUERY_RECONCILE && r->reason != OC_REJECT_UNKNOWN_ORDER)
		printf(": %s %" PRIu64,
		       r->type == OC_CMD_REFUND ? "refund"
		       : rma || rma_cancel      ? "return"
		       : short_pick             ? "short pick"
						: "order",
		       r->original_seq);
	if (accepted && rma)
		printf(", %u warehouse%s, first warehouse %u", r->shipments,
		       r->shipments == 1 ? "" : "s", r->warehouse);
	else if (accepted && ships)
		printf(", %u shipment%s, first warehouse %u", r->shipments,
		       r->shipments == 1 ? "" : "s", r->warehouse);
	if (r->state && r->reason != OC_REJECT_UNKNOWN_ORDER &&
	    strcmp(oc_order_state_name(r->state), status) != 0) /* "cancelled: ..., cancelled" */
		printf(", %s%s", oc_order_state_name(r->state), qc_failed(r) ? " (QC failed)" : "");
	/* An order held for review carries the screening's rule that held it; one with lines
	 * backordered, that (docs/lifecycle.md, "Backorders"). */
	if (((r->state == OC_STATE_ON_HOLD && r->reason != OC_REJECT_NONE) ||
	     r->reason == OC_REJECT_BACKORDERED) &&
	    r->status != OC_STATUS_REJECTED)
		printf(" (%s)", reason);
	/* An RMA's value (its units at the order's prices; no money moves), a short pick's value
	 * cut (refunded, or less to capture: the order's answer says which). */
	if ((accepted && (rma || short_pick)) || rma_cancel) {
		printf(short_pick ? ", cut " : ", value ");
		print_money(r->amount_cents);
	}
	if (accepted && short_pick && r->refunded_cents) /* its units kept, waiting for stock */
		printf(", backordered %" PRIu64, r->refunded_cents);
	/* An order's money (a refund: this refund's). Payment none with an amount is an order
	 * whose money has not moved yet (a card order held for review: nothing was asked of the
	 * card) or never will (its review rejected): its amount still says what it is worth. */
	bool order_money = !stock_change && !rma && !rma_cancel && !short_pick &&
			   r->type != OC_CMD_REFUND && r->type != OC_CMD_BLOCK && r->amount_cents;
	if (r->payment != OC_PAYMENT_NONE || order_money) {
		printf(", payment %s, amount ", oc_payment_state_name(r->payment));
		print_money(r->amount_cents);
		printf(", refunded ");
		print_money(r->refunded_cents);
	}
	/* A step carries the order's key, not its own: repeated, it was done before (a payment
	 * step too: authorized, declined, paid). */
	bool step = step_name(r->type) || r->type == OC_CMD_DELIVERY_EXCEPTION ||
		    r->type == OC_CMD_RETURN_RECEIVED || r->type == OC_CMD_REVIEW_APPROVE ||
		    r->type == OC_CMD_REVIEW_REJECT;
	if (r->flags & OC_RESPONSE_DUPLICATE)
		printf(step ? " (done before)" : " (the answer to an earlier command with this key)");
	char when[40];
	if (!(r->flags & OC_RESPONSE_ROW))
		printf(" [seq %" PRIu64 "]", r->seq);
	else if (r->ts_ms) /* 0: that transition is no longer kept */
		printf(" [last change %s]", iso_time(r->ts_ms, when, sizeof(when)));
	printf("\n");
}

/* Prints a document row (docs/lifecycle.md, "Documents", "Waves"): json, one object (with
 * `sep` before it); else a line. */
static void print_document(const struct oc_response *r, bool json, const char *sep)
{
	static const char *const kinds[] = {[OC_DOC_SLIP_LINE] = "slip",
					    [OC_DOC_LABEL] = "label",
					    [OC_DOC_INVOICE_LINE] = "invoice",
					    [OC_DOC_PICK_LINE] = "pick",
					    [OC_DOC_WAVE] = "wave"};
	uint8_t k = OC_DOC_KIND(r);
	const char *kind = k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : "unknown";
	uint32_t qty = OC_DOC_LINE_QUANTITY(r), price = OC_DOC_LINE_PRICE(r);
	if (json) {
		printf("%s{\"document\": \"%s\", \"seq\": %" PRIu64 ", \"warehouse\": %u", sep, kind,
		       r->seq, r->warehouse);
		if (k == OC_DOC_LABEL)
			printf(", \"key\": %" PRIu64 ", \"tracking\": %" PRIu64 ", \"service\": %u"
			       ", \"zone\": %u, \"days\": %u, \"weight_g\": %u, \"cost_cents\": %" PRIu64,
			       r->key, r->original_seq, OC_LABEL_SERVICE(r), OC_LABEL_ZONE(r),
			       OC_LABEL_DAYS(r), OC_LABEL_WEIGHT_G(r), r->amount_cents);
		else if (k == OC_DOC_WAVE)
			printf(", \"wave\": %" PRIu64 ", \"orders\": %u, \"lines\": %u", r->original_seq,
			       qty, price);
		else
			printf(", \"key\": %" PRIu64 ", \"customer\": %" PRIu64 ", \"sku\": %" PRIu64
			       ", \"quantity\": %u, \"price_cents\": %u", r->key, r->customer,
			       r->original_seq, qty, price);
		if (k == OC_DOC_PICK_LINE)
			printf(", \"wave\": %" PRIu64 ", \"state\": \"%s\"", r->refunded_cents,
			       oc_order_state_name(r->state));
		else if (k != OC_DOC_LABEL && k != OC_DOC_WAVE)
			printf(", \"total_cents\": %" PRIu64, r->refunded_cents);
		printf("}");
		return;
	}
	if (k == OC_DOC_LABEL) {
		printf("label   warehouse %u: tracking %020" PRIu64 ", service %u, zone %u, %u day%s, "
		       "%u g, cost ", r->warehouse, r->original_seq, OC_LABEL_SERVICE(r),
		       OC_LABEL_ZONE(r), OC_LABEL_DAYS(r), OC_LABEL_DAYS(r) == 1 ? "" : "s",
		       OC_LABEL_WEIGHT_G(r));
		print_money(r->amount_cents);
	} else if (k == OC_DOC_WAVE) {
		printf("wave %" PRIu64 " released at warehouse %u: %u order%s, %u line%s",
		       r->original_seq, r->warehouse, qty, qty == 1 ? "" : "s", price,
		       price == 1 ? "" : "s");
	} else if (k == OC_DOC_PICK_LINE) {
		printf("pick    wave %" PRIu64 ", warehouse %u: sku %" PRIu64 " x %u for order %" PRIu64
		       " (customer %" PRIu64 ", %s)", r->refunded_cents, r->warehouse, r->original_seq,
		       qty, r->key, r->customer, oc_order_state_name(r->state));
	} else {
		printf("%-7s warehouse %u: sku %" PRIu64 " x %u at ", kind, r->warehouse,
		       r->original_seq, qty);
		print_money(price);
		printf(" = ");
		print_money(r->refunded_cents);
	}
	printf(" [seq %" PRIu64 "]\n", r->seq);
}

/* Prints a step's documents (rows), then its answer: json, one object with them in
 * "documents". */
static void print_with_documents(const struct oc_response *rows, uint32_t n,
				 const struct oc_response *a, bool json)
{
	if (json) {
		printf("{\"documents\": [");
		for (uint32_t i = 0; i < n; i++)
			print_document(&rows[i], true, i ? ", " : "");
		printf("], ");
		print_answer(a, true, true);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		print_document(&rows[i], false, "");
	print_answer(a, false, false);
}

/* Prints an order's history: its transitions (rows), oldest first, then the order. */
static void print_history(const struct oc_response *rows, uint32_t n,
			  const struct oc_response *order, bool json)
{
	bool more = order->flags & OC_RESPONSE_MORE;
	if (json)
		printf("{\"history\": [");
	else if (more)
		printf("(older changes are no longer kept)\n");
	for (uint32_t i = 0; i < n; i++) {
		const struct oc_response *t = &rows[i];
		const char *type = transition_name(t), *state = oc_order_state_name(t->state);
		if (json) {
			printf("%s{\"seq\": %" PRIu64 ", \"ts_ms\": %" PRIu64 ", \"type\": \"%s\""
			       ", \"status\": \"%s\", \"reason\": \"%s\", \"state\": \"%s\""
			       ", \"amount_cents\": %" PRIu64 "%s}", i ? ", " : "", t->original_seq,
			       t->ts_ms, type, oc_status_name(t->status),
			       oc_reject_reason_name(t->reason), state, t->amount_cents,
			       qc_failed(t) ? ", \"qc_failed\": true" : "");
			continue;
		}
		char when[40];
		printf("%s seq %" PRIu64 " %s%s: %s", iso_time(t->ts_ms, when, sizeof(when)),
		       t->original_seq, type, qc_failed(t) ? " (QC failed)" : "", state);
		if (t->reason != OC_REJECT_NONE)
			printf(" (%s)", oc_reject_reason_name(t->reason));
		if (t->type == OC_CMD_REFUND || t->type == OC_CMD_PICK_SHORT) {
			printf(t->type == OC_CMD_REFUND ? ", amount " : ", cut ");
			print_money(t->amount_cents);
		}
		printf("\n");
	}
	if (json)
		printf("], \"more\": %s, ", more ? "true" : "false");
	print_answer(order, json, json);
}

/* Prints a page of a customer's orders (rows), newest first, and how to ask for the next. */
static void print_orders(const struct oc_response *rows, uint32_t n,
			 const struct oc_response *answer, bool json)
{
	bool more = answer->flags & OC_RESPONSE_MORE;
	if (json) {
		printf("{\"seq\": %" PRIu64 ", \"customer\": %" PRIu64 ", \"status\": \"%s\""
		       ", \"reason\": \"%s\", \"orders\": [", answer->seq, answer->customer,
		       oc_status_name(answer->status), oc_reject_reason_name(answer->reason));
		for (uint32_t i = 0; i < n; i++) {
			printf("%s{", i ? ", " : "");
			json_answer_fields(&rows[i]);
			printf("}");
		}
		printf("], \"more\": %s", more ? "true" : "false");
		if (more && n)
			printf(", \"next_before\": %" PRIu64, rows[n - 1].key);
		printf("}\n");
		return;
	}
	if (answer->status != OC_STATUS_ACCEPTED) { /* unknown_order (--before), malformed */
		print_answer(answer, false, false);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		printf("key %" PRIu64 " ", rows[i].key);
		print_answer(&rows[i], false, false);
	}
	if (n == 0)
		printf("no orders [seq %" PRIu64 "]\n", answer->seq);
	if (more && n)
		printf("more: ordercore-cli orders --customer %" PRIu64 " --before %" PRIu64 "\n",
		       answer->customer, rows[n - 1].key);
}

/* The counts of a reconciliation's row or answer: free, allocated, picked, on hand. */
struct recon_counts {
	uint64_t free_units, allocated, picked, on_hand;
};

static struct recon_counts recon_counts(const struct oc_response *r)
{
	return (struct recon_counts){OC_RECON_FREE(r), OC_RECON_ALLOCATED(r), OC_RECON_PICKED(r),
				     OC_RECON_ON_HAND(r)};
}

static bool recon_balanced(const struct recon_counts *k)
{
	return k->on_hand == k->free_units + k->allocated + k->picked;
}

/* Prints the counts of a reconciliation's row or totals (json: as members, no braces). */
static void print_recon_counts(const struct recon_counts *k, bool json)
{
	bool ok = recon_balanced(k);
	if (json) {
		printf("\"on_hand\": %" PRIu64 ", \"free\": %" PRIu64 ", \"allocated\": %" PRIu64
		       ", \"picked\": %" PRIu64 ", \"balanced\": %s", k->on_hand, k->free_units,
		       k->allocated, k->picked, ok ? "true" : "false");
		return;
	}
	printf("on hand %" PRIu64 ", free %" PRIu64 ", allocated %" PRIu64 ", picked %" PRIu64
	       ", ", k->on_hand, k->free_units, k->allocated, k->picked);
	if (ok)
		printf("balanced\n");
	else
		printf("NOT balanced (free + allocated + picked = %" PRIu64 ")\n",
		       k->free_units + k->allocated + k->picked);
}

/* Prints a SKU's reconciliation: its rows (a warehouse each, from every page) and the last
 * page's answer (the totals, the units available and the safety stock). The rows of
 * different pages are read by different queries: when the stock changed in between, the
 * rows do not add up to the totals, and it says so. */
static void print_reconcile(uint64_t sku, const struct oc_response *rows, uint32_t n,
			    const struct oc_response *answer, bool json)
{
	bool ok = answer->status == OC_STATUS_ACCEPTED;
	struct recon_counts total = recon_counts(answer), sum = {0};
	if (json)
		printf("{\"seq\": %" PRIu64 ", \"sku\": %" PRIu64 ", \"status\": \"%s\""
		       ", \"reason\": \"%s\", \"warehouses\": [", answer->seq, sku,
		       oc_status_name(answer->status), oc_reject_reason_name(answer->reason));
	else if (!ok) {
		print_answer(answer, false, false);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct recon_counts k = recon_counts(&rows[i]);
		sum.free_units += k.free_units;
		sum.allocated += k.allocated;
		sum.picked += k.picked;
		sum.on_hand += k.on_hand;
		if (json)
			printf("%s{\"warehouse\": %u, ", i ? ", " : "", rows[i].warehouse);
		else
			printf("warehouse %u: ", rows[i].warehouse);
		print_recon_counts(&k, json);
		if (json)
			printf("}");
	}
	bool agree = memcmp(&sum, &total, sizeof(sum)) == 0;
	if (json) {
		printf("]");
		if (ok) {
			printf(", ");
			print_recon_counts(&total, true);
			printf(", \"available\": %" PRIu64 ", \"safety\": %" PRIu64
			       ", \"rows_match_totals\": %s", (uint64_t)OC_RECON_AVAILABLE(answer),
			       (uint64_t)OC_RECON_SAFETY(answer), agree ? "true" : "false");
		}
		printf("}\n");
		return;
	}
	printf("total: ");
	print_recon_counts(&total, false);
	printf("available %" PRIu64 ", safety stock %" PRIu64 " [seq %" PRIu64 "]\n",
	       (uint64_t)OC_RECON_AVAILABLE(answer), (uint64_t)OC_RECON_SAFETY(answer),
	       answer->seq);
	if (!agree)
		printf("(the rows do not add up to the totals: the stock changed while the pages "
		       "were read)\n");
}

/* Prints a safety stock's answer with the SKU and units it was sent with (the answer names
 * neither). */
static void print_safety(const struct oc_command *cmd, const struct oc_response *r, bool json)
{
	uint64_t sku = cmd->lines[0].sku;
	if (json) {
		printf("{\"sku\": %" PRIu64 ", \"units\": %u, ", sku, cmd->lines[0].quantity);
		print_answer(r, true, true);
		return;
	}
	printf("%s", oc_status_name(r->status));
	if (r->status == OC_STATUS_REJECTED)
		printf(" (%s): safety stock of SKU %" PRIu64, oc_reject_reason_name(r->reason), sku);
	else
		printf(": safety stock of SKU %" PRIu64 " set to %u units", sku,
		       cmd->lines[0].quantity);
	printf(" [seq %" PRIu64 "]\n", r->seq);
}

/* The kinds of a block list change's value, by OC_BLOCK_* flag: its option's name. */
static const char *const block_kinds[] = {[OC_BLOCK_EMAIL] = "email",
					  [OC_BLOCK_CARD] = "card-fp",
					  [OC_BLOCK_ADDRESS] = "address"};

/* Prints a block list change's answer with the value it was sent with (text: what was
 * hashed; the answer names neither). */
static void print_block(const struct oc_command *cmd, const char *text,
			const struct oc_response *r, bool json)
{
	const char *kind = block_kinds[cmd->flags & OC_BLOCK_KIND_MASK];
	bool remove = cmd->flags & OC_BLOCK_REMOVE;
	if (json) { /* the hash, not the text: JSON would want it escaped */
		printf("{\"block\": \"%s\", \"hash\": \"%016" PRIx64 "\", \"remove\": %s, ", kind,
		       cmd->order_key, remove ? "true" : "false");
		print_answer(r, true, true);
		return;
	}
	printf("%s", oc_status_name(r->status));
	if (r->status == OC_STATUS_REJECTED)
		printf(" (%s)", oc_reject_reason_name(r->reason));
	printf(": %s %s %s [seq %" PRIu64 "]\n", remove ? "unblock" : "block", kind, text, r->seq);
}

/* Subscribes and prints events until `count` (0: until the connection ends); the exit
 * status. */
static int follow_events(struct oc_client *cl, uint32_t kinds, uint64_t count, bool json)
{
	uint64_t from_seq, printed = 0;
	int rc = oc_client_subscribe(cl, kinds, 0, &from_seq, 0);
	if (rc == 0 && !json)
		printf("events after seq %" PRIu64 ":\n", from_seq);
	fflush(stdout);
	struct oc_client_answer ev[64];
	while (rc == 0 && (count == 0 || printed < count)) {
		int got = oc_client_receive(cl, ev, 64, 1);
		if (got < 0)
			rc = got;
		for (int i = 0; i < got && (count == 0 || printed < count); i++, printed++) {
			if (ev[i].response.flags & OC_RESPONSE_DOCUMENT) {
				print_document(&ev[i].response, json, "");
				printf("%s", json ? "\n" : "");
				continue;
			}
			if (json)
				printf("{\"type\": %u, ", ev[i].response.type);
			else
				printf("customer %" PRIu64 " ", ev[i].response.customer);
			print_answer(&ev[i].response, json, true);
		}
		fflush(stdout);
	}
	if (rc)
		fprintf(stderr, "ordercore-cli: events: %s\n",
			*oc_client_error(cl) ? oc_client_error(cl) : strerror(-rc));
	oc_client_close(cl);
	return rc ? 2 : 0;
}

/* The analytics' figures of one channel as a JSON object (after `sep`). */
static void json_figures(const struct oc_analytics *an, const struct oc_analytics_figures *f,
			 const char *name, const char *sep)
{
	printf("%s{\"channel\": \"%s\", \"placed\": %" PRIu64 ", \"rejected\": %" PRIu64
	       ", \"held\": %" PRIu64 ", \"shipped\": %" PRIu64 ", \"cycle_timed\": %" PRIu64
	       ", \"cycle_ms_p50\": %" PRIu64 ", \"cycle_ms_p90\": %" PRIu64
	       ", \"cycle_ms_p99\": %" PRIu64 ", \"cycle_ms_mean\": %" PRIu64
	       ", \"picks\": %" PRIu64 ", \"short_picks\": %" PRIu64 ", \"packs\": %" PRIu64
	       ", \"qc_failures\": %" PRIu64 ", \"labels\": %" PRIu64
	       ", \"carrier_cents\": %" PRIu64 ", \"packed_lines\": %" PRIu64
	       ", \"cost_per_order_cents\": %" PRIu64,
	       sep, name, f->placed, f->rejected, f->held, f->shipped, f->timed,
	       oc_analytics_cycle_ms(f, 0.5), oc_analytics_cycle_ms(f, 0.9),
	       oc_analytics_cycle_ms(f, 0.99), f->timed ? f->cycle_ms_sum / f->timed : 0, f->picks,
	       f->short_picks, f->packs, f->qc_failures, f->labels, f->carrier_cents,
	       f->packed_lines, oc_analytics_cost_cents(an, f));
	const uint64_t *by[2] = {f->rejected_by, f->held_by};
	static const char *const names[2] = {"rejected_by", "held_by"};
	for (int k = 0; k < 2; k++) {
		printf(", \"%s\": {", names[k]);
		const char *comma = "";
		for (unsigned i = 0; i < OC_REJECT_REASON_COUNT; i++)
			if (by[k][i]) {
				printf("%s\"%s\": %" PRIu64, comma, oc_reject_reason_name(i), by[k][i]);
				comma = ", ";
			}
		printf("}");
	}
	printf("}");
}

/* A percentage of part in whole, one decimal; "-" when whole is 0. */
static void print_rate(uint64_t part, uint64_t whole)
{
	if (!whole)
		printf("%7s", "-");
	else
		printf("%6.1f%%", 100.0 * (double)part / (double)whole);
}

/* A line of the analytics' table. */
static void print_figures(const struct oc_analytics *an, const struct oc_analytics_figures *f,
			  const char *name)
{
	printf("%-12s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %8" PRIu64 " %9" PRIu64 " %9" PRIu64
	       " %9" PRIu64 "  ", name, f->placed, f->rejected, f->held, f->shipped,
	       oc_analytics_cycle_ms(f, 0.5), oc_analytics_cycle_ms(f, 0.9),
	       oc_analytics_cycle_ms(f, 0.99));
	print_rate(f->short_picks, f->picks + f->short_picks);
	printf(" ");
	print_rate(f->qc_failures, f->packs + f->qc_failures);
	uint64_t cost = oc_analytics_cost_cents(an, f);
	printf(" %6" PRIu64 ".%02u\n", cost / 100, (unsigned)(cost % 100));
}

/* By reason: "out_of_stock 12, limit_exceeded 3" (or "none"). */
static void print_by_reason(const char *what, const uint64_t *by)
{
	printf("%s:", what);
	const char *sep = " ";
	for (unsigned i = 0; i < OC_REJECT_REASON_COUNT; i++)
		if (by[i]) {
			printf("%s%s %" PRIu64, sep, oc_reject_reason_name(i), by[i]);
			sep = ", ";
		}
	printf("%s\n", *sep == ' ' ? " none" : "");
}

/* Prints the analytics: a line per channel that had events and the total, the rejects and
 * holds by reason, the cycle time's histogram (json: one object). */
static void print_analytics(const struct oc_analytics *an, bool json)
{
	struct oc_analytics_figures all;
	oc_analytics_total(an, &all);
	if (json) {
		printf("{\"events\": %" PRIu64 ", \"untimed_shipments\": %" PRIu64
		       ", \"handling_cents\": %u, \"channels\": [", an->events, an->untimed,
		       an->handling_cents);
		const char *sep = "";
		for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++)
			if (an->by[c].placed || an->by[c].rejected || an->by[c].shipped) {
				json_figures(an, &an->by[c], oc_channel_name(c), sep);
				sep = ", ";
			}
		printf("], \"total\": ");
		json_figures(an, &all, "all", "");
		printf(", \"cycle_histogram_ms\": [");
		sep = "";
		for (unsigned b = 0; b < OC_ANALYTICS_BUCKETS; b++)
			if (all.cycle[b]) {
				printf("%s{\"below_ms\": %llu, \"shipments\": %" PRIu64 "}", sep,
				       1ull << (b + 1), all.cycle[b]);
				sep = ", ";
			}
		printf("]}\n");
		return;
	}
	printf("analytics of %" PRIu64 " events (handling ", an->events);
	print_money(an->handling_cents);
	printf(" a packed line; cycle time: placed to shipped, ms, bucket upper bounds)\n");
	printf("%-12s %8s %8s %6s %8s %9s %9s %9s  %7s %7s %9s\n", "channel", "placed", "rejected",
	       "held", "shipped", "cycle p50", "p90", "p99", "short", "QC fail", "cost/ord");
	for (unsigned c = 0; c < OC_CHANNEL_COUNT; c++)
		if (an->by[c].placed || an->by[c].rejected || an->by[c].shipped)
			print_figures(an, &an->by[c], oc_channel_name(c));
	print_figures(an, &all, "all");
	print_by_reason("rejected by reason", all.rejected_by);
	print_by_reason("held by rule", all.held_by);
	printf("cycle time histogram (%" PRIu64 " shipments timed, %" PRIu64 " not: placed before "
	       "the subscription):\n", all.timed, an->untimed);
	uint64_t most = 0;
	for (unsigned b = 0; b < OC_ANALYTICS_BUCKETS; b++)
		most = all.cycle[b] > most ? all.cycle[b] : most;
	for (unsigned b = 0; b < OC_ANALYTICS_BUCKETS; b++)
		if (all.cycle[b])
			printf("  < %12llu ms %10" PRIu64 " %.*s\n", 1ull << (b + 1), all.cycle[b],
			       (int)(40 * all.cycle[b] / most), "########################################");
}

/* Follows the events the analytics read until `count` came (0: no limit) or `seconds` passed
 * (0: no limit), then prints them; the exit status. */
static int follow_analytics(struct oc_client *cl, uint64_t count, uint64_t seconds,
			    uint32_t handling_cents, bool json)
{
	static struct oc_analytics an;
	if (oc_analytics_init(&an, handling_cents)) {
		fprintf(stderr, "ordercore-cli: analytics: out of memory\n");
		return 2;
	}
	uint64_t from_seq;
	int rc = oc_client_subscribe(cl, OC_ANALYTICS_KINDS, 0, &from_seq, 0);
	if (rc == 0 && !json)
		printf("events after seq %" PRIu64 ":\n", from_seq);
	fflush(stdout);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct oc_client_answer ev[64];
	while (rc == 0 && (count == 0 || an.events < count)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double left = (double)seconds - (double)(now.tv_sec - t0.tv_sec) -
			      (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (seconds && left <= 0)
			break;
		struct pollfd p = {oc_client_fd(cl), POLLIN, 0};
		if (poll(&p, 1, seconds ? (int)(left * 1000) + 1 : -1) < 0 && errno != EINTR)
			rc = -errno;
		int got = rc ? 0 : oc_client_receive(cl, ev, 64, 0);
		if (got < 0)
			rc = got;
		for (int i = 0; i < got && (count == 0 || an.events < count); i++)
			oc_analytics_add(&an, &ev[i].response);
	}
	/* Followed until the daemon stops: its close is the end asked for, not an error. */
	if (rc == -ECONNRESET && count == 0 && seconds == 0)
		rc = 0;
	if (rc)
		fprintf(stderr, "ordercore-cli: analytics: %s\n",
			*oc_client_error(cl) ? oc_client_error(cl) : strerror(-rc));
	else
		print_analytics(&an, json);
	oc_analytics_destroy(&an);
	oc_client_close(cl);
	return rc ? 2 : 0;
}

/* Asks for the daemon's counters and prints them; the exit status. */
static int print_stats(struct oc_client *cl, bool json)
{
	struct oc_proto_stats st;
	int rc = oc_client_stats(cl, &st, 0);
	if (rc) {
		fprintf(stderr, "ordercore-cli: stats: %s\n", *oc_client_error(cl)
								? oc_client_error(cl)
								: strerror(-rc));
		oc_client_close(cl);
		return 2;
	}
	oc_client_close(cl);
	static const char *const names[] = {"last_seq", "connections", "accepted", "refused",
					    "commands", "answers", "dropped_answers",
					    "protocol_errors", "slow_disconnects", "uptime_ms"};
	uint64_t v[10];
	_Static_assert(sizeof(v) == sizeof(st), "ten counters");
	memcpy(v, &st, sizeof(v));
	for (unsigned i = 0; i < 10; i++) {
		if (json)
			printf("%s\"%s\": %" PRIu64 "%s", i ? "" : "{", names[i], v[i],
			       i == 9 ? "}\n" : ", ");
		else
			printf("%-17s %" PRIu64 "\n", names[i], v[i]);
	}
	return 0;
}

/* Adds the lines sub_argv[rest..sub_argc), each SKU:QTY, to command (a place's, an RMA's, a
 * short pick's: SKU:MISSING). */
static void add_lines(struct oc_command *command, int sub_argc, char **sub_argv, int rest)
{
	if (sub_argc - rest > OC_ORDER_LINES_MAX)
		usage_error("at most 16 lines");
	for (int i = rest; i < sub_argc; i++) {
		char *colon = strchr(sub_argv[i], ':');
		if (!colon)
			usage_error("a line is SKU:QTY");
		*colon = '\0';
		uint64_t qty = number("QTY", colon + 1);
		command->lines[command->line_count++] = (struct oc_line){
			number("SKU", sub_argv[i]), qty > UINT32_MAX ? UINT32_MAX : (uint32_t)qty, 0};
	}
}

/* The screen of a place (f: its flags): the texts given hashed, the rest as checked. */
static struct oc_screen screen_of(const struct sub_flags *f)
{
	struct oc_screen sc = f->screen_fields;
	if (f->email)
		sc.email_hash = oc_screen_hash(f->email, strlen(f->email));
	if (f->card_fp)
		sc.card_hash = oc_screen_hash(f->card_fp, strlen(f->card_fp));
	if (f->address)
		sc.address_hash = oc_screen_hash(f->address, strlen(f->address));
	return sc;
}

/* A block list change: the one value given (--email, --card-fp or --address), hashed, its
 * kind in flags; *text: the value. */
static struct oc_command block_of(const struct sub_flags *f, const char **text)
{
	const char *values[] = {[OC_BLOCK_EMAIL] = f->email, [OC_BLOCK_CARD] = f->card_fp,
				[OC_BLOCK_ADDRESS] = f->address};
	uint32_t kind = 0;
	for (uint32_t k = OC_BLOCK_EMAIL; k <= OC_BLOCK_ADDRESS; k++)
		if (values[k]) {
			if (kind)
				usage_error("block takes one of --email, --card-fp, --address");
			kind = k;
		}
	if (!kind || !f->operator)
		usage_error("block needs --operator and one of --email, --card-fp, --address");
	*text = values[kind];
	return (struct oc_command){.type = OC_CMD_BLOCK, .customer = f->operator,
				   .flags = kind | (f->remove ? OC_BLOCK_REMOVE : 0),
				   .order_key = oc_screen_hash(*text, strlen(*text))};
}

/* The command a subcommand's words and flags (f) ask for (stats, events: none); exits with
 * a usage error when they do not make one. sub_argv[rest..sub_argc) are its positional
 * arguments. OUT: *block_text, a block list change's value (as given, for its answer). */
static struct oc_command command_of(const char *cmd, int sub_argc, char **sub_argv, int rest,
				    const struct sub_flags *f, const char **block_text)
{
	struct oc_command command = {0};
	uint64_t key = f->key, customer = f->customer;
	bool has_key = f->has_key;
	bool place = strcmp(cmd, "place") == 0, block = strcmp(cmd, "block") == 0;
	/* The flags of one command only. */
	bool short_pick = strcmp(cmd, "short-pick") == 0;
	if (f->has_order && strcmp(cmd, "return") != 0 && !short_pick)
		usage_error("--order is return's and short-pick's");
	if (f->reason && strcmp(cmd, "return") != 0)
		usage_error("--reason is return's");
	if (f->screen && !place)
		usage_error("--screen, --bill-country, --ship-country, --postal and "
			    "--account-age-days are place's");
	if ((f->email || f->card_fp || f->address) && !place && !block)
		usage_error("--email, --card-fp and --address are place's and block's");
	if (f->remove && !block)
		usage_error("--remove is block's");
	if (f->restock && strcmp(cmd, "received") != 0)
		usage_error("--restock is received's");
	if (f->has_replaces && strcmp(cmd, "place") != 0)
		usage_error("--replaces is place's");
	if (f->account && !place)
		usage_error("--account is place's");
	if (f->qc_failed && strcmp(cmd, "packed") != 0)
		usage_error("--qc-failed is packed's");
	if (f->backorder && !short_pick)
		usage_error("--backorder is short-pick's");
	if ((f->days || f->channel) && !place)
		usage_error("--days and --channel are place's");
	if ((f->seconds || f->has_handling) && strcmp(cmd, "analytics") != 0)
		usage_error("--seconds and --handling-cents are analytics'");
	if (place) {
		bool screen = f->screen || f->email || f->card_fp || f->address;
		if (!has_key || !customer || rest >= sub_argc)
			usage_error("place needs --key, --customer and at least one SKU:QTY");
		if (f->card && f->has_replaces)
			usage_error("--replaces: a replacement is free, there is no card to charge");
		if (f->account && f->has_replaces)
			usage_error("--replaces: a replacement is free, nothing to invoice");
		if (f->account && f->card)
			usage_error("--account: an order on account is invoiced, not paid by card");
		if (screen && f->has_replaces)
			usage_error("--replaces: a replacement is not screened");
		if (f->days && f->has_replaces)
			usage_error("--replaces: a replacement ships at its order's speed");
		if (f->channel && f->has_replaces)
			usage_error("--replaces: a replacement keeps its order's channel");
		command = (struct oc_command){
			.type = OC_CMD_PLACE, .key = key, .customer = customer,
			.region = (uint16_t)f->region,
			.flags = (f->card ? OC_PLACE_CARD : 0) |
				 (f->account ? OC_PLACE_ACCOUNT : 0) |
				 (f->has_replaces ? OC_PLACE_REPLACEMENT : 0) |
				 (screen ? OC_PLACE_SCREEN : 0) | OC_PLACE_DAYS(f->days) |
				 OC_PLACE_CHANNEL(f->channel),
			.order_key = f->replaces};
		if (screen)
			command.screen = screen_of(f);
		add_lines(&command, sub_argc, sub_argv, rest);
	} else if (block) {
		if (has_key || f->has_customer || rest != sub_argc)
			usage_error("block takes --operator, a value and --remove only: no key or "
				    "customer");
		command = block_of(f, block_text);
	} else if (strcmp(cmd, "review") == 0) {
		const char *word = rest < sub_argc ? sub_argv[rest] : "";
		uint8_t type = strcmp(word, "approve") == 0  ? OC_CMD_REVIEW_APPROVE
			       : strcmp(word, "reject") == 0 ? OC_CMD_REVIEW_REJECT
							     : 0;
		if (!has_key || !customer || sub_argc - rest != 1 || !type)
			usage_error("review needs --key, --customer and approve or reject");
		command = (struct oc_command){.type = type, .key = key, .customer = customer};
	} else if (strcmp(cmd, "exception") == 0) {
		const char *kind = rest < sub_argc ? sub_argv[rest] : "";
		uint32_t flags = strcmp(kind, "lost") == 0      ? OC_EXCEPTION_LOST
				 : strcmp(kind, "damaged") == 0 ? OC_EXCEPTION_DAMAGED
								: 0;
		if (!has_key || !customer || sub_argc - rest != 1 || !flags)
			usage_error("exception needs --key, --customer and lost or damaged");
		command = (struct oc_command){.type = OC_CMD_DELIVERY_EXCEPTION, .key = key,
					      .customer = customer, .flags = flags};
	} else if (strcmp(cmd, "return") == 0) {
		if (!has_key || !customer || !f->order || !f->reason || rest >= sub_argc)
			usage_error("return needs --key, --customer, --order, --reason and at least "
				    "one SKU:QTY");
		command = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED, .key = key,
					      .customer = customer, .flags = f->reason,
					      .order_key = f->order};
		add_lines(&command, sub_argc, sub_argv, rest);
	} else if (short_pick) {
		if (!has_key || !customer || !f->order || !f->has_warehouse || rest >= sub_argc)
			usage_error("short-pick needs --key, --customer, --order, --warehouse and "
				    "at least one SKU:MISSING");
		command = (struct oc_command){.type = OC_CMD_PICK_SHORT, .key = key,
					      .customer = customer, .order_key = f->order,
					      .region = (uint16_t)f->warehouse,
					      .flags = f->backorder ? OC_PICK_SHORT_BACKORDER : 0};
		add_lines(&command, sub_argc, sub_argv, rest);
	} else if (strcmp(cmd, "received") == 0) {
		if (!has_key || !customer || rest != sub_argc)
			usage_error("received needs --key (the RMA's) and --customer");
		command = (struct oc_command){.type = OC_CMD_RETURN_RECEIVED, .key = key,
					      .customer = customer,
					      .flags = f->restock ? OC_RETURN_RESTOCK : 0};
	} else if (strcmp(cmd, "cancel") == 0) {
		if (!has_key || !customer || rest != sub_argc)
			usage_error("cancel needs --key and --customer");
		command = (struct oc_command){.type = OC_CMD_CANCEL, .key = key, .customer = customer};
	} else if (strcmp(cmd, "refund") == 0) {
		int args = sub_argc - rest;
		if (!has_key || !customer || args < 1 || args > 2)
			usage_error("refund needs --key, --customer, ORDER_KEY [AMOUNT_CENTS]");
		command = (struct oc_command){
			.type = OC_CMD_REFUND, .key = key, .customer = customer,
			.order_key = number("ORDER_KEY", sub_argv[rest]),
			.amount_cents = args == 2 ? number("AMOUNT_CENTS", sub_argv[rest + 1]) : 0};
	} else if (step_type(cmd)) {
		if (!has_key || !customer || rest != sub_argc)
			usage_error("a fulfilment or payment step needs --key and --customer");
		command = (struct oc_command){.type = step_type(cmd), .key = key, .customer = customer,
					      .flags = f->qc_failed ? OC_PACK_QC_FAILED : 0};
	} else if (strcmp(cmd, "order") == 0) {
		if (has_key == (rest < sub_argc) || sub_argc - rest > 1)
			usage_error("order needs a sequence number or --key, not both");
		command = (struct oc_command){.type = has_key ? OC_CMD_QUERY_ORDER
							      : OC_CMD_QUERY_ORDER_SEQ,
					      .key = has_key ? key : number("SEQ", sub_argv[rest])};
	} else if (strcmp(cmd, "history") == 0) {
		if (!has_key || rest != sub_argc)
			usage_error("history needs --key");
		command = (struct oc_command){.type = OC_CMD_QUERY_HISTORY, .key = key};
	} else if (strcmp(cmd, "orders") == 0) {
		if (!customer || has_key || rest != sub_argc)
			usage_error("orders needs --customer, and --before KEY for the next page");
		command = (struct oc_command){.type = OC_CMD_QUERY_CUSTOMER, .customer = customer,
					      .order_key = f->before};
	} else if (strcmp(cmd, "stock") == 0) {
		if (sub_argc - rest != 1)
			usage_error("stock needs a SKU");
		command = (struct oc_command){
			.type = f->has_warehouse ? OC_CMD_QUERY_STOCK_AT : OC_CMD_QUERY_STOCK,
			.line_count = 1, .region = (uint16_t)f->warehouse,
			.lines = {{number("SKU", sub_argv[rest]), 0, 0}}};
	} else if (strcmp(cmd, "restock") == 0 || strcmp(cmd, "receive") == 0 ||
		   strcmp(cmd, "write-off") == 0 || strcmp(cmd, "adjust") == 0) {
		bool count = strcmp(cmd, "adjust") == 0;
		if (!has_key || !f->operator || !f->has_warehouse || sub_argc - rest != 2)
			usage_error(count ? "adjust needs --key, --operator, --warehouse, --expected, "
					    "SKU and COUNTED"
					  : "a stock change needs --key, --operator, --warehouse, SKU "
					    "and QTY");
		if (count != f->has_expected)
			usage_error(count ? "adjust needs --expected (the on hand it replaces)"
					  : "--expected is adjust's");
		uint64_t qty = number(count ? "COUNTED" : "QTY", sub_argv[rest + 1]);
		command = (struct oc_command){
			.type = count                            ? OC_CMD_ADJUST_STOCK
				: strcmp(cmd, "write-off") == 0 ? OC_CMD_WRITE_OFF
								 : OC_CMD_RESTOCK,
			.line_count = 1, .key = key, .customer = f->operator,
			.region = (uint16_t)f->warehouse,
			.lines = {{number("SKU", sub_argv[rest]),
				   qty > UINT32_MAX ? UINT32_MAX : (uint32_t)qty, 0}},
			.expected_units = f->expected};
	} else if (strcmp(cmd, "safety") == 0) {
		if (!f->operator || sub_argc - rest != 2)
			usage_error("safety needs --operator, SKU and UNITS");
		if (has_key || f->has_warehouse)
			usage_error("a safety stock has no key, and holds over every warehouse");
		uint64_t units = number("UNITS", sub_argv[rest + 1]);
		command = (struct oc_command){
			.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1, .customer = f->operator,
			.lines = {{number("SKU", sub_argv[rest]),
				   units > UINT32_MAX ? UINT32_MAX : (uint32_t)units, 0}}};
	} else if (strcmp(cmd, "reconcile") == 0) {
		if (sub_argc - rest != 1)
			usage_error("reconcile needs a SKU");
		if (has_key || f->has_customer || f->has_operator || f->has_warehouse)
			usage_error("reconcile takes a SKU only: no key, customer or operator, and it "
				    "reads every warehouse");
		command = (struct oc_command){.type = OC_CMD_QUERY_RECONCILE, .line_count = 1,
					      .lines = {{number("SKU", sub_argv[rest]), 0, 0}}};
	} else if (strcmp(cmd, "counters") == 0) {
		if (rest != sub_argc || has_key || f->has_customer || f->has_operator ||
		    f->has_warehouse)
			usage_error("counters takes no arguments");
		command = (struct oc_command){.type = OC_CMD_QUERY_COUNTERS};
	} else if (strcmp(cmd, "events") == 0) {
		if (rest != sub_argc)
			usage_error("events takes no arguments but --kinds and --count");
	} else if (strcmp(cmd, "analytics") == 0) {
		if (rest != sub_argc || f->kinds)
			usage_error("analytics takes --count, --seconds and --handling-cents only");
	} else if (strcmp(cmd, "stats") != 0 || rest != sub_argc) {
		usage_error("unknown command");
	}
	return command;
}

/* Sends one command and waits for its answer, and for the rows before it (up to
 * OC_QUERY_ROWS_MAX, into rows, their count in *row_count). 0, or 2 (the exit status) with
 * the reason said. */
static int ask(struct oc_client *cl, const struct oc_command *cmd, struct oc_response *rows,
	       uint32_t rows_max, uint32_t *row_count, struct oc_response *answer)
{
	int rc = oc_client_queue(cl, cmd, 1);
	*row_count = 0;
	while (rc == 0) {
		struct oc_client_answer a[OC_QUERY_ROWS_MAX + 1];
		int got = oc_client_receive(cl, a, OC_QUERY_ROWS_MAX + 1, 1);
		rc = got < 0 ? got : 0;
		for (int i = 0; i < got; i++) {
			if (!(a[i].response.flags & OC_RESPONSE_ROW)) {
				*answer = a[i].response; /* the last: one command was sent */
				return 0;
			}
			if (*row_count == rows_max) {
				fprintf(stderr, "ordercore-cli: more than %u rows\n", rows_max);
				return 2;
			}
			rows[(*row_count)++] = a[i].response;
		}
	}
	fprintf(stderr, "ordercore-cli: %s\n",
		rc == -EINVAL ? "this command cannot be sent" : oc_client_error(cl));
	return 2;
}

/* Rows of a reconciliation: a warehouse each, and a warehouse index is a u8 in an answer. */
#define RECON_ROWS_MAX 256u

/* Asks for every page of a reconciliation (cmd, region 0): each page's rows into rows (their
 * count in *row_count), the next asked from the warehouse after the last row's while the
 * answer says more; *answer is the last page's. 0, or 2 (the exit status) with the reason
 * said. */
static int ask_pages(struct oc_client *cl, struct oc_command cmd, struct oc_response *rows,
		     uint32_t *row_count, struct oc_response *answer)
{
	*row_count = 0;
	for (;;) {
		uint32_t got;
		int rc = ask(cl, &cmd, rows + *row_count, OC_QUERY_ROWS_MAX, &got, answer);
		if (rc)
			return rc;
		*row_count += got;
		if (!(answer->flags & OC_RESPONSE_MORE))
			return 0;
		uint32_t next = got ? rows[*row_count - 1].warehouse + 1u : RECON_ROWS_MAX;
		if (next >= RECON_ROWS_MAX || *row_count + OC_QUERY_ROWS_MAX > RECON_ROWS_MAX) {
			fprintf(stderr, "ordercore-cli: reconcile: more pages than warehouses\n");
			return 2;
		}
		cmd.region = (uint16_t)next;
	}
}

/* Asks for every page of the engine's counters (OC_CMD_QUERY_COUNTERS), the next from the
 * counter after the last row's while the answer says more, and prints them as they come
 * (json: one object); the exit status. A counter this program has no name for (a newer
 * daemon's) is printed as counter_INDEX. */
static int print_counters(struct oc_client *cl, bool json)
{
	struct oc_command cmd = {.type = OC_CMD_QUERY_COUNTERS};
	struct oc_response rows[OC_QUERY_ROWS_MAX], a;
	const char *sep = json ? "{" : "";
	for (;;) {
		uint32_t got;
		int rc = ask(cl, &cmd, rows, OC_QUERY_ROWS_MAX, &got, &a);
		if (rc)
			return rc;
		if (a.status != OC_STATUS_ACCEPTED) {
			fprintf(stderr, "ordercore-cli: counters: %s\n",
				oc_reject_reason_name(a.reason));
			return 2;
		}
		for (uint32_t i = 0; i < got; i++) {
			char unnamed[32];
			const char *name = oc_counter_name((unsigned)rows[i].original_seq);
			if (strcmp(name, "unknown") == 0) {
				snprintf(unnamed, sizeof(unnamed), "counter_%" PRIu64,
					 rows[i].original_seq);
				name = unnamed;
			}
			if (json)
				printf("%s\"%s\": %" PRIu64, sep, name, rows[i].amount_cents);
			else
				printf("%s %" PRIu64 "\n", name, rows[i].amount_cents);
			sep = ", ";
		}
		if (!(a.flags & OC_RESPONSE_MORE))
			break;
		uint64_t next = got ? rows[got - 1].original_seq + 1 : UINT16_MAX + 1ull;
		if (next > UINT16_MAX) {
			fprintf(stderr, "ordercore-cli: counters: a page without progress\n");
			return 2;
		}
		cmd.region = (uint16_t)next;
	}
	if (json)
		printf("%s}\n", *sep == '{' ? "{" : "");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"connect", required_argument, 0, 'C'},
					     {"token", required_argument, 0, 'T'},
					     {"json", no_argument, 0, 'j'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *connect_to = "127.0.0.1:7411", *token = NULL;
	bool json = false, connect_given = false;
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': connect_to = optarg; connect_given = true; break;
		case 'T': token = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: usage_error("bad option");
		}
	}
	if (optind >= argc)
		usage_error("no command");
	const char *cmd = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	if (!token && getenv("ORDERCORE_TOKEN") && *getenv("ORDERCORE_TOKEN"))
		token = getenv("ORDERCORE_TOKEN");
	if (strcmp(cmd, "top") == 0) {
		if (connect_given || json)
			usage_error("top reads the admin endpoint: top --admin HOST:PORT (no --connect "
				    "or --json)");
		return oc_top_main(sub_argc, sub_argv, token);
	}

	struct sub_flags f = {0};
	sub_options(sub_argc, sub_argv, &f);
	/* optind: where the subcommand's positional arguments start */
	const char *block_text = NULL; /* a block list change's value */
	struct oc_command command = command_of(cmd, sub_argc, sub_argv, optind, &f, &block_text);

	char host[256];
	const char *colon = strrchr(connect_to, ':');
	if (!colon || colon == connect_to || (size_t)(colon - connect_to) >= sizeof(host))
		usage_error("--connect wants HOST:PORT");
	const char *h = connect_to;
	size_t hlen = (size_t)(colon - connect_to);
	if (hlen > 2 && h[0] == '[' && h[hlen - 1] == ']') { /* [IPv6]:PORT, as the daemon's */
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	uint64_t port = number("port", colon + 1);
	if (port == 0 || port > 65535)
		usage_error("--connect: the port is 1-65535");
	struct oc_client_config cfg = {.host = host, .port = (uint16_t)port, .token = token,
				       .token_bytes = token ? strlen(token) : 0};
	struct oc_client *cl;
	char err[400];
	int rc = oc_client_connect(&cfg, &cl, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ordercore-cli: %s\n", err);
		return 2;
	}
	if (strcmp(cmd, "stats") == 0)
		return print_stats(cl, json);
	if (strcmp(cmd, "events") == 0)
		return follow_events(cl, f.kinds ? f.kinds : OC_EVENT_ALL, f.count, json);
	if (strcmp(cmd, "analytics") == 0)
		return follow_analytics(cl, f.count, f.seconds,
					f.has_handling ? (uint32_t)f.handling_cents : 50, json);
	if (command.type == OC_CMD_QUERY_COUNTERS) {
		rc = print_counters(cl, json);
		oc_client_close(cl);
		return rc;
	}
	static struct oc_response rows[RECON_ROWS_MAX];
	struct oc_response a;
	uint32_t row_count;
	if (command.type == OC_CMD_QUERY_RECONCILE)
		rc = ask_pages(cl, command, rows, &row_count, &a);
	else
		rc = ask(cl, &command, rows, RECON_ROWS_MAX, &row_count, &a);
	oc_client_close(cl);
	if (rc)
		return rc;
	if (command.type == OC_CMD_QUERY_HISTORY)
		print_history(rows, row_count, &a, json);
	else if (command.type == OC_CMD_QUERY_CUSTOMER)
		print_orders(rows, row_count, &a, json);
	else if (command.type == OC_CMD_QUERY_RECONCILE)
		print_reconcile(command.lines[0].sku, rows, row_count, &a, json);
	else if (command.type == OC_CMD_SET_SAFETY_STOCK)
		print_safety(&command, &a, json);
	else if (command.type == OC_CMD_BLOCK)
		print_block(&command, block_text, &a, json);
	else if (command.type == OC_CMD_PACK_CONFIRMED || command.type == OC_CMD_SHIPPED)
		print_with_documents(rows, row_count, &a, json);
	else
		print_answer(&a, json, false);
	/* Every command that names one SKU (the queries and stock changes) finds it or not; an
	 * order's, an RMA's or a short pick's unknown_sku is a rejection like any other. */
	bool names_sku = command.line_count == 1 && command.type != OC_CMD_PLACE &&
			 command.type != OC_CMD_RETURN_REQUESTED &&
			 command.type != OC_CMD_PICK_SHORT;
	bool missing = a.reason == OC_REJECT_UNKNOWN_ORDER ||
		       (names_sku && a.reason == OC_REJECT_UNKNOWN_SKU);
	return missing ? 1 : 0;
}
