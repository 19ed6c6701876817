/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm commands about storage objects: devices.
 */
#include <stdio.h>

#include "srptadm.h"

static const char *maps_str(struct json_object *maps)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; maps && i < json_object_array_length(maps); i++) {
		struct json_object *m = json_object_array_get_idx(maps, i);

		off += snprintf(buf + off,
				off < sizeof(buf) ? sizeof(buf) - off : 0,
				"%s%s%s%s/%lld", i ? " " : "",
				adm_str(m, "target"),
				adm_obj(m, "group") ? ":" : "",
				adm_obj(m, "group") ? adm_str(m, "group") : "",
				adm_int(m, "lun"));
	}
	return buf[0] ? buf : "-";
}

/* What the device exports: its path, "rbd:POOL/IMAGE", or "-". */
static const char *store_str(struct json_object *o)
{
	if (adm_obj(o, "rbd_image"))
		return adm_fmt("rbd:%s", adm_str(o, "rbd_image"));
	return adm_str(o, "path")[0] ? adm_str(o, "path") : "-";
}

static void devices_human(struct adm *a, struct json_object *r)
{
	static const char *const head[] = { "DEVICE", "STATE", "ENGINE",
					    "SIZE",   "BLOCK", "FLAGS",
					    "PATH",   "MAPPED" };
	struct json_object *ds = adm_obj(r, "devices");
	struct adm_table *t = adm_table_new(8, head);

	for (size_t i = 0; ds && i < json_object_array_length(ds); i++) {
		struct json_object *o = json_object_array_get_idx(ds, i);
		bool online = adm_str(o, "state")[0] == 'o' &&
			      adm_str(o, "state")[1] == 'n';
		const char *cells[8] = {
			adm_str(o, "name"),
			online ? "online" :
				 adm_fmt("offline: %s", adm_str(o, "error")),
			online ? adm_str(o, "engine") : "-",
			adm_size(adm_u64(o, "size")),
			adm_fmt("%lld", adm_int(o, "block_size")),
			adm_fmt("%s%s%s%s",
				adm_bool(o, "read_only") ? "ro" : "rw",
				adm_bool(o, "write_cache") ? ",wc" : "",
				adm_bool(o, "direct_io") ? ",direct" : "",
				adm_bool(o, "shared") ? ",shared" : ""),
			store_str(o),
			maps_str(adm_obj(o, "maps")),
		};

		adm_table_row(t, cells);
	}
	adm_table_print(t, "(no devices)");
}

static int cmd_devices(struct adm *a, int argc, char **argv)
{
	struct json_object *p = NULL;

	if (argc > 2)
		return adm_usage(a, "devices");
	if (argc == 2) {
		p = json_object_new_object();
		json_object_object_add(p, "name",
				       json_object_new_string(argv[1]));
	}
	return adm_run(a, "devices.list", p, devices_human);
}

const struct adm_cmd adm_cmds_devices[] = {
	{ "devices", "[DEVICE]", "storage objects: engine, size, where mapped",
	  cmd_devices },
	{ 0 },
};
