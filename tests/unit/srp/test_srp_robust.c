/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The SRP engine under stress, over the loopback fabric, with a "hold"
 * backend that keeps I/Os until the test releases them (a backend that
 * completes late, as a loaded host does):
 *  - a SINGLE re-login (and MULTI joins) while the nexus's old channels
 *    still have commands in the backend: accepted; the old commands'
 *    late completions answer nothing on the new channel, give it no
 *    credit and still reach the medium only before the old channel goes;
 *  - ABORT TASK SET while commands wait for data buffers, for RDMA READ
 *    slots, with RDMA READs outstanding: answered as soon as the aborted
 *    commands finished, waiting ones never reach the backend; LUN RESET
 *    behind a full send queue and across channels and workers: answered
 *    once the nexus's commands were;
 *  - credits after a channel died with requests in flight.
 * Every test runs with per-channel receive rings and with a shared
 * receive queue.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_iu.h"
#include "srptd/backend.h"
#include "srptd/scsi_proto.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"
#include "srp_hold.h"

/* ---- environment ---------------------------------------------------------- */

static bool g_srq; /* second pass: shared receive queue */
static bool g_tight; /* one 1 MiB command of buffers, small SQ */
static bool g_two_workers; /* logins alternate between two workers */

static void ti_params(struct srp_ti_params *p, uint8_t ini)
{
	srp_env_ti_params(p, ini, 8 * MIB);
}

static bool ti_down(void *arg)
{
	return srp_ti_state(arg) == SRP_TI_DISCONNECTED;
}

static struct srp_ti *login(struct srp_env *env, int idx,
			    const struct srp_ti_params *p)
{
	return srp_env_login(env, idx, p);
}

static int setup_common(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;

	assert_non_null(env);
	memset(&hold, 0, sizeof(hold));
	hold.disk = calloc(1, DEV_SIZE);
	assert_non_null(hold.disk);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 128;
	ep.use_srq = g_srq;
	if (g_srq)
		ep.srq_size = 512;
	if (g_tight) {
		ep.chunks = 16; /* exactly one 1 MiB command */
		ep.sq_depth = 8;
		ep.max_rd_atomic = 2;
	}
	srp_env_start(env, &ep, 4096);

	hold_bdev_init(&env->bdev, DEV_SIZE);
	srp_env_export(env, "HOLD DISK", g_two_workers);
	*state = env;
	return 0;
}

static int setup(void **state)
{
	g_tight = false;
	g_two_workers = false;
	return setup_common(state);
}

static int setup_tight(void **state)
{
	g_tight = true;
	g_two_workers = false;
	return setup_common(state);
}

static int setup_tight_two_workers(void **state)
{
	g_tight = true;
	g_two_workers = true;
	return setup_common(state);
}

/* Two workers on one loop: a nexus's channels alternate between them. */
static int setup_two_workers(void **state)
{
	g_tight = false;
	g_two_workers = true;
	return setup_common(state);
}

static int teardown(void **state)
{
	struct srp_env *env = *state;

	hold_release();
	srp_env_stop(env);
	loop_destroy(env->loop);
	free(hold.disk);
	hold.disk = NULL;
	free(env);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void fill(uint8_t *p, uint32_t len, uint8_t v)
{
	memset(p, v, len);
}

/* A WRITE of len bytes at lba from the initiator's memory at mem_off. */
static void prep_write(struct srp_ti_cmd *c, uint32_t lba, uint32_t len,
		       uint32_t mem_off, enum srp_ti_desc desc,
		       unsigned int ndesc)
{
	memset(c, 0, sizeof(*c));
	srp_env_cdb_rw10(c->cdb, true, lba, len / 512);
	c->dir = 1;
	c->desc = desc;
	c->ndesc = ndesc;
	c->mem_off = mem_off;
	c->len = len;
}

static void prep_read(struct srp_ti_cmd *c, uint32_t lba, uint32_t len,
		      uint32_t mem_off)
{
	memset(c, 0, sizeof(*c));
	srp_env_cdb_rw10(c->cdb, false, lba, len / 512);
	c->dir = 2;
	c->desc = SRP_TI_DIRECT;
	c->mem_off = mem_off;
	c->len = len;
}

static void run_rounds(struct srp_env *env, int n)
{
	for (int i = 0; i < n; i++)
		loop_run_once(env->loop, 1);
}

/* ---- re-login while the old channels drain ----------------------------------- */

/*
 * What ib_srp does after a host reset: channel 0 logs in again with
 * SINGLE (flags 0) and the others with MULTI while the target still has
 * the old channels' WRITEs in the backend.  Both logins are accepted;
 * the new channels carry I/O at once; the old WRITEs complete late
 * without answering anything on the new channels (their credits are
 * exact) and before the old channels are released.
 */
static void test_relogin_while_old_channels_drain(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a0, *a1, *b0, *b1;
	static struct srp_ti_cmd old[16], c[8];
	unsigned int want = 16, before;
	uint8_t *m;

	ti_params(&p, 7);
	a0 = login(env, 0, &p);
	p.multi = true;
	a1 = login(env, 1, &p);
	assert_int_equal(srp_ti_state(a1), SRP_TI_LOGGED_IN);
	srp_env_clear_ua(env, a0);
	/* 8 WRITEs on each old channel, all held in the backend. */
	hold.on = true;
	for (int i = 0; i < 16; i++) {
		struct srp_ti *ti = i < 8 ? a0 : a1;

		fill(srp_ti_mem(ti) + (i % 8) * 4096, 4096, 0xa0 + i);
		prep_write(&old[i], 1000 + i * 8, 4096, (i % 8) * 4096,
			   SRP_TI_DIRECT, 1);
		assert_int_equal(srp_ti_submit(ti, &old[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	hold.on = false;
	before = hold.completed;

	/* Reconnect: SINGLE for channel 0, then MULTI. */
	p.multi = false;
	b0 = login(env, 2, &p);
	assert_int_equal(srp_ti_state(b0), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_login_flags(b0) & 3,
			 SRP_LOGIN_RSP_MULTICHAN_TERMINATED);
	p.multi = true;
	b1 = login(env, 3, &p);
	assert_int_equal(srp_ti_state(b1), SRP_TI_LOGGED_IN);
	assert_true(srp_ti_run_until(env->loop, ti_down, a0, 5000));
	assert_true(srp_ti_run_until(env->loop, ti_down, a1, 5000));
	/* The old channels still exist: their WRITEs are in the backend. */
	assert_int_equal(srp_env_channels(env), 4);
	assert_int_equal(hold.completed, before);

	/* The new channels work while the old ones drain. */
	m = srp_ti_mem(b0);
	for (int i = 0; i < 4; i++) {
		struct srp_ti *ti = i % 2 ? b1 : b0;

		fill(srp_ti_mem(ti) + MIB + i * 4096, 4096, 0x10 + i);
		prep_write(&c[i], 5000 + i * 8, 4096, MIB + i * 4096,
			   SRP_TI_DIRECT, 1);
		srp_env_run_cmd(env, ti, &c[i]);
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
	}
	prep_read(&c[4], 5000, 4096, 2 * MIB);
	srp_env_run_cmd(env, b0, &c[4]);
	assert_int_equal(c[4].status, SAM_STAT_GOOD);
	assert_int_equal(m[2 * MIB], 0x10);

	/* The backend finishes the old WRITEs: no response anywhere. */
	hold_release();
	assert_true(srp_env_channels_le(env, 2));
	run_rounds(env, 20);
	for (int i = 0; i < 16; i++)
		assert_false(old[i].done);
	/* Their data reached the medium (they were executing). */
	for (int i = 0; i < 16; i++)
		assert_int_equal(hold.disk[(1000 + i * 8) * 512], 0xa0 + i);
	/* No stray response added credits on the new channels. */
	assert_int_equal(srp_ti_credits(b0), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(b1), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_state(b0), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_ti_state(b1), SRP_TI_LOGGED_IN);
	/* And they keep working. */
	prep_read(&c[5], 1000, 4096, 3 * MIB);
	srp_env_run_cmd(env, b1, &c[5]);
	assert_int_equal(c[5].status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_mem(b1)[3 * MIB], 0xa0);
}

/*
 * The initiator disconnects first (DREQ, as ib_srp's srp_reconnect_rport
 * does before logging in again) with commands in the backend, then logs
 * in with SINGLE before the old channel was released: accepted, and a
 * LUN RESET on the new channel answers at once (the old channel's
 * commands are already aborted with it).
 */
static void test_relogin_after_disconnect_then_reset(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	static struct srp_ti_cmd old[8], tm, c;
	unsigned int want = 8;

	ti_params(&p, 8);
	a = login(env, 0, &p);
	srp_env_clear_ua(env, a);
	hold.on = true;
	for (int i = 0; i < 8; i++) {
		prep_write(&old[i], 2000 + i * 8, 4096, i * 4096, SRP_TI_DIRECT,
			   1);
		assert_int_equal(srp_ti_submit(a, &old[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	hold.on = false;
	srp_ti_disconnect(a);
	run_rounds(env, 5);
	b = login(env, 1, &p);
	assert_int_equal(srp_ti_state(b), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_env_channels(env), 2);
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(
		srp_ti_tmf(b, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(tm.req_lim_delta, 1);
	/* The old channel is still there until its commands complete. */
	assert_int_equal(srp_env_channels(env), 2);
	hold_release();
	assert_true(srp_env_channels_le(env, 1));
	srp_env_clear_ua(env, b);
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, b, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
}

/* ---- task management under resource pressure ------------------------------------- */

/*
 * Pool of one 1 MiB command: the first WRITE holds every chunk while its
 * backend I/O is held, three more wait for buffers.  An ABORT TASK SET
 * aborts the waiting ones at once (they never reach the backend) and is
 * answered as soon as the backend finished the first, with every credit.
 * (LUN RESET waits for them instead: test_srp_race.c.)
 */
static void test_abort_task_set_with_buffer_waiters(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	static struct srp_ti_cmd w[4], tm, c;
	unsigned int want = 1;

	ti_params(&p, 1);
	ti = login(env, 0, &p);
	srp_env_clear_ua(env, ti);
	hold.on = true;
	for (int i = 0; i < 4; i++) {
		prep_write(&w[i], i * 2048, MIB, (i % 4) * MIB, SRP_TI_INDIRECT,
			   16);
		assert_int_equal(srp_ti_submit(ti, &w[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	run_rounds(env, 10);
	assert_int_equal(hold.submitted, 1); /* the others wait for buffers */
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(srp_ti_tmf(ti, &tm, SRP_TSK_ABORT_TASK_SET, 0,
				    SRP_TAG_NO_REQ),
			 0);
	run_rounds(env, 20);
	/* Not before the backend gave the executing one back (SAM-5 7.1). */
	assert_false(tm.done);
	hold_release();
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(tm.req_lim_delta, 5);
	run_rounds(env, 20);
	for (int i = 0; i < 4; i++)
		assert_false(w[i].done);
	assert_int_equal(hold.submitted, 1);
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
	/* The pool came back: a new 1 MiB WRITE runs. */
	prep_write(&c, 100000, MIB, 4 * MIB, SRP_TI_DIRECT, 1);
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

/*
 * ABORT TASK SET right behind WRITEs fetching their data-out with RDMA READs
 * (depth 2, 16 descriptors each, so most wait for READ slots and some
 * have READs on the wire): answered without any backend help, none of
 * the aborted WRITEs reaches the medium, credits exact.
 */
static void test_abort_task_set_with_rdma_reads(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	static struct srp_ti_cmd w[6], tm, c;
	int aborted = 0;

	ti_params(&p, 1);
	p.responder_resources = 2;
	ti = login(env, 0, &p);
	srp_env_clear_ua(env, ti);
	/* Only 16 chunks: one 1 MiB WRITE, then 64 KiB ones. */
	for (int i = 0; i < 6; i++) {
		fill(srp_ti_mem(ti) + i * 65536, 65536, 0x55);
		prep_write(&w[i], 30000 + i * 128, 65536, i * 65536,
			   SRP_TI_INDIRECT, 16);
		assert_int_equal(srp_ti_submit(ti, &w[i]), 0);
	}
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(srp_ti_tmf(ti, &tm, SRP_TSK_ABORT_TASK_SET, 0,
				    SRP_TAG_NO_REQ),
			 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	run_rounds(env, 20);
	/*
	 * Whatever was aborted got no response and left its blocks as they
	 * were (zero); the rest answered GOOD and wrote theirs.  The abort
	 * must have caught at least one WRITE, or this checks nothing.
	 */
	for (int i = 0; i < 6; i++) {
		const uint8_t *blk = hold.disk + (30000 + i * 128) * 512ULL;

		if (w[i].done) {
			assert_int_equal(w[i].status, SAM_STAT_GOOD);
			assert_int_equal(blk[0], 0x55);
			assert_int_equal(blk[65535], 0x55);
			continue;
		}
		aborted++;
		for (unsigned int b = 0; b < 65536; b++)
			if (blk[b])
				fail_msg("aborted WRITE %d reached the medium "
					 "(byte %u is %#x)",
					 i, b, blk[b]);
	}
	assert_true(aborted > 0);
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

/*
 * READs whose data-in must go out in batches through a send queue of 8
 * while a LUN RESET arrives: the TM response queues behind them for SQ
 * room and still goes out; nothing is left waiting.
 */
static void test_lun_reset_behind_full_sq(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	static struct srp_ti_cmd r[8], tm, c;
	unsigned int want = 8;

	ti_params(&p, 1);
	ti = login(env, 0, &p);
	srp_env_clear_ua(env, ti);
	hold.on = true;
	for (int i = 0; i < 8; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		srp_env_cdb_rw10(r[i].cdb, false, i * 256, 256);
		r[i].dir = 2;
		r[i].desc = SRP_TI_INDIRECT;
		r[i].ndesc = 16;
		r[i].mem_off = i * 131072;
		r[i].len = 131072;
		assert_int_equal(srp_ti_submit(ti, &r[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	/* All complete at once: 8 x 16 RDMA WRITEs compete for 7 slots. */
	hold_release();
	memset(&tm, 0, sizeof(tm));
	loop_run_once(env->loop, 1);
	assert_int_equal(
		srp_ti_tmf(ti, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	for (int i = 0; i < 8; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &r[i],
					     5000));
		assert_int_equal(r[i].status, SAM_STAT_GOOD);
	}
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

/*
 * ABORT TASK for a WRITE waiting for buffers behind an executing one:
 * answered at once (the victim needs nothing), the executing WRITE still
 * answers GOOD when the backend gives it back.
 */
static void test_abort_task_buffer_waiter(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti;
	static struct srp_ti_cmd w[2], tm;
	unsigned int want = 1;

	ti_params(&p, 1);
	ti = login(env, 0, &p);
	srp_env_clear_ua(env, ti);
	hold.on = true;
	for (int i = 0; i < 2; i++) {
		prep_write(&w[i], i * 2048, MIB, i * MIB, SRP_TI_DIRECT, 1);
		assert_int_equal(srp_ti_submit(ti, &w[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	run_rounds(env, 10);
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(srp_ti_tmf(ti, &tm, SRP_TSK_ABORT_TASK, 0, w[1].tag),
			 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_false(w[0].done);
	hold_release();
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &w[0], 5000));
	assert_int_equal(w[0].status, SAM_STAT_GOOD);
	run_rounds(env, 20);
	assert_false(w[1].done);
	assert_int_equal(hold.submitted, 1);
	assert_int_equal(srp_ti_credits(ti), SRP_DEFAULT_REQ_LIM);
}

/*
 * ib_srp sends LUN RESET on channel 0 (srp_reset_device) while the I/O
 * runs on another channel of the nexus (the hardware queue of the CPU
 * fio runs on): WRITEs executing in the backend on channel 1, the TMF
 * on channel 0.  The TM response comes once they finished and were
 * answered (GOOD, before it); every credit comes back on the channel
 * that lent it.
 * (Channel 0 sits behind channel 1 on the worker's list: the walk over
 * the nexus's channels must end there.  A build whose walk cycled between
 * them spun forever in srp_tmf_collect(), which is how srptd stopped
 * answering TMFs, logins and SIGTERM in the VM's reset check.)
 */
static void test_lun_reset_other_channel(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	static struct srp_ti_cmd w[5], tm, c;
	unsigned int want = 5;

	ti_params(&p, 3);
	a = login(env, 0, &p);
	p.multi = true;
	b = login(env, 1, &p);
	assert_int_equal(srp_ti_state(b), SRP_TI_LOGGED_IN);
	srp_env_clear_ua(env, a);
	hold.on = true;
	for (int i = 0; i < 5; i++) {
		prep_write(&w[i], 3000 + i * 8, 4096, i * 4096, SRP_TI_IMM, 0);
		assert_int_equal(srp_ti_submit(b, &w[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	hold.on = false;
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(
		srp_ti_tmf(a, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	run_rounds(env, 20);
	assert_false(tm.done);
	hold_release();
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(tm.req_lim_delta, 1);
	for (int i = 0; i < 5; i++) {
		/* Answered before the TM response: done already. */
		assert_true(w[i].done);
		assert_int_equal(w[i].status, SAM_STAT_GOOD);
	}
	/* b's credits came back with its responses. */
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, b, &c);
	if (c.status == SAM_STAT_CHECK_CONDITION) {
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(env, b, &c);
	}
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(a), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
}

/*
 * ABORT TASK sent on another channel than the command's, the two
 * channels on different workers: the command is still found and
 * aborted, and the TM response waits for it.
 */
static void test_abort_task_other_worker(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	static struct srp_ti_cmd w[2], tm;
	unsigned int want = 2;

	ti_params(&p, 4);
	a = login(env, 0, &p);
	p.multi = true;
	b = login(env, 1, &p);
	srp_env_clear_ua(env, a);
	hold.on = true;
	for (int i = 0; i < 2; i++) {
		prep_write(&w[i], 4000 + i * 8, 4096, i * 4096, SRP_TI_IMM, 0);
		assert_int_equal(srp_ti_submit(b, &w[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	hold.on = false;
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(srp_ti_tmf(a, &tm, SRP_TSK_ABORT_TASK, 0, w[1].tag),
			 0);
	run_rounds(env, 20);
	assert_false(tm.done);
	hold_release();
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &w[0], 5000));
	assert_int_equal(w[0].status, SAM_STAT_GOOD);
	run_rounds(env, 20);
	assert_false(w[1].done);
}

static struct srp_ti_cmd g_reads[4];
static int g_reads_done_at_tm = -1;

static void tm_snapshot(struct srp_ti_cmd *tm)
{
	g_reads_done_at_tm = 0;
	for (int i = 0; i < 4; i++)
		g_reads_done_at_tm += g_reads[i].done;
}

/*
 * READs of channel 1 sending their data-in through a send queue of 8
 * when a LUN RESET arrives on channel 0: they are complete, not aborted,
 * and the TM response (another QP, nothing orders the two) goes out only
 * after their responses did.
 */
static void test_lun_reset_after_answers_in_flight(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	static struct srp_ti_cmd tm;
	unsigned int want = 4;

	ti_params(&p, 6);
	a = login(env, 0, &p);
	p.multi = true;
	b = login(env, 1, &p);
	srp_env_clear_ua(env, a);
	hold.on = true;
	for (int i = 0; i < 4; i++) {
		memset(&g_reads[i], 0, sizeof(g_reads[i]));
		srp_env_cdb_rw10(g_reads[i].cdb, false, i * 256, 256);
		g_reads[i].dir = 2;
		g_reads[i].desc = SRP_TI_INDIRECT;
		g_reads[i].ndesc = 16;
		g_reads[i].mem_off = i * 131072;
		g_reads[i].len = 131072;
		assert_int_equal(srp_ti_submit(b, &g_reads[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	memset(&tm, 0, sizeof(tm));
	tm.cb = tm_snapshot;
	g_reads_done_at_tm = -1;
	/* The backend answers all four; their 4 x 17 WRs queue for 7 slots. */
	hold_release();
	loop_run_once(env->loop, 1);
	assert_int_equal(
		srp_ti_tmf(a, &tm, SRP_TSK_LUN_RESET, 0, SRP_TAG_NO_REQ), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &tm, 5000));
	assert_int_equal(tm.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(g_reads_done_at_tm, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(g_reads[i].status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
}

/*
 * Reconnect storm: ten SINGLE re-logins in a row, each leaving WRITEs of
 * the previous channel in the backend.  Every login is accepted (a
 * refused one is what ib_srp reports as "Connection 0/N failed"), the
 * dying channels pile up without touching the live one, and all of them
 * are released once the backend gives their commands back.
 */
static void test_relogin_storm(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *ti[2] = { NULL, NULL };
	static struct srp_ti_cmd w[10][4], c;
	unsigned int want = 0;

	ti_params(&p, 5);
	for (int k = 0; k < 10; k++) {
		struct srp_ti *prev = ti[(k + 1) % 2];

		if (env->ti[k % 2]) {
			/* The one before the previous is down: recycle. */
			assert_true(srp_ti_run_until(env->loop, ti_down,
						     env->ti[k % 2], 5000));
			srp_ti_destroy(env->ti[k % 2]);
			env->ti[k % 2] = NULL;
		}
		ti[k % 2] = login(env, k % 2, &p);
		assert_int_equal(srp_ti_state(ti[k % 2]), SRP_TI_LOGGED_IN);
		if (prev)
			assert_int_equal(srp_ti_login_flags(ti[k % 2]) & 3,
					 SRP_LOGIN_RSP_MULTICHAN_TERMINATED);
		if (!k)
			srp_env_clear_ua(env, ti[0]);
		hold.on = true;
		for (int i = 0; i < 4; i++) {
			prep_write(&w[k][i], 8000 + (k * 4 + i) * 8, 4096,
				   i * 4096, SRP_TI_IMM, 0);
			assert_int_equal(srp_ti_submit(ti[k % 2], &w[k][i]), 0);
		}
		want += 4;
		assert_true(srp_ti_run_until(env->loop, hold_held_at_least,
					     &want, 5000));
		hold.on = false;
	}
	/* One live channel, nine dying ones still holding WRITEs. */
	assert_int_equal(srp_env_channels(env), 10);
	hold_release();
	assert_true(srp_env_channels_le(env, 1));
	for (int k = 0; k < 9; k++)
		for (int i = 0; i < 4; i++)
			assert_false(w[k][i].done);
	/* The last channel's own WRITEs answer normally. */
	for (int i = 0; i < 4; i++) {
		assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done,
					     &w[9][i], 5000));
		assert_int_equal(w[9][i].status, SAM_STAT_GOOD);
	}
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, ti[1], &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(ti[1]), SRP_DEFAULT_REQ_LIM);
}

/*
 * PERSISTENT RESERVE OUT PREEMPT AND ABORT (SPC-4 5.9.11.5), the fencing
 * fence_scsi does: initiator a holds the reservation with writes in the
 * backend, initiator b preempts it.  a's commands are aborted (no
 * response once the backend finishes them), a learns of it from
 * REGISTRATIONS PREEMPTED, and its credits come back.
 */
static void pr_out(struct srp_env *env, struct srp_ti *ti, uint8_t sa,
		   uint8_t type, uint64_t key, uint64_t sa_key)
{
	struct srp_ti_cmd c = { 0 };
	uint8_t *prm = srp_ti_mem(ti) + 2 * MIB;

	memset(prm, 0, SCSI_PR_OUT_PARAM_LEN);
	put_be64(prm, key);
	put_be64(prm + 8, sa_key);
	c.cdb[0] = SCSI_OP_PERSISTENT_RESERVE_OUT;
	c.cdb[1] = sa;
	c.cdb[2] = type;
	put_be32(c.cdb + 5, SCSI_PR_OUT_PARAM_LEN);
	c.dir = 1;
	c.desc = SRP_TI_DIRECT;
	c.mem_off = 2 * MIB;
	c.len = SCSI_PR_OUT_PARAM_LEN;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

static void test_preempt_and_abort(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti_params p;
	struct srp_ti *a, *b;
	static struct srp_ti_cmd w[4], c;
	struct srp_engine_stats st0, st;
	unsigned int want = 4;

	ti_params(&p, 5);
	a = login(env, 0, &p);
	ti_params(&p, 6);
	b = login(env, 1, &p);
	assert_int_equal(srp_ti_state(b), SRP_TI_LOGGED_IN);
	srp_env_clear_ua(env, a);
	srp_env_clear_ua(env, b);
	pr_out(env, a, 0x00 /* REGISTER */, 0, 0, 0xaa);
	pr_out(env, b, 0x00, 0, 0, 0xbb);
	pr_out(env, a, 0x01 /* RESERVE */, 0x01 /* write exclusive */, 0xaa, 0);
	srp_engine_get_stats(env->e, &st0);
	hold.on = true;
	for (int i = 0; i < 4; i++) {
		prep_write(&w[i], 4000 + i * 8, 4096, i * 4096, SRP_TI_IMM, 0);
		assert_int_equal(srp_ti_submit(a, &w[i]), 0);
	}
	assert_true(
		srp_ti_run_until(env->loop, hold_held_at_least, &want, 5000));
	hold.on = false;
	pr_out(env, b, 0x05 /* PREEMPT AND ABORT */, 0x01, 0xbb, 0xaa);
	hold_release();
	run_rounds(env, 50);
	for (int i = 0; i < 4; i++)
		assert_false(w[i].done);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.aborted - st0.aborted, 4);
	/* a's next command reports the preemption, then a works again. */
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, a, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[12], 0x2a);
	assert_int_equal(c.sense[13], 0x05);
	memset(&c, 0, sizeof(c));
	srp_env_run_cmd(env, a, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(a), SRP_DEFAULT_REQ_LIM);
}

#define T(fn, su) cmocka_unit_test_setup_teardown(fn, su, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_relogin_while_old_channels_drain, setup),
		T(test_relogin_after_disconnect_then_reset, setup),
		T(test_abort_task_set_with_buffer_waiters, setup_tight),
		T(test_abort_task_set_with_rdma_reads, setup_tight),
		T(test_lun_reset_behind_full_sq, setup_tight),
		T(test_abort_task_buffer_waiter, setup_tight),
		T(test_lun_reset_other_channel, setup),
		T(test_lun_reset_other_channel, setup_two_workers),
		T(test_abort_task_other_worker, setup_two_workers),
		T(test_lun_reset_after_answers_in_flight, setup_tight),
		T(test_lun_reset_after_answers_in_flight,
		  setup_tight_two_workers),
		T(test_relogin_storm, setup),
		T(test_preempt_and_abort, setup),
		T(test_preempt_and_abort, setup_two_workers),
	};
	int fails;

	g_srq = false;
	fails = cmocka_run_group_tests_name("receive rings", tests, NULL, NULL);
	g_srq = true;
	fails += cmocka_run_group_tests_name("shared receive queue", tests,
					     NULL, NULL);
	return fails;
}
