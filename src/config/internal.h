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
#include <stdio.h>
#include <sys/types.h>

#include "config/config.h"
#include "log.h"
#include "util.h"

/* Limits (documented in srptd.conf(5)). */
#define CFG_MAX_LUN 16383 /* SAM flat/peripheral LUN addressing, 14 bits */
#define CFG_MAX_WORKERS 1024
/* daemon.busy_poll_us: a longer window only burns CPU (srptd.conf(5)). */
#define CFG_MAX_BUSY_POLL_US 1000000
#define CFG_MAX_FILE_SIZE (16u << 20)
#define CFG_MAX_DROPINS 1024

struct cfg_file {
	char name[256];
	char *text; /* file contents: libconfig 1.5 truncates big ints */
	size_t len; /* bytes in text, without the terminating NUL */
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

/*
 * The key table.  Every setting srptd accepts is one struct cfg_key in one
 * section table (keys.c); parsing, defaults, the dump and the reload diff
 * of the scalar keys are driven by it, and the documentation test
 * (tests/unit/config/test_config_keys.c) checks it against srptd.conf(5)
 * and conf/srptd.conf.  Structured keys (lists of groups, GIDs) name their
 * type here and keep dedicated code.
 */
enum cfg_type {
	CFG_T_VERSION, /* unsigned int, must be 1 */
	CFG_T_BOOL, /* bool */
	CFG_T_U32, /* uint32_t (or unsigned int) within min..max */
	CFG_T_NAME, /* char[size]: 1..size-1 of [A-Za-z0-9_.:-] (or "") */
	CFG_T_PATH, /* char[size]: absolute path ("" with CFG_K_EMPTY_OK) */
	CFG_T_ADDRESS, /* char[size]: "" or an address, kept as text */
	CFG_T_LOG_LEVEL, /* int, LOG_ERR..LOG_DEBUG */
	CFG_T_LOG_COMPONENTS, /* unsigned int, 1 << LOG_C_x */
	CFG_T_PORTS, /* char (*)[64] at off, unsigned int count at off_n */
	CFG_T_LISTEN, /* struct config_listen * at off, count at off_n */
	CFG_T_ENGINE, /* enum config_engine */
	CFG_T_FALLBACK, /* enum config_engine[] at off, count at off_n */
	CFG_T_SIZE, /* uint64_t bytes, integer or "512M" */
	CFG_T_BLOCK_SIZE, /* uint32_t: 512 or 4096 (0 = unset) */
	CFG_T_ASCII, /* char[size], printable (CFG_K_SPACES: with spaces) */
	CFG_T_NAA, /* char[33], NAA 6 name in lower case */
	CFG_T_GUID, /* uint64_t at off, bool "auto" at off_n */
	CFG_T_POLICY, /* enum config_unknown_policy */
	CFG_T_ALUA_STATE, /* enum config_alua_state */
	CFG_T_ALUA_PEERS, /* struct config_alua (its peers) at off */
	CFG_T_RTPIS, /* uint16_t[] relative port ids at off, count at off_n */
	/* Dedicated code (parse_targets.c); listed for completeness. */
	CFG_T_LIST, /* a list of groups: devices, targets, groups */
	CFG_T_LUN_MAP, /* a list of LUN entries */
	CFG_T_GIDS, /* an array of GIDs */
	CFG_T_LUN, /* a LUN number 0..CFG_MAX_LUN */
	CFG_T_DEVICE_REF, /* the name of a device */
};

/* What a reload does when the value changed (srptd.conf(5) RELOAD). */
enum cfg_reload {
	CFG_RELOAD_LIVE, /* the new value is used at once */
	CFG_RELOAD_RESTART, /* reported, keeps its old value until restart */
	CFG_RELOAD_REOPEN, /* the device is closed and opened again */
	CFG_RELOAD_RELOGIN, /* the target's initiators are logged out */
};

#define CFG_K_EMPTY_OK (1u << 0) /* CFG_T_PATH, CFG_T_NAME: "" is allowed */
#define CFG_K_MAIN_ONLY (1u << 1) /* only in the main file */
#define CFG_K_SPACES (1u << 2) /* CFG_T_ASCII: spaces allowed */
#define CFG_K_ID (1u << 3) /* the entry's name, parsed before the rest */
#define CFG_K_FROM_BACKEND (1u << 4) /* default: backend_defaults.<key> */
#define CFG_K_DUMP_IF_SET (1u << 5) /* dump only a non-zero/non-empty value */
#define CFG_K_DUMP_INLINE (1u << 6) /* dump the key's group on one line */
#define CFG_K_LOOPBACK (1u << 7) /* CFG_T_ADDRESS: loopback addresses only */

struct cfg_key {
	const char *path; /* within its section: "fabric.rdma_cm.listen" */
	enum cfg_type type;
	size_t off; /* offsetof() into the section's struct */
	size_t off_n; /* second field: array count, GUID "auto" flag */
	size_t size; /* character buffers */
	long long min, max; /* CFG_T_U32 */
	long long def; /* default of numbers and booleans */
	const char *def_s; /* default of strings and names */
	const char *const *def_list; /* default of arrays, NULL-terminated */
	enum cfg_reload reload;
	unsigned int flags;
	/* CFG_T_LIST, CFG_T_LUN_MAP: the entries' section and size. */
	const struct cfg_section *sub;
	size_t elem_size;
};

/* Most keys of a section entry (a device, a target, ...). */
#define CFG_MAX_SECTION_KEYS 24

/* A section: the keys of one struct (struct config, a device, ...). */
struct cfg_section {
	const char *path; /* "" (top level), "devices", "lun_map", ... */
	const struct cfg_key *keys;
	unsigned int n_keys;
};

extern const struct cfg_section cfg_top, cfg_devices, cfg_targets, cfg_groups,
	cfg_lun_entries, cfg_alua_peers;

/* keys.c */
const struct cfg_key *cfg_key_find(const struct cfg_section *sec,
				   const char *path);
/* Is path a group of the section (a prefix of some key's path)? */
bool cfg_key_is_group(const struct cfg_section *sec, const char *path);
static inline void *cfg_key_ptr(const struct cfg_key *k, void *base)
{
	return (char *)base + k->off;
}
static inline const void *cfg_key_cptr(const struct cfg_key *k,
				       const void *base)
{
	return (const char *)base + k->off;
}
/*
 * Set every key of sec in the zeroed base to its default (CFG_K_FROM_BACKEND
 * keys: cfg's backend_defaults); 0 or -ENOMEM.
 */
int cfg_keys_default(const struct cfg_section *sec, void *base,
		     const struct config *cfg);

/* parse.c: parse setting s as key k into base; 0 or -EINVAL. */
int cfg_key_parse(struct cfg_ctx *ctx, const struct cfg_key *k,
		  const config_setting_t *s, const char *where, void *base);

/* diff.c: same value of key k in a and b? */
bool cfg_key_equal(const struct cfg_key *k, const void *a, const void *b);

/* dump.c */
void cfg_put_str(FILE *f, const char *s);

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
int cfg_get_guid_setting(struct cfg_ctx *ctx, const config_setting_t *s,
			 const char *where, bool *is_auto, uint64_t *v);
int cfg_get_policy(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *where, enum config_unknown_policy *out);
int cfg_get_listen_list(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, struct config_listen **listen,
			unsigned int *n_listen);

/* alua.c: the alua section's own types and the cross checks. */
enum config_alua_state config_alua_state_parse(const char *name); /* or 0 */
int cfg_get_alua_rtpis(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, uint16_t *ports, unsigned int *n);
int cfg_get_alua_state(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, enum config_alua_state *out);
int cfg_get_alua_peers(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, struct config_alua *a);
void cfg_put_alua_peers(FILE *f, const struct config_alua *a);
bool cfg_alua_peers_equal(const struct config_alua *a,
			  const struct config_alua *b);
/* After every pass: group ids and relative port ids are unique. */
void cfg_check_alua(struct cfg_ctx *ctx);

/* parse.c */
bool cfg_is_group(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where);
bool cfg_is_list(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where);
void cfg_unknown(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where);
const config_setting_t *cfg_member(const config_setting_t *g, const char *name);
/*
 * The settings of group g, a section entry (a device, a target, ...):
 * skips CFG_K_ID keys, parses the others into base with where = "<who>
 * <key>", reports unknown ones "in <who>".  seen[i] receives the setting
 * of sec->keys[i] (NULL if absent), rc[i] its parse result; both hold
 * CFG_MAX_SECTION_KEYS entries.
 */
void cfg_parse_entry(struct cfg_ctx *ctx, const config_setting_t *g,
		     const struct cfg_section *sec, const char *who, void *base,
		     const config_setting_t **seen, int *rc);
/* Pass 1: top-level keys and the scalar sections of one file. */
void cfg_pass_sections(struct cfg_ctx *ctx, bool main_file);

/* parse_devices.c: pass 2. */
void cfg_pass_devices(struct cfg_ctx *ctx);

/*
 * validate.c: checks across the keys of a device (seen and rc as from
 * cfg_parse_entry(); a null device gets block size 512), and a target's
 * identity against the targets before it.
 */
void cfg_check_device(struct cfg_ctx *ctx, const config_setting_t *g,
		      const char *who, struct config_device *d,
		      const config_setting_t *const *seen, const int *rc);
void cfg_check_identity(struct cfg_ctx *ctx, const config_setting_t *g,
			const struct config_target *t);

/* parse_targets.c: pass 3. */
void cfg_pass_targets(struct cfg_ctx *ctx);
void cfg_target_free(struct config_target *t);

#endif
