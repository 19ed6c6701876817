/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Busy polling of a worker (srp_engine_params.busy_poll_us,
 * doc/performance.md "Busy polling") over the loopback fabric, driven by
 * loop_step() as the daemon's worker thread runs it: commands complete
 * while the worker polls its CQ, and once no work came for the window
 * the worker arms its CQ and sleeps.  Proved by the counters the
 * statistics export (doc/statistics.md "Worker loop", "Fabric
 * counters"), not by timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_stats.h"
#include "srptd/backend.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"

/* Long enough that a loaded host does not end it between commands. */
#define BUSY_US 200000

static void env_setup(struct srp_env *env, unsigned int busy_us)
{
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;

	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 64;
	ep.busy_poll_us = busy_us;
	srp_env_start(env, &ep, 1024);
	bp.name = "busy";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	assert_int_equal(
		srptd_backend_open(&env->bdev, "null", NULL, &bp, &used), 0);
	srp_env_export(env, "BUSY DISK", false);
}

static void env_teardown(struct srp_env *env)
{
	srp_env_stop(env);
	srptd_backend_close(&env->bdev);
	loop_destroy(env->loop);
}

/*
 * The loop and fabric counters of the worker with the channel (of worker
 * 0 before the login), from a statistics snapshot.
 */
static void worker_counters(struct srp_env *env, struct loop_counters *lc,
			    struct fabric_cq_counters *fc)
{
	struct srp_stats_snapshot *s = NULL;

	assert_int_equal(srp_engine_stats_snapshot(env->e, &s), 0);
	assert_true(s->n_workers >= 1);
	for (unsigned int i = 0; i < s->n_workers; i++)
		if (s->workers[i].channels || i == 0) {
			*lc = s->workers[i].loop;
			*fc = s->workers[i].fabric;
		}
	srp_stats_snapshot_free(s);
}

/* Step the loop as loop_run() does (waits of at most 10 ms). */
static bool step_until(struct srp_env *env, bool (*pred)(void *), void *arg)
{
	uint64_t end = loop_now_ms() + 10000;

	while (!pred(arg)) {
		if (loop_now_ms() > end)
			return false;
		assert_true(loop_step(env->loop, 10) >= 0);
	}
	return true;
}

static void run_rw(struct srp_env *env, struct srp_ti *ti, bool write,
		   uint32_t lba)
{
	struct srp_ti_cmd c = { 0 };

	srp_env_cdb_rw10(c.cdb, write, lba, 8);
	c.dir = write ? 1 : 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 8 * 512;
	assert_int_equal(srp_ti_submit(ti, &c), 0);
	assert_true(step_until(env, srp_env_cmd_done, &c));
	/* The first command after login sees POWER ON OCCURRED. */
	assert_true(c.status == SAM_STAT_GOOD ||
		    c.status == SAM_STAT_CHECK_CONDITION);
}

struct sleeps_arg {
	struct srp_env *env;
	uint64_t target;
};

static bool slept(void *arg)
{
	struct sleeps_arg *a = arg;
	struct loop_counters lc;
	struct fabric_cq_counters fc;

	worker_counters(a->env, &lc, &fc);
	return lc.sleeps >= a->target;
}

static struct srp_ti *login(struct srp_env *env)
{
	struct srp_ti_params p;
	struct srp_ti *ti;

	srp_env_ti_params(&p, 1, 4 * MIB);
	ti = srp_env_login(env, 0, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	return ti;
}

static void test_busy_then_sleep(void **state)
{
	struct srp_env env = { 0 };
	struct loop_counters l0, l1, l2;
	struct fabric_cq_counters f0, f1, f2;
	struct sleeps_arg sa = { &env, 0 };
	struct srp_ti *ti;

	env_setup(&env, BUSY_US);
	ti = login(&env);
	worker_counters(&env, &l0, &f0);
	for (uint32_t i = 0; i < 16; i++)
		run_rw(&env, ti, i & 1, i * 8);
	worker_counters(&env, &l1, &f1);
	/* The busy poller, not a wake-up, found the completions. */
	assert_true(l1.busy_polls > l0.busy_polls);
	assert_true(f1.completions - f0.completions >= 32);

	/* No work: the window ends, the CQ is armed, the worker sleeps. */
	sa.target = l1.sleeps + 1;
	assert_true(step_until(&env, slept, &sa));
	worker_counters(&env, &l2, &f2);
	assert_true(f2.arms > f1.arms);
	/*
	 * Asleep: the doorbell of the last commands may wake it once more
	 * (a new window), after which every step sleeps and no poll finds
	 * work: 20 more sleeps, the busy polls that found work unchanged.
	 */
	sa.target = l2.sleeps + 20;
	assert_true(step_until(&env, slept, &sa));
	worker_counters(&env, &l1, &f1);
	assert_int_equal(l1.busy_polls, l2.busy_polls);
	env_teardown(&env);
	(void)state;
}

/* busy_poll_us 0: never a busy poll, a sleep per step. */
static void test_off(void **state)
{
	struct srp_env env = { 0 };
	struct loop_counters l0, l1;
	struct fabric_cq_counters f0, f1;
	struct srp_ti *ti;

	env_setup(&env, 0);
	ti = login(&env);
	worker_counters(&env, &l0, &f0);
	for (uint32_t i = 0; i < 8; i++)
		run_rw(&env, ti, i & 1, i * 8);
	worker_counters(&env, &l1, &f1);
	assert_int_equal(l1.busy_polls, 0);
	assert_int_equal(l1.busy_idle, 0);
	assert_true(l1.sleeps > l0.sleeps);
	assert_int_equal(f1.arms, f0.arms);
	env_teardown(&env);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_then_sleep),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
