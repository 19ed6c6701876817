/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands about sessions: sessions [-v] [TARGET], session kick.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "srptadm.h"

static bool verbose;

static void sessions_human(struct adm *a, struct json_object *r)
{
	static const char *const head[] = {
		"TARGET",   "INITIATOR", "GID",
		"LUN VIEW", "CHANNELS",	 "CONNECTED"
	};
	struct json_object *ss = adm_obj(r, "sessions");
	size_t n = ss ? json_object_array_length(ss) : 0;
	struct adm_table *t = adm_table_new(6, head);

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ss, i);
		struct json_object *g = adm_obj(o, "group");
		const char *cells[6] = {
			adm_str(o, "target"),
			adm_str(o, "initiator"),
			adm_obj(o, "gid") ? adm_str(o, "gid") : "-",
			adm_bool(o, "denied") ? "denied" :
			g		      ? adm_fmt("group %s (%lld LUNs)",
							json_object_get_string(g),
							adm_int(o, "luns")) :
			    adm_fmt("default (%lld LUNs)", adm_int(o, "luns")),
			adm_fmt("%zu", json_object_array_length(
					       adm_obj(o, "channels"))),
			adm_duration(1000 *
				     (uint64_t)adm_int(o, "connected_s")),
		};

		adm_table_row(t, cells);
	}
	adm_table_print(t, "(no sessions)");
	if (!verbose)
		return;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ss, i);
		struct json_object *chs = adm_obj(o, "channels");
		struct json_object *io = adm_obj(o, "io");
		struct json_object *cmds = adm_obj(io, "commands");

		printf("\n%s %s:\n", adm_str(o, "target"),
		       adm_str(o, "initiator"));
		if (io)
			printf("  I/O: %llu reads (%s), %llu writes (%s), %llu other, %llu aborted (srptadm stats: errors, latency)\n",
			       (unsigned long long)adm_u64(cmds, "read"),
			       adm_size(adm_u64(io, "read_bytes")),
			       (unsigned long long)adm_u64(cmds, "write"),
			       adm_size(adm_u64(io, "written_bytes")),
			       (unsigned long long)adm_u64(cmds, "other"),
			       (unsigned long long)adm_u64(io, "aborted"));
		for (size_t k = 0; chs && k < json_object_array_length(chs);
		     k++) {
			struct json_object *c =
				json_object_array_get_idx(chs, k);

			printf("  channel %lld: %s, worker %lld, %lld credits (%lld outstanding), %s via %s port %lld from %s, up %s\n",
			       adm_int(c, "id"), adm_str(c, "state"),
			       adm_int(c, "worker"), adm_int(c, "queue_depth"),
			       adm_int(c, "outstanding"),
			       strcmp(adm_str(c, "path"), "rdma_cm") ?
				       "IB/CM" :
				       "RDMA/CM",
			       adm_str(c, "device"), adm_int(c, "port"),
			       adm_str(c, "peer"),
			       adm_duration(1000 * (uint64_t)adm_int(
							   c, "connected_s")));
		}
	}
}

static int cmd_sessions(struct adm *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object *p = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		if (opt != 'v')
			return adm_usage(a, "sessions");
		verbose = true;
	}
	if (argc - optind > 1)
		return adm_usage(a, "sessions");
	if (argc - optind == 1) {
		p = json_object_new_object();
		json_object_object_add(p, "target",
				       json_object_new_string(argv[optind]));
	}
	return adm_run(a, "sessions.list", p, sessions_human);
}

static void kick_human(struct adm *a, struct json_object *r)
{
	printf("%lld session(s) logged out (SRP_T_LOGOUT); the initiator may log in again\n",
	       adm_int(r, "kicked"));
}

static int cmd_session_kick(struct adm *a, int argc, char **argv)
{
	struct json_object *p;

	if (argc < 2 || argc > 3)
		return adm_usage(a, "session kick");
	p = json_object_new_object();
	json_object_object_add(p, "initiator", json_object_new_string(argv[1]));
	if (argc == 3)
		json_object_object_add(p, "target",
				       json_object_new_string(argv[2]));
	return adm_run(a, "sessions.kick", p, kick_human);
}

const struct adm_cmd adm_cmds_sessions[] = {
	{ "sessions", "[-v] [TARGET]",
	  "logged-in initiators; -v: their channels", cmd_sessions },
	{ "session kick", "INITIATOR [TARGET]",
	  "log a session out (the initiator may reconnect)", cmd_session_kick },
	{ 0 },
};
