/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * config_dump(): a loaded config as libconfig text that loads back into an
 * equal config (every value explicit).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"
#include "log.h"

static void cfg_put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void cfg_put_kv(FILE *f, const char *indent, const char *key,
		       const char *val)
{
	fprintf(f, "%s%s = ", indent, key);
	cfg_put_str(f, val);
	fputs(";\n", f);
}

static void cfg_put_bool(FILE *f, const char *indent, const char *key, bool v)
{
	fprintf(f, "%s%s = %s;\n", indent, key, v ? "true" : "false");
}

static void cfg_put_engines(FILE *f, const char *indent, const char *key,
			    const enum config_engine *e, unsigned int n)
{
	fprintf(f, "%s%s = [", indent, key);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : " ",
			config_engine_name(e[i]));
	fputs(" ];\n", f);
}

static void cfg_put_ports(FILE *f, const char *indent, char (*ports)[64],
			  unsigned int n)
{
	fprintf(f, "%sports = [", indent);
	for (unsigned int i = 0; i < n; i++) {
		fputs(i ? ", " : " ", f);
		cfg_put_str(f, ports[i]);
	}
	fputs(" ];\n", f);
}

static void cfg_put_luns(FILE *f, const char *indent, const struct config *cfg,
			 const struct config_lun *l, unsigned int n)
{
	fprintf(f, "%slun_map = (", indent);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f,
			"%s\n%s  { lun = %" PRIu64 "; device = ", i ? "," : "",
			indent, l[i].lun);
		cfg_put_str(f, cfg->devices[l[i].device].name);
		fprintf(f, "; read_only = %s; }",
			l[i].read_only ? "true" : "false");
	}
	fprintf(f, "%s);\n", n ? "\n" : " ");
}

static void cfg_put_guid(FILE *f, const char *indent, const char *key,
			 bool is_auto, uint64_t v)
{
	if (is_auto)
		fprintf(f, "%s%s = \"auto\";\n", indent, key);
	else
		fprintf(f, "%s%s = \"0x%016" PRIx64 "\";\n", indent, key, v);
}

void config_dump(const struct config *cfg, FILE *f)
{
	const struct config_daemon *d = &cfg->daemon;
	const struct config_fabric *fb = &cfg->fabric;
	const struct config_backend_defaults *b = &cfg->backend;
	bool first;

	fputs("# srptd configuration: merged main file and drop-ins (see srptd.conf(5))\n",
	      f);
	fprintf(f, "version = %u;\n\ndaemon: {\n", cfg->version);
	cfg_put_kv(f, "  ", "log_level", log_level_name(d->log_level));
	fputs("  log_components = [", f);
	first = true;
	for (int c = 0; c < LOG_C_COUNT; c++) {
		if (!(d->log_components & (1u << c)))
			continue;
		fprintf(f, "%s\"%s\"", first ? " " : ", ",
			cfg_component_names[c]);
		first = false;
	}
	fputs(" ];\n", f);
	cfg_put_kv(f, "  ", "control_socket", d->control_socket);
	cfg_put_kv(f, "  ", "control_group", d->control_group);
	fprintf(f, "  workers = %u;\n", d->workers);
	cfg_put_kv(f, "  ", "include_dir", d->include_dir);
	fputs("  metrics: {\n", f);
	cfg_put_kv(f, "    ", "listen", d->metrics_listen);
	fputs("  };\n};\n\nfabric: {\n", f);
	cfg_put_ports(f, "  ", fb->ports, fb->n_ports);
	fprintf(f, "  ib_cm: { enabled = %s; };\n",
		fb->ib_cm_enabled ? "true" : "false");
	fprintf(f, "  rdma_cm: {\n    enabled = %s;\n    listen = [",
		fb->rdma_cm_enabled ? "true" : "false");
	for (unsigned int i = 0; i < fb->n_listen; i++) {
		const struct config_listen *l = &fb->listen[i];

		if (strchr(l->addr, ':'))
			fprintf(f, "%s\"[%s]:%u\"", i ? ", " : " ", l->addr,
				l->port);
		else
			fprintf(f, "%s\"%s:%u\"", i ? ", " : " ", l->addr,
				l->port);
	}
	fputs(" ];\n  };\n", f);
	cfg_put_bool(f, "  ", "dm_agent", fb->dm_agent);
	fprintf(f, "  max_req_size = %u;\n", fb->max_req_size);
	fprintf(f, "  max_rsp_size = %u;\n", fb->max_rsp_size);
	fprintf(f, "  max_rdma_size = %u;\n", fb->max_rdma_size);
	fprintf(f, "  queue_depth = %u;\n", fb->queue_depth);
	cfg_put_bool(f, "  ", "use_srq", fb->use_srq);
	fprintf(f, "  srq_size = %u;\n", fb->srq_size);
	fprintf(f, "  send_queue_size = %u;\n};\n\n", fb->send_queue_size);

	fputs("backend_defaults: {\n", f);
	cfg_put_kv(f, "  ", "engine", config_engine_name(b->engine));
	cfg_put_engines(f, "  ", "fallback", b->fallback, b->n_fallback);
	cfg_put_bool(f, "  ", "direct_io", b->direct_io);
	fputs("};\n\ndevices = (", f);

	for (unsigned int i = 0; i < cfg->n_devices; i++) {
		const struct config_device *dv = &cfg->devices[i];

		fprintf(f, "%s\n  {\n", i ? "," : "");
		cfg_put_kv(f, "    ", "name", dv->name);
		if (dv->path[0])
			cfg_put_kv(f, "    ", "path", dv->path);
		cfg_put_kv(f, "    ", "engine", config_engine_name(dv->engine));
		cfg_put_engines(f, "    ", "fallback", dv->fallback,
				dv->n_fallback);
		if (dv->size)
			fprintf(f, "    size = %" PRIu64 "L;\n", dv->size);
		if (dv->block_size)
			fprintf(f, "    block_size = %u;\n", dv->block_size);
		cfg_put_bool(f, "    ", "create", dv->create);
		cfg_put_bool(f, "    ", "write_cache", dv->write_cache);
		cfg_put_bool(f, "    ", "read_only", dv->read_only);
		cfg_put_bool(f, "    ", "direct_io", dv->direct_io);
		if (dv->serial[0])
			cfg_put_kv(f, "    ", "serial", dv->serial);
		if (dv->naa[0])
			cfg_put_kv(f, "    ", "naa", dv->naa);
		cfg_put_kv(f, "    ", "vendor", dv->vendor);
		cfg_put_kv(f, "    ", "product", dv->product);
		cfg_put_kv(f, "    ", "revision", dv->revision);
		fputs("  }", f);
	}
	fprintf(f, "%s);\n\ntargets = (", cfg->n_devices ? "\n" : " ");

	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];

		fprintf(f, "%s\n  {\n", i ? "," : "");
		cfg_put_kv(f, "    ", "name", t->name);
		cfg_put_guid(f, "    ", "id_ext", t->id_ext_auto, t->id_ext);
		cfg_put_guid(f, "    ", "ioc_guid", t->ioc_guid_auto,
			     t->ioc_guid);
		cfg_put_ports(f, "    ", t->ports, t->n_ports);
		cfg_put_kv(f, "    ", "unknown_initiators",
			   t->unknown_initiators == CONFIG_UNKNOWN_DEFAULT_MAP ?
				   "default-map" :
				   "deny");
		cfg_put_luns(f, "    ", cfg, t->luns, t->n_luns);
		fputs("    groups = (", f);
		for (unsigned int g = 0; g < t->n_groups; g++) {
			const struct config_group *gr = &t->groups[g];

			fprintf(f, "%s\n      {\n", g ? "," : "");
			cfg_put_kv(f, "        ", "name", gr->name);
			fputs("        initiators = [", f);
			for (unsigned int k = 0; k < gr->n_initiators; k++) {
				char gs[40];

				config_format_gid(gr->initiators[k], gs);
				fprintf(f, "%s\"%s\"", k ? ", " : " ", gs);
			}
			fputs(" ];\n", f);
			cfg_put_luns(f, "        ", cfg, gr->luns, gr->n_luns);
			fputs("      }", f);
		}
		fprintf(f, "%s);\n  }", t->n_groups ? "\n    " : " ");
	}
	fprintf(f, "%s);\n", cfg->n_targets ? "\n" : " ");
}
