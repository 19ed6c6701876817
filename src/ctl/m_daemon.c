/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods about the daemon as a whole: status, log.level,
 * reload.
 * Results are documented in doc/control.md.
 */
#include <errno.h>
#include <stdlib.h>

#include "ctl/ctl_tables.h"
#include "daemon.h"
#include "daemon_change.h"
#include "log.h"
#include "srptd/version.h"

static int m_status(struct ctl_call *c, struct json_object *params,
		    struct json_object **result)
{
	struct json_object *r = json_object_new_object();
	struct daemon_info in;

	if (!r)
		return ctl_fail(c, -ENOMEM, "out of memory");
	daemon_get_info(c->ctx, &in);
	ctl_add_str(r, "version", SRPTD_VERSION);
	ctl_add_str(r, "state", daemon_state_name(in.state));
	ctl_add_int(r, "pid", in.pid);
	ctl_add_int(r, "started", in.started);
	ctl_add_u64(r, "uptime_ms", in.uptime_ms);
	ctl_add_str(r, "config", in.config_path);
	ctl_add_u64(r, "generation", in.generation);
	ctl_add_str(r, "log_level", log_level_name(in.log_level));
	ctl_add_bool(r, "fabric_up", in.fabric_up);
	ctl_add_int(r, "workers", in.workers);
	ctl_add_int(r, "rdma_devices", in.rdma_devices);
	ctl_add_int(r, "ports", in.ports);
	ctl_add_int(r, "ports_up", in.ports_up);
	ctl_add_int(r, "targets", in.targets);
	ctl_add_int(r, "targets_running", in.targets_running);
	ctl_add_int(r, "sessions", in.sessions);
	ctl_add_int(r, "channels", in.channels);
	ctl_add_u64(r, "requests_active", in.requests_active);
	ctl_add_u64(r, "buffer_chunks_in_use", in.buffer_chunks_in_use);
	ctl_add_u64(r, "backend_ios_stuck", in.backend_ios_stuck);
	ctl_add_int(r, "devices", in.devices);
	ctl_add_int(r, "devices_online", in.devices_online);
	ctl_add_int(r, "luns", in.luns);
	*result = r;
	return 0;
}

/*
 * Get or set the log level.  Set, it holds until the next reload applies
 * daemon.log_level again (or srptd -l's level).
 */
static int m_log_level(struct ctl_call *c, struct json_object *params,
		       struct json_object **result)
{
	const char *name = ctl_param_str(params, "level", NULL);
	int old = log_get_level(), level = old;
	struct json_object *r;

	if (name) {
		level = log_level_parse(name);
		if (level < 0)
			return ctl_fail_params(
				c,
				"level: unknown level \"%s\" (error, warning, notice, info or debug)",
				name);
		if (level != old) {
			log_set_level(level);
			pr_notice("log level %s -> %s (uid %u, control socket)",
				  log_level_name(old), log_level_name(level),
				  (unsigned int)c->uid);
		}
	}
	r = json_object_new_object();
	ctl_add_str(r, "level", log_level_name(level));
	ctl_add_str(r, "previous", log_level_name(old));
	*result = r;
	return 0;
}

/* The reload's result object (doc/control.md "reload"). */
static struct json_object *reload_result(struct daemon *d, int ret,
					 const struct daemon_change_report *rep)
{
	struct json_object *r, *lines;
	struct daemon_info in;

	daemon_get_info(d, &in);
	r = json_object_new_object();
	lines = json_object_new_array();
	for (unsigned int i = 0; lines && i < rep->n; i++)
		json_object_array_add(lines,
				      json_object_new_string(rep->lines[i]));
	ctl_add_bool(r, "applied", ret == 0);
	ctl_add_int(r, "errno", ret);
	ctl_add_int(r, "errors", rep->errors);
	ctl_add_u64(r, "generation", in.generation);
	ctl_add(r, "report", lines);
	return r;
}

/* A reload that waited for commands in flight, answered when over. */
struct reload_wait {
	struct daemon *d;
	struct ctl_deferred *answer;
};

static void reload_done(void *arg, int ret, struct daemon_change_report *rep)
{
	struct reload_wait *rw = arg;

	ctl_deferred_finish(rw->answer, 0, NULL,
			    reload_result(rw->d, ret, rep));
	free(rw);
}

/*
 * Reload as SIGHUP does and return its report: applied, or the errors
 * (file:line: message) or why it was refused.  Not applied is a result,
 * not a method failure: the report is the answer.  A reload that waits
 * for commands in flight is answered when it is over.
 */
static int m_reload(struct ctl_call *c, struct json_object *params,
		    struct json_object **result)
{
	struct daemon_change_report rep = { 0 };
	bool force = ctl_param_bool(params, "force", false);
	struct reload_wait *rw = calloc(1, sizeof(*rw));
	struct daemon_change_waiter w = { reload_done, rw };
	int ret;

	if (rw) {
		rw->d = c->ctx;
		rw->answer = ctl_defer(c);
	}
	if (rw && !rw->answer) {
		free(rw);
		rw = NULL;
	}
	pr_notice("reload requested by uid %u (control socket)%s",
		  (unsigned int)c->uid, force ? ", forced" : "");
	ret = daemon_reload(c->ctx, force ? DAEMON_APPLY_FORCE : 0, &rep,
			    rw ? &w : NULL);
	if (ret == -EINPROGRESS && rw)
		return CTL_DEFERRED;
	if (ret == -EINPROGRESS)
		return ctl_fail(
			c, -ENOMEM,
			"reload: waiting for commands in flight, but out of memory for its answer; its report goes to the log");
	free(rw);
	*result = reload_result(c->ctx, ret, &rep);
	daemon_report_free(&rep);
	return 0;
}

static const struct ctl_param reload_params[] = {
	{ "force", CTL_P_BOOL, false },
	{ 0 },
};

static const struct ctl_param level_param[] = {
	{ "level", CTL_P_STRING, false },
	{ 0 },
};

const struct ctl_method ctl_methods_daemon[] = {
	{ "status", NULL, m_status },
	{ "log.level", level_param, m_log_level },
	{ "reload", reload_params, m_reload },
	{ 0 },
};
