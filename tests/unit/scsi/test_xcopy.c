/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Third-party copy (src/scsi/xcopy.c): EXTENDED COPY (LID1) between and
 * within logical units, checked on what reached the media, and the
 * parameter list checks with their exact sense; RECEIVE COPY RESULTS
 * OPERATING PARAMETERS and COPY STATUS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi_fixture.h"
#include "util.h"

/*
 * LU 0: 512-byte blocks, 4 MiB; LU 1: 512-byte blocks, 2 MiB; LU 2:
 * 4096-byte blocks, 2 MiB; LU 3: not seen by nexus 0.  Nexus 0 sees LU i
 * as LUN i (i < 3); nexus 1 sees LU 0 as LUN 0, LU 1 read-only as LUN 1
 * and LU 3 as LUN 3.
 */
#define LU0_BLOCKS 8192
/* What OPERATING PARAMETERS reports (src/scsi/scsi_int.h). */
#define XC_MAX_CSCDS 4
#define XC_MAX_SEGS 16
static int setup(void **state)
{
	struct sf *f = calloc(1, sizeof(*f));
	struct scsi_lun_entry v0[3], v1[3];
	unsigned int i;

	sf_init(f);
	sf_add_lu(f, 0, "tb", 512, LU0_BLOCKS, NULL);
	sf_add_lu(f, 1, "tb", 512, 4096, NULL);
	sf_add_lu(f, 2, "tb", 4096, 512, NULL);
	sf_add_lu(f, 3, "tb", 512, 1024, NULL);
	for (i = 0; i < 3; i++)
		v0[i] = (struct scsi_lun_entry){ .lun = i, .lu = f->lu[i] };
	v1[0] = (struct scsi_lun_entry){ .lun = 0, .lu = f->lu[0] };
	v1[1] = (struct scsi_lun_entry){ .lun = 1,
					 .lu = f->lu[1],
					 .read_only = true };
	v1[2] = (struct scsi_lun_entry){ .lun = 3, .lu = f->lu[3] };
	sf_add_itn(f, 0, 0xa0, v0, 3);
	sf_add_itn(f, 1, 0xb0, v1, 3);
	for (i = 0; i < 3; i++)
		sf_clear_ua(f, 0, i);
	sf_clear_ua(f, 1, 0);
	sf_clear_ua(f, 1, 1);
	sf_clear_ua(f, 1, 3);
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

/* The LU's NAA designator, as an initiator learns it: VPD 0x83. */
static void get_naa(struct sf *f, unsigned int itn, uint64_t lun,
		    uint8_t naa[16])
{
	uint8_t b[256];
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_INQUIRY, 0x01, SCSI_VPD_DEVICE_ID, 0, 255);
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, itn, lun, &c), SAM_STAT_GOOD);
	assert_int_equal(b[7], 16); /* first designator: NAA, 16 bytes */
	assert_int_equal(b[5] & 0x0f, SCSI_DESIG_TYPE_NAA);
	memcpy(naa, b + 8, 16);
}

/* A parameter list under construction. */
struct xl {
	uint8_t p[2048];
	uint32_t ncscd, nseg;
};

static void xl_init(struct xl *l)
{
	memset(l, 0, sizeof(*l));
}

static void xl_cscd(struct xl *l, const uint8_t naa[16], uint32_t bs)
{
	uint8_t *d = l->p + 16 + 32 * l->ncscd++;

	d[0] = SCSI_XCOPY_CSCD_ID;
	d[4] = SCSI_DESIG_CODESET_BINARY;
	d[5] = SCSI_DESIG_ASSOC_LU | SCSI_DESIG_TYPE_NAA;
	d[7] = 16;
	memcpy(d + 8, naa, 16);
	put_be24(d + 29, bs);
}

/* Segments follow the CSCDs: add every CSCD first. */
static void xl_seg(struct xl *l, uint16_t si, uint16_t di, uint8_t flags,
		   uint16_t nblocks, uint64_t src_lba, uint64_t dst_lba)
{
	uint8_t *d = l->p + 16 + 32 * l->ncscd + 28 * l->nseg++;

	d[0] = SCSI_XCOPY_SEG_B2B;
	d[1] = flags;
	put_be16(d + 2, 24);
	put_be16(d + 4, si);
	put_be16(d + 6, di);
	put_be16(d + 10, nblocks);
	put_be64(d + 12, src_lba);
	put_be64(d + 20, dst_lba);
}

/* Header; returns the list length. */
static uint32_t xl_hdr(struct xl *l, uint8_t list_id, uint8_t usage)
{
	l->p[0] = list_id;
	l->p[1] = usage << 3;
	put_be16(l->p + 2, 32 * l->ncscd);
	put_be32(l->p + 8, 28 * l->nseg);
	return 16 + 32 * l->ncscd + 28 * l->nseg;
}

static int xcopy(struct sf *f, unsigned int itn, uint64_t lun,
		 const struct xl *l, uint32_t len, struct sf_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_EXTENDED_COPY;
	put_be32(c->cdb + 10, len);
	c->cdb_len = 16;
	c->out = l->p;
	c->out_len = len;
	return sf_run(f, itn, lun, c);
}

static int rcr(struct sf *f, unsigned int itn, uint8_t sa, uint8_t list_id,
	       uint8_t *b, uint32_t len, struct sf_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cdb[0] = SCSI_OP_RECEIVE_COPY_RESULTS;
	c->cdb[1] = sa;
	c->cdb[2] = list_id;
	put_be32(c->cdb + 10, len);
	c->cdb_len = 16;
	c->in = b;
	c->in_len = len;
	return sf_run(f, itn, 0, c);
}

static void assert_field(const struct sf_cmd *c, int field, bool cd)
{
	bool is_cd;
	int bit;

	assert_int_equal(sf_sense_field(c, &is_cd, &bit), field);
	assert_int_equal(is_cd, cd);
}

static void test_operating_parameters(void **state)
{
	struct sf *f = *state;
	uint8_t b[64], want[46] = { 0 };
	struct sf_cmd c;

	memset(b, 0xee, sizeof(b));
	assert_int_equal(rcr(f, 0, SCSI_RCR_OPERATING_PARAMS, 0, b, sizeof(b),
			     &c),
			 SAM_STAT_GOOD);
	put_be32(want, 42);
	put_be16(want + 8, XC_MAX_CSCDS);
	put_be16(want + 10, XC_MAX_SEGS);
	put_be32(want + 12, 1024);
	put_be32(want + 16, 32 * 1024 * 1024);
	put_be16(want + 34, 1);
	want[36] = 1;
	want[37] = 9;
	want[43] = 2;
	want[44] = 0x02;
	want[45] = 0xe4;
	assert_int_equal(c.data_in_len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	/* Truncated to the allocation length. */
	assert_int_equal(rcr(f, 0, SCSI_RCR_OPERATING_PARAMS, 0, b, 8, &c),
			 SAM_STAT_GOOD);
	assert_int_equal(c.data_in_len, 8);
	/* RECEIVE DATA (01h) and FAILED SEGMENT DETAILS (04h): not here. */
	rcr(f, 0, 0x01, 0, b, sizeof(b), &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_field(&c, 1, true);
	/* LID4 (EXTENDED COPY service action 01h) is not supported. */
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_EXTENDED_COPY;
	c.cdb[1] = 0x01;
	c.cdb_len = 16;
	sf_run(f, 0, 0, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_field(&c, 1, true);
}

static void test_inquiry_3pc(void **state)
{
	struct sf *f = *state;
	uint8_t b[96];
	struct sf_cmd c;

	sf_cdb6(&c, SCSI_OP_INQUIRY, 0, 0, 0, sizeof(b));
	c.in = b;
	c.in_len = sizeof(b);
	assert_int_equal(sf_run(f, 0, 0, &c), SAM_STAT_GOOD);
	assert_int_equal(b[5] & SCSI_INQ_3PC, SCSI_INQ_3PC);
}

/* Copy within LU 0, then from LU 0 to LU 1; media compared. */
static void test_copy_within_and_between(void **state)
{
	struct sf *f = *state;
	static uint8_t src[300 * 512], got[300 * 512], zero[300 * 512];
	uint8_t naa0[16], naa1[16];
	struct sf_cmd c;
	struct xl l;
	uint32_t len;

	get_naa(f, 0, 0, naa0);
	get_naa(f, 0, 1, naa1);
	sf_fill(src, sizeof(src), 7);
	sf_pwrite(f, 0, 10 * 512, src, sizeof(src));
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_cscd(&l, naa1, 512);
	xl_seg(&l, 0, 0, 0, 300, 10, 5000);
	xl_seg(&l, 0, 1, 0, 300, 10, 4096 - 300);
	len = xl_hdr(&l, 1, 3);
	/* Sent to LUN 1: the copy manager need not be source or target. */
	assert_int_equal(xcopy(f, 0, 1, &l, len, &c), SAM_STAT_GOOD);
	assert_false(c.completed_inline);
	sf_pread(f, 0, 5000 * 512, got, sizeof(got));
	assert_memory_equal(got, src, sizeof(src));
	sf_pread(f, 1, (4096 - 300) * 512, got, sizeof(got));
	assert_memory_equal(got, src, sizeof(src));
	/* Nothing around the destinations changed. */
	sf_pread(f, 0, 4700 * 512, got, sizeof(got));
	assert_memory_equal(got, zero, sizeof(got));
	/* Written with the destination's caching mode: WCE=1, no FUA. */
	assert_int_equal(tb_ctl.last_write_flags & SRPTD_IO_F_FUA, 0);
}

/* 4096-byte destination blocks from 512-byte source blocks (DC). */
static void test_copy_block_sizes(void **state)
{
	struct sf *f = *state;
	static uint8_t src[8192], got[8192];
	uint8_t naa0[16], naa2[16];
	struct sf_cmd c;
	struct xl l;
	uint32_t len;

	get_naa(f, 0, 0, naa0);
	get_naa(f, 0, 2, naa2);
	sf_fill(src, sizeof(src), 11);
	sf_pwrite(f, 0, 64 * 512, src, sizeof(src));
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_cscd(&l, naa2, 4096);
	/* DC=1: 2 destination blocks = 16 source blocks. */
	xl_seg(&l, 0, 1, SCSI_XCOPY_SEG_DC, 2, 64, 3);
	len = xl_hdr(&l, 0, 3);
	assert_int_equal(xcopy(f, 0, 0, &l, len, &c), SAM_STAT_GOOD);
	sf_pread(f, 2, 3 * 4096, got, sizeof(got));
	assert_memory_equal(got, src, sizeof(src));
	/* DC=0: 12 source blocks are 1.5 destination blocks. */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_cscd(&l, naa2, 4096);
	xl_seg(&l, 0, 1, 0, 12, 64, 3);
	len = xl_hdr(&l, 0, 3);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_field(&c, 16 + 64 + 10, false);
}

/*
 * Overlapping ranges on one LU, larger than one 1 MiB chunk, both ways:
 * the result is what a memmove would give (the source as it was).
 */
static void test_copy_overlap(void **state)
{
	struct sf *f = *state;
	const uint32_t n = 3000, bytes = n * 512;
	uint8_t *src = malloc(bytes), *got = malloc(bytes);
	uint8_t naa0[16];
	struct sf_cmd c;
	struct xl l;
	uint32_t len;
	int dir;

	get_naa(f, 0, 0, naa0);
	for (dir = 0; dir < 2; dir++) {
		uint64_t s = dir ? 1000 : 100, d = dir ? 100 : 1000;

		sf_fill(src, bytes, 20 + dir);
		sf_pwrite(f, 0, s * 512, src, bytes);
		xl_init(&l);
		xl_cscd(&l, naa0, 512);
		xl_seg(&l, 0, 0, 0, n, s, d);
		len = xl_hdr(&l, 0, 3);
		assert_int_equal(xcopy(f, 0, 0, &l, len, &c), SAM_STAT_GOOD);
		sf_pread(f, 0, d * 512, got, bytes);
		assert_memory_equal(got, src, bytes);
	}
	free(src);
	free(got);
}

/* Parameter list errors, each with its exact sense. */
static void test_param_errors(void **state)
{
	struct sf *f = *state;
	uint8_t naa0[16];
	struct sf_cmd c;
	struct xl l;
	uint32_t len, i;

	get_naa(f, 0, 0, naa0);
	/* Zero length: nothing happens, GOOD. */
	xl_init(&l);
	assert_int_equal(xcopy(f, 0, 0, &l, 0, &c), SAM_STAT_GOOD);
	/* Shorter than the header, or than the lists it announces. */
	xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 1, 0);
	xcopy(f, 0, 0, &l, 15, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	xcopy(f, 0, 0, &l, len - 1, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* Inline data is not supported. */
	put_be32(l.p + 12, 4);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_field(&c, 12, false);
	/* More CSCDs than reported. */
	xl_init(&l);
	for (i = 0; i <= XC_MAX_CSCDS; i++)
		xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 1, 0);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_TOO_MANY_TARGET_DESCS);
	/* More segments than reported. */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	for (i = 0; i <= XC_MAX_SEGS; i++)
		xl_seg(&l, 0, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 1, 0);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_TOO_MANY_SEGMENT_DESCS);
	/* Descriptor lists longer than MAXIMUM DESCRIPTOR LIST LENGTH. */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	for (i = 0; i < 36; i++)
		xl_seg(&l, 0, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 1, 0);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
	/* A CSCD type other than identification (E0h: FC N_Port_Name). */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 1, 0);
	l.p[16] = 0xe0;
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_UNSUPPORTED_TARGET_DESC);
	/* A segment type other than block to block (06h: stream). */
	l.p[16] = SCSI_XCOPY_CSCD_ID;
	l.p[48] = 0x06;
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_UNSUPPORTED_SEGMENT_DESC);
	/* Reserved LIST ID USAGE 01b. */
	l.p[48] = SCSI_XCOPY_SEG_B2B;
	l.p[1] = 1 << 3;
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	assert_field(&c, 1, false);
}

/*
 * Lists of one CSCD and one block-to-block segment that are wrong in one
 * field: the sense key, ASC/ASCQ and the field the sense points at (-1:
 * none) that SPC-4 6.4 (EXTENDED COPY) and 6.4.5 (copy errors) ask for.
 */
struct seg_case {
	const char *what;
	int cscd_lun; /* the LU whose NAA the CSCD names; -1: no LU has it */
	uint32_t block_size; /* the CSCD's DISK BLOCK LENGTH */
	uint16_t dst_index;
	uint16_t blocks;
	uint64_t src_lba, dst_lba;
	bool t10_designator; /* the CSCD's designator type set to T10 */
	uint8_t key;
	uint16_t asc;
	int field;
};

static const struct seg_case seg_cases[] = {
	{ "a DISK BLOCK LENGTH that is not the LU's", 0, 4096, 0, 8, 0, 100,
	  false, SCSI_SK_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST,
	  16 + 29 },
	{ "over MAXIMUM SEGMENT LENGTH: 65535 blocks of 4096 bytes", 2, 4096, 0,
	  65535, 0, 0, false, SCSI_SK_ILLEGAL_REQUEST,
	  SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST, 16 + 32 + 10 },
	{ "the source range runs past the end of the LU", 0, 512, 0, 65535, 0,
	  0, false, SCSI_SK_COPY_ABORTED, SCSI_ASC_NO_ADDITIONAL_SENSE,
	  16 + 32 + 12 },
	{ "the destination range runs past the end of the LU", 0, 512, 0, 2048,
	  0, LU0_BLOCKS - 1, false, SCSI_SK_COPY_ABORTED,
	  SCSI_ASC_NO_ADDITIONAL_SENSE, 16 + 32 + 20 },
	{ "a destination index past the CSCD list", 0, 512, 1, 8, 0, 100, false,
	  SCSI_SK_COPY_ABORTED, SCSI_ASC_COPY_TARGET_NOT_REACHABLE,
	  16 + 32 + 6 },
	{ "a NAA no LU has", -1, 512, 0, 8, 0, 100, false, SCSI_SK_COPY_ABORTED,
	  SCSI_ASC_COPY_TARGET_NOT_REACHABLE, -1 },
	{ "a designator that is not an NAA (T10 vendor id)", 0, 512, 0, 8, 0,
	  100, true, SCSI_SK_COPY_ABORTED, SCSI_ASC_COPY_TARGET_NOT_REACHABLE,
	  -1 },
};

static void test_segment_errors(void **state)
{
	struct sf *f = *state;
	uint8_t naa[16];
	struct sf_cmd c;
	struct xl l;
	uint32_t len;

	for (size_t i = 0; i < ARRAY_SIZE(seg_cases); i++) {
		const struct seg_case *t = &seg_cases[i];

		print_message("%s\n", t->what);
		if (t->cscd_lun < 0) {
			memset(naa, 0, sizeof(naa));
			naa[0] = 0x60;
			naa[1] = 1;
			naa[2] = 2;
			naa[3] = 3;
		} else {
			get_naa(f, 0, (uint64_t)t->cscd_lun, naa);
		}
		xl_init(&l);
		xl_cscd(&l, naa, t->block_size);
		xl_seg(&l, 0, t->dst_index, 0, t->blocks, t->src_lba,
		       t->dst_lba);
		len = xl_hdr(&l, 1, 0);
		if (t->t10_designator)
			l.p[21] = SCSI_DESIG_TYPE_T10;
		xcopy(f, 0, 0, &l, len, &c);
		sf_assert_sense(&c, t->key, t->asc);
		if (t->field >= 0)
			assert_field(&c, t->field, false);
	}
}

/* Only LUs the nexus sees; write protect and reservations of targets. */
static void test_access(void **state)
{
	struct sf *f = *state;
	uint8_t naa0[16], naa1[16], naa3[16], pr[24] = { 0 };
	struct sf_cmd c;
	struct xl l;
	uint32_t len;

	get_naa(f, 0, 0, naa0);
	get_naa(f, 0, 1, naa1);
	get_naa(f, 1, 3, naa3);
	/* LU 3 exists but nexus 0 does not see it. */
	xl_init(&l);
	xl_cscd(&l, naa3, 512);
	xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 1, 0, 8, 0, 100);
	len = xl_hdr(&l, 0, 3);
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_COPY_ABORTED,
			SCSI_ASC_COPY_TARGET_NOT_REACHABLE);
	/* Nexus 1 sees it, and LU 1 read-only: a copy into it fails. */
	assert_int_equal(xcopy(f, 1, 0, &l, len, &c), SAM_STAT_GOOD);
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_cscd(&l, naa1, 512);
	xl_seg(&l, 0, 1, 0, 8, 0, 100);
	len = xl_hdr(&l, 0, 3);
	xcopy(f, 1, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_DATA_PROTECT, SCSI_ASC_WRITE_PROTECTED);
	/* ... but it may be the source. */
	l.nseg = 0;
	xl_seg(&l, 1, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 0, 3);
	assert_int_equal(xcopy(f, 1, 0, &l, len, &c), SAM_STAT_GOOD);
	/* Nexus 1 holds WRITE EXCLUSIVE on LU 0: nexus 0 may not write it. */
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_PERSISTENT_RESERVE_OUT;
	c.cdb[1] = SCSI_PROUT_REGISTER;
	put_be32(c.cdb + 5, 24);
	c.cdb_len = 10;
	put_be64(pr + 8, 0x77);
	c.out = pr;
	c.out_len = 24;
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	c.cdb[1] = SCSI_PROUT_RESERVE;
	c.cdb[2] = SCSI_PR_TYPE_WE;
	put_be64(pr, 0x77);
	put_be64(pr + 8, 0);
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
	/* From LU 0 to LU 1 (read allowed under WE), sent to LUN 1: GOOD. */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_cscd(&l, naa1, 512);
	xl_seg(&l, 0, 1, 0, 8, 0, 100);
	len = xl_hdr(&l, 0, 3);
	assert_int_equal(xcopy(f, 0, 1, &l, len, &c), SAM_STAT_GOOD);
	/* Into LU 0: conflict, though the command went to LUN 1. */
	l.nseg = 0;
	xl_seg(&l, 1, 0, 0, 8, 0, 100);
	len = xl_hdr(&l, 0, 3);
	assert_int_equal(xcopy(f, 0, 1, &l, len, &c),
			 SAM_STAT_RESERVATION_CONFLICT);
	memset(&c, 0, sizeof(c));
	c.cdb[0] = SCSI_OP_PERSISTENT_RESERVE_OUT;
	c.cdb[1] = SCSI_PROUT_CLEAR;
	put_be32(c.cdb + 5, 24);
	c.cdb_len = 10;
	put_be64(pr, 0x77);
	c.out = pr;
	c.out_len = 24;
	assert_int_equal(sf_run(f, 1, 0, &c), SAM_STAT_GOOD);
}

/* COPY STATUS of held results; a copy target's I/O error. */
static void test_copy_status(void **state)
{
	struct sf *f = *state;
	uint8_t naa0[16], b[32], want[12] = { 0 };
	struct sf_cmd c;
	struct xl l;
	uint32_t len;

	get_naa(f, 0, 0, naa0);
	/* No copy with list id 5 yet. */
	rcr(f, 0, SCSI_RCR_COPY_STATUS, 5, b, sizeof(b), &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	assert_field(&c, 2, true);
	/* LIST ID USAGE 00b: held. */
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 0, 0, 16, 0, 100);
	xl_seg(&l, 0, 0, 0, 0, 0, 100); /* empty: processed, no data */
	xl_seg(&l, 0, 0, 0, 4, 0, 200);
	len = xl_hdr(&l, 5, 0);
	assert_int_equal(xcopy(f, 0, 0, &l, len, &c), SAM_STAT_GOOD);
	assert_int_equal(rcr(f, 0, SCSI_RCR_COPY_STATUS, 5, b, sizeof(b), &c),
			 SAM_STAT_GOOD);
	put_be32(want, 8);
	want[4] = 0x01; /* completed without errors */
	put_be16(want + 5, 3);
	put_be32(want + 8, 20 * 512);
	assert_int_equal(c.data_in_len, 12);
	assert_memory_equal(b, want, 12);
	/* Another nexus has no copy with list id 5. */
	rcr(f, 1, SCSI_RCR_COPY_STATUS, 5, b, sizeof(b), &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* A write error of the destination: COPY ABORTED, status 02h. */
	tb_ctl.fault_op = SRPTD_IO_WRITE;
	tb_ctl.fault_err = -EIO;
	xcopy(f, 0, 0, &l, len, &c);
	tb_reset();
	sf_assert_sense(&c, SCSI_SK_COPY_ABORTED,
			SCSI_ASC_THIRD_PARTY_DEVICE_FAILURE);
	assert_int_equal(rcr(f, 0, SCSI_RCR_COPY_STATUS, 5, b, sizeof(b), &c),
			 SAM_STAT_GOOD);
	want[4] = 0x02;
	put_be16(want + 5, 0);
	put_be32(want + 8, 0);
	assert_memory_equal(b, want, 12);
	/* A list rejected before any data moved leaves nothing held. */
	put_be24(l.p + 16 + 29, 4096); /* DISK BLOCK LENGTH */
	xcopy(f, 0, 0, &l, len, &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST);
	rcr(f, 0, SCSI_RCR_COPY_STATUS, 5, b, sizeof(b), &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
	/* LIST ID USAGE 11b: not held. */
	put_be24(l.p + 16 + 29, 512);
	len = xl_hdr(&l, 6, 3);
	assert_int_equal(xcopy(f, 0, 0, &l, len, &c), SAM_STAT_GOOD);
	rcr(f, 0, SCSI_RCR_COPY_STATUS, 6, b, sizeof(b), &c);
	sf_assert_sense(&c, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_INVALID_FIELD_IN_CDB);
}

/* A list id in use by a running copy of the same nexus is refused. */
static void test_list_id_in_use(void **state)
{
	struct sf *f = *state;
	uint8_t naa0[16];
	struct sf_cmd c1, c2;
	struct sf_async a;
	struct xl l;
	uint32_t len;

	get_naa(f, 0, 0, naa0);
	xl_init(&l);
	xl_cscd(&l, naa0, 512);
	xl_seg(&l, 0, 0, 0, 16, 0, 100);
	len = xl_hdr(&l, 9, 0);
	memset(&c1, 0, sizeof(c1));
	c1.cdb[0] = SCSI_OP_EXTENDED_COPY;
	put_be32(c1.cdb + 10, len);
	c1.cdb_len = 16;
	c1.out = l.p;
	c1.out_len = len;
	tb_ctl.hold = true;
	sf_start(f->w, f->itn[0], 0, &c1, &a);
	assert_false(a.done);
	xcopy(f, 0, 0, &l, len, &c2);
	sf_assert_sense(&c2, SCSI_SK_ILLEGAL_REQUEST,
			SCSI_ASC_OPERATION_IN_PROGRESS);
	tb_ctl.hold = false;
	sf_wait(f->w, &a);
	assert_int_equal(c1.status, SAM_STAT_GOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_operating_parameters,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_3pc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_copy_within_and_between,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_block_sizes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_copy_overlap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_param_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segment_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_id_in_use, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
