/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * xfmt(): snprintf for test paths and names, without gcc's truncation
 * warnings (-Wformat-truncation) that a plain snprintf into a fixed buffer
 * gives; the strings a test builds are short.
 */
#ifndef SRPTD_TEST_FMT_H
#define SRPTD_TEST_FMT_H

#include <stdarg.h>
#include <stdio.h>

static inline void xfmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void xfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#endif
