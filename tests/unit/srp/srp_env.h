/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Shared fixture of the SRP loopback tests (test_srp_e2e.c,
 * test_srp_robust.c): an engine on the loopback fabric, one or two
 * workers on the test's loop (more with SRPTD_TEST_WORKERS, see
 * srp_env_export()), target "t1" exporting one LU as LUN 0, and up to
 * four test initiators.  Header-only (static inline) so that each
 * test stays one source file.
 */
#ifndef SRPTD_TEST_SRP_ENV_H
#define SRPTD_TEST_SRP_ENV_H

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
#include "srptd/backend.h"
#include "util.h"

#define ID_EXT 0x0002c90300a1b2c3ULL
#define IOC_GUID 0x0002c90300a1b2c4ULL
#define DEV_SIZE (64ULL << 20)
#define MIB (1u << 20)
#define SRP_ENV_MAX_WORKERS 4

struct srp_env {
	struct loop *loop;
	struct srp_engine *e;
	struct fabric *f;
	struct fabric_cq *icq;
	struct srp_worker *w, *w2;
	struct srp_worker *w_more[SRP_ENV_MAX_WORKERS - 2]; /* workers 3.. */
	struct srp_target *t;
	struct srptd_bdev bdev; /* opened by the test */
	struct scsi_lu *lu;
	char dir[256]; /* a test's temp dir, if any */
	char path[300];
	struct srp_ti *ti[4];
};

static inline void srp_env_ti_params(struct srp_ti_params *p, uint8_t ini,
				     size_t mem_size)
{
	srp_ti_params_default(p);
	srp_target_port_id(ID_EXT, IOC_GUID, p->target_port_id);
	memset(p->initiator_port_id, 0, 16);
	p->initiator_port_id[15] = ini;
	p->mem_size = mem_size;
}

static inline bool srp_env_ti_settled(void *arg)
{
	return srp_ti_state(arg) != SRP_TI_CONNECTING;
}

/* Log initiator idx in with p; returns once accepted or rejected. */
static inline struct srp_ti *srp_env_login(struct srp_env *env, int idx,
					   const struct srp_ti_params *p)
{
	struct srp_ti *ti;

	assert_null(env->ti[idx]);
	assert_int_equal(srp_ti_create(env->f, env->icq, p, &ti), 0);
	env->ti[idx] = ti;
	assert_true(srp_ti_run_until(env->loop, srp_env_ti_settled, ti, 5000));
	return ti;
}

/* The loop, the engine with ep, the loopback fabric, the initiators' CQ. */
static inline void srp_env_start(struct srp_env *env,
				 const struct srp_engine_params *ep,
				 unsigned int icq_depth)
{
	assert_int_equal(loop_create(&env->loop), 0);
	assert_int_equal(srp_engine_create(ep, &env->e), 0);
	assert_int_equal(fabric_loop_create(env->loop, &srp_engine_listener,
					    env->e, &env->f),
			 0);
	assert_int_equal(env->f->ops->cq_create(env->f, env->loop, icq_depth,
						&env->icq),
			 0);
}

/*
 * How many workers a test gets: exactly two when it asks for two (it
 * checks where channels land), else one, or SRPTD_TEST_WORKERS (at most
 * SRP_ENV_MAX_WORKERS) so that a whole suite runs with logins spread
 * round robin over several workers (scripts/check.sh, ThreadSanitizer
 * stage).
 */
static inline unsigned int srp_env_workers(bool two_workers)
{
	const char *s = getenv("SRPTD_TEST_WORKERS");
	int n = s ? atoi(s) : 1;

	if (two_workers)
		return 2;
	assert_in_range(n, 1, SRP_ENV_MAX_WORKERS);
	return (unsigned int)n;
}

/* Where worker i of a test lives: w, w2, then w_more[]. */
static inline struct srp_worker **srp_env_worker_slot(struct srp_env *env,
						      unsigned int i)
{
	return i == 0 ? &env->w : i == 1 ? &env->w2 : &env->w_more[i - 2];
}

/*
 * lu (not env's: srp_env_stop() leaves it) as LUN 0 of target t1 (any
 * initiator), on srp_env_workers().
 */
static inline void srp_env_export_lu(struct srp_env *env, struct scsi_lu *lu,
				     bool two_workers)
{
	unsigned int n_workers = srp_env_workers(two_workers);
	struct srp_target_params tp = { 0 };
	struct scsi_lun_entry view;

	for (unsigned int i = 0; i < n_workers; i++)
		assert_int_equal(srp_worker_create(env->e, env->f, env->loop,
						   srp_env_worker_slot(env, i)),
				 0);
	tp.name = "t1";
	tp.id_ext = ID_EXT;
	tp.ioc_guid = IOC_GUID;
	tp.unknown_default_map = true;
	assert_int_equal(srp_target_create(env->e, &tp, &env->t), 0);
	view.lun = 0;
	view.lu = lu;
	view.read_only = false;
	assert_int_equal(srp_target_set_luns(env->t, &view, 1), 0);
}

/* env->bdev as LUN 0 of target t1 (any initiator), on srp_env_workers(). */
static inline void srp_env_export(struct srp_env *env, const char *product,
				  bool two_workers)
{
	struct scsi_lu_params lp = { 0 };

	lp.vendor = "SRPTD";
	lp.product = product;
	lp.revision = "0001";
	lp.max_xfer_bytes = MIB;
	assert_int_equal(scsi_lu_create(&env->bdev, &lp, &env->lu), 0);
	srp_env_export_lu(env, env->lu, two_workers);
}

static inline bool srp_env_idle(void *arg)
{
	struct srp_env *env = arg;

	return srp_engine_idle(env->e);
}

/*
 * Log every initiator out, wait until the engine is idle, free
 * everything but env->bdev and env itself.
 */
static inline void srp_env_stop(struct srp_env *env)
{
	for (int i = 0; i < 4; i++)
		if (env->ti[i] && srp_ti_state(env->ti[i]) == SRP_TI_LOGGED_IN)
			srp_ti_disconnect(env->ti[i]);
	assert_true(srp_ti_run_until(env->loop, srp_env_idle, env, 5000));
	fabric_loop_run(env->f);
	for (int i = 0; i < 4; i++)
		srp_ti_destroy(env->ti[i]);
	for (unsigned int i = 0; i < SRP_ENV_MAX_WORKERS; i++)
		srp_worker_destroy(*srp_env_worker_slot(env, i));
	srp_engine_destroy(env->e);
	env->f->ops->cq_destroy(env->icq);
	fabric_loop_destroy(env->f);
	scsi_lu_destroy(env->lu);
}

static inline bool srp_env_cmd_done(void *arg)
{
	return ((struct srp_ti_cmd *)arg)->done;
}

static inline void srp_env_run_cmd(struct srp_env *env, struct srp_ti *ti,
				   struct srp_ti_cmd *c)
{
	assert_int_equal(srp_ti_submit(ti, c), 0);
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, c, 10000));
}

/* TEST UNIT READY until GOOD: the power-on unit attention consumed. */
static inline void srp_env_clear_ua(struct srp_env *env, struct srp_ti *ti)
{
	struct srp_ti_cmd c;

	for (int i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(env, ti, &c);
		if (c.status == SAM_STAT_GOOD)
			return;
	}
	fail_msg("TEST UNIT READY keeps failing: %#x", c.status);
}

/* READ CAPACITY (16) into c, its 32 bytes of data at mem_off 0. */
static inline void srp_env_read_capacity16(struct srp_env *env,
					   struct srp_ti *ti,
					   struct srp_ti_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = 0x9e;
	c->cdb[1] = 0x10;
	put_be32(c->cdb + 10, 32);
	c->dir = 2;
	c->desc = SRP_TI_DIRECT;
	c->len = 32;
	srp_env_run_cmd(env, ti, c);
}

static inline void srp_env_cdb_rw10(uint8_t *cdb, bool write, uint32_t lba,
				    uint16_t blocks)
{
	memset(cdb, 0, 16);
	cdb[0] = write ? 0x2a : 0x28;
	put_be32(cdb + 2, lba);
	put_be16(cdb + 7, blocks);
}

/* Channels the engine holds (live or still draining). */
static inline unsigned int srp_env_channels(struct srp_env *env)
{
	struct srp_engine_stats st;

	srp_engine_get_stats(env->e, &st);
	return st.channels;
}

/* Run the loop until the engine holds at most n channels; true if so. */
static inline bool srp_env_channels_le(struct srp_env *env, unsigned int n)
{
	for (int i = 0; i < 2000 && srp_env_channels(env) > n; i++)
		loop_run_once(env->loop, 1);
	return srp_env_channels(env) <= n;
}

#endif
