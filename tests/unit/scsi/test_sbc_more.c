/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * VERIFY(12), WRITE AND VERIFY(12) (SBC-3 5.34, 5.47) and PRE-FETCH(10)
 * / (16) (SBC-3 5.10, 5.11): ranges, sense, what reaches the backend.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

#define BLOCKS 1024

static int setup(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));

	sf_init(f);
	sf_add_lu(f, 0, "tb", 512, BLOCKS, NULL);
	sf_add_itn0(f, 0, 0xa0);
	sf_clear_ua(f, 0, 0);
	tb_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	sf_fini(*state);
	free(*state);
	return 0;
}

static unsigned long submitted(void)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < 5; i++)
		n += tb_ctl.submitted[i];
	return n;
}

static void test_verify12(void **state)
{
	struct sf *f = *state;
	uint8_t data[4 * 512], other[4 * 512];
	struct sf_cmd c;
	bool cd;
	int bit;

	sf_fill(data, sizeof(data), 3);
	sf_pwrite(f, 0, 8 * 512, data, sizeof(data));
	/* BYTCHK=1: equal data is GOOD. */
	sf_cdb_rw12(&c, SCSI_OP_VERIFY_12, 0x02, 8, 4);
	c.out = data;
	c.out_len = sizeof(data);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* A byte differs: MISCOMPARE, INFORMATION = its offset. */
	memcpy(other, data, sizeof(other));
	other[1000] ^= 0xff;
	c.out = other;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
			SCSI_ASC_MISCOMPARE_DURING_VERIFY);
	assert_int_equal(sf_sense_info(&c), 1000);
	/* BYTCHK=0: a medium check, no data-out. */
	sf_cdb_rw12(&c, SCSI_OP_VERIFY_12, 0, 8, 4);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_NONE);
	/* Past the end. */
	sf_cdb_rw12(&c, SCSI_OP_VERIFY_12, 0, BLOCKS - 2, 4);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* VRPROTECT: no protection information. */
	sf_cdb_rw12(&c, SCSI_OP_VERIFY_12, 0x20, 8, 4);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 1);
	assert_true(cd);
	assert_int_equal(bit, 5);
}

static void test_write_verify12(void **state)
{
	struct sf *f = *state;
	uint8_t data[2 * 512], got[2 * 512];
	struct sf_cmd c;

	sf_fill(data, sizeof(data), 5);
	sf_cdb_rw12(&c, SCSI_OP_WRITE_VERIFY_12, 0, 100, 2);
	c.out = data;
	c.out_len = sizeof(data);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* On the medium before GOOD: written with FUA. */
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA,
			 SRPTD_IO_F_FUA);
	sf_pread(f, 0, 100 * 512, got, sizeof(got));
	assert_memory_equal(got, data, sizeof(got));
	sf_cdb_rw12(&c, SCSI_OP_WRITE_VERIFY_12, 0, BLOCKS, 1);
	c.out = data;
	c.out_len = 512;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
}

static void prefetch(struct sf_cmd *c, bool sixteen, uint8_t b1, uint64_t lba,
		     uint32_t n)
{
	if (sixteen)
		sf_cdb_rw16(c, SCSI_OP_PRE_FETCH_16, b1, lba, n);
	else
		sf_cdb_rw10(c, SCSI_OP_PRE_FETCH_10, b1, lba, n);
}

static void test_prefetch(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;
	int sixteen;

	for (sixteen = 0; sixteen < 2; sixteen++) {
		/* No cache to fill: GOOD, IMMED or not, nothing submitted. */
		prefetch(&c, sixteen, 0, 0, 256);
		assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
		assert_int_equal(c.dir, SCSI_DIR_NONE);
		prefetch(&c, sixteen, 0x02, BLOCKS - 1, 1);
		assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
		prefetch(&c, sixteen, 0, BLOCKS - 1, 0);
		assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
		assert_int_equal(submitted(), 0);
		/* Past the end, also with 0 blocks. */
		prefetch(&c, sixteen, 0, BLOCKS - 1, 2);
		sf_run(f, 0, 0, &c);
		sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
				SCSI_ASC_LBA_OUT_OF_RANGE);
		prefetch(&c, sixteen, 0, BLOCKS, 0);
		sf_run(f, 0, 0, &c);
		sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
				SCSI_ASC_LBA_OUT_OF_RANGE);
		/* Bits other than IMMED in byte 1 are reserved. */
		prefetch(&c, sixteen, 0x04, 0, 1);
		sf_run(f, 0, 0, &c);
		sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
				SCSI_ASC_INVALID_FIELD_IN_CDB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verify12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_verify12, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prefetch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
