/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The dispatch table: one row per operation code (256 rows, NULL parse =
 * unsupported -> INVALID COMMAND OPERATION CODE), service-action
 * sub-tables for 0x5E/0x5F/0x83/0x84/0x9E/0xA3.  Each row carries the CDB USAGE DATA
 * bit mask that both validates CDBs (a set bit outside the mask is INVALID
 * FIELD IN CDB with a field pointer) and is returned by REPORT SUPPORTED
 * OPERATION CODES (SPC-4 6.35), so the two cannot disagree.  The last
 * usage byte is the CONTROL byte: NACA and LINK are not supported.
 */
#include "scsi/scsi_int.h"
#include "util.h"

#define U(...) .usage = { 0xff, __VA_ARGS__ }

/* Common flag sets. */
#define F_EMU_ANY (SCSI_OPF_UA_ALLOWED | SCSI_OPF_NO_LU | SCSI_OPF_RES2_ALLOWED)
#define F_WR SCSI_OPF_WRITE

/* PR IN / PR OUT service actions share parse, exec and CDB usage. */
#define PR_IN_ROW                                             \
	.parse = scsi_parse_alloc_16, .exec = spc_pr_in,      \
	.prc = SCSI_PRC_ALLOWED, .cdb_len = 10, .len_off = 7, \
	U(0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00)
#define PR_OUT_ROW                                            \
	.parse = scsi_parse_param_32, .exec = spc_pr_out,     \
	.prc = SCSI_PRC_ALLOWED, .cdb_len = 10, .len_off = 5, \
	U(0x1f, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00)

static const struct scsi_opdesc scsi_pr_in_sa[] = {
	{ .name = "PERSISTENT RESERVE IN / READ KEYS",
	  .sa_code = SCSI_PRIN_READ_KEYS,
	  PR_IN_ROW },
	{ .name = "PERSISTENT RESERVE IN / READ RESERVATION",
	  .sa_code = SCSI_PRIN_READ_RESERVATION,
	  PR_IN_ROW },
	{ .name = "PERSISTENT RESERVE IN / REPORT CAPABILITIES",
	  .sa_code = SCSI_PRIN_REPORT_CAPABILITIES,
	  PR_IN_ROW },
	{ .name = "PERSISTENT RESERVE IN / READ FULL STATUS",
	  .sa_code = SCSI_PRIN_READ_FULL_STATUS,
	  PR_IN_ROW },
};

static const struct scsi_opdesc scsi_pr_out_sa[] = {
	{ .name = "PERSISTENT RESERVE OUT / REGISTER",
	  .sa_code = SCSI_PROUT_REGISTER,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / RESERVE",
	  .sa_code = SCSI_PROUT_RESERVE,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / RELEASE",
	  .sa_code = SCSI_PROUT_RELEASE,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / CLEAR",
	  .sa_code = SCSI_PROUT_CLEAR,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / PREEMPT",
	  .sa_code = SCSI_PROUT_PREEMPT,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / PREEMPT AND ABORT",
	  .sa_code = SCSI_PROUT_PREEMPT_AND_ABORT,
	  PR_OUT_ROW },
	{ .name = "PERSISTENT RESERVE OUT / REGISTER AND IGNORE EXISTING KEY",
	  .sa_code = SCSI_PROUT_REGISTER_AND_IGNORE,
	  PR_OUT_ROW },
};

/* Third-party copy (xcopy.c): LID1 only, SPC-4 6.4 and 6.18. */
static const struct scsi_opdesc scsi_xcopy_sa[] = {
	{ .name = "EXTENDED COPY(LID1)",
	  .sa_code = SCSI_XCOPY_LID1,
	  .parse = scsi_parse_param_32,
	  .exec = spc_xcopy,
	  .prc = SCSI_PRC_WRITE,
	  .cdb_len = 16,
	  .len_off = 10,
	  U(0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	    0xff, 0xff, 0x00, 0x00) },
};

#define RCR_ROW                                                             \
	.parse = scsi_parse_alloc_32, .exec = spc_receive_copy_results,     \
	.prc = SCSI_PRC_ALLOWED, .cdb_len = 16, .len_off = 10,              \
	U(0x1f, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, \
	  0xff, 0xff, 0x00, 0x00)

static const struct scsi_opdesc scsi_rcr_sa[] = {
	{ .name = "RECEIVE COPY RESULTS / COPY STATUS",
	  .sa_code = SCSI_RCR_COPY_STATUS,
	  RCR_ROW },
	{ .name = "RECEIVE COPY RESULTS / OPERATING PARAMETERS",
	  .sa_code = SCSI_RCR_OPERATING_PARAMS,
	  RCR_ROW },
};

static const struct scsi_opdesc scsi_sai16_sa[] = {
	{ .name = "READ CAPACITY(16)",
	  .sa_code = SCSI_SAI_READ_CAPACITY_16,
	  .parse = sbc_parse_rc16,
	  .exec = sbc_read_capacity_16,
	  .prc = SCSI_PRC_ALLOWED,
	  .cdb_len = 16,
	  .len_off = 10,
	  U(0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0x01, 0x00) },
};

static const struct scsi_opdesc scsi_maint_in_sa[] = {
	{ .name = "REPORT TARGET PORT GROUPS",
	  .sa_code = SCSI_MI_REPORT_TARGET_PGS,
	  .parse = scsi_parse_alloc_32,
	  .exec = spc_report_tpgs,
	  .flags = SCSI_OPF_RES2_ALLOWED,
	  .prc = SCSI_PRC_ALLOWED,
	  .cdb_len = 12,
	  .len_off = 6,
	  U(0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00) },
	{ .name = "REPORT SUPPORTED OPERATION CODES",
	  .sa_code = SCSI_MI_REPORT_SUPPORTED_OPCODES,
	  .parse = scsi_parse_alloc_32,
	  .exec = spc_report_opcodes,
	  .flags = SCSI_OPF_RES2_ALLOWED,
	  .prc = SCSI_PRC_INFO,
	  .cdb_len = 12,
	  .len_off = 6,
	  U(0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00) },
};

const struct scsi_opdesc scsi_optable[256] = {
	[SCSI_OP_TEST_UNIT_READY] = { .name = "TEST UNIT READY",
				      .parse = scsi_parse_none,
				      .exec = spc_tur,
				      .prc = SCSI_PRC_ALLOWED,
				      .cdb_len = 6,
				      U(0x00, 0x00, 0x00, 0x00, 0x00) },
	[SCSI_OP_REQUEST_SENSE] = { .name = "REQUEST SENSE",
				    .parse = scsi_parse_alloc_8,
				    .exec = spc_request_sense,
				    .flags = F_EMU_ANY,
				    .prc = SCSI_PRC_ALLOWED,
				    .cdb_len = 6,
				    .len_off = 4,
				    U(0x01, 0x00, 0x00, 0xff, 0x00) },
	[SCSI_OP_READ_6] = { .name = "READ(6)",
			     .parse = sbc_parse_rw6,
			     .exec = sbc_read,
			     .prc = SCSI_PRC_READ,
			     .cdb_len = 6,
			     U(0x1f, 0xff, 0xff, 0xff, 0x00) },
	[SCSI_OP_WRITE_6] = { .name = "WRITE(6)",
			      .parse = sbc_parse_rw6,
			      .exec = sbc_write,
			      .flags = F_WR,
			      .prc = SCSI_PRC_WRITE,
			      .cdb_len = 6,
			      U(0x1f, 0xff, 0xff, 0xff, 0x00) },
	[SCSI_OP_INQUIRY] = { .name = "INQUIRY",
			      .parse = scsi_parse_alloc_16,
			      .exec = spc_inquiry,
			      .flags = F_EMU_ANY,
			      .prc = SCSI_PRC_ALLOWED,
			      .cdb_len = 6,
			      .len_off = 3,
			      U(0x01, 0xff, 0xff, 0xff, 0x00) },
	[SCSI_OP_MODE_SELECT_6] = { .name = "MODE SELECT(6)",
				    .parse = scsi_parse_param_8,
				    .exec = spc_mode_select,
				    .prc = SCSI_PRC_WRITE,
				    .cdb_len = 6,
				    .len_off = 4,
				    U(0x11, 0x00, 0x00, 0xff, 0x00) },
	[SCSI_OP_RESERVE_6] = { .name = "RESERVE(6)",
				.parse = scsi_parse_none,
				.exec = spc_reserve,
				.prc = SCSI_PRC_ALLOWED,
				.cdb_len = 6,
				U(0x00, 0x00, 0x00, 0x00, 0x00) },
	[SCSI_OP_RELEASE_6] = { .name = "RELEASE(6)",
				.parse = scsi_parse_none,
				.exec = spc_release,
				.flags = SCSI_OPF_RES2_ALLOWED,
				.prc = SCSI_PRC_ALLOWED,
				.cdb_len = 6,
				U(0x00, 0x00, 0x00, 0x00, 0x00) },
	[SCSI_OP_MODE_SENSE_6] = { .name = "MODE SENSE(6)",
				   .parse = scsi_parse_alloc_8,
				   .exec = spc_mode_sense,
				   .prc = SCSI_PRC_INFO,
				   .cdb_len = 6,
				   .len_off = 4,
				   U(0x08, 0xff, 0xff, 0xff, 0x00) },
	[SCSI_OP_START_STOP_UNIT] = { .name = "START STOP UNIT",
				      .parse = scsi_parse_none,
				      .exec = sbc_start_stop,
				      .prc = SCSI_PRC_ALLOWED,
				      .cdb_len = 6,
				      U(0x01, 0x00, 0x0f, 0xf7, 0x00) },
	[SCSI_OP_READ_CAPACITY_10] = { .name = "READ CAPACITY(10)",
				       .parse = sbc_parse_rc10,
				       .exec = sbc_read_capacity_10,
				       .prc = SCSI_PRC_ALLOWED,
				       .cdb_len = 10,
				       U(0x00, 0xff, 0xff, 0xff, 0xff, 0x00,
					 0x00, 0x01, 0x00) },
	[SCSI_OP_READ_10] = { .name = "READ(10)",
			      .parse = sbc_parse_rw10,
			      .exec = sbc_read,
			      .prc = SCSI_PRC_READ,
			      .cdb_len = 10,
			      U(0x1c, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff,
				0x00) },
	[SCSI_OP_WRITE_10] = { .name = "WRITE(10)",
			       .parse = sbc_parse_rw10,
			       .exec = sbc_write,
			       .flags = F_WR,
			       .prc = SCSI_PRC_WRITE,
			       .cdb_len = 10,
			       U(0x18, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff, 0xff,
				 0x00) },
	[SCSI_OP_WRITE_VERIFY_10] = { .name = "WRITE AND VERIFY(10)",
				      .parse = sbc_parse_rw10,
				      .exec = sbc_write,
				      .flags = F_WR,
				      .prc = SCSI_PRC_WRITE,
				      .cdb_len = 10,
				      U(0x16, 0xff, 0xff, 0xff, 0xff, 0x3f,
					0xff, 0xff, 0x00) },
	[SCSI_OP_VERIFY_10] = { .name = "VERIFY(10)",
				.parse = sbc_parse_verify,
				.exec = sbc_verify,
				.prc = SCSI_PRC_READ,
				.cdb_len = 10,
				U(0x16, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff,
				  0xff, 0x00) },
	[SCSI_OP_SYNCHRONIZE_CACHE_10] = { .name = "SYNCHRONIZE CACHE(10)",
					   .parse = sbc_parse_sync,
					   .exec = sbc_sync_cache,
					   .prc = SCSI_PRC_WRITE,
					   .cdb_len = 10,
					   U(0x02, 0xff, 0xff, 0xff, 0xff, 0x3f,
					     0xff, 0xff, 0x00) },
	[SCSI_OP_WRITE_SAME_10] = { .name = "WRITE SAME(10)",
				    .parse = sbc_parse_write_same,
				    .exec = sbc_write_same,
				    .flags = F_WR,
				    .prc = SCSI_PRC_WRITE,
				    .cdb_len = 10,
				    U(0x08, 0xff, 0xff, 0xff, 0xff, 0x3f, 0xff,
				      0xff, 0x00) },
	[SCSI_OP_UNMAP] = { .name = "UNMAP",
			    .parse = sbc_parse_unmap,
			    .exec = sbc_unmap,
			    .flags = F_WR,
			    .prc = SCSI_PRC_WRITE,
			    .cdb_len = 10,
			    .len_off = 7,
			    U(0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xff, 0xff,
			      0x00) },
	[SCSI_OP_MODE_SELECT_10] = { .name = "MODE SELECT(10)",
				     .parse = scsi_parse_param_16,
				     .exec = spc_mode_select,
				     .prc = SCSI_PRC_WRITE,
				     .cdb_len = 10,
				     .len_off = 7,
				     U(0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
				       0xff, 0x00) },
	[SCSI_OP_RESERVE_10] = { .name = "RESERVE(10)",
				 .parse = scsi_parse_none,
				 .exec = spc_reserve,
				 .prc = SCSI_PRC_ALLOWED,
				 .cdb_len = 10,
				 U(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				   0x00, 0x00) },
	[SCSI_OP_RELEASE_10] = { .name = "RELEASE(10)",
				 .parse = scsi_parse_none,
				 .exec = spc_release,
				 .flags = SCSI_OPF_RES2_ALLOWED,
				 .prc = SCSI_PRC_ALLOWED,
				 .cdb_len = 10,
				 U(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				   0x00, 0x00) },
	[SCSI_OP_MODE_SENSE_10] = { .name = "MODE SENSE(10)",
				    .parse = scsi_parse_alloc_16,
				    .exec = spc_mode_sense,
				    .prc = SCSI_PRC_INFO,
				    .cdb_len = 10,
				    .len_off = 7,
				    U(0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff,
				      0xff, 0x00) },
	[SCSI_OP_PERSISTENT_RESERVE_IN] = { .name = "PERSISTENT RESERVE IN",
					    .sa = scsi_pr_in_sa,
					    .n_sa = ARRAY_SIZE(scsi_pr_in_sa),
					    .cdb_len = 10 },
	[SCSI_OP_PERSISTENT_RESERVE_OUT] = { .name = "PERSISTENT RESERVE OUT",
					     .sa = scsi_pr_out_sa,
					     .n_sa = ARRAY_SIZE(scsi_pr_out_sa),
					     .cdb_len = 10 },
	[SCSI_OP_READ_16] = { .name = "READ(16)",
			      .parse = sbc_parse_rw16,
			      .exec = sbc_read,
			      .prc = SCSI_PRC_READ,
			      .cdb_len = 16,
			      U(0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00) },
	[SCSI_OP_EXTENDED_COPY] = { .name = "EXTENDED COPY",
				    .sa = scsi_xcopy_sa,
				    .n_sa = ARRAY_SIZE(scsi_xcopy_sa),
				    .cdb_len = 16 },
	[SCSI_OP_RECEIVE_COPY_RESULTS] = { .name = "RECEIVE COPY RESULTS",
					   .sa = scsi_rcr_sa,
					   .n_sa = ARRAY_SIZE(scsi_rcr_sa),
					   .cdb_len = 16 },
	[SCSI_OP_COMPARE_AND_WRITE] = { .name = "COMPARE AND WRITE",
					.parse = sbc_parse_caw,
					.exec = sbc_caw,
					.flags = F_WR,
					.prc = SCSI_PRC_WRITE,
					.cdb_len = 16,
					U(0x18, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
					  0xff, 0x3f, 0x00) },
	[SCSI_OP_WRITE_16] = { .name = "WRITE(16)",
			       .parse = sbc_parse_rw16,
			       .exec = sbc_write,
			       .flags = F_WR,
			       .prc = SCSI_PRC_WRITE,
			       .cdb_len = 16,
			       U(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0x00) },
	[SCSI_OP_WRITE_VERIFY_16] = { .name = "WRITE AND VERIFY(16)",
				      .parse = sbc_parse_rw16,
				      .exec = sbc_write,
				      .flags = F_WR,
				      .prc = SCSI_PRC_WRITE,
				      .cdb_len = 16,
				      U(0x16, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0x3f, 0x00) },
	[SCSI_OP_VERIFY_16] = { .name = "VERIFY(16)",
				.parse = sbc_parse_verify,
				.exec = sbc_verify,
				.prc = SCSI_PRC_READ,
				.cdb_len = 16,
				U(0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f,
				  0x00) },
	[SCSI_OP_SYNCHRONIZE_CACHE_16] = { .name = "SYNCHRONIZE CACHE(16)",
					   .parse = sbc_parse_sync,
					   .exec = sbc_sync_cache,
					   .prc = SCSI_PRC_WRITE,
					   .cdb_len = 16,
					   U(0x02, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0x3f, 0x00) },
	[SCSI_OP_WRITE_SAME_16] = { .name = "WRITE SAME(16)",
				    .parse = sbc_parse_write_same,
				    .exec = sbc_write_same,
				    .flags = F_WR,
				    .prc = SCSI_PRC_WRITE,
				    .cdb_len = 16,
				    U(0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f,
				      0x00) },
	[SCSI_OP_SERVICE_ACTION_IN_16] = { .name = "SERVICE ACTION IN(16)",
					   .sa = scsi_sai16_sa,
					   .n_sa = ARRAY_SIZE(scsi_sai16_sa),
					   .cdb_len = 16 },
	[SCSI_OP_REPORT_LUNS] = { .name = "REPORT LUNS",
				  .parse = scsi_parse_alloc_32,
				  .exec = spc_report_luns,
				  .flags = F_EMU_ANY | SCSI_OPF_CLEAR_RLDC,
				  .prc = SCSI_PRC_ALLOWED,
				  .cdb_len = 12,
				  .len_off = 6,
				  U(0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff,
				    0xff, 0xff, 0x00, 0x00) },
	[SCSI_OP_MAINTENANCE_IN] = { .name = "MAINTENANCE IN",
				     .sa = scsi_maint_in_sa,
				     .n_sa = ARRAY_SIZE(scsi_maint_in_sa),
				     .cdb_len = 12 },
	[SCSI_OP_READ_12] = { .name = "READ(12)",
			      .parse = sbc_parse_rw12,
			      .exec = sbc_read,
			      .prc = SCSI_PRC_READ,
			      .cdb_len = 12,
			      U(0x1c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				0xff, 0x3f, 0x00) },
	[SCSI_OP_WRITE_12] = { .name = "WRITE(12)",
			       .parse = sbc_parse_rw12,
			       .exec = sbc_write,
			       .flags = F_WR,
			       .prc = SCSI_PRC_WRITE,
			       .cdb_len = 12,
			       U(0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				 0xff, 0x3f, 0x00) },
};

/*
 * Row for a CDB, or NULL.  *sa_bad is set when the opcode exists but the
 * service action does not (-> INVALID FIELD IN CDB on byte 1).
 */
const struct scsi_opdesc *scsi_op_lookup(const uint8_t *cdb, bool *sa_bad)
{
	const struct scsi_opdesc *op = &scsi_optable[cdb[0]];
	uint8_t sa = cdb[1] & 0x1f;
	unsigned int i;

	*sa_bad = false;
	if (!op->n_sa)
		return op->parse ? op : NULL;
	for (i = 0; i < op->n_sa; i++)
		if (op->sa[i].sa_code == sa)
			return &op->sa[i];
	*sa_bad = true;
	return NULL;
}

/* For REPORT SUPPORTED OPERATION CODES: the i-th row of an opcode. */
const struct scsi_opdesc *scsi_op_sa_row(uint8_t opcode, unsigned int i)
{
	const struct scsi_opdesc *op = &scsi_optable[opcode];

	if (i >= op->n_sa)
		return NULL;
	return &op->sa[i];
}
