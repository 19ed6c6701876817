/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Third-party copy: EXTENDED COPY (LID1, SPC-4 6.4) with identification
 * CSCD descriptors (E4h) naming logical units of this srptd by their NAA
 * designator, block to block segment descriptors (02h), and RECEIVE COPY
 * RESULTS (SPC-4 6.18) with OPERATING PARAMETERS and COPY STATUS.
 *
 * The whole parameter list is validated before any block moves (like
 * UNMAP), then the copy runs on the worker that owns the command, one
 * chunk at a time: a read of the source into a bounce buffer, then a
 * write of the destination under the destination LU's range lock (so a
 * COMPARE AND WRITE stays atomic against it, SBC-3 5.2), each an
 * asynchronous backend I/O that resumes the command on completion.
 * doc/scsi-commands.md "Third-party copy" describes the behaviour.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scsi/scsi_int.h"
#include "util.h"

/* One validated block to block segment, in bytes. */
struct scsi_xcopy_seg {
	struct scsi_view_ent *src, *dst;
	uint64_t src_off, dst_off, len;
	bool backward; /* overlapping, destination above: copy from the end */
};

/* Copy state of one command (c->xc), freed by scsi_xcopy_end(). */
struct scsi_xcopy {
	struct scsi_view_ent *cscd[SCSI_XCOPY_MAX_CSCDS]; /* pinned */
	unsigned int n_cscd, n_seg, seg;
	struct scsi_xcopy_seg segs[SCSI_XCOPY_MAX_SEGS];
	struct scsi_view_ent *own; /* the command's entry (c->ve) */
	uint64_t done; /* bytes of segs[seg] copied */
	uint64_t chunk_off, chunk_len; /* the chunk in flight */
	uint32_t bytes; /* total copied (<= 16 x 32 MiB) */
	bool held; /* a result record is kept for COPY STATUS */
	bool started; /* a chunk was submitted: the copy operation began */
	uint8_t list_id;
};

/* ---- parameter list validation ---- */

/* SPC-4 6.4.5.2: an E4h descriptor names an LU of the nexus's view. */
static enum scsi_sr xc_cscd(struct scsi_task *t, struct scsi_cmd *c,
			    const uint8_t *d, uint32_t off,
			    struct scsi_view_ent **out)
{
	struct scsi_itn_view *v = scsi_itn_cur_view(t->itn);
	const uint8_t *desig = d + 4;
	unsigned int i;

	if (d[0] != SCSI_XCOPY_CSCD_ID)
		return SCSI_SR_UNSUPPORTED_CSCD;
	/* PERIPHERAL DEVICE TYPE: only block devices are copy targets. */
	if (d[1] & 0x1f)
		return scsi_invalid_param(c, off + 1, 4);
	/*
	 * Only a logical unit NAA designator can name one of our LUs
	 * (VPD 0x83 reports it first); any other designator names nothing
	 * this copy manager can reach.
	 */
	if ((desig[0] & 0x0f) != SCSI_DESIG_CODESET_BINARY ||
	    (desig[1] & 0x3f) != (SCSI_DESIG_ASSOC_LU | SCSI_DESIG_TYPE_NAA) ||
	    desig[3] != SCSI_NAA_LEN)
		return SCSI_SR_COPY_TARGET_UNREACHABLE;
	for (i = 0; i < v->n; i++) {
		struct scsi_view_ent *ve = &v->ent[i];

		if (memcmp(ve->lu->naa, desig + 4, SCSI_NAA_LEN))
			continue;
		/* DISK BLOCK LENGTH must be the LU's (SPC-4 6.4.5.4). */
		if (get_be24(d + 29) != ve->lu->bdev->block_size)
			return scsi_invalid_param(c, off + 29, -1);
		scsi_view_ent_pin(ve);
		*out = ve;
		return SCSI_SR_OK;
	}
	return SCSI_SR_COPY_TARGET_UNREACHABLE;
}

/* May the nexus read src and write dst?  Reservations, write protect. */
static enum scsi_sr xc_access(struct scsi_task *t, struct scsi_view_ent *src,
			      struct scsi_view_ent *dst)
{
	if (atomic_load(&src->lu->res_active) &&
	    scsi_pr_conflict_lu(src->lu, t->itn, SCSI_PRC_READ, false))
		return SCSI_SR_RESERVATION_CONFLICT;
	if (atomic_load(&dst->lu->res_active) &&
	    scsi_pr_conflict_lu(dst->lu, t->itn, SCSI_PRC_WRITE, false))
		return SCSI_SR_RESERVATION_CONFLICT;
	if (dst->read_only || dst->lu->bdev->read_only)
		return SCSI_SR_WRITE_PROTECTED;
	return SCSI_SR_OK;
}

/* SPC-4 6.4.6.5: block device to block device, 28 bytes. */
static enum scsi_sr xc_segment(struct scsi_task *t, struct scsi_cmd *c,
			       struct scsi_xcopy *xc, const uint8_t *d,
			       uint32_t off, struct scsi_xcopy_seg *s)
{
	uint16_t si = get_be16(d + 4), di = get_be16(d + 6);
	uint64_t src_lba = get_be64(d + 12), dst_lba = get_be64(d + 20);
	uint64_t nblk = get_be16(d + 10), scap, dcap, sn, dn;
	uint32_t sbs, dbs;
	enum scsi_sr sr;

	if (get_be16(d + 2) != SCSI_XCOPY_SEG_B2B_LEN - 4)
		return scsi_invalid_param(c, off + 2, -1);
	if (si >= xc->n_cscd || di >= xc->n_cscd) {
		/* SPC-4 6.4.6.1: an index past the CSCD list. */
		scsi_invalid_param(c, off + (si >= xc->n_cscd ? 4 : 6), -1);
		return SCSI_SR_COPY_TARGET_UNREACHABLE;
	}
	s->src = xc->cscd[si];
	s->dst = xc->cscd[di];
	sr = xc_access(t, s->src, s->dst);
	if (sr != SCSI_SR_OK)
		return sr;
	sbs = s->src->lu->bdev->block_size;
	dbs = s->dst->lu->bdev->block_size;
	/* DC: the count is in destination (1) or source (0) blocks. */
	s->len = nblk * ((d[1] & SCSI_XCOPY_SEG_DC) ? dbs : sbs);
	if (s->len % sbs || s->len % dbs || s->len > SCSI_XCOPY_MAX_SEG_BYTES)
		return scsi_invalid_param(c, off + 10, -1);
	sn = s->len / sbs;
	dn = s->len / dbs;
	scap = scsi_lu_nblocks(t->worker, s->src->lu);
	dcap = scsi_lu_nblocks(t->worker, s->dst->lu);
	/*
	 * A range past either end: the copy manager cannot process the
	 * segment (SPC-4 6.4.4: COPY ABORTED, the field pointer names the
	 * LBA field of the segment descriptor in the parameter list).
	 */
	if (src_lba > scap || sn > scap - src_lba) {
		scsi_invalid_param(c, off + 12, -1);
		return SCSI_SR_COPY_ABORTED;
	}
	if (dst_lba > dcap || dn > dcap - dst_lba) {
		scsi_invalid_param(c, off + 20, -1);
		return SCSI_SR_COPY_ABORTED;
	}
	s->src_off = src_lba * sbs;
	s->dst_off = dst_lba * dbs;
	/* Same device, destination inside and above the source: memmove. */
	s->backward = s->src->lu->bdev == s->dst->lu->bdev &&
		      s->dst_off > s->src_off &&
		      s->dst_off < s->src_off + s->len;
	return SCSI_SR_OK;
}

/* SPC-4 6.4.3: header, then the CSCD and segment descriptor lists. */
static enum scsi_sr xc_parse(struct scsi_task *t, struct scsi_cmd *c,
			     struct scsi_xcopy *xc, const uint8_t *p,
			     uint32_t len)
{
	uint32_t cdl = get_be16(p + 2), sdl = get_be32(p + 8);
	uint32_t inl = get_be32(p + 12), off, end, n;
	enum scsi_sr sr;

	/* LIST ID USAGE 01b is reserved (SPC-4 table 123). */
	if (((p[1] >> 3) & 3) == 1)
		return scsi_invalid_param(c, 1, 4);
	/* Inline data is for segment types srptd does not implement. */
	if (inl)
		return scsi_invalid_param(c, 12, -1);
	if ((uint64_t)cdl + sdl > SCSI_XCOPY_MAX_DESC_LIST)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (SCSI_XCOPY_HDR_LEN + cdl + sdl > len)
		return SCSI_SR_PARAM_LIST_LENGTH; /* the list is truncated */
	if (cdl % SCSI_XCOPY_CSCD_LEN)
		return scsi_invalid_param(c, 2, -1);
	if (cdl / SCSI_XCOPY_CSCD_LEN > SCSI_XCOPY_MAX_CSCDS)
		return SCSI_SR_TOO_MANY_CSCDS;
	for (off = SCSI_XCOPY_HDR_LEN; off < SCSI_XCOPY_HDR_LEN + cdl;
	     off += SCSI_XCOPY_CSCD_LEN) {
		sr = xc_cscd(t, c, p + off, off, &xc->cscd[xc->n_cscd]);
		if (sr != SCSI_SR_OK)
			return sr;
		xc->n_cscd++;
	}
	/* Count the segment descriptors first: each says its length. */
	end = off + sdl;
	for (n = 0; off < end; n++) {
		if (end - off < 4)
			return SCSI_SR_PARAM_LIST_LENGTH;
		off += 4 + get_be16(p + off + 2);
		if (off > end)
			return SCSI_SR_PARAM_LIST_LENGTH;
	}
	if (n > SCSI_XCOPY_MAX_SEGS)
		return SCSI_SR_TOO_MANY_SEGMENTS;
	for (off = SCSI_XCOPY_HDR_LEN + cdl; off < end;
	     off += 4 + get_be16(p + off + 2)) {
		if (p[off] != SCSI_XCOPY_SEG_B2B)
			return SCSI_SR_UNSUPPORTED_SEGMENT;
		sr = xc_segment(t, c, xc, p + off, off, &xc->segs[xc->n_seg]);
		if (sr != SCSI_SR_OK)
			return sr;
		xc->n_seg++;
	}
	return SCSI_SR_OK;
}

/* ---- results held for COPY STATUS ---- */

static struct scsi_xcopy_rec *
xc_rec_find(struct scsi_lu *lu, const struct scsi_itn *itn, uint8_t list_id)
{
	unsigned int i;

	for (i = 0; i < SCSI_XCOPY_RECS; i++) {
		struct scsi_xcopy_rec *r = &lu->xc_recs[i];

		if (r->used && r->list_id == list_id &&
		    scsi_itn_same_nexus(r->i_id, r->t_id, itn))
			return r;
	}
	return NULL;
}

/*
 * SPC-4 6.4.3: a list identifier still in use by a copy of the same
 * nexus is OPERATION IN PROGRESS; otherwise the record replaces that
 * list identifier's previous one, or the oldest finished record.
 */
static enum scsi_sr xc_rec_start(struct scsi_task *t, struct scsi_cmd *c,
				 struct scsi_xcopy *xc)
{
	struct scsi_lu *lu = c->lu;
	struct scsi_xcopy_rec *r;
	enum scsi_sr sr = SCSI_SR_OK;
	unsigned int i;

	pthread_mutex_lock(&lu->lock);
	r = xc_rec_find(lu, t->itn, xc->list_id);
	if (r && r->status == SCSI_XCOPY_ST_RUNNING) {
		sr = SCSI_SR_OPERATION_IN_PROGRESS;
		goto out;
	}
	for (i = 0; !r && i < SCSI_XCOPY_RECS; i++) {
		struct scsi_xcopy_rec *o = &lu->xc_recs[i];

		if (!o->used)
			r = o;
	}
	for (i = 0; !r && i < SCSI_XCOPY_RECS; i++) {
		struct scsi_xcopy_rec *o = &lu->xc_recs[i];

		if (o->status != SCSI_XCOPY_ST_RUNNING &&
		    (!r || o->seq < r->seq))
			r = o;
	}
	if (!r) {
		/* Every record is a copy in progress: no room to hold. */
		sr = SCSI_SR_OPERATION_IN_PROGRESS;
		goto out;
	}
	memset(r, 0, sizeof(*r));
	r->used = true;
	memcpy(r->i_id, t->itn->i_id, 16);
	memcpy(r->t_id, t->itn->t_id, 16);
	r->list_id = xc->list_id;
	r->status = SCSI_XCOPY_ST_RUNNING;
	r->seq = ++lu->xc_seq;
	xc->held = true;
out:
	pthread_mutex_unlock(&lu->lock);
	return sr;
}

/*
 * A command rejected before it moved anything (a parameter list error)
 * started no copy operation: nothing is held for its list identifier,
 * and what an earlier copy with that identifier left was superseded by
 * xc_rec_start().  Otherwise the record says how far the copy got.
 */
static void xc_rec_end(struct scsi_task *t, struct scsi_cmd *c,
		       struct scsi_xcopy *xc, bool ok)
{
	struct scsi_lu *lu = xc->own->lu;
	struct scsi_xcopy_rec *r;

	pthread_mutex_lock(&lu->lock);
	r = xc_rec_find(lu, t->itn, xc->list_id);
	if (r && !ok && !xc->started) {
		r->used = false;
	} else if (r) {
		r->status = ok ? SCSI_XCOPY_ST_DONE : SCSI_XCOPY_ST_FAILED;
		r->segs = xc->seg;
		r->bytes = xc->bytes;
	}
	pthread_mutex_unlock(&lu->lock);
}

/* ---- the copy ---- */

static enum scsi_sr xc_next(struct scsi_task *t, struct scsi_cmd *c);

static void xc_io(struct scsi_cmd *c, enum srptd_io_op op, struct scsi_lu *lu,
		  uint64_t off, uint64_t len)
{
	struct srptd_io *io = &c->io;

	memset(io, 0, sizeof(*io));
	io->op = op;
	io->bdev = lu->bdev;
	io->offset = off;
	io->length = len;
	if (op == SRPTD_IO_WRITE && !atomic_load(&lu->wce))
		io->flags |= SRPTD_IO_F_FUA;
	c->biov.iov_base = c->bounce;
	c->biov.iov_len = len;
	io->iov = &c->biov;
	io->iovcnt = 1;
	/* The engines of the two LUs may differ: look the context up. */
	c->ctx = NULL;
}

static enum scsi_sr xc_written(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_xcopy *xc = c->xc;

	scsi_range_release(t, c);
	c->lu = xc->own->lu;
	xc->done += xc->chunk_len;
	xc->bytes += xc->chunk_len;
	return xc_next(t, c);
}

/*
 * Runs first and again each time a blocking range is released.  While
 * the chunk waits for or holds the destination's range, c->lu is the
 * destination LU (the range lock works on c->lu, c->lba, c->nblocks).
 */
static enum scsi_sr xc_write_locked(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_xcopy *xc = c->xc;
	struct scsi_xcopy_seg *s = &xc->segs[xc->seg];

	if (!scsi_range_acquire(t, c))
		return SCSI_SR_ASYNC;
	xc_io(c, SRPTD_IO_WRITE, s->dst->lu, s->dst_off + xc->chunk_off,
	      xc->chunk_len);
	c->resume = xc_written;
	return scsi_submit_io(t, c);
}

static enum scsi_sr xc_read_done(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_xcopy *xc = c->xc;
	struct scsi_xcopy_seg *s = &xc->segs[xc->seg];
	uint32_t dbs = s->dst->lu->bdev->block_size;

	c->lu = s->dst->lu;
	c->lba = (s->dst_off + xc->chunk_off) / dbs;
	c->nblocks = xc->chunk_len / dbs;
	c->resume = xc_write_locked;
	return xc_write_locked(t, c);
}

static enum scsi_sr xc_next(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_xcopy *xc = c->xc;

	while (xc->seg < xc->n_seg) {
		struct scsi_xcopy_seg *s = &xc->segs[xc->seg];
		uint64_t n;

		if (xc->done >= s->len) {
			xc->seg++;
			xc->done = 0;
			continue;
		}
		n = MIN(s->len - xc->done, (uint64_t)c->bounce_len);
		xc->chunk_off = s->backward ? s->len - xc->done - n : xc->done;
		xc->chunk_len = n;
		xc_io(c, SRPTD_IO_READ, s->src->lu, s->src_off + xc->chunk_off,
		      n);
		xc->started = true;
		c->resume = xc_read_done;
		return scsi_submit_io(t, c);
	}
	return SCSI_SR_OK;
}

enum scsi_sr spc_xcopy(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = t->xfer_len, i;
	uint8_t *p = t->worker->scratch;
	struct scsi_xcopy *xc;
	uint64_t chunk = 0;
	enum scsi_sr sr;

	/* SPC-4 6.4.1: zero length moves nothing and is not an error. */
	if (!len)
		return SCSI_SR_OK;
	if (t->buf_len < len)
		return SCSI_SR_DATA_PHASE_ERROR;
	if (len < SCSI_XCOPY_HDR_LEN)
		return SCSI_SR_PARAM_LIST_LENGTH;
	scsi_iov_copy_from(t, 0, p, len);
	xc = calloc(1, sizeof(*xc));
	if (!xc)
		return SCSI_SR_INTERNAL_FAILURE;
	/* From here on scsi_xcopy_end() releases what xc holds. */
	c->xc = xc;
	xc->own = c->ve;
	xc->list_id = p[0];
	/* LIST ID USAGE 00b and 10b: hold the result for COPY STATUS. */
	if (!(p[1] & 0x08)) {
		sr = xc_rec_start(t, c, xc);
		if (sr != SCSI_SR_OK)
			return sr;
	}
	sr = xc_parse(t, c, xc, p, len);
	if (sr != SCSI_SR_OK)
		return sr;
	for (i = 0; i < xc->n_seg; i++)
		chunk = MAX(chunk,
			    MIN(xc->segs[i].len, (uint64_t)SCSI_CHUNK_BYTES));
	if (!chunk)
		return SCSI_SR_OK; /* nothing but empty segments */
	if (posix_memalign((void **)&c->bounce, 4096, chunk))
		return SCSI_SR_INTERNAL_FAILURE;
	c->bounce_len = chunk;
	return xc_next(t, c);
}

enum scsi_sr scsi_xcopy_end(struct scsi_task *t, struct scsi_cmd *c,
			    enum scsi_sr sr)
{
	struct scsi_xcopy *xc = c->xc;
	unsigned int i;

	/* A chunk that failed or was cut short holds the destination's range. */
	if (c->flags & SCSI_CMD_F_RANGE)
		scsi_range_release(t, c);
	c->lu = xc->own->lu;
	if (xc->held)
		xc_rec_end(t, c, xc, sr == SCSI_SR_OK);
	for (i = 0; i < xc->n_cscd; i++)
		scsi_view_ent_unpin(xc->cscd[i]);
	c->xc = NULL;
	free(xc);
	/*
	 * An I/O error of a copy target ends the copy as COPY ABORTED /
	 * THIRD PARTY DEVICE FAILURE (SPC-4 6.4.4); the device's own sense
	 * is not forwarded.
	 */
	switch (sr) {
	case SCSI_SR_READ_ERROR:
	case SCSI_SR_WRITE_ERROR:
	case SCSI_SR_SPACE_ALLOC_FAILED:
	case SCSI_SR_INTERNAL_FAILURE:
		pr_debug(LOG_C_SCSI, "lun %llu: EXTENDED COPY aborted: %d",
			 (unsigned long long)t->lun, sr);
		return SCSI_SR_COPY_TARGET_FAILURE;
	default:
		return sr;
	}
}

/* ---- RECEIVE COPY RESULTS (SPC-4 6.18) ---- */

static const uint8_t xc_impl_descs[] = { SCSI_XCOPY_SEG_B2B,
					 SCSI_XCOPY_CSCD_ID };

/* SPC-4 6.18.4: what the copy manager supports. */
static enum scsi_sr xc_op_params(struct scsi_task *t, struct scsi_cmd *c)
{
	uint32_t len = SCSI_RCR_OP_PARAMS_LEN + sizeof(xc_impl_descs);
	uint8_t *b = t->worker->scratch;

	memset(b, 0, len);
	put_be32(b, len - 4);
	put_be16(b + 8, SCSI_XCOPY_MAX_CSCDS);
	put_be16(b + 10, SCSI_XCOPY_MAX_SEGS);
	put_be32(b + 12, SCSI_XCOPY_MAX_DESC_LIST);
	put_be32(b + 16, SCSI_XCOPY_MAX_SEG_BYTES);
	/* No inline data, held data or stream devices (0 at 20..31). */
	put_be16(b + 34, 1); /* TOTAL CONCURRENT COPIES */
	b[36] = 1; /* MAXIMUM CONCURRENT COPIES */
	/* Granularities are log2: block-sized segments of 512 bytes. */
	b[37] = 9;
	b[43] = sizeof(xc_impl_descs);
	memcpy(b + 44, xc_impl_descs, sizeof(xc_impl_descs));
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = len;
	return SCSI_SR_OK;
}

/* SPC-4 6.18.3: the held result of the nexus's copy with LIST ID. */
static enum scsi_sr xc_copy_status(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	uint8_t *b = t->worker->scratch;
	struct scsi_xcopy_rec *r;

	memset(b, 0, SCSI_RCR_COPY_STATUS_LEN);
	pthread_mutex_lock(&lu->lock);
	r = xc_rec_find(lu, t->itn, t->cdb[2]);
	if (r) {
		b[4] = r->status;
		put_be16(b + 5, r->segs);
		b[7] = 0; /* TRANSFER COUNT UNITS: bytes */
		put_be32(b + 8, r->bytes);
	}
	pthread_mutex_unlock(&lu->lock);
	if (!r)
		return scsi_invalid_cdb(c, 2, -1); /* no such list id */
	put_be32(b, SCSI_RCR_COPY_STATUS_LEN - 4);
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = SCSI_RCR_COPY_STATUS_LEN;
	return SCSI_SR_OK;
}

enum scsi_sr spc_receive_copy_results(struct scsi_task *t, struct scsi_cmd *c)
{
	if ((t->cdb[1] & 0x1f) == SCSI_RCR_OPERATING_PARAMS)
		return xc_op_params(t, c);
	return xc_copy_status(t, c);
}
