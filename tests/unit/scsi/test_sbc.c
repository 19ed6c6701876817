/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SBC-3 block commands through the dispatch table against real temp files
 * (engines "sync", "io_uring" and the fault-injecting test engine "tb"):
 * data, status, sense, range edges, 4096-byte blocks, backend error
 * mapping, backpressure.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "test_skip.h"
#include "util.h"

#define NBLK 4096

struct st {
	struct sf f;
	const char *engine;
	uint32_t bs;
	int unavailable; /* the engine's probe() result */
};

static int setup_engine(void **state, const char *engine, uint32_t bs)
{
	struct st *s = calloc(1, sizeof(*s));
	struct scsi_lun_entry v[2];

	s->engine = engine;
	s->bs = bs;
	sf_init(&s->f);
	*state = s;
	/*
	 * An engine this kernel or process refuses (seccomp,
	 * SRPTD_TEST_DISABLE_ENGINE): the tests report skipped (ENGINE_TEST),
	 * a failing setup would count as failed.
	 */
	if (strcmp(engine, "tb")) {
		s->unavailable = srptd_backend_find(engine)->probe();
		if (s->unavailable)
			return 0;
	}
	sf_add_lu(&s->f, 0, engine, bs, NBLK, NULL);
	v[0] = (struct scsi_lun_entry){ .lun = 0, .lu = s->f.lu[0] };
	v[1] = (struct scsi_lun_entry){ .lun = 1,
					.lu = s->f.lu[0],
					.read_only = true };
	sf_add_itn(&s->f, 0, 0xa0, v, 2);
	sf_clear_ua(&s->f, 0, 0);
	sf_clear_ua(&s->f, 0, 1);
	*state = s;
	return 0;
}

static int setup_sync(void **state)
{
	return setup_engine(state, "sync", 512);
}

static int setup_uring(void **state)
{
	return setup_engine(state, "io_uring", 512);
}

static int setup_uring_4k(void **state)
{
	return setup_engine(state, "io_uring", 4096);
}

static int setup_aio(void **state)
{
	return setup_engine(state, "aio", 4096);
}

static int setup_tb(void **state)
{
	return setup_engine(state, "tb", 512);
}

/* fn, skipped when the setup found its engine unavailable. */
#define ENGINE_TEST(fn)                                                   \
	static void fn##_engine(void **state)                             \
	{                                                                 \
		const struct st *s = *state;                              \
                                                                          \
		if (s->unavailable)                                       \
			SRPTD_SKIP("engine %s unavailable here: %s",      \
				   s->engine, strerror(-s->unavailable)); \
		fn(state);                                                \
	}

static int teardown(void **state)
{
	struct st *s = *state;

	sf_fini(&s->f);
	free(s);
	return 0;
}

static void do_write(struct st *s, uint8_t op, uint64_t lba, uint32_t n,
		     const void *buf, uint8_t flags)
{
	struct sf_cmd c;

	switch (op) {
	case SCSI_OP_WRITE_6:
		sf_cdb6(&c, op, lba >> 16, lba >> 8, lba, n == 256 ? 0 : n);
		break;
	case SCSI_OP_WRITE_10:
	case SCSI_OP_WRITE_VERIFY_10:
		sf_cdb_rw10(&c, op, flags, lba, n);
		break;
	case SCSI_OP_WRITE_12:
		sf_cdb_rw12(&c, op, flags, lba, n);
		break;
	default:
		sf_cdb_rw16(&c, op, flags, lba, n);
		break;
	}
	c.out = buf;
	c.out_len = n * s->bs;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_WRITE);
	assert_int_equal(c.xfer_len, n * s->bs);
}

static void do_read(struct st *s, uint8_t op, uint64_t lba, uint32_t n,
		    void *buf)
{
	struct sf_cmd c;

	switch (op) {
	case SCSI_OP_READ_6:
		sf_cdb6(&c, op, lba >> 16, lba >> 8, lba, n == 256 ? 0 : n);
		break;
	case SCSI_OP_READ_10:
		sf_cdb_rw10(&c, op, 0, lba, n);
		break;
	case SCSI_OP_READ_12:
		sf_cdb_rw12(&c, op, 0, lba, n);
		break;
	default:
		sf_cdb_rw16(&c, op, 0, lba, n);
		break;
	}
	c.in = buf;
	c.in_len = n * s->bs;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, n * s->bs);
	assert_false(c.completed_inline);
}

/* Every READ/WRITE size writes and reads the right bytes of the file. */
static void test_read_write_all_sizes(void **state)
{
	static const uint8_t wops[] = {
		SCSI_OP_WRITE_6,	 SCSI_OP_WRITE_10,
		SCSI_OP_WRITE_12,	 SCSI_OP_WRITE_16,
		SCSI_OP_WRITE_VERIFY_10, SCSI_OP_WRITE_VERIFY_16
	};
	static const uint8_t rops[] = { SCSI_OP_READ_6, SCSI_OP_READ_10,
					SCSI_OP_READ_12, SCSI_OP_READ_16 };
	struct st *s = *state;
	uint32_t n = 8, len = n * s->bs;
	uint8_t *w = malloc(len), *r = malloc(len), *file = malloc(len);
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(wops); i++) {
		uint64_t lba = 17 + i * 31;

		sf_fill(w, len, i + 1);
		do_write(s, wops[i], lba, n, w, 0);
		sf_pread(&s->f, 0, lba * s->bs, file, len);
		assert_memory_equal(file, w, len);
		for (j = 0; j < ARRAY_SIZE(rops); j++) {
			memset(r, 0, len);
			do_read(s, rops[j], lba, n, r);
			assert_memory_equal(r, w, len);
		}
	}
	/* Last block of the device, via 16-byte CDBs. */
	sf_fill(w, s->bs, 99);
	do_write(s, SCSI_OP_WRITE_16, NBLK - 1, 1, w, 0x08);
	do_read(s, SCSI_OP_READ_16, NBLK - 1, 1, r);
	assert_memory_equal(r, w, s->bs);
	/* READ(6)/WRITE(6) with transfer length 0 move 256 blocks. */
	free(w);
	free(r);
	w = malloc(256 * s->bs);
	r = malloc(256 * s->bs);
	sf_fill(w, 256 * s->bs, 7);
	do_write(s, SCSI_OP_WRITE_6, 1000, 256, w, 0);
	do_read(s, SCSI_OP_READ_6, 1000, 256, r);
	assert_memory_equal(r, w, 256 * s->bs);
	free(w);
	free(r);
	free(file);
}

static void test_range_edges(void **state)
{
	struct st *s = *state;
	uint8_t buf[4096 * 4];
	struct sf_cmd c;
	bool cd;
	int bit;

	/* Zero transfer length: GOOD, no data, no I/O. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 5, 0);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_NONE);
	assert_int_equal(c.data_in_len, 0);
	sf_cdb_rw16(&c, SCSI_OP_WRITE_16, 0, NBLK - 1, 0);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	/* ... but the LBA must still exist. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, NBLK, 0);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* One block past the end. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, NBLK - 1, 2);
	c.in = buf;
	c.in_len = sizeof(buf);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	assert_int_equal(c.parse_ret, 1);
	sf_cdb_rw16(&c, SCSI_OP_WRITE_16, 0, NBLK, 1);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* LBA + length wrapping 2^64. */
	sf_cdb_rw16(&c, SCSI_OP_READ_16, 0, UINT64_MAX - 1, 4);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	sf_cdb_rw16(&c, SCSI_OP_READ_16, 0, 1, UINT32_MAX);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* READ(12) past the end. */
	sf_cdb_rw12(&c, SCSI_OP_READ_12, 0, 0, NBLK + 1);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	/* More than MAXIMUM TRANSFER LENGTH (1 MiB): field pointer. */
	sf_cdb_rw16(&c, SCSI_OP_READ_16, 0, 0, 1024 * 1024 / s->bs + 1);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 10);
	/* RDPROTECT is not supported. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0x20, 0, 1);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_int_equal(sf_sense_field(&c, &cd, &bit), 1);
	assert_int_equal(bit, 5);
	/* Short initiator buffer on READ: whole blocks that fit. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 4);
	c.in = buf;
	c.in_len = s->bs + s->bs / 2;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, s->bs);
	/* Short data-out on WRITE: the data phase failed. */
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 0, 4);
	c.out = buf;
	c.out_len = s->bs;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ABORTED_COMMAND, SCSI_ASC_DATA_PHASE_ERROR);
}

/* A buffer larger than the transfer: the engine sees exactly xfer_len. */
static void test_large_iov(void **state)
{
	struct st *s = *state;
	uint8_t *w = malloc(8 * s->bs), *big = malloc(16 * s->bs);
	struct sf_async a;
	struct sf_cmd c;

	sf_fill(w, 8 * s->bs, 3);
	do_write(s, SCSI_OP_WRITE_10, 40, 8, w, 0);
	memset(big, 0x5a, 16 * s->bs);
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 40, 2);
	c.in = big;
	c.in_len = 16 * s->bs;
	sf_start(s->f.w, s->f.itn[0], 0, &c, &a);
	sf_wait(s->f.w, &a);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 2 * s->bs);
	assert_memory_equal(big, w, 2 * s->bs);
	assert_int_equal(big[2 * s->bs], 0x5a);
	free(w);
	free(big);
}

static void test_read_capacity(void **state)
{
	struct st *s = *state;
	struct srptd_bdev *bd = &s->f.bdev[0];
	uint8_t b[64];
	struct sf_cmd c;

	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_READ_CAPACITY_10;
	c.in = b;
	c.in_len = 8;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_true(c.completed_inline);
	assert_int_equal(c.data_in_len, 8);
	assert_int_equal(get_be32(b), NBLK - 1);
	assert_int_equal(get_be32(b + 4), s->bs);
	/* PMI 0 with an LBA: invalid. */
	put_be32(c.cdb + 2, 5);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);

	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_SERVICE_ACTION_IN_16;
	c.cdb[1] = SCSI_SAI_READ_CAPACITY_16;
	put_be32(c.cdb + 10, 32);
	c.in = b;
	c.in_len = 32;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 32);
	assert_int_equal(get_be64(b), NBLK - 1);
	assert_int_equal(get_be32(b + 8), s->bs);
	assert_int_equal(b[14] & 0x80, bd->can_discard ? 0x80 : 0);
	assert_int_equal(b[14] & 0x40, bd->discard_zeroes ? 0x40 : 0);
	assert_int_equal(1u << (b[13] & 0x0f),
			 bd->phys_block_size / bd->block_size);
	/* Allocation length 12 truncates. */
	put_be32(c.cdb + 10, 12);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 12);
	/* Unknown SERVICE ACTION IN(16) action. */
	c.cdb[1] = 0x11;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
}

/* More than 2^32 blocks: RC10 says "use READ CAPACITY(16)". */
static void test_read_capacity_huge(void **state)
{
	struct sf f;
	struct sf_cmd c;
	uint8_t b[32];

	sf_init(&f);
	sf_add_lu(&f, 0, "tb", 512, (1ull << 32) + 8, NULL);
	sf_add_itn0(&f, 0, 1);
	sf_clear_ua(&f, 0, 0);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_READ_CAPACITY_10;
	c.in = b;
	c.in_len = 8;
	assert_int_equal(sf_run(&f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be32(b), 0xffffffff);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_SERVICE_ACTION_IN_16;
	c.cdb[1] = SCSI_SAI_READ_CAPACITY_16;
	put_be32(c.cdb + 10, 32);
	c.in = b;
	c.in_len = 32;
	assert_int_equal(sf_run(&f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(get_be64(b), (1ull << 32) + 7);
	/* An LBA above 2^32 is reachable with READ(16). */
	sf_cdb_rw16(&c, SCSI_OP_READ_16, 0, (1ull << 32) + 7, 1);
	c.in = b;
	c.in_len = 0;
	assert_int_equal(sf_run(&f, 0, 0, &c), SAM_STAT_GOOD);
	sf_fini(&f);
}

static void test_sync_cache_and_fua(void **state)
{
	struct st *s = *state;
	uint8_t blk[512] = { 1 }, prm[24];
	struct sf_cmd c;

	sf_cdb_rw10(&c, SCSI_OP_SYNCHRONIZE_CACHE_10, 0, 0, 0);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_FLUSH], 1);
	sf_cdb_rw16(&c, SCSI_OP_SYNCHRONIZE_CACHE_16, 0x02, 10, 100);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_FLUSH], 2);
	sf_cdb_rw16(&c, SCSI_OP_SYNCHRONIZE_CACHE_16, 0, NBLK, 0);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);

	/* Write-back device: FUA only when asked. */
	do_write(s, SCSI_OP_WRITE_10, 3, 1, blk, 0);
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA, 0);
	do_write(s, SCSI_OP_WRITE_10, 3, 1, blk, 0x08);
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA,
			 SRPTD_IO_F_FUA);
	do_write(s, SCSI_OP_WRITE_VERIFY_16, 3, 1, blk, 0);
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA,
			 SRPTD_IO_F_FUA);
	/* WCE off (MODE SELECT): every write becomes FUA. */
	memset(prm, 0, sizeof(prm));
	prm[4] = 0x08;
	prm[5] = 0x12;
	sf_cdb6(&c, SCSI_OP_MODE_SELECT_6, 0x10, 0, 0, 24);
	c.out = prm;
	c.out_len = 24;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	do_write(s, SCSI_OP_WRITE_10, 3, 1, blk, 0);
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA,
			 SRPTD_IO_F_FUA);
}

static void test_verify(void **state)
{
	struct st *s = *state;
	uint32_t len = 4 * s->bs;
	uint8_t *w = malloc(len), *cmp = malloc(len);
	struct sf_cmd c;

	sf_fill(w, len, 11);
	do_write(s, SCSI_OP_WRITE_10, 100, 4, w, 0);
	/* BYTCHK 0: medium check only, no data-out. */
	sf_cdb_rw10(&c, SCSI_OP_VERIFY_10, 0, 100, 4);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_NONE);
	/* BYTCHK 1: equal data. */
	sf_cdb_rw16(&c, SCSI_OP_VERIFY_16, 0x02, 100, 4);
	c.out = w;
	c.out_len = len;
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_WRITE);
	/* Mismatch at byte 700 + bs: MISCOMPARE, INFORMATION = offset. */
	memcpy(cmp, w, len);
	cmp[s->bs + 700 % s->bs] ^= 0xff;
	sf_cdb_rw10(&c, SCSI_OP_VERIFY_10, 0x02, 100, 4);
	c.out = cmp;
	c.out_len = len;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
			SCSI_ASC_MISCOMPARE_DURING_VERIFY);
	assert_int_equal(sf_sense_info(&c), s->bs + 700 % s->bs);
	/* BYTCHK 2 is reserved. */
	sf_cdb_rw10(&c, SCSI_OP_VERIFY_10, 0x04, 100, 4);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* Past the end. */
	sf_cdb_rw10(&c, SCSI_OP_VERIFY_10, 0, NBLK - 2, 4);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	free(w);
	free(cmp);
}

static void write_same(struct sf_cmd *c, bool sixteen, uint8_t flags,
		       uint64_t lba, uint32_t n, const void *blk, uint32_t bs)
{
	if (sixteen)
		sf_cdb_rw16(c, SCSI_OP_WRITE_SAME_16, flags, lba, n);
	else
		sf_cdb_rw10(c, SCSI_OP_WRITE_SAME_10, flags, lba, n);
	c->out = blk;
	c->out_len = blk ? bs : 0;
}

static void test_write_same(void **state)
{
	struct st *s = *state;
	uint32_t n = 3000 % NBLK, len = n * s->bs, i;
	uint8_t *blk = malloc(s->bs), *file = malloc(len), *zero;
	struct sf_cmd c;

	sf_fill(blk, s->bs, 5);
	/* Replicated in chunks: n blocks > the 1 MiB chunk for 512. */
	write_same(&c, true, 0, 10, n - 20, blk, s->bs);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	sf_pread(&s->f, 0, 10 * s->bs, file, (n - 20) * s->bs);
	for (i = 0; i < n - 20; i++)
		assert_memory_equal(file + i * s->bs, blk, s->bs);
	/* WRITE SAME(10), one block. */
	blk[0] ^= 1;
	write_same(&c, false, 0, 5, 1, blk, s->bs);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	sf_pread(&s->f, 0, 5 * s->bs, file, s->bs);
	assert_memory_equal(file, blk, s->bs);
	/* UNMAP bit with a zero block: zeroes, by discard where possible. */
	zero = calloc(1, s->bs);
	write_same(&c, true, 0x08, 10, 64, zero, s->bs);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	sf_pread(&s->f, 0, 10 * s->bs, file, 64 * s->bs);
	for (i = 0; i < 64 * s->bs; i++)
		assert_int_equal(file[i], 0);
	if (!strcmp(s->engine, "tb"))
		assert_int_equal(tb_ctl.submitted[SRPTD_IO_DISCARD], 1);
	/* NDOB: no data-out, zeroes. */
	write_same(&c, true, 0x01, 100, 8, NULL, s->bs);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.dir, SCSI_DIR_NONE);
	sf_pread(&s->f, 0, 100 * s->bs, file, 8 * s->bs);
	for (i = 0; i < 8 * s->bs; i++)
		assert_int_equal(file[i], 0);
	/* Zero blocks (WSNZ) and too many: INVALID FIELD IN CDB. */
	write_same(&c, true, 0, 0, 0, blk, s->bs);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	write_same(&c, false, 0x10, 0, 1, blk, s->bs); /* ANCHOR */
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	write_same(&c, true, 0, NBLK - 1, 2, blk, s->bs);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	free(zero);
	free(blk);
	free(file);
}

/* WRITE ZEROES refused by the engine: fall back to replicating zeroes. */
static void test_write_same_fallback(void **state)
{
	struct st *s = *state;
	uint8_t *zero = calloc(1, s->bs), *file = malloc(16 * s->bs);
	uint8_t *junk = malloc(16 * s->bs);
	struct sf_cmd c;
	unsigned int i;

	sf_fill(junk, 16 * s->bs, 9);
	sf_pwrite(&s->f, 0, 200 * s->bs, junk, 16 * s->bs);
	tb_ctl.no_write_zeroes = true;
	write_same(&c, true, 0, 200, 16, zero, s->bs);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(tb_ctl.submitted[SRPTD_IO_WRITE_ZEROES], 0);
	assert_true(tb_ctl.submitted[SRPTD_IO_WRITE] >= 1);
	sf_pread(&s->f, 0, 200 * s->bs, file, 16 * s->bs);
	for (i = 0; i < 16 * s->bs; i++)
		assert_int_equal(file[i], 0);
	free(zero);
	free(file);
	free(junk);
}

static void unmap(struct sf_cmd *c, uint8_t *prm, uint16_t len)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_UNMAP;
	put_be16(c->cdb + 7, len);
	c->out = prm;
	c->out_len = len;
}

static void test_unmap(void **state)
{
	struct st *s = *state;
	uint8_t prm[8 + 16 * 300], *junk = malloc(64 * s->bs);
	uint8_t *file = malloc(64 * s->bs);
	struct sf_cmd c;
	unsigned int i;

	if (!s->f.bdev[0].can_discard)
		SRPTD_SKIP("filesystem of %s cannot punch holes", s->f.dir);
	sf_fill(junk, 64 * s->bs, 4);
	sf_pwrite(&s->f, 0, 512 * s->bs, junk, 64 * s->bs);
	memset(prm, 0, sizeof(prm));
	put_be16(prm, 6 + 32);
	put_be16(prm + 2, 32);
	put_be64(prm + 8, 512);
	put_be32(prm + 16, 16);
	put_be64(prm + 24, 512 + 32);
	put_be32(prm + 32, 32);
	unmap(&c, prm, 40);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	sf_pread(&s->f, 0, 512 * s->bs, file, 64 * s->bs);
	for (i = 0; i < 16 * s->bs; i++)
		assert_int_equal(file[i], 0);
	assert_memory_equal(file + 16 * s->bs, junk + 16 * s->bs, 16 * s->bs);
	for (i = 32 * s->bs; i < 64 * s->bs; i++)
		assert_int_equal(file[i], 0);
	/* Zero-length parameter list: nothing to do. */
	unmap(&c, prm, 0);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	/* Shorter than the header. */
	unmap(&c, prm, 6);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* BLOCK DESCRIPTOR DATA LENGTH beyond the list. */
	put_be16(prm + 2, 48);
	unmap(&c, prm, 40);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* Out of range descriptor: nothing is unmapped. */
	sf_pwrite(&s->f, 0, 512 * s->bs, junk, 16 * s->bs);
	put_be16(prm + 2, 32);
	put_be64(prm + 24, NBLK - 4);
	put_be32(prm + 32, 8);
	unmap(&c, prm, 40);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	sf_pread(&s->f, 0, 512 * s->bs, file, 16 * s->bs);
	assert_memory_equal(file, junk, 16 * s->bs);
	/* Too many descriptors. */
	put_be16(prm, 6 + 16 * 257);
	put_be16(prm + 2, 16 * 257);
	memset(prm + 8, 0, 16 * 257);
	unmap(&c, prm, 8 + 16 * 257);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	/* Too many LBAs in one descriptor. */
	put_be16(prm, 6 + 16);
	put_be16(prm + 2, 16);
	put_be64(prm + 8, 0);
	put_be32(prm + 16, 0x400001);
	unmap(&c, prm, 24);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	/* ANCHOR. */
	unmap(&c, prm, 24);
	c.cdb[1] = 0x01;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	free(junk);
	free(file);
}

static void caw(struct sf_cmd *c, uint64_t lba, uint8_t n, const void *data,
		uint32_t len)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_COMPARE_AND_WRITE;
	put_be64(c->cdb + 2, lba);
	c->cdb[13] = n;
	c->out = data;
	c->out_len = len;
}

static void test_compare_and_write(void **state)
{
	struct st *s = *state;
	uint32_t len = 2 * s->bs;
	uint8_t *old = malloc(len), *data = malloc(2 * len),
		*file = malloc(len);
	struct sf_cmd c;

	sf_fill(old, len, 21);
	sf_pwrite(&s->f, 0, 300 * s->bs, old, len);
	memcpy(data, old, len);
	sf_fill(data + len, len, 22);
	caw(&c, 300, 2, data, 2 * len);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(c.xfer_len, 2 * len);
	sf_pread(&s->f, 0, 300 * s->bs, file, len);
	assert_memory_equal(file, data + len, len);
	/* Now the old data no longer matches: MISCOMPARE at the offset. */
	caw(&c, 300, 2, data, 2 * len);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MISCOMPARE,
			SCSI_ASC_MISCOMPARE_DURING_VERIFY);
	{
		uint32_t i;

		for (i = 0; data[i] == file[i]; i++)
			;
		assert_int_equal(sf_sense_info(&c), i);
	}
	sf_pread(&s->f, 0, 300 * s->bs, file, len);
	assert_memory_equal(file, data + len, len);
	/* Zero blocks: GOOD; too many blocks: INVALID FIELD byte 13. */
	caw(&c, 300, 0, NULL, 0);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	caw(&c, 300, 9, data, 2 * len);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	caw(&c, NBLK - 1, 2, data, 2 * len);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
	free(old);
	free(data);
	free(file);
}

static void test_write_protect(void **state)
{
	struct st *s = *state;
	uint8_t *blk = calloc(2, s->bs), prm[24] = { 0 };
	struct sf_cmd c;

	/* LUN 1 is the same LU masked read-only. */
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 0, 1);
	c.out = blk;
	c.out_len = s->bs;
	sf_run(&s->f, 0, 1, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	write_same(&c, true, 0, 0, 1, blk, s->bs);
	sf_run(&s->f, 0, 1, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	caw(&c, 0, 1, blk, 2 * s->bs);
	sf_run(&s->f, 0, 1, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	if (s->f.bdev[0].can_discard) {
		unmap(&c, prm, 24);
		sf_run(&s->f, 0, 1, &c);
		sf_assert_sense(&c, SCSI_SK_DATA_PROTECT,
				SCSI_ASC_WRITE_PROTECTED);
	}
	/* Reads are fine. */
	sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 1);
	c.in = blk;
	c.in_len = s->bs;
	assert_int_equal(sf_run(&s->f, 0, 1, &c), SAM_STAT_GOOD);
	/* A read-only device protects every LUN that maps it. */
	s->f.bdev[0].read_only = true;
	sf_cdb_rw16(&c, SCSI_OP_WRITE_16, 0, 0, 1);
	c.out = blk;
	c.out_len = s->bs;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	s->f.bdev[0].read_only = false;
	/* START STOP UNIT is accepted. */
	sf_cdb6(&c, SCSI_OP_START_STOP_UNIT, 1, 0, 0, 1);
	assert_int_equal(sf_run(&s->f, 0, 0, &c), SAM_STAT_GOOD);
	free(blk);
}

/* The agreed backend errno -> sense mapping (issue 3 item 5). */
static void test_backend_error_mapping(void **state)
{
	struct st *s = *state;
	uint8_t blk[512];
	struct sf_cmd c;

	tb_ctl.fault_op = SRPTD_IO_READ;
	tb_ctl.fault_err = -EIO;
	do {
		sf_cdb_rw10(&c, SCSI_OP_READ_10, 0, 0, 1);
		c.in = blk;
		c.in_len = 512;
		sf_run(&s->f, 0, 0, &c);
	} while (0);
	sf_assert_sense(&c, SCSI_SK_MEDIUM_ERROR,
			SCSI_ASC_UNRECOVERED_READ_ERROR);
	assert_int_equal(c.data_in_len, 0);
	tb_ctl.fault_err = -EINVAL;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);

	tb_ctl.fault_op = SRPTD_IO_WRITE;
	tb_ctl.fault_err = -EIO;
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 0, 1);
	c.out = blk;
	c.out_len = 512;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	tb_ctl.fault_err = -ENOSPC;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT,
			SCSI_ASC_SPACE_ALLOC_FAILED_WP);
	tb_ctl.fault_err = -EBADF;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);

	/* Errors in a multi-step command end it cleanly. */
	tb_ctl.fault_op = SRPTD_IO_READ;
	tb_ctl.fault_err = -EIO;
	{
		uint8_t d[1024] = { 0 };

		caw(&c, 0, 1, d, 1024);
		sf_run(&s->f, 0, 0, &c);
		sf_assert_sense(&c, SCSI_SK_MEDIUM_ERROR,
				SCSI_ASC_UNRECOVERED_READ_ERROR);
	}
	tb_ctl.fault_op = SRPTD_IO_FLUSH;
	sf_cdb_rw10(&c, SCSI_OP_SYNCHRONIZE_CACHE_10, 0, 0, 0);
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
	tb_ctl.fault_op = -1;

	/* Rejected at submit. */
	tb_ctl.submit_err = -ENOSPC;
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 0, 1);
	c.out = blk;
	c.out_len = 512;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT,
			SCSI_ASC_SPACE_ALLOC_FAILED_WP);
	assert_true(c.completed_inline);
	tb_ctl.submit_err = -EINVAL;
	sf_run(&s->f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_HARDWARE_ERROR,
			SCSI_ASC_INTERNAL_TARGET_FAILURE);
	tb_ctl.submit_err = 0;
	/* And the LU still works afterwards (the range lock was released). */
	sf_run(&s->f, 0, 0, &c);
	assert_int_equal(c.status, SAM_STAT_GOOD);
}

/* -EAGAIN from a full context parks the task; it completes later. */
static void test_backpressure(void **state)
{
	struct st *s = *state;
	struct sf_async a[6];
	struct sf_cmd c[6];
	uint8_t blk[6][512];
	struct scsi_worker *w;
	unsigned int i;

	tb_ctl.depth = 2;
	assert_int_equal(scsi_worker_create(8, &w), 0);
	for (i = 0; i < 6; i++) {
		sf_fill(blk[i], 512, 40 + i);
		sf_cdb_rw10(&c[i], SCSI_OP_WRITE_10, 0, 600 + i, 1);
		c[i].out = blk[i];
		c[i].out_len = 512;
		sf_start(w, s->f.itn[0], 0, &c[i], &a[i]);
		assert_false(a[i].done);
	}
	for (i = 0; i < 6; i++) {
		uint8_t file[512];

		sf_wait(w, &a[i]);
		assert_int_equal(c[i].status, SAM_STAT_GOOD);
		sf_pread(&s->f, 0, (600 + i) * 512, file, 512);
		assert_memory_equal(file, blk[i], 512);
	}
	scsi_worker_destroy(w);
}

/*
 * -EAGAIN with nothing in flight: no engine completion will ever wake the
 * worker, so the SCSI layer must keep its own event fd readable until the
 * parked task is resubmitted.
 */
static void test_backpressure_nothing_in_flight(void **state)
{
	struct st *s = *state;
	uint8_t blk[512], file[512];
	struct sf_async a;
	struct sf_cmd c;
	unsigned int rounds = 0;

	sf_fill(blk, 512, 77);
	tb_ctl.submit_err = -EAGAIN;
	sf_cdb_rw10(&c, SCSI_OP_WRITE_10, 0, 700, 1);
	c.out = blk;
	c.out_len = 512;
	sf_start(s->f.w, s->f.itn[0], 0, &c, &a);
	assert_false(a.done);
	while (!a.done) {
		struct pollfd p[8];
		int fds[8], n, i;

		n = scsi_worker_event_fds(s->f.w, fds, 8);
		for (i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
		}
		/* Something must be readable: no timeouts to lean on. */
		assert_true(poll(p, n, 5000) > 0);
		if (++rounds == 3)
			tb_ctl.submit_err = 0;
		scsi_worker_poll(s->f.w);
	}
	scsi_task_release(a.t);
	free(a.t);
	assert_int_equal(c.status, SAM_STAT_GOOD);
	sf_pread(&s->f, 0, 700 * 512, file, 512);
	assert_memory_equal(file, blk, 512);
}

ENGINE_TEST(test_read_write_all_sizes)
ENGINE_TEST(test_range_edges)
ENGINE_TEST(test_large_iov)
ENGINE_TEST(test_read_capacity)
ENGINE_TEST(test_verify)
ENGINE_TEST(test_write_same)
ENGINE_TEST(test_unmap)
ENGINE_TEST(test_compare_and_write)
ENGINE_TEST(test_write_protect)

int main(void)
{
	const struct CMUnitTest tests[] = {
#define ENGINE(fn, setup) { #fn, fn##_engine, setup, teardown, NULL }
#define ENGINES(fn)                                                \
	ENGINE(fn, setup_sync), ENGINE(fn, setup_uring),           \
		ENGINE(fn, setup_uring_4k), ENGINE(fn, setup_aio), \
		ENGINE(fn, setup_tb)
		ENGINES(test_read_write_all_sizes),
		ENGINES(test_range_edges),
		ENGINES(test_large_iov),
		ENGINES(test_read_capacity),
		ENGINES(test_verify),
		ENGINES(test_write_same),
		ENGINES(test_unmap),
		ENGINES(test_compare_and_write),
		ENGINES(test_write_protect),
		cmocka_unit_test(test_read_capacity_huge),
		cmocka_unit_test_setup_teardown(test_sync_cache_and_fua,
						setup_tb, teardown),
		cmocka_unit_test_setup_teardown(test_write_same_fallback,
						setup_tb, teardown),
		cmocka_unit_test_setup_teardown(test_backend_error_mapping,
						setup_tb, teardown),
		cmocka_unit_test_setup_teardown(test_backpressure, setup_tb,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_backpressure_nothing_in_flight, setup_tb,
			teardown),
	};

	return srptd_test_status(cmocka_run_group_tests(tests, NULL, NULL));
}
