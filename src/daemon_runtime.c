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
#include "daemon.h"
#include "daemon_change.h"
#include "devices.h"
#include "util.h"

/* The keys device_kv() can give: name, path, engine, size, the rest. */
#define DEVICE_SPEC_MAX_KEYS 12

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

/* The keys of s as a devices entry of the file (config_device_parse()). */
static unsigned int device_kv(const struct daemon_device_spec *s,
			      struct config_kv *kv)
{
	static const char *const opt_names[] = { "rbd_image", "ceph_conf",
						 "ceph_client",
						 "ceph_keyring" };
	const char *const opt[] = { s->rbd_image, s->ceph_conf, s->ceph_client,
				    s->ceph_keyring };
	bool has_path = s->path && *s->path;
	unsigned int n = 0;

	kv[n++] = (struct config_kv){ "name", CONFIG_KV_STRING, .s = s->name };
	if (has_path)
		kv[n++] = (struct config_kv){ "path", CONFIG_KV_STRING,
					      .s = s->path };
	/*
	 * srptadm(8) without an engine: an image is the rbd engine's, no path
	 * a null device; a path takes backend_defaults as in the file.
	 */
	if (s->engine && *s->engine)
		kv[n++] = (struct config_kv){ "engine", CONFIG_KV_STRING,
					      .s = s->engine };
	else if (s->rbd_image)
		kv[n++] = (struct config_kv){ "engine", CONFIG_KV_STRING,
					      .s = "rbd" };
	else if (!has_path)
		kv[n++] = (struct config_kv){ "engine", CONFIG_KV_STRING,
					      .s = "null" };
	if (s->size)
		kv[n++] = (struct config_kv){ "size", CONFIG_KV_INT,
					      .i = (long long)s->size };
	if (s->read_only)
		kv[n++] = (struct config_kv){ "read_only", CONFIG_KV_BOOL,
					      .b = true };
	for (unsigned int i = 0; i < ARRAY_SIZE(opt); i++)
		if (opt[i])
			kv[n++] = (struct config_kv){ opt_names[i],
						      CONFIG_KV_STRING,
						      .s = opt[i] };
	if (s->ceph_timeout)
		kv[n++] = (struct config_kv){ "ceph_timeout", CONFIG_KV_INT,
					      .i = *s->ceph_timeout };
	if (s->write_cache)
		kv[n++] = (struct config_kv){ "write_cache", CONFIG_KV_BOOL,
					      .b = *s->write_cache };
	if (s->shared)
		kv[n++] = (struct config_kv){ "shared", CONFIG_KV_BOOL,
					      .b = *s->shared };
	return n;
}

/*
 * The device of spec s, checked as the file's entries are
 * (config_device_parse()); refusals to rep.
 */
static int device_from_spec(struct daemon *d,
			    const struct daemon_device_spec *s,
			    struct config_device *dev,
			    struct daemon_change_report *rep)
{
	struct config_kv kv[DEVICE_SPEC_MAX_KEYS];
	unsigned int n = device_kv(s, kv);
	struct config_errors *errs = calloc(1, sizeof(*errs));
	int ret;

	if (!errs)
		return refuse(rep, -ENOMEM, "out of memory");
	ret = config_device_parse(daemon_running_config(d), "(srptadm)", kv, n,
				  dev, errs);
	for (unsigned int i = 0; i < errs->n; i++)
		daemon_report_add(rep, "%s", errs->e[i].msg);
	if (ret && !errs->n)
		daemon_report_add(rep, "device %s: %s", s->name,
				  strerror(-ret));
	if (ret)
		rep->refused = true;
	free(errs);
	return ret;
}

/*
 * Device c was added and opened, or it stays offline: then it goes again
 * and the add is refused (man/srptadm.8 device add): an image or file
 * that cannot be opened is a mistake to report, not a device to keep.
 * Adding a device never waits (it is in no LUN map), nor does taking it
 * out.
 */
static int device_added(struct daemon *d, const struct config_device *c,
			struct daemon_change_report *rep)
{
	const struct device *dev = devices_find(daemon_get_devices(d), c->name);
	struct daemon_change_report undo = { 0 };
	int err;

	if (!dev || dev->state == DEVICE_ONLINE)
		return 0;
	err = dev->open_error ? dev->open_error : -EIO;
	daemon_report_free(rep);
	*rep = (struct daemon_change_report){ 0 };
	if (c->engine == CONFIG_ENGINE_RBD)
		daemon_report_add(
			rep,
			"device %s: cannot open rbd image %s as client.%s (%s): %s; not added (srptd's log says which step failed)",
			c->name, c->rbd_image,
			c->ceph_client[0] ? c->ceph_client : "admin",
			c->ceph_conf[0] ? c->ceph_conf : "default ceph.conf",
			strerror(-err));
	else
		daemon_report_add(rep,
				  "device %s: cannot open %s: %s; not added",
				  c->name, c->path[0] ? c->path : "(null)",
				  strerror(-err));
	if (daemon_device_remove(d, c->name, 0, &undo, NULL))
		for (unsigned int i = 0; i < undo.n; i++)
			daemon_report_add(rep, "%s", undo.lines[i]);
	daemon_report_free(&undo);
	rep->refused = true;
	return err;
}

int daemon_device_add(struct daemon *d, const struct daemon_device_spec *s,
		      unsigned int flags, struct daemon_change_report *rep,
		      const struct daemon_change_waiter *w)
{
	struct config *next;
	struct config_device dev, *nd;
	struct stat st;
	int ret;

	if (device_index(daemon_running_config(d), s->name) >= 0)
		return refuse(rep, -EEXIST, "device \"%s\" exists already",
			      s->name);
	ret = device_from_spec(d, s, &dev, rep);
	if (ret)
		return ret;
	/*
	 * srptadm creates no file (man/srptadm.8 device add): a path that is
	 * not there is most likely a typo, refused rather than left offline.
	 * An rbd image has no path; opening it tells whether it exists.
	 */
	if (dev.path[0] && stat(dev.path, &st)) {
		int err = errno;

		return refuse(rep, -err, "device %s: %s: %s", dev.name,
			      dev.path, strerror(err));
	}
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
	ret = daemon_apply_config(d, next, flags, rep, w);
	if (ret)
		return ret;
	return device_added(d, &dev, rep);
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
