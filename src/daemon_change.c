/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The change report of daemon_apply_config(); see daemon_change.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon_change.h"
#include "log.h"

void daemon_report_add(struct daemon_change_report *rep, const char *fmt, ...)
{
	char **lines;
	va_list ap;
	char *s;
	int ret;

	if (!rep)
		return;
	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		pr_err("change report: out of memory");
		return;
	}
	lines = realloc(rep->lines, (rep->n + 1) * sizeof(*lines));
	if (!lines) {
		pr_err("change report: out of memory (%s)", s);
		free(s);
		return;
	}
	rep->lines = lines;
	rep->lines[rep->n++] = s;
}

void daemon_report_free(struct daemon_change_report *rep)
{
	for (unsigned int i = 0; i < rep->n; i++)
		free(rep->lines[i]);
	free(rep->lines);
	rep->lines = NULL;
	rep->n = 0;
}
