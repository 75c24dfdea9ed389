/* csv.h: the strict CSV line reader behind the dataset loader (docs/dataset.md). It reads one
 * file line by line, splits each line on commas (no quoting), checks the header row against
 * the expected columns and parses fields into numbers with range checks. Every failure is
 * written into the caller's buffer as "<path>:<line>: <what is wrong>".
 *
 * A reader is caller-owned storage used by one thread at setup time; field pointers point
 * into its line buffer and stay valid until the next oc_csv_next or oc_csv_close. */
#ifndef OC_CSV_H
#define OC_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/limits.h"

/* Columns in one row: the widest dataset file has 6; a line with more fields than this is
 * reported as having too many, whatever its header says. */
#define OC_CSV_FIELDS_MAX 16u

struct oc_csv {
	FILE *f;
	const char *path;           /* borrowed, for messages */
	const char *const *columns; /* borrowed: the expected header */
	uint32_t column_count;
	uint32_t line_no; /* 1-based number of the line last read */
	uint32_t field_count;
	char *fields[OC_CSV_FIELDS_MAX];
	char *err; /* caller's message buffer, may be NULL */
	size_t err_bytes;
	/* A line with its line ending is at most OC_CSV_LINE_BYTES_MAX bytes; one more byte for
	 * the terminating NUL that fgets writes. */
	char line[OC_CSV_LINE_BYTES_MAX + 1];
};

/* Opens path and reads its header row (the first non-blank line), which must be exactly the
 * column_count names in columns, comma-separated. Returns 0, -ENOENT ("<path>: No such
 * file"), another -errno from fopen, or -EINVAL for a bad header; on failure nothing stays
 * open. err may be NULL. */
int oc_csv_open(struct oc_csv *c, const char *path, const char *const *columns,
                uint32_t column_count, char *err, size_t err_bytes);

/* Writes dir/name into path (path_bytes). 0, or -ENAMETOOLONG with the reason in err. */
int oc_csv_path(char *path, size_t path_bytes, const char *dir, const char *name, char *err,
                size_t err_bytes);

/* oc_csv_open of dir/name, an optional file of a dataset: its path is written into path
 * (path_bytes), which the reader borrows; a missing file is -ENOENT with err cleared, for the
 * caller to judge whether that is an error. */
int oc_csv_open_optional(struct oc_csv *c, char *path, size_t path_bytes, const char *dir,
                         const char *name, const char *const *columns, uint32_t column_count,
                         char *err, size_t err_bytes);

/* Reads the next non-blank line into fields[0..column_count). Returns 1 for a row, 0 at the
 * end of the file, -EINVAL for a line that is too long, holds a NUL byte or a double quote,
 * or has the wrong number of fields, and -EIO for a read error. */
int oc_csv_next(struct oc_csv *c);

/* Closes the file; safe to call twice and after a failed open. */
void oc_csv_close(struct oc_csv *c);

/* Writes "<path>:<line>: <fmt ...>" into the error buffer and returns -EINVAL, so that a
 * caller can write `return oc_csv_fail(c, "...")`. */
int oc_csv_fail(struct oc_csv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict parsers of one field (column index i of the current row). They accept only what
 * they print: decimal digits for the unsigned ones (no sign, no spaces, no "0x"), a plain
 * decimal number with an optional sign, fraction and exponent for the double. An empty
 * field, trailing garbage, a negative number or a value outside [min, max] is -EINVAL with
 * the column name and the offending text in the message. */
int oc_csv_field_u32(struct oc_csv *c, uint32_t i, uint32_t min, uint32_t max,
                     uint32_t *out /* OUT */);
int oc_csv_field_u64(struct oc_csv *c, uint32_t i, uint64_t min, uint64_t max,
                     uint64_t *out /* OUT */);
int oc_csv_field_double(struct oc_csv *c, uint32_t i, double min, double max,
                        double *out /* OUT */);

/* The unsigned parsers' rule on a string of its own (a part of a field, say): digits only
 * into *out. 0, -EDOM (empty, a sign or not a digit) or -ERANGE. */
int oc_csv_parse_u64(const char *s, uint64_t *out /* OUT */);

/* Copies field i into dst (dst_bytes including the NUL). The field must be non-empty, hold
 * no control character and fit; otherwise -EINVAL with the column name in the message. */
int oc_csv_field_str(struct oc_csv *c, uint32_t i, char *dst, size_t dst_bytes);

/* Like oc_csv_field_str, but the field is a code: only [A-Za-z0-9_-]. */
int oc_csv_field_code(struct oc_csv *c, uint32_t i, char *dst, size_t dst_bytes);

#endif
