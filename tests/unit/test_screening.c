/* test_screening.c: unit tests of the screening's dataset files (engine/data/screening.c):
 * loading good files, what a missing file means, one test per kind of bad input (each
 * checking -EINVAL and that the message names the file and the line), the postal-code
 * match, oc_screen_hash's normalization, the fingerprint, and the demo files loading back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "data/screening.h"
#include "oc_test.h"

#define ERR_BYTES 1024
/* Scratch directory paths: oc_test_scratch_dir's command buffer holds two of them. */
#define DIR_BYTES 1024

static const char fraud_ok[] = "rule,score,limit,window_s\n"
                               "customer_velocity,40,5,3600\n"
                               "card_velocity,50,16,2592000\n"
                               "amount_history,35,500,0\n"
                               "country_mismatch,30,0,0\n"
                               "new_account,45,9007199254740992,4294944000\n"
                               "hold,50,0,0\n"
                               "reject,100,0,0\n";
static const char countries_ok[] = "country,postal_formats,serviceable\n"
                                   "US,99999|99999-9999,1\n"
                                   "CA,A9A 9A9,1\n"
                                   "GB,A9 9AA|A99 9AA|AA9 9AA|AA99 9AA|A9A 9AA|AA9A 9AA,1\n"
                                   "NL,9999 AA,1\n"
                                   "JP,999-9999,0\n"
                                   "XG,GIR 0AA,1\n"
                                   "ZZ,*,1\n";
static const char blocks_ok[] = "kind,value\n"
                                "email,Fraud@Example.com\n"
                                "card,fp_123\n"
                                "address,1 Blocked Road\n"
                                "email,fraud@example.com\n";

/* Marks a file the case leaves out of the directory. */
static const char missing[] = "(missing)";

/* Writes a file of the case (oc_test_write_file), failing the test if it cannot. */
static void write_file(const char *dir, const char *name, const char *text)
{
	assert_int_equal(oc_test_write_file(dir, name, text), 0);
}

/* Writes the three files (NULL: the valid default, `missing`: left out). */
static void write_screening(const char *dir, const char *fraud, const char *countries,
                            const char *blocks)
{
	const char *names[] = {"fraud.csv", "countries.csv", "blocklist.csv"};
	const char *texts[] = {fraud ? fraud : fraud_ok, countries ? countries : countries_ok,
	                       blocks ? blocks : blocks_ok};
	for (int i = 0; i < 3; i++)
		if (texts[i] != missing)
			write_file(dir, names[i], texts[i]);
}

static void assert_zeroed(const struct oc_screening *s)
{
	assert_false(s->enabled);
	assert_false(s->countries_loaded);
	assert_null(s->countries);
	assert_null(s->blocks);
	assert_int_equal(s->block_count, 0);
	assert_null(s->credit);
	assert_int_equal(s->credit_count, 0);
	assert_int_equal(s->hold_score, 0);
	for (uint32_t r = 0; r < OC_RULE_COUNT; r++)
		assert_int_equal(s->rules[r].score, 0);
}

/* Loads dir expecting -EINVAL with "<dir>/<where>" and `what` in the message. */
static void expect_load_error(const char *dir, const char *where, const char *what)
{
	struct oc_screening s;
	char err[ERR_BYTES], want[DIR_BYTES + 64];
	int got = oc_screening_load(dir, &s, err, sizeof(err));
	print_message("load: %d %s\n", got, err);
	assert_int_equal(got, -EINVAL);
	snprintf(want, sizeof(want), "%s/%s", dir, where);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, what));
	assert_zeroed(&s); /* nothing is left allocated */
}

static void test_load_good(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_good");
	/* CRLF endings and blank lines are read like anywhere in the dataset. */
	write_screening(dir,
	                "rule,score,limit,window_s\r\n\r\n"
	                "customer_velocity,40,5,3600\r\n"
	                "card_velocity,50,16,2592000\r\n"
	                "  \r\n"
	                "amount_history,35,500,0\r\n"
	                "country_mismatch,30,0,0\r\n"
	                "new_account,45,9007199254740992,4294944000\r\n"
	                "reject,100,0,0\r\n"
	                "hold,50,0,0\r\n",
	                NULL, NULL);
	struct oc_screening s;
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(s.enabled);
	const struct oc_rule *r = s.rules;
	assert_true(r[OC_RULE_CUSTOMER_VELOCITY].score == 40 &&
	            r[OC_RULE_CUSTOMER_VELOCITY].limit == 5 &&
	            r[OC_RULE_CUSTOMER_VELOCITY].window_s == 3600);
	assert_true(r[OC_RULE_CARD_VELOCITY].score == 50 && r[OC_RULE_CARD_VELOCITY].limit == 16 &&
	            r[OC_RULE_CARD_VELOCITY].window_s == 30u * 86400u);
	/* address_velocity is not listed: off. */
	assert_true(r[OC_RULE_ADDRESS_VELOCITY].score == 0 &&
	            r[OC_RULE_ADDRESS_VELOCITY].limit == 0 &&
	            r[OC_RULE_ADDRESS_VELOCITY].window_s == 0);
	assert_true(r[OC_RULE_AMOUNT_HISTORY].score == 35 &&
	            r[OC_RULE_AMOUNT_HISTORY].limit == 500);
	assert_int_equal(r[OC_RULE_COUNTRY_MISMATCH].score, 30);
	assert_true(r[OC_RULE_NEW_ACCOUNT].score == 45 &&
	            r[OC_RULE_NEW_ACCOUNT].limit == (1ull << 53) &&
	            r[OC_RULE_NEW_ACCOUNT].window_s == 49710u * 86400u);
	assert_int_equal(s.hold_score, 50);
	assert_int_equal(s.reject_score, 100);

	assert_true(s.countries_loaded);
	const struct oc_country *us = oc_screening_country(&s, "US");
	assert_non_null(us);
	assert_ptr_equal(us, &s.countries[('U' - 'A') * 26 + ('S' - 'A')]);
	assert_true(us->known && us->serviceable);
	assert_string_equal(us->postal_formats, "99999|99999-9999");
	assert_string_equal(oc_screening_country(&s, "CA")->postal_formats, "A9A 9A9");
	const struct oc_country *jp = oc_screening_country(&s, "JP");
	assert_non_null(jp);
	assert_false(jp->serviceable);
	assert_null(oc_screening_country(&s, "FR")); /* not listed */
	assert_null(oc_screening_country(&s, "us")); /* not upper case */
	assert_null(oc_screening_country(&s, "U1"));
	assert_null(oc_screening_country(&s, "\0\0"));

	assert_int_equal(s.block_count, 4);
	assert_non_null(s.blocks);
	assert_int_equal(s.blocks[0].kind, OC_BLOCK_EMAIL);
	assert_int_equal(s.blocks[1].kind, OC_BLOCK_CARD);
	assert_int_equal(s.blocks[2].kind, OC_BLOCK_ADDRESS);
	assert_int_equal(s.blocks[0].hash, oc_screen_hash("fraud@example.com", 17));
	assert_int_equal(s.blocks[1].hash, oc_screen_hash("fp_123", 6));
	assert_int_equal(s.blocks[2].hash, oc_screen_hash("1blockedroad", 12));
	assert_int_equal(s.blocks[3].hash, s.blocks[0].hash); /* a duplicate is harmless */
	oc_screening_destroy(&s);
	assert_zeroed(&s);
	oc_screening_destroy(&s); /* destroying a destroyed struct is harmless */
}

static void test_missing_files(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	struct oc_screening s;

	/* None of the files: screening is off, and that is no error. */
	oc_test_scratch_dir(dir, sizeof(dir), "screening_none");
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_zeroed(&s);
	assert_null(oc_screening_country(&s, "US"));
	oc_screening_destroy(&s);
	assert_int_equal(oc_screening_load(dir, &s, NULL, 0), 0); /* no message buffer */

	/* fraud.csv alone: screening on, no country checks, nothing blocked. */
	oc_test_scratch_dir(dir, sizeof(dir), "screening_fraud_only");
	write_screening(dir, NULL, missing, missing);
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(s.enabled);
	assert_false(s.countries_loaded);
	assert_null(s.countries);
	assert_null(oc_screening_country(&s, "US"));
	assert_int_equal(s.block_count, 0);
	assert_null(s.blocks);
	oc_screening_destroy(&s);

	/* An empty block list is fine too. */
	oc_test_scratch_dir(dir, sizeof(dir), "screening_empty_blocks");
	write_screening(dir, NULL, NULL, "kind,value\n");
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_true(s.enabled && s.countries_loaded);
	assert_int_equal(s.block_count, 0);
	oc_screening_destroy(&s);

	/* The other files without fraud.csv: most likely fraud.csv was lost. */
	oc_test_scratch_dir(dir, sizeof(dir), "screening_no_fraud");
	write_screening(dir, missing, NULL, missing);
	expect_load_error(dir, "countries.csv without", "fraud.csv");
	oc_test_scratch_dir(dir, sizeof(dir), "screening_no_fraud_blocks");
	write_screening(dir, missing, missing, NULL);
	expect_load_error(dir, "blocklist.csv without", "fraud.csv");
}

/* 2^20 rows load; one more is too many. */
static void test_too_many_blocks(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_many_blocks");
	static const char row[] = "card,x\n";
	size_t bytes = sizeof("kind,value\n") + (OC_BLOCKLIST_ROWS_MAX + 1) * (sizeof(row) - 1);
	char *text = malloc(bytes);
	assert_non_null(text);
	char *p = text + sprintf(text, "kind,value\n");
	for (uint32_t i = 0; i < OC_BLOCKLIST_ROWS_MAX; i++, p += sizeof(row) - 1)
		memcpy(p, row, sizeof(row) - 1);
	*p = '\0';
	write_screening(dir, NULL, NULL, text);
	struct oc_screening s;
	char err[ERR_BYTES];
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_int_equal(s.block_count, OC_BLOCKLIST_ROWS_MAX);
	assert_int_equal(s.blocks[OC_BLOCKLIST_ROWS_MAX - 1].hash, oc_screen_hash("x", 1));
	oc_screening_destroy(&s);
	strcpy(p, row);
	write_screening(dir, NULL, NULL, text);
	free(text);
	char where[64];
	snprintf(where, sizeof(where), "blocklist.csv:%u:", OC_BLOCKLIST_ROWS_MAX + 2);
	expect_load_error(dir, where, "more than 1048576 rows");
}

struct bad_case {
	const char *fraud, *countries, *blocks; /* NULL: the valid default */
	const char *where;                      /* "<file>:<line>:" */
	const char *what;                       /* part of the reason */
};

static void run_bad_case(void **state)
{
	const struct bad_case *c = *state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_bad");
	write_screening(dir, c->fraud, c->countries, c->blocks);
	expect_load_error(dir, c->where, c->what);
}

#define FRAUD_HEADER   "rule,score,limit,window_s\n"
#define THRESHOLDS     "hold,50,0,0\nreject,100,0,0\n"
#define COUNTRY_HEADER "country,postal_formats,serviceable\n"
#define BLOCK_HEADER   "kind,value\n"

#define BAD(name_, fraud_, countries_, blocks_, where_, what_)                                     \
	static const struct bad_case name_ = {fraud_, countries_, blocks_, where_, what_};
/* A bad fraud.csv row on line 2, with valid thresholds after it. */
#define BAD_RULE(name_, row_, what_)                                                               \
	BAD(name_, FRAUD_HEADER row_ "\n" THRESHOLDS, NULL, NULL, "fraud.csv:2:", what_)
/* A bad countries.csv row on line 3, after a valid one. */
#define BAD_COUNTRY(name_, row_, what_)                                                            \
	BAD(name_, NULL, COUNTRY_HEADER "US,99999,1\n" row_ "\n", NULL, "countries.csv:3:", what_)

BAD(fraud_header, "rule,score,limit\n" THRESHOLDS, NULL, NULL,
    "fraud.csv:1:", "missing column 'window_s'")
BAD(fraud_empty, "", NULL, NULL, "fraud.csv:1:", "missing header row")
BAD(fraud_fields, FRAUD_HEADER "hold,50,0\n", NULL, NULL, "fraud.csv:2:", "3 fields, expected 4")
BAD_RULE(rule_unknown, "ip_velocity,10,1,1", "unknown rule 'ip_velocity' (rules: customer_velocity")
BAD_RULE(rule_empty, ",10,1,1", "column rule is empty")
BAD_RULE(rule_upper, "Card_velocity,10,1,1", "unknown rule 'Card_velocity'")
BAD(rule_twice, FRAUD_HEADER "card_velocity,10,1,60\n\ncard_velocity,20,2,60\n" THRESHOLDS, NULL,
    NULL, "fraud.csv:4:", "card_velocity is listed twice (first on line 2)")
BAD(hold_twice, FRAUD_HEADER THRESHOLDS "hold,60,0,0\n", NULL, NULL,
    "fraud.csv:4:", "hold is listed twice (first on line 2)")
BAD_RULE(score_zero, "card_velocity,0,1,60", "column score: '0' is out of range [1, 1000]")
BAD_RULE(score_high, "card_velocity,1001,1,60", "column score: '1001' is out of range [1, 1000]")
BAD_RULE(score_negative, "card_velocity,-5,1,60", "column score: '-5' is negative")
BAD_RULE(score_text, "card_velocity,ten,1,60", "column score: 'ten' is not an unsigned integer")
BAD_RULE(score_space, "card_velocity, 10,1,60", "column score: ' 10' is not an unsigned integer")
BAD_RULE(velocity_limit_zero, "customer_velocity,10,0,60",
         "column limit: '0' is out of range [1, 16]")
BAD_RULE(velocity_limit_high, "address_velocity,10,17,60",
         "column limit: '17' is out of range [1, 16]")
BAD_RULE(velocity_window_zero, "card_velocity,10,5,0",
         "column window_s: '0' is out of range [1, 2592000]")
BAD_RULE(velocity_window_high, "card_velocity,10,5,2592001",
         "column window_s: '2592001' is out of range [1, 2592000]")
BAD_RULE(amount_limit_low, "amount_history,10,100,0",
         "column limit: '100' is out of range [101, 100000]")
BAD_RULE(amount_limit_high, "amount_history,10,100001,0",
         "column limit: '100001' is out of range [101, 100000]")
BAD_RULE(amount_window, "amount_history,10,500,60", "column window_s: '60' is out of range [0, 0]")
BAD_RULE(mismatch_limit, "country_mismatch,10,1,0", "column limit: '1' is out of range [0, 0]")
BAD_RULE(mismatch_window, "country_mismatch,10,0,1", "column window_s: '1' is out of range [0, 0]")
BAD_RULE(new_account_limit_zero, "new_account,10,0,86400",
         "column limit: '0' is out of range [1, 9007199254740992]")
BAD_RULE(new_account_limit_high, "new_account,10,9007199254740993,86400",
         "column limit: '9007199254740993' is out of range")
BAD_RULE(new_account_window_zero, "new_account,10,100,0",
         "column window_s: '0' is out of range [86400, 4294944000]")
BAD_RULE(new_account_window_high, "new_account,10,100,4295030400",
         "column window_s: '4295030400' is out of range [86400, 4294944000]")
BAD_RULE(new_account_window_part, "new_account,10,100,90000",
         "column window_s: new_account's window is whole days, a multiple of 86400 seconds, "
         "not 90000")
BAD(hold_limit, FRAUD_HEADER "hold,50,5,0\nreject,100,0,0\n", NULL, NULL,
    "fraud.csv:2:", "column limit: '5' is out of range [0, 0]")
BAD(reject_window, FRAUD_HEADER "hold,50,0,0\nreject,100,0,1\n", NULL, NULL,
    "fraud.csv:3:", "column window_s: '1' is out of range [0, 0]")
BAD(hold_score_zero, FRAUD_HEADER "hold,0,0,0\nreject,100,0,0\n", NULL, NULL,
    "fraud.csv:2:", "column score: '0' is out of range [1, 1000]")
BAD(reject_score_high, FRAUD_HEADER "hold,50,0,0\nreject,1001,0,0\n", NULL, NULL,
    "fraud.csv:3:", "column score: '1001' is out of range [1, 1000]")
BAD(no_hold, FRAUD_HEADER "card_velocity,10,1,60\nreject,100,0,0\n", NULL, NULL,
    "fraud.csv:3:", "no hold row")
BAD(no_reject, FRAUD_HEADER "hold,50,0,0\n\n", NULL, NULL, "fraud.csv:3:", "no reject row")
BAD(no_rows, FRAUD_HEADER, NULL, NULL, "fraud.csv:1:", "no hold row")
BAD(reject_below_hold, FRAUD_HEADER "hold,50,0,0\ncard_velocity,10,1,60\nreject,49,0,0\n", NULL,
    NULL, "fraud.csv:4:", "reject score 49 is below the hold score 50 (hold on line 2)")
BAD(fraud_quote, FRAUD_HEADER "\"hold\",50,0,0\n", NULL, NULL,
    "fraud.csv:2:", "field 1 contains a double quote")

BAD(country_header, NULL, "country,formats,serviceable\nUS,99999,1\n", NULL,
    "countries.csv:1:", "header column 2 is 'formats', expected 'postal_formats'")
BAD(no_countries, NULL, "\n" COUNTRY_HEADER, NULL, "countries.csv:2:", "no countries")
BAD_COUNTRY(country_lower, "us,99999,1", "column country: 'us' is not two upper-case letters")
BAD_COUNTRY(country_three, "USA,99999,1", "column country: 'USA' is not two upper-case letters")
BAD_COUNTRY(country_one, "U,99999,1", "column country: 'U' is not two upper-case letters")
BAD_COUNTRY(country_digit, "U1,99999,1", "column country: 'U1' is not two upper-case letters")
BAD_COUNTRY(country_space, "U ,99999,1", "column country: 'U ' is not two upper-case letters")
BAD_COUNTRY(country_empty, ",99999,1", "column country is empty")
BAD_COUNTRY(country_twice, "US,9999,1", "country US is listed twice (first on line 2)")
BAD_COUNTRY(formats_empty, "CA,,1", "column postal_formats is empty")
BAD_COUNTRY(formats_empty_middle, "CA,99999||9999,1",
            "column postal_formats: format 2 of '99999||9999' is empty")
BAD_COUNTRY(formats_empty_last, "CA,99999|,1",
            "column postal_formats: format 2 of '99999|' is empty")
BAD_COUNTRY(formats_empty_first, "CA,|99999,1",
            "column postal_formats: format 1 of '|99999' is empty")
BAD_COUNTRY(formats_long, "CA,99999|99999999999,1",
            "column postal_formats: format '99999999999' is 11 bytes long, at most 10")
BAD_COUNTRY(formats_lower, "CA,a9a 9a9,1",
            "column postal_formats: format 'a9a 9a9' may hold only A-Z, 0-9, ' ' and '-'")
BAD_COUNTRY(formats_period, "CA,9999.AA,1", "format '9999.AA' may hold only A-Z, 0-9")
BAD_COUNTRY(formats_underscore, "CA,99_99,1", "format '99_99' may hold only A-Z, 0-9")
BAD_COUNTRY(formats_star, "CA,*|99999,1", "column postal_formats: '*' (any code) must stand alone")
BAD_COUNTRY(formats_stars, "CA,**,1", "'*' (any code) must stand alone")
BAD_COUNTRY(formats_control, "CA,9999\tAA,1", "column postal_formats contains a control character")
BAD_COUNTRY(formats_too_long,
            "CA,99999|99999|99999|99999|99999|99999|99999|99999|99999|99999|99999|99999|99999|"
            "99999|99999|999999,1",
            "column postal_formats is 96 bytes long, at most 95")
BAD_COUNTRY(serviceable_two, "CA,A9A 9A9,2", "column serviceable: '2' is out of range [0, 1]")
BAD_COUNTRY(serviceable_empty, "CA,A9A 9A9,", "column serviceable is empty")

BAD(block_header, NULL, NULL, "kind,hash\nemail,a@b.c\n",
    "blocklist.csv:1:", "header column 2 is 'hash', expected 'value'")
BAD(block_kind, NULL, NULL, BLOCK_HEADER "email,a@b.c\nphone,555\n",
    "blocklist.csv:3:", "unknown kind 'phone' (kinds: email, card, address)")
BAD(block_kind_upper, NULL, NULL, BLOCK_HEADER "EMAIL,a@b.c\n",
    "blocklist.csv:2:", "unknown kind 'EMAIL'")
BAD(block_kind_empty, NULL, NULL, BLOCK_HEADER ",a@b.c\n",
    "blocklist.csv:2:", "column kind is empty")
BAD(block_value_empty, NULL, NULL, BLOCK_HEADER "email,\n",
    "blocklist.csv:2:", "column value is empty")
BAD(block_value_nothing, NULL, NULL, BLOCK_HEADER "address, . .\n",
    "blocklist.csv:2:", "column value: ' . .' has only spaces and periods")
BAD(block_value_control, NULL, NULL, BLOCK_HEADER "address,1\tRoad\n",
    "blocklist.csv:2:", "column value contains a control character")
BAD(block_fields, NULL, NULL, BLOCK_HEADER "address,1 Road,Springfield\n",
    "blocklist.csv:2:", "3 fields, expected 2")

#define BAD_TEST(name_)                                                                            \
	{                                                                                          \
#name_, run_bad_case, NULL, NULL, (void *)&name_                                   \
	}

struct postal_case {
	const char *country, *code;
	bool ok;
};

static void test_postal(void **state)
{
	(void)state;
	static const struct postal_case cases[] = {
	    {"US", "12345", true},      {"US", "12345-6789", true}, {"US", "1234", false},
	    {"US", "123456", false},    {"US", "1234a", false},     {"US", "12345 6789", false},
	    {"US", "12345-678", false}, {"US", "", false},          {"CA", "K1A 0B1", true},
	    {"CA", "k1a 0b1", true},    {"CA", "K1A0B1", false},    {"CA", "K1A-0B1", false},
	    {"CA", "11A 0B1", false},   {"CA", "K1A 0B12", false},  {"GB", "SW1A 1AA", true},
	    {"GB", "M1 1AE", true},     {"GB", "B33 8TH", true},    {"GB", "CR2 6XH", true},
	    {"GB", "DN55 1PT", true},   {"GB", "W1A 0AX", true},    {"GB", "ec1a 1bb", true},
	    {"GB", "SW1A1AA", false},   {"GB", "SW1A 1A", false},   {"GB", "1W1A 1AA", false},
	    {"NL", "1234 AB", true},    {"NL", "1234 ab", true},    {"NL", "1234AB", false},
	    {"NL", "12345 AB", false},  {"NL", "1234 A1", false},   {"JP", "100-0001", true},
	    {"JP", "1000001", false},   {"XG", "GIR 0AA", true},    {"XG", "gir 0aa", true},
	    {"XG", "GIR 1AA", false},   {"XG", "GXR 0AA", false},   {"ZZ", "anything at all", true},
	    {"ZZ", "", true},
	};
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_postal");
	write_screening(dir, NULL, NULL, NULL);
	struct oc_screening s;
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct postal_case *c = &cases[i];
		const struct oc_country *country = oc_screening_country(&s, c->country);
		assert_non_null(country);
		bool got = oc_screening_postal_ok(country, c->code, strlen(c->code));
		if (got != c->ok)
			print_error("%s '%s': %d, expected %d\n", c->country, c->code, got, c->ok);
		assert_int_equal(got, c->ok);
	}
	/* The length decides, not a NUL: a code padded with NULs (struct oc_screen) is
	 * matched on its length. */
	const struct oc_country *us = oc_screening_country(&s, "US");
	assert_true(oc_screening_postal_ok(us, "12345\0\0\0\0", 5));
	assert_false(oc_screening_postal_ok(us, "12345\0\0\0\0", 9));
	assert_false(oc_screening_postal_ok(us, NULL, 0));
	assert_true(oc_screening_postal_ok(oc_screening_country(&s, "ZZ"), NULL, 0));
	oc_screening_destroy(&s);
}

static uint64_t hash_str(const char *s)
{
	return oc_screen_hash(s, strlen(s));
}

static void test_screen_hash(void **state)
{
	(void)state;
	assert_int_equal(hash_str("Jo.Doe@Example.com"), hash_str("jodoe@example.com"));
	assert_int_equal(hash_str(" J o,D\to.e@EXAMPLE.COM. "), hash_str("jodoe@example.com"));
	assert_int_equal(hash_str("1 Main St., Springfield"), hash_str("1mainstspringfield"));
	/* The algorithm other clients must repeat: XXH3-64, seed 0, of the kept bytes (every
	 * period goes, the domain's too). */
	assert_int_equal(hash_str("Jo.Doe@Example.com"), XXH3_64bits("jodoe@examplecom", 16));
	assert_true(hash_str("jodoe@example.com") != hash_str("jodoe@example.org"));
	assert_true(hash_str("a") != hash_str("b"));
	assert_true(hash_str("ab") != hash_str("ba"));
	/* Only ASCII letters are folded, and other punctuation counts. */
	assert_true(hash_str("jo-doe") != hash_str("jodoe"));
	assert_true(hash_str("jo_doe") != hash_str("jodoe"));
	assert_true(hash_str("\xc3\x89") != hash_str("\xc3\xa9"));
	/* The length decides, not a NUL. */
	assert_true(oc_screen_hash("a\0b", 3) != oc_screen_hash("a", 1));
	/* Nothing kept: still a hash, never 0. */
	assert_int_equal(oc_screen_hash(NULL, 0), oc_screen_hash("", 0));
	assert_int_equal(hash_str(" .,\t"), oc_screen_hash("", 0));
	assert_true(oc_screen_hash("", 0) != 0);

	/* Texts around and far past the hash's 256-byte chunk give the one-call value. */
	static char text[2048], kept[2048];
	for (size_t len = 0; len < sizeof(text); len += len < 600 ? 1 : 97) {
		size_t k = 0;
		for (size_t i = 0; i < len; i++) {
			static const char alphabet[] = "AbC. dE,f\tGh-9@";
			text[i] = alphabet[(i * 7 + len) % (sizeof(alphabet) - 1)];
			char ch = text[i];
			if (ch == ' ' || ch == '\t' || ch == ',' || ch == '.')
				continue;
			kept[k++] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
		}
		uint64_t want = XXH3_64bits(kept, k);
		assert_int_equal(oc_screen_hash(text, len), want ? want : 1);
	}
	for (uint32_t i = 0; i < 100000; i++)
		assert_true(oc_screen_hash((const char *)&i, sizeof(i)) != 0);
}

static uint64_t load_fingerprint(const char *dir, uint64_t seed)
{
	struct oc_screening s;
	char err[ERR_BYTES];
	int rc = oc_screening_load(dir, &s, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	uint64_t f = oc_screening_fingerprint(&s, seed);
	oc_screening_destroy(&s);
	return f;
}

static void test_fingerprint(void **state)
{
	(void)state;
	char dir[DIR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_fingerprint");
	write_screening(dir, NULL, NULL, NULL);
	uint64_t base = load_fingerprint(dir, 7);
	assert_int_equal(load_fingerprint(dir, 7), base); /* two loads, one value */
	assert_true(load_fingerprint(dir, 8) != base);    /* the seed goes in */
	/* The same content in another order of rows and with blank lines is the same. */
	write_screening(dir,
	                FRAUD_HEADER THRESHOLDS "new_account,45,9007199254740992,4294944000\n"
	                                        "country_mismatch,30,0,0\n\n"
	                                        "amount_history,35,500,0\n"
	                                        "card_velocity,50,16,2592000\n"
	                                        "customer_velocity,40,5,3600\n",
	                NULL, NULL);
	assert_int_equal(load_fingerprint(dir, 7), base);

	/* One rule's score changed. */
	static char text[sizeof(fraud_ok)];
	strcpy(text, fraud_ok);
	char *score = strstr(text, "card_velocity,50");
	score[sizeof("card_velocity,5") - 1] = '1';
	write_screening(dir, text, NULL, NULL);
	uint64_t changed = load_fingerprint(dir, 7);
	assert_true(changed != base);
	/* One threshold, one rule's window, one country, one block row. */
	write_screening(dir, FRAUD_HEADER "hold,50,0,0\nreject,101,0,0\n", NULL, NULL);
	uint64_t thresholds = load_fingerprint(dir, 7);
	assert_true(thresholds != base && thresholds != changed);
	write_screening(dir, FRAUD_HEADER THRESHOLDS "card_velocity,10,1,60\n", NULL, NULL);
	uint64_t window = load_fingerprint(dir, 7);
	write_screening(dir, FRAUD_HEADER THRESHOLDS "card_velocity,10,1,61\n", NULL, NULL);
	assert_true(load_fingerprint(dir, 7) != window);
	write_screening(dir, NULL, COUNTRY_HEADER "US,99999,1\n", NULL);
	uint64_t country = load_fingerprint(dir, 7);
	write_screening(dir, NULL, COUNTRY_HEADER "US,99999,0\n", NULL);
	assert_true(load_fingerprint(dir, 7) != country);
	write_screening(dir, NULL, COUNTRY_HEADER "US,99999-9999,1\n", NULL);
	assert_true(load_fingerprint(dir, 7) != country);
	write_screening(dir, NULL, NULL, BLOCK_HEADER "email,a@b.c\n");
	uint64_t block = load_fingerprint(dir, 7);
	write_screening(dir, NULL, NULL, BLOCK_HEADER "card,a@b.c\n");
	assert_true(load_fingerprint(dir, 7) != block);
	write_screening(dir, NULL, NULL, BLOCK_HEADER "email,a@b.c\nemail,a@b.c\n");
	assert_true(load_fingerprint(dir, 7) != block);

	/* Without screening the seed comes back as it went in. */
	oc_test_scratch_dir(dir, sizeof(dir), "screening_fingerprint_off");
	assert_int_equal(load_fingerprint(dir, 7), 7);
}

/* credit.csv: read with or without the screening files; a customer once; limits bounded. */
static void test_credit_lines(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_credit");
	write_file(dir, "credit.csv", "customer,credit_limit_cents\n\n5001,2500000\n7,0\n");
	struct oc_screening s;
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_false(s.enabled); /* no fraud.csv: credit lines alone */
	assert_int_equal(s.credit_count, 2);
	assert_int_equal(s.credit[0].customer, 5001);
	assert_int_equal(s.credit[0].limit_cents, 2500000);
	assert_int_equal(s.credit[1].customer, 7);
	assert_int_equal(s.credit[1].limit_cents, 0);
	uint64_t with = oc_screening_fingerprint(&s, 3);
	assert_true(with != 3); /* the lines are part of the identity */
	oc_screening_destroy(&s);
	write_file(dir, "credit.csv", "customer,credit_limit_cents\n5001,2500001\n7,0\n");
	assert_true(load_fingerprint(dir, 3) != with);
	write_screening(dir, NULL, NULL, NULL); /* with the screening files too */
	assert_int_equal(oc_screening_load(dir, &s, err, sizeof(err)), 0);
	assert_true(s.enabled);
	assert_int_equal(s.credit_count, 2);
	oc_screening_destroy(&s);
	static const struct {
		const char *text, *where, *what;
	} bad[] = {
	    {"customer,credit_limit_cents\n5001,10\n6,1\n5001,20\n", "credit.csv:4",
	     "customer 5001 is also on line 2"},
	    {"customer,credit_limit_cents\n0,10\n", "credit.csv:2", "customer"},
	    {"customer,credit_limit_cents\n5,9007199254740993\n", "credit.csv:2",
	     "credit_limit_cents"},
	    {"customer,credit_limit_cents\n5,-1\n", "credit.csv:2", "credit_limit_cents"},
	    {"customer,limit\n5,1\n", "credit.csv:1", "header"},
	};
	for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(dir, "credit.csv", bad[i].text);
		expect_load_error(dir, bad[i].where, bad[i].what);
	}
}

static void test_rule_names(void **state)
{
	(void)state;
	static const char *const names[] = {"customer_velocity", "card_velocity",
	                                    "address_velocity",  "amount_history",
	                                    "country_mismatch",  "new_account"};
	static const uint8_t reasons[] = {OC_REJECT_CUSTOMER_VELOCITY, OC_REJECT_CARD_VELOCITY,
	                                  OC_REJECT_ADDRESS_VELOCITY,  OC_REJECT_AMOUNT_HISTORY,
	                                  OC_REJECT_COUNTRY_MISMATCH,  OC_REJECT_NEW_ACCOUNT};
	for (int r = 0; r < OC_RULE_COUNT; r++) {
		assert_string_equal(oc_screening_rule_name((enum oc_screening_rule)r), names[r]);
		assert_int_equal(oc_screening_rule_reason((enum oc_screening_rule)r), reasons[r]);
	}
}

static void test_demo(void **state)
{
	(void)state;
	char dir[DIR_BYTES], err[ERR_BYTES];
	oc_test_scratch_dir(dir, sizeof(dir), "screening_demo");
	assert_int_equal(oc_screening_write_demo(dir, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	struct oc_screening s;
	int rc = oc_screening_load(dir, &s, err, sizeof(err));
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_int_equal(rc, 0);
	assert_true(s.enabled && s.countries_loaded);
	for (uint32_t r = 0; r < OC_RULE_COUNT; r++)
		assert_true(s.rules[r].score > 0); /* every rule on */
	assert_true(s.hold_score > 0 && s.reject_score >= s.hold_score);
	assert_true(oc_screening_postal_ok(oc_screening_country(&s, "US"), "02134", 5));
	assert_true(oc_screening_postal_ok(oc_screening_country(&s, "GB"), "SW1A 1AA", 8));
	assert_true(oc_screening_postal_ok(oc_screening_country(&s, "CA"), "K1A 0B1", 7));
	assert_true(oc_screening_country(&s, "US")->serviceable);
	assert_false(oc_screening_country(&s, "JP")->serviceable);
	assert_int_equal(s.block_count, 3);
	assert_int_equal(s.blocks[0].kind, OC_BLOCK_EMAIL);
	assert_int_equal(s.blocks[0].hash, hash_str("Fraud@Example.com"));
	uint64_t f = oc_screening_fingerprint(&s, 1);
	oc_screening_destroy(&s);
	/* The same files every time: written again, the same fingerprint. */
	assert_int_equal(oc_screening_write_demo(dir, err, sizeof(err)), 0);
	assert_int_equal(load_fingerprint(dir, 1), f);

	/* A directory that is not there: the error names the file. */
	strcat(dir, "/nonexistent");
	assert_int_equal(oc_screening_write_demo(dir, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, "fraud.csv"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_good),
	    cmocka_unit_test(test_missing_files),
	    cmocka_unit_test(test_too_many_blocks),
	    cmocka_unit_test(test_postal),
	    cmocka_unit_test(test_screen_hash),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_credit_lines),
	    cmocka_unit_test(test_rule_names),
	    cmocka_unit_test(test_demo),
	    BAD_TEST(fraud_header),
	    BAD_TEST(fraud_empty),
	    BAD_TEST(fraud_fields),
	    BAD_TEST(rule_unknown),
	    BAD_TEST(rule_empty),
	    BAD_TEST(rule_upper),
	    BAD_TEST(rule_twice),
	    BAD_TEST(hold_twice),
	    BAD_TEST(score_zero),
	    BAD_TEST(score_high),
	    BAD_TEST(score_negative),
	    BAD_TEST(score_text),
	    BAD_TEST(score_space),
	    BAD_TEST(velocity_limit_zero),
	    BAD_TEST(velocity_limit_high),
	    BAD_TEST(velocity_window_zero),
	    BAD_TEST(velocity_window_high),
	    BAD_TEST(amount_limit_low),
	    BAD_TEST(amount_limit_high),
	    BAD_TEST(amount_window),
	    BAD_TEST(mismatch_limit),
	    BAD_TEST(mismatch_window),
	    BAD_TEST(new_account_limit_zero),
	    BAD_TEST(new_account_limit_high),
	    BAD_TEST(new_account_window_zero),
	    BAD_TEST(new_account_window_high),
	    BAD_TEST(new_account_window_part),
	    BAD_TEST(hold_limit),
	    BAD_TEST(reject_window),
	    BAD_TEST(hold_score_zero),
	    BAD_TEST(reject_score_high),
	    BAD_TEST(no_hold),
	    BAD_TEST(no_reject),
	    BAD_TEST(no_rows),
	    BAD_TEST(reject_below_hold),
	    BAD_TEST(fraud_quote),
	    BAD_TEST(country_header),
	    BAD_TEST(no_countries),
	    BAD_TEST(country_lower),
	    BAD_TEST(country_three),
	    BAD_TEST(country_one),
	    BAD_TEST(country_digit),
	    BAD_TEST(country_space),
	    BAD_TEST(country_empty),
	    BAD_TEST(country_twice),
	    BAD_TEST(formats_empty),
	    BAD_TEST(formats_empty_middle),
	    BAD_TEST(formats_empty_last),
	    BAD_TEST(formats_empty_first),
	    BAD_TEST(formats_long),
	    BAD_TEST(formats_lower),
	    BAD_TEST(formats_period),
	    BAD_TEST(formats_underscore),
	    BAD_TEST(formats_star),
	    BAD_TEST(formats_stars),
	    BAD_TEST(formats_control),
	    BAD_TEST(formats_too_long),
	    BAD_TEST(serviceable_two),
	    BAD_TEST(serviceable_empty),
	    BAD_TEST(block_header),
	    BAD_TEST(block_kind),
	    BAD_TEST(block_kind_upper),
	    BAD_TEST(block_kind_empty),
	    BAD_TEST(block_value_empty),
	    BAD_TEST(block_value_nothing),
	    BAD_TEST(block_value_control),
	    BAD_TEST(block_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
