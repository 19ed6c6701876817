/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * srptadm's human output: result accessors, aligned tables, sizes and
 * durations.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srptadm.h"

const char *adm_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return "";
	return json_object_get_string(v);
}

long long adm_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_int64(v) :
		       0;
}

uint64_t adm_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
		       json_object_get_uint64(v) :
		       0;
}

bool adm_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

struct json_object *adm_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

struct adm_table {
	unsigned int n_cols, n_rows, cap;
	char **cells; /* n_rows + 1 (the header) rows of n_cols */
	size_t *width;
};

struct adm_table *adm_table_new(unsigned int n_cols, const char *const *head)
{
	struct adm_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_cols = n_cols;
	t->width = calloc(n_cols, sizeof(*t->width));
	if (!t->width) {
		free(t);
		return NULL;
	}
	adm_table_row(t, head);
	t->n_rows = 0;
	return t;
}

void adm_table_row(struct adm_table *t, const char *const *cells)
{
	unsigned int row = t ? t->n_rows + (t->cells ? 1 : 0) : 0;

	if (!t)
		return;
	if ((row + 1) * t->n_cols > t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16 * t->n_cols;
		char **c = realloc(t->cells, cap * sizeof(*c));

		if (!c)
			return;
		t->cells = c;
		t->cap = cap;
	}
	for (unsigned int i = 0; i < t->n_cols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "");
		size_t w = s ? strlen(s) : 0;

		t->cells[row * t->n_cols + i] = s;
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->n_rows++;
}

void adm_table_print(struct adm_table *t, const char *none)
{
	if (!t)
		return;
	for (unsigned int r = 0; r <= t->n_rows; r++) {
		for (unsigned int i = 0; i < t->n_cols; i++) {
			const char *s = t->cells[r * t->n_cols + i];

			if (i + 1 == t->n_cols)
				printf("%s\n", s ? s : "");
			else
				printf("%-*s  ", (int)t->width[i], s ? s : "");
		}
		if (!r && !t->n_rows && none)
			printf("%s\n", none);
	}
	for (unsigned int i = 0; i < (t->n_rows + 1) * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

/* Cells of one row at most are alive at once: 32 buffers is plenty. */
#define ADM_FMT_BUFS 32

const char *adm_fmt(const char *fmt, ...)
{
	static char buf[ADM_FMT_BUFS][256];
	static unsigned int next;
	char *b = buf[next++ % ADM_FMT_BUFS];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return b;
}

const char *adm_size(uint64_t bytes)
{
	static const char *const unit[] = { "B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (!u)
		return adm_fmt("%" PRIu64 " B", bytes);
	return adm_fmt("%.1f %s", v, unit[u]);
}

const char *adm_duration(uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		return adm_fmt("%" PRIu64 "d %" PRIu64 "h", s / 86400,
			       s / 3600 % 24);
	if (s >= 3600)
		return adm_fmt("%" PRIu64 "h %" PRIu64 "m", s / 3600,
			       s / 60 % 60);
	if (s >= 60)
		return adm_fmt("%" PRIu64 "m %" PRIu64 "s", s / 60, s % 60);
	return adm_fmt("%" PRIu64 "s", s);
}
