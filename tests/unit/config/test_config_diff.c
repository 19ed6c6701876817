/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The reload diff against the key table (src/config/keys.c): for every key
 * of every section, two default configs compare equal and changing that
 * key's value makes them differ; config_restart_changes() reports a
 * top-level key exactly when its reload policy is "restart", under the
 * key's path; config_device_equal() sees every device key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"

/* A zeroed object of every section, big enough for any of them. */
union entry {
	struct config cfg;
	struct config_device dev;
	struct config_target tgt;
	struct config_group grp;
	struct config_lun lun;
};

static void init(const struct cfg_section *sec, union entry *e,
		 const struct config *cfg)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(cfg_keys_default(sec, e, cfg), 0);
}

static void release(union entry *e, bool top)
{
	if (top) {
		free(e->cfg.fabric.ports);
		free(e->cfg.fabric.listen);
	} else {
		free(e->tgt.ports);
	}
}

/*
 * Change key k of base to a value different from the default.  Returns
 * false for the lists, which their owners compare (daemon.c, devices.c).
 */
static bool change(const struct cfg_key *k, void *base)
{
	unsigned char *p = cfg_key_ptr(k, base);
	unsigned int *n = (unsigned int *)((char *)base + k->off_n);

	switch (k->type) {
	case CFG_T_LIST:
	case CFG_T_LUN_MAP:
	case CFG_T_GIDS:
		return false;
	case CFG_T_PORTS:
		(*(char(**)[64])p)[0][0] ^= 1;
		return true;
	case CFG_T_LISTEN:
		(*(struct config_listen **)p)[0].port++;
		return true;
	case CFG_T_FALLBACK:
		*n = *n ? *n - 1 : 1;
		return true;
	case CFG_T_GUID:
		*(bool *)n = !*(bool *)n;
		return true;
	case CFG_T_ALUA_PEERS:
		((struct config_alua *)p)->n_peers++;
		return true;
	default: /* numbers, booleans, enums, strings: the first byte */
		p[0] ^= 1;
		return true;
	}
}

static void collect(void *arg, const char *key)
{
	char *buf = arg;

	strcat(buf, key);
	strcat(buf, " ");
}

static void check_section(const struct cfg_section *sec, bool top)
{
	static union entry a, b, defaults;
	unsigned int changed = 0;

	/* Device keys inherit the top level's backend_defaults. */
	init(&cfg_top, &defaults, NULL);
	for (unsigned int i = 0; i < sec->n_keys; i++) {
		const struct cfg_key *k = &sec->keys[i];
		char keys[256] = "", want[256] = "";

		init(sec, &a, &defaults.cfg);
		init(sec, &b, &defaults.cfg);
		assert_true(cfg_key_equal(k, &a, &b));
		if (!change(k, &b)) {
			release(&a, top);
			release(&b, top);
			continue;
		}
		changed++;
		if (cfg_key_equal(k, &a, &b))
			fprintf(stderr, "key %s: a change is not seen\n",
				k->path);
		assert_false(cfg_key_equal(k, &a, &b));
		if (top) {
			if (k->reload == CFG_RELOAD_RESTART)
				snprintf(want, sizeof(want), "%s ", k->path);
			config_restart_changes(&a.cfg, &b.cfg, collect, keys);
			assert_string_equal(keys, want);
		}
		if (sec == &cfg_devices)
			assert_false(config_device_equal(&a.dev, &b.dev));
		release(&a, top);
		release(&b, top);
	}
	release(&defaults, true);
	assert_true(changed > 0);
}

static void test_top(void **state)
{
	(void)state;
	check_section(&cfg_top, true);
}

static void test_entries(void **state)
{
	(void)state;
	check_section(&cfg_devices, false);
	check_section(&cfg_targets, false);
	check_section(&cfg_groups, false);
	check_section(&cfg_lun_entries, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
