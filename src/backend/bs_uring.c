/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * io_uring engine (liburing).  One ring per context, i.e. per worker
 * thread, created with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN
 * when the kernel knows them (only the owner submits, and completions need
 * no IPI: they are run when the owner next enters the kernel, which the
 * eventfd wakeup guarantees).  The context eventfd is registered with the
 * ring, so the worker's epoll sees completions.
 *
 * Data path: READV/WRITEV, or READ_FIXED/WRITE_FIXED when the caller
 * registered its buffer pool and the single iovec lies inside it.  FUA is
 * RWF_DSYNC on the write; FLUSH is FSYNC(DATASYNC); DISCARD and
 * WRITE_ZEROES on files are FALLOCATE (punch hole / zero range).  Block
 * device DISCARD/WRITE_ZEROES are ioctls (BLKDISCARD/BLKZEROOUT) that
 * io_uring cannot issue on kernel 6.1, so they run synchronously in
 * submit() and complete from ctx_poll() like everything else; so do
 * O_DIRECT reads/writes with misaligned memory or ranges (bounce buffer,
 * see bs_io_misaligned()) and writes to files on tmpfs or ramfs
 * (mem_backed), which io_uring would hand to a worker thread.  A
 * filesystem without FALLOC_FL_ZERO_RANGE (tmpfs) answers WRITE_ZEROES
 * with EOPNOTSUPP; ctx_poll() then writes zero buffers synchronously, the
 * one place it blocks.
 *
 * Submissions made from completion callbacks are batched into a single
 * io_uring_enter() at the end of ctx_poll(); while the worker has the
 * context plugged (ctx_plug(), for the length of its wake-up) every
 * submission waits for the unplug, so that a wake-up makes one
 * io_uring_enter() however many commands it starts; otherwise they are
 * submitted at once.
 *
 * Each accepted I/O holds one slot (of depth) until its callback ran; a
 * slot is what user_data points at and carries the progress of a short
 * transfer, which is resubmitted for the remainder.
 */
#include <errno.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

enum bs_uring_phase {
	BS_URING_MAIN, /* the operation itself */
	BS_URING_FLUSH, /* fdatasync after a write-through WRITE_ZEROES */
};

struct bs_uring_slot {
	struct srptd_io *io;
	uint64_t done; /* bytes transferred so far (short I/O) */
	struct iovec *tail; /* remainder iovecs, allocated on first short I/O */
	unsigned int tail_cap;
	enum bs_uring_phase phase;
	unsigned int next_free;
};

struct srptd_backend_ctx {
	struct bs_ctx_head head; /* done: synchronously executed I/Os */
	struct io_uring ring;
	bool need_submit; /* SQEs prepared but not yet handed to the kernel */
	bool in_poll; /* inside ctx_poll(): batch submissions until its end */
	bool plugged; /* ctx_plug(): batch submissions until unplugged */
	struct bs_uring_slot *slots;
	unsigned int free_head; /* index, depth = none */
	struct iovec *fixed; /* registered buffers */
	unsigned int nfixed;
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

static const int bs_uring_needed_ops[] = {
	IORING_OP_READV,       IORING_OP_WRITEV, IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED, IORING_OP_FSYNC,	 IORING_OP_FALLOCATE,
};

static int bs_uring_init_ring(struct io_uring *ring, unsigned int entries)
{
	static const unsigned int flag_sets[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
		IORING_SETUP_COOP_TASKRUN,
		0,
	};
	int ret = -EINVAL;
	size_t i;

	/* Older kernels reject unknown setup flags with -EINVAL. */
	for (i = 0; i < ARRAY_SIZE(flag_sets); i++) {
		ret = io_uring_queue_init(entries, ring, flag_sets[i]);
		if (ret != -EINVAL)
			break;
	}
	return ret;
}

/*
 * Usable when a ring can be created (kernel.io_uring_disabled, seccomp
 * and container policies give -EPERM or -ENOSYS) and every opcode the data
 * path uses is known to the kernel.
 */
static int bs_uring_probe(void)
{
	struct io_uring_probe *probe;
	struct io_uring ring;
	int ret;
	size_t i;

	if (bs_engine_disabled_by_env("io_uring"))
		return -ENODEV;
	ret = bs_uring_init_ring(&ring, 4);
	if (ret)
		return ret;
	probe = io_uring_get_probe_ring(&ring);
	if (!probe) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(bs_uring_needed_ops); i++)
		if (!io_uring_opcode_supported(probe, bs_uring_needed_ops[i]))
			ret = -EOPNOTSUPP;
	io_uring_free_probe(probe);
out:
	io_uring_queue_exit(&ring);
	return ret;
}

static void bs_uring_ctx_destroy(struct srptd_backend_ctx *ctx)
{
	unsigned int i;

	if (ctx->ring.ring_fd >= 0)
		io_uring_queue_exit(&ctx->ring);
	if (ctx->slots)
		for (i = 0; i < ctx->head.depth; i++)
			free(ctx->slots[i].tail);
	free(ctx->slots);
	free(ctx->fixed);
	bs_ctx_head_fini(&ctx->head);
	free(ctx);
}

static int bs_uring_ctx_create(unsigned int depth,
			       struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *ctx;
	unsigned int i;
	int ret;

	if (!depth)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->ring.ring_fd = -1;
	ret = bs_ctx_head_init(&ctx->head, depth);
	if (ret)
		goto err;
	ctx->slots = calloc(depth, sizeof(*ctx->slots));
	if (!ctx->slots) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < depth; i++)
		ctx->slots[i].next_free = i + 1;
	ctx->free_head = 0;
	/* At most depth SQEs are ever outstanding: one per slot. */
	ret = bs_uring_init_ring(&ctx->ring, depth);
	if (ret) {
		ctx->ring.ring_fd = -1;
		goto err;
	}
	ret = io_uring_register_eventfd(&ctx->ring, ctx->head.efd);
	if (ret)
		goto err;
	*out = ctx;
	return 0;
err:
	bs_uring_ctx_destroy(ctx);
	return ret;
}

static struct bs_uring_slot *bs_uring_slot_get(struct srptd_backend_ctx *ctx)
{
	struct bs_uring_slot *s = &ctx->slots[ctx->free_head];

	ctx->free_head = s->next_free;
	return s;
}

static void bs_uring_slot_put(struct srptd_backend_ctx *ctx,
			      struct bs_uring_slot *s)
{
	s->io = NULL;
	s->next_free = ctx->free_head;
	ctx->free_head = (unsigned int)(s - ctx->slots);
}

/* Index of the registered buffer holding [base, base+len), or -1. */
static int bs_uring_fixed_index(struct srptd_backend_ctx *ctx,
				const struct iovec *iov)
{
	uintptr_t b = (uintptr_t)iov->iov_base;
	unsigned int i;

	for (i = 0; i < ctx->nfixed; i++) {
		uintptr_t fb = (uintptr_t)ctx->fixed[i].iov_base;

		if (b >= fb && b + iov->iov_len <= fb + ctx->fixed[i].iov_len)
			return (int)i;
	}
	return -1;
}

static bool bs_uring_fua(const struct srptd_io *io)
{
	return (io->flags & SRPTD_IO_F_FUA) || !io->bdev->write_cache;
}

/* Fill one SQE for the slot's current step; -EAGAIN if the SQ is full. */
static int bs_uring_prep(struct srptd_backend_ctx *ctx, struct bs_uring_slot *s)
{
	struct srptd_io *io = s->io;
	int fd = io->bdev->fd;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ctx->ring);
	uint64_t off = io->offset + s->done;
	const struct iovec *iov = io->iov;
	unsigned int n = io->iovcnt;
	int idx;

	if (!sqe)
		return -EAGAIN;
	if (s->phase == BS_URING_FLUSH) {
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		goto out;
	}
	switch (io->op) {
	case SRPTD_IO_READ:
	case SRPTD_IO_WRITE:
		if (s->done) {
			iov = s->tail;
			n = bs_iov_tail(io->iov, io->iovcnt, s->done, s->tail);
		}
		idx = n == 1 ? bs_uring_fixed_index(ctx, iov) : -1;
		if (io->op == SRPTD_IO_READ && idx >= 0)
			io_uring_prep_read_fixed(sqe, fd, iov->iov_base,
						 (unsigned int)iov->iov_len,
						 off, idx);
		else if (io->op == SRPTD_IO_READ)
			io_uring_prep_readv(sqe, fd, iov, n, off);
		else if (idx >= 0)
			io_uring_prep_write_fixed(sqe, fd, iov->iov_base,
						  (unsigned int)iov->iov_len,
						  off, idx);
		else
			io_uring_prep_writev(sqe, fd, iov, n, off);
		if (io->op == SRPTD_IO_WRITE && bs_uring_fua(io))
			sqe->rw_flags = RWF_DSYNC;
		break;
	case SRPTD_IO_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case SRPTD_IO_DISCARD:
		io_uring_prep_fallocate(
			sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			off, io->length);
		break;
	case SRPTD_IO_WRITE_ZEROES:
		io_uring_prep_fallocate(
			sqe, fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			off, io->length);
		break;
	case SRPTD_IO_COMPARE_WRITE:
		/* Never here: bs_check_io() refuses it (no can_compare_write). */
		io_uring_prep_nop(sqe);
		break;
	}
out:
	io_uring_sqe_set_data(sqe, s);
	return 0;
}

/*
 * Hand prepared SQEs to the kernel.  A transient failure (-EBUSY while the
 * CQ is overflowing, -EAGAIN, -EINTR) leaves them in the SQ; ctx_poll()
 * tries again, and the eventfd is kicked so that it runs.
 */
static void bs_uring_flush_sq(struct srptd_backend_ctx *ctx)
{
	int ret = io_uring_submit(&ctx->ring);

	ctx->need_submit = false;
	if (ret >= 0)
		return;
	if (ret == -EEXIST)
		/* IORING_SETUP_SINGLE_ISSUER: a caller broke the contract. */
		pr_err_ratelimited(
			"io_uring context used by a thread other than its creator");
	else if (ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
		pr_err_ratelimited("io_uring_submit: %s", strerror(-ret));
	ctx->need_submit = true;
	bs_eventfd_kick(ctx->head.efd);
}

static int bs_uring_submit(struct srptd_backend_ctx *ctx, struct srptd_io *io)
{
	struct bs_uring_slot *s;
	int ret = bs_check_io(io->bdev, io);

	if (ret)
		return ret;
	if (ctx->head.inflight >= ctx->head.depth)
		return -EAGAIN;
	/*
	 * A buffered write to a regular file goes to an io-wq thread on
	 * kernels whose filesystem cannot write without blocking (tmpfs on
	 * Linux 6.1): a thread hand-off and two context switches per write
	 * (doc/performance.md "4K random writes: the backend").  On tmpfs
	 * and ramfs the write is a memory copy: done here instead.
	 */
	if ((io->bdev->is_blockdev &&
	     (io->op == SRPTD_IO_DISCARD || io->op == SRPTD_IO_WRITE_ZEROES)) ||
	    (io->op == SRPTD_IO_WRITE && io->bdev->mem_backed) ||
	    bs_io_misaligned(io->bdev, io)) {
		bs_ctx_push_done(&ctx->head, io, bs_sync_exec(io->bdev, io));
		return 0;
	}
	s = bs_uring_slot_get(ctx);
	s->io = io;
	s->done = 0;
	s->phase = BS_URING_MAIN;
	ret = bs_uring_prep(ctx, s);
	if (ret) {
		bs_uring_slot_put(ctx, s);
		return ret;
	}
	ctx->head.inflight++;
	/*
	 * Submissions from completion callbacks are batched into one
	 * io_uring_enter() at the end of ctx_poll().
	 */
	if (ctx->in_poll || ctx->plugged)
		ctx->need_submit = true;
	else
		bs_uring_flush_sq(ctx);
	return 0;
}

static void bs_uring_ctx_plug(struct srptd_backend_ctx *ctx, bool plugged)
{
	ctx->plugged = plugged;
	if (!plugged && !ctx->in_poll && ctx->need_submit)
		bs_uring_flush_sq(ctx);
}

/*
 * Continue the slot after a CQE.  Returns true if more work was queued
 * (short transfer remainder, flush phase), else false with *res final.
 */
static bool bs_uring_step(struct srptd_backend_ctx *ctx,
			  struct bs_uring_slot *s, int *res)
{
	struct srptd_io *io = s->io;

	if (s->phase == BS_URING_MAIN &&
	    (io->op == SRPTD_IO_READ || io->op == SRPTD_IO_WRITE) &&
	    *res >= 0) {
		if (*res == 0) {
			/* EOF: the file shrank under us; never report a hole. */
			*res = -EIO;
			return false;
		}
		s->done += (uint64_t)*res;
		if (s->done >= io->length) {
			*res = 0;
			return false;
		}
		if (bs_iov_tail_reserve(&s->tail, &s->tail_cap, io->iovcnt)) {
			*res = -ENOMEM;
			return false;
		}
		goto requeue;
	}
	if (s->phase == BS_URING_MAIN && io->op == SRPTD_IO_WRITE_ZEROES) {
		if (*res == -EOPNOTSUPP || *res == -EINVAL) {
			/* No ZERO_RANGE on this filesystem: write zeroes. */
			*res = bs_sync_exec(io->bdev, io);
			return false;
		}
		if (*res == 0 && bs_uring_fua(io)) {
			s->phase = BS_URING_FLUSH;
			goto requeue;
		}
	}
	if (*res > 0)
		*res = 0;
	return false;
requeue:
	if (bs_uring_prep(ctx, s)) {
		*res = -EIO; /* cannot happen: one SQE per slot */
		return false;
	}
	return true;
}

static int bs_uring_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	struct io_uring_cqe *cqe;
	struct srptd_io *io;
	bool requeued = false;
	int res, n;

	bs_eventfd_clear(ctx->head.efd);
	if (ctx->need_submit && !ctx->plugged)
		bs_uring_flush_sq(ctx);
	ctx->in_poll = true;
	n = bs_ctx_run_done(&ctx->head, max, NULL);
	while ((unsigned int)n < max && !io_uring_peek_cqe(&ctx->ring, &cqe)) {
		struct bs_uring_slot *s = io_uring_cqe_get_data(cqe);

		res = cqe->res;
		io_uring_cqe_seen(&ctx->ring, cqe);
		if (bs_uring_step(ctx, s, &res)) {
			requeued = true;
			continue;
		}
		io = s->io;
		bs_uring_slot_put(ctx, s);
		ctx->head.inflight--;
		n++;
		io->complete(io, res);
	}
	ctx->in_poll = false;
	if (requeued)
		ctx->need_submit = true;
	if (ctx->need_submit && !ctx->plugged)
		bs_uring_flush_sq(ctx);
	if (ctx->head.done.count || io_uring_cq_ready(&ctx->ring))
		bs_eventfd_kick(ctx->head.efd);
	return n;
}

static int bs_uring_register_buffers(struct srptd_backend_ctx *ctx,
				     const struct iovec *iov, unsigned int n)
{
	struct iovec *copy;
	int ret;

	if (ctx->nfixed) {
		io_uring_unregister_buffers(&ctx->ring);
		free(ctx->fixed);
		ctx->fixed = NULL;
		ctx->nfixed = 0;
	}
	if (!n)
		return 0;
	copy = malloc(n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, iov, n * sizeof(*copy));
	ret = io_uring_register_buffers(&ctx->ring, copy, n);
	if (ret) {
		free(copy);
		return ret;
	}
	ctx->fixed = copy;
	ctx->nfixed = n;
	return 0;
}

const struct srptd_backend_ops bs_uring_ops = {
	.name = "io_uring",
	.probe = bs_uring_probe,
	.open = bs_common_open,
	.close = bs_common_close,
	.ctx_create = bs_uring_ctx_create,
	.ctx_destroy = bs_uring_ctx_destroy,
	.ctx_event_fd = bs_ctx_event_fd,
	.ctx_poll = bs_uring_ctx_poll,
	.submit = bs_uring_submit,
	.ctx_plug = bs_uring_ctx_plug, /* one io_uring_enter per wake-up */
	.resize = bs_common_resize,
	.register_buffers = bs_uring_register_buffers,
};
