/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * IB/CM login strings (src/fabric/ib_login.c) from a sysfs tree of our
 * own: which ports count, what is read from them, the exact string.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric/ib_login.h"

static char g_root[64];

static void mkdirs(const char *rel)
{
	char path[256], *p;

	snprintf(path, sizeof(path), "%s/%s", g_root, rel);
	for (p = path + strlen(g_root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", g_root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A port as sysfs shows it (values end in a newline there). */
static void port(const char *dev, int n, const char *ll, const char *gid,
		 const char *pkey)
{
	char d[128], f[160];

	snprintf(d, sizeof(d), "%s/ports/%d/gids", dev, n);
	mkdirs(d);
	snprintf(d, sizeof(d), "%s/ports/%d/pkeys", dev, n);
	mkdirs(d);
	snprintf(f, sizeof(f), "%s/ports/%d/link_layer", dev, n);
	put(f, ll);
	if (gid) {
		snprintf(f, sizeof(f), "%s/ports/%d/gids/0", dev, n);
		put(f, gid);
	}
	if (pkey) {
		snprintf(f, sizeof(f), "%s/ports/%d/pkeys/0", dev, n);
		put(f, pkey);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_root, sizeof(g_root), "/tmp/srptd-ib-login-XXXXXX");
	assert_non_null(mkdtemp(g_root));
	port("mlx5_0", 1, "InfiniBand\n",
	     "fe80:0000:0000:0000:0002:c903:00a0:b1c3\n", "0xffff\n");
	port("mlx5_0", 2, "Ethernet\n",
	     "fe80:0000:0000:0000:0202:c9ff:fea0:b1c4\n", "0xffff\n");
	port("mlx5_0", 3, "InfiniBand\n", NULL, "0xffff\n"); /* no GID */
	port("mlx5_0", 4, "InfiniBand\n",
	     "fe80:0000:0000:0000:0002:c903:00a0:b1c5\n", "0x7fff\n");
	port("mlx5_0", 5, "InfiniBand\n", "fe80::1\n", "0xffff\n");
	port("rxe0", 1, "Ethernet\n",
	     "fe80:0000:0000:0000:0053:52ff:fe50:0001\n", "0xffff\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g_root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_ports(void **state)
{
	struct fabric_ib_port p[8];
	static const uint8_t gid1[16] = { 0xfe, 0x80, 0,    0,	  0,	0,
					  0,	0,    0x00, 0x02, 0xc9, 0x03,
					  0x00, 0xa0, 0xb1, 0xc3 };

	(void)state;
	/* InfiniBand ports with a readable GID 0 and P_Key 0 only. */
	assert_int_equal(fabric_ib_ports(g_root, "mlx5_0", p, 8), 2);
	assert_int_equal(p[0].port, 1);
	assert_memory_equal(p[0].gid, gid1, 16);
	assert_int_equal(p[0].pkey, 0xffff);
	assert_int_equal(p[1].port, 4);
	assert_int_equal(p[1].pkey, 0x7fff);
	/* At most max. */
	assert_int_equal(fabric_ib_ports(g_root, "mlx5_0", p, 1), 1);
	/* RoCE: none. */
	assert_int_equal(fabric_ib_ports(g_root, "rxe0", p, 8), 0);
	assert_int_equal(fabric_ib_ports(g_root, "mlx4_9", p, 8), -ENOENT);
}

static void test_string(void **state)
{
	struct fabric_ib_port p[8];
	char buf[FABRIC_IB_LOGIN_LEN];

	(void)state;
	assert_int_equal(fabric_ib_ports(g_root, "mlx5_0", p, 8), 2);
	fabric_ib_login_string(buf, sizeof(buf), 0x0002c90300a0b1c2ULL,
			       0x0002c90300a0b1c2ULL, &p[0], 0x13f1388);
	assert_string_equal(
		buf,
		"id_ext=0002c90300a0b1c2,ioc_guid=0002c90300a0b1c2,dgid=fe800000000000000002c90300a0b1c3,pkey=ffff,service_id=00000000013f1388");
	assert_true(strlen(buf) < FABRIC_IB_LOGIN_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_string),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
