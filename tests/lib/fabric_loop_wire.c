/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric, the wire engine (see fabric_loop.c for the model): run
 * from the owning loop when the doorbell rings, or by fabric_loop_run(),
 * it executes posted work requests like an HCA (key, bounds and access
 * checks, RNR waits, RDMA READ depth), delivers connection requests to
 * the listener, then dispatches every CQ's entries in FIFO order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fabric_loop_int.h"
#include "log.h"
#include "loop.h"

/*
 * Check a local SGE list (lkey, bounds, access); total length in *total.
 */
static bool lf_sges_ok(struct loop_fabric *lf, const struct fabric_sge *sge,
		       unsigned int n, unsigned int access, uint64_t *total)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (!lf_mr_check(lf, sge[i].lkey, sge[i].addr, sge[i].length,
				 access))
			return false;
		t += sge[i].length;
	}
	*total = t;
	return true;
}

/* Copy between an SGE list and one contiguous range. */
void lf_copy(const struct fabric_sge *sge, unsigned int n, void *flat,
	     bool to_flat)
{
	uint8_t *p = flat;

	for (unsigned int i = 0; i < n; i++) {
		void *a = (void *)(uintptr_t)sge[i].addr;

		if (to_flat)
			memcpy(p, a, sge[i].length);
		else
			memcpy(a, p, sge[i].length);
		p += sge[i].length;
	}
}

/*
 * Execute one WR at the head of qp's SQ.  Returns false when the QP must
 * wait (RNR) or stopped (error).
 */
static bool lf_exec_one(struct lf_qp *qp)
{
	struct loop_fabric *lf = qp->lf;
	struct lf_swr *w = &qp->sq[qp->sq_head];
	struct lf_qp *peer = qp->peer;
	enum fabric_wc_status st = FABRIC_WC_SUCCESS;
	uint64_t total;

	/* No ACK from a peer that went away: retries exhausted. */
	if (!peer || peer->state != LFQ_RTS || peer->gone) {
		lf_complete(qp, lf_swr_kind(w), w->wr_id,
			    FABRIC_WC_RETRY_EXC_ERR, 0);
		goto fatal;
	}
	switch (w->opcode) {
	case FABRIC_WR_SEND: {
		struct fabric_recv_wr *r;

		if (peer->attr.srq) {
			if (!lf_sges_ok(lf, w->sge, w->num_sge, 0, &total)) {
				st = FABRIC_WC_LOC_PROT_ERR;
				break;
			}
			if (!lf_srq_deliver(peer, w, total, &st))
				return false;
			break;
		}
		if (!peer->rq_count) {
			lf->stats.rnr_waits++;
			return false; /* RNR NAK, retried forever */
		}
		if (!lf_sges_ok(lf, w->sge, w->num_sge, 0, &total)) {
			st = FABRIC_WC_LOC_PROT_ERR;
			break;
		}
		r = &peer->rq[peer->rq_head];
		if (total > r->sge.length) {
			/* Receiver: local length error; sender: NAK. */
			lf_complete(peer, LFW_RECV, r->wr_id,
				    FABRIC_WC_LOC_LEN_ERR, 0);
			peer->rq_head =
				(peer->rq_head + 1) % peer->attr.rq_depth;
			peer->rq_count--;
			st = FABRIC_WC_REM_INV_REQ_ERR;
			break;
		}
		if (!lf_mr_check(lf, r->sge.lkey, r->sge.addr, total,
				 FABRIC_ACCESS_LOCAL_WRITE)) {
			lf_complete(peer, LFW_RECV, r->wr_id,
				    FABRIC_WC_LOC_PROT_ERR, 0);
			peer->rq_head =
				(peer->rq_head + 1) % peer->attr.rq_depth;
			peer->rq_count--;
			st = FABRIC_WC_REM_INV_REQ_ERR;
			break;
		}
		lf_copy(w->sge, w->num_sge, (void *)(uintptr_t)r->sge.addr,
			true);
		lf_complete(peer, LFW_RECV, r->wr_id, FABRIC_WC_SUCCESS,
			    (uint32_t)total);
		peer->rq_head = (peer->rq_head + 1) % peer->attr.rq_depth;
		peer->rq_count--;
		lf->stats.sends++;
		break;
	}
	case FABRIC_WR_RDMA_WRITE:
		if (!lf_sges_ok(lf, w->sge, w->num_sge, 0, &total)) {
			st = FABRIC_WC_LOC_PROT_ERR;
			break;
		}
		if (total && !lf_mr_check(lf, w->rkey, w->remote_addr, total,
					  FABRIC_ACCESS_REMOTE_WRITE)) {
			st = FABRIC_WC_REM_ACCESS_ERR;
			break;
		}
		lf_copy(w->sge, w->num_sge, (void *)(uintptr_t)w->remote_addr,
			true);
		lf->stats.rdma_writes++;
		lf->stats.bytes_written += total;
		break;
	case FABRIC_WR_RDMA_READ:
		qp->reads_outstanding--;
		if (w->over_depth) {
			st = FABRIC_WC_REM_INV_REQ_ERR;
			break;
		}
		if (!lf_sges_ok(lf, w->sge, w->num_sge,
				FABRIC_ACCESS_LOCAL_WRITE, &total)) {
			st = FABRIC_WC_LOC_PROT_ERR;
			break;
		}
		if (total && !lf_mr_check(lf, w->rkey, w->remote_addr, total,
					  FABRIC_ACCESS_REMOTE_READ)) {
			st = FABRIC_WC_REM_ACCESS_ERR;
			break;
		}
		lf_copy(w->sge, w->num_sge, (void *)(uintptr_t)w->remote_addr,
			false);
		lf->stats.rdma_reads++;
		lf->stats.bytes_read += total;
		break;
	}
	if (st != FABRIC_WC_SUCCESS) {
		lf_complete(qp, lf_swr_kind(w), w->wr_id, st, 0);
		goto fatal;
	}
	if (w->signaled && w->opcode != FABRIC_WR_RDMA_READ) {
		struct lf_def *d;

		if (lf->n_def == lf->def_cap) {
			unsigned int ncap = lf->def_cap ? lf->def_cap * 2 : 256;

			d = realloc(lf->def, ncap * sizeof(*d));
			if (!d) {
				pr_err("fabric loop: out of memory");
				abort();
			}
			lf->def = d;
			lf->def_cap = ncap;
		}
		d = &lf->def[lf->n_def++];
		d->qp = qp;
		d->wr_id = w->wr_id;
		d->kind = lf_swr_kind(w);
	} else if (w->signaled) {
		lf_complete(qp, lf_swr_kind(w), w->wr_id, st, 0);
	}
	qp->sq_head = (qp->sq_head + 1) % qp->attr.sq_depth;
	qp->sq_count--;
	return true;
fatal:
	qp->sq_head = (qp->sq_head + 1) % qp->attr.sq_depth;
	qp->sq_count--;
	lf_qp_error(qp);
	return false;
}

static bool lf_run_qps(struct loop_fabric *lf)
{
	struct lf_qp *qp;
	bool progress = false;

	while ((qp = lf->run_head)) {
		lf->run_head = qp->next_run;
		if (!lf->run_head)
			lf->run_tail = NULL;
		qp->on_run_list = false;
		while (qp->state == LFQ_RTS && qp->sq_count && !qp->held) {
			if (!lf_exec_one(qp))
				break;
			progress = true;
		}
	}
	return progress;
}

static bool lf_run_reqs(struct loop_fabric *lf)
{
	struct fabric_conn_req *req;
	bool progress = false;

	while ((req = lf->reqs_head)) {
		lf->reqs_head = req->next;
		if (!lf->reqs_head)
			lf->reqs_tail = NULL;
		req->next = NULL;
		progress = true;
		if (!req->active) {
			free(req);
			continue;
		}
		if (!lf->base.lh || !lf->base.lh->conn_request) {
			lf_reject(req, NULL, NULL, 0);
			continue;
		}
		lf->base.lh->conn_request(lf->base.lctx, req, &req->info);
	}
	return progress;
}

static void lf_dispatch(struct lf_wc *wc)
{
	struct lf_qp *qp = wc->qp;
	const struct fabric_qp_handlers *h = qp->h;
	void *ctx = qp->base.ctx;

	switch (wc->kind) {
	case LFW_RECV:
		h->recv_done(ctx, wc->wr_id, wc->status, wc->byte_len);
		break;
	case LFW_SEND:
		h->send_done(ctx, wc->wr_id, wc->status);
		break;
	case LFW_RDMA:
		h->rdma_done(ctx, wc->wr_id, wc->status);
		break;
	case LFW_ESTABLISHED:
		if (h->established)
			h->established(ctx);
		break;
	case LFW_CONNECT_DONE:
		h->connect_done(ctx, wc->conn_status, wc->pdata, wc->pdata_len);
		break;
	case LFW_DISCONNECTED:
		if (h->disconnected)
			h->disconnected(ctx);
		break;
	case LFW_DRAINED:
		if (h->drained)
			h->drained(ctx);
		break;
	}
}

static bool lf_run_cqs(struct loop_fabric *lf)
{
	bool progress = false;

	for (struct fabric_cq *cq = lf->cqs; cq; cq = cq->next_cq) {
		/* Only what is there now; new entries wait a round. */
		unsigned int n = cq->count;

		if (n) {
			cq->cnt.events++;
			cq->cnt.polls++;
		}
		while (n-- && cq->count) {
			struct lf_wc wc = cq->ring[cq->head];

			cq->head = (cq->head + 1) % cq->cap;
			cq->count--;
			progress = true;
			if (wc.qp)
				cq->cnt.completions++;
			if (wc.qp)
				lf_dispatch(&wc);
			else if (wc.srq)
				lf_srq_put(wc.srq,
					   (struct lf_srq_buf *)(uintptr_t)
						   wc.wr_id);
			if (wc.pdata)
				free(wc.pdata);
		}
	}
	return progress;
}

/* ACKs of the previous round arrive. */
static bool lf_run_deferred(struct loop_fabric *lf)
{
	unsigned int n = lf->n_def;

	for (unsigned int i = 0; i < n; i++)
		if (lf->def[i].qp)
			lf_complete(lf->def[i].qp, lf->def[i].kind,
				    lf->def[i].wr_id, FABRIC_WC_SUCCESS, 0);
	lf->n_def = 0;
	return n != 0;
}

static int lf_engine(struct loop_fabric *lf)
{
	int rounds = 0;

	lf->running = true;
	for (rounds = 0; rounds < LF_ENGINE_ROUNDS; rounds++) {
		bool progress;

		lf->more = false;
		progress = lf_run_deferred(lf);
		progress |= lf_run_qps(lf);
		progress |= lf_run_reqs(lf);
		progress |= lf_run_cqs(lf);
		if (!progress && !lf->more)
			break;
	}
	lf->running = false;
	if (lf->more || lf->run_head || lf->reqs_head || lf->n_def) {
		lf->more = false;
		lf_kick(lf);
	}
	return rounds;
}

void lf_doorbell_cb(void *arg, uint32_t events)
{
	struct loop_fabric *lf = arg;
	uint64_t v;

	if (read(lf->doorbell, &v, sizeof(v)) < 0 && errno != EAGAIN)
		pr_err("fabric loop: doorbell read: %m");
	lf->rung = false;
	lf_engine(lf);
}

/*
 * fabric_ops.cq_poll: the loopback has one engine for all its CQs, so a
 * poll of one runs it as the doorbell does; the doorbell stays rung by
 * new work, so arming (only counted) changes nothing.
 */
int lf_cq_poll(struct fabric_cq *cq, bool arm)
{
	uint64_t before = cq->cnt.completions;

	if (arm)
		cq->cnt.arms++;
	if (!cq->lf->running)
		lf_engine(cq->lf);
	return (int)(cq->cnt.completions - before);
}

int fabric_loop_run(struct fabric *f)
{
	struct loop_fabric *lf = lf_of(f);
	int total = 0, n;

	do {
		n = lf_engine(lf);
		total += n;
	} while (n == LF_ENGINE_ROUNDS);
	return total;
}

void fabric_loop_get_stats(struct fabric *f, struct fabric_loop_stats *s)
{
	*s = lf_of(f)->stats;
}
