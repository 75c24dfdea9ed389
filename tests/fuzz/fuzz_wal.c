/* fuzz_wal.c: fuzz target for the write-ahead log's record decoder (engine/wal/wal_format.c),
 * which reads what a disk gave back. The input is a frame's body: records as the encoder
 * writes them, decoded by a cursor from zero delta bases (a log's frames are checked by their
 * checksums before their records are decoded, so the target feeds records directly, where a
 * mutation is not caught by a checksum first). What it asserts, beyond "no crash, no read out
 * of bounds" (AddressSanitizer, when built with clang -fsanitize=fuzzer,address):
 *   - the cursor moves forward at each record and never past the input;
 *   - a record that decodes has zeros in the lines it does not store (past min(line_count,
 *     16));
 *   - it re-encodes (oc_wal_record_put, from the same delta bases) into at most
 *     OC_WAL_RECORD_BYTES_MAX bytes that decode, whole, to the same command
 *     (oc_wal_command_same: the tail too, for the commands that have one);
 * and the whole input, read as a frame (oc_wal_frame_check), is judged without a crash.
 * Built two ways (tests/CMakeLists.txt): with libFuzzer under clang, and with fuzz_driver.c,
 * which replays mutated seed records under ctest with any compiler. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "wal/wal_format.h"

#define FUZZ_ASSERT(x) \
	do { \
		if (!(x)) \
			abort(); \
	} while (0)

/* Records one input decodes at most. */
#define RECORDS_MAX 64u

/* Re-encodes c from the delta bases it was decoded with and checks it decodes back. */
static void same_again(const struct oc_command *c, uint64_t prev_ts_ns, uint64_t prev_key)
{
	uint8_t buf[OC_WAL_RECORD_BYTES_MAX + 8];
	uint64_t ts = prev_ts_ns, key = prev_key;
	size_t n = oc_wal_record_put(buf, c, &ts, &key);
	FUZZ_ASSERT(n > 0 && n <= OC_WAL_RECORD_BYTES_MAX);
	struct oc_wal_cursor again = {.p = buf, .end = buf + n, .left = 1, .seq = c->seq,
				      .prev_ts_ns = prev_ts_ns, .prev_key = prev_key};
	struct oc_command back;
	FUZZ_ASSERT(oc_wal_cursor_next(&again, &back) == 1 && again.p == buf + n);
	FUZZ_ASSERT(oc_wal_command_same(&back, c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oc_wal_frame f;
	(void)oc_wal_frame_check(data, size, &f);
	struct oc_wal_cursor cur = {.p = data, .end = data + size, .left = RECORDS_MAX, .seq = 1};
	for (;;) {
		uint64_t prev_ts_ns = cur.prev_ts_ns, prev_key = cur.prev_key;
		const uint8_t *at = cur.p;
		struct oc_command c;
		if (oc_wal_cursor_next(&cur, &c) != 1)
			break;
		FUZZ_ASSERT(cur.p > at && cur.p <= cur.end);
		uint32_t stored = c.line_count < OC_ORDER_LINES_MAX ? c.line_count : OC_ORDER_LINES_MAX;
		for (uint32_t i = stored; i < OC_ORDER_LINES_MAX; i++)
			FUZZ_ASSERT(c.lines[i].sku == 0 && c.lines[i].quantity == 0 &&
				    c.lines[i].reserved == 0);
		same_again(&c, prev_ts_ns, prev_key);
	}
	return 0;
}

const char fuzz_name[] = "fuzz_wal";

/* The seed records: a place (canonical) and a card place (raw), a cancel, steps (a pack with
 * its quality check failed), a restock, a refund, a cycle count, an RMA and a replacement
 * place (with their tails), a customer query, a screened place, a block list change, a
 * malformed command; each must decode back. */
size_t fuzz_seeds(uint8_t *out, size_t cap, uint32_t *count)
{
	struct oc_command seeds[14];
	memset(seeds, 0, sizeof(seeds));
	uint32_t n = 0;
	struct oc_command *c = &seeds[n++];
	*c = (struct oc_command){.type = OC_CMD_PLACE, .line_count = 2, .region = 3, .key = 7,
				 .customer = 4, .ts_ns = 1795000000000000000ull};
	c->lines[0] = (struct oc_line){100001, 2, 0};
	c->lines[1] = (struct oc_line){100002, 1, 0};
	seeds[n] = seeds[0];
	seeds[n].flags = OC_PLACE_CARD;
	seeds[n++].key = 8;
	seeds[n++] = (struct oc_command){.type = OC_CMD_CANCEL, .key = 7, .customer = 4};
	seeds[n++] = (struct oc_command){.type = OC_CMD_PACK_CONFIRMED, .key = 8, .customer = 4,
					 .flags = OC_PACK_QC_FAILED};
	seeds[n++] = (struct oc_command){.type = OC_CMD_RESTOCK, .line_count = 1, .region = 1,
					 .key = 9, .customer = 2, .lines = {{100003, 50, 0}}};
	seeds[n++] = (struct oc_command){.type = OC_CMD_REFUND, .key = 10, .customer = 4,
					 .order_key = 8, .amount_cents = 1250};
	seeds[n++] = (struct oc_command){.type = OC_CMD_ADJUST_STOCK, .line_count = 1, .region = 1,
					 .key = 11, .customer = 2, .lines = {{100003, 48, 0}},
					 .expected_units = 50};
	seeds[n++] = (struct oc_command){.type = OC_CMD_RETURN_REQUESTED, .line_count = 1,
					 .key = 12, .customer = 4, .flags = OC_RETURN_DAMAGED,
					 .order_key = 8, .lines = {{100001, 1, 0}}};
	seeds[n] = seeds[0];
	seeds[n].key = 13;
	seeds[n].flags = OC_PLACE_REPLACEMENT;
	seeds[n++].order_key = 8;
	seeds[n++] = (struct oc_command){.type = OC_CMD_QUERY_CUSTOMER, .customer = 4,
					 .order_key = 8};
	seeds[n] = seeds[1];
	seeds[n].key = 14;
	seeds[n].flags |= OC_PLACE_SCREEN;
	seeds[n++].screen = (struct oc_screen){.email_hash = 0x9e3779b97f4a7c15ull,
					       .card_hash = 3, .bill_country = {'G', 'B'},
					       .ship_country = {'U', 'S'}, .account_age_days = 400,
					       .postal_code = "94105"};
	seeds[n++] = (struct oc_command){.type = OC_CMD_BLOCK, .customer = 2,
					 .flags = OC_BLOCK_CARD | OC_BLOCK_REMOVE, .order_key = 3};
	seeds[n++] = (struct oc_command){.type = 0xee, .line_count = 200, .flags = 0xffffffffu,
					 .key = UINT64_MAX, .lines = {{1, 2, 3}}};
	uint64_t ts = 0, key = 0, ts_ns = 1795000000000000000ull;
	size_t bytes = 0;
	for (uint32_t i = 0; i < n; i++) {
		seeds[i].seq = 1 + i;
		seeds[i].ts_ns = ts_ns += 1000 * i;
		if (cap - bytes < OC_WAL_RECORD_BYTES_MAX)
			return 0;
		bytes += oc_wal_record_put(out + bytes, &seeds[i], &ts, &key);
	}
	struct oc_wal_cursor cur = {.p = out, .end = out + bytes, .left = n, .seq = 1};
	for (uint32_t i = 0; i < n; i++) {
		struct oc_command back;
		if (oc_wal_cursor_next(&cur, &back) != 1 || !oc_wal_command_same(&back, &seeds[i]))
			return 0;
	}
	*count = n;
	return bytes;
}
