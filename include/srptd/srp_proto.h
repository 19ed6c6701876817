/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP (SCSI RDMA Protocol, T10 SRP r16a, plus the immediate-data extension
 * Linux calls "SRP-2") information unit wire layouts.
 *
 * Every multi-byte field is big-endian on the wire.  Fields are declared as
 * byte arrays (alignment 1, no packing attribute needed, sizeof is exact),
 * and are read and written only with get_be16/32/64 and put_be16/32/64 from
 * "util.h", e.g. get_be64(cmd->tag).  A received buffer may therefore be
 * viewed through these structs at any alignment without undefined
 * behaviour.  The _Static_asserts after each struct pin size and offsets to
 * the SRP r16a tables (same values as Linux include/scsi/srp.h; see
 * doc/srp-protocol.md sections 1-10 for what the fields mean).
 */
#ifndef SRPTD_SRP_PROTO_H
#define SRPTD_SRP_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* IU opcodes, byte 0 of every IU (SRP r16a 5.x, one table per IU). */
enum srp_opcode {
	SRP_LOGIN_REQ = 0x00, /* I->T, only inside CM REQ private data */
	SRP_TSK_MGMT = 0x01, /* I->T */
	SRP_CMD = 0x02, /* I->T */
	SRP_I_LOGOUT = 0x03, /* I->T */
	SRP_CRED_RSP = 0x41, /* I->T, answer to SRP_CRED_REQ (no credit) */
	SRP_AER_RSP = 0x42, /* I->T, answer to SRP_AER_REQ (no credit) */
	SRP_T_LOGOUT = 0x80, /* T->I */
	SRP_CRED_REQ = 0x81, /* T->I */
	SRP_AER_REQ = 0x82, /* T->I */
	SRP_LOGIN_RSP = 0xc0, /* T->I, only inside CM REP private data */
	SRP_RSP = 0xc1, /* T->I */
	SRP_LOGIN_REJ = 0xc2, /* T->I, only inside CM REJ private data */
};

/*
 * Supported/requested data buffer descriptor formats (16-bit REQUIRED
 * BUFFER FORMATS / SUPPORTED BUFFER FORMATS of LOGIN_REQ/RSP/REJ).
 * SRP_BUF_FORMAT_IMM is only in SCST's copy of srp.h; Linux ib_srp neither
 * sends nor checks it (immediate data is negotiated by req_flags instead).
 */
#define SRP_BUF_FORMAT_DIRECT 0x0002
#define SRP_BUF_FORMAT_INDIRECT 0x0004
#define SRP_BUF_FORMAT_IMM 0x0008

/* Per-direction descriptor format nibbles of SRP_CMD byte 5. */
enum srp_data_desc_fmt {
	SRP_DATA_DESC_NONE = 0,
	SRP_DATA_DESC_DIRECT = 1,
	SRP_DATA_DESC_INDIRECT = 2,
	SRP_DATA_DESC_IMM = 3, /* SRP-2, DATA-OUT only */
};

/* LOGIN_REQ req_flags (byte 26 of the IB layout, byte 10 of RDMA/CM). */
#define SRP_REQ_FLAG_MULTICHAN_MASK 0x03 /* multichannel action, bits 1:0 */
#define SRP_MULTICHAN_SINGLE 0 /* terminate other channels of the nexus */
#define SRP_MULTICHAN_MULTI 1 /* join the existing I_T nexus */
#define SRP_REQ_FLAG_LOSOLNT 0x10 /* solicited notification: logout */
#define SRP_REQ_FLAG_CRSOLNT 0x20 /* ... credit request */
#define SRP_REQ_FLAG_AESOLNT 0x40 /* ... asynchronous event */
#define SRP_IMMED_REQUESTED 0x80 /* SRP-2: initiator wants immediate data */

/* LOGIN_RSP rsp_flags (byte 26). */
#define SRP_LOGIN_RSP_MULTICHAN_MASK 0x03
#define SRP_LOGIN_RSP_MULTICHAN_NO_CHAN 0 /* no channel existed */
#define SRP_LOGIN_RSP_MULTICHAN_TERMINATED 1 /* SINGLE: others closed */
#define SRP_LOGIN_RSP_MULTICHAN_MAINTAINED 2 /* MULTI: joined */
#define SRP_LOGIN_RSP_IMMED_SUPP 0x80 /* SRP-2: immediate data accepted */

/* LOGIN_REJ reason codes (SRP r16a LOGIN_REJ reason table). */
#define SRP_LOGIN_REJ_UNABLE_ESTABLISH_CHANNEL 0x00010000
#define SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES 0x00010001
#define SRP_LOGIN_REJ_REQ_IT_IU_LENGTH_TOO_LARGE 0x00010002
#define SRP_LOGIN_REJ_UNABLE_ASSOCIATE_CHANNEL 0x00010003
#define SRP_LOGIN_REJ_UNSUPPORTED_DESCRIPTOR_FMT 0x00010004
#define SRP_LOGIN_REJ_MULTI_CHANNEL_UNSUPPORTED 0x00010005
#define SRP_LOGIN_REJ_CHANNEL_LIMIT_REACHED 0x00010006

/*
 * T_LOGOUT reasons (SRP r16a T_LOGOUT table; values per third-party SRP
 * headers, moderately certain, see doc/srp-protocol.md 10).  Linux ib_srp
 * only logs a T_LOGOUT.
 */
#define SRP_T_LOGOUT_NO_REASON 0
#define SRP_T_LOGOUT_INACTIVE 1
#define SRP_T_LOGOUT_INVALID_IU_TYPE 2
#define SRP_T_LOGOUT_UNEXPECTED_RSP 3
#define SRP_T_LOGOUT_MULTICHAN_ACTION 4
#define SRP_T_LOGOUT_UNSUPPORTED_DO_FMT 6
#define SRP_T_LOGOUT_UNSUPPORTED_DI_FMT 7
#define SRP_T_LOGOUT_INVALID_IU_LEN 8

/* SRP_CMD sol_not (byte 1) and SRP_RSP/T_LOGOUT solicited notification. */
#define SRP_SCSOLNT 0x02 /* solicited notification on success */
#define SRP_UCSOLNT 0x04 /* solicited notification on failure */

/* SRP_CMD task attribute (byte 29 bits 2:0), SAM task attributes. */
#define SRP_CMD_TASK_ATTR_MASK 0x07
#define SRP_CMD_SIMPLE_Q 0
#define SRP_CMD_HEAD_OF_Q 1
#define SRP_CMD_ORDERED_Q 2
#define SRP_CMD_ACA 4

/* SRP_TSK_MGMT function codes (byte 30), SAM task management functions. */
#define SRP_TSK_ABORT_TASK 0x01
#define SRP_TSK_ABORT_TASK_SET 0x02
#define SRP_TSK_CLEAR_TASK_SET 0x04
#define SRP_TSK_LUN_RESET 0x08
#define SRP_TSK_CLEAR_ACA 0x40

/*
 * SRP_RSP response codes: byte 3 of the 4 response-data bytes sent with
 * RSPVALID (SRP r16a SRP_RSP response codes).  0x02 is from the SRP r16a
 * table (moderately certain); Linux ib_srp only reads byte 3 and treats any
 * non-zero value as failure.
 */
#define SRP_TSK_MGMT_SUCCESS 0x00
#define SRP_TSK_MGMT_INVALID_FIELDS 0x02
#define SRP_TSK_MGMT_FUNC_NOT_SUPP 0x04
#define SRP_TSK_MGMT_FAILED 0x05
#define SRP_RSP_DATA_LEN_TM 4

/* SRP_RSP flags (byte 18). */
#define SRP_RSP_FLAG_RSPVALID 0x01
#define SRP_RSP_FLAG_SNSVALID 0x02
#define SRP_RSP_FLAG_DOOVER 0x04
#define SRP_RSP_FLAG_DOUNDER 0x08
#define SRP_RSP_FLAG_DIOVER 0x10
#define SRP_RSP_FLAG_DIUNDER 0x20

/* Tag ib_srp puts in task_tag of a LUN RESET (no victim request). */
#define SRP_TAG_NO_REQ (~0ULL)

/*
 * SRP_LOGIN_REQ, IB/CM layout: 64 bytes at offset 0 of the CM REQ private
 * data (SRP r16a LOGIN_REQ table; doc/srp-protocol.md 2).
 */
struct srp_login_req {
	uint8_t opcode; /* SRP_LOGIN_REQ */
	uint8_t reserved1[7];
	uint8_t tag[8]; /* ib_srp sends 0 */
	uint8_t req_it_iu_len[4]; /* largest I->T IU the initiator sends */
	uint8_t reserved2[4];
	uint8_t req_buf_fmt[2]; /* SRP_BUF_FORMAT_* the initiator needs */
	uint8_t req_flags; /* multichannel action, SRP_IMMED_REQUESTED */
	uint8_t reserved3;
	uint8_t imm_data_offset[2]; /* SRP-2: where data starts in SRP_CMD */
	uint8_t reserved4[2];
	uint8_t initiator_port_id[16]; /* initiator_ext || port GUID */
	uint8_t target_port_id[16]; /* id_ext || ioc_guid */
};
_Static_assert(sizeof(struct srp_login_req) == 64, "SRP_LOGIN_REQ size");
_Static_assert(offsetof(struct srp_login_req, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_login_req, req_it_iu_len) == 16, "iu len");
_Static_assert(offsetof(struct srp_login_req, req_buf_fmt) == 24, "buf fmt");
_Static_assert(offsetof(struct srp_login_req, req_flags) == 26, "flags");
_Static_assert(offsetof(struct srp_login_req, imm_data_offset) == 28, "imm");
_Static_assert(offsetof(struct srp_login_req, initiator_port_id) == 32, "ini");
_Static_assert(offsetof(struct srp_login_req, target_port_id) == 48, "tgt");

/*
 * SRP login request as carried by the RDMA/CM (IP port spaces): the CMA
 * header takes 36 of the 92 REQ private-data bytes, leaving 56, so Linux
 * reorders the same fields into 56 bytes (include/scsi/srp.h
 * srp_login_req_rdma; doc/srp-protocol.md 2).  Note opcode at byte 11.
 */
struct srp_login_req_rdma {
	uint8_t tag[8];
	uint8_t req_buf_fmt[2];
	uint8_t req_flags;
	uint8_t opcode; /* SRP_LOGIN_REQ */
	uint8_t req_it_iu_len[4];
	uint8_t initiator_port_id[16];
	uint8_t target_port_id[16];
	uint8_t imm_data_offset[2];
	uint8_t reserved[6];
};
_Static_assert(sizeof(struct srp_login_req_rdma) == 56, "RDMA login size");
_Static_assert(offsetof(struct srp_login_req_rdma, req_buf_fmt) == 8, "fmt");
_Static_assert(offsetof(struct srp_login_req_rdma, req_flags) == 10, "flags");
_Static_assert(offsetof(struct srp_login_req_rdma, opcode) == 11, "opcode");
_Static_assert(offsetof(struct srp_login_req_rdma, req_it_iu_len) == 12, "len");
_Static_assert(offsetof(struct srp_login_req_rdma, initiator_port_id) == 16,
	       "ini");
_Static_assert(offsetof(struct srp_login_req_rdma, target_port_id) == 32,
	       "tgt");
_Static_assert(offsetof(struct srp_login_req_rdma, imm_data_offset) == 48,
	       "imm");

/*
 * SRP_LOGIN_RSP: 52 bytes in the CM REP private data (SRP r16a LOGIN_RSP
 * table).  52 is not a multiple of 8, which is why the kernel packs it; the
 * byte-array fields make that unnecessary here.
 */
struct srp_login_rsp {
	uint8_t opcode; /* SRP_LOGIN_RSP */
	uint8_t reserved1[3];
	uint8_t req_lim_delta[4]; /* initial credits */
	uint8_t tag[8]; /* copy of the LOGIN_REQ tag */
	uint8_t max_it_iu_len[4]; /* largest I->T IU the target accepts */
	uint8_t max_ti_iu_len[4]; /* largest T->I IU the target sends */
	uint8_t buf_fmt[2]; /* SRP_BUF_FORMAT_* supported */
	uint8_t rsp_flags; /* multichannel result, IMMED_SUPP */
	uint8_t reserved2[25];
};
_Static_assert(sizeof(struct srp_login_rsp) == 52, "SRP_LOGIN_RSP size");
_Static_assert(offsetof(struct srp_login_rsp, req_lim_delta) == 4, "delta");
_Static_assert(offsetof(struct srp_login_rsp, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_login_rsp, max_it_iu_len) == 16, "it");
_Static_assert(offsetof(struct srp_login_rsp, max_ti_iu_len) == 20, "ti");
_Static_assert(offsetof(struct srp_login_rsp, buf_fmt) == 24, "fmt");
_Static_assert(offsetof(struct srp_login_rsp, rsp_flags) == 26, "flags");

/* SRP_LOGIN_REJ: 32 bytes in the CM REJ private data (consumer defined). */
struct srp_login_rej {
	uint8_t opcode; /* SRP_LOGIN_REJ */
	uint8_t reserved1[3];
	uint8_t reason[4]; /* SRP_LOGIN_REJ_* */
	uint8_t tag[8];
	uint8_t reserved2[8];
	uint8_t buf_fmt[2]; /* formats the target supports */
	uint8_t reserved3[6];
};
_Static_assert(sizeof(struct srp_login_rej) == 32, "SRP_LOGIN_REJ size");
_Static_assert(offsetof(struct srp_login_rej, reason) == 4, "reason");
_Static_assert(offsetof(struct srp_login_rej, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_login_rej, buf_fmt) == 24, "fmt");

/* SRP_I_LOGOUT (16 bytes). */
struct srp_i_logout {
	uint8_t opcode; /* SRP_I_LOGOUT */
	uint8_t reserved[7];
	uint8_t tag[8];
};
_Static_assert(sizeof(struct srp_i_logout) == 16, "SRP_I_LOGOUT size");
_Static_assert(offsetof(struct srp_i_logout, tag) == 8, "tag");

/* SRP_T_LOGOUT (16 bytes). */
struct srp_t_logout {
	uint8_t opcode; /* SRP_T_LOGOUT */
	uint8_t sol_not;
	uint8_t reserved[2];
	uint8_t reason[4]; /* SRP_T_LOGOUT_* */
	uint8_t tag[8];
};
_Static_assert(sizeof(struct srp_t_logout) == 16, "SRP_T_LOGOUT size");
_Static_assert(offsetof(struct srp_t_logout, reason) == 4, "reason");
_Static_assert(offsetof(struct srp_t_logout, tag) == 8, "tag");

/* SRP_TSK_MGMT (48 bytes). */
struct srp_tsk_mgmt {
	uint8_t opcode; /* SRP_TSK_MGMT */
	uint8_t sol_not;
	uint8_t reserved1[6];
	uint8_t tag[8]; /* tag of this TM request */
	uint8_t reserved2[4];
	uint8_t lun[8]; /* SAM LUN */
	uint8_t reserved3[2];
	uint8_t tsk_mgmt_func; /* SRP_TSK_* */
	uint8_t reserved4;
	uint8_t task_tag[8]; /* ABORT TASK victim */
	uint8_t reserved5[8];
};
_Static_assert(sizeof(struct srp_tsk_mgmt) == 48, "SRP_TSK_MGMT size");
_Static_assert(offsetof(struct srp_tsk_mgmt, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_tsk_mgmt, lun) == 20, "lun");
_Static_assert(offsetof(struct srp_tsk_mgmt, tsk_mgmt_func) == 30, "func");
_Static_assert(offsetof(struct srp_tsk_mgmt, task_tag) == 32, "task tag");

/*
 * SRP_CMD fixed part (48 bytes), followed by add_cdb_len additional CDB
 * bytes and then the DATA-OUT descriptor(s), then the DATA-IN
 * descriptor(s) (SRP r16a SRP_CMD table; doc/srp-protocol.md 6).
 */
struct srp_cmd {
	uint8_t opcode; /* SRP_CMD */
	uint8_t sol_not; /* SRP_SCSOLNT / SRP_UCSOLNT */
	uint8_t reserved1[3];
	uint8_t buf_fmt; /* DATA-OUT format << 4 | DATA-IN format */
	uint8_t data_out_desc_cnt; /* descriptors in the IU (indirect) */
	uint8_t data_in_desc_cnt;
	uint8_t tag[8];
	uint8_t reserved2[4];
	uint8_t lun[8];
	uint8_t reserved3;
	uint8_t task_attr; /* SRP_CMD_*_Q in bits 2:0 */
	uint8_t reserved4;
	uint8_t add_cdb_len; /* additional CDB bytes = value & ~3 */
	uint8_t cdb[16];
	/* uint8_t add_data[]: additional CDB, then descriptors */
};
_Static_assert(sizeof(struct srp_cmd) == 48, "SRP_CMD size");
_Static_assert(offsetof(struct srp_cmd, buf_fmt) == 5, "buf_fmt");
_Static_assert(offsetof(struct srp_cmd, data_out_desc_cnt) == 6, "do cnt");
_Static_assert(offsetof(struct srp_cmd, data_in_desc_cnt) == 7, "di cnt");
_Static_assert(offsetof(struct srp_cmd, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_cmd, lun) == 20, "lun");
_Static_assert(offsetof(struct srp_cmd, task_attr) == 29, "attr");
_Static_assert(offsetof(struct srp_cmd, add_cdb_len) == 31, "add cdb");
_Static_assert(offsetof(struct srp_cmd, cdb) == 32, "cdb");

#define SRP_CMD_ADD_CDB_MASK 0xfc /* bits 1:0 of add_cdb_len reserved */
#define SRP_CMD_MAX_ADD_CDB_LEN 252
#define SRP_CMD_MAX_CDB_LEN (16 + SRP_CMD_MAX_ADD_CDB_LEN)

/* Direct data buffer descriptor (16 bytes). */
struct srp_direct_buf {
	uint8_t va[8]; /* initiator virtual address */
	uint8_t key[4]; /* R_Key */
	uint8_t len[4]; /* bytes */
};
_Static_assert(sizeof(struct srp_direct_buf) == 16, "direct desc size");
_Static_assert(offsetof(struct srp_direct_buf, key) == 8, "key");
_Static_assert(offsetof(struct srp_direct_buf, len) == 12, "len");

/*
 * Indirect data buffer descriptor header (20 bytes), followed in the IU
 * by data_{out,in}_desc_cnt direct descriptors.  table_desc describes the
 * complete descriptor table in initiator memory (len = 16 * entries); when
 * the IU holds fewer entries than that the table is "external" and would
 * have to be fetched with an RDMA READ (doc/srp-protocol.md 6).
 */
struct srp_indirect_buf {
	struct srp_direct_buf table_desc;
	uint8_t len[4]; /* total data length of all descriptors */
	/* struct srp_direct_buf desc_list[]; */
};
_Static_assert(sizeof(struct srp_indirect_buf) == 20, "indirect hdr size");
_Static_assert(offsetof(struct srp_indirect_buf, len) == 16, "total len");

/*
 * Immediate data descriptor (SRP-2, 4 bytes) at the DATA-OUT descriptor
 * position; the data itself starts at the imm_data_offset negotiated at
 * login (Linux: 68).
 */
struct srp_imm_buf {
	uint8_t len[4];
};
_Static_assert(sizeof(struct srp_imm_buf) == 4, "imm desc size");

/* SRP_RSP fixed part (36 bytes), then response data, then sense data. */
struct srp_rsp {
	uint8_t opcode; /* SRP_RSP */
	uint8_t sol_not;
	uint8_t reserved1[2];
	uint8_t req_lim_delta[4];
	uint8_t tag[8];
	uint8_t reserved2[2];
	uint8_t flags; /* SRP_RSP_FLAG_* */
	uint8_t status; /* SAM status */
	uint8_t data_out_res_cnt[4];
	uint8_t data_in_res_cnt[4];
	uint8_t sense_data_len[4];
	uint8_t resp_data_len[4];
	/* uint8_t data[]: response data, then sense data */
};
_Static_assert(sizeof(struct srp_rsp) == 36, "SRP_RSP size");
_Static_assert(offsetof(struct srp_rsp, req_lim_delta) == 4, "delta");
_Static_assert(offsetof(struct srp_rsp, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_rsp, flags) == 18, "flags");
_Static_assert(offsetof(struct srp_rsp, status) == 19, "status");
_Static_assert(offsetof(struct srp_rsp, data_out_res_cnt) == 20, "do res");
_Static_assert(offsetof(struct srp_rsp, data_in_res_cnt) == 24, "di res");
_Static_assert(offsetof(struct srp_rsp, sense_data_len) == 28, "sense len");
_Static_assert(offsetof(struct srp_rsp, resp_data_len) == 32, "resp len");

/* SRP_CRED_REQ (16 bytes). */
struct srp_cred_req {
	uint8_t opcode; /* SRP_CRED_REQ */
	uint8_t sol_not;
	uint8_t reserved[2];
	uint8_t req_lim_delta[4];
	uint8_t tag[8];
};
_Static_assert(sizeof(struct srp_cred_req) == 16, "SRP_CRED_REQ size");
_Static_assert(offsetof(struct srp_cred_req, req_lim_delta) == 4, "delta");
_Static_assert(offsetof(struct srp_cred_req, tag) == 8, "tag");

/* SRP_CRED_RSP (16 bytes). */
struct srp_cred_rsp {
	uint8_t opcode; /* SRP_CRED_RSP */
	uint8_t reserved[7];
	uint8_t tag[8];
};
_Static_assert(sizeof(struct srp_cred_rsp) == 16, "SRP_CRED_RSP size");
_Static_assert(offsetof(struct srp_cred_rsp, tag) == 8, "tag");

/* SRP_AER_REQ (36 bytes + sense data). */
struct srp_aer_req {
	uint8_t opcode; /* SRP_AER_REQ */
	uint8_t sol_not;
	uint8_t reserved1[2];
	uint8_t req_lim_delta[4];
	uint8_t tag[8];
	uint8_t reserved2[4];
	uint8_t lun[8];
	uint8_t sense_data_len[4];
	uint8_t reserved3[4];
	/* uint8_t sense_data[]; */
};
_Static_assert(sizeof(struct srp_aer_req) == 36, "SRP_AER_REQ size");
_Static_assert(offsetof(struct srp_aer_req, tag) == 8, "tag");
_Static_assert(offsetof(struct srp_aer_req, lun) == 20, "lun");
_Static_assert(offsetof(struct srp_aer_req, sense_data_len) == 28, "sense");

/* SRP_AER_RSP (16 bytes). */
struct srp_aer_rsp {
	uint8_t opcode; /* SRP_AER_RSP */
	uint8_t reserved[7];
	uint8_t tag[8];
};
_Static_assert(sizeof(struct srp_aer_rsp) == 16, "SRP_AER_RSP size");
_Static_assert(offsetof(struct srp_aer_rsp, tag) == 8, "tag");

/*
 * Limits used by Linux ib_srp / ib_srpt (doc/srp-protocol.md 5, 15):
 * ib_srp asks for imm_data_offset 68 = 48 + 16 (max additional CDB it
 * reserves) + 4 (srp_imm_buf) and, with max_imm_data 8192, a
 * req_it_iu_len of 8260.  ib_srpt's default max request size is 8276 =
 * 80 (max immediate data offset) + 4 + 8192.
 */
#define SRP_LINUX_IMM_DATA_OFFSET 68
#define SRP_LINUX_DEFAULT_IT_IU_LEN 8260
#define SRP_MAX_IMM_DATA_OFFSET 80
#define SRP_DEFAULT_MAX_REQ_SIZE 8276
#define SRP_DEFAULT_MAX_RSP_SIZE 256
#define SRP_DEFAULT_REQ_LIM 128
#define SRP_MIN_IT_IU_LEN 64 /* SRP_CMD + one direct descriptor */

/*
 * LUN values decoded from the 8-byte SAM LUN (doc/srp-protocol.md 11).
 * Ordinary LUNs are 0..16383 (peripheral bus 0 or flat addressing); the
 * REPORT LUNS well-known LUN (extended addressing C1 01) decodes to the value
 * Linux uses for it, which lies outside that range.
 */
#define SRP_LUN_MAX 16383
#define SRP_LUN_WLUN_REPORT_LUNS 0xc101

#endif
