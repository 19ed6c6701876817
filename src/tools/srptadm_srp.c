/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands about the SRP side: targets, ports, login-info.
 */
#include <stdio.h>
#include <string.h>

#include "srptadm.h"

/* "0 d0, 1 d1 (ro)" */
static const char *lun_map_str(struct json_object *map)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; map && i < json_object_array_length(map); i++) {
		struct json_object *l = json_object_array_get_idx(map, i);

		off += snprintf(buf + off,
				off < sizeof(buf) ? sizeof(buf) - off : 0,
				"%s%lld %s%s", i ? ", " : "", adm_int(l, "lun"),
				adm_str(l, "device"),
				adm_bool(l, "read_only") ? " (ro)" : "");
	}
	return buf[0] ? buf : "-";
}

static void targets_human(struct adm *a, struct json_object *r)
{
	static const char *const head[] = { "TARGET",  "ID_EXT",  "IOC_GUID",
					    "RUNNING", "UNKNOWN", "LUNS" };
	struct json_object *ts = adm_obj(r, "targets");
	struct adm_table *t = adm_table_new(6, head);

	for (size_t i = 0; ts && i < json_object_array_length(ts); i++) {
		struct json_object *o = json_object_array_get_idx(ts, i);
		const char *cells[6] = {
			adm_str(o, "name"),
			adm_bool(o, "running") &&
					!strcmp(adm_str(o, "id_ext"), "auto") ?
				adm_fmt("auto (%s)",
					adm_str(o, "id_ext_in_use")) :
				adm_str(o, "id_ext"),
			adm_bool(o, "running") &&
					!strcmp(adm_str(o, "ioc_guid"),
						"auto") ?
				adm_fmt("auto (%s)",
					adm_str(o, "ioc_guid_in_use")) :
				adm_str(o, "ioc_guid"),
			adm_bool(o, "running") ? "yes" : "no",
			adm_str(o, "unknown_initiators"),
			lun_map_str(adm_obj(o, "lun_map")),
		};

		adm_table_row(t, cells);
	}
	adm_table_print(t, "(no targets)");
	for (size_t i = 0; ts && i < json_object_array_length(ts); i++) {
		struct json_object *o = json_object_array_get_idx(ts, i);
		struct json_object *gs = adm_obj(o, "groups");

		for (size_t g = 0; gs && g < json_object_array_length(gs);
		     g++) {
			struct json_object *go =
				json_object_array_get_idx(gs, g);
			struct json_object *ini = adm_obj(go, "initiators");

			printf("%s group %s: LUNs %s; initiators",
			       adm_str(o, "name"), adm_str(go, "name"),
			       lun_map_str(adm_obj(go, "lun_map")));
			for (size_t k = 0;
			     ini && k < json_object_array_length(ini); k++)
				printf(" %s", json_object_get_string(
						      json_object_array_get_idx(
							      ini, k)));
			printf("\n");
		}
	}
}

static int cmd_targets(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL;

	if (argc > 2)
		return adm_usage(a, "targets");
	if (argc == 2) {
		p = json_object_new_object();
		json_object_object_add(p, "name",
				       json_object_new_string(argv[1]));
	}
	return adm_run(a, "targets.list", p, targets_human);
}

static const char *str_list(struct json_object *arr)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		off += snprintf(buf + off,
				off < sizeof(buf) ? sizeof(buf) - off : 0,
				"%s%s", i ? " " : "",
				json_object_get_string(
					json_object_array_get_idx(arr, i)));
	return buf[0] ? buf : "-";
}

static void ports_human(struct adm *a, struct json_object *r)
{
	static const char *const head[] = {
		"DEVICE", "PORT", "STATE", "LINK", "NODE_GUID", "ADDRESSES"
	};
	struct json_object *ps = adm_obj(r, "ports");
	struct json_object *rdma = adm_obj(r, "rdma_cm"),
			   *ib = adm_obj(r, "ib_cm");
	struct adm_table *t = adm_table_new(6, head);

	for (size_t i = 0; ps && i < json_object_array_length(ps); i++) {
		struct json_object *o = json_object_array_get_idx(ps, i);
		struct json_object *addrs = adm_obj(o, "addresses");
		const char *cells[6] = {
			adm_str(o, "device"),
			adm_fmt("%lld", adm_int(o, "port")),
			adm_str(o, "state"),
			adm_str(o, "link_layer"),
			adm_str(o, "node_guid"),
			str_list(addrs ? addrs : adm_obj(o, "gids")),
		};

		adm_table_row(t, cells);
	}
	adm_table_print(t, adm_bool(r, "fabric_up") ?
				   "(no ports)" :
				   "(no ports: waiting for RDMA devices)");
	printf("RDMA/CM listeners: %s%s\n",
	       adm_bool(rdma, "enabled") ? str_list(adm_obj(rdma, "listen")) :
					   "off",
	       adm_bool(r, "fabric_up") || !adm_bool(rdma, "enabled") ?
		       "" :
		       " (not started)");
	printf("IB/CM: %s\n",
	       adm_bool(ib, "enabled") ?
		       adm_fmt("service id %s", adm_str(ib, "service_id")) :
		       "off");
}

static int cmd_ports(struct adm *a, int argc, char **argv)
{
	if (argc > 1)
		return adm_usage(a, "ports");
	return adm_run(a, "ports.list", NULL, ports_human);
}

static void login_info_human(struct adm *a, struct json_object *r)
{
	struct json_object *ls = adm_obj(r, "logins");
	size_t n = ls ? json_object_array_length(ls) : 0;

	if (!n)
		printf("%s\n", adm_bool(r, "fabric_up") ?
				       "(no running target is reachable yet)" :
				       "(none: waiting for RDMA devices)");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ls, i);

		printf("%s via %s port %lld: %s%s%s\n", adm_str(o, "target"),
		       adm_str(o, "device"), adm_int(o, "port"),
		       adm_str(o, "add_target"),
		       !strcmp(adm_str(o, "path"), "none") ?
			       "  (no address a listener takes yet)" :
			       "",
		       adm_obj(o, "also_ioc_guid") ?
			       adm_fmt("  (ioc_guid=%s too)",
				       adm_str(o, "also_ioc_guid") + 2) :
			       "");
	}
}

static int cmd_login_info(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL;

	if (argc > 2)
		return adm_usage(a, "login-info");
	if (argc == 2) {
		p = json_object_new_object();
		json_object_object_add(p, "target",
				       json_object_new_string(argv[1]));
	}
	return adm_run(a, "login_info", p, login_info_human);
}

const struct adm_cmd adm_cmds_srp[] = {
	{ "targets", "[TARGET]", "targets: identity, LUN maps, groups",
	  cmd_targets },
	{ "ports", NULL, "HCA ports, their addresses, the login listeners",
	  cmd_ports },
	{ "login-info", "[TARGET]",
	  "what initiators write to ib_srp's add_target", cmd_login_info },
	{ 0 },
};
