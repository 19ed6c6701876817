/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Runtime changes of devices and LUN maps (srptadm device / lun, through
 * the control socket): each builds the next config from the running one
 * plus the change, checks it, and applies it with daemon_apply_config(),
 * the path of a reload (doc/architecture.md "Live changes").  Nothing is
 * written to the configuration file: a later reload re-reads the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "daemon_change.h"

/* Report why a change is refused before anything was applied. */
#define refuse(rep, err, ...) \
	(daemon_report_add(rep, __VA_ARGS__), (rep)->refused = true, (err))

static int device_index(const struct config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_devices; i++)
		if (!strcmp(cfg->devices[i].name, name))
			return (int)i;
	return -1;
}

/* The next config, a copy of the running one. */
static int next_config(struct daemon *d, struct config **next,
		       struct daemon_change_report *rep)
{
	if (config_clone(daemon_running_config(d), next))
		return refuse(rep, -ENOMEM, "out of memory");
	return 0;
}

/* The map of target (group NULL or "": the default map) in cfg. */
static int find_map(struct config *cfg, const char *target, const char *group,
		    struct config_lun ***luns, unsigned int **n,
		    struct daemon_change_report *rep)
{
	struct config_target *t = NULL;

	for (unsigned int i = 0; i < cfg->n_targets && !t; i++)
		if (!strcmp(cfg->targets[i].name, target))
			t = &cfg->targets[i];
	if (!t)
		return refuse(rep, -ENOENT, "no target \"%s\"", target);
	if (!group || !*group) {
		*luns = &t->luns;
		*n = &t->n_luns;
		return 0;
	}
	for (unsigned int g = 0; g < t->n_groups; g++)
		if (!strcmp(t->groups[g].name, group)) {
			*luns = &t->groups[g].luns;
			*n = &t->groups[g].n_luns;
			return 0;
		}
	return refuse(rep, -ENOENT, "target %s has no group \"%s\"", target,
		      group);
}

int daemon_device_add(struct daemon *d, const struct daemon_device_spec *s,
		      unsigned int flags, struct daemon_change_report *rep,
		      const struct daemon_change_waiter *w)
{
	struct config *next;
	struct config_device dev, *nd;
	struct stat st;
	int ret;

	if (!s->name[0] || strlen(s->name) >= sizeof(dev.name))
		return refuse(rep, -EINVAL, "bad device name \"%s\"", s->name);
	if (device_index(daemon_running_config(d), s->name) >= 0)
		return refuse(rep, -EEXIST, "device \"%s\" exists already",
			      s->name);
	if (s->path && strlen(s->path) >= sizeof(dev.path))
		return refuse(rep, -EINVAL, "path too long");
	if (config_device_defaults(daemon_running_config(d), &dev))
		return refuse(rep, -ENOMEM, "out of memory");
	snprintf(dev.name, sizeof(dev.name), "%s", s->name);
	snprintf(dev.path, sizeof(dev.path), "%s", s->path ? s->path : "");
	snprintf(dev.file, sizeof(dev.file), "%s", "(srptadm)");
	if (s->engine && *s->engine) {
		unsigned int e;

		for (e = 0; e < CONFIG_ENGINE_COUNT; e++)
			if (!strcmp(config_engine_name(e), s->engine))
				break;
		if (e == CONFIG_ENGINE_COUNT)
			return refuse(rep, -EINVAL, "unknown engine \"%s\"",
				      s->engine);
		dev.engine = e;
		dev.n_fallback = 0;
	} else if (!dev.path[0]) {
		dev.engine = CONFIG_ENGINE_NULL;
		dev.n_fallback = 0;
	}
	if (!dev.path[0] && dev.engine != CONFIG_ENGINE_NULL)
		return refuse(rep, -EINVAL,
			      "engine %s needs a path (only null has none)",
			      config_engine_name(dev.engine));
	if (dev.engine == CONFIG_ENGINE_NULL && !s->size)
		return refuse(rep, -EINVAL, "a null device needs a size");
	/*
	 * srptadm creates no file (man/srptadm.8 device add): a path that is
	 * not there is most likely a typo, refused rather than left offline.
	 */
	if (dev.path[0] && stat(dev.path, &st)) {
		int err = errno;

		return refuse(rep, -err, "device %s: %s: %s", dev.name,
			      dev.path, strerror(err));
	}
	if (s->size % 512)
		return refuse(rep, -EINVAL,
			      "size is not a multiple of 512 bytes");
	dev.size = s->size;
	dev.read_only = s->read_only;
	ret = next_config(d, &next, rep);
	if (ret)
		return ret;
	nd = realloc(next->devices, (next->n_devices + 1) * sizeof(*nd));
	if (!nd) {
		config_free(next);
		return refuse(rep, -ENOMEM, "out of memory");
	}
	next->devices = nd;
	next->devices[next->n_devices++] = dev;
	return daemon_apply_config(d, next, flags, rep, w);
}

/* Where device idx is mapped in cfg, for the refusal; NULL if nowhere. */
static const char *device_mapped(const struct config *cfg, unsigned int idx,
				 char *buf, size_t len)
{
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];

		for (unsigned int k = 0; k < t->n_luns; k++)
			if (t->luns[k].device == idx) {
				snprintf(buf, len, "LUN %llu of target %s",
					 (unsigned long long)t->luns[k].lun,
					 t->name);
				return buf;
			}
		for (unsigned int g = 0; g < t->n_groups; g++)
			for (unsigned int k = 0; k < t->groups[g].n_luns; k++)
				if (t->groups[g].luns[k].device == idx) {
					snprintf(
						buf, len,
						"LUN %llu of group %s of target %s",
						(unsigned long long)t->groups[g]
							.luns[k]
							.lun,
						t->groups[g].name, t->name);
					return buf;
				}
	}
	return NULL;
}

static void renumber(struct config_lun *luns, unsigned int n, unsigned int gone)
{
	for (unsigned int k = 0; k < n; k++)
		if (luns[k].device > gone)
			luns[k].device--;
}

int daemon_device_remove(struct daemon *d, const char *name, unsigned int flags,
			 struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w)
{
	int idx = device_index(daemon_running_config(d), name);
	struct config *next;
	char where[160];
	int ret;

	if (idx < 0)
		return refuse(rep, -ENOENT, "no device \"%s\"", name);
	if (device_mapped(daemon_running_config(d), idx, where,
			  sizeof(where))) {
		daemon_report_add(
			rep, "device %s is still mapped (%s): unmap it first",
			name, where);
		rep->refused = true;
		return -EBUSY;
	}
	ret = next_config(d, &next, rep);
	if (ret)
		return ret;
	memmove(&next->devices[idx], &next->devices[idx + 1],
		(next->n_devices - idx - 1) * sizeof(next->devices[0]));
	next->n_devices--;
	for (unsigned int i = 0; i < next->n_targets; i++) {
		struct config_target *t = &next->targets[i];

		renumber(t->luns, t->n_luns, idx);
		for (unsigned int g = 0; g < t->n_groups; g++)
			renumber(t->groups[g].luns, t->groups[g].n_luns, idx);
	}
	return daemon_apply_config(d, next, flags, rep, w);
}

int daemon_device_resize(struct daemon *d, const char *name, uint64_t size,
			 unsigned int flags, struct daemon_change_report *rep,
			 const struct daemon_change_waiter *w)
{
	int idx = device_index(daemon_running_config(d), name);
	struct config *next;
	int ret;

	if (idx < 0)
		return refuse(rep, -ENOENT, "no device \"%s\"", name);
	if (size % 512)
		return refuse(rep, -EINVAL,
			      "size is not a multiple of 512 bytes");
	ret = next_config(d, &next, rep);
	if (ret)
		return ret;
	next->devices[idx].size = size;
	return daemon_apply_config(d, next, flags, rep, w);
}

int daemon_lun_map(struct daemon *d, const struct daemon_lun_spec *s,
		   unsigned int flags, struct daemon_change_report *rep,
		   const struct daemon_change_waiter *w)
{
	struct config_lun **luns, *nl;
	struct config *next;
	unsigned int *n;
	int idx, ret;

	if (s->lun > 16383)
		return refuse(rep, -EINVAL, "LUN out of range (0..16383)");
	idx = device_index(daemon_running_config(d), s->device);
	if (idx < 0)
		return refuse(rep, -ENOENT, "no device \"%s\"", s->device);
	ret = next_config(d, &next, rep);
	if (ret)
		return ret;
	ret = find_map(next, s->target, s->group, &luns, &n, rep);
	for (unsigned int k = 0; !ret && k < *n; k++)
		if ((*luns)[k].lun == s->lun) {
			daemon_report_add(
				rep,
				"LUN %llu is mapped already (unmap it first)",
				(unsigned long long)s->lun);
			rep->refused = true;
			ret = -EEXIST;
		}
	if (ret) {
		config_free(next);
		return ret;
	}
	nl = realloc(*luns, (*n + 1) * sizeof(*nl));
	if (!nl) {
		config_free(next);
		return refuse(rep, -ENOMEM, "out of memory");
	}
	*luns = nl;
	/* Effective read-only: the entry's or the device's (config.h). */
	nl[(*n)++] = (struct config_lun){
		.lun = s->lun,
		.device = idx,
		.read_only = s->read_only || next->devices[idx].read_only,
	};
	return daemon_apply_config(d, next, flags, rep, w);
}

int daemon_lun_unmap(struct daemon *d, const struct daemon_lun_spec *s,
		     unsigned int flags, struct daemon_change_report *rep,
		     const struct daemon_change_waiter *w)
{
	struct config_lun **luns;
	struct config *next;
	unsigned int *n, k;
	int ret;

	ret = next_config(d, &next, rep);
	if (ret)
		return ret;
	ret = find_map(next, s->target, s->group, &luns, &n, rep);
	for (k = 0; !ret && k < *n; k++)
		if ((*luns)[k].lun == s->lun)
			break;
	if (!ret && k == *n) {
		daemon_report_add(rep, "LUN %llu is not mapped there",
				  (unsigned long long)s->lun);
		rep->refused = true;
		ret = -ENOENT;
	}
	if (ret) {
		config_free(next);
		return ret;
	}
	memmove(&(*luns)[k], &(*luns)[k + 1], (*n - k - 1) * sizeof(**luns));
	(*n)--;
	return daemon_apply_config(d, next, flags, rep, w);
}
