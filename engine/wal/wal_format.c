/* wal_format.c: encoding and decoding of WAL frames and records (the layout is drawn in
 * wal_format.h and docs/wal.md). Stateless apart from the caller's encoder and cursor. */
#include "wal/wal_format.h"

#include <errno.h>
#include <string.h>

#include "core/assert.h"
#include "core/hash.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the WAL stores integers little-endian and this code assumes a little-endian host"
#endif

/* Header field offsets (wal_format.h). */
enum {
	H_MAGIC = 0,
	H_VERSION = 4,
	H_FLAGS = 6,
	H_FRAME_BYTES = 8,
	H_RECORD_COUNT = 12,
	H_FIRST_SEQ = 16,
	H_BASE_TS = 24,
	H_PREV_CHECKSUM = 32,
	H_CHECKSUM = 40,
};
_Static_assert(H_CHECKSUM + 8 == OC_WAL_FRAME_HEADER_BYTES, "header drawing matches");

#define TAG_KIND_MASK   0x07u
#define TAG_LINES_SHIFT 3
#define TAG_KEY_RAW     0x80u

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

const char *oc_wal_status_name(enum oc_wal_status s)
{
	static const char *const names[OC_WAL_STATUS_COUNT] = {
	    "ok",           "end",       "torn",         "bad magic",  "bad header",
	    "bad checksum", "bad chain", "sequence gap", "bad record",
	};
	return (unsigned)s < OC_WAL_STATUS_COUNT ? names[s] : "unknown";
}

size_t oc_wal_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 10 && p + i < end; i++) {
		uint64_t b = p[i];
		if (i == 9 && b > 1)
			return 0; /* more than 64 bits */
		x |= (b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	return 0;
}

/* The chained checksum of a frame whose header and body are in place. */
static uint64_t frame_checksum(const uint8_t *frame, uint32_t frame_bytes, uint64_t prev)
{
	uint64_t h = XXH3_64bits_withSeed(frame, H_CHECKSUM, prev);
	return XXH3_64bits_withSeed(frame + OC_WAL_FRAME_HEADER_BYTES,
	                            frame_bytes - OC_WAL_FRAME_HEADER_BYTES, h);
}

static bool place_canonical(const struct oc_command *c)
{
	if (c->type != OC_CMD_PLACE || c->line_count == 0 || c->line_count > OC_ORDER_LINES_MAX ||
	    c->flags != 0)
		return false;
	for (uint32_t i = 0; i < c->line_count; i++)
		if (c->lines[i].reserved != 0)
			return false;
	return true;
}

static bool cancel_canonical(const struct oc_command *c)
{
	return c->type == OC_CMD_CANCEL && c->line_count == 0 && c->region == 0 && c->flags == 0;
}

static uint32_t stored_lines(uint8_t line_count)
{
	return line_count < OC_ORDER_LINES_MAX ? line_count : OC_ORDER_LINES_MAX;
}

/* A screened place's fields: the three hashes raw (they are random: a varint would be
 * longer), the countries, the account's age, the postal code. */
static size_t put_screen(uint8_t *p, const struct oc_screen *s)
{
	st64(p, s->email_hash);
	st64(p + 8, s->card_hash);
	st64(p + 16, s->address_hash);
	memcpy(p + 24, s->bill_country, 2);
	memcpy(p + 26, s->ship_country, 2);
	size_t n = 28 + oc_wal_varint_put(p + 28, s->account_age_days);
	memcpy(p + n, s->postal_code, OC_POSTAL_CODE_BYTES);
	return n + OC_POSTAL_CODE_BYTES;
}

size_t oc_wal_record_put(uint8_t *p, const struct oc_command *c, uint64_t *prev_ts_ns,
                         uint64_t *prev_key)
{
	unsigned kind = place_canonical(c)    ? OC_WAL_REC_PLACE
	                : cancel_canonical(c) ? OC_WAL_REC_CANCEL
	                                      : OC_WAL_REC_RAW;
	uint64_t key_zz = oc_wal_zigzag((int64_t)(c->key - *prev_key));
	bool key_raw = oc_wal_varint_len(key_zz) > 8;
	uint8_t tag = (uint8_t)(kind | (key_raw ? TAG_KEY_RAW : 0));
	if (kind == OC_WAL_REC_PLACE)
		tag |= (uint8_t)((c->line_count - 1u) << TAG_LINES_SHIFT);
	size_t n = 0;
	p[n++] = tag;
	n += oc_wal_varint_put(p + n, oc_wal_zigzag((int64_t)(c->ts_ns - *prev_ts_ns)));
	if (key_raw) {
		st64(p + n, c->key);
		n += 8;
	} else {
		n += oc_wal_varint_put(p + n, key_zz);
	}
	n += oc_wal_varint_put(p + n, c->customer);
	if (kind == OC_WAL_REC_PLACE) {
		n += oc_wal_varint_put(p + n, c->region);
		for (uint32_t i = 0; i < c->line_count; i++) {
			n += oc_wal_varint_put(p + n, c->lines[i].sku);
			n += oc_wal_varint_put(p + n, c->lines[i].quantity);
		}
	} else if (kind == OC_WAL_REC_RAW) {
		p[n++] = c->type;
		p[n++] = c->line_count;
		n += oc_wal_varint_put(p + n, c->region);
		n += oc_wal_varint_put(p + n, c->flags);
		if (oc_command_has_tail(c)) {
			n += oc_wal_varint_put(p + n, c->order_key);
			n += oc_wal_varint_put(p + n, c->amount_cents);
		}
		if (oc_command_has_screen(c))
			n += put_screen(p + n, &c->screen);
		for (uint32_t i = 0; i < stored_lines(c->line_count); i++) {
			n += oc_wal_varint_put(p + n, c->lines[i].sku);
			n += oc_wal_varint_put(p + n, c->lines[i].quantity);
			n += oc_wal_varint_put(p + n, c->lines[i].reserved);
		}
	}
	OC_ASSERT(n <= OC_WAL_RECORD_BYTES_MAX);
	*prev_ts_ns = c->ts_ns;
	*prev_key = c->key;
	return n;
}

bool oc_wal_command_same(const struct oc_command *a, const struct oc_command *b)
{
	if (a->type != b->type || a->line_count != b->line_count || a->region != b->region ||
	    a->flags != b->flags || a->key != b->key || a->customer != b->customer ||
	    a->seq != b->seq || a->ts_ns != b->ts_ns ||
	    (oc_command_has_tail(a) &&
	     (a->order_key != b->order_key || a->amount_cents != b->amount_cents)) ||
	    (oc_command_has_screen(a) && memcmp(&a->screen, &b->screen, sizeof(a->screen)) != 0))
		return false;
	for (uint32_t i = 0; i < stored_lines(a->line_count); i++)
		if (a->lines[i].sku != b->lines[i].sku ||
		    a->lines[i].quantity != b->lines[i].quantity ||
		    a->lines[i].reserved != b->lines[i].reserved)
			return false;
	return true;
}

void oc_wal_encoder_init(struct oc_wal_encoder *e, const struct oc_wal_chain *chain)
{
	memset(e, 0, sizeof(*e));
	e->chain = *chain;
}

int oc_wal_encoder_begin(struct oc_wal_encoder *e, void *buf, size_t cap)
{
	if (e->buf || !buf || ((uintptr_t)buf & (OC_WAL_FRAME_ALIGN_BYTES - 1)) ||
	    cap < OC_WAL_FRAME_HEADER_BYTES + OC_WAL_RECORD_BYTES_MAX + OC_WAL_FRAME_ALIGN_BYTES)
		return -EINVAL;
	e->buf = buf;
	e->cap = cap < OC_WAL_FRAME_BYTES_MAX ? cap : OC_WAL_FRAME_BYTES_MAX;
	e->pos = OC_WAL_FRAME_HEADER_BYTES;
	e->count = 0;
	e->prev_key = 0;
	return 0;
}

/* Under OC_DEBUG, decodes the record just written and checks it is the command given
 * (STYLE rule 5: both sides of the boundary; the reader side is the checksum). */
static void debug_check_record(const uint8_t *p, size_t n, const struct oc_command *c,
                               uint64_t prev_ts_ns, uint64_t prev_key)
{
#ifdef OC_DEBUG
	struct oc_wal_cursor cur = {.p = p,
	                            .end = p + n,
	                            .left = 1,
	                            .seq = c->seq,
	                            .prev_ts_ns = prev_ts_ns,
	                            .prev_key = prev_key};
	struct oc_command back;
	OC_ASSERT(oc_wal_cursor_next(&cur, &back) == 1 && cur.p == p + n);
	OC_ASSERT(oc_wal_command_same(&back, c));
#else
	(void)p, (void)n, (void)c, (void)prev_ts_ns, (void)prev_key;
#endif
}

int oc_wal_encoder_add(struct oc_wal_encoder *e, const struct oc_command *c)
{
	OC_ASSERT(e->buf != NULL);
	if (e->count == OC_WAL_FRAME_RECORDS_MAX ||
	    e->pos + OC_WAL_RECORD_BYTES_MAX + OC_WAL_FRAME_ALIGN_BYTES > e->cap)
		return -ENOSPC;
	if (e->count == 0) {
		OC_ASSERT(c->seq != 0);
		if (e->chain.next_seq != 0)
			OC_ASSERT_EQ(c->seq, e->chain.next_seq);
		e->first_seq = c->seq;
		e->base_ts_ns = c->ts_ns;
		e->prev_ts_ns = c->ts_ns;
	} else {
		OC_ASSERT_EQ(c->seq, e->first_seq + e->count);
	}
	uint64_t ts0 = e->prev_ts_ns, key0 = e->prev_key;
	uint8_t *p = e->buf + e->pos;
	size_t n = oc_wal_record_put(p, c, &e->prev_ts_ns, &e->prev_key);
	debug_check_record(p, n, c, ts0, key0);
	e->pos += n;
	e->count++;
	return 0;
}

int oc_wal_encoder_finish(struct oc_wal_encoder *e)
{
	OC_ASSERT(e->buf != NULL);
	if (e->count == 0)
		return -ENODATA;
	size_t bytes =
	    (e->pos + OC_WAL_FRAME_ALIGN_BYTES - 1) & ~(size_t)(OC_WAL_FRAME_ALIGN_BYTES - 1);
	OC_ASSERT(bytes <= e->cap);
	uint8_t *f = e->buf;
	memset(f + e->pos, 0, bytes - e->pos);
	st32(f + H_MAGIC, OC_WAL_MAGIC);
	st16(f + H_VERSION, OC_WAL_VERSION);
	st16(f + H_FLAGS, 0);
	st32(f + H_FRAME_BYTES, (uint32_t)bytes);
	st32(f + H_RECORD_COUNT, e->count);
	st64(f + H_FIRST_SEQ, e->first_seq);
	st64(f + H_BASE_TS, e->base_ts_ns);
	st64(f + H_PREV_CHECKSUM, e->chain.checksum);
	uint64_t sum = frame_checksum(f, (uint32_t)bytes, e->chain.checksum);
	st64(f + H_CHECKSUM, sum);
	e->chain.checksum = sum;
	e->chain.next_seq = e->first_seq + e->count;
	e->buf = NULL;
	return (int)bytes;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

enum oc_wal_status oc_wal_frame_check(const void *buf, size_t bytes, struct oc_wal_frame *out)
{
	const uint8_t *f = buf;
	if (bytes == 0)
		return OC_WAL_END;
	if (bytes < OC_WAL_FRAME_HEADER_BYTES)
		return all_zero(f, bytes) ? OC_WAL_END : OC_WAL_TORN;
	if (ld32(f + H_MAGIC) != OC_WAL_MAGIC)
		return all_zero(f, OC_WAL_FRAME_HEADER_BYTES) ? OC_WAL_END : OC_WAL_BAD_MAGIC;
	uint32_t frame_bytes = ld32(f + H_FRAME_BYTES), count = ld32(f + H_RECORD_COUNT);
	if (ld16(f + H_VERSION) != OC_WAL_VERSION || ld16(f + H_FLAGS) != 0 ||
	    frame_bytes % OC_WAL_FRAME_ALIGN_BYTES != 0 || frame_bytes > OC_WAL_FRAME_BYTES_MAX ||
	    count == 0 || count > OC_WAL_FRAME_RECORDS_MAX ||
	    (uint64_t)count * OC_WAL_RECORD_BYTES_MIN >
	        (uint64_t)frame_bytes - OC_WAL_FRAME_HEADER_BYTES ||
	    frame_bytes < OC_WAL_FRAME_HEADER_BYTES + OC_WAL_RECORD_BYTES_MIN ||
	    ld64(f + H_FIRST_SEQ) == 0)
		return OC_WAL_BAD_HEADER;
	if (frame_bytes > bytes)
		return OC_WAL_TORN;
	uint64_t prev = ld64(f + H_PREV_CHECKSUM), sum = ld64(f + H_CHECKSUM);
	if (frame_checksum(f, frame_bytes, prev) != sum)
		return OC_WAL_BAD_CHECKSUM;
	*out = (struct oc_wal_frame){
	    .frame_bytes = frame_bytes,
	    .record_count = count,
	    .first_seq = ld64(f + H_FIRST_SEQ),
	    .base_ts_ns = ld64(f + H_BASE_TS),
	    .prev_checksum = prev,
	    .checksum = sum,
	    .body = f + OC_WAL_FRAME_HEADER_BYTES,
	};
	return OC_WAL_OK;
}

enum oc_wal_status oc_wal_frame_follows(const struct oc_wal_frame *f,
                                        const struct oc_wal_chain *chain)
{
	if (chain->next_seq != 0 && f->first_seq != chain->next_seq)
		return OC_WAL_SEQ_GAP;
	if (f->prev_checksum != chain->checksum)
		return OC_WAL_BAD_CHAIN;
	return OC_WAL_OK;
}

void oc_wal_chain_advance(struct oc_wal_chain *chain, const struct oc_wal_frame *f)
{
	chain->checksum = f->checksum;
	chain->next_seq = f->first_seq + f->record_count;
}

void oc_wal_cursor_init(struct oc_wal_cursor *cur, const struct oc_wal_frame *f)
{
	*cur = (struct oc_wal_cursor){
	    .p = f->body,
	    .end = f->body + (f->frame_bytes - OC_WAL_FRAME_HEADER_BYTES),
	    .left = f->record_count,
	    .seq = f->first_seq,
	    .prev_ts_ns = f->base_ts_ns,
	    .prev_key = 0,
	};
}

/* Reads one varint into *v, failing the record (returning false) on bad input. */
static bool get(struct oc_wal_cursor *cur, uint64_t *v)
{
	size_t n = oc_wal_varint_get(cur->p, cur->end, v);
	cur->p += n;
	return n != 0;
}

static bool get_max(struct oc_wal_cursor *cur, uint64_t max, uint64_t *v)
{
	return get(cur, v) && *v <= max;
}

static bool get_lines(struct oc_wal_cursor *cur, struct oc_command *out, uint32_t n, bool raw)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t sku, qty, res = 0;
		if (!get(cur, &sku) || !get_max(cur, UINT32_MAX, &qty) ||
		    (raw && !get_max(cur, UINT32_MAX, &res)))
			return false;
		out->lines[i] = (struct oc_line){sku, (uint32_t)qty, (uint32_t)res};
	}
	return true;
}

static bool get_screen(struct oc_wal_cursor *cur, struct oc_screen *s)
{
	uint64_t age;
	if (cur->end - cur->p < 28)
		return false;
	s->email_hash = ld64(cur->p);
	s->card_hash = ld64(cur->p + 8);
	s->address_hash = ld64(cur->p + 16);
	memcpy(s->bill_country, cur->p + 24, 2);
	memcpy(s->ship_country, cur->p + 26, 2);
	cur->p += 28;
	if (!get_max(cur, UINT16_MAX, &age) || cur->end - cur->p < OC_POSTAL_CODE_BYTES)
		return false;
	s->account_age_days = (uint16_t)age;
	memcpy(s->postal_code, cur->p, OC_POSTAL_CODE_BYTES);
	cur->p += OC_POSTAL_CODE_BYTES;
	return true;
}

/* The fields after the customer of a raw record. */
static bool get_raw(struct oc_wal_cursor *cur, struct oc_command *out)
{
	uint64_t region, reserved;
	if (cur->end - cur->p < 2)
		return false;
	out->type = *cur->p++;
	out->line_count = *cur->p++;
	if (!get_max(cur, UINT16_MAX, &region) || !get_max(cur, UINT32_MAX, &reserved))
		return false;
	out->region = (uint16_t)region;
	out->flags = (uint32_t)reserved; /* before the tail: a place's depends on its flags */
	if (oc_command_has_tail(out) &&
	    (!get(cur, &out->order_key) || !get(cur, &out->amount_cents)))
		return false;
	if (oc_command_has_screen(out) && !get_screen(cur, &out->screen))
		return false;
	return get_lines(cur, out, stored_lines(out->line_count), true);
}

/* Decodes the tag, ts, key and customer common to every record kind. */
static bool get_common(struct oc_wal_cursor *cur, struct oc_command *out, unsigned *kind)
{
	uint64_t ts_zz, key;
	uint8_t tag = *cur->p++;
	*kind = tag & TAG_KIND_MASK;
	if (!get(cur, &ts_zz))
		return false;
	out->ts_ns = cur->prev_ts_ns + (uint64_t)oc_wal_unzigzag(ts_zz);
	if (tag & TAG_KEY_RAW) {
		if (cur->end - cur->p < 8)
			return false;
		key = ld64(cur->p);
		cur->p += 8;
	} else {
		if (!get(cur, &key))
			return false;
		key = cur->prev_key + (uint64_t)oc_wal_unzigzag(key);
	}
	out->key = key;
	if (!get(cur, &out->customer))
		return false;
	if (*kind == OC_WAL_REC_PLACE) {
		out->type = OC_CMD_PLACE;
		out->line_count = (uint8_t)(((tag >> TAG_LINES_SHIFT) & 0x0f) + 1);
	} else if (*kind == OC_WAL_REC_CANCEL) {
		out->type = OC_CMD_CANCEL;
	}
	return *kind == OC_WAL_REC_PLACE || (tag & 0x78u) == 0; /* line bits: place only */
}

int oc_wal_cursor_next(struct oc_wal_cursor *cur, struct oc_command *out)
{
	if (cur->left == 0)
		return cur->end - cur->p < OC_WAL_FRAME_ALIGN_BYTES &&
		               all_zero(cur->p, (size_t)(cur->end - cur->p))
		           ? 0
		           : -EBADMSG;
	if (cur->p >= cur->end)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	unsigned kind;
	bool ok = get_common(cur, out, &kind);
	if (ok && kind == OC_WAL_REC_PLACE) {
		uint64_t region = 0;
		ok = get_max(cur, UINT16_MAX, &region) &&
		     get_lines(cur, out, out->line_count, false);
		out->region = (uint16_t)region;
	} else if (ok && kind == OC_WAL_REC_RAW) {
		ok = get_raw(cur, out);
	} else if (ok && kind != OC_WAL_REC_CANCEL) {
		ok = false;
	}
	if (!ok || cur->p > cur->end)
		return -EBADMSG;
	out->seq = cur->seq++;
	cur->prev_ts_ns = out->ts_ns;
	cur->prev_key = out->key;
	cur->left--;
	return 1;
}
