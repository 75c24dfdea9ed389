/* wal_pwrite.c: the synchronous WAL backend: pwritev of the whole frame, then (sync mode)
 * fdatasync, both before oc_wal_append returns. Used where io_uring is unavailable, when
 * asked for, and under a test disk (oc_wal_test_set_disk). No state of its own; runs on the journal thread. */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wal/wal_internal.h"

/* Writes the whole frame, continuing after short writes. Returns 0 or -errno. A failed
 * write is never retried: the caller makes it sticky. */
static int write_all(int fd, const uint8_t *p, uint32_t bytes, uint64_t offset)
{
	if (oc_wal_disk)
		return oc_wal_disk->write(oc_wal_disk->ctx, fd, p, bytes, offset);
	while (bytes) {
		struct iovec iov = {.iov_base = (void *)p, .iov_len = bytes};
		ssize_t n = pwritev(fd, &iov, 1, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		bytes -= (uint32_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

static int pwrite_submit(struct oc_wal *w, struct wal_slot *s)
{
	(void)w;
	int rc = write_all(s->fd, s->buf, s->bytes, s->offset);
	s->write_done = true;
	if (rc == 0 && s->need_sync) {
		rc = s->inject_sync; /* test-only fault, else the real sync */
		if (rc == 0)
			rc = oc_wal_datasync(s->fd);
		s->sync_done = true;
	}
	s->res = rc;
	return 0;
}

static int pwrite_reap(struct oc_wal *w, bool wait)
{
	(void)w, (void)wait; /* every slot completed in submit */
	return 0;
}

static void pwrite_destroy(struct oc_wal *w)
{
	(void)w;
}

const struct wal_backend_ops oc_wal_pwrite_ops = {
    .name = "pwrite",
    .submit = pwrite_submit,
    .reap = pwrite_reap,
    .destroy = pwrite_destroy,
};
