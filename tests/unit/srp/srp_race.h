/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The common part of the race tables (test_srp_race.c: task management
 * x command state; test_srp_chloss.c: channel loss x command state): a
 * case's environment over the loopback fabric with the hold backend
 * (srp_hold.h), and stage(), which puts a victim command in each state
 * a TMF or a channel loss can find it in.  What srptd guarantees is
 * doc/srp-protocol.md 16.  Header-only (static inline) like srp_env.h:
 * each table is its own executable.
 */
#ifndef SRPTD_TEST_SRP_RACE_H
#define SRPTD_TEST_SRP_RACE_H

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

static inline void rcmd_done(struct srp_ti_cmd *c)
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

static inline int setup(void **state)
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
	hold_bdev_init(&env->bdev, DEV_SIZE);
	srp_env_export(env, "RACE DISK", false);
	rc->env = env;
	g_engine = env->e;
	return 0;
}

static inline int teardown(void **state)
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
static inline void run_rounds(struct srp_env *env, int n)
{
	for (int i = 0; i < n; i++)
		loop_run_once(env->loop, 0);
}

static inline void wait_held(struct srp_env *env, unsigned int n)
{
	assert_true(srp_ti_run_until(env->loop, hold_held_at_least, &n, 5000));
}

static inline struct srp_ti *login(struct srp_env *env, int idx, uint8_t ini,
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

static inline void rc_submit(struct srp_ti *ti, struct rcmd *r)
{
	r->seq = 0;
	r->c.cb = rcmd_done;
	r->c.priv = r;
	assert_int_equal(srp_ti_submit(ti, &r->c), 0);
}

static inline void rc_wait(struct srp_env *env, struct rcmd *r)
{
	assert_true(srp_ti_run_until(env->loop, srp_env_cmd_done, &r->c, 5000));
}

static inline void prep_write(struct srp_ti *ti, struct rcmd *r, uint32_t lba,
			      uint32_t len, uint32_t mem_off,
			      enum srp_ti_desc desc, unsigned int ndesc,
			      uint8_t pattern)
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

static inline void prep_read(struct rcmd *r, uint32_t lba, uint32_t len,
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
static inline bool tur_saw_reset_ua(struct srp_env *env, struct srp_ti *ti)
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

static inline void clear_ua(struct srp_env *env, struct srp_ti *ti)
{
	(void)tur_saw_reset_ua(env, ti);
}

static inline bool blocks_are(const uint32_t lba, uint32_t len, uint8_t v)
{
	const uint8_t *p = hold.disk + (uint64_t)lba * 512;

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static inline void no_leaks(struct srp_env *env)
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
static inline void stage(struct srp_env *env, struct srp_ti *cv, enum vstate st,
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

static inline bool st_is_write(enum vstate st)
{
	return st <= ST_BACKEND;
}

/* The backend or the fabric still owes the victim something. */
static inline bool st_pending_work(enum vstate st)
{
	return st == ST_BACKEND || st == ST_MID_READ || st == ST_MID_WRITE ||
	       st == ST_SENDING || st == ST_BUFFER || st == ST_RD_WAIT;
}

/* srp_ti_run_until() condition: the initiator saw its channel go. */
static inline bool ti_down(void *arg)
{
	return srp_ti_state(arg) == SRP_TI_DISCONNECTED;
}

/* ---- the table ----------------------------------------------------------------- */

#define MAX_CASES 512

static struct rcase cases[MAX_CASES];
static struct CMUnitTest tests[MAX_CASES];

static inline unsigned int add(unsigned int n, void (*fn)(void **),
			       struct rcase *rc)
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

/* Run a table built by build(srq), with rings and with an SRQ. */
static inline int race_run(unsigned int (*build)(bool srq))
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

#endif
