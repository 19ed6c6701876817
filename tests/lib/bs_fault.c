/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Backend fault injection (bs_fault.h).  A context wraps one context of
 * the wrapped engine; its event fd is an epoll set of the wrapped
 * context's fd, an eventfd for faults ready to complete and a timerfd for
 * SLOW I/Os, so the worker watches one fd as for any engine.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bs_fault.h"
#include "util.h"

#define BSF_MAX_RULES 8

/*
 * Every accepted I/O gets a record whose shadow is what the wrapped
 * engine sees, so the caller's srptd_io (and its engine_priv) is never
 * handed on: the wrapped engine owns the shadow's.
 */
struct bsf_io {
	struct srptd_io *io; /* the caller's */
	struct srptd_backend_ctx *ctx;
	int kind; /* enum bs_fault_kind, or -1: passed through */
	bool ready; /* held: act at the next poll */
	uint64_t due_ns; /* SLOW: when it goes on */
	struct srptd_io shadow;
	struct bsf_io *next; /* on ctx->held */
	struct iovec iov[]; /* SHORT: the shadow's shortened iov */
};

struct srptd_backend_ctx {
	struct srptd_backend_ctx *inner;
	int epfd, efd, tfd;
	struct bsf_io *held; /* failed, SLOW and STUCK I/Os, oldest first */
	struct srptd_backend_ctx *next_ctx;
};

static struct {
	const struct srptd_backend_ops *inner;
	struct bs_fault_rule rules[BSF_MAX_RULES];
	unsigned int hits[BSF_MAX_RULES];
	unsigned int n_rules;
	struct bs_fault_stats stats;
	struct srptd_backend_ctx *ctxs;
} bsf;

static const struct srptd_backend_ops bs_fault_ops;

static uint64_t bsf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bs_fault_wrap(struct srptd_bdev *bdev)
{
	if (bdev->ops == &bs_fault_ops)
		return 0;
	if (bsf.inner && bsf.inner != bdev->ops)
		return -EBUSY;
	bsf.inner = bdev->ops;
	bdev->ops = &bs_fault_ops;
	return 0;
}

int bs_fault_add(const struct bs_fault_rule *r)
{
	if (bsf.n_rules == BSF_MAX_RULES)
		return -ENOSPC;
	bsf.hits[bsf.n_rules] = 0;
	bsf.rules[bsf.n_rules++] = *r;
	return 0;
}

void bs_fault_reset(void)
{
	bsf.n_rules = 0;
	memset(&bsf.stats, 0, sizeof(bsf.stats));
	if (!bsf.ctxs)
		bsf.inner = NULL;
}

void bs_fault_get_stats(struct bs_fault_stats *s)
{
	*s = bsf.stats;
}

static void bsf_kick(struct srptd_backend_ctx *c)
{
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0)
		return; /* the counter is full: readable anyway */
}

unsigned int bs_fault_release(void)
{
	unsigned int n = 0;

	for (struct srptd_backend_ctx *c = bsf.ctxs; c; c = c->next_ctx) {
		unsigned int k = 0;

		for (struct bsf_io *h = c->held; h; h = h->next)
			if (h->kind == BS_FAULT_STUCK && !h->ready) {
				h->ready = true;
				k++;
			}
		if (k)
			bsf_kick(c);
		n += k;
	}
	bsf.stats.stuck_now -= n;
	return n;
}

/* The rule io matches (counted as a hit), or -1. */
static int bsf_match(const struct srptd_io *io)
{
	uint64_t end = io->offset + (io->length ? io->length - 1 : 0);

	for (unsigned int i = 0; i < bsf.n_rules; i++) {
		const struct bs_fault_rule *r = &bsf.rules[i];

		if (!(r->ops & BS_FAULT_OP(io->op)))
			continue;
		/* FLUSH has no range: it matches by type alone. */
		if (io->op != SRPTD_IO_FLUSH &&
		    (end < r->first || io->offset > r->last))
			continue;
		if (r->count && bsf.hits[i] >= r->count)
			continue;
		bsf.hits[i]++;
		return (int)i;
	}
	return -1;
}

static int bsf_probe(void)
{
	return bsf.inner ? bsf.inner->probe() : -ENODEV;
}

static int bsf_open(struct srptd_bdev *bdev, const struct srptd_bdev_params *p)
{
	(void)bdev;
	(void)p;
	return -EOPNOTSUPP; /* bs_fault_wrap() an opened device instead */
}

static void bsf_close(struct srptd_bdev *bdev)
{
	bdev->ops = bsf.inner;
	bsf.inner->close(bdev);
}

static int bsf_ctx_create(unsigned int depth, struct srptd_backend_ctx **out)
{
	struct srptd_backend_ctx *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	if (!c)
		return -ENOMEM;
	c->epfd = c->efd = c->tfd = -1;
	ret = bsf.inner->ctx_create(depth, &c->inner);
	if (ret)
		goto err;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->epfd < 0 || c->efd < 0 || c->tfd < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->efd, &ev) ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->tfd, &ev) ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, bsf.inner->ctx_event_fd(c->inner),
		      &ev)) {
		ret = -errno;
		goto err;
	}
	c->next_ctx = bsf.ctxs;
	bsf.ctxs = c;
	*out = c;
	return 0;
err:
	if (c->inner)
		bsf.inner->ctx_destroy(c->inner);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->efd >= 0)
		close(c->efd);
	if (c->tfd >= 0)
		close(c->tfd);
	free(c);
	return ret ? ret : -ENOMEM;
}

static void bsf_ctx_destroy(struct srptd_backend_ctx *c)
{
	struct srptd_backend_ctx **pp;

	for (pp = &bsf.ctxs; *pp; pp = &(*pp)->next_ctx)
		if (*pp == c) {
			*pp = c->next_ctx;
			break;
		}
	bsf.inner->ctx_destroy(c->inner);
	close(c->epfd);
	close(c->efd);
	close(c->tfd);
	free(c);
}

static int bsf_ctx_event_fd(struct srptd_backend_ctx *c)
{
	return c->epfd;
}

/* Finish the caller's I/O with res and drop its record. */
static void bsf_finish(struct bsf_io *h, int res)
{
	struct srptd_io *io = h->io;

	bsf.stats.in_flight--;
	free(h);
	io->complete(io, res);
}

/* The wrapped engine completed a shadow (runs inside its ctx_poll). */
static void bsf_shadow_done(struct srptd_io *shadow, int res)
{
	struct bsf_io *h = shadow->cb_arg;

	/* SHORT: half went through, the rest could not: an error. */
	bsf_finish(h, h->kind == BS_FAULT_SHORT ? -EIO : res);
}

/* SHORT: the shadow covers the first half of the blocks, at least one. */
static bool bsf_shorten(struct bsf_io *h)
{
	const struct srptd_io *io = h->io;
	uint32_t bs = io->bdev->block_size ? io->bdev->block_size : 512;
	uint64_t half = io->length / 2 / bs * bs, left;
	unsigned int k = 0;

	if (!half || (io->op != SRPTD_IO_READ && io->op != SRPTD_IO_WRITE))
		return false;
	h->shadow.length = half;
	if (io->iovcnt) {
		for (left = half; left && k < io->iovcnt; k++) {
			h->iov[k] = io->iov[k];
			h->iov[k].iov_len = MIN(io->iov[k].iov_len, left);
			left -= h->iov[k].iov_len;
		}
		h->shadow.iov = h->iov;
		h->shadow.iovcnt = k;
	}
	return true;
}

static void bsf_arm(struct srptd_backend_ctx *c)
{
	struct itimerspec its = { 0 };
	uint64_t first = 0, now = bsf_now_ns();

	for (struct bsf_io *h = c->held; h; h = h->next)
		if (h->kind == BS_FAULT_SLOW && !h->ready &&
		    (!first || h->due_ns < first))
			first = h->due_ns;
	if (!first)
		return;
	first = first > now ? first - now : 1;
	its.it_value.tv_sec = (time_t)(first / 1000000000ull);
	its.it_value.tv_nsec = (long)(first % 1000000000ull);
	timerfd_settime(c->tfd, 0, &its, NULL);
}

static int bsf_submit(struct srptd_backend_ctx *c, struct srptd_io *io)
{
	int rule = bsf_match(io);
	struct bsf_io *h;
	int ret;

	h = calloc(1, sizeof(*h) + io->iovcnt * sizeof(struct iovec));
	if (!h)
		return -ENOMEM;
	h->io = io;
	h->ctx = c;
	h->kind = rule < 0 ? -1 : (int)bsf.rules[rule].kind;
	h->shadow = *io;
	memset(h->shadow.engine_priv, 0, sizeof(h->shadow.engine_priv));
	h->shadow.complete = bsf_shadow_done;
	h->shadow.cb_arg = h;
	if (h->kind == BS_FAULT_SHORT && !bsf_shorten(h))
		h->kind = BS_FAULT_EIO; /* nothing whole to transfer */

	switch (h->kind) {
	case -1:
	case BS_FAULT_SHORT:
		ret = bsf.inner->submit(c->inner, &h->shadow);
		if (ret) {
			free(h);
			return ret;
		}
		break;
	case BS_FAULT_EIO:
	case BS_FAULT_ENOSPC:
		h->ready = true;
		bsf_kick(c);
		break;
	case BS_FAULT_SLOW:
		h->due_ns =
			bsf_now_ns() + bsf.rules[rule].delay_ms * 1000000ull;
		break;
	case BS_FAULT_STUCK:
		bsf.stats.stuck_now++;
		break;
	}
	if (h->kind >= 0)
		bsf.stats.injected[h->kind]++;
	if (h->kind >= 0 && h->kind != BS_FAULT_SHORT) {
		struct bsf_io **pp = &c->held;

		while (*pp)
			pp = &(*pp)->next;
		*pp = h;
		bsf_arm(c);
	}
	bsf.stats.in_flight++;
	return 0;
}

static int bsf_ctx_poll(struct srptd_backend_ctx *c, unsigned int max)
{
	uint64_t v, now = bsf_now_ns();
	struct bsf_io **pp = &c->held;
	int n;

	if (read(c->efd, &v, sizeof(v)) < 0)
		v = 0;
	if (read(c->tfd, &v, sizeof(v)) < 0)
		v = 0;
	n = bsf.inner->ctx_poll(c->inner, max);
	while (*pp && (unsigned int)n < max) {
		struct bsf_io *h = *pp;

		if (h->kind == BS_FAULT_SLOW && !h->ready && h->due_ns <= now)
			h->ready = true;
		if (!h->ready) {
			pp = &h->next;
			continue;
		}
		if (h->kind == BS_FAULT_SLOW || h->kind == BS_FAULT_STUCK) {
			/* Late but fine: on to the wrapped engine. */
			if (bsf.inner->submit(c->inner, &h->shadow)) {
				bsf_kick(c); /* full: again next poll */
				break;
			}
			*pp = h->next;
			continue;
		}
		*pp = h->next;
		n++;
		bsf_finish(h, h->kind == BS_FAULT_ENOSPC ? -ENOSPC : -EIO);
	}
	if (*pp && (unsigned int)n >= max)
		bsf_kick(c);
	bsf_arm(c);
	return n;
}

static int bsf_register_buffers(struct srptd_backend_ctx *c,
				const struct iovec *iov, unsigned int n)
{
	if (!bsf.inner->register_buffers)
		return 0;
	return bsf.inner->register_buffers(c->inner, iov, n);
}

static const struct srptd_backend_ops bs_fault_ops = {
	.name = "fault",
	.probe = bsf_probe,
	.open = bsf_open,
	.close = bsf_close,
	.ctx_create = bsf_ctx_create,
	.ctx_destroy = bsf_ctx_destroy,
	.ctx_event_fd = bsf_ctx_event_fd,
	.ctx_poll = bsf_ctx_poll,
	.submit = bsf_submit,
	.register_buffers = bsf_register_buffers,
};
