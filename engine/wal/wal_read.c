/* wal_read.c: the WAL reader: lists a directory's segments in sequence order, verifies every
 * frame and the chain across segment boundaries, delivers the records of the valid prefix,
 * and classifies the end of the log (clean, torn tail, corruption) with its location; and
 * oc_wal_truncate_at, which cuts a torn tail. Used at recovery, before any writer opens the
 * directory; allocates freely (not a hot path). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mem.h"
#include "wal/wal.h"

struct segment {
	uint64_t seq;
	char name[OC_WAL_SEGMENT_NAME_BYTES];
};

struct scan {
	const char *dir;
	struct segment *segs;
	size_t count;
	oc_wal_record_fn fn;
	void *ctx;
	struct oc_wal_read_result *res;
	bool accept_first; /* start.next_seq 0: the first frame sets the chain */
	char *err;
	size_t err_bytes;
};

/* Parses "<20 digits>.wal"; false for any other name. */
static bool segment_parse(const char *name, uint64_t *seq)
{
	if (strlen(name) != OC_WAL_SEGMENT_NAME_BYTES - 1 || strcmp(name + 20, ".wal") != 0)
		return false;
	uint64_t v = 0;
	for (int i = 0; i < 20; i++) {
		if (!isdigit((unsigned char)name[i]) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	*seq = v;
	return true;
}

static int segment_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct segment *)a)->seq, y = ((const struct segment *)b)->seq;
	return x < y ? -1 : x > y;
}

/* The directory's segments sorted by first sequence number, in a malloc'd array (*out,
 * freed by the caller; NULL when there is none). A missing directory has none. */
static int segments_list(const char *dir, struct segment **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		uint64_t seq;
		if (!segment_parse(e->d_name, &seq))
			continue;
		if (*count == cap) {
			cap = cap ? 2 * cap : 16;
			struct segment *n = realloc(*out, cap * sizeof(**out));
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			*out = n;
		}
		(*out)[*count].seq = seq;
		memcpy((*out)[*count].name, e->d_name, OC_WAL_SEGMENT_NAME_BYTES); /* parsed */
		(*count)++;
	}
	closedir(d);
	if (*count)
		qsort(*out, *count, sizeof(**out), segment_cmp);
	return rc;
}

static int map_segment(const struct scan *sc, size_t i, struct oc_mapped_file *m)
{
	char path[OC_WAL_PATH_BYTES_MAX];
	snprintf(path, sizeof(path), "%s/%s", sc->dir, sc->segs[i].name);
	return oc_mem_map_file(path, m, sc->err, sc->err_bytes);
}

/* True if a frame that verifies on its own starts at an aligned offset in [from, bytes). */
static bool valid_frame_in(const struct oc_mapped_file *m, size_t from)
{
	for (size_t off = from; off + OC_WAL_FRAME_HEADER_BYTES <= m->bytes;
	     off += OC_WAL_FRAME_ALIGN_BYTES) {
		uint32_t magic;
		memcpy(&magic, m->data + off, sizeof(magic));
		struct oc_wal_frame f;
		if (magic == OC_WAL_MAGIC &&
		    oc_wal_frame_check(m->data + off, m->bytes - off, &f) == OC_WAL_OK)
			return true;
	}
	return false;
}

/* True if any valid frame follows (segment i, offset from): in the rest of segment i, or,
 * if `later`, in any later segment. */
static int valid_frame_after(const struct scan *sc, size_t i, const struct oc_mapped_file *m, size_t from,
                             bool later, bool *found)
{
	*found = valid_frame_in(m, from);
	for (size_t j = i + 1; later && !*found && j < sc->count; j++) {
		struct oc_mapped_file n;
		int rc = map_segment(sc, j, &n);
		if (rc)
			return rc;
		*found = valid_frame_in(&n, 0);
		oc_mem_unmap_file(&n);
	}
	return 0;
}

static void locate(struct scan *sc, size_t i, size_t off, enum oc_wal_end end,
                   enum oc_wal_status st)
{
	struct oc_wal_read_result *r = sc->res;
	r->end = end;
	r->status = st;
	memcpy(r->segment, sc->segs[i].name, sizeof(r->segment));
	r->offset = off;
	/* Before the first frame of a log whose start is open, its segment's name says. */
	r->seq = r->chain.next_seq ? r->chain.next_seq : sc->segs[i].seq;
}

/* Delivers a verified, chained frame's records. Returns 0, fn's nonzero value, or 1 with
 * the result marked corrupt if the records do not decode. */
static int deliver(struct scan *sc, const struct oc_wal_frame *f, size_t i, size_t off)
{
	struct oc_wal_cursor cur;
	struct oc_command c;
	int rc;
	oc_wal_cursor_init(&cur, f);
	while ((rc = oc_wal_cursor_next(&cur, &c)) == 1) {
		if (sc->fn && (rc = sc->fn(sc->ctx, &c)) != 0)
			return rc;
		sc->res->records++;
		if (sc->res->first_seq == 0)
			sc->res->first_seq = c.seq;
		sc->res->last_seq = c.seq;
	}
	if (rc < 0) {
		locate(sc, i, off, OC_WAL_END_CORRUPT, OC_WAL_BAD_RECORD);
		return 1;
	}
	return 0;
}

/* Checks a verified frame against the chain (and its segment's name, for the first frame
 * of a segment). */
static enum oc_wal_status frame_place(struct scan *sc, const struct oc_wal_frame *f, size_t i,
                                      size_t off)
{
	if (off == 0 && f->first_seq != sc->segs[i].seq)
		return OC_WAL_SEQ_GAP;
	if (sc->accept_first) {
		sc->accept_first = false;
		sc->res->chain = (struct oc_wal_chain){f->prev_checksum, f->first_seq};
	}
	return oc_wal_frame_follows(f, &sc->res->chain);
}

/* Scans one mapped segment. Returns 0 to go on to the next segment, 1 when the scan is over
 * (the result says why), fn's value or -errno. */
static int scan_segment(struct scan *sc, size_t i, const struct oc_mapped_file *m)
{
	size_t off = 0;
	/* An empty file (a crash between creating a segment and sizing it) maps to no memory
	 * (data NULL, where no offset may be added): it holds no frame. */
	if (m->bytes == 0)
		return 0;
	for (;;) {
		struct oc_wal_frame f;
		enum oc_wal_status st = oc_wal_frame_check(m->data + off, m->bytes - off, &f);
		bool found;
		int rc;
		if (st == OC_WAL_END) { /* clean end of this segment, unless data follows */
			if ((rc = valid_frame_after(sc, i, m, off + OC_WAL_FRAME_ALIGN_BYTES, false,
			                            &found)))
				return rc;
			if (!found)
				return 0;
			locate(sc, i, off, OC_WAL_END_CORRUPT, st);
			return 1;
		}
		if (st == OC_WAL_OK)
			st = frame_place(sc, &f, i, off);
		if (st != OC_WAL_OK) {
			if ((rc = valid_frame_after(sc, i, m, off + OC_WAL_FRAME_ALIGN_BYTES, true,
			                            &found)))
				return rc;
			bool chain_fault = st == OC_WAL_SEQ_GAP || st == OC_WAL_BAD_CHAIN;
			locate(sc, i, off,
			       found || chain_fault ? OC_WAL_END_CORRUPT : OC_WAL_END_TORN, st);
			return 1;
		}
		if ((rc = deliver(sc, &f, i, off)))
			return rc;
		oc_wal_chain_advance(&sc->res->chain, &f);
		sc->res->frames++;
		off += f.frame_bytes;
	}
}

int oc_wal_read_dir(const char *dir, const struct oc_wal_chain *start, oc_wal_record_fn fn,
                    void *ctx, struct oc_wal_read_result *out, char *err, size_t err_bytes)
{
	*out = (struct oc_wal_read_result){.end = OC_WAL_END_CLEAN, .chain = *start};
	struct scan sc = {.dir = dir,
	                  .fn = fn,
	                  .ctx = ctx,
	                  .res = out,
	                  .accept_first = start->next_seq == 0,
	                  .err = err,
	                  .err_bytes = err_bytes};
	int rc = segments_list(dir, &sc.segs, &sc.count);
	if (rc) {
		free(sc.segs);
		return oc_error_set(err, err_bytes, rc, "%s: cannot list: %s", dir, strerror(-rc));
	}
	out->segments = (uint32_t)sc.count;
	for (size_t i = 0; rc == 0 && i < sc.count; i++) {
		struct oc_mapped_file m;
		if ((rc = map_segment(&sc, i, &m)))
			break;
		rc = scan_segment(&sc, i, &m);
		oc_mem_unmap_file(&m);
	}
	free(sc.segs);
	return rc == 1 ? 0 : rc;
}

/* The directory's segments (segments_list) and the directory opened, for changing it. */
static int segments_open(const char *dir, struct segment **segs, size_t *count, int *dirfd)
{
	int rc = segments_list(dir, segs, count);
	*dirfd = rc ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return rc ? rc : *dirfd < 0 ? -errno : 0;
}

static void segments_close(struct segment *segs, int dirfd)
{
	if (dirfd >= 0)
		close(dirfd);
	free(segs);
}

/* Zeroes [offset, end) of a file, keeping its size, and syncs it. */
static int zero_tail(int fd, uint64_t offset)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((uint64_t)st.st_size <= offset)
		return 0;
	uint64_t len = (uint64_t)st.st_size - offset;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len)) {
		static const uint8_t zeros[65536];
		for (uint64_t done = 0; done < len;) {
			size_t n =
			    len - done < sizeof(zeros) ? (size_t)(len - done) : sizeof(zeros);
			ssize_t w = pwrite(fd, zeros, n, (off_t)(offset + done));
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += (uint64_t)w;
		}
	}
	return fdatasync(fd) ? -errno : 0;
}

int oc_wal_truncate_at(const char *dir, const char *segment, uint64_t offset)
{
	uint64_t cut;
	if (!segment_parse(segment, &cut) || offset % OC_WAL_FRAME_ALIGN_BYTES)
		return -EINVAL;
	struct segment *segs;
	size_t count;
	int dirfd;
	int rc = segments_open(dir, &segs, &count, &dirfd);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (segs[i].seq < cut)
			continue;
		if (segs[i].seq > cut || offset == 0) {
			if (unlinkat(dirfd, segs[i].name, 0) != 0)
				rc = -errno;
			continue;
		}
		int fd = openat(dirfd, segs[i].name, O_RDWR | O_CLOEXEC);
		rc = fd < 0 ? -errno : zero_tail(fd, offset);
		if (fd >= 0)
			close(fd);
	}
	if (rc == 0 && fsync(dirfd) != 0)
		rc = -errno;
	segments_close(segs, dirfd);
	return rc;
}

int oc_wal_remove_before(const char *dir, uint64_t seq)
{
	struct segment *segs;
	size_t count;
	int dirfd;
	int rc = segments_open(dir, &segs, &count, &dirfd);
	size_t removed = 0;
	/* Segment i holds sequence numbers below its successor's name. */
	for (size_t i = 0; rc == 0 && i + 1 < count && segs[i + 1].seq <= seq + 1; i++) {
		if (unlinkat(dirfd, segs[i].name, 0) != 0)
			rc = -errno;
		removed++;
	}
	if (rc == 0 && removed && fsync(dirfd) != 0)
		rc = -errno;
	segments_close(segs, dirfd);
	return rc;
}
