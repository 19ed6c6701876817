/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP wire structs: sizes, offsets and constant values against the tables
 * in doc/srp-protocol.md (SRP r16a / include/scsi/srp.h), and that the
 * byte-array fields give the big-endian byte order on the wire at any
 * buffer alignment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <string.h>

#include "srptd/srp_proto.h"
#include "util.h"

#define OFF(t, f) offsetof(struct t, f)

static void test_sizes(void **state)
{
	assert_int_equal(sizeof(struct srp_login_req), 64);
	assert_int_equal(sizeof(struct srp_login_req_rdma), 56);
	assert_int_equal(sizeof(struct srp_login_rsp), 52);
	assert_int_equal(sizeof(struct srp_login_rej), 32);
	assert_int_equal(sizeof(struct srp_i_logout), 16);
	assert_int_equal(sizeof(struct srp_t_logout), 16);
	assert_int_equal(sizeof(struct srp_tsk_mgmt), 48);
	assert_int_equal(sizeof(struct srp_cmd), 48);
	assert_int_equal(sizeof(struct srp_direct_buf), 16);
	assert_int_equal(sizeof(struct srp_indirect_buf), 20);
	assert_int_equal(sizeof(struct srp_imm_buf), 4);
	assert_int_equal(sizeof(struct srp_rsp), 36);
	assert_int_equal(sizeof(struct srp_cred_req), 16);
	assert_int_equal(sizeof(struct srp_cred_rsp), 16);
	assert_int_equal(sizeof(struct srp_aer_req), 36);
	assert_int_equal(sizeof(struct srp_aer_rsp), 16);
	/* Byte arrays only: usable at any alignment. */
	assert_int_equal(_Alignof(struct srp_login_rsp), 1);
	assert_int_equal(_Alignof(struct srp_cmd), 1);
	assert_int_equal(_Alignof(struct srp_rsp), 1);
}

static void test_offsets(void **state)
{
	/* LOGIN_REQ, IB layout (1.2) */
	assert_int_equal(OFF(srp_login_req, tag), 8);
	assert_int_equal(OFF(srp_login_req, req_it_iu_len), 16);
	assert_int_equal(OFF(srp_login_req, req_buf_fmt), 24);
	assert_int_equal(OFF(srp_login_req, req_flags), 26);
	assert_int_equal(OFF(srp_login_req, imm_data_offset), 28);
	assert_int_equal(OFF(srp_login_req, initiator_port_id), 32);
	assert_int_equal(OFF(srp_login_req, target_port_id), 48);
	/* RDMA/CM layout (2.3) */
	assert_int_equal(OFF(srp_login_req_rdma, tag), 0);
	assert_int_equal(OFF(srp_login_req_rdma, req_buf_fmt), 8);
	assert_int_equal(OFF(srp_login_req_rdma, req_flags), 10);
	assert_int_equal(OFF(srp_login_req_rdma, opcode), 11);
	assert_int_equal(OFF(srp_login_req_rdma, req_it_iu_len), 12);
	assert_int_equal(OFF(srp_login_req_rdma, initiator_port_id), 16);
	assert_int_equal(OFF(srp_login_req_rdma, target_port_id), 32);
	assert_int_equal(OFF(srp_login_req_rdma, imm_data_offset), 48);
	/* LOGIN_RSP (1.3), LOGIN_REJ (1.4) */
	assert_int_equal(OFF(srp_login_rsp, req_lim_delta), 4);
	assert_int_equal(OFF(srp_login_rsp, tag), 8);
	assert_int_equal(OFF(srp_login_rsp, max_it_iu_len), 16);
	assert_int_equal(OFF(srp_login_rsp, max_ti_iu_len), 20);
	assert_int_equal(OFF(srp_login_rsp, buf_fmt), 24);
	assert_int_equal(OFF(srp_login_rsp, rsp_flags), 26);
	assert_int_equal(OFF(srp_login_rej, reason), 4);
	assert_int_equal(OFF(srp_login_rej, tag), 8);
	assert_int_equal(OFF(srp_login_rej, buf_fmt), 24);
	/* Logouts (1.5) */
	assert_int_equal(OFF(srp_i_logout, tag), 8);
	assert_int_equal(OFF(srp_t_logout, sol_not), 1);
	assert_int_equal(OFF(srp_t_logout, reason), 4);
	assert_int_equal(OFF(srp_t_logout, tag), 8);
	/* TSK_MGMT (1.6) */
	assert_int_equal(OFF(srp_tsk_mgmt, sol_not), 1);
	assert_int_equal(OFF(srp_tsk_mgmt, tag), 8);
	assert_int_equal(OFF(srp_tsk_mgmt, lun), 20);
	assert_int_equal(OFF(srp_tsk_mgmt, tsk_mgmt_func), 30);
	assert_int_equal(OFF(srp_tsk_mgmt, task_tag), 32);
	/* CMD (1.7) */
	assert_int_equal(OFF(srp_cmd, sol_not), 1);
	assert_int_equal(OFF(srp_cmd, buf_fmt), 5);
	assert_int_equal(OFF(srp_cmd, data_out_desc_cnt), 6);
	assert_int_equal(OFF(srp_cmd, data_in_desc_cnt), 7);
	assert_int_equal(OFF(srp_cmd, tag), 8);
	assert_int_equal(OFF(srp_cmd, lun), 20);
	assert_int_equal(OFF(srp_cmd, task_attr), 29);
	assert_int_equal(OFF(srp_cmd, add_cdb_len), 31);
	assert_int_equal(OFF(srp_cmd, cdb), 32);
	/* Descriptors (1.8) */
	assert_int_equal(OFF(srp_direct_buf, va), 0);
	assert_int_equal(OFF(srp_direct_buf, key), 8);
	assert_int_equal(OFF(srp_direct_buf, len), 12);
	assert_int_equal(OFF(srp_indirect_buf, table_desc), 0);
	assert_int_equal(OFF(srp_indirect_buf, len), 16);
	/* RSP (1.10) */
	assert_int_equal(OFF(srp_rsp, sol_not), 1);
	assert_int_equal(OFF(srp_rsp, req_lim_delta), 4);
	assert_int_equal(OFF(srp_rsp, tag), 8);
	assert_int_equal(OFF(srp_rsp, flags), 18);
	assert_int_equal(OFF(srp_rsp, status), 19);
	assert_int_equal(OFF(srp_rsp, data_out_res_cnt), 20);
	assert_int_equal(OFF(srp_rsp, data_in_res_cnt), 24);
	assert_int_equal(OFF(srp_rsp, sense_data_len), 28);
	assert_int_equal(OFF(srp_rsp, resp_data_len), 32);
	/* CRED/AER (1.11) */
	assert_int_equal(OFF(srp_cred_req, req_lim_delta), 4);
	assert_int_equal(OFF(srp_cred_req, tag), 8);
	assert_int_equal(OFF(srp_cred_rsp, tag), 8);
	assert_int_equal(OFF(srp_aer_req, req_lim_delta), 4);
	assert_int_equal(OFF(srp_aer_req, tag), 8);
	assert_int_equal(OFF(srp_aer_req, lun), 20);
	assert_int_equal(OFF(srp_aer_req, sense_data_len), 28);
	assert_int_equal(OFF(srp_aer_rsp, tag), 8);
}

static void test_constants(void **state)
{
	/* Opcodes (1.1). */
	assert_int_equal(SRP_LOGIN_REQ, 0x00);
	assert_int_equal(SRP_TSK_MGMT, 0x01);
	assert_int_equal(SRP_CMD, 0x02);
	assert_int_equal(SRP_I_LOGOUT, 0x03);
	assert_int_equal(SRP_LOGIN_RSP, 0xc0);
	assert_int_equal(SRP_RSP, 0xc1);
	assert_int_equal(SRP_LOGIN_REJ, 0xc2);
	assert_int_equal(SRP_T_LOGOUT, 0x80);
	assert_int_equal(SRP_CRED_REQ, 0x81);
	assert_int_equal(SRP_AER_REQ, 0x82);
	assert_int_equal(SRP_CRED_RSP, 0x41);
	assert_int_equal(SRP_AER_RSP, 0x42);
	/* Formats and flags (1.2, 1.3, 1.7). */
	assert_int_equal(SRP_BUF_FORMAT_DIRECT, 0x0002);
	assert_int_equal(SRP_BUF_FORMAT_INDIRECT, 0x0004);
	assert_int_equal(SRP_DATA_DESC_DIRECT, 1);
	assert_int_equal(SRP_DATA_DESC_INDIRECT, 2);
	assert_int_equal(SRP_DATA_DESC_IMM, 3);
	assert_int_equal(SRP_MULTICHAN_SINGLE, 0);
	assert_int_equal(SRP_MULTICHAN_MULTI, 1);
	assert_int_equal(SRP_IMMED_REQUESTED, 0x80);
	assert_int_equal(SRP_LOGIN_RSP_MULTICHAN_NO_CHAN, 0);
	assert_int_equal(SRP_LOGIN_RSP_MULTICHAN_TERMINATED, 1);
	assert_int_equal(SRP_LOGIN_RSP_MULTICHAN_MAINTAINED, 2);
	assert_int_equal(SRP_LOGIN_RSP_IMMED_SUPP, 0x80);
	/* Reject reasons (1.4). */
	assert_int_equal(SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL, 0x00010000);
	assert_int_equal(SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES, 0x00010001);
	assert_int_equal(SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE, 0x00010002);
	assert_int_equal(SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL, 0x00010003);
	assert_int_equal(SRP_LOGIN_REJ_UNSUPPORTED_DESCRIPTOR_FMT, 0x00010004);
	assert_int_equal(SRP_LOGIN_REJ_MULTI_CHANNEL_UNSUPPORTED, 0x00010005);
	assert_int_equal(SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED, 0x00010006);
	/* RSP flags (1.10), TM functions and codes (1.6). */
	assert_int_equal(SRP_RSP_FLAG_RSPVALID, 0x01);
	assert_int_equal(SRP_RSP_FLAG_SNSVALID, 0x02);
	assert_int_equal(SRP_TSK_ABORT_TASK, 0x01);
	assert_int_equal(SRP_TSK_ABORT_TASK_SET, 0x02);
	assert_int_equal(SRP_TSK_CLEAR_TASK_SET, 0x04);
	assert_int_equal(SRP_TSK_LUN_RESET, 0x08);
	assert_int_equal(SRP_TSK_CLEAR_ACA, 0x40);
	assert_int_equal(SRP_TSK_MGMT_SUCCESS, 0x00);
	assert_int_equal(SRP_TSK_MGMT_FUNC_NOT_SUPP, 0x04);
	assert_int_equal(SRP_TSK_MGMT_FAILED, 0x05);
	/* Linux defaults (1.9): 48 + 16 + 4 = 68; 68 + 8192 = 8260. */
	assert_int_equal(SRP_LINUX_IMM_DATA_OFFSET,
			 sizeof(struct srp_cmd) + 16 +
				 sizeof(struct srp_imm_buf));
	assert_int_equal(SRP_LINUX_DEFAULT_IT_IU_LEN,
			 SRP_LINUX_IMM_DATA_OFFSET + 8192);
	assert_int_equal(SRP_DEFAULT_MAX_REQ_SIZE,
			 SRP_MAX_IMM_DATA_OFFSET + 4 + 8192);
}

/* Accessors through the structs put bytes in big-endian wire order. */
static void test_field_byte_order(void **state)
{
	uint8_t raw[64 + 3];
	/* Deliberately misaligned view of a receive buffer. */
	struct srp_login_rsp *rsp = (struct srp_login_rsp *)(raw + 3);
	struct srp_cmd *cmd = (struct srp_cmd *)(raw + 1);

	memset(raw, 0, sizeof(raw));
	put_be64(rsp->tag, 0x0102030405060708ULL);
	put_be32(rsp->max_it_iu_len, 0x2054);
	put_be16(rsp->buf_fmt, 0x0006);
	assert_int_equal(raw[3 + 8], 0x01);
	assert_int_equal(raw[3 + 15], 0x08);
	assert_int_equal(raw[3 + 18], 0x20);
	assert_int_equal(raw[3 + 19], 0x54);
	assert_int_equal(raw[3 + 24], 0x00);
	assert_int_equal(raw[3 + 25], 0x06);
	assert_true(get_be64(rsp->tag) == 0x0102030405060708ULL);

	memset(raw, 0, sizeof(raw));
	raw[1 + 5] = 0x21;
	raw[1 + 31] = 0x08;
	assert_int_equal(cmd->buf_fmt >> 4, SRP_DATA_DESC_INDIRECT);
	assert_int_equal(cmd->buf_fmt & 0xf, SRP_DATA_DESC_DIRECT);
	assert_int_equal(cmd->add_cdb_len & SRP_CMD_ADD_CDB_MASK, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_field_byte_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
