/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent's table from the configuration (src/daemon_dm_table.c):
 * identities with "auto" and fixed id_ext / ioc_guid per device, empty
 * slots for targets that do not run, targets.ports, the caps, table
 * comparison, and the device list taken from the MAD stack alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "config/config.h"
#include "daemon_dm_table.h"

#define GUID_A 0x0002c90300a0b1c0ULL
#define GUID_B 0x0002c90300a0b1d0ULL
#define SID 0x00000000013f1388ULL

static char g_all[1][64] = { "*" };
static char g_b2[1][64] = { "mlx5_1:2" };
static struct config_target g_targets[3];
static struct config g_cfg;

/*
 * tgt0: id_ext and ioc_guid "auto", every port; tgt1: fixed identity,
 * port 2 of mlx5_1 only; tgt2: fixed id_ext, ioc_guid "auto".
 */
static int setup(void **state)
{
	(void)state;
	memset(g_targets, 0, sizeof(g_targets));
	memset(&g_cfg, 0, sizeof(g_cfg));
	g_targets[0].id_ext_auto = true;
	g_targets[0].ioc_guid_auto = true;
	g_targets[0].n_ports = 1;
	g_targets[0].ports = g_all;
	g_targets[1].id_ext = 0x5e1f0000000000aaULL;
	g_targets[1].ioc_guid = 0x5e1f0000000000bbULL;
	g_targets[1].n_ports = 1;
	g_targets[1].ports = g_b2;
	g_targets[2].id_ext = 0x5e1f0000000000ccULL;
	g_targets[2].ioc_guid_auto = true;
	g_targets[2].n_ports = 1;
	g_targets[2].ports = g_all;
	g_cfg.n_targets = 3;
	g_cfg.targets = g_targets;
	g_cfg.fabric.queue_depth = 128;
	g_cfg.fabric.max_req_size = 8276;
	g_cfg.fabric.max_rdma_size = 1 << 20;
	snprintf(g_cfg.fabric.dm_id_string, sizeof(g_cfg.fabric.dm_id_string),
		 "srptd test");
	return 0;
}

static const struct daemon_dm_dev g_devs[2] = {
	{ .name = "mlx5_0", .node_guid = GUID_A },
	{ .name = "mlx5_1", .node_guid = GUID_B },
};

static void assert_slot(const struct dm_ioc *s, uint64_t id_ext, uint64_t guid,
			uint64_t ports)
{
	assert_int_equal(s->id_ext, id_ext);
	assert_int_equal(s->guid, guid);
	assert_int_equal(s->service_id, SID);
	assert_int_equal(s->ports, ports);
}

static const struct dm_ioc g_empty;

/* Every configured target, on both devices: what runs without verbs. */
static void test_all_present(void **state)
{
	struct daemon_dm_table t;

	(void)state;
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &t),
			 0);
	assert_int_equal(t.t.n_devs, 2);
	assert_ptr_equal(t.t.devs, t.devs);
	assert_string_equal(t.devs[0].name, "mlx5_0");
	assert_string_equal(t.devs[1].name, "mlx5_1");
	for (unsigned int d = 0; d < 2; d++) {
		const struct dm_ioc *s = t.devs[d].slots;
		uint64_t own = g_devs[d].node_guid;

		assert_int_equal(t.devs[d].n_slots, 3);
		/* "auto" id_ext: the first HCA's GUID on both devices;
		 * "auto" ioc_guid: the device's own. */
		assert_slot(&s[0], GUID_A, own, ~0ull);
		assert_slot(&s[1], 0x5e1f0000000000aaULL, 0x5e1f0000000000bbULL,
			    d ? 2 : 0);
		assert_slot(&s[2], 0x5e1f0000000000ccULL, own, ~0ull);
	}
	assert_int_equal(t.t.caps.send_queue_depth, 128);
	assert_true(t.t.caps.rdma_read_depth > 0);
	assert_int_equal(t.t.caps.send_size, 8276);
	assert_int_equal(t.t.caps.rdma_size, 1 << 20);
	assert_string_equal(t.t.caps.id_string, "srptd test");
	daemon_dm_table_free(&t);
	assert_null(t.devs);
	assert_null(t.slots);
}

static bool not_tgt1(const void *ctx, unsigned int i)
{
	assert_ptr_equal(ctx, &g_cfg);
	return i != 1;
}

/* A target that does not run keeps its slot, empty. */
static void test_not_running_empty(void **state)
{
	struct daemon_dm_table t;

	(void)state;
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 1, GUID_A, SID,
					       not_tgt1, &g_cfg, &t),
			 0);
	assert_int_equal(t.t.n_devs, 1);
	assert_int_equal(t.devs[0].n_slots, 3);
	assert_slot(&t.devs[0].slots[0], GUID_A, GUID_A, ~0ull);
	assert_memory_equal(&t.devs[0].slots[1], &g_empty, sizeof(g_empty));
	assert_slot(&t.devs[0].slots[2], 0x5e1f0000000000ccULL, GUID_A, ~0ull);
	daemon_dm_table_free(&t);
}

/* No device, no target: an empty table, still allocated. */
static void test_empty(void **state)
{
	struct daemon_dm_table t;

	(void)state;
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 0, 0, SID, NULL,
					       NULL, &t),
			 0);
	assert_int_equal(t.t.n_devs, 0);
	daemon_dm_table_free(&t);
	g_cfg.n_targets = 0;
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &t),
			 0);
	assert_int_equal(t.t.n_devs, 2);
	assert_int_equal(t.devs[0].n_slots, 0);
	assert_int_equal(t.devs[1].n_slots, 0);
	daemon_dm_table_free(&t);
}

/* What makes two tables differ: a slot, a device, the caps. */
static void test_equal(void **state)
{
	struct daemon_dm_table a, b;

	(void)state;
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &a),
			 0);
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &b),
			 0);
	assert_true(daemon_dm_table_equal(&a, &b));
	daemon_dm_table_free(&b);

	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       not_tgt1, &g_cfg, &b),
			 0);
	assert_false(daemon_dm_table_equal(&a, &b));
	daemon_dm_table_free(&b);

	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 1, GUID_A, SID,
					       NULL, NULL, &b),
			 0);
	assert_false(daemon_dm_table_equal(&a, &b));
	daemon_dm_table_free(&b);

	g_cfg.n_targets = 2; /* a target removed by a reload */
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &b),
			 0);
	assert_false(daemon_dm_table_equal(&a, &b));
	daemon_dm_table_free(&b);
	g_cfg.n_targets = 3;

	snprintf(g_cfg.fabric.dm_id_string, sizeof(g_cfg.fabric.dm_id_string),
		 "other");
	assert_int_equal(daemon_dm_table_build(&g_cfg, g_devs, 2, GUID_A, SID,
					       NULL, NULL, &b),
			 0);
	assert_false(daemon_dm_table_equal(&a, &b));
	daemon_dm_table_free(&b);
	daemon_dm_table_free(&a);
}

/* A MAD stack of three devices; "gone0" vanishes after the listing. */
static int g_list_ret;

static int fake_list(char (*names)[64], unsigned int max)
{
	static const char *const n[] = { "gone0", "simt0", "simt1" };

	if (g_list_ret)
		return g_list_ret;
	assert_true(max >= 3);
	for (unsigned int i = 0; i < 3; i++)
		snprintf(names[i], 64, "%s", n[i]);
	return 3;
}

static int fake_query(const char *dev, struct dm_dev_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!strcmp(dev, "gone0"))
		return -ENODEV;
	out->node_guid = !strcmp(dev, "simt0") ? GUID_A : GUID_B;
	out->n_ports = 1;
	out->mad_ports = out->ib_ports = 1;
	return 0;
}

static const struct dm_transport_ops g_mad_ops = {
	.name = "fake",
	.dev_list = fake_list,
	.dev_query = fake_query,
};

/* Without verbs: the devices and the first GUID from the MAD stack. */
static void test_mad_devices(void **state)
{
	struct daemon_dm_dev devs[DAEMON_DM_MAX_DEVS];
	uint64_t first = 1;

	(void)state;
	g_list_ret = 0;
	assert_int_equal(daemon_dm_mad_devices(&g_mad_ops, devs,
					       DAEMON_DM_MAX_DEVS, &first),
			 2);
	assert_string_equal(devs[0].name, "simt0");
	assert_int_equal(devs[0].node_guid, GUID_A);
	assert_string_equal(devs[1].name, "simt1");
	assert_int_equal(devs[1].node_guid, GUID_B);
	assert_int_equal(first, GUID_A);

	/* At most max devices. */
	assert_int_equal(daemon_dm_mad_devices(&g_mad_ops, devs, 1, &first), 1);
	assert_string_equal(devs[0].name, "simt0");

	g_list_ret = -ENOENT; /* no MAD stack at all */
	assert_int_equal(daemon_dm_mad_devices(&g_mad_ops, devs,
					       DAEMON_DM_MAX_DEVS, &first),
			 -ENOENT);
	assert_int_equal(first, 0);
	g_list_ret = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_present, setup),
		cmocka_unit_test_setup(test_not_running_empty, setup),
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup(test_equal, setup),
		cmocka_unit_test_setup(test_mad_devices, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
