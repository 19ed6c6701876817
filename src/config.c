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
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "config.h"
#include "util.h"
#include "log.h"
#include "srptd/version.h"

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

static const char *const cfg_engine_names[CONFIG_ENGINE_COUNT] = {
	[CONFIG_ENGINE_IO_URING] = "io_uring",
	[CONFIG_ENGINE_AIO] = "aio",
	[CONFIG_ENGINE_SYNC] = "sync",
	[CONFIG_ENGINE_NULL] = "null",
};

static const char *const cfg_component_names[LOG_C_COUNT] = {
	[LOG_C_CORE] = "core",	     [LOG_C_CONFIG] = "config",
	[LOG_C_CM] = "cm",	     [LOG_C_DM] = "dm",
	[LOG_C_SRP] = "srp",	     [LOG_C_SCSI] = "scsi",
	[LOG_C_BACKEND] = "backend", [LOG_C_CTL] = "ctl",
	[LOG_C_FABRIC] = "fabric",
};

const char *config_engine_name(enum config_engine e)
{
	if ((unsigned int)e >= CONFIG_ENGINE_COUNT)
		return "?";
	return cfg_engine_names[e];
}

/*
 * snprintf for messages, names and paths whose length was checked or whose
 * truncation is harmless (a long name in an error message).
 */
static void cfg_fmt(char *buf, size_t size, const char *fmt, ...)
	SRPTD_PRINTF(3, 4);

static void cfg_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */

static void cfg_verr(struct config_errors *errs, const char *file, int line,
		     const char *fmt, va_list ap) SRPTD_PRINTF(4, 0);

static void cfg_verr(struct config_errors *errs, const char *file, int line,
		     const char *fmt, va_list ap)
{
	struct config_error *e;

	if (errs->n >= CONFIG_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	e = &errs->e[errs->n++];
	cfg_fmt(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

static void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		       const char *fmt, ...) SRPTD_PRINTF(4, 5);

static void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(ctx->errs, file, line, fmt, ap);
	va_end(ap);
}

static const char *cfg_file_of(const struct cfg_ctx *ctx,
			       const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	/* NULL unless the setting came from an @include'd file. */
	return f ? f : ctx->cur->name;
}

static int cfg_line_of(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

/* Error at setting s (its file and line). */
static void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *fmt, ...) SRPTD_PRINTF(3, 4);

static void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(ctx->errs, cfg_file_of(ctx, s), cfg_line_of(s), fmt, ap);
	va_end(ap);
}

void config_errors_print(const struct config_errors *errs, FILE *f)
{
	for (unsigned int i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->e[i];

		if (e->line > 0)
			fprintf(f, "%s:%d: %s\n", e->file, e->line, e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
	if (errs->dropped)
		fprintf(f, "... and %u more errors\n", errs->dropped);
}

/* ------------------------------------------------------------------ */
/* Typed getters; each reports its own error and returns -EINVAL.      */

static const char *cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "an unknown type";
}

static int cfg_expect(struct cfg_ctx *ctx, const config_setting_t *s,
		      const char *where, const char *expected)
{
	cfg_err(ctx, s, "%s: expected %s, got %s", where, expected,
		cfg_type_name(config_setting_type(s)));
	return -EINVAL;
}

/*
 * libconfig 1.5 stores a decimal literal without the L suffix in 32 bits
 * and silently wraps bigger values (5000000000 reads as 705032704).  Look
 * at the literal in the file text to catch that instead of exporting a
 * wrong size.  Several settings of the same name may share a line, so a
 * literal only counts if its wrapped value is the one libconfig stored.
 * Returns false if the setting's literal does not fit in 32 bits.
 */
static bool cfg_int_literal_fits(const struct cfg_ctx *ctx,
				 const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	const char *p = ctx->cur->text;
	int stored = config_setting_get_int(s);
	int line = cfg_line_of(s);
	bool overflow = false;
	size_t nlen;

	if (!name || !p || config_setting_source_file(s))
		return true;
	for (int l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return true;
	nlen = strlen(name);
	for (const char *q = p; *q && *q != '\n'; q++) {
		unsigned long long v;
		bool neg = false, hex, fits;
		const char *r;
		uint32_t wrapped;
		char *end;

		if (strncmp(q, name, nlen) != 0)
			continue;
		if (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_' ||
			      q[-1] == '-' || q[-1] == '*'))
			continue;
		r = q + nlen;
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r != '=' && *r != ':')
			continue;
		r++;
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '-' || *r == '+')
			neg = *r++ == '-';
		if (!isdigit((unsigned char)*r))
			continue;
		hex = r[0] == '0' && (r[1] == 'x' || r[1] == 'X');
		errno = 0;
		v = strtoull(r, &end, hex ? 16 : 10);
		if (*end == 'L')
			continue; /* a 64-bit literal */
		if (errno == ERANGE) {
			overflow = true;
			continue;
		}
		if (hex)
			fits = v <= UINT32_MAX;
		else
			fits = neg ? v <= (unsigned long long)INT32_MAX + 1 :
				     v <= INT32_MAX;
		wrapped = (uint32_t)v;
		if (neg)
			wrapped = -wrapped;
		if ((int)wrapped != stored)
			continue;
		if (fits)
			return true;
		overflow = true;
	}
	return !overflow;
}

static int cfg_get_int(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, long long *out)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		if (!cfg_int_literal_fits(ctx, s)) {
			cfg_err(ctx, s,
				"%s: integer does not fit in 32 bits; add the L suffix (64-bit) or write it as a string",
				where);
			return -EINVAL;
		}
		*out = config_setting_get_int(s);
		return 0;
	case CONFIG_TYPE_INT64:
		*out = config_setting_get_int64(s);
		return 0;
	}
	return cfg_expect(ctx, s, where, "an integer");
}

static int cfg_get_uint(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, long long min, long long max,
			uint32_t *out)
{
	long long v = 0;

	if (cfg_get_int(ctx, s, where, &v))
		return -EINVAL;
	if (v < min || v > max) {
		cfg_err(ctx, s, "%s: %lld is out of range (%lld..%lld)", where,
			v, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int cfg_get_bool(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return cfg_expect(ctx, s, where, "true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

/*
 * Zero-filled copy (v fits): the config holds no stale bytes, so configs
 * compare equal with memcmp and a dump never leaks old text.
 */
static void cfg_copy(char *buf, size_t size, const char *v)
{
	memset(buf, 0, size);
	memcpy(buf, v, strlen(v) + 1);
}

/* String into buf; longer than size - 1 characters is an error. */
static int cfg_get_str(struct cfg_ctx *ctx, const config_setting_t *s,
		       const char *where, char *buf, size_t size)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_expect(ctx, s, where, "a string");
	v = config_setting_get_string(s);
	if (strlen(v) >= size) {
		cfg_err(ctx, s, "%s: too long (at most %zu characters)", where,
			size - 1);
		return -EINVAL;
	}
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			cfg_err(ctx, s,
				"%s: control characters are not allowed",
				where);
			return -EINVAL;
		}
	}
	cfg_copy(buf, size, v);
	return 0;
}

/* Printable ASCII (SCSI INQUIRY fields, serial numbers). */
static int cfg_get_ascii(struct cfg_ctx *ctx, const config_setting_t *s,
			 const char *where, char *buf, size_t size, bool spaces)
{
	char tmp[256];

	if (cfg_get_str(ctx, s, where, tmp, size))
		return -EINVAL;
	for (const char *p = tmp; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || (!spaces && *p == ' ')) {
			cfg_err(ctx, s, "%s: only printable ASCII%s is allowed",
				where, spaces ? "" : " without spaces");
			return -EINVAL;
		}
	}
	cfg_copy(buf, size, tmp);
	return 0;
}

/* Object names: 1..63 of [A-Za-z0-9_.:-]. */
static int cfg_get_name(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, char *buf, size_t size)
{
	char tmp[256];

	if (cfg_get_str(ctx, s, where, tmp, size))
		return -EINVAL;
	if (!tmp[0]) {
		cfg_err(ctx, s, "%s: must not be empty", where);
		return -EINVAL;
	}
	for (const char *p = tmp; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("_.:-", *p)) {
			cfg_err(ctx, s,
				"%s: \"%s\" may only contain letters, digits, '_', '.', ':' and '-'",
				where, tmp);
			return -EINVAL;
		}
	}
	cfg_copy(buf, size, tmp);
	return 0;
}

static int cfg_get_abspath(struct cfg_ctx *ctx, const config_setting_t *s,
			   const char *where, char *buf, size_t size,
			   bool empty_ok)
{
	char tmp[256];

	if (cfg_get_str(ctx, s, where, tmp, MIN(size, sizeof(tmp))))
		return -EINVAL;
	if (!(empty_ok && !tmp[0]) && tmp[0] != '/') {
		cfg_err(ctx, s, "%s: \"%s\" is not an absolute path", where,
			tmp);
		return -EINVAL;
	}
	cfg_copy(buf, size, tmp);
	return 0;
}

/*
 * Size: integer bytes, or a string of digits with an optional binary K, M,
 * G or T suffix (1K = 1024), as targetcli accepts.
 */
int config_parse_size(const char *str, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)str[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int cfg_get_size(struct cfg_ctx *ctx, const config_setting_t *s,
			const char *where, uint64_t *out)
{
	long long v = 0;
	const char *str;
	int ret;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		ret = config_parse_size(str, out);
		if (ret == -ERANGE) {
			cfg_err(ctx, s, "%s: \"%s\" is too large", where, str);
			return ret;
		}
		if (ret) {
			cfg_err(ctx, s,
				"%s: invalid size \"%s\" (expected bytes with an optional K, M, G or T suffix)",
				where, str);
			return -EINVAL;
		}
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_expect(ctx, s, where, "a size (integer or string)");
	if (cfg_get_int(ctx, s, where, &v))
		return -EINVAL;
	if (v < 0) {
		cfg_err(ctx, s, "%s: must not be negative", where);
		return -EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}

static int cfg_get_engine(struct cfg_ctx *ctx, const config_setting_t *s,
			  const char *where, enum config_engine *out)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_expect(ctx, s, where, "an engine name");
	v = config_setting_get_string(s);
	for (int i = 0; i < CONFIG_ENGINE_COUNT; i++) {
		if (!strcmp(v, cfg_engine_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (!strcmp(v, "rbd"))
		cfg_err(ctx, s,
			"%s: engine \"rbd\" is not built into this srptd",
			where);
	else
		cfg_err(ctx, s,
			"%s: unknown engine \"%s\" (io_uring, aio, sync or null)",
			where, v);
	return -EINVAL;
}

/* Fallback engines, tried in order; null would silently discard data. */
static int cfg_get_fallback(struct cfg_ctx *ctx, const config_setting_t *s,
			    const char *where, enum config_engine *fb,
			    unsigned int *n_fb)
{
	enum config_engine tmp[CONFIG_ENGINE_COUNT];
	unsigned int n = 0;
	int ret = 0;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return cfg_expect(ctx, s, where, "an array of engine names");
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		enum config_engine eng;
		bool dup = false;

		if (cfg_get_engine(ctx, e, where, &eng)) {
			ret = -EINVAL;
			continue;
		}
		if (eng == CONFIG_ENGINE_NULL) {
			cfg_err(ctx, e,
				"%s: \"null\" cannot be a fallback (it discards data)",
				where);
			ret = -EINVAL;
			continue;
		}
		for (unsigned int j = 0; j < n; j++)
			dup |= tmp[j] == eng;
		if (dup) {
			cfg_err(ctx, e, "%s: \"%s\" is listed twice", where,
				cfg_engine_names[eng]);
			ret = -EINVAL;
			continue;
		}
		tmp[n++] = eng;
	}
	if (ret)
		return ret;
	memcpy(fb, tmp, n * sizeof(tmp[0]));
	*n_fb = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Identity formats                                                    */

/* GID: exactly 8 groups of 4 hex digits separated by ':' (SCST's form). */
int config_parse_gid(const char *s, uint8_t gid[16])
{
	uint8_t tmp[16];

	if (strlen(s) != 39)
		return -EINVAL;
	for (int g = 0; g < 8; g++) {
		const char *p = s + g * 5;
		int v[4];

		for (int i = 0; i < 4; i++) {
			v[i] = hex_digit_value(p[i]);
			if (v[i] < 0)
				return -EINVAL;
		}
		if (g < 7 && p[4] != ':')
			return -EINVAL;
		tmp[2 * g] = (uint8_t)(v[0] << 4 | v[1]);
		tmp[2 * g + 1] = (uint8_t)(v[2] << 4 | v[3]);
	}
	memcpy(gid, tmp, 16);
	return 0;
}

/* GUID: 16 hex digits (optional 0x) or 4 groups of 4 separated by ':'. */
int config_parse_guid(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t len = strlen(s);
	int digits = 0;

	if (len == 19) {
		for (int i = 0; i < 19; i++) {
			if (i % 5 == 4) {
				if (s[i] != ':')
					return -EINVAL;
				continue;
			}
			if (hex_digit_value(s[i]) < 0)
				return -EINVAL;
			v = v << 4 | (uint64_t)hex_digit_value(s[i]);
			digits++;
		}
	} else {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		for (; *s; s++, digits++) {
			if (hex_digit_value(*s) < 0)
				return -EINVAL;
			v = v << 4 | (uint64_t)hex_digit_value(*s);
		}
	}
	if (digits != 16)
		return -EINVAL;
	*out = v;
	return 0;
}

void config_format_gid(const uint8_t gid[16], char buf[40])
{
	for (int g = 0; g < 8; g++)
		snprintf(buf + g * 5, 6, "%02x%02x%s", gid[2 * g],
			 gid[2 * g + 1], g < 7 ? ":" : "");
}

/* "a.b.c.d:port" or "[v6]:port"; numeric addresses only. */
int config_parse_listen(const char *s, struct config_listen *out)
{
	struct config_listen l = { 0 };
	unsigned char sa[sizeof(struct in6_addr)];
	const char *colon;
	char *end;
	unsigned long port;
	size_t alen;
	int af = AF_INET;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		alen = (size_t)(rb - s - 1);
		if (alen >= sizeof(l.addr))
			return -EINVAL;
		memcpy(l.addr, s + 1, alen);
		colon = rb + 1;
		af = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		alen = (size_t)(colon - s);
		if (alen >= sizeof(l.addr))
			return -EINVAL;
		memcpy(l.addr, s, alen);
	}
	if (inet_pton(af, l.addr, sa) != 1)
		return -EINVAL;
	if (!isdigit((unsigned char)colon[1]))
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	l.port = (uint16_t)port;
	*out = l;
	return 0;
}

static int cfg_get_listen(struct cfg_ctx *ctx, const config_setting_t *s,
			  const char *where, struct config_listen *out)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_expect(ctx, s, where, "a string");
	v = config_setting_get_string(s);
	if (config_parse_listen(v, out)) {
		cfg_err(ctx, s,
			"%s: invalid address \"%s\" (expected \"IPv4:port\" or \"[IPv6]:port\")",
			where, v);
		return -EINVAL;
	}
	return 0;
}

/* Port selector: "*" (all), "hca" (all ports of hca) or "hca:N". */
static int cfg_check_port(const char *v)
{
	const char *colon = strchr(v, ':');
	size_t nlen = colon ? (size_t)(colon - v) : strlen(v);

	if (!strcmp(v, "*"))
		return 0;
	if (!nlen)
		return -EINVAL;
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("_.-", v[i]))
			return -EINVAL;
	if (colon) {
		char *end;
		unsigned long n;

		if (!isdigit((unsigned char)colon[1]))
			return -EINVAL;
		n = strtoul(colon + 1, &end, 10);
		if (*end || n < 1 || n > 255)
			return -EINVAL;
	}
	return 0;
}

/*
 * s must be an array or a list of entries (else "expected <what>"):
 * allocate one zeroed element of elem_size per entry, at least one, so
 * an empty list still yields a pointer to free.  *n receives the count.
 */
static int cfg_alloc_elems(struct cfg_ctx *ctx, const config_setting_t *s,
			   const char *where, const char *what,
			   size_t elem_size, void **out, int *n)
{
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return cfg_expect(ctx, s, where, what);
	*n = config_setting_length(s);
	*out = calloc(*n ? *n : 1, elem_size);
	if (!*out) {
		cfg_err(ctx, s, "%s: out of memory", where);
		return -ENOMEM;
	}
	return 0;
}

static int cfg_get_ports(struct cfg_ctx *ctx, const config_setting_t *s,
			 const char *where, char (**ports)[64],
			 unsigned int *n_ports)
{
	char(*arr)[64];
	int n, ret;

	ret = cfg_alloc_elems(ctx, s, where, "an array of port names",
			      sizeof(*arr), (void **)&arr, &n);
	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (cfg_get_str(ctx, e, where, arr[i], sizeof(arr[i]))) {
			ret = -EINVAL;
			continue;
		}
		if (cfg_check_port(arr[i])) {
			cfg_err(ctx, e,
				"%s: invalid port \"%s\" (expected \"*\", \"HCA\" or \"HCA:PORT\")",
				where, arr[i]);
			ret = -EINVAL;
		}
	}
	if (ret) {
		free(arr);
		return ret;
	}
	free(*ports);
	*ports = arr;
	*n_ports = (unsigned int)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sections                                                            */

static bool cfg_is_group(struct cfg_ctx *ctx, const config_setting_t *s,
			 const char *where)
{
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return true;
	cfg_expect(ctx, s, where, "a group { ... }");
	return false;
}

/* A list of groups; an empty array "[ ]" is accepted as an empty list. */
static bool cfg_is_list(struct cfg_ctx *ctx, const config_setting_t *s,
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

static void cfg_unknown(struct cfg_ctx *ctx, const config_setting_t *s,
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
	 * asks for 8260-byte IUs with immediate data (srp-facts 2.2), the
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
static void cfg_pass_sections(struct cfg_ctx *ctx, bool main_file)
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

/* ------------------------------------------------------------------ */
/* Devices                                                             */

static const config_setting_t *cfg_member(const config_setting_t *g,
					  const char *name)
{
	return config_setting_get_member((config_setting_t *)g, name);
}

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

static void cfg_pass_devices(struct cfg_ctx *ctx)
{
	const config_setting_t *l =
		cfg_member(config_root_setting(&ctx->cur->lc), "devices");

	if (!l || config_setting_type(l) != CONFIG_TYPE_LIST)
		return;
	for (int i = 0; i < config_setting_length(l); i++)
		cfg_parse_device(ctx, config_setting_get_elem(l, i),
				 (unsigned int)i);
}

/* ------------------------------------------------------------------ */
/* Targets                                                             */

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
			const char *k = config_setting_name(s);
			char w[200];

			cfg_fmt(w, sizeof(w), "%s %s", where, k);
			if (!strcmp(k, "lun")) {
				uint32_t v;

				lun_s = s;
				if (cfg_get_uint(ctx, s, w, 0, CFG_MAX_LUN, &v))
					bad = true;
				else
					e.lun = v;
			} else if (!strcmp(k, "device")) {
				dev_s = s;
				if (cfg_get_str(ctx, s, w, dev, sizeof(dev)))
					bad = true;
			} else if (!strcmp(k, "read_only")) {
				if (cfg_get_bool(ctx, s, w, &e.read_only))
					bad = true;
			} else {
				cfg_unknown(ctx, s, where);
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
		const char *k = config_setting_name(s);

		cfg_fmt(where, sizeof(where), "%s %s", who, k);
		if (!strcmp(k, "name")) {
			continue;
		} else if (!strcmp(k, "initiators")) {
			ini_s = s;
			cfg_parse_initiators(ctx, s, where, grp);
		} else if (!strcmp(k, "lun_map")) {
			cfg_parse_lun_map(ctx, s, who, &grp->luns,
					  &grp->n_luns);
		} else {
			cfg_unknown(ctx, s, who);
		}
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

static int cfg_get_guid_setting(struct cfg_ctx *ctx, const config_setting_t *s,
				const char *where, bool *is_auto, uint64_t *v)
{
	const char *str;

	if (config_setting_type(s) == CONFIG_TYPE_INT64) {
		*is_auto = false;
		*v = (uint64_t)config_setting_get_int64(s);
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_expect(ctx, s, where, "a GUID string or \"auto\"");
	str = config_setting_get_string(s);
	if (!strcmp(str, "auto")) {
		*is_auto = true;
		*v = 0;
		return 0;
	}
	if (config_parse_guid(str, v)) {
		cfg_err(ctx, s,
			"%s: \"%s\" is not a GUID (expected \"auto\", 16 hex digits or xxxx:xxxx:xxxx:xxxx)",
			where, str);
		return -EINVAL;
	}
	*is_auto = false;
	return 0;
}

static void cfg_target_free(struct config_target *t)
{
	for (unsigned int g = 0; g < t->n_groups; g++) {
		free(t->groups[g].initiators);
		free(t->groups[g].luns);
	}
	free(t->groups);
	free(t->luns);
	free(t->ports);
}

/* Port selectors "*", "hca", "hca:N": can a and b name the same port? */
static bool cfg_port_overlap(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");

	if (!strcmp(a, "*") || !strcmp(b, "*"))
		return true;
	if (la != lb || strncmp(a, b, la))
		return false;
	return !a[la] || !b[lb] || !strcmp(a + la, b + lb);
}

/*
 * Same target port ID on a shared port?  "auto" equals "auto" (both are
 * the first HCA's node GUID); "auto" against an explicit GUID is only
 * known at run time and is not an error here.
 */
static bool cfg_same_identity(const struct config_target *a,
			      const struct config_target *b)
{
	bool overlap = false;

	if (a->id_ext_auto != b->id_ext_auto ||
	    a->ioc_guid_auto != b->ioc_guid_auto)
		return false;
	if ((!a->id_ext_auto && a->id_ext != b->id_ext) ||
	    (!a->ioc_guid_auto && a->ioc_guid != b->ioc_guid))
		return false;
	for (unsigned int i = 0; i < a->n_ports && !overlap; i++)
		for (unsigned int j = 0; j < b->n_ports && !overlap; j++)
			overlap = cfg_port_overlap(a->ports[i], b->ports[j]);
	return overlap;
}

static void cfg_parse_target(struct cfg_ctx *ctx, const config_setting_t *g,
			     unsigned int idx)
{
	struct config *cfg = ctx->cfg;
	const config_setting_t *ns;
	struct config_target t = {
		.id_ext_auto = true,
		.ioc_guid_auto = true,
		.unknown_initiators = CONFIG_UNKNOWN_DENY,
	};
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
	t.ports = calloc(1, sizeof(*t.ports));
	if (!t.ports) {
		cfg_err(ctx, g, "out of memory");
		return;
	}
	strcpy(t.ports[0], "*");
	t.n_ports = 1;

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *k = config_setting_name(s);

		cfg_fmt(where, sizeof(where), "%s %s", who, k);
		if (!strcmp(k, "name")) {
			continue;
		} else if (!strcmp(k, "id_ext")) {
			id_bad |= cfg_get_guid_setting(ctx, s, where,
						       &t.id_ext_auto,
						       &t.id_ext) != 0;
		} else if (!strcmp(k, "ioc_guid")) {
			id_bad |= cfg_get_guid_setting(ctx, s, where,
						       &t.ioc_guid_auto,
						       &t.ioc_guid) != 0;
		} else if (!strcmp(k, "ports")) {
			cfg_get_ports(ctx, s, where, &t.ports, &t.n_ports);
		} else if (!strcmp(k, "unknown_initiators")) {
			char v[32];

			if (cfg_get_str(ctx, s, where, v, sizeof(v)))
				continue;
			if (!strcmp(v, "deny"))
				t.unknown_initiators = CONFIG_UNKNOWN_DENY;
			else if (!strcmp(v, "default-map"))
				t.unknown_initiators =
					CONFIG_UNKNOWN_DEFAULT_MAP;
			else
				cfg_err(ctx, s,
					"%s: unknown policy \"%s\" (\"deny\" or \"default-map\")",
					where, v);
		} else if (!strcmp(k, "lun_map")) {
			cfg_parse_lun_map(ctx, s, who, &t.luns, &t.n_luns);
		} else if (!strcmp(k, "groups")) {
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
		} else {
			cfg_unknown(ctx, s, who);
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
	for (unsigned int i = 0; !id_bad && i < cfg->n_targets; i++) {
		const struct config_target *o = &cfg->targets[i];

		if (!cfg_same_identity(o, &t))
			continue;
		/* A login could never reach the second one. */
		cfg_err(ctx, g,
			"target \"%s\": same id_ext and ioc_guid as target \"%s\" (%s:%d) on the same ports; give one an explicit id_ext",
			t.name, o->name, o->file, o->line);
		break;
	}
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

static void cfg_pass_targets(struct cfg_ctx *ctx)
{
	const config_setting_t *l =
		cfg_member(config_root_setting(&ctx->cur->lc), "targets");

	if (!l || config_setting_type(l) != CONFIG_TYPE_LIST)
		return;
	for (int i = 0; i < config_setting_length(l); i++)
		cfg_parse_target(ctx, config_setting_get_elem(l, i),
				 (unsigned int)i);
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static void cfg_defaults(struct config *cfg)
{
	struct config_daemon *d = &cfg->daemon;
	struct config_fabric *f = &cfg->fabric;
	struct config_backend_defaults *b = &cfg->backend;

	cfg->version = 1;
	d->log_level = LOG_INFO;
	d->log_components = 0;
	cfg_fmt(d->control_socket, sizeof(d->control_socket), "%s/srptd.sock",
		SRPTD_RUNDIR);
	strcpy(d->control_group, "root");
	d->workers = 0;
	cfg_fmt(d->include_dir, sizeof(d->include_dir), "%s",
		SRPTD_DEFAULT_INCLUDE_DIR);
	d->metrics_listen[0] = 0;

	f->ib_cm_enabled = true;
	f->rdma_cm_enabled = true;
	f->dm_agent = true;
	f->max_req_size = 8276;
	f->max_rsp_size = 256;
	f->max_rdma_size = 1u << 20;
	f->queue_depth = 128;
	/* Issue 5 / design.md: channels' QPs attach to a shared receive
	 * queue (ib_srpt defaults to per-channel queues instead). */
	f->use_srq = true;
	f->srq_size = 4095;
	f->send_queue_size = 0;

	b->engine = CONFIG_ENGINE_IO_URING;
	b->fallback[0] = CONFIG_ENGINE_AIO;
	b->fallback[1] = CONFIG_ENGINE_SYNC;
	b->n_fallback = 2;
	b->direct_io = true;
}

static int cfg_defaults_alloc(struct config *cfg)
{
	struct config_fabric *f = &cfg->fabric;

	f->ports = calloc(1, sizeof(*f->ports));
	f->listen = calloc(2, sizeof(*f->listen));
	if (!f->ports || !f->listen)
		return -ENOMEM;
	strcpy(f->ports[0], "*");
	f->n_ports = 1;
	strcpy(f->listen[0].addr, "0.0.0.0");
	f->listen[0].port = 5000;
	strcpy(f->listen[1].addr, "::");
	f->listen[1].port = 5000;
	f->n_listen = 2;
	return 0;
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
	if (memchr(cf->text, 0, n)) {
		cfg_err_at(ctx, cf->name, 0, "contains a NUL byte");
		return -EINVAL;
	}
	/* @include paths are relative to the including file's directory. */
	{
		char dir[256];
		char *slash;

		cfg_fmt(dir, sizeof(dir), "%s", cf->name);
		slash = strrchr(dir, '/');
		if (slash) {
			*slash = 0;
			config_set_include_dir(&cf->lc, dir[0] ? dir : "/");
		}
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

int config_load(const char *path, const char *include_dir_override,
		struct config **out, struct config_errors *errs)
{
	struct cfg_ctx ctx = { .errs = errs };
	int ret;

	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	ctx.cfg = calloc(1, sizeof(*ctx.cfg));
	ctx.files = calloc(1, sizeof(*ctx.files));
	if (!ctx.cfg || !ctx.files || cfg_defaults_alloc(ctx.cfg)) {
		cfg_err_at(&ctx, path, 0, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	cfg_defaults(ctx.cfg);
	cfg_fmt(ctx.cfg->path, sizeof(ctx.cfg->path), "%s", path);
	if (strlen(path) >= sizeof(ctx.files[0].name)) {
		cfg_err_at(&ctx, path, 0, "path too long");
		ret = -ENAMETOOLONG;
		goto out;
	}
	strcpy(ctx.files[0].name, path);
	ctx.n_files = 1;
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

const struct config_device *config_find_device(const struct config *cfg,
					       const char *name)
{
	for (unsigned int i = 0; i < cfg->n_devices; i++)
		if (!strcmp(cfg->devices[i].name, name))
			return &cfg->devices[i];
	return NULL;
}

const struct config_target *config_find_target(const struct config *cfg,
					       const char *name)
{
	for (unsigned int i = 0; i < cfg->n_targets; i++)
		if (!strcmp(cfg->targets[i].name, name))
			return &cfg->targets[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Lookups for logins                                                  */

int config_lun_view(const struct config_target *t, const uint8_t gid[16],
		    const struct config_lun **luns, unsigned int *n_luns,
		    const struct config_group **group)
{
	/* A GID is in at most one group of a target (checked at load). */
	for (unsigned int g = 0; g < t->n_groups; g++) {
		const struct config_group *gr = &t->groups[g];

		for (unsigned int i = 0; i < gr->n_initiators; i++) {
			if (memcmp(gr->initiators[i], gid, 16))
				continue;
			*luns = gr->luns;
			*n_luns = gr->n_luns;
			*group = gr;
			return 0;
		}
	}
	if (t->unknown_initiators != CONFIG_UNKNOWN_DEFAULT_MAP)
		return -EACCES; /* default deny */
	*luns = t->luns;
	*n_luns = t->n_luns;
	*group = NULL;
	return 0;
}

const struct config_target *config_find_target_by_id(const struct config *cfg,
						     uint64_t id_ext,
						     uint64_t ioc_guid,
						     uint64_t node_guid)
{
	for (unsigned int i = 0; i < cfg->n_targets; i++) {
		const struct config_target *t = &cfg->targets[i];
		uint64_t e = t->id_ext_auto ? node_guid : t->id_ext;
		uint64_t g = t->ioc_guid_auto ? node_guid : t->ioc_guid;

		if (e == id_ext && g == ioc_guid)
			return t;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Reload                                                              */

static bool cfg_listen_equal(const struct config_fabric *a,
			     const struct config_fabric *b)
{
	if (a->n_listen != b->n_listen)
		return false;
	for (unsigned int i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i].addr, b->listen[i].addr) ||
		    a->listen[i].port != b->listen[i].port)
			return false;
	return true;
}

unsigned int config_restart_changes(const struct config *old,
				    const struct config *new,
				    void (*cb)(void *arg, const char *key),
				    void *arg)
{
	const struct config_fabric *a = &old->fabric, *b = &new->fabric;
	unsigned int n = 0;
	const struct {
		const char *key;
		bool changed;
	} keys[] = {
		{ "daemon.workers",
		  old->daemon.workers != new->daemon.workers },
		{ "daemon.control_socket",
		  strcmp(old->daemon.control_socket,
			 new->daemon.control_socket) != 0 },
		{ "daemon.metrics.listen",
		  strcmp(old->daemon.metrics_listen,
			 new->daemon.metrics_listen) != 0 },
		{ "fabric.ports",
		  a->n_ports != b->n_ports ||
			  memcmp(a->ports, b->ports,
				 a->n_ports * sizeof(a->ports[0])) != 0 },
		{ "fabric.ib_cm.enabled",
		  a->ib_cm_enabled != b->ib_cm_enabled },
		{ "fabric.rdma_cm.enabled",
		  a->rdma_cm_enabled != b->rdma_cm_enabled },
		{ "fabric.rdma_cm.listen", !cfg_listen_equal(a, b) },
		{ "fabric.dm_agent", a->dm_agent != b->dm_agent },
		{ "fabric.max_req_size", a->max_req_size != b->max_req_size },
		{ "fabric.max_rsp_size", a->max_rsp_size != b->max_rsp_size },
		{ "fabric.max_rdma_size",
		  a->max_rdma_size != b->max_rdma_size },
		{ "fabric.queue_depth", a->queue_depth != b->queue_depth },
		{ "fabric.use_srq", a->use_srq != b->use_srq },
		{ "fabric.srq_size", a->srq_size != b->srq_size },
		{ "fabric.send_queue_size",
		  a->send_queue_size != b->send_queue_size },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!keys[i].changed)
			continue;
		n++;
		if (cb)
			cb(arg, keys[i].key);
	}
	return n;
}

bool config_device_equal(const struct config_device *a,
			 const struct config_device *b)
{
	/* Strings are zero-filled (cfg_copy), so memcmp is exact. */
	return !memcmp(a->name, b->name, sizeof(a->name)) &&
	       !memcmp(a->path, b->path, sizeof(a->path)) &&
	       a->engine == b->engine && a->n_fallback == b->n_fallback &&
	       !memcmp(a->fallback, b->fallback,
		       a->n_fallback * sizeof(a->fallback[0])) &&
	       a->size == b->size && a->block_size == b->block_size &&
	       a->create == b->create && a->write_cache == b->write_cache &&
	       a->read_only == b->read_only && a->direct_io == b->direct_io &&
	       !memcmp(a->serial, b->serial, sizeof(a->serial)) &&
	       !memcmp(a->naa, b->naa, sizeof(a->naa)) &&
	       !memcmp(a->vendor, b->vendor, sizeof(a->vendor)) &&
	       !memcmp(a->product, b->product, sizeof(a->product)) &&
	       !memcmp(a->revision, b->revision, sizeof(a->revision));
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */

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
