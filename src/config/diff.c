/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Reload support: which changed settings need a restart, and whether a
 * device is still the same storage object (srptd.conf(5) RELOAD).
 */
#include <string.h>

#include "config/config.h"
#include "util.h"

static bool cfg_listen_equal(const struct config_fabric *a,
			     const struct config_fabric *b)
{
	if (a->n_listen != b->n_listen)
		return false;
	for (unsigned int i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i].addr, b->listen[i].addr) ||
		    a->listen[i].port != b->listen[i].port)
			return false;
	return true;
}

unsigned int config_restart_changes(const struct config *old,
				    const struct config *new,
				    void (*cb)(void *arg, const char *key),
				    void *arg)
{
	const struct config_fabric *a = &old->fabric, *b = &new->fabric;
	unsigned int n = 0;
	const struct {
		const char *key;
		bool changed;
	} keys[] = {
		{ "daemon.workers",
		  old->daemon.workers != new->daemon.workers },
		{ "daemon.control_socket",
		  strcmp(old->daemon.control_socket,
			 new->daemon.control_socket) != 0 },
		{ "daemon.metrics.listen",
		  strcmp(old->daemon.metrics_listen,
			 new->daemon.metrics_listen) != 0 },
		{ "fabric.ports",
		  a->n_ports != b->n_ports ||
			  memcmp(a->ports, b->ports,
				 a->n_ports * sizeof(a->ports[0])) != 0 },
		{ "fabric.ib_cm.enabled",
		  a->ib_cm_enabled != b->ib_cm_enabled },
		{ "fabric.rdma_cm.enabled",
		  a->rdma_cm_enabled != b->rdma_cm_enabled },
		{ "fabric.rdma_cm.listen", !cfg_listen_equal(a, b) },
		{ "fabric.dm_agent", a->dm_agent != b->dm_agent },
		{ "fabric.max_req_size", a->max_req_size != b->max_req_size },
		{ "fabric.max_rsp_size", a->max_rsp_size != b->max_rsp_size },
		{ "fabric.max_rdma_size",
		  a->max_rdma_size != b->max_rdma_size },
		{ "fabric.queue_depth", a->queue_depth != b->queue_depth },
		{ "fabric.use_srq", a->use_srq != b->use_srq },
		{ "fabric.srq_size", a->srq_size != b->srq_size },
		{ "fabric.send_queue_size",
		  a->send_queue_size != b->send_queue_size },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!keys[i].changed)
			continue;
		n++;
		if (cb)
			cb(arg, keys[i].key);
	}
	return n;
}

bool config_device_equal(const struct config_device *a,
			 const struct config_device *b)
{
	/* Strings are zero-filled (cfg_copy), so memcmp is exact. */
	return !memcmp(a->name, b->name, sizeof(a->name)) &&
	       !memcmp(a->path, b->path, sizeof(a->path)) &&
	       a->engine == b->engine && a->n_fallback == b->n_fallback &&
	       !memcmp(a->fallback, b->fallback,
		       a->n_fallback * sizeof(a->fallback[0])) &&
	       a->size == b->size && a->block_size == b->block_size &&
	       a->create == b->create && a->write_cache == b->write_cache &&
	       a->read_only == b->read_only && a->direct_io == b->direct_io &&
	       !memcmp(a->serial, b->serial, sizeof(a->serial)) &&
	       !memcmp(a->naa, b->naa, sizeof(a->naa)) &&
	       !memcmp(a->vendor, b->vendor, sizeof(a->vendor)) &&
	       !memcmp(a->product, b->product, sizeof(a->product)) &&
	       !memcmp(a->revision, b->revision, sizeof(a->revision));
}
