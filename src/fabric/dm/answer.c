/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The DM agent's answers (src/fabric/dm.h): one request MAD in, one
 * response MAD out, for the four attributes an SRP target serves (IBA
 * vol. 1 16.3.3; values and status codes: doc/discovery.md).  Pure: no
 * I/O, no state besides the unit it is given.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fabric/dm.h"
#include "util.h"

/* TrapRepress (IBA 13.4.5) answers a Trap; it is never answered itself. */
#define DM_METHOD_TRAP_REPRESS 0x07
/*
 * RespTimeValue of ClassPortInfo: 4.096 us * 2^20, about 4.3 s, the value
 * the kernel's target reports (doc/discovery.md "ClassPortInfo").
 */
#define DM_RESP_TIME 20

static void answer_class_port_info(uint8_t *data)
{
	struct dm_class_port_info *cpi = (struct dm_class_port_info *)data;

	/* No redirection, no traps: every other field stays 0. */
	cpi->base_version = DM_MAD_BASE_VERSION;
	cpi->class_version = DM_CLASS_VERSION;
	put_be32(cpi->cap_mask2_resp_time, DM_RESP_TIME & DM_RESP_TIME_MASK);
}

static bool slot_present(const struct dm_unit *u, unsigned int slot)
{
	if (u->port < 1 || u->port > 64)
		return false;
	return (u->slots[slot - 1].ports >> (u->port - 1)) & 1;
}

/* max_controllers is one byte: a longer table is cut (never built). */
static unsigned int n_slots(const struct dm_unit *u)
{
	return MIN(u->n_slots, DM_MAX_SLOTS);
}

static void answer_iou_info(const struct dm_unit *u, uint8_t *data)
{
	struct dm_iou_info *iou = (struct dm_iou_info *)data;

	put_be16(iou->change_id, u->change_id);
	iou->max_controllers = (uint8_t)n_slots(u);
	/* Slot n: high nibble of byte (n-1)/2 when n is odd, else low. */
	for (unsigned int n = 1; n <= n_slots(u); n++) {
		uint8_t v = slot_present(u, n) ? DM_SLOT_PRESENT :
						 DM_SLOT_EMPTY;

		iou->controller_list[(n - 1) / 2] |= n & 1 ? v << 4 : v;
	}
}

/*
 * The slot an attribute modifier names, or the status: 0 or past
 * max_controllers is an invalid field, an empty slot has no IOC.
 */
static int check_slot(const struct dm_unit *u, uint32_t slot)
{
	if (slot == 0 || slot > n_slots(u))
		return DM_STATUS_INVALID_FIELD;
	if (!slot_present(u, slot))
		return DM_STATUS_NO_IOC;
	return DM_STATUS_OK;
}

static int answer_ioc_profile(const struct dm_unit *u, uint32_t slot,
			      uint8_t *data)
{
	struct dm_ioc_profile *p = (struct dm_ioc_profile *)data;
	const struct dm_ioc *ioc;
	int st = check_slot(u, slot);

	if (st)
		return st;
	ioc = &u->slots[slot - 1];
	put_be64(p->guid, ioc->guid);
	/* IBA 16.3.3.4: the 24-bit OUI sits in the upper three bytes. */
	put_be32(p->vendor_id, u->attr->vendor_id << 8);
	put_be32(p->device_id, u->attr->device_id);
	put_be16(p->device_version, u->attr->device_version);
	put_be32(p->subsys_vendor_id, u->attr->vendor_id << 8);
	put_be16(p->io_class, DM_SRP_IO_CLASS);
	put_be16(p->io_subclass, DM_SRP_IO_SUBCLASS);
	put_be16(p->protocol, DM_SRP_PROTOCOL);
	put_be16(p->protocol_version, DM_SRP_PROTOCOL_VERSION);
	put_be16(p->send_queue_depth, u->caps->send_queue_depth);
	p->rdma_read_depth = u->caps->rdma_read_depth;
	put_be32(p->send_size, u->caps->send_size);
	put_be32(p->rdma_size, u->caps->rdma_size);
	/* An SRP target receives IUs and sends them, and moves data with
	 * RDMA READ (data-out) and RDMA WRITE (data-in) it issues itself. */
	p->op_cap_mask = DM_OPCAP_SEND_TO_IOC | DM_OPCAP_SEND_FROM_IOC |
			 DM_OPCAP_RDMA_READ_FROM_IOC |
			 DM_OPCAP_RDMA_WRITE_FROM_IOC;
	p->num_svc_entries = 1;
	memcpy(p->id_string, u->caps->id_string,
	       strnlen(u->caps->id_string, sizeof(p->id_string)));
	return DM_STATUS_OK;
}

/*
 * Attribute modifier: slot in bits 31:16, last entry in 15:8, first in
 * 7:0.  Each IOC has one entry (index 0).  A range that is reversed or
 * past the entries gets "no IOC", as the kernel's target answers
 * (doc/discovery.md "ServiceEntries").
 */
static int answer_svc_entries(const struct dm_unit *u, uint32_t mod,
			      uint8_t *data)
{
	struct dm_svc_entry *e = (struct dm_svc_entry *)data;
	unsigned int slot = mod >> 16, hi = (mod >> 8) & 0xff, lo = mod & 0xff;
	const struct dm_ioc *ioc;
	char name[sizeof(e->name) + 1];
	int st = check_slot(u, slot);

	if (st)
		return st;
	if (lo > hi || hi >= 1)
		return DM_STATUS_NO_IOC;
	ioc = &u->slots[slot - 1];
	snprintf(name, sizeof(name), DM_SRP_SVC_NAME_PREFIX "%016llx",
		 (unsigned long long)ioc->id_ext);
	memcpy(e->name, name, strlen(name));
	put_be64(e->id, ioc->service_id);
	return DM_STATUS_OK;
}

static int answer_get(const struct dm_unit *u, uint16_t attr, uint32_t mod,
		      uint8_t *data)
{
	switch (attr) {
	case DM_ATTR_CLASS_PORT_INFO:
		answer_class_port_info(data);
		return DM_STATUS_OK;
	case DM_ATTR_IO_UNIT_INFO:
		answer_iou_info(u, data);
		return DM_STATUS_OK;
	case DM_ATTR_IOC_PROFILE:
		return answer_ioc_profile(u, mod, data);
	case DM_ATTR_SERVICE_ENTRIES:
		return answer_svc_entries(u, mod, data);
	default:
		return DM_STATUS_UNSUP_METHOD_ATTR;
	}
}

int dm_answer(const struct dm_unit *u, const void *req, size_t len,
	      uint8_t rsp[DM_MAD_SIZE])
{
	const struct dm_mad_hdr *rh = req;
	struct dm_mad *m = (struct dm_mad *)rsp;
	int st;

	if (len < sizeof(*rh) || rh->base_version != DM_MAD_BASE_VERSION ||
	    rh->mgmt_class != DM_MGMT_CLASS ||
	    rh->class_version != DM_CLASS_VERSION ||
	    (rh->method & DM_METHOD_RESP) ||
	    rh->method == DM_METHOD_TRAP_REPRESS)
		return -EPROTO;

	/*
	 * The response echoes the header (TID, attribute, modifier: IBA
	 * 13.4.6.2); everything after it is ours, zero unless filled in.
	 */
	memset(rsp, 0, DM_MAD_SIZE);
	memcpy(&m->hdr, rh, sizeof(m->hdr));
	m->hdr.method = DM_METHOD_GET_RESP;
	switch (rh->method) {
	case DM_METHOD_GET:
		st = answer_get(u, get_be16(rh->attr_id),
				get_be32(rh->attr_mod), m->data);
		break;
	case DM_METHOD_SET:
		/* Nothing of the DM class is settable here. */
		st = DM_STATUS_UNSUP_METHOD_ATTR;
		break;
	default:
		st = DM_STATUS_UNSUP_METHOD;
		m->hdr.method = rh->method | DM_METHOD_RESP;
		break;
	}
	if (st)
		memset(m->data, 0, sizeof(m->data));
	put_be16(m->hdr.status, (uint16_t)st);
	return st;
}
