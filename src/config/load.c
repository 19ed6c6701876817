/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Configuration loader: libconfig text -> one validated, immutable struct
 * config.  Schema and merge rules are documented in man/srptd.conf.5.
 *
 * Loading runs in three passes over the main file followed by its drop-ins
 * (include_dir/ *.conf in strcmp order):
 *   1. top-level keys and the daemon/fabric/backend_defaults sections (a
 *      later file overrides an earlier one key by key);
 *   2. devices (engine defaults come from the merged backend_defaults, so
 *      this pass must follow pass 1 over every file);
 *   3. targets (lun_map entries may name a device from any file).
 * Every problem is recorded as "file:line: message" and loading goes on, so
 * one run of srptd --check-config lists all of them.
 *
 * libconfig 1.5 (Debian 12) has no include hook, hence the directory scan
 * here.  It is reentrant per config_t and this file keeps no global state,
 * so config_load() may run on any thread.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/internal.h"
#include "log.h"

/*
 * Parse cf->text (cf->len bytes, NUL-terminated) as libconfig text; cf->name
 * stands for the file in every message.  Returns 0 or -errno.
 */
static int cfg_parse_text(struct cfg_ctx *ctx, struct cfg_file *cf)
{
	char dir[256];
	char *slash;

	if (memchr(cf->text, 0, cf->len)) {
		cfg_err_at(ctx, cf->name, 0, "contains a NUL byte");
		return -EINVAL;
	}
	/* @include paths are relative to the including file's directory. */
	cfg_fmt(dir, sizeof(dir), "%s", cf->name);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		config_set_include_dir(&cf->lc, dir[0] ? dir : "/");
	}
	if (config_read_string(&cf->lc, cf->text) != CONFIG_TRUE) {
		const char *ef = config_error_file(&cf->lc);

		cfg_err_at(ctx, ef ? ef : cf->name, config_error_line(&cf->lc),
			   "%s", config_error_text(&cf->lc));
		return -EINVAL;
	}
	cf->parsed = true;
	return 0;
}

/* Copy len bytes of text into cf and parse them; errors are recorded. */
static int cfg_read_text(struct cfg_ctx *ctx, struct cfg_file *cf,
			 const char *text, size_t len)
{
	config_init(&cf->lc);
	if (len > CFG_MAX_FILE_SIZE) {
		cfg_err_at(ctx, cf->name, 0, "file too large (over %u bytes)",
			   CFG_MAX_FILE_SIZE);
		return -EFBIG;
	}
	cf->text = malloc(len + 1);
	if (!cf->text) {
		cfg_err_at(ctx, cf->name, 0, "out of memory");
		return -ENOMEM;
	}
	memcpy(cf->text, text, len);
	cf->text[len] = 0;
	cf->len = len;
	return cfg_parse_text(ctx, cf);
}

/* Read and parse one file; errors are recorded.  Returns 0 or -errno. */
static int cfg_read_file(struct cfg_ctx *ctx, struct cfg_file *cf)
{
	struct stat st;
	FILE *f;
	size_t n;
	int ret;

	config_init(&cf->lc);
	f = fopen(cf->name, "re");
	if (!f) {
		ret = -errno;
		cfg_err_at(ctx, cf->name, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		cfg_err_at(ctx, cf->name, 0, "not a regular file");
		fclose(f);
		return -EINVAL;
	}
	if (cf == &ctx->files[0]) {
		ctx->main_dev = st.st_dev;
		ctx->main_ino = st.st_ino;
	}
	if (st.st_size > CFG_MAX_FILE_SIZE) {
		cfg_err_at(ctx, cf->name, 0, "file too large (over %u bytes)",
			   CFG_MAX_FILE_SIZE);
		fclose(f);
		return -EFBIG;
	}
	cf->text = malloc((size_t)st.st_size + 1);
	if (!cf->text) {
		fclose(f);
		cfg_err_at(ctx, cf->name, 0, "out of memory");
		return -ENOMEM;
	}
	n = fread(cf->text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		ret = -errno;
		fclose(f);
		cfg_err_at(ctx, cf->name, 0, "cannot read: %s",
			   strerror(ret ? -ret : EIO));
		return ret ? ret : -EIO;
	}
	fclose(f);
	cf->text[n] = 0;
	cf->len = n;
	return cfg_parse_text(ctx, cf);
}

static int cfg_conf_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 &&
	       !strcmp(de->d_name + n - 5, ".conf");
}

/* strcmp, not strcoll: the order must not depend on the locale. */
static int cfg_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void cfg_scan_dropins(struct cfg_ctx *ctx, const char *dir)
{
	struct dirent **list = NULL;
	struct stat st;
	struct cfg_file *nf;
	int n;

	if (!dir[0])
		return;
	n = scandir(dir, &list, cfg_conf_filter, cfg_name_cmp);
	if (n < 0) {
		/* No drop-in directory is the normal case. */
		if (errno != ENOENT)
			cfg_err_at(ctx, dir, 0, "cannot read directory: %s",
				   strerror(errno));
		return;
	}
	if (n > CFG_MAX_DROPINS) {
		cfg_err_at(ctx, dir, 0, "more than %d drop-in files",
			   CFG_MAX_DROPINS);
		goto out;
	}
	nf = realloc(ctx->files, (ctx->n_files + n) * sizeof(*nf));
	if (!nf) {
		cfg_err_at(ctx, dir, 0, "out of memory");
		goto out;
	}
	ctx->files = nf;
	for (int i = 0; i < n; i++) {
		struct cfg_file *cf = &ctx->files[ctx->n_files];
		size_t dl = strlen(dir);

		memset(cf, 0, sizeof(*cf));
		if (dl + 1 + strlen(list[i]->d_name) >= sizeof(cf->name)) {
			cfg_err_at(ctx, dir, 0, "drop-in path too long: %s",
				   list[i]->d_name);
			continue;
		}
		cfg_fmt(cf->name, sizeof(cf->name), "%s%s%s", dir,
			dir[dl - 1] == '/' ? "" : "/", list[i]->d_name);
		/* A main file inside its own include_dir is read once. */
		if (!stat(cf->name, &st) && st.st_dev == ctx->main_dev &&
		    st.st_ino == ctx->main_ino)
			continue;
		ctx->n_files++;
		cfg_read_file(ctx, cf);
	}
out:
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* ------------------------------------------------------------------ */
/* Public                                                              */

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->fabric.ports);
	free(cfg->fabric.listen);
	free(cfg->devices);
	for (unsigned int i = 0; i < cfg->n_targets; i++)
		cfg_target_free(&cfg->targets[i]);
	free(cfg->targets);
	free(cfg);
}

/*
 * The main file is the file path (text == NULL) or the len bytes at text,
 * which path names in messages; the rest is the same for both.
 */
static int cfg_load(const char *path, const char *text, size_t len,
		    const char *include_dir_override, struct config **out,
		    struct config_errors *errs)
{
	struct cfg_ctx ctx = { .errs = errs };
	int ret;

	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	ctx.cfg = calloc(1, sizeof(*ctx.cfg));
	ctx.files = calloc(1, sizeof(*ctx.files));
	/* Defaults: every key of the table (keys.c). */
	if (!ctx.cfg || !ctx.files ||
	    cfg_keys_default(&cfg_top, ctx.cfg, ctx.cfg)) {
		cfg_err_at(&ctx, path, 0, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	cfg_fmt(ctx.cfg->path, sizeof(ctx.cfg->path), "%s", path);
	if (strlen(path) >= sizeof(ctx.files[0].name)) {
		cfg_err_at(&ctx, path, 0, "path too long");
		ret = -ENAMETOOLONG;
		goto out;
	}
	strcpy(ctx.files[0].name, path);
	ctx.n_files = 1;
	if (text)
		ret = cfg_read_text(&ctx, &ctx.files[0], text, len);
	else
		ret = cfg_read_file(&ctx, &ctx.files[0]);
	if (ret) {
		/* The main file's -ENOENT/-EACCES reach the caller as is. */
		if (ret != -ENOENT && ret != -EACCES)
			ret = -EINVAL;
		goto out;
	}

	ctx.cur = &ctx.files[0];
	cfg_pass_sections(&ctx, true);
	if (include_dir_override)
		cfg_fmt(ctx.cfg->daemon.include_dir,
			sizeof(ctx.cfg->daemon.include_dir), "%s",
			include_dir_override);
	cfg_scan_dropins(&ctx, ctx.cfg->daemon.include_dir);
	for (unsigned int i = 1; i < ctx.n_files; i++) {
		if (!ctx.files[i].parsed)
			continue;
		ctx.cur = &ctx.files[i];
		cfg_pass_sections(&ctx, false);
	}
	for (unsigned int i = 0; i < ctx.n_files; i++) {
		if (!ctx.files[i].parsed)
			continue;
		ctx.cur = &ctx.files[i];
		cfg_pass_devices(&ctx);
	}
	for (unsigned int i = 0; i < ctx.n_files; i++) {
		if (!ctx.files[i].parsed)
			continue;
		ctx.cur = &ctx.files[i];
		cfg_pass_targets(&ctx);
	}
	cfg_check_alua(&ctx);
	ret = errs->n || errs->dropped ? -EINVAL : 0;
out:
	for (unsigned int i = 0; ctx.files && i < ctx.n_files; i++) {
		config_destroy(&ctx.files[i].lc);
		free(ctx.files[i].text);
	}
	free(ctx.files);
	if (ret) {
		config_free(ctx.cfg);
		return ret;
	}
	*out = ctx.cfg;
	return 0;
}

int config_load(const char *path, const char *include_dir_override,
		struct config **out, struct config_errors *errs)
{
	return cfg_load(path, NULL, 0, include_dir_override, out, errs);
}

int config_load_string(const char *name, const char *text, size_t len,
		       const char *include_dir_override, struct config **out,
		       struct config_errors *errs)
{
	return cfg_load(name, text ? text : "", text ? len : 0,
			include_dir_override, out, errs);
}
