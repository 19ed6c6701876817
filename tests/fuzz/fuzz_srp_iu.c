/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libFuzzer harness: every SRP IU decoder (and the encoders fed with the
 * decoded values) on arbitrary bytes.
 *
 * Input: byte 0 selects the per-channel decode options (bit 0 allow
 * bidirectional, bit 1 allow external tables, bit 2 immediate data
 * negotiated, bits 7:3 a non-default immediate data offset); the rest is
 * the received IU.  Besides the sanitizers, the harness checks the
 * decoders' promises (everything they point at lies inside the IU, sums
 * match) and traps when one is broken.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srp/srp_iu.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

static void check_dir(const uint8_t *iu, size_t len,
		      const struct srp_cmd_dir *d)
{
	struct srp_data_desc desc;
	uint64_t sum = 0;
	uint32_t i;

	switch (d->fmt) {
	case SRP_DATA_DESC_NONE:
		CHECK(d->desc_cnt == 0 && d->total_len == 0);
		CHECK(srp_cmd_get_desc(iu, d, 0, &desc) == -EINVAL);
		break;
	case SRP_DATA_DESC_IMM:
		CHECK(d->total_len > 0);
		CHECK((uint64_t)d->imm_off + d->total_len <= len);
		CHECK(srp_cmd_get_desc(iu, d, 0, &desc) == -EINVAL);
		break;
	case SRP_DATA_DESC_DIRECT:
	case SRP_DATA_DESC_INDIRECT:
		CHECK((uint64_t)d->desc_off + 16ULL * d->desc_cnt <= len);
		for (i = 0; i < d->desc_cnt; i++) {
			CHECK(srp_cmd_get_desc(iu, d, i, &desc) == 0);
			CHECK(desc.len > 0);
			sum += desc.len;
		}
		CHECK(srp_cmd_get_desc(iu, d, d->desc_cnt, &desc) == -EINVAL);
		CHECK(sum <= d->total_len);
		if (d->fmt == SRP_DATA_DESC_DIRECT)
			CHECK(d->desc_cnt == 1 && sum == d->total_len);
		else if (!d->ext_table)
			CHECK(sum == d->total_len &&
			      d->desc_cnt == d->table_cnt);
		else
			CHECK(d->desc_cnt < d->table_cnt);
		break;
	default:
		CHECK(0);
	}
}

static void fuzz_cmd(const uint8_t *iu, size_t len,
		     const struct srp_cmd_limits *lim)
{
	struct srp_cmd_info c;
	struct srp_residual res;
	struct srp_rsp_info r;
	uint8_t out[512];
	int ret;

	ret = srp_cmd_decode(iu, len, lim, &c);
	CHECK(ret <= 0);
	if (ret) {
		CHECK(srp_iu_strerror(ret) != NULL);
		return;
	}
	CHECK(len >= sizeof(struct srp_cmd));
	CHECK(c.cdb >= iu && c.cdb + c.cdb_len <= iu + len);
	CHECK(c.cdb_len >= 16 && c.cdb_len <= SRP_CMD_MAX_CDB_LEN);
	if (!c.lun_err)
		CHECK(c.lun <= SRP_LUN_MAX ||
		      c.lun == SRP_LUN_WLUN_REPORT_LUNS);
	if (c.dout.fmt && c.din.fmt)
		CHECK(lim->allow_bidi);
	if (c.dout.ext_table || c.din.ext_table)
		CHECK(lim->allow_ext_table);
	if (c.dout.fmt == SRP_DATA_DESC_IMM)
		CHECK(lim->imm_data_offset && !c.din.fmt);
	check_dir(iu, len, &c.dout);
	check_dir(iu, len, &c.din);

	/* Answer it, with the CDB bytes standing in for sense data. */
	srp_residual_compute(get_be32(c.cdb), c.dout.total_len,
			     get_be32(c.cdb + 4), c.din.total_len, &res);
	memset(&r, 0, sizeof(r));
	r.tag = c.tag;
	r.status = c.cdb[8];
	r.res = res;
	r.sense = c.cdb;
	r.sense_len = c.cdb_len;
	ret = srp_rsp_encode(out, 36 + c.cdb[9] % 300, &r, NULL);
	CHECK(ret == -SRP_IU_ENOSPC ||
	      (ret >= 36 && ret <= 36 + c.cdb[9] % 300));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srp_cmd_limits lim = { 0 };
	struct srp_tsk_mgmt_info tm;
	const uint8_t *iu;
	uint64_t tag, lun;
	uint8_t enc[8], out[64];
	size_t len;
	int op;

	if (size < 1)
		return 0;
	lim.allow_bidi = data[0] & 1;
	lim.allow_ext_table = data[0] & 2;
	if (data[0] & 4)
		lim.imm_data_offset = (data[0] >> 3) ?
					      40 + (data[0] >> 3) :
					      SRP_LINUX_IMM_DATA_OFFSET;
	iu = data + 1;
	len = size - 1;

	op = srp_iu_opcode(iu, len);
	CHECK(op == -SRP_IU_ETRUNC || (op >= 0 && op <= 0xff));

	/* Every decoder sees every input, whatever its opcode. */
	fuzz_cmd(iu, len, &lim);
	if (srp_tsk_mgmt_decode(iu, len, &tm) == 0) {
		CHECK(len >= sizeof(struct srp_tsk_mgmt));
		CHECK(srp_rsp_encode_tm(out, sizeof(out), tm.tag, 1,
					SRP_TSK_MGMT_SUCCESS) == 40);
	}
	srp_i_logout_decode(iu, len, &tag);
	srp_cred_rsp_decode(iu, len, &tag);
	srp_aer_rsp_decode(iu, len, &tag);

	if (len >= 8 && srp_lun_decode(iu, &lun) == 0) {
		uint64_t back;

		CHECK(srp_lun_encode(lun, enc) == 0);
		CHECK(srp_lun_decode(enc, &back) == 0 && back == lun);
	}
	if (len >= 16) {
		CHECK(srp_t_logout_encode(out, get_be16(iu) % 32, 1, 2, 3) ==
		      (get_be16(iu) % 32 >= 16 ? 16 : -SRP_IU_ENOSPC));
		CHECK(srp_aer_req_encode(out, sizeof(out), 1, 1, iu, iu + 8,
					 MIN(iu[1] % 40, len - 8)) <=
		      (int)sizeof(out));
	}
	return 0;
}
