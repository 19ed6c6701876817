/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * End to end over the loopback fabric with an RBD image behind the LU:
 * the test initiator logs in to the SRP engine, whose worker submits to
 * the rbd engine on a real Ceph cluster (tests/lib/ceph-cluster.sh runs
 * this program; doc/ceph.md).  Writes are read back through SRP and
 * through an independent librbd handle; WRITE SAME zeroes; and when the
 * cluster is killed, commands end with CHECK CONDITION, HARDWARE ERROR /
 * INTERNAL TARGET FAILURE within ceph_timeout while the worker keeps
 * answering commands that need no I/O.  Another client resizing the image
 * wakes the engine's watch fd, and after what the daemon does then
 * (src/devices.c device_on_watch: resize(bdev, 0), then
 * srp_engine_resize_lu) the initiator gets CAPACITY DATA HAS CHANGED and
 * the new capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <rbd/librbd.h>

#include "rados_fixture.h"
#include "test_skip.h"
#include "srp_env.h"

#define TIMEOUT_S 3 /* the device's ceph_timeout */

static struct rados_fx g_rados;
static unsigned int g_seq;
static bool g_cluster_gone;

struct rfx {
	struct srp_env env;
	char name[32];
	char spec[64];
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

static int setup(void **state)
{
	struct rfx *fx = calloc(1, sizeof(*fx));
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	int order = 0;

	assert_non_null(fx);
	snprintf(fx->name, sizeof(fx->name), "e2e%u", g_seq++);
	snprintf(fx->spec, sizeof(fx->spec), "rbd/%s", fx->name);
	assert_int_equal(rbd_create(g_rados.ioctx, fx->name, DEV_SIZE, &order),
			 0);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 128;
	srp_env_start(&fx->env, &ep, 1024);
	bp.name = "rbd-e2e";
	bp.path = fx->spec;
	bp.block_size = 512;
	bp.write_cache = true;
	bp.ceph_timeout = TIMEOUT_S;
	assert_int_equal(
		srptd_backend_open(&fx->env.bdev, "rbd", NULL, &bp, &used), 0);
	assert_int_equal(fx->env.bdev.size, DEV_SIZE);
	srp_env_export(&fx->env, "RBD DISK", false);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct rfx *fx = *state;

	srp_env_stop(&fx->env);
	srptd_backend_close(&fx->env.bdev);
	loop_destroy(fx->env.loop);
	if (!g_cluster_gone)
		assert_int_equal(rbd_remove(g_rados.ioctx, fx->name), 0);
	free(fx);
	return 0;
}

static struct srp_ti *login(struct srp_env *env)
{
	struct srp_ti_params p;

	srp_env_ti_params(&p, 1, 4 * MIB);
	return srp_env_login(env, 0, &p);
}

static void fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i += 4)
		put_be32(p + i, seed * 2654435761u + i);
}

static void run_rw(struct srp_env *env, struct srp_ti *ti, bool write,
		   enum srp_ti_desc desc, unsigned int nd, uint32_t mem_off,
		   uint32_t lba, uint32_t len, struct srp_ti_cmd *c)
{
	memset(c, 0, sizeof(*c));
	srp_env_cdb_rw10(c->cdb, write, lba, (uint16_t)(len / 512));
	c->dir = write ? 1 : 2;
	c->desc = desc;
	c->ndesc = nd;
	c->ndesc_in_iu = nd;
	c->mem_off = mem_off;
	c->len = len;
	srp_env_run_cmd(env, ti, c);
}

/* Written through SRP: read back through SRP and from the image. */
static void test_rbd_write_read(void **state)
{
	struct rfx *fx = *state;
	struct srp_env *env = &fx->env;
	struct srp_ti *ti = login(env);
	static struct srp_ti_cmd c[32];
	uint8_t *m = srp_ti_mem(ti);
	uint8_t *img_buf = malloc(MIB);
	struct srp_ti_cmd one;
	rbd_image_t img;

	assert_non_null(img_buf);
	srp_env_clear_ua(env, ti);
	run_rw(env, ti, true, SRP_TI_DIRECT, 1, 0, 2048, MIB, &one);
	fill_pattern(m, MIB, 1);
	run_rw(env, ti, true, SRP_TI_INDIRECT, 8, 0, 2048, MIB, &one);
	assert_int_equal(one.status, SAM_STAT_GOOD);
	memset(m + 2 * MIB, 0, MIB);
	run_rw(env, ti, false, SRP_TI_DIRECT, 1, 2 * MIB, 2048, MIB, &one);
	assert_int_equal(one.status, SAM_STAT_GOOD);
	assert_memory_equal(m, m + 2 * MIB, MIB);

	/* 32 x 32 KiB writes in flight at once over the first MiB. */
	fill_pattern(m, MIB, 2);
	for (int i = 0; i < 32; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, true, i * 64, 64);
		c[i].dir = 1;
		c[i].desc = SRP_TI_DIRECT;
		c[i].mem_off = i * 32768;
		c[i].len = 32768;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	for (int i = 0; i < 32; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     10000));
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	/* SYNCHRONIZE CACHE (10): then another client sees the data. */
	memset(&one, 0, sizeof(one));
	one.cdb[0] = 0x35;
	srp_env_run_cmd(env, ti, &one);
	assert_int_equal(one.status, SAM_STAT_GOOD);
	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_read(img, 0, MIB, (char *)img_buf), MIB);
	assert_memory_equal(img_buf, m, MIB);
	assert_int_equal(rbd_read(img, 2048ull * 512, MIB, (char *)img_buf),
			 MIB);
	rbd_close(img);
	fill_pattern(m + 2 * MIB, MIB, 1);
	assert_memory_equal(img_buf, m + 2 * MIB, MIB);
	free(img_buf);
}

/* WRITE SAME (16) of a zero block over written data reads back zeroes. */
static void test_rbd_write_same_zeroes(void **state)
{
	struct rfx *fx = *state;
	struct srp_env *env = &fx->env;
	struct srp_ti *ti = login(env);
	uint8_t *m = srp_ti_mem(ti);
	struct srp_ti_cmd c;

	srp_env_clear_ua(env, ti);
	fill_pattern(m, 65536, 3);
	run_rw(env, ti, true, SRP_TI_DIRECT, 1, 0, 100, 65536, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0x93; /* WRITE SAME (16): 32 blocks at LBA 108 */
	put_be64(c.cdb + 2, 108);
	put_be32(c.cdb + 10, 32);
	c.dir = 1;
	c.desc = SRP_TI_DIRECT;
	c.mem_off = 3 * MIB;
	c.len = 512;
	memset(m + 3 * MIB, 0, 512);
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	run_rw(env, ti, false, SRP_TI_DIRECT, 1, 2 * MIB, 100, 65536, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_memory_equal(m + 2 * MIB, m, 8 * 512);
	for (int i = 8 * 512; i < 40 * 512; i++)
		assert_int_equal(m[2 * MIB + i], 0);
	assert_memory_equal(m + 2 * MIB + 40 * 512, m + 40 * 512,
			    65536 - 40 * 512);
}

/* COMPARE AND WRITE of n blocks at lba, data-out at mem_off 0. */
static void run_caw(struct srp_env *env, struct srp_ti *ti, uint64_t lba,
		    uint8_t n, struct srp_ti_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = 0x89;
	put_be64(c->cdb + 2, lba);
	c->cdb[13] = n;
	c->dir = 1;
	c->desc = SRP_TI_DIRECT;
	c->len = 2u * n * 512;
	srp_env_run_cmd(env, ti, c);
}

/*
 * COMPARE AND WRITE on rbd: one block is librbd's compare-and-write (in
 * the OSD, atomic against other hosts too), two blocks the LU's own
 * read-compare-write; both write on a match and report MISCOMPARE with
 * INFORMATION = the offset of the first differing byte, and another
 * client of the image sees the result.
 */
static void test_rbd_caw(void **state)
{
	struct rfx *fx = *state;
	struct srp_env *env = &fx->env;
	struct srp_ti *ti = login(env);
	uint8_t *m = srp_ti_mem(ti), img_buf[1024];
	struct srp_ti_cmd c;
	rbd_image_t img;

	srp_env_clear_ua(env, ti);
	for (uint8_t n = 1; n <= 2; n++) {
		uint32_t len = n * 512u;
		uint64_t lba = 1000 + n * 8;

		/* The image holds zeroes there. */
		memset(m, 0, len);
		fill_pattern(m + len, len, 10 + n);
		run_caw(env, ti, lba, n, &c);
		assert_int_equal(c.status, SAM_STAT_GOOD);
		/* Again: the verify data (zeroes) no longer matches. */
		memset(m, 0, len);
		memcpy(m, m + len, 300 + n);
		run_caw(env, ti, lba, n, &c);
		assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
		assert_true(c.sense_len >= 14);
		assert_int_equal(c.sense[2] & 0x0f, 0x0e); /* MISCOMPARE */
		assert_int_equal(c.sense[12], 0x1d);
		assert_int_equal(c.sense[13], 0x00);
		assert_true(c.sense[0] & 0x80); /* VALID: INFORMATION set */
		assert_int_equal(get_be32(c.sense + 3), 300 + n);
		/* SYNCHRONIZE CACHE (10), then another client looks. */
		memset(&c, 0, sizeof(c));
		c.cdb[0] = 0x35;
		srp_env_run_cmd(env, ti, &c);
		assert_int_equal(c.status, SAM_STAT_GOOD);
		assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL),
				 0);
		assert_int_equal(rbd_read(img, lba * 512, len, (char *)img_buf),
				 len);
		rbd_close(img);
		assert_memory_equal(img_buf, m + len, len);
	}
}

/*
 * Resize the image through the test's own librbd handle, wait for the
 * engine's watch fd (no sleep: poll), and do what src/devices.c does on
 * it: clear it, re-read the size, and hand the LU's new capacity to the
 * SRP engine (daemon.c daemon_on_lu_resized).
 */
static void resize_elsewhere(struct rfx *fx, uint64_t size)
{
	struct srptd_bdev *b = &fx->env.bdev;
	struct pollfd pfd = { .fd = b->ops->watch_fd(b), .events = POLLIN };
	rbd_image_t img;
	uint64_t n;

	assert_true(pfd.fd >= 0);
	assert_int_equal(rbd_open(g_rados.ioctx, fx->name, &img, NULL), 0);
	assert_int_equal(rbd_resize(img, size), 0);
	rbd_close(img);
	assert_int_equal(poll(&pfd, 1, 20000), 1);
	assert_int_equal(read(pfd.fd, &n, sizeof(n)), sizeof(n));
	assert_int_equal(b->ops->resize(b, 0), 0);
	assert_int_equal(b->size, size);
	assert_int_equal(
		srp_engine_resize_lu(fx->env.e, fx->env.lu, b->size / 512), 0);
}

/* The initiator's next READ CAPACITY: 06/2A/09 once, then nblocks. */
static void expect_capacity_changed(struct srp_env *env, struct srp_ti *ti,
				    uint64_t nblocks)
{
	uint8_t *m = srp_ti_mem(ti);
	struct srp_ti_cmd c;

	srp_env_read_capacity16(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_true(c.sense_len >= 14);
	assert_int_equal(c.sense[2] & 0x0f, 0x06); /* UNIT ATTENTION */
	assert_int_equal(c.sense[12], 0x2a);
	assert_int_equal(c.sense[13], 0x09); /* CAPACITY DATA HAS CHANGED */
	srp_env_read_capacity16(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(get_be64(m), nblocks - 1);
}

/*
 * Another client grows the image, then shrinks it back: the LU follows
 * both (doc/ceph.md, Resize).  A device with a fixed size has no watch.
 */
static void test_rbd_resize_elsewhere(void **state)
{
	struct rfx *fx = *state;
	struct srp_env *env = &fx->env;
	struct srp_ti *ti = login(env);
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	struct srptd_bdev fixed;

	srp_env_clear_ua(env, ti);
	resize_elsewhere(fx, 2 * DEV_SIZE);
	expect_capacity_changed(env, ti, 2 * DEV_SIZE / 512);
	resize_elsewhere(fx, DEV_SIZE);
	expect_capacity_changed(env, ti, DEV_SIZE / 512);

	bp.name = "rbd-fixed";
	bp.path = fx->spec;
	bp.size = DEV_SIZE / 2;
	bp.ceph_timeout = TIMEOUT_S;
	assert_int_equal(srptd_backend_open(&fixed, "rbd", NULL, &bp, &used),
			 0);
	assert_int_equal(fixed.ops->watch_fd(&fixed), -1);
	srptd_backend_close(&fixed);
}

/*
 * The cluster dies: a READ ends with CHECK CONDITION, 04/44/00, within
 * the timeout, and the worker still answers TEST UNIT READY at once.
 * Stops the cluster: last test.
 */
static void test_rbd_cluster_lost(void **state)
{
	struct rfx *fx = *state;
	struct srp_env *env = &fx->env;
	struct srp_ti *ti = login(env);
	const char *script = getenv("SRPTD_CEPH_SCRIPT");
	const char *dir = getenv("SRPTD_CEPH_DIR");
	char cmd[PATH_MAX * 2 + 16];
	struct srp_ti_cmd r = { 0 }, tur = { 0 };
	time_t start;

	assert_non_null(script);
	assert_non_null(dir);
	srp_env_clear_ua(env, ti);
	g_cluster_gone = true;
	snprintf(cmd, sizeof(cmd), "'%s' kill '%s'", script, dir);
	assert_int_equal(system(cmd), 0);
	/* A block never read, so no cache can answer for the cluster. */
	srp_env_cdb_rw10(r.cdb, false, 40000, 8);
	r.dir = 2;
	r.desc = SRP_TI_DIRECT;
	r.len = 4096;
	start = time(NULL);
	assert_int_equal(srp_ti_submit(ti, &r), 0);
	/* The worker is not blocked: a command without I/O completes now. */
	srp_env_run_cmd(env, ti, &tur);
	assert_int_equal(tur.status, SAM_STAT_GOOD);
	assert_false(r.done);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &r,
				     4 * TIMEOUT_S * 1000));
	assert_true(time(NULL) - start <= 4 * TIMEOUT_S);
	assert_int_equal(r.status, SAM_STAT_CHECK_CONDITION);
	assert_true(r.sense_len >= 14);
	assert_int_equal(r.sense[2] & 0x0f, 0x04); /* HARDWARE ERROR */
	assert_int_equal(r.sense[12], 0x44); /* INTERNAL TARGET FAILURE */
	assert_int_equal(r.sense[13], 0x00);
	printf("READ with the cluster gone: sense 04/44/00 after %lds\n",
	       (long)(time(NULL) - start));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rbd_write_read),	      T(test_rbd_write_same_zeroes),
		T(test_rbd_resize_elsewhere), T(test_rbd_caw),
		T(test_rbd_cluster_lost), /* last: stops the cluster */
	};

	return srptd_test_status(cmocka_run_group_tests_name(
		"srp_rbd", tests, group_setup, group_teardown));
}
