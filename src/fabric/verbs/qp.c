/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: queue pairs.  Creation (with its CQ room reservation),
 * destruction and drain, and posting sends, RDMA chains and receives
 * through the per-QP slots carried in wr_id.  Threads: verbs_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "fabric/verbs/verbs_int.h"

#define V_DRAIN_TIMEOUT_S 10

int v_qp_create(struct fabric_conn_req *c, struct fabric_cq *cq,
		const struct fabric_qp_attr *attr,
		const struct fabric_qp_handlers *h, void *ctx,
		struct fabric_qp **out)
{
	struct verbs_fabric *vf;
	const struct fabric_caps *caps;
	struct ibv_qp_init_attr ia;
	unsigned int max_sge, rq_depth, reserve;
	struct vsrq_dev *sd = NULL;
	struct vdev *d;
	int ret;

	if (!c || !cq || !attr || !h || c->state != VC_REQ)
		return -EINVAL;
	if (attr->srq && attr->srq->cq != cq)
		return -EINVAL;
	vf = c->vf;
	caps = &vf->base.caps;
	d = c->dev;
	max_sge = attr->max_sge ? attr->max_sge : 1;
	rq_depth = attr->srq ? 0 : attr->rq_depth;
	/* One slot each is kept for the drain markers. */
	if (!attr->sq_depth || (!rq_depth && !attr->srq) ||
	    attr->sq_depth + 1 > caps->max_qp_wr ||
	    attr->rq_depth + 1 > caps->max_qp_wr || max_sge > caps->max_sge ||
	    attr->max_rd_atomic > caps->max_rd_atomic || !h->recv_done ||
	    !h->send_done || !h->rdma_done || !h->established ||
	    !h->disconnected || !h->drained)
		return -EINVAL;
	/* Our READ depth may not exceed what the initiator offered
	 * (doc/verbs.md "Responder resources and initiator depth"). */
	if (attr->max_rd_atomic > c->info.responder_resources)
		return -EINVAL;
	if (atomic_load(&d->state) != VD_ACTIVE || atomic_load(&c->peer_gone))
		return -ENOTCONN;
	/* f->caps is the minimum over the devices present at creation; a
	 * device added later may be smaller. */
	if (attr->sq_depth + 1 > (unsigned int)d->attr.max_qp_wr ||
	    attr->rq_depth + 1 > (unsigned int)d->attr.max_qp_wr ||
	    max_sge > (unsigned int)d->attr.max_sge ||
	    attr->max_rd_atomic > (unsigned int)d->attr.max_qp_init_rd_atom)
		return -EINVAL;
	if (attr->srq) {
		sd = &attr->srq->devs[d->idx];
		if (!sd->isrq)
			return -ENODEV;
	}
	c->cqd = &cq->devs[d->idx];
	if (!c->cqd->icq)
		return -ENODEV;
	/* SRQ receives were reserved with the SRQ part. */
	reserve = attr->sq_depth + rq_depth + 2;
	ret = vcq_reserve(c->cqd, reserve);
	if (ret) {
		cm_log(LOG_ERR, c,
		       "CQ of %u entries on this worker is full: QP refused",
		       c->cqd->cap);
		c->cqd = NULL;
		return ret;
	}
	c->cq_reserved = reserve;
	c->attr = *attr;
	c->attr.rq_depth = rq_depth;
	c->attr.max_sge = max_sge;
	c->h = h;
	c->base.fabric = &vf->base;
	c->base.ctx = ctx;
	c->sq_slots = calloc(attr->sq_depth, sizeof(*c->sq_slots));
	c->swr = calloc(attr->sq_depth, sizeof(*c->swr));
	c->ssge = calloc((size_t)attr->sq_depth * max_sge, sizeof(*c->ssge));
	if (rq_depth) {
		c->rq_slots = calloc(rq_depth, sizeof(*c->rq_slots));
		c->rwr = calloc(rq_depth, sizeof(*c->rwr));
		c->rsge = calloc(rq_depth, sizeof(*c->rsge));
	}
	if (!c->sq_slots || !c->swr || !c->ssge ||
	    (rq_depth && (!c->rq_slots || !c->rwr || !c->rsge))) {
		ret = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < attr->sq_depth; i++) {
		c->sq_slots[i].c = c;
		c->sq_slots[i].idx = i;
	}
	for (unsigned int i = rq_depth; i-- > 0;) {
		c->rq_slots[i].c = c;
		c->rq_slots[i].idx = i;
		c->rq_slots[i].kind = VS_RECV;
		c->rq_slots[i].next = c->rq_free;
		c->rq_free = &c->rq_slots[i];
	}
	c->mark_send.c = c;
	c->mark_send.kind = VS_MARK_SEND;

	memset(&ia, 0, sizeof(ia));
	ia.qp_context = c;
	ia.send_cq = c->cqd->scq;
	ia.recv_cq = c->cqd->icq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = attr->sq_depth + 1;
	ia.cap.max_send_sge = max_sge;
	if (sd) {
		ia.srq = sd->isrq;
	} else {
		ia.cap.max_recv_wr = rq_depth + 1;
		/* One SGE per receive: the whole IU (doc/verbs.md
		 * "Receives"). */
		ia.cap.max_recv_sge = 1;
	}
	ia.sq_sig_all = 0;
	if (rdma_create_qp(c->id, d->pd, &ia)) {
		ret = errno ? -errno : -ENOMEM;
		cm_log(LOG_ERR, c, "rdma_create_qp(sq %u rq %u%s sge %u): %s",
		       attr->sq_depth, rq_depth, sd ? " srq" : "", max_sge,
		       strerror(-ret));
		goto fail;
	}
	c->qp = c->id->qp;
	atomic_store(&c->qp_num, c->qp->qp_num);
	if (sd) {
		pthread_mutex_lock(&vf->lock);
		ret = vsrq_map_add(sd, c->qp->qp_num, c);
		pthread_mutex_unlock(&vf->lock);
		if (ret) {
			cm_log(LOG_ERR, c, "too many QPs on this SRQ");
			rdma_destroy_qp(c->id);
			c->qp = NULL;
			goto fail;
		}
		c->sd = sd;
		atomic_fetch_add(&attr->srq->nr_qps, 1);
	}
	c->initiator_depth =
		umin(attr->max_rd_atomic, umin(c->info.responder_resources,
					       d->attr.max_qp_init_rd_atom));
	vc_set_state(c, VC_QP);
	atomic_fetch_add(&cq->nr_qps, 1);
	atomic_store(&c->cq, cq);
	*out = &c->base;
	return 0;
fail:
	free(c->sq_slots);
	free(c->rq_slots);
	free(c->swr);
	free(c->ssge);
	free(c->rwr);
	free(c->rsge);
	c->sq_slots = c->rq_slots = NULL;
	c->rq_free = NULL;
	c->swr = NULL;
	c->ssge = c->rsge = NULL;
	c->rwr = NULL;
	atomic_fetch_sub(&c->cqd->reserved, c->cq_reserved);
	c->cq_reserved = 0;
	c->cqd = NULL;
	return ret;
}

void v_qp_destroy(struct fabric_qp *qp)
{
	struct fabric_conn_req *c;
	struct fabric_cq *cq;

	if (!qp)
		return;
	c = vc_of(qp);
	if (c->state < VC_DRAINED && c->state >= VC_ACCEPTED)
		cm_log(LOG_WARNING, c, "QP destroyed before drained (%s)",
		       vc_state_names[c->state]);
	cq = atomic_load(&c->cq);
	if (cq) {
		/* A QP never drained may still have WRs of this round. */
		loop_defer_cancel(cq->loop, &c->flush);
		c->sq_pending = c->sge_pending = 0;
		atomic_fetch_sub(&cq->nr_qps, 1);
	}
	if (c->cqd) {
		atomic_fetch_sub(&c->cqd->reserved, c->cq_reserved);
		/* WRs that will never complete (a forced drain) are no
		 * longer owed; a late completion finds them uncounted. */
		for (unsigned int i = 0; c->sq_slots && i < c->attr.sq_depth;
		     i++)
			if (c->sq_slots[i].flags)
				vcq_uncount(c->cqd, &c->sq_slots[i]);
		if (c->mark_send.flags)
			vcq_uncount(c->cqd, &c->mark_send);
	}
	c->cq_reserved = 0;
	if (c->drain_timer) {
		loop_timer_cancel(cq->loop, c->drain_timer);
		c->drain_timer = NULL;
	}
	vc_set_state(c, VC_DESTROYED);
	vc_srq_detach(c);
	/* rdma_destroy_id waits until every CM event of the id is acked:
	 * afterwards the main thread cannot forward anything new. */
	vc_release_id(c);
	/* After a forced drain, fabric_verbs_destroy() frees it. */
	if (!c->drain_forced)
		vc_put(c);
}

int v_post_recv(struct fabric_qp *qp, struct fabric_recv_wr *wr,
		struct fabric_recv_wr **bad)
{
	struct fabric_conn_req *c = vc_of(qp);
	struct verbs_fabric *vf = c->vf;
	struct fabric_recv_wr *w, *stop = NULL;
	struct vslot *taken = NULL, **tail = &taken;
	struct fabric_cq *cq;
	struct ibv_recv_wr *ibad;
	unsigned int n = 0;
	int ret = 0;

	/* Receives of a QP on an SRQ are the SRQ's (fabric.h). */
	if (!c->qp || c->state >= VC_DRAINING || c->sd) {
		*bad = wr;
		return -EINVAL;
	}
	for (w = wr; w; w = w->next, n++) {
		struct vslot *s = c->rq_free;

		if (!s) {
			stop = w;
			ret = -ENOMEM;
			break;
		}
		c->rq_free = s->next;
		s->next = NULL;
		*tail = s;
		tail = &s->next;
		s->wr_id = w->wr_id;
		c->rsge[n].addr = w->sge.addr;
		c->rsge[n].length = w->sge.length;
		c->rsge[n].lkey = v_lkey(vf, c->dev->idx, w->sge.lkey);
		c->rwr[n].wr_id = (uintptr_t)s;
		c->rwr[n].sg_list = &c->rsge[n];
		c->rwr[n].num_sge = 1;
		c->rwr[n].next = NULL;
		if (n)
			c->rwr[n - 1].next = &c->rwr[n];
	}
	if (ret)
		*bad = stop;
	if (!n)
		return ret;
	c->rq_used += n;
	if (c->hw_error) {
		/* fabric.h: accepted and flushed.  Flushed from the loop,
		 * never from inside this call. */
		*tail = c->sw_flush;
		c->sw_flush = taken;
		if (!c->sw_flush_scheduled) {
			c->sw_flush_scheduled = true;
			vc_send(c, VM_SW_FLUSH);
		}
		return ret;
	}
	cq = atomic_load_explicit(&c->cq, memory_order_relaxed);
	v_cnt_add(&cq->cnt.recv_posts, 1);
	v_cnt_add(&cq->cnt.recv_wrs, n);
	if (ibv_post_recv(c->qp, c->rwr, &ibad)) {
		/* Provider refused (our accounting should prevent it):
		 * everything from ibad on was not posted. */
		unsigned int posted = ibad - c->rwr;
		struct vslot *s = taken;

		ret = errno ? -errno : -ENOMEM;
		cm_log(LOG_ERR, c, "ibv_post_recv: %s", strerror(-ret));
		for (unsigned int i = 0; i < posted; i++)
			s = s->next;
		/* Return the unposted slots to the free list. */
		while (s) {
			struct vslot *next = s->next;

			s->next = c->rq_free;
			c->rq_free = s;
			c->rq_used--;
			s = next;
		}
		for (w = wr; posted--; w = w->next)
			;
		*bad = w;
	}
	return ret;
}

/*
 * Hand the send WRs of this round to the device: one ibv_post_send for
 * all of them, which on Soft-RoCE is one system call and on hardware one
 * doorbell (doc/performance.md "Batched posts").  The chain keeps the
 * order of the posts, so a command's RDMA WRITEs still precede its
 * response's SEND on the QP.  The device refuses only what our slot
 * accounting should have prevented; what it did not take ends with an
 * error completion, and the user disconnects (fabric.h).
 */
void vc_flush_sends(struct fabric_conn_req *c)
{
	unsigned int n = c->sq_pending, posted, first;
	struct ibv_send_wr *ibad;
	struct fabric_cq *cq;
	int ret;

	if (!n)
		return;
	c->sq_pending = c->sge_pending = 0;
	cq = atomic_load_explicit(&c->cq, memory_order_relaxed);
	v_cnt_add(&cq->cnt.send_posts, 1);
	v_cnt_add(&cq->cnt.send_wrs, n);
	if (!ibv_post_send(c->qp, c->swr, &ibad))
		return;
	ret = errno ? -errno : -ENOMEM;
	posted = ibad - c->swr;
	first = ((struct vslot *)(uintptr_t)c->swr[0].wr_id)->idx;
	cm_log(LOG_ERR, c, "ibv_post_send of %u WRs: %s at WR %u", n,
	       strerror(-ret), posted);
	/*
	 * The unposted WRs keep their slots (retired by a later completion
	 * or the drain's marker, as unsignalled ones are): a handler below
	 * may post again, into swr and the slots after them.
	 */
	for (unsigned int i = posted; i < n; i++)
		vcq_complete_unposted(
			c, &c->sq_slots[(first + i) % c->attr.sq_depth],
			FABRIC_WC_RETRY_EXC_ERR);
}

static void vc_flush_cb(void *arg)
{
	vc_flush_sends(arg);
}

int v_post_send(struct fabric_qp *qp, struct fabric_send_wr *wr,
		struct fabric_send_wr **bad)
{
	struct fabric_conn_req *c = vc_of(qp);
	struct verbs_fabric *vf = c->vf;
	unsigned int n = 0, nsge = c->sge_pending,
		     free_slots = c->attr.sq_depth - c->sq_used;
	struct fabric_send_wr *w;
	struct fabric_cq *cq;

	if (!c->qp || c->state >= VC_DRAINING) {
		*bad = wr;
		return -EINVAL;
	}
	/* Validate and count first: the chain is posted whole or not at
	 * all (fabric.h). */
	for (w = wr; w; w = w->next, n++) {
		if (w->num_sge > c->attr.max_sge ||
		    (w->num_sge && !w->sg_list) ||
		    (w->opcode != FABRIC_WR_SEND &&
		     w->opcode != FABRIC_WR_RDMA_WRITE &&
		     w->opcode != FABRIC_WR_RDMA_READ)) {
			*bad = w;
			return -EINVAL;
		}
	}
	if (n > free_slots) {
		*bad = wr;
		return -ENOMEM;
	}
	/* Appended to the round's chain: slots follow sq_used, which
	 * counts the pending WRs already. */
	n = 0;
	for (w = wr; w; w = w->next, n++) {
		unsigned int idx =
			(c->sq_head + c->sq_used + n) % c->attr.sq_depth;
		struct vslot *s = &c->sq_slots[idx];
		struct ibv_send_wr *iw = &c->swr[c->sq_pending + n];

		s->wr_id = w->wr_id;
		s->kind = w->opcode == FABRIC_WR_SEND ? VS_SEND : VS_RDMA;
		if (w->signaled)
			vcq_count(c->cqd, s, w->lazy ? VSF_LAZY : VSF_URGENT);
		memset(iw, 0, sizeof(*iw));
		iw->wr_id = (uintptr_t)s;
		iw->sg_list = &c->ssge[nsge];
		iw->num_sge = w->num_sge;
		for (unsigned int i = 0; i < w->num_sge; i++) {
			c->ssge[nsge].addr = w->sg_list[i].addr;
			c->ssge[nsge].length = w->sg_list[i].length;
			c->ssge[nsge].lkey =
				v_lkey(vf, c->dev->idx, w->sg_list[i].lkey);
			nsge++;
		}
		switch (w->opcode) {
		case FABRIC_WR_SEND:
			iw->opcode = IBV_WR_SEND;
			break;
		case FABRIC_WR_RDMA_WRITE:
			iw->opcode = IBV_WR_RDMA_WRITE;
			break;
		default: /* FABRIC_WR_RDMA_READ, checked above */
			iw->opcode = IBV_WR_RDMA_READ;
			break;
		}
		if (w->opcode != FABRIC_WR_SEND) {
			iw->wr.rdma.remote_addr = w->remote_addr;
			iw->wr.rdma.rkey = w->rkey;
		}
		if (w->signaled)
			iw->send_flags = IBV_SEND_SIGNALED;
		if (c->sq_pending + n)
			c->swr[c->sq_pending + n - 1].next = iw;
	}
	c->sq_used += n;
	c->sq_pending += n;
	c->sge_pending = nsge;
	cq = atomic_load_explicit(&c->cq, memory_order_relaxed);
	/* Completions awaited, or owed: the send CQ or the idle hook. */
	if (cq->notify == VCQ_EVENTS)
		vcq_sends_owed(c->cqd);
	/* Posted at the end of the round, or now outside one. */
	c->flush.fn = vc_flush_cb;
	c->flush.arg = c;
	loop_defer(cq->loop, &c->flush);
	return 0;
}

/*
 * The drain did not finish: a receive posted to a QP in error that the
 * device never flushes.  Report drained() anyway so the channel can be
 * released, and keep the connection's memory until the fabric is
 * destroyed: a late completion may still point at its slots.
 */
static void vc_drain_timeout(void *arg)
{
	struct fabric_conn_req *c = arg;

	c->drain_timer = NULL;
	cm_log(LOG_WARNING, c,
	       "drain incomplete after %u s (%u receives, send marker %s): forcing",
	       V_DRAIN_TIMEOUT_S, c->rq_used,
	       c->mark_send_done ? "done" : "pending");
	c->drain_forced = true;
	c->mark_send_done = true;
	c->rq_used = 0;
	c->sw_flush = NULL;
	vc_check_drained(c);
}

int v_drain(struct fabric_qp *qp)
{
	struct fabric_conn_req *c = vc_of(qp);
	struct ibv_qp_attr qa = { .qp_state = IBV_QPS_ERR };
	struct ibv_send_wr sw = { 0 }, *sbad;
	struct fabric_cq *cq = atomic_load(&c->cq);
	int ret;

	if (!c->qp || c->state >= VC_DRAINING)
		return -EINVAL;
	if (c->established_reported || c->state >= VC_ACCEPTED)
		vc_defer_disconnected(c);
	/* This round's WRs go first: the marker must come after them. */
	loop_defer_cancel(cq->loop, &c->flush);
	vc_flush_sends(c);
	vc_set_state(c, VC_DRAINING);
	c->hw_error = true;
	/*
	 * Error state flushes everything queued; the marker is the last WR
	 * of the send queue, so its flush completion means every earlier
	 * send WR has completed (ib_drain_qp; no
	 * IBV_EVENT_QP_LAST_WQE_REACHED on rxe).  Receives are counted
	 * instead of using a receive marker: rxe (Linux 6.1) does not flush
	 * a receive posted to a QP that is already in error.
	 */
	/*
	 * The marker's flush is awaited: the send CQ is armed before the QP
	 * goes to error, since on Soft-RoCE the flushes are written during
	 * the calls below and a completion before the arm raises no event.
	 */
	vcq_count(c->cqd, &c->mark_send, VSF_URGENT);
	if (cq->notify == VCQ_EVENTS)
		vcq_sends_owed(c->cqd);
	if (ibv_modify_qp(c->qp, &qa, IBV_QP_STATE)) {
		ret = -errno;
		cm_log(LOG_ERR, c, "modify QP to error: %s", strerror(-ret));
		vcq_uncount(c->cqd, &c->mark_send);
		return ret;
	}
	sw.wr_id = (uintptr_t)&c->mark_send;
	sw.opcode = IBV_WR_SEND;
	sw.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(c->qp, &sw, &sbad)) {
		ret = errno ? -errno : -EIO;
		cm_log(LOG_ERR, c, "drain marker send: %s", strerror(-ret));
		vcq_uncount(c->cqd, &c->mark_send);
		return ret;
	}
	if (loop_timer_add(cq->loop, V_DRAIN_TIMEOUT_S * 1000ULL, 0,
			   vc_drain_timeout, c, &c->drain_timer))
		c->drain_timer = NULL;
	return 0;
}
