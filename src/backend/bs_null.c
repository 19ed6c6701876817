/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * null engine: no storage.  Reads return zeroes, writes are dropped, every
 * command succeeds.  Used for fabric benchmarks and as a scratch LUN (like
 * tgt's bs_null and SPDK's null bdev).  Completions still go through the
 * context's eventfd and ctx_poll() so callers see the same asynchronous
 * behaviour as with real engines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

struct srptd_backend_ctx {
	struct bs_ctx_head head; /* all the state: eventfd and done queue */
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

static int bs_null_probe(void)
{
	return bs_engine_disabled_by_env("null") ? -ENODEV : 0;
}

static int bs_null_open(struct srptd_bdev *bdev,
			const struct srptd_bdev_params *p)
{
	const char *name = p->name ? p->name : "?";
	uint32_t bs = p->block_size ? p->block_size : 512;

	memset(bdev, 0, sizeof(*bdev));
	bdev->fd = -1;
	if (bs != 512 && bs != 4096) {
		dev_log(LOG_ERR, name,
			"block size %u unsupported (512 or 4096)", bs);
		return -EINVAL;
	}
	if (!p->size || p->size % bs) {
		dev_log(LOG_ERR, name,
			"null device needs a size that is a non-zero multiple of %u",
			bs);
		return -EINVAL;
	}
	bdev->name = strdup(name);
	if (!bdev->name)
		return -ENOMEM;
	bdev->path = NULL;
	bdev->size = p->size;
	bdev->block_size = bs;
	bdev->phys_block_size = bs;
	bdev->read_only = p->read_only;
	bdev->write_cache = p->write_cache;
	bdev->can_discard = !p->read_only;
	bdev->discard_zeroes = true; /* every read returns zeroes */
	bdev->discard_granularity = bs;
	return 0;
}

static void bs_null_close(struct srptd_bdev *bdev)
{
	free(bdev->name);
	bdev->name = NULL;
}

static int bs_null_resize(struct srptd_bdev *bdev, uint64_t new_size)
{
	if (!new_size || new_size % bdev->block_size)
		return -EINVAL;
	bdev->size = new_size;
	return 0;
}

static int bs_null_ctx_create(unsigned int depth,
			      struct srptd_backend_ctx **out)
{
	return bs_ctx_alloc(sizeof(**out), depth, out);
}

static int bs_null_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	return bs_ctx_poll_done(&ctx->head, max, NULL);
}

/*
 * A READ's data, zeroed whole: iov[0..n).  A single entry, the usual
 * case, is one memset from bs_null_submit(); the loop over several is
 * out of line.  With the loop in bs_null_submit(), every command saved
 * and restored three registers around it (doc/performance.md "Host
 * loopback guard"); now nothing is live across the zeroing.
 */
static __attribute__((noinline)) void bs_null_zero_iov(const struct iovec *iov,
						       unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
}

static inline void bs_null_zero(const struct iovec *iov, unsigned int n)
{
	if (n == 1)
		memset(iov->iov_base, 0, iov->iov_len);
	else
		bs_null_zero_iov(iov, n);
}

/*
 * The first completion of a batch was queued: kick the eventfd (one kick
 * per batch: ctx_poll() re-arms if it leaves entries), then zero as
 * bs_null_submit() does.
 */
static __attribute__((noinline)) int bs_null_kick(struct srptd_backend_ctx *ctx,
						  struct srptd_io *io)
{
	bs_eventfd_kick(ctx->head.efd);
	if (io->op == SRPTD_IO_READ)
		bs_null_zero(io->iov, io->iovcnt);
	return 0;
}

static int bs_null_submit(struct srptd_backend_ctx *ctx, struct srptd_io *io)
{
	int ret = bs_check_io(io->bdev, io);

	if (ret)
		return ret;
	if (ctx->head.inflight >= ctx->head.depth)
		return -EAGAIN;
	/*
	 * Queued before the data is zeroed: the completion runs from
	 * ctx_poll() only, never inside submit (include/srptd/backend.h),
	 * so the data is all zeroes before anyone is told it was read.
	 */
	ctx->head.inflight++;
	bs_doneq_push(&ctx->head.done, io, 0);
	if (ctx->head.done.count == 1)
		return bs_null_kick(ctx, io);
	if (io->op == SRPTD_IO_READ)
		bs_null_zero(io->iov, io->iovcnt);
	return 0;
}

const struct srptd_backend_ops bs_null_ops = {
	.name = "null",
	.probe = bs_null_probe,
	.open = bs_null_open,
	.close = bs_null_close,
	.ctx_create = bs_null_ctx_create,
	.ctx_destroy = bs_ctx_free,
	.ctx_event_fd = bs_ctx_event_fd,
	.ctx_poll = bs_null_ctx_poll,
	.submit = bs_null_submit,
	.resize = bs_null_resize,
};
