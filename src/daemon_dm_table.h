/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The table the DM agent serves (src/fabric/dm.h struct dm_table), built
 * from the configuration alone: slot n of every device is
 * cfg->targets[n-1], with the identity that target answers to on that
 * device (doc/discovery.md "What the agent serves").  The same rules as
 * the running targets (src/daemon_srp.c build_target,
 * srp_target_port_ids()): id_ext "auto" is the first HCA's node GUID,
 * ioc_guid "auto" the node GUID of the device the slot is on.  No I/O:
 * the daemon feeds it the devices, from its verbs fabric or, without one,
 * from the MAD stack.  Main thread only.
 */
#ifndef SRPTD_DAEMON_DM_TABLE_H
#define SRPTD_DAEMON_DM_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric/dm.h"

struct config;

#define DAEMON_DM_MAX_DEVS 16

/* One RDMA device the agent serves. */
struct daemon_dm_dev {
	char name[64];
	uint64_t node_guid; /* host order; what ioc_guid "auto" is there */
};

/* A built table and the storage it points into (owned). */
struct daemon_dm_table {
	struct dm_table t;
	struct dm_device *devs;
	struct dm_ioc *slots; /* t.n_devs * slots per device */
};

/*
 * The table for cfg on devs[0..n_devs) (at most DAEMON_DM_MAX_DEVS are
 * used) into *out.  first_guid: what id_ext "auto" stands for.  A slot
 * is present when present(ctx, i) says target i runs (NULL: every
 * configured target), on the ports its targets.ports selects; the
 * service id is sid for every slot.  0 or -ENOMEM.
 */
int daemon_dm_table_build(const struct config *cfg,
			  const struct daemon_dm_dev *devs, unsigned int n_devs,
			  uint64_t first_guid, uint64_t sid,
			  bool (*present)(const void *ctx, unsigned int i),
			  const void *ctx, struct daemon_dm_table *out);
bool daemon_dm_table_equal(const struct daemon_dm_table *a,
			   const struct daemon_dm_table *b);
void daemon_dm_table_free(struct daemon_dm_table *t);

/*
 * The devices the MAD stack lists, through ops (no verbs device needed),
 * into devs (at most max); *first_guid: the first one's node GUID, what
 * id_ext "auto" stands for.  A device that vanished meanwhile is left
 * out.  Returns how many (0: none) or -errno from the listing.
 */
int daemon_dm_mad_devices(const struct dm_transport_ops *ops,
			  struct daemon_dm_dev *devs, unsigned int max,
			  uint64_t *first_guid);

#endif
