/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Backend faults through the whole SRP path: the loopback fabric, the
 * test initiator, the SRP engine and the SCSI layer on a RAM device
 * wrapped by the fault injector (tests/lib/bs_fault.h).  Each fault maps
 * to the sense of doc/scsi-commands.md "Errors", the channel serves the
 * next command, and no request or data chunk stays held.  A stuck I/O
 * is reported (backend_stuck) after params.stuck_io_ms, its ABORT TASK
 * waits for it (doc/srp-protocol.md 16) while the channel serves other
 * LBAs, and everything is freed once the backend lets go.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bs_fault.h"
#include "bs_ram.h"
#include "fabric_loop.h"
#include "srp_test_initiator.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srptd/backend.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"

#define STUCK_MS 100 /* stuck_io_ms of these tests */
#define BLK 512u

static int setup(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;

	assert_non_null(env);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 64;
	ep.stuck_io_ms = STUCK_MS;
	srp_env_start(env, &ep, 1024);
	bs_fault_reset();
	assert_int_equal(bs_ram_open(&env->bdev, "faulty", DEV_SIZE, BLK), 0);
	assert_int_equal(bs_fault_wrap(&env->bdev), 0);
	srp_env_export(env, "FAULT DISK", false);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct srp_env *env = *state;

	bs_fault_release();
	srp_env_stop(env);
	loop_destroy(env->loop);
	env->bdev.ops->close(&env->bdev);
	bs_fault_reset();
	free(env);
	return 0;
}

/* Clear the power-on unit attention with TEST UNIT READY. */
static struct srp_ti *login_ready(struct srp_env *env, int idx)
{
	struct srp_ti_params p;
	struct srp_ti_cmd c;
	struct srp_ti *ti;

	srp_env_ti_params(&p, (uint8_t)(idx + 1), 4 * MIB);
	ti = srp_env_login(env, idx, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	for (int i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(env, ti, &c);
		if (c.status == SAM_STAT_GOOD)
			return ti;
	}
	fail_msg("TEST UNIT READY keeps failing");
	return NULL;
}

static void prep_rw(struct srp_ti_cmd *c, bool write, uint32_t lba,
		    uint32_t len, uint32_t mem_off)
{
	memset(c, 0, sizeof(*c));
	srp_env_cdb_rw10(c->cdb, write, lba, (uint16_t)(len / BLK));
	c->dir = write ? 1 : 2;
	c->desc = SRP_TI_DIRECT;
	c->mem_off = mem_off;
	c->len = len;
}

static void assert_sense(const struct srp_ti_cmd *c, uint8_t key, uint8_t asc,
			 uint8_t ascq)
{
	if (c->status != SAM_STAT_CHECK_CONDITION || c->sense_len < 14 ||
	    (c->sense[2] & 0x0f) != key || c->sense[12] != asc ||
	    c->sense[13] != ascq)
		fail_msg("status %#x sense %x/%02x/%02x, want %x/%02x/%02x",
			 c->status, c->sense[2] & 0x0f, c->sense[12],
			 c->sense[13], key, asc, ascq);
}

static bool nothing_held(void *arg)
{
	struct srp_env *env = arg;
	struct srp_engine_stats st;

	srp_engine_get_stats(env->e, &st);
	return !st.reqs_active && !st.chunks_in_use;
}

/*
 * Nothing of any channel is held (requests, data chunks) once the last
 * responses' send completions are in (a few loop rounds at most).
 */
static void assert_nothing_held(struct srp_env *env)
{
	struct srp_engine_stats st;

	srp_ti_run_until(env->loop, nothing_held, env, 1000);
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.reqs_active, 0);
	assert_int_equal(st.chunks_in_use, 0);
}

/* A WRITE of len bytes of v at lba, then a READ that must see them. */
static void write_read_ok(struct srp_env *env, struct srp_ti *ti, uint32_t lba,
			  uint32_t len, uint8_t v)
{
	uint8_t *m = srp_ti_mem(ti);
	struct srp_ti_cmd c;

	memset(m, v, len);
	prep_rw(&c, true, lba, len, 0);
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	memset(m + MIB, 0, len);
	prep_rw(&c, false, lba, len, MIB);
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_memory_equal(m, m + MIB, len);
}

static const struct {
	const char *name;
	enum srptd_io_op op;
	enum bs_fault_kind kind;
	uint8_t key, asc, ascq; /* doc/scsi-commands.md "Errors" */
} faults[] = {
	{ "EIO read", SRPTD_IO_READ, BS_FAULT_EIO, 0x03, 0x11, 0x00 },
	{ "EIO write", SRPTD_IO_WRITE, BS_FAULT_EIO, 0x03, 0x0c, 0x00 },
	{ "ENOSPC write", SRPTD_IO_WRITE, BS_FAULT_ENOSPC, 0x07, 0x27, 0x07 },
	{ "short read", SRPTD_IO_READ, BS_FAULT_SHORT, 0x03, 0x11, 0x00 },
	{ "short write", SRPTD_IO_WRITE, BS_FAULT_SHORT, 0x03, 0x0c, 0x00 },
};

/*
 * Every fault once on a 64 KiB command at its own LBA range: the sense
 * of the table, nothing held, and the same command then succeeds (the
 * rule's one fault is spent) with the data intact.
 */
static void test_fault_sense(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_ready(env, 0);
	struct bs_fault_stats fs;
	struct srp_ti_cmd c;

	for (unsigned int i = 0; i < ARRAY_SIZE(faults); i++) {
		uint32_t lba = 1024 * (i + 1), len = 64 * 1024;
		struct bs_fault_rule r = {
			.ops = BS_FAULT_OP(faults[i].op),
			.first = (uint64_t)lba * BLK,
			.last = (uint64_t)lba * BLK + len - 1,
			.kind = faults[i].kind,
			.count = 1,
		};

		/* The READ cases read what a good WRITE put there. */
		if (faults[i].op == SRPTD_IO_READ)
			write_read_ok(env, ti, lba, len, (uint8_t)(0x40 + i));
		assert_int_equal(bs_fault_add(&r), 0);
		prep_rw(&c, faults[i].op == SRPTD_IO_WRITE, lba, len, 0);
		srp_env_run_cmd(env, ti, &c);
		print_message("%s: status %#x sense %x/%02x/%02x\n",
			      faults[i].name, c.status, c.sense[2] & 0x0f,
			      c.sense[12], c.sense[13]);
		assert_sense(&c, faults[i].key, faults[i].asc, faults[i].ascq);
		/* An error returns no data: the whole transfer is residual. */
		if (faults[i].op == SRPTD_IO_READ)
			assert_int_equal(c.data_in_res, len);
		assert_nothing_held(env);
		write_read_ok(env, ti, lba, len, (uint8_t)(0x80 + i));
		assert_nothing_held(env);
	}
	bs_fault_get_stats(&fs);
	assert_int_equal(fs.injected[BS_FAULT_EIO], 2);
	assert_int_equal(fs.injected[BS_FAULT_ENOSPC], 1);
	assert_int_equal(fs.injected[BS_FAULT_SHORT], 2);
	assert_int_equal(fs.in_flight, 0);
}

/* SYNCHRONIZE CACHE whose flush fails: WRITE ERROR (03/0C/00). */
static void test_fault_flush(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_ready(env, 0);
	struct bs_fault_rule r = { .ops = BS_FAULT_OP(SRPTD_IO_FLUSH),
				   .kind = BS_FAULT_EIO,
				   .count = 1 };
	struct srp_ti_cmd c;

	assert_int_equal(bs_fault_add(&r), 0);
	for (int pass = 0; pass < 2; pass++) {
		memset(&c, 0, sizeof(c));
		c.cdb[0] = 0x35; /* SYNCHRONIZE CACHE (10) */
		srp_env_run_cmd(env, ti, &c);
		if (pass == 0)
			assert_sense(&c, 0x03, 0x0c, 0x00);
		else
			assert_int_equal(c.status, SAM_STAT_GOOD);
	}
	assert_nothing_held(env);
}

static bool cmd_done(void *arg)
{
	return ((struct srp_ti_cmd *)arg)->done;
}

/*
 * A slow READ (300 ms) does not hold up the channel: commands to other
 * LBAs submitted after it complete first, then it completes with its
 * data.
 */
static void test_fault_slow(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_ready(env, 0);
	struct bs_fault_rule r = { .ops = BS_FAULT_OP(SRPTD_IO_READ),
				   .first = 0,
				   .last = 8 * BLK - 1,
				   .kind = BS_FAULT_SLOW,
				   .delay_ms = 300 };
	static struct srp_ti_cmd slow, fast[4];
	uint8_t *m = srp_ti_mem(ti);
	uint64_t t0 = loop_now_ms();

	write_read_ok(env, ti, 0, 8 * BLK, 0x5a);
	assert_int_equal(bs_fault_add(&r), 0);
	prep_rw(&slow, false, 0, 8 * BLK, 2 * MIB);
	assert_int_equal(srp_ti_submit(ti, &slow), 0);
	for (int i = 0; i < 4; i++) {
		prep_rw(&fast[i], i & 1, 4096 + 64 * i, 8 * BLK,
			3 * MIB + 64 * 1024 * i);
		srp_env_run_cmd(env, ti, &fast[i]);
		assert_int_equal(fast[i].status, SAM_STAT_GOOD);
	}
	assert_false(slow.done);
	assert_true(srp_ti_run_until(env->loop, cmd_done, &slow, 5000));
	assert_int_equal(slow.status, SAM_STAT_GOOD);
	assert_true(loop_now_ms() - t0 >= 300);
	for (uint32_t i = 0; i < 8 * BLK; i++)
		assert_int_equal(m[2 * MIB + i], 0x5a);
	assert_nothing_held(env);
}

static bool stuck_reported(void *arg)
{
	struct srp_env *env = arg;
	struct srp_engine_stats st;

	srp_engine_get_stats(env->e, &st);
	return st.backend_stuck > 0;
}

static bool stuck_cleared(void *arg)
{
	return !stuck_reported(arg);
}

/*
 * A WRITE whose I/O never completes: after stuck_io_ms the engine counts
 * it (backend_stuck 1, and the SCSI layer logs the device's warning);
 * the channel keeps serving other LBAs; its ABORT TASK waits for it
 * (no data may move after the TM response: doc/srp-protocol.md 16).
 * Once the backend completes the I/O, the ABORT TASK completes, the
 * aborted WRITE gets no response, the gauge drops to 0 (the total stays
 * 1) and nothing is held.  The device's own counts (scsi_lu_stuck(),
 * exported per device) follow the same way.
 */
static void test_fault_stuck(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login_ready(env, 0);
	struct bs_fault_rule r = { .ops = BS_FAULT_OP(SRPTD_IO_WRITE),
				   .first = 0,
				   .last = 8 * BLK - 1,
				   .kind = BS_FAULT_STUCK,
				   .count = 1 };
	static struct srp_ti_cmd stuck, tmf, other;
	struct srp_engine_stats st;
	struct bs_fault_stats fs;
	unsigned int lu_now;
	uint64_t lu_total;

	scsi_lu_stuck(env->lu, &lu_now, &lu_total);
	assert_int_equal(lu_now, 0);
	assert_int_equal(lu_total, 0);
	assert_int_equal(bs_fault_add(&r), 0);
	memset(srp_ti_mem(ti), 0x77, 8 * BLK);
	prep_rw(&stuck, true, 0, 8 * BLK, 0);
	assert_int_equal(srp_ti_submit(ti, &stuck), 0);
	assert_true(srp_ti_run_until(env->loop, stuck_reported, env,
				     20 * STUCK_MS));
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.backend_stuck, 1);
	assert_int_equal(st.backend_stuck_total, 1);
	scsi_lu_stuck(env->lu, &lu_now, &lu_total);
	assert_int_equal(lu_now, 1);
	assert_int_equal(lu_total, 1);
	assert_false(stuck.done);

	/* The channel still works. */
	write_read_ok(env, ti, 4096, 64 * 1024, 0x31);

	assert_int_equal(srp_ti_tmf(ti, &tmf, SRP_TSK_ABORT_TASK, 0, stuck.tag),
			 0);
	/* Several check periods: the TMF waits for the backend. */
	srp_ti_run_until(env->loop, cmd_done, &tmf, 4 * STUCK_MS);
	assert_false(tmf.done);
	prep_rw(&other, false, 4096, 64 * 1024, MIB);
	srp_env_run_cmd(env, ti, &other);
	assert_int_equal(other.status, SAM_STAT_GOOD);

	assert_int_equal(bs_fault_release(), 1);
	assert_true(srp_ti_run_until(env->loop, cmd_done, &tmf, 5000));
	assert_int_equal(tmf.tm_code, SRP_TSK_MGMT_SUCCESS);
	assert_false(stuck.done);
	/* The gauge follows at the next check (a quarter period). */
	assert_true(
		srp_ti_run_until(env->loop, stuck_cleared, env, 2 * STUCK_MS));
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.backend_stuck, 0);
	assert_int_equal(st.backend_stuck_total, 1);
	scsi_lu_stuck(env->lu, &lu_now, &lu_total);
	assert_int_equal(lu_now, 0);
	assert_int_equal(lu_total, 1);
	assert_nothing_held(env);
	bs_fault_get_stats(&fs);
	assert_int_equal(fs.injected[BS_FAULT_STUCK], 1);
	assert_int_equal(fs.stuck_now, 0);
	assert_int_equal(fs.in_flight, 0);
	/* The aborted WRITE still reached the medium: it was executing. */
	assert_int_equal(bs_ram_data(&env->bdev)[0], 0x77);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fault_sense),
		T(test_fault_flush),
		T(test_fault_slow),
		T(test_fault_stuck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
