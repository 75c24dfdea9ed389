/* screening.h: the fraud screening's configuration, loaded from the dataset directory at
 * engine creation (docs/dataset.md, "Screening"): the scored rules and the two thresholds
 * (fraud.csv), the countries served with their postal-code formats (countries.csv) and the
 * block list (blocklist.csv). All three files are optional; without fraud.csv screening is
 * off and the other two must not be there either. Besides, the B2B customers' credit lines
 * (credit.csv, optional, whether or not the dataset screens), which route checks orders
 * placed on account against (docs/lifecycle.md, "Credit").
 *
 * Loaded once, read-only afterwards: validate's screening (stages/fraud.c) copies the block
 * list into a table of its own (operators change it by OC_CMD_BLOCK) and reads the rest. */
#ifndef OC_SCREENING_H
#define OC_SCREENING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercore/ordercore.h"

/* The scored rules, in fraud.csv's vocabulary (oc_screening_rule_name). Each has the reject
 * reason it reports (oc_screening_rule_reason). */
enum oc_screening_rule {
	OC_RULE_CUSTOMER_VELOCITY = 0, /* limit: orders by the customer within window_s */
	OC_RULE_CARD_VELOCITY = 1,     /* limit: orders with the card within window_s */
	OC_RULE_ADDRESS_VELOCITY = 2,  /* limit: orders to the address within window_s */
	OC_RULE_AMOUNT_HISTORY = 3,    /* limit: percent of the customer's average amount; fires
	                                * over it, once the customer has
	                                * OC_SCREEN_HISTORY_ORDERS_MIN orders; window_s 0 */
	OC_RULE_COUNTRY_MISMATCH = 4,  /* limit and window_s 0: fires when billing and shipping
	                                * countries differ */
	OC_RULE_NEW_ACCOUNT = 5,       /* fires when the account is younger than window_s (a
	                                * multiple of 86400: whole days) and the amount is over
	                                * limit cents */
	OC_RULE_COUNT
};

/* A velocity rule counts at most this many earlier orders (the windows keep that many
 * timestamps per customer, card and address). */
#define OC_SCREEN_VELOCITY_ORDERS_MAX 16u
/* Orders a customer must have had screened before the amount rule compares with the average. */
#define OC_SCREEN_HISTORY_ORDERS_MIN 3u
/* Scores and thresholds are at most this (fraud.csv). */
#define OC_SCREEN_SCORE_MAX 1000u
/* Postal formats of one country, '|'-separated, with the NUL (countries.csv). */
#define OC_POSTAL_FORMAT_BYTES_MAX 96u
/* Rows of blocklist.csv. */
#define OC_BLOCKLIST_ROWS_MAX (1u << 20)
/* Countries are two upper-case letters: 26 x 26 slots. */
#define OC_COUNTRY_SLOTS (26u * 26u)
/* A velocity rule's window is at most a month, in seconds: velocity is about bursts, and a
 * window that holds only OC_SCREEN_VELOCITY_ORDERS_MAX timestamps says little over longer
 * spans. */
#define OC_SCREEN_VELOCITY_WINDOW_S_MAX (30u * 86400u)
/* The amount rule's limit, in percent of the customer's average: over 100 (at 100 every
 * amount above the average would fire), at most 1000 times the average. */
#define OC_SCREEN_AMOUNT_PCT_MIN 101u
#define OC_SCREEN_AMOUNT_PCT_MAX 100000u
/* The new-account rule's amount limit, in cents: 2^53, the largest integer a double (a JSON
 * number) holds exactly. */
#define OC_SCREEN_NEW_ACCOUNT_CENTS_MAX (1ull << 53)
/* Seconds in a day: the new-account rule's window_s is whole days. */
#define OC_SCREEN_DAY_S 86400u
/* The new-account rule's window, in days: window_s is 32-bit seconds, and 49710 days (136
 * years) is the most that fits. An account's age (oc_screen.account_age_days) could say up to
 * 65535 days, but no real account is older than the cap. */
#define OC_SCREEN_NEW_ACCOUNT_DAYS_MAX (UINT32_MAX / OC_SCREEN_DAY_S)

_Static_assert(OC_SCREEN_NEW_ACCOUNT_DAYS_MAX == 49710u, "the window's days fit 32-bit seconds");
_Static_assert(OC_POSTAL_CODE_BYTES < OC_POSTAL_FORMAT_BYTES_MAX,
               "a format as long as the longest postal code fits with its NUL");

struct oc_rule {
	uint32_t score;    /* added when the rule fires; 0: the rule is off (not in fraud.csv) */
	uint32_t window_s; /* seconds (see the rule) */
	uint64_t limit;    /* see the rule */
};

struct oc_country {
	bool known;       /* a row of countries.csv */
	bool serviceable; /* orders may ship there */
	char postal_formats[OC_POSTAL_FORMAT_BYTES_MAX]; /* '9' a digit, 'A' a letter, any other
	                                                  * byte itself; '|' between formats;
	                                                  * "*": any code */
};

struct oc_block_rec {
	uint64_t hash; /* oc_screen_hash of the value */
	uint32_t kind; /* OC_BLOCK_EMAIL, OC_BLOCK_CARD or OC_BLOCK_ADDRESS */
};

/* Rows of credit.csv. */
#define OC_CREDIT_ROWS_MAX (1u << 20)
/* A credit limit is at most this, in cents (2^53: what every JSON reader holds exactly). */
#define OC_CREDIT_LIMIT_CENTS_MAX (1ull << 53)

struct oc_credit_line {
	uint64_t customer;    /* > 0, once in the file */
	uint64_t limit_cents; /* the most its orders on account may owe at once */
};

struct oc_screening {
	bool enabled;             /* fraud.csv is there */
	struct oc_rule rules[OC_RULE_COUNT];
	uint32_t hold_score;      /* a total score at least this holds the order for review */
	uint32_t reject_score;    /* at least this rejects it (>= hold_score) */
	bool countries_loaded;    /* countries.csv is there: shipping countries are checked */
	struct oc_country *countries; /* [OC_COUNTRY_SLOTS], NULL without countries.csv */
	uint32_t block_count;
	struct oc_block_rec *blocks;  /* blocklist.csv's rows, in file order */
	uint32_t credit_count;
	struct oc_credit_line *credit; /* credit.csv's rows, in file order */
};

/* Loads dir/fraud.csv, dir/countries.csv, dir/blocklist.csv and dir/credit.csv. A missing
 * fraud.csv leaves screening off (0, enabled false) unless countries.csv or blocklist.csv is
 * there (-EINVAL: "countries.csv without fraud.csv"); a missing credit.csv, no credit lines.
 * Bad content: -EINVAL with "<path>:<line>: <what>" in err, nothing left allocated and *out
 * zeroed; -ENOMEM; another -errno when a file is there but cannot be read.
 * countries, blocks and credit belong to *out until oc_screening_destroy. */
int oc_screening_load(const char *dir, struct oc_screening *out, char *err, size_t err_bytes);
/* Frees what a load allocated and zeroes *s; harmless on a zeroed or destroyed struct. */
void oc_screening_destroy(struct oc_screening *s);

/* The country with this two-letter code, or NULL (not two upper-case letters, or not in
 * countries.csv). */
const struct oc_country *oc_screening_country(const struct oc_screening *s, const char code[2]);

/* Whether a postal code (len bytes, no NUL inside) matches one of the country's formats:
 * '9' takes a digit, 'A' a letter of either case, any other byte itself (a letter in either
 * case), and the lengths are equal. "*" takes any code, even an empty one; no other format
 * takes an empty code. */
bool oc_screening_postal_ok(const struct oc_country *c, const char *code, size_t len);

/* Folds everything loaded into a hash (the data_dir identity: other rules decide otherwise
 * on replay), starting from seed. Without any of the files it returns seed itself: every
 * dataset without them has the same value. */
uint64_t oc_screening_fingerprint(const struct oc_screening *s, uint64_t seed);

/* The rule's name in fraud.csv ("customer_velocity", ...) and the reason it reports. */
const char *oc_screening_rule_name(enum oc_screening_rule rule);
uint8_t oc_screening_rule_reason(enum oc_screening_rule rule);

/* Writes a demo fraud.csv, countries.csv and blocklist.csv into dir, which must exist
 * (ordercore-loadgen --gen-dataset --screening, after oc_dataset_write_demo made it), the
 * same every time; existing files are overwritten. 0 or -errno with a reason in err. */
int oc_screening_write_demo(const char *dir, char *err, size_t err_bytes);

#endif
