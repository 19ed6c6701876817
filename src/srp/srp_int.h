/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internal structures of the SRP engine, shared by srp_target.c (targets,
 * nexuses, login), srp_channel.c (channel state, receive ring, credits),
 * srp_req.c (request life cycle), srp_cmd.c (SRP_CMD decoding, data
 * movement, response), srp_tmf.c (task management) and
 * srp_worker.c (worker, data buffer pool).
 */
#ifndef SRPTD_SRP_INT_H
#define SRPTD_SRP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fabric/fabric.h"
#include "loop.h"
#include "scsi/scsi.h"
#include "srp/srp_engine.h"
#include "srp/srp_iu.h"
#include "srp/srp_login.h"
#include "srp/srp_stats.h"

struct loop;
struct srp_channel;
struct srp_retire;
struct srp_nexus;

/* Receives beyond the granted credits: room for I_LOGOUT, CRED_RSP and
 * AER_RSP (which need no credit) and for detecting an initiator that
 * sends more requests than it was granted (SRP r16a 5.4). */
#define SRP_RQ_SPARE 4
/* Scratch WRs built per post call. */
#define SRP_SCRATCH_WRS 32

/*
 * Counters of one channel for one logical unit (srp_stats.c): the first
 * is embedded in the channel, more are appended by its worker the first
 * time a command for another logical unit completes, and published with
 * a release store so that the main thread can walk the list.
 */
struct srp_stats_ent {
	uint64_t lu_id; /* scsi_lu_stats_id(); 0 = no logical unit */
	struct srp_io_stats io; /* worker-written, relaxed */
	struct srp_stats_ent *_Atomic next;
};

/* Totals folded from released channels, per logical unit; main-owned. */
struct srp_stats_fold {
	uint64_t lu_id;
	struct srp_io_stats io;
	struct srp_stats_fold *next;
};

struct srp_lun_view {
	struct scsi_lun_entry *luns;
	unsigned int n;
};

struct srp_group {
	char name[64];
	uint8_t (*initiators)[16];
	unsigned int n_ini;
	struct srp_lun_view view;
	struct srp_group *next;
};

/* A target's LUN maps: default map, groups, policy (srp_maps.c). */
struct srp_maps {
	struct srp_lun_view view; /* default map */
	struct srp_group *groups;
	bool unknown_default_map; /* initiators in no group see view */
};

struct srp_target {
	struct srp_engine *engine;
	char name[64];
	uint64_t id_ext, ioc_guid;
	uint8_t port_id[16]; /* id_ext || ioc_guid */
	bool ioc_guid_per_hca; /* see struct srp_target_params */
	char (*ports)[64]; /* selectors; n_ports == 0: every port */
	unsigned int n_ports;
	uint16_t rel_tgt_port_id;
	bool removed;
	struct srp_maps maps;
	struct srp_nexus *nexuses;
	/* Counters of its freed nexuses (main-owned, srp_stats.c). */
	struct srp_stats_fold *st_retired;
	struct srp_target *next;
};

struct srp_nexus {
	struct srp_target *target;
	uint8_t i_port_id[16];
	uint8_t t_port_id[16];
	char name[SRP_PORT_ID_STRLEN];
	/* Who logged in (port id, GID): picks its view on a map change. */
	struct srp_initiator_id iid;
	struct scsi_itn *itn;
	struct srp_channel *channels;
	unsigned int n_channels; /* not yet RELEASED */
	/* Counters of its released channels (main-owned, srp_stats.c). */
	struct srp_stats_fold *st_retired;
	int64_t since; /* created: wall clock seconds (srp_sessions.c) */
	struct srp_nexus *next;
};

struct srp_worker {
	struct srp_engine *engine;
	unsigned int index; /* creation order: the worker label of stats */
	/* Counters of its released channels (main-owned, srp_stats.c). */
	struct srp_io_stats st_retired;
	struct fabric *fabric;
	struct loop *loop;
	struct fabric_cq *cq;
	struct fabric_srq *srq; /* engine use_srq: shared by its channels */
	struct scsi_worker *sw;
	int scsi_fds[32];
	int n_scsi_fds;
	/* Data buffer pool: registered once, a stack of free chunks. */
	uint8_t *pool;
	size_t pool_len;
	struct fabric_mr *pool_mr;
	uint32_t chunk_size;
	void **free_chunks;
	uint32_t n_free;
	/* Requests waiting for chunks, FIFO. */
	struct srp_req *buf_wait_head, *buf_wait_tail;
	struct loop_timer *stuck_timer; /* params.stuck_io_ms check */
	uint64_t last_arrival_ns; /* srp_req.arrived_ns of its latest IU */
	/* Queued while the backend is plugged for this wake-up
	 * (srp_worker_plug()); unplugs at its end. */
	struct loop_defer plug_end;
	struct srp_channel *channels; /* this worker's, worker-owned */
	unsigned int n_channels;
	/*
	 * Data-path counters, written by this worker only, through
	 * srp_wstat_add() / srp_wstat_set(); summed by srp_engine_get_stats()
	 * on the main thread with relaxed loads (a sum may be a few events
	 * behind, never torn).
	 */
	struct srp_engine_stats stats;
	struct fabric_send_wr wrs[SRP_SCRATCH_WRS];
	struct fabric_sge sges[SRP_SCRATCH_WRS * FABRIC_MAX_SGE];
	struct srp_worker *next;
};

/*
 * Writer side of srp_worker.stats: the owning worker is the only writer,
 * so a plain read and a relaxed store suffice (no read-modify-write);
 * srp_engine_get_stats() reads with relaxed loads from the main thread.
 */
static inline void srp_wstat_add(uint64_t *c, int64_t v)
{
	__atomic_store_n(c, *c + (uint64_t)v, __ATOMIC_RELAXED);
}

static inline void srp_wstat_set(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

struct srp_engine {
	struct srp_engine_params p;
	/* Thread of logins, targets and nexuses (the fabric's CM loop). */
	struct loop *main_loop;
	struct srp_target *targets;
	struct srp_worker *workers;
	struct srp_worker *next_worker; /* round robin */
	struct srp_engine_stats stats;
	unsigned int n_workers; /* created so far: the next worker's index */
	/*
	 * Removed targets whose nexuses still drain (srp_target_remove()):
	 * their counters stay in the totals until they are folded.
	 */
	struct srp_target *dying;
	/* Counters of freed targets (main-owned, srp_stats.c). */
	struct srp_stats_fold *st_retired;
	bool stopping;
	/* LUN view changes in their grace period (srp_maps.c). */
	struct srp_retire *retiring;
	/*
	 * Capacities of LUs resized live (srp_engine_resize_lu()), by
	 * scsi_lu_stats_id(), for workers created later.  Main-owned; one
	 * entry per LU ever resized (ids are never reused).
	 */
	struct srp_cap {
		uint64_t lu_id;
		uint64_t nblocks;
	} * caps;
	unsigned int n_caps;
};

/*
 * Request states; the life cycle, its events and the allowed transitions
 * are in srp_req.c; srp_req_set_state() (below) is the only place that
 * changes a request's state.
 */
enum srp_req_state {
	SRP_REQ_FREE, /* in the channel's pool */
	SRP_REQ_NEW, /* IU received and decoded, nothing allocated yet */
	SRP_REQ_NEED_BUFFER, /* waiting for data chunks of the worker pool */
	/*
	 * Fetching the external descriptor table (more descriptors than the
	 * IU carries) by one RDMA READ into the receive's table buffer.
	 */
	SRP_REQ_READ_TABLE,
	/*
	 * Fetching the data-out from initiator memory by RDMA READs,
	 * bounded by the channel's RDMA READ depth; done when xfer_done
	 * reaches xfer_total with no READ outstanding.
	 */
	SRP_REQ_RDMA_READ,
	SRP_REQ_READY_TO_EXECUTE, /* data-out in place, hand to SCSI */
	SRP_REQ_EXECUTING, /* SCSI/backend owns the task */
	SRP_REQ_TMF_WAIT, /* TSK_MGMT: waiting for aborted tasks to finish */
	/*
	 * Status known: post RDMA WRITEs of data-in (in batches limited by
	 * SQ room) chained in front of the SEND of the SRP_RSP.
	 */
	SRP_REQ_RDMA_WRITE,
	SRP_REQ_SEND_RSP, /* SRP_RSP posted, waiting for its completion */
	SRP_REQ_DONE, /* release buffers, repost the receive, free */
	SRP_REQ_N_STATES
};

/*
 * One receive of a channel.  Without an SRQ it owns its buffer and is
 * posted on the channel's QP.  With one it is a descriptor: a receive
 * completion attaches the SRQ buffer lent by the fabric (sbuf), and
 * srp_channel_repost() gives that back and frees the descriptor.
 */
struct srp_recv {
	struct fabric_recv_wr wr;
	uint8_t *buf;
	uint32_t len; /* bytes received */
	struct fabric_srq_buf *sbuf;
	struct srp_recv *next_free; /* SRQ: the channel's free descriptors */
	/*
	 * External descriptor table of the IU in buf: only used before the
	 * response is posted, when the buffer is reposted, so it goes with
	 * the receive (half the memory of one per request).
	 */
	uint8_t *table;
};

struct srp_req {
	enum srp_req_state state;
	struct srp_channel *ch;
	struct srp_recv *recv; /* IU buffer, reposted when done */
	uint8_t opcode;
	/* Attributes that are not states: why each is orthogonal to the
	 * state is explained in srp_req.c. */
	bool in_process; /* srp_req_process() running: no recursion */
	bool wr_pending; /* a signalled WR of ours is outstanding */
	bool aborted; /* by TMF or channel loss: no response */
	bool no_credit; /* arrived beyond the granted credits */
	bool on_wait; /* on a wait list (buffer, rd, sq) */
	/* Decoded IU. */
	struct srp_cmd_info ci;
	struct srp_tsk_mgmt_info tmi;
	/* Status/sense set before execution: respond without data. */
	bool early_status;
	/* Transfer bookkeeping. */
	uint32_t do_desc_len, di_desc_len; /* what descriptors provide */
	uint32_t buf_len; /* local buffer bytes */
	unsigned int nchunks;
	struct iovec *iov; /* channel-owned array of max chunks */
	uint8_t *table; /* = recv->table while the IU is held */
	uint32_t xfer_done; /* bytes moved by RDMA so far */
	uint32_t xfer_total; /* bytes to move by RDMA */
	unsigned int rd_slots; /* RDMA READs of the outstanding batch */
	unsigned int sq_slots; /* SQ WRs of the outstanding batch */
	uint8_t *rsp; /* send buffer (channel region) */
	uint32_t rsp_len;
	/*
	 * When the IU arrived (loop_now_ns(), one clock for every worker):
	 * a TMF's victims are the commands that arrived before it, on any
	 * channel and worker (doc/srp-protocol.md 16).  The clock of the
	 * worker's wake-up, made strictly increasing per worker so that
	 * the IUs of one wake-up keep their order (srp_channel.c).
	 */
	uint64_t arrived_ns;
	/* Logical unit of the command for statistics (0: none). */
	uint64_t lu_id;
	uint8_t tm_code; /* TSK_MGMT response code */
	unsigned int tmf_victims; /* TMF_WAIT: victims not yet ended */
	/* The TMF (or proxy) waiting for this request to end; for a TMF,
	 * a later TMF waiting for it (srp_tmf.c srp_tmf_hold()). */
	struct srp_req *tmf;
	struct scsi_task task;
	struct srp_req *next_wait;
	struct srp_req *next_active, *prev_active;
	struct srp_req *next_free;
};

/*
 * Channel states, forward only (srp_ch_set_state()), with the stages
 * of Linux's ib_srpt channels.
 */
enum srp_ch_state {
	/*
	 * Login accepted, QP created, receives posted, REP sent; waiting for
	 * RTU.  An IU received now (initiator sent right after the REP)
	 * counts as establishment, as the verbs communication-established
	 * event would.
	 */
	SRP_CH_CONNECTING,
	/* Established: IUs are processed. */
	SRP_CH_LIVE,
	/*
	 * Disconnect started (DREQ sent or received, T_LOGOUT queued, I_LOGOUT
	 * received, SINGLE re-login, target removed).  New IUs are dropped;
	 * requests finish without responses.
	 */
	SRP_CH_DISCONNECTING,
	/*
	 * The connection is gone and the QP drains: waiting for drained()
	 * and for every request (including ones the backend still executes)
	 * to finish.
	 */
	SRP_CH_DRAINING,
	/* QP destroyed, memory freed, unlinked from nexus and worker. */
	SRP_CH_RELEASED,
};

struct srp_channel {
	enum srp_ch_state state;
	struct srp_engine *engine;
	struct srp_worker *w;
	struct srp_nexus *nexus;
	struct fabric_qp *qp;
	unsigned int id;
	/* Negotiated at login. */
	uint32_t it_iu_len; /* receive buffer size */
	uint32_t ti_iu_len; /* send buffer size */
	struct srp_cmd_limits lim;
	/* Credits (SRP r16a 5.4). */
	uint32_t req_lim; /* granted: requests outstanding at most */
	uint32_t outstanding; /* credited requests not yet answered */
	uint32_t withheld; /* credits to return with the next response */
	/* Send queue and RDMA READ accounting. */
	unsigned int sq_depth, sq_avail;
	unsigned int rd_depth, rd_avail;
	struct srp_req *rd_wait_head, *rd_wait_tail;
	struct srp_req *sq_wait_head, *sq_wait_tail;
	/* Memory: receive ring, send buffers, tables, one region. */
	uint8_t *mem;
	size_t mem_len;
	struct fabric_mr *mr;
	struct srp_recv *recvs;
	unsigned int n_recvs;
	struct srp_recv *free_recvs; /* SRQ descriptors not holding an IU */
	struct srp_req *reqs;
	unsigned int n_reqs;
	struct srp_req *free_reqs;
	struct iovec *iovs;
	unsigned int max_chunks;
	struct srp_req *active; /* requests not FREE */
	unsigned int n_active;
	uint8_t *ctl_buf; /* T_LOGOUT */
	bool ctl_pending;
	uint8_t *cred_buf; /* SRP_CRED_REQ (srp_channel_return_credits()) */
	bool cred_pending; /* an SRP_CRED_REQ is on the send queue */
	bool drain_started, drained;
	bool walking; /* iterating requests: release deferred */
	bool logout_sent;
	/*
	 * I/O counters per logical unit (srp_stats.c), written by the
	 * worker; st_last is the entry of the last command (worker-only).
	 */
	struct srp_stats_ent st_head;
	struct srp_stats_ent *st_last;
	/*
	 * Lifetime across threads: 1 reference for the nexus membership
	 * (dropped on the main thread after release), 1 per message in
	 * flight between threads.  The struct is freed at 0.
	 */
	atomic_int refs;
	/* How it logged in, for srp_sessions.c; main-owned, set once. */
	struct {
		struct fabric_port_ref via;
		char peer[64]; /* GID or IP address of the initiator */
		bool rdma_cm; /* RDMA/CM, else IB/CM */
		int64_t since; /* wall clock seconds */
	} login;
	bool main_disc; /* main thread asked it to disconnect */
	bool attached; /* on its worker's list (srp_channel_attach_msg) */
	struct srp_channel *next_in_nexus; /* main-owned list */
	struct srp_channel *next_in_worker;
};

/* srp_channel.c */
/* The state's name, "?" outside the enum (logs, srptadm sessions -v). */
const char *srp_ch_state_name(enum srp_ch_state s);
bool srp_ch_set_state(struct srp_channel *ch, enum srp_ch_state s);
int srp_channel_create(struct srp_worker *w, struct srp_nexus *nx,
		       struct fabric_conn_req *req,
		       const struct fabric_conn_info *info,
		       const struct srp_login_decision *d,
		       struct srp_channel **out);
void srp_channel_accepted(struct srp_channel *ch);
void srp_channel_disconnect(struct srp_channel *ch);
void srp_channel_logout(struct srp_channel *ch, uint32_t reason);
void srp_channel_req_freed_draining(struct srp_channel *ch);
void srp_channel_return_withheld(struct srp_channel *ch);
void srp_channel_repost_failed(struct srp_channel *ch, int ret);

/*
 * The receive rv is free again: its buffer goes back to the worker's SRQ
 * (whatever the channel's state), or is posted again on the channel's
 * own receive queue while the channel lives.  Inline, the failure's log
 * out of line: every command reposts its receive (doc/performance.md
 * "Host loopback guard").
 */
static inline void srp_channel_repost(struct srp_channel *ch,
				      struct srp_recv *rv)
{
	int ret;

	if (rv->sbuf) {
		ch->w->fabric->ops->srq_repost(ch->w->srq, rv->sbuf);
		rv->sbuf = NULL;
		rv->buf = NULL;
		rv->next_free = ch->free_recvs;
		ch->free_recvs = rv;
		return;
	}
	if (ch->state >= SRP_CH_DISCONNECTING)
		return;
	ret = fabric_post_recv(ch->qp, &rv->wr);
	if (ret)
		srp_channel_repost_failed(ch, ret);
}

/*
 * The three credit and pool hooks below are inline, their rare work out
 * of line: every command passes each once (doc/performance.md "Host
 * loopback guard").
 *
 * A request of ch went back to the pool (srp_req.c): the last one of a
 * drained channel lets it go.
 */
static inline void srp_channel_req_freed(struct srp_channel *ch)
{
	if (ch->state == SRP_CH_DRAINING)
		srp_channel_req_freed_draining(ch);
}

/*
 * Credits withheld from aborted commands: sent with an SRP_CRED_REQ when
 * no response will carry them (srp_channel_return_withheld()).
 */
static inline void srp_channel_return_credits(struct srp_channel *ch)
{
	if (ch->withheld)
		srp_channel_return_withheld(ch);
}

/*
 * Credits to put in a response: 1 for the request answered (unless it came
 * without a credit) plus those withheld.
 */
static inline uint32_t srp_channel_take_credits(struct srp_channel *ch,
						struct srp_req *r)
{
	uint32_t d = ch->withheld;

	ch->withheld = 0;
	if (!r->no_credit) {
		d++;
		ch->outstanding--;
	}
	return d;
}
void srp_channel_wait(struct srp_req **head, struct srp_req **tail,
		      struct srp_req *r);
void srp_channel_unwait(struct srp_req **head, struct srp_req **tail,
			struct srp_req *r);

/* srp_req.c: the request life cycle */
const char *srp_req_state_name(enum srp_req_state s);
bool srp_req_transition_allowed(enum srp_req_state from, enum srp_req_state to);
bool srp_req_refuse_state(struct srp_req *req, enum srp_req_state s);

#define SRP_REQ_B(s) (1u << (s))
/*
 * The allowed transitions, by target state: srp_req_from[to] has bit
 * from set.  DONE is reachable from every state that no fabric
 * completion, SCSI completion or TMF victim holds by itself (the abort
 * step of srp_req_process()); EXECUTING and TMF_WAIT always go on to
 * RDMA_WRITE, whose abort step then ends an aborted request.  Indexed by
 * the target, which is a constant at every srp_req_set_state() call, so
 * the check folds to a test of the current state's bit in an immediate.
 */
static const uint16_t srp_req_from[SRP_REQ_N_STATES] = {
	[SRP_REQ_FREE] = SRP_REQ_B(SRP_REQ_DONE),
	[SRP_REQ_NEW] = SRP_REQ_B(SRP_REQ_FREE),
	[SRP_REQ_NEED_BUFFER] = SRP_REQ_B(SRP_REQ_NEW),
	[SRP_REQ_READ_TABLE] = SRP_REQ_B(SRP_REQ_NEED_BUFFER),
	[SRP_REQ_RDMA_READ] = SRP_REQ_B(SRP_REQ_NEED_BUFFER) |
			      SRP_REQ_B(SRP_REQ_READ_TABLE),
	[SRP_REQ_READY_TO_EXECUTE] = SRP_REQ_B(SRP_REQ_RDMA_READ),
	[SRP_REQ_EXECUTING] = SRP_REQ_B(SRP_REQ_READY_TO_EXECUTE),
	[SRP_REQ_TMF_WAIT] = SRP_REQ_B(SRP_REQ_NEW),
	[SRP_REQ_RDMA_WRITE] =
		SRP_REQ_B(SRP_REQ_NEW) | SRP_REQ_B(SRP_REQ_READ_TABLE) |
		SRP_REQ_B(SRP_REQ_RDMA_READ) | SRP_REQ_B(SRP_REQ_EXECUTING) |
		SRP_REQ_B(SRP_REQ_TMF_WAIT),
	[SRP_REQ_SEND_RSP] = SRP_REQ_B(SRP_REQ_RDMA_WRITE),
	[SRP_REQ_DONE] =
		SRP_REQ_B(SRP_REQ_NEW) | SRP_REQ_B(SRP_REQ_NEED_BUFFER) |
		SRP_REQ_B(SRP_REQ_READ_TABLE) | SRP_REQ_B(SRP_REQ_RDMA_READ) |
		SRP_REQ_B(SRP_REQ_READY_TO_EXECUTE) |
		SRP_REQ_B(SRP_REQ_RDMA_WRITE) | SRP_REQ_B(SRP_REQ_SEND_RSP),
};

/*
 * The one place a request's state changes (the transitions and their
 * table are in srp_req.c).  Inline: a command passes eight transitions,
 * and a call each was a tenth of the engine's instructions per 4K READ
 * (doc/performance.md "Host loopback guard").  A transition the table
 * does not allow is a bug: srp_req_refuse_state() logs it and the
 * request stays where it is.  Entry actions of a state are done here.
 */
static inline bool srp_req_set_state(struct srp_req *req, enum srp_req_state s)
{
	/*
	 * Only this function stores a state, after the check, so it is
	 * below SRP_REQ_N_STATES; & 63 keeps the shift defined (and is the
	 * modulo x86's bt applies anyway).  A mask has no bit at or above
	 * SRP_REQ_N_STATES: a bad state is refused all the same.
	 */
	if ((unsigned int)s >= SRP_REQ_N_STATES ||
	    !((uint64_t)srp_req_from[s] >> ((unsigned int)req->state & 63) & 1))
		return srp_req_refuse_state(req, s);
	req->state = s;
	if (s == SRP_REQ_RDMA_WRITE) {
		/* Data-in to send: what SCSI produced, capped by the
		 * descriptors (the residual reports the rest). */
		req->xfer_done = 0;
		req->xfer_total = 0;
		if (req->opcode == SRP_CMD && !req->early_status &&
		    req->task.dir == SCSI_DIR_READ)
			req->xfer_total = req->task.data_in_len <
							  req->di_desc_len ?
						  req->task.data_in_len :
						  req->di_desc_len;
	}
	return true;
}
struct srp_req *srp_req_alloc(struct srp_channel *ch, struct srp_recv *rv);
void srp_req_process(struct srp_req *req);
void srp_req_task_done(struct scsi_task *t);
void srp_req_sent(struct srp_req *req);
void srp_req_kill(struct srp_req *req);

/*
 * Does the command fetch an external descriptor table first (the
 * READ_TABLE step)?  Asked when the command starts (srp_cmd.c, to bound
 * the table) and when it runs (srp_req.c).
 */
static inline bool srp_req_needs_table(const struct srp_req *req)
{
	const struct scsi_task *t = &req->task;
	bool ext = t->dir == SCSI_DIR_WRITE ? req->ci.dout.ext_table :
					      req->ci.din.ext_table;

	/* The flag first: it is nearly always clear. */
	return ext && t->dir != SCSI_DIR_NONE && t->xfer_len;
}

/* srp_cmd.c: SRP_CMD decoding, data movement, the response */
void srp_req_start_cmd(struct srp_req *req);
void srp_req_step_table(struct srp_req *req);
void srp_req_post_read(struct srp_req *req);

/*
 * RDMA_READ step: data-out, in batches bounded by the READ depth
 * (srp_req_post_read()); with all of it in place (or none to fetch, as
 * for every READ) on to READY_TO_EXECUTE.  Inline: every command passes
 * this step, most of them with nothing to fetch (doc/performance.md
 * "Host loopback guard").
 */
static inline void srp_req_step_read(struct srp_req *req)
{
	if (req->wr_pending)
		return;
	if (req->xfer_done >= req->xfer_total) {
		srp_req_set_state(req, SRP_REQ_READY_TO_EXECUTE);
		return;
	}
	srp_req_post_read(req);
}
void srp_req_step_write(struct srp_req *req);
void srp_req_rdma_done(struct srp_req *req, enum fabric_wc_status st);
void srp_req_send_done(struct srp_req *req, enum fabric_wc_status st);
void srp_ch_kick_waiting(struct srp_channel *ch);

/*
 * Resources came back (RDMA READ depth, send queue room): let waiting
 * requests of the channel try again.  Inline, the waiters out of line:
 * every WR completion passes here, nearly always with none waiting
 * (doc/performance.md "Host loopback guard").
 */
static inline void srp_ch_kick_waiters(struct srp_channel *ch)
{
	if (ch->rd_wait_head || ch->sq_wait_head)
		srp_ch_kick_waiting(ch);
}

/* srp_tmf.c */
void srp_req_start_tmf(struct srp_req *req);
void srp_tmf_victim_done(struct srp_req *victim);
void srp_tmf_preempt_abort(void *arg, uint64_t lun);

/* srp_worker.c */
int srp_worker_wait_chunks(struct srp_worker *w, struct srp_req *req,
			   uint32_t n, uint32_t len);
void srp_worker_wake_waiters(struct srp_worker *w);

/* n chunks of the pool to req for len bytes (the caller checked). */
static inline void srp_worker_take_chunks(struct srp_worker *w,
					  struct srp_req *req, uint32_t n,
					  uint32_t len)
{
	/* Locals: the iov stores could alias the pool for the compiler. */
	void **free_chunks = w->free_chunks;
	struct iovec *iov = req->iov;
	uint32_t n_free = w->n_free, cs = w->chunk_size;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = len < cs ? len : cs;

		iov[i].iov_base = free_chunks[--n_free];
		iov[i].iov_len = l;
		len -= l;
	}
	w->n_free = n_free;
	req->nchunks = n;
	srp_wstat_add(&w->stats.chunks_in_use, n);
}

/*
 * Give req enough chunks for len bytes (req->iov/nchunks).  -EAGAIN: the
 * pool is short; the request is queued and srp_req_process() runs again
 * when chunks come back.  Inline, with waiters and a short pool out of
 * line (srp_worker.c): every command with data takes and returns chunks
 * (doc/performance.md "Host loopback guard").
 */
static inline int srp_worker_get_chunks(struct srp_worker *w,
					struct srp_req *req, uint32_t len)
{
	uint32_t n = (len + w->chunk_size - 1) / w->chunk_size;

	if (!len) {
		req->nchunks = 0;
		return 0;
	}
	if (n > w->n_free || w->buf_wait_head || req->on_wait)
		return srp_worker_wait_chunks(w, req, n, len);
	srp_worker_take_chunks(w, req, n, len);
	return 0;
}

/* The chunks of req back to the pool; then its waiters, in order. */
static inline void srp_worker_put_chunks(struct srp_worker *w,
					 struct srp_req *req)
{
	void **free_chunks = w->free_chunks;
	const struct iovec *iov = req->iov;
	uint32_t n_free = w->n_free;
	unsigned int n = req->nchunks;

	for (unsigned int i = 0; i < n; i++)
		free_chunks[n_free++] = iov[i].iov_base;
	w->n_free = n_free;
	srp_wstat_add(&w->stats.chunks_in_use, -(int64_t)n);
	req->nchunks = 0;
	if (w->buf_wait_head)
		srp_worker_wake_waiters(w);
}
void srp_worker_unwait(struct srp_worker *w, struct srp_req *req);
int srp_worker_refresh_fds(struct srp_worker *w);
/*
 * Something of this wake-up may start backend I/O: plug the backend
 * until the wake-up ends, so that all of it is submitted with one system
 * call (doc/performance.md "One submission per wake-up").
 */
void srp_worker_plug(struct srp_worker *w);
void srp_worker_hurry(struct srp_worker *w);

void srp_channel_put(struct srp_channel *ch);
void srp_channel_attach_msg(void *arg);
int srp_channel_send(struct srp_channel *ch, void (*fn)(void *),
		     struct loop *to);
void srp_channel_disconnect_msg(void *arg);
void srp_channel_logout_msg(void *arg);
void srp_channel_free(struct srp_channel *ch);

/* srp_target.c */
void srp_nexus_channel_released_msg(void *arg);
void srp_nexus_logout(struct srp_nexus *nx);

/* srp_maps.c */
void srp_maps_clear(struct srp_maps *m);
/* The LUN view of an initiator; NULL: not allowed. */
const struct srp_lun_view *srp_maps_view(const struct srp_maps *m,
					 const struct srp_initiator_id *id);
/* Engine destroy: end the grace periods still running. */
void srp_engine_retire_flush(struct srp_engine *e);

/* srp_stats.c: counting on the worker, folding on the main thread */
void srp_stats_responded(struct srp_req *req, uint32_t data_in);
void srp_stats_aborted(struct srp_req *req);
void srp_stats_channel_init(struct srp_channel *ch);
void srp_stats_fold_channel(struct srp_channel *ch);
void srp_stats_fold_nexus(struct srp_nexus *nx);
void srp_stats_fold_target(struct srp_target *t);
void srp_stats_free_folds(struct srp_stats_fold **list);

#endif
