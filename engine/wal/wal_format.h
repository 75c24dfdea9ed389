/* wal_format.h: the on-disk format of the write-ahead log: frames (one per group commit) and
 * the compact records inside them. Pure encoding and decoding over caller memory: no I/O, no
 * allocation, no global state; any thread may use its own encoder or cursor.
 *
 * A frame, all integers little-endian, offsets in bytes:
 *
 *    0        4        6        8             12             16
 *    +--------+--------+--------+-------------+--------------+
 *    | magic  |version | flags  | frame_bytes | record_count |
 *    | "OCWL" |   1    |   0    |    u32      |     u32      |
 *    +--------+--------+--------+-------------+--------------+
 *   16                     24                     32
 *    +---------------------+----------------------+
 *    | first_seq u64       | base_ts_ns u64       |
 *    +---------------------+----------------------+
 *   32                     40                     48
 *    +---------------------+----------------------+
 *    | prev_checksum u64   | checksum u64         |
 *    +---------------------+----------------------+
 *   48
 *    +---------------------------------------------------------+-------------+
 *    | record_count records (see below)                        | 0..7 zeros  |
 *    +---------------------------------------------------------+-------------+
 *                                                        frame_bytes (a multiple of 8)
 *
 * checksum = XXH3_64(bytes [48, frame_bytes), seed = XXH3_64(bytes [0, 40), seed =
 * prev_checksum)): it covers every header field but itself, the records and the padding, and
 * is seeded with the previous frame's checksum (OC_WAL_CHAIN_SEED for the first frame of a
 * log). prev_checksum is also stored, so a frame can be verified on its own (after old
 * segments are deleted) and a reader can tell a damaged frame (bad checksum) from an intact
 * frame in the wrong place (bad chain, sequence gap). Sequence numbers are implicit:
 * record i of a frame has first_seq + i. A header of 48 zero bytes marks the end of the
 * data in a preallocated segment.
 *
 * A record starts with a tag byte:
 *   bits 0-2  kind: 1 place, 2 cancel, 3 raw (any other command, kept verbatim so a replay
 *             rejects it exactly as live traffic did); 0 and 4-7 are reserved
 *   bits 3-6  place: line_count - 1
 *   bit  7    key stored as 8 raw bytes (else as a zigzag varint delta from the previous
 *             record's key in the frame, the first record's from 0)
 * then, as LEB128 varints (zz: zigzag-encoded signed delta):
 *   ts_ns     zz delta from the previous record's ts_ns (the first record's from base_ts_ns)
 *   key       per bit 7
 *   customer
 *   place:    region, then line_count x (sku, quantity)
 *   cancel:   nothing more
 *   raw:      type (1 byte), line_count (1 byte), region, flags, then for a refund, a
 *             customer query, a cycle count, an RMA or a replacement place
 *             (oc_command_has_tail) order_key and amount_cents (a cycle count's
 *             expected_units), then for a screened place (oc_command_has_screen) its
 *             struct oc_screen: email, card and address hashes (8 raw bytes each), billing
 *             and shipping country (2 bytes each), account_age_days (varint), postal code
 *             (10 raw bytes), then
 *             min(line_count, 16) x (sku, quantity, line reserved)
 * A place is "canonical" (kind 1) when 1 <= line_count <= 16 and flags and every line reserved
 * field are 0; a cancel when line_count, region and flags are 0. Lines past line_count are
 * not stored and decode as zeros. */
#ifndef OC_WAL_FORMAT_H
#define OC_WAL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ordercore/ordercore.h"
#include "wal/wal_limits.h"

#define OC_WAL_MAGIC   0x4C57434Fu /* "OCWL" in file byte order */
#define OC_WAL_VERSION 5u /* 2: raw records of refunds and customer queries carry order_key
                           * and amount_cents; 3: and those of cycle counts (type 18, which
                           * a version 2 log holds without them); 4: and those of RMAs and
                           * replacement places; 5: and those of block list changes and short
                           * picks, and a screened place's fields */

/* The commands that read struct oc_command's order_key and amount_cents; the others ignore
 * them, so the sequencer does not copy them and the log does not keep them. A place reads
 * order_key only when it is a replacement. */
static inline bool oc_command_has_tail(const struct oc_command *c)
{
	return c->type == OC_CMD_REFUND || c->type == OC_CMD_QUERY_CUSTOMER ||
	       c->type == OC_CMD_ADJUST_STOCK || c->type == OC_CMD_RETURN_REQUESTED ||
	       c->type == OC_CMD_BLOCK || c->type == OC_CMD_PICK_SHORT ||
	       (c->type == OC_CMD_PLACE && (c->flags & OC_PLACE_REPLACEMENT));
}
/* A screened place carries struct oc_screen besides (after the tail, when it has one). */
static inline bool oc_command_has_screen(const struct oc_command *c)
{
	return c->type == OC_CMD_PLACE && (c->flags & OC_PLACE_SCREEN);
}
/* The checksum the first frame of a log chains to ("ocwalsd1"). */
#define OC_WAL_CHAIN_SEED 0x3164736C6177636Full

enum oc_wal_rec_kind {
	OC_WAL_REC_PLACE = 1,
	OC_WAL_REC_CANCEL = 2,
	OC_WAL_REC_RAW = 3,
};

/* What a decoder found at a position. OK; END and TORN are "incomplete" (nothing, or less
 * than the header announces); the rest are "corrupt". */
enum oc_wal_status {
	OC_WAL_OK = 0,
	OC_WAL_END = 1,          /* no bytes left, or a zeroed header: end of the data */
	OC_WAL_TORN = 2,         /* fewer bytes than the header's frame_bytes */
	OC_WAL_BAD_MAGIC = 3,    /* not a frame header */
	OC_WAL_BAD_HEADER = 4,   /* unknown version or flags, impossible length or count */
	OC_WAL_BAD_CHECKSUM = 5, /* header or body damaged */
	OC_WAL_BAD_CHAIN = 6,    /* intact, but prev_checksum is not the previous frame's */
	OC_WAL_SEQ_GAP = 7,      /* intact, but first_seq is not the next sequence number */
	OC_WAL_BAD_RECORD = 8,   /* checksum good, records do not decode (writer bug/version) */
	OC_WAL_STATUS_COUNT
};

static inline bool oc_wal_status_corrupt(enum oc_wal_status s)
{
	return s >= OC_WAL_BAD_MAGIC;
}

const char *oc_wal_status_name(enum oc_wal_status s);

/* Where a log stands: the last frame's checksum and the next sequence number. A new log
 * starts at {OC_WAL_CHAIN_SEED, 1}; next_seq 0 means "not known" (accept any). */
struct oc_wal_chain {
	uint64_t checksum;
	uint64_t next_seq;
};

/* A frame's header, decoded. body points into the caller's buffer (valid while it is). */
struct oc_wal_frame {
	uint32_t frame_bytes;
	uint32_t record_count;
	uint64_t first_seq;
	uint64_t base_ts_ns;
	uint64_t prev_checksum;
	uint64_t checksum;
	const uint8_t *body; /* records and padding: frame_bytes - OC_WAL_FRAME_HEADER_BYTES */
};

/* Builds one frame at a time into caller memory. Owned by one thread. */
struct oc_wal_encoder {
	uint8_t *buf;        /* the frame being built; NULL between frames */
	size_t cap;          /* usable bytes of buf (at most OC_WAL_FRAME_BYTES_MAX) */
	size_t pos;          /* bytes used, header included */
	uint32_t count;      /* records in the frame */
	uint64_t first_seq;  /* of the frame */
	uint64_t base_ts_ns; /* the first record's ts_ns */
	uint64_t prev_ts_ns; /* delta bases */
	uint64_t prev_key;
	struct oc_wal_chain chain; /* the last finished frame */
};

/* LEB128 of an unsigned 64-bit value: writes 1..10 bytes at p, returns the count. */
static inline size_t oc_wal_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads a LEB128 value from [p, end). Returns the bytes used, or 0 when the input ends
 * first or the encoding is longer than 10 bytes or overflows 64 bits. */
size_t oc_wal_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v); /* OUT: v */

static inline size_t oc_wal_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static inline uint64_t oc_wal_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63)); /* all ones when v < 0 */
}

static inline int64_t oc_wal_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Starts an encoder whose first frame follows `chain` (copied). */
void oc_wal_encoder_init(struct oc_wal_encoder *e, const struct oc_wal_chain *chain);

/* Starts a frame in buf (cap bytes, 8-byte aligned; the encoder uses at most
 * OC_WAL_FRAME_BYTES_MAX of it). buf must stay valid until oc_wal_encoder_finish.
 * -EINVAL if cap cannot hold a header and one maximal record, or a frame is open. */
int oc_wal_encoder_begin(struct oc_wal_encoder *e, void *buf, size_t cap);

/* Appends one command. Its seq must be the frame's next (the chain's next_seq for the first
 * record when known): a gap is a programmer error (asserted). Returns 0, or -ENOSPC when the
 * frame cannot take another record (finish it and begin another; nothing was written). */
int oc_wal_encoder_add(struct oc_wal_encoder *e, const struct oc_command *c);

/* Fills the header and the chained checksum, zeroes the padding and advances the chain.
 * Returns the frame's bytes (a multiple of 8), or -ENODATA if it has no record (the frame
 * stays open). */
int oc_wal_encoder_finish(struct oc_wal_encoder *e);

/* Checks the frame at buf ([buf, buf + bytes) is what is left of the file or buffer): magic,
 * header fields, length against bytes (TORN if short), checksum. Does not look at the chain
 * or decode the records. Fills *out when OK. */
enum oc_wal_status oc_wal_frame_check(const void *buf, size_t bytes, struct oc_wal_frame *out);

/* Checks a verified frame follows `chain`: SEQ_GAP if first_seq is not chain->next_seq (when
 * that is known), BAD_CHAIN if prev_checksum is not chain->checksum; OK otherwise. */
enum oc_wal_status oc_wal_frame_follows(const struct oc_wal_frame *f,
                                        const struct oc_wal_chain *chain);

/* Moves the chain past a verified frame. */
void oc_wal_chain_advance(struct oc_wal_chain *chain, const struct oc_wal_frame *f);

/* Iterates a verified frame's records. Points into the frame's memory. */
struct oc_wal_cursor {
	const uint8_t *p, *end;
	uint32_t left;
	uint64_t seq;
	uint64_t prev_ts_ns;
	uint64_t prev_key;
};

void oc_wal_cursor_init(struct oc_wal_cursor *cur, const struct oc_wal_frame *f);

/* Decodes the next record into *out (every field, seq and ts_ns included; lines past
 * line_count zeroed). Returns 1, or 0 after the last record (having checked that only zero
 * padding follows it), or -EBADMSG if the records do not decode. */
int oc_wal_cursor_next(struct oc_wal_cursor *cur, struct oc_command *out);

/* Encodes one record at p (room for OC_WAL_RECORD_BYTES_MAX) given the delta bases, which it
 * advances. Returns the bytes written. Exposed for the tests and for measuring. */
size_t oc_wal_record_put(uint8_t *p, const struct oc_command *c, uint64_t *prev_ts_ns,
                         uint64_t *prev_key);

/* True if a and b are the same command as the log sees it: every field but the lines past
 * line_count (and all lines past 16). */
bool oc_wal_command_same(const struct oc_command *a, const struct oc_command *b);

#endif
