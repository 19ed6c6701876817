/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The Device Management (DM) agent: what lets ibsrpdm and srp_daemon find
 * srptd's targets on an InfiniBand fabric (doc/discovery.md).
 *
 * Every port of an HCA is one I/O unit whose controller slots are srptd's
 * targets: slot n is the n-th entry of the device's table, present on the
 * ports the target is exported on and empty on the others.  Each present
 * slot is an I/O controller with one service entry, named
 * "SRP.T10:<id_ext>", whose id is the IB/CM service id srptd listens on.
 *
 * Here: the table one port serves and the pure answer function
 * (src/fabric/dm/answer.c): a request MAD and that table in, the response
 * MAD out; no I/O, so unit tests and the fuzzer drive it directly.
 */
#ifndef SRPTD_FABRIC_DM_H
#define SRPTD_FABRIC_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srptd/dm_proto.h"

/* One controller slot: one srptd target as seen on one HCA. */
struct dm_ioc {
	uint64_t guid; /* IOC GUID = the target's ioc_guid on this HCA */
	uint64_t id_ext; /* named in the service entry */
	uint64_t service_id; /* IB/CM service id logins go to */
	/*
	 * Ports of the HCA the target is exported on: bit p-1 for port p.
	 * The slot is present on those, empty on the others.
	 */
	uint64_t ports;
};

/* What ibv_query_device() says about the HCA (IOControllerProfile). */
struct dm_dev_attr {
	uint32_t vendor_id; /* IEEE OUI, 24 bits */
	uint32_t device_id; /* vendor_part_id */
	uint16_t device_version; /* hw_ver */
};

/* What every IOC of srptd reports, from the configuration. */
#define DM_ID_STRING_MAX 64
struct dm_ioc_caps {
	uint16_t send_queue_depth; /* credits per channel */
	uint8_t rdma_read_depth; /* RDMA READs in flight per channel */
	uint32_t send_size; /* largest initiator -> target IU */
	uint32_t rdma_size; /* largest RDMA transfer */
	char id_string[DM_ID_STRING_MAX + 1];
};

/* The I/O unit one port of one HCA answers for. */
struct dm_unit {
	uint16_t change_id;
	unsigned int port; /* 1-based */
	const struct dm_dev_attr *attr;
	const struct dm_ioc_caps *caps;
	unsigned int n_slots; /* <= DM_MAX_SLOTS */
	const struct dm_ioc *slots; /* slot n is slots[n - 1] */
};

/*
 * Answer one received MAD of len bytes for unit u: rsp receives the full
 * response MAD (DM_MAD_SIZE bytes) and the return value is its status
 * (DM_STATUS_*, >= 0).  -EPROTO when no response must be sent: not a DM
 * class version 1 MAD, a response or a trap repress (never answered, IBA
 * 13.4.5), or shorter than a MAD header.
 */
int dm_answer(const struct dm_unit *u, const void *req, size_t len,
	      uint8_t rsp[DM_MAD_SIZE]);

#endif
