/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 2 of the loader: the devices lists.  Engine defaults come from the
 * merged backend_defaults, so this pass follows pass 1 over every file.
 * A device entry from the control socket takes the same path
 * (config_device_parse()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "util.h"

static void cfg_parse_device(struct cfg_ctx *ctx, const config_setting_t *g,
			     unsigned int idx)
{
	struct config *cfg = ctx->cfg;
	const config_setting_t *seen[CFG_MAX_SECTION_KEYS];
	int rc[CFG_MAX_SECTION_KEYS];
	const config_setting_t *ns;
	struct config_device d = { 0 };
	char who[96];
	bool bad = false;

	if (cfg_keys_default(&cfg_devices, &d, cfg)) {
		cfg_err(ctx, g, "out of memory");
		return;
	}
	d.line = cfg_line_of(g);
	cfg_fmt(d.file, sizeof(d.file), "%s", cfg_file_of(ctx, g));

	if (!cfg_is_group(ctx, g, "devices"))
		return;
	ns = cfg_member(g, "name");
	if (!ns) {
		cfg_err(ctx, g, "device #%u: missing \"name\"", idx + 1);
		cfg_fmt(who, sizeof(who), "device #%u", idx + 1);
		bad = true;
	} else if (cfg_get_name(ctx, ns, "device name", d.name,
				sizeof(d.name))) {
		cfg_fmt(who, sizeof(who), "device #%u", idx + 1);
		bad = true;
	} else {
		cfg_fmt(who, sizeof(who), "device \"%s\"", d.name);
	}
	cfg_parse_entry(ctx, g, &cfg_devices, who, &d, seen, rc);
	cfg_check_device(ctx, g, who, &d, seen, rc);

	if (bad)
		return;
	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		const struct config_device *o = &cfg->devices[i];

		if (strcmp(o->name, d.name))
			continue;
		cfg_err(ctx, ns,
			"duplicate device name \"%s\" (first defined at %s:%d)",
			d.name, o->file, o->line);
		return;
	}
	/* Keep even a faulty device so lun_map checks do not cascade. */
	if (cfg->n_devices == ctx->devices_cap) {
		unsigned int cap = ctx->devices_cap ? 2 * ctx->devices_cap : 8;
		struct config_device *nd;

		nd = realloc(cfg->devices, cap * sizeof(*nd));
		if (!nd) {
			cfg_err(ctx, g, "out of memory");
			return;
		}
		cfg->devices = nd;
		ctx->devices_cap = cap;
	}
	cfg->devices[cfg->n_devices++] = d;
}

void cfg_pass_devices(struct cfg_ctx *ctx)
{
	const config_setting_t *l =
		cfg_member(config_root_setting(&ctx->cur->lc), "devices");

	if (!l || config_setting_type(l) != CONFIG_TYPE_LIST)
		return;
	for (int i = 0; i < config_setting_length(l); i++)
		cfg_parse_device(ctx, config_setting_get_elem(l, i),
				 (unsigned int)i);
}

/* Add kv as a setting of group g; -EINVAL: not a name libconfig takes. */
static int cfg_kv_add(config_setting_t *g, const struct config_kv *kv)
{
	static const int types[] = { [CONFIG_KV_STRING] = CONFIG_TYPE_STRING,
				     [CONFIG_KV_INT] = CONFIG_TYPE_INT64,
				     [CONFIG_KV_BOOL] = CONFIG_TYPE_BOOL };
	config_setting_t *s = config_setting_add(g, kv->key, types[kv->type]);

	if (!s)
		return -EINVAL;
	switch (kv->type) {
	case CONFIG_KV_STRING:
		return config_setting_set_string(s, kv->s ? kv->s : "") ?
			       0 :
			       -ENOMEM;
	case CONFIG_KV_INT:
		return config_setting_set_int64(s, kv->i) ? 0 : -EINVAL;
	case CONFIG_KV_BOOL:
		return config_setting_set_bool(s, kv->b) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/*
 * The entry becomes a libconfig group in memory and goes through
 * cfg_parse_device() like an entry of the file: one set of rules for
 * both (srptadm(8) device add).
 */
int config_device_parse(const struct config *cfg, const char *origin,
			const struct config_kv *kv, unsigned int n,
			struct config_device *out, struct config_errors *errs)
{
	struct config tmp = *cfg;
	struct cfg_file *cf = calloc(1, sizeof(*cf));
	struct cfg_ctx ctx = { .cfg = &tmp, .errs = errs };
	config_setting_t *g;
	int ret = 0;

	if (!cf)
		return -ENOMEM;
	memset(errs, 0, sizeof(*errs));
	cfg_fmt(cf->name, sizeof(cf->name), "%s", origin);
	config_init(&cf->lc);
	ctx.files = cf;
	ctx.n_files = 1;
	ctx.cur = cf;
	/* The entry's device only: a name taken is the caller's to refuse. */
	tmp.n_devices = 0;
	tmp.devices = NULL;
	g = config_setting_add(config_root_setting(&cf->lc), "device",
			       CONFIG_TYPE_GROUP);
	if (!g)
		ret = -ENOMEM;
	for (unsigned int i = 0; !ret && i < n; i++) {
		ret = cfg_kv_add(g, &kv[i]);
		if (ret == -EINVAL)
			cfg_err_at(&ctx, origin, 0, "unknown device key \"%s\"",
				   kv[i].key);
	}
	if (!ret)
		cfg_parse_device(&ctx, g, 0);
	if (!ret && !errs->n && tmp.n_devices != 1)
		ret = -ENOMEM; /* cfg_parse_device() said so in errs */
	if (!ret && errs->n)
		ret = -EINVAL;
	if (!ret)
		*out = tmp.devices[0];
	free(tmp.devices);
	config_destroy(&cf->lc);
	free(cf);
	return ret;
}
