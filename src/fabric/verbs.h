/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The real fabric: struct fabric_ops on rdma-core (libibverbs + librdmacm).
 *
 * One instance covers every RDMA device that passes the port filter.  Each
 * device gets its own protection domain; an MR is registered on every
 * device and the lkey handed to users is a handle the fabric translates to
 * the device's lkey when a WR is posted (so the SRP engine registers its
 * pools once and never cares which HCA a channel is on).  A fabric_cq is
 * one ibv_cq + completion channel per device, all watched by the worker's
 * struct loop; a fabric_srq is one ibv_srq per device of its CQ.
 *
 * Threads: the fabric.h contract, where the main thread is the loop given
 * to fabric_verbs_create() (CM events, device events, conn_request) and a
 * QP belongs to its CQ's thread once accepted.  The rules in full, with
 * object lifetimes and hot plug: src/fabric/verbs/verbs_int.h.
 *
 * Login paths (doc/verbs.md "Login paths"):
 *  - RDMA/CM: AF_INET/AF_INET6 listeners in RDMA_PS_TCP; the 56-byte
 *    srp_login_req_rdma arrives as private data (rdma_cm_format = true);
 *  - IB/CM: an AF_IB listener with service id 0x00000000013F0000 | port
 *    (the only ids the kernel CMA lets userspace listen on); the raw
 *    64-byte SRP_LOGIN_REQ arrives as private data.  Only created when a
 *    selected port has the InfiniBand link layer.
 *
 * Devices may come and go while the fabric runs (doc/verbs.md "Device
 * removal"): a device that vanished takes no new QPs, its connections are
 * reported disconnected and, once they are destroyed, everything the
 * fabric holds on it is released so its removal completes; a new device
 * is probed, gets every MR and a part in every CQ, and takes logins.
 * Limitation: unregistering the LAST rxe device blocks while srptd runs
 * (librdmacm never closes its context; drivers that disassociate, e.g.
 * mlx5, do not wait).
 *
 * Not tested: IB/CM (AF_IB) logins are implemented but Soft-RoCE has no
 * IB link layer.
 */
#ifndef SRPTD_FABRIC_VERBS_H
#define SRPTD_FABRIC_VERBS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "fabric/fabric.h"

struct loop;

struct fabric_verbs_listen {
	char addr[64]; /* numeric IPv4/IPv6, "0.0.0.0" or "::" */
	uint16_t port;
};

/* Optional upcall for port state changes (ibv async events). */
typedef void (*fabric_verbs_port_event_fn)(void *ctx, const char *dev,
					   unsigned int port, bool active);
/* Optional upcall: device dev was added while the fabric runs and is up. */
typedef void (*fabric_verbs_dev_up_fn)(void *ctx, const char *dev);

/*
 * Devices seen but not used, and why: each reason is logged once, and
 * "up" when the device later comes into use.  The caller keeps it across
 * fabric_verbs_create() attempts that failed with -ENODEV.
 */
#define FABRIC_VERBS_MAX_SKIPS 16
struct fabric_verbs_skips {
	unsigned int n;
	struct {
		char dev[64]; /* "" = the fabric as a whole */
		char why[96];
	} e[FABRIC_VERBS_MAX_SKIPS];
};

/* One port in use (fabric_verbs_ports()). */
#define FABRIC_VERBS_MAX_ADDRS 8
struct fabric_verbs_port_info {
	struct fabric_port_ref ref;
	bool active; /* IBV_PORT_ACTIVE */
	bool ib; /* InfiniBand link layer (IB/CM logins by GID) */
	char state[16]; /* "active", "down", ... */
	/*
	 * What an initiator logs in to: IP addresses from the RoCE v2 GIDs
	 * (link-local ones left out), or on InfiniBand the port GID as 32
	 * hex digits (ib_srp's dgid=).
	 */
	unsigned int n_addrs;
	char addrs[FABRIC_VERBS_MAX_ADDRS][48];
};

struct fabric_verbs_params {
	/* RDMA/CM (IP) listeners; none when n_listen == 0. */
	const struct fabric_verbs_listen *listen;
	unsigned int n_listen;
	/* IB/CM (AF_IB) listener on service id FABRIC_VERBS_IB_SID_BASE |
	 * ib_cm_port, on InfiniBand ports only. */
	bool ib_cm_enabled;
	uint16_t ib_cm_port;
	/* Port filter: "mlx5_0:1", "mlx5_0" (all its ports) or "*"; none =
	 * every device. */
	const char (*ports)[64];
	unsigned int n_ports;
	unsigned int max_sge; /* cap per WR; 0 = min(device, FABRIC_MAX_SGE) */
	unsigned int max_qp_wr; /* cap per queue; 0 = device limit */
	/* Seconds between attempts to re-create a listener that could not
	 * be bound (address not configured yet, device removed); 0 = 5. */
	unsigned int listen_retry_s;
	fabric_verbs_port_event_fn port_event;
	void *port_event_ctx;
	fabric_verbs_dev_up_fn dev_up; /* ctx: port_event_ctx */
	struct fabric_verbs_skips *skips; /* NULL: the fabric's own */
};

/* IB/CM service ids userspace may listen on (RDMA_PS_IB << 16; doc/verbs.md
 * "Login paths"). */
#define FABRIC_VERBS_IB_SID_BASE 0x00000000013F0000ULL

/*
 * Discover devices, allocate PDs, start the listeners on main_loop.
 * -ENODEV when no (selected) RDMA device exists (nothing is left behind:
 * the caller may retry later), -EINVAL for a bad
 * listen address, -errno from rdma-core otherwise.  A listener whose
 * address cannot be bound yet is retried on a timer, not an error.
 */
int fabric_verbs_create(struct loop *main_loop,
			const struct fabric_verbs_params *p,
			const struct fabric_listener_handlers *lh, void *lctx,
			struct fabric **out);
/*
 * Stop listening and release everything.  QPs, CQs and MRs should have
 * been destroyed; leftovers are logged and torn down.
 */
void fabric_verbs_destroy(struct fabric *f);

/*
 * Names of the devices in use (ACTIVE), space separated, into buf;
 * returns how many.  Main thread.
 */
unsigned int fabric_verbs_devices(struct fabric *f, char *buf, size_t len);

/*
 * The selected ports of the devices in use, at most max, into out;
 * returns how many.  Reads port state and GID tables.  Main thread.
 */
unsigned int fabric_verbs_ports(struct fabric *f,
				struct fabric_verbs_port_info *out,
				unsigned int max);
/* "rxe1 port 1: active, Ethernet, node GUID 0x..., addresses ..." */
char *fabric_verbs_port_str(const struct fabric_verbs_port_info *pi, char *buf,
			    size_t len);

/* Helpers, exposed for unit tests. */
uint64_t fabric_verbs_ib_service_id(uint16_t port);
/* Does filter ("*", "dev", "dev:port") select port of dev? */
bool fabric_verbs_port_match(const char *filter, const char *dev,
			     unsigned int port);
/* Numeric address + port -> sockaddr; -EINVAL. */
int fabric_verbs_parse_addr(const char *addr, uint16_t port,
			    struct sockaddr_storage *ss, socklen_t *len);
/* enum ibv_wc_status (as int) -> fabric status. */
enum fabric_wc_status fabric_verbs_wc_status(int ibv_status);

#endif
