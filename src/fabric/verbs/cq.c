/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: completion queues.  A fabric_cq has one part per device
 * (a completion channel watched by the CQ's loop, with two ibv_cqs: one
 * for receives, one for send-queue WRs); completions are dispatched to
 * their QP through the slot in wr_id.  Parts are added and released on
 * the CQ's thread when devices come and go (messages from device.c).
 *
 * The receive CQ is armed whenever the thread may sleep.  The send CQ
 * only while a send-queue WR whose completion someone waits for is
 * outstanding (an RDMA READ, a batch of a long transfer, a drain marker:
 * VSF_URGENT); the completions of lazy WRs (response SENDs, VSF_LAZY) are
 * polled whenever the thread wakes for other work, after an idle
 * FABRIC_LAZY_IDLE_MS, or at once for cq_hurry() (doc/verbs.md "Lazy send
 * completions").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fabric/verbs/verbs_int.h"

#define V_POLL_BATCH 32
#define V_POLL_BUDGET 1024

/*
 * Entries of each of a part's two CQs at least (capped by the device's
 * max_cqe): a QP in error flushes every outstanding WR into its CQs, and
 * an overrun CQ takes down every QP on it, so qp_create reserves
 * sq_depth + rq_depth + 2 entries (an SRQ reserves its depth once) of
 * one reservation both CQs share, and refuses (-ENOMEM) beyond it.  The
 * engine's ~530 entries per channel with an SRQ give about 120 channels
 * per worker and device at 65536 (4 MiB of 64-byte CQEs per CQ, 8 MiB
 * per part), room for old and new channels side by side during a
 * reconnect storm; Soft-RoCE caps it at 32767 (~60 channels).
 */
#define V_CQ_MIN_ENTRIES 65536

enum fabric_wc_status fabric_verbs_wc_status(int st)
{
	switch (st) {
	case IBV_WC_SUCCESS:
		return FABRIC_WC_SUCCESS;
	case IBV_WC_LOC_LEN_ERR:
		return FABRIC_WC_LOC_LEN_ERR;
	case IBV_WC_LOC_PROT_ERR:
	case IBV_WC_LOC_ACCESS_ERR:
	case IBV_WC_MW_BIND_ERR:
		return FABRIC_WC_LOC_PROT_ERR;
	case IBV_WC_REM_ACCESS_ERR:
		return FABRIC_WC_REM_ACCESS_ERR;
	case IBV_WC_REM_INV_REQ_ERR:
	case IBV_WC_REM_OP_ERR:
	case IBV_WC_BAD_RESP_ERR:
	case IBV_WC_REM_INV_RD_REQ_ERR:
		return FABRIC_WC_REM_INV_REQ_ERR;
	case IBV_WC_WR_FLUSH_ERR:
		return FABRIC_WC_WR_FLUSH_ERR;
	default:
		/* Retry/RNR retry exceeded, fatal, timeouts, QP operation
		 * errors: the connection is unusable; the SRP engine treats
		 * all of them as "transport gone". */
		return FABRIC_WC_RETRY_EXC_ERR;
	}
}

static void vcq_dispatch(struct vcq_dev *cd, const struct ibv_wc *wc)
{
	struct vslot *s = (struct vslot *)(uintptr_t)wc->wr_id;
	struct fabric_conn_req *c = s->c;
	enum fabric_wc_status st = fabric_verbs_wc_status(wc->status);
	void *ctx;

	if (s->kind == VS_SRQ_RECV) {
		vsrq_dispatch(container_of(s, struct vsrq_buf, slot), wc);
		return;
	}
	ctx = c->base.ctx;

	if (st != FABRIC_WC_SUCCESS)
		c->hw_error = true; /* RC: any error moves the QP to error */
	if (st != FABRIC_WC_SUCCESS && st != FABRIC_WC_WR_FLUSH_ERR)
		cm_log(LOG_WARNING, c,
		       "qp 0x%x: %s completion: %s (vendor 0x%x)", wc->qp_num,
		       s->kind == VS_RECV ? "receive" :
		       s->kind == VS_SEND ? "send" :
					    "rdma",
		       ibv_wc_status_str(wc->status), wc->vendor_err);
	if (s->flags)
		vcq_uncount(cd, s);
	switch (s->kind) {
	case VS_SEND:
	case VS_RDMA: {
		/* RC send queues complete in order: this completion also
		 * retires every unsignalled WR posted before it. */
		unsigned int d = c->attr.sq_depth;
		unsigned int n = (s->idx + d - c->sq_head) % d + 1;

		c->sq_used -= n <= c->sq_used ? n : c->sq_used;
		c->sq_head = (s->idx + 1) % d;
		if (c->state == VC_DRAINED)
			break;
		if (s->kind == VS_SEND)
			c->h->send_done(ctx, s->wr_id, st);
		else
			c->h->rdma_done(ctx, s->wr_id, st);
		break;
	}
	case VS_RECV:
		if (c->rq_used)
			c->rq_used--;
		s->next = c->rq_free;
		c->rq_free = s;
		if (c->state >= VC_DRAINED)
			break;
		c->h->recv_done(ctx, s->wr_id, st,
				st == FABRIC_WC_SUCCESS ? wc->byte_len : 0);
		vc_check_drained(c);
		break;
	case VS_MARK_SEND:
		c->mark_send_done = true;
		if (c->sq_used)
			cm_log(LOG_DEBUG, c,
			       "%u send slots unaccounted at drain",
			       c->sq_used);
		c->sq_used = 0;
		vc_check_drained(c);
		break;
	}
}

void vcq_complete_unposted(struct fabric_conn_req *c, struct vslot *s,
			   enum fabric_wc_status st)
{
	if (s->flags)
		vcq_uncount(c->cqd, s);
	c->hw_error = true;
	if (c->state == VC_DRAINED)
		return;
	if (s->kind == VS_SEND)
		c->h->send_done(c->base.ctx, s->wr_id, st);
	else
		c->h->rdma_done(c->base.ctx, s->wr_id, st);
}

static void vcq_repoll_cb(void *arg);

void vcq_count(struct vcq_dev *cd, struct vslot *s, uint8_t flags)
{
	s->flags = flags;
	if (flags & VSF_URGENT)
		cd->urgent++;
	if (flags & VSF_LAZY)
		cd->lazy++;
}

void vcq_uncount(struct vcq_dev *cd, struct vslot *s)
{
	if ((s->flags & VSF_URGENT) && cd->urgent)
		cd->urgent--;
	if ((s->flags & VSF_LAZY) && cd->lazy)
		cd->lazy--;
	s->flags = 0;
}

/* Arm the send CQ unless it is: its next completion raises an event. */
static void vcq_arm_sends(struct vcq_dev *cd)
{
	if (cd->sarmed)
		return;
	v_cnt_add(&cd->cq->cnt.arms, 1);
	if (ibv_req_notify_cq(cd->scq, 0)) {
		vdev_log(LOG_ERR, cd->dev, "ibv_req_notify_cq (send): %m");
		return;
	}
	cd->sarmed = true;
}

/*
 * What a part's send queues owe, before its thread may sleep or when
 * WRs were posted: the send CQ is armed while an urgent WR is
 * outstanding (it completes after the arm, so it wakes the thread);
 * lazy ones alone wait for the next wake-up or the loop's idle hook.
 */
void vcq_sends_owed(struct vcq_dev *cd)
{
	if (cd->urgent)
		vcq_arm_sends(cd);
	else if (cd->lazy && !cd->sarmed)
		loop_idle_arm(cd->cq->loop, &cd->cq->lazy_idle);
}

/* One batch of one of the part's CQs: the completions handled, or -1. */
static int vcq_batch(struct vcq_dev *cd, struct ibv_cq *icq, struct ibv_wc *wc)
{
	int n = ibv_poll_cq(icq, V_POLL_BATCH, wc);

	v_cnt_add(&cd->cq->cnt.polls, 1);
	if (n < 0) {
		vdev_log(LOG_ERR, cd->dev, "ibv_poll_cq: %d", n);
		return -1;
	}
	if (n > 0) /* QPs accepted meanwhile (struct vcq_dev) */
		(void)atomic_load_explicit(&cd->handoff, memory_order_acquire);
	for (int i = 0; i < n; i++)
		vcq_dispatch(cd, &wc[i]);
	v_cnt_add(&cd->cq->cnt.completions, (uint64_t)n);
	return n;
}

/*
 * Poll in batches until empty: the send CQ, and with recvs the receive
 * CQ after it (what the sends retire, requests and buffers, the
 * receives may need).  With arm, re-arm (the receive CQ, and the send CQ
 * if its WRs owe it: vcq_sends_owed()) and re-poll to close the arm race
 * (a completion between the last poll and the arm raises no event).
 * Past V_POLL_BUDGET the rest is left to the busy poller when it polls
 * everything unarmed, else to the repoll timer (vcq_repoll_cb(), every
 * part); one that re-arms goes on polling if it adds no timer.  Returns
 * the completions handled.
 */
static unsigned int vcq_poll(struct vcq_dev *cd, bool recvs, bool arm)
{
	struct fabric_cq *cq = cd->cq;
	struct ibv_wc wc[V_POLL_BATCH];
	unsigned int total = 0;
	bool armed = false;

	for (;;) {
		int ns = vcq_batch(cd, cd->scq, wc);
		int nr = ns < 0 ? -1 : recvs ? vcq_batch(cd, cd->icq, wc) : 0;

		if (nr < 0)
			return total;
		total += (unsigned int)(ns + nr);
		if (ns == V_POLL_BATCH || nr == V_POLL_BATCH) {
			armed = false;
			if (total < V_POLL_BUDGET)
				continue;
			if (recvs && !arm)
				return total; /* the busy poller comes back */
			/* Let the loop breathe; continue from a timer (the
			 * CQs are not armed). */
			if (!cq->repoll &&
			    loop_timer_add(cq->loop, 0, 0, vcq_repoll_cb, cq,
					   &cq->repoll) == 0)
				return total;
			if (!arm)
				return total;
			continue;
		}
		if (armed || !arm)
			return total;
		v_cnt_add(&cq->cnt.arms, 1);
		if (ibv_req_notify_cq(cd->icq, 0)) {
			vdev_log(LOG_ERR, cd->dev, "ibv_req_notify_cq: %m");
			return total;
		}
		vcq_sends_owed(cd);
		armed = true;
	}
}

/*
 * Busy polling (fabric_ops.cq_poll): every part of the CQ.  While the
 * poller keeps the CQ unarmed (VCQ_POLLED) an event still due from an
 * earlier arm is taken without arming again.
 */
int v_cq_poll(struct fabric_cq *cq, bool arm)
{
	unsigned int total = 0;

	cq->notify = arm ? VCQ_EVENTS : VCQ_POLLED;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (cq->devs[i].icq)
			total += vcq_poll(&cq->devs[i], true, arm);
	return (int)total; /* at most V_MAX_DEVS * V_POLL_BUDGET-ish */
}

static void vcq_repoll_cb(void *arg)
{
	struct fabric_cq *cq = arg;

	cq->repoll = NULL;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (cq->devs[i].icq)
			vcq_poll(&cq->devs[i], true, cq->notify == VCQ_EVENTS);
}

/*
 * The send CQs alone, for the loop's idle hook (idle FABRIC_LAZY_IDLE_MS
 * with lazy completions owed) and for cq_hurry().  Those still owing lazy
 * completions are armed first, so that what completes after this poll
 * wakes the thread (no race: arm, then poll); the poll itself does not
 * re-arm.
 */
static void vcq_poll_sends_cb(void *arg)
{
	struct fabric_cq *cq = arg;

	for (unsigned int i = 0; i < V_MAX_DEVS; i++) {
		struct vcq_dev *cd = &cq->devs[i];

		if (!cd->scq)
			continue;
		if (cd->lazy && cq->notify == VCQ_EVENTS)
			vcq_arm_sends(cd);
		vcq_poll(cd, false, false);
	}
}

void v_cq_hurry(struct fabric_cq *cq)
{
	/* At the round's end: the caller is inside a completion handler. */
	loop_defer(cq->loop, &cq->hurry);
}

static void vcq_event_cb(void *arg, uint32_t events)
{
	struct vcq_dev *cd = arg;
	struct ibv_cq *ev_cq;
	void *ev_ctx;

	/*
	 * One read: the channel has only this part's two CQs, each raising
	 * one event per arm, and the fd is level-triggered, so an event that
	 * arrives after the re-arm below wakes us again.  Reading until
	 * EAGAIN cost a second system call per wake-up (measured in the VM:
	 * 5.7 reads per 4K read at QD1).
	 */
	if (ibv_get_cq_event(cd->ch, &ev_cq, &ev_ctx) == 0) {
		if (ev_cq == cd->scq) {
			cd->sarmed = false;
			cd->sunacked++;
		} else {
			cd->unacked++;
		}
		v_cnt_add(&cd->cq->cnt.events, 1);
	}
	/* Acking takes a lock in libibverbs: batch it. */
	if (cd->unacked >= 64) {
		ibv_ack_cq_events(cd->icq, cd->unacked);
		cd->unacked = 0;
	}
	if (cd->sunacked >= 64) {
		ibv_ack_cq_events(cd->scq, cd->sunacked);
		cd->sunacked = 0;
	}
	vcq_poll(cd, true, cd->cq->notify == VCQ_EVENTS);
}

/* Reserve n entries of a CQ part for a QP's worst case (every WR
 * flushed); -ENOMEM beyond its capacity. */
int vcq_reserve(struct vcq_dev *cd, unsigned int n)
{
	unsigned int r = atomic_load(&cd->reserved);

	do {
		if (r + n > cd->cap)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(&cd->reserved, &r, r + n));
	return 0;
}

/* The part of a CQ on one device (on the CQ loop's thread). */
static int vcq_dev_setup(struct fabric_cq *cq, struct vdev *d)
{
	struct vcq_dev *cd = &cq->devs[d->idx];
	struct verbs_fabric *vf = cq->vf;
	int vec = d->ctx->num_comp_vectors > 0 ?
			  (int)(vf->next_vector++ % d->ctx->num_comp_vectors) :
			  0;
	int ret;

	cd->cq = cq;
	cd->dev = d;
	unsigned int entries;

	if (cq->depth > (unsigned int)d->attr.max_cqe) {
		vdev_log(LOG_ERR, d, "CQ depth %u > max_cqe %d", cq->depth,
			 d->attr.max_cqe);
		return -EINVAL;
	}
	entries = cq->depth > V_CQ_MIN_ENTRIES ? cq->depth : V_CQ_MIN_ENTRIES;
	entries = umin(entries, d->attr.max_cqe);
	cd->ch = ibv_create_comp_channel(d->ctx);
	if (!cd->ch) {
		ret = errno ? -errno : -ENOMEM;
		vdev_log(LOG_ERR, d, "ibv_create_comp_channel: %m");
		return ret;
	}
	ret = set_nonblock(cd->ch->fd);
	if (ret)
		return ret;
	cd->icq = ibv_create_cq(d->ctx, entries, cd, cd->ch, vec);
	cd->scq = cd->icq ? ibv_create_cq(d->ctx, entries, cd, cd->ch, vec) :
			    NULL;
	if (!cd->icq || !cd->scq) {
		ret = errno ? -errno : -ENOMEM;
		vdev_log(LOG_ERR, d, "ibv_create_cq(%u): %s", entries,
			 strerror(-ret));
		return ret;
	}
	/* One reservation for both: each holds what any QP may put in it. */
	cd->cap = (unsigned int)MIN(cd->icq->cqe, cd->scq->cqe);
	atomic_store(&cd->reserved, 0);
	cd->urgent = cd->lazy = 0;
	cd->sarmed = false;
	if (ibv_req_notify_cq(cd->icq, 0))
		return errno ? -errno : -EIO;
	ret = loop_add_fd(cq->loop, cd->ch->fd, EPOLLIN, vcq_event_cb, cd);
	if (ret)
		return ret;
	cd->watched = true;
	/* A device added later gets its part of the CQ's SRQ too. */
	return cq->srq ? vsrq_dev_setup(cq->srq, cd) : 0;
}

static void vcq_dev_teardown(struct vcq_dev *cd)
{
	if (cd->cq && cd->cq->srq && cd->dev)
		vsrq_dev_teardown(&cd->cq->srq->devs[cd->dev->idx]);
	if (cd->watched)
		loop_del_fd(cd->cq->loop, cd->ch->fd);
	cd->watched = false;
	if (cd->scq) {
		if (cd->sunacked)
			ibv_ack_cq_events(cd->scq, cd->sunacked);
		if (ibv_destroy_cq(cd->scq))
			vdev_log(LOG_ERR, cd->dev, "ibv_destroy_cq (send): %m");
	}
	if (cd->icq) {
		if (cd->unacked)
			ibv_ack_cq_events(cd->icq, cd->unacked);
		if (ibv_destroy_cq(cd->icq))
			vdev_log(LOG_ERR, cd->dev, "ibv_destroy_cq: %m");
	}
	cd->icq = cd->scq = NULL;
	cd->unacked = cd->sunacked = 0;
	cd->urgent = cd->lazy = 0;
	cd->sarmed = false;
	if (cd->ch && ibv_destroy_comp_channel(cd->ch))
		vdev_log(LOG_ERR, cd->dev, "ibv_destroy_comp_channel: %m");
	cd->ch = NULL;
}

int v_cq_create(struct fabric *f, struct loop *loop, unsigned int depth,
		struct fabric_cq **out)
{
	struct verbs_fabric *vf = vf_of(f);
	struct fabric_cq *cq;
	int ret = 0;

	if (!loop || !depth)
		return -EINVAL;
	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return -ENOMEM;
	cq->vf = vf;
	cq->loop = loop;
	cq->depth = depth;
	cq->lazy_idle.fn = vcq_poll_sends_cb;
	cq->lazy_idle.arg = cq;
	cq->lazy_idle.idle_ms = FABRIC_LAZY_IDLE_MS;
	cq->hurry.fn = vcq_poll_sends_cb;
	cq->hurry.arg = cq;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++) {
		cq->devs[i].cq = cq;
		cq->devs[i].dev = &vf->devs[i];
	}
	/* Under the lock: a device being added creates its part of every
	 * CQ on the list. */
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < vf->ndev && !ret; i++)
		if (atomic_load(&vf->devs[i].state) == VD_ACTIVE)
			ret = vcq_dev_setup(cq, &vf->devs[i]);
	if (!ret) {
		cq->id = ++vf->next_cq_id;
		cq->next = vf->cqs;
		vf->cqs = cq;
	}
	pthread_mutex_unlock(&vf->lock);
	if (ret) {
		for (unsigned int i = 0; i < V_MAX_DEVS; i++)
			vcq_dev_teardown(&cq->devs[i]);
		free(cq);
		return ret;
	}
	*out = cq;
	return 0;
}

void v_cq_destroy(struct fabric_cq *cq)
{
	struct verbs_fabric *vf;

	if (!cq)
		return;
	vf = cq->vf;
	if (atomic_load(&cq->nr_qps))
		v_log(LOG_ERR, "CQ destroyed with %u QPs",
		      atomic_load(&cq->nr_qps));
	if (cq->repoll)
		loop_timer_cancel(cq->loop, cq->repoll);
	loop_idle_cancel(cq->loop, &cq->lazy_idle);
	loop_defer_cancel(cq->loop, &cq->hurry);
	pthread_mutex_lock(&vf->lock);
	for (struct fabric_cq **pp = &vf->cqs; *pp; pp = &(*pp)->next)
		if (*pp == cq) {
			*pp = cq->next;
			break;
		}
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		vcq_dev_teardown(&cq->devs[i]);
	pthread_mutex_unlock(&vf->lock);
	free(cq);
}

void v_cq_counters(struct fabric_cq *cq, struct fabric_cq_counters *out)
{
	const uint64_t *src = (const uint64_t *)&cq->cnt;
	uint64_t *dst = (uint64_t *)out;

	_Static_assert(sizeof(*out) % sizeof(uint64_t) == 0,
		       "fabric_cq_counters is made of uint64_t only");
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

/* Create (add) or release the part of a CQ on one device: runs on the CQ
 * loop's thread.  The CQ is looked up by id: it may be gone. */
struct vcq_msg {
	struct verbs_fabric *vf;
	uint64_t cq_id;
	unsigned int dev;
	bool add;
};

static void vcq_msg_fn(void *arg)
{
	struct vcq_msg *m = arg;
	struct verbs_fabric *vf = m->vf;
	struct vdev *d = &vf->devs[m->dev];
	struct fabric_cq *cq;

	pthread_mutex_lock(&vf->lock);
	for (cq = vf->cqs; cq && cq->id != m->cq_id; cq = cq->next)
		;
	if (cq && m->add && atomic_load(&d->state) == VD_ACTIVE &&
	    !cq->devs[m->dev].icq) {
		if (vcq_dev_setup(cq, d))
			vcq_dev_teardown(&cq->devs[m->dev]);
	} else if (cq && !m->add) {
		vcq_dev_teardown(&cq->devs[m->dev]);
	}
	pthread_mutex_unlock(&vf->lock);
	if (!m->add && atomic_fetch_sub(&d->cq_pending, 1) == 1 &&
	    loop_send(vf->main_loop, v_dev_release_finish, d))
		vdev_log(LOG_ERR, d, "cannot finish the device release");
	free(m);
}

/* Called with vf->lock held. */
int vcq_msg_send(struct fabric_cq *cq, struct vdev *d, bool add)
{
	struct vcq_msg *m = malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->vf = cq->vf;
	m->cq_id = cq->id;
	m->dev = d->idx;
	m->add = add;
	if (loop_send(cq->loop, vcq_msg_fn, m)) {
		free(m);
		return -ENOMEM;
	}
	return 0;
}
