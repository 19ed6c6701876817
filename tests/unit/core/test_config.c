/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Configuration loader: defaults, every value of a full file, size and
 * identity formats, drop-in merge order and overrides, the shipped example,
 * config_dump round trips, and the exact "file:line: message" output for
 * each invalid fixture in tests/data/config/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config_text.h"
#include "srptd/version.h" /* SRPTD_HAVE_RBD */
#include "log.h"
#include "test_fmt.h"

static char g_dir[PATH_MAX]; /* tests/data/config */
static char g_src[PATH_MAX]; /* source tree */

static int setup(void **state)
{
	const char *src = getenv("SRPTD_SOURCE_DIR");

	if (!src) {
		fprintf(stderr, "SRPTD_SOURCE_DIR is not set\n");
		return -1;
	}
	xfmt(g_src, sizeof(g_src), "%s", src);
	xfmt(g_dir, sizeof(g_dir), "%s/tests/data/config", src);
	return 0;
}

static const char *fixture(const char *name)
{
	static __thread char buf[PATH_MAX * 2];

	xfmt(buf, sizeof(buf), "%s/%s", g_dir, name);
	return buf;
}

/* Replace every "@/" in pattern with the fixture directory. */
static void expand(const char *pattern, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = pattern; *p && o + 1 < size; p++) {
		if (p[0] == '@' && p[1] == '/') {
			o += snprintf(out + o, size - o, "%s/", g_dir);
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o < size ? o : size - 1] = 0;
}

static struct config *load_ok(const char *path, const char *dropins)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;
	int ret;

	assert_non_null(errs);
	ret = config_load(path, dropins, &cfg, errs);
	if (ret) {
		char *t = cfgt_errors_text(errs);

		fprintf(stderr, "unexpected errors loading %s:\n%s", path, t);
		free(t);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(errs->n, 0);
	assert_non_null(cfg);
	free(errs);
	return cfg;
}

/* Load path expecting failure; compare the printed errors with lines[]. */
static void expect_errors(const char *path, const char *dropins,
			  const char *const *lines)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = (struct config *)1;
	char want[16384] = "", line[2048];
	size_t o = 0;
	char *got;

	assert_non_null(errs);
	assert_int_equal(config_load(path, dropins, &cfg, errs), -EINVAL);
	assert_null(cfg);
	for (; *lines; lines++) {
		expand(*lines, line, sizeof(line));
		o += snprintf(want + o, sizeof(want) - o, "%s\n", line);
	}
	got = cfgt_errors_text(errs);
	if (strcmp(got, want))
		fprintf(stderr, "for %s\n--- expected:\n%s--- got:\n%s", path,
			want, got);
	assert_string_equal(got, want);
	free(got);
	free(errs);
}

static const struct config_device *dev(const struct config *cfg,
				       const char *name)
{
	const struct config_device *d = config_find_device(cfg, name);

	if (!d)
		fprintf(stderr, "device %s not found\n", name);
	assert_non_null(d);
	return d;
}

/* ------------------------------------------------------------------ */

static void test_minimal_defaults(void **state)
{
	struct config *cfg =
		load_ok(fixture("valid_minimal.conf"), "/nonexistent");
	const struct config_fabric *f = &cfg->fabric;

	assert_int_equal(cfg->version, 1);
	assert_string_equal(cfg->path, fixture("valid_minimal.conf"));
	assert_int_equal(cfg->daemon.log_level, LOG_INFO);
	assert_int_equal(cfg->daemon.log_components, 0);
	assert_int_equal(cfg->daemon.workers, 0);
	assert_int_equal(cfg->daemon.busy_poll_us, 0);
	assert_string_equal(cfg->daemon.include_dir, "/nonexistent");
	assert_string_equal(cfg->daemon.control_socket,
			    "/run/srptd/srptd.sock");
	assert_string_equal(cfg->daemon.control_group, "");
	assert_string_equal(cfg->daemon.metrics, ""); /* off */
	assert_int_equal(f->n_ports, 1);
	assert_string_equal(f->ports[0], "*");
	assert_true(f->ib_cm_enabled);
	assert_true(f->rdma_cm_enabled);
	assert_int_equal(f->n_listen, 2);
	assert_string_equal(f->listen[0].addr, "0.0.0.0");
	assert_int_equal(f->listen[0].port, 5000);
	assert_string_equal(f->listen[1].addr, "::");
	assert_int_equal(f->listen[1].port, 5000);
	/* Linux's ib_srp asks for 8260-byte IUs when immediate data is on. */
	assert_int_equal(f->max_req_size, 8276);
	assert_int_equal(f->max_rsp_size, 256);
	assert_int_equal(f->max_rdma_size, 1048576);
	assert_int_equal(f->queue_depth, 128);
	assert_true(f->use_srq);
	assert_int_equal(f->srq_size, 4095);
	assert_int_equal(f->send_queue_size, 0);
	assert_int_equal(cfg->backend.engine, CONFIG_ENGINE_IO_URING);
	assert_int_equal(cfg->backend.n_fallback, 2);
	assert_int_equal(cfg->backend.fallback[0], CONFIG_ENGINE_AIO);
	assert_int_equal(cfg->backend.fallback[1], CONFIG_ENGINE_SYNC);
	assert_true(cfg->backend.direct_io);
	assert_int_equal(cfg->backend.stuck_io_warn, 30);
	assert_int_equal(cfg->n_devices, 0);
	assert_int_equal(cfg->n_targets, 0);
	config_free(cfg);
}

static void test_default_include_dir(void **state)
{
	/* Without an override the compiled-in directory is used. */
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;

	assert_int_equal(config_load(fixture("valid_minimal.conf"), NULL, &cfg,
				     errs),
			 0);
	assert_string_equal(cfg->daemon.include_dir, "/etc/srptd.d");
	config_free(cfg);
	free(errs);
}

static void test_no_dropins(void **state)
{
	struct config *cfg = load_ok(fixture("valid_no_dropins.conf"), NULL);

	assert_string_equal(cfg->daemon.include_dir, "");
	config_free(cfg);
}

static void test_full_values(void **state)
{
	struct config *cfg = load_ok(fixture("valid_full.conf"), NULL);
	const struct config_fabric *f = &cfg->fabric;
	const struct config_device *d;
	const struct config_target *t;
	const struct config_group *g;
	static const uint8_t gid0[16] = { 0xfe, 0x80, 0,    0,	  0,	0,
					  0,	0,    0x00, 0x02, 0xc9, 0x03,
					  0x00, 0x0f, 0x13, 0x67 };
	static const uint8_t gid1[16] = { 0xfe, 0x80, 0,    0,	  0,	0,
					  0,	0,    0x00, 0x02, 0xc9, 0x03,
					  0x00, 0x0f, 0x13, 0x68 };

	/* include_dir comes from the file here (no override). */
	assert_string_equal(cfg->daemon.include_dir, "/nonexistent/srptd.d");
	assert_string_equal(cfg->daemon.control_socket, "");
	assert_string_equal(cfg->daemon.control_group, "srptd-admin");
	assert_string_equal(cfg->daemon.metrics, "[::1]:9108");
	assert_int_equal(cfg->daemon.log_level, LOG_DEBUG);
	assert_int_equal(cfg->daemon.log_components,
			 1u << LOG_C_CM | 1u << LOG_C_SCSI |
				 1u << LOG_C_FABRIC);
	assert_int_equal(cfg->daemon.workers, 3);
	assert_int_equal(cfg->daemon.busy_poll_us, 50);

	assert_int_equal(f->n_ports, 2);
	assert_string_equal(f->ports[0], "mlx5_0:1");
	assert_string_equal(f->ports[1], "mlx5_1");
	assert_false(f->ib_cm_enabled);
	assert_true(f->rdma_cm_enabled);
	assert_int_equal(f->n_listen, 2);
	assert_string_equal(f->listen[0].addr, "192.0.2.1");
	assert_int_equal(f->listen[0].port, 5555);
	assert_string_equal(f->listen[1].addr, "fe80::1");
	assert_int_equal(f->listen[1].port, 5556);
	assert_int_equal(f->max_req_size, 8260);
	assert_int_equal(f->max_rsp_size, 512);
	assert_int_equal(f->max_rdma_size, 65536);
	assert_int_equal(f->queue_depth, 64);
	assert_false(f->use_srq);
	assert_int_equal(f->srq_size, 1024);
	assert_int_equal(f->send_queue_size, 256);

	assert_int_equal(cfg->backend.engine, CONFIG_ENGINE_AIO);
	assert_int_equal(cfg->backend.n_fallback, 1);
	assert_int_equal(cfg->backend.fallback[0], CONFIG_ENGINE_SYNC);
	assert_false(cfg->backend.direct_io);
	assert_int_equal(cfg->backend.stuck_io_warn, 120);

	assert_int_equal(cfg->n_devices, 6);
	d = dev(cfg, "db01");
	assert_ptr_equal(d, &cfg->devices[0]);
	assert_string_equal(d->path, "/dev/vg0/db01");
	assert_int_equal(d->engine, CONFIG_ENGINE_IO_URING);
	assert_int_equal(d->n_fallback, 0);
	assert_int_equal(d->size, 0);
	assert_int_equal(d->block_size, 4096);
	assert_false(d->create);
	assert_false(d->write_cache);
	assert_true(d->read_only);
	assert_true(d->direct_io);
	assert_string_equal(d->serial, "SRPTD-DB01");
	assert_string_equal(d->naa, "6001405f2e9c43b7a1d0000000000001");
	assert_string_equal(d->vendor, "ACME");
	assert_string_equal(d->product, "Fast Disk");
	assert_string_equal(d->revision, "1.2");
	assert_true(d->shared);
	assert_string_equal(d->file, fixture("valid_full.conf"));
	assert_int_equal(d->line, 30);

	/* Defaults from backend_defaults and the per-device defaults. */
	d = dev(cfg, "img");
	assert_int_equal(d->engine, CONFIG_ENGINE_AIO);
	assert_int_equal(d->n_fallback, 1);
	assert_int_equal(d->fallback[0], CONFIG_ENGINE_SYNC);
	assert_false(d->direct_io);
	assert_true(d->write_cache);
	assert_false(d->read_only);
	assert_true(d->create);
	assert_int_equal(d->size, 512ull << 20);
	assert_int_equal(d->block_size, 0);
	assert_string_equal(d->vendor, "SRPTD");
	assert_string_equal(d->product, "VIRTUAL-DISK");
	assert_string_equal(d->revision, "0001");
	assert_false(d->shared);
	assert_string_equal(d->serial, "");
	assert_string_equal(d->naa, "");

	/* Sizes: 64-bit integer with L, T suffix, lower-case k. */
	d = dev(cfg, "big");
	assert_int_equal(d->engine, CONFIG_ENGINE_NULL);
	assert_string_equal(d->path, "");
	assert_int_equal(d->size, 4ull << 40);
	assert_int_equal(d->block_size, 512); /* null: 512 unless set */
	assert_int_equal(dev(cfg, "huge")->size, 2ull << 40);
	assert_int_equal(dev(cfg, "huge")->block_size, 4096);
	assert_int_equal(dev(cfg, "tiny")->size, 64 * 1024);
	assert_int_equal(dev(cfg, "plain")->size, 1048576);
	assert_int_equal(dev(cfg, "plain")->engine, CONFIG_ENGINE_SYNC);
	assert_null(config_find_device(cfg, "nope"));

	assert_int_equal(cfg->n_targets, 2);
	t = config_find_target(cfg, "tgt0");
	assert_ptr_equal(t, &cfg->targets[0]);
	assert_false(t->id_ext_auto);
	assert_int_equal(t->id_ext, 0x0002c903000f1366ull);
	assert_false(t->ioc_guid_auto);
	assert_int_equal(t->ioc_guid, 0x0002c903000f1366ull);
	assert_int_equal(t->n_ports, 1);
	assert_string_equal(t->ports[0], "mlx5_0:1");
	assert_int_equal(t->unknown_initiators, CONFIG_UNKNOWN_DEFAULT_MAP);
	assert_int_equal(t->n_luns, 2);
	assert_int_equal(t->luns[0].lun, 0);
	assert_string_equal(cfg->devices[t->luns[0].device].name, "img");
	assert_false(t->luns[0].read_only);
	assert_int_equal(t->luns[1].lun, 16383);
	assert_string_equal(cfg->devices[t->luns[1].device].name, "big");
	assert_true(t->luns[1].read_only);
	assert_int_equal(t->n_groups, 2);
	g = &t->groups[0];
	assert_string_equal(g->name, "dbhosts");
	assert_int_equal(g->n_initiators, 2);
	assert_memory_equal(g->initiators[0], gid0, 16);
	assert_memory_equal(g->initiators[1], gid1, 16);
	assert_int_equal(g->n_luns, 2);
	assert_string_equal(cfg->devices[g->luns[0].device].name, "db01");
	/* db01 is a read-only device: read-only in every map. */
	assert_true(g->luns[0].read_only);
	assert_int_equal(g->luns[1].lun, 1);
	assert_true(g->luns[1].read_only);
	assert_string_equal(t->groups[1].name, "empty");
	assert_int_equal(t->groups[1].n_initiators, 0);
	assert_int_equal(t->groups[1].n_luns, 0);

	t = config_find_target(cfg, "tgt1");
	assert_non_null(t);
	assert_int_equal(t->id_ext, 0x0002c903000f1399ull);
	assert_int_equal(t->ioc_guid, 0x0002c903000f1398ull);
	assert_int_equal(t->unknown_initiators, CONFIG_UNKNOWN_DENY);
	assert_int_equal(t->n_ports, 1);
	assert_string_equal(t->ports[0], "*");
	assert_int_equal(t->n_luns, 0);
	assert_int_equal(t->n_groups, 0);
	assert_null(config_find_target(cfg, "tgt2"));
	config_free(cfg);
}

/* The shipped example must validate and export LUNs 0 and 1. */
static void test_example_conf(void **state)
{
	char path[PATH_MAX * 2];
	struct config *cfg;
	const struct config_device *d;
	const struct config_target *t;

	xfmt(path, sizeof(path), "%s/conf/srptd.conf", g_src);
	cfg = load_ok(path, "/nonexistent");
	assert_int_equal(cfg->n_devices, 2);
	d = dev(cfg, "disk0");
	assert_string_equal(d->path, "/var/lib/srptd/disk0.img");
	assert_true(d->create);
	assert_int_equal(d->size, 1ull << 30);
	assert_int_equal(d->engine, CONFIG_ENGINE_IO_URING);
	d = dev(cfg, "scratch");
	assert_int_equal(d->engine, CONFIG_ENGINE_NULL);
	assert_int_equal(d->size, 1ull << 30);
	assert_int_equal(cfg->n_targets, 1);
	t = &cfg->targets[0];
	assert_string_equal(t->name, "tgt0");
	assert_true(t->id_ext_auto);
	assert_true(t->ioc_guid_auto);
	assert_int_equal(t->unknown_initiators, CONFIG_UNKNOWN_DEFAULT_MAP);
	assert_int_equal(t->n_luns, 2);
	assert_int_equal(t->luns[0].lun, 0);
	assert_string_equal(cfg->devices[t->luns[0].device].name, "disk0");
	assert_int_equal(t->luns[1].lun, 1);
	assert_string_equal(cfg->devices[t->luns[1].device].name, "scratch");
	/* Defaults stated in the file's comments. */
	assert_int_equal(cfg->fabric.max_req_size, 8276);
	assert_int_equal(cfg->fabric.queue_depth, 128);
	config_free(cfg);
}

static void test_dropin_merge(void **state)
{
	static const char *const dangling[] = {
		"@/dropin_main.conf:14: target \"t0\" lun_map device: unknown device \"d10\"",
		NULL
	};
	char dir[PATH_MAX * 2];
	struct config *cfg;

	xfmt(dir, sizeof(dir), "%s/dropin.d", g_dir);
	cfg = load_ok(fixture("dropin_main.conf"), dir);
	/*
	 * Files in strcmp order: 10-first, 20-second, 5-late (README and
	 * .hidden.conf are skipped).  The last file that sets a key wins.
	 */
	assert_int_equal(cfg->fabric.queue_depth, 8);
	assert_int_equal(cfg->fabric.n_ports, 2);
	assert_string_equal(cfg->fabric.ports[0], "mlx5_1:1");
	assert_string_equal(cfg->fabric.ports[1], "mlx5_1:2");
	assert_int_equal(cfg->fabric.max_req_size, 8260);
	assert_int_equal(cfg->daemon.log_level, LOG_DEBUG);
	/* Untouched keys keep the main file's value or the default. */
	assert_int_equal(cfg->fabric.max_rsp_size, 256);
	/* backend_defaults from a drop-in applies to the main file's devices. */
	assert_int_equal(cfg->backend.engine, CONFIG_ENGINE_AIO);
	assert_int_equal(dev(cfg, "m1")->engine, CONFIG_ENGINE_AIO);
	assert_int_equal(dev(cfg, "m0")->engine, CONFIG_ENGINE_NULL);
	/* Lists concatenate: main file first, then drop-ins in order. */
	assert_int_equal(cfg->n_devices, 3);
	assert_string_equal(cfg->devices[0].name, "m0");
	assert_string_equal(cfg->devices[1].name, "m1");
	assert_string_equal(cfg->devices[2].name, "d10");
	assert_string_equal(cfg->devices[2].file,
			    fixture("dropin.d/10-first.conf"));
	assert_int_equal(cfg->devices[2].line, 4);
	assert_int_equal(cfg->n_targets, 2);
	assert_string_equal(cfg->targets[0].name, "t0");
	assert_string_equal(cfg->targets[1].name, "t1");
	/* The main file's target maps a device defined in a drop-in. */
	assert_int_equal(cfg->targets[0].n_luns, 2);
	assert_string_equal(cfg->devices[cfg->targets[0].luns[1].device].name,
			    "d10");
	config_free(cfg);

	/* Without the drop-ins, t0's LUN 1 names a device nobody defines. */
	expect_errors(fixture("dropin_main.conf"), "/nonexistent/dir",
		      dangling);
}

static void test_dropin_broken(void **state)
{
	static const char *const want[] = {
		/* Syntax is checked when each file is read, before merging. */
		"@/dropin_bad.d/60-syntax.conf:3: syntax error",
		"@/dropin_bad.d/50-bad.conf:3: daemon.include_dir: can only be set in the main configuration file",
		"@/dropin_bad.d/50-bad.conf:4: daemon.log_level: unknown level \"loud\" (error, warning, notice, info or debug)",
		"@/dropin_bad.d/50-bad.conf:10: version: unsupported version 2 (this srptd reads version 1)",
		"@/dropin_bad.d/50-bad.conf:7: duplicate device name \"m0\" (first defined at @/dropin_main.conf:9)",
		"@/dropin_bad.d/50-bad.conf:9: duplicate target name \"t0\" (first defined at @/dropin_main.conf:13)",
		NULL
	};
	char dir[PATH_MAX * 2];

	xfmt(dir, sizeof(dir), "%s/dropin_bad.d", g_dir);
	expect_errors(fixture("dropin_main.conf"), dir, want);
}

/* Unreadable drop-ins are errors; a missing directory is not. */
static void test_dropin_unreadable(void **state)
{
	char dir[PATH_MAX], p1[PATH_MAX + 32], p2[PATH_MAX + 32];
	char want1[PATH_MAX + 128], want2[PATH_MAX + 128];
	const char *tmp = getenv("TMPDIR");
	const char *want[3] = { want1, want2, NULL };

	xfmt(dir, sizeof(dir), "%s/srptd-cfg-XXXXXX",
	     tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	xfmt(p1, sizeof(p1), "%s/10-gone.conf", dir);
	xfmt(p2, sizeof(p2), "%s/20-dir.conf", dir);
	assert_int_equal(symlink("/nonexistent/target.conf", p1), 0);
	assert_int_equal(mkdir(p2, 0700), 0);
	xfmt(want1, sizeof(want1), "%s: cannot open: No such file or directory",
	     p1);
	xfmt(want2, sizeof(want2), "%s: not a regular file", p2);
	expect_errors(fixture("valid_minimal.conf"), dir, want);
	unlink(p1);
	rmdir(p2);
	rmdir(dir);
}

/* A main file inside its own include_dir is not merged a second time. */
static void test_main_in_include_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], main_path[PATH_MAX + 32], extra[PATH_MAX + 32];
	struct config *cfg;
	FILE *f;

	xfmt(dir, sizeof(dir), "%s/srptd-cfg-XXXXXX",
	     tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	xfmt(main_path, sizeof(main_path), "%s/00-main.conf", dir);
	xfmt(extra, sizeof(extra), "%s/10-extra.conf", dir);
	f = fopen(main_path, "w");
	assert_non_null(f);
	fputs("version = 1;\ndevices = ( { name = \"a\"; engine = \"null\"; size = \"1M\"; } );\n",
	      f);
	fclose(f);
	f = fopen(extra, "w");
	assert_non_null(f);
	fputs("devices = ( { name = \"b\"; engine = \"null\"; size = \"1M\"; } );\n",
	      f);
	fclose(f);
	cfg = load_ok(main_path, dir);
	assert_int_equal(cfg->n_devices, 2);
	assert_string_equal(cfg->devices[0].name, "a");
	assert_string_equal(cfg->devices[1].name, "b");
	config_free(cfg);
	unlink(main_path);
	unlink(extra);
	rmdir(dir);
}

static void test_missing_main(void **state)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = (struct config *)1;
	char want[PATH_MAX * 2];
	char *got;

	assert_int_equal(config_load(fixture("no_such_file.conf"), NULL, &cfg,
				     errs),
			 -ENOENT);
	assert_null(cfg);
	got = cfgt_errors_text(errs);
	xfmt(want, sizeof(want), "%s: cannot open: No such file or directory\n",
	     fixture("no_such_file.conf"));
	assert_string_equal(got, want);
	free(got);
	free(errs);
}

/* Each invalid fixture and every line the loader must print for it. */
static const struct bad_fixture {
	const char *name;
	const char *lines[16];
} bad_fixtures[] = {
	{ "bad_block_size.conf",
	  { "@/bad_block_size.conf:3: device \"d0\" block_size: 1024 is not supported (512 or 4096)",
	    "@/bad_block_size.conf:4: device \"d1\" block_size: expected an integer, got a string",
	    NULL } },
	{ "bad_create.conf",
	  { "@/bad_create.conf:4: device \"f0\" create: create = true needs a size",
	    "@/bad_create.conf:6: device \"n0\" create: the null engine has no file to create",
	    NULL } },
	{ "bad_dangling.conf",
	  { "@/bad_dangling.conf:6: target \"t0\" lun_map device: unknown device \"disk9\"",
	    "@/bad_dangling.conf:7: target \"t0\" group \"g\" lun_map device: unknown device \"D0\"",
	    NULL } },
	{ "bad_dup_device.conf",
	  { "@/bad_dup_device.conf:5: duplicate device name \"d0\" (first defined at @/bad_dup_device.conf:3)",
	    NULL } },
	{ "bad_dup_group.conf",
	  { "@/bad_dup_group.conf:6: target \"t0\": duplicate group name \"g1\" (first defined at @/bad_dup_group.conf:5)",
	    NULL } },
	{ "bad_dup_initiator.conf",
	  { "@/bad_dup_initiator.conf:7: target \"t0\" group \"g2\" initiators: fe80:0000:0000:0000:0002:c903:000f:1367 is already in group \"g1\" (@/bad_dup_initiator.conf:5)",
	    NULL } },
	{ "bad_dup_lun.conf",
	  { "@/bad_dup_lun.conf:10: target \"t0\" lun_map: LUN 3 is mapped twice (first at @/bad_dup_lun.conf:9)",
	    "@/bad_dup_lun.conf:14: target \"t0\" group \"g\" lun_map: LUN 7 is mapped twice (first at @/bad_dup_lun.conf:14)",
	    NULL } },
	{ "bad_dup_target.conf",
	  { "@/bad_dup_target.conf:5: duplicate target name \"t0\" (first defined at @/bad_dup_target.conf:3)",
	    NULL } },
#if SRPTD_HAVE_RBD
	/* Valid rbd keys: tests/unit/config/test_config_rbd.c. */
	{ "bad_engine.conf",
	  { "@/bad_engine.conf:4: backend_defaults.fallback: \"null\" cannot be a fallback (it discards data)",
	    "@/bad_engine.conf:4: backend_defaults.fallback: \"sync\" is listed twice",
	    "@/bad_engine.conf:4: backend_defaults.fallback: unknown engine \"spdk\" (io_uring, aio, sync, null or rbd)",
	    "@/bad_engine.conf:7: device \"rbd0\" path: engine \"rbd\" takes rbd_image",
	    "@/bad_engine.conf:7: device \"rbd0\": engine \"rbd\" needs rbd_image",
	    "@/bad_engine.conf:8: device \"u0\" engine: unknown engine \"io-uring\" (io_uring, aio, sync, null or rbd)",
	    NULL } },
#else
	{ "bad_engine.conf",
	  { "@/bad_engine.conf:3: backend_defaults.engine: engine \"rbd\" is not built into this srptd",
	    "@/bad_engine.conf:4: backend_defaults.fallback: \"null\" cannot be a fallback (it discards data)",
	    "@/bad_engine.conf:4: backend_defaults.fallback: \"sync\" is listed twice",
	    "@/bad_engine.conf:4: backend_defaults.fallback: unknown engine \"spdk\" (io_uring, aio, sync or null)",
	    "@/bad_engine.conf:7: device \"rbd0\" engine: engine \"rbd\" is not built into this srptd",
	    "@/bad_engine.conf:8: device \"u0\" engine: unknown engine \"io-uring\" (io_uring, aio, sync or null)",
	    NULL } },
#endif
	{ "bad_engine_path.conf",
	  { "@/bad_engine_path.conf:4: device \"n0\" path: the null engine takes no path",
	    "@/bad_engine_path.conf:5: device \"n1\": the null engine needs a size",
	    "@/bad_engine_path.conf:6: device \"f0\": engine \"aio\" needs a path",
	    "@/bad_engine_path.conf:7: device \"f1\": engine \"io_uring\" needs a path",
	    "@/bad_engine_path.conf:8: device \"f2\" path: \"disk.img\" is not an absolute path",
	    NULL } },
	{ "bad_gid.conf",
	  { "@/bad_gid.conf:7: target \"t0\" group \"g\" initiators: \"fe80::2:c903:f:1367\" is not a GID (expected 8 groups of 4 hex digits separated by ':')",
	    "@/bad_gid.conf:8: target \"t0\" group \"g\" initiators: \"fe80:0000:0000:0000:0002:c903:000f\" is not a GID (expected 8 groups of 4 hex digits separated by ':')",
	    "@/bad_gid.conf:9: target \"t0\" group \"g\" initiators: \"fe80:0000:0000:0000:0002:c903:000f:136g\" is not a GID (expected 8 groups of 4 hex digits separated by ':')",
	    "@/bad_gid.conf:10: target \"t0\" group \"g\" initiators: \"fe80-0000-0000-0000-0002-c903-000f-1367\" is not a GID (expected 8 groups of 4 hex digits separated by ':')",
	    NULL } },
	{ "bad_guid.conf",
	  { "@/bad_guid.conf:3: target \"t0\" id_ext: \"0x0002c903000f136\" is not a GUID (expected \"auto\", 16 hex digits or xxxx:xxxx:xxxx:xxxx)",
	    "@/bad_guid.conf:4: target \"t1\" ioc_guid: \"0002:c903:000f:13677\" is not a GUID (expected \"auto\", 16 hex digits or xxxx:xxxx:xxxx:xxxx)",
	    "@/bad_guid.conf:5: target \"t2\" id_ext: expected a GUID string or \"auto\", got an integer",
	    "@/bad_guid.conf:6: target \"t3\" id_ext: \"automatic\" is not a GUID (expected \"auto\", 16 hex digits or xxxx:xxxx:xxxx:xxxx)",
	    NULL } },
	{ "bad_listen.conf",
	  { "@/bad_listen.conf:2: daemon.metrics: \"192.0.2.1:9108\" is not a loopback address (127.0.0.0/8 or [::1]): the endpoint has no authentication",
	    "@/bad_listen.conf:5: fabric.rdma_cm.listen: invalid address \"0.0.0.0\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
	    "@/bad_listen.conf:5: fabric.rdma_cm.listen: invalid address \"::1:5000\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
	    "@/bad_listen.conf:5: fabric.rdma_cm.listen: invalid address \"[::1]:0\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
	    "@/bad_listen.conf:5: fabric.rdma_cm.listen: invalid address \"10.0.0.1:65536\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
	    "@/bad_listen.conf:6: fabric.rdma_cm.listen: invalid address \"[fe80::1]5000\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
	    "@/bad_listen.conf:6: fabric.rdma_cm.listen: \"0.0.0.0:5000\" is listed twice",
	    NULL } },
	{ "bad_log.conf",
	  { "@/bad_log.conf:3: daemon.log_level: unknown level \"verbose\" (error, warning, notice, info or debug)",
	    "@/bad_log.conf:4: daemon.log_components: unknown component \"iser\" (core, config, cm, dm, srp, scsi, backend, ctl, fabric)",
	    NULL } },
	{ "bad_identity.conf",
	  { "@/bad_identity.conf:4: target \"b\": same id_ext and ioc_guid as target \"a\" (@/bad_identity.conf:3) on the same ports; give one an explicit id_ext",
	    "@/bad_identity.conf:7: target \"d\": same id_ext and ioc_guid as target \"c\" (@/bad_identity.conf:5) on the same ports; give one an explicit id_ext",
	    NULL } },
	{ "bad_lun_entry.conf",
	  { "@/bad_lun_entry.conf:6: target \"t0\" lun_map lun: 16384 is out of range (0..16383)",
	    "@/bad_lun_entry.conf:7: target \"t0\" lun_map lun: -1 is out of range (0..16383)",
	    "@/bad_lun_entry.conf:8: target \"t0\" lun_map: entry without \"lun\"",
	    "@/bad_lun_entry.conf:9: target \"t0\" lun_map: entry without \"device\"",
	    NULL } },
	{ "bad_naa.conf",
	  { "@/bad_naa.conf:4: device \"d0\" naa: \"5001405f2e9c43b7a1d0000000000001\" is not an NAA 6 identifier (32 hex digits starting with 6)",
	    "@/bad_naa.conf:6: device \"d1\" naa: \"6001405f2e9c43b7a1d00000000000\" is not an NAA 6 identifier (32 hex digits starting with 6)",
	    "@/bad_naa.conf:8: device \"d2\" naa: \"6001405f2e9c43b7a1d000000000000z\" is not an NAA 6 identifier (32 hex digits starting with 6)",
	    NULL } },
	{ "bad_names.conf",
	  { "@/bad_names.conf:3: device name: \"has space\" may only contain letters, digits, '_', '.', ':' and '-'",
	    "@/bad_names.conf:4: device name: must not be empty",
	    "@/bad_names.conf:5: device #3: missing \"name\"",
	    "@/bad_names.conf:8: target #1: missing \"name\"",
	    "@/bad_names.conf:9: target name: \"t/0\" may only contain letters, digits, '_', '.', ':' and '-'",
	    NULL } },
	{ "bad_no_version.conf",
	  { "@/bad_no_version.conf: missing \"version = 1;\" (required in the main file)",
	    NULL } },
	{ "bad_policy.conf",
	  { "@/bad_policy.conf:3: target \"t0\" unknown_initiators: unknown policy \"allow\" (\"deny\" or \"default-map\")",
	    NULL } },
	{ "bad_ports.conf",
	  { "@/bad_ports.conf:2: fabric.ports: invalid port \"\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
	    "@/bad_ports.conf:2: fabric.ports: invalid port \"mlx5 0\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
	    "@/bad_ports.conf:2: fabric.ports: invalid port \"mlx5_0:256\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
	    "@/bad_ports.conf:2: fabric.ports: invalid port \"mlx5_0:x\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
	    "@/bad_ports.conf:3: target \"t0\" ports: invalid port \"mlx5_1:\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
	    NULL } },
	{ "bad_ranges.conf",
	  { "@/bad_ranges.conf:2: daemon.workers: 5000 is out of range (0..1024)",
	    "@/bad_ranges.conf:2: daemon.busy_poll_us: 1000001 is out of range (0..1000000)",
	    "@/bad_ranges.conf:4: fabric.max_req_size: 67 is out of range (68..65536)",
	    "@/bad_ranges.conf:5: fabric.max_rsp_size: 8192 is out of range (40..4096)",
	    "@/bad_ranges.conf:6: fabric.max_rdma_size: 0 is out of range (4096..16777216)",
	    "@/bad_ranges.conf:7: fabric.queue_depth: 4097 is out of range (2..4096)",
	    "@/bad_ranges.conf:8: fabric.srq_size: 3 is out of range (4..65535)",
	    "@/bad_ranges.conf:9: fabric.send_queue_size: 70000 is out of range (0..65535)",
	    NULL } },
	{ "bad_sizes.conf",
	  { "@/bad_sizes.conf:3: device \"d0\" size: 1000 bytes is not a multiple of the block size 512",
	    "@/bad_sizes.conf:4: device \"d1\" size: 3072 bytes is not a multiple of the block size 4096",
	    "@/bad_sizes.conf:5: device \"d2\" size: invalid size \"1.5G\" (expected bytes with an optional K, M, G or T suffix)",
	    "@/bad_sizes.conf:6: device \"d3\" size: invalid size \"1GB\" (expected bytes with an optional K, M, G or T suffix)",
	    "@/bad_sizes.conf:7: device \"d4\" size: must not be negative",
	    "@/bad_sizes.conf:8: device \"d5\" size: integer does not fit in 32 bits; add the L suffix (64-bit) or write it as a string",
	    "@/bad_sizes.conf:9: device \"d6\" size: \"99999999999T\" is too large",
	    "@/bad_sizes.conf:10: device \"d7\" size: must not be 0",
	    /* The same key twice on a line: only the wrapped literal counts. */
	    "@/bad_sizes.conf:12: target \"t\" lun_map lun: integer does not fit in 32 bits; add the L suffix (64-bit) or write it as a string",
	    NULL } },
	{ "bad_strings.conf",
	  { "@/bad_strings.conf:3: daemon.control_socket: \"srptd.sock\" is not an absolute path",
	    "@/bad_strings.conf:4: daemon.control_group: \"srpt admins\" may only contain letters, digits, '_', '.', ':' and '-'",
	    "@/bad_strings.conf:5: daemon.include_dir: \"srptd.d\" is not an absolute path",
	    "@/bad_strings.conf:9: device \"d0\" vendor: too long (at most 8 characters)",
	    "@/bad_strings.conf:10: device \"d0\" product: too long (at most 16 characters)",
	    "@/bad_strings.conf:11: device \"d0\" revision: too long (at most 4 characters)",
	    "@/bad_strings.conf:12: device \"d0\" serial: only printable ASCII without spaces is allowed",
	    NULL } },
	{ "bad_syntax.conf", { "@/bad_syntax.conf:3: syntax error", NULL } },
	{ "bad_types.conf",
	  { "@/bad_types.conf:3: daemon.workers: expected an integer, got a string",
	    "@/bad_types.conf:4: daemon.log_components: expected an array of component names, got a string",
	    "@/bad_types.conf:5: daemon.control_socket: expected a string, got an integer",
	    "@/bad_types.conf:8: fabric.use_srq: expected true or false, got an integer",
	    "@/bad_types.conf:9: fabric.dm_agent: expected true or false, got a string",
	    "@/bad_types.conf:10: fabric.queue_depth: expected an integer, got a number with a fraction",
	    "@/bad_types.conf:11: fabric.ports: expected an array of port names, got a string",
	    "@/bad_types.conf:13: devices: expected a list ( { ... }, ... ), got a group",
	    NULL } },
	{ "bad_unknown_keys.conf",
	  { "@/bad_unknown_keys.conf:2: unknown setting \"colour\"",
	    "@/bad_unknown_keys.conf:4: unknown setting \"log_levle\" in daemon",
	    "@/bad_unknown_keys.conf:5: unknown setting \"metrix\" in daemon",
	    "@/bad_unknown_keys.conf:8: unknown setting \"service_id\" in fabric.ib_cm",
	    "@/bad_unknown_keys.conf:9: unknown setting \"backlog\" in fabric.rdma_cm",
	    "@/bad_unknown_keys.conf:10: unknown setting \"qdepth\" in fabric",
	    "@/bad_unknown_keys.conf:12: unknown setting \"odirect\" in backend_defaults",
	    NULL } },
	{ "bad_unknown_nested.conf",
	  { "@/bad_unknown_nested.conf:4: unknown setting \"sise\" in device \"d0\"",
	    "@/bad_unknown_nested.conf:8: unknown setting \"ro\" in target \"t0\" lun_map",
	    "@/bad_unknown_nested.conf:9: unknown setting \"initiator\" in target \"t0\" group \"g\"",
	    "@/bad_unknown_nested.conf:10: unknown setting \"acl\" in target \"t0\"",
	    NULL } },
	{ "bad_version.conf",
	  { "@/bad_version.conf:2: version: unsupported version 2 (this srptd reads version 1)",
	    NULL } },
};

static void test_invalid_fixtures(void **state)
{
	assert_true(ARRAY_SIZE(bad_fixtures) >= 20);
	for (size_t i = 0; i < ARRAY_SIZE(bad_fixtures); i++)
		expect_errors(fixture(bad_fixtures[i].name), "/nonexistent",
			      bad_fixtures[i].lines);
}

/* More errors than fit: the first CONFIG_MAX_ERRORS are kept, rest counted. */
static void test_error_cap(void **state)
{
	char path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;
	FILE *f;
	char *got;

	xfmt(path, sizeof(path), "%s/srptd-cfg-cap-%d.conf",
	     tmp && *tmp ? tmp : "/tmp", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("version = 1;\n", f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "junk%d = %d;\n", i, i);
	fclose(f);
	assert_int_equal(config_load(path, "/nonexistent", &cfg, errs),
			 -EINVAL);
	assert_int_equal(errs->n, CONFIG_MAX_ERRORS);
	assert_int_equal(errs->dropped, 100 - CONFIG_MAX_ERRORS);
	assert_int_equal(errs->e[0].line, 2);
	assert_string_equal(errs->e[0].msg, "unknown setting \"junk0\"");
	assert_int_equal(errs->e[63].line, 65);
	got = cfgt_errors_text(errs);
	assert_non_null(strstr(got, "\n... and 36 more errors\n"));
	free(got);
	free(errs);
	unlink(path);
}

static void test_parsers(void **state)
{
	uint64_t v;
	uint8_t gid[16];
	char buf[40];
	struct config_listen l;

	assert_int_equal(config_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(config_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(config_parse_size("1K", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(config_parse_size("3m", &v), 0);
	assert_int_equal(v, 3u << 20);
	assert_int_equal(config_parse_size("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(config_parse_size("16T", &v), 0);
	assert_int_equal(v, 16ull << 40);
	assert_int_equal(config_parse_size("16777215T", &v), 0);
	assert_int_equal(config_parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(config_parse_size("18446744073709551616", &v),
			 -ERANGE);
	assert_int_equal(config_parse_size("", &v), -EINVAL);
	assert_int_equal(config_parse_size("G", &v), -EINVAL);
	assert_int_equal(config_parse_size("-1", &v), -EINVAL);
	assert_int_equal(config_parse_size(" 1", &v), -EINVAL);
	assert_int_equal(config_parse_size("1P", &v), -EINVAL);
	assert_int_equal(config_parse_size("1KB", &v), -EINVAL);

	assert_int_equal(
		config_parse_gid("fe80:0000:0000:0000:0002:c903:000f:1367",
				 gid),
		0);
	assert_int_equal(gid[0], 0xfe);
	assert_int_equal(gid[1], 0x80);
	assert_int_equal(gid[9], 0x02);
	assert_int_equal(gid[10], 0xc9);
	assert_int_equal(gid[15], 0x67);
	config_format_gid(gid, buf);
	assert_string_equal(buf, "fe80:0000:0000:0000:0002:c903:000f:1367");
	assert_int_equal(
		config_parse_gid("fe80:0000:0000:0000:0002:c903:000f:1367:",
				 gid),
		-EINVAL);
	assert_int_equal(config_parse_gid("fe80::2:c903:f:1367", gid), -EINVAL);

	assert_int_equal(config_parse_guid("0x0002c903000f1367", &v), 0);
	assert_int_equal(v, 0x0002c903000f1367ull);
	assert_int_equal(config_parse_guid("0002C903000F1367", &v), 0);
	assert_int_equal(v, 0x0002c903000f1367ull);
	assert_int_equal(config_parse_guid("0002:c903:000f:1367", &v), 0);
	assert_int_equal(v, 0x0002c903000f1367ull);
	assert_int_equal(config_parse_guid("0x", &v), -EINVAL);
	assert_int_equal(config_parse_guid("0002c903000f13670", &v), -EINVAL);
	assert_int_equal(config_parse_guid("0002-c903-000f-1367", &v), -EINVAL);

	assert_int_equal(config_parse_listen("10.1.2.3:5000", &l), 0);
	assert_string_equal(l.addr, "10.1.2.3");
	assert_int_equal(l.port, 5000);
	assert_int_equal(config_parse_listen("[::]:65535", &l), 0);
	assert_string_equal(l.addr, "::");
	assert_int_equal(l.port, 65535);
	assert_int_equal(config_parse_listen("[::]", &l), -EINVAL);
	assert_int_equal(config_parse_listen("::1", &l), -EINVAL);
	assert_int_equal(config_parse_listen("1.2.3.4:+5", &l), -EINVAL);
	assert_int_equal(config_parse_listen("1.2.3.4:5x", &l), -EINVAL);
	assert_int_equal(config_parse_listen("[1.2.3.4]:5", &l), -EINVAL);
}

/* Everything but where things were defined and the generation. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_int_equal(a->version, b->version);
	assert_memory_equal(&a->daemon, &b->daemon, sizeof(a->daemon));
	assert_int_equal(a->fabric.n_ports, b->fabric.n_ports);
	assert_memory_equal(a->fabric.ports, b->fabric.ports,
			    a->fabric.n_ports * sizeof(a->fabric.ports[0]));
	assert_int_equal(a->fabric.ib_cm_enabled, b->fabric.ib_cm_enabled);
	assert_int_equal(a->fabric.rdma_cm_enabled, b->fabric.rdma_cm_enabled);
	assert_int_equal(a->fabric.n_listen, b->fabric.n_listen);
	for (unsigned int i = 0; i < a->fabric.n_listen; i++) {
		assert_string_equal(a->fabric.listen[i].addr,
				    b->fabric.listen[i].addr);
		assert_int_equal(a->fabric.listen[i].port,
				 b->fabric.listen[i].port);
	}
	assert_int_equal(a->fabric.max_req_size, b->fabric.max_req_size);
	assert_int_equal(a->fabric.max_rsp_size, b->fabric.max_rsp_size);
	assert_int_equal(a->fabric.max_rdma_size, b->fabric.max_rdma_size);
	assert_int_equal(a->fabric.queue_depth, b->fabric.queue_depth);
	assert_int_equal(a->fabric.use_srq, b->fabric.use_srq);
	assert_int_equal(a->fabric.srq_size, b->fabric.srq_size);
	assert_int_equal(a->fabric.send_queue_size, b->fabric.send_queue_size);
	assert_memory_equal(&a->backend, &b->backend, sizeof(a->backend));
	assert_int_equal(a->n_devices, b->n_devices);
	for (unsigned int i = 0; i < a->n_devices; i++) {
		struct config_device x = a->devices[i], y = b->devices[i];

		x.line = y.line = 0;
		memset(x.file, 0, sizeof(x.file));
		memset(y.file, 0, sizeof(y.file));
		assert_memory_equal(&x, &y, sizeof(x));
	}
	assert_int_equal(a->n_targets, b->n_targets);
	for (unsigned int i = 0; i < a->n_targets; i++) {
		const struct config_target *x = &a->targets[i],
					   *y = &b->targets[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->id_ext_auto, y->id_ext_auto);
		assert_int_equal(x->id_ext, y->id_ext);
		assert_int_equal(x->ioc_guid_auto, y->ioc_guid_auto);
		assert_int_equal(x->ioc_guid, y->ioc_guid);
		assert_int_equal(x->n_ports, y->n_ports);
		assert_memory_equal(x->ports, y->ports,
				    x->n_ports * sizeof(x->ports[0]));
		assert_int_equal(x->unknown_initiators, y->unknown_initiators);
		assert_int_equal(x->n_luns, y->n_luns);
		assert_memory_equal(x->luns, y->luns,
				    x->n_luns * sizeof(x->luns[0]));
		assert_int_equal(x->n_groups, y->n_groups);
		for (unsigned int g = 0; g < x->n_groups; g++) {
			const struct config_group *gx = &x->groups[g];
			const struct config_group *gy = &y->groups[g];

			assert_string_equal(gx->name, gy->name);
			assert_int_equal(gx->n_initiators, gy->n_initiators);
			assert_memory_equal(gx->initiators, gy->initiators,
					    gx->n_initiators * 16);
			assert_int_equal(gx->n_luns, gy->n_luns);
			assert_memory_equal(gx->luns, gy->luns,
					    gx->n_luns * sizeof(gx->luns[0]));
		}
	}
}

static void roundtrip(const char *path, const char *dropins)
{
	char out[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	struct config *a, *b;
	FILE *f;

	a = load_ok(path, dropins);
	xfmt(out, sizeof(out), "%s/srptd-cfg-dump-%d.conf",
	     tmp && *tmp ? tmp : "/tmp", (int)getpid());
	f = fopen(out, "w");
	assert_non_null(f);
	config_dump(a, f);
	fclose(f);
	/* The dump holds the drop-ins already: do not merge them twice. */
	b = load_ok(out, "/nonexistent");
	/* include_dir is the override in both. */
	if (dropins)
		assert_string_equal(b->daemon.include_dir, "/nonexistent");
	memcpy(b->daemon.include_dir, a->daemon.include_dir,
	       sizeof(b->daemon.include_dir));
	assert_config_equal(a, b);
	config_free(a);
	config_free(b);
	unlink(out);
}

static void test_dump_roundtrip(void **state)
{
	char path[PATH_MAX * 2], dir[PATH_MAX * 2];

	xfmt(path, sizeof(path), "%s/conf/srptd.conf", g_src);
	roundtrip(path, "/nonexistent");
	roundtrip(fixture("valid_full.conf"), NULL);
	roundtrip(fixture("valid_minimal.conf"), "/nonexistent");
	roundtrip(fixture("valid_no_dropins.conf"), NULL);
	xfmt(dir, sizeof(dir), "%s/dropin.d", g_dir);
	roundtrip(fixture("dropin_main.conf"), dir);

	/* Quotes and backslashes in strings survive the dump. */
	{
		char weird[PATH_MAX];
		struct config *cfg;
		FILE *f;

		xfmt(weird, sizeof(weird), "%s/srptd-cfg-weird-%d.conf",
		     getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") :
							     "/tmp",
		     (int)getpid());
		f = fopen(weird, "w");
		assert_non_null(f);
		fputs("version = 1;\ndevices = ( { name = \"w\"; path = \"/srv/a \\\"b\\\" \\\\c.img\"; product = \"x\\\"y\"; } );\n",
		      f);
		fclose(f);
		cfg = load_ok(weird, "/nonexistent");
		assert_string_equal(cfg->devices[0].path,
				    "/srv/a \"b\" \\c.img");
		assert_string_equal(cfg->devices[0].product, "x\"y");
		config_free(cfg);
		roundtrip(weird, "/nonexistent");
		unlink(weird);
	}
}

/* A dump of a changed config shows the change (the test can fail). */
static void test_dump_text(void **state)
{
	struct config *cfg = load_ok(fixture("valid_full.conf"), NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* The fixture's first target has id_ext 0x0002c903000f1366. */
	assert_true(cfg->targets[0].id_ext == 0x0002c903000f1366ULL);
	cfg->targets[0].id_ext = 0x0002c90300abcdefULL;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	config_dump(cfg, f);
	fclose(f);
	assert_non_null(strstr(buf, "id_ext = \"0x0002c90300abcdef\";"));
	assert_null(strstr(buf, "id_ext = \"0x0002c903000f1366\";"));
	assert_non_null(strstr(buf, "size = 4398046511104L;"));
	assert_non_null(strstr(
		buf,
		"initiators = [ \"fe80:0000:0000:0000:0002:c903:000f:1367\", \"fe80:0000:0000:0000:0002:c903:000f:1368\" ];"));
	assert_non_null(strstr(
		buf, "listen = [ \"192.0.2.1:5555\", \"[fe80::1]:5556\" ];"));
	assert_non_null(strstr(
		buf, "log_components = [ \"cm\", \"scsi\", \"fabric\" ];"));
	free(buf);
	config_free(cfg);
}

static void test_lun_view(void **state)
{
	struct config *cfg = load_ok(fixture("valid_full.conf"), NULL);
	const struct config_target *t = config_find_target(cfg, "tgt0");
	const struct config_lun *luns;
	const struct config_group *grp;
	unsigned int n;
	uint8_t gid[16];
	char dir[PATH_MAX * 2];

	/* Listed initiator: its group's map. */
	assert_int_equal(
		config_parse_gid("fe80:0000:0000:0000:0002:c903:000f:1368",
				 gid),
		0);
	assert_int_equal(config_lun_view(t, gid, &luns, &n, &grp), 0);
	assert_non_null(grp);
	assert_string_equal(grp->name, "dbhosts");
	assert_int_equal(n, 2);
	assert_string_equal(cfg->devices[luns[0].device].name, "db01");
	/* Unknown initiator on a default-map target: the target's map. */
	gid[15] = 0x69;
	assert_int_equal(config_lun_view(t, gid, &luns, &n, &grp), 0);
	assert_null(grp);
	assert_ptr_equal(luns, t->luns);
	assert_int_equal(n, 2);
	assert_int_equal(luns[1].lun, 16383);
	/* Default deny. */
	t = config_find_target(cfg, "tgt1");
	assert_int_equal(config_lun_view(t, gid, &luns, &n, &grp), -EACCES);

	/* Login addressing: explicit identities, and "auto" = node GUID. */
	assert_ptr_equal(config_find_target_by_id(cfg, 0x0002c903000f1366ull,
						  0x0002c903000f1366ull, 1),
			 config_find_target(cfg, "tgt0"));
	assert_ptr_equal(config_find_target_by_id(cfg, 0x0002c903000f1399ull,
						  0x0002c903000f1398ull, 1),
			 t);
	assert_null(config_find_target_by_id(cfg, 0x0002c903000f1399ull,
					     0x0002c903000f1399ull, 1));
	config_free(cfg);

	cfg = load_ok(fixture("valid_minimal.conf"), "/nonexistent");
	assert_null(config_find_target_by_id(cfg, 1, 1, 1));
	config_free(cfg);
	xfmt(dir, sizeof(dir), "%s/dropin.d", g_dir);
	cfg = load_ok(fixture("dropin_main.conf"), dir);
	/* t0 is all "auto"; t1 has its own id_ext and an "auto" ioc_guid. */
	assert_ptr_equal(config_find_target_by_id(cfg, 0xabcull, 0xabcull,
						  0xabcull),
			 &cfg->targets[0]);
	assert_ptr_equal(config_find_target_by_id(cfg, 0x0002c903000f1399ull,
						  0xabcull, 0xabcull),
			 &cfg->targets[1]);
	assert_null(
		config_find_target_by_id(cfg, 0xabcull, 0xabdull, 0xabcull));
	config_free(cfg);
}

static void collect_key(void *arg, const char *key)
{
	char *buf = arg;

	strcat(buf, key);
	strcat(buf, " ");
}

static void test_restart_changes(void **state)
{
	struct config *a = load_ok(fixture("valid_full.conf"), NULL);
	struct config *b = load_ok(fixture("valid_full.conf"), NULL);
	char keys[512] = "";

	assert_int_equal(config_restart_changes(a, b, collect_key, keys), 0);
	assert_string_equal(keys, "");
	for (unsigned int i = 0; i < a->n_devices; i++)
		assert_true(
			config_device_equal(&a->devices[i], &b->devices[i]));
	assert_false(config_device_equal(&a->devices[0], &a->devices[1]));

	/* Live settings are not reported; restart-only ones are, by name. */
	b->daemon.log_level = LOG_ERR;
	b->fabric.queue_depth = 32;
	b->daemon.workers = 7;
	b->fabric.listen[1].port = 5557;
	strcpy(b->fabric.ports[1], "mlx5_2");
	assert_int_equal(config_restart_changes(a, b, collect_key, keys), 4);
	assert_string_equal(
		keys,
		"daemon.workers fabric.ports fabric.rdma_cm.listen fabric.queue_depth ");
	assert_int_equal(config_restart_changes(a, b, NULL, NULL), 4);

	b->devices[2].size += 512;
	assert_false(config_device_equal(&a->devices[2], &b->devices[2]));
	b->devices[2].size -= 512;
	b->devices[0].naa[31] = '2';
	assert_false(config_device_equal(&a->devices[0], &b->devices[0]));
	config_free(a);
	config_free(b);
}

static void *load_thread(void *arg)
{
	for (int i = 0; i < 20; i++) {
		struct config_errors *errs = calloc(1, sizeof(*errs));
		struct config *cfg = NULL;

		if (!errs ||
		    config_load(fixture("valid_full.conf"), NULL, &cfg, errs) ||
		    cfg->n_devices != 6) {
			free(errs);
			return (void *)1;
		}
		config_free(cfg);
		free(errs);
	}
	return NULL;
}

/* No global state: concurrent loads do not interfere. */
static void test_concurrent_loads(void **state)
{
	pthread_t th[4];
	void *ret;

	for (int i = 0; i < 4; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, load_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_default_include_dir),
		cmocka_unit_test(test_no_dropins),
		cmocka_unit_test(test_full_values),
		cmocka_unit_test(test_example_conf),
		cmocka_unit_test(test_dropin_merge),
		cmocka_unit_test(test_dropin_broken),
		cmocka_unit_test(test_dropin_unreadable),
		cmocka_unit_test(test_main_in_include_dir),
		cmocka_unit_test(test_missing_main),
		cmocka_unit_test(test_invalid_fixtures),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_lun_view),
		cmocka_unit_test(test_restart_changes),
		cmocka_unit_test(test_concurrent_loads),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
