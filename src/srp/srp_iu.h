/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP information unit decoding and encoding.
 *
 * Pure functions over byte buffers: no I/O, no allocation, no logging.
 * Decoders take the received length and never read past it; encoders take
 * the buffer capacity and never write past it.  Wire layouts are in
 * "srptd/srp_proto.h".
 *
 * Error convention: 0 (or a positive byte count for encoders) on success,
 * a negative errno on failure.  Each malformed-IU condition has its own
 * errno, named by the SRP_IU_E* aliases below, so the engine (and tests)
 * can tell them apart; srp_iu_strerror() gives a short text for logs.
 */
#ifndef SRPTD_SRP_IU_H
#define SRPTD_SRP_IU_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srptd/srp_proto.h"
#include "util.h"

/* Distinct decode errors (returned negated). */
#define SRP_IU_ETRUNC EMSGSIZE /* shorter than the IU's fixed part */
#define SRP_IU_EOPCODE EBADMSG /* byte 0 is not the expected opcode */
#define SRP_IU_EADDCDB E2BIG /* additional CDB runs past the IU */
#define SRP_IU_EFMT EPROTO /* reserved descriptor format nibble */
#define SRP_IU_EBIDI EOPNOTSUPP /* data-out and data-in, unsupported */
#define SRP_IU_EDESC ENOSPC /* descriptors do not fit in the IU */
#define SRP_IU_EZEROLEN ENODATA /* descriptor of length zero */
#define SRP_IU_EOVERFLOW EOVERFLOW /* lengths overflow or exceed total */
#define SRP_IU_ETABLE EILSEQ /* malformed indirect table descriptor */
#define SRP_IU_EEXTTBL EREMOTEIO /* external table, fetching disabled */
#define SRP_IU_EIMM ERANGE /* bad immediate data (not negotiated...) */
#define SRP_IU_ELUN ENXIO /* LUN address method not supported */
#define SRP_IU_ENOSPC ENOBUFS /* encoder: output buffer too small */

/*
 * Suggested engine reactions (the decoders only classify):
 *  - ETRUNC / EOPCODE before a tag is known: protocol error on the
 *    channel (log rate-limited; T_LOGOUT INVALID_IU_LEN / INVALID_IU_TYPE
 *    or disconnect).
 *  - any other SRP_CMD error: SRP_RSP for out->tag with CHECK CONDITION,
 *    ILLEGAL REQUEST / INVALID FIELD IN INFORMATION UNIT (0e/03), no data
 *    moved; EBIDI and EEXTTBL are "not supported" rather than malformed
 *    (ib_srpt fails such commands the same way).
 *  - lun_err == -ELUN: CHECK CONDITION, LOGICAL UNIT NOT SUPPORTED (25/00).
 *  - cdb_len above what the SCSI layer takes (scsi.h SCSI_MAX_CDB_LEN):
 *    INVALID FIELD IN CDB; the decoder accepts up to 268 bytes.
 */
const char *srp_iu_strerror(int err);

/*
 * Opcode of a received IU, or -SRP_IU_ETRUNC for an empty buffer.  The
 * engine dispatches on it, then calls the matching decoder.
 */
static inline int srp_iu_opcode(const void *iu, size_t len)
{
	if (len < 1)
		return -SRP_IU_ETRUNC;
	return ((const uint8_t *)iu)[0];
}

/*
 * SAM LUN (8 bytes, doc/srp-protocol.md 11) to srptd LUN number: peripheral
 * device addressing with bus 0 (00 nn) gives 0..255, flat space (01b, 14
 * bits) gives 0..16383, extended C1 01 gives SRP_LUN_WLUN_REPORT_LUNS.
 * Second to fourth level bytes (2..7) must be zero.  Anything else:
 * -SRP_IU_ELUN (the engine answers ILLEGAL REQUEST, LOGICAL UNIT NOT
 * SUPPORTED).
 */
int srp_lun_decode(const uint8_t lun[8], uint64_t *out);
/*
 * The inverse for REPORT LUNS: < 256 peripheral, 256..16383 flat,
 * SRP_LUN_WLUN_REPORT_LUNS as C1 01.  -EINVAL for other values.
 */
int srp_lun_encode(uint64_t lun, uint8_t out[8]);

/* One direct descriptor in host order. */
struct srp_data_desc {
	uint64_t va;
	uint32_t key;
	uint32_t len;
};

/*
 * One data direction of a decoded SRP_CMD.  The descriptors are not copied:
 * srp_cmd_get_desc() reads descriptor i from the IU on demand, so the
 * decoder needs no storage proportional to the descriptor count.
 */
struct srp_cmd_dir {
	uint8_t fmt; /* enum srp_data_desc_fmt */
	/*
	 * Descriptors present in the IU: 1 for DIRECT, data_*_desc_cnt for
	 * INDIRECT, 0 for NONE and IMM.
	 */
	uint32_t desc_cnt;
	/* IU offset of the first descriptor (direct, or desc_list[0]). */
	uint32_t desc_off;
	/* DIRECT only: the descriptor, read once by the decoder. */
	struct srp_data_desc desc;
	/*
	 * INDIRECT only: the table descriptor, the number of entries of the
	 * complete table (table.len / 16) and whether the IU carries fewer
	 * (ext_table: entries desc_cnt..table_cnt-1 must be fetched by RDMA
	 * READ of table; only returned when the caller allows it).
	 */
	struct srp_data_desc table;
	uint32_t table_cnt;
	bool ext_table;
	/*
	 * Bytes this direction transfers: DIRECT the descriptor length,
	 * INDIRECT the header's total length (checked against the
	 * descriptors), IMM the immediate data length, NONE 0.
	 */
	uint32_t total_len;
	/* IMM only: IU offset of the data (= negotiated imm_data_offset). */
	uint32_t imm_off;
};

/* Per-channel decode options for SRP_CMD. */
struct srp_cmd_limits {
	/*
	 * Immediate data offset accepted at login (0 = immediate data was
	 * not negotiated; an IMM descriptor is then -SRP_IU_EIMM).
	 */
	uint32_t imm_data_offset;
	bool allow_bidi; /* else both directions -> -SRP_IU_EBIDI */
	/* else an indirect table not fully in the IU -> -SRP_IU_EEXTTBL */
	bool allow_ext_table;
};

struct srp_cmd_info {
	uint64_t tag;
	uint8_t sol_not;
	uint8_t task_attr; /* SRP_CMD_*_Q (bits 2:0 of byte 29) */
	uint8_t lun_raw[8];
	/*
	 * Decoded LUN, valid when lun_err == 0; a LUN with an unsupported
	 * address method does not fail the decode (the command still needs
	 * a CHECK CONDITION response): lun_err = -SRP_IU_ELUN.
	 */
	uint64_t lun;
	int lun_err;
	const uint8_t *cdb; /* points into the IU */
	uint32_t cdb_len; /* 16 + additional CDB bytes (<= 268) */
	struct srp_cmd_dir dout; /* DATA-OUT (initiator -> target) */
	struct srp_cmd_dir din; /* DATA-IN (target -> initiator) */
};

/*
 * Decode an SRP_CMD of len received bytes.  lim may be NULL (nothing
 * optional allowed: no immediate data, bidi or external tables).  On success every descriptor
 * present in the IU has been bounds-checked (non-zero length, sum fits the
 * indirect total).  On failure, tag is valid whenever len >= 16 and the
 * opcode matched (the engine answers that tag), so is sol_not.
 */
int srp_cmd_decode(const void *iu, size_t len, const struct srp_cmd_limits *lim,
		   struct srp_cmd_info *out);

/*
 * Descriptor i (0 <= i < dir->desc_cnt) of a decoded direction, read from
 * the same IU buffer.  -EINVAL if i is out of range or the direction has
 * no descriptors (NONE / IMM).
 */
int srp_cmd_get_desc(const void *iu, const struct srp_cmd_dir *dir, uint32_t i,
		     struct srp_data_desc *out);

struct srp_tsk_mgmt_info {
	uint64_t tag;
	uint64_t task_tag;
	uint8_t sol_not;
	uint8_t func; /* SRP_TSK_*; unknown values are passed through */
	uint8_t lun_raw[8];
	uint64_t lun;
	int lun_err; /* as in srp_cmd_info */
};
int srp_tsk_mgmt_decode(const void *iu, size_t len,
			struct srp_tsk_mgmt_info *out);

/* I_LOGOUT, CRED_RSP, AER_RSP: opcode + tag only (16 bytes). */
int srp_i_logout_decode(const void *iu, size_t len, uint64_t *tag);
int srp_cred_rsp_decode(const void *iu, size_t len, uint64_t *tag);
int srp_aer_rsp_decode(const void *iu, size_t len, uint64_t *tag);

/*
 * Residuals (SRP r16a SRP_RSP; SAM-5 5.4.x): per direction, xfer is what
 * the SCSI layer wanted to transfer per the CDB, desc is the total the
 * initiator's descriptors provide.  xfer < desc: UNDER with residual
 * desc - xfer; xfer > desc: OVER with residual xfer - desc (the data moved
 * is truncated to desc); equal: no flag, 0.
 */
struct srp_residual {
	uint8_t flags; /* SRP_RSP_FLAG_{DI,DO}{OVER,UNDER} */
	uint32_t data_out_res_cnt;
	uint32_t data_in_res_cnt;
};

/*
 * One direction's residual: 0 when xfer equals desc (tested first: the
 * usual answer), else the difference, with under or over set in *flags.
 */
static inline uint32_t srp_residual_one(uint32_t xfer, uint32_t desc,
					uint8_t under, uint8_t over,
					uint8_t *flags)
{
	if (xfer == desc)
		return 0;
	if (xfer < desc) {
		*flags |= under;
		return desc - xfer;
	}
	*flags |= over;
	return xfer - desc;
}

static inline void srp_residual_compute(uint32_t do_xfer, uint32_t do_desc,
					uint32_t di_xfer, uint32_t di_desc,
					struct srp_residual *out)
{
	/*
	 * SAM-5: underflow when the device server moved less than the
	 * initiator's expected length (its buffer), overflow when it wanted
	 * more; the residual is the difference either way.  Inline: every
	 * response computes it (doc/performance.md "Host loopback guard").
	 */
	out->flags = 0;
	out->data_out_res_cnt =
		srp_residual_one(do_xfer, do_desc, SRP_RSP_FLAG_DOUNDER,
				 SRP_RSP_FLAG_DOOVER, &out->flags);
	out->data_in_res_cnt =
		srp_residual_one(di_xfer, di_desc, SRP_RSP_FLAG_DIUNDER,
				 SRP_RSP_FLAG_DIOVER, &out->flags);
}

/*
 * The 36-byte fixed part of an SRP_RSP (srptd/srp_proto.h struct
 * srp_rsp), every byte of it: flags is byte 18 whole (residual,
 * SNSVALID and RSPVALID bits), a residual count is 0 unless its flag is
 * set.  srp_rsp_encode() and the response of every SRP_CMD (srp_cmd.c)
 * write it from their values directly, without a struct in between
 * (doc/performance.md "Host loopback guard").
 */
static inline void srp_rsp_put_fixed(void *buf, uint64_t tag,
				     uint32_t req_lim_delta, uint8_t sol_not,
				     uint8_t flags, uint8_t status,
				     uint32_t do_res, uint32_t di_res,
				     uint32_t sense_len, uint32_t resp_len)
{
	uint8_t *b = buf;

	/* opcode, sol_not, 2 reserved bytes */
	put_be32(b, (uint32_t)SRP_RSP << 24 | (uint32_t)sol_not << 16);
	put_be32(b + 4, req_lim_delta);
	put_be64(b + 8, tag);
	/* 2 reserved bytes, flags, status */
	put_be32(b + 16, (uint32_t)flags << 8 | status);
	put_be32(b + 20, do_res);
	put_be32(b + 24, di_res);
	put_be32(b + 28, sense_len);
	put_be32(b + 32, resp_len);
}

/* SRP_RSP contents in host order. */
struct srp_rsp_info {
	uint64_t tag;
	uint32_t req_lim_delta;
	uint8_t sol_not;
	uint8_t status; /* SAM status */
	struct srp_residual res; /* flags OR-ed into byte 18 */
	const uint8_t *resp_data; /* RSPVALID when resp_data_len != 0 */
	uint32_t resp_data_len;
	const uint8_t *sense; /* SNSVALID when sense_len != 0 */
	uint32_t sense_len;
};

/*
 * Encode an SRP_RSP into buf (cap = min(send buffer, max_ti_iu_len)).
 * Sense data is truncated to what fits after the response data (ib_srpt
 * does the same); *sense_truncated, if not NULL, tells whether it was.
 * Returns the IU length, or -SRP_IU_ENOSPC if not even the fixed part and
 * the response data fit.
 */
int srp_rsp_encode(void *buf, size_t cap, const struct srp_rsp_info *r,
		   bool *sense_truncated);
/* SRP_RSP for a task management request: RSPVALID, 4 bytes, code byte 3. */
int srp_rsp_encode_tm(void *buf, size_t cap, uint64_t tag,
		      uint32_t req_lim_delta, uint8_t rsp_code);

/* Other target -> initiator IUs; all return the IU length or -ENOBUFS. */
int srp_t_logout_encode(void *buf, size_t cap, uint64_t tag, uint32_t reason,
			uint8_t sol_not);
int srp_cred_req_encode(void *buf, size_t cap, uint64_t tag,
			uint32_t req_lim_delta, uint8_t sol_not);
int srp_aer_req_encode(void *buf, size_t cap, uint64_t tag,
		       uint32_t req_lim_delta, const uint8_t lun[8],
		       const uint8_t *sense, uint32_t sense_len);

/* LOGIN_RSP contents in host order. */
struct srp_login_rsp_info {
	uint64_t tag;
	uint32_t req_lim_delta;
	uint32_t max_it_iu_len;
	uint32_t max_ti_iu_len;
	uint16_t buf_fmt;
	uint8_t rsp_flags;
};
int srp_login_rsp_encode(void *buf, size_t cap,
			 const struct srp_login_rsp_info *r);
int srp_login_rej_encode(void *buf, size_t cap, uint64_t tag, uint32_t reason,
			 uint16_t buf_fmt);

#endif
