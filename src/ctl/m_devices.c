/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Control methods about the storage objects: devices.list
 * (doc/control.md).  The open devices (devices.h) say what runs: engine,
 * size and block size as opened; the configuration says where they are
 * mapped.
 */
#include <errno.h>
#include <string.h>

#include "config/config.h"
#include "ctl/ctl_tables.h"
#include "daemon.h"
#include "devices.h"

/* Add to maps every LUN entry of luns that names device dev_index. */
static void add_maps(struct json_object *maps, const char *target,
		     const char *group, const struct config_lun *luns,
		     unsigned int n, unsigned int dev_index)
{
	for (unsigned int i = 0; i < n; i++) {
		struct json_object *m;

		if (luns[i].device != dev_index)
			continue;
		m = json_object_new_object();
		ctl_add_str(m, "target", target);
		/* null: the target's default lun_map */
		ctl_add(m, "group",
			group ? json_object_new_string(group) : NULL);
		ctl_add_u64(m, "lun", luns[i].lun);
		ctl_add_bool(m, "read_only", luns[i].read_only);
		json_object_array_add(maps, m);
	}
}

static struct json_object *device_json(const struct config *cfg,
				       unsigned int idx,
				       const struct device *dev)
{
	const struct config_device *cd = &cfg->devices[idx];
	struct json_object *o = json_object_new_object();
	struct json_object *maps = json_object_new_array();
	bool online = dev && dev->state == DEVICE_ONLINE;

	ctl_add_str(o, "name", cd->name);
	ctl_add_str(o, "path", cd->path);
	/* An rbd image has no path: its spec as configured (doc/ceph.md). */
	if (cd->engine == CONFIG_ENGINE_RBD) {
		ctl_add_str(o, "rbd_image", cd->rbd_image);
		ctl_add_str(o, "ceph_client",
			    cd->ceph_client[0] ? cd->ceph_client : "admin");
		ctl_add_str(o, "ceph_conf", cd->ceph_conf);
	}
	ctl_add_bool(o, "shared", cd->shared);
	ctl_add_str(o, "state", online ? "online" : "offline");
	if (!online)
		ctl_add_str(o, "error",
			    dev && dev->open_error ?
				    strerror(-dev->open_error) :
				    "not opened");
	/* As opened: the engine the fallback chain ended at, the size. */
	ctl_add_str(o, "engine", online ? dev->engine->name : "");
	ctl_add_str(o, "engine_configured", config_engine_name(cd->engine));
	ctl_add_u64(o, "size", online ? dev->bdev.size : cd->size);
	ctl_add_int(o, "block_size",
		    online ? dev->bdev.block_size : cd->block_size);
	ctl_add_bool(o, "read_only",
		     online ? dev->bdev.read_only : cd->read_only);
	ctl_add_bool(o, "write_cache",
		     online ? dev->bdev.write_cache : cd->write_cache);
	ctl_add_bool(o, "direct_io",
		     online ? dev->bdev.direct_io : cd->direct_io);
	for (unsigned int t = 0; maps && t < cfg->n_targets; t++) {
		const struct config_target *ct = &cfg->targets[t];

		add_maps(maps, ct->name, NULL, ct->luns, ct->n_luns, idx);
		for (unsigned int g = 0; g < ct->n_groups; g++)
			add_maps(maps, ct->name, ct->groups[g].name,
				 ct->groups[g].luns, ct->groups[g].n_luns, idx);
	}
	ctl_add(o, "maps", maps);
	return o;
}

static int m_devices(struct ctl_call *c, struct json_object *params,
		     struct json_object **result)
{
	const struct config *cfg = daemon_config(c->ctx);
	const struct device_set *set = daemon_get_devices(c->ctx);
	const char *only = ctl_param_str(params, "name", NULL);
	struct json_object *r = json_object_new_object();
	struct json_object *a = json_object_new_array();

	ctl_add(r, "devices", a);
	*result = r;
	for (unsigned int i = 0; a && i < cfg->n_devices; i++) {
		if (only && strcmp(only, cfg->devices[i].name))
			continue;
		json_object_array_add(
			a,
			device_json(cfg, i,
				    devices_find(set, cfg->devices[i].name)));
	}
	if (only && !json_object_array_length(a))
		return ctl_fail(c, -ENOENT, "no device \"%s\"", only);
	return 0;
}

static const struct ctl_param name_param[] = {
	{ "name", CTL_P_STRING, false },
	{ 0 },
};

const struct ctl_method ctl_methods_devices[] = {
	{ "devices.list", name_param, m_devices },
	{ 0 },
};
