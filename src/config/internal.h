/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internals of the configuration loader shared by the files of src/config/.
 * Nothing here is used outside src/config/; the public API is config.h.
 */
#ifndef SRPTD_CONFIG_INTERNAL_H
#define SRPTD_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"
#include "log.h"
#include "util.h"

/* Limits (documented in srptd.conf(5)). */
#define CFG_MAX_LUN 16383 /* SAM flat/peripheral LUN addressing, 14 bits */
#define CFG_MAX_WORKERS 1024
#define CFG_MAX_FILE_SIZE (16u << 20)
#define CFG_MAX_DROPINS 1024

struct cfg_file {
	char name[256];
	char *text; /* file contents: libconfig 1.5 truncates big ints */
	config_t lc;
	bool parsed;
};

struct cfg_ctx {
	struct config *cfg;
	struct config_errors *errs;
	struct cfg_file *files;
	unsigned int n_files;
	const struct cfg_file *cur; /* file being processed */
	unsigned int devices_cap;
	unsigned int targets_cap;
	dev_t main_dev; /* the main file, never read again as a drop-in */
	ino_t main_ino;
};

extern const char *const cfg_engine_names[CONFIG_ENGINE_COUNT];
extern const char *const cfg_component_names[LOG_C_COUNT];

/* errors.c */
void cfg_fmt(char *buf, size_t size, const char *fmt, ...) SRPTD_PRINTF(3, 4);
void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		const char *fmt, ...) SRPTD_PRINTF(4, 5);
/* Error at setting s (its file and line). */
void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	     ...) SRPTD_PRINTF(3, 4);
const char *cfg_file_of(const struct cfg_ctx *ctx, const config_setting_t *s);
int cfg_line_of(const config_setting_t *s);

/* values.c: typed getters; each reports its own error, returns -EINVAL. */
int cfg_expect(struct cfg_ctx *ctx, const config_setting_t *s,
	       const char *where, const char *expected);
int cfg_get_int(struct cfg_ctx *ctx, const config_setting_t *s,
		const char *where, long long *out);
int cfg_get_uint(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where, long long min, long long max,
		 uint32_t *out);
int cfg_get_bool(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where, bool *out);
void cfg_copy(char *buf, size_t size, const char *v);
int cfg_get_str(struct cfg_ctx *ctx, const config_setting_t *s,
		const char *where, char *buf, size_t size);
int cfg_get_ascii(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where, char *buf, size_t size, bool spaces);
int cfg_get_name(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where, char *buf, size_t size);
int cfg_get_abspath(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *where, char *buf, size_t size, bool empty_ok);
int cfg_get_size(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where, uint64_t *out);
int cfg_get_engine(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *where, enum config_engine *out);
int cfg_get_fallback(struct cfg_ctx *ctx, const config_setting_t *s,
		     const char *where, enum config_engine *fb,
		     unsigned int *n_fb);
int cfg_get_listen(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *where, struct config_listen *out);
int cfg_alloc_elems(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *where, const char *what, size_t elem_size,
		    void **out, int *n);
int cfg_get_ports(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where, char (**ports)[64], unsigned int *n_ports);

/* parse.c */
bool cfg_is_group(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where);
bool cfg_is_list(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where);
void cfg_unknown(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where);
const config_setting_t *cfg_member(const config_setting_t *g, const char *name);
/* Pass 1: top-level keys and the scalar sections of one file. */
void cfg_pass_sections(struct cfg_ctx *ctx, bool main_file);

/* parse_devices.c: pass 2. */
void cfg_pass_devices(struct cfg_ctx *ctx);

/* parse_targets.c: pass 3. */
void cfg_pass_targets(struct cfg_ctx *ctx);
void cfg_target_free(struct config_target *t);

#endif
