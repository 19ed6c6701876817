/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Bad input from the wire never crashes or hangs: tens of thousands of
 * random CDBs (mostly of supported opcodes, with random fields, random
 * buffer sizes and random parameter data) through parse and execute.
 * Every one must end with a well-formed status: GOOD, CHECK CONDITION
 * with valid sense, or RESERVATION CONFLICT; data-in never exceeds the
 * buffer or the transfer length.  Run under ASan/UBSan in CI.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

static uint32_t g_seed = 12345;

static uint32_t rnd(void)
{
	g_seed = g_seed * 1103515245u + 12345u;
	return g_seed >> 8;
}

static const uint8_t ops[] = {
	0x00, 0x03, 0x08, 0x0a, 0x12, 0x15, 0x16, 0x17, 0x1a, 0x1b, 0x25, 0x28,
	0x2a, 0x2e, 0x2f, 0x35, 0x41, 0x42, 0x55, 0x56, 0x57, 0x5a, 0x5e, 0x5f,
	0x88, 0x89, 0x8a, 0x8e, 0x8f, 0x91, 0x93, 0x9e, 0xa0, 0xa3, 0xa8, 0xaa,
};

static void test_random_cdbs(void **state)
{
	static uint8_t in[65536], out[65536];
	struct scsi_lun_entry v[2];
	unsigned int i, good = 0, check = 0, conflict = 0;
	struct sf f;

	sf_init(&f);
	sf_add_lu(&f, 0, "tb", 512, 2048, NULL);
	sf_add_lu(&f, 1, "tb", 4096, 256, NULL);
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f.lu[0] };
	v[1] = (struct scsi_lun_entry){ .lun = 1, .lu = f.lu[1] };
	sf_add_itn(&f, 0, 0xa0, v, 2);
	sf_add_itn(&f, 1, 0xb0, v, 2);

	for (i = 0; i < 40000; i++) {
		struct sf_cmd c;
		unsigned int j, itn = rnd() % 2;
		uint64_t lun = rnd() % 8 ? rnd() % 2 : 2 + rnd() % 2;

		memset(&c, 0, sizeof(c));
		for (j = 0; j < 16; j++)
			c.cdb[j] = rnd();
		if (rnd() % 10 < 8)
			c.cdb[0] = ops[rnd() % sizeof(ops)];
		/* Keep fields plausible often enough to reach execution. */
		if (rnd() % 4) {
			for (j = 1; j < 16; j++)
				if (rnd() % 3)
					c.cdb[j] = 0;
			c.cdb[5] = c.cdb[9] = c.cdb[11] = c.cdb[15] = 0;
			if (rnd() % 2)
				c.cdb[1] &= 0x0f;
			if (c.cdb[0] == 0x9e || c.cdb[0] == 0xa3 ||
			    c.cdb[0] == 0x5e || c.cdb[0] == 0x5f)
				c.cdb[1] = rnd() % 16;
		}
		for (j = 0; j < 64; j++)
			out[rnd() % sizeof(out)] = rnd() % 4 ? 0 : rnd();
		if (rnd() % 2)
			memset(out, 0, 64);
		c.out = out;
		c.out_len = rnd() % 3 ? sizeof(out) : rnd() % 600;
		c.in = in;
		c.in_len = rnd() % 3 ? sizeof(in) : rnd() % 600;
		sf_run(&f, itn, lun, &c);
		switch (c.status) {
		case SAM_STAT_GOOD:
			good++;
			assert_true(c.data_in_len <= c.in_len);
			assert_true(c.data_in_len <= c.xfer_len);
			break;
		case SAM_STAT_CHECK_CONDITION:
			check++;
			if (getenv("RND_DEBUG"))
				print_message("op %02x asc %04x\n", c.cdb[0],
					      sf_sense_asc(&c));
			assert_true(c.sense_len >= 8);
			assert_true(c.sense[0] == 0x70 || c.sense[0] == 0xf0 ||
				    c.sense[0] == 0x72);
			break;
		case SAM_STAT_RESERVATION_CONFLICT:
			conflict++;
			assert_int_equal(c.sense_len, 0);
			break;
		default:
			fail_msg("status 0x%02x for op 0x%02x", c.status,
				 c.cdb[0]);
		}
		/* Drop reservations now and then so I/O keeps happening. */
		if (i % 500 == 499) {
			scsi_itn_destroy(f.itn[0]);
			scsi_itn_destroy(f.itn[1]);
			scsi_lu_destroy(f.lu[0]);
			scsi_lu_destroy(f.lu[1]);
			assert_int_equal(
				scsi_lu_create(&f.bdev[0], NULL, &f.lu[0]), 0);
			assert_int_equal(
				scsi_lu_create(&f.bdev[1], NULL, &f.lu[1]), 0);
			v[0].lu = f.lu[0];
			v[1].lu = f.lu[1];
			f.itn[0] = f.itn[1] = NULL;
			sf_add_itn(&f, 0, 0xa0, v, 2);
			sf_add_itn(&f, 1, 0xb0, v, 2);
		}
	}
	print_message("%u GOOD, %u CHECK CONDITION, %u RESERVATION CONFLICT\n",
		      good, check, conflict);
	/* The generator reaches every outcome. */
	assert_true(good > 1000 && check > 1000 && conflict > 0);
	sf_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_cdbs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
