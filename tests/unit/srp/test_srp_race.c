/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Races of task management and channel loss against every state a
 * command can be in, over the loopback fabric with the hold backend
 * (srp_hold.h) and the loopback's faults (fabric_loop.h): a held send
 * queue catches a command mid RDMA READ, mid RDMA WRITE or with its
 * response in flight.  What srptd guarantees is doc/srp-protocol.md 16
 * ("Task management and channel loss: what srptd guarantees"); each
 * case checks it from the initiator's side:
 *  - the TM response comes, with the response code doc/srp-protocol.md 9
 *    lists (SRP r16a);
 *  - an aborted command gets no response, before or after the TM
 *    response; a command that is answered is answered before it;
 *  - commands of the other nexus and commands sent right after the TMF
 *    complete GOOD; LOGICAL UNIT RESET leaves the 29/03 unit attention
 *    on the other nexus only (SAM-5 6.3.3);
 *  - credits add up (every IU's credit comes back) and no request or
 *    data buffer is held once everything ended;
 *  - a channel lost by DREQ, QP error or a vanished initiator answers
 *    nothing more, finishes what the backend holds, and the initiator's
 *    re-login (SINGLE and MULTI) is accepted at once and works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "srp/srp_engine.h"
#include "srptd/scsi_proto.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"
#include "srp_hold.h"

/* Where a victim is when the TMF or the channel loss comes. */
enum vstate {
	ST_BUFFER, /* queued for data buffers behind a 1 MiB WRITE */
	ST_RD_WAIT, /* waiting for RDMA READ depth */
	ST_MID_READ, /* its RDMA READ outstanding */
	ST_BACKEND, /* executing in the backend */
	ST_MID_WRITE, /* a batch of its data-in RDMA WRITEs outstanding */
	ST_SENDING, /* its SRP_RSP posted, not yet sent */
	ST_ANSWERED, /* answered before the TMF */
	N_ST
};

static const char *const st_name[N_ST] = {
	"buffer",    "rd-wait", "mid-read", "backend",
	"mid-write", "sending", "answered",
};

enum loss { LOSS_DREQ, LOSS_QP_ERROR, LOSS_GONE, N_LOSS };
static const char *const loss_name[N_LOSS] = { "dreq", "qp-error", "gone" };

static const uint8_t tmfs[] = { SRP_TSK_ABORT_TASK, SRP_TSK_ABORT_TASK_SET,
				SRP_TSK_CLEAR_TASK_SET, SRP_TSK_LUN_RESET,
				SRP_TSK_CLEAR_ACA };
#define N_TMF ARRAY_SIZE(tmfs)

static const char *tmf_name(uint8_t f)
{
	switch (f) {
	case SRP_TSK_ABORT_TASK:
		return "abort-task";
	case SRP_TSK_ABORT_TASK_SET:
		return "abort-task-set";
	case SRP_TSK_CLEAR_TASK_SET:
		return "clear-task-set";
	case SRP_TSK_LUN_RESET:
		return "lun-reset";
	default:
		return "clear-aca";
	}
}

/* Initiator memory and LBAs of the commands of a case. */
#define MEM_BLK 0u
#define MEM_V MIB
#define MEM_N (MIB + 256 * 1024)
#define MEM_SIZE (2 * MIB) /* small: the initiator clears it per login */
#define LBA_BLK 0u
#define LBA_V 4096u
#define LBA_N 8192u
#define LBA_BY 12288u
#define DISK_USED (8 * MIB) /* every LBA above is below it */

/* A command and when its response came (0: not yet). */
struct rcmd {
	struct srp_ti_cmd c;
	unsigned int seq;
};

static unsigned int g_seq;
static struct srp_engine *g_engine; /* the running case's engine */
static uint8_t *g_disk;

static void rcmd_done(struct srp_ti_cmd *c)
{
	((struct rcmd *)c->priv)->seq = ++g_seq;
}

struct rcase {
	uint8_t func; /* TMF, or 0 for a channel loss case */
	enum vstate st;
	bool two; /* victim on a second channel of the nexus */
	enum loss loss;
	bool srq;
	char name[80];
	struct srp_env *env;
};

/* ---- environment ---------------------------------------------------------- */

static int setup(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;

	assert_non_null(env);
	memset(&hold, 0, sizeof(hold));
	/* One disk for every case: only its first 8 MiB are ever used. */
	if (!g_disk)
		g_disk = calloc(1, DEV_SIZE);
	assert_non_null(g_disk);
	memset(g_disk, 0, DISK_USED);
	hold.disk = g_disk;
	g_seq = 0;
	srp_engine_params_default(&ep);
	/* One 1 MiB command fills the pool; small send queue and READ
	 * depth, so every waiting state can be reached. */
	ep.chunk_size = 64 * 1024;
	ep.chunks = 16;
	ep.sq_depth = 8;
	ep.max_rd_atomic = 2;
	ep.use_srq = rc->srq;
	if (rc->srq)
		ep.srq_size = 512;
	srp_env_start(env, &ep, 4096);
	env->bdev.ops = &hold_ops;
	env->bdev.name = (char *)"hold";
	env->bdev.fd = -1;
	env->bdev.size = DEV_SIZE;
	env->bdev.block_size = 512;
	env->bdev.phys_block_size = 512;
	env->bdev.write_cache = true;
	srp_env_export(env, "RACE DISK", false);
	rc->env = env;
	g_engine = env->e;
	return 0;
}

static int teardown(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;

	hold_release();
	for (int i = 0; i < 4; i++)
		if (env->ti[i])
			fabric_loop_hold_peer(srp_ti_qp(env->ti[i]), false);
	srp_env_stop(env);
	loop_destroy(env->loop);
	hold.disk = NULL;
	free(env);
	rc->env = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

/* n rounds of whatever is ready (the loopback and the backend kick
 * their eventfds), without waiting for more. */
static void run_rounds(struct srp_env *env, int n)
{
	for (int i = 0; i < n; i++)
		loop_run_once(env->loop, 0);
}

static bool held_at_least(void *arg)
{
	return hold.held >= *(unsigned int *)arg;
}

static void wait_held(struct srp_env *env, unsigned int n)
{
	assert_true(srp_ti_run_until(env->loop, held_at_least, &n, 5000));
}

static struct srp_ti *login(struct srp_env *env, int idx, uint8_t ini,
			    bool multi)
{
	struct srp_ti_params p;
	struct srp_ti *ti;

	srp_env_ti_params(&p, ini, MEM_SIZE);
	p.imm = true;
	p.multi = multi;
	ti = srp_env_login(env, idx, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	return ti;
}

static void rc_submit(struct srp_ti *ti, struct rcmd *r)
{
	r->seq = 0;
	r->c.cb = rcmd_done;
	r->c.priv = r;
	assert_int_equal(srp_ti_submit(ti, &r->c), 0);
}

static void rc_wait(struct srp_env *env, struct rcmd *r)
{
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &r->c, 5000));
}

static void prep_write(struct srp_ti *ti, struct rcmd *r, uint32_t lba,
		       uint32_t len, uint32_t mem_off, enum srp_ti_desc desc,
		       unsigned int ndesc, uint8_t pattern)
{
	memset(r, 0, sizeof(*r));
	memset(srp_ti_mem(ti) + mem_off, pattern, len);
	srp_env_cdb_rw10(r->c.cdb, true, lba, len / 512);
	r->c.dir = 1;
	r->c.desc = desc;
	r->c.ndesc = ndesc;
	r->c.mem_off = mem_off;
	r->c.len = len;
}

static void prep_read(struct rcmd *r, uint32_t lba, uint32_t len,
		      uint32_t mem_off, enum srp_ti_desc desc,
		      unsigned int ndesc)
{
	memset(r, 0, sizeof(*r));
	srp_env_cdb_rw10(r->c.cdb, false, lba, len / 512);
	r->c.dir = 2;
	r->c.desc = desc;
	r->c.ndesc = ndesc;
	r->c.mem_off = mem_off;
	r->c.len = len;
}

/* TEST UNIT READY until GOOD; true if a 29/03 unit attention came first. */
static bool tur_saw_reset_ua(struct srp_env *env, struct srp_ti *ti)
{
	struct srp_ti_cmd c;
	bool ua = false;

	for (int i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(env, ti, &c);
		if (c.status == SAM_STAT_GOOD)
			return ua;
		assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
		assert_true(c.sense_len >= 14);
		if (c.sense[12] == 0x29 && c.sense[13] == 0x03)
			ua = true;
	}
	fail_msg("TEST UNIT READY keeps failing");
	return ua;
}

static void clear_ua(struct srp_env *env, struct srp_ti *ti)
{
	(void)tur_saw_reset_ua(env, ti);
}

static bool blocks_are(const uint32_t lba, uint32_t len, uint8_t v)
{
	const uint8_t *p = hold.disk + (uint64_t)lba * 512;

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void no_leaks(struct srp_env *env)
{
	struct srp_engine_stats st;

	run_rounds(env, 10);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.reqs_active, 0);
	assert_int_equal(st.chunks_in_use, 0);
}

/*
 * Put the victim v in state st on channel cv, with blk the command it
 * waits behind (if any).  The hold backend and cv's send queue are held
 * as the state needs; the caller releases them.
 */
static void stage(struct srp_env *env, struct srp_ti *cv, enum vstate st,
		  struct rcmd *v, struct rcmd *blk, bool *has_blk)
{
	struct fabric_qp *qp = srp_ti_qp(cv);
	unsigned int sub;

	*has_blk = false;
	switch (st) {
	case ST_BUFFER:
		/* 1 MiB in the backend holds every chunk of the pool. */
		sub = hold.submitted;
		hold.on = true;
		prep_write(cv, blk, LBA_BLK, MIB, MEM_BLK, SRP_TI_INDIRECT, 16,
			   0xb1);
		rc_submit(cv, blk);
		wait_held(env, hold.held + 1);
		hold.on = false;
		*has_blk = true;
		prep_write(cv, v, LBA_V, 65536, MEM_V, SRP_TI_DIRECT, 1, 0xa1);
		rc_submit(cv, v);
		run_rounds(env, 10);
		assert_int_equal(hold.submitted, sub + 1);
		break;
	case ST_RD_WAIT:
		/* The blocker's first two READs take the whole depth. */
		fabric_loop_hold_peer(qp, true);
		prep_write(cv, blk, LBA_BLK, 65536, MEM_BLK, SRP_TI_INDIRECT,
			   16, 0xb2);
		rc_submit(cv, blk);
		run_rounds(env, 5);
		*has_blk = true;
		prep_write(cv, v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1, 0xa2);
		rc_submit(cv, v);
		run_rounds(env, 10);
		break;
	case ST_MID_READ:
		fabric_loop_hold_peer(qp, true);
		prep_write(cv, v, LBA_V, 65536, MEM_V, SRP_TI_DIRECT, 1, 0xa3);
		rc_submit(cv, v);
		run_rounds(env, 10);
		break;
	case ST_BACKEND:
		hold.on = true;
		prep_write(cv, v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1, 0xa4);
		rc_submit(cv, v);
		wait_held(env, hold.held + 1);
		hold.on = false;
		break;
	case ST_MID_WRITE:
		/* 16 data-in descriptors through 7 send queue slots. */
		hold.on = true;
		prep_read(v, LBA_V, 131072, MEM_V, SRP_TI_INDIRECT, 16);
		rc_submit(cv, v);
		wait_held(env, hold.held + 1);
		hold.on = false;
		fabric_loop_hold_peer(qp, true);
		hold_release();
		run_rounds(env, 10);
		break;
	case ST_SENDING:
		hold.on = true;
		prep_read(v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1);
		rc_submit(cv, v);
		wait_held(env, hold.held + 1);
		hold.on = false;
		fabric_loop_hold_peer(qp, true);
		hold_release();
		run_rounds(env, 10);
		break;
	case ST_ANSWERED:
		prep_read(v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1);
		rc_submit(cv, v);
		rc_wait(env, v);
		assert_int_equal(v->c.status, SAM_STAT_GOOD);
		break;
	case N_ST:
		break;
	}
	if (st != ST_ANSWERED)
		assert_false(v->c.done);
}

static bool st_is_write(enum vstate st)
{
	return st <= ST_BACKEND;
}

/* The backend or the fabric still owes the victim something. */
static bool st_pending_work(enum vstate st)
{
	return st == ST_BACKEND || st == ST_MID_READ || st == ST_MID_WRITE ||
	       st == ST_SENDING || st == ST_BUFFER || st == ST_RD_WAIT;
}

static bool ti_down(void *arg);
static bool channels_le(struct srp_env *env, unsigned int n);

/* ---- task management x command state ------------------------------------------ */

/* The target received one more TMF than counted in *arg. */
static bool tmf_received(void *arg)
{
	const struct srp_engine_stats *st0 = arg;
	struct srp_engine_stats st;

	srp_engine_get_stats(g_engine, &st);
	return st.tmfs > st0->tmfs;
}

static void test_tmf_race(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;
	struct srp_ti *a0, *a1, *b, *cv;
	static struct rcmd v, blk, by, n0, n1, tm;
	struct srp_engine_stats st0, st;
	bool has_blk, aborts, v_answered, blk_answered;
	uint64_t task_tag;
	uint64_t want_aborted = 0;

	a0 = login(env, 0, 1, false);
	a1 = rc->two ? login(env, 1, 1, true) : a0;
	b = login(env, 2, 2, false);
	clear_ua(env, a0);
	clear_ua(env, b);
	cv = a1;
	/* The other nexus: a WRITE in the backend, never a victim. */
	hold.on = true;
	prep_write(b, &by, LBA_BY, 4096, 0, SRP_TI_IMM, 0, 0xc1);
	rc_submit(b, &by);
	wait_held(env, 1);
	hold.on = false;
	stage(env, cv, rc->st, &v, &blk, &has_blk);
	srp_engine_get_stats(env->e, &st0);

	/*
	 * The TMF on channel 0 (where ib_srp sends it), then, as soon as
	 * the target has it, new commands on both channels: they may reach
	 * a channel on another worker before the TMF's message does, and
	 * are still not in the task set it aborts.
	 */
	task_tag = rc->func == SRP_TSK_ABORT_TASK ? v.c.tag : SRP_TAG_NO_REQ;
	memset(&tm, 0, sizeof(tm));
	tm.c.cb = rcmd_done;
	tm.c.priv = &tm;
	assert_int_equal(srp_ti_tmf(a0, &tm.c, rc->func, 0, task_tag), 0);
	assert_true(srp_ti_run_until(env->loop, tmf_received, &st0, 5000));
	prep_write(a0, &n0, LBA_N, 4096, MEM_N, SRP_TI_DIRECT, 1, 0xd1);
	rc_submit(a0, &n0);
	if (rc->two) {
		prep_write(a1, &n1, LBA_N + 8, 4096, MEM_N + 65536,
			   SRP_TI_DIRECT, 1, 0xd2);
		rc_submit(a1, &n1);
	}
	run_rounds(env, 10);
	/* A victim the backend holds is waited for. */
	if (rc->st == ST_BACKEND && rc->func != SRP_TSK_CLEAR_TASK_SET &&
	    rc->func != SRP_TSK_CLEAR_ACA)
		assert_false(tm.c.done);

	fabric_loop_hold_peer(srp_ti_qp(cv), false);
	hold_release();
	rc_wait(env, &tm);
	switch (rc->func) {
	case SRP_TSK_CLEAR_TASK_SET:
	case SRP_TSK_CLEAR_ACA:
		assert_int_equal(tm.c.tm_code, SRP_TSK_MGMT_FUNC_NOT_SUPP);
		break;
	default:
		assert_int_equal(tm.c.tm_code, SRP_TSK_MGMT_SUCCESS);
		break;
	}
	rc_wait(env, &n0);
	assert_int_equal(n0.c.status, SAM_STAT_GOOD);
	assert_true(blocks_are(LBA_N, 4096, 0xd1));
	if (rc->two) {
		rc_wait(env, &n1);
		assert_int_equal(n1.c.status, SAM_STAT_GOOD);
		assert_true(blocks_are(LBA_N + 8, 4096, 0xd2));
	}
	rc_wait(env, &by);
	assert_int_equal(by.c.status, SAM_STAT_GOOD);
	run_rounds(env, 30);

	/*
	 * ABORT TASK and ABORT TASK SET abort what has not started to
	 * answer; LUN RESET lets the issuing nexus's commands finish and
	 * answers them first (doc/srp-protocol.md 16); CLEAR TASK SET and
	 * CLEAR ACA are not supported and touch nothing.
	 */
	aborts = rc->func == SRP_TSK_ABORT_TASK ||
		 rc->func == SRP_TSK_ABORT_TASK_SET;
	v_answered = !aborts || rc->st >= ST_MID_WRITE;
	blk_answered = rc->func != SRP_TSK_ABORT_TASK_SET;
	if (v_answered) {
		rc_wait(env, &v);
		assert_int_equal(v.c.status, SAM_STAT_GOOD);
		if (rc->st != ST_ANSWERED &&
		    tm.c.tm_code == SRP_TSK_MGMT_SUCCESS)
			assert_true(v.seq < tm.seq);
		if (st_is_write(rc->st))
			assert_true(blocks_are(LBA_V, v.c.len, 0xa1 + rc->st));
	} else {
		assert_false(v.c.done);
		want_aborted++;
		/* Never executed: nothing of it reached the medium. */
		if (rc->st != ST_BACKEND)
			assert_true(blocks_are(LBA_V, v.c.len, 0));
	}
	if (has_blk) {
		if (blk_answered) {
			rc_wait(env, &blk);
			assert_int_equal(blk.c.status, SAM_STAT_GOOD);
			if (tm.c.tm_code == SRP_TSK_MGMT_SUCCESS &&
			    rc->func != SRP_TSK_ABORT_TASK)
				assert_true(blk.seq < tm.seq);
		} else {
			assert_false(blk.c.done);
			want_aborted++;
		}
	}
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.aborted - st0.aborted, want_aborted);
	/*
	 * Every credit is back without another command: an aborted one's
	 * with a later response, or, when no response of its channel is
	 * left to carry it, with an SRP_CRED_REQ (ABORT TASK (SET) on
	 * channel 0 ended channel 1's last command).
	 */
	run_rounds(env, 20);
	assert_int_equal(srp_ti_credits(a0), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(a1), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
	if (rc->two && aborts && rc->st == ST_BACKEND)
		assert_true(srp_ti_cred_reqs(a1) > 0);
	if (!rc->two)
		assert_int_equal(srp_ti_cred_reqs(a0), 0);

	/* The unit attention of a reset goes to the other nexus only. */
	assert_false(tur_saw_reset_ua(env, a0));
	if (rc->two)
		assert_false(tur_saw_reset_ua(env, a1));
	assert_int_equal(tur_saw_reset_ua(env, b),
			 rc->func == SRP_TSK_LUN_RESET);
	/* Every credit came back, on the channel that lent it. */
	assert_int_equal(srp_ti_credits(a0), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(a1), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_strays(a0), 0);
	assert_int_equal(srp_ti_strays(a1), 0);
	assert_int_equal(srp_ti_strays(b), 0);
	no_leaks(env);
}

/* ---- two task management functions for one command ---------------------------- */

/*
 * A second TMF for a command that a first one already waits for (ib_srp:
 * a LUN RESET from sg_reset whose 5 s ran out, then ABORT TASK from
 * error handling for the same command): both answer only after the
 * command ended; it gets no response if either aborts it, else it is
 * answered before both; credits exact.  rc->func is the first, rc->st
 * indexes the second in tmfs[] (only the first, second and fourth:
 * the supported ones).
 */
static void test_tmf_overlap(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;
	struct srp_ti *a0, *a1;
	static struct rcmd v, t1, t2;
	struct srp_engine_stats st0;
	uint8_t f2 = tmfs[rc->st];
	bool aborted;

	a0 = login(env, 0, 1, false);
	a1 = rc->two ? login(env, 1, 1, true) : a0;
	clear_ua(env, a0);
	hold.on = true;
	prep_write(a1, &v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1, 0xa4);
	rc_submit(a1, &v);
	wait_held(env, 1);
	hold.on = false;
	srp_engine_get_stats(env->e, &st0);
	memset(&t1, 0, sizeof(t1));
	t1.c.cb = rcmd_done;
	t1.c.priv = &t1;
	assert_int_equal(srp_ti_tmf(a0, &t1.c, rc->func, 0,
				    rc->func == SRP_TSK_ABORT_TASK ?
					    v.c.tag :
					    SRP_TAG_NO_REQ),
			 0);
	assert_true(srp_ti_run_until(env->loop, tmf_received, &st0, 5000));
	srp_engine_get_stats(env->e, &st0);
	memset(&t2, 0, sizeof(t2));
	t2.c.cb = rcmd_done;
	t2.c.priv = &t2;
	assert_int_equal(srp_ti_tmf(a1, &t2.c, f2, 0,
				    f2 == SRP_TSK_ABORT_TASK ? v.c.tag :
							       SRP_TAG_NO_REQ),
			 0);
	assert_true(srp_ti_run_until(env->loop, tmf_received, &st0, 5000));
	run_rounds(env, 20);
	assert_false(t1.c.done);
	assert_false(t2.c.done);
	hold_release();
	rc_wait(env, &t1);
	rc_wait(env, &t2);
	assert_int_equal(t1.c.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_int_equal(t2.c.tm_code, SRP_TSK_MGMT_SUCCESS);
	run_rounds(env, 20);
	aborted = rc->func != SRP_TSK_LUN_RESET || f2 != SRP_TSK_LUN_RESET;
	if (aborted) {
		assert_false(v.c.done);
	} else {
		assert_true(v.c.done);
		assert_int_equal(v.c.status, SAM_STAT_GOOD);
		assert_true(v.seq < t1.seq && v.seq < t2.seq);
	}
	assert_true(blocks_are(LBA_V, 4096, 0xa4));
	assert_false(tur_saw_reset_ua(env, a0));
	if (rc->two)
		assert_false(tur_saw_reset_ua(env, a1));
	assert_int_equal(srp_ti_credits(a0), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_credits(a1), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_strays(a0), 0);
	assert_int_equal(srp_ti_strays(a1), 0);
	no_leaks(env);
}

/* ---- a channel lost while a TMF waits ------------------------------------------- */

/*
 * Two channels, a WRITE in the backend on channel 1, a TMF (rc->func) on
 * channel 0 waiting for it; then one channel goes (rc->two: channel 1,
 * the victim's; else channel 0, the TMF's) by the initiator's DREQ.
 * Nothing hangs: the TM response still comes on a surviving channel 0,
 * nothing is answered on a lost channel, the WRITE the backend held
 * reaches the medium, everything is freed and the nexus keeps working.
 */
static void test_tmf_channel_lost(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;
	struct srp_ti *a0, *a1, *lost, *kept;
	static struct rcmd v, tm, c;
	struct srp_engine_stats st0;

	a0 = login(env, 0, 1, false);
	a1 = login(env, 1, 1, true);
	clear_ua(env, a0);
	hold.on = true;
	prep_write(a1, &v, LBA_V, 4096, MEM_V, SRP_TI_DIRECT, 1, 0xa4);
	rc_submit(a1, &v);
	wait_held(env, 1);
	hold.on = false;
	srp_engine_get_stats(env->e, &st0);
	memset(&tm, 0, sizeof(tm));
	tm.c.cb = rcmd_done;
	tm.c.priv = &tm;
	assert_int_equal(srp_ti_tmf(a0, &tm.c, rc->func, 0,
				    rc->func == SRP_TSK_ABORT_TASK ?
					    v.c.tag :
					    SRP_TAG_NO_REQ),
			 0);
	assert_true(srp_ti_run_until(env->loop, tmf_received, &st0, 5000));
	lost = rc->two ? a1 : a0;
	kept = rc->two ? a0 : a1;
	srp_ti_disconnect(lost);
	assert_true(srp_ti_run_until(env->loop, ti_down, lost, 5000));
	run_rounds(env, 20);
	/*
	 * A TMF leaves a dying channel's commands to their channel (they
	 * get no response anyway): one whose other worker saw the channel
	 * die before the TMF's message may answer before the backend is
	 * done; none may answer on a lost channel.
	 */
	if (!rc->two)
		assert_false(tm.c.done);
	hold_release();
	if (rc->two) {
		rc_wait(env, &tm);
		assert_int_equal(tm.c.tm_code, SRP_TSK_MGMT_SUCCESS);
	}
	assert_true(channels_le(env, 1));
	if (!rc->two)
		assert_false(tm.c.done);
	/* LUN RESET aborts nothing: on a surviving channel, answered. */
	if (!rc->two && rc->func == SRP_TSK_LUN_RESET) {
		rc_wait(env, &v);
		assert_int_equal(v.c.status, SAM_STAT_GOOD);
	} else {
		assert_false(v.c.done);
	}
	/* It was in the backend: on the medium. */
	assert_true(blocks_are(LBA_V, 4096, 0xa4));
	prep_write(kept, &c, LBA_N, 4096, MEM_N, SRP_TI_DIRECT, 1, 0xd4);
	rc_submit(kept, &c);
	rc_wait(env, &c);
	assert_int_equal(c.c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_credits(kept), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_strays(kept), 0);
	no_leaks(env);
}

/* ---- wrong task management functions -------------------------------------------- */

/*
 * ABORT TASK for a tag never used and for one already answered:
 * FUNCTION COMPLETE (SAM-5 7.2: nothing to abort is not an error), the
 * command with the tag is not disturbed.  A TMF for a LUN the nexus
 * does not see: FUNCTION FAILED, nothing of LUN 0 aborted or reset.
 */
static void test_tmf_wrong_targets(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;
	struct srp_ti *a, *b;
	static struct rcmd c, by, tm;
	const uint8_t lun_funcs[] = { SRP_TSK_ABORT_TASK,
				      SRP_TSK_ABORT_TASK_SET,
				      SRP_TSK_LUN_RESET };

	a = login(env, 0, 1, false);
	b = login(env, 1, 2, false);
	clear_ua(env, a);
	clear_ua(env, b);
	prep_read(&c, 0, 4096, 0, SRP_TI_DIRECT, 1);
	rc_submit(a, &c);
	rc_wait(env, &c);
	for (int k = 0; k < 2; k++) {
		memset(&tm, 0, sizeof(tm));
		assert_int_equal(srp_ti_tmf(a, &tm.c, SRP_TSK_ABORT_TASK, 0,
					    k ? c.c.tag : 0x7777),
				 0);
		rc_wait(env, &tm);
		assert_int_equal(tm.c.tm_code, SRP_TSK_MGMT_SUCCESS);
	}
	for (unsigned int k = 0; k < ARRAY_SIZE(lun_funcs); k++) {
		hold.on = true;
		prep_write(a, &by, LBA_BY, 4096, 0, SRP_TI_DIRECT, 1, 0xe0 + k);
		rc_submit(a, &by);
		wait_held(env, hold.held + 1);
		hold.on = false;
		memset(&tm, 0, sizeof(tm));
		assert_int_equal(
			srp_ti_tmf(a, &tm.c, lun_funcs[k], 5, by.c.tag), 0);
		rc_wait(env, &tm);
		assert_int_equal(tm.c.tm_code, SRP_TSK_MGMT_FAILED);
		assert_false(by.c.done);
		hold_release();
		rc_wait(env, &by);
		assert_int_equal(by.c.status, SAM_STAT_GOOD);
		assert_true(blocks_are(LBA_BY, 4096, 0xe0 + k));
	}
	assert_false(tur_saw_reset_ua(env, b));
	assert_false(tur_saw_reset_ua(env, a));
	assert_int_equal(srp_ti_credits(a), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_strays(a), 0);
	no_leaks(env);
}

/* ---- channel loss x command state ------------------------------------------------- */

static bool ti_down(void *arg)
{
	return srp_ti_state(arg) == SRP_TI_DISCONNECTED;
}

static unsigned int engine_channels(struct srp_env *env)
{
	struct srp_engine_stats st;

	srp_engine_get_stats(env->e, &st);
	return st.channels;
}

static bool channels_le(struct srp_env *env, unsigned int n)
{
	for (int i = 0; i < 2000 && engine_channels(env) > n; i++)
		loop_run_once(env->loop, 1);
	return engine_channels(env) <= n;
}

/*
 * The victim's channel goes away (the initiator's DREQ, a QP error, or
 * the initiator vanished) while the victim is in state st; the
 * initiator logs in again at once with the same port (SINGLE for
 * channel 0, MULTI for a second channel).  The new login is accepted
 * while the old channel still drains, the new channel works, the old
 * one answers nothing anywhere, a command the backend held still
 * reaches the medium and one that never executed does not, and
 * everything is freed.
 */
static void test_channel_loss(void **state)
{
	struct rcase *rc = *state;
	struct srp_env *env = rc->env;
	struct srp_ti *a0, *cv, *nv, *b;
	static struct rcmd v, blk, by, c, r;
	bool has_blk;

	a0 = login(env, 0, 1, false);
	cv = rc->two ? login(env, 1, 1, true) : a0;
	b = login(env, 2, 2, false);
	clear_ua(env, a0);
	clear_ua(env, b);
	hold.on = true;
	prep_write(b, &by, LBA_BY, 4096, 0, SRP_TI_IMM, 0, 0xc1);
	rc_submit(b, &by);
	wait_held(env, 1);
	hold.on = false;
	stage(env, cv, rc->st, &v, &blk, &has_blk);
	switch (rc->loss) {
	case LOSS_DREQ:
		srp_ti_disconnect(cv);
		break;
	case LOSS_QP_ERROR:
		fabric_loop_fail_peer(srp_ti_qp(cv));
		break;
	case LOSS_GONE:
		fabric_loop_vanish(srp_ti_qp(cv));
		break;
	case N_LOSS:
		break;
	}
	run_rounds(env, 5);
	/* The initiator comes back on a new connection at once. */
	nv = login(env, 3, 1, rc->two);
	assert_int_equal(srp_ti_state(nv), SRP_TI_LOGGED_IN);
	/* Only a vanished initiator's channel was still live. */
	if (!rc->two && rc->loss == LOSS_GONE)
		assert_int_equal(srp_ti_login_flags(nv) & 3,
				 SRP_LOGIN_RSP_MULTICHAN_TERMINATED);
	if (rc->two)
		assert_int_equal(srp_ti_state(a0), SRP_TI_LOGGED_IN);
	if (rc->loss != LOSS_GONE || !rc->two)
		assert_true(srp_ti_run_until(env->loop, ti_down, cv, 5000));
	fabric_loop_hold_peer(srp_ti_qp(cv), false);

	/*
	 * The new channel works while the old one may still drain (with
	 * immediate data: the old commands may hold every data buffer of
	 * the tiny pool until the backend gives them back).
	 */
	prep_write(nv, &c, LBA_N, 4096, MEM_N, SRP_TI_IMM, 0, 0xd3);
	rc_submit(nv, &c);
	rc_wait(env, &c);
	if (c.c.status == SAM_STAT_CHECK_CONDITION) {
		/* A SINGLE login's first command may see the power-on UA of
		 * a new nexus; never anything else. */
		assert_int_equal(c.c.sense[2] & 0xf, 0x6);
		rc_submit(nv, &c);
		rc_wait(env, &c);
	}
	assert_int_equal(c.c.status, SAM_STAT_GOOD);
	hold_release();
	run_rounds(env, 50);
	/* Old channel gone; new channel, a0 (if MULTI) and b remain. */
	if (rc->loss == LOSS_GONE && rc->two) {
		/* Nothing told the target that a second channel vanished
		 * unless it had something to send there. */
		if (!st_pending_work(rc->st))
			srp_ti_disconnect(cv);
	}
	assert_true(channels_le(env, rc->two ? 3 : 2));
	assert_false(v.c.done && rc->st != ST_ANSWERED);
	if (has_blk)
		assert_false(blk.c.done);
	/* Executed: on the medium; never executed: not. */
	if (rc->st == ST_BACKEND)
		assert_true(blocks_are(LBA_V, 4096, 0xa4));
	else if (st_is_write(rc->st))
		assert_true(blocks_are(LBA_V, v.c.len, 0));
	rc_wait(env, &by);
	assert_int_equal(by.c.status, SAM_STAT_GOOD);
	prep_read(&r, LBA_N, 4096, MEM_N + 65536, SRP_TI_DIRECT, 1);
	rc_submit(nv, &r);
	rc_wait(env, &r);
	assert_int_equal(r.c.status, SAM_STAT_GOOD);
	assert_int_equal(srp_ti_mem(nv)[MEM_N + 65536], 0xd3);
	assert_int_equal(srp_ti_credits(nv), SRP_DEFAULT_REQ_LIM);
	assert_int_equal(srp_ti_strays(nv), 0);
	if (rc->two) {
		assert_false(tur_saw_reset_ua(env, a0));
		assert_int_equal(srp_ti_credits(a0), SRP_DEFAULT_REQ_LIM);
	}
	assert_int_equal(srp_ti_credits(b), SRP_DEFAULT_REQ_LIM);
	no_leaks(env);
}

/* ---- the table ---------------------------------------------------------------------- */

#define MAX_CASES 512

static struct rcase cases[MAX_CASES];
static struct CMUnitTest tests[MAX_CASES];

static unsigned int add(unsigned int n, void (*fn)(void **), struct rcase *rc)
{
	if (n >= MAX_CASES)
		abort();
	cases[n] = *rc;
	tests[n].name = cases[n].name;
	tests[n].test_func = fn;
	tests[n].setup_func = setup;
	tests[n].teardown_func = teardown;
	tests[n].initial_state = &cases[n];
	return n + 1;
}

static unsigned int build(bool srq)
{
	struct rcase rc;
	unsigned int n = 0;

	for (int two = 0; two < 2; two++)
		for (unsigned int f = 0; f < N_TMF; f++)
			for (int s = 0; s < N_ST; s++) {
				memset(&rc, 0, sizeof(rc));
				rc.func = tmfs[f];
				rc.st = s;
				rc.two = two;
				rc.srq = srq;
				snprintf(rc.name, sizeof(rc.name),
					 "%s vs %s, %s", tmf_name(rc.func),
					 st_name[s],
					 two ? "two channels" : "one channel");
				n = add(n, test_tmf_race, &rc);
			}
	for (int two = 0; two < 2; two++)
		for (unsigned int f = 0; f < N_TMF; f++)
			for (unsigned int g = 0; g < N_TMF; g++) {
				if (tmfs[f] == SRP_TSK_CLEAR_TASK_SET ||
				    tmfs[f] == SRP_TSK_CLEAR_ACA ||
				    tmfs[g] == SRP_TSK_CLEAR_TASK_SET ||
				    tmfs[g] == SRP_TSK_CLEAR_ACA)
					continue;
				memset(&rc, 0, sizeof(rc));
				rc.func = tmfs[f];
				rc.st = g;
				rc.two = two;
				rc.srq = srq;
				snprintf(rc.name, sizeof(rc.name),
					 "%s then %s, %s", tmf_name(tmfs[f]),
					 tmf_name(tmfs[g]),
					 two ? "two channels" : "one channel");
				n = add(n, test_tmf_overlap, &rc);
			}
	for (int two = 0; two < 2; two++)
		for (unsigned int f = 0; f < N_TMF; f++) {
			if (tmfs[f] == SRP_TSK_CLEAR_TASK_SET ||
			    tmfs[f] == SRP_TSK_CLEAR_ACA)
				continue;
			memset(&rc, 0, sizeof(rc));
			rc.func = tmfs[f];
			rc.two = two;
			rc.srq = srq;
			snprintf(rc.name, sizeof(rc.name), "%s, then %s lost",
				 tmf_name(tmfs[f]),
				 two ? "the victim's channel" :
				       "the TMF's channel");
			n = add(n, test_tmf_channel_lost, &rc);
		}
	memset(&rc, 0, sizeof(rc));
	rc.srq = srq;
	snprintf(rc.name, sizeof(rc.name), "wrong tags and LUNs");
	n = add(n, test_tmf_wrong_targets, &rc);
	for (int two = 0; two < 2; two++)
		for (int l = 0; l < N_LOSS; l++)
			for (int s = 0; s < N_ST; s++) {
				memset(&rc, 0, sizeof(rc));
				rc.st = s;
				rc.two = two;
				rc.loss = l;
				rc.srq = srq;
				snprintf(rc.name, sizeof(rc.name),
					 "%s during %s, %s", loss_name[l],
					 st_name[s],
					 two ? "MULTI channel" : "SINGLE");
				n = add(n, test_channel_loss, &rc);
			}
	return n;
}

int main(void)
{
	int fails = 0;

	for (int srq = 0; srq < 2; srq++) {
		unsigned int n = build(srq);

		fails += _cmocka_run_group_tests(srq ? "shared receive queue" :
						       "receive rings",
						 tests, n, NULL, NULL);
	}
	free(g_disk);
	return fails;
}
