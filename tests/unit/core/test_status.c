/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The STATUS= summary line (src/status.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "status.h"

static void test_waiting_for_devices(void **state)
{
	struct status_info si = {
		.rdma_devices = "", .targets = 2, .luns = 3, .generation = 1
	};
	char buf[256];

	assert_string_equal(
		status_format(&si, buf, sizeof(buf)),
		"waiting for RDMA devices; 2 targets, 3 LUNs; config generation 1");
	si.rdma_devices = NULL;
	assert_string_equal(
		status_format(&si, buf, sizeof(buf)),
		"waiting for RDMA devices; 2 targets, 3 LUNs; config generation 1");
}

static void test_serving_counts_and_plurals(void **state)
{
	struct status_info si = { .rdma_devices = "rxe0",
				  .targets = 1,
				  .luns = 1,
				  .sessions = 1,
				  .channels = 1,
				  .generation = 7 };
	char buf[256];

	assert_string_equal(
		status_format(&si, buf, sizeof(buf)),
		"serving 1 target, 1 LUN, 1 session (1 channel) on rxe0; config generation 7");
	si.rdma_devices = "mlx5_0 rxe0";
	si.targets = 2;
	si.luns = 3;
	si.sessions = 0;
	si.channels = 0;
	assert_string_equal(
		status_format(&si, buf, sizeof(buf)),
		"serving 2 targets, 3 LUNs, 0 sessions (0 channels) on mlx5_0 rxe0; config generation 7");
	si.sessions = 2;
	si.channels = 4;
	assert_string_equal(
		status_format(&si, buf, sizeof(buf)),
		"serving 2 targets, 3 LUNs, 2 sessions (4 channels) on mlx5_0 rxe0; config generation 7");
}

/* A short buffer truncates but stays a terminated string. */
static void test_truncates(void **state)
{
	struct status_info si = { .rdma_devices = "rxe0", .targets = 1 };
	char buf[12];

	memset(buf, 'x', sizeof(buf));
	status_format(&si, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "serving 1 t", sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting_for_devices),
		cmocka_unit_test(test_serving_counts_and_plurals),
		cmocka_unit_test(test_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
