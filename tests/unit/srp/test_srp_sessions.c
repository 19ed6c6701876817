/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Session snapshot and kick (src/srp/srp_sessions.c) on the loopback
 * fabric with test initiators: who is logged in, through what, with which
 * LUN view, on which worker with how many credits; a kicked session gets
 * SRP_T_LOGOUT and goes, the others stay, and it may log in again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "srp/srp_sessions.h"
#include "srptd/backend.h"

#include "srp_env.h"

#define INI_DEFAULT 1 /* initiator port id ...01: default map */
#define INI_GROUP 2 /* ...02: group "db" */

static int setup(void **state)
{
	struct srp_env *env = calloc(1, sizeof(*env));
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	struct srp_engine_params ep;
	uint8_t ini[1][16] = { { 0 } };
	struct scsi_lun_entry view[2];

	assert_non_null(env);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 64;
	ep.login.req_lim = 32;
	srp_env_start(env, &ep, 1024);
	bp.name = "sessions";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	assert_int_equal(
		srptd_backend_open(&env->bdev, "null", NULL, &bp, &used), 0);
	/* Two workers: sessions land on different ones (round robin). */
	srp_env_export(env, "SESSIONS", true);
	/* Group "db": initiator ...02 sees LUNs 3 and 4. */
	ini[0][15] = INI_GROUP;
	view[0].lun = 3;
	view[0].lu = env->lu;
	view[0].read_only = false;
	view[1] = view[0];
	view[1].lun = 4;
	assert_int_equal(srp_target_add_group(env->t, "db",
					      (const uint8_t(*)[16])ini, 1,
					      view, 2),
			 0);
	*state = env;
	return 0;
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

static struct srp_ti *login(struct srp_env *env, int idx, uint8_t ini)
{
	struct srp_ti_params p;
	struct srp_ti *ti;

	srp_env_ti_params(&p, ini, 4 * MIB);
	ti = srp_env_login(env, idx, &p);
	assert_int_equal(srp_ti_state(ti), SRP_TI_LOGGED_IN);
	return ti;
}

static const struct srp_session_info *find(const struct srp_session_info *s,
					   unsigned int n, uint8_t ini)
{
	char want[SRP_PORT_ID_STRLEN];

	snprintf(want, sizeof(want), "0x%032x", ini);
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(s[i].initiator, want))
			return &s[i];
	return NULL;
}

static void test_snapshot(void **state)
{
	struct srp_env *env = *state;
	struct srp_session_info *s;
	const struct srp_session_info *a, *b;
	int64_t before = time(NULL), after;
	unsigned int n;

	assert_int_equal(srp_engine_sessions_snapshot(env->e, &s, &n), 0);
	assert_int_equal(n, 0);
	assert_null(s);

	login(env, 0, INI_DEFAULT);
	login(env, 1, INI_GROUP);
	after = time(NULL);
	assert_int_equal(srp_engine_sessions_snapshot(env->e, &s, &n), 0);
	assert_int_equal(n, 2);
	a = find(s, n, INI_DEFAULT);
	b = find(s, n, INI_GROUP);
	assert_non_null(a);
	assert_non_null(b);

	assert_string_equal(a->target, "t1");
	assert_string_equal(a->target_port,
			    "0x0002c90300a1b2c30002c90300a1b2c4");
	/* The LUN view: default map (1 LUN) and group "db" (2 LUNs). */
	assert_string_equal(a->group, "");
	assert_int_equal(a->n_luns, 1);
	assert_false(a->denied);
	assert_string_equal(b->group, "db");
	assert_int_equal(b->n_luns, 2);
	assert_in_range(a->since, before, after);

	/* One channel each, on different workers, with the credits. */
	assert_int_equal(a->n_channels, 1);
	assert_int_equal(b->n_channels, 1);
	assert_int_not_equal(a->channels[0].worker, b->channels[0].worker);
	assert_in_range(a->channels[0].worker, 0, 1);
	assert_string_equal(a->channels[0].state, "LIVE");
	assert_int_equal(a->channels[0].queue_depth,
			 srp_ti_login_credits(env->ti[0]));
	assert_int_equal(a->channels[0].queue_depth, 32);
	assert_int_equal(a->channels[0].outstanding, 0);
	assert_in_range(a->channels[0].since, before, after);
	/* The login path: the loopback fabric's device and its peer name. */
	assert_string_equal(a->channels[0].via.dev_name, "loop0");
	assert_int_equal(a->channels[0].via.port, 1);
	assert_non_null(strstr(a->channels[0].peer, "loop-qp-"));
	srp_sessions_free(s, n);
}

static bool logged_out(void *arg)
{
	return srp_ti_state(arg) == SRP_TI_DISCONNECTED;
}

static void test_kick(void **state)
{
	struct srp_env *env = *state;
	struct srp_session_info *s;
	unsigned int n;
	char id[40];

	login(env, 0, INI_DEFAULT);
	login(env, 1, INI_GROUP);
	/* Unknown initiators and targets touch nothing. */
	assert_int_equal(
		srp_engine_session_kick(env->e, NULL,
					"00000000000000000000000000000009"),
		-ENOENT);
	snprintf(id, sizeof(id), "%032x", INI_DEFAULT);
	assert_int_equal(srp_engine_session_kick(env->e, "t9", id), -ENOENT);
	assert_int_equal(srp_ti_state(env->ti[0]), SRP_TI_LOGGED_IN);

	/* Without "0x", upper case: the same id. */
	snprintf(id, sizeof(id), "0X%032X", INI_DEFAULT);
	assert_int_equal(srp_engine_session_kick(env->e, "t1", id), 1);
	assert_true(srp_ti_run_until(env->loop, logged_out, env->ti[0], 5000));
	/* SRP r16a 6.6: the target says it logs out, then disconnects. */
	assert_true(srp_ti_got_t_logout(env->ti[0]));
	assert_true(srp_env_channels_le(env, 1));
	assert_int_equal(srp_ti_state(env->ti[1]), SRP_TI_LOGGED_IN);
	assert_int_equal(srp_engine_sessions_snapshot(env->e, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_non_null(find(s, n, INI_GROUP));
	srp_sessions_free(s, n);

	/* It may come back. */
	srp_ti_destroy(env->ti[0]);
	env->ti[0] = NULL;
	login(env, 0, INI_DEFAULT);
	assert_int_equal(srp_engine_sessions_snapshot(env->e, &s, &n), 0);
	assert_int_equal(n, 2);
	srp_sessions_free(s, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
