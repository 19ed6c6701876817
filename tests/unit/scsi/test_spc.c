/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SPC-4 emulation through the dispatch table: INQUIRY and VPD pages,
 * REPORT LUNS, unmapped LUNs, MODE SENSE/SELECT, REPORT SUPPORTED
 * OPERATION CODES, REPORT TARGET PORT GROUPS, CDB validation and sense.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "scsi/scsi_int.h"
#include "util.h"

static int setup(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_lun_entry v[2];

	sf_init(f);
	sf_add_lu(f, 0, "sync", 512, 2048, NULL);
	sf_add_lu(f, 1, "tb", 4096, 256, NULL);
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[0] };
	v[1] = (struct scsi_lun_entry){ .lun = 300, .lu = f->lu[1] };
	sf_add_itn(f, 0, 0xa0, v, 2);
	/* Nexus 1 gets the same view in another order. */
	v[0] = (struct scsi_lun_entry){ .lun = 300, .lu = f->lu[1] };
	v[1] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[0] };
	sf_add_itn(f, 1, 0xb0, v, 2);
	/* Nexus 2 sees only LU 1 as LUN 5: LUN 0 is not mapped. */
	v[0] = (struct scsi_lun_entry){ .lun = 5, .lu = f->lu[1] };
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

static void inquiry(struct sf_cmd *c, uint8_t evpd, uint8_t page,
		    uint16_t alloc, void *buf)
{
	sf_cdb6(c, SCSI_OP_INQUIRY, evpd, page, alloc >> 8, alloc & 0xff);
	c->in = buf;
	c->in_len = alloc;
}

static void test_inquiry_standard(void **state)
{
	struct sf *f = *state;
	uint8_t b[255];
	struct sf_cmd c;

	memset(b, 0xee, sizeof(b));
	inquiry(&c, 0, 0, 255, b);
	/* INQUIRY neither reports nor clears the power-on UA. */
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_true(c.completed_inline);
	assert_int_equal(c.data_in_len, 96);
	assert_int_equal(b[0], 0x00);
	assert_int_equal(b[2], 0x06);
	assert_int_equal(b[3] & 0x0f, 2);
	assert_int_equal(b[4], 91);
	assert_int_equal(b[5] & 0x30, 0x10); /* TPGS implicit */
	assert_int_equal(b[7] & 0x02, 0x02); /* CmdQue */
	assert_memory_equal(b + 8, "SRPTD   ", 8);
	assert_memory_equal(b + 16, "test disk       ", 16);
	assert_memory_equal(b + 32, "0.1 ", 4);
	assert_int_equal(get_be16(b + 58), 0x00a0);
	assert_int_equal(get_be16(b + 60), 0x0940);
	assert_int_equal(b[96], 0xee); /* nothing past the data */

	/* Allocation length 36 (Linux's first probe): truncated once. */
	memset(b, 0xee, sizeof(b));
	inquiry(&c, 0, 0, 36, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 36);
	assert_int_equal(c.xfer_len, 36);
	assert_int_equal(b[4], 91);
	assert_int_equal(b[36], 0xee);

	/* Allocation length 0: no data, GOOD. */
	inquiry(&c, 0, 0, 0, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 0);
	assert_int_equal(c.dir, SCSI_DIR_NONE);

	/* Page code without EVPD -> INVALID FIELD IN CDB, byte 2. */
	inquiry(&c, 0, 0x80, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	{
		bool cd;
		int bit;

		assert_int_equal(sf_sense_field(&c, &cd, &bit), 2);
		assert_true(cd);
	}
	/* Obsolete CMDDT bit: reserved -> field pointer byte 1 bit 1. */
	inquiry(&c, 0x02, 0, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	{
		bool cd;
		int bit;

		assert_int_equal(sf_sense_field(&c, &cd, &bit), 1);
		assert_int_equal(bit, 1);
	}
}

static const uint8_t *find_desig(const uint8_t *b, uint8_t type, uint8_t assoc)
{
	const uint8_t *p = b + 4, *end = b + 4 + get_be16(b + 2);

	while (p < end) {
		if ((p[1] & 0x0f) == type && (p[1] & 0x30) == assoc)
			return p;
		p += 4 + p[3];
	}
	return NULL;
}

static void test_inquiry_vpd(void **state)
{
	struct sf *f = *state;
	uint8_t b[512], b2[512];
	const uint8_t *d;
	struct sf_cmd c;

	inquiry(&c, 1, 0x00, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1], 0x00);
	assert_int_equal(b[3], 7);
	assert_memory_equal(
		b + 4,
		((uint8_t[]){ 0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2 }), 7);

	/* 0x80: a stable derived serial. */
	inquiry(&c, 1, 0x80, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1], 0x80);
	assert_int_equal(b[3], 16);
	assert_int_equal(c.data_in_len, 20);

	/* 0x83: NAA 6, T10, RTPI, TPG, SCSI name. */
	inquiry(&c, 1, 0x83, 512, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 4 + get_be16(b + 2));
	d = find_desig(b, 0x3, 0x00);
	assert_non_null(d);
	assert_int_equal(d[0], 0x01);
	assert_int_equal(d[3], 16);
	assert_int_equal(d[4] >> 4, 6);
	assert_int_equal(((d[4] & 0xf) << 20) | (d[5] << 12) | (d[6] << 4) |
				 (d[7] >> 4),
			 0x001405);
	d = find_desig(b, 0x1, 0x00);
	assert_non_null(d);
	assert_memory_equal(d + 4, "SRPTD   ", 8);
	d = find_desig(b, 0x4, 0x10);
	assert_non_null(d);
	assert_int_equal(d[0] >> 4, 4); /* SRP */
	assert_int_equal(d[1] & 0x80, 0x80); /* PIV */
	assert_int_equal(get_be16(d + 6), 1); /* nexus 0: rtpi 1 */
	d = find_desig(b, 0x5, 0x10);
	assert_non_null(d);
	assert_int_equal(get_be16(d + 6), 1);
	d = find_desig(b, 0x8, 0x20);
	assert_non_null(d);
	assert_int_equal(d[3] % 4, 0);
	assert_string_equal((const char *)d + 4, "srptd.test");

	/* The same LU through nexus 1: same NAA, rtpi 2. */
	inquiry(&c, 1, 0x83, 512, b2);
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	assert_memory_equal(find_desig(b, 0x3, 0), find_desig(b2, 0x3, 0), 20);
	assert_int_equal(get_be16(find_desig(b2, 0x4, 0x10) + 6), 2);
	/* A different LU has a different NAA. */
	inquiry(&c, 1, 0x83, 512, b2);
	assert_int_equal(sf_run(f, 0, 300, &c), SAM_STAT_GOOD);
	assert_memory_not_equal(find_desig(b, 0x3, 0) + 4,
				find_desig(b2, 0x3, 0) + 4, 16);

	/* 0xB0 block limits. */
	inquiry(&c, 1, 0xb0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be16(b + 2), 0x3c);
	assert_int_equal(b[5], 8); /* MAX COMPARE AND WRITE LENGTH */
	assert_int_equal(get_be32(b + 8), 1024 * 1024 / 512);
	assert_int_equal(get_be64(b + 36), 0x400000);
	if (f->bdev[0].can_discard) {
		assert_int_equal(get_be32(b + 20), 0x100000);
		assert_int_equal(get_be32(b + 24), 256);
	}
	/* 0xB2 logical block provisioning follows the device. */
	inquiry(&c, 1, 0xb2, 255, b);
	assert_int_equal(sf_run(f, 0, 300, &c), SAM_STAT_GOOD);
	assert_int_equal(b[5] & 0xe4, 0x80 | 0x40 | 0x20 | 0x04); /* tb */
	/* 0x86, 0xB1 lengths. */
	inquiry(&c, 1, 0x86, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be16(b + 2), 0x3c);
	assert_int_equal(b[5], 0x07);
	inquiry(&c, 1, 0xb1, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be16(b + 2), 0x3c);
	/* Unknown page. */
	inquiry(&c, 1, 0xc7, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
}

static void test_naa_from_config(void **state)
{
	struct scsi_lu_params p = { .naa = "60014050123456789abcdef012345678",
				    .serial = "SER1" };
	struct scsi_lu_params bad = {
		.naa = "50014050123456789abcdef012345678"
	};
	struct sf *f = *state;
	struct scsi_lu *lu;

	assert_int_equal(scsi_lu_create(&f->bdev[0], &p, &lu), 0);
	assert_int_equal(lu->naa[0], 0x60);
	assert_int_equal(lu->naa[15], 0x78);
	assert_string_equal(lu->serial, "SER1");
	scsi_lu_destroy(lu);
	assert_int_equal(scsi_lu_create(&f->bdev[0], &bad, &lu), -EINVAL);
}

static void report_luns(struct sf_cmd *c, uint8_t sel, uint32_t alloc,
			void *buf)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_REPORT_LUNS;
	c->cdb[2] = sel;
	put_be32(c->cdb + 6, alloc);
	c->in = buf;
	c->in_len = alloc;
}

static void test_report_luns(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];
	struct sf_cmd c;

	report_luns(&c, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 16);
	assert_int_equal(c.data_in_len, 24);
	assert_memory_equal(b + 8, ((uint8_t[8]){ 0, 0 }), 8);
	/* LUN 300: flat space addressing (SAM-5 4.7.7). */
	assert_memory_equal(b + 16, ((uint8_t[8]){ 0x41, 0x2c }), 8);
	/* Well-known LUNs only / both. */
	report_luns(&c, 1, sizeof(b), b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 8);
	assert_memory_equal(b + 8, ((uint8_t[8]){ 0xc1, 0x01 }), 8);
	report_luns(&c, 2, sizeof(b), b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 24);
	report_luns(&c, 3, sizeof(b), b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Truncated by the allocation length; LUN LIST LENGTH is full. */
	report_luns(&c, 0, 16, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 16);
	assert_int_equal(get_be32(b), 16);
	/* A huge allocation length asks for no more than can be produced. */
	report_luns(&c, 0, UINT32_MAX, b);
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.xfer_len, 256 * 1024);
	assert_int_equal(c.data_in_len, 24);
	/* Works through an unmapped LUN and the W-LUN too. */
	report_luns(&c, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 2, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 8);
	assert_memory_equal(b + 8, ((uint8_t[8]){ 0, 5 }), 8);
	report_luns(&c, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 2, SCSI_LUN_WLUN_REPORT_LUNS, &c),
			 SAM_STAT_GOOD);
	report_luns(&c, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 2, 77, &c), SAM_STAT_GOOD);
}

static void test_unmapped_luns(void **state)
{
	struct sf *f = *state;
	uint8_t b[96];
	struct sf_cmd c;

	/* LUN 0 not mapped: PQ 1, PDT 0x1F, still SPC-4. */
	inquiry(&c, 0, 0, 96, b);
	assert_int_equal(sf_run(f, 2, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[0], 0x3f);
	assert_int_equal(b[2], 0x06);
	/* Other unmapped LUN: PQ 3. */
	inquiry(&c, 0, 0, 96, b);
	assert_int_equal(sf_run(f, 2, 9, &c), SAM_STAT_GOOD);
	assert_int_equal(b[0], 0x7f);
	/* W-LUN: well known logical unit. */
	inquiry(&c, 0, 0, 96, b);
	assert_int_equal(sf_run(f, 2, SCSI_LUN_WLUN_REPORT_LUNS, &c),
			 SAM_STAT_GOOD);
	assert_int_equal(b[0], 0x1e);
	/* The W-LUN answers TEST UNIT READY. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 2, SCSI_LUN_WLUN_REPORT_LUNS, &c),
			 SAM_STAT_GOOD);
	/* TUR / READ to an unmapped LUN: LOGICAL UNIT NOT SUPPORTED. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 2, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LU_NOT_SUPPORTED);
	assert_int_equal(c.parse_ret, 1);
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 1);
	sf_run(f, 2, 9, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LU_NOT_SUPPORTED);
	/* Unknown opcode on an unmapped LUN: the LUN error wins. */
	sf_cdb6(&c, 0x02, 0, 0, 0, 0);
	sf_run(f, 2, 9, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LU_NOT_SUPPORTED);
	/* REQUEST SENSE on it: GOOD with 05/25/00 as data. */
	sf_cdb6(&c, SCSI_OP_REQUEST_SENSE, 0, 0, 0, 96);
	c.in = b;
	c.in_len = 96;
	assert_int_equal(sf_run(f, 2, 9, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 18);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(b[2], 0x05);
	assert_int_equal(b[12], 0x25);
	/* Descriptor format on request. */
	sf_cdb6(&c, SCSI_OP_REQUEST_SENSE, 1, 0, 0, 96);
	c.in = b;
	c.in_len = 96;
	assert_int_equal(sf_run(f, 2, 9, &c), SAM_STAT_GOOD);
	assert_int_equal(b[0], 0x72);
	assert_int_equal(b[1], 0x05);
	assert_int_equal(b[2], 0x25);
	/* Bad address method decodes to an unsupported LUN. */
	assert_int_equal(scsi_lun_decode((uint8_t[8]){ 0x81, 0 }),
			 SCSI_LUN_INVALID);
}

/* A large view in random order: every mapped LUN found, gaps not. */
static void test_view_lookup(void **state)
{
	struct scsi_lun_entry v[200];
	struct sf *f = *state;
	struct scsi_itn *itn;
	uint8_t b[96];
	struct sf_cmd c;
	unsigned int i;

	for (i = 0; i < 200; i++)
		v[i] = (struct scsi_lun_entry){ .lun = (i * 7919) % 200 * 3,
						.lu = f->lu[i % 2] };
	assert_int_equal(scsi_itn_create((uint8_t[16]){ 9 }, (uint8_t[16]){ 9 },
					 1, v, 200, &itn),
			 0);
	for (i = 0; i < 600; i++) {
		inquiry(&c, 0, 0, 96, b);
		assert_int_equal(sf_run_w(f->w, itn, i, &c), SAM_STAT_GOOD);
		assert_int_equal(b[0], i % 3 ? 0x7f : 0x00);
	}
	scsi_itn_destroy(itn);
	/* The largest view: REPORT LUNS of 16384 LUNs + the W-LUN. */
	{
		struct scsi_lun_entry *all = calloc(16384, sizeof(*all));
		uint8_t *rl = malloc(200000);

		for (i = 0; i < 16384; i++)
			all[i] = (struct scsi_lun_entry){ .lun = 16383 - i,
							  .lu = f->lu[0] };
		assert_int_equal(scsi_itn_create((uint8_t[16]){ 8 },
						 (uint8_t[16]){ 8 }, 1, all,
						 16384, &itn),
				 0);
		memset(&c, 0, sizeof(c));
		c.cdb[0] = SCSI_OP_REPORT_LUNS;
		c.cdb[2] = 2;
		put_be32(c.cdb + 6, 200000);
		c.in = rl;
		c.in_len = 200000;
		assert_int_equal(sf_run_w(f->w, itn, 16383, &c), SAM_STAT_GOOD);
		assert_int_equal(c.data_in_len, 8 + 16385 * 8);
		for (i = 0; i < 16384; i++)
			assert_int_equal(scsi_lun_decode(rl + 8 + 8 * i), i);
		assert_int_equal(scsi_lun_decode(rl + 8 + 8 * 16384),
				 SCSI_LUN_WLUN_REPORT_LUNS);
		scsi_itn_destroy(itn);
		free(all);
		free(rl);
	}
	/* Duplicate LUNs and LUNs beyond 16383 are refused. */
	v[1].lun = v[0].lun;
	assert_int_equal(scsi_itn_create((uint8_t[16]){ 9 }, (uint8_t[16]){ 9 },
					 1, v, 2, &itn),
			 -EEXIST);
	v[1].lun = 16384;
	assert_int_equal(scsi_itn_create((uint8_t[16]){ 9 }, (uint8_t[16]){ 9 },
					 1, v, 2, &itn),
			 -EINVAL);
}

static void test_lun_codec(void **state)
{
	uint8_t l[8];
	uint64_t v;

	for (v = 0; v < 16384; v += 97) {
		scsi_lun_encode(v, l);
		assert_int_equal(scsi_lun_decode(l), v);
		assert_int_equal(l[0] & 0xc0, v < 256 ? 0x00 : 0x40);
	}
	scsi_lun_encode(SCSI_LUN_WLUN_REPORT_LUNS, l);
	assert_memory_equal(l, ((uint8_t[8]){ 0xc1, 0x01 }), 8);
	assert_int_equal(scsi_lun_decode(l), SCSI_LUN_WLUN_REPORT_LUNS);
	assert_int_equal(scsi_lun_decode((uint8_t[8]){ 0x00, 0x05 }), 5);
	assert_int_equal(scsi_lun_decode((uint8_t[8]){ 0x01, 0x05 }),
			 SCSI_LUN_INVALID); /* bus 1 */
	assert_int_equal(scsi_lun_decode((uint8_t[8]){ 0x00, 0x05, 0, 1 }),
			 SCSI_LUN_INVALID); /* second level */
}

static void test_invalid_opcode_and_fields(void **state)
{
	struct sf *f = *state;
	struct sf_cmd c;
	bool cd;
	int bit;

	sf_clear_ua(f, 0, 0);
	sf_cdb6(&c, 0x02, 0, 0, 0, 0);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_OPCODE);
	assert_int_equal(c.sense_len, 18);
	assert_int_equal(c.sense[7], 10);
	/* Reserved bit in TUR byte 4 -> field pointer byte 4 bit 3. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0x08);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 4);
	assert_true(cd);
	assert_int_equal(bit, 3);
	assert_int_equal(c.sense[15], 0x80 | 0x40 | 0x08 | 3);
	/* NACA in the control byte is not supported. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	c.cdb[5] = 0x04;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 5);
	/* Unknown service action of MAINTENANCE IN. */
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MAINTENANCE_IN;
	c.cdb[1] = 0x05;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 1);
	/* TEST UNIT READY: GOOD. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.sense_len, 0);
}

static void mode_sense6(struct sf_cmd *c, uint8_t dbd, uint8_t pcpage,
			uint8_t sub, uint8_t alloc, void *buf)
{
	sf_cdb6(c, SCSI_OP_MODE_SENSE_6, dbd, pcpage, sub, alloc);
	c->in = buf;
	c->in_len = alloc;
}

static void mode_sense10(struct sf_cmd *c, uint8_t b1, uint8_t pcpage,
			 uint16_t alloc, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_MODE_SENSE_10;
	c->cdb[1] = b1;
	c->cdb[2] = pcpage;
	put_be16(c->cdb + 7, alloc);
	c->in = buf;
	c->in_len = alloc;
}

static const uint8_t *mode_page(const uint8_t *b, unsigned int len,
				unsigned int start, uint8_t page)
{
	unsigned int off = start;

	while (off + 2 <= len) {
		if ((b[off] & 0x3f) == page)
			return b + off;
		off += 2 + b[off + 1];
	}
	return NULL;
}

static void test_mode_sense(void **state)
{
	struct sf *f = *state;
	uint8_t b[256];
	const uint8_t *p;
	struct sf_cmd c;

	sf_clear_ua(f, 0, 0);
	/* Header only (Linux's WP probe). */
	mode_sense6(&c, 0, 0x3f, 0, 4, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 4);
	assert_int_equal(b[0], 3 + 8 + 12 + 20 + 12 + 12);
	assert_int_equal(b[2] & 0x80, 0);
	assert_int_equal(b[3], 8);
	/* All pages with the block descriptor. */
	mode_sense6(&c, 0, 0x3f, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, b[0] + 1);
	assert_int_equal(get_be32(b + 4), 2048);
	assert_int_equal(get_be24(b + 4 + 5), 512);
	p = mode_page(b, c.data_in_len, 12, 0x08);
	assert_non_null(p);
	assert_int_equal(p[1], 0x12);
	assert_int_equal(p[2] & 0x04, 0x04); /* write_cache = true */
	p = mode_page(b, c.data_in_len, 12, 0x0a);
	assert_non_null(p);
	assert_int_equal(p[1], 0x0a);
	assert_int_equal(p[2] & 0x04, 0); /* fixed sense */
	assert_non_null(mode_page(b, c.data_in_len, 12, 0x01));
	assert_non_null(mode_page(b, c.data_in_len, 12, 0x1c));
	/* DBD, page 8 only. */
	mode_sense6(&c, 0x08, 0x08, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[3], 0);
	assert_int_equal(b[4], 0x08);
	assert_int_equal(c.data_in_len, 4 + 20);
	/* Changeable values: only WCE. */
	mode_sense6(&c, 0x08, 0x48, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[4 + 2], 0x04);
	assert_int_equal(b[4 + 12], 0);
	/* Saved values are not supported. */
	mode_sense6(&c, 0x08, 0xc8, 0, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_SAVING_PARAMS_NOT_SUPPORTED);
	/* Unknown page, unknown subpage. */
	mode_sense6(&c, 0, 0x05, 0, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	mode_sense6(&c, 0, 0x0a, 0x05, 255, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	mode_sense6(&c, 0, 0x3f, 0xff, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* MODE SENSE(10) with LLBAA: 16-byte block descriptor. */
	mode_sense10(&c, 0x10, 0x0a, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be16(b), 8 + 16 + 12 - 2);
	assert_int_equal(b[4] & 1, 1);
	assert_int_equal(get_be16(b + 6), 16);
	assert_int_equal(get_be64(b + 8), 2048);
	assert_int_equal(get_be32(b + 8 + 12), 512);
	assert_int_equal(b[24], 0x0a);
	/* Read-only view: WP in the device-specific parameter. */
	{
		struct scsi_lun_entry e = { .lun = 0,
					    .lu = f->lu[0],
					    .read_only = true };

		sf_add_itn(f, 3, 0xd0, &e, 1);
		sf_clear_ua(f, 3, 0);
		mode_sense6(&c, 0x08, 0x3f, 0, 4, b);
		assert_int_equal(sf_run(f, 3, 0, &c), SAM_STAT_GOOD);
		assert_int_equal(b[2] & 0x80, 0x80);
	}
}

static void mode_select6(struct sf_cmd *c, const uint8_t *prm, uint8_t len)
{
	sf_cdb6(c, SCSI_OP_MODE_SELECT_6, 0x10, 0, 0, len);
	c->out = prm;
	c->out_len = len;
}

static void test_mode_select(void **state)
{
	struct sf *f = *state;
	uint8_t b[256], prm[64];
	struct sf_cmd c;
	bool cd;
	int bit;

	sf_clear_ua(f, 0, 0);
	sf_clear_ua(f, 1, 0);
	/* Read the caching page, clear WCE, write it back (sd cache_type). */
	mode_sense6(&c, 0x08, 0x08, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	memset(prm, 0, 4);
	memcpy(prm + 4, b + 4, 20);
	prm[4] &= 0x7f;
	prm[6] &= ~0x04;
	mode_select6(&c, prm, 24);
	assert_int_equal(c.cdb[1], 0x10);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	mode_sense6(&c, 0x08, 0x08, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[6] & 0x04, 0);
	/* Default value is still the device's. */
	mode_sense6(&c, 0x08, 0x88, 0, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[6] & 0x04, 0x04);
	/* Nexus 1 gets MODE PARAMETERS CHANGED, nexus 0 does not. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 1, 0, &c);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION,
			SCSI_ASC_MODE_PARAMETERS_CHANGED);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);

	/* Changing a non-changeable bit: INVALID FIELD IN PARAMETER LIST. */
	mode_sense6(&c, 0x08, 0x08, 0, 255, b);
	sf_run(f, 0, 0, &c);
	memset(prm, 0, 4);
	memcpy(prm + 4, b + 4, 20);
	prm[4 + 12] = 0x20; /* DRA */
	mode_select6(&c, prm, 24);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 16);
	assert_false(cd);
	assert_int_equal(bit, 5);
	/* Wrong page length. */
	prm[4 + 12] = 0;
	prm[5] = 0x10;
	mode_select6(&c, prm, 24);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	/* Truncated page: PARAMETER LIST LENGTH ERROR. */
	prm[5] = 0x12;
	mode_select6(&c, prm, 20);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* PF = 0 and SP = 1 are invalid fields in the CDB. */
	mode_select6(&c, prm, 24);
	c.cdb[1] = 0x00;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	mode_select6(&c, prm, 24);
	c.cdb[1] = 0x11;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Block descriptor with another block length. */
	memset(prm, 0, 12);
	prm[3] = 8;
	put_be24(prm + 4 + 5, 4096);
	mode_select6(&c, prm, 12);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	put_be24(prm + 4 + 5, 512);
	mode_select6(&c, prm, 12);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* Restore WCE. */
	mode_sense6(&c, 0x08, 0x08, 0, 255, b);
	sf_run(f, 0, 0, &c);
	memset(prm, 0, 4);
	memcpy(prm + 4, b + 4, 20);
	prm[6] |= 0x04;
	mode_select6(&c, prm, 24);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
}

/* D_SENSE via MODE SELECT(10) of the control page switches formats. */
static void test_descriptor_sense_switch(void **state)
{
	struct sf *f = *state;
	uint8_t b[256], prm[64];
	struct sf_cmd c;
	bool cd;
	int bit;

	sf_clear_ua(f, 0, 0);
	mode_sense10(&c, 0x08, 0x0a, 255, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	memset(prm, 0, 8);
	memcpy(prm + 8, b + 8, 12);
	prm[8 + 2] |= 0x04;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MODE_SELECT_10;
	c.cdb[1] = 0x10;
	put_be16(c.cdb + 7, 20);
	c.out = prm;
	c.out_len = 20;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	/* Now an invalid field comes back in descriptor format. */
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0x08);
	sf_run(f, 0, 0, &c);
	assert_int_equal(c.sense[0], 0x72);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 4);
	assert_int_equal(bit, 3);
	assert_int_equal(c.sense_len, 8 + 8);
	/* And back. */
	prm[8 + 2] &= ~0x04;
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MODE_SELECT_10;
	c.cdb[1] = 0x10;
	put_be16(c.cdb + 7, 20);
	c.out = prm;
	c.out_len = 20;
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0x08);
	sf_run(f, 0, 0, &c);
	assert_int_equal(c.sense[0], 0x70);
}

/* Initial D_SENSE from the configuration. */
static void test_descriptor_sense_config(void **state)
{
	struct scsi_lu_params p = { .descriptor_sense = true };
	struct sf *f = *state;
	struct scsi_lun_entry e;
	struct sf_cmd c;

	scsi_lu_destroy(f->lu[2]);
	assert_int_equal(scsi_lu_create(&f->bdev[0], &p, &f->lu[2]), 0);
	e = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[2] };
	sf_add_itn(f, 3, 0xe0, &e, 1);
	sf_cdb6(&c, SCSI_OP_TEST_UNIT_READY, 0, 0, 0, 0);
	sf_run(f, 3, 0, &c);
	assert_int_equal(c.sense[0], 0x72);
	sf_assert_sense(&c, SCSI_SK_UNIT_ATTENTION, SCSI_ASC_POWER_ON_RESET);
	/* A miscompare carries its offset in the information descriptor. */
	{
		uint8_t data[512];

		sf_pread(f, 0, 0, data, 512);
		data[77] ^= 0x10;
		sf_cdb_rw10(&c, SCSI_OP_VERIFY_10, 0x02, 0, 1);
		c.out = data;
		c.out_len = 512;
		sf_run(f, 3, 0, &c);
		assert_int_equal(c.sense[0], 0x72);
		sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
				SCSI_ASC_MISCOMPARE_DURING_VERIFY);
		assert_int_equal(sf_sense_info(&c), 77);
		assert_int_equal(c.sense_len, 8 + 12);
	}
	scsi_itn_destroy(f->itn[3]);
	f->itn[3] = NULL;
	scsi_lu_destroy(f->lu[2]);
	f->lu[2] = NULL;
}

static void rsoc(struct sf_cmd *c, uint8_t opts, uint8_t op, uint16_t sa,
		 uint32_t alloc, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_MAINTENANCE_IN;
	c->cdb[1] = SCSI_MI_REPORT_SUPPORTED_OPCODES;
	c->cdb[2] = opts;
	c->cdb[3] = op;
	put_be16(c->cdb + 4, sa);
	put_be32(c->cdb + 6, alloc);
	c->in = buf;
	c->in_len = alloc;
}

static void test_report_supported_opcodes(void **state)
{
	struct sf *f = *state;
	static uint8_t b[8192];
	struct sf_cmd c;
	uint32_t len, off;
	bool seen_rc16 = false, seen_write16 = false;
	unsigned int n = 0;

	sf_clear_ua(f, 0, 0);
	rsoc(&c, 0, 0, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	len = get_be32(b);
	assert_int_equal(c.data_in_len, len + 4);
	for (off = 4; off < len + 4; off += 8, n++) {
		if (b[off] == 0x9e && get_be16(b + off + 2) == 0x10) {
			seen_rc16 = true;
			assert_int_equal(b[off + 5] & 1, 1);
			assert_int_equal(get_be16(b + off + 6), 16);
		}
		if (b[off] == 0x8a)
			seen_write16 = true;
	}
	assert_true(seen_rc16 && seen_write16);
	/* 36 opcodes without and 17 rows with service actions. */
	assert_int_equal(n, 36 + 17);
	/* With timeouts: 20-byte descriptors. */
	rsoc(&c, 0x80, 0, 0, sizeof(b), b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), n * 20);
	/* One command: WRITE(16) usage data. */
	rsoc(&c, 1, 0x8a, 0, 64, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1] & 7, 3);
	assert_int_equal(get_be16(b + 2), 16);
	assert_int_equal(b[4], 0x8a);
	assert_int_equal(b[5], 0x18);
	assert_int_equal(c.data_in_len, 20);
	/* ... that agrees with validation: a bit outside the mask fails. */
	{
		struct sf_cmd w;
		uint8_t blk[512] = { 0 };

		sf_cdb_rw16(&w, SCSI_OP_WRITE_16, 0x04, 0, 1);
		w.out = blk;
		w.out_len = 512;
		sf_run(f, 0, 0, &w);
		sf_assert_sense(&w, SCSI_SK_ILLEGAL_REQUEST,
				SCSI_ASC_INVALID_FIELD_IN_CDB);
	}
	/* Unsupported opcode. */
	rsoc(&c, 1, 0x04, 0, 64, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1] & 7, 1);
	/* With service action: READ CAPACITY(16). */
	rsoc(&c, 2, 0x9e, 0x10, 64, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1] & 7, 3);
	assert_int_equal(b[4], 0x9e);
	assert_int_equal(b[5], 0x10);
	/* Opcode with service actions asked without one. */
	rsoc(&c, 1, 0x9e, 0, 64, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* PR OUT REGISTER via option 3. */
	rsoc(&c, 3, 0x5f, 0, 64, b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[1] & 7, 3);
	assert_int_equal(get_be16(b + 2), 10);
	/* Bad reporting option. */
	rsoc(&c, 5, 0, 0, 64, b);
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
}

static void test_report_target_port_groups(void **state)
{
	struct sf *f = *state;
	uint8_t b[64];
	struct sf_cmd c;

	sf_clear_ua(f, 1, 0);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_MAINTENANCE_IN;
	c.cdb[1] = SCSI_MI_REPORT_TARGET_PGS;
	put_be32(c.cdb + 6, sizeof(b));
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 12);
	assert_int_equal(b[4] & 0x0f, 0); /* active/optimized */
	assert_int_equal(b[5] & 0x01, 1);
	assert_int_equal(get_be16(b + 6), 1);
	assert_int_equal(b[11], 1);
	assert_int_equal(get_be16(b + 14), 2); /* rtpi of nexus 1 */
	c.cdb[1] = SCSI_MI_REPORT_TARGET_PGS | 0x20;
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 16);
	assert_int_equal(b[4], 0x10);
	c.cdb[1] = SCSI_MI_REPORT_TARGET_PGS | 0x40;
	sf_run(f, 1, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inquiry_standard, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_vpd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_naa_from_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_luns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_luns, setup,
						teardown),
		cmocka_unit_test(test_lun_codec),
		cmocka_unit_test_setup_teardown(test_view_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_opcode_and_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_sense, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_select, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_sense_switch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_sense_config,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_supported_opcodes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_target_port_groups,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
