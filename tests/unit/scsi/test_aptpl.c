/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Persistent reservations with APTPL (SPC-4 5.14.5): the state survives
 * destroying and recreating the LU through the file store
 * (src/scsi/pr_store.c), APTPL = 0 erases it, a corrupt file gives empty
 * state, and a store that fails makes the PR OUT fail with sense and
 * leaves the state unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scsi_fixture.h"
#include "util.h"

#define NAA "600140512345678900000000000000aa"
#define KEY_A 0xaaaa0001ull
#define KEY_B 0xbbbb0002ull

struct at {
	char dir[128]; /* state directory */
	char file[192]; /* the LU's state file in it */
	struct scsi_pr_store store;
	struct scsi_lu_params params;
	struct sf f;
	bool up;
};

/* Bring the "daemon" up: LU 0 with the store, nexuses 0 and 1. */
static void at_start(struct at *a)
{
	sf_init(&a->f);
	sf_add_lu(&a->f, 0, "sync", 512, 1024, &a->params);
	sf_add_itn0(&a->f, 0, 0xa0);
	sf_add_itn0(&a->f, 1, 0xb0);
	sf_clear_ua(&a->f, 0, 0);
	sf_clear_ua(&a->f, 1, 0);
	a->up = true;
}

static void at_stop(struct at *a)
{
	sf_fini(&a->f);
	memset(&a->f, 0, sizeof(a->f));
	a->up = false;
}

static int setup(void **state)
{
	struct at *a = calloc(1, sizeof(*a));
	const char *tmp = getenv("TMPDIR");

	snprintf(a->dir, sizeof(a->dir), "%s/aptpl-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(a->dir));
	snprintf(a->file, sizeof(a->file), "%s/pr-%s.state", a->dir, NAA);
	scsi_pr_file_store_init(&a->store, a->dir);
	a->params = (struct scsi_lu_params){ .vendor = "SRPTD",
					     .product = "test disk",
					     .revision = "0.1",
					     .naa = NAA,
					     .max_xfer_bytes = 1024 * 1024,
					     .target_name = "srptd.test",
					     .pr_store = &a->store };
	at_start(a);
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	struct at *a = *state;
	char tmp[200];

	if (a->up)
		at_stop(a);
	unlink(a->file);
	snprintf(tmp, sizeof(tmp), "%s/pr-%s.tmp", a->dir, NAA);
	unlink(tmp);
	rmdir(a->dir);
	free(a);
	return 0;
}

static int prout(struct at *a, unsigned int itn, uint8_t sa, uint8_t type,
		 uint64_t key, uint64_t sa_key, uint8_t flags, struct sf_cmd *c)
{
	return sf_prout(&a->f, itn, 0, sa, type, key, sa_key, flags, c);
}

static void prout_ok(struct at *a, unsigned int itn, uint8_t sa, uint8_t type,
		     uint64_t key, uint64_t sa_key, uint8_t flags)
{
	assert_int_equal(prout(a, itn, sa, type, key, sa_key, flags, NULL),
			 SAM_STAT_GOOD);
}

static unsigned int prin(struct at *a, unsigned int itn, uint8_t sa,
			 uint8_t *buf)
{
	return sf_prin(&a->f, itn, 0, sa, buf, 256);
}

static bool file_exists(const struct at *a)
{
	struct stat st;

	return stat(a->file, &st) == 0;
}

/* Registrations and a WRITE EXCLUSIVE reservation, with APTPL. */
static void take_reservation(struct at *a)
{
	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0x01);
	prout_ok(a, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B, 0x01);
	prout_ok(a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_WE, KEY_A, 0, 0);
}

static void test_survives_restart(void **state)
{
	struct at *a = *state;
	uint8_t b[256];

	/* PTPL_C with a store, PTPL_A off until an APTPL registration. */
	assert_int_equal(prin(a, 0, SCSI_PRIN_REPORT_CAPABILITIES, b), 8);
	assert_int_equal(b[2] & 0x01, 1);
	assert_int_equal(b[3] & 0x01, 0);
	take_reservation(a);
	assert_true(file_exists(a));
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_RESERVATION_CONFLICT);

	at_stop(a);
	at_start(a);

	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 24);
	assert_int_equal(get_be32(b), 2); /* generation: two registrations */
	assert_int_equal(get_be64(b + 8), KEY_A);
	assert_int_equal(get_be64(b + 16), KEY_B);
	assert_int_equal(prin(a, 1, SCSI_PRIN_READ_RESERVATION, b), 24);
	assert_int_equal(get_be64(b + 8), KEY_A);
	assert_int_equal(b[8 + 13], SCSI_PR_TYPE_WE);
	assert_int_equal(prin(a, 0, SCSI_PRIN_REPORT_CAPABILITIES, b), 8);
	assert_int_equal(b[3] & 0x01, 1); /* PTPL_A */
	/* The reservation is enforced again, per nexus identity. */
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[0], 0, 3),
			 SAM_STAT_GOOD);
	/* Later changes are saved too: release, restart, not reserved. */
	prout_ok(a, 0, SCSI_PROUT_RELEASE, SCSI_PR_TYPE_WE, KEY_A, 0, 0);
	at_stop(a);
	at_start(a);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_RESERVATION, b), 8);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 24);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_GOOD);
}

static void test_aptpl_off_erases(void **state)
{
	struct at *a = *state;
	uint8_t b[256];

	take_reservation(a);
	assert_true(file_exists(a));
	/* Re-register the same key with APTPL = 0: the last bit counts. */
	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, KEY_A, KEY_A, 0);
	assert_false(file_exists(a));
	assert_int_equal(prin(a, 0, SCSI_PRIN_REPORT_CAPABILITIES, b), 8);
	assert_int_equal(b[3] & 0x01, 0);
	/* The running state is unchanged... */
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 24);
	/* ...but a restart starts empty (SPC-4 5.14.5, APTPL = 0). */
	at_stop(a);
	at_start(a);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 8);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_RESERVATION, b), 8);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_GOOD);
	/* Without APTPL nothing is written at all. */
	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0);
	assert_false(file_exists(a));
}

static void write_file(const struct at *a, const char *text)
{
	FILE *fp = fopen(a->file, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_corrupt_file(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"srptd-pr-state 1\ngeneration 3\naptpl 1\n"
		"reservation none\n", /* truncated: no "end" */
		"srptd-pr-state 1\ngeneration 3\naptpl 1\nreservation 1 1\n"
		"reg a0110000000000000000000000000000 "
		"22330000000000000000000000000000 1 00000000aaaa0001\n"
		"end 1\n", /* holder out of range */
		"srptd-pr-state 1\ngeneration 3\naptpl 1\nreservation 0 2\n"
		"reg a0110000000000000000000000000000 "
		"22330000000000000000000000000000 1 00000000aaaa0001\n"
		"end 1\n", /* type 2 is not a PR type */
		"srptd-pr-state 1\ngeneration 3\naptpl 1\nreservation none\n"
		"reg a011 22330000000000000000000000000000 1 1\nend 1\n",
		"",
	};
	struct at *a = *state;
	uint8_t b[256];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		at_stop(a);
		write_file(a, bad[i]);
		at_start(a);
		assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 8);
		assert_int_equal(get_be32(b), 0);
		assert_int_equal(prin(a, 0, SCSI_PRIN_READ_RESERVATION, b), 8);
		assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
				 SAM_STAT_GOOD);
	}
	/* A valid file written by hand loads (the format is the contract). */
	at_stop(a);
	write_file(a, "srptd-pr-state 1\ngeneration 7\naptpl 1\n"
		      "reservation 0 1\n"
		      "reg a0110000000000000000000000000000 "
		      "22330000000000000000000000000000 1 00000000aaaa0001\n"
		      "end 1\n");
	at_start(a);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 16);
	assert_int_equal(get_be32(b), 7);
	assert_int_equal(get_be64(b + 8), KEY_A);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_RESERVATION_CONFLICT);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[0], 0, 3),
			 SAM_STAT_GOOD);
}

static int fail_save_err;

static int fail_load(void *ctx, const char *key, struct scsi_pr_state *st)
{
	(void)ctx;
	(void)key;
	(void)st;
	return -ENOENT;
}

static int fail_save(void *ctx, const char *key, const struct scsi_pr_state *st)
{
	(void)ctx;
	(void)key;
	(void)st;
	return fail_save_err;
}

static const struct scsi_pr_store_ops fail_ops = {
	.load = fail_load,
	.save = fail_save,
};

static void test_failing_store(void **state)
{
	struct at *a = *state;
	struct sf_cmd c;
	uint8_t b[256];

	at_stop(a);
	a->store = (struct scsi_pr_store){ .ops = &fail_ops };
	fail_save_err = 0;
	at_start(a);
	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0x01);
	fail_save_err = -EIO;
	/* The save fails: CHECK CONDITION, 04/44/00, nothing changed. */
	assert_int_equal(prout(a, 1, SCSI_PROUT_REGISTER, 0, 0, KEY_B, 0x01,
			       &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	assert_int_equal(prout(a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, KEY_A,
			       0, 0, &c),
			 SAM_STAT_CHECK_CONDITION);
	/* Turning APTPL off must erase the saved state: fails the same. */
	assert_int_equal(prout(a, 0, SCSI_PROUT_REGISTER, 0, KEY_A, KEY_A, 0,
			       &c),
			 SAM_STAT_CHECK_CONDITION);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 16);
	assert_int_equal(get_be32(b), 1);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_RESERVATION, b), 8);
	assert_int_equal(prin(a, 0, SCSI_PRIN_REPORT_CAPABILITIES, b), 8);
	assert_int_equal(b[3] & 0x01, 1); /* still APTPL */
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_GOOD);
	fail_save_err = 0;
	prout_ok(a, 0, SCSI_PROUT_RESERVE, SCSI_PR_TYPE_EA, KEY_A, 0, 0);
	assert_int_equal(sf_write_status(a->f.w, a->f.itn[1], 0, 3),
			 SAM_STAT_RESERVATION_CONFLICT);
}

/* The file store itself fails when its directory is gone. */
static void test_missing_dir(void **state)
{
	struct at *a = *state;
	struct sf_cmd c;
	uint8_t b[256];

	at_stop(a);
	assert_int_equal(rmdir(a->dir), 0);
	at_start(a); /* nothing to load: not an error */
	assert_int_equal(prout(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0x01,
			       &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	assert_int_equal(prin(a, 0, SCSI_PRIN_READ_KEYS, b), 8);
	assert_int_equal(mkdir(a->dir, 0700), 0);
	prout_ok(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0x01);
	assert_true(file_exists(a));
}

/* Without a store APTPL stays unsupported (PTPL_C = 0). */
static void test_no_store(void **state)
{
	struct at *a = *state;
	struct sf_cmd c;
	uint8_t b[256];

	at_stop(a);
	a->params.pr_store = NULL;
	at_start(a);
	assert_int_equal(prin(a, 0, SCSI_PRIN_REPORT_CAPABILITIES, b), 8);
	assert_int_equal(b[2] & 0x01, 0);
	assert_int_equal(prout(a, 0, SCSI_PROUT_REGISTER, 0, 0, KEY_A, 0x01,
			       &c),
			 SAM_STAT_CHECK_CONDITION);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_false(file_exists(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_survives_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_aptpl_off_erases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failing_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_store, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
