/* fraud.c: the fraud screening of validate (fraud.h): the rules applied to a screened place,
 * the windows of recent orders per customer, card and address, and the block list. */
#include "stages/fraud.h"

#include <errno.h>
#include <string.h>

#include "core/mem.h"

static int table_init(struct oc_fraud_table *t, uint32_t entries_max)
{
	int rc = oc_u64map_init(&t->map, entries_max);
	t->ts_s = rc ? NULL
		     : oc_mem_table_alloc((size_t)entries_max * OC_SCREEN_VELOCITY_ORDERS_MAX *
					  sizeof(uint32_t));
	return rc ? rc : t->ts_s ? 0 : -ENOMEM;
}

static void table_destroy(struct oc_fraud_table *t)
{
	oc_mem_table_free(t->ts_s, (size_t)t->map.count_max * OC_SCREEN_VELOCITY_ORDERS_MAX *
					   sizeof(uint32_t));
	oc_u64map_destroy(&t->map);
	t->ts_s = NULL;
}

int oc_fraud_init(struct oc_fraud *f, const struct oc_screening *rules, uint32_t entries_max)
{
	memset(f, 0, sizeof(*f));
	if (!rules->enabled)
		return 0;
	f->rules = rules;
	int rc = table_init(&f->customers, entries_max);
	rc = rc ? rc : table_init(&f->cards, entries_max);
	rc = rc ? rc : table_init(&f->addresses, entries_max);
	rc = rc ? rc : oc_u64map_init(&f->blocks, rules->block_count + OC_FRAUD_BLOCKS_ADDED_MAX);
	f->amount_sum = rc ? NULL : oc_mem_table_alloc((size_t)entries_max * sizeof(uint64_t));
	f->amount_count = rc ? NULL : oc_mem_table_alloc((size_t)entries_max * sizeof(uint32_t));
	if (!rc && (!f->amount_sum || !f->amount_count))
		rc = -ENOMEM;
	for (uint32_t i = 0; i < rules->block_count && !rc; i++) {
		const struct oc_block_rec *b = &rules->blocks[i];
		bool found;
		struct oc_u64map_entry *e =
			oc_u64map_upsert(&f->blocks, b->hash, oc_hash_u64(b->hash), &found);
		e->aux |= 1u << b->kind; /* sized for every row: never NULL */
	}
	if (rc)
		oc_fraud_destroy(f);
	return rc;
}

void oc_fraud_destroy(struct oc_fraud *f)
{
	if (!f->rules)
		return;
	uint32_t n = f->customers.map.count_max;
	table_destroy(&f->customers);
	table_destroy(&f->cards);
	table_destroy(&f->addresses);
	oc_u64map_destroy(&f->blocks);
	oc_mem_table_free(f->amount_sum, (size_t)n * sizeof(uint64_t));
	oc_mem_table_free(f->amount_count, (size_t)n * sizeof(uint32_t));
	memset(f, 0, sizeof(*f));
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool oc_fraud_screen_ok(const struct oc_screen *s)
{
	bool bill_none = s->bill_country[0] == 0 && s->bill_country[1] == 0;
	if (!is_upper(s->ship_country[0]) || !is_upper(s->ship_country[1]) ||
	    (!bill_none && (!is_upper(s->bill_country[0]) || !is_upper(s->bill_country[1]))))
		return false;
	uint32_t i = 0;
	for (; i < OC_POSTAL_CODE_BYTES && s->postal_code[i]; i++) {
		char c = s->postal_code[i];
		if (!(is_upper(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
		      c == '-'))
			return false;
	}
	for (; i < OC_POSTAL_CODE_BYTES; i++)
		if (s->postal_code[i])
			return false; /* NUL padding only */
	return true;
}

static bool blocked(const struct oc_fraud *f, uint64_t hash, uint32_t kind)
{
	if (!hash)
		return false;
	const struct oc_u64map_entry *e = oc_u64map_find(&f->blocks, hash, oc_hash_u64(hash));
	return e && (e->aux & (1u << kind));
}

/* Orders of `key` (0: not given) screened in the window_s seconds up to ts_s. */
static uint32_t recent(const struct oc_fraud_table *t, uint64_t key, uint64_t ts_s,
		       uint32_t window_s)
{
	if (!key)
		return 0;
	const struct oc_u64map_entry *e = oc_u64map_find(&t->map, key, oc_hash_u64(key));
	if (!e)
		return 0;
	const uint32_t *ring = &t->ts_s[(size_t)e->value * OC_SCREEN_VELOCITY_ORDERS_MAX];
	uint32_t n = 0;
	for (uint32_t i = 0; i < OC_SCREEN_VELOCITY_ORDERS_MAX; i++)
		n += ring[i] != 0 && ring[i] + (uint64_t)window_s > ts_s;
	return n;
}

/* Whether the amount is over limit percent of the customer's average, once it has a
 * history. */
static bool over_history(const struct oc_fraud *f, uint64_t customer, uint64_t amount,
			 uint64_t limit_percent)
{
	const struct oc_u64map_entry *e =
		oc_u64map_find(&f->customers.map, customer, oc_hash_u64(customer));
	if (!e || f->amount_count[e->value] < OC_SCREEN_HISTORY_ORDERS_MIN)
		return false;
	/* amount / (sum / count) > limit / 100, without the divisions */
	return (unsigned __int128)amount * 100u * f->amount_count[e->value] >
	       (unsigned __int128)limit_percent * f->amount_sum[e->value];
}

/* Whether the address checks fail: unserviceable, bad_address; OC_REJECT_NONE without
 * countries.csv. */
static uint8_t address_refusal(const struct oc_screening *rules, const struct oc_screen *s)
{
	if (!rules->countries_loaded)
		return OC_REJECT_NONE;
	const struct oc_country *ship = oc_screening_country(rules, s->ship_country);
	if (!ship || !ship->serviceable)
		return OC_REJECT_UNSERVICEABLE;
	size_t len = strnlen(s->postal_code, OC_POSTAL_CODE_BYTES);
	return oc_screening_postal_ok(ship, s->postal_code, len) ? OC_REJECT_NONE
								 : OC_REJECT_BAD_ADDRESS;
}

struct oc_fraud_verdict oc_fraud_decide(struct oc_fraud *f, const struct oc_command *c,
					uint64_t amount_cents)
{
	uint64_t ts_s = c->ts_ns / 1000000000u;
	if (ts_s > f->clock_s)
		f->clock_s = (uint32_t)ts_s; /* u32 seconds: until 2106 */
	ts_s = f->clock_s;
	const struct oc_screening *rules = f->rules;
	const struct oc_screen *s = &c->screen;
	if (blocked(f, s->email_hash, OC_BLOCK_EMAIL) || blocked(f, s->card_hash, OC_BLOCK_CARD) ||
	    blocked(f, s->address_hash, OC_BLOCK_ADDRESS))
		return (struct oc_fraud_verdict){OC_FRAUD_REJECT, OC_REJECT_BLOCKED};
	uint8_t refusal = address_refusal(rules, s);
	if (refusal)
		return (struct oc_fraud_verdict){OC_FRAUD_REJECT, refusal};
	const struct oc_rule *r = rules->rules;
	bool bill_given = s->bill_country[0] != 0;
	bool fired[OC_RULE_COUNT] = {
		[OC_RULE_CUSTOMER_VELOCITY] =
			recent(&f->customers, c->customer, ts_s,
			       r[OC_RULE_CUSTOMER_VELOCITY].window_s) >=
			r[OC_RULE_CUSTOMER_VELOCITY].limit,
		[OC_RULE_CARD_VELOCITY] =
			s->card_hash && recent(&f->cards, s->card_hash, ts_s,
					       r[OC_RULE_CARD_VELOCITY].window_s) >=
						r[OC_RULE_CARD_VELOCITY].limit,
		[OC_RULE_ADDRESS_VELOCITY] =
			s->address_hash && recent(&f->addresses, s->address_hash, ts_s,
						  r[OC_RULE_ADDRESS_VELOCITY].window_s) >=
						   r[OC_RULE_ADDRESS_VELOCITY].limit,
		[OC_RULE_AMOUNT_HISTORY] = over_history(f, c->customer, amount_cents,
							r[OC_RULE_AMOUNT_HISTORY].limit),
		[OC_RULE_COUNTRY_MISMATCH] =
			bill_given && memcmp(s->bill_country, s->ship_country, 2) != 0,
		[OC_RULE_NEW_ACCOUNT] =
			(uint64_t)s->account_age_days * 86400u < r[OC_RULE_NEW_ACCOUNT].window_s &&
			amount_cents > r[OC_RULE_NEW_ACCOUNT].limit,
	};
	uint32_t score = 0, top = 0;
	enum oc_screening_rule top_rule = OC_RULE_COUNT;
	for (enum oc_screening_rule k = 0; k < OC_RULE_COUNT; k++) {
		if (!fired[k] || r[k].score == 0) /* a rule that is off never fires */
			continue;
		score += r[k].score;
		if (r[k].score > top) {
			top = r[k].score;
			top_rule = k;
		}
	}
	uint8_t reason = top_rule == OC_RULE_COUNT ? OC_REJECT_NONE
						   : oc_screening_rule_reason(top_rule);
	uint8_t outcome = score >= rules->reject_score ? OC_FRAUD_REJECT
			  : score >= rules->hold_score ? OC_FRAUD_HOLD
						       : OC_FRAUD_ACCEPT;
	return (struct oc_fraud_verdict){outcome, outcome == OC_FRAUD_ACCEPT ? 0 : reason};
}

/* Adds an order at ts_s to key's ring (the oldest goes); returns key's slot, UINT32_MAX when
 * key is 0 (not given) or the table is full (*full set). */
static uint32_t remember(struct oc_fraud_table *t, uint64_t key, uint32_t ts_s, bool *full)
{
	if (!key)
		return UINT32_MAX;
	bool found;
	struct oc_u64map_entry *e = oc_u64map_upsert(&t->map, key, oc_hash_u64(key), &found);
	if (!e) {
		*full = true;
		return UINT32_MAX;
	}
	if (!found)
		e->value = t->map.count - 1;
	t->ts_s[(size_t)e->value * OC_SCREEN_VELOCITY_ORDERS_MAX + e->aux] = ts_s;
	e->aux = (e->aux + 1) % OC_SCREEN_VELOCITY_ORDERS_MAX;
	return e->value;
}

void oc_fraud_record(struct oc_fraud *f, const struct oc_command *c, uint64_t amount_cents)
{
	bool full = false;
	uint32_t slot = remember(&f->customers, c->customer, f->clock_s, &full);
	if (slot != UINT32_MAX) {
		uint64_t sum = f->amount_sum[slot] + amount_cents; /* < 2^52 each: saturates */
		f->amount_sum[slot] = sum < amount_cents ? UINT64_MAX : sum;
		f->amount_count[slot] += f->amount_count[slot] < UINT32_MAX;
	}
	remember(&f->cards, c->screen.card_hash, f->clock_s, &full);
	remember(&f->addresses, c->screen.address_hash, f->clock_s, &full);
	f->unremembered += full;
}

uint8_t oc_fraud_block(struct oc_fraud *f, const struct oc_command *c)
{
	uint32_t kind = c->flags & OC_BLOCK_KIND_MASK;
	if (c->key || !c->customer || c->line_count || c->region || !c->order_key ||
	    c->amount_cents || !kind || (c->flags & ~(OC_BLOCK_KIND_MASK | OC_BLOCK_REMOVE)))
		return OC_REJECT_MALFORMED;
	if (!f->rules)
		return OC_REJECT_NOT_ENABLED;
	bool found;
	struct oc_u64map_entry *e = c->flags & OC_BLOCK_REMOVE
		? oc_u64map_find(&f->blocks, c->order_key, oc_hash_u64(c->order_key))
		: oc_u64map_upsert(&f->blocks, c->order_key, oc_hash_u64(c->order_key), &found);
	if (!e && !(c->flags & OC_BLOCK_REMOVE))
		return OC_REJECT_CAPACITY;
	uint32_t before = e ? e->aux : 0;
	if (e && (c->flags & OC_BLOCK_REMOVE))
		e->aux &= ~(1u << kind);
	else if (e)
		e->aux |= 1u << kind;
	f->block_changes += e && e->aux != before;
	return OC_REJECT_NONE;
}

static void table_put(const struct oc_fraud_table *t, struct oc_snap_buf *b)
{
	oc_snap_put_u64map(b, &t->map);
	oc_snap_put(b, t->ts_s, (size_t)t->map.count * OC_SCREEN_VELOCITY_ORDERS_MAX * sizeof(uint32_t));
}

/* A table's map as restored must point each key at its own slot, below the count, with a ring
 * position within the ring (the part's checksum guards against damage; this, against a
 * writer's bug becoming a wild write). */
static bool table_sane(const struct oc_fraud_table *t)
{
	uint32_t seen = 0;
	for (uint32_t i = 0; i <= t->map.mask; i++) {
		const struct oc_u64map_entry *e = &t->map.entries[i];
		if (!e->key)
			continue;
		if (e->value >= t->map.count || e->aux >= OC_SCREEN_VELOCITY_ORDERS_MAX)
			return false;
		seen++;
	}
	return seen == t->map.count;
}

static int table_get(struct oc_fraud_table *t, struct oc_snap_reader *r)
{
	if (oc_snap_get_u64map(r, &t->map) || !table_sane(t))
		return -EINVAL;
	size_t bytes = (size_t)t->map.count * OC_SCREEN_VELOCITY_ORDERS_MAX * sizeof(uint32_t);
	const void *p = oc_snap_get(r, bytes);
	if (!p)
		return -EINVAL;
	memcpy(t->ts_s, p, bytes);
	return 0;
}

/* After validate's own fields: the three tables (map, then its slots' rings), the
 * customers' amounts, the block list, the counters. */
void oc_fraud_put(const struct oc_fraud *f, struct oc_snap_buf *b)
{
	if (!f->rules)
		return;
	table_put(&f->customers, b);
	table_put(&f->cards, b);
	table_put(&f->addresses, b);
	uint32_t n = f->customers.map.count;
	oc_snap_put(b, f->amount_sum, (size_t)n * sizeof(uint64_t));
	oc_snap_put(b, f->amount_count, (size_t)n * sizeof(uint32_t));
	oc_snap_put_u64map(b, &f->blocks);
	oc_snap_put_u32(b, f->clock_s);
	oc_snap_put_u64(b, f->screened);
	oc_snap_put_u64(b, f->block_changes);
	oc_snap_put_u64(b, f->unremembered);
}

int oc_fraud_get(struct oc_fraud *f, struct oc_snap_reader *r)
{
	if (!f->rules)
		return 0;
	if (table_get(&f->customers, r) || table_get(&f->cards, r) || table_get(&f->addresses, r))
		return -EINVAL;
	uint32_t n = f->customers.map.count;
	const void *sums = oc_snap_get(r, (size_t)n * sizeof(uint64_t));
	const void *counts = oc_snap_get(r, (size_t)n * sizeof(uint32_t));
	memset(f->blocks.entries, 0, ((size_t)f->blocks.mask + 1) * sizeof(*f->blocks.entries));
	f->blocks.count = 0; /* blocklist.csv's, replaced by the snapshot's */
	if (!sums || !counts || oc_snap_get_u64map(r, &f->blocks))
		return -EINVAL;
	memcpy(f->amount_sum, sums, (size_t)n * sizeof(uint64_t));
	memcpy(f->amount_count, counts, (size_t)n * sizeof(uint32_t));
	f->clock_s = oc_snap_get_u32(r);
	f->screened = oc_snap_get_u64(r);
	f->block_changes = oc_snap_get_u64(r);
	f->unremembered = oc_snap_get_u64(r);
	return r->short_read ? -EINVAL : 0;
}

/* Who is remembered and how many orders each, not when: timestamps come from the wall clock,
 * which differs between runs of the same stream (as route's lease deadlines). */
uint64_t oc_fraud_hash(const struct oc_fraud *f, uint64_t seed)
{
	if (!f->rules)
		return seed;
	uint64_t h = oc_u64map_hash(&f->customers.map, seed);
	h = oc_u64map_hash(&f->cards.map, h);
	h = oc_u64map_hash(&f->addresses.map, h);
	uint32_t n = f->customers.map.count;
	h = XXH3_64bits_withSeed(f->amount_sum, (size_t)n * sizeof(uint64_t), h);
	h = XXH3_64bits_withSeed(f->amount_count, (size_t)n * sizeof(uint32_t), h);
	return oc_u64map_hash(&f->blocks, h);
}
