/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SPC-4 emulated commands: TEST UNIT READY, REQUEST SENSE, INQUIRY (+VPD),
 * MODE SENSE/SELECT, REPORT LUNS, REPORT SUPPORTED OPERATION CODES (REPORT
 * TARGET PORT GROUPS: alua.c).  Handlers write their full response into the
 * worker's scratch buffer and set c->data_len; task.c truncates it once to
 * the allocation length and buf_len.
 */
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_int.h"
#include "util.h"

/* ---- parse helpers: allocation / parameter list length ---- */

static uint32_t scsi_cdb_len_field(const struct scsi_task *t,
				   const struct scsi_cmd *c, unsigned int bytes)
{
	const uint8_t *p = t->cdb + c->op->len_off;

	switch (bytes) {
	case 1:
		return p[0];
	case 2:
		return get_be16(p);
	default:
		return get_be32(p);
	}
}

enum scsi_sr scsi_parse_none(struct scsi_task *t, struct scsi_cmd *c)
{
	return SCSI_SR_OK;
}

static enum scsi_sr scsi_parse_alloc(struct scsi_task *t, struct scsi_cmd *c,
				     unsigned int bytes)
{
	c->alloc_len = scsi_cdb_len_field(t, c, bytes);
	/*
	 * No emulated response is longer than the scratch buffer, so a huge
	 * ALLOCATION LENGTH (sg_inq -l 0xffffffff) does not ask the
	 * transport for a buffer that could never be filled.
	 */
	t->xfer_len = MIN(c->alloc_len, (uint32_t)SCSI_SCRATCH_LEN);
	t->dir = c->alloc_len ? SCSI_DIR_READ : SCSI_DIR_NONE;
	return SCSI_SR_OK;
}

enum scsi_sr scsi_parse_alloc_8(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_alloc(t, c, 1);
}

enum scsi_sr scsi_parse_alloc_16(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_alloc(t, c, 2);
}

enum scsi_sr scsi_parse_alloc_32(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_alloc(t, c, 4);
}

static enum scsi_sr scsi_parse_param(struct scsi_task *t, struct scsi_cmd *c,
				     unsigned int bytes)
{
	uint32_t len = scsi_cdb_len_field(t, c, bytes);

	/* Parameter lists are gathered into the worker's scratch. */
	if (len > SCSI_SCRATCH_LEN)
		return scsi_invalid_cdb(c, c->op->len_off, -1);
	t->xfer_len = len;
	t->dir = len ? SCSI_DIR_WRITE : SCSI_DIR_NONE;
	return SCSI_SR_OK;
}

enum scsi_sr scsi_parse_param_8(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_param(t, c, 1);
}

enum scsi_sr scsi_parse_param_16(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_param(t, c, 2);
}

enum scsi_sr scsi_parse_param_32(struct scsi_task *t, struct scsi_cmd *c)
{
	return scsi_parse_param(t, c, 4);
}

static uint8_t *scsi_out(struct scsi_task *t, struct scsi_cmd *c, uint32_t len)
{
	c->flags |= SCSI_CMD_F_EMU_DATA;
	c->data_len = len;
	return t->worker->scratch;
}

/* ---- TEST UNIT READY, REQUEST SENSE ---- */

enum scsi_sr spc_tur(struct scsi_task *t, struct scsi_cmd *c)
{
	return SCSI_SR_OK;
}

/*
 * SPC-4 6.39: REQUEST SENSE returns (and clears) the oldest pending unit
 * attention as parameter data with GOOD status; an unsupported LUN
 * returns LOGICAL UNIT NOT SUPPORTED the same way.  DESC picks the format.
 */
enum scsi_sr spc_request_sense(struct scsi_task *t, struct scsi_cmd *c)
{
	bool desc = t->cdb[1] & 0x01;
	uint8_t *buf = t->worker->scratch;
	uint8_t len = 0;
	uint16_t ua = 0;

	if (!c->ve) {
		if (t->lun == SCSI_LUN_WLUN_REPORT_LUNS)
			scsi_build_sense(buf, &len, desc, SCSI_SK_NO_SENSE, 0,
					 NULL);
		else
			scsi_build_sense(buf, &len, desc,
					 SCSI_SK_ILLEGAL_REQUEST,
					 SCSI_ASC_LU_NOT_SUPPORTED, NULL);
	} else {
		if (scsi_ua_pending(c->ve))
			ua = scsi_ua_pop(c->ve);
		scsi_build_sense(buf, &len, desc,
				 ua ? SCSI_SK_UNIT_ATTENTION : SCSI_SK_NO_SENSE,
				 ua, NULL);
	}
	scsi_out(t, c, len);
	return SCSI_SR_OK;
}

/* ---- INQUIRY ---- */

static void spc_inquiry_std(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t *b = scsi_out(t, c, SCSI_INQ_STD_LEN);
	struct scsi_lu *lu = c->lu;

	memset(b, 0, SCSI_INQ_STD_LEN);
	if (lu)
		b[0] = SCSI_PQ_CONNECTED | SCSI_PDT_DISK;
	else if (t->lun == SCSI_LUN_WLUN_REPORT_LUNS)
		b[0] = SCSI_PQ_CONNECTED | SCSI_PDT_WLUN;
	else if (t->lun == 0)
		/* SPC-4 6.6.2: LUN 0 placeholder, target capable. */
		b[0] = SCSI_PQ_NOT_CONNECTED | SCSI_PDT_UNKNOWN;
	else
		b[0] = SCSI_PQ_NOT_CAPABLE | SCSI_PDT_UNKNOWN;
	b[2] = SCSI_INQ_VERSION_SPC4;
	b[3] = SCSI_INQ_RDF_2;
	b[4] = SCSI_INQ_STD_LEN - 5;
	/* 3PC: EXTENDED COPY and RECEIVE COPY RESULTS (xcopy.c). */
	if (lu)
		b[5] = SCSI_INQ_TPGS_IMPLICIT | SCSI_INQ_3PC;
	b[7] = SCSI_INQ_CMDQUE;
	put_padded(b + SCSI_INQ_VENDOR, 8, lu ? lu->vendor : "SRPTD");
	put_padded(b + SCSI_INQ_PRODUCT, 16, lu ? lu->product : "");
	put_padded(b + SCSI_INQ_REVISION, 4, lu ? lu->revision : "");
	put_be16(b + SCSI_INQ_VERSION_DESC, SCSI_VD_SAM5);
	put_be16(b + SCSI_INQ_VERSION_DESC + 2, SCSI_VD_SRP);
	put_be16(b + SCSI_INQ_VERSION_DESC + 4, SCSI_VD_SPC4);
	if (lu)
		put_be16(b + SCSI_INQ_VERSION_DESC + 6, SCSI_VD_SBC3);
}

static const uint8_t spc_vpd_pages[] = {
	SCSI_VPD_SUPPORTED,	  SCSI_VPD_SERIAL,
	SCSI_VPD_DEVICE_ID,	  SCSI_VPD_EXTENDED_INQUIRY,
	SCSI_VPD_BLOCK_LIMITS,	  SCSI_VPD_BLOCK_CHARACTERISTICS,
	SCSI_VPD_LB_PROVISIONING,
};

/* Append one designation descriptor (SPC-4 7.8.6.1). */
static uint8_t *spc_desig(uint8_t *p, uint8_t proto_codeset, uint8_t flags,
			  const void *body, uint8_t len)
{
	p[0] = proto_codeset;
	p[1] = flags;
	p[2] = 0;
	p[3] = len;
	memcpy(p + 4, body, len);
	return p + 4 + len;
}

static uint32_t spc_vpd_device_id(struct scsi_task *t, struct scsi_lu *lu,
				  uint8_t *b)
{
	uint8_t *p = b + 4, body[256];
	const uint8_t srp = SCSI_PROTOCOL_ID_SRP << 4;
	size_t n;

	/* 1. NAA 6, logical unit. */
	p = spc_desig(p, SCSI_DESIG_CODESET_BINARY,
		      SCSI_DESIG_ASSOC_LU | SCSI_DESIG_TYPE_NAA, lu->naa,
		      SCSI_NAA_LEN);
	/* 2. T10 vendor id: vendor (8, padded) + unit serial. */
	n = strlen(lu->serial);
	put_padded(body, 8, lu->vendor);
	memcpy(body + 8, lu->serial, n);
	p = spc_desig(p, SCSI_DESIG_CODESET_ASCII,
		      SCSI_DESIG_ASSOC_LU | SCSI_DESIG_TYPE_T10, body, 8 + n);
	/* 3. Relative target port and 4. target port group (for ALUA). */
	memset(body, 0, 4);
	put_be16(body + 2, t->itn->rtpi);
	p = spc_desig(p, srp | SCSI_DESIG_CODESET_BINARY,
		      SCSI_DESIG_PIV | SCSI_DESIG_ASSOC_PORT |
			      SCSI_DESIG_TYPE_RTPI,
		      body, 4);
	pthread_mutex_lock(&lu->lock); /* a reload may change it */
	put_be16(body + 2, lu->alua.own.id);
	pthread_mutex_unlock(&lu->lock);
	p = spc_desig(p, srp | SCSI_DESIG_CODESET_BINARY,
		      SCSI_DESIG_PIV | SCSI_DESIG_ASSOC_PORT |
			      SCSI_DESIG_TYPE_TPG,
		      body, 4);
	/* 5. SCSI name string of the target device: NUL, multiple of 4. */
	n = strlen(lu->target_name);
	if (n) {
		size_t padded = ALIGN_UP(n + 1, (size_t)4);

		memset(body, 0, padded);
		memcpy(body, lu->target_name, n);
		p = spc_desig(p, srp | SCSI_DESIG_CODESET_UTF8,
			      SCSI_DESIG_PIV | SCSI_DESIG_ASSOC_TARGET |
				      SCSI_DESIG_TYPE_SCSI_NAME,
			      body, padded);
	}
	return p - b;
}

static enum scsi_sr spc_inquiry_vpd(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t *b = t->worker->scratch;
	struct scsi_lu *lu = c->lu;
	struct srptd_bdev *bd;
	uint32_t len, bs;

	if (!lu)
		return SCSI_SR_LU_NOT_SUPPORTED;
	bd = lu->bdev;
	bs = bd->block_size;
	memset(b, 0, 512);
	b[0] = SCSI_PDT_DISK;
	b[1] = t->cdb[2];
	switch (t->cdb[2]) {
	case SCSI_VPD_SUPPORTED:
		memcpy(b + 4, spc_vpd_pages, sizeof(spc_vpd_pages));
		len = 4 + sizeof(spc_vpd_pages);
		break;
	case SCSI_VPD_SERIAL:
		len = strlen(lu->serial);
		memcpy(b + 4, lu->serial, len);
		len += 4;
		break;
	case SCSI_VPD_DEVICE_ID:
		len = spc_vpd_device_id(t, lu, b);
		break;
	case SCSI_VPD_EXTENDED_INQUIRY:
		/* SPC-4 7.8.7: HEADSUP, ORDSUP, SIMPSUP; V_SUP (verify). */
		b[5] = 0x07;
		b[6] = 0x01;
		len = 64;
		break;
	case SCSI_VPD_BLOCK_LIMITS: {
		/* SBC-3 6.5.3. */
		uint32_t gran =
			bd->phys_block_size > bs ? bd->phys_block_size / bs : 1;

		b[4] = 0x01; /* WSNZ: WRITE SAME needs a block count */
		b[5] = SCSI_MAX_CAW_BLOCKS;
		put_be16(b + 6, gran);
		put_be32(b + 8, lu->max_xfer_bytes / bs);
		if (bd->can_discard) {
			uint32_t ug = bd->discard_granularity > bs ?
					      bd->discard_granularity / bs :
					      1;

			put_be32(b + 20, SCSI_MAX_UNMAP_LBAS);
			put_be32(b + 24, SCSI_MAX_UNMAP_DESCS);
			put_be32(b + 28, ug);
			b[32] = 0x80; /* UGAVALID, alignment 0 */
		}
		put_be64(b + 36, SCSI_MAX_WRITE_SAME_LBAS);
		len = 64;
		break;
	}
	case SCSI_VPD_BLOCK_CHARACTERISTICS:
		/* SBC-3 6.5.2: rotation rate and form factor not reported. */
		len = 64;
		break;
	case SCSI_VPD_LB_PROVISIONING:
		/* SBC-3 6.5.4. */
		if (bd->can_discard) {
			b[5] = SCSI_LBP_LBPU | SCSI_LBP_LBPWS |
			       SCSI_LBP_LBPWS10;
			b[6] = 0x02; /* thin provisioned */
		}
		if (bd->discard_zeroes)
			b[5] |= SCSI_LBP_LBPRZ;
		len = 8;
		break;
	default:
		return scsi_invalid_cdb(c, 2, -1);
	}
	put_be16(b + 2, len - 4);
	scsi_out(t, c, len);
	return SCSI_SR_OK;
}

enum scsi_sr spc_inquiry(struct scsi_task *t, struct scsi_cmd *c)
{
	if (t->cdb[1] & 0x01)
		return spc_inquiry_vpd(t, c);
	if (t->cdb[2])
		return scsi_invalid_cdb(c, 2, -1); /* PAGE CODE without EVPD */
	spc_inquiry_std(t, c);
	return SCSI_SR_OK;
}

/* ---- MODE SENSE / MODE SELECT (SPC-4 7.5, SBC-3 6.4) ---- */

static const uint8_t spc_mode_page_list[] = {
	SCSI_MP_RW_ERROR_RECOVERY,
	SCSI_MP_CACHING,
	SCSI_MP_CONTROL,
	SCSI_MP_INFO_EXCEPTIONS,
};

/* Build page into p for page control pc; returns its length or 0. */
static uint32_t spc_mode_page(struct scsi_lu *lu, uint8_t page, int pc,
			      uint8_t *p)
{
	uint32_t len;

	switch (page) {
	case SCSI_MP_RW_ERROR_RECOVERY:
	case SCSI_MP_INFO_EXCEPTIONS:
		len = 12;
		memset(p, 0, len);
		break;
	case SCSI_MP_CACHING:
		len = 20;
		memset(p, 0, len);
		if (pc == SCSI_MODE_PC_CHANGEABLE)
			p[2] = SCSI_MP_CACHING_WCE;
		else if (pc == SCSI_MODE_PC_DEFAULT ? lu->bdev->write_cache :
						      atomic_load(&lu->wce))
			p[2] = SCSI_MP_CACHING_WCE;
		break;
	case SCSI_MP_CONTROL:
		len = 12;
		memset(p, 0, len);
		if (pc == SCSI_MODE_PC_CHANGEABLE) {
			p[2] = SCSI_MP_CONTROL_D_SENSE;
			break;
		}
		p[2] = SCSI_MP_CONTROL_GLTSD;
		if (pc == SCSI_MODE_PC_DEFAULT ? lu->d_sense_default :
						 atomic_load(&lu->d_sense))
			p[2] |= SCSI_MP_CONTROL_D_SENSE;
		p[3] = 0x10; /* QUEUE ALGORITHM MODIFIER 1: unrestricted */
		break;
	default:
		return 0;
	}
	p[0] = page;
	p[1] = len - 2;
	return len;
}

enum scsi_sr spc_mode_sense(struct scsi_task *t, struct scsi_cmd *c)
{
	bool ten = t->cdb[0] == SCSI_OP_MODE_SENSE_10;
	bool dbd = t->cdb[1] & 0x08, llbaa = ten && (t->cdb[1] & 0x10);
	int pc = t->cdb[2] >> 6;
	uint8_t page = t->cdb[2] & 0x3f, subpage = t->cdb[3];
	uint32_t hdr = ten ? SCSI_MODE_HDR10_LEN : SCSI_MODE_HDR6_LEN;
	uint8_t *b = t->worker->scratch, *p;
	struct scsi_lu *lu = c->lu;
	uint64_t nblocks = scsi_lu_nblocks(t->worker, lu);
	uint32_t len, bdlen = 0, i;

	if (pc == SCSI_MODE_PC_SAVED)
		return SCSI_SR_SAVING_NOT_SUPPORTED;
	if (subpage && !(page == SCSI_MP_ALL && subpage == 0xff))
		return scsi_invalid_cdb(c, 3, -1);
	memset(b, 0, hdr);
	p = b + hdr;
	if (!dbd) {
		bdlen = llbaa ? SCSI_MODE_BD_LONG_LEN : SCSI_MODE_BD_SHORT_LEN;
		memset(p, 0, bdlen);
		if (llbaa) {
			put_be64(p, nblocks);
			put_be32(p + 12, lu->bdev->block_size);
		} else {
			put_be32(p,
				 nblocks > UINT32_MAX ? UINT32_MAX : nblocks);
			put_be24(p + 5, lu->bdev->block_size);
		}
		p += bdlen;
	}
	if (page == SCSI_MP_ALL) {
		for (i = 0; i < ARRAY_SIZE(spc_mode_page_list); i++)
			p += spc_mode_page(lu, spc_mode_page_list[i], pc, p);
	} else {
		len = spc_mode_page(lu, page, pc, p);
		if (!len)
			return scsi_invalid_cdb(c, 2, 5);
		p += len;
	}
	len = p - b;
	/* Device-specific parameter (SBC-3 6.4.1): WP, DPOFUA. */
	if (ten) {
		put_be16(b, len - 2);
		b[3] = (scsi_cmd_read_only(c) ? SCSI_MODE_DSP_WP : 0) |
		       SCSI_MODE_DSP_DPOFUA;
		b[4] = llbaa && bdlen ? 0x01 : 0; /* LONGLBA */
		put_be16(b + 6, bdlen);
	} else {
		b[0] = len - 1;
		b[2] = (scsi_cmd_read_only(c) ? SCSI_MODE_DSP_WP : 0) |
		       SCSI_MODE_DSP_DPOFUA;
		b[3] = bdlen;
	}
	scsi_out(t, c, len);
	return SCSI_SR_OK;
}

enum scsi_sr spc_mode_select(struct scsi_task *t, struct scsi_cmd *c)
{
	bool ten = t->cdb[0] == SCSI_OP_MODE_SELECT_10;
	uint32_t hdr = ten ? SCSI_MODE_HDR10_LEN : SCSI_MODE_HDR6_LEN;
	uint8_t *b = t->worker->scratch, cur[32], chg[32];
	struct scsi_lu *lu = c->lu;
	uint32_t len = t->xfer_len, off, bdlen, i;
	int new_wce = -1, new_dsense = -1;
	bool changed = false;

	if (!(t->cdb[1] & 0x10))
		return scsi_invalid_cdb(c, 1, 4); /* PF: SPC page format */
	if (t->cdb[1] & 0x01)
		return scsi_invalid_cdb(c, 1, 0); /* SP: nothing saveable */
	if (!len)
		return SCSI_SR_OK;
	if (scsi_iov_copy_from(t, 0, b, len) < len)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (len < hdr)
		return SCSI_SR_PARAM_LIST_LENGTH;
	bdlen = ten ? get_be16(b + 6) : b[3];
	if (b[1]) /* MEDIUM TYPE */
		return scsi_invalid_param(c, 1, -1);
	if (bdlen != 0 && bdlen != SCSI_MODE_BD_SHORT_LEN &&
	    !(ten && (b[4] & 1) && bdlen == SCSI_MODE_BD_LONG_LEN))
		return scsi_invalid_param(c, ten ? 6 : 3, -1);
	if (hdr + bdlen > len)
		return SCSI_SR_PARAM_LIST_LENGTH;
	if (bdlen) {
		/* Block descriptor: the block length cannot change. */
		const uint8_t *d = b + hdr;
		uint32_t blen = bdlen == SCSI_MODE_BD_LONG_LEN ?
					get_be32(d + 12) :
					get_be24(d + 5);

		if (blen && blen != lu->bdev->block_size)
			return scsi_invalid_param(
				c,
				hdr + (bdlen == SCSI_MODE_BD_LONG_LEN ? 12 : 5),
				-1);
	}
	/* Validate every page before applying any (atomic MODE SELECT). */
	for (off = hdr + bdlen; off < len;) {
		uint8_t *p = b + off, page;
		uint32_t plen;

		if (off + 2 > len)
			return SCSI_SR_PARAM_LIST_LENGTH;
		if (p[0] & 0x40) /* SPF: no subpages supported */
			return scsi_invalid_param(c, off, 6);
		page = p[0] & 0x3f;
		plen = spc_mode_page(lu, page, SCSI_MODE_PC_CURRENT, cur);
		if (!plen)
			return scsi_invalid_param(c, off, 5);
		spc_mode_page(lu, page, SCSI_MODE_PC_CHANGEABLE, chg);
		if (p[1] != plen - 2)
			return scsi_invalid_param(c, off + 1, -1);
		if (off + plen > len)
			return SCSI_SR_PARAM_LIST_LENGTH;
		for (i = 2; i < plen; i++) {
			uint8_t bad = (p[i] ^ cur[i]) & ~chg[i];

			if (bad)
				return scsi_invalid_param(
					c, off + i, 31 - __builtin_clz(bad));
		}
		if (page == SCSI_MP_CACHING)
			new_wce = !!(p[2] & SCSI_MP_CACHING_WCE);
		if (page == SCSI_MP_CONTROL)
			new_dsense = !!(p[2] & SCSI_MP_CONTROL_D_SENSE);
		off += plen;
	}
	if (new_wce >= 0 && new_wce != atomic_load(&lu->wce)) {
		atomic_store(&lu->wce, new_wce);
		changed = true;
	}
	if (new_dsense >= 0 && new_dsense != atomic_load(&lu->d_sense)) {
		atomic_store(&lu->d_sense, new_dsense);
		changed = true;
	}
	if (changed) {
		/* SPC-4 7.5.1: MODE PARAMETERS CHANGED on other nexuses. */
		pthread_mutex_lock(&lu->lock);
		scsi_lu_queue_ua_others_locked(
			lu, t->itn, SCSI_ASC_MODE_PARAMETERS_CHANGED);
		pthread_mutex_unlock(&lu->lock);
	}
	return SCSI_SR_OK;
}

/* ---- REPORT LUNS (SPC-4 6.33) ---- */

static int spc_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

enum scsi_sr spc_report_luns(struct scsi_task *t, struct scsi_cmd *c)
{
	uint8_t sel = t->cdb[2], *b = t->worker->scratch;
	struct scsi_itn *itn = t->itn;
	struct scsi_itn_view *v = scsi_itn_cur_view(itn);
	uint64_t *luns;
	uint32_t n = 0, i;

	if (sel > SCSI_RL_SELECT_BOTH)
		return scsi_invalid_cdb(c, 2, -1);
	/*
	 * Sort at the end of the scratch and emit from the start: entry i is
	 * written at 8 + 8 i, below where luns[i] is read, so the two may
	 * share the buffer (16384 LUNs + W-LUN need 2 x 131 KB otherwise).
	 */
	luns = (uint64_t *)(b + SCSI_SCRATCH_LEN - 8 * (v->n + 1));
	if (sel != SCSI_RL_SELECT_WLUN)
		for (i = 0; i < v->n; i++)
			luns[n++] = v->ent[i].lun;
	qsort(luns, n, sizeof(*luns), spc_cmp_u64);
	if (sel != SCSI_RL_SELECT_ALL)
		luns[n++] = SCSI_LUN_WLUN_REPORT_LUNS;
	memset(b, 0, 8);
	put_be32(b, n * 8);
	for (i = 0; i < n; i++)
		scsi_lun_encode(luns[i], b + 8 + 8 * i);
	/* SPC-4 6.33: this clears REPORTED LUNS DATA HAS CHANGED. */
	scsi_itn_clear_ua(itn, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
	scsi_out(t, c, 8 + 8 * n);
	return SCSI_SR_OK;
}

/* ---- REPORT SUPPORTED OPERATION CODES (SPC-4 6.35) ---- */

static uint8_t *spc_rsoc_timeouts(uint8_t *p)
{
	memset(p, 0, 12);
	put_be16(p, 0x0a); /* no timeouts reported (0 = unknown) */
	return p + 12;
}

static uint8_t *spc_rsoc_desc(uint8_t *p, const struct scsi_opdesc *row,
			      uint8_t opcode, bool sa, bool rctd)
{
	memset(p, 0, 8);
	p[0] = opcode;
	if (sa) {
		put_be16(p + 2, row->sa_code);
		p[5] = 0x01; /* SERVACTV */
	}
	if (rctd)
		p[5] |= 0x02; /* CTDP */
	put_be16(p + 6, row->cdb_len);
	p += 8;
	return rctd ? spc_rsoc_timeouts(p) : p;
}

enum scsi_sr spc_report_opcodes(struct scsi_task *t, struct scsi_cmd *c)
{
	bool rctd = t->cdb[2] & 0x80;
	uint8_t opts = t->cdb[2] & 0x07, req = t->cdb[3];
	uint16_t req_sa = get_be16(t->cdb + 4);
	uint8_t *b = t->worker->scratch, *p;
	const struct scsi_opdesc *op, *row = NULL;
	unsigned int i, j;

	if (opts == 0) {
		p = b + 4;
		for (i = 0; i < 256; i++) {
			op = &scsi_optable[i];
			if (op->n_sa) {
				for (j = 0; j < op->n_sa; j++) {
					row = scsi_op_sa_row(i, j);
					if (!c->lu ||
					    !scsi_pr_op_hidden(c->lu, row))
						p = spc_rsoc_desc(p, row, i,
								  true, rctd);
				}
			} else if (op->parse &&
				   !(c->lu && scsi_pr_op_hidden(c->lu, op))) {
				p = spc_rsoc_desc(p, op, i, false, rctd);
			}
		}
		put_be32(b, p - b - 4);
		scsi_out(t, c, p - b);
		return SCSI_SR_OK;
	}
	if (opts > 3)
		return scsi_invalid_cdb(c, 2, 2);
	op = &scsi_optable[req];
	if (opts == 1 && op->n_sa)
		return scsi_invalid_cdb(c, 3, -1);
	if (opts == 2 && !op->n_sa && op->parse)
		return scsi_invalid_cdb(c, 3, -1);
	if (op->n_sa && opts != 1) {
		for (j = 0; j < op->n_sa; j++)
			if (scsi_op_sa_row(req, j)->sa_code == req_sa)
				row = scsi_op_sa_row(req, j);
	} else if (!op->n_sa && op->parse) {
		row = op;
	}
	if (row && c->lu && scsi_pr_op_hidden(c->lu, row))
		row = NULL; /* refused on this LU: see pr.c */
	memset(b, 0, 4);
	if (!row) {
		b[1] = 0x01; /* SUPPORT 001b: not supported */
		scsi_out(t, c, 4);
		return SCSI_SR_OK;
	}
	b[1] = 0x03 | (rctd ? 0x80 : 0); /* SUPPORT 011b, CTDP */
	put_be16(b + 2, row->cdb_len);
	p = b + 4;
	memcpy(p, row->usage, row->cdb_len);
	p[0] = req;
	if (op->n_sa)
		p[1] = (p[1] & ~0x1f) | row->sa_code;
	p += row->cdb_len;
	if (rctd)
		p = spc_rsoc_timeouts(p);
	scsi_out(t, c, p - b);
	return SCSI_SR_OK;
}
