/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The life cycle of one SRP request (an SRP_CMD or SRP_TSK_MGMT IU held
 * by a channel): its states, the one function that moves it between them
 * (srp_req_set_state(), inline in srp_int.h, checked against
 * srp_req_from[] there), and the one function that drives it forward
 * (srp_req_process()).
 *
 * SRP_CMD:
 *   FREE -> NEW -> NEED_BUFFER -> [READ_TABLE ->] RDMA_READ ->
 *   READY_TO_EXECUTE -> EXECUTING -> RDMA_WRITE -> SEND_RSP -> DONE -> FREE
 * An error found before execution (srp_cmd.c srp_req_fail(), or a status
 * the SCSI layer set at parse) goes NEW -> RDMA_WRITE; descriptors found
 * short while fetching go READ_TABLE/RDMA_READ -> RDMA_WRITE.
 * SRP_TSK_MGMT: FREE -> NEW -> TMF_WAIT -> RDMA_WRITE -> SEND_RSP -> DONE.
 *
 * Events (each records what happened, then calls srp_req_process()):
 *  - the IU arrived (srp_channel.c takes a request, srp_req_alloc()):
 *    srp_req_start_cmd() / srp_req_start_tmf();
 *  - a resource came back: chunks (srp_worker.c), RDMA READ depth or send
 *    queue room (srp_int.h srp_ch_kick_waiters());
 *  - a signalled work request completed: srp_req_rdma_done(),
 *    srp_req_send_done() (srp_cmd.c); the SEND of the response moves
 *    the request to DONE and takes DONE's step without a pass of the
 *    loop (srp_req_sent());
 *  - SCSI completed the task: srp_req_task_done();
 *  - the victims of a TMF ended: srp_tmf_victim_done() (srp_tmf.c);
 *  - abort: task management marks the request aborted (srp_tmf.c), the
 *    channel's disconnect marks every request aborted, its drain ends
 *    them (srp_req_kill()).
 *
 * Abort and disconnect may arrive in any state.  The first step of
 * srp_req_process() ends an aborted request (or any request of a
 * disconnecting channel) at the first point where neither the fabric
 * (wr_pending) nor SCSI (EXECUTING) nor a TMF's victims (TMF_WAIT) hold
 * it: straight to DONE, without a response (SAM-5 7.1: an aborted task
 * gets no status).  tests/unit/srp/test_srp_req.c walks every state.
 *
 * Attributes of a request that are not its state (struct srp_req):
 *  - aborted: no response will be sent.  Orthogonal: an abort arrives in
 *    any state and the request still has to pass the states where the
 *    fabric or SCSI hold it before it can end; a state of its own would
 *    have to be one per holder (aborted-executing, aborted-reading, ...).
 *  - wr_pending: the fabric holds a signalled WR of the request, whose
 *    completion comes back.  Orthogonal to the step that posted it
 *    (READ_TABLE, RDMA_READ, RDMA_WRITE, SEND_RSP) and cleared by a
 *    drain without a completion.
 *  - on_wait: queued on the wait list of the resource its state needs
 *    (NEED_BUFFER: worker chunks, READ_TABLE/RDMA_READ: RDMA READ depth,
 *    RDMA_WRITE: send queue room); a request in those states is not
 *    queued while the resource is there.
 *  - in_process: srp_req_process() is on the stack (an event raised from
 *    inside it, e.g. a synchronous SCSI completion, must not recurse).
 *  - no_credit: arrived beyond the granted credits (how it came in).
 *  - early_status: status and sense are set before execution (how it is
 *    answered: no data moves, residuals count everything).
 */
#include <string.h>

#include "log.h"
#include "srp/srp_int.h"
#include "util.h"

#define B(s) (1u << (s))

static const char *const srp_req_state_names[SRP_REQ_N_STATES] = {
	[SRP_REQ_FREE] = "FREE",
	[SRP_REQ_NEW] = "NEW",
	[SRP_REQ_NEED_BUFFER] = "NEED_BUFFER",
	[SRP_REQ_READ_TABLE] = "READ_TABLE",
	[SRP_REQ_RDMA_READ] = "RDMA_READ",
	[SRP_REQ_READY_TO_EXECUTE] = "READY_TO_EXECUTE",
	[SRP_REQ_EXECUTING] = "EXECUTING",
	[SRP_REQ_TMF_WAIT] = "TMF_WAIT",
	[SRP_REQ_RDMA_WRITE] = "RDMA_WRITE",
	[SRP_REQ_SEND_RSP] = "SEND_RSP",
	[SRP_REQ_DONE] = "DONE",
};

const char *srp_req_state_name(enum srp_req_state s)
{
	return (unsigned int)s < SRP_REQ_N_STATES ? srp_req_state_names[s] :
						    "?";
}

bool srp_req_transition_allowed(enum srp_req_state from, enum srp_req_state to)
{
	if ((unsigned int)from >= SRP_REQ_N_STATES ||
	    (unsigned int)to >= SRP_REQ_N_STATES)
		return false;
	return srp_req_from[to] & B(from);
}

/* A transition srp_req_from[] does not allow (srp_req_set_state()). */
bool srp_req_refuse_state(struct srp_req *req, enum srp_req_state s)
{
	pr_err("request tag %#llx: illegal transition %s -> %s",
	       (unsigned long long)req->ci.tag, srp_req_state_name(req->state),
	       srp_req_state_name(s));
	return false;
}

/* ---- the channel's request pool: FREE <-> NEW, DONE -> FREE ---------- */

/* A request for the IU in rv, NEW; NULL if the pool is empty. */
struct srp_req *srp_req_alloc(struct srp_channel *ch, struct srp_recv *rv)
{
	struct srp_req *r = ch->free_reqs;

	if (!r)
		return NULL;
	ch->free_reqs = r->next_free;
	srp_req_set_state(r, SRP_REQ_NEW);
	r->recv = rv;
	r->table = rv->table;
	r->in_process = r->wr_pending = r->aborted = false;
	r->no_credit = r->on_wait = r->early_status = false;
	r->nchunks = 0;
	r->buf_len = r->xfer_done = r->xfer_total = 0;
	r->do_desc_len = r->di_desc_len = 0;
	r->rd_slots = r->sq_slots = 0;
	r->tmf = NULL;
	r->tmf_victims = 0;
	r->lu_id = 0;
	r->prev_active = NULL;
	r->next_active = ch->active;
	if (ch->active)
		ch->active->prev_active = r;
	ch->active = r;
	ch->n_active++;
	srp_wstat_add(&ch->w->stats.reqs_active, 1);
	return r;
}

/*
 * DONE: give back what the request holds (chunks, its credit if it was
 * not answered, its TMF's wait, the receive) and return it to the pool.
 */
static void srp_req_free(struct srp_req *r)
{
	struct srp_channel *ch = r->ch;

	if (r->nchunks)
		srp_worker_put_chunks(ch->w, r);
	/* SCSI is done with it: its LUN may be unmapped and closed now. */
	scsi_task_release(&r->task);
	if (r->aborted && !r->no_credit && ch->state < SRP_CH_DISCONNECTING) {
		/* No response: return its credit with the next one. */
		ch->withheld++;
		ch->outstanding--;
	}
	if (r->tmf)
		srp_tmf_victim_done(r);
	if (r->prev_active)
		r->prev_active->next_active = r->next_active;
	else
		ch->active = r->next_active;
	if (r->next_active)
		r->next_active->prev_active = r->prev_active;
	ch->n_active--;
	srp_wstat_add(&ch->w->stats.reqs_active, -1);
	if (r->recv)
		srp_channel_repost(ch, r->recv);
	r->recv = NULL;
	srp_req_set_state(r, SRP_REQ_FREE);
	r->next_free = ch->free_reqs;
	ch->free_reqs = r;
	srp_channel_return_credits(ch);
	srp_channel_req_freed(ch);
}

/* SCSI completed the task (scsi_task.complete, on the worker thread). */
void srp_req_task_done(struct scsi_task *t)
{
	struct srp_req *req = t->transport_priv;

	srp_req_set_state(req, SRP_REQ_RDMA_WRITE);
	/* Synchronous completion inside scsi_task_execute(): the running
	 * srp_req_process() sees the new state. */
	if (!req->in_process)
		srp_req_process(req);
}

/* Channel lost and drained, or aborted: end without a response. */
void srp_req_kill(struct srp_req *req)
{
	req->aborted = true;
	srp_req_process(req);
}

/* Off the wait list of the resource its state waits for. */
static void srp_req_unwait(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;

	if (!req->on_wait)
		return;
	switch (req->state) {
	case SRP_REQ_NEED_BUFFER:
		srp_worker_unwait(ch->w, req);
		break;
	case SRP_REQ_READ_TABLE:
	case SRP_REQ_RDMA_READ:
		srp_channel_unwait(&ch->rd_wait_head, &ch->rd_wait_tail, req);
		break;
	default:
		srp_channel_unwait(&ch->sq_wait_head, &ch->sq_wait_tail, req);
		break;
	}
}

/*
 * DONE's step: the request ends (srp_req_process()'s loop, or
 * srp_req_sent() for the SEND of its response).  A channel going away
 * makes it an aborted one, as the abort step at the top of the loop
 * would in DONE (no WR of it is pending in DONE).
 */
static void srp_req_step_done(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;

	if (ch->state >= SRP_CH_DISCONNECTING)
		req->aborted = true;
	srp_req_unwait(req);
	req->in_process = false;
	if (req->aborted) {
		srp_wstat_add(&ch->w->stats.aborted, 1);
		srp_stats_aborted(req);
	}
	srp_req_free(req); /* req (and maybe ch) is gone */
}

/*
 * The SEND of the response completed (srp_req_send_done()): DONE, whose
 * step follows at once.  DONE waits for nothing and only ends the
 * request, so a pass of srp_req_process() would take the abort step
 * (which srp_req_step_done() repeats for DONE) and then this step: the
 * pass is left out (doc/performance.md "Host loopback guard").  Inside
 * srp_req_process() (a completion from within a post), or if the
 * transition is refused, the loop decides as before.
 */
void srp_req_sent(struct srp_req *req)
{
	if (srp_req_set_state(req, SRP_REQ_DONE) && !req->in_process)
		srp_req_step_done(req);
	else
		srp_req_process(req);
}

static void srp_req_execute(struct srp_req *req)
{
	struct scsi_task *t = &req->task;

	if (t->dir == SCSI_DIR_WRITE && req->ci.dout.fmt == SRP_DATA_DESC_IMM)
		t->iovcnt = 1;
	else
		t->iovcnt = req->nchunks;
	t->iov = req->iov;
	t->buf_len = t->xfer_len;
	srp_req_set_state(req, SRP_REQ_EXECUTING);
	scsi_task_execute(t);
}

/*
 * States that only an event leaves (SCSI's completion, the SEND's
 * completion): a pass of srp_req_process() there does nothing, its abort
 * step included (SCSI holds the task, or the SEND is pending), so the
 * loop stops without one.
 */
#define SRP_REQ_HELD (B(SRP_REQ_EXECUTING) | B(SRP_REQ_SEND_RSP))

/*
 * Move req forward while it can: loops while the state changes, returns
 * when the request waits for an event.  The only caller of the steps,
 * but for DONE's, which srp_req_sent() takes too.
 *
 * NEW, NEED_BUFFER and RDMA_READ go on to the next state's step in the
 * same pass when they advance: none of them can abort the request or
 * disconnect the channel before it advances (RDMA_READ advances only
 * when it posts nothing), so the abort step at the top of another pass
 * would decide as it did at the top of this one.  A command passes the
 * loop three times instead of eight (doc/performance.md "Host loopback
 * guard").
 */
void srp_req_process(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	enum srp_req_state prev;

	if (req->in_process)
		return;
	req->in_process = true;
	do {
		prev = req->state;
		/*
		 * Aborted (TMF), or the channel is going away: stop at the
		 * first point where no WR of ours is outstanding and SCSI
		 * does not own the task.  No response is sent.
		 */
		if ((req->aborted || ch->state >= SRP_CH_DISCONNECTING) &&
		    req->state != SRP_REQ_FREE &&
		    req->state != SRP_REQ_EXECUTING &&
		    req->state != SRP_REQ_TMF_WAIT && !req->wr_pending) {
			if (ch->state >= SRP_CH_DISCONNECTING)
				req->aborted = true;
			srp_req_unwait(req);
			if (req->state != SRP_REQ_DONE)
				srp_req_set_state(req, SRP_REQ_DONE);
		}
		switch (req->state) {
		case SRP_REQ_FREE:
			break;
		case SRP_REQ_NEW:
			if (req->opcode == SRP_TSK_MGMT) {
				srp_req_set_state(req, SRP_REQ_TMF_WAIT);
				break;
			}
			if (req->early_status) {
				srp_req_set_state(req, SRP_REQ_RDMA_WRITE);
				break;
			}
			srp_req_set_state(req, SRP_REQ_NEED_BUFFER);
			__attribute__((fallthrough));
		case SRP_REQ_NEED_BUFFER:
			if (srp_worker_get_chunks(ch->w, req, req->buf_len))
				break;
			if (srp_req_needs_table(req)) {
				srp_req_set_state(req, SRP_REQ_READ_TABLE);
				break;
			}
			srp_req_set_state(req, SRP_REQ_RDMA_READ);
			__attribute__((fallthrough));
		case SRP_REQ_RDMA_READ:
			srp_req_step_read(req);
			if (req->state != SRP_REQ_READY_TO_EXECUTE)
				break;
			__attribute__((fallthrough));
		case SRP_REQ_READY_TO_EXECUTE:
			srp_req_execute(req);
			break;
		case SRP_REQ_READ_TABLE:
			srp_req_step_table(req);
			break;
		case SRP_REQ_EXECUTING:
			break;
		case SRP_REQ_TMF_WAIT:
			if (!req->tmf_victims)
				srp_req_set_state(req, SRP_REQ_RDMA_WRITE);
			break;
		case SRP_REQ_RDMA_WRITE:
			srp_req_step_write(req);
			break;
		case SRP_REQ_SEND_RSP:
			break;
		case SRP_REQ_DONE:
			srp_req_step_done(req);
			return; /* req (and maybe ch) is gone */
		case SRP_REQ_N_STATES:
			break;
		}
	} while (req->state != prev && !(B(req->state) & SRP_REQ_HELD));
	req->in_process = false;
}
