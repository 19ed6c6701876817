/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * End to end over the loopback fabric: test initiator -> SRP engine ->
 * SCSI emulation -> sync backend on a real temp file (null for the
 * abort tests).  Login accept/reject, INQUIRY, READ CAPACITY, a 1 MiB
 * pattern written and read back with every descriptor format, residuals,
 * malformed IUs, task management with I/O in flight, credits,
 * multichannel, logout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_int.h" /* struct srp_worker: which worker a channel is on */
#include "srp/srp_iu.h"
#include "srptd/backend.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"

static const char *g_engine = "sync";
static uint32_t g_req_lim;
static bool g_tight; /* small pool, SQ and RDMA READ depth */
static bool g_two_workers;
static bool g_no_ext; /* allow_ext_table = false */

static void ti_params(struct srp_ti_params *p, uint8_t ini)
{
	srp_env_ti_params(p, ini, 4 * MIB);
}

static struct srp_ti *login(struct srp_env *env, int idx,
			    const struct srp_ti_params *p)
{
	return srp_env_login(env, idx, p);
}

static struct srp_ti *login_default(struct srp_env *env, int idx)
{
	struct srp_ti_params p;

	ti_params(&p, 1);
	return login(env, idx, &p);
}

static int setup_engine(void **state, const char *engine)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	const char *base = getenv("SRPTD_BUILD_DIR");

	assert_non_null(env);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 128;
	if (g_req_lim)
		ep.login.req_lim = g_req_lim;
	ep.allow_ext_table = !g_no_ext;
	g_no_ext = false;
	/* The whole suite runs twice: per-channel receive rings, and one
	 * shared receive queue per worker (ctest srp_test_srp_e2e_srq). */
	ep.use_srq = getenv("SRPTD_TEST_SRQ") != NULL;
	if (ep.use_srq)
		ep.srq_size = g_tight ? 8 : 256;
	if (g_tight) {
		ep.chunks = 16; /* exactly one 1 MiB command */
		ep.sq_depth = 8;
		ep.max_rd_atomic = 2;
	}
	srp_env_start(env, &ep, 1024);

	bp.name = "e2e";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	if (strcmp(engine, "null")) {
		snprintf(env->dir, sizeof(env->dir), "%s/srp-e2e-XXXXXX",
			 base && !access(base, W_OK) ? base : "/tmp");
		assert_non_null(mkdtemp(env->dir));
		snprintf(env->path, sizeof(env->path), "%s/disk", env->dir);
		bp.path = env->path;
		bp.create = true;
	}
	assert_int_equal(
		srptd_backend_open(&env->bdev, engine, NULL, &bp, &used), 0);
	srp_env_export(env, "E2E DISK", g_two_workers);
	*state = env;
	return 0;
}

static int setup(void **state)
{
	g_req_lim = 0;
	g_tight = false;
	g_two_workers = false;
	return setup_engine(state, g_engine);
}

static int setup_tight(void **state)
{
	g_req_lim = 0;
	g_tight = true;
	g_two_workers = false;
	return setup_engine(state, g_engine);
}

static int setup_null(void **state)
{
	g_req_lim = 0;
	g_tight = false;
	g_two_workers = false;
	return setup_engine(state, "null");
}

static int setup_small_credits(void **state)
{
	g_req_lim = 4;
	g_tight = false;
	g_two_workers = false;
	return setup_engine(state, "null");
}

static int setup_two_workers(void **state)
{
	g_req_lim = 0;
	g_tight = false;
	g_two_workers = true;
	return setup_engine(state, g_engine);
}

static int setup_no_ext(void **state)
{
	g_no_ext = true;
	return setup(state);
}

static int teardown(void **state)
{
	struct srp_env *env = *state;

	srp_env_stop(env);
	srptd_backend_close(&env->bdev);
	if (env->path[0]) {
		unlink(env->path);
		rmdir(env->dir);
	}
	loop_destroy(env->loop);
	free(env);
	return 0;
}

static void fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i += 4)
		put_be32(p + i, seed * 2654435761u + i);
}

/* ---- login --------------------------------------------------------------- */

static void test_login_accept(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_engine_stats st;

	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_login_credits(ti), SRP_DEFAULT_REQ_LIM);
	assert_true(srp_ti_login_flags(ti) & SRP_LOGIN_RSP_IMMED_SUPP);
	assert_int_equal(srp_ti_login_flags(ti) & 3,
			 SRP_LOGIN_RSP_MULTICHAN_NO_CHAN);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.logins_accepted, 1);
	assert_int_equal(st.channels, 1);
	assert_int_equal(st.nexuses, 1);
}

static void test_login_rdma_cm_layout(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;

	ti_params(&p, 2);
	p.rdma_cm_format = true;
	assert_int_equal(srp_ti_state(login(env, 0, &p)), SRP_TI_LOGGED_IN);
}

static void test_login_reject_target(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;

	ti_params(&p, 1);
	p.target_port_id[3] ^= 0xff;
	ti = login(env, 0, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_REJECTED);
	assert_int_equal(srp_ti_reject_reason(ti),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
}

static void test_login_reject_iu_len(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;

	ti_params(&p, 1);
	p.it_iu_len = 65536;
	ti = login(env, 0, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_REJECTED);
	assert_int_equal(srp_ti_reject_reason(ti),
			 SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE);
}

/* ---- SCSI basics ------------------------------------------------------------- */

static void test_inquiry(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c = { 0 };
	uint8_t *d = srp_ti_mem(ti);

	c.cdb[0] = 0x12;
	c.cdb[4] = 96;
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 96;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(d[0] & 0x1f, 0); /* direct access block device */
	assert_memory_equal(d + 8, "SRPTD   ", 8);
	assert_memory_equal(d + 16, "E2E DISK", 8);
	assert_int_equal(c.req_lim_delta, 1);
}

static void test_read_capacity(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c = { 0 };
	uint8_t *d = srp_ti_mem(ti);

	c.cdb[0] = 0x25;
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 8;
	/* The first command after login sees the power-on unit attention. */
	srp_env_run_cmd(env, ti, &c);
	if (c.status == SAM_STAT_CHECK_CONDITION)
		srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(get_be32(d), DEV_SIZE / 512 - 1);
	assert_int_equal(get_be32(d + 4), 512);
}

/* WRITE a 1 MiB pattern with one descriptor layout, READ it back. */
static void write_read_mode(struct srp_env *env, struct srp_ti *ti,
			    enum srp_ti_desc desc, unsigned int nd,
			    unsigned int nd_iu, uint32_t len, uint32_t lba)
{
	uint8_t *m = srp_ti_mem(ti);
	struct srp_ti_cmd w = { 0 }, r = { 0 };

	fill_pattern(m, len, lba + desc);
	srp_env_cdb_rw10(w.cdb, true, lba, len / 512);
	w.dir = 1;
	w.desc = desc;
	w.ndesc = nd;
	w.ndesc_in_iu = nd_iu;
	w.len = len;
	srp_env_run_cmd(env, ti, &w);
	assert_int_equal(w.status, SAM_STAT_GOOD);
	assert_int_equal(w.flags, 0);
	memset(m + 2 * MIB, 0, len);
	srp_env_cdb_rw10(r.cdb, false, lba, len / 512);
	r.dir = 2;
	r.desc = desc == SRP_TI_IMM ? SRP_TI_DIRECT : desc;
	r.ndesc = nd;
	r.ndesc_in_iu = nd_iu;
	r.mem_off = 2 * MIB;
	r.len = len;
	srp_env_run_cmd(env, ti, &r);
	assert_int_equal(r.status, SAM_STAT_GOOD);
	assert_int_equal(r.flags, 0);
	assert_memory_equal(m, m + 2 * MIB, len);
}

static void test_write_read_direct(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);

	srp_env_clear_ua(env, ti);
	write_read_mode(env, ti, SRP_TI_DIRECT, 1, 1, MIB, 2048);
}

static void test_write_read_indirect(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);

	srp_env_clear_ua(env, ti);
	write_read_mode(env, ti, SRP_TI_INDIRECT, 12, 12, MIB, 4096);
}

static void test_write_read_external_table(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct fabric_loop_stats st0, st1;

	srp_env_clear_ua(env, ti);
	fabric_loop_get_stats(env->f, &st0);
	write_read_mode(env, ti, SRP_TI_EXTERNAL, 40, 3, MIB, 8192);
	fabric_loop_get_stats(env->f, &st1);
	/* Table fetches plus the data READs happened, within the depth. */
	assert_true(st1.rdma_reads - st0.rdma_reads >= 41);
	assert_true(st1.max_reads_outstanding <= 4);
}

static void test_write_read_immediate(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct fabric_loop_stats st0, st1;

	srp_env_clear_ua(env, ti);
	fabric_loop_get_stats(env->f, &st0);
	write_read_mode(env, ti, SRP_TI_IMM, 0, 0, 8192, 100);
	fabric_loop_get_stats(env->f, &st1);
	assert_int_equal(st1.rdma_reads, st0.rdma_reads); /* no READ */
}

static void test_queue_depth_many_writes(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	static struct srp_ti_cmd c[64];
	uint8_t *m = srp_ti_mem(ti);

	srp_env_clear_ua(env, ti);
	/* 64 x 64 KiB writes in flight at once, then verify. */
	fill_pattern(m, 4 * MIB, 77);
	for (int i = 0; i < 64; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, true, i * 128, 128);
		c[i].dir = 1;
		c[i].desc = SRP_TI_DIRECT;
		c[i].mem_off = i * 65536;
		c[i].len = 65536;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	for (int i = 0; i < 64; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     10000));
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
	{
		struct srp_ti_cmd r = { 0 };
		uint8_t *copy = malloc(MIB);

		memcpy(copy, m, MIB);
		memset(m, 0, MIB);
		srp_env_cdb_rw10(r.cdb, false, 0, 2048);
		r.dir = 2;
		r.desc = SRP_TI_INDIRECT;
		r.ndesc = 5;
		r.len = MIB;
		srp_env_run_cmd(env, ti, &r);
		assert_int_equal(r.status, SAM_STAT_GOOD);
		assert_memory_equal(m, copy, MIB);
		free(copy);
	}
}

static void test_residuals(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c = { 0 };

	srp_env_clear_ua(env, ti);
	/* Descriptor larger than the CDB's transfer: under. */
	srp_env_cdb_rw10(c.cdb, false, 0, 8);
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 8192;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(c.flags, SRP_RSP_FLAG_DIUNDER);
	assert_int_equal(c.data_in_res, 4096);
	/* Descriptor smaller: over, data truncated. */
	memset(&c, 0, sizeof(c));
	srp_env_cdb_rw10(c.cdb, false, 0, 8);
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 1024;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(c.flags, SRP_RSP_FLAG_DIOVER);
	assert_int_equal(c.data_in_res, 3072);
	/* Zero-length WRITE and READ (with or without descriptors): GOOD. */
	for (int i = 0; i < 4; i++) {
		memset(&c, 0, sizeof(c));
		srp_env_cdb_rw10(c.cdb, i % 2 == 0, 0, 0);
		c.dir = i < 2 ? 0 : (i % 2 == 0 ? 1 : 2);
		c.desc = SRP_TI_DIRECT;
		c.len = c.dir ? 512 : 0;
		srp_env_run_cmd(env, ti, &c);
		assert_int_equal(c.status, SAM_STAT_GOOD);
	}
	/* WRITE with less data-out than the CDB: refused. */
	memset(&c, 0, sizeof(c));
	srp_env_cdb_rw10(c.cdb, true, 0, 8);
	c.dir = 1;
	c.desc = SRP_TI_DIRECT;
	c.len = 1024;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_true(c.sense_len >= 14);
	assert_int_equal(c.sense[2] & 0xf, 0x05);
}

/* ---- malformed input ---------------------------------------------------------- */

static bool ti_down(void *arg)
{
	return srp_ti_state(arg) == SRP_TI_DISCONNECTED;
}

struct stray_wait {
	struct srp_ti *ti;
	uint64_t tag;
	struct srp_ti_cmd rsp;
};

static bool stray_arrived(void *arg)
{
	struct stray_wait *w = arg;

	return srp_ti_stray_rsp(w->ti, w->tag, &w->rsp);
}

/* Sense key, ASC and ASCQ of a response, fixed or descriptor format. */
static void assert_sense(const struct srp_ti_cmd *c, uint8_t key, uint8_t asc,
			 uint8_t ascq)
{
	assert_true(c->sense_len >= 14);
	if (c->sense[0] == 0x70 || c->sense[0] == 0x71) {
		assert_int_equal(c->sense[2] & 0xf, key);
		assert_int_equal(c->sense[12], asc);
		assert_int_equal(c->sense[13], ascq);
	} else {
		assert_int_equal(c->sense[1] & 0xf, key);
		assert_int_equal(c->sense[2], asc);
		assert_int_equal(c->sense[3], ascq);
	}
}

static void test_malformed_descriptor(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	uint8_t iu[64] = { 0 };
	struct srp_ti_cmd c = { 0 };
	struct stray_wait w = { .ti = ti, .tag = 0xdead };

	srp_env_clear_ua(env, ti);
	/* Reserved DATA-IN format 5: CHECK CONDITION, ILLEGAL REQUEST,
	 * INVALID FIELD IN INFORMATION UNIT, channel stays up.  The raw IU
	 * carries a tag the initiator does not track: its reply is a stray
	 * response. */
	iu[0] = SRP_CMD;
	iu[5] = 0x05;
	put_be64(iu + 8, 0xdead);
	iu[32] = 0x12;
	iu[36] = 36;
	assert_int_equal(srp_ti_send_raw(ti, iu, 64), 0);
	assert_true(srp_ti_run_until(env->loop, stray_arrived, &w, 5000));
	assert_int_equal(w.rsp.status, SAM_STAT_CHECK_CONDITION);
	assert_sense(&w.rsp, 0x05, 0x0e, 0x03);
	/* Indirect with a table length that is not a multiple of 16. */
	memset(iu, 0, sizeof(iu));
	iu[0] = SRP_CMD;
	iu[5] = SRP_DATA_DESC_INDIRECT;
	iu[7] = 1;
	put_be64(iu + 8, 0xbeef);
	iu[32] = 0x12;
	put_be32(iu + 48 + 12, 17);
	assert_int_equal(srp_ti_send_raw(ti, iu, 64), 0);
	c.cdb[0] = 0x12;
	c.cdb[4] = 36;
	c.dir = 2;
	c.len = 36;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
}

static void test_bad_lun(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c = { 0 };

	srp_env_clear_ua(env, ti);
	c.lun = 5; /* not mapped */
	c.cdb[0] = 0x00;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[2] & 0xf, 0x05);
}

static void test_invalid_iu_type_logout(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	uint8_t iu[16] = { 0x55 };

	assert_int_equal(srp_ti_send_raw(ti, iu, 16), 0);
	assert_true(srp_ti_run_until(env->loop, ti_down, ti, 5000));
	assert_true(srp_ti_got_t_logout(ti));
}

static void test_i_logout(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	uint8_t iu[16] = { SRP_I_LOGOUT };

	assert_int_equal(srp_ti_send_raw(ti, iu, 16), 0);
	assert_true(srp_ti_run_until(env->loop, ti_down, ti, 5000));
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 5000));
}

static void test_engine_stop_sends_t_logout(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);

	srp_engine_stop(env->e);
	assert_true(srp_ti_run_until(env->loop, ti_down, ti, 5000));
	assert_true(srp_ti_got_t_logout(ti));
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 5000));
}

static void test_target_remove_sends_t_logout(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);

	srp_target_remove(env->t);
	assert_true(srp_ti_run_until(env->loop, ti_down, ti, 5000));
	assert_true(srp_ti_got_t_logout(ti));
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 5000));
}

/* ---- task management ---------------------------------------------------------- */

static void submit_writes(struct srp_ti *ti, struct srp_ti_cmd *c, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, true, i * 256, 256);
		c[i].dir = 1;
		c[i].desc = SRP_TI_DIRECT;
		c[i].mem_off = i * 131072;
		c[i].len = 131072;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
}

/* Commands of a case answered when the TM response came. */
static struct srp_ti_cmd *g_tm_cmds;
static int g_tm_ncmds, g_tm_done_before;

static void tm_count_done(struct srp_ti_cmd *tm)
{
	g_tm_done_before = 0;
	for (int i = 0; i < g_tm_ncmds; i++)
		g_tm_done_before += g_tm_cmds[i].done;
}

/*
 * ABORT TASK SET right behind 16 WRITEs: none of them answers and every
 * credit comes back with the TM response.  LUN RESET behind the same
 * WRITEs: all 16 answer GOOD before the TM response (the reset waits
 * for the issuing nexus's commands, doc/srp-protocol.md 16).
 */
static void test_lun_reset_inflight(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c[16], tm = { 0 }, after = { 0 };
	struct srp_engine_stats st0, st;
	const uint8_t funcs[] = { SRP_TSK_ABORT_TASK_SET, SRP_TSK_LUN_RESET };

	srp_env_clear_ua(env, ti);
	for (unsigned int k = 0; k < ARRAY_SIZE(funcs); k++) {
		bool reset = funcs[k] == SRP_TSK_LUN_RESET;

		srp_engine_get_stats(env->e, &st0);
		submit_writes(ti, c, 16);
		memset(&tm, 0, sizeof(tm));
		g_tm_cmds = c;
		g_tm_ncmds = 16;
		tm.cb = tm_count_done;
		assert_int_equal(
			srp_ti_tmf(ti, &tm, funcs[k], 0, SRP_TAG_NO_REQ), 0);
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm,
					     10000));
		assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
		/* Run a while longer: aborted commands never answer. */
		for (int i = 0; i < 20; i++)
			loop_run_once(env->loop, 1);
		assert_int_equal(g_tm_done_before, reset ? 16 : 0);
		for (int i = 0; i < 16; i++) {
			assert_int_equal(c[i].done, reset);
			if (reset)
				assert_int_equal(c[i].status, SAM_STAT_GOOD);
		}
		/* Every credit came back (aborted ones' with the TM). */
		assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
		assert_int_equal(tm.req_lim_delta, reset ? 1 : 17);
		srp_engine_get_stats(env->e, &st);
		assert_int_equal(st.aborted - st0.aborted, reset ? 0 : 16);
	}
	/* The LU still works. */
	after.cdb[0] = 0x00;
	srp_env_run_cmd(env, ti, &after);
	assert_int_equal(after.status, SAM_STAT_GOOD);
}

static void test_abort_task(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c[2], tm = { 0 }, tm2 = { 0 };

	srp_env_clear_ua(env, ti);
	submit_writes(ti, c, 2);
	assert_int_equal(srp_ti_tmf(ti, &tm, SRP_TSK_ABORT_TASK, 0, c[1].tag),
			 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 10000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_true(
		srp_ti_run_until(env->loop, srp_env_cmd_done, &c[0], 10000));
	assert_int_equal(c[0].status, SAM_STAT_GOOD);
	for (int i = 0; i < 20; i++)
		loop_run_once(env->loop, 1);
	assert_false(c[1].done);
	/* Unknown tag: nothing to abort, FUNCTION COMPLETE (SAM-5 7.2). */
	assert_int_equal(srp_ti_tmf(ti, &tm2, SRP_TSK_ABORT_TASK, 0, 0x4242),
			 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm2, 10000));
	assert_int_equal(tm2.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
}

static void test_tmf_unsupported(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	const uint8_t funcs[] = { SRP_TSK_CLEAR_TASK_SET, SRP_TSK_CLEAR_ACA,
				  0x77 };

	for (unsigned int i = 0; i < ARRAY_SIZE(funcs); i++) {
		struct srp_ti_cmd tm = { 0 };

		assert_int_equal(srp_ti_tmf(ti, &tm, funcs[i], 0, 0), 0);
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm,
					     5000));
		assert_int_equal(tm.tm_code, SRP_TSK_MGMT_FUNC_NOT_SUPP);
	}
}

static void test_abort_task_set(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c[4], tm = { 0 };

	srp_env_clear_ua(env, ti);
	submit_writes(ti, c, 4);
	assert_int_equal(srp_ti_tmf(ti, &tm, SRP_TSK_ABORT_TASK_SET, 0, 0), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 10000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(tm.req_lim_delta, 5);
}

/*
 * LUN RESET while READs sit in the sync backend (EXECUTING): the TM
 * response waits until the backend finished them and they were answered
 * (Linux's ib_srp still owns them); another nexus then sees BUS DEVICE
 * RESET FUNCTION OCCURRED (29/03).
 */
static void test_lun_reset_executing(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	struct srp_ti_cmd c[8], tm = { 0 }, ua = { 0 };
	struct srp_engine_stats st0, st;

	ti_params(&p, 1);
	a = login(env, 0, &p);
	ti_params(&p, 2);
	b = login(env, 1, &p);
	srp_env_clear_ua(env, a);
	srp_env_clear_ua(env, b);
	srp_engine_get_stats(env->e, &st0);
	for (int i = 0; i < 8; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, false, i * 256, 256);
		c[i].dir = 2;
		c[i].mem_off = i * 131072;
		c[i].len = 131072;
		assert_int_equal(srp_ti_submit(a, &c[i]), 0);
	}
	g_tm_cmds = c;
	g_tm_ncmds = 8;
	tm.cb = tm_count_done;
	assert_int_equal(
		srp_ti_tmf(a, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 10000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	/* Every READ was answered before the TM response. */
	assert_int_equal(g_tm_done_before, 8);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.aborted - st0.aborted, 0);
	assert_int_equal(tm.req_lim_delta, 1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	/* The other nexus gets the reset unit attention. */
	srp_env_run_cmd(env, b, &ua);
	assert_int_equal(ua.status, SAM_STAT_CHECK_CONDITION);
	assert_true(ua.sense_len >= 14);
	if (ua.sense[0] == 0x70 || ua.sense[0] == 0x71) {
		assert_int_equal(ua.sense[2] & 0xf, 0x06);
		assert_int_equal(ua.sense[12], 0x29);
		assert_int_equal(ua.sense[13], 0x03);
	} else {
		assert_int_equal(ua.sense[1] & 0xf, 0x06);
		assert_int_equal(ua.sense[2], 0x29);
		assert_int_equal(ua.sense[3], 0x03);
	}
}

/* ---- credits ---------------------------------------------------------------------- */

static void test_credits_respected(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	static struct srp_ti_cmd c[200];
	int n = 0;

	srp_env_clear_ua(env, ti);
	/* The initiator may queue req_lim - 1 commands (one kept for TM). */
	while (n < 200) {
		memset(&c[n], 0, sizeof(c[n]));
		if (srp_ti_submit(ti, &c[n]))
			break;
		n++;
	}
	assert_int_equal(n, SRP_DEFAULT_REQ_LIM - 1);
	for (int i = 0; i < n; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     5000));
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
}

static void test_credits_exceeded(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	struct srp_ti_cmd c[6];
	struct srp_engine_stats st;
	int good = 0, full = 0;

	ti_params(&p, 1);
	p.enforce_credits = false;
	ti = login(env, 0, &p);
	assert_int_equal(srp_ti_login_credits(ti), 4);
	srp_env_clear_ua(env, ti);
	for (int i = 0; i < 6; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, false, 0, 1);
		c[i].dir = 2;
		c[i].mem_off = i * 512;
		c[i].len = 512;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     5000));
		if (c[i].status == SAM_STAT_GOOD) {
			good++;
			assert_true(c[i].req_lim_delta >= 1);
		} else {
			assert_int_equal(c[i].status, SAM_STAT_TASK_SET_FULL);
			assert_int_equal(c[i].req_lim_delta, 0);
			full++;
		}
	}
	assert_int_equal(good, 4);
	assert_int_equal(full, 2);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.credit_violations, 2);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
}

/* ---- multichannel ------------------------------------------------------------------- */

static void test_multichannel(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b, *c;
	struct srp_engine_stats st;
	struct srp_ti_cmd cmd = { 0 };

	ti_params(&p, 9);
	a = login(env, 0, &p);
	assert_int_equal(srp_ti_state(a), SRP_TI_LOGGED_IN);
	p.multi = true;
	b = login(env, 1, &p);
	assert_int_equal(srp_ti_state(b), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_login_flags(b) & 3,
			 SRP_LOGIN_RSP_MULTICHAN_MAINTAINED);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.channels, 2);
	assert_int_equal(st.nexuses, 1);
	/* Both channels carry I/O. */
	srp_env_clear_ua(env, b);
	srp_env_run_cmd(env, a, &cmd);
	assert_int_equal(cmd.status, SAM_STAT_GOOD);
	/* A SINGLE login of the same nexus closes the others. */
	p.multi = false;
	c = login(env, 2, &p);
	assert_int_equal(srp_ti_state(c), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_login_flags(c) & 3,
			 SRP_LOGIN_RSP_MULTICHAN_TERMINATED);
	assert_true(srp_ti_run_until(env->loop, ti_down, a, 5000));
	assert_true(srp_ti_run_until(env->loop, ti_down, b, 5000));
	assert_int_equal(srp_ti_state(c), SRP_TI_LOGGED_IN);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.nexuses, 1);
	/* Another initiator is another nexus. */
	ti_params(&p, 10);
	assert_int_equal(srp_ti_state(login(env, 3, &p)), SRP_TI_LOGGED_IN);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.nexuses, 2);
}

static void test_disconnect_with_io_inflight(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c[16];

	srp_env_clear_ua(env, ti);
	submit_writes(ti, c, 16);
	loop_run_once(env->loop, 0);
	srp_ti_disconnect(ti);
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 10000));
}

/*
 * Resource waits: 6 x 1 MiB WRITEs at once with a pool of one command
 * (NEED_BUFFER), 8 SQ slots (batched RDMA WRITEs), RDMA READ depth 2 and
 * 100-descriptor external tables (several READ batches), then READs back
 * with 60 descriptors each.
 */
static void test_tight_resources(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	static struct srp_ti_cmd c[6];
	uint8_t *m, *copy;
	struct fabric_loop_stats st;

	ti_params(&p, 1);
	p.mem_size = 8 * MIB;
	p.responder_resources = 2;
	ti = login(env, 0, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	srp_env_clear_ua(env, ti);
	m = srp_ti_mem(ti);
	fill_pattern(m, 6 * MIB, 4242);
	for (int i = 0; i < 6; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, true, 10000 + i * 2048, 2048);
		c[i].dir = 1;
		c[i].desc = SRP_TI_EXTERNAL;
		c[i].ndesc = 100;
		c[i].ndesc_in_iu = 3;
		c[i].mem_off = i * MIB;
		c[i].len = MIB;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     10000));
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	copy = malloc(6 * MIB);
	memcpy(copy, m, 6 * MIB);
	memset(m, 0, 6 * MIB);
	for (int i = 0; i < 6; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, false, 10000 + i * 2048, 2048);
		c[i].dir = 2;
		c[i].desc = SRP_TI_INDIRECT;
		c[i].ndesc = 60;
		c[i].mem_off = i * MIB;
		c[i].len = MIB;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &c[i],
					     10000));
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	assert_memory_equal(m, copy, 6 * MIB);
	free(copy);
	fabric_loop_get_stats(env->f, &st);
	assert_true(st.max_reads_outstanding <= 2);
	assert_int_equal(st.error_wcs, 0);
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
}

/*
 * Random IUs (seeded): mostly SRP_CMDs with random formats, counts,
 * lengths and descriptors (some pointing into the initiator's memory with
 * its real rkey), TSK_MGMTs with random functions and junk.  The target
 * must answer, log out or disconnect -- never crash or hang -- and must
 * go idle when the initiator leaves.  Re-logs in when the channel dies.
 */
static void test_random_ius(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti = NULL;
	uint8_t iu[600];
	unsigned int seed = 12345, relogins = 0;
	int iters = 3000;

	/* SRP_E2E_SEED / SRP_E2E_ITERS: longer runs by hand. */
	if (getenv("SRP_E2E_SEED"))
		seed = strtoul(getenv("SRP_E2E_SEED"), NULL, 0);
	if (getenv("SRP_E2E_ITERS"))
		iters = atoi(getenv("SRP_E2E_ITERS"));
	uint32_t rkey = 0;
	uint64_t va = 0;

	ti_params(&p, 3);
	for (int it = 0; it < iters; it++) {
		uint32_t len = 16 + rand_r(&seed) % 400;
		int kind = rand_r(&seed) % 20;

		if (!ti || srp_ti_state(ti) != SRP_TI_LOGGED_IN) {
			if (ti) {
				assert_true(srp_ti_run_until(
					env->loop, srp_env_idle, env, 5000));
				srp_ti_destroy(ti);
				env->ti[0] = NULL;
				relogins++;
			}
			ti = login(env, 0, &p);
			assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
			{
				/* Learn a valid rkey/va from a real IU. */
				struct srp_ti_cmd c = { 0 };

				c.cdb[0] = 0x12;
				c.cdb[4] = 36;
				c.dir = 2;
				c.len = 36;
				srp_env_run_cmd(env, ti, &c);
			}
			va = (uintptr_t)srp_ti_mem(ti);
			rkey = srp_ti_mem_rkey(ti);
		}
		for (uint32_t i = 0; i < len; i++)
			iu[i] = rand_r(&seed);
		if (kind < 16) {
			uint8_t op = (const uint8_t[]){
				0x28, 0x2a, 0x12, 0x00, 0x25, 0x88
			}[rand_r(&seed) % 6];

			iu[0] = SRP_CMD;
			iu[5] = (rand_r(&seed) % 4)
				<< (rand_r(&seed) % 2 ? 4 : 0);
			iu[6] = rand_r(&seed) % 4;
			iu[7] = rand_r(&seed) % 4;
			iu[31] = rand_r(&seed) % 4 ? 0 : 4;
			memset(iu + 20, 0, 8); /* LUN 0 */
			iu[32] = op;
			if (rand_r(&seed) % 10 < 7)
				iu[5] = op == 0x2a ? 0x10 : 0x01;
			if (rand_r(&seed) % 4 && (op == 0x28 || op == 0x2a)) {
				/* A plausible READ/WRITE(10). */
				memset(iu + 33, 0, 15);
				put_be32(iu + 34, rand_r(&seed) % 1000);
				put_be16(iu + 39, 1 + rand_r(&seed) % 16);
			}
			if (rand_r(&seed) % 4) {
				/* A plausible direct descriptor. */
				uint32_t off = 48 + (iu[31] & 0xfc);

				len = MAX(len, off + 16);
				put_be64(iu + off,
					 va + rand_r(&seed) % (3 * MIB));
				put_be32(iu + off + 8,
					 rand_r(&seed) % 8 ? rkey : 7);
				put_be32(iu + off + 12, rand_r(&seed) % 10000);
			}
		} else if (kind < 19) {
			iu[0] = SRP_TSK_MGMT;
			memset(iu + 20, 0, 8);
			iu[30] = (const uint8_t[]){
				1, 2, 4, 8, 0x40, 0x99
			}[rand_r(&seed) % 6];
		}
		if (srp_ti_send_raw(ti, iu, len))
			continue;
		/* Let a few go in flight together. */
		if (rand_r(&seed) % 4 == 0)
			loop_run_once(env->loop, 0);
	}
	for (int i = 0; i < 50; i++)
		loop_run_once(env->loop, 1);
	{
		struct fabric_loop_stats st;

		fabric_loop_get_stats(env->f, &st);
		print_message("random IUs: %u re-logins, %llu RDMA reads, "
			      "%llu writes, %llu error completions\n",
			      relogins, (unsigned long long)st.rdma_reads,
			      (unsigned long long)st.rdma_writes,
			      (unsigned long long)st.error_wcs);
		/* The valid-rkey descriptors really moved data. */
		assert_true(st.rdma_reads + st.rdma_writes > 0);
	}
}

/*
 * Two workers: MULTI logins land on both (round robin), carry I/O, and a
 * SINGLE login closes both through the cross-worker messages; a LUN RESET
 * answers for the channel that received it.
 */
static void test_two_workers(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b, *c;
	struct srp_engine_stats st;
	struct srp_ti_cmd tm = { 0 };
	struct srp_worker *wa, *wb;
	uint64_t cmds, cmds2;

	ti_params(&p, 5);
	p.multi = true;
	a = login(env, 0, &p);
	b = login(env, 1, &p);
	assert_int_equal(srp_ti_state(a), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_state(b), SRP_TI_LOGGED_IN);
	/* One channel on each worker. */
	assert_int_equal(env->w->n_channels, 1);
	assert_int_equal(env->w2->n_channels, 1);
	srp_env_clear_ua(env, a);
	/* Exactly one worker executes a's I/O, the other one b's. */
	cmds = env->w->stats.cmds;
	cmds2 = env->w2->stats.cmds;
	write_read_mode(env, a, SRP_TI_DIRECT, 1, 1, MIB, 0);
	assert_true((env->w->stats.cmds > cmds) !=
		    (env->w2->stats.cmds > cmds2));
	wa = env->w->stats.cmds > cmds ? env->w : env->w2;
	wb = wa == env->w ? env->w2 : env->w;
	cmds = wa->stats.cmds;
	cmds2 = wb->stats.cmds;
	write_read_mode(env, b, SRP_TI_INDIRECT, 4, 4, MIB, 4096);
	assert_int_equal(wa->stats.cmds, cmds);
	assert_true(wb->stats.cmds > cmds2);
	assert_int_equal(
		srp_ti_tmf(b, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.channels, 2);
	assert_int_equal(st.nexuses, 1);
	p.multi = false;
	c = login(env, 2, &p);
	assert_int_equal(srp_ti_login_flags(c) & 3,
			 SRP_LOGIN_RSP_MULTICHAN_TERMINATED);
	assert_true(srp_ti_run_until(env->loop, ti_down, a, 5000));
	assert_true(srp_ti_run_until(env->loop, ti_down, b, 5000));
	srp_env_clear_ua(env, c);
	write_read_mode(env, c, SRP_TI_DIRECT, 1, 1, 65536, 8192);
}

/*
 * External tables refused by configuration (ib_srpt's behaviour): a clean
 * CHECK CONDITION, the channel stays up, full tables still work.
 */
static void test_external_table_disabled(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	struct srp_ti_cmd c = { 0 };

	srp_env_clear_ua(env, ti);
	srp_env_cdb_rw10(c.cdb, false, 0, 64);
	c.dir = 2;
	c.desc = SRP_TI_EXTERNAL;
	c.ndesc = 20;
	c.ndesc_in_iu = 2;
	c.len = 32768;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[2] & 0xf, 0x05);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	write_read_mode(env, ti, SRP_TI_INDIRECT, 20, 20, 65536, 64);
}

struct sustain {
	struct srp_ti *ti;
	int left, done, bad;
};

static void sustain_cb(struct srp_ti_cmd *c)
{
	struct sustain *s = c->priv;

	s->done++;
	if (c->status != SAM_STAT_GOOD)
		s->bad++;
	if (s->left > 0) {
		s->left--;
		assert_int_equal(srp_ti_submit(s->ti, c), 0);
	}
}

static bool sustain_finished(void *arg)
{
	struct sustain *s = arg;

	return s->left == 0 && s->done == 20000;
}

/*
 * Queue depth 127 sustained for 20000 READs: a command sent right after
 * a response always finds a posted receive (the buffer is reposted before
 * the response that returns its credit), so no RNR wait ever happens.
 */
static void test_sustained_qd_no_rnr(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_default(env, 0);
	static struct srp_ti_cmd c[127];
	struct sustain s = { .ti = ti, .left = 20000 };
	struct fabric_loop_stats st0, st;

	srp_env_clear_ua(env, ti);
	fabric_loop_get_stats(env->f, &st0);
	for (int i = 0; i < 127; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		srp_env_cdb_rw10(c[i].cdb, false, i * 8, 8);
		c[i].dir = 2;
		c[i].mem_off = i * 4096;
		c[i].len = 4096;
		c[i].cb = sustain_cb;
		c[i].priv = &s;
		s.left--;
		assert_int_equal(srp_ti_submit(ti, &c[i]), 0);
	}
	assert_true(srp_ti_run_until(env->loop, sustain_finished, &s, 30000));
	assert_int_equal(s.bad, 0);
	fabric_loop_get_stats(env->f, &st);
	assert_int_equal(st.rnr_waits - st0.rnr_waits, 0);
	assert_int_equal(st.error_wcs, 0);
}

/* Raw active side for login fuzzing. */
struct raw_login {
	int done, status;
};

static void rl_recv(void *c, uint64_t id, enum fabric_wc_status st,
		    uint32_t len)
{
}

static void rl_send(void *c, uint64_t id, enum fabric_wc_status st)
{
}

static void rl_conn(void *c, int status, const void *pd, unsigned int len)
{
	struct raw_login *r = c;

	r->done = 1;
	r->status = status;
}

static void rl_disc(void *c)
{
}

static const struct fabric_qp_handlers rl_handlers = {
	.recv_done = rl_recv,
	.send_done = rl_send,
	.rdma_done = rl_send,
	.connect_done = rl_conn,
	.disconnected = rl_disc,
};

static bool rl_done(void *arg)
{
	return ((struct raw_login *)arg)->done;
}

/*
 * Logins with random private data (seeded), mostly well-formed with
 * random fields: every one is answered (accept or reject), nothing
 * crashes, and the engine is idle once the accepted ones leave.
 */
static void test_random_logins(void **state)
{
	struct srp_env *env = *state;
	struct fabric_qp_attr attr = { .sq_depth = 8,
				       .rq_depth = 8,
				       .max_sge = 1 };
	unsigned int seed = 777, accepted = 0;
	uint8_t tpid[16];

	srp_target_port_id(ID_EXT, IOC_GUID, tpid);
	for (int i = 0; i < 400; i++) {
		struct raw_login rl = { 0 };
		struct fabric_qp *qp;
		uint8_t pd[92];
		bool rdma = rand_r(&seed) % 2;
		unsigned int len = rand_r(&seed) % (rdma ? 57 : 93);

		for (unsigned int k = 0; k < sizeof(pd); k++)
			pd[k] = rand_r(&seed);
		if (rand_r(&seed) % 4) {
			/* Plausible: right opcode, ids, sizes around limits. */
			uint8_t *ini = rdma ? pd + 16 : pd + 32;
			uint8_t *tgt = rdma ? pd + 32 : pd + 48;

			pd[rdma ? 11 : 0] = SRP_LOGIN_REQ;
			put_be32(rdma ? pd + 12 : pd + 16,
				 rand_r(&seed) % 2 ? 8260 :
						     rand_r(&seed) % 20000);
			if (rand_r(&seed) % 4)
				memcpy(tgt, tpid, 16);
			memset(ini, 0, 8);
			len = MAX(len, rdma ? 56u : 64u);
		}
		assert_int_equal(fabric_loop_connect(env->f, env->icq, &attr,
						     &rl_handlers, &rl, pd, len,
						     rdma, 4, &qp),
				 0);
		assert_true(srp_ti_run_until(env->loop, rl_done, &rl, 5000));
		if (rl.status == 0) {
			accepted++;
			env->f->ops->disconnect(qp);
		}
		/* Let the target finish with it before the QP goes. */
		for (int k = 0; k < 3; k++)
			loop_run_once(env->loop, 0);
		fabric_loop_run(env->f);
		env->f->ops->qp_destroy(qp);
	}
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 5000));
	print_message("random logins: %u of 400 accepted\n", accepted);
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_login_accept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_login_rdma_cm_layout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_reject_target, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_login_reject_iu_len, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inquiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_capacity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_read_direct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_read_indirect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_read_external_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_immediate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_depth_many_writes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tight_resources,
						setup_tight, teardown),
		cmocka_unit_test_setup_teardown(test_residuals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_descriptor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_iu_type_logout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_i_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_stop_sends_t_logout,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_target_remove_sends_t_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lun_reset_inflight,
						setup_null, teardown),
		cmocka_unit_test_setup_teardown(test_lun_reset_executing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abort_task, setup_null,
						teardown),
		cmocka_unit_test_setup_teardown(test_abort_task_set, setup_null,
						teardown),
		cmocka_unit_test_setup_teardown(test_tmf_unsupported,
						setup_null, teardown),
		cmocka_unit_test_setup_teardown(test_sustained_qd_no_rnr,
						setup_null, teardown),
		cmocka_unit_test_setup_teardown(test_credits_respected,
						setup_null, teardown),
		cmocka_unit_test_setup_teardown(test_credits_exceeded,
						setup_small_credits, teardown),
		cmocka_unit_test_setup_teardown(test_multichannel, setup_null,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_disconnect_with_io_inflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_table_disabled,
						setup_no_ext, teardown),
		cmocka_unit_test_setup_teardown(test_random_logins, setup_null,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_workers,
						setup_two_workers, teardown),
		cmocka_unit_test_setup_teardown(test_random_ius, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
