/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SBC-3 block commands: READ/WRITE 6/10/12/16, WRITE AND VERIFY, VERIFY,
 * PRE-FETCH, SYNCHRONIZE CACHE, WRITE SAME, UNMAP, COMPARE AND WRITE, READ CAPACITY,
 * START STOP UNIT.  Parse computes LBA/length and checks them against the
 * capacity; execute builds struct srptd_io and submits it through the
 * worker's backend context.  Multi-step commands (VERIFY with BYTCHK,
 * WRITE SAME replication, UNMAP descriptor lists, COMPARE AND WRITE)
 * continue from the I/O completion through c->resume.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_int.h"
#include "util.h"

/* ---- parse ---- */

/*
 * SBC-3 4.5 / 5.x: the LBA must lie within the capacity even for a zero
 * transfer length, and LBA + length must not pass its end (computed
 * without overflow, so LBA + length wrapping 2^64 is caught too).
 */
static enum scsi_sr sbc_check_range(struct scsi_task *t, struct scsi_cmd *c,
				    uint64_t lba, uint64_t n)
{
	uint64_t cap = scsi_lu_nblocks(t->worker, c->lu);

	if (lba >= cap || n > cap - lba)
		return SCSI_SR_LBA_OUT_OF_RANGE;
	return SCSI_SR_OK;
}

/*
 * Range + transfer size; sets lba, nblocks, dir and xfer_len.  Inlined
 * into each READ/WRITE/VERIFY parse: a call per command was a few
 * percent of the engine's instructions per 4K READ (doc/performance.md
 * "Host loopback guard").
 */
__attribute__((always_inline)) static inline enum scsi_sr
sbc_setup(struct scsi_task *t, struct scsi_cmd *c, uint64_t lba, uint64_t n,
	  unsigned int len_field)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t bytes = n * bs;
	enum scsi_sr sr;

	sr = sbc_check_range(t, c, lba, n);
	if (sr != SCSI_SR_OK)
		return sr;
	/*
	 * SBC-3 6.5.3: more than MAXIMUM TRANSFER LENGTH -> INVALID FIELD;
	 * without one, more than the 32-bit transfer length.  A limit is at
	 * most UINT32_MAX, so one compare with either is both tests.
	 */
	if (bytes >
	    (c->lu->max_xfer_bytes ? c->lu->max_xfer_bytes : UINT32_MAX))
		return scsi_invalid_cdb(c, len_field, -1);
	c->lba = lba;
	c->nblocks = n;
	t->xfer_len = bytes;
	if (!n)
		t->dir = SCSI_DIR_NONE;
	else
		t->dir = (c->op->flags & SCSI_OPF_WRITE) ? SCSI_DIR_WRITE :
							   SCSI_DIR_READ;
	return SCSI_SR_OK;
}

static void sbc_parse_fua(struct scsi_task *t, struct scsi_cmd *c)
{
	/* The FUA bit, or an opcode that is always FUA (WRITE AND VERIFY). */
	if ((t->cdb[1] & 0x08) || (c->op->flags & SCSI_OPF_FUA))
		c->flags |= SCSI_CMD_F_FUA;
}

enum scsi_sr sbc_parse_rw6(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t n = t->cdb[4] ? t->cdb[4] : 256; /* SBC-3 5.9: 0 = 256 */

	return sbc_setup(t, c, get_be24(t->cdb + 1) & 0x1fffff, n, 4);
}

enum scsi_sr sbc_parse_rw10(struct scsi_task *t, struct scsi_cmd *c)
{
	sbc_parse_fua(t, c);
	return sbc_setup(t, c, get_be32(t->cdb + SCSI_CDB10_LBA),
			 get_be16(t->cdb + SCSI_CDB10_LEN), SCSI_CDB10_LEN);
}

enum scsi_sr sbc_parse_rw12(struct scsi_task *t, struct scsi_cmd *c)
{
	sbc_parse_fua(t, c);
	return sbc_setup(t, c, get_be32(t->cdb + SCSI_CDB12_LBA),
			 get_be32(t->cdb + SCSI_CDB12_LEN), SCSI_CDB12_LEN);
}

enum scsi_sr sbc_parse_rw16(struct scsi_task *t, struct scsi_cmd *c)
{
	sbc_parse_fua(t, c);
	return sbc_setup(t, c, get_be64(t->cdb + SCSI_CDB16_LBA),
			 get_be32(t->cdb + SCSI_CDB16_LEN), SCSI_CDB16_LEN);
}

/*
 * VERIFY(10)/(12)/(16), SBC-3 5.33-5.35: BYTCHK 0 = medium check, 1 =
 * compare.
 */
enum scsi_sr sbc_parse_verify(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t bytchk = (t->cdb[1] >> 1) & 3;
	enum scsi_sr sr;

	if (bytchk > 1)
		return scsi_invalid_cdb(c, 1, 2);
	if (t->cdb[0] == SCSI_OP_VERIFY_16)
		sr = sbc_setup(t, c, get_be64(t->cdb + SCSI_CDB16_LBA),
			       get_be32(t->cdb + SCSI_CDB16_LEN),
			       SCSI_CDB16_LEN);
	else if (t->cdb[0] == SCSI_OP_VERIFY_12)
		sr = sbc_setup(t, c, get_be32(t->cdb + SCSI_CDB12_LBA),
			       get_be32(t->cdb + SCSI_CDB12_LEN),
			       SCSI_CDB12_LEN);
	else
		sr = sbc_setup(t, c, get_be32(t->cdb + SCSI_CDB10_LBA),
			       get_be16(t->cdb + SCSI_CDB10_LEN),
			       SCSI_CDB10_LEN);
	if (sr != SCSI_SR_OK)
		return sr;
	if (bytchk) {
		c->flags |= SCSI_CMD_F_BYTCHK;
		t->dir = c->nblocks ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	} else {
		t->dir = SCSI_DIR_NONE;
		t->xfer_len = 0;
	}
	return SCSI_SR_OK;
}

/* SYNCHRONIZE CACHE: range checked, no data; 0 blocks = to the end. */
enum scsi_sr sbc_parse_sync(struct scsi_task *t, struct scsi_cmd *c)
{
	bool sixteen = t->cdb[0] == SCSI_OP_SYNCHRONIZE_CACHE_16;
	uint64_t lba = sixteen ? get_be64(t->cdb + 2) : get_be32(t->cdb + 2);
	uint64_t n = sixteen ? get_be32(t->cdb + 10) : get_be16(t->cdb + 7);

	return sbc_check_range(t, c, lba, n);
}

/*
 * PRE-FETCH(10)/(16), SBC-3 5.10/5.11: range checked, no data.  srptd
 * keeps no cache of its own, so no block is transferred into one: with
 * IMMED 0 that is GOOD status (CONDITION MET would say they all were),
 * and IMMED 1 is GOOD after the checks anyway.
 */
enum scsi_sr sbc_parse_prefetch(struct scsi_task *t, struct scsi_cmd *c)
{
	bool sixteen = t->cdb[0] == SCSI_OP_PRE_FETCH_16;
	uint64_t lba = sixteen ? get_be64(t->cdb + 2) : get_be32(t->cdb + 2);
	uint64_t n = sixteen ? get_be32(t->cdb + 10) : get_be16(t->cdb + 7);

	return sbc_check_range(t, c, lba, n);
}

/* WRITE SAME(10)/(16), SBC-3 5.42/5.43. */
enum scsi_sr sbc_parse_write_same(struct scsi_task *t, struct scsi_cmd *c)
{
	bool sixteen = t->cdb[0] == SCSI_OP_WRITE_SAME_16;
	uint64_t lba = sixteen ? get_be64(t->cdb + 2) : get_be32(t->cdb + 2);
	uint64_t n = sixteen ? get_be32(t->cdb + 10) : get_be16(t->cdb + 7);
	unsigned int lenf = sixteen ? 10 : 7;
	enum scsi_sr sr;

	/* WSNZ = 1 in VPD 0xB0: zero blocks is not "to the end". */
	if (!n || n > SCSI_MAX_WRITE_SAME_LBAS)
		return scsi_invalid_cdb(c, lenf, -1);
	sr = sbc_check_range(t, c, lba, n);
	if (sr != SCSI_SR_OK)
		return sr;
	c->lba = lba;
	c->nblocks = n;
	if (t->cdb[1] & 0x08)
		c->flags |= SCSI_CMD_F_UNMAP;
	if (sixteen && (t->cdb[1] & 0x01)) {
		c->flags |= SCSI_CMD_F_NDOB; /* no data-out: zeroes */
		return SCSI_SR_OK;
	}
	t->dir = SCSI_DIR_WRITE;
	t->xfer_len = c->lu->bdev->block_size;
	return SCSI_SR_OK;
}

/* COMPARE AND WRITE, SBC-3 5.2: 2 x NUMBER OF LOGICAL BLOCKS of data. */
enum scsi_sr sbc_parse_caw(struct scsi_task *t, struct scsi_cmd *c)
{
	uint64_t lba = get_be64(t->cdb + 2);
	uint32_t n = t->cdb[13];
	enum scsi_sr sr;

	if (n > SCSI_MAX_CAW_BLOCKS)
		return scsi_invalid_cdb(c, 13, -1);
	sr = sbc_check_range(t, c, lba, n);
	if (sr != SCSI_SR_OK)
		return sr;
	sbc_parse_fua(t, c);
	c->lba = lba;
	c->nblocks = n;
	t->xfer_len = 2 * n * c->lu->bdev->block_size;
	t->dir = n ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	return SCSI_SR_OK;
}

enum scsi_sr sbc_parse_unmap(struct scsi_task *t, struct scsi_cmd *c)
{
	/* Only advertised (LBPU) when the device can discard. */
	if (!c->lu->bdev->can_discard)
		return SCSI_SR_INVALID_OPCODE;
	return scsi_parse_param_16(t, c);
}

enum scsi_sr sbc_parse_rc10(struct scsi_task *t, struct scsi_cmd *c)
{
	/* SBC-3 5.15: PMI = 0 requires LOGICAL BLOCK ADDRESS = 0. */
	if (!(t->cdb[8] & 1) && get_be32(t->cdb + 2))
		return scsi_invalid_cdb(c, 2, -1);
	c->alloc_len = SCSI_RC10_LEN;
	t->xfer_len = SCSI_RC10_LEN;
	t->dir = SCSI_DIR_READ;
	return SCSI_SR_OK;
}

enum scsi_sr sbc_parse_rc16(struct scsi_task *t, struct scsi_cmd *c)
{
	if (!(t->cdb[14] & 1) && get_be64(t->cdb + 2))
		return scsi_invalid_cdb(c, 2, -1);
	return scsi_parse_alloc_32(t, c);
}

/* ---- helpers ---- */

static bool sbc_fua(const struct scsi_cmd *c)
{
	return (c->flags & SCSI_CMD_F_FUA) || !atomic_load(&c->lu->wce);
}

static void sbc_io(struct scsi_task *t, struct scsi_cmd *c, enum srptd_io_op op,
		   uint64_t lba, uint64_t nblocks, bool bounce)
{
	struct srptd_io *io = &c->io;
	uint32_t bs = c->lu->bdev->block_size;

	/*
	 * Each field the caller owns is stored, not the whole struct zeroed:
	 * every READ and WRITE passes here, and the zeroing of engine_priv
	 * (the engine's scratch, which it sets itself) was a dozen
	 * instructions per command (doc/performance.md "Host loopback
	 * guard").  complete and cb_arg are scsi_submit_io()'s, stored there
	 * (lu.c) before the engine sees io: every sbc_io() is followed by it.
	 */
	io->op = op;
	io->flags = 0;
	io->bdev = c->lu->bdev;
	io->offset = lba * bs;
	io->length = nblocks * bs;
	io->iov = NULL;
	io->iovcnt = 0;
	io->miscompare = 0;
	if ((op == SRPTD_IO_WRITE || op == SRPTD_IO_COMPARE_WRITE) &&
	    sbc_fua(c))
		io->flags |= SRPTD_IO_F_FUA;
	if (op == SRPTD_IO_READ || op == SRPTD_IO_WRITE) {
		if (bounce) {
			c->biov.iov_base = c->bounce;
			c->biov.iov_len = io->length;
			io->iov = &c->biov;
			io->iovcnt = 1;
		} else {
			io->iov = t->iov;
			io->iovcnt = t->iovcnt;
		}
	}
}

static int sbc_bounce(struct scsi_cmd *c, size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len ? len : 1))
		return -ENOMEM;
	c->bounce = p;
	c->bounce_len = len;
	return 0;
}

/* ---- READ / WRITE ---- */

enum scsi_sr sbc_read(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t n = c->nblocks;

	if (!n)
		return SCSI_SR_OK;
	/* Short initiator buffer: return the whole blocks that fit. */
	if (t->buf_len < t->xfer_len)
		n = t->buf_len / bs;
	if (!n)
		return SCSI_SR_OK;
	c->resume = NULL;
	sbc_io(t, c, SRPTD_IO_READ, c->lba, n, false);
	return scsi_submit_io(t, c);
}

/* Runs first and again each time a blocking range is released. */
static enum scsi_sr sbc_write_locked(struct scsi_task *t, struct scsi_cmd *c)
{
	if (!scsi_range_acquire(t, c))
		return SCSI_SR_ASYNC;
	c->resume = NULL;
	sbc_io(t, c, SRPTD_IO_WRITE, c->lba, c->nblocks, false);
	return scsi_submit_io(t, c);
}

enum scsi_sr sbc_write(struct scsi_task *t, struct scsi_cmd *c)
{
	if (!c->nblocks)
		return SCSI_SR_OK;
	if (t->buf_len < t->xfer_len)
		return SCSI_SR_DATA_PHASE_ERROR;
	c->resume = sbc_write_locked;
	return sbc_write_locked(t, c);
}

/* ---- VERIFY ---- */

static enum scsi_sr sbc_verify_next(struct scsi_task *t, struct scsi_cmd *c);

static enum scsi_sr sbc_verify_done(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t len = c->io.length, off = c->pos * bs, i;

	if (c->flags & SCSI_CMD_F_BYTCHK) {
		uint8_t *want = t->worker->scratch;

		/* Compare in scratch-sized pieces against the data-out. */
		for (i = 0; i < len;) {
			size_t piece = MIN(len - i, (uint64_t)SCSI_SCRATCH_LEN);
			size_t j;

			scsi_iov_copy_from(t, off + i, want, piece);
			if (memcmp(want, c->bounce + i, piece)) {
				for (j = 0; want[j] == c->bounce[i + j]; j++)
					;
				c->info = off + i + j;
				c->flags |= SCSI_CMD_F_INFO;
				return SCSI_SR_MISCOMPARE;
			}
			i += piece;
		}
	}
	c->pos += len / bs;
	return sbc_verify_next(t, c);
}

static enum scsi_sr sbc_verify_next(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t n;

	if (c->pos >= c->nblocks)
		return SCSI_SR_OK;
	n = MIN((uint64_t)(c->nblocks - c->pos), c->bounce_len / bs);
	c->resume = sbc_verify_done;
	sbc_io(t, c, SRPTD_IO_READ, c->lba + c->pos, n, true);
	return scsi_submit_io(t, c);
}

enum scsi_sr sbc_verify(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t chunk = MAX((uint64_t)bs, (uint64_t)SCSI_CHUNK_BYTES);

	if (!c->nblocks)
		return SCSI_SR_OK;
	if ((c->flags & SCSI_CMD_F_BYTCHK) && t->buf_len < t->xfer_len)
		return SCSI_SR_DATA_PHASE_ERROR;
	if (sbc_bounce(c, MIN(chunk, (uint64_t)c->nblocks * bs)))
		return SCSI_SR_INTERNAL_FAILURE;
	c->pos = 0;
	return sbc_verify_next(t, c);
}

/* ---- SYNCHRONIZE CACHE, START STOP UNIT ---- */

enum scsi_sr sbc_sync_cache(struct scsi_task *t, struct scsi_cmd *c)
{
	c->resume = NULL;
	sbc_io(t, c, SRPTD_IO_FLUSH, 0, 0, false);
	return scsi_submit_io(t, c);
}

enum scsi_sr sbc_prefetch(struct scsi_task *t, struct scsi_cmd *c)
{
	return SCSI_SR_OK; /* see sbc_parse_prefetch() */
}

enum scsi_sr sbc_start_stop(struct scsi_task *t, struct scsi_cmd *c)
{
	/* A virtual disk has no spindle: accept and do nothing. */
	return SCSI_SR_OK;
}

/* ---- WRITE SAME ---- */

static enum scsi_sr sbc_ws_next(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t n;

	if (c->pos >= c->nblocks)
		return SCSI_SR_OK;
	n = MIN((uint64_t)(c->nblocks - c->pos), c->bounce_len / bs);
	sbc_io(t, c, SRPTD_IO_WRITE, c->lba + c->pos, n, true);
	c->pos += n;
	c->resume = sbc_ws_next;
	return scsi_submit_io(t, c);
}

/* Replicate the block through a chunk-sized bounce buffer. */
static enum scsi_sr sbc_ws_replicate(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;
	uint64_t chunk = MIN((uint64_t)c->nblocks * bs,
			     MAX((uint64_t)bs, (uint64_t)SCSI_CHUNK_BYTES));
	uint8_t *blk = c->bounce;
	uint64_t i;

	if (sbc_bounce(c, chunk)) {
		c->bounce = blk;
		return SCSI_SR_INTERNAL_FAILURE;
	}
	for (i = 0; i < chunk; i += bs)
		memcpy(c->bounce + i, blk, bs);
	free(blk);
	c->pos = 0;
	return sbc_ws_next(t, c);
}

/* A DISCARD / WRITE ZEROES finished or was refused. */
static enum scsi_sr sbc_ws_fast_done(struct scsi_task *t, struct scsi_cmd *c)
{
	if (c->submit_err == -EOPNOTSUPP)
		return sbc_ws_replicate(t, c);
	return SCSI_SR_OK;
}

static enum scsi_sr sbc_ws_locked(struct scsi_task *t, struct scsi_cmd *c)
{
	struct srptd_bdev *bd = c->lu->bdev;
	uint32_t bs = bd->block_size, i;
	bool zero = true;
	enum scsi_sr sr;

	if (!scsi_range_acquire(t, c))
		return SCSI_SR_ASYNC;
	for (i = 0; i < bs; i++)
		if (c->bounce[i]) {
			zero = false;
			break;
		}
	if (zero) {
		/*
		 * SBC-3 5.43 / 4.7.3.4: with UNMAP set the LBAs may be
		 * deallocated if they then read back as this (zero) data;
		 * without it, zeroes may still be written efficiently.
		 */
		bool unmap = (c->flags & SCSI_CMD_F_UNMAP) && bd->can_discard &&
			     bd->discard_zeroes;

		c->resume = sbc_ws_fast_done;
		c->flags |= SCSI_CMD_F_SOFT_FAIL;
		sbc_io(t, c, unmap ? SRPTD_IO_DISCARD : SRPTD_IO_WRITE_ZEROES,
		       c->lba, c->nblocks, false);
		sr = scsi_submit_io(t, c);
		if (sr == SCSI_SR_ASYNC || c->submit_err != -EOPNOTSUPP)
			return sr;
		c->flags &= ~SCSI_CMD_F_SOFT_FAIL;
	}
	return sbc_ws_replicate(t, c);
}

enum scsi_sr sbc_write_same(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t bs = c->lu->bdev->block_size;

	if (sbc_bounce(c, bs))
		return SCSI_SR_INTERNAL_FAILURE;
	if (c->flags & SCSI_CMD_F_NDOB)
		memset(c->bounce, 0, bs);
	else if (scsi_iov_copy_from(t, 0, c->bounce, bs) < bs)
		return SCSI_SR_DATA_PHASE_ERROR;
	c->resume = sbc_ws_locked;
	return sbc_ws_locked(t, c);
}

/* ---- UNMAP (SBC-3 5.28) ---- */

static enum scsi_sr sbc_unmap_next(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t d[SCSI_UNMAP_DESC_LEN];

	/* c->pos: next descriptor; c->step: descriptor count. */
	while (c->pos < c->step) {
		uint64_t lba;
		uint32_t n;

		scsi_iov_copy_from(
			t, SCSI_UNMAP_HDR_LEN + c->pos * SCSI_UNMAP_DESC_LEN, d,
			sizeof(d));
		c->pos++;
		lba = get_be64(d);
		n = get_be32(d + 8);
		if (!n)
			continue;
		sbc_io(t, c, SRPTD_IO_DISCARD, lba, n, false);
		c->resume = sbc_unmap_next;
		return scsi_submit_io(t, c);
	}
	return SCSI_SR_OK;
}

static enum scsi_sr sbc_unmap_locked(struct scsi_task *t, struct scsi_cmd *c)
{
	if (!scsi_range_acquire(t, c))
		return SCSI_SR_ASYNC;
	c->pos = 0;
	return sbc_unmap_next(t, c);
}

enum scsi_sr sbc_unmap(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = t->xfer_len, dl, bdl, i, nd;
	uint64_t cap = scsi_lu_nblocks(t->worker, c->lu), lo = UINT64_MAX,
		 hi = 0;
	uint8_t hdr[SCSI_UNMAP_HDR_LEN], d[SCSI_UNMAP_DESC_LEN];

	if (!len)
		return SCSI_SR_OK; /* SBC-3 5.28: not an error */
	if (len < SCSI_UNMAP_HDR_LEN)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (scsi_iov_copy_from(t, 0, hdr, sizeof(hdr)) < sizeof(hdr))
		return SCSI_SR_PARAM_LIST_LENGTH;
	dl = get_be16(hdr);
	bdl = get_be16(hdr + 2);
	if (dl > len - 2 || bdl > len - SCSI_UNMAP_HDR_LEN)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (bdl % SCSI_UNMAP_DESC_LEN)
		return scsi_invalid_param(c, 2, -1);
	nd = bdl / SCSI_UNMAP_DESC_LEN;
	if (nd > SCSI_MAX_UNMAP_DESCS)
		return scsi_invalid_param(c, 2, -1);
	if (t->buf_len < SCSI_UNMAP_HDR_LEN + bdl)
		return SCSI_SR_DATA_PHASE_ERROR;
	/* Validate every descriptor before deallocating anything. */
	for (i = 0; i < nd; i++) {
		uint32_t off = SCSI_UNMAP_HDR_LEN + i * SCSI_UNMAP_DESC_LEN;
		uint64_t lba;
		uint32_t n;

		scsi_iov_copy_from(t, off, d, sizeof(d));
		lba = get_be64(d);
		n = get_be32(d + 8);
		if (n > SCSI_MAX_UNMAP_LBAS)
			return scsi_invalid_param(c, off + 8, -1);
		if (lba > cap || n > cap - lba)
			return SCSI_SR_LBA_OUT_OF_RANGE;
		if (n) {
			lo = MIN(lo, lba);
			hi = MAX(hi, lba + n);
		}
	}
	if (lo == UINT64_MAX)
		return SCSI_SR_OK;
	/* One range lock over the hull of all descriptors. */
	c->lba = lo;
	c->nblocks = hi - lo > UINT32_MAX ? UINT32_MAX : hi - lo;
	c->step = nd;
	c->resume = sbc_unmap_locked;
	return sbc_unmap_locked(t, c);
}

/* ---- COMPARE AND WRITE (SBC-3 5.2) ---- */

static enum scsi_sr sbc_caw_written(struct scsi_task *t, struct scsi_cmd *c)
{
	return SCSI_SR_OK;
}

static enum scsi_sr sbc_caw_compare(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = c->nblocks * c->lu->bdev->block_size, i;
	uint8_t *want = c->bounce + len;

	/* Verify instance: first half of the data-out. */
	scsi_iov_copy_from(t, 0, want, len);
	if (memcmp(want, c->bounce, len)) {
		for (i = 0; want[i] == c->bounce[i]; i++)
			;
		c->info = i;
		c->flags |= SCSI_CMD_F_INFO;
		return SCSI_SR_MISCOMPARE;
	}
	/* Write instance: second half, written under the same range. */
	scsi_iov_copy_from(t, len, c->bounce, len);
	sbc_io(t, c, SRPTD_IO_WRITE, c->lba, c->nblocks, true);
	c->resume = sbc_caw_written;
	return scsi_submit_io(t, c);
}

/* Our own read-compare-write, atomic under the range lock only. */
static enum scsi_sr sbc_caw_local(struct scsi_task *t, struct scsi_cmd *c)
{
	sbc_io(t, c, SRPTD_IO_READ, c->lba, c->nblocks, true);
	c->resume = sbc_caw_compare;
	return scsi_submit_io(t, c);
}

/* The engine's compare-and-write finished or refused the range. */
static enum scsi_sr sbc_caw_engine_done(struct scsi_task *t, struct scsi_cmd *c)
{
	if (c->submit_err == -EOPNOTSUPP)
		return sbc_caw_local(t, c);
	return SCSI_SR_OK;
}

/*
 * Under the LU range lock, which keeps the CAW atomic against this
 * srptd's other commands.  An engine that compares and writes in the
 * store itself (an RBD image: doc/ceph.md) makes it atomic against other
 * hosts too; -EILSEQ from it is the MISCOMPARE (scsi_io_done()).
 */
static enum scsi_sr sbc_caw_locked(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = c->nblocks * c->lu->bdev->block_size;
	enum scsi_sr sr;

	if (!scsi_range_acquire(t, c))
		return SCSI_SR_ASYNC;
	if (!c->lu->bdev->can_compare_write)
		return sbc_caw_local(t, c);
	scsi_iov_copy_from(t, 0, c->bounce, 2 * len);
	sbc_io(t, c, SRPTD_IO_COMPARE_WRITE, c->lba, c->nblocks, false);
	c->biov.iov_base = c->bounce;
	c->biov.iov_len = 2 * len;
	c->io.iov = &c->biov;
	c->io.iovcnt = 1;
	c->resume = sbc_caw_engine_done;
	c->flags |= SCSI_CMD_F_SOFT_FAIL;
	sr = scsi_submit_io(t, c);
	if (sr == SCSI_SR_ASYNC || c->submit_err != -EOPNOTSUPP)
		return sr;
	c->flags &= ~SCSI_CMD_F_SOFT_FAIL;
	return sbc_caw_local(t, c);
}

enum scsi_sr sbc_caw(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = c->nblocks * c->lu->bdev->block_size;

	if (!c->nblocks)
		return SCSI_SR_OK;
	if (t->buf_len < t->xfer_len)
		return SCSI_SR_DATA_PHASE_ERROR;
	if (sbc_bounce(c, 2 * len))
		return SCSI_SR_INTERNAL_FAILURE;
	c->resume = sbc_caw_locked;
	return sbc_caw_locked(t, c);
}

/* ---- READ CAPACITY (SBC-3 5.15, 5.16) ---- */

enum scsi_sr sbc_read_capacity_10(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t *b = t->worker->scratch;
	uint64_t last = scsi_lu_nblocks(t->worker, c->lu) - 1;

	/* 0xFFFFFFFF tells the initiator to use READ CAPACITY(16). */
	put_be32(b, last > UINT32_MAX ? UINT32_MAX : last);
	put_be32(b + 4, c->lu->bdev->block_size);
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = SCSI_RC10_LEN;
	return SCSI_SR_OK;
}

enum scsi_sr sbc_read_capacity_16(struct scsi_task *t, struct scsi_cmd *c)
{
	struct srptd_bdev *bd = c->lu->bdev;
	uint8_t *b = t->worker->scratch;
	uint32_t ratio = bd->phys_block_size > bd->block_size ?
				 bd->phys_block_size / bd->block_size :
				 1;

	memset(b, 0, SCSI_RC16_LEN);
	put_be64(b, scsi_lu_nblocks(t->worker, c->lu) - 1);
	put_be32(b + 8, bd->block_size);
	b[13] = __builtin_ctz(ratio) & 0x0f; /* LB PER PHYSICAL BLOCK EXP */
	if (bd->can_discard)
		b[14] |= SCSI_RC16_LBPME;
	if (bd->discard_zeroes)
		b[14] |= SCSI_RC16_LBPRZ;
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = SCSI_RC16_LEN;
	return SCSI_SR_OK;
}
