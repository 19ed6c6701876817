/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_text.h"

/* No drop-in directory: the loaders need a path that cannot exist. */
#define NO_DROPINS "/nonexistent"

char *cfgt_errors_text(const struct config_errors *errs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	config_errors_print(errs, f);
	fclose(f);
	return text;
}

char *cfgt_load(const char *name, const char *body, struct config **cfg)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	char *conf = NULL, *text = NULL;

	assert_non_null(errs);
	assert_true(asprintf(&conf, "version = 1;\n%s", body) > 0);
	*cfg = NULL;
	if (config_load_string(name, conf, strlen(conf), NO_DROPINS, cfg,
			       errs)) {
		text = cfgt_errors_text(errs);
		*cfg = NULL;
	}
	free(conf);
	free(errs);
	return text;
}

char *cfgt_dump(const struct config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	config_dump(cfg, f);
	fclose(f);
	return text;
}

struct config *cfgt_reload_dump(const struct config *cfg)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *back = NULL;
	char *text = cfgt_dump(cfg);

	assert_non_null(errs);
	if (config_load_string("dump.conf", text, strlen(text), NO_DROPINS,
			       &back, errs)) {
		char *msg = cfgt_errors_text(errs);

		fail_msg("the dump does not load:\n%s\n%s", msg, text);
	}
	free(text);
	free(errs);
	return back;
}
