/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * scsi_task_set_error(): the sense of an error a transport finds itself
 * follows the D_SENSE bit of the addressed logical unit's control mode
 * page (descriptor format 0x72 when set, fixed format 0x70 otherwise),
 * and is fixed format when no logical unit applies.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

/* LUN 0: D_SENSE 0 (the default); LUN 1: D_SENSE 1 from the config. */
static int setup(void **state)
{
	struct scsi_lu_params dsense = { .vendor = "SRPTD",
					 .product = "test disk",
					 .revision = "0.1",
					 .max_xfer_bytes = 1024 * 1024,
					 .target_name = "srptd.test",
					 .descriptor_sense = true };
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_lun_entry v[2];

	sf_init(f);
	sf_add_lu(f, 0, "tb", 512, 64, NULL);
	sf_add_lu(f, 1, "tb", 512, 64, &dsense);
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[0] };
	v[1] = (struct scsi_lun_entry){ .lun = 1, .lu = f->lu[1] };
	sf_add_itn(f, 0, 0xa0, v, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	sf_fini(*state);
	free(*state);
	return 0;
}

/* A task as a transport holds it before parsing: only itn and lun set. */
static struct scsi_task *task_for(struct sf *f, uint64_t lun)
{
	struct scsi_task *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->itn = f->itn[0];
	t->lun = lun;
	t->data_in_len = 1234; /* must be cleared */
	memset(t->sense, 0xee, sizeof(t->sense));
	return t;
}

static void assert_fixed(const struct scsi_task *t, uint8_t key, uint8_t asc,
			 uint8_t ascq)
{
	assert_int_equal(t->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(t->data_in_len, 0);
	assert_int_equal(t->sense_len, 18);
	assert_int_equal(t->sense[0], 0x70); /* current, fixed format */
	assert_int_equal(t->sense[2], key);
	assert_int_equal(t->sense[7], 10); /* additional length */
	assert_int_equal(t->sense[12], asc);
	assert_int_equal(t->sense[13], ascq);
	assert_int_equal(t->sense[15], 0); /* no sense-key specific data */
}

static void assert_descriptor(const struct scsi_task *t, uint8_t key,
			      uint8_t asc, uint8_t ascq)
{
	assert_int_equal(t->status, SAM_STAT_CHECK_CONDITION);
	assert_int_equal(t->data_in_len, 0);
	assert_int_equal(t->sense_len, 8); /* header, no descriptors */
	assert_int_equal(t->sense[0], 0x72); /* current, descriptor format */
	assert_int_equal(t->sense[1], key);
	assert_int_equal(t->sense[2], asc);
	assert_int_equal(t->sense[3], ascq);
	assert_int_equal(t->sense[7], 0); /* additional length */
}

static void test_fixed_when_d_sense_clear(void **state)
{
	struct scsi_task *t = task_for(*state, 0);

	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x0e03);
	assert_fixed(t, 0x05, 0x0e, 0x03);
	free(t);
}

static void test_descriptor_when_d_sense_set(void **state)
{
	struct scsi_task *t = task_for(*state, 1);

	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x0e03);
	assert_descriptor(t, 0x05, 0x0e, 0x03);
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x0b, 0x4b00);
	assert_descriptor(t, 0x0b, 0x4b, 0x00);
	free(t);
}

/* No logical unit, no D_SENSE to follow: fixed format. */
static void test_fixed_without_lu(void **state)
{
	struct sf *f = *state;
	struct scsi_task *t = task_for(f, SCSI_LUN_INVALID);

	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2500);
	assert_fixed(t, 0x05, 0x25, 0x00);
	t->lun = 7; /* not in the view */
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2500);
	assert_fixed(t, 0x05, 0x25, 0x00);
	t->itn = NULL;
	t->lun = 1; /* would be descriptor format on the nexus */
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2500);
	assert_fixed(t, 0x05, 0x25, 0x00);
	free(t);
}

/* A status without CHECK CONDITION carries no sense, in either format. */
static void test_status_only(void **state)
{
	for (uint64_t lun = 0; lun < 2; lun++) {
		struct scsi_task *t = task_for(*state, lun);

		t->sense_len = 18;
		scsi_task_set_error(t, SAM_STAT_TASK_SET_FULL, 0, 0);
		assert_int_equal(t->status, SAM_STAT_TASK_SET_FULL);
		assert_int_equal(t->sense_len, 0);
		assert_int_equal(t->data_in_len, 0);
		free(t);
	}
}

static void mode_select_d_sense(struct sf *f, uint64_t lun, bool on)
{
	uint8_t b[256], prm[20];
	struct sf_cmd c;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MODE_SENSE_10;
	c.cdb[1] = 0x08; /* DBD */
	c.cdb[2] = 0x0a; /* control mode page, current values */
	put_be16(c.cdb + 7, sizeof(b));
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, 0, lun, &c), SAM_STAT_GOOD);
	memset(prm, 0, 8);
	memcpy(prm + 8, b + 8, 12);
	if (on)
		prm[8 + 2] |= SCSI_MP_CONTROL_D_SENSE;
	else
		prm[8 + 2] &= ~SCSI_MP_CONTROL_D_SENSE;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MODE_SELECT_10;
	c.cdb[1] = 0x10; /* PF */
	put_be16(c.cdb + 7, sizeof(prm));
	c.out = prm;
	c.out_len = sizeof(prm);
	assert_int_equal(sf_run(f, 0, lun, &c), SAM_STAT_GOOD);
}

/* MODE SELECT switches the format of every later transport error. */
static void test_mode_select_switches(void **state)
{
	struct sf *f = *state;
	struct scsi_task *t = task_for(f, 0);

	sf_clear_ua(f, 0, 0);
	mode_select_d_sense(f, 0, true);
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2400);
	assert_descriptor(t, 0x05, 0x24, 0x00);
	/* The other LU keeps its own setting. */
	sf_clear_ua(f, 0, 1);
	mode_select_d_sense(f, 1, false);
	t->lun = 1;
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2400);
	assert_fixed(t, 0x05, 0x24, 0x00);
	t->lun = 0;
	mode_select_d_sense(f, 0, false);
	scsi_task_set_error(t, SAM_STAT_CHECK_CONDITION, 0x05, 0x2400);
	assert_fixed(t, 0x05, 0x24, 0x00);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixed_when_d_sense_clear,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_descriptor_when_d_sense_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_without_lu, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_select_switches,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
