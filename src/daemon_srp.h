/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's SRP side: the SRP engine, the verbs fabric (created when the
 * first RDMA device is there, retried until then) and the SRP targets built
 * from the config and the open devices.  Main thread only.
 *
 * Threads: CM events, logins and targets stay on the main loop; each of
 * daemon.workers I/O worker threads runs its own loop with its SRP worker
 * and the channels handed to it at login (doc/architecture.md "Threads
 * and ownership").
 */
#ifndef SRPTD_DAEMON_SRP_H
#define SRPTD_DAEMON_SRP_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct daemon_change_report;
struct device_set;
struct loop;
struct daemon_srp;
struct srp_stats_snapshot;
struct srp_target;
struct scsi_lu;

int daemon_srp_create(struct loop *loop, const struct config *cfg,
		      struct daemon_srp **out);
/*
 * Bring the fabric up if it is not yet (0, or -ENODEV while there is no
 * RDMA device: call again later), then make the targets match cfg and
 * devs (doc/architecture.md "Live changes"): a target whose identity
 * changed is re-created (its sessions logged out), the LUN maps of the
 * others change live.  flags: DAEMON_APPLY_FORCE.  Logs what it does and
 * reports it to rep (may be NULL).
 */
int daemon_srp_apply(struct daemon_srp *s, const struct config *cfg,
		     const struct device_set *devs, unsigned int flags,
		     struct daemon_change_report *rep);
/*
 * Commands in flight on LUNs that applying cfg would take from a running
 * session's view (devs as devices_sync() will leave them); each target
 * with some gets a line in rep (may be NULL).
 */
unsigned int daemon_srp_busy(struct daemon_srp *s, const struct config *cfg,
			     const struct device_set *devs,
			     struct daemon_change_report *rep);
bool daemon_srp_fabric_up(const struct daemon_srp *s);
/*
 * Once the fabric is up it tracks devices itself (hot plug): the RDMA
 * devices it uses, names into buf; -1 while it is not up.
 */
int daemon_srp_rdma_devices(const struct daemon_srp *s, char *buf, size_t len);
/*
 * Node GUID (host order) of RDMA device dev as the fabric opened it, 0 if
 * the fabric has no port of it.
 */
uint64_t daemon_srp_node_guid(const struct daemon_srp *s, const char *dev);
/*
 * What id_ext "auto" stands for: the node GUID of the first RDMA device
 * when the fabric came up; 0 while it is not up.
 */
uint64_t daemon_srp_first_guid(const struct daemon_srp *s);
/*
 * The running SRP target built from cfg->targets[i] by the last apply, or
 * NULL (not created, or the fabric is not up yet).
 */
const struct srp_target *daemon_srp_target(const struct daemon_srp *s,
					   unsigned int i);
/* The IB/CM service id logins reach srptd on (doc/verbs.md "Login paths"). */
uint64_t daemon_srp_ib_service_id(const struct config *cfg);
/*
 * fn(ctx) is called on the main loop after a port of the fabric changed
 * state (ibv async events), e.g. for the DM agent to re-check its ports.
 */
void daemon_srp_on_port_event(struct daemon_srp *s, void (*fn)(void *ctx),
			      void *ctx);
/* I_T nexuses logged in now and their channels (engine counters). */
void daemon_srp_sessions(const struct daemon_srp *s, unsigned int *sessions,
			 unsigned int *channels);
/* Counts for `srptadm status`. */
struct daemon_srp_info {
	unsigned int workers; /* running */
	unsigned int ports, ports_up; /* HCA ports in use / active */
	unsigned int targets; /* running SRP targets */
	unsigned int nexuses, channels;
	/*
	 * Held now by every worker (srp_engine_get_stats()): 0 once all
	 * sessions are gone, unless something leaked.
	 */
	uint64_t reqs_active; /* SRP requests not FREE */
	uint64_t chunks_in_use; /* data buffer chunks */
	uint64_t backend_stuck; /* backend I/Os past stuck_io_warn */
};
void daemon_srp_get_info(const struct daemon_srp *s,
			 struct daemon_srp_info *out);
/* The engine's statistics snapshot (srp_engine_stats_snapshot()). */
int daemon_srp_stats(struct daemon_srp *s, struct srp_stats_snapshot **out);
/* The HCA ports in use (none while the fabric is down), at most max. */
struct fabric_verbs_port_info;
unsigned int daemon_srp_ports(const struct daemon_srp *s,
			      struct fabric_verbs_port_info *out,
			      unsigned int max);
/* The login paths the fabric was started with. */
struct fabric_verbs_listen;
struct daemon_srp_paths {
	bool started; /* the fabric runs; else the rest is empty */
	bool ib_cm; /* IB/CM listener (InfiniBand ports) */
	uint64_t ib_service_id;
	const struct fabric_verbs_listen *listen; /* RDMA/CM listeners */
	unsigned int n_listen;
};
void daemon_srp_get_paths(const struct daemon_srp *s,
			  struct daemon_srp_paths *out);
/*
 * Is target name running?  Then its identity as resolved ("auto": the
 * node GUID of the first HCA).
 */
bool daemon_srp_target_running(const struct daemon_srp *s, const char *name,
			       uint64_t *id_ext, uint64_t *ioc_guid);
/*
 * What an initiator writes to ib_srp's add_target (srptd(8) LOGINS) to
 * reach a running target through one HCA port: the same lines the
 * daemon logs when a target or a device comes up.
 */
enum daemon_login_path {
	DAEMON_LOGIN_RDMA_CM, /* dest=IP:port through an RDMA/CM listener */
	DAEMON_LOGIN_IB_CM, /* dgid=...,service_id=... (InfiniBand) */
	DAEMON_LOGIN_NONE, /* no address a listener takes on this port yet */
};
struct daemon_srp_login {
	char target[64];
	char dev[64]; /* RDMA device */
	unsigned int port; /* its port number */
	enum daemon_login_path path;
	char line[192]; /* "id_ext=...,ioc_guid=...,dest=192.0.2.1:5000" */
	/* The target also answers to this ioc_guid there (0: none). */
	uint64_t alt_ioc_guid;
};
/*
 * The login lines of target (NULL: every running target), at most max
 * into out; returns how many there are.
 */
unsigned int daemon_srp_logins(const struct daemon_srp *s, const char *target,
			       struct daemon_srp_login *out, unsigned int max);
/* The SRP engine (srp/srp_sessions.h: sessions snapshot and kick). */
struct srp_engine *daemon_srp_engine(const struct daemon_srp *s);
/* A device was resized live (devices.h resized): srp_engine_resize_lu(). */
void daemon_srp_resize_lu(struct daemon_srp *s, struct scsi_lu *lu,
			  uint64_t nblocks);
/* Start logging out every initiator; poll daemon_srp_idle(). */
void daemon_srp_stop(struct daemon_srp *s);
bool daemon_srp_idle(const struct daemon_srp *s);
void daemon_srp_destroy(struct daemon_srp *s);

#endif
