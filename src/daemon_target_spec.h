/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What a target entry of the configuration becomes: the identity
 * initiators log in to and the LUN maps over the open devices.  Pure
 * functions of the config and the device set; daemon_srp.c creates and
 * updates the running targets from them (doc/architecture.md "Live
 * changes").  Main thread only.
 */
#ifndef SRPTD_DAEMON_TARGET_SPEC_H
#define SRPTD_DAEMON_TARGET_SPEC_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct config_target;
struct device_set;
struct srp_maps;
struct srp_target_params;

/* What initiators log in to: a change needs a relogin. */
struct daemon_target_id {
	uint64_t id_ext, ioc_guid;
	bool per_hca; /* ioc_guid "auto" */
	uint16_t rtpi; /* relative target port id: key or config position */
	uint64_t ports; /* hash of the ports selectors */
};

/*
 * How daemon_target_maps() treats devices: LOG and QUIET take the open
 * devices (logging the offline ones or not); NEXT takes what
 * devices_sync() will keep, leaving out devices it will open anew, to see
 * which LUNs a change takes from the running nexuses.
 */
enum daemon_resolve_mode {
	DAEMON_RESOLVE_LOG,
	DAEMON_RESOLVE_QUIET,
	DAEMON_RESOLVE_NEXT,
};

/*
 * The maps of ct (default map, groups, unknown-initiator policy) over
 * devs into *out (srp_maps_free() it).  LUNs of offline devices are left
 * out.  0 or -errno (*out NULL).
 */
int daemon_target_maps(const struct config *cfg, const struct device_set *devs,
		       const struct config_target *ct,
		       enum daemon_resolve_mode mode, struct srp_maps **out);

/*
 * The identity of target ct (index: its position in the config) into tp
 * (srp_target_create()'s parameters; tp points into ct) and id.
 * node_guid stands for the "auto" id_ext and ioc_guid.  A change of any
 * of it needs a relogin.
 */
void daemon_target_identity(uint64_t node_guid, const struct config_target *ct,
			    unsigned int index, struct srp_target_params *tp,
			    struct daemon_target_id *id);

/* The name of the first identity field that differs, or NULL. */
const char *daemon_target_id_change(const struct daemon_target_id *a,
				    const struct daemon_target_id *b);

#endif
