/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The alua section and targets' relative_port_id (srptd.conf(5) ALUA,
 * doc/ha.md): parsed, defaulted, dumped and read back equal, and every bad
 * value reported as file:line: message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_text.h"

/* The body loaded from memory as "alua.conf": errors, or NULL. */
static char *load(const char *body, struct config **cfg)
{
	return cfgt_load("alua.conf", body, cfg);
}

static const char two_targets[] =
	"devices = ({ name = \"d\"; engine = \"null\"; size = \"1M\"; });\n"
	"targets = (\n"
	"  { name = \"a\"; id_ext = \"0x0000000000000001\"; relative_port_id = 3;\n"
	"    unknown_initiators = \"default-map\";\n"
	"    lun_map = ({ lun = 0; device = \"d\"; }); },\n"
	"  { name = \"b\"; id_ext = \"0x0000000000000002\"; }\n"
	");\n";

static void test_defaults(void **state)
{
	struct config *cfg;

	(void)state;
	assert_null(load(two_targets, &cfg));
	assert_int_equal(cfg->alua.group_id, 1);
	assert_int_equal(cfg->alua.state, CONFIG_ALUA_ACTIVE_OPTIMIZED);
	assert_int_equal(cfg->alua.n_peers, 0);
	/* An explicit id, and the position in the file for the other. */
	assert_int_equal(config_target_rtpi(cfg, 0), 3);
	assert_int_equal(config_target_rtpi(cfg, 1), 2);
	config_free(cfg);
}

static const char full[] =
	"alua: {\n"
	"  group_id = 7;\n"
	"  state = \"standby\";\n"
	"  peer_groups = (\n"
	"    { id = 8; relative_port_ids = [ 10, 11 ]; },\n"
	"    { id = 9; state = \"unavailable\"; relative_port_ids = [ 12 ]; }\n"
	"  );\n"
	"};\n";

static void test_parsed_and_dumped(void **state)
{
	struct config *a, *b = NULL;

	(void)state;
	assert_null(load(full, &a));
	assert_int_equal(a->alua.group_id, 7);
	assert_int_equal(a->alua.state, CONFIG_ALUA_STANDBY);
	assert_int_equal(a->alua.n_peers, 2);
	assert_int_equal(a->alua.peers[0].id, 8);
	/* A partner's state defaults to active/non-optimized. */
	assert_int_equal(a->alua.peers[0].state,
			 CONFIG_ALUA_ACTIVE_NON_OPTIMIZED);
	assert_int_equal(a->alua.peers[0].n_ports, 2);
	assert_int_equal(a->alua.peers[0].ports[1], 11);
	assert_int_equal(a->alua.peers[1].state, CONFIG_ALUA_UNAVAILABLE);
	assert_string_equal(config_alua_state_name(a->alua.state), "standby");

	b = cfgt_reload_dump(a);
	assert_int_equal(b->alua.group_id, 7);
	assert_int_equal(b->alua.state, CONFIG_ALUA_STANDBY);
	assert_int_equal(b->alua.n_peers, 2);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(b->alua.peers[i].id, a->alua.peers[i].id);
		assert_int_equal(b->alua.peers[i].state,
				 a->alua.peers[i].state);
		assert_int_equal(b->alua.peers[i].n_ports,
				 a->alua.peers[i].n_ports);
		assert_memory_equal(
			b->alua.peers[i].ports, a->alua.peers[i].ports,
			a->alua.peers[i].n_ports * sizeof(uint16_t));
	}
	/* Reload sees no change (the file and line of a group aside). */
	assert_int_equal(config_restart_changes(a, b, NULL, NULL), 0);
	config_free(a);
	config_free(b);
}

/* Every error names the file and the line of the bad setting. */
static void test_errors(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "alua: { state = \"active\"; };\n",
		  ".conf:2: alua.state: unknown state \"active\"" },
		{ "alua: { group_id = 0; };\n", ".conf:2: alua.group_id" },
		{ "alua: {\n group_id = 65536; };\n",
		  ".conf:3: alua.group_id" },
		{ "alua: { peer_groups = (\n { relative_port_ids = [ 2 ]; }\n"
		  "); };\n",
		  ".conf:3: alua.peer_groups #1: missing \"id\"" },
		{ "alua: { peer_groups = (\n { id = 2; }); };\n",
		  ".conf:3: alua.peer_groups #1: missing \"relative_port_ids\"" },
		{ "alua: { peer_groups = ({ id = 2;\n relative_port_ids = [ ];"
		  " }); };\n",
		  ".conf:3: alua.peer_groups #1 relative_port_ids: 0 ids" },
		{ "alua: { peer_groups = ({ id = 2;\n relative_port_ids = [ 0 ];"
		  " }); };\n",
		  ".conf:3: alua.peer_groups #1 relative_port_ids" },
		{ "alua: { peer_groups = ({ id = 2; relative_port_ids = [ 2 ];\n"
		  " state = \"on\"; }); };\n",
		  ".conf:3: alua.peer_groups #1 state: unknown state \"on\"" },
		{ "alua: { peer_groups = ({ id = 2; relative_port_ids = [ 2 ];\n"
		  " port = 1; }); };\n",
		  ".conf:3: unknown setting \"port\" in alua.peer_groups #1" },
		{ "alua: { peer_groups = (\n{ id = 1; relative_port_ids = [ 2 ];"
		  " }); };\n",
		  ".conf:3: alua.peer_groups: id 1 is this srptd's own alua.group_id" },
		{ "alua: { peer_groups = ({ id = 2; relative_port_ids = [ 5 ]; },"
		  "\n{ id = 2; relative_port_ids = [ 6 ]; }); };\n",
		  ".conf:3: alua.peer_groups: id 2 is listed twice" },
		{ "alua: { peer_groups = ({ id = 2; relative_port_ids = [ 5, 5 ];"
		  " }); };\n",
		  "relative port id 5 of group 2 is also that of the same group" },
		{ "targets = ({ name = \"t\"; id_ext = \"0x0000000000000001\"; });\n"
		  "alua: { peer_groups = (\n{ id = 2; relative_port_ids = [ 1 ];"
		  " }); };\n",
		  ".conf:4: alua.peer_groups: relative port id 1 of group 2 is also that of target \"t\"" },
		{ "targets = ({ name = \"t\"; id_ext = \"0x0000000000000001\"; },\n"
		  "{ name = \"u\"; id_ext = \"0x0000000000000002\"; relative_port_id = 1; });\n",
		  ".conf:3: target \"u\": relative port id 1 is also that of target \"t\"" },
		{ "targets = ({ name = \"t\"; relative_port_id = 70000; });\n",
		  ".conf:2: target \"t\" relative_port_id" },
		{ "alua: { peer_groups = \"2\"; };\n",
		  ".conf:2: alua.peer_groups" },
	};
	struct config *cfg;
	char *err;

	(void)state;
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
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parsed_and_dumped),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
