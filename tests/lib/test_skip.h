/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Honest skips for the cmocka unit tests (doc/testing.md).
 *
 * cmocka's skip() leaves the executable's exit status at 0, so ctest would
 * count a test that checked nothing as passed.  SRPTD_SKIP() records the
 * skip with its reason before calling skip(), and srptd_test_status() turns
 * cmocka's failure count into the exit status: 1 when anything failed, 77
 * (ctest's SKIP_RETURN_CODE, cmake/SrptdTesting.cmake) when something was
 * skipped and nothing failed, 0 otherwise.  A test calls skip() only through
 * SRPTD_SKIP(), and returns srptd_test_status() from main()
 * (scripts/lint-tests.sh checks both).
 */
#ifndef SRPTD_TESTS_LIB_TEST_SKIP_H
#define SRPTD_TESTS_LIB_TEST_SKIP_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* ctest's SKIP_RETURN_CODE for every srptd test (and automake's). */
#define SRPTD_TEST_SKIP_STATUS 77

/*
 * Skip the running test, saying why (printf format): the reason is printed
 * as "SKIP: <reason>" where scripts/ctest.sh finds it.
 */
#define SRPTD_SKIP(...)                            \
	do {                                       \
		srptd_test_note_skip(__VA_ARGS__); \
		skip();                            \
	} while (0)

void srptd_test_note_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Exit status for @failed failed and @skipped skipped tests. */
int srptd_test_exit_status(int failed, int skipped);

/* Exit status of this executable given cmocka's failure count(s). */
int srptd_test_status(int failed);

#endif
