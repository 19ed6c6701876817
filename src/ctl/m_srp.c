/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods about the SRP side: targets.list, ports.list and
 * login_info (doc/control.md).  The configuration says what is defined;
 * the daemon's SRP side says what runs (daemon_srp.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "ctl/ctl_tables.h"
#include "daemon.h"
#include "daemon_srp.h"
#include "fabric/verbs.h"
#include "util.h"

/* Ports described at once; more are served, just not listed. */
#define M_SRP_MAX_PORTS 64
#define M_SRP_MAX_LOGINS 512

static const char *guid_str(uint64_t v)
{
	static char buf[4][19];
	static unsigned int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "0x%016" PRIx64, v);
	return b;
}

/* "192.0.2.1:5000" or "[::]:5000" (srptd.conf(5) listen syntax). */
static struct json_object *addr_json(const char *addr, unsigned int port)
{
	char buf[80];
	bool v6 = strchr(addr, ':');

	snprintf(buf, sizeof(buf), "%s%s%s:%u", v6 ? "[" : "", addr,
		 v6 ? "]" : "", port);
	return json_object_new_string(buf);
}

/* [ { "lun": 0, "device": "d0", "read_only": false }, ... ] */
static struct json_object *lun_map_json(const struct config *cfg,
					const struct config_lun *luns,
					unsigned int n)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int i = 0; a && i < n; i++) {
		struct json_object *l = json_object_new_object();

		ctl_add_u64(l, "lun", luns[i].lun);
		ctl_add_str(l, "device", cfg->devices[luns[i].device].name);
		ctl_add_bool(l, "read_only", luns[i].read_only);
		json_object_array_add(a, l);
	}
	return a;
}

static struct json_object *str_array(const char (*v)[64], unsigned int n)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *target_json(struct daemon *d,
				       const struct config *cfg,
				       const struct config_target *t)
{
	struct json_object *o = json_object_new_object();
	struct json_object *groups = json_object_new_array();
	uint64_t id_ext = 0, ioc_guid = 0;
	bool running;

	running = daemon_srp_target_running(daemon_get_srp(d), t->name, &id_ext,
					    &ioc_guid);
	ctl_add_str(o, "name", t->name);
	ctl_add_str(o, "id_ext", t->id_ext_auto ? "auto" : guid_str(t->id_ext));
	ctl_add_str(o, "ioc_guid",
		    t->ioc_guid_auto ? "auto" : guid_str(t->ioc_guid));
	ctl_add_bool(o, "running", running);
	/* What "auto" stands for once the fabric runs. */
	if (running) {
		ctl_add_str(o, "id_ext_in_use", guid_str(id_ext));
		ctl_add_str(o, "ioc_guid_in_use", guid_str(ioc_guid));
	}
	ctl_add(o, "ports", str_array((const char(*)[64])t->ports, t->n_ports));
	ctl_add_str(o, "unknown_initiators",
		    t->unknown_initiators == CONFIG_UNKNOWN_DENY ?
			    "deny" :
			    "default-map");
	ctl_add(o, "lun_map", lun_map_json(cfg, t->luns, t->n_luns));
	for (unsigned int g = 0; groups && g < t->n_groups; g++) {
		const struct config_group *cg = &t->groups[g];
		struct json_object *go = json_object_new_object();
		struct json_object *ini = json_object_new_array();

		for (unsigned int i = 0; ini && i < cg->n_initiators; i++) {
			char gid[40];

			config_format_gid(cg->initiators[i], gid);
			json_object_array_add(ini, json_object_new_string(gid));
		}
		ctl_add_str(go, "name", cg->name);
		ctl_add(go, "initiators", ini);
		ctl_add(go, "lun_map", lun_map_json(cfg, cg->luns, cg->n_luns));
		json_object_array_add(groups, go);
	}
	ctl_add(o, "groups", groups);
	return o;
}

static int m_targets(struct ctl_call *c, struct json_object *params,
		     struct json_object **result)
{
	const struct config *cfg = daemon_config(c->ctx);
	const char *only = ctl_param_str(params, "name", NULL);
	struct json_object *r = json_object_new_object();
	struct json_object *a = json_object_new_array();

	ctl_add(r, "targets", a);
	for (unsigned int i = 0; i < cfg->n_targets; i++)
		if (!only || !strcmp(only, cfg->targets[i].name))
			json_object_array_add(a, target_json(c->ctx, cfg,
							     &cfg->targets[i]));
	*result = r;
	if (only && !json_object_array_length(a))
		return ctl_fail(c, -ENOENT, "no target \"%s\"", only);
	return 0;
}

static int m_ports(struct ctl_call *c, struct json_object *params,
		   struct json_object **result)
{
	struct fabric_verbs_port_info *pi =
		calloc(M_SRP_MAX_PORTS, sizeof(*pi));
	const struct config *cfg = daemon_config(c->ctx);
	struct daemon_srp *s = daemon_get_srp(c->ctx);
	struct json_object *r = json_object_new_object();
	struct json_object *ports = json_object_new_array();
	struct json_object *listen = json_object_new_array();
	struct json_object *rdma = json_object_new_object();
	struct json_object *ib = json_object_new_object();
	struct daemon_srp_paths paths;
	unsigned int n;

	if (!pi) {
		json_object_put(r);
		return ctl_fail(c, -ENOMEM, "out of memory");
	}
	n = MIN(daemon_srp_ports(s, pi, M_SRP_MAX_PORTS), M_SRP_MAX_PORTS);
	for (unsigned int i = 0; ports && i < n; i++) {
		struct json_object *p = json_object_new_object();
		struct json_object *addrs = json_object_new_array();

		ctl_add_str(p, "device", pi[i].ref.dev_name);
		ctl_add_int(p, "port", pi[i].ref.port);
		ctl_add_str(p, "state", pi[i].state);
		ctl_add_bool(p, "active", pi[i].active);
		ctl_add_str(p, "link_layer",
			    pi[i].ib ? "InfiniBand" : "Ethernet");
		ctl_add_str(p, "node_guid", guid_str(pi[i].ref.node_guid));
		for (unsigned int a = 0; addrs && a < pi[i].n_addrs; a++)
			json_object_array_add(
				addrs, json_object_new_string(pi[i].addrs[a]));
		/* IP addresses (RoCE) or the port GID (InfiniBand). */
		ctl_add(p, pi[i].ib ? "gids" : "addresses", addrs);
		json_object_array_add(ports, p);
	}
	free(pi);

	/* Listeners as started; before that, as configured. */
	daemon_srp_get_paths(s, &paths);
	if (paths.started) {
		for (unsigned int i = 0; listen && i < paths.n_listen; i++) {
			const struct fabric_verbs_listen *l = &paths.listen[i];

			json_object_array_add(listen,
					      addr_json(l->addr, l->port));
		}
	} else if (cfg->fabric.rdma_cm_enabled) {
		for (unsigned int i = 0; listen && i < cfg->fabric.n_listen;
		     i++) {
			const struct config_listen *l = &cfg->fabric.listen[i];

			json_object_array_add(listen,
					      addr_json(l->addr, l->port));
		}
	}
	ctl_add_bool(r, "fabric_up", paths.started);
	ctl_add(r, "ports", ports);
	ctl_add_bool(rdma, "enabled", cfg->fabric.rdma_cm_enabled);
	ctl_add(rdma, "listen", listen);
	ctl_add(r, "rdma_cm", rdma);
	ctl_add_bool(ib, "enabled", cfg->fabric.ib_cm_enabled);
	ctl_add_str(ib, "service_id",
		    guid_str(paths.started ? paths.ib_service_id :
					     daemon_srp_ib_service_id(cfg)));
	ctl_add(r, "ib_cm", ib);
	*result = r;
	return 0;
}

static const char *const login_path_names[] = {
	[DAEMON_LOGIN_RDMA_CM] = "rdma_cm",
	[DAEMON_LOGIN_IB_CM] = "ib_cm",
	[DAEMON_LOGIN_NONE] = "none",
};

static int m_login_info(struct ctl_call *c, struct json_object *params,
			struct json_object **result)
{
	const char *only = ctl_param_str(params, "target", NULL);
	struct daemon_srp_login *l = calloc(M_SRP_MAX_LOGINS, sizeof(*l));
	struct json_object *r, *a;
	unsigned int n;

	if (!l)
		return ctl_fail(c, -ENOMEM, "out of memory");
	if (only && !config_find_target(daemon_config(c->ctx), only)) {
		free(l);
		return ctl_fail(c, -ENOENT, "no target \"%s\"", only);
	}
	n = daemon_srp_logins(daemon_get_srp(c->ctx), only, l,
			      M_SRP_MAX_LOGINS);
	r = json_object_new_object();
	a = json_object_new_array();
	for (unsigned int i = 0; a && i < MIN(n, M_SRP_MAX_LOGINS); i++) {
		struct json_object *o = json_object_new_object();

		ctl_add_str(o, "target", l[i].target);
		ctl_add_str(o, "device", l[i].dev);
		ctl_add_int(o, "port", l[i].port);
		ctl_add_str(o, "path", login_path_names[l[i].path]);
		ctl_add_str(o, "add_target", l[i].line);
		if (l[i].alt_ioc_guid)
			ctl_add_str(o, "also_ioc_guid",
				    guid_str(l[i].alt_ioc_guid));
		json_object_array_add(a, o);
	}
	free(l);
	ctl_add_bool(r, "fabric_up",
		     daemon_srp_fabric_up(daemon_get_srp(c->ctx)));
	ctl_add(r, "logins", a);
	*result = r;
	return 0;
}

static const struct ctl_param name_param[] = {
	{ "name", CTL_P_STRING, false },
	{ 0 },
};
static const struct ctl_param target_param[] = {
	{ "target", CTL_P_STRING, false },
	{ 0 },
};

const struct ctl_method ctl_methods_srp[] = {
	{ "targets.list", name_param, m_targets },
	{ "ports.list", NULL, m_ports },
	{ "login_info", target_param, m_login_info },
	{ 0 },
};
