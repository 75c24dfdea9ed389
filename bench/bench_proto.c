/* bench_proto.c: the wire protocol's codec (engine/net/proto.c), what the daemon does per
 * command and per answer besides deciding it. oc_proto_place/L encodes a place of L lines
 * into a frame, checks it (oc_proto_frame_check, as the server does on its input) and decodes
 * it back; oc_proto_answer encodes an answer and decodes it, as the client does. One
 * iteration is one frame; items_per_second is frames a second. */
#include <string.h>

#include "ordercore/protocol.h"
#include "shim.h"

#define BATCH 256u

static const int64_t line_counts[] = {1, 4, 16};

static void bench_place(struct oc_bench_state *st)
{
	uint32_t lines = (uint32_t)oc_bench_range(st, 0);
	struct oc_command c = {.type = OC_CMD_PLACE, .line_count = (uint8_t)lines, .region = 3,
			       .key = 0x0102030405060708ull, .customer = 77};
	for (uint32_t l = 0; l < lines; l++)
		c.lines[l] = (struct oc_line){100001 + l, 1 + l, 0};
	uint8_t frame[OC_PROTO_FRAME_BYTES_MAX];
	struct oc_command back;
	uint64_t bad = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			c.key++;
			size_t n = oc_proto_encode_command(frame, sizeof(frame), i, &c);
			struct oc_proto_header h;
			bad += oc_proto_frame_check(frame, n, &h) != (int)n;
			bad += oc_proto_decode_command(frame, &back) != 0 || back.key != c.key;
		}
	}
	oc_bench_escape(&back);
	if (bad)
		oc_bench_skip_with_error(st, "a frame did not round-trip");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
}

static void bench_answer(struct oc_bench_state *st)
{
	struct oc_response a = {.seq = 1, .key = 9, .original_seq = 1, .customer = 77,
				.ts_ms = 1795000000000ull, .type = OC_CMD_PLACE,
				.status = OC_STATUS_ACCEPTED, .shipments = 1, .state = OC_STATE_ALLOCATED,
				.payment = OC_PAYMENT_PREPAID, .amount_cents = 1250};
	uint8_t frame[OC_PROTO_FRAME_BYTES_MAX];
	struct oc_response back;
	uint64_t bad = 0;
	while (oc_bench_keep_running_batch(st, BATCH)) {
		for (uint32_t i = 0; i < BATCH; i++) {
			a.seq++;
			size_t n = oc_proto_encode_answer(frame, sizeof(frame), i, &a);
			bad += n == 0 || oc_proto_decode_answer(frame, &back) != 0 || back.seq != a.seq;
		}
	}
	oc_bench_escape(&back);
	if (bad)
		oc_bench_skip_with_error(st, "an answer did not round-trip");
	oc_bench_set_items_processed(st, oc_bench_iterations(st));
}

void oc_bench_register_proto(void)
{
	oc_bench_register("oc_proto_place", bench_place, line_counts,
			  (int)(sizeof(line_counts) / sizeof(line_counts[0])), 0);
	oc_bench_register("oc_proto_answer", bench_answer, NULL, 0, 0);
}
