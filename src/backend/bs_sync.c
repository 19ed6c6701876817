/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * sync engine: blocking preadv/pwritev/fdatasync/fallocate on a small
 * thread pool per context (the model is tgt's bs_rdwr on bs_thread).  It
 * works on every kernel and filesystem, so it ends every fallback chain.
 *
 * Threading: the owning worker pushes requests onto a queue; pool threads
 * run them and push (io, result) onto a completion queue, then kick the
 * context eventfd.  Callbacks run only on the owner, in ctx_poll().  The
 * two queues are the only state shared with the pool, hence the mutex:
 * it is private to one context and held for a few instructions.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "util.h"
#include "bs_internal.h"

#define BS_SYNC_MIN_THREADS 2
#define BS_SYNC_MAX_THREADS 4

struct srptd_backend_ctx {
	/* head.inflight: owner only; head.done: pushed by pool threads. */
	struct bs_ctx_head head;

	pthread_mutex_t lock; /* guards head.done and everything below */
	pthread_cond_t cond; /* requests queued or stop */
	struct srptd_io **req; /* ring of depth requests */
	unsigned int req_head, req_count;
	bool stop;

	unsigned int nthreads;
	pthread_t threads[BS_SYNC_MAX_THREADS];
};
BS_CTX_HEAD_FIRST(struct srptd_backend_ctx);

static int bs_sync_probe(void)
{
	return bs_engine_disabled_by_env("sync") ? -ENODEV : 0;
}

static void *bs_sync_thread(void *arg)
{
	struct srptd_backend_ctx *ctx = arg;

	pthread_mutex_lock(&ctx->lock);
	for (;;) {
		struct srptd_io *io;
		bool kick;
		int res;

		while (!ctx->req_count && !ctx->stop)
			pthread_cond_wait(&ctx->cond, &ctx->lock);
		if (!ctx->req_count)
			break; /* stop, and nothing left to do */
		io = ctx->req[ctx->req_head];
		ctx->req_head = (ctx->req_head + 1) % ctx->head.depth;
		ctx->req_count--;
		pthread_mutex_unlock(&ctx->lock);

		res = bs_sync_exec(io->bdev, io);

		pthread_mutex_lock(&ctx->lock);
		bs_doneq_push(&ctx->head.done, io, res);
		/* One kick per batch: ctx_poll() re-arms if it leaves some. */
		kick = ctx->head.done.count == 1;
		pthread_mutex_unlock(&ctx->lock);
		if (kick)
			bs_eventfd_kick(ctx->head.efd);
		pthread_mutex_lock(&ctx->lock);
	}
	pthread_mutex_unlock(&ctx->lock);
	return NULL;
}

static void bs_sync_stop_threads(struct srptd_backend_ctx *ctx)
{
	unsigned int i;

	pthread_mutex_lock(&ctx->lock);
	ctx->stop = true;
	pthread_cond_broadcast(&ctx->cond);
	pthread_mutex_unlock(&ctx->lock);
	for (i = 0; i < ctx->nthreads; i++)
		pthread_join(ctx->threads[i], NULL);
	ctx->nthreads = 0;
}

static void bs_sync_ctx_destroy(struct srptd_backend_ctx *ctx)
{
	bs_sync_stop_threads(ctx);
	bs_ctx_head_fini(&ctx->head);
	pthread_cond_destroy(&ctx->cond);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx->req);
	free(ctx);
}

static int bs_sync_ctx_create(unsigned int depth,
			      struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *ctx;
	sigset_t all, old;
	unsigned int want, i;
	int ret;

	if (!depth)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->cond, NULL);
	ret = bs_ctx_head_init(&ctx->head, depth);
	if (ret)
		goto err;
	ctx->req = calloc(depth, sizeof(*ctx->req));
	if (!ctx->req) {
		ret = -ENOMEM;
		goto err;
	}
	want = MIN(MAX(depth, BS_SYNC_MIN_THREADS), BS_SYNC_MAX_THREADS);
	/* Signals belong to the daemon's main loop, not to pool threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < want; i++) {
		ret = -pthread_create(&ctx->threads[i], NULL, bs_sync_thread,
				      ctx);
		if (ret)
			break;
		ctx->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err;
	*out = ctx;
	return 0;
err:
	bs_sync_ctx_destroy(ctx);
	return ret;
}

static int bs_sync_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	return bs_ctx_poll_done(&ctx->head, max, &ctx->lock);
}

static int bs_sync_submit(struct srptd_backend_ctx *ctx, struct srptd_io *io)
{
	int ret = bs_check_io(io->bdev, io);

	if (ret)
		return ret;
	if (ctx->head.inflight >= ctx->head.depth)
		return -EAGAIN;
	ctx->head.inflight++;
	pthread_mutex_lock(&ctx->lock);
	ctx->req[(ctx->req_head + ctx->req_count) % ctx->head.depth] = io;
	ctx->req_count++;
	pthread_cond_signal(&ctx->cond);
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

const struct srptd_backend_ops bs_sync_ops = {
	.name = "sync",
	.probe = bs_sync_probe,
	.open = bs_common_open,
	.close = bs_common_close,
	.ctx_create = bs_sync_ctx_create,
	.ctx_destroy = bs_sync_ctx_destroy,
	.ctx_event_fd = bs_ctx_event_fd,
	.ctx_poll = bs_sync_ctx_poll,
	.submit = bs_sync_submit,
	.resize = bs_common_resize,
};
