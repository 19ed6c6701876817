/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Races of task management against every state a command can be in,
 * over the loopback fabric with the hold backend (srp_hold.h) and the
 * loopback's faults (fabric_loop.h): a held send queue catches a
 * command mid RDMA READ, mid RDMA WRITE or with its response in flight
 * (srp_race.h stage()).  What srptd guarantees is doc/srp-protocol.md 16
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
 *    data buffer is held once everything ended.
 * Channel loss against every state: test_srp_chloss.c.
 */
#include "srp_race.h"

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
	assert_true(srp_env_channels_le(env, 1));
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
	return n;
}

int main(void)
{
	return race_run(build);
}
