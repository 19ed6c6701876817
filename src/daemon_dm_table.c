/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The DM agent's table from the configuration; see daemon_dm_table.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon_dm_table.h"
#include "fabric/verbs.h"
#include "srp/srp_engine.h"
#include "util.h"

/* Ports of dev that target ct is exported on (targets.ports). */
static uint64_t target_ports(const struct config_target *ct, const char *dev)
{
	uint64_t mask = 0;

	for (unsigned int p = 1; p <= 64; p++)
		for (unsigned int k = 0; k < ct->n_ports; k++)
			if (fabric_verbs_port_match(ct->ports[k], dev, p))
				mask |= 1ull << (p - 1);
	return mask;
}

static void build_caps(const struct config *cfg, struct dm_ioc_caps *caps)
{
	struct srp_engine_params ep;

	/* What a channel gets: credits, READs in flight (the engine's). */
	srp_engine_params_default(&ep);
	memset(caps, 0, sizeof(*caps));
	caps->send_queue_depth = (uint16_t)MIN(cfg->fabric.queue_depth, 0xffff);
	caps->rdma_read_depth = (uint8_t)MIN(ep.max_rd_atomic, 0xff);
	caps->send_size = cfg->fabric.max_req_size;
	caps->rdma_size = cfg->fabric.max_rdma_size;
	snprintf(caps->id_string, sizeof(caps->id_string), "%s",
		 cfg->fabric.dm_id_string);
}

int daemon_dm_table_build(const struct config *cfg,
			  const struct daemon_dm_dev *devs, unsigned int n_devs,
			  uint64_t first_guid, uint64_t sid,
			  bool (*present)(const void *ctx, unsigned int i),
			  const void *ctx, struct daemon_dm_table *out)
{
	unsigned int n_slots = MIN(cfg->n_targets, DM_MAX_SLOTS);

	memset(out, 0, sizeof(*out));
	n_devs = MIN(n_devs, DAEMON_DM_MAX_DEVS);
	out->devs = calloc(n_devs ? n_devs : 1, sizeof(*out->devs));
	out->slots =
		calloc((size_t)(n_devs ? n_devs : 1) * (n_slots ? n_slots : 1),
		       sizeof(*out->slots));
	if (!out->devs || !out->slots) {
		daemon_dm_table_free(out);
		return -ENOMEM;
	}
	for (unsigned int d = 0; d < n_devs; d++) {
		struct dm_ioc *ds = &out->slots[(size_t)d * n_slots];

		snprintf(out->devs[d].name, sizeof(out->devs[d].name), "%s",
			 devs[d].name);
		for (unsigned int i = 0; i < n_slots; i++) {
			const struct config_target *ct = &cfg->targets[i];

			if (present && !present(ctx, i))
				continue; /* not running: an empty slot */
			/*
			 * The target port id a login through this device
			 * must carry (srp_target_port_ids(): with "auto"
			 * ioc_guid, this HCA's node GUID).
			 */
			ds[i].id_ext = ct->id_ext_auto ? first_guid :
							 ct->id_ext;
			ds[i].guid = ct->ioc_guid_auto ? devs[d].node_guid :
							 ct->ioc_guid;
			ds[i].service_id = sid;
			ds[i].ports = target_ports(ct, devs[d].name);
		}
		out->devs[d].n_slots = n_slots;
		out->devs[d].slots = ds;
	}
	build_caps(cfg, &out->t.caps);
	out->t.n_devs = n_devs;
	out->t.devs = out->devs;
	return 0;
}

bool daemon_dm_table_equal(const struct daemon_dm_table *a,
			   const struct daemon_dm_table *b)
{
	if (a->t.n_devs != b->t.n_devs ||
	    memcmp(&a->t.caps, &b->t.caps, sizeof(a->t.caps)))
		return false;
	for (unsigned int i = 0; i < a->t.n_devs; i++) {
		const struct dm_device *x = &a->devs[i], *y = &b->devs[i];

		if (strcmp(x->name, y->name) || x->n_slots != y->n_slots ||
		    (x->n_slots && memcmp(x->slots, y->slots,
					  x->n_slots * sizeof(*x->slots))))
			return false;
	}
	return true;
}

void daemon_dm_table_free(struct daemon_dm_table *t)
{
	free(t->devs);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

int daemon_dm_mad_devices(const struct dm_transport_ops *ops,
			  struct daemon_dm_dev *devs, unsigned int max,
			  uint64_t *first_guid)
{
	char names[DAEMON_DM_MAX_DEVS][64];
	struct dm_dev_info info;
	unsigned int n = 0;
	int k = ops->dev_list(names, DAEMON_DM_MAX_DEVS);

	*first_guid = 0;
	if (k < 0)
		return k;
	for (int i = 0; i < k && n < max; i++) {
		if (ops->dev_query(names[i], &info))
			continue; /* gone since the listing */
		snprintf(devs[n].name, sizeof(devs[n].name), "%s", names[i]);
		devs[n].node_guid = info.node_guid;
		if (!n)
			*first_guid = info.node_guid;
		n++;
	}
	return (int)n;
}
