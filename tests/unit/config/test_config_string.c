/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * config_load_string() (src/config/load.c), the in-memory twin of
 * config_load() that tests/fuzz/fuzz_config.c uses: for every fixture of
 * tests/data/config/ and the shipped conf/srptd.conf, loading the file and
 * loading its bytes under the file's name give the same return value, the
 * same "file:line: message" text and, when it loads, the same dump.  Also
 * the checks the file path makes on the bytes themselves (NUL, size).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "test_fmt.h"

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

/* The errors as printed, or the dump of a loaded config; caller frees. */
static char *outcome(int ret, const struct config *cfg,
		     const struct config_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fprintf(f, "ret %d\n", ret);
	if (ret)
		config_errors_print(errs, f);
	else
		config_dump(cfg, f);
	fclose(f);
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Load path both ways (drop-ins as the file says); the outcomes match. */
static void same_both_ways(const char *path, unsigned int *n_ok)
{
	struct config_errors *e1 = calloc(1, sizeof(*e1));
	struct config_errors *e2 = calloc(1, sizeof(*e2));
	struct config *c1 = NULL, *c2 = NULL;
	char *o1, *o2, *text;
	size_t len;
	int r1, r2;

	assert_non_null(e1);
	assert_non_null(e2);
	text = slurp(path, &len);
	r1 = config_load(path, NULL, &c1, e1);
	r2 = config_load_string(path, text, len, NULL, &c2, e2);
	o1 = outcome(r1, c1, e1);
	o2 = outcome(r2, c2, e2);
	if (strcmp(o1, o2))
		fprintf(stderr, "%s\n--- file:\n%s--- string:\n%s", path, o1,
			o2);
	assert_string_equal(o1, o2);
	if (!r1) {
		assert_string_equal(c2->path, path);
		(*n_ok)++;
	}
	free(o1);
	free(o2);
	free(text);
	config_free(c1);
	config_free(c2);
	free(e1);
	free(e2);
}

static int is_conf(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && !strcmp(de->d_name + n - 5, ".conf");
}

static void test_fixtures_same_both_ways(void **state)
{
	struct dirent **list = NULL;
	char dir[PATH_MAX], path[PATH_MAX * 2];
	unsigned int n_ok = 0;
	int n;

	(void)state;
	xfmt(dir, sizeof(dir), "%s/tests/data/config", g_src);
	n = scandir(dir, &list, is_conf, alphasort);
	/* Enough fixtures that both valid and invalid ones are compared. */
	assert_true(n >= 20);
	for (int i = 0; i < n; i++) {
		xfmt(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		same_both_ways(path, &n_ok);
		free(list[i]);
	}
	free(list);
	xfmt(path, sizeof(path), "%s/conf/srptd.conf", g_src);
	same_both_ways(path, &n_ok);
	assert_true(n_ok >= 3);
	assert_true(n_ok < (unsigned int)n + 1);
}

/* Load text as name; return the printed errors (caller frees). */
static char *errors_of(const char *name, const char *text, size_t len)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = (struct config *)1;
	char *out;

	assert_non_null(errs);
	assert_int_equal(config_load_string(name, text, len, "", &cfg, errs),
			 -EINVAL);
	assert_null(cfg);
	out = outcome(-EINVAL, NULL, errs);
	free(errs);
	return out;
}

static void test_bytes_checked_as_a_file(void **state)
{
	static const char nul[] = "version = 1;\n\0daemon: { };\n";
	static const char syntax[] = "version = 1;\ndaemon: {\n  workers = ;\n";
	size_t big = (16u << 20) + 1;
	char *text, *out;

	(void)state;
	out = errors_of("mem.conf", nul, sizeof(nul) - 1);
	assert_string_equal(out, "ret -22\nmem.conf: contains a NUL byte\n");
	free(out);
	/* The name stands for the file in the line of a syntax error. */
	out = errors_of("/etc/x/in.conf", syntax, sizeof(syntax) - 1);
	assert_string_equal(out, "ret -22\n/etc/x/in.conf:3: syntax error\n");
	free(out);
	text = malloc(big);
	assert_non_null(text);
	memset(text, ' ', big);
	out = errors_of("big.conf", text, big);
	assert_string_equal(
		out,
		"ret -22\nbig.conf: file too large (over 16777216 bytes)\n");
	free(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_same_both_ways),
		cmocka_unit_test(test_bytes_checked_as_a_file),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
