/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Races of channel loss against every state a command can be in (the
 * states of srp_race.h stage()): a channel lost by the initiator's DREQ,
 * a QP error or a vanished initiator answers nothing more, finishes what
 * the backend holds, and the initiator's re-login (SINGLE and MULTI) is
 * accepted at once and works; credits add up and nothing stays held
 * (doc/srp-protocol.md 16).  A channel lost while a TMF waits:
 * test_srp_race.c.
 */
#include "srp_race.h"

static const char *const loss_name[N_LOSS] = { "dreq", "qp-error", "gone" };

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
	assert_true(srp_env_channels_le(env, rc->two ? 3 : 2));
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

static unsigned int build(bool srq)
{
	struct rcase rc;
	unsigned int n = 0;

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
	return race_run(build);
}
