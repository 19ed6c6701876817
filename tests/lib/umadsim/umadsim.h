/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * umadsim: a small simulated InfiniBand subnet for host tests (no RDMA
 * hardware, no kernel MAD layer).  Every process that loads
 * libumadsim.so (LD_PRELOAD) is one HCA with one port; umad_open_port()
 * connects it to the simulator (umadsim_sm) on the SOCK_SEQPACKET socket
 * $SRPTD_UMADSIM_DIR/sm.sock.  The simulator is the subnet manager at
 * LID 1: it answers the subnet administration queries and carries every
 * other MAD to the port whose LID it is addressed to.  See
 * tests/lib/umadsim/README.md.
 */
#ifndef SRPTD_TESTS_UMADSIM_H
#define SRPTD_TESTS_UMADSIM_H

#include <stdint.h>

#define UMADSIM_SOCK "sm.sock"
#define UMADSIM_SM_LID 1
#define UMADSIM_HELLO_MAGIC 0x756d6164u /* "umad" */
/* The largest message: struct ib_user_mad and an SA table response. */
#define UMADSIM_MSG_MAX 65536
#define UMADSIM_SUBNET_PREFIX 0xfe80000000000000ull

/* First message on a connection: the port that is connecting. */
struct umadsim_hello {
	uint32_t magic;
	uint32_t capmask; /* PortInfo CapabilityMask, host order */
	uint64_t node_guid; /* host order */
	uint64_t port_guid;
	uint16_t lid;
	uint8_t pad[6];
};

/*
 * Every later message, both ways: a struct ib_user_mad (umad.h) with the
 * MAD after it.  Towards the simulator addr.lid is the destination LID;
 * from it, addr.lid is the source LID, as the kernel reports it.
 */

#endif
