/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Live LUN map changes (src/srp/srp_maps.c, src/scsi/itn.c,
 * doc/architecture.md "Live changes") over the loopback fabric: target
 * t1 with LUN 0 (device A) in its default map and in group "g" (initiator
 * 2); initiator 1 logs in with two channels, one per worker.  Mapping
 * device B as LUN 2 into the default map changes initiator 1's view only
 * (3F/0E once per LUN, on either channel), resizing B raises 2A/09 where
 * B is seen, unmapping B waits for (-EBUSY) or aborts (forced) a command
 * in flight on it and keeps B open until that command is over, and no
 * change logs anybody out unless it loses access.
 */
#include "srp_race.h"
#include "scsi/scsi.h"

#define B_SIZE (32ULL << 20)
#define INI_DEFAULT 1
#define INI_GROUP 2

struct live {
	struct srp_env *env;
	struct srptd_bdev bdev_b;
	struct scsi_lu *lu_b;
	struct srp_ti *ti_d, *ti_d2, *ti_g; /* default x2 channels, group */
	uint64_t logins;
};

static uint64_t logins(struct srp_env *env)
{
	struct srp_engine_stats st;

	srp_engine_get_stats(env->e, &st);
	return st.logins_accepted;
}

static void cmd_tur(struct srp_ti_cmd *c, uint64_t lun)
{
	memset(c, 0, sizeof(*c));
	c->lun = lun;
}

/* Status of TEST UNIT READY on lun; *asc_ascq the sense code if any. */
static uint8_t tur(struct live *l, struct srp_ti *ti, uint64_t lun,
		   uint16_t *asc_ascq)
{
	struct srp_ti_cmd c;

	cmd_tur(&c, lun);
	srp_env_run_cmd(l->env, ti, &c);
	*asc_ascq = 0;
	if (c.status == SAM_STAT_CHECK_CONDITION) {
		assert_true(c.sense_len >= 14);
		*asc_ascq = c.sense[12] << 8 | c.sense[13];
	}
	return c.status;
}

/* The next command on lun reports asc_ascq as a unit attention, once. */
static void expect_ua_once(struct live *l, struct srp_ti *ti, uint64_t lun,
			   uint16_t asc_ascq)
{
	struct srp_ti_cmd c;
	uint16_t got;

	cmd_tur(&c, lun);
	srp_env_run_cmd(l->env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(c.sense[2] & 0x0f, 0x06); /* UNIT ATTENTION */
	assert_int_equal(c.sense[12] << 8 | c.sense[13], asc_ascq);
	assert_int_equal(tur(l, ti, lun, &got), SAM_STAT_GOOD);
}

static void expect_good(struct live *l, struct srp_ti *ti, uint64_t lun)
{
	uint16_t got;

	assert_int_equal(tur(l, ti, lun, &got), SAM_STAT_GOOD);
}

/* REPORT LUNS: the LUN numbers into luns[], how many. */
static unsigned int report_luns(struct live *l, struct srp_ti *ti,
				uint64_t *luns, unsigned int max)
{
	struct srp_ti_cmd c;
	const uint8_t *d = srp_ti_mem(ti);
	unsigned int n;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0xa0;
	put_be32(c.cdb + 6, 4096);
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 4096;
	srp_env_run_cmd(l->env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	n = get_be32(d) / 8;
	assert_true(n <= max);
	for (unsigned int i = 0; i < n; i++)
		luns[i] = d[8 + 8 * i + 1] | (uint64_t)(d[8 + 8 * i] & 0x3f)
						     << 8;
	return n;
}

/* READ CAPACITY (10) of lun: the number of blocks. */
static uint64_t capacity(struct live *l, struct srp_ti *ti, uint64_t lun)
{
	struct srp_ti_cmd c;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = 0x25;
	c.lun = lun;
	c.dir = 2;
	c.desc = SRP_TI_DIRECT;
	c.len = 8;
	srp_env_run_cmd(l->env, ti, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	return (uint64_t)get_be32(srp_ti_mem(ti)) + 1;
}

/* Maps of t1: default map LUN 0 = A (+ LUN 2 = B), group g LUN 0 = A. */
static struct srp_maps *maps(struct live *l, bool with_b, bool unknown)
{
	struct scsi_lun_entry v[2] = {
		{ .lun = 0, .lu = l->env->lu },
		{ .lun = 2, .lu = l->lu_b },
	};
	uint8_t gi[1][16] = { { 0 } };
	struct srp_maps *m;

	gi[0][15] = INI_GROUP;
	assert_int_equal(srp_maps_create(unknown, &m), 0);
	assert_int_equal(srp_maps_set_luns(m, v, with_b ? 2 : 1), 0);
	assert_int_equal(srp_maps_add_group(m, "g", (const uint8_t(*)[16])gi, 1,
					    v, 1),
			 0);
	return m;
}

static void apply(struct live *l, bool with_b, unsigned int flags,
		  unsigned int changed)
{
	struct srp_maps_effect eff;

	assert_int_equal(srp_target_set_maps(l->env->t, maps(l, with_b, true),
					     flags, &eff),
			 0);
	assert_int_equal(eff.changed, changed);
	assert_int_equal(eff.denied, 0);
	/* The grace period's round trip through every worker. */
	run_rounds(l->env, 20);
}

/* Nobody was logged out: same logins, every channel still up. */
static void expect_no_relogin(struct live *l)
{
	assert_int_equal(logins(l->env), l->logins);
	assert_int_equal(srp_env_channels(l->env), 3);
	assert_false(srp_ti_got_t_logout(l->ti_d));
	assert_false(srp_ti_got_t_logout(l->ti_d2));
	assert_false(srp_ti_got_t_logout(l->ti_g));
}

static int live_setup(void **state)
{
	static struct rcase rc = { .name = "live" };
	struct live *l = calloc(1, sizeof(*l));
	struct scsi_lu_params lp = { .product = "LIVE B" };
	uint8_t gi[1][16] = { { 0 } };
	struct scsi_lun_entry v0;
	struct srp_env *env;

	assert_non_null(l);
	*state = &rc;
	setup(state);
	env = rc.env;
	l->env = env;
	/* setup() made one worker (unless told more): a second one. */
	if (!env->w2)
		assert_int_equal(srp_worker_create(env->e, env->f, env->loop,
						   &env->w2),
				 0);
	hold_bdev_init(&l->bdev_b, B_SIZE);
	assert_int_equal(scsi_lu_create(&l->bdev_b, &lp, &l->lu_b), 0);
	gi[0][15] = INI_GROUP;
	v0 = (struct scsi_lun_entry){ .lun = 0, .lu = env->lu };
	assert_int_equal(srp_target_add_group(env->t, "g",
					      (const uint8_t(*)[16])gi, 1, &v0,
					      1),
			 0);
	l->ti_d = login(env, 0, INI_DEFAULT, true);
	l->ti_d2 = login(env, 1, INI_DEFAULT, true);
	l->ti_g = login(env, 2, INI_GROUP, false);
	/* Every new nexus starts with POWER ON, RESET: consume it. */
	tur_saw_reset_ua(env, l->ti_d);
	tur_saw_reset_ua(env, l->ti_g);
	l->logins = logins(env);
	*state = l;
	return 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;
	struct rcase rc = { .env = l->env };
	void *rs = &rc;

	teardown(&rs);
	scsi_lu_destroy(l->lu_b);
	free(l);
	return 0;
}

static bool lu_b_unused(void *arg)
{
	return !scsi_lu_in_use(arg);
}

/* Map B as LUN 2 of the default map: only initiator 1's nexus notices. */
static void test_map(void **state)
{
	struct live *l = *state;
	uint64_t luns[4];

	apply(l, true, 0, 1);
	/* One nexus, two channels on two workers: each UA once per LUN. */
	expect_ua_once(l, l->ti_d, 0, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	expect_good(l, l->ti_d2, 0);
	expect_ua_once(l, l->ti_d2, 2, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	assert_int_equal(report_luns(l, l->ti_d2, luns, 4), 2);
	assert_true(luns[0] == 0 && luns[1] == 2);
	assert_int_equal(capacity(l, l->ti_d, 2), B_SIZE / 512);
	/* The group's initiator sees nothing new and no unit attention. */
	expect_good(l, l->ti_g, 0);
	assert_int_equal(report_luns(l, l->ti_g, luns, 4), 1);
	assert_true(luns[0] == 0);
	/* The same maps again change nothing. */
	apply(l, true, 0, 0);
	expect_good(l, l->ti_d, 0);
	expect_no_relogin(l);
}

/* Resize B: 2A/09 where B is seen, and the new size. */
static void test_resize(void **state)
{
	struct live *l = *state;
	uint64_t luns[4];

	apply(l, true, 0, 1);
	report_luns(l, l->ti_d, luns, 4);
	/*
	 * What the daemon does after the backend's resize op: the unit
	 * attention, then the capacity to each worker by message.
	 */
	assert_int_equal(
		srp_engine_resize_lu(l->env->e, l->lu_b, 2 * B_SIZE / 512), 0);
	expect_ua_once(l, l->ti_d2, 2, SCSI_ASC_CAPACITY_DATA_CHANGED);
	assert_int_equal(capacity(l, l->ti_d, 2), 2 * B_SIZE / 512);
	expect_good(l, l->ti_d, 0);
	expect_good(l, l->ti_g, 0);
	expect_no_relogin(l);
}

/* Unmap B while a READ of it is in the backend: refused, then done. */
static void test_unmap_busy(void **state)
{
	struct live *l = *state;
	struct srp_maps_effect eff;
	struct srp_maps *m;
	struct rcmd r;
	uint16_t asc;
	uint64_t luns[4];

	apply(l, true, 0, 1);
	report_luns(l, l->ti_d, luns, 4);
	hold.on = true;
	prep_read(&r, 0, 4096, 0, SRP_TI_DIRECT, 1);
	r.c.lun = 2;
	rc_submit(l->ti_d2, &r);
	wait_held(l->env, 1);
	m = maps(l, false, true);
	assert_int_equal(srp_target_set_maps(l->env->t, m, 0, &eff), -EBUSY);
	assert_int_equal(eff.busy_cmds, 1);
	srp_maps_free(m);
	/* Refused means untouched: LUN 2 still works. */
	hold.on = false;
	expect_good(l, l->ti_d, 2);
	hold_release();
	rc_wait(l->env, &r);
	assert_int_equal(r.c.status, SAM_STAT_GOOD);
	/* Nothing in flight any more: the change goes through. */
	apply(l, false, 0, 1);
	assert_int_equal(tur(l, l->ti_d, 2, &asc), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(asc, SCSI_ASC_LU_NOT_SUPPORTED);
	assert_true(srp_ti_run_until(l->env->loop, lu_b_unused, l->lu_b, 5000));
	expect_no_relogin(l);
}

/* Forced: the command in flight is aborted, B stays open until it ends. */
static void test_unmap_forced(void **state)
{
	struct live *l = *state;
	struct rcmd r;
	uint16_t asc;
	uint64_t luns[4];

	apply(l, true, 0, 1);
	report_luns(l, l->ti_d, luns, 4);
	hold.on = true;
	prep_read(&r, 0, 4096, 0, SRP_TI_DIRECT, 1);
	r.c.lun = 2;
	rc_submit(l->ti_d, &r);
	wait_held(l->env, 1);
	apply(l, false, SRP_MAPS_FORCE, 1);
	/* New commands no longer reach B; the held one still pins it. */
	assert_int_equal(tur(l, l->ti_d2, 2, &asc), SAM_STAT_CHECK_CONDITION);
	assert_int_equal(asc, SCSI_ASC_LU_NOT_SUPPORTED);
	run_rounds(l->env, 20);
	assert_true(scsi_lu_in_use(l->lu_b));
	hold_release();
	assert_true(srp_ti_run_until(l->env->loop, lu_b_unused, l->lu_b, 5000));
	/* Aborted: no response (SAM-5 7.1), and the session goes on. */
	assert_int_equal(r.seq, 0);
	expect_ua_once(l, l->ti_d, 0, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	expect_no_relogin(l);
}

/* Unknown initiators lose the default map: only that session goes. */
static void test_access_lost(void **state)
{
	struct live *l = *state;
	struct srp_maps_effect eff;

	assert_int_equal(srp_target_set_maps(l->env->t, maps(l, false, false),
					     0, &eff),
			 0);
	assert_int_equal(eff.denied, 1);
	assert_int_equal(eff.changed, 0);
	assert_true(srp_env_channels_le(l->env, 1));
	assert_true(srp_ti_got_t_logout(l->ti_d));
	assert_false(srp_ti_got_t_logout(l->ti_g));
	expect_good(l, l->ti_g, 0);
}

int main(void)
{
	const struct CMUnitTest live_tests[] = {
		cmocka_unit_test_setup_teardown(test_map, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_resize, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_busy, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_unmap_forced, live_setup,
						live_teardown),
		cmocka_unit_test_setup_teardown(test_access_lost, live_setup,
						live_teardown),
	};

	return cmocka_run_group_tests(live_tests, NULL, NULL);
}
