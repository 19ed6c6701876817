/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Device open rules (shared by the file engines), the registry and its
 * fallback chain, the null engine, iovec arithmetic, and a block device
 * (loop device) when the test runs as root with losetup available.
 *
 * Fallback is exercised with SRPTD_TEST_DISABLE_ENGINE=<list>, which the
 * engines' probe() honours by failing with -ENODEV.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/types.h>
#include <sys/vfs.h>

#include "util.h"
#include "backend/bs_internal.h"
#include "bs_test_util.h"
#include "test_skip.h"

struct ofx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 32];
};

static int ofx_setup(void **state)
{
	struct ofx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	bst_mkdtemp(fx->dir, sizeof(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/dev.img", fx->dir);
	*state = fx;
	return 0;
}

static int ofx_teardown(void **state)
{
	struct ofx *fx = *state;

	unsetenv("SRPTD_TEST_DISABLE_ENGINE");
	bst_rm_rf(fx->dir);
	free(fx);
	return 0;
}

static void make_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void test_create_sparse(void **state)
{
	struct ofx *fx = *state;
	struct srptd_bdev_params p = { .name = "c",
				       .size = 64ull << 20,
				       .create = true };
	struct srptd_bdev b;
	char path[PATH_MAX + 64];
	struct stat st;

	/* Parents are created too (mkdir -p). */
	snprintf(path, sizeof(path), "%s/a/b/c/lun0.img", fx->dir);
	p.path = path;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.size, 64ull << 20);
	assert_int_equal(b.block_size, 512);
	assert_false(b.is_blockdev);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 64ll << 20);
	assert_true(st.st_blocks * 512 < (1 << 20)); /* sparse */
	bs_common_close(&b);
	/* Existing file: create is a no-op and the data stays. */
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.size, 64ull << 20);
	bs_common_close(&b);
	/* create without a size cannot work. */
	snprintf(path, sizeof(path), "%s/nosize.img", fx->dir);
	p.size = 0;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	assert_int_equal(access(path, F_OK), -1);
}

/* mem_backed: a file on tmpfs (/dev/shm) without O_DIRECT, nothing else. */
static bool on_mem_fs(const char *dir)
{
	struct statfs sfs;

	assert_int_equal(statfs(dir, &sfs), 0);
	return sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC;
}

static void test_mem_backed(void **state)
{
	struct ofx *fx = *state;
	struct srptd_bdev_params p = { .name = "m",
				       .size = 1 << 20,
				       .create = true };
	char shm[] = "/dev/shm/bs-test-XXXXXX", path[64];
	struct srptd_bdev b;

	assert_true(on_mem_fs("/dev/shm"));
	assert_non_null(mkdtemp(shm));
	snprintf(path, sizeof(path), "%s/m.img", shm);
	p.path = path;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_true(b.mem_backed);
	bs_common_close(&b);
	/* tmpfs has no O_DIRECT: asking for it fails or falls back to
	 * buffered, which is then memory-backed again. */
	p.direct_io = true;
	if (!bs_common_open(&b, &p)) {
		assert_int_equal(b.mem_backed, !b.direct_io);
		bs_common_close(&b);
	}
	bst_rm_rf(shm);
	/* The build tree's filesystem (a disk, unless it is tmpfs too). */
	p.path = fx->path;
	p.direct_io = false;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.mem_backed, on_mem_fs(fx->dir));
	bs_common_close(&b);
}

static void test_open_errors(void **state)
{
	struct ofx *fx = *state;
	struct srptd_bdev_params p = { .name = "e", .path = fx->path };
	struct srptd_bdev b;
	int fd;

	assert_int_equal(bs_common_open(&b, &p), -ENOENT);
	assert_int_equal(b.fd, -1);
	assert_null(b.name);
	/* 1000 bytes is not a multiple of 512. */
	make_file(fx->path, 1000);
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	p.size = 1000;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	/* Unsupported block sizes. */
	make_file(fx->path, 1 << 20);
	p.size = 0;
	p.block_size = 1024;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	p.block_size = 520;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	/* 4096 needs a size multiple of 4096. */
	make_file(fx->path, 4096 * 3 + 512);
	p.block_size = 4096;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	p.block_size = 512;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.size, 4096 * 3 + 512);
	bs_common_close(&b);
	/* Empty file, no size. */
	make_file(fx->path, 0);
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	/* A directory is neither a file nor a block device. */
	p.path = fx->dir;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	/* No path. */
	p.path = NULL;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	/* Permission: only meaningful when not root. */
	if (geteuid() != 0) {
		make_file(fx->path, 1 << 20);
		assert_int_equal(chmod(fx->path, 0), 0);
		p.path = fx->path;
		assert_int_equal(bs_common_open(&b, &p), -EACCES);
	}
	fd = open(fx->path, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

static void test_open_size_rules(void **state)
{
	struct ofx *fx = *state;
	struct srptd_bdev_params p = { .name = "s", .path = fx->path };
	struct srptd_bdev b;
	struct stat st;

	make_file(fx->path, 1 << 20);
	/* Smaller configured size: a prefix of the file is exported. */
	p.size = 512 * 1024;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.size, 512 * 1024);
	bs_common_close(&b);
	/* Larger: a writable file grows (sparse). */
	p.size = 8 << 20;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_int_equal(b.size, 8 << 20);
	bs_common_close(&b);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 8 << 20);
	/* ...but a read-only one does not. */
	p.size = 16 << 20;
	p.read_only = true;
	assert_int_equal(bs_common_open(&b, &p), -EINVAL);
	p.size = 0;
	assert_int_equal(bs_common_open(&b, &p), 0);
	assert_true(b.read_only);
	assert_false(b.can_discard);
	assert_int_equal(b.size, 8 << 20);
	/* The fd really is read-only. */
	assert_int_equal(pwrite(b.fd, "x", 1, 0), -1);
	assert_int_equal(errno, EBADF);
	bs_common_close(&b);
}

static void test_resize(void **state)
{
	struct ofx *fx = *state;
	const struct srptd_backend_ops *ops = srptd_backend_find("sync");
	struct srptd_bdev_params p = { .name = "r", .path = fx->path };
	struct srptd_bdev b;
	struct stat st;

	make_file(fx->path, 1 << 20);
	assert_int_equal(ops->open(&b, &p), 0);
	assert_non_null(ops->resize);
	/* Grow: the file follows, sparsely. */
	assert_int_equal(ops->resize(&b, 4 << 20), 0);
	assert_int_equal(b.size, 4 << 20);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 4 << 20);
	/* Shrink: a prefix, the file keeps its data. */
	assert_int_equal(ops->resize(&b, 2 << 20), 0);
	assert_int_equal(b.size, 2 << 20);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_size, 4 << 20);
	assert_int_equal(ops->resize(&b, (2 << 20) + 100), -EINVAL);
	assert_int_equal(b.size, 2 << 20);
	/* 0: re-read the size after the administrator grew the file. */
	assert_int_equal(truncate(fx->path, 8 << 20), 0);
	assert_int_equal(ops->resize(&b, 0), 0);
	assert_int_equal(b.size, 8 << 20);
	ops->close(&b);
	/* Read-only files cannot grow. */
	p.read_only = true;
	assert_int_equal(ops->open(&b, &p), 0);
	assert_int_equal(ops->resize(&b, 16 << 20), -EINVAL);
	assert_int_equal(ops->resize(&b, 4 << 20), 0);
	ops->close(&b);
	/* null: any multiple of the block size. */
	ops = srptd_backend_find("null");
	p = (struct srptd_bdev_params){ .name = "rn", .size = 1 << 20 };
	assert_int_equal(ops->open(&b, &p), 0);
	assert_int_equal(ops->resize(&b, 1ull << 41), 0);
	assert_int_equal(b.size, 1ull << 41);
	assert_int_equal(ops->resize(&b, 0), -EINVAL);
	ops->close(&b);
}

static void test_iov_tail(void **state)
{
	char buf[100];
	struct iovec iov[3] = { { buf, 10 },
				{ buf + 10, 20 },
				{ buf + 30, 5 } };
	struct iovec out[3];

	assert_int_equal(bs_iov_tail(iov, 3, 0, out), 3);
	assert_ptr_equal(out[0].iov_base, buf);
	assert_int_equal(bs_iov_tail(iov, 3, 10, out), 2);
	assert_ptr_equal(out[0].iov_base, buf + 10);
	assert_int_equal(out[0].iov_len, 20);
	assert_int_equal(bs_iov_tail(iov, 3, 17, out), 2);
	assert_ptr_equal(out[0].iov_base, buf + 17);
	assert_int_equal(out[0].iov_len, 13);
	assert_int_equal(out[1].iov_len, 5);
	assert_int_equal(bs_iov_tail(iov, 3, 34, out), 1);
	assert_ptr_equal(out[0].iov_base, buf + 34);
	assert_int_equal(out[0].iov_len, 1);
	assert_int_equal(bs_iov_tail(iov, 3, 35, out), 0);
}

static void test_registry_find(void **state)
{
	const char *names[] = { "io_uring", "aio", "sync", "null" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		const struct srptd_backend_ops *o =
			srptd_backend_find(names[i]);

		assert_non_null(o);
		assert_string_equal(o->name, names[i]);
		assert_non_null(o->probe);
		assert_non_null(o->open);
		assert_non_null(o->close);
		assert_non_null(o->ctx_create);
		assert_non_null(o->ctx_destroy);
		assert_non_null(o->ctx_event_fd);
		assert_non_null(o->ctx_poll);
		assert_non_null(o->submit);
	}
	/* Built only with librbd (CMake option SRPTD_RBD). */
	if (SRPTD_HAVE_RBD)
		assert_non_null(srptd_backend_find("rbd"));
	else
		assert_null(srptd_backend_find("rbd"));
	assert_null(srptd_backend_find("IO_URING"));
	assert_null(srptd_backend_find(""));
	assert_null(srptd_backend_find(NULL));
}

static void test_fallback_chain(void **state)
{
	struct ofx *fx = *state;
	const char *const fb[] = { "aio", "sync", NULL };
	struct srptd_bdev_params p = { .name = "f", .path = fx->path };
	const struct srptd_backend_ops *used = NULL;
	struct srptd_bdev b;

	if (bs_uring_ops.probe() || bs_aio_ops.probe()) {
		SRPTD_SKIP("io_uring or aio unavailable here");
	}
	make_file(fx->path, 1 << 20);
	/* Nothing disabled: the engine asked for. */
	assert_int_equal(srptd_backend_open(&b, "io_uring", fb, &p, &used), 0);
	assert_string_equal(used->name, "io_uring");
	assert_ptr_equal(b.ops, used);
	srptd_backend_close(&b);
	assert_null(b.ops);

	setenv("SRPTD_TEST_DISABLE_ENGINE", "io_uring", 1);
	assert_int_equal(bs_uring_ops.probe(), -ENODEV);
	assert_int_equal(srptd_backend_open(&b, "io_uring", fb, &p, &used), 0);
	assert_string_equal(used->name, "aio");
	srptd_backend_close(&b);

	setenv("SRPTD_TEST_DISABLE_ENGINE", "io_uring,aio", 1);
	assert_int_equal(srptd_backend_open(&b, "io_uring", fb, &p, &used), 0);
	assert_string_equal(used->name, "sync");
	srptd_backend_close(&b);

	/* Unknown engine names are skipped like unavailable ones. */
	unsetenv("SRPTD_TEST_DISABLE_ENGINE");
	assert_int_equal(srptd_backend_open(&b, "nonsense", fb, &p, &used), 0);
	assert_string_equal(used->name, "aio");
	srptd_backend_close(&b);

	/* Everything unavailable: the first engine's reason. */
	setenv("SRPTD_TEST_DISABLE_ENGINE", "sync,io_uring,aio", 1);
	used = NULL;
	assert_int_equal(srptd_backend_open(&b, "io_uring", fb, &p, &used),
			 -ENODEV);
	assert_null(used);
	/* No fallback list. */
	assert_int_equal(srptd_backend_open(&b, "io_uring", NULL, &p, &used),
			 -ENODEV);
	unsetenv("SRPTD_TEST_DISABLE_ENGINE");

	/* Open errors are the device's: no fallback hides them. */
	p.path = "/nonexistent/srptd/dev.img";
	assert_int_equal(srptd_backend_open(&b, "io_uring", fb, &p, &used),
			 -ENOENT);
}

static void test_env_knob_list(void **state)
{
	setenv("SRPTD_TEST_DISABLE_ENGINE", "aio", 1);
	assert_true(bs_engine_disabled_by_env("aio"));
	assert_false(bs_engine_disabled_by_env("io_uring"));
	assert_false(bs_engine_disabled_by_env("ai"));
	setenv("SRPTD_TEST_DISABLE_ENGINE", "sync,null,", 1);
	assert_true(bs_engine_disabled_by_env("null"));
	assert_true(bs_engine_disabled_by_env("sync"));
	assert_false(bs_engine_disabled_by_env("syn"));
	unsetenv("SRPTD_TEST_DISABLE_ENGINE");
	assert_false(bs_engine_disabled_by_env("aio"));
}

static void test_null_engine(void **state)
{
	const struct srptd_backend_ops *ops = srptd_backend_find("null");
	struct srptd_bdev_params p = { .name = "n", .size = 1ull << 40 };
	struct srptd_bdev b;
	struct bst_ctx c;
	struct bst_io t[3];
	struct iovec iov[3];
	uint8_t buf[3][4096];
	unsigned int i;

	assert_int_equal(ops->probe(), 0);
	p.size = 0;
	assert_int_equal(ops->open(&b, &p), -EINVAL);
	p.size = 1000;
	assert_int_equal(ops->open(&b, &p), -EINVAL);
	p.size = 1ull << 40;
	p.block_size = 1024;
	assert_int_equal(ops->open(&b, &p), -EINVAL);
	p.block_size = 4096;
	assert_int_equal(ops->open(&b, &p), 0);
	assert_int_equal(b.fd, -1);
	assert_int_equal(b.size, 1ull << 40);
	assert_int_equal(b.block_size, 4096);
	assert_true(b.can_discard);
	assert_true(b.discard_zeroes);
	b.ops = ops;

	bst_ctx_init(&c, ops, 2);
	memset(buf, 0xff, sizeof(buf));
	for (i = 0; i < 3; i++) {
		iov[i] = (struct iovec){ buf[i], 4096 };
		bst_prep(&t[i], &c, &b, SRPTD_IO_READ, 0, (1ull << 40) - 4096,
			 4096, &iov[i], 1);
	}
	assert_int_equal(ops->submit(c.ctx, &t[0].io), 0);
	assert_int_equal(ops->submit(c.ctx, &t[1].io), 0);
	assert_int_equal(ops->submit(c.ctx, &t[2].io), -EAGAIN);
	assert_false(t[0].done); /* never from inside submit */
	assert_int_equal(bst_wait(&c, 1000), 1);
	assert_int_equal(ops->ctx_poll(c.ctx, 1), 1);
	assert_int_equal(bst_wait(&c, 0), 1); /* one left: still readable */
	assert_int_equal(ops->submit(c.ctx, &t[2].io), 0);
	bst_run_until(&c, &t[1].done);
	bst_run_until(&c, &t[2].done);
	for (i = 0; i < 3; i++) {
		assert_int_equal(t[i].res, 0);
		assert_true(bst_is_zero(buf[i], 4096));
	}
	assert_int_equal(bst_wait(&c, 0), 0);
	assert_int_equal(bst_rw(&c, &b, SRPTD_IO_WRITE, SRPTD_IO_F_FUA, 0,
				buf[0], 4096),
			 0);
	assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_DISCARD, 0, 0, NULL, 0,
				     1 << 20),
			 0);
	assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_FLUSH, 0, 0, NULL, 0, 0),
			 0);
	assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_WRITE_ZEROES, 0, 0, NULL,
				     0, 1 << 20),
			 0);
	bst_ctx_fini(&c);
	ops->close(&b);

	/* Read-only null device rejects writes at submit. */
	p.read_only = true;
	assert_int_equal(ops->open(&b, &p), 0);
	b.ops = ops;
	bst_ctx_init(&c, ops, 4);
	assert_int_equal(bst_rw(&c, &b, SRPTD_IO_WRITE, 0, 0, buf[0], 4096),
			 -EROFS);
	assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_DISCARD, 0, 0, NULL, 0,
				     4096),
			 -EROFS);
	assert_int_equal(bst_rw(&c, &b, SRPTD_IO_READ, 0, 0, buf[0], 4096), 0);
	bst_ctx_fini(&c);
	ops->close(&b);
}

/* Through srptd_backend_open(): the null engine needs no path. */
static void test_null_via_registry(void **state)
{
	struct srptd_bdev_params p = { .name = "scratch", .size = 1 << 30 };
	const struct srptd_backend_ops *used;
	struct srptd_bdev b;

	assert_int_equal(srptd_backend_open(&b, "null", NULL, &p, &used), 0);
	assert_string_equal(used->name, "null");
	assert_string_equal(b.name, "scratch");
	srptd_backend_close(&b);
}

static int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	int st;

	if (!f)
		return -1;
	if (out) {
		out[0] = '\0';
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A real block device: a loop device over a temp file.  Needs root and
 * losetup (util-linux) and a kernel with loop devices; skipped otherwise.
 */
static void test_block_device(void **state)
{
	struct ofx *fx = *state;
	static const char *const engines[] = { "io_uring", "aio", "sync" };
	char cmd[PATH_MAX + 256], loopdev[128];
	uint8_t *buf = bst_alloc(65536);
	const char *unavailable = NULL;
	size_t e;

	if (geteuid() != 0) {
		SRPTD_SKIP("loop device test needs root");
	}
	make_file(fx->path, 16 << 20);
	snprintf(cmd, sizeof(cmd), "losetup --find --show '%s' 2>/dev/null",
		 fx->path);
	if (run_cmd(cmd, loopdev, sizeof(loopdev)) || !loopdev[0]) {
		SRPTD_SKIP("no loop device available (losetup failed)");
	}
	for (e = 0; e < ARRAY_SIZE(engines); e++) {
		const struct srptd_backend_ops *ops =
			srptd_backend_find(engines[e]);
		struct srptd_bdev_params p = { .name = "blk",
					       .path = loopdev,
					       .write_cache = true };
		struct srptd_bdev b;
		struct bst_ctx c;
		int ret;

		ret = ops->probe();
		if (ret) {
			/* The other engines still run; the test then
			 * reports skipped, not passed. */
			unavailable = ops->name;
			continue;
		}
		ret = ops->open(&b, &p);
		if (ret) {
			snprintf(cmd, sizeof(cmd), "losetup -d %s", loopdev);
			run_cmd(cmd, NULL, 0);
		}
		assert_int_equal(ret, 0);
		b.ops = ops;
		assert_true(b.is_blockdev);
		assert_true(b.direct_io);
		assert_int_equal(b.size, 16 << 20);
		assert_true(b.block_size == 512 || b.block_size == 4096);
		assert_true(b.phys_block_size >= b.block_size);
		bst_ctx_init(&c, ops, 8);
		bst_fill(buf, 65536, 1 << 20, (unsigned int)e);
		assert_int_equal(bst_rw(&c, &b, SRPTD_IO_WRITE, SRPTD_IO_F_FUA,
					1 << 20, buf, 65536),
				 0);
		memset(buf, 0, 65536);
		assert_int_equal(bst_rw(&c, &b, SRPTD_IO_READ, 0, 1 << 20, buf,
					65536),
				 0);
		assert_int_equal(
			bst_check(buf, 65536, 1 << 20, (unsigned int)e), -1);
		/* BLKZEROOUT. */
		assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_WRITE_ZEROES, 0,
					     (1 << 20) + 8192, NULL, 0, 16384),
				 0);
		assert_int_equal(bst_rw(&c, &b, SRPTD_IO_READ, 0, 1 << 20, buf,
					65536),
				 0);
		assert_int_equal(bst_check(buf, 8192, 1 << 20, (unsigned int)e),
				 -1);
		assert_true(bst_is_zero(buf + 8192, 16384));
		/* BLKDISCARD (loop devices punch holes in the backing file). */
		if (b.can_discard)
			assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_DISCARD,
						     0, 2 << 20, NULL, 0,
						     1 << 20),
					 0);
		assert_int_equal(bst_io_sync(&c, &b, SRPTD_IO_FLUSH, 0, 0, NULL,
					     0, 0),
				 0);
		bst_ctx_fini(&c);
		ops->close(&b);
	}
	snprintf(cmd, sizeof(cmd), "losetup -d %s", loopdev);
	assert_int_equal(run_cmd(cmd, NULL, 0), 0);
	free(buf);
	if (unavailable)
		SRPTD_SKIP(
			"engine %s unavailable here: not tried on a block device",
			unavailable);
}

/*
 * A block device with 4096-byte logical blocks: 512-byte exports are
 * refused (the initiator could address half sectors), the default follows
 * the device.
 */
static void test_block_device_4k(void **state)
{
	struct ofx *fx = *state;
	const struct srptd_backend_ops *ops = srptd_backend_find("sync");
	char cmd[PATH_MAX + 256], loopdev[128];
	struct srptd_bdev_params p = { .name = "blk4k", .block_size = 512 };
	uint8_t *buf = bst_alloc(8192);
	struct srptd_bdev b;
	struct bst_ctx c;
	int ret;

	if (geteuid() != 0) {
		SRPTD_SKIP("loop device test needs root");
	}
	make_file(fx->path, 8 << 20);
	snprintf(cmd, sizeof(cmd),
		 "losetup --sector-size 4096 --find --show '%s' 2>/dev/null",
		 fx->path);
	if (run_cmd(cmd, loopdev, sizeof(loopdev)) || !loopdev[0]) {
		SRPTD_SKIP("no 4K loop device available (losetup failed)");
	}
	p.path = loopdev;
	ret = ops->open(&b, &p);
	if (ret != -EINVAL) {
		if (!ret)
			ops->close(&b);
		ret = -EPROTO; /* a 512-byte export must be refused */
		goto out;
	}
	p.block_size = 0;
	ret = ops->open(&b, &p);
	if (ret)
		goto out;
	b.ops = ops;
	ret = -EPROTO;
	if (b.block_size != 4096 || b.phys_block_size < 4096 ||
	    b.size != 8 << 20) {
		ops->close(&b);
		goto out;
	}
	bst_ctx_init(&c, ops, 4);
	bst_fill(buf, 8192, 4096, 13);
	ret = bst_rw(&c, &b, SRPTD_IO_WRITE, 0, 4096, buf, 8192);
	if (!ret) {
		memset(buf, 0, 8192);
		ret = bst_rw(&c, &b, SRPTD_IO_READ, 0, 4096, buf, 8192);
	}
	if (!ret && bst_check(buf, 8192, 4096, 13) != -1)
		ret = -EIO;
	bst_ctx_fini(&c);
	ops->close(&b);
out:
	/* Detach before asserting so a failure does not leak the device. */
	snprintf(cmd, sizeof(cmd), "losetup -d %s", loopdev);
	assert_int_equal(run_cmd(cmd, NULL, 0), 0);
	assert_int_equal(ret, 0);
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ofx_setup, ofx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_sparse),
		T(test_mem_backed),
		T(test_open_errors),
		T(test_open_size_rules),
		T(test_resize),
		T(test_iov_tail),
		T(test_registry_find),
		T(test_fallback_chain),
		T(test_env_knob_list),
		T(test_null_engine),
		T(test_null_via_registry),
		T(test_block_device),
		T(test_block_device_4k),
	};

	return srptd_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}
