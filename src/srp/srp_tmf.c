/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP_TSK_MGMT (SRP r16a 6.9, SAM-5 7).  What it guarantees, and the
 * Linux ib_srp behaviour behind each rule, is doc/srp-protocol.md 16.
 *
 * Functions (a LUN the nexus does not see: FUNCTION FAILED; a LUN field
 * that does not decode: INVALID FIELDS):
 *  - ABORT TASK: the command of this I_T_L nexus with task_tag is
 *    aborted.  A tag that matches nothing (the command already answered)
 *    completes with FUNCTION COMPLETE as SAM-5 7.2 requires.
 *  - ABORT TASK SET: every command of this I_T_L nexus is aborted.
 *  - LOGICAL UNIT RESET: nothing of this nexus is aborted: the TM
 *    response waits until every command of the LUN on this nexus has
 *    been answered, then the SCSI layer resets the logical unit's state
 *    (scsi_lu_reset(): the 29/03 unit attention for the other nexuses).
 *    Linux's ib_srp does not complete the commands a reset sent from an
 *    ioctl (sg_reset -d) leaves outstanding, so a silently aborted one
 *    would time out there and fail with DID_TIME_OUT.
 *  - CLEAR TASK SET, CLEAR ACA and unknown functions: FUNCTION NOT
 *    SUPPORTED (LIO answers the same; srptd never establishes ACA since
 *    it reports NormACA = 0).
 *
 * Aborted commands get no SRP_RSP (SAM-5: the nexus that sent the TMF gets
 * no status for them; ib_srp has already given up their tags and may have
 * reused them).  Their credits go back with the next response (SRP r16a
 * 5.4), at the latest the TM response.  The TM response is sent only when
 * every aborted command has finished, including backend I/O in flight
 * (EXECUTING commands cannot be recalled from the backend: we wait for
 * their completion), so no data moves for them after the initiator saw
 * the TM complete.  Commands whose response is already being sent
 * (RDMA_WRITE/SEND_RSP) are complete, not aborted.
 *
 * Scope: every live channel of the nexus, on every worker (the other
 * workers by message, see "other workers" below).  Channels already
 * disconnecting (the initiator reconnected after an error) are out of
 * scope: their commands get no response anyway and finish with their
 * channel, and the new channel's TM response must not wait for the old
 * channel's backend I/O or drain (ib_srp gives a TMF SRP_ABORT_TIMEOUT_MS,
 * 5 s, then escalates to a host reset, i.e. yet another reconnect).
 * Commands of OTHER nexuses on a reset LUN are not aborted: they complete
 * normally and those nexuses get the 29/03 unit attention from
 * scsi_lu_reset().  SAM-5 would abort them (silently with TAS = 0, which
 * is what the control mode page reports), leaving their initiators to
 * time out; finishing them is the gentler choice.
 *
 * A second TMF for a command a first one still waits for (ib_srp sends
 * one TMF at a time per target port and waits 5 s for it, so only after
 * a timeout) aborts it if it is an abort and waits too (srp_tmf_hold()).
 */
#include <stdlib.h>

#include "log.h"
#include "loop.h"
#include "srp/srp_int.h"
#include "util.h"

/*
 * A command of the task set a TMF looks at: not yet answered, on a live
 * channel.  A dying channel's commands are already aborted (no response
 * will go out), whether we or the initiator started the disconnect; they
 * end with their channel.  Waiting for them would tie the TM response,
 * and a new channel of a re-login, to the old channel's backend I/O and
 * drain.
 */
static bool srp_tmf_in_set(const struct srp_req *r)
{
	if (r->opcode != SRP_CMD || r->ch->state >= SRP_CH_DISCONNECTING)
		return false;
	return (r->state >= SRP_REQ_NEW && r->state <= SRP_REQ_EXECUTING) ||
	       r->state == SRP_REQ_RDMA_WRITE || r->state == SRP_REQ_SEND_RSP;
}

/*
 * tmf waits until victim ended.  A command whose response is on its way
 * (RDMA_WRITE/SEND_RSP) is complete, not aborted, but the TM response
 * still waits until its SEND completed: on another channel (another QP)
 * nothing orders the two, and a response arriving after the TM response
 * could meet a tag the initiator already reused.
 *
 * A victim holds one waiter (->tmf).  One that another TMF already holds
 * (a LUN RESET waiting for it, then ABORT TASK once ib_srp's 5 s ran
 * out) makes tmf wait for the last TMF of that chain instead, which ends
 * after the victim did; the chain stays on this worker (a victim's
 * waiter is a TMF or a proxy of its own worker).
 */
static void srp_tmf_hold(struct srp_req *tmf, struct srp_req *victim)
{
	struct srp_req *x;

	for (x = victim; x->tmf; x = x->tmf)
		if (x->tmf == tmf)
			return; /* already waiting for that chain */
	x->tmf = tmf;
	tmf->tmf_victims++;
}

/*
 * The channels a TMF looks at on one worker: own (the channel that
 * received it, first; NULL on the other workers), then every other live
 * channel of the nexus on the worker's list (worker-owned, see
 * srp_engine.h "Threading").  The walk never comes back to own: it ends
 * at the end of the list.
 */
struct srp_tmf_scope {
	struct srp_worker *w;
	struct srp_nexus *nx;
	struct srp_channel *own;
};

static struct srp_channel *srp_tmf_next_ch(const struct srp_tmf_scope *s,
					   struct srp_channel *ch)
{
	if (!ch && s->own)
		return s->own;
	ch = !ch || ch == s->own ? s->w->channels : ch->next_in_worker;
	while (ch && (ch == s->own || ch->nexus != s->nx ||
		      ch->state >= SRP_CH_DISCONNECTING))
		ch = ch->next_in_worker;
	return ch;
}

/*
 * Mark the victims of tmf (the TMF itself, or its proxy on another
 * worker) in scope, all first: running them may free slots.  ABORT TASK
 * stops at the first match; true if it found one.
 *
 * ABORT TASK and ABORT TASK SET abort what has not started to answer.
 * LOGICAL UNIT RESET aborts nothing of its own nexus: it waits until
 * every command of the LUN has been answered (doc/srp-protocol.md 16):
 * Linux's ib_srp leaves the commands a reset from an ioctl did not own
 * outstanding, and a command that gets no response times out there
 * (DID_TIME_OUT).
 */
static bool srp_tmf_collect(struct srp_req *tmf, const struct srp_tmf_scope *s)
{
	bool by_tag = tmf->tmi.func == SRP_TSK_ABORT_TASK;
	bool drain = tmf->tmi.func == SRP_TSK_LUN_RESET;
	struct srp_channel *ch = NULL;
	struct srp_req *r;

	while ((ch = srp_tmf_next_ch(s, ch))) {
		for (r = ch->active; r; r = r->next_active) {
			if (r == tmf || !srp_tmf_in_set(r))
				continue;
			/* Arrived after the TMF (on another worker, before its
			 * message): a new task, not in the task set. */
			if (r->arrived_ns > tmf->arrived_ns)
				continue;
			/* SAM-5 7.2: the task of this I_T_L nexus with the tag. */
			if (r->ci.lun_err || r->ci.lun != tmf->tmi.lun)
				continue;
			if (by_tag && r->ci.tag != tmf->tmi.task_tag)
				continue;
			if (!drain && !r->aborted &&
			    r->state <= SRP_REQ_EXECUTING) {
				r->aborted = true;
				pr_debug(LOG_C_SRP,
					 "abort tag %#llx (state %d)",
					 (unsigned long long)r->ci.tag,
					 r->state);
			}
			srp_tmf_hold(tmf, r);
			if (by_tag)
				return true;
		}
	}
	return false;
}

/*
 * End the aborted commands in scope that no event would wake (waiting
 * for a buffer, READ depth or SQ room), whichever TMF aborted them;
 * those with a WR outstanding end at its completion, EXECUTING ones when
 * SCSI completes them.  Restart after each: ending one may run others.
 */
static void srp_tmf_run_victims(const struct srp_tmf_scope *s)
{
	struct srp_channel *ch;
	struct srp_req *r;

	do {
		r = NULL;
		ch = NULL;
		while (!r && (ch = srp_tmf_next_ch(s, ch)))
			for (r = ch->active; r; r = r->next_active)
				if (r->opcode == SRP_CMD && r->aborted &&
				    r->state != SRP_REQ_EXECUTING &&
				    !r->wr_pending && !r->in_process)
					break;
		if (r)
			srp_req_process(r);
	} while (r);
}

/* ---- other workers ------------------------------------------------------ */

/*
 * The nexus's channels may sit on several workers (logins are spread
 * round robin, and ib_srp sends LUN RESET on its channel 0 whatever
 * channel the I/O runs on).  Commands of the other workers must be
 * aborted too before the TM response goes out: ib_srp completes the
 * LUN's outstanding commands itself once the TMF succeeded and reuses
 * their tags, so a late response of an old command would complete a new
 * one (SAM-5 7.1: the function completes after the tasks are aborted).
 *
 * The worker that received the TMF sends each other worker a
 * srp_tmf_remote; there a proxy request stands in for the TMF as the
 * victims' ->tmf, and when the last of them has ended the message goes
 * back and counts as one victim of the real TMF.  TMFs are rare: one
 * allocation per worker and TMF.  The engine's worker list is only
 * changed at start-up and shut-down, with no channel left, so reading
 * it from a worker is safe.
 */
struct srp_tmf_remote {
	struct srp_req proxy; /* ->ch NULL marks a proxy */
	struct srp_req *tmf; /* home worker's */
	struct srp_worker *home, *w;
	struct srp_nexus *nx;
	bool busy; /* collecting or running victims */
};

static void srp_tmf_remote_done_msg(void *arg)
{
	struct srp_tmf_remote *rm = arg;
	struct srp_req *tmf = rm->tmf;

	free(rm);
	if (--tmf->tmf_victims == 0)
		srp_req_process(tmf);
}

static void srp_tmf_remote_reply(struct srp_tmf_remote *rm)
{
	/* A later TMF of this worker waiting for this one goes first. */
	if (rm->proxy.tmf)
		srp_tmf_victim_done(&rm->proxy);
	if (!rm->home) {
		/* A PREEMPT AND ABORT: nobody waits for an answer. */
		free(rm);
		return;
	}
	if (loop_send(rm->home->loop, srp_tmf_remote_done_msg, rm))
		pr_err("TMF tag %#llx: cannot answer the worker that received it",
		       (unsigned long long)rm->proxy.tmi.tag);
}

/* On one of the other workers. */
static void srp_tmf_remote_msg(void *arg)
{
	struct srp_tmf_remote *rm = arg;
	struct srp_tmf_scope s = { .w = rm->w, .nx = rm->nx, .own = NULL };

	rm->busy = true;
	srp_tmf_collect(&rm->proxy, &s);
	srp_tmf_run_victims(&s);
	rm->busy = false;
	if (!rm->proxy.tmf_victims)
		srp_tmf_remote_reply(rm);
}

/*
 * Ask every other worker to abort the TMF's victims among its channels
 * of the nexus; each answer is one more victim to wait for.
 */
/*
 * Post a proxy of tmi to worker w for nx's channels there.  It answers
 * tmf on worker home when its victims have ended; with no home nobody
 * waits and it just goes.  0 or -errno (nothing posted).
 */
static int srp_tmf_remote_post(struct srp_worker *w, struct srp_nexus *nx,
			       const struct srp_tsk_mgmt_info *tmi,
			       struct srp_req *tmf, struct srp_worker *home)
{
	struct srp_tmf_remote *rm = calloc(1, sizeof(*rm));
	int ret;

	if (!rm)
		return -ENOMEM;
	rm->proxy.tmi = *tmi;
	rm->proxy.arrived_ns = tmf ? tmf->arrived_ns : loop_now_ns();
	rm->tmf = tmf;
	rm->home = home;
	rm->w = w;
	rm->nx = nx;
	ret = loop_send(w->loop, srp_tmf_remote_msg, rm);
	if (ret)
		free(rm);
	return ret;
}

static void srp_tmf_broadcast(struct srp_req *tmf)
{
	struct srp_worker *home = tmf->ch->w;

	for (struct srp_worker *w = home->engine->workers; w; w = w->next) {
		if (w == home)
			continue;
		/* The answer is a message to this thread: it cannot come
		 * before the count below. */
		if (srp_tmf_remote_post(w, tmf->ch->nexus, &tmf->tmi, tmf,
					home))
			tmf->tm_code = SRP_TSK_MGMT_FAILED;
		else
			tmf->tmf_victims++;
	}
}

/*
 * PERSISTENT RESERVE OUT PREEMPT AND ABORT from another nexus removed the
 * registration of nexus arg (SPC-4 5.9.11.5): its tasks for lun are
 * aborted as for ABORT TASK SET, on every worker holding its channels,
 * without any TM response (nobody asked; the initiator learns from the
 * REGISTRATIONS PREEMPTED unit attention and its command timeouts, as
 * fence_scsi expects).  Registered with scsi_itn_set_abort_cb(): runs on
 * the worker executing the PR OUT with the LU's lock held, so it only
 * posts messages.  The nexus is only compared with channels' ->nexus,
 * never dereferenced over there, so one that goes meanwhile is harmless.
 */
void srp_tmf_preempt_abort(void *arg, uint64_t lun)
{
	struct srp_nexus *nx = arg;
	struct srp_tsk_mgmt_info tmi = { .func = SRP_TSK_ABORT_TASK_SET,
					 .lun = lun };

	for (struct srp_worker *w = nx->target->engine->workers; w; w = w->next)
		if (srp_tmf_remote_post(w, nx, &tmi, NULL, NULL))
			pr_err("nexus %s: PREEMPT AND ABORT of LUN %llu not posted to a worker",
			       nx->name, (unsigned long long)lun);
}

void srp_tmf_victim_done(struct srp_req *victim)
{
	struct srp_req *tmf = victim->tmf;
	struct srp_tmf_remote *rm;

	victim->tmf = NULL;
	if (--tmf->tmf_victims)
		return;
	if (tmf->ch) {
		srp_req_process(tmf);
		return;
	}
	rm = container_of(tmf, struct srp_tmf_remote, proxy);
	if (!rm->busy)
		srp_tmf_remote_reply(rm);
}

void srp_req_start_tmf(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_tmf_scope s = { .w = ch->w, .nx = ch->nexus, .own = ch };
	int ret;

	srp_wstat_add(&ch->w->stats.tmfs, 1);
	ret = srp_tsk_mgmt_decode(req->recv->buf, req->recv->len, &req->tmi);
	if (ret) {
		if (req->recv->len < 16) {
			req->aborted = true;
			srp_req_process(req);
			srp_channel_logout(ch, SRP_T_LOGOUT_INVALID_IU_LEN);
			return;
		}
		req->tm_code = SRP_TSK_MGMT_INVALID_FIELDS;
		goto run;
	}
	if (req->no_credit) {
		req->tm_code = SRP_TSK_MGMT_FAILED;
		goto run;
	}
	req->tm_code = SRP_TSK_MGMT_SUCCESS;
	switch (req->tmi.func) {
	case SRP_TSK_ABORT_TASK:
	case SRP_TSK_ABORT_TASK_SET:
	case SRP_TSK_LUN_RESET:
		if (req->tmi.lun_err) {
			req->tm_code = SRP_TSK_MGMT_INVALID_FIELDS;
			break;
		}
		/* SAM-5 7.1: no such logical unit for this nexus. */
		if (!scsi_itn_has_lun(ch->nexus->itn, req->tmi.lun)) {
			req->tm_code = SRP_TSK_MGMT_FAILED;
			break;
		}
		/* ABORT TASK: usually on the command's own channel. */
		if (req->tmi.func == SRP_TSK_ABORT_TASK &&
		    srp_tmf_collect(req, &s))
			break;
		if (req->tmi.func != SRP_TSK_ABORT_TASK)
			srp_tmf_collect(req, &s);
		srp_tmf_broadcast(req);
		if (req->tmi.func == SRP_TSK_LUN_RESET)
			scsi_lu_reset(ch->nexus->itn, req->tmi.lun);
		break;
	case SRP_TSK_CLEAR_TASK_SET:
	case SRP_TSK_CLEAR_ACA:
	default:
		req->tm_code = SRP_TSK_MGMT_FUNC_NOT_SUPP;
		break;
	}
	pr_debug(LOG_C_SRP,
		 "channel %u: TMF %#x lun %llu tag %#llx: %u victims", ch->id,
		 req->tmi.func, (unsigned long long)req->tmi.lun,
		 (unsigned long long)req->tmi.task_tag, req->tmf_victims);
	srp_req_set_state(req, SRP_REQ_TMF_WAIT);
	/* Keep the TMF in TMF_WAIT while victims run (some end now). */
	req->in_process = true;
	srp_tmf_run_victims(&s);
	req->in_process = false;
	/* Victims already answered end when their response SEND completes. */
	if (req->tmf_victims)
		srp_worker_hurry(ch->w);
run:
	srp_req_process(req);
}
