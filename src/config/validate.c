/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Checks across keys, after an entry's keys have each been parsed and
 * range-checked through the key table: what a device's engine needs, and
 * that two targets never share an identity on a port.
 */
#include <inttypes.h>
#include <string.h>

#include "config/internal.h"

/* The setting of device key name in g's entry, NULL if absent. */
static const config_setting_t *cfg_seen(const config_setting_t *const *seen,
					const char *name)
{
	return seen[cfg_key_find(&cfg_devices, name) - cfg_devices.keys];
}

/* "pool/image" or "pool/namespace/image", no part empty. */
static bool cfg_rbd_spec_ok(const char *s)
{
	unsigned int parts = 1;
	size_t run = 0;

	for (; *s; s++) {
		if (*s != '/') {
			run++;
			continue;
		}
		if (!run)
			return false;
		parts++;
		run = 0;
	}
	return run && (parts == 2 || parts == 3);
}

/* The rbd engine names an image, not a file; the ceph_* keys are its. */
static void cfg_check_rbd(struct cfg_ctx *ctx, const config_setting_t *g,
			  const char *who, struct config_device *d,
			  const config_setting_t *const *seen)
{
	static const char *const rbd_only[] = { "rbd_image", "ceph_conf",
						"ceph_client", "ceph_keyring",
						"ceph_timeout" };
	const config_setting_t *s;

	if (d->engine != CONFIG_ENGINE_RBD) {
		for (size_t i = 0; i < sizeof(rbd_only) / sizeof(*rbd_only);
		     i++) {
			s = cfg_seen(seen, rbd_only[i]);
			if (s)
				cfg_err(ctx, s,
					"%s %s: only for engine \"rbd\"", who,
					rbd_only[i]);
		}
		return;
	}
	s = cfg_seen(seen, "path");
	if (s)
		cfg_err(ctx, s, "%s path: engine \"rbd\" takes rbd_image", who);
	s = cfg_seen(seen, "create");
	if (d->create)
		cfg_err(ctx, s, "%s create: engine \"rbd\" creates no image",
			who);
	s = cfg_seen(seen, "rbd_image");
	if (!s)
		cfg_err(ctx, g, "%s: engine \"rbd\" needs rbd_image", who);
	else if (d->rbd_image[0] && !cfg_rbd_spec_ok(d->rbd_image))
		cfg_err(ctx, s,
			"%s rbd_image: \"%s\" is not pool/image or pool/namespace/image",
			who, d->rbd_image);
	/* No other engine can open an image: the fallback list is moot. */
	d->n_fallback = 0;
}

void cfg_check_device(struct cfg_ctx *ctx, const config_setting_t *g,
		      const char *who, struct config_device *d,
		      const config_setting_t *const *seen, const int *rc)
{
	const config_setting_t *path_s = cfg_seen(seen, "path");
	const config_setting_t *size_s = cfg_seen(seen, "size");
	const config_setting_t *create_s = cfg_seen(seen, "create");
	bool size_ok =
		size_s &&
		!rc[cfg_key_find(&cfg_devices, "size") - cfg_devices.keys];
	bool engine_ok =
		!rc[cfg_key_find(&cfg_devices, "engine") - cfg_devices.keys];

	if (d->engine == CONFIG_ENGINE_NULL) {
		if (path_s)
			cfg_err(ctx, path_s,
				"%s path: the null engine takes no path", who);
		if (!d->size && !size_s)
			cfg_err(ctx, g, "%s: the null engine needs a size",
				who);
		if (d->create)
			cfg_err(ctx, create_s,
				"%s create: the null engine has no file to create",
				who);
		if (!d->block_size)
			d->block_size = 512;
	} else if (d->engine == CONFIG_ENGINE_RBD) {
		/* checked by cfg_check_rbd() below */
	} else if (!path_s) {
		cfg_err(ctx, g, "%s: engine \"%s\" needs a path", who,
			cfg_engine_names[d->engine]);
	}
	/* A misspelt engine already has its error: no cascade from rbd's. */
	if (engine_ok)
		cfg_check_rbd(ctx, g, who, d, seen);
	if (d->create && d->engine != CONFIG_ENGINE_NULL &&
	    d->engine != CONFIG_ENGINE_RBD && !d->size)
		cfg_err(ctx, create_s, "%s create: create = true needs a size",
			who);
	if (size_ok && d->size) {
		uint32_t bs = d->block_size ? d->block_size : 512;

		if (d->size % bs)
			cfg_err(ctx, size_s,
				"%s size: %" PRIu64
				" bytes is not a multiple of the block size %u",
				who, d->size, bs);
	}
	if (size_ok && !d->size &&
	    (d->engine == CONFIG_ENGINE_NULL || d->create))
		cfg_err(ctx, size_s, "%s size: must not be 0", who);
}

/* Port selectors "*", "hca", "hca:N": can a and b name the same port? */
static bool cfg_port_overlap(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	if (!strcmp(a, "*") || !strcmp(b, "*"))
		return true;
	if (la != lb || strncmp(a, b, la))
		return false;
	return !a[la] || !b[lb] || !strcmp(a + la, b + lb);
}

/*
 * Same target port ID on a shared port?  "auto" equals "auto" (both are
 * the first HCA's node GUID); "auto" against an explicit GUID is only
 * known at run time and is not an error here.
 */
static bool cfg_same_identity(const struct config_target *a,
			      const struct config_target *b)
{
	bool overlap = false;

	if (a->id_ext_auto != b->id_ext_auto ||
	    a->ioc_guid_auto != b->ioc_guid_auto)
		return false;
	if ((!a->id_ext_auto && a->id_ext != b->id_ext) ||
	    (!a->ioc_guid_auto && a->ioc_guid != b->ioc_guid))
		return false;
	for (unsigned int i = 0; i < a->n_ports && !overlap; i++)
		for (unsigned int j = 0; j < b->n_ports && !overlap; j++)
			overlap = cfg_port_overlap(a->ports[i], b->ports[j]);
	return overlap;
}

void cfg_check_identity(struct cfg_ctx *ctx, const config_setting_t *g,
			const struct config_target *t)
{
	const struct config *cfg = ctx->cfg;

	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *o = &cfg->targets[i];

		if (!cfg_same_identity(o, t))
			continue;
		/* A login could never reach the second one. */
		cfg_err(ctx, g,
			"target \"%s\": same id_ext and ioc_guid as target \"%s\" (%s:%d) on the same ports; give one an explicit id_ext",
			t->name, o->name, o->file, o->line);
		break;
	}
}
