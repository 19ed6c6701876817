/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The rbd engine against a real Ceph cluster: tests/lib/ceph-cluster.sh
 * starts one (mon + memstore OSD on 127.0.0.1), creates pool "rbd" and
 * runs this program with CEPH_CONF set (ctest registers it that way).
 * Each test makes its own image through librbd and checks what the engine
 * wrote through a second, independent librbd handle.  The engine contract
 * tests that every engine passes run over rbd in test_engines.c
 * (backend_test_engines_rbd); these are the rbd engine's own: compare and
 * write, discard and write zeroes as librbd does them, resize, open
 * errors, when librbd's cache acknowledges a write, and -- last -- the
 * cluster stopped under I/O, which must fail within ceph_timeout instead
 * of hanging the worker.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <rbd/librbd.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "bs_test_util.h"
#include "rados_fixture.h"
#include "test_skip.h"

#define IMG_SIZE (8u << 20)
#define TIMEOUT_S 3 /* ceph_timeout of the test devices */

/* The test's own librados handle on pool "rbd" (independent checks). */
static struct rados_fx g_rados;
static unsigned int g_seq;
static bool g_cluster_gone; /* test_cluster_lost() stopped it */
static pid_t g_osd_stopped; /* test_write_back() froze this OSD */

struct fx {
	const struct srptd_backend_ops *ops;
	char spec[64]; /* "rbd/tN" */
	char name[32]; /* "tN" */
	struct srptd_bdev bdev;
	bool opened;
	struct bst_ctx c;
};

static int group_setup(void **state)
{
	(void)state;
	return rados_fx_connect(&g_rados, "rbd") ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rados_fx_disconnect(&g_rados);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int order = 0;

	assert_non_null(fx);
	fx->ops = srptd_backend_find("rbd");
	assert_non_null(fx->ops);
	assert_int_equal(fx->ops->probe(), 0);
	snprintf(fx->name, sizeof(fx->name), "t%u", g_seq++);
	snprintf(fx->spec, sizeof(fx->spec), "rbd/%s", fx->name);
	assert_int_equal(rbd_create(g_rados.ioctx, fx->name, IMG_SIZE, &order),
			 0);
	fx->c.epfd = -1;
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	/* A failed assertion must not leave the OSD frozen. */
	if (g_osd_stopped)
		kill(g_osd_stopped, SIGCONT);
	g_osd_stopped = 0;
	bst_ctx_fini(&fx->c);
	if (fx->opened)
		fx->ops->close(&fx->bdev);
	/* The cluster may be gone (last test): nothing to remove then. */
	if (!g_cluster_gone)
		assert_int_equal(rbd_remove(g_rados.ioctx, fx->name), 0);
	free(fx);
	return 0;
}

static struct srptd_bdev_params fx_params(struct fx *fx, uint32_t bs, bool ro,
					  bool wc)
{
	return (struct srptd_bdev_params){
		.name = "t",
		.path = fx->spec,
		.block_size = bs,
		.read_only = ro,
		.write_cache = wc,
		.ceph_timeout = TIMEOUT_S,
	};
}

static void fx_open_p(struct fx *fx, const struct srptd_bdev_params *p)
{
	if (fx->opened)
		fx->ops->close(&fx->bdev);
	fx->opened = false;
	assert_int_equal(fx->ops->open(&fx->bdev, p), 0);
	fx->opened = true;
	fx->bdev.ops = fx->ops;
	assert_int_equal(fx->bdev.fd, -1);
	if (!fx->c.ctx)
		bst_ctx_init(&fx->c, fx->ops, 32);
}

static void fx_open(struct fx *fx, uint32_t bs, bool ro, bool wc)
{
	struct srptd_bdev_params p = fx_params(fx, bs, ro, wc);

	fx_open_p(fx, &p);
}

/* Through a second librbd handle, independently of the engine. */
static void img_read(struct fx *fx, void *buf, size_t len, uint64_t off)
{
	rbd_image_t img;

	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_read(img, off, len, buf), (ssize_t)len);
	rbd_close(img);
}

static void img_write(struct fx *fx, const void *buf, size_t len, uint64_t off)
{
	rbd_image_t img;

	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_write(img, off, len, buf), (ssize_t)len);
	assert_int_equal(rbd_flush(img), 0);
	rbd_close(img);
}

/* One COMPARE_WRITE of len bytes at off: verify then write data in buf. */
static int compare_write(struct fx *fx, uint64_t off, uint8_t *buf,
			 uint64_t len, uint64_t *miscompare)
{
	struct iovec iov = { buf, 2 * len };
	struct bst_io t;
	int ret;

	bst_prep(&t, &fx->c, &fx->bdev, SRPTD_IO_COMPARE_WRITE, SRPTD_IO_F_FUA,
		 off, len, &iov, 1);
	ret = fx->ops->submit(fx->c.ctx, &t.io);
	if (ret)
		return ret;
	bst_run_until(&fx->c, &t.done);
	*miscompare = t.io.miscompare;
	return t.res;
}

/*
 * COMPARE_WRITE is librbd's compare-and-write: it writes on a match,
 * reports the offset of the first differing byte on a mismatch, and is
 * refused (-EOPNOTSUPP) beyond one 512-byte sector, which librbd 16
 * rejects.
 */
static void test_compare_write(void **state)
{
	struct fx *fx = *state;
	const uint64_t off = 8192, len = 512;
	uint8_t *buf = bst_alloc(4 * len), *chk = bst_alloc(len);
	uint64_t mis = ~0ull, want;

	fx_open(fx, 512, false, true);
	assert_true(fx->bdev.can_compare_write);
	bst_fill(chk, len, off, 5);
	img_write(fx, chk, len, off);
	bst_fill(buf, len, off, 5);
	bst_fill(buf + len, len, off, 6);
	assert_int_equal(compare_write(fx, off, buf, len, &mis), 0);
	img_read(fx, chk, len, off);
	assert_int_equal(bst_check(chk, len, off, 6), -1);

	/* The verify data is seed 5 again: it differs from seed 6 there. */
	for (want = 0; bst_byte(off + want, 5) == bst_byte(off + want, 6);
	     want++)
		;
	assert_true(want < len);
	assert_int_equal(compare_write(fx, off, buf, len, &mis), -EILSEQ);
	assert_int_equal(mis, want);
	img_read(fx, chk, len, off);
	assert_int_equal(bst_check(chk, len, off, 6), -1);
	/* A later first difference: the offset follows it. */
	bst_fill(buf, len, off, 6);
	buf[377] ^= 0xff;
	assert_int_equal(compare_write(fx, off, buf, len, &mis), -EILSEQ);
	assert_int_equal(mis, 377);

	/* Two sectors: not in one librbd call; the caller falls back. */
	assert_int_equal(compare_write(fx, off, buf, 2 * len, &mis),
			 -EOPNOTSUPP);

	fx_open(fx, 512, true, true);
	assert_false(fx->bdev.can_compare_write);
	free(buf);
	free(chk);
}

/* WRITE_ZEROES (WRITE SAME) zeroes; DISCARD (UNMAP) is accepted. */
static void test_discard_and_write_zeroes(void **state)
{
	struct fx *fx = *state;
	const size_t len = 1 << 20;
	uint8_t *buf = bst_alloc(len);

	fx_open(fx, 4096, false, true);
	assert_true(fx->bdev.can_discard);
	/* librbd may skip unaligned parts of a discard: no LBPRZ. */
	assert_false(fx->bdev.discard_zeroes);
	bst_fill(buf, len, 0, 3);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, buf, len), 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_WRITE_ZEROES,
				     0, 4096, NULL, 0, 12288),
			 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_DISCARD, 0,
				     65536, NULL, 0, 65536),
			 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_WRITE_ZEROES,
				     SRPTD_IO_F_FUA, 131072, NULL, 0, 4096),
			 0);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_READ, 0, 0, buf, len), 0);
	assert_int_equal(bst_check(buf, 4096, 0, 3), -1);
	assert_true(bst_is_zero(buf + 4096, 12288));
	assert_int_equal(bst_check(buf + 16384, 65536 - 16384, 16384, 3), -1);
	assert_true(bst_is_zero(buf + 131072, 4096));
	assert_int_equal(bst_check(buf + 135168, len - 135168, 135168, 3), -1);
	free(buf);
}

/*
 * resize(0) picks up an image grown by another client ("rbd resize");
 * a larger size grows the image; a smaller one exports a prefix.
 */
static void test_resize(void **state)
{
	struct fx *fx = *state;
	uint8_t *buf = bst_alloc(4096);
	rbd_image_t img;
	uint64_t sz;

	fx_open(fx, 512, false, true);
	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_resize(img, 2ull * IMG_SIZE), 0);
	rbd_close(img);
	assert_int_equal(fx->ops->resize(&fx->bdev, 0), 0);
	assert_int_equal(fx->bdev.size, 2ull * IMG_SIZE);
	bst_fill(buf, 4096, 0, 7);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE,
				SRPTD_IO_F_FUA, 2ull * IMG_SIZE - 4096, buf,
				4096),
			 0);
	assert_int_equal(fx->ops->resize(&fx->bdev, 3ull * IMG_SIZE), 0);
	assert_int_equal(fx->bdev.size, 3ull * IMG_SIZE);
	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_get_size(img, &sz), 0);
	rbd_close(img);
	assert_int_equal(sz, 3ull * IMG_SIZE);
	assert_int_equal(fx->ops->resize(&fx->bdev, IMG_SIZE), 0);
	assert_int_equal(fx->bdev.size, IMG_SIZE);
	assert_int_equal(fx->ops->resize(&fx->bdev, 1000), -EINVAL);
	free(buf);
}

/* Missing image or pool, bad spec, wrong size: clear errors at open. */
static void test_open_errors(void **state)
{
	struct fx *fx = *state;
	struct srptd_bdev_params p = fx_params(fx, 512, false, true);
	struct srptd_bdev b;

	p.path = "rbd/no-such-image";
	assert_int_equal(fx->ops->open(&b, &p), -ENOENT);
	p.path = "nopool/img";
	assert_int_equal(fx->ops->open(&b, &p), -ENOENT);
	p.path = "just-a-name";
	assert_int_equal(fx->ops->open(&b, &p), -EINVAL);
	p.path = fx->spec;
	p.size = 2ull * IMG_SIZE;
	assert_int_equal(fx->ops->open(&b, &p), -EINVAL);
	p.size = 1000;
	assert_int_equal(fx->ops->open(&b, &p), -EINVAL);
	p.size = IMG_SIZE / 2;
	assert_int_equal(fx->ops->open(&b, &p), 0);
	assert_int_equal(b.size, IMG_SIZE / 2);
	fx->ops->close(&b);
	p.size = 0;
	p.block_size = 1024;
	assert_int_equal(fx->ops->open(&b, &p), -EINVAL);
	p.block_size = 512;
	p.ceph_conf = "/nonexistent/ceph.conf";
	assert_true(fx->ops->open(&b, &p) < 0);
}

/* Wait up to ms for t to complete, reaping completions; t->done. */
static bool wait_done(struct fx *fx, struct bst_io *t, int ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	while (!t->done) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((b.tv_sec - a.tv_sec) * 1000 +
			    (b.tv_nsec - a.tv_nsec) / 1000000 >=
		    ms)
			break;
		if (bst_wait(&fx->c, 100))
			fx->ops->ctx_poll(fx->c.ctx, 16);
	}
	return t->done;
}

/* Whether one /proc/PID/task/TID/stat says the thread is stopped. */
static bool task_stopped(const char *stat)
{
	char buf[512], *p;
	FILE *f = fopen(stat, "r");
	size_t n;

	if (!f)
		return true; /* the thread is gone: it answers nothing */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* "tid (comm) S ...": the state follows the last ')'. */
	p = strrchr(buf, ')');
	return p && (p[2] == 'T' || p[2] == 't');
}

/* Wait up to 10 s until every thread of pid is stopped. */
static bool osd_wait_stopped(int pid)
{
	char path[PATH_MAX];

	for (int i = 0; i < 1000; i++) {
		struct dirent *e;
		bool all = true;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		d = opendir(path);
		if (!d)
			return false;
		while (all && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%s/stat",
				 pid, e->d_name);
			all = task_stopped(path);
		}
		closedir(d);
		if (all)
			return true;
		usleep(10000);
	}
	return false;
}

/* SIGSTOP or SIGCONT the test cluster's OSD (ceph-cluster.sh's pid file). */
static void osd_signal(int sig)
{
	const char *dir = getenv("SRPTD_CEPH_DIR");
	char path[PATH_MAX];
	FILE *f;
	int pid = 0;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/run/osd.0.pid", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	assert_int_equal(kill(pid, sig), 0);
	g_osd_stopped = sig == SIGSTOP ? pid : 0;
	/*
	 * kill() returns before the OSD's threads have stopped: on a busy
	 * host the OSD could still answer the write submitted next, and a
	 * write-through device would then look as if acknowledged early.
	 */
	if (sig == SIGSTOP)
		assert_true(osd_wait_stopped(pid));
}

/*
 * One write while the OSD is frozen (SIGSTOP), on a device in cache mode
 * mode.  The OSD is resumed before returning; the write and the flush
 * after it must then succeed and the image hold the data.  Returns
 * whether the write completed while the OSD was frozen.
 */
static bool write_osd_frozen(struct fx *fx, bool wc, uint8_t seed)
{
	struct srptd_bdev_params p = fx_params(fx, 512, false, wc);
	uint8_t *buf = bst_alloc(4096), *back = bst_alloc(4096);
	struct iovec iov = { buf, 4096 };
	struct bst_io w, f = { 0 };
	bool early, flushed;

	/* Longer than the freeze: no operation may time out here. */
	p.ceph_timeout = 30;
	fx_open_p(fx, &p);
	/* The first write takes the image's exclusive lock (OSD needed). */
	bst_fill(buf, 4096, 0, seed);
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 4096, buf,
				4096),
			 0);
	assert_int_equal(bst_io_sync(&fx->c, &fx->bdev, SRPTD_IO_FLUSH, 0, 0,
				     NULL, 0, 0),
			 0);
	bst_fill(buf, 4096, 0, seed + 1);
	osd_signal(SIGSTOP);
	bst_prep(&w, &fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, 4096, &iov, 1);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &w.io), 0);
	early = wait_done(fx, &w, wc ? 5000 : 1000);
	flushed = false;
	if (early) {
		assert_int_equal(w.res, 0);
		/* The flush needs the OSD: it waits for the thaw. */
		bst_prep(&f, &fx->c, &fx->bdev, SRPTD_IO_FLUSH, 0, 0, 0, NULL,
			 0);
		assert_int_equal(fx->ops->submit(fx->c.ctx, &f.io), 0);
		flushed = wait_done(fx, &f, 500);
	}
	osd_signal(SIGCONT);
	bst_run_until(&fx->c, &w.done);
	assert_int_equal(w.res, 0);
	if (early) {
		assert_false(flushed);
		bst_run_until(&fx->c, &f.done);
		assert_int_equal(f.res, 0);
	}
	img_read(fx, back, 4096, 0);
	assert_memory_equal(back, buf, 4096);
	free(back);
	free(buf);
	return early;
}

/*
 * write_cache = true: librbd's write-around cache acknowledges a write
 * before the OSD has it, from the first write on, and only a flush waits
 * for the OSD (the initiator was told the cache is volatile).  Without
 * the engine's rbd_cache_writethrough_until_flush = false, librbd would
 * wait for the OSD until the device's first flush -- the flush above is
 * the engine's own and counts, so it is done on a fresh device below.
 * write_cache = false: the write waits for the OSD.
 */
static void test_write_back(void **state)
{
	struct fx *fx = *state;
	struct srptd_bdev_params p = fx_params(fx, 512, false, true);
	uint8_t *buf = bst_alloc(4096);
	struct iovec iov = { buf, 4096 };
	struct bst_io w;
	bool early;

	assert_true(write_osd_frozen(fx, true, 20));
	assert_false(write_osd_frozen(fx, false, 30));

	/* A fresh write-back device that never flushed: early too. */
	p.ceph_timeout = 30;
	fx_open_p(fx, &p);
	bst_fill(buf, 4096, 0, 40);
	/* Take the exclusive lock with a write on another object. */
	assert_int_equal(bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0,
				IMG_SIZE - 4096, buf, 4096),
			 0);
	osd_signal(SIGSTOP);
	bst_prep(&w, &fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 8192, 4096, &iov, 1);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &w.io), 0);
	early = wait_done(fx, &w, 5000);
	osd_signal(SIGCONT);
	bst_run_until(&fx->c, &w.done);
	assert_int_equal(w.res, 0);
	assert_true(early);
	free(buf);
}

/* A configuration whose monitor nobody answers: open fails in time. */
static void test_open_cluster_down(void **state)
{
	struct fx *fx = *state;
	struct srptd_bdev_params p = fx_params(fx, 512, false, true);
	char conf[PATH_MAX];
	struct srptd_bdev b;
	time_t start;
	FILE *f;
	int ret;

	snprintf(conf, sizeof(conf), "%s/down.conf",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	f = fopen(conf, "w");
	assert_non_null(f);
	/* Port 9 (discard): closed on a test host, so nothing answers. */
	fprintf(f, "[global]\nmon host = v2:127.0.0.1:9\n"
		   "auth client required = none\n");
	fclose(f);
	p.ceph_conf = conf;
	start = time(NULL);
	ret = fx->ops->open(&b, &p);
	assert_true(ret < 0);
	assert_true(time(NULL) - start <= 3 * TIMEOUT_S);
	unlink(conf);
}

/*
 * The cluster dies under a running device: I/O fails with an error
 * within the timeout (the SCSI layer turns it into sense data) and
 * neither submit() nor ctx_poll() blocks.  Stops the cluster: last test.
 */
static void test_cluster_lost(void **state)
{
	struct fx *fx = *state;
	const char *script = getenv("SRPTD_CEPH_SCRIPT");
	const char *dir = getenv("SRPTD_CEPH_DIR");
	uint8_t *buf = bst_alloc(4096);
	struct bst_io t;
	struct iovec iov = { buf, 4096 };
	char cmd[PATH_MAX * 2 + 16];
	struct timespec a, b;
	time_t start;

	assert_non_null(script);
	assert_non_null(dir);
	/* Write-through: no librbd cache can answer for the cluster. */
	fx_open(fx, 512, false, false);
	bst_fill(buf, 4096, 0, 9);
	assert_int_equal(
		bst_rw(&fx->c, &fx->bdev, SRPTD_IO_WRITE, 0, 0, buf, 4096), 0);
	snprintf(cmd, sizeof(cmd), "'%s' kill '%s'", script, dir);
	g_cluster_gone = true;
	assert_int_equal(system(cmd), 0);
	bst_prep(&t, &fx->c, &fx->bdev, SRPTD_IO_READ, 0, 1 << 20, 4096, &iov,
		 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(fx->ops->submit(fx->c.ctx, &t.io), 0);
	assert_int_equal(fx->ops->ctx_poll(fx->c.ctx, 16), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 1);
	start = time(NULL);
	while (!t.done) {
		assert_true(time(NULL) - start <= 4 * TIMEOUT_S);
		if (bst_wait(&fx->c, 1000))
			fx->ops->ctx_poll(fx->c.ctx, 16);
	}
	assert_true(t.res < 0);
	printf("read with the cluster gone: %s after %lds\n", strerror(-t.res),
	       (long)(time(NULL) - start));
	free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_discard_and_write_zeroes),
		T(test_compare_write),
		T(test_resize),
		T(test_open_errors),
		T(test_open_cluster_down),
		T(test_write_back),
		T(test_cluster_lost), /* last: stops the cluster */
	};

	return srptd_test_status(cmocka_run_group_tests_name(
		"rbd", tests, group_setup, group_teardown));
}
