/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 2 of the loader: the devices lists.  Engine defaults come from the
 * merged backend_defaults, so this pass follows pass 1 over every file.
 */
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
