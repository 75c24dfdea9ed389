/* fuzz_driver.c: runs a fuzz target (LLVMFuzzerTestOneInput) without libFuzzer, so that every
 * `make test` exercises it with any compiler: with file arguments it runs each file once (to
 * replay a crash libFuzzer found); without, it runs ITERATIONS inputs made from valid seed
 * frames by a deterministic mutator (bit flips, byte overwrites with boundary values, cuts,
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
	n += oc_proto_encode_hello(out + n, cap - n, 1, "token", 5);
	n += oc_proto_encode_command(out + n, cap - n, 2, &place);
	n += oc_proto_encode_command(out + n, cap - n, 3, &cancel);
	struct oc_command stock = {.type = OC_CMD_QUERY_STOCK, .line_count = 1,
				   .lines = {{100002, 0, 0}}};
	n += oc_proto_encode_command(out + n, cap - n, 7, &stock);
	struct oc_command restock = {.type = OC_CMD_RESTOCK, .line_count = 1, .region = 2,
				     .key = 10, .customer = 5, .lines = {{100003, 50, 0}}};
	n += oc_proto_encode_command(out + n, cap - n, 8, &restock);
	struct oc_command shipped = {.type = OC_CMD_SHIPPED, .key = 9, .customer = 4};
	n += oc_proto_encode_command(out + n, cap - n, 12, &shipped);
	struct oc_command stock_at = {.type = OC_CMD_QUERY_STOCK_AT, .line_count = 1, .region = 1,
				      .lines = {{100002, 0, 0}}};
	n += oc_proto_encode_command(out + n, cap - n, 13, &stock_at);
	n += oc_proto_encode_subscribe(out + n, cap - n, 9, OC_EVENT_ALL);
	n += oc_proto_encode_subscribed(out + n, cap - n, 10, 77);
	struct oc_command history = {.type = OC_CMD_QUERY_HISTORY, .key = 9};
	n += oc_proto_encode_command(out + n, cap - n, 14, &history);
	struct oc_command page = {.type = OC_CMD_QUERY_CUSTOMER, .customer = 4, .order_key = 9};
	n += oc_proto_encode_command(out + n, cap - n, 15, &page);
	n += oc_proto_encode_event(out + n, cap - n, 11, &r);
	n += oc_proto_encode_answer(out + n, cap - n, 4, &r);
	struct oc_response row = r;
	row.flags = OC_RESPONSE_ROW;
	n += oc_proto_encode_answer(out + n, cap - n, 14, &row);
	n += oc_proto_encode_welcome(out + n, cap - n, 5, &w);
	n += oc_proto_encode_error(out + n, cap - n, 6, OC_PERR_TYPE, "unknown type");
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
	LLVMFuzzerTestOneInput(seed, seed_n);
	uint64_t rng = 0x5eedf00d;
	for (uint32_t i = 0; i < ITERATIONS; i++) {
		size_t n = mutate(&rng, seed, seed_n, in);
		LLVMFuzzerTestOneInput(in, n);
	}
	printf("fuzz_proto: %u mutated inputs, no failure\n", ITERATIONS);
	return 0;
}
