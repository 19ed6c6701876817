/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Helpers for the backend tests: temp directories on a real filesystem,
 * data patterns, and a synchronous "submit and wait through epoll" wrapper
 * around an engine context.  Header-only because every tests/unit/backend
 * test_*.c file is built as its own executable.
 */
#ifndef SRPTD_BS_TEST_UTIL_H
#define SRPTD_BS_TEST_UTIL_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "srptd/backend.h"

/*
 * A directory on a disk filesystem (the build tree), not tmpfs, so that
 * O_DIRECT and hole punching behave like on a server.
 */
static inline void bst_mkdtemp(char *dir, size_t len)
{
	const char *base = getenv("SRPTD_BUILD_DIR");

	if (!base || access(base, W_OK))
		base = getenv("TMPDIR");
	if (!base || access(base, W_OK))
		base = "/var/tmp";
	snprintf(dir, len, "%s/bs-test-XXXXXX", base);
	assert_non_null(mkdtemp(dir));
}

static inline void bst_rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static inline uint8_t bst_byte(uint64_t off, unsigned int seed)
{
	return (uint8_t)((off * 2654435761u) >> 13) ^ (uint8_t)seed;
}

static inline void bst_fill(void *buf, size_t len, uint64_t off,
			    unsigned int seed)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = bst_byte(off + i, seed);
}

/* Index of the first byte not matching the pattern, or -1. */
static inline long bst_check(const void *buf, size_t len, uint64_t off,
			     unsigned int seed)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != bst_byte(off + i, seed))
			return (long)i;
	return -1;
}

static inline bool bst_is_zero(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static inline void *bst_alloc(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, len), 0);
	return p;
}

/* An engine context watched by an epoll set, as a worker would. */
struct bst_ctx {
	const struct srptd_backend_ops *ops;
	struct srptd_backend_ctx *ctx;
	int epfd;
	unsigned int completed; /* callbacks run so far */
};

struct bst_io {
	struct srptd_io io;
	struct bst_ctx *c;
	bool done;
	int res;
};

static inline void bst_complete(struct srptd_io *io, int res)
{
	struct bst_io *t = (struct bst_io *)io;

	assert_false(t->done); /* exactly once */
	t->done = true;
	t->res = res;
	t->c->completed++;
}

static inline void bst_ctx_init(struct bst_ctx *c,
				const struct srptd_backend_ops *ops,
				unsigned int depth)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	assert_int_equal(ops->ctx_create(depth, &c->ctx), 0);
	fd = ops->ctx_event_fd(c->ctx);
	assert_true(fd >= 0);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(c->epfd >= 0);
	assert_int_equal(epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev), 0);
}

static inline void bst_ctx_fini(struct bst_ctx *c)
{
	if (c->ctx)
		c->ops->ctx_destroy(c->ctx);
	if (c->epfd >= 0)
		close(c->epfd);
	c->ctx = NULL;
	c->epfd = -1;
}

/* epoll_wait for the context fd; 1 if readable, 0 on timeout. */
static inline int bst_wait(struct bst_ctx *c, int timeout_ms)
{
	struct epoll_event ev;
	int n;

	do
		n = epoll_wait(c->epfd, &ev, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	assert_true(n >= 0);
	return n;
}

/* Wait through epoll until *done (10 s limit: a hang fails the test). */
static inline void bst_run_until(struct bst_ctx *c, const bool *done)
{
	time_t start = time(NULL);

	while (!*done) {
		assert_true(time(NULL) - start < 10);
		if (bst_wait(c, 1000))
			c->ops->ctx_poll(c->ctx, 64);
	}
}

static inline void bst_prep(struct bst_io *t, struct bst_ctx *c,
			    struct srptd_bdev *bdev, enum srptd_io_op op,
			    uint32_t flags, uint64_t off, uint64_t len,
			    struct iovec *iov, unsigned int iovcnt)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->io.op = op;
	t->io.flags = flags;
	t->io.offset = off;
	t->io.length = len;
	t->io.iov = iov;
	t->io.iovcnt = iovcnt;
	t->io.bdev = bdev;
	t->io.complete = bst_complete;
}

/* Submit one I/O and wait for it; returns its result. */
static inline int bst_io_sync(struct bst_ctx *c, struct srptd_bdev *bdev,
			      enum srptd_io_op op, uint32_t flags, uint64_t off,
			      struct iovec *iov, unsigned int iovcnt,
			      uint64_t len)
{
	struct bst_io t;
	unsigned int i;
	int ret;

	if (iov) {
		len = 0;
		for (i = 0; i < iovcnt; i++)
			len += iov[i].iov_len;
	}
	bst_prep(&t, c, bdev, op, flags, off, len, iov, iovcnt);
	ret = c->ops->submit(c->ctx, &t.io);
	if (ret)
		return ret;
	/* The contract: never complete from inside submit(). */
	assert_false(t.done);
	bst_run_until(c, &t.done);
	return t.res;
}

static inline int bst_rw(struct bst_ctx *c, struct srptd_bdev *bdev,
			 enum srptd_io_op op, uint32_t flags, uint64_t off,
			 void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return bst_io_sync(c, bdev, op, flags, off, &iov, 1, len);
}

#endif
