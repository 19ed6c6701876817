/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Task life: parse (LUN lookup, opcode table, CDB usage check, unit
 * attention, reservation conflict, per-opcode field/range validation),
 * execute (handler), and the one place that turns a sense reason into
 * status and sense data.  Model: LIO's sbc_parse_cdb()/sense_reason_t and
 * tgt's opcode table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scsi/scsi_int.h"
#include "util.h"

/* Sense reason -> sense key / ASC / ASCQ (SPC-4 annex D.2). */
static const struct {
	uint8_t key;
	uint16_t asc;
} scsi_sense_table[SCSI_SR_COUNT] = {
	[SCSI_SR_INVALID_OPCODE] = { SCSI_SK_ILLEGAL_REQUEST,
				     SCSI_ASC_INVALID_OPCODE },
	[SCSI_SR_INVALID_CDB_FIELD] = { SCSI_SK_ILLEGAL_REQUEST,
					SCSI_ASC_INVALID_FIELD_IN_CDB },
	[SCSI_SR_INVALID_PARAM_FIELD] = { SCSI_SK_ILLEGAL_REQUEST,
					  SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST },
	[SCSI_SR_PARAM_LIST_LENGTH] = { SCSI_SK_ILLEGAL_REQUEST,
					SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR },
	[SCSI_SR_LBA_OUT_OF_RANGE] = { SCSI_SK_ILLEGAL_REQUEST,
				       SCSI_ASC_LBA_OUT_OF_RANGE },
	[SCSI_SR_LU_NOT_SUPPORTED] = { SCSI_SK_ILLEGAL_REQUEST,
				       SCSI_ASC_LU_NOT_SUPPORTED },
	[SCSI_SR_SAVING_NOT_SUPPORTED] = { SCSI_SK_ILLEGAL_REQUEST,
					   SCSI_ASC_SAVING_PARAMS_NOT_SUPPORTED },
	[SCSI_SR_INVALID_RELEASE] = { SCSI_SK_ILLEGAL_REQUEST,
				      SCSI_ASC_INVALID_RELEASE_OF_PR },
	[SCSI_SR_INSUFFICIENT_REG_RESOURCES] = { SCSI_SK_ILLEGAL_REQUEST,
						 SCSI_ASC_INSUFFICIENT_REG_RESOURCES },
	[SCSI_SR_WRITE_PROTECTED] = { SCSI_SK_DATA_PROTECT,
				      SCSI_ASC_WRITE_PROTECTED },
	[SCSI_SR_SPACE_ALLOC_FAILED] = { SCSI_SK_DATA_PROTECT,
					 SCSI_ASC_SPACE_ALLOC_FAILED_WP },
	[SCSI_SR_MISCOMPARE] = { SCSI_SK_MISCOMPARE,
				 SCSI_ASC_MISCOMPARE_DURING_VERIFY },
	[SCSI_SR_READ_ERROR] = { SCSI_SK_MEDIUM_ERROR,
				 SCSI_ASC_UNRECOVERED_READ_ERROR },
	[SCSI_SR_WRITE_ERROR] = { SCSI_SK_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR },
	[SCSI_SR_INTERNAL_FAILURE] = { SCSI_SK_HARDWARE_ERROR,
				       SCSI_ASC_INTERNAL_TARGET_FAILURE },
	[SCSI_SR_DATA_PHASE_ERROR] = { SCSI_SK_ABORTED_COMMAND,
				       SCSI_ASC_DATA_PHASE_ERROR },
	[SCSI_SR_TOO_MANY_CSCDS] = { SCSI_SK_ILLEGAL_REQUEST,
				     SCSI_ASC_TOO_MANY_TARGET_DESCS },
	[SCSI_SR_UNSUPPORTED_CSCD] = { SCSI_SK_ILLEGAL_REQUEST,
				       SCSI_ASC_UNSUPPORTED_TARGET_DESC },
	[SCSI_SR_TOO_MANY_SEGMENTS] = { SCSI_SK_ILLEGAL_REQUEST,
					SCSI_ASC_TOO_MANY_SEGMENT_DESCS },
	[SCSI_SR_UNSUPPORTED_SEGMENT] = { SCSI_SK_ILLEGAL_REQUEST,
					  SCSI_ASC_UNSUPPORTED_SEGMENT_DESC },
	[SCSI_SR_OPERATION_IN_PROGRESS] = { SCSI_SK_ILLEGAL_REQUEST,
					    SCSI_ASC_OPERATION_IN_PROGRESS },
	[SCSI_SR_COPY_ABORTED] = { SCSI_SK_COPY_ABORTED,
				   SCSI_ASC_NO_ADDITIONAL_SENSE },
	[SCSI_SR_COPY_TARGET_UNREACHABLE] = { SCSI_SK_COPY_ABORTED,
					      SCSI_ASC_COPY_TARGET_NOT_REACHABLE },
	[SCSI_SR_COPY_TARGET_FAILURE] = { SCSI_SK_COPY_ABORTED,
					  SCSI_ASC_THIRD_PARTY_DEVICE_FAILURE },
	[SCSI_SR_ALUA_STANDBY] = { SCSI_SK_NOT_READY,
				   SCSI_ASC_LU_NOT_ACCESSIBLE_STANDBY },
	[SCSI_SR_ALUA_UNAVAILABLE] = { SCSI_SK_NOT_READY,
				       SCSI_ASC_LU_NOT_ACCESSIBLE_UNAVAIL },
};

enum scsi_sr scsi_invalid_cdb(struct scsi_cmd *c, unsigned int byte, int bit)
{
	c->flags |= SCSI_CMD_F_SKS | SCSI_CMD_F_SKS_CDB;
	c->sks_field = byte;
	c->sks_bit = bit < 0 ? 0xff : bit;
	return SCSI_SR_INVALID_CDB_FIELD;
}

enum scsi_sr scsi_invalid_param(struct scsi_cmd *c, unsigned int byte, int bit)
{
	c->flags |= SCSI_CMD_F_SKS;
	c->flags &= ~SCSI_CMD_F_SKS_CDB;
	c->sks_field = byte;
	c->sks_bit = bit < 0 ? 0xff : bit;
	return SCSI_SR_INVALID_PARAM_FIELD;
}

/*
 * Build fixed (SPC-4 4.5.3) or descriptor (4.5.2) sense data.  c may be
 * NULL; otherwise its INFORMATION and field pointer are included.
 */
void scsi_build_sense(uint8_t *buf, uint8_t *len, bool desc, uint8_t key,
		      uint16_t asc_ascq, const struct scsi_cmd *c)
{
	bool info = c && (c->flags & SCSI_CMD_F_INFO);
	bool sks = c && (c->flags & SCSI_CMD_F_SKS);
	uint8_t sk[3] = { 0 };

	if (sks) {
		sk[0] = SCSI_SKS_SKSV;
		if (c->flags & SCSI_CMD_F_SKS_CDB)
			sk[0] |= SCSI_SKS_CD;
		if (c->sks_bit != 0xff)
			sk[0] |= SCSI_SKS_BPV | (c->sks_bit & 7);
		put_be16(&sk[1], c->sks_field);
	}
	memset(buf, 0, SCSI_SENSE_BUFFERSIZE);
	if (desc) {
		uint8_t *d = buf + SCSI_SENSE_DESC_HDR_LEN;

		buf[0] = SCSI_SENSE_DESC_CURRENT;
		buf[SCSI_SENSE_DESC_KEY] = key;
		buf[SCSI_SENSE_DESC_ASC] = asc_ascq >> 8;
		buf[SCSI_SENSE_DESC_ASCQ] = asc_ascq & 0xff;
		if (info) {
			d[0] = SCSI_SENSE_DESC_INFO_TYPE;
			d[1] = SCSI_SENSE_DESC_INFO_LEN - 2;
			d[2] = 0x80; /* VALID */
			put_be64(d + 4, c->info);
			d += SCSI_SENSE_DESC_INFO_LEN;
		}
		if (sks) {
			d[0] = SCSI_SENSE_DESC_SKS_TYPE;
			d[1] = SCSI_SENSE_DESC_SKS_LEN - 2;
			memcpy(d + 4, sk, 3);
			d += SCSI_SENSE_DESC_SKS_LEN;
		}
		buf[SCSI_SENSE_DESC_ADD_LEN] =
			d - buf - SCSI_SENSE_DESC_HDR_LEN;
		*len = d - buf;
		return;
	}
	buf[0] = SCSI_SENSE_FIXED_CURRENT;
	buf[SCSI_SENSE_FIXED_KEY] = key;
	buf[SCSI_SENSE_FIXED_ADD_LEN] = SCSI_SENSE_FIXED_LEN - 8;
	buf[SCSI_SENSE_FIXED_ASC] = asc_ascq >> 8;
	buf[SCSI_SENSE_FIXED_ASCQ] = asc_ascq & 0xff;
	if (info) {
		/*
		 * The fixed format INFORMATION field has 4 bytes; VALID is
		 * only set when the value fits (SPC-4 4.5.3).
		 */
		put_be32(buf + SCSI_SENSE_FIXED_INFO, (uint32_t)c->info);
		if (c->info <= UINT32_MAX)
			buf[0] |= SCSI_SENSE_FIXED_VALID;
	}
	if (sks)
		memcpy(buf + SCSI_SENSE_FIXED_SKS, sk, 3);
	*len = SCSI_SENSE_FIXED_LEN;
}

/* The single place that turns a sense reason into status + sense. */
static void scsi_task_set_sense(struct scsi_task *t, enum scsi_sr sr)
{
	struct scsi_cmd *c = scsi_cmd(t);
	bool desc;

	t->sense_len = 0;
	if (sr == SCSI_SR_OK) {
		t->status = SAM_STAT_GOOD;
		return;
	}
	desc = c->lu &&
	       atomic_load_explicit(&c->lu->d_sense, memory_order_relaxed);
	switch (sr) {
	case SCSI_SR_RESERVATION_CONFLICT:
		/* SAM-5 5.3.1: status only, no sense data. */
		t->status = SAM_STAT_RESERVATION_CONFLICT;
		t->data_in_len = 0;
		return;
	case SCSI_SR_UNIT_ATTENTION:
		t->status = SAM_STAT_CHECK_CONDITION;
		t->data_in_len = 0;
		scsi_build_sense(t->sense, &t->sense_len, desc,
				 SCSI_SK_UNIT_ATTENTION, c->ua, NULL);
		return;
	default:
		break;
	}
	if (sr <= SCSI_SR_ASYNC || sr >= SCSI_SR_COUNT ||
	    !scsi_sense_table[sr].key)
		sr = SCSI_SR_INTERNAL_FAILURE;
	t->status = SAM_STAT_CHECK_CONDITION;
	/* Data already read stays valid for a miscompare only. */
	if (sr != SCSI_SR_MISCOMPARE)
		t->data_in_len = 0;
	scsi_build_sense(t->sense, &t->sense_len, desc,
			 scsi_sense_table[sr].key, scsi_sense_table[sr].asc, c);
}

/*
 * The sense format follows the D_SENSE bit of the control mode page, a
 * mode page of one logical unit (SPC-4 4.5.1: the logical unit returns
 * descriptor format when its D_SENSE is one, fixed format otherwise).  An
 * error that concerns no logical unit of the nexus's view (a LUN field
 * that cannot be decoded or addresses no LU) has no D_SENSE to follow, so
 * it gets fixed format, the default every initiator accepts.
 */
void scsi_task_set_error(struct scsi_task *t, uint8_t status, uint8_t key,
			 uint16_t asc_ascq)
{
	struct scsi_view_ent *ve = NULL;
	bool desc = false;

	if (t->itn && t->lun != SCSI_LUN_INVALID)
		ve = scsi_itn_find(t->itn, t->lun);
	if (ve && ve->lu)
		desc = atomic_load_explicit(&ve->lu->d_sense,
					    memory_order_relaxed);
	t->status = status;
	t->sense_len = 0;
	t->data_in_len = 0;
	if (status == SAM_STAT_CHECK_CONDITION)
		scsi_build_sense(t->sense, &t->sense_len, desc, key, asc_ascq,
				 NULL);
}

/*
 * Copy len bytes between buf and the task buffer at byte offset off
 * (clipped to buf_len), towards the iovs when to_iov.  Returns the bytes
 * copied.
 */
static size_t scsi_iov_copy(const struct scsi_task *t, size_t off, void *buf,
			    size_t len, bool to_iov)
{
	size_t done = 0, base = 0;
	unsigned int i;

	if (off >= t->buf_len)
		return 0;
	len = MIN(len, t->buf_len - off);
	for (i = 0; i < t->iovcnt && done < len; i++) {
		size_t l = t->iov[i].iov_len;

		if (off < base + l) {
			size_t s = off - base, n = MIN(l - s, len - done);
			uint8_t *iov = (uint8_t *)t->iov[i].iov_base + s;

			if (to_iov)
				memcpy(iov, (uint8_t *)buf + done, n);
			else
				memcpy((uint8_t *)buf + done, iov, n);
			done += n;
			off += n;
		}
		base += l;
	}
	return done;
}

size_t scsi_iov_copy_from(const struct scsi_task *t, size_t off, void *dst,
			  size_t len)
{
	return scsi_iov_copy(t, off, dst, len, false);
}

size_t scsi_iov_copy_to(struct scsi_task *t, size_t off, const void *src,
			size_t len)
{
	/* The source is only read in this direction. */
	return scsi_iov_copy(t, off, (void *)src, len, true);
}

bool scsi_cmd_read_only(const struct scsi_cmd *c)
{
	return (c->ve && c->ve->read_only) || c->lu->bdev->read_only;
}

/* SAM-5 4.7: see scsi.h. */
uint64_t scsi_lun_decode(const uint8_t lun[8])
{
	unsigned int i;

	for (i = 2; i < 8; i++)
		if (lun[i])
			return SCSI_LUN_INVALID; /* multi-level: unsupported */
	switch (lun[0] & 0xc0) {
	case SCSI_LUN_METHOD_PERIPHERAL:
		if (lun[0] & 0x3f)
			return SCSI_LUN_INVALID; /* bus identifier != 0 */
		return lun[1];
	case SCSI_LUN_METHOD_FLAT:
		return (uint64_t)(lun[0] & 0x3f) << 8 | lun[1];
	case SCSI_LUN_METHOD_EXTENDED:
		if (lun[0] == 0xc1 && lun[1] == SCSI_WLUN_REPORT_LUNS)
			return SCSI_LUN_WLUN_REPORT_LUNS;
		return SCSI_LUN_INVALID;
	default:
		return SCSI_LUN_INVALID;
	}
}

void scsi_lun_encode(uint64_t lun, uint8_t out[8])
{
	memset(out, 0, 8);
	if (lun == SCSI_LUN_WLUN_REPORT_LUNS) {
		out[0] = 0xc1;
		out[1] = SCSI_WLUN_REPORT_LUNS;
	} else if (lun < 256) {
		out[1] = lun;
	} else {
		out[0] = SCSI_LUN_METHOD_FLAT | ((lun >> 8) & 0x3f);
		out[1] = lun & 0xff;
	}
}

/* Highest set bit of a non-zero byte. */
static int scsi_top_bit(uint8_t v)
{
	return 31 - __builtin_clz(v);
}

/*
 * scsi_cdb_len_mask[n]: 0xff in its first n bytes, 0 in the rest.  n is
 * a row's CDB length, at most 16, the size of its CDB USAGE DATA
 * (tests/unit/scsi/test_optable.c checks every row).
 */
#define SCSI_FIRST_BYTES(n) [n] = { [0 ...(n) - 1] = 0xff }
static const uint8_t scsi_cdb_len_mask[17][16] = {
	SCSI_FIRST_BYTES(1),  SCSI_FIRST_BYTES(2),  SCSI_FIRST_BYTES(3),
	SCSI_FIRST_BYTES(4),  SCSI_FIRST_BYTES(5),  SCSI_FIRST_BYTES(6),
	SCSI_FIRST_BYTES(7),  SCSI_FIRST_BYTES(8),  SCSI_FIRST_BYTES(9),
	SCSI_FIRST_BYTES(10), SCSI_FIRST_BYTES(11), SCSI_FIRST_BYTES(12),
	SCSI_FIRST_BYTES(13), SCSI_FIRST_BYTES(14), SCSI_FIRST_BYTES(15),
	SCSI_FIRST_BYTES(16),
};

/*
 * Any bit set in the first op->cdb_len bytes that the CDB USAGE DATA of
 * the command does not allow (SPC-4 6.35.3)?  Sixteen bytes at a time as
 * two words: every command parsed pays this, and a byte loop costs about
 * five times as many instructions (doc/performance.md "Host loopback
 * guard").  The byte loop of the caller finds the field to report.  The
 * mask of the CDB's bytes comes from a table by its length, whatever the
 * byte order; the operation code needs none, as every row allows all of
 * byte 0 (optable.c's U(), checked by tests/unit/scsi/test_optable.c).
 */
static bool scsi_cdb_unused_bits(const uint8_t *cdb,
				 const struct scsi_opdesc *op)
{
	uint64_t w[2], u[2], m[2];

	_Static_assert(sizeof(op->usage) == 16, "usage is 16 bytes");
	memcpy(w, cdb, 16);
	memcpy(u, op->usage, 16);
	memcpy(m, scsi_cdb_len_mask[op->cdb_len], 16);
	return ((w[0] & ~u[0] & m[0]) | (w[1] & ~u[1] & m[1])) != 0;
}

static enum scsi_sr scsi_parse(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_view_ent *ve;
	const struct scsi_opdesc *op;
	struct scsi_lu *lu;
	bool sa_bad = false;
	unsigned int i;
	enum scsi_sr sr;

	if (t->cdb_len < 6 || t->cdb_len > SCSI_MAX_CDB_LEN)
		return SCSI_SR_INVALID_OPCODE;
	/*
	 * ve and lu are read from here on, not from c: the pin below is an
	 * atomic read-modify-write, after which c's fields would be loaded
	 * again (doc/performance.md "Host loopback guard").  Both are NULL
	 * in c until stored here (zeroed by scsi_task_parse()).  Stored
	 * apart, around the pin: next to each other, GCC made the two
	 * stores four instructions (two vector moves, a shuffle, one store).
	 */
	ve = t->itn ? scsi_itn_find(t->itn, t->lun) : NULL;
	lu = ve ? ve->lu : NULL;
	if (ve) {
		c->ve = ve;
		/* Until scsi_task_release(): the view may be replaced. */
		scsi_view_ent_pin(ve);
		c->lu = lu;
		c->flags |= SCSI_CMD_F_PINNED;
	}
	op = scsi_op_lookup(t->cdb, &sa_bad);
	/*
	 * SPC-4 4.5.x / SAM-5 5.14: a command to a LUN that is not in the
	 * view fails with LOGICAL UNIT NOT SUPPORTED, except INQUIRY,
	 * REPORT LUNS and REQUEST SENSE, which report that state themselves
	 * (and TEST UNIT READY on the REPORT LUNS well-known LUN, SPC-4 8.2).
	 */
	if (!ve && !(op && (op->flags & SCSI_OPF_NO_LU)) &&
	    !(t->lun == SCSI_LUN_WLUN_REPORT_LUNS && op &&
	      t->cdb[0] == SCSI_OP_TEST_UNIT_READY))
		return SCSI_SR_LU_NOT_SUPPORTED;
	if (!op) {
		if (sa_bad)
			return scsi_invalid_cdb(c, 1, 4);
		return SCSI_SR_INVALID_OPCODE;
	}
	c->op = op;
	if (t->cdb_len < op->cdb_len)
		return SCSI_SR_INVALID_OPCODE;
	/*
	 * Refused as if unsupported, so before anything else (pr.c); only
	 * reservation commands can be, so the others make no call (and the
	 * flag is tested first: one test for them).
	 */
	if ((op->flags & SCSI_OPF_RESV) && lu && scsi_pr_refused(lu, op))
		return SCSI_SR_INVALID_OPCODE;
	/* Reserved bits and unsupported options (CDB USAGE DATA). */
	if (scsi_cdb_unused_bits(t->cdb, op)) {
		for (i = 1; i < op->cdb_len; i++) {
			uint8_t bad = t->cdb[i] & ~op->usage[i];

			if (bad)
				return scsi_invalid_cdb(c, i,
							scsi_top_bit(bad));
		}
	}
	/*
	 * SAM-5 5.14: report (and clear) the oldest unit attention.  The
	 * queue is looked at first: mostly it is empty, one test.
	 */
	if (ve && scsi_ua_pending(ve) && !(op->flags & SCSI_OPF_UA_ALLOWED)) {
		c->ua = scsi_ua_pop(ve);
		if (c->ua)
			return SCSI_SR_UNIT_ATTENTION;
	}
	/*
	 * SPC-4 5.16.2.4: the access state of this port's group may forbid
	 * the command (standby, unavailable); a pending unit attention is
	 * reported first, as it may be the state change itself (2A/06).
	 */
	if (lu) {
		sr = scsi_alua_check(lu, t->cdb);
		if (sr != SCSI_SR_OK)
			return sr;
	}
	if (lu && atomic_load_explicit(&lu->res_active, memory_order_acquire) &&
	    scsi_pr_conflict(t, c))
		return SCSI_SR_RESERVATION_CONFLICT;
	sr = op->parse(t, c);
	if (sr != SCSI_SR_OK)
		return sr;
	if ((op->flags & SCSI_OPF_WRITE) && lu && scsi_cmd_read_only(c))
		return SCSI_SR_WRITE_PROTECTED;
	return SCSI_SR_OK;
}

void scsi_task_release(struct scsi_task *t)
{
	struct scsi_cmd *c = scsi_cmd(t);

	if (c->flags & SCSI_CMD_F_PINNED) {
		c->flags &= ~SCSI_CMD_F_PINNED;
		scsi_view_ent_unpin(c->ve);
	}
}

/*
 * A command that parse refused: status and sense now, as it never
 * executes.  Out of line, so that scsi_task_parse() saves fewer
 * registers for it (doc/performance.md "Host loopback guard").
 */
static __attribute__((noinline)) void scsi_task_reject(struct scsi_task *t,
						       enum scsi_sr sr)
{
	scsi_task_set_sense(t, sr);
	scsi_task_release(t);
	pr_debug(LOG_C_SCSI, "lun %llu op 0x%02x rejected at parse: %d",
		 (unsigned long long)t->lun, t->cdb[0], sr);
}

int scsi_task_parse(struct scsi_task *t)
{
	struct scsi_cmd *c = scsi_cmd(t);
	enum scsi_sr sr;

	/* A transport reusing a task without releasing it. */
	scsi_task_release(t);
	/*
	 * Two memsets of at most 64 bytes each: GCC emits one of 128 bytes
	 * as `rep stosq`, which executes one instruction per 8 bytes, and
	 * the smaller ones as a few 16-byte stores (doc/performance.md
	 * "Host loopback guard").
	 */
	_Static_assert(offsetof(struct scsi_cmd, io) > 64 &&
			       offsetof(struct scsi_cmd, io) <= 128,
		       "the per-command head of scsi_cmd is zeroed in two");
	memset(c, 0, 64);
	memset((char *)c + 64, 0, offsetof(struct scsi_cmd, io) - 64);
	c->sks_bit = 0xff;
	c->range.linked = false;
	c->range.waiting = false;
	t->dir = SCSI_DIR_NONE;
	t->xfer_len = 0;
	t->status = SAM_STAT_GOOD;
	t->sense_len = 0;
	t->data_in_len = 0;
	sr = scsi_parse(t, c);
	if (sr == SCSI_SR_OK)
		return 0;
	scsi_task_reject(t, sr);
	return 1;
}

uint64_t scsi_task_lu_stats_id(struct scsi_task *t)
{
	struct scsi_cmd *c = scsi_cmd(t);

	return c->lu ? c->lu->stats_id : 0;
}

/*
 * What scsi_task_finish() does beyond completing a plain I/O: release
 * what the task holds, copy emulated data-in, set status and sense for
 * anything but GOOD.  scsi_task_finish() itself is inline (scsi_int.h):
 * every command completes through it, and a call that saved registers
 * for these rare steps cost each one (doc/performance.md "Host loopback
 * guard").
 */
void scsi_task_finish_slow(struct scsi_task *t, struct scsi_cmd *c,
			   enum scsi_sr sr)
{
	if (c->trim_iov) {
		c->trim_iov->iov_len = c->trim_saved;
		c->trim_iov = NULL;
	}
	if (c->xc)
		sr = scsi_xcopy_end(t, c, sr);
	if (c->flags & SCSI_CMD_F_RANGE)
		scsi_range_release(t, c);
	if (c->bounce) {
		free(c->bounce);
		c->bounce = NULL;
	}
	if (sr == SCSI_SR_OK && (c->flags & SCSI_CMD_F_EMU_DATA)) {
		/* The one allocation-length truncation (SPC-4 4.2.5.6). */
		uint32_t n = MIN(c->data_len, t->xfer_len);

		t->data_in_len = scsi_iov_copy_to(t, 0, t->worker->scratch, n);
	}
	scsi_task_set_sense(t, sr);
}

/*
 * A handler that completed its command without backend I/O.  Out of
 * line, so that scsi_task_execute() keeps only the task across the
 * handler's call (doc/performance.md "Host loopback guard").
 */
static __attribute__((noinline)) void scsi_task_finish_sync(struct scsi_task *t,
							    enum scsi_sr sr)
{
	scsi_task_finish(t, sr);
}

void scsi_task_execute(struct scsi_task *t)
{
	struct scsi_cmd *c = scsi_cmd(t);
	enum scsi_sr sr;

	if (!c->op) {
		/* Parse failed; the transport should not execute. */
		scsi_task_finish_sync(t, SCSI_SR_INTERNAL_FAILURE);
		return;
	}
	sr = c->op->exec(t, c);
	if (sr != SCSI_SR_ASYNC)
		scsi_task_finish_sync(t, sr);
}
