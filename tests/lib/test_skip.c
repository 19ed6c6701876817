/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Honest skips for the cmocka unit tests: see test_skip.h.  Linked into
 * every unit test by srptd_add_unit_test() (cmake/SrptdTesting.cmake).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_skip.h"

/* cmocka runs every test of an executable in this one process. */
static int skipped;

void srptd_test_note_skip(const char *fmt, ...)
{
	va_list ap;

	skipped++;
	printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int srptd_test_exit_status(int failed, int skipped_tests)
{
	if (failed)
		return 1;
	return skipped_tests ? SRPTD_TEST_SKIP_STATUS : 0;
}

int srptd_test_status(int failed)
{
	return srptd_test_exit_status(failed, skipped);
}

/*
 * ctest gives each test a private TMPDIR (cmake/SrptdTesting.cmake), made
 * at configure time; make it again here so a cleaned build tree still runs.
 */
__attribute__((constructor)) static void srptd_test_make_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];
	char *p;

	if (!tmp || !*tmp || strlen(tmp) >= sizeof(path))
		return;
	strcpy(path, tmp);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return;
		*p = '/';
	}
	mkdir(path, 0700);
}
