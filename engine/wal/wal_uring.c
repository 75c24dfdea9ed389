/* wal_uring.c: the io_uring WAL backend. Each frame is one write SQE with, in sync mode, an
 * fdatasync SQE linked to it (IOSQE_IO_LINK: the sync starts only if the write succeeded,
 * and is cancelled otherwise). Several frames may be in flight, but each frame's write
 * carries IOSQE_IO_DRAIN when anything is still in flight, so it starts only after every
 * earlier write and sync completed: frames land in the file in order, and a crash leaves
 * at most the last frame torn, never a good frame after a torn one (which the reader would
 * have to call corruption). The caller still gains: it encodes the next group commit while
 * the kernel syncs this one. Owns the ring; runs on the journal thread. */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

#include "core/assert.h"
#include "wal/wal_internal.h"

struct uring_state {
	struct io_uring ring;
	uint32_t pending; /* SQEs submitted whose CQE has not been seen */
};

#define OP_SYNC 1u /* low bit of user_data: 0 write, 1 sync; the rest is the slot index */

int oc_wal_uring_init(struct oc_wal *w, uint32_t entries)
{
	struct uring_state *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	int rc = io_uring_queue_init(entries, &u->ring, 0);
	if (rc < 0) {
		free(u);
		return rc;
	}
	w->be = u;
	return 0;
}

static int uring_submit(struct oc_wal *w, struct wal_slot *s)
{
	struct uring_state *u = w->be;
	uint64_t idx = (uint64_t)(s - w->slots);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	OC_ASSERT(sqe != NULL); /* the ring has 2 entries per slot and slots bound the flight */
	io_uring_prep_write(sqe, s->fd, s->buf, s->bytes, s->offset);
	io_uring_sqe_set_data64(sqe, idx << 1);
	unsigned flags = u->pending ? IOSQE_IO_DRAIN : 0;
	if (s->need_sync)
		flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_flags(sqe, flags);
	unsigned n = 1;
	if (s->need_sync) {
		sqe = io_uring_get_sqe(&u->ring);
		OC_ASSERT(sqe != NULL);
		if (s->inject_sync)
			io_uring_prep_nop(sqe); /* test-only: reported as failed on completion */
		else
			io_uring_prep_fsync(sqe, s->fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, idx << 1 | OP_SYNC);
		n++;
	}
	int rc = io_uring_submit(&u->ring);
	if (rc < 0)
		return rc;
	u->pending += (unsigned)rc;
	/* The kernel stops consuming SQEs at one it cannot even start; that frame is failed
	 * (and the error sticky) rather than left half-submitted. */
	return (unsigned)rc == n ? 0 : -EIO;
}

static void complete(struct oc_wal *w, const struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct wal_slot *s = &w->slots[data >> 1];
	int res = cqe->res;
	if (data & OP_SYNC) {
		if (s->inject_sync)
			res = s->inject_sync;
		s->sync_done = true;
	} else {
		if (res >= 0 && (uint32_t)res != s->bytes)
			res = -EIO; /* a short write to preallocated space: not retried */
		else if (res > 0)
			res = 0;
		s->write_done = true;
	}
	if (res < 0 && s->res == 0)
		s->res = res; /* a cancelled sync (-ECANCELED) follows its failed write's error */
}

static int uring_reap(struct oc_wal *w, bool wait)
{
	struct uring_state *u = w->be;
	struct io_uring_cqe *cqe;
	if (u->pending == 0)
		return 0;
	int rc;
	do
		rc = wait ? io_uring_wait_cqe(&u->ring, &cqe) : io_uring_peek_cqe(&u->ring, &cqe);
	while (rc == -EINTR);
	if (rc == -EAGAIN && !wait)
		return 0;
	if (rc < 0)
		return rc;
	do {
		complete(w, cqe);
		io_uring_cqe_seen(&u->ring, cqe);
		u->pending--;
	} while (u->pending && io_uring_peek_cqe(&u->ring, &cqe) == 0);
	return 0;
}

/* Waits for every SQE still in the kernel (their buffers are about to be freed), then tears
 * the ring down. */
static void uring_destroy(struct oc_wal *w)
{
	struct uring_state *u = w->be;
	if (!u)
		return;
	while (u->pending && uring_reap(w, true) == 0)
		;
	io_uring_queue_exit(&u->ring);
	free(u);
	w->be = NULL;
}

const struct wal_backend_ops oc_wal_uring_ops = {
    .name = "io_uring",
    .submit = uring_submit,
    .reap = uring_reap,
    .destroy = uring_destroy,
};
