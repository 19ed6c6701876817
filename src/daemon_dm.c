/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's Device Management side; see daemon_dm.h.
 *
 * The agent's table (src/daemon_dm_table.c) is rebuilt from scratch on
 * every apply.  With the verbs fabric up: on each RDMA device the fabric
 * uses, a target that is not running keeps its slot, empty; a device
 * whose node GUID the fabric does not know yet is left out.  Without it
 * (no verbs device can be opened, or none yet): on each device the MAD
 * stack (libibumad) lists, every configured target, since the agent needs
 * only the umad ports and their attributes (doc/discovery.md).  The agent
 * only hears of a table that differs from the last one; otherwise it only
 * re-checks its ports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon_dm.h"
#include "daemon_dm_table.h"
#include "daemon_srp.h"
#include "fabric/dm.h"
#include "log.h"
#include "util.h"

struct daemon_dm {
	struct loop *loop;
	struct dm_agent *agent;
	bool ib_cm_off_logged;
	bool no_verbs; /* the table last given came from the MAD stack */
	struct daemon_dm_table last; /* the table last given to the agent */
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

void daemon_dm_stop(struct daemon_dm *dm)
{
	if (!dm || !dm->agent)
		return;
	dm_agent_destroy(dm->agent);
	dm->agent = NULL;
	daemon_dm_table_free(&dm->last);
}

void daemon_dm_destroy(struct daemon_dm *dm)
{
	daemon_dm_stop(dm);
	free(dm);
}

static bool target_running(const void *ctx, unsigned int i)
{
	return daemon_srp_target(ctx, i) != NULL;
}

/*
 * The devices the verbs fabric uses, each with the node GUID it opened
 * the device with: the one its targets answer to there.  A device whose
 * GUID is not known yet (no port yet) is left out, rather than
 * advertised with another HCA's IOC GUID.
 */
static unsigned int fabric_devices(const struct daemon_srp *s,
				   struct daemon_dm_dev *devs)
{
	char names[DAEMON_DM_MAX_DEVS * 65] = "", *save = NULL, *name;
	unsigned int n = 0;

	daemon_srp_rdma_devices(s, names, sizeof(names));
	for (name = strtok_r(names, " ", &save); name && n < DAEMON_DM_MAX_DEVS;
	     name = strtok_r(NULL, " ", &save)) {
		devs[n].node_guid = daemon_srp_node_guid(s, name);
		if (!devs[n].node_guid)
			continue;
		snprintf(devs[n].name, sizeof(devs[n].name), "%s", name);
		n++;
	}
	return n;
}

/*
 * The table for cfg: from the verbs fabric's devices and running targets
 * when it is up; otherwise from the devices the MAD stack lists, every
 * configured target present (the agent needs no verbs device).
 */
static int build_table(const struct config *cfg, const struct daemon_srp *s,
		       struct daemon_dm_table *t, bool *no_verbs)
{
	struct daemon_dm_dev devs[DAEMON_DM_MAX_DEVS];
	uint64_t sid = daemon_srp_ib_service_id(cfg), first;
	int n;

	*no_verbs = !daemon_srp_fabric_up(s);
	if (!*no_verbs)
		return daemon_dm_table_build(cfg, devs, fabric_devices(s, devs),
					     daemon_srp_first_guid(s), sid,
					     target_running, s, t);
	n = daemon_dm_mad_devices(&dm_umad_ops, devs, DAEMON_DM_MAX_DEVS,
				  &first);
	return daemon_dm_table_build(cfg, devs, n > 0 ? (unsigned int)n : 0,
				     first, sid, NULL, NULL, t);
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
	struct daemon_dm_table t;
	char ports[256];
	bool no_verbs;

	/* Without IB/CM, no service to advertise: the agent stays off. */
	if (cfg->fabric.dm_agent && !cfg->fabric.ib_cm_enabled &&
	    !dm->ib_cm_off_logged)
		pr_notice(
			"fabric.dm_agent is on but fabric.ib_cm.enabled is off: no Device Management agent (it advertises IB/CM logins)");
	dm->ib_cm_off_logged = cfg->fabric.dm_agent &&
			       !cfg->fabric.ib_cm_enabled;
	if (!cfg->fabric.dm_agent || !cfg->fabric.ib_cm_enabled) {
		if (dm->agent)
			pr_info("Device Management agent off");
		daemon_dm_stop(dm);
		return;
	}
	if (!dm->agent && start_agent(dm, cfg))
		return;
	if (build_table(cfg, s, &t, &no_verbs)) {
		pr_err("Device Management agent: out of memory; keeping its table");
		return;
	}
	if (dm->last.devs && no_verbs == dm->no_verbs &&
	    daemon_dm_table_equal(&t, &dm->last)) {
		daemon_dm_table_free(&t);
		/* Nothing else may have changed the ports' IsDM bit. */
		dm_agent_refresh(dm->agent);
		return;
	}
	if (dm_agent_set_table(dm->agent, &t.t)) {
		pr_err("Device Management agent: out of memory; keeping its table");
		daemon_dm_table_free(&t);
		return;
	}
	daemon_dm_table_free(&dm->last);
	memcpy(&dm->last, &t, sizeof(t)); /* padding too: table_equal */
	dm->no_verbs = no_verbs;
	dm_agent_ports_str(dm->agent, ports, sizeof(ports));
	pr_info("Device Management agent: serving %s%s; %u controller slot(s) on %u RDMA device(s), change ID %u",
		ports[0] ? ports : "no port yet",
		no_verbs ? " (no verbs fabric: devices from the MAD stack)" :
			   "",
		MIN(cfg->n_targets, DM_MAX_SLOTS), t.t.n_devs,
		dm_agent_change_id(dm->agent));
}

void daemon_dm_port_event(struct daemon_dm *dm)
{
	if (dm && dm->agent)
		dm_agent_refresh(dm->agent);
}
