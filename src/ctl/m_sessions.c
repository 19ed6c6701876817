/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods about sessions (I_T nexuses): sessions.list and
 * sessions.kick (doc/control.md), over the engine's snapshot
 * (srp/srp_sessions.h says which fields are exact and which racy).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "ctl/ctl_tables.h"
#include "daemon.h"
#include "daemon_srp.h"
#include "daemon_stats.h"
#include "srp/srp_sessions.h"

static struct json_object *channel_json(const struct srp_session_channel *c,
					int64_t now)
{
	struct json_object *o = json_object_new_object();

	ctl_add_int(o, "id", c->id);
	ctl_add_int(o, "worker", c->worker);
	ctl_add_str(o, "state", c->state);
	ctl_add_int(o, "queue_depth", c->queue_depth);
	ctl_add_int(o, "outstanding", c->outstanding);
	/* How it logged in: which login path, HCA port and peer. */
	ctl_add_str(o, "path", c->rdma_cm ? "rdma_cm" : "ib_cm");
	ctl_add_str(o, "device", c->via.dev_name);
	ctl_add_int(o, "port", c->via.port);
	ctl_add_str(o, "peer", c->peer);
	ctl_add_int(o, "since", c->since);
	ctl_add_int(o, "connected_s", now - c->since);
	return o;
}

static struct json_object *session_json(const struct srp_session_info *si,
					int64_t now)
{
	struct json_object *o = json_object_new_object();
	struct json_object *chs = json_object_new_array();

	ctl_add_str(o, "target", si->target);
	ctl_add_str(o, "initiator", si->initiator);
	if (si->gid_valid) {
		char gid[40];

		config_format_gid(si->gid, gid);
		ctl_add_str(o, "gid", gid);
	} else {
		ctl_add(o, "gid", NULL);
	}
	ctl_add_str(o, "target_port", si->target_port);
	/* null: the target's default map */
	ctl_add(o, "group",
		si->group[0] ? json_object_new_string(si->group) : NULL);
	ctl_add_int(o, "luns", si->n_luns);
	ctl_add_bool(o, "denied", si->denied);
	ctl_add_int(o, "since", si->since);
	ctl_add_int(o, "connected_s", now - si->since);
	for (unsigned int i = 0; chs && i < si->n_channels; i++)
		json_object_array_add(chs, channel_json(&si->channels[i], now));
	ctl_add(o, "channels", chs);
	return o;
}

static int m_sessions(struct ctl_call *c, struct json_object *params,
		      struct json_object **result)
{
	const char *only = ctl_param_str(params, "target", NULL);
	struct srp_session_info *s;
	struct daemon_stats *st;
	struct json_object *r, *a;
	int64_t now = time(NULL);
	unsigned int n;
	int ret;

	if (only && !config_find_target(daemon_config(c->ctx), only))
		return ctl_fail(c, -ENOENT, "no target \"%s\"", only);
	ret = srp_engine_sessions_snapshot(
		daemon_srp_engine(daemon_get_srp(c->ctx)), &s, &n);
	if (ret)
		return ctl_fail(c, ret, "out of memory");
	/* I/O counters of each session (srptadm sessions -v). */
	if (daemon_get_stats(c->ctx, &st))
		st = NULL;
	r = json_object_new_object();
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < n; i++) {
		struct json_object *o;

		if (only && strcmp(only, s[i].target))
			continue;
		o = session_json(&s[i], now);
		for (unsigned int k = 0; st && k < st->srp->n_sessions; k++)
			if (!strcmp(st->srp->sessions[k].target, s[i].target) &&
			    !strcmp(st->srp->sessions[k].initiator,
				    s[i].initiator))
				ctl_add(o, "io",
					ctl_stats_io_json(
						&st->srp->sessions[k].io));
		json_object_array_add(a, o);
	}
	daemon_stats_free(st);
	srp_sessions_free(s, n);
	ctl_add(r, "sessions", a);
	*result = r;
	return 0;
}

static int m_kick(struct ctl_call *c, struct json_object *params,
		  struct json_object **result)
{
	const char *ini = ctl_param_str(params, "initiator", "");
	const char *target = ctl_param_str(params, "target", NULL);
	size_t len = strlen(ini) - (strncasecmp(ini, "0x", 2) ? 0 : 2);
	int ret;

	if (len != 32 ||
	    strspn(ini + (strlen(ini) - 32), "0123456789abcdefABCDEF") != 32)
		return ctl_fail_params(
			c,
			"initiator: \"%s\" is not an initiator port id (32 hex digits, as srptadm sessions shows)",
			ini);
	if (target && !config_find_target(daemon_config(c->ctx), target))
		return ctl_fail(c, -ENOENT, "no target \"%s\"", target);
	ret = srp_engine_session_kick(daemon_srp_engine(daemon_get_srp(c->ctx)),
				      target, ini);
	if (ret < 0)
		return ctl_fail(c, ret, "no session of initiator %s%s%s", ini,
				target ? " on target " : "",
				target ? target : "");
	*result = json_object_new_object();
	ctl_add_int(*result, "kicked", ret);
	return 0;
}

static const struct ctl_param list_params[] = {
	{ "target", CTL_P_STRING, false },
	{ 0 },
};
static const struct ctl_param kick_params[] = {
	{ "initiator", CTL_P_STRING, true },
	{ "target", CTL_P_STRING, false },
	{ 0 },
};

const struct ctl_method ctl_methods_sessions[] = {
	{ "sessions.list", list_params, m_sessions },
	{ "sessions.kick", kick_params, m_kick },
	{ 0 },
};
