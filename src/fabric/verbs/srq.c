/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: shared receive queues.  A CQ's SRQ has one part per CQ
 * part (i.e. per device), created and released with it; receive
 * completions are matched to their QP through a qp_num table (rules in
 * verbs_int.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fabric/verbs/verbs_int.h"

static unsigned int vsrq_hash(uint32_t qpn)
{
	return (qpn * 2654435761u) & (V_QPMAP_SIZE - 1);
}

/* qp_num -> connection, vf->lock held.  -ENOSPC: too many QPs. */
int vsrq_map_add(struct vsrq_dev *sd, uint32_t qpn, struct fabric_conn_req *c)
{
	unsigned int live = 0, h = vsrq_hash(qpn);

	for (unsigned int i = 0; i < V_QPMAP_SIZE; i++) {
		unsigned int k = atomic_load(&sd->qpn_keys[i]);

		live += k && k != V_QPMAP_TOMB;
	}
	if (live >= V_QPMAP_SIZE / 2)
		return -ENOSPC;
	for (;; h = (h + 1) & (V_QPMAP_SIZE - 1)) {
		unsigned int k = atomic_load(&sd->qpn_keys[h]);

		if (k && k != V_QPMAP_TOMB)
			continue;
		/* Connection first: a reader that sees the key finds it. */
		atomic_store_explicit(&sd->qpn_conns[h], c,
				      memory_order_relaxed);
		atomic_store_explicit(&sd->qpn_keys[h], qpn,
				      memory_order_release);
		return 0;
	}
}

/* Lock-free, on the CQ's thread. */
static struct fabric_conn_req *vsrq_map_find(struct vsrq_dev *sd, uint32_t qpn)
{
	unsigned int h = vsrq_hash(qpn);

	for (unsigned int i = 0; i < V_QPMAP_SIZE;
	     i++, h = (h + 1) & (V_QPMAP_SIZE - 1)) {
		unsigned int k = atomic_load_explicit(&sd->qpn_keys[h],
						      memory_order_acquire);

		if (!k)
			return NULL;
		if (k == qpn)
			return atomic_load_explicit(&sd->qpn_conns[h],
						    memory_order_relaxed);
	}
	return NULL;
}

/* vf->lock held. */
static void vsrq_map_del(struct vsrq_dev *sd, uint32_t qpn)
{
	unsigned int h = vsrq_hash(qpn);

	for (unsigned int i = 0; i < V_QPMAP_SIZE;
	     i++, h = (h + 1) & (V_QPMAP_SIZE - 1)) {
		unsigned int k = atomic_load(&sd->qpn_keys[h]);

		if (!k)
			return;
		if (k == qpn) {
			atomic_store_explicit(&sd->qpn_keys[h], V_QPMAP_TOMB,
					      memory_order_release);
			return;
		}
	}
}

/*
 * Post the receives given back during this round as one chain: one call
 * into the provider (a doorbell on hardware) for all of them
 * (doc/performance.md "Batched posts").
 */
static void vsrq_flush(void *arg)
{
	struct vsrq_dev *sd = arg;
	struct ibv_recv_wr *bad;
	int ret;

	if (!sd->post_head)
		return;
	v_cnt_add(&sd->cd->cq->cnt.recv_posts, 1);
	v_cnt_add(&sd->cd->cq->cnt.recv_wrs, sd->n_post);
	ret = ibv_post_srq_recv(sd->isrq, sd->post_head, &bad);
	if (ret) {
		/* Those from bad on are kept aside until the part goes
		 * (device in error). */
		pr_err_ratelimited("verbs %s: ibv_post_srq_recv: %s",
				   sd->cd->dev->name, strerror(ret));
	}
	sd->post_head = NULL;
	sd->post_tail = &sd->post_head;
	sd->n_post = 0;
}

static void vsrq_queue(struct vsrq_dev *sd, struct vsrq_buf *b)
{
	b->wr.next = NULL;
	*sd->post_tail = &b->wr;
	sd->post_tail = &b->wr.next;
	sd->n_post++;
}

/* Posted at the end of the CQ loop's round, or now outside one. */
static void vsrq_post(struct vsrq_dev *sd, struct vsrq_buf *b)
{
	vsrq_queue(sd, b);
	loop_defer(sd->cd->cq->loop, &sd->flush);
}

/* Release an SRQ part (vf->lock held, CQ thread); also a partial one. */
void vsrq_dev_teardown(struct vsrq_dev *sd)
{
	struct vdev *d = sd->cd ? sd->cd->dev : NULL;

	if (!sd->srq)
		return;
	if (sd->cd)
		loop_defer_cancel(sd->cd->cq->loop, &sd->flush);
	if (sd->isrq && ibv_destroy_srq(sd->isrq))
		vdev_log(LOG_ERR, d, "ibv_destroy_srq: %m");
	if (sd->mr && ibv_dereg_mr(sd->mr))
		vdev_log(LOG_ERR, d, "ibv_dereg_mr (SRQ buffers): %m");
	if (sd->lent) {
		/* A user still holds buffers (fabric.h says it may not):
		 * keep their memory rather than free it under them. */
		vdev_log(LOG_ERR, d,
			 "SRQ released with %u buffers lent: memory kept",
			 sd->lent);
	} else {
		if (sd->mem)
			munmap(sd->mem, sd->mem_len);
		free(sd->bufs);
	}
	free(sd->qpn_keys);
	free(sd->qpn_conns);
	if (sd->cq_reserved)
		atomic_fetch_sub(&sd->cd->reserved, sd->cq_reserved);
	memset(sd, 0, sizeof(*sd));
}

/*
 * Create the part of srq on the device of CQ part cd (vf->lock held, CQ
 * thread): the ibv_srq, its buffers registered once on the device's PD,
 * every buffer posted, and CQ room for all of them.  On error the caller
 * tears the partial part down.
 */
int vsrq_dev_setup(struct fabric_srq *srq, struct vcq_dev *cd)
{
	struct vdev *d = cd->dev;
	struct vsrq_dev *sd = &srq->devs[d->idx];
	struct ibv_srq_init_attr ia;
	size_t pad, stride;
	int ret;

	sd->srq = srq;
	sd->cd = cd;
	sd->post_tail = &sd->post_head;
	sd->flush.fn = vsrq_flush;
	sd->flush.arg = sd;
	if (d->attr.max_srq <= 0 || d->attr.max_srq_wr <= 0) {
		vdev_log(LOG_ERR, d, "no shared receive queue support");
		return -EOPNOTSUPP;
	}
	sd->depth = umin(srq->attr.depth, d->attr.max_srq_wr);
	if (sd->depth < srq->attr.depth)
		vdev_log(LOG_NOTICE, d, "SRQ size %u capped to max_srq_wr %u",
			 srq->attr.depth, sd->depth);
	ret = vcq_reserve(cd, sd->depth);
	if (ret) {
		vdev_log(LOG_ERR, d,
			 "CQ of %u entries too small for an SRQ of %u", cd->cap,
			 sd->depth);
		return ret;
	}
	sd->cq_reserved = sd->depth;
	/* Byte align_off of each buffer on a 512-byte boundary. */
	stride = fabric_recv_buf_layout(srq->attr.buf_size, srq->attr.align_off,
					&pad);
	sd->mem_len = ALIGN_UP(stride * sd->depth, (size_t)4096);
	sd->mem = mmap(NULL, sd->mem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sd->mem == MAP_FAILED) {
		sd->mem = NULL;
		return -ENOMEM;
	}
	sd->bufs = calloc(sd->depth, sizeof(*sd->bufs));
	sd->qpn_keys = calloc(V_QPMAP_SIZE, sizeof(*sd->qpn_keys));
	sd->qpn_conns = calloc(V_QPMAP_SIZE, sizeof(*sd->qpn_conns));
	if (!sd->bufs || !sd->qpn_keys || !sd->qpn_conns)
		return -ENOMEM;
	sd->mr =
		ibv_reg_mr(d->pd, sd->mem, sd->mem_len, IBV_ACCESS_LOCAL_WRITE);
	if (!sd->mr) {
		ret = errno ? -errno : -ENOMEM;
		vdev_log(LOG_ERR, d, "ibv_reg_mr (SRQ, %zu bytes): %s",
			 sd->mem_len, strerror(-ret));
		return ret;
	}
	memset(&ia, 0, sizeof(ia));
	ia.srq_context = sd;
	ia.attr.max_wr = sd->depth;
	ia.attr.max_sge = 1; /* the whole IU (doc/verbs.md "Receives") */
	sd->isrq = ibv_create_srq(d->pd, &ia);
	if (!sd->isrq) {
		ret = errno ? -errno : -ENOMEM;
		vdev_log(LOG_ERR, d, "ibv_create_srq(%u): %s", sd->depth,
			 strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < sd->depth; i++) {
		struct vsrq_buf *b = &sd->bufs[i];

		b->pub.addr = sd->mem + i * stride + pad;
		b->pub.size = srq->attr.buf_size;
		b->sd = sd;
		b->slot.kind = VS_SRQ_RECV;
		b->sge.addr = (uintptr_t)b->pub.addr;
		b->sge.length = b->pub.size;
		b->sge.lkey = sd->mr->lkey;
		b->wr.wr_id = (uintptr_t)&b->slot;
		b->wr.sg_list = &b->sge;
		b->wr.num_sge = 1;
		vsrq_queue(sd, b);
	}
	vsrq_flush(sd);
	vdev_log(LOG_INFO, d, "shared receive queue: %u receives of %u bytes",
		 sd->depth, srq->attr.buf_size);
	return 0;
}

/* A receive of an SRQ part completed: find the QP that consumed it. */
void vsrq_dispatch(struct vsrq_buf *b, const struct ibv_wc *wc)
{
	struct vsrq_dev *sd = b->sd;
	struct fabric_conn_req *c = vsrq_map_find(sd, wc->qp_num);
	enum fabric_wc_status st = fabric_verbs_wc_status(wc->status);

	if (st != FABRIC_WC_SUCCESS) {
		/* Flushed: the SRQ itself is in error (device fatal), keep
		 * the buffer aside.  Other errors end that QP only. */
		if (st != FABRIC_WC_WR_FLUSH_ERR) {
			vdev_log(LOG_WARNING, sd->cd->dev,
				 "qp 0x%x: SRQ receive completion: %s",
				 wc->qp_num, ibv_wc_status_str(wc->status));
			vsrq_post(sd, b);
		}
		if (c && c->state < VC_DRAINED) {
			c->hw_error = true;
			c->h->recv_done(c->base.ctx, 0, st, 0);
		}
		return;
	}
	if (!c || c->state >= VC_DRAINED) {
		/* Its QP is being torn down: the IU goes nowhere. */
		vsrq_post(sd, b);
		return;
	}
	b->lent = true;
	sd->lent++;
	c->h->recv_done(c->base.ctx, (uintptr_t)&b->pub, st, wc->byte_len);
}

int v_srq_create(struct fabric_cq *cq, const struct fabric_srq_attr *a,
		 struct fabric_srq **out)
{
	struct verbs_fabric *vf;
	struct fabric_srq *srq;
	int ret = 0;

	if (!cq || !a || !a->depth || !a->buf_size || cq->srq)
		return -EINVAL;
	vf = cq->vf;
	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return -ENOMEM;
	srq->cq = cq;
	srq->attr = *a;
	/* Under the lock, like the CQ parts a device addition creates. */
	pthread_mutex_lock(&vf->lock);
	cq->srq = srq;
	for (unsigned int i = 0; i < V_MAX_DEVS && !ret; i++)
		if (cq->devs[i].icq)
			ret = vsrq_dev_setup(srq, &cq->devs[i]);
	if (ret) {
		for (unsigned int i = 0; i < V_MAX_DEVS; i++)
			vsrq_dev_teardown(&srq->devs[i]);
		cq->srq = NULL;
	}
	pthread_mutex_unlock(&vf->lock);
	if (ret) {
		free(srq);
		return ret;
	}
	*out = srq;
	return 0;
}

void v_srq_destroy(struct fabric_srq *srq)
{
	struct verbs_fabric *vf;

	if (!srq)
		return;
	vf = srq->cq->vf;
	if (atomic_load(&srq->nr_qps))
		v_log(LOG_ERR, "SRQ destroyed with %u QPs",
		      atomic_load(&srq->nr_qps));
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		vsrq_dev_teardown(&srq->devs[i]);
	srq->cq->srq = NULL;
	pthread_mutex_unlock(&vf->lock);
	free(srq);
}

void v_srq_repost(struct fabric_srq *srq, struct fabric_srq_buf *buf)
{
	struct vsrq_buf *b = container_of(buf, struct vsrq_buf, pub);
	struct vsrq_dev *sd = b->sd;

	if (!b->lent) {
		v_log(LOG_ERR, "SRQ buffer %p given back twice", buf->addr);
		return;
	}
	b->lent = false;
	sd->lent--;
	/* A device going away takes no new receives: kept aside. */
	if (atomic_load(&sd->cd->dev->state) == VD_ACTIVE)
		vsrq_post(sd, b);
}

/* Unmap a QP from its SRQ part (before the QP is destroyed). */
void vc_srq_detach(struct fabric_conn_req *c)
{
	if (!c->sd)
		return;
	pthread_mutex_lock(&c->vf->lock);
	vsrq_map_del(c->sd, atomic_load(&c->qp_num));
	pthread_mutex_unlock(&c->vf->lock);
	atomic_fetch_sub(&c->sd->srq->nr_qps, 1);
	c->sd = NULL;
}
