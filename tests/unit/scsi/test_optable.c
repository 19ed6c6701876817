/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The dispatch table's rows (src/scsi/optable.c) as the parse relies on
 * them: the CDB usage check of every command (task.c) masks the CDB by a
 * table indexed by the row's CDB length and tests no bit of the
 * operation code, so every row, service-action rows included, has a CDB
 * length of 6 to 16 bytes (its usage data has 16) and allows all of
 * byte 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "scsi/scsi_int.h"

static void check_row(const struct scsi_opdesc *op)
{
	assert_non_null(op->parse);
	assert_true(op->cdb_len >= 6 && op->cdb_len <= sizeof(op->usage));
	assert_int_equal(op->usage[0], 0xff);
}

static void test_rows(void **state)
{
	unsigned int rows = 0;

	for (unsigned int code = 0; code < 256; code++) {
		const struct scsi_opdesc *op = &scsi_optable[code];

		if (op->n_sa) {
			for (unsigned int i = 0; i < op->n_sa; i++) {
				check_row(scsi_op_sa_row(code, i));
				rows++;
			}
			assert_null(scsi_op_sa_row(code, op->n_sa));
		} else if (op->parse) {
			check_row(op);
			rows++;
		}
	}
	assert_true(rows > 40); /* the table is there */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
