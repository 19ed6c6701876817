/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internal helpers shared by the storage engines (not part of the plug-in
 * API): the common device open/close for files and block devices, the
 * synchronous fallbacks for discard/write-zeroes/flush, iovec arithmetic
 * for retrying short transfers, the context head every engine shares, and
 * the engine ops tables the registry lists.
 */
#ifndef SRPTD_BS_INTERNAL_H
#define SRPTD_BS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include "srptd/backend.h"
#include "srptd/version.h"

extern const struct srptd_backend_ops bs_uring_ops;
extern const struct srptd_backend_ops bs_aio_ops;
extern const struct srptd_backend_ops bs_sync_ops;
extern const struct srptd_backend_ops bs_null_ops;
#if SRPTD_HAVE_RBD
#include <rados/librados.h>
extern const struct srptd_backend_ops bs_rbd_ops; /* built with librbd */
/*
 * The image of bdev, an open rbd device, for bs_rbd_pr.c: the pool I/O
 * context it was opened on (the device's, not to be destroyed) and the
 * image id.  -EINVAL when bdev is not an rbd device.
 */
int bs_rbd_image_ref(const struct srptd_bdev *bdev, rados_ioctx_t *io, char *id,
		     size_t len);
#endif

/*
 * Test knob: SRPTD_TEST_DISABLE_ENGINE="io_uring,aio" makes the probe() of
 * the listed engines fail with -ENODEV, so the fallback chain can be
 * exercised on a kernel where every engine works.  Returns true when name
 * is listed.
 */
bool bs_engine_disabled_by_env(const char *name);

/*
 * Common open of a regular file or block device into bdev (everything but
 * bdev->ops and bdev->priv).  See the comment above bs_common_open() in
 * bs_common.c for the geometry rules.
 */
int bs_common_open(struct srptd_bdev *bdev, const struct srptd_bdev_params *p);
/* The resize op of the file engines (see struct srptd_backend_ops). */
int bs_common_resize(struct srptd_bdev *bdev, uint64_t new_size);
/* Closes the fd and frees name/path; safe on a partially opened bdev. */
void bs_common_close(struct srptd_bdev *bdev);

/*
 * Accept or reject io before queueing: -EROFS for any modifying op on a
 * read-only device (the fd is O_RDONLY, so the kernel would say -EBADF;
 * the engine answers first and uniformly), -EOPNOTSUPP for DISCARD on a
 * device that cannot discard, -EINVAL for an unknown op.  Inline, as the
 * done queue below: every submission of every engine passes here, and a
 * call each was a few percent of the engine's instructions per 4K READ
 * (doc/performance.md "Host loopback guard").
 */
static inline int bs_check_io(const struct srptd_bdev *bdev,
			      const struct srptd_io *io)
{
	/* Most I/Os are reads, which every device accepts: one compare. */
	if (io->op == SRPTD_IO_READ)
		return 0;
	switch (io->op) {
	case SRPTD_IO_READ:
	case SRPTD_IO_FLUSH:
		return 0;
	case SRPTD_IO_DISCARD:
		if (bdev->read_only)
			return -EROFS;
		return bdev->can_discard ? 0 : -EOPNOTSUPP;
	case SRPTD_IO_WRITE:
	case SRPTD_IO_WRITE_ZEROES:
		return bdev->read_only ? -EROFS : 0;
	case SRPTD_IO_COMPARE_WRITE:
		if (bdev->read_only)
			return -EROFS;
		return bdev->can_compare_write ? 0 : -EOPNOTSUPP;
	}
	return -EINVAL;
}

/*
 * True for READ/WRITE on an O_DIRECT device whose offset, length or
 * memory is not aligned to the block size: the kernel would refuse it
 * with -EINVAL, so engines route it to bs_sync_exec(), which bounces it
 * through an aligned buffer.  Normal traffic (block-multiple transfers
 * into the page-aligned RDMA pool) never takes that path.
 */
bool bs_io_misaligned(const struct srptd_bdev *bdev, const struct srptd_io *io);

/* Blocking implementations, used by the sync engine and as slow paths. */
int bs_sync_rw(struct srptd_bdev *bdev, struct srptd_io *io);
int bs_sync_flush(struct srptd_bdev *bdev);
int bs_sync_discard(struct srptd_bdev *bdev, uint64_t off, uint64_t len);
int bs_sync_write_zeroes(struct srptd_bdev *bdev, uint64_t off, uint64_t len);
/* Any op, blocking: dispatches to the four functions above. */
int bs_sync_exec(struct srptd_bdev *bdev, struct srptd_io *io);

/*
 * Describe the part of iov[0..iovcnt) that starts skip bytes in, into out
 * (room for iovcnt entries).  Returns the number of entries written (0
 * when skip covers everything).
 */
unsigned int bs_iov_tail(const struct iovec *iov, unsigned int iovcnt,
			 uint64_t skip, struct iovec *out);
/*
 * Make *tail (of *cap entries) room for n, the out array of bs_iov_tail().
 * Engines grow it on a slot's first short transfer and keep it for later
 * ones.  0, or -ENOMEM with *tail NULL and *cap 0.
 */
int bs_iov_tail_reserve(struct iovec **tail, unsigned int *cap, unsigned int n);

/*
 * Completions waiting to be delivered from ctx_poll(): a ring of at least
 * the context depth, so it never overflows while the engine counts every
 * accepted I/O against that depth until its callback runs.  Its size is
 * a power of two, mask + 1, so that an index wraps with one AND: every
 * completion is pushed and popped once (doc/performance.md "Host loopback
 * guard").  Used only by the thread owning the context.
 */
struct bs_done {
	struct srptd_io *io;
	int res;
};

struct bs_doneq {
	struct bs_done *ent;
	unsigned int mask, head, count;
};

/* A ring of at least cap entries (1 for 0): 0, -ENOMEM or -EINVAL. */
int bs_doneq_init(struct bs_doneq *q, unsigned int cap);
void bs_doneq_fini(struct bs_doneq *q);

static inline void bs_doneq_push(struct bs_doneq *q, struct srptd_io *io,
				 int res)
{
	struct bs_done *d;

	/* Callers count I/Os against the depth, so this cannot fill up. */
	if (q->count > q->mask)
		abort();
	d = &q->ent[(q->head + q->count) & q->mask];
	d->io = io;
	d->res = res;
	q->count++;
}

static inline bool bs_doneq_pop(struct bs_doneq *q, struct srptd_io **io,
				int *res)
{
	if (!q->count)
		return false;
	*io = q->ent[q->head].io;
	*res = q->ent[q->head].res;
	q->head = (q->head + 1) & q->mask;
	q->count--;
	return true;
}

/* Write 8 bytes to an eventfd (ignoring EAGAIN: counter saturated). */
void bs_eventfd_kick(int efd);
/* Reset an eventfd counter to 0. */
void bs_eventfd_clear(int efd);

/*
 * The part of struct srptd_backend_ctx common to every engine.  Each
 * engine's context starts with it, as a member named head (checked with
 * BS_CTX_HEAD_FIRST()), so the shared op functions below can reach it
 * from the opaque context pointer.
 */
struct bs_ctx_head {
	int efd; /* the context eventfd (ops->ctx_event_fd) */
	unsigned int depth;
	unsigned int inflight; /* accepted I/Os whose callback has not run */
	struct bs_doneq done; /* completions waiting for ctx_poll() */
};

#define BS_CTX_HEAD_FIRST(type)            \
	_Static_assert(                    \
		offsetof(type, head) == 0, \
		"struct bs_ctx_head must be the first member of " #type)

static inline struct bs_ctx_head *bs_ctx_head(struct srptd_backend_ctx *ctx)
{
	return (struct bs_ctx_head *)ctx;
}

/*
 * Create the done queue (depth entries) and the non-blocking, close-on-exec
 * eventfd.  Returns 0 or -errno; on failure nothing is left allocated and
 * bs_ctx_head_fini() is a no-op, so an engine calls this first and can then
 * unwind every later failure through its ctx_destroy.
 */
int bs_ctx_head_init(struct bs_ctx_head *h, unsigned int depth);
/* Close the eventfd and free the done queue; safe after a failed init. */
void bs_ctx_head_fini(struct bs_ctx_head *h);
/*
 * The common part of ctx_create: allocate a zeroed context of size bytes
 * (an engine's struct srptd_backend_ctx, head first) and initialise its
 * head for depth.  0 or -errno (-EINVAL for depth 0); nothing is left
 * allocated on failure.  bs_ctx_free() undoes it.
 */
int bs_ctx_alloc(size_t size, unsigned int depth,
		 struct srptd_backend_ctx **out);
/* bs_ctx_head_fini() and free the context of bs_ctx_alloc(). */
void bs_ctx_free(struct srptd_backend_ctx *ctx);
/* The ctx_event_fd op of every engine: the head's eventfd. */
int bs_ctx_event_fd(struct srptd_backend_ctx *ctx);

/*
 * Accept io and queue its completion with res for ctx_poll() (callbacks
 * never run inside submit): for I/O an engine has executed synchronously.
 * Owner thread only.  Kicks the eventfd only when the queue was empty, so
 * the engine's ctx_poll() must clear the eventfd before it drains the
 * queue and kick it again when it returns with entries left.
 */
void bs_ctx_push_done(struct bs_ctx_head *h, struct srptd_io *io, int res);

/*
 * Deliver up to max completions from h->done: pop one, drop inflight, run
 * its callback.  Callbacks may submit, and so push more; those are run in
 * the same call while max allows, so when this returns less than max the
 * queue is empty.  lock, when not NULL, is held around each pop (the
 * queue is shared with threads that push to it) but never across a
 * callback.  Returns the number of callbacks run.
 */
int bs_ctx_run_done(struct bs_ctx_head *h, unsigned int max,
		    pthread_mutex_t *lock);

/*
 * The whole ctx_poll() of an engine whose only completions are h->done
 * (null, sync): clear the eventfd, bs_ctx_run_done(), and kick the eventfd
 * again if entries are left (max reached) so the worker comes back.
 */
int bs_ctx_poll_done(struct bs_ctx_head *h, unsigned int max,
		     pthread_mutex_t *lock);

#endif
