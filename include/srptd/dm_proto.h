/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * InfiniBand Device Management (DM) class wire layouts: the MAD that
 * carries them and the four attributes an SRP target answers (IBA vol. 1
 * chapter 16.3 "Device Management"; the SRP values are from the SRP r16a
 * annex on IB I/O controllers).  What each field means and which value
 * srptd puts there: doc/discovery.md.
 *
 * As in srp_proto.h, every multi-byte field is big-endian on the wire and
 * declared as a byte array, read and written only with get_be16/32/64 and
 * put_be16/32/64 from "util.h"; the _Static_asserts pin sizes and offsets.
 */
#ifndef SRPTD_DM_PROTO_H
#define SRPTD_DM_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Every MAD is 256 bytes on the GSI (IBA 13.4.2). */
#define DM_MAD_SIZE 256
#define DM_MAD_BASE_VERSION 1
#define DM_MGMT_CLASS 0x06 /* Device Management (IBA 13.4.4) */
#define DM_CLASS_VERSION 1
/* Q_Key of every GSI (QP1) destination (IBA 13.4.6, well-known). */
#define DM_GSI_QKEY 0x80010000u

/* Methods (IBA 13.4.5); bit 7 marks a response. */
#define DM_METHOD_GET 0x01
#define DM_METHOD_SET 0x02
#define DM_METHOD_RESP 0x80
#define DM_METHOD_GET_RESP 0x81

/* Attribute IDs (IBA 16.3.3, DM attribute table). */
#define DM_ATTR_CLASS_PORT_INFO 0x0001
#define DM_ATTR_IO_UNIT_INFO 0x0010
#define DM_ATTR_IOC_PROFILE 0x0011
#define DM_ATTR_SERVICE_ENTRIES 0x0012

/*
 * MAD status (IBA 13.4.7 common status bits 4:2, plus the DM class
 * specific bits 15:8 of IBA 16.3.1.2).
 */
#define DM_STATUS_OK 0x0000
#define DM_STATUS_UNSUP_METHOD 0x0008 /* method not supported */
#define DM_STATUS_UNSUP_METHOD_ATTR 0x000c /* method/attribute combination */
#define DM_STATUS_INVALID_FIELD 0x001c /* bad attribute modifier */
#define DM_STATUS_NO_IOC 0x0100 /* DM: no IOC in that slot */

/* Common MAD header (IBA 13.4.3), 24 bytes. */
struct dm_mad_hdr {
	uint8_t base_version; /* 1 */
	uint8_t mgmt_class; /* DM_MGMT_CLASS */
	uint8_t class_version; /* 1 */
	uint8_t method;
	uint8_t status[2];
	uint8_t class_specific[2];
	uint8_t tid[8]; /* transaction ID, echoed in the response */
	uint8_t attr_id[2];
	uint8_t reserved[2];
	uint8_t attr_mod[4];
};
_Static_assert(sizeof(struct dm_mad_hdr) == 24, "MAD header");
_Static_assert(offsetof(struct dm_mad_hdr, status) == 4, "status");
_Static_assert(offsetof(struct dm_mad_hdr, tid) == 8, "tid");
_Static_assert(offsetof(struct dm_mad_hdr, attr_id) == 16, "attr_id");
_Static_assert(offsetof(struct dm_mad_hdr, attr_mod) == 20, "attr_mod");

/*
 * A DM MAD (IBA 16.3.1): the header, 40 reserved bytes (where other
 * classes have their RMPP and class headers) and 192 bytes of attribute
 * data at offset 64.
 */
#define DM_DATA_SIZE 192
struct dm_mad {
	struct dm_mad_hdr hdr;
	uint8_t reserved[40];
	uint8_t data[DM_DATA_SIZE];
};
_Static_assert(sizeof(struct dm_mad) == DM_MAD_SIZE, "DM MAD");
_Static_assert(offsetof(struct dm_mad, data) == 64, "DM data");

/* ClassPortInfo (IBA 13.4.8.1), 72 bytes. */
struct dm_class_port_info {
	uint8_t base_version;
	uint8_t class_version;
	uint8_t capability_mask[2];
	/* CapabilityMask2 (bits 31:5) and RespTimeValue (bits 4:0). */
	uint8_t cap_mask2_resp_time[4];
	uint8_t redirect_gid[16];
	uint8_t redirect_tc_sl_fl[4];
	uint8_t redirect_lid[2];
	uint8_t redirect_pkey[2];
	uint8_t redirect_qp[4];
	uint8_t redirect_qkey[4];
	uint8_t trap_gid[16];
	uint8_t trap_tc_sl_fl[4];
	uint8_t trap_lid[2];
	uint8_t trap_pkey[2];
	uint8_t trap_hl_qp[4];
	uint8_t trap_qkey[4];
};
_Static_assert(sizeof(struct dm_class_port_info) == 72, "ClassPortInfo");
_Static_assert(offsetof(struct dm_class_port_info, redirect_gid) == 8, "");
_Static_assert(offsetof(struct dm_class_port_info, trap_gid) == 40, "");
_Static_assert(offsetof(struct dm_class_port_info, trap_qkey) == 68, "");
#define DM_RESP_TIME_MASK 0x1f

/*
 * IOUnitInfo (IBA 16.3.3.3), 132 bytes.  controller_list holds one nibble
 * per slot, slot 1 in the high nibble of byte 0, slot 2 in its low nibble,
 * and so on.
 */
struct dm_iou_info {
	uint8_t change_id[2];
	uint8_t max_controllers;
	uint8_t op_rom; /* bit 7: DiagDeviceID, bit 6: OptionROM; 0 */
	uint8_t controller_list[128];
};
_Static_assert(sizeof(struct dm_iou_info) == 132, "IOUnitInfo");
_Static_assert(offsetof(struct dm_iou_info, controller_list) == 4, "");
#define DM_SLOT_EMPTY 0x0 /* no IOC installed */
#define DM_SLOT_PRESENT 0x1 /* IOC present */
#define DM_SLOT_NONE 0xf /* slot does not exist */
#define DM_MAX_SLOTS 255 /* max_controllers is one byte */

/* IOControllerProfile (IBA 16.3.3.4), 128 bytes. */
struct dm_ioc_profile {
	uint8_t guid[8]; /* IOC GUID: the ioc_guid of SRP logins */
	uint8_t vendor_id[4]; /* IEEE OUI in bits 31:8 */
	uint8_t device_id[4];
	uint8_t device_version[2];
	uint8_t reserved1[2];
	uint8_t subsys_vendor_id[4]; /* OUI in bits 31:8 */
	uint8_t subsys_device_id[4];
	uint8_t io_class[2];
	uint8_t io_subclass[2];
	uint8_t protocol[2];
	uint8_t protocol_version[2];
	uint8_t service_conn[2];
	uint8_t initiators_supported[2];
	uint8_t send_queue_depth[2];
	uint8_t reserved2;
	uint8_t rdma_read_depth;
	uint8_t send_size[4]; /* largest message the IOC receives */
	uint8_t rdma_size[4]; /* largest RDMA transfer */
	uint8_t op_cap_mask;
	uint8_t svc_cap_mask;
	uint8_t num_svc_entries;
	uint8_t reserved3[9];
	uint8_t id_string[64]; /* UTF-8, NUL padded */
};
_Static_assert(sizeof(struct dm_ioc_profile) == 128, "IOControllerProfile");
_Static_assert(offsetof(struct dm_ioc_profile, io_class) == 28, "");
_Static_assert(offsetof(struct dm_ioc_profile, send_queue_depth) == 40, "");
_Static_assert(offsetof(struct dm_ioc_profile, rdma_read_depth) == 43, "");
_Static_assert(offsetof(struct dm_ioc_profile, send_size) == 44, "");
_Static_assert(offsetof(struct dm_ioc_profile, op_cap_mask) == 52, "");
_Static_assert(offsetof(struct dm_ioc_profile, num_svc_entries) == 54, "");
_Static_assert(offsetof(struct dm_ioc_profile, id_string) == 64, "");

/* The values an SRP target reports (SRP r16a annex, IB I/O class). */
#define DM_SRP_IO_CLASS 0x0100 /* SRP r16a; 0xff00 was SRP rev. 10 */
#define DM_SRP_IO_SUBCLASS 0x609e
#define DM_SRP_PROTOCOL 0x0108 /* T10 */
#define DM_SRP_PROTOCOL_VERSION 0x0001
/* OperationCapabilityMask bits (IBA 16.3.3.4). */
#define DM_OPCAP_SEND_TO_IOC 0x01
#define DM_OPCAP_SEND_FROM_IOC 0x02
#define DM_OPCAP_RDMA_READ_TO_IOC 0x04
#define DM_OPCAP_RDMA_READ_FROM_IOC 0x08
#define DM_OPCAP_RDMA_WRITE_TO_IOC 0x10
#define DM_OPCAP_RDMA_WRITE_FROM_IOC 0x20

/*
 * ServiceEntries (IBA 16.3.3.5): up to four 48-byte entries per MAD.  The
 * attribute modifier selects slot (bits 31:16) and the entry range, last
 * index in bits 15:8, first in bits 7:0.
 */
struct dm_svc_entry {
	uint8_t name[40]; /* ASCII, NUL padded */
	uint8_t id[8]; /* service ID to connect to */
};
_Static_assert(sizeof(struct dm_svc_entry) == 48, "ServiceEntry");
#define DM_SVC_ENTRIES_PER_MAD 4
_Static_assert(DM_SVC_ENTRIES_PER_MAD * sizeof(struct dm_svc_entry) <=
		       DM_DATA_SIZE,
	       "four entries fit a MAD");
/* SRP's service name: "SRP.T10:" + id_ext as 16 hex digits (SRP r16a). */
#define DM_SRP_SVC_NAME_PREFIX "SRP.T10:"

#endif
