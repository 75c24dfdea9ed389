/* snapshot.c: snapshot part files (images built in memory, written whole; a whole-file reader
 * that verifies them) and the directory protocol of snapshot.h: begin, commit by rename,
 * prune, list. Images are built on the stages' threads when a snapshot barrier reaches them;
 * the rest runs on the snapshot writer thread and at recovery; allocates and blocks freely. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mem.h"
#include "wal/snapshot.h"

#define SNAP_MAGIC 0x4e53434fu /* "OCSN" */
#define SNAP_VERSION 12u

static enum oc_snap_step crash_step;

void oc_snap_test_crash_at(enum oc_snap_step step) { crash_step = step; }

void oc_snap_step(enum oc_snap_step step)
{
	if (crash_step && step == crash_step)
		raise(SIGKILL);
}

void oc_snap_part_begin(struct oc_snap_buf *b, enum oc_snap_kind kind, uint32_t index,
			uint64_t seq)
{
	b->len = 0;
	b->error = 0;
	uint32_t head[4] = {SNAP_MAGIC, SNAP_VERSION | (uint32_t)kind << 16, index, 0};
	oc_snap_put(b, head, sizeof(head));
	oc_snap_put_u64(b, seq);
}

void oc_snap_reserve(struct oc_snap_buf *b, size_t n)
{
	if (b->error || n <= b->cap - b->len)
		return;
	/* Twice what is asked: state grows between snapshots, and growing means mapping and
	 * touching fresh memory, which costs about as much as the copy into it. */
	size_t cap = 2 * (b->len + n);
	uint8_t *grown = oc_mem_table_alloc(cap);
	if (!grown) {
		b->error = -ENOMEM;
		return;
	}
	if (b->len)
		memcpy(grown, b->data, b->len);
	oc_mem_table_free(b->data, b->cap);
	b->data = grown;
	b->cap = cap;
}

void oc_snap_put(struct oc_snap_buf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len)
		oc_snap_reserve(b, n > b->cap ? n : b->cap); /* at least doubles */
	if (b->error || n == 0) /* n 0: p may be NULL, which memcpy may not be given */
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

int oc_snap_part_end(struct oc_snap_buf *b)
{
	if (!b->error)
		oc_snap_put_u64(b, XXH3_64bits(b->data, b->len));
	return b->error;
}

void oc_snap_buf_free(struct oc_snap_buf *b)
{
	if (b->data)
		oc_mem_table_free(b->data, b->cap);
	*b = (struct oc_snap_buf){0};
}

int oc_snap_file_write(const char *path, const struct oc_snap_buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = 0;
	for (size_t done = 0; done < b->len && !rc;) {
		ssize_t n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

int oc_snap_reader_open(struct oc_snap_reader *r, const char *path, enum oc_snap_kind kind,
			uint32_t index, uint64_t seq, char *err, size_t err_bytes)
{
	memset(r, 0, sizeof(*r));
	/* Mapped, not read: the page cache's pages are used in place (no second copy, no fresh
	 * memory to fault in). */
	int rc = oc_mem_map_file(path, &r->file, err, err_bytes);
	if (rc)
		return rc;
	size_t bytes = r->file.bytes;
	r->data = r->file.data;
	if (bytes < OC_SNAP_HEADER_BYTES + OC_SNAP_TRAILER_BYTES) {
		oc_snap_reader_close(r);
		return oc_error_set(err, err_bytes, -EINVAL, "%s: short file (%zu bytes)", path,
				    bytes);
	}
	uint64_t sum, want_seq;
	uint32_t head[4];
	memcpy(head, r->data, sizeof(head));
	memcpy(&want_seq, r->data + 16, 8);
	memcpy(&sum, r->data + bytes - OC_SNAP_TRAILER_BYTES, 8);
	const char *bad = NULL;
	if (XXH3_64bits(r->data, bytes - OC_SNAP_TRAILER_BYTES) != sum)
		bad = "checksum mismatch";
	else if (head[0] != SNAP_MAGIC || (head[1] & 0xffff) != SNAP_VERSION)
		bad = "not a snapshot file of this version";
	else if (head[1] >> 16 != (uint32_t)kind || head[2] != index || want_seq != seq)
		bad = "kind, index or sequence number differs from its name";
	if (bad) {
		oc_snap_reader_close(r);
		return oc_error_set(err, err_bytes, -EINVAL, "%s: %s", path, bad);
	}
	r->pos = OC_SNAP_HEADER_BYTES;
	r->end = bytes - OC_SNAP_TRAILER_BYTES;
	return 0;
}

const void *oc_snap_get(struct oc_snap_reader *r, size_t n)
{
	if (r->short_read || n > r->end - r->pos) {
		r->short_read = true;
		return NULL;
	}
	const void *p = r->data + r->pos;
	r->pos += n;
	return p;
}

/* The next n bytes into v, which keeps its zero past the end. */
static void get_into(struct oc_snap_reader *r, void *v, size_t n)
{
	const void *p = oc_snap_get(r, n);
	if (p)
		memcpy(v, p, n);
}

uint32_t oc_snap_get_u32(struct oc_snap_reader *r)
{
	uint32_t v = 0;
	get_into(r, &v, sizeof(v));
	return v;
}

uint64_t oc_snap_get_u64(struct oc_snap_reader *r)
{
	uint64_t v = 0;
	get_into(r, &v, sizeof(v));
	return v;
}

void oc_snap_put_u64map(struct oc_snap_buf *b, const struct oc_u64map *m)
{
	oc_snap_reserve(b, 8 + 20 * (size_t)m->count);
	oc_snap_put_u32(b, m->mask + 1);
	oc_snap_put_u32(b, m->count);
	for (uint32_t i = 0; i <= m->mask; i++) {
		const struct oc_u64map_entry *e = &m->entries[i];
		if (!e->key)
			continue;
		uint32_t rec[5] = {i, (uint32_t)e->key, (uint32_t)(e->key >> 32), e->value, e->aux};
		oc_snap_put(b, rec, sizeof(rec));
	}
}

int oc_snap_get_u64map(struct oc_snap_reader *r, struct oc_u64map *m)
{
	uint32_t slots = oc_snap_get_u32(r), count = oc_snap_get_u32(r);
	if (r->short_read || slots != m->mask + 1 || count > m->count_max || m->count)
		return -EINVAL;
	for (uint32_t k = 0; k < count; k++) {
		uint32_t i = oc_snap_get_u32(r);
		uint64_t key = oc_snap_get_u64(r);
		uint32_t value = oc_snap_get_u32(r), aux = oc_snap_get_u32(r);
		if (r->short_read || i >= slots || !key || m->entries[i].key)
			return -EINVAL;
		m->entries[i] = (struct oc_u64map_entry){key, value, aux};
	}
	m->count = count;
	return 0;
}

void oc_snap_reader_close(struct oc_snap_reader *r)
{
	oc_mem_unmap_file(&r->file);
	r->data = NULL;
}

void oc_snap_dir_path(char *out, const char *root, uint64_t seq, bool tmp)
{
	snprintf(out, OC_SNAP_PATH_BYTES_MAX, "%s/%020" PRIu64 "%s", root, seq, tmp ? ".tmp" : "");
}

void oc_snap_part_path(char *out, const char *root, uint64_t seq, bool tmp, const char *part)
{
	snprintf(out, OC_SNAP_PATH_BYTES_MAX, "%s/%020" PRIu64 "%s/%s", root, seq,
		 tmp ? ".tmp" : "", part);
}

void oc_snap_shard_part(char name[16], uint32_t shard)
{
	snprintf(name, 16, "shard-%02u", shard);
}

int oc_snap_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

/* Removes a snapshot directory and the files in it (it has no subdirectories). */
static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    unlinkat(dirfd(d), e->d_name, 0) != 0 && !rc)
			rc = -errno;
	closedir(d);
	if (!rc && rmdir(path) != 0)
		rc = -errno;
	return rc;
}

int oc_snap_begin(const char *root, uint64_t seq)
{
	char path[OC_SNAP_PATH_BYTES_MAX];
	if (mkdir(root, 0755) != 0 && errno != EEXIST)
		return -errno;
	oc_snap_dir_path(path, root, seq, true);
	int rc = remove_tree(path);
	if (!rc && mkdir(path, 0755) != 0)
		rc = -errno;
	return rc;
}

int oc_snap_commit(const char *root, uint64_t seq)
{
	char tmp[OC_SNAP_PATH_BYTES_MAX], final[OC_SNAP_PATH_BYTES_MAX];
	oc_snap_dir_path(tmp, root, seq, true);
	oc_snap_dir_path(final, root, seq, false);
	int rc = oc_snap_fsync_dir(tmp);
	if (rc)
		return rc;
	oc_snap_step(OC_SNAP_STEP_MANIFEST);
	/* A snapshot of this seq can exist only if an earlier run wrote it from the same
	 * commands; it is replaced. */
	rc = remove_tree(final);
	if (!rc && rename(tmp, final) != 0)
		rc = -errno;
	if (rc)
		return rc;
	oc_snap_step(OC_SNAP_STEP_RENAMED);
	return oc_snap_fsync_dir(root);
}

/* Parses "<20 digits>" or "<20 digits>.tmp". */
static bool name_parse(const char *name, uint64_t *seq, bool *tmp)
{
	size_t len = strlen(name);
	if (len != 20 && !(len == 24 && strcmp(name + 20, ".tmp") == 0))
		return false;
	uint64_t v = 0;
	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*seq = v;
	*tmp = len == 24;
	return true;
}

static int seq_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x > y ? -1 : x < y;
}

/* Every entry of root: committed seqs (sorted newest first) into a malloc'd *seqs, and, when
 * remove_tmp, every .tmp directory removed. */
static int scan(const char *root, uint64_t **seqs, uint32_t *count, bool remove_tmp)
{
	*seqs = NULL;
	*count = 0;
	DIR *d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	uint32_t cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && !rc) {
		uint64_t seq;
		bool tmp;
		if (!name_parse(e->d_name, &seq, &tmp))
			continue;
		if (tmp) {
			char path[OC_SNAP_PATH_BYTES_MAX];
			oc_snap_dir_path(path, root, seq, true);
			if (remove_tmp)
				rc = remove_tree(path);
			continue;
		}
		if (*count == cap) {
			cap = cap ? 2 * cap : 16;
			uint64_t *grown = realloc(*seqs, cap * sizeof(uint64_t));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			*seqs = grown;
		}
		(*seqs)[(*count)++] = seq;
	}
	closedir(d);
	if (*count)
		qsort(*seqs, *count, sizeof(uint64_t), seq_desc);
	return rc;
}

int oc_snap_prune(const char *root, uint32_t kept, uint64_t *oldest_kept)
{
	uint64_t *seqs;
	uint32_t count;
	int rc = scan(root, &seqs, &count, true);
	for (uint32_t i = kept; i < count && !rc; i++) {
		char path[OC_SNAP_PATH_BYTES_MAX];
		oc_snap_dir_path(path, root, seqs[i], false);
		rc = remove_tree(path);
	}
	*oldest_kept = count ? seqs[(count < kept ? count : kept) - 1] : 0;
	free(seqs);
	return rc ? rc : oc_snap_fsync_dir(root);
}

int oc_snap_list(const char *root, uint64_t *out, uint32_t max)
{
	uint64_t *seqs;
	uint32_t count;
	int rc = scan(root, &seqs, &count, false);
	if (rc) {
		free(seqs);
		return rc;
	}
	uint32_t n = count < max ? count : max;
	if (n)
		memcpy(out, seqs, n * sizeof(uint64_t));
	free(seqs);
	return (int)n;
}
