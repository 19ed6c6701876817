/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Conformance list for the engines: the same tests run against io_uring,
 * aio and sync on real files in a temp directory of the build tree (a
 * disk filesystem, so O_DIRECT and hole punching are real).  Built with
 * BST_RBD (backend_test_engines_rbd, label ceph) the tests that apply to
 * an image run against the rbd engine on images of the throw-away
 * cluster of tests/lib/ceph-cluster.sh instead: the test reads and
 * writes behind the engine's back through its own librbd handle, as it
 * does through the file for the others.  Left out for rbd: O_DIRECT,
 * short reads at the end of a file, hole punching and discarded blocks
 * reading as zeroes (librbd promises none of them), byte-granular
 * iovecs (buffered files only).
 *
 * Read-only devices: the fd is opened O_RDONLY and submit() rejects WRITE,
 * DISCARD and WRITE_ZEROES with -EROFS before the kernel sees them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/types.h>

#include "util.h"
#include "bs_test_util.h"
#include "test_skip.h"
#ifdef BST_RBD
#include <rbd/librbd.h>

#include "rados_fixture.h"

/* The file-only tests and engine names are compiled, not run, here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"

/* The test's own handle on pool "rbd"; one image per test. */
static struct rados_fx g_rados;
static unsigned int g_seq;
#endif

#define DEV_SIZE (4u << 20)

struct fx {
	const struct srptd_backend_ops *ops;
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct srptd_bdev bdev;
	bool opened;
	int probe_ret; /* engine usable on this kernel/process? */
	struct bst_ctx c;
#ifdef BST_RBD
	char img[32]; /* image name in pool "rbd"; path holds "rbd/<img>" */
#endif
};

#ifdef BST_RBD
/* The device: an image of DEV_SIZE bytes, "rbd/e<N>". */
static void fx_store_create(struct fx *fx)
{
	int order = 0;

	snprintf(fx->img, sizeof(fx->img), "e%u", g_seq++);
	snprintf(fx->path, sizeof(fx->path), "rbd/%s", fx->img);
	assert_int_equal(rbd_create(g_rados.ioctx, fx->img, DEV_SIZE, &order),
			 0);
}

static void fx_store_remove(struct fx *fx)
{
	assert_int_equal(rbd_remove(g_rados.ioctx, fx->img), 0);
}
#else
/* The device: a sparse file of DEV_SIZE bytes in a temp directory. */
static void fx_store_create(struct fx *fx)
{
	int fd;

	bst_mkdtemp(fx->dir, sizeof(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/dev.img", fx->dir);
	fd = open(fx->path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DEV_SIZE), 0);
	close(fd);
}

static void fx_store_remove(struct fx *fx)
{
	bst_rm_rf(fx->dir);
}
#endif

static int fx_setup(void **state)
{
	const char *engine = *state;
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->ops = srptd_backend_find(engine);
	assert_non_null(fx->ops);
	fx->probe_ret = fx->ops->probe();
	fx_store_create(fx);
	fx->c.epfd = -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	bst_ctx_fini(&fx->c);
	if (fx->opened)
		fx->ops->close(&fx->bdev);
	fx_store_remove(fx);
	free(fx);
	return 0;
}

static void fx_open(struct fx *fx, uint32_t bs, bool ro, bool dio, bool wc)
{
	struct srptd_bdev_params p = {
		.name = "t",
		.path = fx->path,
		.block_size = bs,
		.read_only = ro,
		.direct_io = dio,
		.write_cache = wc,
		.ceph_timeout = 10, /* rbd: a hung cluster fails the test */
	};

	/* e.g. io_uring blocked by a container's seccomp policy. */
	if (fx->probe_ret) {
		SRPTD_SKIP("engine %s unavailable here: %s", fx->ops->name,
			   strerror(-fx->probe_ret));
	}
	if (fx->opened)
		fx->ops->close(&fx->bdev);
	fx->opened = false;
	assert_int_equal(fx->ops->open(&fx->bdev, &p), 0);
	fx->opened = true;
	fx->bdev.ops = fx->ops;
	if (!fx->c.ctx)
		bst_ctx_init(&fx->c, fx->ops, 32);
}

/* Through the page cache (or a second librbd handle), not the engine. */
static void file_read(struct fx *fx, void *buf, size_t len, off_t off)
{
#ifdef BST_RBD
	rbd_image_t img;

	assert_int_equal(rbd_open(g_rados.ioctx, fx->img, &img, NULL), 0);
	assert_int_equal(rbd_read(img, (uint64_t)off, len, buf), (ssize_t)len);
	rbd_close(img);
#else
	int fd = open(fx->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
#endif
}

static void file_write(struct fx *fx, const void *buf, size_t len, off_t off)
{
#ifdef BST_RBD
	rbd_image_t img;

	assert_int_equal(rbd_open(g_rados.ioctx, fx->img, &img, NULL), 0);
	assert_int_equal(rbd_write(img, (uint64_t)off, len, buf), (ssize_t)len);
	assert_int_equal(rbd_flush(img), 0);
	rbd_close(img);
#else
	int fd = open(fx->path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
#endif
}

/* Write with several iovec shapes at several offsets; read back. */
static void rw_patterns(struct fx *fx, uint32_t bs, bool dio)
{
	const uint64_t offs[] = { 0, bs, 7ull * bs, DEV_SIZE / 2 + bs,
				  DEV_SIZE - 16ull * bs };
	uint8_t *buf = bst_alloc(16 * bs), *chk = bst_alloc(16 * bs);
	size_t i;

	fx_open(fx, bs, false, dio, true);
	assert_int_equal(fx->bdev.block_size, bs);
	assert_int_equal(fx->bdev.size, DEV_SIZE);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		uint64_t off = offs[i];
		unsigned int seed = (unsigned int)i + bs;
		struct iovec iov[4];
		size_t len = (i + 1) * bs;

		/* Write as 1, 2 or 3 segments whose sizes are block multiples. */
		bst_fill(buf, len, off, seed);
		iov[0] = (struct iovec){ buf, bs };
		if (len == bs) {
			assert_int_equal(bst_io_sync(&fx->c, &fx->bdev,
						     SRPTD_IO_WRITE, 0, off,
						     iov, 1, 0),
					 0);
		} else {
			iov[1] = (struct iovec){ buf + bs, len - bs };
			assert_int_equal(bst_io_sync(&fx->c, &fx->bdev,
						     SRPTD_IO_WRITE, 0, off,
						     iov, 2, 0),
					 0);
		}
		/* Through the page cache / disk, independently of the engine. */
		memset(chk, 0, len);
		file_read(fx, chk, len, (off_t)off);
		assert_int_equal(bst_check(chk, len, off, seed), -1);

		/* Read back through the engine, other shapes. */
		memset(buf, 0xa5, len);
		if (len >= 3ull * bs) {
			iov[0] = (struct iovec){ buf, bs };
			iov[1] = (struct iovec){ buf + bs, bs };
			iov[2] = (struct iovec){ buf + 2 * bs, len - 2 * bs };
			assert_int_equal(bst_io_sync(&fx->c, &fx->bdev,
						     SRPTD_IO_READ, 0, off, iov,
						     3, 0),
					 0);
		} else {
			assert_int_equal(bst_rw(&fx->c, &fx->bdev,
						SRPTD_IO_READ, 0, off, buf,
						len),
					 0);
		}
		assert_int_equal(bst_check(buf, len, off, seed), -1);
	}
	/* Data written outside the engine is read by it. */
	bst_fill(chk, bs, 3 * bs, 99);
	file_write(fx, chk, bs, 3 * bs);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 3 * bs,
				buf, bs),
			 0);
	assert_int_equal(bst_check(buf, bs, 3 * bs, 99), -1);
	free(buf);
	free(chk);
}

static void test_rw_512(void **state)
{
	rw_patterns(*state, 512, false);
}

static void test_rw_4096(void **state)
{
	rw_patterns(*state, 4096, false);
}

/* Buffered files accept byte-granular iovecs: odd segment sizes. */
static void test_rw_odd_iovs(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(8192);
	struct iovec iov[3] = { { buf, 1 },
				{ buf + 1, 4000 },
				{ buf + 4001, 4191 } };

	fx_open(fx, 512, false, false, true);
	bst_fill(buf, 8192, 1024, 5);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 1024,
				     iov, 3, 0),
			 0);
	memset(buf, 0, 8192);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 1024,
				     iov, 3, 0),
			 0);
	assert_int_equal(bst_check(buf, 8192, 1024, 5), -1);
	free(buf);
}

static void test_fua_and_flush(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(8192), *chk = bst_alloc(8192);

	fx_open(fx, 512, false, false, true);
	bst_fill(buf, 8192, 65536, 1);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE,
				SRPTD_IO_F_FUA, 65536, buf, 8192),
			 0);
	file_read(fx, chk, 8192, 65536);
	assert_int_equal(bst_check(chk, 8192, 65536, 1), -1);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_FLUSH, 0, 0,
				     NULL, 0, 0),
			 0);
	/* Write-through device: writes are FUA without the flag. */
	fx_open(fx, 512, false, false, false);
	assert_false(fx->bdev.write_cache);
	bst_fill(buf, 8192, 0, 2);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, buf, 8192), 0);
	file_read(fx, chk, 8192, 0);
	assert_int_equal(bst_check(chk, 8192, 0, 2), -1);
	free(buf);
	free(chk);
}

static void zero_range(struct fx *fx, enum srptd_io_op op, bool wc, bool dio)
{
	const size_t len = 256 * 1024;
	uint8_t *buf = bst_alloc(len);
	uint64_t blocks_before;
	struct stat st;

	fx_open(fx, 4096, false, dio, wc);
	bst_fill(buf, len, 0, 3);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, buf, len), 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_FLUSH, 0, 0,
				     NULL, 0, 0),
			 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 >= len);
	blocks_before = (uint64_t)st.st_blocks;
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, op, 0, 64 * 1024, NULL,
				     0, 128 * 1024),
			 0);
	memset(buf, 0xee, len);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, buf, len), 0);
	assert_int_equal(bst_check(buf, 64 * 1024, 0, 3), -1);
	assert_true(bst_is_zero(buf + 64 * 1024, 128 * 1024));
	assert_int_equal(bst_check(buf + 192 * 1024, 64 * 1024, 192 * 1024, 3),
			 -1);
	if (op == SRPTD_IO_DISCARD) {
		/*
		 * The range was deallocated, not just zeroed (allowing for
		 * a filesystem metadata block gained by splitting extents).
		 */
		assert_int_equal(stat(fx->path, &st), 0);
		assert_true((uint64_t)st.st_blocks <=
			    blocks_before - 96 * 1024 / 512);
	}
	free(buf);
}

static void test_discard_reads_zeroes(void **state)
{
	struct fx *fx = *state;

	fx_open(fx, 4096, false, false, true);
	if (!fx->bdev.can_discard) {
		SRPTD_SKIP("filesystem of %s cannot punch holes", fx->dir);
	}
	assert_true(fx->bdev.discard_zeroes);
	assert_true(fx->bdev.discard_granularity >= 512);
	zero_range(fx, SRPTD_IO_DISCARD, true, false);
}

static void test_write_zeroes(void **state)
{
	zero_range(*state, SRPTD_IO_WRITE_ZEROES, true, false);
}

static void test_write_zeroes_write_through(void **state)
{
	zero_range(*state, SRPTD_IO_WRITE_ZEROES, false, false);
}

/*
 * A filesystem without FALLOC_FL_ZERO_RANGE (tmpfs): WRITE_ZEROES falls
 * back to writing zero buffers.  Runs on /dev/shm when it is such a tmpfs.
 */
static void test_write_zeroes_fallback(void **state)
{
	struct fx *fx = *state;
	char dir[] = "/dev/shm/bs-test-XXXXXX";
	uint8_t *buf = bst_alloc(65536);
	int fd;

	if (!mkdtemp(dir)) {
		SRPTD_SKIP("no /dev/shm: %s", strerror(errno));
	}
	snprintf(fx->path, sizeof(fx->path), "%s/dev.img", dir);
	fd = open(fx->path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DEV_SIZE), 0);
	if (!fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0,
		       4096) ||
	    errno != EOPNOTSUPP) {
		close(fd);
		bst_rm_rf(dir);
		SRPTD_SKIP("/dev/shm supports ZERO_RANGE: no fallback");
	}
	close(fd);
	fx_open(fx, 512, false, false, false);
	bst_fill(buf, 65536, 0, 9);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, buf, 65536), 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_WRITE_ZEROES,
				     0, 4096, NULL, 0, 16384),
			 0);
	memset(buf, 0xff, 65536);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, buf, 65536), 0);
	assert_int_equal(bst_check(buf, 4096, 0, 9), -1);
	assert_true(bst_is_zero(buf + 4096, 16384));
	assert_int_equal(bst_check(buf + 20480, 65536 - 20480, 20480, 9), -1);
	fx->ops->close(&fx->bdev);
	fx->opened = false;
	bst_rm_rf(dir);
	free(buf);
}

static void test_read_only(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(4096);
	struct bst_io t;

	bst_fill(buf, 4096, 8192, 4);
	file_write(fx, buf, 4096, 8192);
	fx_open(fx, 512, true, false, true);
	assert_true(fx->bdev.read_only);
	assert_false(fx->bdev.can_discard);
	memset(buf, 0, 4096);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 8192, buf,
				4096),
			 0);
	assert_int_equal(bst_check(buf, 4096, 8192, 4), -1);

	/* Rejected at submit, callback never runs. */
	bst_prep(&t, &fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, 4096,
		 &(struct iovec){ buf, 4096 }, 1);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), -EROFS);
	t.io.op = SRPTD_IO_WRITE_ZEROES;
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), -EROFS);
	t.io.op = SRPTD_IO_DISCARD;
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), -EROFS);
	assert_int_equal(bst_wait(&fx->c, 50), 0);
	assert_int_equal(fx->ops->ctx_poll(fx->c.ctx, 16), 0);
	assert_false(t.done);
	/* The bytes on disk are untouched. */
	file_read(fx, buf, 4096, 8192);
	assert_int_equal(bst_check(buf, 4096, 8192, 4), -1);
	free(buf);
}

/* -EAGAIN at depth, nothing queued, and recovery after completions. */
static void test_eagain_at_depth(void **state)
{
	struct fx *fx = *state;
	enum { DEPTH = 4 };
	struct bst_io t[DEPTH + 1];
	struct iovec iov[DEPTH + 1];
	uint8_t *buf = bst_alloc((DEPTH + 1) * 4096);
	struct bst_ctx c;
	unsigned int i;

	fx_open(fx, 512, false, false, true);
	bst_ctx_init(&c, fx->ops, DEPTH);
	for (i = 0; i <= DEPTH; i++) {
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
		bst_prep(&t[i], &c, &fx->bdev, SRPTD_IO_READ, 0, i * 4096ull,
			 4096, &iov[i], 1);
	}
	for (i = 0; i < DEPTH; i++)
		assert_int_equal(fx->ops->submit(c.ctx, &t[i].io), 0);
	assert_int_equal(fx->ops->submit(c.ctx, &t[DEPTH].io), -EAGAIN);
	while (!c.completed)
		if (bst_wait(&c, 1000))
			fx->ops->ctx_poll(c.ctx, 1);
	assert_false(t[DEPTH].done);
	assert_int_equal(fx->ops->submit(c.ctx, &t[DEPTH].io), 0);
	for (i = 0; i <= DEPTH; i++) {
		bst_run_until(&c, &t[i].done);
		assert_int_equal(t[i].res, 0);
	}
	assert_int_equal(c.completed, DEPTH + 1);
	bst_ctx_fini(&c);
	free(buf);
}

/*
 * ctx_poll(max) runs at most max callbacks and the event fd stays readable
 * while completions remain, so an epoll worker never strands one.
 */
static void test_poll_max_keeps_fd_ready(void **state)
{
	struct fx *fx = *state;
	enum { N = 8 };
	struct bst_io t[N];
	struct iovec iov[N];
	uint8_t *buf = bst_alloc(N * 4096);
	unsigned int i;
	time_t start = time(NULL);

	fx_open(fx, 512, false, false, true);
	for (i = 0; i < N; i++) {
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
		bst_prep(&t[i], &fx->c, &fx->bdev, SRPTD_IO_READ, 0,
			 i * 4096ull, 4096, &iov[i], 1);
		assert_int_equal(fx->ops->submit(fx->c.ctx, &t[i].io), 0);
	}
	while (fx->c.completed < N) {
		int n;

		assert_true(time(NULL) - start < 10);
		assert_int_equal(bst_wait(&fx->c, 2000), 1);
		n = fx->ops->ctx_poll(fx->c.ctx, 1);
		assert_true(n == 0 || n == 1);
	}
	/* Everything reaped: the fd goes quiet (a spurious wakeup at most). */
	if (bst_wait(&fx->c, 0))
		assert_int_equal(fx->ops->ctx_poll(fx->c.ctx, 16), 0);
	assert_int_equal(bst_wait(&fx->c, 0), 0);
	free(buf);
}

/* A callback may submit the next I/O (chained reads). */
struct chain {
	struct bst_io t;
	struct iovec iov;
	struct fx *fx;
	unsigned int left;
	bool finished;
};

static void chain_complete(struct srptd_io *io, int res)
{
	struct chain *ch = container_of(io, struct chain, t.io);

	assert_int_equal(res, 0);
	if (!--ch->left) {
		ch->finished = true;
		return;
	}
	io->offset += 4096;
	assert_int_equal(ch->fx->ops->submit(ch->fx->c.ctx, io), 0);
}

static void test_submit_from_callback(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(4096);
	struct chain ch = { .fx = fx, .left = 16 };

	fx_open(fx, 512, false, false, true);
	ch.iov = (struct iovec){ buf, 4096 };
	bst_prep(&ch.t, &fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, 4096, &ch.iov,
		 1);
	ch.t.io.complete = chain_complete;
	assert_int_equal(fx->ops->submit(fx->c.ctx, &ch.t.io), 0);
	bst_run_until(&fx->c, &ch.finished);
	assert_int_equal(ch.t.io.offset, 15 * 4096);
	free(buf);
}

/*
 * Short transfer: the file shrinks behind the engine's back, so a read
 * returns part of the data, the engine resubmits the remainder and hits
 * end of file: that is -EIO, never a success with stale buffer contents.
 */
static void test_short_read_then_eof(void **state)
{
	struct fx *fx = *state;
	const size_t len = 64 * 1024;
	uint8_t *buf = bst_alloc(len);

	bst_fill(buf, len, 0, 6);
	file_write(fx, buf, len, 0);
	fx_open(fx, 512, false, false, true);
	assert_int_equal(truncate(fx->path, 32 * 1024 + 512), 0);
	memset(buf, 0, len);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, buf, len), -EIO);
	/* The part that existed was transferred before the EOF. */
	assert_int_equal(bst_check(buf, 32 * 1024 + 512, 0, 6), -1);
	/* Reads inside the remaining data still succeed. */
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 4096, buf,
				8192),
			 0);
	assert_int_equal(bst_check(buf, 8192, 4096, 6), -1);
	free(buf);
}

/*
 * A genuine short transfer that then completes: the engine reads from a
 * pipe (FMODE_STREAM: the offset is ignored, a read returns what is
 * buffered), gets part of the data, and must resubmit the remainder once
 * the rest has arrived.  io_uring and aio only: preadv(2) on a pipe, as
 * the sync engine would do, is ESPIPE.
 */
static void test_short_read_resubmitted(void **state)
{
	struct fx *fx = *state;
	uint8_t *src = bst_alloc(4096), *buf = bst_alloc(4096);
	struct srptd_bdev pb;
	struct bst_io t;
	struct iovec iov[2] = { { buf, 1500 }, { buf + 1500, 2596 } };
	int pfd[2];

	fx_open(fx, 512, false, false, true); /* context + probe check */
	/* Non-blocking: a mistake fails with EAGAIN instead of hanging. */
	assert_int_equal(pipe2(pfd, O_NONBLOCK), 0);
	memset(&pb, 0, sizeof(pb));
	pb.ops = fx->ops;
	pb.fd = pfd[0];
	pb.size = 1 << 20;
	pb.block_size = 512;
	pb.phys_block_size = 512;
	pb.write_cache = true;
	bst_fill(src, 4096, 0, 12);
	assert_int_equal(write(pfd[1], src, 1000), 1000);
	bst_prep(&t, &fx->c, &pb, SRPTD_IO_READ, 0, 0, 4096, iov, 2);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), 0);
	/*
	 * The first read was issued inside submit() and got the 1000
	 * buffered bytes; the rest is there before the engine resubmits
	 * from ctx_poll().
	 */
	assert_false(t.done);
	assert_int_equal(write(pfd[1], src + 1000, 3096), 3096);
	bst_run_until(&fx->c, &t.done);
	assert_int_equal(t.res, 0);
	assert_int_equal(bst_check(buf, 4096, 0, 12), -1);
	close(pfd[0]);
	close(pfd[1]);
	free(src);
	free(buf);
}

static void test_direct_io(void **state)
{
	struct fx *fx = *state;

	fx_open(fx, 4096, false, true, true);
	if (!fx->bdev.direct_io) {
		SRPTD_SKIP("O_DIRECT refused by the filesystem of %s", fx->dir);
	}
	rw_patterns(fx, 4096, true);
	assert_true(fx->bdev.direct_io);
	rw_patterns(fx, 512, true);
	assert_true(fx->bdev.direct_io);
	/* FUA and write-zeroes on an O_DIRECT fd. */
	zero_range(fx, SRPTD_IO_WRITE_ZEROES, false, true);
	assert_true(fx->bdev.direct_io);
	zero_range(fx, SRPTD_IO_DISCARD, true, true);
}

/*
 * O_DIRECT with memory or ranges the kernel would refuse: the engine
 * bounces them through an aligned buffer (reads of any range, writes of
 * whole blocks from unaligned memory); a partial-block write is -EINVAL.
 */
static void test_direct_misaligned(void **state)
{
	struct fx *fx = *state;
	uint8_t *raw = bst_alloc(3 * 4096), *chk = bst_alloc(8192);
	uint8_t *buf = raw + 8; /* 8-byte aligned only */
	struct iovec iov[2];

	fx_open(fx, 512, false, true, true);
	if (!fx->bdev.direct_io) {
		SRPTD_SKIP("O_DIRECT refused by the filesystem of %s", fx->dir);
	}
	bst_fill(buf, 4096, 8192, 11);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE,
				SRPTD_IO_F_FUA, 8192, buf, 4096),
			 0);
	file_read(fx, chk, 4096, 8192);
	assert_int_equal(bst_check(chk, 4096, 8192, 11), -1);
	/* Unaligned offset and length, split over two odd segments. */
	memset(raw, 0, 3 * 4096);
	iov[0] = (struct iovec){ buf + 1, 333 };
	iov[1] = (struct iovec){ buf + 1000, 700 };
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_READ, 0,
				     8192 + 100, iov, 2, 0),
			 0);
	assert_int_equal(bst_check(buf + 1, 333, 8192 + 100, 11), -1);
	assert_int_equal(bst_check(buf + 1000, 700, 8192 + 433, 11), -1);
	/* A write that does not cover whole blocks cannot be done safely. */
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 8192, buf,
				1000),
			 -EINVAL);
	file_read(fx, chk, 4096, 8192);
	assert_int_equal(bst_check(chk, 4096, 8192, 11), -1);
	free(raw);
	free(chk);
}

static void test_event_fd_epoll(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(4096);
	struct bst_io t;
	struct iovec iov = { buf, 4096 };

	fx_open(fx, 512, false, false, true);
	assert_int_equal(bst_wait(&fx->c, 0), 0);
	bst_prep(&t, &fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, 4096, &iov, 1);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), 0);
	assert_false(t.done);
	assert_int_equal(bst_wait(&fx->c, 5000), 1);
	while (!t.done) {
		fx->ops->ctx_poll(fx->c.ctx, 16);
		if (!t.done)
			assert_int_equal(bst_wait(&fx->c, 5000), 1);
	}
	assert_int_equal(t.res, 0);
	if (bst_wait(&fx->c, 0))
		assert_int_equal(fx->ops->ctx_poll(fx->c.ctx, 16), 0);
	assert_int_equal(bst_wait(&fx->c, 0), 0);
	free(buf);
}

/* Many I/Os in flight with mixed ops; every callback runs once. */
static void test_mixed_depth(void **state)
{
	struct fx *fx = *state;
	enum { N = 32 };
	struct bst_io t[N];
	struct iovec iov[N];
	uint8_t *buf = bst_alloc(N * 4096);
	unsigned int i;
	time_t start = time(NULL);

	fx_open(fx, 512, false, false, true);
	for (i = 0; i < N; i++) {
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
		bst_fill(iov[i].iov_base, 4096, i * 8192ull, 7);
		bst_prep(&t[i], &fx->c, &fx->bdev,
			 i % 8 == 7 ? SRPTD_IO_FLUSH : SRPTD_IO_WRITE,
			 i % 3 ? 0 : SRPTD_IO_F_FUA, i * 8192ull,
			 i % 8 == 7 ? 0 : 4096, &iov[i], i % 8 == 7 ? 0 : 1);
		assert_int_equal(fx->ops->submit(fx->c.ctx, &t[i].io), 0);
	}
	while (fx->c.completed < N) {
		assert_true(time(NULL) - start < 10);
		if (bst_wait(&fx->c, 1000))
			fx->ops->ctx_poll(fx->c.ctx, 5);
	}
	for (i = 0; i < N; i++) {
		assert_true(t[i].done);
		assert_int_equal(t[i].res, 0);
		if (i % 8 == 7)
			continue;
		memset(buf, 0, 4096);
		file_read(fx, buf, 4096, (off_t)(i * 8192ull));
		assert_int_equal(bst_check(buf, 4096, i * 8192ull, 7), -1);
	}
	free(buf);
}

/*
 * Randomised mix at full depth against an in-memory model of the device.
 * Each slot owns a lane of the device so in-flight I/Os never overlap;
 * every read is checked against the model when it completes.
 */
enum { STRESS_SLOTS = 32, STRESS_LANE = 128 * 1024, STRESS_OPS = 3000 };

struct stress;

struct stress_slot {
	struct bst_io t;
	struct iovec iov[3];
	uint8_t *buf;
	struct stress *st;
	unsigned int lane;
};

struct stress {
	struct fx *fx;
	uint8_t *model;
	uint64_t rng;
	unsigned int issued, failures;
	struct stress_slot slot[STRESS_SLOTS];
};

static uint64_t stress_rand(struct stress *st)
{
	st->rng ^= st->rng << 13;
	st->rng ^= st->rng >> 7;
	st->rng ^= st->rng << 17;
	return st->rng;
}

static void stress_issue(struct stress_slot *s);

static void stress_complete(struct srptd_io *io, int res)
{
	struct stress_slot *s = container_of(io, struct stress_slot, t.io);
	struct stress *st = s->st;
	uint64_t done = 0;
	unsigned int i;

	s->t.done = true;
	s->t.c->completed++;
	if (res)
		st->failures++;
	if (io->op == SRPTD_IO_READ)
		for (i = 0; i < io->iovcnt; i++) {
			if (memcmp(io->iov[i].iov_base,
				   st->model + io->offset + done,
				   io->iov[i].iov_len))
				st->failures++;
			done += io->iov[i].iov_len;
		}
	if (st->issued < STRESS_OPS)
		stress_issue(s);
}

static void stress_issue(struct stress_slot *s)
{
	struct stress *st = s->st;
	struct fx *fx = st->fx;
	uint32_t bs = fx->bdev.block_size;
	uint64_t lane_off = (uint64_t)s->lane * STRESS_LANE;
	uint64_t nblk = 1 + stress_rand(st) % 16;
	uint64_t off = lane_off +
		       (stress_rand(st) % (STRESS_LANE / bs - nblk + 1)) * bs;
	uint64_t len = nblk * bs, a, b;
	unsigned int kind = (unsigned int)(stress_rand(st) % 16), n = 1;
	enum srptd_io_op op;
	uint32_t flags = 0;

	if (kind < 7) {
		op = SRPTD_IO_WRITE;
		flags = kind == 0 ? SRPTD_IO_F_FUA : 0;
	} else if (kind < 13) {
		op = SRPTD_IO_READ;
	} else if (kind == 13) {
		op = SRPTD_IO_WRITE_ZEROES;
	} else if (kind == 14) {
		op = SRPTD_IO_DISCARD;
	} else {
		op = SRPTD_IO_FLUSH;
	}
	/* Split data into up to three block-multiple segments. */
	s->iov[0] = (struct iovec){ s->buf, len };
	if (nblk >= 3 && (op == SRPTD_IO_READ || op == SRPTD_IO_WRITE)) {
		a = 1 + stress_rand(st) % (nblk - 2);
		b = 1 + stress_rand(st) % (nblk - a - 1);
		s->iov[0] = (struct iovec){ s->buf, a * bs };
		s->iov[1] = (struct iovec){ s->buf + a * bs, b * bs };
		s->iov[2] = (struct iovec){ s->buf + (a + b) * bs,
					    (nblk - a - b) * bs };
		n = 3;
	}
	if (op == SRPTD_IO_WRITE) {
		bst_fill(s->buf, len, off, (unsigned int)stress_rand(st));
		memcpy(st->model + off, s->buf, len);
	} else if (op == SRPTD_IO_WRITE_ZEROES || op == SRPTD_IO_DISCARD) {
		memset(st->model + off, 0, len);
	}
	bst_prep(&s->t, s->t.c, &fx->bdev, op, flags, off,
		 op == SRPTD_IO_FLUSH ? 0 : len, s->iov,
		 op == SRPTD_IO_READ || op == SRPTD_IO_WRITE ? n : 0);
	s->t.io.complete = stress_complete;
	st->issued++;
	assert_int_equal(fx->ops->submit(fx->c.ctx, &s->t.io), 0);
}

static void test_stress_model(void **state)
{
	struct fx *fx = *state;
	struct stress *st = calloc(1, sizeof(*st));
	uint8_t *chk = bst_alloc(STRESS_LANE);
	time_t start = time(NULL);
	unsigned int i;

	assert_non_null(st);
	fx_open(fx, 4096, false, true, true);
	assert_true(fx->bdev.can_discard && fx->bdev.discard_zeroes);
	st->fx = fx;
	st->rng = 0x2545f4914f6cdd1dull;
	st->model = calloc(1, DEV_SIZE);
	assert_non_null(st->model);
	for (i = 0; i < STRESS_SLOTS; i++) {
		st->slot[i].st = st;
		st->slot[i].lane = i;
		st->slot[i].buf = bst_alloc(16 * 4096);
		st->slot[i].t.c = &fx->c;
		stress_issue(&st->slot[i]);
	}
	while (fx->c.completed < STRESS_OPS) {
		assert_true(time(NULL) - start < 60);
		if (bst_wait(&fx->c, 1000))
			fx->ops->ctx_poll(fx->c.ctx, 7);
	}
	assert_int_equal(fx->c.completed, STRESS_OPS);
	assert_int_equal(st->failures, 0);
	/* The file holds exactly the model. */
	for (i = 0; i < STRESS_SLOTS; i++) {
		file_read(fx, chk, STRESS_LANE, (off_t)i * STRESS_LANE);
		assert_memory_equal(chk, st->model + (size_t)i * STRESS_LANE,
				    STRESS_LANE);
		free(st->slot[i].buf);
	}
	free(st->model);
	free(st);
	free(chk);
}

/* io_uring only: I/O inside registered buffers takes the fixed path. */
static void test_fixed_buffers(void **state)
{
	struct fx *fx = *state;
	const size_t pool_len = 256 * 1024;
	uint8_t *pool = bst_alloc(pool_len), *other = bst_alloc(8192);
	struct iovec reg = { pool, pool_len };
	int ret;

	fx_open(fx, 512, false, true, true);
	assert_non_null(fx->ops->register_buffers);
	ret = fx->ops->register_buffers(fx->c.ctx, &reg, 1);
	if (ret == -ENOMEM || ret == -EPERM) {
		SRPTD_SKIP("cannot register buffers: %s", strerror(-ret));
	}
	assert_int_equal(ret, 0);
	bst_fill(pool + 8192, 65536, 1 << 20, 8);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE,
				SRPTD_IO_F_FUA, 1 << 20, pool + 8192, 65536),
			 0);
	memset(pool, 0, pool_len);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 1 << 20,
				pool + 4096, 65536),
			 0);
	assert_int_equal(bst_check(pool + 4096, 65536, 1 << 20, 8), -1);
	/* Memory outside the pool still works (plain readv). */
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0,
				(1 << 20) + 4096, other, 8192),
			 0);
	assert_int_equal(bst_check(other, 8192, (1 << 20) + 4096, 8), -1);
	/* Unregister (n = 0) and keep going. */
	assert_int_equal(fx->ops->register_buffers(fx->c.ctx, NULL, 0), 0);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 1 << 20,
				pool, 4096),
			 0);
	assert_int_equal(bst_check(pool, 4096, 1 << 20, 8), -1);
	free(pool);
	free(other);
}

/*
 * io_uring only: while plugged, accepted I/Os wait in the context (none
 * completes however long we wait, ctx_poll() included); unplugging
 * submits them all.
 */
static void test_plug(void **state)
{
	struct fx *fx = *state;
	enum { N = 4 };
	struct bst_io t[N];
	struct iovec iov[N];
	uint8_t *buf = bst_alloc(N * 4096);
	unsigned int i;

	fx_open(fx, 512, false, false, true);
	assert_non_null(fx->ops->ctx_plug);
	fx->ops->ctx_plug(fx->c.ctx, true);
	for (i = 0; i < N; i++) {
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
		bst_prep(&t[i], &fx->c, &fx->bdev, SRPTD_IO_READ, 0,
			 i * 4096ull, 4096, &iov[i], 1);
		assert_int_equal(fx->ops->submit(fx->c.ctx, &t[i].io), 0);
	}
	bst_wait(&fx->c, 100);
	assert_int_equal(fx->ops->ctx_poll(fx->c.ctx, 64), 0);
	assert_int_equal(fx->c.completed, 0);
	fx->ops->ctx_plug(fx->c.ctx, false);
	for (i = 0; i < N; i++) {
		bst_run_until(&fx->c, &t[i].done);
		assert_int_equal(t[i].res, 0);
	}
	free(buf);
}

static const char eng_uring[] = "io_uring";
static const char eng_aio[] = "aio";
static const char eng_sync[] = "sync";

#define T(f, e)                                                            \
	cmocka_unit_test_prestate_setup_teardown(f, fx_setup, fx_teardown, \
						 (void *)e)
#define CONFORMANCE(e)                                                     \
	T(test_rw_512, e), T(test_rw_4096, e), T(test_rw_odd_iovs, e),     \
		T(test_fua_and_flush, e), T(test_discard_reads_zeroes, e), \
		T(test_write_zeroes, e),                                   \
		T(test_write_zeroes_write_through, e),                     \
		T(test_write_zeroes_fallback, e), T(test_read_only, e),    \
		T(test_eagain_at_depth, e),                                \
		T(test_poll_max_keeps_fd_ready, e),                        \
		T(test_submit_from_callback, e),                           \
		T(test_short_read_then_eof, e), T(test_direct_io, e),      \
		T(test_direct_misaligned, e), T(test_event_fd_epoll, e),   \
		T(test_mixed_depth, e), T(test_stress_model, e)

#ifdef BST_RBD
static const char eng_rbd[] = "rbd";

static int rbd_group_setup(void **state)
{
	(void)state;
	return rados_fx_connect(&g_rados, "rbd") ? -1 : 0;
}

static int rbd_group_teardown(void **state)
{
	(void)state;
	rados_fx_disconnect(&g_rados);
	return 0;
}

int main(void)
{
	/* CONFORMANCE minus what librbd does not promise (top of file). */
	const struct CMUnitTest rbd[] = {
		T(test_rw_512, eng_rbd),
		T(test_rw_4096, eng_rbd),
		T(test_fua_and_flush, eng_rbd),
		T(test_read_only, eng_rbd),
		T(test_eagain_at_depth, eng_rbd),
		T(test_poll_max_keeps_fd_ready, eng_rbd),
		T(test_submit_from_callback, eng_rbd),
		T(test_event_fd_epoll, eng_rbd),
		T(test_mixed_depth, eng_rbd),
	};

	return srptd_test_status(cmocka_run_group_tests_name(
		"rbd", rbd, rbd_group_setup, rbd_group_teardown));
}
#else
int main(void)
{
	const struct CMUnitTest uring[] = {
		CONFORMANCE(eng_uring),
		T(test_short_read_resubmitted, eng_uring),
		T(test_fixed_buffers, eng_uring), T(test_plug, eng_uring)
	};
	const struct CMUnitTest aio[] = {
		CONFORMANCE(eng_aio), T(test_short_read_resubmitted, eng_aio)
	};
	const struct CMUnitTest sync[] = { CONFORMANCE(eng_sync) };
	int fails = 0;

	fails += cmocka_run_group_tests_name("io_uring", uring, NULL, NULL);
	fails += cmocka_run_group_tests_name("aio", aio, NULL, NULL);
	fails += cmocka_run_group_tests_name("sync", sync, NULL, NULL);
	return srptd_test_status(fails);
}
#endif
