/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A deep copy of a config, for runtime changes (srptadm device/lun): the
 * daemon builds the next config from the running one plus the change and
 * applies it like a reload.  Also the defaults of a device defined at run
 * time, the same the loader gives a device in a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"

/* *dst = a copy of n items of size bytes at src (NULL when n == 0). */
static int cfg_dup(void *dst, const void *src, size_t n, size_t size)
{
	void *p = NULL;

	if (n) {
		p = malloc(n * size);
		if (!p)
			return -ENOMEM;
		memcpy(p, src, n * size);
	}
	memcpy(dst, &p, sizeof(p));
	return 0;
}

static int cfg_clone_target(struct config_target *t,
			    const struct config_target *s)
{
	*t = *s;
	t->ports = NULL;
	t->luns = NULL;
	t->groups = NULL;
	t->n_groups = 0;
	if (cfg_dup(&t->ports, s->ports, s->n_ports, sizeof(*s->ports)) ||
	    cfg_dup(&t->luns, s->luns, s->n_luns, sizeof(*s->luns)))
		return -ENOMEM;
	if (cfg_dup(&t->groups, s->groups, s->n_groups, sizeof(*s->groups)))
		return -ENOMEM;
	for (unsigned int g = 0; g < s->n_groups; g++) {
		struct config_group *cg = &t->groups[g];

		cg->initiators = NULL;
		cg->luns = NULL;
		t->n_groups = g + 1;
		if (cfg_dup(&cg->initiators, s->groups[g].initiators,
			    s->groups[g].n_initiators, 16) ||
		    cfg_dup(&cg->luns, s->groups[g].luns, s->groups[g].n_luns,
			    sizeof(*cg->luns)))
			return -ENOMEM;
	}
	return 0;
}

int config_clone(const struct config *src, struct config **out)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *src;
	c->fabric.ports = NULL;
	c->fabric.listen = NULL;
	c->devices = NULL;
	c->targets = NULL;
	c->n_targets = 0;
	if (cfg_dup(&c->fabric.ports, src->fabric.ports, src->fabric.n_ports,
		    sizeof(*src->fabric.ports)) ||
	    cfg_dup(&c->fabric.listen, src->fabric.listen, src->fabric.n_listen,
		    sizeof(*src->fabric.listen)) ||
	    cfg_dup(&c->devices, src->devices, src->n_devices,
		    sizeof(*src->devices)) ||
	    cfg_dup(&c->targets, src->targets, src->n_targets,
		    sizeof(*src->targets)))
		goto err;
	for (unsigned int i = 0; i < src->n_targets; i++) {
		c->n_targets = i + 1;
		if (cfg_clone_target(&c->targets[i], &src->targets[i]))
			goto err;
	}
	*out = c;
	return 0;
err:
	config_free(c);
	return -ENOMEM;
}

int config_device_defaults(const struct config *cfg, struct config_device *d)
{
	memset(d, 0, sizeof(*d));
	return cfg_keys_default(&cfg_devices, d, cfg);
}
