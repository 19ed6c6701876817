/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * config_dump(): a loaded config as libconfig text that loads back into an
 * equal config (every value explicit).  Driven by the key table (keys.c):
 * keys are written in table order, groups opened and closed as the keys'
 * paths enter and leave them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"
#include "log.h"

void cfg_put_str(FILE *f, const char *s)
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

static void cfg_put_entry(FILE *f, const struct cfg_section *sec,
			  const void *base, const struct config *cfg,
			  const char *indent, bool one_line);

/*
 * A list of groups: "( )", or each entry on lines of its own,
 * "(\n<indent>  {\n<keys>\n<indent>  }, ...\n<indent>)"; a lun_map puts
 * each entry on one line, "(\n<indent>  { lun = 0; ... }, ...\n)".
 */
static void cfg_put_list(FILE *f, const struct cfg_key *k, const void *base,
			 const struct config *cfg, const char *indent)
{
	const char *arr = *(const char *const *)cfg_key_cptr(k, base);
	unsigned int n = *(const unsigned int *)((const char *)base + k->off_n);
	bool one_line = k->type == CFG_T_LUN_MAP;
	char in[32];

	snprintf(in, sizeof(in), "%s    ", indent);
	fputc('(', f);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%s\n%s  {%s", i ? "," : "", indent,
			one_line ? " " : "\n");
		cfg_put_entry(f, k->sub, arr + i * k->elem_size, cfg, in,
			      one_line);
		fprintf(f, "%s%s}", one_line ? "" : indent,
			one_line ? "" : "  ");
	}
	if (!n)
		fputc(' ', f);
	else if (one_line)
		fputc('\n', f);
	else
		fprintf(f, "\n%s", indent);
	fputc(')', f);
}

/* An array of strings: "[ ]" or "[ "a", "b" ]". */
static void cfg_put_array(FILE *f, const char *const *v, unsigned int n)
{
	fputc('[', f);
	for (unsigned int i = 0; i < n; i++) {
		fputs(i ? ", " : " ", f);
		cfg_put_str(f, v[i]);
	}
	fputs(" ]", f);
}

/* The value of key k of base, as libconfig reads it back. */
static void cfg_put_value(FILE *f, const struct cfg_key *k, const void *base,
			  const struct config *cfg, const char *indent)
{
	const void *p = cfg_key_cptr(k, base);
	const void *p2 = (const char *)base + k->off_n;
	unsigned int n = *(const unsigned int *)p2;
	const char *v[LOG_C_COUNT + CONFIG_ENGINE_COUNT];
	unsigned int nv = 0;

	switch (k->type) {
	case CFG_T_VERSION:
	case CFG_T_U32:
	case CFG_T_BLOCK_SIZE:
		fprintf(f, "%u", *(const uint32_t *)p);
		break;
	case CFG_T_BOOL:
		fputs(*(const bool *)p ? "true" : "false", f);
		break;
	case CFG_T_SIZE:
		fprintf(f, "%" PRIu64 "L", *(const uint64_t *)p);
		break;
	case CFG_T_LUN:
		fprintf(f, "%" PRIu64, *(const uint64_t *)p);
		break;
	case CFG_T_NAME:
	case CFG_T_PATH:
	case CFG_T_ADDRESS:
	case CFG_T_ASCII:
	case CFG_T_NAA:
		cfg_put_str(f, p);
		break;
	case CFG_T_LOG_LEVEL:
		cfg_put_str(f, log_level_name(*(const int *)p));
		break;
	case CFG_T_LOG_COMPONENTS:
		for (int c = 0; c < LOG_C_COUNT; c++)
			if (*(const unsigned int *)p & (1u << c))
				v[nv++] = cfg_component_names[c];
		cfg_put_array(f, v, nv);
		break;
	case CFG_T_ENGINE:
		cfg_put_str(f,
			    config_engine_name(*(const enum config_engine *)p));
		break;
	case CFG_T_FALLBACK:
		for (unsigned int i = 0; i < n; i++)
			v[nv++] = config_engine_name(
				((const enum config_engine *)p)[i]);
		cfg_put_array(f, v, nv);
		break;
	case CFG_T_PORTS: {
		const char(*ports)[64] = *(const char(*const *)[64])p;

		fputc('[', f);
		for (unsigned int i = 0; i < n; i++) {
			fputs(i ? ", " : " ", f);
			cfg_put_str(f, ports[i]);
		}
		fputs(" ]", f);
		break;
	}
	case CFG_T_LISTEN: {
		const struct config_listen *l =
			*(const struct config_listen *const *)p;

		fputc('[', f);
		for (unsigned int i = 0; i < n; i++)
			fprintf(f,
				strchr(l[i].addr, ':') ? "%s\"[%s]:%u\"" :
							 "%s\"%s:%u\"",
				i ? ", " : " ", l[i].addr, l[i].port);
		fputs(" ]", f);
		break;
	}
	case CFG_T_GUID:
		if (*(const bool *)p2)
			fputs("\"auto\"", f);
		else
			fprintf(f, "\"0x%016" PRIx64 "\"",
				*(const uint64_t *)p);
		break;
	case CFG_T_POLICY:
		fputs(*(const enum config_unknown_policy *)p ==
				      CONFIG_UNKNOWN_DEFAULT_MAP ?
			      "\"default-map\"" :
			      "\"deny\"",
		      f);
		break;
	case CFG_T_ALUA_STATE:
		cfg_put_str(f, config_alua_state_name(
				       *(const enum config_alua_state *)p));
		break;
	case CFG_T_ALUA_PEERS:
		cfg_put_alua_peers(f, p);
		break;
	case CFG_T_RTPIS:
		fputc('[', f);
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "%s%u", i ? ", " : " ",
				((const uint16_t *)p)[i]);
		fputs(" ]", f);
		break;
	case CFG_T_DEVICE_REF:
		cfg_put_str(f, cfg->devices[*(const unsigned int *)p].name);
		break;
	case CFG_T_GIDS: {
		const uint8_t(*gids)[16] = *(const uint8_t(*const *)[16])p;

		fputc('[', f);
		for (unsigned int i = 0; i < n; i++) {
			char gs[40];

			config_format_gid(gids[i], gs);
			fprintf(f, "%s\"%s\"", i ? ", " : " ", gs);
		}
		fputs(" ]", f);
		break;
	}
	case CFG_T_LIST:
	case CFG_T_LUN_MAP:
		cfg_put_list(f, k, base, cfg, indent);
		break;
	}
}

/* Is key k of base at its "unset" value (CFG_K_DUMP_IF_SET)? */
static bool cfg_key_unset(const struct cfg_key *k, const void *base)
{
	const void *p = cfg_key_cptr(k, base);

	switch (k->type) {
	case CFG_T_SIZE:
		return !*(const uint64_t *)p;
	case CFG_T_BLOCK_SIZE:
	case CFG_T_U32:
		return !*(const uint32_t *)p;
	default:
		return !*(const char *)p;
	}
}

/* "<indent>key = value;\n" for every key, or "key = value; " on one line. */
static void cfg_put_entry(FILE *f, const struct cfg_section *sec,
			  const void *base, const struct config *cfg,
			  const char *indent, bool one_line)
{
	for (unsigned int i = 0; i < sec->n_keys; i++) {
		const struct cfg_key *k = &sec->keys[i];

		if ((k->flags & CFG_K_DUMP_IF_SET) && cfg_key_unset(k, base))
			continue;
		fprintf(f, "%s%s = ", one_line ? "" : indent, k->path);
		cfg_put_value(f, k, base, cfg, indent);
		fputs(one_line ? "; " : ";\n", f);
	}
}

/* Length of the group part of path ("fabric.rdma_cm" of its "listen"). */
static size_t cfg_group_len(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? (size_t)(dot - path) : 0;
}

static unsigned int cfg_depth(const char *path, size_t len)
{
	unsigned int d = len ? 1 : 0;

	for (size_t i = 0; i < len; i++)
		d += path[i] == '.';
	return d;
}

void config_dump(const struct config *cfg, FILE *f)
{
	static const char spaces[] = "                ";
	const char *cur = ""; /* the open groups, e.g. "fabric.rdma_cm" */
	size_t cur_len = 0;
	bool inline_group = false;

	fputs("# srptd configuration: merged main file and drop-ins (see srptd.conf(5))\n",
	      f);
	for (unsigned int i = 0; i <= cfg_top.n_keys; i++) {
		const struct cfg_key *k =
			i < cfg_top.n_keys ? &cfg_top.keys[i] : NULL;
		const char *path = k ? k->path : "";
		size_t len = k ? cfg_group_len(path) : 0;
		size_t common = 0;
		unsigned int depth;

		/* The longest group prefix shared with the open groups. */
		for (size_t j = 0; j <= MIN(len, cur_len); j++)
			if ((j == len || path[j] == '.') &&
			    (j == cur_len || cur[j] == '.') &&
			    !strncmp(path, cur, j))
				common = j;
		/* Close the groups k is not in, innermost first. */
		for (depth = cfg_depth(cur, cur_len);
		     depth > cfg_depth(cur, common); depth--) {
			if (inline_group)
				fputs("};\n", f);
			else
				fprintf(f, "%.*s};\n", 2 * (depth - 1), spaces);
			inline_group = false;
		}
		if (!k)
			break;
		/* Open the groups of k. */
		for (size_t j = common ? common + 1 : 0; j < len;) {
			size_t e = j + strcspn(path + j, ".");

			if (e > len)
				e = len;
			depth = cfg_depth(path, e);
			inline_group = e == len &&
				       (k->flags & CFG_K_DUMP_INLINE);
			fprintf(f, "%s%.*s%.*s: {%s", depth == 1 ? "\n" : "",
				2 * (depth - 1), spaces, (int)(e - j), path + j,
				inline_group ? " " : "\n");
			j = e + 1;
		}
		cur = path;
		cur_len = len;
		depth = cfg_depth(path, len);
		if (!depth && k->type == CFG_T_LIST)
			fputc('\n', f);
		if (inline_group) {
			fprintf(f, "%s = ", path + len + 1);
			cfg_put_value(f, k, cfg, cfg, "");
			fputs("; ", f);
			continue;
		}
		fprintf(f, "%.*s%s = ", 2 * depth, spaces,
			path + (len ? len + 1 : 0));
		cfg_put_value(f, k, cfg, cfg, "");
		fputs(";\n", f);
	}
}
