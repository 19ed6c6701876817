/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Parsing driven by the key table (keys.c): one value of any key type, the
 * settings of a section entry, and pass 1 of the loader, the top-level
 * keys and the daemon, fabric and backend_defaults groups (a later file
 * overrides an earlier one key by key).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "config/internal.h"
#include "log.h"
#include "util.h"

bool cfg_is_group(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where)
{
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return true;
	cfg_expect(ctx, s, where, "a group { ... }");
	return false;
}

/* A list of groups; an empty array "[ ]" is accepted as an empty list. */
bool cfg_is_list(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where)
{
	if (config_setting_type(s) == CONFIG_TYPE_LIST)
		return true;
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(s) == 0)
		return true;
	cfg_expect(ctx, s, where, "a list ( { ... }, ... )");
	return false;
}

const config_setting_t *cfg_member(const config_setting_t *g, const char *name)
{
	return config_setting_get_member((config_setting_t *)g, name);
}

void cfg_unknown(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where)
{
	const char *name = config_setting_name(s);

	if (where)
		cfg_err(ctx, s, "unknown setting \"%s\" in %s",
			name ? name : "?", where);
	else
		cfg_err(ctx, s, "unknown setting \"%s\"", name ? name : "?");
}

int cfg_get_listen_list(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, struct config_listen **listen,
			unsigned int *n_listen)
{
	struct config_listen *arr;
	int n, ret;

	ret = cfg_alloc_elems(ctx, s, where, "an array of addresses",
			      sizeof(*arr), (void **)&arr, &n);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (cfg_get_listen(ctx, e, where, &arr[i])) {
			ret = -EINVAL;
			continue;
		}
		for (int j = 0; j < i; j++) {
			if (!strcmp(arr[j].addr, arr[i].addr) &&
			    arr[j].port == arr[i].port) {
				cfg_err(ctx, e, "%s: \"%s\" is listed twice",
					where, config_setting_get_string(e));
				ret = -EINVAL;
			}
		}
	}
	if (ret) {
		free(arr);
		return ret;
	}
	free(*listen);
	*listen = arr;
	*n_listen = (unsigned int)n;
	return 0;
}

static int cfg_get_log_level(struct cfg_ctx *ctx, const config_setting_t *s,
			     const char *where, int *out)
{
	char tmp[256];
	int lvl;

	if (cfg_get_str(ctx, s, where, tmp, sizeof(tmp)))
		return -EINVAL;
	lvl = log_level_parse(tmp);
	if (lvl < 0) {
		cfg_err(ctx, s,
			"%s: unknown level \"%s\" (error, warning, notice, info or debug)",
			where, tmp);
		return -EINVAL;
	}
	*out = lvl;
	return 0;
}

static int cfg_get_log_components(struct cfg_ctx *ctx,
				  const config_setting_t *s, const char *where,
				  unsigned int *out)
{
	unsigned int mask = 0;
	bool bad = false;
	char tmp[256];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return cfg_expect(ctx, s, where, "an array of component names");
	for (int j = 0; j < config_setting_length(s); j++) {
		const config_setting_t *e = config_setting_get_elem(s, j);
		int c;

		if (cfg_get_str(ctx, e, where, tmp, sizeof(tmp))) {
			bad = true;
			continue;
		}
		c = log_component_parse(tmp);
		if (c < 0) {
			cfg_err(ctx, e,
				"%s: unknown component \"%s\" (core, config, cm, dm, srp, scsi, backend, ctl, fabric)",
				where, tmp);
			bad = true;
			continue;
		}
		mask |= 1u << c;
	}
	if (bad)
		return -EINVAL;
	*out = mask;
	return 0;
}

/* 127.0.0.0/8 or ::1 (RFC 1122 3.2.1.3, RFC 4291 2.5.3). */
static bool cfg_is_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* "" (off) or an address, kept as written. */
static int cfg_get_address(struct cfg_ctx *ctx, const config_setting_t *s,
			   const char *where, char *buf, size_t size,
			   bool loopback)
{
	struct config_listen l;
	char tmp[256];

	if (cfg_get_str(ctx, s, where, tmp, MIN(size, sizeof(tmp))))
		return -EINVAL;
	if (tmp[0] && cfg_get_listen(ctx, s, where, &l))
		return -EINVAL;
	if (tmp[0] && loopback && !cfg_is_loopback(l.addr)) {
		cfg_err(ctx, s,
			"%s: \"%s\" is not a loopback address (127.0.0.0/8 or [::1]): the endpoint has no authentication",
			where, tmp);
		return -EINVAL;
	}
	cfg_copy(buf, size, tmp);
	return 0;
}

static int cfg_get_version(struct cfg_ctx *ctx, const config_setting_t *s,
			   const char *where, unsigned int *out)
{
	uint32_t v;

	if (cfg_get_uint(ctx, s, where, 0, INT_MAX, &v))
		return -EINVAL;
	if (v != 1) {
		cfg_err(ctx, s,
			"%s: unsupported version %u (this srptd reads version 1)",
			where, v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int cfg_get_block_size(struct cfg_ctx *ctx, const config_setting_t *s,
			      const char *where, uint32_t *out)
{
	long long v = 0;

	if (cfg_get_int(ctx, s, where, &v))
		return -EINVAL;
	if (v != 512 && v != 4096) {
		cfg_err(ctx, s, "%s: %lld is not supported (512 or 4096)",
			where, v);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* NAA 6: IEEE Registered Extended, 16 bytes (SPC-4 7.8.6.6.4). */
static int cfg_get_naa(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, char *naa)
{
	char tmp[64];
	bool ok;

	if (cfg_get_str(ctx, s, where, tmp, sizeof(tmp)))
		return -EINVAL;
	ok = strlen(tmp) == 32 && tmp[0] == '6';
	for (int j = 0; ok && j < 32; j++)
		ok = hex_digit_value(tmp[j]) >= 0;
	if (!ok) {
		cfg_err(ctx, s,
			"%s: \"%s\" is not an NAA 6 identifier (32 hex digits starting with 6)",
			where, tmp);
		return -EINVAL;
	}
	for (int j = 0; j < 32; j++)
		naa[j] = (char)tolower((unsigned char)tmp[j]);
	naa[32] = 0;
	return 0;
}

int cfg_key_parse(struct cfg_ctx *ctx, const struct cfg_key *k,
		  const config_setting_t *s, const char *where, void *base)
{
	void *p = cfg_key_ptr(k, base);
	void *p2 = (char *)base + k->off_n;

	switch (k->type) {
	case CFG_T_VERSION:
		return cfg_get_version(ctx, s, where, p);
	case CFG_T_BOOL:
		return cfg_get_bool(ctx, s, where, p);
	case CFG_T_U32:
		return cfg_get_uint(ctx, s, where, k->min, k->max, p);
	case CFG_T_NAME:
		/* "" where a key allows it: daemon.control_group. */
		if ((k->flags & CFG_K_EMPTY_OK) &&
		    config_setting_type(s) == CONFIG_TYPE_STRING &&
		    !*config_setting_get_string(s)) {
			*(char *)p = 0;
			return 0;
		}
		return cfg_get_name(ctx, s, where, p, k->size);
	case CFG_T_PATH:
		return cfg_get_abspath(ctx, s, where, p, k->size,
				       k->flags & CFG_K_EMPTY_OK);
	case CFG_T_ADDRESS:
		return cfg_get_address(ctx, s, where, p, k->size,
				       k->flags & CFG_K_LOOPBACK);
	case CFG_T_LOG_LEVEL:
		return cfg_get_log_level(ctx, s, where, p);
	case CFG_T_LOG_COMPONENTS:
		return cfg_get_log_components(ctx, s, where, p);
	case CFG_T_PORTS:
		return cfg_get_ports(ctx, s, where, p, p2);
	case CFG_T_LISTEN:
		return cfg_get_listen_list(ctx, s, where, p, p2);
	case CFG_T_ENGINE:
		return cfg_get_engine(ctx, s, where, p);
	case CFG_T_FALLBACK:
		return cfg_get_fallback(ctx, s, where, p, p2);
	case CFG_T_SIZE:
		return cfg_get_size(ctx, s, where, p);
	case CFG_T_BLOCK_SIZE:
		return cfg_get_block_size(ctx, s, where, p);
	case CFG_T_ASCII:
		return cfg_get_ascii(ctx, s, where, p, k->size,
				     k->flags & CFG_K_SPACES);
	case CFG_T_NAA:
		return cfg_get_naa(ctx, s, where, p);
	case CFG_T_GUID:
		return cfg_get_guid_setting(ctx, s, where, p2, p);
	case CFG_T_POLICY:
		return cfg_get_policy(ctx, s, where, p);
	case CFG_T_ALUA_STATE:
		return cfg_get_alua_state(ctx, s, where, p);
	case CFG_T_ALUA_PEERS:
		return cfg_get_alua_peers(ctx, s, where, p);
	case CFG_T_RTPIS:
		return cfg_get_alua_rtpis(ctx, s, where, p, p2);
	case CFG_T_LIST:
		return cfg_is_list(ctx, s, where) ? 0 : -EINVAL;
	default: /* lun_map, GIDs, LUN entries: dedicated code */
		break;
	}
	cfg_err(ctx, s, "%s: internal error: key type %d", where, k->type);
	return -EINVAL;
}

void cfg_parse_entry(struct cfg_ctx *ctx, const config_setting_t *g,
		     const struct cfg_section *sec, const char *who, void *base,
		     const config_setting_t **seen, int *rc)
{
	for (unsigned int i = 0; i < CFG_MAX_SECTION_KEYS; i++) {
		seen[i] = NULL;
		rc[i] = 0;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const struct cfg_key *k = cfg_key_find(sec, name);
		char where[200];
		unsigned int idx;

		if (!k) {
			cfg_unknown(ctx, s, who);
			continue;
		}
		idx = (unsigned int)(k - sec->keys);
		seen[idx] = s;
		if (k->flags & CFG_K_ID)
			continue;
		cfg_fmt(where, sizeof(where), "%s %s", who, name);
		rc[idx] = cfg_key_parse(ctx, k, s, where, base);
	}
}

/*
 * The settings of group g at prefix ("" for the top level) of the top
 * section: keys are parsed into the config, groups recursed into.
 */
static void cfg_parse_group(struct cfg_ctx *ctx, const config_setting_t *g,
			    const char *prefix, bool main_file)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const struct cfg_key *k;
		char path[128];

		cfg_fmt(path, sizeof(path), "%s%s%s", prefix,
			prefix[0] ? "." : "", name);
		k = cfg_key_find(&cfg_top, path);
		if (k && (k->flags & CFG_K_MAIN_ONLY) && !main_file)
			cfg_err(ctx, s,
				"%s: can only be set in the main configuration file",
				path);
		else if (k)
			cfg_key_parse(ctx, k, s, path, ctx->cfg);
		else if (cfg_key_is_group(&cfg_top, path))
			cfg_is_group(ctx, s, path) &&
				(cfg_parse_group(ctx, s, path, main_file), 1);
		else
			cfg_unknown(ctx, s, prefix[0] ? prefix : NULL);
	}
}

void cfg_pass_sections(struct cfg_ctx *ctx, bool main_file)
{
	const config_setting_t *root = config_root_setting(&ctx->cur->lc);

	cfg_parse_group(ctx, root, "", main_file);
	if (main_file && !cfg_member(root, "version"))
		cfg_err_at(
			ctx, ctx->cur->name, 0,
			"missing \"version = 1;\" (required in the main file)");
}
