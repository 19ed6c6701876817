/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SCSI target core: the interface between a transport (the SRP engine) and
 * the SPC/SBC emulation.  The transport never looks inside a CDB; it asks
 * scsi_task_parse() how much data moves in which direction, provides a
 * buffer (fetching data-out first), calls scsi_task_execute(), and sends
 * status, sense and data-in when task->complete runs.
 *
 * Objects:
 *  - struct scsi_lu: one exported device (identity, geometry, reservations,
 *    mode pages).  Shared by all nexuses and workers; its mutable control
 *    state (reservations, UA generation, compare-and-write ranges) is
 *    guarded inside the SCSI layer.
 *  - struct scsi_itn: the SCSI view of one I_T nexus: its LUN view and a
 *    unit attention queue per LUN.  Owned by the transport's nexus; the
 *    view can be replaced live (scsi_itn_replace_view()).
 *  - struct scsi_worker: per worker thread; holds that worker's backend
 *    contexts (one per engine).  Tasks execute on the worker that owns
 *    their channel and complete there.
 *
 * NOTE: owned by the SCSI layer.  Names and fields below are relied upon by
 * src/srp/ and may be extended but not renamed.
 */
#ifndef SRPTD_SCSI_H
#define SRPTD_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "srptd/backend.h"
#include "srptd/version.h"

#define SCSI_MAX_CDB_LEN 260 /* 16 + SRP additional CDB (max 255*4?) */
#define SCSI_SENSE_BUFFERSIZE 96

struct scsi_lu;
struct scsi_itn;
struct scsi_worker;

/* Persistent reservation registrant (SPC-4 5.9.7). */
#define SCSI_PR_MAX_REGS 64
struct scsi_pr_reg {
	bool used;
	uint8_t i_id[16];
	uint8_t t_id[16];
	uint16_t rtpi;
	uint64_t key;
};

/*
 * An LU's persistent reservation state: what APTPL (SPC-4 5.14.5 and the
 * APTPL bit of 6.16.3) keeps across a restart.
 */
struct scsi_pr_state {
	uint32_t generation; /* PRgeneration (SPC-4 6.15.2) */
	bool aptpl; /* last valid APTPL bit of a REGISTER (PTPL_A) */
	bool reserved;
	uint8_t type; /* SCSI_PR_TYPE_* when reserved */
	int holder; /* index in regs of the reserving registrant, or -1 */
	struct scsi_pr_reg regs[SCSI_PR_MAX_REGS];
};

/*
 * Where APTPL state is kept (doc/scsi-commands.md, "Persistent
 * reservations").  key names the LU (its NAA designator in hex, stable
 * across restarts).  Both callbacks run on the thread executing the PR
 * command or opening the LU and must return only once done.
 */
struct scsi_pr_store_ops {
	/*
	 * Fill st with the state saved for key: 0, -ENOENT if none was
	 * saved, -EBADMSG if what is stored is not a valid state, other
	 * -errno if it cannot be read.
	 */
	int (*load)(void *ctx, const char *key, struct scsi_pr_state *st);
	/*
	 * Make st the saved state of key, durably (it survives a crash of
	 * the daemon or the host) before returning 0; st == NULL erases
	 * it (erasing nothing is 0).  On failure the previous saved state
	 * must still be intact.
	 */
	int (*save)(void *ctx, const char *key, const struct scsi_pr_state *st);
};

struct scsi_pr_store {
	const struct scsi_pr_store_ops *ops;
	void *ctx;
};

/*
 * The file store: one file per LU in directory dir (a state directory
 * such as /var/lib/srptd), replaced atomically on every save.  dir must
 * outlive the store.
 */
void scsi_pr_file_store_init(struct scsi_pr_store *s, const char *dir);

/*
 * Where an LU's reservation state lives (doc/scsi-commands.md,
 * "Persistent reservations").
 */
enum scsi_pr_mode {
	/* In the LU, for this process's nexuses (and the APTPL store). */
	SCSI_PR_LOCAL,
	/*
	 * The LU is also exported by another host and no store shares the
	 * state with it: RESERVE/RELEASE(6)/(10) and PERSISTENT RESERVE
	 * IN/OUT are refused as unsupported (pr.c) rather than answered
	 * from state the other host's initiators never see.
	 */
	SCSI_PR_REFUSED,
	/*
	 * The state lives in a store every host of the LU reads and
	 * writes (scsi_lu_params.pr_shared); the LU holds a copy for the
	 * reservation checks of the data path, refreshed by every PR
	 * command and by scsi_pr_refresh().
	 */
	SCSI_PR_SHARED,
};

/*
 * A store of reservation state shared by the hosts that export one LU
 * (doc/scsi-commands.md, "Reservations on a device shared with another
 * host").  Both callbacks run on the thread executing the PR command or
 * refreshing the LU, with the LU's control lock held, and return only
 * once done.
 */
struct scsi_pr_shared_ops {
	/*
	 * Fill st with the current state and *ver with its version: 0,
	 * or -errno if it cannot be read.  A store never written holds an
	 * empty state (no registration, holder -1) at version 0.
	 */
	int (*read)(void *ctx, struct scsi_pr_state *st, uint64_t *ver);
	/*
	 * Replace the state with st if its version is still *ver, as one
	 * atomic step against every other host's write; then 0 and *ver
	 * is the new version.  -ECANCELED: another host wrote since *ver
	 * was read, nothing was written.  Other -errno: not written, or
	 * (after a timeout) not known to be.
	 */
	int (*write)(void *ctx, const struct scsi_pr_state *st, uint64_t *ver);
};

struct scsi_pr_shared {
	const struct scsi_pr_shared_ops *ops;
	void *ctx;
};

/*
 * The binary form of a state in a shared store (pr_codec.c; layout in
 * doc/ceph.md, "Reservations"): little-endian, versioned, at most
 * SCSI_PR_ENCODED_MAX bytes.  scsi_pr_encode(): 0, -ENOSPC if cap is
 * below SCSI_PR_ENCODED_MAX, -EINVAL for a reserved state without a
 * valid holder and type.  scsi_pr_decode(): 0, -EPROTONOSUPPORT for a
 * format version this build does not read (*version says which), or
 * -EBADMSG for anything that is not a valid state; st is only written
 * on success.
 */
#define SCSI_PR_ENCODED_VERSION 1
#define SCSI_PR_ENCODED_MAX (16 + 42 * SCSI_PR_MAX_REGS)
int scsi_pr_encode(const struct scsi_pr_state *st, uint8_t *buf, size_t cap,
		   size_t *len);
int scsi_pr_decode(const uint8_t *buf, size_t len, struct scsi_pr_state *st,
		   unsigned int *version);

#if SRPTD_HAVE_RBD
/*
 * The rbd store (pr_rbd.c, doc/ceph.md "Reservations"): ctx is the
 * struct bs_rbd_pr of the device (src/backend/bs_rbd_pr.h), which holds
 * the encoded state in a rados object beside the image.
 */
extern const struct scsi_pr_shared_ops scsi_pr_rbd_ops;
#endif

/*
 * Asymmetric logical unit access (SPC-4 5.16, doc/ha.md): the target port
 * group this process's ports belong to, its access state, and the groups
 * of partner targets (another srptd presenting the same LU) as the
 * configuration describes them.  States are the ASYMMETRIC ACCESS STATE
 * codes of REPORT TARGET PORT GROUPS (SPC-4 6.37).
 */
enum scsi_alua_state {
	SCSI_ALUA_STATE_AO = 0x0, /* active/optimized */
	SCSI_ALUA_STATE_ANO = 0x1, /* active/non-optimized */
	SCSI_ALUA_STATE_STANDBY = 0x2,
	SCSI_ALUA_STATE_UNAVAILABLE = 0x3,
};
#define SCSI_ALUA_MAX_PEERS 8
#define SCSI_ALUA_MAX_PORTS 16
struct scsi_alua_group {
	uint16_t id; /* TARGET PORT GROUP, 1..65535 */
	enum scsi_alua_state state;
	unsigned int n_ports;
	uint16_t ports[SCSI_ALUA_MAX_PORTS]; /* relative target port ids */
};
struct scsi_alua {
	/* This process's group; no ports: the nexus's own port is listed. */
	struct scsi_alua_group own;
	unsigned int n_peers;
	struct scsi_alua_group peers[SCSI_ALUA_MAX_PEERS];
};

/* Identity and limits of an exported device, from the config. */
struct scsi_lu_params {
	const char *vendor; /* INQUIRY T10 vendor id, <= 8 chars */
	const char *product; /* <= 16 chars */
	const char *revision; /* <= 4 chars */
	const char *serial; /* VPD 0x80; NULL = derived from the device */
	const char *naa; /* 32 hex digits NAA 6 (VPD 0x83); NULL = derived */
	uint32_t max_xfer_bytes; /* fabric's max I/O size (VPD 0xB0) */
	const char *target_name; /* SCSI name string designator (VPD 0x83) */
	/* Added by the SCSI layer (additive): */
	bool descriptor_sense; /* initial D_SENSE (control mode page 0x0A) */
	uint16_t tpg_id; /* ALUA target port group id; 0 = 1 */
	/* Groups and states (copied); NULL: group tpg_id, active/optimized. */
	const struct scsi_alua *alua;
	/* APTPL store (must outlive the LU); NULL: APTPL not supported. */
	const struct scsi_pr_store *pr_store;
	enum scsi_pr_mode pr_mode; /* 0: SCSI_PR_LOCAL */
	/* SCSI_PR_SHARED: the store (must outlive the LU). */
	const struct scsi_pr_shared *pr_shared;
};

int scsi_lu_create(struct srptd_bdev *bdev, const struct scsi_lu_params *p,
		   struct scsi_lu **out);
void scsi_lu_destroy(struct scsi_lu *lu);
/*
 * SCSI_PR_SHARED: another host changed the shared state (its store's
 * change notification): read it into the LU's copy, queueing the unit
 * attentions it implies for this process's nexuses (doc/scsi-commands.md).
 * Blocks for one read of the store; any thread.  0 or -errno (the copy
 * is kept as it was).
 */
int scsi_pr_refresh(struct scsi_lu *lu);
/*
 * A key for lu's statistics: unique in the process, never 0 and never
 * reused (a pointer may be, once an LU is destroyed), so counters kept
 * after a device went cannot be mistaken for a new one's.
 */
uint64_t scsi_lu_stats_id(const struct scsi_lu *lu);
/*
 * Is any I_T nexus still attached to lu (its view contains it)?  The
 * daemon closes a device removed from the config only once this is false.
 */
bool scsi_lu_in_use(struct scsi_lu *lu);

/*
 * Unit attentions (SAM-5 5.14, SPC-4 4.5.x).  asc_ascq is ASC << 8 | ASCQ
 * (SCSI_ASC_* in srptd/scsi_proto.h).  Callable from any thread.
 *  - scsi_itn_queue_ua: one LUN of one nexus.
 *  - scsi_lu_queue_ua_all: every nexus whose view contains the LU.
 *  - scsi_lu_capacity_changed: the device was resized (2A/09 everywhere).
 *  - scsi_itn_luns_changed: the nexus's LUN inventory changed (3F/0E on
 *    every LUN of its view).
 */
int scsi_itn_queue_ua(struct scsi_itn *itn, uint64_t lun, uint16_t asc_ascq);
void scsi_lu_queue_ua_all(struct scsi_lu *lu, uint16_t asc_ascq);
void scsi_lu_capacity_changed(struct scsi_lu *lu);
/*
 * New ALUA groups or states for lu (a reload, alua.c).  When anything
 * REPORT TARGET PORT GROUPS returns changed, every nexus gets ASYMMETRIC
 * ACCESS STATE CHANGED (2A/06, SPC-4 5.16.2.7) and 1 is returned; 0 when
 * a equals what lu has.  Any thread.
 */
int scsi_lu_set_alua(struct scsi_lu *lu, const struct scsi_alua *a);
void scsi_itn_luns_changed(struct scsi_itn *itn);

/*
 * LUN addressing (SAM-5 4.7, doc/srp-protocol.md 11).  scsi_lun_decode()
 * turns the 8-byte LUN of an SRP_CMD / SRP_TSK_MGMT into scsi_task.lun:
 * peripheral (bus 0) and flat addressing give 0..16383, the REPORT LUNS
 * well-known LUN gives SCSI_LUN_WLUN_REPORT_LUNS, anything else
 * SCSI_LUN_INVALID (the command then fails with LOGICAL UNIT NOT SUPPORTED).
 * scsi_lun_encode() is what REPORT LUNS returns: peripheral below 256, flat
 * above.
 */
#define SCSI_LUN_WLUN_REPORT_LUNS 0xc101ull
#define SCSI_LUN_INVALID UINT64_MAX
uint64_t scsi_lun_decode(const uint8_t lun[8]);
void scsi_lun_encode(uint64_t lun, uint8_t out[8]);

/* One LUN of a nexus's view: lun is the SAM LUN number (0..16383). */
struct scsi_lun_entry {
	uint64_t lun;
	struct scsi_lu *lu;
	bool read_only; /* masked read-only for this view */
};

/*
 * Create the SCSI side of an I_T nexus.  Ids are the SRP port identifiers
 * (16 bytes each, SRP r16a 5.6.2 / SPC-4 TransportID for SRP), used by
 * persistent reservations and REPORT TARGET PORT GROUPS.  The view is
 * copied.  Every LUN starts with a POWER ON, RESET OR BUS DEVICE RESET
 * OCCURRED unit attention.
 */
int scsi_itn_create(const uint8_t initiator_port_id[16],
		    const uint8_t target_port_id[16], uint16_t rel_tgt_port_id,
		    const struct scsi_lun_entry *view, unsigned int n,
		    struct scsi_itn **out);
void scsi_itn_destroy(struct scsi_itn *itn);

/*
 * Live LUN view change (itn.c, doc/architecture.md "Live changes"), by
 * the thread that owns the nexus.  Returns 1 when view equals the
 * current one (nothing done), 0 when it was replaced: REPORTED LUNS DATA
 * HAS CHANGED is queued on every LUN of the new view, pending unit
 * attentions of LUNs that keep their LU move over, and *old receives the
 * previous view.  Threads executing the nexus's commands may still read
 * *old until each has passed a point where it holds no view pointer it
 * did not pin; then (and only then) pass it to scsi_itn_view_put().
 * Commands in flight keep what they need of it until released.
 */
struct scsi_itn_view;
int scsi_itn_replace_view(struct scsi_itn *itn,
			  const struct scsi_lun_entry *view, unsigned int n,
			  struct scsi_itn_view **old);
void scsi_itn_view_put(struct scsi_itn_view *v);
/* Is view (any order) what the nexus sees now?  Owner thread. */
bool scsi_itn_view_same(struct scsi_itn *itn, const struct scsi_lun_entry *view,
			unsigned int n);
/* Commands of the nexus parsed for lun and not yet released. */
unsigned int scsi_itn_lun_inflight(struct scsi_itn *itn, uint64_t lun);

/*
 * Optional: cb(arg, lun) runs when PERSISTENT RESERVE OUT / PREEMPT AND
 * ABORT from another nexus preempts this one (SPC-4 5.9.11.5): the
 * transport then aborts this nexus's tasks for lun (as for ABORT TASK
 * SET).  It runs on the thread executing the PR OUT, with the LU's lock
 * held: it must only post a message (loop_send) to the nexus's workers
 * and must not call into the SCSI layer.  Set at most once (-EBUSY
 * after), typically right after scsi_itn_create().
 */
int scsi_itn_set_abort_cb(struct scsi_itn *itn,
			  void (*cb)(void *arg, uint64_t lun), void *arg);

/* Per-worker execution context (backend contexts created lazily). */
int scsi_worker_create(unsigned int depth, struct scsi_worker **out);
/* All tasks of the worker have completed. */
void scsi_worker_destroy(struct scsi_worker *w);
/*
 * Create the worker's backend contexts for every LU of the nexus's view
 * now (call on the worker thread when a channel of the nexus is assigned
 * to it), so that scsi_worker_event_fds() lists their fds.  A context that
 * a task needs and that was not attached is created on first use; the
 * transport must then refresh its fd set (scsi_worker_event_fds() again).
 */
int scsi_worker_attach_itn(struct scsi_worker *w, struct scsi_itn *itn);
/* The same for one LU (a LUN mapped live); on the worker thread. */
int scsi_worker_attach_lu(struct scsi_worker *w, struct scsi_lu *lu);
/*
 * Fill fds with the event fds to watch (the worker's wake-up eventfd, then
 * one per backend context); returns how many (<= max).  When any becomes
 * readable, call scsi_worker_poll().  Watch them level-triggered (EPOLLIN
 * without EPOLLET): the wake-up eventfd is drained only when there is
 * work, and a task parked by backpressure keeps it readable until it has
 * been resubmitted.
 */
int scsi_worker_event_fds(struct scsi_worker *w, int *fds, int max);
/*
 * Live resize (doc/architecture.md "Live changes"): from now on worker w
 * serves the LU whose scsi_lu_stats_id() is lu_id with nblocks blocks
 * (LBA range checks, READ CAPACITY, block descriptors).  A worker that
 * was never told serves the capacity the LU was created with: the
 * capacity is each worker's own copy, delivered by message from the
 * thread that resized the backend, never a shared field (the transport
 * queues CAPACITY DATA HAS CHANGED before it sends the message; see
 * srp_engine_resize_lu()).  Call on w's thread.  0 or -ENOMEM.
 */
int scsi_worker_set_capacity(struct scsi_worker *w, uint64_t lu_id,
			     uint64_t nblocks);
/* Reap backend completions (runs task->complete callbacks); count. */
int scsi_worker_poll(struct scsi_worker *w);
/*
 * Plug (true) or unplug the worker's backend contexts: while plugged,
 * I/Os a context accepts may wait in it; unplugging hands them to the
 * kernel together (srptd_backend_ops.ctx_plug).  The transport plugs
 * while it handles one wake-up and unplugs before it sleeps.
 */
void scsi_worker_plug(struct scsi_worker *w, bool plugged);

/*
 * Backend I/Os of this worker outstanding for more than threshold_ms
 * (src/scsi/stuck.c, doc/scsi-commands.md "A stuck backend").  Each I/O
 * that crossed the threshold since the last call is logged once, one
 * warning per device with the count; one that completes after that is
 * logged too.  Fills *st; call on the worker's thread, periodically.
 */
struct scsi_stuck_stats {
	unsigned int now; /* outstanding past the threshold now */
	uint64_t total; /* ever seen past the threshold */
};
void scsi_worker_check_stuck(struct scsi_worker *w, uint64_t threshold_ms,
			     struct scsi_stuck_stats *st);
/*
 * The same per logical unit, over every worker: its backend I/Os past
 * the threshold now, and ever since the LU was created (statistics; any
 * thread, relaxed reads).
 */
void scsi_lu_stuck(const struct scsi_lu *lu, unsigned int *now,
		   uint64_t *total);

enum scsi_data_dir {
	SCSI_DIR_NONE,
	SCSI_DIR_WRITE, /* data-out: initiator -> target */
	SCSI_DIR_READ, /* data-in: target -> initiator */
};

struct scsi_task {
	/* Set by the transport before scsi_task_parse(). */
	uint8_t cdb[SCSI_MAX_CDB_LEN];
	uint32_t cdb_len;
	uint64_t lun; /* decoded LUN number */
	uint64_t tag;
	struct scsi_itn *itn;
	struct scsi_worker *worker;
	void (*complete)(struct scsi_task *t); /* on the worker thread */
	void *transport_priv;

	/* Set by scsi_task_parse(): what the CDB says moves. */
	enum scsi_data_dir dir;
	uint32_t xfer_len; /* bytes the CDB transfers */

	/*
	 * Set by the transport before scsi_task_execute(): the buffer.  The
	 * iov entries describe buf_len bytes in total (a larger last entry is
	 * allowed; the SCSI layer never touches bytes past buf_len, and may
	 * shorten an entry's iov_len while a backend I/O is in flight,
	 * restoring it before complete() runs).  For
	 * SCSI_DIR_WRITE it holds buf_len bytes of data-out; for
	 * SCSI_DIR_READ it has room for buf_len bytes (which may be less than
	 * xfer_len if the initiator's descriptors are short: the SCSI layer
	 * returns at most buf_len and the transport reports the residual).
	 */
	struct iovec *iov;
	unsigned int iovcnt;
	uint32_t buf_len;

	/* Results, valid in complete(). */
	uint8_t status; /* SAM status: GOOD, CHECK CONDITION ... */
	uint8_t sense_len;
	uint8_t sense[SCSI_SENSE_BUFFERSIZE];
	uint32_t data_in_len; /* bytes of data-in actually produced */

	/* Private to the SCSI layer (grown from 16 by the SCSI layer). */
	uint64_t scsi_priv[48];
};

/*
 * Validate the CDB and decide direction and length.  Returns 0 if the task
 * may proceed, or a positive value meaning the task already carries its
 * final status and sense (illegal opcode, LUN not supported, unit
 * attention, reservation conflict...): the transport sends the response
 * without executing and without moving data.
 */
int scsi_task_parse(struct scsi_task *t);
/*
 * After scsi_task_parse() (whatever it returned): scsi_lu_stats_id() of
 * the logical unit the task addresses, 0 if its LUN is not in the view.
 */
uint64_t scsi_task_lu_stats_id(struct scsi_task *t);

/*
 * The transport is done with a task it parsed (answered, aborted or
 * dropped): what parse pinned of the nexus's LUN view is released.
 * Idempotent; a task that parse rejected holds nothing.  Until this call
 * the LU the task addresses stays open even if its LUN is unmapped.
 */
void scsi_task_release(struct scsi_task *t);

/*
 * Execute a parsed task (parse returned 0).  t->complete runs exactly once
 * on t->worker's thread:
 *  - for emulated commands (INQUIRY, MODE SENSE, REPORT LUNS, PR ...) and
 *    for commands that fail before reaching the backend, complete() is
 *    called BEFORE scsi_task_execute() returns;
 *  - for commands that go to the backend, complete() runs later from
 *    scsi_worker_poll().
 * The transport must be ready for either (e.g. not touch t after execute
 * if complete() may free or recycle it).  Data-in is copied into (or read
 * directly to) t->iov, truncated once, centrally, to the CDB's allocation
 * length and to buf_len; t->data_in_len says how much.
 */
void scsi_task_execute(struct scsi_task *t);

/*
 * Status and sense for an error the transport found itself, instead of
 * parsing or executing t (a malformed IU or data descriptor, a request
 * beyond the transport's limits, a full queue).  Sets t->status, the sense
 * data (only for CHECK CONDITION: key and asc_ascq, ASC << 8 | ASCQ) and
 * data_in_len = 0, like an error the SCSI layer raises itself, so that
 * every sense of a logical unit has the same format.  t->itn and t->lun
 * must be set (t->lun SCSI_LUN_INVALID when the LUN field is unusable).
 * Call on the task's worker thread.
 */
void scsi_task_set_error(struct scsi_task *t, uint8_t status, uint8_t key,
			 uint16_t asc_ascq);

/*
 * Task management (SAM-5 7): LOGICAL UNIT RESET received on itn for lun.
 * Aborting tasks (this nexus's and others') is the transport's job; the
 * SCSI layer does the LU part: it queues BUS DEVICE RESET FUNCTION
 * OCCURRED (29/03) on every other nexus that sees the LU and releases an
 * SPC-2 RESERVE(6)/(10) reservation; persistent reservations are kept
 * (SPC-4 5.9.1).  Callable from any thread.
 */
void scsi_lu_reset(struct scsi_itn *itn, uint64_t lun);
/*
 * Does itn see a logical unit at lun?  (A task management function for a
 * LUN it does not see fails, doc/srp-protocol.md section 9.)
 */
bool scsi_itn_has_lun(struct scsi_itn *itn, uint64_t lun);

/* SAM status codes. */
#define SAM_STAT_GOOD 0x00
#define SAM_STAT_CHECK_CONDITION 0x02
#define SAM_STAT_CONDITION_MET 0x04
#define SAM_STAT_BUSY 0x08
#define SAM_STAT_RESERVATION_CONFLICT 0x18
#define SAM_STAT_TASK_SET_FULL 0x28
#define SAM_STAT_ACA_ACTIVE 0x30
#define SAM_STAT_TASK_ABORTED 0x40

#endif
