/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The key table (src/config/keys.c, listed by config_key_path()) against
 * the documentation: every key must be described in man/srptd.conf.5 and
 * appear in conf/srptd.conf, and neither may name a key the table lacks.
 *
 * Key paths are dotted: "fabric.rdma_cm.listen", "devices.size",
 * "targets.groups.initiators".  Every lun_map (a target's and a group's)
 * holds the same entries, listed once as "lun_map.lun" etc.; a path
 * "<anything>.lun_map.<key>" found in a document stands for
 * "lun_map.<key>".  A document may also name a group of keys ("daemon",
 * "fabric.ib_cm"): a name that is a prefix of table keys is accepted.
 *
 * srptd.conf(5): a key is documented by an entry ".TP" followed by a line
 * ".B <name>" in one of the sections below, which give the path prefix;
 * ".RS" right after an entry nests the following entries under it (the
 * groups of a target) until ".RE".  Entries of other sections (value
 * formats, files) are not keys.
 *
 * conf/srptd.conf: settings and commented-out settings both count.  A
 * line is configuration text when, after dropping one leading '#', it
 * starts with "name =", "name: {", "name: (", a bracket, a brace, a quote
 * or a comma; other comment lines are prose.  In configuration text a '#'
 * outside a string starts a comment, "name =" or "name:" is a key whose
 * path is the enclosing groups' and lists' names joined by dots, and an
 * opening brace or parenthesis that follows no key (a list entry) adds
 * nothing to the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util.h"
#include "test_fmt.h"

#define MAX_KEYS 256
#define MAX_PATH 128
#define MAX_DEPTH 16

struct keyset {
	unsigned int n;
	char path[MAX_KEYS][MAX_PATH];
	int line[MAX_KEYS]; /* where a document names it */
};

static char g_src[PATH_MAX];

static int setup(void **state)
{
	const char *src = getenv("SRPTD_SOURCE_DIR");

	(void)state;
	if (!src) {
		fprintf(stderr, "SRPTD_SOURCE_DIR is not set\n");
		return -1;
	}
	xfmt(g_src, sizeof(g_src), "%s", src);
	return 0;
}

static bool has(const struct keyset *s, const char *path)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], path))
			return true;
	return false;
}

/* Add path, "lun_map.<key>" for any "<...>.lun_map.<key>". */
static void add(struct keyset *s, const char *path, int line)
{
	const char *lm = strstr(path, ".lun_map.");
	char canon[MAX_PATH];

	if (lm && !strchr(lm + strlen(".lun_map."), '.'))
		xfmt(canon, sizeof(canon), "lun_map.%s",
		     lm + strlen(".lun_map."));
	else
		xfmt(canon, sizeof(canon), "%s", path);
	if (has(s, canon))
		return;
	assert_true(s->n < MAX_KEYS);
	xfmt(s->path[s->n], MAX_PATH, "%s", canon);
	s->line[s->n++] = line;
}

static void table_keys(struct keyset *s)
{
	char buf[MAX_PATH];
	unsigned int i;
	int ret;

	memset(s, 0, sizeof(*s));
	for (i = 0; (ret = config_key_path(i, buf, sizeof(buf))) == 0; i++)
		add(s, buf, 0);
	assert_int_equal(ret, -ENOENT);
	/* The table is not empty and holds what every config has. */
	assert_true(i > 30);
	assert_true(has(s, "version"));
	assert_true(has(s, "fabric.queue_depth"));
	assert_true(has(s, "devices.size"));
	assert_true(has(s, "lun_map.lun"));
}

/* A key, or a group of keys, of the table? */
static bool known(const struct keyset *table, const char *path)
{
	size_t len = strlen(path);

	for (unsigned int i = 0; i < table->n; i++)
		if (!strncmp(table->path[i], path, len) &&
		    (!table->path[i][len] || table->path[i][len] == '.'))
			return true;
	return false;
}

static FILE *open_src(const char *rel, char *path, size_t size)
{
	FILE *f;

	xfmt(path, size, "%s/%s", g_src, rel);
	f = fopen(path, "r");
	if (!f)
		fprintf(stderr, "cannot open %s\n", path);
	assert_non_null(f);
	return f;
}

/* srptd.conf(5) sections that document keys, and their path prefix. */
static const struct {
	const char *title;
	const char *prefix;
} man_sections[] = {
	{ "TOP LEVEL", "" },
	{ "DAEMON", "daemon" },
	{ "FABRIC", "fabric" },
	{ "BACKEND DEFAULTS", "backend_defaults" },
	{ "DEVICES", "devices" },
	{ "TARGETS", "targets" },
	{ "LUN ENTRIES", "lun_map" },
	{ "ALUA", "alua" },
};

static void man_keys(struct keyset *s)
{
	char path[PATH_MAX + 64], line[1024];
	char stack[MAX_DEPTH][MAX_PATH], last[MAX_PATH] = "";
	int depth = -1, lineno = 0; /* -1: not in a key section */
	bool after_tp = false;
	FILE *f = open_src("man/srptd.conf.5", path, sizeof(path));

	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		char title[64], name[MAX_PATH];

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, ".SH ", 4) || !strncmp(line, ".SS ", 4)) {
			const char *t = line + 4;
			size_t i = 0;

			/* The title, unquoted, upper case. */
			for (; *t && i + 1 < sizeof(title); t++)
				if (*t != '"')
					title[i++] = (char)toupper(
						(unsigned char)*t);
			title[i] = 0;
			depth = -1;
			for (size_t j = 0; j < ARRAY_SIZE(man_sections); j++) {
				if (strcmp(title, man_sections[j].title))
					continue;
				depth = 0;
				xfmt(stack[0], MAX_PATH, "%s",
				     man_sections[j].prefix);
			}
			last[0] = 0;
			after_tp = false;
			continue;
		}
		if (depth < 0)
			continue;
		if (!strncmp(line, ".RS", 3) && last[0]) {
			assert_true(depth + 1 < MAX_DEPTH);
			xfmt(stack[depth + 1], MAX_PATH, "%s", last);
			depth++;
		} else if (!strncmp(line, ".RE", 3) && depth > 0) {
			depth--;
		} else if (after_tp && sscanf(line, ".B %127s", name) == 1) {
			xfmt(last, sizeof(last), "%s%s%s", stack[depth],
			     stack[depth][0] ? "." : "", name);
			add(s, last, lineno);
		}
		after_tp = !strncmp(line, ".TP", 3);
	}
	fclose(f);
}

static size_t ident_len(const char *p)
{
	size_t n = 0;

	if (!isalpha((unsigned char)p[0]) && p[0] != '_')
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-')
		n++;
	return n;
}

/* Does the text start a setting, "name =" or "name: {" / "name: ("? */
static bool starts_setting(const char *p)
{
	size_t n = ident_len(p);

	if (!n)
		return false;
	p += n;
	p += strspn(p, " \t");
	if (*p == '=')
		return true;
	if (*p != ':')
		return false;
	p++;
	p += strspn(p, " \t");
	return *p == '{' || *p == '(';
}

static void conf_keys(struct keyset *s)
{
	char path[PATH_MAX + 64], line[1024];
	char stack[MAX_DEPTH][MAX_PATH], pending[MAX_PATH] = "";
	int depth = 0, lineno = 0;
	FILE *f = open_src("conf/srptd.conf", path, sizeof(path));

	memset(s, 0, sizeof(*s));
	stack[0][0] = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		lineno++;
		if (*p == '#')
			p++;
		p += strspn(p, " \t");
		if (!starts_setting(p) && !(*p && strchr("{}()[]\",", *p)))
			continue; /* prose */
		while (*p && *p != '#' && *p != '\n') {
			size_t n = ident_len(p);
			const char *q;

			if (n) {
				q = p + n + strspn(p + n, " \t");
				if (*q == '=' || *q == ':') {
					xfmt(pending, sizeof(pending),
					     "%s%s%.*s", stack[depth],
					     stack[depth][0] ? "." : "", (int)n,
					     p);
					add(s, pending, lineno);
					p = (char *)q + 1;
					continue;
				}
				pending[0] = 0; /* a value: true, false */
				p += n;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					if (*p == '\\' && p[1])
						p++;
				if (*p)
					p++;
				pending[0] = 0;
			} else if (strchr("{([", *p)) {
				assert_true(depth + 1 < MAX_DEPTH);
				xfmt(stack[depth + 1], MAX_PATH, "%s",
				     pending[0] ? pending : stack[depth]);
				depth++;
				pending[0] = 0;
				p++;
			} else if (strchr("})]", *p)) {
				assert_true(depth > 0);
				depth--;
				pending[0] = 0;
				p++;
			} else {
				if (!isspace((unsigned char)*p))
					pending[0] = 0;
				p++;
			}
		}
	}
	fclose(f);
	assert_int_equal(depth, 0);
}

/* doc must name every key of table, and nothing table lacks. */
static void compare(const struct keyset *table, const struct keyset *doc,
		    const char *what)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < table->n; i++) {
		if (has(doc, table->path[i]))
			continue;
		fprintf(stderr, "%s does not document key %s\n", what,
			table->path[i]);
		bad++;
	}
	for (unsigned int i = 0; i < doc->n; i++) {
		if (known(table, doc->path[i]))
			continue;
		fprintf(stderr,
			"%s:%d: documents %s, which srptd does not have\n",
			what, doc->line[i], doc->path[i]);
		bad++;
	}
	assert_int_equal(bad, 0);
}

static void test_man_page(void **state)
{
	static struct keyset table, man;

	(void)state;
	table_keys(&table);
	man_keys(&man);
	/* The extraction found the sections at all. */
	assert_true(has(&man, "daemon.log_level"));
	assert_true(has(&man, "targets.groups.initiators"));
	compare(&table, &man, "man/srptd.conf.5");
}

static void test_example_conf(void **state)
{
	static struct keyset table, conf;

	(void)state;
	table_keys(&table);
	conf_keys(&conf);
	assert_true(has(&conf, "version"));
	assert_true(has(&conf, "targets.groups.initiators"));
	compare(&table, &conf, "conf/srptd.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_example_conf),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
