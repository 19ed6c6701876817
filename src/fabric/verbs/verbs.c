/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: struct fabric_ops on libibverbs + librdmacm (see verbs.h
 * for the model and the threading rules).
 *
 * Object lifetimes:
 *  - struct fabric_conn_req (a "connection") is created for every
 *    CONNECT_REQUEST and also carries the QP made for it (struct vqp is
 *    embedded), so CM events always find their object through
 *    cm_id->context.  It is reference counted: one reference for the
 *    cm_id, one per CM event message in flight to the worker.  The main
 *    thread takes the message reference before it acks the CM event, and
 *    rdma_destroy_id() waits for every event to be acked, so once
 *    qp_destroy() has destroyed the id no new message can appear and the
 *    last message frees the object.
 *  - Work requests carry a pointer to a per-QP slot as their ibv wr_id;
 *    the slot holds the user's wr_id and the owning QP, so completions on
 *    a CQ shared by many QPs need no lookup table.  The exception is a
 *    receive from a shared receive queue: any QP attached to it may
 *    consume it, so its completion is mapped to the connection by qp_num
 *    (a small open-addressed table per SRQ part, written under vf->lock,
 *    read lock-free by the CQ's thread).
 *  - A struct fabric_srq is a CQ's SRQ: one ibv_srq with its buffers (one
 *    region, registered once) per device part of the CQ, created and
 *    destroyed with that part, so device hot plug needs nothing more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <infiniband/ib.h>
#include <infiniband/verbs.h>
#include <net/if.h>
#include <pthread.h>
#include <rdma/rdma_cma.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fabric/verbs.h"
#include "log.h"
#include "loop.h"
#include "util.h"

/* MR handles: worker pools plus one region per channel (srp_channel.c). */
#define V_MAX_MRS 16384
/* Device slots; a slot keeps its index for the fabric's lifetime so MRs
 * and CQs can hold per-device parts in fixed arrays. */
#define V_MAX_DEVS 16
#define V_SCAN_MS 2000 /* device list rescan (hot add / removal) */
#define V_BAD_LKEY 0xffffffffu /* makes the HCA report LOC_PROT_ERR */
#define V_POLL_BATCH 32
#define V_POLL_BUDGET 1024
#define V_LISTEN_BACKLOG 128 /* ib_srpt's rdma_listen backlog */
#define V_PDATA_MAX 256
#define V_DRAIN_TIMEOUT_S 10
/*
 * Entries per CQ part at least (capped by the device's max_cqe): a QP in
 * error flushes every outstanding WR into the CQ, and an overrun CQ takes
 * down every QP on it, so qp_create reserves sq_depth + rq_depth + 2
 * entries (an SRQ reserves its depth once) and refuses (-ENOMEM) beyond
 * the capacity.  The engine's ~530 entries per channel with an SRQ give
 * about 120 channels per worker and device at 65536 (4 MiB of 64-byte
 * CQEs), room for old and new channels side by side during a reconnect
 * storm; Soft-RoCE caps it at 32767 (~60 channels).
 */
#define V_CQ_MIN_ENTRIES 65536
/* qp_num -> connection table of an SRQ part (power of two, QPs per part
 * at most half of it). */
#define V_QPMAP_SIZE 4096u
#define V_QPMAP_TOMB 0xffffffffu /* deleted key; qp_num is 24 bits */

#define v_log(lvl, fmt, ...) \
	pr_log(lvl, LOG_C_FABRIC, "verbs: " fmt, ##__VA_ARGS__)
#define vdev_log(lvl, d, fmt, ...) \
	pr_log(lvl, LOG_C_FABRIC, "verbs %s: " fmt, (d)->name, ##__VA_ARGS__)
/* "cm rxe0 peer 10.0.0.2 qp 0x12: ..." (qp 0x0 before qp_create) */
#define cm_log(lvl, c, fmt, ...)                                         \
	pr_log(lvl, LOG_C_CM, "cm %s peer %s qp 0x%x: " fmt,             \
	       (c)->dev ? (c)->dev->name : "?", (c)->info.peer_name,     \
	       atomic_load_explicit(&(c)->qp_num, memory_order_relaxed), \
	       ##__VA_ARGS__)

/*
 * Device life cycle (state changes under vf->lock, main thread):
 * FREE -> ACTIVE -> REMOVING (gone from the device list, DEVICE_FATAL or
 * DEVICE_REMOVAL: no new QPs, its connections are told to go) ->
 * RELEASED (connections gone, then every CQ part, MR part, PD released so
 * the kernel can finish unregistering it) -> slot reusable.
 */
enum vdev_state {
	VD_FREE,
	VD_ACTIVE,
	VD_REMOVING,
	VD_RELEASED,
};

struct vdev {
	unsigned int idx;
	atomic_int state; /* enum vdev_state */
	unsigned int nconns; /* connections on it, under vf->lock */
	bool release_started;
	atomic_uint cq_pending; /* CQ parts still to release */
	char name[IBV_SYSFS_NAME_MAX];
	struct ibv_context *ctx; /* librdmacm's context: rdma_get_devices() */
	struct ibv_pd *pd;
	struct ibv_device_attr attr;
	uint8_t nports;
	uint32_t port_mask; /* selected ports (bit n = port n) */
	uint32_t ib_port_mask; /* selected ports with IB link layer */
	bool async_watched;
	struct verbs_fabric *vf;
};

struct vlistener {
	struct rdma_cm_id *id;
	bool rdma_cm_format;
	bool af_ib;
	struct sockaddr_storage addr;
	char name[80];
};

struct vmr {
	struct fabric_mr base;
	unsigned int handle;
	int iacc; /* ibv access flags, to register on a device added later */
	struct ibv_mr *mrs[V_MAX_DEVS]; /* per device slot */
};

struct vcq_dev {
	struct fabric_cq *cq;
	struct vdev *dev;
	struct ibv_comp_channel *ch;
	struct ibv_cq *icq;
	unsigned int unacked;
	unsigned int cap; /* entries of icq */
	atomic_uint reserved; /* entries reserved by QPs (any thread) */
	bool watched;
};

struct vsrq_dev;

struct fabric_cq {
	struct verbs_fabric *vf;
	struct loop *loop;
	struct fabric_srq *srq; /* its shared receive queue, if any */
	unsigned int depth;
	atomic_uint nr_qps; /* qp_create and qp_destroy run on any thread */
	struct loop_timer *repoll; /* poll budget exhausted: continue */
	uint64_t id; /* for messages: a CQ may be gone when they arrive */
	struct fabric_cq *next; /* vf->cqs, under vf->lock */
	struct vcq_dev devs[V_MAX_DEVS];
};

enum vslot_kind {
	VS_SEND,
	VS_RDMA,
	VS_RECV,
	VS_MARK_SEND,
	VS_SRQ_RECV, /* slot of a struct vsrq_buf: c is NULL */
};

struct vslot {
	struct fabric_conn_req *c;
	struct vslot *next; /* receive free list / software flush list */
	uint64_t wr_id;
	uint32_t idx;
	uint8_t kind;
};

/* A buffer of an SRQ part: posted, or lent to a QP's user. */
struct vsrq_buf {
	struct fabric_srq_buf pub;
	struct vslot slot;
	struct vsrq_dev *sd;
	bool lent;
};

/* The part of an SRQ on one device (on the CQ's thread). */
struct vsrq_dev {
	struct fabric_srq *srq;
	struct vcq_dev *cd;
	struct ibv_srq *isrq;
	uint8_t *mem;
	size_t mem_len;
	struct ibv_mr *mr;
	struct vsrq_buf *bufs;
	unsigned int depth; /* buffers (min of the attr and max_srq_wr) */
	unsigned int lent; /* given to users, not yet back */
	unsigned int cq_reserved;
	atomic_uint *qpn_keys; /* 0 free, V_QPMAP_TOMB deleted */
	_Atomic(struct fabric_conn_req *) *qpn_conns;
};

struct fabric_srq {
	struct fabric_cq *cq;
	struct fabric_srq_attr attr;
	atomic_uint nr_qps;
	struct vsrq_dev devs[V_MAX_DEVS];
};

/* Connection state, forward only (srp-facts 2.5). */
enum vconn_state {
	VC_REQ, /* CONNECT_REQUEST delivered, no QP */
	VC_QP, /* QP created (INIT), not accepted */
	VC_ACCEPTED, /* REP sent, waiting for RTU */
	VC_LIVE, /* ESTABLISHED */
	VC_DISCONNECTING, /* we sent DREQ (or DREP) */
	VC_ERROR, /* disconnected() reported */
	VC_DRAINING,
	VC_DRAINED,
	VC_DESTROYED,
};

static const char *const vc_state_names[] = {
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

struct fabric_conn_req {
	struct fabric_qp base; /* valid once qp_create() succeeded */
	struct verbs_fabric *vf;
	struct vdev *dev;
	struct rdma_cm_id *id;
	atomic_int refs;
	atomic_bool peer_gone; /* CM error before the QP existed */
	enum vconn_state state;
	struct fabric_conn_info info;
	uint8_t pdata[V_PDATA_MAX];
	struct fabric_conn_req *next, *prev; /* vf->conns, under vf->lock */

	/* QP, owned by the CQ's thread after accept */
	_Atomic(struct fabric_cq *) cq;
	struct vcq_dev *cqd;
	unsigned int cq_reserved; /* entries of cqd reserved for this QP */
	struct vsrq_dev *sd; /* SRQ part it receives from, if any */
	struct ibv_qp *qp;
	atomic_uint qp_num; /* for log prefixes on any thread */
	const struct fabric_qp_handlers *h;
	struct fabric_qp_attr attr;
	unsigned int initiator_depth;
	bool established_reported;
	bool disconnect_reported;
	bool disc_msg_pending; /* a disconnected() message is queued */
	bool drained_pending; /* markers done, waiting for that message */
	bool mark_send_done;
	/* The QP is in error (we moved it there or saw an error completion):
	 * receives posted from now on are flushed by us, because Soft-RoCE
	 * (Linux 6.1) never flushes receives posted to a QP already in error
	 * (user-space rxe post_recv does not enter the kernel). */
	bool hw_error;
	bool sw_flush_scheduled;
	bool drain_forced; /* drain timed out: see vc_drain_timeout() */
	struct loop_timer *drain_timer;
	unsigned int sq_head, sq_used;
	unsigned int rq_used;
	struct vslot *rq_free; /* receives complete out of order (flushes) */
	struct vslot *sw_flush; /* receives to flush from the loop */
	struct vslot *sq_slots, *rq_slots;
	struct vslot mark_send;
	struct ibv_send_wr *swr; /* scratch, sq_depth entries */
	struct ibv_sge *ssge; /* scratch, sq_depth * max_sge */
	struct ibv_recv_wr *rwr; /* scratch, rq_depth entries */
	struct ibv_sge *rsge;
};

struct verbs_fabric {
	struct fabric base;
	struct loop *main_loop;
	struct fabric_verbs_params p;
	struct fabric_verbs_listen *listen_cfg;
	char (*ports_cfg)[64];
	struct ibv_context **rdma_devs; /* rdma_get_devices(): our refs */
	unsigned int ndev; /* slots used so far */
	struct vdev devs[V_MAX_DEVS];
	struct fabric_cq *cqs;
	uint64_t next_cq_id;
	struct loop_timer *scan;
	struct rdma_event_channel *ech;
	unsigned int nlst;
	struct vlistener *lst;
	struct loop_timer *retry;
	unsigned int next_vector;
	/* Rare control state shared by the main thread and the workers
	 * (MR table writes, the list of live connections): a mutex. */
	pthread_mutex_t lock;
	/* Written under lock, read by workers when posting (relaxed: a
	 * handle is published before any WR can use it). */
	_Atomic(struct vmr *) *mrs; /* V_MAX_MRS entries */
	unsigned int mr_hint; /* first handle to try */
	struct fabric_conn_req *conns;
};

static const struct fabric_ops verbs_ops;

/* ---- helpers (also unit-tested) ------------------------------------- */

uint64_t fabric_verbs_ib_service_id(uint16_t port)
{
	/* The kernel CMA accepts AF_IB listens only inside its port spaces;
	 * RDMA_PS_IB = 0x013F, the low 16 bits are the port (cma.c
	 * cma_select_ib_ps, srp-facts 2.4). */
	return FABRIC_VERBS_IB_SID_BASE | port;
}

bool fabric_verbs_port_match(const char *filter, const char *dev,
			     unsigned int port)
{
	size_t n;
	const char *colon;
	char *end;
	unsigned long pn;

	if (!strcmp(filter, "*"))
		return true;
	colon = strrchr(filter, ':');
	n = colon ? (size_t)(colon - filter) : strlen(filter);
	if (n != strlen(dev) || strncmp(filter, dev, n))
		return false;
	if (!colon)
		return true;
	if (!strcmp(colon + 1, "*"))
		return true;
	errno = 0;
	pn = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end)
		return false;
	return pn == port;
}

int fabric_verbs_parse_addr(const char *addr, uint16_t port,
			    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[64];
	char *pct;

	memset(ss, 0, sizeof(*ss));
	if (!addr || strlen(addr) >= sizeof(buf))
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	/* IPv6, optionally with a %scope (link-local addresses). */
	strcpy(buf, addr);
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return -EINVAL;
	if (pct) {
		char *end;
		unsigned long sc = strtoul(pct, &end, 10);

		if (*pct && !*end)
			sin6->sin6_scope_id = sc;
		else if (!(sin6->sin6_scope_id = if_nametoindex(pct)))
			return -EINVAL;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*len = sizeof(*sin6);
	return 0;
}

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

static struct verbs_fabric *vf_of(struct fabric *f)
{
	return container_of(f, struct verbs_fabric, base);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static unsigned int umin(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* ---- connections: lifetime and state ------------------------------- */

static void vc_get(struct fabric_conn_req *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void v_dev_release_cqs(void *arg);

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
static bool vc_tryget(struct fabric_conn_req *c)
{
	int r = atomic_load(&c->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&c->refs, &r, r + 1))
			return true;
	return false;
}

static void vc_put(struct fabric_conn_req *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		vc_free(c);
}

/* The one place the connection state changes; only forward. */
static bool vc_set_state(struct fabric_conn_req *c, enum vconn_state s)
{
	if (s <= c->state)
		return false;
	cm_log(LOG_DEBUG, c, "%s -> %s", vc_state_names[c->state],
	       vc_state_names[s]);
	c->state = s;
	return true;
}

/* Tear down the id (and QP): no CM event can follow. */
static void vc_release_id(struct fabric_conn_req *c)
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

/* ---- messages to the QP's thread ------------------------------------- */

enum vmsg_kind {
	VM_ESTABLISHED,
	VM_DISCONNECTED, /* from the CM */
	VM_REPORT_DISC, /* deferred disconnected() from our own calls */
	VM_SW_FLUSH, /* flush receives posted while in error */
};

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
static void vc_check_drained(struct fabric_conn_req *c)
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
		 * started the disconnect (srp-facts 2.5); either way the QP
		 * is in error now. */
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
static void vc_send(struct fabric_conn_req *c, enum vmsg_kind kind)
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
static void vc_defer_disconnected(struct fabric_conn_req *c)
{
	if (c->disconnect_reported || c->disc_msg_pending)
		return;
	c->disc_msg_pending = true;
	vc_send(c, VM_REPORT_DISC);
}

/* ---- memory regions -------------------------------------------------- */

static int v_mr_reg(struct fabric *f, void *addr, size_t len,
		    unsigned int access, struct fabric_mr **out)
{
	struct verbs_fabric *vf = vf_of(f);
	int iacc = 0, ret = 0;
	unsigned int h;
	struct vmr *m;

	if (!addr || !len || len > f->caps.max_mr_size)
		return -EINVAL;
	if (access & FABRIC_ACCESS_LOCAL_WRITE)
		iacc |= IBV_ACCESS_LOCAL_WRITE;
	if (access & FABRIC_ACCESS_REMOTE_WRITE)
		iacc |= IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_LOCAL_WRITE;
	if (access & FABRIC_ACCESS_REMOTE_READ)
		iacc |= IBV_ACCESS_REMOTE_READ;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->iacc = iacc;
	/* Under the lock: a device being added registers every MR. */
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		struct vdev *d = &vf->devs[i];

		if (atomic_load(&d->state) != VD_ACTIVE)
			continue;
		m->mrs[i] = ibv_reg_mr(d->pd, addr, len, iacc);
		if (!m->mrs[i]) {
			ret = errno ? -errno : -ENOMEM;
			vdev_log(LOG_ERR, d, "ibv_reg_mr(%zu bytes): %s", len,
				 strerror(-ret));
			goto fail;
		}
		if (!m->base.rkey)
			m->base.rkey = m->mrs[i]->rkey;
	}
	for (h = vf->mr_hint; h < V_MAX_MRS && atomic_load(&vf->mrs[h]); h++)
		;
	if (h == V_MAX_MRS)
		for (h = 0; h < V_MAX_MRS && atomic_load(&vf->mrs[h]); h++)
			;
	if (h == V_MAX_MRS) {
		ret = -ENOMEM;
		goto fail;
	}
	m->handle = h;
	m->base.fabric = f;
	m->base.addr = addr;
	m->base.length = len;
	m->base.access = access;
	/* lkey is our handle, translated per device when posting; the
	 * rkey is the first device's (the target never exposes memory). */
	m->base.lkey = h;
	atomic_store(&vf->mrs[h], m);
	vf->mr_hint = h + 1;
	pthread_mutex_unlock(&vf->lock);
	*out = &m->base;
	return 0;
fail:
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (m->mrs[i])
			ibv_dereg_mr(m->mrs[i]);
	pthread_mutex_unlock(&vf->lock);
	free(m);
	return ret;
}

static void v_mr_dereg(struct fabric_mr *mr)
{
	struct verbs_fabric *vf;
	struct vmr *m;

	if (!mr)
		return;
	m = container_of(mr, struct vmr, base);
	vf = vf_of(mr->fabric);
	pthread_mutex_lock(&vf->lock);
	atomic_store(&vf->mrs[m->handle], NULL);
	if (m->handle < vf->mr_hint)
		vf->mr_hint = m->handle;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (m->mrs[i] && ibv_dereg_mr(m->mrs[i]))
			vdev_log(LOG_ERR, &vf->devs[i], "ibv_dereg_mr: %m");
	pthread_mutex_unlock(&vf->lock);
	free(m);
}

static uint32_t v_lkey(struct verbs_fabric *vf, unsigned int dev,
		       uint32_t handle)
{
	struct vmr *m = handle < V_MAX_MRS ?
				atomic_load_explicit(&vf->mrs[handle],
						     memory_order_acquire) :
				NULL;

	return m && m->mrs[dev] ? m->mrs[dev]->lkey : V_BAD_LKEY;
}

/* ---- shared receive queues ------------------------------------------- */

static int vcq_reserve(struct vcq_dev *cd, unsigned int n);

static unsigned int vsrq_hash(uint32_t qpn)
{
	return (qpn * 2654435761u) & (V_QPMAP_SIZE - 1);
}

/* qp_num -> connection, vf->lock held.  -ENOSPC: too many QPs. */
static int vsrq_map_add(struct vsrq_dev *sd, uint32_t qpn,
			struct fabric_conn_req *c)
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

static void vsrq_post(struct vsrq_dev *sd, struct vsrq_buf *b)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)b->pub.addr,
		.length = b->pub.size,
		.lkey = sd->mr->lkey,
	};
	struct ibv_recv_wr wr = {
		.wr_id = (uintptr_t)&b->slot,
		.sg_list = &sge,
		.num_sge = 1,
	};
	struct ibv_recv_wr *bad;
	int ret = ibv_post_srq_recv(sd->isrq, &wr, &bad);

	if (ret) {
		/* Kept aside until the part goes (device in error). */
		pr_err_ratelimited("verbs %s: ibv_post_srq_recv: %s",
				   sd->cd->dev->name, strerror(ret));
	}
}

/* Release an SRQ part (vf->lock held, CQ thread); also a partial one. */
static void vsrq_dev_teardown(struct vsrq_dev *sd)
{
	struct vdev *d = sd->cd ? sd->cd->dev : NULL;

	if (!sd->srq)
		return;
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
static int vsrq_dev_setup(struct fabric_srq *srq, struct vcq_dev *cd)
{
	struct vdev *d = cd->dev;
	struct vsrq_dev *sd = &srq->devs[d->idx];
	struct ibv_srq_init_attr ia;
	size_t pad, stride;
	int ret;

	sd->srq = srq;
	sd->cd = cd;
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
	ia.attr.max_sge = 1; /* the whole IU (srp-facts 2.2 step 4) */
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
		vsrq_post(sd, b);
	}
	vdev_log(LOG_INFO, d, "shared receive queue: %u receives of %u bytes",
		 sd->depth, srq->attr.buf_size);
	return 0;
}

/* A receive of an SRQ part completed: find the QP that consumed it. */
static void vsrq_dispatch(struct vsrq_buf *b, const struct ibv_wc *wc)
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

/* ---- completion queues ----------------------------------------------- */

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

static void vcq_repoll_cb(void *arg);

/* Poll in batches, re-arm, re-poll to close the arm race. */
static void vcq_poll(struct vcq_dev *cd)
{
	struct ibv_wc wc[V_POLL_BATCH];
	unsigned int total = 0;
	bool armed = false;

	for (;;) {
		int n = ibv_poll_cq(cd->icq, V_POLL_BATCH, wc);

		if (n < 0) {
			vdev_log(LOG_ERR, cd->dev, "ibv_poll_cq: %d", n);
			return;
		}
		for (int i = 0; i < n; i++)
			vcq_dispatch(cd, &wc[i]);
		total += n;
		if (n == V_POLL_BATCH) {
			armed = false;
			if (total >= V_POLL_BUDGET) {
				/* Let the loop breathe; continue from a
				 * timer (the CQ is not armed). */
				if (!cd->cq->repoll &&
				    loop_timer_add(cd->cq->loop, 0, 0,
						   vcq_repoll_cb, cd->cq,
						   &cd->cq->repoll) == 0)
					return;
			}
			continue;
		}
		if (armed)
			return;
		if (ibv_req_notify_cq(cd->icq, 0)) {
			vdev_log(LOG_ERR, cd->dev, "ibv_req_notify_cq: %m");
			return;
		}
		armed = true;
	}
}

static void vcq_repoll_cb(void *arg)
{
	struct fabric_cq *cq = arg;

	cq->repoll = NULL;
	for (unsigned int i = 0; i < V_MAX_DEVS; i++)
		if (cq->devs[i].icq)
			vcq_poll(&cq->devs[i]);
}

static void vcq_event_cb(void *arg, uint32_t events)
{
	struct vcq_dev *cd = arg;
	struct ibv_cq *ev_cq;
	void *ev_ctx;

	/*
	 * One read: the channel has only this CQ, which raises one event
	 * per arm, and the fd is level-triggered, so an event that arrives
	 * after the re-arm below wakes us again.  Reading until EAGAIN cost
	 * a second system call per wake-up (measured in the VM: 5.7 reads
	 * per 4K read at QD1).
	 */
	if (ibv_get_cq_event(cd->ch, &ev_cq, &ev_ctx) == 0)
		cd->unacked++;
	/* Acking takes a lock in libibverbs: batch it. */
	if (cd->unacked >= 64) {
		ibv_ack_cq_events(cd->icq, cd->unacked);
		cd->unacked = 0;
	}
	vcq_poll(cd);
}

static void v_cq_destroy(struct fabric_cq *cq);

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
	if (!cd->icq) {
		ret = errno ? -errno : -ENOMEM;
		vdev_log(LOG_ERR, d, "ibv_create_cq(%u): %s", entries,
			 strerror(-ret));
		return ret;
	}
	cd->cap = cd->icq->cqe;
	atomic_store(&cd->reserved, 0);
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
	if (cd->icq) {
		if (cd->unacked)
			ibv_ack_cq_events(cd->icq, cd->unacked);
		if (ibv_destroy_cq(cd->icq))
			vdev_log(LOG_ERR, cd->dev, "ibv_destroy_cq: %m");
	}
	cd->icq = NULL;
	cd->unacked = 0;
	if (cd->ch && ibv_destroy_comp_channel(cd->ch))
		vdev_log(LOG_ERR, cd->dev, "ibv_destroy_comp_channel: %m");
	cd->ch = NULL;
}

static int v_cq_create(struct fabric *f, struct loop *loop, unsigned int depth,
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

static void v_cq_destroy(struct fabric_cq *cq)
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

static int v_srq_create(struct fabric_cq *cq, const struct fabric_srq_attr *a,
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

static void v_srq_destroy(struct fabric_srq *srq)
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

static void v_srq_repost(struct fabric_srq *srq, struct fabric_srq_buf *buf)
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

/* ---- queue pairs ----------------------------------------------------- */

/* Unmap a QP from its SRQ part (before the QP is destroyed). */
static void vc_srq_detach(struct fabric_conn_req *c)
{
	if (!c->sd)
		return;
	pthread_mutex_lock(&c->vf->lock);
	vsrq_map_del(c->sd, atomic_load(&c->qp_num));
	pthread_mutex_unlock(&c->vf->lock);
	atomic_fetch_sub(&c->sd->srq->nr_qps, 1);
	c->sd = NULL;
}

static struct fabric_conn_req *vc_of(struct fabric_qp *qp)
{
	return container_of(qp, struct fabric_conn_req, base);
}

/* Reserve n entries of a CQ part for a QP's worst case (every WR
 * flushed); -ENOMEM beyond its capacity. */
static int vcq_reserve(struct vcq_dev *cd, unsigned int n)
{
	unsigned int r = atomic_load(&cd->reserved);

	do {
		if (r + n > cd->cap)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(&cd->reserved, &r, r + n));
	return 0;
}

static int v_qp_create(struct fabric_conn_req *c, struct fabric_cq *cq,
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
	/* IBA 9.7.7 / srp-facts 2.7: our READ depth may not exceed what the
	 * initiator offered. */
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
	ia.send_cq = c->cqd->icq;
	ia.recv_cq = c->cqd->icq;
	ia.qp_type = IBV_QPT_RC;
	ia.cap.max_send_wr = attr->sq_depth + 1;
	ia.cap.max_send_sge = max_sge;
	if (sd) {
		ia.srq = sd->isrq;
	} else {
		ia.cap.max_recv_wr = rq_depth + 1;
		/* One SGE per receive: the whole IU (srp-facts 2.2 step 4). */
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

static void v_qp_destroy(struct fabric_qp *qp)
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
	if (cq)
		atomic_fetch_sub(&cq->nr_qps, 1);
	if (c->cqd)
		atomic_fetch_sub(&c->cqd->reserved, c->cq_reserved);
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

static int v_accept(struct fabric_conn_req *c, struct fabric_qp *qp,
		    const void *pdata, unsigned int len)
{
	struct rdma_conn_param cp;

	if (!c || &c->base != qp || c->state != VC_QP || len > 196)
		return -EINVAL;
	if (atomic_load(&c->peer_gone))
		return -ECONNRESET;
	memset(&cp, 0, sizeof(cp));
	cp.private_data = pdata;
	cp.private_data_len = len;
	/* READs the initiator may issue to us (ib_srp: none), and READs
	 * we issue (<= the initiator's responder_resources). */
	cp.responder_resources =
		umin(c->info.initiator_depth, c->dev->attr.max_qp_rd_atom);
	cp.initiator_depth = c->initiator_depth;
	cp.flow_control = 1;
	cp.rnr_retry_count = 7; /* ib_srpt: infinite RNR retry */
	vc_set_state(c, VC_ACCEPTED);
	/* rdma_accept moves the QP to RTR and RTS (srp-facts 2.4). */
	if (rdma_accept(c->id, &cp)) {
		int ret = -errno;

		cm_log(LOG_ERR, c, "rdma_accept: %s", strerror(-ret));
		vc_defer_disconnected(c);
		return ret;
	}
	cm_log(LOG_DEBUG, c,
	       "accepted: qp 0x%x initiator_depth %u responder_resources %u",
	       c->qp->qp_num, cp.initiator_depth, cp.responder_resources);
	return 0;
}

static int v_reject(struct fabric_conn_req *c, struct fabric_qp *qp,
		    const void *pdata, unsigned int len)
{
	int ret = 0;

	if (!c || (qp && &c->base != qp) || c->state > VC_QP)
		return -EINVAL;
	/* REJ private data max 148 bytes (IBA 12.6.7); rdma_reject uses
	 * IB_CM_REJ_CONSUMER_DEFINED, which ib_srp parses (srp-facts 2.4). */
	if (len > 148)
		len = 148;
	if (rdma_reject(c->id, pdata, len)) {
		ret = -errno;
		cm_log(LOG_WARNING, c, "rdma_reject: %s", strerror(-ret));
	} else {
		cm_log(LOG_INFO, c, "login rejected");
	}
	if (qp) {
		struct fabric_cq *cq = atomic_load(&c->cq);

		if (cq)
			atomic_fetch_sub(&cq->nr_qps, 1);
		if (c->cqd)
			atomic_fetch_sub(&c->cqd->reserved, c->cq_reserved);
		c->cq_reserved = 0;
	}
	vc_set_state(c, VC_DESTROYED);
	vc_srq_detach(c);
	vc_release_id(c);
	vc_put(c);
	return ret;
}

static int v_post_recv(struct fabric_qp *qp, struct fabric_recv_wr *wr,
		       struct fabric_recv_wr **bad)
{
	struct fabric_conn_req *c = vc_of(qp);
	struct verbs_fabric *vf = c->vf;
	struct fabric_recv_wr *w, *stop = NULL;
	struct vslot *taken = NULL, **tail = &taken;
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

static int v_post_send(struct fabric_qp *qp, struct fabric_send_wr *wr,
		       struct fabric_send_wr **bad)
{
	struct fabric_conn_req *c = vc_of(qp);
	struct verbs_fabric *vf = c->vf;
	unsigned int n = 0, nsge = 0,
		     free_slots = c->attr.sq_depth - c->sq_used;
	struct fabric_send_wr *w;
	struct ibv_send_wr *ibad;

	if (!c->qp || c->state >= VC_DRAINING) {
		*bad = wr;
		return -EINVAL;
	}
	/* Validate and count first: the chain is posted whole or not at
	 * all (fabric.h). */
	for (w = wr; w; w = w->next, n++) {
		if (w->num_sge > c->attr.max_sge ||
		    (w->num_sge && !w->sg_list)) {
			*bad = w;
			return -EINVAL;
		}
	}
	if (n > free_slots) {
		*bad = wr;
		return -ENOMEM;
	}
	n = 0;
	for (w = wr; w; w = w->next, n++) {
		unsigned int idx =
			(c->sq_head + c->sq_used + n) % c->attr.sq_depth;
		struct vslot *s = &c->sq_slots[idx];
		struct ibv_send_wr *iw = &c->swr[n];

		s->wr_id = w->wr_id;
		s->kind = w->opcode == FABRIC_WR_SEND ? VS_SEND : VS_RDMA;
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
		case FABRIC_WR_RDMA_READ:
			iw->opcode = IBV_WR_RDMA_READ;
			break;
		default:
			*bad = w;
			return -EINVAL;
		}
		if (w->opcode != FABRIC_WR_SEND) {
			iw->wr.rdma.remote_addr = w->remote_addr;
			iw->wr.rdma.rkey = w->rkey;
		}
		if (w->signaled)
			iw->send_flags = IBV_SEND_SIGNALED;
		if (n)
			c->swr[n - 1].next = iw;
	}
	if (ibv_post_send(c->qp, c->swr, &ibad)) {
		unsigned int posted = ibad - c->swr;
		int ret = errno ? -errno : -ENOMEM;

		c->sq_used += posted;
		for (w = wr; posted--; w = w->next)
			;
		*bad = w;
		cm_log(LOG_ERR, c, "ibv_post_send: %s", strerror(-ret));
		return ret;
	}
	c->sq_used += n;
	return 0;
}

static int v_disconnect(struct fabric_qp *qp)
{
	struct fabric_conn_req *c = vc_of(qp);
	bool established = c->state == VC_LIVE;

	/* fabric.h: disconnected() follows exactly once; from DISCONNECTING
	 * on it has been reported or is on its way. */
	if (c->state >= VC_DISCONNECTING)
		return 0;
	if (c->state < VC_ACCEPTED) {
		/* Never connected: nothing to tell the peer. */
		vc_set_state(c, VC_ERROR);
		vc_defer_disconnected(c);
		return 0;
	}
	vc_set_state(c, VC_DISCONNECTING);
	/* DREQ; librdmacm also moves the QP to error.  DISCONNECTED follows
	 * with the DREP or the DREQ timeout. */
	c->hw_error = true;
	if (rdma_disconnect(c->id)) {
		int ret = -errno;

		cm_log(LOG_DEBUG, c, "rdma_disconnect: %s", strerror(-ret));
		vc_defer_disconnected(c);
	} else if (!established) {
		/* REP sent, no RTU yet (or the accept failed): the CM sends
		 * no DREQ from that state and no DISCONNECTED may follow. */
		vc_defer_disconnected(c);
	}
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

static int v_drain(struct fabric_qp *qp)
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
	if (ibv_modify_qp(c->qp, &qa, IBV_QP_STATE)) {
		ret = -errno;
		cm_log(LOG_ERR, c, "modify QP to error: %s", strerror(-ret));
		return ret;
	}
	sw.wr_id = (uintptr_t)&c->mark_send;
	sw.opcode = IBV_WR_SEND;
	sw.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(c->qp, &sw, &sbad)) {
		ret = errno ? -errno : -EIO;
		cm_log(LOG_ERR, c, "drain marker send: %s", strerror(-ret));
		return ret;
	}
	if (loop_timer_add(cq->loop, V_DRAIN_TIMEOUT_S * 1000ULL, 0,
			   vc_drain_timeout, c, &c->drain_timer))
		c->drain_timer = NULL;
	return 0;
}

static const struct fabric_ops verbs_ops = {
	.name = "verbs",
	.mr_reg = v_mr_reg,
	.mr_dereg = v_mr_dereg,
	.cq_create = v_cq_create,
	.cq_destroy = v_cq_destroy,
	.qp_create = v_qp_create,
	.qp_destroy = v_qp_destroy,
	.accept = v_accept,
	.reject = v_reject,
	.post_recv = v_post_recv,
	.post_send = v_post_send,
	.disconnect = v_disconnect,
	.drain = v_drain,
	.srq_create = v_srq_create,
	.srq_destroy = v_srq_destroy,
	.srq_repost = v_srq_repost,
};

/* ---- CM events (main thread) ----------------------------------------- */

/* The device slot of a librdmacm context (not a released one). */
static struct vdev *v_find_dev(struct verbs_fabric *vf, struct ibv_context *ctx)
{
	if (!ctx)
		return NULL;
	for (unsigned int i = 0; i < vf->ndev; i++) {
		int st = atomic_load(&vf->devs[i].state);

		if ((st == VD_ACTIVE || st == VD_REMOVING) &&
		    vf->devs[i].ctx == ctx)
			return &vf->devs[i];
	}
	return NULL;
}

/* ---- device hot plug (main thread unless noted) ----------------------- */

static bool v_port_selected(const struct fabric_verbs_params *p,
			    const char *dev, unsigned int port)
{
	if (!p->n_ports)
		return true;
	for (unsigned int i = 0; i < p->n_ports; i++)
		if (fabric_verbs_port_match(p->ports[i], dev, port))
			return true;
	return false;
}

static void v_async_cb(void *arg, uint32_t events);
static void v_listener_lost(struct verbs_fabric *vf, struct vlistener *l);
static void v_refresh_devices(struct verbs_fabric *vf);

/* Open slot d for ctx: ports through the filter, PD, async events.
 * -ENODEV: no selected port (or unusable); the slot stays FREE. */
static int v_dev_probe(struct verbs_fabric *vf, struct vdev *d,
		       struct ibv_context *ctx)
{
	const char *name = ibv_get_device_name(ctx->device);
	unsigned int idx = d->idx;

	memset(d, 0, sizeof(*d));
	d->idx = idx;
	d->vf = vf;
	atomic_init(&d->state, VD_FREE);
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "?");
	d->ctx = ctx;
	if (ibv_query_device(ctx, &d->attr)) {
		vdev_log(LOG_WARNING, d, "ibv_query_device: %m; skipped");
		return -ENODEV;
	}
	d->nports = d->attr.phys_port_cnt;
	for (unsigned int p = 1; p <= d->nports && p < 32; p++) {
		struct ibv_port_attr pa;

		if (!v_port_selected(&vf->p, d->name, p))
			continue;
		if (ibv_query_port(ctx, p, &pa)) {
			vdev_log(LOG_WARNING, d, "port %u: query: %m", p);
			continue;
		}
		d->port_mask |= 1u << p;
		if (pa.link_layer == IBV_LINK_LAYER_INFINIBAND ||
		    pa.link_layer == IBV_LINK_LAYER_UNSPECIFIED)
			d->ib_port_mask |= 1u << p;
		vdev_log(LOG_INFO, d, "port %u: %s, link layer %s", p,
			 ibv_port_state_str(pa.state),
			 pa.link_layer == IBV_LINK_LAYER_ETHERNET ?
				 "Ethernet" :
				 "InfiniBand");
	}
	if (!d->port_mask)
		return -ENODEV;
	d->pd = ibv_alloc_pd(ctx);
	if (!d->pd) {
		vdev_log(LOG_ERR, d, "ibv_alloc_pd: %m; skipped");
		return -ENODEV;
	}
	if (set_nonblock(ctx->async_fd) == 0 &&
	    loop_add_fd(vf->main_loop, ctx->async_fd, EPOLLIN, v_async_cb, d) ==
		    0)
		d->async_watched = true;
	else
		vdev_log(LOG_WARNING, d, "async events not watched");
	vdev_log(LOG_INFO, d,
		 "in use: max_qp_wr %d max_sge %d max_qp_init_rd_atom %d",
		 d->attr.max_qp_wr, d->attr.max_sge,
		 d->attr.max_qp_init_rd_atom);
	return 0;
}

/* Undo v_dev_probe (MRs and CQ parts already released). */
static void v_dev_unprobe(struct verbs_fabric *vf, struct vdev *d)
{
	if (d->async_watched)
		loop_del_fd(vf->main_loop, d->ctx->async_fd);
	d->async_watched = false;
	if (d->pd && ibv_dealloc_pd(d->pd))
		vdev_log(LOG_ERR, d, "ibv_dealloc_pd: %m");
	d->pd = NULL;
}

/* Create (add) or release the part of a CQ on one device: runs on the CQ
 * loop's thread.  The CQ is looked up by id: it may be gone. */
struct vcq_msg {
	struct verbs_fabric *vf;
	uint64_t cq_id;
	unsigned int dev;
	bool add;
};

static void v_dev_release_finish(void *arg);

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
static int vcq_msg_send(struct fabric_cq *cq, struct vdev *d, bool add)
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

/* Every CQ part, MR and the PD of d are released: the kernel may finish
 * unregistering the device once librdmacm closes its context. */
static void v_dev_release_finish(void *arg)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;

	pthread_mutex_lock(&vf->lock);
	for (unsigned int h = 0; h < V_MAX_MRS; h++) {
		struct vmr *m = atomic_load(&vf->mrs[h]);

		if (m && m->mrs[d->idx]) {
			if (ibv_dereg_mr(m->mrs[d->idx]))
				vdev_log(LOG_ERR, d, "ibv_dereg_mr: %m");
			m->mrs[d->idx] = NULL;
		}
	}
	pthread_mutex_unlock(&vf->lock);
	v_dev_unprobe(vf, d);
	atomic_store(&d->state, VD_RELEASED);
	vdev_log(LOG_NOTICE, d, "released");
	/* Drop our librdmacm reference: it closes the context. */
	v_refresh_devices(vf);
}

/* The device's last connection is gone: release its CQ parts. */
static void v_dev_release_cqs(void *arg)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;

	pthread_mutex_lock(&vf->lock);
	atomic_store(&d->cq_pending, 1); /* ours, dropped below */
	for (struct fabric_cq *cq = vf->cqs; cq; cq = cq->next) {
		if (!cq->devs[d->idx].icq)
			continue;
		atomic_fetch_add(&d->cq_pending, 1);
		if (vcq_msg_send(cq, d, false)) {
			vdev_log(LOG_ERR, d, "cannot release a CQ part");
			atomic_fetch_sub(&d->cq_pending, 1);
		}
	}
	pthread_mutex_unlock(&vf->lock);
	if (atomic_fetch_sub(&d->cq_pending, 1) == 1)
		v_dev_release_finish(d);
}

/* d is going away (removed, fatal): stop using it and release it once its
 * connections are gone. */
static void v_dev_remove(struct vdev *d, const char *why)
{
	struct verbs_fabric *vf = d->vf;
	struct fabric_conn_req **cs = NULL;
	unsigned int n = 0;
	bool idle;

	pthread_mutex_lock(&vf->lock);
	if (atomic_load(&d->state) != VD_ACTIVE) {
		pthread_mutex_unlock(&vf->lock);
		return;
	}
	atomic_store(&d->state, VD_REMOVING);
	vdev_log(LOG_WARNING, d, "%s: closing its %u connection(s)", why,
		 d->nconns);
	/* Collect references; messages are sent (and references dropped,
	 * which may free) without the lock. */
	if (d->nconns)
		cs = calloc(d->nconns, sizeof(*cs));
	for (struct fabric_conn_req *c = vf->conns; c && cs; c = c->next) {
		if (c->dev != d || n == d->nconns)
			continue;
		atomic_store(&c->peer_gone, true);
		if (vc_tryget(c))
			cs[n++] = c;
	}
	if (d->nconns && !cs)
		vdev_log(LOG_ERR, d, "out of memory closing connections");
	idle = !d->nconns && !d->release_started;
	if (idle)
		d->release_started = true;
	pthread_mutex_unlock(&vf->lock);
	for (unsigned int i = 0; i < n; i++) {
		vc_send(cs[i], VM_DISCONNECTED);
		vc_put(cs[i]);
	}
	free(cs);
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (l->id && l->id->verbs == d->ctx)
			v_listener_lost(vf, l);
	}
	if (idle)
		v_dev_release_cqs(d);
}

/* A device appeared: probe it, register every MR, add it to every CQ. */
static void v_dev_add(struct verbs_fabric *vf, struct ibv_context *ctx)
{
	struct vdev *d = NULL;
	unsigned int i;

	for (i = 0; i < V_MAX_DEVS; i++) {
		int st = atomic_load(&vf->devs[i].state);

		if (st == VD_FREE || st == VD_RELEASED) {
			d = &vf->devs[i];
			break;
		}
	}
	if (!d) {
		v_log(LOG_WARNING, "device %s ignored: %u devices in use",
		      ibv_get_device_name(ctx->device), V_MAX_DEVS);
		return;
	}
	d->idx = i;
	if (v_dev_probe(vf, d, ctx)) {
		v_dev_unprobe(vf, d);
		atomic_store(&d->state, VD_FREE);
		return;
	}
	pthread_mutex_lock(&vf->lock);
	for (unsigned int h = 0; h < V_MAX_MRS; h++) {
		struct vmr *m = atomic_load(&vf->mrs[h]);

		if (!m)
			continue;
		m->mrs[i] = ibv_reg_mr(d->pd, m->base.addr, m->base.length,
				       m->iacc);
		if (!m->mrs[i]) {
			vdev_log(LOG_ERR, d, "ibv_reg_mr(%zu bytes): %m",
				 m->base.length);
			for (unsigned int k = 0; k <= h; k++) {
				struct vmr *u = atomic_load(&vf->mrs[k]);

				if (u && u->mrs[i]) {
					ibv_dereg_mr(u->mrs[i]);
					u->mrs[i] = NULL;
				}
			}
			pthread_mutex_unlock(&vf->lock);
			v_dev_unprobe(vf, d);
			atomic_store(&d->state, VD_FREE);
			return;
		}
	}
	d->nconns = 0;
	d->release_started = false;
	atomic_store(&d->state, VD_ACTIVE);
	if (i >= vf->ndev)
		vf->ndev = i + 1;
	for (struct fabric_cq *cq = vf->cqs; cq; cq = cq->next)
		if (vcq_msg_send(cq, d, true))
			vdev_log(LOG_ERR, d, "cannot add it to a CQ");
	pthread_mutex_unlock(&vf->lock);
	vdev_log(LOG_NOTICE, d, "device added");
}

/*
 * Compare librdmacm's device list with ours: devices that vanished are
 * removed (a driver without disassociate support, such as rxe, sends no
 * event: the kernel just waits for every user to close the device), new
 * ones added.  Our reference list is only swapped when no device is being
 * released, so librdmacm cannot close a context we still use.
 */
static void v_refresh_devices(struct verbs_fabric *vf)
{
	struct ibv_context **list;
	bool removing = false;
	int n = 0;

	list = rdma_get_devices(&n);
	if (!list)
		n = 0;
	pr_debug(LOG_C_FABRIC, "verbs: device scan: %d device(s)", n);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		struct vdev *d = &vf->devs[i];
		bool found = false;

		if (atomic_load(&d->state) != VD_ACTIVE)
			continue;
		for (int k = 0; k < n; k++)
			found |= list[k] == d->ctx;
		if (!found)
			v_dev_remove(d, "device gone");
	}
	for (int k = 0; k < n; k++)
		if (!v_find_dev(vf, list[k]))
			v_dev_add(vf, list[k]);
	for (unsigned int i = 0; i < vf->ndev; i++)
		removing |= atomic_load(&vf->devs[i].state) == VD_REMOVING;
	if (removing) {
		if (list)
			rdma_free_devices(list);
		return;
	}
	if (vf->rdma_devs)
		rdma_free_devices(vf->rdma_devs);
	vf->rdma_devs = list;
}

static void v_scan_cb(void *arg)
{
	struct verbs_fabric *vf = arg;

	vf->scan = NULL;
	v_refresh_devices(vf);
	if (loop_timer_add(vf->main_loop, V_SCAN_MS, 0, v_scan_cb, vf,
			   &vf->scan))
		v_log(LOG_ERR, "cannot arm the device scan timer");
}

static void v_peer_name(struct rdma_cm_id *id, struct fabric_conn_info *info)
{
	struct sockaddr *sa = rdma_get_peer_addr(id);
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *gid = id->route.addr.addr.ibaddr.dgid.raw;

	memcpy(info->peer_gid, gid, 16);
	if (sa && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf,
		      sizeof(buf))) {
		snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
		return;
	}
	if (sa && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf,
		      sizeof(buf))) {
		snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
		return;
	}
	if (sa && sa->sa_family == AF_IB)
		gid = ((struct sockaddr_ib *)sa)->sib_addr.sib_raw;
	memcpy(info->peer_gid, gid, 16);
	/* GID: fe80:0000:0000:0000:0002:c903:000f:1367 style */
	if (!inet_ntop(AF_INET6, gid, buf, sizeof(buf)))
		strcpy(buf, "?");
	snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
}

static void v_conn_request(struct verbs_fabric *vf, struct rdma_cm_event *ev)
{
	struct vlistener *l = ev->listen_id ? ev->listen_id->context : NULL;
	struct rdma_cm_id *id = ev->id;
	struct fabric_conn_req *c;
	unsigned int len = ev->param.conn.private_data_len;

	c = calloc(1, sizeof(*c));
	if (!c) {
		rdma_ack_cm_event(ev);
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	c->vf = vf;
	c->id = id;
	c->dev = v_find_dev(vf, id->verbs);
	if (!c->dev && id->verbs) {
		/* Perhaps a device added since the last scan. */
		v_refresh_devices(vf);
		c->dev = v_find_dev(vf, id->verbs);
	}
	atomic_init(&c->refs, 1);
	c->state = VC_REQ;
	v_peer_name(id, &c->info);
	if (len > sizeof(c->pdata))
		len = sizeof(c->pdata);
	if (len && ev->param.conn.private_data)
		memcpy(c->pdata, ev->param.conn.private_data, len);
	c->info.fabric = &vf->base;
	c->info.private_data = c->pdata;
	c->info.private_data_len = len;
	c->info.rdma_cm_format = l ? l->rdma_cm_format : true;
	/* The CM reports the REQ's values from our side already (kernel
	 * cm_format_req_event swaps them): its initiator_depth is how many
	 * READs we may issue, i.e. the initiator's responder_resources. */
	c->info.responder_resources = ev->param.conn.initiator_depth;
	c->info.initiator_depth = ev->param.conn.responder_resources;
	id->context = c;
	pthread_mutex_lock(&vf->lock);
	if (c->dev)
		c->dev->nconns++;
	c->next = vf->conns;
	if (c->next)
		c->next->prev = c;
	vf->conns = c;
	pthread_mutex_unlock(&vf->lock);
	rdma_ack_cm_event(ev);

	if (!c->dev || atomic_load(&c->dev->state) != VD_ACTIVE) {
		/* A device the port filter excluded (or a dying one). */
		cm_log(LOG_INFO, c,
		       "connection request on an unused device %s: rejected",
		       id->verbs ? ibv_get_device_name(id->verbs->device) :
				   "?");
		v_reject(c, NULL, NULL, 0);
		return;
	}
	cm_log(LOG_INFO, c,
	       "connection request via %s (%u bytes private data, responder_resources %u initiator_depth %u)",
	       l ? l->name : "?", len, c->info.responder_resources,
	       c->info.initiator_depth);
	vf->base.lh->conn_request(vf->base.lctx, c, &c->info);
}

static void v_cm_event(struct verbs_fabric *vf, struct rdma_cm_event *ev)
{
	struct rdma_cm_id *id = ev->id;
	struct fabric_conn_req *c;
	enum rdma_cm_event_type type = ev->event;
	int status = ev->status;

	if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
		v_conn_request(vf, ev);
		return;
	}
	/* Listener ids carry a struct vlistener; connection ids a conn. */
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (l->id != id)
			continue;
		rdma_ack_cm_event(ev);
		if (type == RDMA_CM_EVENT_DEVICE_REMOVAL) {
			struct vdev *d = v_find_dev(vf, l->id->verbs);

			pr_log(LOG_WARNING, LOG_C_CM,
			       "cm listener %s: device removed", l->name);
			v_listener_lost(vf, l);
			if (d)
				v_dev_remove(d, "device removal");
		} else if (type == RDMA_CM_EVENT_ADDR_CHANGE) {
			pr_log(LOG_NOTICE, LOG_C_CM,
			       "cm listener %s: address change", l->name);
		} else {
			pr_log(LOG_DEBUG, LOG_C_CM, "cm listener %s: %s",
			       l->name, rdma_event_str(type));
		}
		return;
	}
	c = id->context;
	if (!c) {
		rdma_ack_cm_event(ev);
		return;
	}
	/* The message reference is taken before the ack: rdma_destroy_id
	 * cannot return (and the conn cannot be freed) before it. */
	switch (type) {
	case RDMA_CM_EVENT_ESTABLISHED:
		vc_send(c, VM_ESTABLISHED);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		cm_log(LOG_INFO, c, "disconnected");
		vc_send(c, VM_DISCONNECTED);
		break;
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		/* REP not answered by an RTU, or similar: the connection
		 * never came up. */
		cm_log(LOG_WARNING, c, "%s (status %d)", rdma_event_str(type),
		       status);
		atomic_store(&c->peer_gone, true);
		vc_send(c, VM_DISCONNECTED);
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL: {
		struct vdev *d = c->dev;

		cm_log(LOG_WARNING, c, "device removed");
		atomic_store(&c->peer_gone, true);
		vc_send(c, VM_DISCONNECTED);
		/* The kernel waits for the id: ack first. */
		rdma_ack_cm_event(ev);
		if (d)
			v_dev_remove(d, "device removal");
		return;
	}
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		cm_log(LOG_DEBUG, c, "timewait exit");
		break;
	case RDMA_CM_EVENT_ADDR_CHANGE:
		cm_log(LOG_NOTICE, c, "address change");
		break;
	default:
		cm_log(LOG_DEBUG, c, "%s (status %d)", rdma_event_str(type),
		       status);
		break;
	}
	rdma_ack_cm_event(ev);
}

static void v_cm_fd_cb(void *arg, uint32_t events)
{
	struct verbs_fabric *vf = arg;
	struct rdma_cm_event *ev;

	while (rdma_get_cm_event(vf->ech, &ev) == 0)
		v_cm_event(vf, ev);
}

/* ---- device async events (main thread) ------------------------------- */

static void v_async_cb(void *arg, uint32_t events)
{
	struct vdev *d = arg;
	struct verbs_fabric *vf = d->vf;
	struct ibv_async_event ev;

	while (ibv_get_async_event(d->ctx, &ev) == 0) {
		switch (ev.event_type) {
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR:
			vdev_log(ev.event_type == IBV_EVENT_PORT_ACTIVE ?
					 LOG_NOTICE :
					 LOG_WARNING,
				 d, "port %d %s", ev.element.port_num,
				 ibv_event_type_str(ev.event_type));
			if (vf->p.port_event)
				vf->p.port_event(vf->p.port_event_ctx, d->name,
						 ev.element.port_num,
						 ev.event_type ==
							 IBV_EVENT_PORT_ACTIVE);
			break;
		case IBV_EVENT_LID_CHANGE:
		case IBV_EVENT_GID_CHANGE:
		case IBV_EVENT_PKEY_CHANGE:
		case IBV_EVENT_SM_CHANGE:
		case IBV_EVENT_CLIENT_REREGISTER:
			vdev_log(LOG_INFO, d, "port %d %s", ev.element.port_num,
				 ibv_event_type_str(ev.event_type));
			break;
		case IBV_EVENT_DEVICE_FATAL:
			vdev_log(LOG_ERR, d, "fatal device error");
			/* Released later from the loop; the fd stays valid
			 * for the rest of this callback. */
			v_dev_remove(d, "fatal error");
			break;
		case IBV_EVENT_COMM_EST: {
			/* A receive completed before the RTU: tell the CM
			 * (rdma_notify(3), srp-facts 2.2 step 7).  The QP
			 * cannot be destroyed before this event is acked. */
			struct fabric_conn_req *c = ev.element.qp->qp_context;

			if (c && c->id)
				rdma_notify(c->id, IBV_EVENT_COMM_EST);
			break;
		}
		case IBV_EVENT_QP_LAST_WQE_REACHED:
		case IBV_EVENT_SQ_DRAINED:
			break;
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR: {
			struct fabric_conn_req *c = ev.element.qp->qp_context;

			if (c)
				cm_log(LOG_WARNING, c, "qp 0x%x: %s",
				       ev.element.qp->qp_num,
				       ibv_event_type_str(ev.event_type));
			break;
		}
		default:
			vdev_log(LOG_INFO, d, "async event %s",
				 ibv_event_type_str(ev.event_type));
			break;
		}
		ibv_ack_async_event(&ev);
	}
}

/* ---- listeners -------------------------------------------------------- */

static void v_listener_close(struct vlistener *l)
{
	if (l->id) {
		rdma_destroy_id(l->id);
		l->id = NULL;
	}
}

/* Create, bind and listen; -errno (the id is not kept on failure). */
static int v_listener_open(struct verbs_fabric *vf, struct vlistener *l)
{
	struct rdma_cm_id *id;
	int ret;

	if (rdma_create_id(vf->ech, &id, l,
			   l->af_ib ? RDMA_PS_IB : RDMA_PS_TCP))
		return -errno;
	if (rdma_bind_addr(id, (struct sockaddr *)&l->addr)) {
		ret = -errno;
		goto fail;
	}
	if (rdma_listen(id, V_LISTEN_BACKLOG)) {
		ret = -errno;
		goto fail;
	}
	l->id = id;
	pr_log(LOG_NOTICE, LOG_C_CM, "cm: listening on %s", l->name);
	return 0;
fail:
	rdma_destroy_id(id);
	return ret;
}

static void v_retry_cb(void *arg);

static void v_schedule_retry(struct verbs_fabric *vf)
{
	unsigned int s = vf->p.listen_retry_s ? vf->p.listen_retry_s : 5;

	if (vf->retry)
		return;
	if (loop_timer_add(vf->main_loop, (uint64_t)s * 1000, 0, v_retry_cb, vf,
			   &vf->retry))
		v_log(LOG_ERR, "cannot arm the listener retry timer");
}

static void v_retry_cb(void *arg)
{
	struct verbs_fabric *vf = arg;
	bool missing = false;

	vf->retry = NULL;
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (!l->id && v_listener_open(vf, l))
			missing = true;
	}
	if (missing)
		v_schedule_retry(vf);
}

static void v_listener_lost(struct verbs_fabric *vf, struct vlistener *l)
{
	v_listener_close(l);
	v_schedule_retry(vf);
}

/* ---- creation --------------------------------------------------------- */

static void v_devices_close(struct verbs_fabric *vf)
{
	for (unsigned int i = 0; i < vf->ndev; i++)
		v_dev_unprobe(vf, &vf->devs[i]);
	vf->ndev = 0;
	if (vf->rdma_devs)
		rdma_free_devices(vf->rdma_devs);
	vf->rdma_devs = NULL;
}

static int v_devices_open(struct verbs_fabric *vf)
{
	struct fabric_caps *caps = &vf->base.caps;
	int n = 0;

	vf->rdma_devs = rdma_get_devices(&n);
	if (!vf->rdma_devs || n <= 0) {
		v_log(LOG_NOTICE, "no RDMA device present");
		v_devices_close(vf);
		return -ENODEV;
	}
	caps->max_qp_wr = vf->p.max_qp_wr ? vf->p.max_qp_wr : ~0u;
	caps->max_sge = vf->p.max_sge ? vf->p.max_sge : FABRIC_MAX_SGE;
	caps->max_sge = umin(caps->max_sge, FABRIC_MAX_SGE);
	caps->max_rd_atomic = ~0u;
	caps->max_mr_size = SIZE_MAX;
	for (int i = 0; i < n && vf->ndev < V_MAX_DEVS; i++) {
		struct vdev *d = &vf->devs[vf->ndev];

		d->idx = vf->ndev;
		if (v_dev_probe(vf, d, vf->rdma_devs[i])) {
			v_dev_unprobe(vf, d);
			continue;
		}
		atomic_store(&d->state, VD_ACTIVE);
		vf->ndev++;
		caps->max_qp_wr = umin(caps->max_qp_wr, d->attr.max_qp_wr);
		caps->max_sge = umin(caps->max_sge, d->attr.max_sge);
		caps->max_rd_atomic =
			umin(caps->max_rd_atomic, d->attr.max_qp_init_rd_atom);
		if (d->attr.max_mr_size < caps->max_mr_size)
			caps->max_mr_size = d->attr.max_mr_size;
		/* iWARP: READ sinks need remote write access (fabric.h). */
		if (d->ctx->device->transport_type == IBV_TRANSPORT_IWARP)
			caps->read_sink_remote_write = true;
	}
	if (!vf->ndev) {
		v_log(LOG_NOTICE,
		      "no RDMA device port matches the port filter");
		v_devices_close(vf);
		return -ENODEV;
	}
	return 0;
}

static int v_listeners_setup(struct verbs_fabric *vf)
{
	const struct fabric_verbs_params *p = &vf->p;
	bool any_ib = false;
	unsigned int n = 0;

	for (unsigned int i = 0; i < vf->ndev; i++)
		any_ib |= vf->devs[i].ib_port_mask != 0;
	vf->lst = calloc(p->n_listen + 1, sizeof(*vf->lst));
	if (!vf->lst)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->n_listen; i++) {
		struct vlistener *l = &vf->lst[n];
		socklen_t len;

		if (fabric_verbs_parse_addr(p->listen[i].addr,
					    p->listen[i].port, &l->addr,
					    &len)) {
			v_log(LOG_ERR, "bad listen address '%s'",
			      p->listen[i].addr);
			return -EINVAL;
		}
		l->rdma_cm_format = true;
		snprintf(l->name, sizeof(l->name), "%s%s%s:%u",
			 l->addr.ss_family == AF_INET6 ? "[" : "",
			 p->listen[i].addr,
			 l->addr.ss_family == AF_INET6 ? "]" : "",
			 p->listen[i].port);
		n++;
	}
	if (p->ib_cm_enabled && any_ib) {
		struct vlistener *l = &vf->lst[n];
		struct sockaddr_ib *sib = (struct sockaddr_ib *)&l->addr;
		uint64_t sid = fabric_verbs_ib_service_id(p->ib_cm_port);

		_Static_assert(sizeof(struct sockaddr_ib) <=
				       sizeof(struct sockaddr_storage),
			       "sockaddr_ib fits");
		sib->sib_family = AF_IB;
		sib->sib_sid = htobe64(sid);
		sib->sib_sid_mask = htobe64(~0ULL);
		l->af_ib = true;
		l->rdma_cm_format = false;
		snprintf(l->name, sizeof(l->name), "IB service id 0x%016llx",
			 (unsigned long long)sid);
		n++;
	} else if (p->ib_cm_enabled) {
		v_log(LOG_INFO, "IB/CM login disabled: no InfiniBand port");
	}
	vf->nlst = n;
	for (unsigned int i = 0; i < n; i++) {
		int ret = v_listener_open(vf, &vf->lst[i]);

		if (ret) {
			pr_log(LOG_WARNING, LOG_C_CM,
			       "cm: cannot listen on %s yet: %s (retrying)",
			       vf->lst[i].name, strerror(-ret));
			v_schedule_retry(vf);
		}
	}
	return 0;
}

int fabric_verbs_create(struct loop *main_loop,
			const struct fabric_verbs_params *p,
			const struct fabric_listener_handlers *lh, void *lctx,
			struct fabric **out)
{
	struct verbs_fabric *vf;
	int ret;

	if (!main_loop || !p || !lh || !lh->conn_request || !out)
		return -EINVAL;
	vf = calloc(1, sizeof(*vf));
	if (!vf)
		return -ENOMEM;
	pthread_mutex_init(&vf->lock, NULL);
	vf->mrs = calloc(V_MAX_MRS, sizeof(*vf->mrs));
	if (!vf->mrs) {
		ret = -ENOMEM;
		goto fail;
	}
	vf->main_loop = main_loop;
	vf->p = *p;
	/* Keep private copies of the caller's arrays. */
	if (p->n_listen) {
		vf->listen_cfg = calloc(p->n_listen, sizeof(*vf->listen_cfg));
		if (!vf->listen_cfg) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(vf->listen_cfg, p->listen,
		       p->n_listen * sizeof(*vf->listen_cfg));
		vf->p.listen = vf->listen_cfg;
	}
	if (p->n_ports) {
		vf->ports_cfg = calloc(p->n_ports, sizeof(*vf->ports_cfg));
		if (!vf->ports_cfg) {
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(vf->ports_cfg, p->ports,
		       p->n_ports * sizeof(*vf->ports_cfg));
		vf->p.ports = (const char(*)[64])vf->ports_cfg;
	}
	vf->base.ops = &verbs_ops;
	vf->base.lh = lh;
	vf->base.lctx = lctx;

	ret = v_devices_open(vf);
	if (ret)
		goto fail;
	vf->ech = rdma_create_event_channel();
	if (!vf->ech) {
		ret = -errno;
		v_log(LOG_ERR, "rdma_create_event_channel: %m");
		goto fail;
	}
	ret = set_nonblock(vf->ech->fd);
	if (ret)
		goto fail;
	ret = loop_add_fd(main_loop, vf->ech->fd, EPOLLIN, v_cm_fd_cb, vf);
	if (ret)
		goto fail;
	ret = v_listeners_setup(vf);
	if (ret)
		goto fail_fd;
	/* Hot add and removal: see v_refresh_devices(). */
	if (loop_timer_add(main_loop, V_SCAN_MS, 0, v_scan_cb, vf, &vf->scan))
		v_log(LOG_WARNING, "device hot plug not watched");
	*out = &vf->base;
	return 0;
fail_fd:
	loop_del_fd(main_loop, vf->ech->fd);
fail:
	if (vf->retry)
		loop_timer_cancel(main_loop, vf->retry);
	for (unsigned int i = 0; i < vf->nlst; i++)
		v_listener_close(&vf->lst[i]);
	free(vf->lst);
	if (vf->ech)
		rdma_destroy_event_channel(vf->ech);
	v_devices_close(vf);
	free(vf->listen_cfg);
	free(vf->ports_cfg);
	free(vf->mrs);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
	return ret;
}

unsigned int fabric_verbs_devices(struct fabric *f, char *buf, size_t len)
{
	struct verbs_fabric *vf = vf_of(f);
	unsigned int n = 0;
	size_t off = 0;

	if (len)
		buf[0] = 0;
	pthread_mutex_lock(&vf->lock);
	for (unsigned int i = 0; i < vf->ndev; i++) {
		if (atomic_load(&vf->devs[i].state) != VD_ACTIVE)
			continue;
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s",
					n ? " " : "", vf->devs[i].name);
		n++;
	}
	pthread_mutex_unlock(&vf->lock);
	return n;
}

void fabric_verbs_destroy(struct fabric *f)
{
	struct verbs_fabric *vf;
	struct fabric_conn_req *c;

	if (!f)
		return;
	vf = vf_of(f);
	if (vf->scan)
		loop_timer_cancel(vf->main_loop, vf->scan);
	if (vf->retry)
		loop_timer_cancel(vf->main_loop, vf->retry);
	for (unsigned int i = 0; i < vf->nlst; i++)
		v_listener_close(&vf->lst[i]);
	free(vf->lst);
	/* Connections the engine left behind (pending requests, QPs): tear
	 * the ids down; messages still queued to stopped loops are lost. */
	while ((c = vf->conns)) {
		if (!c->drain_forced)
			cm_log(LOG_WARNING, c,
			       "still open at fabric destruction (%s)",
			       vc_state_names[c->state]);
		vc_release_id(c);
		vf->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		c->next = c->prev = NULL;
		free(c->sq_slots);
		free(c->rq_slots);
		free(c->swr);
		free(c->ssge);
		free(c->rwr);
		free(c->rsge);
		free(c);
	}
	for (unsigned int i = 0; vf->mrs && i < V_MAX_MRS; i++)
		if (atomic_load(&vf->mrs[i])) {
			v_log(LOG_WARNING, "MR %u still registered", i);
			v_mr_dereg(&atomic_load(&vf->mrs[i])->base);
		}
	if (vf->ech) {
		loop_del_fd(vf->main_loop, vf->ech->fd);
		rdma_destroy_event_channel(vf->ech);
	}
	v_devices_close(vf);
	free(vf->listen_cfg);
	free(vf->ports_cfg);
	free(vf->mrs);
	pthread_mutex_destroy(&vf->lock);
	free(vf);
}
