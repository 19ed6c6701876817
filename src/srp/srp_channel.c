/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP channel: one QP, its receive ring, send buffers, request pool and
 * credits.
 *
 * Lifecycle (forward only, srp_ch_set_state()):
 *   CONNECTING   srp_channel_create() at login: memory registered, QP
 *                created, every receive posted before the REP (the
 *                initiator may send as soon as it has the REP).
 *   LIVE         established() (or the first IU, whichever comes first).
 *   DISCONNECTING  we or the peer started a disconnect; IUs are dropped.
 *   DRAINING     disconnected(): drain() the QP; requests finish without
 *                responses (a response on a disconnected channel
 *                cannot reach the initiator, which fails them
 *                itself), executing ones when the backend is done.
 *   RELEASED     drained() and no request left: QP destroyed, memory
 *                freed, unlinked.
 *
 * Credits (SRP r16a 5.4): the login grants req_lim; each
 * SRP_CMD and SRP_TSK_MGMT consumes one, each response returns 1 plus the
 * credits of requests that ended without a response (aborted tasks).  The
 * receive ring holds req_lim + SRP_RQ_SPARE buffers, so an initiator that
 * sends beyond its credits is detected rather than stalled: such a
 * request gets SAM status TASK SET FULL (SAM-5 5.3: SCSI-level
 * back-pressure), or FUNCTION FAILED for a TSK_MGMT, with req_lim_delta 0
 * because it consumed no credit.  Beyond the spare buffers the RC
 * receiver-not-ready flow control stalls the initiator.
 *
 * With a shared receive queue (engine use_srq) the worker's SRQ holds the
 * buffers and the channel has req_lim + SRP_RQ_SPARE receive descriptors
 * instead; an IU arriving when none is free (the initiator ignored its
 * credits by more than the spare) is a protocol violation that ends the
 * channel, since no RNR can stall that initiator alone.  Every SRQ buffer
 * goes back to the SRQ on every path, including dying channels.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "loop.h"
#include "srp/srp_int.h"
#include "util.h"

#define SRP_CTL_WR_TAG 1ULL /* wr_id low bits: T_LOGOUT send */
#define SRP_CRED_WR_TAG 2ULL /* SRP_CRED_REQ send */

static const char *const srp_ch_state_names[] = {
	[SRP_CH_CONNECTING] = "CONNECTING",
	[SRP_CH_LIVE] = "LIVE",
	[SRP_CH_DISCONNECTING] = "DISCONNECTING",
	[SRP_CH_DRAINING] = "DRAINING",
	[SRP_CH_RELEASED] = "RELEASED",
};

static void srp_channel_release(struct srp_channel *ch);

const char *srp_ch_state_name(enum srp_ch_state s)
{
	return (unsigned int)s < ARRAY_SIZE(srp_ch_state_names) ?
		       srp_ch_state_names[s] :
		       "?";
}

/* The one transition function: forward only. */
bool srp_ch_set_state(struct srp_channel *ch, enum srp_ch_state s)
{
	if (s <= ch->state)
		return false;
	pr_debug(LOG_C_SRP, "channel %u: %s -> %s", ch->id,
		 srp_ch_state_names[ch->state], srp_ch_state_names[s]);
	ch->state = s;
	return true;
}

void srp_channel_wait(struct srp_req **head, struct srp_req **tail,
		      struct srp_req *r)
{
	r->next_wait = NULL;
	r->on_wait = true;
	if (*tail)
		(*tail)->next_wait = r;
	else
		*head = r;
	*tail = r;
}

void srp_channel_unwait(struct srp_req **head, struct srp_req **tail,
			struct srp_req *r)
{
	struct srp_req *prev = NULL;

	for (struct srp_req *it = *head; it; it = it->next_wait) {
		if (it == r) {
			if (prev)
				prev->next_wait = r->next_wait;
			else
				*head = r->next_wait;
			if (*tail == r)
				*tail = prev;
			break;
		}
		prev = it;
	}
	r->next_wait = NULL;
	r->on_wait = false;
}

/* srp_channel_repost() (srp_int.h): the receive could not be posted. */
void srp_channel_repost_failed(struct srp_channel *ch, int ret)
{
	pr_err_ratelimited("channel %u: repost receive: %d", ch->id, ret);
}

/* srp_channel_req_freed() (srp_int.h) of a draining channel. */
void srp_channel_req_freed_draining(struct srp_channel *ch)
{
	if (ch->drained && !ch->n_active && !ch->walking)
		srp_channel_release(ch);
}

/*
 * Post one target-initiated IU (SRP_CRED_REQ, SRP_T_LOGOUT) from the
 * channel's own buffer as a signalled SEND; tag (SRP_CTL_WR_TAG or
 * SRP_CRED_WR_TAG) tells its completion apart.  0 or -errno.
 */
static int srp_ch_post_ctl(struct srp_channel *ch, void *buf, int len,
			   uint64_t tag)
{
	struct fabric_sge sge = {
		.addr = (uintptr_t)buf,
		.length = len,
		.lkey = ch->mr->lkey,
	};
	struct fabric_send_wr wr = {
		.wr_id = (uintptr_t)ch | tag,
		.opcode = FABRIC_WR_SEND,
		.signaled = true,
		.num_sge = 1,
		.sg_list = &sge,
	};

	return fabric_post_send(ch->qp, &wr);
}

/*
 * Credits of aborted commands go back with the channel's next response
 * (srp_channel_take_credits()).  When no request of the channel will
 * answer any more, nothing would carry them, and an initiator whose
 * commands here were all aborted (by a TMF on another channel, by
 * PREEMPT AND ABORT) would wait for credits forever (doc/srp-protocol.md
 * 16).  Then an SRP_CRED_REQ (SRP r16a) carries them; the initiator
 * answers with an SRP_CRED_RSP, which needs no credit and lands in a
 * spare receive (SRP_RQ_SPARE).  One at a time, in an ordinary send
 * queue slot: with none free a WR is outstanding, and its request checks
 * again when it ends.  Called whenever a request went back to the pool,
 * through srp_channel_return_credits() (srp_int.h) when credits are
 * withheld.
 */
void srp_channel_return_withheld(struct srp_channel *ch)
{
	int len;

	if (ch->state != SRP_CH_LIVE || ch->cred_pending || !ch->sq_avail)
		return;
	for (struct srp_req *r = ch->active; r; r = r->next_active)
		if (!r->aborted && r->state != SRP_REQ_SEND_RSP)
			return; /* its response will carry them */
	len = srp_cred_req_encode(ch->cred_buf, 64, 0, ch->withheld, 0);
	if (len <= 0)
		return;
	if (srp_ch_post_ctl(ch, ch->cred_buf, len, SRP_CRED_WR_TAG)) {
		pr_err_ratelimited("channel %u: cannot post SRP_CRED_REQ",
				   ch->id);
		return;
	}
	ch->sq_avail--;
	ch->cred_pending = true;
	ch->withheld = 0;
}

/* ---- receive path ------------------------------------------------------ */

/*
 * SRQ: attach the lent buffer to a free descriptor of the channel.  NULL
 * (buffer given back) when the initiator overran its credits beyond the
 * spare descriptors.
 */
static struct srp_recv *srp_ch_srq_recv(struct srp_channel *ch,
					struct fabric_srq_buf *sb)
{
	struct srp_recv *rv = ch->free_recvs;

	if (!rv) {
		ch->w->fabric->ops->srq_repost(ch->w->srq, sb);
		if (ch->state <= SRP_CH_LIVE) {
			srp_wstat_add(&ch->w->stats.credit_violations, 1);
			pr_err_ratelimited(
				"channel %u: initiator sent more than %u IUs beyond its %u credits: logging it out",
				ch->id, SRP_RQ_SPARE, ch->req_lim);
			srp_channel_logout(ch, SRP_T_LOGOUT_NO_REASON);
		}
		return NULL;
	}
	ch->free_recvs = rv->next_free;
	rv->next_free = NULL;
	rv->sbuf = sb;
	rv->buf = sb->addr;
	return rv;
}

/*
 * The arrival stamp of an IU: the clock of the worker's wake-up (one read
 * for all its IUs, doc/performance.md "Clock reads"), 1 ns past the
 * previous IU's if that is not later, so that a TMF still tells the IUs
 * of its own wake-up that came after it (srp_tmf.c).
 */
static uint64_t srp_arrival_ns(struct srp_worker *w)
{
	uint64_t t = loop_round_ns(w->loop);

	if (t <= w->last_arrival_ns)
		t = w->last_arrival_ns + 1;
	w->last_arrival_ns = t;
	return t;
}

static void srp_ch_recv_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st, uint32_t len)
{
	struct srp_channel *ch = ctx;
	struct srp_recv *rv = (struct srp_recv *)(uintptr_t)wr_id;
	struct srp_req *r;
	int op;

	srp_worker_plug(ch->w); /* the IU may start backend I/O */
	if (st == FABRIC_WC_SUCCESS && ch->w->srq) {
		rv = srp_ch_srq_recv(ch,
				     (struct fabric_srq_buf *)(uintptr_t)wr_id);
		if (!rv)
			return;
	}
	if (st != FABRIC_WC_SUCCESS) {
		if (st != FABRIC_WC_WR_FLUSH_ERR) {
			pr_err_ratelimited("channel %u: receive failed: %s",
					   ch->id, fabric_wc_status_str(st));
			srp_channel_disconnect(ch);
		}
		return;
	}
	if (ch->state == SRP_CH_CONNECTING)
		srp_ch_set_state(ch, SRP_CH_LIVE);
	if (ch->state != SRP_CH_LIVE) {
		/* Dying: drop.  Only an SRQ buffer goes back (repost is a
		 * no-op for a ring buffer of a dying channel). */
		srp_channel_repost(ch, rv);
		return;
	}
	rv->len = len;
	op = srp_iu_opcode(rv->buf, len);
	switch (op) {
	case SRP_CMD:
	case SRP_TSK_MGMT:
		r = srp_req_alloc(ch, rv);
		if (!r) {
			/* Cannot happen: one request per receive buffer. */
			pr_err("channel %u: request pool empty", ch->id);
			srp_channel_disconnect(ch);
			srp_channel_repost(ch, rv);
			return;
		}
		r->opcode = op;
		r->arrived_ns = srp_arrival_ns(ch->w);
		if (ch->outstanding >= ch->req_lim) {
			r->no_credit = true;
			srp_wstat_add(&ch->w->stats.credit_violations, 1);
			pr_err_ratelimited(
				"channel %u: initiator exceeded its %u credits",
				ch->id, ch->req_lim);
		} else {
			ch->outstanding++;
		}
		if (op == SRP_CMD)
			srp_req_start_cmd(r);
		else
			srp_req_start_tmf(r);
		return;
	case SRP_I_LOGOUT:
		/* SRP r16a 6.6: the initiator ends the channel. */
		pr_info("channel %u: initiator logout", ch->id);
		srp_channel_disconnect(ch);
		srp_channel_repost(ch, rv);
		return;
	case SRP_CRED_RSP:
	case SRP_AER_RSP:
		/* No credit used: CRED_RSP answers our SRP_CRED_REQ
		 * (srp_channel_return_credits()), AER_RSP a request srptd
		 * never sends. */
		srp_channel_repost(ch, rv);
		return;
	default:
		srp_wstat_add(&ch->w->stats.bad_ius, 1);
		pr_err_ratelimited("channel %u: invalid IU type %d (len %u)",
				   ch->id, op, len);
		srp_channel_logout(ch, SRP_T_LOGOUT_INVALID_IU_TYPE);
		srp_channel_repost(ch, rv);
		return;
	}
}

static void srp_ch_send_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st)
{
	struct srp_channel *ch = ctx;

	if (wr_id & SRP_CTL_WR_TAG) {
		/* T_LOGOUT went out (or failed): now disconnect. */
		ch->ctl_pending = false;
		if (ch->state <= SRP_CH_DISCONNECTING && ch->qp)
			ch->qp->fabric->ops->disconnect(ch->qp);
		return;
	}
	if (wr_id & SRP_CRED_WR_TAG) {
		ch->cred_pending = false;
		ch->sq_avail++;
		if (st != FABRIC_WC_SUCCESS) {
			if (st != FABRIC_WC_WR_FLUSH_ERR) {
				pr_err_ratelimited(
					"channel %u: SRP_CRED_REQ failed: %s",
					ch->id, fabric_wc_status_str(st));
				srp_channel_disconnect(ch);
			}
			return;
		}
		srp_channel_return_credits(ch); /* more may have come */
		srp_ch_kick_waiters(ch);
		return;
	}
	srp_req_send_done((struct srp_req *)(uintptr_t)wr_id, st);
}

static void srp_ch_rdma_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st)
{
	struct srp_channel *ch = ctx;

	srp_worker_plug(ch->w); /* data-out in: the write may start */
	srp_req_rdma_done((struct srp_req *)(uintptr_t)wr_id, st);
}

static void srp_ch_established(void *ctx)
{
	struct srp_channel *ch = ctx;

	srp_ch_set_state(ch, SRP_CH_LIVE);
}

static void srp_ch_start_drain(struct srp_channel *ch)
{
	/* Peer-initiated too: nothing of this channel is answered any more
	 * (as srp_channel_disconnect() marks it). */
	for (struct srp_req *r = ch->active; r; r = r->next_active)
		r->aborted = true;
	srp_ch_set_state(ch, SRP_CH_DISCONNECTING);
	srp_ch_set_state(ch, SRP_CH_DRAINING);
	if (!ch->drain_started) {
		ch->drain_started = true;
		ch->qp->fabric->ops->drain(ch->qp);
	}
}

static void srp_ch_disconnected(void *ctx)
{
	struct srp_channel *ch = ctx;

	pr_debug(LOG_C_SRP, "channel %u: disconnected", ch->id);
	srp_ch_start_drain(ch);
}

static void srp_ch_drained(void *ctx)
{
	struct srp_channel *ch = ctx;
	struct srp_req *r, *next;

	ch->drained = true;
	/*
	 * No completion will come any more: requests waiting for the fabric
	 * or for resources end now; executing ones when SCSI completes.
	 * Killing one may end others (a TMF waiting for its victims): walk
	 * with the release held off, and restart after each kill.
	 */
	ch->walking = true;
	do {
		for (r = ch->active; r; r = next) {
			next = r->next_active;
			if (r->state != SRP_REQ_EXECUTING &&
			    r->state != SRP_REQ_TMF_WAIT) {
				r->wr_pending = false;
				srp_req_kill(r);
				break;
			}
		}
	} while (r);
	ch->walking = false;
	if (!ch->n_active)
		srp_channel_release(ch);
}

static const struct fabric_qp_handlers srp_ch_handlers = {
	.recv_done = srp_ch_recv_done,
	.send_done = srp_ch_send_done,
	.rdma_done = srp_ch_rdma_done,
	.established = srp_ch_established,
	.disconnected = srp_ch_disconnected,
	.drained = srp_ch_drained,
};

/* ---- disconnect / logout ------------------------------------------------ */

void srp_channel_disconnect(struct srp_channel *ch)
{
	if (!srp_ch_set_state(ch, SRP_CH_DISCONNECTING))
		return;
	if (!ch->ctl_pending)
		ch->qp->fabric->ops->disconnect(ch->qp);
	/* Requests waiting for resources end now (no response). */
	for (struct srp_req *r = ch->active; r; r = r->next_active)
		r->aborted = true;
}

/*
 * Target logout (SRP r16a 6.7): send SRP_T_LOGOUT, then disconnect once
 * the send completed.  Linux's ib_srp only logs it.
 */
void srp_channel_logout(struct srp_channel *ch, uint32_t reason)
{
	int len;

	if (ch->state > SRP_CH_LIVE || ch->logout_sent) {
		srp_channel_disconnect(ch);
		return;
	}
	ch->logout_sent = true;
	len = srp_t_logout_encode(ch->ctl_buf, 64, 0, reason, 0);
	/* Slot reserved at creation (sq_depth includes it). */
	if (len > 0 && !srp_ch_post_ctl(ch, ch->ctl_buf, len, SRP_CTL_WR_TAG))
		ch->ctl_pending = true;
	srp_channel_disconnect(ch);
}

/* ---- creation and release ------------------------------------------------ */

/* ---- lifetime across threads ---------------------------------------------- */

static void srp_channel_free_resources(struct srp_channel *ch)
{
	struct fabric *f = ch->w->fabric;

	if (ch->qp)
		f->ops->qp_destroy(ch->qp);
	if (ch->mr)
		f->ops->mr_dereg(ch->mr);
	if (ch->mem)
		munmap(ch->mem, ch->mem_len);
	free(ch->recvs);
	free(ch->reqs);
	free(ch->iovs);
	ch->qp = NULL;
	ch->mr = NULL;
	ch->mem = NULL;
	ch->recvs = NULL;
	ch->reqs = NULL;
	ch->iovs = NULL;
}

/* A channel that never got published (creation failed). */
void srp_channel_free(struct srp_channel *ch)
{
	srp_channel_free_resources(ch);
	free(ch);
}

void srp_channel_put(struct srp_channel *ch)
{
	if (atomic_fetch_sub(&ch->refs, 1) == 1)
		free(ch);
}

/* Run fn(ch) on loop to, holding a reference until it ran. */
int srp_channel_send(struct srp_channel *ch, void (*fn)(void *),
		     struct loop *to)
{
	int ret;

	atomic_fetch_add(&ch->refs, 1);
	ret = loop_send(to, fn, ch);
	if (ret) {
		atomic_fetch_sub(&ch->refs, 1);
		pr_err("channel %u: cannot message its thread: %d", ch->id,
		       ret);
	}
	return ret;
}

/*
 * On the worker, after the login published the channel: join the
 * worker's list and create the backend contexts of the nexus's LUNs here
 * (scsi_worker_attach_itn() must run on the worker thread), then watch
 * their fds.  Commands that arrive earlier create contexts on first use.
 */
void srp_channel_attach_msg(void *arg)
{
	struct srp_channel *ch = arg;
	struct srp_worker *w = ch->w;
	int ret;

	if (ch->state < SRP_CH_RELEASED) {
		ch->next_in_worker = w->channels;
		w->channels = ch;
		w->n_channels++;
		ch->attached = true;
		ret = scsi_worker_attach_itn(w->sw, ch->nexus->itn);
		if (!ret)
			ret = srp_worker_refresh_fds(w);
		if (ret) {
			pr_err("channel %u: backend contexts: %d", ch->id, ret);
			srp_channel_disconnect(ch);
		}
	}
	srp_channel_put(ch);
}

void srp_channel_disconnect_msg(void *arg)
{
	struct srp_channel *ch = arg;

	if (ch->state < SRP_CH_RELEASED)
		srp_channel_disconnect(ch);
	srp_channel_put(ch);
}

void srp_channel_logout_msg(void *arg)
{
	struct srp_channel *ch = arg;

	if (ch->state < SRP_CH_RELEASED)
		srp_channel_logout(ch, SRP_T_LOGOUT_NO_REASON);
	srp_channel_put(ch);
}

/*
 * On the worker: everything is drained and finished.  Free the QP and
 * memory here, then let the main thread unlink the channel from its
 * nexus (that message carries the membership reference).
 */
static void srp_channel_release(struct srp_channel *ch)
{
	struct srp_worker *w = ch->w;
	struct srp_channel **pp;

	if (!srp_ch_set_state(ch, SRP_CH_RELEASED))
		return;
	if (ch->attached) {
		for (pp = &w->channels; *pp; pp = &(*pp)->next_in_worker)
			if (*pp == ch) {
				*pp = ch->next_in_worker;
				break;
			}
		w->n_channels--;
	}
	srp_channel_free_resources(ch);
	if (loop_send(ch->engine->main_loop, srp_nexus_channel_released_msg,
		      ch))
		pr_err("channel %u: cannot report its release", ch->id);
}

int srp_channel_create(struct srp_worker *w, struct srp_nexus *nx,
		       struct fabric_conn_req *req,
		       const struct fabric_conn_info *info,
		       const struct srp_login_decision *d,
		       struct srp_channel **out)
{
	static unsigned int next_id;
	struct srp_engine *e = w->engine;
	struct fabric *f = w->fabric;
	struct fabric_qp_attr attr = { 0 };
	size_t recv_stride, recv_off, off, table_len;
	bool srq = w->srq != NULL;
	struct srp_channel *ch;
	unsigned int i;
	int ret;

	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->engine = e;
	ch->w = w;
	ch->nexus = nx;
	atomic_init(&ch->refs, 1);
	srp_stats_channel_init(ch);
	ch->id = ++next_id;
	ch->state = SRP_CH_CONNECTING;
	ch->it_iu_len = d->it_iu_len;
	ch->ti_iu_len = MIN(d->max_ti_iu_len, e->p.login.max_rsp_size);
	ch->lim.imm_data_offset = d->imm_data ? d->imm_data_offset : 0;
	ch->lim.allow_bidi = false;
	ch->lim.allow_ext_table = e->p.allow_ext_table;
	ch->req_lim = d->req_lim;
	ch->n_recvs = d->req_lim + SRP_RQ_SPARE;
	/*
	 * A request's receive is reposted when its response is posted, so
	 * up to n_recvs requests may wait for their send completion while
	 * n_recvs new ones arrive.
	 */
	ch->n_reqs = 2 * ch->n_recvs;
	ch->rd_depth = MIN(e->p.max_rd_atomic, info->responder_resources);
	ch->rd_avail = ch->rd_depth;
	/* Response + data WR batches per request, plus T_LOGOUT. */
	ch->sq_depth = e->p.sq_depth ? e->p.sq_depth : ch->n_recvs * 4 + 1;
	ch->sq_avail = ch->sq_depth - 1;
	ch->max_chunks = (e->p.max_io_size + w->chunk_size - 1) / w->chunk_size;

	/*
	 * One region: receive buffers placed so that byte imm_data_offset
	 * of each lands on a 512-byte boundary (immediate data used in
	 * place is then ready for O_DIRECT), then send buffers, tables
	 * and the control buffer.
	 */
	recv_stride = fabric_recv_buf_layout(
		ch->it_iu_len, ch->lim.imm_data_offset, &recv_off);
	/* With an SRQ the receive buffers are the worker's. */
	if (srq)
		recv_stride = 0;
	table_len = e->p.allow_ext_table ?
			    ALIGN_UP((size_t)e->p.max_table_entries * 16, 64) :
			    0;
	ch->mem_len = recv_stride * ch->n_recvs +
		      ALIGN_UP((size_t)ch->ti_iu_len, 64) * ch->n_reqs +
		      table_len * ch->n_recvs + 128;
	ch->mem_len = ALIGN_UP(ch->mem_len, (size_t)4096);
	ch->mem = mmap(NULL, ch->mem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ch->mem == MAP_FAILED) {
		ch->mem = NULL;
		ret = -ENOMEM;
		goto err;
	}
	ch->recvs = calloc(ch->n_recvs, sizeof(*ch->recvs));
	ch->reqs = calloc(ch->n_reqs, sizeof(*ch->reqs));
	ch->iovs =
		calloc((size_t)ch->n_reqs * ch->max_chunks, sizeof(*ch->iovs));
	if (!ch->recvs || !ch->reqs || !ch->iovs) {
		ret = -ENOMEM;
		goto err;
	}
	/* Holds the external tables, an RDMA READ sink. */
	ret = f->ops->mr_reg(f, ch->mem, ch->mem_len,
			     FABRIC_ACCESS_LOCAL_WRITE |
				     (f->caps.read_sink_remote_write ?
					      FABRIC_ACCESS_REMOTE_WRITE :
					      0),
			     &ch->mr);
	if (ret)
		goto err;
	off = 0;
	for (i = 0; i < ch->n_recvs && srq; i++) {
		ch->recvs[i].next_free = ch->free_recvs;
		ch->free_recvs = &ch->recvs[i];
	}
	for (i = 0; i < ch->n_recvs && !srq; i++) {
		struct srp_recv *rv = &ch->recvs[i];

		rv->buf = ch->mem + off + recv_off;
		rv->wr.wr_id = (uintptr_t)rv;
		rv->wr.sge.addr = (uintptr_t)rv->buf;
		rv->wr.sge.length = ch->it_iu_len;
		rv->wr.sge.lkey = ch->mr->lkey;
		rv->wr.next = NULL;
		off += recv_stride;
	}
	for (i = 0; i < ch->n_reqs; i++) {
		struct srp_req *r = &ch->reqs[i];

		r->ch = ch;
		r->state = SRP_REQ_FREE; /* the initial state */
		r->rsp = ch->mem + off;
		off += ALIGN_UP((size_t)ch->ti_iu_len, 64);
		r->iov = &ch->iovs[(size_t)i * ch->max_chunks];
		/*
		 * The task's transport fields that are the same for every
		 * command of the channel (its nexus, its worker): set once
		 * here, not per command (doc/performance.md "Host loopback
		 * guard"); nothing else writes them.
		 */
		r->task.itn = nx->itn;
		r->task.worker = w->sw;
		r->task.complete = srp_req_task_done;
		r->task.transport_priv = r;
		r->next_free = ch->free_reqs;
		ch->free_reqs = r;
	}
	for (i = 0; i < ch->n_recvs; i++) {
		ch->recvs[i].table = table_len ? ch->mem + off : NULL;
		off += table_len;
	}
	ch->ctl_buf = ch->mem + off;
	ch->cred_buf = ch->ctl_buf + 64;

	attr.sq_depth = ch->sq_depth;
	attr.rq_depth = srq ? 0 : ch->n_recvs;
	attr.srq = w->srq;
	attr.max_sge = MIN(FABRIC_MAX_SGE, f->caps.max_sge);
	attr.max_rd_atomic = ch->rd_depth;
	ret = f->ops->qp_create(req, w->cq, &attr, &srp_ch_handlers, ch,
				&ch->qp);
	if (ret)
		goto err;
	for (i = 0; i < ch->n_recvs && !srq; i++) {
		ret = fabric_post_recv(ch->qp, &ch->recvs[i].wr);
		if (ret)
			goto err;
	}
	*out = ch;
	return 0;
err:
	srp_channel_free(ch);
	return ret;
}
