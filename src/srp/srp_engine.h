/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP protocol engine: targets, I_T nexuses, channels and requests over
 * the fabric ops table (src/fabric/fabric.h) and the SCSI task API
 * (src/scsi/scsi.h).
 *
 * Objects (doc/architecture.md "Objects"):
 *   srp_engine   one per daemon: login parameters, targets, workers
 *   srp_target   SRP target port identity (id_ext, ioc_guid), default LUN
 *                map and initiator groups -> the LUN view of a login
 *   srp_nexus    initiator port id + target port id: its channels, the
 *                scsi_itn (LUN view, unit attentions)
 *   srp_channel  one QP with its credits, receive ring, request pool
 *                (srp_int.h; state CONNECTING -> LIVE -> DISCONNECTING ->
 *                DRAINING -> RELEASED)
 *   srp_req      one SRP_CMD / SRP_TSK_MGMT (state machine in srp_cmd.c)
 *   srp_worker   a thread's loop + fabric CQ + scsi_worker + data buffer
 *                pool; a channel never changes worker
 *
 * Threading (one owner per object, messages between threads):
 *  - main thread (params.main_loop, the loop running the fabric's CM
 *    events): logins, targets, nexuses and their channel lists, engine
 *    counters of logins/channels/nexuses.  It creates a channel's QP,
 *    posts its receives and accepts (allowed by fabric.h until accept()
 *    returns), then hands it over with a message (srp_channel_attach_msg).
 *  - worker threads: everything a channel does after accept -- requests,
 *    credits, RDMA, SCSI execution, drain and release.  Disconnect and
 *    T_LOGOUT requests from the main thread (SINGLE re-login, target
 *    removal, daemon stop) are messages to the worker; a released channel
 *    is unlinked from its nexus by a message back to the main thread.  A
 *    reference count keeps the channel struct alive while messages are in
 *    flight.
 *  - task management aborts the commands of the nexus's live channels
 *    on the worker that received it directly and on the other workers by
 *    message; the TM response waits for all of them (srp_tmf.c).
 * The loopback fabric is single-threaded, so unit tests run every
 * thread role on one loop; the messages still go through loop_send().
 */
#ifndef SRPTD_SRP_ENGINE_H
#define SRPTD_SRP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric/fabric.h"
#include "scsi/scsi.h"
#include "srp/srp_login.h"

struct loop;
struct srp_engine;
struct srp_target;
struct srp_worker;

struct srp_engine_params {
	/* Login limits and credits (srp_login_params_default()). */
	struct srp_login_params login;
	uint32_t max_io_size; /* largest data transfer of one command */
	uint32_t chunk_size; /* data pool chunk (bytes, multiple of 4096) */
	uint32_t chunks; /* chunks per worker pool */
	unsigned int max_rd_atomic; /* RDMA READs in flight per channel */
	unsigned int sq_depth; /* send WRs per channel; 0 = derived */
	/*
	 * Fetch external indirect descriptor tables by RDMA READ (ib_srpt
	 * does not; ib_srp only sends them with allow_ext_sg=1).
	 */
	bool allow_ext_table;
	uint32_t max_table_entries; /* descriptors of one table at most */
	/*
	 * Receive through one shared receive queue per worker (and device)
	 * instead of a receive ring per channel: memory no longer grows with
	 * the number of channels, at the price of per-channel flow control
	 * (an SRQ running dry stalls every sender with RNR).  The fabric
	 * must implement srq_create.
	 */
	bool use_srq;
	unsigned int srq_size; /* receives per SRQ; 0 = 4095 (ib_srpt) */
	/*
	 * Report backend I/Os outstanding longer than this (each worker
	 * checks about four times per period; doc/scsi-commands.md "A
	 * stuck backend"); 0 = never.  Default 30000.
	 */
	unsigned int stuck_io_ms;
	/*
	 * Busy polling (srptd.conf(5) busy_poll_us, doc/performance.md
	 * "Busy polling"): a worker polls its CQ without sleeping for this
	 * long after the last completion, then arms it and sleeps; 0 = off
	 * (sleep whenever idle).  Needs a fabric with cq_poll and one worker
	 * per loop.
	 */
	unsigned int busy_poll_us;
	/* Main thread's loop (fabric CM events); NULL = first worker's. */
	struct loop *main_loop;
};

void srp_engine_params_default(struct srp_engine_params *p);

/* Listener upcalls to give the fabric at creation (ctx = the engine). */
extern const struct fabric_listener_handlers srp_engine_listener;

int srp_engine_create(const struct srp_engine_params *p,
		      struct srp_engine **out);
/*
 * Free the engine.  Every channel must be RELEASED (srp_engine_stop() and
 * run the loops until srp_engine_idle()).
 */
void srp_engine_destroy(struct srp_engine *e);

/*
 * Add a worker running on loop (called on that loop's thread, or before
 * it runs) with CQs on fabric f; logins are spread over workers round
 * robin.
 */
int srp_worker_create(struct srp_engine *e, struct fabric *f, struct loop *loop,
		      struct srp_worker **out);
/* Free a worker whose channels are all released. */
void srp_worker_destroy(struct srp_worker *w);
/* The SCSI execution context of a worker (to create backend contexts). */
struct scsi_worker *srp_worker_scsi(struct srp_worker *w);

/*
 * Daemon stop: send SRP_T_LOGOUT on every live channel and disconnect it
 * (SRP r16a 6.6, target logout).  Run the loops until srp_engine_idle().
 */
void srp_engine_stop(struct srp_engine *e);
/* True when no channel exists any more. */
bool srp_engine_idle(const struct srp_engine *e);

/* Target identity and policy. */
struct srp_target_params {
	const char *name;
	uint64_t id_ext;
	uint64_t ioc_guid;
	/*
	 * ioc_guid "auto": the target also answers, on each HCA, to
	 * (id_ext, that HCA's node GUID) -- what ib_srpt and a device
	 * management agent advertise per HCA -- besides (id_ext, ioc_guid)
	 * (doc/srp-protocol.md 2).
	 */
	bool ioc_guid_per_hca;
	/*
	 * The HCA ports the target is reachable on, as port selectors
	 * (fabric_port_match()); none = every port.  A login through
	 * another port is not for this target (srptd.conf(5) targets.ports).
	 */
	const char (*ports)[64];
	unsigned int n_ports;
	/* Initiators matching no group get the default map (else denied). */
	bool unknown_default_map;
	uint16_t rel_tgt_port_id; /* SCSI relative target port id */
};

int srp_target_create(struct srp_engine *e, const struct srp_target_params *p,
		      struct srp_target **out);
/*
 * The target port ids (id_ext || ioc_guid, 16 bytes each) under which t
 * answers on the HCA port via: (id_ext, via's node GUID) first when
 * ioc_guid_per_hca and the node GUID is known, then (id_ext, ioc_guid);
 * never the same id twice.  A login through via must name one of them;
 * a device management agent advertises them for via's HCA.  Returns how
 * many were written to out.  Main thread.
 */
#define SRP_TARGET_MAX_PORT_IDS 2
unsigned int srp_target_port_ids(const struct srp_target *t,
				 const struct fabric_port_ref *via,
				 uint8_t out[SRP_TARGET_MAX_PORT_IDS][16]);
/*
 * Is t reachable through the HCA port via (its ports selectors)?  A port
 * the fabric could not name (empty dev_name) only matches "*".
 */
bool srp_target_on_port(const struct srp_target *t,
			const struct fabric_port_ref *via);
/* Default LUN map (copied). */
int srp_target_set_luns(struct srp_target *t, const struct scsi_lun_entry *view,
			unsigned int n);
/*
 * Initiator group: initiators (16-byte SRP initiator port ids or GIDs)
 * see this view instead of the default map.
 */
int srp_target_add_group(struct srp_target *t, const char *name,
			 const uint8_t (*initiators)[16], unsigned int n_ini,
			 const struct scsi_lun_entry *view, unsigned int n);
/* I_T nexuses (sessions) of the target now.  Main thread. */
unsigned int srp_target_sessions(const struct srp_target *t);

/*
 * Live LUN map changes (srp_maps.c, doc/architecture.md "Live changes").
 * A complete new set of maps is built apart with srp_maps_*() (same
 * arguments as srp_target_set_luns() / srp_target_add_group()), then
 * srp_target_set_maps() gives every nexus of the target the view its
 * initiator is entitled to under it: a nexus whose view changes keeps its
 * channels and gets REPORTED LUNS DATA HAS CHANGED; one whose initiator
 * lost access is logged out; the others are not touched.  Main thread.
 */
struct srp_maps;
int srp_maps_create(bool unknown_default_map, struct srp_maps **out);
int srp_maps_set_luns(struct srp_maps *m, const struct scsi_lun_entry *view,
		      unsigned int n);
int srp_maps_add_group(struct srp_maps *m, const char *name,
		       const uint8_t (*initiators)[16], unsigned int n_ini,
		       const struct scsi_lun_entry *view, unsigned int n);
void srp_maps_free(struct srp_maps *m);

/* What applying maps would do to the running nexuses. */
struct srp_maps_effect {
	unsigned int changed; /* nexuses whose LUN view changes (3F/0E) */
	unsigned int denied; /* nexuses whose initiator loses access */
	/* Commands in flight on LUNs that leave a nexus's view (or whose
	 * LU changes), and on how many (nexus, LUN) pairs. */
	unsigned int busy_cmds;
	unsigned int busy_luns;
};
void srp_target_maps_effect(struct srp_target *t, const struct srp_maps *m,
			    struct srp_maps_effect *eff);
/*
 * Apply m (consumed, whatever the result, except on -EBUSY).  -EBUSY: commands are in flight on LUNs leaving a view and flags lacks
 * SRP_MAPS_FORCE; nothing changed.  With SRP_MAPS_FORCE those commands
 * are aborted as by ABORT TASK SET (no response; the backend part still
 * completes before their LU may close).  *eff: what was done.
 */
#define SRP_MAPS_FORCE (1u << 0)
int srp_target_set_maps(struct srp_target *t, struct srp_maps *m,
			unsigned int flags, struct srp_maps_effect *eff);

/*
 * lu was resized to nblocks blocks (the backend's resize op succeeded):
 * every nexus that sees it gets CAPACITY DATA HAS CHANGED, then every
 * worker gets the new capacity by message (srp_worker.c explains the
 * order).  Main thread.  0, or -ENOMEM when a worker could not be told
 * (it keeps serving the old capacity; logged).
 */
int srp_engine_resize_lu(struct srp_engine *e, struct scsi_lu *lu,
			 uint64_t nblocks);

/*
 * Remove a target (or its LUN map changed incompatibly): T_LOGOUT and
 * disconnect every channel of its nexuses; the target is freed when the
 * last channel is released.
 */
void srp_target_remove(struct srp_target *t);

/* Counters for tests, benchmarks and srptadm. */
struct srp_engine_stats {
	uint64_t logins_accepted;
	uint64_t logins_rejected;
	uint64_t cmds;
	uint64_t tmfs;
	uint64_t credit_violations;
	uint64_t aborted;
	uint64_t bad_ius;
	/* Held now by requests of every channel: leak detectors. */
	uint64_t reqs_active; /* requests not FREE */
	uint64_t chunks_in_use; /* data buffer chunks */
	/* Backend I/Os past params.stuck_io_ms: now, and ever. */
	uint64_t backend_stuck;
	uint64_t backend_stuck_total;
	unsigned int channels;
	unsigned int nexuses;
};
void srp_engine_get_stats(const struct srp_engine *e,
			  struct srp_engine_stats *s);
/*
 * Main thread: nexuses and channels logged in now.  Unlike
 * srp_engine_get_stats() it reads no worker counters, so it may run
 * periodically without racing the workers.
 */
void srp_engine_sessions(const struct srp_engine *e, unsigned int *nexuses,
			 unsigned int *channels);

#endif
