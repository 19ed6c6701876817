/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 2 of the loader: the devices lists.  Engine defaults come from the
 * merged backend_defaults, so this pass follows pass 1 over every file.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "util.h"

/* The setting of device key name in g's entry, NULL if absent. */
static const config_setting_t *cfg_seen(const config_setting_t *const *seen,
					const char *name)
{
	return seen[cfg_key_find(&cfg_devices, name) - cfg_devices.keys];
}

static void cfg_parse_device(struct cfg_ctx *ctx, const config_setting_t *g,
			     unsigned int idx)
{
	struct config *cfg = ctx->cfg;
	const config_setting_t *seen[CFG_MAX_SECTION_KEYS];
	int rc[CFG_MAX_SECTION_KEYS];
	const config_setting_t *ns, *path_s, *size_s, *create_s;
	struct config_device d = { 0 };
	char who[96];
	bool bad = false, size_ok;

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
	path_s = cfg_seen(seen, "path");
	size_s = cfg_seen(seen, "size");
	create_s = cfg_seen(seen, "create");
	size_ok = size_s &&
		  !rc[cfg_key_find(&cfg_devices, "size") - cfg_devices.keys];

	/* Combinations. */
	if (d.engine == CONFIG_ENGINE_NULL) {
		if (path_s)
			cfg_err(ctx, path_s,
				"%s path: the null engine takes no path", who);
		if (!d.size && !size_s)
			cfg_err(ctx, g, "%s: the null engine needs a size",
				who);
		if (d.create)
			cfg_err(ctx, create_s,
				"%s create: the null engine has no file to create",
				who);
		if (!d.block_size)
			d.block_size = 512;
	} else if (!path_s) {
		cfg_err(ctx, g, "%s: engine \"%s\" needs a path", who,
			cfg_engine_names[d.engine]);
	}
	if (d.create && d.engine != CONFIG_ENGINE_NULL && !d.size)
		cfg_err(ctx, create_s, "%s create: create = true needs a size",
			who);
	if (size_ok && d.size) {
		uint32_t bs = d.block_size ? d.block_size : 512;

		if (d.size % bs)
			cfg_err(ctx, size_s,
				"%s size: %" PRIu64
				" bytes is not a multiple of the block size %u",
				who, d.size, bs);
	}
	if (size_ok && !d.size && (d.engine == CONFIG_ENGINE_NULL || d.create))
		cfg_err(ctx, size_s, "%s size: must not be 0", who);

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
