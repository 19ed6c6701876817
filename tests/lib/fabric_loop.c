/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric (see fabric_loop.h): its objects and the fabric_ops
 * callbacks; the wire engine that runs posted work is fabric_loop_wire.c,
 * the structures both share are in fabric_loop_int.h.
 *
 * Model:
 *  - One MR table per fabric; lkey == rkey == (slot + 1) << 8 | generation,
 *    so a key of a deregistered region never matches a new one.
 *  - A QP owns a send ring and a receive ring (copies of the posted WRs).
 *    Posting appends and puts the QP on the engine's run list; the engine
 *    (an eventfd "doorbell" on the loop) executes WRs in order, copying
 *    memory after checking keys, bounds and access like an HCA.
 *  - Every upcall -- completions, established, connect_done, disconnected,
 *    drained -- is an entry of the QP's CQ, dispatched in FIFO order by the
 *    engine, so a QP sees its flushes before disconnected and drained last,
 *    and nothing runs inside a post call.
 *  - A SEND finding no posted receive waits (RNR retry count 7 = retry
 *    forever, which ib_srp and ib_srpt both use).
 *  - A shared receive queue is a FIFO of fabric-owned buffers (one
 *    registered region): a SEND to a QP attached to it takes the oldest,
 *    waits (RNR) when none is posted, and lends it to the receiver until
 *    srq_repost().  A lent buffer whose completion is dropped (QP
 *    destroyed first) goes back by itself, as the HCA would keep it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fabric_loop_int.h"
#include "log.h"
#include "loop.h"
#include "util.h"

static const struct fabric_ops lf_ops;

void lf_kick(struct loop_fabric *lf)
{
	uint64_t one = 1;

	if (lf->running) {
		lf->more = true;
		return;
	}
	if (lf->rung)
		return;
	lf->rung = true;
	if (write(lf->doorbell, &one, sizeof(one)) < 0)
		pr_err("fabric loop: doorbell write: %m");
}

/* ---- memory regions ---------------------------------------------------- */

static int lf_mr_reg(struct fabric *f, void *addr, size_t len,
		     unsigned int access, struct fabric_mr **out)
{
	struct loop_fabric *lf = lf_of(f);
	struct lf_mr *mr;
	unsigned int slot;

	if (!addr || !len || len > f->caps.max_mr_size)
		return -EINVAL;
	for (slot = 0; slot < lf->mr_cap; slot++)
		if (!lf->mrs[slot])
			break;
	if (slot == lf->mr_cap) {
		unsigned int ncap = lf->mr_cap ? lf->mr_cap * 2 : 16;
		struct lf_mr **n = realloc(lf->mrs, ncap * sizeof(*n));
		uint8_t *g;

		if (!n)
			return -ENOMEM;
		lf->mrs = n;
		g = realloc(lf->mr_gen, ncap);
		if (!g)
			return -ENOMEM;
		lf->mr_gen = g;
		memset(&n[lf->mr_cap], 0, (ncap - lf->mr_cap) * sizeof(*n));
		memset(&g[lf->mr_cap], 0, ncap - lf->mr_cap);
		lf->mr_cap = ncap;
	}
	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	mr->slot = slot;
	mr->base.fabric = f;
	mr->base.addr = addr;
	mr->base.length = len;
	mr->base.access = access;
	mr->base.lkey = (slot + 1) << LF_KEY_GEN_BITS | lf->mr_gen[slot];
	mr->base.rkey = mr->base.lkey;
	lf->mrs[slot] = mr;
	lf->nr_objs++;
	*out = &mr->base;
	return 0;
}

static void lf_mr_dereg(struct fabric_mr *m)
{
	struct loop_fabric *lf;
	struct lf_mr *mr;

	if (!m)
		return;
	lf = lf_of(m->fabric);
	mr = container_of(m, struct lf_mr, base);
	lf->mrs[mr->slot] = NULL;
	lf->mr_gen[mr->slot]++;
	lf->nr_objs--;
	free(mr);
}

/*
 * Find the region a key names and check [addr, addr+len) lies inside it
 * with the needed access; NULL is what the HCA reports as a protection or
 * remote access error.
 */
struct lf_mr *lf_mr_check(struct loop_fabric *lf, uint32_t key, uint64_t addr,
			  uint64_t len, unsigned int access)
{
	unsigned int slot = (key >> LF_KEY_GEN_BITS) - 1;
	struct lf_mr *mr;
	uint64_t start;

	if (slot >= lf->mr_cap)
		return NULL;
	mr = lf->mrs[slot];
	if (!mr || mr->base.lkey != key)
		return NULL;
	if ((mr->base.access & access) != access)
		return NULL;
	start = (uintptr_t)mr->base.addr;
	if (addr < start || len > mr->base.length ||
	    addr - start > mr->base.length - len)
		return NULL;
	return mr;
}

/* ---- completion queues ------------------------------------------------- */

static int lf_cq_create(struct fabric *f, struct loop *loop, unsigned int depth,
			struct fabric_cq **out)
{
	struct loop_fabric *lf = lf_of(f);
	struct fabric_cq *cq;

	/* Single-threaded instrument: one loop for everything. */
	if (loop != lf->loop)
		return -EINVAL;
	if (!depth)
		depth = 64;
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return -ENOMEM;
	cq->ring = calloc(depth, sizeof(*cq->ring));
	if (!cq->ring) {
		free(cq);
		return -ENOMEM;
	}
	cq->cap = depth;
	cq->lf = lf;
	cq->next_cq = lf->cqs;
	lf->cqs = cq;
	lf->nr_objs++;
	*out = cq;
	return 0;
}

/* Single-threaded: plain reads of what this thread wrote. */
static void lf_cq_counters(struct fabric_cq *cq, struct fabric_cq_counters *out)
{
	*out = cq->cnt;
}

static void lf_cq_destroy(struct fabric_cq *cq)
{
	struct loop_fabric *lf;
	struct fabric_cq **pp;

	if (!cq)
		return;
	lf = cq->lf;
	for (pp = &lf->cqs; *pp; pp = &(*pp)->next_cq)
		if (*pp == cq) {
			*pp = cq->next_cq;
			break;
		}
	for (unsigned int i = 0; i < cq->count; i++)
		free(cq->ring[(cq->head + i) % cq->cap].pdata);
	lf->nr_objs--;
	free(cq->ring);
	free(cq);
}

/*
 * A real CQ is sized by its creator and overruns are fatal; the loopback
 * grows instead (rare, never in steady state) so tests see protocol
 * errors, not CQ sizing.
 */
static struct lf_wc *lf_cq_push(struct fabric_cq *cq)
{
	struct lf_wc *wc;

	if (cq->count == cq->cap) {
		unsigned int ncap = cq->cap * 2;
		struct lf_wc *n = calloc(ncap, sizeof(*n));

		if (!n) {
			pr_err("fabric loop: CQ overrun");
			abort();
		}
		for (unsigned int i = 0; i < cq->count; i++)
			n[i] = cq->ring[(cq->head + i) % cq->cap];
		free(cq->ring);
		cq->ring = n;
		cq->cap = ncap;
		cq->head = 0;
	}
	wc = &cq->ring[(cq->head + cq->count) % cq->cap];
	cq->count++;
	memset(wc, 0, sizeof(*wc));
	lf_kick(cq->lf);
	return wc;
}

void lf_complete(struct lf_qp *qp, enum lf_wc_kind kind, uint64_t wr_id,
		 enum fabric_wc_status st, uint32_t byte_len)
{
	struct lf_wc *wc = lf_cq_push(qp->cq);

	wc->qp = qp;
	wc->kind = kind;
	wc->wr_id = wr_id;
	wc->status = st;
	wc->byte_len = byte_len;
	if (kind == LFW_RECV && qp->attr.srq && wr_id)
		wc->srq = qp->attr.srq;
	if (st != FABRIC_WC_SUCCESS && st != FABRIC_WC_WR_FLUSH_ERR)
		qp->lf->stats.error_wcs++;
}

void lf_run_list_add(struct lf_qp *qp)
{
	struct loop_fabric *lf = qp->lf;

	if (qp->on_run_list)
		return;
	qp->on_run_list = true;
	qp->next_run = NULL;
	if (lf->run_tail)
		lf->run_tail->next_run = qp;
	else
		lf->run_head = qp;
	lf->run_tail = qp;
	lf_kick(lf);
}

/* ---- QP error and flush ------------------------------------------------ */

enum lf_wc_kind lf_swr_kind(const struct lf_swr *w)
{
	return w->opcode == FABRIC_WR_SEND ? LFW_SEND : LFW_RDMA;
}

static void lf_flush(struct lf_qp *qp)
{
	while (qp->sq_count) {
		struct lf_swr *w = &qp->sq[qp->sq_head];

		lf_complete(qp, lf_swr_kind(w), w->wr_id,
			    FABRIC_WC_WR_FLUSH_ERR, 0);
		qp->sq_head = (qp->sq_head + 1) % qp->attr.sq_depth;
		qp->sq_count--;
	}
	qp->reads_outstanding = 0;
	while (qp->rq_count) {
		lf_complete(qp, LFW_RECV, qp->rq[qp->rq_head].wr_id,
			    FABRIC_WC_WR_FLUSH_ERR, 0);
		qp->rq_head = (qp->rq_head + 1) % qp->attr.rq_depth;
		qp->rq_count--;
	}
}

static void lf_report_disconnect(struct lf_qp *qp)
{
	if (qp->disconnect_reported)
		return;
	qp->disconnect_reported = true;
	lf_complete(qp, LFW_DISCONNECTED, 0, FABRIC_WC_SUCCESS, 0);
}

/*
 * Move qp (and its peer: an RC connection whose one side fails is torn
 * down, the peer sees retries exhausted / a DREQ) to error.
 */
/* Deliver qp's deferred completions now (before its flushes). */
static void lf_def_deliver_qp(struct lf_qp *qp)
{
	struct loop_fabric *lf = qp->lf;

	for (unsigned int i = 0; i < lf->n_def; i++)
		if (lf->def[i].qp == qp) {
			lf->def[i].qp = NULL;
			lf_complete(qp, lf->def[i].kind, lf->def[i].wr_id,
				    FABRIC_WC_SUCCESS, 0);
		}
}

void lf_qp_error(struct lf_qp *qp)
{
	struct lf_qp *peer = qp->peer;

	if (qp->state != LFQ_ERROR) {
		bool was_connected = qp->state == LFQ_RTS;

		qp->state = LFQ_ERROR;
		lf_def_deliver_qp(qp);
		lf_flush(qp);
		if (was_connected)
			lf_report_disconnect(qp);
	}
	qp->peer = NULL;
	if (peer) {
		peer->peer = NULL;
		lf_qp_error(peer);
	}
}

/* ---- queue pairs ------------------------------------------------------- */

static int lf_qp_alloc(struct loop_fabric *lf, struct fabric_cq *cq,
		       const struct fabric_qp_attr *attr,
		       const struct fabric_qp_handlers *h, void *ctx,
		       struct lf_qp **out)
{
	const struct fabric_caps *caps = &lf->base.caps;
	struct lf_qp *qp;

	if (!cq || !attr || !h || !attr->sq_depth ||
	    (!attr->rq_depth && !attr->srq) ||
	    (attr->srq && attr->srq->cq != cq) ||
	    attr->sq_depth > caps->max_qp_wr ||
	    attr->rq_depth > caps->max_qp_wr || attr->max_sge > caps->max_sge ||
	    attr->max_rd_atomic > caps->max_rd_atomic)
		return -EINVAL;
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return -ENOMEM;
	qp->sq = calloc(attr->sq_depth, sizeof(*qp->sq));
	qp->rq = attr->srq ? NULL : calloc(attr->rq_depth, sizeof(*qp->rq));
	if (!qp->sq || (!qp->rq && !attr->srq)) {
		free(qp->sq);
		free(qp->rq);
		free(qp);
		return -ENOMEM;
	}
	qp->base.fabric = &lf->base;
	qp->base.ctx = ctx;
	qp->lf = lf;
	qp->h = h;
	qp->cq = cq;
	qp->attr = *attr;
	if (attr->srq) {
		qp->attr.rq_depth = 0;
		attr->srq->nr_qps++;
	}
	if (!qp->attr.max_sge)
		qp->attr.max_sge = 1;
	qp->state = LFQ_INIT;
	cq->nr_qps++;
	qp->next_qp = lf->qps;
	lf->qps = qp;
	lf->nr_objs++;
	*out = qp;
	return 0;
}

static int lf_qp_create(struct fabric_conn_req *req, struct fabric_cq *cq,
			const struct fabric_qp_attr *attr,
			const struct fabric_qp_handlers *h, void *ctx,
			struct fabric_qp **out)
{
	struct lf_qp *qp;
	int ret;

	if (!req || !req->active)
		return -EINVAL;
	/* IBA 9.7.7: initiator depth may not exceed the peer's resources. */
	if (attr->max_rd_atomic > req->info.responder_resources)
		return -EINVAL;
	ret = lf_qp_alloc(req->active->lf, cq, attr, h, ctx, &qp);
	if (ret)
		return ret;
	qp->peer_resp_res = req->info.responder_resources;
	*out = &qp->base;
	return 0;
}

static void lf_qp_destroy(struct fabric_qp *q)
{
	struct lf_qp *qp, **pp;
	struct loop_fabric *lf;
	struct fabric_cq *cq;

	if (!q)
		return;
	qp = lq_of(q);
	lf = qp->lf;
	if (qp->peer) {
		/* Destroying a connected QP drops the connection. */
		struct lf_qp *peer = qp->peer;

		qp->peer = NULL;
		peer->peer = NULL;
		lf_qp_error(peer);
	}
	cq = qp->cq;
	for (unsigned int i = 0; i < cq->count; i++) {
		struct lf_wc *wc = &cq->ring[(cq->head + i) % cq->cap];

		if (wc->qp == qp) {
			wc->qp = NULL;
			free(wc->pdata);
			wc->pdata = NULL;
		}
	}
	if (qp->on_run_list) {
		struct lf_qp *prev = NULL;

		for (struct lf_qp *it = lf->run_head; it; it = it->next_run) {
			if (it == qp) {
				if (prev)
					prev->next_run = it->next_run;
				else
					lf->run_head = it->next_run;
				if (lf->run_tail == qp)
					lf->run_tail = prev;
				break;
			}
			prev = it;
		}
	}
	for (struct fabric_conn_req *r = lf->reqs_head; r; r = r->next)
		if (r->active == qp)
			r->active = NULL;
	for (unsigned int i = 0; i < lf->n_def; i++)
		if (lf->def[i].qp == qp)
			lf->def[i].qp = NULL;
	for (pp = &lf->qps; *pp; pp = &(*pp)->next_qp)
		if (*pp == qp) {
			*pp = qp->next_qp;
			break;
		}
	cq->nr_qps--;
	if (qp->attr.srq)
		qp->attr.srq->nr_qps--;
	lf->nr_objs--;
	free(qp->sq);
	free(qp->rq);
	free(qp);
}

/* ---- connection management --------------------------------------------- */

int fabric_loop_add_device(struct fabric *f, const char *name,
			   uint64_t node_guid, unsigned int *idx)
{
	struct loop_fabric *lf = lf_of(f);
	struct fabric_port_ref *d;

	if (lf->n_devs == LF_MAX_DEVS)
		return -ENOSPC;
	d = &lf->devs[lf->n_devs];
	snprintf(d->dev_name, sizeof(d->dev_name), "%s", name);
	d->port = 1;
	d->node_guid = node_guid;
	*idx = lf->n_devs++;
	return 0;
}

int fabric_loop_connect(struct fabric *f, struct fabric_cq *cq,
			const struct fabric_qp_attr *attr,
			const struct fabric_qp_handlers *h, void *ctx,
			const void *pdata, unsigned int len,
			bool rdma_cm_format, unsigned int responder_resources,
			struct fabric_qp **out)
{
	return fabric_loop_connect_via(f, 0, cq, attr, h, ctx, pdata, len,
				       rdma_cm_format, responder_resources,
				       out);
}

int fabric_loop_connect_via(
	struct fabric *f, unsigned int dev, struct fabric_cq *cq,
	const struct fabric_qp_attr *attr, const struct fabric_qp_handlers *h,
	void *ctx, const void *pdata, unsigned int len, bool rdma_cm_format,
	unsigned int responder_resources, struct fabric_qp **out)
{
	struct loop_fabric *lf = lf_of(f);
	struct fabric_conn_req *req;
	struct lf_qp *qp;
	int ret;

	if (dev >= lf->n_devs)
		return -EINVAL;
	/* RDMA/CM prepends its 36-byte header to the REQ private data. */
	if (len > (rdma_cm_format ? LF_REQ_PDATA_MAX - 36 : LF_REQ_PDATA_MAX))
		return -EINVAL;
	if (!h->connect_done)
		return -EINVAL;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	ret = lf_qp_alloc(lf, cq, attr, h, ctx, &qp);
	if (ret) {
		free(req);
		return ret;
	}
	memcpy(req->pdata, pdata, len);
	req->active = qp;
	req->info.fabric = f;
	req->info.via = lf->devs[dev];
	req->info.private_data = req->pdata;
	req->info.private_data_len = len;
	req->info.rdma_cm_format = rdma_cm_format;
	req->info.responder_resources = responder_resources;
	/* Like ib_srp: the initiator serves no RDMA READs, so its REQ offers
	 * the target no initiator depth (IBA 12.6.5, REQ). */
	req->info.initiator_depth = 0;
	snprintf(req->info.peer_name, sizeof(req->info.peer_name), "loop-qp-%p",
		 (void *)qp);
	memset(req->info.peer_gid, 0, 16);
	req->info.peer_gid[0] = 0xfe;
	req->info.peer_gid[1] = 0x80;
	memcpy(&req->info.peer_gid[8], &qp, sizeof(qp));
	if (lf->reqs_tail)
		lf->reqs_tail->next = req;
	else
		lf->reqs_head = req;
	lf->reqs_tail = req;
	lf_kick(lf);
	*out = &qp->base;
	return 0;
}

static void lf_connect_done(struct lf_qp *active, int status, const void *pdata,
			    unsigned int len)
{
	struct lf_wc *wc = lf_cq_push(active->cq);

	wc->qp = active;
	wc->kind = LFW_CONNECT_DONE;
	wc->conn_status = status;
	if (len) {
		wc->pdata = malloc(len);
		if (wc->pdata) {
			memcpy(wc->pdata, pdata, len);
			wc->pdata_len = len;
		}
	}
}

static int lf_accept(struct fabric_conn_req *req, struct fabric_qp *q,
		     const void *pdata, unsigned int len)
{
	struct lf_qp *qp = lq_of(q), *active = req->active;

	if (len > LF_REP_PDATA_MAX || qp->state != LFQ_INIT)
		return -EINVAL;
	free(req);
	if (!active) {
		/* The initiator gave up meanwhile: REP times out. */
		lf_qp_error(qp);
		lf_report_disconnect(qp);
		return -ECONNRESET;
	}
	qp->peer = active;
	active->peer = qp;
	/* The REP offers responder resources 4, as the kernel's ib_srpt does;
	 * it bounds the initiator's RDMA READs towards us (IBA 12.6.8, REP). */
	active->peer_resp_res = 4;
	qp->state = LFQ_RTS;
	active->state = LFQ_RTS;
	lf_complete(qp, LFW_ESTABLISHED, 0, FABRIC_WC_SUCCESS, 0);
	lf_connect_done(active, 0, pdata, len);
	if (qp->sq_count)
		lf_run_list_add(qp);
	return 0;
}

int lf_reject(struct fabric_conn_req *req, struct fabric_qp *q,
	      const void *pdata, unsigned int len)
{
	struct lf_qp *active = req->active;

	if (len > LF_REJ_PDATA_MAX)
		return -EINVAL;
	free(req);
	if (q)
		lf_qp_destroy(q);
	if (active) {
		active->state = LFQ_ERROR;
		lf_connect_done(active, -ECONNREFUSED, pdata, len);
	}
	return 0;
}

static int lf_disconnect(struct fabric_qp *q)
{
	struct lf_qp *qp = lq_of(q);

	/*
	 * DREQ/DREP: both sides go to error and report the disconnect.  A QP
	 * that never connected (or is already in error) reports it too, so
	 * disconnect() is always followed by exactly one disconnected().
	 */
	if (qp->state == LFQ_INIT) {
		qp->state = LFQ_ERROR;
		lf_flush(qp);
	} else {
		lf_qp_error(qp);
	}
	lf_report_disconnect(qp);
	return 0;
}

static int lf_drain(struct fabric_qp *q)
{
	struct lf_qp *qp = lq_of(q);

	if (qp->state != LFQ_ERROR) {
		lf_qp_error(qp);
		lf_report_disconnect(qp);
	}
	lf_complete(qp, LFW_DRAINED, 0, FABRIC_WC_SUCCESS, 0);
	return 0;
}

/* ---- shared receive queues --------------------------------------------- */

/* Post b: the newest of the FIFO. */
static void lf_srq_append(struct fabric_srq *srq, struct lf_srq_buf *b)
{
	b->next = NULL;
	if (srq->tail)
		srq->tail->next = b;
	else
		srq->head = b;
	srq->tail = b;
}

static int lf_srq_create(struct fabric_cq *cq, const struct fabric_srq_attr *a,
			 struct fabric_srq **out)
{
	struct loop_fabric *lf = cq ? cq->lf : NULL;
	struct fabric_srq *srq;
	size_t pad, stride;
	int ret;

	if (!cq || !a || !a->depth || !a->buf_size ||
	    a->depth > lf->base.caps.max_qp_wr)
		return -EINVAL;
	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return -ENOMEM;
	srq->lf = lf;
	srq->cq = cq;
	srq->attr = *a;
	stride = fabric_recv_buf_layout(a->buf_size, a->align_off, &pad);
	srq->mem_len = ALIGN_UP(stride * a->depth, (size_t)4096);
	srq->mem = mmap(NULL, srq->mem_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	srq->bufs = calloc(a->depth, sizeof(*srq->bufs));
	if (srq->mem == MAP_FAILED || !srq->bufs) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = lf_mr_reg(&lf->base, srq->mem, srq->mem_len,
			FABRIC_ACCESS_LOCAL_WRITE, &srq->mr);
	if (ret)
		goto fail;
	for (unsigned int i = 0; i < a->depth; i++) {
		struct lf_srq_buf *b = &srq->bufs[i];

		b->pub.addr = srq->mem + i * stride + pad;
		b->pub.size = a->buf_size;
		lf_srq_append(srq, b);
	}
	*out = srq;
	return 0;
fail:
	if (srq->mem != MAP_FAILED)
		munmap(srq->mem, srq->mem_len);
	free(srq->bufs);
	free(srq);
	return ret;
}

static void lf_srq_destroy(struct fabric_srq *srq)
{
	if (!srq)
		return;
	if (srq->nr_qps || srq->lent)
		pr_err("fabric loop: SRQ destroyed with %u QPs, %u buffers lent",
		       srq->nr_qps, srq->lent);
	lf_mr_dereg(srq->mr);
	munmap(srq->mem, srq->mem_len);
	free(srq->bufs);
	free(srq);
}

/* Post b again; SENDs stalled on an empty SRQ may proceed. */
void lf_srq_put(struct fabric_srq *srq, struct lf_srq_buf *b)
{
	if (!b->lent) {
		pr_err("fabric loop: SRQ buffer %p given back twice",
		       b->pub.addr);
		return;
	}
	b->lent = false;
	srq->lent--;
	lf_srq_append(srq, b);
	if (!srq->rnr_waiting)
		return;
	srq->rnr_waiting = false;
	for (struct lf_qp *qp = srq->lf->qps; qp; qp = qp->next_qp)
		if (qp->peer && qp->peer->attr.srq == srq && qp->sq_count)
			lf_run_list_add(qp);
}

static void lf_srq_repost(struct fabric_srq *srq, struct fabric_srq_buf *buf)
{
	srq->cq->cnt.recv_posts++;
	srq->cq->cnt.recv_wrs++;
	lf_srq_put(srq, container_of(buf, struct lf_srq_buf, pub));
}

/*
 * A SEND of total bytes reaches peer, a QP on an SRQ: take the oldest
 * posted buffer.  false: none posted (RNR, the sender waits).
 */
bool lf_srq_deliver(struct lf_qp *peer, struct lf_swr *w, uint64_t total,
		    enum fabric_wc_status *st)
{
	struct fabric_srq *srq = peer->attr.srq;
	struct lf_srq_buf *b = srq->head;

	if (!b) {
		srq->rnr_waiting = true;
		peer->lf->stats.rnr_waits++;
		return false;
	}
	srq->head = b->next;
	if (!srq->head)
		srq->tail = NULL;
	b->lent = true;
	srq->lent++;
	if (total > b->pub.size) {
		/* Receiver: local length error (buffer stays posted);
		 * sender: NAK. */
		lf_srq_put(srq, b);
		lf_complete(peer, LFW_RECV, 0, FABRIC_WC_LOC_LEN_ERR, 0);
		*st = FABRIC_WC_REM_INV_REQ_ERR;
		return true;
	}
	lf_copy(w->sge, w->num_sge, b->pub.addr, true);
	lf_complete(peer, LFW_RECV, (uintptr_t)&b->pub, FABRIC_WC_SUCCESS,
		    (uint32_t)total);
	peer->lf->stats.sends++;
	return true;
}

/* ---- posting ------------------------------------------------------------ */

static int lf_post_recv(struct fabric_qp *q, struct fabric_recv_wr *wr,
			struct fabric_recv_wr **bad)
{
	struct lf_qp *qp = lq_of(q);

	if (qp->attr.srq) {
		*bad = wr;
		return -EINVAL;
	}
	qp->cq->cnt.recv_posts++;
	for (; wr; wr = wr->next) {
		qp->cq->cnt.recv_wrs++;
		if (qp->state == LFQ_ERROR) {
			lf_complete(qp, LFW_RECV, wr->wr_id,
				    FABRIC_WC_WR_FLUSH_ERR, 0);
			continue;
		}
		if (qp->rq_count == qp->attr.rq_depth) {
			*bad = wr;
			return -ENOMEM;
		}
		qp->rq[(qp->rq_head + qp->rq_count) % qp->attr.rq_depth] = *wr;
		qp->rq_count++;
	}
	/* A peer stalled on RNR may proceed now. */
	if (qp->peer && qp->peer->sq_count)
		lf_run_list_add(qp->peer);
	return 0;
}

static int lf_post_send(struct fabric_qp *q, struct fabric_send_wr *wr,
			struct fabric_send_wr **bad)
{
	struct lf_qp *qp = lq_of(q);
	struct fabric_send_wr *w;
	unsigned int n = 0;

	for (w = wr; w; w = w->next) {
		if (w->num_sge > qp->attr.max_sge ||
		    (w->num_sge && !w->sg_list)) {
			*bad = w;
			return -EINVAL;
		}
		n++;
	}
	if (qp->state != LFQ_ERROR && qp->sq_count + n > qp->attr.sq_depth) {
		*bad = wr;
		return -ENOMEM;
	}
	qp->cq->cnt.send_posts++;
	qp->cq->cnt.send_wrs += n;
	for (w = wr; w; w = w->next) {
		struct lf_swr *s;

		if (qp->state == LFQ_ERROR) {
			lf_complete(qp,
				    w->opcode == FABRIC_WR_SEND ? LFW_SEND :
								  LFW_RDMA,
				    w->wr_id, FABRIC_WC_WR_FLUSH_ERR, 0);
			continue;
		}
		s = &qp->sq[(qp->sq_head + qp->sq_count) % qp->attr.sq_depth];
		s->wr_id = w->wr_id;
		s->opcode = w->opcode;
		s->signaled = w->signaled;
		s->num_sge = w->num_sge;
		s->remote_addr = w->remote_addr;
		s->rkey = w->rkey;
		s->over_depth = false;
		for (unsigned int i = 0; i < w->num_sge; i++)
			s->sge[i] = w->sg_list[i];
		if (w->opcode == FABRIC_WR_RDMA_READ) {
			qp->reads_outstanding++;
			if (qp->reads_outstanding > qp->attr.max_rd_atomic ||
			    qp->reads_outstanding > qp->peer_resp_res)
				s->over_depth = true;
			if (qp->reads_outstanding >
			    qp->lf->stats.max_reads_outstanding)
				qp->lf->stats.max_reads_outstanding =
					qp->reads_outstanding;
		}
		qp->sq_count++;
	}
	if (qp->state == LFQ_RTS)
		lf_run_list_add(qp);
	return 0;
}

/* ---- instance -------------------------------------------------------------- */

static const struct fabric_ops lf_ops = {
	.name = "loop",
	.mr_reg = lf_mr_reg,
	.mr_dereg = lf_mr_dereg,
	.cq_create = lf_cq_create,
	.cq_destroy = lf_cq_destroy,
	.cq_counters = lf_cq_counters,
	.cq_poll = lf_cq_poll, /* fabric_loop_wire.c: runs the engine */
	.qp_create = lf_qp_create,
	.qp_destroy = lf_qp_destroy,
	.accept = lf_accept,
	.reject = lf_reject,
	.post_recv = lf_post_recv,
	.post_send = lf_post_send,
	.disconnect = lf_disconnect,
	.drain = lf_drain,
	.srq_create = lf_srq_create,
	.srq_destroy = lf_srq_destroy,
	.srq_repost = lf_srq_repost,
};

int fabric_loop_create(struct loop *loop,
		       const struct fabric_listener_handlers *lh, void *lctx,
		       struct fabric **out)
{
	struct loop_fabric *lf;
	int ret;

	lf = calloc(1, sizeof(*lf));
	if (!lf)
		return -ENOMEM;
	lf->loop = loop;
	lf->base.ops = &lf_ops;
	lf->base.lh = lh;
	lf->base.lctx = lctx;
	lf->base.caps.max_qp_wr = 16384;
	lf->base.caps.max_sge = FABRIC_MAX_SGE;
	lf->base.caps.max_rd_atomic = 16;
	lf->base.caps.max_mr_size = (size_t)1 << 40;
	snprintf(lf->devs[0].dev_name, sizeof(lf->devs[0].dev_name), "%s",
		 FABRIC_LOOP_DEV0_NAME);
	lf->devs[0].port = 1;
	lf->devs[0].node_guid = FABRIC_LOOP_DEV0_GUID;
	lf->n_devs = 1;
	lf->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (lf->doorbell < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = loop_add_fd(loop, lf->doorbell, EPOLLIN, lf_doorbell_cb, lf);
	if (ret)
		goto err_close;
	*out = &lf->base;
	return 0;
err_close:
	close(lf->doorbell);
err_free:
	free(lf);
	return ret;
}

void fabric_loop_destroy(struct fabric *f)
{
	struct loop_fabric *lf;

	if (!f)
		return;
	lf = lf_of(f);
	if (lf->nr_objs)
		pr_warn("fabric loop: destroyed with %u objects alive",
			lf->nr_objs);
	while (lf->reqs_head) {
		struct fabric_conn_req *r = lf->reqs_head;

		lf->reqs_head = r->next;
		free(r);
	}
	loop_del_fd(lf->loop, lf->doorbell);
	close(lf->doorbell);
	free(lf->mrs);
	free(lf->mr_gen);
	free(lf->def);
	free(lf);
}
