/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Linux native AIO engine (libaio), for kernels or policies without
 * io_uring.  One aio context (io_setup(depth)) per worker; every iocb
 * carries the context eventfd (io_set_eventfd) so the worker's epoll sees
 * completions, which are reaped with a zero-timeout io_getevents().
 *
 * READ/WRITE are preadv/pwritev iocbs; FUA is RWF_DSYNC in aio_rw_flags
 * (kernel 4.13+), else the write is followed by an fdatasync.  FLUSH is an
 * IOCB_CMD_FDSYNC iocb (kernel 4.18+), else a blocking fdatasync.
 *
 * DISCARD and WRITE_ZEROES have no aio command: they run synchronously in
 * submit() (fallocate or BLKDISCARD/BLKZEROOUT, normally fast metadata
 * operations) and their completion is queued and delivered from ctx_poll()
 * like any other.  This keeps the engine free of threads; a worker stalls
 * for the duration of such a call, which is acceptable for UNMAP/WRITE
 * SAME, and the io_uring engine is the one to use where it matters.
 */
#include <errno.h>
#include <libaio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

enum bs_aio_phase {
	BS_AIO_MAIN,
	BS_AIO_FLUSH, /* fdatasync after a FUA write without RWF_DSYNC */
};

struct bs_aio_slot {
	struct iocb iocb;
	struct srptd_io *io;
	uint64_t done; /* bytes transferred so far */
	struct iovec *tail; /* remainder, allocated on first short I/O */
	unsigned int tail_cap;
	enum bs_aio_phase phase;
	unsigned int next_free;
};

struct srptd_backend_ctx {
	struct bs_ctx_head head; /* done: synchronously executed I/Os */
	io_context_t aio;
	bool no_rw_flags; /* kernel refused aio_rw_flags (RWF_DSYNC) */
	bool no_fdsync; /* kernel refused IOCB_CMD_FDSYNC */
	struct bs_aio_slot *slots;
	unsigned int free_head;
	struct io_event *events;
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

static int bs_aio_probe(void)
{
	/*
	 * 1: not probed yet.  io_destroy() waits for an RCU grace period
	 * (tens of ms), so one probe per process is enough.
	 */
	static int cached = 1;
	io_context_t aio = 0;
	int ret;

	if (bs_engine_disabled_by_env("aio"))
		return -ENODEV;
	ret = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (ret != 1)
		return ret;
	/* -EAGAIN: fs.aio-max-nr exhausted; -ENOSYS: no AIO in the kernel. */
	ret = io_setup(1, &aio);
	if (!ret)
		io_destroy(aio);
	/* A full aio-max-nr may drain later: only remember success and ENOSYS. */
	if (!ret || ret == -ENOSYS)
		__atomic_store_n(&cached, ret, __ATOMIC_RELAXED);
	return ret;
}

static void bs_aio_ctx_destroy(struct srptd_backend_ctx *ctx)
{
	unsigned int i;

	if (ctx->aio)
		io_destroy(ctx->aio);
	if (ctx->slots)
		for (i = 0; i < ctx->head.depth; i++)
			free(ctx->slots[i].tail);
	free(ctx->slots);
	free(ctx->events);
	bs_ctx_head_fini(&ctx->head);
	free(ctx);
}

static int bs_aio_ctx_create(unsigned int depth, struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *ctx;
	unsigned int i;
	int ret;

	if (!depth)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ret = bs_ctx_head_init(&ctx->head, depth);
	if (ret)
		goto err;
	ctx->slots = calloc(depth, sizeof(*ctx->slots));
	ctx->events = calloc(depth, sizeof(*ctx->events));
	if (!ctx->slots || !ctx->events) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < depth; i++)
		ctx->slots[i].next_free = i + 1;
	ret = io_setup((int)depth, &ctx->aio);
	if (ret) {
		ctx->aio = 0;
		goto err;
	}
	*out = ctx;
	return 0;
err:
	bs_aio_ctx_destroy(ctx);
	return ret;
}

static bool bs_aio_fua(const struct srptd_io *io)
{
	return (io->flags & SRPTD_IO_F_FUA) || !io->bdev->write_cache;
}

/*
 * Prepare and submit the slot's current step.  Learns once per context
 * which optional kernel features are missing and retries without them.
 */
static int bs_aio_issue(struct srptd_backend_ctx *ctx, struct bs_aio_slot *s)
{
	struct srptd_io *io = s->io;
	struct iocb *cb = &s->iocb;
	int fd = io->bdev->fd;
	int ret;

	for (;;) {
		const struct iovec *iov = io->iov;
		unsigned int n = io->iovcnt;
		bool rwf = false;

		if (s->phase == BS_AIO_FLUSH || io->op == SRPTD_IO_FLUSH) {
			io_prep_fdsync(cb, fd);
		} else {
			if (s->done) {
				n = bs_iov_tail(io->iov, io->iovcnt, s->done,
						s->tail);
				iov = s->tail;
			}
			if (io->op == SRPTD_IO_READ) {
				io_prep_preadv(
					cb, fd, iov, (int)n,
					(long long)(io->offset + s->done));
			} else {
				io_prep_pwritev(
					cb, fd, iov, (int)n,
					(long long)(io->offset + s->done));
				rwf = bs_aio_fua(io) && !ctx->no_rw_flags;
				if (rwf)
					cb->aio_rw_flags = RWF_DSYNC;
			}
		}
		io_set_eventfd(cb, ctx->head.efd);
		cb->data = s;
		ret = io_submit(ctx->aio, 1, &cb);
		if (ret == 1)
			return 0;
		if (ret == -EINVAL && rwf) {
			ctx->no_rw_flags = true;
			continue;
		}
		if (ret == -EINVAL && cb->aio_lio_opcode == IO_CMD_FDSYNC &&
		    !ctx->no_fdsync) {
			ctx->no_fdsync = true;
			return -EOPNOTSUPP; /* caller falls back to fdatasync */
		}
		return ret < 0 ? ret : -EAGAIN;
	}
}

static int bs_aio_submit(struct srptd_backend_ctx *ctx, struct srptd_io *io)
{
	struct bs_aio_slot *s;
	int ret = bs_check_io(io->bdev, io);

	if (ret)
		return ret;
	if (ctx->head.inflight >= ctx->head.depth)
		return -EAGAIN;
	if (io->op == SRPTD_IO_DISCARD || io->op == SRPTD_IO_WRITE_ZEROES ||
	    (io->op == SRPTD_IO_FLUSH && ctx->no_fdsync) ||
	    bs_io_misaligned(io->bdev, io)) {
		bs_ctx_push_done(&ctx->head, io, bs_sync_exec(io->bdev, io));
		return 0;
	}
	s = &ctx->slots[ctx->free_head];
	s->io = io;
	s->done = 0;
	s->phase = BS_AIO_MAIN;
	ret = bs_aio_issue(ctx, s);
	if (ret == -EOPNOTSUPP && io->op == SRPTD_IO_FLUSH) {
		bs_ctx_push_done(&ctx->head, io, bs_sync_flush(io->bdev));
		return 0;
	}
	if (ret)
		return ret; /* slot stays free */
	ctx->free_head = s->next_free;
	ctx->head.inflight++;
	return 0;
}

static void bs_aio_slot_put(struct srptd_backend_ctx *ctx,
			    struct bs_aio_slot *s)
{
	s->io = NULL;
	s->next_free = ctx->free_head;
	ctx->free_head = (unsigned int)(s - ctx->slots);
}

/* Like bs_uring_step(): true if the slot was resubmitted. */
static bool bs_aio_step(struct srptd_backend_ctx *ctx, struct bs_aio_slot *s,
			long *res)
{
	struct srptd_io *io = s->io;
	int ret;

	if (s->phase == BS_AIO_MAIN &&
	    (io->op == SRPTD_IO_READ || io->op == SRPTD_IO_WRITE) &&
	    *res >= 0) {
		if (*res == 0) {
			*res = -EIO; /* EOF: the file shrank under us */
			return false;
		}
		s->done += (uint64_t)*res;
		*res = 0;
		if (s->done < io->length) {
			if (bs_iov_tail_reserve(&s->tail, &s->tail_cap,
						io->iovcnt)) {
				*res = -ENOMEM;
				return false;
			}
			goto reissue;
		}
		if (io->op == SRPTD_IO_WRITE && bs_aio_fua(io) &&
		    ctx->no_rw_flags) {
			s->phase = BS_AIO_FLUSH;
			goto reissue;
		}
		return false;
	}
	if (*res > 0)
		*res = 0;
	return false;
reissue:
	ret = bs_aio_issue(ctx, s);
	if (ret == -EOPNOTSUPP && s->phase == BS_AIO_FLUSH) {
		*res = bs_sync_flush(io->bdev);
		return false;
	}
	if (ret) {
		/* -EAGAIN here is not "retry later": the I/O is half done. */
		*res = ret == -EAGAIN ? -EIO : ret;
		return false;
	}
	return true;
}

static int bs_aio_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	struct timespec zero = { 0, 0 };
	struct srptd_io *io;
	int got, i, n;
	long want;

	bs_eventfd_clear(ctx->head.efd);
	n = bs_ctx_run_done(&ctx->head, max, NULL);
	want = (long)MIN(max - (unsigned int)n, ctx->head.depth);
	if (!want) {
		/* Maybe more: come back. */
		if (ctx->head.done.count || ctx->head.inflight)
			bs_eventfd_kick(ctx->head.efd);
		return n;
	}
	got = io_getevents(ctx->aio, 0, want, ctx->events, &zero);
	if (got < 0) {
		pr_err_ratelimited("io_getevents: %s", strerror(-got));
		got = 0;
	}
	for (i = 0; i < got; i++) {
		struct bs_aio_slot *s = ctx->events[i].data;
		long r = (long)ctx->events[i].res;

		if (bs_aio_step(ctx, s, &r))
			continue;
		io = s->io;
		bs_aio_slot_put(ctx, s);
		ctx->head.inflight--;
		n++;
		io->complete(io, (int)r);
	}
	/* A full batch may have left events behind: look again soon. */
	if (got == want || ctx->head.done.count)
		bs_eventfd_kick(ctx->head.efd);
	return n;
}

const struct srptd_backend_ops bs_aio_ops = {
	.name = "aio",
	.probe = bs_aio_probe,
	.open = bs_common_open,
	.close = bs_common_close,
	.ctx_create = bs_aio_ctx_create,
	.ctx_destroy = bs_aio_ctx_destroy,
	.ctx_event_fd = bs_ctx_event_fd,
	.ctx_poll = bs_aio_ctx_poll,
	.submit = bs_aio_submit,
	.resize = bs_common_resize,
};
