/* wal_limits.h: every bound of the write-ahead log (engine/wal), with its unit and the reason
 * for it. Kept beside the WAL rather than in core/limits.h so the module stands alone; the
 * lead may fold it in. Relationships between the constants are asserted at compile time. */
#ifndef OC_WAL_LIMITS_H
#define OC_WAL_LIMITS_H

/* Bytes of a frame header (wal_format.h draws it). A multiple of 8 so bodies start aligned. */
#define OC_WAL_FRAME_HEADER_BYTES 48u

/* Frames start on this boundary inside a segment; a frame's length is padded to it. */
#define OC_WAL_FRAME_ALIGN_BYTES 8u

/* The largest frame a reader accepts. One frame is one group commit; 1 MiB is where fio's
 * write-plus-fdatasync throughput on this kind of machine stops growing (issue 3), and a
 * bound lets a reader reject a garbage length before it reads past it. */
#define OC_WAL_FRAME_BYTES_MAX (1u << 20)

/* Records in one frame. The header counts them in 32 bits; the bound keeps a corrupt count
 * from driving a decoder loop and is far above ~1 MiB / 11 bytes per order. */
#define OC_WAL_FRAME_RECORDS_MAX (1u << 17)

/* The longest one encoded record can be: a non-canonical ("raw") place of 16 lines with every
 * field at its varint maximum: tag 1 + type 1 + line count 1 + region 3 + flags 5 +
 * order key 10 + amount 10 + ts 10 + key 10 + customer 10 + screen (hashes 24 + countries 4
 * + account age 3 + postal code 10) + 16 x (sku 10 + quantity 5 + reserved 5) = 422. The
 * encoder reserves this much before it writes a record, so a record never straddles the
 * buffer end. */
#define OC_WAL_RECORD_BYTES_MAX 424u

/* The smallest encoded record (tag, ts delta, key, customer of a cancel: 1 byte each); a
 * header whose count cannot fit its body is corrupt. */
#define OC_WAL_RECORD_BYTES_MIN 4u

/* Segment files: default size and bounds. 64 MiB holds ~6M single-line orders, so a segment
 * rolls over every second or so at the target rate; smaller segments are for tests. */
#define OC_WAL_SEGMENT_BYTES_DEFAULT (64u << 20)
#define OC_WAL_SEGMENT_BYTES_MIN     (64u << 10)
#define OC_WAL_SEGMENT_BYTES_MAX     (1ull << 40)

/* Frames written but not yet completed (io_uring backend): more than one lets the caller
 * encode the next group commit while the previous one syncs. */
#define OC_WAL_INFLIGHT_FRAMES_DEFAULT 8u
#define OC_WAL_INFLIGHT_FRAMES_MAX     256u

/* A segment's file name: 20 decimal digits (the first sequence number) + ".wal" + NUL. */
#define OC_WAL_SEGMENT_NAME_BYTES 25u

/* Directory paths the WAL accepts, with room for "/" and a segment name. */
#define OC_WAL_DIR_BYTES_MAX  4000u
#define OC_WAL_PATH_BYTES_MAX (OC_WAL_DIR_BYTES_MAX + OC_WAL_SEGMENT_NAME_BYTES + 1u)

_Static_assert(OC_WAL_FRAME_HEADER_BYTES % OC_WAL_FRAME_ALIGN_BYTES == 0, "aligned bodies");
_Static_assert(OC_WAL_FRAME_BYTES_MAX % OC_WAL_FRAME_ALIGN_BYTES == 0, "aligned frames");
_Static_assert(OC_WAL_FRAME_HEADER_BYTES + OC_WAL_RECORD_BYTES_MAX + OC_WAL_FRAME_ALIGN_BYTES <=
                   OC_WAL_FRAME_BYTES_MAX,
               "a maximal record fits a maximal frame");
_Static_assert(OC_WAL_SEGMENT_BYTES_MIN >=
                   4u * (OC_WAL_FRAME_HEADER_BYTES + OC_WAL_RECORD_BYTES_MAX),
               "a minimal segment holds a few maximal records");
_Static_assert(OC_WAL_SEGMENT_BYTES_DEFAULT >= OC_WAL_FRAME_BYTES_MAX, "default holds a frame");
_Static_assert(OC_WAL_INFLIGHT_FRAMES_DEFAULT <= OC_WAL_INFLIGHT_FRAMES_MAX, "default in range");

#endif
