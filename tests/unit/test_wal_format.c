/* test_wal_format.c: unit tests of the WAL frame and record format (engine/wal/wal_format.h):
 * varint and zigzag edge values, round trips of random command streams through frames
 * (canonical and raw records, keys that need raw bytes, timestamps going backwards), the
 * frame-full protocol, every status of oc_wal_frame_check / oc_wal_frame_follows /
 * oc_wal_cursor_next, and the bytes per single-line order of a realistic stream (printed;
 * the target is <= 28 bytes including the frame header's share). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"
#include "core/rand.h"
#include "wal/wal_format.h"

#define FRAME_CAP (256u << 10)

static _Alignas(64) uint8_t frame_buf[FRAME_CAP];

static void test_varint_edges(void **state)
{
	(void)state;
	static const uint64_t vals[] = {0,          1,
	                                127,        128,
	                                255,        16383,
	                                16384,      (1ull << 21) - 1,
	                                1ull << 21, UINT32_MAX,
	                                1ull << 35, (1ull << 56) - 1,
	                                1ull << 56, (1ull << 63) - 1,
	                                1ull << 63, UINT64_MAX};
	static const size_t lens[] = {1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8, 9, 9, 10, 10};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t b[16];
		memset(b, 0xAA, sizeof(b));
		size_t n = oc_wal_varint_put(b, vals[i]);
		assert_int_equal(n, lens[i]);
		assert_int_equal(oc_wal_varint_len(vals[i]), n);
		uint64_t v = 0;
		assert_int_equal(oc_wal_varint_get(b, b + n, &v), n);
		assert_true(v == vals[i]);
		assert_int_equal(oc_wal_varint_get(b, b + n - 1, &v), 0); /* cut short */
	}
	/* 11 bytes, and a 10th byte carrying bits past 64, are refused. */
	uint8_t over[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	uint64_t v;
	assert_int_equal(oc_wal_varint_get(over, over + 11, &v), 0);
	uint8_t big[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	assert_int_equal(oc_wal_varint_get(big, big + 10, &v), 0);
	static const int64_t zz[] = {0, -1, 1, -2, INT64_MAX, INT64_MIN, 63, -64, 64};
	static const uint64_t zze[] = {0, 1, 2, 3, UINT64_MAX - 1, UINT64_MAX, 126, 127, 128};
	for (size_t i = 0; i < sizeof(zz) / sizeof(zz[0]); i++) {
		assert_true(oc_wal_zigzag(zz[i]) == zze[i]);
		assert_true(oc_wal_unzigzag(zze[i]) == zz[i]);
	}
}

/* A command as a load generator makes it: sequential keys (the loadgen's), customers among
 * 2.5M, regions among 8, Zipf-ish SKUs among 10,000 numbered from 100001, quantity 1 or 2,
 * the sequencer's timestamp shared by a burst of 64. `lines` 0 means one line. */
static void realistic(struct oc_command *c, uint64_t i, uint64_t *rng, bool random_keys)
{
	memset(c, 0, sizeof(*c));
	c->type = OC_CMD_PLACE;
	c->seq = i + 1;
	c->ts_ns = 1764000000000000000ull + (i / 64) * 8000;
	c->key = random_keys ? (oc_rand_next(rng) | 1) : i + 1;
	c->customer = 1 + oc_rand_below(rng, 2500000);
	c->region = (uint16_t)oc_rand_below(rng, 8);
	c->line_count = 1;
	uint32_t r = oc_rand_below(rng, 10000);
	c->lines[0].sku = 100001 + (uint64_t)r * r / 10000; /* skewed toward low numbers */
	c->lines[0].quantity = oc_rand_below(rng, 100) < 80 ? 1 : 2;
}

/* Anything a client could send, malformed included: the log must give it back exactly. */
static void adversarial(struct oc_command *c, uint64_t seq, uint64_t *rng)
{
	memset(c, 0, sizeof(*c));
	uint32_t k = oc_rand_below(rng, 10);
	c->seq = seq;
	c->ts_ns = oc_rand_below(rng, 4) ? 1000000 + seq * 100 : oc_rand_next(rng);
	c->key = oc_rand_below(rng, 2) ? oc_rand_next(rng) : seq * 3;
	c->customer = oc_rand_below(rng, 3) ? oc_rand_below(rng, 1000) : oc_rand_next(rng);
	if (k < 5) {
		c->type = OC_CMD_PLACE;
		c->line_count = (uint8_t)(1 + oc_rand_below(rng, OC_ORDER_LINES_MAX));
		c->region = (uint16_t)oc_rand_next(rng);
		if (oc_rand_below(rng, 3) == 0) { /* screened, with any bytes in its fields */
			c->flags = OC_PLACE_SCREEN | (oc_rand_below(rng, 2) ? 0 : (uint32_t)oc_rand_next(rng));
			uint8_t *b = (uint8_t *)&c->screen;
			for (size_t i = 0; i < sizeof(c->screen); i++)
				b[i] = (uint8_t)oc_rand_next(rng);
		}
	} else if (k < 7) {
		c->type = OC_CMD_CANCEL;
	} else {
		c->type = (uint8_t)oc_rand_next(rng);
		c->line_count = (uint8_t)oc_rand_next(rng);
		c->region = (uint16_t)oc_rand_next(rng);
		c->flags = oc_rand_below(rng, 2) ? 0 : (uint32_t)oc_rand_next(rng);
		c->order_key = oc_rand_below(rng, 2) ? 0 : oc_rand_next(rng);
		c->amount_cents = oc_rand_below(rng, 2) ? 0 : oc_rand_next(rng) >> oc_rand_below(rng, 64);
	}
	uint32_t n = c->line_count < OC_ORDER_LINES_MAX ? c->line_count : OC_ORDER_LINES_MAX;
	for (uint32_t i = 0; i < n; i++) {
		c->lines[i].sku = oc_rand_below(rng, 2) ? 100001 + i : oc_rand_next(rng);
		c->lines[i].quantity = oc_rand_below(rng, 2) ? 1 : (uint32_t)oc_rand_next(rng);
		c->lines[i].reserved = oc_rand_below(rng, 8) ? 0 : (uint32_t)oc_rand_next(rng);
	}
}

/* Decodes one frame and checks its records against cmds[0..count). */
static void check_frame(const uint8_t *buf, int bytes, const struct oc_command *cmds,
                        uint32_t count, struct oc_wal_chain *chain)
{
	struct oc_wal_frame f;
	assert_int_equal(oc_wal_frame_check(buf, (size_t)bytes, &f), OC_WAL_OK);
	assert_int_equal(f.frame_bytes, bytes);
	assert_int_equal(f.record_count, count);
	assert_int_equal(bytes % 8, 0);
	assert_int_equal(oc_wal_frame_follows(&f, chain), OC_WAL_OK);
	oc_wal_chain_advance(chain, &f);
	struct oc_wal_cursor cur;
	oc_wal_cursor_init(&cur, &f);
	struct oc_command back;
	for (uint32_t i = 0; i < count; i++) {
		assert_int_equal(oc_wal_cursor_next(&cur, &back), 1);
		assert_true(oc_wal_command_same(&back, &cmds[i]));
		uint32_t n = back.line_count < 16 ? back.line_count : 16;
		for (uint32_t l = n; l < OC_ORDER_LINES_MAX; l++)
			assert_true(back.lines[l].sku == 0 && back.lines[l].quantity == 0);
	}
	assert_int_equal(oc_wal_cursor_next(&cur, &back), 0);
}

/* Encodes n commands from gen into frames of at most cap bytes and decodes them back. */
static uint64_t round_trip(uint32_t n, size_t cap, uint64_t seed, bool adv)
{
	static struct oc_command cmds[4096];
	assert_true(n <= 4096);
	uint64_t rng = seed, total = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (adv)
			adversarial(&cmds[i], 1 + i, &rng);
		else
			realistic(&cmds[i], i, &rng, seed & 1);
	}
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1}, rchain = chain;
	struct oc_wal_encoder e;
	oc_wal_encoder_init(&e, &chain);
	uint32_t done = 0, first = 0;
	assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, cap), 0);
	while (done < n) {
		int rc = oc_wal_encoder_add(&e, &cmds[done]);
		if (rc == 0 && ++done < n)
			continue;
		assert_true(rc == 0 || rc == -ENOSPC);
		int bytes = oc_wal_encoder_finish(&e);
		assert_true(bytes > 0 && (size_t)bytes <= cap);
		check_frame(frame_buf, bytes, cmds + first, done - first, &rchain);
		total += (uint64_t)bytes;
		first = done;
		if (done < n)
			assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, cap), 0);
	}
	assert_true(rchain.checksum == e.chain.checksum && rchain.next_seq == n + 1);
	return total;
}

static void test_round_trip_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		size_t cap = 600 + (size_t)(seed * 7919) % FRAME_CAP;
		round_trip(4096, cap, seed, true);
		round_trip(4096, cap, seed, false);
	}
}

static void test_encoder_protocol(void **state)
{
	(void)state;
	struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
	struct oc_wal_encoder e;
	oc_wal_encoder_init(&e, &chain);
	assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, 64), -EINVAL);
	assert_int_equal(oc_wal_encoder_begin(&e, frame_buf + 4, 4096), -EINVAL);
	assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, 4096), 0);
	assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, 4096), -EINVAL); /* open */
	assert_int_equal(oc_wal_encoder_finish(&e), -ENODATA);
	struct oc_command c;
	uint64_t rng = 5;
	uint32_t added = 0;
	for (;;) {
		realistic(&c, added, &rng, false);
		if (oc_wal_encoder_add(&e, &c) != 0)
			break;
		added++;
	}
	assert_true(added > 100);
	int bytes = oc_wal_encoder_finish(&e);
	assert_true(bytes > 0 && bytes <= 4096);
	assert_true(e.chain.next_seq == added + 1);
}

/* Builds a frame of `n` realistic orders starting at seq `first` after `chain`. */
static int build(uint8_t *buf, uint32_t n, struct oc_wal_chain *chain)
{
	struct oc_wal_encoder e;
	oc_wal_encoder_init(&e, chain);
	assert_int_equal(oc_wal_encoder_begin(&e, buf, FRAME_CAP), 0);
	uint64_t rng = chain->next_seq;
	for (uint32_t i = 0; i < n; i++) {
		struct oc_command c;
		realistic(&c, chain->next_seq - 1 + i, &rng, false);
		assert_int_equal(oc_wal_encoder_add(&e, &c), 0);
	}
	int bytes = oc_wal_encoder_finish(&e);
	*chain = e.chain;
	return bytes;
}

static void reseal(uint8_t *f, uint32_t bytes)
{
	uint64_t prev;
	memcpy(&prev, f + 32, 8);
	uint64_t h = XXH3_64bits_withSeed(f, 40, prev);
	h = XXH3_64bits_withSeed(f + 48, bytes - 48, h);
	memcpy(f + 40, &h, 8);
}

static void test_frame_statuses(void **state)
{
	(void)state;
	static _Alignas(8) uint8_t f[8192];
	struct oc_wal_chain c0 = {OC_WAL_CHAIN_SEED, 1}, c1 = c0;
	int bytes = build(f, 50, &c1);
	assert_true(bytes > 48);
	struct oc_wal_frame fr;
	uint8_t zeros[64] = {0};
	assert_int_equal(oc_wal_frame_check(zeros, 0, &fr), OC_WAL_END);
	assert_int_equal(oc_wal_frame_check(zeros, 64, &fr), OC_WAL_END);
	assert_int_equal(oc_wal_frame_check(zeros, 20, &fr), OC_WAL_END);
	assert_int_equal(oc_wal_frame_check(f, 20, &fr), OC_WAL_TORN);
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes - 8, &fr), OC_WAL_TORN);
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes, &fr), OC_WAL_OK);
	/* Every single-bit flip anywhere in the frame is caught. */
	for (int bit = 0; bit < bytes * 8; bit++) {
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		enum oc_wal_status s = oc_wal_frame_check(f, sizeof(f), &fr);
		assert_true(s == OC_WAL_TORN || oc_wal_status_corrupt(s));
		if (bit / 8 >= 48)
			assert_int_equal(s, OC_WAL_BAD_CHECKSUM);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	f[0] ^= 1;
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes, &fr), OC_WAL_BAD_MAGIC);
	f[0] ^= 1;
	f[4] = OC_WAL_VERSION - 1; /* the version before: refused */
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes, &fr), OC_WAL_BAD_HEADER);
	f[4] = OC_WAL_VERSION;
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes, &fr), OC_WAL_OK);
	assert_int_equal(oc_wal_frame_follows(&fr, &c0), OC_WAL_OK);
	struct oc_wal_chain wrong = {c0.checksum ^ 1, 1};
	assert_int_equal(oc_wal_frame_follows(&fr, &wrong), OC_WAL_BAD_CHAIN);
	struct oc_wal_chain gap = {c0.checksum, 2};
	assert_int_equal(oc_wal_frame_follows(&fr, &gap), OC_WAL_SEQ_GAP);
	struct oc_wal_chain any = {c0.checksum, 0};
	assert_int_equal(oc_wal_frame_follows(&fr, &any), OC_WAL_OK);
	/* A record the decoder cannot read, sealed with a good checksum: BAD_RECORD material. */
	f[48] = 0x07; /* kind 7: reserved */
	reseal(f, (uint32_t)bytes);
	assert_int_equal(oc_wal_frame_check(f, (size_t)bytes, &fr), OC_WAL_OK);
	struct oc_wal_cursor cur;
	struct oc_command c;
	oc_wal_cursor_init(&cur, &fr);
	assert_int_equal(oc_wal_cursor_next(&cur, &c), -EBADMSG);
	/* Nonzero padding after the last record is refused too. */
	assert_true(build(f, 1, &(struct oc_wal_chain){OC_WAL_CHAIN_SEED, 1}) == 64);
	assert_int_equal(oc_wal_frame_check(f, 64, &fr), OC_WAL_OK);
	oc_wal_cursor_init(&cur, &fr);
	assert_int_equal(oc_wal_cursor_next(&cur, &c), 1);
	f[63] = 1;
	reseal(f, 64);
	assert_int_equal(oc_wal_frame_check(f, 64, &fr), OC_WAL_OK);
	oc_wal_cursor_init(&cur, &fr);
	assert_int_equal(oc_wal_cursor_next(&cur, &c), 1);
	assert_int_equal(oc_wal_cursor_next(&cur, &c), -EBADMSG);
}

/* The figure docs/wal.md reports: frames of 1000 single-line orders. */
static void test_bytes_per_order(void **state)
{
	(void)state;
	for (int random_keys = 0; random_keys <= 1; random_keys++) {
		uint64_t rng = 42, total = 0;
		const uint32_t per_frame = 1000, frames = 100;
		struct oc_wal_chain chain = {OC_WAL_CHAIN_SEED, 1};
		struct oc_wal_encoder e;
		oc_wal_encoder_init(&e, &chain);
		for (uint32_t fi = 0; fi < frames; fi++) {
			assert_int_equal(oc_wal_encoder_begin(&e, frame_buf, FRAME_CAP), 0);
			for (uint32_t i = 0; i < per_frame; i++) {
				struct oc_command c;
				realistic(&c, (uint64_t)fi * per_frame + i, &rng, random_keys);
				assert_int_equal(oc_wal_encoder_add(&e, &c), 0);
			}
			total += (uint64_t)oc_wal_encoder_finish(&e);
		}
		double per = (double)total / (frames * per_frame);
		printf("wal bytes per single-line order (%s keys, 1000-order frames): %.2f\n",
		       random_keys ? "random 64-bit" : "sequential", per);
		assert_true(per <= 28.0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_varint_edges),     cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_encoder_protocol), cmocka_unit_test(test_frame_statuses),
	    cmocka_unit_test(test_bytes_per_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
