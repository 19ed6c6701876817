/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Typed value getters over libconfig settings (each reports its own error
 * as "file:line: where: message" and returns -EINVAL) and the value
 * parsers shared with other programs (sizes, GIDs, GUIDs, addresses).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "config/internal.h"
#include "srptd/version.h" /* SRPTD_HAVE_RBD */
#include "util.h"

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

int cfg_expect(struct cfg_ctx *ctx, const config_setting_t *s,
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

int cfg_get_int(struct cfg_ctx *ctx, const config_setting_t *s,
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

int cfg_get_uint(struct cfg_ctx *ctx, const config_setting_t *s,
		 const char *where, long long min, long long max, uint32_t *out)
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

int cfg_get_bool(struct cfg_ctx *ctx, const config_setting_t *s,
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
void cfg_copy(char *buf, size_t size, const char *v)
{
	memset(buf, 0, size);
	memcpy(buf, v, strlen(v) + 1);
}

/* String into buf; longer than size - 1 characters is an error. */
int cfg_get_str(struct cfg_ctx *ctx, const config_setting_t *s,
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
int cfg_get_ascii(struct cfg_ctx *ctx, const config_setting_t *s,
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
int cfg_get_name(struct cfg_ctx *ctx, const config_setting_t *s,
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

int cfg_get_abspath(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *where, char *buf, size_t size, bool empty_ok)
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

int cfg_get_size(struct cfg_ctx *ctx, const config_setting_t *s,
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

int cfg_get_engine(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *where, enum config_engine *out)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_expect(ctx, s, where, "an engine name");
	v = config_setting_get_string(s);
	for (int i = 0; i < CONFIG_ENGINE_COUNT; i++) {
		if (strcmp(v, cfg_engine_names[i]))
			continue;
		if (i == CONFIG_ENGINE_RBD && !SRPTD_HAVE_RBD) {
			cfg_err(ctx, s,
				"%s: engine \"rbd\" is not built into this srptd",
				where);
			return -EINVAL;
		}
		*out = i;
		return 0;
	}
	cfg_err(ctx, s, "%s: unknown engine \"%s\" (%s)", where, v,
		SRPTD_HAVE_RBD ? "io_uring, aio, sync, null or rbd" :
				 "io_uring, aio, sync or null");
	return -EINVAL;
}

/* Fallback engines, tried in order; null would silently discard data. */
int cfg_get_fallback(struct cfg_ctx *ctx, const config_setting_t *s,
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
		if (eng == CONFIG_ENGINE_RBD) {
			/* An RBD image is no file another engine could open. */
			cfg_err(ctx, e, "%s: \"rbd\" cannot be a fallback",
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

int cfg_get_listen(struct cfg_ctx *ctx, const config_setting_t *s,
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
int cfg_alloc_elems(struct cfg_ctx *ctx, const config_setting_t *s,
		    const char *where, const char *what, size_t elem_size,
		    void **out, int *n)
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

int cfg_get_ports(struct cfg_ctx *ctx, const config_setting_t *s,
		  const char *where, char (**ports)[64], unsigned int *n_ports)
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

/* GUID string, 64-bit integer or "auto" (is_auto set, v 0). */
int cfg_get_guid_setting(struct cfg_ctx *ctx, const config_setting_t *s,
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

/* A target's policy for initiators in none of its groups. */
int cfg_get_policy(struct cfg_ctx *ctx, const config_setting_t *s,
		   const char *where, enum config_unknown_policy *out)
{
	char v[32];

	if (cfg_get_str(ctx, s, where, v, sizeof(v)))
		return -EINVAL;
	if (!strcmp(v, "deny")) {
		*out = CONFIG_UNKNOWN_DENY;
	} else if (!strcmp(v, "default-map")) {
		*out = CONFIG_UNKNOWN_DEFAULT_MAP;
	} else {
		cfg_err(ctx, s,
			"%s: unknown policy \"%s\" (\"deny\" or \"default-map\")",
			where, v);
		return -EINVAL;
	}
	return 0;
}
