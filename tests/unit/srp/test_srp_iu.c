/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP IU decode/encode against hand-built byte arrays.  Expected bytes are
 * written from the offsets in doc/srp-protocol.md (SRP r16a tables),
 * never produced by the encoders under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srp/srp_iu.h"

/* Local byte writers so expected IUs do not depend on the code's helpers. */
static void w32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void w64(uint8_t *p, uint64_t v)
{
	w32(p, v >> 32);
	w32(p + 4, (uint32_t)v);
}

/* Direct descriptor at p: VA 0-7, R_Key 8-11, length 12-15. */
static void wdesc(uint8_t *p, uint64_t va, uint32_t key, uint32_t len)
{
	w64(p, va);
	w32(p + 8, key);
	w32(p + 12, len);
}

/*
 * What Linux ib_srp sends for READ(10) of 8 blocks at LBA 0x1000 on LUN 1
 * with one direct data-in descriptor (srp_queuecommand + srp_map_data).
 */
static const uint8_t linux_read10_direct[64] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, /* op, buf_fmt DI=1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, /* tag 0x10005 */
	0x00, 0x00, 0x00, 0x00, /* reserved */
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* LUN 1 */
	0x00, 0x00, 0x00, 0x00, /* rsvd, task_attr, rsvd, add_cdb_len */
	0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, /* CDB READ(10) */
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x7f, 0x12, 0x34, 0x56, 0x00, 0x00, /* VA */
	0x12, 0x34, 0xab, 0xcd, /* R_Key */
	0x00, 0x00, 0x10, 0x00, /* len 4096 */
};

static const struct srp_cmd_limits lim_none = { 0 };

static void test_cmd_read10_direct(void **state)
{
	struct srp_cmd_info c;
	struct srp_data_desc d;

	assert_int_equal(srp_iu_opcode(linux_read10_direct, 64), SRP_CMD);
	assert_int_equal(srp_cmd_decode(linux_read10_direct, 64, &lim_none, &c),
			 0);
	assert_true(c.tag == 0x10005);
	assert_int_equal(c.lun_err, 0);
	assert_true(c.lun == 1);
	assert_int_equal(c.task_attr, SRP_CMD_SIMPLE_Q);
	assert_int_equal(c.cdb_len, 16);
	assert_ptr_equal(c.cdb, linux_read10_direct + 32);
	assert_int_equal(c.cdb[0], 0x28);
	assert_int_equal(c.dout.fmt, SRP_DATA_DESC_NONE);
	assert_int_equal(c.dout.total_len, 0);
	assert_int_equal(c.din.fmt, SRP_DATA_DESC_DIRECT);
	assert_int_equal(c.din.desc_cnt, 1);
	assert_int_equal(c.din.desc_off, 48);
	assert_int_equal(c.din.total_len, 4096);
	assert_false(c.din.ext_table);
	assert_int_equal(srp_cmd_get_desc(linux_read10_direct, &c.din, 0, &d),
			 0);
	assert_true(d.va == 0x00007f1234560000ULL);
	assert_int_equal(d.key, 0x1234abcd);
	assert_int_equal(d.len, 4096);
	/* The decoder keeps the direct descriptor it read. */
	assert_true(c.din.desc.va == d.va);
	assert_int_equal(c.din.desc.key, d.key);
	assert_int_equal(c.din.desc.len, d.len);
	assert_int_equal(srp_cmd_get_desc(linux_read10_direct, &c.din, 1, &d),
			 -EINVAL);
	assert_int_equal(srp_cmd_get_desc(linux_read10_direct, &c.dout, 0, &d),
			 -EINVAL);
	/* A receive buffer longer than the IU is fine. */
	uint8_t big[256] = { 0 };
	memcpy(big, linux_read10_direct, 64);
	assert_int_equal(srp_cmd_decode(big, sizeof(big), &lim_none, &c), 0);
	assert_int_equal(c.din.total_len, 4096);
}

/*
 * Whatever the struct held before, a decode leaves every field it did
 * not decode zero, whichever check fails: the decoder clears field by
 * field rather than with one memset.
 */
static void assert_dir_zero(const struct srp_cmd_dir *d)
{
	assert_int_equal(d->fmt, 0);
	assert_int_equal(d->desc_cnt, 0);
	assert_int_equal(d->desc_off, 0);
	assert_true(d->desc.va == 0 && d->desc.key == 0 && d->desc.len == 0);
	assert_true(d->table.va == 0 && d->table.key == 0 && d->table.len == 0);
	assert_int_equal(d->table_cnt, 0);
	assert_false(d->ext_table);
	assert_int_equal(d->total_len, 0);
	assert_int_equal(d->imm_off, 0);
}

static void test_cmd_decode_clears(void **state)
{
	uint8_t iu[64];
	struct srp_cmd_info c;

	(void)state;
	/* Truncated after the tag: the tag only. */
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(srp_cmd_decode(linux_read10_direct, 20, &lim_none, &c),
			 -SRP_IU_ETRUNC);
	assert_true(c.tag == 0x10005);
	assert_int_equal(c.task_attr, 0);
	assert_true(c.lun == 0);
	assert_null(c.cdb);
	assert_int_equal(c.cdb_len, 0);
	assert_dir_zero(&c.dout);
	assert_dir_zero(&c.din);
	/* A reserved DATA-IN format: both directions zero. */
	memcpy(iu, linux_read10_direct, sizeof(iu));
	iu[5] = 0x07;
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c),
			 -SRP_IU_EFMT);
	assert_int_equal(c.cdb_len, 16);
	assert_dir_zero(&c.dout);
	assert_dir_zero(&c.din);
	/* DATA-OUT fails (no room for it): DATA-IN stays zero. */
	iu[5] = 0x10;
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(srp_cmd_decode(iu, 60, &lim_none, &c), -SRP_IU_EDESC);
	assert_int_equal(c.dout.fmt, SRP_DATA_DESC_DIRECT);
	assert_int_equal(c.dout.total_len, 0);
	assert_dir_zero(&c.din);
}

/* WRITE(10) with an indirect data-out table of n descriptors in the IU. */
static size_t build_write_indirect(uint8_t *iu, unsigned int n_in_iu,
				   unsigned int n_table, uint32_t each,
				   uint32_t total)
{
	unsigned int i;

	memset(iu, 0, 48);
	iu[0] = 0x02;
	iu[5] = 0x20; /* DATA-OUT indirect */
	iu[6] = n_in_iu;
	w64(iu + 8, 0xdeadbeef00000042ULL);
	iu[21] = 0x07; /* LUN 7 */
	iu[32] = 0x2a; /* WRITE(10) */
	iu[40] = 0x18;
	wdesc(iu + 48, 0x1000, 0x55, 16 * n_table); /* table_desc */
	w32(iu + 64, total);
	for (i = 0; i < n_in_iu; i++)
		wdesc(iu + 68 + 16 * i, 0x100000 + 0x10000 * i, 0x77 + i, each);
	return 68 + 16 * n_in_iu;
}

static void test_cmd_write_indirect(void **state)
{
	uint8_t iu[512];
	struct srp_cmd_info c;
	struct srp_data_desc d;
	size_t len = build_write_indirect(iu, 3, 3, 4096, 3 * 4096);

	assert_int_equal(len, 116);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c), 0);
	assert_true(c.tag == 0xdeadbeef00000042ULL);
	assert_true(c.lun == 7);
	assert_int_equal(c.din.fmt, SRP_DATA_DESC_NONE);
	assert_int_equal(c.dout.fmt, SRP_DATA_DESC_INDIRECT);
	assert_int_equal(c.dout.desc_cnt, 3);
	assert_int_equal(c.dout.table_cnt, 3);
	assert_int_equal(c.dout.desc_off, 68);
	assert_int_equal(c.dout.total_len, 12288);
	assert_true(c.dout.table.va == 0x1000);
	assert_int_equal(c.dout.table.key, 0x55);
	assert_int_equal(c.dout.table.len, 48);
	assert_false(c.dout.ext_table);
	assert_int_equal(srp_cmd_get_desc(iu, &c.dout, 2, &d), 0);
	assert_true(d.va == 0x120000);
	assert_int_equal(d.key, 0x79);
	assert_int_equal(d.len, 4096);
	assert_int_equal(srp_cmd_get_desc(iu, &c.dout, 3, &d), -EINVAL);
	/* One byte short: the last descriptor does not fit. */
	assert_int_equal(srp_cmd_decode(iu, len - 1, &lim_none, &c),
			 -SRP_IU_EDESC);
	/* Header cut. */
	assert_int_equal(srp_cmd_decode(iu, 67, &lim_none, &c), -SRP_IU_EDESC);
}

static void test_cmd_indirect_malformed(void **state)
{
	const struct srp_cmd_limits ext = { .allow_ext_table = true };
	uint8_t iu[512];
	struct srp_cmd_info c;
	size_t len;

	/* Count in the IU claims 3, only 2 present. */
	len = build_write_indirect(iu, 2, 3, 4096, 8192);
	iu[6] = 3;
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c), -SRP_IU_EDESC);

	/* Sum of descriptors differs from the total (complete table). */
	len = build_write_indirect(iu, 2, 2, 4096, 8193);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_EOVERFLOW);
	len = build_write_indirect(iu, 2, 2, 4096, 4096);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_EOVERFLOW);
	/* Two 4 GiB-1 descriptors cannot sum into a 32-bit total. */
	len = build_write_indirect(iu, 2, 2, 0xffffffff, 0xffffffff);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_EOVERFLOW);

	/* Zero-length entry and zero total. */
	len = build_write_indirect(iu, 2, 2, 4096, 8192);
	w32(iu + 68 + 16 + 12, 0);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_EZEROLEN);
	len = build_write_indirect(iu, 0, 2, 4096, 0);
	assert_int_equal(srp_cmd_decode(iu, len, &ext, &c), -SRP_IU_EZEROLEN);

	/* Table descriptor: not whole entries, empty, fewer than in IU. */
	len = build_write_indirect(iu, 2, 2, 4096, 8192);
	w32(iu + 48 + 12, 40);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_ETABLE);
	w32(iu + 48 + 12, 0);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_ETABLE);
	w32(iu + 48 + 12, 16);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_ETABLE);

	/* External (partial) table: 2 of 4 entries in the IU. */
	len = build_write_indirect(iu, 2, 4, 4096, 16384);
	assert_int_equal(srp_cmd_decode(iu, len, &lim_none, &c),
			 -SRP_IU_EEXTTBL);
	assert_int_equal(srp_cmd_decode(iu, len, &ext, &c), 0);
	assert_true(c.dout.ext_table);
	assert_int_equal(c.dout.desc_cnt, 2);
	assert_int_equal(c.dout.table_cnt, 4);
	assert_int_equal(c.dout.total_len, 16384);
	/* Partial sum may not exceed the total either. */
	len = build_write_indirect(iu, 2, 4, 4096, 4096);
	assert_int_equal(srp_cmd_decode(iu, len, &ext, &c), -SRP_IU_EOVERFLOW);
	/* Entirely external table: no descriptor in the IU. */
	len = build_write_indirect(iu, 0, 8, 0, 65536);
	assert_int_equal(len, 68);
	assert_int_equal(srp_cmd_decode(iu, len, &ext, &c), 0);
	assert_true(c.dout.ext_table);
	assert_int_equal(c.dout.desc_cnt, 0);
	assert_int_equal(c.dout.table_cnt, 8);
}

/* Linux immediate-data WRITE: buf_fmt 0x30, imm_buf at 48, data at 68. */
static void test_cmd_immediate(void **state)
{
	const struct srp_cmd_limits imm = { .imm_data_offset = 68 };
	uint8_t iu[68 + 512];
	struct srp_cmd_info c;

	memset(iu, 0, sizeof(iu));
	iu[0] = 0x02;
	iu[5] = 0x30;
	w64(iu + 8, 9);
	iu[32] = 0x2a;
	iu[40] = 0x01;
	w32(iu + 48, 512);
	memset(iu + 68, 0xa5, 512);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c), 0);
	assert_int_equal(c.dout.fmt, SRP_DATA_DESC_IMM);
	assert_int_equal(c.dout.imm_off, 68);
	assert_int_equal(c.dout.total_len, 512);
	assert_int_equal(c.dout.desc_cnt, 0);
	assert_int_equal(c.din.fmt, SRP_DATA_DESC_NONE);

	/* Not negotiated on this channel. */
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c),
			 -SRP_IU_EIMM);
	/* Data runs past the received bytes. */
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu) - 1, &imm, &c),
			 -SRP_IU_EIMM);
	/* imm_buf itself cut off. */
	assert_int_equal(srp_cmd_decode(iu, 50, &imm, &c), -SRP_IU_EDESC);
	/* Zero length. */
	w32(iu + 48, 0);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c),
			 -SRP_IU_EZEROLEN);
	/* Huge length cannot wrap the offset check. */
	w32(iu + 48, 0xffffffff);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c),
			 -SRP_IU_EIMM);
	w32(iu + 48, 512);
	/* Additional CDB pushes the descriptor over the data offset. */
	iu[31] = 20;
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c),
			 -SRP_IU_EIMM);
	iu[31] = 16; /* descriptor at 64..67: just fits */
	w32(iu + 64, 256);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c), 0);
	assert_int_equal(c.cdb_len, 32);
	assert_int_equal(c.dout.total_len, 256);
	iu[31] = 0;
	/* Immediate with DATA-IN is not a valid combination. */
	iu[5] = 0x31;
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &imm, &c),
			 -SRP_IU_EFMT);
}

static void test_cmd_add_cdb(void **state)
{
	uint8_t iu[48 + 8 + 16];
	struct srp_cmd_info c;

	memset(iu, 0, sizeof(iu));
	iu[0] = 0x02;
	iu[5] = 0x01;
	iu[31] = 0x0b; /* 8 bytes (bits 7:2 = 2), reserved bits set */
	iu[32] = 0x7f; /* variable-length CDB */
	iu[48] = 0xaa;
	wdesc(iu + 56, 0x2000, 3, 512);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c), 0);
	assert_int_equal(c.cdb_len, 24);
	assert_int_equal(c.cdb[16], 0xaa);
	assert_int_equal(c.din.desc_off, 56);
	assert_int_equal(c.din.total_len, 512);
	/* Additional CDB larger than the IU. */
	iu[31] = 0xfc;
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c),
			 -SRP_IU_EADDCDB);
	assert_int_equal(c.cdb_len, 16 + 252);
	/* Exactly up to the end of the IU, then no room for the desc. */
	iu[31] = 24;
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c),
			 -SRP_IU_EDESC);
	iu[5] = 0;
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c), 0);
	assert_int_equal(c.cdb_len, 40);
}

static void test_cmd_malformed_header(void **state)
{
	uint8_t iu[64];
	struct srp_cmd_info c;

	memcpy(iu, linux_read10_direct, 64);
	/* Truncated: tag still reported once 16 bytes are there. */
	assert_int_equal(srp_cmd_decode(iu, 47, &lim_none, &c), -SRP_IU_ETRUNC);
	assert_true(c.tag == 0x10005);
	assert_int_equal(srp_cmd_decode(iu, 15, &lim_none, &c), -SRP_IU_ETRUNC);
	assert_true(c.tag == 0);
	assert_int_equal(srp_cmd_decode(iu, 0, &lim_none, &c), -SRP_IU_ETRUNC);
	assert_int_equal(srp_iu_opcode(iu, 0), -SRP_IU_ETRUNC);
	/* Direct descriptor cut. */
	assert_int_equal(srp_cmd_decode(iu, 63, &lim_none, &c), -SRP_IU_EDESC);
	/* NULL limits means nothing optional is allowed. */
	assert_int_equal(srp_cmd_decode(iu, 64, NULL, &c), 0);

	/* Wrong opcode. */
	iu[0] = 0x01;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c),
			 -SRP_IU_EOPCODE);
	iu[0] = 0x02;

	/* Reserved format values; IMM is DATA-OUT only. */
	iu[5] = 0x04;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), -SRP_IU_EFMT);
	iu[5] = 0x03;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), -SRP_IU_EFMT);
	iu[5] = 0x40;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), -SRP_IU_EFMT);
	iu[5] = 0xf0;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), -SRP_IU_EFMT);
	/* Zero-length direct descriptor. */
	iu[5] = 0x01;
	w32(iu + 60, 0);
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c),
			 -SRP_IU_EZEROLEN);
	/* Task attribute ORDERED, sol_not. */
	w32(iu + 60, 4096);
	iu[29] = 0xf2;
	iu[1] = SRP_UCSOLNT;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), 0);
	assert_int_equal(c.task_attr, SRP_CMD_ORDERED_Q);
	assert_int_equal(c.sol_not, SRP_UCSOLNT);
}

static void test_cmd_bidi(void **state)
{
	const struct srp_cmd_limits bidi = { .allow_bidi = true };
	uint8_t iu[48 + 16 + 20 + 32];
	struct srp_cmd_info c;
	struct srp_data_desc d;

	memset(iu, 0, sizeof(iu));
	iu[0] = 0x02;
	iu[5] = 0x12; /* DATA-OUT direct, DATA-IN indirect */
	iu[7] = 2;
	w64(iu + 8, 77);
	wdesc(iu + 48, 0xa000, 1, 1024); /* data-out first */
	wdesc(iu + 64, 0xb000, 2, 32); /* data-in table */
	w32(iu + 80, 3072);
	wdesc(iu + 84, 0xc000, 3, 1024);
	wdesc(iu + 100, 0xd000, 4, 2048);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &lim_none, &c),
			 -SRP_IU_EBIDI);
	assert_true(c.tag == 77);
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu), &bidi, &c), 0);
	assert_int_equal(c.dout.fmt, SRP_DATA_DESC_DIRECT);
	assert_int_equal(c.dout.total_len, 1024);
	assert_int_equal(c.dout.desc_off, 48);
	assert_int_equal(c.din.fmt, SRP_DATA_DESC_INDIRECT);
	assert_int_equal(c.din.desc_off, 84);
	assert_int_equal(c.din.total_len, 3072);
	assert_int_equal(srp_cmd_get_desc(iu, &c.din, 1, &d), 0);
	assert_true(d.va == 0xd000);
	assert_int_equal(d.len, 2048);
	/* Second direction cut short. */
	assert_int_equal(srp_cmd_decode(iu, sizeof(iu) - 1, &bidi, &c),
			 -SRP_IU_EDESC);
}

static void test_lun_decode(void **state)
{
	static const struct {
		uint8_t b[8];
		int ret;
		uint64_t lun;
	} t[] = {
		{ { 0x00, 0x00 }, 0, 0 },
		{ { 0x00, 0x05 }, 0, 5 },
		{ { 0x00, 0xff }, 0, 255 },
		{ { 0x40, 0x01 }, 0, 1 }, /* flat 1 */
		{ { 0x41, 0x2c }, 0, 300 }, /* flat 300 */
		{ { 0x7f, 0xff }, 0, 16383 },
		{ { 0xc1, 0x01 }, 0, SRP_LUN_WLUN_REPORT_LUNS },
		{ { 0x01, 0x2c }, -SRP_IU_ELUN, 0 }, /* peripheral bus 1 */
		{ { 0x80, 0x01 }, -SRP_IU_ELUN, 0 }, /* LU addressing */
		{ { 0xc1, 0x02 }, -SRP_IU_ELUN, 0 }, /* other W-LUN */
		{ { 0xd2, 0x00 }, -SRP_IU_ELUN, 0 }, /* extended flat */
		{ { 0x00, 0x01, 0x00, 0x02 }, -SRP_IU_ELUN, 0 }, /* 2 levels */
		{ { 0x00, 0x01, 0, 0, 0, 0, 0, 1 }, -SRP_IU_ELUN, 0 },
	};
	unsigned int i;
	uint64_t lun;
	uint8_t enc[8];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		lun = 12345;
		assert_int_equal(srp_lun_decode(t[i].b, &lun), t[i].ret);
		if (!t[i].ret) {
			assert_true(lun == t[i].lun);
			/* Encoding prefers peripheral below 256. */
			assert_int_equal(srp_lun_encode(lun, enc), 0);
			if (!((t[i].b[0] & 0xc0) == 0x40 && lun < 256))
				assert_memory_equal(enc, t[i].b, 8);
		}
	}
	assert_int_equal(srp_lun_encode(16384, enc), -EINVAL);
	assert_int_equal(srp_lun_encode(256, enc), 0);
	assert_int_equal(enc[0], 0x41);
	assert_int_equal(enc[1], 0x00);
	assert_int_equal(srp_lun_encode(1, enc), 0);
	assert_int_equal(enc[0], 0x00);
	assert_int_equal(enc[1], 0x01);

	/* A command with a bad LUN still decodes, with lun_err set. */
	uint8_t iu[64];
	struct srp_cmd_info c;

	memcpy(iu, linux_read10_direct, 64);
	iu[20] = 0x80;
	assert_int_equal(srp_cmd_decode(iu, 64, &lim_none, &c), 0);
	assert_int_equal(c.lun_err, -SRP_IU_ELUN);
	assert_int_equal(c.lun_raw[0], 0x80);
}

/* ABORT TASK as ib_srp sends it (srp_send_tsk_mgmt). */
static const uint8_t linux_abort_task[48] = {
	0x01, 0x00, 0,	  0,	0,    0,    0,	  0, /* opcode, sol_not */
	0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x01, /* tag, bit 31 */
	0,    0,    0,	  0, /* reserved */
	0x00, 0x02, 0,	  0,	0,    0,    0,	  0, /* LUN 2 */
	0,    0,    0x01, 0, /* rsvd, func ABORT TASK, rsvd */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, /* task tag */
	0,    0,    0,	  0,	0,    0,    0,	  0,
};

static void test_tsk_mgmt(void **state)
{
	struct srp_tsk_mgmt_info tm;
	uint8_t iu[48];

	assert_int_equal(srp_tsk_mgmt_decode(linux_abort_task, 48, &tm), 0);
	assert_true(tm.tag == 0x80000001ULL);
	assert_true(tm.task_tag == 0x10005);
	assert_int_equal(tm.func, SRP_TSK_ABORT_TASK);
	assert_int_equal(tm.lun_err, 0);
	assert_true(tm.lun == 2);

	memcpy(iu, linux_abort_task, 48);
	iu[30] = SRP_TSK_LUN_RESET;
	memset(iu + 32, 0xff, 8); /* SRP_TAG_NO_REQ */
	assert_int_equal(srp_tsk_mgmt_decode(iu, 48, &tm), 0);
	assert_int_equal(tm.func, 0x08);
	assert_true(tm.task_tag == SRP_TAG_NO_REQ);

	assert_int_equal(srp_tsk_mgmt_decode(iu, 47, &tm), -SRP_IU_ETRUNC);
	assert_true(tm.tag == 0x80000001ULL);
	assert_int_equal(srp_tsk_mgmt_decode(iu, 0, &tm), -SRP_IU_ETRUNC);
	iu[0] = 0x02;
	assert_int_equal(srp_tsk_mgmt_decode(iu, 48, &tm), -SRP_IU_EOPCODE);
	iu[0] = 0x01;
	iu[20] = 0xc1;
	iu[21] = 0x05;
	assert_int_equal(srp_tsk_mgmt_decode(iu, 48, &tm), 0);
	assert_int_equal(tm.lun_err, -SRP_IU_ELUN);
}

static void test_short_ius(void **state)
{
	uint8_t iu[16] = { 0 };
	uint64_t tag;

	w64(iu + 8, 0x0102030405060708ULL);
	iu[0] = 0x03;
	assert_int_equal(srp_i_logout_decode(iu, 16, &tag), 0);
	assert_true(tag == 0x0102030405060708ULL);
	assert_int_equal(srp_i_logout_decode(iu, 15, &tag), -SRP_IU_ETRUNC);
	assert_int_equal(srp_cred_rsp_decode(iu, 16, &tag), -SRP_IU_EOPCODE);
	iu[0] = 0x41;
	assert_int_equal(srp_cred_rsp_decode(iu, 16, &tag), 0);
	assert_true(tag == 0x0102030405060708ULL);
	assert_int_equal(srp_aer_rsp_decode(iu, 16, &tag), -SRP_IU_EOPCODE);
	iu[0] = 0x42;
	assert_int_equal(srp_aer_rsp_decode(iu, 16, &tag), 0);
	assert_int_equal(srp_aer_rsp_decode(iu, 0, &tag), -SRP_IU_ETRUNC);
}

static void test_residuals(void **state)
{
	static const struct {
		uint32_t do_x, do_d, di_x, di_d;
		uint8_t flags;
		uint32_t do_r, di_r;
	} t[] = {
		{ 0, 0, 0, 0, 0, 0, 0 },
		{ 0, 0, 4096, 4096, 0, 0, 0 },
		{ 0, 0, 512, 4096, SRP_RSP_FLAG_DIUNDER, 0, 3584 },
		{ 0, 0, 8192, 4096, SRP_RSP_FLAG_DIOVER, 0, 4096 },
		{ 0, 0, 36, 0, SRP_RSP_FLAG_DIOVER, 0, 36 },
		{ 4096, 4096, 0, 0, 0, 0, 0 },
		{ 1024, 4096, 0, 0, SRP_RSP_FLAG_DOUNDER, 3072, 0 },
		{ 8192, 512, 0, 0, SRP_RSP_FLAG_DOOVER, 7680, 0 },
		{ 0, 512, 0, 0, SRP_RSP_FLAG_DOUNDER, 512, 0 },
		{ 100, 200, 300, 100,
		  SRP_RSP_FLAG_DOUNDER | SRP_RSP_FLAG_DIOVER, 100, 200 },
		{ 0xffffffff, 0, 0, 0xffffffff,
		  SRP_RSP_FLAG_DOOVER | SRP_RSP_FLAG_DIUNDER, 0xffffffff,
		  0xffffffff },
	};
	struct srp_residual r;
	unsigned int i;

	assert_int_equal(SRP_RSP_FLAG_DOOVER, 0x04);
	assert_int_equal(SRP_RSP_FLAG_DOUNDER, 0x08);
	assert_int_equal(SRP_RSP_FLAG_DIOVER, 0x10);
	assert_int_equal(SRP_RSP_FLAG_DIUNDER, 0x20);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		srp_residual_compute(t[i].do_x, t[i].do_d, t[i].di_x, t[i].di_d,
				     &r);
		assert_int_equal(r.flags, t[i].flags);
		assert_int_equal(r.data_out_res_cnt, t[i].do_r);
		assert_int_equal(r.data_in_res_cnt, t[i].di_r);
	}
}

static void test_rsp_good(void **state)
{
	uint8_t exp[36] = { 0xc1, 0, 0, 0, 0, 0,    0, 1, /* delta 1 */
			    0,	  0, 0, 0, 0, 0x01, 0, 0x05 }; /* tag */
	struct srp_rsp_info r = { .tag = 0x10005, .req_lim_delta = 1 };
	uint8_t buf[256];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(srp_rsp_encode(buf, sizeof(buf), &r, NULL), 36);
	assert_memory_equal(buf, exp, 36);
	assert_int_equal(buf[36], 0xee); /* nothing written past the IU */
	assert_int_equal(srp_rsp_encode(buf, 35, &r, NULL), -SRP_IU_ENOSPC);
	assert_int_equal(srp_rsp_encode(buf, 36, &r, NULL), 36);
}

static void test_rsp_sense_residual(void **state)
{
	/* Fixed-format sense ILLEGAL REQUEST / INVALID FIELD IN CDB. */
	static const uint8_t sense[18] = { 0x70, 0, 0x05, 0, 0, 0,   0,
					   10,	 0, 0,	  0, 0, 0x24 };
	uint8_t exp[36 + 18];
	struct srp_rsp_info r = {
		.tag = 0x2a,
		.req_lim_delta = 3,
		.sol_not = 0,
		.status = 0x02,
		.sense = sense,
		.sense_len = sizeof(sense),
	};
	uint8_t buf[256];
	bool trunc = true;

	srp_residual_compute(0, 0, 512, 4096, &r.res);
	memset(exp, 0, sizeof(exp));
	exp[0] = 0xc1;
	w32(exp + 4, 3);
	w64(exp + 8, 0x2a);
	exp[18] = 0x02 | 0x20; /* SNSVALID | DIUNDER */
	exp[19] = 0x02; /* CHECK CONDITION */
	w32(exp + 24, 3584);
	w32(exp + 28, 18);
	memcpy(exp + 36, sense, 18);
	assert_int_equal(srp_rsp_encode(buf, sizeof(buf), &r, &trunc), 54);
	assert_false(trunc);
	assert_memory_equal(buf, exp, sizeof(exp));

	/* Capped by max_ti_iu_len: sense truncated to what fits. */
	assert_int_equal(srp_rsp_encode(buf, 36 + 10, &r, &trunc), 46);
	assert_true(trunc);
	assert_int_equal(buf[31], 10);
	assert_memory_equal(buf + 36, sense, 10);
	/* No room for any sense: SNSVALID clear. */
	assert_int_equal(srp_rsp_encode(buf, 36, &r, &trunc), 36);
	assert_true(trunc);
	assert_int_equal(buf[18], 0x20);

	/* Residual in the other direction; NULL sense pointer ignored. */
	r.sense = NULL;
	srp_residual_compute(8192, 4096, 0, 0, &r.res);
	assert_int_equal(srp_rsp_encode(buf, sizeof(buf), &r, NULL), 36);
	assert_int_equal(buf[18], 0x04);
	assert_int_equal(buf[23], 0x00);
	assert_int_equal(buf[22], 0x10); /* 4096 in bytes 20..23 */
	assert_int_equal(buf[27], 0);
}

static void test_rsp_tm(void **state)
{
	uint8_t exp[40] = { 0 };
	uint8_t buf[64];

	exp[0] = 0xc1;
	w32(exp + 4, 1);
	w64(exp + 8, 0x80000001ULL);
	exp[18] = 0x01; /* RSPVALID */
	w32(exp + 32, 4);
	exp[39] = 0x04; /* FUNCTION NOT SUPPORTED in byte 3 */
	assert_int_equal(srp_rsp_encode_tm(buf, sizeof(buf), 0x80000001ULL, 1,
					   SRP_TSK_MGMT_FUNC_NOT_SUPP),
			 40);
	assert_memory_equal(buf, exp, 40);
	assert_int_equal(srp_rsp_encode_tm(buf, 39, 1, 1, 0), -SRP_IU_ENOSPC);
}

static void test_other_encoders(void **state)
{
	static const uint8_t t_logout[16] = { 0x80, 0x04, 0, 0, 0, 0, 0, 0x02,
					      0,    0,	  0, 0, 0, 0, 0, 0x09 };
	static const uint8_t cred_req[16] = { 0x81, 0, 0, 0, 0, 0, 0,	 0x20,
					      0,    0, 0, 0, 0, 0, 0x01, 0x00 };
	static const uint8_t login_rej[32] = {
		0xc2, 0, 0, 0, 0x00, 0x01, 0x00, 0x02, /* reason */
		0,    0, 0, 0, 0,    0,	   0,	 0x07, /* tag */
		0,    0, 0, 0, 0,    0,	   0,	 0,    0x00, 0x06, /* buf_fmt */
	};
	uint8_t lun[8] = { 0x00, 0x03 };
	uint8_t sense[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29 };
	uint8_t exp[64];
	uint8_t buf[128];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(srp_t_logout_encode(buf, sizeof(buf), 9,
					     SRP_T_LOGOUT_INVALID_IU_TYPE,
					     SRP_UCSOLNT),
			 16);
	assert_memory_equal(buf, t_logout, 16);
	assert_int_equal(srp_t_logout_encode(buf, 15, 9, 2, 0), -SRP_IU_ENOSPC);

	assert_int_equal(srp_cred_req_encode(buf, 16, 0x100, 0x20, 0), 16);
	assert_memory_equal(buf, cred_req, 16);
	assert_int_equal(srp_cred_req_encode(buf, 8, 0, 0, 0), -SRP_IU_ENOSPC);

	memset(exp, 0, sizeof(exp));
	exp[0] = 0x82;
	w32(exp + 4, 1);
	w64(exp + 8, 0x55);
	exp[21] = 0x03;
	w32(exp + 28, 18);
	memcpy(exp + 36, sense, 18);
	assert_int_equal(srp_aer_req_encode(buf, sizeof(buf), 0x55, 1, lun,
					    sense, 18),
			 54);
	assert_memory_equal(buf, exp, 54);
	assert_int_equal(srp_aer_req_encode(buf, 53, 0x55, 1, lun, sense, 18),
			 -SRP_IU_ENOSPC);

	assert_int_equal(
		srp_login_rej_encode(buf, 32, 7,
				     SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE,
				     0x0006),
		32);
	assert_memory_equal(buf, login_rej, 32);
	assert_int_equal(srp_login_rej_encode(buf, 31, 7, 1, 6),
			 -SRP_IU_ENOSPC);

	struct srp_login_rsp_info li = {
		.tag = 0,
		.req_lim_delta = 128,
		.max_it_iu_len = 8276,
		.max_ti_iu_len = 256,
		.buf_fmt = 0x0006,
		.rsp_flags = 0x81,
	};
	memset(exp, 0, sizeof(exp));
	exp[0] = 0xc0;
	exp[7] = 128;
	exp[18] = 0x20; /* 8276 = 0x2054 */
	exp[19] = 0x54;
	exp[22] = 0x01; /* 256 */
	exp[25] = 0x06;
	exp[26] = 0x81;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(srp_login_rsp_encode(buf, sizeof(buf), &li), 52);
	assert_memory_equal(buf, exp, 52);
	assert_int_equal(buf[52], 0xee);
	assert_int_equal(srp_login_rsp_encode(buf, 51, &li), -SRP_IU_ENOSPC);
}

static void test_strerror(void **state)
{
	static const int errs[] = {
		SRP_IU_ETRUNC,	 SRP_IU_EOPCODE,   SRP_IU_EADDCDB,
		SRP_IU_EFMT,	 SRP_IU_EBIDI,	   SRP_IU_EDESC,
		SRP_IU_EZEROLEN, SRP_IU_EOVERFLOW, SRP_IU_ETABLE,
		SRP_IU_EEXTTBL,	 SRP_IU_EIMM,	   SRP_IU_ELUN,
		SRP_IU_ENOSPC,
	};
	unsigned int i, j;

	/* Every error distinct, with its own text. */
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_string_not_equal(srp_iu_strerror(-errs[i]),
					"invalid IU");
		for (j = i + 1; j < sizeof(errs) / sizeof(errs[0]); j++) {
			assert_int_not_equal(errs[i], errs[j]);
			assert_string_not_equal(srp_iu_strerror(-errs[i]),
						srp_iu_strerror(-errs[j]));
		}
	}
	assert_string_equal(srp_iu_strerror(-EIO), "invalid IU");
}

/*
 * The fuzz seeds (tests/fuzz/corpus/srp_iu, written by gen_corpus.py) are
 * meant to be valid Linux IUs: each must decode cleanly with the options
 * its selector byte gives, so the fuzzer starts from deep paths.
 */
static void test_seed_corpus(void **state)
{
	const char *src = getenv("SRPTD_SOURCE_DIR");
	char dir[4096], path[4400];
	uint8_t buf[16384];
	struct dirent *de;
	unsigned int n = 0;
	DIR *d;

	assert_non_null(src);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/srp_iu", src);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct srp_cmd_limits lim = { 0 };
		struct srp_cmd_info c;
		struct srp_tsk_mgmt_info tm;
		uint64_t tag;
		size_t len;
		FILE *f;
		int ret;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_true(len >= 2);
		lim.allow_bidi = buf[0] & 1;
		lim.allow_ext_table = buf[0] & 2;
		if (buf[0] & 4)
			lim.imm_data_offset = SRP_LINUX_IMM_DATA_OFFSET;
		switch (buf[1]) {
		case SRP_CMD:
			ret = srp_cmd_decode(buf + 1, len - 1, &lim, &c);
			break;
		case SRP_TSK_MGMT:
			ret = srp_tsk_mgmt_decode(buf + 1, len - 1, &tm);
			break;
		case SRP_I_LOGOUT:
			ret = srp_i_logout_decode(buf + 1, len - 1, &tag);
			break;
		case SRP_CRED_RSP:
			ret = srp_cred_rsp_decode(buf + 1, len - 1, &tag);
			break;
		case SRP_AER_RSP:
			ret = srp_aer_rsp_decode(buf + 1, len - 1, &tag);
			break;
		default:
			ret = -1;
		}
		if (ret)
			fail_msg("seed %s: %d (%s)", de->d_name, ret,
				 srp_iu_strerror(ret));
		n++;
	}
	closedir(d);
	assert_true(n >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_read10_direct),
		cmocka_unit_test(test_cmd_decode_clears),
		cmocka_unit_test(test_cmd_write_indirect),
		cmocka_unit_test(test_cmd_indirect_malformed),
		cmocka_unit_test(test_cmd_immediate),
		cmocka_unit_test(test_cmd_add_cdb),
		cmocka_unit_test(test_cmd_malformed_header),
		cmocka_unit_test(test_cmd_bidi),
		cmocka_unit_test(test_lun_decode),
		cmocka_unit_test(test_tsk_mgmt),
		cmocka_unit_test(test_short_ius),
		cmocka_unit_test(test_residuals),
		cmocka_unit_test(test_rsp_good),
		cmocka_unit_test(test_rsp_sense_residual),
		cmocka_unit_test(test_rsp_tm),
		cmocka_unit_test(test_other_encoders),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_seed_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
