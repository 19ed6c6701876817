/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands about the daemon as a whole: status, log-level,
 * config check, config dump.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srptadm.h"

static void status_human(struct adm *a, struct json_object *r)
{
	printf("srptd %s %s, pid %lld, up %s\n", adm_str(r, "version"),
	       adm_str(r, "state"), adm_int(r, "pid"),
	       adm_duration(adm_u64(r, "uptime_ms")));
	printf("config:    %s (generation %llu)\n", adm_str(r, "config"),
	       (unsigned long long)adm_u64(r, "generation"));
	printf("log level: %s\n", adm_str(r, "log_level"));
	if (adm_bool(r, "fabric_up"))
		printf("fabric:    %lld RDMA device(s), %lld of %lld port(s) active, %lld I/O worker(s)\n",
		       adm_int(r, "rdma_devices"), adm_int(r, "ports_up"),
		       adm_int(r, "ports"), adm_int(r, "workers"));
	else
		printf("fabric:    waiting for RDMA devices\n");
	printf("targets:   %lld (%lld running)\n", adm_int(r, "targets"),
	       adm_int(r, "targets_running"));
	printf("sessions:  %lld (%lld channel(s))\n", adm_int(r, "sessions"),
	       adm_int(r, "channels"));
	printf("in use:    %llu request(s), %llu buffer chunk(s), %llu stuck backend I/O(s)\n",
	       (unsigned long long)adm_u64(r, "requests_active"),
	       (unsigned long long)adm_u64(r, "buffer_chunks_in_use"),
	       (unsigned long long)adm_u64(r, "backend_ios_stuck"));
	printf("devices:   %lld (%lld online), %lld LUN(s) mapped\n",
	       adm_int(r, "devices"), adm_int(r, "devices_online"),
	       adm_int(r, "luns"));
}

static int cmd_status(struct adm *a, int argc, char **argv)
{
	if (argc > 1)
		return adm_usage(a, "status");
	return adm_run(a, "status", NULL, status_human);
}

static void log_level_human(struct adm *a, struct json_object *r)
{
	if (strcmp(adm_str(r, "level"), adm_str(r, "previous")))
		printf("log level %s (was %s)\n", adm_str(r, "level"),
		       adm_str(r, "previous"));
	else
		printf("log level %s\n", adm_str(r, "level"));
}

static int cmd_log_level(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL;

	if (argc > 2)
		return adm_usage(a, "log-level");
	if (argc == 2) {
		p = json_object_new_object();
		json_object_object_add(p, "level",
				       json_object_new_string(argv[1]));
	}
	return adm_run(a, "log.level", p, log_level_human);
}

/*
 * Exit 1 for an invalid file: the errors go to standard error as
 * file:line: message, like srptd --check-config's.
 */
static int cmd_config_check(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL, *r, *errs;
	char path[2 * PATH_MAX + 2], cwd[PATH_MAX];
	int ret;

	if (argc > 2)
		return adm_usage(a, "config check");
	if (argc == 2) {
		/* srptd runs elsewhere: a relative FILE is ours. */
		if (argv[1][0] != '/' && getcwd(cwd, sizeof(cwd)))
			snprintf(path, sizeof(path), "%s/%s", cwd, argv[1]);
		else
			snprintf(path, sizeof(path), "%s", argv[1]);
		p = json_object_new_object();
		json_object_object_add(p, "file", json_object_new_string(path));
	}
	ret = adm_call(a, "config.check", p, &r);
	if (ret)
		return ret;
	errs = adm_obj(r, "errors");
	if (a->json) {
		adm_print_json(r);
	} else if (adm_bool(r, "valid")) {
		long long nd = adm_int(r, "devices");
		long long nt = adm_int(r, "targets");

		printf("%s: configuration OK (%lld device%s, %lld target%s)\n",
		       adm_str(r, "file"), nd, nd == 1 ? "" : "s", nt,
		       nt == 1 ? "" : "s");
	} else {
		for (size_t i = 0; errs && i < json_object_array_length(errs);
		     i++)
			fprintf(stderr, "%s\n",
				json_object_get_string(
					json_object_array_get_idx(errs, i)));
		if (adm_int(r, "more_errors"))
			fprintf(stderr, "... and %lld more errors\n",
				adm_int(r, "more_errors"));
	}
	ret = adm_bool(r, "valid") ? ADM_EXIT_OK : ADM_EXIT_FAILED;
	json_object_put(r);
	return ret;
}

static void config_dump_human(struct adm *a, struct json_object *r)
{
	fputs(adm_str(r, "text"), stdout);
}

static int cmd_config_dump(struct adm *a, int argc, char **argv)
{
	if (argc > 1)
		return adm_usage(a, "config dump");
	return adm_run(a, "config.dump", NULL, config_dump_human);
}

/*
 * Print the report; exit 1 when the change was not applied (the report
 * then says why: errors as file:line: message, or what was refused).
 */
static int cmd_reload(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL, *r, *lines;
	bool applied;
	int ret;

	if (argc == 2 &&
	    (!strcmp(argv[1], "--force") || !strcmp(argv[1], "-f"))) {
		p = json_object_new_object();
		json_object_object_add(p, "force", json_object_new_boolean(1));
	} else if (argc > 1) {
		return adm_usage(a, "reload");
	}
	ret = adm_call(a, "reload", p, &r);
	if (ret)
		return ret;
	applied = adm_bool(r, "applied");
	lines = adm_obj(r, "report");
	if (a->json) {
		adm_print_json(r);
	} else {
		for (size_t i = 0; lines && i < json_object_array_length(lines);
		     i++)
			fprintf(applied ? stdout : stderr, "%s\n",
				json_object_get_string(
					json_object_array_get_idx(lines, i)));
		if (!applied)
			fprintf(stderr,
				"srptadm: reload not applied; running configuration generation %llu\n",
				(unsigned long long)adm_u64(r, "generation"));
	}
	json_object_put(r);
	return applied ? ADM_EXIT_OK : ADM_EXIT_FAILED;
}

const struct adm_cmd adm_cmds_daemon[] = {
	{ "status", NULL, "daemon state, configuration and counts",
	  cmd_status },
	{ "log-level", "[LEVEL]",
	  "show or set the log level (until the next reload)", cmd_log_level },
	{ "reload", "[--force]",
	  "reload the configuration file (as SIGHUP) and print what changed",
	  cmd_reload },
	{ "config check", "[FILE]",
	  "validate FILE (default: the daemon's) as srptd --check-config does",
	  cmd_config_check },
	{ "config dump", NULL, "print the running configuration",
	  cmd_config_dump },
	{ 0 },
};
