/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Target port identity on several HCAs (doc/srp-protocol.md 2): over the
 * loopback fabric with a second simulated device, a target with ioc_guid
 * "auto" answers on each HCA to (id_ext, that HCA's node GUID) and to
 * (id_ext, the canonical GUID); an explicit ioc_guid is the same on every
 * HCA; a foreign GUID is rejected; the two ids of one target are two
 * I_T nexuses.  Also srp_target_port_ids() itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srp_env.h"

#define DEV1_GUID 0x0002c9030000f111ULL /* the second simulated HCA */
#define FOREIGN_GUID 0x0002c9030000f222ULL /* no HCA of this fabric */
#define AUTO_ID_EXT 0x5352505444564d31ULL

struct md_env {
	struct srp_env env;
	unsigned int dev1; /* loopback device index of "loop1" */
	struct srp_target *t_auto; /* ioc_guid "auto" */
};

static int setup(void **state)
{
	struct md_env *m = calloc(1, sizeof(*m));
	struct srp_engine_params ep;
	struct srptd_bdev_params bp = { 0 };
	const struct srptd_backend_ops *used;
	struct srp_target_params tp = { 0 };
	struct scsi_lun_entry view = { 0 };

	assert_non_null(m);
	srp_engine_params_default(&ep);
	ep.chunk_size = 64 * 1024;
	ep.chunks = 32;
	srp_env_start(&m->env, &ep, 1024);
	assert_int_equal(fabric_loop_add_device(m->env.f, "loop1", DEV1_GUID,
						&m->dev1),
			 0);
	bp.name = "md";
	bp.size = DEV_SIZE;
	bp.block_size = 512;
	assert_int_equal(
		srptd_backend_open(&m->env.bdev, "null", NULL, &bp, &used), 0);
	/* t1: explicit id_ext ID_EXT, ioc_guid IOC_GUID. */
	srp_env_export(&m->env, "MULTIDEV", false);
	/* t2: what the daemon makes of ioc_guid = "auto" (daemon_srp.c). */
	tp.name = "t2";
	tp.id_ext = AUTO_ID_EXT;
	tp.ioc_guid = FABRIC_LOOP_DEV0_GUID;
	tp.ioc_guid_per_hca = true;
	tp.unknown_default_map = true;
	assert_int_equal(srp_target_create(m->env.e, &tp, &m->t_auto), 0);
	view.lu = m->env.lu;
	assert_int_equal(srp_target_set_luns(m->t_auto, &view, 1), 0);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct md_env *m = *state;

	srp_env_stop(&m->env);
	srptd_backend_close(&m->env.bdev);
	loop_destroy(m->env.loop);
	free(m);
	return 0;
}

/*
 * Log initiator ini in to (id_ext, ioc_guid) through device dev into
 * slot idx; a rejected login is freed (slot reused) and its reason
 * returned, an accepted one stays and 0 is returned.
 */
static uint32_t md_login(struct md_env *m, int idx, unsigned int dev,
			 uint8_t ini, uint64_t id_ext, uint64_t ioc_guid)
{
	struct srp_ti_params p;
	struct srp_ti *ti;
	uint32_t reason;

	srp_env_ti_params(&p, ini, MIB);
	srp_target_port_id(id_ext, ioc_guid, p.target_port_id);
	p.device = dev;
	p.rdma_cm_format = true;
	ti = srp_env_login(&m->env, idx, &p);
	if (srp_ti_state(ti) == SRP_TI_LOGGED_IN)
		return 0;
	assert_int_equal(srp_ti_state(ti), SRP_TI_REJECTED);
	reason = srp_ti_reject_reason(ti);
	srp_ti_destroy(ti);
	m->env.ti[idx] = NULL;
	return reason;
}

/*
 * TEST UNIT READY on LUN 0 through an accepted login: GOOD, after the
 * unit attention a new I_T nexus reports first (SAM-5, unit attention
 * conditions).
 */
static void md_tur(struct md_env *m, int idx)
{
	struct srp_ti_cmd c = { 0 };

	srp_env_run_cmd(&m->env, m->env.ti[idx], &c);
	if (c.status == 0x02) {
		assert_true(c.sense_len >= 13);
		assert_int_equal(c.sense[2] & 0x0f, 0x06); /* UNIT ATTENTION */
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(&m->env, m->env.ti[idx], &c);
	}
	assert_int_equal(c.status, 0);
}

static void test_auto_own_hca_guid(void **state)
{
	struct md_env *m = *state;
	struct srp_engine_stats st;

	/* What ib_srpt and srp_daemon use: the HCA's own node GUID. */
	assert_int_equal(md_login(m, 0, m->dev1, 1, AUTO_ID_EXT, DEV1_GUID), 0);
	md_tur(m, 0);
	assert_int_equal(
		md_login(m, 1, 0, 2, AUTO_ID_EXT, FABRIC_LOOP_DEV0_GUID), 0);
	md_tur(m, 1);
	srp_engine_get_stats(m->env.e, &st);
	assert_int_equal(st.logins_accepted, 2);
	assert_int_equal(st.nexuses, 2);
}

static void test_auto_canonical_guid_on_every_hca(void **state)
{
	struct md_env *m = *state;

	/* Existing setups name the first HCA's GUID on every HCA. */
	assert_int_equal(md_login(m, 0, m->dev1, 1, AUTO_ID_EXT,
				  FABRIC_LOOP_DEV0_GUID),
			 0);
	md_tur(m, 0);
}

static void test_auto_foreign_guid_rejected(void **state)
{
	struct md_env *m = *state;
	struct srp_engine_stats st;

	assert_int_equal(md_login(m, 0, m->dev1, 1, AUTO_ID_EXT, FOREIGN_GUID),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	/* Another HCA's GUID is foreign here: it names that HCA. */
	assert_int_equal(md_login(m, 0, 0, 1, AUTO_ID_EXT, DEV1_GUID),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	/* The id_ext half is not per HCA. */
	assert_int_equal(md_login(m, 0, m->dev1, 1, DEV1_GUID, DEV1_GUID),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	srp_engine_get_stats(m->env.e, &st);
	assert_int_equal(st.logins_accepted, 0);
	assert_int_equal(st.logins_rejected, 3);
}

static void test_explicit_guid_same_on_every_hca(void **state)
{
	struct md_env *m = *state;

	assert_int_equal(md_login(m, 0, 0, 1, ID_EXT, IOC_GUID), 0);
	assert_int_equal(md_login(m, 1, m->dev1, 2, ID_EXT, IOC_GUID), 0);
	md_tur(m, 1);
	/* An explicit ioc_guid does not follow the HCA. */
	assert_int_equal(md_login(m, 2, m->dev1, 3, ID_EXT, DEV1_GUID),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	assert_int_equal(md_login(m, 2, 0, 3, ID_EXT, FABRIC_LOOP_DEV0_GUID),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
}

static void test_two_ids_two_nexuses(void **state)
{
	struct md_env *m = *state;
	struct srp_engine_stats st;

	/*
	 * The same initiator port through the same HCA under both ids of
	 * the target: two I_T nexuses, and SINGLE on one leaves the other
	 * alone (the nexus is keyed by the 16 bytes sent).
	 */
	assert_int_equal(md_login(m, 0, m->dev1, 1, AUTO_ID_EXT, DEV1_GUID), 0);
	assert_int_equal(md_login(m, 1, m->dev1, 1, AUTO_ID_EXT,
				  FABRIC_LOOP_DEV0_GUID),
			 0);
	srp_engine_get_stats(m->env.e, &st);
	assert_int_equal(st.nexuses, 2);
	assert_int_equal(st.channels, 2);
	assert_int_equal(srp_ti_state(m->env.ti[0]), SRP_TI_LOGGED_IN);
	md_tur(m, 0);
	md_tur(m, 1);
}

/* A target with ports selectors: what a login through each HCA reaches. */
static struct srp_target *md_target_on(struct md_env *m, const char *name,
				       uint64_t id, const char *sel,
				       bool with_lun0)
{
	struct srp_target_params tp = { 0 };
	struct scsi_lun_entry view = { 0 };
	struct srp_target *t;
	char ports[1][64];

	snprintf(ports[0], sizeof(ports[0]), "%s", sel);
	tp.name = name;
	tp.id_ext = id;
	tp.ioc_guid = id;
	tp.ports = (const char(*)[64])ports;
	tp.n_ports = 1;
	tp.unknown_default_map = true;
	assert_int_equal(srp_target_create(m->env.e, &tp, &t), 0);
	view.lu = m->env.lu;
	if (with_lun0)
		assert_int_equal(srp_target_set_luns(t, &view, 1), 0);
	return t;
}

static void test_target_ports(void **state)
{
	struct md_env *m = *state;
	struct fabric_port_ref via = { .dev_name = "loop1", .port = 1 };
	struct srp_target *t;
	struct srp_ti_cmd c = { 0 };

	/* Reachable on loop1 only (srptd.conf(5) targets.ports). */
	t = md_target_on(m, "only1", 0x1111, "loop1:1", true);
	assert_true(srp_target_on_port(t, &via));
	via.port = 2;
	assert_false(srp_target_on_port(t, &via));
	assert_false(srp_target_on_port(t, NULL));
	assert_true(srp_target_on_port(m->env.t, NULL)); /* no selectors */
	assert_int_equal(md_login(m, 0, 0, 1, 0x1111, 0x1111),
			 SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL);
	assert_int_equal(md_login(m, 0, m->dev1, 1, 0x1111, 0x1111), 0);
	md_tur(m, 0);
	/*
	 * One id on two targets with disjoint ports (allowed by the config
	 * check): each HCA reaches its own target.  "on0" exports no LUN,
	 * so a TEST UNIT READY through it fails; "on1" exports LUN 0.
	 */
	md_target_on(m, "on0", 0x2222, "loop0", false);
	md_target_on(m, "on1", 0x2222, "loop1", true);
	assert_int_equal(md_login(m, 1, m->dev1, 2, 0x2222, 0x2222), 0);
	md_tur(m, 1);
	assert_int_equal(md_login(m, 2, 0, 3, 0x2222, 0x2222), 0);
	srp_env_run_cmd(&m->env, m->env.ti[2], &c);
	if (c.status == 0x02 && (c.sense[2] & 0x0f) == 0x06) {
		memset(&c, 0, sizeof(c));
		srp_env_run_cmd(&m->env, m->env.ti[2], &c);
	}
	assert_int_equal(c.status, 0x02); /* LUN 0 not on "on0" */
}

static void test_port_ids(void **state)
{
	struct md_env *m = *state;
	struct fabric_port_ref via = { .dev_name = "loop1", .port = 1 };
	uint8_t ids[SRP_TARGET_MAX_PORT_IDS][16], want[16];

	via.node_guid = DEV1_GUID;
	assert_int_equal(srp_target_port_ids(m->t_auto, &via, ids), 2);
	srp_target_port_id(AUTO_ID_EXT, DEV1_GUID, want);
	assert_memory_equal(ids[0], want, 16);
	srp_target_port_id(AUTO_ID_EXT, FABRIC_LOOP_DEV0_GUID, want);
	assert_memory_equal(ids[1], want, 16);
	/* On the canonical HCA both are the same id: listed once. */
	via.node_guid = FABRIC_LOOP_DEV0_GUID;
	assert_int_equal(srp_target_port_ids(m->t_auto, &via, ids), 1);
	assert_memory_equal(ids[0], want, 16);
	/* Unknown HCA: the canonical id only. */
	assert_int_equal(srp_target_port_ids(m->t_auto, NULL, ids), 1);
	via.node_guid = 0;
	assert_int_equal(srp_target_port_ids(m->t_auto, &via, ids), 1);
	/* Explicit ioc_guid: one id whatever the HCA. */
	via.node_guid = DEV1_GUID;
	assert_int_equal(srp_target_port_ids(m->env.t, &via, ids), 1);
	srp_target_port_id(ID_EXT, IOC_GUID, want);
	assert_memory_equal(ids[0], want, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_own_hca_guid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_auto_canonical_guid_on_every_hca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_foreign_guid_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_explicit_guid_same_on_every_hca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_ids_two_nexuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_ports, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
