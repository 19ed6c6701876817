/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * config_clone() (src/config/clone.c), what runtime changes build the next
 * config from: the copy dumps exactly like the original, shares no memory
 * with it (changing or freeing one leaves the other intact; ASan checks
 * the frees), and config_device_defaults() gives a device the loader's
 * defaults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config_text.h"

static const char conf[] =
	"version = 1;\n"
	"daemon: { include_dir = \"\"; };\n"
	"fabric: { ports = [ \"*\" ]; rdma_cm: { listen = [ \"0.0.0.0:5000\", \"[::]:5001\" ]; }; };\n"
	"devices = ( { name = \"n0\"; engine = \"null\"; size = \"1G\"; },\n"
	"            { name = \"n1\"; engine = \"null\"; size = \"2G\"; read_only = true; } );\n"
	"targets = ( { name = \"t0\"; id_ext = \"0x0002c90300a1b2c3\";\n"
	"    ioc_guid = \"0x0002c90300a1b2c3\"; ports = [ \"*\" ];\n"
	"    lun_map = ( { lun = 0; device = \"n0\"; }, { lun = 1; device = \"n1\"; } );\n"
	"    groups = ( { name = \"g\";\n"
	"        initiators = [ \"fe80:0000:0000:0000:0002:c903:000f:1367\" ];\n"
	"        lun_map = ( { lun = 5; device = \"n1\"; } ); } ); } );\n";

static struct config *load(void)
{
	char path[] = "/tmp/srptd-clone-XXXXXX";
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, conf, sizeof(conf) - 1),
			 (ssize_t)sizeof(conf) - 1);
	close(fd);
	assert_int_equal(config_load(path, "", &cfg, &errs), 0);
	unlink(path);
	return cfg;
}

static void test_clone_equal_and_separate(void **state)
{
	struct config *a = load(), *b = NULL;
	char *da, *db, *da2;

	(void)state;
	assert_int_equal(config_clone(a, &b), 0);
	da = cfgt_dump(a);
	db = cfgt_dump(b);
	assert_string_equal(da, db);
	/* Separate memory: change the copy's maps and names. */
	assert_ptr_not_equal(a->targets[0].luns, b->targets[0].luns);
	assert_ptr_not_equal(a->targets[0].groups[0].initiators,
			     b->targets[0].groups[0].initiators);
	b->targets[0].luns[0].lun = 7;
	b->targets[0].groups[0].luns[0].lun = 9;
	b->targets[0].ports[0][0] = 'x';
	b->fabric.listen[0].port = 1;
	da2 = cfgt_dump(a);
	assert_string_equal(da, da2);
	config_free(b);
	/* The original is whole after the copy is gone. */
	free(da2);
	da2 = cfgt_dump(a);
	assert_string_equal(da, da2);
	free(da);
	free(db);
	free(da2);
	config_free(a);
}

static void test_device_defaults(void **state)
{
	struct config *a = load();
	struct config_device d;

	(void)state;
	assert_int_equal(config_device_defaults(a, &d), 0);
	/* The same defaults the loader gave n0 (which sets engine/size). */
	assert_int_equal(d.write_cache, a->devices[0].write_cache);
	assert_string_equal(d.vendor, a->devices[0].vendor);
	assert_string_equal(d.product, a->devices[0].product);
	assert_false(d.read_only);
	config_free(a);
}

int main(void)
{
	const struct CMUnitTest clone_tests[] = {
		cmocka_unit_test(test_clone_equal_and_separate),
		cmocka_unit_test(test_device_defaults),
	};

	return cmocka_run_group_tests(clone_tests, NULL, NULL);
}
