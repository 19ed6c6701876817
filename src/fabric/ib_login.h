/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ready-made IB/CM login strings: what a Linux initiator writes to
 * /sys/class/infiniband_srp/srp-<hca>-<port>/add_target to reach an
 * srptd target over native InfiniBand without discovery (srptd(8)
 * LOGINS, DISCOVERY).  The ports, their GID 0 and first P_Key come from
 * sysfs (/sys/class/infiniband/<dev>/ports/<n>/), read under a root
 * directory the caller gives, so tests can use a tree of their own.
 */
#ifndef SRPTD_FABRIC_IB_LOGIN_H
#define SRPTD_FABRIC_IB_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#define FABRIC_SYSFS_IB "/sys/class/infiniband"

/* One InfiniBand port of an RDMA device. */
struct fabric_ib_port {
	unsigned int port;
	uint8_t gid[16]; /* GID 0: subnet prefix || port GUID */
	uint16_t pkey; /* P_Key table entry 0 */
};

/*
 * The ports of dev whose link layer is InfiniBand, in port order, at most
 * max into out; returns how many, or -ENOENT when dev is not under root.
 * Ports whose GID or P_Key cannot be read are left out.
 */
int fabric_ib_ports(const char *root, const char *dev,
		    struct fabric_ib_port *out, unsigned int max);

/*
 * "id_ext=<16 hex>,ioc_guid=<16 hex>,dgid=<32 hex>,pkey=<4 hex>,
 * service_id=<16 hex>" into buf (FABRIC_IB_LOGIN_LEN bytes suffice);
 * the format ib_srp parses and srp_daemon prints.
 */
#define FABRIC_IB_LOGIN_LEN 128
void fabric_ib_login_string(char *buf, size_t len, uint64_t id_ext,
			    uint64_t ioc_guid, const struct fabric_ib_port *p,
			    uint64_t service_id);

#endif
