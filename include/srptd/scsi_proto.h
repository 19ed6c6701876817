/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SCSI wire constants and byte layouts used by the SPC-4 / SBC-3 emulation
 * (src/scsi).  All multi-byte fields are big-endian; structures are byte
 * arrays described by offsets so that no packing is needed.  Sources:
 * SPC-4 r37 (INQUIRY 6.6, MODE 7.5, PR 6.15/6.16, sense 4.5), SBC-3 r36
 * (commands 5.x, VPD 6.5), SAM-5 (status, LUN formats 4.7).
 */
#ifndef SRPTD_SCSI_PROTO_H
#define SRPTD_SCSI_PROTO_H

#include <stdint.h>

/* Operation codes (SPC-4 annex D / SBC-3 5). */
#define SCSI_OP_TEST_UNIT_READY 0x00
#define SCSI_OP_REQUEST_SENSE 0x03
#define SCSI_OP_READ_6 0x08
#define SCSI_OP_WRITE_6 0x0a
#define SCSI_OP_INQUIRY 0x12
#define SCSI_OP_MODE_SELECT_6 0x15
#define SCSI_OP_RESERVE_6 0x16
#define SCSI_OP_RELEASE_6 0x17
#define SCSI_OP_MODE_SENSE_6 0x1a
#define SCSI_OP_START_STOP_UNIT 0x1b
#define SCSI_OP_READ_CAPACITY_10 0x25
#define SCSI_OP_READ_10 0x28
#define SCSI_OP_WRITE_10 0x2a
#define SCSI_OP_WRITE_VERIFY_10 0x2e
#define SCSI_OP_VERIFY_10 0x2f
#define SCSI_OP_PRE_FETCH_10 0x34
#define SCSI_OP_SYNCHRONIZE_CACHE_10 0x35
#define SCSI_OP_WRITE_SAME_10 0x41
#define SCSI_OP_UNMAP 0x42
#define SCSI_OP_MODE_SELECT_10 0x55
#define SCSI_OP_RESERVE_10 0x56
#define SCSI_OP_RELEASE_10 0x57
#define SCSI_OP_MODE_SENSE_10 0x5a
#define SCSI_OP_PERSISTENT_RESERVE_IN 0x5e
#define SCSI_OP_PERSISTENT_RESERVE_OUT 0x5f
#define SCSI_OP_READ_16 0x88
#define SCSI_OP_COMPARE_AND_WRITE 0x89
#define SCSI_OP_WRITE_16 0x8a
#define SCSI_OP_EXTENDED_COPY 0x83
#define SCSI_OP_RECEIVE_COPY_RESULTS 0x84
#define SCSI_OP_WRITE_VERIFY_16 0x8e
#define SCSI_OP_VERIFY_16 0x8f
#define SCSI_OP_PRE_FETCH_16 0x90
#define SCSI_OP_SYNCHRONIZE_CACHE_16 0x91
#define SCSI_OP_WRITE_SAME_16 0x93
#define SCSI_OP_SERVICE_ACTION_IN_16 0x9e
#define SCSI_OP_REPORT_LUNS 0xa0
#define SCSI_OP_MAINTENANCE_IN 0xa3
#define SCSI_OP_READ_12 0xa8
#define SCSI_OP_WRITE_12 0xaa
#define SCSI_OP_WRITE_VERIFY_12 0xae
#define SCSI_OP_VERIFY_12 0xaf

/* Service actions. */
#define SCSI_XCOPY_LID1 0x00 /* EXTENDED COPY */
#define SCSI_RCR_COPY_STATUS 0x00 /* RECEIVE COPY RESULTS */
#define SCSI_RCR_OPERATING_PARAMS 0x03
#define SCSI_SAI_READ_CAPACITY_16 0x10 /* SERVICE ACTION IN(16) */
#define SCSI_MI_REPORT_TARGET_PGS 0x0a /* MAINTENANCE IN */
#define SCSI_MI_REPORT_SUPPORTED_OPCODES 0x0c
#define SCSI_PRIN_READ_KEYS 0x00
#define SCSI_PRIN_READ_RESERVATION 0x01
#define SCSI_PRIN_REPORT_CAPABILITIES 0x02
#define SCSI_PRIN_READ_FULL_STATUS 0x03
#define SCSI_PROUT_REGISTER 0x00
#define SCSI_PROUT_RESERVE 0x01
#define SCSI_PROUT_RELEASE 0x02
#define SCSI_PROUT_CLEAR 0x03
#define SCSI_PROUT_PREEMPT 0x04
#define SCSI_PROUT_PREEMPT_AND_ABORT 0x05
#define SCSI_PROUT_REGISTER_AND_IGNORE 0x06

/* Persistent reservation types (SPC-4 table 169). */
#define SCSI_PR_TYPE_WE 0x1 /* write exclusive */
#define SCSI_PR_TYPE_EA 0x3 /* exclusive access */
#define SCSI_PR_TYPE_WERO 0x5 /* write exclusive, registrants only */
#define SCSI_PR_TYPE_EARO 0x6 /* exclusive access, registrants only */
#define SCSI_PR_TYPE_WEAR 0x7 /* write exclusive, all registrants */
#define SCSI_PR_TYPE_EAAR 0x8 /* exclusive access, all registrants */
#define SCSI_PR_OUT_PARAM_LEN 24 /* basic PR OUT parameter list */

/* Sense keys (SPC-4 table 49). */
#define SCSI_SK_NO_SENSE 0x0
#define SCSI_SK_NOT_READY 0x2
#define SCSI_SK_MEDIUM_ERROR 0x3
#define SCSI_SK_HARDWARE_ERROR 0x4
#define SCSI_SK_ILLEGAL_REQUEST 0x5
#define SCSI_SK_UNIT_ATTENTION 0x6
#define SCSI_SK_DATA_PROTECT 0x7
#define SCSI_SK_COPY_ABORTED 0xa
#define SCSI_SK_ABORTED_COMMAND 0xb
#define SCSI_SK_MISCOMPARE 0xe

/* Additional sense codes used (ASC << 8 | ASCQ), SPC-4 annex D.2. */
#define SCSI_ASC_NO_ADDITIONAL_SENSE 0x0000
#define SCSI_ASC_LU_NOT_ACCESSIBLE_STANDBY 0x040b /* SPC-4 5.16.2.4.4 */
#define SCSI_ASC_LU_NOT_ACCESSIBLE_UNAVAIL 0x040c /* SPC-4 5.16.2.4.5 */
#define SCSI_ASC_OPERATION_IN_PROGRESS 0x0016
#define SCSI_ASC_WRITE_ERROR 0x0c00
#define SCSI_ASC_THIRD_PARTY_DEVICE_FAILURE 0x0d01
#define SCSI_ASC_COPY_TARGET_NOT_REACHABLE 0x0d02
#define SCSI_ASC_UNRECOVERED_READ_ERROR 0x1100
#define SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR 0x1a00
#define SCSI_ASC_MISCOMPARE_DURING_VERIFY 0x1d00
#define SCSI_ASC_INVALID_OPCODE 0x2000
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x2100
#define SCSI_ASC_INVALID_FIELD_IN_CDB 0x2400
#define SCSI_ASC_LU_NOT_SUPPORTED 0x2500
#define SCSI_ASC_INVALID_FIELD_IN_PARAM_LIST 0x2600
#define SCSI_ASC_INVALID_RELEASE_OF_PR 0x2604
#define SCSI_ASC_TOO_MANY_TARGET_DESCS 0x2606
#define SCSI_ASC_UNSUPPORTED_TARGET_DESC 0x2607
#define SCSI_ASC_TOO_MANY_SEGMENT_DESCS 0x2608
#define SCSI_ASC_UNSUPPORTED_SEGMENT_DESC 0x2609
#define SCSI_ASC_WRITE_PROTECTED 0x2700
#define SCSI_ASC_SPACE_ALLOC_FAILED_WP 0x2707
#define SCSI_ASC_POWER_ON_RESET 0x2900
#define SCSI_ASC_BUS_DEVICE_RESET 0x2903
#define SCSI_ASC_MODE_PARAMETERS_CHANGED 0x2a01
#define SCSI_ASC_RESERVATIONS_PREEMPTED 0x2a03
#define SCSI_ASC_RESERVATIONS_RELEASED 0x2a04
#define SCSI_ASC_REGISTRATIONS_PREEMPTED 0x2a05
#define SCSI_ASC_ASYMMETRIC_ACCESS_CHANGED 0x2a06
#define SCSI_ASC_CAPACITY_DATA_CHANGED 0x2a09
#define SCSI_ASC_SAVING_PARAMS_NOT_SUPPORTED 0x3900
#define SCSI_ASC_REPORTED_LUNS_DATA_CHANGED 0x3f0e
#define SCSI_ASC_INTERNAL_TARGET_FAILURE 0x4400
#define SCSI_ASC_DATA_PHASE_ERROR 0x4b00
#define SCSI_ASC_INSUFFICIENT_REG_RESOURCES 0x5504

/*
 * Fixed format sense data (SPC-4 4.5.3, table 48): 18 bytes.
 */
#define SCSI_SENSE_FIXED_CURRENT 0x70
#define SCSI_SENSE_FIXED_VALID 0x80 /* byte 0: INFORMATION is valid */
#define SCSI_SENSE_FIXED_LEN 18
#define SCSI_SENSE_FIXED_KEY 2
#define SCSI_SENSE_FIXED_INFO 3 /* 4 bytes */
#define SCSI_SENSE_FIXED_ADD_LEN 7
#define SCSI_SENSE_FIXED_ASC 12
#define SCSI_SENSE_FIXED_ASCQ 13
#define SCSI_SENSE_FIXED_SKS 15 /* 3 bytes sense-key specific */

/*
 * Descriptor format sense data (SPC-4 4.5.2): 8-byte header plus
 * descriptors.  We emit the information descriptor (type 0, 12 bytes) and
 * the sense-key specific descriptor (type 2, 8 bytes).
 */
#define SCSI_SENSE_DESC_CURRENT 0x72
#define SCSI_SENSE_DESC_HDR_LEN 8
#define SCSI_SENSE_DESC_KEY 1
#define SCSI_SENSE_DESC_ASC 2
#define SCSI_SENSE_DESC_ASCQ 3
#define SCSI_SENSE_DESC_ADD_LEN 7
#define SCSI_SENSE_DESC_INFO_TYPE 0x00
#define SCSI_SENSE_DESC_INFO_LEN 12
#define SCSI_SENSE_DESC_SKS_TYPE 0x02
#define SCSI_SENSE_DESC_SKS_LEN 8

/* Sense-key specific field pointer bits (SPC-4 4.5.2.4.2). */
#define SCSI_SKS_SKSV 0x80
#define SCSI_SKS_CD 0x40 /* error is in the CDB (else parameter data) */
#define SCSI_SKS_BPV 0x08 /* BIT POINTER valid */

/* Standard INQUIRY data (SPC-4 6.6.2): we return 96 bytes. */
#define SCSI_INQ_STD_LEN 96
#define SCSI_INQ_VERSION_SPC4 0x06
#define SCSI_INQ_RDF_2 0x02 /* RESPONSE DATA FORMAT; byte 3 HISUP=0 */
#define SCSI_INQ_TPGS_IMPLICIT 0x10 /* byte 5 bits 5:4 = 01b */
#define SCSI_INQ_3PC 0x08 /* byte 5: third-party copy */
#define SCSI_INQ_CMDQUE 0x02 /* byte 7 */
#define SCSI_INQ_VENDOR 8 /* 8 bytes */
#define SCSI_INQ_PRODUCT 16 /* 16 bytes */
#define SCSI_INQ_REVISION 32 /* 4 bytes */
#define SCSI_INQ_VERSION_DESC 58 /* 8 x 2 bytes */
#define SCSI_VD_SAM5 0x00a0
#define SCSI_VD_SRP 0x0940
#define SCSI_VD_SPC4 0x0460
#define SCSI_VD_SBC3 0x04c0

/* Peripheral qualifier / device type (byte 0). */
#define SCSI_PDT_DISK 0x00
#define SCSI_PDT_WLUN 0x1e
#define SCSI_PDT_UNKNOWN 0x1f
#define SCSI_PQ_CONNECTED 0x00
#define SCSI_PQ_NOT_CONNECTED 0x20 /* 001b: LU supported, not connected */
#define SCSI_PQ_NOT_CAPABLE 0x60 /* 011b: LU not supported */

/* VPD page codes (SPC-4 7.8, SBC-3 6.5). */
#define SCSI_VPD_SUPPORTED 0x00
#define SCSI_VPD_SERIAL 0x80
#define SCSI_VPD_DEVICE_ID 0x83
#define SCSI_VPD_EXTENDED_INQUIRY 0x86
#define SCSI_VPD_BLOCK_LIMITS 0xb0
#define SCSI_VPD_BLOCK_CHARACTERISTICS 0xb1
#define SCSI_VPD_LB_PROVISIONING 0xb2

/* Designation descriptors (SPC-4 7.8.6, table 459). */
#define SCSI_DESIG_CODESET_BINARY 0x1
#define SCSI_DESIG_CODESET_ASCII 0x2
#define SCSI_DESIG_CODESET_UTF8 0x3
#define SCSI_DESIG_PIV 0x80
#define SCSI_DESIG_ASSOC_LU 0x00
#define SCSI_DESIG_ASSOC_PORT 0x10
#define SCSI_DESIG_ASSOC_TARGET 0x20
#define SCSI_DESIG_TYPE_T10 0x1
#define SCSI_DESIG_TYPE_NAA 0x3
#define SCSI_DESIG_TYPE_RTPI 0x4
#define SCSI_DESIG_TYPE_TPG 0x5
#define SCSI_DESIG_TYPE_SCSI_NAME 0x8
#define SCSI_PROTOCOL_ID_SRP 0x4 /* SPC-4 table 362 */
#define SCSI_NAA_LEN 16 /* NAA 6 IEEE Registered Extended */

/* SRP TransportID (SPC-4 7.6.4.8): 24 bytes, port id at offset 8. */
#define SCSI_SRP_TRANSPORT_ID_LEN 24

/* Mode pages (SPC-4 7.5, SBC-3 6.4). */
#define SCSI_MP_RW_ERROR_RECOVERY 0x01
#define SCSI_MP_CACHING 0x08
#define SCSI_MP_CONTROL 0x0a
#define SCSI_MP_INFO_EXCEPTIONS 0x1c
#define SCSI_MP_ALL 0x3f
#define SCSI_MP_CACHING_WCE 0x04 /* byte 2 */
#define SCSI_MP_CONTROL_D_SENSE 0x04 /* byte 2 */
#define SCSI_MP_CONTROL_GLTSD 0x02 /* byte 2 */
#define SCSI_MP_PS 0x80 /* byte 0: parameters saveable */
#define SCSI_MODE_PC_CURRENT 0
#define SCSI_MODE_PC_CHANGEABLE 1
#define SCSI_MODE_PC_DEFAULT 2
#define SCSI_MODE_PC_SAVED 3
#define SCSI_MODE_DSP_WP 0x80 /* device-specific parameter (SBC-3 6.4.1) */
#define SCSI_MODE_DSP_DPOFUA 0x10
#define SCSI_MODE_HDR6_LEN 4
#define SCSI_MODE_HDR10_LEN 8
#define SCSI_MODE_BD_SHORT_LEN 8
#define SCSI_MODE_BD_LONG_LEN 16

/* READ CAPACITY(16) parameter data (SBC-3 5.16.2): 32 bytes. */
#define SCSI_RC16_LEN 32
#define SCSI_RC16_LBPME 0x80 /* byte 14 */
#define SCSI_RC16_LBPRZ 0x40 /* byte 14 */
#define SCSI_RC10_LEN 8

/* Logical block provisioning VPD (SBC-3 6.5.4) byte 5. */
#define SCSI_LBP_LBPU 0x80
#define SCSI_LBP_LBPWS 0x40
#define SCSI_LBP_LBPWS10 0x20
#define SCSI_LBP_LBPRZ 0x04

/* REPORT LUNS (SPC-4 6.33) and SAM-5 4.7 LUN formats. */
#define SCSI_RL_SELECT_ALL 0x00 /* logical units, no well known */
#define SCSI_RL_SELECT_WLUN 0x01
#define SCSI_RL_SELECT_BOTH 0x02
#define SCSI_LUN_METHOD_PERIPHERAL 0x00 /* byte 0 bits 7:6 */
#define SCSI_LUN_METHOD_FLAT 0x40
#define SCSI_LUN_METHOD_EXTENDED 0xc0
#define SCSI_WLUN_REPORT_LUNS 0x01 /* C1 01 00 .. */

/*
 * REPORT TARGET PORT GROUPS (SPC-4 6.37): byte 1 of a target port group
 * descriptor, the states the group supports.
 */
#define SCSI_ALUA_SUP_AO 0x01 /* AO_SUP */
#define SCSI_ALUA_SUP_AN 0x02 /* AN_SUP */
#define SCSI_ALUA_SUP_S 0x04 /* S_SUP */
#define SCSI_ALUA_SUP_U 0x08 /* U_SUP */

/*
 * EXTENDED COPY (LID1) parameter list (SPC-4 6.4): 16-byte header, CSCD
 * descriptors, segment descriptors.  Identification CSCD descriptor
 * (type E4h, 32 bytes, 6.4.5.1/6.4.5.2): designation descriptor at 4,
 * block device parameters (DISK BLOCK LENGTH at 29).  Block to block
 * segment descriptor (type 02h, 28 bytes, 6.4.6.5).
 */
#define SCSI_XCOPY_HDR_LEN 16
#define SCSI_XCOPY_CSCD_LEN 32
#define SCSI_XCOPY_CSCD_ID 0xe4
#define SCSI_XCOPY_SEG_B2B 0x02
#define SCSI_XCOPY_SEG_B2B_LEN 28
#define SCSI_XCOPY_SEG_DC 0x02 /* byte 1: count in destination blocks */
#define SCSI_RCR_OP_PARAMS_LEN 44 /* + implemented descriptor codes */
#define SCSI_RCR_COPY_STATUS_LEN 12

/* UNMAP parameter list (SBC-3 5.28.2). */
#define SCSI_UNMAP_HDR_LEN 8
#define SCSI_UNMAP_DESC_LEN 16

/* CDB layouts of the block commands share these field offsets. */
#define SCSI_CDB10_LBA 2
#define SCSI_CDB10_LEN 7
#define SCSI_CDB12_LBA 2
#define SCSI_CDB12_LEN 6
#define SCSI_CDB16_LBA 2
#define SCSI_CDB16_LEN 10

_Static_assert(SCSI_SENSE_FIXED_SKS + 3 == SCSI_SENSE_FIXED_LEN,
	       "fixed sense ends with the SKS field");
_Static_assert(SCSI_INQ_VERSION_DESC + 16 <= SCSI_INQ_STD_LEN,
	       "version descriptors fit the standard INQUIRY data");
_Static_assert(SCSI_SENSE_DESC_HDR_LEN + SCSI_SENSE_DESC_INFO_LEN +
			       SCSI_SENSE_DESC_SKS_LEN <=
		       96,
	       "descriptor sense fits SCSI_SENSE_BUFFERSIZE");

#endif
