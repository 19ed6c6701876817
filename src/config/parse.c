/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Pass 1 of the loader: top-level keys and the daemon, fabric and
 * backend_defaults groups (a later file overrides an earlier one key by
 * key).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

static void cfg_parse_metrics(struct cfg_ctx *ctx, const config_setting_t *g)
{
	struct config_daemon *d = &ctx->cfg->daemon;

	if (!cfg_is_group(ctx, g, "daemon.metrics"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);
		struct config_listen l;
		char tmp[64];

		if (!strcmp(k, "listen")) {
			if (cfg_get_str(ctx, s, "daemon.metrics.listen", tmp,
					sizeof(tmp)))
				continue;
			if (tmp[0] &&
			    cfg_get_listen(ctx, s, "daemon.metrics.listen", &l))
				continue;
			cfg_copy(d->metrics_listen, sizeof(d->metrics_listen),
				 tmp);
		} else {
			cfg_unknown(ctx, s, "daemon.metrics");
		}
	}
}

static void cfg_parse_daemon(struct cfg_ctx *ctx, const config_setting_t *g,
			     bool main_file)
{
	struct config_daemon *d = &ctx->cfg->daemon;

	if (!cfg_is_group(ctx, g, "daemon"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);
		char tmp[256];

		if (!strcmp(k, "log_level")) {
			int lvl;

			if (cfg_get_str(ctx, s, "daemon.log_level", tmp,
					sizeof(tmp)))
				continue;
			lvl = log_level_parse(tmp);
			if (lvl < 0)
				cfg_err(ctx, s,
					"daemon.log_level: unknown level \"%s\" (error, warning, notice, info or debug)",
					tmp);
			else
				d->log_level = lvl;
		} else if (!strcmp(k, "log_components")) {
			unsigned int mask = 0;
			bool bad = false;

			if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
			    config_setting_type(s) != CONFIG_TYPE_LIST) {
				cfg_expect(ctx, s, "daemon.log_components",
					   "an array of component names");
				continue;
			}
			for (int j = 0; j < config_setting_length(s); j++) {
				const config_setting_t *e =
					config_setting_get_elem(s, j);
				int c;

				if (cfg_get_str(ctx, e, "daemon.log_components",
						tmp, sizeof(tmp))) {
					bad = true;
					continue;
				}
				c = log_component_parse(tmp);
				if (c < 0) {
					cfg_err(ctx, e,
						"daemon.log_components: unknown component \"%s\" (core, config, cm, dm, srp, scsi, backend, ctl, fabric)",
						tmp);
					bad = true;
					continue;
				}
				mask |= 1u << c;
			}
			if (!bad)
				d->log_components = mask;
		} else if (!strcmp(k, "control_socket")) {
			cfg_get_abspath(ctx, s, "daemon.control_socket",
					d->control_socket,
					sizeof(d->control_socket), false);
		} else if (!strcmp(k, "control_group")) {
			cfg_get_name(ctx, s, "daemon.control_group",
				     d->control_group,
				     sizeof(d->control_group));
		} else if (!strcmp(k, "workers")) {
			cfg_get_uint(ctx, s, "daemon.workers", 0,
				     CFG_MAX_WORKERS, &d->workers);
		} else if (!strcmp(k, "include_dir")) {
			if (!main_file)
				cfg_err(ctx, s,
					"daemon.include_dir: can only be set in the main configuration file");
			else
				cfg_get_abspath(ctx, s, "daemon.include_dir",
						d->include_dir,
						sizeof(d->include_dir), true);
		} else if (!strcmp(k, "metrics")) {
			cfg_parse_metrics(ctx, s);
		} else {
			cfg_unknown(ctx, s, "daemon");
		}
	}
}

static void cfg_parse_ib_cm(struct cfg_ctx *ctx, const config_setting_t *g)
{
	if (!cfg_is_group(ctx, g, "fabric.ib_cm"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);

		if (!strcmp(config_setting_name(s), "enabled"))
			cfg_get_bool(ctx, s, "fabric.ib_cm.enabled",
				     &ctx->cfg->fabric.ib_cm_enabled);
		else
			cfg_unknown(ctx, s, "fabric.ib_cm");
	}
}

static int cfg_get_listen_list(struct cfg_ctx *ctx, const config_setting_t *s)
{
	struct config_fabric *f = &ctx->cfg->fabric;
	const char *where = "fabric.rdma_cm.listen";
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
	free(f->listen);
	f->listen = arr;
	f->n_listen = (unsigned int)n;
	return 0;
}

static void cfg_parse_rdma_cm(struct cfg_ctx *ctx, const config_setting_t *g)
{
	if (!cfg_is_group(ctx, g, "fabric.rdma_cm"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);

		if (!strcmp(k, "enabled"))
			cfg_get_bool(ctx, s, "fabric.rdma_cm.enabled",
				     &ctx->cfg->fabric.rdma_cm_enabled);
		else if (!strcmp(k, "listen"))
			cfg_get_listen_list(ctx, s);
		else
			cfg_unknown(ctx, s, "fabric.rdma_cm");
	}
}

/* Numeric fabric keys: name, offset, range (see srptd.conf(5)). */
static const struct cfg_fabric_num {
	const char *key;
	size_t off;
	long long min, max;
} cfg_fabric_nums[] = {
	/*
	 * SRP_CMD is 48 bytes + 20 of additional CDB/descriptor header; Linux
	 * asks for 8260-byte IUs with immediate data (srptd.conf(5)), the
	 * kernel target's default is 8276.
	 */
	{ "max_req_size", offsetof(struct config_fabric, max_req_size), 68,
	  65536 },
	/* SRP_RSP header is 36 bytes; + 4 of response data (ib_srpt min). */
	{ "max_rsp_size", offsetof(struct config_fabric, max_rsp_size), 40,
	  4096 },
	{ "max_rdma_size", offsetof(struct config_fabric, max_rdma_size), 4096,
	  16 << 20 },
	{ "queue_depth", offsetof(struct config_fabric, queue_depth), 2, 4096 },
	{ "srq_size", offsetof(struct config_fabric, srq_size), 4, 65535 },
	{ "send_queue_size", offsetof(struct config_fabric, send_queue_size), 0,
	  65535 },
};

static void cfg_parse_fabric(struct cfg_ctx *ctx, const config_setting_t *g)
{
	struct config_fabric *f = &ctx->cfg->fabric;

	if (!cfg_is_group(ctx, g, "fabric"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);
		char where[64];
		bool done = false;

		cfg_fmt(where, sizeof(where), "fabric.%s", k);
		for (size_t j = 0; j < ARRAY_SIZE(cfg_fabric_nums); j++) {
			const struct cfg_fabric_num *n = &cfg_fabric_nums[j];

			if (strcmp(k, n->key))
				continue;
			cfg_get_uint(ctx, s, where, n->min, n->max,
				     (uint32_t *)((char *)f + n->off));
			done = true;
		}
		if (done)
			continue;
		if (!strcmp(k, "ports"))
			cfg_get_ports(ctx, s, where, &f->ports, &f->n_ports);
		else if (!strcmp(k, "ib_cm"))
			cfg_parse_ib_cm(ctx, s);
		else if (!strcmp(k, "rdma_cm"))
			cfg_parse_rdma_cm(ctx, s);
		else if (!strcmp(k, "dm_agent"))
			cfg_get_bool(ctx, s, where, &f->dm_agent);
		else if (!strcmp(k, "use_srq"))
			cfg_get_bool(ctx, s, where, &f->use_srq);
		else
			cfg_unknown(ctx, s, "fabric");
	}
	/* send_queue_size 0 = auto; a set value must hold one queue's worth. */
}

static void cfg_parse_backend(struct cfg_ctx *ctx, const config_setting_t *g)
{
	struct config_backend_defaults *b = &ctx->cfg->backend;

	if (!cfg_is_group(ctx, g, "backend_defaults"))
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);

		if (!strcmp(k, "engine"))
			cfg_get_engine(ctx, s, "backend_defaults.engine",
				       &b->engine);
		else if (!strcmp(k, "fallback"))
			cfg_get_fallback(ctx, s, "backend_defaults.fallback",
					 b->fallback, &b->n_fallback);
		else if (!strcmp(k, "direct_io"))
			cfg_get_bool(ctx, s, "backend_defaults.direct_io",
				     &b->direct_io);
		else
			cfg_unknown(ctx, s, "backend_defaults");
	}
}

/* Pass 1: top-level keys and the scalar sections of one file. */
void cfg_pass_sections(struct cfg_ctx *ctx, bool main_file)
{
	const config_setting_t *root = config_root_setting(&ctx->cur->lc);
	bool have_version = false;

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, i);
		const char *k = config_setting_name(s);

		if (!strcmp(k, "version")) {
			uint32_t v;

			have_version = true;
			if (cfg_get_uint(ctx, s, "version", 0, INT_MAX, &v))
				continue;
			if (v != 1)
				cfg_err(ctx, s,
					"version: unsupported version %u (this srptd reads version 1)",
					v);
		} else if (!strcmp(k, "daemon")) {
			cfg_parse_daemon(ctx, s, main_file);
		} else if (!strcmp(k, "fabric")) {
			cfg_parse_fabric(ctx, s);
		} else if (!strcmp(k, "backend_defaults")) {
			cfg_parse_backend(ctx, s);
		} else if (!strcmp(k, "devices")) {
			cfg_is_list(ctx, s, "devices");
		} else if (!strcmp(k, "targets")) {
			cfg_is_list(ctx, s, "targets");
		} else {
			cfg_unknown(ctx, s, NULL);
		}
	}
	if (main_file && !have_version)
		cfg_err_at(
			ctx, ctx->cur->name, 0,
			"missing \"version = 1;\" (required in the main file)");
}
