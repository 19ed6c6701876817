/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The rbd engine's device keys (rbd_image, ceph_*): parsed into struct
 * config_device, dumped and reloaded unchanged, refused where they do not
 * belong, and "rbd" itself refused by a build without librbd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_text.h"
#include "srptd/version.h" /* SRPTD_HAVE_RBD */
#include "test_skip.h"

/* The body loaded from memory as "rbd.conf": errors, or NULL. */
static char *load(const char *body, struct config **cfg)
{
	return cfgt_load("rbd.conf", body, cfg);
}

static const char full[] =
	"devices = (\n"
	"  { name = \"c0\"; engine = \"rbd\"; rbd_image = \"rbd/img0\";\n"
	"    ceph_conf = \"/etc/ceph/test.conf\"; ceph_client = \"srptd\";\n"
	"    ceph_keyring = \"/etc/ceph/k\"; ceph_timeout = 7;\n"
	"    size = \"1M\"; },\n"
	"  { name = \"c1\"; engine = \"rbd\"; rbd_image = \"p/ns/img1\"; },\n"
	"  { name = \"f0\"; path = \"/tmp/x.img\"; }\n"
	");\n";

static void test_keys_parsed(void **state)
{
	const struct config_device *d;
	struct config *cfg;
	char *err;

	(void)state;
	if (!SRPTD_HAVE_RBD) {
		/* What a build without librbd answers instead. */
		err = load(full, &cfg);
		assert_non_null(err);
		assert_non_null(strstr(
			err, "engine \"rbd\" is not built into this srptd"));
		free(err);
		return;
	}
	err = load(full, &cfg);
	if (err)
		fprintf(stderr, "%s", err);
	assert_null(err);
	d = config_find_device(cfg, "c0");
	assert_non_null(d);
	assert_int_equal(d->engine, CONFIG_ENGINE_RBD);
	assert_string_equal(d->rbd_image, "rbd/img0");
	assert_string_equal(d->ceph_conf, "/etc/ceph/test.conf");
	assert_string_equal(d->ceph_client, "srptd");
	assert_string_equal(d->ceph_keyring, "/etc/ceph/k");
	assert_int_equal(d->ceph_timeout, 7);
	assert_int_equal(d->size, 1 << 20);
	/* No other engine can open an image. */
	assert_int_equal(d->n_fallback, 0);
	d = config_find_device(cfg, "c1");
	assert_non_null(d);
	assert_string_equal(d->rbd_image, "p/ns/img1");
	assert_string_equal(d->ceph_conf, "");
	assert_string_equal(d->ceph_client, "");
	assert_int_equal(d->ceph_timeout, 0);
	d = config_find_device(cfg, "f0");
	assert_non_null(d);
	assert_string_equal(d->rbd_image, "");
	config_free(cfg);
}

static void test_dump_roundtrip(void **state)
{
	struct config *a, *b = NULL;

	(void)state;
	if (!SRPTD_HAVE_RBD)
		SRPTD_SKIP("rbd engine not built (librbd-dev missing)");
	assert_null(load(full, &a));
	b = cfgt_reload_dump(a);
	assert_int_equal(b->n_devices, a->n_devices);
	for (unsigned int i = 0; i < a->n_devices; i++)
		assert_true(
			config_device_equal(&a->devices[i], &b->devices[i]));
	config_free(a);
	config_free(b);
}

static void test_errors(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "devices = ({ name = \"a\"; engine = \"rbd\"; });\n",
		  "device \"a\": engine \"rbd\" needs rbd_image" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\"; path = \"/x\";"
		  " rbd_image = \"p/i\"; });\n",
		  "device \"a\" path: engine \"rbd\" takes rbd_image" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\"; create = true;"
		  " size = \"1M\"; rbd_image = \"p/i\"; });\n",
		  "device \"a\" create: engine \"rbd\" creates no image" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\";"
		  " rbd_image = \"img\"; });\n",
		  "device \"a\" rbd_image: \"img\" is not pool/image or pool/namespace/image" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\";"
		  " rbd_image = \"p//i\"; });\n",
		  "\"p//i\" is not pool/image" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\";"
		  " rbd_image = \"a/b/c/d\"; });\n",
		  "\"a/b/c/d\" is not pool/image" },
		{ "devices = ({ name = \"a\"; path = \"/x\";"
		  " ceph_client = \"srptd\"; });\n",
		  "device \"a\" ceph_client: only for engine \"rbd\"" },
		{ "devices = ({ name = \"a\"; path = \"/x\";"
		  " rbd_image = \"p/i\"; });\n",
		  "device \"a\" rbd_image: only for engine \"rbd\"" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\";"
		  " rbd_image = \"p/i\"; ceph_timeout = 3601; });\n",
		  "ceph_timeout" },
		{ "devices = ({ name = \"a\"; engine = \"rbd\";"
		  " rbd_image = \"p/i\"; ceph_conf = \"ceph.conf\"; });\n",
		  "not an absolute path" },
		{ "backend_defaults: { fallback = [ \"rbd\" ]; };\n",
		  "\"rbd\" cannot be a fallback" },
	};
	struct config *cfg;
	char *err;

	(void)state;
	if (!SRPTD_HAVE_RBD)
		SRPTD_SKIP("rbd engine not built (librbd-dev missing)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = load(cases[i].body, &cfg);
		if (!err || !strstr(err, cases[i].want))
			fprintf(stderr, "case %zu: want \"%s\", got:\n%s", i,
				cases[i].want, err ? err : "(no error)\n");
		assert_non_null(err);
		assert_non_null(strstr(err, cases[i].want));
		assert_null(cfg);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_parsed),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_errors),
	};

	return srptd_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}
