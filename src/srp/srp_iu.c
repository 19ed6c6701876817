/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP information unit decoding (initiator -> target) and encoding
 * (target -> initiator).  See srp_iu.h for the contracts and
 * doc/srp-protocol.md sections 1-10 for the layouts.
 *
 * Every received length is untrusted: all offsets are computed in 64-bit
 * (or size_t) arithmetic and compared with the received length before a
 * byte is read.
 */
#include <errno.h>
#include <string.h>

#include "srp/srp_iu.h"
#include "util.h"

const char *srp_iu_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case SRP_IU_ETRUNC:
		return "IU shorter than its fixed part";
	case SRP_IU_EOPCODE:
		return "unexpected IU opcode";
	case SRP_IU_EADDCDB:
		return "additional CDB runs past the IU";
	case SRP_IU_EFMT:
		return "invalid data buffer format";
	case SRP_IU_EBIDI:
		return "bidirectional command not supported";
	case SRP_IU_EDESC:
		return "data descriptors do not fit in the IU";
	case SRP_IU_EZEROLEN:
		return "zero-length data descriptor";
	case SRP_IU_EOVERFLOW:
		return "descriptor lengths overflow the total length";
	case SRP_IU_ETABLE:
		return "malformed indirect table descriptor";
	case SRP_IU_EEXTTBL:
		return "external indirect descriptor table not supported";
	case SRP_IU_EIMM:
		return "invalid immediate data";
	case SRP_IU_ELUN:
		return "unsupported LUN address method";
	case SRP_IU_ENOSPC:
		return "output buffer too small";
	default:
		return "invalid IU";
	}
}

int srp_lun_decode(const uint8_t lun[8], uint64_t *out)
{
	uint32_t hi;
	uint16_t mid;

	/*
	 * Only single-level LUNs: second..fourth level (bytes 2-7) must be
	 * zero; read as two words, as every SRP_CMD pays this.
	 */
	memcpy(&mid, lun + 2, 2);
	memcpy(&hi, lun + 4, 4);
	if (mid | hi)
		return -SRP_IU_ELUN;
	/*
	 * Byte 0 zero: peripheral device addressing of bus 0 (case 0
	 * below), how initiators address LUNs below 256; one test before
	 * the switch on the address method.
	 */
	if (!lun[0]) {
		*out = lun[1];
		return 0;
	}
	switch (lun[0] >> 6) {
	case 0: /* peripheral device addressing (SAM-5 4.7.7.2) */
		if (lun[0] & 0x3f) /* bus identifier: only bus 0 */
			return -SRP_IU_ELUN;
		*out = lun[1];
		return 0;
	case 1: /* flat space addressing: 14-bit LUN */
		*out = (uint64_t)(lun[0] & 0x3f) << 8 | lun[1];
		return 0;
	case 3: /* extended: well-known LUNs, only REPORT LUNS (C1 01) */
		if (lun[0] == 0xc1 && lun[1] == 0x01) {
			*out = SRP_LUN_WLUN_REPORT_LUNS;
			return 0;
		}
		return -SRP_IU_ELUN;
	default: /* logical unit addressing (10b) */
		return -SRP_IU_ELUN;
	}
}

int srp_lun_encode(uint64_t lun, uint8_t out[8])
{
	memset(out, 0, 8);
	if (lun < 256) {
		out[1] = lun;
	} else if (lun <= SRP_LUN_MAX) {
		out[0] = 0x40 | (lun >> 8);
		out[1] = lun & 0xff;
	} else if (lun == SRP_LUN_WLUN_REPORT_LUNS) {
		out[0] = 0xc1;
		out[1] = 0x01;
	} else {
		return -EINVAL;
	}
	return 0;
}

static inline void srp_read_desc(const uint8_t *p, struct srp_data_desc *d)
{
	const struct srp_direct_buf *b = (const void *)p;

	d->va = get_be64(b->va);
	d->key = get_be32(b->key);
	d->len = get_be32(b->len);
}

/*
 * An indirect descriptor (table descriptor, total length, the entries
 * the IU carries) at IU offset *off into d; advance *off past it.  cnt
 * is the IU's data_{out,in}_desc_cnt.
 */
static int srp_decode_indirect(const uint8_t *iu, size_t len, size_t *off,
			       uint8_t cnt, const struct srp_cmd_limits *lim,
			       struct srp_cmd_dir *d)
{
	struct srp_data_desc desc;
	uint64_t sum = 0;
	size_t end;
	uint32_t i;

	if (*off + sizeof(struct srp_indirect_buf) > len)
		return -SRP_IU_EDESC;
	srp_read_desc(iu + *off, &d->table);
	d->total_len = get_be32(iu + *off + 16);
	/*
	 * The table descriptor describes whole 16-byte entries, at least
	 * one, and at least the ones the IU carries.
	 */
	if (!d->table.len || d->table.len % sizeof(struct srp_direct_buf))
		return -SRP_IU_ETABLE;
	d->table_cnt = d->table.len / sizeof(struct srp_direct_buf);
	if (cnt > d->table_cnt)
		return -SRP_IU_ETABLE;
	end = *off + sizeof(struct srp_indirect_buf) +
	      (size_t)cnt * sizeof(struct srp_direct_buf);
	if (end > len)
		return -SRP_IU_EDESC;
	d->desc_off = *off + sizeof(struct srp_indirect_buf);
	d->desc_cnt = cnt;
	d->ext_table = cnt < d->table_cnt;
	if (d->ext_table && !lim->allow_ext_table)
		return -SRP_IU_EEXTTBL;
	if (!d->total_len)
		return -SRP_IU_EZEROLEN;
	for (i = 0; i < cnt; i++) {
		srp_read_desc(iu + d->desc_off + 16 * i, &desc);
		if (!desc.len)
			return -SRP_IU_EZEROLEN;
		sum += desc.len;
	}
	/*
	 * The IU's descriptors must add up to the total exactly when the
	 * table is complete, and may not exceed it otherwise.
	 */
	if (sum > d->total_len || (!d->ext_table && sum != d->total_len))
		return -SRP_IU_EOVERFLOW;
	*off = end;
	return 0;
}

/*
 * Decode the descriptor(s) of one direction starting at IU offset *off;
 * advance *off past them.  cnt is the IU's data_{out,in}_desc_cnt.
 * Inline, the indirect case out of line: every SRP_CMD decodes two
 * directions, mostly none or one direct descriptor, and the two calls
 * cost more than their work (doc/performance.md "Host loopback guard").
 */
static inline __attribute__((always_inline)) int
srp_decode_dir(const uint8_t *iu, size_t len, size_t *off, uint8_t fmt,
	       uint8_t cnt, const struct srp_cmd_limits *lim,
	       struct srp_cmd_dir *d)
{
	*d = (struct srp_cmd_dir){ .fmt = fmt };
	switch (fmt) {
	case SRP_DATA_DESC_NONE:
		return 0;
	case SRP_DATA_DESC_DIRECT:
		if (*off + sizeof(struct srp_direct_buf) > len)
			return -SRP_IU_EDESC;
		srp_read_desc(iu + *off, &d->desc);
		if (!d->desc.len)
			return -SRP_IU_EZEROLEN;
		d->desc_cnt = 1;
		d->desc_off = *off;
		d->total_len = d->desc.len;
		*off += sizeof(struct srp_direct_buf);
		return 0;
	case SRP_DATA_DESC_INDIRECT:
		return srp_decode_indirect(iu, len, off, cnt, lim, d);
	default:
		return -SRP_IU_EFMT;
	}
}

/*
 * An IU shorter than the fixed part of an SRP_CMD, or not one: every
 * field zero, but the tag and sol_not when the opcode matches and they
 * were received (the engine answers that tag).
 */
static int srp_cmd_decode_short(const struct srp_cmd *cmd, size_t len,
				struct srp_cmd_info *out)
{
	out->tag = 0;
	out->sol_not = out->task_attr = 0;
	memset(out->lun_raw, 0, sizeof(out->lun_raw));
	out->lun = 0;
	out->lun_err = 0;
	out->cdb = NULL;
	out->cdb_len = 0;
	out->dout = out->din = (struct srp_cmd_dir){ 0 };
	if (len < 1)
		return -SRP_IU_ETRUNC;
	if (cmd->opcode != SRP_CMD)
		return -SRP_IU_EOPCODE;
	if (len >= 16) {
		out->tag = get_be64(cmd->tag);
		out->sol_not = cmd->sol_not;
	}
	return -SRP_IU_ETRUNC;
}

/*
 * The fixed part of an SRP_CMD of at least its size and its format
 * nibbles: everything but the descriptors.  *off is where the
 * descriptors start.
 */
static int srp_cmd_decode_fixed(const struct srp_cmd *cmd, size_t len,
				const struct srp_cmd_limits *lim,
				struct srp_cmd_info *out, size_t *off)
{
	uint8_t dofmt, difmt;

	out->tag = get_be64(cmd->tag);
	out->sol_not = cmd->sol_not;
	out->task_attr = cmd->task_attr & SRP_CMD_TASK_ATTR_MASK;
	memcpy(out->lun_raw, cmd->lun, 8);
	out->lun = 0; /* stays 0 when lun_err is set */
	out->lun_err = srp_lun_decode(cmd->lun, &out->lun);
	out->cdb = cmd->cdb;
	/* Additional CDB length: bits 7:2 count 4-byte words (SRP r16a). */
	out->cdb_len = 16 + (cmd->add_cdb_len & SRP_CMD_ADD_CDB_MASK);
	*off = sizeof(*cmd) + (cmd->add_cdb_len & SRP_CMD_ADD_CDB_MASK);
	if (*off > len)
		return -SRP_IU_EADDCDB;

	dofmt = cmd->buf_fmt >> 4;
	difmt = cmd->buf_fmt & 0x0f;
	if (dofmt > SRP_DATA_DESC_IMM || difmt > SRP_DATA_DESC_INDIRECT)
		return -SRP_IU_EFMT;
	/* Immediate data is a DATA-OUT-only format (SRP-2). */
	if (dofmt == SRP_DATA_DESC_IMM && difmt != SRP_DATA_DESC_NONE)
		return -SRP_IU_EFMT;
	if (dofmt && difmt && !lim->allow_bidi)
		return -SRP_IU_EBIDI;
	return 0;
}

/* The immediate data descriptor (SRP-2) at IU offset off. */
static int srp_decode_imm(const uint8_t *iu, size_t len, size_t off,
			  const struct srp_cmd_limits *lim,
			  struct srp_cmd_dir *d)
{
	uint32_t ilen;

	if (!lim->imm_data_offset)
		return -SRP_IU_EIMM;
	if (off + sizeof(struct srp_imm_buf) > len)
		return -SRP_IU_EDESC;
	/* The data may not overlap the CDB or the descriptor. */
	if (off + sizeof(struct srp_imm_buf) > lim->imm_data_offset)
		return -SRP_IU_EIMM;
	ilen = get_be32(iu + off);
	if (!ilen)
		return -SRP_IU_EZEROLEN;
	if ((uint64_t)lim->imm_data_offset + ilen > len)
		return -SRP_IU_EIMM;
	d->imm_off = lim->imm_data_offset;
	d->total_len = ilen;
	return 0;
}

int srp_cmd_decode(const void *buf, size_t len,
		   const struct srp_cmd_limits *lim, struct srp_cmd_info *out)
{
	static const struct srp_cmd_limits nolim = { 0 };
	const struct srp_cmd *cmd = buf;
	const uint8_t *iu = buf;
	size_t off = 0;
	int ret;

	/*
	 * Every field is zero until decoded, as after a memset of the
	 * whole struct, but field by field: a short IU is cleared by
	 * srp_cmd_decode_short(), the fixed part is written whole by
	 * srp_cmd_decode_fixed(), each direction is cleared where it is
	 * decoded (or below, if an error comes first); a memset call was
	 * a tenth of the IU decode, clearing what is written next another
	 * few per cent (doc/performance.md "Host loopback guard").
	 */
	if (len < sizeof(*cmd) || cmd->opcode != SRP_CMD)
		return srp_cmd_decode_short(cmd, len, out);
	if (!lim)
		lim = &nolim;
	ret = srp_cmd_decode_fixed(cmd, len, lim, out, &off);
	if (ret) {
		out->dout = out->din = (struct srp_cmd_dir){ 0 };
		return ret;
	}
	if (cmd->buf_fmt >> 4 == SRP_DATA_DESC_IMM) {
		out->dout = (struct srp_cmd_dir){ .fmt = SRP_DATA_DESC_IMM };
		out->din = (struct srp_cmd_dir){ 0 };
		return srp_decode_imm(iu, len, off, lim, &out->dout);
	}
	/* DATA-OUT descriptors come first (SRP r16a SRP_CMD). */
	ret = srp_decode_dir(iu, len, &off, cmd->buf_fmt >> 4,
			     cmd->data_out_desc_cnt, lim, &out->dout);
	if (ret) {
		out->din = (struct srp_cmd_dir){ 0 };
		return ret;
	}
	return srp_decode_dir(iu, len, &off, cmd->buf_fmt & 0x0f,
			      cmd->data_in_desc_cnt, lim, &out->din);
}

int srp_cmd_get_desc(const void *iu, const struct srp_cmd_dir *dir, uint32_t i,
		     struct srp_data_desc *out)
{
	if ((dir->fmt != SRP_DATA_DESC_DIRECT &&
	     dir->fmt != SRP_DATA_DESC_INDIRECT) ||
	    i >= dir->desc_cnt)
		return -EINVAL;
	srp_read_desc((const uint8_t *)iu + dir->desc_off + 16 * i, out);
	return 0;
}

int srp_tsk_mgmt_decode(const void *buf, size_t len,
			struct srp_tsk_mgmt_info *out)
{
	const struct srp_tsk_mgmt *tm = buf;

	memset(out, 0, sizeof(*out));
	if (len < 1)
		return -SRP_IU_ETRUNC;
	if (tm->opcode != SRP_TSK_MGMT)
		return -SRP_IU_EOPCODE;
	if (len >= 16) {
		out->tag = get_be64(tm->tag);
		out->sol_not = tm->sol_not;
	}
	if (len < sizeof(*tm))
		return -SRP_IU_ETRUNC;
	out->task_tag = get_be64(tm->task_tag);
	out->func = tm->tsk_mgmt_func;
	memcpy(out->lun_raw, tm->lun, 8);
	out->lun_err = srp_lun_decode(tm->lun, &out->lun);
	return 0;
}

/* Opcode + tag IUs of 16 bytes. */
static int srp_decode_short(const void *buf, size_t len, uint8_t opcode,
			    uint64_t *tag)
{
	const uint8_t *iu = buf;

	*tag = 0;
	if (len < 1)
		return -SRP_IU_ETRUNC;
	if (iu[0] != opcode)
		return -SRP_IU_EOPCODE;
	if (len < 16)
		return -SRP_IU_ETRUNC;
	*tag = get_be64(iu + 8);
	return 0;
}

int srp_i_logout_decode(const void *iu, size_t len, uint64_t *tag)
{
	return srp_decode_short(iu, len, SRP_I_LOGOUT, tag);
}

int srp_cred_rsp_decode(const void *iu, size_t len, uint64_t *tag)
{
	return srp_decode_short(iu, len, SRP_CRED_RSP, tag);
}

int srp_aer_rsp_decode(const void *iu, size_t len, uint64_t *tag)
{
	return srp_decode_short(iu, len, SRP_AER_RSP, tag);
}

int srp_rsp_encode(void *buf, size_t cap, const struct srp_rsp_info *r,
		   bool *sense_truncated)
{
	struct srp_rsp *rsp = buf;
	uint8_t *data = (uint8_t *)buf + sizeof(*rsp);
	size_t room;
	uint32_t slen = r->sense ? r->sense_len : 0;
	uint32_t rlen = r->resp_data ? r->resp_data_len : 0;
	uint32_t do_res = 0, di_res = 0;
	uint8_t flags;

	if (sense_truncated)
		*sense_truncated = false;
	if (cap < sizeof(*rsp) || rlen > cap - sizeof(*rsp))
		return -SRP_IU_ENOSPC;
	room = cap - sizeof(*rsp) - rlen;
	if (slen > room) {
		slen = room;
		if (sense_truncated)
			*sense_truncated = true;
	}

	flags = r->res.flags & (SRP_RSP_FLAG_DOOVER | SRP_RSP_FLAG_DOUNDER |
				SRP_RSP_FLAG_DIOVER | SRP_RSP_FLAG_DIUNDER);
	if (flags & (SRP_RSP_FLAG_DOOVER | SRP_RSP_FLAG_DOUNDER))
		do_res = r->res.data_out_res_cnt;
	if (flags & (SRP_RSP_FLAG_DIOVER | SRP_RSP_FLAG_DIUNDER))
		di_res = r->res.data_in_res_cnt;
	if (rlen)
		flags |= SRP_RSP_FLAG_RSPVALID;
	if (slen)
		flags |= SRP_RSP_FLAG_SNSVALID;
	srp_rsp_put_fixed(rsp, r->tag, r->req_lim_delta, r->sol_not, flags,
			  r->status, do_res, di_res, slen, rlen);
	/* Sense follows the response data (doc/srp-protocol.md 7). */
	if (rlen)
		memcpy(data, r->resp_data, rlen);
	if (slen)
		memcpy(data + rlen, r->sense, slen);
	return sizeof(*rsp) + rlen + slen;
}

int srp_rsp_encode_tm(void *buf, size_t cap, uint64_t tag,
		      uint32_t req_lim_delta, uint8_t rsp_code)
{
	uint8_t rdata[SRP_RSP_DATA_LEN_TM] = { 0, 0, 0, rsp_code };
	struct srp_rsp_info r = {
		.tag = tag,
		.req_lim_delta = req_lim_delta,
		.status = 0,
		.resp_data = rdata,
		.resp_data_len = sizeof(rdata),
	};

	return srp_rsp_encode(buf, cap, &r, NULL);
}

int srp_t_logout_encode(void *buf, size_t cap, uint64_t tag, uint32_t reason,
			uint8_t sol_not)
{
	struct srp_t_logout *t = buf;

	if (cap < sizeof(*t))
		return -SRP_IU_ENOSPC;
	memset(t, 0, sizeof(*t));
	t->opcode = SRP_T_LOGOUT;
	t->sol_not = sol_not;
	put_be32(t->reason, reason);
	put_be64(t->tag, tag);
	return sizeof(*t);
}

int srp_cred_req_encode(void *buf, size_t cap, uint64_t tag,
			uint32_t req_lim_delta, uint8_t sol_not)
{
	struct srp_cred_req *c = buf;

	if (cap < sizeof(*c))
		return -SRP_IU_ENOSPC;
	memset(c, 0, sizeof(*c));
	c->opcode = SRP_CRED_REQ;
	c->sol_not = sol_not;
	put_be32(c->req_lim_delta, req_lim_delta);
	put_be64(c->tag, tag);
	return sizeof(*c);
}

int srp_aer_req_encode(void *buf, size_t cap, uint64_t tag,
		       uint32_t req_lim_delta, const uint8_t lun[8],
		       const uint8_t *sense, uint32_t sense_len)
{
	struct srp_aer_req *a = buf;

	if (!sense)
		sense_len = 0;
	if (cap < sizeof(*a) || sense_len > cap - sizeof(*a))
		return -SRP_IU_ENOSPC;
	memset(a, 0, sizeof(*a));
	a->opcode = SRP_AER_REQ;
	put_be32(a->req_lim_delta, req_lim_delta);
	put_be64(a->tag, tag);
	memcpy(a->lun, lun, 8);
	put_be32(a->sense_data_len, sense_len);
	if (sense_len)
		memcpy((uint8_t *)buf + sizeof(*a), sense, sense_len);
	return sizeof(*a) + sense_len;
}

int srp_login_rsp_encode(void *buf, size_t cap,
			 const struct srp_login_rsp_info *r)
{
	struct srp_login_rsp *l = buf;

	if (cap < sizeof(*l))
		return -SRP_IU_ENOSPC;
	memset(l, 0, sizeof(*l));
	l->opcode = SRP_LOGIN_RSP;
	put_be32(l->req_lim_delta, r->req_lim_delta);
	put_be64(l->tag, r->tag);
	put_be32(l->max_it_iu_len, r->max_it_iu_len);
	put_be32(l->max_ti_iu_len, r->max_ti_iu_len);
	put_be16(l->buf_fmt, r->buf_fmt);
	l->rsp_flags = r->rsp_flags;
	return sizeof(*l);
}

int srp_login_rej_encode(void *buf, size_t cap, uint64_t tag, uint32_t reason,
			 uint16_t buf_fmt)
{
	struct srp_login_rej *l = buf;

	if (cap < sizeof(*l))
		return -SRP_IU_ENOSPC;
	memset(l, 0, sizeof(*l));
	l->opcode = SRP_LOGIN_REJ;
	put_be32(l->reason, reason);
	put_be64(l->tag, tag);
	put_be16(l->buf_fmt, buf_fmt);
	return sizeof(*l);
}
