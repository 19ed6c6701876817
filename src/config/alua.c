/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The alua section (srptd.conf(5) ALUA, doc/ha.md): access state names,
 * the partner groups list, and the checks across it and the targets'
 * relative port ids.  Two srptd hosts presenting one device form one SCSI
 * target device for the initiator, so their group ids and relative target
 * port ids must not collide (SPC-4 5.16.2.1, 7.8.6.6).
 */
#include <errno.h>
#include <string.h>

#include "config/internal.h"
#include "util.h"

static const char *const cfg_alua_names[] = {
	[CONFIG_ALUA_ACTIVE_OPTIMIZED] = "active/optimized",
	[CONFIG_ALUA_ACTIVE_NON_OPTIMIZED] = "active/non-optimized",
	[CONFIG_ALUA_STANDBY] = "standby",
	[CONFIG_ALUA_UNAVAILABLE] = "unavailable",
};

const char *config_alua_state_name(enum config_alua_state s)
{
	return (unsigned int)s < ARRAY_SIZE(cfg_alua_names) ?
		       cfg_alua_names[s] :
		       "?";
}

uint16_t config_target_rtpi(const struct config *cfg, unsigned int i)
{
	const struct config_target *t = &cfg->targets[i];

	return (uint16_t)(t->relative_port_id ? t->relative_port_id : i + 1);
}

int cfg_get_alua_state(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, enum config_alua_state *out)
{
	char v[32];

	if (cfg_get_str(ctx, s, where, v, sizeof(v)))
		return -EINVAL;
	for (unsigned int i = 0; i < ARRAY_SIZE(cfg_alua_names); i++) {
		if (!strcmp(v, cfg_alua_names[i])) {
			*out = (enum config_alua_state)i;
			return 0;
		}
	}
	cfg_err(ctx, s,
		"%s: unknown state \"%s\" (\"active/optimized\", \"active/non-optimized\", \"standby\" or \"unavailable\")",
		where, v);
	return -EINVAL;
}

enum config_alua_state config_alua_state_parse(const char *name)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(cfg_alua_names); i++)
		if (name && !strcmp(name, cfg_alua_names[i]))
			return (enum config_alua_state)i;
	return CONFIG_ALUA_ACTIVE_OPTIMIZED;
}

int cfg_get_alua_rtpis(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, uint16_t *ports,
		       unsigned int *n_ports)
{
	int n;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return cfg_expect(ctx, s, where,
				  "an array of relative port ids [ 2, ... ]");
	n = config_setting_length(s);
	if (n < 1 || n > CONFIG_ALUA_MAX_PORTS) {
		cfg_err(ctx, s, "%s: %d ids (1 to %u)", where, n,
			CONFIG_ALUA_MAX_PORTS);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		uint32_t v;

		if (cfg_get_uint(ctx, config_setting_get_elem(s, i), where, 1,
				 65535, &v))
			return -EINVAL;
		ports[i] = (uint16_t)v;
	}
	*n_ports = (unsigned int)n;
	return 0;
}

/* One { id = N; state = "..."; relative_port_ids = [ ... ]; } entry. */
static int cfg_get_alua_group(struct cfg_ctx *ctx, const config_setting_t *g,
			      const char *where, struct config_alua_group *out)
{
	const config_setting_t *seen[CFG_MAX_SECTION_KEYS];
	int rc[CFG_MAX_SECTION_KEYS], ret = 0;

	memset(out, 0, sizeof(*out));
	cfg_keys_default(&cfg_alua_peers, out, ctx->cfg);
	out->line = cfg_line_of(g);
	cfg_fmt(out->file, sizeof(out->file), "%s", cfg_file_of(ctx, g));
	if (!cfg_is_group(ctx, g, where))
		return -EINVAL;
	cfg_parse_entry(ctx, g, &cfg_alua_peers, where, out, seen, rc);
	for (unsigned int i = 0; i < cfg_alua_peers.n_keys; i++)
		if (rc[i])
			ret = -EINVAL;
	for (int i = 0; i < config_setting_length(g); i++)
		if (!cfg_key_find(
			    &cfg_alua_peers,
			    config_setting_name(config_setting_get_elem(g, i))))
			ret = -EINVAL;
	/* id and relative_port_ids are required: keys 0 and 2. */
	if (!seen[0] || !seen[2]) {
		cfg_err(ctx, g, "%s: missing \"%s\"", where,
			seen[0] ? "relative_port_ids" : "id");
		ret = -EINVAL;
	}
	return ret;
}

int cfg_get_alua_peers(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, struct config_alua *a)
{
	struct config_alua_group tmp[CONFIG_ALUA_MAX_PEERS];
	int n, ret = 0;

	if (!cfg_is_list(ctx, s, where))
		return -EINVAL;
	n = config_setting_length(s);
	if (n > CONFIG_ALUA_MAX_PEERS) {
		cfg_err(ctx, s, "%s: %d groups (at most %u)", where, n,
			CONFIG_ALUA_MAX_PEERS);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		char w[200];

		cfg_fmt(w, sizeof(w), "%s #%d", where, i + 1);
		if (cfg_get_alua_group(ctx, config_setting_get_elem(s, i), w,
				       &tmp[i]))
			ret = -EINVAL;
	}
	if (ret)
		return ret;
	memcpy(a->peers, tmp, (size_t)n * sizeof(tmp[0]));
	a->n_peers = (unsigned int)n;
	return 0;
}

void cfg_put_alua_peers(FILE *f, const struct config_alua *a)
{
	fputc('(', f);
	for (unsigned int i = 0; i < a->n_peers; i++) {
		const struct config_alua_group *g = &a->peers[i];

		fprintf(f, "%s{ id = %u; state = ", i ? ", " : " ", g->id);
		cfg_put_str(f, config_alua_state_name(g->state));
		fputs("; relative_port_ids = [", f);
		for (unsigned int j = 0; j < g->n_ports; j++)
			fprintf(f, "%s%u", j ? ", " : " ", g->ports[j]);
		fputs(" ]; }", f);
	}
	fputs(a->n_peers ? " )" : ")", f);
}

bool cfg_alua_peers_equal(const struct config_alua *a,
			  const struct config_alua *b)
{
	if (a->n_peers != b->n_peers)
		return false;
	for (unsigned int i = 0; i < a->n_peers; i++) {
		const struct config_alua_group *x = &a->peers[i];
		const struct config_alua_group *y = &b->peers[i];

		/* Not where they were defined. */
		if (x->id != y->id || x->state != y->state ||
		    x->n_ports != y->n_ports ||
		    memcmp(x->ports, y->ports,
			   x->n_ports * sizeof(x->ports[0])))
			return false;
	}
	return true;
}

/* Is relative port id p used by a target before index n, or a peer? */
static const char *cfg_rtpi_owner(const struct config *cfg, uint16_t p,
				  unsigned int n_targets, unsigned int n_peers,
				  char *buf, size_t size)
{
	for (unsigned int i = 0; i < n_targets; i++) {
		if (config_target_rtpi(cfg, i) == p) {
			cfg_fmt(buf, size, "target \"%s\" (%s:%d)",
				cfg->targets[i].name, cfg->targets[i].file,
				cfg->targets[i].line);
			return buf;
		}
	}
	for (unsigned int i = 0; i < n_peers; i++) {
		const struct config_alua_group *g = &cfg->alua.peers[i];

		for (unsigned int j = 0; j < g->n_ports; j++) {
			if (g->ports[j] == p) {
				cfg_fmt(buf, size, "alua peer group %u (%s:%d)",
					g->id, g->file, g->line);
				return buf;
			}
		}
	}
	return NULL;
}

void cfg_check_alua(struct cfg_ctx *ctx)
{
	const struct config *cfg = ctx->cfg;
	char who[512];

	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];
		uint16_t p = config_target_rtpi(cfg, i);

		if (cfg_rtpi_owner(cfg, p, i, 0, who, sizeof(who)))
			cfg_err_at(
				ctx, t->file, t->line,
				"target \"%s\": relative port id %u is also that of %s",
				t->name, p, who);
	}
	for (unsigned int i = 0; i < cfg->alua.n_peers; i++) {
		const struct config_alua_group *g = &cfg->alua.peers[i];

		if (g->id == cfg->alua.group_id)
			cfg_err_at(
				ctx, g->file, g->line,
				"alua.peer_groups: id %u is this srptd's own alua.group_id",
				g->id);
		for (unsigned int j = 0; j < i; j++)
			if (cfg->alua.peers[j].id == g->id)
				cfg_err_at(
					ctx, g->file, g->line,
					"alua.peer_groups: id %u is listed twice",
					g->id);
		for (unsigned int j = 0; j < g->n_ports; j++) {
			const char *o = cfg_rtpi_owner(cfg, g->ports[j],
						       cfg->n_targets, i, who,
						       sizeof(who));

			for (unsigned int k = 0; !o && k < j; k++)
				if (g->ports[k] == g->ports[j])
					o = "the same group";
			if (o)
				cfg_err_at(
					ctx, g->file, g->line,
					"alua.peer_groups: relative port id %u of group %u is also that of %s (relative port ids are unique across the hosts)",
					g->ports[j], g->id, o);
		}
	}
}
