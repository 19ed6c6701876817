/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: the connection object made for every CONNECT_REQUEST (it
 * also carries the QP): references, the forward-only state, and the
 * messages that carry CM events and deferred upcalls to the QP's thread.
 * Threads and lifetimes: verbs_int.h.
 */
#include <stdlib.h>

#include "fabric/verbs/verbs_int.h"

const char *const vc_state_names[] = {
	[VC_REQ] = "request",
	[VC_QP] = "qp",
	[VC_ACCEPTED] = "accepted",
	[VC_LIVE] = "live",
	[VC_DISCONNECTING] = "disconnecting",
	[VC_ERROR] = "error",
	[VC_DRAINING] = "draining",
	[VC_DRAINED] = "drained",
	[VC_DESTROYED] = "destroyed",
};

void vc_get(struct fabric_conn_req *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void vc_free(struct fabric_conn_req *c)
{
	struct verbs_fabric *vf = c->vf;
	struct vdev *d = c->dev;
	bool release = false;

	pthread_mutex_lock(&vf->lock);
	if (c->prev)
		c->prev->next = c->next;
	else if (vf->conns == c)
		vf->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (d) {
		d->nconns--;
		/* The last connection of a removed device is gone: release
		 * its CQ parts, MRs and PD (main thread). */
		if (atomic_load(&d->state) == VD_REMOVING && !d->nconns &&
		    !d->release_started) {
			d->release_started = true;
			release = true;
		}
	}
	pthread_mutex_unlock(&vf->lock);
	if (release && loop_send(vf->main_loop, v_dev_release_cqs, d))
		vdev_log(LOG_ERR, d, "cannot schedule the device release");
	free(c->sq_slots);
	free(c->rq_slots);
	free(c->swr);
	free(c->ssge);
	free(c->rwr);
	free(c->rsge);
	free(c);
}

/* A reference on a connection found through vf->conns: fails when it is
 * already being freed (vc_free waits for vf->lock). */
bool vc_tryget(struct fabric_conn_req *c)
{
	int r = atomic_load(&c->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&c->refs, &r, r + 1))
			return true;
	return false;
}

void vc_put(struct fabric_conn_req *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		vc_free(c);
}

/* The one place the connection state changes; only forward. */
bool vc_set_state(struct fabric_conn_req *c, enum vconn_state s)
{
	if (s <= c->state)
		return false;
	cm_log(LOG_DEBUG, c, "%s -> %s", vc_state_names[c->state],
	       vc_state_names[s]);
	c->state = s;
	return true;
}

/* Tear down the id (and QP): no CM event can follow. */
void vc_release_id(struct fabric_conn_req *c)
{
	if (c->qp) {
		rdma_destroy_qp(c->id);
		c->qp = NULL;
	}
	if (c->id) {
		rdma_destroy_id(c->id);
		c->id = NULL;
	}
}

struct vmsg {
	struct fabric_conn_req *c;
	enum vmsg_kind kind;
};

static void vc_report_drained(struct fabric_conn_req *c)
{
	if (!vc_set_state(c, VC_DRAINED))
		return;
	c->h->drained(c->base.ctx);
}

static void vc_report_disconnected(struct fabric_conn_req *c)
{
	if (c->disconnect_reported)
		return;
	c->disconnect_reported = true;
	if (c->state < VC_ERROR)
		vc_set_state(c, VC_ERROR);
	c->h->disconnected(c->base.ctx);
}

/* drain() done: the send marker came back and no receive is out. */
void vc_check_drained(struct fabric_conn_req *c)
{
	if (c->state != VC_DRAINING || !c->mark_send_done || c->rq_used ||
	    c->sw_flush)
		return;
	if (c->drain_timer) {
		loop_timer_cancel(atomic_load(&c->cq)->loop, c->drain_timer);
		c->drain_timer = NULL;
	}
	if (c->disc_msg_pending)
		c->drained_pending = true;
	else
		vc_report_drained(c);
}

static void vc_sw_flush(struct fabric_conn_req *c)
{
	struct vslot *s;

	c->sw_flush_scheduled = false;
	while ((s = c->sw_flush)) {
		c->sw_flush = s->next;
		s->next = c->rq_free;
		c->rq_free = s;
		c->rq_used--;
		if (c->state < VC_DRAINED)
			c->h->recv_done(c->base.ctx, s->wr_id,
					FABRIC_WC_WR_FLUSH_ERR, 0);
	}
	vc_check_drained(c);
}

static void vc_msg_fn(void *arg)
{
	struct vmsg *m = arg;
	struct fabric_conn_req *c = m->c;

	if (c->state == VC_DESTROYED)
		goto out;
	switch (m->kind) {
	case VM_ESTABLISHED:
		if (c->state == VC_ACCEPTED && vc_set_state(c, VC_LIVE)) {
			c->established_reported = true;
			cm_log(LOG_INFO, c, "connection established (qp 0x%x)",
			       c->qp ? c->qp->qp_num : 0);
			c->h->established(c->base.ctx);
		}
		break;
	case VM_DISCONNECTED:
		/* Peer DREQ: answer with DREP (rdma_disconnect) unless we
		 * started the disconnect (doc/verbs.md "Connection
		 * states"); either way the QP is in error now. */
		if (c->state < VC_DISCONNECTING && c->id &&
		    c->state >= VC_ACCEPTED) {
			if (rdma_disconnect(c->id))
				cm_log(LOG_DEBUG, c, "DREP: %m");
		}
		c->hw_error = true;
		if (c->state < VC_ERROR)
			vc_set_state(c, VC_ERROR);
		vc_report_disconnected(c);
		break;
	case VM_SW_FLUSH:
		vc_sw_flush(c);
		break;
	case VM_REPORT_DISC:
		c->disc_msg_pending = false;
		vc_report_disconnected(c);
		if (c->drained_pending) {
			c->drained_pending = false;
			vc_report_drained(c);
		}
		break;
	}
out:
	free(m);
	vc_put(c);
}

/* Queue kind for c on its CQ's loop (thread-safe). */
void vc_send(struct fabric_conn_req *c, enum vmsg_kind kind)
{
	struct fabric_cq *cq = atomic_load(&c->cq);
	struct vmsg *m;

	if (!cq)
		return;
	m = malloc(sizeof(*m));
	if (!m) {
		cm_log(LOG_ERR, c, "out of memory forwarding a CM event");
		return;
	}
	m->c = c;
	m->kind = kind;
	vc_get(c);
	if (loop_send(cq->loop, vc_msg_fn, m)) {
		cm_log(LOG_ERR, c, "cannot forward a CM event");
		free(m);
		vc_put(c);
	}
}

/* disconnected() from inside one of our calls: defer (no recursion). */
void vc_defer_disconnected(struct fabric_conn_req *c)
{
	if (c->disconnect_reported || c->disc_msg_pending)
		return;
	c->disc_msg_pending = true;
	vc_send(c, VM_REPORT_DISC);
}
