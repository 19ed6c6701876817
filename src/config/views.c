/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Lookups for logins: the target a login addresses and the LUN view of an
 * initiator (srptd.conf(5) LUN MASKING).
 */
#include <errno.h>
#include <string.h>

#include "config/config.h"

const struct config_device *config_find_device(const struct config *cfg,
					       const char *name)
{
	for (unsigned int i = 0; i < cfg->n_devices; i++)
		if (!strcmp(cfg->devices[i].name, name))
			return &cfg->devices[i];
	return NULL;
}

const struct config_target *config_find_target(const struct config *cfg,
					       const char *name)
{
	for (unsigned int i = 0; i < cfg->n_targets; i++)
		if (!strcmp(cfg->targets[i].name, name))
			return &cfg->targets[i];
	return NULL;
}

int config_lun_view(const struct config_target *t, const uint8_t gid[16],
		    const struct config_lun **luns, unsigned int *n_luns,
		    const struct config_group **group)
{
	/* A GID is in at most one group of a target (checked at load). */
	for (unsigned int g = 0; g < t->n_groups; g++) {
		const struct config_group *gr = &t->groups[g];

		for (unsigned int i = 0; i < gr->n_initiators; i++) {
			if (memcmp(gr->initiators[i], gid, 16))
				continue;
			*luns = gr->luns;
			*n_luns = gr->n_luns;
			*group = gr;
			return 0;
		}
	}
	if (t->unknown_initiators != CONFIG_UNKNOWN_DEFAULT_MAP)
		return -EACCES; /* default deny */
	*luns = t->luns;
	*n_luns = t->n_luns;
	*group = NULL;
	return 0;
}

const struct config_target *config_find_target_by_id(const struct config *cfg,
						     uint64_t id_ext,
						     uint64_t ioc_guid,
						     uint64_t node_guid)
{
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];
		uint64_t e = t->id_ext_auto ? node_guid : t->id_ext;
		uint64_t g = t->ioc_guid_auto ? node_guid : t->ioc_guid;

		if (e == id_ext && g == ioc_guid)
			return t;
	}
	return NULL;
}
