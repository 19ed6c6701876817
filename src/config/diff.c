/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reload support, driven by the key table (keys.c): which changed settings
 * need a restart, and whether a device is still the same storage object
 * (srptd.conf(5) RELOAD).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/internal.h"

bool cfg_key_equal(const struct cfg_key *k, const void *a, const void *b)
{
	const void *pa = cfg_key_cptr(k, a), *pb = cfg_key_cptr(k, b);
	unsigned int na = *(const unsigned int *)((const char *)a + k->off_n);
	unsigned int nb = *(const unsigned int *)((const char *)b + k->off_n);

	switch (k->type) {
	case CFG_T_VERSION:
	case CFG_T_U32:
	case CFG_T_BLOCK_SIZE:
		return *(const uint32_t *)pa == *(const uint32_t *)pb;
	case CFG_T_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case CFG_T_SIZE:
	case CFG_T_LUN:
		return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case CFG_T_DEVICE_REF:
		return *(const unsigned int *)pa == *(const unsigned int *)pb;
	case CFG_T_LOG_LEVEL:
		return *(const int *)pa == *(const int *)pb;
	case CFG_T_LOG_COMPONENTS:
		return *(const unsigned int *)pa == *(const unsigned int *)pb;
	case CFG_T_ENGINE:
		return *(const enum config_engine *)pa ==
		       *(const enum config_engine *)pb;
	case CFG_T_POLICY:
		return *(const enum config_unknown_policy *)pa ==
		       *(const enum config_unknown_policy *)pb;
	case CFG_T_ALUA_STATE:
		return *(const enum config_alua_state *)pa ==
		       *(const enum config_alua_state *)pb;
	case CFG_T_ALUA_PEERS:
		return cfg_alua_peers_equal(pa, pb);
	case CFG_T_RTPIS:
		return na == nb && !memcmp(pa, pb, na * sizeof(uint16_t));
	/* Strings are zero-filled (cfg_copy), so memcmp is exact. */
	case CFG_T_NAME:
	case CFG_T_PATH:
	case CFG_T_ADDRESS:
	case CFG_T_ASCII:
	case CFG_T_NAA:
		return !memcmp(pa, pb, k->size);
	case CFG_T_FALLBACK:
		return na == nb &&
		       !memcmp(pa, pb, na * sizeof(enum config_engine));
	case CFG_T_PORTS:
		return na == nb &&
		       !memcmp(*(char *const *)pa, *(char *const *)pb, na * 64);
	case CFG_T_LISTEN: {
		const struct config_listen *la =
			*(const struct config_listen *const *)pa;
		const struct config_listen *lb =
			*(const struct config_listen *const *)pb;

		if (na != nb)
			return false;
		for (unsigned int i = 0; i < na; i++)
			if (strcmp(la[i].addr, lb[i].addr) ||
			    la[i].port != lb[i].port)
				return false;
		return true;
	}
	case CFG_T_GUID:
		return *(const bool *)((const char *)a + k->off_n) ==
			       *(const bool *)((const char *)b + k->off_n) &&
		       *(const uint64_t *)pa == *(const uint64_t *)pb;
	case CFG_T_LIST:
	case CFG_T_LUN_MAP:
	case CFG_T_GIDS:
		break; /* compared by their owners (daemon.c, devices.c) */
	}
	return true;
}

unsigned int config_restart_changes(const struct config *old,
				    const struct config *new,
				    void (*cb)(void *arg, const char *key),
				    void *arg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cfg_top.n_keys; i++) {
		const struct cfg_key *k = &cfg_top.keys[i];

		if (k->reload != CFG_RELOAD_RESTART ||
		    cfg_key_equal(k, old, new))
			continue;
		n++;
		if (cb)
			cb(arg, k->path);
	}
	return n;
}

/* Every key but the one at offset skip (SIZE_MAX: none). */
static bool cfg_device_equal_skip(const struct config_device *a,
				  const struct config_device *b, size_t skip)
{
	/* Every key, the name included; not where it was defined. */
	for (unsigned int i = 0; i < cfg_devices.n_keys; i++)
		if (cfg_devices.keys[i].off != skip &&
		    !cfg_key_equal(&cfg_devices.keys[i], a, b))
			return false;
	return true;
}

bool config_device_equal(const struct config_device *a,
			 const struct config_device *b)
{
	return cfg_device_equal_skip(a, b, SIZE_MAX);
}

bool config_device_equal_but_size(const struct config_device *a,
				  const struct config_device *b)
{
	return cfg_device_equal_skip(a, b,
				     offsetof(struct config_device, size));
}
