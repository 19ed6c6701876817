/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SCSI layer internals shared by task.c (parse/dispatch/sense), optable.c
 * (the opcode table), lu.c (LUs, nexuses, unit attentions, workers, range
 * locks), spc.c, sbc.c and pr.c.  Not for other layers.
 */
#ifndef SRPTD_SCSI_INT_H
#define SRPTD_SCSI_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "scsi/scsi.h"
#include "srptd/scsi_proto.h"
#include "util.h"

/* Tiny intrusive doubly linked list. */
struct scsi_list {
	struct scsi_list *prev, *next;
};

static inline void scsi_list_init(struct scsi_list *h)
{
	h->prev = h->next = h;
}

static inline bool scsi_list_empty(const struct scsi_list *h)
{
	return h->next == h;
}

/*
 * The store to h->prev between n's two keeps GCC from pairing those into
 * vector moves (two moves into vector registers, a shuffle, a 16-byte
 * store: four instructions for two), as every backend submission adds
 * one (doc/performance.md "Host loopback guard").
 */
static inline void scsi_list_add_tail(struct scsi_list *h, struct scsi_list *n)
{
	struct scsi_list *prev = h->prev;

	n->next = h;
	h->prev = n;
	n->prev = prev;
	prev->next = n;
}

static inline void scsi_list_del(struct scsi_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/*
 * scsi_list_del() without making n a list of its own again: for a node
 * that is added again before it is taken off again (scsi_cmd.bnode), as
 * every backend completion takes one off (doc/performance.md "Host
 * loopback guard").
 */
static inline void scsi_list_unlink(struct scsi_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

/*
 * Why a command failed (or SCSI_SR_OK).  Handlers return one of these; the
 * single function scsi_task_set_sense() turns it into status and sense
 * (LIO's sense_reason_t model).  See scsi_sense_table in task.c.
 */
enum scsi_sr {
	SCSI_SR_OK = 0,
	SCSI_SR_ASYNC, /* handler started backend I/O; completes later */
	SCSI_SR_INVALID_OPCODE, /* 05/20/00 */
	SCSI_SR_INVALID_CDB_FIELD, /* 05/24/00 + field pointer */
	SCSI_SR_INVALID_PARAM_FIELD, /* 05/26/00 + field pointer */
	SCSI_SR_PARAM_LIST_LENGTH, /* 05/1A/00 */
	SCSI_SR_LBA_OUT_OF_RANGE, /* 05/21/00 */
	SCSI_SR_LU_NOT_SUPPORTED, /* 05/25/00 */
	SCSI_SR_SAVING_NOT_SUPPORTED, /* 05/39/00 */
	SCSI_SR_INVALID_RELEASE, /* 05/26/04 */
	SCSI_SR_INSUFFICIENT_REG_RESOURCES, /* 05/55/04 */
	SCSI_SR_WRITE_PROTECTED, /* 07/27/00 */
	SCSI_SR_SPACE_ALLOC_FAILED, /* 07/27/07 (-ENOSPC) */
	SCSI_SR_MISCOMPARE, /* 0E/1D/00 + INFORMATION = byte offset */
	SCSI_SR_READ_ERROR, /* 03/11/00 (-EIO on read) */
	SCSI_SR_WRITE_ERROR, /* 03/0C/00 (-EIO on write) */
	SCSI_SR_INTERNAL_FAILURE, /* 04/44/00 (other backend errors) */
	SCSI_SR_DATA_PHASE_ERROR, /* 0B/4B/00: data-out shorter than CDB */
	SCSI_SR_UNIT_ATTENTION, /* 06/xx/yy from the nexus's UA queue */
	SCSI_SR_RESERVATION_CONFLICT, /* status 0x18, no sense */
	/* EXTENDED COPY (xcopy.c, SPC-4 6.4). */
	SCSI_SR_TOO_MANY_CSCDS, /* 05/26/06 */
	SCSI_SR_UNSUPPORTED_CSCD, /* 05/26/07: CSCD type code */
	SCSI_SR_TOO_MANY_SEGMENTS, /* 05/26/08 */
	SCSI_SR_UNSUPPORTED_SEGMENT, /* 05/26/09: segment type code */
	SCSI_SR_OPERATION_IN_PROGRESS, /* 05/00/16: list id in use */
	SCSI_SR_COPY_ABORTED, /* 0A/00/00 + segment field pointer */
	SCSI_SR_COPY_TARGET_UNREACHABLE, /* 0A/0D/02 */
	SCSI_SR_COPY_TARGET_FAILURE, /* 0A/0D/01: source/destination I/O */
	SCSI_SR_ALUA_STANDBY, /* 02/04/0B: target port in standby state */
	SCSI_SR_ALUA_UNAVAILABLE, /* 02/04/0C: ... in unavailable state */
	SCSI_SR_COUNT
};

/* Opcode flags (struct scsi_opdesc.flags). */
#define SCSI_OPF_UA_ALLOWED (1u << 0) /* runs without reporting/clearing UA */
#define SCSI_OPF_NO_LU (1u << 1) /* may run on an unmapped LUN / W-LUN */
#define SCSI_OPF_WRITE (1u << 2) /* modifies the medium: write protect */
#define SCSI_OPF_RES2_ALLOWED (1u << 3) /* allowed under others' RESERVE(6) */
#define SCSI_OPF_DATA_OUT_EMU (1u << 4) /* param list gathered to scratch */
#define SCSI_OPF_CLEAR_RLDC (1u << 5) /* REPORT LUNS clears 3F/0E */
/* Reads or changes reservation state: refused under SCSI_PR_REFUSED. */
#define SCSI_OPF_RESV (1u << 6)
/* Always FUA: WRITE AND VERIFY is on the medium before it completes. */
#define SCSI_OPF_FUA (1u << 7)

/*
 * Conflict class against persistent reservations (SPC-4 5.9.1 table 64 and
 * SBC-3 table 13): which commands a non-holder may run.
 */
enum scsi_prc {
	SCSI_PRC_ALLOWED, /* INQUIRY, REPORT LUNS, PR IN/OUT, TUR, RC ... */
	SCSI_PRC_READ, /* reads: conflict under exclusive access types */
	SCSI_PRC_WRITE, /* writes: conflict under every type */
	SCSI_PRC_INFO, /* MODE SENSE, RSOC: exclusive access, unregistered */
	SCSI_PRC_COUNT
};

struct scsi_cmd;
typedef enum scsi_sr (*scsi_parse_fn)(struct scsi_task *t, struct scsi_cmd *c);
typedef enum scsi_sr (*scsi_exec_fn)(struct scsi_task *t, struct scsi_cmd *c);

/* One row of the dispatch table (optable.c). */
struct scsi_opdesc {
	const char *name;
	scsi_parse_fn parse; /* sets dir, xfer_len, lba, nblocks */
	scsi_exec_fn exec;
	uint32_t flags; /* SCSI_OPF_* */
	uint8_t prc; /* enum scsi_prc */
	uint8_t cdb_len;
	uint8_t len_off; /* ALLOCATION / PARAMETER LIST LENGTH offset */
	/* Service-action sub-table (0x5E, 0x5F, 0x83, 0x84, 0x9E, 0xA3). */
	const struct scsi_opdesc *sa;
	uint8_t n_sa;
	uint8_t sa_code; /* in a sub-table row: its service action */
	/* CDB USAGE DATA (SPC-4 6.35.3): bits the CDB may set, per byte. */
	uint8_t usage[16];
};

extern const struct scsi_opdesc scsi_optable[256];

/*
 * Row for a CDB, or NULL.  *sa_bad is set when the opcode exists but the
 * service action does not (-> INVALID FIELD IN CDB on byte 1).  Inline:
 * every command looks its opcode up (doc/performance.md "Host loopback
 * guard"); the sub-table search of the few opcodes with service actions
 * is out of line, which also spares the others a second computation of
 * the row's address where the two ways met.
 */
const struct scsi_opdesc *scsi_op_sa_lookup(const struct scsi_opdesc *op,
					    uint8_t sa, bool *sa_bad);
static inline const struct scsi_opdesc *scsi_op_lookup(const uint8_t *cdb,
						       bool *sa_bad)
{
	const struct scsi_opdesc *op = &scsi_optable[cdb[0]];

	*sa_bad = false;
	if (op->n_sa)
		return scsi_op_sa_lookup(op, cdb[1] & 0x1f, sa_bad);
	return op->parse ? op : NULL;
}
const struct scsi_opdesc *scsi_op_sa_row(uint8_t opcode, unsigned int i);

/*
 * One LUN of a nexus's view, with that LUN's unit attention queue.  Only
 * the queue changes after the view is published (itn.c).
 */
#define SCSI_UA_MAX 8
struct scsi_itn_view;
struct scsi_view_ent {
	uint64_t lun;
	struct scsi_lu *lu;
	bool read_only;
	struct scsi_itn *itn;
	struct scsi_itn_view *view; /* the view holding this entry */
	struct scsi_list lu_node; /* on lu->nexuses, under lu->lock */
	bool linked; /* lu_node is on lu->nexuses (lu->lock) */
	/* Commands parsed on this entry, not yet released (itn.c). */
	atomic_uint inflight;
	atomic_uint ua_count; /* lock-free "anything pending?" check */
	unsigned int ua_head; /* queue under lu->lock */
	uint16_t ua[SCSI_UA_MAX];
};

/*
 * An immutable LUN view (itn.c): 1 base reference while it is current or
 * waiting for its grace period, 1 more while any entry has commands in
 * flight.
 */
struct scsi_itn_view {
	atomic_uint refs;
	unsigned int n;
	struct scsi_view_ent ent[];
};

struct scsi_itn {
	uint8_t i_id[16];
	uint8_t t_id[16];
	uint16_t rtpi;
	/* Current view: written by the owner, read by executing threads. */
	struct scsi_itn_view *_Atomic view;
	/* PREEMPT AND ABORT hook: set at most once, read under LU locks. */
	struct scsi_abort_hook *_Atomic abort_hook;
};

static inline struct scsi_itn_view *scsi_itn_cur_view(struct scsi_itn *itn)
{
	return atomic_load_explicit(&itn->view, memory_order_acquire);
}

struct scsi_abort_hook {
	void (*cb)(void *arg, uint64_t lun);
	void *arg;
};

/* Range lock node for COMPARE AND WRITE atomicity. */
struct scsi_range {
	struct scsi_list node;
	uint64_t lba;
	uint64_t n;
	bool caw; /* a COMPARE AND WRITE (exclusive) */
	bool active; /* holds the range (else waiting in order) */
	bool linked;
	bool waiting; /* on lu->waiters */
	struct scsi_list wnode; /* on lu->waiters */
};

/*
 * The result of an EXTENDED COPY whose LIST ID USAGE asks the copy
 * manager to hold it, for RECEIVE COPY RESULTS / COPY STATUS (SPC-4
 * 6.18.3): one per I_T nexus and list identifier, under lu->lock.
 */
#define SCSI_XCOPY_RECS 8
#define SCSI_XCOPY_ST_RUNNING 0x00 /* COPY MANAGER STATUS values */
#define SCSI_XCOPY_ST_DONE 0x01
#define SCSI_XCOPY_ST_FAILED 0x02
struct scsi_xcopy_rec {
	bool used;
	uint8_t i_id[16];
	uint8_t t_id[16];
	uint8_t list_id;
	uint8_t status; /* SCSI_XCOPY_ST_* */
	uint16_t segs; /* segments processed */
	uint32_t bytes; /* bytes written to destinations */
	uint64_t seq; /* when stored: the oldest is replaced first */
};

struct scsi_lu {
	struct srptd_bdev *bdev;
	uint64_t stats_id; /* scsi_lu_stats_id() */
	/*
	 * Capacity in blocks at creation, never written after: workers read
	 * it without a lock.  A live resize reaches each worker by message
	 * as its own copy (scsi_worker.caps), never through this field or
	 * bdev->size, which the main thread owns.
	 */
	uint64_t nblocks;
	char vendor[9];
	char product[17];
	char revision[5];
	char serial[65];
	uint8_t naa[SCSI_NAA_LEN];
	char target_name[224];
	uint32_t max_xfer_bytes;
	/*
	 * ALUA (alua.c): the access state every command checks, written
	 * by scsi_lu_set_alua() (a reload) and read lock-free; the groups
	 * REPORT TARGET PORT GROUPS returns, under lock.
	 */
	atomic_uint alua_state; /* enum scsi_alua_state */
	struct scsi_alua alua;
	atomic_bool wce; /* caching page WCE; false: every write FUA */
	atomic_bool d_sense; /* control page D_SENSE: descriptor sense */
	bool d_sense_default;

	/*
	 * Control state shared by every nexus and worker that sees this LU:
	 * the attached nexus list with their UA queues, SPC-2 and persistent
	 * reservations, and the COMPARE AND WRITE range lock.  Changes are
	 * rare (PR OUT, MODE SELECT, resets) or short (range lock insert) and
	 * must be atomic across workers of different nexuses, which cannot
	 * agree by message passing within one command, hence a mutex (the
	 * house rule's exception for rare shared control state).
	 */
	pthread_mutex_t lock;
	struct scsi_list nexuses; /* scsi_view_ent.lu_node */
	/*
	 * Entries of replaced views that still exist (commands in flight
	 * or grace period, itn.c): the LU must stay open meanwhile.
	 */
	atomic_uint retired_ents;
	atomic_bool res_active; /* any reservation: hot path skips the lock */
	/*
	 * Its backend I/Os past the stuck threshold now, and ever (stuck.c):
	 * updated by whichever worker sees one (rare, hence atomics), read
	 * by the main thread for the statistics.
	 */
	atomic_uint stuck_now;
	atomic_uint_fast64_t stuck_total;
	bool res2_held; /* SPC-2 RESERVE(6)/(10) */
	uint8_t res2_i_id[16];
	uint8_t res2_t_id[16];
	struct scsi_pr_state pr; /* persistent reservations (pr.c) */
	/* APTPL store (pr_store.c); NULL: PTPL_C = 0, APTPL rejected. */
	const struct scsi_pr_store *pr_store;
	char pr_key[2 * SCSI_NAA_LEN + 1]; /* store key: NAA in hex */
	enum scsi_pr_mode pr_mode; /* fixed at creation */
	const struct scsi_pr_shared *pr_shared; /* SCSI_PR_SHARED only */
	/*
	 * A PR OUT on a shared LU computes the new state first without
	 * queueing unit attentions or aborting tasks, then runs again with
	 * them once the store took the state (pr.c): true during the first
	 * run, under lock.
	 */
	bool pr_trial;
	atomic_bool pr_refusal_logged; /* SCSI_PR_REFUSED: warned once */
	/*
	 * Until the first COMPARE AND WRITE on the LU, writes only count
	 * themselves in fast_writes (no lock, no list); caw_seen (sticky)
	 * sends every later write through the range lists.  A CAW waits for
	 * fast_writes to drain.  Dekker-style: a write increments then reads
	 * caw_seen, a CAW sets caw_seen then reads fast_writes (seq_cst), so
	 * at least one of them sees the other.
	 */
	atomic_bool caw_seen;
	atomic_uint fast_writes;
	struct scsi_list writes; /* active non-CAW write ranges */
	struct scsi_list caws; /* CAW ranges, active and waiting, FIFO */
	struct scsi_list waiters; /* tasks blocked on a range */
	/* EXTENDED COPY results held for RECEIVE COPY RESULTS (lock). */
	struct scsi_xcopy_rec xc_recs[SCSI_XCOPY_RECS];
	uint64_t xc_seq;
};

/* Per-task private state, in scsi_task.scsi_priv. */
#define SCSI_CMD_F_FUA (1u << 0)
#define SCSI_CMD_F_BYTCHK (1u << 1)
#define SCSI_CMD_F_UNMAP (1u << 2)
#define SCSI_CMD_F_NDOB (1u << 3)
#define SCSI_CMD_F_INFO (1u << 4) /* info valid */
#define SCSI_CMD_F_SKS (1u << 5) /* field pointer valid */
#define SCSI_CMD_F_SKS_CDB (1u << 6) /* field pointer is into the CDB */
#define SCSI_CMD_F_RANGE (1u << 7) /* holds a range in lu */
#define SCSI_CMD_F_EMU_DATA (1u << 8) /* data_len bytes in the scratch */
#define SCSI_CMD_F_SOFT_FAIL (1u << 9) /* -EOPNOTSUPP goes to resume */
#define SCSI_CMD_F_FAST_WRITE (1u << 10) /* counted in lu->fast_writes */
#define SCSI_CMD_F_PINNED (1u << 11) /* ve pinned until scsi_task_release */

/*
 * How far the stuck check (stuck.c) has got with a command's backend
 * I/O: a state of its own, so that every submit_ns is a time, 0 too.
 */
enum scsi_io_age {
	SCSI_IO_UNTIMED, /* no check has seen it: submit_ns is not set */
	SCSI_IO_TIMED, /* submit_ns: the time of the first check that saw it */
	SCSI_IO_STUCK, /* timed, and counted as stuck (once) */
};

struct scsi_cmd {
	const struct scsi_opdesc *op;
	struct scsi_lu *lu; /* NULL: unmapped LUN or W-LUN */
	struct scsi_view_ent *ve;
	uint64_t lba;
	uint32_t nblocks;
	uint32_t flags; /* SCSI_CMD_F_* */
	uint32_t alloc_len; /* data-in allocation length (0: none) */
	uint32_t data_len; /* emulated data-in produced in the scratch */
	uint16_t sks_field; /* byte offset for the field pointer */
	uint8_t sks_bit; /* bit, or 0xff for none */
	uint16_t ua; /* SCSI_SR_UNIT_ATTENTION: asc/ascq */
	uint64_t info; /* INFORMATION field */
	enum scsi_sr (*resume)(struct scsi_task *t, struct scsi_cmd *c);
	/*
	 * Backend I/O state.  Everything above io starts as zero for each
	 * command, in one memset (scsi_task_parse()); the rest is written
	 * before it is read.
	 */
	struct srptd_backend_ctx *ctx;
	struct iovec *trim_iov; /* entry shortened for io, or NULL */
	int submit_err; /* -errno of the last rejected submission */
	uint32_t bounce_len;
	uint8_t *bounce; /* aligned bounce buffer of multi-step commands */
	uint64_t pos; /* progress in blocks / descriptors */
	struct scsi_xcopy *xc; /* EXTENDED COPY in progress (xcopy.c) */
	uint32_t step;
	struct srptd_io io;
	size_t trim_saved;
	struct iovec biov; /* iovec over the bounce buffer */
	struct scsi_range range;
	struct scsi_list wnode; /* on worker->resumed / worker->retry */
	/*
	 * In the backend: on worker->in_backend, since when (stuck.c).  Only
	 * scsi_backend_track() adds it, and scsi_list_unlink() takes it off
	 * once after each add.
	 */
	struct scsi_list bnode;
	uint64_t submit_ns; /* unless io_age is SCSI_IO_UNTIMED */
	uint8_t io_age; /* enum scsi_io_age */
};

_Static_assert(sizeof(struct scsi_cmd) <=
		       sizeof(((struct scsi_task *)0)->scsi_priv),
	       "scsi_cmd fits scsi_task.scsi_priv");

static inline struct scsi_cmd *scsi_cmd(struct scsi_task *t)
{
	return (struct scsi_cmd *)t->scsi_priv;
}

static inline struct scsi_task *scsi_cmd_task(struct scsi_cmd *c)
{
	return (struct scsi_task *)((char *)c -
				    offsetof(struct scsi_task, scsi_priv));
}

/* Per-worker state. */
#define SCSI_WORKER_MAX_ENGINES 8
#define SCSI_SCRATCH_LEN (256 * 1024)
_Static_assert(8 * (16384 + 2) + 16 <= SCSI_SCRATCH_LEN,
	       "REPORT LUNS of a full view sorts and emits in the scratch");
struct scsi_worker {
	unsigned int depth;
	unsigned int n_eng;
	struct {
		const struct srptd_backend_ops *ops;
		struct srptd_backend_ctx *ctx;
	} eng[SCSI_WORKER_MAX_ENGINES];
	int efd; /* eventfd: tasks resumed from other threads */
	atomic_bool kicked; /* efd was written: skip the read() otherwise */
	pthread_mutex_t rlock;
	struct scsi_list resumed; /* scsi_cmd.wnode, under rlock */
	struct scsi_list retry; /* -EAGAIN submissions, worker-local */
	/* Commands with an I/O in a backend, oldest first (stuck.c). */
	struct scsi_list in_backend;
	unsigned int stuck_now; /* of those, past the threshold */
	uint64_t stuck_total; /* I/Os ever seen past the threshold */
	uint8_t *scratch; /* emulated data-in / parameter lists */
	/*
	 * Capacities this worker was told of by message since their LU was
	 * created (scsi_worker_set_capacity()), by scsi_lu_stats_id(): only
	 * this worker's thread reads or writes them.
	 */
	struct scsi_worker_cap {
		uint64_t lu_id;
		uint64_t nblocks;
	} * caps;
	unsigned int n_caps;
};

/* task.c */
enum scsi_sr scsi_invalid_cdb(struct scsi_cmd *c, unsigned int byte, int bit);
enum scsi_sr scsi_invalid_param(struct scsi_cmd *c, unsigned int byte, int bit);
/*
 * Release what a task held, set status and sense, and complete it.  A
 * GOOD command that holds nothing (every plain READ and WRITE) only has
 * its status set here, inline; the rest is scsi_task_finish_slow()'s.
 */
void scsi_task_finish_slow(struct scsi_task *t, struct scsi_cmd *c,
			   enum scsi_sr sr);
static inline void scsi_task_finish(struct scsi_task *t, enum scsi_sr sr)
{
	struct scsi_cmd *c = scsi_cmd(t);

	if (sr != SCSI_SR_OK || c->trim_iov || c->xc || c->bounce ||
	    (c->flags & (SCSI_CMD_F_RANGE | SCSI_CMD_F_EMU_DATA))) {
		scsi_task_finish_slow(t, c, sr);
	} else {
		t->status = SAM_STAT_GOOD;
		t->sense_len = 0;
	}
	t->complete(t);
}
size_t scsi_iov_copy_from(const struct scsi_task *t, size_t off, void *dst,
			  size_t len);
size_t scsi_iov_copy_to(struct scsi_task *t, size_t off, const void *src,
			size_t len);
/*
 * lu's capacity in blocks as worker w serves it (w may be NULL).  The
 * small accessors of the command path are inline: a call each was a few
 * percent of the engine's instructions per 4K READ (doc/performance.md
 * "Host loopback guard").
 */
static inline uint64_t scsi_lu_nblocks(const struct scsi_worker *w,
				       const struct scsi_lu *lu)
{
	const struct scsi_worker_cap *p, *end;

	/* Mostly no resize was told: one test, no loop set up. */
	if (!w || !w->n_caps)
		return lu->nblocks;
	end = w->caps + w->n_caps;
	for (p = w->caps; p < end; p++)
		if (p->lu_id == lu->stats_id)
			return p->nblocks;
	return lu->nblocks;
}

bool scsi_cmd_read_only(const struct scsi_cmd *c);

/*
 * stuck.c: backend I/Os outstanding too long.  Every submission and
 * completion passes here, so the list operations are inline; no clock
 * is read per I/O (scsi_worker_check_stuck() gives the I/Os their time).
 */
static inline void scsi_backend_track(struct scsi_worker *w, struct scsi_cmd *c)
{
	/* The one store: submit_ns waits for a check. */
	c->io_age = SCSI_IO_UNTIMED;
	scsi_list_add_tail(&w->in_backend, &c->bnode);
}

/* Take c off the list (scsi_list_del()); if SCSI_IO_STUCK, then this. */
void scsi_backend_untrack_stuck(struct scsi_worker *w, struct scsi_cmd *c);
/* scsi_worker_check_stuck() at a given time now (tests/unit/scsi). */
void scsi_worker_check_stuck_at(struct scsi_worker *w, uint64_t threshold_ms,
				uint64_t now, struct scsi_stuck_stats *st);

/*
 * itn.c.  The LUN lookup of every command is a binary search over the
 * view, sorted by LUN (scsi_view_alloc()); inline, as the accessors above.
 */
static inline struct scsi_view_ent *scsi_view_find(struct scsi_itn_view *v,
						   uint64_t lun)
{
	struct scsi_view_ent *e;
	unsigned int n;

	if (!v || !v->n)
		return NULL;
	/*
	 * If lun is in the view, its entry is among the n from e: keep the
	 * half that must hold it until one is left, then compare once (one
	 * compare per halving; a view of one LUN takes no step).
	 */
	e = v->ent;
	for (n = v->n; n > 1; n -= n / 2)
		if (e[n / 2].lun <= lun)
			e += n / 2;
	return e->lun == lun ? e : NULL;
}

static inline struct scsi_view_ent *scsi_itn_find(struct scsi_itn *itn,
						  uint64_t lun)
{
	return scsi_view_find(scsi_itn_cur_view(itn), lun);
}
/* Pinned entries keep their view alive (scsi.h scsi_itn_view_put()). */
static inline void scsi_view_ent_pin(struct scsi_view_ent *ve)
{
	if (atomic_fetch_add(&ve->inflight, 1) == 0)
		atomic_fetch_add(&ve->view->refs, 1);
}

static inline void scsi_view_ent_unpin(struct scsi_view_ent *ve)
{
	if (atomic_fetch_sub(&ve->inflight, 1) == 1)
		scsi_itn_view_put(ve->view);
}

static inline bool scsi_ua_pending(struct scsi_view_ent *ve)
{
	return atomic_load_explicit(&ve->ua_count, memory_order_acquire) != 0;
}
uint16_t scsi_ua_pop(struct scsi_view_ent *ve);
void scsi_ua_push_locked(struct scsi_view_ent *ve, uint16_t asc_ascq);
void scsi_lu_queue_ua_others_locked(struct scsi_lu *lu,
				    const struct scsi_itn *except,
				    uint16_t asc_ascq);
void scsi_itn_clear_ua(struct scsi_itn *itn, uint16_t asc_ascq);

/*
 * lu.c.  The worker's context for an engine: found among those it has
 * inline (every submission looks it up), created out of line on first
 * use.  0 or -errno.
 */
int scsi_worker_ctx_create(struct scsi_worker *w,
			   const struct srptd_backend_ops *ops,
			   struct srptd_backend_ctx **ctx);
static inline int scsi_worker_ctx(struct scsi_worker *w,
				  const struct srptd_backend_ops *ops,
				  struct srptd_backend_ctx **ctx)
{
	for (unsigned int i = 0; i < w->n_eng; i++) {
		if (w->eng[i].ops == ops) {
			*ctx = w->eng[i].ctx;
			return 0;
		}
	}
	return scsi_worker_ctx_create(w, ops, ctx);
}
/*
 * lu.c: a backend completion, a submission the engine refused, and every
 * step of a submission that scsi_submit_io() below does not take inline.
 */
void scsi_io_done(struct srptd_io *io, int res);
enum scsi_sr scsi_submit_refused(struct srptd_io *io, int ret);
enum scsi_sr scsi_submit_io_slow(struct scsi_task *t, struct scsi_cmd *c);

/*
 * Hand c->io, ready, to the engine.  It is tracked before the engine sees
 * it, which is safe as it completes from ctx_poll() only, never inside
 * submit (include/srptd/backend.h): then only io is needed after the
 * call, and one register is saved around it instead of three
 * (doc/performance.md "Host loopback guard").
 */
static inline enum scsi_sr scsi_submit_engine(struct scsi_task *t,
					      struct scsi_cmd *c)
{
	struct srptd_io *io = &c->io;
	int ret;

	io->complete = scsi_io_done;
	io->cb_arg = t;
	scsi_backend_track(t->worker, c);
	ret = io->bdev->ops->submit(c->ctx, io);
	if (ret)
		return scsi_submit_refused(io, ret);
	return SCSI_SR_ASYNC;
}

/*
 * Submit c->io (already filled) on the task's worker; SR_ASYNC or error.
 * The iov handed to the engine must sum to io.length: when the task's iov
 * is longer, the entry where the I/O ends is shortened for the duration
 * (restored in scsi_io_done / scsi_task_finish).  Inline, with only the
 * worker's first engine and a one-entry iov handled here: the handler
 * that filled c->io has its fields in registers (doc/performance.md
 * "Host loopback guard").
 */
static inline enum scsi_sr scsi_submit_io(struct scsi_task *t,
					  struct scsi_cmd *c)
{
	struct srptd_io *io = &c->io;
	struct scsi_worker *w = t->worker;

	c->submit_err = 0;
	/*
	 * The worker's first engine inline, whatever c->ctx holds (most
	 * workers serve only one); any other, or its creation, is
	 * scsi_submit_io_slow()'s.
	 */
	if (unlikely(!w->n_eng || w->eng[0].ops != io->bdev->ops))
		return scsi_submit_io_slow(t, c);
	c->ctx = w->eng[0].ctx;
	if (likely(io->iov == t->iov && io->iovcnt && !c->trim_iov)) {
		/* Mostly the first entry is the whole I/O: no walk then. */
		if (unlikely(t->iov[0].iov_len != io->length))
			return scsi_submit_io_slow(t, c);
		io->iovcnt = 1;
	}
	return scsi_submit_engine(t, c);
}

/* Range lock: true if acquired; false: queued, c->resume runs later. */
bool scsi_range_acquire(struct scsi_task *t, struct scsi_cmd *c);
void scsi_range_release(struct scsi_task *t, struct scsi_cmd *c);
bool scsi_itn_same_nexus(const uint8_t *i_id, const uint8_t *t_id,
			 const struct scsi_itn *itn);

/* pr.c */
bool scsi_pr_conflict(struct scsi_task *t, struct scsi_cmd *c);
/* Would a command of class prc from itn conflict on lu?  (Takes lock.) */
bool scsi_pr_conflict_lu(struct scsi_lu *lu, const struct scsi_itn *itn,
			 uint8_t prc, bool res2_allowed);
void scsi_res2_release_locked(struct scsi_lu *lu);
/*
 * Is op one this LU refuses (SCSI_PR_REFUSED and SCSI_OPF_RESV)?  The
 * first refusal on the LU is logged.
 */
bool scsi_pr_refused(struct scsi_lu *lu, const struct scsi_opdesc *op);
/* The same without logging (REPORT SUPPORTED OPERATION CODES). */
bool scsi_pr_op_hidden(const struct scsi_lu *lu, const struct scsi_opdesc *op);
/* Load the LU's saved APTPL state, if any (scsi_lu_create()). */
void scsi_pr_load(struct scsi_lu *lu);
enum scsi_sr spc_reserve(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_release(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_pr_in(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_pr_out(struct scsi_task *t, struct scsi_cmd *c);

/* spc.c: parse helpers and emulated commands. */
enum scsi_sr scsi_parse_none(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_alloc_8(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_alloc_16(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_alloc_32(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_param_8(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_param_16(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr scsi_parse_param_32(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_tur(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_request_sense(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_inquiry(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_mode_sense(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_mode_select(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_report_luns(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_report_tpgs(struct scsi_task *t, struct scsi_cmd *c);
/*
 * alua.c: may the LU's access state run this command (SPC-4 5.16.2.4)?
 * Both active states serve every command (5.16.2.4.2/3): that test is
 * inline, the others' lists out of line.
 */
enum scsi_sr scsi_alua_check_inactive(unsigned int st, const uint8_t *cdb);
static inline enum scsi_sr scsi_alua_check(const struct scsi_lu *lu,
					   const uint8_t *cdb)
{
	unsigned int st =
		atomic_load_explicit(&lu->alua_state, memory_order_relaxed);

	if (st <= SCSI_ALUA_STATE_ANO)
		return SCSI_SR_OK;
	return scsi_alua_check_inactive(st, cdb);
}
void scsi_alua_init(struct scsi_lu *lu, const struct scsi_lu_params *p);
enum scsi_sr spc_report_opcodes(struct scsi_task *t, struct scsi_cmd *c);
void scsi_build_sense(uint8_t *buf, uint8_t *len, bool desc, uint8_t key,
		      uint16_t asc_ascq, const struct scsi_cmd *c);

/* sbc.c */
enum scsi_sr sbc_parse_rw6(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_rw10(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_rw12(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_rw16(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_verify(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_sync(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_write_same(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_caw(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_unmap(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_prefetch(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_prefetch(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_rc16(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_parse_rc10(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_read(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_write(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_verify(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_sync_cache(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_write_same(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_caw(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_unmap(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_read_capacity_10(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_read_capacity_16(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr sbc_start_stop(struct scsi_task *t, struct scsi_cmd *c);

/* Limits advertised in VPD 0xB0 and enforced by sbc.c. */
#define SCSI_MAX_CAW_BLOCKS 8
#define SCSI_MAX_UNMAP_DESCS 256
/*
 * 1 Mi blocks per UNMAP descriptor (512 MiB at 512-byte blocks): SBC-3
 * 6.5.3 sets no bound, but initiators' conformance suites flag larger
 * explicit limits as implausible (doc/scsi-conformance.md).
 */
#define SCSI_MAX_UNMAP_LBAS 0x100000u
#define SCSI_MAX_WRITE_SAME_LBAS 0x400000u
#define SCSI_CHUNK_BYTES (1024u * 1024u) /* WRITE SAME / VERIFY chunk */

/*
 * xcopy.c: EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (SPC-4 6.4,
 * 6.18).  Limits reported by OPERATING PARAMETERS and enforced: CSCD and
 * segment descriptor counts, their total length, the bytes one segment
 * may copy (so one command moves at most 16 x 32 MiB, in chunks of
 * SCSI_CHUNK_BYTES).
 */
#define SCSI_XCOPY_MAX_CSCDS 4
#define SCSI_XCOPY_MAX_SEGS 16
#define SCSI_XCOPY_MAX_DESC_LIST 1024
#define SCSI_XCOPY_MAX_SEG_BYTES (32u * 1024u * 1024u)
_Static_assert(SCSI_XCOPY_MAX_CSCDS * 32 + SCSI_XCOPY_MAX_SEGS * 28 <=
		       SCSI_XCOPY_MAX_DESC_LIST,
	       "a list of the most descriptors fits the length limit");
struct scsi_xcopy;
enum scsi_sr spc_xcopy(struct scsi_task *t, struct scsi_cmd *c);
enum scsi_sr spc_receive_copy_results(struct scsi_task *t, struct scsi_cmd *c);
/* From scsi_task_finish(): release what the copy holds; final reason. */
enum scsi_sr scsi_xcopy_end(struct scsi_task *t, struct scsi_cmd *c,
			    enum scsi_sr sr);

#endif
