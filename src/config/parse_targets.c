/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 3 of the loader: the targets lists, their LUN maps and initiator
 * groups (lun_map entries may name a device from any file).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "util.h"

static int cfg_parse_lun_map(struct cfg_ctx *ctx, const config_setting_t *l,
			     const char *who, struct config_lun **luns,
			     unsigned int *n_luns)
{
	const struct config *cfg = ctx->cfg;
	struct config_lun *arr;
	int *lines;
	unsigned int n = 0;
	char where[160];
	int ret = 0;

	cfg_fmt(where, sizeof(where), "%s lun_map", who);
	if (!cfg_is_list(ctx, l, where))
		return -EINVAL;
	arr = calloc(config_setting_length(l) + 1, sizeof(*arr));
	lines = calloc(config_setting_length(l) + 1, sizeof(*lines));
	if (!arr || !lines) {
		free(arr);
		free(lines);
		cfg_err(ctx, l, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < config_setting_length(l); i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		const config_setting_t *lun_s = NULL, *dev_s = NULL;
		struct config_lun e = { 0 };
		bool bad = false;
		char dev[64] = "";

		if (!cfg_is_group(ctx, g, where)) {
			ret = -EINVAL;
			continue;
		}
		for (int j = 0; j < config_setting_length(g); j++) {
			const config_setting_t *s =
				config_setting_get_elem(g, j);
			const char *name = config_setting_name(s);
			const struct cfg_key *k =
				cfg_key_find(&cfg_lun_entries, name);
			char w[200];
			uint32_t v;

			cfg_fmt(w, sizeof(w), "%s %s", where, name);
			if (!k) {
				cfg_unknown(ctx, s, where);
				bad = true;
			} else if (k->type == CFG_T_LUN) {
				lun_s = s;
				if (cfg_get_uint(ctx, s, w, k->min, k->max, &v))
					bad = true;
				else
					e.lun = v;
			} else if (k->type == CFG_T_DEVICE_REF) {
				dev_s = s;
				if (cfg_get_str(ctx, s, w, dev, sizeof(dev)))
					bad = true;
			} else if (cfg_key_parse(ctx, k, s, w, &e)) {
				bad = true;
			}
		}
		if (!lun_s) {
			cfg_err(ctx, g, "%s: entry without \"lun\"", where);
			bad = true;
		}
		if (!dev_s) {
			cfg_err(ctx, g, "%s: entry without \"device\"", where);
			bad = true;
		} else if (dev[0]) {
			const struct config_device *d =
				config_find_device(cfg, dev);

			if (!d) {
				cfg_err(ctx, dev_s,
					"%s device: unknown device \"%s\"",
					where, dev);
				bad = true;
			} else {
				e.device = (unsigned int)(d - cfg->devices);
				/* A read-only device is read-only everywhere. */
				e.read_only |= d->read_only;
			}
		}
		if (bad) {
			ret = -EINVAL;
			continue;
		}
		for (unsigned int j = 0; j < n; j++) {
			if (arr[j].lun != e.lun)
				continue;
			cfg_err(ctx, lun_s,
				"%s: LUN %" PRIu64
				" is mapped twice (first at %s:%d)",
				where, e.lun, cfg_file_of(ctx, lun_s),
				lines[j]);
			bad = true;
			ret = -EINVAL;
			break;
		}
		if (bad)
			continue;
		lines[n] = cfg_line_of(lun_s);
		arr[n++] = e;
	}
	free(lines);
	free(*luns);
	*luns = arr;
	*n_luns = n;
	return ret;
}

static int cfg_parse_initiators(struct cfg_ctx *ctx, const config_setting_t *s,
				const char *where, struct config_group *grp)
{
	void *arr;
	int n, ret;

	ret = cfg_alloc_elems(ctx, s, where, "an array of GIDs",
			      sizeof(*grp->initiators), &arr, &n);
	if (ret)
		return ret;
	free(grp->initiators);
	grp->initiators = arr;
	grp->n_initiators = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v;

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			ret = cfg_expect(ctx, e, where, "a GID string");
			continue;
		}
		v = config_setting_get_string(e);
		if (config_parse_gid(v, grp->initiators[grp->n_initiators])) {
			cfg_err(ctx, e,
				"%s: \"%s\" is not a GID (expected 8 groups of 4 hex digits separated by ':')",
				where, v);
			ret = -EINVAL;
			continue;
		}
		grp->n_initiators++;
	}
	return ret;
}

/* Where each GID of a target was first seen, for duplicate reports. */
struct cfg_gid_seen {
	uint8_t gid[16];
	const char *group;
	int line;
};

static void cfg_parse_group(struct cfg_ctx *ctx, const config_setting_t *g,
			    const char *twho, struct config_target *t,
			    struct cfg_gid_seen **seen, unsigned int *n_seen,
			    int *group_lines)
{
	struct config_group *grp = &t->groups[t->n_groups];
	const config_setting_t *ns, *ini_s = NULL;
	char who[160], where[200];

	memset(grp, 0, sizeof(*grp));
	if (!cfg_is_group(ctx, g, "groups"))
		return;
	ns = cfg_member(g, "name");
	if (!ns) {
		cfg_err(ctx, g, "%s group #%u: missing \"name\"", twho,
			t->n_groups + 1);
		return;
	}
	cfg_fmt(where, sizeof(where), "%s group name", twho);
	if (cfg_get_name(ctx, ns, where, grp->name, sizeof(grp->name)))
		return;
	for (unsigned int i = 0; i < t->n_groups; i++) {
		if (strcmp(t->groups[i].name, grp->name))
			continue;
		cfg_err(ctx, ns,
			"%s: duplicate group name \"%s\" (first defined at %s:%d)",
			twho, grp->name, cfg_file_of(ctx, ns), group_lines[i]);
		return;
	}
	cfg_fmt(who, sizeof(who), "%s group \"%s\"", twho, grp->name);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const struct cfg_key *k = cfg_key_find(&cfg_groups, name);

		cfg_fmt(where, sizeof(where), "%s %s", who, name);
		if (!k) {
			cfg_unknown(ctx, s, who);
		} else if (k->type == CFG_T_GIDS) {
			ini_s = s;
			cfg_parse_initiators(ctx, s, where, grp);
		} else if (k->type == CFG_T_LUN_MAP) {
			cfg_parse_lun_map(ctx, s, who, &grp->luns,
					  &grp->n_luns);
		} /* else the name, parsed above */
	}
	/* One initiator, one view: a GID may appear in one group only. */
	for (unsigned int i = 0; ini_s && i < grp->n_initiators; i++) {
		struct cfg_gid_seen *ns2;
		bool dup = false;

		for (unsigned int j = 0; j < *n_seen && !dup; j++) {
			char gs[40];

			if (memcmp((*seen)[j].gid, grp->initiators[i], 16))
				continue;
			config_format_gid(grp->initiators[i], gs);
			cfg_err(ctx, ini_s,
				"%s initiators: %s is already in group \"%s\" (%s:%d)",
				who, gs, (*seen)[j].group,
				cfg_file_of(ctx, ini_s), (*seen)[j].line);
			dup = true;
		}
		if (dup)
			continue;
		ns2 = realloc(*seen, (*n_seen + 1) * sizeof(**seen));
		if (!ns2)
			continue;
		*seen = ns2;
		memcpy(ns2[*n_seen].gid, grp->initiators[i], 16);
		ns2[*n_seen].group = grp->name;
		ns2[*n_seen].line = cfg_line_of(ini_s);
		(*n_seen)++;
	}
	group_lines[t->n_groups] = cfg_line_of(ns);
	t->n_groups++;
}

void cfg_target_free(struct config_target *t)
{
	for (unsigned int g = 0; g < t->n_groups; g++) {
		free(t->groups[g].initiators);
		free(t->groups[g].luns);
	}
	free(t->groups);
	free(t->luns);
	free(t->ports);
}

static void cfg_parse_target(struct cfg_ctx *ctx, const config_setting_t *g,
			     unsigned int idx)
{
	struct config *cfg = ctx->cfg;
	const config_setting_t *ns;
	struct config_target t = { 0 };
	struct cfg_gid_seen *seen = NULL;
	unsigned int n_seen = 0;
	int *group_lines = NULL;
	bool id_bad = false; /* no identity checks on top of a GUID error */
	char who[96], where[160];

	if (!cfg_is_group(ctx, g, "targets"))
		return;
	t.line = cfg_line_of(g);
	cfg_fmt(t.file, sizeof(t.file), "%s", cfg_file_of(ctx, g));
	ns = cfg_member(g, "name");
	if (!ns) {
		cfg_err(ctx, g, "target #%u: missing \"name\"", idx + 1);
		cfg_fmt(who, sizeof(who), "target #%u", idx + 1);
	} else if (cfg_get_name(ctx, ns, "target name", t.name,
				sizeof(t.name))) {
		cfg_fmt(who, sizeof(who), "target #%u", idx + 1);
		ns = NULL;
	} else {
		cfg_fmt(who, sizeof(who), "target \"%s\"", t.name);
	}
	if (cfg_keys_default(&cfg_targets, &t, cfg)) {
		cfg_err(ctx, g, "out of memory");
		cfg_target_free(&t);
		return;
	}

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const struct cfg_key *k = cfg_key_find(&cfg_targets, name);

		cfg_fmt(where, sizeof(where), "%s %s", who, name);
		if (!k) {
			cfg_unknown(ctx, s, who);
		} else if (k->flags & CFG_K_ID) {
			continue;
		} else if (k->type == CFG_T_LUN_MAP) {
			cfg_parse_lun_map(ctx, s, who, &t.luns, &t.n_luns);
		} else if (k->type == CFG_T_LIST) { /* groups */
			int n;

			if (!cfg_is_list(ctx, s, where))
				continue;
			n = config_setting_length(s);
			free(t.groups);
			free(group_lines);
			t.n_groups = 0;
			t.groups = calloc(n + 1, sizeof(*t.groups));
			group_lines = calloc(n + 1, sizeof(*group_lines));
			if (!t.groups || !group_lines) {
				cfg_err(ctx, s, "out of memory");
				continue;
			}
			for (int j = 0; j < n; j++)
				cfg_parse_group(ctx,
						config_setting_get_elem(s, j),
						who, &t, &seen, &n_seen,
						group_lines);
		} else if (cfg_key_parse(ctx, k, s, where, &t) &&
			   k->type == CFG_T_GUID) {
			id_bad = true;
		}
	}
	free(seen);
	free(group_lines);

	if (!ns)
		goto drop;
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *o = &cfg->targets[i];

		if (strcmp(o->name, t.name))
			continue;
		cfg_err(ctx, ns,
			"duplicate target name \"%s\" (first defined at %s:%d)",
			t.name, o->file, o->line);
		goto drop;
	}
	if (!id_bad)
		cfg_check_identity(ctx, g, &t);
	if (cfg->n_targets == ctx->targets_cap) {
		unsigned int cap = ctx->targets_cap ? 2 * ctx->targets_cap : 4;
		struct config_target *nt;

		nt = realloc(cfg->targets, cap * sizeof(*nt));
		if (!nt) {
			cfg_err(ctx, g, "out of memory");
			goto drop;
		}
		cfg->targets = nt;
		ctx->targets_cap = cap;
	}
	cfg->targets[cfg->n_targets++] = t;
	return;
drop:
	cfg_target_free(&t);
}

void cfg_pass_targets(struct cfg_ctx *ctx)
{
	const config_setting_t *l =
		cfg_member(config_root_setting(&ctx->cur->lc), "targets");

	if (!l || config_setting_type(l) != CONFIG_TYPE_LIST)
		return;
	for (int i = 0; i < config_setting_length(l); i++)
		cfg_parse_target(ctx, config_setting_get_elem(l, i),
				 (unsigned int)i);
}
