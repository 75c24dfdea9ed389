/* fuzz_driver.c: runs a fuzz target (LLVMFuzzerTestOneInput) without libFuzzer, so that every
 * `make test` exercises it with any compiler: with file arguments it runs each file once (to
 * replay a crash libFuzzer found); without, it runs ITERATIONS inputs made from valid seed
 * frames (a hello, a place, a cancel, queries, a restock, a step, the types 39-46, and the
 * server's welcome, answer, row, event, subscribed and error) by a deterministic mutator (bit flips, byte overwrites with boundary values, cuts,
 * splices of two seeds, length fields set to boundary values). A failed assertion aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"
#include "ordercore/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ITERATIONS 3000000
#define INPUT_BYTES_MAX (4 * OC_PROTO_FRAME_BYTES_MAX)

/* Appends a seed frame; a seed that cannot be encoded is a bug of this file (it would be
 * silently missing from the corpus). */
#define SEED(encoded) \
	do { \
		size_t m_ = (encoded); \
		if (m_ == 0) \
			abort(); \
		n += m_; \
	} while (0)

static size_t seed_frames(uint8_t *out, size_t cap)
{
	size_t n = 0;
	struct oc_command place = {.type = OC_CMD_PLACE, .line_count = 3, .key = 9, .customer = 4};
	for (int i = 0; i < 3; i++)
		place.lines[i] = (struct oc_line){100001 + (uint64_t)i, 2, 0};
	struct oc_command cancel = {.type = OC_CMD_CANCEL, .key = 9, .customer = 4};
	struct oc_response r = {.seq = 1, .key = 9, .original_seq = 1, .customer = 4,
				.ts_ms = 1795000000000ull, .type = 1, .status = 1};
	struct oc_proto_welcome w = {1, OC_PROTO_FRAME_BYTES_MAX, 77};
	SEED(oc_proto_encode_hello(out + n, cap - n, 1, "token", 5));
	SEED(oc_proto_encode_command(out + n, cap - n, 2, &place));
	SEED(oc_proto_encode_command(out + n, cap - n, 3, &cancel));
	struct oc_command stock = {.type = OC_CMD_QUERY_STOCK, .line_count = 1,
				   .lines = {{100002, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 7, &stock));
	struct oc_command restock = {.type = OC_CMD_RESTOCK, .line_count = 1, .region = 2,
				     .key = 10, .customer = 5, .lines = {{100003, 50, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 8, &restock));
	struct oc_command shipped = {.type = OC_CMD_SHIPPED, .key = 9, .customer = 4};
	SEED(oc_proto_encode_command(out + n, cap - n, 12, &shipped));
	struct oc_command stock_at = {.type = OC_CMD_QUERY_STOCK_AT, .line_count = 1, .region = 1,
				      .lines = {{100002, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 13, &stock_at));
	SEED(oc_proto_encode_subscribe(out + n, cap - n, 9, OC_EVENT_ALL));
	SEED(oc_proto_encode_subscribed(out + n, cap - n, 10, 77));
	struct oc_command history = {.type = OC_CMD_QUERY_HISTORY, .key = 9};
	SEED(oc_proto_encode_command(out + n, cap - n, 14, &history));
	struct oc_command page = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 4, .order_key = 9};
	SEED(oc_proto_encode_command(out + n, cap - n, 15, &page));
	/* Inventory administration (39-41), exceptions and returns (42-45), the pack's quality
	 * check (46). */
	struct oc_command adjust = {.type = OC_CMD_ADJUST_STOCK, .line_count = 1, .region = 1,
				    .key = 11, .customer = 5, .lines = {{100003, 48, 0}},
				    .expected_units = 50};
	SEED(oc_proto_encode_command(out + n, cap - n, 16, &adjust));
	struct oc_command safety = {.type = OC_CMD_SET_SAFETY_STOCK, .line_count = 1,
				    .customer = 5, .lines = {{100003, 4, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 17, &safety));
	struct oc_command recon = {.type = OC_CMD_QUERY_RECONCILE, .line_count = 1, .region = 1,
				   .lines = {{100003, 0, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 18, &recon));
	struct oc_command exception = {.type = OC_CMD_DELIVERY_EXCEPTION, .key = 9, .customer = 4,
				       .flags = OC_EXCEPTION_LOST};
	SEED(oc_proto_encode_command(out + n, cap - n, 19, &exception));
	struct oc_command rma = {.type = OC_CMD_RETURN_REQUESTED, .line_count = 2, .key = 12,
				 .customer = 4, .flags = OC_RETURN_DAMAGED, .order_key = 9,
				 .lines = {{100001, 1, 0}, {100002, 2, 0}}};
	SEED(oc_proto_encode_command(out + n, cap - n, 20, &rma));
	struct oc_command received = {.type = OC_CMD_RETURN_RECEIVED, .key = 12, .customer = 4,
				      .flags = OC_RETURN_RESTOCK};
	SEED(oc_proto_encode_command(out + n, cap - n, 21, &received));
	struct oc_command replacement = place;
	replacement.key = 13;
	replacement.line_count = 2;
	replacement.flags = OC_PLACE_REPLACEMENT;
	replacement.order_key = 9;
	SEED(oc_proto_encode_command(out + n, cap - n, 22, &replacement));
	/* A pack whose quality check failed (46). */
	struct oc_command qc_failed = {.type = OC_CMD_PACK_CONFIRMED, .key = 9, .customer = 4,
				       .flags = OC_PACK_QC_FAILED};
	SEED(oc_proto_encode_command(out + n, cap - n, 23, &qc_failed));
	SEED(oc_proto_encode_event(out + n, cap - n, 11, &r));
	SEED(oc_proto_encode_answer(out + n, cap - n, 4, &r));
	struct oc_response row = r;
	row.flags = OC_RESPONSE_ROW;
	SEED(oc_proto_encode_answer(out + n, cap - n, 14, &row));
	SEED(oc_proto_encode_welcome(out + n, cap - n, 5, &w));
	SEED(oc_proto_encode_error(out + n, cap - n, 6, OC_PERR_TYPE, "unknown type"));
	return n;
}

static const uint32_t boundary[] = {0, 1, 15, 16, 17, 24, 32, 40, 48, 64, 80, 1023, 1024,
				    1025, 0xffff, 0x7fffffff, 0xffffffff};

static size_t mutate(uint64_t *rng, const uint8_t *seed, size_t seed_n, uint8_t *in)
{
	size_t n = seed_n;
	memcpy(in, seed, n);
	uint32_t edits = 1 + (uint32_t)oc_rand_below(rng, 8);
	for (uint32_t e = 0; e < edits && n; e++) {
		size_t at = (size_t)oc_rand_below(rng, n);
		switch (oc_rand_below(rng, 5)) {
		case 0: in[at] ^= (uint8_t)(1u << oc_rand_below(rng, 8)); break;
		case 1: in[at] = (uint8_t)oc_rand_below(rng, 256); break;
		case 2: n = at; break; /* cut */
		case 3: { /* a frame length field (or any 4 bytes) to a boundary value */
			uint32_t v = boundary[oc_rand_below(rng, sizeof(boundary) / 4)];
			if (at + 4 <= n)
				memcpy(in + at, &v, 4);
			break;
		}
		default: { /* splice: repeat a piece of the input at another place */
			size_t from = (size_t)oc_rand_below(rng, n), len = (size_t)oc_rand_below(rng, 64);
			if (from + len <= n && at + len <= INPUT_BYTES_MAX) {
				memmove(in + at, in + from, len);
				n = at + len > n ? at + len : n;
			}
		}
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t in[INPUT_BYTES_MAX], seed[INPUT_BYTES_MAX];
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			FILE *f = fopen(argv[i], "rb");
			if (!f) {
				perror(argv[i]);
				return 2;
			}
			size_t n = fread(in, 1, sizeof(in), f);
			fclose(f);
			LLVMFuzzerTestOneInput(in, n);
		}
		return 0;
	}
	size_t seed_n = seed_frames(seed, sizeof(seed));
	/* Every seed frame checks, so that the target reaches each of them unmutated. */
	size_t frames = 0;
	for (size_t at = 0; at < seed_n; frames++) {
		struct oc_proto_header h;
		int m = oc_proto_frame_check(seed + at, seed_n - at, &h);
		if (m <= 0) {
			fprintf(stderr, "fuzz_driver: seed frame %zu does not check: %d\n", frames, m);
			return 1;
		}
		at += (size_t)m;
	}
	LLVMFuzzerTestOneInput(seed, seed_n);
	uint64_t rng = 0x5eedf00d;
	for (uint32_t i = 0; i < ITERATIONS; i++) {
		size_t n = mutate(&rng, seed, seed_n, in);
		LLVMFuzzerTestOneInput(in, n);
	}
	printf("fuzz_proto: %u mutated inputs from %zu seed frames, no failure\n", ITERATIONS,
	       frames);
	return 0;
}
