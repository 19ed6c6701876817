/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Unit attentions per I_T nexus per LUN (SAM-5 5.14, SPC-4): power on at
 * first access, ordering, which commands report/clear them, REQUEST SENSE,
 * the daemon's entry points (capacity, LUN inventory, LUN reset).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

static int setup(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_lun_entry v[2];

	sf_init(f);
	sf_add_lu(f, 0, "sync", 512, 256, NULL);
	sf_add_lu(f, 1, "sync", 512, 256, NULL);
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[0] };
	v[1] = (struct scsi_lun_entry){ .lun = 1, .lu = f->lu[1] };
	sf_add_itn(f, 0, 0xa0, v, 2);
	sf_add_itn(f, 1, 0xb0, v, 2);
	/* Nexus 2 sees only LU 1. */
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[1] };
	sf_add_itn(f, 2, 0xc0, v, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	sf_fini(*state);
	free(*state);
	return 0;
}

static void tur(struct sf *f, unsigned int itn, uint64_t lun, struct sf_cmd *c)
{
	sf_cdb6(c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, itn, lun, c);
}

static void expect_ua(struct sf *f, unsigned int itn, uint64_t lun,
		      uint16_t asc)
{
	struct sf_cmd c;

	tur(f, itn, lun, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION, asc);
	assert_int_equal(c.parse_ret, 1);
}

static void expect_good(struct sf *f, unsigned int itn, uint64_t lun)
{
	struct sf_cmd c;

	tur(f, itn, lun, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

static void test_power_on(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];
	struct sf_cmd c;

	/* INQUIRY and REPORT LUNS neither report nor clear it. */
	sf_cdb6(&c, SCSI_OP_INQUIRY, 0, 0, 0, 96);
	c.in = b;
	c.in_len = 96;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_REPORT_LUNS;
	put_be32(c.cdb + 6, 256);
	c.in = b;
	c.in_len = 256;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* A READ reports it (no data moves), then it is gone. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 1);
	c.in = b;
	c.in_len = 512;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
	assert_int_equal(c.data_in_len, 0);
	expect_good(f, 0, 0);
	/* Per LUN: LUN 1 still has its own. */
	expect_ua(f, 0, 1, SCSI_ASC_POWER_ON_RESET);
	expect_good(f, 0, 1);
	/* Per nexus: nexus 1 still has its own. */
	expect_ua(f, 1, 0, SCSI_ASC_POWER_ON_RESET);
}

static void test_request_sense(void **state)
{
	struct sf *f = *state;
	uint8_t b[96];
	struct sf_cmd c;

	/* REQUEST SENSE returns the UA as data with GOOD and clears it. */
	sf_cdb6(&c, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 96);
	c.in = b;
	c.in_len = 96;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 18);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(b[2], SCSI_SK_UNIT_ATTENTION);
	assert_int_equal(b[12], 0x29);
	assert_int_equal(b[13], 0x00);
	expect_good(f, 0, 0);
	/* Nothing pending: NO SENSE. */
	sf_cdb6(&c, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 8);
	c.in = b;
	c.in_len = 8;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 8);
	assert_int_equal(b[2], 0);
	/* Descriptor format by DESC. */
	scsi_itn_queue_ua(f->itn[0], 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	sf_cdb6(&c, SCSI_OP_REQUEST_SENSE, 1, 0, 0, 96);
	c.in = b;
	c.in_len = 96;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[0], 0x72);
	assert_int_equal(b[1], SCSI_SK_UNIT_ATTENTION);
	assert_int_equal(b[2], 0x2a);
	assert_int_equal(b[3], 0x09);
	expect_good(f, 0, 0);
}

static void test_ordering(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;
	unsigned int i;

	expect_ua(f, 0, 0, SCSI_ASC_POWER_ON_RESET);
	assert_int_equal(scsi_itn_queue_ua(f->itn[0], 0,
					   SCSI_ASC_CAPACITY_DATA_CHANGED),
			 0);
	assert_int_equal(scsi_itn_queue_ua(f->itn[0], 0,
					   SCSI_ASC_MODE_PARAMETERS_CHANGED),
			 0);
	/* A duplicate is not queued twice. */
	scsi_itn_queue_ua(f->itn[0], 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	scsi_itn_queue_ua(f->itn[0], 0, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	/* An invalid opcode does not consume a UA. */
	sf_cdb6(&c, 0x02, 0, 0, 0, 0);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	expect_ua(f, 0, 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	expect_ua(f, 0, 0, SCSI_ASC_MODE_PARAMETERS_CHANGED);
	expect_ua(f, 0, 0, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	expect_good(f, 0, 0);
	assert_int_equal(scsi_itn_queue_ua(f->itn[0], 7, 0x2a09), -ENOENT);
	/* A reset UA supersedes older ones. */
	scsi_itn_queue_ua(f->itn[0], 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	scsi_itn_queue_ua(f->itn[0], 0, SCSI_ASC_BUS_DEVICE_RESET);
	expect_ua(f, 0, 0, SCSI_ASC_BUS_DEVICE_RESET);
	expect_good(f, 0, 0);
	/* A full queue keeps the oldest. */
	for (i = 0; i < 12; i++)
		scsi_itn_queue_ua(f->itn[0], 0, 0x3f00 + i);
	for (i = 0; i < 8; i++)
		expect_ua(f, 0, 0, 0x3f00 + i);
	expect_good(f, 0, 0);
}

static void test_daemon_events(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];
	struct sf_cmd c;

	expect_ua(f, 0, 0, SCSI_ASC_POWER_ON_RESET);
	expect_ua(f, 0, 1, SCSI_ASC_POWER_ON_RESET);
	expect_ua(f, 1, 0, SCSI_ASC_POWER_ON_RESET);
	expect_ua(f, 1, 1, SCSI_ASC_POWER_ON_RESET);
	expect_ua(f, 2, 0, SCSI_ASC_POWER_ON_RESET);
	/* Capacity of LU 0 changed: every nexus that sees it. */
	scsi_lu_capacity_changed(f->lu[0]);
	expect_ua(f, 0, 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	expect_ua(f, 1, 0, SCSI_ASC_CAPACITY_DATA_CHANGED);
	expect_good(f, 0, 1);
	expect_good(f, 2, 0);
	/* All nexuses of LU 1 (LUN 1 for 0/1, LUN 0 for 2). */
	scsi_lu_queue_ua_all(f->lu[1], SCSI_ASC_MODE_PARAMETERS_CHANGED);
	expect_ua(f, 2, 0, SCSI_ASC_MODE_PARAMETERS_CHANGED);
	expect_ua(f, 0, 1, SCSI_ASC_MODE_PARAMETERS_CHANGED);
	/* LUN inventory change; REPORT LUNS clears it on every LUN. */
	scsi_itn_luns_changed(f->itn[1]);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_REPORT_LUNS;
	put_be32(c.cdb + 6, 256);
	c.in = b;
	c.in_len = 256;
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	expect_ua(f, 1, 1, SCSI_ASC_MODE_PARAMETERS_CHANGED);
	expect_good(f, 1, 1);
	expect_good(f, 1, 0);
	scsi_itn_luns_changed(f->itn[1]);
	expect_ua(f, 1, 0, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	expect_ua(f, 1, 1, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	expect_good(f, 0, 0);
}

static void test_lun_reset(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;

	expect_ua(f, 0, 0, SCSI_ASC_POWER_ON_RESET);
	expect_ua(f, 1, 0, SCSI_ASC_POWER_ON_RESET);
	sf_cdb6(&c, SCSI_OP_RESERVE_6, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	tur(f, 1, 0, &c);
	assert_int_equal(c.status, SAM_STAT_RESERVATION_CONFLICT);
	/* LUN RESET from nexus 0: others get 29/03, RESERVE is gone. */
	scsi_lu_reset(f->itn[0], 0);
	expect_good(f, 0, 0);
	expect_ua(f, 1, 0, SCSI_ASC_BUS_DEVICE_RESET);
	expect_good(f, 1, 0);
	/* LU 1 is untouched. */
	expect_ua(f, 1, 1, SCSI_ASC_POWER_ON_RESET);
	expect_good(f, 1, 1);
	/* Resetting an unknown LUN is harmless. */
	scsi_lu_reset(f->itn[0], 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_sense, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ordering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lun_reset, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
