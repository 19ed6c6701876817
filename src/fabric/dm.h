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
 * Three parts:
 *  - the table one port serves and the pure answer function
 *    (src/fabric/dm/answer.c): a request MAD and that table in, the
 *    response MAD out; no I/O, so unit tests and the fuzzer drive it;
 *  - the transport ops table: how the agent reaches each port's general
 *    services interface (libibumad in src/fabric/dm/umad.c; a test shim
 *    replaces it);
 *  - the agent (src/fabric/dm/agent.c): registers for the DM class on
 *    every port of the devices in its table that has a MAD interface
 *    (InfiniBand and RoCE, as the kernel target; not iWARP), answers on
 *    the main loop, follows table changes and devices that come and go.
 *
 * Threads: everything runs on the loop given to dm_agent_create().
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

/* Where a MAD came from, and where its answer goes (ib_mad_addr). */
struct dm_mad_addr {
	uint32_t qpn; /* remote QP */
	uint32_t qkey;
	uint16_t lid; /* remote LID */
	uint8_t sl;
	uint8_t path_bits;
	bool grh; /* a global route header: the fields below */
	uint8_t gid_index; /* local GID table index */
	uint8_t hop_limit;
	uint8_t traffic_class;
	uint32_t flow_label;
	uint8_t gid[16]; /* remote GID, network order */
	uint16_t pkey_index;
};

/* What the transport knows about a device. */
struct dm_dev_info {
	struct dm_dev_attr attr;
	uint64_t node_guid; /* host order */
	unsigned int n_ports; /* <= 64 */
	/* bit p-1: port p has a MAD interface (QP1): InfiniBand or RoCE */
	uint64_t mad_ports;
	uint64_t ib_ports; /* bit p-1: port p has the InfiniBand link layer */
	/* bit p-1: PortInfo CapabilityMask of port p has IsDM (bit 19) */
	uint64_t isdm_ports;
};

/*
 * Transport to the ports' general services interface (QP1).  A port is
 * reached through a pollable fd.  Every callback returns 0 (or the value
 * said) or -errno.
 */
struct dm_transport_ops {
	const char *name; /* "umad" */
	/*
	 * Names of the devices the MAD stack knows, in its order, up to max
	 * into names; returns how many (0: none).  Needs no verbs device:
	 * what the daemon serves when its verbs fabric is not up.
	 */
	int (*dev_list)(char (*names)[64], unsigned int max);
	/* The device's attributes and ports; -ENODEV when it is gone. */
	int (*dev_query)(const char *dev, struct dm_dev_info *out);
	/* Open port of dev; returns a non-blocking, pollable fd. */
	int (*open)(const char *dev, unsigned int port);
	/*
	 * Register on fd for mgmt_class/class_version and the methods whose
	 * bit is set in methods (bit m = method m); returns the agent id.
	 * -EBUSY (or another error) when someone else holds them.
	 */
	int (*reg)(int fd, uint8_t mgmt_class, uint8_t class_version,
		   uint64_t methods);
	/*
	 * Receive one MAD (up to len bytes) for one of fd's agents: returns
	 * its length, the agent in *agent, the sender in *from; -EAGAIN when
	 * none is queued.  A MAD whose length is 0 is a send completion or
	 * timeout report, not a request.
	 */
	int (*recv)(int fd, void *mad, size_t len, int *agent,
		    struct dm_mad_addr *from);
	/* Send a MAD from agent to the address; no response is expected. */
	int (*send)(int fd, int agent, const void *mad, size_t len,
		    const struct dm_mad_addr *to);
	/* Close fd: its registrations go with it. */
	void (*close)(int fd);
};

/* libibumad + ibv_query_device (src/fabric/dm/umad.c). */
extern const struct dm_transport_ops dm_umad_ops;

/* The slots of one device, built by the daemon from its targets. */
struct dm_device {
	char name[64]; /* "mlx5_0" */
	unsigned int n_slots;
	const struct dm_ioc *slots;
};

/* What the agent serves: every device's slots and the common caps. */
struct dm_table {
	struct dm_ioc_caps caps;
	unsigned int n_devs;
	const struct dm_device *devs;
};

struct loop;
struct dm_agent;

struct dm_agent_params {
	struct loop *loop;
	const struct dm_transport_ops *ops; /* NULL: dm_umad_ops */
	/* Port filter as fabric.ports ("*", "dev", "dev:port"); none: all. */
	const char (*ports)[64];
	unsigned int n_ports;
	unsigned int retry_ms; /* ports that failed are retried; 0 = 5000 */
};

/* An agent serving an empty table (no port open yet). */
int dm_agent_create(const struct dm_agent_params *p, struct dm_agent **out);
/*
 * Serve table t from now on (copied).  Ports are opened and registered,
 * or closed, to match: every port with a MAD interface, selected by the
 * filter, of
 * every device in t.  A port that cannot be opened or registered is
 * logged and retried every retry_ms.  The change ID is bumped when the
 * slots of a device already served, or the caps, change.  0 or -ENOMEM
 * (the old table stays).
 */
int dm_agent_set_table(struct dm_agent *a, const struct dm_table *t);
/* The IOUnitInfo change ID now. */
uint16_t dm_agent_change_id(const struct dm_agent *a);
/* Ports open and registered now. */
unsigned int dm_agent_ports_serving(const struct dm_agent *a);
/* The ports open and registered now, "dev:port dev:port", into buf. */
void dm_agent_ports_str(const struct dm_agent *a, char *buf, size_t len);
/*
 * Query the devices again and re-check every port: open those that came,
 * close those that went, and warn once per port whose capability mask
 * lacks IsDM (doc/discovery.md "The IsDM bit").  For port events and
 * changes no event reports (a module setting the bit).
 */
void dm_agent_refresh(struct dm_agent *a);
/* Close every port and free the agent. */
void dm_agent_destroy(struct dm_agent *a);

#endif
