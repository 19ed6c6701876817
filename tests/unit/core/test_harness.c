/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The test harness itself (cmake/SrptdTesting.cmake, tests/lib/test_skip.c):
 * a skipped test must not exit 0, and each test runs with its own TMPDIR
 * (doc/testing.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_skip.h"

/* 77 is ctest's SKIP_RETURN_CODE; a failure wins over a skip. */
static void test_exit_status_maps_skips(void **state)
{
	(void)state;
	assert_int_equal(srptd_test_exit_status(0, 0), 0);
	assert_int_equal(srptd_test_exit_status(0, 1), 77);
	assert_int_equal(srptd_test_exit_status(0, 39), 77);
	assert_int_equal(srptd_test_exit_status(1, 0), 1);
	assert_int_equal(srptd_test_exit_status(2, 5), 1);
	/* 77 failures must still read as a failure, not as skipped. */
	assert_int_equal(srptd_test_exit_status(77, 0), 1);
}

/* TMPDIR is <build>/Testing/tmp/<this test's name>, exists, is writable. */
static void test_private_tmpdir(void **state)
{
	const char *tmp = getenv("TMPDIR");
	const char *build = getenv("SRPTD_BUILD_DIR");
	char want[PATH_MAX], file[PATH_MAX];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(tmp);
	assert_non_null(build);
	snprintf(want, sizeof(want), "%s/Testing/tmp/%s", build,
		 program_invocation_short_name);
	assert_string_equal(tmp, want);
	assert_int_equal(stat(tmp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(file, sizeof(file), "%s/probe-XXXXXX", tmp);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlink(file), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_maps_skips),
		cmocka_unit_test(test_private_tmpdir),
	};

	return srptd_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}
