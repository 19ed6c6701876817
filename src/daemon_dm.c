/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's Device Management side; see daemon_dm.h.
 *
 * The agent's table is rebuilt from scratch on every apply: for each RDMA
 * device the fabric uses, slot n is cfg->targets[n-1], advertised with the
 * target port id the target answers to on that device
 * (srp_target_port_ids(): with ioc_guid "auto", that HCA's node GUID) and
 * present on the ports its targets.ports selects.  A target that is not
 * running keeps its slot, empty.  A device whose node GUID the fabric
 * does not know yet is left out.  The agent only hears of a table that
 * differs from the last one; otherwise it only re-checks its ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon_dm.h"
#include "daemon_srp.h"
#include "fabric/dm.h"
#include "fabric/verbs.h"
#include "log.h"
#include "srp/srp_engine.h"
#include "util.h"

#define DAEMON_DM_MAX_DEVS 16

struct daemon_dm {
	struct loop *loop;
	struct dm_agent *agent;
	bool ib_cm_off_logged;
	/* The table last given to the agent (owned). */
	struct dm_table last;
	struct dm_device *devs;
	struct dm_ioc *slots; /* n_devs * n_slots */
};

int daemon_dm_create(struct loop *loop, struct daemon_dm **out)
{
	struct daemon_dm *dm = calloc(1, sizeof(*dm));

	if (!dm)
		return -ENOMEM;
	dm->loop = loop;
	*out = dm;
	return 0;
}

static void dm_table_free(struct daemon_dm *dm)
{
	free(dm->devs);
	free(dm->slots);
	dm->devs = NULL;
	dm->slots = NULL;
	memset(&dm->last, 0, sizeof(dm->last));
}

void daemon_dm_stop(struct daemon_dm *dm)
{
	if (!dm || !dm->agent)
		return;
	dm_agent_destroy(dm->agent);
	dm->agent = NULL;
	dm_table_free(dm);
}

void daemon_dm_destroy(struct daemon_dm *dm)
{
	daemon_dm_stop(dm);
	free(dm);
}

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

/*
 * The table for cfg and s into *t (devs and slots allocated); 0 or
 * -ENOMEM.  Devices: those the fabric uses, at most DAEMON_DM_MAX_DEVS.
 */
static int build_table(const struct config *cfg, const struct daemon_srp *s,
		       struct dm_table *t, struct dm_device **devs_out,
		       struct dm_ioc **slots_out)
{
	unsigned int n_slots = MIN(cfg->n_targets, DM_MAX_SLOTS), n_devs = 0;
	char names[DAEMON_DM_MAX_DEVS * 65] = "", *save = NULL, *name;
	uint64_t sid = daemon_srp_ib_service_id(cfg);
	struct dm_device *devs;
	struct dm_ioc *slots;

	devs = calloc(DAEMON_DM_MAX_DEVS, sizeof(*devs));
	slots = calloc((size_t)DAEMON_DM_MAX_DEVS * (n_slots ? n_slots : 1),
		       sizeof(*slots));
	if (!devs || !slots) {
		free(devs);
		free(slots);
		return -ENOMEM;
	}
	daemon_srp_rdma_devices(s, names, sizeof(names));
	for (name = strtok_r(names, " ", &save);
	     name && n_devs < DAEMON_DM_MAX_DEVS;
	     name = strtok_r(NULL, " ", &save)) {
		struct dm_device *d = &devs[n_devs];
		struct dm_ioc *ds = &slots[(size_t)n_devs * n_slots];
		struct fabric_port_ref via = { .port = 1 };

		/*
		 * The GUID the fabric opened the device with: the one its
		 * targets answer to there.  Unknown (no port yet): left out,
		 * rather than advertised with another HCA's IOC GUID.
		 */
		via.node_guid = daemon_srp_node_guid(s, name);
		if (!via.node_guid)
			continue;
		snprintf(d->name, sizeof(d->name), "%s", name);
		snprintf(via.dev_name, sizeof(via.dev_name), "%s", name);
		for (unsigned int i = 0; i < n_slots; i++) {
			const struct srp_target *tg = daemon_srp_target(s, i);
			uint8_t ids[SRP_TARGET_MAX_PORT_IDS][16];

			if (!tg)
				continue; /* not running: an empty slot */
			/* The first id is the one for this HCA. */
			srp_target_port_ids(tg, &via, ids);
			ds[i].id_ext = get_be64(ids[0]);
			ds[i].guid = get_be64(ids[0] + 8);
			ds[i].service_id = sid;
			ds[i].ports = target_ports(&cfg->targets[i], name);
		}
		d->n_slots = n_slots;
		d->slots = ds;
		n_devs++;
	}
	memset(t, 0, sizeof(*t));
	build_caps(cfg, &t->caps);
	t->n_devs = n_devs;
	t->devs = devs;
	*devs_out = devs;
	*slots_out = slots;
	return 0;
}

static bool table_equal(const struct dm_table *a, const struct dm_table *b)
{
	if (a->n_devs != b->n_devs ||
	    memcmp(&a->caps, &b->caps, sizeof(a->caps)))
		return false;
	for (unsigned int i = 0; i < a->n_devs; i++) {
		const struct dm_device *x = &a->devs[i], *y = &b->devs[i];

		if (strcmp(x->name, y->name) || x->n_slots != y->n_slots ||
		    (x->n_slots && memcmp(x->slots, y->slots,
					  x->n_slots * sizeof(*x->slots))))
			return false;
	}
	return true;
}

static int start_agent(struct daemon_dm *dm, const struct config *cfg)
{
	struct dm_agent_params p = {
		.loop = dm->loop,
		.ports = (const char(*)[64])cfg->fabric.ports,
		.n_ports = cfg->fabric.n_ports,
	};
	int ret = dm_agent_create(&p, &dm->agent);

	if (ret) {
		pr_err("cannot start the Device Management agent: %s",
		       strerror(-ret));
		return ret;
	}
	pr_info("Device Management agent on: answering ibsrpdm and srp_daemon on InfiniBand and RoCE ports");
	return 0;
}

void daemon_dm_apply(struct daemon_dm *dm, const struct config *cfg,
		     const struct daemon_srp *s)
{
	struct dm_device *devs;
	struct dm_ioc *slots;
	struct dm_table t;

	/* Without IB/CM, no service to advertise: the agent stays off. */
	if (cfg->fabric.dm_agent && !cfg->fabric.ib_cm_enabled &&
	    !dm->ib_cm_off_logged)
		pr_notice(
			"fabric.dm_agent is on but fabric.ib_cm.enabled is off: no Device Management agent (it advertises IB/CM logins)");
	dm->ib_cm_off_logged = cfg->fabric.dm_agent &&
			       !cfg->fabric.ib_cm_enabled;
	if (!cfg->fabric.dm_agent || !cfg->fabric.ib_cm_enabled ||
	    !daemon_srp_fabric_up(s)) {
		if (dm->agent)
			pr_info("Device Management agent off");
		daemon_dm_stop(dm);
		return;
	}
	if (!dm->agent && start_agent(dm, cfg))
		return;
	if (build_table(cfg, s, &t, &devs, &slots)) {
		pr_err("Device Management agent: out of memory; keeping its table");
		return;
	}
	if (dm->devs && table_equal(&t, &dm->last)) {
		free(devs);
		free(slots);
		/* Nothing else may have changed the ports' IsDM bit. */
		dm_agent_refresh(dm->agent);
		return;
	}
	if (dm_agent_set_table(dm->agent, &t)) {
		pr_err("Device Management agent: out of memory; keeping its table");
		free(devs);
		free(slots);
		return;
	}
	dm_table_free(dm);
	memcpy(&dm->last, &t, sizeof(t)); /* padding too: table_equal */
	dm->devs = devs;
	dm->slots = slots;
	pr_info("Device Management agent: %u controller slot(s) on %u RDMA device(s), %u port(s) answering, change ID %u",
		MIN(cfg->n_targets, DM_MAX_SLOTS), t.n_devs,
		dm_agent_ports_serving(dm->agent),
		dm_agent_change_id(dm->agent));
}

void daemon_dm_port_event(struct daemon_dm *dm)
{
	if (dm && dm->agent)
		dm_agent_refresh(dm->agent);
}
