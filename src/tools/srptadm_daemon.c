/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands about the daemon as a whole: status.
 */
#include <stdio.h>

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

const struct adm_cmd adm_cmds_daemon[] = {
	{ "status", NULL, "daemon state, configuration and counts",
	  cmd_status },
	{ NULL },
};
