/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Configuration errors: every problem is recorded as "file:line: message"
 * and loading goes on, so one srptd --check-config run lists all of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"

const char *const cfg_engine_names[CONFIG_ENGINE_COUNT] = {
	[CONFIG_ENGINE_IO_URING] = "io_uring", [CONFIG_ENGINE_AIO] = "aio",
	[CONFIG_ENGINE_SYNC] = "sync",	       [CONFIG_ENGINE_NULL] = "null",
	[CONFIG_ENGINE_RBD] = "rbd",
};

const char *const cfg_component_names[LOG_C_COUNT] = {
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
void cfg_fmt(char *buf, size_t size, const char *fmt, ...)
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

void cfg_err_at(struct cfg_ctx *ctx, const char *file, int line,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(ctx->errs, file, line, fmt, ap);
	va_end(ap);
}

const char *cfg_file_of(const struct cfg_ctx *ctx, const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	/* NULL unless the setting came from an @include'd file. */
	return f ? f : ctx->cur->name;
}

int cfg_line_of(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

/* Error at setting s (its file and line). */
void cfg_err(struct cfg_ctx *ctx, const config_setting_t *s, const char *fmt,
	     ...)
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
