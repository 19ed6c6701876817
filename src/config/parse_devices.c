/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 2 of the loader: the devices lists.  Engine defaults come from the
 * merged backend_defaults, so this pass follows pass 1 over every file.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "util.h"

static void cfg_parse_device(struct cfg_ctx *ctx, const config_setting_t *g,
			     unsigned int idx)
{
	struct config *cfg = ctx->cfg;
	const struct config_backend_defaults *b = &cfg->backend;
	const config_setting_t *ns, *path_s = NULL, *size_s = NULL;
	const config_setting_t *create_s = NULL;
	struct config_device d = {
		.engine = b->engine,
		.n_fallback = b->n_fallback,
		.write_cache = true,
		.direct_io = b->direct_io,
		.vendor = "SRPTD",
		.product = "VIRTUAL-DISK",
		.revision = "0001",
	};
	char who[96], where[128];
	bool bad = false, size_ok = false;

	memcpy(d.fallback, b->fallback, sizeof(d.fallback));
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

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);

		cfg_fmt(where, sizeof(where), "%s %s", who, k);
		if (!strcmp(k, "name")) {
			continue;
		} else if (!strcmp(k, "path")) {
			path_s = s;
			cfg_get_abspath(ctx, s, where, d.path, sizeof(d.path),
					false);
		} else if (!strcmp(k, "engine")) {
			cfg_get_engine(ctx, s, where, &d.engine);
		} else if (!strcmp(k, "fallback")) {
			cfg_get_fallback(ctx, s, where, d.fallback,
					 &d.n_fallback);
		} else if (!strcmp(k, "size")) {
			size_s = s;
			size_ok = !cfg_get_size(ctx, s, where, &d.size);
		} else if (!strcmp(k, "block_size")) {
			long long v = 0;

			if (cfg_get_int(ctx, s, where, &v))
				continue;
			if (v != 512 && v != 4096)
				cfg_err(ctx, s,
					"%s: %lld is not supported (512 or 4096)",
					where, v);
			else
				d.block_size = (uint32_t)v;
		} else if (!strcmp(k, "create")) {
			create_s = s;
			cfg_get_bool(ctx, s, where, &d.create);
		} else if (!strcmp(k, "write_cache")) {
			cfg_get_bool(ctx, s, where, &d.write_cache);
		} else if (!strcmp(k, "read_only")) {
			cfg_get_bool(ctx, s, where, &d.read_only);
		} else if (!strcmp(k, "direct_io")) {
			cfg_get_bool(ctx, s, where, &d.direct_io);
		} else if (!strcmp(k, "serial")) {
			cfg_get_ascii(ctx, s, where, d.serial, sizeof(d.serial),
				      false);
		} else if (!strcmp(k, "naa")) {
			char tmp[64];
			bool ok;

			if (cfg_get_str(ctx, s, where, tmp, sizeof(tmp)))
				continue;
			/* NAA 6: IEEE Registered Extended, 16 bytes (SPC-4 7.8.6.6.4) */
			ok = strlen(tmp) == 32 && tmp[0] == '6';
			for (int j = 0; ok && j < 32; j++)
				ok = hex_digit_value(tmp[j]) >= 0;
			if (!ok) {
				cfg_err(ctx, s,
					"%s: \"%s\" is not an NAA 6 identifier (32 hex digits starting with 6)",
					where, tmp);
				continue;
			}
			for (int j = 0; j < 32; j++)
				d.naa[j] = (char)tolower((unsigned char)tmp[j]);
			d.naa[32] = 0;
		} else if (!strcmp(k, "vendor")) {
			cfg_get_ascii(ctx, s, where, d.vendor, sizeof(d.vendor),
				      true);
		} else if (!strcmp(k, "product")) {
			cfg_get_ascii(ctx, s, where, d.product,
				      sizeof(d.product), true);
		} else if (!strcmp(k, "revision")) {
			cfg_get_ascii(ctx, s, where, d.revision,
				      sizeof(d.revision), true);
		} else {
			cfg_unknown(ctx, s, who);
		}
	}

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
