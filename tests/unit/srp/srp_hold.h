/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The "hold" backend of the SRP loopback tests (test_srp_robust.c,
 * test_srp_race.c, test_srp_chloss.c): I/Os submitted while hold.on is
 * set stay in the backend until hold_release(), as on a loaded host, so
 * a test can catch a command while the backend owns it.  Header-only, like srp_env.h.
 */
#ifndef SRPTD_TEST_SRP_HOLD_H
#define SRPTD_TEST_SRP_HOLD_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "srptd/backend.h"
#include "util.h"

/*
 * I/Os submitted while hold.on is set wait until hold_release(); others
 * complete at the next poll.  Writes land in a RAM disk when they
 * complete, so a test can see which data reached the medium and when.
 */
#define HOLD_MAX 1024

struct srptd_backend_ctx {
	int efd;
	unsigned int depth;
	struct srptd_io *q[HOLD_MAX]; /* accepted, not completed */
	bool held[HOLD_MAX];
	unsigned int n;
};

static struct {
	bool on; /* hold what is submitted now */
	unsigned int submitted; /* READ/WRITE submissions */
	unsigned int completed;
	unsigned int held; /* waiting for hold_release() */
	uint8_t *disk;
	struct srptd_backend_ctx *ctx[4]; /* one per worker */
} hold;

static inline void hold_kick(struct srptd_backend_ctx *ctx)
{
	uint64_t one = 1;

	if (write(ctx->efd, &one, sizeof(one)) != sizeof(one))
		fail_msg("eventfd write");
}

static inline int hold_ctx_create(unsigned int depth,
				  struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	ctx->depth = MIN(depth, HOLD_MAX);
	ctx->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctx->efd < 0) {
		free(ctx);
		return -errno;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(hold.ctx); i++)
		if (!hold.ctx[i]) {
			hold.ctx[i] = ctx;
			break;
		}
	*out = ctx;
	return 0;
}

static inline void hold_ctx_destroy(struct srptd_backend_ctx *ctx)
{
	assert_int_equal(ctx->n, 0);
	close(ctx->efd);
	for (unsigned int i = 0; i < ARRAY_SIZE(hold.ctx); i++)
		if (hold.ctx[i] == ctx)
			hold.ctx[i] = NULL;
	free(ctx);
}

static inline int hold_ctx_event_fd(struct srptd_backend_ctx *ctx)
{
	return ctx->efd;
}

static inline void hold_do_io(struct srptd_io *io)
{
	uint64_t off = io->offset;

	for (unsigned int i = 0; i < io->iovcnt && io->op <= SRPTD_IO_WRITE;
	     i++) {
		size_t l =
			MIN(io->iov[i].iov_len, io->offset + io->length - off);

		if (io->op == SRPTD_IO_READ)
			memcpy(io->iov[i].iov_base, hold.disk + off, l);
		else
			memcpy(hold.disk + off, io->iov[i].iov_base, l);
		off += l;
	}
}

static inline int hold_ctx_poll(struct srptd_backend_ctx *ctx, unsigned int max)
{
	uint64_t v;
	int n = 0;

	if (read(ctx->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fail_msg("eventfd read");
	/* Complete in submission order; callbacks may submit more. */
	for (unsigned int i = 0; i < ctx->n && (unsigned int)n < max;) {
		struct srptd_io *io = ctx->q[i];

		if (ctx->held[i]) {
			i++;
			continue;
		}
		memmove(&ctx->q[i], &ctx->q[i + 1],
			(ctx->n - i - 1) * sizeof(ctx->q[0]));
		memmove(&ctx->held[i], &ctx->held[i + 1],
			(ctx->n - i - 1) * sizeof(ctx->held[0]));
		ctx->n--;
		hold_do_io(io);
		hold.completed++;
		n++;
		io->complete(io, 0);
	}
	return n;
}

static inline int hold_submit(struct srptd_backend_ctx *ctx,
			      struct srptd_io *io)
{
	if (ctx->n >= ctx->depth)
		return -EAGAIN;
	ctx->q[ctx->n] = io;
	ctx->held[ctx->n] = hold.on;
	ctx->n++;
	if (io->op == SRPTD_IO_READ || io->op == SRPTD_IO_WRITE)
		hold.submitted++;
	if (hold.on)
		hold.held++;
	else
		hold_kick(ctx);
	return 0;
}

static inline void hold_release(void)
{
	hold.on = false;
	hold.held = 0;
	for (unsigned int k = 0; k < ARRAY_SIZE(hold.ctx); k++) {
		struct srptd_backend_ctx *ctx = hold.ctx[k];

		if (!ctx)
			continue;
		for (unsigned int i = 0; i < ctx->n; i++)
			ctx->held[i] = false;
		hold_kick(ctx);
	}
}

static inline int hold_probe(void)
{
	return 0;
}

static const struct srptd_backend_ops hold_ops = {
	.name = "hold",
	.probe = hold_probe,
	.ctx_create = hold_ctx_create,
	.ctx_destroy = hold_ctx_destroy,
	.ctx_event_fd = hold_ctx_event_fd,
	.ctx_poll = hold_ctx_poll,
	.submit = hold_submit,
};

/* A 512-byte-block device of size bytes served by the hold backend. */
static inline void hold_bdev_init(struct srptd_bdev *bdev, uint64_t size)
{
	bdev->ops = &hold_ops;
	bdev->name = (char *)"hold";
	bdev->fd = -1;
	bdev->size = size;
	bdev->block_size = 512;
	bdev->phys_block_size = 512;
	bdev->write_cache = true;
}

/* srp_ti_run_until() condition: at least *(unsigned int *)arg I/Os held. */
static inline bool hold_held_at_least(void *arg)
{
	return hold.held >= *(unsigned int *)arg;
}

#endif
