/* csv.c: the strict CSV line reader of csv.h. It owns nothing beyond the FILE of one open
 * reader; lines are read with fgets into the reader's fixed buffer and split in place.
 * Setup time only, one thread per reader. */
#include "data/csv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"

/* Longest piece of a bad field quoted back in a message. */
#define FIELD_QUOTE_BYTES_MAX 40


int oc_csv_fail(struct oc_csv *c, const char *fmt, ...)
{
	if (!c->err || c->err_bytes == 0)
		return -EINVAL;
	/* An empty file has no line 1 to point at, but line 1 is where the header belongs. */
	int n = snprintf(c->err, c->err_bytes, "%s:%u: ", c->path, c->line_no ? c->line_no : 1u);
	if (n >= 0 && (size_t)n < c->err_bytes) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->err_bytes - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The expected header as one line, for messages. */
static const char *expected_header(const struct oc_csv *c, char *buf, size_t bytes)
{
	size_t used = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < c->column_count && used < bytes; i++) {
		int n = snprintf(buf + used, bytes - used, "%s%s", i ? "," : "", c->columns[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* Reads the next non-blank line and strips its line ending. 1, 0 at the end, or -errno. */
static int read_line(struct oc_csv *c)
{
	for (;;) {
		if (!fgets(c->line, (int)sizeof(c->line), c->f)) {
			if (ferror(c->f)) {
				oc_csv_fail(c, "read error");
				return -EIO;
			}
			return 0;
		}
		c->line_no++;
		size_t len = strlen(c->line);
		if (len == 0 || c->line[len - 1] != '\n') {
			/* No line ending: either the buffer filled up, the file ended, or a NUL
			 * byte cut strlen short. */
			if (len == sizeof(c->line) - 1) {
				if (getc(c->f) != EOF)
					return oc_csv_fail(
					    c, "line is longer than %u bytes with its ending",
					    OC_CSV_LINE_BYTES_MAX);
			} else if (!feof(c->f)) {
				return oc_csv_fail(c, "line contains a NUL byte");
			}
		}
		if (len > 0 && c->line[len - 1] == '\n')
			c->line[--len] = '\0';
		if (len > 0 && c->line[len - 1] == '\r')
			c->line[--len] = '\0';
		if (!is_blank(c->line))
			return 1;
	}
}

/* Splits the current line on commas, in place, into fields[]. */
static int split_line(struct oc_csv *c)
{
	char *p = c->line;
	c->field_count = 0;
	for (;;) {
		if (c->field_count == OC_CSV_FIELDS_MAX)
			return oc_csv_fail(c, "more than %u fields", OC_CSV_FIELDS_MAX);
		c->fields[c->field_count++] = p;
		/* A plain loop: fields are short, and strcspn's setup costs more than the scan. */
		while (*p != '\0' && *p != ',' && *p != '"')
			p++;
		if (*p == '"')
			return oc_csv_fail(c,
			                   "field %u contains a double quote; quoting is not "
			                   "supported",
			                   c->field_count);
		if (*p == '\0')
			return 0;
		*p++ = '\0';
	}
}

static int check_header(struct oc_csv *c)
{
	char want[OC_CSV_LINE_BYTES_MAX];
	expected_header(c, want, sizeof(want));
	uint32_t n = c->field_count < c->column_count ? c->field_count : c->column_count;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(c->fields[i], c->columns[i]) != 0)
			return oc_csv_fail(c,
			                   "header column %u is '%.*s', expected '%s' "
			                   "(header must be: %s)",
			                   i + 1, FIELD_QUOTE_BYTES_MAX, c->fields[i],
			                   c->columns[i], want);
	}
	if (c->field_count < c->column_count)
		return oc_csv_fail(c, "header is missing column '%s' (header must be: %s)",
		                   c->columns[n], want);
	if (c->field_count > c->column_count)
		return oc_csv_fail(c, "header has extra column '%.*s' (header must be: %s)",
		                   FIELD_QUOTE_BYTES_MAX, c->fields[n], want);
	return 0;
}

int oc_csv_open(struct oc_csv *c, const char *path, const char *const *columns,
                uint32_t column_count, char *err, size_t err_bytes)
{
	OC_ASSERT(column_count >= 1 && column_count <= OC_CSV_FIELDS_MAX);
	c->f = NULL;
	c->path = path;
	c->columns = columns;
	c->column_count = column_count;
	c->line_no = 0;
	c->field_count = 0;
	c->err = err;
	c->err_bytes = err_bytes;
	c->f = fopen(path, "r");
	if (!c->f) {
		int e = errno;
		if (e == ENOENT)
			oc_error_set(err, err_bytes, 0, "%s: No such file", path);
		else
			oc_error_set(err, err_bytes, 0, "%s: %s", path, strerror(e));
		return -e;
	}
	/* A bigger stdio buffer: stock.csv of a large demo dataset has millions of lines. */
	setvbuf(c->f, NULL, _IOFBF, 1u << 16);
	int rc = read_line(c);
	if (rc == 0) {
		char want[OC_CSV_LINE_BYTES_MAX];
		rc = oc_csv_fail(c, "missing header row (header must be: %s)",
		                 expected_header(c, want, sizeof(want)));
	}
	if (rc > 0)
		rc = split_line(c);
	if (rc == 0)
		rc = check_header(c);
	if (rc < 0)
		oc_csv_close(c);
	return rc;
}

int oc_csv_next(struct oc_csv *c)
{
	int rc = read_line(c);
	if (rc <= 0)
		return rc;
	rc = split_line(c);
	if (rc < 0)
		return rc;
	if (c->field_count != c->column_count) {
		char want[OC_CSV_LINE_BYTES_MAX];
		return oc_csv_fail(c, "%u fields, expected %u (%s)", c->field_count,
		                   c->column_count, expected_header(c, want, sizeof(want)));
	}
	return 1;
}

void oc_csv_close(struct oc_csv *c)
{
	if (c->f)
		fclose(c->f);
	c->f = NULL;
}

int oc_csv_parse_u64(const char *s, uint64_t *out)
{
	if (*s == '\0')
		return -EDOM;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EDOM;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int oc_csv_field_u64(struct oc_csv *c, uint32_t i, uint64_t min, uint64_t max, uint64_t *out)
{
	OC_ASSERT(i < c->field_count);
	const char *s = c->fields[i], *col = c->columns[i];
	const int q = FIELD_QUOTE_BYTES_MAX;
	uint64_t v = 0;
	int rc = oc_csv_parse_u64(s, &v);
	if (rc == -EDOM && *s == '\0')
		return oc_csv_fail(c, "column %s is empty", col);
	if (rc == -EDOM && s[0] == '-' && oc_csv_parse_u64(s + 1, &v) != -EDOM)
		return oc_csv_fail(c, "column %s: '%.*s' is negative", col, q, s);
	if (rc == -EDOM)
		return oc_csv_fail(c, "column %s: '%.*s' is not an unsigned integer", col, q, s);
	if (rc == -ERANGE || v < min || v > max)
		return oc_csv_fail(c, "column %s: '%.*s' is out of range [%llu, %llu]", col, q, s,
		                   (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int oc_csv_field_u32(struct oc_csv *c, uint32_t i, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = oc_csv_field_u64(c, i, min, max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int oc_csv_field_double(struct oc_csv *c, uint32_t i, double min, double max, double *out)
{
	OC_ASSERT(i < c->field_count);
	const char *s = c->fields[i], *col = c->columns[i];
	const int q = FIELD_QUOTE_BYTES_MAX;
	if (*s == '\0')
		return oc_csv_fail(c, "column %s is empty", col);
	/* strtod also takes spaces, hex, "inf" and "nan"; none of them is a plain number. */
	if (s[strspn(s, "0123456789+-.eE")] != '\0' || !strpbrk(s, "0123456789"))
		return oc_csv_fail(c, "column %s: '%.*s' is not a number", col, q, s);
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0')
		return oc_csv_fail(c, "column %s: '%.*s' is not a number", col, q, s);
	if (!isfinite(v) || v < min || v > max)
		return oc_csv_fail(c, "column %s: '%.*s' is out of range [%g, %g]", col, q, s, min,
		                   max);
	*out = v;
	return 0;
}

int oc_csv_field_str(struct oc_csv *c, uint32_t i, char *dst, size_t dst_bytes)
{
	OC_ASSERT(i < c->field_count && dst_bytes > 0);
	const char *s = c->fields[i], *col = c->columns[i];
	size_t len = strlen(s);
	if (len == 0)
		return oc_csv_fail(c, "column %s is empty", col);
	if (len >= dst_bytes)
		return oc_csv_fail(c, "column %s is %zu bytes long, at most %zu allowed", col, len,
		                   dst_bytes - 1);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			return oc_csv_fail(c, "column %s contains a control character", col);
	memcpy(dst, s, len + 1);
	return 0;
}

/* A loop rather than strspn: glibc's generic strspn is slow, and stock.csv has a code on
 * every one of its possibly millions of rows. */
static bool is_code_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-';
}

int oc_csv_field_code(struct oc_csv *c, uint32_t i, char *dst, size_t dst_bytes)
{
	int rc = oc_csv_field_str(c, i, dst, dst_bytes);
	if (rc < 0)
		return rc;
	for (const char *p = dst; *p; p++) {
		if (is_code_char(*p))
			continue;
		return oc_csv_fail(c, "column %s: '%s' may hold only A-Z, a-z, 0-9, '_' and '-'",
		                   c->columns[i], dst);
	}
	return 0;
}

int oc_csv_path(char *path, size_t path_bytes, const char *dir, const char *name, char *err,
                size_t err_bytes)
{
	int n = snprintf(path, path_bytes, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= path_bytes)
		return oc_error_set(err, err_bytes, -ENAMETOOLONG, "%s/%s: path too long", dir,
		                    name);
	return 0;
}

int oc_csv_open_optional(struct oc_csv *c, char *path, size_t path_bytes, const char *dir,
                         const char *name, const char *const *columns, uint32_t column_count,
                         char *err, size_t err_bytes)
{
	int rc = oc_csv_path(path, path_bytes, dir, name, err, err_bytes);
	if (rc == 0)
		rc = oc_csv_open(c, path, columns, column_count, err, err_bytes);
	if (rc == -ENOENT && err && err_bytes)
		err[0] = '\0';
	return rc;
}
