/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A configured target's identity and LUN maps; see daemon_target_spec.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon_target_spec.h"
#include "devices.h"
#include "log.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "util.h"

/* FNV-1a, enough to notice that a target's ports changed. */
static uint64_t fp_add(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Resolve a config LUN map against the devices.  LUNs of offline devices
 * are left out (and logged): the initiator sees them appear after the
 * device comes online and a reload.
 */
static unsigned int resolve_luns(const char *tname, const struct config *cfg,
				 const struct device_set *devs,
				 const struct config_lun *luns, unsigned int n,
				 enum daemon_resolve_mode mode,
				 struct scsi_lun_entry *out)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct config_device *cd = &cfg->devices[luns[i].device];
		struct device *d = devices_find(devs, cd->name);
		struct scsi_lu *lu = d && d->state == DEVICE_ONLINE ? d->lu :
								      NULL;

		if (mode == DAEMON_RESOLVE_NEXT)
			lu = devices_kept_lu(devs, cd);
		if (!lu) {
			if (mode == DAEMON_RESOLVE_LOG)
				tgt_log(LOG_WARNING, tname,
					"LUN %llu: device %s is offline; not exported",
					(unsigned long long)luns[i].lun,
					cd->name);
			continue;
		}
		out[k++] = (struct scsi_lun_entry){
			.lun = luns[i].lun,
			.lu = lu,
			.read_only = luns[i].read_only,
		};
	}
	return k;
}

int daemon_target_maps(const struct config *cfg, const struct device_set *devs,
		       const struct config_target *ct,
		       enum daemon_resolve_mode mode, struct srp_maps **out)
{
	struct scsi_lun_entry *view = NULL;
	struct srp_maps *m = NULL;
	unsigned int max = ct->n_luns, n;
	int ret;

	for (unsigned int g = 0; g < ct->n_groups; g++)
		max = MAX(max, ct->groups[g].n_luns);
	view = calloc(max ? max : 1, sizeof(*view));
	ret = view ? srp_maps_create(ct->unknown_initiators ==
					     CONFIG_UNKNOWN_DEFAULT_MAP,
				     &m) :
		     -ENOMEM;
	if (ret)
		goto out;
	n = resolve_luns(ct->name, cfg, devs, ct->luns, ct->n_luns, mode, view);
	ret = srp_maps_set_luns(m, view, n);
	for (unsigned int g = 0; g < ct->n_groups && !ret; g++) {
		const struct config_group *cg = &ct->groups[g];

		n = resolve_luns(ct->name, cfg, devs, cg->luns, cg->n_luns,
				 mode, view);
		ret = srp_maps_add_group(m, cg->name,
					 (const uint8_t(*)[16])cg->initiators,
					 cg->n_initiators, view, n);
	}
out:
	free(view);
	if (ret) {
		srp_maps_free(m);
		m = NULL;
	}
	*out = m;
	return ret;
}

void daemon_target_identity(uint64_t node_guid, const struct config_target *ct,
			    unsigned int index, struct srp_target_params *tp,
			    struct daemon_target_id *id)
{
	memset(tp, 0, sizeof(*tp));
	tp->name = ct->name;
	tp->id_ext = ct->id_ext_auto ? node_guid : ct->id_ext;
	tp->ioc_guid = ct->ioc_guid_auto ? node_guid : ct->ioc_guid;
	tp->ioc_guid_per_hca = ct->ioc_guid_auto;
	tp->ports = (const char(*)[64])ct->ports;
	tp->n_ports = ct->n_ports;
	tp->unknown_default_map = ct->unknown_initiators ==
				  CONFIG_UNKNOWN_DEFAULT_MAP;
	tp->rel_tgt_port_id = ct->relative_port_id ?
				      (uint16_t)ct->relative_port_id :
				      (uint16_t)(index + 1);
	id->id_ext = tp->id_ext;
	id->ioc_guid = tp->ioc_guid;
	id->per_hca = tp->ioc_guid_per_hca;
	id->rtpi = tp->rel_tgt_port_id;
	id->ports = fp_add(0xcbf29ce484222325ULL, &tp->n_ports,
			   sizeof(tp->n_ports));
	id->ports = fp_add(id->ports, ct->ports,
			   (size_t)ct->n_ports * sizeof(*ct->ports));
}

const char *daemon_target_id_change(const struct daemon_target_id *a,
				    const struct daemon_target_id *b)
{
	if (a->id_ext != b->id_ext)
		return "id_ext";
	if (a->ioc_guid != b->ioc_guid || a->per_hca != b->per_hca)
		return "ioc_guid";
	if (a->ports != b->ports)
		return "ports";
	if (a->rtpi != b->rtpi)
		return "relative target port id (relative_port_id or the position in the configuration)";
	return NULL;
}
