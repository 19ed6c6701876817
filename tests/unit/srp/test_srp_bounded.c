/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Logins and requests the target could not progress (doc/srp-protocol.md
 * "Bounded waits"), over the loopback fabric with the hold backend:
 *  - a login that grants the target no RDMA READ (the initiator's
 *    responder resources 0) is rejected with INSUFFICIENT_RESOURCES in
 *    both login layouts instead of being accepted with a channel whose
 *    first WRITE would wait forever; one READ slot is enough for I/O.
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
#include "srptd/backend.h"
#include "srptd/srp_proto.h"
#include "util.h"

#include "srp_env.h"
#include "srp_hold.h"

static int setup(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srp_engine_params ep;

	assert_non_null(env);
	memset(&hold, 0, sizeof(hold));
	hold.disk = calloc(1, DEV_SIZE);
	assert_non_null(hold.disk);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 64;
	srp_env_start(env, &ep, 1024);
	hold_bdev_init(&env->bdev, DEV_SIZE);
	srp_env_export(env, "HOLD DISK", false);
	*state = env;
	return 0;
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

/* A WRITE then a READ of len bytes at lba through ti; data round trips. */
static void write_read(struct srp_env *env, struct srp_ti *ti, uint32_t lba,
		       uint32_t len)
{
	struct srp_ti_cmd c;
	uint8_t *m = srp_ti_mem(ti);

	for (uint32_t i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 7 + lba);
	for (int pass = 0; pass < 3; pass++) {
		memset(&c, 0, sizeof(c));
		srp_env_cdb_rw10(c.cdb, true, lba, len / 512);
		c.dir = 1;
		c.desc = SRP_TI_DIRECT;
		c.len = len;
		srp_env_run_cmd(env, ti, &c);
		if (c.status == SAM_STAT_GOOD)
			break; /* the first attempts may meet the power-on UA */
	}
	assert_int_equal(c.status, SAM_STAT_GOOD);
	memset(&c, 0, sizeof(c));
	srp_env_cdb_rw10(c.cdb, false, lba, len / 512);
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.mem_off = len;
	c.len = len;
	srp_env_run_cmd(env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_memory_equal(m, m + len, len);
}

/*
 * Responder resources 0: the target could never fetch data-out, so the
 * login is refused (doc/srp-protocol.md 3) and nothing is left behind;
 * with one responder resource the channel moves a 1 MiB WRITE one READ
 * at a time.
 */
static void test_login_no_rdma_read(void **state)
{
	struct srp_env *env = *state;
	struct srp_engine_stats st;
	struct srp_ti_params p;
	struct srp_ti *ti;

	for (int layout = 0; layout < 2; layout++) {
		srp_env_ti_params(&p, (uint8_t)(1 + layout), 4 * MIB);
		p.rdma_cm_format = layout;
		p.responder_resources = 0;
		ti = srp_env_login(env, layout, &p);
		assert_int_equal(srp_ti_state(ti), SRP_TI_REJECTED);
		assert_int_equal(srp_ti_reject_reason(ti),
				 SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES);
	}
	srp_engine_get_stats(env->e, &st);
	assert_int_equal(st.logins_rejected, 2);
	assert_int_equal(st.logins_accepted, 0);
	assert_int_equal(st.channels, 0);

	srp_env_ti_params(&p, 3, 4 * MIB);
	p.responder_resources = 1;
	ti = srp_env_login(env, 2, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	write_read(env, ti, 2048, MIB);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_login_no_rdma_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
