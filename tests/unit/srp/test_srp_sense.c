/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Sense format of errors the SRP layer raises itself, end to end over the
 * loopback fabric: fixed format (0x70) while the LU's D_SENSE is 0,
 * descriptor format (0x72) with the same key/ASC/ASCQ once MODE SELECT
 * set it, fixed format again for a LUN outside the view (no LU, no
 * D_SENSE).  Runs with per-channel receive rings and with an SRQ.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "srp_env.h"

static bool g_srq;

static int setup(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;

	assert_non_null(env);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 32;
	ep.use_srq = g_srq;
	if (ep.use_srq)
		ep.srq_size = 256;
	srp_env_start(env, &ep, 1024);
	bp.name = "sense";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	assert_int_equal(
		srptd_backend_open(&env->bdev, "null", NULL, &bp, &used), 0);
	srp_env_export(env, "SENSE DISK", false);
	*state = env;
	return 0;
}

static int setup_rings(void **state)
{
	g_srq = false;
	return setup(state);
}

static int setup_srq(void **state)
{
	g_srq = true;
	return setup(state);
}

static int teardown(void **state)
{
	struct srp_env *env = *state;

	srp_env_stop(env);
	srptd_backend_close(&env->bdev);
	loop_destroy(env->loop);
	free(env);
	return 0;
}

static struct srp_ti *login(struct srp_env *env)
{
	struct srp_ti_params p;
	struct srp_ti *ti;

	srp_env_ti_params(&p, 1, 1 * MIB);
	ti = srp_env_login(env, 0, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	return ti;
}

/* Set or clear D_SENSE of LUN 0 with MODE SENSE(10) + MODE SELECT(10). */
static void set_d_sense(struct srp_env *env, struct srp_ti *ti, bool on)
{
	uint8_t *m = srp_ti_mem(ti);
	struct srp_ti_cmd c = { 0 };

	c.cdb[0] = 0x5a; /* MODE SENSE(10) */
	c.cdb[1] = 0x08; /* DBD */
	c.cdb[2] = 0x0a; /* control mode page, current values */
	put_be16(c.cdb + 7, 64);
	c.dir = 2;
	c.len = 64;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(m[8] & 0x3f, 0x0a);
	/* Parameter list: 8-byte header (all zero), the 12-byte page. */
	memmove(m + 4096 + 8, m + 8, 12);
	memset(m + 4096, 0, 8);
	m[4096 + 8] &= 0x3f; /* PS is reserved in MODE SELECT */
	if (on)
		m[4096 + 8 + 2] |= 0x04; /* D_SENSE */
	else
		m[4096 + 8 + 2] &= ~0x04;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0x55; /* MODE SELECT(10) */
	c.cdb[1] = 0x10; /* PF */
	put_be16(c.cdb + 7, 20);
	c.dir = 1;
	c.mem_off = 4096;
	c.len = 20;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

/*
 * An error of the SRP layer: WRITE(10) of two blocks whose data-out
 * descriptor covers one.  The target refuses it before execution with
 * ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (05/0E/03).
 */
static void short_write(struct srp_env *env, struct srp_ti *ti, uint64_t lun,
			struct srp_ti_cmd *c)
{
	memset(c, 0, sizeof(*c));
	srp_env_cdb_rw10(c->cdb, true, 0, 2);
	c->lun = lun;
	c->dir = 1;
	c->len = 512;
	srp_env_run_cmd(env, ti, c);
	assert_int_equal(c->status, SAM_STAT_CHECK_CONDITION);
}

static void assert_fixed(const struct srp_ti_cmd *c, uint8_t key, uint8_t asc,
			 uint8_t ascq)
{
	assert_int_equal(c->sense_len, 18);
	assert_int_equal(c->sense[0], 0x70);
	assert_int_equal(c->sense[2] & 0x0f, key);
	assert_int_equal(c->sense[7], 10);
	assert_int_equal(c->sense[12], asc);
	assert_int_equal(c->sense[13], ascq);
}

static void assert_descriptor(const struct srp_ti_cmd *c, uint8_t key,
			      uint8_t asc, uint8_t ascq)
{
	assert_int_equal(c->sense_len, 8);
	assert_int_equal(c->sense[0], 0x72);
	assert_int_equal(c->sense[1] & 0x0f, key);
	assert_int_equal(c->sense[2], asc);
	assert_int_equal(c->sense[3], ascq);
	assert_int_equal(c->sense[7], 0);
}

static void test_srp_error_follows_d_sense(void **state)
{
	struct srp_env *env = *state;
	struct srp_ti *ti = login(env);
	struct srp_ti_cmd c;

	srp_env_clear_ua(env, ti);
	short_write(env, ti, 0, &c);
	assert_fixed(&c, 0x05, 0x0e, 0x03);

	set_d_sense(env, ti, true);
	short_write(env, ti, 0, &c);
	assert_descriptor(&c, 0x05, 0x0e, 0x03);
	/* A SCSI-layer error of the same LU agrees (INVALID FIELD IN CDB). */
	memset(&c, 0, sizeof(c));
	c.cdb[5] = 0x08; /* TEST UNIT READY with a reserved CONTROL bit */
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[0], 0x72);
	assert_int_equal(c.sense[2], 0x24);

	/* No LU at LUN 5: no D_SENSE applies, fixed format. */
	memset(&c, 0, sizeof(c));
	c.lun = 5;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_fixed(&c, 0x05, 0x25, 0x00);

	set_d_sense(env, ti, false);
	short_write(env, ti, 0, &c);
	assert_fixed(&c, 0x05, 0x0e, 0x03);
	/* The channel survived every error. */
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_srp_error_follows_d_sense,
						setup_rings, teardown),
		cmocka_unit_test_setup_teardown(test_srp_error_follows_d_sense,
						setup_srq, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
